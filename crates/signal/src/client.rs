//! The Rust client: connect, join a room, send and receive typed [`Message`]s.

use std::collections::VecDeque;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Utf8Bytes};

use crate::{ClientTls, Error, Message};

/// Messages kept aside while [`Client::join`] waits for its answer, at most this many.
const MAX_PENDING: usize = 256;
/// Largest message the client accepts from the server.
const MAX_INCOMING: usize = 1024 * 1024;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The answer to a successful join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// Our id in the room.
    pub id: String,
    /// The room.
    pub room: String,
    /// The other members, in joining order.
    pub peers: Vec<String>,
}

/// A connection to a signaling server.
///
/// [`recv`](Client::recv) is cancel-safe, so a `tokio::select!` loop can wait on it next to
/// other work and call [`send`](Client::send) in another branch.
pub struct Client {
    ws: WebSocketStream<Box<dyn Io>>,
    pending: VecDeque<Message>,
    id: Option<String>,
    error: Option<Error>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to `ws://HOST:PORT/PATH`. For `wss://` use [`connect_tls`](Client::connect_tls).
    pub async fn connect(url: &str) -> Result<Client, Error> {
        Self::connect_inner(url, None).await
    }

    /// Connects to `wss://HOST:PORT/PATH` (or `ws://`), trusting the roots in `tls`.
    pub async fn connect_tls(url: &str, tls: &ClientTls) -> Result<Client, Error> {
        Self::connect_inner(url, Some(tls)).await
    }

    async fn connect_inner(url: &str, tls: Option<&ClientTls>) -> Result<Client, Error> {
        let bad = |why| Error::Url {
            url: url.to_string(),
            why,
        };
        let request = url.into_client_request().map_err(|_| bad("not a URL"))?;
        let uri = request.uri();
        let secure = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(bad("the scheme must be ws or wss")),
        };
        let host = uri.host().ok_or_else(|| bad("no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let tcp = TcpStream::connect((host.as_str(), port)).await?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Io> = if secure {
            let tls = tls.ok_or(Error::TlsNeeded)?;
            let name = rustls_pki_types::ServerName::try_from(host)
                .map_err(|_| bad("the host is not a valid TLS server name"))?;
            let connector = tokio_rustls::TlsConnector::from(tls.0.clone());
            Box::new(connector.connect(name, tcp).await?)
        } else {
            Box::new(tcp)
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_INCOMING))
            .max_frame_size(Some(MAX_INCOMING));
        let (ws, _response) =
            tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
        Ok(Client {
            ws,
            pending: VecDeque::new(),
            id: None,
            error: None,
        })
    }

    /// Joins `room` under an id the server picks, and waits for the answer.
    pub async fn join(&mut self, room: &str) -> Result<Joined, Error> {
        self.join_inner(room, None).await
    }

    /// Joins `room` as `id`, and waits for the answer.
    pub async fn join_as(&mut self, room: &str, id: &str) -> Result<Joined, Error> {
        self.join_inner(room, Some(id)).await
    }

    async fn join_inner(&mut self, room: &str, id: Option<&str>) -> Result<Joined, Error> {
        self.send(Message::Join {
            room: room.to_string(),
            id: id.map(str::to_string),
        })
        .await?;
        loop {
            match self.next_message().await? {
                Message::Joined { id, room, peers } => {
                    self.id = Some(id.clone());
                    return Ok(Joined { id, room, peers });
                }
                Message::Error { reason, detail } => {
                    return Err(Error::Refused { reason, detail });
                }
                other => {
                    if self.pending.len() >= MAX_PENDING {
                        tracing::debug!(kind = other.kind(), "too many pending messages; dropping");
                    } else {
                        self.pending.push_back(other);
                    }
                }
            }
        }
    }

    /// Our id in the room, once joined.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Sends a message (`offer`, `answer`, `candidate`, `bye`, or `join`).
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        if matches!(message, Message::Bye { .. }) {
            self.id = None;
        }
        let text = Utf8Bytes::from(message.to_json());
        self.ws.send(tungstenite::Message::Text(text)).await?;
        Ok(())
    }

    /// The next message from the server; `None` once the connection is closed (see
    /// [`error`](Client::error) for why, if it was not a clean close). Cancel-safe.
    pub async fn recv(&mut self) -> Option<Message> {
        if let Some(m) = self.pending.pop_front() {
            return Some(m);
        }
        match self.next_message().await {
            Ok(m) => Some(m),
            Err(Error::Closed) => None,
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    /// Why [`recv`](Client::recv) returned `None`, unless the connection closed cleanly.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Closes the connection (a WebSocket close handshake).
    pub async fn close(mut self) -> Result<(), Error> {
        match self.ws.close(None).await {
            Ok(()) | Err(tungstenite::Error::ConnectionClosed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads frames until a message arrives. Skips pings, pongs and text that does not parse.
    async fn next_message(&mut self) -> Result<Message, Error> {
        loop {
            match self.ws.next().await {
                None => return Err(Error::Closed),
                Some(Err(
                    tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed,
                )) => return Err(Error::Closed),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(tungstenite::Message::Text(text))) => {
                    match serde_json::from_str::<Message>(text.as_str()) {
                        Ok(m) => return Ok(m),
                        Err(e) => {
                            tracing::debug!(error = %e, "bad message from the server; skipped")
                        }
                    }
                }
                Some(Ok(tungstenite::Message::Close(frame))) => {
                    tracing::debug!(?frame, "server closed the connection");
                }
                Some(Ok(_)) => {}
            }
        }
    }
}
