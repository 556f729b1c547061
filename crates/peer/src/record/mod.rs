//! Record & replay: with [`PeerConfig::record`] on, the core writes every input it receives
//! (API calls with their arguments, datagrams with their addresses, time steps, and the
//! values DTLS drew from the OS generator) and a digest of every output into a compact byte
//! stream, taken with [`PeerConnection::take_recording`]. [`Replayer`] feeds such a stream
//! into a fresh core and checks that every output is the same.
//!
//! ## The format
//! A header, then entries; all integers are LEB128 varints unless said otherwise, byte
//! strings are length-prefixed, times are nanoseconds since the `now` given to
//! [`PeerConnection::new`].
//!
//! - header: `NSREC` + version byte (1), then the [`PeerConfig`] (the certificate as DER
//!   only: recordings never hold the private key).
//! - entry: a tag byte and the input's arguments; calls that return something are followed
//!   by the 8-byte little-endian FNV-1a digest of the result (the bytes and addresses of a
//!   datagram, the `Debug` text of anything else). DTLS draws (our ECDHE share, the shared
//!   secret, our signatures) follow the call during which they were made.
//!
//! The stream is a concatenation: chunks taken at any time append into one file, and a file
//! cut short (a crashed process) replays up to its last whole entry.
//!
//! ## Secrets
//! A recording holds the ECDHE shared secrets, so it decrypts the recorded call, as a
//! `SSLKEYLOGFILE` does. It does not hold the certificate's private key.
//!
//! [`PeerConfig`]: crate::PeerConfig
//! [`PeerConfig::record`]: crate::PeerConfig::record

mod replay;
mod wire;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use proto::{Protocol, Receive, Transmit};
use sdp::Direction;

use crate::codec::MediaKind;
use crate::jsep::SdpType;
use crate::peer::PeerConnection;
use crate::{Error, PeerEvent, TrackId};

pub use replay::{Recording, ReplayError, ReplaySummary, Replayer, Step};
pub use wire::RecordingError;

use wire::{Fnv, Writer};

pub(crate) const MAGIC: &[u8; 5] = b"NSREC";
pub(crate) const VERSION: u8 = 1;

/// Recorded bytes kept before [`PeerConnection::take_recording`] drains them; beyond, the
/// recording stops (with an end marker) rather than grow without bound.
const MAX_PENDING: usize = 256 << 20;

// Entry tags.
pub(crate) const T_RECEIVE: u8 = 1;
pub(crate) const T_TIMEOUT: u8 = 2;
pub(crate) const T_POLL_TRANSMIT: u8 = 3;
pub(crate) const T_POLL_EVENT: u8 = 4;
pub(crate) const T_ADD_LOCAL_SOCKET: u8 = 16;
pub(crate) const T_ADD_TRACK: u8 = 17;
pub(crate) const T_ADD_TRANSCEIVER: u8 = 18;
pub(crate) const T_SET_DIRECTION: u8 = 19;
pub(crate) const T_ADD_ICE_CANDIDATE: u8 = 20;
pub(crate) const T_RESTART_ICE: u8 = 21;
pub(crate) const T_CLOSE: u8 = 22;
pub(crate) const T_REQUEST_KEYFRAME: u8 = 23;
pub(crate) const T_WRITE_FRAME: u8 = 24;
pub(crate) const T_SET_AUDIO_LEVEL: u8 = 25;
pub(crate) const T_WRITE_RTP: u8 = 26;
pub(crate) const T_CREATE_OFFER: u8 = 27;
pub(crate) const T_CREATE_ANSWER: u8 = 28;
pub(crate) const T_SET_LOCAL: u8 = 29;
pub(crate) const T_SET_REMOTE: u8 = 30;
pub(crate) const T_DRAW: u8 = 48;
pub(crate) const T_END: u8 = 63;

// Draw kinds.
pub(crate) const D_KEY_SHARE: u8 = 0;
pub(crate) const D_SHARED_SECRET: u8 = 1;
pub(crate) const D_SIGNATURE: u8 = 2;

/// The recording side of a core: the bytes not yet taken.
#[derive(Debug)]
pub(crate) struct Recorder {
    w: Writer,
    start: Instant,
    stopped: bool,
}

impl Recorder {
    /// A recorder whose stream starts with the header for `config`.
    pub(crate) fn new(config: &crate::PeerConfig, start: Instant) -> Self {
        let mut w = Writer::default();
        w.buf.extend_from_slice(MAGIC);
        w.u8(VERSION);
        w.config(config);
        Recorder {
            w,
            start,
            stopped: false,
        }
    }
}

pub(crate) fn protocol_byte(p: Protocol) -> u8 {
    match p {
        Protocol::Udp => 0,
        Protocol::Tcp => 1,
    }
}

/// The digest of a datagram the core returned (or of its absence).
pub(crate) fn digest_transmit(t: Option<&Transmit>) -> u64 {
    let mut h = Fnv::new();
    if let Some(t) = t {
        let mut w = Writer::default();
        w.u8(protocol_byte(t.protocol));
        w.addr(t.source);
        w.addr(t.destination);
        h.write(&w.buf);
        h.write(&t.contents);
    } else {
        h.write(b"none");
    }
    h.0
}

/// The digest of anything else the core returned: its `Debug` text.
pub(crate) fn digest_debug<T: core::fmt::Debug>(v: &T) -> u64 {
    let mut h = Fnv::new();
    let _ = write!(h, "{v:?}");
    h.0
}

fn time(w: &mut Writer, start: Instant, now: Instant) {
    w.duration(now.saturating_duration_since(start));
}

impl PeerConnection {
    /// Whether this core is recording (see [`PeerConfig::record`](crate::PeerConfig::record)).
    pub fn is_recording(&self) -> bool {
        self.recorder.as_ref().is_some_and(|r| !r.stopped)
    }

    /// The recorded bytes since the last call (the first chunk starts with the header).
    /// Append every chunk to one file; [`Recording::parse`] reads it back. Empty when not
    /// recording. Up to 256 MiB are kept between calls; past that the recording ends.
    pub fn take_recording(&mut self) -> Vec<u8> {
        match self.recorder.as_mut() {
            Some(r) => std::mem::take(&mut r.w.buf),
            None => Vec::new(),
        }
    }

    /// Writes one input entry if recording; returns whether it did (so its output digest
    /// follows).
    fn rec_input(&mut self, f: impl FnOnce(&mut Writer, Instant)) -> bool {
        let Some(r) = self.recorder.as_mut() else {
            return false;
        };
        if r.stopped {
            return false;
        }
        if r.w.buf.len() > MAX_PENDING {
            r.w.u8(T_END);
            r.stopped = true;
            return false;
        }
        f(&mut r.w, r.start);
        true
    }

    fn rec_digest(&mut self, digest: u64) {
        if let Some(r) = self.recorder.as_mut() {
            r.w.u64_le(digest);
        }
    }

    /// After a recorded call: its output digest and the DTLS draws it made.
    fn rec_done(&mut self, digest: Option<u64>) {
        if let Some(d) = digest {
            self.rec_digest(d);
        }
        let draws = match self.dtls.as_mut() {
            Some(d) => d.take_draws(),
            None => return,
        };
        let Some(r) = self.recorder.as_mut() else {
            return;
        };
        for draw in draws {
            r.w.u8(T_DRAW);
            match draw {
                dtls::CryptoDraw::KeyShare { group, public } => {
                    r.w.u8(D_KEY_SHARE);
                    r.w.varint(u64::from(group.id()));
                    r.w.bytes(&public);
                }
                dtls::CryptoDraw::SharedSecret(secret) => {
                    r.w.u8(D_SHARED_SECRET);
                    r.w.bytes(&secret);
                }
                dtls::CryptoDraw::Signature { scheme, signature } => {
                    r.w.u8(D_SIGNATURE);
                    r.w.varint(u64::from(scheme.id()));
                    r.w.bytes(&signature);
                }
            }
        }
    }

    /// Records a call with a result: input, then the digest of the result.
    fn recorded<T: core::fmt::Debug>(
        &mut self,
        input: impl FnOnce(&mut Writer, Instant),
        call: impl FnOnce(&mut Self) -> T,
    ) -> T {
        if self.recorder.is_none() {
            return call(self);
        }
        let on = self.rec_input(input);
        let out = call(self);
        if on {
            self.rec_done(Some(digest_debug(&out)));
        }
        out
    }

    /// Records a call without a result.
    fn recorded_unit(
        &mut self,
        input: impl FnOnce(&mut Writer, Instant),
        call: impl FnOnce(&mut Self),
    ) {
        if self.recorder.is_none() {
            return call(self);
        }
        let on = self.rec_input(input);
        call(self);
        if on {
            self.rec_done(None);
        }
    }

    // ----- the public verbs, recorded ------------------------------------------------------

    /// Creates an offer (RFC 8829 §5.2): every transceiver as a media section, BUNDLEd,
    /// with `a=setup:actpass`, our ICE credentials, fingerprint and the candidates gathered
    /// so far. Allowed in stable and have-local-offer.
    pub fn create_offer(&mut self) -> Result<String, Error> {
        self.recorded(|w, _| w.u8(T_CREATE_OFFER), |p| p.create_offer_inner())
    }

    /// Creates an answer to the remote offer (RFC 8829 §5.3): supported sections accepted
    /// with the intersection of codecs and extensions (remote payload types and ids) and
    /// directions, the rest rejected with port 0; `a=setup:active` (or the role in use).
    pub fn create_answer(&mut self) -> Result<String, Error> {
        self.recorded(|w, _| w.u8(T_CREATE_ANSWER), |p| p.create_answer_inner())
    }

    /// Applies our own offer or answer (normally the text `create_offer` / `create_answer`
    /// returned), or rolls back (`SdpType::Rollback`, the text is ignored).
    pub fn set_local_description(&mut self, typ: SdpType, sdp: &str) -> Result<(), Error> {
        self.recorded(
            |w, _| {
                w.u8(T_SET_LOCAL);
                w.sdp_type(typ);
                w.str(sdp);
            },
            |p| p.set_local_description_inner(typ, sdp),
        )
    }

    /// Applies the peer's offer or answer, or rolls back. A remote offer in
    /// have-local-offer rolls our offer back first (W3C perfect negotiation).
    pub fn set_remote_description(&mut self, typ: SdpType, sdp: &str) -> Result<(), Error> {
        self.recorded(
            |w, _| {
                w.u8(T_SET_REMOTE);
                w.sdp_type(typ);
                w.str(sdp);
            },
            |p| p.set_remote_description_inner(typ, sdp),
        )
    }

    /// Tells the core about a socket the runtime bound: host candidates are gathered on it
    /// (loopback only with [`PeerConfig::include_loopback`](crate::PeerConfig::include_loopback)).
    /// Returns whether it was used.
    pub fn add_local_socket(&mut self, addr: SocketAddr) -> Result<bool, Error> {
        self.recorded(
            |w, _| {
                w.u8(T_ADD_LOCAL_SOCKET);
                w.addr(addr);
            },
            |p| p.add_local_socket_inner(addr),
        )
    }

    /// Adds a local track of `kind` in stream `stream_id`: reuses a transceiver a remote
    /// offer created for that kind that has no track yet (W3C addTrack), or adds a sendrecv
    /// transceiver. Fires [`PeerEvent::NegotiationNeeded`].
    pub fn add_track(&mut self, kind: MediaKind, stream_id: &str) -> Result<TrackId, Error> {
        self.recorded(
            |w, _| {
                w.u8(T_ADD_TRACK);
                w.media_kind(kind);
                w.str(stream_id);
            },
            |p| p.add_track_inner(kind, stream_id),
        )
    }

    /// Adds a transceiver of `kind` with `direction` and no stream (W3C addTransceiver).
    /// A sending direction gets a track writable through the returned id.
    pub fn add_transceiver(
        &mut self,
        kind: MediaKind,
        direction: Direction,
    ) -> Result<TrackId, Error> {
        self.recorded(
            |w, _| {
                w.u8(T_ADD_TRANSCEIVER);
                w.media_kind(kind);
                w.direction(direction);
            },
            |p| p.add_transceiver_inner(kind, direction),
        )
    }

    /// Changes a transceiver's direction; takes effect at the next negotiation.
    pub fn set_direction(&mut self, track: TrackId, direction: Direction) -> Result<(), Error> {
        self.recorded(
            |w, _| {
                w.u8(T_SET_DIRECTION);
                w.varint(track.0 as u64);
                w.direction(direction);
            },
            |p| p.set_direction_inner(track, direction),
        )
    }

    /// Adds a remote candidate (trickle ICE), as `addIceCandidate`: `candidate` is the
    /// `candidate:…` text; an empty one means end-of-candidates. `sdp_mid` / `mline_index`
    /// name the media section (with BUNDLE they all share one transport). Unusable
    /// candidates (mDNS names, TCP) are ignored.
    pub fn add_ice_candidate(
        &mut self,
        candidate: &str,
        sdp_mid: Option<&str>,
        mline_index: Option<u16>,
    ) -> Result<(), Error> {
        self.recorded(
            |w, _| {
                w.u8(T_ADD_ICE_CANDIDATE);
                w.str(candidate);
                w.opt_str(sdp_mid);
                match mline_index {
                    None => w.u8(0),
                    Some(i) => {
                        w.u8(1);
                        w.varint(u64::from(i));
                    }
                }
            },
            |p| p.add_ice_candidate_inner(candidate, sdp_mid, mline_index),
        )
    }

    /// Restarts ICE (RFC 8445 §9): new local credentials go into the next offer, which the
    /// caller must make ([`PeerEvent::NegotiationNeeded`]); the current path stays in use
    /// until a new one is selected. DTLS and SRTP are kept.
    pub fn restart_ice(&mut self) -> Result<(), Error> {
        self.recorded(|w, _| w.u8(T_RESTART_ICE), |p| p.restart_ice_inner())
    }

    /// Closes the connection: ICE and DTLS are closed (DTLS sends close_notify), and every
    /// further command fails with [`Error::Closed`].
    pub fn close(&mut self) {
        self.recorded_unit(|w, _| w.u8(T_CLOSE), |p| p.close_inner());
    }

    /// Asks the remote sender on `mid` for a key frame (PLI, RFC 4585 §6.3.1).
    pub fn request_keyframe(&mut self, mid: &str) -> Result<(), Error> {
        self.recorded(
            |w, _| {
                w.u8(T_REQUEST_KEYFRAME);
                w.str(mid);
            },
            |p| p.request_keyframe_inner(mid),
        )
    }

    /// Writes one encoded frame (an Opus packet, a VP8 frame, an H.264 access unit in
    /// Annex B form) lasting `duration`: packetized for the negotiated codec, stamped with
    /// sequence numbers, timestamp and header extensions, protected and queued. Before the
    /// connection is up the frame is dropped (counted) but the timestamp still advances.
    pub fn write_frame(
        &mut self,
        track: TrackId,
        duration: Duration,
        data: &[u8],
    ) -> Result<(), Error> {
        self.recorded(
            |w, _| {
                w.u8(T_WRITE_FRAME);
                w.varint(track.0 as u64);
                w.duration(duration);
                w.bytes(data);
            },
            |p| p.write_frame_inner(track, duration, data),
        )
    }

    /// Sets the audio level (RFC 6464: `level` in -dBov, 0–127, and whether the frame
    /// holds voice) carried by the track's next packets; the core does not decode audio,
    /// so it sends 127 (silence) until told.
    pub fn set_audio_level(&mut self, track: TrackId, level: u8, voice: bool) -> Result<(), Error> {
        self.recorded(
            |w, _| {
                w.u8(T_SET_AUDIO_LEVEL);
                w.varint(track.0 as u64);
                w.u8(level);
                w.bool(voice);
            },
            |p| p.set_audio_level_inner(track, level, voice),
        )
    }

    /// Writes a whole RTP packet (for forwarders): its payload type, sequence number,
    /// timestamp, marker and payload are kept; the SSRC becomes the track's and the header
    /// extensions ours. Dropped (counted) before the connection is up.
    pub fn write_rtp(&mut self, track: TrackId, packet: &[u8]) -> Result<(), Error> {
        self.recorded(
            |w, _| {
                w.u8(T_WRITE_RTP);
                w.varint(track.0 as u64);
                w.bytes(packet);
            },
            |p| p.write_rtp_inner(track, packet),
        )
    }

    /// A datagram arrived on one of the runtime's sockets. Never fails: anything that is not
    /// for us is dropped and counted.
    pub fn handle_receive(&mut self, now: Instant, r: Receive<'_>) {
        self.recorded_unit(
            |w, start| {
                w.u8(T_RECEIVE);
                time(w, start, now);
                w.u8(protocol_byte(r.protocol));
                w.addr(r.source);
                w.addr(r.destination);
                w.bytes(r.contents);
            },
            |p| p.handle_receive_inner(now, r),
        );
    }

    /// Runs the timers due at `now`. Early or spurious calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.recorded_unit(
            |w, start| {
                w.u8(T_TIMEOUT);
                time(w, start, now);
            },
            |p| p.handle_timeout_inner(now),
        );
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if self.recorder.is_none() {
            return self.poll_transmit_inner();
        }
        let on = self.rec_input(|w, _| w.u8(T_POLL_TRANSMIT));
        let out = self.poll_transmit_inner();
        if on {
            self.rec_done(Some(digest_transmit(out.as_ref())));
        }
        out
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<PeerEvent> {
        self.recorded(|w, _| w.u8(T_POLL_EVENT), |p| p.poll_event_inner())
    }
}

#[cfg(test)]
mod tests;
