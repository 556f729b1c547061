//! Ephemeral elliptic-curve Diffie-Hellman (ECDHE), RFC 8422 §5.4 and §5.10, over x25519
//! (RFC 7748) and secp256r1.

use super::{CryptoError, NamedGroup};
use ring::agreement;

/// Our half of one ECDHE exchange: an ephemeral private key, used once.
///
/// # Randomness
/// The private key comes from `ring::rand::SystemRandom`, the operating system's generator.
/// This is one of the two places where the crate takes OS randomness instead of a seeded
/// source (ECDSA signing in [`crate::cert`] is the other): `ring` seals its `SecureRandom`
/// trait, so its key generation cannot be fed from our RNG. The endpoint therefore treats
/// the results as inputs ([`crate::CryptoDraw`]): [`crate::Draws::Record`] keeps our public
/// key and the shared secret, and [`crate::Draws::Replay`] hands them back without calling
/// this type, so a recorded handshake replays byte for byte.
pub struct KeyExchange {
    group: NamedGroup,
    private: agreement::EphemeralPrivateKey,
}

impl KeyExchange {
    /// Generates an ephemeral key pair on `group` and returns it with our public key as it
    /// goes on the wire in ServerKeyExchange / ClientKeyExchange (RFC 8422 §5.4, §5.7):
    /// 32 bytes for x25519, a 65-byte uncompressed point (`0x04 || x || y`) for secp256r1.
    ///
    /// # Errors
    /// [`CryptoError::KeyGeneration`] if the OS random generator fails.
    pub fn generate(group: NamedGroup) -> Result<(KeyExchange, Vec<u8>), CryptoError> {
        let rng = ring::rand::SystemRandom::new();
        let private = agreement::EphemeralPrivateKey::generate(group.agreement(), &rng)
            .map_err(|_| CryptoError::KeyGeneration)?;
        let public = private
            .compute_public_key()
            .map_err(|_| CryptoError::KeyGeneration)?
            .as_ref()
            .to_vec();
        Ok((KeyExchange { group, private }, public))
    }

    /// The group of this exchange.
    pub fn group(&self) -> NamedGroup {
        self.group
    }

    /// Completes the exchange with the peer's public key and returns the premaster secret
    /// (RFC 8422 §5.10: the x25519 output, or the x-coordinate of the shared P-256 point, 32
    /// bytes either way). Consumes the key: ephemeral keys are used once.
    ///
    /// # Errors
    /// [`CryptoError::BadPeerKey`] if the peer's key has the wrong length, is not an
    /// uncompressed point on the curve (RFC 8422 §5.11), or gives the all-zero x25519 output
    /// of a small-order point (RFC 7748 §6.1).
    pub fn agree(self, peer_public: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if peer_public.len() != self.group.public_key_len() {
            return Err(CryptoError::BadPeerKey);
        }
        let peer = agreement::UnparsedPublicKey::new(self.group.agreement(), peer_public);
        agreement::agree_ephemeral(self.private, &peer, |secret| secret.to_vec())
            .map_err(|_| CryptoError::BadPeerKey)
    }
}

impl core::fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyExchange")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_groups_agree() {
        for group in NamedGroup::ALL {
            let (a, a_pub) = KeyExchange::generate(group).unwrap();
            let (b, b_pub) = KeyExchange::generate(group).unwrap();
            assert_eq!(a_pub.len(), group.public_key_len());
            assert_eq!(a.group(), group);
            if group != NamedGroup::X25519 {
                assert_eq!(a_pub[0], 4);
            }
            let s1 = a.agree(&b_pub).unwrap();
            let s2 = b.agree(&a_pub).unwrap();
            assert_eq!(s1, s2);
            // The x-coordinate for the NIST curves (RFC 8422 §5.10).
            let len = if group == NamedGroup::Secp384r1 {
                48
            } else {
                32
            };
            assert_eq!(s1.len(), len);
        }
    }

    #[test]
    fn bad_peer_keys_are_rejected() {
        let cases: &[(NamedGroup, Vec<u8>)] = &[
            (NamedGroup::X25519, vec![]),
            (NamedGroup::X25519, vec![9; 31]),
            (NamedGroup::X25519, vec![9; 33]),
            // Small-order points give the all-zero output (RFC 7748 §6.1).
            (NamedGroup::X25519, vec![0; 32]),
            (NamedGroup::X25519, {
                let mut p = vec![0; 32];
                p[0] = 1;
                p
            }),
            (NamedGroup::Secp256r1, vec![]),
            (NamedGroup::Secp256r1, vec![4; 64]),
            // Not on the curve.
            (NamedGroup::Secp256r1, {
                let mut p = vec![0; 65];
                p[0] = 4;
                p
            }),
            (NamedGroup::Secp256r1, {
                let mut p = vec![1; 65];
                p[0] = 4;
                p
            }),
            // Compressed form is not allowed (RFC 8422 §5.1.2).
            (NamedGroup::Secp256r1, {
                let (_, mut p) = KeyExchange::generate(NamedGroup::Secp256r1).unwrap();
                p.truncate(33);
                p[0] = 2;
                p
            }),
        ];
        for (group, key) in cases {
            let (kx, _) = KeyExchange::generate(*group).unwrap();
            assert_eq!(
                kx.agree(key),
                Err(CryptoError::BadPeerKey),
                "{group:?} {key:?}"
            );
        }
        // A valid key of the other group has the wrong length.
        let (_, x_pub) = KeyExchange::generate(NamedGroup::X25519).unwrap();
        let (p, _) = KeyExchange::generate(NamedGroup::Secp256r1).unwrap();
        assert_eq!(p.agree(&x_pub), Err(CryptoError::BadPeerKey));
    }
}
