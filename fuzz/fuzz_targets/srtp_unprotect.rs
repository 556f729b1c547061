//! Arbitrary bytes against nutshell-srtp. The first byte picks the profile (low two bits) and
//! the mode (next two bits):
//!
//! - 0, 3: the rest is one packet, unprotected as SRTP and as SRTCP by fixed inbound contexts
//!   (everything must fail cleanly without panicking; authentication gates the decryption).
//! - 1: the rest is one packet; if it protects (as RTP, and as RTCP), the receiving context
//!   must unprotect it back to the same bytes, and the same packet with any bit flipped (the
//!   bit is picked by the input) must fail authentication.
//! - 2: the rest is a list of length-prefixed packets sent in that order through one sender
//!   and one receiver context: whatever the order of sequence numbers (rollovers, reordering,
//!   repeats), what is protected either comes back exactly or is refused as a replay or as
//!   too old, never as an authentication failure (the two ends' ROC estimates agree).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nutshell_srtp::{Config, Context, Error, KeyingMaterial, Profile, Role};

fn pair(profile: Profile) -> (Context, Context) {
    let exported: Vec<u8> = (0..profile.keying_material_len())
        .map(|i| (i * 13) as u8)
        .collect();
    let km = KeyingMaterial::split(&exported, profile, Role::Client).unwrap();
    let config = Config {
        replay_window: 128,
        max_ssrcs: 4,
    };
    (
        Context::new(profile, &km.local, config).unwrap(),
        Context::new(profile, &km.local, config).unwrap(),
    )
}

fn round_trip(tx: &mut Context, rx: &mut Context, packet: &[u8], rtcp: bool, flip: Option<usize>) {
    let mut buf = packet.to_vec();
    let protected = if rtcp {
        tx.protect_rtcp(&mut buf)
    } else {
        tx.protect_rtp(&mut buf)
    };
    if protected.is_err() {
        assert_eq!(buf, packet, "a failed protect changed the buffer");
        return;
    }
    if let Some(flip) = flip {
        let mut bad = buf.clone();
        let bit = flip % (bad.len() * 8);
        bad[bit / 8] ^= 1 << (bit % 8);
        let r = if rtcp {
            rx.unprotect_rtcp(&mut bad)
        } else {
            rx.unprotect_rtp(&mut bad)
        };
        assert!(r.is_err(), "a flipped bit was accepted");
    }
    let r = if rtcp {
        rx.unprotect_rtcp(&mut buf)
    } else {
        rx.unprotect_rtp(&mut buf)
    };
    match r {
        Ok(()) => assert_eq!(buf, packet),
        Err(Error::Replayed | Error::TooOld | Error::SsrcLimit) => {}
        Err(e) => panic!("protected packet refused: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let profile = Profile::ALL[usize::from(first & 3)];
    let (mut tx, mut rx) = pair(profile);
    match (first >> 2) & 3 {
        1 => {
            let flip = rest.first().map(|&b| usize::from(b) * 7);
            round_trip(&mut tx, &mut rx, rest, false, flip);
            round_trip(&mut tx, &mut rx, rest, true, flip);
        }
        2 => {
            let mut rest = rest;
            while let Some((&len, tail)) = rest.split_first() {
                let len = usize::from(len).min(tail.len());
                let (packet, tail) = tail.split_at(len);
                let rtcp =
                    packet.first().is_some_and(|b| b & 1 == 1) && packet.get(1) == Some(&201);
                round_trip(&mut tx, &mut rx, packet, rtcp, None);
                rest = tail;
            }
        }
        _ => {
            let mut buf = rest.to_vec();
            let rtp = rx.unprotect_rtp(&mut buf);
            assert_eq!(
                buf.len() + rtp.map_or(0, |()| profile.rtp_tag_len()),
                rest.len()
            );
            let mut buf = rest.to_vec();
            let rtcp = rx.unprotect_rtcp(&mut buf);
            assert_eq!(
                buf.len() + rtcp.map_or(0, |()| profile.rtcp_overhead()),
                rest.len()
            );
            if rtp.is_err() && rtcp.is_err() {
                assert_eq!(
                    rx.ssrc_count(),
                    0,
                    "an unauthenticated packet took an SSRC slot"
                );
            }
        }
    }
});
