//! Serialize and parse a 1200-byte RTP packet with two header extensions in a loop, for
//! profilers. Same packet as `benches/rtp.rs`.
//!
//! `cargo build --release -p nutshell-rtp --example profile_rtp`
//! `valgrind --tool=callgrind target/release/examples/profile_rtp 100000 write`

use std::hint::black_box;

use nutshell_rtp::{ExtensionKind, ExtensionMap, RtpPacket, RtpPacketBuilder};

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let only = std::env::args().nth(2);
    let payload: Vec<u8> = (0..1176u32).map(|i| (i * 7) as u8).collect();
    let mut map = ExtensionMap::new();
    map.insert(3, ExtensionKind::AbsSendTime);
    map.insert(5, ExtensionKind::TransportCc);
    let mut out = Vec::with_capacity(1500);
    let write = |out: &mut Vec<u8>| {
        out.clear();
        RtpPacketBuilder::new(96, 4711, 90_000, 0x1234_5678)
            .marker(true)
            .extension(3, &[0x12, 0x34, 0x56])
            .extension(5, &[0x01, 0x02])
            .payload(black_box(&payload))
            .write(out)
            .unwrap()
    };
    write(&mut out);
    let packet = out.clone();
    if only.as_deref() != Some("parse") {
        for _ in 0..n {
            black_box(write(&mut out));
        }
    }
    if only.as_deref() == Some("webrtc") {
        // webrtc-rs `rtp`, marshalling a prebuilt packet struct into a slice.
        use webrtc_util::Marshal;
        let theirs = rtp_oracle::packet::Packet {
            header: rtp_oracle::header::Header {
                version: 2,
                marker: true,
                payload_type: 96,
                sequence_number: 4711,
                timestamp: 90_000,
                ssrc: 0x1234_5678,
                extension: true,
                extension_profile: 0xBEDE,
                extensions: vec![
                    rtp_oracle::header::Extension {
                        id: 3,
                        payload: bytes::Bytes::from_static(&[0x12, 0x34, 0x56]),
                    },
                    rtp_oracle::header::Extension {
                        id: 5,
                        payload: bytes::Bytes::from_static(&[0x01, 0x02]),
                    },
                ],
                ..Default::default()
            },
            payload: bytes::Bytes::copy_from_slice(&payload),
        };
        let mut raw = vec![0u8; 1500];
        for _ in 0..n {
            black_box(black_box(&theirs).marshal_to(&mut raw[..]).unwrap());
        }
        assert_eq!(&raw[..packet.len()], &packet[..]);
        return;
    }
    if only.as_deref() == Some("types") {
        // rtp-types, given the extension block already encoded.
        let block = &packet[12..24];
        for _ in 0..n {
            out.clear();
            rtp_types::RtpPacketBuilder::new()
                .marker_bit(true)
                .payload_type(96)
                .sequence_number(4711)
                .timestamp(90_000)
                .ssrc(0x1234_5678)
                .extension(0xBEDE, &block[4..])
                .payload(black_box(&payload[..]))
                .write_into_vec(&mut out)
                .unwrap();
            black_box(out.len());
        }
        assert_eq!(out, packet);
        return;
    }
    if only.as_deref() == Some("parse-types") {
        for _ in 0..n {
            let p = rtp_types::RtpPacket::parse(black_box(&packet[..])).unwrap();
            let (_, ext) = p.extension().unwrap();
            black_box((p.sequence_number(), ext[1], ext[5]));
        }
        return;
    }
    if only.as_deref() != Some("write") {
        for _ in 0..n {
            let p = RtpPacket::parse(black_box(&packet)).unwrap();
            black_box((
                p.sequence_number(),
                p.abs_send_time(&map),
                p.transport_cc(&map),
            ));
        }
    }
    println!("{} bytes", packet.len());
}
