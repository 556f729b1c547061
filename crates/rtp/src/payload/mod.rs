//! RTP payload formats: how one encoded media frame maps onto RTP payloads and back.
//!
//! - [`opus`]: RFC 7587, one Opus packet per RTP payload, carried as is.
//! - [`vp8`]: RFC 7741, a payload descriptor in front of each fragment of a VP8 frame.
//!
//! Packetizers write into a caller's buffers; depacketizers are borrowed views that never
//! allocate and never panic, whatever the input.

pub mod opus;
pub mod vp8;

/// Why a frame cannot be packetized or a payload cannot be depacketized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The frame or payload is empty.
    #[error("empty frame or payload")]
    Empty,
    /// The frame does not fit in one payload of at most `mtu` bytes.
    #[error("frame of {len} bytes exceeds the MTU of {mtu} bytes")]
    TooLarge {
        /// The frame's length.
        len: usize,
        /// The configured maximum payload size.
        mtu: usize,
    },
    /// The MTU leaves no room for media after the payload descriptor.
    #[error("MTU of {0} bytes leaves no room for media")]
    MtuTooSmall(usize),
    /// The payload ends inside the payload descriptor, or has no media after it.
    #[error("truncated payload descriptor")]
    Truncated,
    /// The payload descriptor holds values RFC 7741 forbids.
    #[error("bad payload descriptor: {0}")]
    BadDescriptor(&'static str),
}
