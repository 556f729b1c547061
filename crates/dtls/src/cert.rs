//! Certificates: our self-signed ECDSA P-256 identity ([`Certificate`]), the peer's
//! certificate ([`PeerCertificate`]), signature schemes ([`SignatureScheme`]) and the
//! certificate fingerprints that SDP carries ([`Fingerprint`], RFC 8122 §5).
//!
//! WebRTC endpoints authenticate each other by fingerprint, not by PKI (RFC 8827 §6.5,
//! RFC 5763 §5): a peer's certificate is self-signed, its chain and validity dates are
//! meaningless, and what matters is that its hash equals the `a=fingerprint` of the signaled
//! SDP and that its key signed the handshake. So [`PeerCertificate::parse`] only extracts the
//! public key, never validates a chain or dates, and never panics on any input.

use std::sync::Arc;

use ring::signature::{self, KeyPair as _};

/// What went wrong with a certificate, key, signature or fingerprint. Never carries key
/// material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Generating our key pair or self-signed certificate failed.
    #[error("certificate generation failed")]
    Generate,
    /// The private key is not an ECDSA P-256 key in PKCS#8 or SEC1 form.
    #[error("private key is not a usable ECDSA P-256 key")]
    BadKey,
    /// The certificate's public key is not the public half of the private key given with it.
    #[error("certificate does not match the private key")]
    KeyMismatch,
    /// The PEM text has no block of the expected kind, or bad base64.
    #[error("bad PEM: no {expected} block")]
    BadPem {
        /// The PEM label(s) looked for.
        expected: &'static str,
    },
    /// The bytes are not a DER X.509 certificate (or have trailing bytes after it).
    #[error("malformed X.509 certificate")]
    BadCertificate,
    /// The certificate's key is not an uncompressed EC P-256/P-384 point or an RSA key.
    #[error("unsupported public key type in certificate")]
    UnsupportedKey,
    /// The signature scheme does not fit the certificate's key (e.g. an RSA scheme with an
    /// EC key).
    #[error("signature scheme does not match the certificate key")]
    SchemeMismatch,
    /// The signature did not verify.
    #[error("bad signature")]
    BadSignature,
    /// Signing failed (the OS random generator failed).
    #[error("signing failed")]
    Signing,
    /// The certificate has no private key ([`Certificate::from_der_without_key`]), so it
    /// cannot sign.
    #[error("certificate has no private key")]
    NoKey,
    /// The fingerprint's hash function is unknown or one we do not implement
    /// (`md5`, `md2`, `sha-224`).
    #[error("unsupported fingerprint hash function")]
    UnknownFingerprintAlgorithm,
    /// The fingerprint is not `hash-func SP XX:XX:…` with two hex digits per byte.
    #[error("malformed fingerprint")]
    BadFingerprint,
    /// The fingerprint has the wrong number of bytes for its hash function.
    #[error("fingerprint has {actual} bytes, its hash function needs {expected}")]
    FingerprintLength {
        /// The hash function's output length.
        expected: usize,
        /// Bytes in the fingerprint.
        actual: usize,
    },
}

// ---------------------------------------------------------------------------------------------
// Signature schemes
// ---------------------------------------------------------------------------------------------

/// A TLS signature scheme (RFC 8446 §4.2.3 names; in TLS 1.2 terms a
/// `SignatureAndHashAlgorithm` pair, RFC 5246 §7.4.1.4.1, with the same code points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// ecdsa_secp256r1_sha256, 0x0403 (TLS 1.2: ECDSA with SHA-256, any curve).
    EcdsaSecp256r1Sha256,
    /// ecdsa_secp384r1_sha384, 0x0503 (TLS 1.2: ECDSA with SHA-384, any curve).
    EcdsaSecp384r1Sha384,
    /// rsa_pkcs1_sha256, 0x0401.
    RsaPkcs1Sha256,
    /// rsa_pkcs1_sha384, 0x0501.
    RsaPkcs1Sha384,
    /// rsa_pkcs1_sha512, 0x0601.
    RsaPkcs1Sha512,
    /// rsa_pss_rsae_sha256, 0x0804 (RFC 8446 §4.2.3, usable in TLS 1.2 per RFC 8446 §1.3).
    RsaPssRsaeSha256,
    /// rsa_pss_rsae_sha384, 0x0805.
    RsaPssRsaeSha384,
    /// rsa_pss_rsae_sha512, 0x0806.
    RsaPssRsaeSha512,
}

impl SignatureScheme {
    /// The schemes we verify, in the order we advertise them in `signature_algorithms`
    /// (RFC 5246 §7.4.1.4.1) and CertificateRequest: ECDSA first (what WebRTC peers use),
    /// then RSA-PSS, then RSA PKCS#1 v1.5.
    pub const SUPPORTED: &'static [SignatureScheme] = &[
        SignatureScheme::EcdsaSecp256r1Sha256,
        SignatureScheme::EcdsaSecp384r1Sha384,
        SignatureScheme::RsaPssRsaeSha256,
        SignatureScheme::RsaPssRsaeSha384,
        SignatureScheme::RsaPssRsaeSha512,
        SignatureScheme::RsaPkcs1Sha256,
        SignatureScheme::RsaPkcs1Sha384,
        SignatureScheme::RsaPkcs1Sha512,
    ];

    /// The two-byte code point on the wire (hash byte, signature byte in TLS 1.2 terms).
    pub fn id(self) -> u16 {
        match self {
            SignatureScheme::EcdsaSecp256r1Sha256 => 0x0403,
            SignatureScheme::EcdsaSecp384r1Sha384 => 0x0503,
            SignatureScheme::RsaPkcs1Sha256 => 0x0401,
            SignatureScheme::RsaPkcs1Sha384 => 0x0501,
            SignatureScheme::RsaPkcs1Sha512 => 0x0601,
            SignatureScheme::RsaPssRsaeSha256 => 0x0804,
            SignatureScheme::RsaPssRsaeSha384 => 0x0805,
            SignatureScheme::RsaPssRsaeSha512 => 0x0806,
        }
    }

    /// The scheme with this code point, if we implement it.
    pub fn from_id(id: u16) -> Option<Self> {
        SignatureScheme::SUPPORTED
            .iter()
            .copied()
            .find(|s| s.id() == id)
    }

    /// The `ring` verification algorithm for this scheme with a key of `kind`, or `None` if
    /// they do not fit. In TLS 1.2 an ECDSA scheme fixes only the hash, not the curve
    /// (RFC 5246 §7.4.1.4.1), so SHA-256 with a P-384 key and SHA-384 with a P-256 key are
    /// accepted too.
    fn verification(
        self,
        kind: PublicKeyKind,
    ) -> Option<&'static dyn signature::VerificationAlgorithm> {
        use PublicKeyKind as K;
        use SignatureScheme as S;
        Some(match (self, kind) {
            (S::EcdsaSecp256r1Sha256, K::EcdsaP256) => &signature::ECDSA_P256_SHA256_ASN1,
            (S::EcdsaSecp256r1Sha256, K::EcdsaP384) => &signature::ECDSA_P384_SHA256_ASN1,
            (S::EcdsaSecp384r1Sha384, K::EcdsaP256) => &signature::ECDSA_P256_SHA384_ASN1,
            (S::EcdsaSecp384r1Sha384, K::EcdsaP384) => &signature::ECDSA_P384_SHA384_ASN1,
            (S::RsaPkcs1Sha256, K::Rsa) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (S::RsaPkcs1Sha384, K::Rsa) => &signature::RSA_PKCS1_2048_8192_SHA384,
            (S::RsaPkcs1Sha512, K::Rsa) => &signature::RSA_PKCS1_2048_8192_SHA512,
            (S::RsaPssRsaeSha256, K::Rsa) => &signature::RSA_PSS_2048_8192_SHA256,
            (S::RsaPssRsaeSha384, K::Rsa) => &signature::RSA_PSS_2048_8192_SHA384,
            (S::RsaPssRsaeSha512, K::Rsa) => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Fingerprints
// ---------------------------------------------------------------------------------------------

/// A hash function of a certificate fingerprint (RFC 8122 §5 `hash-func`), those `ring`
/// implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FingerprintAlgorithm {
    /// `sha-1` (legacy; RFC 8122 §5 says SHA-256 or stronger should be used).
    Sha1,
    /// `sha-256`, what we produce and every browser signals.
    Sha256,
    /// `sha-384`.
    Sha384,
    /// `sha-512`.
    Sha512,
}

impl FingerprintAlgorithm {
    /// The name in SDP's `a=fingerprint` (RFC 8122 §5, IANA "Hash Function Textual Names").
    pub fn sdp_name(self) -> &'static str {
        match self {
            FingerprintAlgorithm::Sha1 => "sha-1",
            FingerprintAlgorithm::Sha256 => "sha-256",
            FingerprintAlgorithm::Sha384 => "sha-384",
            FingerprintAlgorithm::Sha512 => "sha-512",
        }
    }

    /// The algorithm with this SDP name, compared case-insensitively.
    pub fn from_sdp_name(name: &str) -> Option<Self> {
        [
            FingerprintAlgorithm::Sha1,
            FingerprintAlgorithm::Sha256,
            FingerprintAlgorithm::Sha384,
            FingerprintAlgorithm::Sha512,
        ]
        .into_iter()
        .find(|a| a.sdp_name().eq_ignore_ascii_case(name))
    }

    /// Length of the hash in bytes.
    pub fn output_len(self) -> usize {
        self.digest().output_len()
    }

    fn digest(self) -> &'static ring::digest::Algorithm {
        match self {
            FingerprintAlgorithm::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            FingerprintAlgorithm::Sha256 => &ring::digest::SHA256,
            FingerprintAlgorithm::Sha384 => &ring::digest::SHA384,
            FingerprintAlgorithm::Sha512 => &ring::digest::SHA512,
        }
    }
}

/// A certificate fingerprint: a hash of the certificate's DER encoding, as carried by SDP's
/// `a=fingerprint:sha-256 AB:CD:…` (RFC 8122 §5, RFC 8827 §6.5).
///
/// `Display` gives the SDP attribute value, uppercase hex (`sha-256 AB:CD:…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    algorithm: FingerprintAlgorithm,
    bytes: Vec<u8>,
}

impl Fingerprint {
    /// The fingerprint of a DER certificate with `algorithm`.
    pub fn of(algorithm: FingerprintAlgorithm, der: &[u8]) -> Self {
        Fingerprint {
            algorithm,
            bytes: ring::digest::digest(algorithm.digest(), der)
                .as_ref()
                .to_vec(),
        }
    }

    /// The SHA-256 fingerprint of a DER certificate.
    pub fn sha256(der: &[u8]) -> Self {
        Fingerprint::of(FingerprintAlgorithm::Sha256, der)
    }

    /// A fingerprint from its hash function and bytes.
    ///
    /// # Errors
    /// [`CertError::FingerprintLength`] if `bytes` is not the hash's length.
    pub fn new(algorithm: FingerprintAlgorithm, bytes: Vec<u8>) -> Result<Self, CertError> {
        let expected = algorithm.output_len();
        if bytes.len() != expected {
            return Err(CertError::FingerprintLength {
                expected,
                actual: bytes.len(),
            });
        }
        Ok(Fingerprint { algorithm, bytes })
    }

    /// Parses the value of an SDP `a=fingerprint` attribute, RFC 8122 §5:
    /// `hash-func SP fingerprint`, e.g. `sha-256 AB:CD:…`. The hash function name and the
    /// hex digits are case-insensitive; surrounding whitespace is ignored.
    ///
    /// # Errors
    /// [`CertError::UnknownFingerprintAlgorithm`] for a hash function we do not implement,
    /// [`CertError::BadFingerprint`] if the hex is malformed (not pairs of hex digits
    /// separated by single colons), [`CertError::FingerprintLength`] if the byte count does
    /// not fit the hash function.
    pub fn parse_sdp(value: &str) -> Result<Self, CertError> {
        let value = value.trim();
        let (name, hex) = value
            .split_once(|c: char| c.is_ascii_whitespace())
            .ok_or(CertError::BadFingerprint)?;
        let algorithm = FingerprintAlgorithm::from_sdp_name(name)
            .ok_or(CertError::UnknownFingerprintAlgorithm)?;
        let mut bytes = Vec::with_capacity(64);
        for pair in hex.trim_start().split(':') {
            let p = pair.as_bytes();
            let (Some(&hi), Some(&lo), 2) = (p.first(), p.get(1), p.len()) else {
                return Err(CertError::BadFingerprint);
            };
            let digit = |c: u8| char::from(c).to_digit(16).ok_or(CertError::BadFingerprint);
            let byte = digit(hi)? * 16 + digit(lo)?;
            bytes.push(u8::try_from(byte).map_err(|_| CertError::BadFingerprint)?);
            if bytes.len() > 64 {
                break;
            }
        }
        Fingerprint::new(algorithm, bytes)
    }

    /// The hash function.
    pub fn algorithm(&self) -> FingerprintAlgorithm {
        self.algorithm
    }

    /// The hash bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether `der` hashes to this fingerprint (RFC 8122 §5; RFC 5763 §5: the check that
    /// authenticates a WebRTC peer).
    pub fn matches(&self, der: &[u8]) -> bool {
        ring::digest::digest(self.algorithm.digest(), der).as_ref() == self.bytes.as_slice()
    }

    /// The hash bytes as uppercase hex pairs joined by colons, `AB:CD:…`.
    pub fn hex_colon(&self) -> String {
        use core::fmt::Write as _;
        let mut s = String::with_capacity(self.bytes.len() * 3);
        for (i, b) in self.bytes.iter().enumerate() {
            if i > 0 {
                s.push(':');
            }
            // Writing to a String cannot fail.
            let _ = write!(s, "{b:02X}");
        }
        s
    }
}

impl core::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}", self.algorithm.sdp_name(), self.hex_colon())
    }
}

impl core::str::FromStr for Fingerprint {
    type Err = CertError;

    fn from_str(s: &str) -> Result<Self, CertError> {
        Fingerprint::parse_sdp(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Our certificate
// ---------------------------------------------------------------------------------------------

/// Our identity: a self-signed X.509 certificate with an ECDSA P-256 key, as WebRTC
/// endpoints use (RFC 8827 §6.5). Generate one per endpoint (or per `RTCCertificate`) and
/// reuse it; cloning is cheap (the key is shared behind an `Arc`).
///
/// A certificate may also be keyless ([`Certificate::from_der_without_key`]): enough to
/// replay a recorded handshake ([`crate::Draws::Replay`]), which takes its signatures from
/// the recording, without ever holding the long-term private key.
///
/// `Debug` shows only the fingerprint; the private key is never printed.
#[derive(Clone)]
pub struct Certificate {
    inner: Arc<Inner>,
}

struct Inner {
    der: Vec<u8>,
    /// The private key, in PKCS#8 and as `ring` uses it; `None` for a keyless certificate.
    key: Option<PrivateKey>,
    fingerprint: Fingerprint,
}

struct PrivateKey {
    pkcs8: Vec<u8>,
    pair: signature::EcdsaKeyPair,
}

/// DER of `AlgorithmIdentifier { id-ecPublicKey, prime256v1 }` (RFC 5480 §2.1.1).
const EC_P256_ALGORITHM: &[u8] = &[
    0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x03, 0x01, 0x07,
];

impl Certificate {
    /// Generates a fresh ECDSA P-256 key pair and a self-signed certificate for it
    /// (CN "nutshell", serial derived from the public key).
    ///
    /// No clock is read: the validity is fixed, 2000-01-01 to 2049-12-31. WebRTC peers do
    /// not check validity dates (the certificate is pinned by fingerprint), and a fixed range
    /// keeps this crate free of wall-clock input. The key comes from the OS random
    /// generator (`ring::rand::SystemRandom`).
    ///
    /// # Errors
    /// [`CertError::Generate`] if key generation or signing fails.
    pub fn generate() -> Result<Self, CertError> {
        let key_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|_| CertError::Generate)?;
        let mut params = rcgen::CertificateParams::default();
        let mut name = rcgen::DistinguishedName::new();
        name.push(rcgen::DnType::CommonName, "nutshell");
        params.distinguished_name = name;
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2049, 12, 31);
        let cert = params
            .self_signed(&key_pair)
            .map_err(|_| CertError::Generate)?;
        let der: &[u8] = cert.der();
        Certificate::from_der(der.to_vec(), &key_pair.serialize_der())
    }

    /// Our certificate from its DER encoding and its ECDSA P-256 private key in PKCS#8 DER
    /// (RFC 5208 / RFC 5958; the inner key as RFC 5915 with the public key included, as
    /// OpenSSL and rcgen write it).
    ///
    /// # Errors
    /// [`CertError::BadKey`] if the key is not such a P-256 key, [`CertError::BadCertificate`]
    /// if the certificate does not parse, [`CertError::KeyMismatch`] if it carries another
    /// public key.
    pub fn from_der(cert_der: Vec<u8>, pkcs8_key_der: &[u8]) -> Result<Self, CertError> {
        let rng = ring::rand::SystemRandom::new();
        let key = signature::EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            pkcs8_key_der,
            &rng,
        )
        .map_err(|_| CertError::BadKey)?;
        let peer = PeerCertificate::parse(&cert_der)?;
        if peer.kind != PublicKeyKind::EcdsaP256 || peer.key != key.public_key().as_ref() {
            return Err(CertError::KeyMismatch);
        }
        Ok(Certificate {
            inner: Arc::new(Inner {
                fingerprint: peer.fingerprint,
                der: cert_der,
                key: Some(PrivateKey {
                    pkcs8: pkcs8_key_der.to_vec(),
                    pair: key,
                }),
            }),
        })
    }

    /// A certificate without its private key, from its DER encoding: it has a fingerprint
    /// and goes into the Certificate message, but [`Certificate::sign`] fails with
    /// [`CertError::NoKey`]. For replaying a recorded handshake ([`crate::Draws::Replay`]),
    /// whose signatures come from the recording, so recordings never need the long-term key.
    ///
    /// # Errors
    /// [`CertError::BadCertificate`] if the certificate does not parse,
    /// [`CertError::UnsupportedKey`] if its key is not an ECDSA P-256 key (the only kind our
    /// certificates have).
    pub fn from_der_without_key(der: Vec<u8>) -> Result<Self, CertError> {
        let peer = PeerCertificate::parse(&der)?;
        if peer.kind != PublicKeyKind::EcdsaP256 {
            return Err(CertError::UnsupportedKey);
        }
        Ok(Certificate {
            inner: Arc::new(Inner {
                fingerprint: peer.fingerprint,
                der,
                key: None,
            }),
        })
    }

    /// Whether the certificate holds its private key (false for
    /// [`Certificate::from_der_without_key`]).
    pub fn has_key(&self) -> bool {
        self.inner.key.is_some()
    }

    /// Our certificate from PEM text, as `openssl req -x509 -newkey ec -pkeyopt
    /// ec_paramgen_curve:P-256 ...` writes it: the first `CERTIFICATE` block of `cert_pem`,
    /// and the first `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1, RFC 5915) block of
    /// `key_pem`.
    ///
    /// # Errors
    /// [`CertError::BadPem`] if a block is missing or malformed, otherwise as
    /// [`Certificate::from_der`].
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, CertError> {
        let cert = pem_block(cert_pem, &["CERTIFICATE"]).ok_or(CertError::BadPem {
            expected: "CERTIFICATE",
        })?;
        let (label, key) = pem_block_labelled(key_pem, &["PRIVATE KEY", "EC PRIVATE KEY"]).ok_or(
            CertError::BadPem {
                expected: "PRIVATE KEY or EC PRIVATE KEY",
            },
        )?;
        let pkcs8 = if label == "EC PRIVATE KEY" {
            sec1_to_pkcs8(&key)
        } else {
            key
        };
        Certificate::from_der(cert, &pkcs8)
    }

    /// The certificate's DER encoding, as sent in the Certificate message (RFC 5246 §7.4.2).
    pub fn der(&self) -> &[u8] {
        &self.inner.der
    }

    /// The SHA-256 fingerprint, for `a=fingerprint` in our SDP.
    pub fn fingerprint(&self) -> Fingerprint {
        self.inner.fingerprint.clone()
    }

    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`), e.g. for
    /// `openssl s_client -cert`.
    pub fn cert_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.inner.der)
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), e.g. for
    /// `openssl s_client -key`; `None` for a keyless certificate. This is secret: write it
    /// only where the user asked for it.
    pub fn key_pem(&self) -> Option<String> {
        self.inner
            .key
            .as_ref()
            .map(|k| pem_encode("PRIVATE KEY", &k.pkcs8))
    }

    /// Signs `message` (ServerKeyExchange params, RFC 8422 §5.4; or the handshake messages
    /// in CertificateVerify, RFC 5246 §7.4.8) with our key: ECDSA P-256 with SHA-256, the
    /// signature ASN.1 DER encoded (RFC 8422 §5.4). Returns the scheme to put next to it.
    ///
    /// # Errors
    /// [`CertError::NoKey`] for a keyless certificate, [`CertError::Signing`] if the OS
    /// random generator fails (ECDSA needs a nonce).
    pub fn sign(&self, message: &[u8]) -> Result<(SignatureScheme, Vec<u8>), CertError> {
        let key = self.inner.key.as_ref().ok_or(CertError::NoKey)?;
        let rng = ring::rand::SystemRandom::new();
        let sig = key
            .pair
            .sign(&rng, message)
            .map_err(|_| CertError::Signing)?;
        Ok((SignatureScheme::EcdsaSecp256r1Sha256, sig.as_ref().to_vec()))
    }
}

impl core::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Certificate")
            .field("fingerprint", &format_args!("{}", self.inner.fingerprint))
            .field("has_key", &self.has_key())
            .finish_non_exhaustive()
    }
}

/// Wraps an RFC 5915 `ECPrivateKey` (OpenSSL's "EC PRIVATE KEY") as a PKCS#8
/// `PrivateKeyInfo` for P-256 (RFC 5208 §5): `SEQUENCE { INTEGER 0, AlgorithmIdentifier,
/// OCTET STRING ecPrivateKey }`. A key of another curve is refused later by `ring`.
fn sec1_to_pkcs8(sec1: &[u8]) -> Vec<u8> {
    let mut body = vec![0x02, 0x01, 0x00];
    body.extend_from_slice(EC_P256_ALGORITHM);
    der_tlv(&mut body, 0x04, sec1);
    let mut out = Vec::with_capacity(body.len() + 4);
    der_tlv(&mut out, 0x30, &body);
    out
}

/// Appends a DER tag-length-value (X.690 §8.1.3 definite length).
fn der_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.extend_from_slice(&[len as u8]);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
}

fn pem_block(text: &str, labels: &[&str]) -> Option<Vec<u8>> {
    pem_block_labelled(text, labels).map(|(_, der)| der)
}

/// The first PEM block whose label is one of `labels` (RFC 7468), decoded.
fn pem_block_labelled(text: &str, labels: &[&str]) -> Option<(String, Vec<u8>)> {
    x509_parser::pem::Pem::iter_from_buffer(text.as_bytes())
        .map_while(Result::ok)
        .find(|p| labels.contains(&p.label.as_str()))
        .map(|p| (p.label, p.contents))
}

/// PEM encoding (RFC 7468 §2): base64 in 64-column lines between BEGIN and END lines, with
/// `\n` line ends (the `pem` crate, already in the tree through rcgen).
fn pem_encode(label: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(label, der.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

// ---------------------------------------------------------------------------------------------
// The peer's certificate
// ---------------------------------------------------------------------------------------------

/// The kind of public key in a [`PeerCertificate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PublicKeyKind {
    /// EC key on secp256r1 (RFC 5480).
    EcdsaP256,
    /// EC key on secp384r1 (RFC 5480).
    EcdsaP384,
    /// RSA key (RFC 8017 `RSAPublicKey`); `ring` verifies 2048 to 8192 bits.
    Rsa,
}

/// The peer's certificate (the first entry of its Certificate message, RFC 5246 §7.4.2),
/// reduced to what DTLS-SRTP needs: its DER (for the fingerprint check) and its public key
/// (to verify ServerKeyExchange or CertificateVerify signatures).
///
/// Chain, issuer and validity dates are deliberately not checked (RFC 8827 §6.5: WebRTC
/// certificates are self-signed and pinned by the signaled fingerprint).
#[derive(Clone)]
pub struct PeerCertificate {
    der: Vec<u8>,
    kind: PublicKeyKind,
    /// The uncompressed EC point, or the DER `RSAPublicKey`, as `ring` takes them.
    key: Vec<u8>,
    fingerprint: Fingerprint,
}

/// DER contents of the OIDs we recognise (RFC 5480 §2.1.1, RFC 8017 App. C).
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

impl PeerCertificate {
    /// Parses a DER X.509 certificate (RFC 5280 §4.1) and extracts its
    /// SubjectPublicKeyInfo: an uncompressed EC point on P-256 or P-384 (RFC 5480 §2), or
    /// an RSA key (the `RSAPublicKey` inside the BIT STRING, RFC 8017 §A.1.1).
    ///
    /// # Errors
    /// [`CertError::BadCertificate`] if the bytes are not exactly one DER certificate,
    /// [`CertError::UnsupportedKey`] for any other key type or point form. Never panics.
    pub fn parse(der: &[u8]) -> Result<Self, CertError> {
        let (rest, cert) =
            x509_parser::parse_x509_certificate(der).map_err(|_| CertError::BadCertificate)?;
        if !rest.is_empty() {
            return Err(CertError::BadCertificate);
        }
        let spki = cert.public_key();
        let algorithm = spki.algorithm.algorithm.as_bytes();
        let point: &[u8] = &spki.subject_public_key.data;
        let (kind, key) = if algorithm == OID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .ok_or(CertError::UnsupportedKey)?;
            let (kind, len) = match curve.as_bytes() {
                OID_P256 => (PublicKeyKind::EcdsaP256, 65),
                OID_P384 => (PublicKeyKind::EcdsaP384, 97),
                _ => return Err(CertError::UnsupportedKey),
            };
            if point.len() != len || point.first() != Some(&0x04) {
                return Err(CertError::UnsupportedKey);
            }
            (kind, point.to_vec())
        } else if algorithm == OID_RSA_ENCRYPTION {
            match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(_)) => {}
                _ => return Err(CertError::BadCertificate),
            }
            (PublicKeyKind::Rsa, point.to_vec())
        } else {
            return Err(CertError::UnsupportedKey);
        };
        Ok(PeerCertificate {
            der: der.to_vec(),
            kind,
            key,
            fingerprint: Fingerprint::sha256(der),
        })
    }

    /// Verifies `signature` over `message` with the certificate's key under `scheme`
    /// (ServerKeyExchange, RFC 8422 §5.4; CertificateVerify, RFC 5246 §7.4.8). ECDSA
    /// signatures are ASN.1 DER (RFC 8422 §5.4); RSA-PSS uses a salt as long as the hash
    /// (RFC 8446 §4.2.3).
    ///
    /// # Errors
    /// [`CertError::SchemeMismatch`] if the scheme does not fit the key type,
    /// [`CertError::BadSignature`] if verification fails (including RSA keys outside
    /// 2048..=8192 bits).
    pub fn verify(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CertError> {
        let algorithm = scheme
            .verification(self.kind)
            .ok_or(CertError::SchemeMismatch)?;
        signature::UnparsedPublicKey::new(algorithm, &self.key)
            .verify(message, signature)
            .map_err(|_| CertError::BadSignature)
    }

    /// The certificate's DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate's SHA-256 fingerprint. To check against a signaled fingerprint of
    /// any hash function, use [`Fingerprint::matches`] with [`PeerCertificate::der`].
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint.clone()
    }

    /// The kind of public key the certificate carries.
    pub fn key_kind(&self) -> PublicKeyKind {
        self.kind
    }
}

impl core::fmt::Debug for PeerCertificate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PeerCertificate")
            .field("kind", &self.kind)
            .field("fingerprint", &format_args!("{}", self.fingerprint))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_sign_verify() {
        let cert = Certificate::generate().unwrap();
        let (scheme, sig) = cert.sign(b"params").unwrap();
        assert_eq!(scheme, SignatureScheme::EcdsaSecp256r1Sha256);
        let peer = PeerCertificate::parse(cert.der()).unwrap();
        assert_eq!(peer.key_kind(), PublicKeyKind::EcdsaP256);
        assert_eq!(peer.fingerprint(), cert.fingerprint());
        assert!(cert.fingerprint().matches(cert.der()));
        peer.verify(scheme, b"params", &sig).unwrap();
        assert_eq!(
            peer.verify(scheme, b"paramz", &sig),
            Err(CertError::BadSignature)
        );
        assert_eq!(
            peer.verify(SignatureScheme::RsaPkcs1Sha256, b"params", &sig),
            Err(CertError::SchemeMismatch)
        );
        // Debug shows neither key nor DER.
        let dbg = format!("{cert:?}");
        assert!(dbg.contains("sha-256"));
        assert!(!dbg.contains("PRIVATE"));
    }

    #[test]
    fn pem_round_trip() {
        let cert = Certificate::generate().unwrap();
        let key_pem = cert.key_pem().unwrap();
        let again = Certificate::from_pem(&cert.cert_pem(), &key_pem).unwrap();
        assert_eq!(again.der(), cert.der());
        assert_eq!(again.fingerprint(), cert.fingerprint());
        let other = Certificate::generate().unwrap();
        assert_eq!(
            Certificate::from_pem(&cert.cert_pem(), &other.key_pem().unwrap()).err(),
            Some(CertError::KeyMismatch)
        );
        assert!(matches!(
            Certificate::from_pem(&key_pem, &key_pem),
            Err(CertError::BadPem { .. })
        ));
    }

    #[test]
    fn keyless_certificate() {
        let cert = Certificate::generate().unwrap();
        let keyless = Certificate::from_der_without_key(cert.der().to_vec()).unwrap();
        assert!(cert.has_key());
        assert!(!keyless.has_key());
        assert_eq!(keyless.der(), cert.der());
        assert_eq!(keyless.fingerprint(), cert.fingerprint());
        assert_eq!(keyless.sign(b"params"), Err(CertError::NoKey));
        assert_eq!(keyless.key_pem(), None);
        assert_eq!(keyless.cert_pem(), cert.cert_pem());
        assert!(format!("{keyless:?}").contains("has_key: false"));
        assert_eq!(
            Certificate::from_der_without_key(b"not a certificate".to_vec()).err(),
            Some(CertError::BadCertificate)
        );
    }

    #[test]
    fn base64_lengths() {
        for (der, want) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ] {
            let pem = pem_encode("X", der);
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            assert_eq!(body, want, "RFC 4648 §10 vector");
        }
        let long = pem_encode("X", &[0xff; 100]);
        assert!(long.lines().all(|l| l.len() <= 64));
    }

    #[test]
    fn der_lengths() {
        let mut v = Vec::new();
        der_tlv(&mut v, 4, &[0; 0x7f]);
        assert_eq!(&v[..2], &[4, 0x7f]);
        v.clear();
        der_tlv(&mut v, 4, &[0; 0x80]);
        assert_eq!(&v[..3], &[4, 0x81, 0x80]);
        v.clear();
        der_tlv(&mut v, 4, &[0; 0x1234]);
        assert_eq!(&v[..4], &[4, 0x82, 0x12, 0x34]);
    }

    #[test]
    fn scheme_ids() {
        for s in SignatureScheme::SUPPORTED {
            assert_eq!(SignatureScheme::from_id(s.id()), Some(*s));
        }
        assert_eq!(SignatureScheme::from_id(0x0807), None);
    }
}
