//! Interop of nutshell with independent WebRTC stacks.
//!
//! - [`str0m_mem`]: nutshell's sans-IO core (`nutshell-peer`) against str0m's `Rtc`, both
//!   driven in this process on one virtual clock, datagrams handed across in memory. Both
//!   roles (each side offers), audio (Opus) and video (VP8, H.264) both ways; asserts that the
//!   frames each side wrote came out whole on the other, and that both ends agree on the DTLS
//!   1.2 cipher suite and the DTLS-SRTP profile (nutshell's stats; str0m's DTLS, dimpl,
//!   logs its choice).
//! - [`webrtc_rs`]: webrtc-rs (`webrtc` crate) against nutshell's tokio runtime, in this
//!   process on loopback: each side offers, Opus and VP8/H.264 both ways, frames checked on
//!   both sides, every SRTP profile webrtc-rs has imposed from its side.
//! - [`aiortc`] (ignored: needs root and the aiortc virtual environment `.ci/run` makes):
//!   aiortc (Python) against nutshell's runtime (`reflect` example), each in its own process
//!   inside a network namespace the test creates; each side offers; audio and video both
//!   ways, decoded by aiortc.

mod aiortc;
#[path = "../common/mod.rs"]
mod common;
mod media;
mod str0m_mem;
mod webrtc_rs;
