//! Arbitrary bytes into the RTCP compound iterator. Every packet that parses must rebuild,
//! through our builders, into a packet that parses to the same contents.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nutshell_rtp::{
    ByeBuilder, FirBuilder, NackBuilder, ReceiverReportBuilder, RembBuilder, RtcpPacket,
    RtcpPackets, SdesBuilder, SdesItem, SenderReportBuilder, TransportCcBuilder,
};

fn reparse(out: &[u8]) -> RtcpPacket<'_> {
    let mut it = RtcpPackets::new(out);
    let p = it
        .next()
        .expect("one packet")
        .expect("a rebuilt packet parses");
    assert!(it.next().is_none());
    p
}

fuzz_target!(|data: &[u8]| {
    let _ = RtcpPackets::validate(data);
    for packet in RtcpPackets::new(data) {
        let Ok(packet) = packet else {
            return;
        };
        let mut out = Vec::new();
        match packet {
            RtcpPacket::SenderReport(sr) => {
                if sr.extension.len() % 4 != 0 {
                    continue;
                }
                let reports: Vec<_> = sr.reports().collect();
                SenderReportBuilder {
                    ssrc: sr.ssrc,
                    ntp_timestamp: sr.ntp_timestamp,
                    rtp_timestamp: sr.rtp_timestamp,
                    packet_count: sr.packet_count,
                    octet_count: sr.octet_count,
                    reports: &reports,
                    extension: sr.extension,
                }
                .write(&mut out)
                .expect("SR rebuilds");
                assert_eq!(reparse(&out), packet);
            }
            RtcpPacket::ReceiverReport(rr) => {
                if rr.extension.len() % 4 != 0 {
                    continue;
                }
                let reports: Vec<_> = rr.reports().collect();
                ReceiverReportBuilder {
                    ssrc: rr.ssrc,
                    reports: &reports,
                    extension: rr.extension,
                }
                .write(&mut out)
                .expect("RR rebuilds");
                assert_eq!(reparse(&out), packet);
            }
            RtcpPacket::Sdes(sdes) => {
                let items: Vec<(u32, Vec<SdesItem<'_>>)> = sdes
                    .chunks()
                    .map(|c| (c.ssrc, c.items().collect()))
                    .collect();
                let chunks: Vec<(u32, &[SdesItem<'_>])> =
                    items.iter().map(|(s, i)| (*s, &i[..])).collect();
                SdesBuilder { chunks: &chunks }
                    .write(&mut out)
                    .expect("SDES rebuilds");
                let RtcpPacket::Sdes(again) = reparse(&out) else {
                    panic!("SDES became something else");
                };
                let got: Vec<(u32, Vec<SdesItem<'_>>)> = again
                    .chunks()
                    .map(|c| (c.ssrc, c.items().collect()))
                    .collect();
                assert_eq!(got, items);
            }
            RtcpPacket::Bye(bye) => {
                let ssrcs: Vec<u32> = bye.ssrcs().collect();
                ByeBuilder {
                    ssrcs: &ssrcs,
                    reason: bye.reason,
                }
                .write(&mut out)
                .expect("BYE rebuilds");
                let RtcpPacket::Bye(again) = reparse(&out) else {
                    panic!("BYE became something else");
                };
                assert!(again.ssrcs().eq(bye.ssrcs()));
                assert_eq!(again.reason, bye.reason);
            }
            RtcpPacket::App(app) => {
                if app.data.len() % 4 != 0 {
                    continue;
                }
                app.write(&mut out).expect("APP rebuilds");
                assert_eq!(reparse(&out), packet);
            }
            RtcpPacket::Nack(nack) => {
                let lost: Vec<u16> = nack.lost().collect();
                NackBuilder {
                    sender_ssrc: nack.sender_ssrc,
                    media_ssrc: nack.media_ssrc,
                    lost: &lost,
                }
                .write(&mut out)
                .expect("NACK rebuilds");
                let RtcpPacket::Nack(again) = reparse(&out) else {
                    panic!("NACK became something else");
                };
                let mut a: Vec<u16> = again.lost().collect();
                let mut b = lost;
                a.sort_unstable();
                a.dedup();
                b.sort_unstable();
                b.dedup();
                assert_eq!(a, b);
            }
            RtcpPacket::TransportCc(t) => {
                let packets: Vec<Option<i32>> = t.packets().map(|p| p.delta).collect();
                assert_eq!(packets.len(), usize::from(t.status_count));
                TransportCcBuilder {
                    sender_ssrc: t.sender_ssrc,
                    media_ssrc: t.media_ssrc,
                    base_seq: t.base_seq,
                    reference_time: t.reference_time,
                    fb_count: t.fb_count,
                    packets: &packets,
                }
                .write(&mut out)
                .expect("TWCC rebuilds");
                let RtcpPacket::TransportCc(again) = reparse(&out) else {
                    panic!("TWCC became something else");
                };
                assert!(again.packets().eq(t.packets()));
                assert_eq!(
                    (again.base_seq, again.reference_time, again.fb_count),
                    (t.base_seq, t.reference_time, t.fb_count)
                );
            }
            RtcpPacket::Pli(pli) => {
                pli.write(&mut out).expect("PLI rebuilds");
                assert_eq!(reparse(&out), packet);
            }
            RtcpPacket::Fir(fir) => {
                let entries: Vec<_> = fir.entries().collect();
                FirBuilder {
                    sender_ssrc: fir.sender_ssrc,
                    entries: &entries,
                }
                .write(&mut out)
                .expect("FIR rebuilds");
                let RtcpPacket::Fir(again) = reparse(&out) else {
                    panic!("FIR became something else");
                };
                assert!(again.entries().eq(fir.entries()));
            }
            RtcpPacket::Remb(remb) => {
                if remb.bitrate == u64::MAX {
                    continue;
                }
                let ssrcs: Vec<u32> = remb.ssrcs().collect();
                RembBuilder {
                    sender_ssrc: remb.sender_ssrc,
                    bitrate: remb.bitrate,
                    ssrcs: &ssrcs,
                }
                .write(&mut out)
                .expect("REMB rebuilds");
                let RtcpPacket::Remb(again) = reparse(&out) else {
                    panic!("REMB became something else");
                };
                assert_eq!(again.bitrate, remb.bitrate);
                assert!(again.ssrcs().eq(remb.ssrcs()));
            }
            RtcpPacket::Unknown(u) => {
                if u.body.len() % 4 != 0 {
                    continue;
                }
                u.write(&mut out).expect("unknown packets rebuild");
                assert_eq!(reparse(&out), packet);
            }
            _ => {}
        }
    }
});
