//! DTLS 1.2 cryptography on `ring`: PRF, master secrets, record protection, key exchange, export.
//!
//! Everything the handshake and record layer need from cryptography lives here, as plain
//! functions and small types; none of it reads the clock, and only [`KeyExchange::generate`]
//! draws OS randomness (see there, and [`crate::Draws`] for recording and replaying it).
//!
//! # API
//! - Negotiation vocabulary: [`CipherSuite`] (the three ECDHE-ECDSA AEAD suites WebRTC uses),
//!   [`PrfHash`], [`NamedGroup`] (x25519, secp256r1).
//! - Key schedule (RFC 5246 §5, §8.1, §7.4.9; RFC 7627; RFC 5705): [`prf`] / [`prf_seeds`],
//!   [`master_secret`], [`extended_master_secret`], [`verify_data`],
//!   [`export_keying_material`], [`keylog_line`].
//! - Handshake hash: [`Transcript`] buffers the handshake messages (at most
//!   [`Transcript::MAX_LEN`] bytes) and hashes them on demand, so it can be created before the
//!   suite is known and also yields the raw messages that CertificateVerify signs.
//! - Ephemeral ECDHE (RFC 8422): [`KeyExchange::generate`] and [`KeyExchange::agree`].
//! - Record protection (RFC 5288, RFC 7905, RFC 6347 §4.1.2.1): [`RecordCipher`] seals and
//!   opens one direction in place; [`key_block`] derives both directions ([`KeyBlock`]) from
//!   the master secret (RFC 5246 §6.3).
//! - Errors: [`CryptoError`].
//!
//! # Panics
//! No function here panics on any input: lengths are checked and reported as
//! [`CryptoError`].

mod kx;
mod prf;
mod record;

pub use kx::KeyExchange;
pub use prf::{
    Transcript, export_keying_material, extended_master_secret, keylog_line, master_secret, prf,
    prf_seeds, verify_data,
};
pub use record::{KeyBlock, RecordCipher, key_block};

/// What went wrong in a cryptographic operation. Never carries key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A key or IV handed to us has the wrong length for the cipher suite.
    #[error("key or IV of the wrong length for the cipher suite")]
    BadKey,
    /// The peer's ECDHE public key is malformed, not on the curve, or yields the all-zero
    /// X25519 secret (RFC 8422 §5.11, RFC 7748 §6.1).
    #[error("bad peer public key")]
    BadPeerKey,
    /// A record failed AEAD authentication (RFC 5246 §6.2.3.3: `bad_record_mac`).
    #[error("record authentication failed")]
    Decrypt,
    /// A record fragment is shorter than the explicit nonce plus tag, or a `start` offset
    /// lies beyond the buffer.
    #[error("record fragment truncated")]
    Truncated,
    /// A plaintext fragment is longer than 2^14 bytes (RFC 5246 §6.2.1).
    #[error("record plaintext longer than 2^14 bytes")]
    RecordTooLarge,
    /// The record sequence number does not fit in 48 bits (RFC 6347 §4.1); the connection
    /// must renegotiate or close.
    #[error("record sequence number exceeds 48 bits")]
    SequenceExhausted,
    /// The handshake transcript grew beyond [`Transcript::MAX_LEN`].
    #[error("handshake transcript too large")]
    TranscriptTooLarge,
    /// The operating system's random generator or the key generation failed.
    #[error("key generation failed")]
    KeyGeneration,
    /// An algorithm we do not implement.
    #[error("unsupported algorithm")]
    Unsupported,
}

/// The hash of the TLS 1.2 PRF (RFC 5246 §5) and of the handshake hash, as fixed by the cipher
/// suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrfHash {
    /// SHA-256 (the default for TLS 1.2 suites).
    Sha256,
    /// SHA-384 (the `_SHA384` suites of RFC 5289).
    Sha384,
}

impl PrfHash {
    /// The output length of the hash in bytes (32 or 48).
    pub fn output_len(self) -> usize {
        match self {
            PrfHash::Sha256 => 32,
            PrfHash::Sha384 => 48,
        }
    }

    pub(crate) fn hmac(self) -> ring::hmac::Algorithm {
        match self {
            PrfHash::Sha256 => ring::hmac::HMAC_SHA256,
            PrfHash::Sha384 => ring::hmac::HMAC_SHA384,
        }
    }

    pub(crate) fn digest(self) -> &'static ring::digest::Algorithm {
        match self {
            PrfHash::Sha256 => &ring::digest::SHA256,
            PrfHash::Sha384 => &ring::digest::SHA384,
        }
    }
}

/// The cipher suites we negotiate: ECDHE key exchange, ECDSA authentication and an AEAD
/// record cipher, as WebRTC endpoints use them (RFC 8827 §6.5 requires
/// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CipherSuite {
    /// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0xC02B (RFC 5289 §3.2).
    EcdheEcdsaAes128GcmSha256,
    /// TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, 0xC02C (RFC 5289 §3.2).
    EcdheEcdsaAes256GcmSha384,
    /// TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 0xCCA9 (RFC 7905 §2).
    EcdheEcdsaChacha20Poly1305Sha256,
}

impl CipherSuite {
    /// Every suite we implement, in our order of preference (the order we offer them in a
    /// ClientHello).
    pub const ALL: [CipherSuite; 3] = [
        CipherSuite::EcdheEcdsaAes128GcmSha256,
        CipherSuite::EcdheEcdsaAes256GcmSha384,
        CipherSuite::EcdheEcdsaChacha20Poly1305Sha256,
    ];

    /// The two-byte identifier on the wire (RFC 5246 §7.4.1.2, IANA TLS Cipher Suites).
    pub fn id(self) -> u16 {
        match self {
            CipherSuite::EcdheEcdsaAes128GcmSha256 => 0xC02B,
            CipherSuite::EcdheEcdsaAes256GcmSha384 => 0xC02C,
            CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => 0xCCA9,
        }
    }

    /// The suite with this identifier, if we implement it.
    pub fn from_id(id: u16) -> Option<Self> {
        CipherSuite::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The PRF hash of the suite (RFC 5246 §5, RFC 5289 §3.2, RFC 7905 §2).
    pub fn prf_hash(self) -> PrfHash {
        match self {
            CipherSuite::EcdheEcdsaAes256GcmSha384 => PrfHash::Sha384,
            CipherSuite::EcdheEcdsaAes128GcmSha256
            | CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => PrfHash::Sha256,
        }
    }

    /// The IANA name of the suite, e.g. `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`.
    pub fn name(self) -> &'static str {
        match self {
            CipherSuite::EcdheEcdsaAes128GcmSha256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            CipherSuite::EcdheEcdsaAes256GcmSha384 => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => {
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
            }
        }
    }

    /// Length of the record cipher's key in bytes (`enc_key_length`, RFC 5246 §6.3).
    pub fn key_len(self) -> usize {
        match self {
            CipherSuite::EcdheEcdsaAes128GcmSha256 => 16,
            CipherSuite::EcdheEcdsaAes256GcmSha384
            | CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => 32,
        }
    }

    /// Length of the implicit ("fixed") IV in bytes (`fixed_iv_length`): 4 for GCM
    /// (RFC 5288 §3), 12 for ChaCha20-Poly1305 (RFC 7905 §2).
    pub fn fixed_iv_len(self) -> usize {
        match self {
            CipherSuite::EcdheEcdsaAes128GcmSha256 | CipherSuite::EcdheEcdsaAes256GcmSha384 => 4,
            CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => 12,
        }
    }

    pub(crate) fn aead(self) -> &'static ring::aead::Algorithm {
        match self {
            CipherSuite::EcdheEcdsaAes128GcmSha256 => &ring::aead::AES_128_GCM,
            CipherSuite::EcdheEcdsaAes256GcmSha384 => &ring::aead::AES_256_GCM,
            CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => &ring::aead::CHACHA20_POLY1305,
        }
    }
}

impl core::fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// The ECDHE groups we implement (RFC 8422 §5.1.1 `NamedCurve`, RFC 7748 for x25519).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NamedGroup {
    /// x25519, 29 (RFC 8422 §5.1.1). Preferred.
    X25519,
    /// secp256r1 (NIST P-256), 23 (RFC 8422 §5.1.1).
    Secp256r1,
    /// secp384r1 (NIST P-384), 24 (RFC 8422 §5.1.1). Offered last: listing it also tells a
    /// server that a P-384 certificate is acceptable (RFC 8422 §5.1.1).
    Secp384r1,
}

impl NamedGroup {
    /// Every group we implement, in our order of preference.
    pub const ALL: [NamedGroup; 3] = [
        NamedGroup::X25519,
        NamedGroup::Secp256r1,
        NamedGroup::Secp384r1,
    ];

    /// The two-byte identifier on the wire (`supported_groups`, ServerKeyExchange).
    pub fn id(self) -> u16 {
        match self {
            NamedGroup::X25519 => 29,
            NamedGroup::Secp256r1 => 23,
            NamedGroup::Secp384r1 => 24,
        }
    }

    /// The group with this identifier, if we implement it.
    pub fn from_id(id: u16) -> Option<Self> {
        NamedGroup::ALL.into_iter().find(|g| g.id() == id)
    }

    /// Length of a public key on the wire: 32 for x25519, 65 for an uncompressed P-256 point
    /// and 97 for P-384 (RFC 8422 §5.4.1: only the uncompressed form).
    pub fn public_key_len(self) -> usize {
        match self {
            NamedGroup::X25519 => 32,
            NamedGroup::Secp256r1 => 65,
            NamedGroup::Secp384r1 => 97,
        }
    }

    pub(crate) fn agreement(self) -> &'static ring::agreement::Algorithm {
        match self {
            NamedGroup::X25519 => &ring::agreement::X25519,
            NamedGroup::Secp256r1 => &ring::agreement::ECDH_P256,
            NamedGroup::Secp384r1 => &ring::agreement::ECDH_P384,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_ids_round_trip() {
        for s in CipherSuite::ALL {
            assert_eq!(CipherSuite::from_id(s.id()), Some(s));
            assert!(s.name().starts_with("TLS_ECDHE_ECDSA_WITH_"));
        }
        assert_eq!(CipherSuite::EcdheEcdsaAes128GcmSha256.id(), 0xC02B);
        assert_eq!(CipherSuite::EcdheEcdsaAes256GcmSha384.id(), 0xC02C);
        assert_eq!(CipherSuite::EcdheEcdsaChacha20Poly1305Sha256.id(), 0xCCA9);
        assert_eq!(CipherSuite::from_id(0x002F), None);
        assert_eq!(
            CipherSuite::EcdheEcdsaAes256GcmSha384.prf_hash(),
            PrfHash::Sha384
        );
    }

    #[test]
    fn group_ids_round_trip() {
        for g in NamedGroup::ALL {
            assert_eq!(NamedGroup::from_id(g.id()), Some(g));
        }
        assert_eq!(NamedGroup::X25519.id(), 29);
        assert_eq!(NamedGroup::Secp256r1.id(), 23);
        assert_eq!(NamedGroup::Secp384r1.id(), 24);
        assert_eq!(NamedGroup::from_id(25), None);
    }
}
