//! Parses an SDP file and prints its structure.
//!
//! ```text
//! cargo run -p nutshell-sdp --example sdp_dump -- crates/sdp/tests/data/chrome_offer.sdp
//! ```

use std::process::ExitCode;

use nutshell_sdp::SessionDescription;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: sdp_dump FILE.sdp");
        return ExitCode::FAILURE;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let sdp = match SessionDescription::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let o = &sdp.origin;
    println!(
        "session {} v{} from {} ({})",
        o.session_id, o.session_version, o.address, o.username
    );
    for g in sdp.groups() {
        println!("  group {}: {}", g.semantics, g.mids.join(" "));
    }
    if sdp.ice_lite() {
        println!("  ice-lite");
    }
    for f in sdp.fingerprints() {
        println!("  fingerprint {} {}", f.algorithm.as_str(), f.hex());
    }
    for (i, m) in sdp.media.iter().enumerate() {
        println!(
            "m[{i}] {} port {} {} mid={} dir={}",
            m.kind.as_str(),
            m.port,
            m.protocol,
            m.mid().unwrap_or("-"),
            m.direction().map_or("-", |d| d.as_str()),
        );
        if let (Some(u), Some(_)) = (m.ice_ufrag(), m.ice_pwd()) {
            println!("  ice ufrag {u}, setup {:?}", m.setup());
        }
        for r in m.rtpmaps() {
            let fmtp = m.fmtp(r.payload_type).map(|f| {
                f.params()
                    .map(|p| match &p.value {
                        Some(v) => format!("{}={v}", p.key),
                        None => p.key.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            let fbs: Vec<String> = m
                .rtcp_fbs()
                .filter(|fb| fb.payload_type == nutshell_sdp::FeedbackPt::Pt(r.payload_type))
                .map(|fb| match &fb.param {
                    Some(p) => format!("{} {p}", fb.kind),
                    None => fb.kind.to_string(),
                })
                .collect();
            println!(
                "  pt {:3} {}/{}{} {} {}",
                r.payload_type,
                r.encoding,
                r.clock_rate,
                r.channels.map(|c| format!("/{c}")).unwrap_or_default(),
                fmtp.unwrap_or_default(),
                if fbs.is_empty() {
                    String::new()
                } else {
                    format!("[{}]", fbs.join(", "))
                },
            );
        }
        for e in m.extmaps() {
            println!("  ext {} {}", e.id, e.uri);
        }
        for c in m.candidates() {
            println!(
                "  candidate {} {} {}:{} {}",
                c.typ.as_str(),
                c.foundation,
                c.address,
                c.port,
                c.priority
            );
        }
        if let Some(p) = m.sctp_port() {
            println!(
                "  sctp-port {p}, max-message-size {:?}",
                m.max_message_size()
            );
        }
    }
    ExitCode::SUCCESS
}
