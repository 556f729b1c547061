//! Browser-shaped hellos: Chromium's and Firefox's big, fragmented, DTLS 1.3-capable
//! ClientHellos against our server, and a Firefox-shaped server (downgrade marker in the
//! ServerHello random) scripted against our client.

use std::time::Instant;

use nutshell_dtls::cert::Certificate;
use nutshell_dtls::crypto::{
    CipherSuite, KeyExchange, NamedGroup, PrfHash, Transcript, export_keying_material,
    extended_master_secret, key_block, verify_data,
};
use nutshell_dtls::fragment::{Reassembler, fragments};
use nutshell_dtls::message::{
    CertificateMsg, CertificateRequest, ClientHello, Fragment, HelloVerifyRequest, ServerHello,
    ServerKeyExchange, ext, msg_type, parse_client_key_exchange, write_handshake,
};
use nutshell_dtls::record::{
    ContentType, DTLS_1_0, DTLS_1_2, Record, finish_record, start_record, write_record,
};
use nutshell_dtls::{Config, Dtls, Event, Role, SrtpProfile};

use crate::common::certs;

/// A ClientHello body shaped like a browser's: GREASE, TLS 1.3 suites, supported_versions
/// with DTLS 1.3 and 1.2, a key share with X25519MLKEM768 (1216 bytes) and x25519.
fn browser_client_hello(random: &[u8; 32], cookie: &[u8], srtp: &[u16], alpn: bool) -> Vec<u8> {
    let mut e = Vec::new();
    ext::raw(&mut e, 0x1A1A, &[]); // GREASE
    ext::renegotiation_info(&mut e);
    ext::extended_master_secret(&mut e);
    ext::supported_groups(&mut e, &[0x2A2A, 0x11EC, 29, 23, 24]);
    ext::ec_point_formats(&mut e);
    ext::raw(&mut e, 35, &[]); // session_ticket
    ext::signature_algorithms(
        &mut e,
        &[
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ],
    );
    ext::use_srtp(&mut e, srtp);
    if alpn {
        ext::raw(&mut e, 16, &[0, 7, 6, b'w', b'e', b'b', b'r', b't', b'c']);
    }
    let mut shares = Vec::new();
    shares.extend_from_slice(&0x11ECu16.to_be_bytes());
    shares.extend_from_slice(&1216u16.to_be_bytes());
    shares.extend(std::iter::repeat_n(0xAB, 1216));
    shares.extend_from_slice(&29u16.to_be_bytes());
    shares.extend_from_slice(&32u16.to_be_bytes());
    shares.extend_from_slice(&[9; 32]);
    let mut ks = (shares.len() as u16).to_be_bytes().to_vec();
    ks.extend(shares);
    ext::raw(&mut e, 51, &ks); // key_share
    ext::raw(&mut e, 45, &[1, 1]); // psk_key_exchange_modes
    ext::raw(&mut e, 43, &[4, 0xFE, 0xFC, 0xFE, 0xFD]); // supported_versions: DTLS 1.3, 1.2
    ext::raw(&mut e, 0x4A4A, &[0]); // GREASE
    let suites = [
        0x3A3A, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xCCA9, 0xCCA8, 0xC009, 0xC013, 0xC00A,
        0xC014, 0x009C, 0x009D, 0x002F, 0x0035,
    ];
    let mut body = Vec::new();
    ClientHello::write(&mut body, random, cookie, &suites, &e);
    body
}

/// The ClientHello as two handshake fragments in two datagrams (DTLS 1.0 record version).
fn two_datagrams(seq: u16, body: &[u8]) -> Vec<Vec<u8>> {
    let split = body.len() / 2 + 100;
    let mut out = Vec::new();
    let mut rseq = u64::from(seq) * 2;
    fragments(msg_type::CLIENT_HELLO, seq, body, split, |f| {
        let mut d = Vec::new();
        write_record(&mut d, ContentType::Handshake, DTLS_1_0, 0, rseq, f).unwrap();
        rseq += 1;
        out.push(d);
    });
    assert_eq!(out.len(), 2);
    out
}

/// Handshake messages (type, seq, body) in plaintext epoch-0 records of these datagrams.
fn epoch0_messages(datagrams: &[Vec<u8>]) -> Vec<(u8, u16, Vec<u8>)> {
    let mut r = Reassembler::new(1 << 16);
    let mut out = Vec::new();
    let mut next = 0u16;
    let mut first = true;
    for d in datagrams {
        for rec in Record::iter(d) {
            let rec = rec.unwrap();
            if rec.epoch != 0 || rec.content_type != ContentType::Handshake {
                continue;
            }
            for f in Fragment::parse_all(rec.fragment).unwrap() {
                if first {
                    next = f.header.message_seq;
                    first = false;
                }
                r.insert(next, 0, &f).unwrap();
            }
            while let Some(m) = r.take(next) {
                out.push((m.msg_type, m.message_seq, m.body));
                next += 1;
            }
        }
    }
    out
}

fn server(cookie: bool) -> Dtls {
    let (_, sc) = certs();
    let mut s = Config::new(Role::Server, sc.clone(), [5; 32]);
    s.cookie_exchange = cookie;
    Dtls::new(s, Instant::now())
}

fn check_flight4(flight: &[(u8, u16, Vec<u8>)], seq0: u16, want_srtp: SrtpProfile) {
    let types: Vec<u8> = flight.iter().map(|m| m.0).collect();
    assert_eq!(
        types,
        [
            msg_type::SERVER_HELLO,
            msg_type::CERTIFICATE,
            msg_type::SERVER_KEY_EXCHANGE,
            msg_type::CERTIFICATE_REQUEST,
            msg_type::SERVER_HELLO_DONE
        ]
    );
    assert_eq!(flight[0].1, seq0);
    let sh = ServerHello::parse(&flight[0].2).unwrap();
    assert_eq!(sh.server_version, DTLS_1_2);
    assert_eq!(sh.cipher_suite, 0xC02B);
    let (profiles, mki) = sh.extensions.use_srtp.unwrap();
    assert_eq!(profiles.iter().collect::<Vec<_>>(), [want_srtp.id()]);
    assert!(mki.is_empty());
    assert!(sh.extensions.extended_master_secret);
    assert_eq!(sh.extensions.renegotiation_info, Some(&[][..]));
    assert_eq!(
        sh.extensions.unknown, 0,
        "only extensions the client offered"
    );
    let ske = ServerKeyExchange::parse(&flight[2].2).unwrap();
    assert_eq!(ske.group, 29, "x25519 beside the ML-KEM share");
    assert_eq!(ske.public.len(), 32);
}

#[test]
fn chromium_client_hello_two_fragments_no_cookie() {
    let body = browser_client_hello(&[0xC1; 32], &[], &[0x0001, 0x0008, 0x0007], false);
    assert!((1350..1500).contains(&body.len()), "{}", body.len());
    let mut s = server(false);
    let now = Instant::now();
    let dgs = two_datagrams(0, &body);
    s.handle_receive(now, &dgs[0]);
    assert!(s.poll_transmit().is_none(), "waits for the second fragment");
    s.handle_receive(now, &dgs[1]);
    let out: Vec<_> = std::iter::from_fn(|| s.poll_transmit()).collect();
    assert!(out.iter().all(|d| d.len() <= 1200));
    check_flight4(&epoch0_messages(&out), 0, SrtpProfile::AeadAes128Gcm);
    assert!(s.poll_event().is_none());
}

#[test]
fn chromium_client_hello_with_cookie_exchange() {
    let mut s = server(true);
    let now = Instant::now();
    let body = browser_client_hello(&[0xC2; 32], &[], &[0x0001, 0x0008, 0x0007], false);
    // Second fragment first: reassembly does not care about order.
    let dgs = two_datagrams(0, &body);
    s.handle_receive(now, &dgs[1]);
    s.handle_receive(now, &dgs[0]);
    let out: Vec<_> = std::iter::from_fn(|| s.poll_transmit()).collect();
    let msgs = epoch0_messages(&out);
    assert_eq!(msgs.len(), 1);
    assert_eq!((msgs[0].0, msgs[0].1), (msg_type::HELLO_VERIFY_REQUEST, 0));
    let cookie = HelloVerifyRequest::parse(&msgs[0].2)
        .unwrap()
        .cookie
        .to_vec();
    assert!(!cookie.is_empty());
    // A wrong cookie gets another HelloVerifyRequest, not a ServerHello.
    let bad = browser_client_hello(&[0xC2; 32], &[0; 32], &[0x0001, 0x0008, 0x0007], false);
    for d in two_datagrams(1, &bad) {
        s.handle_receive(now, &d);
    }
    let out: Vec<_> = std::iter::from_fn(|| s.poll_transmit()).collect();
    assert_eq!(epoch0_messages(&out)[0].0, msg_type::HELLO_VERIFY_REQUEST);
    let body = browser_client_hello(&[0xC2; 32], &cookie, &[0x0001, 0x0008, 0x0007], false);
    for d in two_datagrams(1, &body) {
        s.handle_receive(now, &d);
    }
    let out: Vec<_> = std::iter::from_fn(|| s.poll_transmit()).collect();
    check_flight4(&epoch0_messages(&out), 1, SrtpProfile::AeadAes128Gcm);
}

#[test]
fn firefox_client_hello_with_alpn() {
    let body = browser_client_hello(&[0xF1; 32], &[], &[0x0007, 0x0008, 0x0001, 0x0002], true);
    let mut s = server(false);
    let now = Instant::now();
    for d in two_datagrams(0, &body) {
        s.handle_receive(now, &d);
    }
    let out: Vec<_> = std::iter::from_fn(|| s.poll_transmit()).collect();
    check_flight4(&epoch0_messages(&out), 0, SrtpProfile::AeadAes128Gcm);
}

#[test]
fn sha1_80_when_the_server_prefers_it() {
    let (_, sc) = certs();
    let mut cfg = Config::new(Role::Server, sc.clone(), [5; 32]);
    cfg.cookie_exchange = false;
    cfg.srtp_profiles = vec![SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::AeadAes128Gcm];
    let mut s = Dtls::new(cfg, Instant::now());
    let body = browser_client_hello(&[0xC3; 32], &[], &[0x0001, 0x0008, 0x0007], false);
    for d in two_datagrams(0, &body) {
        s.handle_receive(Instant::now(), &d);
    }
    let out: Vec<_> = std::iter::from_fn(|| s.poll_transmit()).collect();
    check_flight4(&epoch0_messages(&out), 0, SrtpProfile::Aes128CmHmacSha1_80);
}

fn seal(
    cipher: &nutshell_dtls::crypto::RecordCipher,
    ct: ContentType,
    seq: u64,
    plain: &[u8],
) -> Vec<u8> {
    let mut d = Vec::new();
    let start = start_record(&mut d, ct, DTLS_1_2, 1, seq);
    d.extend_from_slice(plain);
    cipher
        .seal(1, seq, ct.to_u8(), DTLS_1_2, &mut d, start)
        .unwrap();
    finish_record(&mut d, start).unwrap();
    d
}

/// A Firefox-shaped server, scripted: no HelloVerifyRequest, one flight in one datagram, the
/// TLS 1.3 downgrade marker at the end of the ServerHello random. Our client must ignore the
/// marker, complete the handshake and agree on keys computed here independently.
#[test]
fn firefox_server_with_downgrade_marker() {
    let (cc, _) = certs();
    let firefox = Certificate::generate().unwrap();
    let mut cfg = Config::new(Role::Client, cc.clone(), [6; 32]);
    cfg.remote_fingerprints = vec![firefox.fingerprint()];
    let now = Instant::now();
    let mut client = Dtls::new(cfg, now);
    let ch_dg = client.poll_transmit().unwrap();
    let ch_msgs = epoch0_messages(std::slice::from_ref(&ch_dg));
    let ch = ClientHello::parse(&ch_msgs[0].2).unwrap();
    assert_eq!(ch.client_version, DTLS_1_2);
    assert_eq!(
        ch.extensions.unknown, 0,
        "a 1.2-only client: no supported_versions"
    );
    let cr: [u8; 32] = ch.random;

    let suite = CipherSuite::EcdheEcdsaAes128GcmSha256;
    let mut t = Transcript::new(PrfHash::Sha256);
    let add = |t: &mut Transcript, ty: u8, seq: u16, body: &[u8]| {
        let mut m = Vec::new();
        write_handshake(&mut m, ty, seq, body);
        t.update(&m).unwrap();
    };
    add(&mut t, msg_type::CLIENT_HELLO, 0, &ch_msgs[0].2);

    let mut sr = [0x5A; 32];
    sr[24..].copy_from_slice(b"DOWNGRD\x01");
    let mut e = Vec::new();
    ext::extended_master_secret(&mut e);
    ext::renegotiation_info(&mut e);
    ext::use_srtp(&mut e, &[0x0007]);
    ext::ec_point_formats(&mut e);
    let mut sh = Vec::new();
    ServerHello::write(&mut sh, &sr, suite.id(), &e);
    let mut cert = Vec::new();
    CertificateMsg::write(&mut cert, &[firefox.der()]);
    let (kx, public) = KeyExchange::generate(NamedGroup::X25519).unwrap();
    let mut ske = Vec::new();
    ServerKeyExchange::write_params(&mut ske, 29, &public);
    let signed: Vec<u8> = cr.iter().chain(&sr).chain(&ske).copied().collect();
    let (scheme, sig) = firefox.sign(&signed).unwrap();
    ServerKeyExchange::write_signature(&mut ske, scheme.id(), &sig);
    let mut creq = Vec::new();
    CertificateRequest::write(&mut creq, &[64], &[0x0403, 0x0804]);
    let mut flight = Vec::new();
    let mut frag = Vec::new();
    for (seq, (ty, body)) in [
        (msg_type::SERVER_HELLO, sh),
        (msg_type::CERTIFICATE, cert),
        (msg_type::SERVER_KEY_EXCHANGE, ske),
        (msg_type::CERTIFICATE_REQUEST, creq),
        (msg_type::SERVER_HELLO_DONE, Vec::new()),
    ]
    .into_iter()
    .enumerate()
    {
        add(&mut t, ty, seq as u16, &body);
        write_handshake(&mut frag, ty, seq as u16, &body);
    }
    write_record(&mut flight, ContentType::Handshake, DTLS_1_2, 0, 0, &frag).unwrap();
    assert!(flight.len() < 1200);
    client.handle_receive(now, &flight);

    // Flight 5: Certificate, ClientKeyExchange, CertificateVerify, CCS, Finished.
    let out: Vec<_> = std::iter::from_fn(|| client.poll_transmit()).collect();
    let msgs = epoch0_messages(&out);
    let types: Vec<u8> = msgs.iter().map(|m| m.0).collect();
    assert_eq!(
        types,
        [
            msg_type::CERTIFICATE,
            msg_type::CLIENT_KEY_EXCHANGE,
            msg_type::CERTIFICATE_VERIFY
        ]
    );
    add(&mut t, msgs[0].0, msgs[0].1, &msgs[0].2);
    add(&mut t, msgs[1].0, msgs[1].1, &msgs[1].2);
    let pre = kx
        .agree(parse_client_key_exchange(&msgs[1].2).unwrap())
        .unwrap();
    let master = extended_master_secret(PrfHash::Sha256, &pre, &t.current());
    add(&mut t, msgs[2].0, msgs[2].1, &msgs[2].2);
    let keys = key_block(suite, &master, &cr, &sr).unwrap();

    // Decrypt and check the client's Finished.
    let fin = out
        .iter()
        .flat_map(|d| Record::iter(d).map(Result::unwrap).collect::<Vec<_>>())
        .find(|r| r.epoch == 1)
        .unwrap();
    let mut buf = fin.fragment.to_vec();
    let range = keys
        .client_write
        .open(1, fin.sequence, 22, fin.version, &mut buf)
        .unwrap();
    let (f, _) = Fragment::parse(&buf[range]).unwrap();
    assert_eq!(f.header.msg_type, msg_type::FINISHED);
    let want = verify_data(PrfHash::Sha256, &master, true, &t.current());
    assert_eq!(f.body, want);
    add(&mut t, msg_type::FINISHED, f.header.message_seq, f.body);

    // Flight 6.
    let vd = verify_data(PrfHash::Sha256, &master, false, &t.current());
    let mut m = Vec::new();
    write_handshake(&mut m, msg_type::FINISHED, 5, &vd);
    // ChangeCipherSpec, then application data that overtook the Finished, then the Finished.
    let mut ccs = Vec::new();
    write_record(
        &mut ccs,
        ContentType::ChangeCipherSpec,
        DTLS_1_2,
        0,
        1,
        &[1],
    )
    .unwrap();
    client.handle_receive(now, &ccs);
    client.handle_receive(
        now,
        &seal(
            &keys.server_write,
            ContentType::ApplicationData,
            1,
            b"early",
        ),
    );
    assert!(
        client.poll_event().is_none(),
        "held until the Finished verifies"
    );
    client.handle_receive(
        now,
        &seal(&keys.server_write, ContentType::Handshake, 0, &m),
    );
    let events: Vec<_> = std::iter::from_fn(|| client.poll_event()).collect();
    assert!(
        matches!(
            events[0],
            Event::Connected {
                srtp_profile: Some(SrtpProfile::AeadAes128Gcm),
                ..
            }
        ),
        "{events:?}"
    );
    let mut km = vec![0; 56];
    export_keying_material(
        PrfHash::Sha256,
        &master,
        b"EXTRACTOR-dtls_srtp",
        &cr,
        &sr,
        &mut km,
    );
    assert_eq!(
        events[1],
        Event::SrtpKeyingMaterial(nutshell_dtls::SrtpKeyingMaterial {
            profile: SrtpProfile::AeadAes128Gcm,
            material: km
        })
    );

    assert_eq!(events[2], Event::ApplicationData(b"early".to_vec()));

    // Application data from the scripted server arrives.
    client.handle_receive(
        now,
        &seal(&keys.server_write, ContentType::ApplicationData, 2, b"sctp"),
    );
    assert_eq!(
        client.poll_event(),
        Some(Event::ApplicationData(b"sctp".to_vec()))
    );
}
