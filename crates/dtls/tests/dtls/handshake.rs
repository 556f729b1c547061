//! In-memory handshakes between two nutshell endpoints.

use std::time::Duration;

use nutshell_dtls::crypto::{CipherSuite, NamedGroup};
use nutshell_dtls::{Event, SRTP_EXPORTER_LABEL, SrtpProfile};

use crate::common::{Impair, Pair, configs};

fn connected(events: &[Event]) -> Option<(CipherSuite, NamedGroup, Option<SrtpProfile>)> {
    events.iter().find_map(|e| match e {
        Event::Connected {
            suite,
            group,
            srtp_profile,
            ..
        } => Some((*suite, *group, *srtp_profile)),
        _ => None,
    })
}

#[test]
fn every_suite_and_group() {
    for suite in CipherSuite::ALL {
        for group in NamedGroup::ALL {
            let (mut c, mut s) = configs();
            c.cipher_suites = vec![suite];
            s.groups = vec![group];
            let mut p = Pair::new(c, s, Impair::NONE, 1);
            p.run();
            assert!(
                p.client.is_connected(),
                "{suite:?} {group:?}: {:?}",
                p.client_events
            );
            assert!(
                p.server.is_connected(),
                "{suite:?} {group:?}: {:?}",
                p.server_events
            );
            assert_eq!(
                connected(&p.client_events),
                Some((suite, group, Some(SrtpProfile::AeadAes128Gcm)))
            );
            assert_eq!(connected(&p.server_events), connected(&p.client_events));
            let ck = p
                .client
                .export_keying_material(SRTP_EXPORTER_LABEL, 60)
                .unwrap();
            let sk = p
                .server
                .export_keying_material(SRTP_EXPORTER_LABEL, 60)
                .unwrap();
            assert_eq!(ck, sk);
            let a = Pair::srtp_keys(&p.client_events).unwrap();
            assert_eq!(a.len(), 56);
            assert_eq!(Some(a), Pair::srtp_keys(&p.server_events));
            assert_eq!(p.client.stats().retransmissions, 0);
        }
    }
}

#[test]
fn fingerprints_reported() {
    let (c, s) = configs();
    let (cc, sc) = crate::common::certs();
    let mut p = Pair::new(c, s, Impair::NONE, 1);
    p.run();
    let fp = |ev: &[Event]| {
        ev.iter().find_map(|e| match e {
            Event::Connected {
                peer_fingerprint, ..
            } => Some(peer_fingerprint.clone()),
            _ => None,
        })
    };
    assert_eq!(fp(&p.client_events), Some(sc.fingerprint()));
    assert_eq!(fp(&p.server_events), Some(cc.fingerprint()));
    assert_eq!(p.client.peer_certificate(), Some(sc.der()));
}

#[test]
fn srtp_profile_preference_is_the_servers() {
    let (mut c, mut s) = configs();
    // Chromium's order.
    c.srtp_profiles = vec![
        SrtpProfile::Aes128CmHmacSha1_80,
        SrtpProfile::AeadAes256Gcm,
        SrtpProfile::AeadAes128Gcm,
    ];
    let mut p = Pair::new(c.clone(), s.clone(), Impair::NONE, 1);
    p.run();
    assert_eq!(p.client.srtp_profile(), Some(SrtpProfile::AeadAes128Gcm));
    s.srtp_profiles = vec![SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::AeadAes128Gcm];
    let mut p = Pair::new(c, s, Impair::NONE, 1);
    p.run();
    assert_eq!(
        p.server.srtp_profile(),
        Some(SrtpProfile::Aes128CmHmacSha1_80)
    );
    assert_eq!(Pair::srtp_keys(&p.client_events).unwrap().len(), 60);
}

#[test]
fn without_cookie_exchange_and_without_ems_requirement() {
    let (c, mut s) = configs();
    s.cookie_exchange = false;
    s.require_extended_master_secret = false;
    let mut p = Pair::new(c, s, Impair::NONE, 1);
    p.run();
    assert!(p.client.is_connected() && p.server.is_connected());
    // Without HelloVerifyRequest the client sends one ClientHello only.
    assert_eq!(p.sent.iter().filter(|(to_server, _)| *to_server).count(), 2);
}

#[test]
fn lossy_link_completes() {
    let mut retransmissions = 0;
    for seed in 1..=30u64 {
        let (mut c, mut s) = configs();
        c.initial_retransmit_timeout = Duration::from_millis(200);
        s.initial_retransmit_timeout = Duration::from_millis(200);
        c.max_retransmits = 30;
        s.max_retransmits = 30;
        let impair = Impair {
            drop_pct: 25,
            dup_pct: 15,
            jitter_ms: 80,
            latency_ms: 10,
        };
        let mut p = Pair::new(c, s, impair, seed);
        p.run();
        assert!(
            p.client.is_connected() && p.server.is_connected(),
            "seed {seed}: client {:?} server {:?}",
            p.client_events,
            p.server_events
        );
        assert_eq!(
            Pair::srtp_keys(&p.client_events),
            Pair::srtp_keys(&p.server_events)
        );
        retransmissions += p.client.stats().retransmissions + p.server.stats().retransmissions;
    }
    assert!(retransmissions > 10, "{retransmissions}");
}

#[test]
fn small_mtu_fragments_flights() {
    for seed in 1..=10u64 {
        let (mut c, mut s) = configs();
        c.mtu = 300;
        s.mtu = 300;
        c.max_retransmits = 30;
        s.max_retransmits = 30;
        let impair = Impair {
            drop_pct: if seed > 1 { 15 } else { 0 },
            dup_pct: 10,
            jitter_ms: if seed > 1 { 40 } else { 0 },
            latency_ms: 10,
        };
        let mut p = Pair::new(c, s, impair, seed);
        p.run();
        assert!(
            p.client.is_connected() && p.server.is_connected(),
            "seed {seed}"
        );
        assert!(p.sent.iter().all(|(_, d)| d.len() <= 300));
        assert_eq!(
            Pair::srtp_keys(&p.client_events),
            Pair::srtp_keys(&p.server_events)
        );
        if seed == 1 {
            // The server's flight 4 (certificate ~ 400 bytes) needed several datagrams.
            assert!(p.sent.iter().filter(|(to_server, _)| !to_server).count() >= 4);
        }
    }
}

#[test]
fn application_data_and_close() {
    let (c, s) = configs();
    let mut p = Pair::new(c, s, Impair::NONE, 1);
    p.run();
    p.client.send_application_data(b"ping").unwrap();
    p.server.send_application_data(&[7; 1100]).unwrap();
    let until = p.now + Duration::from_millis(100);
    p.run_until(Duration::from_secs(600), |p| p.now >= until);
    assert!(
        p.server_events
            .contains(&Event::ApplicationData(b"ping".to_vec()))
    );
    assert!(
        p.client_events
            .contains(&Event::ApplicationData(vec![7; 1100]))
    );
    p.client.close();
    assert!(p.client.is_closed());
    assert_eq!(
        p.client.send_application_data(b"x"),
        Err(nutshell_dtls::Error::Closed)
    );
    let until = p.now + Duration::from_millis(100);
    p.run_until(Duration::from_secs(600), |p| p.now >= until);
    assert!(p.server_events.contains(&Event::Closed));
    assert!(p.server.is_closed());
}

#[test]
fn retransmission_backs_off_then_times_out() {
    let (mut c, s) = configs();
    c.max_retransmits = 5;
    let mut p = Pair::new(c, s, Impair::NONE, 1);
    // The server never hears anything.
    p.to_server_filter = Some(Box::new(|_| None));
    let start = p.now;
    p.run_until(Duration::from_secs(600), |p| p.client.is_closed());
    let hellos: Vec<_> = p.sent.iter().filter(|(to_server, _)| *to_server).collect();
    // ClientHello plus 5 retransmissions, then failure at 1+2+4+8+16+32 = 63 s.
    assert_eq!(hellos.len(), 6);
    assert_eq!(
        Pair::failure(&p.client_events),
        Some(nutshell_dtls::Error::Timeout)
    );
    assert_eq!(p.now - start, Duration::from_secs(63));
    assert!(p.client.poll_timeout().is_none());
}

#[test]
fn backoff_caps_at_max() {
    let (mut c, s) = configs();
    c.max_retransmits = 9;
    c.max_retransmit_timeout = Duration::from_secs(4);
    let mut p = Pair::new(c, s, Impair::NONE, 1);
    p.to_server_filter = Some(Box::new(|_| None));
    let start = p.now;
    p.run_until(Duration::from_secs(600), |p| p.client.is_closed());
    // 1 + 2 + 4 * 8 = 35 s.
    assert_eq!(p.now - start, Duration::from_secs(35));
}

#[test]
fn key_log_line() {
    let (mut c, s) = configs();
    c.key_log = true;
    let mut p = Pair::new(c, s, Impair::NONE, 1);
    p.run();
    let line = p.client.key_log().unwrap();
    assert!(line.starts_with("CLIENT_RANDOM "));
    assert_eq!(line.len(), "CLIENT_RANDOM ".len() + 64 + 1 + 96);
    assert!(p.server.key_log().is_none());
}

#[test]
fn export_before_connect_is_misuse() {
    let (c, _) = configs();
    let d = nutshell_dtls::Dtls::new(c, std::time::Instant::now());
    assert_eq!(
        d.export_keying_material(SRTP_EXPORTER_LABEL, 60),
        Err(nutshell_dtls::Error::NotConnected)
    );
}

#[test]
fn endpoint_is_send() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<nutshell_dtls::Dtls>();
    assert_send::<nutshell_dtls::Config>();
    assert_send::<Event>();
}
