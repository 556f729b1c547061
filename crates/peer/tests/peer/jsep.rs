//! JSEP: browser offers answered, offers/answers between two cores, states, errors,
//! rollback.

use std::time::Instant;

use nutshell_peer::*;
use sdp::{Attribute, SessionDescription, Setup};

use crate::support::*;

fn pc(seed: u64) -> PeerConnection {
    let mut p = PeerConnection::new(config(seed), Instant::now());
    p.add_local_socket("127.0.0.1:5000".parse().unwrap())
        .unwrap();
    p
}

/// What every answer to a browser must have.
fn check_answer(offer: &str, answer: &str, pc: &PeerConnection) -> (Vec<u8>, Vec<u8>) {
    let o = SessionDescription::parse(offer).unwrap();
    let a = SessionDescription::parse(answer).unwrap();
    assert_eq!(
        a.media.len(),
        o.media.len(),
        "one answer section per offered one"
    );
    let bundle: Vec<String> = a
        .bundle_groups()
        .next()
        .expect("BUNDLE group")
        .mids
        .iter()
        .map(|m| m.to_string())
        .collect();
    let mut audio_pts = Vec::new();
    let mut video_pts = Vec::new();
    for (om, am) in o.media.iter().zip(&a.media) {
        assert_eq!(om.mid(), am.mid(), "mids in offer order");
        assert_eq!(om.kind, am.kind);
        if am.port == 0 {
            assert!(
                !bundle.iter().any(|m| Some(m.as_str()) == am.mid()),
                "rejected section not bundled"
            );
            continue;
        }
        assert!(bundle.iter().any(|m| Some(m.as_str()) == am.mid()));
        assert_eq!(am.setup(), Some(Setup::Active));
        assert!(am.ice_ufrag().is_some() && am.ice_pwd().is_some());
        let fp = am.fingerprints().next().expect("fingerprint");
        assert_eq!(fp.algorithm.as_str(), "sha-256");
        assert_eq!(fp.digest.len(), 32);
        assert!(am.has(&Attribute::RtcpMux));
        assert!(am.has(&Attribute::RtcpRsize));
        // Codecs: a subset of the offer's payload types, with the offer's encodings.
        for pt in am.payload_types() {
            let ours = am.rtpmap(pt).unwrap();
            let theirs = om.rtpmap(pt).expect("payload type from the offer");
            assert!(ours.encoding.eq_ignore_ascii_case(&theirs.encoding));
            assert_eq!(ours.clock_rate, theirs.clock_rate);
            match ours.encoding.to_ascii_lowercase().as_str() {
                "opus" => audio_pts.push(pt),
                "vp8" => video_pts.push(pt),
                "h264" => {
                    let f = om.fmtp(pt).unwrap();
                    assert_eq!(f.get("packetization-mode"), Some("1"));
                    assert!(f.get("profile-level-id").unwrap().starts_with("42"));
                    video_pts.push(pt);
                }
                other => panic!("unexpected codec {other}"),
            }
        }
        // Extensions: the offer's ids.
        for e in am.extmaps() {
            let theirs = om
                .extmaps()
                .find(|x| x.uri == e.uri)
                .expect("offered extension");
            assert_eq!(theirs.id, e.id);
        }
    }
    assert_eq!(pc.signaling_state(), SignalingState::Stable);
    (audio_pts, video_pts)
}

fn answer_browser(name: &str) -> (String, String, PeerConnection) {
    let offer = fixture(name);
    let mut p = pc(10);
    p.set_remote_description(SdpType::Offer, &offer).unwrap();
    assert_eq!(p.signaling_state(), SignalingState::HaveRemoteOffer);
    let answer = p.create_answer().unwrap();
    p.set_local_description(SdpType::Answer, &answer).unwrap();
    (offer, answer, p)
}

#[test]
fn chrome_offer_answered() {
    let (offer, answer, p) = answer_browser("chrome_offer.sdp");
    let (audio, video) = check_answer(&offer, &answer, &p);
    assert_eq!(audio, [111]);
    // VP8 96 first (our preference), then the first H.264 mode-1 baseline payload type.
    assert_eq!(video.first(), Some(&96));
    assert_eq!(video.len(), 2);
    let a = SessionDescription::parse(&answer).unwrap();
    assert_eq!(a.media[2].port, 0, "data channel rejected");
    let video_section = &a.media[1];
    let fbs: Vec<String> = video_section
        .rtcp_fbs()
        .filter(|f| f.payload_type == sdp::FeedbackPt::Pt(96))
        .map(|f| {
            format!(
                "{}{}",
                f.kind,
                f.param
                    .as_ref()
                    .map(|p| format!(" {p}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(fbs, ["nack", "nack pli", "ccm fir", "transport-cc"]);
    let audio_exts: Vec<u16> = a.media[0].extmaps().map(|e| e.id).collect();
    assert_eq!(audio_exts, [1, 2, 3, 4]);
    assert_eq!(p.dtls_role(), Some(dtls::Role::Client));
    // The Track events of the browser's two sending sections.
    let mut p = p;
    let tracks: Vec<TrackInfo> = std::iter::from_fn(|| p.poll_event())
        .filter_map(|e| match e {
            PeerEvent::Track(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[0].mid, "0");
    assert_eq!(tracks[0].ssrc, Some(3655859916));
    assert_eq!(
        tracks[0].stream_id.as_deref(),
        Some("35cbf0f1-9c55-4067-abbe-80c46d1fb6df")
    );
    assert_eq!(
        tracks[0].codec.as_ref().map(|c| c.kind),
        Some(CodecKind::Opus)
    );
    assert_eq!(tracks[1].kind, MediaKind::Video);
}

#[test]
fn firefox_offer_answered() {
    let (offer, answer, p) = answer_browser("firefox_offer.sdp");
    let (audio, video) = check_answer(&offer, &answer, &p);
    assert_eq!(audio, [109]);
    assert_eq!(video, [120, 126]);
    let a = SessionDescription::parse(&answer).unwrap();
    // Firefox's ids, and no playout-delay/toffset (not ours).
    let ids: Vec<(u16, String)> = a.media[1]
        .extmaps()
        .map(|e| (e.id, e.uri.to_string()))
        .collect();
    assert_eq!(ids.iter().map(|i| i.0).collect::<Vec<_>>(), [3, 4, 7]);
    // Opus parameters kept from Firefox's.
    assert_eq!(a.media[0].fmtp(109).unwrap().get("useinbandfec"), Some("1"));
}

#[test]
fn safari_offer_answered() {
    let (offer, answer, p) = answer_browser("safari_offer.sdp");
    let (audio, video) = check_answer(&offer, &answer, &p);
    assert_eq!(audio, [111]);
    // VP8 127, H.264 42e01f on 98 (not the 640c1f High profile on 96).
    assert_eq!(video, [127, 98]);
}

#[test]
fn answer_to_our_own_offer_round_trips() {
    let mut a = pc(1);
    let mut b = pc(2);
    let ta = a.add_track(MediaKind::Audio, "s").unwrap();
    let tv = a.add_track(MediaKind::Video, "s").unwrap();
    let offer = a.create_offer().unwrap();
    let o = SessionDescription::parse(&offer).unwrap();
    assert_eq!(o.media.len(), 2);
    assert_eq!(o.media[0].setup(), Some(Setup::ActPass));
    assert!(
        o.media[0].candidates().count() >= 1,
        "gathered candidate inside the offer"
    );
    assert_eq!(o.media[0].msids().next().unwrap().stream_id, "s");
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    assert_eq!(a.signaling_state(), SignalingState::HaveLocalOffer);
    b.set_remote_description(SdpType::Offer, &offer).unwrap();
    // The answerer adds its own tracks to the transceivers the offer created.
    let ba = b.add_track(MediaKind::Audio, "t").unwrap();
    let answer = b.create_answer().unwrap();
    let an = SessionDescription::parse(&answer).unwrap();
    assert_eq!(an.media[0].direction(), Some(Direction::SendRecv));
    assert_eq!(an.media[1].direction(), Some(Direction::RecvOnly));
    b.set_local_description(SdpType::Answer, &answer).unwrap();
    a.set_remote_description(SdpType::Answer, &answer).unwrap();
    assert_eq!(a.signaling_state(), SignalingState::Stable);
    assert_eq!(a.dtls_role(), Some(dtls::Role::Server));
    assert_eq!(b.dtls_role(), Some(dtls::Role::Client));
    assert_eq!(a.mid(ta), Some("0"));
    assert_eq!(a.mid(tv), Some("1"));
    assert_eq!(b.mid(ba), Some("0"));
    assert_eq!(a.send_codec(ta).unwrap().kind, CodecKind::Opus);
    assert_eq!(a.send_codec(tv).unwrap().kind, CodecKind::Vp8);
    // Renegotiation keeps mids and payload types; the new offer is still actpass.
    let again = a.create_offer().unwrap();
    let g = SessionDescription::parse(&again).unwrap();
    assert_eq!(g.media[0].mid(), Some("0"));
    assert_eq!(g.media[0].setup(), Some(Setup::ActPass));
}

#[test]
fn calls_in_the_wrong_state_fail() {
    let mut a = pc(1);
    a.add_track(MediaKind::Audio, "s").unwrap();
    let err = |r: Result<(), Error>| match r {
        Err(Error::InvalidState { .. }) => {}
        other => panic!("expected InvalidState, got {other:?}"),
    };
    assert!(matches!(a.create_answer(), Err(Error::InvalidState { .. })));
    err(a.set_remote_description(SdpType::Answer, &fixture("chrome_answer.sdp")));
    err(a.set_local_description(SdpType::Answer, "v=0\r\n"));
    err(a.set_local_description(SdpType::Rollback, ""));
    let offer = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    assert!(matches!(a.create_answer(), Err(Error::InvalidState { .. })));
    err(a.set_local_description(SdpType::Answer, &offer));
    assert!(matches!(
        a.set_remote_description(SdpType::Pranswer, &offer),
        Err(Error::Unsupported(_))
    ));
    a.close();
    assert_eq!(a.signaling_state(), SignalingState::Closed);
    assert!(matches!(a.create_offer(), Err(Error::Closed)));
}

#[test]
fn bad_descriptions_are_refused() {
    let mut a = pc(1);
    assert!(matches!(
        a.set_remote_description(SdpType::Offer, "garbage"),
        Err(Error::InvalidDescription(_))
    ));
    // No fingerprint.
    let offer = fixture("chrome_offer.sdp");
    let stripped: String = offer
        .split_inclusive("\r\n")
        .filter(|l| !l.starts_with("a=fingerprint"))
        .collect();
    assert!(matches!(
        a.set_remote_description(SdpType::Offer, &stripped),
        Err(Error::InvalidDescription(_))
    ));
    // No ICE credentials.
    let stripped: String = offer
        .split_inclusive("\r\n")
        .filter(|l| !l.starts_with("a=ice-pwd"))
        .collect();
    assert!(a.set_remote_description(SdpType::Offer, &stripped).is_err());
    assert_eq!(a.signaling_state(), SignalingState::Stable);
    // Data channel only: nothing we can use.
    assert!(
        a.set_remote_description(SdpType::Offer, &fixture("datachannel_only.sdp"))
            .is_err()
    );
}

#[test]
fn rollback_local_and_remote_offers() {
    let mut a = pc(1);
    a.add_track(MediaKind::Audio, "s").unwrap();
    let offer = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    a.set_local_description(SdpType::Rollback, "").unwrap();
    assert_eq!(a.signaling_state(), SignalingState::Stable);
    assert!(a.local_description().is_none());

    let mut b = pc(2);
    b.set_remote_description(SdpType::Offer, &fixture("chrome_offer.sdp"))
        .unwrap();
    b.set_remote_description(SdpType::Rollback, "").unwrap();
    assert_eq!(b.signaling_state(), SignalingState::Stable);
    assert!(b.remote_description().is_none());
    assert_eq!(
        b.track_by_mid("0"),
        None,
        "transceivers of the offer are gone"
    );
    // And the same offer can be applied again.
    b.set_remote_description(SdpType::Offer, &fixture("chrome_offer.sdp"))
        .unwrap();
    assert!(b.track_by_mid("0").is_some());

    // Glare: a remote offer in have-local-offer rolls our offer back.
    let mut c = pc(3);
    c.add_track(MediaKind::Audio, "s").unwrap();
    let o = c.create_offer().unwrap();
    c.set_local_description(SdpType::Offer, &o).unwrap();
    c.set_remote_description(SdpType::Offer, &fixture("firefox_offer.sdp"))
        .unwrap();
    assert_eq!(c.signaling_state(), SignalingState::HaveRemoteOffer);
    let ans = c.create_answer().unwrap();
    c.set_local_description(SdpType::Answer, &ans).unwrap();
}

#[test]
fn trickle_candidates_checked() {
    let mut a = pc(1);
    assert!(matches!(
        a.add_ice_candidate(
            "candidate:1 1 udp 1 10.0.0.1 5000 typ host",
            Some("0"),
            Some(0)
        ),
        Err(Error::NoRemoteDescription)
    ));
    a.set_remote_description(SdpType::Offer, &fixture("chrome_offer.sdp"))
        .unwrap();
    a.add_ice_candidate(
        "candidate:1 1 udp 2122260223 10.0.0.9 5000 typ host",
        Some("0"),
        Some(0),
    )
    .unwrap();
    a.add_ice_candidate(
        "candidate:1 1 udp 2122260223 abc.local 5000 typ host",
        Some("0"),
        None,
    )
    .unwrap();
    assert!(matches!(
        a.add_ice_candidate("candidate:bogus", Some("0"), None),
        Err(Error::InvalidCandidate)
    ));
    assert!(matches!(
        a.add_ice_candidate(
            "candidate:1 1 udp 1 10.0.0.1 5000 typ host",
            Some("nope"),
            None
        ),
        Err(Error::InvalidCandidate)
    ));
    a.add_ice_candidate("", Some("0"), Some(0)).unwrap();
}

#[test]
fn local_candidates_are_events_after_set_local_description() {
    let mut a = PeerConnection::new(config(1), Instant::now());
    a.add_track(MediaKind::Audio, "s").unwrap();
    a.add_local_socket("127.0.0.1:5000".parse().unwrap())
        .unwrap();
    let before: Vec<PeerEvent> = std::iter::from_fn(|| a.poll_event()).collect();
    assert!(
        !before
            .iter()
            .any(|e| matches!(e, PeerEvent::IceCandidate { .. }))
    );
    let offer = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    let after: Vec<PeerEvent> = std::iter::from_fn(|| a.poll_event()).collect();
    let cand = after.iter().find_map(|e| match e {
        PeerEvent::IceCandidate {
            candidate,
            sdp_mid,
            mline_index,
        } => Some((candidate.clone(), sdp_mid.clone(), *mline_index)),
        _ => None,
    });
    let (c, mid, idx) = cand.expect("candidate event");
    assert!(c.starts_with("candidate:"));
    assert!(c.contains("127.0.0.1 5000 typ host"));
    assert_eq!((mid.as_str(), idx), ("0", 0));
    assert!(after.contains(&PeerEvent::EndOfCandidates));
}

/// Writes our own offer and answer into `$PEER_SDP_SEEDS` (the fuzz seeds), or prints the
/// answer to Chrome's offer for eyeballing.
#[test]
#[ignore = "tool: writes fuzz seeds / prints an answer"]
fn write_seeds() {
    let (_, answer, _) = answer_browser("chrome_offer.sdp");
    let Some(dir) = std::env::var_os("PEER_SDP_SEEDS") else {
        println!("{answer}");
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let mut a = pc(1);
    let mut b = pc(2);
    a.add_track(MediaKind::Audio, "s").unwrap();
    a.add_track(MediaKind::Video, "s").unwrap();
    let offer = a.create_offer().unwrap();
    b.set_remote_description(SdpType::Offer, &offer).unwrap();
    b.add_track(MediaKind::Audio, "t").unwrap();
    let answer = b.create_answer().unwrap();
    std::fs::write(dir.join("nutshell_offer.sdp"), offer).unwrap();
    std::fs::write(dir.join("nutshell_answer.sdp"), answer).unwrap();
}

#[test]
fn an_active_offer_is_answered_passive() {
    let offer = fixture("chrome_offer.sdp").replace("a=setup:actpass", "a=setup:active");
    let mut p = pc(3);
    p.set_remote_description(SdpType::Offer, &offer).unwrap();
    let answer = p.create_answer().unwrap();
    assert!(answer.contains("a=setup:passive") && !answer.contains("a=setup:active"));
    p.set_local_description(SdpType::Answer, &answer).unwrap();
    assert_eq!(p.dtls_role(), Some(dtls::Role::Server));
}
