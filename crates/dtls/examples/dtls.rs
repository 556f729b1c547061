//! A DTLS 1.2 client or server on a UDP socket, for interop checks (with OpenSSL):
//!
//! ```text
//! cargo run -p nutshell-dtls --example dtls -- client 127.0.0.1:4433
//! cargo run -p nutshell-dtls --example dtls -- server 127.0.0.1:4433 [--fingerprint "sha-256 AB:…"]
//! ```
//!
//! Options: `--fingerprint FP` (enforce the peer certificate's fingerprint; without it any
//! certificate is accepted), `--cert PEM --key PEM` (our identity; default: a fresh
//! self-signed one), `--suite NAME` (restrict to one suite, IANA or OpenSSL name),
//! `--group x25519|p-256`, `--srtp P1:P2` (OpenSSL profile names), `--no-cookie`,
//! `--timeout SECS`. After the handshake it prints the cipher suite, the SRTP profile, the
//! peer certificate's SHA-256 fingerprint and 60 bytes of `EXTRACTOR-dtls_srtp` keying
//! material in hex, sends close_notify and exits.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use nutshell_dtls::cert::{Certificate, Fingerprint};
use nutshell_dtls::crypto::{CipherSuite, NamedGroup};
use nutshell_dtls::{Config, Dtls, Event, Role, SRTP_EXPORTER_LABEL, SrtpProfile};

fn usage() -> ! {
    eprintln!(
        "usage: dtls client|server ADDR [--fingerprint FP] [--cert PEM --key PEM] [--suite NAME] \
         [--group x25519|p-256] [--srtp P1:P2] [--no-cookie] [--timeout SECS]"
    );
    std::process::exit(2)
}

fn suite_by_name(n: &str) -> Option<CipherSuite> {
    CipherSuite::ALL.into_iter().find(|s| {
        s.name().eq_ignore_ascii_case(n)
            || match s {
                CipherSuite::EcdheEcdsaAes128GcmSha256 => n == "ECDHE-ECDSA-AES128-GCM-SHA256",
                CipherSuite::EcdheEcdsaAes256GcmSha384 => n == "ECDHE-ECDSA-AES256-GCM-SHA384",
                CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => {
                    n == "ECDHE-ECDSA-CHACHA20-POLY1305"
                }
                _ => false,
            }
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(role), Some(addr)) = (args.first(), args.get(1)) else {
        usage()
    };
    let role = match role.as_str() {
        "client" => Role::Client,
        "server" => Role::Server,
        _ => usage(),
    };
    let addr: SocketAddr = addr.parse().unwrap_or_else(|_| usage());
    let mut fingerprint = None;
    let (mut cert_pem, mut key_pem) = (None, None);
    let mut suite = None;
    let mut group = None;
    let mut srtp = None;
    let mut cookie = true;
    let mut timeout = Duration::from_secs(10);
    let mut it = args.iter().skip(2);
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().unwrap_or_else(|| usage());
        match a.as_str() {
            "--fingerprint" => fingerprint = Some(val()),
            "--cert" => cert_pem = Some(val()),
            "--key" => key_pem = Some(val()),
            "--suite" => suite = Some(suite_by_name(&val()).unwrap_or_else(|| usage())),
            "--group" => {
                group = Some(match val().to_ascii_lowercase().as_str() {
                    "x25519" => NamedGroup::X25519,
                    "p-256" | "p256" | "secp256r1" | "prime256v1" => NamedGroup::Secp256r1,
                    _ => usage(),
                })
            }
            "--srtp" => {
                let v = val();
                let list: Vec<SrtpProfile> = v
                    .split(':')
                    .map(|n| {
                        SrtpProfile::ALL
                            .into_iter()
                            .find(|p| p.name() == n)
                            .unwrap_or_else(|| usage())
                    })
                    .collect();
                srtp = Some(list);
            }
            "--no-cookie" => cookie = false,
            "--timeout" => timeout = Duration::from_secs(val().parse().unwrap_or_else(|_| usage())),
            _ => usage(),
        }
    }

    let certificate = match (cert_pem, key_pem) {
        (Some(c), Some(k)) => {
            let c = std::fs::read_to_string(c).expect("read --cert");
            let k = std::fs::read_to_string(k).expect("read --key");
            Certificate::from_pem(&c, &k).expect("load certificate")
        }
        (None, None) => Certificate::generate().expect("generate certificate"),
        _ => usage(),
    };
    eprintln!("local fingerprint: {}", certificate.fingerprint());
    let mut seed = [0u8; 32];
    // An example may take its seed from the clock; the library never reads one.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    seed[..16].copy_from_slice(&nanos.to_be_bytes());
    let mut config = Config::new(role, certificate, seed);
    if let Some(fp) = fingerprint {
        config.remote_fingerprints =
            vec![Fingerprint::parse_sdp(&fp).expect("parse --fingerprint")];
    }
    if let Some(s) = suite {
        config.cipher_suites = vec![s];
    }
    if let Some(g) = group {
        config.groups = vec![g];
    }
    if let Some(p) = srtp {
        config.srtp_profiles = p;
    }
    config.cookie_exchange = cookie;

    let socket = match role {
        Role::Server => UdpSocket::bind(addr).expect("bind"),
        Role::Client => {
            let s = UdpSocket::bind(if addr.is_ipv4() {
                "127.0.0.1:0"
            } else {
                "[::1]:0"
            })
            .expect("bind");
            s.connect(addr).expect("connect");
            s
        }
    };
    let mut peer = match role {
        Role::Client => Some(addr),
        Role::Server => None,
    };
    let deadline = Instant::now() + timeout;
    let mut dtls = Dtls::new(config, Instant::now());
    let mut buf = vec![0u8; 65536];
    loop {
        if let Some(p) = peer {
            while let Some(d) = dtls.poll_transmit() {
                socket.send_to(&d, p).expect("send");
            }
        }
        while let Some(ev) = dtls.poll_event() {
            match ev {
                Event::Connected {
                    suite,
                    group,
                    srtp_profile,
                    peer_fingerprint,
                } => {
                    println!("Cipher suite: {}", suite.name());
                    println!("Group: {group:?}");
                    println!(
                        "SRTP profile: {}",
                        srtp_profile.map_or("none", |p| p.name())
                    );
                    println!("Peer fingerprint: {peer_fingerprint}");
                    let km = dtls
                        .export_keying_material(SRTP_EXPORTER_LABEL, 60)
                        .expect("export");
                    println!("Keying material: {}", hex(&km));
                    dtls.close();
                    if let Some(p) = peer {
                        while let Some(d) = dtls.poll_transmit() {
                            let _ = socket.send_to(&d, p);
                        }
                    }
                    return;
                }
                Event::Failed(e) => {
                    if let Some(p) = peer {
                        while let Some(d) = dtls.poll_transmit() {
                            let _ = socket.send_to(&d, p);
                        }
                    }
                    eprintln!("handshake failed: {e}");
                    std::process::exit(1);
                }
                Event::Closed => {
                    eprintln!("peer closed");
                    std::process::exit(1);
                }
                _ => {}
            }
        }
        let now = Instant::now();
        if now >= deadline {
            eprintln!("timed out");
            std::process::exit(1);
        }
        let wake = dtls.poll_timeout().unwrap_or(deadline).min(deadline);
        let wait = wake
            .saturating_duration_since(now)
            .max(Duration::from_millis(1));
        socket.set_read_timeout(Some(wait)).expect("timeout");
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                if peer.is_none() {
                    peer = Some(from);
                }
                if Some(from) == peer {
                    dtls.handle_receive(Instant::now(), &buf[..n]);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => {
                eprintln!("recv: {e}");
                std::process::exit(1);
            }
        }
        dtls.handle_timeout(Instant::now());
    }
}
