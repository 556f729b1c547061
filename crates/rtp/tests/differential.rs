//! Differential tests against webrtc-rs's `rtp` and `rtcp` crates as oracles: packets built by
//! one stack must read the same in the other, in both directions where both can build.

use bytes::Bytes;
use nutshell_rtp::{
    ByeBuilder, FirBuilder, FirEntry, NackBuilder, Pli, ReceiverReportBuilder, RembBuilder,
    ReportBlock, RtcpPacket, RtcpPackets, RtpPacket, RtpPacketBuilder, SdesBuilder, SdesItem,
    SenderReportBuilder, TransportCcBuilder,
};
use proptest::prelude::*;
use rtcp_oracle::goodbye::Goodbye;
use rtcp_oracle::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtcp_oracle::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtcp_oracle::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtcp_oracle::receiver_report::ReceiverReport;
use rtcp_oracle::reception_report::ReceptionReport;
use rtcp_oracle::sender_report::SenderReport;
use rtcp_oracle::source_description::SourceDescription;
use rtcp_oracle::transport_feedbacks::transport_layer_cc::{SymbolTypeTcc, TransportLayerCc};
use rtcp_oracle::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use webrtc_util::{Marshal, Unmarshal};

#[derive(Debug, Clone)]
struct RtpSpec {
    marker: bool,
    pt: u8,
    seq: u16,
    ts: u32,
    ssrc: u32,
    csrcs: Vec<u32>,
    exts: Vec<(u8, Vec<u8>)>,
    payload: Vec<u8>,
    padding: bool,
}

impl RtpSpec {
    fn one_byte(&self) -> bool {
        self.exts
            .iter()
            .all(|(id, d)| (1..=14).contains(id) && (1..=16).contains(&d.len()))
    }
}

fn rtp_spec() -> impl Strategy<Value = RtpSpec> {
    let exts = prop_oneof![
        // Fits the one-byte form.
        proptest::collection::vec(
            (1u8..=14, proptest::collection::vec(any::<u8>(), 1..=16)),
            0..6
        ),
        // Ids up to 255 and elements up to 39 bytes: mostly the two-byte form.
        proptest::collection::vec(
            (1u8..=255, proptest::collection::vec(any::<u8>(), 1..40)),
            1..6
        ),
    ];
    (
        any::<bool>(),
        0u8..128,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        proptest::collection::vec(any::<u32>(), 0..16),
        exts,
        proptest::collection::vec(any::<u8>(), 0..1200),
        any::<bool>(),
    )
        .prop_map(
            |(marker, pt, seq, ts, ssrc, csrcs, exts, payload, padding)| RtpSpec {
                marker,
                pt,
                seq,
                ts,
                ssrc,
                csrcs,
                exts,
                payload,
                padding,
            },
        )
}

fn assert_same_rtp(ours: &RtpPacket<'_>, theirs: &rtp_oracle::packet::Packet) {
    let h = &theirs.header;
    assert_eq!(ours.marker(), h.marker);
    assert_eq!(ours.payload_type(), h.payload_type);
    assert_eq!(ours.sequence_number(), h.sequence_number);
    assert_eq!(ours.timestamp(), h.timestamp);
    assert_eq!(ours.ssrc(), h.ssrc);
    assert_eq!(ours.csrcs().collect::<Vec<_>>(), h.csrc);
    assert_eq!(ours.has_extension(), h.extension);
    if h.extension {
        assert_eq!(ours.extension().unwrap().profile(), h.extension_profile);
    }
    let ours_ext: Vec<(u8, Vec<u8>)> = ours.extensions().map(|e| (e.id, e.data.to_vec())).collect();
    let theirs_ext: Vec<(u8, Vec<u8>)> = h
        .extensions
        .iter()
        .map(|e| (e.id, e.payload.to_vec()))
        .collect();
    assert_eq!(ours_ext, theirs_ext);
    assert_eq!(ours.payload(), &theirs.payload[..]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn rtp_built_by_us_reads_the_same_in_webrtc_rs(s in rtp_spec()) {
        let mut b = RtpPacketBuilder::new(s.pt, s.seq, s.ts, s.ssrc)
            .marker(s.marker)
            .csrcs(&s.csrcs)
            .payload(&s.payload)
            .padding(if s.padding { 4 } else { 0 });
        for (id, d) in &s.exts {
            b = b.extension(*id, d);
        }
        let mut buf = Vec::new();
        b.write(&mut buf).unwrap();
        let ours = RtpPacket::parse(&buf).unwrap();
        let theirs = rtp_oracle::packet::Packet::unmarshal(&mut Bytes::from(buf.clone())).unwrap();
        assert_same_rtp(&ours, &theirs);
    }

    #[test]
    fn rtp_built_by_webrtc_rs_reads_the_same_in_ours(s in rtp_spec()) {
        let profile = if s.one_byte() { 0xBEDE } else { 0x1000 };
        let theirs = rtp_oracle::packet::Packet {
            header: rtp_oracle::header::Header {
                version: 2,
                padding: s.padding,
                extension: !s.exts.is_empty(),
                marker: s.marker,
                payload_type: s.pt,
                sequence_number: s.seq,
                timestamp: s.ts,
                ssrc: s.ssrc,
                csrc: s.csrcs.clone(),
                extension_profile: profile,
                extensions: s.exts.iter().map(|(id, d)| rtp_oracle::header::Extension {
                    id: *id,
                    payload: Bytes::from(d.clone()),
                }).collect(),
                extensions_padding: 0,
            },
            payload: Bytes::from(s.payload.clone()),
        };
        let bytes = theirs.marshal().unwrap();
        let ours = RtpPacket::parse(&bytes).unwrap();
        assert_same_rtp(&ours, &theirs);
    }
}

fn block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        0i32..(1 << 23),
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

fn same_block(ours: &ReportBlock, theirs: &ReceptionReport) {
    assert_eq!(
        (
            ours.ssrc,
            ours.fraction_lost,
            ours.cumulative_lost as u32,
            ours.extended_highest_seq,
            ours.jitter,
            ours.last_sr,
            ours.delay_since_last_sr
        ),
        (
            theirs.ssrc,
            theirs.fraction_lost,
            theirs.total_lost,
            theirs.last_sequence_number,
            theirs.jitter,
            theirs.last_sender_report,
            theirs.delay
        )
    );
}

fn theirs_only<T: 'static + Clone>(buf: &[u8]) -> T {
    let packets = rtcp_oracle::packet::unmarshal(&mut Bytes::copy_from_slice(buf)).unwrap();
    assert_eq!(packets.len(), 1);
    packets[0]
        .as_any()
        .downcast_ref::<T>()
        .expect("type")
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn reports_built_by_us_read_the_same_in_webrtc_rs(
        ssrc in any::<u32>(), ntp in any::<u64>(), ts in any::<u32>(), pc in any::<u32>(),
        oc in any::<u32>(), blocks in proptest::collection::vec(block(), 0..32),
    ) {
        let mut buf = Vec::new();
        SenderReportBuilder { ssrc, ntp_timestamp: ntp, rtp_timestamp: ts, packet_count: pc,
            octet_count: oc, reports: &blocks, extension: &[] }.write(&mut buf).unwrap();
        let sr: SenderReport = theirs_only(&buf);
        prop_assert_eq!((sr.ssrc, sr.ntp_time, sr.rtp_time, sr.packet_count, sr.octet_count), (ssrc, ntp, ts, pc, oc));
        prop_assert_eq!(sr.reports.len(), blocks.len());
        for (o, t) in blocks.iter().zip(&sr.reports) { same_block(o, t); }
        // And back: their marshalled SR reads the same in ours.
        let again = sr.marshal().unwrap();
        let RtcpPacket::SenderReport(ours) = RtcpPackets::new(&again).next().unwrap().unwrap() else { panic!("not SR") };
        prop_assert_eq!(ours.reports().collect::<Vec<_>>(), blocks.clone());

        buf.clear();
        ReceiverReportBuilder { ssrc, reports: &blocks, extension: &[] }.write(&mut buf).unwrap();
        let rr: ReceiverReport = theirs_only(&buf);
        prop_assert_eq!(rr.ssrc, ssrc);
        for (o, t) in blocks.iter().zip(&rr.reports) { same_block(o, t); }
    }

    #[test]
    fn sdes_bye_built_by_us_read_the_same_in_webrtc_rs(
        chunks in proptest::collection::vec((any::<u32>(), proptest::collection::vec(any::<u8>(), 1..40)), 1..10),
        reason in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let items: Vec<[SdesItem<'_>; 1]> = chunks.iter().map(|(_, v)| [SdesItem { kind: 1, value: v }]).collect();
        let spec: Vec<(u32, &[SdesItem<'_>])> = chunks.iter().zip(&items).map(|((s, _), i)| (*s, &i[..])).collect();
        let mut buf = Vec::new();
        SdesBuilder { chunks: &spec }.write(&mut buf).unwrap();
        let sdes: SourceDescription = theirs_only(&buf);
        prop_assert_eq!(sdes.chunks.len(), chunks.len());
        for ((ssrc, text), c) in chunks.iter().zip(&sdes.chunks) {
            prop_assert_eq!(c.source, *ssrc);
            prop_assert_eq!(c.items.len(), 1);
            prop_assert_eq!(c.items[0].sdes_type as u8, 1);
            prop_assert_eq!(&c.items[0].text[..], &text[..]);
        }

        let ssrcs: Vec<u32> = chunks.iter().map(|c| c.0).collect();
        buf.clear();
        ByeBuilder { ssrcs: &ssrcs, reason: Some(&reason) }.write(&mut buf).unwrap();
        let bye: Goodbye = theirs_only(&buf);
        prop_assert_eq!(&bye.sources, &ssrcs);
        prop_assert_eq!(&bye.reason[..], &reason[..]);
    }

    #[test]
    fn feedback_built_by_us_reads_the_same_in_webrtc_rs(
        sender in any::<u32>(), media in any::<u32>(),
        lost in proptest::collection::btree_set(any::<u16>(), 1..60),
        entries in proptest::collection::vec((any::<u32>(), any::<u8>()), 1..5),
        mantissa in 0u64..(1 << 18), exp in 0u32..20,
        ssrcs in proptest::collection::vec(any::<u32>(), 1..5),
    ) {
        let lost: Vec<u16> = lost.into_iter().collect();
        let mut buf = Vec::new();
        NackBuilder { sender_ssrc: sender, media_ssrc: media, lost: &lost }.write(&mut buf).unwrap();
        let nack: TransportLayerNack = theirs_only(&buf);
        prop_assert_eq!((nack.sender_ssrc, nack.media_ssrc), (sender, media));
        let theirs_lost: Vec<u16> = nack.nacks.iter().flat_map(|p| p.packet_list()).collect();
        prop_assert_eq!(&theirs_lost, &lost);

        buf.clear();
        Pli { sender_ssrc: sender, media_ssrc: media }.write(&mut buf).unwrap();
        let pli: PictureLossIndication = theirs_only(&buf);
        prop_assert_eq!((pli.sender_ssrc, pli.media_ssrc), (sender, media));

        let entries: Vec<FirEntry> = entries.into_iter().map(|(ssrc, seq)| FirEntry { ssrc, seq }).collect();
        buf.clear();
        FirBuilder { sender_ssrc: sender, entries: &entries }.write(&mut buf).unwrap();
        let fir: FullIntraRequest = theirs_only(&buf);
        prop_assert_eq!(fir.sender_ssrc, sender);
        let theirs_fir: Vec<FirEntry> = fir.fir.iter().map(|e| FirEntry { ssrc: e.ssrc, seq: e.sequence_number }).collect();
        prop_assert_eq!(theirs_fir, entries);

        let bitrate = mantissa << exp;
        buf.clear();
        RembBuilder { sender_ssrc: sender, bitrate, ssrcs: &ssrcs }.write(&mut buf).unwrap();
        let remb: ReceiverEstimatedMaximumBitrate = theirs_only(&buf);
        prop_assert_eq!(remb.sender_ssrc, sender);
        prop_assert_eq!(remb.bitrate as f64, bitrate as f32 as f64);
        prop_assert_eq!(&remb.ssrcs, &ssrcs);
    }

    #[test]
    fn twcc_built_by_us_reads_the_same_in_webrtc_rs(
        base in any::<u16>(), reference in 0i32..(1 << 23), fb in any::<u8>(),
        packets in proptest::collection::vec(
            prop_oneof![
                3 => Just(None),
                5 => (0i32..=255).prop_map(Some),
                1 => (-32768i32..=32767).prop_map(Some),
            ], 1..200),
    ) {
        let mut buf = Vec::new();
        TransportCcBuilder { sender_ssrc: 1, media_ssrc: 2, base_seq: base, reference_time: reference,
            fb_count: fb, packets: &packets }.write(&mut buf).unwrap();
        let cc: TransportLayerCc = theirs_only(&buf);
        prop_assert_eq!((cc.base_sequence_number, cc.packet_status_count as usize, cc.reference_time, cc.fb_pkt_count),
            (base, packets.len(), reference as u32, fb));
        let ours: Vec<(SymbolTypeTcc, i64)> = packets.iter().flatten().map(|&d| {
            let kind = if (0..=255).contains(&d) { SymbolTypeTcc::PacketReceivedSmallDelta } else { SymbolTypeTcc::PacketReceivedLargeDelta };
            (kind, i64::from(d) * 250)
        }).collect();
        let theirs: Vec<(SymbolTypeTcc, i64)> = cc.recv_deltas.iter().map(|d| (d.type_tcc_packet, d.delta)).collect();
        prop_assert_eq!(ours, theirs);

        // And back: their marshalled feedback reads the same in ours.
        let again = cc.marshal().unwrap();
        let RtcpPacket::TransportCc(t) = RtcpPackets::new(&again).next().unwrap().unwrap() else { panic!("not TWCC") };
        let got: Vec<Option<i32>> = t.packets().map(|p| p.delta).collect();
        prop_assert_eq!(got, packets);
    }
}

#[test]
fn sdes_written_by_webrtc_rs_reads_in_ours() {
    use rtcp_oracle::source_description::{
        SdesType, SourceDescriptionChunk, SourceDescriptionItem,
    };
    for len in 1..=24usize {
        let text = vec![b'a'; len];
        let sdes = SourceDescription {
            chunks: vec![SourceDescriptionChunk {
                source: 0x1234_5678,
                items: vec![SourceDescriptionItem {
                    sdes_type: SdesType::SdesCname,
                    text: Bytes::from(text.clone()),
                }],
            }],
        };
        let bytes = sdes.marshal().unwrap();
        let RtcpPacket::Sdes(ours) = RtcpPackets::new(&bytes)
            .next()
            .unwrap()
            .unwrap_or_else(|e| panic!("{len}: {e} in {bytes:02x?}"))
        else {
            panic!("not SDES")
        };
        let chunk = ours.chunks().next().unwrap();
        assert_eq!(chunk.ssrc, 0x1234_5678);
        assert_eq!(
            chunk.items().collect::<Vec<_>>(),
            vec![SdesItem {
                kind: 1,
                value: &text
            }]
        );
    }
}

// ---- H.264 (RFC 6184) against webrtc-rs's H264Payloader / H264Packet ----

use nutshell_rtp::payload::h264::{H264Packetizer, H264Payload, START_CODE};
use rtp_oracle::codecs::h264::{H264Packet, H264Payloader};
use rtp_oracle::packetizer::{Depacketizer, Payloader};

/// A NAL unit as an encoder writes it (F = 0, emulation prevention, no trailing zero) of type
/// `t`, at least three bytes long (webrtc-rs rejects shorter payloads).
fn h264_nal(types: std::ops::RangeInclusive<u8>, max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    (
        0u8..4,
        types,
        proptest::collection::vec(any::<u8>(), 2..max_len),
    )
        .prop_map(|(nri, t, body)| {
            let mut nal = vec![(nri << 5) | t];
            let mut zeros = 0;
            for b in body {
                if zeros >= 2 && b <= 3 {
                    nal.push(3);
                    zeros = 0;
                }
                nal.push(b);
                zeros = if b == 0 { zeros + 1 } else { 0 };
            }
            if nal.last() == Some(&0) {
                nal.push(0x80);
            }
            nal
        })
}

/// Slices and non-parameter-set NAL units, none that webrtc-rs drops or holds back
/// (AUD 9, filler 12, SPS 7, PPS 8).
fn h264_media_nal(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        h264_nal(1..=6, max_len),
        h264_nal(10..=11, max_len),
        h264_nal(13..=23, max_len)
    ]
}

fn annex_b_of(nals: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for n in nals {
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(n);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn h264_payloaded_by_webrtc_rs_depacketizes_in_ours(
        sps in h264_nal(7..=7, 20),
        pps in h264_nal(8..=8, 20),
        with_parameter_sets in any::<bool>(),
        media in proptest::collection::vec(h264_media_nal(4000), 1..6),
        mtu in 100usize..1500,
    ) {
        let mut nals: Vec<&[u8]> = Vec::new();
        if with_parameter_sets {
            nals.push(&sps);
            nals.push(&pps);
        }
        nals.extend(media.iter().map(|m| &m[..]));
        let stream = annex_b_of(&nals);
        let payloads = H264Payloader::default().payload(mtu, &Bytes::from(stream.clone())).unwrap();
        let mut ours = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let parsed = H264Payload::parse(p).unwrap_or_else(|e| panic!("{e}: {p:02x?}"));
            if i == 0 && with_parameter_sets {
                prop_assert!(matches!(parsed, H264Payload::StapA(_)));
                prop_assert!(parsed.is_keyframe());
            }
            parsed.append_annex_b(&mut ours);
        }
        prop_assert_eq!(ours, stream);
    }

    #[test]
    fn h264_packetized_by_us_depacketizes_in_webrtc_rs(
        sps in h264_nal(7..=7, 20),
        pps in h264_nal(8..=8, 20),
        with_parameter_sets in any::<bool>(),
        media in proptest::collection::vec(h264_media_nal(4000), 1..6),
        mtu in 3usize..1500,
        aggregate in any::<bool>(),
    ) {
        let mut nals: Vec<&[u8]> = Vec::new();
        if with_parameter_sets {
            nals.push(&sps);
            nals.push(&pps);
        }
        nals.extend(media.iter().map(|m| &m[..]));
        let mut packetizer = H264Packetizer::new(mtu);
        packetizer.aggregate = aggregate;
        let mut payloads = Vec::new();
        packetizer.packetize_nals(nals.iter().copied(), &mut payloads).unwrap();
        let mut oracle = H264Packet::default();
        let mut theirs = Vec::new();
        for p in &payloads {
            prop_assert!(p.len() <= mtu);
            let out = oracle
                .depacketize(&Bytes::from(p.clone()))
                .unwrap_or_else(|e| panic!("{e}: {p:02x?}"));
            theirs.extend_from_slice(&out);
        }
        prop_assert_eq!(theirs, annex_b_of(&nals));
    }
}
