//! Arbitrary bytes into the TURN ChannelData decoder and the TCP framer. Whatever decodes must
//! re-encode (padded and unpadded) to something that decodes to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nutshell_stun::ChannelData;

fuzz_target!(|data: &[u8]| {
    let _ = nutshell_stun::is_channel_data(data);
    let framed = nutshell_stun::frame_len(data);
    let Ok(cd) = ChannelData::decode(data) else {
        return;
    };
    // A ChannelData that decodes fits in the frame the TCP framer computes for it.
    assert!(framed.expect("ChannelData frames") >= 4 + cd.data.len());
    for pad in [false, true] {
        let mut out = Vec::new();
        let n = cd
            .encode(&mut out, pad)
            .expect("a decoded message re-encodes");
        assert_eq!(n, out.len());
        assert_eq!(ChannelData::decode(&out), Ok(cd));
    }
});
