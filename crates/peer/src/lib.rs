//! Sans-IO WebRTC PeerConnection: JSEP, BUNDLE, RFC 7983 demux, media API. Work in progress.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
