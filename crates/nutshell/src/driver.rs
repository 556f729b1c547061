//! The task that owns the core and the sockets.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use peer::{PeerConfig, PeerConnection, PeerEvent, Protocol, Receive, TrackId};
use tokio::io::ReadBuf;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::net::IceServer;
use crate::track::{Frame, RtpPacket, TrackLocal, TrackRemote};
use crate::{
    Certificate, Codec, ConnectionState, Direction, Error, IceGatheringState, MediaKind, Result,
    RtcConfiguration, RtcEvent, RtcIceCandidateInit, RtcSessionDescription, RtcStats, SdpType,
    SignalingState,
};

/// Largest datagram we accept.
const RECV_BUF: usize = 2048;
/// Datagrams handled in one go before the core is drained (fairness with commands).
const RECV_BATCH: usize = 32;

/// What a handle asks of the task.
#[derive(Debug)]
pub(crate) enum Command {
    AddTrack {
        kind: MediaKind,
        stream_id: String,
        reply: oneshot::Sender<Result<TrackLocal>>,
    },
    AddTransceiver {
        kind: MediaKind,
        direction: Direction,
        reply: oneshot::Sender<Result<TrackLocal>>,
    },
    CreateOffer(oneshot::Sender<Result<String>>),
    CreateAnswer(oneshot::Sender<Result<String>>),
    SetLocal {
        desc: RtcSessionDescription,
        reply: oneshot::Sender<Result<()>>,
    },
    SetRemote {
        desc: RtcSessionDescription,
        reply: oneshot::Sender<Result<()>>,
    },
    AddIceCandidate {
        candidate: RtcIceCandidateInit,
        reply: oneshot::Sender<Result<()>>,
    },
    LocalDescription(oneshot::Sender<Option<RtcSessionDescription>>),
    RemoteDescription(oneshot::Sender<Option<RtcSessionDescription>>),
    ConnectionState(oneshot::Sender<ConnectionState>),
    GatheringState(oneshot::Sender<IceGatheringState>),
    SignalingState(oneshot::Sender<SignalingState>),
    Stats(oneshot::Sender<RtcStats>),
    RequestKeyframe {
        mid: String,
        reply: oneshot::Sender<Result<()>>,
    },
    WriteFrame {
        track: TrackId,
        data: Bytes,
        duration: Duration,
        reply: oneshot::Sender<Result<()>>,
    },
    WriteRtp {
        track: TrackId,
        data: Bytes,
        reply: oneshot::Sender<Result<()>>,
    },
    SendCodec {
        track: TrackId,
        reply: oneshot::Sender<Option<Codec>>,
    },
    Mid {
        track: TrackId,
        reply: oneshot::Sender<Option<String>>,
    },
    Close(oneshot::Sender<()>),
}

/// Where a remote track's packets and frames go.
struct RemoteSink {
    rtp: mpsc::Sender<RtpPacket>,
    frames: mpsc::Sender<Frame>,
}

/// Runtime counters.
#[derive(Default)]
struct Counters {
    received: u64,
    sent: u64,
    socket_errors: u64,
    events_dropped: u64,
    media_dropped: u64,
}

pub(crate) struct Driver {
    config: RtcConfiguration,
    certificate: Certificate,
    sockets: Vec<(SocketAddr, UdpSocket)>,
    cmd: mpsc::WeakSender<Command>,
    events: mpsc::Sender<RtcEvent>,
    sinks: HashMap<String, RemoteSink>,
    /// Every local candidate emitted, for `local_description`.
    candidates: Vec<String>,
    counters: Counters,
    /// Set by a close command: reply once the close_notify is sent, then end.
    closing: Option<oneshot::Sender<()>>,
    /// The file the core's recording is appended to ([`RtcConfiguration::record`]); `None`
    /// when not recording or after a write error.
    recording: Option<(PathBuf, std::fs::File)>,
}

impl Driver {
    pub(crate) fn new(
        config: RtcConfiguration,
        certificate: Certificate,
        sockets: Vec<(SocketAddr, UdpSocket)>,
        cmd: mpsc::WeakSender<Command>,
        events: mpsc::Sender<RtcEvent>,
    ) -> Self {
        Driver {
            config,
            certificate,
            sockets,
            cmd,
            events,
            sinks: HashMap::new(),
            candidates: Vec::new(),
            counters: Counters::default(),
            closing: None,
            recording: None,
        }
    }

    /// Creates (or truncates) the recording file of [`RtcConfiguration::record`]; whether
    /// the core should record. A file that cannot be created means no recording, with a
    /// warning: recording never fails the call.
    fn open_recording(&mut self) -> bool {
        let Some(path) = self.config.record.clone() else {
            return false;
        };
        match std::fs::File::create(&path) {
            Ok(file) => {
                tracing::debug!(path = %path.display(), "recording the call");
                self.recording = Some((path, file));
                true
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), %e, "cannot create the recording file: not recording");
                false
            }
        }
    }

    /// Appends what the core recorded since the last call to the file. A write error stops
    /// the recording (with a warning); the core's bytes are still taken, so they never pile
    /// up.
    fn save_recording(&mut self, core: &mut PeerConnection) {
        let chunk = core.take_recording();
        if chunk.is_empty() {
            return;
        }
        let Some((path, file)) = self.recording.as_mut() else {
            return;
        };
        if let Err(e) = file.write_all(&chunk) {
            tracing::warn!(path = %path.display(), %e, "writing the recording failed: recording stopped");
            self.recording = None;
        }
    }

    fn peer_config(&self, stun_servers: Vec<SocketAddr>, record: bool) -> PeerConfig {
        let include_loopback = self.sockets.iter().any(|(a, _)| a.ip().is_loopback());
        PeerConfig {
            stun_servers,
            include_loopback,
            ice: self.config.ice.clone(),
            seed: self.config.seed.unwrap_or_else(random_seed),
            codecs: self.config.codecs.clone(),
            wall_clock_at_start: SystemTime::now(),
            record,
            ..PeerConfig::new(self.certificate.clone())
        }
    }

    /// The task: builds the core, then loops until closed.
    pub(crate) async fn run(self, cmds: mpsc::Receiver<Command>, servers: Vec<IceServer>) {
        use tracing::Instrument;
        let span = tracing::debug_span!("pc", local = ?self.sockets.first().map(|s| s.0));
        self.run_inner(cmds, servers).instrument(span).await;
    }

    async fn run_inner(mut self, mut cmds: mpsc::Receiver<Command>, servers: Vec<IceServer>) {
        let stun = crate::net::resolve(&servers).await;
        let record = self.open_recording();
        let mut core = PeerConnection::new(self.peer_config(stun, record), Instant::now());
        for (addr, _) in &self.sockets {
            match core.add_local_socket(*addr) {
                Ok(used) => tracing::debug!(%addr, used, "socket"),
                Err(e) => tracing::warn!(%addr, %e, "socket refused by the core"),
            }
        }
        let mut buf = vec![0u8; RECV_BUF];
        loop {
            self.drain(&mut core).await;
            self.save_recording(&mut core);
            if let Some(reply) = self.closing.take() {
                let _ = reply.send(());
                break;
            }
            let deadline = core
                .poll_timeout()
                .map(tokio::time::Instant::from_std)
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
            let input = tokio::select! {
                biased;
                c = cmds.recv() => Input::Command(c),
                r = recv_any(&self.sockets, &mut buf) => Input::Datagram(r),
                () = tokio::time::sleep_until(deadline) => Input::Timeout,
            };
            match input {
                Input::Command(Some(c)) => self.command(&mut core, c),
                Input::Command(None) => {
                    // Every handle is gone: close politely and end.
                    core.close();
                    self.drain(&mut core).await;
                    self.save_recording(&mut core);
                    break;
                }
                Input::Datagram(r) => {
                    let mut next = Some(r);
                    let mut n = 0;
                    while let Some(r) = next.take() {
                        match r {
                            Ok((i, source, len)) => self.receive(&mut core, i, source, &buf, len),
                            Err(e) => {
                                self.counters.socket_errors += 1;
                                tracing::debug!(%e, "receive error");
                            }
                        }
                        n += 1;
                        if n < RECV_BATCH {
                            next = try_recv_any(&self.sockets, &mut buf);
                        }
                    }
                }
                Input::Timeout => core.handle_timeout(Instant::now()),
            }
        }
        tracing::debug!("task ends");
    }

    fn receive(
        &mut self,
        core: &mut PeerConnection,
        i: usize,
        source: SocketAddr,
        buf: &[u8],
        len: usize,
    ) {
        let Some((destination, _)) = self.sockets.get(i) else {
            return;
        };
        let Some(contents) = buf.get(..len) else {
            return;
        };
        self.counters.received += 1;
        core.handle_receive(
            Instant::now(),
            Receive {
                protocol: Protocol::Udp,
                source,
                destination: *destination,
                contents,
            },
        );
    }

    /// Transmits, then events (the timeout is read by the loop).
    async fn drain(&mut self, core: &mut PeerConnection) {
        loop {
            let mut progressed = false;
            while let Some(t) = core.poll_transmit() {
                progressed = true;
                let Some((_, socket)) = self.sockets.iter().find(|(a, _)| *a == t.source) else {
                    tracing::debug!(source = %t.source, "no socket for transmit");
                    self.counters.socket_errors += 1;
                    continue;
                };
                match socket.send_to(&t.contents, t.destination).await {
                    Ok(_) => self.counters.sent += 1,
                    Err(e) => {
                        self.counters.socket_errors += 1;
                        tracing::debug!(%e, dest = %t.destination, "send error");
                    }
                }
            }
            while let Some(e) = core.poll_event() {
                progressed = true;
                self.event(core, e);
            }
            if !progressed {
                break;
            }
        }
    }

    fn emit(&mut self, e: RtcEvent) {
        if self.events.try_send(e).is_err() {
            self.counters.events_dropped += 1;
        }
    }

    fn event(&mut self, _core: &mut PeerConnection, e: PeerEvent) {
        match e {
            PeerEvent::IceCandidate {
                candidate,
                sdp_mid,
                mline_index,
            } => {
                if !self.candidates.contains(&candidate) {
                    self.candidates.push(candidate.clone());
                }
                self.emit(RtcEvent::IceCandidate(Some(RtcIceCandidateInit {
                    candidate,
                    sdp_mid: Some(sdp_mid),
                    sdp_mline_index: Some(mline_index),
                })));
            }
            PeerEvent::EndOfCandidates => self.emit(RtcEvent::IceCandidate(None)),
            PeerEvent::SignalingState(s) => self.emit(RtcEvent::SignalingState(s)),
            PeerEvent::IceConnectionState(s) => self.emit(RtcEvent::IceConnectionState(s)),
            PeerEvent::IceGatheringState(s) => self.emit(RtcEvent::IceGatheringState(s)),
            PeerEvent::ConnectionState(s) => self.emit(RtcEvent::ConnectionState(s)),
            PeerEvent::NegotiationNeeded => self.emit(RtcEvent::NegotiationNeeded),
            PeerEvent::KeyframeRequested { mid } => self.emit(RtcEvent::KeyframeRequested { mid }),
            PeerEvent::Track(info) => {
                let cap = self.config.media_capacity.max(1);
                let (rtp_tx, rtp) = mpsc::channel(cap);
                let (frames_tx, frames) = mpsc::channel(cap);
                self.sinks.insert(
                    info.mid.clone(),
                    RemoteSink {
                        rtp: rtp_tx,
                        frames: frames_tx,
                    },
                );
                self.emit(RtcEvent::Track(TrackRemote { info, rtp, frames }));
            }
            PeerEvent::Rtp(p) => {
                if let Some(sink) = self.sinks.get(&p.mid) {
                    let packet = RtpPacket {
                        ssrc: p.ssrc,
                        payload_type: p.payload_type,
                        sequence_number: p.sequence_number,
                        timestamp: p.timestamp,
                        marker: p.marker,
                        header_len: p.header_len,
                        packet: Bytes::from(p.packet),
                        received_at: Instant::now(),
                    };
                    if sink.rtp.try_send(packet).is_err() {
                        self.counters.media_dropped += 1;
                    }
                }
            }
            PeerEvent::Frame {
                mid,
                data,
                timestamp,
                keyframe,
            } => {
                if let Some(sink) = self.sinks.get(&mid) {
                    let frame = Frame {
                        data: Bytes::from(data),
                        timestamp,
                        keyframe,
                        received_at: Instant::now(),
                    };
                    if sink.frames.try_send(frame).is_err() {
                        self.counters.media_dropped += 1;
                    }
                }
            }
            PeerEvent::Nack { mid, lost, .. } => {
                tracing::trace!(%mid, lost = lost.len(), "nack");
            }
            other => tracing::trace!(?other, "event not forwarded"),
        }
    }

    fn track(&self, id: TrackId, kind: MediaKind) -> Result<TrackLocal> {
        let cmd = self.cmd.upgrade().ok_or(Error::Closed)?;
        Ok(TrackLocal { id, kind, cmd })
    }

    fn local_description(&self, core: &PeerConnection) -> Option<RtcSessionDescription> {
        let sdp = core.local_description()?;
        let complete = core.ice_gathering_state() == IceGatheringState::Complete;
        let sdp = crate::sdp::merge_candidates(&sdp, &self.candidates, complete);
        Some(RtcSessionDescription {
            sdp_type: sdp_type_of(core.signaling_state(), true),
            sdp,
        })
    }

    fn command(&mut self, core: &mut PeerConnection, c: Command) {
        match c {
            Command::AddTrack {
                kind,
                stream_id,
                reply,
            } => {
                let r = core
                    .add_track(kind, &stream_id)
                    .map_err(Error::from)
                    .and_then(|id| self.track(id, kind));
                let _ = reply.send(r);
            }
            Command::AddTransceiver {
                kind,
                direction,
                reply,
            } => {
                let r = core
                    .add_transceiver(kind, direction)
                    .map_err(Error::from)
                    .and_then(|id| self.track(id, kind));
                let _ = reply.send(r);
            }
            Command::CreateOffer(reply) => {
                let _ = reply.send(core.create_offer().map_err(Error::from));
            }
            Command::CreateAnswer(reply) => {
                let _ = reply.send(core.create_answer().map_err(Error::from));
            }
            Command::SetLocal { desc, reply } => {
                let r = core.set_local_description(desc.sdp_type, &desc.sdp);
                let _ = reply.send(r.map_err(Error::from));
            }
            Command::SetRemote { desc, reply } => {
                let r = core.set_remote_description(desc.sdp_type, &desc.sdp);
                let _ = reply.send(r.map_err(Error::from));
            }
            Command::AddIceCandidate { candidate, reply } => {
                let r = core.add_ice_candidate(
                    &candidate.candidate,
                    candidate.sdp_mid.as_deref(),
                    candidate.sdp_mline_index,
                );
                let _ = reply.send(r.map_err(Error::from));
            }
            Command::LocalDescription(reply) => {
                let _ = reply.send(self.local_description(core));
            }
            Command::RemoteDescription(reply) => {
                let d = core.remote_description().map(|sdp| RtcSessionDescription {
                    sdp_type: sdp_type_of(core.signaling_state(), false),
                    sdp,
                });
                let _ = reply.send(d);
            }
            Command::ConnectionState(reply) => {
                let _ = reply.send(core.connection_state());
            }
            Command::GatheringState(reply) => {
                let _ = reply.send(core.ice_gathering_state());
            }
            Command::SignalingState(reply) => {
                let _ = reply.send(core.signaling_state());
            }
            Command::Stats(reply) => {
                let _ = reply.send(RtcStats {
                    peer: core.stats(),
                    local_addrs: self.sockets.iter().map(|(a, _)| *a).collect(),
                    datagrams_received: self.counters.received,
                    datagrams_sent: self.counters.sent,
                    socket_errors: self.counters.socket_errors,
                    events_dropped: self.counters.events_dropped,
                    media_dropped: self.counters.media_dropped,
                });
            }
            Command::RequestKeyframe { mid, reply } => {
                let _ = reply.send(core.request_keyframe(&mid).map_err(Error::from));
            }
            Command::WriteFrame {
                track,
                data,
                duration,
                reply,
            } => {
                let r = core.write_frame(track, duration, &data);
                let _ = reply.send(r.map_err(Error::from));
            }
            Command::WriteRtp { track, data, reply } => {
                let _ = reply.send(core.write_rtp(track, &data).map_err(Error::from));
            }
            Command::SendCodec { track, reply } => {
                let _ = reply.send(core.send_codec(track).cloned());
            }
            Command::Mid { track, reply } => {
                let _ = reply.send(core.mid(track).map(str::to_owned));
            }
            Command::Close(reply) => {
                core.close();
                self.closing = Some(reply);
            }
        }
    }
}

enum Input {
    Command(Option<Command>),
    Datagram(std::io::Result<(usize, SocketAddr, usize)>),
    Timeout,
}

/// Whether a description is an offer or an answer, from the signaling state: while we
/// have a local offer, the local description is an offer (and the remote one while we have
/// a remote offer); in stable both are answers, or the offer we made.
fn sdp_type_of(state: SignalingState, local: bool) -> SdpType {
    match (state, local) {
        (SignalingState::HaveLocalOffer, true) | (SignalingState::HaveRemoteOffer, false) => {
            SdpType::Offer
        }
        (SignalingState::HaveLocalPranswer, true) | (SignalingState::HaveRemotePranswer, false) => {
            SdpType::Pranswer
        }
        _ => SdpType::Answer,
    }
}

/// The first datagram ready on any socket: (socket index, source, length).
async fn recv_any(
    sockets: &[(SocketAddr, UdpSocket)],
    buf: &mut [u8],
) -> std::io::Result<(usize, SocketAddr, usize)> {
    std::future::poll_fn(|cx| {
        for (i, (_, s)) in sockets.iter().enumerate() {
            let mut rb = ReadBuf::new(buf);
            match s.poll_recv_from(cx, &mut rb) {
                Poll::Ready(Ok(from)) => return Poll::Ready(Ok((i, from, rb.filled().len()))),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
        }
        Poll::Pending
    })
    .await
}

/// A datagram already waiting on any socket, without waiting.
fn try_recv_any(
    sockets: &[(SocketAddr, UdpSocket)],
    buf: &mut [u8],
) -> Option<std::io::Result<(usize, SocketAddr, usize)>> {
    for (i, (_, s)) in sockets.iter().enumerate() {
        match s.try_recv_from(buf) {
            Ok((len, from)) => return Some(Ok((i, from, len))),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Some(Err(e)),
        }
    }
    None
}

/// A random seed without a `rand` dependency: the standard library's randomly keyed
/// SipHash over the time and a counter.
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    h.finish()
}
