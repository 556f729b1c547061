//! A second nutshell peer for the browser tests: the sans-IO core (`nutshell-peer`) driven
//! by a plain blocking UDP loop, with the same line protocol and echo behavior as the
//! runtime's `reflect` example. The tests run it (this test binary, re-executed inside the
//! namespace) next to `reflect`, so that a failure can be told apart: the core or the
//! runtime around it.
//!
//! Line protocol: stdin and stdout carry one JSON object a line, the browser's
//! `JSON.stringify(pc.localDescription)` (`{"type":"offer"|"answer","sdp":…}`) and trickled
//! candidates (`{"type":"candidate","candidate":RTCIceCandidateInit|null}`). Answering, it
//! reads the offer and prints its answer with every candidate; offering (`offer` mode), it
//! prints its offer and reads the answer. Every RTP packet received goes back to the sender
//! on our transceiver of the same mid. It stops when stdin closes and prints its figures as
//! one JSON line on stderr.
//!
//! With a [`Record`] it records the call (`PeerConfig::record`), appending the recorded
//! bytes to the file after each pass of its loop; with a frame limit it stops appending
//! once that many frames were received, which keeps a committed recording small (the file
//! then ends at a whole entry and replays up to there).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use peer::dtls::SrtpProfile;
use peer::dtls::cert::Certificate;
use peer::{Codec, MediaKind, PeerConfig, PeerConnection, PeerEvent, Protocol, Receive, SdpType};
use serde_json::{Value, json};

/// Where the call is recorded, and after how many received frames the file stops growing
/// (`None`: the whole call).
pub struct Record {
    pub path: std::path::PathBuf,
    pub max_frames: Option<u64>,
}

/// The recording file being written.
struct RecordFile {
    file: std::fs::File,
    max_frames: Option<u64>,
}

impl RecordFile {
    /// Appends the core's recorded bytes, unless the frame limit was reached.
    fn save(&mut self, pc: &mut PeerConnection, frames: u64) {
        let chunk = pc.take_recording();
        if self.max_frames.is_some_and(|m| frames > m) {
            return;
        }
        self.file.write_all(&chunk).expect("write the recording");
    }
}

/// Runs the peer on `addr` until stdin closes. `offer`: we send the offer. `profiles`: the
/// SRTP profiles we allow, comma-separated RFC names without `SRTP_` (empty: the default).
/// `video`: the only video codec we allow (`H264`; empty: the default codecs). `record`:
/// record the call into a file.
pub fn run(addr: IpAddr, offer: bool, profiles: &str, video: &str, record: Option<Record>) {
    let cert = Certificate::generate().expect("certificate");
    let start = Instant::now();
    let mut config = PeerConfig {
        seed: u64::from(std::process::id()),
        wall_clock_at_start: std::time::SystemTime::now(),
        record: record.is_some(),
        ..PeerConfig::new(cert)
    };
    let mut record = record.map(|r| RecordFile {
        file: std::fs::File::create(&r.path).expect("create the recording"),
        max_frames: r.max_frames,
    });
    if !profiles.is_empty() {
        config.srtp_profiles = profiles
            .split(',')
            .map(|p| match p {
                "AEAD_AES_128_GCM" => SrtpProfile::AeadAes128Gcm,
                "AEAD_AES_256_GCM" => SrtpProfile::AeadAes256Gcm,
                "SHA1_80" => SrtpProfile::Aes128CmHmacSha1_80,
                "SHA1_32" => SrtpProfile::Aes128CmHmacSha1_32,
                other => panic!("unknown SRTP profile {other}"),
            })
            .collect();
    }
    match video {
        "" => {}
        "H264" => config.codecs = vec![Codec::opus(), Codec::h264()],
        other => panic!("unknown video codec {other}"),
    }
    let mut pc = PeerConnection::new(config, start);
    let sock = UdpSocket::bind(SocketAddr::new(addr, 0)).expect("bind");
    let local = sock.local_addr().expect("local addr");
    pc.add_local_socket(local).expect("add socket");

    let (tx, lines) = mpsc::channel::<Option<String>>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(Some(line)).is_err() {
                return;
            }
        }
        let _ = tx.send(None);
    });

    if offer {
        pc.add_track(MediaKind::Audio, "echo").expect("audio");
        pc.add_track(MediaKind::Video, "echo").expect("video");
        let sdp = pc.create_offer().expect("offer");
        pc.set_local_description(SdpType::Offer, &sdp)
            .expect("set offer");
        let sdp = pc.local_description().expect("local description");
        println!("{}", json!({"type": "offer", "sdp": sdp}));
    }

    let mut received: BTreeMap<String, u64> = BTreeMap::new();
    let mut echoed = 0u64;
    let mut echo_errors = 0u64;
    let mut kinds: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut frames = 0u64;
    let mut events = Vec::new();
    let mut buf = vec![0u8; 2048];
    'run: loop {
        loop {
            match lines.try_recv() {
                Ok(Some(line)) => {
                    let msg: Value = serde_json::from_str(&line).expect("JSON line");
                    match msg["type"].as_str() {
                        Some("offer") => {
                            let sdp = msg["sdp"].as_str().expect("sdp");
                            pc.set_remote_description(SdpType::Offer, sdp)
                                .expect("set offer");
                            pc.add_track(MediaKind::Audio, "echo").expect("audio");
                            pc.add_track(MediaKind::Video, "echo").expect("video");
                            let sdp = pc.create_answer().expect("answer");
                            pc.set_local_description(SdpType::Answer, &sdp)
                                .expect("set answer");
                            let sdp = pc.local_description().expect("local description");
                            println!("{}", json!({"type": "answer", "sdp": sdp}));
                        }
                        Some("answer") => {
                            let sdp = msg["sdp"].as_str().expect("sdp");
                            pc.set_remote_description(SdpType::Answer, sdp)
                                .expect("set answer");
                        }
                        Some("candidate") => {
                            let c = &msg["candidate"];
                            let text = c["candidate"].as_str().unwrap_or("");
                            let mline = c["sdpMLineIndex"].as_u64().map(|i| i as u16);
                            if let Err(e) = pc.add_ice_candidate(text, c["sdpMid"].as_str(), mline)
                            {
                                events.push(format!("add_ice_candidate {text:?}: {e}"));
                            }
                        }
                        other => events.push(format!("unknown message {other:?}")),
                    }
                }
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => break 'run,
                Err(mpsc::TryRecvError::Empty) => break,
            }
        }
        // Drain: transmits, events, then wait for a datagram until the next timeout.
        while let Some(t) = pc.poll_transmit() {
            let _ = sock.send_to(&t.contents, t.destination);
        }
        while let Some(e) = pc.poll_event() {
            match e {
                PeerEvent::Rtp(p) => {
                    *received.entry(p.mid.clone()).or_default() += 1;
                    match pc.track_by_mid(&p.mid) {
                        Some(track) => match pc.write_rtp(track, &p.packet) {
                            Ok(()) => echoed += 1,
                            Err(_) => echo_errors += 1,
                        },
                        None => echo_errors += 1,
                    }
                }
                PeerEvent::KeyframeRequested { mid } => {
                    // The browser wants a key frame of what we echo: ask it for one.
                    let _ = pc.request_keyframe(&mid);
                }
                PeerEvent::Track(info) => {
                    let kind = match info.kind {
                        MediaKind::Audio => "audio",
                        MediaKind::Video => "video",
                    };
                    kinds.insert(info.mid.clone(), kind);
                    events.push(format!("{:.3} track {} {kind}", secs(start), info.mid));
                }
                PeerEvent::Frame { .. } => frames += 1,
                other => events.push(format!("{:.3} {other:?}", secs(start))),
            }
        }
        while let Some(t) = pc.poll_transmit() {
            let _ = sock.send_to(&t.contents, t.destination);
        }
        let now = Instant::now();
        let wait = pc
            .poll_timeout()
            .map_or(Duration::from_millis(20), |t| {
                t.saturating_duration_since(now)
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(20));
        sock.set_read_timeout(Some(wait)).expect("read timeout");
        if let Ok((n, source)) = sock.recv_from(&mut buf) {
            pc.handle_receive(
                Instant::now(),
                Receive {
                    protocol: Protocol::Udp,
                    source,
                    destination: local,
                    contents: &buf[..n],
                },
            );
        }
        let now = Instant::now();
        if pc.poll_timeout().is_some_and(|t| t <= now) {
            pc.handle_timeout(now);
        }
        if let Some(r) = record.as_mut() {
            r.save(&mut pc, frames);
        }
    }
    if let Some(r) = record.as_mut() {
        r.save(&mut pc, frames);
    }
    let mut by_kind: BTreeMap<&str, u64> = BTreeMap::new();
    for (mid, n) in &received {
        *by_kind
            .entry(kinds.get(mid).copied().unwrap_or("unknown"))
            .or_default() += n;
    }
    let stats = pc.stats();
    eprintln!(
        "{}",
        json!({
            "rtp_received": by_kind,
            "rtp_echoed": echoed,
            "frames_received": frames,
            "echo_errors": echo_errors,
            "connection_state": format!("{:?}", pc.connection_state()),
            "srtp_profile": stats.srtp_profile,
            "dtls_cipher": stats.dtls_cipher,
            "selected_pair": stats.selected_pair.map(|(l, r)| format!("{l} -> {r}")),
            "srtp_failures": stats.srtp_failures,
            "dropped": stats.dropped,
            "events": events,
            "stats": format!("{stats:?}"),
        })
    );
}

fn secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}
