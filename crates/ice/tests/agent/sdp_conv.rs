//! Conversion between `nutshell_ice::Candidate` and the SDP `candidate` attribute, with
//! nutshell-sdp. ICE does not depend on SDP; the PeerConnection will host this conversion.
//! Shared by the tests and the `ice` example.

#![allow(dead_code)]

use std::net::SocketAddr;

use nutshell_ice::{Candidate, CandidateKind};
use proto::Protocol;

/// Converts an ICE candidate to the SDP attribute value (`candidate:…`) with nutshell-sdp.
pub fn to_sdp(c: &Candidate) -> String {
    let kind = match c.kind {
        CandidateKind::Host => sdp::CandidateType::Host,
        CandidateKind::ServerReflexive => sdp::CandidateType::ServerReflexive,
        CandidateKind::PeerReflexive => sdp::CandidateType::PeerReflexive,
        CandidateKind::Relayed => sdp::CandidateType::Relay,
    };
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
    s.typ = kind;
    if let Some(r) = c.related_address {
        s.related_address = Some(sdp::Address::Ip(r.ip()));
        s.related_port = Some(r.port());
    }
    s.to_string()
}

/// Parses an SDP candidate attribute into an ICE candidate; `None` for FQDN (mDNS)
/// addresses and unknown types.
pub fn from_sdp(line: &str) -> Option<Candidate> {
    let s = sdp::Candidate::parse(line).ok()?;
    let ip = match s.address {
        sdp::Address::Ip(ip) => ip,
        sdp::Address::Fqdn(_) => return None,
    };
    let kind = match s.typ {
        sdp::CandidateType::Host => CandidateKind::Host,
        sdp::CandidateType::ServerReflexive => CandidateKind::ServerReflexive,
        sdp::CandidateType::PeerReflexive => CandidateKind::PeerReflexive,
        sdp::CandidateType::Relay => CandidateKind::Relayed,
        sdp::CandidateType::Other(_) => return None,
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
    Some(c)
}
