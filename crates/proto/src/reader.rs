//! A checked, zero-copy cursor over a byte slice.

/// Why a [`Reader`] could not give what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Fewer bytes remain than the read needs.
    #[error("truncated: needed {needed} more bytes, {remaining} remain")]
    Truncated {
        /// Bytes the read needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A field holds a value the format forbids.
    #[error("invalid {field}")]
    Invalid {
        /// Name of the field.
        field: &'static str,
    },
}

/// A cursor over `&'a [u8]` that hands out big-endian integers and borrowed sub-slices.
///
/// Every read checks the remaining length first, so no input can make it panic.
///
/// ```
/// use nutshell_proto::Reader;
/// let mut r = Reader::new(&[0x00, 0x01, 0xAA, 0xBB, 0xCC]);
/// assert_eq!(r.u16().unwrap(), 1);
/// assert_eq!(r.take(2).unwrap(), &[0xAA, 0xBB]);
/// assert_eq!(r.rest(), &[0xCC]);
/// assert!(r.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over the whole of `buf`.
    #[inline]
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// Bytes not yet read.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Whether everything has been read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The unread bytes, without consuming them.
    #[inline]
    pub fn peek_rest(&self) -> &'a [u8] {
        self.buf
    }

    /// Consumes and returns `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], ReadError> {
        if n > self.buf.len() {
            return Err(ReadError::Truncated {
                needed: n,
                remaining: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Consumes exactly `N` bytes into an array.
    #[inline]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], ReadError> {
        let s = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// Consumes and returns everything left.
    #[inline]
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    /// Skips `n` bytes.
    #[inline]
    pub fn skip(&mut self, n: usize) -> Result<(), ReadError> {
        self.take(n).map(|_| ())
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self) -> Result<u8, ReadError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    /// Big-endian u16.
    #[inline]
    pub fn u16(&mut self) -> Result<u16, ReadError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Big-endian 24-bit integer.
    #[inline]
    pub fn u24(&mut self) -> Result<u32, ReadError> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// Big-endian u32.
    #[inline]
    pub fn u32(&mut self) -> Result<u32, ReadError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Big-endian 48-bit integer.
    #[inline]
    pub fn u48(&mut self) -> Result<u64, ReadError> {
        let [a, b, c, d, e, f] = self.array()?;
        Ok(u64::from_be_bytes([0, 0, a, b, c, d, e, f]))
    }

    /// Big-endian u64.
    #[inline]
    pub fn u64(&mut self) -> Result<u64, ReadError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A sub-reader over the next `n` bytes, consuming them from this one.
    #[inline]
    pub fn sub(&mut self, n: usize) -> Result<Reader<'a>, ReadError> {
        self.take(n).map(Reader::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_and_reports_truncation() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(r.u24().unwrap(), 0x010203);
        assert_eq!(r.u16().unwrap(), 0x0405);
        assert_eq!(
            r.u32(),
            Err(ReadError::Truncated {
                needed: 4,
                remaining: 2
            })
        );
        // A failed read consumes nothing.
        assert_eq!(r.remaining(), 2);
        assert_eq!(r.u8().unwrap(), 6);
    }
}
