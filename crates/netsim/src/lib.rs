//! # nutshell-netsim: a deterministic virtual network for tests
//!
//! No sockets, no threads, no real clock: a [`Network`] of hosts on the open internet and
//! behind NATs, connected by lossy, delaying, reordering, duplicating, MTU-limited access
//! links, moving [`Transmit`]s on a virtual clock; and a [`Sim`] driver that runs sans-IO
//! state machines ([`Node`]s) attached to its hosts. Every random choice comes from one
//! seeded PRNG ([`Rng`]), so a failing seed replays exactly. Only ever a dev-dependency.
//!
//! ## The model
//! - **Hosts** ([`Network::add_host`], [`Network::add_host_behind`]) own IP addresses; a
//!   [`Transmit`] sent by a host must carry one of them as its source IP (any port).
//! - **NATs** ([`Network::add_nat`], [`NatConfig`]) in RFC 4787 terms:
//!
//!   | [`NatBehavior`]        | mapping (§4.1)              | filtering (§5)              |
//!   |------------------------|-----------------------------|-----------------------------|
//!   | `EndpointIndependent`  | endpoint-independent        | endpoint-independent        |
//!   | `AddressRestricted`    | endpoint-independent        | address-dependent           |
//!   | `PortRestricted`       | endpoint-independent        | address-and-port-dependent  |
//!   | `Symmetric`            | address-and-port-dependent  | address-and-port-dependent  |
//!
//!   Mappings die [`NatConfig::mapping_timeout`] after their last outbound datagram; public
//!   ports are sequential or seeded-random ([`PortAllocation`]); hairpinning is optional.
//!   Hosts behind the same NAT reach each other directly by private address. No nested NATs;
//!   inbound traffic does not refresh mappings.
//! - **TCP** is carried like UDP: each [`Transmit`] is one unit, with no handshake, ordering or
//!   retransmission (a machine that frames over TCP sees exactly what it sent, or nothing).
//!   NATs keep separate mappings per protocol.
//! - **Links** ([`LinkConfig`]): every host has an access link (its own via
//!   [`Network::set_link`], or the default). A datagram crosses the sender's link, the NATs,
//!   then the receiver's link, so the one-way delay is the sum of both links' delays.
//! - **Drops** are never errors: each is counted on the sending host ([`HostStats`],
//!   [`DropReason`]) and recorded in the optional trace ([`Network::set_trace`]).
//!
//! ## Driving machines
//! A [`Sim`] always advances to the earliest pending event (a datagram arriving, or a node's
//! `poll_timeout`), handles it, and drains the transmits of the nodes it touched into the
//! network. Runs are bounded by deadlines and step limits, so a buggy machine fails a test
//! with a [`SimError`] instead of hanging it.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr, SocketAddr};
//! use std::time::{Duration, Instant};
//! use nutshell_netsim::*;
//!
//! /// A toy STUN-like server: tells each sender the address it sees.
//! #[derive(Default)]
//! struct Reflector { out: Vec<Transmit> }
//! impl Node for Reflector {
//!     fn handle_receive(&mut self, _now: Instant, r: Receive<'_>) {
//!         let seen = r.source.to_string().into_bytes();
//!         self.out.push(Transmit { protocol: r.protocol, source: r.destination, destination: r.source, contents: seen });
//!     }
//!     fn handle_timeout(&mut self, _now: Instant) {}
//!     fn poll_transmit(&mut self) -> Option<Transmit> { self.out.pop() }
//!     fn poll_timeout(&self) -> Option<Instant> { None }
//! }
//!
//! /// Asks the server once, at its first timeout, and remembers the answer.
//! struct Client { start: Instant, local: SocketAddr, server: SocketAddr, asked: bool, out: Vec<Transmit>, answer: Option<String> }
//! impl Node for Client {
//!     fn handle_receive(&mut self, _now: Instant, r: Receive<'_>) {
//!         self.answer = String::from_utf8(r.contents.to_vec()).ok();
//!     }
//!     fn handle_timeout(&mut self, _now: Instant) {
//!         if !self.asked {
//!             self.asked = true;
//!             self.out.push(Transmit { protocol: Protocol::Udp, source: self.local, destination: self.server, contents: b"who am i".to_vec() });
//!         }
//!     }
//!     fn poll_transmit(&mut self) -> Option<Transmit> { self.out.pop() }
//!     fn poll_timeout(&self) -> Option<Instant> { (!self.asked).then_some(self.start) }
//! }
//!
//! let seed = 42; // print it when a test fails: the same seed replays exactly
//! let start = Instant::now(); // only the origin of virtual time
//! let mut net = Network::new(seed, start);
//! let server_ip = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
//! let server = net.add_host(&[server_ip]);
//! let nat = net.add_nat(NatConfig::new(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)), NatBehavior::Symmetric));
//! let client_ip = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20));
//! let client = net.add_host_behind(nat, &[client_ip]);
//! net.set_link(client, LinkConfig { latency: Duration::from_millis(15), ..LinkConfig::default() });
//!
//! let mut sim = Sim::new(net);
//! sim.attach(server, Reflector::default());
//! sim.attach(client, Client {
//!     start,
//!     local: SocketAddr::new(client_ip, 5000),
//!     server: SocketAddr::new(server_ip, 3478),
//!     asked: false, out: vec![], answer: None,
//! });
//! let t = sim
//!     .run_until_cond(start + Duration::from_secs(5), |s| {
//!         s.node::<Client>(client).is_some_and(|c| c.answer.is_some())
//!     })
//!     .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
//! // 15 ms + 5 ms each way.
//! assert_eq!(t - start, Duration::from_millis(40));
//! let answer = sim.node::<Client>(client).and_then(|c| c.answer.clone());
//! assert_eq!(answer.as_deref(), Some("203.0.113.9:40000"));
//! assert_eq!(sim.net().stats(client).dropped.total(), 0);
//! ```
//!
//! ## Time, errors, panics
//! Time only moves when [`Network::pop_until`], [`Network::advance_to`] or a [`Sim`] run
//! moves it, and never backwards. Network conditions are never errors: a datagram that
//! cannot be delivered is dropped and counted. [`Sim`] runs return [`SimError`] when they
//! cannot reach their goal. No input panics (the crate denies `unwrap`, `expect`, indexing
//! and `panic!` outside tests).
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

mod link;
mod nat;
mod network;
mod rng;
mod seeds;
mod sim;
mod stats;

pub use link::LinkConfig;
pub use nat::{NatBehavior, NatConfig, PortAllocation};
pub use network::{DEFAULT_MAX_IN_FLIGHT, Delivered, HostId, NatId, Network};
pub use rng::Rng;
pub use seeds::for_each_seed;
pub use sim::{INBOX_LIMIT, Node, Sim, SimError, Step};
pub use stats::{DropReason, Drops, HostStats, TraceEvent, TraceKind};

/// Re-exported from `nutshell-proto`, so tests need no extra import.
pub use proto::{Protocol, Receive, Transmit};

#[cfg(test)]
mod sim_tests;
#[cfg(test)]
mod tests;
