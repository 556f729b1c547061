//! Transceivers and their RTP streams: packetizing and sending local frames, receiving,
//! demultiplexing and reassembling remote ones.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rtp::{
    AssemblerConfig, AssemblerEvent, ExtensionKind, FrameAssembler, H264Depacketizer,
    OpusDepacketizer, ReceiveStats, RtpPacket, Vp8Depacketizer,
};
use sdp::Direction;

use crate::codec::{Codec, CodecKind, MediaKind};

/// One transceiver: an m-section, its local track (if any) and its remote stream.
#[derive(Debug)]
pub(crate) struct Transceiver {
    pub mid: Option<String>,
    pub kind: MediaKind,
    pub direction: Direction,
    /// The direction negotiated, from our side; `None` before the first negotiation.
    pub current_direction: Option<Direction>,
    pub stream_id: Option<String>,
    pub track_id: String,
    /// A local track is attached.
    pub has_track: bool,
    /// Created by a remote offer (rolled back with it).
    pub from_remote: bool,
    /// Removed by a rollback; kept so that indices (TrackIds) stay valid.
    pub removed: bool,
    /// Rejected in the last negotiation (port 0).
    pub rejected: bool,
    /// Negotiated codecs, in the order of the answer (send with the first).
    pub codecs: Vec<Codec>,
    /// Negotiated extensions.
    pub extensions: Vec<(u8, ExtensionKind)>,
    pub send: SendStream,
    pub recv: Option<RecvStream>,
    /// Remote SSRC from the description, if it said.
    pub remote_ssrc: Option<u32>,
    pub remote_msid: Option<(String, Option<String>)>,
    pub track_announced: bool,
}

impl Transceiver {
    pub(crate) fn new(kind: MediaKind, direction: Direction, ssrc: u32, track_id: String) -> Self {
        Transceiver {
            mid: None,
            kind,
            direction,
            current_direction: None,
            stream_id: None,
            track_id,
            has_track: false,
            from_remote: false,
            removed: false,
            rejected: false,
            codecs: Vec::new(),
            extensions: Vec::new(),
            send: SendStream::new(ssrc),
            recv: None,
            remote_ssrc: None,
            remote_msid: None,
            track_announced: false,
        }
    }

    pub(crate) fn live(&self) -> bool {
        !self.removed && !self.rejected
    }

    /// We send on it, per the negotiated direction.
    pub(crate) fn sending(&self) -> bool {
        self.live()
            && matches!(
                self.current_direction,
                Some(Direction::SendRecv | Direction::SendOnly)
            )
    }

    pub(crate) fn receiving(&self) -> bool {
        self.live()
            && matches!(
                self.current_direction,
                Some(Direction::SendRecv | Direction::RecvOnly)
            )
    }

    pub(crate) fn codec_by_pt(&self, pt: u8) -> Option<&Codec> {
        self.codecs.iter().find(|c| c.payload_type == pt)
    }

    pub(crate) fn ext_id(&self, kind: ExtensionKind) -> Option<u8> {
        self.extensions
            .iter()
            .find(|(_, k)| *k == kind)
            .map(|(id, _)| *id)
    }
}

/// Our outgoing RTP stream of a transceiver.
#[derive(Debug)]
pub(crate) struct SendStream {
    pub ssrc: u32,
    pub seq: u16,
    /// RTP timestamp of the next frame.
    pub timestamp: u32,
    /// Fractional clock ticks carried between frames (in nanoseconds × clock rate).
    pub remainder: u128,
    pub vp8_picture_id: u16,
    /// RFC 6464 byte for the audio level extension: V bit and level in -dBov.
    pub audio_level: u8,
    pub packets: u64,
    pub bytes: u64,
    /// RTP timestamp and time of the last packet, for sender reports.
    pub last_rtp: Option<(u32, Instant)>,
    /// Protected packets by sequence number, for NACK (RFC 4585 §6.2.1).
    pub history: VecDeque<(u16, Vec<u8>)>,
    pub retransmitted: u64,
    pub nacks_received: u64,
    pub plis_received: u64,
    pub firs_received: u64,
    /// From the peer's reports on this stream.
    pub remote_fraction_lost: u8,
    pub remote_lost: i32,
    pub remote_jitter: u32,
    pub rtt: Option<Duration>,
}

impl SendStream {
    pub(crate) fn new(ssrc: u32) -> Self {
        SendStream {
            ssrc,
            seq: (ssrc >> 17) as u16,
            timestamp: ssrc.rotate_left(7),
            remainder: 0,
            vp8_picture_id: (ssrc & 0x7fff) as u16,
            audio_level: 0x7f,
            packets: 0,
            bytes: 0,
            last_rtp: None,
            history: VecDeque::new(),
            retransmitted: 0,
            nacks_received: 0,
            plis_received: 0,
            firs_received: 0,
            remote_fraction_lost: 0,
            remote_lost: 0,
            remote_jitter: 0,
            rtt: None,
        }
    }

    /// Advances the timestamp by `duration` at `clock` Hz, keeping the fraction.
    pub(crate) fn advance(&mut self, duration: Duration, clock: u32) {
        let total = duration.as_nanos() * u128::from(clock) + self.remainder;
        let ticks = total / 1_000_000_000;
        self.remainder = total % 1_000_000_000;
        self.timestamp = self.timestamp.wrapping_add(ticks as u32);
    }

    pub(crate) fn remember(&mut self, seq: u16, packet: &[u8], max: usize) {
        if max == 0 {
            return;
        }
        while self.history.len() >= max {
            self.history.pop_front();
        }
        self.history.push_back((seq, packet.to_vec()));
    }

    pub(crate) fn find(&self, seq: u16) -> Option<&[u8]> {
        self.history
            .iter()
            .rev()
            .find(|(s, _)| *s == seq)
            .map(|(_, p)| p.as_slice())
    }
}

/// How long a NACKed packet is awaited before it is NACKed again.
pub(crate) const NACK_RETRY: Duration = Duration::from_millis(100);
/// PLIs for one stream are at least this far apart, and repeat this often while a key
/// frame is awaited.
pub(crate) const PLI_INTERVAL: Duration = Duration::from_millis(500);
/// NACKs per lost packet after the first.
const NACK_RETRIES: u8 = 3;
/// Lost packets tracked for NACK retries per stream.
const MAX_MISSING: usize = 256;

impl RecvStream {
    /// Records newly missing packets (already NACKed once).
    pub(crate) fn add_missing(&mut self, now: Instant, lost: &[u16]) {
        for &seq in lost {
            if self.missing.len() >= MAX_MISSING {
                self.missing.pop_front();
            }
            self.missing
                .push_back((seq, now + NACK_RETRY, NACK_RETRIES));
        }
    }

    /// A packet arrived: it is no longer missing.
    pub(crate) fn arrived(&mut self, seq: u16) {
        if !self.missing.is_empty() {
            self.missing.retain(|(s, _, _)| *s != seq);
        }
    }

    /// The packets due for another NACK at `now`.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<u16> {
        let mut out = Vec::new();
        for (seq, next, left) in self.missing.iter_mut() {
            if *next <= now && *left > 0 {
                out.push(*seq);
                *left -= 1;
                *next = now + NACK_RETRY;
            }
        }
        self.missing.retain(|(_, _, left)| *left > 0);
        out
    }

    pub(crate) fn next_retry(&self) -> Option<Instant> {
        let pli = self
            .waiting_keyframe
            .then(|| self.last_pli.map(|t| t + PLI_INTERVAL))
            .flatten();
        let nack = self.missing.iter().map(|(_, t, _)| *t).min();
        match (pli, nack) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A frame assembler for one of our codecs.
#[derive(Debug)]
pub(crate) enum Assembler {
    Opus(FrameAssembler<OpusDepacketizer>),
    Vp8(FrameAssembler<Vp8Depacketizer>),
    H264(FrameAssembler<H264Depacketizer>),
}

impl Assembler {
    pub(crate) fn new(kind: CodecKind) -> Self {
        let cfg = AssemblerConfig::default();
        match kind {
            CodecKind::Opus => Assembler::Opus(FrameAssembler::new(OpusDepacketizer, cfg)),
            CodecKind::Vp8 => Assembler::Vp8(FrameAssembler::new(Vp8Depacketizer, cfg)),
            CodecKind::H264 => Assembler::H264(FrameAssembler::new(H264Depacketizer, cfg)),
        }
    }

    pub(crate) fn handle_rtp(&mut self, now: Instant, p: &RtpPacket<'_>) {
        match self {
            Assembler::Opus(a) => a.handle_rtp(now, p),
            Assembler::Vp8(a) => a.handle_rtp(now, p),
            Assembler::H264(a) => a.handle_rtp(now, p),
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        match self {
            Assembler::Opus(a) => a.handle_timeout(now),
            Assembler::Vp8(a) => a.handle_timeout(now),
            Assembler::H264(a) => a.handle_timeout(now),
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Assembler::Opus(a) => a.poll_timeout(),
            Assembler::Vp8(a) => a.poll_timeout(),
            Assembler::H264(a) => a.poll_timeout(),
        }
    }

    pub(crate) fn poll_event(&mut self) -> Option<AssemblerEvent> {
        match self {
            Assembler::Opus(a) => a.poll_event(),
            Assembler::Vp8(a) => a.poll_event(),
            Assembler::H264(a) => a.poll_event(),
        }
    }

    pub(crate) fn frames(&self) -> u64 {
        match self {
            Assembler::Opus(a) => a.stats().frames,
            Assembler::Vp8(a) => a.stats().frames,
            Assembler::H264(a) => a.stats().frames,
        }
    }
}

/// The remote stream received on a transceiver.
#[derive(Debug)]
pub(crate) struct RecvStream {
    pub ssrc: u32,
    pub clock_rate: u32,
    pub stats: ReceiveStats,
    pub assembler: Option<(u8, Assembler)>,
    pub packets: u64,
    pub bytes: u64,
    /// Middle 32 bits of the NTP time of the last SR and when it arrived.
    pub last_sr: Option<(u32, Instant)>,
    pub nacks_sent: u64,
    /// Sequence numbers NACKed and not received yet: next retry time, retries left.
    pub missing: VecDeque<(u16, Instant, u8)>,
    pub plis_sent: u64,
    pub last_pli: Option<Instant>,
    /// Frames are being dropped until a key frame arrives: PLIs repeat until one does.
    pub waiting_keyframe: bool,
}

impl RecvStream {
    pub(crate) fn new(ssrc: u32, clock_rate: u32) -> Self {
        RecvStream {
            ssrc,
            clock_rate,
            stats: ReceiveStats::new(),
            assembler: None,
            packets: 0,
            bytes: 0,
            last_sr: None,
            nacks_sent: 0,
            missing: VecDeque::new(),
            plis_sent: 0,
            last_pli: None,
            waiting_keyframe: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_advance_without_drift() {
        let mut s = SendStream::new(0x1234_5678);
        let start = s.timestamp;
        // 30 fps at 90 kHz: 3000 ticks per frame, exactly, over a second.
        for _ in 0..30 {
            s.advance(Duration::from_nanos(33_333_333), 90_000);
        }
        assert_eq!(s.timestamp.wrapping_sub(start), 89_999);
        // The fraction was carried: 10 ns more make the second whole.
        s.advance(Duration::from_nanos(10), 90_000);
        assert_eq!(s.timestamp.wrapping_sub(start), 90_000);
        // Opus: 960 per 20 ms.
        let mut o = SendStream::new(1);
        let t0 = o.timestamp;
        o.advance(Duration::from_millis(20), 48_000);
        assert_eq!(o.timestamp.wrapping_sub(t0), 960);
    }

    #[test]
    fn history_is_bounded_and_found() {
        let mut s = SendStream::new(1);
        for seq in 0..10u16 {
            s.remember(seq, &[seq as u8], 4);
        }
        assert_eq!(s.history.len(), 4);
        assert_eq!(s.find(9), Some(&[9u8][..]));
        assert_eq!(s.find(5), None);
        s.remember(11, &[1], 0);
        assert_eq!(s.history.len(), 4);
    }

    #[test]
    fn nack_retries_stop_when_the_packet_arrives_or_after_three() {
        let now = Instant::now();
        let mut r = RecvStream::new(1, 90_000);
        r.add_missing(now, &[10, 11]);
        assert_eq!(r.next_retry(), Some(now + NACK_RETRY));
        assert!(r.due(now).is_empty());
        r.arrived(10);
        let mut t = now;
        let mut sent = Vec::new();
        for _ in 0..5 {
            t += NACK_RETRY;
            sent.extend(r.due(t));
        }
        assert_eq!(sent, [11, 11, 11]);
        assert_eq!(r.next_retry(), None);
        // A stream waiting for a key frame repeats its PLI.
        r.waiting_keyframe = true;
        r.last_pli = Some(t);
        assert_eq!(r.next_retry(), Some(t + PLI_INTERVAL));
    }
}
