//! Arbitrary bytes into the H.264 depacketizer (RFC 6184, packetization mode 1). Whatever
//! parses must hand out NAL units that lie inside the input and agree with its header, an
//! Annex B form whose length `annex_b_len` predicts, and NAL units that our packetizer sends
//! and reads back to the same Annex B bytes. The Annex B splitter must only hand out slices of
//! its input without start codes or trailing zeros.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nutshell_rtp::payload::h264::{
    FU_A_HEADER_LEN, H264Packetizer, H264Payload, START_CODE, annex_b_nals, depacketize,
};

fn inside(outer: &[u8], inner: &[u8]) -> bool {
    let start = outer.as_ptr() as usize;
    let p = inner.as_ptr() as usize;
    p >= start && p + inner.len() <= start + outer.len()
}

fuzz_target!(|data: &[u8]| {
    for nal in annex_b_nals(data) {
        assert!(inside(data, nal), "Annex B NAL outside input");
        assert!(!nal.is_empty() && nal.last() != Some(&0));
        assert!(!nal.windows(3).any(|w| w == [0, 0, 1]));
    }

    let Ok(payload) = depacketize(data) else {
        return;
    };
    assert_eq!(H264Payload::parse(data), Ok(payload));
    let header = payload.payload_header();
    assert_eq!(data.first(), Some(&header.0));
    assert!(!header.forbidden());

    // The NAL units a whole-NAL payload carries, as slices of the input.
    let mut nals: Vec<&[u8]> = Vec::new();
    match payload {
        H264Payload::Single(nal) => {
            assert_eq!(nal.bytes(), data);
            nals.push(nal.bytes());
        }
        H264Payload::StapA(stap) => {
            assert_eq!(header.nal_type(), 24);
            assert!(!stap.is_empty());
            let mut total = 1;
            for nal in stap.nals() {
                assert!(inside(data, nal.bytes()), "STAP-A NAL outside input");
                assert!(!nal.bytes().is_empty());
                assert_eq!(nal.bytes().first(), Some(&nal.header().0));
                assert!((1..=23).contains(&nal.nal_type()));
                assert!(!nal.header().forbidden());
                total += 2 + nal.bytes().len();
                nals.push(nal.bytes());
            }
            assert_eq!(nals.len(), stap.len());
            assert_eq!(total, data.len(), "STAP-A sizes account for every byte");
        }
        H264Payload::FuA(fu) => {
            assert_eq!(header.nal_type(), 28);
            assert!(!(fu.start && fu.end));
            assert!((1..=23).contains(&fu.nal_type));
            assert_eq!(fu.payload, data.get(FU_A_HEADER_LEN..).unwrap());
            assert_eq!(fu.nal_header().0 & 0xe0, header.0 & 0xe0);
        }
    }
    if payload.starts_frame() {
        assert!(payload.starts_nal());
    }

    let mut out = vec![0xaa];
    let written = payload.append_annex_b(&mut out);
    assert_eq!(written, payload.annex_b_len());
    assert_eq!(out.len(), 1 + written);
    let expected: usize = match payload {
        H264Payload::FuA(fu) if fu.start => START_CODE.len() + 1 + fu.payload.len(),
        H264Payload::FuA(fu) => fu.payload.len(),
        _ => nals.iter().map(|n| START_CODE.len() + n.len()).sum(),
    };
    assert_eq!(written, expected);

    // Round trip: our packetizer sends the same NAL units at an MTU taken from the input,
    // and reading its payloads back gives the same Annex B bytes.
    if !nals.is_empty() {
        let mtu = 3 + usize::from(data.last().copied().unwrap_or(0));
        let packetizer = H264Packetizer {
            mtu,
            aggregate: data.len() % 2 == 0,
            drop_aud_and_filler: false,
        };
        let mut payloads = Vec::new();
        packetizer
            .packetize_nals(nals.iter().copied(), &mut payloads)
            .expect("parsed NAL units are packetizable");
        let mut again = vec![0xaa];
        for p in &payloads {
            assert!(p.len() <= mtu);
            depacketize(p)
                .expect("our own payloads parse")
                .append_annex_b(&mut again);
        }
        assert_eq!(again, out);
    }
});
