//! RTP view and builder: hand-built packets, one test per error, and round-trip properties.

use proptest::prelude::*;

use crate::*;

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}

// V=2 X=1 CC=1, M=1 PT=111, seq 0x1234, ts 0xdeadbeef, SSRC 0x11223344, CSRC 0x55667788,
// a one-byte extension (RFC 8285 §4.2) with id 1 (1 byte) and id 2 (3 bytes) and two bytes of
// padding to the word, then the payload "hi".
const ONE_BYTE_PACKET: &str = "
    91 ef 12 34  de ad be ef  11 22 33 44  55 66 77 88
    be de 00 02  10 ab 22 01  02 03 00 00
    68 69";

#[test]
fn builder_writes_the_hand_built_one_byte_packet() {
    let mut buf = vec![0xff]; // something already in the buffer stays
    let n = RtpPacketBuilder::new(111, 0x1234, 0xdead_beef, 0x1122_3344)
        .marker(true)
        .csrcs(&[0x5566_7788])
        .extension(1, &[0xab])
        .extension(2, &[1, 2, 3])
        .payload(b"hi")
        .write(&mut buf)
        .unwrap();
    assert_eq!(&buf[1..], hex(ONE_BYTE_PACKET).as_slice());
    assert_eq!(n, buf.len() - 1);
}

#[test]
fn parses_every_field_of_the_hand_built_packet() {
    let bytes = hex(ONE_BYTE_PACKET);
    let p = RtpPacket::parse(&bytes).unwrap();
    assert_eq!(p.version(), 2);
    assert!(!p.has_padding());
    assert!(p.has_extension());
    assert_eq!(p.csrc_count(), 1);
    assert!(p.marker());
    assert_eq!(p.payload_type(), 111);
    assert_eq!(p.sequence_number(), 0x1234);
    assert_eq!(p.timestamp(), 0xdead_beef);
    assert_eq!(p.ssrc(), 0x1122_3344);
    assert_eq!(p.csrcs().collect::<Vec<_>>(), vec![0x5566_7788]);
    let ext = p.extension().unwrap();
    assert_eq!(ext.profile(), 0xbede);
    assert_eq!(ext.form(), ExtensionForm::OneByte);
    assert_eq!(ext.data(), &hex("10 ab 22 01 02 03 00 00")[..]);
    let elems: Vec<_> = p.extensions().collect();
    assert_eq!(
        elems,
        vec![
            Extension {
                id: 1,
                data: &[0xab]
            },
            Extension {
                id: 2,
                data: &[1, 2, 3]
            }
        ]
    );
    assert_eq!(p.header_len(), 28);
    assert_eq!(p.payload(), b"hi");
    assert_eq!(p.padding_len(), 0);
}

#[test]
fn two_byte_form_is_chosen_for_long_elements_and_high_ids() {
    let long = [7u8; 17];
    let mut buf = Vec::new();
    RtpPacketBuilder::new(96, 1, 2, 3)
        .extension(1, &long)
        .write(&mut buf)
        .unwrap();
    // 0x1000, 5 words: id 1, len 17, 17 bytes, 1 byte of padding.
    let mut want = hex("90 60 00 01 00 00 00 02 00 00 00 03 10 00 00 05 01 11");
    want.extend_from_slice(&long);
    want.push(0);
    assert_eq!(buf, want);

    buf.clear();
    RtpPacketBuilder::new(96, 1, 2, 3)
        .extension(15, &[9])
        .extension(200, &[])
        .write(&mut buf)
        .unwrap();
    assert_eq!(
        buf,
        hex("90 60 00 01 00 00 00 02 00 00 00 03 10 00 00 02 0f 01 09 c8 00 00 00 00")
    );
    let p = RtpPacket::parse(&buf).unwrap();
    assert_eq!(p.extension().unwrap().form(), ExtensionForm::TwoByte(0));
    let elems: Vec<_> = p.extensions().collect();
    assert_eq!(
        elems,
        vec![
            Extension { id: 15, data: &[9] },
            Extension { id: 200, data: &[] }
        ]
    );
}

#[test]
fn two_byte_form_can_be_forced_and_appbits_are_reported() {
    let mut buf = Vec::new();
    RtpPacketBuilder::new(96, 1, 2, 3)
        .two_byte_extensions(true)
        .extension(1, &[5])
        .write(&mut buf)
        .unwrap();
    assert_eq!(&buf[12..20], &hex("10 00 00 01 01 01 05 00")[..]);
    buf[13] = 0x0a; // appbits 0xa
    let p = RtpPacket::parse(&buf).unwrap();
    assert_eq!(p.extension().unwrap().form(), ExtensionForm::TwoByte(0xa));
    assert_eq!(p.extensions().next(), Some(Extension { id: 1, data: &[5] }));
}

#[test]
fn padding_is_written_and_stripped() {
    let mut buf = Vec::new();
    RtpPacketBuilder::new(0, 0, 0, 0)
        .payload(&[1, 2, 3])
        .padding(4)
        .write(&mut buf)
        .unwrap();
    assert_eq!(buf[0], 0xa0);
    assert_eq!(&buf[12..], &[1, 2, 3, 0, 0, 0, 4]);
    let p = RtpPacket::parse(&buf).unwrap();
    assert!(p.has_padding());
    assert_eq!(p.padding_len(), 4);
    assert_eq!(p.payload(), &[1, 2, 3]);
}

#[test]
fn padding_may_cover_the_whole_payload() {
    let bytes = hex("a0 00 00 00 00 00 00 00 00 00 00 00 00 00 03");
    let p = RtpPacket::parse(&bytes).unwrap();
    assert_eq!(p.payload(), b"");
    assert_eq!(p.padding_len(), 3);
}

#[test]
fn one_byte_padding_between_elements_is_skipped_and_id_15_stops() {
    // id 1 (1 byte), a padding byte, id 3 (2 bytes), then id 15 and junk that is not read.
    let bytes = hex("90 00 00 00 00 00 00 00 00 00 00 00 be de 00 02 10 aa 00 31 bb cc f0 ff");
    let p = RtpPacket::parse(&bytes).unwrap();
    let elems: Vec<_> = p.extensions().collect();
    assert_eq!(
        elems,
        vec![
            Extension {
                id: 1,
                data: &[0xaa]
            },
            Extension {
                id: 3,
                data: &[0xbb, 0xcc]
            }
        ]
    );
}

#[test]
fn other_profiles_are_opaque() {
    let mut buf = Vec::new();
    RtpPacketBuilder::new(8, 1, 2, 3)
        .raw_extension(0xabcd, &[1, 2, 3, 4])
        .payload(&[9])
        .write(&mut buf)
        .unwrap();
    assert_eq!(
        buf,
        hex("90 08 00 01 00 00 00 02 00 00 00 03 ab cd 00 01 01 02 03 04 09")
    );
    let p = RtpPacket::parse(&buf).unwrap();
    let ext = p.extension().unwrap();
    assert_eq!((ext.profile(), ext.form()), (0xabcd, ExtensionForm::Other));
    assert_eq!(ext.data(), &[1, 2, 3, 4]);
    assert_eq!(p.extensions().count(), 0);
    assert_eq!(p.payload(), &[9]);
}

// ---- errors, one per variant and cause ----

#[test]
fn shorter_than_the_fixed_header_is_truncated() {
    let bytes = hex("80 00 00 00 00 00 00 00 00 00 00");
    assert_eq!(
        RtpPacket::parse(&bytes),
        Err(Error::Truncated {
            needed: 12,
            remaining: 11
        })
    );
    assert!(matches!(
        RtpPacket::parse(&[]),
        Err(Error::Truncated { .. })
    ));
}

#[test]
fn missing_csrcs_are_truncated() {
    let bytes = hex("82 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01");
    assert_eq!(
        RtpPacket::parse(&bytes),
        Err(Error::Truncated {
            needed: 8,
            remaining: 4
        })
    );
}

#[test]
fn extension_length_that_lies_is_truncated() {
    let bytes = hex("90 00 00 00 00 00 00 00 00 00 00 00 be de 00 02 10 aa 00 00");
    assert_eq!(
        RtpPacket::parse(&bytes),
        Err(Error::Truncated {
            needed: 8,
            remaining: 4
        })
    );
}

#[test]
fn version_other_than_two_is_rejected() {
    let bytes = hex("40 00 00 00 00 00 00 00 00 00 00 00");
    assert_eq!(RtpPacket::parse(&bytes), Err(Error::BadVersion(1)));
    let bytes = hex("c0 00 00 00 00 00 00 00 00 00 00 00");
    assert_eq!(RtpPacket::parse(&bytes), Err(Error::BadVersion(3)));
}

#[test]
fn zero_padding_count_is_rejected() {
    let bytes = hex("a0 00 00 00 00 00 00 00 00 00 00 00 01 00");
    assert_eq!(
        RtpPacket::parse(&bytes),
        Err(Error::BadPadding {
            padding: 0,
            available: 2
        })
    );
    // P set and nothing after the header at all.
    let bytes = hex("a0 00 00 00 00 00 00 00 00 00 00 00");
    assert_eq!(
        RtpPacket::parse(&bytes),
        Err(Error::BadPadding {
            padding: 0,
            available: 0
        })
    );
}

#[test]
fn padding_larger_than_payload_is_rejected() {
    let bytes = hex("a0 00 00 00 00 00 00 00 00 00 00 00 01 02 04");
    assert_eq!(
        RtpPacket::parse(&bytes),
        Err(Error::BadPadding {
            padding: 4,
            available: 3
        })
    );
}

#[test]
fn one_byte_element_overrunning_the_extension_is_bad() {
    // id 1 claims 4 bytes, only 3 follow in the word.
    let bytes = hex("90 00 00 00 00 00 00 00 00 00 00 00 be de 00 01 13 aa bb cc");
    assert!(matches!(
        RtpPacket::parse(&bytes),
        Err(Error::BadExtension(_))
    ));
}

#[test]
fn two_byte_element_overrunning_the_extension_is_bad() {
    let bytes = hex("90 00 00 00 00 00 00 00 00 00 00 00 10 00 00 01 01 05 aa bb");
    assert!(matches!(
        RtpPacket::parse(&bytes),
        Err(Error::BadExtension(_))
    ));
    // An id as the last byte, with no length byte.
    let bytes = hex("90 00 00 00 00 00 00 00 00 00 00 00 10 00 00 01 00 00 00 07");
    assert!(matches!(
        RtpPacket::parse(&bytes),
        Err(Error::BadExtension(_))
    ));
}

#[test]
fn builder_rejects_what_the_wire_cannot_carry_and_leaves_the_buffer() {
    let mut buf = vec![1, 2, 3];
    let b = RtpPacketBuilder::new(128, 0, 0, 0);
    assert!(matches!(b.write(&mut buf), Err(Error::Unencodable(_))));
    let csrcs = [0u32; 16];
    let b = RtpPacketBuilder::new(0, 0, 0, 0).csrcs(&csrcs);
    assert!(matches!(b.write(&mut buf), Err(Error::Unencodable(_))));
    let mut b = RtpPacketBuilder::new(0, 0, 0, 0);
    for id in 1..=17 {
        b = b.extension(id, &[0]);
    }
    assert!(matches!(b.write(&mut buf), Err(Error::Unencodable(_))));
    let big = [0u8; 256];
    let b = RtpPacketBuilder::new(0, 0, 0, 0).extension(1, &big);
    assert!(matches!(b.write(&mut buf), Err(Error::Unencodable(_))));
    let b = RtpPacketBuilder::new(0, 0, 0, 0).extension(0, &[]);
    assert!(matches!(b.write(&mut buf), Err(Error::Unencodable(_))));
    let b = RtpPacketBuilder::new(0, 0, 0, 0).raw_extension(1, &[1, 2, 3]);
    assert!(matches!(b.write(&mut buf), Err(Error::Unencodable(_))));
    assert_eq!(buf, vec![1, 2, 3]);
}

// ---- typed extensions ----

fn webrtc_map() -> ExtensionMap {
    let mut map = ExtensionMap::new();
    for (id, uri) in [
        (1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
        (
            2,
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        ),
        (
            3,
            "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        ),
        (4, "urn:ietf:params:rtp-hdrext:sdes:mid"),
        (10, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"),
        (11, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"),
        (13, "urn:3gpp:video-orientation"),
        (
            14,
            "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        ),
    ] {
        let kind = ExtensionKind::from_uri(uri).unwrap();
        assert_eq!(kind.uri(), uri);
        map.insert(id, kind);
    }
    map
}

#[test]
fn typed_extensions_decode_from_their_bytes() {
    let map = webrtc_map();
    let mut buf = Vec::new();
    RtpPacketBuilder::new(96, 0, 0, 0)
        .extension(1, &[0x80 | 42])
        .extension(2, &[0x12, 0x34, 0x56])
        .extension(3, &[0xab, 0xcd])
        .extension(4, b"audio")
        .extension(10, b"hi")
        .extension(11, b"lo")
        .extension(13, &[0b0000_1101])
        .extension(14, &[0x01, 0x23, 0x45])
        .write(&mut buf)
        .unwrap();
    let p = RtpPacket::parse(&buf).unwrap();
    assert_eq!(
        p.audio_level(&map),
        Some(AudioLevel {
            voice: true,
            level: 42
        })
    );
    assert_eq!(p.abs_send_time(&map), Some(0x12_3456));
    assert_eq!(p.transport_cc(&map), Some(0xabcd));
    assert_eq!(p.mid(&map), Some("audio"));
    assert_eq!(p.rid(&map), Some("hi"));
    assert_eq!(p.repaired_rid(&map), Some("lo"));
    let o = p.video_orientation(&map).unwrap();
    assert_eq!(
        o,
        VideoOrientation {
            back_camera: true,
            flip: true,
            rotation: 1
        }
    );
    assert_eq!(o.degrees(), 90);
    assert_eq!(
        p.playout_delay(&map),
        Some(PlayoutDelay {
            min: 0x012,
            max: 0x345
        })
    );
    // An unmapped id reads as absent.
    assert_eq!(p.mid(&ExtensionMap::new()), None);
}

#[test]
fn typed_values_encode_to_the_same_bytes() {
    let values = [
        (
            ExtensionValue::AudioLevel(AudioLevel {
                voice: true,
                level: 42,
            }),
            vec![0xaa],
        ),
        (
            ExtensionValue::AbsSendTime(0x12_3456),
            vec![0x12, 0x34, 0x56],
        ),
        (ExtensionValue::TransportCc(0xabcd), vec![0xab, 0xcd]),
        (ExtensionValue::Mid("audio"), b"audio".to_vec()),
        (
            ExtensionValue::VideoOrientation(VideoOrientation {
                back_camera: false,
                flip: true,
                rotation: 3,
            }),
            vec![0x07],
        ),
        (
            ExtensionValue::PlayoutDelay(PlayoutDelay {
                min: 0x012,
                max: 0x345,
            }),
            vec![0x01, 0x23, 0x45],
        ),
    ];
    for (value, bytes) in values {
        let mut out = Vec::new();
        value.encode(&mut out);
        assert_eq!(out, bytes, "{value:?}");
        assert_eq!(value.encoded_len(), bytes.len());
        assert_eq!(ExtensionValue::decode(value.kind(), &bytes), Ok(value));
    }
}

#[test]
fn malformed_typed_values_are_errors_and_read_as_absent() {
    let map = webrtc_map();
    let mut buf = Vec::new();
    RtpPacketBuilder::new(96, 0, 0, 0)
        .extension(3, &[1, 2, 3])
        .extension(4, &[0xff, 0xfe])
        .extension(2, &[1])
        .write(&mut buf)
        .unwrap();
    let p = RtpPacket::parse(&buf).unwrap();
    assert!(matches!(
        p.extension_value(&map, ExtensionKind::TransportCc),
        Some(Err(Error::BadExtension(_)))
    ));
    assert_eq!(p.transport_cc(&map), None);
    assert!(matches!(
        p.extension_value(&map, ExtensionKind::Mid),
        Some(Err(Error::BadExtension(_)))
    ));
    assert_eq!(p.mid(&map), None);
    assert_eq!(p.abs_send_time(&map), None);
    assert_eq!(p.extension_value(&map, ExtensionKind::Rid), None);
    assert!(ExtensionValue::decode(ExtensionKind::Rid, &[]).is_err());
}

#[test]
fn extension_map_ignores_id_zero_and_finds_ids() {
    let mut map = ExtensionMap::new();
    map.insert(0, ExtensionKind::Mid);
    assert_eq!(map.kind(0), None);
    assert_eq!(map.id(ExtensionKind::Mid), None);
    map.insert(255, ExtensionKind::Mid);
    map.insert(9, ExtensionKind::Mid);
    assert_eq!(map.id(ExtensionKind::Mid), Some(9));
    map.remove(9);
    assert_eq!(map.id(ExtensionKind::Mid), Some(255));
    assert_eq!(ExtensionKind::from_uri("urn:x"), None);
}

// ---- properties ----

#[derive(Debug, Clone)]
struct Spec {
    marker: bool,
    pt: u8,
    seq: u16,
    ts: u32,
    ssrc: u32,
    csrcs: Vec<u32>,
    exts: Vec<(u8, Vec<u8>)>,
    two_byte: bool,
    payload: Vec<u8>,
    padding: u8,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<bool>(),
        0u8..128,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        proptest::collection::vec(any::<u32>(), 0..16),
        proptest::collection::vec(
            (1u8..=255, proptest::collection::vec(any::<u8>(), 0..40)),
            0..=MAX_BUILDER_EXTENSIONS,
        ),
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..300),
        any::<u8>(),
    )
        .prop_map(
            |(marker, pt, seq, ts, ssrc, csrcs, exts, two_byte, payload, padding)| Spec {
                marker,
                pt,
                seq,
                ts,
                ssrc,
                csrcs,
                exts,
                two_byte,
                payload,
                padding,
            },
        )
}

proptest! {
    #[test]
    fn built_packets_parse_to_the_same_fields(s in spec()) {
        let mut b = RtpPacketBuilder::new(s.pt, s.seq, s.ts, s.ssrc)
            .marker(s.marker)
            .csrcs(&s.csrcs)
            .two_byte_extensions(s.two_byte)
            .payload(&s.payload)
            .padding(s.padding);
        for (id, d) in &s.exts {
            b = b.extension(*id, d);
        }
        let mut buf = Vec::new();
        let n = b.write(&mut buf).unwrap();
        prop_assert_eq!(n, buf.len());
        let p = RtpPacket::parse(&buf).unwrap();
        prop_assert_eq!(p.marker(), s.marker);
        prop_assert_eq!(p.payload_type(), s.pt);
        prop_assert_eq!(p.sequence_number(), s.seq);
        prop_assert_eq!(p.timestamp(), s.ts);
        prop_assert_eq!(p.ssrc(), s.ssrc);
        prop_assert_eq!(p.csrcs().collect::<Vec<_>>(), s.csrcs.clone());
        let got: Vec<(u8, Vec<u8>)> = p.extensions().map(|e| (e.id, e.data.to_vec())).collect();
        prop_assert_eq!(got, s.exts.clone());
        let one_byte = !s.two_byte && !s.exts.is_empty()
            && s.exts.iter().all(|(id, d)| *id <= 14 && (1..=16).contains(&d.len()));
        prop_assert_eq!(
            p.extension().map(|e| e.form() == ExtensionForm::OneByte),
            (!s.exts.is_empty()).then_some(one_byte)
        );
        prop_assert_eq!(p.payload(), &s.payload[..]);
        prop_assert_eq!(p.padding_len(), s.padding);
        prop_assert_eq!(p.header_len() + s.payload.len() + usize::from(s.padding), buf.len());

        // Every target gets the same bytes; `len` agrees; a short slice gets nothing.
        prop_assert_eq!(b.encoded_len(), Ok(n));
        let mut bm = bytes::BytesMut::from(&b"xy"[..]);
        prop_assert_eq!(b.write(&mut bm), Ok(n));
        prop_assert_eq!(&bm[..2], b"xy");
        prop_assert_eq!(&bm[2..], &buf[..]);
        let mut slice = vec![0xAAu8; n + 3];
        prop_assert_eq!(b.write_to_slice(&mut slice), Ok(n));
        prop_assert_eq!(&slice[..n], &buf[..]);
        prop_assert_eq!(&slice[n..], &[0xAA; 3]);
        let mut short = vec![0xAAu8; n - 1];
        prop_assert_eq!(
            b.write_to_slice(&mut short),
            Err(Error::BufferTooSmall { needed: n, available: n - 1 })
        );
        prop_assert!(short.iter().all(|&x| x == 0xAA));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        if let Ok(p) = RtpPacket::parse(&bytes) {
            let _ = p.extensions().count();
            let _ = p.csrcs().count();
            prop_assert!(p.header_len() + p.payload().len() + usize::from(p.padding_len()) == bytes.len());
        }
    }
}
