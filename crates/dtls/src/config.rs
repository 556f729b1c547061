//! Endpoint configuration.

use std::time::Duration;

use crate::cert::{Certificate, Fingerprint};
use crate::crypto::{CipherSuite, NamedGroup};
use crate::draws::Draws;
use crate::srtp::SrtpProfile;

/// Which side of the handshake an endpoint plays (RFC 5763 §5: the `a=setup` attribute
/// decides; `active` is the DTLS client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends the ClientHello.
    Client,
    /// Answers it.
    Server,
}

/// Configuration of a [`Dtls`](crate::Dtls) endpoint. Build it with [`Config::new`] and adjust
/// the public fields.
#[derive(Debug, Clone)]
pub struct Config {
    /// Client or server.
    pub role: Role,
    /// Our certificate and key (one per endpoint, reusable across connections).
    pub certificate: Certificate,
    /// Cipher suites, in our order of preference (the server picks by this order).
    /// Default: [`CipherSuite::ALL`].
    pub cipher_suites: Vec<CipherSuite>,
    /// ECDHE groups, in our order of preference. Default: x25519, then P-256, then P-384.
    pub groups: Vec<NamedGroup>,
    /// SRTP protection profiles to offer (client) or accept (server), in order of preference
    /// (RFC 5764 §4.1.1). Default: [`SrtpProfile::ALL`] (AEAD_AES_128_GCM, AEAD_AES_256_GCM,
    /// SHA1_80, SHA1_32). When non-empty, a handshake without a common profile fails with
    /// [`Error::NoCommonSrtpProfile`](crate::Error::NoCommonSrtpProfile); when empty, use_srtp
    /// is neither offered nor accepted.
    pub srtp_profiles: Vec<SrtpProfile>,
    /// Largest datagram we send, including DTLS record headers (default 1200). Flights are
    /// fragmented to fit (RFC 6347 §4.1.1). Values below 256 are raised to 256.
    pub mtu: usize,
    /// Initial retransmission timeout (RFC 6347 §4.2.4.1; default 1 s). It doubles after each
    /// retransmission up to [`Config::max_retransmit_timeout`].
    pub initial_retransmit_timeout: Duration,
    /// Ceiling of the back-off (default 60 s, RFC 6347 §4.2.4.1).
    pub max_retransmit_timeout: Duration,
    /// After this many retransmissions of one flight without progress the handshake fails
    /// with [`Error::Timeout`](crate::Error::Timeout) (default 7: about 2 minutes with the
    /// default timeouts).
    pub max_retransmits: u32,
    /// Accepted fingerprints of the peer certificate, from the SDP `a=fingerprint`
    /// (RFC 8122 §5). Empty accepts any certificate (for tests and tools only).
    pub remote_fingerprints: Vec<Fingerprint>,
    /// Server: answer a ClientHello without a valid cookie with a HelloVerifyRequest
    /// (RFC 6347 §4.2.1). Default true.
    pub cookie_exchange: bool,
    /// Require the extended master secret (RFC 7627 §5.2, §5.3). Default true.
    pub require_extended_master_secret: bool,
    /// Largest handshake message accepted (default 16 KiB; a browser's ClientHello is about
    /// 1.5 KiB, a self-signed certificate well under 2 KiB).
    pub max_message_size: usize,
    /// Seed for the randoms (ClientHello/ServerHello random, cookie secret). Give each
    /// endpoint fresh randomness in production. ECDHE keys and ECDSA signature nonces come
    /// from the OS through `ring` (which cannot be seeded); [`Config::draws`] records their
    /// results or replays them, so that with the same seed, inputs and draws an endpoint
    /// reproduces its output byte for byte.
    pub seed: [u8; 32],
    /// Where ECDHE key shares, shared secrets and signatures come from: `ring` and the OS
    /// generator ([`Draws::Live`], the default), the same while keeping them for
    /// [`Dtls::take_draws`](crate::Dtls::take_draws) ([`Draws::Record`]), or a recording
    /// ([`Draws::Replay`]; the certificate may then be keyless,
    /// [`Certificate::from_der_without_key`]).
    pub draws: Draws,
    /// Keep the NSS key log line (SSLKEYLOGFILE format) of the session, readable with
    /// [`Dtls::key_log`](crate::Dtls::key_log). Default false.
    pub key_log: bool,
}

impl Config {
    /// A configuration with the defaults described on each field.
    pub fn new(role: Role, certificate: Certificate, seed: [u8; 32]) -> Self {
        Config {
            role,
            certificate,
            cipher_suites: CipherSuite::ALL.to_vec(),
            groups: NamedGroup::ALL.to_vec(),
            srtp_profiles: SrtpProfile::ALL.to_vec(),
            mtu: 1200,
            initial_retransmit_timeout: Duration::from_secs(1),
            max_retransmit_timeout: Duration::from_secs(60),
            max_retransmits: 7,
            remote_fingerprints: Vec::new(),
            cookie_exchange: true,
            require_extended_master_secret: true,
            max_message_size: 16 * 1024,
            seed,
            draws: Draws::Live,
            key_log: false,
        }
    }
}
