//! TURN ChannelData framing (RFC 8656 §12.4).

use proto::Reader;

use crate::Error;
use crate::attr::pad4;

/// A ChannelData message: application data relayed over a bound channel, with a 4-byte header
/// instead of a STUN message (RFC 8656 §12.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    /// Channel number, 0x4000..=0x4FFF.
    pub channel: u16,
    /// The application data, borrowed.
    pub data: &'a [u8],
}

impl<'a> ChannelData<'a> {
    /// Lowest valid channel number.
    pub const MIN_CHANNEL: u16 = 0x4000;
    /// Highest valid channel number.
    pub const MAX_CHANNEL: u16 = 0x4FFF;

    /// Decodes one ChannelData message. Padding to a multiple of four after the data is
    /// accepted (required over TCP, optional over UDP); any other trailing byte is an error.
    pub fn decode(buf: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(buf);
        let channel = r.u16()?;
        if !(Self::MIN_CHANNEL..=Self::MAX_CHANNEL).contains(&channel) {
            return Err(Error::BadChannelNumber(channel));
        }
        let length = r.u16()?;
        let data = r.take(usize::from(length))?;
        let rest = r.remaining();
        if rest > pad4(data.len()) - data.len() {
            return Err(Error::BadLength {
                length,
                actual: buf.len() - 4,
            });
        }
        Ok(ChannelData { channel, data })
    }

    /// Appends the message to `out`, padded to a multiple of four if `pad` (do so over TCP).
    /// Returns the number of bytes written.
    pub fn encode(&self, out: &mut Vec<u8>, pad: bool) -> Result<usize, Error> {
        if !(Self::MIN_CHANNEL..=Self::MAX_CHANNEL).contains(&self.channel) {
            return Err(Error::BadChannelNumber(self.channel));
        }
        let length = u16::try_from(self.data.len()).map_err(|_| Error::ValueTooLong {
            length: self.data.len(),
        })?;
        let start = out.len();
        out.extend_from_slice(&self.channel.to_be_bytes());
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(self.data);
        if pad {
            out.resize(out.len() + pad4(self.data.len()) - self.data.len(), 0);
        }
        Ok(out.len() - start)
    }
}
