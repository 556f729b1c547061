//! A nutshell ICE agent on one UDP socket, for interop tests (aioice).
//!
//! ```text
//! cargo run -p nutshell-ice --example ice -- --role controlling|controlled [--bind IP:PORT] [--seed N]
//! ```
//! 1. prints `{"ufrag":"…","pwd":"…","candidates":["candidate:…",…]}` (its local parameters);
//! 2. reads the remote's line in the same format from stdin;
//! 3. runs the checks and prints `{"selected":{"local":"candidate:…","remote":"candidate:…"}}`
//!    when a pair is selected (again if it changes);
//! 4. echoes every non-STUN datagram received on the selected pair back to its sender, until
//!    stdin closes; then prints `{"done":{"echoed":N,"state":"…","role":"…"}}`.
//!
//! Loopback binds turn on loopback candidates; anything else is for a network namespace.

#[path = "../tests/agent/sdp_conv.rs"]
mod sdp_conv;

use std::io::{BufRead, Write};
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nutshell_ice::{IceAgent, IceConfig, IceEvent, Received, Role};
use proto::{Protocol, Receive};

fn main() {
    let mut role = Role::Controlling;
    let mut bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut seed: u64 = std::process::id().into();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--role" => {
                role = match args.next().as_deref() {
                    Some("controlling") => Role::Controlling,
                    Some("controlled") => Role::Controlled,
                    other => panic!("bad --role {other:?}"),
                }
            }
            "--bind" => bind = args.next().expect("--bind ADDR").parse().expect("IP:PORT"),
            "--seed" => seed = args.next().expect("--seed N").parse().expect("number"),
            other => panic!("unknown argument {other}"),
        }
    }
    let socket = UdpSocket::bind(bind).expect("bind");
    let local = socket.local_addr().expect("local address");
    let start = Instant::now();
    let mut agent = IceAgent::new(
        IceConfig {
            role,
            seed,
            include_loopback: local.ip().is_loopback(),
            ..IceConfig::default()
        },
        start,
    );
    agent.add_host_socket(local).expect("host socket");
    agent.handle_timeout(Instant::now());

    // Local parameters (no STUN servers: gathering completes at once).
    let cands: Vec<String> = agent
        .local_candidates()
        .map(|c| format!("\"{}\"", sdp_conv::to_sdp(c)))
        .collect();
    let (ufrag, pwd) = agent.local_credentials();
    println!(
        "{{\"ufrag\":\"{ufrag}\",\"pwd\":\"{pwd}\",\"candidates\":[{}]}}",
        cands.join(",")
    );
    std::io::stdout().flush().ok();

    // stdin: the remote line, then EOF ends the run.
    let (tx, rx) = mpsc::channel::<Option<String>>();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            match line {
                Ok(l) => {
                    if tx.send(Some(l)).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = tx.send(None);
    });
    let remote = loop {
        match rx.recv() {
            Ok(Some(l)) if !l.trim().is_empty() => break l,
            Ok(Some(_)) => continue,
            _ => return,
        }
    };
    let r_ufrag = json_string(&remote, "ufrag").expect("ufrag");
    let r_pwd = json_string(&remote, "pwd").expect("pwd");
    agent
        .set_remote_credentials(&r_ufrag, &r_pwd)
        .expect("credentials");
    for c in json_strings(&remote, "candidates") {
        match sdp_conv::from_sdp(&c) {
            Some(c) => {
                if let Err(e) = agent.add_remote_candidate(c) {
                    eprintln!("candidate refused: {e}");
                }
            }
            None => eprintln!("candidate skipped: {c}"),
        }
    }
    agent.end_of_remote_candidates();

    socket.set_read_timeout(Some(Duration::from_millis(5))).ok();
    let mut buf = vec![0u8; 2048];
    let mut echoed = 0u64;
    loop {
        while let Some(t) = agent.poll_transmit() {
            let _ = socket.send_to(&t.contents, t.destination);
        }
        while let Some(e) = agent.poll_event() {
            match e {
                IceEvent::SelectedPair { local, remote, .. } => {
                    println!(
                        "{{\"selected\":{{\"local\":\"{}\",\"remote\":\"{}\"}}}}",
                        sdp_conv::to_sdp(&local),
                        sdp_conv::to_sdp(&remote)
                    );
                    std::io::stdout().flush().ok();
                }
                other => eprintln!("event: {other:?}"),
            }
        }
        match rx.try_recv() {
            Ok(None) | Err(mpsc::TryRecvError::Disconnected) => break,
            _ => {}
        }
        let wait = agent
            .poll_timeout()
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_millis(50))
            .clamp(Duration::from_millis(1), Duration::from_millis(50));
        socket.set_read_timeout(Some(wait)).ok();
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                let data = &buf[..n];
                let recv = Receive {
                    protocol: Protocol::Udp,
                    source: from,
                    destination: local,
                    contents: data,
                };
                let r = agent.handle_receive(Instant::now(), recv);
                if r == Received::Data
                    && agent.selected_tuple() == Some((local, from))
                    && let Ok(t) = agent.send_to_selected(data)
                {
                    let _ = socket.send_to(&t.contents, t.destination);
                    echoed += 1;
                }
            }
            Err(_) => agent.handle_timeout(Instant::now()),
        }
    }
    println!(
        "{{\"done\":{{\"echoed\":{echoed},\"state\":\"{:?}\",\"role\":\"{}\"}}}}",
        agent.connection_state(),
        match agent.role() {
            Role::Controlling => "controlling",
            Role::Controlled => "controlled",
        }
    );
}

/// The string value of `"key":"…"` in a flat JSON object (enough for this protocol).
fn json_string(json: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\"");
    let rest = &json[json.find(&pat)? + pat.len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    parse_string(rest).map(|(s, _)| s)
}

/// The strings of `"key":["…",…]`.
fn json_strings(json: &str, key: &str) -> Vec<String> {
    let pat = format!("\"{key}\"");
    let Some(i) = json.find(&pat) else {
        return Vec::new();
    };
    let mut rest = json[i + pat.len()..].trim_start();
    let Some(r) = rest.strip_prefix(':') else {
        return Vec::new();
    };
    let Some(r) = r.trim_start().strip_prefix('[') else {
        return Vec::new();
    };
    rest = r;
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        if rest.starts_with(']') || rest.is_empty() {
            return out;
        }
        match parse_string(rest) {
            Some((s, tail)) => {
                out.push(s);
                rest = tail;
            }
            None => return out,
        }
    }
}

fn parse_string(s: &str) -> Option<(String, &str)> {
    let s = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}
