//! # nutshell-proto: the shared vocabulary
//!
//! Every protocol crate of nutshell (STUN, ICE, DTLS, RTP, SRTP, the PeerConnection) speaks in
//! the few types defined here, so that composing them needs no adapters:
//!
//! - [`Transmit`] and [`Receive`]: a datagram with its 5-tuple, leaving or entering a state
//!   machine. The state machines never touch sockets; the runtime moves these.
//! - [`Protocol`]: UDP or TCP.
//! - [`Reader`]: a zero-copy cursor over a borrowed byte slice, whose every read is checked and
//!   fails with [`ReadError`] instead of panicking. Binary parsers (STUN, RTP, DTLS) are built
//!   on it.
//!
//! ## Time, errors, panics
//! Nothing here reads a clock or allocates on the read path. [`Reader`] never panics: every
//! out-of-bounds access is a [`ReadError::Truncated`].
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

use std::net::SocketAddr;

mod reader;
pub use reader::{ReadError, Reader};

/// Transport protocol of a 5-tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// UDP datagrams.
    Udp,
    /// TCP, with the framing of the protocol on top (RFC 4571 for ICE-TCP, RFC 8489 for STUN).
    Tcp,
}

/// A datagram a state machine wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Transport to send it on.
    pub protocol: Protocol,
    /// Local address to send from (selects the socket).
    pub source: SocketAddr,
    /// Remote address to send to.
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: Vec<u8>,
}

/// A datagram that arrived, borrowed from the runtime's receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receive<'a> {
    /// Transport it arrived on.
    pub protocol: Protocol,
    /// Remote address it came from.
    pub source: SocketAddr,
    /// Local address it arrived at.
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: &'a [u8],
}
