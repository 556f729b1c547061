//! # nutshell-rtp: RTP and RTCP packets, sans IO
//!
//! Every audio and video packet of a call, and every report and feedback message about them,
//! passes through this crate, so its parsers are *views*: they check a datagram once and hand
//! out borrowed fields, without copying and without allocating.
//!
//! - [`RtpPacket::parse`] reads an RTP packet (RFC 3550 §5.1): the fixed header, the CSRC list,
//!   the header extension with its RFC 8285 one-byte or two-byte elements ([`Extensions`]),
//!   the payload and the padding. The extensions WebRTC negotiates with `a=extmap` are read by
//!   kind through an [`ExtensionMap`] built from the SDP ([`RtpPacket::mid`],
//!   [`RtpPacket::transport_cc`], …). [`RtpPacketBuilder`] writes a packet into a caller's
//!   `Vec<u8>`, [`bytes::BytesMut`] or `&mut [u8]`, and picks the one-byte or two-byte
//!   extension form by itself.
//! - [`RtcpPackets`] iterates over a compound or reduced-size (RFC 5506) RTCP datagram and
//!   yields typed views ([`RtcpPacket`]): sender and receiver reports, SDES, BYE, APP, generic
//!   NACK, transport-wide congestion control feedback, PLI, FIR, REMB; anything else is
//!   [`RtcpPacket::Unknown`], never an error. Each type has a builder.
//! - [`SeqUnwrapper`] and [`TsUnwrapper`] extend 16-bit sequence numbers and 32-bit timestamps
//!   to 64 bits; [`ReceiveStats`] keeps the RFC 3550 Appendix A receiver statistics that go
//!   into a [`ReportBlock`].
//! - [`payload`] maps encoded media frames onto RTP payloads and back: Opus (RFC 7587),
//!   VP8 (RFC 7741) and H.264 (RFC 6184, packetization mode 1).
//! - [`FrameAssembler`] turns a stream of received RTP packets into whole frames in decode
//!   order, over a bounded reorder window, and reports what is missing (for NACK) and when a
//!   key frame is needed (for PLI).
//!
//! ```
//! use nutshell_rtp::{ExtensionKind, ExtensionMap, RtpPacket, RtpPacketBuilder};
//! # fn main() -> Result<(), nutshell_rtp::Error> {
//! // From the SDP: a=extmap:1 ...transport-wide-cc..., a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
//! let mut map = ExtensionMap::new();
//! map.insert(1, ExtensionKind::TransportCc);
//! map.insert(4, ExtensionKind::Mid);
//!
//! let mut buf = Vec::with_capacity(1500);
//! RtpPacketBuilder::new(111, 7, 960, 0x1234_5678)
//!     .marker(true)
//!     .extension(1, &[0x01, 0x02])
//!     .extension(4, b"0")
//!     .payload(b"opus frame")
//!     .write(&mut buf)?;
//!
//! let packet = RtpPacket::parse(&buf)?;
//! assert_eq!(packet.sequence_number(), 7);
//! assert_eq!(packet.transport_cc(&map), Some(0x0102));
//! assert_eq!(packet.mid(&map), Some("0"));
//! assert_eq!(packet.payload(), b"opus frame");
//! # Ok(()) }
//! ```
//!
//! A compound RTCP datagram is walked packet by packet; each builder appends one packet:
//!
//! ```
//! use nutshell_rtp::{NackBuilder, Pli, RtcpPacket, RtcpPackets};
//! # fn main() -> Result<(), nutshell_rtp::Error> {
//! let mut buf = Vec::new();
//! NackBuilder { sender_ssrc: 1, media_ssrc: 2, lost: &[100, 101, 116] }.write(&mut buf)?;
//! Pli { sender_ssrc: 1, media_ssrc: 2 }.write(&mut buf)?;
//!
//! for packet in RtcpPackets::new(&buf) {
//!     match packet? {
//!         RtcpPacket::Nack(nack) => assert!(nack.lost().eq([100, 101, 116])),
//!         RtcpPacket::Pli(pli) => assert_eq!(pli.media_ssrc, 2),
//!         other => unreachable!("{other:?}"),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! ## Time, errors, panics
//! - **Time:** none is read. [`ReceiveStats`] takes each packet's arrival time as an argument,
//!   already converted to RTP timestamp units by the caller.
//! - **Errors:** every malformed input (truncated, lying lengths, padding larger than the
//!   payload, bad version, zero-length compound parts, malformed extensions or feedback) is a
//!   variant of [`Error`]. Builders return [`Error::Unencodable`] for values the wire format
//!   cannot carry, and leave the caller's buffer as it was.
//! - **Panics:** none on any input; indexing and `unwrap` are denied by lint outside tests, and
//!   the fuzz targets `rtp_parse`, `rtcp_parse`, `depacketize_vp8` and `depacketize_h264`
//!   exercise the parsers.
//! - **Allocation:** parsing never allocates; builders only grow the caller's buffer.
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

mod assembler;
mod ext;
mod feedback;
pub mod payload;
mod rtcp;
mod rtp;
mod stats;
#[cfg(test)]
mod tests_rtcp;
#[cfg(test)]
mod tests_rtp;
mod twcc;

pub use assembler::{
    AssemblerConfig, AssemblerEvent, AssemblerStats, Depacketizer, Frame, FrameAssembler,
    H264Depacketizer, OpusDepacketizer, PacketInfo, Vp8Depacketizer,
};
pub use ext::{
    AudioLevel, ExtensionKind, ExtensionMap, ExtensionValue, PlayoutDelay, VideoOrientation,
};
pub use feedback::{
    Fir, FirBuilder, FirEntry, Nack, NackBuilder, NackPair, Pli, Remb, RembBuilder,
};
pub use rtcp::{
    APP, App, BYE, Bye, ByeBuilder, PSFB, REPORT_BLOCK_LEN, RR, RTPFB, ReceiverReport,
    ReceiverReportBuilder, ReportBlock, ReportBlocks, RtcpPacket, RtcpPackets, SDES, SDES_CNAME,
    SR, Sdes, SdesBuilder, SdesChunk, SdesChunks, SdesItem, SdesItems, SenderReport,
    SenderReportBuilder, Unknown, XR,
};
pub use rtp::{
    Extension, ExtensionForm, Extensions, HEADER_LEN as RTP_HEADER_LEN, HeaderExtension,
    MAX_BUILDER_EXTENSIONS, ONE_BYTE_PROFILE, PacketBuf, RtpPacket, RtpPacketBuilder,
    TWO_BYTE_PROFILE,
};
pub use stats::{
    MAX_DROPOUT, MAX_MISORDER, MIN_SEQUENTIAL, ReceiveStats, SeqUnwrapper, TsUnwrapper,
};
pub use twcc::{
    DELTA_TICK_MICROS, REFERENCE_TICK_MILLIS, TransportCc, TransportCcBuilder, TwccPacket,
    TwccPackets,
};

use proto::ReadError;

/// The RTP and RTCP version, 2 (RFC 3550 §5.1).
pub const VERSION: u8 = 2;

/// What is wrong with an RTP or RTCP packet, or why a builder cannot write one.
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
    /// The version field is not 2.
    #[error("bad version {0}")]
    BadVersion(u8),
    /// The padding count is zero or larger than the bytes it would remove.
    #[error("padding of {padding} bytes but only {available} available")]
    BadPadding {
        /// The count in the last byte.
        padding: u8,
        /// The bytes after the header it could cover.
        available: usize,
    },
    /// An RFC 8285 header extension element is malformed, or a typed extension value has the
    /// wrong length or encoding.
    #[error("bad header extension: {0}")]
    BadExtension(&'static str),
    /// An RTCP packet's length field claims more bytes than the datagram has left.
    #[error("RTCP length field {length} (words) claims {needed} bytes, {remaining} remain")]
    BadLength {
        /// The length field (32-bit words minus one).
        length: u16,
        /// Bytes it claims, header included.
        needed: usize,
        /// Bytes left in the datagram.
        remaining: usize,
    },
    /// An empty datagram.
    #[error("empty RTCP datagram")]
    Empty,
    /// An RTCP packet's body does not match its count field or its type's layout.
    #[error("RTCP packet type {packet_type}: {reason}")]
    BadBody {
        /// The packet type.
        packet_type: u8,
        /// What is wrong.
        reason: &'static str,
    },
    /// A field holds a value its format forbids.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// A builder was given something the wire format cannot carry.
    #[error("cannot encode: {0}")]
    Unencodable(&'static str),
    /// The caller's fixed buffer is shorter than the packet.
    #[error("buffer of {available} bytes too small for {needed}")]
    BufferTooSmall {
        /// The packet's length.
        needed: usize,
        /// The buffer's length.
        available: usize,
    },
}

impl From<ReadError> for Error {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Truncated { needed, remaining } => Error::Truncated { needed, remaining },
            ReadError::Invalid { field } => Error::Malformed(field),
        }
    }
}
