//! A small seeded generator (SplitMix64) for credentials, tie-breakers, transaction ids and
//! timer jitter. Not cryptographic: ICE's credentials protect against off-path attackers only
//! as far as the seed the caller passes is unpredictable (RFC 8445 §5.3 asks for at least 24
//! bits of randomness in the ufrag and 128 in the password; pass a seed from a real random
//! source in production).

use stun::TransactionId;

/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit state, advanced by a constant.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

/// Characters allowed in ice-ufrag and ice-pwd (RFC 8839 §5.4: ALPHA / DIGIT / "+" / "/").
const ICE_CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform value in `0.0..1.0`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn transaction_id(&mut self) -> TransactionId {
        let a = self.next_u64().to_be_bytes();
        let b = self.next_u64().to_be_bytes();
        let mut id = [0u8; 12];
        for (d, s) in id.iter_mut().zip(a.iter().chain(b.iter())) {
            *d = *s;
        }
        TransactionId(id)
    }

    /// `len` ice-chars (6 bits of randomness each).
    pub(crate) fn ice_string(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| {
                let i = (self.next_u64() >> 58) as usize;
                char::from(ICE_CHARS.get(i).copied().unwrap_or(b'x'))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_ice_chars() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let s = a.ice_string(24);
        assert_eq!(s.len(), 24);
        assert!(
            s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
        );
        let u = a.unit();
        assert!((0.0..1.0).contains(&u));
    }
}
