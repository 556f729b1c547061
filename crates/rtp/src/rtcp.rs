//! RTCP: compound iteration (RFC 3550 §6.1, RFC 5506), the RFC 3550 packet types, and the
//! common writing helpers.

use proto::Reader;

use crate::feedback::{Fir, Nack, Pli, Remb};
use crate::twcc::TransportCc;
use crate::{Error, VERSION};

/// Packet type of a sender report (RFC 3550 §6.4.1).
pub const SR: u8 = 200;
/// Packet type of a receiver report (RFC 3550 §6.4.2).
pub const RR: u8 = 201;
/// Packet type of source description (RFC 3550 §6.5).
pub const SDES: u8 = 202;
/// Packet type of goodbye (RFC 3550 §6.6).
pub const BYE: u8 = 203;
/// Packet type of application-defined (RFC 3550 §6.7).
pub const APP: u8 = 204;
/// Packet type of transport-layer feedback (RFC 4585 §6.2).
pub const RTPFB: u8 = 205;
/// Packet type of payload-specific feedback (RFC 4585 §6.3).
pub const PSFB: u8 = 206;
/// Packet type of extended reports (RFC 3611), passed through as [`RtcpPacket::Unknown`].
pub const XR: u8 = 207;

/// One packet of a compound RTCP datagram, as a typed borrowed view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket<'a> {
    /// SR.
    SenderReport(SenderReport<'a>),
    /// RR.
    ReceiverReport(ReceiverReport<'a>),
    /// SDES.
    Sdes(Sdes<'a>),
    /// BYE.
    Bye(Bye<'a>),
    /// APP.
    App(App<'a>),
    /// RTPFB FMT 1, generic NACK (RFC 4585 §6.2.1).
    Nack(Nack<'a>),
    /// RTPFB FMT 15, transport-wide congestion control feedback.
    TransportCc(TransportCc<'a>),
    /// PSFB FMT 1, picture loss indication (RFC 4585 §6.3.1).
    Pli(Pli),
    /// PSFB FMT 4, full intra request (RFC 5104 §4.3.1).
    Fir(Fir<'a>),
    /// PSFB FMT 15 with the "REMB" identifier (draft-alvestrand-rmcat-remb).
    Remb(Remb<'a>),
    /// Any other packet type or feedback format (XR, other PSFB/RTPFB formats, …).
    Unknown(Unknown<'a>),
}

/// A packet this crate does not interpret: its header fields and body (padding removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unknown<'a> {
    /// The packet type.
    pub packet_type: u8,
    /// The five-bit count / FMT / subtype field.
    pub count: u8,
    /// Everything after the four-byte header, padding removed.
    pub body: &'a [u8],
}

/// Iterator over the packets of a compound or reduced-size (RFC 5506) RTCP datagram.
///
/// Each item is one packet or the error that stopped the walk; after an error the iterator
/// ends. The compound rules of RFC 3550 §6.1 (SR or RR first, CNAME present) are not enforced,
/// so reduced-size datagrams holding a single feedback packet are read like any other. An
/// empty datagram yields [`Error::Empty`].
#[derive(Debug, Clone)]
pub struct RtcpPackets<'a> {
    rest: &'a [u8],
    state: IterState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IterState {
    Fresh,
    Going,
    Done,
}

impl<'a> RtcpPackets<'a> {
    /// Iterates over the packets of `datagram`.
    pub fn new(datagram: &'a [u8]) -> Self {
        RtcpPackets {
            rest: datagram,
            state: IterState::Fresh,
        }
    }

    /// Checks every packet of `datagram`, returning how many it holds.
    pub fn validate(datagram: &'a [u8]) -> Result<usize, Error> {
        let mut n = 0;
        for p in RtcpPackets::new(datagram) {
            p?;
            n += 1;
        }
        Ok(n)
    }
}

impl<'a> Iterator for RtcpPackets<'a> {
    type Item = Result<RtcpPacket<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.state {
            IterState::Done => return None,
            IterState::Fresh if self.rest.is_empty() => {
                self.state = IterState::Done;
                return Some(Err(Error::Empty));
            }
            _ if self.rest.is_empty() => {
                self.state = IterState::Done;
                return None;
            }
            _ => self.state = IterState::Going,
        }
        match split_packet(self.rest) {
            Ok((header, body, rest)) => {
                self.rest = rest;
                let p = RtcpPacket::parse_body(header, body);
                if p.is_err() {
                    self.state = IterState::Done;
                }
                Some(p)
            }
            Err(e) => {
                self.state = IterState::Done;
                Some(Err(e))
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Header {
    count: u8,
    packet_type: u8,
}

/// Splits the first packet off `buf`: its header, its body without padding, and what follows.
fn split_packet(buf: &[u8]) -> Result<(Header, &[u8], &[u8]), Error> {
    let mut r = Reader::new(buf);
    let [b0, packet_type] = r.array()?;
    let length = r.u16()?;
    if b0 >> 6 != VERSION {
        return Err(Error::BadVersion(b0 >> 6));
    }
    let needed = (usize::from(length) + 1) * 4;
    let Some(mut body) = r.peek_rest().get(..needed - 4) else {
        return Err(Error::BadLength {
            length,
            needed,
            remaining: buf.len(),
        });
    };
    let rest = r.peek_rest().get(needed - 4..).unwrap_or_default();
    if b0 & 0x20 != 0 {
        let count = body.last().copied().unwrap_or(0);
        match body.len().checked_sub(usize::from(count)) {
            Some(len) if count != 0 => body = body.get(..len).unwrap_or_default(),
            _ => {
                return Err(Error::BadPadding {
                    padding: count,
                    available: body.len(),
                });
            }
        }
    }
    Ok((
        Header {
            count: b0 & 0x1f,
            packet_type,
        },
        body,
        rest,
    ))
}

impl<'a> RtcpPacket<'a> {
    fn parse_body(h: Header, body: &'a [u8]) -> Result<Self, Error> {
        let bad = |reason| Error::BadBody {
            packet_type: h.packet_type,
            reason,
        };
        Ok(match (h.packet_type, h.count) {
            (SR, rc) => Self::SenderReport(SenderReport::parse(rc, body)?),
            (RR, rc) => Self::ReceiverReport(ReceiverReport::parse(rc, body)?),
            (SDES, sc) => Self::Sdes(Sdes::parse(sc, body).map_err(|_| bad("malformed chunks"))?),
            (BYE, sc) => Self::Bye(Bye::parse(sc, body)?),
            (APP, subtype) => Self::App(App::parse(subtype, body)?),
            (RTPFB, 1) => Self::Nack(Nack::parse(body)?),
            (RTPFB, 15) => Self::TransportCc(TransportCc::parse(body)?),
            (PSFB, 1) => Self::Pli(Pli::parse(body)?),
            (PSFB, 4) => Self::Fir(Fir::parse(body)?),
            (PSFB, 15) if Remb::is_remb(body) => Self::Remb(Remb::parse(body)?),
            (packet_type, count) => Self::Unknown(Unknown {
                packet_type,
                count,
                body,
            }),
        })
    }

    /// The packet type field.
    pub fn packet_type(&self) -> u8 {
        match self {
            Self::SenderReport(_) => SR,
            Self::ReceiverReport(_) => RR,
            Self::Sdes(_) => SDES,
            Self::Bye(_) => BYE,
            Self::App(_) => APP,
            Self::Nack(_) | Self::TransportCc(_) => RTPFB,
            Self::Pli(_) | Self::Fir(_) | Self::Remb(_) => PSFB,
            Self::Unknown(u) => u.packet_type,
        }
    }
}

/// Appends one RTCP packet: the header, what `body` writes, zero bytes to the next word, and
/// the back-patched length. On error `out` is left as it was.
pub(crate) fn write_packet(
    out: &mut Vec<u8>,
    count: u8,
    packet_type: u8,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<usize, Error> {
    let start = out.len();
    let result = write_packet_inner(out, start, count, packet_type, body);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn write_packet_inner(
    out: &mut Vec<u8>,
    start: usize,
    count: u8,
    packet_type: u8,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<usize, Error> {
    if count > 31 {
        return Err(Error::Unencodable("count above 31"));
    }
    out.extend_from_slice(&[VERSION << 6 | count, packet_type, 0, 0]);
    body(out)?;
    while !(out.len() - start).is_multiple_of(4) {
        out.push(0);
    }
    let len = out.len() - start;
    let words = u16::try_from(len / 4 - 1)
        .map_err(|_| Error::Unencodable("packet longer than 65536 words"))?;
    if let Some(slot) = out.get_mut(start + 2..start + 4) {
        slot.copy_from_slice(&words.to_be_bytes());
    }
    Ok(len)
}

fn count_of(n: usize, what: &'static str) -> Result<u8, Error> {
    u8::try_from(n)
        .ok()
        .filter(|&c| c <= 31)
        .ok_or(Error::Unencodable(what))
}

// ---------------------------------------------------------------------------------------------
// Report blocks, SR, RR

/// A reception report block (RFC 3550 §6.4.1), as read or to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReportBlock {
    /// SSRC of the source this block reports on.
    pub ssrc: u32,
    /// Fraction of packets lost since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative number of packets lost, a 24-bit signed value.
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_seq: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received (LSR).
    pub last_sr: u32,
    /// Delay since the last SR, in 1/65536 s (DLSR).
    pub delay_since_last_sr: u32,
}

/// Length of a report block.
pub const REPORT_BLOCK_LEN: usize = 24;

impl ReportBlock {
    fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        let ssrc = r.u32()?;
        let fraction_lost = r.u8()?;
        let lost = r.u24()?;
        // Sign-extend the 24-bit field.
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        Ok(ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost,
            extended_highest_seq: r.u32()?,
            jitter: r.u32()?,
            last_sr: r.u32()?,
            delay_since_last_sr: r.u32()?,
        })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        if !(-(1 << 23)..(1 << 23)).contains(&self.cumulative_lost) {
            return Err(Error::Unencodable("cumulative lost outside 24 bits"));
        }
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        let [_, a, b, c] = self.cumulative_lost.to_be_bytes();
        out.extend_from_slice(&[self.fraction_lost, a, b, c]);
        out.extend_from_slice(&self.extended_highest_seq.to_be_bytes());
        out.extend_from_slice(&self.jitter.to_be_bytes());
        out.extend_from_slice(&self.last_sr.to_be_bytes());
        out.extend_from_slice(&self.delay_since_last_sr.to_be_bytes());
        Ok(())
    }
}

/// Iterator over checked report blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlocks<'a> {
    data: &'a [u8],
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;

    fn next(&mut self) -> Option<ReportBlock> {
        let mut r = Reader::new(self.data);
        let block = ReportBlock::read(&mut r).ok()?;
        self.data = r.rest();
        Some(block)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.data.len() / REPORT_BLOCK_LEN;
        (n, Some(n))
    }
}

impl ExactSizeIterator for ReportBlocks<'_> {}

/// A sender report (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    /// SSRC of the sender.
    pub ssrc: u32,
    /// NTP timestamp, 32.32 fixed-point seconds since 1900.
    pub ntp_timestamp: u64,
    /// The RTP timestamp corresponding to the NTP timestamp.
    pub rtp_timestamp: u32,
    /// Packets sent.
    pub packet_count: u32,
    /// Payload octets sent.
    pub octet_count: u32,
    reports: &'a [u8],
    /// Profile-specific extension after the report blocks (usually empty).
    pub extension: &'a [u8],
}

impl<'a> SenderReport<'a> {
    fn parse(rc: u8, body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        Ok(SenderReport {
            ssrc: r.u32()?,
            ntp_timestamp: r.u64()?,
            rtp_timestamp: r.u32()?,
            packet_count: r.u32()?,
            octet_count: r.u32()?,
            reports: r.take(usize::from(rc) * REPORT_BLOCK_LEN)?,
            extension: r.rest(),
        })
    }

    /// The reception report blocks.
    pub fn reports(&self) -> ReportBlocks<'a> {
        ReportBlocks { data: self.reports }
    }
}

/// A receiver report (RFC 3550 §6.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    /// SSRC of the packet's sender.
    pub ssrc: u32,
    reports: &'a [u8],
    /// Profile-specific extension after the report blocks (usually empty).
    pub extension: &'a [u8],
}

impl<'a> ReceiverReport<'a> {
    fn parse(rc: u8, body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        Ok(ReceiverReport {
            ssrc: r.u32()?,
            reports: r.take(usize::from(rc) * REPORT_BLOCK_LEN)?,
            extension: r.rest(),
        })
    }

    /// The reception report blocks.
    pub fn reports(&self) -> ReportBlocks<'a> {
        ReportBlocks { data: self.reports }
    }
}

/// Writes a sender report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderReportBuilder<'a> {
    /// SSRC of the sender.
    pub ssrc: u32,
    /// NTP timestamp (the caller's wall clock; this crate reads none).
    pub ntp_timestamp: u64,
    /// RTP timestamp.
    pub rtp_timestamp: u32,
    /// Packets sent.
    pub packet_count: u32,
    /// Payload octets sent.
    pub octet_count: u32,
    /// Report blocks, at most 31.
    pub reports: &'a [ReportBlock],
    /// Profile-specific extension, a multiple of four bytes.
    pub extension: &'a [u8],
}

impl SenderReportBuilder<'_> {
    /// Appends the packet to `out` and returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        let rc = count_of(self.reports.len(), "more than 31 report blocks")?;
        if !self.extension.len().is_multiple_of(4) {
            return Err(Error::Unencodable("extension not a multiple of 4 bytes"));
        }
        write_packet(out, rc, SR, |out| {
            out.extend_from_slice(&self.ssrc.to_be_bytes());
            out.extend_from_slice(&self.ntp_timestamp.to_be_bytes());
            out.extend_from_slice(&self.rtp_timestamp.to_be_bytes());
            out.extend_from_slice(&self.packet_count.to_be_bytes());
            out.extend_from_slice(&self.octet_count.to_be_bytes());
            for b in self.reports {
                b.write(out)?;
            }
            out.extend_from_slice(self.extension);
            Ok(())
        })
    }
}

/// Writes a receiver report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReceiverReportBuilder<'a> {
    /// SSRC of the packet's sender.
    pub ssrc: u32,
    /// Report blocks, at most 31.
    pub reports: &'a [ReportBlock],
    /// Profile-specific extension, a multiple of four bytes.
    pub extension: &'a [u8],
}

impl ReceiverReportBuilder<'_> {
    /// Appends the packet to `out` and returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        let rc = count_of(self.reports.len(), "more than 31 report blocks")?;
        if !self.extension.len().is_multiple_of(4) {
            return Err(Error::Unencodable("extension not a multiple of 4 bytes"));
        }
        write_packet(out, rc, RR, |out| {
            out.extend_from_slice(&self.ssrc.to_be_bytes());
            for b in self.reports {
                b.write(out)?;
            }
            out.extend_from_slice(self.extension);
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// SDES

/// SDES item type of CNAME (RFC 3550 §6.5.1).
pub const SDES_CNAME: u8 = 1;

/// One SDES item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SdesItem<'a> {
    /// Item type (1 = CNAME, 2 = NAME, …, 8 = PRIV); never 0.
    pub kind: u8,
    /// The item's text, as bytes (RFC 3550 says UTF-8 but does not make receivers check it).
    pub value: &'a [u8],
}

/// A source description packet (RFC 3550 §6.5), checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sdes<'a> {
    chunks: &'a [u8],
}

/// One SDES chunk: an SSRC or CSRC and its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    /// The source described.
    pub ssrc: u32,
    items: &'a [u8],
}

impl<'a> SdesChunk<'a> {
    /// The items of this chunk.
    pub fn items(&self) -> SdesItems<'a> {
        SdesItems { data: self.items }
    }
}

/// Iterator over the items of a checked SDES chunk.
#[derive(Debug, Clone)]
pub struct SdesItems<'a> {
    data: &'a [u8],
}

impl<'a> Iterator for SdesItems<'a> {
    type Item = SdesItem<'a>;

    fn next(&mut self) -> Option<SdesItem<'a>> {
        let (&kind, rest) = self.data.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let (value, rest) = rest.split_at_checked(usize::from(len))?;
        self.data = rest;
        Some(SdesItem { kind, value })
    }
}

/// Iterator over the chunks of a checked SDES packet.
#[derive(Debug, Clone)]
pub struct SdesChunks<'a> {
    data: &'a [u8],
}

impl<'a> Iterator for SdesChunks<'a> {
    type Item = SdesChunk<'a>;

    fn next(&mut self) -> Option<SdesChunk<'a>> {
        next_chunk(&mut self.data).ok().flatten()
    }
}

/// Reads one chunk: SSRC, items up to a null octet, then null octets to the next word.
fn next_chunk<'a>(data: &mut &'a [u8]) -> Result<Option<SdesChunk<'a>>, Error> {
    if data.is_empty() {
        return Ok(None);
    }
    let start_len = data.len();
    let mut r = Reader::new(data);
    let ssrc = r.u32()?;
    let items_start = r.peek_rest();
    let mut items_len = 0;
    loop {
        let kind = r.u8()?;
        if kind == 0 {
            break;
        }
        let len = r.u8()?;
        r.skip(usize::from(len))?;
        items_len += 2 + usize::from(len);
    }
    // Pad to the next word: the chunk began on one. RFC 3550 §6.5 says null octets, but
    // webrtc-rs writes an RTP-style count in the last one, so the contents are not checked.
    let used = start_len - r.remaining();
    r.skip((4 - used % 4) % 4)?;
    let items = items_start.get(..items_len).unwrap_or_default();
    *data = r.rest();
    Ok(Some(SdesChunk { ssrc, items }))
}

impl<'a> Sdes<'a> {
    fn parse(sc: u8, body: &'a [u8]) -> Result<Self, Error> {
        let mut data = body;
        for _ in 0..sc {
            if next_chunk(&mut data)?.is_none() {
                return Err(Error::Malformed("fewer SDES chunks than the count"));
            }
        }
        if !data.is_empty() {
            return Err(Error::Malformed("bytes after the SDES chunks"));
        }
        Ok(Sdes { chunks: body })
    }

    /// The chunks.
    pub fn chunks(&self) -> SdesChunks<'a> {
        SdesChunks { data: self.chunks }
    }
}

/// Writes an SDES packet: for each chunk, its source and items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SdesBuilder<'a> {
    /// The chunks, at most 31.
    pub chunks: &'a [(u32, &'a [SdesItem<'a>])],
}

impl SdesBuilder<'_> {
    /// Appends the packet to `out` and returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        let sc = count_of(self.chunks.len(), "more than 31 SDES chunks")?;
        write_packet(out, sc, SDES, |out| {
            for (ssrc, items) in self.chunks {
                let start = out.len();
                out.extend_from_slice(&ssrc.to_be_bytes());
                for item in *items {
                    if item.kind == 0 {
                        return Err(Error::Unencodable("SDES item type 0"));
                    }
                    let len = u8::try_from(item.value.len())
                        .map_err(|_| Error::Unencodable("SDES item over 255 bytes"))?;
                    out.extend_from_slice(&[item.kind, len]);
                    out.extend_from_slice(item.value);
                }
                out.push(0);
                while !(out.len() - start).is_multiple_of(4) {
                    out.push(0);
                }
            }
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// BYE, APP

/// A goodbye packet (RFC 3550 §6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<'a> {
    ssrcs: &'a [u8],
    /// The reason for leaving, if given.
    pub reason: Option<&'a [u8]>,
}

impl<'a> Bye<'a> {
    fn parse(sc: u8, body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let ssrcs = r.take(usize::from(sc) * 4)?;
        let reason = match r.u8() {
            Ok(len) => Some(r.take(usize::from(len))?),
            Err(_) => None,
        };
        Ok(Bye { ssrcs, reason })
    }

    /// The sources leaving.
    pub fn ssrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        words(self.ssrcs)
    }
}

pub(crate) fn words(data: &[u8]) -> impl ExactSizeIterator<Item = u32> + '_ {
    data.chunks_exact(4)
        .map(|c| c.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)))
}

/// Writes a BYE packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ByeBuilder<'a> {
    /// The sources leaving, at most 31.
    pub ssrcs: &'a [u32],
    /// The reason, at most 255 bytes.
    pub reason: Option<&'a [u8]>,
}

impl ByeBuilder<'_> {
    /// Appends the packet to `out` and returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        let sc = count_of(self.ssrcs.len(), "more than 31 SSRCs in BYE")?;
        write_packet(out, sc, BYE, |out| {
            for s in self.ssrcs {
                out.extend_from_slice(&s.to_be_bytes());
            }
            if let Some(reason) = self.reason {
                let len = u8::try_from(reason.len())
                    .map_err(|_| Error::Unencodable("BYE reason over 255 bytes"))?;
                out.push(len);
                out.extend_from_slice(reason);
            }
            Ok(())
        })
    }
}

/// An application-defined packet (RFC 3550 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App<'a> {
    /// The five-bit subtype.
    pub subtype: u8,
    /// SSRC or CSRC.
    pub ssrc: u32,
    /// The four-character name.
    pub name: [u8; 4],
    /// Application-dependent data.
    pub data: &'a [u8],
}

impl<'a> App<'a> {
    fn parse(subtype: u8, body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        Ok(App {
            subtype,
            ssrc: r.u32()?,
            name: r.array()?,
            data: r.rest(),
        })
    }

    /// Appends this packet to `out` and returns its length (`data` must be a multiple of four
    /// bytes and `subtype` at most 31).
    pub fn write(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        if !self.data.len().is_multiple_of(4) {
            return Err(Error::Unencodable("APP data not a multiple of 4 bytes"));
        }
        write_packet(out, self.subtype, APP, |out| {
            out.extend_from_slice(&self.ssrc.to_be_bytes());
            out.extend_from_slice(&self.name);
            out.extend_from_slice(self.data);
            Ok(())
        })
    }
}

impl Unknown<'_> {
    /// Appends this packet to `out` unchanged (the body is zero-padded to a word).
    pub fn write(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        write_packet(out, self.count, self.packet_type, |out| {
            out.extend_from_slice(self.body);
            Ok(())
        })
    }
}
