//! The DTLS stacks the `dtls` bench and the `profile_dtls` example drive: nutshell,
//! str0m's `dimpl`, and the bare `ring` operations of a handshake (the crypto floor).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Instant;

pub mod ours {
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

pub mod dimpl_side {
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

/// The public-key work of one handshake on `ring`, nothing else (see the module docs).
pub mod floor {
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
