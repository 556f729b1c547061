//! Protection profiles and the keying material DTLS-SRTP exports (RFC 5764 §4.1.2, §4.2;
//! RFC 7714 §14).

use std::fmt;

use crate::Error;

/// An SRTP protection profile, as negotiated by the DTLS `use_srtp` extension
/// (RFC 5764 §4.1.2, RFC 7714 §14.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// `SRTP_AES128_CM_HMAC_SHA1_80` (0x0001): AES-128 counter mode (RFC 3711 §4.1.1) and an
    /// 80-bit HMAC-SHA1 tag (RFC 3711 §4.2.1) on SRTP and SRTCP.
    Aes128CmSha1_80,
    /// `SRTP_AES128_CM_HMAC_SHA1_32` (0x0002): as above with a 32-bit tag on SRTP; SRTCP keeps
    /// the 80-bit tag (RFC 5764 §4.1.2).
    Aes128CmSha1_32,
    /// `SRTP_AEAD_AES_128_GCM` (0x0007): AES-128-GCM with a 16-octet tag (RFC 7714).
    AeadAes128Gcm,
    /// `SRTP_AEAD_AES_256_GCM` (0x0008): AES-256-GCM with a 16-octet tag (RFC 7714).
    AeadAes256Gcm,
}

impl Profile {
    /// Every profile this crate implements, in the order a WebRTC endpoint usually prefers
    /// them.
    pub const ALL: [Profile; 4] = [
        Profile::AeadAes128Gcm,
        Profile::AeadAes256Gcm,
        Profile::Aes128CmSha1_80,
        Profile::Aes128CmSha1_32,
    ];

    /// The two-octet `SRTPProtectionProfile` value of the `use_srtp` extension
    /// (RFC 5764 §4.1.2, RFC 7714 §14.2).
    pub fn id(self) -> u16 {
        match self {
            Profile::Aes128CmSha1_80 => 0x0001,
            Profile::Aes128CmSha1_32 => 0x0002,
            Profile::AeadAes128Gcm => 0x0007,
            Profile::AeadAes256Gcm => 0x0008,
        }
    }

    /// The profile with this `use_srtp` value, if this crate implements it.
    pub fn from_id(id: u16) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.id() == id)
    }

    /// Length in octets of the master key (RFC 5764 §4.1.2 `cipher_key_length`).
    pub fn master_key_len(self) -> usize {
        match self {
            Profile::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Length in octets of the master salt: 112 bits for AES-CM (RFC 3711 §8.2), 96 bits for
    /// AEAD (RFC 7714 §12).
    pub fn master_salt_len(self) -> usize {
        if self.is_aead() { 12 } else { 14 }
    }

    /// Length in octets of the authentication tag appended to an SRTP packet.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Profile::Aes128CmSha1_80 => 10,
            Profile::Aes128CmSha1_32 => 4,
            Profile::AeadAes128Gcm | Profile::AeadAes256Gcm => 16,
        }
    }

    /// Length in octets of the authentication tag of an SRTCP packet (80 bits for both
    /// AES-CM profiles, RFC 5764 §4.1.2).
    pub fn rtcp_tag_len(self) -> usize {
        if self.is_aead() { 16 } else { 10 }
    }

    /// How many octets protecting an RTP packet adds at most (the tag).
    pub fn rtp_overhead(self) -> usize {
        self.rtp_tag_len()
    }

    /// How many octets protecting an RTCP packet adds (E flag and SRTCP index, and the tag).
    pub fn rtcp_overhead(self) -> usize {
        4 + self.rtcp_tag_len()
    }

    /// Length of the DTLS exporter output to ask for: two master keys and two master salts
    /// (RFC 5764 §4.2).
    pub fn keying_material_len(self) -> usize {
        2 * (self.master_key_len() + self.master_salt_len())
    }

    /// Whether this is an AEAD (AES-GCM, RFC 7714) profile.
    pub fn is_aead(self) -> bool {
        matches!(self, Profile::AeadAes128Gcm | Profile::AeadAes256Gcm)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Aes128CmSha1_80 => "SRTP_AES128_CM_HMAC_SHA1_80",
            Profile::Aes128CmSha1_32 => "SRTP_AES128_CM_HMAC_SHA1_32",
            Profile::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
            Profile::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
        })
    }
}

/// Which end of the DTLS handshake this endpoint was (RFC 5764 §4.2): the client protects
/// with the client write key, the server with the server write key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The DTLS client.
    Client,
    /// The DTLS server.
    Server,
}

/// One direction's master key and master salt (RFC 3711 §3.2.1), from which the session
/// keys are derived (RFC 3711 §4.3). `Debug` does not print the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    key: [u8; 32],
    key_len: u8,
    salt: [u8; 14],
    salt_len: u8,
}

impl MasterKey {
    /// A master key and salt for `profile`; fails with [`Error::BadKeyingMaterial`] if the
    /// lengths are not the profile's.
    pub fn new(profile: Profile, key: &[u8], salt: &[u8]) -> Result<MasterKey, Error> {
        if key.len() != profile.master_key_len() || salt.len() != profile.master_salt_len() {
            return Err(Error::BadKeyingMaterial);
        }
        let mut out = MasterKey {
            key: [0; 32],
            key_len: 0,
            salt: [0; 14],
            salt_len: 0,
        };
        out.key
            .get_mut(..key.len())
            .ok_or(Error::BadKeyingMaterial)?
            .copy_from_slice(key);
        out.salt
            .get_mut(..salt.len())
            .ok_or(Error::BadKeyingMaterial)?
            .copy_from_slice(salt);
        // Lengths are at most 32 and 14, checked against the profile above.
        out.key_len = key.len() as u8;
        out.salt_len = salt.len() as u8;
        Ok(out)
    }

    /// The master key.
    pub fn key(&self) -> &[u8] {
        self.key.get(..usize::from(self.key_len)).unwrap_or(&[])
    }

    /// The master salt.
    pub fn salt(&self) -> &[u8] {
        self.salt.get(..usize::from(self.salt_len)).unwrap_or(&[])
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("key_len", &self.key_len)
            .field("salt_len", &self.salt_len)
            .finish_non_exhaustive()
    }
}

/// The keying material of one DTLS-SRTP association, split into the two directions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyingMaterial {
    /// What this endpoint protects with: give it to the outbound [`Context`](crate::Context).
    pub local: MasterKey,
    /// What the peer protects with: give it to the inbound [`Context`](crate::Context).
    pub remote: MasterKey,
}

impl KeyingMaterial {
    /// Splits the output of the DTLS exporter (label `EXTRACTOR-dtls_srtp`, length
    /// [`Profile::keying_material_len`]) laid out as `client_write_SRTP_master_key ||
    /// server_write_SRTP_master_key || client_write_SRTP_master_salt ||
    /// server_write_SRTP_master_salt` (RFC 5764 §4.2).
    ///
    /// Fails with [`Error::BadKeyingMaterial`] if `exported` has the wrong length.
    pub fn split(exported: &[u8], profile: Profile, role: Role) -> Result<KeyingMaterial, Error> {
        if exported.len() != profile.keying_material_len() {
            return Err(Error::BadKeyingMaterial);
        }
        let k = profile.master_key_len();
        let s = profile.master_salt_len();
        let part =
            |at: usize, len: usize| exported.get(at..at + len).ok_or(Error::BadKeyingMaterial);
        let client = MasterKey::new(profile, part(0, k)?, part(2 * k, s)?)?;
        let server = MasterKey::new(profile, part(k, k)?, part(2 * k + s, s)?)?;
        Ok(match role {
            Role::Client => KeyingMaterial {
                local: client,
                remote: server,
            },
            Role::Server => KeyingMaterial {
                local: server,
                remote: client,
            },
        })
    }
}
