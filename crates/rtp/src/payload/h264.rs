//! H.264 over RTP (RFC 6184), packetization mode 1 (non-interleaved, RFC 6184 §6.3).
//!
//! Every RTP payload starts with a one-byte header shaped like a NAL unit header
//! (RFC 6184 §5.3):
//!
//! ```text
//!      +---------------+
//!      |0|1|2|3|4|5|6|7|
//!      +-+-+-+-+-+-+-+-+
//!      |F|NRI|  Type   |
//!      +---------------+
//! ```
//!
//! Its type says which of the three payload structures mode 1 allows follows (RFC 6184 §5.4):
//! - 1..=23: a *single NAL unit packet* (§5.6), the NAL unit as it is;
//! - 24: a *STAP-A* (§5.7.1), several NAL units each behind a 16-bit size;
//! - 28: an *FU-A* (§5.8), one fragment of a NAL unit too large for one packet.
//!
//! [`H264Payload::parse`] reads a payload as a borrowed view and
//! [`H264Payload::append_annex_b`] turns it back into the Annex B byte stream decoders eat;
//! [`H264Packetizer`] splits an access unit into payloads that each fit an MTU.
//!
//! ```
//! use nutshell_rtp::payload::h264::{H264Packetizer, H264Payload};
//! # fn main() -> Result<(), nutshell_rtp::payload::Error> {
//! // An access unit in Annex B form: SPS, PPS and an IDR slice.
//! let au = [
//!     0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, // SPS
//!     0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, // PPS
//!     0, 0, 1, 0x65, 0x88, 0x84, 0x21, 0xa0, // IDR
//! ];
//! let mut payloads = Vec::new();
//! H264Packetizer::new(1200).packetize(&au, &mut payloads)?;
//! assert_eq!(payloads.len(), 1); // all three in one STAP-A
//!
//! let mut annex_b = Vec::new();
//! for p in &payloads {
//!     let payload = H264Payload::parse(p)?;
//!     assert!(payload.is_keyframe() && payload.starts_frame());
//!     payload.append_annex_b(&mut annex_b);
//! }
//! // Back in Annex B form, each NAL unit behind a four-byte start code.
//! assert_eq!(annex_b.len(), au.len() + 1);
//! # Ok(()) }
//! ```
//!
//! # Decisions where RFC 6184 leaves a choice
//! - **F bit.** A payload header or aggregated NAL unit header with F = 1 (the H.264
//!   `forbidden_zero_bit`, §5.3) is rejected with [`Error::ForbiddenBit`], and the packetizer
//!   refuses such NAL units: §5.3 lets a network element set F to flag bit errors, which no
//!   WebRTC peer does, and a decoder could not use such a NAL unit anyway.
//! - **Mode 1 only.** STAP-B, MTAP16, MTAP24 and FU-B (types 25, 26, 27, 29) belong to the
//!   interleaved mode and are rejected with [`Error::UnsupportedNalType`]; the reserved types
//!   0, 30 and 31, and aggregation or fragmentation types inside a STAP-A or an FU-A, with
//!   [`Error::BadNalType`].
//! - **Access unit delimiters and filler data** (NAL types 9 and 12) are dropped by the
//!   packetizer by default ([`H264Packetizer::drop_aud_and_filler`]): the RTP timestamp and
//!   marker bit already delimit access units (§5.1), filler only costs bandwidth, and browsers
//!   do not send them.
//! - **Empty FU-A payloads** are accepted, as §5.8 allows; an FU-A with both S and E set is
//!   not (§5.8: MUST NOT).
//! - **STAP-A NRI.** §5.7 asks senders to put the largest NRI of the aggregated NAL units in
//!   the STAP-A header; the packetizer does, the parser does not check it.

use super::Error;

/// NAL unit type of a coded slice of a non-IDR picture (H.264 Table 7-1).
pub const NAL_SLICE: u8 = 1;
/// NAL unit type of a coded slice data partition A (H.264 Table 7-1).
pub const NAL_SLICE_DPA: u8 = 2;
/// NAL unit type of a coded slice of an IDR picture: a keyframe (H.264 Table 7-1).
pub const NAL_IDR: u8 = 5;
/// NAL unit type of supplemental enhancement information (H.264 Table 7-1).
pub const NAL_SEI: u8 = 6;
/// NAL unit type of a sequence parameter set (H.264 Table 7-1).
pub const NAL_SPS: u8 = 7;
/// NAL unit type of a picture parameter set (H.264 Table 7-1).
pub const NAL_PPS: u8 = 8;
/// NAL unit type of an access unit delimiter (H.264 Table 7-1).
pub const NAL_AUD: u8 = 9;
/// NAL unit type of filler data (H.264 Table 7-1).
pub const NAL_FILLER: u8 = 12;
/// Payload type of a single-time aggregation packet without DON (RFC 6184 §5.7.1).
pub const STAP_A: u8 = 24;
/// Payload type of a single-time aggregation packet with DON (RFC 6184 §5.7.1); not in mode 1.
pub const STAP_B: u8 = 25;
/// Payload type of a multi-time aggregation packet with 16-bit offsets (RFC 6184 §5.7.2); not
/// in mode 1.
pub const MTAP16: u8 = 26;
/// Payload type of a multi-time aggregation packet with 24-bit offsets (RFC 6184 §5.7.2); not
/// in mode 1.
pub const MTAP24: u8 = 27;
/// Payload type of a fragmentation unit without DON (RFC 6184 §5.8).
pub const FU_A: u8 = 28;
/// Payload type of a fragmentation unit with DON (RFC 6184 §5.8); not in mode 1.
pub const FU_B: u8 = 29;

/// The four-byte start code [`H264Payload::append_annex_b`] writes before each NAL unit
/// (H.264 Annex B, `zero_byte` + `start_code_prefix_one_3bytes`).
pub const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// Bytes of an FU-A's FU indicator and FU header (RFC 6184 §5.8).
pub const FU_A_HEADER_LEN: usize = 2;

const F: u8 = 0x80;
const NRI_MASK: u8 = 0x60;
const TYPE_MASK: u8 = 0x1f;
const FU_S: u8 = 0x80;
const FU_E: u8 = 0x40;

/// A NAL unit header octet, or an RTP payload header of the same shape (RFC 6184 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NalHeader(pub u8);

impl NalHeader {
    /// F: the `forbidden_zero_bit`; 1 means the NAL unit may contain errors (RFC 6184 §5.3).
    pub fn forbidden(self) -> bool {
        self.0 & F != 0
    }

    /// NRI (0..=3): `nal_ref_idc`, 0 when the NAL unit is not used for reference
    /// (RFC 6184 §5.3).
    pub fn nri(self) -> u8 {
        (self.0 & NRI_MASK) >> 5
    }

    /// Type (0..=31): `nal_unit_type`, or one of the RTP payload structures 24..=29
    /// (RFC 6184 §5.2, Table 1).
    pub fn nal_type(self) -> u8 {
        self.0 & TYPE_MASK
    }
}

/// Whether `t` is a NAL unit type H.264 defines (1..=23) and so can be carried as such
/// (RFC 6184 §5.2).
fn is_nal_type(t: u8) -> bool {
    (1..=23).contains(&t)
}

/// Whether a NAL unit of type `t` can only begin an access unit, or is a slice whose
/// `first_mb_in_slice` (the first `ue(v)` after the header, H.264 §7.3.3) is 0 when
/// `first_body_byte` has its top bit set (H.264 §7.4.1.2.3).
fn nal_starts_access_unit(t: u8, first_body_byte: Option<u8>) -> bool {
    match t {
        NAL_SLICE | NAL_SLICE_DPA | NAL_IDR => first_body_byte.is_some_and(|b| b & 0x80 != 0),
        NAL_SEI | NAL_SPS | NAL_PPS | NAL_AUD | 14..=18 => true,
        _ => false,
    }
}

/// One whole NAL unit inside a payload: its header octet and the bytes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nal<'a> {
    header: NalHeader,
    bytes: &'a [u8],
}

impl<'a> Nal<'a> {
    /// The NAL unit header.
    pub fn header(&self) -> NalHeader {
        self.header
    }

    /// The NAL unit type (1..=23 for every `Nal` a parse hands out).
    pub fn nal_type(&self) -> u8 {
        self.header.nal_type()
    }

    /// The whole NAL unit, header octet included; never empty.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    fn starts_access_unit(&self) -> bool {
        nal_starts_access_unit(self.nal_type(), self.bytes.get(1).copied())
    }
}

/// A single-time aggregation packet without DON (RFC 6184 §5.7.1): NAL units of one access
/// unit, each behind a 16-bit size. Checked when parsed, so iterating cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StapA<'a> {
    header: NalHeader,
    units: &'a [u8],
    count: usize,
}

impl<'a> StapA<'a> {
    /// The STAP-A header (type 24; NRI the largest of the NAL units', F their OR).
    pub fn header(&self) -> NalHeader {
        self.header
    }

    /// How many NAL units it aggregates; at least one.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Always `false`: a STAP-A without NAL units is rejected by the parser.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The aggregated NAL units, in order.
    pub fn nals(&self) -> StapANals<'a> {
        StapANals { rest: self.units }
    }
}

/// Iterator over the NAL units of a [`StapA`].
#[derive(Debug, Clone)]
pub struct StapANals<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for StapANals<'a> {
    type Item = Nal<'a>;

    fn next(&mut self) -> Option<Nal<'a>> {
        // The parse checked every size; a failed `get` only ends the iteration early.
        let (size, tail) = self.rest.split_first_chunk::<2>()?;
        let size = usize::from(u16::from_be_bytes(*size));
        let bytes = tail.get(..size)?;
        let header = NalHeader(*bytes.first()?);
        self.rest = tail.get(size..)?;
        Some(Nal { header, bytes })
    }
}

/// One fragment of a NAL unit (RFC 6184 §5.8, FU-A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuA<'a> {
    /// The FU indicator: F and NRI of the fragmented NAL unit, type 28.
    pub indicator: NalHeader,
    /// S: this fragment starts the NAL unit.
    pub start: bool,
    /// E: this fragment ends the NAL unit.
    pub end: bool,
    /// The fragmented NAL unit's type (1..=23).
    pub nal_type: u8,
    /// The fragment: bytes of the NAL unit after its header octet; may be empty (§5.8).
    pub payload: &'a [u8],
}

impl FuA<'_> {
    /// The fragmented NAL unit's header, rebuilt from the FU indicator's F and NRI and the
    /// FU header's type (RFC 6184 §5.8).
    pub fn nal_header(&self) -> NalHeader {
        NalHeader((self.indicator.0 & (F | NRI_MASK)) | self.nal_type)
    }
}

/// A parsed H.264 RTP payload in packetization mode 1 (RFC 6184 §5.4, §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum H264Payload<'a> {
    /// A single NAL unit packet (RFC 6184 §5.6): the payload is one NAL unit.
    Single(Nal<'a>),
    /// A single-time aggregation packet (RFC 6184 §5.7.1).
    StapA(StapA<'a>),
    /// A fragmentation unit (RFC 6184 §5.8).
    FuA(FuA<'a>),
}

/// Parses an H.264 RTP payload; the same as [`H264Payload::parse`].
///
/// # Errors
/// As [`H264Payload::parse`].
pub fn depacketize(payload: &[u8]) -> Result<H264Payload<'_>, Error> {
    H264Payload::parse(payload)
}

impl<'a> H264Payload<'a> {
    /// Parses an RTP payload of packetization mode 1, without copying or allocating.
    ///
    /// # Errors
    /// - [`Error::Empty`] for an empty payload;
    /// - [`Error::ForbiddenBit`] if the payload header or an aggregated NAL unit header has
    ///   F = 1 (RFC 6184 §5.3);
    /// - [`Error::UnsupportedNalType`] for STAP-B, MTAP16, MTAP24 and FU-B, which mode 1
    ///   forbids (RFC 6184 §6.3);
    /// - [`Error::BadNalType`] for the reserved types 0, 30, 31 (§5.2), and for a NAL unit
    ///   inside a STAP-A or an FU-A whose type is not 1..=23;
    /// - [`Error::BadAggregate`] for a STAP-A without NAL units, with a zero size, a size
    ///   running past the payload or a lone byte where a size should be (§5.7.1);
    /// - [`Error::Truncated`] for an FU-A without FU header, [`Error::BadFragment`] for one
    ///   with both S and E set (§5.8).
    pub fn parse(payload: &'a [u8]) -> Result<Self, Error> {
        let (&first, rest) = payload.split_first().ok_or(Error::Empty)?;
        let header = NalHeader(first);
        if header.forbidden() {
            return Err(Error::ForbiddenBit);
        }
        match header.nal_type() {
            t if is_nal_type(t) => Ok(H264Payload::Single(Nal {
                header,
                bytes: payload,
            })),
            STAP_A => {
                let mut count = 0;
                let mut units = rest;
                while !units.is_empty() {
                    let (size, tail) = units
                        .split_first_chunk::<2>()
                        .ok_or(Error::BadAggregate("truncated NAL unit size"))?;
                    let size = usize::from(u16::from_be_bytes(*size));
                    if size == 0 {
                        return Err(Error::BadAggregate("zero NAL unit size"));
                    }
                    let nal = tail
                        .get(..size)
                        .ok_or(Error::BadAggregate("NAL unit size exceeds the payload"))?;
                    let inner = NalHeader(nal.first().copied().unwrap_or_default());
                    if inner.forbidden() {
                        return Err(Error::ForbiddenBit);
                    }
                    if !is_nal_type(inner.nal_type()) {
                        return Err(Error::BadNalType(inner.nal_type()));
                    }
                    units = tail.get(size..).unwrap_or_default();
                    count += 1;
                }
                if count == 0 {
                    return Err(Error::BadAggregate("no NAL units"));
                }
                Ok(H264Payload::StapA(StapA {
                    header,
                    units: rest,
                    count,
                }))
            }
            FU_A => {
                let (&fu, body) = rest.split_first().ok_or(Error::Truncated)?;
                let (start, end) = (fu & FU_S != 0, fu & FU_E != 0);
                if start && end {
                    return Err(Error::BadFragment("start and end bits both set"));
                }
                let nal_type = fu & TYPE_MASK;
                if !is_nal_type(nal_type) {
                    return Err(Error::BadNalType(nal_type));
                }
                Ok(H264Payload::FuA(FuA {
                    indicator: header,
                    start,
                    end,
                    nal_type,
                    payload: body,
                }))
            }
            t @ (STAP_B | MTAP16 | MTAP24 | FU_B) => Err(Error::UnsupportedNalType(t)),
            t => Err(Error::BadNalType(t)),
        }
    }

    /// The payload header octet (RFC 6184 §5.3).
    pub fn payload_header(&self) -> NalHeader {
        match self {
            H264Payload::Single(nal) => nal.header,
            H264Payload::StapA(stap) => stap.header,
            H264Payload::FuA(fu) => fu.indicator,
        }
    }

    /// Whether this payload begins a NAL unit: anything but an FU-A without S.
    pub fn starts_nal(&self) -> bool {
        match self {
            H264Payload::FuA(fu) => fu.start,
            _ => true,
        }
    }

    /// Whether this payload begins an access unit (a frame), judged from its first NAL unit:
    /// an access unit delimiter, SEI, SPS, PPS or a type 14..=18 NAL unit can only come before
    /// the first slice of an access unit, and a slice with `first_mb_in_slice` = 0 is the
    /// first of its picture (H.264 §7.4.1.2.3). A heuristic for a single packet: arbitrary
    /// slice order is not seen through, and a receiver of a whole stream should rather watch
    /// the RTP timestamp change (RFC 6184 §5.1).
    pub fn starts_frame(&self) -> bool {
        match self {
            H264Payload::Single(nal) => nal.starts_access_unit(),
            H264Payload::StapA(stap) => stap.nals().next().is_some_and(|n| n.starts_access_unit()),
            H264Payload::FuA(fu) => {
                fu.start && nal_starts_access_unit(fu.nal_type, fu.payload.first().copied())
            }
        }
    }

    /// Whether this payload carries (part of) a keyframe: an IDR slice (type 5) or a
    /// sequence parameter set (type 7). Every fragment of a fragmented IDR slice answers
    /// `true`.
    pub fn is_keyframe(&self) -> bool {
        let key = |t: u8| t == NAL_IDR || t == NAL_SPS;
        match self {
            H264Payload::Single(nal) => key(nal.nal_type()),
            H264Payload::StapA(stap) => stap.nals().any(|n| key(n.nal_type())),
            H264Payload::FuA(fu) => key(fu.nal_type),
        }
    }

    /// How many bytes [`H264Payload::append_annex_b`] appends.
    pub fn annex_b_len(&self) -> usize {
        match self {
            H264Payload::Single(nal) => START_CODE.len() + nal.bytes.len(),
            H264Payload::StapA(stap) => stap.nals().map(|n| START_CODE.len() + n.bytes.len()).sum(),
            H264Payload::FuA(fu) if fu.start => START_CODE.len() + 1 + fu.payload.len(),
            H264Payload::FuA(fu) => fu.payload.len(),
        }
    }

    /// Appends this payload's bytes in Annex B byte-stream form to `out` and returns how many
    /// it appended: each whole NAL unit behind a [`START_CODE`]; for an FU-A, the start
    /// fragment as a start code, the rebuilt NAL unit header and the fragment, later
    /// fragments as bare bytes that continue it (RFC 6184 §5.8). Appending the payloads of an
    /// access unit in sequence-number order yields the access unit.
    pub fn append_annex_b(&self, out: &mut Vec<u8>) -> usize {
        let before = out.len();
        out.reserve(self.annex_b_len());
        match self {
            H264Payload::Single(nal) => {
                out.extend_from_slice(&START_CODE);
                out.extend_from_slice(nal.bytes);
            }
            H264Payload::StapA(stap) => {
                for nal in stap.nals() {
                    out.extend_from_slice(&START_CODE);
                    out.extend_from_slice(nal.bytes);
                }
            }
            H264Payload::FuA(fu) => {
                if fu.start {
                    out.extend_from_slice(&START_CODE);
                    out.push(fu.nal_header().0);
                }
                out.extend_from_slice(fu.payload);
            }
        }
        out.len() - before
    }
}

/// Iterator over the NAL units of an Annex B byte stream (H.264 Annex B): the bytes between
/// one start code (`00 00 01`) and the next, without the zero bytes that trail a NAL unit
/// (`trailing_zero_8bits`, or the `zero_byte` of a four-byte start code). Bytes before the
/// first start code, and NAL units that are empty once trimmed, are skipped.
#[derive(Debug, Clone)]
pub struct AnnexBNals<'a> {
    rest: &'a [u8],
}

/// The NAL units of an Annex B byte stream; see [`AnnexBNals`].
pub fn annex_b_nals(stream: &[u8]) -> AnnexBNals<'_> {
    let rest = match find_start_code(stream) {
        Some((_, after)) => stream.get(after..).unwrap_or_default(),
        None => &[],
    };
    AnnexBNals { rest }
}

/// The index of the first `00 00 01` in `b` and the index just after it.
fn find_start_code(b: &[u8]) -> Option<(usize, usize)> {
    let at = b.windows(3).position(|w| w == [0, 0, 1])?;
    Some((at, at + 3))
}

fn trim_trailing_zeros(mut b: &[u8]) -> &[u8] {
    while let Some((&0, head)) = b.split_last() {
        b = head;
    }
    b
}

impl<'a> Iterator for AnnexBNals<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.rest.is_empty() {
            let (nal, rest) = match find_start_code(self.rest) {
                Some((at, after)) => (
                    self.rest.get(..at).unwrap_or_default(),
                    self.rest.get(after..).unwrap_or_default(),
                ),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            let nal = trim_trailing_zeros(nal);
            if !nal.is_empty() {
                return Some(nal);
            }
        }
        None
    }
}

/// Splits H.264 access units into RTP payloads of at most `mtu` bytes, in packetization
/// mode 1 (RFC 6184 §6.3).
///
/// NAL units that fit go out as single NAL unit packets (§5.6); consecutive small ones are
/// aggregated into STAP-As (§5.7.1) when [`H264Packetizer::aggregate`] is on, so the SPS and
/// PPS in front of an IDR slice share a packet, as browsers send them; a NAL unit larger than
/// the MTU is split into FU-As (§5.8) carrying as many bytes as the MTU allows, the last one
/// the remainder. The caller sends the payloads of one access unit with one RTP timestamp and
/// sets the marker bit on the last (§5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct H264Packetizer {
    /// The largest payload, in bytes; at least 3.
    pub mtu: usize,
    /// Aggregate consecutive NAL units that fit together into STAP-As (default on).
    pub aggregate: bool,
    /// Leave out access unit delimiters and filler data (NAL types 9 and 12; default on).
    pub drop_aud_and_filler: bool,
}

/// Bytes of the STAP-A header (RFC 6184 §5.7.1).
const STAP_A_HEADER_LEN: usize = 1;
/// Bytes of the size in front of each NAL unit in a STAP-A (RFC 6184 §5.7.1).
const STAP_A_SIZE_LEN: usize = 2;

impl H264Packetizer {
    /// A packetizer for payloads of at most `mtu` bytes, aggregating and dropping delimiters
    /// and filler.
    pub fn new(mtu: usize) -> Self {
        Self {
            mtu,
            aggregate: true,
            drop_aud_and_filler: true,
        }
    }

    /// Splits one access unit in Annex B form (start codes `00 00 01` or `00 00 00 01`, see
    /// [`AnnexBNals`]) into payloads and **appends** them to `out`, in sending order; returns
    /// how many it appended. On error `out` is left as it was.
    ///
    /// # Errors
    /// [`Error::NoStartCode`] if the input (after leading zero bytes) does not begin with a
    /// start code; otherwise as [`H264Packetizer::packetize_nals`].
    pub fn packetize(&self, access_unit: &[u8], out: &mut Vec<Vec<u8>>) -> Result<usize, Error> {
        if access_unit.is_empty() {
            return Err(Error::Empty);
        }
        // Zero bytes (`leading_zero_8bits`, a `zero_byte`), then `00 00 01` (H.264 B.1.1).
        let zeros = access_unit.iter().take_while(|&&b| b == 0).count();
        if zeros < 2 || access_unit.get(zeros) != Some(&1) {
            return Err(Error::NoStartCode);
        }
        self.packetize_nals(annex_b_nals(access_unit), out)
    }

    /// Splits one access unit given as its NAL units (each with its header octet, without
    /// start code) into payloads and **appends** them to `out`, in sending order; returns how
    /// many it appended. On error `out` is left as it was.
    ///
    /// # Errors
    /// [`Error::Empty`] if there is no NAL unit to send, or one is empty;
    /// [`Error::MtuTooSmall`] for an MTU under 3 (an FU-A header and one byte);
    /// [`Error::ForbiddenBit`] for a NAL unit with F = 1; [`Error::BadNalType`] for one
    /// whose type is not 1..=23 (H.264 leaves 0 and 24..=31 to RTP and other systems).
    pub fn packetize_nals<'n, I>(&self, nals: I, out: &mut Vec<Vec<u8>>) -> Result<usize, Error>
    where
        I: IntoIterator<Item = &'n [u8]>,
    {
        let before = out.len();
        let result = self.packetize_inner(nals, out);
        if result.is_err() {
            out.truncate(before);
        }
        result
    }

    fn packetize_inner<'n, I>(&self, nals: I, out: &mut Vec<Vec<u8>>) -> Result<usize, Error>
    where
        I: IntoIterator<Item = &'n [u8]>,
    {
        if self.mtu < FU_A_HEADER_LEN + 1 {
            return Err(Error::MtuTooSmall(self.mtu));
        }
        let before = out.len();
        // NAL units waiting to be aggregated, and the STAP-A size they would make.
        let mut pending: Vec<&[u8]> = Vec::new();
        let mut pending_len = STAP_A_HEADER_LEN;
        for nal in nals {
            let header = NalHeader(*nal.first().ok_or(Error::Empty)?);
            if header.forbidden() {
                return Err(Error::ForbiddenBit);
            }
            let t = header.nal_type();
            if !is_nal_type(t) {
                return Err(Error::BadNalType(t));
            }
            if self.drop_aud_and_filler && (t == NAL_AUD || t == NAL_FILLER) {
                continue;
            }
            let aggregated = STAP_A_SIZE_LEN + nal.len();
            // The 16-bit size field bounds aggregated NAL units too (RFC 6184 §5.7.1).
            if !self.aggregate
                || STAP_A_HEADER_LEN + aggregated > self.mtu
                || nal.len() > usize::from(u16::MAX)
            {
                self.flush(&mut pending, out);
                pending_len = STAP_A_HEADER_LEN;
                self.emit(nal, header, out);
                continue;
            }
            if pending_len + aggregated > self.mtu {
                self.flush(&mut pending, out);
                pending_len = STAP_A_HEADER_LEN;
            }
            pending.push(nal);
            pending_len += aggregated;
        }
        self.flush(&mut pending, out);
        match out.len() - before {
            0 => Err(Error::Empty),
            n => Ok(n),
        }
    }

    /// Sends the pending NAL units: one as a single NAL unit packet, more as a STAP-A.
    fn flush(&self, pending: &mut Vec<&[u8]>, out: &mut Vec<Vec<u8>>) {
        match pending.as_slice() {
            [] => {}
            [nal] => out.push(nal.to_vec()),
            nals => {
                let len = STAP_A_HEADER_LEN
                    + nals
                        .iter()
                        .map(|n| STAP_A_SIZE_LEN + n.len())
                        .sum::<usize>();
                let mut p = Vec::with_capacity(len);
                let (mut f, mut nri) = (0, 0);
                for n in nals {
                    let h = n.first().copied().unwrap_or_default();
                    f |= h & F;
                    nri = nri.max(h & NRI_MASK);
                }
                p.push(f | nri | STAP_A);
                for n in nals {
                    // Aggregated NAL units are at most 0xffff bytes: checked before pushing.
                    let size = u16::try_from(n.len()).unwrap_or(u16::MAX);
                    p.extend_from_slice(&size.to_be_bytes());
                    p.extend_from_slice(n);
                }
                out.push(p);
            }
        }
        pending.clear();
    }

    /// Sends one NAL unit as a single NAL unit packet, or as FU-As if it does not fit.
    fn emit(&self, nal: &[u8], header: NalHeader, out: &mut Vec<Vec<u8>>) {
        if nal.len() <= self.mtu {
            out.push(nal.to_vec());
            return;
        }
        // A NAL unit longer than the MTU (>= 3) has a body of at least as many bytes as one
        // fragment holds plus one, so there are always two fragments or more, and S and E
        // are never set together.
        let body = nal.get(1..).unwrap_or_default();
        let chunk = self.mtu - FU_A_HEADER_LEN;
        let indicator = (header.0 & (F | NRI_MASK)) | FU_A;
        let pieces = body.len().div_ceil(chunk);
        for (i, piece) in body.chunks(chunk).enumerate() {
            let mut fu = header.nal_type();
            if i == 0 {
                fu |= FU_S;
            }
            if i + 1 == pieces {
                fu |= FU_E;
            }
            let mut p = Vec::with_capacity(FU_A_HEADER_LEN + piece.len());
            p.extend_from_slice(&[indicator, fu]);
            p.extend_from_slice(piece);
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn annex_b(payloads: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in payloads {
            let parsed = depacketize(p).unwrap();
            let expected = parsed.annex_b_len();
            assert_eq!(parsed.append_annex_b(&mut out), expected);
        }
        out
    }

    #[test]
    fn single_nal_unit_packet() {
        // RFC 6184 Figure 2: the NAL unit header octet, then the NAL unit's bytes.
        // F=0 NRI=3 Type=5 (IDR), first_mb_in_slice = 0.
        let p = [0x65, 0x88, 0x80, 0x40];
        let parsed = H264Payload::parse(&p).unwrap();
        let H264Payload::Single(nal) = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(nal.bytes(), &p);
        assert_eq!(nal.header().nri(), 3);
        assert_eq!(nal.nal_type(), NAL_IDR);
        assert!(!nal.header().forbidden());
        assert!(parsed.starts_nal() && parsed.starts_frame() && parsed.is_keyframe());
        let mut out = vec![0xaa];
        assert_eq!(parsed.append_annex_b(&mut out), 8);
        assert_eq!(out, [0xaa, 0, 0, 0, 1, 0x65, 0x88, 0x80, 0x40]);
        // A non-IDR slice that is not the first of its picture (first_mb_in_slice != 0).
        let p = H264Payload::parse(&[0x41, 0x40]).unwrap();
        assert!(!p.starts_frame() && !p.is_keyframe());
        // A header-only NAL unit (end of sequence, type 10) is a valid payload.
        assert!(matches!(
            H264Payload::parse(&[0x0a]),
            Ok(H264Payload::Single(_))
        ));
    }

    #[test]
    fn stap_a_with_two_nal_units() {
        // RFC 6184 Figure 7: STAP-A header, then NALU 1 size, NALU 1, NALU 2 size, NALU 2.
        let p = [
            0x78, // F=0 NRI=3 Type=24
            0x00, 0x03, 0x67, 0x42, 0x1f, // SPS
            0x00, 0x02, 0x68, 0xce, // PPS
        ];
        let parsed = H264Payload::parse(&p).unwrap();
        let H264Payload::StapA(stap) = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(stap.len(), 2);
        assert!(!stap.is_empty());
        assert_eq!(stap.header().nal_type(), STAP_A);
        let nals: Vec<&[u8]> = stap.nals().map(|n| n.bytes()).collect();
        assert_eq!(nals, [&[0x67, 0x42, 0x1f][..], &[0x68, 0xce]]);
        assert!(parsed.starts_frame() && parsed.is_keyframe());
        let mut out = Vec::new();
        assert_eq!(parsed.append_annex_b(&mut out), 13);
        assert_eq!(out, [0, 0, 0, 1, 0x67, 0x42, 0x1f, 0, 0, 0, 1, 0x68, 0xce]);
    }

    #[test]
    fn fu_a_start_middle_end() {
        // RFC 6184 Figure 14 (FU indicator, FU header, FU payload) for an IDR slice with
        // NRI = 2: FU indicator 0x5c (F=0 NRI=2 Type=28), FU header S/E/R/Type=5.
        let start = [0x5c, 0x85, 0x88, 0x01];
        let middle = [0x5c, 0x05, 0x02, 0x03];
        let end = [0x5c, 0x45, 0x04];
        let s = H264Payload::parse(&start).unwrap();
        let H264Payload::FuA(fu) = s else {
            panic!("{s:?}")
        };
        assert!(fu.start && !fu.end);
        assert_eq!(fu.nal_type, NAL_IDR);
        assert_eq!(fu.nal_header(), NalHeader(0x45));
        assert_eq!(fu.payload, &[0x88, 0x01]);
        assert!(s.starts_nal() && s.starts_frame() && s.is_keyframe());
        let m = H264Payload::parse(&middle).unwrap();
        assert!(!m.starts_nal() && !m.starts_frame() && m.is_keyframe());
        let e = H264Payload::parse(&end).unwrap();
        assert!(matches!(
            e,
            H264Payload::FuA(FuA {
                end: true,
                start: false,
                ..
            })
        ));
        let mut out = Vec::new();
        s.append_annex_b(&mut out);
        m.append_annex_b(&mut out);
        e.append_annex_b(&mut out);
        assert_eq!(out, [0, 0, 0, 1, 0x45, 0x88, 0x01, 0x02, 0x03, 0x04]);
        // The R bit is ignored; an empty FU payload is allowed (§5.8).
        let r = H264Payload::parse(&[0x7c, 0x21]).unwrap();
        assert!(matches!(
            r,
            H264Payload::FuA(FuA {
                nal_type: 1,
                payload: &[],
                ..
            })
        ));
    }

    #[test]
    fn malformed_payloads_give_specific_errors() {
        let cases: &[(&[u8], Error)] = &[
            (&[], Error::Empty),
            (&[0xe5, 0x88], Error::ForbiddenBit),
            (&[0x00, 0x01], Error::BadNalType(0)),
            (&[0x1e, 0x01], Error::BadNalType(30)),
            (&[0x1f], Error::BadNalType(31)),
            (&[0x19, 0, 0, 0, 1, 0x65], Error::UnsupportedNalType(STAP_B)),
            (&[0x1a, 0, 0], Error::UnsupportedNalType(MTAP16)),
            (&[0x1b, 0, 0], Error::UnsupportedNalType(MTAP24)),
            (&[0x1d, 0x85, 0, 0], Error::UnsupportedNalType(FU_B)),
            (&[0x78], Error::BadAggregate("no NAL units")),
            (
                &[0x78, 0x00, 0x00, 0x65],
                Error::BadAggregate("zero NAL unit size"),
            ),
            (
                &[0x78, 0x00, 0x05, 0x67, 0x42],
                Error::BadAggregate("NAL unit size exceeds the payload"),
            ),
            (
                &[0x78, 0x00, 0x01, 0x09, 0x00],
                Error::BadAggregate("truncated NAL unit size"),
            ),
            (&[0x78, 0x00, 0x01, 0xe7], Error::ForbiddenBit),
            (&[0x78, 0x00, 0x02, 0x7c, 0x85], Error::BadNalType(FU_A)),
            (&[0x78, 0x00, 0x01, 0x00], Error::BadNalType(0)),
            (&[0x7c], Error::Truncated),
            (
                &[0x7c, 0xc5, 0x88],
                Error::BadFragment("start and end bits both set"),
            ),
            (&[0x7c, 0x98, 0x00], Error::BadNalType(STAP_A)),
            (&[0x7c, 0x80, 0x00], Error::BadNalType(0)),
            (&[0xfc, 0x85, 0x00], Error::ForbiddenBit),
        ];
        for (bytes, err) in cases {
            assert_eq!(H264Payload::parse(bytes), Err(*err), "{bytes:02x?}");
        }
    }

    #[test]
    fn annex_b_splitting() {
        let stream = [
            0xff, 0, 0, 1, 0x67, 0x01, 0, 0, 0, 0, 1, 0x68, 0x02, 0, 0, 1, 0, 0, 1, 0x65, 0x03, 0,
            0,
        ];
        let nals: Vec<&[u8]> = annex_b_nals(&stream).collect();
        assert_eq!(nals, [&[0x67, 0x01][..], &[0x68, 0x02], &[0x65, 0x03]]);
        assert_eq!(annex_b_nals(&[1, 2, 3]).count(), 0);
        assert_eq!(annex_b_nals(&[0, 0, 1]).count(), 0);
    }

    #[test]
    fn packetizer_aggregates_sps_pps_idr() {
        let au = [
            0, 0, 0, 1, 0x67, 0x42, 0x1f, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x65, 0x88, 0x80,
        ];
        let mut out = Vec::new();
        assert_eq!(H264Packetizer::new(1200).packetize(&au, &mut out), Ok(1));
        assert_eq!(
            out,
            [vec![
                0x78, 0, 3, 0x67, 0x42, 0x1f, 0, 2, 0x68, 0xce, 0, 3, 0x65, 0x88, 0x80
            ]]
        );
        // NRI is the largest of the aggregated units' (§5.7.1): 0 and 2 give 2.
        out.clear();
        H264Packetizer::new(1200)
            .packetize_nals([&[0x06, 0x05][..], &[0x41, 0x9a]], &mut out)
            .unwrap();
        assert_eq!(out, [vec![0x58, 0, 2, 0x06, 0x05, 0, 2, 0x41, 0x9a]]);
    }

    #[test]
    fn packetizer_fragments_a_large_idr_after_a_stap_a() {
        let idr = [0x65, 1, 2, 3, 4, 5, 6, 7];
        let mut out = Vec::new();
        let p = H264Packetizer::new(5);
        let n = p
            .packetize_nals([&[0x67, 0x42][..], &[0x68], &[0x09, 0xf0], &idr], &mut out)
            .unwrap();
        assert_eq!(n, 5);
        assert_eq!(
            out,
            [
                vec![0x67, 0x42], // a STAP-A of SPS and PPS would need 1+4+3 = 8 bytes
                vec![0x68],
                vec![0x7c, 0x85, 1, 2, 3],
                vec![0x7c, 0x05, 4, 5, 6],
                vec![0x7c, 0x45, 7],
            ]
        );
        let mut out = Vec::new();
        let p = H264Packetizer::new(9);
        p.packetize_nals([&[0x67, 0x42][..], &[0x68], &idr], &mut out)
            .unwrap();
        assert_eq!(out[0], [0x78, 0, 2, 0x67, 0x42, 0, 1, 0x68]);
        assert_eq!(out[1], idr);
    }

    #[test]
    fn packetizer_options() {
        let nals = [
            &[0x09, 0xf0][..],
            &[0x67, 0x42],
            &[0x68, 0xce],
            &[0x0c, 0xff],
        ];
        let mut out = Vec::new();
        let mut p = H264Packetizer::new(1200);
        p.aggregate = false;
        assert_eq!(p.packetize_nals(nals, &mut out), Ok(2));
        assert_eq!(out, [vec![0x67, 0x42], vec![0x68, 0xce]]);
        out.clear();
        p.drop_aud_and_filler = false;
        assert_eq!(p.packetize_nals(nals, &mut out), Ok(4));
        assert_eq!(out[0], [0x09, 0xf0]);
        assert_eq!(out[3], [0x0c, 0xff]);
    }

    #[test]
    fn packetizer_errors_leave_out_alone() {
        let mut out = vec![vec![1]];
        let p = H264Packetizer::new(1200);
        assert_eq!(p.packetize(&[], &mut out), Err(Error::Empty));
        assert_eq!(
            p.packetize(&[0x65, 0, 0, 1, 0x65], &mut out),
            Err(Error::NoStartCode)
        );
        assert_eq!(
            p.packetize(&[0x65, 0x88], &mut out),
            Err(Error::NoStartCode)
        );
        assert_eq!(
            p.packetize(&[0, 0, 1, 0x09, 0xf0], &mut out),
            Err(Error::Empty)
        );
        assert_eq!(p.packetize(&[0, 0, 0, 1], &mut out), Err(Error::Empty));
        assert_eq!(
            p.packetize_nals([&[0x67][..], &[]], &mut out),
            Err(Error::Empty)
        );
        assert_eq!(
            p.packetize_nals([&[0x67][..], &[0xe5, 1]], &mut out),
            Err(Error::ForbiddenBit)
        );
        assert_eq!(
            p.packetize_nals([&[0x41, 1][..], &[0x7c, 1]], &mut out),
            Err(Error::BadNalType(FU_A))
        );
        assert_eq!(
            H264Packetizer::new(2).packetize_nals([&[0x41][..]], &mut out),
            Err(Error::MtuTooSmall(2))
        );
        assert_eq!(out, [vec![1]]);
    }

    /// A NAL unit as an encoder writes it: F = 0, a type in 1..=23, no `00 00 0x` (x <= 3)
    /// inside thanks to emulation prevention, and no trailing zero byte.
    pub(crate) fn nal_strategy(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
        (
            0u8..4,
            1u8..=23,
            proptest::collection::vec(any::<u8>(), 0..max_len),
        )
            .prop_map(|(nri, t, body)| {
                let mut nal = vec![(nri << 5) | t];
                let mut zeros = 0;
                for b in body {
                    if zeros >= 2 && b <= 3 {
                        nal.push(3);
                        zeros = 0;
                    }
                    nal.push(b);
                    zeros = if b == 0 { zeros + 1 } else { 0 };
                }
                if nal.last() == Some(&0) {
                    nal.push(0x80);
                }
                nal
            })
    }

    proptest! {
        #[test]
        fn packetize_then_depacketize_is_the_same_annex_b(
            nals in proptest::collection::vec(nal_strategy(3000), 1..8),
            mtu in 3usize..1500,
            aggregate in any::<bool>(),
            drop in any::<bool>(),
            long_codes in proptest::collection::vec(any::<bool>(), 8),
        ) {
            let p = H264Packetizer { mtu, aggregate, drop_aud_and_filler: drop };
            let sent: Vec<&Vec<u8>> = nals
                .iter()
                .filter(|n| !drop || !matches!(n[0] & 0x1f, NAL_AUD | NAL_FILLER))
                .collect();
            let mut expected = Vec::new();
            for n in &sent {
                expected.extend_from_slice(&START_CODE);
                expected.extend_from_slice(n);
            }
            let mut stream = Vec::new();
            for (n, long) in nals.iter().zip(&long_codes) {
                stream.extend_from_slice(if *long { &[0, 0, 0, 1][..] } else { &[0, 0, 1] });
                stream.extend_from_slice(n);
            }
            let mut from_stream = Vec::new();
            let result = p.packetize(&stream, &mut from_stream);
            let mut from_list = Vec::new();
            let result2 = p.packetize_nals(nals.iter().map(|n| &n[..]), &mut from_list);
            prop_assert_eq!(&result, &result2);
            prop_assert_eq!(&from_stream, &from_list);
            if sent.is_empty() {
                prop_assert_eq!(result, Err(Error::Empty));
                return Ok(());
            }
            prop_assert_eq!(result, Ok(from_stream.len()));
            for payload in &from_stream {
                prop_assert!(payload.len() <= mtu);
                let parsed = depacketize(payload).unwrap();
                if !aggregate {
                    prop_assert!(!matches!(parsed, H264Payload::StapA(_)));
                }
                if let H264Payload::StapA(s) = parsed {
                    prop_assert!(s.len() >= 2);
                }
            }
            prop_assert_eq!(annex_b(&from_stream), expected);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(p) = depacketize(&bytes) {
                let mut out = Vec::new();
                prop_assert_eq!(p.append_annex_b(&mut out), p.annex_b_len());
                prop_assert_eq!(out.len(), p.annex_b_len());
                prop_assert!(out.len() <= bytes.len() * 3 + 4);
            }
            let _ = annex_b_nals(&bytes).count();
        }
    }
}
