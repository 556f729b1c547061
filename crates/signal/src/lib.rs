//! WebSocket signaling server and client for nutshell. Work in progress.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
