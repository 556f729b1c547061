//! Measures, for two nutshell ICE agents on loopback addresses joined in memory:
//! - virtual time to connected (both sides have a selected pair), for one-way delays of 0 and
//!   1 ms (what a loopback interface adds is negligible);
//! - wall time to connected (the CPU cost of the whole exchange: gathering, checks,
//!   nomination), as the median of N runs;
//! - CPU per connectivity check handled: an authenticated Binding request decoded, verified,
//!   answered (response encoded and signed) and accounted, as the mean over many checks.
//!
//! `cargo run --release -p nutshell-ice --example connect_time [N]`

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use nutshell_ice::{ConnectionState, IceAgent, IceConfig, Receive, Role, Transmit};
use stun::{Attribute, Encoder, Key, MessageType, TransactionId};

fn config(role: Role, seed: u64) -> IceConfig {
    IceConfig {
        role,
        seed,
        include_loopback: true,
        ..IceConfig::default()
    }
}

fn connected(a: &IceAgent) -> bool {
    matches!(
        a.connection_state(),
        ConnectionState::Connected | ConnectionState::Completed
    ) && a.selected_pair().is_some()
}

/// Returns (virtual time, wall time, datagrams exchanged) to connected.
fn connect(seed: u64, latency: Duration) -> (Duration, Duration, usize) {
    let wall = Instant::now();
    let start = Instant::now();
    let mut now = start;
    let mut agents = [
        IceAgent::new(config(Role::Controlling, seed), now),
        IceAgent::new(config(Role::Controlled, seed + 1), now),
    ];
    let addrs: [SocketAddr; 2] = [
        "127.0.0.1:10000".parse().unwrap(),
        "127.0.0.1:20000".parse().unwrap(),
    ];
    for (a, addr) in agents.iter_mut().zip(addrs) {
        a.add_host_socket(addr).unwrap();
    }
    let creds: Vec<(String, String)> = agents
        .iter()
        .map(|a| {
            let (u, p) = a.local_credentials();
            (u.to_string(), p.to_string())
        })
        .collect();
    let cands: Vec<Vec<_>> = agents
        .iter()
        .map(|a| a.local_candidates().cloned().collect())
        .collect();
    for i in 0..2 {
        let (u, p) = &creds[1 - i];
        agents[i].set_remote_credentials(u, p).unwrap();
        for c in &cands[1 - i] {
            agents[i].add_remote_candidate(c.clone()).unwrap();
        }
    }
    let mut queue: BTreeMap<(Instant, u64), (usize, Transmit)> = BTreeMap::new();
    let mut seq = 0u64;
    let mut datagrams = 0;
    for a in agents.iter_mut() {
        a.handle_timeout(now);
    }
    loop {
        for (i, a) in agents.iter_mut().enumerate() {
            while let Some(t) = a.poll_transmit() {
                seq += 1;
                datagrams += 1;
                queue.insert((now + latency, seq), (1 - i, t));
            }
            while a.poll_event().is_some() {}
        }
        if connected(&agents[0]) && connected(&agents[1]) {
            return (now - start, wall.elapsed(), datagrams);
        }
        let next = [
            queue.keys().next().map(|k| k.0),
            agents[0].poll_timeout(),
            agents[1].poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
        .expect("something pending");
        now = now.max(next);
        while let Some(e) = queue.first_entry() {
            if e.key().0 > now {
                break;
            }
            let (to, t) = e.remove();
            let _ = agents[to].handle_receive(
                now,
                Receive {
                    protocol: t.protocol,
                    source: t.source,
                    destination: t.destination,
                    contents: &t.contents,
                },
            );
        }
        for a in agents.iter_mut() {
            if a.poll_timeout().is_some_and(|t| t <= now) {
                a.handle_timeout(now);
            }
        }
    }
}

/// Mean wall time per authenticated check handled by a controlled agent.
fn per_check(checks: u32) -> Duration {
    let now = Instant::now();
    let mut agent = IceAgent::new(config(Role::Controlled, 9), now);
    let local: SocketAddr = "127.0.0.1:20000".parse().unwrap();
    let remote: SocketAddr = "127.0.0.1:10000".parse().unwrap();
    agent.add_host_socket(local).unwrap();
    agent
        .set_remote_credentials("rmte", "remotepasswordremotepwd1")
        .unwrap();
    let (ufrag, pwd) = agent.local_credentials();
    let key = Key::short_term(pwd);
    let username = format!("{ufrag}:rmte");
    // Pre-build the requests so that only the agent's work is timed.
    let requests: Vec<Vec<u8>> = (0..checks)
        .map(|i| {
            let mut tid = [0u8; 12];
            tid[..4].copy_from_slice(&i.to_be_bytes());
            let mut buf = Vec::new();
            let mut enc = Encoder::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId(tid));
            enc.add(&Attribute::Username(&username)).unwrap();
            enc.add(&Attribute::Priority(1_862_270_975)).unwrap();
            enc.add(&Attribute::IceControlling(42)).unwrap();
            enc.add(&Attribute::UseCandidate).unwrap();
            enc.add_integrity(&key);
            enc.add_fingerprint();
            enc.finish();
            buf
        })
        .collect();
    let t0 = Instant::now();
    for r in &requests {
        let _ = agent.handle_receive(
            now,
            Receive {
                protocol: nutshell_ice::Protocol::Udp,
                source: remote,
                destination: local,
                contents: r,
            },
        );
        while let Some(t) = agent.poll_transmit() {
            std::hint::black_box(t);
        }
        while agent.poll_event().is_some() {}
    }
    let elapsed = t0.elapsed();
    assert!(agent.stats().checks_received >= u64::from(checks));
    elapsed / checks
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    for latency in [Duration::ZERO, Duration::from_millis(1)] {
        let mut virt = Vec::new();
        let mut wall = Vec::new();
        let mut dgrams = 0;
        for seed in 0..n {
            let (v, w, d) = connect(seed * 2 + 1, latency);
            virt.push(v);
            wall.push(w);
            dgrams = d;
        }
        println!(
            "one-way delay {latency:?}: virtual time to connected median {:?} (max {:?}), wall time median {:?} over {n} runs, {dgrams} datagrams",
            median(virt.clone()),
            virt.iter().max().unwrap(),
            median(wall),
        );
    }
    let checks = 100_000;
    let mut best = Duration::MAX;
    for _ in 0..5 {
        best = best.min(per_check(checks));
    }
    println!(
        "CPU per connectivity check handled (decode, verify, answer): {best:?} (best of 5 x {checks})"
    );
}
