//! # nutshell-relay: the STUN server of nutshell
//!
//! Peers ask a STUN server "what is my public address?" (RFC 8489 §6.3): it answers each
//! Binding request with the source address it saw, in XOR-MAPPED-ADDRESS. That is how ICE
//! gathers server-reflexive candidates. TURN relaying (RFC 8656) will join it here later.
//!
//! ## Structure
//! - [`binding`]: the Binding service, sans IO. Bytes and a source address in, a response out;
//!   it decides between success, 400 (malformed request), 420 (unknown comprehension-required
//!   attributes) and silence (anything that is not a request). A TURN service will sit next to
//!   it as its own module, with the allocations it owns.
//! - [`server`]: the tokio side. For each `--listen` address a UDP socket and a TCP listener
//!   (STUN over TCP is framed by the message length, RFC 8489 §6.2.2); they pass datagrams and
//!   frames to the services and send back the answers.
//! - [`cli`]: the command line of the `nutshell-relay` binary.
//!
//! ## Time, errors, panics
//! The services read no clock. Network input never produces an error, only a response or a
//! silent drop (counted in [`binding::Stats`]); only start-up fails with [`server::Error`].
//! Nothing a peer sends can make it panic: decoding is `nutshell-stun`'s, which does not panic.
//! Memory is bounded: one buffer per UDP socket, and a capped number of TCP connections with a
//! buffer of at most one message each.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod binding;
pub mod cli;
pub mod server;
