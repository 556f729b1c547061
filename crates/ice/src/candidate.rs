//! Candidates, their priorities and foundations (RFC 8445 §5.1.2, §5.1.1.3) and the pair
//! priority formula (RFC 8445 §6.1.2.3).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use proto::Protocol;

/// The type of a candidate (RFC 8445 §5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateKind {
    /// An address of a local interface (`host`).
    Host,
    /// The address a STUN server saw us at (`srflx`).
    ServerReflexive,
    /// The address the peer saw us at, learned from a check (`prflx`).
    PeerReflexive,
    /// An address on a TURN server (`relay`). Not gathered yet: the seam for the TURN issue.
    Relayed,
}

impl CandidateKind {
    /// The type preference of RFC 8445 §5.1.2.2: host 126, peer-reflexive 110,
    /// server-reflexive 100, relayed 0.
    pub fn type_preference(self) -> u32 {
        match self {
            CandidateKind::Host => 126,
            CandidateKind::PeerReflexive => 110,
            CandidateKind::ServerReflexive => 100,
            CandidateKind::Relayed => 0,
        }
    }

    /// The SDP token (`host`, `srflx`, `prflx`, `relay`), RFC 8839 §5.1.
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateKind::Host => "host",
            CandidateKind::ServerReflexive => "srflx",
            CandidateKind::PeerReflexive => "prflx",
            CandidateKind::Relayed => "relay",
        }
    }
}

impl fmt::Display for CandidateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An ICE candidate, local or remote (RFC 8445 §5.1).
///
/// The fields mirror the SDP `candidate` attribute (RFC 8839 §5.1), but this crate does not
/// parse SDP: the layer above (the PeerConnection, or `nutshell-sdp` in the tests and the
/// example) converts between the two, so that ICE does not depend on SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Foundation: candidates with the same type, base IP, server and protocol share it
    /// (RFC 8445 §5.1.1.3). 1 to 32 ice-chars.
    pub foundation: String,
    /// Component id; 1 (this agent handles one component: RTP and RTCP are muxed).
    pub component: u16,
    /// Transport. TCP candidates (RFC 6544) are accepted from the peer and ignored.
    pub protocol: Protocol,
    /// Priority (RFC 8445 §5.1.2).
    pub priority: u32,
    /// Transport address.
    pub address: SocketAddr,
    /// Type.
    pub kind: CandidateKind,
    /// Related address (`raddr`/`rport`): the base of a reflexive candidate.
    pub related_address: Option<SocketAddr>,
    /// `tcptype` of a TCP candidate, kept as written.
    pub tcp_type: Option<String>,
    /// Other extension attributes (`generation`, `ufrag`, `network-id`, …), kept as strings
    /// in order.
    pub extensions: Vec<(String, String)>,
}

impl Candidate {
    /// A UDP candidate for component 1 with nothing optional set.
    pub fn new(
        kind: CandidateKind,
        address: SocketAddr,
        priority: u32,
        foundation: impl Into<String>,
    ) -> Self {
        Candidate {
            foundation: foundation.into(),
            component: 1,
            protocol: Protocol::Udp,
            priority,
            address,
            kind,
            related_address: None,
            tcp_type: None,
            extensions: Vec::new(),
        }
    }

    /// The value of extension `name`, if present.
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Candidate priority, RFC 8445 §5.1.2.1:
/// `2^24 * type preference + 2^8 * local preference + (256 - component id)`.
pub fn candidate_priority(kind: CandidateKind, local_preference: u16, component: u16) -> u32 {
    let component = u32::from(component.clamp(1, 256));
    (kind.type_preference() << 24) + (u32::from(local_preference) << 8) + (256 - component)
}

/// Candidate pair priority, RFC 8445 §6.1.2.3, with G the controlling agent's candidate
/// priority and D the controlled agent's:
/// `2^32 * MIN(G, D) + 2 * MAX(G, D) + (G > D ? 1 : 0)`.
pub fn pair_priority(controlling: u32, controlled: u32) -> u64 {
    let (g, d) = (u64::from(controlling), u64::from(controlled));
    // Priorities are at most 2^31 - 1 (RFC 8445 §5.1.2.1); a peer may send more, so wrap
    // rather than overflow.
    (g.min(d) << 32)
        .wrapping_add(2 * g.max(d))
        .wrapping_add(u64::from(g > d))
}

/// Local preference of the `index`-th host address (RFC 8445 §5.1.2.1, RFC 8421 §4): IPv6
/// addresses above IPv4 ones, and within a family the addresses added first.
pub(crate) fn local_preference(ip: IpAddr, index: usize) -> u16 {
    let base: u16 = if ip.is_ipv6() { 65_535 } else { 49_151 };
    base.saturating_sub(u16::try_from(index.min(16_000)).unwrap_or(16_000))
}

/// A foundation for a local candidate: equal for equal (type, base IP, STUN/TURN server,
/// protocol), RFC 8445 §5.1.1.3. A 32-bit FNV-1a hash written in decimal (ice-chars).
pub(crate) fn foundation(
    kind: CandidateKind,
    base: IpAddr,
    server: Option<SocketAddr>,
    protocol: Protocol,
) -> String {
    let mut h: u32 = 0x811C_9DC5;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u32::from(*b);
            h = h.wrapping_mul(0x0100_0193);
        }
    };
    eat(kind.as_str().as_bytes());
    match base {
        IpAddr::V4(ip) => eat(&ip.octets()),
        IpAddr::V6(ip) => eat(&ip.octets()),
    }
    if let Some(s) = server {
        eat(s.to_string().as_bytes());
    }
    eat(match protocol {
        Protocol::Udp => b"udp",
        Protocol::Tcp => b"tcp",
    });
    h.to_string()
}

/// Whether an address is link-local (169.254/16, fe80::/10).
pub(crate) fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments().first().copied().unwrap_or(0) & 0xffc0) == 0xfe80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_priority_formula() {
        // RFC 8445 §5.1.2.1 with the recommended type preferences.
        assert_eq!(
            candidate_priority(CandidateKind::Host, 65535, 1),
            (126 << 24) + (65535 << 8) + 255
        );
        assert_eq!(
            candidate_priority(CandidateKind::Host, 65535, 1),
            2_130_706_431
        );
        assert_eq!(
            candidate_priority(CandidateKind::ServerReflexive, 65535, 1),
            1_694_498_815
        );
        assert_eq!(
            candidate_priority(CandidateKind::PeerReflexive, 65535, 1),
            1_862_270_975
        );
        assert_eq!(
            candidate_priority(CandidateKind::Relayed, 65535, 1),
            16_777_215
        );
        // RTCP component 2 is one less.
        assert_eq!(
            candidate_priority(CandidateKind::Host, 65535, 2),
            2_130_706_430
        );
        // Ordering of types dominates local preference.
        assert!(
            candidate_priority(CandidateKind::Host, 0, 1)
                > candidate_priority(CandidateKind::PeerReflexive, 65535, 1)
        );
    }

    #[test]
    fn pair_priority_formula() {
        // RFC 8445 §6.1.2.3.
        let g = 2_130_706_431u32;
        let d = 1_694_498_815u32;
        assert_eq!(
            pair_priority(g, d),
            (u64::from(d) << 32) + 2 * u64::from(g) + 1
        );
        assert_eq!(pair_priority(d, g), (u64::from(d) << 32) + 2 * u64::from(g));
        // The two agents compute the same value for the same pair.
        assert_eq!(pair_priority(5, 5), (5u64 << 32) + 10);
        let m = (1u32 << 31) - 1;
        assert_eq!(pair_priority(m, m), (u64::from(m) << 32) + 2 * u64::from(m));
        let _ = pair_priority(u32::MAX, u32::MAX - 1);
    }

    #[test]
    fn foundations() {
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let ip2: IpAddr = "10.0.0.2".parse().unwrap();
        let s: SocketAddr = "1.2.3.4:3478".parse().unwrap();
        let a = foundation(CandidateKind::Host, ip, None, Protocol::Udp);
        assert_eq!(a, foundation(CandidateKind::Host, ip, None, Protocol::Udp));
        assert_ne!(a, foundation(CandidateKind::Host, ip2, None, Protocol::Udp));
        assert_ne!(
            a,
            foundation(CandidateKind::ServerReflexive, ip, Some(s), Protocol::Udp)
        );
        assert_ne!(a, foundation(CandidateKind::Host, ip, None, Protocol::Tcp));
        assert!(a.len() <= 32 && a.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn local_preferences() {
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert!(local_preference(v4, 0) > local_preference(v4, 1));
        assert!(local_preference(v6, 0) > local_preference(v4, 0));
        assert!(local_preference(v6, 5) > local_preference(v4, 0));
        assert!(local_preference(v4, 100_000) > 0 || local_preference(v4, 100_000) == 0);
        assert!(is_link_local("169.254.1.1".parse().unwrap()));
        assert!(is_link_local("fe80::1".parse().unwrap()));
        assert!(!is_link_local("10.0.0.1".parse().unwrap()));
    }
}
