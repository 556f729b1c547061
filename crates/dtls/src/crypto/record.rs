//! Record protection with AEAD ciphers: AES-GCM (RFC 5288 §3, RFC 5289) and
//! ChaCha20-Poly1305 (RFC 7905 §2), over DTLS records (RFC 6347 §4.1.2.1), and the key
//! block that feeds them (RFC 5246 §6.3).

use super::{CipherSuite, CryptoError, prf_seeds};
use ring::aead;

/// Length of the explicit nonce GCM records carry (RFC 5288 §3).
const GCM_EXPLICIT_NONCE_LEN: usize = 8;
/// Length of every AEAD tag we use.
const TAG_LEN: usize = 16;
/// Largest plaintext fragment, 2^14 bytes (RFC 5246 §6.2.1).
const MAX_PLAINTEXT: usize = 1 << 14;
/// Largest DTLS record sequence number (48 bits, RFC 6347 §4.1).
const MAX_SEQ: u64 = (1 << 48) - 1;

#[derive(Clone, Copy, PartialEq, Eq)]
enum NonceKind {
    /// 4-byte fixed IV from the key block, 8-byte explicit nonce in the record.
    Gcm,
    /// 12-byte IV XORed with the padded 64-bit sequence number, nothing in the record.
    Chacha,
}

/// One direction's record protection: the write key and IV of one side (RFC 5246 §6.3),
/// used by that side to seal and by its peer to open.
///
/// The record sequence number that enters nonce and additional data is DTLS's 64-bit
/// `epoch || sequence_number` (RFC 6347 §4.1.2.1), given as `epoch` and a 48-bit `seq`.
/// The additional data is `epoch(2) || seq(6) || type(1) || version(2) || length(2)`, the
/// length being that of the plaintext (RFC 5246 §6.2.3.3).
pub struct RecordCipher {
    suite: CipherSuite,
    key: aead::LessSafeKey,
    iv: [u8; 12],
    kind: NonceKind,
}

impl RecordCipher {
    /// A cipher for `suite` with a write key and fixed IV from the key block: a 16-byte
    /// (AES-128-GCM) or 32-byte key, and a 4-byte (GCM) or 12-byte (ChaCha20-Poly1305) IV.
    ///
    /// # Errors
    /// [`CryptoError::BadKey`] if either length is wrong for the suite.
    pub fn new(suite: CipherSuite, key: &[u8], fixed_iv: &[u8]) -> Result<Self, CryptoError> {
        if key.len() != suite.key_len() || fixed_iv.len() != suite.fixed_iv_len() {
            return Err(CryptoError::BadKey);
        }
        let unbound = aead::UnboundKey::new(suite.aead(), key).map_err(|_| CryptoError::BadKey)?;
        let mut iv = [0u8; 12];
        for (d, s) in iv.iter_mut().zip(fixed_iv) {
            *d = *s;
        }
        let kind = if suite.fixed_iv_len() == 12 {
            NonceKind::Chacha
        } else {
            NonceKind::Gcm
        };
        Ok(RecordCipher {
            suite,
            key: aead::LessSafeKey::new(unbound),
            iv,
            kind,
        })
    }

    /// The cipher suite this cipher was made for.
    pub fn suite(&self) -> CipherSuite {
        self.suite
    }

    /// Bytes a protected record adds to its plaintext: 24 for GCM (8-byte explicit nonce and
    /// 16-byte tag), 16 for ChaCha20-Poly1305 (the tag).
    pub fn overhead(&self) -> usize {
        match self.kind {
            NonceKind::Gcm => GCM_EXPLICIT_NONCE_LEN + TAG_LEN,
            NonceKind::Chacha => TAG_LEN,
        }
    }

    /// Protects the plaintext fragment at `buf[start..]` in place, so that `buf[start..]`
    /// becomes the record's fragment (RFC 5246 §6.2.3.3): for GCM the 8-byte explicit nonce
    /// `epoch || seq48` is inserted at `buf[start..start + 8]` before the ciphertext
    /// (RFC 5288 §3; the nonce is `fixed_iv || explicit`); for ChaCha20-Poly1305 nothing is
    /// inserted and the nonce is `fixed_iv XOR (0^4 || epoch || seq48)` (RFC 7905 §2). The
    /// 16-byte tag is appended. `buf[..start]` (typically the record header, whose length
    /// field the caller patches afterwards) is left alone.
    ///
    /// # Errors
    /// [`CryptoError::Truncated`] if `start > buf.len()`, [`CryptoError::RecordTooLarge`] for
    /// a plaintext beyond 2^14 bytes, [`CryptoError::SequenceExhausted`] if `seq` needs more
    /// than 48 bits. `buf` is unchanged on error.
    pub fn seal(
        &self,
        epoch: u16,
        seq: u64,
        content_type: u8,
        version: u16,
        buf: &mut Vec<u8>,
        start: usize,
    ) -> Result<(), CryptoError> {
        let plain_len = buf.len().checked_sub(start).ok_or(CryptoError::Truncated)?;
        if plain_len > MAX_PLAINTEXT {
            return Err(CryptoError::RecordTooLarge);
        }
        let seq64 = record_seq(epoch, seq)?;
        let aad = additional_data(seq64, content_type, version, plain_len)?;
        let nonce = self.nonce(seq64);
        let body_start = match self.kind {
            NonceKind::Gcm => {
                buf.splice(start..start, seq64);
                start + GCM_EXPLICIT_NONCE_LEN
            }
            NonceKind::Chacha => start,
        };
        let body = buf.get_mut(body_start..).ok_or(CryptoError::Truncated)?;
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, aead::Aad::from(aad), body)
            .map_err(|_| CryptoError::RecordTooLarge)?;
        buf.extend_from_slice(tag.as_ref());
        Ok(())
    }

    /// Opens a record fragment (everything after the 13-byte DTLS record header) in place
    /// and returns the range of the plaintext within `fragment`. `epoch`, `seq`,
    /// `content_type` and `version` come from the record header; for GCM the nonce's explicit
    /// part is read from the fragment's first 8 bytes, as the sender chose it (RFC 5288 §3).
    ///
    /// # Errors
    /// [`CryptoError::Truncated`] if the fragment cannot hold the explicit nonce and tag,
    /// [`CryptoError::SequenceExhausted`] if `seq` needs more than 48 bits,
    /// [`CryptoError::Decrypt`] if authentication fails (`bad_record_mac`, RFC 5246
    /// §7.2.2; in DTLS such records are silently discarded, RFC 6347 §4.1.2.7). The contents
    /// of `fragment` are unspecified after an error.
    pub fn open(
        &self,
        epoch: u16,
        seq: u64,
        content_type: u8,
        version: u16,
        fragment: &mut [u8],
    ) -> Result<core::ops::Range<usize>, CryptoError> {
        let plain_len = fragment
            .len()
            .checked_sub(self.overhead())
            .ok_or(CryptoError::Truncated)?;
        let seq64 = record_seq(epoch, seq)?;
        let aad = additional_data(seq64, content_type, version, plain_len)?;
        let (nonce, body_start) = match self.kind {
            NonceKind::Gcm => {
                let explicit: [u8; 8] = fragment
                    .get(..GCM_EXPLICIT_NONCE_LEN)
                    .and_then(|s| s.try_into().ok())
                    .ok_or(CryptoError::Truncated)?;
                (self.nonce(explicit), GCM_EXPLICIT_NONCE_LEN)
            }
            NonceKind::Chacha => (self.nonce(seq64), 0),
        };
        let body = fragment
            .get_mut(body_start..)
            .ok_or(CryptoError::Truncated)?;
        let plain = self
            .key
            .open_in_place(nonce, aead::Aad::from(aad), body)
            .map_err(|_| CryptoError::Decrypt)?;
        Ok(body_start..body_start + plain.len())
    }

    /// The per-record nonce: `fixed_iv(4) || explicit(8)` for GCM, `iv XOR (0^4 || seq64)`
    /// for ChaCha20-Poly1305.
    fn nonce(&self, seq64: [u8; 8]) -> aead::Nonce {
        let mut n = self.iv;
        match self.kind {
            NonceKind::Gcm => {
                for (d, s) in n.iter_mut().skip(4).zip(seq64) {
                    *d = s;
                }
            }
            NonceKind::Chacha => {
                for (d, s) in n.iter_mut().skip(4).zip(seq64) {
                    *d ^= s;
                }
            }
        }
        aead::Nonce::assume_unique_for_key(n)
    }
}

impl core::fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordCipher")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

/// DTLS's 64-bit record sequence number `epoch || seq48` (RFC 6347 §4.1), big-endian.
fn record_seq(epoch: u16, seq: u64) -> Result<[u8; 8], CryptoError> {
    if seq > MAX_SEQ {
        return Err(CryptoError::SequenceExhausted);
    }
    Ok(((u64::from(epoch) << 48) | seq).to_be_bytes())
}

/// `seq_num(8) || type(1) || version(2) || length(2)`, RFC 5246 §6.2.3.3.
fn additional_data(
    seq64: [u8; 8],
    content_type: u8,
    version: u16,
    plain_len: usize,
) -> Result<[u8; 13], CryptoError> {
    let len = u16::try_from(plain_len).map_err(|_| CryptoError::RecordTooLarge)?;
    let mut aad = [0u8; 13];
    let parts = seq64
        .into_iter()
        .chain([content_type])
        .chain(version.to_be_bytes())
        .chain(len.to_be_bytes());
    for (d, s) in aad.iter_mut().zip(parts) {
        *d = s;
    }
    Ok(aad)
}

/// Both directions' record ciphers, from the key block of RFC 5246 §6.3.
#[derive(Debug)]
pub struct KeyBlock {
    /// Protects what the client sends: the client seals with it, the server opens.
    pub client_write: RecordCipher,
    /// Protects what the server sends: the server seals with it, the client opens.
    pub server_write: RecordCipher,
}

/// Derives the record keys, RFC 5246 §6.3:
/// `key_block = PRF(master_secret, "key expansion", server_random + client_random)`, split
/// into client_write_MAC_key, server_write_MAC_key (both empty for AEAD suites),
/// client_write_key, server_write_key, client_write_IV, server_write_IV (4 bytes each for
/// GCM, RFC 5288 §3; 12 bytes each for ChaCha20-Poly1305, RFC 7905 §2).
///
/// # Errors
/// Only if `ring` refuses a key it should accept ([`CryptoError::BadKey`]).
pub fn key_block(
    suite: CipherSuite,
    master: &[u8; 48],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<KeyBlock, CryptoError> {
    let (k, iv) = (suite.key_len(), suite.fixed_iv_len());
    let mut block = [0u8; 2 * 32 + 2 * 12];
    let material = block
        .get_mut(..2 * k + 2 * iv)
        .ok_or(CryptoError::Unsupported)?;
    prf_seeds(
        suite.prf_hash(),
        master,
        b"key expansion",
        &[server_random, client_random],
        material,
    );
    let part = |from: usize, len: usize| {
        material
            .get(from..from + len)
            .ok_or(CryptoError::Unsupported)
    };
    let client_write = RecordCipher::new(suite, part(0, k)?, part(2 * k, iv)?)?;
    let server_write = RecordCipher::new(suite, part(k, k)?, part(2 * k + iv, iv)?)?;
    Ok(KeyBlock {
        client_write,
        server_write,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::prf::tests::hex;

    const CR: [u8; 32] = {
        let mut a = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            a[i] = i as u8;
            i += 1;
        }
        a
    };
    const SR: [u8; 32] = {
        let mut a = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            a[i] = (i * 3) as u8;
            i += 1;
        }
        a
    };
    const DTLS12: u16 = 0xFEFD;
    const PT: &[u8] = b"hello, nutshell dtls";

    fn master(h: &str) -> [u8; 48] {
        hex(h).try_into().unwrap()
    }

    fn ms256() -> [u8; 48] {
        master(crate::crypto::prf::tests::MS256)
    }

    fn ms384() -> [u8; 48] {
        master(
            "99c6a11f488d86c883c86490a37566e09a9e8ae5d2c78f34b2e233f013e4f3815bea70e389786641be757b6c5f17c4b7",
        )
    }

    // Key blocks from OpenSSL's TLS1-PRF (`openssl kdf ... -kdfopt hexseed:<hex("key
    // expansion") || server_random || client_random> TLS1-PRF`); record known answers from
    // Python `cryptography` (OpenSSL's AES-GCM and ChaCha20-Poly1305) with nonce and AAD
    // built as RFC 5288 / RFC 7905 / RFC 6347 §4.1.2.1 say.
    const KB128: &str =
        "7986a119878a3e54e50af62a0f5b453f5f756cde9845556c7c9227cb8ba7ab8e34685fa25d0a450a";
    const KB_CHACHA: &str = "7986a119878a3e54e50af62a0f5b453f5f756cde9845556c7c9227cb8ba7ab8e34685fa25d0a450ae20ce177d4ed80375728e5570f4d010cafd86a10573d64c2bdff8c28041d6976230ad53814a3cce78c9bd56d4b7f9053";
    const KB256: &str = "8258b63717bee4c9c455eb0ed61ba691e4be69a03acb8047657764cb523141ddb2ef41001b995d80f072d648d89a21f3a091a7b292d4531305f6d9006b45e308e60946283c04b4fc";

    fn seal_vec(c: &RecordCipher, epoch: u16, seq: u64, ty: u8, pt: &[u8]) -> Vec<u8> {
        let mut buf = b"HDR".to_vec();
        buf.extend_from_slice(pt);
        c.seal(epoch, seq, ty, DTLS12, &mut buf, 3).unwrap();
        assert_eq!(&buf[..3], b"HDR");
        assert_eq!(buf.len(), 3 + pt.len() + c.overhead());
        buf.split_off(3)
    }

    #[test]
    fn aes128_gcm_known_answer() {
        let suite = CipherSuite::EcdheEcdsaAes128GcmSha256;
        let kb = hex(KB128);
        let client = RecordCipher::new(suite, &kb[..16], &kb[32..36]).unwrap();
        let want = hex(
            "00010000000000059ab26921bfe47128d6906c39c710a638175dc6ef4f54dbcc9948d24bbcf10878a9d493d1",
        );
        assert_eq!(seal_vec(&client, 1, 5, 23, PT), want);
        // The derived key block gives the same client_write cipher.
        let block = key_block(suite, &ms256(), &CR, &SR).unwrap();
        let mut frag = want.clone();
        let r = block
            .client_write
            .open(1, 5, 23, DTLS12, &mut frag)
            .unwrap();
        assert_eq!(&frag[r], PT);
        // ... and a server_write cipher that cannot open it.
        let mut frag = want.clone();
        assert_eq!(
            block.server_write.open(1, 5, 23, DTLS12, &mut frag),
            Err(CryptoError::Decrypt)
        );
    }

    #[test]
    fn aes256_gcm_known_answer() {
        let suite = CipherSuite::EcdheEcdsaAes256GcmSha384;
        let block = key_block(suite, &ms384(), &CR, &SR).unwrap();
        let kb = hex(KB256);
        let server = RecordCipher::new(suite, &kb[32..64], &kb[68..72]).unwrap();
        let want = hex(
            "0002000001020304a72ef340af26913bc0813d013a8e9cbfdae1d462f7f96cde133aa0defdf8b95119f7796c",
        );
        assert_eq!(seal_vec(&server, 2, 0x0102_0304, 22, PT), want);
        assert_eq!(seal_vec(&block.server_write, 2, 0x0102_0304, 22, PT), want);
    }

    #[test]
    fn chacha20_poly1305_known_answer() {
        let suite = CipherSuite::EcdheEcdsaChacha20Poly1305Sha256;
        let block = key_block(suite, &ms256(), &CR, &SR).unwrap();
        let kb = hex(KB_CHACHA);
        let server = RecordCipher::new(suite, &kb[32..64], &kb[76..88]).unwrap();
        let want = hex("c652df1381eca873018e2212c965e7e4716e247efb555d271e4a81676bcee1fbc2f408cb");
        assert_eq!(seal_vec(&server, 1, 5, 23, PT), want);
        assert_eq!(seal_vec(&block.server_write, 1, 5, 23, PT), want);
        // The key block's GCM prefix is shared with the 128-bit block (same PRF output).
        assert_eq!(&kb[..40], hex(KB128).as_slice());
    }

    #[test]
    fn round_trip_and_tamper_every_suite() {
        for suite in CipherSuite::ALL {
            let block = key_block(suite, &ms256(), &CR, &SR).unwrap();
            let c = &block.client_write;
            for len in [0usize, 1, 15, 16, 17, 1200] {
                let pt: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let sealed = seal_vec(c, 3, 77, 23, &pt);
                let mut f = sealed.clone();
                let r = c.open(3, 77, 23, DTLS12, &mut f).unwrap();
                assert_eq!(&f[r], pt.as_slice());
                if len > 17 {
                    continue;
                }
                for i in 0..sealed.len() {
                    let mut f = sealed.clone();
                    f[i] ^= 0x40;
                    assert_eq!(
                        c.open(3, 77, 23, DTLS12, &mut f),
                        Err(CryptoError::Decrypt),
                        "{suite:?} byte {i}"
                    );
                }
                for (e, s, t, v) in [
                    (4, 77, 23, DTLS12),
                    (3, 78, 23, DTLS12),
                    (3, 77, 22, DTLS12),
                    (3, 77, 23, 0xFEFF),
                ] {
                    let mut f = sealed.clone();
                    assert_eq!(c.open(e, s, t, v, &mut f), Err(CryptoError::Decrypt));
                }
                for cut in 0..c.overhead() {
                    let mut f = sealed[..cut].to_vec();
                    assert_eq!(
                        c.open(3, 77, 23, DTLS12, &mut f),
                        Err(CryptoError::Truncated)
                    );
                }
                // Shortened but still longer than the overhead: an authentication failure.
                let mut f = sealed[..sealed.len() - 1].to_vec();
                let want = if len == 0 {
                    CryptoError::Truncated
                } else {
                    CryptoError::Decrypt
                };
                assert_eq!(c.open(3, 77, 23, DTLS12, &mut f), Err(want));
            }
        }
    }

    #[test]
    fn overheads() {
        let gcm = key_block(CipherSuite::EcdheEcdsaAes128GcmSha256, &ms256(), &CR, &SR).unwrap();
        let chacha = key_block(
            CipherSuite::EcdheEcdsaChacha20Poly1305Sha256,
            &ms256(),
            &CR,
            &SR,
        )
        .unwrap();
        assert_eq!(gcm.client_write.overhead(), 24);
        assert_eq!(chacha.client_write.overhead(), 16);
    }

    #[test]
    fn seal_rejects_bad_input() {
        let block = key_block(CipherSuite::EcdheEcdsaAes128GcmSha256, &ms256(), &CR, &SR).unwrap();
        let c = &block.client_write;
        let mut buf = vec![1, 2, 3];
        assert_eq!(
            c.seal(0, 0, 23, DTLS12, &mut buf, 4),
            Err(CryptoError::Truncated)
        );
        assert_eq!(
            c.seal(0, 1 << 48, 23, DTLS12, &mut buf, 0),
            Err(CryptoError::SequenceExhausted)
        );
        assert_eq!(buf, [1, 2, 3]);
        let mut big = vec![0u8; MAX_PLAINTEXT + 1];
        assert_eq!(
            c.seal(0, 0, 23, DTLS12, &mut big, 0),
            Err(CryptoError::RecordTooLarge)
        );
        let mut max = vec![0u8; MAX_PLAINTEXT];
        c.seal(0, MAX_SEQ, 23, DTLS12, &mut max, 0).unwrap();
        let mut empty = Vec::new();
        c.seal(0, 0, 23, DTLS12, &mut empty, 0).unwrap();
        assert_eq!(empty.len(), 24);
        let mut f = [0u8; 40];
        assert_eq!(
            c.open(0, 1 << 48, 23, DTLS12, &mut f),
            Err(CryptoError::SequenceExhausted)
        );
    }

    #[test]
    fn new_checks_lengths() {
        let s = CipherSuite::EcdheEcdsaAes128GcmSha256;
        assert!(RecordCipher::new(s, &[0; 16], &[0; 4]).is_ok());
        assert_eq!(
            RecordCipher::new(s, &[0; 32], &[0; 4]).err(),
            Some(CryptoError::BadKey)
        );
        assert_eq!(
            RecordCipher::new(s, &[0; 16], &[0; 12]).err(),
            Some(CryptoError::BadKey)
        );
        let c = RecordCipher::new(
            CipherSuite::EcdheEcdsaChacha20Poly1305Sha256,
            &[7; 32],
            &[0; 12],
        )
        .unwrap();
        assert!(!format!("{c:?}").contains('7'));
    }

    proptest::proptest! {
        #[test]
        fn open_never_panics(
            frag in proptest::collection::vec(proptest::num::u8::ANY, 0..100),
            epoch in proptest::num::u16::ANY,
            seq in proptest::num::u64::ANY,
            ty in proptest::num::u8::ANY,
        ) {
            for suite in CipherSuite::ALL {
                let block = key_block(suite, &ms256(), &CR, &SR).unwrap();
                let mut f = frag.clone();
                let r = block.server_write.open(epoch, seq, ty, DTLS12, &mut f);
                proptest::prop_assert!(r.is_err());
            }
        }
    }
}
