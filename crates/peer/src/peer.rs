//! The [`PeerConnection`] core: state, the state-machine verbs, and the transport (ICE,
//! DTLS, SRTP) with the RFC 7983 demultiplexer.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dtls::{Dtls, Event as DtlsEvent};
use ice::{IceAgent, IceEvent, Received};
use proto::{Receive, Transmit};
use rtp::{AssemblerEvent, ExtensionKind, RtpPacket, RtpPacketBuilder};
use sdp::{Direction, SessionDescription};

use crate::candidate::candidate_to_sdp;
use crate::codec::{CodecKind, MediaKind};
use crate::config::PeerConfig;
use crate::jsep::{MLine, SignalingState, Snapshot};
use crate::media::{Assembler, RecvStream, Transceiver};
use crate::rng::Rng;
use crate::stats::Counters;
use crate::{ConnectionState, Error, PeerEvent, RtpPacketEvent, TrackId, TrackInfo};

/// Room for the RTP header, extensions and the SRTP tag within the MTU.
const RTP_OVERHEAD: usize = 12 + 32 + 16;

/// SSRCs remembered for demultiplexing.
const MAX_SSRCS: usize = 1024;

/// DTLS datagrams received before the DTLS endpoint exists (kept for it).
const MAX_EARLY_DTLS: usize = 16;

/// A sans-IO WebRTC peer connection. See the [crate docs](crate) for the drive loop.
#[derive(Debug)]
pub struct PeerConnection {
    pub(crate) config: PeerConfig,
    pub(crate) rng: Rng,
    pub(crate) start: Instant,
    pub(crate) now: Instant,
    pub(crate) signaling: SignalingState,
    pub(crate) transceivers: Vec<Transceiver>,
    /// What occupies each m-line of the current (or pending) descriptions.
    pub(crate) mlines: Vec<MLine>,
    /// State to restore if the pending offer is rolled back.
    pub(crate) offer_snapshot: Option<Snapshot>,
    pub(crate) next_mid: u32,
    pub(crate) session_id: u64,
    pub(crate) session_version: u64,
    pub(crate) cname: String,
    /// Descriptions: the pending one of an unfinished exchange and the current ones.
    pub(crate) pending_local: Option<SessionDescription<'static>>,
    pub(crate) pending_remote: Option<SessionDescription<'static>>,
    pub(crate) current_local: Option<SessionDescription<'static>>,
    pub(crate) current_remote: Option<SessionDescription<'static>>,
    /// The last description we created, which set_local_description must match.
    pub(crate) last_created: Option<String>,
    pub(crate) has_local_description: bool,
    pub(crate) ever_negotiated: bool,
    pub(crate) remote_credentials: Option<(String, String)>,
    pub(crate) remote_fingerprints: Vec<dtls::cert::Fingerprint>,
    // --- transport
    pub(crate) ice: IceAgent,
    pub(crate) local_sockets: Vec<SocketAddr>,
    pub(crate) dtls: Option<Dtls>,
    pub(crate) dtls_role: Option<dtls::Role>,
    pub(crate) early_dtls: VecDeque<Vec<u8>>,
    pub(crate) dtls_connected: bool,
    /// The peer closed DTLS (close_notify) after it had connected. W3C counts a closed DTLS
    /// transport like a connected one when it computes the connection state.
    pub(crate) dtls_closed: bool,
    pub(crate) dtls_failed: bool,
    pub(crate) dtls_cipher: Option<&'static str>,
    pub(crate) srtp_tx: Option<srtp::Context>,
    pub(crate) srtp_rx: Option<srtp::Context>,
    pub(crate) srtp_profile: Option<srtp::Profile>,
    pub(crate) selected: Option<(SocketAddr, SocketAddr)>,
    pub(crate) ice_state: ice::ConnectionState,
    pub(crate) gathering_state: ice::GatheringState,
    pub(crate) state: ConnectionState,
    /// Candidates gathered before a local description was set (emitted at that point).
    pub(crate) held_candidates: Vec<ice::Candidate>,
    pub(crate) gathering_complete_held: bool,
    // --- media
    pub(crate) ssrc_index: HashMap<u32, usize>,
    pub(crate) twcc_seq: u16,
    pub(crate) next_rtcp: Option<Instant>,
    // --- output
    pub(crate) events: VecDeque<PeerEvent>,
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) timeout: Option<Instant>,
    pub(crate) counters: Counters,
    pub(crate) closed: bool,
    // --- record & replay
    pub(crate) recorder: Option<crate::record::Recorder>,
    /// DTLS draws a replay feeds to the DTLS endpoint when it starts.
    pub(crate) replay_draws: Option<VecDeque<dtls::CryptoDraw>>,
}

impl PeerConnection {
    /// A connection with no transceivers, in signaling state stable.
    pub fn new(config: PeerConfig, now: Instant) -> Self {
        let mut rng = Rng::new(config.seed);
        let ice = IceAgent::new(
            ice_config(&config, &mut rng, ice::Role::Controlling, None),
            now,
        );
        let cname = rng.token(16);
        let session_id = rng.next_u64() >> 2;
        let recorder = config
            .record
            .then(|| crate::record::Recorder::new(&config, now));
        PeerConnection {
            config,
            rng,
            start: now,
            now,
            signaling: SignalingState::Stable,
            transceivers: Vec::new(),
            mlines: Vec::new(),
            offer_snapshot: None,
            next_mid: 0,
            session_id,
            session_version: 1,
            cname,
            pending_local: None,
            pending_remote: None,
            current_local: None,
            current_remote: None,
            last_created: None,
            has_local_description: false,
            ever_negotiated: false,
            remote_credentials: None,
            remote_fingerprints: Vec::new(),
            ice,
            local_sockets: Vec::new(),
            dtls: None,
            dtls_role: None,
            early_dtls: VecDeque::new(),
            dtls_connected: false,
            dtls_closed: false,
            dtls_failed: false,
            dtls_cipher: None,
            srtp_tx: None,
            srtp_rx: None,
            srtp_profile: None,
            selected: None,
            ice_state: ice::ConnectionState::New,
            gathering_state: ice::GatheringState::New,
            state: ConnectionState::New,
            held_candidates: Vec::new(),
            gathering_complete_held: false,
            ssrc_index: HashMap::new(),
            twcc_seq: 0,
            next_rtcp: None,
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            timeout: None,
            counters: Counters::default(),
            closed: false,
            recorder,
            replay_draws: None,
        }
    }

    // ----- getters -------------------------------------------------------------------------

    /// The signaling state.
    pub fn signaling_state(&self) -> SignalingState {
        self.signaling
    }

    /// The connection state.
    pub fn connection_state(&self) -> ConnectionState {
        self.state
    }

    /// The ICE connection state.
    pub fn ice_connection_state(&self) -> ice::ConnectionState {
        self.ice_state
    }

    /// The ICE gathering state.
    pub fn ice_gathering_state(&self) -> ice::GatheringState {
        self.gathering_state
    }

    /// The mid of a track's transceiver, once assigned (by create_offer or a remote offer).
    pub fn mid(&self, track: TrackId) -> Option<&str> {
        self.transceivers.get(track.0)?.mid.as_deref()
    }

    /// The codec a track sends with (the first negotiated one), once negotiated.
    pub fn send_codec(&self, track: TrackId) -> Option<&crate::Codec> {
        self.transceivers.get(track.0)?.codecs.first()
    }

    /// The SSRC a track sends with.
    pub fn send_ssrc(&self, track: TrackId) -> Option<u32> {
        Some(self.transceivers.get(track.0)?.send.ssrc)
    }

    /// The track of the transceiver with `mid`.
    pub fn track_by_mid(&self, mid: &str) -> Option<TrackId> {
        self.transceivers
            .iter()
            .position(|t| !t.removed && t.mid.as_deref() == Some(mid))
            .map(TrackId)
    }

    /// The DTLS role, once negotiated.
    pub fn dtls_role(&self) -> Option<dtls::Role> {
        self.dtls_role
    }

    /// The current local description, as text, with every candidate gathered so far (and
    /// `a=end-of-candidates` once gathering is complete) in its first bundled section, as
    /// W3C `localDescription`: for non-trickle signaling, send it once
    /// [`PeerEvent::EndOfCandidates`] has come out.
    pub fn local_description(&self) -> Option<String> {
        let mut d = self
            .pending_local
            .as_ref()
            .or(self.current_local.as_ref())?
            .clone();
        if let Some(m) = d.media.iter_mut().find(|m| m.port != 0) {
            m.remove_attributes(|a| {
                matches!(
                    a,
                    sdp::Attribute::Candidate(_) | sdp::Attribute::EndOfCandidates
                )
            });
            let mut cands: Vec<sdp::Attribute<'static>> = Vec::new();
            for c in self.ice.local_candidates() {
                if let Ok(parsed) = sdp::Candidate::parse(&candidate_to_sdp(c)) {
                    cands.push(sdp::Attribute::Candidate(Box::new(parsed.into_owned())));
                }
            }
            if self.gathering_state == ice::GatheringState::Complete {
                cands.push(sdp::Attribute::EndOfCandidates);
            }
            m.attributes.splice(0..0, cands);
        }
        Some(d.to_string())
    }

    /// The current remote description, as text.
    pub fn remote_description(&self) -> Option<String> {
        self.pending_remote
            .as_ref()
            .or(self.current_remote.as_ref())
            .map(|d| d.to_string())
    }

    // ----- commands ------------------------------------------------------------------------

    pub(crate) fn add_local_socket_inner(&mut self, addr: SocketAddr) -> Result<bool, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let used = self.ice.add_host_socket(addr).map_err(Error::Ice)?;
        if used && !self.local_sockets.contains(&addr) {
            self.local_sockets.push(addr);
        }
        self.pump();
        Ok(used)
    }

    pub(crate) fn add_track_inner(
        &mut self,
        kind: MediaKind,
        stream_id: &str,
    ) -> Result<TrackId, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let reuse = self
            .transceivers
            .iter()
            .position(|t| t.live() && t.kind == kind && !t.has_track && t.from_remote);
        let index = match reuse {
            Some(i) => i,
            None => self.push_transceiver(kind, Direction::SendRecv),
        };
        let track_id = self.rng.token(12);
        if let Some(t) = self.transceivers.get_mut(index) {
            t.has_track = true;
            t.stream_id = Some(stream_id.to_owned());
            t.track_id = track_id;
            t.direction = match t.direction {
                Direction::RecvOnly => Direction::SendRecv,
                Direction::Inactive => Direction::SendOnly,
                d => d,
            };
        }
        self.push_event(PeerEvent::NegotiationNeeded);
        Ok(TrackId(index))
    }

    pub(crate) fn add_transceiver_inner(
        &mut self,
        kind: MediaKind,
        direction: Direction,
    ) -> Result<TrackId, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let index = self.push_transceiver(kind, direction);
        if let Some(t) = self.transceivers.get_mut(index) {
            t.has_track = matches!(direction, Direction::SendRecv | Direction::SendOnly);
        }
        self.push_event(PeerEvent::NegotiationNeeded);
        Ok(TrackId(index))
    }

    pub(crate) fn set_direction_inner(
        &mut self,
        track: TrackId,
        direction: Direction,
    ) -> Result<(), Error> {
        let t = self
            .transceivers
            .get_mut(track.0)
            .ok_or(Error::UnknownTrack)?;
        if t.direction != direction {
            t.direction = direction;
            self.push_event(PeerEvent::NegotiationNeeded);
        }
        Ok(())
    }

    pub(crate) fn push_transceiver(&mut self, kind: MediaKind, direction: Direction) -> usize {
        let ssrc = self.fresh_ssrc();
        let track_id = self.rng.token(12);
        self.transceivers
            .push(Transceiver::new(kind, direction, ssrc, track_id));
        self.transceivers.len() - 1
    }

    fn fresh_ssrc(&mut self) -> u32 {
        loop {
            let s = self.rng.next_u32();
            if s != 0 && !self.transceivers.iter().any(|t| t.send.ssrc == s) {
                return s;
            }
        }
    }

    pub(crate) fn add_ice_candidate_inner(
        &mut self,
        candidate: &str,
        sdp_mid: Option<&str>,
        mline_index: Option<u16>,
    ) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let Some(remote) = self
            .pending_remote
            .as_ref()
            .or(self.current_remote.as_ref())
        else {
            return Err(Error::NoRemoteDescription);
        };
        if let Some(mid) = sdp_mid {
            if remote.media_by_mid(mid).is_none() {
                return Err(Error::InvalidCandidate);
            }
        } else if let Some(i) = mline_index
            && usize::from(i) >= remote.media.len()
        {
            return Err(Error::InvalidCandidate);
        }
        let text = candidate.trim();
        if text.is_empty() || text == "a=end-of-candidates" || text == "end-of-candidates" {
            self.ice.end_of_remote_candidates();
        } else {
            match crate::candidate::candidate_from_sdp(text) {
                Ok(c) => {
                    if let Err(e) = self.ice.add_remote_candidate(c) {
                        tracing::debug!(%e, "remote candidate refused");
                    }
                }
                Err(crate::CandidateParse::Unusable) => {}
                Err(crate::CandidateParse::Invalid) => return Err(Error::InvalidCandidate),
            }
        }
        self.pump();
        Ok(())
    }

    pub(crate) fn restart_ice_inner(&mut self) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        self.ice.restart();
        // The restart forgot the peer's credentials: take them again from its next
        // description even if they did not change.
        self.remote_credentials = None;
        self.push_event(PeerEvent::NegotiationNeeded);
        self.pump();
        Ok(())
    }

    pub(crate) fn close_inner(&mut self) {
        if self.closed {
            return;
        }
        if let Some(d) = self.dtls.as_mut() {
            d.close();
        }
        self.flush_dtls();
        self.ice.close();
        self.closed = true;
        self.signaling = SignalingState::Closed;
        self.set_state(ConnectionState::Closed);
        self.pump();
    }

    pub(crate) fn request_keyframe_inner(&mut self, mid: &str) -> Result<(), Error> {
        let index = self
            .transceivers
            .iter()
            .position(|t| t.live() && t.mid.as_deref() == Some(mid))
            .ok_or(Error::UnknownMid)?;
        self.send_pli(index, true);
        self.pump();
        Ok(())
    }

    pub(crate) fn write_frame_inner(
        &mut self,
        track: TrackId,
        duration: Duration,
        data: &[u8],
    ) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let max_payload = self.config.mtu.saturating_sub(RTP_OVERHEAD).max(64);
        let t = self
            .transceivers
            .get_mut(track.0)
            .ok_or(Error::UnknownTrack)?;
        if !t.has_track || t.removed {
            return Err(Error::UnknownTrack);
        }
        let Some(codec) = t.codecs.first().cloned() else {
            return Err(Error::NotSending);
        };
        let mut payloads: Vec<Vec<u8>> = Vec::new();
        match codec.kind {
            CodecKind::Opus => {
                let p = rtp::payload::opus::OpusPacketizer::new(max_payload)
                    .packetize(data)
                    .map_err(Error::Packetize)?;
                payloads.push(p.to_vec());
            }
            CodecKind::Vp8 => {
                let mut p =
                    rtp::payload::vp8::Vp8Packetizer::new(max_payload, t.send.vp8_picture_id);
                p.packetize(data, &mut payloads).map_err(Error::Packetize)?;
                t.send.vp8_picture_id = p.picture_id;
            }
            CodecKind::H264 => {
                rtp::payload::h264::H264Packetizer::new(max_payload)
                    .packetize(data, &mut payloads)
                    .map_err(Error::Packetize)?;
            }
        }
        let timestamp = t.send.timestamp;
        t.send.advance(duration, codec.clock_rate);
        if !t.sending() || self.srtp_tx.is_none() || self.selected.is_none() {
            self.counters.frames_dropped_not_connected += 1;
            return Ok(());
        }
        let last = payloads.len().saturating_sub(1);
        for (i, payload) in payloads.iter().enumerate() {
            let marker = codec.kind != CodecKind::Opus && i == last;
            self.send_rtp(
                track.0,
                codec.payload_type,
                None,
                timestamp,
                marker,
                payload,
            );
        }
        self.pump();
        Ok(())
    }

    pub(crate) fn set_audio_level_inner(
        &mut self,
        track: TrackId,
        level: u8,
        voice: bool,
    ) -> Result<(), Error> {
        let t = self
            .transceivers
            .get_mut(track.0)
            .ok_or(Error::UnknownTrack)?;
        t.send.audio_level = (u8::from(voice) << 7) | level.min(127);
        Ok(())
    }

    pub(crate) fn write_rtp_inner(&mut self, track: TrackId, packet: &[u8]) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let p = RtpPacket::parse(packet).map_err(Error::Rtp)?;
        let t = self.transceivers.get(track.0).ok_or(Error::UnknownTrack)?;
        if !t.has_track || t.removed {
            return Err(Error::UnknownTrack);
        }
        if !t.sending() || self.srtp_tx.is_none() || self.selected.is_none() {
            self.counters.frames_dropped_not_connected += 1;
            return Ok(());
        }
        self.send_rtp(
            track.0,
            p.payload_type(),
            Some(p.sequence_number()),
            p.timestamp(),
            p.marker(),
            p.payload(),
        );
        self.pump();
        Ok(())
    }

    /// Builds, protects and sends one RTP packet of transceiver `index`.
    fn send_rtp(
        &mut self,
        index: usize,
        pt: u8,
        seq: Option<u16>,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) {
        let abs_send_time = self.abs_send_time();
        let twcc = self.twcc_seq;
        self.twcc_seq = self.twcc_seq.wrapping_add(1);
        let max_history = self.config.nack_history;
        let now = self.now;
        let Some(t) = self.transceivers.get_mut(index) else {
            return;
        };
        let seq = seq.unwrap_or_else(|| {
            let s = t.send.seq;
            t.send.seq = t.send.seq.wrapping_add(1);
            s
        });
        let mid = t.mid.clone().unwrap_or_default();
        let mut b = RtpPacketBuilder::new(pt, seq, timestamp, t.send.ssrc).marker(marker);
        let tw = twcc.to_be_bytes();
        let ast = abs_send_time.to_be_bytes();
        let level = [t.send.audio_level];
        if let Some(id) = t.ext_id(ExtensionKind::Mid) {
            b = b.extension(id, mid.as_bytes());
        }
        if let Some(id) = t.ext_id(ExtensionKind::AbsSendTime) {
            b = b.extension(id, ast.get(1..).unwrap_or_default());
        }
        if let Some(id) = t.ext_id(ExtensionKind::TransportCc) {
            b = b.extension(id, &tw);
        }
        if t.kind == MediaKind::Audio
            && let Some(id) = t.ext_id(ExtensionKind::AudioLevel)
        {
            b = b.extension(id, &level);
        }
        let mut buf = Vec::with_capacity(payload.len() + RTP_OVERHEAD + 16);
        if b.payload(payload).write(&mut buf).is_err() {
            self.counters.send_errors += 1;
            return;
        }
        let Some(ctx) = self.srtp_tx.as_mut() else {
            return;
        };
        if ctx.protect_rtp(&mut buf).is_err() {
            self.counters.send_errors += 1;
            return;
        }
        t.send.packets += 1;
        t.send.bytes += payload.len() as u64;
        t.send.last_rtp = Some((timestamp, now));
        if t.kind == MediaKind::Video {
            t.send.remember(seq, &buf, max_history);
        }
        self.send_datagram(buf);
    }

    /// abs-send-time: 6.18 fixed-point seconds, 24 bits.
    fn abs_send_time(&self) -> u32 {
        let d = self.now.saturating_duration_since(self.start);
        let t = (d.as_nanos() << 18) / 1_000_000_000;
        (t & 0x00ff_ffff) as u32
    }

    /// Sends a datagram on the selected pair (taking the buffer: no copy). Refused, and
    /// counted, without a selected pair or once consent has expired (RFC 7675 §5.1).
    pub(crate) fn send_datagram(&mut self, data: Vec<u8>) {
        use ice::ConnectionState as I;
        match self.selected {
            Some((source, destination)) if !matches!(self.ice_state, I::Failed | I::Closed) => {
                self.push_transmit(Transmit {
                    protocol: proto::Protocol::Udp,
                    source,
                    destination,
                    contents: data,
                });
            }
            _ => self.counters.send_errors += 1,
        }
    }

    pub(crate) fn push_transmit(&mut self, t: Transmit) {
        if self.transmits.len() >= self.config.max_queued_transmits {
            self.transmits.pop_front();
            self.counters.transmits_dropped += 1;
        }
        self.transmits.push_back(t);
    }

    pub(crate) fn push_event(&mut self, e: PeerEvent) {
        if self.events.len() >= self.config.max_queued_events {
            // Drop the oldest media event rather than a state change.
            let media = self.events.iter().position(|e| {
                matches!(
                    e,
                    PeerEvent::Rtp(_) | PeerEvent::Frame { .. } | PeerEvent::Nack { .. }
                )
            });
            match media {
                Some(i) => {
                    self.events.remove(i);
                }
                None => {
                    self.events.pop_front();
                }
            }
            self.counters.events_dropped += 1;
        }
        self.events.push_back(e);
    }

    // ----- the state-machine verbs ---------------------------------------------------------

    pub(crate) fn handle_receive_inner(&mut self, now: Instant, r: Receive<'_>) {
        self.advance(now);
        if self.closed {
            return;
        }
        let Some(&first) = r.contents.first() else {
            self.counters.dropped += 1;
            return;
        };
        match first {
            // RFC 7983 §7: STUN.
            0..=3 => {
                let _ = self.ice.handle_receive(now, r);
            }
            // DTLS.
            20..=63 => {
                if self.ice.handle_receive(now, r) == Received::Data {
                    self.handle_dtls(now, r.contents);
                } else {
                    self.counters.dropped += 1;
                }
            }
            // RTP / RTCP.
            128..=191 => {
                if self.ice.handle_receive(now, r) != Received::Data {
                    self.counters.dropped += 1;
                } else if r.contents.get(1).is_some_and(|b| (192..=223).contains(b)) {
                    self.handle_srtcp(now, r.contents);
                } else {
                    self.handle_srtp(now, r.contents);
                }
            }
            _ => {
                tracing::trace!(first, "datagram of no known protocol");
                self.counters.dropped += 1;
            }
        }
        self.pump();
    }

    pub(crate) fn handle_timeout_inner(&mut self, now: Instant) {
        self.advance(now);
        if self.closed {
            return;
        }
        self.ice.handle_timeout(now);
        if let Some(d) = self.dtls.as_mut() {
            d.handle_timeout(now);
        }
        for i in 0..self.transceivers.len() {
            if let Some((_, a)) = self
                .transceivers
                .get_mut(i)
                .and_then(|t| t.recv.as_mut())
                .and_then(|r| r.assembler.as_mut())
                && a.poll_timeout().is_some_and(|t| t <= now)
            {
                a.handle_timeout(now);
                self.drain_assembler(i);
            }
        }
        for i in 0..self.transceivers.len() {
            let (due, pli) = match self.transceivers.get_mut(i).and_then(|t| t.recv.as_mut()) {
                Some(r) if r.next_retry().is_some_and(|t| t <= now) => {
                    let pli = r.waiting_keyframe
                        && r.last_pli
                            .is_none_or(|t| t + crate::media::PLI_INTERVAL <= now);
                    (r.due(now), pli)
                }
                _ => continue,
            };
            self.send_nack(i, &due);
            if pli {
                self.send_pli(i, false);
            }
        }
        if self.next_rtcp.is_some_and(|t| t <= now) {
            self.send_reports();
            self.next_rtcp = now.checked_add(self.rtcp_jittered_interval());
        }
        self.pump();
    }

    fn rtcp_jittered_interval(&mut self) -> Duration {
        // RFC 3550 §6.3.1 randomizes between 0.5 and 1.5 times the interval.
        let base = self.config.rtcp_interval;
        let factor = 500 + self.rng.next_u32() % 1000;
        base.saturating_mul(factor) / 1000
    }

    pub(crate) fn poll_transmit_inner(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub(crate) fn poll_event_inner(&mut self) -> Option<PeerEvent> {
        self.events.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next. O(1): computed after
    /// every mutation.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timeout
    }

    fn advance(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
    }

    // ----- transport -----------------------------------------------------------------------

    /// Drains the children into our queues, translates their events, and recomputes the
    /// connection state and the timeout. Called after every mutation.
    pub(crate) fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.ice.poll_transmit() {
                self.push_transmit(t);
            }
            while let Some(ev) = self.ice.poll_event() {
                progressed = true;
                self.handle_ice_event(ev);
            }
            if self.flush_dtls() {
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        self.update_state();
        self.compute_timeout();
    }

    fn handle_ice_event(&mut self, ev: IceEvent) {
        match ev {
            IceEvent::LocalCandidate(c) => {
                if self.has_local_description {
                    self.emit_candidate(&c);
                } else {
                    self.held_candidates.push(c);
                }
            }
            IceEvent::GatheringState(s) => {
                self.gathering_state = s;
                self.push_event(PeerEvent::IceGatheringState(s));
                if s == ice::GatheringState::Complete {
                    if self.has_local_description {
                        self.push_event(PeerEvent::EndOfCandidates);
                    } else {
                        self.gathering_complete_held = true;
                    }
                }
            }
            IceEvent::ConnectionState(s) => {
                self.ice_state = s;
                // A restart after consent failure drops the pair without a SelectedPair.
                self.selected = self.ice.selected_tuple();
                self.push_event(PeerEvent::IceConnectionState(s));
            }
            IceEvent::SelectedPair { .. } => {
                self.selected = self.ice.selected_tuple();
            }
            _ => {}
        }
    }

    pub(crate) fn emit_candidate(&mut self, c: &ice::Candidate) {
        let (sdp_mid, mline_index) = self.first_mid();
        self.push_event(PeerEvent::IceCandidate {
            candidate: candidate_to_sdp(c),
            sdp_mid,
            mline_index,
        });
    }

    /// Mid and index of the first bundled (accepted) media section of the local description.
    pub(crate) fn first_mid(&self) -> (String, u16) {
        let desc = self.pending_local.as_ref().or(self.current_local.as_ref());
        if let Some(d) = desc {
            for (i, m) in d.media.iter().enumerate() {
                if m.port != 0
                    && let Some(mid) = m.mid()
                {
                    return (mid.to_owned(), i as u16);
                }
            }
        }
        ("0".to_owned(), 0)
    }

    /// Called when a local description is set: release held candidates.
    pub(crate) fn release_candidates(&mut self) {
        self.has_local_description = true;
        for c in std::mem::take(&mut self.held_candidates) {
            self.emit_candidate(&c);
        }
        if std::mem::take(&mut self.gathering_complete_held) {
            self.push_event(PeerEvent::EndOfCandidates);
        }
    }

    /// Moves DTLS datagrams onto the selected pair and handles DTLS events. Returns whether
    /// anything happened.
    fn flush_dtls(&mut self) -> bool {
        let mut progressed = false;
        if self.selected.is_some() {
            while let Some(d) = self.dtls.as_mut().and_then(|d| d.poll_transmit()) {
                self.send_datagram(d);
            }
        }
        while let Some(ev) = self.dtls.as_mut().and_then(|d| d.poll_event()) {
            progressed = true;
            match ev {
                DtlsEvent::Connected { suite, .. } => {
                    self.dtls_connected = true;
                    self.dtls_cipher = Some(suite.name());
                }
                DtlsEvent::SrtpKeyingMaterial(k) => self.install_srtp(&k),
                DtlsEvent::Failed(e) => {
                    tracing::debug!(%e, "DTLS failed");
                    self.dtls_failed = true;
                }
                DtlsEvent::Closed => {
                    self.dtls_closed = self.dtls_connected;
                    self.dtls_connected = false;
                }
                _ => {}
            }
        }
        progressed
    }

    fn install_srtp(&mut self, k: &dtls::SrtpKeyingMaterial) {
        let (Some(profile), Some(role)) = (srtp::Profile::from_id(k.profile.id()), self.dtls_role)
        else {
            self.dtls_failed = true;
            return;
        };
        let role = match role {
            dtls::Role::Client => srtp::Role::Client,
            dtls::Role::Server => srtp::Role::Server,
        };
        let keys = match srtp::KeyingMaterial::split(&k.material, profile, role) {
            Ok(keys) => keys,
            Err(_) => {
                self.dtls_failed = true;
                return;
            }
        };
        let cfg = srtp::Config::default();
        match (
            srtp::Context::new(profile, &keys.local, cfg),
            srtp::Context::new(profile, &keys.remote, cfg),
        ) {
            (Ok(tx), Ok(rx)) => {
                self.srtp_tx = Some(tx);
                self.srtp_rx = Some(rx);
                self.srtp_profile = Some(profile);
                self.next_rtcp = self.now.checked_add(self.config.rtcp_interval / 2);
            }
            _ => self.dtls_failed = true,
        }
    }

    /// Starts the DTLS endpoint once the role and the remote fingerprints are known.
    pub(crate) fn start_dtls(&mut self, role: dtls::Role) {
        if self.dtls.is_some() {
            return;
        }
        let mut cfg = dtls::Config::new(role, self.config.certificate.clone(), self.rng.bytes32());
        cfg.remote_fingerprints = self.remote_fingerprints.clone();
        cfg.srtp_profiles = self.config.srtp_profiles.clone();
        cfg.mtu = self.config.mtu;
        cfg.initial_retransmit_timeout = self.config.dtls_initial_timeout;
        cfg.max_retransmit_timeout = self.config.dtls_max_timeout;
        cfg.max_retransmits = self.config.dtls_max_retransmits;
        // No HelloVerifyRequest (as browsers): DTLS is only accepted from 5-tuples ICE has
        // validated, which already proves the client's return routability (the cookie's
        // purpose, RFC 6347 §4.2.1), and a client that changes its ClientHello after the
        // cookie exchange (str0m's hybrid DTLS 1.3/1.2 client) would never get past it.
        cfg.cookie_exchange = false;
        cfg.draws = match self.replay_draws.take() {
            Some(queue) => dtls::Draws::Replay(queue),
            None if self.recorder.is_some() => dtls::Draws::Record,
            None => dtls::Draws::Live,
        };
        let mut d = Dtls::new(cfg, self.now);
        for early in std::mem::take(&mut self.early_dtls) {
            d.handle_receive(self.now, &early);
        }
        self.dtls = Some(d);
        self.dtls_role = Some(role);
    }

    fn handle_dtls(&mut self, now: Instant, data: &[u8]) {
        match self.dtls.as_mut() {
            Some(d) => d.handle_receive(now, data),
            None => {
                if self.early_dtls.len() < MAX_EARLY_DTLS {
                    self.early_dtls.push_back(data.to_vec());
                } else {
                    self.counters.dropped += 1;
                }
            }
        }
    }

    fn update_state(&mut self) {
        if self.closed {
            return;
        }
        use ice::ConnectionState as I;
        let s = if self.dtls_failed || self.ice_state == I::Failed {
            ConnectionState::Failed
        } else if self.ice_state == I::Disconnected {
            ConnectionState::Disconnected
        } else if matches!(self.ice_state, I::Connected | I::Completed)
            && (self.dtls_connected || self.dtls_closed)
            && self.srtp_tx.is_some()
        {
            ConnectionState::Connected
        } else if self.ice_state == I::New && self.dtls.is_none() {
            ConnectionState::New
        } else {
            ConnectionState::Connecting
        };
        self.set_state(s);
    }

    fn set_state(&mut self, s: ConnectionState) {
        if self.state != s {
            self.state = s;
            self.push_event(PeerEvent::ConnectionState(s));
        }
    }

    fn compute_timeout(&mut self) {
        if self.closed {
            self.timeout = None;
            return;
        }
        let mut t = self.ice.poll_timeout();
        let mut take = |x: Option<Instant>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        take(self.dtls.as_ref().and_then(|d| d.poll_timeout()));
        take(self.next_rtcp);
        for tr in &self.transceivers {
            if let Some(r) = tr.recv.as_ref() {
                if let Some((_, a)) = r.assembler.as_ref() {
                    take(a.poll_timeout());
                }
                take(r.next_retry());
            }
        }
        self.timeout = t;
    }

    // ----- receiving media -----------------------------------------------------------------

    fn handle_srtp(&mut self, now: Instant, data: &[u8]) {
        let Some(ctx) = self.srtp_rx.as_mut() else {
            self.counters.dropped += 1;
            return;
        };
        let mut buf = data.to_vec();
        if let Err(e) = ctx.unprotect_rtp(&mut buf) {
            tracing::trace!(%e, "SRTP unprotect failed");
            self.counters.srtp_failures += 1;
            return;
        }
        let Ok(p) = RtpPacket::parse(&buf) else {
            self.counters.dropped += 1;
            return;
        };
        let Some(index) = self.demux(&p) else {
            tracing::trace!(ssrc = p.ssrc(), "RTP for no transceiver");
            self.counters.unknown_ssrc += 1;
            return;
        };
        let emit_rtp = self.config.emit_rtp;
        let start = self.start;
        let Some(t) = self.transceivers.get_mut(index) else {
            return;
        };
        let mid = t.mid.clone().unwrap_or_default();
        let clock = t
            .codec_by_pt(p.payload_type())
            .map_or(90_000, |c| c.clock_rate);
        if t.recv.as_ref().is_none_or(|r| r.ssrc != p.ssrc()) {
            t.recv = Some(RecvStream::new(p.ssrc(), clock));
        }
        let codec_kind = t.codec_by_pt(p.payload_type()).map(|c| c.kind);
        let announce = !t.track_announced;
        let info = TrackInfo {
            mid: mid.clone(),
            kind: t.kind,
            stream_id: t.remote_msid.as_ref().map(|m| m.0.clone()),
            track_id: t.remote_msid.as_ref().and_then(|m| m.1.clone()),
            ssrc: Some(p.ssrc()),
            codec: t.codec_by_pt(p.payload_type()).cloned(),
        };
        t.track_announced = true;
        let Some(r) = t.recv.as_mut() else {
            return;
        };
        let arrival = now.saturating_duration_since(start);
        let arrival = (arrival.as_micros() * u128::from(r.clock_rate) / 1_000_000) as u32;
        r.stats.update(p.sequence_number(), p.timestamp(), arrival);
        r.arrived(p.sequence_number());
        r.packets += 1;
        r.bytes += p.payload().len() as u64;
        if let Some(kind) = codec_kind {
            if r.assembler
                .as_ref()
                .is_none_or(|(pt, _)| *pt != p.payload_type())
            {
                r.assembler = Some((p.payload_type(), Assembler::new(kind)));
            }
            if let Some((_, a)) = r.assembler.as_mut() {
                a.handle_rtp(now, &p);
            }
        }
        if announce {
            self.push_event(PeerEvent::Track(info));
        }
        if emit_rtp {
            let (ssrc, payload_type, sequence_number, timestamp, marker, header_len) = (
                p.ssrc(),
                p.payload_type(),
                p.sequence_number(),
                p.timestamp(),
                p.marker(),
                p.header_len(),
            );
            let ev = RtpPacketEvent {
                mid,
                ssrc,
                payload_type,
                sequence_number,
                timestamp,
                marker,
                header_len,
                packet: buf,
            };
            self.push_event(PeerEvent::Rtp(ev));
        }
        self.drain_assembler(index);
    }

    /// Finds the transceiver of a packet: MID extension, then SSRC, then payload type
    /// (RFC 9143 §9.2, RFC 8843 §9.2).
    fn demux(&mut self, p: &RtpPacket<'_>) -> Option<usize> {
        let ssrc = p.ssrc();
        // The MID extension id is the same in every bundled section (RFC 8843 §9.1): look
        // it up on the receiving transceivers.
        let by_mid = self
            .transceivers
            .iter()
            .filter(|t| t.receiving())
            .find_map(|t| {
                let id = t.ext_id(ExtensionKind::Mid)?;
                let data = p.extensions().find(|e| e.id == id)?.data;
                let mid = std::str::from_utf8(data).ok()?;
                self.transceivers
                    .iter()
                    .position(|t| t.receiving() && t.mid.as_deref() == Some(mid))
            });
        if let Some(i) = by_mid {
            self.bind_ssrc(ssrc, i);
            return Some(i);
        }
        if let Some(&i) = self.ssrc_index.get(&ssrc) {
            return Some(i);
        }
        if let Some(i) = self
            .transceivers
            .iter()
            .position(|t| t.receiving() && t.remote_ssrc == Some(ssrc))
        {
            self.bind_ssrc(ssrc, i);
            return Some(i);
        }
        let pt = p.payload_type();
        let mut candidates = self
            .transceivers
            .iter()
            .enumerate()
            .filter(|(_, t)| t.receiving() && t.recv.is_none() && t.codec_by_pt(pt).is_some());
        let first = candidates.next().map(|(i, _)| i);
        if candidates.next().is_none()
            && let Some(i) = first
        {
            self.bind_ssrc(ssrc, i);
            return Some(i);
        }
        None
    }

    /// Remembers which transceiver an SSRC belongs to (bounded; SRTP bounds SSRCs too).
    fn bind_ssrc(&mut self, ssrc: u32, index: usize) {
        if self.ssrc_index.len() < MAX_SSRCS || self.ssrc_index.contains_key(&ssrc) {
            self.ssrc_index.insert(ssrc, index);
        }
    }

    /// Translates the assembler's events of transceiver `index`.
    pub(crate) fn drain_assembler(&mut self, index: usize) {
        loop {
            let Some(t) = self.transceivers.get_mut(index) else {
                return;
            };
            let mid = t.mid.clone().unwrap_or_default();
            let nack = t.codecs.iter().any(|c| c.has_fb("nack"));
            let Some(ev) = t
                .recv
                .as_mut()
                .and_then(|r| r.assembler.as_mut())
                .and_then(|(_, a)| a.poll_event())
            else {
                return;
            };
            match ev {
                AssemblerEvent::Frame(f) => {
                    if f.keyframe
                        && let Some(r) = self
                            .transceivers
                            .get_mut(index)
                            .and_then(|t| t.recv.as_mut())
                    {
                        r.waiting_keyframe = false;
                    }
                    self.push_event(PeerEvent::Frame {
                        mid,
                        data: f.data,
                        timestamp: f.timestamp,
                        keyframe: f.keyframe,
                    })
                }
                AssemblerEvent::Missing { first, count } if nack => {
                    let lost: Vec<u16> =
                        (0..count.min(64)).map(|i| first.wrapping_add(i)).collect();
                    let now = self.now;
                    if let Some(r) = self
                        .transceivers
                        .get_mut(index)
                        .and_then(|t| t.recv.as_mut())
                    {
                        r.add_missing(now, &lost);
                    }
                    self.send_nack(index, &lost);
                }
                AssemblerEvent::KeyframeNeeded => {
                    if let Some(r) = self
                        .transceivers
                        .get_mut(index)
                        .and_then(|t| t.recv.as_mut())
                    {
                        r.waiting_keyframe = true;
                    }
                    self.send_pli(index, false);
                }
                _ => {}
            }
        }
    }
}

/// The ICE configuration for the agent.
pub(crate) fn ice_config(
    config: &PeerConfig,
    rng: &mut Rng,
    role: ice::Role,
    credentials: Option<(String, String)>,
) -> ice::IceConfig {
    let mut c = config.ice.clone();
    c.role = role;
    c.seed = rng.next_u64();
    c.stun_servers = config.stun_servers.clone();
    c.include_loopback = config.include_loopback;
    if let Some((u, p)) = credentials {
        c.local_ufrag = Some(u);
        c.local_pwd = Some(p);
    }
    c
}
