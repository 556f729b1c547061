//! The SRTP key derivation function, AES-CM PRF with a key derivation rate of zero
//! (RFC 3711 §4.3.1, §4.3.3; RFC 7714 §11 for the 96-bit AEAD master salt).

use aes::cipher::{KeyIvInit, StreamCipher};

use crate::{Error, MasterKey};

/// The labels of RFC 3711 §4.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Label {
    RtpEncryption = 0x00,
    RtpAuthentication = 0x01,
    RtpSalt = 0x02,
    RtcpEncryption = 0x03,
    RtcpAuthentication = 0x04,
    RtcpSalt = 0x05,
}

/// Fills `out` with `PRF_n(master_key, x)` where `x = (label || r) XOR master_salt` and
/// `r = 0` (key_derivation_rate 0, as DTLS-SRTP uses): the AES-CM keystream with IV
/// `x * 2^16` (RFC 3711 §4.3.1, §4.3.3). A 12-octet AEAD master salt is padded with zeros
/// on the right to 112 bits first, so the label lands on the same octet.
pub(crate) fn derive(master: &MasterKey, label: Label, out: &mut [u8]) -> Result<(), Error> {
    let mut iv = [0u8; 16];
    iv.get_mut(..master.salt().len())
        .ok_or(Error::BadKeyingMaterial)?
        .copy_from_slice(master.salt());
    // The 48-bit index DIV rate is zero, so only the label (octet 7 of the 14-octet x) moves.
    if let Some(b) = iv.get_mut(7) {
        *b ^= label as u8;
    }
    out.fill(0);
    match master.key().len() {
        16 => ctr::Ctr128BE::<aes::Aes128>::new_from_slices(master.key(), &iv)
            .map_err(|_| Error::BadKeyingMaterial)?
            .apply_keystream(out),
        32 => ctr::Ctr128BE::<aes::Aes256>::new_from_slices(master.key(), &iv)
            .map_err(|_| Error::BadKeyingMaterial)?
            .apply_keystream(out),
        _ => return Err(Error::BadKeyingMaterial),
    }
    Ok(())
}
