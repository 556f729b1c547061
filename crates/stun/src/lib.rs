//! # nutshell-stun: STUN and TURN messages, sans IO
//!
//! STUN (RFC 8489) is the small binary protocol under ICE's connectivity checks, server-reflexive
//! candidate gathering ("what is my public address?") and TURN relaying (RFC 8656). This crate
//! is only the *codec*: it turns bytes into checked, typed views and typed values into bytes. It
//! owns no sockets, reads no clock and draws no random numbers; the transaction id of a new
//! request comes from the caller.
//!
//! ## A message on the wire
//! Every STUN message is a 20-byte header (type, body length, the magic cookie `0x2112A442`,
//! a 96-bit transaction id) followed by attributes, each a type-length-value padded to four
//! bytes. The type packs a *method* (Binding, Allocate, …) and a *class* (request, indication,
//! success or error response). Attributes below `0x8000` are comprehension-required: a server
//! that does not know one must answer 420 with UNKNOWN-ATTRIBUTES, which
//! [`Message::unknown_required`] lists.
//!
//! ## Decoding: a view, not a copy
//! [`Message::decode`] checks the header and walks every attribute once (lengths, padding, the
//! rules about what may follow MESSAGE-INTEGRITY and FINGERPRINT), verifies FINGERPRINT, and
//! returns a [`Message`] that borrows the datagram. Attributes are read lazily through
//! [`Message::attributes`] (raw) or [`Message::typed`] / [`Message::get`] (as [`Attribute`]).
//! [`Message::verify`] checks MESSAGE-INTEGRITY (HMAC-SHA1) or MESSAGE-INTEGRITY-SHA256 by
//! feeding the received bytes to the HMAC in place, with the length field adjusted as the RFC
//! requires; a [`Key`] holds the HMAC state already keyed, so a check costs only the hashing
//! of the message.
//!
//! ```
//! use nutshell_stun::{Attribute, Class, Encoder, Key, Message, MessageType, TransactionId, types};
//! # fn main() -> Result<(), nutshell_stun::Error> {
//! // An ICE connectivity check, as a controlling agent sends it (RFC 8445 §7.1).
//! let key = Key::short_term("remote-password");
//! let mut buf = Vec::with_capacity(1500);
//! let mut enc = Encoder::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId([1; 12]));
//! enc.add(&Attribute::Username("remote:local"))?;
//! enc.add(&Attribute::Priority(1_853_824_767))?;
//! enc.add(&Attribute::IceControlling(0x1234))?;
//! enc.add(&Attribute::UseCandidate)?;
//! enc.add_integrity(&key);
//! enc.add_fingerprint();
//! let len = enc.finish();
//!
//! // The receiving agent: decode (checks FINGERPRINT), then verify MESSAGE-INTEGRITY.
//! let msg = Message::decode(&buf[..len])?;
//! assert_eq!(msg.class(), Class::Request);
//! msg.verify(&key)?;
//! assert_eq!(msg.get(types::PRIORITY), Some(Ok(Attribute::Priority(1_853_824_767))));
//! assert_eq!(msg.unknown_required().count(), 0);
//! # Ok(()) }
//! ```
//!
//! ## Encoding: into your buffer
//! [`Encoder`] appends one message to a caller-owned `Vec<u8>` and back-patches the lengths
//! after each attribute; MESSAGE-INTEGRITY and FINGERPRINT are computed over what was written.
//! Reusing the buffer means no allocation per message.
//!
//! ## Demultiplexing and framing
//! [`is_stun`] tells a STUN message from DTLS, RTP and ChannelData sharing a 5-tuple
//! (RFC 7983); [`is_channel_data`] recognises TURN [`ChannelData`]. [`frame_len`] gives the
//! length of the STUN message or ChannelData at the head of a TCP stream (RFC 8489 §6.2.2,
//! RFC 8656 §12.5).
//!
//! ## Time, errors, panics
//! - **Time:** none. Retransmission timers belong to the client transactions of the crates that
//!   send requests.
//! - **Errors:** every malformed input (truncated, bad length, bad padding, lying attribute
//!   lengths, wrong cookie, bad fingerprint, bad integrity, bad attribute values) is a variant of
//!   [`Error`], so a server can tell "answer 400" (the header was fine, see [`Header::decode`])
//!   from "drop silently".
//! - **Panics:** none on any input; indexing and `unwrap` are denied by lint outside tests, and
//!   the fuzz targets `stun_decode` and `channel_data` exercise the decoders.
//! - **Credentials:** passwords must already be prepared with OpaqueString/SASLprep; `Key`'s
//!   `Debug` and `Error`'s `Display` never print secrets.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod attr;
mod channel;
mod key;
mod message;

pub use attr::{
    AddressFamily, Attribute, PasswordAlgorithm, PasswordAlgorithms, UnknownAttributes,
    is_comprehension_required, is_known, types,
};
pub use channel::ChannelData;
pub use key::Key;
pub use message::{
    Attributes, Class, Encoder, Header, Message, MessageType, Method, RawAttribute, TransactionId,
};

use proto::ReadError;

/// The magic cookie, `0x2112A442` (RFC 8489 §5).
pub const MAGIC_COOKIE: u32 = 0x2112_A442;

/// Length of the STUN header.
pub const HEADER_LEN: usize = 20;

/// The value XORed into the CRC-32 of FINGERPRINT (RFC 8489 §14.7).
pub const FINGERPRINT_XOR: u32 = 0x5354_554E;

/// What is wrong with a STUN or ChannelData message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ends before a header or field does.
    #[error("truncated: needed {needed} bytes, {remaining} remain")]
    Truncated {
        /// Bytes the read needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// The two top bits of the first byte are not zero, so this is not STUN.
    #[error("not a STUN message")]
    NotStun,
    /// The magic cookie is wrong (an RFC 3489 message, or not STUN at all).
    #[error("wrong magic cookie {0:#010x}")]
    BadCookie(u32),
    /// The length in the header is not a multiple of four or disagrees with the bytes present
    /// (for ChannelData: more bytes follow the data than padding).
    #[error("length field {length} does not fit the {actual} bytes present")]
    BadLength {
        /// The length field.
        length: u16,
        /// The bytes actually present after the header.
        actual: usize,
    },
    /// An attribute claims more bytes than the message has left.
    #[error("attribute {typ:#06x} claims {length} bytes, {remaining} remain")]
    AttributeOverflow {
        /// Attribute type.
        typ: u16,
        /// Its length field.
        length: u16,
        /// Bytes left in the message.
        remaining: usize,
    },
    /// An attribute's value fits but its padding to four bytes does not.
    #[error("attribute {typ:#06x} lacks its padding")]
    BadPadding {
        /// Attribute type.
        typ: u16,
    },
    /// An attribute's value is malformed (wrong length, unknown family, bad UTF-8, …).
    #[error("invalid attribute {typ:#06x}: {reason}")]
    InvalidAttribute {
        /// Attribute type.
        typ: u16,
        /// What is wrong.
        reason: &'static str,
    },
    /// Something follows FINGERPRINT, which must be last.
    #[error("attribute {typ:#06x} follows FINGERPRINT")]
    AttributeAfterFingerprint {
        /// Type of the attribute that follows.
        typ: u16,
    },
    /// FINGERPRINT does not match the message.
    #[error("FINGERPRINT mismatch")]
    BadFingerprint,
    /// Verification was asked for but the message has no integrity attribute.
    #[error("no MESSAGE-INTEGRITY")]
    NoIntegrity,
    /// MESSAGE-INTEGRITY(-SHA256) does not match under the given key.
    #[error("MESSAGE-INTEGRITY mismatch")]
    BadIntegrity,
    /// A value (or the message) is too long for its 16-bit length field.
    #[error("value of {length} bytes does not fit a 16-bit length")]
    ValueTooLong {
        /// The length that did not fit.
        length: usize,
    },
    /// A ChannelData channel number outside 0x4000..=0x4FFF.
    #[error("invalid channel number {0:#06x}")]
    BadChannelNumber(u16),
}

impl From<ReadError> for Error {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Truncated { needed, remaining } => Error::Truncated { needed, remaining },
            ReadError::Invalid { field } => Error::InvalidAttribute {
                typ: 0,
                reason: field,
            },
        }
    }
}

/// Whether `buf` looks like a STUN message, for demultiplexing (RFC 7983 §7): at least a
/// header, a first byte in 0..=3 (so methods up to 0xFF), the magic cookie, and a body length
/// that is a multiple of four. Cheap; does not look at attributes.
pub fn is_stun(buf: &[u8]) -> bool {
    match buf {
        [b0, _, l0, l1, c0, c1, c2, c3, ..] if buf.len() >= HEADER_LEN => {
            *b0 <= 3
                && u32::from_be_bytes([*c0, *c1, *c2, *c3]) == MAGIC_COOKIE
                && u16::from_be_bytes([*l0, *l1]) % 4 == 0
        }
        _ => false,
    }
}

/// Whether `buf` looks like TURN ChannelData: first byte 64..=79 (RFC 7983 §7) and at least the
/// 4-byte header.
pub fn is_channel_data(buf: &[u8]) -> bool {
    matches!(buf, [64..=79, _, _, _, ..])
}

/// Length of the STUN message or ChannelData message at the head of a TCP stream, including
/// ChannelData padding (RFC 8489 §6.2.2, RFC 8656 §12.5). Needs the first four bytes;
/// `Err(Truncated)` if fewer are there, `Err(NotStun)` if the stream holds neither.
pub fn frame_len(head: &[u8]) -> Result<usize, Error> {
    match head {
        [b0, _, l0, l1, ..] => {
            let len = usize::from(u16::from_be_bytes([*l0, *l1]));
            match b0 >> 6 {
                0 => Ok(HEADER_LEN + len),
                1 => Ok(4 + attr::pad4(len)),
                _ => Err(Error::NotStun),
            }
        }
        _ => Err(Error::Truncated {
            needed: 4,
            remaining: head.len(),
        }),
    }
}

#[cfg(test)]
mod tests;
