//! The shared body of the `dtls_client` and `dtls_server` targets: the whole DTLS state
//! machine of one role fed arbitrary datagrams after a valid prefix.
//!
//! Each run builds the endpoint under test and a genuine nutshell peer (certificates
//! generated once) and plays the valid prefix (the ClientHello, and for a client the
//! server's answer, HelloVerifyRequest or flight 4), then interprets the input as
//! operations: `[op][len u16][bytes]`. op % 4: 0 delivers `bytes` as a datagram to the
//! endpoint, 1 advances the clock by `bytes[0]` × 50 ms and fires timers, 2 exchanges one
//! round of genuine datagrams between the two (so the fuzzer can interleave real flights
//! with garbage and reach later states), 3 issues a command (application data, close,
//! export). Whatever happens must not panic, the queues stay bounded, and a failed or closed
//! endpoint stays so. The first input byte picks cookie exchange and a small MTU.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nutshell_dtls::cert::Certificate;
use nutshell_dtls::{Config, Dtls, Role};

fn certs() -> &'static (Certificate, Certificate) {
    static C: OnceLock<(Certificate, Certificate)> = OnceLock::new();
    C.get_or_init(|| {
        (
            Certificate::generate().expect("generate"),
            Certificate::generate().expect("generate"),
        )
    })
}

fn drain(d: &mut Dtls) -> Vec<Vec<u8>> {
    let out: Vec<_> = std::iter::from_fn(|| d.poll_transmit()).collect();
    assert!(out.len() <= 256);
    let mut n = 0;
    while d.poll_event().is_some() {
        n += 1;
        assert!(n <= 1024);
    }
    out
}

/// Runs one input against an endpoint of role `role`, its genuine peer on the other side.
pub fn run(data: &[u8], role: Role) {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let (cc, sc) = certs();
    let mut now = Instant::now();
    let mut scfg = Config::new(Role::Server, sc.clone(), [2; 32]);
    scfg.cookie_exchange = mode & 1 == 1;
    scfg.mtu = if mode & 2 == 2 { 300 } else { 1200 };
    let mut ccfg = Config::new(Role::Client, cc.clone(), [1; 32]);
    ccfg.mtu = scfg.mtu;
    let (mut target, mut peer) = match role {
        Role::Client => (Dtls::new(ccfg, now), Dtls::new(scfg, now)),
        Role::Server => (Dtls::new(scfg, now), Dtls::new(ccfg, now)),
    };
    // The valid prefix: a client's ClientHello to the server, and the server's answer.
    if role == Role::Client {
        for d in drain(&mut target) {
            peer.handle_receive(now, &d);
        }
    }
    for d in drain(&mut peer) {
        target.handle_receive(now, &d);
    }
    let mut to_peer = drain(&mut target);
    while rest.len() >= 3 {
        let op = rest[0];
        let len = usize::from(u16::from_be_bytes([rest[1], rest[2]])).min(rest.len() - 3);
        let bytes = &rest[3..3 + len];
        rest = &rest[3 + len..];
        let was_closed = target.is_closed();
        match op % 4 {
            0 => target.handle_receive(now, bytes),
            1 => {
                now += Duration::from_millis(50 * u64::from(bytes.first().copied().unwrap_or(1)));
                target.handle_timeout(now);
                peer.handle_timeout(now);
            }
            2 => {
                for d in to_peer.drain(..) {
                    peer.handle_receive(now, &d);
                }
                for d in drain(&mut peer) {
                    target.handle_receive(now, &d);
                }
            }
            _ => match bytes.first().copied().unwrap_or(0) % 3 {
                0 => {
                    let _ = target.send_application_data(bytes);
                }
                1 => target.close(),
                _ => {
                    let _ = target.export_keying_material("EXTRACTOR-dtls_srtp", bytes.len());
                }
            },
        }
        assert!(!was_closed || target.is_closed());
        to_peer.extend(drain(&mut target));
        if to_peer.len() > 1024 {
            to_peer.clear();
        }
    }
}
