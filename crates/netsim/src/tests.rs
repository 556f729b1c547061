//! Tests of the network: NAT matrix, links, determinism.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::*;

pub(crate) fn ip(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

pub(crate) fn sa(ip: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}

pub(crate) fn udp(source: SocketAddr, destination: SocketAddr, contents: &[u8]) -> Transmit {
    Transmit {
        protocol: Protocol::Udp,
        source,
        destination,
        contents: contents.to_vec(),
    }
}

const S_IP: [u8; 4] = [198, 51, 100, 1];
const T_IP: [u8; 4] = [198, 51, 100, 2];
const NAT_IP: [u8; 4] = [203, 0, 113, 1];
const C_IP: [u8; 4] = [192, 168, 1, 2];

fn s_ip() -> IpAddr {
    IpAddr::from(S_IP)
}
fn t_ip() -> IpAddr {
    IpAddr::from(T_IP)
}
fn nat_ip() -> IpAddr {
    IpAddr::from(NAT_IP)
}
fn c_ip() -> IpAddr {
    IpAddr::from(C_IP)
}

struct World {
    net: Network,
    start: Instant,
    s: HostId,
    t: HostId,
    nat: NatId,
    c: HostId,
}

fn world(behavior: NatBehavior) -> World {
    world_with(NatConfig::new(nat_ip(), behavior))
}

fn world_with(cfg: NatConfig) -> World {
    let start = Instant::now();
    let mut net = Network::new(1, start);
    let s = net.add_host(&[s_ip()]);
    let t = net.add_host(&[t_ip()]);
    let nat = net.add_nat(cfg);
    let c = net.add_host_behind(nat, &[c_ip()]);
    World {
        net,
        start,
        s,
        t,
        nat,
        c,
    }
}

impl World {
    fn far(&self) -> Instant {
        self.net.now() + Duration::from_secs(10)
    }

    /// Pops everything due by now + 10 s.
    fn drain(&mut self) -> Vec<Delivered> {
        let far = self.far();
        std::iter::from_fn(|| self.net.pop_until(far)).collect()
    }

    /// Client sends from c:5000 to `to`; returns the public source the receiver saw.
    fn client_sends(&mut self, to: SocketAddr) -> Option<SocketAddr> {
        self.net.send(self.c, udp(sa(c_ip(), 5000), to, b"out"));
        let got = self.drain();
        got.first().map(|d| d.source)
    }

    /// `from` host sends from `src` to `dst`; whether the client got it.
    fn reaches_client(&mut self, from: HostId, src: SocketAddr, dst: SocketAddr) -> bool {
        self.net.send(from, udp(src, dst, b"in"));
        let got = self.drain();
        got.iter()
            .any(|d| d.host == self.c && d.destination == sa(c_ip(), 5000) && d.source == src)
    }
}

#[test]
fn filtering_matrix() {
    // (behavior, same endpoint, same IP other port, other IP)
    let expect = [
        (NatBehavior::EndpointIndependent, true, true, true),
        (NatBehavior::AddressRestricted, true, true, false),
        (NatBehavior::PortRestricted, true, false, false),
        (NatBehavior::Symmetric, true, false, false),
    ];
    for (behavior, same, other_port, other_ip) in expect {
        let mut w = world(behavior);
        let mapped = w.client_sends(sa(s_ip(), 3478)).expect("reaches server");
        assert_eq!(mapped, sa(nat_ip(), 40000), "{behavior:?}");
        let (s, t) = (w.s, w.t);
        assert_eq!(
            w.reaches_client(s, sa(s_ip(), 3478), mapped),
            same,
            "{behavior:?}"
        );
        assert_eq!(
            w.reaches_client(s, sa(s_ip(), 3479), mapped),
            other_port,
            "{behavior:?}"
        );
        assert_eq!(
            w.reaches_client(t, sa(t_ip(), 3478), mapped),
            other_ip,
            "{behavior:?}"
        );
        let filtered = [same, other_port, other_ip].iter().filter(|x| !**x).count() as u64;
        assert_eq!(
            w.net.stats(s).dropped.nat_filter + w.net.stats(t).dropped.nat_filter,
            filtered
        );
    }
}

#[test]
fn mapping_matrix() {
    for behavior in NatBehavior::ALL {
        let mut w = world(behavior);
        let a = w.client_sends(sa(s_ip(), 3478)).expect("reaches");
        let a2 = w.client_sends(sa(s_ip(), 3478)).expect("reaches");
        let b = w.client_sends(sa(s_ip(), 3479)).expect("reaches");
        let c = w.client_sends(sa(t_ip(), 3478)).expect("reaches");
        assert_eq!(a, a2, "a mapping is reused for the same destination");
        if behavior == NatBehavior::Symmetric {
            assert_ne!(a, b);
            assert_ne!(a, c);
            assert_ne!(b, c);
            assert_eq!(w.net.nat_mapping_count(w.nat), 3);
        } else {
            assert_eq!(a, b);
            assert_eq!(a, c);
            assert_eq!(w.net.nat_mapping_count(w.nat), 1);
        }
        assert_eq!(
            w.net
                .nat_mapping(w.nat, Protocol::Udp, sa(c_ip(), 5000), sa(s_ip(), 3478)),
            Some(a)
        );
        // Protocols have separate mappings.
        assert_eq!(
            w.net
                .nat_mapping(w.nat, Protocol::Tcp, sa(c_ip(), 5000), sa(s_ip(), 3478)),
            None
        );
    }
}

#[test]
fn nothing_arrives_unsolicited() {
    for behavior in NatBehavior::ALL {
        let mut w = world(behavior);
        let t = w.t;
        for port in [40000, 40001, 5000, 1] {
            assert!(!w.reaches_client(t, sa(t_ip(), 9), sa(nat_ip(), port)));
        }
        assert_eq!(w.net.stats(t).dropped.nat_filter, 4);
        // Private addresses are not routable from the internet.
        assert!(!w.reaches_client(t, sa(t_ip(), 9), sa(c_ip(), 5000)));
        assert_eq!(w.net.stats(t).dropped.no_route, 1);
    }
}

#[test]
fn full_cone_accepts_anyone_after_a_mapping() {
    let mut w = world(NatBehavior::EndpointIndependent);
    let m = w.client_sends(sa(s_ip(), 3478)).expect("reaches");
    let t = w.t;
    for port in [1, 80, 3478, 65535] {
        assert!(w.reaches_client(t, sa(t_ip(), port), m));
    }
    // Another public port of the NAT has no mapping.
    assert!(!w.reaches_client(t, sa(t_ip(), 1), sa(nat_ip(), 40001)));
}

#[test]
fn mapping_times_out_without_outbound_and_is_refreshed_by_outbound() {
    let mut cfg = NatConfig::new(nat_ip(), NatBehavior::PortRestricted);
    cfg.mapping_timeout = Duration::from_secs(30);
    let mut w = world_with(cfg);
    let server = sa(s_ip(), 3478);
    let m = w.client_sends(server).expect("reaches");
    let s = w.s;
    // Refresh at 20 s keeps it alive at 40 s.
    w.net.advance_to(w.start + Duration::from_secs(20));
    assert_eq!(w.client_sends(server), Some(m));
    w.net.advance_to(w.start + Duration::from_secs(40));
    assert!(w.reaches_client(s, server, m));
    // Inbound traffic does not refresh: dead 30 s after the last outbound.
    w.net.advance_to(w.start + Duration::from_secs(51));
    assert!(!w.reaches_client(s, server, m));
    assert_eq!(w.net.nat_mapping_count(w.nat), 0);
    // A new mapping gets the next port.
    assert_eq!(w.client_sends(server), Some(sa(nat_ip(), 40001)));
}

#[test]
fn random_port_allocation_is_seeded() {
    let ports = |seed: u64| {
        let start = Instant::now();
        let mut net = Network::new(seed, start);
        let s = net.add_host(&[s_ip()]);
        let mut cfg = NatConfig::new(nat_ip(), NatBehavior::Symmetric);
        cfg.port_allocation = PortAllocation::Random;
        let nat = net.add_nat(cfg);
        let c = net.add_host_behind(nat, &[c_ip()]);
        let mut out = Vec::new();
        for port in 1..=5 {
            net.send(c, udp(sa(c_ip(), 5000), sa(s_ip(), port), b"x"));
            let d = net
                .pop_until(start + Duration::from_secs(1))
                .expect("delivered");
            assert_eq!(d.host, s);
            out.push(d.source.port());
        }
        out
    };
    let a = ports(5);
    assert_eq!(a, ports(5));
    assert_ne!(a, ports(6));
    assert!(a.iter().all(|p| *p >= 1024));
}

#[test]
fn same_lan_is_direct_and_nats_may_reuse_private_addresses() {
    let start = Instant::now();
    let mut net = Network::new(1, start);
    let nat1 = net.add_nat(NatConfig::new(ip(203, 0, 113, 1), NatBehavior::Symmetric));
    let nat2 = net.add_nat(NatConfig::new(ip(203, 0, 113, 2), NatBehavior::Symmetric));
    let a = net.add_host_behind(nat1, &[ip(10, 0, 0, 1)]);
    let b = net.add_host_behind(nat1, &[ip(10, 0, 0, 2)]);
    let other = net.add_host_behind(nat2, &[ip(10, 0, 0, 2)]);
    let from = sa(ip(10, 0, 0, 1), 1);
    net.send(a, udp(from, sa(ip(10, 0, 0, 2), 2), b"hi"));
    let d = net
        .pop_until(start + Duration::from_secs(1))
        .expect("delivered");
    assert_eq!((d.host, d.source), (b, from));
    assert_eq!(net.nat_mapping_count(nat1), 0);
    assert_eq!(net.stats(other).delivered, 0);
}

#[test]
fn hairpinning() {
    for hairpin in [false, true] {
        let mut cfg = NatConfig::new(nat_ip(), NatBehavior::EndpointIndependent);
        cfg.hairpin = hairpin;
        let mut w = world_with(cfg);
        let c2 = w.net.add_host_behind(w.nat, &[ip(192, 168, 1, 3)]);
        let m1 = w.client_sends(sa(s_ip(), 3478)).expect("reaches");
        w.net
            .send(c2, udp(sa(ip(192, 168, 1, 3), 6000), m1, b"loop"));
        let got = w.drain();
        if hairpin {
            assert_eq!(got.len(), 1);
            let d = &got[0];
            assert_eq!(d.host, w.c);
            assert_eq!(d.destination, sa(c_ip(), 5000));
            // The source is c2's public mapping (RFC 4787 REQ-9).
            assert_eq!(d.source, sa(nat_ip(), 40001));
        } else {
            assert!(got.is_empty());
            assert_eq!(w.net.stats(c2).dropped.no_route, 1);
        }
    }
}

#[test]
fn bad_source_and_unknown_host_are_dropped_and_counted() {
    let mut w = world(NatBehavior::EndpointIndependent);
    let c = w.c;
    w.net
        .send(c, udp(sa(ip(1, 2, 3, 4), 1), sa(s_ip(), 1), b"spoof"));
    assert!(w.drain().is_empty());
    assert_eq!(w.net.stats(c).dropped.bad_source, 1);
    assert_eq!(w.net.stats(c).sent, 1);
    w.net
        .send(HostId(99), udp(sa(s_ip(), 1), sa(s_ip(), 2), b"?"));
    assert_eq!(w.net.total_stats().dropped.bad_source, 2);
    assert_eq!(w.net.stats(HostId(99)), HostStats::default());
}

#[test]
fn latency_is_exact_without_jitter() {
    let mut w = world(NatBehavior::EndpointIndependent);
    w.net.set_link(
        w.c,
        LinkConfig::ideal().with_latency(Duration::from_millis(7)),
    );
    w.net.set_link(
        w.s,
        LinkConfig::ideal().with_latency(Duration::from_millis(13)),
    );
    w.net.send(w.c, udp(sa(c_ip(), 5000), sa(s_ip(), 1), b"x"));
    let d = w.net.pop_until(w.far()).expect("delivered");
    assert_eq!(d.now, w.start + Duration::from_millis(20));
    assert_eq!(w.net.now(), d.now);
    // Nothing else arrives; the clock moves to the deadline.
    let deadline = w.start + Duration::from_secs(1);
    assert!(w.net.pop_until(deadline).is_none());
    assert_eq!(w.net.now(), deadline);
    // Datagrams due at the same instant come out in send order.
    for i in 0..10u8 {
        w.net.send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), &[i]));
    }
    let got: Vec<u8> = w.drain().iter().map(|d| d.contents[0]).collect();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
}

#[test]
fn jitter_stays_within_bounds() {
    let mut w = world(NatBehavior::EndpointIndependent);
    let jittery = LinkConfig {
        latency: Duration::from_millis(10),
        jitter: Duration::from_millis(5),
        ..LinkConfig::ideal()
    };
    w.net.set_link(w.s, jittery);
    w.net.set_link(w.t, LinkConfig::ideal());
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let sent = w.net.now();
        w.net.send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), b"j"));
        let d = w.net.pop_until(w.far()).expect("delivered");
        let delay = d.now - sent;
        assert!(delay >= Duration::from_millis(10) && delay <= Duration::from_millis(15));
        seen.insert(delay);
    }
    assert!(seen.len() > 100, "jitter varies");
}

#[test]
fn loss_rate_is_roughly_as_configured() {
    let mut w = world(NatBehavior::EndpointIndependent);
    w.net.set_link(w.s, LinkConfig::ideal().with_loss(0.2));
    w.net.set_link(w.t, LinkConfig::ideal());
    let n: u32 = 10_000;
    for _ in 0..n {
        w.net.send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), b"l"));
    }
    let got = w.drain().len() as f64;
    let rate = 1.0 - got / f64::from(n);
    assert!((0.18..0.22).contains(&rate), "loss rate {rate}");
    assert_eq!(
        w.net.stats(w.s).dropped.loss + w.net.stats(w.t).delivered,
        u64::from(n)
    );
}

#[test]
fn outage_and_recovery() {
    let mut w = world(NatBehavior::EndpointIndependent);
    let normal = w.net.link(w.t).clone();
    w.net.set_link(w.t, LinkConfig::down());
    w.net.send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), b"x"));
    assert!(w.drain().is_empty());
    assert_eq!(w.net.stats(w.s).dropped.loss, 1);
    w.net.set_link(w.t, normal);
    w.net.send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), b"x"));
    assert_eq!(w.drain().len(), 1);
}

#[test]
fn mtu_drops_larger_datagrams() {
    let mut w = world(NatBehavior::EndpointIndependent);
    w.net.set_default_link(LinkConfig {
        mtu: 100,
        ..LinkConfig::ideal()
    });
    w.net
        .send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), &[0; 100]));
    w.net
        .send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), &[0; 101]));
    let got = w.drain();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].contents.len(), 100);
    assert_eq!(w.net.stats(w.s).dropped.mtu, 1);
    // The receiver's link limits too.
    w.net.set_link(w.s, LinkConfig::ideal());
    w.net
        .send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), &[0; 101]));
    assert!(w.drain().is_empty());
    assert_eq!(w.net.stats(w.s).dropped.mtu, 2);
}

#[test]
fn duplicates() {
    let mut w = world(NatBehavior::EndpointIndependent);
    w.net.set_default_link(LinkConfig::ideal());
    w.net.set_link(
        w.s,
        LinkConfig {
            duplicate: 1.0,
            ..LinkConfig::ideal()
        },
    );
    w.net.send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), b"twice"));
    let got = w.drain();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|d| d.contents == b"twice"));
    assert_eq!(w.net.stats(w.s).duplicated, 1);

    w.net.set_link(
        w.s,
        LinkConfig {
            duplicate: 0.3,
            ..LinkConfig::ideal()
        },
    );
    for _ in 0..1000 {
        w.net.send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), b"maybe"));
    }
    let extra = w.drain().len() - 1000;
    assert!((250..350).contains(&extra), "{extra} duplicates");
}

#[test]
fn reordering() {
    let mut w = world(NatBehavior::EndpointIndependent);
    w.net.set_default_link(LinkConfig::ideal());
    w.net.set_link(
        w.s,
        LinkConfig {
            latency: Duration::from_millis(10),
            reorder: 0.25,
            reorder_delay: Duration::from_millis(30),
            ..LinkConfig::ideal()
        },
    );
    let mut got = Vec::new();
    for i in 0..200u8 {
        w.net.send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), &[i]));
        let next = w.net.now() + Duration::from_millis(1);
        while let Some(d) = w.net.pop_until(next) {
            got.push(d.contents[0]);
        }
    }
    got.extend(w.drain().iter().map(|d| d.contents[0]));
    assert_eq!(got.len(), 200, "reordering loses nothing");
    let inversions = got.windows(2).filter(|p| p[0] > p[1]).count();
    assert!(inversions > 20, "{inversions} inversions");
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..200).collect::<Vec<_>>());
}

#[test]
fn bandwidth_serializes() {
    let mut w = world(NatBehavior::EndpointIndependent);
    w.net.set_default_link(LinkConfig::ideal());
    // 1 Mbit/s: 1250 bytes take 10 ms.
    w.net.set_link(
        w.s,
        LinkConfig {
            bandwidth: Some(1_000_000),
            ..LinkConfig::ideal()
        },
    );
    for _ in 0..5 {
        w.net
            .send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), &[0; 1250]));
    }
    let times: Vec<Duration> = w.drain().iter().map(|d| d.now - w.start).collect();
    let want: Vec<Duration> = (1..=5).map(|i| Duration::from_millis(10 * i)).collect();
    assert_eq!(times, want);
}

#[test]
fn in_flight_queue_is_bounded() {
    let mut w = world(NatBehavior::EndpointIndependent);
    w.net.set_max_in_flight(5);
    for _ in 0..10 {
        w.net.send(w.s, udp(sa(s_ip(), 1), sa(t_ip(), 1), b"q"));
    }
    assert_eq!(w.net.in_flight(), 5);
    assert_eq!(w.net.stats(w.s).dropped.queue_full, 5);
    assert_eq!(w.drain().len(), 5);
}

/// A busy scenario with every impairment, returning the trace.
fn scenario(seed: u64) -> Vec<TraceEvent> {
    let start = Instant::now();
    let mut net = Network::new(seed, start);
    net.set_trace(true);
    net.set_default_link(LinkConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(10),
        loss: 0.1,
        duplicate: 0.05,
        reorder: 0.1,
        ..LinkConfig::default()
    });
    let s = net.add_host(&[s_ip()]);
    let mut cfg = NatConfig::new(nat_ip(), NatBehavior::Symmetric);
    cfg.port_allocation = PortAllocation::Random;
    let nat = net.add_nat(cfg);
    let c = net.add_host_behind(nat, &[c_ip()]);
    for i in 0..300u16 {
        net.send(
            c,
            udp(sa(c_ip(), 5000), sa(s_ip(), 3478 + i % 3), &i.to_be_bytes()),
        );
        let until = net.now() + Duration::from_millis(3);
        while let Some(d) = net.pop_until(until) {
            if d.host == s {
                net.send(s, udp(d.destination, d.source, &d.contents));
            }
        }
    }
    while net.pop_until(start + Duration::from_secs(60)).is_some() {}
    net.take_trace()
}

#[test]
fn same_seed_same_trace_different_seed_different_losses() {
    let a = scenario(42);
    let b = scenario(42);
    assert!(a.len() > 1000);
    assert_eq!(a, b);
    let text = |t: &[TraceEvent]| t.iter().map(|e| format!("{e}\n")).collect::<String>();
    assert_eq!(text(&a), text(&b));
    let c = scenario(43);
    let drops = |t: &[TraceEvent]| {
        t.iter()
            .enumerate()
            .filter(|(_, e)| matches!(e.kind, TraceKind::Drop(_)))
            .map(|(i, e)| (i, e.at))
            .collect::<Vec<_>>()
    };
    assert_ne!(drops(&a), drops(&c));
}

#[derive(Debug, Clone)]
enum Op {
    Send {
        from: usize,
        src: usize,
        sport: u16,
        dst: usize,
        dport: u16,
        len: usize,
        tcp: bool,
    },
    Advance(u64),
    Link {
        host: usize,
        latency: u64,
        jitter: u64,
        loss: f64,
        dup: f64,
        reorder: f64,
        mtu: usize,
        bw: Option<u64>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..6, 0usize..8, 0u16..4, 0usize..8, prop_oneof![Just(0u16), Just(40000), 0u16..65535], 0usize..2000, any::<bool>())
            .prop_map(|(from, src, sport, dst, dport, len, tcp)| Op::Send { from, src, sport, dst, dport, len, tcp }),
        2 => (0u64..100_000).prop_map(Op::Advance),
        1 => (0usize..6, 0u64..50, 0u64..50, 0.0..=1.0f64, 0.0..=1.0f64, 0.0..=1.0f64, 0usize..3000, proptest::option::of(0u64..10_000_000))
            .prop_map(|(host, latency, jitter, loss, dup, reorder, mtu, bw)| Op::Link { host, latency, jitter, loss, dup, reorder, mtu, bw }),
    ]
}

proptest! {
    #[test]
    fn arbitrary_traffic_never_panics_and_queue_stays_bounded(
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 0..200),
        behaviors in proptest::collection::vec(0usize..4, 2),
        hairpin in any::<bool>(),
    ) {
        let start = Instant::now();
        let mut net = Network::new(seed, start);
        net.set_max_in_flight(50);
        let addrs = [
            ip(198, 51, 100, 1), ip(198, 51, 100, 2), ip(203, 0, 113, 1), ip(203, 0, 113, 2),
            ip(10, 0, 0, 1), ip(10, 0, 0, 2), ip(192, 168, 0, 1), ip(1, 1, 1, 1),
        ];
        let mut hosts = vec![net.add_host(&[addrs[0]]), net.add_host(&[addrs[1]])];
        for (i, b) in behaviors.iter().enumerate() {
            let mut cfg = NatConfig::new(addrs[2 + i], NatBehavior::ALL[*b]);
            cfg.hairpin = hairpin;
            cfg.mapping_timeout = Duration::from_millis(500);
            let nat = net.add_nat(cfg);
            hosts.push(net.add_host_behind(nat, &[addrs[4]]));
            hosts.push(net.add_host_behind(nat, &[addrs[5 + i]]));
        }
        let mut delivered = 0u64;
        for op in ops {
            match op {
                Op::Send { from, src, sport, dst, dport, len, tcp } => {
                    let t = Transmit {
                        protocol: if tcp { Protocol::Tcp } else { Protocol::Udp },
                        source: sa(addrs[src], 5000 + sport),
                        destination: sa(addrs[dst], dport),
                        contents: vec![0xAB; len],
                    };
                    net.send(hosts[from], t);
                }
                Op::Advance(us) => {
                    let until = net.now() + Duration::from_micros(us);
                    while let Some(d) = net.pop_until(until) {
                        prop_assert!(d.now <= until);
                        prop_assert!(net.host_addrs(d.host).contains(&d.destination.ip()));
                        delivered += 1;
                    }
                }
                Op::Link { host, latency, jitter, loss, dup, reorder, mtu, bw } => {
                    net.set_link(hosts[host], LinkConfig {
                        latency: Duration::from_millis(latency),
                        jitter: Duration::from_millis(jitter),
                        loss,
                        duplicate: dup,
                        reorder,
                        reorder_delay: Duration::from_millis(7),
                        mtu,
                        bandwidth: bw,
                    });
                }
            }
            prop_assert!(net.in_flight() <= 50);
        }
        while net.pop_until(start + Duration::from_secs(3600)).is_some() {
            delivered += 1;
        }
        prop_assert_eq!(net.in_flight(), 0);
        let total = net.total_stats();
        prop_assert_eq!(total.delivered, delivered);
        // Every datagram (and every duplicate) is either delivered or dropped.
        prop_assert_eq!(total.sent + total.duplicated, total.delivered + total.dropped.total());
    }
}

/// Two hosts, each public or behind its own NAT, learn their server-reflexive addresses from a
/// server, then punch: each sends to the other's reflexive address, answers every punch with
/// an ack and a triggered punch back to where it came from (as ICE does with peer-reflexive
/// candidates). Returns whether both got an ack.
fn punch(a: Option<NatBehavior>, b: Option<NatBehavior>) -> bool {
    let start = Instant::now();
    let mut net = Network::new(3, start);
    let server = net.add_host(&[s_ip()]);
    let stun = sa(s_ip(), 3478);
    let mut hosts = Vec::new();
    for (i, behavior) in [a, b].into_iter().enumerate() {
        let i = i as u8;
        let host = match behavior {
            Some(behavior) => {
                let nat = net.add_nat(NatConfig::new(ip(203, 0, 113, 1 + i), behavior));
                // Both LANs use the same private address, as real ones do.
                (
                    net.add_host_behind(nat, &[ip(192, 168, 1, 2)]),
                    ip(192, 168, 1, 2),
                )
            }
            None => {
                let public = ip(198, 51, 100, 10 + i);
                (net.add_host(&[public]), public)
            }
        };
        hosts.push(host);
    }
    let far = start + Duration::from_secs(60);
    // Learn the reflexive addresses.
    let mut srflx = Vec::new();
    for &(h, addr) in &hosts {
        net.send(h, udp(sa(addr, 5000), stun, b"binding"));
        let d = net.pop_until(far).expect("server reached");
        assert_eq!(d.host, server);
        srflx.push(d.source);
    }
    // Punch, three rounds 50 ms apart, answering as we go.
    let mut acked = [false, false];
    for round in 0..3u32 {
        for (i, &(h, addr)) in hosts.iter().enumerate() {
            net.send(h, udp(sa(addr, 5000), srflx[1 - i], b"punch"));
        }
        let until = start + Duration::from_millis(50 * u64::from(round + 1));
        while let Some(d) = net.pop_until(until) {
            let Some(i) = hosts.iter().position(|(h, _)| *h == d.host) else {
                continue;
            };
            if d.contents == b"punch" {
                net.send(d.host, udp(d.destination, d.source, b"ack"));
                net.send(d.host, udp(d.destination, d.source, b"punch"));
            } else if d.contents == b"ack" {
                acked[i] = true;
            }
        }
    }
    acked == [true, true]
}

#[test]
fn hole_punching_matrix() {
    let kinds = [
        None,
        Some(NatBehavior::EndpointIndependent),
        Some(NatBehavior::AddressRestricted),
        Some(NatBehavior::PortRestricted),
        Some(NatBehavior::Symmetric),
    ];
    for a in kinds {
        for b in kinds {
            let hard = |x: Option<NatBehavior>| x == Some(NatBehavior::Symmetric);
            let strict = |x: Option<NatBehavior>| {
                matches!(
                    x,
                    Some(NatBehavior::PortRestricted | NatBehavior::Symmetric)
                )
            };
            let expect = !((hard(a) && strict(b)) || (hard(b) && strict(a)));
            assert_eq!(punch(a, b), expect, "{a:?} vs {b:?}");
        }
    }
}
