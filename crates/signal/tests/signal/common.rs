//! Helpers: start a server on 127.0.0.1:0, receive with a hang guard, raw WebSocket access.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nutshell_signal::{Client, Config, Message, Server, ServerHandle};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite;

/// Guard against hangs only; no assertion depends on timing.
pub const GUARD: Duration = Duration::from_secs(5);

pub fn local() -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    }
}

pub async fn start(config: Config) -> ServerHandle {
    Server::bind(config).await.expect("bind").spawn()
}

pub async fn connect(server: &ServerHandle) -> Client {
    Client::connect(server.url()).await.expect("connect")
}

/// The next message, or a panic after [`GUARD`].
pub async fn recv(client: &mut Client) -> Message {
    tokio::time::timeout(GUARD, client.recv())
        .await
        .expect("no message in time")
        .expect("connection closed")
}

/// Asserts that nothing arrives for a short while.
pub async fn quiet(client: &mut Client) {
    if let Ok(m) = tokio::time::timeout(Duration::from_millis(100), client.recv()).await {
        panic!("unexpected {m:?}");
    }
}

pub type Raw = WebSocketStream<TcpStream>;

/// A WebSocket without our client on top, to send whatever we like.
pub async fn raw(server: &ServerHandle) -> Raw {
    let tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    tokio_tungstenite::client_async(server.url(), tcp)
        .await
        .expect("websocket handshake")
        .0
}

pub async fn raw_send(ws: &mut Raw, text: &str) {
    ws.send(tungstenite::Message::Text(text.into()))
        .await
        .unwrap();
}

/// The next text message, parsed.
pub async fn raw_recv(ws: &mut Raw) -> Message {
    loop {
        let frame = tokio::time::timeout(GUARD, ws.next())
            .await
            .expect("no message in time")
            .expect("closed")
            .expect("websocket error");
        if let tungstenite::Message::Text(t) = frame {
            return serde_json::from_str(t.as_str()).expect("valid message");
        }
    }
}

/// The `reason` of an `error` message.
pub fn reason(m: &Message) -> &str {
    match m {
        Message::Error { reason, .. } => reason,
        other => panic!("not an error: {other:?}"),
    }
}
