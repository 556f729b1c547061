//! Frame assembly: from the RTP packets of one media stream to whole encoded frames; see
//! [`FrameAssembler`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::payload::{self, h264::H264Payload, opus, vp8::Vp8Descriptor};
use crate::{RtpPacket, SeqUnwrapper};

/// Where one payload sits in its frame, as its payload format tells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacketInfo {
    /// The payload surely begins a frame.
    pub starts_frame: bool,
    /// The payload surely ends a frame.
    pub ends_frame: bool,
    /// The payload belongs to a key frame (an independently decodable one).
    pub keyframe: bool,
}

/// What a [`FrameAssembler`] needs from a payload format: check one payload, append its media
/// bytes to a buffer and say where it sits in its frame.
pub trait Depacketizer {
    /// Every frame is decodable on its own (audio): a lost frame needs no key frame.
    const INDEPENDENT_FRAMES: bool = false;

    /// Checks `payload` (of an RTP packet whose marker bit is `marker`), appends the bytes it
    /// contributes to its frame to `out`, and says where it sits in the frame. On error `out`
    /// may hold a partial append; the assembler discards it.
    ///
    /// # Errors
    /// Whatever the payload format's parser rejects.
    fn depacketize(
        &self,
        payload: &[u8],
        marker: bool,
        out: &mut Vec<u8>,
    ) -> Result<PacketInfo, payload::Error>;
}

/// VP8 (RFC 7741): a frame starts at S = 1, PID = 0 (§4.2) and ends at the marker bit
/// (§4.1); the frame bytes are the payloads after their descriptors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Vp8Depacketizer;

impl Depacketizer for Vp8Depacketizer {
    fn depacketize(
        &self,
        payload: &[u8],
        marker: bool,
        out: &mut Vec<u8>,
    ) -> Result<PacketInfo, payload::Error> {
        let d = Vp8Descriptor::parse(payload)?;
        out.extend_from_slice(d.payload);
        Ok(PacketInfo {
            starts_frame: d.starts_frame(),
            ends_frame: marker,
            keyframe: d.is_key_frame(),
        })
    }
}

/// H.264 (RFC 6184, packetization mode 1): a frame is an access unit in Annex B form; it
/// starts where [`H264Payload::starts_frame`] says so and ends at the marker bit (§5.1); key
/// frames are those with an IDR slice or an SPS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct H264Depacketizer;

impl Depacketizer for H264Depacketizer {
    fn depacketize(
        &self,
        payload: &[u8],
        marker: bool,
        out: &mut Vec<u8>,
    ) -> Result<PacketInfo, payload::Error> {
        let p = H264Payload::parse(payload)?;
        p.append_annex_b(out);
        Ok(PacketInfo {
            starts_frame: p.starts_frame(),
            ends_frame: marker,
            keyframe: p.is_keyframe(),
        })
    }
}

/// Opus (RFC 7587): every payload is a whole frame, and every frame is decodable on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpusDepacketizer;

impl Depacketizer for OpusDepacketizer {
    const INDEPENDENT_FRAMES: bool = true;

    fn depacketize(
        &self,
        payload: &[u8],
        _marker: bool,
        out: &mut Vec<u8>,
    ) -> Result<PacketInfo, payload::Error> {
        out.extend_from_slice(opus::depacketize(payload)?);
        Ok(PacketInfo {
            starts_frame: true,
            ends_frame: true,
            keyframe: true,
        })
    }
}

/// Settings of a [`FrameAssembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssemblerConfig {
    /// How many sequence numbers, from the oldest still needed, packets are buffered for
    /// (default 512); clamped to 2..=16384. Also the most packets a frame can have.
    pub window: u16,
    /// How long a missing packet that blocks a frame is waited for, counted from the
    /// arrival of the packet that revealed the gap, before the frame is given up
    /// (default 500 ms: time for a NACK and its retransmission on most paths).
    pub max_wait: Duration,
}

impl Default for AssemblerConfig {
    fn default() -> Self {
        Self {
            window: 512,
            max_wait: Duration::from_millis(500),
        }
    }
}

/// A whole encoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The frame's bytes, as the payload format's [`Depacketizer`] appended them (VP8 frame,
    /// Annex B access unit, Opus packet).
    pub data: Vec<u8>,
    /// The RTP timestamp of its packets.
    pub timestamp: u32,
    /// The sequence number of its first packet.
    pub first_seq: u16,
    /// The sequence number of its last packet.
    pub last_seq: u16,
    /// Whether it is a key frame.
    pub keyframe: bool,
}

/// What a [`FrameAssembler`] has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssemblerEvent {
    /// A complete frame, in decode order.
    Frame(Frame),
    /// `count` sequence numbers from `first` (wrapping) were just found missing: a generic
    /// NACK for them may get them retransmitted (RFC 4585 §6.2.1).
    Missing {
        /// The first missing sequence number.
        first: u16,
        /// How many, at most the window.
        count: u16,
    },
    /// A frame was lost for good, or the stream started without a key frame: frames are
    /// dropped until a key frame arrives; ask for one with a PLI (RFC 4585 §6.3.1).
    KeyframeNeeded,
}

/// Counters of a [`FrameAssembler`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssemblerStats {
    /// Frames handed out.
    pub frames: u64,
    /// Frames given up: incomplete, with a packet that never came or did not depacketize.
    pub frames_lost: u64,
    /// Complete delta frames dropped while waiting for a key frame.
    pub frames_dropped: u64,
    /// Packets received twice.
    pub duplicates: u64,
    /// Packets that came after their place in the window was given up.
    pub late: u64,
    /// Packets whose payload the depacketizer rejected.
    pub malformed: u64,
    /// Events dropped because the queue was full.
    pub events_dropped: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A payload with media.
    Media(PacketInfo),
    /// An empty payload: padding only.
    Padding,
    /// A payload the depacketizer rejected.
    Broken,
}

#[derive(Debug, Default)]
struct Slot {
    /// The extended sequence number held, if any.
    seq: Option<i64>,
    kind: Option<Kind>,
    timestamp: u32,
    arrival: Option<Instant>,
    data: Vec<u8>,
}

/// What the packets from `base` on make.
enum Scan {
    /// A frame from `base` to `end`, `keyframe` if any packet says so.
    Frame { end: i64, keyframe: bool },
    /// The packet at `base` takes no part in a frame: drop it and move on. `media` if it
    /// carried media (the rest of a frame whose start was lost).
    Skip { media: bool },
    /// Waiting for packets after the last one received: nothing to do.
    Waiting,
    /// A packet is missing before the frame can complete; the earliest sign of it arrived
    /// at `since`.
    Blocked { since: Option<Instant> },
    /// The frame holds a payload that did not depacketize.
    Broken,
}

/// Turns the RTP packets of one media stream into whole encoded frames, in decode order, and
/// reports losses for NACK (RFC 4585 §6.2.1) and PLI (RFC 4585 §6.3.1).
///
/// A sans-IO machine in the house shape: feed it packets with
/// [`FrameAssembler::handle_packet`] (or [`FrameAssembler::handle_rtp`]), call
/// [`FrameAssembler::handle_timeout`] when [`FrameAssembler::poll_timeout`] says so, and drain
/// [`FrameAssembler::poll_event`] after every call. It is generic over the payload format
/// through the small [`Depacketizer`] trait, implemented here for VP8 ([`Vp8Depacketizer`]),
/// H.264 ([`H264Depacketizer`]) and Opus ([`OpusDepacketizer`]).
///
/// ```
/// use std::time::Instant;
/// use nutshell_rtp::{AssemblerConfig, AssemblerEvent, FrameAssembler, Vp8Depacketizer};
///
/// let now = Instant::now(); // in tests; a real caller passes its event loop's time
/// let mut assembler = FrameAssembler::new(Vp8Depacketizer, AssemblerConfig::default());
/// // A key frame in two packets (VP8 descriptor S=1 on the first), arriving out of order.
/// assembler.handle_packet(now, 101, 9000, true, &[0x00, 0xbb]);
/// assembler.handle_packet(now, 100, 9000, false, &[0x10, 0x00, 0xaa]);
/// while let Some(event) = assembler.poll_event() {
///     match event {
///         AssemblerEvent::Frame(frame) => {
///             assert_eq!(frame.data, [0x00, 0xaa, 0xbb]);
///             assert!(frame.keyframe);
///         }
///         AssemblerEvent::Missing { .. } => { /* send a generic NACK */ }
///         AssemblerEvent::KeyframeNeeded => { /* send a PLI */ }
///         _ => {}
///     }
/// }
/// ```
///
/// ## How it decides
/// - Sequence numbers are extended to 64 bits ([`SeqUnwrapper`]); a packet more than
///   [`AssemblerConfig::window`] behind the oldest one still needed is *late* and dropped, one
///   that far ahead pushes the window forward and gives up what falls out of it.
/// - A frame is a run of consecutive sequence numbers with one RTP timestamp, from a packet
///   that starts a frame (the codec says so, or the packet before it ended one) to a packet
///   that ends one (the codec says so, usually from the marker bit; a timestamp change ends
///   it too, for senders that forget the marker). Frames go out in sequence order only, so in
///   decode order; one blocked by a missing packet holds back those after it.
/// - A gap in sequence numbers is reported once as [`AssemblerEvent::Missing`] when a later
///   packet reveals it. A retransmission (RFC 4588, once the caller has unwrapped it) fills it.
/// - A frame that cannot complete, because a packet stayed missing for
///   [`AssemblerConfig::max_wait`], fell out of the window, or did not depacketize, is dropped:
///   [`AssemblerEvent::KeyframeNeeded`] follows, and delta frames are dropped until a key
///   frame completes (they could not be decoded).
/// - The stream starts with the first key frame that completes; packets from before it are
///   late. A delta frame that completes first is held for `max_wait` (its key frame may be
///   reordered behind it) while [`AssemblerEvent::KeyframeNeeded`] goes out at once.
/// - Payloads that are empty (padding-only packets, RFC 3550 §5.1) take a sequence number but
///   no place in any frame.
/// - Audio ([`Depacketizer::INDEPENDENT_FRAMES`], as for Opus) never waits for a key frame:
///   a lost frame is only counted.
/// - H.264 frame starts come from [`H264Payload::starts_frame`]'s heuristic, so an IDR slice
///   that overtakes its SPS and PPS at the very start of a stream goes out without them.
///
/// ## Time, errors, panics, memory
/// No clock is read: time comes in as `now`. Nothing returns an error; bad packets are
/// dropped and counted in [`AssemblerStats`]. Nothing panics on any input. Memory is bounded
/// by the window: at most `window` payloads are buffered (each slot keeps its buffer for
/// reuse), and the event queue holds at most `window` events, dropping the oldest beyond
/// that (counted) if the caller does not drain it.
#[derive(Debug)]
pub struct FrameAssembler<D> {
    depacketizer: D,
    window: i64,
    max_wait: Duration,
    unwrapper: SeqUnwrapper,
    slots: Vec<Slot>,
    /// The oldest extended sequence number still needed; `None` before the first packet.
    base: Option<i64>,
    /// The highest extended sequence number received.
    highest: i64,
    /// The packet before `base` ended a frame, so the one at `base` starts one.
    base_clean: bool,
    /// A frame has gone out or been given up: the start of the stream is behind us.
    synced: bool,
    waiting_for_keyframe: bool,
    keyframe_requested: bool,
    blocked_since: Option<Instant>,
    events: VecDeque<AssemblerEvent>,
    stats: AssemblerStats,
}

impl<D: Depacketizer> FrameAssembler<D> {
    /// An assembler that has seen nothing, for payloads `depacketizer` reads.
    pub fn new(depacketizer: D, config: AssemblerConfig) -> Self {
        let window = config.window.clamp(2, 16384);
        Self {
            depacketizer,
            window: i64::from(window),
            max_wait: config.max_wait,
            unwrapper: SeqUnwrapper::new(),
            slots: (0..window).map(|_| Slot::default()).collect(),
            base: None,
            highest: 0,
            base_clean: false,
            synced: false,
            waiting_for_keyframe: true,
            keyframe_requested: false,
            blocked_since: None,
            events: VecDeque::new(),
            stats: AssemblerStats::default(),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> AssemblerStats {
        self.stats
    }

    /// Takes one RTP packet's sequence number, timestamp, marker bit and payload (padding
    /// removed), received at `now`. Never fails: duplicates, late and malformed packets are
    /// dropped and counted. Drain [`FrameAssembler::poll_event`] afterwards.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) {
        let ext = self.unwrapper.unwrap(seq);
        let base = match self.base {
            None => {
                self.base = Some(ext);
                self.highest = ext;
                ext
            }
            Some(base) if ext < base => {
                // Before the first frame, packets of it may come out of order: let the
                // window grow back as long as it still holds everything received.
                if self.synced || self.highest - ext >= self.window {
                    self.stats.late += 1;
                    return;
                }
                self.base = Some(ext);
                ext
            }
            Some(base) => base,
        };
        if ext >= base + self.window {
            self.slide_to(now, ext - self.window + 1);
        }
        if ext > self.highest {
            let first = (self.highest + 1).max(ext - self.window + 1);
            if let Ok(count @ 1..) = u16::try_from(ext - first) {
                self.push_event(AssemblerEvent::Missing {
                    first: first as u16,
                    count,
                });
            }
            self.highest = ext;
        }
        let index = self.index(ext);
        let Some(slot) = self.slots.get_mut(index) else {
            return; // `index` is always below the window: cannot happen
        };
        if slot.seq == Some(ext) {
            self.stats.duplicates += 1;
            return;
        }
        slot.data.clear();
        let kind = if payload.is_empty() {
            Kind::Padding
        } else {
            match self
                .depacketizer
                .depacketize(payload, marker, &mut slot.data)
            {
                Ok(info) => Kind::Media(info),
                Err(_) => {
                    self.stats.malformed += 1;
                    slot.data.clear();
                    Kind::Broken
                }
            }
        };
        slot.seq = Some(ext);
        slot.kind = Some(kind);
        slot.timestamp = timestamp;
        slot.arrival = Some(now);
        self.advance(now);
    }

    /// Takes a parsed RTP packet; the same as [`FrameAssembler::handle_packet`] with its
    /// fields.
    pub fn handle_rtp(&mut self, now: Instant, packet: &RtpPacket<'_>) {
        self.handle_packet(
            now,
            packet.sequence_number(),
            packet.timestamp(),
            packet.marker(),
            packet.payload(),
        );
    }

    /// Gives up a frame whose missing packet has been waited for long enough. Early or
    /// spurious calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        while self.poll_timeout().is_some_and(|t| t <= now) {
            self.give_up();
            self.advance(now);
        }
    }

    /// When [`FrameAssembler::handle_timeout`] should next be called, if at all.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.blocked_since.map(|t| t + self.max_wait)
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<AssemblerEvent> {
        self.events.pop_front()
    }

    fn push_event(&mut self, event: AssemblerEvent) {
        if self.events.len() >= self.slots.len() {
            self.events.pop_front();
            self.stats.events_dropped += 1;
        }
        self.events.push_back(event);
    }

    fn index(&self, ext: i64) -> usize {
        // rem_euclid of a positive window is in 0..window, which fits usize.
        ext.rem_euclid(self.window) as usize
    }

    fn slot(&self, ext: i64) -> Option<&Slot> {
        self.slots
            .get(self.index(ext))
            .filter(|s| s.seq == Some(ext))
    }

    fn clear(&mut self, ext: i64) {
        let index = self.index(ext);
        if let Some(slot) = self.slots.get_mut(index).filter(|s| s.seq == Some(ext)) {
            slot.seq = None;
            slot.kind = None;
        }
    }

    /// Whether the packet at `ext` starts a frame: the codec says so, or the packet before it
    /// is there and ended a frame (marker, or another timestamp).
    fn starts_frame(&self, ext: i64) -> bool {
        let Some(slot) = self.slot(ext) else {
            return false;
        };
        let Some(Kind::Media(info)) = slot.kind else {
            return false;
        };
        info.starts_frame
            || self.slot(ext - 1).is_some_and(|prev| match prev.kind {
                Some(Kind::Media(p)) => p.ends_frame || prev.timestamp != slot.timestamp,
                _ => false,
            })
    }

    /// The arrival time of the first packet after `missing`, which revealed it.
    fn revealed_at(&self, missing: i64) -> Option<Instant> {
        (missing + 1..=self.highest).find_map(|e| self.slot(e).and_then(|s| s.arrival))
    }

    fn scan(&self, base: i64) -> Scan {
        let Some(head) = self.slot(base) else {
            return if base > self.highest {
                Scan::Waiting
            } else {
                Scan::Blocked {
                    since: self.revealed_at(base),
                }
            };
        };
        let info = match head.kind {
            Some(Kind::Media(info)) => info,
            Some(Kind::Broken) => return Scan::Broken,
            Some(Kind::Padding) | None => return Scan::Skip { media: false },
        };
        if !self.base_clean && !info.starts_frame {
            if self.synced {
                return Scan::Skip { media: true };
            }
            // At the start of the stream the frame's first packet may still be on its way.
            return Scan::Blocked {
                since: head.arrival,
            };
        }
        let mut keyframe = info.keyframe;
        let mut last_media = base;
        let mut e = base;
        loop {
            if e - base >= self.window {
                // A frame longer than the window can never be held whole.
                return Scan::Broken;
            }
            let Some(slot) = self.slot(e) else {
                return if e > self.highest {
                    Scan::Waiting
                } else {
                    Scan::Blocked {
                        since: self.revealed_at(e),
                    }
                };
            };
            match slot.kind {
                Some(Kind::Media(i)) => {
                    if slot.timestamp != head.timestamp {
                        // The sender forgot the marker bit: the frame ended before.
                        return Scan::Frame {
                            end: last_media,
                            keyframe,
                        };
                    }
                    keyframe |= i.keyframe;
                    last_media = e;
                    if i.ends_frame {
                        return Scan::Frame { end: e, keyframe };
                    }
                }
                Some(Kind::Broken) => return Scan::Broken,
                Some(Kind::Padding) | None => {}
            }
            e += 1;
        }
    }

    /// Hands out every frame that is complete at the head of the window.
    fn advance(&mut self, now: Instant) {
        while let Some(base) = self.base {
            match self.scan(base) {
                Scan::Frame { end, keyframe } => {
                    if !self.synced && !keyframe && self.waiting_for_keyframe {
                        // At the start a delta frame may come before the key frame it
                        // depends on, reordered: hold it for max_wait, but ask at once.
                        self.request_keyframe();
                        self.blocked_since =
                            Some(self.slot(base).and_then(|s| s.arrival).unwrap_or(now));
                        return;
                    }
                    self.emit(base, end, keyframe);
                    self.base = Some(end + 1);
                    self.base_clean = true;
                    self.synced = true;
                    self.blocked_since = None;
                }
                Scan::Skip { media } => {
                    self.clear(base);
                    self.base = Some(base + 1);
                    // After padding the next packet starts a frame if this one followed a
                    // frame's end; after the rest of a lost frame we wait for a start.
                    if media {
                        self.base_clean = false;
                    }
                }
                Scan::Waiting => {
                    self.blocked_since = None;
                    return;
                }
                Scan::Blocked { since } => {
                    self.blocked_since = Some(since.unwrap_or(now));
                    return;
                }
                Scan::Broken => self.give_up(),
            }
        }
    }

    /// Drops the frame at the head of the window: every packet up to the next one that
    /// starts a frame.
    fn give_up(&mut self) {
        let Some(base) = self.base else {
            return;
        };
        let mut end = base + 1;
        while end <= self.highest && !self.starts_frame(end) {
            end += 1;
        }
        // The new head starts a frame if one was found, or if the last packet given up
        // ended one.
        let clean = end <= self.highest
            || self.slot(end - 1).is_some_and(|s| match s.kind {
                Some(Kind::Media(i)) => i.ends_frame,
                _ => false,
            });
        for e in base..end {
            self.clear(e);
        }
        self.base = Some(end);
        self.base_clean = clean;
        self.synced = true;
        self.blocked_since = None;
        self.frame_lost();
    }

    /// Moves the window so it starts no earlier than `target`, giving up what falls out.
    fn slide_to(&mut self, now: Instant, target: i64) {
        while let Some(base) = self.base.filter(|&b| b < target) {
            if base > self.highest {
                // Nothing buffered: the packets in between are lost.
                self.base = Some(target);
                self.base_clean = false;
                self.synced = true;
                self.frame_lost();
                return;
            }
            self.give_up();
            self.advance(now);
        }
    }

    fn frame_lost(&mut self) {
        self.stats.frames_lost += 1;
        if !D::INDEPENDENT_FRAMES {
            self.request_keyframe();
        }
    }

    fn request_keyframe(&mut self) {
        self.waiting_for_keyframe = true;
        if !self.keyframe_requested {
            self.keyframe_requested = true;
            self.push_event(AssemblerEvent::KeyframeNeeded);
        }
    }

    fn emit(&mut self, base: i64, end: i64, keyframe: bool) {
        let timestamp = self.slot(base).map_or(0, |s| s.timestamp);
        if self.waiting_for_keyframe && !keyframe {
            for e in base..=end {
                self.clear(e);
            }
            self.stats.frames_dropped += 1;
            self.request_keyframe();
            return;
        }
        if keyframe {
            self.waiting_for_keyframe = false;
            self.keyframe_requested = false;
        }
        let mut data = Vec::new();
        for e in base..=end {
            let index = self.index(e);
            if let Some(slot) = self.slots.get_mut(index).filter(|s| s.seq == Some(e)) {
                data.extend_from_slice(&slot.data);
                slot.seq = None;
                slot.kind = None;
            }
        }
        self.stats.frames += 1;
        self.push_event(AssemblerEvent::Frame(Frame {
            data,
            timestamp,
            first_seq: base as u16,
            last_seq: end as u16,
            keyframe,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::h264::H264Packetizer;
    use proptest::prelude::*;

    /// One RTP packet: sequence number, timestamp, marker, payload.
    type Packet = (u16, u32, bool, Vec<u8>);

    /// The packets of a VP8 frame of `n` packets: descriptor S=1 on the first, the first media
    /// byte's P bit 0 for a key frame; each packet carries one byte, `tag` + its index.
    fn vp8_frame(seq: u16, ts: u32, n: u16, key: bool, tag: u8) -> Vec<Packet> {
        (0..n)
            .map(|i| {
                let byte = if i == 0 {
                    (tag & 0xfe) | u8::from(!key)
                } else {
                    tag.wrapping_add(i as u8)
                };
                let descriptor = if i == 0 { 0x10 } else { 0x00 };
                (seq.wrapping_add(i), ts, i + 1 == n, vec![descriptor, byte])
            })
            .collect()
    }

    fn frame_bytes(packets: &[Packet]) -> Vec<u8> {
        packets.iter().map(|p| p.3[1]).collect()
    }

    #[derive(Debug, Default)]
    struct Drained {
        frames: Vec<Frame>,
        missing: Vec<(u16, u16)>,
        keyframe_needed: usize,
    }

    fn feed<D: Depacketizer>(a: &mut FrameAssembler<D>, now: Instant, packets: &[Packet]) {
        for (seq, ts, marker, payload) in packets {
            a.handle_packet(now, *seq, *ts, *marker, payload);
        }
    }

    fn drain<D: Depacketizer>(a: &mut FrameAssembler<D>) -> Drained {
        let mut d = Drained::default();
        while let Some(e) = a.poll_event() {
            match e {
                AssemblerEvent::Frame(f) => d.frames.push(f),
                AssemblerEvent::Missing { first, count } => d.missing.push((first, count)),
                AssemblerEvent::KeyframeNeeded => d.keyframe_needed += 1,
            }
        }
        d
    }

    fn vp8() -> FrameAssembler<Vp8Depacketizer> {
        FrameAssembler::new(Vp8Depacketizer, AssemblerConfig::default())
    }

    /// Three frames of three packets from `seq`: a key frame, then two delta frames.
    fn three_frames(seq: u16) -> Vec<Vec<Packet>> {
        vec![
            vp8_frame(seq, 1000, 3, true, 0x10),
            vp8_frame(seq.wrapping_add(3), 4000, 3, false, 0x20),
            vp8_frame(seq.wrapping_add(6), 7000, 3, false, 0x30),
        ]
    }

    fn assert_frames(got: &[Frame], expected: &[Vec<Packet>]) {
        assert_eq!(got.len(), expected.len(), "{got:?}");
        for (f, e) in got.iter().zip(expected) {
            assert_eq!(f.data, frame_bytes(e));
            assert_eq!(f.timestamp, e[0].1);
            assert_eq!(f.first_seq, e[0].0);
            assert_eq!(f.last_seq, e[e.len() - 1].0);
        }
    }

    #[test]
    fn in_order() {
        let now = Instant::now();
        let mut a = vp8();
        let frames = three_frames(100);
        for (i, f) in frames.iter().enumerate() {
            feed(&mut a, now, f);
            let d = drain(&mut a);
            assert_frames(&d.frames, &frames[i..=i]);
            assert_eq!(d.frames[0].keyframe, i == 0);
            assert!(d.missing.is_empty() && d.keyframe_needed == 0);
        }
        assert_eq!(a.poll_timeout(), None);
        assert_eq!(a.stats().frames, 3);
    }

    #[test]
    fn reordered() {
        let now = Instant::now();
        let mut a = vp8();
        let frames = three_frames(100);
        let all: Vec<Packet> = frames.iter().flatten().cloned().collect();
        // 101, 100, 104, 103, 102, 108, 105, 106, 107
        let order = [1, 0, 4, 3, 2, 8, 5, 6, 7];
        let shuffled: Vec<Packet> = order.iter().map(|&i| all[i].clone()).collect();
        feed(&mut a, now, &shuffled);
        let d = drain(&mut a);
        assert_frames(&d.frames, &frames);
        assert_eq!(d.keyframe_needed, 0);
        // The gaps the reordering opened were reported, once each.
        assert_eq!(d.missing, [(102, 2), (105, 3)]);
        assert_eq!(a.stats().late, 0);
    }

    #[test]
    fn duplicated() {
        let now = Instant::now();
        let mut a = vp8();
        let frames = three_frames(100);
        for p in frames.iter().flatten() {
            feed(&mut a, now, &[p.clone(), p.clone()]);
        }
        let d = drain(&mut a);
        assert_frames(&d.frames, &frames);
        // The second copy of a frame's last packet comes after the frame went out: late.
        assert_eq!(a.stats().duplicates + a.stats().late, 9);
        assert_eq!(a.stats().late, 3);
    }

    #[test]
    fn lost_then_recovered_by_retransmission() {
        let now = Instant::now();
        let mut a = vp8();
        let frames = three_frames(100);
        let all: Vec<Packet> = frames.iter().flatten().cloned().collect();
        let (lost, rest): (Vec<Packet>, Vec<Packet>) = all.into_iter().partition(|p| p.0 == 101);
        feed(&mut a, now, &rest);
        let d = drain(&mut a);
        assert!(d.frames.is_empty(), "blocked behind 101");
        assert_eq!(d.missing, [(101, 1)]);
        assert_eq!(a.poll_timeout(), Some(now + Duration::from_millis(500)));
        // The NACKed packet comes back before the deadline.
        a.handle_timeout(now + Duration::from_millis(100));
        feed(&mut a, now + Duration::from_millis(120), &lost);
        let d = drain(&mut a);
        assert_frames(&d.frames, &frames);
        assert_eq!(d.keyframe_needed, 0);
        assert_eq!(a.poll_timeout(), None);
    }

    #[test]
    fn lost_forever_asks_for_a_keyframe() {
        let now = Instant::now();
        let mut a = vp8();
        let frames = three_frames(100);
        feed(&mut a, now, &frames[0]);
        // Frame 2 loses its middle packet; frame 3 arrives whole.
        let later = now + Duration::from_millis(10);
        feed(&mut a, later, &[frames[1][0].clone(), frames[1][2].clone()]);
        feed(&mut a, later, &frames[2]);
        let d = drain(&mut a);
        assert_frames(&d.frames, &frames[..1]);
        assert_eq!(d.missing, [(104, 1)]);
        let deadline = later + Duration::from_millis(500);
        assert_eq!(a.poll_timeout(), Some(deadline));
        a.handle_timeout(deadline - Duration::from_millis(1));
        assert!(drain(&mut a).keyframe_needed == 0);
        a.handle_timeout(deadline);
        let d = drain(&mut a);
        // Frame 3 is complete but a delta frame after a loss: dropped, and a PLI asked for.
        assert!(d.frames.is_empty());
        assert_eq!(d.keyframe_needed, 1);
        assert_eq!(a.stats().frames_lost, 1);
        assert_eq!(a.stats().frames_dropped, 1);
        // The retransmission comes too late.
        feed(&mut a, deadline, &[frames[1][1].clone()]);
        assert_eq!(a.stats().late, 1);
        // Another delta frame: dropped without a second request; then the key frame.
        feed(&mut a, deadline, &vp8_frame(109, 10000, 2, false, 0x40));
        let key = vp8_frame(111, 13000, 2, true, 0x50);
        feed(&mut a, deadline, &key);
        let d = drain(&mut a);
        assert_eq!(d.keyframe_needed, 0);
        assert_frames(&d.frames, &[key]);
        assert!(d.frames[0].keyframe);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let now = Instant::now();
        let mut a = vp8();
        let frames: Vec<Vec<Packet>> = (0..6u16)
            .map(|i| {
                vp8_frame(
                    65530u16.wrapping_add(3 * i),
                    3000 * u32::from(i),
                    3,
                    i == 0,
                    0x10,
                )
            })
            .collect();
        let mut all: Vec<Packet> = frames.iter().flatten().cloned().collect();
        all.swap(5, 7); // 65535 and 1 swap places across the wrap
        feed(&mut a, now, &all);
        let d = drain(&mut a);
        assert_frames(&d.frames, &frames);
        assert_eq!(d.frames[1].first_seq, 65533);
        assert_eq!(d.frames[1].last_seq, 65535);
        assert_eq!(d.frames[2].first_seq, 0);
        assert_eq!(d.missing, [(65535, 2)]);
    }

    #[test]
    fn window_overflow_gives_up_without_a_timeout() {
        let now = Instant::now();
        let config = AssemblerConfig {
            window: 16,
            ..AssemblerConfig::default()
        };
        let mut a = FrameAssembler::new(Vp8Depacketizer, config);
        feed(&mut a, now, &vp8_frame(0, 0, 2, true, 0x10));
        let broken = vp8_frame(2, 3000, 3, false, 0x20);
        feed(&mut a, now, &[broken[0].clone(), broken[2].clone()]);
        // Delta frames keep coming: 5..=17 fit in the window from 3, 18 does not.
        for i in 0..13u16 {
            feed(
                &mut a,
                now,
                &vp8_frame(5 + i, 6000 + u32::from(i), 1, false, 0x30),
            );
        }
        let d = drain(&mut a);
        assert_eq!(d.frames.len(), 1);
        assert_eq!(d.keyframe_needed, 0);
        let key = vp8_frame(18, 99000, 2, true, 0x40);
        feed(&mut a, now, &key);
        let d = drain(&mut a);
        assert_eq!(d.keyframe_needed, 1);
        assert_frames(&d.frames, &[key]);
        assert_eq!(a.stats().frames_lost, 1);
        assert_eq!(a.stats().frames_dropped, 13);
        // A jump far ahead: everything between is lost, a key frame is needed again.
        feed(&mut a, now, &vp8_frame(5000, 200000, 1, false, 0x50));
        let d = drain(&mut a);
        assert_eq!(d.keyframe_needed, 1);
        assert_eq!(d.missing, [(4985, 15)]);
        assert!(d.frames.is_empty());
    }

    #[test]
    fn starts_by_waiting_for_a_keyframe() {
        let now = Instant::now();
        let mut a = vp8();
        // Joined mid-frame: the first packets are the tail of a frame, then a delta frame.
        feed(&mut a, now, &[(50, 0, true, vec![0x00, 0xaa])]);
        feed(&mut a, now, &vp8_frame(51, 3000, 2, false, 0x20));
        let d = drain(&mut a);
        assert!(d.frames.is_empty());
        // The head (50) may still get its start: give it max_wait.
        assert!(a.poll_timeout().is_some());
        a.handle_timeout(now + Duration::from_secs(1));
        let d = drain(&mut a);
        assert_eq!(d.keyframe_needed, 1);
        let key = vp8_frame(53, 6000, 1, true, 0x30);
        feed(&mut a, now + Duration::from_secs(1), &key);
        assert_frames(&drain(&mut a).frames, &[key]);
    }

    #[test]
    fn first_frame_reordered_at_the_start() {
        let now = Instant::now();
        let mut a = vp8();
        let mut key = vp8_frame(10, 0, 3, true, 0x10);
        key.reverse();
        feed(&mut a, now, &key);
        key.reverse();
        let d = drain(&mut a);
        assert_frames(&d.frames, &[key]);
        assert_eq!(d.keyframe_needed, 0);
    }

    #[test]
    fn padding_takes_no_part() {
        let now = Instant::now();
        let mut a = vp8();
        let f1 = vp8_frame(1, 0, 2, true, 0x10);
        let f2 = vp8_frame(5, 3000, 2, false, 0x20);
        feed(&mut a, now, &f1);
        feed(&mut a, now, &[(4, 0, false, vec![]), (3, 0, false, vec![])]);
        feed(&mut a, now, &f2);
        let d = drain(&mut a);
        assert_frames(&d.frames, &[f1, f2]);
        assert_eq!(d.keyframe_needed, 0);
    }

    #[test]
    fn malformed_packet_loses_its_frame_at_once() {
        let now = Instant::now();
        let mut a = vp8();
        let f1 = vp8_frame(1, 0, 2, true, 0x10);
        let f3 = vp8_frame(6, 6000, 2, true, 0x30);
        feed(&mut a, now, &f1);
        // X=1 with no extension byte: truncated.
        feed(
            &mut a,
            now,
            &[
                (3, 3000, false, vec![0x10, 0x01]),
                (4, 3000, false, vec![0x80]),
                (5, 3000, true, vec![0x00, 2]),
            ],
        );
        feed(&mut a, now, &f3);
        let d = drain(&mut a);
        assert_frames(&d.frames, &[f1, f3]);
        assert_eq!(d.keyframe_needed, 1);
        assert_eq!(a.stats().malformed, 1);
        assert_eq!(a.poll_timeout(), None);
    }

    #[test]
    fn missing_marker_ends_the_frame_at_the_timestamp_change() {
        let now = Instant::now();
        let mut a = vp8();
        let mut f1 = vp8_frame(1, 0, 2, true, 0x10);
        f1[1].2 = false;
        let f2 = vp8_frame(3, 3000, 2, false, 0x20);
        feed(&mut a, now, &f1);
        feed(&mut a, now, &f2);
        assert_frames(&drain(&mut a).frames, &[f1, f2]);
    }

    #[test]
    fn opus_loss_needs_no_keyframe() {
        let now = Instant::now();
        let mut a = FrameAssembler::new(OpusDepacketizer, AssemblerConfig::default());
        feed(
            &mut a,
            now,
            &[(7, 0, true, vec![1]), (9, 1920, false, vec![3])],
        );
        let d = drain(&mut a);
        assert_eq!(d.frames.len(), 1);
        assert_eq!(d.missing, [(8, 1)]);
        a.handle_timeout(now + Duration::from_millis(500));
        let d = drain(&mut a);
        assert_eq!(d.keyframe_needed, 0);
        assert_eq!(d.frames.len(), 1);
        assert_eq!(d.frames[0].data, [3]);
        assert_eq!(a.stats().frames_lost, 1);
    }

    #[test]
    fn h264_access_units() {
        let now = Instant::now();
        let mut a = FrameAssembler::new(H264Depacketizer, AssemblerConfig::default());
        let idr: Vec<u8> = [0x65, 0x88]
            .into_iter()
            .chain((0..3000).map(|i| (i % 250 + 1) as u8))
            .collect();
        let key_au = [&[0x67, 0x42, 0x1f][..], &[0x68, 0xce], &idr];
        let delta_au = [&[0x41, 0x9a, 0x10][..]];
        let mut payloads = Vec::new();
        let p = H264Packetizer::new(1200);
        p.packetize_nals(key_au, &mut payloads).unwrap();
        let key_len = payloads.len();
        p.packetize_nals(delta_au, &mut payloads).unwrap();
        let n = payloads.len();
        let packets: Vec<Packet> = payloads
            .into_iter()
            .enumerate()
            .map(|(i, pl)| {
                let (ts, last) = if i < key_len {
                    (0, key_len - 1)
                } else {
                    (3000, n - 1)
                };
                (i as u16, ts, i == last, pl)
            })
            .collect();
        // The STAP-A of SPS and PPS first, then the rest backwards.
        let mut order = packets.clone();
        order[1..].reverse();
        feed(&mut a, now, &order);
        let d = drain(&mut a);
        assert_eq!(d.frames.len(), 2);
        let annex_b = |nals: &[&[u8]]| -> Vec<u8> {
            nals.iter()
                .flat_map(|n| [0, 0, 0, 1].iter().chain(n.iter()).copied())
                .collect()
        };
        assert_eq!(d.frames[0].data, annex_b(&key_au));
        assert!(d.frames[0].keyframe && !d.frames[1].keyframe);
        assert_eq!(d.frames[1].data, annex_b(&delta_au));
    }

    proptest! {
        /// Frames (a key frame first) sent with reordering bounded by `jitter` positions and
        /// random duplicates, no loss: every frame comes out once, whole, in order.
        #[test]
        fn reordering_and_duplication_lose_nothing(
            start in any::<u16>(),
            sizes in proptest::collection::vec(1u16..12, 1..30),
            keys in proptest::collection::vec(any::<bool>(), 30),
            jitter in 0usize..20,
            moves in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<bool>()), 0..40),
        ) {
            let now = Instant::now();
            let mut frames = Vec::new();
            let mut seq = start;
            for (i, &n) in sizes.iter().enumerate() {
                frames.push(vp8_frame(seq, 3000 * i as u32, n, i == 0 || keys[i], i as u8));
                seq = seq.wrapping_add(n);
            }
            let mut packets: Vec<Packet> = frames.iter().flatten().cloned().collect();
            let len = packets.len();
            for (a, b, dup) in moves.into_iter().filter(|_| len > 1) {
                // The first packet stays first: an assembler cannot know what came before it.
                let i = 1 + a.index(len - 1);
                let j = (i + b.index(jitter + 1)).min(len - 1);
                packets.swap(i, j);
                if dup {
                    let p = packets[i].clone();
                    packets.insert(j, p);
                }
            }
            let mut a = vp8();
            feed(&mut a, now, &packets);
            let d = drain(&mut a);
            assert_frames(&d.frames, &frames);
            prop_assert_eq!(d.keyframe_needed, 0);
            prop_assert_eq!(a.poll_timeout(), None);
        }

        /// With loss, reordering and duplication, whatever comes out is right: whole frames
        /// as sent, in order, a key frame first and after every frame that did not come out.
        #[test]
        fn loss_never_yields_a_wrong_or_undecodable_frame(
            start in any::<u16>(),
            sizes in proptest::collection::vec(1u16..8, 1..40),
            keys in proptest::collection::vec(any::<bool>(), 40),
            lost in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
            swaps in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..6), 0..30),
            window in 4u16..64,
            patient in any::<bool>(),
        ) {
            let t0 = Instant::now();
            let mut frames = Vec::new();
            let mut seq = start;
            for (i, &n) in sizes.iter().enumerate() {
                frames.push(vp8_frame(seq, 3000 * i as u32, n, i == 0 || keys[i], i as u8));
                seq = seq.wrapping_add(n);
            }
            let mut packets: Vec<Packet> = frames.iter().flatten().cloned().collect();
            for l in &lost {
                let i = l.index(packets.len());
                packets.remove(i);
                if packets.is_empty() {
                    return Ok(());
                }
            }
            let len = packets.len();
            for (a, d) in swaps {
                let i = a.index(len);
                packets.swap(i, (i + d).min(len - 1));
            }
            let max_wait = Duration::from_millis(if patient { 1_000_000 } else { 50 });
            let config = AssemblerConfig { window, max_wait };
            let mut a = FrameAssembler::new(Vp8Depacketizer, config);
            let mut out = Vec::new();
            for (k, p) in packets.iter().enumerate() {
                let now = t0 + Duration::from_millis(k as u64 * 5);
                a.handle_timeout(now);
                feed(&mut a, now, std::slice::from_ref(p));
                out.extend(drain(&mut a).frames);
            }
            a.handle_timeout(t0 + Duration::from_secs(3600));
            out.extend(drain(&mut a).frames);
            prop_assert_eq!(a.poll_timeout(), None);
            let mut previous: Option<usize> = None;
            for f in &out {
                let i = frames.iter().position(|e| e[0].0 == f.first_seq && e[0].1 == f.timestamp);
                let Some(i) = i else {
                    return Err(TestCaseError::fail(format!("unknown frame {f:?}")));
                };
                prop_assert_eq!(&f.data, &frame_bytes(&frames[i]));
                prop_assert_eq!(f.keyframe, i == 0 || keys[i]);
                match previous {
                    None => prop_assert!(f.keyframe),
                    Some(p) => {
                        prop_assert!(i > p);
                        prop_assert!(i == p + 1 || f.keyframe, "frame {} after {} is not a key frame", i, p);
                    }
                }
                previous = Some(i);
            }
            if lost.is_empty() && window as usize > len && patient {
                // Nothing lost, everything fits, no timeout: only the very start can go wrong,
                // when a later frame's start overtakes the first packet.
                if packets[0].0 == start {
                    let order: Vec<u16> = packets.iter().map(|p| p.0).collect();
                    prop_assert_eq!(out.len(), frames.len(), "{:?} {:?}", order, out);
                }
            }
        }

        /// H.264 access units packetized by ours, sent with bounded reordering: every access
        /// unit comes out whole, in Annex B form, in order.
        #[test]
        fn h264_access_units_survive_reordering(
            aus in proptest::collection::vec(
                proptest::collection::vec((1u8..=23, proptest::collection::vec(1u8..=255, 0..2500)), 1..4),
                1..6,
            ),
            mtu in 40usize..1300,
            swaps in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..8), 0..20),
        ) {
            let now = Instant::now();
            let p = H264Packetizer { mtu, aggregate: true, drop_aud_and_filler: false };
            let mut packets: Vec<Packet> = Vec::new();
            let mut expected = Vec::new();
            for (i, au) in aus.iter().enumerate() {
                // The first access unit is a key frame: an SPS in front.
                let mut nals: Vec<Vec<u8>> = au
                    .iter()
                    .map(|(t, body)| [&[0x60 | t][..], body].concat())
                    .collect();
                if i == 0 {
                    nals.insert(0, vec![0x67, 0x42, 0x1f]);
                }
                let mut payloads = Vec::new();
                p.packetize_nals(nals.iter().map(|n| &n[..]), &mut payloads).unwrap();
                let last = payloads.len() - 1;
                for (k, pl) in payloads.into_iter().enumerate() {
                    packets.push((packets.len() as u16, 3000 * i as u32, k == last, pl));
                }
                expected.push(nals.iter().flat_map(|n| [0, 0, 0, 1].into_iter().chain(n.iter().copied())).collect::<Vec<u8>>());
            }
            let len = packets.len();
            for (a, d) in swaps.into_iter().filter(|_| len > 1) {
                let i = 1 + a.index(len - 1);
                packets.swap(i, (i + d).min(len - 1));
            }
            let mut a = FrameAssembler::new(H264Depacketizer, AssemblerConfig::default());
            feed(&mut a, now, &packets);
            let d = drain(&mut a);
            let got: Vec<Vec<u8>> = d.frames.into_iter().map(|f| f.data).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
