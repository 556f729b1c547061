//! # nutshell-netsim: a deterministic virtual network for tests
//!
//! No sockets, no threads, no real clock: a [`Network`] of hosts on the open internet and
//! behind NATs (RFC 4787 mapping and filtering behaviours), connected by lossy, delaying,
//! reordering, duplicating, MTU-limited access links, moving [`proto::Transmit`]s on a
//! virtual clock. Every random choice comes from one seeded PRNG, so a failing seed replays
//! exactly.
//!
//! ## Time, errors, panics
//! Time only moves when [`Network::pop_until`] or [`Network::advance_to`] moves it. Nothing
//! returns errors for network conditions: a datagram that cannot be delivered is dropped and
//! counted in [`HostStats`] (and in the optional trace). No input panics.
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
mod stats;

pub use link::LinkConfig;
pub use nat::{NatBehavior, NatConfig, PortAllocation};
pub use network::{DEFAULT_MAX_IN_FLIGHT, Delivered, HostId, NatId, Network};
pub use rng::Rng;
pub use stats::{DropReason, Drops, HostStats, TraceEvent, TraceKind};

/// Re-exported from `nutshell-proto`, so tests need no extra import.
pub use proto::{Protocol, Receive, Transmit};

#[cfg(test)]
mod tests;
