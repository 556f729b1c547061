//! The sans-IO core on a real UDP socket: answers the offer on stdin (non-trickle: the
//! offer carries the browser's candidates), prints the answer followed by a line `END`, then
//! runs the connection for `seconds`, echoing every video frame it receives back on its own
//! video track and sending Opus silence on its audio track; finally prints one JSON line of
//! what it saw. Used by `tests/browser_media/run.sh` against real browsers.
//!
//! Usage: `udp_echo BIND_ADDR SECONDS < offer.sdp`

use std::io::{Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant, SystemTime};

use nutshell_peer::dtls::cert::Certificate;
use nutshell_peer::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: udp_echo BIND_ADDR SECONDS");
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let mut offer = String::new();
    std::io::stdin().read_to_string(&mut offer).expect("stdin");

    let socket = UdpSocket::bind(bind).expect("bind");
    let local = socket.local_addr().expect("local addr");
    let start = Instant::now();
    let cfg = PeerConfig {
        seed: SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        wall_clock_at_start: SystemTime::now(),
        ..PeerConfig::new(Certificate::generate().expect("certificate"))
    };
    let mut pc = PeerConnection::new(cfg, start);
    pc.add_local_socket(local).expect("socket");
    pc.set_remote_description(SdpType::Offer, &offer)
        .expect("browser offer");
    let audio = pc.add_track(MediaKind::Audio, "echo").expect("track");
    let video = pc.add_track(MediaKind::Video, "echo").expect("track");
    let answer = pc.create_answer().expect("answer");
    pc.set_local_description(SdpType::Answer, &answer)
        .expect("answer");
    let answer = pc.local_description().unwrap_or(answer);
    println!("{answer}END");
    std::io::stdout().flush().expect("flush");

    let video_mid = pc.mid(video).map(str::to_owned);
    let mut buf = vec![0u8; 2048];
    let mut frames_in = [0u64; 2];
    let mut keyframes_in = 0u64;
    let mut echoed = 0u64;
    let mut keyframe_requests = 0u64;
    let mut connected_after = None;
    let mut tracks = Vec::new();
    let mut next_audio = start;
    let end = start + Duration::from_secs(seconds);
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        // Audio: Opus silence every 20 ms once connected.
        if pc.connection_state() == ConnectionState::Connected && now >= next_audio {
            let _ = pc.write_frame(audio, Duration::from_millis(20), &[0xf8, 0xff, 0xfe]);
            next_audio = now + Duration::from_millis(20);
        }
        while let Some(t) = pc.poll_transmit() {
            let _ = socket.send_to(&t.contents, t.destination);
        }
        while let Some(e) = pc.poll_event() {
            match e {
                PeerEvent::ConnectionState(ConnectionState::Connected) => {
                    connected_after.get_or_insert(now - start);
                }
                PeerEvent::Track(t) => tracks.push(format!("{}:{:?}", t.mid, t.kind)),
                PeerEvent::Frame {
                    mid,
                    data,
                    keyframe,
                    ..
                } => {
                    let is_video = Some(&mid) == video_mid.as_ref();
                    frames_in[usize::from(is_video)] += 1;
                    if is_video {
                        keyframes_in += u64::from(keyframe);
                        if pc
                            .write_frame(video, Duration::from_millis(33), &data)
                            .is_ok()
                        {
                            echoed += 1;
                        }
                    }
                }
                PeerEvent::KeyframeRequested { .. } => {
                    keyframe_requests += 1;
                    if let Some(mid) = &video_mid {
                        let _ = pc.request_keyframe(mid);
                    }
                }
                _ => {}
            }
        }
        while let Some(t) = pc.poll_transmit() {
            let _ = socket.send_to(&t.contents, t.destination);
        }
        let wake = [pc.poll_timeout(), Some(next_audio), Some(end)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(end);
        let wait = wake
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        socket.set_read_timeout(Some(wait)).expect("timeout");
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                let now = Instant::now();
                pc.handle_receive(
                    now,
                    Receive {
                        protocol: Protocol::Udp,
                        source: from,
                        destination: local,
                        contents: buf.get(..n).unwrap_or_default(),
                    },
                );
            }
            Err(_) => pc.handle_timeout(Instant::now()),
        }
    }
    let s = pc.stats();
    let streams: Vec<String> = s
        .streams
        .iter()
        .map(|st| {
            format!(
                "{{\"mid\":\"{}\",\"kind\":\"{:?}\",\"outbound\":{},\"packets\":{},\"lost\":{},\"rtt_ms\":{}}}",
                st.mid,
                st.kind,
                st.outbound,
                st.packets,
                st.packets_lost,
                st.rtt.map_or(-1.0, |r| r.as_secs_f64() * 1000.0)
            )
        })
        .collect();
    println!(
        "{{\"connected_after_ms\":{},\"tracks\":{:?},\"audio_frames_in\":{},\"video_frames_in\":{},\"keyframes_in\":{},\"echoed\":{},\"keyframe_requests\":{},\"cipher\":{:?},\"srtp\":{:?},\"srtp_failures\":{},\"streams\":[{}]}}",
        connected_after.map_or(-1, |d| d.as_millis() as i64),
        tracks,
        frames_in[0],
        frames_in[1],
        keyframes_in,
        echoed,
        keyframe_requests,
        s.dtls_cipher.unwrap_or_default(),
        s.srtp_profile.unwrap_or_default(),
        s.srtp_failures,
        streams.join(",")
    );
}
