//! # nutshell: WebRTC for Rust, on tokio
//!
//! An async API shaped like the W3C `RTCPeerConnection`, around the sans-IO core
//! [`nutshell-peer`](peer). [`RtcPeerConnection::new`] binds one UDP socket per interface
//! address (port 0) and spawns **one tokio task** that owns the core and the sockets; the
//! handle you get talks to that task over bounded channels (commands with one-shot replies)
//! and never shares its state.
//!
//! An offer/answer between two peers on loopback, with audio from `a` to `b`:
//!
//! ```
//! use std::time::Duration;
//! use nutshell::{MediaKind, RtcConfiguration, RtcEvent, RtcPeerConnection};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), nutshell::Error> {
//! // Loopback only is the default: nothing leaves the machine.
//! let mut a = RtcPeerConnection::new(RtcConfiguration::default())?;
//! let mut b = RtcPeerConnection::new(RtcConfiguration::default())?;
//! let mic = a.add_track(MediaKind::Audio, "stream").await?;
//!
//! // Non-trickle signaling: the candidates are inside the descriptions.
//! let offer = a.create_offer().await?;
//! a.set_local_description(offer.clone()).await?;
//! b.set_remote_description(offer).await?;
//! let answer = b.create_answer().await?;
//! b.set_local_description(answer.clone()).await?;
//! a.set_remote_description(answer).await?;
//!
//! // b learns about a's track, then reads frames from it.
//! let mut remote = loop {
//!     match b.next_event().await {
//!         Some(RtcEvent::Track(t)) => break t,
//!         Some(_) => continue,
//!         None => return Ok(()),
//!     }
//! };
//! tokio::spawn(async move {
//!     loop {
//!         // Frames written before the connection is up are dropped (and counted).
//!         let _ = mic.write_frame(&[0xfc, 1, 2, 3], Duration::from_millis(20)).await;
//!         tokio::time::sleep(Duration::from_millis(20)).await;
//!     }
//! });
//! let frame = remote.read_frame().await.expect("a frame");
//! assert_eq!(frame.data.as_ref(), &[0xfc, 1, 2, 3]);
//! a.close().await;
//! b.close().await;
//! # Ok(()) }
//! ```
//!
//! With trickle ICE, forward every [`RtcEvent::IceCandidate`] to the other side's
//! [`RtcPeerConnection::add_ice_candidate`] (`None` means end of candidates).
//!
//! ## The driver task
//! It selects over the sockets, the command channel and a sleep until the core's
//! `poll_timeout()`. After every input it drains the core in the order of the house style:
//! transmits (each sent from the socket bound to its source address), events (to the
//! event channel and the remote tracks), then the next timeout. It reads the clock
//! (`Instant::now()`), which the core never does. Socket errors are logged (`tracing`) and
//! counted; the loop goes on. The task ends at [`RtcPeerConnection::close`], or when every
//! handle (and every [`TrackLocal`]) is dropped.
//!
//! ## Channels and back-pressure
//! Every channel is bounded:
//! - commands (and media writes through [`TrackLocal`]): the caller awaits room, so a fast
//!   writer is slowed to the driver's pace; each call returns the core's result;
//! - events ([`RtcPeerConnection::next_event`]): [`RtcConfiguration::event_capacity`];
//!   when the reader falls that far behind, new events are dropped and counted in
//!   [`RtcStats::events_dropped`];
//! - received media ([`TrackRemote`]): [`RtcConfiguration::media_capacity`] packets and
//!   as many frames per track; when full, the newest packet or frame is dropped (the driver
//!   never waits for a slow reader) and counted in [`RtcStats::media_dropped`].
//!
//! ## Interfaces
//! [`Interfaces::LoopbackOnly`] is the default, so that tests and demos never send
//! connectivity checks out of the machine; use [`Interfaces::All`] (every non-loopback,
//! non-link-local address, enumerated with `if-addrs`) or [`Interfaces::Addrs`] in
//! production.
//!
//! ## Record & replay
//! With [`RtcConfiguration::record`] set to a file, the core records the call (every input
//! and a digest of every output) and the driver appends the bytes to the file after each
//! pass of its loop, so a crashed process leaves a file that replays up to its last pass.
//! [`peer::Recording::parse`] and [`peer::Replayer`] feed it into a fresh core and check that
//! this build gives the same outputs (`cargo run -p nutshell-peer --example replay -- FILE`
//! does it from the command line, `-v` for a trace). The file holds the call's DTLS secrets
//! (not the private key): treat it like a key log.
//!
//! ## Errors and panics
//! Misuse (a call in the wrong signaling state, an invalid description, an unknown track)
//! returns [`Error`]; network input never does, and nothing a peer sends can panic the
//! task. A call after the task ended returns [`Error::Closed`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod driver;
mod net;
mod sdp;
mod track;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

pub use peer::dtls::cert::Certificate;
/// ICE states, as in `RTCIceConnectionState` and `RTCIceGatheringState`.
pub use peer::ice::{ConnectionState as IceConnectionState, GatheringState as IceGatheringState};
pub use peer::{
    Codec, CodecKind, ConnectionState, Direction, MediaKind, PeerStats, SdpType, SignalingState,
    StreamStats,
};
pub use track::{Frame, RtpPacket, TrackLocal, TrackRemote};
/// The layers below, for their types and for embedders driving the core themselves.
pub use {peer, proto};

use driver::Command;

/// Everything that can go wrong with a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The core refused the call (wrong signaling state, invalid description or candidate,
    /// unknown track, not negotiated for sending…).
    #[error(transparent)]
    Peer(#[from] peer::Error),
    /// [`RtcPeerConnection::new`] was called outside a tokio runtime.
    #[error("no tokio runtime: call from inside one")]
    NoRuntime,
    /// No socket could be bound on the configured interfaces.
    #[error("no socket bound: {0}")]
    NoSocket(String),
    /// An ICE server URL is not `stun:HOST[:PORT]` (or `HOST:PORT`); TURN is not supported.
    #[error("invalid ICE server {0:?}")]
    InvalidIceServer(String),
    /// The DTLS certificate could not be generated.
    #[error("certificate generation failed")]
    Certificate,
    /// The connection is closed (its task ended).
    #[error("connection closed")]
    Closed,
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which local addresses get a socket (and so host candidates).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Interfaces {
    /// 127.0.0.1 only (the default: tests, demos and single-machine use).
    #[default]
    LoopbackOnly,
    /// Every address of every interface that is up, except loopback and link-local ones.
    All,
    /// Exactly these addresses (loopback ones included if listed).
    Addrs(Vec<IpAddr>),
}

impl std::str::FromStr for Interfaces {
    type Err = String;

    /// Parses the examples' `--interfaces` flag: `loopback`, `all`, or `ADDR,ADDR,…`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "loopback" | "lo" => Ok(Interfaces::LoopbackOnly),
            "all" => Ok(Interfaces::All),
            list => list
                .split(',')
                .map(|a| {
                    a.trim()
                        .parse::<IpAddr>()
                        .map_err(|e| format!("{a:?}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Interfaces::Addrs),
        }
    }
}

/// Configuration of an [`RtcPeerConnection`], like `RTCConfiguration`.
#[derive(Debug, Clone)]
pub struct RtcConfiguration {
    /// STUN servers, as `stun:HOST[:PORT]` URLs or `HOST:PORT` (port 3478 by default).
    /// No default servers.
    pub ice_servers: Vec<String>,
    /// Local addresses to bind sockets on.
    pub interfaces: Interfaces,
    /// The DTLS certificate; generated when `None`.
    pub certificate: Option<Certificate>,
    /// Seed of the core's random choices (ICE credentials, SSRCs, DTLS randoms); random
    /// when `None`. Set it only for reproducible tests.
    pub seed: Option<u64>,
    /// Codecs in order of preference (default: Opus, VP8, H.264).
    pub codecs: Vec<Codec>,
    /// ICE timers and limits (credentials, role, servers and seed are set from the rest).
    pub ice: peer::ice::IceConfig,
    /// Capacity of the event channel.
    pub event_capacity: usize,
    /// Capacity of each remote track's packet channel and of its frame channel.
    pub media_capacity: usize,
    /// Record the call into this file (created or truncated when the connection is made;
    /// default `None`). The core records every input (API calls, datagrams, time steps, the
    /// DTLS values drawn from the OS generator) and a digest of every output; the driver
    /// appends the recorded bytes after each pass of its loop. Replay it with
    /// [`peer::Recording::parse`] and [`peer::Replayer`], or
    /// `cargo run -p nutshell-peer --example replay -- FILE`. A write error stops the
    /// recording with a warning and never fails the call.
    ///
    /// The file holds the call's DTLS secrets, like an `SSLKEYLOGFILE`: anyone with it can
    /// decrypt the recorded call. It does not hold the certificate's private key.
    pub record: Option<std::path::PathBuf>,
}

impl Default for RtcConfiguration {
    fn default() -> Self {
        RtcConfiguration {
            ice_servers: Vec::new(),
            interfaces: Interfaces::LoopbackOnly,
            certificate: None,
            seed: None,
            codecs: peer::default_codecs(),
            ice: peer::ice::IceConfig::default(),
            event_capacity: 1024,
            media_capacity: 1024,
            record: None,
        }
    }
}

/// A session description with its type, like `RTCSessionDescriptionInit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcSessionDescription {
    /// Offer, answer, pranswer or rollback.
    pub sdp_type: SdpType,
    /// The SDP text.
    pub sdp: String,
}

impl RtcSessionDescription {
    /// An offer.
    pub fn offer(sdp: impl Into<String>) -> Self {
        RtcSessionDescription {
            sdp_type: SdpType::Offer,
            sdp: sdp.into(),
        }
    }

    /// An answer.
    pub fn answer(sdp: impl Into<String>) -> Self {
        RtcSessionDescription {
            sdp_type: SdpType::Answer,
            sdp: sdp.into(),
        }
    }
}

/// A trickled ICE candidate, like `RTCIceCandidateInit`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RtcIceCandidateInit {
    /// The `candidate:…` attribute value; empty for end-of-candidates.
    pub candidate: String,
    /// The media section's mid.
    pub sdp_mid: Option<String>,
    /// The media section's index.
    pub sdp_mline_index: Option<u16>,
}

/// Something that happened, from [`RtcPeerConnection::next_event`].
#[derive(Debug)]
#[non_exhaustive]
pub enum RtcEvent {
    /// `onicecandidate`: a local candidate to send to the peer; `None` at the end of
    /// gathering.
    IceCandidate(Option<RtcIceCandidateInit>),
    /// `ontrack`: a remote track to read packets or frames from.
    Track(TrackRemote),
    /// `onconnectionstatechange`.
    ConnectionState(ConnectionState),
    /// `oniceconnectionstatechange`.
    IceConnectionState(IceConnectionState),
    /// `onicegatheringstatechange`.
    IceGatheringState(IceGatheringState),
    /// `onsignalingstatechange`.
    SignalingState(SignalingState),
    /// `onnegotiationneeded`.
    NegotiationNeeded,
    /// The peer asked for a key frame (PLI or FIR) on the local track sent on `mid`.
    KeyframeRequested {
        /// The transceiver's mid.
        mid: String,
    },
}

/// Figures from [`RtcPeerConnection::stats`]: the core's plus the runtime's own.
#[derive(Debug, Clone, PartialEq)]
pub struct RtcStats {
    /// The core's figures (streams, selected pair, DTLS/SRTP, drops).
    pub peer: PeerStats,
    /// The addresses the sockets are bound to.
    pub local_addrs: Vec<SocketAddr>,
    /// Datagrams received on the sockets.
    pub datagrams_received: u64,
    /// Datagrams sent.
    pub datagrams_sent: u64,
    /// Socket errors (receive or send), logged and skipped.
    pub socket_errors: u64,
    /// Events dropped because the event channel was full.
    pub events_dropped: u64,
    /// Received packets and frames dropped because a [`TrackRemote`] channel was full.
    pub media_dropped: u64,
}

/// The handle to a peer connection: cheap to clone; every clone controls the same
/// connection. The clone made by [`Clone`] has no event stream (see
/// [`RtcPeerConnection::take_events`]).
#[derive(Debug)]
pub struct RtcPeerConnection {
    cmd: mpsc::Sender<Command>,
    events: Option<EventStream>,
}

impl Clone for RtcPeerConnection {
    fn clone(&self) -> Self {
        RtcPeerConnection {
            cmd: self.cmd.clone(),
            events: None,
        }
    }
}

/// The events of one connection, in order. Owned by the handle returned from
/// [`RtcPeerConnection::new`] until [`RtcPeerConnection::take_events`] moves it out.
#[derive(Debug)]
pub struct EventStream {
    rx: mpsc::Receiver<RtcEvent>,
}

impl EventStream {
    /// The next event; `None` once the connection's task has ended.
    pub async fn recv(&mut self) -> Option<RtcEvent> {
        self.rx.recv().await
    }

    /// The next event if one is ready.
    pub fn try_recv(&mut self) -> Option<RtcEvent> {
        self.rx.try_recv().ok()
    }
}

impl RtcPeerConnection {
    /// Binds the sockets and spawns the connection's task on the current tokio runtime.
    /// Host candidates are gathered at once; STUN servers are resolved and queried in the
    /// task. Fails outside a runtime, on a malformed ICE server URL, or when no socket
    /// could be bound.
    pub fn new(config: RtcConfiguration) -> Result<Self> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        let servers = config
            .ice_servers
            .iter()
            .map(|s| net::parse_ice_server(s))
            .collect::<Result<Vec<_>>>()?;
        let certificate = match &config.certificate {
            Some(c) => c.clone(),
            None => Certificate::generate().map_err(|_| Error::Certificate)?,
        };
        let sockets = {
            let _guard = handle.enter();
            net::bind_sockets(&config.interfaces)?
        };
        let (cmd_tx, cmd_rx) = mpsc::channel(64);
        let (ev_tx, ev_rx) = mpsc::channel(config.event_capacity.max(1));
        let driver = driver::Driver::new(config, certificate, sockets, cmd_tx.downgrade(), ev_tx);
        handle.spawn(driver.run(cmd_rx, servers));
        Ok(RtcPeerConnection {
            cmd: cmd_tx,
            events: Some(EventStream { rx: ev_rx }),
        })
    }

    async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.cmd.send(make(tx)).await.map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)
    }

    /// The next event (from this handle's stream); `None` once the connection has ended,
    /// or at once if the stream was taken with [`take_events`](Self::take_events) or this
    /// handle is a clone.
    pub async fn next_event(&mut self) -> Option<RtcEvent> {
        match &mut self.events {
            Some(s) => s.recv().await,
            None => None,
        }
    }

    /// Moves the event stream out, to read it in another task.
    pub fn take_events(&mut self) -> Option<EventStream> {
        self.events.take()
    }

    /// `addTrack`: a local track of `kind` in stream `stream_id` (reusing a transceiver a
    /// remote offer created for that kind, if any).
    pub async fn add_track(&self, kind: MediaKind, stream_id: &str) -> Result<TrackLocal> {
        let stream_id = stream_id.to_owned();
        self.call(|reply| Command::AddTrack {
            kind,
            stream_id,
            reply,
        })
        .await?
    }

    /// `addTransceiver`: a transceiver of `kind` with `direction`; writable when the
    /// direction sends.
    pub async fn add_transceiver(
        &self,
        kind: MediaKind,
        direction: Direction,
    ) -> Result<TrackLocal> {
        self.call(|reply| Command::AddTransceiver {
            kind,
            direction,
            reply,
        })
        .await?
    }

    /// `createOffer`.
    pub async fn create_offer(&self) -> Result<RtcSessionDescription> {
        let sdp = self.call(Command::CreateOffer).await??;
        Ok(RtcSessionDescription::offer(sdp))
    }

    /// `createAnswer`.
    pub async fn create_answer(&self) -> Result<RtcSessionDescription> {
        let sdp = self.call(Command::CreateAnswer).await??;
        Ok(RtcSessionDescription::answer(sdp))
    }

    /// `setLocalDescription`.
    pub async fn set_local_description(&self, desc: RtcSessionDescription) -> Result<()> {
        self.call(|reply| Command::SetLocal { desc, reply }).await?
    }

    /// `setRemoteDescription`.
    pub async fn set_remote_description(&self, desc: RtcSessionDescription) -> Result<()> {
        self.call(|reply| Command::SetRemote { desc, reply })
            .await?
    }

    /// `addIceCandidate`; an empty `candidate` means end-of-candidates.
    pub async fn add_ice_candidate(&self, candidate: RtcIceCandidateInit) -> Result<()> {
        self.call(|reply| Command::AddIceCandidate { candidate, reply })
            .await?
    }

    /// `localDescription`: the pending or current local description, with every candidate
    /// gathered so far (and `a=end-of-candidates` once gathering is complete), as browsers
    /// update it.
    pub async fn local_description(&self) -> Result<Option<RtcSessionDescription>> {
        self.call(Command::LocalDescription).await
    }

    /// `remoteDescription`.
    pub async fn remote_description(&self) -> Result<Option<RtcSessionDescription>> {
        self.call(Command::RemoteDescription).await
    }

    /// `connectionState`.
    pub async fn connection_state(&self) -> Result<ConnectionState> {
        self.call(Command::ConnectionState).await
    }

    /// `iceGatheringState`.
    pub async fn ice_gathering_state(&self) -> Result<IceGatheringState> {
        self.call(Command::GatheringState).await
    }

    /// `signalingState`.
    pub async fn signaling_state(&self) -> Result<SignalingState> {
        self.call(Command::SignalingState).await
    }

    /// `getStats`.
    pub async fn stats(&self) -> Result<RtcStats> {
        self.call(Command::Stats).await
    }

    /// Asks the sender of the remote track on `mid` for a key frame (PLI).
    pub async fn request_keyframe(&self, mid: &str) -> Result<()> {
        let mid = mid.to_owned();
        self.call(|reply| Command::RequestKeyframe { mid, reply })
            .await?
    }

    /// `close`: DTLS close_notify is sent, the task ends and the sockets are closed. Every
    /// later call returns [`Error::Closed`]; closing twice is harmless.
    pub async fn close(&self) {
        let _ = self.call(Command::Close).await;
    }

    /// Waits until the connection state is `state` (or a terminal one) and returns the
    /// state reached, polling every 10 ms; at most `limit`. A convenience for examples and
    /// tests that do not read events.
    pub async fn wait_for_state(
        &self,
        state: ConnectionState,
        limit: Duration,
    ) -> Result<ConnectionState> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let s = self.connection_state().await?;
            if s == state
                || matches!(s, ConnectionState::Failed | ConnectionState::Closed)
                || tokio::time::Instant::now() >= deadline
            {
                return Ok(s);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until ICE gathering is complete (at most `limit`), e.g. before sending a
    /// description that must carry every candidate (non-trickle signaling).
    pub async fn gathering_complete(&self, limit: Duration) -> Result<bool> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if self.ice_gathering_state().await? == IceGatheringState::Complete {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
