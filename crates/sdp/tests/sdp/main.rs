//! Integration tests of nutshell-sdp: the fixture corpus, one test per error variant,
//! round-trip properties, and a differential test against the `sdp` crate (webrtc-rs).

mod corpus;
mod errors;
mod oracle;
mod roundtrip;

/// Reads a fixture from `tests/data` (leaked, so parsed descriptions can borrow it freely).
pub fn fixture(name: &str) -> &'static str {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Box::leak(text.into_boxed_str())
}

/// Every fixture file name.
pub const FIXTURES: &[&str] = &[
    "chrome_offer.sdp",
    "chrome_answer.sdp",
    "firefox_offer.sdp",
    "firefox_answer.sdp",
    "safari_offer.sdp",
    "ice_lite_server.sdp",
    "datachannel_only.sdp",
    "legacy_sctpmap.sdp",
    "simulcast_rid.sdp",
    "multi_bundle.sdp",
    "ipv6_tcp_candidates.sdp",
    "planb_legacy.sdp",
    "full_rfc8866.sdp",
];
