//! Arbitrary bytes into the SDP parser. Whatever parses must serialize to text that parses
//! back to the same model, and that text must be a fixed point of serialization.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nutshell_sdp::{Candidate, SessionDescription};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(first) = SessionDescription::parse(text) {
        let written = first.to_string();
        let second = SessionDescription::parse(&written).expect("our own output must parse");
        assert_eq!(second, first, "reparse differs:\n{written}");
        assert_eq!(
            second.to_string(),
            written,
            "serialization is not a fixed point"
        );
    }
    if let Ok(c) = Candidate::parse(text) {
        let written = c.to_string();
        assert_eq!(
            Candidate::parse(&written).expect("our own candidate must parse"),
            c
        );
    }
});
