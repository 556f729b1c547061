//! # nutshell-ice: a sans-IO ICE agent (RFC 8445, RFC 8838, RFC 7675)
//!
//! ICE finds a working path between two peers behind whatever networks they sit in. The
//! [`IceAgent`] is a full RFC 8445 agent (both roles, ICE-lite peers, an ICE-lite mode for
//! servers) with trickle ICE (RFC 8838) and consent freshness (RFC 7675). It owns no socket
//! and reads no clock: the runtime binds sockets, tells the agent their addresses, feeds it
//! datagrams with their 5-tuple and the time, and sends what it returns.
//!
//! ## Driving the agent
//! Every call that changes the agent (a command, [`IceAgent::handle_receive`],
//! [`IceAgent::handle_timeout`]) may queue datagrams and events. Drain after each, in this
//! order: [`poll_transmit`](IceAgent::poll_transmit), [`poll_event`](IceAgent::poll_event),
//! then ask [`poll_timeout`](IceAgent::poll_timeout) when to call `handle_timeout` next. A
//! missed drain is never an error; queues are bounded (oldest dropped, counted).
//!
//! Two agents wired back to back on loopback, with a virtual clock:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use nutshell_ice::{ConnectionState, IceAgent, IceConfig, IceEvent, Role};
//! use proto::Receive;
//!
//! let now = Instant::now();
//! let cfg = |role, seed| IceConfig { role, seed, include_loopback: true, ..IceConfig::default() };
//! let mut a = IceAgent::new(cfg(Role::Controlling, 1), now);
//! let mut b = IceAgent::new(cfg(Role::Controlled, 2), now);
//! a.add_host_socket("127.0.0.1:5000".parse().unwrap()).unwrap();
//! b.add_host_socket("127.0.0.1:6000".parse().unwrap()).unwrap();
//! let (ua, pa) = a.local_credentials();
//! let (ub, pb) = b.local_credentials();
//! let (ua, pa, ub, pb) = (ua.to_owned(), pa.to_owned(), ub.to_owned(), pb.to_owned());
//! a.set_remote_credentials(&ub, &pb).unwrap();
//! b.set_remote_credentials(&ua, &pa).unwrap();
//!
//! let mut now = now;
//! let mut connected = [false, false];
//! for _ in 0..1000 {
//!     for (i, agent) in [&mut a, &mut b].into_iter().enumerate() {
//!         agent.handle_timeout(now);
//!         while let Some(ev) = agent.poll_event() {
//!             if ev == IceEvent::ConnectionState(ConnectionState::Connected) {
//!                 connected[i] = true;
//!             }
//!         }
//!     }
//!     // Trickle: hand each side the other's candidates (done here every round for brevity).
//!     for c in a.local_candidates().cloned().collect::<Vec<_>>() { let _ = b.add_remote_candidate(c); }
//!     for c in b.local_candidates().cloned().collect::<Vec<_>>() { let _ = a.add_remote_candidate(c); }
//!     // The "network": deliver every datagram at once.
//!     loop {
//!         let mut moved = false;
//!         while let Some(t) = a.poll_transmit() {
//!             moved = true;
//!             b.handle_receive(now, Receive { protocol: t.protocol, source: t.source, destination: t.destination, contents: &t.contents });
//!         }
//!         while let Some(t) = b.poll_transmit() {
//!             moved = true;
//!             a.handle_receive(now, Receive { protocol: t.protocol, source: t.source, destination: t.destination, contents: &t.contents });
//!         }
//!         if !moved { break; }
//!     }
//!     if connected == [true, true] { break; }
//!     // Sleep until the earlier of the two timeouts.
//!     now = [a.poll_timeout(), b.poll_timeout()].into_iter().flatten().min().unwrap_or(now + Duration::from_millis(10)).max(now);
//! }
//! assert_eq!(connected, [true, true]);
//! let tx = a.send_to_selected(b"hello").unwrap();
//! assert_eq!(tx.destination, "127.0.0.1:6000".parse().unwrap());
//! ```
//!
//! ## What the agent does
//! - **Candidates** (RFC 8445 §5.1): host candidates from the socket addresses the runtime
//!   passes to [`IceAgent::add_host_socket`] (IPv4 and IPv6; loopback and link-local only when
//!   [`IceConfig::include_loopback`] / [`IceConfig::include_link_local`] say so),
//!   server-reflexive candidates from a STUN Binding to each of [`IceConfig::stun_servers`]
//!   (retransmitted per RFC 8489 §6.2.1), peer-reflexive candidates learned from checks
//!   (§7.2.5.3.1, §7.3.1.3). Priorities per §5.1.2, foundations per §5.1.1.3; a
//!   server-reflexive address equal to its base is redundant and dropped (§5.1.3). Relayed
//!   candidates ([`CandidateKind::Relayed`]) are accepted from the peer; gathering them is the
//!   TURN issue's seam.
//! - **Checks** (§6, §7): pairs are formed from local host bases and remote candidates of the
//!   same family, ordered by pair priority (§6.1.2.3), limited to
//!   [`IceConfig::max_pairs`] (§6.1.2.5), Frozen/Waiting/In-Progress/Succeeded/Failed with the
//!   frozen algorithm per foundation, paced every Ta; triggered checks (§7.3.1.4) go first.
//!   Checks carry USERNAME, PRIORITY, ICE-CONTROLLING/ICE-CONTROLLED, USE-CANDIDATE when
//!   nominating, MESSAGE-INTEGRITY and FINGERPRINT; unknown attributes such as Chrome's
//!   GOOG-NETWORK-INFO (0xC057) are ignored.
//! - **Roles** (§6.1.1, §7.3.1.1, §7.2.5.1): tie-breaker from the seed; a conflict is
//!   resolved by answering 487 or switching role, and a 487 answer switches role and retries.
//!   A full agent facing an ICE-lite peer ([`IceAgent::set_remote_lite`]) is controlling.
//! - **Nomination** (§8.1.1): regular nomination by the controlling agent: once a pair
//!   succeeds it waits [`IceConfig::nomination_delay`] for better pairs (or until none is
//!   pending), then repeats the check with USE-CANDIDATE on the best valid pair. The
//!   controlled agent selects the highest-priority nominated pair.
//! - **Trickle** (RFC 8838): remote candidates may arrive at any time; checks from the peer
//!   that arrive before its credentials are answered and checked back once they are known;
//!   [`IceAgent::end_of_remote_candidates`] lets the agent decide failure; local candidates
//!   come out as [`IceEvent::LocalCandidate`] and end with
//!   [`IceEvent::GatheringState`]`(`[`GatheringState::Complete`]`)`.
//! - **Consent** (RFC 7675): a check on the selected pair every
//!   [`IceConfig::consent_interval`] (±20 %), also the keepalive (§11). Without a response
//!   for [`IceConfig::disconnected_timeout`] the state is Disconnected, for
//!   [`IceConfig::failed_timeout`] Failed: consent expired, and
//!   [`IceAgent::send_to_selected`] refuses.
//! - **Restart** (§9): [`IceAgent::restart`] takes new credentials, forgets remote candidates
//!   and pairs, and keeps the selected pair (answering and sending consent checks with the old
//!   credentials) until a pair of the new generation is selected.
//! - **States** mirror W3C `RTCIceConnectionState` ([`ConnectionState`]) and
//!   `RTCIceGatheringState` ([`GatheringState`]).
//!
//! ## SDP
//! [`Candidate`] has the fields of the SDP `candidate` attribute (RFC 8839 §5.1), but this
//! crate does not depend on `nutshell-sdp`: the PeerConnection converts between the two. The
//! tests and the `ice` example do the conversion with `nutshell-sdp` as a dev-dependency.
//!
//! ## Time, errors, panics
//! - **Time** is input: every `handle_*` takes `now`, which never goes backwards (an earlier
//!   value is treated as the latest seen). Early or spurious `handle_timeout` calls are
//!   harmless. [`IceAgent::poll_timeout`] is a cached value, O(1).
//! - **Randomness** (credentials, tie-breaker, transaction ids, jitter) comes from
//!   [`IceConfig::seed`]; pass a random seed in production.
//! - **Errors:** network input never produces an error: malformed datagrams, failed
//!   MESSAGE-INTEGRITY, unknown usernames and stray responses are dropped, logged with
//!   `tracing::trace!` and counted in [`IceStats`]. Commands return [`Error`] only for misuse
//!   (bad address, too many candidates, no selected pair). Failure of ICE itself is a state,
//!   [`ConnectionState::Failed`].
//! - **Panics:** none on any input or timing; `unwrap`, `expect`, indexing and `panic!` are
//!   denied outside tests, and the `ice_agent` fuzz target feeds arbitrary datagrams and
//!   time steps to an agent with a peer configured.
//! - **Memory** is bounded by [`IceConfig`]'s limits: candidates, pairs, transactions and the
//!   output queues. A flood of checks with bad integrity creates no state.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod agent;
mod candidate;
mod checklist;
mod config;
mod receive;
mod rng;
mod stun_client;

pub use agent::IceAgent;
pub use candidate::{Candidate, CandidateKind, candidate_priority, pair_priority};
pub use checklist::PairState;
pub use config::IceConfig;

/// Re-exported from `nutshell-proto`: the datagrams the agent takes and returns.
pub use proto::{Protocol, Receive, Transmit};

/// The agent's role (RFC 8445 §6.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Nominates the pair (usually the offerer).
    Controlling,
    /// Follows the controlling agent's nomination.
    Controlled,
}

/// Connection state, as W3C `RTCIceConnectionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// Waiting for remote credentials and candidates.
    New,
    /// Checking pairs; none selected yet.
    Checking,
    /// A pair is selected and consent is fresh.
    Connected,
    /// Connected, the peer signalled end-of-candidates, gathering is complete and no check
    /// is running.
    Completed,
    /// No consent response on the selected pair for
    /// [`IceConfig::disconnected_timeout`]; may recover.
    Disconnected,
    /// All pairs failed after end-of-candidates, or consent expired. Only
    /// [`IceAgent::restart`] leaves a consent failure.
    Failed,
    /// [`IceAgent::close`] was called.
    Closed,
}

/// Gathering state, as W3C `RTCIceGatheringState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatheringState {
    /// No host socket added yet.
    New,
    /// Candidates are being gathered (STUN requests outstanding).
    Gathering,
    /// Every socket's candidates are known (the end-of-candidates of trickle ICE).
    Complete,
}

/// Something the caller should know, from [`IceAgent::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IceEvent {
    /// A local candidate to signal to the peer (trickle ICE).
    LocalCandidate(Candidate),
    /// The gathering state changed; `Complete` means end-of-candidates.
    GatheringState(GatheringState),
    /// The connection state changed.
    ConnectionState(ConnectionState),
    /// The selected pair changed: data now goes from `local`'s base to `remote`.
    SelectedPair {
        /// The local candidate of the valid pair (host, server- or peer-reflexive).
        local: Candidate,
        /// The remote candidate.
        remote: Candidate,
        /// The local socket address data is sent from (the base of `local`).
        base: std::net::SocketAddr,
    },
    /// The role changed after a conflict (RFC 8445 §7.3.1.1, §7.2.5.1).
    RoleChanged(Role),
    /// New local credentials after a restart (explicit, or implied by the peer's new
    /// credentials): signal them with the local candidates that follow.
    LocalCredentials {
        /// ice-ufrag.
        ufrag: String,
        /// ice-pwd.
        pwd: String,
    },
}

/// What [`IceAgent::handle_receive`] did with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Received {
    /// A STUN message for ICE (check, response, server answer): consumed.
    Stun,
    /// Not STUN, from a remote candidate to a local socket of this agent: data on a pair,
    /// for the layer above.
    Data,
    /// Dropped: malformed, unauthenticated, or from an unknown 5-tuple (counted in
    /// [`IceStats`]).
    Dropped,
}

/// Counters and current sizes, from [`IceAgent::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceStats {
    /// Connectivity checks sent (first transmissions).
    pub checks_sent: u64,
    /// Retransmissions of requests.
    pub retransmissions: u64,
    /// Authenticated checks received.
    pub checks_received: u64,
    /// Authenticated responses matched to a transaction.
    pub responses_received: u64,
    /// Requests or responses whose MESSAGE-INTEGRITY failed.
    pub bad_integrity: u64,
    /// Requests whose USERNAME does not name our ufrag, or without USERNAME.
    pub unknown_username: u64,
    /// Datagrams that failed to decode, or STUN messages that do not belong to ICE.
    pub malformed: u64,
    /// Responses matching no transaction, or from the wrong address.
    pub unmatched: u64,
    /// Role conflicts resolved.
    pub role_conflicts: u64,
    /// State refused because a limit was reached (candidates, pairs, transactions).
    pub limited: u64,
    /// Queued datagrams or events dropped because the caller did not drain.
    pub queue_dropped: u64,
    /// Current number of local candidates.
    pub local_candidates: usize,
    /// Current number of remote candidates.
    pub remote_candidates: usize,
    /// Current number of candidate pairs.
    pub pairs: usize,
    /// Current number of outstanding transactions.
    pub transactions: usize,
    /// Datagrams waiting in the output queue.
    pub queued_transmits: usize,
    /// Events waiting in the output queue.
    pub queued_events: usize,
}

/// Misuse of the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An unspecified address or port 0.
    #[error("invalid address {0}")]
    InvalidAddress(std::net::SocketAddr),
    /// A limit of [`IceConfig`] was reached.
    #[error("too many {0}")]
    TooMany(&'static str),
    /// Credentials empty, too long or with characters outside ice-chars.
    #[error("invalid ICE credentials")]
    InvalidCredentials,
    /// No pair is selected yet.
    #[error("no selected candidate pair")]
    NoSelectedPair,
    /// Consent on the selected pair expired (RFC 7675): restart ICE.
    #[error("consent expired")]
    ConsentExpired,
    /// The agent is closed.
    #[error("agent closed")]
    Closed,
}
