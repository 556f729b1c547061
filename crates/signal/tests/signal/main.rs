//! Integration tests of nutshell-signal: real sockets on 127.0.0.1, the server in-process.

mod binary;
mod common;
mod http;
mod limits;
mod relay;
mod tls;
