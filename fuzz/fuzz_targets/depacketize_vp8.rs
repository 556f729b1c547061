//! Arbitrary bytes into the VP8 depacketizer (RFC 7741). Whatever parses must hand out a
//! non-empty payload that is the tail of the input, after a descriptor of 1 to 6 bytes, and
//! the frame-start and key-frame answers must agree with the fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nutshell_rtp::payload::vp8::{Vp8Descriptor, depacketize};

fuzz_target!(|data: &[u8]| {
    let Ok(d) = depacketize(data) else {
        return;
    };
    let start = data.as_ptr() as usize;
    let end = start + data.len();
    let p = d.payload.as_ptr() as usize;
    assert!(
        p >= start && p + d.payload.len() <= end,
        "payload outside input"
    );
    assert!(!d.payload.is_empty());
    assert_eq!(p + d.payload.len(), end, "payload is the input's tail");
    let descriptor = d.descriptor_len(data);
    assert!((1..=6).contains(&descriptor));
    assert_eq!(
        d.starts_frame(),
        d.start_of_partition && d.partition_index == 0
    );
    if d.is_key_frame() {
        assert!(d.starts_frame());
    }
    assert!(d.partition_index <= 7);
    assert_eq!(Vp8Descriptor::parse(data), Ok(d));
});
