//! # nutshell-srtp: SRTP and SRTCP, sans IO
//!
//! Every media packet of a WebRTC call is protected here: SRTP and SRTCP (RFC 3711) with the
//! four protection profiles WebRTC negotiates through DTLS-SRTP (RFC 5764, RFC 7714), see
//! [`Profile`]. Packets are protected and unprotected in place in the caller's buffer
//! (`Vec<u8>` or [`bytes::BytesMut`], see [`Buffer`]); the tag is appended or stripped in
//! place, and nothing is allocated per packet once an SSRC is known.
//!
//! ## The drive
//! 1. After the DTLS handshake, export `profile.keying_material_len()` octets with the label
//!    `EXTRACTOR-dtls_srtp` and split them with [`KeyingMaterial::split`] for your DTLS
//!    [`Role`] (RFC 5764 §4.2).
//! 2. Make two [`Context`]s: an outbound one from [`KeyingMaterial::local`] and an inbound
//!    one from [`KeyingMaterial::remote`].
//! 3. For each RTP/RTCP packet to send, [`Context::protect_rtp`] / [`Context::protect_rtcp`]
//!    on the outbound context; for each SRTP/SRTCP packet received (told apart by the first
//!    octet, RFC 7983, and by the payload type, RFC 5761),
//!    [`Context::unprotect_rtp`] / [`Context::unprotect_rtcp`] on the inbound one, and drop
//!    the packet on error.
//!
//! ```
//! use nutshell_srtp::{Config, Context, Error, KeyingMaterial, Profile, Role};
//! # fn main() -> Result<(), Error> {
//! let profile = Profile::AeadAes128Gcm;
//! // What DTLS exported (both ends export the same octets).
//! let exported = [7u8; 56];
//! assert_eq!(exported.len(), profile.keying_material_len());
//! let client = KeyingMaterial::split(&exported, profile, Role::Client)?;
//! let server = KeyingMaterial::split(&exported, profile, Role::Server)?;
//! let mut client_out = Context::new(profile, &client.local, Config::default())?;
//! let mut server_in = Context::new(profile, &server.remote, Config::default())?;
//!
//! // An RTP packet: V=2, PT 96, SEQ 0x1234, timestamp 1, SSRC 0xdeadbeef, payload.
//! let mut packet = Vec::with_capacity(1500);
//! packet.extend_from_slice(&[0x80, 96, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef]);
//! packet.extend_from_slice(b"media");
//! let plain = packet.clone();
//!
//! client_out.protect_rtp(&mut packet)?;
//! assert_eq!(packet.len(), plain.len() + profile.rtp_tag_len());
//! let replay = packet.clone();
//! server_in.unprotect_rtp(&mut packet)?;
//! assert_eq!(packet, plain);
//! // The same packet again is a replay (RFC 3711 §3.3.2).
//! assert_eq!(server_in.unprotect_rtp(&mut replay.clone()), Err(Error::Replayed));
//! # Ok(()) }
//! ```
//!
//! ## What a context does
//! - **Keys** (RFC 3711 §4.3): the SRTP and SRTCP session keys are derived once from the
//!   master key and salt (key derivation rate 0, as DTLS-SRTP uses); the AES key schedules,
//!   the HMAC-SHA1 inner and outer states and ring's AES-GCM keys are computed once per
//!   context. AES-GCM is ring's; AES-CM and HMAC-SHA1 are RustCrypto's `aes`/`ctr` and
//!   `hmac`/`sha1`, which use the CPU's AES and SHA instructions.
//! - **Per-SSRC state** is created on first use, up to [`Config::max_ssrcs`]. A sender tracks
//!   its rollover counter from the sequence numbers it protects; a receiver estimates the
//!   packet index as in RFC 3711 Appendix A. SRTCP indices start at zero (RFC 3711 §3.4).
//! - **Replay protection**: a sliding window per SSRC, [`Config::replay_window`] packets
//!   (default 1024), for SRTP and for SRTCP. The window and the ROC move only for packets
//!   that authenticate, and an inbound context takes a new SSRC only then.
//! - Not implemented: MKI, key derivation rates other than zero, the NULL ciphers, and
//!   encrypted header extensions (RFC 6904); protected SRTCP always sets the E flag, and
//!   unprotect accepts both.
//!
//! ## Time, errors, panics
//! - **Time, randomness:** none. Rekeying is the caller's business (a new DTLS handshake);
//!   [`Error::IndexExhausted`] says when it is due.
//! - **Errors:** every refused packet is a variant of [`Error`]: too short or not RTP/RTCP,
//!   authentication failure, replay, too old for the window, SSRC limit. None of them
//!   changes the context, so dropping the packet is always right. `Display` never prints keys,
//!   and neither does `Debug` of [`Context`] or [`MasterKey`].
//! - **Panics:** none on any input; indexing and `unwrap` are denied by lint outside tests,
//!   and the fuzz target `srtp_unprotect` throws arbitrary bytes at unprotect.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod cipher;
mod context;
mod kdf;
mod profile;
mod replay;
#[cfg(test)]
mod tests;

pub use context::{Buffer, Config, Context};
pub use profile::{KeyingMaterial, MasterKey, Profile, Role};

/// Why a packet was refused or a context could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The packet is shorter than its header, header extension and tag.
    #[error("packet too short")]
    TooShort,
    /// Not an RTP/RTCP packet: the version is not 2 (RFC 3550 §5.1).
    #[error("not an RTP or RTCP packet")]
    Malformed,
    /// The authentication tag does not match (RFC 3711 §3.3 step 5; RFC 7714 §8.2): a
    /// forged or corrupted packet, or the wrong key.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// This packet index was already received (RFC 3711 §3.3.2).
    #[error("replayed packet")]
    Replayed,
    /// The packet index is older than the replay window (RFC 3711 §3.3.2).
    #[error("packet older than the replay window")]
    TooOld,
    /// A packet of a new SSRC arrived or was sent when the context already holds
    /// [`Config::max_ssrcs`].
    #[error("too many SSRCs")]
    SsrcLimit,
    /// The master key or salt has the wrong length for the profile, or the exporter output
    /// the wrong length (RFC 5764 §4.2).
    #[error("keying material has the wrong length")]
    BadKeyingMaterial,
    /// The SRTP index (2^48) or SRTCP index (2^31) of an SSRC is used up: rekey
    /// (RFC 3711 §9.2).
    #[error("packet index exhausted, rekey")]
    IndexExhausted,
    /// The packet is too long for the cipher.
    #[error("packet too long")]
    TooLong,
}
