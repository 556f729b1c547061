//! ICE candidates: the `candidate` attribute of RFC 8839 §5.1, in an SDP or alone (trickle).

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use crate::Error;
use crate::attribute::AttrResult;
use crate::text::{Fields, display_with, own, parse_num, push_str, push_u64, split_byte};

/// Transport of a candidate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Transport<'a> {
    /// UDP.
    Udp,
    /// TCP (RFC 6544), with a [`TcpType`].
    Tcp,
    /// Any other transport token, as written.
    Other(Cow<'a, str>),
}

/// Candidate type (RFC 8445 §5.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CandidateType<'a> {
    /// `host`: an address of a local interface.
    Host,
    /// `srflx`: server reflexive, as a STUN server saw us.
    ServerReflexive,
    /// `prflx`: peer reflexive, as the peer saw us.
    PeerReflexive,
    /// `relay`: an address on a TURN server.
    Relay,
    /// Any other type token.
    Other(Cow<'a, str>),
}

impl CandidateType<'_> {
    /// The SDP token.
    pub fn as_str(&self) -> &str {
        match self {
            CandidateType::Host => "host",
            CandidateType::ServerReflexive => "srflx",
            CandidateType::PeerReflexive => "prflx",
            CandidateType::Relay => "relay",
            CandidateType::Other(s) => s,
        }
    }
}

/// TCP candidate type (RFC 6544 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// `active`: opens connections.
    Active,
    /// `passive`: accepts connections.
    Passive,
    /// `so`: simultaneous open.
    So,
}

impl TcpType {
    /// The SDP token.
    pub fn as_str(self) -> &'static str {
        match self {
            TcpType::Active => "active",
            TcpType::Passive => "passive",
            TcpType::So => "so",
        }
    }
}

/// A candidate's connection address: an IP address or a name, such as the `.local` mDNS names
/// browsers use to hide host addresses (RFC 8839 §5.1 allows an FQDN).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address<'a> {
    /// An IPv4 or IPv6 address (written back in its canonical text form).
    Ip(IpAddr),
    /// A host name, e.g. `1f4712db-ea17-4bcf-a596-105139dfd8bf.local`.
    Fqdn(Cow<'a, str>),
}

impl<'a> Address<'a> {
    fn parse(s: &'a str) -> Self {
        if let Some(v4) = parse_ipv4(s) {
            return Address::Ip(IpAddr::V4(v4));
        }
        match s.parse() {
            Ok(ip) => Address::Ip(ip),
            Err(_) => Address::Fqdn(Cow::Borrowed(s)),
        }
    }

    /// Whether this is an mDNS name (ends in `.local`).
    pub fn is_mdns(&self) -> bool {
        matches!(self, Address::Fqdn(name) if name.ends_with(".local"))
    }

    fn into_owned(self) -> Address<'static> {
        match self {
            Address::Ip(ip) => Address::Ip(ip),
            Address::Fqdn(n) => Address::Fqdn(own(n)),
        }
    }
}

impl From<IpAddr> for Address<'_> {
    fn from(ip: IpAddr) -> Self {
        Address::Ip(ip)
    }
}

impl Address<'_> {
    /// Appends the address text; IPv4 without going through `fmt`.
    fn write_bytes(&self, out: &mut Vec<u8>) {
        match self {
            Address::Ip(IpAddr::V4(ip)) => {
                for (i, octet) in ip.octets().into_iter().enumerate() {
                    if i > 0 {
                        out.push(b'.');
                    }
                    push_u64(out, octet.into());
                }
            }
            // Writing to a String cannot fail.
            Address::Ip(ip) => {
                push_str(out, &ip.to_string());
            }
            Address::Fqdn(n) => push_str(out, n),
        }
    }
}

impl fmt::Display for Address<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Ip(ip) => ip.fmt(f),
            Address::Fqdn(n) => f.write_str(n),
        }
    }
}

/// An ICE candidate (RFC 8839 §5.1):
///
/// ```text
/// candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
///     [raddr <address>] [rport <port>] *(<extension name> <extension value>)
/// ```
///
/// The extensions browsers use (`tcptype`, `generation`, `ufrag`, `network-id`,
/// `network-cost`) are typed; any other extension pair is kept in order in
/// [`Candidate::extensions`]. They are written back in the order Chrome uses: `raddr`, `rport`,
/// `tcptype`, `generation`, `ufrag`, `network-id`, `network-cost`, then the others.
///
/// ```
/// use nutshell_sdp::{Candidate, CandidateType};
/// let c = Candidate::parse("candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 0.0.0.0 rport 0 generation 0").unwrap();
/// assert_eq!(c.typ, CandidateType::ServerReflexive);
/// assert_eq!(c.port, 61665);
/// assert_eq!(c.to_string(), "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 0.0.0.0 rport 0 generation 0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// Foundation: 1 to 32 ice-chars (`ALPHA / DIGIT / "+" / "/"`).
    pub foundation: Cow<'a, str>,
    /// Component id: 1 for RTP, 2 for RTCP.
    pub component: u16,
    /// Transport.
    pub transport: Transport<'a>,
    /// Whether the transport was written in uppercase (`UDP`, as Firefox does), kept so that
    /// Firefox's descriptions round-trip exactly.
    pub transport_uppercase: bool,
    /// Priority (RFC 8445 §5.1.2).
    pub priority: u32,
    /// Connection address.
    pub address: Address<'a>,
    /// Port.
    pub port: u16,
    /// Candidate type.
    pub typ: CandidateType<'a>,
    /// Related address (`raddr`).
    pub related_address: Option<Address<'a>>,
    /// Related port (`rport`).
    pub related_port: Option<u16>,
    /// `tcptype`, for TCP candidates.
    pub tcp_type: Option<TcpType>,
    /// `generation` (a Chrome extension).
    pub generation: Option<u32>,
    /// `ufrag`: the ICE username fragment this candidate belongs to.
    pub ufrag: Option<Cow<'a, str>>,
    /// `network-id` (a Chrome extension).
    pub network_id: Option<u32>,
    /// `network-cost` (a Chrome extension).
    pub network_cost: Option<u32>,
    /// Other extension name/value pairs, in order.
    pub extensions: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// Dotted-quad IPv4 without leading zeros (what `Ipv4Addr::from_str` accepts), faster than
/// the standard parser, which tries harder.
fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = split_byte(s, b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.len() > 1 && part.starts_with('0') {
            return None;
        }
        *octet = parse_num(part)?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

/// Appends `name` and `n` if there is an `n`.
fn push_field(out: &mut Vec<u8>, name: &str, n: Option<u32>) {
    if let Some(n) = n {
        push_str(out, name);
        push_u64(out, n.into());
    }
}

fn is_ice_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

impl<'a> Candidate<'a> {
    /// A host candidate with nothing optional set.
    pub fn host(
        foundation: impl Into<Cow<'a, str>>,
        component: u16,
        transport: Transport<'a>,
        priority: u32,
        address: Address<'a>,
        port: u16,
    ) -> Self {
        Candidate {
            foundation: foundation.into(),
            component,
            transport,
            transport_uppercase: false,
            priority,
            address,
            port,
            typ: CandidateType::Host,
            related_address: None,
            related_port: None,
            tcp_type: None,
            generation: None,
            ufrag: None,
            network_id: None,
            network_cost: None,
            extensions: Vec::new(),
        }
    }

    /// Parses a lone candidate as trickle ICE carries it: `candidate:...`, optionally with an
    /// `a=` in front and a line ending after. Errors report line 1.
    pub fn parse(s: &'a str) -> Result<Self, Error> {
        let s = s.strip_suffix('\n').unwrap_or(s);
        let s = s.strip_suffix('\r').unwrap_or(s);
        let s = s.strip_prefix("a=").unwrap_or(s);
        // One attribute line: what is left may not hold a line ending or NUL (RFC 8866
        // byte-string), or a value ending in one would not read back the same.
        if s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(Error::InvalidAttribute {
                line: 1,
                name: "candidate",
                expected: "one line, without CR, LF or NUL inside",
            });
        }
        let value = s
            .strip_prefix("candidate:")
            .ok_or(Error::InvalidAttribute {
                line: 1,
                name: "candidate",
                expected: "a string starting with `candidate:`",
            })?;
        Self::parse_value(value).map_err(|expected| Error::InvalidAttribute {
            line: 1,
            name: "candidate",
            expected,
        })
    }

    /// Parses the value after `candidate:`.
    pub(crate) fn parse_value(v: &'a str) -> AttrResult<Self> {
        const EXPECTED: &str = "`<foundation> <component> <transport> <priority> <address> <port> typ <type> [<name> <value>]...`";
        let mut f = Fields::new(v);
        let foundation = f.next().ok_or(EXPECTED)?;
        if foundation.len() > 32 || !foundation.bytes().all(is_ice_char) {
            return Err("a foundation of 1 to 32 ice-chars");
        }
        let component = f.next().and_then(parse_num).ok_or(EXPECTED)?;
        let transport_text = f.next().ok_or(EXPECTED)?;
        let (transport, transport_uppercase) = match transport_text {
            "udp" => (Transport::Udp, false),
            "UDP" => (Transport::Udp, true),
            "tcp" => (Transport::Tcp, false),
            "TCP" => (Transport::Tcp, true),
            other => (Transport::Other(Cow::Borrowed(other)), false),
        };
        let priority = f.next().and_then(parse_num).ok_or(EXPECTED)?;
        let address = Address::parse(f.next().ok_or(EXPECTED)?);
        let port = f.next().and_then(parse_num).ok_or(EXPECTED)?;
        if f.next() != Some("typ") {
            return Err(EXPECTED);
        }
        let typ = match f.next().ok_or(EXPECTED)? {
            "host" => CandidateType::Host,
            "srflx" => CandidateType::ServerReflexive,
            "prflx" => CandidateType::PeerReflexive,
            "relay" => CandidateType::Relay,
            other => CandidateType::Other(Cow::Borrowed(other)),
        };
        let mut c = Candidate::host(foundation, component, transport, priority, address, port);
        c.transport_uppercase = transport_uppercase;
        c.typ = typ;
        while let Some(name) = f.next() {
            let value = f.next().ok_or("extension names and values in pairs")?;
            let dup = "each extension at most once";
            match name {
                "raddr" if c.related_address.is_none() => {
                    c.related_address = Some(Address::parse(value));
                }
                "rport" if c.related_port.is_none() => {
                    c.related_port = Some(parse_num(value).ok_or("a port after rport")?);
                }
                "tcptype" if c.tcp_type.is_none() => {
                    c.tcp_type = Some(match value {
                        "active" => TcpType::Active,
                        "passive" => TcpType::Passive,
                        "so" => TcpType::So,
                        _ => return Err("tcptype active, passive or so"),
                    });
                }
                "generation" if c.generation.is_none() => {
                    c.generation = Some(parse_num(value).ok_or("a number after generation")?);
                }
                "ufrag" if c.ufrag.is_none() => c.ufrag = Some(Cow::Borrowed(value)),
                "network-id" if c.network_id.is_none() => {
                    c.network_id = Some(parse_num(value).ok_or("a number after network-id")?);
                }
                "network-cost" if c.network_cost.is_none() => {
                    c.network_cost = Some(parse_num(value).ok_or("a number after network-cost")?);
                }
                "raddr" | "rport" | "tcptype" | "generation" | "ufrag" | "network-id"
                | "network-cost" => return Err(dup),
                _ => c
                    .extensions
                    .push((Cow::Borrowed(name), Cow::Borrowed(value))),
            }
        }
        Ok(c)
    }

    /// Converts every borrowed string into an owned one.
    pub fn into_owned(self) -> Candidate<'static> {
        Candidate {
            foundation: own(self.foundation),
            component: self.component,
            transport: match self.transport {
                Transport::Udp => Transport::Udp,
                Transport::Tcp => Transport::Tcp,
                Transport::Other(s) => Transport::Other(own(s)),
            },
            transport_uppercase: self.transport_uppercase,
            priority: self.priority,
            address: self.address.into_owned(),
            port: self.port,
            typ: match self.typ {
                CandidateType::Host => CandidateType::Host,
                CandidateType::ServerReflexive => CandidateType::ServerReflexive,
                CandidateType::PeerReflexive => CandidateType::PeerReflexive,
                CandidateType::Relay => CandidateType::Relay,
                CandidateType::Other(s) => CandidateType::Other(own(s)),
            },
            related_address: self.related_address.map(Address::into_owned),
            related_port: self.related_port,
            tcp_type: self.tcp_type,
            generation: self.generation,
            ufrag: self.ufrag.map(own),
            network_id: self.network_id,
            network_cost: self.network_cost,
            extensions: self
                .extensions
                .into_iter()
                .map(|(k, v)| (own(k), own(v)))
                .collect(),
        }
    }

    /// Appends the value after `candidate:`.
    pub(crate) fn write_value(&self, out: &mut Vec<u8>) {
        push_str(out, &self.foundation);
        out.push(b' ');
        push_u64(out, self.component.into());
        out.push(b' ');
        push_str(
            out,
            match (&self.transport, self.transport_uppercase) {
                (Transport::Udp, false) => "udp",
                (Transport::Udp, true) => "UDP",
                (Transport::Tcp, false) => "tcp",
                (Transport::Tcp, true) => "TCP",
                (Transport::Other(s), _) => s,
            },
        );
        out.push(b' ');
        push_u64(out, self.priority.into());
        out.push(b' ');
        self.address.write_bytes(out);
        out.push(b' ');
        push_u64(out, self.port.into());
        push_str(out, " typ ");
        push_str(out, self.typ.as_str());
        if let Some(a) = &self.related_address {
            push_str(out, " raddr ");
            a.write_bytes(out);
        }
        push_field(out, " rport ", self.related_port.map(u32::from));
        if let Some(t) = self.tcp_type {
            push_str(out, " tcptype ");
            push_str(out, t.as_str());
        }
        push_field(out, " generation ", self.generation);
        if let Some(u) = &self.ufrag {
            push_str(out, " ufrag ");
            push_str(out, u);
        }
        push_field(out, " network-id ", self.network_id);
        push_field(out, " network-cost ", self.network_cost);
        for (k, v) in &self.extensions {
            out.push(b' ');
            push_str(out, k);
            out.push(b' ');
            push_str(out, v);
        }
    }
}

impl fmt::Display for Candidate<'_> {
    /// Writes `candidate:...`, the form trickle ICE sends (no `a=`, no line ending).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_with(f, 128, |out| {
            push_str(out, "candidate:");
            self.write_value(out);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standalone_candidate_is_one_line() {
        let good = "candidate:1 1 udp 2122260223 192.0.2.1 5000 typ host generation 0";
        for ok in [
            good.to_owned(),
            format!("{good}\r\n"),
            format!("a={good}\n"),
        ] {
            assert!(Candidate::parse(&ok).is_ok(), "{ok:?}");
        }
        // Found by the sdp_parse fuzz target: a value ending in LF read back without it.
        for bad in [
            format!("{good} x y\n\n"),
            format!("{good} x y\r\r\n"),
            format!("{good} x\ry z"),
            format!("{good} x \0"),
        ] {
            assert!(
                matches!(
                    Candidate::parse(&bad),
                    Err(Error::InvalidAttribute {
                        name: "candidate",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn fast_ipv4_agrees_with_the_standard_parser() {
        let cases = [
            "0.0.0.0",
            "127.0.0.1",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "",
            "a.b.c.d",
            "1.2.3.4 ",
            "+1.2.3.4",
            "1.2.3.04",
            "99999999999.1.1.1",
        ];
        for s in cases {
            assert_eq!(parse_ipv4(s), s.parse::<Ipv4Addr>().ok(), "{s:?}");
        }
        for a in [0u8, 1, 9, 10, 99, 100, 199, 200, 255] {
            let s = format!("{a}.{a}.0.{a}");
            assert_eq!(parse_ipv4(&s), s.parse().ok(), "{s}");
        }
    }
}
