//! Codecs and RTP header extensions we offer, and their negotiation with the remote side's
//! (RFC 8829 §5.3.1: the answer keeps the offerer's payload type numbers).

use rtp::ExtensionKind;

/// A media kind of a transceiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `m=audio`.
    Audio,
    /// `m=video`.
    Video,
}

impl MediaKind {
    /// The SDP media token.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
        }
    }
}

/// A codec nutshell can packetize and depacketize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    /// Opus (RFC 7587), 48 kHz stereo.
    Opus,
    /// VP8 (RFC 7741).
    Vp8,
    /// H.264 (RFC 6184) packetization mode 1, constrained baseline.
    H264,
}

impl CodecKind {
    /// The media kind the codec belongs to.
    pub fn media_kind(self) -> MediaKind {
        match self {
            CodecKind::Opus => MediaKind::Audio,
            CodecKind::Vp8 | CodecKind::H264 => MediaKind::Video,
        }
    }

    /// The `a=rtpmap` encoding name.
    pub fn encoding_name(self) -> &'static str {
        match self {
            CodecKind::Opus => "opus",
            CodecKind::Vp8 => "VP8",
            CodecKind::H264 => "H264",
        }
    }
}

/// A codec with its payload type and parameters, as offered or negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// Which codec.
    pub kind: CodecKind,
    /// RTP payload type (ours in an offer; the offerer's once negotiated).
    pub payload_type: u8,
    /// RTP clock rate.
    pub clock_rate: u32,
    /// Channels (audio).
    pub channels: Option<u32>,
    /// `a=fmtp` parameters, e.g. `minptime=10;useinbandfec=1`; empty for none.
    pub fmtp: String,
    /// `a=rtcp-fb` values, e.g. `nack`, `nack pli`, `ccm fir`, `transport-cc`.
    pub rtcp_fb: Vec<String>,
}

impl Codec {
    /// Opus 48 kHz stereo on payload type 111, `minptime=10;useinbandfec=1`, transport-cc.
    pub fn opus() -> Self {
        Codec {
            kind: CodecKind::Opus,
            payload_type: 111,
            clock_rate: 48_000,
            channels: Some(2),
            fmtp: "minptime=10;useinbandfec=1".into(),
            rtcp_fb: vec!["transport-cc".into()],
        }
    }

    /// VP8 on payload type 96 with nack, nack pli, ccm fir, transport-cc.
    pub fn vp8() -> Self {
        Codec {
            kind: CodecKind::Vp8,
            payload_type: 96,
            clock_rate: 90_000,
            channels: None,
            fmtp: String::new(),
            rtcp_fb: video_fb(),
        }
    }

    /// H.264 on payload type 102, packetization-mode 1, profile-level-id 42e01f.
    pub fn h264() -> Self {
        Codec {
            kind: CodecKind::H264,
            payload_type: 102,
            clock_rate: 90_000,
            channels: None,
            fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f".into(),
            rtcp_fb: video_fb(),
        }
    }

    /// Whether feedback `fb` (e.g. `nack`) was negotiated.
    pub fn has_fb(&self, fb: &str) -> bool {
        self.rtcp_fb.iter().any(|f| f == fb)
    }
}

fn video_fb() -> Vec<String> {
    ["nack", "nack pli", "ccm fir", "transport-cc"]
        .into_iter()
        .map(String::from)
        .collect()
}

/// The codecs of every kind, in our default order of preference.
pub fn default_codecs() -> Vec<Codec> {
    vec![Codec::opus(), Codec::vp8(), Codec::h264()]
}

/// Header extensions we offer, with the ids we offer them on (Chrome's numbering).
pub fn default_extensions() -> Vec<(u8, ExtensionKind)> {
    vec![
        (1, ExtensionKind::AudioLevel),
        (2, ExtensionKind::AbsSendTime),
        (3, ExtensionKind::TransportCc),
        (4, ExtensionKind::Mid),
    ]
}

/// Whether extension `kind` applies to media of `media`.
pub(crate) fn extension_applies(kind: ExtensionKind, media: MediaKind) -> bool {
    match kind {
        ExtensionKind::AudioLevel => media == MediaKind::Audio,
        ExtensionKind::Mid | ExtensionKind::AbsSendTime | ExtensionKind::TransportCc => true,
        _ => media == MediaKind::Video,
    }
}

/// Whether the remote codec (rtpmap + fmtp) is our `local` codec.
pub(crate) fn matches(
    local: &Codec,
    encoding: &str,
    clock: u32,
    channels: Option<u32>,
    fmtp: &str,
) -> bool {
    if !encoding.eq_ignore_ascii_case(local.kind.encoding_name()) || clock != local.clock_rate {
        return false;
    }
    match local.kind {
        CodecKind::Opus => channels == Some(2),
        CodecKind::Vp8 => true,
        CodecKind::H264 => {
            let param = |key: &str| {
                fmtp.split(';').find_map(|p| {
                    let (k, v) = p.trim().split_once('=')?;
                    k.trim().eq_ignore_ascii_case(key).then(|| v.trim())
                })
            };
            let mode1 = param("packetization-mode") == Some("1");
            // Constrained baseline and baseline (profile_idc 0x42), any level: what we send
            // (42e01f) decodes there, and level-asymmetry covers the level.
            let baseline = param("profile-level-id").is_some_and(|p| {
                p.len() == 6 && p.get(..2).is_some_and(|s| s.eq_ignore_ascii_case("42"))
            });
            mode1 && baseline
        }
    }
}

/// The answer's fmtp for our codec facing the remote's: Opus keeps the remote's
/// parameters we understand; H.264 answers with ours.
pub(crate) fn answer_fmtp(local: &Codec, remote_fmtp: &str) -> String {
    match local.kind {
        CodecKind::Opus => {
            let mut out: Vec<&str> = Vec::new();
            for p in remote_fmtp.split(';') {
                let p = p.trim();
                let key = p.split('=').next().unwrap_or("");
                if ["minptime", "useinbandfec", "stereo", "sprop-stereo"].contains(&key) {
                    out.push(p);
                }
            }
            if out.is_empty() {
                local.fmtp.clone()
            } else {
                out.join(";")
            }
        }
        // H.264: echo the offered parameters (same profile-level-id), which we matched.
        CodecKind::H264 => remote_fmtp.to_owned(),
        CodecKind::Vp8 => local.fmtp.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h264_matching() {
        let h = Codec::h264();
        assert!(matches(
            &h,
            "H264",
            90000,
            None,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"
        ));
        assert!(matches(
            &h,
            "h264",
            90000,
            None,
            "profile-level-id=42e01f; packetization-mode=1"
        ));
        assert!(!matches(
            &h,
            "H264",
            90000,
            None,
            "packetization-mode=0;profile-level-id=42e01f"
        ));
        assert!(!matches(
            &h,
            "H264",
            90000,
            None,
            "packetization-mode=1;profile-level-id=640c1f"
        ));
        assert!(!matches(&h, "VP8", 90000, None, ""));
        assert!(matches(&Codec::opus(), "opus", 48000, Some(2), ""));
        assert!(!matches(&Codec::opus(), "opus", 48000, None, ""));
    }

    #[test]
    fn opus_answer_fmtp_keeps_known_params() {
        let o = Codec::opus();
        assert_eq!(
            answer_fmtp(&o, "maxplaybackrate=48000;stereo=1;useinbandfec=1"),
            "stereo=1;useinbandfec=1"
        );
        assert_eq!(answer_fmtp(&o, ""), "minptime=10;useinbandfec=1");
    }
}
