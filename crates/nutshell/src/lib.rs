//! WebRTC for Rust: an async RTCPeerConnection-shaped API on tokio over the sans-IO nutshell stack. Work in progress.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
