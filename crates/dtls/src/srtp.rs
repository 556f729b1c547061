//! DTLS-SRTP protection profiles and keying material (RFC 5764 §4.1.2, §4.2; RFC 7714 §14.2).

/// An SRTP protection profile negotiated by the use_srtp extension (RFC 5764 §4.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SrtpProfile {
    /// SRTP_AES128_CM_HMAC_SHA1_80 (0x0001).
    Aes128CmHmacSha1_80,
    /// SRTP_AES128_CM_HMAC_SHA1_32 (0x0002).
    Aes128CmHmacSha1_32,
    /// SRTP_AEAD_AES_128_GCM (0x0007, RFC 7714 §14.2).
    AeadAes128Gcm,
    /// SRTP_AEAD_AES_256_GCM (0x0008, RFC 7714 §14.2).
    AeadAes256Gcm,
}

impl SrtpProfile {
    /// Every profile, in the server's default preference order: AEAD_AES_128_GCM,
    /// AEAD_AES_256_GCM, AES128_CM_HMAC_SHA1_80, AES128_CM_HMAC_SHA1_32.
    pub const ALL: [SrtpProfile; 4] = [
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::AeadAes256Gcm,
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::Aes128CmHmacSha1_32,
    ];

    /// The use_srtp identifier.
    pub fn id(self) -> u16 {
        match self {
            SrtpProfile::Aes128CmHmacSha1_80 => 0x0001,
            SrtpProfile::Aes128CmHmacSha1_32 => 0x0002,
            SrtpProfile::AeadAes128Gcm => 0x0007,
            SrtpProfile::AeadAes256Gcm => 0x0008,
        }
    }

    /// From the use_srtp identifier; `None` for profiles not supported here.
    pub fn from_id(id: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }

    /// Master key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            SrtpProfile::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Master salt length in bytes (14 for AES-CM, 12 for AEAD, RFC 7714 §12).
    pub fn salt_len(self) -> usize {
        match self {
            SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm => 12,
            _ => 14,
        }
    }

    /// Keying material to export: 2 × (key + salt) (RFC 5764 §4.2).
    pub fn keying_material_len(self) -> usize {
        2 * (self.key_len() + self.salt_len())
    }

    /// The OpenSSL / IANA name.
    pub fn name(self) -> &'static str {
        match self {
            SrtpProfile::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_SHA1_80",
            SrtpProfile::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_SHA1_32",
            SrtpProfile::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
            SrtpProfile::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
        }
    }
}

/// SRTP master keys and salts exported with the label `EXTRACTOR-dtls_srtp`, split as
/// RFC 5764 §4.2 lays them out: client key, server key, client salt, server salt.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKeyingMaterial {
    /// The negotiated profile.
    pub profile: SrtpProfile,
    /// The raw exported bytes (2 × (key + salt)).
    pub material: Vec<u8>,
}

impl std::fmt::Debug for SrtpKeyingMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrtpKeyingMaterial")
            .field("profile", &self.profile)
            .field("material", &"<redacted>")
            .finish()
    }
}

impl SrtpKeyingMaterial {
    fn part(&self, i: usize) -> &[u8] {
        let k = self.profile.key_len();
        let s = self.profile.salt_len();
        let (start, len) = match i {
            0 => (0, k),
            1 => (k, k),
            2 => (2 * k, s),
            _ => (2 * k + s, s),
        };
        self.material.get(start..start + len).unwrap_or_default()
    }

    /// The client's master key (protects what the DTLS client sends).
    pub fn client_key(&self) -> &[u8] {
        self.part(0)
    }
    /// The server's master key.
    pub fn server_key(&self) -> &[u8] {
        self.part(1)
    }
    /// The client's master salt.
    pub fn client_salt(&self) -> &[u8] {
        self.part(2)
    }
    /// The server's master salt.
    pub fn server_salt(&self) -> &[u8] {
        self.part(3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_ids() {
        assert_eq!(SrtpProfile::Aes128CmHmacSha1_80.keying_material_len(), 60);
        assert_eq!(SrtpProfile::AeadAes128Gcm.keying_material_len(), 56);
        assert_eq!(SrtpProfile::AeadAes256Gcm.keying_material_len(), 88);
        for p in SrtpProfile::ALL {
            assert_eq!(SrtpProfile::from_id(p.id()), Some(p));
        }
        assert_eq!(SrtpProfile::from_id(3), None);
        let m = SrtpKeyingMaterial {
            profile: SrtpProfile::Aes128CmHmacSha1_80,
            material: (0..60).collect(),
        };
        assert_eq!(m.client_key(), &(0..16).collect::<Vec<u8>>()[..]);
        assert_eq!(m.server_key()[0], 16);
        assert_eq!(m.client_salt()[0], 32);
        assert_eq!(m.server_salt(), &(46..60).collect::<Vec<u8>>()[..]);
    }
}
