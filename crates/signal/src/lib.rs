//! # nutshell-signal: WebSocket signaling for nutshell
//!
//! Two WebRTC peers need to swap an SDP offer, an answer and ICE candidates before they can
//! talk. This crate is the rendezvous: a server where clients join a *room* by name and
//! everything they send is relayed to the other members, and a Rust [`Client`] for it. The
//! same port serves the browser demo page over HTTP (files embedded from `web/`).
//!
//! ```
//! use nutshell_signal::{Client, Config, Message, Server};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), nutshell_signal::Error> {
//! let config = Config { listen: "127.0.0.1:0".parse().unwrap(), ..Config::default() };
//! let server = Server::bind(config).await?.spawn();
//!
//! let mut alice = Client::connect(server.url()).await?;
//! let mut bob = Client::connect(server.url()).await?;
//! let a = alice.join("call").await?;
//! let b = bob.join("call").await?;
//! assert_eq!(b.peers, vec![a.id.clone()]);
//! assert_eq!(alice.recv().await, Some(Message::PeerJoined { id: b.id.clone() }));
//!
//! alice.send(Message::offer("v=0\r\n...")).await?;
//! match bob.recv().await {
//!     Some(Message::Offer { sdp, from, .. }) => {
//!         assert_eq!(from.as_deref(), Some(a.id.as_str()));
//!         assert!(sdp.starts_with("v=0"));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! ## Protocol
//! JSON over WebSocket at `ws://HOST:PORT/ws` (any path upgrades), one message per text
//! frame; see [`protocol`] for every shape and [`protocol::reason`] for the error codes.
//! - `{"type":"join","room":"r","id":"alice"}` (`id` optional) →
//!   `{"type":"joined","id":"alice","room":"r","peers":["bob"]}`; the others get
//!   `{"type":"peer-joined","id":"alice"}`.
//! - `offer` / `answer` (`sdp`), `candidate` (`candidate`, `sdpMid`, `sdpMLineIndex`, as in
//!   `RTCIceCandidateInit`; a null or empty `candidate` is end-of-candidates) and `bye` go to
//!   the member named by `to`, or to every other member, with `"from"` set to the sender's id
//!   by the server.
//! - `bye` is relayed, then the sender leaves the room (the others get `peer-left`); the
//!   connection stays open. Closing the connection leaves too.
//! - Anything refused gets `{"type":"error","reason":"room-full","detail":"..."}` back and the
//!   connection lives on: malformed JSON, unknown types, messages over the size limit, a full
//!   room, a taken id, relaying before joining.
//!
//! ## Bounds
//! Every queue is bounded ([`Config`]): members per room, rooms, connections, message size
//! (oversize → `too-large`; more than four times the limit → close 1009), the per-connection
//! send queue (a reader that falls behind is dropped from its room and disconnected with
//! 1008, never buffered for), the HTTP request head (8 KiB) and the time to send it.
//!
//! ## Time, errors, panics
//! The server's only clocks are tokio timeouts on handshakes and writes. Nothing a client
//! sends can make it panic or fail: bad input is answered with an `error` message, or the
//! connection is closed. Library calls fail with [`Error`]; [`Client::recv`] returns `None`
//! at the end and keeps the reason in [`Client::error`].
//!
//! ## TLS
//! [`Config::tls`] takes a [`ServerTls`] (PEM certificate and key); the client trusts roots
//! given as a [`ClientTls`]. rustls with the *ring* provider: nothing links OpenSSL or aws-lc.
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

pub mod cli;
mod client;
mod error;
mod http;
pub mod protocol;
pub mod rooms;
mod server;
mod tls;
pub mod web;

pub use client::{Client, Joined};
pub use error::Error;
pub use protocol::Message;
pub use server::{Config, Server, ServerHandle};
pub use tls::{ClientTls, ServerTls};
