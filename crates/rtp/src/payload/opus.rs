//! Opus over RTP (RFC 7587): each RTP payload carries exactly one Opus packet (RFC 7587 §4.2),
//! with no payload header, so packetizing and depacketizing only check the length.

use super::Error;

/// Turns encoded Opus frames into RTP payloads (RFC 7587 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusPacketizer {
    /// The largest payload, in bytes, this packetizer accepts.
    pub mtu: usize,
}

impl OpusPacketizer {
    /// A packetizer that rejects frames longer than `mtu` bytes.
    pub fn new(mtu: usize) -> Self {
        Self { mtu }
    }

    /// The payload for one encoded Opus frame: the frame itself.
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty frame, [`Error::TooLarge`] for one longer than the MTU.
    pub fn packetize<'a>(&self, frame: &'a [u8]) -> Result<&'a [u8], Error> {
        if frame.is_empty() {
            return Err(Error::Empty);
        }
        if frame.len() > self.mtu {
            return Err(Error::TooLarge {
                len: frame.len(),
                mtu: self.mtu,
            });
        }
        Ok(frame)
    }
}

/// The Opus frame carried by an RTP payload (RFC 7587 §4.2).
///
/// # Errors
/// [`Error::Empty`] for an empty payload.
pub fn depacketize(payload: &[u8]) -> Result<&[u8], Error> {
    if payload.is_empty() {
        return Err(Error::Empty);
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_is_the_payload() {
        let p = OpusPacketizer::new(1200);
        let frame = [0x78, 0x01, 0x02];
        assert_eq!(p.packetize(&frame), Ok(&frame[..]));
        assert_eq!(depacketize(&frame), Ok(&frame[..]));
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(OpusPacketizer::new(1200).packetize(&[]), Err(Error::Empty));
        assert_eq!(depacketize(&[]), Err(Error::Empty));
    }

    #[test]
    fn rejects_larger_than_mtu() {
        let p = OpusPacketizer::new(4);
        assert!(p.packetize(&[0; 4]).is_ok());
        assert_eq!(
            p.packetize(&[0; 5]),
            Err(Error::TooLarge { len: 5, mtu: 4 })
        );
    }
}
