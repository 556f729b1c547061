//! RTP payload formats: how one encoded media frame maps onto RTP payloads and back.
//!
//! - [`h264`]: RFC 6184 packetization mode 1, single NAL unit packets, STAP-A aggregation
//!   and FU-A fragmentation of H.264 NAL units.
//! - [`opus`]: RFC 7587, one Opus packet per RTP payload, carried as is.
//! - [`vp8`]: RFC 7741, a payload descriptor in front of each fragment of a VP8 frame.
//!
//! Packetizers write into a caller's buffers; depacketizers are borrowed views that never
//! allocate and never panic, whatever the input.

pub mod h264;
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
    /// An H.264 access unit given in Annex B form does not begin with a start code.
    #[error("access unit does not begin with an Annex B start code")]
    NoStartCode,
    /// An H.264 payload header or NAL unit header has F (`forbidden_zero_bit`) set
    /// (RFC 6184 §5.3).
    #[error("F (forbidden_zero_bit) set in an H.264 NAL unit header")]
    ForbiddenBit,
    /// An H.264 payload structure that packetization mode 1 does not allow: STAP-B, MTAP16,
    /// MTAP24 or FU-B (RFC 6184 §6.3).
    #[error("H.264 payload type {0} is not allowed in packetization mode 1")]
    UnsupportedNalType(u8),
    /// An H.264 NAL unit type that is reserved (0, 30, 31; RFC 6184 §5.2) or cannot appear
    /// where it is: inside a STAP-A or an FU-A, or given to the packetizer.
    #[error("H.264 NAL unit type {0} is reserved or misplaced")]
    BadNalType(u8),
    /// An H.264 STAP-A is malformed (RFC 6184 §5.7.1).
    #[error("bad STAP-A: {0}")]
    BadAggregate(&'static str),
    /// An H.264 FU-A is malformed (RFC 6184 §5.8).
    #[error("bad FU-A: {0}")]
    BadFragment(&'static str),
}
