//! An in-memory two-agent harness on a virtual clock, and SDP conversion helpers.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use nutshell_ice::{Candidate, ConnectionState, IceAgent, IceConfig, IceEvent, Role};
use proto::{Receive, Transmit};

pub use crate::sdp_conv::{from_sdp, to_sdp};

/// A test configuration: loopback allowed, seeded.
pub fn config(role: Role, seed: u64) -> IceConfig {
    IceConfig {
        role,
        seed,
        include_loopback: true,
        ..IceConfig::default()
    }
}

/// Decides whether a datagram from side `usize` is lost at the elapsed time.
pub type DropFn = Box<dyn FnMut(usize, &Transmit, Duration) -> bool>;

/// One side of the harness, with everything it emitted.
pub struct Side {
    pub agent: IceAgent,
    pub events: Vec<(Duration, IceEvent)>,
    pub data: Vec<Vec<u8>>,
}

impl Side {
    pub fn states(&self) -> Vec<ConnectionState> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                IceEvent::ConnectionState(s) => Some(*s),
                _ => None,
            })
            .collect()
    }

    pub fn state_at(&self, s: ConnectionState) -> Option<Duration> {
        self.events.iter().find_map(|(t, e)| match e {
            IceEvent::ConnectionState(x) if *x == s => Some(*t),
            _ => None,
        })
    }

    pub fn local_candidates(&self) -> Vec<Candidate> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                IceEvent::LocalCandidate(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Two agents joined by a link with a fixed one-way latency; `filter` decides per datagram
/// (from side, the datagram, now) whether it is delivered.
pub struct Pair {
    pub start: Instant,
    pub now: Instant,
    pub a: Side,
    pub b: Side,
    pub latency: Duration,
    /// Trickle: copy each local candidate to the other side as it is emitted.
    pub trickle: bool,
    pub drop: DropFn,
    queue: BTreeMap<(Instant, u64), (usize, Transmit)>,
    seq: u64,
}

impl Pair {
    pub fn new(ca: IceConfig, cb: IceConfig) -> Pair {
        let start = Instant::now();
        Pair {
            start,
            now: start,
            a: Side {
                agent: IceAgent::new(ca, start),
                events: Vec::new(),
                data: Vec::new(),
            },
            b: Side {
                agent: IceAgent::new(cb, start),
                events: Vec::new(),
                data: Vec::new(),
            },
            latency: Duration::from_millis(10),
            trickle: true,
            drop: Box::new(|_, _, _| false),
            queue: BTreeMap::new(),
            seq: 0,
        }
    }

    /// Host sockets on loopback and credentials exchanged.
    pub fn loopback(ca: IceConfig, cb: IceConfig) -> Pair {
        let mut p = Pair::new(ca, cb);
        p.a.agent
            .add_host_socket("127.0.0.1:10000".parse().unwrap())
            .unwrap();
        p.b.agent
            .add_host_socket("127.0.0.1:20000".parse().unwrap())
            .unwrap();
        p.exchange_credentials();
        p
    }

    pub fn exchange_credentials(&mut self) {
        let (ua, pa) = self.a.agent.local_credentials();
        let (ua, pa) = (ua.to_string(), pa.to_string());
        let (ub, pb) = self.b.agent.local_credentials();
        let (ub, pb) = (ub.to_string(), pb.to_string());
        self.a.agent.set_remote_credentials(&ub, &pb).unwrap();
        self.b.agent.set_remote_credentials(&ua, &pa).unwrap();
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    fn side(&mut self, i: usize) -> &mut Side {
        if i == 0 { &mut self.a } else { &mut self.b }
    }

    /// Drains both agents: transmits into the link, events into the logs (and trickled
    /// candidates across, through SDP text).
    fn drain(&mut self) {
        for i in 0..2 {
            while let Some(t) = self.side(i).agent.poll_transmit() {
                let elapsed = self.elapsed();
                if (self.drop)(i, &t, elapsed) {
                    continue;
                }
                self.seq += 1;
                let at = self.now + self.latency;
                self.queue.insert((at, self.seq), (1 - i, t));
            }
            while let Some(e) = self.side(i).agent.poll_event() {
                let elapsed = self.elapsed();
                if let (true, IceEvent::LocalCandidate(c)) = (self.trickle, &e) {
                    let c = from_sdp(&to_sdp(c)).unwrap();
                    let _ = self.side(1 - i).agent.add_remote_candidate(c);
                }
                self.side(i).events.push((elapsed, e));
            }
        }
    }

    /// Runs until `until` holds or `limit` of virtual time passes; returns whether it held.
    pub fn run_until(&mut self, limit: Duration, mut until: impl FnMut(&Pair) -> bool) -> bool {
        let end = self.now + limit;
        for i in 0..2 {
            let now = self.now;
            self.side(i).agent.handle_timeout(now);
        }
        self.drain();
        loop {
            if until(self) {
                return true;
            }
            let next_net = self.queue.keys().next().map(|k| k.0);
            let next = [
                next_net,
                self.a.agent.poll_timeout(),
                self.b.agent.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else { return false };
            let next = next.max(self.now);
            if next > end {
                self.now = end;
                return until(self);
            }
            self.now = next;
            while let Some(entry) = self.queue.first_entry() {
                if entry.key().0 > self.now {
                    break;
                }
                let (to, t) = entry.remove();
                let now = self.now;
                let side = self.side(to);
                let r = side.agent.handle_receive(
                    now,
                    Receive {
                        protocol: t.protocol,
                        source: t.source,
                        destination: t.destination,
                        contents: &t.contents,
                    },
                );
                if r == nutshell_ice::Received::Data {
                    side.data.push(t.contents.clone());
                }
                self.drain();
            }
            for i in 0..2 {
                let now = self.now;
                let side = self.side(i);
                if side.agent.poll_timeout().is_some_and(|t| t <= now) {
                    side.agent.handle_timeout(now);
                }
            }
            self.drain();
        }
    }

    pub fn both_connected(&self) -> bool {
        let ok = |s: ConnectionState| {
            matches!(s, ConnectionState::Connected | ConnectionState::Completed)
        };
        ok(self.a.agent.connection_state())
            && ok(self.b.agent.connection_state())
            && self.a.agent.selected_pair().is_some()
            && self.b.agent.selected_pair().is_some()
    }

    /// Sends a datagram over the selected pair from side `i`.
    pub fn send(&mut self, i: usize, data: &[u8]) {
        let t = self.side(i).agent.send_to_selected(data).unwrap();
        self.seq += 1;
        let at = self.now + self.latency;
        self.queue.insert((at, self.seq), (1 - i, t));
    }
}
