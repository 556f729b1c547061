//! Negative tests: each failure ends in the right alert and typed error.

use std::time::Instant;

use nutshell_dtls::cert::Certificate;
use nutshell_dtls::crypto::{CipherSuite, key_block};
use nutshell_dtls::message::{
    ClientHello, Fragment, HandshakeHeader, ext, msg_type, write_handshake,
};
use nutshell_dtls::record::{
    ContentType, DTLS_1_2, Record, finish_record, start_record, write_record,
};
use nutshell_dtls::{AlertDescription, Dtls, Error, Event, SrtpProfile};

use crate::common::{Impair, Pair, certs, configs};

fn events(d: &mut Dtls) -> Vec<Event> {
    std::iter::from_fn(|| d.poll_event()).collect()
}

fn transmits(d: &mut Dtls) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| d.poll_transmit()).collect()
}

/// The plaintext (epoch 0) alert in these datagrams, if any.
fn alert(datagrams: &[Vec<u8>]) -> Option<(u8, AlertDescription)> {
    datagrams.iter().find_map(|d| {
        Record::iter(d).filter_map(Result::ok).find_map(|r| {
            match (r.content_type, r.epoch, r.fragment) {
                (ContentType::Alert, 0, [level, desc]) => {
                    Some((*level, AlertDescription::from_u8(*desc)))
                }
                _ => None,
            }
        })
    })
}

fn failed(ev: &[Event]) -> Option<Error> {
    Pair::failure(ev)
}

fn server_no_cookie() -> Dtls {
    let (_, s) = configs();
    let mut s = s;
    s.cookie_exchange = false;
    Dtls::new(s, Instant::now())
}

/// A ClientHello datagram with these suites and extensions.
fn client_hello(version: u16, suites: &[u16], exts: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    ClientHello::write(&mut body, &[7; 32], &[], suites, exts);
    body[..2].copy_from_slice(&version.to_be_bytes());
    let mut m = Vec::new();
    write_handshake(&mut m, msg_type::CLIENT_HELLO, 0, &body);
    let mut d = Vec::new();
    write_record(&mut d, ContentType::Handshake, DTLS_1_2, 0, 0, &m).unwrap();
    d
}

fn good_exts() -> Vec<u8> {
    let mut e = Vec::new();
    ext::supported_groups(&mut e, &[29, 23]);
    ext::ec_point_formats(&mut e);
    ext::signature_algorithms(&mut e, &[0x0403]);
    ext::use_srtp(&mut e, &[7]);
    ext::extended_master_secret(&mut e);
    ext::renegotiation_info(&mut e);
    e
}

fn expect_server_failure(datagram: &[u8], want: Error, alert_desc: AlertDescription) {
    let mut s = server_no_cookie();
    s.handle_receive(Instant::now(), datagram);
    assert_eq!(alert(&transmits(&mut s)), Some((2, alert_desc)), "{want:?}");
    assert_eq!(failed(&events(&mut s)), Some(want));
    assert!(s.is_closed());
}

#[test]
fn sane_client_hello_is_accepted() {
    let mut s = server_no_cookie();
    s.handle_receive(
        Instant::now(),
        &client_hello(DTLS_1_2, &[0xC02B], &good_exts()),
    );
    assert!(alert(&transmits(&mut s)).is_none());
    assert!(events(&mut s).is_empty());
}

#[test]
fn unsupported_suite_only() {
    // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 and a TLS 1.3 suite only.
    expect_server_failure(
        &client_hello(DTLS_1_2, &[0xC02F, 0x1301], &good_exts()),
        Error::NoCommonCipherSuite,
        AlertDescription::HandshakeFailure,
    );
}

#[test]
fn no_common_group_srtp_or_ems_and_bad_version() {
    let mut e = Vec::new();
    // secp521r1 and X25519MLKEM768: neither is ours.
    ext::supported_groups(&mut e, &[25, 0x11EC]);
    ext::use_srtp(&mut e, &[7]);
    ext::extended_master_secret(&mut e);
    expect_server_failure(
        &client_hello(DTLS_1_2, &[0xC02B], &e),
        Error::NoCommonGroup,
        AlertDescription::HandshakeFailure,
    );

    let mut e = Vec::new();
    ext::use_srtp(&mut e, &[2]);
    ext::extended_master_secret(&mut e);
    let mut s = configs().1;
    s.cookie_exchange = false;
    s.srtp_profiles = vec![SrtpProfile::AeadAes128Gcm];
    let mut s = Dtls::new(s, Instant::now());
    s.handle_receive(Instant::now(), &client_hello(DTLS_1_2, &[0xC02B], &e));
    assert_eq!(
        alert(&transmits(&mut s)),
        Some((2, AlertDescription::HandshakeFailure))
    );
    assert_eq!(failed(&events(&mut s)), Some(Error::NoCommonSrtpProfile));

    let mut e = Vec::new();
    ext::use_srtp(&mut e, &[7]);
    expect_server_failure(
        &client_hello(DTLS_1_2, &[0xC02B], &e),
        Error::ExtendedMasterSecretRequired,
        AlertDescription::HandshakeFailure,
    );
    expect_server_failure(
        &client_hello(0xFEFF, &[0xC02B], &good_exts()),
        Error::UnsupportedVersion(0xFEFF),
        AlertDescription::ProtocolVersion,
    );
    let mut e = good_exts();
    ext::raw(&mut e, 0xFF01, &[2, 1, 2]); // duplicate + non-empty renegotiation_info
    expect_server_failure(
        &client_hello(DTLS_1_2, &[0xC02B], &e),
        Error::Invalid {
            field: "duplicate extension",
        },
        AlertDescription::DecodeError,
    );
}

#[test]
fn truncated_fragment() {
    // The handshake header claims 200 bytes in this fragment; the record has 20.
    let mut m = Vec::new();
    HandshakeHeader {
        msg_type: 1,
        length: 200,
        message_seq: 0,
        fragment_offset: 0,
        fragment_length: 200,
    }
    .write(&mut m);
    m.extend_from_slice(&[0; 20]);
    let mut d = Vec::new();
    write_record(&mut d, ContentType::Handshake, DTLS_1_2, 0, 0, &m).unwrap();
    expect_server_failure(
        &d,
        Error::Truncated {
            needed: 200,
            remaining: 20,
        },
        AlertDescription::DecodeError,
    );
    // A fragment reaching past its message.
    let mut m = Vec::new();
    HandshakeHeader {
        msg_type: 1,
        length: 10,
        message_seq: 0,
        fragment_offset: 8,
        fragment_length: 4,
    }
    .write(&mut m);
    m.extend_from_slice(&[0; 4]);
    let mut d = Vec::new();
    write_record(&mut d, ContentType::Handshake, DTLS_1_2, 0, 0, &m).unwrap();
    expect_server_failure(&d, Error::BadFragment, AlertDescription::DecodeError);
}

#[test]
fn oversized_fragment() {
    let mut m = Vec::new();
    HandshakeHeader {
        msg_type: 1,
        length: 1 << 20,
        message_seq: 0,
        fragment_offset: 0,
        fragment_length: 100,
    }
    .write(&mut m);
    m.extend_from_slice(&[0; 100]);
    let mut d = Vec::new();
    write_record(&mut d, ContentType::Handshake, DTLS_1_2, 0, 0, &m).unwrap();
    expect_server_failure(
        &d,
        Error::MessageTooLarge {
            length: 1 << 20,
            max: 16 * 1024,
        },
        AlertDescription::IllegalParameter,
    );
}

#[test]
fn wrong_fingerprint() {
    let (mut c, s) = configs();
    c.remote_fingerprints = vec![Certificate::generate().unwrap().fingerprint()];
    let mut p = Pair::new(c, s, Impair::NONE, 1);
    p.run();
    assert!(matches!(
        failed(&p.client_events),
        Some(Error::FingerprintMismatch(_))
    ));
    assert_eq!(
        failed(&p.server_events),
        Some(Error::AlertReceived(AlertDescription::BadCertificate))
    );
    let to_server: Vec<_> = p.sent.iter().filter(|s| s.0).map(|s| s.1.clone()).collect();
    assert_eq!(
        alert(&to_server),
        Some((2, AlertDescription::BadCertificate))
    );

    // And on the server side, about the client's certificate.
    let (c, mut s) = configs();
    s.remote_fingerprints = vec![certs().1.fingerprint()];
    let mut p = Pair::new(c, s, Impair::NONE, 1);
    p.run();
    assert!(matches!(
        failed(&p.server_events),
        Some(Error::FingerprintMismatch(_))
    ));
    assert_eq!(
        failed(&p.client_events),
        Some(Error::AlertReceived(AlertDescription::BadCertificate))
    );
}

/// Runs client and server by hand until the client's flight 5 is out; returns it.
fn up_to_flight5(c: &mut Dtls, s: &mut Dtls) -> Vec<Vec<u8>> {
    let now = Instant::now();
    // ClientHello / HelloVerifyRequest, ClientHello with cookie / flight 4.
    for _ in 0..2 {
        for d in transmits(c) {
            s.handle_receive(now, &d);
        }
        for d in transmits(s) {
            c.handle_receive(now, &d);
        }
    }
    transmits(c)
}

#[test]
fn tampered_finished() {
    let (mut c, s) = configs();
    c.key_log = true;
    let (mut c, mut s) = (Dtls::new(c, Instant::now()), Dtls::new(s, Instant::now()));
    // Capture the server random from the ServerHello on the way.
    let now = Instant::now();
    let mut sr = None;
    for _ in 0..2 {
        for d in transmits(&mut c) {
            s.handle_receive(now, &d);
        }
        for d in transmits(&mut s) {
            for r in Record::iter(&d).filter_map(Result::ok) {
                if let Ok((f, _)) = Fragment::parse(r.fragment)
                    && f.header.msg_type == msg_type::SERVER_HELLO
                {
                    sr = Some(<[u8; 32]>::try_from(&f.body[2..34]).unwrap());
                }
            }
            c.handle_receive(now, &d);
        }
    }
    let flight5 = transmits(&mut c);
    let line = c.key_log().unwrap().to_string();
    let parts: Vec<&str> = line.split(' ').collect();
    let hex = |s: &str| {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>()
    };
    let cr: [u8; 32] = hex(parts[1]).try_into().unwrap();
    let master: [u8; 48] = hex(parts[2]).try_into().unwrap();
    let keys = key_block(
        CipherSuite::EcdheEcdsaAes128GcmSha256,
        &master,
        &cr,
        &sr.unwrap(),
    )
    .unwrap();

    // First: a flipped ciphertext byte is silently dropped (RFC 6347 §4.1.2.7).
    let mut flipped = flight5.clone();
    let last = flipped.last_mut().unwrap();
    let n = last.len();
    last[n - 1] ^= 1;
    for d in &flipped {
        s.handle_receive(now, d);
    }
    assert!(alert(&transmits(&mut s)).is_none());
    assert!(events(&mut s).is_empty());
    assert_eq!(s.stats().bad_mac, 1);

    // Then: a well-encrypted Finished with the wrong verify_data.
    let mut forged = Vec::new();
    for d in &flight5 {
        let mut out = Vec::new();
        for r in Record::iter(d).filter_map(Result::ok) {
            if r.epoch == 1 {
                let mut m = Vec::new();
                // message_seq 5: ClientHello, ClientHello, Certificate, ClientKeyExchange,
                // CertificateVerify, Finished.
                write_handshake(&mut m, msg_type::FINISHED, 5, &[0x55; 12]);
                let start = start_record(
                    &mut out,
                    ContentType::Handshake,
                    DTLS_1_2,
                    1,
                    r.sequence + 1,
                );
                out.extend_from_slice(&m);
                keys.client_write
                    .seal(1, r.sequence + 1, 22, DTLS_1_2, &mut out, start)
                    .unwrap();
                finish_record(&mut out, start).unwrap();
            } else {
                write_record(
                    &mut out,
                    r.content_type,
                    r.version,
                    r.epoch,
                    r.sequence,
                    r.fragment,
                )
                .unwrap();
            }
        }
        forged.push(out);
    }
    for d in &forged {
        s.handle_receive(now, d);
    }
    let ev = events(&mut s);
    assert_eq!(failed(&ev), Some(Error::BadFinished));
    // The alert goes out in epoch 0: the server reads epoch 1 but writes epoch 0 until its
    // own ChangeCipherSpec.
    let out = transmits(&mut s);
    assert_eq!(alert(&out), Some((2, AlertDescription::DecryptError)));
    for d in out {
        c.handle_receive(now, &d);
    }
    assert_eq!(
        failed(&events(&mut c)),
        Some(Error::AlertReceived(AlertDescription::DecryptError))
    );
}

#[test]
fn replayed_record_is_dropped() {
    let (c, s) = configs();
    let mut p = Pair::new(c, s, Impair::NONE, 1);
    p.run();
    p.client.send_application_data(b"once").unwrap();
    let d = p.client.poll_transmit().unwrap();
    p.server.handle_receive(p.now, &d);
    p.server.handle_receive(p.now, &d);
    let ev = events(&mut p.server);
    assert_eq!(ev, vec![Event::ApplicationData(b"once".to_vec())]);
    assert_eq!(p.server.stats().replayed, 1);
    assert!(p.server.is_connected());
    assert!(p.server.poll_transmit().is_none(), "no alert for a replay");
}

#[test]
fn out_of_order_message() {
    let (c, s) = configs();
    let (mut c, mut s) = (Dtls::new(c, Instant::now()), Dtls::new(s, Instant::now()));
    let flight5 = up_to_flight5(&mut c, &mut s);
    assert!(!flight5.is_empty());
    // Instead of flight 5, a ClientKeyExchange where the Certificate should be (seq 2).
    let mut m = Vec::new();
    write_handshake(&mut m, msg_type::CLIENT_KEY_EXCHANGE, 2, &[32; 33]);
    let mut d = Vec::new();
    write_record(&mut d, ContentType::Handshake, DTLS_1_2, 0, 50, &m).unwrap();
    s.handle_receive(Instant::now(), &d);
    assert_eq!(
        alert(&transmits(&mut s)),
        Some((2, AlertDescription::UnexpectedMessage))
    );
    assert_eq!(
        failed(&events(&mut s)),
        Some(Error::UnexpectedMessage("unexpected ClientKeyExchange"))
    );
}

#[test]
fn unexpected_change_cipher_spec() {
    let (c, _) = configs();
    let mut c = Dtls::new(c, Instant::now());
    let _ = transmits(&mut c);
    let mut d = Vec::new();
    write_record(&mut d, ContentType::ChangeCipherSpec, DTLS_1_2, 0, 0, &[1]).unwrap();
    c.handle_receive(Instant::now(), &d);
    assert_eq!(
        alert(&transmits(&mut c)),
        Some((2, AlertDescription::UnexpectedMessage))
    );
    assert_eq!(
        failed(&events(&mut c)),
        Some(Error::UnexpectedMessage("ChangeCipherSpec"))
    );
}

#[test]
fn finished_before_keys() {
    let (c, _) = configs();
    let mut c = Dtls::new(c, Instant::now());
    let _ = transmits(&mut c);
    let mut m = Vec::new();
    write_handshake(&mut m, msg_type::FINISHED, 0, &[0; 12]);
    let mut d = Vec::new();
    write_record(&mut d, ContentType::Handshake, DTLS_1_2, 0, 0, &m).unwrap();
    c.handle_receive(Instant::now(), &d);
    assert_eq!(
        alert(&transmits(&mut c)),
        Some((2, AlertDescription::UnexpectedMessage))
    );
    assert_eq!(
        failed(&events(&mut c)),
        Some(Error::UnexpectedMessage("Finished before ChangeCipherSpec"))
    );
}

#[test]
fn application_data_before_handshake() {
    let mut s = server_no_cookie();
    let mut d = Vec::new();
    write_record(
        &mut d,
        ContentType::ApplicationData,
        DTLS_1_2,
        0,
        0,
        b"early",
    )
    .unwrap();
    s.handle_receive(Instant::now(), &d);
    assert_eq!(
        alert(&transmits(&mut s)),
        Some((2, AlertDescription::UnexpectedMessage))
    );
    assert_eq!(
        failed(&events(&mut s)),
        Some(Error::UnexpectedMessage(
            "application data before the handshake completed"
        ))
    );
    let (c, _) = configs();
    let mut c = Dtls::new(c, Instant::now());
    assert_eq!(c.send_application_data(b"x"), Err(Error::NotConnected));
}

#[test]
fn garbage_is_dropped_without_alert() {
    let mut s = server_no_cookie();
    for g in [
        &[][..],
        &[0xFF; 5],
        &[22, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        &[25, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
    ] {
        s.handle_receive(Instant::now(), g);
    }
    assert!(s.poll_transmit().is_none());
    assert!(s.poll_event().is_none());
    assert_eq!(s.stats().malformed, 2);
    assert_eq!(s.stats().ignored, 1);
}

#[test]
fn client_rejects_bad_server_hello() {
    // A server offering a suite the client did not offer.
    let (mut c, s) = configs();
    c.cipher_suites = vec![CipherSuite::EcdheEcdsaAes128GcmSha256];
    let mut s2 = s.clone();
    s2.cipher_suites = vec![CipherSuite::EcdheEcdsaAes256GcmSha384];
    let mut p = Pair::new(c, s2, Impair::NONE, 1);
    p.run();
    // The server finds no common suite first.
    assert_eq!(failed(&p.server_events), Some(Error::NoCommonCipherSuite));
    assert_eq!(
        failed(&p.client_events),
        Some(Error::AlertReceived(AlertDescription::HandshakeFailure))
    );
}

/// Keys of a completed in-memory session, recovered from the client's key log and the
/// ServerHello on the wire.
fn session_keys(p: &Pair) -> nutshell_dtls::crypto::KeyBlock {
    let line = p.client.key_log().unwrap().to_string();
    let parts: Vec<&str> = line.split(' ').collect();
    let hex = |s: &str| {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>()
    };
    let cr: [u8; 32] = hex(parts[1]).try_into().unwrap();
    let master: [u8; 48] = hex(parts[2]).try_into().unwrap();
    let sr = p
        .sent
        .iter()
        .filter(|(to_server, _)| !to_server)
        .flat_map(|(_, d)| Record::iter(d).filter_map(Result::ok).collect::<Vec<_>>())
        .find_map(|r| {
            let (f, _) = Fragment::parse(r.fragment).ok()?;
            (r.epoch == 0 && f.header.msg_type == msg_type::SERVER_HELLO)
                .then(|| <[u8; 32]>::try_from(&f.body[2..34]).unwrap())
        })
        .unwrap();
    key_block(CipherSuite::EcdheEcdsaAes128GcmSha256, &master, &cr, &sr).unwrap()
}

#[test]
fn renegotiation_is_refused() {
    let (mut c, s) = configs();
    c.key_log = true;
    c.cipher_suites = vec![CipherSuite::EcdheEcdsaAes128GcmSha256];
    let mut p = Pair::new(c, s, Impair::NONE, 1);
    p.run();
    assert!(p.server.is_connected());
    let keys = session_keys(&p);
    // A new ClientHello (message_seq 6) inside the protected epoch.
    let mut body = Vec::new();
    ClientHello::write(&mut body, &[8; 32], &[], &[0xC02B], &good_exts());
    let mut m = Vec::new();
    write_handshake(&mut m, msg_type::CLIENT_HELLO, 6, &body);
    let mut d = Vec::new();
    let start = start_record(&mut d, ContentType::Handshake, DTLS_1_2, 1, 1000);
    d.extend_from_slice(&m);
    keys.client_write
        .seal(1, 1000, 22, DTLS_1_2, &mut d, start)
        .unwrap();
    finish_record(&mut d, start).unwrap();
    p.server.handle_receive(p.now, &d);
    // Answered with a warning no_renegotiation alert, protected; the connection stays up.
    let out = transmits(&mut p.server);
    assert_eq!(out.len(), 1);
    let rec = Record::iter(&out[0]).next().unwrap().unwrap();
    assert_eq!((rec.content_type, rec.epoch), (ContentType::Alert, 1));
    let mut frag = rec.fragment.to_vec();
    let range = keys
        .server_write
        .open(1, rec.sequence, 21, rec.version, &mut frag)
        .unwrap();
    assert_eq!(&frag[range], &[1, 100]);
    assert!(p.server.is_connected());
    assert!(events(&mut p.server).is_empty());
}

/// A record of epoch 2 right after the client's ChangeCipherSpec, its Finished not yet
/// arrived: the server holds it like any early record, looks at it once, and neither spins
/// nor fails; the Finished then completes the handshake. (Found by the `peer_replay` fuzz
/// target: the server re-queued such a record forever inside one `handle_receive`.)
#[test]
fn record_two_epochs_ahead_does_not_spin() {
    let (c, s) = configs();
    let now = Instant::now();
    let (mut c, mut s) = (Dtls::new(c, now), Dtls::new(s, now));
    let flight5 = up_to_flight5(&mut c, &mut s);
    let (mut head, mut rest) = (Vec::new(), Vec::new());
    let mut after_ccs = false;
    for r in flight5
        .iter()
        .flat_map(|d| Record::iter(d).filter_map(Result::ok))
    {
        let out = if after_ccs { &mut rest } else { &mut head };
        write_record(
            out,
            r.content_type,
            r.version,
            r.epoch,
            r.sequence,
            r.fragment,
        )
        .unwrap();
        after_ccs |= r.content_type == ContentType::ChangeCipherSpec;
    }
    assert!(
        after_ccs && !rest.is_empty(),
        "flight 5 has a ChangeCipherSpec and a Finished"
    );
    for _ in 0..3 {
        write_record(
            &mut head,
            ContentType::ApplicationData,
            DTLS_1_2,
            2,
            0,
            &[9; 24],
        )
        .unwrap();
    }
    s.handle_receive(now, &head);
    assert!(!s.is_connected());
    assert_eq!(failed(&events(&mut s)), None);
    s.handle_receive(now, &rest);
    assert!(
        s.is_connected(),
        "the Finished still completes the handshake"
    );
}
