//! Certificates and signatures against OpenSSL: fixtures in `tests/data/` were made by
//! `openssl req` / `openssl dgst` (see `tests/data/README.md`), and, when the `openssl` CLI is
//! installed, our own certificate and signatures are checked by it at run time.

use nutshell_dtls::cert::{
    CertError, Certificate, Fingerprint, FingerprintAlgorithm, PeerCertificate, PublicKeyKind,
    SignatureScheme,
};

const MESSAGE: &[u8] = include_bytes!("data/message.txt");

fn fingerprint_file(text: &str) -> String {
    text.trim().to_string()
}

#[test]
fn openssl_p256_certificate_and_signature() {
    let der = include_bytes!("data/p256_cert.der");
    let peer = PeerCertificate::parse(der).unwrap();
    assert_eq!(peer.key_kind(), PublicKeyKind::EcdsaP256);
    assert_eq!(peer.der(), der);
    let sig = include_bytes!("data/p256_sha256.sig");
    peer.verify(SignatureScheme::EcdsaSecp256r1Sha256, MESSAGE, sig)
        .unwrap();
    assert_eq!(
        peer.verify(SignatureScheme::EcdsaSecp256r1Sha256, b"other", sig),
        Err(CertError::BadSignature)
    );
    // The hash is part of the scheme: the same signature under SHA-384 fails.
    assert_eq!(
        peer.verify(SignatureScheme::EcdsaSecp384r1Sha384, MESSAGE, sig),
        Err(CertError::BadSignature)
    );
    for scheme in [
        SignatureScheme::RsaPkcs1Sha256,
        SignatureScheme::RsaPssRsaeSha256,
    ] {
        assert_eq!(
            peer.verify(scheme, MESSAGE, sig),
            Err(CertError::SchemeMismatch)
        );
    }
    // Fingerprints as `openssl x509 -fingerprint` prints them.
    let fp = peer.fingerprint();
    assert_eq!(
        fp.hex_colon(),
        fingerprint_file(include_str!("data/p256_cert.sha256"))
    );
    assert_eq!(
        Fingerprint::of(FingerprintAlgorithm::Sha1, der).hex_colon(),
        fingerprint_file(include_str!("data/p256_cert.sha1"))
    );
    assert_eq!(
        Fingerprint::of(FingerprintAlgorithm::Sha512, der).hex_colon(),
        fingerprint_file(include_str!("data/p256_cert.sha512"))
    );
}

#[test]
fn openssl_p384_certificate_and_signatures() {
    let der = include_bytes!("data/p384_cert.der");
    let peer = PeerCertificate::parse(der).unwrap();
    assert_eq!(peer.key_kind(), PublicKeyKind::EcdsaP384);
    peer.verify(
        SignatureScheme::EcdsaSecp384r1Sha384,
        MESSAGE,
        include_bytes!("data/p384_sha384.sig"),
    )
    .unwrap();
    // TLS 1.2 ECDSA schemes fix the hash, not the curve.
    peer.verify(
        SignatureScheme::EcdsaSecp256r1Sha256,
        MESSAGE,
        include_bytes!("data/p384_sha256.sig"),
    )
    .unwrap();
    assert_eq!(
        peer.verify(
            SignatureScheme::EcdsaSecp256r1Sha256,
            MESSAGE,
            include_bytes!("data/p384_sha384.sig"),
        ),
        Err(CertError::BadSignature)
    );
    assert_eq!(
        peer.fingerprint().hex_colon(),
        fingerprint_file(include_str!("data/p384_cert.sha256"))
    );
}

#[test]
fn openssl_rsa_certificate_and_signatures() {
    let der = include_bytes!("data/rsa2048_cert.der");
    let peer = PeerCertificate::parse(der).unwrap();
    assert_eq!(peer.key_kind(), PublicKeyKind::Rsa);
    let cases: [(SignatureScheme, &[u8]); 6] = [
        (
            SignatureScheme::RsaPkcs1Sha256,
            include_bytes!("data/rsa2048_pkcs1_sha256.sig"),
        ),
        (
            SignatureScheme::RsaPkcs1Sha384,
            include_bytes!("data/rsa2048_pkcs1_sha384.sig"),
        ),
        (
            SignatureScheme::RsaPkcs1Sha512,
            include_bytes!("data/rsa2048_pkcs1_sha512.sig"),
        ),
        (
            SignatureScheme::RsaPssRsaeSha256,
            include_bytes!("data/rsa2048_pss_sha256.sig"),
        ),
        (
            SignatureScheme::RsaPssRsaeSha384,
            include_bytes!("data/rsa2048_pss_sha384.sig"),
        ),
        (
            SignatureScheme::RsaPssRsaeSha512,
            include_bytes!("data/rsa2048_pss_sha512.sig"),
        ),
    ];
    for (i, (scheme, sig)) in cases.iter().enumerate() {
        peer.verify(*scheme, MESSAGE, sig)
            .unwrap_or_else(|e| panic!("{scheme:?}: {e}"));
        let mut tampered = MESSAGE.to_vec();
        tampered[0] ^= 1;
        assert_eq!(
            peer.verify(*scheme, &tampered, sig),
            Err(CertError::BadSignature)
        );
        // Every other scheme rejects this signature (PKCS#1 vs PSS, hash mismatch).
        for (j, (other, _)) in cases.iter().enumerate() {
            if i != j {
                assert_eq!(
                    peer.verify(*other, MESSAGE, sig),
                    Err(CertError::BadSignature),
                    "{scheme:?} signature under {other:?}"
                );
            }
        }
    }
    assert_eq!(
        peer.verify(SignatureScheme::EcdsaSecp256r1Sha256, MESSAGE, cases[0].1),
        Err(CertError::SchemeMismatch)
    );
    assert_eq!(
        peer.fingerprint().hex_colon(),
        fingerprint_file(include_str!("data/rsa2048_cert.sha256"))
    );
}

#[test]
fn openssl_pem_identity_pkcs8_and_sec1() {
    let cert_pem = include_str!("data/p256_cert.pem");
    let der = include_bytes!("data/p256_cert.der");
    for key_pem in [
        include_str!("data/p256_key.pem"),
        include_str!("data/p256_key_sec1.pem"),
    ] {
        let cert = Certificate::from_pem(cert_pem, key_pem).unwrap();
        assert_eq!(cert.der(), der);
        let (scheme, sig) = cert.sign(MESSAGE).unwrap();
        PeerCertificate::parse(der)
            .unwrap()
            .verify(scheme, MESSAGE, &sig)
            .unwrap();
    }
    // Wrong pairings and key types.
    assert_eq!(
        Certificate::from_pem(
            include_str!("data/p384_cert.pem"),
            include_str!("data/p256_key.pem")
        )
        .err(),
        Some(CertError::KeyMismatch)
    );
    assert_eq!(
        Certificate::from_pem(
            include_str!("data/p384_cert.pem"),
            include_str!("data/p384_key.pem")
        )
        .err(),
        Some(CertError::BadKey)
    );
    assert_eq!(
        Certificate::from_pem(
            include_str!("data/rsa2048_cert.pem"),
            include_str!("data/rsa2048_key.pem")
        )
        .err(),
        Some(CertError::BadKey)
    );
    assert!(matches!(
        Certificate::from_pem("", include_str!("data/p256_key.pem")),
        Err(CertError::BadPem { .. })
    ));
    assert!(matches!(
        Certificate::from_pem(cert_pem, cert_pem),
        Err(CertError::BadPem { .. })
    ));
}

#[test]
fn keyless_certificate_for_replays() {
    let keyed = Certificate::from_pem(
        include_str!("data/p256_cert.pem"),
        include_str!("data/p256_key.pem"),
    )
    .unwrap();
    let der = include_bytes!("data/p256_cert.der");
    let keyless = Certificate::from_der_without_key(der.to_vec()).unwrap();
    assert!(keyed.has_key());
    assert!(!keyless.has_key());
    assert_eq!(keyless.der(), keyed.der());
    assert_eq!(keyless.fingerprint(), keyed.fingerprint());
    assert_eq!(
        keyless.fingerprint().to_string(),
        format!(
            "sha-256 {}",
            fingerprint_file(include_str!("data/p256_cert.sha256"))
        )
    );
    assert_eq!(keyless.sign(MESSAGE), Err(CertError::NoKey));
    assert!(keyed.sign(MESSAGE).is_ok());
    assert_eq!(keyless.key_pem(), None);
    assert!(
        keyed
            .key_pem()
            .is_some_and(|k| k.starts_with("-----BEGIN PRIVATE KEY-----"))
    );
    // Only P-256 certificates: ours never have another key.
    assert_eq!(
        Certificate::from_der_without_key(include_bytes!("data/p384_cert.der").to_vec()).err(),
        Some(CertError::UnsupportedKey)
    );
    assert_eq!(
        Certificate::from_der_without_key(der[..der.len() - 1].to_vec()).err(),
        Some(CertError::BadCertificate)
    );
}

#[test]
fn fingerprint_sdp_round_trip() {
    let cert = Certificate::generate().unwrap();
    let fp = cert.fingerprint();
    let text = fp.to_string();
    assert!(text.starts_with("sha-256 "));
    assert_eq!(text.len(), "sha-256 ".len() + 32 * 3 - 1);
    assert_eq!(text, text.to_uppercase().replacen("SHA-256", "sha-256", 1));
    assert_eq!(Fingerprint::parse_sdp(&text), Ok(fp.clone()));
    assert_eq!(Fingerprint::parse_sdp(&text.to_lowercase()), Ok(fp.clone()));
    assert_eq!(
        Fingerprint::parse_sdp(&format!("  SHA-256   {}\r\n", fp.hex_colon())),
        Ok(fp.clone())
    );
    assert_eq!(text.parse::<Fingerprint>(), Ok(fp.clone()));
    assert!(fp.matches(cert.der()));
    assert!(!fp.matches(include_bytes!("data/p256_cert.der")));
    let sha1 = Fingerprint::of(FingerprintAlgorithm::Sha1, cert.der());
    assert_eq!(Fingerprint::parse_sdp(&sha1.to_string()), Ok(sha1.clone()));
    assert!(sha1.matches(cert.der()));
    // The fixture as `openssl x509 -fingerprint` printed it, in SDP form.
    let openssl = format!(
        "sha-256 {}",
        fingerprint_file(include_str!("data/p256_cert.sha256"))
    );
    assert!(
        Fingerprint::parse_sdp(&openssl)
            .unwrap()
            .matches(include_bytes!("data/p256_cert.der"))
    );
}

#[test]
fn fingerprint_bad_inputs() {
    let good = Certificate::generate().unwrap().fingerprint().hex_colon();
    let cases: Vec<(String, CertError)> = vec![
        (String::new(), CertError::BadFingerprint),
        ("sha-256".into(), CertError::BadFingerprint),
        (
            format!("md5 {good}"),
            CertError::UnknownFingerprintAlgorithm,
        ),
        (
            format!("sha-224 {good}"),
            CertError::UnknownFingerprintAlgorithm,
        ),
        (
            format!("sha256 {good}"),
            CertError::UnknownFingerprintAlgorithm,
        ),
        // Odd digit count, bad digits, bad separators.
        (format!("sha-256 {good}0"), CertError::BadFingerprint),
        (format!("sha-256 {}", &good[1..]), CertError::BadFingerprint),
        (
            format!("sha-256 {}", good.replace(':', "")),
            CertError::BadFingerprint,
        ),
        (
            format!("sha-256 {}", good.replacen(':', "::", 1)),
            CertError::BadFingerprint,
        ),
        (format!("sha-256 {good}:"), CertError::BadFingerprint),
        (
            format!("sha-256 {}", good.replacen(':', " ", 1)),
            CertError::BadFingerprint,
        ),
        (
            format!("sha-256 G{}", &good[1..]),
            CertError::BadFingerprint,
        ),
        (
            format!("sha-256 +{}", &good[2..]),
            CertError::BadFingerprint,
        ),
        // Wrong length for the hash function.
        (
            format!("sha-256 {}", &good[3..]),
            CertError::FingerprintLength {
                expected: 32,
                actual: 31,
            },
        ),
        (
            format!("sha-1 {good}"),
            CertError::FingerprintLength {
                expected: 20,
                actual: 32,
            },
        ),
        (
            format!("sha-512 {good}"),
            CertError::FingerprintLength {
                expected: 64,
                actual: 32,
            },
        ),
    ];
    for (input, want) in cases {
        assert_eq!(Fingerprint::parse_sdp(&input), Err(want), "{input:?}");
    }
    assert!(matches!(
        Fingerprint::parse_sdp(&format!("sha-256 {}", ["AB"; 5000].join(":"))),
        Err(CertError::FingerprintLength { expected: 32, .. })
    ));
    assert_eq!(
        Fingerprint::new(FingerprintAlgorithm::Sha256, vec![0; 31]),
        Err(CertError::FingerprintLength {
            expected: 32,
            actual: 31
        })
    );
}

#[test]
fn bad_certificates_are_errors() {
    let der = include_bytes!("data/p256_cert.der");
    assert_eq!(
        PeerCertificate::parse(&[]).err(),
        Some(CertError::BadCertificate)
    );
    assert_eq!(
        PeerCertificate::parse(&der[..der.len() - 1]).err(),
        Some(CertError::BadCertificate)
    );
    let mut trailing = der.to_vec();
    trailing.push(0);
    assert_eq!(
        PeerCertificate::parse(&trailing).err(),
        Some(CertError::BadCertificate)
    );
    // Every truncation and single-byte corruption is an error or a certificate, never a
    // panic.
    for cut in 0..der.len() {
        assert!(PeerCertificate::parse(&der[..cut]).is_err());
    }
    for i in 0..der.len() {
        let mut d = der.to_vec();
        d[i] ^= 0xff;
        let _ = PeerCertificate::parse(&d);
    }
}

/// Our generated certificate and signature, checked by the OpenSSL CLI when it is installed.
#[test]
fn openssl_accepts_our_certificate_and_signature() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("openssl not installed; skipping");
        return;
    }
    let dir = std::env::temp_dir().join(format!("nutshell-dtls-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = Certificate::generate().unwrap();
    let (_, sig) = cert.sign(MESSAGE).unwrap();
    std::fs::write(dir.join("c.pem"), cert.cert_pem()).unwrap();
    std::fs::write(dir.join("k.pem"), cert.key_pem().unwrap()).unwrap();
    std::fs::write(dir.join("m.txt"), MESSAGE).unwrap();
    std::fs::write(dir.join("m.sig"), &sig).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let fp = run(&["x509", "-in", "c.pem", "-noout", "-fingerprint", "-sha256"]);
    assert!(fp.trim().ends_with(&cert.fingerprint().hex_colon()), "{fp}");
    // The private key is the certificate's (the public halves agree).
    let from_cert = run(&["x509", "-in", "c.pem", "-noout", "-pubkey"]);
    let from_key = run(&["pkey", "-in", "k.pem", "-pubout"]);
    assert_eq!(from_cert, from_key);
    run(&[
        "x509", "-in", "c.pem", "-noout", "-pubkey", "-out", "pub.pem",
    ]);
    let verified = run(&[
        "dgst",
        "-sha256",
        "-verify",
        "pub.pem",
        "-signature",
        "m.sig",
        "m.txt",
    ]);
    assert!(verified.contains("Verified OK"), "{verified}");
    let text = run(&["x509", "-in", "c.pem", "-noout", "-subject", "-dates"]);
    assert!(
        text.contains("CN = nutshell") || text.contains("CN=nutshell"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = PeerCertificate::parse(&bytes);
        }

        #[test]
        fn parse_mutated_certificate_never_panics(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            which in 0usize..3,
        ) {
            let der: &[u8] = match which {
                0 => include_bytes!("data/p256_cert.der"),
                1 => include_bytes!("data/p384_cert.der"),
                _ => include_bytes!("data/rsa2048_cert.der"),
            };
            let mut d = der.to_vec();
            for (i, v) in edits {
                let i = i % d.len();
                d[i] = v;
            }
            if let Ok(peer) = PeerCertificate::parse(&d) {
                for s in SignatureScheme::SUPPORTED {
                    let _ = peer.verify(*s, MESSAGE, &d[..64]);
                }
            }
        }

        #[test]
        fn parse_sdp_arbitrary_strings_never_panics(s in ".{0,200}") {
            let _ = Fingerprint::parse_sdp(&s);
        }

        #[test]
        fn parse_sdp_hexlike_strings_never_panics(s in "(sha-(1|256|384|512) )?[0-9a-fA-F: ]{0,200}") {
            if let Ok(fp) = Fingerprint::parse_sdp(&s) {
                prop_assert_eq!(Fingerprint::parse_sdp(&fp.to_string()), Ok(fp));
            }
        }
    }
}
