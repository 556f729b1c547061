//! Interop with the OpenSSL command line on loopback UDP, both roles, every suite and both
//! groups: both sides must export the same 60 bytes of `EXTRACTOR-dtls_srtp` material.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nutshell_dtls::cert::Certificate;
use nutshell_dtls::crypto::{CipherSuite, NamedGroup};
use nutshell_dtls::{Config, Dtls, Event, Role, SRTP_EXPORTER_LABEL, SrtpProfile};

/// OpenSSL's certificate and key, generated once, and our view of them.
fn openssl_cert() -> &'static (PathBuf, PathBuf, Certificate) {
    static C: OnceLock<(PathBuf, PathBuf, Certificate)> = OnceLock::new();
    C.get_or_init(|| {
        let (c, k) = make_cert(
            "p256",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        );
        let cert = Certificate::from_pem(
            &std::fs::read_to_string(&c).unwrap(),
            &std::fs::read_to_string(&k).unwrap(),
        )
        .unwrap();
        (c, k, cert)
    })
}

/// A self-signed certificate made by `openssl req` with these key options.
fn make_cert(name: &str, key_args: &[&str]) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("nutshell-dtls-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (k, c) = (
        dir.join(format!("{name}-k.pem")),
        dir.join(format!("{name}-c.pem")),
    );
    let st = Command::new("openssl")
        .args(["req", "-x509"])
        .args(key_args)
        .args(["-nodes", "-subj", "/CN=test", "-keyout"])
        .arg(&k)
        .arg("-out")
        .arg(&c)
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed");
    assert!(st.success());
    (c, k)
}

fn openssl_suite(s: CipherSuite) -> &'static str {
    match s {
        CipherSuite::EcdheEcdsaAes128GcmSha256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        CipherSuite::EcdheEcdsaAes256GcmSha384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        _ => "ECDHE-ECDSA-CHACHA20-POLY1305",
    }
}

/// OpenSSL's group list: the wanted group first. P-256 always stays in, because in TLS 1.2
/// supported_groups also limits the curves of ECDSA certificates (RFC 8422 §5.1.1) and
/// OpenSSL enforces that for our P-256 certificate.
fn openssl_group(g: NamedGroup) -> &'static str {
    match g {
        NamedGroup::X25519 => "X25519:P-256",
        NamedGroup::Secp384r1 => "P-384:P-256",
        _ => "P-256",
    }
}

/// Kills the child on drop.
struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns openssl and returns a receiver of its stdout and stderr lines.
fn spawn(args: &[String]) -> (Kill, mpsc::Receiver<String>) {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped()) // kept open: EOF on stdin ends s_client / s_server
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn openssl");
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx2.send(l);
        }
    });
    (Kill(child), rx)
}

fn openssl_keying_material(rx: &mpsc::Receiver<String>, log: &mut Vec<String>) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Ok(l) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        log.push(l.clone());
        if let Some(hex) = l.trim().strip_prefix("Keying material: ") {
            return Some(hex.to_string());
        }
    }
    None
}

struct Outcome {
    suite: CipherSuite,
    group: NamedGroup,
    srtp: Option<SrtpProfile>,
    keying_material: String,
}

/// Drives our endpoint on a real socket until connected (or failed / 10 s).
fn drive(
    mut config: Config,
    socket: UdpSocket,
    mut peer: Option<SocketAddr>,
) -> Result<Outcome, String> {
    config.initial_retransmit_timeout = Duration::from_millis(200);
    let mut d = Dtls::new(config, Instant::now());
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = vec![0u8; 65536];
    loop {
        if let Some(p) = peer {
            while let Some(t) = d.poll_transmit() {
                let _ = socket.send_to(&t, p);
            }
        }
        while let Some(ev) = d.poll_event() {
            match ev {
                Event::Connected {
                    suite,
                    group,
                    srtp_profile,
                    ..
                } => {
                    let km = d.export_keying_material(SRTP_EXPORTER_LABEL, 60).unwrap();
                    d.close();
                    if let Some(p) = peer {
                        while let Some(t) = d.poll_transmit() {
                            let _ = socket.send_to(&t, p);
                        }
                    }
                    return Ok(Outcome {
                        suite,
                        group,
                        srtp: srtp_profile,
                        keying_material: km.iter().map(|b| format!("{b:02X}")).collect(),
                    });
                }
                Event::Failed(e) => return Err(format!("failed: {e}")),
                _ => {}
            }
        }
        let now = Instant::now();
        if now > deadline {
            return Err("timeout".into());
        }
        let wake = d.poll_timeout().unwrap_or(deadline).min(deadline);
        socket
            .set_read_timeout(Some(
                wake.saturating_duration_since(now)
                    .max(Duration::from_millis(1)),
            ))
            .unwrap();
        if let Ok((n, from)) = socket.recv_from(&mut buf) {
            peer.get_or_insert(from);
            if Some(from) == peer {
                d.handle_receive(Instant::now(), &buf[..n]);
            }
        }
        d.handle_timeout(Instant::now());
    }
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn srtp_args() -> Vec<String> {
    ["-use_srtp", "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"]
        .into_iter()
        .chain([
            "-keymatexport",
            "EXTRACTOR-dtls_srtp",
            "-keymatexportlen",
            "60",
        ])
        .map(String::from)
        .collect()
}

/// We are the client; `openssl s_server` the server.
fn with_openssl_server(suite: CipherSuite, group: NamedGroup) {
    let (c, k, ossl) = openssl_cert();
    let port = free_port();
    let mut args: Vec<String> = ["s_server", "-dtls1_2", "-accept"]
        .into_iter()
        .map(String::from)
        .collect();
    args.push(format!("127.0.0.1:{port}"));
    args.extend([
        "-cert".into(),
        c.display().to_string(),
        "-key".into(),
        k.display().to_string(),
    ]);
    args.extend(["-Verify", "1", "-naccept", "1"].map(String::from));
    args.extend(["-cipher".into(), openssl_suite(suite).into()]);
    args.extend(["-groups".into(), openssl_group(group).into()]);
    args.extend(srtp_args());
    let (_child, rx) = spawn(&args);

    let (cc, _) = crate::common::certs();
    let mut config = Config::new(Role::Client, cc.clone(), [3; 32]);
    config.remote_fingerprints = vec![ossl.fingerprint()];
    config.groups = vec![group];
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let ours = drive(config, socket, Some(([127, 0, 0, 1], port).into()));
    let mut log = Vec::new();
    let theirs = openssl_keying_material(&rx, &mut log);
    let ours = ours.unwrap_or_else(|e| panic!("{suite:?} {group:?}: {e}; openssl said {log:#?}"));
    assert_eq!((ours.suite, ours.group), (suite, group));
    assert_eq!(ours.srtp, Some(SrtpProfile::AeadAes128Gcm));
    assert_eq!(
        Some(ours.keying_material),
        theirs,
        "{suite:?} {group:?}: {log:#?}"
    );
}

/// We are the server; `openssl s_client` the client.
fn with_openssl_client(suite: CipherSuite, group: NamedGroup, cookie: bool) {
    let (c, k, _) = openssl_cert();
    with_openssl_client_cert(suite, group, cookie, c, k, &[]);
}

/// We are the server; `openssl s_client` the client, with this certificate and extra
/// arguments. Any client certificate is accepted.
fn with_openssl_client_cert(
    suite: CipherSuite,
    group: NamedGroup,
    cookie: bool,
    c: &std::path::Path,
    k: &std::path::Path,
    extra: &[&str],
) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    let (_, sc) = crate::common::certs();
    let mut config = Config::new(Role::Server, sc.clone(), [4; 32]);
    let pem = std::fs::read_to_string(c).unwrap();
    let der = pem_der(&pem);
    config.remote_fingerprints = vec![nutshell_dtls::cert::Fingerprint::sha256(&der)];
    config.cookie_exchange = cookie;
    config.groups = vec![group];
    let server = std::thread::spawn(move || drive(config, socket, None));

    let mut args: Vec<String> = ["s_client", "-dtls1_2", "-connect"]
        .into_iter()
        .map(String::from)
        .collect();
    args.push(format!("127.0.0.1:{port}"));
    args.extend([
        "-cert".into(),
        c.display().to_string(),
        "-key".into(),
        k.display().to_string(),
    ]);
    args.extend(["-cipher".into(), openssl_suite(suite).into()]);
    args.extend(["-groups".into(), openssl_group(group).into()]);
    args.extend(srtp_args());
    args.extend(extra.iter().map(|a| a.to_string()));
    let (_child, rx) = spawn(&args);
    let mut log = Vec::new();
    let theirs = openssl_keying_material(&rx, &mut log);
    let ours = server.join().unwrap();
    let ours = ours.unwrap_or_else(|e| panic!("{suite:?} {group:?}: {e}; openssl said {log:#?}"));
    assert_eq!((ours.suite, ours.group), (suite, group));
    assert_eq!(ours.srtp, Some(SrtpProfile::AeadAes128Gcm));
    assert_eq!(
        Some(ours.keying_material),
        theirs,
        "{suite:?} {group:?}: {log:#?}"
    );
}

#[test]
fn nutshell_client_openssl_server_every_suite_and_group() {
    for suite in CipherSuite::ALL {
        for group in NamedGroup::ALL {
            with_openssl_server(suite, group);
        }
    }
}

#[test]
fn openssl_client_nutshell_server_every_suite_and_group() {
    for suite in CipherSuite::ALL {
        for group in NamedGroup::ALL {
            with_openssl_client(suite, group, true);
        }
    }
}

#[test]
fn openssl_client_nutshell_server_without_cookie() {
    with_openssl_client(
        CipherSuite::EcdheEcdsaAes128GcmSha256,
        NamedGroup::X25519,
        false,
    );
}

/// The DER of the first PEM certificate block (base64 decoded by hand; test-only).
fn pem_der(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = b64.bytes().filter(|&c| c != b'=').map(val).collect();
    let mut out = Vec::new();
    for ch in bytes.chunks(4) {
        let n = ch
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &v)| acc | (u32::from(v) << (18 - 6 * i)));
        let take = ch.len() - 1;
        out.extend_from_slice(&n.to_be_bytes()[1..1 + take]);
    }
    out
}

/// Peers with RSA certificates (PKCS#1 v1.5 and PSS) and ECDSA P-384 ones authenticate to
/// our server with CertificateVerify in those schemes.
#[test]
fn openssl_client_with_rsa_and_p384_certificates() {
    let (rc, rk) = make_cert("rsa", &["-newkey", "rsa:2048"]);
    let (ec, ek) = make_cert(
        "p384",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    let suite = CipherSuite::EcdheEcdsaAes128GcmSha256;
    for sigalgs in [
        "RSA+SHA256",
        "RSA+SHA512",
        "RSA-PSS+SHA256",
        "RSA-PSS+SHA384",
    ] {
        with_openssl_client_cert(
            suite,
            NamedGroup::X25519,
            true,
            &rc,
            &rk,
            &["-client_sigalgs", sigalgs],
        );
    }
    with_openssl_client_cert(
        suite,
        NamedGroup::X25519,
        true,
        &ec,
        &ek,
        &["-client_sigalgs", "ECDSA+SHA384"],
    );
}
