//! RFC 5769 vectors, one test per error variant, and round-trip property tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::prelude::*;

use super::*;

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}

// RFC 5769 §2.1 to §2.4 (facts from the RFC; the first three pad with spaces on purpose).
const SAMPLE_REQUEST: &str = "
    00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
    00 24 00 04 6e 00 01 ff
    80 29 00 08 93 2f f9 b1 51 26 3b 36
    00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
    00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
    80 28 00 04 e5 7a 3b cf";

const SAMPLE_IPV4_RESPONSE: &str = "
    01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 08 00 01 a1 47 e1 12 a6 43
    00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
    80 28 00 04 c0 7d 4c 96";

const SAMPLE_IPV6_RESPONSE: &str = "
    01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
    00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
    80 28 00 04 c8 fb 0b 4c";

const SAMPLE_LONG_TERM: &str = "
    00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
    00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
    00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
    00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
    00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66";

const SHORT_TERM_PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
const VECTOR_TID: TransactionId = TransactionId([
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
]);

fn mi_of(buf: &[u8]) -> [u8; 20] {
    let msg = Message::decode(buf).unwrap();
    match msg.get(types::MESSAGE_INTEGRITY) {
        Some(Ok(Attribute::MessageIntegrity(m))) => *m,
        other => panic!("no MESSAGE-INTEGRITY: {other:?}"),
    }
}

#[test]
fn rfc5769_sample_request() {
    let buf = hex(SAMPLE_REQUEST);
    let msg = Message::decode(&buf).unwrap();
    assert_eq!(msg.typ(), MessageType::BINDING_REQUEST);
    assert_eq!(msg.transaction_id(), VECTOR_TID);
    assert!(msg.has_fingerprint());
    msg.verify(&Key::short_term(SHORT_TERM_PASSWORD)).unwrap();
    assert_eq!(
        msg.verify(&Key::short_term("wrong")),
        Err(Error::BadIntegrity)
    );
    let mi = mi_of(&buf);
    let attrs: Vec<_> = msg.typed().map(Result::unwrap).collect();
    assert_eq!(
        attrs,
        vec![
            Attribute::Software("STUN test client"),
            Attribute::Priority(0x6e0001ff),
            Attribute::IceControlled(0x932f_f9b1_5126_3b36),
            Attribute::Username("evtj:h6vY"),
            Attribute::MessageIntegrity(&mi),
            Attribute::Fingerprint(0xe57a3bcf),
        ]
    );
    assert_eq!(msg.unknown_required().count(), 0);

    // Byte-exact re-encoding (with the vector's space padding).
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, MessageType::BINDING_REQUEST, VECTOR_TID);
    enc.padding_byte(b' ');
    enc.add(&Attribute::Software("STUN test client")).unwrap();
    enc.add(&Attribute::Priority(0x6e0001ff)).unwrap();
    enc.add(&Attribute::IceControlled(0x932f_f9b1_5126_3b36))
        .unwrap();
    enc.add(&Attribute::Username("evtj:h6vY")).unwrap();
    enc.add_integrity(&Key::short_term(SHORT_TERM_PASSWORD));
    enc.add_fingerprint();
    assert_eq!(enc.finish(), buf.len());
    assert_eq!(out, buf);
}

fn check_response(vector: &str, addr: SocketAddr) {
    let buf = hex(vector);
    let msg = Message::decode(&buf).unwrap();
    assert_eq!(msg.typ(), MessageType::BINDING_SUCCESS);
    msg.verify(&Key::short_term(SHORT_TERM_PASSWORD)).unwrap();
    assert_eq!(
        msg.get(types::XOR_MAPPED_ADDRESS),
        Some(Ok(Attribute::XorMappedAddress(addr)))
    );
    assert_eq!(
        msg.get(types::SOFTWARE),
        Some(Ok(Attribute::Software("test vector")))
    );

    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, MessageType::BINDING_SUCCESS, VECTOR_TID);
    enc.padding_byte(b' ');
    enc.add(&Attribute::Software("test vector")).unwrap();
    enc.add(&Attribute::XorMappedAddress(addr)).unwrap();
    enc.add_integrity(&Key::short_term(SHORT_TERM_PASSWORD));
    enc.add_fingerprint();
    enc.finish();
    assert_eq!(out, buf);
}

#[test]
fn rfc5769_sample_ipv4_response() {
    check_response(
        SAMPLE_IPV4_RESPONSE,
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 32853),
    );
}

#[test]
fn rfc5769_sample_ipv6_response() {
    check_response(
        SAMPLE_IPV6_RESPONSE,
        "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
            .parse()
            .unwrap(),
    );
}

#[test]
fn rfc5769_long_term_authentication() {
    let buf = hex(SAMPLE_LONG_TERM);
    let msg = Message::decode(&buf).unwrap();
    assert!(!msg.has_fingerprint());
    let username = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
    // The RFC's password "The\u{00AD}M\u{00AA}tr\u{2168}" after SASLprep.
    let key = Key::long_term(username, "example.org", "TheMatrIX");
    msg.verify(&key).unwrap();
    assert_eq!(
        msg.verify(&Key::long_term(username, "example.org", "thematrix")),
        Err(Error::BadIntegrity)
    );
    assert_eq!(
        msg.get(types::USERNAME),
        Some(Ok(Attribute::Username(username)))
    );
    assert_eq!(
        msg.get(types::NONCE),
        Some(Ok(Attribute::Nonce("f//499k954d6OL34oL9FSTvy64sA")))
    );
    assert_eq!(
        msg.get(types::REALM),
        Some(Ok(Attribute::Realm("example.org")))
    );

    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, MessageType::BINDING_REQUEST, msg.transaction_id());
    enc.add(&Attribute::Username(username)).unwrap();
    enc.add(&Attribute::Nonce("f//499k954d6OL34oL9FSTvy64sA"))
        .unwrap();
    enc.add(&Attribute::Realm("example.org")).unwrap();
    enc.add_integrity(&key);
    enc.finish();
    assert_eq!(out, buf);
}

#[test]
fn message_type_bits() {
    assert_eq!(MessageType::BINDING_REQUEST.to_u16(), 0x0001);
    assert_eq!(MessageType::BINDING_INDICATION.to_u16(), 0x0011);
    assert_eq!(MessageType::BINDING_SUCCESS.to_u16(), 0x0101);
    assert_eq!(MessageType::BINDING_ERROR.to_u16(), 0x0111);
    assert_eq!(
        MessageType::new(Method::ALLOCATE, Class::Error).to_u16(),
        0x0113
    );
    assert_eq!(
        MessageType::new(Method(0xFFF), Class::Error).to_u16(),
        0x3FFF
    );
    for v in 0..0x4000u16 {
        assert_eq!(MessageType::from_u16(v).to_u16(), v);
    }
}

#[test]
fn classifiers_and_framing() {
    let req = hex(SAMPLE_REQUEST);
    assert!(is_stun(&req));
    assert!(!is_stun(&req[..19]));
    let mut dtls = req.clone();
    dtls[0] = 22;
    assert!(!is_stun(&dtls));
    assert!(!is_channel_data(&req));
    assert!(is_channel_data(&[0x40, 0x00, 0x00, 0x00]));
    assert!(!is_channel_data(&[0x40, 0x00, 0x00]));
    assert_eq!(frame_len(&req), Ok(req.len()));
    assert_eq!(frame_len(&[0x40, 0x01, 0x00, 0x05]), Ok(12));
    assert_eq!(frame_len(&[0x80, 0, 0, 0]), Err(Error::NotStun));
    assert_eq!(
        frame_len(&[0, 1]),
        Err(Error::Truncated {
            needed: 4,
            remaining: 2
        })
    );
}

/// A small valid request used to derive the malformed inputs below.
fn simple_request() -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = Encoder::new(
        &mut out,
        MessageType::BINDING_REQUEST,
        TransactionId([9; 12]),
    );
    enc.add(&Attribute::Software("abcde")).unwrap();
    enc.finish();
    out
}

#[test]
fn error_truncated() {
    let buf = simple_request();
    assert!(matches!(
        Message::decode(&buf[..19]),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(Message::decode(&[]), Err(Error::Truncated { .. })));
}

#[test]
fn error_not_stun() {
    let mut buf = simple_request();
    buf[0] |= 0x80;
    assert_eq!(Message::decode(&buf).unwrap_err(), Error::NotStun);
}

#[test]
fn error_bad_cookie() {
    let mut buf = simple_request();
    buf[4] ^= 1;
    assert_eq!(
        Message::decode(&buf).unwrap_err(),
        Error::BadCookie(0x2012_A442)
    );
}

#[test]
fn error_bad_length() {
    let buf = simple_request();
    // Datagram cut short of what the header says.
    assert_eq!(
        Message::decode(&buf[..buf.len() - 4]).unwrap_err(),
        Error::BadLength {
            length: 12,
            actual: 8
        }
    );
    // Trailing bytes after the message.
    let mut long = buf.clone();
    long.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(
        Message::decode(&long).unwrap_err(),
        Error::BadLength {
            length: 12,
            actual: 16
        }
    );
}

#[test]
fn error_attribute_overflow() {
    let mut buf = simple_request();
    buf[23] = 200; // SOFTWARE claims 200 bytes
    assert_eq!(
        Message::decode(&buf).unwrap_err(),
        Error::AttributeOverflow {
            typ: types::SOFTWARE,
            length: 200,
            remaining: 8
        }
    );
}

#[test]
fn error_bad_padding() {
    // SOFTWARE "abcde" sent without its three bytes of padding: header length 9.
    let mut buf = simple_request();
    buf.truncate(20 + 4 + 5);
    buf[3] = 9;
    assert_eq!(
        Message::decode(&buf).unwrap_err(),
        Error::BadPadding {
            typ: types::SOFTWARE
        }
    );
    // Padding bytes themselves may hold anything (RFC 8489 §14).
    let mut buf = simple_request();
    let n = buf.len();
    buf[n - 1] = 0xEE;
    assert!(Message::decode(&buf).is_ok());
}

#[test]
fn error_invalid_attribute() {
    let mut buf = Vec::new();
    let mut enc = Encoder::new(
        &mut buf,
        MessageType::BINDING_REQUEST,
        TransactionId([1; 12]),
    );
    enc.add_raw(types::PRIORITY, &[1, 2, 3]).unwrap();
    enc.add_raw(types::USERNAME, &[0xff, 0xfe]).unwrap();
    enc.add_raw(types::XOR_MAPPED_ADDRESS, &[0, 3, 0, 1, 1, 2, 3, 4])
        .unwrap();
    enc.add_raw(types::ERROR_CODE, &[0, 0, 2, 0]).unwrap();
    enc.finish();
    let msg = Message::decode(&buf).unwrap();
    let errs: Vec<_> = msg.typed().map(Result::unwrap_err).collect();
    assert_eq!(
        errs,
        vec![
            Error::InvalidAttribute {
                typ: types::PRIORITY,
                reason: "wrong length"
            },
            Error::InvalidAttribute {
                typ: types::USERNAME,
                reason: "not UTF-8"
            },
            Error::InvalidAttribute {
                typ: types::XOR_MAPPED_ADDRESS,
                reason: "unknown address family"
            },
            Error::InvalidAttribute {
                typ: types::ERROR_CODE,
                reason: "error code out of range"
            },
        ]
    );
    // A malformed FINGERPRINT length is rejected at decode.
    let mut bad_fp = Vec::new();
    let mut enc = Encoder::new(
        &mut bad_fp,
        MessageType::BINDING_REQUEST,
        TransactionId([1; 12]),
    );
    enc.add_raw(types::FINGERPRINT, &[1, 2]).unwrap();
    enc.finish();
    assert_eq!(
        Message::decode(&bad_fp).unwrap_err(),
        Error::InvalidAttribute {
            typ: types::FINGERPRINT,
            reason: "wrong length"
        }
    );
}

#[test]
fn error_attribute_after_fingerprint() {
    // A valid FINGERPRINT (over header and SOFTWARE), then one more attribute. The header
    // length covers it, but the CRC was computed with the length as it is in the final
    // message, so it still matches and the structural error is what is reported.
    let mut buf = Vec::new();
    let mut enc = Encoder::new(
        &mut buf,
        MessageType::BINDING_REQUEST,
        TransactionId([1; 12]),
    );
    enc.add(&Attribute::Software("x")).unwrap();
    enc.finish();
    buf[3] += 8 + 8; // room for FINGERPRINT and a trailing USE-CANDIDATE... (8 + 4 padded)
    buf[3] -= 4;
    let crc = crc32fast::hash(&buf) ^ FINGERPRINT_XOR;
    buf.extend_from_slice(&[0x80, 0x28, 0x00, 0x04]);
    buf.extend_from_slice(&crc.to_be_bytes());
    buf.extend_from_slice(&[0x00, 0x25, 0x00, 0x00]);
    assert_eq!(buf.len(), 20 + usize::from(buf[3]));
    assert_eq!(
        Message::decode(&buf).unwrap_err(),
        Error::AttributeAfterFingerprint {
            typ: types::USE_CANDIDATE
        }
    );
}

#[test]
fn error_bad_fingerprint() {
    let mut buf = hex(SAMPLE_REQUEST);
    buf[30] ^= 0x01; // inside SOFTWARE
    assert_eq!(Message::decode(&buf).unwrap_err(), Error::BadFingerprint);
    let mut buf = hex(SAMPLE_REQUEST);
    let n = buf.len();
    buf[n - 1] ^= 0x01; // the CRC itself
    assert_eq!(Message::decode(&buf).unwrap_err(), Error::BadFingerprint);
}

#[test]
fn error_no_integrity() {
    let buf = simple_request();
    let msg = Message::decode(&buf).unwrap();
    assert_eq!(msg.verify(&Key::short_term("x")), Err(Error::NoIntegrity));
}

#[test]
fn error_bad_integrity() {
    // Tamper with a byte covered by MESSAGE-INTEGRITY in a message without FINGERPRINT.
    let mut buf = hex(SAMPLE_LONG_TERM);
    buf[30] ^= 0x01; // inside USERNAME, still valid UTF-8 structure is irrelevant to the MAC
    let msg = Message::decode(&buf).unwrap();
    let key = Key::long_term(
        "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}",
        "example.org",
        "TheMatrIX",
    );
    assert_eq!(msg.verify(&key), Err(Error::BadIntegrity));
    assert_eq!(
        Message::decode_verified(&buf, &key).unwrap_err(),
        Error::BadIntegrity
    );
}

#[test]
fn error_value_too_long() {
    let big = vec![0u8; 70_000];
    let mut buf = Vec::new();
    let mut enc = Encoder::new(
        &mut buf,
        MessageType::BINDING_REQUEST,
        TransactionId([1; 12]),
    );
    assert_eq!(
        enc.add(&Attribute::Data(&big)),
        Err(Error::ValueTooLong { length: 70_000 })
    );
    // The failed attribute left nothing behind.
    assert_eq!(enc.finish(), 20);
    assert!(Message::decode(&buf).is_ok());
}

#[test]
fn error_bad_channel_number() {
    assert_eq!(
        ChannelData::decode(&[0x50, 0x00, 0x00, 0x00]),
        Err(Error::BadChannelNumber(0x5000))
    );
    let mut out = Vec::new();
    assert_eq!(
        ChannelData {
            channel: 0x3FFF,
            data: b"x"
        }
        .encode(&mut out, false),
        Err(Error::BadChannelNumber(0x3FFF))
    );
}

#[test]
fn channel_data_round_trip_and_padding() {
    let mut out = Vec::new();
    let cd = ChannelData {
        channel: 0x4001,
        data: b"hello",
    };
    assert_eq!(cd.encode(&mut out, false), Ok(9));
    assert_eq!(ChannelData::decode(&out), Ok(cd));
    out.clear();
    assert_eq!(cd.encode(&mut out, true), Ok(12));
    assert_eq!(ChannelData::decode(&out), Ok(cd));
    out.push(0);
    assert_eq!(
        ChannelData::decode(&out),
        Err(Error::BadLength {
            length: 5,
            actual: 9
        })
    );
    assert!(matches!(
        ChannelData::decode(&out[..8]),
        Err(Error::Truncated { .. })
    ));
}

#[test]
fn attributes_after_integrity_are_ignored() {
    let key = Key::short_term("k");
    let mut buf = Vec::new();
    let mut enc = Encoder::new(
        &mut buf,
        MessageType::BINDING_REQUEST,
        TransactionId([3; 12]),
    );
    enc.add(&Attribute::Username("u")).unwrap();
    enc.add_integrity(&key);
    enc.add(&Attribute::Data(b"ignored")).unwrap();
    enc.add_raw(0x7FFE, b"unknown but ignored").unwrap();
    enc.add_integrity_sha256(&key);
    enc.add_fingerprint();
    enc.finish();
    let msg = Message::decode(&buf).unwrap();
    let types: Vec<u16> = msg.attributes().map(|a| a.typ).collect();
    assert_eq!(
        types,
        vec![
            types::USERNAME,
            types::MESSAGE_INTEGRITY,
            types::MESSAGE_INTEGRITY_SHA256,
            types::FINGERPRINT
        ]
    );
    assert_eq!(msg.raw(types::DATA), None);
    assert_eq!(msg.unknown_required().count(), 0);
    // MESSAGE-INTEGRITY-SHA256 is preferred and covers the ignored attributes too.
    msg.verify(&key).unwrap();
    assert_eq!(
        msg.verify(&Key::short_term("other")),
        Err(Error::BadIntegrity)
    );
}

#[test]
fn sha1_only_integrity_with_trailing_ignored_attribute() {
    let key = Key::short_term("k");
    let mut buf = Vec::new();
    let mut enc = Encoder::new(
        &mut buf,
        MessageType::BINDING_REQUEST,
        TransactionId([3; 12]),
    );
    enc.add(&Attribute::Username("u")).unwrap();
    enc.add_integrity(&key);
    enc.add(&Attribute::Software("after")).unwrap();
    enc.finish();
    let msg = Message::decode(&buf).unwrap();
    msg.verify(&key).unwrap();
    assert_eq!(msg.raw(types::SOFTWARE), None);
}

#[test]
fn unknown_comprehension_required_are_reported() {
    let mut buf = Vec::new();
    let mut enc = Encoder::new(
        &mut buf,
        MessageType::BINDING_REQUEST,
        TransactionId([3; 12]),
    );
    enc.add_raw(0x7FFF, b"x").unwrap();
    enc.add_raw(0xC057, b"goog-network-info").unwrap();
    enc.add_raw(0x0003, b"").unwrap(); // CHANGE-REQUEST (RFC 5780), not known here
    enc.finish();
    let msg = Message::decode(&buf).unwrap();
    assert_eq!(
        msg.unknown_required().collect::<Vec<_>>(),
        vec![0x7FFF, 0x0003]
    );
}

#[test]
fn error_display_is_stable() {
    assert_eq!(
        Error::BadIntegrity.to_string(),
        "MESSAGE-INTEGRITY mismatch"
    );
    assert_eq!(format!("{:?}", Key::short_term("secret")), "Key(..)");
}

// ---- property tests ------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Spec {
    Mapped(SocketAddr),
    XorMapped(SocketAddr),
    Username(String),
    UserHash([u8; 32]),
    ErrorCode(u16, String),
    Realm(String),
    Nonce(String),
    Algorithms(Vec<(u16, Vec<u8>)>),
    Algorithm(u16, Vec<u8>),
    Unknown(Vec<u16>),
    Software(String),
    Alternate(SocketAddr),
    Priority(u32),
    UseCandidate,
    Controlled(u64),
    Controlling(u64),
    Channel(u16),
    Lifetime(u32),
    XorPeer(SocketAddr),
    Data(Vec<u8>),
    XorRelayed(SocketAddr),
    ReqFamily(bool),
    EvenPort(bool),
    ReqTransport(u8),
    DontFragment,
    Token(u64),
    AddFamily(bool),
    AddrError(bool, u16, String),
    Icmp(u8, u8, u32),
    Other(u16, Vec<u8>),
}

fn family(v6: bool) -> AddressFamily {
    if v6 {
        AddressFamily::V6
    } else {
        AddressFamily::V4
    }
}

impl Spec {
    fn algorithms(&self) -> Vec<PasswordAlgorithm<'_>> {
        match self {
            Spec::Algorithms(list) => list
                .iter()
                .map(|(a, p)| PasswordAlgorithm {
                    algorithm: *a,
                    params: p,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn attr<'a>(&'a self, algs: &'a [PasswordAlgorithm<'a>]) -> Attribute<'a> {
        match self {
            Spec::Mapped(a) => Attribute::MappedAddress(*a),
            Spec::XorMapped(a) => Attribute::XorMappedAddress(*a),
            Spec::Username(s) => Attribute::Username(s),
            Spec::UserHash(h) => Attribute::UserHash(h),
            Spec::ErrorCode(c, r) => Attribute::ErrorCode {
                code: *c,
                reason: r,
            },
            Spec::Realm(s) => Attribute::Realm(s),
            Spec::Nonce(s) => Attribute::Nonce(s),
            Spec::Algorithms(_) => Attribute::PasswordAlgorithms(PasswordAlgorithms::new(algs)),
            Spec::Algorithm(a, p) => Attribute::PasswordAlgorithm(PasswordAlgorithm {
                algorithm: *a,
                params: p,
            }),
            Spec::Unknown(t) => Attribute::UnknownAttributes(UnknownAttributes::new(t)),
            Spec::Software(s) => Attribute::Software(s),
            Spec::Alternate(a) => Attribute::AlternateServer(*a),
            Spec::Priority(p) => Attribute::Priority(*p),
            Spec::UseCandidate => Attribute::UseCandidate,
            Spec::Controlled(t) => Attribute::IceControlled(*t),
            Spec::Controlling(t) => Attribute::IceControlling(*t),
            Spec::Channel(n) => Attribute::ChannelNumber(*n),
            Spec::Lifetime(l) => Attribute::Lifetime(*l),
            Spec::XorPeer(a) => Attribute::XorPeerAddress(*a),
            Spec::Data(d) => Attribute::Data(d),
            Spec::XorRelayed(a) => Attribute::XorRelayedAddress(*a),
            Spec::ReqFamily(v6) => Attribute::RequestedAddressFamily(family(*v6)),
            Spec::EvenPort(r) => Attribute::EvenPort(*r),
            Spec::ReqTransport(p) => Attribute::RequestedTransport(*p),
            Spec::DontFragment => Attribute::DontFragment,
            Spec::Token(t) => Attribute::ReservationToken(*t),
            Spec::AddFamily(v6) => Attribute::AdditionalAddressFamily(family(*v6)),
            Spec::AddrError(v6, c, r) => Attribute::AddressErrorCode {
                family: family(*v6),
                code: *c,
                reason: r,
            },
            Spec::Icmp(t, c, d) => Attribute::Icmp {
                icmp_type: *t,
                icmp_code: *c,
                error_data: *d,
            },
            Spec::Other(t, v) => Attribute::Other { typ: *t, value: v },
        }
    }
}

fn addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

fn text() -> impl Strategy<Value = String> {
    ".{0,40}"
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..40)
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        addr().prop_map(Spec::Mapped),
        addr().prop_map(Spec::XorMapped),
        text().prop_map(Spec::Username),
        any::<[u8; 32]>().prop_map(Spec::UserHash),
        (300u16..700, text()).prop_map(|(c, r)| Spec::ErrorCode(c, r)),
        text().prop_map(Spec::Realm),
        text().prop_map(Spec::Nonce),
        proptest::collection::vec((any::<u16>(), bytes()), 0..4).prop_map(Spec::Algorithms),
        (any::<u16>(), bytes()).prop_map(|(a, p)| Spec::Algorithm(a, p)),
        proptest::collection::vec(any::<u16>(), 0..8).prop_map(Spec::Unknown),
        text().prop_map(Spec::Software),
        addr().prop_map(Spec::Alternate),
        any::<u32>().prop_map(Spec::Priority),
        Just(Spec::UseCandidate),
        any::<u64>().prop_map(Spec::Controlled),
        any::<u64>().prop_map(Spec::Controlling),
        any::<u16>().prop_map(Spec::Channel),
        any::<u32>().prop_map(Spec::Lifetime),
        addr().prop_map(Spec::XorPeer),
        bytes().prop_map(Spec::Data),
        addr().prop_map(Spec::XorRelayed),
        any::<bool>().prop_map(Spec::ReqFamily),
        any::<bool>().prop_map(Spec::EvenPort),
        any::<u8>().prop_map(Spec::ReqTransport),
        Just(Spec::DontFragment),
        any::<u64>().prop_map(Spec::Token),
        any::<bool>().prop_map(Spec::AddFamily),
        (any::<bool>(), 300u16..700, text()).prop_map(|(f, c, r)| Spec::AddrError(f, c, r)),
        (any::<u8>(), any::<u8>(), any::<u32>()).prop_map(|(t, c, d)| Spec::Icmp(t, c, d)),
        (
            any::<u16>().prop_filter("unknown type", |t| !is_known(*t)),
            bytes()
        )
            .prop_map(|(t, v)| Spec::Other(t, v)),
    ]
}

fn class() -> impl Strategy<Value = Class> {
    prop_oneof![
        Just(Class::Request),
        Just(Class::Indication),
        Just(Class::Success),
        Just(Class::Error)
    ]
}

proptest! {
    #[test]
    fn encoded_messages_decode_to_the_same_attributes(
        specs in proptest::collection::vec(spec(), 0..10),
        method in 0u16..0x1000,
        class in class(),
        tid in any::<[u8; 12]>(),
        integrity in 0u8..4,
        fingerprint in any::<bool>(),
        password in "[a-zA-Z0-9]{0,30}",
    ) {
        let algs: Vec<Vec<PasswordAlgorithm<'_>>> = specs.iter().map(Spec::algorithms).collect();
        let attrs: Vec<Attribute<'_>> =
            specs.iter().zip(&algs).map(|(s, a)| s.attr(a)).collect();
        let key = Key::short_term(&password);
        let typ = MessageType::new(Method(method), class);
        let mut buf = vec![0xAA; 3]; // the encoder appends after existing bytes
        let mut enc = Encoder::new(&mut buf, typ, TransactionId(tid));
        for a in &attrs {
            enc.add(a).unwrap();
        }
        if integrity & 1 != 0 {
            enc.add_integrity(&key);
        }
        if integrity & 2 != 0 {
            enc.add_integrity_sha256(&key);
        }
        if fingerprint {
            enc.add_fingerprint();
        }
        let len = enc.finish();
        prop_assert_eq!(len, buf.len() - 3);
        let bytes = &buf[3..];
        // RFC 7983 keeps first bytes 0..=3 for STUN: methods below 0x100.
        prop_assert_eq!(is_stun(bytes), method < 0x100);
        prop_assert_eq!(frame_len(bytes), Ok(bytes.len()));

        let msg = Message::decode(bytes).unwrap();
        prop_assert_eq!(msg.typ(), typ);
        prop_assert_eq!(msg.transaction_id(), TransactionId(tid));
        prop_assert_eq!(msg.has_fingerprint(), fingerprint);
        let decoded: Vec<Attribute<'_>> = msg
            .typed()
            .map(Result::unwrap)
            .filter(|a| {
                !matches!(
                    a,
                    Attribute::MessageIntegrity(_)
                        | Attribute::MessageIntegritySha256(_)
                        | Attribute::Fingerprint(_)
                )
            })
            .collect();
        prop_assert_eq!(decoded, attrs);
        if integrity != 0 {
            prop_assert_eq!(msg.verify(&key), Ok(()));
            let other = Key::short_term(&format!("{password}x"));
            prop_assert_eq!(msg.verify(&other), Err(Error::BadIntegrity));
        } else {
            prop_assert_eq!(msg.verify(&key), Err(Error::NoIntegrity));
        }
    }

    #[test]
    fn decode_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(msg) = Message::decode(&data) {
            for a in msg.typed() {
                let _ = a;
            }
            let _ = msg.verify(&Key::short_term("k"));
            let _ = msg.unknown_required().count();
        }
        let _ = ChannelData::decode(&data);
        let _ = frame_len(&data);
        let _ = is_stun(&data);
    }

    #[test]
    fn mutated_vectors_never_panic(idx in 0usize..4, pos in any::<usize>(), bit in 0u8..8, cut in any::<usize>()) {
        let vectors = [SAMPLE_REQUEST, SAMPLE_IPV4_RESPONSE, SAMPLE_IPV6_RESPONSE, SAMPLE_LONG_TERM];
        let mut buf = hex(vectors[idx]);
        let n = buf.len();
        buf[pos % n] ^= 1 << bit;
        buf.truncate(cut % (n + 1));
        if let Ok(msg) = Message::decode(&buf) {
            for a in msg.typed() {
                let _ = a;
            }
            let _ = msg.verify(&Key::short_term(SHORT_TERM_PASSWORD));
        }
    }

    #[test]
    fn channel_data_round_trips(channel in 0x4000u16..=0x4FFF, data in bytes(), pad in any::<bool>()) {
        let mut out = Vec::new();
        let cd = ChannelData { channel, data: &data };
        let n = cd.encode(&mut out, pad).unwrap();
        prop_assert_eq!(n, out.len());
        prop_assert_eq!(frame_len(&out).unwrap() >= n, true);
        prop_assert_eq!(ChannelData::decode(&out), Ok(cd));
    }
}

#[test]
fn many_attributes_are_read_past_the_decode_index() {
    let mut buf = Vec::new();
    let mut enc = Encoder::new(
        &mut buf,
        MessageType::BINDING_REQUEST,
        TransactionId([4; 12]),
    );
    for i in 0..12u32 {
        enc.add(&Attribute::Lifetime(i)).unwrap();
    }
    enc.add_fingerprint();
    enc.finish();
    let msg = Message::decode(&buf).unwrap();
    let lifetimes: Vec<u32> = msg
        .typed()
        .filter_map(|a| match a.unwrap() {
            Attribute::Lifetime(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(lifetimes, (0..12).collect::<Vec<_>>());
    assert_eq!(msg.attributes().count(), 13);
    assert!(matches!(
        msg.get(types::FINGERPRINT),
        Some(Ok(Attribute::Fingerprint(_)))
    ));
}

proptest! {
    /// The hand-driven HMAC-SHA1 equals RustCrypto's `Hmac<Sha1>` for any key and split.
    #[test]
    fn hmac_sha1_matches_the_hmac_crate(
        key in proptest::collection::vec(any::<u8>(), 0..150),
        msg in proptest::collection::vec(any::<u8>(), 0..300),
        cut1 in any::<usize>(),
        cut2 in any::<usize>(),
    ) {
        use hmac::{Hmac, Mac};
        let mut reference = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
        reference.update(&msg);
        let expected = reference.finalize().into_bytes();
        let a = cut1 % (msg.len() + 1);
        let b = a + cut2 % (msg.len() - a + 1);
        let ours = crate::key::HmacSha1::new(&key).mac(&[&msg[..a], &msg[a..b], &msg[b..]]);
        prop_assert_eq!(&ours[..], &expected[..]);
    }
}
