//! Two cores through netsim: connecting (trickle and not), media both ways, renegotiation,
//! wrong fingerprint, consent loss, loss.

use std::time::Duration;

use netsim::LinkConfig;
use nutshell_peer::*;

use crate::support::*;

/// A VP8 key frame header (RFC 6386 §9.1: start code 9d 01 2a) with `n` bytes of body.
fn vp8_frame(key: bool, n: usize, fill: u8) -> Vec<u8> {
    let mut f = vec![
        if key { 0x10 } else { 0x11 },
        0x02,
        0x00,
        0x9d,
        0x01,
        0x2a,
        0x40,
        0x01,
        0xf0,
        0x00,
    ];
    f.resize(n, fill);
    f
}

struct Tracks {
    a_audio: TrackId,
    a_video: TrackId,
    b_audio: TrackId,
    b_video: TrackId,
    /// KeyframeRequested events already answered, per side.
    key_seen: (usize, usize),
}

/// Both sides add audio and video, then negotiate from a.
fn audio_video_both_ways(p: &mut Pair) -> Tracks {
    let (a, b) = (p.a, p.b);
    let a_audio = p.with(a, |pc| pc.add_track(MediaKind::Audio, "a").unwrap());
    let a_video = p.with(a, |pc| pc.add_track(MediaKind::Video, "a").unwrap());
    let offer = p.with(a, |pc| {
        let o = pc.create_offer().unwrap();
        pc.set_local_description(SdpType::Offer, &o).unwrap();
        o
    });
    let (b_audio, b_video, answer) = p.with(b, |pc| {
        pc.set_remote_description(SdpType::Offer, &offer).unwrap();
        let ba = pc.add_track(MediaKind::Audio, "b").unwrap();
        let bv = pc.add_track(MediaKind::Video, "b").unwrap();
        let ans = pc.create_answer().unwrap();
        pc.set_local_description(SdpType::Answer, &ans).unwrap();
        (ba, bv, ans)
    });
    p.with(a, |pc| {
        pc.set_remote_description(SdpType::Answer, &answer).unwrap()
    });
    Tracks {
        a_audio,
        a_video,
        b_audio,
        b_video,
        key_seen: (0, 0),
    }
}

/// Runs for `d`, writing one audio frame every 20 ms and one video frame every 40 ms on
/// each side's tracks.
fn pump_media(p: &mut Pair, t: &mut Tracks, d: Duration, counter: &mut u32) {
    let end = p.sim.now() + d;
    while p.sim.now() < end {
        let n = *counter;
        *counter += 1;
        let audio = vec![0xfc, (n & 0xff) as u8, 0x55, 0xaa];
        let (a, b) = (p.a, p.b);
        p.with(a, |pc| {
            pc.write_frame(t.a_audio, Duration::from_millis(20), &audio)
                .unwrap()
        });
        p.with(b, |pc| {
            pc.write_frame(t.b_audio, Duration::from_millis(20), &audio)
                .unwrap()
        });
        if n.is_multiple_of(2) {
            // A key frame every 2 s, or when the peer asked for one.
            let asked = |e: &PeerEvent| matches!(e, PeerEvent::KeyframeRequested { .. });
            let key_a = p.a().events.iter().filter(|e| asked(e)).count();
            let key_b = p.b().events.iter().filter(|e| asked(e)).count();
            let periodic = n.is_multiple_of(100);
            let video = vp8_frame(periodic || key_a > t.key_seen.0, 3000, (n & 0xff) as u8);
            let video_b = vp8_frame(periodic || key_b > t.key_seen.1, 3000, (n & 0xff) as u8);
            p.with(a, |pc| {
                pc.write_frame(t.a_video, Duration::from_millis(40), &video)
                    .unwrap()
            });
            p.with(b, |pc| {
                pc.write_frame(t.b_video, Duration::from_millis(40), &video_b)
                    .unwrap()
            });
            t.key_seen = (key_a, key_b);
        }
        let next = p.sim.now() + Duration::from_millis(20);
        p.sim.run_until(next).unwrap();
    }
}

#[test]
fn non_trickle_connects_and_media_flows_both_ways() {
    let mut p = Pair::new(1, ideal_link());
    let mut t = audio_video_both_ways(&mut p);
    let took = p.run_until(Duration::from_secs(10), |p| p.connected());
    assert!(took < Duration::from_secs(2), "connected in {took:?}");
    let mut n = 0;
    pump_media(&mut p, &mut t, Duration::from_secs(3), &mut n);
    for h in [p.a, p.b] {
        let node = p.node(h);
        let audio = node.frames("0");
        let video = node.frames("1");
        assert!(audio.len() > 100, "audio frames: {}", audio.len());
        assert!(video.len() > 50, "video frames: {}", video.len());
        assert_eq!(audio[0].0.first(), Some(&0xfc));
        assert_eq!(video[0].0.len(), 3000, "whole VP8 frame reassembled");
        assert!(video[0].2, "first video frame is a key frame");
        assert!(node.has(
            |e| matches!(e, PeerEvent::Track(i) if i.mid == "1" && i.kind == MediaKind::Video)
        ));
        assert!(node.has(|e| matches!(e, PeerEvent::Rtp(r) if r.mid == "0")));
        let s = node.pc.stats();
        assert!(s.dtls_cipher.is_some());
        assert!(s.srtp_profile.is_some());
        assert!(s.selected_pair.is_some());
        assert_eq!(s.srtp_failures, 0);
        let outbound: Vec<&StreamStats> = s.streams.iter().filter(|s| s.outbound).collect();
        assert_eq!(outbound.len(), 2);
        assert!(
            outbound.iter().all(|s| s.rtt.is_some()),
            "RTT from RR: {outbound:?}"
        );
        let rtt = outbound[0].rtt.unwrap();
        // Two 10 ms links each way.
        assert!(
            rtt >= Duration::from_millis(39) && rtt <= Duration::from_millis(45),
            "rtt {rtt:?}"
        );
        assert!(s.reports_sent >= 2);
        let inbound: Vec<&StreamStats> = s.streams.iter().filter(|s| !s.outbound).collect();
        assert_eq!(inbound.len(), 2);
        assert!(
            inbound
                .iter()
                .all(|s| s.packets_lost == 0 && s.packets > 50)
        );
    }
}

#[test]
fn trickle_connects() {
    let mut p = Pair::bare(2, ideal_link());
    let mut t = audio_video_both_ways(&mut p);
    // Nothing gathered yet: the descriptions had no candidates.
    let (a, b) = (p.a, p.b);
    assert!(
        !p.with(a, |pc| pc.local_description().unwrap())
            .contains("a=candidate")
    );
    p.with(a, |pc| pc.add_local_socket(A_ADDR).unwrap());
    p.with(b, |pc| pc.add_local_socket(B_ADDR).unwrap());
    assert!(p.a().has(|e| matches!(e, PeerEvent::IceCandidate { .. })));
    assert!(p.a().has(|e| *e == PeerEvent::EndOfCandidates));
    // localDescription now holds the gathered candidate (for non-trickle peers).
    let local = p.with(a, |pc| pc.local_description().unwrap());
    assert!(
        local.contains("a=candidate:") && local.contains("a=end-of-candidates"),
        "{local}"
    );
    p.trickle();
    p.run_until(Duration::from_secs(10), |p| p.connected());
    let mut n = 0;
    pump_media(&mut p, &mut t, Duration::from_secs(1), &mut n);
    assert!(p.b().frames("0").len() > 30);
    assert!(p.a().frames("1").len() > 15);
}

#[test]
fn h264_video() {
    let mut ca = config(20);
    ca.codecs = vec![Codec::opus(), Codec::h264()];
    let mut p = Pair::with_configs(3, ideal_link(), ca, config(21));
    let (a, b) = (p.a, p.b);
    let tv = p.with(a, |pc| pc.add_track(MediaKind::Video, "a").unwrap());
    p.negotiate(a, b);
    assert_eq!(
        p.with(a, |pc| pc.send_codec(tv).unwrap().kind),
        CodecKind::H264
    );
    p.run_until(Duration::from_secs(10), |p| p.connected());
    // SPS, PPS, IDR slice of 4000 bytes (fragmented into FU-As).
    let mut au = vec![
        0, 0, 0, 1, 0x67, 0x42, 0xe0, 0x1f, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 0, 1, 0x65,
    ];
    au.extend(std::iter::repeat_n(0x88, 4000));
    for _ in 0..5 {
        p.with(a, |pc| {
            pc.write_frame(tv, Duration::from_millis(33), &au).unwrap()
        });
        let next = p.sim.now() + Duration::from_millis(33);
        p.sim.run_until(next).unwrap();
    }
    let frames = p.b().frames("0");
    assert_eq!(frames.len(), 5);
    assert!(frames[0].2, "IDR is a key frame");
    assert_eq!(frames[0].0, au, "access unit back in Annex B form");
}

#[test]
fn renegotiation_adds_a_track() {
    let mut p = Pair::new(4, ideal_link());
    let (a, b) = (p.a, p.b);
    let ta = p.with(a, |pc| pc.add_track(MediaKind::Audio, "a").unwrap());
    p.negotiate(a, b);
    p.run_until(Duration::from_secs(10), |p| p.connected());
    // b adds a video track and offers.
    let tv = p.with(b, |pc| pc.add_track(MediaKind::Video, "b").unwrap());
    assert!(p.b().has(|e| *e == PeerEvent::NegotiationNeeded));
    p.negotiate(b, a);
    assert_eq!(
        p.with(b, |pc| pc.mid(tv).map(str::to_owned)),
        Some("1".to_owned())
    );
    assert_eq!(p.with(a, |pc| pc.signaling_state()), SignalingState::Stable);
    assert!(
        p.a().has(
            |e| matches!(e, PeerEvent::Track(i) if i.mid == "1" && i.kind == MediaKind::Video)
        )
    );
    // DTLS was not redone: roles kept.
    assert_eq!(p.with(a, |pc| pc.dtls_role()), Some(dtls::Role::Server));
    for i in 0..10u8 {
        p.with(b, |pc| {
            pc.write_frame(tv, Duration::from_millis(40), &vp8_frame(i == 0, 500, i))
                .unwrap()
        });
        p.with(a, |pc| {
            pc.write_frame(ta, Duration::from_millis(20), &[0xfc, i])
                .unwrap()
        });
        let next = p.sim.now() + Duration::from_millis(40);
        p.sim.run_until(next).unwrap();
    }
    assert_eq!(p.a().frames("1").len(), 10);
    assert_eq!(p.b().frames("0").len(), 10);
    assert!(p.connected());
}

#[test]
fn wrong_fingerprint_is_rejected() {
    let mut p = Pair::new(5, ideal_link());
    let (a, b) = (p.a, p.b);
    p.with(a, |pc| pc.add_track(MediaKind::Audio, "a").unwrap());
    let offer = p.with(a, |pc| {
        let o = pc.create_offer().unwrap();
        pc.set_local_description(SdpType::Offer, &o).unwrap();
        o
    });
    let answer = p.with(b, |pc| {
        pc.set_remote_description(SdpType::Offer, &offer).unwrap();
        let ans = pc.create_answer().unwrap();
        pc.set_local_description(SdpType::Answer, &ans).unwrap();
        ans
    });
    // A man in the middle swaps b's fingerprint for another certificate's.
    let other = dtls::cert::Certificate::generate()
        .unwrap()
        .fingerprint()
        .hex_colon();
    let forged: String = answer
        .split_inclusive("\r\n")
        .map(|l| {
            if l.starts_with("a=fingerprint:") {
                format!("a=fingerprint:sha-256 {other}\r\n")
            } else {
                l.to_owned()
            }
        })
        .collect();
    p.with(a, |pc| {
        pc.set_remote_description(SdpType::Answer, &forged).unwrap()
    });
    p.run_until(Duration::from_secs(20), |p| {
        p.a().pc.connection_state() == ConnectionState::Failed
    });
    assert!(
        p.a()
            .has(|e| *e == PeerEvent::ConnectionState(ConnectionState::Failed))
    );
    assert_ne!(p.b().pc.connection_state(), ConnectionState::Connected);
}

#[test]
fn silent_peer_detected_by_consent() {
    let mut p = Pair::new(6, ideal_link());
    let (a, b) = (p.a, p.b);
    p.with(a, |pc| pc.add_track(MediaKind::Audio, "a").unwrap());
    p.negotiate(a, b);
    p.run_until(Duration::from_secs(10), |p| p.connected());
    let t0 = p.sim.now();
    // b goes silent: its link drops everything.
    p.sim.net_mut().set_link(
        b,
        LinkConfig {
            loss: 1.0,
            ..ideal_link()
        },
    );
    p.run_until(Duration::from_secs(30), |p| {
        p.a().pc.connection_state() == ConnectionState::Disconnected
    });
    let disconnected = p.sim.now() - t0;
    assert!(
        disconnected >= Duration::from_secs(4) && disconnected <= Duration::from_secs(9),
        "{disconnected:?}"
    );
    p.run_until(Duration::from_secs(60), |p| {
        p.a().pc.connection_state() == ConnectionState::Failed
    });
    let failed = p.sim.now() - t0;
    assert!(failed >= Duration::from_secs(29), "{failed:?}");
    assert!(
        p.a()
            .has(|e| *e == PeerEvent::IceConnectionState(ice::ConnectionState::Failed))
    );
}

#[test]
fn lossy_link_still_connects() {
    for seed in 0..5u64 {
        // 10 % on each of the two links a datagram crosses: 19 % end to end.
        let link = LinkConfig {
            loss: 0.1,
            latency: Duration::from_millis(20),
            ..LinkConfig::default()
        };
        let mut p = Pair::new(100 + seed, link);
        let mut t = audio_video_both_ways(&mut p);
        let took = p.run_until(Duration::from_secs(60), |p| p.connected());
        println!("seed {seed}: connected in {took:?}");
        let mut n = 0;
        pump_media(&mut p, &mut t, Duration::from_secs(4), &mut n);
        // Audio frames lost stay lost; video frames come back through NACK.
        let video = p.b().frames("1");
        let s = p.a().pc.stats();
        let sb = p.b().pc.stats();
        println!(
            "seed {seed}: {} video frames of 100; {:?} {:?}",
            video.len(),
            s.streams
                .iter()
                .find(|s| s.outbound && s.kind == MediaKind::Video),
            sb.streams
                .iter()
                .find(|s| !s.outbound && s.kind == MediaKind::Video)
        );
        assert!(
            video.len() >= 50,
            "seed {seed}: video frames {} of 100",
            video.len()
        );
        let v = s
            .streams
            .iter()
            .find(|s| s.outbound && s.kind == MediaKind::Video)
            .unwrap();
        assert!(
            v.nacks > 0 && v.retransmitted_or_frames > 0,
            "seed {seed}: {v:?}"
        );
    }
}

#[test]
fn keyframe_requests_cross() {
    let mut p = Pair::new(7, ideal_link());
    let (a, b) = (p.a, p.b);
    let tv = p.with(a, |pc| pc.add_track(MediaKind::Video, "a").unwrap());
    p.negotiate(a, b);
    p.run_until(Duration::from_secs(10), |p| p.connected());
    p.with(a, |pc| {
        pc.write_frame(tv, Duration::from_millis(40), &vp8_frame(true, 100, 1))
            .unwrap()
    });
    p.sim.run_for(Duration::from_millis(50)).unwrap();
    p.with(b, |pc| pc.request_keyframe("0").unwrap());
    p.sim.run_for(Duration::from_millis(50)).unwrap();
    assert!(
        p.a()
            .has(|e| matches!(e, PeerEvent::KeyframeRequested { mid } if mid == "0"))
    );
    assert!(matches!(
        p.with(b, |pc| pc.request_keyframe("9")),
        Err(Error::UnknownMid)
    ));
}

#[test]
fn write_rtp_forwards_packets() {
    let mut p = Pair::new(8, ideal_link());
    let (a, b) = (p.a, p.b);
    let ta = p.with(a, |pc| pc.add_track(MediaKind::Audio, "a").unwrap());
    p.negotiate(a, b);
    p.run_until(Duration::from_secs(10), |p| p.connected());
    p.with(a, |pc| pc.set_audio_level(ta, 30, true).unwrap());
    for i in 0..5u16 {
        let mut pkt = Vec::new();
        rtp::RtpPacketBuilder::new(111, 1000 + i, 960 * u32::from(i), 0x1234)
            .payload(&[0xfc, i as u8])
            .write(&mut pkt)
            .unwrap();
        p.with(a, |pc| pc.write_rtp(ta, &pkt).unwrap());
    }
    assert!(matches!(
        p.with(a, |pc| pc.write_rtp(ta, &[1, 2, 3])),
        Err(Error::Rtp(_))
    ));
    p.sim.run_for(Duration::from_millis(50)).unwrap();
    let seqs: Vec<u16> = p
        .b()
        .events
        .iter()
        .filter_map(|e| match e {
            PeerEvent::Rtp(r) => Some(r.sequence_number),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, [1000, 1001, 1002, 1003, 1004]);
    // Our header extensions: mid and the audio level we set (ids of our offer).
    let packet = p
        .b()
        .events
        .iter()
        .find_map(|e| match e {
            PeerEvent::Rtp(r) => Some(r.packet.clone()),
            _ => None,
        })
        .unwrap();
    let parsed = rtp::RtpPacket::parse(&packet).unwrap();
    let mut map = rtp::ExtensionMap::new();
    for (id, kind) in default_extensions() {
        map.insert(id, kind);
    }
    assert_eq!(parsed.mid(&map), Some("0"));
    assert_eq!(
        parsed.audio_level(&map),
        Some(rtp::AudioLevel {
            voice: true,
            level: 30
        })
    );
    assert!(parsed.transport_cc(&map).is_some() && parsed.abs_send_time(&map).is_some());
    assert_eq!(parsed.payload(), [0xfc, 0]);
    let ssrc = p.with(a, |pc| pc.send_ssrc(ta).unwrap());
    assert!(
        p.b()
            .has(|e| matches!(e, PeerEvent::Rtp(r) if r.ssrc == ssrc))
    );
}

#[test]
fn close_stops_everything() {
    let mut p = Pair::new(9, ideal_link());
    let (a, b) = (p.a, p.b);
    let ta = p.with(a, |pc| pc.add_track(MediaKind::Audio, "a").unwrap());
    p.negotiate(a, b);
    p.run_until(Duration::from_secs(10), |p| p.connected());
    p.with(a, |pc| pc.close());
    assert_eq!(
        p.with(a, |pc| pc.connection_state()),
        ConnectionState::Closed
    );
    assert!(matches!(
        p.with(a, |pc| pc.write_frame(ta, Duration::from_millis(20), &[1])),
        Err(Error::Closed)
    ));
    assert_eq!(p.with(a, |pc| pc.poll_timeout()), None);
    p.sim.run_for(Duration::from_secs(1)).unwrap();
    // The other side got a's close_notify; as in W3C's algorithm, a closed DTLS transport
    // over a connected ICE transport leaves the connection state Connected (not Connecting).
    assert_eq!(
        p.with(b, |pc| pc.connection_state()),
        ConnectionState::Connected
    );
    let states: Vec<ConnectionState> = p
        .b()
        .events
        .iter()
        .filter_map(|e| match e {
            PeerEvent::ConnectionState(s) => Some(*s),
            _ => None,
        })
        .collect();
    let connected = states
        .iter()
        .position(|s| *s == ConnectionState::Connected)
        .unwrap();
    assert_eq!(&states[connected..], [ConnectionState::Connected]);
}

#[test]
fn twenty_percent_loss_on_each_link_still_connects() {
    // 20 % on each of the two links: 36 % of datagrams lost end to end.
    for seed in 0..5u64 {
        let link = LinkConfig {
            loss: 0.2,
            latency: Duration::from_millis(20),
            ..LinkConfig::default()
        };
        let mut p = Pair::new(200 + seed, link);
        let (a, b) = (p.a, p.b);
        p.with(a, |pc| pc.add_track(MediaKind::Audio, "a").unwrap());
        p.negotiate(a, b);
        let took = p.run_until(Duration::from_secs(60), |p| p.connected());
        println!("seed {seed}: connected in {took:?}");
    }
}

#[test]
fn peer_connection_is_send() {
    fn send<T: Send>() {}
    send::<PeerConnection>();
    send::<PeerEvent>();
}

#[test]
fn ice_restart_keeps_the_call() {
    let mut p = Pair::new(10, ideal_link());
    let (a, b) = (p.a, p.b);
    let ta = p.with(a, |pc| pc.add_track(MediaKind::Audio, "a").unwrap());
    p.negotiate(a, b);
    p.run_until(Duration::from_secs(10), |p| p.connected());
    let before = p.with(a, |pc| pc.local_description().unwrap());
    p.with(a, |pc| pc.restart_ice().unwrap());
    p.negotiate(a, b);
    let after = p.with(a, |pc| pc.local_description().unwrap());
    let ufrag = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("a=ice-ufrag:"))
            .map(str::to_owned)
    };
    assert_ne!(
        ufrag(&before),
        ufrag(&after),
        "new credentials after the restart"
    );
    p.sim.run_for(Duration::from_secs(3)).unwrap();
    assert!(p.connected());
    for i in 0..10u8 {
        p.with(a, |pc| {
            pc.write_frame(ta, Duration::from_millis(20), &[0xfc, i])
                .unwrap()
        });
        let next = p.sim.now() + Duration::from_millis(20);
        p.sim.run_until(next).unwrap();
    }
    assert_eq!(p.b().frames("0").len(), 10);
    // Consent still holds well after the restart (the new pair is in use).
    p.sim.run_for(Duration::from_secs(40)).unwrap();
    assert!(p.connected());
}
