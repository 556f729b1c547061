//! Record a call between two in-memory cores, replay each side, and check the replay is
//! exact; then show that a changed input is caught, and that damaged files are read safely.

use std::time::{Duration, Instant};

use super::*;
use crate::{ConnectionState, PeerConfig, SdpType};

fn config(seed: u64, record: bool) -> PeerConfig {
    let cert = dtls::cert::Certificate::generate().unwrap();
    PeerConfig {
        include_loopback: true,
        seed,
        record,
        ..PeerConfig::new(cert)
    }
}

/// A whole call: offer/answer, trickled candidates, DTLS, an audio and a video track from A,
/// audio back from B, for `frames` frames of 20 ms. Returns both recordings.
fn call(frames: usize, cfg_a: PeerConfig, cfg_b: PeerConfig) -> (Vec<u8>, Vec<u8>, usize) {
    let mut now = Instant::now();
    let mut a = PeerConnection::new(cfg_a, now);
    let mut b = PeerConnection::new(cfg_b, now);
    let mut rec_a = Vec::new();
    let mut rec_b = Vec::new();
    a.add_local_socket("127.0.0.1:5000".parse().unwrap())
        .unwrap();
    b.add_local_socket("127.0.0.1:6000".parse().unwrap())
        .unwrap();
    let audio = a.add_track(MediaKind::Audio, "s").unwrap();
    let video = a.add_track(MediaKind::Video, "s").unwrap();
    let offer = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    b.set_remote_description(SdpType::Offer, &offer).unwrap();
    let back = b.add_track(MediaKind::Audio, "r").unwrap();
    let answer = b.create_answer().unwrap();
    b.set_local_description(SdpType::Answer, &answer).unwrap();
    a.set_remote_description(SdpType::Answer, &answer).unwrap();
    // A misuse, recorded with its error.
    assert!(b.create_answer().is_err());
    let mut received = 0;
    let mut sent = 0;
    for step in 0..20_000 {
        if sent < frames && a.connection_state() == ConnectionState::Connected {
            a.write_frame(audio, Duration::from_millis(20), &[0xfc, 1, 2, 3])
                .unwrap();
            a.write_frame(video, Duration::from_millis(20), &vec![step as u8; 3000])
                .unwrap();
            b.write_frame(back, Duration::from_millis(20), &[0xfc, 9])
                .unwrap();
            sent += 1;
        }
        loop {
            let mut moved = false;
            while let Some(t) = a.poll_transmit() {
                b.handle_receive(now, as_receive(&t));
                moved = true;
            }
            while let Some(t) = b.poll_transmit() {
                a.handle_receive(now, as_receive(&t));
                moved = true;
            }
            while let Some(ev) = a.poll_event() {
                if let PeerEvent::IceCandidate {
                    candidate, sdp_mid, ..
                } = ev
                {
                    b.add_ice_candidate(&candidate, Some(&sdp_mid), None)
                        .unwrap();
                    moved = true;
                }
            }
            while let Some(ev) = b.poll_event() {
                if let PeerEvent::Frame { .. } = ev {
                    received += 1;
                }
            }
            if !moved {
                break;
            }
        }
        rec_a.extend(a.take_recording());
        rec_b.extend(b.take_recording());
        if sent >= frames && received >= 2 * frames {
            break;
        }
        let next = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        now = next
            .unwrap_or(now)
            .clamp(now, now + Duration::from_millis(20));
        a.handle_timeout(now);
        b.handle_timeout(now);
    }
    a.close();
    rec_a.extend(a.take_recording());
    rec_b.extend(b.take_recording());
    (rec_a, rec_b, received)
}

fn as_receive(t: &Transmit) -> Receive<'_> {
    Receive {
        protocol: t.protocol,
        source: t.source,
        destination: t.destination,
        contents: &t.contents,
    }
}

#[test]
fn a_recorded_call_replays_exactly_on_both_sides() {
    let (rec_a, rec_b, received) = call(25, config(1, true), config(2, true));
    assert_eq!(received, 50, "the recorded call carried media");
    // A closed its side; B stays connected (a close_notify keeps DTLS "connected", W3C).
    for (rec, state) in [
        (&rec_a, ConnectionState::Closed),
        (&rec_b, ConnectionState::Connected),
    ] {
        let parsed = Recording::parse(rec).unwrap();
        assert!(!parsed.truncated);
        assert!(parsed.received_datagrams().count() > 25);
        assert_eq!(parsed.remote_descriptions().count(), 1);
        let mut r = Replayer::new(parsed, Instant::now(), true);
        let summary = r.run().unwrap();
        assert!(summary.outputs_checked > 100, "{summary:?}");
        assert!(summary.datagrams_out > 25, "{summary:?}");
        assert!(summary.reached_connected);
        assert!(summary.frames >= 25, "{summary:?}");
        assert_eq!(r.peer().connection_state(), state);
        // Replaying needs no private key: the recording does not hold it.
        assert!(!r.peer().config.certificate.has_key());
    }
}

#[test]
fn a_recording_is_compact() {
    let (_, rec_b, _) = call(25, config(3, true), config(4, true));
    let parsed = Recording::parse(&rec_b).unwrap();
    let payload: usize = parsed.received_datagrams().map(<[u8]>::len).sum();
    // Inputs are stored once with a few bytes of framing; outputs as 8-byte digests.
    assert!(
        rec_b.len() < payload + 12 * parsed.len() + 8192,
        "{} bytes for {} inputs carrying {payload} bytes",
        rec_b.len(),
        parsed.len()
    );
}

#[test]
fn not_recording_records_nothing() {
    let (rec_a, rec_b, received) = call(3, config(5, false), config(6, false));
    assert_eq!(received, 6);
    assert!(rec_a.is_empty() && rec_b.is_empty());
}

#[test]
fn a_changed_input_is_caught_where_the_output_first_differs() {
    let (rec_a, _, _) = call(5, config(7, true), config(8, true));
    let mut parsed = Recording::parse(&rec_a).unwrap();
    // Another seed: the first offer (another session id, ICE credentials) differs.
    parsed.config.seed ^= 1;
    let err = Replayer::new(parsed, Instant::now(), true)
        .run()
        .unwrap_err();
    let ReplayError::Diverged { input, .. } = err;
    assert_eq!(input, "CreateOffer");

    // A datagram changed in flight: the replay takes another path, and says where.
    let mut parsed = Recording::parse(&rec_a).unwrap();
    let target = parsed
        .entries
        .iter_mut()
        .filter_map(|e| match &mut e.input {
            replay::Input::Receive { contents, .. } if contents.first() == Some(&22) => {
                Some(contents)
            }
            _ => None,
        })
        .next()
        .unwrap();
    let last = target.len() - 1;
    target[last] ^= 0x40;
    let err = Replayer::new(parsed, Instant::now(), true).run();
    assert!(matches!(err, Err(ReplayError::Diverged { .. })), "{err:?}");
}

#[test]
fn missing_draws_fail_the_handshake_instead_of_inventing_keys() {
    let (rec_a, _, _) = call(3, config(9, true), config(10, true));
    let mut parsed = Recording::parse(&rec_a).unwrap();
    assert!(!parsed.draws.is_empty());
    parsed.draws.clear();
    let mut r = Replayer::new(parsed, Instant::now(), false);
    r.run().unwrap();
    assert_eq!(r.peer().connection_state(), ConnectionState::Closed);
    assert!(!r.peer().dtls_connected, "no draws, no DTLS");
}

#[test]
fn damaged_files_are_read_safely() {
    assert_eq!(
        Recording::parse(b"hello").unwrap_err(),
        RecordingError::BadMagic
    );
    assert_eq!(
        Recording::parse(b"NSREC\x09").unwrap_err(),
        RecordingError::Version(9)
    );
    let (rec_a, _, _) = call(3, config(11, true), config(12, true));
    let whole = Recording::parse(&rec_a).unwrap().len();
    // The header alone is cut short: an error. Past it, any cut replays up to there.
    let header = {
        let mut w = Writer::default();
        w.buf.extend_from_slice(MAGIC);
        w.u8(VERSION);
        w.config(&Recording::parse(&rec_a).unwrap().config);
        w.buf.len()
    };
    assert_eq!(
        Recording::parse(&rec_a[..header - 1]).unwrap_err(),
        RecordingError::Truncated
    );
    for cut in (header..rec_a.len()).step_by(7) {
        let parsed = Recording::parse(&rec_a[..cut]).unwrap();
        assert!(parsed.len() <= whole);
        let mut r = Replayer::new(parsed, Instant::now(), true);
        r.run().unwrap();
    }
    // An unknown entry tag is an error, not a guess.
    let mut bad = rec_a[..header].to_vec();
    bad.push(0x7f);
    assert_eq!(
        Recording::parse(&bad).unwrap_err(),
        RecordingError::BadValue("entry tag")
    );
}
