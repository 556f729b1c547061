//! Arbitrary bytes into the RTP parser. Whatever parses must rebuild, through our builder,
//! into a packet that parses to the same fields, extension elements, payload and padding;
//! every element must decode as every typed kind without panicking, and a typed value that
//! decodes must re-encode to bytes that decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nutshell_rtp::{
    Extension, ExtensionForm, ExtensionKind, ExtensionValue, MAX_BUILDER_EXTENSIONS, RtpPacket,
    RtpPacketBuilder,
};

const KINDS: [ExtensionKind; 8] = [
    ExtensionKind::Mid,
    ExtensionKind::Rid,
    ExtensionKind::RepairedRid,
    ExtensionKind::AbsSendTime,
    ExtensionKind::TransportCc,
    ExtensionKind::AudioLevel,
    ExtensionKind::VideoOrientation,
    ExtensionKind::PlayoutDelay,
];

fuzz_target!(|data: &[u8]| {
    let Ok(p) = RtpPacket::parse(data) else {
        return;
    };
    assert_eq!(
        p.header_len() + p.payload().len() + usize::from(p.padding_len()),
        data.len()
    );
    let elements: Vec<Extension<'_>> = p.extensions().collect();
    for e in &elements {
        for kind in KINDS {
            if let Ok(v) = ExtensionValue::decode(kind, e.data) {
                let mut out = Vec::new();
                v.encode(&mut out);
                assert_eq!(out.len(), v.encoded_len());
                assert_eq!(ExtensionValue::decode(kind, &out), Ok(v));
            }
        }
    }
    let csrcs: Vec<u32> = p.csrcs().collect();
    let mut b = RtpPacketBuilder::new(
        p.payload_type(),
        p.sequence_number(),
        p.timestamp(),
        p.ssrc(),
    )
    .marker(p.marker())
    .csrcs(&csrcs)
    .payload(p.payload())
    .padding(p.padding_len());
    match p.extension().map(|e| e.form()) {
        Some(ExtensionForm::Other) => {
            let ext = p.extension().expect("just matched");
            b = b.raw_extension(ext.profile(), ext.data());
        }
        Some(form) => {
            if elements.len() > MAX_BUILDER_EXTENSIONS {
                return;
            }
            b = b.two_byte_extensions(matches!(form, ExtensionForm::TwoByte(_)));
            for e in &elements {
                b = b.extension(e.id, e.data);
            }
        }
        None => {}
    }
    let mut out = Vec::new();
    let n = b.write(&mut out).expect("a parsed packet rebuilds");
    assert_eq!(n, out.len());
    let q = RtpPacket::parse(&out).expect("a rebuilt packet parses");
    assert_eq!(q.marker(), p.marker());
    assert_eq!(q.payload_type(), p.payload_type());
    assert_eq!(q.sequence_number(), p.sequence_number());
    assert_eq!(q.timestamp(), p.timestamp());
    assert_eq!(q.ssrc(), p.ssrc());
    assert!(q.csrcs().eq(p.csrcs()));
    assert!(q.extensions().eq(elements.iter().copied()));
    assert_eq!(q.payload(), p.payload());
    assert_eq!(q.padding_len(), p.padding_len());
});
