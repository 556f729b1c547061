//! Hostile input into a connected core: arbitrary datagrams, and genuine ones with bytes
//! flipped, from the peer's own 5-tuple. Nothing panics, nothing is delivered that should
//! not be, and the call survives.

use std::time::{Duration, Instant};

use nutshell_peer::*;
use proptest::prelude::*;

use crate::support::*;

/// Two connected cores in memory and a genuine media datagram from a to b.
fn connected() -> (PeerConnection, PeerConnection, Transmit, Instant) {
    let mut now = Instant::now();
    let mut a = PeerConnection::new(config(40), now);
    let mut b = PeerConnection::new(config(41), now);
    a.add_local_socket(A_ADDR).unwrap();
    b.add_local_socket(B_ADDR).unwrap();
    let track = a.add_track(MediaKind::Video, "s").unwrap();
    let offer = a.create_offer().unwrap();
    a.set_local_description(SdpType::Offer, &offer).unwrap();
    b.set_remote_description(SdpType::Offer, &offer).unwrap();
    let answer = b.create_answer().unwrap();
    b.set_local_description(SdpType::Answer, &answer).unwrap();
    a.set_remote_description(SdpType::Answer, &answer).unwrap();
    for _ in 0..1000 {
        loop {
            let mut moved = false;
            while let Some(t) = a.poll_transmit() {
                b.handle_receive(now, receive(&t));
                moved = true;
            }
            while let Some(t) = b.poll_transmit() {
                a.handle_receive(now, receive(&t));
                moved = true;
            }
            if !moved {
                break;
            }
        }
        if a.connection_state() == ConnectionState::Connected
            && b.connection_state() == ConnectionState::Connected
        {
            break;
        }
        now = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(now)
            .max(now);
        a.handle_timeout(now);
        b.handle_timeout(now);
    }
    assert_eq!(b.connection_state(), ConnectionState::Connected);
    let mut frame = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00];
    frame.resize(300, 7);
    a.write_frame(track, Duration::from_millis(33), &frame)
        .unwrap();
    let media = a.poll_transmit().unwrap();
    while b.poll_event().is_some() {}
    (a, b, media, now)
}

fn receive(t: &Transmit) -> Receive<'_> {
    Receive {
        protocol: t.protocol,
        source: t.source,
        destination: t.destination,
        contents: &t.contents,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_datagrams_do_no_harm(
        datagrams in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..1500), 1..40),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
    ) {
        let (_a, mut b, media, now) = connected();
        let mut t = now;
        for d in &datagrams {
            t += Duration::from_millis(1);
            b.handle_receive(t, Receive { protocol: Protocol::Udp, source: A_ADDR, destination: B_ADDR, contents: d });
            b.handle_timeout(t);
            while b.poll_transmit().is_some() {}
            while let Some(e) = b.poll_event() {
                let frame = matches!(e, PeerEvent::Frame { .. });
                prop_assert!(!frame, "forged frame delivered");
            }
        }
        // A genuine packet with bytes flipped must not authenticate.
        let mut forged = media.contents.clone();
        let mut changed = false;
        for (i, x) in &flips {
            let i = i % forged.len();
            if *x != 0 {
                forged[i] ^= x;
                changed = true;
            }
        }
        b.handle_receive(t, Receive { protocol: Protocol::Udp, source: A_ADDR, destination: B_ADDR, contents: &forged });
        if changed {
            while let Some(e) = b.poll_event() {
                let media = matches!(e, PeerEvent::Frame { .. } | PeerEvent::Rtp(_));
                prop_assert!(!media, "forged packet delivered");
            }
        }
        // The genuine packet still goes through.
        b.handle_receive(t, receive(&media));
        let got: Vec<PeerEvent> = std::iter::from_fn(|| b.poll_event()).collect();
        let delivered = got.iter().any(|e| matches!(e, PeerEvent::Frame { data, .. } if data.len() == 300));
        prop_assert!(delivered, "genuine frame not delivered");
        prop_assert_eq!(b.connection_state(), ConnectionState::Connected);
    }
}
