//! The crate's error type.

use std::net::SocketAddr;
use std::path::PathBuf;

/// What went wrong starting the server, loading TLS material, or in the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Binding the listening socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A certificate or key file could not be read or parsed.
    #[error("cannot load {what} from {path}: {source}")]
    PemFile {
        /// "certificate" or "private key".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: rustls_pki_types::pem::Error,
    },
    /// PEM text could not be parsed.
    #[error("cannot parse {what}: {source}")]
    Pem {
        /// "certificate" or "private key".
        what: &'static str,
        /// Why.
        source: rustls_pki_types::pem::Error,
    },
    /// The PEM input holds no certificate.
    #[error("no certificate found")]
    NoCertificate,
    /// rustls refused the configuration (say, a key that does not match the certificate).
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The URL is not `ws://HOST:PORT/PATH` or `wss://...`.
    #[error("bad URL {url:?}: {why}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A `wss://` URL without TLS settings: use [`Client::connect_tls`](crate::Client::connect_tls).
    #[error("wss:// needs TLS settings (Client::connect_tls)")]
    TlsNeeded,
    /// Connecting, or the TLS handshake, failed.
    #[error("connection failed: {0}")]
    Io(#[from] std::io::Error),
    /// The WebSocket layer failed (handshake refused, protocol violation, closed).
    #[error("websocket: {0}")]
    WebSocket(Box<tokio_tungstenite::tungstenite::Error>),
    /// The server answered with an `error` message.
    #[error("refused by the server: {reason}{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        /// The `reason` code, one of [`protocol::reason`](crate::protocol::reason).
        reason: String,
        /// The server's details.
        detail: Option<String>,
    },
    /// The server sent something that is not a valid message.
    #[error("bad message from the server: {0}")]
    BadMessage(String),
    /// The connection is closed.
    #[error("connection closed")]
    Closed,
    /// No answer in time.
    #[error("timed out")]
    Timeout,
}

impl From<tokio_tungstenite::tungstenite::Error> for Error {
    fn from(e: tokio_tungstenite::tungstenite::Error) -> Self {
        Error::WebSocket(Box::new(e))
    }
}
