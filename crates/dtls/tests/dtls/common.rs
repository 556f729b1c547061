//! A deterministic in-memory link between two endpoints on a virtual clock.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nutshell_dtls::cert::Certificate;
use nutshell_dtls::{Config, Dtls, Event, Role};

/// Two certificates generated once per test binary.
pub fn certs() -> &'static (Certificate, Certificate) {
    static C: OnceLock<(Certificate, Certificate)> = OnceLock::new();
    C.get_or_init(|| {
        (
            Certificate::generate().unwrap(),
            Certificate::generate().unwrap(),
        )
    })
}

/// Client and server configurations that pin each other's fingerprints.
pub fn configs() -> (Config, Config) {
    let (cc, sc) = certs();
    let mut c = Config::new(Role::Client, cc.clone(), [1; 32]);
    c.remote_fingerprints = vec![sc.fingerprint()];
    let mut s = Config::new(Role::Server, sc.clone(), [2; 32]);
    s.remote_fingerprints = vec![cc.fingerprint()];
    (c, s)
}

/// Link impairments (percentages) and latency.
#[derive(Clone, Copy, Debug)]
pub struct Impair {
    pub drop_pct: u64,
    pub dup_pct: u64,
    /// Extra random delay up to this many ms (reorders).
    pub jitter_ms: u64,
    pub latency_ms: u64,
}

impl Impair {
    pub const NONE: Impair = Impair {
        drop_pct: 0,
        dup_pct: 0,
        jitter_ms: 0,
        latency_ms: 5,
    };
}

/// Rewrites or drops (None) a datagram on the link.
pub type Filter = Box<dyn FnMut(Vec<u8>) -> Option<Vec<u8>>>;

pub struct Pair {
    pub client: Dtls,
    pub server: Dtls,
    pub now: Instant,
    pub start: Instant,
    rng: u64,
    impair: Impair,
    in_flight: Vec<(Instant, bool, Vec<u8>)>,
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
    /// Every datagram sent, (to_server, bytes), for inspection.
    pub sent: Vec<(bool, Vec<u8>)>,
    /// Optional rewrite of datagrams towards the server (for tampering).
    pub to_server_filter: Option<Filter>,
    pub to_client_filter: Option<Filter>,
}

impl Pair {
    pub fn new(c: Config, s: Config, impair: Impair, seed: u64) -> Pair {
        let now = Instant::now();
        Pair {
            client: Dtls::new(c, now),
            server: Dtls::new(s, now),
            now,
            start: now,
            rng: seed | 1,
            impair,
            in_flight: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            sent: Vec::new(),
            to_server_filter: None,
            to_client_filter: None,
        }
    }

    fn rand(&mut self, n: u64) -> u64 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }

    fn drain(&mut self) {
        loop {
            let mut any = false;
            while let Some(d) = self.client.poll_transmit() {
                any = true;
                self.send(true, d);
            }
            while let Some(d) = self.server.poll_transmit() {
                any = true;
                self.send(false, d);
            }
            while let Some(e) = self.client.poll_event() {
                self.client_events.push(e);
            }
            while let Some(e) = self.server.poll_event() {
                self.server_events.push(e);
            }
            if !any {
                break;
            }
        }
    }

    fn send(&mut self, to_server: bool, d: Vec<u8>) {
        self.sent.push((to_server, d.clone()));
        let d = if to_server {
            match &mut self.to_server_filter {
                Some(f) => f(d),
                None => Some(d),
            }
        } else {
            match &mut self.to_client_filter {
                Some(f) => f(d),
                None => Some(d),
            }
        };
        let Some(d) = d else { return };
        if self.rand(100) < self.impair.drop_pct {
            return;
        }
        let copies = if self.rand(100) < self.impair.dup_pct {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = self.impair.latency_ms + self.rand(self.impair.jitter_ms + 1);
            let at = self.now + Duration::from_millis(delay);
            self.in_flight.push((at, to_server, d.clone()));
        }
    }

    /// Runs until `done` holds or nothing is left to do or `limit` of virtual time passed.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) {
        loop {
            self.drain();
            if done(self) {
                return;
            }
            let next_packet = self.in_flight.iter().map(|p| p.0).min();
            let next = [
                next_packet,
                self.client.poll_timeout(),
                self.server.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else { return };
            if next - self.start > limit {
                return;
            }
            self.now = self.now.max(next);
            // Deliver everything due, in arrival order.
            self.in_flight.sort_by_key(|p| p.0);
            let due: Vec<_> = {
                let n = self
                    .in_flight
                    .iter()
                    .take_while(|p| p.0 <= self.now)
                    .count();
                self.in_flight.drain(..n).collect()
            };
            for (_, to_server, d) in due {
                if to_server {
                    self.server.handle_receive(self.now, &d);
                } else {
                    self.client.handle_receive(self.now, &d);
                }
                self.drain();
            }
            self.client.handle_timeout(self.now);
            self.server.handle_timeout(self.now);
        }
    }

    pub fn run(&mut self) {
        self.run_until(Duration::from_secs(300), |p| {
            p.client.is_connected() && p.server.is_connected()
                || p.client.is_closed()
                || p.server.is_closed()
        });
        // Let the final flights and alerts land.
        let until = self.now + Duration::from_millis(200);
        self.run_until(Duration::from_secs(600), |p| p.now >= until);
    }

    pub fn srtp_keys(events: &[Event]) -> Option<Vec<u8>> {
        events.iter().find_map(|e| match e {
            Event::SrtpKeyingMaterial(k) => Some(k.material.clone()),
            _ => None,
        })
    }

    pub fn failure(events: &[Event]) -> Option<nutshell_dtls::Error> {
        events.iter().find_map(|e| match e {
            Event::Failed(err) => Some(err.clone()),
            _ => None,
        })
    }
}
