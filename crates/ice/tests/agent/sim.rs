//! Two agents across netsim's NATs (none, full cone, address-restricted, port-restricted,
//! symmetric) with a STUN server in the simulation, with and without loss, jitter and
//! reordering.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use netsim::{LinkConfig, NatBehavior, NatConfig, Network, Node, Sim, for_each_seed};
use nutshell_ice::{CandidateKind, ConnectionState, IceAgent, IceConfig, IceEvent, Role};
use proto::{Receive, Transmit};
use stun::{Attribute, Class, Encoder, Message, MessageType};

/// The STUN Binding server of the simulation (RFC 8489 §6.3): answers every Binding request
/// with the source address it saw.
#[derive(Default)]
pub struct StunServer {
    out: Vec<Transmit>,
    pub answered: u64,
}

impl Node for StunServer {
    fn handle_receive(&mut self, _now: Instant, r: Receive<'_>) {
        let Ok(msg) = Message::decode(r.contents) else {
            return;
        };
        if msg.typ() != MessageType::BINDING_REQUEST || msg.class() != Class::Request {
            return;
        }
        let mut buf = Vec::new();
        let mut enc = Encoder::new(&mut buf, MessageType::BINDING_SUCCESS, msg.transaction_id());
        enc.add(&Attribute::XorMappedAddress(r.source)).unwrap();
        enc.add_fingerprint();
        enc.finish();
        self.answered += 1;
        self.out.push(Transmit {
            protocol: r.protocol,
            source: r.destination,
            destination: r.source,
            contents: buf,
        });
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

/// An agent as a netsim node, logging its events.
pub struct IceNode {
    pub agent: IceAgent,
    pub events: Vec<(Instant, IceEvent)>,
}

impl IceNode {
    fn drain(&mut self, now: Instant) {
        while let Some(e) = self.agent.poll_event() {
            self.events.push((now, e));
        }
    }
    fn connected(&self) -> bool {
        matches!(
            self.agent.connection_state(),
            ConnectionState::Connected | ConnectionState::Completed
        ) && self.agent.selected_pair().is_some()
    }
}

impl Node for IceNode {
    fn handle_receive(&mut self, now: Instant, r: Receive<'_>) {
        let _ = self.agent.handle_receive(now, r);
        self.drain(now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.agent.handle_timeout(now);
        self.drain(now);
    }
    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.agent.poll_transmit()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.agent.poll_timeout()
    }
}

const STUN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)), 3478);

/// Where a peer sits: on the open internet, or behind a NAT of some behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    Open,
    Nat(NatBehavior),
}

struct Outcome {
    sim: Sim,
    a: netsim::HostId,
    b: netsim::HostId,
    start: Instant,
    connected_at: Option<Duration>,
}

fn ip(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

/// Builds the network, gathers, signals everything at once, runs for at most `limit`.
fn run(seed: u64, na: Net, nb: Net, link: LinkConfig, limit: Duration) -> Outcome {
    let start = Instant::now();
    let mut net = Network::new(seed, start);
    net.set_default_link(link);
    let server = net.add_host(&[STUN.ip()]);
    let place = |net: &mut Network, n: Net, i: u8| match n {
        Net::Open => {
            let a = ip(203, 0, 113, 10 + i);
            (net.add_host(&[a]), a)
        }
        Net::Nat(b) => {
            let nat = net.add_nat(NatConfig::new(ip(203, 0, 113, i), b));
            let a = ip(192, 168, i, 10);
            (net.add_host_behind(nat, &[a]), a)
        }
    };
    let (a, ipa) = place(&mut net, na, 1);
    let (b, ipb) = place(&mut net, nb, 2);
    let mut sim = Sim::new(net);
    sim.attach(server, StunServer::default());
    for (host, hip, role, s) in [
        (a, ipa, Role::Controlling, 1),
        (b, ipb, Role::Controlled, 2),
    ] {
        let cfg = IceConfig {
            role,
            seed: seed * 10 + s,
            stun_servers: vec![STUN],
            ..IceConfig::default()
        };
        let mut agent = IceAgent::new(cfg, start);
        agent.add_host_socket(SocketAddr::new(hip, 5000)).unwrap();
        sim.attach(
            host,
            IceNode {
                agent,
                events: Vec::new(),
            },
        );
    }
    // Gathering (server-reflexive candidates) first, then one round of signalling.
    let gathered = |s: &Sim, h| {
        s.node::<IceNode>(h).unwrap().agent.gathering_state()
            == nutshell_ice::GatheringState::Complete
    };
    sim.run_until_cond(start + Duration::from_secs(60), |s| {
        gathered(s, a) && gathered(s, b)
    })
    .unwrap_or_else(|e| panic!("seed {seed}: gathering: {e}"));
    let info = |s: &Sim, h| {
        let n = s.node::<IceNode>(h).unwrap();
        let (u, p) = n.agent.local_credentials();
        let cands: Vec<_> = n.agent.local_candidates().cloned().collect();
        (u.to_string(), p.to_string(), cands)
    };
    let (ia, ib) = (info(&sim, a), info(&sim, b));
    for (h, (u, p, cands)) in [(a, ib), (b, ia)] {
        let n = sim.node_mut::<IceNode>(h).unwrap();
        n.agent.set_remote_credentials(&u, &p).unwrap();
        for c in cands {
            // Through SDP text and back, as the PeerConnection will do.
            let c = crate::support::from_sdp(&crate::support::to_sdp(&c)).unwrap();
            n.agent.add_remote_candidate(c).unwrap();
        }
        n.agent.end_of_remote_candidates();
    }
    let t0 = sim.now();
    let both = |s: &Sim| {
        s.node::<IceNode>(a).unwrap().connected() && s.node::<IceNode>(b).unwrap().connected()
    };
    let connected_at = sim.run_until_cond(t0 + limit, both).ok().map(|t| t - start);
    Outcome {
        sim,
        a,
        b,
        start,
        connected_at,
    }
}

fn kind_for(n: Net) -> CandidateKind {
    match n {
        Net::Open => CandidateKind::Host,
        Net::Nat(NatBehavior::Symmetric) => CandidateKind::PeerReflexive,
        Net::Nat(_) => CandidateKind::ServerReflexive,
    }
}

fn works(na: Net, nb: Net) -> bool {
    use NatBehavior::*;
    !matches!(
        (na, nb),
        (Net::Nat(Symmetric), Net::Nat(Symmetric))
            | (Net::Nat(Symmetric), Net::Nat(PortRestricted))
            | (Net::Nat(PortRestricted), Net::Nat(Symmetric))
    )
}

fn all_nets() -> Vec<Net> {
    let mut v = vec![Net::Open];
    v.extend(NatBehavior::ALL.iter().map(|b| Net::Nat(*b)));
    v
}

fn check_matrix(seed: u64, link: LinkConfig, bound: Duration) -> Duration {
    let mut worst = Duration::ZERO;
    for na in all_nets() {
        for nb in all_nets() {
            let expect = works(na, nb);
            let limit = if expect {
                bound
            } else {
                Duration::from_secs(40)
            };
            let mut o = run(seed, na, nb, link.clone(), limit);
            let ctx = format!("seed {seed}: A {na:?} / B {nb:?}");
            if !expect {
                assert!(o.connected_at.is_none(), "{ctx}: connected without a path");
                // Both give up once every pair failed after end-of-candidates.
                let (a, b) = (o.a, o.b);
                let failed = |s: &Sim, h| {
                    s.node::<IceNode>(h).unwrap().agent.connection_state()
                        == ConnectionState::Failed
                };
                let t = o
                    .sim
                    .run_until_cond(o.start + Duration::from_secs(60), |s| {
                        failed(s, a) && failed(s, b)
                    })
                    .unwrap_or_else(|e| panic!("{ctx}: did not fail: {e}"));
                assert!(
                    t - o.start < Duration::from_secs(20),
                    "{ctx}: failed late {:?}",
                    t - o.start
                );
                eprintln!("{ctx}: both failed at {:?}", t - o.start);
                continue;
            }
            let t = o
                .connected_at
                .unwrap_or_else(|| panic!("{ctx}: not connected within {bound:?}"));
            assert!(t <= bound, "{ctx}: {t:?}");
            worst = worst.max(t);
            eprintln!("{ctx}: connected at {t:?}");
            let sa = o.sim.node::<IceNode>(o.a).unwrap();
            let sb = o.sim.node::<IceNode>(o.b).unwrap();
            let (la, ra) = sa.agent.selected_pair().unwrap();
            let (lb, rb) = sb.agent.selected_pair().unwrap();
            // Both sides agree on the path (the 5-tuples mirror each other).
            assert_eq!(la.address, rb.address, "{ctx}");
            assert_eq!(ra.address, lb.address, "{ctx}");
            // The controlling side's view: its local candidate is what its NAT makes of it,
            // the remote one what the other's NAT makes of the other.
            assert_eq!(la.kind, kind_for(na), "{ctx}: local");
            let rk = ra.kind;
            let expected_remote = kind_for(nb);
            assert!(
                rk == expected_remote
                    // A symmetric NAT's address seen by the controlled side is learned from
                    // its checks; seen by the controlling side, the first response may do.
                    || (expected_remote == CandidateKind::PeerReflexive && rk != CandidateKind::Host),
                "{ctx}: remote {rk:?}"
            );
            // Data flows on the selected pair: consent keeps both connected for a while.
            let (a, b) = (o.a, o.b);
            let _ = o.sim.run_for(Duration::from_secs(10));
            for h in [a, b] {
                let n = o.sim.node::<IceNode>(h).unwrap();
                assert!(
                    n.connected(),
                    "{ctx}: host {h:?} lost the connection: {:?} {:?} {:?}",
                    n.agent.connection_state(),
                    n.agent.selected_pair(),
                    n.agent.stats()
                );
            }
        }
    }
    worst
}

#[test]
fn nat_matrix_ideal_links() {
    // 5 ms links (10 ms one way between hosts): gathering ~20 ms, checks, and the 500 ms
    // nomination delay while host pairs toward private addresses are still pending.
    let worst = check_matrix(1, LinkConfig::default(), Duration::from_millis(1500));
    eprintln!("worst time to connected, ideal links: {worst:?}");
}

#[test]
fn nat_matrix_lossy_links() {
    // 5 % loss, jitter up to 30 ms, 10 % reordering on every link, several seeds.
    let link = LinkConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(30),
        loss: 0.05,
        reorder: 0.1,
        reorder_delay: Duration::from_millis(40),
        duplicate: 0.02,
        ..LinkConfig::default()
    };
    let mut worst = Duration::ZERO;
    for_each_seed(1..11, |seed| {
        worst = worst.max(check_matrix(seed, link.clone(), Duration::from_secs(6)));
    });
    eprintln!("worst time to connected, lossy links: {worst:?}");
}

#[test]
fn nat_matrix_long_links() {
    // 60 ms per access link (120 ms one way), no jitter: simultaneous checks cross in flight.
    let link = LinkConfig::default().with_latency(Duration::from_millis(60));
    let worst = check_matrix(5, link, Duration::from_secs(3));
    eprintln!("worst time to connected, 120 ms one way: {worst:?}");
}

#[test]
fn open_hosts_pick_host_pair_fast() {
    let o = run(
        7,
        Net::Open,
        Net::Open,
        LinkConfig::default(),
        Duration::from_secs(5),
    );
    let t = o.connected_at.unwrap();
    // Gathering (20 ms), one check and its response, the nomination round trip.
    assert!(t < Duration::from_millis(200), "{t:?}");
}

#[test]
fn outage_disconnects_then_recovers_or_fails() {
    use NatBehavior::PortRestricted;
    // Short outage: both sides go Disconnected (5 s without consent) and come back.
    let mut o = run(
        11,
        Net::Nat(PortRestricted),
        Net::Open,
        LinkConfig::default(),
        Duration::from_secs(3),
    );
    assert!(o.connected_at.is_some());
    let (a, b) = (o.a, o.b);
    o.sim.net_mut().set_link(b, LinkConfig::down());
    let cut = o.sim.now();
    let state = |s: &Sim, h| s.node::<IceNode>(h).unwrap().agent.connection_state();
    let t = o
        .sim
        .run_until_cond(cut + Duration::from_secs(10), |s| {
            state(s, a) == ConnectionState::Disconnected
                && state(s, b) == ConnectionState::Disconnected
        })
        .expect("disconnected");
    assert!(
        t - cut >= Duration::from_millis(2600) && t - cut <= Duration::from_secs(5),
        "{:?}",
        t - cut
    );
    o.sim.net_mut().set_link(b, LinkConfig::default());
    let t2 = o
        .sim
        .run_until_cond(t + Duration::from_secs(5), |s| {
            s.node::<IceNode>(a).unwrap().connected() && s.node::<IceNode>(b).unwrap().connected()
        })
        .expect("recovered");
    // The next consent round trip (every 2 s ± 20 %, retransmitted) restores it; the NAT
    // mapping (120 s) survived the outage.
    assert!(t2 - t <= Duration::from_secs(3), "{:?}", t2 - t);

    // Long outage: consent expires after 30 s, both Failed; the link coming back is too late.
    o.sim.net_mut().set_link(b, LinkConfig::down());
    let cut = o.sim.now();
    let t = o
        .sim
        .run_until_cond(cut + Duration::from_secs(40), |s| {
            state(s, a) == ConnectionState::Failed && state(s, b) == ConnectionState::Failed
        })
        .expect("failed");
    assert!(
        t - cut >= Duration::from_secs(27) && t - cut <= Duration::from_secs(30),
        "{:?}",
        t - cut
    );
    o.sim.net_mut().set_link(b, LinkConfig::default());
    let _ = o.sim.run_for(Duration::from_secs(10));
    assert_eq!(state(&o.sim, a), ConnectionState::Failed);
    assert_eq!(state(&o.sim, b), ConnectionState::Failed);
}
