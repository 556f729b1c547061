//! Shared helpers: certificates, configurations, a netsim node around a PeerConnection.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use netsim::{HostId, LinkConfig, Network, Node, Sim};
use nutshell_peer::dtls::cert::Certificate;
use nutshell_peer::*;

pub fn cert() -> Certificate {
    static CERT: OnceLock<Certificate> = OnceLock::new();
    CERT.get_or_init(|| Certificate::generate().unwrap())
        .clone()
}

pub fn cert2() -> Certificate {
    static CERT: OnceLock<Certificate> = OnceLock::new();
    CERT.get_or_init(|| Certificate::generate().unwrap())
        .clone()
}

pub fn config(seed: u64) -> PeerConfig {
    PeerConfig {
        include_loopback: true,
        ice: ice::IceConfig {
            nomination_delay: Duration::from_millis(100),
            ..ice::IceConfig::default()
        },
        seed,
        ..PeerConfig::new(if seed.is_multiple_of(2) {
            cert()
        } else {
            cert2()
        })
    }
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/../sdp/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A PeerConnection as a netsim node, keeping its events.
pub struct PeerNode {
    pub pc: PeerConnection,
    pub events: Vec<PeerEvent>,
    /// Candidates to trickle to the other side (drained by the test).
    pub outbox: VecDeque<(String, String, u16)>,
    pub trickle: bool,
}

impl PeerNode {
    pub fn new(pc: PeerConnection) -> Self {
        PeerNode {
            pc,
            events: Vec::new(),
            outbox: VecDeque::new(),
            trickle: true,
        }
    }

    fn drain(&mut self) {
        while let Some(e) = self.pc.poll_event() {
            if let PeerEvent::IceCandidate {
                candidate,
                sdp_mid,
                mline_index,
            } = &e
            {
                self.outbox
                    .push_back((candidate.clone(), sdp_mid.clone(), *mline_index));
            }
            self.events.push(e);
        }
    }

    pub fn frames(&self, mid: &str) -> Vec<(Vec<u8>, u32, bool)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                PeerEvent::Frame {
                    mid: m,
                    data,
                    timestamp,
                    keyframe,
                } if m == mid => Some((data.clone(), *timestamp, *keyframe)),
                _ => None,
            })
            .collect()
    }

    pub fn has(&self, f: impl Fn(&PeerEvent) -> bool) -> bool {
        self.events.iter().any(f)
    }
}

impl Node for PeerNode {
    fn handle_receive(&mut self, now: Instant, r: Receive<'_>) {
        self.pc.handle_receive(now, r);
        self.drain();
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.pc.handle_timeout(now);
        self.drain();
    }
    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.pc.poll_transmit()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.pc.poll_timeout()
    }
}

pub struct Pair {
    pub sim: Sim,
    pub a: HostId,
    pub b: HostId,
    pub start: Instant,
}

pub const A_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 5000);
pub const B_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 6000);

impl Pair {
    /// Two peers on one network, sockets added.
    pub fn new(seed: u64, link: LinkConfig) -> Pair {
        Self::with_configs(seed, link, config(seed * 2), config(seed * 2 + 1))
    }

    /// Two peers without sockets (for trickle).
    pub fn bare(seed: u64, link: LinkConfig) -> Pair {
        Self::build(seed, link, config(seed * 2), config(seed * 2 + 1), false)
    }

    pub fn with_configs(seed: u64, link: LinkConfig, ca: PeerConfig, cb: PeerConfig) -> Pair {
        Self::build(seed, link, ca, cb, true)
    }

    fn build(seed: u64, link: LinkConfig, ca: PeerConfig, cb: PeerConfig, sockets: bool) -> Pair {
        let start = Instant::now();
        let mut net = Network::new(seed, start);
        net.set_default_link(link);
        let a = net.add_host(&[A_ADDR.ip()]);
        let b = net.add_host(&[B_ADDR.ip()]);
        let mut sim = Sim::new(net);
        let mut pa = PeerConnection::new(ca, start);
        let mut pb = PeerConnection::new(cb, start);
        if sockets {
            pa.add_local_socket(A_ADDR).unwrap();
            pb.add_local_socket(B_ADDR).unwrap();
        }
        sim.attach(a, PeerNode::new(pa));
        sim.attach(b, PeerNode::new(pb));
        Pair { sim, a, b, start }
    }

    pub fn node(&mut self, h: HostId) -> &mut PeerNode {
        self.sim.node_mut::<PeerNode>(h).unwrap()
    }

    pub fn a(&mut self) -> &mut PeerNode {
        let h = self.a;
        self.node(h)
    }

    pub fn b(&mut self) -> &mut PeerNode {
        let h = self.b;
        self.node(h)
    }

    /// Runs `f` on a node's connection and drains its events (and transmits, via the sim).
    pub fn with<R>(&mut self, h: HostId, f: impl FnOnce(&mut PeerConnection) -> R) -> R {
        let n = self.node(h);
        let r = f(&mut n.pc);
        n.drain();
        r
    }

    /// Offer from `from`, answer from the other; candidates inside the SDP only when
    /// `trickle` is false (then the outboxes are cleared), trickled otherwise.
    pub fn negotiate(&mut self, from: HostId, to: HostId) {
        let offer = self.with(from, |pc| {
            let o = pc.create_offer().unwrap();
            pc.set_local_description(SdpType::Offer, &o).unwrap();
            o
        });
        let answer = self.with(to, |pc| {
            pc.set_remote_description(SdpType::Offer, &offer).unwrap();
            let a = pc.create_answer().unwrap();
            pc.set_local_description(SdpType::Answer, &a).unwrap();
            a
        });
        self.with(from, |pc| {
            pc.set_remote_description(SdpType::Answer, &answer).unwrap()
        });
    }

    /// Moves trickled candidates across.
    pub fn trickle(&mut self) {
        for (from, to) in [(self.a, self.b), (self.b, self.a)] {
            let cands: Vec<_> = self.node(from).outbox.drain(..).collect();
            for (c, mid, idx) in cands {
                self.with(to, |pc| {
                    pc.add_ice_candidate(&c, Some(&mid), Some(idx)).unwrap()
                });
            }
        }
    }

    pub fn run_until(
        &mut self,
        limit: Duration,
        mut cond: impl FnMut(&mut Pair) -> bool,
    ) -> Duration {
        let deadline = self.start + limit;
        loop {
            if cond(self) {
                return self.sim.now() - self.start;
            }
            let now = self.sim.now();
            assert!(now < deadline, "condition not reached in {limit:?}");
            let step = (now + Duration::from_millis(10)).min(deadline);
            self.sim.run_until(step).unwrap();
        }
    }

    pub fn connected(&mut self) -> bool {
        self.a().pc.connection_state() == ConnectionState::Connected
            && self.b().pc.connection_state() == ConnectionState::Connected
    }
}

pub fn ideal_link() -> LinkConfig {
    LinkConfig {
        latency: Duration::from_millis(10),
        ..LinkConfig::default()
    }
}
