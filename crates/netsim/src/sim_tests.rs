//! Tests of the Sim driver with toy nodes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::tests::{ip, sa, udp};
use crate::*;

/// Answers every datagram with the same bytes.
#[derive(Default)]
struct Echo {
    out: VecDeque<Transmit>,
    seen: usize,
}

impl Node for Echo {
    fn handle_receive(&mut self, _now: Instant, r: Receive<'_>) {
        self.seen += 1;
        self.out.push_back(udp(r.destination, r.source, r.contents));
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

/// Sends numbered pings one at a time, retransmitting after `rto`, until `target` pongs.
struct Pinger {
    local: SocketAddr,
    remote: SocketAddr,
    next_send: Option<Instant>,
    out: VecDeque<Transmit>,
    pongs: Vec<Instant>,
    sent: usize,
    target: usize,
    rto: Duration,
}

impl Pinger {
    fn new(local: SocketAddr, remote: SocketAddr, start: Instant, target: usize) -> Self {
        Self {
            local,
            remote,
            next_send: Some(start),
            out: VecDeque::new(),
            pongs: Vec::new(),
            sent: 0,
            target,
            rto: Duration::from_millis(100),
        }
    }

    fn ping(&mut self, now: Instant) {
        let n = self.pongs.len() as u32;
        self.out
            .push_back(udp(self.local, self.remote, &n.to_be_bytes()));
        self.sent += 1;
        self.next_send = Some(now + self.rto);
    }
}

impl Node for Pinger {
    fn handle_receive(&mut self, now: Instant, r: Receive<'_>) {
        let want = (self.pongs.len() as u32).to_be_bytes();
        if r.source != self.remote || r.contents != want {
            return; // a late duplicate
        }
        self.pongs.push(now);
        if self.pongs.len() < self.target {
            self.ping(now);
        } else {
            self.next_send = None;
        }
    }
    fn handle_timeout(&mut self, now: Instant) {
        if self.next_send.is_some_and(|t| t <= now) {
            self.ping(now);
        }
    }
    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.next_send
    }
}

struct Setup {
    sim: Sim,
    start: Instant,
    pinger: HostId,
    echo: HostId,
}

fn setup(seed: u64, behind: Option<NatBehavior>, target: usize) -> Setup {
    let start = Instant::now();
    let mut net = Network::new(seed, start);
    let e_ip = ip(198, 51, 100, 1);
    let echo = net.add_host(&[e_ip]);
    let p_ip = ip(192, 168, 0, 10);
    let pinger = match behind {
        Some(b) => {
            let nat = net.add_nat(NatConfig::new(ip(203, 0, 113, 1), b));
            net.add_host_behind(nat, &[p_ip])
        }
        None => net.add_host(&[p_ip]),
    };
    let mut sim = Sim::new(net);
    sim.attach(echo, Echo::default());
    sim.attach(
        pinger,
        Pinger::new(sa(p_ip, 5000), sa(e_ip, 7), start, target),
    );
    Setup {
        sim,
        start,
        pinger,
        echo,
    }
}

fn pongs(sim: &Sim, host: HostId) -> usize {
    sim.node::<Pinger>(host).map_or(0, |p| p.pongs.len())
}

#[test]
fn ping_pong_time_advances_exactly_by_latencies() {
    for behind in [None, Some(NatBehavior::Symmetric)] {
        let mut s = setup(1, behind, 10);
        let p = s.pinger;
        let done = s
            .sim
            .run_until_cond(s.start + Duration::from_secs(5), |sim| pongs(sim, p) == 10)
            .expect("all pongs");
        // Four default 5 ms access links per round trip.
        assert_eq!(done, s.start + Duration::from_millis(200));
        let pinger = s.sim.node::<Pinger>(p).expect("pinger");
        let want: Vec<Instant> = (1..=10)
            .map(|i| s.start + Duration::from_millis(20 * i))
            .collect();
        assert_eq!(pinger.pongs, want);
        assert_eq!(pinger.sent, 10);
        assert_eq!(s.sim.node::<Echo>(s.echo).expect("echo").seen, 10);
        assert!(s.sim.node::<Echo>(p).is_none(), "wrong type is None");
        // Then nothing is pending.
        assert_eq!(s.sim.step(), Ok(Step::Idle));
        assert!(matches!(
            s.sim
                .run_until_cond(s.start + Duration::from_secs(5), |_| false),
            Err(SimError::Idle { .. })
        ));
    }
}

#[test]
fn retransmissions_survive_loss_and_replay_exactly() {
    let run = |seed: u64| {
        let mut s = setup(seed, Some(NatBehavior::PortRestricted), 50);
        s.sim.net_mut().set_trace(true);
        s.sim.net_mut().set_default_link(LinkConfig {
            loss: 0.3,
            jitter: Duration::from_millis(3),
            ..LinkConfig::default()
        });
        let p = s.pinger;
        let done = s
            .sim
            .run_until_cond(s.start + Duration::from_secs(60), |sim| pongs(sim, p) == 50)
            .expect("done despite loss");
        let sent = s.sim.node::<Pinger>(p).expect("pinger").sent;
        (done - s.start, sent, s.sim.net_mut().take_trace())
    };
    let (t1, sent1, trace1) = run(9);
    let (t2, sent2, trace2) = run(9);
    assert!(sent1 > 50, "loss forced retransmissions");
    assert_eq!((t1, sent1), (t2, sent2));
    assert_eq!(trace1, trace2);
    let (_, _, trace3) = run(10);
    assert_ne!(trace1, trace3);
}

#[test]
fn run_until_moves_the_clock_to_the_deadline_and_stops_on_time() {
    let mut s = setup(1, None, 1000);
    let deadline = s.start + Duration::from_millis(95);
    s.sim.run_until(deadline).expect("runs");
    assert_eq!(s.sim.now(), deadline);
    // Pongs at 20, 40, 60, 80 ms; the fifth ping is in flight.
    assert_eq!(pongs(&s.sim, s.pinger), 4);
    assert!(s.sim.net().in_flight() > 0);
    s.sim.run_for(Duration::from_millis(5)).expect("runs");
    assert_eq!(pongs(&s.sim, s.pinger), 5);
    let p = s.pinger;
    let err = s
        .sim
        .run_until_cond(s.start + Duration::from_millis(150), |sim| {
            pongs(sim, p) == 1000
        })
        .expect_err("deadline");
    assert_eq!(
        err,
        SimError::Deadline {
            now: s.start + Duration::from_millis(150)
        }
    );
}

#[test]
fn commands_between_steps_and_inbox_for_nodeless_hosts() {
    let mut s = setup(1, None, 1);
    let p = s.pinger;
    s.sim.run_for(Duration::from_secs(1)).expect("runs");
    assert_eq!(pongs(&s.sim, p), 1);
    // A command through node_mut: the next step drains it.
    let at = s.sim.now();
    let pinger = s.sim.node_mut::<Pinger>(p).expect("pinger");
    pinger.target = 2;
    pinger.ping(at);
    s.sim.run_for(Duration::from_secs(1)).expect("runs");
    assert_eq!(pongs(&s.sim, p), 2);
    // Detach the pinger: replies to its host now wait in its inbox.
    assert!(s.sim.detach(p).is_some());
    let (from, to) = (sa(ip(192, 168, 0, 10), 5000), sa(ip(198, 51, 100, 1), 7));
    s.sim.net_mut().send(p, udp(from, to, b"raw"));
    s.sim.run_for(Duration::from_secs(1)).expect("runs");
    let inbox = s.sim.take_inbox(p);
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].contents, b"raw");
    assert!(s.sim.inbox(p).is_empty());
}

/// A broken node: always wants a timeout at the start, never clears it.
struct Stuck(Instant);
impl Node for Stuck {
    fn handle_receive(&mut self, _: Instant, _: Receive<'_>) {}
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_transmit(&mut self) -> Option<Transmit> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Some(self.0)
    }
}

/// A broken node: transmits forever.
struct Flood(SocketAddr);
impl Node for Flood {
    fn handle_receive(&mut self, _: Instant, _: Receive<'_>) {}
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_transmit(&mut self) -> Option<Transmit> {
        Some(udp(self.0, self.0, b"!"))
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

#[test]
fn broken_nodes_cannot_hang_a_test() {
    let start = Instant::now();
    let mut net = Network::new(1, start);
    let h = net.add_host(&[ip(10, 0, 0, 1)]);
    let mut sim = Sim::new(net);
    sim.attach(h, Stuck(start));
    sim.set_max_steps_per_instant(1000);
    assert_eq!(
        sim.run_until(start + Duration::from_secs(1)),
        Err(SimError::NoProgress { now: start })
    );
    sim.set_max_steps(10);
    sim.set_max_steps_per_instant(u64::MAX);
    assert!(matches!(
        sim.run_until_cond(start + Duration::from_secs(1), |_| false),
        Err(SimError::StepLimit { .. })
    ));
    sim.attach(h, Flood(sa(ip(10, 0, 0, 1), 1)));
    assert_eq!(
        sim.run_until(start + Duration::from_secs(1)),
        Err(SimError::TransmitFlood { host: h })
    );
}

#[test]
fn zero_latency_ping_pong_is_caught_as_no_progress() {
    // Two echo nodes bouncing one datagram forever over ideal links never move the clock.
    let start = Instant::now();
    let mut net = Network::new(1, start);
    net.set_default_link(LinkConfig::ideal());
    let (a_ip, b_ip) = (ip(10, 0, 0, 1), ip(10, 0, 0, 2));
    let a = net.add_host(&[a_ip]);
    let b = net.add_host(&[b_ip]);
    net.send(a, udp(sa(a_ip, 1), sa(b_ip, 1), b"ball"));
    let mut sim = Sim::new(net);
    sim.attach(a, Echo::default());
    sim.attach(b, Echo::default());
    sim.set_max_steps_per_instant(500);
    assert_eq!(
        sim.run_until(start + Duration::from_secs(1)),
        Err(SimError::NoProgress { now: start })
    );
}

#[test]
fn outage_mid_run_delays_the_pong_until_the_link_returns() {
    let mut s = setup(1, Some(NatBehavior::PortRestricted), 3);
    let (p, e) = (s.pinger, s.echo);
    s.sim
        .run_until_cond(s.start + Duration::from_secs(1), |sim| pongs(sim, p) == 1)
        .expect("first pong");
    let normal = s.sim.net().link(e).clone();
    s.sim.net_mut().set_link(e, LinkConfig::down());
    s.sim.run_for(Duration::from_secs(1)).expect("runs");
    assert_eq!(pongs(&s.sim, p), 1, "nothing gets through an outage");
    assert!(
        s.sim.net().stats(p).dropped.loss >= 9,
        "retransmissions lost"
    );
    s.sim.net_mut().set_link(e, normal);
    let t = s
        .sim
        .run_until_cond(s.start + Duration::from_secs(5), |sim| pongs(sim, p) == 3)
        .expect("recovers");
    // Retransmissions every 100 ms from 20 ms. The one sent at 1.02 s (the instant the link
    // came back) meets the echo's link only at 1.025 s, so it gets through: pong 2 at
    // 1.04 s, pong 3 a round trip later.
    assert_eq!(t - s.start, Duration::from_millis(1020 + 20 + 20));
}

#[test]
fn many_seeds_through_a_lossy_nat() {
    for_each_seed(0..50, |seed| {
        let mut s = setup(seed, Some(NatBehavior::AddressRestricted), 5);
        s.sim.net_mut().set_default_link(LinkConfig {
            loss: 0.2,
            jitter: Duration::from_millis(5),
            duplicate: 0.1,
            reorder: 0.1,
            ..LinkConfig::default()
        });
        let p = s.pinger;
        s.sim
            .run_until_cond(s.start + Duration::from_secs(30), |sim| pongs(sim, p) == 5)
            .expect("pings complete");
    });
}

fn lossy_run(
    seed: u64,
    behavior: usize,
    link: &LinkConfig,
) -> (Result<(), SimError>, Vec<TraceEvent>, usize) {
    let mut s = setup(seed, NatBehavior::ALL.get(behavior).copied(), 20);
    s.sim.net_mut().set_trace(true);
    s.sim.net_mut().set_link(s.pinger, link.clone());
    let result = s.sim.run_until(s.start + Duration::from_secs(5));
    let n = pongs(&s.sim, s.pinger);
    (result, s.sim.net_mut().take_trace(), n)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn any_link_any_nat_runs_cleanly_and_replays(
        seed in proptest::prelude::any::<u64>(),
        behavior in 0usize..5,
        latency in 0u64..200,
        jitter in 0u64..50,
        loss in 0.0..=1.0f64,
        duplicate in 0.0..=0.5f64,
        reorder in 0.0..=0.5f64,
        mtu in 0usize..8,
    ) {
        let link = LinkConfig {
            latency: Duration::from_millis(latency),
            jitter: Duration::from_millis(jitter),
            loss,
            duplicate,
            reorder,
            mtu,
            ..LinkConfig::default()
        };
        let (r1, t1, n1) = lossy_run(seed, behavior, &link);
        proptest::prop_assert_eq!(r1, Ok(()));
        if mtu < 4 || loss >= 1.0 {
            proptest::prop_assert_eq!(n1, 0);
        }
        let (r2, t2, n2) = lossy_run(seed, behavior, &link);
        proptest::prop_assert_eq!(r2, Ok(()));
        proptest::prop_assert_eq!(n1, n2);
        proptest::prop_assert_eq!(t1, t2);
    }
}
