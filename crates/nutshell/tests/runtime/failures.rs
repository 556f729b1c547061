//! Renegotiation, a wrong fingerprint, a peer that goes silent.

use std::time::{Duration, Instant};

use nutshell::*;

use crate::support::*;

const LIMIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn renegotiation_adds_a_track() {
    let mut a = Peer::new(config());
    let mut b = Peer::new(config());
    let audio = a.pc.add_track(MediaKind::Audio, "a").await.unwrap();
    negotiate(&mut a, &mut b, false).await;
    a.wait_state(ConnectionState::Connected, LIMIT).await;
    let w1 = spawn_writer(Some(audio.clone()), None);
    let mut ta = b.next_track().await;
    assert_eq!(ta.kind(), MediaKind::Audio);
    read_frames(&mut ta, 5, LIMIT).await;

    // a adds video and renegotiates over the same transport.
    let video = a.pc.add_track(MediaKind::Video, "a").await.unwrap();
    negotiate(&mut a, &mut b, false).await;
    let w2 = spawn_writer(None, Some(video));
    let mut tv = b.next_track().await;
    assert_eq!(tv.kind(), MediaKind::Video);
    assert_ne!(tv.mid(), ta.mid());
    let frames = read_frames(&mut tv, 5, LIMIT).await;
    assert!(frames[0].keyframe);
    // Audio still flows.
    read_frames(&mut ta, 5, LIMIT).await;
    assert_eq!(
        a.pc.connection_state().await.unwrap(),
        ConnectionState::Connected
    );
    w1.abort();
    w2.abort();
}

#[tokio::test]
async fn wrong_fingerprint_is_rejected() {
    let mut a = Peer::new(config());
    let b = Peer::new(config());
    let audio = a.pc.add_track(MediaKind::Audio, "a").await.unwrap();
    let offer = a.pc.create_offer().await.unwrap();
    a.pc.set_local_description(offer.clone()).await.unwrap();
    b.pc.set_remote_description(offer).await.unwrap();
    let answer = b.pc.create_answer().await.unwrap();
    b.pc.set_local_description(answer.clone()).await.unwrap();
    // A man in the middle swaps b's fingerprint for another certificate's.
    let other = Certificate::generate().unwrap().fingerprint();
    let sdp: String = answer
        .sdp
        .split_inclusive("\r\n")
        .map(|l| {
            if l.starts_with("a=fingerprint:") {
                format!("a=fingerprint:{other}\r\n")
            } else {
                l.to_owned()
            }
        })
        .collect();
    assert_ne!(sdp, answer.sdp);
    a.pc.set_remote_description(RtcSessionDescription::answer(sdp))
        .await
        .unwrap();
    a.wait_state(ConnectionState::Failed, LIMIT).await;
    let w = spawn_writer(Some(audio), None);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_ne!(
        b.pc.connection_state().await.unwrap(),
        ConnectionState::Connected
    );
    let stats = b.pc.stats().await.unwrap();
    assert!(
        stats.peer.streams.iter().all(|s| s.packets == 0),
        "{stats:?}"
    );
    w.abort();
}

#[tokio::test]
async fn silent_peer_detected_by_consent() {
    // Short consent timers on a, so that the test takes seconds.
    let mut ca = config();
    ca.ice.consent_interval = Duration::from_millis(200);
    ca.ice.disconnected_timeout = Duration::from_millis(800);
    ca.ice.failed_timeout = Duration::from_secs(2);
    let mut a = Peer::new(ca);
    let b = Peer::new(config());
    a.pc.add_track(MediaKind::Audio, "a").await.unwrap();
    // a and b reach each other only through relays on loopback (the candidates in the
    // descriptions are rewritten to them).
    let offer = a.pc.create_offer().await.unwrap();
    a.pc.set_local_description(offer.clone()).await.unwrap();
    let to_a = Relay::new(candidate_addr(&offer.sdp)).await;
    let sdp = replace_candidates(&offer.sdp, to_a.addr);
    b.pc.set_remote_description(RtcSessionDescription::offer(sdp))
        .await
        .unwrap();
    let answer = b.pc.create_answer().await.unwrap();
    b.pc.set_local_description(answer.clone()).await.unwrap();
    let to_b = Relay::new(candidate_addr(&answer.sdp)).await;
    let sdp = replace_candidates(&answer.sdp, to_b.addr);
    a.pc.set_remote_description(RtcSessionDescription::answer(sdp))
        .await
        .unwrap();
    a.wait_state(ConnectionState::Connected, LIMIT).await;
    let pair = a.pc.stats().await.unwrap().peer.selected_pair.unwrap();
    assert!(pair.1 == to_a.addr || pair.1 == to_b.addr, "{pair:?}");

    // b goes silent: the links drop everything.
    to_a.cut();
    to_b.cut();
    let t0 = Instant::now();
    a.wait_state(ConnectionState::Disconnected, LIMIT).await;
    let disconnected = t0.elapsed();
    a.wait_state(ConnectionState::Failed, LIMIT).await;
    let failed = t0.elapsed();
    assert!(
        disconnected >= Duration::from_millis(500) && failed >= Duration::from_millis(1500),
        "{disconnected:?} {failed:?}"
    );
}

/// Garbage from a stranger (every first-byte class, truncated and oversized datagrams) is
/// dropped and counted; the connection carries on.
#[tokio::test]
async fn garbage_datagrams_are_dropped() {
    let mut a = Peer::new(config());
    let mut b = Peer::new(config());
    let audio = a.pc.add_track(MediaKind::Audio, "a").await.unwrap();
    negotiate(&mut a, &mut b, false).await;
    b.wait_state(ConnectionState::Connected, LIMIT).await;
    let target = b.pc.stats().await.unwrap().local_addrs[0];
    let stranger = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut x: u32 = 0x9e37_79b9;
    for i in 0..600usize {
        let len = [0, 1, 12, 20, 100, 1200, 4000][i % 7];
        let mut d: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        if let Some(first) = d.first_mut() {
            *first = [0u8, 1, 22, 23, 128, 144, 200, 255][i % 8];
        }
        stranger.send_to(&d, target).await.unwrap();
    }
    let w = spawn_writer(Some(audio), None);
    let mut t = b.next_track().await;
    read_frames(&mut t, 5, LIMIT).await;
    w.abort();
    let stats = b.pc.stats().await.unwrap();
    assert!(stats.peer.dropped + stats.peer.ice.unmatched + stats.peer.ice.malformed > 0);
    assert_eq!(
        b.pc.connection_state().await.unwrap(),
        ConnectionState::Connected
    );
}

#[test]
fn new_outside_a_runtime_is_an_error() {
    assert_eq!(
        RtcPeerConnection::new(config()).unwrap_err(),
        Error::NoRuntime
    );
}
