//! # nutshell-dtls: DTLS 1.2 for WebRTC, sans IO
//!
//! WebRTC secures every connection with a DTLS handshake (RFC 6347 over TLS 1.2, RFC 5246)
//! between self-signed certificates that the SDP pins by fingerprint (RFC 8122, RFC 8827);
//! the handshake also negotiates the SRTP protection profile and exports the SRTP keys
//! (DTLS-SRTP, RFC 5764). This crate is that handshake and its record layer, as one state
//! machine for both roles: datagrams and time go in, datagrams, events and the next timeout
//! come out.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use nutshell_dtls::{Config, Dtls, Event, Role, cert::Certificate};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (client_cert, server_cert) = (Certificate::generate()?, Certificate::generate()?);
//! let mut client_cfg = Config::new(Role::Client, client_cert.clone(), [1; 32]);
//! client_cfg.remote_fingerprints = vec![server_cert.fingerprint()]; // from the SDP
//! let mut server_cfg = Config::new(Role::Server, server_cert, [2; 32]);
//! server_cfg.remote_fingerprints = vec![client_cert.fingerprint()];
//!
//! let mut now = Instant::now(); // time is an input: tests use a virtual clock
//! let mut client = Dtls::new(client_cfg, now);
//! let mut server = Dtls::new(server_cfg, now);
//! let mut keys = Vec::new();
//! while keys.len() < 2 {
//!     // Drain after every input, in this order: transmit, event, timeout.
//!     let mut progressed = false;
//!     while let Some(d) = client.poll_transmit() { server.handle_receive(now, &d); progressed = true; }
//!     while let Some(d) = server.poll_transmit() { client.handle_receive(now, &d); progressed = true; }
//!     for ep in [&mut client, &mut server] {
//!         while let Some(ev) = ep.poll_event() {
//!             match ev {
//!                 Event::SrtpKeyingMaterial(k) => keys.push(k),
//!                 Event::Failed(e) => return Err(e.into()),
//!                 _ => {}
//!             }
//!         }
//!     }
//!     if !progressed {
//!         // Nothing in flight: jump the clock to the earliest timer.
//!         let next = [client.poll_timeout(), server.poll_timeout()].into_iter().flatten().min();
//!         now = next.unwrap_or(now + Duration::from_millis(10));
//!         client.handle_timeout(now);
//!         server.handle_timeout(now);
//!     }
//! }
//! assert_eq!(keys[0], keys[1]);
//! client.send_application_data(b"hello")?;
//! while let Some(d) = client.poll_transmit() { server.handle_receive(now, &d); }
//! assert!(std::iter::from_fn(|| server.poll_event()).any(|e| e == Event::ApplicationData(b"hello".to_vec())));
//! # Ok(()) }
//! ```
//!
//! ## Shape
//! [`Dtls`] follows the house state-machine shape: [`Dtls::new`] (a client queues its
//! ClientHello at once), [`Dtls::handle_receive`] with one datagram, [`Dtls::handle_timeout`],
//! [`Dtls::poll_transmit`], [`Dtls::poll_event`] and [`Dtls::poll_timeout`], and commands
//! ([`Dtls::send_application_data`], [`Dtls::close`], [`Dtls::export_keying_material`]).
//! Datagrams are plain bytes, not `proto::Transmit`: the PeerConnection demultiplexes by first
//! byte (RFC 7983) and already knows the 5-tuple, and DTLS must not assume a fixed one.
//!
//! ## What is negotiated
//! - DTLS 1.2 only; a DTLS 1.3-capable ClientHello (supported_versions, key_share with
//!   X25519MLKEM768, ALPN) is answered with 1.2, its unknown extensions skipped.
//! - Cipher suites: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, _AES_256_GCM_SHA384,
//!   _CHACHA20_POLY1305_SHA256 ([`crypto::CipherSuite`]); groups x25519 and P-256.
//! - Extensions: use_srtp (RFC 5764), extended_master_secret (RFC 7627, required by
//!   default), renegotiation_info (empty; renegotiation refused), supported_groups,
//!   ec_point_formats, signature_algorithms.
//! - Client certificates are always requested and required; the peer certificate must match
//!   one of [`Config::remote_fingerprints`] (a mismatch is a fatal bad_certificate and
//!   [`Error::FingerprintMismatch`]). Peer signatures: ECDSA P-256/P-384, RSA PKCS#1 v1.5 and
//!   PSS ([`cert`]).
//! - Server: stateless HelloVerifyRequest cookies ([`Config::cookie_exchange`]).
//!
//! ## Time, errors, panics
//! - **Time** is an argument: no clock is read. Each flight is retransmitted after
//!   [`Config::initial_retransmit_timeout`], doubling up to 60 s (RFC 6347 §4.2.4.1), and the
//!   last flight is repeated when the peer repeats its own. After
//!   [`Config::max_retransmits`] the handshake fails with [`Error::Timeout`].
//! - **Randomness:** the hello randoms and the cookie secret come from [`Config::seed`];
//!   ECDHE keys and ECDSA signature nonces come from `ring`'s `SystemRandom`, because ring
//!   seals its `SecureRandom` trait. Their results are the endpoint's only other inputs
//!   ([`CryptoDraw`]): with [`Config::draws`] set to [`Draws::Record`] the endpoint keeps
//!   them ([`Dtls::take_draws`]), and with [`Draws::Replay`] it takes them from a recording
//!   instead of `ring`, so a fresh endpoint with the same seed, fed the same datagrams at the
//!   same times, sends byte-identical datagrams (a divergence fails with
//!   [`Error::ReplayDiverged`]). A replay needs no private key
//!   ([`cert::Certificate::from_der_without_key`]).
//! - **Errors:** malformed, unauthenticated, replayed or stale records are dropped and
//!   counted ([`Dtls::stats`]); `handle_receive` never fails. Protocol violations (a message
//!   out of order, an unexpected ChangeCipherSpec, Finished before keys, unprotected
//!   application data before the handshake completes, a bad Finished, bad signature, wrong fingerprint, no
//!   common parameters) send a fatal alert ([`Error::alert`]) and end in
//!   [`Event::Failed`] with a typed [`Error`]. Commands return `Err` only for misuse.
//! - **Panics:** none on any input; `unwrap`, `expect`, indexing and `panic!` are denied by
//!   lint outside tests, and the fuzz targets `dtls_record`, `dtls_server` and `dtls_client`
//!   exercise the parsers and the state machine.
//! - Protected application data that overtakes the peer's Finished (reordering) is held, at
//!   most 8 records, and delivered once the Finished verifies.
//! - **Bounds:** handshake messages are limited to [`Config::max_message_size`], reassembly
//!   to 16 messages ahead, records of the next epoch to 16, and the output queues to 256
//!   datagrams and 1024 events.
//! - **Logs** are `tracing` events inside one `dtls` span per endpoint, which names its role.
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

pub mod cert;
pub mod crypto;

mod config;
pub mod draws;
mod endpoint;
mod error;
pub mod fragment;
mod handshake;
pub mod message;
pub mod record;
mod srtp;

pub use config::{Config, Role};
pub use draws::{CryptoDraw, Draws};
pub use endpoint::{Dtls, Event, SRTP_EXPORTER_LABEL, Stats};
pub use error::{AlertDescription, AlertLevel, Error};
pub use srtp::{SrtpKeyingMaterial, SrtpProfile};
