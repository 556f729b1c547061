//! The DTLS record layer: borrowed record views, the record header writer and the anti-replay
//! window (RFC 6347 §4.1).
//!
//! ```text
//! struct {
//!     ContentType type;           // 1 byte
//!     ProtocolVersion version;    // 2 bytes, 0xFEFD for DTLS 1.2
//!     uint16 epoch;
//!     uint48 sequence_number;
//!     uint16 length;
//!     opaque fragment[length];
//! } DTLSPlaintext;                // RFC 6347 §4.1
//! ```

use proto::Reader;

use crate::Error;

/// Length of a DTLS record header (RFC 6347 §4.1).
pub const RECORD_HEADER_LEN: usize = 13;

/// Largest record fragment accepted: 2^14 plus 2048 bytes of expansion (RFC 5246 §6.2.3).
pub const MAX_RECORD_FRAGMENT: usize = (1 << 14) + 2048;

/// Largest record sequence number (48 bits, RFC 6347 §4.1).
pub const MAX_SEQUENCE: u64 = (1 << 48) - 1;

/// DTLS 1.0 version (0xFEFF); ClientHello records and HelloVerifyRequest may carry it
/// (RFC 6347 §4.2.1).
pub const DTLS_1_0: u16 = 0xFEFF;
/// DTLS 1.2 version (0xFEFD, RFC 6347 §4.1).
pub const DTLS_1_2: u16 = 0xFEFD;

/// A record's content type (RFC 5246 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// change_cipher_spec(20).
    ChangeCipherSpec,
    /// alert(21).
    Alert,
    /// handshake(22).
    Handshake,
    /// application_data(23).
    ApplicationData,
    /// Anything else (tls12_cid(25), heartbeat(24), …): ignored by the endpoint.
    Other(u8),
}

impl ContentType {
    /// From the wire value.
    pub fn from_u8(v: u8) -> Self {
        match v {
            20 => ContentType::ChangeCipherSpec,
            21 => ContentType::Alert,
            22 => ContentType::Handshake,
            23 => ContentType::ApplicationData,
            v => ContentType::Other(v),
        }
    }

    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            ContentType::ChangeCipherSpec => 20,
            ContentType::Alert => 21,
            ContentType::Handshake => 22,
            ContentType::ApplicationData => 23,
            ContentType::Other(v) => v,
        }
    }
}

/// A record borrowed from a datagram (RFC 6347 §4.1). The fragment is still protected if the
/// epoch is not 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Content type.
    pub content_type: ContentType,
    /// Record-layer version.
    pub version: u16,
    /// Epoch: 0 before the first ChangeCipherSpec, 1 after it.
    pub epoch: u16,
    /// 48-bit sequence number within the epoch.
    pub sequence: u64,
    /// The fragment (ciphertext when the epoch is protected).
    pub fragment: &'a [u8],
}

impl<'a> Record<'a> {
    /// Parses one record from the head of `buf`, returning it and the bytes after it.
    ///
    /// Errors: [`Error::Truncated`] when the header or fragment is cut short,
    /// [`Error::Invalid`] for a version that is not DTLS (major byte 0xFE),
    /// [`Error::RecordOverflow`] for a length over [`MAX_RECORD_FRAGMENT`].
    pub fn parse(buf: &'a [u8]) -> Result<(Record<'a>, &'a [u8]), Error> {
        let mut r = Reader::new(buf);
        let content_type = ContentType::from_u8(r.u8()?);
        let version = r.u16()?;
        if version >> 8 != 0xFE {
            return Err(Error::Invalid {
                field: "record version",
            });
        }
        let epoch = r.u16()?;
        let sequence = r.u48()?;
        let length = usize::from(r.u16()?);
        if length > MAX_RECORD_FRAGMENT {
            return Err(Error::RecordOverflow(length));
        }
        let fragment = r.take(length)?;
        Ok((
            Record {
                content_type,
                version,
                epoch,
                sequence,
                fragment,
            },
            r.rest(),
        ))
    }

    /// The records of a datagram, in order. Iteration stops after the first error (the rest of
    /// the datagram cannot be framed).
    pub fn iter(datagram: &'a [u8]) -> Records<'a> {
        Records { rest: datagram }
    }
}

/// Iterator over the records of a datagram; see [`Record::iter`].
#[derive(Debug, Clone)]
pub struct Records<'a> {
    rest: &'a [u8],
}

impl<'a> Records<'a> {
    /// The unparsed tail and the offset where it starts are not needed by callers; this gives
    /// the number of bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Record::parse(self.rest) {
            Ok((rec, rest)) => {
                self.rest = rest;
                Some(Ok(rec))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Appends a record header with a zero length to `out` and returns the offset of the
/// fragment; write the fragment, then call [`finish_record`] (RFC 6347 §4.1).
pub fn start_record(
    out: &mut Vec<u8>,
    content_type: ContentType,
    version: u16,
    epoch: u16,
    sequence: u64,
) -> usize {
    out.push(content_type.to_u8());
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    out.extend_from_slice(&(sequence & MAX_SEQUENCE).to_be_bytes()[2..]);
    out.extend_from_slice(&[0, 0]);
    out.len()
}

/// Back-patches the length of the record whose fragment starts at `start` (as returned by
/// [`start_record`]) to cover everything written after it.
pub fn finish_record(out: &mut [u8], start: usize) -> Result<(), Error> {
    let len = out.len().saturating_sub(start);
    if len > MAX_RECORD_FRAGMENT {
        return Err(Error::RecordOverflow(len));
    }
    let len = (len as u16).to_be_bytes();
    match out.get_mut(start.wrapping_sub(2)..start) {
        Some(slot) if start >= 2 => {
            slot.copy_from_slice(&len);
            Ok(())
        }
        _ => Err(Error::Invalid {
            field: "record start",
        }),
    }
}

/// Writes a whole unprotected record.
pub fn write_record(
    out: &mut Vec<u8>,
    content_type: ContentType,
    version: u16,
    epoch: u16,
    sequence: u64,
    fragment: &[u8],
) -> Result<(), Error> {
    let start = start_record(out, content_type, version, epoch, sequence);
    out.extend_from_slice(fragment);
    finish_record(out, start)
}

/// The sliding anti-replay window of RFC 6347 §4.1.2.6: a 64-record bitmap behind the highest
/// sequence number seen. Sequence numbers are marked only after the record authenticated.
#[derive(Debug, Clone, Default)]
pub struct ReplayWindow {
    /// Highest sequence number accepted so far (valid when `any`).
    top: u64,
    /// Bit i set: `top - i` was accepted.
    bits: u64,
    any: bool,
}

impl ReplayWindow {
    /// Width of the window in records.
    pub const WIDTH: u64 = 64;

    /// An empty window.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a record with this sequence number may be new: newer than the window, or inside
    /// it and not yet seen. Records older than the window are rejected.
    pub fn check(&self, seq: u64) -> bool {
        if !self.any || seq > self.top {
            return true;
        }
        let age = self.top - seq;
        age < Self::WIDTH && self.bits & (1u64 << age) == 0
    }

    /// Marks `seq` as received (call after the record authenticated).
    pub fn mark(&mut self, seq: u64) {
        if !self.any {
            self.any = true;
            self.top = seq;
            self.bits = 1;
        } else if seq > self.top {
            let shift = seq - self.top;
            self.bits = if shift >= Self::WIDTH {
                0
            } else {
                self.bits << shift
            };
            self.bits |= 1;
            self.top = seq;
        } else {
            let age = self.top - seq;
            if age < Self::WIDTH {
                self.bits |= 1u64 << age;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_parses_byte_exact() {
        let mut out = Vec::new();
        write_record(
            &mut out,
            ContentType::Handshake,
            DTLS_1_2,
            1,
            0x0102_0304_0506,
            b"abc",
        )
        .unwrap();
        assert_eq!(
            out,
            [
                22, 0xFE, 0xFD, 0, 1, 1, 2, 3, 4, 5, 6, 0, 3, b'a', b'b', b'c'
            ]
        );
        out.extend_from_slice(&out.clone());
        let recs: Vec<_> = Record::iter(&out).collect::<Result<_, _>>().unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].epoch, 1);
        assert_eq!(recs[0].sequence, 0x0102_0304_0506);
        assert_eq!(recs[1].fragment, b"abc");
    }

    #[test]
    fn rejects_bad_records() {
        assert!(matches!(
            Record::parse(&[22, 0xFE, 0xFD, 0, 0]),
            Err(Error::Truncated { .. })
        ));
        assert_eq!(
            Record::parse(&[22, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err(),
            Error::Invalid {
                field: "record version"
            }
        );
        assert_eq!(
            Record::parse(&[22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]).unwrap_err(),
            Error::RecordOverflow(0xFFFF)
        );
        // Length past the end.
        assert!(matches!(
            Record::parse(&[22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1]),
            Err(Error::Truncated { .. })
        ));
        let mut it = Record::iter(&[22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
    }

    #[test]
    fn replay_window() {
        let mut w = ReplayWindow::new();
        assert!(w.check(5));
        w.mark(5);
        assert!(!w.check(5));
        assert!(w.check(4));
        assert!(w.check(6));
        w.mark(100);
        assert!(!w.check(5), "fell out of the window");
        assert!(w.check(37));
        assert!(!w.check(36));
        w.mark(37);
        assert!(!w.check(37));
        assert!(w.check(99));
        w.mark(99);
        assert!(!w.check(99));
        assert!(!w.check(100));
    }
}
