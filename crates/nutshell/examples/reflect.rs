//! A reflector: echoes every RTP stream it receives back to its sender.
//!
//! ```text
//! cargo run -p nutshell --example reflect -- [--offer] [--duration SECONDS]
//!     [--interfaces loopback|all|ADDR,ADDR…] [--stun stun:HOST:PORT]… [--record FILE]
//! ```
//!
//! Answer mode (the default): reads one line of JSON `{"type":"offer","sdp":"…"}` on stdin
//! (a browser's `JSON.stringify(pc.localDescription)`), prints one line of JSON answer on
//! stdout with every candidate in it (gathering is complete before it is printed), then
//! sends every RTP stream it receives back to the sender on the matching track of the same
//! m-section (so a browser sees its own camera), until stdin closes, `--duration` elapses
//! or Ctrl-C. Key-frame requests on the echoed track are forwarded to the sender. With
//! `--offer` it offers one audio and one video track first and reads the answer instead.
//! After the description, further stdin lines `{"type":"candidate","candidate":…}` (a
//! browser's `RTCIceCandidate.toJSON()`, or `null` for end-of-candidates) are trickled in
//! with `add_ice_candidate`. At exit it prints one line of JSON statistics on stderr.
//!
//! `--record FILE` records the call into FILE ([`RtcConfiguration::record`]): replay it with
//! `cargo run -p nutshell-peer --example replay -- FILE`. The file holds the call's DTLS
//! secrets (like a key log), not the private key.
//!
//! The default interfaces are loopback only; inside a network namespace use `all` or the
//! namespace's addresses (e.g. `--interfaces 10.77.0.2`).

use std::collections::HashMap;
use std::io::BufRead;
use std::time::{Duration, Instant};

use nutshell::{
    Interfaces, MediaKind, RtcConfiguration, RtcEvent, RtcIceCandidateInit, RtcPeerConnection,
    RtcSessionDescription, RtcStats, SdpType, TrackLocal, TrackRemote,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

struct Args {
    offer: bool,
    duration: Option<Duration>,
    interfaces: Interfaces,
    stun: Vec<String>,
    record: Option<std::path::PathBuf>,
}

const USAGE: &str = "usage: reflect [--offer] [--duration SECONDS] [--interfaces loopback|all|ADDR,…] [--stun URL]… [--record FILE]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        offer: false,
        duration: None,
        interfaces: Interfaces::LoopbackOnly,
        stun: Vec::new(),
        record: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--offer" => args.offer = true,
            "--duration" => {
                let v = value("--duration")?;
                let s: f64 = v.parse().map_err(|_| format!("bad --duration {v:?}"))?;
                if !(s.is_finite() && s >= 0.0) {
                    return Err(format!("bad --duration {v:?}"));
                }
                args.duration = Some(Duration::from_secs_f64(s));
            }
            "--interfaces" => args.interfaces = value("--interfaces")?.parse()?,
            "--stun" => args.stun.push(value("--stun")?),
            "--record" => args.record = Some(value("--record")?.into()),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

/// stdin on a thread: lines, then `None` at end of file.
fn stdin_lines() -> mpsc::UnboundedReceiver<Option<String>> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
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
    rx
}

fn description_json(d: &RtcSessionDescription) -> String {
    json!({ "type": d.sdp_type.as_str(), "sdp": d.sdp }).to_string()
}

fn parse_description(line: &str, want: SdpType) -> Result<RtcSessionDescription, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("bad JSON: {e}"))?;
    let typ = v.get("type").and_then(Value::as_str).unwrap_or_default();
    let sdp = v
        .get("sdp")
        .and_then(Value::as_str)
        .ok_or("no \"sdp\" string")?;
    if SdpType::from_token(typ) != Some(want) {
        return Err(format!("expected type {:?}, got {typ:?}", want.as_str()));
    }
    Ok(RtcSessionDescription {
        sdp_type: want,
        sdp: sdp.to_owned(),
    })
}

/// The kinds of the offer's accepted audio/video sections, in order.
fn offered_kinds(sdp: &str) -> Vec<MediaKind> {
    sdp.lines()
        .filter_map(|l| {
            let mut f = l.strip_prefix("m=")?.split(' ');
            let kind = f.next()?;
            let port = f.next()?;
            if port == "0" {
                return None;
            }
            match kind {
                "audio" => Some(MediaKind::Audio),
                "video" => Some(MediaKind::Video),
                _ => None,
            }
        })
        .collect()
}

fn stats_json(s: &RtcStats, elapsed: Duration, echoed: u64, state: &str) -> Value {
    let p = &s.peer;
    let streams: Vec<Value> = p
        .streams
        .iter()
        .map(|st| {
            json!({
                "mid": st.mid, "kind": st.kind.as_str(), "ssrc": st.ssrc,
                "direction": if st.outbound { "outbound" } else { "inbound" },
                "packets": st.packets, "bytes": st.bytes, "packets_lost": st.packets_lost,
                "jitter": st.jitter, "rtt_ms": st.rtt.map(|r| r.as_secs_f64() * 1000.0),
                "nacks": st.nacks, "keyframe_requests": st.keyframe_requests,
            })
        })
        .collect();
    json!({
        "type": "stats",
        "seconds": elapsed.as_secs_f64(),
        "connection_state": state,
        "selected_pair": p.selected_pair.map(|(l, r)| json!({"local": l.to_string(), "remote": r.to_string()})),
        "dtls_cipher": p.dtls_cipher,
        "srtp_profile": p.srtp_profile,
        "packets_echoed": echoed,
        "streams": streams,
        "datagrams_sent": s.datagrams_sent,
        "datagrams_received": s.datagrams_received,
        "dropped": p.dropped,
        "srtp_failures": p.srtp_failures,
        "events_dropped": s.events_dropped,
        "media_dropped": s.media_dropped,
        "socket_errors": s.socket_errors,
    })
}

/// Echoes one remote track onto the local track; returns the packets echoed.
async fn echo(mut remote: TrackRemote, local: TrackLocal) -> u64 {
    let mut n = 0;
    while let Some(p) = remote.read_rtp().await {
        match local.write_rtp(&p.packet).await {
            Ok(()) => n += 1,
            Err(nutshell::Error::Closed) => break,
            Err(e) => eprintln!("reflect: echo on {}: {e}", remote.mid()),
        }
    }
    n
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(args).await {
        eprintln!("reflect: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let start = Instant::now();
    let mut stdin = stdin_lines();
    let config = RtcConfiguration {
        ice_servers: args.stun.clone(),
        interfaces: args.interfaces.clone(),
        record: args.record.clone(),
        ..RtcConfiguration::default()
    };
    let mut pc = RtcPeerConnection::new(config).map_err(|e| e.to_string())?;
    let mut events = pc.take_events().ok_or("no event stream")?;
    let gather_limit = Duration::from_secs(10);
    let mut locals = Vec::new();
    if args.offer {
        locals.push(
            pc.add_track(MediaKind::Audio, "reflect")
                .await
                .map_err(|e| e.to_string())?,
        );
        locals.push(
            pc.add_track(MediaKind::Video, "reflect")
                .await
                .map_err(|e| e.to_string())?,
        );
        let offer = pc.create_offer().await.map_err(|e| e.to_string())?;
        pc.set_local_description(offer)
            .await
            .map_err(|e| e.to_string())?;
        pc.gathering_complete(gather_limit)
            .await
            .map_err(|e| e.to_string())?;
        let local = pc
            .local_description()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no local description")?;
        println!("{}", description_json(&local));
        let line = stdin
            .recv()
            .await
            .flatten()
            .ok_or("stdin closed before the answer")?;
        let answer = parse_description(&line, SdpType::Answer)?;
        pc.set_remote_description(answer)
            .await
            .map_err(|e| e.to_string())?;
    } else {
        let line = stdin
            .recv()
            .await
            .flatten()
            .ok_or("stdin closed before the offer")?;
        let offer = parse_description(&line, SdpType::Offer)?;
        let kinds = offered_kinds(&offer.sdp);
        pc.set_remote_description(offer)
            .await
            .map_err(|e| e.to_string())?;
        for kind in kinds {
            locals.push(
                pc.add_track(kind, "reflect")
                    .await
                    .map_err(|e| e.to_string())?,
            );
        }
        let answer = pc.create_answer().await.map_err(|e| e.to_string())?;
        pc.set_local_description(answer)
            .await
            .map_err(|e| e.to_string())?;
        pc.gathering_complete(gather_limit)
            .await
            .map_err(|e| e.to_string())?;
        let local = pc
            .local_description()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no local description")?;
        println!("{}", description_json(&local));
    }
    let mut by_mid: HashMap<String, TrackLocal> = HashMap::new();
    for t in locals {
        if let Ok(Some(mid)) = t.mid().await {
            by_mid.insert(mid, t);
        }
    }

    let deadline = args.duration.map(|d| tokio::time::Instant::now() + d);
    let mut echoes = Vec::new();
    let mut state = String::from("new");
    loop {
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            e = events.recv() => match e {
                Some(RtcEvent::Track(remote)) => match by_mid.get(remote.mid()) {
                    Some(local) => echoes.push(tokio::spawn(echo(remote, local.clone()))),
                    None => eprintln!("reflect: no local track for mid {}", remote.mid()),
                },
                Some(RtcEvent::KeyframeRequested { mid }) => {
                    let _ = pc.request_keyframe(&mid).await;
                }
                Some(RtcEvent::ConnectionState(s)) => {
                    state = format!("{s:?}").to_lowercase();
                    eprintln!("reflect: connection {state}");
                }
                Some(_) => {}
                None => break,
            },
            l = stdin.recv() => match l {
                None | Some(None) => break,
                // Trickle ICE: {"type":"candidate","candidate":RTCIceCandidateInit|null}.
                Some(Some(line)) => {
                    let Ok(v) = serde_json::from_str::<Value>(&line) else { continue };
                    if v["type"] == "candidate" {
                        let c = &v["candidate"];
                        let init = RtcIceCandidateInit {
                            candidate: c["candidate"].as_str().unwrap_or("").to_owned(),
                            sdp_mid: c["sdpMid"].as_str().map(str::to_owned),
                            sdp_mline_index: c["sdpMLineIndex"].as_u64().and_then(|i| u16::try_from(i).ok()),
                        };
                        if let Err(e) = pc.add_ice_candidate(init).await {
                            eprintln!("reflect: candidate {line}: {e}");
                        }
                    }
                }
            },
            () = sleep => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    let stats = pc.stats().await.map_err(|e| e.to_string())?;
    pc.close().await;
    let mut echoed = 0;
    for h in echoes {
        echoed += h.await.unwrap_or(0);
    }
    eprintln!("{}", stats_json(&stats, start.elapsed(), echoed, &state));
    Ok(())
}
