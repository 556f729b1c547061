//! Counters and the optional trace of every send, delivery and drop.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use proto::Protocol;

use crate::HostId;

/// Why the network dropped a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DropReason {
    /// Random loss on an access link ([`LinkConfig::loss`](crate::LinkConfig::loss)).
    Loss,
    /// Larger than an access link's [`LinkConfig::mtu`](crate::LinkConfig::mtu).
    Mtu,
    /// Refused by a NAT's inbound filter, or no live mapping for the destination port.
    NatFilter,
    /// The NAT had no free public port for a new mapping.
    NatPorts,
    /// Nobody owns the destination address (or hairpinning is off).
    NoRoute,
    /// The transmit's source address is not one of the sending host's (or the host is unknown).
    BadSource,
    /// Too many datagrams in flight ([`Network::set_max_in_flight`](crate::Network::set_max_in_flight)).
    QueueFull,
}

/// Dropped datagrams by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drops {
    /// [`DropReason::Loss`].
    pub loss: u64,
    /// [`DropReason::Mtu`].
    pub mtu: u64,
    /// [`DropReason::NatFilter`].
    pub nat_filter: u64,
    /// [`DropReason::NatPorts`].
    pub nat_ports: u64,
    /// [`DropReason::NoRoute`].
    pub no_route: u64,
    /// [`DropReason::BadSource`].
    pub bad_source: u64,
    /// [`DropReason::QueueFull`].
    pub queue_full: u64,
}

impl Drops {
    /// The counter of one reason.
    pub fn get(&self, reason: DropReason) -> u64 {
        match reason {
            DropReason::Loss => self.loss,
            DropReason::Mtu => self.mtu,
            DropReason::NatFilter => self.nat_filter,
            DropReason::NatPorts => self.nat_ports,
            DropReason::NoRoute => self.no_route,
            DropReason::BadSource => self.bad_source,
            DropReason::QueueFull => self.queue_full,
        }
    }

    pub(crate) fn count(&mut self, reason: DropReason) {
        let c = match reason {
            DropReason::Loss => &mut self.loss,
            DropReason::Mtu => &mut self.mtu,
            DropReason::NatFilter => &mut self.nat_filter,
            DropReason::NatPorts => &mut self.nat_ports,
            DropReason::NoRoute => &mut self.no_route,
            DropReason::BadSource => &mut self.bad_source,
            DropReason::QueueFull => &mut self.queue_full,
        };
        *c = c.saturating_add(1);
    }

    /// All drops together.
    pub fn total(&self) -> u64 {
        self.loss
            .saturating_add(self.mtu)
            .saturating_add(self.nat_filter)
            .saturating_add(self.nat_ports)
            .saturating_add(self.no_route)
            .saturating_add(self.bad_source)
            .saturating_add(self.queue_full)
    }

    fn add(&mut self, o: &Drops) {
        self.loss = self.loss.saturating_add(o.loss);
        self.mtu = self.mtu.saturating_add(o.mtu);
        self.nat_filter = self.nat_filter.saturating_add(o.nat_filter);
        self.nat_ports = self.nat_ports.saturating_add(o.nat_ports);
        self.no_route = self.no_route.saturating_add(o.no_route);
        self.bad_source = self.bad_source.saturating_add(o.bad_source);
        self.queue_full = self.queue_full.saturating_add(o.queue_full);
    }
}

/// Counters of one host (or, from [`Network::total_stats`](crate::Network::total_stats), of
/// the whole network).
///
/// Drops are counted on the host that *sent* the datagram, wherever it was dropped (its own
/// link, a NAT, the receiver's link), so a test asks the sender why its traffic did not
/// arrive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostStats {
    /// Datagrams handed to [`Network::send`](crate::Network::send) by this host.
    pub sent: u64,
    /// Datagrams delivered to this host.
    pub delivered: u64,
    /// Bytes delivered to this host.
    pub delivered_bytes: u64,
    /// Extra copies made of this host's datagrams by link duplication.
    pub duplicated: u64,
    /// This host's datagrams that were dropped, by reason.
    pub dropped: Drops,
}

impl HostStats {
    pub(crate) fn add(&mut self, o: &HostStats) {
        self.sent = self.sent.saturating_add(o.sent);
        self.delivered = self.delivered.saturating_add(o.delivered);
        self.delivered_bytes = self.delivered_bytes.saturating_add(o.delivered_bytes);
        self.duplicated = self.duplicated.saturating_add(o.duplicated);
        self.dropped.add(&o.dropped);
    }
}

/// What happened to a datagram, in a [`TraceEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceKind {
    /// Handed to the network by `host`.
    Send,
    /// Delivered to `host`.
    Deliver,
    /// A link duplicated a datagram sent by `host`.
    Duplicate,
    /// Dropped; `host` is the sender.
    Drop(DropReason),
}

/// One line of the network's trace (see [`Network::set_trace`](crate::Network::set_trace)).
///
/// The addresses are those the datagram carried at that point: for `Send` the sender's
/// private view, for `Deliver` the receiver's view after NAT translation. `digest` is a 64-bit
/// FNV-1a hash of the contents, so two traces are equal exactly when the same bytes moved at
/// the same virtual times (up to hash collisions).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TraceEvent {
    /// Virtual time since the network's start.
    pub at: Duration,
    /// What happened.
    pub kind: TraceKind,
    /// The sender (`Send`, `Duplicate`, `Drop`) or the receiver (`Deliver`).
    pub host: HostId,
    /// Transport.
    pub protocol: Protocol,
    /// Source address.
    pub source: SocketAddr,
    /// Destination address.
    pub destination: SocketAddr,
    /// Length of the contents.
    pub len: usize,
    /// FNV-1a of the contents.
    pub digest: u64,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>12.6}s {:?} host{} {:?} {} -> {} len={} #{:016x}",
            self.at.as_secs_f64(),
            self.kind,
            self.host.index(),
            self.protocol,
            self.source,
            self.destination,
            self.len,
            self.digest
        )
    }
}

/// 64-bit FNV-1a.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}
