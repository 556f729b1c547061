//! Typed RTP header extensions used by WebRTC, and the id→kind map negotiated in SDP.

use crate::Error;

/// An RTP header extension WebRTC knows, as named by its `a=extmap` URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtensionKind {
    /// `urn:ietf:params:rtp-hdrext:sdes:mid` (RFC 9143 §15): the media section's mid.
    Mid,
    /// `urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id` (RFC 8852 §3.1): the RID.
    Rid,
    /// `urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id` (RFC 8852 §3.2).
    RepairedRid,
    /// `http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time`: 24-bit 6.18 seconds.
    AbsSendTime,
    /// `http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01`: a u16
    /// transport-wide sequence number.
    TransportCc,
    /// `urn:ietf:params:rtp-hdrext:ssrc-audio-level` (RFC 6464).
    AudioLevel,
    /// `urn:3gpp:video-orientation` (3GPP TS 26.114 §7.4.5).
    VideoOrientation,
    /// `http://www.webrtc.org/experiments/rtp-hdrext/playout-delay`.
    PlayoutDelay,
}

impl ExtensionKind {
    /// The kind named by an `a=extmap` URI, if it is one of ours.
    #[inline]
    pub fn from_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "urn:ietf:params:rtp-hdrext:sdes:mid" => Self::Mid,
            "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id" => Self::Rid,
            "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id" => Self::RepairedRid,
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time" => Self::AbsSendTime,
            "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01" => {
                Self::TransportCc
            }
            "urn:ietf:params:rtp-hdrext:ssrc-audio-level" => Self::AudioLevel,
            "urn:3gpp:video-orientation" => Self::VideoOrientation,
            "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay" => Self::PlayoutDelay,
            _ => return None,
        })
    }

    /// The `a=extmap` URI of this kind.
    #[inline]
    pub fn uri(self) -> &'static str {
        match self {
            Self::Mid => "urn:ietf:params:rtp-hdrext:sdes:mid",
            Self::Rid => "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
            Self::RepairedRid => "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
            Self::AbsSendTime => "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            Self::TransportCc => {
                "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
            }
            Self::AudioLevel => "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            Self::VideoOrientation => "urn:3gpp:video-orientation",
            Self::PlayoutDelay => "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        }
    }
}

/// Which extension kind each local id (1..=255) carries, as negotiated by `a=extmap` lines.
///
/// A fixed table: looking an id up is one array access, and the map never allocates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionMap {
    kinds: [Option<ExtensionKind>; 256],
}

impl Default for ExtensionMap {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl ExtensionMap {
    /// An empty map.
    #[inline]
    pub fn new() -> Self {
        ExtensionMap { kinds: [None; 256] }
    }

    /// Maps `id` to `kind`, replacing what it mapped to. Id 0 is reserved (RFC 8285 §4.2) and
    /// ignored.
    #[inline]
    pub fn insert(&mut self, id: u8, kind: ExtensionKind) {
        if id != 0
            && let Some(slot) = self.kinds.get_mut(usize::from(id))
        {
            *slot = Some(kind);
        }
    }

    /// Removes the mapping of `id`.
    #[inline]
    pub fn remove(&mut self, id: u8) {
        if let Some(slot) = self.kinds.get_mut(usize::from(id)) {
            *slot = None;
        }
    }

    /// The kind `id` carries.
    #[inline]
    pub fn kind(&self, id: u8) -> Option<ExtensionKind> {
        self.kinds.get(usize::from(id)).copied().flatten()
    }

    /// The lowest id that carries `kind`.
    #[inline]
    pub fn id(&self, kind: ExtensionKind) -> Option<u8> {
        (1..=255u8).find(|&id| self.kind(id) == Some(kind))
    }
}

/// RFC 6464 client-to-mixer audio level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AudioLevel {
    /// The V bit: the sender's voice activity detector found speech.
    pub voice: bool,
    /// The level in -dBov, 0 (loudest) to 127 (silence).
    pub level: u8,
}

/// Coordination of video orientation, 3GPP TS 26.114 §7.4.5 (the low four bits: C F R1 R0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VideoOrientation {
    /// C: the back-facing camera took the picture.
    pub back_camera: bool,
    /// F: the picture is flipped horizontally.
    pub flip: bool,
    /// R1 R0: clockwise rotation in quarter turns, 0..=3.
    pub rotation: u8,
}

impl VideoOrientation {
    /// The rotation in degrees: 0, 90, 180 or 270.
    #[inline]
    pub fn degrees(self) -> u16 {
        u16::from(self.rotation & 3) * 90
    }
}

/// The playout-delay extension: two 12-bit delays in units of 10 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlayoutDelay {
    /// Minimum playout delay, 10 ms units, 0..=4095.
    pub min: u16,
    /// Maximum playout delay, 10 ms units, 0..=4095.
    pub max: u16,
}

/// A decoded header extension value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtensionValue<'a> {
    /// The mid.
    Mid(&'a str),
    /// The RID.
    Rid(&'a str),
    /// The repaired RID.
    RepairedRid(&'a str),
    /// abs-send-time, 24 bits of 6.18 fixed-point seconds.
    AbsSendTime(u32),
    /// Transport-wide sequence number.
    TransportCc(u16),
    /// Audio level.
    AudioLevel(AudioLevel),
    /// Video orientation.
    VideoOrientation(VideoOrientation),
    /// Playout delay.
    PlayoutDelay(PlayoutDelay),
}

#[inline]
fn text(data: &[u8]) -> Result<&str, Error> {
    if data.is_empty() {
        return Err(Error::BadExtension("empty identifier"));
    }
    std::str::from_utf8(data).map_err(|_| Error::BadExtension("identifier is not UTF-8"))
}

impl<'a> ExtensionValue<'a> {
    /// Decodes an element's data as `kind`.
    #[inline]
    pub fn decode(kind: ExtensionKind, data: &'a [u8]) -> Result<Self, Error> {
        Ok(match (kind, data) {
            (ExtensionKind::Mid, d) => Self::Mid(text(d)?),
            (ExtensionKind::Rid, d) => Self::Rid(text(d)?),
            (ExtensionKind::RepairedRid, d) => Self::RepairedRid(text(d)?),
            (ExtensionKind::AbsSendTime, &[a, b, c]) => {
                Self::AbsSendTime(u32::from_be_bytes([0, a, b, c]))
            }
            (ExtensionKind::TransportCc, &[a, b]) => Self::TransportCc(u16::from_be_bytes([a, b])),
            // Exactly one byte by RFC 6464 §3, but some senders pad the element: read the first.
            (ExtensionKind::AudioLevel, &[b, ..]) => Self::AudioLevel(AudioLevel {
                voice: b & 0x80 != 0,
                level: b & 0x7f,
            }),
            (ExtensionKind::VideoOrientation, &[b, ..]) => {
                Self::VideoOrientation(VideoOrientation {
                    back_camera: b & 0x08 != 0,
                    flip: b & 0x04 != 0,
                    rotation: b & 0x03,
                })
            }
            (ExtensionKind::PlayoutDelay, &[a, b, c]) => Self::PlayoutDelay(PlayoutDelay {
                min: (u16::from(a) << 4) | u16::from(b >> 4),
                max: (u16::from(b & 0x0f) << 8) | u16::from(c),
            }),
            _ => return Err(Error::BadExtension("wrong length for its kind")),
        })
    }

    /// The kind of this value.
    #[inline]
    pub fn kind(&self) -> ExtensionKind {
        match self {
            Self::Mid(_) => ExtensionKind::Mid,
            Self::Rid(_) => ExtensionKind::Rid,
            Self::RepairedRid(_) => ExtensionKind::RepairedRid,
            Self::AbsSendTime(_) => ExtensionKind::AbsSendTime,
            Self::TransportCc(_) => ExtensionKind::TransportCc,
            Self::AudioLevel(_) => ExtensionKind::AudioLevel,
            Self::VideoOrientation(_) => ExtensionKind::VideoOrientation,
            Self::PlayoutDelay(_) => ExtensionKind::PlayoutDelay,
        }
    }

    /// Length of the encoded data.
    #[inline]
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::Mid(s) | Self::Rid(s) | Self::RepairedRid(s) => s.len(),
            Self::AbsSendTime(_) | Self::PlayoutDelay(_) => 3,
            Self::TransportCc(_) => 2,
            Self::AudioLevel(_) | Self::VideoOrientation(_) => 1,
        }
    }

    /// The encoded data of a fixed-size value in four bytes and its length. Identifiers (mid,
    /// RID) are not fixed-size and give length 0: callers borrow their text instead.
    #[inline]
    pub(crate) fn encode_inline(&self) -> ([u8; 4], u8) {
        let mut out = [0u8; 4];
        let len = match *self {
            Self::Mid(_) | Self::Rid(_) | Self::RepairedRid(_) => 0,
            _ => self.encoded_len(),
        };
        match *self {
            Self::Mid(_) | Self::Rid(_) | Self::RepairedRid(_) => {}
            Self::AbsSendTime(t) => {
                let [_, a, b, c] = t.to_be_bytes();
                out = [a, b, c, 0];
            }
            Self::TransportCc(seq) => {
                let [a, b] = seq.to_be_bytes();
                out = [a, b, 0, 0];
            }
            Self::AudioLevel(AudioLevel { voice, level }) => {
                out[0] = u8::from(voice) << 7 | (level & 0x7f);
            }
            Self::VideoOrientation(VideoOrientation {
                back_camera,
                flip,
                rotation,
            }) => out[0] = u8::from(back_camera) << 3 | u8::from(flip) << 2 | (rotation & 3),
            Self::PlayoutDelay(PlayoutDelay { min, max }) => {
                let (min, max) = (min & 0x0fff, max & 0x0fff);
                out = [
                    (min >> 4) as u8,
                    ((min & 0x0f) as u8) << 4 | (max >> 8) as u8,
                    (max & 0xff) as u8,
                    0,
                ];
            }
        }
        (out, len as u8)
    }

    /// Appends the encoded data to `out`. Out-of-range fields are masked to their bit widths.
    #[inline]
    pub fn encode(&self, out: &mut Vec<u8>) {
        match *self {
            Self::Mid(s) | Self::Rid(s) | Self::RepairedRid(s) => {
                out.extend_from_slice(s.as_bytes())
            }
            _ => {
                let (bytes, len) = self.encode_inline();
                out.extend_from_slice(bytes.get(..usize::from(len)).unwrap_or_default());
            }
        }
    }
}
