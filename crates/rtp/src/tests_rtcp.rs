//! RTCP: hand-built packets per type, compound iteration, one test per error, round trips.

use proptest::prelude::*;

use crate::*;

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}

fn only(buf: &[u8]) -> RtcpPacket<'_> {
    let mut it = RtcpPackets::new(buf);
    let p = it.next().unwrap().unwrap();
    assert!(it.next().is_none());
    p
}

const BLOCK: ReportBlock = ReportBlock {
    ssrc: 0x5566_7788,
    fraction_lost: 0x10,
    cumulative_lost: -2,
    extended_highest_seq: 0x0001_0203,
    jitter: 0x20,
    last_sr: 0xccdd_1122,
    delay_since_last_sr: 0x0001_8000,
};
const BLOCK_HEX: &str =
    "55 66 77 88  10 ff ff fe  00 01 02 03  00 00 00 20  cc dd 11 22  00 01 80 00";

#[test]
fn sender_report_matches_rfc3550_layout() {
    // RFC 3550 §6.4.1: V=2 P=0 RC=1 PT=200 length=12, sender info, one report block.
    let want = hex(&format!(
        "81 c8 00 0c  11 22 33 44  aa bb cc dd 11 22 33 44  00 00 03 e8  00 00 00 05  00 00 01 f4 {BLOCK_HEX}"
    ));
    let mut buf = Vec::new();
    let n = SenderReportBuilder {
        ssrc: 0x1122_3344,
        ntp_timestamp: 0xaabb_ccdd_1122_3344,
        rtp_timestamp: 1000,
        packet_count: 5,
        octet_count: 500,
        reports: &[BLOCK],
        extension: &[],
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(buf, want);
    assert_eq!(n, 52);
    let RtcpPacket::SenderReport(sr) = only(&buf) else {
        panic!("not an SR")
    };
    assert_eq!(sr.ssrc, 0x1122_3344);
    assert_eq!(sr.ntp_timestamp, 0xaabb_ccdd_1122_3344);
    assert_eq!(sr.rtp_timestamp, 1000);
    assert_eq!((sr.packet_count, sr.octet_count), (5, 500));
    assert_eq!(sr.reports().collect::<Vec<_>>(), vec![BLOCK]);
    assert_eq!(sr.extension, b"");
}

#[test]
fn receiver_report_reads_blocks_and_profile_extension() {
    let bytes = hex(&format!(
        "82 c9 00 0e 11 22 33 44 {BLOCK_HEX} {BLOCK_HEX} de ad be ef"
    ));
    let RtcpPacket::ReceiverReport(rr) = only(&bytes) else {
        panic!("not an RR")
    };
    assert_eq!(rr.ssrc, 0x1122_3344);
    let blocks = rr.reports();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks.collect::<Vec<_>>(), vec![BLOCK, BLOCK]);
    assert_eq!(rr.extension, &[0xde, 0xad, 0xbe, 0xef]);
    let mut buf = Vec::new();
    ReceiverReportBuilder {
        ssrc: 0x1122_3344,
        reports: &[BLOCK, BLOCK],
        extension: &[0xde, 0xad, 0xbe, 0xef],
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(buf, bytes);
}

#[test]
fn sdes_cname_chunk_is_null_terminated_and_padded() {
    // RFC 3550 §6.5: SSRC, CNAME "abc", a null octet, then nulls to the word.
    let want = hex("81 ca 00 03 11 22 33 44 01 03 61 62 63 00 00 00");
    let items = [SdesItem {
        kind: SDES_CNAME,
        value: b"abc",
    }];
    let mut buf = Vec::new();
    SdesBuilder {
        chunks: &[(0x1122_3344, &items)],
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(buf, want);
    let RtcpPacket::Sdes(sdes) = only(&buf) else {
        panic!("not SDES")
    };
    let chunks: Vec<_> = sdes.chunks().collect();
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].ssrc, 0x1122_3344);
    assert_eq!(chunks[0].items().collect::<Vec<_>>(), items.to_vec());
}

#[test]
fn sdes_chunk_ending_on_a_word_gets_a_whole_null_word() {
    // Items fill 6 bytes after the SSRC; the terminator needs 2 more... make them fill 8:
    // CNAME of 6 bytes -> 2 + 6 = 8, so the null octet starts a new word padded to 4.
    let items = [SdesItem {
        kind: 1,
        value: b"abcdef",
    }];
    let mut buf = Vec::new();
    SdesBuilder {
        chunks: &[(1, &items)],
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(
        buf,
        hex("81 ca 00 04 00 00 00 01 01 06 61 62 63 64 65 66 00 00 00 00")
    );
    assert!(matches!(only(&buf), RtcpPacket::Sdes(_)));
}

#[test]
fn sdes_chunk_padding_contents_are_not_checked() {
    // webrtc-rs ends the padding with its length, like RTP padding, instead of a null octet.
    let bytes = hex("81 ca 00 03 12 34 56 78 01 02 61 61 00 00 00 03");
    let RtcpPacket::Sdes(sdes) = only(&bytes) else {
        panic!("not SDES")
    };
    let chunk = sdes.chunks().next().unwrap();
    assert_eq!(chunk.ssrc, 0x1234_5678);
    assert_eq!(
        chunk.items().collect::<Vec<_>>(),
        vec![SdesItem {
            kind: 1,
            value: b"aa"
        }]
    );
}

#[test]
fn bye_with_reason() {
    let want = hex("81 cb 00 02 11 22 33 44 03 62 79 65");
    let mut buf = Vec::new();
    ByeBuilder {
        ssrcs: &[0x1122_3344],
        reason: Some(b"bye"),
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(buf, want);
    let RtcpPacket::Bye(bye) = only(&buf) else {
        panic!("not BYE")
    };
    assert_eq!(bye.ssrcs().collect::<Vec<_>>(), vec![0x1122_3344]);
    assert_eq!(bye.reason, Some(&b"bye"[..]));
    // SC=0 with no reason is a header-only packet, valid if useless (RFC 3550 §6.6).
    let empty = hex("80 cb 00 00");
    let RtcpPacket::Bye(bye) = only(&empty) else {
        panic!("not BYE")
    };
    assert_eq!((bye.ssrcs().len(), bye.reason), (0, None));
}

#[test]
fn app_packet() {
    let want = hex("83 cc 00 03 11 22 33 44 74 65 73 74 01 02 03 04");
    let app = App {
        subtype: 3,
        ssrc: 0x1122_3344,
        name: *b"test",
        data: &[1, 2, 3, 4],
    };
    let mut buf = Vec::new();
    app.write(&mut buf).unwrap();
    assert_eq!(buf, want);
    assert_eq!(only(&buf), RtcpPacket::App(app));
}

#[test]
fn generic_nack_packs_runs_into_pid_and_blp() {
    // RFC 4585 §6.2.1: 100 lost, BLP bit 0 = 101, bit 15 = 116; then 200 alone.
    let want = hex("81 cd 00 04 00 00 00 01 00 00 00 02 00 64 80 01 00 c8 00 00");
    let mut buf = Vec::new();
    NackBuilder {
        sender_ssrc: 1,
        media_ssrc: 2,
        lost: &[100, 101, 116, 200],
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(buf, want);
    let RtcpPacket::Nack(nack) = only(&buf) else {
        panic!("not NACK")
    };
    assert_eq!((nack.sender_ssrc, nack.media_ssrc), (1, 2));
    assert_eq!(
        nack.pairs().collect::<Vec<_>>(),
        vec![
            NackPair {
                pid: 100,
                blp: 0x8001
            },
            NackPair { pid: 200, blp: 0 }
        ]
    );
    assert_eq!(nack.lost().collect::<Vec<_>>(), vec![100, 101, 116, 200]);
}

#[test]
fn nack_expansion_wraps_around() {
    let p = NackPair {
        pid: 65534,
        blp: 0b11,
    };
    assert_eq!(p.lost().collect::<Vec<_>>(), vec![65534, 65535, 0]);
}

#[test]
fn pli_fir_and_remb() {
    let mut buf = Vec::new();
    Pli {
        sender_ssrc: 1,
        media_ssrc: 2,
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(buf, hex("81 ce 00 02 00 00 00 01 00 00 00 02"));
    assert_eq!(
        only(&buf),
        RtcpPacket::Pli(Pli {
            sender_ssrc: 1,
            media_ssrc: 2
        })
    );

    // RFC 5104 §4.3.1.1: SSRC, seq nr, 24 reserved bits; the media SSRC field is 0.
    buf.clear();
    FirBuilder {
        sender_ssrc: 1,
        entries: &[FirEntry { ssrc: 9, seq: 7 }],
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(
        buf,
        hex("84 ce 00 04 00 00 00 01 00 00 00 00 00 00 00 09 07 00 00 00")
    );
    let RtcpPacket::Fir(fir) = only(&buf) else {
        panic!("not FIR")
    };
    assert_eq!(
        fir.entries().collect::<Vec<_>>(),
        vec![FirEntry { ssrc: 9, seq: 7 }]
    );

    // 1 Mbit/s = 250000 << 2: exponent 2, mantissa 0x3d090.
    buf.clear();
    RembBuilder {
        sender_ssrc: 1,
        bitrate: 1_000_000,
        ssrcs: &[0x1122_3344],
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(
        buf,
        hex("8f ce 00 05 00 00 00 01 00 00 00 00 52 45 4d 42 01 0b d0 90 11 22 33 44")
    );
    let RtcpPacket::Remb(remb) = only(&buf) else {
        panic!("not REMB")
    };
    assert_eq!(remb.bitrate, 1_000_000);
    assert_eq!(remb.ssrcs().collect::<Vec<_>>(), vec![0x1122_3344]);
}

#[test]
fn remb_rounds_down_and_saturates() {
    let mut buf = Vec::new();
    RembBuilder {
        sender_ssrc: 0,
        bitrate: 1_000_001,
        ssrcs: &[],
    }
    .write(&mut buf)
    .unwrap();
    let RtcpPacket::Remb(remb) = only(&buf) else {
        panic!("not REMB")
    };
    assert_eq!(remb.bitrate, 1_000_000);
    // Exponent 63 with a full mantissa overflows u64: saturate.
    let bytes = hex("8f ce 00 04 00 00 00 01 00 00 00 00 52 45 4d 42 00 ff ff ff");
    let RtcpPacket::Remb(remb) = only(&bytes) else {
        panic!("not REMB")
    };
    assert_eq!(remb.bitrate, u64::MAX);
}

// base 10, 5 statuses: received (+4 ticks), lost, received (-4, large), received (+0), lost.
// One two-bit status vector: 11 01 00 10 01 00 00 00 = 0xd240; deltas 04, ff fc, 00; 2 bytes
// of zero padding.
const TWCC_HEX: &str =
    "8f cd 00 06 00 00 00 01 00 00 00 02 00 0a 00 05 00 00 01 07 d2 40 04 ff fc 00 00 00";

#[test]
fn twcc_two_bit_vector_with_small_and_large_deltas() {
    let statuses = [Some(4), None, Some(-4), Some(0), None];
    let mut buf = Vec::new();
    TransportCcBuilder {
        sender_ssrc: 1,
        media_ssrc: 2,
        base_seq: 10,
        reference_time: 1,
        fb_count: 7,
        packets: &statuses,
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(buf, hex(TWCC_HEX));
    let RtcpPacket::TransportCc(fb) = only(&buf) else {
        panic!("not TWCC")
    };
    assert_eq!(
        (fb.base_seq, fb.status_count, fb.reference_time, fb.fb_count),
        (10, 5, 1, 7)
    );
    let got: Vec<_> = fb.packets().collect();
    let want: Vec<_> = statuses
        .iter()
        .zip(10u16..)
        .map(|(&delta, seq)| TwccPacket { seq, delta })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn twcc_run_length_and_one_bit_vector_chunks() {
    // 20 received with delta 1: one run-length chunk 0 01 0000000010100 = 0x2014.
    let statuses = [Some(1); 20];
    let mut buf = Vec::new();
    TransportCcBuilder {
        packets: &statuses,
        ..Default::default()
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(&buf[20..22], &[0x20, 0x14]);
    assert_eq!(buf.len(), 20 + 2 + 20 + 2);

    // 14 statuses 1,1,0,...,0,1 -> one-bit vector 1 0 11000000000001 = 0xb001, 3 deltas.
    let mut statuses = [None; 14];
    statuses[0] = Some(5);
    statuses[1] = Some(6);
    statuses[13] = Some(7);
    buf.clear();
    TransportCcBuilder {
        base_seq: 65530,
        reference_time: -1,
        packets: &statuses,
        ..Default::default()
    }
    .write(&mut buf)
    .unwrap();
    assert_eq!(
        buf,
        hex("8f cd 00 06 00 00 00 00 00 00 00 00 ff fa 00 0e ff ff ff 00 b0 01 05 06 07 00 00 00")
    );
    let RtcpPacket::TransportCc(fb) = only(&buf) else {
        panic!("not TWCC")
    };
    assert_eq!(fb.reference_time, -1);
    let got: Vec<_> = fb.packets().map(|p| (p.seq, p.delta)).collect();
    let want: Vec<_> = statuses
        .iter()
        .enumerate()
        .map(|(i, &d)| (65530u16.wrapping_add(i as u16), d))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn twcc_last_chunk_may_cover_more_than_the_count_and_empty_runs_are_skipped() {
    // Count 2: an empty run (0x0000), then a one-bit vector of which only 2 symbols count.
    let bytes =
        hex("8f cd 00 06 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 00 00 00 a0 00 09 00 00 00");
    let RtcpPacket::TransportCc(fb) = only(&bytes) else {
        panic!("not TWCC")
    };
    let got: Vec<_> = fb.packets().map(|p| p.delta).collect();
    assert_eq!(got, vec![Some(9), None]);
}

#[test]
fn compound_sr_sdes_twcc_iterates_in_order() {
    let mut buf = Vec::new();
    SenderReportBuilder {
        ssrc: 1,
        ..Default::default()
    }
    .write(&mut buf)
    .unwrap();
    SdesBuilder {
        chunks: &[(
            1,
            &[SdesItem {
                kind: 1,
                value: b"cname",
            }],
        )],
    }
    .write(&mut buf)
    .unwrap();
    buf.extend_from_slice(&hex(TWCC_HEX));
    let types: Vec<u8> = RtcpPackets::new(&buf)
        .map(|p| p.unwrap().packet_type())
        .collect();
    assert_eq!(types, vec![SR, SDES, RTPFB]);
    assert_eq!(RtcpPackets::validate(&buf), Ok(3));
}

#[test]
fn reduced_size_single_feedback_is_accepted() {
    // RFC 5506: a lone PLI, no leading SR/RR.
    let bytes = hex("81 ce 00 02 00 00 00 01 00 00 00 02");
    assert_eq!(RtcpPackets::validate(&bytes), Ok(1));
}

#[test]
fn unknown_types_and_formats_pass_through() {
    // XR (RFC 3611), RTPFB FMT 3 (TMMBR), PSFB FMT 15 that is not REMB.
    let bytes = hex("80 cf 00 01 00 00 00 05
         83 cd 00 02 00 00 00 01 00 00 00 02
         8f ce 00 03 00 00 00 01 00 00 00 00 41 42 43 44");
    let got: Vec<_> = RtcpPackets::new(&bytes).map(Result::unwrap).collect();
    assert_eq!(
        got,
        vec![
            RtcpPacket::Unknown(Unknown {
                packet_type: XR,
                count: 0,
                body: &[0, 0, 0, 5]
            }),
            RtcpPacket::Unknown(Unknown {
                packet_type: RTPFB,
                count: 3,
                body: &hex("00 00 00 01 00 00 00 02")
            }),
            RtcpPacket::Unknown(Unknown {
                packet_type: PSFB,
                count: 15,
                body: &hex("00 00 00 01 00 00 00 00 41 42 43 44")
            }),
        ]
    );
    let mut out = Vec::new();
    for p in &got {
        let RtcpPacket::Unknown(u) = p else {
            unreachable!()
        };
        u.write(&mut out).unwrap();
    }
    assert_eq!(out, bytes);
}

#[test]
fn padding_bit_strips_the_padding_of_the_last_packet() {
    // A PLI with 4 bytes of padding (P set, count 4).
    let bytes = hex("a1 ce 00 03 00 00 00 01 00 00 00 02 00 00 00 04");
    assert_eq!(
        only(&bytes),
        RtcpPacket::Pli(Pli {
            sender_ssrc: 1,
            media_ssrc: 2
        })
    );
}

// ---- errors ----

#[test]
fn empty_datagram_is_an_error_once() {
    let mut it = RtcpPackets::new(&[]);
    assert_eq!(it.next(), Some(Err(Error::Empty)));
    assert_eq!(it.next(), None);
}

#[test]
fn short_header_is_truncated() {
    assert_eq!(
        RtcpPackets::new(&[0x80, 0xc9, 0x00]).next(),
        Some(Err(Error::Truncated {
            needed: 2,
            remaining: 1
        }))
    );
}

#[test]
fn bad_version_is_rejected() {
    let bytes = hex("41 c9 00 01 00 00 00 01");
    assert_eq!(RtcpPackets::validate(&bytes), Err(Error::BadVersion(1)));
}

#[test]
fn lying_length_is_bad_length() {
    // Claims 3 words of body, 1 present.
    let bytes = hex("80 c9 00 03 00 00 00 01");
    assert_eq!(
        RtcpPackets::validate(&bytes),
        Err(Error::BadLength {
            length: 3,
            needed: 16,
            remaining: 8
        })
    );
}

#[test]
fn bad_padding_is_rejected() {
    let zero = hex("a0 c9 00 01 00 00 00 00");
    assert_eq!(
        RtcpPackets::validate(&zero),
        Err(Error::BadPadding {
            padding: 0,
            available: 4
        })
    );
    let too_big = hex("a0 c9 00 01 00 00 00 05");
    assert_eq!(
        RtcpPackets::validate(&too_big),
        Err(Error::BadPadding {
            padding: 5,
            available: 4
        })
    );
}

#[test]
fn zero_length_parts_of_types_with_a_body_are_truncated() {
    for header in [
        "80 c8 00 00",
        "80 c9 00 00",
        "81 cd 00 00",
        "81 ce 00 00",
        "80 cc 00 00",
    ] {
        let mut bytes = hex("81 ce 00 02 00 00 00 01 00 00 00 02");
        bytes.extend_from_slice(&hex(header));
        let got: Vec<_> = RtcpPackets::new(&bytes).collect();
        assert_eq!(got.len(), 2, "{header}");
        assert!(got[0].is_ok());
        assert_eq!(
            got[1],
            Err(Error::Truncated {
                needed: 4,
                remaining: 0
            }),
            "{header}"
        );
    }
}

#[test]
fn report_count_larger_than_the_body_is_truncated() {
    let bytes = hex(&format!("82 c9 00 07 11 22 33 44 {BLOCK_HEX}"));
    assert_eq!(
        RtcpPackets::validate(&bytes),
        Err(Error::Truncated {
            needed: 48,
            remaining: 24
        })
    );
}

#[test]
fn malformed_sdes_is_bad_body() {
    // Item length runs past the chunk.
    let overrun = hex("81 ca 00 02 00 00 00 01 01 09 61 00");
    // No null terminator before the end.
    let unterminated = hex("81 ca 00 02 00 00 00 01 01 02 61 62");
    // Count says 2 chunks, one present.
    let short = hex("82 ca 00 02 00 00 00 01 01 01 61 00");
    for bytes in [overrun, unterminated, short] {
        assert_eq!(
            RtcpPackets::validate(&bytes),
            Err(Error::BadBody {
                packet_type: SDES,
                reason: "malformed chunks"
            }),
            "{bytes:02x?}"
        );
    }
}

#[test]
fn bye_reason_overrun_is_truncated() {
    let bytes = hex("81 cb 00 02 00 00 00 01 09 61 62 63");
    assert!(matches!(
        RtcpPackets::validate(&bytes),
        Err(Error::Truncated { .. })
    ));
}

#[test]
fn nack_and_fir_fci_of_the_wrong_size_are_bad_body() {
    // A NACK whose padding leaves 2 bytes of FCI.
    let nack = hex("a1 cd 00 04 00 00 00 01 00 00 00 02 00 64 00 00 00 00 00 02");
    assert!(matches!(
        RtcpPackets::validate(&nack),
        Err(Error::BadBody {
            packet_type: RTPFB,
            ..
        })
    ));
    let fir = hex("84 ce 00 03 00 00 00 01 00 00 00 00 00 00 00 09");
    assert!(matches!(
        RtcpPackets::validate(&fir),
        Err(Error::BadBody {
            packet_type: PSFB,
            ..
        })
    ));
}

#[test]
fn twcc_errors() {
    // A run of the reserved symbol 3.
    let reserved = hex("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 00 01 00 00 00 00 60 01 00 00");
    assert_eq!(
        RtcpPackets::validate(&reserved),
        Err(Error::BadBody {
            packet_type: RTPFB,
            reason: "reserved TWCC status symbol"
        })
    );
    // 3 received small deltas announced, 2 bytes of deltas present.
    let short = hex("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 00 20 03 01 02");
    assert_eq!(
        RtcpPackets::validate(&short),
        Err(Error::Truncated {
            needed: 3,
            remaining: 2
        })
    );
    // Status count larger than the chunks present.
    let chunks = hex("8f cd 00 04 00 00 00 01 00 00 00 02 00 00 00 09 00 00 00 00 20 03");
    assert!(matches!(
        RtcpPackets::validate(&chunks),
        Err(Error::Truncated { .. })
    ));
    // A word of junk after the deltas.
    let trailing =
        hex("8f cd 00 06 00 00 00 01 00 00 00 02 00 00 00 01 00 00 00 00 20 01 05 00 ff ff ff ff");
    assert_eq!(
        RtcpPackets::validate(&trailing),
        Err(Error::BadBody {
            packet_type: RTPFB,
            reason: "bytes after the TWCC receive deltas"
        })
    );
}

#[test]
fn iteration_stops_after_an_error() {
    let bytes = hex(
        "81 ce 00 02 00 00 00 01 00 00 00 02 80 c9 00 09 00 00 00 01 81 ce 00 02 00 00 00 01 00 00 00 02",
    );
    let got: Vec<_> = RtcpPackets::new(&bytes).collect();
    assert_eq!(got.len(), 2);
    assert!(got[0].is_ok());
    assert!(matches!(got[1], Err(Error::BadLength { .. })));
}

#[test]
fn builders_reject_unencodable_and_leave_the_buffer() {
    let mut buf = vec![7];
    let blocks = [ReportBlock::default(); 32];
    assert!(matches!(
        ReceiverReportBuilder {
            reports: &blocks,
            ..Default::default()
        }
        .write(&mut buf),
        Err(Error::Unencodable(_))
    ));
    let bad_block = ReportBlock {
        cumulative_lost: 1 << 23,
        ..Default::default()
    };
    assert!(matches!(
        ReceiverReportBuilder {
            reports: &[bad_block],
            ..Default::default()
        }
        .write(&mut buf),
        Err(Error::Unencodable(_))
    ));
    assert!(matches!(
        SdesBuilder {
            chunks: &[(
                1,
                &[SdesItem {
                    kind: 0,
                    value: b""
                }]
            )]
        }
        .write(&mut buf),
        Err(Error::Unencodable(_))
    ));
    assert!(matches!(
        TransportCcBuilder {
            packets: &[Some(40000)],
            ..Default::default()
        }
        .write(&mut buf),
        Err(Error::Unencodable(_))
    ));
    assert!(matches!(
        TransportCcBuilder {
            reference_time: 1 << 23,
            ..Default::default()
        }
        .write(&mut buf),
        Err(Error::Unencodable(_))
    ));
    assert!(matches!(
        App {
            subtype: 32,
            ssrc: 0,
            name: *b"abcd",
            data: &[]
        }
        .write(&mut buf),
        Err(Error::Unencodable(_))
    ));
    assert!(matches!(
        App {
            subtype: 0,
            ssrc: 0,
            name: *b"abcd",
            data: &[1]
        }
        .write(&mut buf),
        Err(Error::Unencodable(_))
    ));
    assert_eq!(buf, vec![7]);
}

// ---- round trips ----

fn block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        -(1i32 << 23)..(1 << 23),
        any::<[u32; 4]>(),
    )
        .prop_map(
            |(ssrc, fraction_lost, cumulative_lost, [a, b, c, d])| ReportBlock {
                ssrc,
                fraction_lost,
                cumulative_lost,
                extended_highest_seq: a,
                jitter: b,
                last_sr: c,
                delay_since_last_sr: d,
            },
        )
}

fn words_vec(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<[u8; 4]>(), 0..max).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn sender_report_round_trip(
        ssrc in any::<u32>(), ntp in any::<u64>(), ts in any::<u32>(), pc in any::<u32>(),
        oc in any::<u32>(), blocks in proptest::collection::vec(block(), 0..32), ext in words_vec(4),
    ) {
        let mut buf = Vec::new();
        SenderReportBuilder { ssrc, ntp_timestamp: ntp, rtp_timestamp: ts, packet_count: pc,
            octet_count: oc, reports: &blocks, extension: &ext }.write(&mut buf).unwrap();
        let RtcpPacket::SenderReport(sr) = only(&buf) else { panic!("not SR") };
        prop_assert_eq!((sr.ssrc, sr.ntp_timestamp, sr.rtp_timestamp, sr.packet_count, sr.octet_count),
            (ssrc, ntp, ts, pc, oc));
        prop_assert_eq!(sr.reports().collect::<Vec<_>>(), blocks);
        prop_assert_eq!(sr.extension, &ext[..]);
    }

    #[test]
    fn receiver_report_round_trip(ssrc in any::<u32>(), blocks in proptest::collection::vec(block(), 0..32)) {
        let mut buf = Vec::new();
        ReceiverReportBuilder { ssrc, reports: &blocks, extension: &[] }.write(&mut buf).unwrap();
        let RtcpPacket::ReceiverReport(rr) = only(&buf) else { panic!("not RR") };
        prop_assert_eq!(rr.ssrc, ssrc);
        prop_assert_eq!(rr.reports().collect::<Vec<_>>(), blocks);
    }

    #[test]
    fn sdes_round_trip(
        chunks in proptest::collection::vec(
            (any::<u32>(), proptest::collection::vec((1u8..=255, proptest::collection::vec(any::<u8>(), 0..40)), 0..4)),
            0..32),
    ) {
        let items: Vec<Vec<SdesItem<'_>>> = chunks.iter()
            .map(|(_, items)| items.iter().map(|(k, v)| SdesItem { kind: *k, value: v }).collect())
            .collect();
        let spec: Vec<(u32, &[SdesItem<'_>])> = chunks.iter().zip(&items).map(|((s, _), i)| (*s, &i[..])).collect();
        let mut buf = Vec::new();
        SdesBuilder { chunks: &spec }.write(&mut buf).unwrap();
        let RtcpPacket::Sdes(sdes) = only(&buf) else { panic!("not SDES") };
        let got: Vec<(u32, Vec<SdesItem<'_>>)> = sdes.chunks().map(|c| (c.ssrc, c.items().collect())).collect();
        let want: Vec<(u32, Vec<SdesItem<'_>>)> = spec.iter().map(|(s, i)| (*s, i.to_vec())).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn bye_round_trip(ssrcs in proptest::collection::vec(any::<u32>(), 0..32),
                      reason in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..256))) {
        let mut buf = Vec::new();
        ByeBuilder { ssrcs: &ssrcs, reason: reason.as_deref() }.write(&mut buf).unwrap();
        let RtcpPacket::Bye(bye) = only(&buf) else { panic!("not BYE") };
        prop_assert_eq!(bye.ssrcs().collect::<Vec<_>>(), ssrcs);
        prop_assert_eq!(bye.reason, reason.as_deref());
    }

    #[test]
    fn app_round_trip(subtype in 0u8..32, ssrc in any::<u32>(), name in any::<[u8; 4]>(), data in words_vec(10)) {
        let app = App { subtype, ssrc, name, data: &data };
        let mut buf = Vec::new();
        app.write(&mut buf).unwrap();
        prop_assert_eq!(only(&buf), RtcpPacket::App(app));
    }

    #[test]
    fn nack_round_trip(sender in any::<u32>(), media in any::<u32>(),
                       lost in proptest::collection::btree_set(any::<u16>(), 0..100)) {
        let lost: Vec<u16> = lost.into_iter().collect();
        let mut buf = Vec::new();
        NackBuilder { sender_ssrc: sender, media_ssrc: media, lost: &lost }.write(&mut buf).unwrap();
        let RtcpPacket::Nack(nack) = only(&buf) else { panic!("not NACK") };
        prop_assert_eq!((nack.sender_ssrc, nack.media_ssrc), (sender, media));
        prop_assert_eq!(nack.lost().collect::<Vec<_>>(), lost);
    }

    #[test]
    fn pli_fir_remb_round_trip(sender in any::<u32>(), media in any::<u32>(),
                               entries in proptest::collection::vec((any::<u32>(), any::<u8>()), 0..10),
                               mantissa in 0u64..(1 << 18), exp in 0u32..46,
                               ssrcs in proptest::collection::vec(any::<u32>(), 0..10)) {
        let mut buf = Vec::new();
        Pli { sender_ssrc: sender, media_ssrc: media }.write(&mut buf).unwrap();
        prop_assert_eq!(only(&buf), RtcpPacket::Pli(Pli { sender_ssrc: sender, media_ssrc: media }));

        let entries: Vec<FirEntry> = entries.into_iter().map(|(ssrc, seq)| FirEntry { ssrc, seq }).collect();
        buf.clear();
        FirBuilder { sender_ssrc: sender, entries: &entries }.write(&mut buf).unwrap();
        let RtcpPacket::Fir(fir) = only(&buf) else { panic!("not FIR") };
        prop_assert_eq!(fir.sender_ssrc, sender);
        prop_assert_eq!(fir.entries().collect::<Vec<_>>(), entries);

        let bitrate = mantissa << exp;
        buf.clear();
        RembBuilder { sender_ssrc: sender, bitrate, ssrcs: &ssrcs }.write(&mut buf).unwrap();
        let RtcpPacket::Remb(remb) = only(&buf) else { panic!("not REMB") };
        prop_assert_eq!(remb.sender_ssrc, sender);
        prop_assert_eq!(remb.bitrate, bitrate);
        prop_assert_eq!(remb.ssrcs().collect::<Vec<_>>(), ssrcs);
    }

    #[test]
    fn twcc_round_trip(
        base in any::<u16>(), reference in -(1i32 << 23)..(1 << 23), fb in any::<u8>(),
        packets in proptest::collection::vec(
            prop_oneof![
                3 => Just(None),
                5 => (0i32..=255).prop_map(Some),
                1 => (-32768i32..=32767).prop_map(Some),
            ], 0..300),
        run_len in 0usize..200,
    ) {
        // Splice in a long run so run-length chunks are exercised too.
        let mut packets = packets;
        let at = packets.len() / 2;
        packets.splice(at..at, std::iter::repeat_n(Some(3), run_len));
        let mut buf = Vec::new();
        TransportCcBuilder { sender_ssrc: 1, media_ssrc: 2, base_seq: base, reference_time: reference,
            fb_count: fb, packets: &packets }.write(&mut buf).unwrap();
        let RtcpPacket::TransportCc(t) = only(&buf) else { panic!("not TWCC") };
        prop_assert_eq!((t.base_seq, t.reference_time, t.fb_count, usize::from(t.status_count)),
            (base, reference, fb, packets.len()));
        let got: Vec<_> = t.packets().collect();
        let want: Vec<_> = packets.iter().enumerate()
            .map(|(i, &delta)| TwccPacket { seq: base.wrapping_add(i as u16), delta })
            .collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        for p in RtcpPackets::new(&bytes) {
            match p {
                Ok(RtcpPacket::SenderReport(sr)) => { let _ = sr.reports().count(); }
                Ok(RtcpPacket::ReceiverReport(rr)) => { let _ = rr.reports().count(); }
                Ok(RtcpPacket::Sdes(s)) => { for c in s.chunks() { let _ = c.items().count(); } }
                Ok(RtcpPacket::Nack(n)) => { let _ = n.lost().count(); }
                Ok(RtcpPacket::TransportCc(t)) => {
                    prop_assert_eq!(t.packets().count(), usize::from(t.status_count));
                }
                _ => {}
            }
        }
    }
}
