//! The byte encoding of recordings: LEB128 varints, length-prefixed bytes, addresses, and
//! the [`PeerConfig`] codec. Every read is checked ([`RecordingError`], never a panic).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use dtls::SrtpProfile;
use dtls::cert::Certificate;
use rtp::ExtensionKind;
use sdp::Direction;

use crate::codec::{Codec, CodecKind, MediaKind};
use crate::config::PeerConfig;
use crate::jsep::SdpType;

/// Why a recording cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordingError {
    /// The file does not start with the recording magic.
    #[error("not a nutshell recording")]
    BadMagic,
    /// A format version this build does not read.
    #[error("unsupported recording version {0}")]
    Version(u8),
    /// The header (configuration) ends early. (A truncated *entry* at the end of the file is
    /// not an error: recordings of crashed processes end that way.)
    #[error("recording truncated in its header")]
    Truncated,
    /// A field holds a value this build cannot represent or refuses (named).
    #[error("bad value in recording: {0}")]
    BadValue(&'static str),
}

/// Largest string or byte field accepted when reading (a datagram, an SDP, a certificate).
const MAX_FIELD: usize = 1 << 20;
/// Most items in a list field (codecs, servers, ...).
const MAX_LIST: u64 = 256;

// Enums go in as their index in these tables (the order is part of the format).
const MEDIA_KINDS: [MediaKind; 2] = [MediaKind::Audio, MediaKind::Video];
const DIRECTIONS: [Direction; 4] = [
    Direction::SendRecv,
    Direction::SendOnly,
    Direction::RecvOnly,
    Direction::Inactive,
];
const SDP_TYPES: [SdpType; 4] = [
    SdpType::Offer,
    SdpType::Pranswer,
    SdpType::Answer,
    SdpType::Rollback,
];
const CODEC_KINDS: [CodecKind; 3] = [CodecKind::Opus, CodecKind::Vp8, CodecKind::H264];
const ICE_ROLES: [ice::Role; 2] = [ice::Role::Controlling, ice::Role::Controlled];

/// Appends encodings to a byte vector.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn bool(&mut self, v: bool) {
        self.buf.push(u8::from(v));
    }

    pub(crate) fn varint(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(byte);
                return;
            }
            self.buf.push(byte | 0x80);
        }
    }

    pub(crate) fn u64_le(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub(crate) fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }

    pub(crate) fn duration(&mut self, d: Duration) {
        self.varint(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    pub(crate) fn addr(&mut self, a: SocketAddr) {
        match a.ip() {
            IpAddr::V4(ip) => {
                self.u8(4);
                self.buf.extend_from_slice(&ip.octets());
            }
            IpAddr::V6(ip) => {
                self.u8(6);
                self.buf.extend_from_slice(&ip.octets());
            }
        }
        self.buf.extend_from_slice(&a.port().to_be_bytes());
    }

    /// An enum value as its index in `table` (one of the tables below).
    fn enum_in<T: PartialEq>(&mut self, table: &[T], v: &T) {
        let i = table.iter().position(|t| t == v).unwrap_or(0);
        self.u8(u8::try_from(i).unwrap_or(0));
    }

    pub(crate) fn media_kind(&mut self, k: MediaKind) {
        self.enum_in(&MEDIA_KINDS, &k);
    }

    pub(crate) fn direction(&mut self, d: Direction) {
        self.enum_in(&DIRECTIONS, &d);
    }

    pub(crate) fn sdp_type(&mut self, t: SdpType) {
        self.enum_in(&SDP_TYPES, &t);
    }

    /// The configuration. The certificate goes in as its DER only: a recording never holds
    /// the long-term private key (replays take the signatures from the recorded draws).
    pub(crate) fn config(&mut self, c: &PeerConfig) {
        let PeerConfig {
            certificate,
            stun_servers,
            include_loopback,
            ice,
            seed,
            codecs,
            extensions,
            srtp_profiles,
            mtu,
            wall_clock_at_start,
            rtcp_interval,
            nack_history,
            max_queued_events,
            max_queued_transmits,
            emit_rtp,
            dtls_initial_timeout,
            dtls_max_timeout,
            dtls_max_retransmits,
            record: _,
        } = c;
        self.bytes(certificate.der());
        self.varint(stun_servers.len() as u64);
        for s in stun_servers {
            self.addr(*s);
        }
        self.bool(*include_loopback);
        self.ice_config(ice);
        self.u64_le(*seed);
        self.varint(codecs.len() as u64);
        for codec in codecs {
            let Codec {
                kind,
                payload_type,
                clock_rate,
                channels,
                fmtp,
                rtcp_fb,
            } = codec;
            self.enum_in(&CODEC_KINDS, kind);
            self.u8(*payload_type);
            self.varint(u64::from(*clock_rate));
            match channels {
                None => self.u8(0),
                Some(n) => {
                    self.u8(1);
                    self.varint(u64::from(*n));
                }
            }
            self.str(fmtp);
            self.varint(rtcp_fb.len() as u64);
            for fb in rtcp_fb {
                self.str(fb);
            }
        }
        self.varint(extensions.len() as u64);
        for (id, kind) in extensions {
            self.u8(*id);
            self.str(kind.uri());
        }
        self.varint(srtp_profiles.len() as u64);
        for p in srtp_profiles {
            self.varint(u64::from(p.id()));
        }
        self.varint(*mtu as u64);
        let wall = wall_clock_at_start
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        self.duration(wall);
        self.duration(*rtcp_interval);
        self.varint(*nack_history as u64);
        self.varint(*max_queued_events as u64);
        self.varint(*max_queued_transmits as u64);
        self.bool(*emit_rtp);
        self.duration(*dtls_initial_timeout);
        self.duration(*dtls_max_timeout);
        self.varint(u64::from(*dtls_max_retransmits));
    }

    fn ice_config(&mut self, c: &ice::IceConfig) {
        let ice::IceConfig {
            role,
            lite,
            local_ufrag,
            local_pwd,
            stun_servers,
            ta,
            check_rto,
            check_rto_max,
            check_max_transmits,
            stun_rto,
            stun_max_transmits,
            nomination_delay,
            consent_interval,
            disconnected_timeout,
            failed_timeout,
            include_loopback,
            include_link_local,
            seed,
            max_remote_candidates,
            max_peer_reflexive,
            max_local_candidates,
            max_pairs,
            max_transactions,
            max_queued,
        } = c;
        self.enum_in(&ICE_ROLES, role);
        self.bool(*lite);
        self.opt_str(local_ufrag.as_deref());
        self.opt_str(local_pwd.as_deref());
        self.varint(stun_servers.len() as u64);
        for s in stun_servers {
            self.addr(*s);
        }
        for d in [
            ta,
            check_rto,
            check_rto_max,
            stun_rto,
            nomination_delay,
            consent_interval,
            disconnected_timeout,
            failed_timeout,
        ] {
            self.duration(*d);
        }
        self.varint(u64::from(*check_max_transmits));
        self.varint(u64::from(*stun_max_transmits));
        self.bool(*include_loopback);
        self.bool(*include_link_local);
        self.u64_le(*seed);
        for n in [
            max_remote_candidates,
            max_peer_reflexive,
            max_local_candidates,
            max_pairs,
            max_transactions,
            max_queued,
        ] {
            self.varint(*n as u64);
        }
    }
}

/// A checked cursor over a recording.
#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

pub(crate) type Result<T> = std::result::Result<T, RecordingError>;

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(RecordingError::Truncated)?;
        let out = self
            .data
            .get(self.pos..end)
            .ok_or(RecordingError::Truncated)?;
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        let b = *self.data.get(self.pos).ok_or(RecordingError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn bool(&mut self) -> Result<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(RecordingError::BadValue("bool")),
        }
    }

    pub(crate) fn varint(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(RecordingError::BadValue("varint"))
    }

    pub(crate) fn u64_le(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    pub(crate) fn usize_max(&mut self, max: usize, what: &'static str) -> Result<usize> {
        let v = self.varint()?;
        usize::try_from(v)
            .ok()
            .filter(|v| *v <= max)
            .ok_or(RecordingError::BadValue(what))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32> {
        u32::try_from(self.varint()?).map_err(|_| RecordingError::BadValue(what))
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.usize_max(MAX_FIELD, "field length")?;
        self.take(n)
    }

    pub(crate) fn string(&mut self) -> Result<String> {
        let b = self.bytes()?;
        String::from_utf8(b.to_vec()).map_err(|_| RecordingError::BadValue("utf-8"))
    }

    pub(crate) fn opt_string(&mut self) -> Result<Option<String>> {
        Ok(if self.bool()? {
            Some(self.string()?)
        } else {
            None
        })
    }

    pub(crate) fn duration(&mut self) -> Result<Duration> {
        Ok(Duration::from_nanos(self.varint()?))
    }

    fn list_len(&mut self) -> Result<u64> {
        let n = self.varint()?;
        if n > MAX_LIST {
            return Err(RecordingError::BadValue("list length"));
        }
        Ok(n)
    }

    pub(crate) fn addr(&mut self) -> Result<SocketAddr> {
        let ip = match self.u8()? {
            4 => {
                let b = self.take(4)?;
                let mut a = [0u8; 4];
                a.copy_from_slice(b);
                IpAddr::V4(Ipv4Addr::from(a))
            }
            6 => {
                let b = self.take(16)?;
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                IpAddr::V6(Ipv6Addr::from(a))
            }
            _ => return Err(RecordingError::BadValue("address family")),
        };
        let p = self.take(2)?;
        let port = u16::from_be_bytes([
            p.first().copied().unwrap_or(0),
            p.get(1).copied().unwrap_or(0),
        ]);
        Ok(SocketAddr::new(ip, port))
    }

    /// The value at the index read, in `table` (one of the tables below).
    fn enum_in<T: Copy>(&mut self, table: &[T], what: &'static str) -> Result<T> {
        let i = self.u8()?;
        table
            .get(usize::from(i))
            .copied()
            .ok_or(RecordingError::BadValue(what))
    }

    pub(crate) fn media_kind(&mut self) -> Result<MediaKind> {
        self.enum_in(&MEDIA_KINDS, "media kind")
    }

    pub(crate) fn direction(&mut self) -> Result<Direction> {
        self.enum_in(&DIRECTIONS, "direction")
    }

    pub(crate) fn sdp_type(&mut self) -> Result<SdpType> {
        self.enum_in(&SDP_TYPES, "sdp type")
    }

    /// The configuration written by [`Writer::config`], with a keyless certificate.
    pub(crate) fn config(&mut self) -> Result<PeerConfig> {
        let certificate = Certificate::from_der_without_key(self.bytes()?.to_vec())
            .map_err(|_| RecordingError::BadValue("certificate"))?;
        let mut c = PeerConfig::new(certificate);
        c.stun_servers = (0..self.list_len()?)
            .map(|_| self.addr())
            .collect::<Result<_>>()?;
        c.include_loopback = self.bool()?;
        c.ice = self.ice_config()?;
        c.seed = self.u64_le()?;
        let n = self.list_len()?;
        c.codecs = Vec::new();
        for _ in 0..n {
            let kind = self.enum_in(&CODEC_KINDS, "codec")?;
            let payload_type = self.u8()?;
            let clock_rate = self.u32("clock rate")?;
            let channels = if self.bool()? {
                Some(self.u32("channels")?)
            } else {
                None
            };
            let fmtp = self.string()?;
            let rtcp_fb = (0..self.list_len()?)
                .map(|_| self.string())
                .collect::<Result<_>>()?;
            c.codecs.push(Codec {
                kind,
                payload_type,
                clock_rate,
                channels,
                fmtp,
                rtcp_fb,
            });
        }
        let n = self.list_len()?;
        c.extensions = Vec::new();
        for _ in 0..n {
            let id = self.u8()?;
            let uri = self.string()?;
            let kind =
                ExtensionKind::from_uri(&uri).ok_or(RecordingError::BadValue("extension"))?;
            c.extensions.push((id, kind));
        }
        c.srtp_profiles = (0..self.list_len()?)
            .map(|_| {
                u16::try_from(self.varint()?)
                    .ok()
                    .and_then(SrtpProfile::from_id)
                    .ok_or(RecordingError::BadValue("srtp profile"))
            })
            .collect::<Result<_>>()?;
        c.mtu = self.usize_max(65_535, "mtu")?;
        c.wall_clock_at_start = SystemTime::UNIX_EPOCH
            .checked_add(self.duration()?)
            .ok_or(RecordingError::BadValue("wall clock"))?;
        c.rtcp_interval = self.duration()?;
        c.nack_history = self.usize_max(1 << 16, "nack history")?;
        c.max_queued_events = self.usize_max(1 << 20, "event queue")?;
        c.max_queued_transmits = self.usize_max(1 << 20, "transmit queue")?;
        c.emit_rtp = self.bool()?;
        c.dtls_initial_timeout = self.duration()?;
        c.dtls_max_timeout = self.duration()?;
        c.dtls_max_retransmits = self.u32("dtls retransmits")?;
        Ok(c)
    }

    fn ice_config(&mut self) -> Result<ice::IceConfig> {
        let mut c = ice::IceConfig {
            role: self.enum_in(&ICE_ROLES, "ice role")?,
            ..ice::IceConfig::default()
        };
        c.lite = self.bool()?;
        c.local_ufrag = self.opt_string()?;
        c.local_pwd = self.opt_string()?;
        c.stun_servers = (0..self.list_len()?)
            .map(|_| self.addr())
            .collect::<Result<_>>()?;
        for d in [
            &mut c.ta,
            &mut c.check_rto,
            &mut c.check_rto_max,
            &mut c.stun_rto,
            &mut c.nomination_delay,
            &mut c.consent_interval,
            &mut c.disconnected_timeout,
            &mut c.failed_timeout,
        ] {
            *d = self.duration()?;
        }
        c.check_max_transmits = self.u32("check transmits")?;
        c.stun_max_transmits = self.u32("stun transmits")?;
        c.include_loopback = self.bool()?;
        c.include_link_local = self.bool()?;
        c.seed = self.u64_le()?;
        for n in [
            &mut c.max_remote_candidates,
            &mut c.max_peer_reflexive,
            &mut c.max_local_candidates,
            &mut c.max_pairs,
            &mut c.max_transactions,
            &mut c.max_queued,
        ] {
            *n = self.usize_max(1 << 16, "ice limit")?;
        }
        Ok(c)
    }
}

/// FNV-1a, 64 bits: the digest of each output in a recording. Not cryptographic; it only
/// has to tell a different output from the recorded one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(pub(crate) u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl core::fmt::Write for Fnv {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.write(s.as_bytes());
        Ok(())
    }
}
