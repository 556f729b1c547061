//! Per-direction SRTP/SRTCP contexts with their per-SSRC streams (RFC 3711 §3.2, §3.3, §3.4).

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use bytes::BytesMut;

use crate::cipher::Cipher;
use crate::replay::ReplayWindow;
use crate::{Error, MasterKey, Profile};

/// Limits of a [`Context`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Size of the replay window in packets, per SSRC, for SRTP and for SRTCP
    /// (RFC 3711 §3.3.2 asks for at least 64; browsers use 1024 or more for video). Rounded up
    /// to a multiple of 64. Default 1024.
    pub replay_window: usize,
    /// How many SSRCs the context keeps state for; a packet of one more fails with
    /// [`Error::SsrcLimit`]. Default 512.
    pub max_ssrcs: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            replay_window: 1024,
            max_ssrcs: 512,
        }
    }
}

/// A byte buffer that packets are protected and unprotected in: the packet is the whole
/// buffer, and the tag is appended or removed in place. Implemented for `Vec<u8>` and
/// [`BytesMut`]; reserve [`Profile::rtp_overhead`] / [`Profile::rtcp_overhead`] spare
/// capacity and protecting never allocates.
pub trait Buffer {
    /// The packet.
    fn data(&self) -> &[u8];
    /// The packet, mutably.
    fn data_mut(&mut self) -> &mut [u8];
    /// Appends octets after the packet.
    fn append_bytes(&mut self, bytes: &[u8]);
    /// Shortens the packet to `len` octets (never called with a larger `len`).
    fn truncate_bytes(&mut self, len: usize);
}

impl Buffer for Vec<u8> {
    #[inline]
    fn data(&self) -> &[u8] {
        self
    }
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        self
    }
    #[inline]
    fn append_bytes(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline]
    fn truncate_bytes(&mut self, len: usize) {
        self.truncate(len);
    }
}

impl Buffer for BytesMut {
    #[inline]
    fn data(&self) -> &[u8] {
        self
    }
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        self
    }
    #[inline]
    fn append_bytes(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline]
    fn truncate_bytes(&mut self, len: usize) {
        self.truncate(len);
    }
}

/// What a context remembers about one SSRC (RFC 3711 §3.2.3 "cryptographic context" minus
/// the keys, which all SSRCs of a DTLS-SRTP association share).
#[derive(Debug, Clone, Default)]
struct Stream {
    /// Highest SRTP packet index protected (sender's ROC || SEQ).
    rtp_sent: Option<u64>,
    /// Received SRTP indices (the highest gives the receiver's ROC and s_l).
    rtp_received: Option<ReplayWindow>,
    /// Next SRTCP index to send (RFC 3711 §3.4: starts at zero).
    rtcp_next: u32,
    /// Received SRTCP indices.
    rtcp_received: Option<ReplayWindow>,
}

/// SSRCs are random (RFC 3550 §8.1): a multiply spreads them over the table cheaply.
#[derive(Debug, Default, Clone, Copy)]
struct SsrcHasher(u64);

impl Hasher for SsrcHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

type Streams = HashMap<u32, Stream, BuildHasherDefault<SsrcHasher>>;

/// One direction of an SRTP session: all the SSRCs one endpoint sends (an outbound context,
/// keyed with [`KeyingMaterial::local`](crate::KeyingMaterial::local)) or receives (an
/// inbound context, keyed with [`KeyingMaterial::remote`](crate::KeyingMaterial::remote)).
///
/// Per-SSRC state (RFC 3711 §3.2.3: ROC, highest sequence number, replay windows, SRTCP
/// index) is created on first use, up to [`Config::max_ssrcs`]; an inbound context creates
/// it only for packets that authenticate. `Debug` does not print keys.
pub struct Context {
    profile: Profile,
    rtp: Cipher,
    rtcp: Cipher,
    streams: Streams,
    config: Config,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("profile", &self.profile)
            .field("ssrcs", &self.streams.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context for `profile` keyed from one direction's master key and salt: derives the
    /// SRTP and SRTCP session keys (RFC 3711 §4.3, key derivation rate 0) and keys the
    /// ciphers once.
    pub fn new(profile: Profile, master: &MasterKey, config: Config) -> Result<Context, Error> {
        if master.key().len() != profile.master_key_len()
            || master.salt().len() != profile.master_salt_len()
        {
            return Err(Error::BadKeyingMaterial);
        }
        Ok(Context::with_ciphers(
            profile,
            Cipher::derive(profile, master, false)?,
            Cipher::derive(profile, master, true)?,
            config,
        ))
    }

    pub(crate) fn with_ciphers(
        profile: Profile,
        rtp: Cipher,
        rtcp: Cipher,
        config: Config,
    ) -> Self {
        Context {
            profile,
            rtp,
            rtcp,
            streams: Streams::default(),
            config,
        }
    }

    /// The profile this context protects with.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// How many SSRCs this context keeps state for.
    pub fn ssrc_count(&self) -> usize {
        self.streams.len()
    }

    /// Forgets an SSRC (after an RTCP BYE, RFC 3550 §6.6), freeing its slot. Sending or
    /// receiving on it again starts over (ROC 0, SRTCP index 0, empty replay windows), so
    /// only do this for SSRCs that are gone for good.
    pub fn remove_ssrc(&mut self, ssrc: u32) {
        self.streams.remove(&ssrc);
    }

    /// The rollover counter of a sent or received SSRC (RFC 3711 §3.3.1), if known.
    pub fn roc(&self, ssrc: u32) -> Option<u32> {
        let s = self.streams.get(&ssrc)?;
        let index = s
            .rtp_sent
            .or_else(|| s.rtp_received.as_ref().and_then(ReplayWindow::highest))?;
        Some((index >> 16) as u32)
    }

    #[cfg(test)]
    pub(crate) fn set_rtcp_index(&mut self, ssrc: u32, index: u32) {
        self.streams.entry(ssrc).or_default().rtcp_next = index;
    }

    /// Encrypts and authenticates the RTP packet in `buf` in place and appends the tag
    /// (RFC 3711 §3.3; RFC 7714 §8). The sender's ROC follows the sequence numbers it
    /// protects (RFC 3711 §3.3.1): a jump back of less than 2^15 is a reordered send, a jump
    /// forward past 65535 a rollover. Protecting the same packet again (a retransmission)
    /// gives the same bytes.
    ///
    /// Errors: [`Error::TooShort`] / [`Error::Malformed`] if `buf` is not an RTP packet,
    /// [`Error::SsrcLimit`], [`Error::IndexExhausted`]. On error `buf` is unchanged.
    #[inline]
    pub fn protect_rtp<B: Buffer + ?Sized>(&mut self, buf: &mut B) -> Result<(), Error> {
        let header = RtpHeader::parse(buf.data())?;
        let stream = stream_for_send(&mut self.streams, &self.config, header.ssrc)?;
        let index = match stream.rtp_sent {
            None => u64::from(header.seq),
            Some(highest) => estimate_index(highest, header.seq).ok_or(Error::IndexExhausted)?,
        };
        stream.rtp_sent = Some(stream.rtp_sent.map_or(index, |h| h.max(index)));
        match &self.rtp {
            Cipher::Cm(c) => {
                let tag_len = self.profile.rtp_tag_len();
                let roc = ((index >> 16) as u32).to_be_bytes();
                let tag = c.seal(header.ssrc, index, buf.data_mut(), header.len, &roc);
                buf.append_bytes(tag.get(..tag_len).ok_or(Error::TooShort)?);
            }
            Cipher::Gcm(g) => {
                let (aad, payload) = buf
                    .data_mut()
                    .split_at_mut_checked(header.len)
                    .ok_or(Error::TooShort)?;
                let tag = g.seal(g.rtp_nonce(header.ssrc, index), aad, payload)?;
                buf.append_bytes(&tag);
            }
        }
        Ok(())
    }

    /// Checks, decrypts and strips the tag of the SRTP packet in `buf` in place
    /// (RFC 3711 §3.3; RFC 7714 §8). The packet index comes from the ROC estimate of
    /// RFC 3711 Appendix A; replays and packets older than the window are refused before
    /// any crypto, and the window and ROC move only for packets that authenticate.
    ///
    /// Errors: [`Error::TooShort`], [`Error::Malformed`], [`Error::Replayed`],
    /// [`Error::TooOld`], [`Error::SsrcLimit`] (a new SSRC when the context is full),
    /// [`Error::AuthenticationFailed`]. On error the length of `buf` is unchanged but its
    /// contents are unspecified for the AEAD profiles.
    #[inline]
    pub fn unprotect_rtp<B: Buffer + ?Sized>(&mut self, buf: &mut B) -> Result<(), Error> {
        let tag_len = self.profile.rtp_tag_len();
        let len = buf.data().len();
        let body_len = len.checked_sub(tag_len).ok_or(Error::TooShort)?;
        let header = RtpHeader::parse(buf.data().get(..body_len).ok_or(Error::TooShort)?)?;
        let Context {
            rtp,
            streams,
            config,
            ..
        } = self;
        match streams.get_mut(&header.ssrc) {
            Some(stream) => {
                let index = match &stream.rtp_received {
                    Some(w) => {
                        let index = match w.highest() {
                            Some(h) => estimate_index(h, header.seq).ok_or(Error::TooOld)?,
                            None => u64::from(header.seq),
                        };
                        w.check(index)?;
                        index
                    }
                    None => u64::from(header.seq),
                };
                open_rtp(rtp, buf, &header, body_len, index)?;
                stream
                    .rtp_received
                    .get_or_insert_with(|| ReplayWindow::new(config.replay_window))
                    .accept(index);
            }
            None => {
                if streams.len() >= config.max_ssrcs {
                    return Err(Error::SsrcLimit);
                }
                // A new SSRC starts at ROC 0 with s_l = SEQ (RFC 3711 §3.3.1).
                let index = u64::from(header.seq);
                open_rtp(rtp, buf, &header, body_len, index)?;
                let mut window = ReplayWindow::new(config.replay_window);
                window.accept(index);
                streams.insert(
                    header.ssrc,
                    Stream {
                        rtp_received: Some(window),
                        ..Stream::default()
                    },
                );
            }
        }
        buf.truncate_bytes(body_len);
        Ok(())
    }

    /// Encrypts and authenticates the RTCP compound packet in `buf` in place, appending the
    /// E flag (always set: this crate always encrypts), the 31-bit SRTCP index and the tag
    /// (RFC 3711 §3.4; RFC 7714 §9, where the tag comes before E || index).
    ///
    /// Errors: [`Error::TooShort`] / [`Error::Malformed`] if `buf` does not start with an
    /// RTCP header and sender SSRC, [`Error::SsrcLimit`], [`Error::IndexExhausted`] after
    /// 2^31 packets of one SSRC (rekey). On error `buf` is unchanged.
    #[inline]
    pub fn protect_rtcp<B: Buffer + ?Sized>(&mut self, buf: &mut B) -> Result<(), Error> {
        let ssrc = rtcp_ssrc(buf.data())?;
        let stream = stream_for_send(&mut self.streams, &self.config, ssrc)?;
        let index = stream.rtcp_next;
        if index > 0x7fff_ffff {
            return Err(Error::IndexExhausted);
        }
        stream.rtcp_next = index + 1;
        let e_index = (0x8000_0000 | index).to_be_bytes();
        match &self.rtcp {
            Cipher::Cm(c) => {
                let tag_len = self.profile.rtcp_tag_len();
                let tag = c.seal(ssrc, u64::from(index), buf.data_mut(), 8, &e_index);
                buf.append_bytes(&e_index);
                buf.append_bytes(tag.get(..tag_len).ok_or(Error::TooShort)?);
            }
            Cipher::Gcm(g) => {
                let (header, payload) = buf
                    .data_mut()
                    .split_at_mut_checked(8)
                    .ok_or(Error::TooShort)?;
                let aad = rtcp_aad(header, e_index)?;
                let tag = g.seal(g.rtcp_nonce(ssrc, index), &aad, payload)?;
                buf.append_bytes(&tag);
                buf.append_bytes(&e_index);
            }
        }
        Ok(())
    }

    /// Checks, decrypts (if the E flag is set) and strips the trailer of the SRTCP packet in
    /// `buf` in place (RFC 3711 §3.4; RFC 7714 §9, §17). Replays and packets older than the
    /// window are refused.
    ///
    /// Errors: as [`Context::unprotect_rtp`].
    #[inline]
    pub fn unprotect_rtcp<B: Buffer + ?Sized>(&mut self, buf: &mut B) -> Result<(), Error> {
        let tag_len = self.profile.rtcp_tag_len();
        let len = buf.data().len();
        let plain_len = len.checked_sub(tag_len + 4).ok_or(Error::TooShort)?;
        let ssrc = rtcp_ssrc(buf.data().get(..plain_len).ok_or(Error::TooShort)?)?;
        let trailer_at = match self.rtcp {
            Cipher::Cm(_) => plain_len,
            Cipher::Gcm(_) => len - 4,
        };
        let e_index = read_u32(buf.data(), trailer_at)?;
        let encrypted = e_index & 0x8000_0000 != 0;
        let index = e_index & 0x7fff_ffff;
        let Context {
            rtcp,
            streams,
            config,
            ..
        } = self;
        let full = streams.len() >= config.max_ssrcs;
        let stream = match streams.get_mut(&ssrc) {
            Some(stream) => {
                if let Some(w) = &stream.rtcp_received {
                    w.check(u64::from(index))?;
                }
                Some(stream)
            }
            None if full => return Err(Error::SsrcLimit),
            None => None,
        };
        match rtcp {
            Cipher::Cm(c) => {
                let (message, tag) = buf
                    .data()
                    .split_at_checked(len - tag_len)
                    .ok_or(Error::TooShort)?;
                c.verify(message, &[], tag)?;
                if encrypted {
                    let payload = buf
                        .data_mut()
                        .get_mut(8..plain_len)
                        .ok_or(Error::TooShort)?;
                    c.apply_keystream(ssrc, u64::from(index), payload);
                }
            }
            Cipher::Gcm(g) => {
                let nonce = g.rtcp_nonce(ssrc, index);
                let data = buf.data_mut().get_mut(..len - 4).ok_or(Error::TooShort)?;
                if encrypted {
                    let (header, sealed) = data.split_at_mut_checked(8).ok_or(Error::TooShort)?;
                    g.open(nonce, &rtcp_aad(header, e_index.to_be_bytes())?, sealed)?;
                } else {
                    // RFC 7714 §9.2: the whole packet and E || index are the AAD. Move the
                    // trailer before the tag so the AAD is contiguous.
                    let data = buf.data_mut();
                    data.get_mut(plain_len..len)
                        .ok_or(Error::TooShort)?
                        .rotate_right(4);
                    let (aad, tag) = data
                        .split_at_mut_checked(plain_len + 4)
                        .ok_or(Error::TooShort)?;
                    g.open(nonce, aad, tag)?;
                }
            }
        }
        buf.truncate_bytes(plain_len);
        let window = match stream {
            Some(stream) => stream,
            None => streams.entry(ssrc).or_default(),
        }
        .rtcp_received
        .get_or_insert_with(|| ReplayWindow::new(config.replay_window));
        window.accept(u64::from(index));
        Ok(())
    }
}

/// Decrypts and checks an SRTP packet whose tag starts at `body_len`.
#[inline]
fn open_rtp<B: Buffer + ?Sized>(
    cipher: &Cipher,
    buf: &mut B,
    header: &RtpHeader,
    body_len: usize,
    index: u64,
) -> Result<(), Error> {
    match cipher {
        Cipher::Cm(c) => {
            let (body, tag) = buf
                .data_mut()
                .split_at_mut_checked(body_len)
                .ok_or(Error::TooShort)?;
            let roc = ((index >> 16) as u32).to_be_bytes();
            c.open(header.ssrc, index, body, header.len, &roc, tag)?;
        }
        Cipher::Gcm(g) => {
            let (aad, sealed) = buf
                .data_mut()
                .split_at_mut_checked(header.len)
                .ok_or(Error::TooShort)?;
            g.open(g.rtp_nonce(header.ssrc, index), aad, sealed)?;
        }
    }
    Ok(())
}

/// The sending side's stream, created if new and the limit allows.
#[inline]
fn stream_for_send<'a>(
    streams: &'a mut Streams,
    config: &Config,
    ssrc: u32,
) -> Result<&'a mut Stream, Error> {
    let full = streams.len() >= config.max_ssrcs;
    match streams.entry(ssrc) {
        std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
        std::collections::hash_map::Entry::Vacant(_) if full => Err(Error::SsrcLimit),
        std::collections::hash_map::Entry::Vacant(e) => Ok(e.insert(Stream::default())),
    }
}

/// The packet index of a received sequence number (RFC 3711 Appendix A): `highest` is the
/// highest index so far (ROC || s_l). `None` if it would fall before zero or past 2^48.
#[inline]
pub(crate) fn estimate_index(highest: u64, seq: u16) -> Option<u64> {
    let roc = highest >> 16;
    let s_l = (highest & 0xffff) as u16;
    let v = if s_l < 0x8000 {
        if i32::from(seq) - i32::from(s_l) > 0x8000 {
            roc.checked_sub(1)?
        } else {
            roc
        }
    } else if i32::from(s_l) - 0x8000 > i32::from(seq) {
        roc + 1
    } else {
        roc
    };
    let index = (v << 16) | u64::from(seq);
    (index < 1 << 48).then_some(index)
}

/// What SRTP needs of an RTP header (RFC 3550 §5.1, §5.3.1).
struct RtpHeader {
    /// Fixed header, CSRCs and header extension.
    len: usize,
    seq: u16,
    ssrc: u32,
}

impl RtpHeader {
    #[inline]
    fn parse(buf: &[u8]) -> Result<RtpHeader, Error> {
        let [b0, _, s0, s1, _, _, _, _, i0, i1, i2, i3] =
            *buf.first_chunk::<12>().ok_or(Error::TooShort)?;
        if b0 >> 6 != 2 {
            return Err(Error::Malformed);
        }
        let mut len = 12 + 4 * usize::from(b0 & 0x0f);
        if b0 & 0x10 != 0 {
            let words = buf.get(len + 2..len + 4).ok_or(Error::TooShort)?;
            let words = words.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
            len += 4 + 4 * words;
        }
        if len > buf.len() {
            return Err(Error::TooShort);
        }
        Ok(RtpHeader {
            len,
            seq: u16::from_be_bytes([s0, s1]),
            ssrc: u32::from_be_bytes([i0, i1, i2, i3]),
        })
    }
}

/// The sender SSRC of an RTCP packet (RFC 3550 §6.4.1: the first packet of a compound
/// starts with the header and the sender's SSRC).
#[inline]
fn rtcp_ssrc(buf: &[u8]) -> Result<u32, Error> {
    let [b0, _, _, _, i0, i1, i2, i3] = *buf.first_chunk::<8>().ok_or(Error::TooShort)?;
    if b0 >> 6 != 2 {
        return Err(Error::Malformed);
    }
    Ok(u32::from_be_bytes([i0, i1, i2, i3]))
}

#[inline]
fn read_u32(buf: &[u8], at: usize) -> Result<u32, Error> {
    let b = buf
        .get(at..)
        .and_then(|b| b.first_chunk::<4>())
        .ok_or(Error::TooShort)?;
    Ok(u32::from_be_bytes(*b))
}

/// The SRTCP AEAD associated data: the first 8 octets and E || SRTCP index (RFC 7714 §9.1).
#[inline]
fn rtcp_aad(header: &[u8], e_index: [u8; 4]) -> Result<[u8; 12], Error> {
    let [a, b, c, d, e, f, g, h] = *header.first_chunk::<8>().ok_or(Error::TooShort)?;
    let [i, j, k, l] = e_index;
    Ok([a, b, c, d, e, f, g, h, i, j, k, l])
}
