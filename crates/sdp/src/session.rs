//! The description model (session and media sections) and its typed accessors.

use std::borrow::Cow;

use crate::attribute::{
    Attribute, Direction, Extmap, Fingerprint, Fmtp, Group, Msid, Rid, RtcpFb, Rtpmap, Setup,
    Simulcast, Ssrc, SsrcGroup,
};
use crate::candidate::Candidate;
use crate::text::own;

/// A whole session description (RFC 8866 §5).
///
/// Strings borrow from the parsed text (`Cow::Borrowed`), so parsing copies nothing but the
/// structure; edit any field by assigning an owned value (`"x".to_string().into()`), and call
/// [`SessionDescription::into_owned`] to keep a description beyond the text's lifetime.
///
/// Line order on output follows RFC 8866 §5: `v o s i u e p c b`, the time descriptions
/// (`t` with its `r` lines), `z k a`, then each media section (`m i c b k a`).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionDescription<'a> {
    /// `o=`: originator and session id.
    pub origin: Origin<'a>,
    /// `s=`: session name (`-` in WebRTC).
    pub session_name: Cow<'a, str>,
    /// `i=`: session information.
    pub information: Option<Cow<'a, str>>,
    /// `u=`: URI of a description.
    pub uri: Option<Cow<'a, str>>,
    /// `e=` lines.
    pub emails: Vec<Cow<'a, str>>,
    /// `p=` lines.
    pub phones: Vec<Cow<'a, str>>,
    /// `c=`: session-level connection data.
    pub connection: Option<Connection<'a>>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// `t=` lines, each with its `r=` lines. WebRTC uses a single `t=0 0`.
    pub times: Vec<Timing>,
    /// `z=`: time zone adjustments.
    pub time_zones: Vec<TimeZone>,
    /// `k=` (obsolete), verbatim.
    pub key: Option<Cow<'a, str>>,
    /// Session-level `a=` lines, in order.
    pub attributes: Vec<Attribute<'a>>,
    /// `m=` sections, in order.
    pub media: Vec<MediaDescription<'a>>,
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin<'a> {
    /// User name, `-` when there is none.
    pub username: Cow<'a, str>,
    /// Session id.
    pub session_id: u64,
    /// Session version, incremented by each new offer or answer of the session.
    pub session_version: u64,
    /// Network type, `IN`.
    pub net_type: Cow<'a, str>,
    /// `IP4` or `IP6`.
    pub addr_type: Cow<'a, str>,
    /// Address of the originating host.
    pub address: Cow<'a, str>,
}

/// `c=<nettype> <addrtype> <address>[/<ttl>][/<count>]` (RFC 8866 §5.7).
///
/// For `IP4` a single suffix is the multicast TTL and a second one the address count; for
/// `IP6` the single suffix is the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection<'a> {
    /// Network type, `IN`.
    pub net_type: Cow<'a, str>,
    /// `IP4` or `IP6`.
    pub addr_type: Cow<'a, str>,
    /// The address, without the suffixes.
    pub address: Cow<'a, str>,
    /// Multicast TTL (IPv4 only).
    pub ttl: Option<u8>,
    /// Number of addresses (multicast).
    pub count: Option<u32>,
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8), e.g. `AS:2000` (kbit/s) or `TIAS:2000000` (bit/s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth<'a> {
    /// `AS`, `CT`, `TIAS`...
    pub kind: Cow<'a, str>,
    /// The value, in the unit the type defines.
    pub value: u64,
}

/// Unit suffix of an SDP typed time (RFC 8866 §5.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// `d`
    Days,
    /// `h`
    Hours,
    /// `m`
    Minutes,
    /// `s`
    Seconds,
}

/// A typed time such as `7d`, `-1h` or `3600` (seconds when no unit is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypedTime {
    /// The number as written.
    pub value: i64,
    /// The unit, if one was written.
    pub unit: Option<TimeUnit>,
}

impl TypedTime {
    /// The time in seconds, saturating.
    pub fn seconds(self) -> i64 {
        let mul = match self.unit {
            None | Some(TimeUnit::Seconds) => 1,
            Some(TimeUnit::Minutes) => 60,
            Some(TimeUnit::Hours) => 3_600,
            Some(TimeUnit::Days) => 86_400,
        };
        self.value.saturating_mul(mul)
    }
}

/// `r=<repeat interval> <active duration> <offsets>...` (RFC 8866 §5.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// Repeat interval.
    pub interval: TypedTime,
    /// Active duration.
    pub duration: TypedTime,
    /// Offsets from the start time.
    pub offsets: Vec<TypedTime>,
}

/// `t=<start> <stop>` (RFC 8866 §5.9) with its `r=` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// Start time (NTP seconds), 0 for unbounded.
    pub start: u64,
    /// Stop time (NTP seconds), 0 for unbounded.
    pub stop: u64,
    /// Repeat times.
    pub repeats: Vec<Repeat>,
}

/// One `<adjustment time> <offset>` pair of a `z=` line (RFC 8866 §5.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone {
    /// When the adjustment happens (NTP seconds).
    pub adjustment_time: u64,
    /// The offset to apply.
    pub offset: TypedTime,
}

/// The media type of an `m=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaKind<'a> {
    /// `audio`
    Audio,
    /// `video`
    Video,
    /// `application` (data channels)
    Application,
    /// `text`
    Text,
    /// `message`
    Message,
    /// Anything else, verbatim.
    Other(Cow<'a, str>),
}

impl MediaKind<'_> {
    /// The SDP token.
    pub fn as_str(&self) -> &str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Application => "application",
            MediaKind::Text => "text",
            MediaKind::Message => "message",
            MediaKind::Other(s) => s,
        }
    }
}

/// A media section: `m=<media> <port>[/<count>] <proto> <fmt>...` and its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaDescription<'a> {
    /// Media type.
    pub kind: MediaKind<'a>,
    /// Port; 0 marks a rejected section, 9 the usual placeholder with ICE.
    pub port: u16,
    /// Number of ports (`/2` in `49170/2`).
    pub port_count: Option<u32>,
    /// Transport protocol, e.g. `UDP/TLS/RTP/SAVPF` or `UDP/DTLS/SCTP`.
    pub protocol: Cow<'a, str>,
    /// Formats: RTP payload types, or `webrtc-datachannel`.
    pub formats: Vec<Cow<'a, str>>,
    /// `i=`: media title.
    pub information: Option<Cow<'a, str>>,
    /// `c=` lines.
    pub connections: Vec<Connection<'a>>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// `k=` (obsolete), verbatim.
    pub key: Option<Cow<'a, str>>,
    /// `a=` lines, in order.
    pub attributes: Vec<Attribute<'a>>,
}

/// Typed look-ups over a list of attributes, shared by sessions and media sections.
macro_rules! attribute_accessors {
    () => {
        /// The first attribute named `name` (e.g. `"rtcp-mux"`), typed or not.
        pub fn attribute(&self, name: &str) -> Option<&Attribute<'a>> {
            self.attributes.iter().find(|a| a.name() == name)
        }

        /// The value of the first [`Attribute::Other`] named `name`.
        pub fn other_attribute(&self, name: &str) -> Option<Option<&str>> {
            self.attributes.iter().find_map(|a| match a {
                Attribute::Other { name: n, value } if n == name => Some(value.as_deref()),
                _ => None,
            })
        }

        /// `a=ice-ufrag`.
        pub fn ice_ufrag(&self) -> Option<&str> {
            self.attributes.iter().find_map(|a| match a {
                Attribute::IceUfrag(s) => Some(&**s),
                _ => None,
            })
        }

        /// `a=ice-pwd`.
        pub fn ice_pwd(&self) -> Option<&str> {
            self.attributes.iter().find_map(|a| match a {
                Attribute::IcePwd(s) => Some(&**s),
                _ => None,
            })
        }

        /// `a=ice-options` tokens.
        pub fn ice_options(&self) -> impl Iterator<Item = &str> {
            self.attributes
                .iter()
                .filter_map(|a| match a {
                    Attribute::IceOptions(o) => Some(o.iter().map(|s| &**s)),
                    _ => None,
                })
                .flatten()
        }

        /// `a=fingerprint` lines.
        pub fn fingerprints(&self) -> impl Iterator<Item = &Fingerprint> {
            self.attributes.iter().filter_map(|a| match a {
                Attribute::Fingerprint(f) => Some(f),
                _ => None,
            })
        }

        /// `a=setup`.
        pub fn setup(&self) -> Option<Setup> {
            self.attributes.iter().find_map(|a| match a {
                Attribute::Setup(s) => Some(*s),
                _ => None,
            })
        }

        /// The direction attribute, if there is one (RFC 8866 says sendrecv otherwise).
        pub fn direction(&self) -> Option<Direction> {
            self.attributes.iter().find_map(|a| match a {
                Attribute::Direction(d) => Some(*d),
                _ => None,
            })
        }

        /// Replaces the direction attribute (or adds one).
        pub fn set_direction(&mut self, direction: Direction) {
            match self
                .attributes
                .iter_mut()
                .find(|a| matches!(a, Attribute::Direction(_)))
            {
                Some(a) => *a = Attribute::Direction(direction),
                None => self.attributes.push(Attribute::Direction(direction)),
            }
        }

        /// `a=extmap` lines.
        pub fn extmaps(&self) -> impl Iterator<Item = &Extmap<'a>> {
            self.attributes.iter().filter_map(|a| match a {
                Attribute::Extmap(e) => Some(e),
                _ => None,
            })
        }

        /// `a=candidate` lines.
        pub fn candidates(&self) -> impl Iterator<Item = &Candidate<'a>> {
            self.attributes.iter().filter_map(|a| match a {
                Attribute::Candidate(c) => Some(&**c),
                _ => None,
            })
        }

        /// Whether `a=end-of-candidates` is present.
        pub fn end_of_candidates(&self) -> bool {
            self.has(&Attribute::EndOfCandidates)
        }

        /// Whether a flag attribute such as [`Attribute::RtcpMux`] is present.
        pub fn has(&self, flag: &Attribute<'_>) -> bool {
            self.attributes.iter().any(|a| a == flag)
        }

        /// Appends an attribute.
        pub fn push(&mut self, attribute: Attribute<'a>) -> &mut Self {
            self.attributes.push(attribute);
            self
        }

        /// Removes every attribute for which `remove` returns true.
        pub fn remove_attributes(&mut self, mut remove: impl FnMut(&Attribute<'a>) -> bool) {
            self.attributes.retain(|a| !remove(a));
        }
    };
}

impl<'a> SessionDescription<'a> {
    /// A description with the lines WebRTC needs and nothing else:
    /// `v=0`, `o=- <session_id> 2 IN IP4 127.0.0.1`, `s=-`, `t=0 0`.
    pub fn new(session_id: u64) -> Self {
        SessionDescription {
            origin: Origin {
                username: Cow::Borrowed("-"),
                session_id,
                session_version: 2,
                net_type: Cow::Borrowed("IN"),
                addr_type: Cow::Borrowed("IP4"),
                address: Cow::Borrowed("127.0.0.1"),
            },
            session_name: Cow::Borrowed("-"),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            times: vec![Timing {
                start: 0,
                stop: 0,
                repeats: Vec::new(),
            }],
            time_zones: Vec::new(),
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    attribute_accessors!();

    /// `a=group` lines.
    pub fn groups(&self) -> impl Iterator<Item = &Group<'a>> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Group(g) => Some(g),
            _ => None,
        })
    }

    /// The `a=group:BUNDLE` groups (there may be several, RFC 9143).
    pub fn bundle_groups(&self) -> impl Iterator<Item = &Group<'a>> {
        self.groups().filter(|g| g.semantics == "BUNDLE")
    }

    /// Whether the session is ICE-lite (`a=ice-lite`).
    pub fn ice_lite(&self) -> bool {
        self.has(&Attribute::IceLite)
    }

    /// The media section with `a=mid:<mid>`.
    pub fn media_by_mid(&self, mid: &str) -> Option<&MediaDescription<'a>> {
        self.media.iter().find(|m| m.mid() == Some(mid))
    }

    /// Converts every borrowed string into an owned one.
    pub fn into_owned(self) -> SessionDescription<'static> {
        SessionDescription {
            origin: self.origin.into_owned(),
            session_name: own(self.session_name),
            information: self.information.map(own),
            uri: self.uri.map(own),
            emails: self.emails.into_iter().map(own).collect(),
            phones: self.phones.into_iter().map(own).collect(),
            connection: self.connection.map(Connection::into_owned),
            bandwidths: self
                .bandwidths
                .into_iter()
                .map(Bandwidth::into_owned)
                .collect(),
            times: self.times,
            time_zones: self.time_zones,
            key: self.key.map(own),
            attributes: self
                .attributes
                .into_iter()
                .map(Attribute::into_owned)
                .collect(),
            media: self
                .media
                .into_iter()
                .map(MediaDescription::into_owned)
                .collect(),
        }
    }
}

impl<'a> MediaDescription<'a> {
    /// A media section with no lines but the `m=` line.
    pub fn new(
        kind: MediaKind<'a>,
        port: u16,
        protocol: impl Into<Cow<'a, str>>,
        formats: Vec<Cow<'a, str>>,
    ) -> Self {
        MediaDescription {
            kind,
            port,
            port_count: None,
            protocol: protocol.into(),
            formats,
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
        }
    }

    attribute_accessors!();

    /// `a=mid`.
    pub fn mid(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Mid(s) => Some(&**s),
            _ => None,
        })
    }

    /// The formats that are RTP payload type numbers.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| f.parse().ok())
    }

    /// `a=rtpmap` lines.
    pub fn rtpmaps(&self) -> impl Iterator<Item = &Rtpmap<'a>> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Rtpmap(r) => Some(r),
            _ => None,
        })
    }

    /// The `a=rtpmap` of payload type `pt`.
    pub fn rtpmap(&self, pt: u8) -> Option<&Rtpmap<'a>> {
        self.rtpmaps().find(|r| r.payload_type == pt)
    }

    /// The `a=fmtp` of payload type `pt`.
    pub fn fmtp(&self, pt: u8) -> Option<&Fmtp<'a>> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Fmtp(f) if f.payload_type == pt => Some(f),
            _ => None,
        })
    }

    /// `a=rtcp-fb` lines.
    pub fn rtcp_fbs(&self) -> impl Iterator<Item = &RtcpFb<'a>> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::RtcpFb(r) => Some(r),
            _ => None,
        })
    }

    /// `a=msid` lines.
    pub fn msids(&self) -> impl Iterator<Item = &Msid<'a>> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Msid(m) => Some(m),
            _ => None,
        })
    }

    /// `a=ssrc` lines.
    pub fn ssrcs(&self) -> impl Iterator<Item = &Ssrc<'a>> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Ssrc(s) => Some(s),
            _ => None,
        })
    }

    /// `a=ssrc-group` lines.
    pub fn ssrc_groups(&self) -> impl Iterator<Item = &SsrcGroup<'a>> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::SsrcGroup(s) => Some(s),
            _ => None,
        })
    }

    /// `a=rid` lines.
    pub fn rids(&self) -> impl Iterator<Item = &Rid<'a>> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Rid(r) => Some(r),
            _ => None,
        })
    }

    /// `a=simulcast`.
    pub fn simulcast(&self) -> Option<&Simulcast<'a>> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Simulcast(s) => Some(s),
            _ => None,
        })
    }

    /// `a=sctp-port`.
    pub fn sctp_port(&self) -> Option<u16> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::SctpPort(p) => Some(*p),
            _ => None,
        })
    }

    /// `a=max-message-size`.
    pub fn max_message_size(&self) -> Option<u64> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::MaxMessageSize(m) => Some(*m),
            _ => None,
        })
    }

    /// Converts every borrowed string into an owned one.
    pub fn into_owned(self) -> MediaDescription<'static> {
        MediaDescription {
            kind: match self.kind {
                MediaKind::Audio => MediaKind::Audio,
                MediaKind::Video => MediaKind::Video,
                MediaKind::Application => MediaKind::Application,
                MediaKind::Text => MediaKind::Text,
                MediaKind::Message => MediaKind::Message,
                MediaKind::Other(s) => MediaKind::Other(own(s)),
            },
            port: self.port,
            port_count: self.port_count,
            protocol: own(self.protocol),
            formats: self.formats.into_iter().map(own).collect(),
            information: self.information.map(own),
            connections: self
                .connections
                .into_iter()
                .map(Connection::into_owned)
                .collect(),
            bandwidths: self
                .bandwidths
                .into_iter()
                .map(Bandwidth::into_owned)
                .collect(),
            key: self.key.map(own),
            attributes: self
                .attributes
                .into_iter()
                .map(Attribute::into_owned)
                .collect(),
        }
    }
}

impl Origin<'_> {
    /// Converts every borrowed string into an owned one.
    pub fn into_owned(self) -> Origin<'static> {
        Origin {
            username: own(self.username),
            session_id: self.session_id,
            session_version: self.session_version,
            net_type: own(self.net_type),
            addr_type: own(self.addr_type),
            address: own(self.address),
        }
    }
}

impl Connection<'_> {
    /// Converts every borrowed string into an owned one.
    pub fn into_owned(self) -> Connection<'static> {
        Connection {
            net_type: own(self.net_type),
            addr_type: own(self.addr_type),
            address: own(self.address),
            ttl: self.ttl,
            count: self.count,
        }
    }
}

impl Bandwidth<'_> {
    /// Converts every borrowed string into an owned one.
    pub fn into_owned(self) -> Bandwidth<'static> {
        Bandwidth {
            kind: own(self.kind),
            value: self.value,
        }
    }
}
