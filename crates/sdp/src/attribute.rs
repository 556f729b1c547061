//! `a=` lines: the typed attributes JSEP and browsers use, and a verbatim fallback.
//!
//! Each typed attribute has a struct (or a unit variant) whose `Display` writes the value part
//! exactly as browsers spell it, and a parser that borrows from the input. Parsers return the
//! `expected` text of an error; the caller adds the line number.

use std::borrow::Cow;
use std::fmt;

use crate::candidate::Candidate;
use crate::text::{
    Fields, append_with, display_with, own, parse_decimal, parse_num, push_str, push_u64,
    split_at_byte, split_byte,
};

/// The fallible result of parsing one attribute value: the error is what was expected.
pub(crate) type AttrResult<T> = Result<T, &'static str>;

/// One `a=` line, typed where nutshell knows the attribute.
///
/// Unknown attributes are kept verbatim in [`Attribute::Other`], in place, so a description
/// survives a parse/serialize round trip unchanged.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Attribute<'a> {
    /// `a=rtpmap` (RFC 8866 §6.6).
    Rtpmap(Rtpmap<'a>),
    /// `a=fmtp` (RFC 8866 §6.15).
    Fmtp(Fmtp<'a>),
    /// `a=rtcp-fb` (RFC 4585 §4.2).
    RtcpFb(RtcpFb<'a>),
    /// `a=rtcp` (RFC 3605).
    Rtcp(Rtcp<'a>),
    /// `a=rtcp-mux` (RFC 5761).
    RtcpMux,
    /// `a=rtcp-mux-only` (RFC 8858).
    RtcpMuxOnly,
    /// `a=rtcp-rsize` (RFC 5506).
    RtcpRsize,
    /// `a=extmap` (RFC 8285 §8).
    Extmap(Extmap<'a>),
    /// `a=extmap-allow-mixed` (RFC 8285 §6).
    ExtmapAllowMixed,
    /// `a=mid` (RFC 9143 §14).
    Mid(Cow<'a, str>),
    /// `a=msid` (RFC 8830).
    Msid(Msid<'a>),
    /// `a=msid-semantic` (the WebRTC "WMS" line browsers still emit).
    MsidSemantic(MsidSemantic<'a>),
    /// `a=group` (RFC 5888), e.g. BUNDLE or LS.
    Group(Group<'a>),
    /// `a=ice-ufrag` (RFC 8839 §5.4).
    IceUfrag(Cow<'a, str>),
    /// `a=ice-pwd` (RFC 8839 §5.4).
    IcePwd(Cow<'a, str>),
    /// `a=ice-options` (RFC 8839 §5.6), e.g. `trickle`.
    IceOptions(Vec<Cow<'a, str>>),
    /// `a=ice-lite` (RFC 8839 §5.3).
    IceLite,
    /// `a=fingerprint` (RFC 8122 §5).
    Fingerprint(Fingerprint),
    /// `a=setup` (RFC 4145 §4).
    Setup(Setup),
    /// `a=candidate` (RFC 8839 §5.1).
    Candidate(Box<Candidate<'a>>),
    /// `a=end-of-candidates` (RFC 8840 §8.2).
    EndOfCandidates,
    /// `a=ssrc` (RFC 5576 §4.1).
    Ssrc(Ssrc<'a>),
    /// `a=ssrc-group` (RFC 5576 §4.2).
    SsrcGroup(SsrcGroup<'a>),
    /// `a=rid` (RFC 8851).
    Rid(Rid<'a>),
    /// `a=simulcast` (RFC 8853).
    Simulcast(Simulcast<'a>),
    /// `a=sctp-port` (RFC 8841 §5).
    SctpPort(u16),
    /// `a=max-message-size` (RFC 8841 §6).
    MaxMessageSize(u64),
    /// `a=sctpmap` (the pre-RFC 8841 data channel attribute).
    Sctpmap(Sctpmap<'a>),
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly` or `a=inactive` (RFC 8866 §6.7).
    Direction(Direction),
    /// `a=bundle-only` (RFC 9143 §6).
    BundleOnly,
    /// `a=ptime` in milliseconds (RFC 8866 §6.4).
    Ptime(f64),
    /// `a=maxptime` in milliseconds (RFC 8866 §6.5).
    MaxPtime(f64),
    /// `a=framerate` in frames per second (RFC 8866 §6.8).
    Framerate(f64),
    /// Any other attribute, verbatim: `a=name` (value `None`) or `a=name:value`.
    Other {
        /// The attribute name.
        name: Cow<'a, str>,
        /// Everything after the first `:`, if there was one.
        value: Option<Cow<'a, str>>,
    },
}

/// Media direction (RFC 8866 §6.7, RFC 3264 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `sendrecv`
    SendRecv,
    /// `sendonly`
    SendOnly,
    /// `recvonly`
    RecvOnly,
    /// `inactive`
    Inactive,
}

impl Direction {
    /// The SDP token.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The token parsed, or `None` if it is not a direction.
    pub fn from_token(s: &str) -> Option<Self> {
        Some(match s {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }

    /// The direction as seen from the other side (RFC 3264 §6.1): sendonly becomes recvonly.
    pub fn reverse(self) -> Self {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtpmap<'a> {
    /// RTP payload type.
    pub payload_type: u8,
    /// Encoding name, e.g. `opus`, `VP8`.
    pub encoding: Cow<'a, str>,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters: the channel count for audio.
    pub channels: Option<u32>,
}

/// One `key=value` (or bare `value`, e.g. `0-15`) of an `a=fmtp` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FmtpParam<'a> {
    /// The text before `=`, or the whole item when it has no `=`.
    pub key: Cow<'a, str>,
    /// The text after the first `=`.
    pub value: Option<Cow<'a, str>>,
}

/// `a=fmtp:<payload type> <param>;<param>...`
///
/// Format parameters are opaque to SDP (RFC 8866 §6.15): the codec's own RFC defines them,
/// and SDP carries them unchanged. So the text after the payload type is kept as written in
/// [`Fmtp::value`] (lossless, and no allocation per line when parsing), and
/// [`Fmtp::params`] splits it on demand into key/value pairs: items at `;`, each at its first
/// `=`, white space around items dropped, empty items skipped. [`Fmtp::get`] reads one and
/// [`Fmtp::set`] edits one.
///
/// ```
/// use nutshell_sdp::{Attribute, FmtpParam};
/// let Attribute::Fmtp(mut f) = Attribute::parse("fmtp:111 minptime=10;useinbandfec=1", 1)?
/// else { unreachable!() };
/// assert_eq!(f.get("useinbandfec"), Some("1"));
/// f.set("stereo", "1");
/// assert_eq!(f.value, "minptime=10;useinbandfec=1;stereo=1");
/// assert_eq!(f.params().count(), 3);
/// # Ok::<(), nutshell_sdp::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp<'a> {
    /// RTP payload type the parameters apply to.
    pub payload_type: u8,
    /// The parameter text after the payload type, as written (e.g.
    /// `minptime=10;useinbandfec=1`, `111/111`, `0-15`).
    pub value: Cow<'a, str>,
}

impl<'a> Fmtp<'a> {
    /// An fmtp line built from parameters.
    pub fn new<'p>(payload_type: u8, params: impl IntoIterator<Item = FmtpParam<'p>>) -> Self {
        let mut value = String::new();
        for (i, p) in params.into_iter().enumerate() {
            if i > 0 {
                value.push(';');
            }
            value.push_str(&p.key);
            if let Some(v) = &p.value {
                value.push('=');
                value.push_str(v);
            }
        }
        Fmtp {
            payload_type,
            value: Cow::Owned(value),
        }
    }

    /// The parameters, split from [`Fmtp::value`].
    pub fn params(&self) -> impl Iterator<Item = FmtpParam<'_>> {
        split_params(&self.value)
    }

    /// The value of parameter `key`, if present with a value.
    pub fn get(&self, key: &str) -> Option<&str> {
        split_params(&self.value)
            .find(|p| p.key == key)
            .and_then(|p| match p.value {
                Some(Cow::Borrowed(v)) => Some(v),
                _ => None,
            })
    }

    /// Sets `key` to `value`, replacing an existing value or appending the parameter.
    pub fn set(&mut self, key: &str, value: &str) {
        let mut params: Vec<FmtpParam<'_>> = split_params(&self.value).collect();
        match params.iter_mut().find(|p| p.key == key) {
            Some(p) => p.value = Some(Cow::Borrowed(value)),
            None => params.push(FmtpParam {
                key: Cow::Borrowed(key),
                value: Some(Cow::Borrowed(value)),
            }),
        }
        let rebuilt = Fmtp::new(self.payload_type, params).value.into_owned();
        self.value = Cow::Owned(rebuilt);
    }
}

/// Payload type of an `a=rtcp-fb` line: a number or `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedbackPt {
    /// `*`: every payload type of the section.
    Any,
    /// One payload type.
    Pt(u8),
}

/// `a=rtcp-fb:<pt or *> <type>[ <parameters>]`, e.g. `96 nack pli`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpFb<'a> {
    /// Payload type it applies to.
    pub payload_type: FeedbackPt,
    /// Feedback type: `nack`, `ccm`, `goog-remb`, `transport-cc`...
    pub kind: Cow<'a, str>,
    /// The rest of the line, e.g. `pli` or `fir`.
    pub param: Option<Cow<'a, str>>,
}

/// Connection address of an `a=rtcp` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpAddress<'a> {
    /// Network type, `IN`.
    pub net_type: Cow<'a, str>,
    /// `IP4` or `IP6`.
    pub addr_type: Cow<'a, str>,
    /// The address.
    pub address: Cow<'a, str>,
}

/// `a=rtcp:<port>[ <nettype> <addrtype> <address>]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp<'a> {
    /// RTCP port.
    pub port: u16,
    /// Optional address (boxed: it is rare, and keeps [`Attribute`] small).
    pub address: Option<Box<RtcpAddress<'a>>>,
}

/// `a=extmap:<id>[/<direction>] <uri>[ <attributes>]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extmap<'a> {
    /// Header extension id, 1-14 (one-byte) or 1-255 (two-byte) (RFC 8285 §8 allows
    /// 4096-4351 in offers, hence u16).
    pub id: u16,
    /// Optional direction.
    pub direction: Option<Direction>,
    /// The extension's URI.
    pub uri: Cow<'a, str>,
    /// Extension attributes after the URI.
    pub attributes: Option<Cow<'a, str>>,
}

/// `a=msid:<stream id>[ <track id>]` (RFC 8830).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msid<'a> {
    /// MediaStream id, or `-` for none.
    pub stream_id: Cow<'a, str>,
    /// Track id ("appdata").
    pub track_id: Option<Cow<'a, str>>,
}

/// `a=msid-semantic:<semantic> <id>...`, e.g. Chrome's `a=msid-semantic: WMS stream`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsidSemantic<'a> {
    /// `WMS` in practice.
    pub semantic: Cow<'a, str>,
    /// Stream ids, or `*`.
    pub ids: Vec<Cow<'a, str>>,
    /// Whether a space follows the colon. Chrome writes one, Firefox does not; kept so that
    /// both round-trip exactly.
    pub space_after_colon: bool,
}

/// `a=group:<semantics> <mid>...` (RFC 5888).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<'a> {
    /// `BUNDLE`, `LS`, `FID`...
    pub semantics: Cow<'a, str>,
    /// The identification tags (mids) in the group.
    pub mids: Vec<Cow<'a, str>>,
}

/// Hash function of a certificate fingerprint (RFC 8122 §5, the IANA hash names).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// `sha-1`
    Sha1,
    /// `sha-224`
    Sha224,
    /// `sha-256`: what browsers use.
    Sha256,
    /// `sha-384`
    Sha384,
    /// `sha-512`
    Sha512,
    /// `md5` (legacy)
    Md5,
    /// Any other hash name, lowercase as given.
    Other(String),
}

impl HashAlgorithm {
    /// The SDP name.
    pub fn as_str(&self) -> &str {
        match self {
            HashAlgorithm::Sha1 => "sha-1",
            HashAlgorithm::Sha224 => "sha-224",
            HashAlgorithm::Sha256 => "sha-256",
            HashAlgorithm::Sha384 => "sha-384",
            HashAlgorithm::Sha512 => "sha-512",
            HashAlgorithm::Md5 => "md5",
            HashAlgorithm::Other(s) => s,
        }
    }

    /// The digest length in bytes, for the known functions.
    pub fn digest_len(&self) -> Option<usize> {
        Some(match self {
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha224 => 28,
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
            HashAlgorithm::Md5 => 16,
            HashAlgorithm::Other(_) => return None,
        })
    }

    /// The algorithm named `s`, case-insensitively.
    pub fn from_name(s: &str) -> Self {
        const KNOWN: [(&str, HashAlgorithm); 6] = [
            ("sha-1", HashAlgorithm::Sha1),
            ("sha-224", HashAlgorithm::Sha224),
            ("sha-256", HashAlgorithm::Sha256),
            ("sha-384", HashAlgorithm::Sha384),
            ("sha-512", HashAlgorithm::Sha512),
            ("md5", HashAlgorithm::Md5),
        ];
        for (name, alg) in KNOWN {
            if s.eq_ignore_ascii_case(name) {
                return alg;
            }
        }
        HashAlgorithm::Other(s.to_ascii_lowercase())
    }
}

/// `a=fingerprint:<hash> <hex bytes separated by colons>` (RFC 8122 §5).
///
/// The digest is decoded; it is written back in uppercase hex as RFC 8122 prescribes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// The hash function.
    pub algorithm: HashAlgorithm,
    /// The digest bytes.
    pub digest: Vec<u8>,
}

impl Fingerprint {
    /// Appends the digest as uppercase hex bytes separated by `:`.
    fn write_hex(&self, out: &mut Vec<u8>) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let nibble = |n: u8| HEX.get(usize::from(n & 0xf)).copied().unwrap_or(b'0');
        // Each byte becomes `:XY`; the first colon is dropped. Built on the stack and copied
        // once per 64 bytes of digest (all of a SHA-512).
        for (chunk_index, chunk) in self.digest.chunks(64).enumerate() {
            let mut buf = [0u8; 3 * 64];
            for (slot, b) in buf.chunks_exact_mut(3).zip(chunk) {
                slot.copy_from_slice(&[b':', nibble(b >> 4), nibble(*b)]);
            }
            let text = buf.get(..3 * chunk.len()).unwrap_or_default();
            let text = if chunk_index == 0 {
                text.get(1..).unwrap_or_default()
            } else {
                text
            };
            out.extend_from_slice(text);
        }
    }

    /// The digest as SDP writes it, e.g. `AB:CD:...`.
    pub fn hex(&self) -> String {
        let mut out = String::with_capacity(self.digest.len() * 3);
        append_with(&mut out, |out| self.write_hex(out));
        out
    }
}

/// `a=setup` (RFC 4145 §4): who opens the DTLS connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: this side is the DTLS client.
    Active,
    /// `passive`: this side is the DTLS server.
    Passive,
    /// `actpass`: either; offers must use it (RFC 8842 §5.2).
    ActPass,
    /// `holdconn`
    HoldConn,
}

impl Setup {
    /// The SDP token.
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::ActPass => "actpass",
            Setup::HoldConn => "holdconn",
        }
    }
}

/// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 §4.1), e.g. `1234 cname:abc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssrc<'a> {
    /// The synchronisation source.
    pub ssrc: u32,
    /// Source attribute name: `cname`, `msid`, `mslabel`, `label`...
    pub attribute: Cow<'a, str>,
    /// Everything after the first `:`.
    pub value: Option<Cow<'a, str>>,
}

/// `a=ssrc-group:<semantics> <ssrc>...` (RFC 5576 §4.2), e.g. `FID 1 2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcGroup<'a> {
    /// `FID`, `SIM`, `FEC-FR`...
    pub semantics: Cow<'a, str>,
    /// The SSRCs.
    pub ssrcs: Vec<u32>,
}

/// Direction of an `a=rid` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RidDirection {
    /// `send`
    Send,
    /// `recv`
    Recv,
}

impl RidDirection {
    /// The SDP token.
    pub fn as_str(self) -> &'static str {
        match self {
            RidDirection::Send => "send",
            RidDirection::Recv => "recv",
        }
    }
}

/// `a=rid:<id> <send|recv>[ <param>;<param>...]` (RFC 8851 §10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rid<'a> {
    /// The RTP stream id.
    pub id: Cow<'a, str>,
    /// Its direction.
    pub direction: RidDirection,
    /// Restrictions such as `pt=96,97` or `max-width=1280`, split like fmtp parameters.
    pub params: Vec<FmtpParam<'a>>,
}

impl Rid<'_> {
    /// The value of restriction `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.key == key)
            .and_then(|p| p.value.as_deref())
    }
}

/// One rid in an `a=simulcast` list, `~` marking it paused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulcastRid<'a> {
    /// The rid.
    pub id: Cow<'a, str>,
    /// Whether it was written with `~` (initially paused).
    pub paused: bool,
}

/// A list of simulcast streams: `;` separates streams, `,` separates alternatives.
pub type SimulcastStreams<'a> = Vec<Vec<SimulcastRid<'a>>>;

/// `a=simulcast:send <streams>[ recv <streams>]` or the reverse (RFC 8853 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulcast<'a> {
    /// Streams sent; empty when there is no `send` part.
    pub send: SimulcastStreams<'a>,
    /// Streams received; empty when there is no `recv` part.
    pub recv: SimulcastStreams<'a>,
    /// Whether the `recv` part was written first.
    pub recv_first: bool,
}

/// `a=sctpmap:<port> <app>[ <streams>]`, the legacy data channel attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sctpmap<'a> {
    /// SCTP port.
    pub port: u16,
    /// Application, `webrtc-datachannel`.
    pub app: Cow<'a, str>,
    /// Maximum number of streams.
    pub streams: Option<u32>,
}

impl<'a> Attribute<'a> {
    /// The attribute's name, as written after `a=`.
    pub fn name(&self) -> &str {
        match self {
            Attribute::Rtpmap(_) => "rtpmap",
            Attribute::Fmtp(_) => "fmtp",
            Attribute::RtcpFb(_) => "rtcp-fb",
            Attribute::Rtcp(_) => "rtcp",
            Attribute::RtcpMux => "rtcp-mux",
            Attribute::RtcpMuxOnly => "rtcp-mux-only",
            Attribute::RtcpRsize => "rtcp-rsize",
            Attribute::Extmap(_) => "extmap",
            Attribute::ExtmapAllowMixed => "extmap-allow-mixed",
            Attribute::Mid(_) => "mid",
            Attribute::Msid(_) => "msid",
            Attribute::MsidSemantic(_) => "msid-semantic",
            Attribute::Group(_) => "group",
            Attribute::IceUfrag(_) => "ice-ufrag",
            Attribute::IcePwd(_) => "ice-pwd",
            Attribute::IceOptions(_) => "ice-options",
            Attribute::IceLite => "ice-lite",
            Attribute::Fingerprint(_) => "fingerprint",
            Attribute::Setup(_) => "setup",
            Attribute::Candidate(_) => "candidate",
            Attribute::EndOfCandidates => "end-of-candidates",
            Attribute::Ssrc(_) => "ssrc",
            Attribute::SsrcGroup(_) => "ssrc-group",
            Attribute::Rid(_) => "rid",
            Attribute::Simulcast(_) => "simulcast",
            Attribute::SctpPort(_) => "sctp-port",
            Attribute::MaxMessageSize(_) => "max-message-size",
            Attribute::Sctpmap(_) => "sctpmap",
            Attribute::Direction(d) => d.as_str(),
            Attribute::BundleOnly => "bundle-only",
            Attribute::Ptime(_) => "ptime",
            Attribute::MaxPtime(_) => "maxptime",
            Attribute::Framerate(_) => "framerate",
            Attribute::Other { name, .. } => name,
        }
    }

    /// Parses the text after `a=` (e.g. `rtpmap:111 opus/48000/2`).
    ///
    /// `line` is only used in the error.
    pub fn parse(text: &'a str, line: usize) -> Result<Self, crate::Error> {
        let (name, value) = split_name(text);
        parse_named(name, value).map_err(|(name, expected)| crate::Error::InvalidAttribute {
            line,
            name,
            expected,
        })
    }

    /// [`Attribute::parse`], pushing the attribute onto `list`: the parser's hot path, which
    /// spares the attribute a move through a second `Result`.
    pub(crate) fn parse_into(
        text: &'a str,
        line: usize,
        list: &mut Vec<Attribute<'a>>,
    ) -> Result<(), crate::Error> {
        let (name, value) = split_name(text);
        match parse_named(name, value) {
            Ok(a) => {
                list.push(a);
                Ok(())
            }
            Err((name, expected)) => Err(crate::Error::InvalidAttribute {
                line,
                name,
                expected,
            }),
        }
    }

    /// Converts every borrowed string into an owned one.
    pub fn into_owned(self) -> Attribute<'static> {
        match self {
            Attribute::Rtpmap(r) => Attribute::Rtpmap(Rtpmap {
                payload_type: r.payload_type,
                encoding: own(r.encoding),
                clock_rate: r.clock_rate,
                channels: r.channels,
            }),
            Attribute::Fmtp(f) => Attribute::Fmtp(Fmtp {
                payload_type: f.payload_type,
                value: own(f.value),
            }),
            Attribute::RtcpFb(r) => Attribute::RtcpFb(RtcpFb {
                payload_type: r.payload_type,
                kind: own(r.kind),
                param: r.param.map(own),
            }),
            Attribute::Rtcp(r) => Attribute::Rtcp(Rtcp {
                port: r.port,
                address: r.address.map(|a| {
                    Box::new(RtcpAddress {
                        net_type: own(a.net_type),
                        addr_type: own(a.addr_type),
                        address: own(a.address),
                    })
                }),
            }),
            Attribute::RtcpMux => Attribute::RtcpMux,
            Attribute::RtcpMuxOnly => Attribute::RtcpMuxOnly,
            Attribute::RtcpRsize => Attribute::RtcpRsize,
            Attribute::Extmap(e) => Attribute::Extmap(Extmap {
                id: e.id,
                direction: e.direction,
                uri: own(e.uri),
                attributes: e.attributes.map(own),
            }),
            Attribute::ExtmapAllowMixed => Attribute::ExtmapAllowMixed,
            Attribute::Mid(m) => Attribute::Mid(own(m)),
            Attribute::Msid(m) => Attribute::Msid(Msid {
                stream_id: own(m.stream_id),
                track_id: m.track_id.map(own),
            }),
            Attribute::MsidSemantic(m) => Attribute::MsidSemantic(MsidSemantic {
                semantic: own(m.semantic),
                ids: m.ids.into_iter().map(own).collect(),
                space_after_colon: m.space_after_colon,
            }),
            Attribute::Group(g) => Attribute::Group(Group {
                semantics: own(g.semantics),
                mids: g.mids.into_iter().map(own).collect(),
            }),
            Attribute::IceUfrag(s) => Attribute::IceUfrag(own(s)),
            Attribute::IcePwd(s) => Attribute::IcePwd(own(s)),
            Attribute::IceOptions(o) => Attribute::IceOptions(o.into_iter().map(own).collect()),
            Attribute::IceLite => Attribute::IceLite,
            Attribute::Fingerprint(f) => Attribute::Fingerprint(f),
            Attribute::Setup(s) => Attribute::Setup(s),
            Attribute::Candidate(c) => Attribute::Candidate(Box::new((*c).into_owned())),
            Attribute::EndOfCandidates => Attribute::EndOfCandidates,
            Attribute::Ssrc(s) => Attribute::Ssrc(Ssrc {
                ssrc: s.ssrc,
                attribute: own(s.attribute),
                value: s.value.map(own),
            }),
            Attribute::SsrcGroup(g) => Attribute::SsrcGroup(SsrcGroup {
                semantics: own(g.semantics),
                ssrcs: g.ssrcs,
            }),
            Attribute::Rid(r) => Attribute::Rid(Rid {
                id: own(r.id),
                direction: r.direction,
                params: r.params.into_iter().map(FmtpParam::into_owned).collect(),
            }),
            Attribute::Simulcast(s) => Attribute::Simulcast(Simulcast {
                send: own_streams(s.send),
                recv: own_streams(s.recv),
                recv_first: s.recv_first,
            }),
            Attribute::SctpPort(p) => Attribute::SctpPort(p),
            Attribute::MaxMessageSize(m) => Attribute::MaxMessageSize(m),
            Attribute::Sctpmap(s) => Attribute::Sctpmap(Sctpmap {
                port: s.port,
                app: own(s.app),
                streams: s.streams,
            }),
            Attribute::Direction(d) => Attribute::Direction(d),
            Attribute::BundleOnly => Attribute::BundleOnly,
            Attribute::Ptime(p) => Attribute::Ptime(p),
            Attribute::MaxPtime(p) => Attribute::MaxPtime(p),
            Attribute::Framerate(p) => Attribute::Framerate(p),
            Attribute::Other { name, value } => Attribute::Other {
                name: own(name),
                value: value.map(own),
            },
        }
    }
}

fn own_streams(s: SimulcastStreams<'_>) -> SimulcastStreams<'static> {
    s.into_iter()
        .map(|alts| {
            alts.into_iter()
                .map(|r| SimulcastRid {
                    id: own(r.id),
                    paused: r.paused,
                })
                .collect()
        })
        .collect()
}

impl FmtpParam<'_> {
    /// Converts into an owned parameter.
    pub fn into_owned(self) -> FmtpParam<'static> {
        FmtpParam {
            key: own(self.key),
            value: self.value.map(own),
        }
    }
}

/// `name:value` split at the first colon; no colon means no value.
fn split_name(text: &str) -> (&str, Option<&str>) {
    match split_at_byte(text, b':') {
        Some((n, v)) => (n, Some(v)),
        None => (text, None),
    }
}

/// Parses attribute `name` with `value`. The error names the attribute and what was expected.
fn parse_named<'a>(
    name: &'a str,
    value: Option<&'a str>,
) -> Result<Attribute<'a>, (&'static str, &'static str)> {
    // Flag attributes (no value).
    let flag = |a: Attribute<'a>, static_name: &'static str| match value {
        None => Ok(a),
        Some(_) => Err((static_name, "no value")),
    };
    // Attributes that need a value: map the value parser's error to the attribute's name.
    fn with<'a, T>(
        name: &'static str,
        value: Option<&'a str>,
        parse: impl FnOnce(&'a str) -> AttrResult<T>,
        wrap: impl FnOnce(T) -> Attribute<'a>,
    ) -> Result<Attribute<'a>, (&'static str, &'static str)> {
        match value {
            None => Err((name, "a value after `:`")),
            Some(v) => parse(v).map(wrap).map_err(|e| (name, e)),
        }
    }
    match name {
        "rtpmap" => with("rtpmap", value, parse_rtpmap, Attribute::Rtpmap),
        "fmtp" => with("fmtp", value, parse_fmtp, Attribute::Fmtp),
        "rtcp-fb" => with("rtcp-fb", value, parse_rtcp_fb, Attribute::RtcpFb),
        "rtcp" => with("rtcp", value, parse_rtcp, Attribute::Rtcp),
        "rtcp-mux" => flag(Attribute::RtcpMux, "rtcp-mux"),
        "rtcp-mux-only" => flag(Attribute::RtcpMuxOnly, "rtcp-mux-only"),
        "rtcp-rsize" => flag(Attribute::RtcpRsize, "rtcp-rsize"),
        "extmap" => with("extmap", value, parse_extmap, Attribute::Extmap),
        "extmap-allow-mixed" => flag(Attribute::ExtmapAllowMixed, "extmap-allow-mixed"),
        "mid" => with("mid", value, token, |m| Attribute::Mid(Cow::Borrowed(m))),
        "msid" => with("msid", value, parse_msid, Attribute::Msid),
        "msid-semantic" => with(
            "msid-semantic",
            value,
            parse_msid_semantic,
            Attribute::MsidSemantic,
        ),
        "group" => with("group", value, parse_group, Attribute::Group),
        "ice-ufrag" => with("ice-ufrag", value, token, |s| {
            Attribute::IceUfrag(Cow::Borrowed(s))
        }),
        "ice-pwd" => with("ice-pwd", value, token, |s| {
            Attribute::IcePwd(Cow::Borrowed(s))
        }),
        "ice-options" => with(
            "ice-options",
            value,
            parse_token_list,
            Attribute::IceOptions,
        ),
        "ice-lite" => flag(Attribute::IceLite, "ice-lite"),
        "fingerprint" => with(
            "fingerprint",
            value,
            parse_fingerprint,
            Attribute::Fingerprint,
        ),
        "setup" => with("setup", value, parse_setup, Attribute::Setup),
        "candidate" => with("candidate", value, Candidate::parse_value, |c| {
            Attribute::Candidate(Box::new(c))
        }),
        "end-of-candidates" => flag(Attribute::EndOfCandidates, "end-of-candidates"),
        "ssrc" => with("ssrc", value, parse_ssrc, Attribute::Ssrc),
        "ssrc-group" => with("ssrc-group", value, parse_ssrc_group, Attribute::SsrcGroup),
        "rid" => with("rid", value, parse_rid, Attribute::Rid),
        "simulcast" => with("simulcast", value, parse_simulcast, Attribute::Simulcast),
        "sctp-port" => with(
            "sctp-port",
            value,
            |v| parse_num(v).ok_or("a port number"),
            Attribute::SctpPort,
        ),
        "max-message-size" => with(
            "max-message-size",
            value,
            |v| parse_num(v).ok_or("a size in bytes"),
            Attribute::MaxMessageSize,
        ),
        "sctpmap" => with("sctpmap", value, parse_sctpmap, Attribute::Sctpmap),
        "sendrecv" => flag(Attribute::Direction(Direction::SendRecv), "sendrecv"),
        "sendonly" => flag(Attribute::Direction(Direction::SendOnly), "sendonly"),
        "recvonly" => flag(Attribute::Direction(Direction::RecvOnly), "recvonly"),
        "inactive" => flag(Attribute::Direction(Direction::Inactive), "inactive"),
        "bundle-only" => flag(Attribute::BundleOnly, "bundle-only"),
        "ptime" => with(
            "ptime",
            value,
            |v| parse_decimal(v).ok_or("a time in milliseconds"),
            Attribute::Ptime,
        ),
        "maxptime" => with(
            "maxptime",
            value,
            |v| parse_decimal(v).ok_or("a time in milliseconds"),
            Attribute::MaxPtime,
        ),
        "framerate" => with(
            "framerate",
            value,
            |v| parse_decimal(v).ok_or("a frame rate"),
            Attribute::Framerate,
        ),
        _ => Ok(Attribute::Other {
            name: Cow::Borrowed(name),
            value: value.map(Cow::Borrowed),
        }),
    }
}

/// A single non-empty token without spaces.
fn token(v: &str) -> AttrResult<&str> {
    if v.is_empty() || v.contains(' ') {
        Err("a single token")
    } else {
        Ok(v)
    }
}

fn parse_token_list(v: &str) -> AttrResult<Vec<Cow<'_, str>>> {
    let list: Vec<_> = Fields::new(v).map(Cow::Borrowed).collect();
    if list.is_empty() {
        Err("at least one token")
    } else {
        Ok(list)
    }
}

fn parse_pt(s: &str) -> AttrResult<u8> {
    parse_num(s).ok_or("a payload type number")
}

fn parse_rtpmap(v: &str) -> AttrResult<Rtpmap<'_>> {
    const EXPECTED: &str = "`<payload type> <encoding>/<clock rate>[/<channels>]`";
    let mut f = Fields::new(v);
    let pt = parse_pt(f.next().ok_or(EXPECTED)?)?;
    let enc = f.next().ok_or(EXPECTED)?;
    if f.next().is_some() {
        return Err(EXPECTED);
    }
    let mut parts = split_byte(enc, b'/');
    let encoding = parts.next().filter(|s| !s.is_empty()).ok_or(EXPECTED)?;
    let clock_rate = parts.next().and_then(parse_num).ok_or(EXPECTED)?;
    let channels = match parts.next() {
        None => None,
        Some(c) => Some(parse_num(c).ok_or(EXPECTED)?),
    };
    if parts.next().is_some() {
        return Err(EXPECTED);
    }
    Ok(Rtpmap {
        payload_type: pt,
        encoding: Cow::Borrowed(encoding),
        clock_rate,
        channels,
    })
}

/// Splits `a=1;b;c=2` into parameters, skipping empty items.
fn split_params(s: &str) -> impl Iterator<Item = FmtpParam<'_>> {
    split_byte(s, b';').filter_map(|item| {
        let item = trim_spaces(item);
        if item.is_empty() {
            return None;
        }
        Some(match split_at_byte(item, b'=') {
            Some((k, v)) => FmtpParam {
                key: Cow::Borrowed(k),
                value: Some(Cow::Borrowed(v)),
            },
            None => FmtpParam {
                key: Cow::Borrowed(item),
                value: None,
            },
        })
    })
}

/// [`split_params`], collected.
fn parse_params(s: &str) -> Vec<FmtpParam<'_>> {
    split_params(s).collect()
}

/// `s` without leading and trailing ASCII spaces.
fn trim_spaces(s: &str) -> &str {
    let bytes = s.as_bytes();
    let start = bytes.iter().take_while(|&&b| b == b' ').count();
    let end = bytes.len() - bytes.iter().rev().take_while(|&&b| b == b' ').count();
    s.get(start..end.max(start)).unwrap_or_default()
}

fn parse_fmtp(v: &str) -> AttrResult<Fmtp<'_>> {
    let (pt, rest) = split_at_byte(v, b' ').unwrap_or((v, ""));
    Ok(Fmtp {
        payload_type: parse_pt(pt)?,
        value: Cow::Borrowed(rest),
    })
}

fn parse_rtcp_fb(v: &str) -> AttrResult<RtcpFb<'_>> {
    const EXPECTED: &str = "`<payload type or *> <feedback type>[ <parameters>]`";
    let mut f = Fields::new(v);
    let pt = match f.next().ok_or(EXPECTED)? {
        "*" => FeedbackPt::Any,
        n => FeedbackPt::Pt(parse_pt(n)?),
    };
    let kind = f.next().ok_or(EXPECTED)?;
    let rest = f.rest();
    Ok(RtcpFb {
        payload_type: pt,
        kind: Cow::Borrowed(kind),
        param: (!rest.is_empty()).then_some(Cow::Borrowed(rest)),
    })
}

fn parse_rtcp(v: &str) -> AttrResult<Rtcp<'_>> {
    const EXPECTED: &str = "`<port>[ <nettype> <addrtype> <address>]`";
    let mut f = Fields::new(v);
    let port = f.next().and_then(parse_num).ok_or(EXPECTED)?;
    let address = match f.next() {
        None => None,
        Some(net_type) => {
            let addr_type = f.next().ok_or(EXPECTED)?;
            let address = f.next().ok_or(EXPECTED)?;
            Some(Box::new(RtcpAddress {
                net_type: Cow::Borrowed(net_type),
                addr_type: Cow::Borrowed(addr_type),
                address: Cow::Borrowed(address),
            }))
        }
    };
    if f.next().is_some() {
        return Err(EXPECTED);
    }
    Ok(Rtcp { port, address })
}

fn parse_extmap(v: &str) -> AttrResult<Extmap<'_>> {
    const EXPECTED: &str = "`<id>[/<direction>] <uri>[ <attributes>]`";
    let mut f = Fields::new(v);
    let id_dir = f.next().ok_or(EXPECTED)?;
    let (id, direction) = match split_at_byte(id_dir, b'/') {
        Some((id, d)) => (id, Some(Direction::from_token(d).ok_or(EXPECTED)?)),
        None => (id_dir, None),
    };
    let id = parse_num(id).ok_or(EXPECTED)?;
    let uri = f.next().ok_or(EXPECTED)?;
    let rest = f.rest();
    Ok(Extmap {
        id,
        direction,
        uri: Cow::Borrowed(uri),
        attributes: (!rest.is_empty()).then_some(Cow::Borrowed(rest)),
    })
}

fn parse_msid(v: &str) -> AttrResult<Msid<'_>> {
    const EXPECTED: &str = "`<stream id>[ <track id>]`";
    let mut f = Fields::new(v);
    let stream_id = f.next().ok_or(EXPECTED)?;
    let track_id = f.next();
    if f.next().is_some() {
        return Err(EXPECTED);
    }
    Ok(Msid {
        stream_id: Cow::Borrowed(stream_id),
        track_id: track_id.map(Cow::Borrowed),
    })
}

fn parse_msid_semantic(v: &str) -> AttrResult<MsidSemantic<'_>> {
    let space_after_colon = v.starts_with(' ');
    let mut f = Fields::new(v);
    let semantic = f.next().ok_or("`<semantic> <stream id>...`")?;
    Ok(MsidSemantic {
        semantic: Cow::Borrowed(semantic),
        ids: f.map(Cow::Borrowed).collect(),
        space_after_colon,
    })
}

fn parse_group(v: &str) -> AttrResult<Group<'_>> {
    let mut f = Fields::new(v);
    let semantics = f.next().ok_or("`<semantics> <mid>...`")?;
    Ok(Group {
        semantics: Cow::Borrowed(semantics),
        mids: f.map(Cow::Borrowed).collect(),
    })
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn parse_fingerprint(v: &str) -> AttrResult<Fingerprint> {
    const EXPECTED: &str = "`<hash function> <hex bytes separated by :>`";
    let mut f = Fields::new(v);
    let algorithm = HashAlgorithm::from_name(f.next().ok_or(EXPECTED)?);
    let hex = f.next().ok_or(EXPECTED)?;
    if f.next().is_some() {
        return Err(EXPECTED);
    }
    // `XX:XX:...:XX`: two hex digits, then a colon before every pair but the first.
    let mut digest = Vec::with_capacity(hex.len().div_ceil(3));
    let mut bytes = hex.bytes();
    loop {
        let (Some(hi), Some(lo)) = (
            bytes.next().and_then(hex_digit),
            bytes.next().and_then(hex_digit),
        ) else {
            return Err(EXPECTED);
        };
        digest.push(hi << 4 | lo);
        match bytes.next() {
            None => break,
            Some(b':') => {}
            Some(_) => return Err(EXPECTED),
        }
    }
    if algorithm.digest_len().is_some_and(|n| n != digest.len()) {
        return Err("a digest as long as the hash function's output");
    }
    Ok(Fingerprint { algorithm, digest })
}

fn parse_setup(v: &str) -> AttrResult<Setup> {
    Ok(match v {
        "active" => Setup::Active,
        "passive" => Setup::Passive,
        "actpass" => Setup::ActPass,
        "holdconn" => Setup::HoldConn,
        _ => return Err("one of active, passive, actpass, holdconn"),
    })
}

fn parse_ssrc(v: &str) -> AttrResult<Ssrc<'_>> {
    const EXPECTED: &str = "`<ssrc> <attribute>[:<value>]`";
    let mut f = Fields::new(v);
    let ssrc = f.next().and_then(parse_num).ok_or(EXPECTED)?;
    let rest = f.rest();
    if rest.is_empty() {
        return Err(EXPECTED);
    }
    let (attribute, value) = match split_at_byte(rest, b':') {
        Some((a, v)) => (a, Some(Cow::Borrowed(v))),
        None => (rest, None),
    };
    Ok(Ssrc {
        ssrc,
        attribute: Cow::Borrowed(attribute),
        value,
    })
}

fn parse_ssrc_group(v: &str) -> AttrResult<SsrcGroup<'_>> {
    const EXPECTED: &str = "`<semantics> <ssrc>...`";
    let mut f = Fields::new(v);
    let semantics = f.next().ok_or(EXPECTED)?;
    let ssrcs = f
        .map(|s| parse_num(s).ok_or(EXPECTED))
        .collect::<Result<_, _>>()?;
    Ok(SsrcGroup {
        semantics: Cow::Borrowed(semantics),
        ssrcs,
    })
}

fn parse_rid(v: &str) -> AttrResult<Rid<'_>> {
    const EXPECTED: &str = "`<rid> <send|recv>[ <restrictions>]`";
    let mut f = Fields::new(v);
    let id = f.next().ok_or(EXPECTED)?;
    let direction = match f.next().ok_or(EXPECTED)? {
        "send" => RidDirection::Send,
        "recv" => RidDirection::Recv,
        _ => return Err(EXPECTED),
    };
    let rest = f.rest();
    if rest.contains(' ') {
        return Err(EXPECTED);
    }
    Ok(Rid {
        id: Cow::Borrowed(id),
        direction,
        params: parse_params(rest),
    })
}

fn parse_simulcast_streams(s: &str) -> AttrResult<SimulcastStreams<'_>> {
    const EXPECTED: &str = "rid lists like `a;b,~c`";
    split_byte(s, b';')
        .map(|alts| {
            split_byte(alts, b',')
                .map(|rid| {
                    let (id, paused) = match rid.strip_prefix('~') {
                        Some(id) => (id, true),
                        None => (rid, false),
                    };
                    if id.is_empty() {
                        Err(EXPECTED)
                    } else {
                        Ok(SimulcastRid {
                            id: Cow::Borrowed(id),
                            paused,
                        })
                    }
                })
                .collect()
        })
        .collect()
}

fn parse_simulcast(v: &str) -> AttrResult<Simulcast<'_>> {
    const EXPECTED: &str = "`send <rids>[ recv <rids>]` or `recv <rids>[ send <rids>]`";
    let mut f = Fields::new(v);
    let mut sc = Simulcast {
        send: Vec::new(),
        recv: Vec::new(),
        recv_first: false,
    };
    let mut first = true;
    while let Some(dir) = f.next() {
        let list = parse_simulcast_streams(f.next().ok_or(EXPECTED)?)?;
        match dir {
            "send" if sc.send.is_empty() => sc.send = list,
            "recv" if sc.recv.is_empty() => {
                sc.recv_first = first;
                sc.recv = list;
            }
            _ => return Err(EXPECTED),
        }
        first = false;
    }
    if first {
        return Err(EXPECTED);
    }
    Ok(sc)
}

fn parse_sctpmap(v: &str) -> AttrResult<Sctpmap<'_>> {
    const EXPECTED: &str = "`<port> <application>[ <streams>]`";
    let mut f = Fields::new(v);
    let port = f.next().and_then(parse_num).ok_or(EXPECTED)?;
    let app = f.next().ok_or(EXPECTED)?;
    let streams = match f.next() {
        None => None,
        Some(s) => Some(parse_num(s).ok_or(EXPECTED)?),
    };
    if f.next().is_some() {
        return Err(EXPECTED);
    }
    Ok(Sctpmap {
        port,
        app: Cow::Borrowed(app),
        streams,
    })
}

// ---------------------------------------------------------------------------------------------
// Writing: straight into a `String` (pushing text is several times cheaper than `fmt`
// machinery); the `Display` impls wrap this.

fn write_params(out: &mut Vec<u8>, params: &[FmtpParam<'_>]) {
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        push_str(out, &p.key);
        if let Some(v) = &p.value {
            out.push(b'=');
            push_str(out, v);
        }
    }
}

fn write_list(out: &mut Vec<u8>, items: &[Cow<'_, str>]) {
    for item in items {
        out.push(b' ');
        push_str(out, item);
    }
}

fn write_streams(out: &mut Vec<u8>, streams: &SimulcastStreams<'_>) {
    for (i, alts) in streams.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        for (j, rid) in alts.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            if rid.paused {
                out.push(b'~');
            }
            push_str(out, &rid.id);
        }
    }
}

impl Attribute<'_> {
    /// Appends the attribute as it follows `a=` (no line ending) to `s`.
    pub fn write_to(&self, s: &mut String) {
        append_with(s, |out| self.write_bytes(out));
    }

    /// Appends the attribute as it follows `a=` to a byte buffer.
    pub(crate) fn write_bytes(&self, out: &mut Vec<u8>) {
        // Each arm starts with its name as a constant, which compiles to a fixed-size copy.
        match self {
            Attribute::Rtpmap(r) => {
                out.extend_from_slice(b"rtpmap:");
                push_u64(out, r.payload_type.into());
                out.push(b' ');
                push_str(out, &r.encoding);
                out.push(b'/');
                push_u64(out, r.clock_rate.into());
                if let Some(c) = r.channels {
                    out.push(b'/');
                    push_u64(out, c.into());
                }
            }
            Attribute::Fmtp(p) => {
                out.extend_from_slice(b"fmtp:");
                push_u64(out, p.payload_type.into());
                if !p.value.is_empty() {
                    out.push(b' ');
                    push_str(out, &p.value);
                }
            }
            Attribute::RtcpFb(r) => {
                out.extend_from_slice(b"rtcp-fb:");
                match r.payload_type {
                    FeedbackPt::Any => out.push(b'*'),
                    FeedbackPt::Pt(pt) => push_u64(out, pt.into()),
                }
                out.push(b' ');
                push_str(out, &r.kind);
                if let Some(p) = &r.param {
                    out.push(b' ');
                    push_str(out, p);
                }
            }
            Attribute::Rtcp(r) => {
                out.extend_from_slice(b"rtcp:");
                push_u64(out, r.port.into());
                if let Some(a) = &r.address {
                    for part in [&a.net_type, &a.addr_type, &a.address] {
                        out.push(b' ');
                        push_str(out, part);
                    }
                }
            }
            Attribute::Extmap(e) => {
                out.extend_from_slice(b"extmap:");
                push_u64(out, e.id.into());
                if let Some(d) = e.direction {
                    out.push(b'/');
                    push_str(out, d.as_str());
                }
                out.push(b' ');
                push_str(out, &e.uri);
                if let Some(a) = &e.attributes {
                    out.push(b' ');
                    push_str(out, a);
                }
            }
            Attribute::Mid(s) | Attribute::IceUfrag(s) | Attribute::IcePwd(s) => {
                out.extend_from_slice(match self {
                    Attribute::Mid(_) => b"mid:".as_slice(),
                    Attribute::IceUfrag(_) => b"ice-ufrag:",
                    _ => b"ice-pwd:",
                });
                push_str(out, s);
            }
            Attribute::Msid(m) => {
                out.extend_from_slice(b"msid:");
                push_str(out, &m.stream_id);
                if let Some(t) = &m.track_id {
                    out.push(b' ');
                    push_str(out, t);
                }
            }
            Attribute::MsidSemantic(m) => {
                out.extend_from_slice(b"msid-semantic:");
                if m.space_after_colon {
                    out.push(b' ');
                }
                push_str(out, &m.semantic);
                write_list(out, &m.ids);
            }
            Attribute::Group(g) => {
                out.extend_from_slice(b"group:");
                push_str(out, &g.semantics);
                write_list(out, &g.mids);
            }
            Attribute::IceOptions(o) => {
                out.extend_from_slice(b"ice-options:");
                for (i, opt) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    push_str(out, opt);
                }
            }
            Attribute::Fingerprint(fp) => {
                out.extend_from_slice(b"fingerprint:");
                push_str(out, fp.algorithm.as_str());
                out.push(b' ');
                fp.write_hex(out);
            }
            Attribute::Setup(s) => {
                out.extend_from_slice(b"setup:");
                push_str(out, s.as_str());
            }
            Attribute::Candidate(c) => {
                out.extend_from_slice(b"candidate:");
                c.write_value(out);
            }
            Attribute::Ssrc(s) => {
                out.extend_from_slice(b"ssrc:");
                push_u64(out, s.ssrc.into());
                out.push(b' ');
                push_str(out, &s.attribute);
                if let Some(v) = &s.value {
                    out.push(b':');
                    push_str(out, v);
                }
            }
            Attribute::SsrcGroup(g) => {
                out.extend_from_slice(b"ssrc-group:");
                push_str(out, &g.semantics);
                for s in &g.ssrcs {
                    out.push(b' ');
                    push_u64(out, (*s).into());
                }
            }
            Attribute::Rid(r) => {
                out.extend_from_slice(b"rid:");
                push_str(out, &r.id);
                out.push(b' ');
                push_str(out, r.direction.as_str());
                if !r.params.is_empty() {
                    out.push(b' ');
                    write_params(out, &r.params);
                }
            }
            Attribute::Simulcast(s) => {
                out.extend_from_slice(b"simulcast:");
                let parts: [(&str, &SimulcastStreams<'_>); 2] = if s.recv_first {
                    [("recv", &s.recv), ("send", &s.send)]
                } else {
                    [("send", &s.send), ("recv", &s.recv)]
                };
                let mut first = true;
                for (dir, streams) in parts {
                    if streams.is_empty() {
                        continue;
                    }
                    if !first {
                        out.push(b' ');
                    }
                    first = false;
                    push_str(out, dir);
                    out.push(b' ');
                    write_streams(out, streams);
                }
            }
            Attribute::SctpPort(p) => {
                out.extend_from_slice(b"sctp-port:");
                push_u64(out, (*p).into());
            }
            Attribute::MaxMessageSize(m) => {
                out.extend_from_slice(b"max-message-size:");
                push_u64(out, *m);
            }
            Attribute::Sctpmap(s) => {
                out.extend_from_slice(b"sctpmap:");
                push_u64(out, s.port.into());
                out.push(b' ');
                push_str(out, &s.app);
                if let Some(n) = s.streams {
                    out.push(b' ');
                    push_u64(out, n.into());
                }
            }
            Attribute::Ptime(v) | Attribute::MaxPtime(v) | Attribute::Framerate(v) => {
                push_str(out, self.name());
                out.push(b':');
                // `f64`'s Display is the shortest text that reads back as the same value:
                // `20`, `29.97`. Writing to a String cannot fail.
                push_str(out, &v.to_string());
            }
            Attribute::Other { name, value } => {
                push_str(out, name);
                if let Some(v) = value {
                    out.push(b':');
                    push_str(out, v);
                }
            }
            Attribute::RtcpMux
            | Attribute::RtcpMuxOnly
            | Attribute::RtcpRsize
            | Attribute::ExtmapAllowMixed
            | Attribute::IceLite
            | Attribute::EndOfCandidates
            | Attribute::Direction(_)
            | Attribute::BundleOnly => push_str(out, self.name()),
        }
    }
}

impl fmt::Display for Attribute<'_> {
    /// Writes the attribute as it follows `a=` (no line ending).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_with(f, 64, |out| self.write_bytes(out))
    }
}
