//! # nutshell-peer: the sans-IO WebRTC PeerConnection
//!
//! [`PeerConnection`] composes one ICE agent ([`ice::IceAgent`]), one DTLS endpoint
//! ([`dtls::Dtls`]) and two SRTP contexts over a single BUNDLE transport with rtcp-mux
//! (max-bundle, as browsers do). Datagrams on the one socket are told apart by their first
//! byte (RFC 7983): 0–3 STUN, 20–63 DTLS, 128–191 RTP or RTCP (RTCP by payload type 192–223,
//! RFC 5761). RTP packets go to their transceiver by the MID header extension, then by SSRC,
//! then by payload type. On top sit the JSEP signaling state machine (RFC 8829) with the W3C
//! states, transceivers, trickle ICE, and a media API: encoded frames in, packetized,
//! protected datagrams out; datagrams in, RTP packets and reassembled frames out, with
//! SR/RR reports, NACK, PLI and FIR.
//!
//! ## Driving it
//! The runtime owns the sockets and the clock. After *every* call that changes the
//! connection (a command, [`PeerConnection::handle_receive`],
//! [`PeerConnection::handle_timeout`]) drain, in this order: [`PeerConnection::poll_transmit`]
//! (send each datagram from its `source` to its `destination`),
//! [`PeerConnection::poll_event`], then [`PeerConnection::poll_timeout`] (when to call
//! `handle_timeout` next). A missed drain is never an error; queues are bounded.
//!
//! Two cores wired back to back in memory, with a virtual clock:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use nutshell_peer::*;
//!
//! let cert = dtls::cert::Certificate::generate().unwrap();
//! let cfg = |seed| PeerConfig { include_loopback: true, seed, ..PeerConfig::new(cert.clone()) };
//! let mut now = Instant::now();
//! let mut a = PeerConnection::new(cfg(1), now);
//! let mut b = PeerConnection::new(cfg(2), now);
//! a.add_local_socket("127.0.0.1:5000".parse().unwrap()).unwrap();
//! b.add_local_socket("127.0.0.1:6000".parse().unwrap()).unwrap();
//! let track = a.add_track(MediaKind::Audio, "stream").unwrap();
//!
//! // Signaling (non-trickle here: the candidates are inside the descriptions).
//! let offer = a.create_offer().unwrap();
//! a.set_local_description(SdpType::Offer, &offer).unwrap();
//! b.set_remote_description(SdpType::Offer, &offer).unwrap();
//! let answer = b.create_answer().unwrap();
//! b.set_local_description(SdpType::Answer, &answer).unwrap();
//! a.set_remote_description(SdpType::Answer, &answer).unwrap();
//!
//! let mut frames = 0;
//! for _ in 0..10_000 {
//!     if a.connection_state() == ConnectionState::Connected {
//!         a.write_frame(track, Duration::from_millis(20), &[0xfc, 1, 2, 3]).unwrap();
//!     }
//!     // The "network": deliver every datagram at once, until both sides are quiet.
//!     loop {
//!         let mut moved = false;
//!         while let Some(t) = a.poll_transmit() { b.handle_receive(now, t.as_receive()); moved = true; }
//!         while let Some(t) = b.poll_transmit() { a.handle_receive(now, t.as_receive()); moved = true; }
//!         if !moved { break; }
//!     }
//!     while a.poll_event().is_some() {}
//!     while let Some(ev) = b.poll_event() {
//!         if let PeerEvent::Frame { .. } = ev { frames += 1; }
//!     }
//!     if frames >= 3 { break; }
//!     // Sleep until the earlier timeout (at most 20 ms: the audio clock).
//!     let next = [a.poll_timeout(), b.poll_timeout()].into_iter().flatten().min();
//!     now = next.unwrap_or(now).clamp(now, now + Duration::from_millis(20));
//!     a.handle_timeout(now);
//!     b.handle_timeout(now);
//! }
//! assert!(frames >= 3);
//! # trait AsReceive { fn as_receive(&self) -> proto::Receive<'_>; }
//! # impl AsReceive for proto::Transmit { fn as_receive(&self) -> proto::Receive<'_> {
//! #     proto::Receive { protocol: self.protocol, source: self.source, destination: self.destination, contents: &self.contents } } }
//! ```
//!
//! ## Signaling
//! [`PeerConnection::create_offer`], [`PeerConnection::create_answer`],
//! [`PeerConnection::set_local_description`] and [`PeerConnection::set_remote_description`]
//! (offer, answer, rollback) follow JSEP with the W3C [`SignalingState`]s; a call in the
//! wrong state is [`Error::InvalidState`]. Offers carry `a=setup:actpass`; answers
//! `a=setup:active` (so the answerer is the DTLS client) or, in a renegotiation, the role
//! already in use. Codecs (Opus, VP8, H.264 packetization mode 1) and header extensions
//! (mid, abs-send-time, transport-wide-cc, audio level) are intersected with the remote
//! side's, keeping its payload type numbers and extension ids. Unsupported sections (data
//! channels, other protocols, no common codec) are rejected with port 0.
//!
//! ## Transport
//! One ICE agent (controlling when we offer first, controlled when we answer first), one
//! DTLS endpoint whose role follows `a=setup` (the `active` side is the client) and which
//! accepts only a certificate matching the remote `a=fingerprint`, and one pair of SRTP
//! contexts keyed from the DTLS exporter with the negotiated profile. DTLS and SRTP go out
//! on ICE's selected pair and are accepted from any 5-tuple ICE knows, so a path change
//! does not break them. Trickle ICE: local candidates come out as
//! [`PeerEvent::IceCandidate`] once a local description is set (those gathered earlier are
//! also inside the description), [`PeerEvent::EndOfCandidates`] when gathering completes;
//! remote ones go in through [`PeerConnection::add_ice_candidate`] or inside the remote
//! description (non-trickle).
//!
//! ## Media
//! [`PeerConnection::write_frame`] packetizes for the first negotiated codec (see
//! [`PeerConnection::send_codec`]), stamps sequence numbers, the RTP timestamp (advanced
//! by each frame's duration) and the negotiated header extensions (mid, abs-send-time,
//! transport-wide sequence number, audio level from [`PeerConnection::set_audio_level`]),
//! protects and queues the packets;
//! [`PeerConnection::write_rtp`] forwards a whole RTP packet under the track's SSRC.
//! Received packets are unprotected, matched to their transceiver, counted (RFC 3550
//! receiver statistics) and handed out as [`PeerEvent::Rtp`] and, reassembled, as
//! [`PeerEvent::Frame`]. Gaps are NACKed (and NACKed again while missing); a frame lost
//! for good triggers PLIs until a key frame comes. Sent video packets are kept
//! ([`PeerConfig::nack_history`]) and retransmitted on NACK. Every
//! [`PeerConfig::rtcp_interval`] (randomized ×0.5–1.5) a compound SR/RR + SDES CNAME goes
//! out; incoming reports give loss, jitter and RTT ([`PeerConnection::stats`]); incoming
//! PLI/FIR become [`PeerEvent::KeyframeRequested`], NACKs [`PeerEvent::Nack`].
//!
//! Not implemented: pranswer, data channels (their sections are rejected), RTX, simulcast,
//! FEC/RED, sending transport-cc feedback or bandwidth estimation,
//! and a new DTLS association when the remote certificate changes in a renegotiation.
//!
//! ## Record & replay
//! With [`PeerConfig::record`], the core writes every input (API calls, datagrams with their
//! addresses, time steps, and what DTLS drew from the OS generator) and a digest of every
//! output into a compact stream: drain it with [`PeerConnection::take_recording`] after each
//! step and append it to a file. [`Recording::parse`] reads the file and [`Replayer`] feeds
//! it into a fresh core, checking that every output is the same; a divergence names the
//! first input whose output differs ([`ReplayError::Diverged`]). The `replay` example is
//! the command-line tool: `cargo run -p nutshell-peer --example replay -- FILE [-v]`.
//! The format is described in the source of the `record` module.
//!
//! ## Time, errors, panics
//! - **Time** is input: every `handle_*` takes `now`, which never goes backwards (an earlier
//!   value counts as the latest seen); commands act at the latest `now` seen. The core reads
//!   no clock: the NTP time of sender reports comes from
//!   [`PeerConfig::wall_clock_at_start`]. [`PeerConnection::poll_timeout`] is a cached
//!   value, O(1).
//! - **Randomness** comes from [`PeerConfig::seed`]; ECDHE keys and ECDSA signatures inside
//!   DTLS come from `ring` (the OS generator), and a recording keeps their results.
//! - **Errors:** network input never produces an error: malformed, unauthenticated or
//!   unexpected datagrams are dropped, traced and counted in [`PeerStats`]. Commands return
//!   [`Error`] only for misuse (wrong signaling state, an invalid description, an unknown
//!   track). Failures of the connection (ICE failed, DTLS alert, wrong fingerprint) are
//!   state changes: [`PeerEvent::ConnectionState`]`(`[`ConnectionState::Failed`]`)`.
//! - **Panics:** none on any input; `unwrap`, `expect`, indexing and `panic!` are denied
//!   outside tests, and the `peer_sdp` fuzz target feeds arbitrary remote descriptions.
//! - **Memory** is bounded: event and transmit queues ([`PeerConfig::max_queued_events`],
//!   [`PeerConfig::max_queued_transmits`], oldest dropped and counted), NACK history
//!   ([`PeerConfig::nack_history`]), reassembly windows, and the children's own limits.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod candidate;
mod codec;
mod config;
mod jsep;
mod media;
mod peer;
mod record;
mod rng;
mod rtcp;
mod stats;

pub use candidate::{CandidateParse, candidate_from_sdp, candidate_to_sdp};
pub use codec::{Codec, CodecKind, MediaKind, default_codecs, default_extensions};
pub use config::PeerConfig;
pub use jsep::{SdpType, SignalingState};
pub use peer::PeerConnection;
pub use record::{Recording, RecordingError, ReplayError, ReplaySummary, Replayer, Step};
pub use sdp::Direction;
pub use stats::{PeerStats, StreamStats};

/// Re-exported from `nutshell-proto`: the datagrams the core takes and returns.
pub use proto::{Protocol, Receive, Transmit};
/// Re-exported children, for their types in events and configuration.
pub use {dtls, ice, rtp};

/// A local track (one per transceiver), from [`PeerConnection::add_track`] or
/// [`PeerConnection::add_transceiver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackId(pub(crate) usize);

/// Overall connection state, as W3C `RTCPeerConnectionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// Nothing started yet.
    New,
    /// ICE checks or the DTLS handshake are under way.
    Connecting,
    /// ICE has a selected pair with fresh consent and DTLS is connected: media flows.
    Connected,
    /// ICE lost consent on the selected pair for a while; may recover.
    Disconnected,
    /// ICE failed, consent expired, or DTLS failed (alert, wrong fingerprint, timeout).
    Failed,
    /// [`PeerConnection::close`] was called.
    Closed,
}

/// A remote track, announced by [`PeerEvent::Track`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    /// The media section's mid.
    pub mid: String,
    /// Audio or video.
    pub kind: MediaKind,
    /// The remote `a=msid` stream id, if any (`-` means none).
    pub stream_id: Option<String>,
    /// The remote `a=msid` track id, if any.
    pub track_id: Option<String>,
    /// The remote SSRC, if the description or the first packet told it.
    pub ssrc: Option<u32>,
    /// The negotiated codec the remote sends with first.
    pub codec: Option<Codec>,
}

/// A received RTP packet, decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacketEvent {
    /// The transceiver's mid.
    pub mid: String,
    /// SSRC.
    pub ssrc: u32,
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence_number: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Marker bit.
    pub marker: bool,
    /// Length of the header (fixed header, CSRCs, extensions) within `packet`.
    pub header_len: usize,
    /// The whole decrypted RTP packet (header and payload, padding included).
    pub packet: Vec<u8>,
}

/// Something the caller should know, from [`PeerConnection::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerEvent {
    /// A local candidate to send to the peer (trickle ICE), as `RTCIceCandidate`.
    IceCandidate {
        /// The `candidate:…` attribute value.
        candidate: String,
        /// The mid of the media section it belongs to (the first bundled one).
        sdp_mid: String,
        /// That section's index.
        mline_index: u16,
    },
    /// Gathering is complete: the null candidate of W3C.
    EndOfCandidates,
    /// The signaling state changed.
    SignalingState(SignalingState),
    /// The ICE connection state changed.
    IceConnectionState(ice::ConnectionState),
    /// The ICE gathering state changed.
    IceGatheringState(ice::GatheringState),
    /// The connection state changed.
    ConnectionState(ConnectionState),
    /// A remote track appeared (remote description with a sending section).
    Track(TrackInfo),
    /// A received RTP packet (see [`PeerConfig::emit_rtp`]).
    Rtp(RtpPacketEvent),
    /// A whole received frame, in decode order.
    Frame {
        /// The transceiver's mid.
        mid: String,
        /// The frame (Opus packet, VP8 frame, H.264 access unit in Annex B form).
        data: Vec<u8>,
        /// Its RTP timestamp.
        timestamp: u32,
        /// Whether it is a key frame.
        keyframe: bool,
    },
    /// The peer asked for a key frame (PLI or FIR) on the track sent on `mid`.
    KeyframeRequested {
        /// The transceiver's mid.
        mid: String,
    },
    /// The peer reported lost packets (generic NACK) on the track sent on `mid`.
    Nack {
        /// The transceiver's mid.
        mid: String,
        /// The sequence numbers reported lost.
        lost: Vec<u16>,
        /// How many of them were retransmitted from the history.
        retransmitted: usize,
    },
    /// A local change (a new track or transceiver) needs a new offer/answer.
    NegotiationNeeded,
}

/// Misuse of the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The call is not allowed in the current signaling state (W3C InvalidStateError).
    #[error("{operation} not allowed in signaling state {state:?}")]
    InvalidState {
        /// The call.
        operation: &'static str,
        /// The state it was made in.
        state: SignalingState,
    },
    /// The description does not parse, or lacks what WebRTC requires (ICE credentials,
    /// fingerprint, rtcp-mux, BUNDLE), or does not match the one we created.
    #[error("invalid session description: {0}")]
    InvalidDescription(String),
    /// A candidate was added before any remote description.
    #[error("no remote description")]
    NoRemoteDescription,
    /// The candidate text does not parse, or names an unknown mid.
    #[error("invalid ICE candidate")]
    InvalidCandidate,
    /// No transceiver has this mid.
    #[error("unknown mid")]
    UnknownMid,
    /// No such track.
    #[error("unknown track")]
    UnknownTrack,
    /// The track cannot send: no codec negotiated yet, or its direction does not send.
    #[error("track not negotiated for sending")]
    NotSending,
    /// The frame cannot be packetized for the negotiated codec.
    #[error("cannot packetize frame: {0}")]
    Packetize(rtp::payload::Error),
    /// The packet given to `write_rtp` is not RTP.
    #[error("bad RTP packet: {0}")]
    Rtp(rtp::Error),
    /// The ICE agent refused a local socket.
    #[error("ICE: {0}")]
    Ice(ice::Error),
    /// Not supported by this implementation (e.g. pranswer).
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// The connection is closed.
    #[error("connection closed")]
    Closed,
}
