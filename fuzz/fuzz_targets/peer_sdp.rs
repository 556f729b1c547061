//! Arbitrary remote descriptions into a PeerConnection: as an offer (then answered and
//! the answer applied) and as the answer to our own audio+video offer, with every
//! `a=candidate` line also trickled and the timers run. Nothing may panic, and the
//! signaling state must stay coherent.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use nutshell_peer::dtls::cert::Certificate;
use nutshell_peer::{MediaKind, PeerConfig, PeerConnection, SdpType, SignalingState};

fn config() -> PeerConfig {
    static CERT: OnceLock<Certificate> = OnceLock::new();
    let cert = CERT
        .get_or_init(|| Certificate::generate().expect("certificate"))
        .clone();
    PeerConfig {
        include_loopback: true,
        seed: 7,
        ..PeerConfig::new(cert)
    }
}

fn drive(pc: &mut PeerConnection, now: Instant) {
    for step in 0..3u64 {
        pc.handle_timeout(now + Duration::from_millis(step * 50));
        while pc.poll_transmit().is_some() {}
        while pc.poll_event().is_some() {}
    }
}

fn trickle(pc: &mut PeerConnection, text: &str) {
    for line in text.lines().filter(|l| l.starts_with("a=candidate")) {
        let _ = pc.add_ice_candidate(line, None, Some(0));
    }
    let _ = pc.add_ice_candidate("", None, None);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let now = Instant::now();

    // As a remote offer.
    let mut pc = PeerConnection::new(config(), now);
    let _ = pc.add_local_socket("127.0.0.1:5000".parse().expect("addr"));
    pc.add_track(MediaKind::Audio, "s").expect("track");
    match pc.set_remote_description(SdpType::Offer, text) {
        Ok(()) => {
            assert_eq!(pc.signaling_state(), SignalingState::HaveRemoteOffer);
            trickle(&mut pc, text);
            let answer = pc
                .create_answer()
                .expect("an accepted offer can be answered");
            pc.set_local_description(SdpType::Answer, &answer)
                .expect("our own answer applies");
            assert_eq!(pc.signaling_state(), SignalingState::Stable);
            // Our answer must itself be a valid remote description for a peer.
            let _ = pc.create_offer().expect("renegotiation offer");
        }
        Err(_) => assert_eq!(pc.signaling_state(), SignalingState::Stable),
    }
    drive(&mut pc, now);

    // As the answer to our offer.
    let mut pc = PeerConnection::new(config(), now);
    let _ = pc.add_local_socket("127.0.0.1:5000".parse().expect("addr"));
    pc.add_track(MediaKind::Audio, "s").expect("track");
    pc.add_track(MediaKind::Video, "s").expect("track");
    let offer = pc.create_offer().expect("offer");
    pc.set_local_description(SdpType::Offer, &offer)
        .expect("own offer");
    match pc.set_remote_description(SdpType::Answer, text) {
        Ok(()) => {
            assert_eq!(pc.signaling_state(), SignalingState::Stable);
            trickle(&mut pc, text);
        }
        Err(_) => {
            assert_eq!(pc.signaling_state(), SignalingState::HaveLocalOffer);
            pc.set_local_description(SdpType::Rollback, "")
                .expect("rollback");
        }
    }
    drive(&mut pc, now);
});
