//! Measures two `RtcPeerConnection`s on loopback:
//! 1. the time from `set_remote_description(answer)` on the offerer to its first decrypted
//!    media packet (the answerer sends a 100-byte audio frame every 2 ms from the moment it
//!    has answered), median and spread over `--runs` connections, with the default ICE
//!    configuration and with a 50 ms nomination delay;
//! 2. the CPU time per media packet end to end (packetize, encrypt, send, receive, decrypt,
//!    depacketize, hand to the reader): both peers run on one current-thread runtime, so
//!    the on-CPU time of that thread (`/proc/thread-self/schedstat`) covers everything; the
//!    figure is CPU time divided by packets received.
//!
//! ```text
//! cargo run --release -p nutshell --example time_to_media -- [--runs N] [--packets N]
//! ```

use std::time::{Duration, Instant};

use nutshell::{
    Certificate, ConnectionState, MediaKind, RtcConfiguration, RtcEvent, RtcPeerConnection,
    TrackLocal, TrackRemote,
};

fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn config(cert: &Certificate, nomination: Option<Duration>) -> RtcConfiguration {
    let mut c = RtcConfiguration {
        certificate: Some(cert.clone()),
        ..RtcConfiguration::default()
    };
    if let Some(d) = nomination {
        c.ice.nomination_delay = d;
    }
    c
}

async fn next_track(pc: &mut RtcPeerConnection) -> TrackRemote {
    loop {
        match pc.next_event().await {
            Some(RtcEvent::Track(t)) => return t,
            Some(_) => {}
            None => panic!("connection ended before a track"),
        }
    }
}

/// Connects a (offerer) and b (answerer), each with one track of `kind`.
async fn connect(
    cert: &Certificate,
    nomination: Option<Duration>,
    kind: MediaKind,
) -> (
    RtcPeerConnection,
    RtcPeerConnection,
    TrackLocal,
    TrackLocal,
    Instant,
) {
    let a = RtcPeerConnection::new(config(cert, nomination)).expect("a");
    let b = RtcPeerConnection::new(config(cert, nomination)).expect("b");
    let ta = a.add_track(kind, "a").await.expect("track");
    let offer = a.create_offer().await.expect("offer");
    a.set_local_description(offer.clone()).await.expect("local");
    b.set_remote_description(offer).await.expect("remote");
    let tb = b.add_track(kind, "b").await.expect("track");
    let answer = b.create_answer().await.expect("answer");
    b.set_local_description(answer.clone())
        .await
        .expect("local");
    let t0 = Instant::now();
    a.set_remote_description(answer).await.expect("remote");
    (a, b, ta, tb, t0)
}

async fn time_to_media(cert: &Certificate, nomination: Option<Duration>) -> Duration {
    let (mut a, b, _ta, tb, t0) = connect(cert, nomination, MediaKind::Audio).await;
    let sender = tokio::spawn(async move {
        let frame = [0xfcu8; 100];
        loop {
            if tb
                .write_frame(&frame, Duration::from_millis(2))
                .await
                .is_err()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    let mut track = next_track(&mut a).await;
    let p = track.read_rtp().await.expect("a packet");
    let d = p.received_at - t0;
    sender.abort();
    a.close().await;
    b.close().await;
    d
}

async fn cpu_per_packet(
    cert: &Certificate,
    kind: MediaKind,
    size: usize,
    packets: u64,
) -> (Duration, u64, Duration) {
    let (a, mut b, ta, _tb, _) = connect(cert, Some(Duration::from_millis(50)), kind).await;
    assert_eq!(
        a.wait_for_state(ConnectionState::Connected, Duration::from_secs(10))
            .await
            .ok(),
        Some(ConnectionState::Connected)
    );
    let _ = b
        .wait_for_state(ConnectionState::Connected, Duration::from_secs(10))
        .await;
    let mut track = next_track(&mut b).await;
    let mut frame = vec![0u8; size];
    match kind {
        MediaKind::Audio => frame[0] = 0xfc,
        // A VP8 interframe header: one packet per frame at this size.
        MediaKind::Video => frame[0] = 0x11,
    }
    let duration = Duration::from_millis(if kind == MediaKind::Audio { 20 } else { 33 });
    let reader = tokio::spawn(async move {
        let mut n = 0u64;
        while let Ok(Some(_)) =
            tokio::time::timeout(Duration::from_millis(300), track.read_rtp()).await
        {
            n += 1;
        }
        n
    });
    let cpu0 = cpu_time().unwrap_or_default();
    let wall0 = Instant::now();
    for i in 0..packets {
        ta.write_frame(&frame, duration).await.expect("write");
        // Pace in bursts of 16 so that socket buffers never overflow.
        if i % 16 == 15 {
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }
    let received = reader.await.expect("reader");
    // The reader's 300 ms idle wait is sleeping, not CPU.
    let cpu = cpu_time().unwrap_or_default().saturating_sub(cpu0);
    let wall = wall0.elapsed().saturating_sub(Duration::from_millis(300));
    a.close().await;
    b.close().await;
    (cpu, received, wall)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut runs = 15usize;
    let mut packets = 20_000u64;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match (a.as_str(), it.next().and_then(|v| v.parse::<u64>().ok())) {
            ("--runs", Some(n)) if n > 0 => runs = n as usize,
            ("--packets", Some(n)) if n > 0 => packets = n,
            _ => {
                eprintln!("usage: time_to_media [--runs N] [--packets N]");
                std::process::exit(2);
            }
        }
    }
    let cert = Certificate::generate().expect("certificate");
    for (label, nomination) in [
        ("default ICE config (nomination delay 500 ms)", None),
        ("nomination delay 50 ms", Some(Duration::from_millis(50))),
    ] {
        let mut v = Vec::with_capacity(runs);
        for _ in 0..runs {
            v.push(time_to_media(&cert, nomination).await);
        }
        let (min, max) = (
            *v.iter().min().expect("runs"),
            *v.iter().max().expect("runs"),
        );
        println!(
            "time to first media, {label}: median {} (min {}, max {}, {runs} runs)",
            ms(median(&mut v)),
            ms(min),
            ms(max)
        );
    }
    for (label, kind, size) in [
        ("audio, 100-byte Opus frames", MediaKind::Audio, 100),
        (
            "video, 1000-byte VP8 frames (one packet each)",
            MediaKind::Video,
            1000,
        ),
    ] {
        let (cpu, received, wall) = cpu_per_packet(&cert, kind, size, packets).await;
        let per = cpu.as_secs_f64() * 1e6 / received.max(1) as f64;
        println!(
            "CPU per packet end to end, {label}: {per:.1} µs ({received} of {packets} packets received in {}, {} on CPU)",
            ms(wall),
            ms(cpu)
        );
    }
}
