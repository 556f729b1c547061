//! Differential tests, the other direction: RTCP packets that webrtc-rs's `rtcp` crate builds
//! must read the same in ours (RR, BYE, generic NACK, PLI, FIR, REMB). `differential.rs`
//! covers packets built by us and read by webrtc-rs, and SR/TWCC both ways.

use bytes::Bytes;
use nutshell_rtp::{FirEntry, NackPair, ReportBlock, RtcpPacket, RtcpPackets};
use proptest::prelude::*;
use rtcp_oracle::goodbye::Goodbye;
use rtcp_oracle::packet::Packet;
use rtcp_oracle::payload_feedbacks::full_intra_request::{self, FullIntraRequest};
use rtcp_oracle::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtcp_oracle::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtcp_oracle::receiver_report::ReceiverReport;
use rtcp_oracle::reception_report::ReceptionReport;
use rtcp_oracle::transport_feedbacks::transport_layer_nack::{self, TransportLayerNack};

/// Marshals `theirs` and parses it as the one packet of a datagram with our parser.
fn ours_of(theirs: &dyn Packet) -> (Vec<u8>, usize) {
    let bytes = theirs.marshal().expect("webrtc-rs marshals its own packet");
    let count = RtcpPackets::new(&bytes).count();
    (bytes.to_vec(), count)
}

fn only(bytes: &[u8]) -> RtcpPacket<'_> {
    let mut it = RtcpPackets::new(bytes);
    let p = it.next().expect("one packet").expect("parses");
    assert!(it.next().is_none(), "exactly one packet");
    p
}

fn reception_report() -> impl Strategy<Value = ReceptionReport> {
    (
        any::<u32>(),
        any::<u8>(),
        0u32..(1 << 23),
        any::<[u32; 4]>(),
    )
        .prop_map(
            |(ssrc, fraction_lost, total_lost, [a, b, c, d])| ReceptionReport {
                ssrc,
                fraction_lost,
                total_lost,
                last_sequence_number: a,
                jitter: b,
                last_sender_report: c,
                delay: d,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn rr_built_by_webrtc_rs_reads_the_same_in_ours(
        ssrc in any::<u32>(),
        reports in proptest::collection::vec(reception_report(), 0..31),
    ) {
        let rr = ReceiverReport { ssrc, reports: reports.clone(), profile_extensions: Bytes::new() };
        let (bytes, count) = ours_of(&rr);
        prop_assert_eq!(count, 1);
        let RtcpPacket::ReceiverReport(ours) = only(&bytes) else { panic!("not RR") };
        prop_assert_eq!(ours.ssrc, ssrc);
        prop_assert!(ours.extension.is_empty());
        let expected: Vec<ReportBlock> = reports.iter().map(|r| ReportBlock {
            ssrc: r.ssrc,
            fraction_lost: r.fraction_lost,
            cumulative_lost: r.total_lost as i32,
            extended_highest_seq: r.last_sequence_number,
            jitter: r.jitter,
            last_sr: r.last_sender_report,
            delay_since_last_sr: r.delay,
        }).collect();
        prop_assert_eq!(ours.reports().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn bye_built_by_webrtc_rs_reads_the_same_in_ours(
        sources in proptest::collection::vec(any::<u32>(), 0..31),
        reason in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
    ) {
        let bye = Goodbye {
            sources: sources.clone(),
            reason: reason.clone().map(Bytes::from).unwrap_or_default(),
        };
        let (bytes, _) = ours_of(&bye);
        let RtcpPacket::Bye(ours) = only(&bytes) else { panic!("not BYE") };
        prop_assert_eq!(ours.ssrcs().collect::<Vec<_>>(), sources);
        // webrtc-rs writes a zero-length reason field for an absent reason.
        prop_assert_eq!(ours.reason.unwrap_or_default(), reason.as_deref().unwrap_or_default());
    }

    #[test]
    fn feedback_built_by_webrtc_rs_reads_the_same_in_ours(
        sender in any::<u32>(), media in any::<u32>(),
        pairs in proptest::collection::vec((any::<u16>(), any::<u16>()), 1..40),
        entries in proptest::collection::vec((any::<u32>(), any::<u8>()), 1..8),
        mantissa in 0u64..(1 << 18), exp in 0u32..40,
        ssrcs in proptest::collection::vec(any::<u32>(), 0..20),
    ) {
        let nack = TransportLayerNack {
            sender_ssrc: sender,
            media_ssrc: media,
            nacks: pairs.iter().map(|&(packet_id, lost_packets)| transport_layer_nack::NackPair { packet_id, lost_packets }).collect(),
        };
        let (bytes, _) = ours_of(&nack);
        let RtcpPacket::Nack(ours) = only(&bytes) else { panic!("not NACK") };
        prop_assert_eq!((ours.sender_ssrc, ours.media_ssrc), (sender, media));
        prop_assert_eq!(
            ours.pairs().collect::<Vec<_>>(),
            pairs.iter().map(|&(pid, blp)| NackPair { pid, blp }).collect::<Vec<_>>()
        );
        let theirs_lost: Vec<u16> = nack.nacks.iter().flat_map(|p| p.packet_list()).collect();
        prop_assert_eq!(ours.lost().collect::<Vec<_>>(), theirs_lost);

        let pli = PictureLossIndication { sender_ssrc: sender, media_ssrc: media };
        let (bytes, _) = ours_of(&pli);
        let RtcpPacket::Pli(ours) = only(&bytes) else { panic!("not PLI") };
        prop_assert_eq!((ours.sender_ssrc, ours.media_ssrc), (sender, media));

        let fir = FullIntraRequest {
            sender_ssrc: sender,
            media_ssrc: 0,
            fir: entries.iter().map(|&(ssrc, sequence_number)| full_intra_request::FirEntry { ssrc, sequence_number }).collect(),
        };
        let (bytes, _) = ours_of(&fir);
        let RtcpPacket::Fir(ours) = only(&bytes) else { panic!("not FIR") };
        prop_assert_eq!(ours.sender_ssrc, sender);
        prop_assert_eq!(
            ours.entries().collect::<Vec<_>>(),
            entries.iter().map(|&(ssrc, seq)| FirEntry { ssrc, seq }).collect::<Vec<_>>()
        );

        // Any mantissa below 2^18 times a power of two is exact in an f32.
        let bitrate = mantissa << exp;
        let remb = ReceiverEstimatedMaximumBitrate { sender_ssrc: sender, bitrate: bitrate as f32, ssrcs: ssrcs.clone() };
        let (bytes, _) = ours_of(&remb);
        let RtcpPacket::Remb(ours) = only(&bytes) else { panic!("not REMB") };
        prop_assert_eq!(ours.sender_ssrc, sender);
        prop_assert_eq!(ours.bitrate, bitrate);
        prop_assert_eq!(ours.ssrcs().collect::<Vec<_>>(), ssrcs);
    }
}
