//! Credentials: the HMAC key of MESSAGE-INTEGRITY(-SHA256), with the keyed state precomputed.

use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A STUN integrity key with its HMAC-SHA1 and HMAC-SHA256 states already keyed, so checking
/// a message costs only the hashing of the message itself (RFC 8489 §9).
///
/// Build one per credential and keep it: [`Key::short_term`] for ICE, [`Key::long_term`] for
/// TURN. Passwords must already be prepared (OpaqueString / SASLprep, RFC 8265); this crate
/// does not implement Unicode normalization. `Debug` never shows the key.
#[derive(Clone)]
pub struct Key {
    sha1: Hmac<Sha1>,
    sha256: Hmac<Sha256>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// A key from raw bytes.
    pub fn from_bytes(key: &[u8]) -> Key {
        #[allow(clippy::expect_used)]
        Key {
            // HMAC accepts keys of any length (longer ones are hashed), so these cannot fail.
            sha1: Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length"),
            sha256: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length"),
        }
    }

    /// Short-term credential (ICE): the key is the password itself (RFC 8489 §9.1.1).
    pub fn short_term(password: &str) -> Key {
        Key::from_bytes(password.as_bytes())
    }

    /// Long-term credential (TURN) with the default algorithm:
    /// `MD5(username ":" realm ":" password)` (RFC 8489 §9.2.2).
    pub fn long_term(username: &str, realm: &str, password: &str) -> Key {
        let mut h = Md5::new();
        for part in [username, ":", realm, ":", password] {
            h.update(part.as_bytes());
        }
        Key::from_bytes(&h.finalize())
    }

    /// Long-term credential with PASSWORD-ALGORITHM SHA-256:
    /// `SHA-256(username ":" realm ":" password)` (RFC 8489 §9.2.2).
    pub fn long_term_sha256(username: &str, realm: &str, password: &str) -> Key {
        let mut h = Sha256::new();
        for part in [username, ":", realm, ":", password] {
            h.update(part.as_bytes());
        }
        Key::from_bytes(&h.finalize())
    }

    pub(crate) fn sha1(&self) -> &Hmac<Sha1> {
        &self.sha1
    }

    pub(crate) fn sha256(&self) -> &Hmac<Sha256> {
        &self.sha256
    }
}
