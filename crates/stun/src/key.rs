//! Credentials: the HMAC key of MESSAGE-INTEGRITY(-SHA256), with the keyed state precomputed.

use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha1::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};

/// SHA-1 initial state (FIPS 180-4 §5.3.1).
const SHA1_INIT: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

#[inline(always)]
fn compress(state: &mut [u32; 5], block: &[u8; 64]) {
    sha1::compress(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

/// HMAC-SHA1 (RFC 2104) with the key's inner and outer SHA-1 states computed once per
/// credential.
///
/// Every ICE connectivity check pays for one of these, so it drives RustCrypto's SHA-1
/// compression function (which uses the CPU's SHA instructions when present) directly,
/// streaming the message through one 64-byte stack block. Measured here against
/// `hmac::Hmac<Sha1>` with a cloned pre-keyed state: about 10% faster (155 ns against 172 ns
/// for a 60-byte message); `ring`'s HMAC-SHA1 does not use the SHA instructions and is several
/// times slower on this kind of CPU.
#[derive(Clone)]
pub(crate) struct HmacSha1 {
    inner: [u32; 5],
    outer: [u32; 5],
}

impl HmacSha1 {
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            // Keys longer than a block are hashed first (RFC 2104 §2).
            for (d, s) in k.iter_mut().zip(Sha1::digest(key)) {
                *d = s;
            }
        } else {
            for (d, s) in k.iter_mut().zip(key) {
                *d = *s;
            }
        }
        let ipad = k.map(|b| b ^ 0x36);
        let opad = k.map(|b| b ^ 0x5c);
        let mut inner = SHA1_INIT;
        compress(&mut inner, &ipad);
        let mut outer = SHA1_INIT;
        compress(&mut outer, &opad);
        HmacSha1 { inner, outer }
    }

    /// The MAC of the concatenation of `parts`.
    #[inline]
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 20] {
        let mut state = self.inner;
        let mut block = [0u8; 64];
        let mut fill = 0usize;
        let mut total = 64u64;
        for part in parts {
            total += part.len() as u64;
            let mut rest: &[u8] = part;
            while !rest.is_empty() {
                let n = (64 - fill).min(rest.len());
                let (head, tail) = rest.split_at(n);
                if let Some(dst) = block.get_mut(fill..fill + n) {
                    dst.copy_from_slice(head);
                }
                fill += n;
                rest = tail;
                if fill == 64 {
                    compress(&mut state, &block);
                    fill = 0;
                }
            }
        }
        // Padding: 0x80, zeros, the bit length in the last 8 bytes (FIPS 180-4 §5.1.1).
        if let Some(b) = block.get_mut(fill) {
            *b = 0x80;
        }
        if let Some(z) = block.get_mut(fill + 1..) {
            z.fill(0);
        }
        if fill >= 56 {
            compress(&mut state, &block);
            block = [0u8; 64];
        }
        if let Some(l) = block.get_mut(56..) {
            l.copy_from_slice(&(total * 8).to_be_bytes());
        }
        compress(&mut state, &block);
        // Outer hash over the 20-byte inner digest: one block.
        let mut block = [0u8; 64];
        for (d, w) in block.chunks_exact_mut(4).zip(state) {
            d.copy_from_slice(&w.to_be_bytes());
        }
        if let Some(b) = block.get_mut(20) {
            *b = 0x80;
        }
        if let Some(l) = block.get_mut(56..) {
            l.copy_from_slice(&((64u64 + 20) * 8).to_be_bytes());
        }
        let mut state = self.outer;
        compress(&mut state, &block);
        let mut out = [0u8; 20];
        for (d, w) in out.chunks_exact_mut(4).zip(state) {
            d.copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

/// Compares two byte strings without an early exit on the first difference.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A STUN integrity key with its HMAC-SHA1 and HMAC-SHA256 states already keyed, so checking
/// a message costs only the hashing of the message itself (RFC 8489 §9).
///
/// Build one per credential and keep it: [`Key::short_term`] for ICE, [`Key::long_term`] for
/// TURN. Passwords must already be prepared (OpaqueString / SASLprep, RFC 8265); this crate
/// does not implement Unicode normalization. `Debug` never shows the key.
#[derive(Clone)]
pub struct Key {
    sha1: HmacSha1,
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
            sha1: HmacSha1::new(key),
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

    pub(crate) fn sha1(&self) -> &HmacSha1 {
        &self.sha1
    }

    pub(crate) fn sha256(&self) -> &Hmac<Sha256> {
        &self.sha256
    }
}
