//! Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
//! §3.1): RTPFB, FMT 15.
//!
//! ```text
//! | sender SSRC | media SSRC | base seq (16) | packet status count (16) |
//! | reference time (24, signed, ×64 ms) | fb pkt count (8) |
//! | packet chunks (16 bits each) ... | recv deltas ... | zero padding |
//! ```
//! A chunk is either a run length (`0 SS LLLLLLLLLLLLL`: symbol SS repeated L times) or a
//! status vector (`1 0` + 14 one-bit symbols, or `1 1` + 7 two-bit symbols). Symbols: 0 not
//! received, 1 received with a one-byte delta (0..=255 × 250 µs), 2 received with a two-byte
//! signed delta, 3 reserved.

use proto::Reader;

use crate::Error;
use crate::rtcp::{RTPFB, write_packet};

const fn bad(reason: &'static str) -> Error {
    Error::BadBody {
        packet_type: RTPFB,
        reason,
    }
}

/// The delta unit: 250 µs.
pub const DELTA_TICK_MICROS: u32 = 250;
/// The reference time unit: 64 ms.
pub const REFERENCE_TICK_MILLIS: u32 = 64;

/// The status of one packet in a [`TransportCc`] feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TwccPacket {
    /// Its transport-wide sequence number.
    pub seq: u16,
    /// `None` if not received, else its receive delta in 250 µs ticks from the previous
    /// received packet (the first from the reference time).
    pub delta: Option<i32>,
}

/// A transport-wide congestion control feedback packet, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportCc<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source (unused by the algorithm).
    pub media_ssrc: u32,
    /// Sequence number of the first packet reported.
    pub base_seq: u16,
    /// How many packets are reported.
    pub status_count: u16,
    /// Reference time, a 24-bit signed multiple of 64 ms.
    pub reference_time: i32,
    /// Feedback packet count, incremented per feedback sent.
    pub fb_count: u8,
    chunks: &'a [u8],
    deltas: &'a [u8],
}

fn symbols_in(chunk: u16) -> usize {
    if chunk & 0x8000 == 0 {
        usize::from(chunk & 0x1fff)
    } else if chunk & 0x4000 == 0 {
        14
    } else {
        7
    }
}

fn symbol_at(chunk: u16, i: usize) -> u8 {
    let i = (i & 15) as u16;
    if chunk & 0x8000 == 0 {
        ((chunk >> 13) & 3) as u8
    } else if chunk & 0x4000 == 0 {
        ((chunk >> (13u16.saturating_sub(i))) & 1) as u8
    } else {
        ((chunk >> (12u16.saturating_sub(2 * i))) & 3) as u8
    }
}

impl<'a> TransportCc<'a> {
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let sender_ssrc = r.u32()?;
        let media_ssrc = r.u32()?;
        let base_seq = r.u16()?;
        let status_count = r.u16()?;
        let reference = r.u24()?;
        let reference_time = ((reference << 8) as i32) >> 8;
        let fb_count = r.u8()?;
        let after_header = r.peek_rest();
        // Walk the chunks, counting the delta bytes their symbols call for.
        let mut left = usize::from(status_count);
        let mut delta_bytes = 0usize;
        while left > 0 {
            let chunk = r.u16()?;
            let n = symbols_in(chunk).min(left);
            if chunk & 0x8000 == 0 {
                // A run: one symbol n times.
                delta_bytes += match symbol_at(chunk, 0) {
                    3 => return Err(bad("reserved TWCC status symbol")),
                    s => usize::from(s) * n,
                };
            } else {
                for i in 0..n {
                    delta_bytes += match symbol_at(chunk, i) {
                        3 => return Err(bad("reserved TWCC status symbol")),
                        s => usize::from(s),
                    };
                }
            }
            left -= n;
        }
        let chunks = after_header
            .get(..after_header.len() - r.remaining())
            .unwrap_or_default();
        let deltas = r.take(delta_bytes)?;
        if r.remaining() >= 4 {
            return Err(bad("bytes after the TWCC receive deltas"));
        }
        Ok(TransportCc {
            sender_ssrc,
            media_ssrc,
            base_seq,
            status_count,
            reference_time,
            fb_count,
            chunks,
            deltas,
        })
    }

    /// Every packet reported, in sequence order from `base_seq`.
    pub fn packets(&self) -> TwccPackets<'a> {
        TwccPackets {
            chunks: self.chunks,
            deltas: self.deltas,
            chunk: 0,
            pos: 0,
            len: 0,
            left: self.status_count,
            seq: self.base_seq,
        }
    }
}

/// Iterator over the packets of a checked [`TransportCc`].
#[derive(Debug, Clone)]
pub struct TwccPackets<'a> {
    chunks: &'a [u8],
    deltas: &'a [u8],
    chunk: u16,
    pos: usize,
    len: usize,
    left: u16,
    seq: u16,
}

impl Iterator for TwccPackets<'_> {
    type Item = TwccPacket;

    fn next(&mut self) -> Option<TwccPacket> {
        if self.left == 0 {
            return None;
        }
        // Empty runs are legal (if useless): skip them.
        while self.pos == self.len {
            let mut r = Reader::new(self.chunks);
            self.chunk = r.u16().ok()?;
            self.chunks = r.rest();
            self.pos = 0;
            self.len = symbols_in(self.chunk);
        }
        let symbol = symbol_at(self.chunk, self.pos);
        self.pos += 1;
        let mut r = Reader::new(self.deltas);
        let delta = match symbol {
            1 => Some(i32::from(r.u8().ok()?)),
            2 => Some(i32::from(r.u16().ok()? as i16)),
            _ => None,
        };
        self.deltas = r.rest();
        let packet = TwccPacket {
            seq: self.seq,
            delta,
        };
        self.seq = self.seq.wrapping_add(1);
        self.left -= 1;
        Some(packet)
    }
}

/// Writes a transport-wide congestion control feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransportCcBuilder<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source.
    pub media_ssrc: u32,
    /// Sequence number of `packets[0]`.
    pub base_seq: u16,
    /// Reference time, 24-bit signed, in 64 ms units.
    pub reference_time: i32,
    /// Feedback packet count.
    pub fb_count: u8,
    /// For each sequence number from `base_seq`: `None` if not received, else the receive
    /// delta in 250 µs ticks (0..=255 is sent in one byte, other `i16` values in two).
    pub packets: &'a [Option<i32>],
}

fn symbol_of(p: Option<i32>) -> Result<u8, Error> {
    match p {
        None => Ok(0),
        Some(0..=255) => Ok(1),
        Some(d) if i16::try_from(d).is_ok() => Ok(2),
        Some(_) => Err(Error::Unencodable("TWCC delta outside i16")),
    }
}

impl TransportCcBuilder<'_> {
    /// Appends the packet to `out` and returns its length.
    ///
    /// Chunks are chosen greedily: a run length for 14 or more equal symbols (or 7 or more
    /// that cannot share a one-bit vector), else a one-bit vector when the next 14 statuses
    /// need no large delta, else a two-bit vector.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        let count = u16::try_from(self.packets.len())
            .map_err(|_| Error::Unencodable("more than 65535 TWCC statuses"))?;
        if !(-(1 << 23)..(1 << 23)).contains(&self.reference_time) {
            return Err(Error::Unencodable("TWCC reference time outside 24 bits"));
        }
        for p in self.packets {
            symbol_of(*p)?;
        }
        let sym = |i: usize| {
            self.packets
                .get(i)
                .map_or(0, |p| symbol_of(*p).unwrap_or(0))
        };
        write_packet(out, 15, RTPFB, |out| {
            out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
            out.extend_from_slice(&self.media_ssrc.to_be_bytes());
            out.extend_from_slice(&self.base_seq.to_be_bytes());
            out.extend_from_slice(&count.to_be_bytes());
            let [_, a, b, c] = self.reference_time.to_be_bytes();
            out.extend_from_slice(&[a, b, c, self.fb_count]);
            let total = self.packets.len();
            let mut i = 0;
            while i < total {
                let first = sym(i);
                let run = (i..total.min(i + 0x1fff))
                    .take_while(|&j| sym(j) == first)
                    .count();
                let next14 = i..total.min(i + 14);
                let chunk: u16 = if run >= 14 || (run >= 7 && next14.clone().any(|j| sym(j) > 1)) {
                    i += run;
                    u16::from(first) << 13 | run as u16
                } else if next14.clone().all(|j| sym(j) <= 1) {
                    let c = next14
                        .clone()
                        .fold(0x8000u16, |c, j| c | u16::from(sym(j)) << (13 - (j - i)));
                    i = next14.end;
                    c
                } else {
                    let end = total.min(i + 7);
                    let c = (i..end).fold(0xc000u16, |c, j| {
                        c | u16::from(sym(j)) << (12 - 2 * (j - i))
                    });
                    i = end;
                    c
                };
                out.extend_from_slice(&chunk.to_be_bytes());
            }
            for p in self.packets.iter().flatten() {
                match *p {
                    d @ 0..=255 => out.push(d as u8),
                    d => out.extend_from_slice(&(d as i16).to_be_bytes()),
                }
            }
            Ok(())
        })
    }
}
