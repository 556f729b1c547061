//! The two transforms: AES-CM with HMAC-SHA1 (RFC 3711 §4.1.1, §4.2.1) and AES-GCM
//! (RFC 7714 §8-§10). Both are keyed once per context: the AES key schedule, the HMAC inner
//! and outer states and ring's GCM key are computed when the context is created, so a
//! packet costs only its own blocks.

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::Error;
use crate::kdf::{self, Label};
use crate::{MasterKey, Profile};

/// The GCM authentication tag length (RFC 7714 §7).
pub(crate) const GCM_TAG_LEN: usize = 16;

/// Session keys for one of SRTP or SRTCP, in one direction.
// One per context and direction, long lived: boxing would only add a pointer chase per packet.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Cipher {
    Cm(CmCipher),
    Gcm(GcmCipher),
}

impl Cipher {
    /// Derives the session keys of SRTP (`rtcp == false`) or SRTCP from `master`
    /// (RFC 3711 §4.3) and keys the transform.
    pub(crate) fn derive(profile: Profile, master: &MasterKey, rtcp: bool) -> Result<Self, Error> {
        let (enc, auth, salt) = if rtcp {
            (
                Label::RtcpEncryption,
                Label::RtcpAuthentication,
                Label::RtcpSalt,
            )
        } else {
            (
                Label::RtpEncryption,
                Label::RtpAuthentication,
                Label::RtpSalt,
            )
        };
        let mut key = [0u8; 32];
        let key = key
            .get_mut(..profile.master_key_len())
            .ok_or(Error::BadKeyingMaterial)?;
        kdf::derive(master, enc, key)?;
        if profile.is_aead() {
            let mut s = [0u8; 12];
            kdf::derive(master, salt, &mut s)?;
            GcmCipher::new(profile, key, s).map(Cipher::Gcm)
        } else {
            let mut s = [0u8; 14];
            kdf::derive(master, salt, &mut s)?;
            // RFC 3711 §4.2.1 and RFC 5764 §4.1.2: a 160-bit session authentication key.
            let mut a = [0u8; 20];
            kdf::derive(master, auth, &mut a)?;
            CmCipher::new(key, s, &a).map(Cipher::Cm)
        }
    }
}

/// AES-128 in counter mode (RFC 3711 §4.1.1) and HMAC-SHA1 (RFC 3711 §4.2.1, RFC 2104).
///
/// HMAC-SHA1 is run on the SHA-1 compression function directly: the inner and outer states
/// after the key's ipad and opad blocks are computed once, so a packet costs its own blocks,
/// passed in one call straight from the packet buffer (no block buffer, no copies but the
/// last partial block), and one outer block. Protecting interleaves encryption and hashing
/// ([`CmCipher::seal`]).
#[derive(Clone)]
pub(crate) struct CmCipher {
    aes: aes::Aes128Enc,
    /// k_s * 2^16 (RFC 3711 §4.1.1).
    salt: u128,
    /// SHA-1 state after the block (K XOR ipad).
    inner: [u32; 5],
    /// SHA-1 state after the block (K XOR opad).
    outer: [u32; 5],
}

/// Octets encrypted per step of [`CmCipher::seal`], chosen by measurement (64 beat 32, 48, 96,
/// 128 and 256 on an AMD EPYC (Zen 3) with the SHA and AES instructions).
const CHUNK: usize = 64;

/// The SHA-1 block size.
const BLOCK: usize = 64;

/// The SHA-1 initial state (FIPS 180-4 §5.3.1).
const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];

/// AES-CM's counter is the whole 128-bit IV (RFC 3711 §4.1.1), but its low 16 bits start at
/// zero and a keystream is at most 2^16 blocks long (§4.1.1), so incrementing only the low 64
/// bits gives the same blocks; `ctr`'s 64-bit flavour is the quicker one here (about 165
/// against 177 ns for 1188 octets).
type AesCtr<'a> = ctr::Ctr64BE<&'a aes::Aes128Enc>;

impl CmCipher {
    pub(crate) fn new(key: &[u8], salt: [u8; 14], auth_key: &[u8]) -> Result<Self, Error> {
        // RFC 2104: keys longer than a block are hashed first; SRTP's are 20 octets.
        let mut k = [0u8; BLOCK];
        k.get_mut(..auth_key.len())
            .ok_or(Error::BadKeyingMaterial)?
            .copy_from_slice(auth_key);
        let pad = |byte: u8| {
            let mut block = k;
            block.iter_mut().for_each(|b| *b ^= byte);
            let mut state = SHA1_IV;
            compress(&mut state, &block);
            state
        };
        Ok(CmCipher {
            aes: aes::Aes128Enc::new_from_slice(key).map_err(|_| Error::BadKeyingMaterial)?,
            salt: u128::from_be_bytes(pad16(&salt)),
            inner: pad(0x36),
            outer: pad(0x5c),
        })
    }

    /// The keystream for (`ssrc`, `index`): IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR
    /// (i * 2^16), RFC 3711 §4.1.1 (`index` is the 48-bit SRTP packet index or the 31-bit
    /// SRTCP index).
    #[inline]
    fn keystream(&self, ssrc: u32, index: u64) -> AesCtr<'_> {
        let iv = self.salt ^ (u128::from(ssrc) << 64) ^ (u128::from(index) << 16);
        // Borrowing the key schedule (704 octets with the software fallback) instead of cloning it.
        let core = ctr::CtrCore::<&aes::Aes128Enc, ctr::flavors::Ctr64BE>::inner_iv_init(
            &self.aes,
            &iv.to_be_bytes().into(),
        );
        AesCtr::from_core(core)
    }

    /// XORs the keystream for (`ssrc`, `index`) into `data`.
    #[inline]
    pub(crate) fn apply_keystream(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        self.keystream(ssrc, index).apply_keystream(data);
    }

    /// HMAC-SHA1 over `message` then `trailer` (the ROC for SRTP, nothing for SRTCP), all 20
    /// octets (RFC 3711 §4.2.1).
    pub(crate) fn tag(&self, message: &[u8], trailer: &[u8]) -> [u8; 20] {
        let mut state = self.inner;
        let (blocks, rest) = message.as_chunks::<BLOCK>();
        compress_all(&mut state, blocks);
        self.finish(state, rest, trailer, message.len())
    }

    /// Encrypts `data[clear..]` in place and returns HMAC-SHA1 over `data` (now ciphertext
    /// after `clear`) then `trailer`: [`CmCipher::apply_keystream`] then [`CmCipher::tag`],
    /// interleaved.
    ///
    /// SHA-1 is one long dependency chain (about 120 cycles a block with the SHA extensions)
    /// that leaves the AES units idle, so the loop encrypts [`CHUNK`] octets, then hashes the
    /// complete blocks that end before that chunk, and the out-of-order core runs the next
    /// chunk's AES beside the previous blocks' SHA-1. Hashing only blocks that end before the
    /// chunk just encrypted matters: reading ciphertext right after its (differently aligned)
    /// stores defeats store-to-load forwarding and made the interleaved loop slower than none.
    pub(crate) fn seal(
        &self,
        ssrc: u32,
        index: u64,
        data: &mut [u8],
        clear: usize,
        trailer: &[u8],
    ) -> [u8; 20] {
        let mut ctr = self.keystream(ssrc, index);
        let mut state = self.inner;
        let len = data.len();
        // data[..done] is final (clear header or ciphertext); data[..hashed] is hashed.
        let mut done = clear.min(len);
        let mut hashed = 0;
        while done < len {
            let start = done;
            done = len.min(start + CHUNK);
            if let Some(chunk) = data.get_mut(start..done) {
                ctr.apply_keystream(chunk);
            }
            let ready = start - start % BLOCK;
            if ready > hashed {
                if let Some(blocks) = data.get(hashed..ready) {
                    compress_all(&mut state, blocks.as_chunks::<BLOCK>().0);
                }
                hashed = ready;
            }
        }
        let (blocks, rest) = data.get(hashed..).unwrap_or_default().as_chunks::<BLOCK>();
        compress_all(&mut state, blocks);
        self.finish(state, rest, trailer, len)
    }

    /// Checks `tag` (HMAC-SHA1 over `data` then `trailer`, truncated) in constant time and
    /// decrypts `data[clear..]` in place: [`CmCipher::verify`] then
    /// [`CmCipher::apply_keystream`], interleaved as in [`CmCipher::seal`]: each step hashes
    /// the next blocks, then decrypts the [`CHUNK`]-octet chunks that are hashed already (the
    /// MAC is over the ciphertext). If the tag does not match, the keystream is applied again,
    /// so on error `data` holds the ciphertext it came with.
    pub(crate) fn open(
        &self,
        ssrc: u32,
        index: u64,
        data: &mut [u8],
        clear: usize,
        trailer: &[u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        let mut ctr = self.keystream(ssrc, index);
        let mut state = self.inner;
        let len = data.len();
        let full = len - len % BLOCK;
        let start = clear.min(len);
        // data[..hashed] is hashed; data[start..done] is decrypted.
        let mut hashed = 0;
        let mut done = start;
        while hashed < full {
            let next = full.min(hashed + CHUNK);
            if let Some(blocks) = data.get(hashed..next) {
                compress_all(&mut state, blocks.as_chunks::<BLOCK>().0);
            }
            hashed = next;
            while done + CHUNK <= hashed {
                if let Some(chunk) = data.get_mut(done..done + CHUNK) {
                    ctr.apply_keystream(chunk);
                }
                done += CHUNK;
            }
        }
        let rest = data.get(full..).unwrap_or_default();
        let computed = self.finish(state, rest, trailer, len);
        if let Some(chunk) = data.get_mut(done..) {
            ctr.apply_keystream(chunk);
        }
        let result = verify(&computed, tag);
        if result.is_err()
            && let Some(decrypted) = data.get_mut(start..)
        {
            self.apply_keystream(ssrc, index, decrypted);
        }
        result
    }

    /// Checks a truncated tag in constant time.
    #[inline]
    pub(crate) fn verify(&self, message: &[u8], trailer: &[u8], tag: &[u8]) -> Result<(), Error> {
        verify(&self.tag(message, trailer), tag)
    }

    /// The HMAC after the inner state has absorbed all complete blocks: `rest` is the message's
    /// last partial block, `len` the message length (without the trailer).
    #[inline]
    fn finish(&self, mut state: [u32; 5], rest: &[u8], trailer: &[u8], len: usize) -> [u8; 20] {
        // rest || trailer || 0x80 || zeros || bit length, one or two blocks.
        let mut last = [0u8; 2 * BLOCK];
        let tail = rest.len() + trailer.len();
        let total = (BLOCK + len + trailer.len()) as u64 * 8;
        let blocks = if tail + 9 <= BLOCK { 1 } else { 2 };
        // rest is shorter than a block and the trailer at most 4 octets, so all fits.
        if let Some((message, padding)) = last.split_at_mut_checked(tail)
            && let Some((m, t)) = message.split_at_mut_checked(rest.len())
        {
            m.copy_from_slice(rest);
            t.copy_from_slice(trailer);
            if let Some(b) = padding.first_mut() {
                *b = 0x80;
            }
        }
        if let Some(l) = last
            .get_mut(..blocks * BLOCK)
            .and_then(|l| l.last_chunk_mut::<8>())
        {
            *l = total.to_be_bytes();
        }
        compress_all(
            &mut state,
            last.as_chunks::<BLOCK>()
                .0
                .get(..blocks)
                .unwrap_or_default(),
        );
        let inner = digest(state);
        let mut block = [0u8; BLOCK];
        let (d, p) = block.split_at_mut(20);
        d.copy_from_slice(&inner);
        if let Some(b) = p.first_mut() {
            *b = 0x80;
        }
        if let Some(l) = block.last_chunk_mut::<8>() {
            *l = ((BLOCK + 20) as u64 * 8).to_be_bytes();
        }
        let mut state = self.outer;
        compress(&mut state, &block);
        digest(state)
    }
}

/// Runs the SHA-1 compression function over `blocks`.
#[inline]
fn compress_all(state: &mut [u32; 5], blocks: &[[u8; BLOCK]]) {
    sha1::block_api::compress(state, blocks);
}

#[inline]
fn compress(state: &mut [u32; 5], block: &[u8; BLOCK]) {
    compress_all(state, std::slice::from_ref(block));
}

/// Compares a computed tag with a received (truncated) one in constant time.
#[inline]
fn verify(computed: &[u8; 20], tag: &[u8]) -> Result<(), Error> {
    let expected = computed
        .get(..tag.len())
        .ok_or(Error::AuthenticationFailed)?;
    let diff = expected
        .iter()
        .zip(tag)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if std::hint::black_box(diff) == 0 {
        Ok(())
    } else {
        Err(Error::AuthenticationFailed)
    }
}

/// The SHA-1 digest of a final state.
#[inline]
fn digest(state: [u32; 5]) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (o, s) in out.as_chunks_mut::<4>().0.iter_mut().zip(state) {
        *o = s.to_be_bytes();
    }
    out
}

/// AES-GCM from ring (RFC 7714).
pub(crate) struct GcmCipher {
    key: LessSafeKey,
    /// The 96-bit session salt in the low bits.
    salt: u128,
}

impl GcmCipher {
    pub(crate) fn new(profile: Profile, key: &[u8], salt: [u8; 12]) -> Result<Self, Error> {
        let alg = match profile {
            Profile::AeadAes256Gcm => &AES_256_GCM,
            _ => &AES_128_GCM,
        };
        let key = UnboundKey::new(alg, key).map_err(|_| Error::BadKeyingMaterial)?;
        Ok(GcmCipher {
            key: LessSafeKey::new(key),
            salt: u128::from_be_bytes(pad16_left(&salt)),
        })
    }

    /// The SRTP IV: `(0x0000 || SSRC || ROC || SEQ) XOR salt` (RFC 7714 §8.1); the 48-bit
    /// packet index is `ROC || SEQ`.
    #[inline]
    pub(crate) fn rtp_nonce(&self, ssrc: u32, index: u64) -> Nonce {
        let iv = self.salt ^ (u128::from(ssrc) << 48) ^ u128::from(index & 0xffff_ffff_ffff);
        nonce96(iv)
    }

    /// The SRTCP IV: `(0x0000 || SSRC || 0x0000 || 0 || SRTCP index) XOR salt`
    /// (RFC 7714 §9.1).
    #[inline]
    pub(crate) fn rtcp_nonce(&self, ssrc: u32, index: u32) -> Nonce {
        let iv = self.salt ^ (u128::from(ssrc) << 48) ^ u128::from(index & 0x7fff_ffff);
        nonce96(iv)
    }

    /// Encrypts `data` in place and returns the tag.
    #[inline]
    pub(crate) fn seal(
        &self,
        nonce: Nonce,
        aad: &[u8],
        data: &mut [u8],
    ) -> Result<[u8; 16], Error> {
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), data)
            .map_err(|_| Error::TooLong)?;
        <[u8; GCM_TAG_LEN]>::try_from(tag.as_ref()).map_err(|_| Error::TooLong)
    }

    /// Checks and decrypts `data` (ciphertext then tag) in place.
    #[inline]
    pub(crate) fn open(&self, nonce: Nonce, aad: &[u8], data: &mut [u8]) -> Result<(), Error> {
        self.key
            .open_in_place(nonce, Aad::from(aad), data)
            .map(|_| ())
            .map_err(|_| Error::AuthenticationFailed)
    }
}

/// The 14-octet salt followed by two zero octets (k_s * 2^16).
fn pad16(salt: &[u8; 14]) -> [u8; 16] {
    let [a, b, c, d, e, f, g, h, i, j, k, l, m, n] = *salt;
    [a, b, c, d, e, f, g, h, i, j, k, l, m, n, 0, 0]
}

/// The 12-octet salt as the low 96 bits of a 128-bit number.
fn pad16_left(salt: &[u8; 12]) -> [u8; 16] {
    let [a, b, c, d, e, f, g, h, i, j, k, l] = *salt;
    [0, 0, 0, 0, a, b, c, d, e, f, g, h, i, j, k, l]
}

/// The low 96 bits of `iv` as a nonce.
#[inline]
fn nonce96(iv: u128) -> Nonce {
    let [_, _, _, _, rest @ ..] = iv.to_be_bytes();
    Nonce::assume_unique_for_key(rest)
}
