//! DTLS 1.2: a full in-memory handshake (both sides, mutual certificates, use_srtp,
//! extended master secret, ECDHE x25519, AES-128-GCM) and the protection of a 1200-byte
//! application-data record, nutshell-dtls side by side with str0m's `dimpl` and webrtc-rs's
//! `webrtc-dtls`.
//!
//! - handshake: certificates are made once, outside the timing; each iteration builds two
//!   fresh endpoints and moves datagrams between them until both are connected. nutshell
//!   and dimpl run with their defaults (both servers send a HelloVerifyRequest); dimpl once
//!   with its default crypto provider (aws-lc-rs) and once with its pure-Rust provider, the
//!   one str0m uses as this workspace configures it (`rust-crypto`). webrtc-dtls
//!   is async: it runs on a current-thread tokio runtime over its in-memory `pipe`, with
//!   client authentication required and the extended master secret required.
//! - encrypt: `send_application_data` of 1200 bytes and taking the datagram out.
//! - decrypt: handing a freshly sealed record (made outside the timing, next sequence
//!   number) to the receiver and taking the plaintext out.
//! - roundtrip (webrtc-dtls only has a connection API): write on one side, read on the other.
//! - crypto floor (`dtls_crypto_floor`): only the public-key operations one full handshake
//!   needs, straight on `ring` as nutshell runs them: 2 x25519 key generations (the group
//!   the handshake above negotiates), 2 agreements, 2 ECDSA P-256 SHA-256 signatures
//!   (ServerKeyExchange, CertificateVerify) and 2 verifications, over 200-byte messages. No
//!   stack using the same curve code can handshake faster than this.
//!
//! Before measuring, each pair must complete a handshake and deliver the data.
//!
//! `cargo bench -p nutshell-benches --bench dtls`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const PAYLOAD: usize = 1200;

// ---------------------------------------------------------------------------------------------
// nutshell
// ---------------------------------------------------------------------------------------------

mod ours {
    use super::*;
    use dtls::cert::Certificate;
    use dtls::{Config, Dtls, Event, Role};

    pub struct Certs(pub Certificate, pub Certificate);

    pub fn certs() -> Certs {
        Certs(
            Certificate::generate().unwrap(),
            Certificate::generate().unwrap(),
        )
    }

    pub fn handshake(c: &Certs) -> (Dtls, Dtls) {
        let now = Instant::now();
        let mut cc = Config::new(Role::Client, c.0.clone(), [1; 32]);
        cc.remote_fingerprints = vec![c.1.fingerprint()];
        let mut sc = Config::new(Role::Server, c.1.clone(), [2; 32]);
        sc.remote_fingerprints = vec![c.0.fingerprint()];
        let mut client = Dtls::new(cc, now);
        let mut server = Dtls::new(sc, now);
        for _ in 0..10 {
            while let Some(d) = client.poll_transmit() {
                server.handle_receive(now, &d);
            }
            while let Some(d) = server.poll_transmit() {
                client.handle_receive(now, &d);
            }
            if client.is_connected() && server.is_connected() {
                while client.poll_event().is_some() {}
                while server.poll_event().is_some() {}
                return (client, server);
            }
        }
        panic!("nutshell handshake did not complete");
    }

    pub fn seal(d: &mut Dtls, data: &[u8]) -> Vec<u8> {
        d.send_application_data(data).unwrap();
        d.poll_transmit().unwrap()
    }

    pub fn open(d: &mut Dtls, rec: &[u8]) -> usize {
        d.handle_receive(Instant::now(), rec);
        match d.poll_event() {
            Some(Event::ApplicationData(p)) => p.len(),
            e => panic!("{e:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// dimpl
// ---------------------------------------------------------------------------------------------

mod dimpl_side {
    use super::*;
    use dimpl::{Config, Dtls, DtlsCertificate, Output};

    pub struct Certs(pub DtlsCertificate, pub DtlsCertificate, pub Arc<Config>);

    /// With dimpl's default provider (aws-lc-rs) or, as str0m is configured in this
    /// workspace, its pure-Rust one.
    pub fn certs(rust_crypto: bool) -> Certs {
        use dimpl::certificate::generate_self_signed_certificate;
        let config = if rust_crypto {
            Config::builder()
                .with_crypto_provider(dimpl::crypto::rust_crypto::default_provider())
                .build()
                .unwrap()
        } else {
            Config::default()
        };
        Certs(
            generate_self_signed_certificate().unwrap(),
            generate_self_signed_certificate().unwrap(),
            Arc::new(config),
        )
    }

    fn drain(d: &mut Dtls, buf: &mut [u8], out: &mut Vec<Vec<u8>>) -> bool {
        let mut connected = false;
        loop {
            match d.poll_output(buf) {
                Output::Packet(p) => out.push(p.to_vec()),
                Output::Connected => connected = true,
                Output::Timeout(_) => return connected,
                _ => {}
            }
        }
    }

    pub fn handshake(c: &Certs) -> (Dtls, Dtls) {
        let now = Instant::now();
        let mut client = Dtls::new_12(Arc::clone(&c.2), c.0.clone(), now);
        client.set_active(true);
        let mut server = Dtls::new_12(Arc::clone(&c.2), c.1.clone(), now);
        let mut buf = vec![0u8; 2048];
        let (mut cc, mut sc) = (false, false);
        client.handle_timeout(now).unwrap();
        server.handle_timeout(now).unwrap();
        for _ in 0..20 {
            let mut to_server = Vec::new();
            cc |= drain(&mut client, &mut buf, &mut to_server);
            for p in &to_server {
                server.handle_packet(p).unwrap();
            }
            let mut to_client = Vec::new();
            sc |= drain(&mut server, &mut buf, &mut to_client);
            for p in &to_client {
                client.handle_packet(p).unwrap();
            }
            if cc && sc && to_server.is_empty() && to_client.is_empty() {
                return (client, server);
            }
        }
        panic!("dimpl handshake did not complete");
    }

    pub fn seal(d: &mut Dtls, data: &[u8], buf: &mut [u8]) -> Vec<u8> {
        d.send_application_data(data).unwrap();
        loop {
            match d.poll_output(buf) {
                Output::Packet(p) => return p.to_vec(),
                Output::Timeout(_) => panic!("no packet"),
                _ => {}
            }
        }
    }

    pub fn open(d: &mut Dtls, rec: &[u8], buf: &mut [u8]) -> usize {
        d.handle_packet(rec).unwrap();
        loop {
            match d.poll_output(buf) {
                Output::ApplicationData(p) => return p.len(),
                Output::Timeout(_) => panic!("no data"),
                _ => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// webrtc-dtls
// ---------------------------------------------------------------------------------------------

mod webrtc_side {
    use super::*;
    use dtls_oracle::config::{ClientAuthType, Config, ExtendedMasterSecretType};
    use dtls_oracle::conn::DTLSConn;
    use dtls_oracle::crypto::Certificate;
    use dtls_oracle::extension::extension_use_srtp::SrtpProtectionProfile;
    use webrtc_util_conn::conn::conn_pipe::pipe;

    pub struct Certs(pub Certificate, pub Certificate);

    pub fn certs() -> Certs {
        Certs(
            Certificate::generate_self_signed(vec!["client".to_owned()]).unwrap(),
            Certificate::generate_self_signed(vec!["server".to_owned()]).unwrap(),
        )
    }

    fn config(cert: &Certificate) -> Config {
        Config {
            certificates: vec![cert.clone()],
            insecure_skip_verify: true,
            client_auth: ClientAuthType::RequireAnyClientCert,
            extended_master_secret: ExtendedMasterSecretType::Require,
            srtp_protection_profiles: vec![SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm],
            ..Default::default()
        }
    }

    pub async fn handshake(c: &Certs) -> (DTLSConn, DTLSConn) {
        let (a, b) = pipe();
        let cc = config(&c.0);
        let client = tokio::spawn(async move { DTLSConn::new(Arc::new(a), cc, true, None).await });
        let server = DTLSConn::new(Arc::new(b), config(&c.1), false, None)
            .await
            .unwrap();
        let client = client.await.unwrap().unwrap();
        (client, server)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

fn handshake(c: &mut Criterion) {
    let mut g = c.benchmark_group("dtls_handshake");
    let certs = ours::certs();
    g.bench_function("nutshell", |b| {
        b.iter(|| black_box(ours::handshake(&certs)))
    });
    let dcerts = dimpl_side::certs(false);
    g.bench_function("dimpl-aws-lc-rs", |b| {
        b.iter(|| black_box(dimpl_side::handshake(&dcerts)))
    });
    let dcerts = dimpl_side::certs(true);
    g.bench_function("dimpl-rust-crypto", |b| {
        b.iter(|| black_box(dimpl_side::handshake(&dcerts)))
    });
    let rt = runtime();
    let wcerts = webrtc_side::certs();
    g.bench_function("webrtc-dtls", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (c, s) = webrtc_side::handshake(&wcerts).await;
                let _ = c.close().await;
                let _ = s.close().await;
            })
        })
    });
    g.finish();
}

fn records(c: &mut Criterion) {
    let data: Vec<u8> = (0..PAYLOAD).map(|i| (i * 7) as u8).collect();
    let mut g = c.benchmark_group("dtls_record_1200");

    let certs = ours::certs();
    let (mut oc, mut os) = ours::handshake(&certs);
    assert_eq!(ours::open(&mut os, &ours::seal(&mut oc, &data)), PAYLOAD);
    g.bench_function("encrypt/nutshell", |b| {
        b.iter(|| black_box(ours::seal(&mut oc, black_box(&data))))
    });
    g.bench_function("decrypt/nutshell", |b| {
        b.iter_batched(
            || ours::seal(&mut oc, &data),
            |rec| black_box(ours::open(&mut os, &rec)),
            BatchSize::SmallInput,
        )
    });

    let dcerts = dimpl_side::certs(false);
    let (mut dc, mut ds) = dimpl_side::handshake(&dcerts);
    let mut buf = vec![0u8; 4096];
    let mut buf2 = vec![0u8; 4096];
    let rec = dimpl_side::seal(&mut dc, &data, &mut buf);
    assert_eq!(dimpl_side::open(&mut ds, &rec, &mut buf2), PAYLOAD);
    g.bench_function("encrypt/dimpl-aws-lc-rs", |b| {
        b.iter(|| black_box(dimpl_side::seal(&mut dc, black_box(&data), &mut buf)))
    });
    g.bench_function("decrypt/dimpl-aws-lc-rs", |b| {
        b.iter_batched(
            || dimpl_side::seal(&mut dc, &data, &mut buf),
            |rec| black_box(dimpl_side::open(&mut ds, &rec, &mut buf2)),
            BatchSize::SmallInput,
        )
    });

    // Round trips: seal on one side, open on the other.
    g.bench_function("roundtrip/nutshell", |b| {
        b.iter(|| {
            let r = ours::seal(&mut oc, black_box(&data));
            black_box(ours::open(&mut os, &r))
        })
    });
    g.bench_function("roundtrip/dimpl-aws-lc-rs", |b| {
        b.iter(|| {
            let r = dimpl_side::seal(&mut dc, black_box(&data), &mut buf);
            black_box(dimpl_side::open(&mut ds, &r, &mut buf2))
        })
    });
    let rt = runtime();
    let wcerts = webrtc_side::certs();
    let (wc, ws) = rt.block_on(webrtc_side::handshake(&wcerts));
    let mut rbuf = vec![0u8; 4096];
    rt.block_on(async {
        wc.write(&data, None).await.unwrap();
        assert_eq!(ws.read(&mut rbuf, None).await.unwrap(), PAYLOAD);
    });
    g.bench_function("roundtrip/webrtc-dtls", |b| {
        b.iter(|| {
            rt.block_on(async {
                wc.write(black_box(&data), None).await.unwrap();
                black_box(ws.read(&mut rbuf, None).await.unwrap())
            })
        })
    });
    g.finish();
}

/// The public-key work of one handshake on `ring`, nothing else (see the module docs).
mod floor {
    use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
    use ring::rand::SystemRandom;
    use ring::signature::{self, EcdsaKeyPair, KeyPair as _};

    /// One long-term ECDSA P-256 key per side, made once like the certificates.
    pub struct Keys {
        pub client: EcdsaKeyPair,
        pub server: EcdsaKeyPair,
        pub message: Vec<u8>,
    }

    fn key(rng: &SystemRandom) -> EcdsaKeyPair {
        let alg = &signature::ECDSA_P256_SHA256_ASN1_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, rng).unwrap();
        EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), rng).unwrap()
    }

    pub fn keys() -> Keys {
        let rng = SystemRandom::new();
        Keys {
            client: key(&rng),
            server: key(&rng),
            message: (0..200).map(|i| (i * 13) as u8).collect(),
        }
    }

    fn sign_and_verify(signer: &EcdsaKeyPair, verifier_key: &[u8], message: &[u8]) {
        let rng = SystemRandom::new();
        let sig = signer.sign(&rng, message).unwrap();
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, verifier_key)
            .verify(message, sig.as_ref())
            .unwrap();
    }

    /// Returns both premaster secrets (equal), so nothing is optimised away.
    pub fn handshake(k: &Keys) -> (Vec<u8>, Vec<u8>) {
        let rng = SystemRandom::new();
        // Server: ECDHE key, ServerKeyExchange signature; client verifies it.
        let server_kx = EphemeralPrivateKey::generate(&X25519, &rng).unwrap();
        let server_pub = server_kx.compute_public_key().unwrap();
        sign_and_verify(&k.server, k.server.public_key().as_ref(), &k.message);
        // Client: ECDHE key and agreement, CertificateVerify; server verifies it and agrees.
        let client_kx = EphemeralPrivateKey::generate(&X25519, &rng).unwrap();
        let client_pub = client_kx.compute_public_key().unwrap();
        let client_secret = agreement::agree_ephemeral(
            client_kx,
            &UnparsedPublicKey::new(&X25519, server_pub.as_ref()),
            |s| s.to_vec(),
        )
        .unwrap();
        sign_and_verify(&k.client, k.client.public_key().as_ref(), &k.message);
        let server_secret = agreement::agree_ephemeral(
            server_kx,
            &UnparsedPublicKey::new(&X25519, client_pub.as_ref()),
            |s| s.to_vec(),
        )
        .unwrap();
        (client_secret, server_secret)
    }
}

fn crypto_floor(c: &mut Criterion) {
    let mut g = c.benchmark_group("dtls_crypto_floor");
    let keys = floor::keys();
    let (a, b) = floor::handshake(&keys);
    assert_eq!(a, b);
    // The handshake bench runs with the default groups, and the server picks by its own
    // order: x25519 (what the floor assumes).
    let certs = ours::certs();
    let server = dtls::Config::new(dtls::Role::Server, certs.1.clone(), [2; 32]);
    assert_eq!(
        server.groups.first(),
        Some(&dtls::crypto::NamedGroup::X25519),
        "the floor assumes x25519"
    );
    g.bench_function("ring-x25519-p256", |b| {
        b.iter(|| black_box(floor::handshake(black_box(&keys))))
    });
    g.finish();
}

criterion_group!(benches, handshake, records, crypto_floor);
criterion_main!(benches);
