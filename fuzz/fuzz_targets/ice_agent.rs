//! An ICE agent with a remote peer configured, fed arbitrary datagrams from arbitrary
//! sources, well-formed (authenticated) checks and responses with arbitrary contents,
//! commands (restart, trickle, end-of-candidates) and arbitrary time steps. It must never
//! panic, and every collection must stay within the configured limits.
//!
//! The input is a sequence of operations, each introduced by one byte.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use nutshell_ice::{Candidate, CandidateKind, IceAgent, IceConfig, Protocol, Receive, Role};
use nutshell_stun::{Attribute, Encoder, Key, MessageType, TransactionId};

const REMOTE_UFRAG: &str = "rmte";
const REMOTE_PWD: &str = "remotepasswordremotepwd1";

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from(self.u16()?) << 16 | u32::from(self.u16()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from(self.u32()?) << 32 | u64::from(self.u32()?))
    }
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
    /// An address: one of a few known ones, or arbitrary.
    fn addr(&mut self, known: &[SocketAddr]) -> Option<SocketAddr> {
        let sel = self.u8()?;
        if usize::from(sel) < known.len() * 4 {
            return known.get(usize::from(sel) % known.len()).copied();
        }
        if sel & 1 == 0 {
            let ip = Ipv4Addr::from(self.u32()?);
            Some(SocketAddr::new(IpAddr::V4(ip), self.u16()?))
        } else {
            let hi = u128::from(self.u64()?);
            let ip = Ipv6Addr::from(hi << 64 | 1);
            Some(SocketAddr::new(IpAddr::V6(ip), self.u16()?))
        }
    }
}

fn check(agent: &IceAgent) {
    let s = agent.stats();
    let c = IceConfig::default();
    assert!(s.remote_candidates <= c.max_remote_candidates, "{s:?}");
    assert!(s.local_candidates <= c.max_local_candidates, "{s:?}");
    assert!(s.pairs <= c.max_pairs, "{s:?}");
    assert!(s.transactions <= c.max_transactions, "{s:?}");
    assert!(s.queued_transmits <= c.max_queued, "{s:?}");
    assert!(s.queued_events <= c.max_queued, "{s:?}");
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let start = Instant::now();
    let mut now = start;
    let role = if data.first().is_some_and(|b| b & 1 == 1) {
        Role::Controlled
    } else {
        Role::Controlling
    };
    let cfg = IceConfig {
        role,
        seed: 1,
        include_loopback: true,
        stun_servers: vec!["192.0.2.1:3478".parse().unwrap()],
        ..IceConfig::default()
    };
    let mut agent = IceAgent::new(cfg, now);
    let hosts: [SocketAddr; 2] = [
        "10.0.0.1:5000".parse().unwrap(),
        "[2001:db8::1]:5000".parse().unwrap(),
    ];
    let remotes: [SocketAddr; 3] = [
        "10.0.0.2:6000".parse().unwrap(),
        "[2001:db8::2]:6000".parse().unwrap(),
        "192.0.2.1:3478".parse().unwrap(),
    ];
    for h in hosts {
        let _ = agent.add_host_socket(h);
    }
    assert!(
        agent
            .set_remote_credentials(REMOTE_UFRAG, REMOTE_PWD)
            .is_ok()
    );
    for (i, r) in remotes.iter().take(2).enumerate() {
        let _ = agent.add_remote_candidate(Candidate::new(
            CandidateKind::Host,
            *r,
            2_130_706_431 - i as u32,
            format!("{i}"),
        ));
    }
    let remote_key = Key::short_term(REMOTE_PWD);
    // The last transaction id and 5-tuple we sent, to answer it.
    let mut last: Option<(TransactionId, SocketAddr, SocketAddr)> = None;

    let mut ops = 0;
    while let Some(op) = input.u8() {
        ops += 1;
        if ops > 512 {
            break;
        }
        match op % 8 {
            // Arbitrary bytes from an arbitrary source.
            0 | 1 => {
                let (Some(source), Some(destination)) = (input.addr(&remotes), input.addr(&hosts))
                else {
                    break;
                };
                let len = usize::from(input.u8().unwrap_or(0));
                let contents = input.bytes(len);
                let _ = agent.handle_receive(
                    now,
                    Receive {
                        protocol: Protocol::Udp,
                        source,
                        destination,
                        contents,
                    },
                );
            }
            // An authenticated check with arbitrary attributes.
            2 => {
                let (Some(source), Some(destination)) = (input.addr(&remotes), input.addr(&hosts))
                else {
                    break;
                };
                let flags = input.u8().unwrap_or(0);
                let prio = input.u32().unwrap_or(1);
                let tb = input.u64().unwrap_or(0);
                let mut tid = [0u8; 12];
                tid.copy_from_slice(&{
                    let b = input.bytes(12);
                    let mut t = [0u8; 12];
                    t[..b.len()].copy_from_slice(b);
                    t
                });
                let (ufrag, pwd) = agent.local_credentials();
                let username = format!("{ufrag}:{REMOTE_UFRAG}");
                let key = Key::short_term(pwd);
                let mut buf = Vec::new();
                let mut enc =
                    Encoder::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId(tid));
                let _ = enc.add(&Attribute::Username(&username));
                if flags & 1 != 0 {
                    let _ = enc.add(&Attribute::Priority(prio));
                }
                if flags & 2 != 0 {
                    let _ = enc.add(&Attribute::IceControlling(tb));
                }
                if flags & 4 != 0 {
                    let _ = enc.add(&Attribute::IceControlled(tb));
                }
                if flags & 8 != 0 {
                    let _ = enc.add(&Attribute::UseCandidate);
                }
                if flags & 16 != 0 {
                    let _ = enc.add(&Attribute::Other {
                        typ: 0xC057,
                        value: &[0, 1, 0, 0],
                    });
                }
                enc.add_integrity(&key);
                if flags & 32 != 0 {
                    enc.add_fingerprint();
                }
                enc.finish();
                let _ = agent.handle_receive(
                    now,
                    Receive {
                        protocol: Protocol::Udp,
                        source,
                        destination,
                        contents: &buf,
                    },
                );
            }
            // An authenticated response to the last request we sent.
            3 => {
                let Some((tid, src, dst)) = last else {
                    continue;
                };
                let flags = input.u8().unwrap_or(0);
                let mapped = input.addr(&remotes).unwrap_or(src);
                let mut buf = Vec::new();
                let typ = MessageType::BINDING_REQUEST.response(flags & 1 == 0);
                let mut enc = Encoder::new(&mut buf, typ, tid);
                if flags & 1 == 0 {
                    let _ = enc.add(&Attribute::XorMappedAddress(mapped));
                } else {
                    let code = if flags & 2 != 0 {
                        487
                    } else {
                        400 + u16::from(flags >> 2)
                    };
                    let _ = enc.add(&Attribute::ErrorCode { code, reason: "x" });
                }
                if flags & 64 == 0 {
                    enc.add_integrity(&remote_key);
                }
                enc.add_fingerprint();
                enc.finish();
                // Usually from where it went; sometimes not.
                let (source, destination) = if flags & 128 == 0 {
                    (dst, src)
                } else {
                    (mapped, src)
                };
                let _ = agent.handle_receive(
                    now,
                    Receive {
                        protocol: Protocol::Udp,
                        source,
                        destination,
                        contents: &buf,
                    },
                );
            }
            // Time passes: anything from nothing to minutes, sometimes backwards.
            4 | 5 => {
                let step = input.u16().unwrap_or(0);
                let d = match op >> 6 {
                    0 => Duration::from_micros(u64::from(step)),
                    1 => Duration::from_millis(u64::from(step)),
                    _ => Duration::from_millis(u64::from(step) * 10),
                };
                let t = if op & 0x20 != 0 {
                    now.checked_sub(d).unwrap_or(now)
                } else {
                    now + d
                };
                agent.handle_timeout(t);
                now = now.max(t);
            }
            // Run to the agent's own timeout.
            6 => {
                if let Some(t) = agent.poll_timeout() {
                    now = now.max(t);
                    agent.handle_timeout(now);
                }
            }
            // Commands.
            _ => match input.u8().unwrap_or(0) % 8 {
                0 => agent.restart(),
                1 => {
                    let Some(a) = input.addr(&remotes) else { break };
                    let prio = input.u32().unwrap_or(0);
                    let _ = agent.add_remote_candidate(Candidate::new(
                        CandidateKind::ServerReflexive,
                        a,
                        prio,
                        "x",
                    ));
                }
                2 => agent.end_of_remote_candidates(),
                3 => {
                    let _ = agent.set_remote_credentials(REMOTE_UFRAG, REMOTE_PWD);
                }
                4 => {
                    let Some(a) = input.addr(&hosts) else { break };
                    let _ = agent.add_host_socket(a);
                }
                5 => agent.set_remote_lite(input.u8().unwrap_or(0) & 1 == 1),
                6 => {
                    let _ = agent.send_to_selected(b"data");
                }
                _ => agent.close(),
            },
        }
        while let Some(t) = agent.poll_transmit() {
            if let Ok(m) = nutshell_stun::Message::decode(&t.contents) {
                last = Some((m.transaction_id(), t.source, t.destination));
            }
        }
        // Drain events only sometimes, so that the queue bound is exercised too.
        if op & 0x10 == 0 {
            while agent.poll_event().is_some() {}
        }
        let _ = agent.poll_timeout();
        check(&agent);
    }
});
