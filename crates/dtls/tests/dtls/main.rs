//! Integration tests of nutshell-dtls: in-memory handshakes over a lossy link, negative
//! cases, record and replay, browser-shaped hellos, and interop with the OpenSSL command line.

mod browser_hello;
mod common;
mod handshake;
mod negative;
mod openssl;
mod replay;
