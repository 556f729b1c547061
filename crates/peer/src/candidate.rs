//! The SDP `candidate` attribute (RFC 8839 §5.1) ⇄ [`ice::Candidate`]. ICE does not depend
//! on SDP, so the conversion lives here, in the PeerConnection.

use std::net::SocketAddr;

use ice::{Candidate, CandidateKind};
use proto::Protocol;

/// Writes an ICE candidate as the SDP attribute value `candidate:…` (what trickle ICE
/// carries in `RTCIceCandidate.candidate`).
pub fn candidate_to_sdp(c: &Candidate) -> String {
    let mut s = sdp::Candidate::host(
        c.foundation.as_str(),
        c.component,
        match c.protocol {
            Protocol::Udp => sdp::Transport::Udp,
            Protocol::Tcp => sdp::Transport::Tcp,
        },
        c.priority,
        sdp::Address::Ip(c.address.ip()),
        c.address.port(),
    );
    s.typ = match c.kind {
        CandidateKind::Host => sdp::CandidateType::Host,
        CandidateKind::ServerReflexive => sdp::CandidateType::ServerReflexive,
        CandidateKind::PeerReflexive => sdp::CandidateType::PeerReflexive,
        CandidateKind::Relayed => sdp::CandidateType::Relay,
    };
    if let Some(r) = c.related_address {
        s.related_address = Some(sdp::Address::Ip(r.ip()));
        s.related_port = Some(r.port());
    }
    s.generation = Some(0);
    s.to_string()
}

/// Why a signalled candidate was not turned into an ICE candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CandidateParse {
    /// The text is not a candidate attribute.
    Invalid,
    /// A valid candidate we do not use: an mDNS (`.local`) or other FQDN address, an unknown
    /// type. Ignored, as browsers ignore them.
    Unusable,
}

/// Parses `candidate:…` (with or without `a=`) into an ICE candidate.
pub fn candidate_from_sdp(line: &str) -> Result<Candidate, CandidateParse> {
    let s = sdp::Candidate::parse(line.trim()).map_err(|_| CandidateParse::Invalid)?;
    from_sdp_candidate(&s)
}

/// Converts a parsed SDP candidate.
pub(crate) fn from_sdp_candidate(s: &sdp::Candidate<'_>) -> Result<Candidate, CandidateParse> {
    let ip = match s.address {
        sdp::Address::Ip(ip) => ip,
        sdp::Address::Fqdn(_) => return Err(CandidateParse::Unusable),
    };
    let kind = match s.typ {
        sdp::CandidateType::Host => CandidateKind::Host,
        sdp::CandidateType::ServerReflexive => CandidateKind::ServerReflexive,
        sdp::CandidateType::PeerReflexive => CandidateKind::PeerReflexive,
        sdp::CandidateType::Relay => CandidateKind::Relayed,
        sdp::CandidateType::Other(_) => return Err(CandidateParse::Unusable),
    };
    let mut c = Candidate::new(
        kind,
        SocketAddr::new(ip, s.port),
        s.priority,
        s.foundation.to_string(),
    );
    c.component = s.component;
    c.protocol = match s.transport {
        sdp::Transport::Udp => Protocol::Udp,
        _ => Protocol::Tcp,
    };
    if let (Some(sdp::Address::Ip(rip)), Some(rport)) = (&s.related_address, s.related_port) {
        c.related_address = Some(SocketAddr::new(*rip, rport));
    }
    c.tcp_type = s.tcp_type.map(|t| t.as_str().to_string());
    if let Some(g) = s.generation {
        c.extensions.push(("generation".into(), g.to_string()));
    }
    if let Some(u) = &s.ufrag {
        c.extensions.push(("ufrag".into(), u.to_string()));
    }
    for (k, v) in &s.extensions {
        c.extensions.push((k.to_string(), v.to_string()));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_host_and_srflx() {
        let line = "candidate:4282332776 1 udp 1686052607 198.51.100.77 50416 typ srflx raddr 192.168.1.23 rport 50416 generation 0 ufrag RIgP network-id 1 network-cost 10";
        let c = candidate_from_sdp(line).unwrap();
        assert_eq!(c.kind, CandidateKind::ServerReflexive);
        assert_eq!(c.address, "198.51.100.77:50416".parse().unwrap());
        assert_eq!(
            c.related_address,
            Some("192.168.1.23:50416".parse().unwrap())
        );
        assert_eq!(c.extension("ufrag"), Some("RIgP"));
        let back = candidate_to_sdp(&c);
        assert!(back.starts_with("candidate:4282332776 1 udp 1686052607 198.51.100.77 50416 typ srflx raddr 192.168.1.23 rport 50416"));
        assert_eq!(candidate_from_sdp(&back).unwrap().address, c.address);
    }

    #[test]
    fn mdns_is_unusable_and_garbage_invalid() {
        let mdns = "candidate:1 1 udp 2122260223 0d1e5a3c-1111-2222-3333-444455556666.local 50000 typ host";
        assert_eq!(candidate_from_sdp(mdns), Err(CandidateParse::Unusable));
        assert_eq!(
            candidate_from_sdp("candidate:x"),
            Err(CandidateParse::Invalid)
        );
        let tcp = "a=candidate:2 1 TCP 2105524479 192.168.178.41 9 typ host tcptype active\r\n";
        assert_eq!(candidate_from_sdp(tcp).unwrap().protocol, Protocol::Tcp);
    }
}
