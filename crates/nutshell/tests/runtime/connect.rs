//! Two peers over UDP on 127.0.0.1.

use std::time::Duration;

use nutshell::*;

use crate::support::*;

const LIMIT: Duration = Duration::from_secs(5);

/// Both add audio and video; offer from a; media both ways, checked on every track.
async fn audio_video_both_ways(trickle: bool) {
    let mut a = Peer::new(config());
    let mut b = Peer::new(config());
    let a_audio = a.pc.add_track(MediaKind::Audio, "a").await.unwrap();
    let a_video = a.pc.add_track(MediaKind::Video, "a").await.unwrap();
    let offer = a.pc.create_offer().await.unwrap();
    a.pc.set_local_description(offer.clone()).await.unwrap();
    let offer = if trickle {
        strip_candidates(&offer)
    } else {
        offer
    };
    assert_eq!(offer.sdp.contains("a=candidate"), !trickle);
    b.pc.set_remote_description(offer).await.unwrap();
    let b_audio = b.pc.add_track(MediaKind::Audio, "b").await.unwrap();
    let b_video = b.pc.add_track(MediaKind::Video, "b").await.unwrap();
    let answer = b.pc.create_answer().await.unwrap();
    b.pc.set_local_description(answer.clone()).await.unwrap();
    let answer = if trickle {
        strip_candidates(&answer)
    } else {
        answer
    };
    a.pc.set_remote_description(answer).await.unwrap();
    if trickle {
        trickle_all(&mut a, &mut b).await;
    }
    a.wait_state(ConnectionState::Connected, LIMIT).await;
    b.wait_state(ConnectionState::Connected, LIMIT).await;

    let wa = spawn_writer(Some(a_audio), Some(a_video));
    let wb = spawn_writer(Some(b_audio), Some(b_video));
    for p in [&mut a, &mut b] {
        let mut t1 = p.next_track().await;
        let mut t2 = p.next_track().await;
        if t1.kind() == MediaKind::Video {
            std::mem::swap(&mut t1, &mut t2);
        }
        assert_eq!((t1.kind(), t2.kind()), (MediaKind::Audio, MediaKind::Video));
        let audio = read_frames(&mut t1, 10, LIMIT).await;
        assert!(
            audio
                .iter()
                .all(|f| f.data.len() == 80 && f.data[0] == 0xfc)
        );
        let video = read_frames(&mut t2, 5, LIMIT).await;
        assert!(video.iter().all(|f| f.data.len() == 3000));
        assert!(video[0].keyframe);
    }
    wa.abort();
    wb.abort();

    let stats = a.pc.stats().await.unwrap();
    assert!(stats.peer.selected_pair.is_some());
    assert!(stats.local_addrs.iter().all(|s| s.ip().is_loopback()));
    assert!(stats.datagrams_received > 20 && stats.datagrams_sent > 20);
    let inbound = stats.peer.streams.iter().filter(|s| !s.outbound).count();
    assert_eq!(inbound, 2, "{:?}", stats.peer.streams);
    a.pc.close().await;
    b.pc.close().await;
    assert_eq!(a.pc.connection_state().await, Err(Error::Closed));
}

#[tokio::test]
async fn non_trickle_audio_and_video_both_ways() {
    audio_video_both_ways(false).await;
}

#[tokio::test]
async fn trickle_audio_and_video_both_ways() {
    audio_video_both_ways(true).await;
}

#[tokio::test]
async fn local_description_carries_candidates_and_end() {
    let a = Peer::new(config());
    a.pc.add_track(MediaKind::Audio, "a").await.unwrap();
    let offer = a.pc.create_offer().await.unwrap();
    a.pc.set_local_description(offer).await.unwrap();
    assert!(a.pc.gathering_complete(LIMIT).await.unwrap());
    let local = a.pc.local_description().await.unwrap().unwrap();
    assert_eq!(local.sdp_type, SdpType::Offer);
    assert!(local.sdp.contains("a=candidate:"));
    assert!(local.sdp.contains(" 127.0.0.1 "));
    assert!(local.sdp.contains("a=end-of-candidates"));
}

#[tokio::test]
async fn misuse_is_an_error() {
    let a = Peer::new(config());
    let e = a.pc.create_answer().await.unwrap_err();
    assert!(
        matches!(e, Error::Peer(peer::Error::InvalidState { .. })),
        "{e}"
    );
    let e =
        a.pc.add_ice_candidate(RtcIceCandidateInit {
            candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        })
        .await
        .unwrap_err();
    assert_eq!(e, Error::Peer(peer::Error::NoRemoteDescription));
    let e =
        a.pc.set_remote_description(RtcSessionDescription::offer("v=0\r\ngarbage"))
            .await
            .unwrap_err();
    assert!(matches!(e, Error::Peer(peer::Error::InvalidDescription(_))));
    let bad = RtcConfiguration {
        ice_servers: vec!["turn:127.0.0.1".into()],
        ..config()
    };
    assert!(matches!(
        RtcPeerConnection::new(bad),
        Err(Error::InvalidIceServer(_))
    ));
}

/// With a STUN server (nutshell-relay on loopback) configured, gathering queries it and
/// completes; the peers still connect. (On loopback the server-reflexive address equals the
/// host candidate, so ICE drops it as redundant, RFC 8445 §5.1.3.)
#[tokio::test]
async fn stun_server_on_loopback() {
    let server = relay::server::Server::bind(relay::server::Config {
        listen: vec!["127.0.0.1:0".parse().unwrap()],
        ..relay::server::Config::default()
    })
    .await
    .unwrap();
    let stun = server.udp_addrs()[0];
    let task = tokio::spawn(server.run());
    let with_stun = RtcConfiguration {
        ice_servers: vec![format!("stun:{stun}")],
        ..config()
    };
    let mut a = Peer::new(with_stun.clone());
    let mut b = Peer::new(with_stun);
    a.pc.add_track(MediaKind::Audio, "a").await.unwrap();
    let offer = a.pc.create_offer().await.unwrap();
    a.pc.set_local_description(offer).await.unwrap();
    assert!(a.pc.gathering_complete(LIMIT).await.unwrap());
    let local = a.pc.local_description().await.unwrap().unwrap();
    assert!(local.sdp.contains("a=end-of-candidates"));
    b.pc.set_remote_description(local).await.unwrap();
    let answer = b.pc.create_answer().await.unwrap();
    b.pc.set_local_description(answer).await.unwrap();
    assert!(b.pc.gathering_complete(LIMIT).await.unwrap());
    let answer = b.pc.local_description().await.unwrap().unwrap();
    a.pc.set_remote_description(answer).await.unwrap();
    a.wait_state(ConnectionState::Connected, LIMIT).await;
    b.wait_state(ConnectionState::Connected, LIMIT).await;
    // The server answered: one response more than our connectivity checks got.
    let ice = a.pc.stats().await.unwrap().peer.ice;
    assert!(ice.responses_received > 0, "{ice:?}");
    task.abort();
}

/// As a signaling app usually does it: the descriptions keep their candidates and every
/// `IceCandidate` event is trickled too (so each candidate arrives twice).
#[tokio::test]
async fn trickle_on_top_of_full_descriptions() {
    let mut a = Peer::new(config());
    let mut b = Peer::new(config());
    let audio = a.pc.add_track(MediaKind::Audio, "a").await.unwrap();
    negotiate(&mut a, &mut b, false).await;
    trickle_all(&mut a, &mut b).await;
    a.wait_state(ConnectionState::Connected, LIMIT).await;
    b.wait_state(ConnectionState::Connected, LIMIT).await;
    let w = spawn_writer(Some(audio), None);
    let mut t = b.next_track().await;
    read_frames(&mut t, 5, LIMIT).await;
    w.abort();
    let ice = a.pc.stats().await.unwrap().peer.ice;
    assert_eq!(ice.remote_candidates, 1, "{ice:?}");
}

/// Closing sends DTLS close_notify. As in W3C's state algorithm, a closed DTLS transport over
/// a connected ICE transport leaves the peer Connected (no spurious Connecting) until
/// consent freshness notices the silence.
#[tokio::test]
async fn close_leaves_the_peer_connected_until_consent_expires() {
    let mut a = Peer::new(config());
    let mut b = Peer::new(config());
    a.pc.add_track(MediaKind::Audio, "a").await.unwrap();
    negotiate(&mut a, &mut b, false).await;
    b.wait_state(ConnectionState::Connected, LIMIT).await;
    a.pc.close().await;
    let changed = tokio::time::timeout(
        Duration::from_secs(1),
        b.state.wait_for(|s| *s != ConnectionState::Connected),
    )
    .await
    .is_ok();
    let now = *b.state.borrow();
    assert!(!changed, "b went {now:?} on the peer's close_notify");
}
