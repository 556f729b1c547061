//! Agent configuration and its defaults.

use std::net::SocketAddr;
use std::time::Duration;

use crate::Role;

/// Configuration of an [`IceAgent`](crate::IceAgent). `Default` gives a full agent with the
/// timings below; every field is public so that tests can shorten them.
///
/// | setting | default | source |
/// | --- | --- | --- |
/// | `ta` | 50 ms | RFC 8445 §14.2 |
/// | `check_rto` / `check_rto_max` / `check_max_transmits` | 250 ms / 1.6 s / 7 | RFC 8445 §14.3 (≥ 500 ms total per pair; 7 transmissions as RFC 8489 Rc) |
/// | `stun_rto` / `stun_max_transmits` | 500 ms / 7 (final wait 16 × RTO: 39.5 s in all) | RFC 8489 §6.2.1 |
/// | `nomination_delay` | 500 ms | how long the controlling agent waits for a better pair |
/// | `consent_interval` | 2 s (±20 %) | RFC 7675 §5.1 allows any interval ≤ 5 s; browsers use 2.5 s |
/// | `disconnected_timeout` | 5 s | no consent response: disconnected (Chrome: about 5 s) |
/// | `failed_timeout` | 30 s | RFC 7675 §5.1: consent expires after 30 s |
#[derive(Debug, Clone)]
pub struct IceConfig {
    /// The role to start in. A conflict with the peer is resolved by tie-breaker
    /// (RFC 8445 §7.3.1.1), so this is a hint; the offerer is usually controlling.
    pub role: Role,
    /// Be an ICE-lite agent (RFC 8445 §2.5): host candidates only, no checks sent, always
    /// controlled; for servers with public addresses.
    pub lite: bool,
    /// Local username fragment; generated from `seed` when `None` (8 ice-chars).
    pub local_ufrag: Option<String>,
    /// Local password; generated from `seed` when `None` (24 ice-chars).
    pub local_pwd: Option<String>,
    /// STUN servers to gather server-reflexive candidates from. No default servers.
    pub stun_servers: Vec<SocketAddr>,
    /// Pacing of new checks, Ta (RFC 8445 §14.2).
    pub ta: Duration,
    /// Initial retransmission timeout of a connectivity check.
    pub check_rto: Duration,
    /// Largest retransmission timeout of a connectivity check (the RTO doubles up to it).
    pub check_rto_max: Duration,
    /// Transmissions of one connectivity check before the pair fails.
    pub check_max_transmits: u32,
    /// Initial RTO of a Binding request to a STUN server (RFC 8489 §6.2.1).
    pub stun_rto: Duration,
    /// Transmissions of a Binding request to a STUN server (Rc, RFC 8489 §6.2.1); the last is
    /// followed by a wait of 16 × `stun_rto` (Rm).
    pub stun_max_transmits: u32,
    /// How long the controlling agent waits, after the first pair succeeds, for a better pair
    /// to succeed before nominating the best one it has.
    pub nomination_delay: Duration,
    /// Interval of consent freshness checks on the selected pair, randomised by ±20 %
    /// (RFC 7675 §5.1). They also serve as keepalives (RFC 8445 §11).
    pub consent_interval: Duration,
    /// No consent response for this long: [`ConnectionState::Disconnected`](crate::ConnectionState::Disconnected).
    pub disconnected_timeout: Duration,
    /// No consent response for this long: consent expired, [`ConnectionState::Failed`](crate::ConnectionState::Failed)
    /// (RFC 7675 §5.1). Also how long an agent with no candidate pair at all waits after
    /// end-of-candidates before failing.
    pub failed_timeout: Duration,
    /// Gather host candidates on loopback addresses (off by default; tests turn it on).
    pub include_loopback: bool,
    /// Gather host candidates on link-local addresses (off by default).
    pub include_link_local: bool,
    /// Seed of the generator for credentials, tie-breaker, transaction ids and jitter.
    pub seed: u64,
    /// Most remote candidates (signalled and peer-reflexive together).
    pub max_remote_candidates: usize,
    /// Most peer-reflexive remote candidates learned from checks.
    pub max_peer_reflexive: usize,
    /// Most local candidates (host, server- and peer-reflexive).
    pub max_local_candidates: usize,
    /// Most candidate pairs in the check list (RFC 8445 §6.1.2.5 suggests 100).
    pub max_pairs: usize,
    /// Most STUN transactions in flight at once.
    pub max_transactions: usize,
    /// Most datagrams and events queued for the caller; beyond, the oldest are dropped.
    pub max_queued: usize,
}

impl Default for IceConfig {
    fn default() -> Self {
        IceConfig {
            role: Role::Controlling,
            lite: false,
            local_ufrag: None,
            local_pwd: None,
            stun_servers: Vec::new(),
            ta: Duration::from_millis(50),
            check_rto: Duration::from_millis(250),
            check_rto_max: Duration::from_millis(1600),
            check_max_transmits: 7,
            stun_rto: Duration::from_millis(500),
            stun_max_transmits: 7,
            nomination_delay: Duration::from_millis(500),
            consent_interval: Duration::from_secs(2),
            disconnected_timeout: Duration::from_secs(5),
            failed_timeout: Duration::from_secs(30),
            include_loopback: false,
            include_link_local: false,
            seed: 0,
            max_remote_candidates: 64,
            max_peer_reflexive: 16,
            max_local_candidates: 32,
            max_pairs: 100,
            max_transactions: 128,
            max_queued: 256,
        }
    }
}
