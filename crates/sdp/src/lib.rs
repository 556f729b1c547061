//! # nutshell-sdp: SDP text ⇄ typed model
//!
//! WebRTC peers describe their sessions to each other in SDP (RFC 8866): which media they
//! send and receive, with which codecs, under which ICE credentials and DTLS certificate.
//! JSEP (RFC 8829) fixes how browsers use it. This crate turns that text into a typed model a
//! program can inspect and edit, and back into text.
//!
//! ```
//! use nutshell_sdp::{Attribute, Direction, SessionDescription};
//!
//! let text = "v=0\r\n\
//!     o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n\
//!     s=-\r\n\
//!     t=0 0\r\n\
//!     a=group:BUNDLE 0\r\n\
//!     m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
//!     c=IN IP4 0.0.0.0\r\n\
//!     a=mid:0\r\n\
//!     a=sendrecv\r\n\
//!     a=rtpmap:111 opus/48000/2\r\n\
//!     a=fmtp:111 minptime=10;useinbandfec=1\r\n";
//! let mut sdp = SessionDescription::parse(text)?;
//! let audio = &sdp.media[0];
//! assert_eq!(audio.mid(), Some("0"));
//! assert_eq!(audio.rtpmap(111).unwrap().encoding, "opus");
//! assert_eq!(audio.fmtp(111).unwrap().get("useinbandfec"), Some("1"));
//!
//! // Lossless: a well-formed description is written back byte for byte.
//! assert_eq!(sdp.to_string(), text);
//!
//! // Editing is assigning.
//! sdp.media[0].set_direction(Direction::RecvOnly);
//! sdp.media[0].push(Attribute::RtcpMux);
//! assert!(sdp.to_string().contains("a=recvonly\r\na=rtpmap"));
//! # Ok::<(), nutshell_sdp::Error>(())
//! ```
//!
//! ## Design
//!
//! - **One model, borrowing.** [`SessionDescription<'a>`] holds `Cow<'a, str>` for every piece
//!   of text, borrowed from the input. Parsing therefore allocates only the vectors of the
//!   structure, never the strings, which is what makes it fast; yet the same type is fully
//!   editable, because any field can be replaced by an owned string, and
//!   [`SessionDescription::into_owned`] gives a `SessionDescription<'static>` that outlives the
//!   text. A separate owned twin type would double the API for no gain.
//! - **Typed where it matters, verbatim elsewhere.** Every attribute JSEP and browsers use has
//!   a variant of [`Attribute`] with typed fields (payload types as `u8`, fingerprints as
//!   bytes, candidates fully parsed). Anything else is [`Attribute::Other`], kept in place.
//!   Codec parameters (`a=fmtp`) are the one deliberate exception: SDP treats them as opaque
//!   (RFC 8866 §6.15), so [`Fmtp`] keeps their text and splits it into key/value pairs on
//!   demand ([`Fmtp::params`], [`Fmtp::get`], [`Fmtp::set`]).
//! - **Lossless.** For well-formed input (single spaces between fields, CRLF line ends, lines
//!   in RFC 8866 order, spelled as browsers spell them), `parse(s).to_string() == s`. Input
//!   that is accepted but spelled otherwise (LF line ends, runs of spaces between fields,
//!   lowercase fingerprints, non-canonical IPv6 text) is normalized; for *every*
//!   accepted input, `parse(parse(s).to_string()) == parse(s)`. The few spelling differences
//!   between browsers that matter to an exact round trip are kept as fields
//!   ([`MsidSemantic::space_after_colon`], [`Candidate::transport_uppercase`]).
//! - **Strict on known attributes.** A malformed known attribute (e.g. `a=rtpmap:x`) is an
//!   error naming the line and what was expected, not silently kept: it would otherwise
//!   disappear from the typed view.
//!
//! ## Time, errors, panics
//!
//! No clock, no I/O. Every error is an [`Error`] carrying the 1-based line number and what was
//! expected there. Hostile input is bounded by [`Limits`] (size, line length, line count,
//! media sections), each with its own error. No input can make the parser panic: the crate
//! denies `unwrap`, `expect`, `panic!` and unchecked indexing outside tests, and a fuzz target
//! (`fuzz/fuzz_targets/sdp_parse.rs`) checks the round-trip property on arbitrary bytes.
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

mod attribute;
mod candidate;
mod error;
mod parse;
mod session;
mod text;
mod write;

pub use attribute::{
    Attribute, Direction, Extmap, FeedbackPt, Fingerprint, Fmtp, FmtpParam, Group, HashAlgorithm,
    Msid, MsidSemantic, Rid, RidDirection, Rtcp, RtcpAddress, RtcpFb, Rtpmap, Sctpmap, Setup,
    Simulcast, SimulcastRid, SimulcastStreams, Ssrc, SsrcGroup,
};
pub use candidate::{Address, Candidate, CandidateType, TcpType, Transport};
pub use error::{Error, Limits};
pub use session::{
    Bandwidth, Connection, MediaDescription, MediaKind, Origin, Repeat, SessionDescription,
    TimeUnit, TimeZone, Timing, TypedTime,
};

impl<'a> SessionDescription<'a> {
    /// Parses a description with the default [`Limits`].
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        parse::parse(text, &Limits::default())
    }

    /// Parses a description with the given limits.
    pub fn parse_with_limits(text: &'a str, limits: &Limits) -> Result<Self, Error> {
        parse::parse(text, limits)
    }
}
