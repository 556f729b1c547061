//! RTCP: sender and receiver reports on a timer (RFC 3550 §6.4, simplified timing), SDES
//! CNAME, feedback out (generic NACK, PLI) and in (NACK responder, PLI/FIR events, RTT
//! from report blocks).

use std::time::{Duration, Instant, UNIX_EPOCH};

use rtp::{
    NackBuilder, Pli, ReceiverReportBuilder, ReportBlock, RtcpPacket, RtcpPackets, SDES_CNAME,
    SdesBuilder, SdesItem, SenderReportBuilder,
};

use crate::PeerEvent;
use crate::media::PLI_INTERVAL;
use crate::peer::PeerConnection;

/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

impl PeerConnection {
    /// NTP 32.32 time of `now`.
    pub(crate) fn ntp(&self, now: Instant) -> u64 {
        let wall = self
            .config
            .wall_clock_at_start
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            + now.saturating_duration_since(self.start);
        let secs = wall.as_secs().wrapping_add(NTP_UNIX_OFFSET);
        let frac = (u64::from(wall.subsec_nanos()) << 32) / 1_000_000_000;
        (secs << 32) | frac
    }

    /// The SSRC our receiver reports and feedback are sent from.
    fn report_ssrc(&self) -> u32 {
        self.transceivers
            .iter()
            .find(|t| t.live())
            .map_or(1, |t| t.send.ssrc)
    }

    /// One compound RTCP datagram: SR (or RR) with report blocks for every received
    /// stream, more SRs for the other sending streams, and SDES CNAME.
    pub(crate) fn send_reports(&mut self) {
        if self.srtp_tx.is_none() || self.selected.is_none() {
            return;
        }
        let now = self.now;
        let ntp = self.ntp(now);
        let mut blocks: Vec<ReportBlock> = Vec::new();
        for t in self.transceivers.iter_mut().filter(|t| t.live()) {
            if let Some(r) = t.recv.as_mut()
                && blocks.len() < 31
            {
                let (lsr, dlsr) = match r.last_sr {
                    Some((lsr, at)) => {
                        let d = now.saturating_duration_since(at);
                        (lsr, ((d.as_micros() << 16) / 1_000_000) as u32)
                    }
                    None => (0, 0),
                };
                blocks.push(r.stats.report_block(r.ssrc, lsr, dlsr));
            }
        }
        let mut out = Vec::with_capacity(256);
        let mut senders = Vec::new();
        for t in self
            .transceivers
            .iter()
            .filter(|t| t.live() && t.send.packets > 0)
        {
            let clock = t.codecs.first().map_or(90_000, |c| c.clock_rate);
            let rtp_ts = match t.send.last_rtp {
                Some((ts, at)) => {
                    let d = now.saturating_duration_since(at);
                    ts.wrapping_add((d.as_micros() * u128::from(clock) / 1_000_000) as u32)
                }
                None => t.send.timestamp,
            };
            senders.push((
                t.send.ssrc,
                rtp_ts,
                t.send.packets as u32,
                t.send.bytes as u32,
            ));
        }
        let ssrc = senders.first().map_or_else(|| self.report_ssrc(), |s| s.0);
        let result = (|| -> Result<(), rtp::Error> {
            if senders.is_empty() {
                ReceiverReportBuilder {
                    ssrc,
                    reports: &blocks,
                    extension: &[],
                }
                .write(&mut out)?;
            } else {
                for (i, (s, ts, packets, octets)) in senders.iter().enumerate() {
                    SenderReportBuilder {
                        ssrc: *s,
                        ntp_timestamp: ntp,
                        rtp_timestamp: *ts,
                        packet_count: *packets,
                        octet_count: *octets,
                        reports: if i == 0 { &blocks } else { &[] },
                        extension: &[],
                    }
                    .write(&mut out)?;
                }
            }
            let items = [SdesItem {
                kind: SDES_CNAME,
                value: self.cname.as_bytes(),
            }];
            SdesBuilder {
                chunks: &[(ssrc, &items)],
            }
            .write(&mut out)?;
            Ok(())
        })();
        if result.is_ok() {
            self.counters.reports_sent += 1;
            self.send_rtcp(out);
        }
    }

    /// Protects and sends one (compound or reduced-size) RTCP datagram.
    pub(crate) fn send_rtcp(&mut self, mut out: Vec<u8>) {
        let Some(ctx) = self.srtp_tx.as_mut() else {
            return;
        };
        if ctx.protect_rtcp(&mut out).is_err() {
            self.counters.send_errors += 1;
            return;
        }
        self.send_datagram(out);
    }

    /// Generic NACK for the sequence numbers `lost` of transceiver `index`'s remote stream
    /// (reduced-size, RFC 5506).
    pub(crate) fn send_nack(&mut self, index: usize, lost: &[u16]) {
        let sender = self.report_ssrc();
        let Some(r) = self
            .transceivers
            .get_mut(index)
            .and_then(|t| t.recv.as_mut())
        else {
            return;
        };
        if lost.is_empty() {
            return;
        }
        let mut out = Vec::new();
        if (NackBuilder {
            sender_ssrc: sender,
            media_ssrc: r.ssrc,
            lost,
        })
        .write(&mut out)
        .is_ok()
        {
            r.nacks_sent += 1;
            self.send_rtcp(out);
        }
    }

    /// PLI for transceiver `index`'s remote stream, at most every [`PLI_INTERVAL`] unless
    /// `force`.
    pub(crate) fn send_pli(&mut self, index: usize, force: bool) {
        let sender = self.report_ssrc();
        let now = self.now;
        let Some(r) = self
            .transceivers
            .get_mut(index)
            .and_then(|t| t.recv.as_mut())
        else {
            return;
        };
        if !force
            && r.last_pli
                .is_some_and(|t| now.saturating_duration_since(t) < PLI_INTERVAL)
        {
            return;
        }
        r.last_pli = Some(now);
        r.plis_sent += 1;
        let mut out = Vec::new();
        if (Pli {
            sender_ssrc: sender,
            media_ssrc: r.ssrc,
        })
        .write(&mut out)
        .is_ok()
        {
            self.send_rtcp(out);
        }
    }

    fn sender_index(&self, ssrc: u32) -> Option<usize> {
        self.transceivers
            .iter()
            .position(|t| !t.removed && t.send.ssrc == ssrc)
    }

    /// An SRTCP datagram arrived.
    pub(crate) fn handle_srtcp(&mut self, now: Instant, data: &[u8]) {
        let Some(ctx) = self.srtp_rx.as_mut() else {
            self.counters.dropped += 1;
            return;
        };
        let mut buf = data.to_vec();
        if ctx.unprotect_rtcp(&mut buf).is_err() {
            self.counters.srtp_failures += 1;
            return;
        }
        self.counters.rtcp_received += 1;
        let ntp_now = self.ntp(now);
        for packet in RtcpPackets::new(&buf) {
            let Ok(packet) = packet else {
                self.counters.dropped += 1;
                break;
            };
            match packet {
                RtcpPacket::SenderReport(sr) => {
                    let mid32 = (sr.ntp_timestamp >> 16) as u32;
                    if let Some(r) = self
                        .transceivers
                        .iter_mut()
                        .filter_map(|t| t.recv.as_mut())
                        .find(|r| r.ssrc == sr.ssrc)
                    {
                        r.last_sr = Some((mid32, now));
                    }
                    for b in sr.reports() {
                        self.handle_report_block(&b, ntp_now);
                    }
                }
                RtcpPacket::ReceiverReport(rr) => {
                    for b in rr.reports() {
                        self.handle_report_block(&b, ntp_now);
                    }
                }
                RtcpPacket::Pli(pli) => self.keyframe_requested(pli.media_ssrc, false),
                RtcpPacket::Fir(fir) => {
                    for e in fir.entries() {
                        self.keyframe_requested(e.ssrc, true);
                    }
                }
                RtcpPacket::Nack(nack) => {
                    let lost: Vec<u16> = nack.lost().take(256).collect();
                    self.handle_nack(nack.media_ssrc, lost);
                }
                _ => {}
            }
        }
    }

    fn handle_report_block(&mut self, b: &ReportBlock, ntp_now: u64) {
        let Some(i) = self.sender_index(b.ssrc) else {
            return;
        };
        let Some(t) = self.transceivers.get_mut(i) else {
            return;
        };
        t.send.remote_fraction_lost = b.fraction_lost;
        t.send.remote_lost = b.cumulative_lost;
        t.send.remote_jitter = b.jitter;
        if b.last_sr != 0 {
            // RFC 3550 §6.4.1: RTT = A - LSR - DLSR, in 1/65536 s.
            let a = (ntp_now >> 16) as u32;
            let rtt = a
                .wrapping_sub(b.last_sr)
                .wrapping_sub(b.delay_since_last_sr);
            if rtt < 0x8000_0000 {
                t.send.rtt = Some(Duration::from_micros((u64::from(rtt) * 1_000_000) >> 16));
            }
        }
    }

    fn keyframe_requested(&mut self, media_ssrc: u32, fir: bool) {
        let Some(i) = self.sender_index(media_ssrc) else {
            return;
        };
        let Some(t) = self.transceivers.get_mut(i) else {
            return;
        };
        if fir {
            t.send.firs_received += 1;
        } else {
            t.send.plis_received += 1;
        }
        let mid = t.mid.clone().unwrap_or_default();
        self.push_event(PeerEvent::KeyframeRequested { mid });
    }

    fn handle_nack(&mut self, media_ssrc: u32, lost: Vec<u16>) {
        let Some(i) = self.sender_index(media_ssrc) else {
            return;
        };
        let mut resend: Vec<Vec<u8>> = Vec::new();
        let mid = match self.transceivers.get_mut(i) {
            Some(t) => {
                t.send.nacks_received += 1;
                for seq in &lost {
                    if let Some(p) = t.send.find(*seq) {
                        resend.push(p.to_vec());
                    }
                }
                t.send.retransmitted += resend.len() as u64;
                t.mid.clone().unwrap_or_default()
            }
            None => return,
        };
        let retransmitted = resend.len();
        for p in resend {
            self.send_datagram(p);
        }
        self.push_event(PeerEvent::Nack {
            mid,
            lost,
            retransmitted,
        });
    }
}
