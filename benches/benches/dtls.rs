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

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const PAYLOAD: usize = 1200;

#[path = "dtls_stacks/mod.rs"]
mod stacks;
use stacks::{dimpl_side, floor, ours};

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
