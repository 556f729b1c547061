//! RTCP feedback (RFC 4585 §6.1): generic NACK, PLI, FIR (RFC 5104) and REMB.

use proto::Reader;

use crate::Error;
use crate::rtcp::{PSFB, RTPFB, words, write_packet};

fn ssrcs(r: &mut Reader<'_>) -> Result<(u32, u32), Error> {
    Ok((r.u32()?, r.u32()?))
}

fn write_ssrcs(out: &mut Vec<u8>, sender: u32, media: u32) {
    out.extend_from_slice(&sender.to_be_bytes());
    out.extend_from_slice(&media.to_be_bytes());
}

/// One NACK FCI entry: a packet id and a bitmask of the 16 following lost packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NackPair {
    /// PID: a lost sequence number.
    pub pid: u16,
    /// BLP: bit i set means `pid + i + 1` is lost too.
    pub blp: u16,
}

impl NackPair {
    /// The sequence numbers this entry reports lost, in order (wrapping past 65535).
    pub fn lost(self) -> impl Iterator<Item = u16> {
        std::iter::once(self.pid).chain(
            (0..16u16)
                .filter(move |i| self.blp & (1 << i) != 0)
                .map(move |i| self.pid.wrapping_add(i + 1)),
        )
    }
}

/// Generic NACK (RFC 4585 §6.2.1): RTPFB, FMT 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nack<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source the losses are in.
    pub media_ssrc: u32,
    fci: &'a [u8],
}

impl<'a> Nack<'a> {
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let (sender_ssrc, media_ssrc) = ssrcs(&mut r)?;
        let fci = r.rest();
        if !fci.len().is_multiple_of(4) {
            return Err(Error::BadBody {
                packet_type: RTPFB,
                reason: "NACK FCI not a multiple of 4 bytes",
            });
        }
        Ok(Nack {
            sender_ssrc,
            media_ssrc,
            fci,
        })
    }

    /// The FCI entries.
    pub fn pairs(&self) -> impl ExactSizeIterator<Item = NackPair> + 'a {
        words(self.fci).map(|w| NackPair {
            pid: (w >> 16) as u16,
            blp: w as u16,
        })
    }

    /// Every sequence number reported lost, entry by entry.
    pub fn lost(&self) -> impl Iterator<Item = u16> + 'a {
        self.pairs().flat_map(NackPair::lost)
    }
}

/// Writes a generic NACK for a list of lost sequence numbers, packing each run of up to 17
/// into one FCI entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NackBuilder<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source.
    pub media_ssrc: u32,
    /// Lost sequence numbers, ascending (modulo wrap-around) for the tightest packing.
    pub lost: &'a [u16],
}

impl NackBuilder<'_> {
    /// Appends the packet to `out` and returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        write_packet(out, 1, RTPFB, |out| {
            write_ssrcs(out, self.sender_ssrc, self.media_ssrc);
            let mut pair: Option<NackPair> = None;
            for &seq in self.lost {
                match pair.as_mut() {
                    Some(p) if (1..=16).contains(&seq.wrapping_sub(p.pid)) => {
                        p.blp |= 1 << (seq.wrapping_sub(p.pid) - 1);
                    }
                    _ => {
                        if let Some(p) = pair {
                            out.extend_from_slice(&p.pid.to_be_bytes());
                            out.extend_from_slice(&p.blp.to_be_bytes());
                        }
                        pair = Some(NackPair { pid: seq, blp: 0 });
                    }
                }
            }
            if let Some(p) = pair {
                out.extend_from_slice(&p.pid.to_be_bytes());
                out.extend_from_slice(&p.blp.to_be_bytes());
            }
            Ok(())
        })
    }
}

/// Picture loss indication (RFC 4585 §6.3.1): PSFB, FMT 1, no FCI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Pli {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source whose picture was lost.
    pub media_ssrc: u32,
}

impl Pli {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, Error> {
        // Any FCI is ignored: PLI defines none.
        let (sender_ssrc, media_ssrc) = ssrcs(&mut Reader::new(body))?;
        Ok(Pli {
            sender_ssrc,
            media_ssrc,
        })
    }

    /// Appends this packet to `out` and returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        write_packet(out, 1, PSFB, |out| {
            write_ssrcs(out, self.sender_ssrc, self.media_ssrc);
            Ok(())
        })
    }
}

/// One FIR FCI entry (RFC 5104 §4.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FirEntry {
    /// The media sender asked for a decoder refresh point.
    pub ssrc: u32,
    /// Command sequence number.
    pub seq: u8,
}

/// Full intra request (RFC 5104 §4.3.1): PSFB, FMT 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fir<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// The media source field (RFC 5104 says it is unused and set to 0).
    pub media_ssrc: u32,
    fci: &'a [u8],
}

impl<'a> Fir<'a> {
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let (sender_ssrc, media_ssrc) = ssrcs(&mut r)?;
        let fci = r.rest();
        if !fci.len().is_multiple_of(8) {
            return Err(Error::BadBody {
                packet_type: PSFB,
                reason: "FIR FCI not a multiple of 8 bytes",
            });
        }
        Ok(Fir {
            sender_ssrc,
            media_ssrc,
            fci,
        })
    }

    /// The FCI entries.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = FirEntry> + 'a {
        self.fci.chunks_exact(8).map(|c| {
            let mut r = Reader::new(c);
            FirEntry {
                ssrc: r.u32().unwrap_or(0),
                seq: r.u8().unwrap_or(0),
            }
        })
    }
}

/// Writes a FIR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FirBuilder<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// The requests.
    pub entries: &'a [FirEntry],
}

impl FirBuilder<'_> {
    /// Appends the packet to `out` and returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        write_packet(out, 4, PSFB, |out| {
            write_ssrcs(out, self.sender_ssrc, 0);
            for e in self.entries {
                out.extend_from_slice(&e.ssrc.to_be_bytes());
                out.extend_from_slice(&[e.seq, 0, 0, 0]);
            }
            Ok(())
        })
    }
}

/// Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03 §2.2): PSFB, FMT 15,
/// FCI starting with "REMB".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remb<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// The estimate in bits per second (mantissa × 2^exponent).
    pub bitrate: u64,
    ssrcs: &'a [u8],
}

const REMB_ID: &[u8; 4] = b"REMB";

impl<'a> Remb<'a> {
    pub(crate) fn is_remb(body: &[u8]) -> bool {
        body.get(8..12) == Some(REMB_ID)
    }

    pub(crate) fn parse(body: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let (sender_ssrc, _media) = ssrcs(&mut r)?;
        r.skip(4)?;
        let num = r.u8()?;
        let br = r.u24()?;
        let exp = br >> 18;
        let mantissa = u64::from(br & 0x3_ffff);
        let ssrcs = r.take(usize::from(num) * 4)?;
        // Up to 18 + 63 bits: saturate rather than lose the high ones.
        let bitrate = if mantissa.leading_zeros() >= exp {
            mantissa << exp
        } else {
            u64::MAX
        };
        Ok(Remb {
            sender_ssrc,
            bitrate,
            ssrcs,
        })
    }

    /// The media sources the estimate applies to.
    pub fn ssrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        words(self.ssrcs)
    }
}

/// Writes a REMB. The bitrate is rounded down to 18 bits of mantissa.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RembBuilder<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// The estimate in bits per second.
    pub bitrate: u64,
    /// The media sources it applies to, at most 255.
    pub ssrcs: &'a [u32],
}

impl RembBuilder<'_> {
    /// Appends the packet to `out` and returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<usize, Error> {
        let num = u8::try_from(self.ssrcs.len())
            .map_err(|_| Error::Unencodable("more than 255 SSRCs in REMB"))?;
        let mut exp = 0u32;
        while self.bitrate >> exp > 0x3_ffff {
            exp += 1;
        }
        // exp <= 46 for any u64, so it fits the six bits.
        let mantissa = (self.bitrate >> exp) as u32;
        write_packet(out, 15, PSFB, |out| {
            write_ssrcs(out, self.sender_ssrc, 0);
            out.extend_from_slice(REMB_ID);
            let [_, a, b, c] = (exp << 18 | mantissa).to_be_bytes();
            out.extend_from_slice(&[num, a, b, c]);
            for s in self.ssrcs {
                out.extend_from_slice(&s.to_be_bytes());
            }
            Ok(())
        })
    }
}
