//! STUN: decode + verify an ICE connectivity check, and encode its response, nutshell-stun side
//! by side with webrtc-rs's `stun` crate and str0m's ICE crate `is`.
//!
//! The request (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY,
//! FINGERPRINT) is built once by nutshell-stun; before measuring, each library must accept it,
//! which doubles as an interop check. Each decode iteration parses the message, checks
//! MESSAGE-INTEGRITY under the short-term password, checks FINGERPRINT where the library does
//! (str0m's `is` does not verify FINGERPRINT: it does less work), and reads the four ICE
//! attributes. Each library uses its own fastest documented way to hold the credential:
//! nutshell keeps a pre-keyed HMAC state (`Key`), webrtc-rs a `MessageIntegrity`, str0m the
//! password bytes.
//!
//! `cargo bench -p nutshell-benches --bench stun`

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{Criterion, criterion_group, criterion_main};
use is_oracle::Sha1HmacProvider;
use stun as nutshell_stun; // our crate, by its workspace short name

const USERNAME: &str = "Rx4f:9aB2";
const PASSWORD: &str = "pE3n7Ypq0mYkNVs6o0pLqcW4";
const TID: [u8; 12] = [
    0x5a, 0x11, 0xe0, 0x2b, 0x71, 0x33, 0x9c, 0x04, 0xd2, 0x6e, 0x81, 0x47,
];
const PRIORITY: u32 = 1_853_824_767;
const TIE_BREAKER: u64 = 0x1d2e_3f40_5162_7384;

fn mapped() -> SocketAddr {
    "192.0.2.33:51234".parse().unwrap()
}

fn request() -> Vec<u8> {
    use nutshell_stun::{Attribute, Encoder, Key, MessageType, TransactionId};
    let mut buf = Vec::new();
    let mut enc = Encoder::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId(TID));
    enc.add(&Attribute::Username(USERNAME)).unwrap();
    enc.add(&Attribute::Priority(PRIORITY)).unwrap();
    enc.add(&Attribute::IceControlling(TIE_BREAKER)).unwrap();
    enc.add(&Attribute::UseCandidate).unwrap();
    enc.add_integrity(&Key::short_term(PASSWORD));
    enc.add_fingerprint();
    enc.finish();
    buf
}

/// What every library extracts from the request.
#[derive(Debug, PartialEq)]
struct Check<'a> {
    username: &'a str,
    priority: u32,
    controlling: u64,
    use_candidate: bool,
}

const EXPECTED: Check<'static> = Check {
    username: USERNAME,
    priority: PRIORITY,
    controlling: TIE_BREAKER,
    use_candidate: true,
};

fn nutshell_decode<'a>(buf: &'a [u8], key: &nutshell_stun::Key) -> Check<'a> {
    use nutshell_stun::{Attribute, Message};
    let msg = Message::decode(buf).unwrap(); // checks FINGERPRINT
    msg.verify(key).unwrap();
    let mut check = Check {
        username: "",
        priority: 0,
        controlling: 0,
        use_candidate: false,
    };
    for attr in msg.typed() {
        match attr.unwrap() {
            Attribute::Username(u) => check.username = u,
            Attribute::Priority(p) => check.priority = p,
            Attribute::IceControlling(t) => check.controlling = t,
            Attribute::UseCandidate => check.use_candidate = true,
            _ => {}
        }
    }
    check
}

fn webrtc_decode(
    m: &mut stun_oracle::message::Message,
    buf: &[u8],
    integrity: &stun_oracle::integrity::MessageIntegrity,
) -> (String, u32, u64, bool) {
    use stun_oracle::attributes::{
        ATTR_ICE_CONTROLLING, ATTR_PRIORITY, ATTR_USE_CANDIDATE, ATTR_USERNAME,
    };
    use stun_oracle::fingerprint::FINGERPRINT;
    use stun_oracle::textattrs::TextAttribute;
    m.unmarshal_binary(buf).unwrap();
    FINGERPRINT.check(m).unwrap();
    integrity.check(m).unwrap();
    let username = TextAttribute::get_from_as(m, ATTR_USERNAME).unwrap().text;
    let prio = m.get(ATTR_PRIORITY).unwrap();
    let ctl = m.get(ATTR_ICE_CONTROLLING).unwrap();
    let priority = u32::from_be_bytes(prio[..4].try_into().unwrap());
    let controlling = u64::from_be_bytes(ctl[..8].try_into().unwrap());
    (
        username,
        priority,
        controlling,
        m.contains(ATTR_USE_CANDIDATE),
    )
}

fn str0m_decode<'a>(buf: &'a [u8]) -> Check<'a> {
    let msg = is_oracle::stun::StunMessage::parse(buf).unwrap();
    let ok = msg.verify(PASSWORD.as_bytes(), |k, p| {
        is_oracle::DefaultSha1HmacProvider.sha1_hmac(k, p)
    });
    assert!(ok);
    Check {
        username: msg.username().unwrap(),
        priority: msg.prio().unwrap(),
        controlling: msg.ice_controlling().unwrap(),
        use_candidate: msg.use_candidate(),
    }
}

fn decode(c: &mut Criterion) {
    let req = request();
    let key = nutshell_stun::Key::short_term(PASSWORD);
    let integrity =
        stun_oracle::integrity::MessageIntegrity::new_short_term_integrity(PASSWORD.to_owned());
    let mut m = stun_oracle::message::Message::new();

    // Everyone accepts the request and reads the same values.
    assert_eq!(nutshell_decode(&req, &key), EXPECTED);
    assert_eq!(str0m_decode(&req), EXPECTED);
    assert_eq!(
        webrtc_decode(&mut m, &req, &integrity),
        (USERNAME.to_owned(), PRIORITY, TIE_BREAKER, true)
    );

    let mut g = c.benchmark_group("stun_decode_verify_ice_request");
    g.bench_function("nutshell", |b| {
        b.iter(|| nutshell_decode(black_box(&req), &key))
    });
    g.bench_function("stun (webrtc-rs)", |b| {
        b.iter(|| webrtc_decode(&mut m, black_box(&req), &integrity))
    });
    g.bench_function("str0m (is)", |b| b.iter(|| str0m_decode(black_box(&req))));
    g.finish();

    // Where nutshell's time goes.
    let mut g = c.benchmark_group("stun_decode_breakdown");
    g.bench_function("nutshell decode (structure + FINGERPRINT)", |b| {
        b.iter(|| nutshell_stun::Message::decode(black_box(&req)).unwrap())
    });
    let msg = nutshell_stun::Message::decode(&req).unwrap();
    g.bench_function("nutshell verify MESSAGE-INTEGRITY", |b| {
        b.iter(|| black_box(&msg).verify(&key).unwrap())
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    use nutshell_stun::{Attribute, Encoder, Key, Message, MessageType, TransactionId};
    let key = Key::short_term(PASSWORD);
    let addr = mapped();

    // Each library's response must decode and verify with ours.
    let mut out = Vec::with_capacity(1500);
    let nutshell_encode = |out: &mut Vec<u8>| {
        out.clear();
        let mut enc = Encoder::new(out, MessageType::BINDING_SUCCESS, TransactionId(TID));
        enc.add(&Attribute::XorMappedAddress(addr)).unwrap();
        enc.add_integrity(&key);
        enc.add_fingerprint();
        enc.finish()
    };
    let integrity =
        stun_oracle::integrity::MessageIntegrity::new_short_term_integrity(PASSWORD.to_owned());
    let mut m = stun_oracle::message::Message::new();
    let webrtc_encode = |m: &mut stun_oracle::message::Message| {
        m.build(&[
            Box::new(stun_oracle::message::BINDING_SUCCESS),
            Box::new(stun_oracle::agent::TransactionId(TID)),
            Box::new(stun_oracle::xoraddr::XorMappedAddress {
                ip: addr.ip(),
                port: addr.port(),
            }),
            Box::new(integrity.clone()),
            Box::new(stun_oracle::fingerprint::FINGERPRINT),
        ])
        .unwrap();
        m.raw.len()
    };
    let mut buf = [0u8; 1500];
    let req = request();
    let str0m_tid = is_oracle::stun::StunMessage::parse(&req)
        .unwrap()
        .trans_id();
    let str0m_encode = |buf: &mut [u8]| {
        is_oracle::stun::StunMessage::binding_reply(str0m_tid, addr)
            .to_bytes(Some(PASSWORD.as_bytes()), buf, |k, p| {
                is_oracle::DefaultSha1HmacProvider.sha1_hmac(k, p)
            })
            .unwrap()
    };

    let n = nutshell_encode(&mut out);
    let ours = out[..n].to_vec();
    let n = webrtc_encode(&mut m);
    let webrtc = m.raw[..n].to_vec();
    let n = str0m_encode(&mut buf);
    let str0m = buf[..n].to_vec();
    for bytes in [ours, webrtc, str0m] {
        let msg = Message::decode(&bytes).unwrap();
        msg.verify(&key).unwrap();
        assert!(msg.has_fingerprint());
        assert_eq!(
            msg.get(nutshell_stun::types::XOR_MAPPED_ADDRESS),
            Some(Ok(Attribute::XorMappedAddress(addr)))
        );
    }

    let mut g = c.benchmark_group("stun_encode_ice_response");
    g.bench_function("nutshell", |b| {
        b.iter(|| nutshell_encode(black_box(&mut out)))
    });
    g.bench_function("stun (webrtc-rs)", |b| {
        b.iter(|| webrtc_encode(black_box(&mut m)))
    });
    g.bench_function("str0m (is)", |b| {
        b.iter(|| str0m_encode(black_box(&mut buf)))
    });
    g.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
