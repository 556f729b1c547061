//! Measures the media path of two PeerConnection cores wired back to back in memory:
//!
//! 1. the time from `set_remote_description(answer)` on the offerer to the first media
//!    packet the answerer decrypts, in virtual time (the protocol's own waits: ICE pacing
//!    and nomination, the DTLS flights) and in wall time (the CPU work of ICE, DTLS with its
//!    ECDHE and signatures, SRTP set-up);
//! 2. the CPU time per media packet end to end: `write_frame` → `poll_transmit` →
//!    `handle_receive` → the `Frame` event, for Opus packets and single-packet VP8 frames.
//!
//! Run with `cargo run --release -p nutshell-peer --example media_path [packets]`.
//! (Examples may read clocks; the crate does not.)

use std::time::{Duration, Instant};

use nutshell_peer::dtls::cert::Certificate;
use nutshell_peer::*;

fn deliver(from: &mut PeerConnection, to: &mut PeerConnection, now: Instant) -> usize {
    let mut n = 0;
    while let Some(t) = from.poll_transmit() {
        n += 1;
        to.handle_receive(
            now,
            Receive {
                protocol: t.protocol,
                source: t.source,
                destination: t.destination,
                contents: &t.contents,
            },
        );
    }
    n
}

struct Setup {
    a: PeerConnection,
    b: PeerConnection,
    audio: TrackId,
    video: TrackId,
    now: Instant,
}

/// Connects two cores; returns them and the virtual and wall time from the answer being
/// applied to the first decrypted media packet.
fn connect(cert_a: &Certificate, cert_b: &Certificate, seed: u64) -> (Setup, Duration, Duration) {
    let cfg = |cert: &Certificate, seed| PeerConfig {
        include_loopback: true,
        seed,
        ..PeerConfig::new(cert.clone())
    };
    let mut now = Instant::now();
    let mut a = PeerConnection::new(cfg(cert_a, seed), now);
    let mut b = PeerConnection::new(cfg(cert_b, seed + 1), now);
    a.add_local_socket("127.0.0.1:5000".parse().unwrap())
        .unwrap();
    b.add_local_socket("127.0.0.1:6000".parse().unwrap())
        .unwrap();
    let audio = a.add_track(MediaKind::Audio, "s").unwrap();
    let video = a.add_track(MediaKind::Video, "s").unwrap();
    let offer = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    b.set_remote_description(SdpType::Offer, &offer).unwrap();
    let answer = b.create_answer().unwrap();
    b.set_local_description(SdpType::Answer, &answer).unwrap();

    let wall = Instant::now();
    let virtual_start = now;
    a.set_remote_description(SdpType::Answer, &answer).unwrap();
    loop {
        if a.connection_state() == ConnectionState::Connected {
            a.write_frame(audio, Duration::from_millis(20), &[0xfc, 0, 0, 0])
                .unwrap();
        }
        // The "network": deliver until both sides are quiet.
        while deliver(&mut a, &mut b, now) + deliver(&mut b, &mut a, now) > 0 {}
        let debug = std::env::var_os("MEDIA_PATH_DEBUG").is_some();
        while let Some(e) = a.poll_event() {
            if debug {
                println!("{:?} a {e:?}", now - virtual_start);
            }
        }
        let mut got = false;
        while let Some(e) = b.poll_event() {
            if debug {
                println!("{:?} b {e:?}", now - virtual_start);
            }
            got |= matches!(e, PeerEvent::Rtp(_));
        }
        if got {
            if debug {
                println!("a {:?}\nb {:?}", a.stats(), b.stats());
            }
            let took = (now - virtual_start, wall.elapsed());
            return (
                Setup {
                    a,
                    b,
                    audio,
                    video,
                    now,
                },
                took.0,
                took.1,
            );
        }
        let next = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        now = next.unwrap_or(now + Duration::from_millis(1)).max(now);
        a.handle_timeout(now);
        b.handle_timeout(now);
        assert!(
            now - virtual_start < Duration::from_secs(30),
            "did not connect"
        );
    }
}

/// Sends `n` frames of `frame` on `track` and returns the CPU time per frame end to end.
fn per_packet(s: &mut Setup, track: TrackId, frame: &[u8], n: usize, step: Duration) -> Duration {
    let mut frames = 0;
    let start = Instant::now();
    for _ in 0..n {
        s.now += step;
        s.a.write_frame(track, step, frame).unwrap();
        deliver(&mut s.a, &mut s.b, s.now);
        while let Some(e) = s.b.poll_event() {
            if matches!(e, PeerEvent::Frame { .. }) {
                frames += 1;
            }
        }
        // Timers (reports) on the virtual clock; their datagrams go across too.
        if s.a.poll_timeout().is_some_and(|t| t <= s.now) {
            s.a.handle_timeout(s.now);
        }
        if s.b.poll_timeout().is_some_and(|t| t <= s.now) {
            s.b.handle_timeout(s.now);
        }
        deliver(&mut s.b, &mut s.a, s.now);
        while s.a.poll_event().is_some() {}
    }
    let took = start.elapsed();
    assert_eq!(frames, n, "every frame arrives");
    took / n as u32
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let cert_a = Certificate::generate().unwrap();
    let cert_b = Certificate::generate().unwrap();
    let mut virt = Vec::new();
    let mut wall = Vec::new();
    let mut setup = None;
    for seed in 0..10 {
        let (s, v, w) = connect(&cert_a, &cert_b, seed * 2 + 1);
        virt.push(v);
        wall.push(w);
        setup = Some(s);
    }
    virt.sort();
    wall.sort();
    println!(
        "answer applied -> first decrypted media packet (10 runs): virtual median {:?} (min {:?}, max {:?}); wall median {:?} (min {:?}, max {:?})",
        virt[5], virt[0], virt[9], wall[5], wall[0], wall[9]
    );
    let mut s = setup.unwrap();
    println!(
        "negotiated: {:?}",
        (s.a.stats().dtls_cipher, s.a.stats().srtp_profile)
    );
    let opus = vec![0xfc; 120];
    let audio = s.audio;
    let t = per_packet(&mut s, audio, &opus, n, Duration::from_millis(20));
    println!("Opus 120-byte packet, write_frame -> Frame event: {t:?} per packet ({n} packets)");
    let mut vp8 = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00];
    vp8.resize(1000, 0x55);
    let video = s.video;
    let t = per_packet(&mut s, video, &vp8, n, Duration::from_millis(33));
    println!(
        "VP8 1000-byte key frame (1 packet), write_frame -> Frame event: {t:?} per packet ({n} packets)"
    );
    let stats = s.b.stats();
    for st in stats.streams {
        println!(
            "  b {} {:?} packets {} lost {}",
            if st.outbound { "out" } else { "in" },
            st.kind,
            st.packets,
            st.packets_lost
        );
    }
}
