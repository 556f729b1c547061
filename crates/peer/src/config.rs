//! [`PeerConfig`]: everything a [`PeerConnection`](crate::PeerConnection) is built from.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use dtls::SrtpProfile;
use dtls::cert::Certificate;
use rtp::ExtensionKind;

use crate::codec::{Codec, default_codecs, default_extensions};

/// Configuration of a [`PeerConnection`](crate::PeerConnection).
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// Our DTLS certificate (generate once with [`Certificate::generate`] and reuse it; its
    /// SHA-256 fingerprint goes into every description).
    pub certificate: Certificate,
    /// STUN servers for server-reflexive candidates. No default servers.
    pub stun_servers: Vec<SocketAddr>,
    /// Gather host candidates on loopback addresses (tests, and the single-machine demo).
    pub include_loopback: bool,
    /// ICE timing and limits (role, credentials, seed and servers are set by the
    /// PeerConnection from the other fields).
    pub ice: ice::IceConfig,
    /// Seed of every random choice of the core: SSRCs, CNAME, ICE credentials and
    /// tie-breaker, DTLS randoms. Use a random seed in production.
    pub seed: u64,
    /// Codecs we offer and accept, in order of preference (default: Opus, VP8, H.264).
    pub codecs: Vec<Codec>,
    /// Header extensions we offer, with their ids (default: audio level 1, abs-send-time 2,
    /// transport-wide-cc 3, mid 4).
    pub extensions: Vec<(u8, ExtensionKind)>,
    /// SRTP protection profiles, in order of preference (default: AEAD_AES_128_GCM,
    /// AEAD_AES_256_GCM, AES128_CM_SHA1_80, AES128_CM_SHA1_32).
    pub srtp_profiles: Vec<SrtpProfile>,
    /// Largest datagram we send (default 1200): DTLS flights and RTP packets fit in it.
    pub mtu: usize,
    /// Wall-clock time at the `now` given to [`PeerConnection::new`](crate::PeerConnection::new),
    /// for the NTP timestamps of sender reports. The core reads no clock: the runtime passes
    /// `SystemTime::now()`; the default (the Unix epoch) is fine for tests.
    pub wall_clock_at_start: SystemTime,
    /// Interval between RTCP reports (default 1 s).
    pub rtcp_interval: Duration,
    /// RTP packets kept per sending stream for NACK retransmission (default 512).
    pub nack_history: usize,
    /// Most events queued for the caller; beyond, the oldest media events are dropped
    /// (counted in [`PeerStats::events_dropped`](crate::PeerStats::events_dropped)).
    pub max_queued_events: usize,
    /// Most datagrams queued for the caller; beyond, the oldest are dropped.
    pub max_queued_transmits: usize,
    /// Emit [`PeerEvent::Rtp`](crate::PeerEvent::Rtp) for every received packet (default
    /// true). Frames are emitted regardless.
    pub emit_rtp: bool,
    /// DTLS handshake retransmission (RFC 6347 §4.2.4), first timeout: default 250 ms, as ICE
    /// has already proven the path and browsers accept a faster timer than the RFC's 1 s. A
    /// DTLS client whose peer's final flight is lost depends on its own retransmissions, so
    /// a call on a lossy path needs many short ones more than a few long ones.
    pub dtls_initial_timeout: Duration,
    /// The cap of the DTLS retransmission back-off (default 8 s).
    pub dtls_max_timeout: Duration,
    /// DTLS retransmissions of one flight before the handshake fails (default 16, about two
    /// minutes with the defaults above).
    pub dtls_max_retransmits: u32,
    /// Record every input into a replayable stream, taken with
    /// [`PeerConnection::take_recording`](crate::PeerConnection::take_recording) (see
    /// [`Recording`](crate::Recording)). Default false. The stream holds the call's DTLS
    /// secrets (like a key log), not the certificate's private key.
    pub record: bool,
}

impl PeerConfig {
    /// A configuration with the defaults described on each field.
    pub fn new(certificate: Certificate) -> Self {
        PeerConfig {
            certificate,
            stun_servers: Vec::new(),
            include_loopback: false,
            ice: ice::IceConfig::default(),
            seed: 0,
            codecs: default_codecs(),
            extensions: default_extensions(),
            srtp_profiles: vec![
                SrtpProfile::AeadAes128Gcm,
                SrtpProfile::AeadAes256Gcm,
                SrtpProfile::Aes128CmHmacSha1_80,
                SrtpProfile::Aes128CmHmacSha1_32,
            ],
            mtu: 1200,
            wall_clock_at_start: SystemTime::UNIX_EPOCH,
            rtcp_interval: Duration::from_secs(1),
            nack_history: 512,
            max_queued_events: 4096,
            max_queued_transmits: 4096,
            emit_rtp: true,
            dtls_initial_timeout: Duration::from_millis(250),
            dtls_max_timeout: Duration::from_secs(8),
            dtls_max_retransmits: 16,
            record: false,
        }
    }
}
