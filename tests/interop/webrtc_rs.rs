//! webrtc-rs (the `webrtc` crate, async) against nutshell's runtime (`nutshell`), both in
//! this process on one tokio runtime, on loopback only.
//!
//! webrtc-rs gathers on loopback only (loopback candidates on, an IP filter for loopback
//! addresses, UDP over IPv4, mDNS off, no ICE servers); nutshell's default interfaces are
//! loopback only. Signaling is non-trickle: each description is taken once gathering is
//! complete. Each side writes an audio frame every 20 ms and a video frame every 40 ms for
//! three seconds (one in the SRTP profile sweep); every frame either side reassembled (webrtc-rs: its depacketizers over the
//! RTP packets up to each marker bit; nutshell: `TrackRemote::read_frame`) must be one the
//! other wrote, and nearly all must arrive. webrtc-rs exposes neither the DTLS cipher suite
//! nor the SRTP profile it negotiated, so the profile is checked by restricting webrtc-rs
//! to one profile and reading it from nutshell's stats.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use nutshell::{
    ConnectionState, MediaKind, RtcConfiguration, RtcEvent, RtcPeerConnection,
    RtcSessionDescription,
};
use webrtc::api::APIBuilder;
use webrtc::api::interceptor_registry::register_default_interceptors;
use webrtc::api::media_engine::{MIME_TYPE_H264, MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine};
use webrtc::api::setting_engine::SettingEngine;
use webrtc::dtls::extension::extension_use_srtp::SrtpProtectionProfile;
use webrtc::ice::mdns::MulticastDnsMode;
use webrtc::ice::network_type::NetworkType;
use webrtc::interceptor::registry::Registry;
use webrtc::media::Sample;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp::codecs::h264::H264Packet;
use webrtc::rtp::codecs::vp8::Vp8Packet;
use webrtc::rtp::packetizer::Depacketizer;
use webrtc::rtp_transceiver::rtp_codec::{RTCRtpCodecCapability, RTPCodecType};
use webrtc::track::track_local::TrackLocal;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

use crate::media::{Flow, Video, audio_frame, normalize, video_frame};

const LIMIT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy)]
struct Case {
    nutshell_offers: bool,
    video: Video,
    /// The one SRTP profile webrtc-rs may use (None: its defaults).
    srtp: Option<SrtpProtectionProfile>,
    /// How long media flows once connected.
    media: Duration,
}

type Shared = Arc<Mutex<Flow>>;

#[derive(Default, Clone)]
struct Flows {
    to_nut_audio: Shared,
    to_nut_video: Shared,
    to_ws_audio: Shared,
    to_ws_video: Shared,
}

async fn webrtc_rs_peer(case: Case) -> RTCPeerConnection {
    let mut m = MediaEngine::default();
    m.register_default_codecs().expect("codecs");
    let registry = register_default_interceptors(Registry::new(), &mut m).expect("interceptors");
    let mut s = SettingEngine::default();
    s.set_include_loopback_candidate(true);
    s.set_ip_filter(Box::new(|ip: IpAddr| ip.is_loopback()));
    s.set_network_types(vec![NetworkType::Udp4]);
    s.set_ice_multicast_dns_mode(MulticastDnsMode::Disabled);
    if let Some(p) = case.srtp {
        s.set_srtp_protection_profiles(vec![p]);
    }
    let api = APIBuilder::new()
        .with_media_engine(m)
        .with_interceptor_registry(registry)
        .with_setting_engine(s)
        .build();
    api.new_peer_connection(RTCConfiguration::default())
        .await
        .expect("webrtc-rs peer connection")
}

fn capability(mime: &str) -> RTCRtpCodecCapability {
    RTCRtpCodecCapability {
        mime_type: mime.to_owned(),
        ..Default::default()
    }
}

/// Reassembles a webrtc-rs remote track's frames (the depacketized payloads up to each
/// marker bit) into `flow`.
fn read_webrtc_rs_track(
    track: Arc<webrtc::track::track_remote::TrackRemote>,
    flow: Shared,
    video: Video,
) {
    tokio::spawn(async move {
        let mut vp8 = Vp8Packet::default();
        let mut h264 = H264Packet::default();
        let mut frame = Vec::new();
        let audio = track.kind() == RTPCodecType::Audio;
        while let Ok((pkt, _)) = track.read_rtp().await {
            if audio {
                flow.lock().unwrap().received.push(pkt.payload.to_vec());
                continue;
            }
            let part = match video {
                Video::Vp8 => vp8.depacketize(&pkt.payload),
                Video::H264 => h264.depacketize(&pkt.payload),
            };
            match part {
                Ok(b) => frame.extend_from_slice(&b),
                Err(_) => {
                    frame.clear();
                    continue;
                }
            }
            if pkt.header.marker {
                flow.lock()
                    .unwrap()
                    .received
                    .push(std::mem::take(&mut frame));
            }
        }
    });
}

/// The local description once gathering is complete.
async fn webrtc_rs_describe(pc: &RTCPeerConnection, desc: RTCSessionDescription) -> String {
    let mut done = pc.gathering_complete_promise().await;
    pc.set_local_description(desc).await.expect("webrtc-rs sLD");
    let _ = tokio::time::timeout(LIMIT, done.recv()).await;
    pc.local_description().await.expect("local description").sdp
}

async fn run(case: Case) {
    // A stuck case fails instead of hanging the suite.
    tokio::time::timeout(Duration::from_secs(90), run_case(case))
        .await
        .unwrap_or_else(|_| panic!("{case:?} did not finish in 90 s"));
}

async fn run_case(case: Case) {
    let flows = Flows::default();
    let ws = webrtc_rs_peer(case).await;
    let (state_tx, mut state_rx) = tokio::sync::watch::channel(RTCPeerConnectionState::New);
    ws.on_peer_connection_state_change(Box::new(move |s| {
        let _ = state_tx.send(s);
        Box::pin(async {})
    }));
    {
        let (audio, video) = (flows.to_ws_audio.clone(), flows.to_ws_video.clone());
        let kind = case.video;
        ws.on_track(Box::new(move |track, _, _| {
            let flow = if track.kind() == RTPCodecType::Audio {
                audio.clone()
            } else {
                video.clone()
            };
            read_webrtc_rs_track(track, flow, kind);
            Box::pin(async {})
        }));
    }
    let ws_audio = Arc::new(TrackLocalStaticSample::new(
        capability(MIME_TYPE_OPUS),
        "audio".into(),
        "webrtc-rs".into(),
    ));
    let ws_video = Arc::new(TrackLocalStaticSample::new(
        capability(match case.video {
            Video::Vp8 => MIME_TYPE_VP8,
            Video::H264 => MIME_TYPE_H264,
        }),
        "video".into(),
        "webrtc-rs".into(),
    ));

    let config = RtcConfiguration {
        codecs: vec![
            nutshell::Codec::opus(),
            match case.video {
                Video::Vp8 => nutshell::Codec::vp8(),
                Video::H264 => nutshell::Codec::h264(),
            },
        ],
        ..RtcConfiguration::default()
    };
    let mut nut = RtcPeerConnection::new(config).expect("nutshell peer connection");
    let mut events = nut.take_events().expect("events");

    let (nut_audio, nut_video) = if case.nutshell_offers {
        let a = nut.add_track(MediaKind::Audio, "nutshell").await.unwrap();
        let v = nut.add_track(MediaKind::Video, "nutshell").await.unwrap();
        let offer = nut.create_offer().await.unwrap();
        nut.set_local_description(offer).await.unwrap();
        assert!(nut.gathering_complete(LIMIT).await.unwrap());
        let offer = nut.local_description().await.unwrap().expect("offer");
        for t in [ws_audio.clone(), ws_video.clone()] {
            ws.add_track(t as Arc<dyn TrackLocal + Send + Sync>)
                .await
                .unwrap();
        }
        ws.set_remote_description(RTCSessionDescription::offer(offer.sdp).unwrap())
            .await
            .expect("webrtc-rs accepts our offer");
        let answer = ws.create_answer(None).await.expect("webrtc-rs answer");
        let answer = webrtc_rs_describe(&ws, answer).await;
        // webrtc-rs answers active: it is the DTLS client, nutshell the server.
        assert!(answer.contains("a=setup:active"), "{answer}");
        nut.set_remote_description(RtcSessionDescription::answer(answer))
            .await
            .expect("we accept webrtc-rs's answer");
        (a, v)
    } else {
        for t in [ws_audio.clone(), ws_video.clone()] {
            ws.add_track(t as Arc<dyn TrackLocal + Send + Sync>)
                .await
                .unwrap();
        }
        let offer = ws.create_offer(None).await.expect("webrtc-rs offer");
        let offer = webrtc_rs_describe(&ws, offer).await;
        nut.set_remote_description(RtcSessionDescription::offer(offer))
            .await
            .expect("we accept webrtc-rs's offer");
        let a = nut.add_track(MediaKind::Audio, "nutshell").await.unwrap();
        let v = nut.add_track(MediaKind::Video, "nutshell").await.unwrap();
        let answer = nut.create_answer().await.unwrap();
        nut.set_local_description(answer).await.unwrap();
        assert!(nut.gathering_complete(LIMIT).await.unwrap());
        let answer = nut.local_description().await.unwrap().expect("answer");
        // nutshell answers active: it is the DTLS client, webrtc-rs the server.
        assert!(answer.sdp.contains("a=setup:active"), "{}", answer.sdp);
        ws.set_remote_description(RTCSessionDescription::answer(answer.sdp).unwrap())
            .await
            .expect("webrtc-rs accepts our answer");
        (a, v)
    };

    // nutshell's remote tracks: read their frames.
    let audio_mid = nut_audio.mid().await.unwrap().expect("audio mid");
    {
        let flows = flows.clone();
        tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                if let RtcEvent::Track(mut remote) = e {
                    let flow = if remote.mid() == audio_mid {
                        flows.to_nut_audio.clone()
                    } else {
                        flows.to_nut_video.clone()
                    };
                    tokio::spawn(async move {
                        while let Some(f) = remote.read_frame().await {
                            flow.lock().unwrap().received.push(f.data.to_vec());
                        }
                    });
                }
            }
        });
    }

    let reached = nut.wait_for_state(ConnectionState::Connected, LIMIT).await;
    assert_eq!(
        reached,
        Ok(ConnectionState::Connected),
        "nutshell ({case:?})"
    );
    tokio::time::timeout(
        LIMIT,
        state_rx.wait_for(|s| *s == RTCPeerConnectionState::Connected),
    )
    .await
    .unwrap_or_else(|_| panic!("webrtc-rs not connected ({case:?})"))
    .expect("state channel");

    let ticks = (case.media.as_millis() / 20) as usize;
    let mut interval = tokio::time::interval(Duration::from_millis(20));
    for tick in 0..ticks {
        interval.tick().await;
        let a = audio_frame(1, tick);
        nut_audio
            .write_frame(&a, Duration::from_millis(20))
            .await
            .unwrap();
        flows.to_ws_audio.lock().unwrap().sent.push(a);
        let a = audio_frame(2, tick);
        ws_audio
            .write_sample(&Sample {
                data: Bytes::from(a.clone()),
                duration: Duration::from_millis(20),
                ..Default::default()
            })
            .await
            .unwrap();
        flows.to_nut_audio.lock().unwrap().sent.push(a);
        if tick.is_multiple_of(2) {
            let i = tick / 2;
            // A key frame every second: nutshell holds frames after a loss until one comes.
            let key = i.is_multiple_of(25);
            let v = video_frame(case.video, 1, i, key);
            nut_video
                .write_frame(&v, Duration::from_millis(40))
                .await
                .unwrap();
            flows.to_ws_video.lock().unwrap().sent.push(v);
            let v = video_frame(case.video, 2, i, key);
            ws_video
                .write_sample(&Sample {
                    data: Bytes::from(v.clone()),
                    duration: Duration::from_millis(40),
                    ..Default::default()
                })
                .await
                .unwrap();
            flows.to_nut_video.lock().unwrap().sent.push(v);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let stats = nut.stats().await.unwrap().peer;
    let h264 = case.video == Video::H264;
    for (name, flow, h264) in [
        ("webrtc-rs -> nutshell audio", &flows.to_nut_audio, false),
        ("webrtc-rs -> nutshell video", &flows.to_nut_video, h264),
        ("nutshell -> webrtc-rs audio", &flows.to_ws_audio, false),
        ("nutshell -> webrtc-rs video", &flows.to_ws_video, h264),
    ] {
        let flow = flow.lock().unwrap();
        let (good, bad) = flow.check(h264);
        let sent = flow.sent.len();
        eprintln!("{case:?}: {name}: {good}/{sent} frames intact, {bad} foreign");
        assert_eq!(bad, 0, "{name}: frames that were never sent ({case:?})");
        // Real sockets and timers: allow a few frames in flight at the end.
        assert!(
            good * 10 >= sent * 9,
            "{name}: only {good} of {sent} frames arrived ({case:?})"
        );
    }
    let cipher = stats.dtls_cipher.clone().expect("no DTLS cipher");
    let profile = stats.srtp_profile.clone().expect("no SRTP profile");
    eprintln!(
        "{case:?}: nutshell: {cipher}, {profile}, srtp failures {}",
        stats.srtp_failures
    );
    assert_eq!(stats.srtp_failures, 0, "{case:?}");
    if let Some(p) = case.srtp {
        let want = match p {
            SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_80 => "SRTP_AES128_CM_SHA1_80",
            SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_32 => "SRTP_AES128_CM_SHA1_32",
            SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm => "SRTP_AEAD_AES_128_GCM",
            SrtpProtectionProfile::Srtp_Aead_Aes_256_Gcm => "SRTP_AEAD_AES_256_GCM",
            _ => unreachable!(),
        };
        assert_eq!(normalize(&profile), normalize(want), "{case:?}");
    }
    nut.close().await;
    ws.close().await.expect("webrtc-rs close");
}

fn case(nutshell_offers: bool, video: Video) -> Case {
    Case {
        nutshell_offers,
        video,
        srtp: None,
        media: Duration::from_secs(3),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nutshell_offers_webrtc_rs_answers_vp8() {
    run(case(true, Video::Vp8)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webrtc_rs_offers_nutshell_answers_vp8() {
    run(case(false, Video::Vp8)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nutshell_offers_webrtc_rs_answers_h264() {
    run(case(true, Video::H264)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webrtc_rs_offers_nutshell_answers_h264() {
    run(case(false, Video::H264)).await;
}

/// Every profile webrtc-rs has, imposed from its side (it is the DTLS client when it
/// answers, the server when it offers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_webrtc_rs_srtp_profile() {
    for p in [
        SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_80,
        SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_32,
        SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm,
        SrtpProtectionProfile::Srtp_Aead_Aes_256_Gcm,
    ] {
        for nutshell_offers in [true, false] {
            run(Case {
                srtp: Some(p),
                media: Duration::from_secs(1),
                ..case(nutshell_offers, Video::Vp8)
            })
            .await;
        }
    }
}
