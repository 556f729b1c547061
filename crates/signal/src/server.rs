//! The server: one TCP port (optionally TLS) that serves the embedded page over HTTP and
//! signaling over WebSocket.
//!
//! Tasks: an accept loop; one task per connection (TLS and HTTP handshake, then the WebSocket
//! session); and one hub task that owns the [`Rooms`] and routes messages. Connections talk
//! to the hub over a bounded queue and await space in it, so a flood from one client only
//! slows that client down. The hub never waits: it hands each outgoing message to the
//! recipient's bounded send queue with `try_send`, and a recipient whose queue is full is
//! removed from its room (the others get `peer-left`) and disconnected with close code 1008.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Utf8Bytes};
use tracing::Instrument;

use crate::http::{self, Request};
use crate::protocol::{self, Message, reason};
use crate::rooms::{ConnId, Limits, Rooms};
use crate::{Error, ServerTls};

/// Commands queued to the hub, at most this many.
const HUB_QUEUE: usize = 1024;
/// How long shutdown waits for connections to send their close frames.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Server settings. `Config::default()` listens on 127.0.0.1:8080 without TLS.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (port 0: any free port, see [`Server::local_addr`]).
    pub listen: SocketAddr,
    /// Most members of one room (default 2: a call).
    pub max_peers_per_room: usize,
    /// Most rooms at once (default 1024).
    pub max_rooms: usize,
    /// Most connections at once, HTTP and WebSocket (default 1024); more are closed at once.
    pub max_connections: usize,
    /// Largest message accepted, in bytes (default 64 KiB). Larger ones up to four times this
    /// get an `error` (`too-large`) and the connection lives on; beyond that the connection is
    /// closed with 1009 (message too big), so a connection never buffers more than that.
    pub max_message_size: usize,
    /// Messages queued for one connection (default 64). A reader that falls this far behind
    /// is disconnected rather than buffered for.
    pub send_queue: usize,
    /// Time for the TLS handshake and the HTTP request head (default 10 s).
    pub handshake_timeout: Duration,
    /// Time for writing one message to a connection (default 10 s); a peer that does not
    /// read is disconnected after it.
    pub write_timeout: Duration,
    /// TLS (`wss://`, `https://`), or plain TCP when `None`.
    pub tls: Option<ServerTls>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_peers_per_room: 2,
            max_rooms: 1024,
            max_connections: 1024,
            max_message_size: 64 * 1024,
            send_queue: 64,
            handshake_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            tls: None,
        }
    }
}

impl Config {
    fn hard_limit(&self) -> usize {
        self.max_message_size.saturating_mul(4).max(1024)
    }

    fn ws_config(&self) -> WebSocketConfig {
        let hard = self.hard_limit();
        WebSocketConfig::default()
            .max_message_size(Some(hard))
            .max_frame_size(Some(hard))
            .write_buffer_size(0)
            .max_write_buffer_size(hard.saturating_mul(2).max(64 * 1024))
    }
}

/// A bound server, ready to [`run`](Server::run) or [`spawn`](Server::spawn).
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: Config,
}

impl Server {
    /// Binds the listening socket.
    pub async fn bind(config: Config) -> Result<Server, Error> {
        let addr = config.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        Ok(Server {
            listener,
            local_addr,
            config,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The `ws://` (or `wss://`) URL of the WebSocket endpoint, `/ws`.
    pub fn url(&self) -> String {
        ws_url(self.local_addr, self.config.tls.is_some())
    }

    /// Serves until the future is dropped.
    pub async fn run(self) {
        self.run_until(std::future::pending()).await;
    }

    /// Serves until `shutdown` resolves, then stops accepting, closes every WebSocket with
    /// 1001 (going away) and returns.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) {
        let Server {
            listener, config, ..
        } = self;
        let (stop_tx, stop_rx) = watch::channel(false);
        let (hub_tx, hub_rx) = mpsc::channel(HUB_QUEUE);
        let hub = tokio::spawn(hub(
            hub_rx,
            Limits {
                max_peers_per_room: config.max_peers_per_room,
                max_rooms: config.max_rooms,
            },
        ));
        let acceptor = config.tls.as_ref().map(|t| TlsAcceptor::from(t.0.clone()));
        let mut connections = JoinSet::new();
        let mut next_conn: ConnId = 1;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(x) => x,
                        Err(e) => {
                            tracing::debug!(error = %e, "accept error");
                            // Out of file descriptors and the like: back off, do not spin.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    if connections.len() >= config.max_connections {
                        tracing::debug!(%peer, "too many connections; closing");
                        continue;
                    }
                    let conn = next_conn;
                    next_conn += 1;
                    let task = Connection {
                        conn,
                        config: config.clone(),
                        hub: hub_tx.clone(),
                        stop: stop_rx.clone(),
                    };
                    let span = tracing::debug_span!("conn", conn, %peer);
                    let acceptor = acceptor.clone();
                    connections.spawn(async move {
                        let why = task.serve(stream, acceptor).await;
                        tracing::debug!(why, "connection closed");
                    }.instrument(span));
                }
            }
        }
        drop(listener);
        let _ = stop_tx.send(true);
        drop(hub_tx);
        let drained = timeout(SHUTDOWN_GRACE, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            connections.shutdown().await;
        }
        let _ = hub.await;
    }

    /// Runs the server on a tokio task. It stops when [`ServerHandle::shutdown`] is called or
    /// the handle is dropped.
    pub fn spawn(self) -> ServerHandle {
        let local_addr = self.local_addr;
        let url = self.url();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(self.run_until(async move {
            // Resolves on a send or when the handle (the sender) is dropped.
            let _ = stopped.await;
        }));
        ServerHandle {
            local_addr,
            url,
            stop: Some(stop),
            task: Some(task),
        }
    }
}

fn ws_url(addr: SocketAddr, tls: bool) -> String {
    format!("{}://{addr}/ws", if tls { "wss" } else { "ws" })
}

/// A server running on a task; dropping it stops the server.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The WebSocket URL, `ws://ADDR/ws` or `wss://ADDR/ws`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops the server gracefully and waits until it has.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// What connections ask of the hub.
#[derive(Debug)]
enum Command {
    /// A WebSocket session started; this is its send queue.
    Open {
        conn: ConnId,
        queue: mpsc::Sender<Utf8Bytes>,
    },
    /// A parsed client message.
    Message { conn: ConnId, message: Message },
    /// The session ended.
    Close { conn: ConnId },
}

/// The hub: owns the rooms and every connection's send queue.
struct Hub {
    rooms: Rooms,
    queues: HashMap<ConnId, mpsc::Sender<Utf8Bytes>>,
    /// Connections whose queue overflowed, to be dropped.
    overflowed: Vec<ConnId>,
}

async fn hub(mut commands: mpsc::Receiver<Command>, limits: Limits) {
    let mut hub = Hub {
        rooms: Rooms::new(limits),
        queues: HashMap::new(),
        overflowed: Vec::new(),
    };
    while let Some(command) = commands.recv().await {
        match command {
            Command::Open { conn, queue } => {
                hub.queues.insert(conn, queue);
            }
            Command::Message { conn, message } => hub.handle(conn, message),
            Command::Close { conn } => {
                hub.queues.remove(&conn);
                hub.leave(conn);
            }
        }
        hub.drop_overflowed();
    }
}

impl Hub {
    fn handle(&mut self, conn: ConnId, mut message: Message) {
        match &message {
            Message::Join { room, id } => match self.rooms.join(conn, room, id.as_deref()) {
                Ok(joined) => {
                    tracing::debug!(conn, room, id = joined.id, "joined");
                    let notice = text(&Message::PeerJoined {
                        id: joined.id.clone(),
                    });
                    let reply = Message::Joined {
                        id: joined.id,
                        room: room.clone(),
                        peers: joined.peers.iter().map(|(_, id)| id.clone()).collect(),
                    };
                    self.deliver(conn, text(&reply));
                    for (peer, _) in joined.peers {
                        self.deliver(peer, notice.clone());
                    }
                }
                Err(why) => {
                    let detail = match why {
                        reason::ROOM_FULL => Some(format!(
                            "room {room:?} holds at most {} peers",
                            self.rooms.limits().max_peers_per_room
                        )),
                        _ => None,
                    };
                    self.deliver(conn, text(&Message::error(why, detail)));
                }
            },
            Message::Offer { .. }
            | Message::Answer { .. }
            | Message::Candidate { .. }
            | Message::Bye { .. } => {
                let bye = matches!(message, Message::Bye { .. });
                match self.rooms.route(conn, message.to()) {
                    Ok((from, recipients)) => {
                        message.stamp(&from);
                        let relayed = text(&message);
                        for peer in recipients {
                            self.deliver(peer, relayed.clone());
                        }
                        if bye {
                            self.leave(conn);
                        }
                    }
                    Err(why) => {
                        let detail = message.to().map(|to| format!("to {to:?}"));
                        self.deliver(conn, text(&Message::error(why, detail)));
                    }
                }
            }
            // parse_client lets only client types through.
            _ => {}
        }
    }

    /// Queues `text` for `conn` without waiting; a full queue marks it for dropping.
    fn deliver(&mut self, conn: ConnId, text: Utf8Bytes) {
        let Some(queue) = self.queues.get(&conn) else {
            return;
        };
        match queue.try_send(text) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::debug!(conn, "send queue full; disconnecting");
                self.overflowed.push(conn);
            }
            // The session is ending; its Close command is on the way.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Removes `conn` from its room and tells the others.
    fn leave(&mut self, conn: ConnId) {
        if let Some(left) = self.rooms.leave(conn) {
            tracing::debug!(conn, id = left.id, "left");
            let notice = text(&Message::PeerLeft { id: left.id });
            for peer in left.others {
                self.deliver(peer, notice.clone());
            }
        }
    }

    /// Drops overflowed connections: closing their queue tells their task to hang up.
    fn drop_overflowed(&mut self) {
        while let Some(conn) = self.overflowed.pop() {
            if self.queues.remove(&conn).is_some() {
                self.leave(conn);
            }
        }
    }
}

fn text(message: &Message) -> Utf8Bytes {
    Utf8Bytes::from(message.to_json())
}

/// One accepted TCP connection.
struct Connection {
    conn: ConnId,
    config: Config,
    hub: mpsc::Sender<Command>,
    stop: watch::Receiver<bool>,
}

impl Connection {
    /// Serves the connection; returns why it ended.
    async fn serve(self, stream: TcpStream, tls: Option<TlsAcceptor>) -> &'static str {
        let _ = stream.set_nodelay(true);
        match tls {
            None => self.serve_http(stream).await,
            Some(acceptor) => {
                match timeout(self.config.handshake_timeout, acceptor.accept(stream)).await {
                    Err(_) => "TLS handshake timeout",
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        "TLS handshake failed"
                    }
                    Ok(Ok(stream)) => self.serve_http(stream).await,
                }
            }
        }
    }

    async fn serve_http<S>(self, mut stream: S) -> &'static str
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let request = match timeout(
            self.config.handshake_timeout,
            http::read_request(&mut stream),
        )
        .await
        {
            Err(_) => return "request timeout",
            Ok(Err(_)) => return "read error",
            Ok(Ok(None)) => return "closed before a request",
            Ok(Ok(Some(request))) => request,
        };
        match request {
            Request::Plain(response) => {
                tracing::debug!(status = response.status, "http");
                let _ = timeout(self.config.write_timeout, response.write(&mut stream)).await;
                "http response sent"
            }
            Request::Upgrade { key, rest } => {
                let accept = http::switching_protocols(&key);
                let wrote = timeout(self.config.write_timeout, async {
                    stream.write_all(accept.as_bytes()).await?;
                    stream.flush().await
                })
                .await;
                if !matches!(wrote, Ok(Ok(()))) {
                    return "write error";
                }
                let ws = WebSocketStream::from_partially_read(
                    stream,
                    rest,
                    Role::Server,
                    Some(self.config.ws_config()),
                )
                .await;
                self.session(ws).await
            }
        }
    }

    async fn session<S>(mut self, mut ws: WebSocketStream<S>) -> &'static str
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = self.conn;
        let (queue, mut outgoing) = mpsc::channel(self.config.send_queue.max(1));
        if self.hub.send(Command::Open { conn, queue }).await.is_err() {
            return "server stopping";
        }
        let why = loop {
            tokio::select! {
                biased;
                _ = self.stop.changed() => {
                    self.close(&mut ws, CloseCode::Away, "server shutting down").await;
                    break "shutdown";
                }
                out = outgoing.recv() => match out {
                    Some(text) => {
                        if !self.write(&mut ws, tungstenite::Message::Text(text)).await {
                            break "write failed or timed out";
                        }
                    }
                    None => {
                        self.close(&mut ws, CloseCode::Policy, "send queue full").await;
                        break "too slow a reader";
                    }
                },
                frame = ws.next() => match frame {
                    None => break "closed",
                    Some(Err(tungstenite::Error::Capacity(e))) => {
                        tracing::debug!(error = %e, "message over the hard limit");
                        self.close(&mut ws, CloseCode::Size, "message too big").await;
                        break "message too big";
                    }
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "websocket error");
                        break "websocket error";
                    }
                    Some(Ok(tungstenite::Message::Text(text))) => {
                        if !self.incoming(&mut ws, text.as_str()).await {
                            break "write failed or timed out";
                        }
                    }
                    Some(Ok(tungstenite::Message::Binary(_))) => {
                        let m = Message::error(reason::BINARY, Some("send JSON in text frames".into()));
                        if !self.write(&mut ws, tungstenite::Message::Text(text(&m))).await {
                            break "write failed or timed out";
                        }
                    }
                    // Pings are answered and closes completed by tungstenite itself.
                    Some(Ok(_)) => {}
                },
            }
        };
        let _ = self.hub.send(Command::Close { conn }).await;
        why
    }

    /// Handles one text message; false if the connection is to be dropped.
    async fn incoming<S>(&self, ws: &mut WebSocketStream<S>, text_in: &str) -> bool
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        if text_in.len() > self.config.max_message_size {
            let m = Message::error(
                reason::TOO_LARGE,
                Some(format!(
                    "{} bytes; the limit is {}",
                    text_in.len(),
                    self.config.max_message_size
                )),
            );
            return self.write(ws, tungstenite::Message::Text(text(&m))).await;
        }
        match protocol::parse_client(text_in) {
            Ok(message) => {
                tracing::trace!(kind = message.kind(), "message");
                // The hub may be gone only while stopping; the stop branch ends the session.
                let _ = self
                    .hub
                    .send(Command::Message {
                        conn: self.conn,
                        message,
                    })
                    .await;
                true
            }
            Err(refusal) => {
                tracing::debug!(reason = refusal.reason, "refused");
                let m = refusal.to_message();
                self.write(ws, tungstenite::Message::Text(text(&m))).await
            }
        }
    }

    async fn write<S>(&self, ws: &mut WebSocketStream<S>, message: tungstenite::Message) -> bool
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        matches!(
            timeout(self.config.write_timeout, ws.send(message)).await,
            Ok(Ok(()))
        )
    }

    async fn close<S>(&self, ws: &mut WebSocketStream<S>, code: CloseCode, why: &'static str)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(why),
        };
        let wait = self.config.write_timeout.min(SHUTDOWN_GRACE);
        let _ = timeout(wait, ws.close(Some(frame))).await;
    }
}
