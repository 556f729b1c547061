//! The two transforms: AES-CM with HMAC-SHA1 (RFC 3711 §4.1.1, §4.2.1) and AES-GCM
//! (RFC 7714 §8-§10). Both are keyed once per context: the AES key schedule, the HMAC inner
//! and outer states and ring's GCM key are computed when the context is created, so a
//! packet costs only its own blocks.

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use hmac::{Hmac, Mac};
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use sha1::Sha1;

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

/// AES-128 in counter mode (RFC 3711 §4.1.1) and HMAC-SHA1 (RFC 3711 §4.2.1).
#[derive(Clone)]
pub(crate) struct CmCipher {
    aes: aes::Aes128Enc,
    /// k_s * 2^16 (RFC 3711 §4.1.1).
    salt: u128,
    /// HMAC already keyed: inner and outer pads absorbed, cloned per packet.
    mac: Hmac<Sha1>,
}

impl CmCipher {
    pub(crate) fn new(key: &[u8], salt: [u8; 14], auth_key: &[u8]) -> Result<Self, Error> {
        Ok(CmCipher {
            aes: aes::Aes128Enc::new_from_slice(key).map_err(|_| Error::BadKeyingMaterial)?,
            salt: u128::from_be_bytes(pad16(&salt)),
            mac: <Hmac<Sha1> as Mac>::new_from_slice(auth_key)
                .map_err(|_| Error::BadKeyingMaterial)?,
        })
    }

    /// XORs the keystream for (`ssrc`, `index`) into `data`: IV = (k_s * 2^16) XOR
    /// (SSRC * 2^64) XOR (i * 2^16), RFC 3711 §4.1.1 (`index` is the 48-bit SRTP packet index
    /// or the 31-bit SRTCP index).
    #[inline]
    pub(crate) fn apply_keystream(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        let iv = self.salt ^ (u128::from(ssrc) << 64) ^ (u128::from(index) << 16);
        // Borrowing the key schedule (704 octets with the software fallback) instead of cloning it.
        let core = ctr::CtrCore::<&aes::Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(
            &self.aes,
            &iv.to_be_bytes().into(),
        );
        let mut ctr = ctr::Ctr128BE::from_core(core);
        ctr.apply_keystream(data);
    }

    /// HMAC-SHA1 over `message` then `trailer` (the ROC for SRTP, nothing for SRTCP), all 20
    /// octets (RFC 3711 §4.2.1).
    #[inline]
    pub(crate) fn tag(&self, message: &[u8], trailer: &[u8]) -> [u8; 20] {
        let mut mac = self.mac.clone();
        mac.update(message);
        mac.update(trailer);
        mac.finalize().into_bytes().into()
    }

    /// Checks a truncated tag in constant time.
    #[inline]
    pub(crate) fn verify(&self, message: &[u8], trailer: &[u8], tag: &[u8]) -> Result<(), Error> {
        let mut mac = self.mac.clone();
        mac.update(message);
        mac.update(trailer);
        mac.verify_truncated_left(tag)
            .map_err(|_| Error::AuthenticationFailed)
    }
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
