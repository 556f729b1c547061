//! The network: hosts, NATs, access links, the virtual clock and the queue of datagrams in
//! flight.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use proto::{Protocol, Receive, Transmit};

use crate::link::LinkConfig;
use crate::nat::{Nat, NatConfig, NatRefusal};
use crate::rng::Rng;
use crate::stats::{DropReason, HostStats, TraceEvent, TraceKind, fnv1a};

/// A host of a [`Network`], returned by [`Network::add_host`] and
/// [`Network::add_host_behind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostId(pub(crate) usize);

impl HostId {
    /// The host's index, in order of creation from 0.
    pub fn index(self) -> usize {
        self.0
    }
}

/// A NAT of a [`Network`], returned by [`Network::add_nat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NatId(usize);

impl NatId {
    /// The NAT's index, in order of creation from 0.
    pub fn index(self) -> usize {
        self.0
    }
}

/// A datagram the network delivered to a host, from [`Network::pop_until`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The receiving host.
    pub host: HostId,
    /// Virtual time of arrival.
    pub now: Instant,
    /// Transport.
    pub protocol: Protocol,
    /// Where it came from, as the receiver sees it (after NAT translation).
    pub source: SocketAddr,
    /// The receiver's address it arrived at (a private address behind a NAT).
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: Vec<u8>,
}

impl Delivered {
    /// The datagram as the [`Receive`] a state machine's `handle_receive` takes.
    pub fn as_receive(&self) -> Receive<'_> {
        Receive {
            protocol: self.protocol,
            source: self.source,
            destination: self.destination,
            contents: &self.contents,
        }
    }
}

#[derive(Debug)]
struct Host {
    addrs: Vec<IpAddr>,
    nat: Option<NatId>,
    link: Option<LinkConfig>,
    up_busy: Option<Instant>,
    down_busy: Option<Instant>,
    stats: HostStats,
}

/// Where a datagram in flight is going next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Crossed the sender's access link; NATs and routing happen on arrival.
    Core,
    /// Crossed the receiver's access link; delivered on arrival.
    Deliver(HostId),
}

#[derive(Debug)]
struct InFlight {
    at: Instant,
    seq: u64,
    stage: Stage,
    from: HostId,
    protocol: Protocol,
    source: SocketAddr,
    destination: SocketAddr,
    contents: Vec<u8>,
}

impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for InFlight {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest, and among equal times
    /// the first inserted.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Default bound on datagrams in flight.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 100_000;

/// A deterministic virtual network: hosts on the open internet and behind NATs, lossy access
/// links, a virtual clock and the datagrams in flight.
///
/// Everything random is drawn from one PRNG seeded by [`Network::new`], in an order fixed by
/// the calls made, so the same seed and the same calls give the same deliveries, byte for byte
/// and instant for instant.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr, SocketAddr};
/// use std::time::{Duration, Instant};
/// use nutshell_netsim::{NatBehavior, NatConfig, Network};
/// use proto::{Protocol, Transmit};
///
/// let start = Instant::now(); // only as the origin of virtual time
/// let mut net = Network::new(1, start);
/// let server_ip = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
/// let server = net.add_host(&[server_ip]);
/// let nat = net.add_nat(NatConfig::new(
///     IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
///     NatBehavior::PortRestricted,
/// ));
/// let client_ip = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2));
/// let client = net.add_host_behind(nat, &[client_ip]);
///
/// let c = SocketAddr::new(client_ip, 5000);
/// let s = SocketAddr::new(server_ip, 3478);
/// net.send(client, Transmit { protocol: Protocol::Udp, source: c, destination: s, contents: b"ping".to_vec() });
/// let d = net.pop_until(start + Duration::from_secs(1)).expect("delivered");
/// assert_eq!(d.host, server);
/// assert_eq!(d.now, start + Duration::from_millis(10)); // two default 5 ms access links
/// assert_eq!(d.source, "203.0.113.7:40000".parse().unwrap()); // the NAT's mapping
///
/// // The server answers the mapped address; the NAT lets it in (the client sent to `s`).
/// net.send(server, Transmit { protocol: Protocol::Udp, source: s, destination: d.source, contents: b"pong".to_vec() });
/// let back = net.pop_until(start + Duration::from_secs(1)).expect("delivered");
/// assert_eq!((back.host, back.destination, back.source), (client, c, s));
/// assert_eq!(back.as_receive().contents, b"pong");
/// ```
#[derive(Debug)]
pub struct Network {
    seed: u64,
    rng: Rng,
    start: Instant,
    now: Instant,
    seq: u64,
    queue: BinaryHeap<InFlight>,
    max_in_flight: usize,
    hosts: Vec<Host>,
    nats: Vec<Nat>,
    /// (realm, ip) -> host; realm `None` is the internet, `Some(nat)` the NAT's LAN.
    by_addr: BTreeMap<(Option<NatId>, IpAddr), HostId>,
    /// Public IP -> NAT.
    nat_by_ip: BTreeMap<IpAddr, NatId>,
    default_link: LinkConfig,
    trace: Option<Vec<TraceEvent>>,
    unknown_host_sends: u64,
}

impl Network {
    /// An empty network whose randomness is fixed by `seed` and whose clock starts at `start`.
    pub fn new(seed: u64, start: Instant) -> Self {
        Self {
            seed,
            rng: Rng::new(seed),
            start,
            now: start,
            seq: 0,
            queue: BinaryHeap::new(),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            hosts: Vec::new(),
            nats: Vec::new(),
            by_addr: BTreeMap::new(),
            nat_by_ip: BTreeMap::new(),
            default_link: LinkConfig::default(),
            trace: None,
            unknown_host_sends: 0,
        }
    }

    /// The seed this network was created with (print it when a test fails).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The virtual time the clock started at.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// The current virtual time: the time of the last event popped, or the last deadline
    /// passed to [`pop_until`](Self::pop_until) or [`advance_to`](Self::advance_to).
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Virtual time elapsed since the start.
    pub fn elapsed(&self) -> Duration {
        self.now.saturating_duration_since(self.start)
    }

    /// Moves the clock forward to `t` without popping anything (the clock never goes back).
    /// Datagrams due before `t` stay queued and are popped late, at `t`.
    pub fn advance_to(&mut self, t: Instant) {
        if t > self.now {
            self.now = t;
        }
    }

    /// Mutable access to the network's PRNG, for tests that want randomness tied to the seed.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Adds a host on the open internet owning `addrs` (public addresses). An address already
    /// owned by another internet host stays with that host.
    pub fn add_host(&mut self, addrs: &[IpAddr]) -> HostId {
        self.insert_host(None, addrs)
    }

    /// Adds a host on the LAN behind `nat`, owning the private `addrs`. Hosts behind the same
    /// NAT reach each other directly by private address; hosts behind different NATs may reuse
    /// the same private addresses.
    pub fn add_host_behind(&mut self, nat: NatId, addrs: &[IpAddr]) -> HostId {
        self.insert_host(Some(nat), addrs)
    }

    fn insert_host(&mut self, nat: Option<NatId>, addrs: &[IpAddr]) -> HostId {
        let id = HostId(self.hosts.len());
        for ip in addrs {
            self.by_addr.entry((nat, *ip)).or_insert(id);
        }
        self.hosts.push(Host {
            addrs: addrs.to_vec(),
            nat,
            link: None,
            up_busy: None,
            down_busy: None,
            stats: HostStats::default(),
        });
        id
    }

    /// Adds a NAT with the given public address and behaviour. If an internet host owns the
    /// same address, datagrams to it go to the host.
    pub fn add_nat(&mut self, config: NatConfig) -> NatId {
        let id = NatId(self.nats.len());
        self.nat_by_ip.entry(config.public_ip).or_insert(id);
        self.nats.push(Nat::new(config));
        id
    }

    /// The addresses of a host (empty for an unknown id).
    pub fn host_addrs(&self, host: HostId) -> &[IpAddr] {
        self.hosts.get(host.0).map_or(&[], |h| &h.addrs)
    }

    /// The NAT a host is behind, if any.
    pub fn nat_of(&self, host: HostId) -> Option<NatId> {
        self.hosts.get(host.0).and_then(|h| h.nat)
    }

    /// A NAT's configuration.
    pub fn nat_config(&self, nat: NatId) -> Option<&NatConfig> {
        self.nats.get(nat.0).map(|n| &n.config)
    }

    /// The public address `nat` currently maps the internal endpoint `internal` to, for
    /// traffic towards `remote` (which matters only for symmetric NATs); `None` without a live
    /// mapping.
    pub fn nat_mapping(
        &self,
        nat: NatId,
        protocol: Protocol,
        internal: SocketAddr,
        remote: SocketAddr,
    ) -> Option<SocketAddr> {
        self.nats
            .get(nat.0)?
            .lookup(protocol, internal, remote, self.now)
    }

    /// Number of live mappings of a NAT.
    pub fn nat_mapping_count(&self, nat: NatId) -> usize {
        self.nats
            .get(nat.0)
            .map_or(0, |n| n.mapping_count(self.now))
    }

    /// The link used by hosts without one of their own. Changing it affects datagrams sent
    /// from now on.
    pub fn set_default_link(&mut self, link: LinkConfig) {
        self.default_link = link;
    }

    /// Gives `host` its own access link (at any time: datagrams already in flight keep their
    /// fate, later ones get the new link). `LinkConfig::down()` simulates an outage.
    pub fn set_link(&mut self, host: HostId, link: LinkConfig) {
        if let Some(h) = self.hosts.get_mut(host.0) {
            h.link = Some(link);
        }
    }

    /// Returns `host` to the default link.
    pub fn clear_link(&mut self, host: HostId) {
        if let Some(h) = self.hosts.get_mut(host.0) {
            h.link = None;
        }
    }

    /// The access link `host` uses now.
    pub fn link(&self, host: HostId) -> &LinkConfig {
        self.hosts
            .get(host.0)
            .and_then(|h| h.link.as_ref())
            .unwrap_or(&self.default_link)
    }

    /// Bounds the number of datagrams in flight (default [`DEFAULT_MAX_IN_FLIGHT`]); beyond
    /// it datagrams are dropped as [`DropReason::QueueFull`].
    pub fn set_max_in_flight(&mut self, max: usize) {
        self.max_in_flight = max;
    }

    /// Datagrams in flight now.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// Counters of one host (zero for an unknown id).
    pub fn stats(&self, host: HostId) -> HostStats {
        self.hosts.get(host.0).map(|h| h.stats).unwrap_or_default()
    }

    /// Counters of all hosts together. Sends from unknown host ids count as `sent` and
    /// `dropped.bad_source` here only.
    pub fn total_stats(&self) -> HostStats {
        let mut t = HostStats::default();
        for h in &self.hosts {
            t.add(&h.stats);
        }
        t.sent = t.sent.saturating_add(self.unknown_host_sends);
        t.dropped.bad_source = t.dropped.bad_source.saturating_add(self.unknown_host_sends);
        t
    }

    /// Turns trace recording on (clearing any previous trace) or off.
    pub fn set_trace(&mut self, on: bool) {
        self.trace = if on { Some(Vec::new()) } else { None };
    }

    /// The trace recorded so far (empty when recording is off).
    pub fn trace(&self) -> &[TraceEvent] {
        self.trace.as_deref().unwrap_or(&[])
    }

    /// Takes the trace recorded so far, leaving recording on with an empty trace.
    pub fn take_trace(&mut self) -> Vec<TraceEvent> {
        match &mut self.trace {
            Some(t) => std::mem::take(t),
            None => Vec::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        kind: TraceKind,
        host: HostId,
        protocol: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) {
        if let Some(t) = &mut self.trace {
            t.push(TraceEvent {
                at: self.now.saturating_duration_since(self.start),
                kind,
                host,
                protocol,
                source,
                destination,
                len: contents.len(),
                digest: fnv1a(contents),
            });
        }
    }

    fn drop_datagram(
        &mut self,
        reason: DropReason,
        from: HostId,
        protocol: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) {
        if let Some(h) = self.hosts.get_mut(from.0) {
            h.stats.dropped.count(reason);
        }
        self.record(
            TraceKind::Drop(reason),
            from,
            protocol,
            source,
            destination,
            contents,
        );
    }

    /// Hands a datagram from `from` to the network at the current virtual time.
    ///
    /// Its source IP must be one of the host's addresses, else it is dropped as
    /// [`DropReason::BadSource`]. It then crosses the sender's access link, the NATs (source
    /// translation on the way out, mapping look-up and filtering on the way in) and the
    /// receiver's access link; whatever survives comes out of [`pop_until`](Self::pop_until).
    /// Never fails: every drop is counted in [`stats`](Self::stats).
    pub fn send(&mut self, from: HostId, t: Transmit) {
        let Transmit {
            protocol,
            source,
            destination,
            contents,
        } = t;
        let Some(host) = self.hosts.get_mut(from.0) else {
            self.unknown_host_sends = self.unknown_host_sends.saturating_add(1);
            return;
        };
        host.stats.sent = host.stats.sent.saturating_add(1);
        let owns = host.addrs.contains(&source.ip());
        self.record(
            TraceKind::Send,
            from,
            protocol,
            source,
            destination,
            &contents,
        );
        if !owns {
            self.drop_datagram(
                DropReason::BadSource,
                from,
                protocol,
                source,
                destination,
                &contents,
            );
            return;
        }
        let link = self.link(from).clone();
        let d = InFlight {
            at: self.now,
            seq: 0,
            stage: Stage::Core,
            from,
            protocol,
            source,
            destination,
            contents,
        };
        self.traverse(&link, from, true, d);
    }

    /// Sends `d` across the access link of `link_host` (its uplink if `up`), scheduling it (and
    /// maybe a duplicate) for its next stage, or dropping it.
    fn traverse(&mut self, link: &LinkConfig, link_host: HostId, up: bool, mut d: InFlight) {
        if d.contents.len() > link.mtu {
            return self.drop_inflight(DropReason::Mtu, d);
        }
        if self.rng.chance(link.loss) {
            return self.drop_inflight(DropReason::Loss, d);
        }
        let copy = if self.rng.chance(link.duplicate) {
            if let Some(h) = self.hosts.get_mut(d.from.0) {
                h.stats.duplicated = h.stats.duplicated.saturating_add(1);
            }
            self.record(
                TraceKind::Duplicate,
                d.from,
                d.protocol,
                d.source,
                d.destination,
                &d.contents,
            );
            Some(InFlight {
                at: d.at,
                seq: 0,
                stage: d.stage,
                from: d.from,
                protocol: d.protocol,
                source: d.source,
                destination: d.destination,
                contents: d.contents.clone(),
            })
        } else {
            None
        };
        match self.delay(link, link_host, up, d.at, d.contents.len()) {
            Some(at) => {
                d.at = at;
                self.enqueue(d);
            }
            None => self.drop_inflight(DropReason::Loss, d),
        }
        if let Some(mut c) = copy {
            match self.delay(link, link_host, up, c.at, c.contents.len()) {
                Some(at) => {
                    c.at = at;
                    self.enqueue(c);
                }
                None => self.drop_inflight(DropReason::Loss, c),
            }
        }
    }

    /// When a datagram of `len` bytes entering the link at `at` leaves it; `None` if that is
    /// beyond what `Instant` can represent (treated as lost).
    fn delay(
        &mut self,
        link: &LinkConfig,
        link_host: HostId,
        up: bool,
        at: Instant,
        len: usize,
    ) -> Option<Instant> {
        let mut t = at;
        if let Some(bw) = link.bandwidth.filter(|b| *b > 0) {
            let bits = (len as u128).saturating_mul(8);
            let nanos = bits.saturating_mul(1_000_000_000) / u128::from(bw);
            let ser = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
            if let Some(h) = self.hosts.get_mut(link_host.0) {
                let busy = if up { &mut h.up_busy } else { &mut h.down_busy };
                let begin = busy.map_or(t, |b| b.max(t));
                t = begin.checked_add(ser)?;
                *busy = Some(t);
            }
        }
        t = t.checked_add(link.latency)?;
        if !link.jitter.is_zero() {
            let max = u64::try_from(link.jitter.as_nanos()).unwrap_or(u64::MAX);
            let j = self.rng.below(max.saturating_add(1));
            t = t.checked_add(Duration::from_nanos(j))?;
        }
        if self.rng.chance(link.reorder) {
            t = t.checked_add(link.reorder_delay)?;
        }
        Some(t)
    }

    fn drop_inflight(&mut self, reason: DropReason, d: InFlight) {
        self.drop_datagram(
            reason,
            d.from,
            d.protocol,
            d.source,
            d.destination,
            &d.contents,
        );
    }

    fn enqueue(&mut self, mut d: InFlight) {
        if self.queue.len() >= self.max_in_flight {
            return self.drop_inflight(DropReason::QueueFull, d);
        }
        d.seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        self.queue.push(d);
    }

    /// The virtual time of the next thing in flight to happen (a delivery, or a datagram
    /// reaching a NAT), if anything is in flight.
    #[must_use]
    pub fn next_event_time(&self) -> Option<Instant> {
        self.queue.peek().map(|d| d.at)
    }

    /// Pops the next datagram delivered no later than `deadline`, moving the clock to its
    /// arrival time. When nothing more arrives by `deadline`, moves the clock to `deadline`
    /// and returns `None`.
    ///
    /// Datagrams arriving at the same instant come out in the order they were sent.
    #[must_use = "a popped datagram is gone from the network"]
    pub fn pop_until(&mut self, deadline: Instant) -> Option<Delivered> {
        while let Some(top) = self.queue.peek() {
            if top.at > deadline {
                break;
            }
            let Some(d) = self.queue.pop() else { break };
            self.advance_to(d.at);
            match d.stage {
                Stage::Core => self.route(d),
                Stage::Deliver(host) => return Some(self.deliver(host, d)),
            }
        }
        self.advance_to(deadline);
        None
    }

    fn deliver(&mut self, host: HostId, d: InFlight) -> Delivered {
        if let Some(h) = self.hosts.get_mut(host.0) {
            h.stats.delivered = h.stats.delivered.saturating_add(1);
            h.stats.delivered_bytes = h
                .stats
                .delivered_bytes
                .saturating_add(d.contents.len() as u64);
        }
        self.record(
            TraceKind::Deliver,
            host,
            d.protocol,
            d.source,
            d.destination,
            &d.contents,
        );
        Delivered {
            host,
            now: self.now,
            protocol: d.protocol,
            source: d.source,
            destination: d.destination,
            contents: d.contents,
        }
    }

    /// The datagram reached the core: NATs and routing, then onto the receiver's link.
    fn route(&mut self, mut d: InFlight) {
        let sender_nat = self.hosts.get(d.from.0).and_then(|h| h.nat);
        if let Some(nat) = sender_nat {
            // Same LAN: straight to the other host, no translation.
            if let Some(&to) = self.by_addr.get(&(Some(nat), d.destination.ip())) {
                return self.downlink(to, d);
            }
            let Some(n) = self.nats.get_mut(nat.0) else {
                return self.drop_inflight(DropReason::NoRoute, d);
            };
            match n.outbound(d.protocol, d.source, d.destination, self.now, &mut self.rng) {
                Ok(public) => d.source = public,
                Err(_) => return self.drop_inflight(DropReason::NatPorts, d),
            }
            if d.destination.ip() == n.config.public_ip
                && !self.by_addr.contains_key(&(None, d.destination.ip()))
            {
                if !n.config.hairpin {
                    return self.drop_inflight(DropReason::NoRoute, d);
                }
                return self.inbound(nat, d);
            }
        }
        let dst_ip = d.destination.ip();
        if let Some(&to) = self.by_addr.get(&(None, dst_ip)) {
            return self.downlink(to, d);
        }
        if let Some(&nat) = self.nat_by_ip.get(&dst_ip) {
            return self.inbound(nat, d);
        }
        self.drop_inflight(DropReason::NoRoute, d)
    }

    /// Inbound translation at `nat`'s public side.
    fn inbound(&mut self, nat: NatId, mut d: InFlight) {
        let now = self.now;
        let result = match self.nats.get_mut(nat.0) {
            Some(n) => n.inbound(d.protocol, d.source, d.destination.port(), now),
            None => Err(NatRefusal::Filtered),
        };
        let internal = match result {
            Ok(internal) => internal,
            Err(NatRefusal::NoPort) => return self.drop_inflight(DropReason::NatPorts, d),
            Err(NatRefusal::Filtered) => return self.drop_inflight(DropReason::NatFilter, d),
        };
        d.destination = internal;
        match self.by_addr.get(&(Some(nat), internal.ip())) {
            Some(&to) => self.downlink(to, d),
            None => self.drop_inflight(DropReason::NoRoute, d),
        }
    }

    fn downlink(&mut self, to: HostId, mut d: InFlight) {
        d.stage = Stage::Deliver(to);
        d.at = self.now;
        let link = self.link(to).clone();
        self.traverse(&link, to, false, d);
    }
}
