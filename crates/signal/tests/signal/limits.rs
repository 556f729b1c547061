//! Bad input gets an error and the connection lives on; a stuck reader blocks nobody.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nutshell_signal::protocol::reason as why;
use nutshell_signal::{Config, Message};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite;

use crate::common::*;

#[tokio::test]
async fn malformed_unknown_binary_and_oversize_get_errors_and_the_connection_survives() {
    let server = start(Config {
        max_message_size: 1000,
        ..local()
    })
    .await;
    let mut ws = raw(&server).await;
    for (text, expected) in [
        ("{not json", why::MALFORMED),
        ("[]", why::MALFORMED),
        (r#"{"type":"offer","sdp":5}"#, why::MALFORMED),
        (r#"{"type":"frobnicate"}"#, why::UNKNOWN_TYPE),
        (r#"{"type":"peer-joined","id":"x"}"#, why::UNKNOWN_TYPE),
        (r#"{"sdp":"v=0"}"#, why::UNKNOWN_TYPE),
        (r#"{"type":"join","room":""}"#, why::BAD_NAME),
    ] {
        raw_send(&mut ws, text).await;
        assert_eq!(reason(&raw_recv(&mut ws).await), expected, "{text}");
    }
    let big = format!(r#"{{"type":"offer","sdp":"{}"}}"#, "x".repeat(2000));
    raw_send(&mut ws, &big).await;
    assert_eq!(reason(&raw_recv(&mut ws).await), why::TOO_LARGE);
    ws.send(tungstenite::Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(reason(&raw_recv(&mut ws).await), why::BINARY);
    // Still usable.
    raw_send(&mut ws, r#"{"type":"join","room":"r"}"#).await;
    assert!(matches!(raw_recv(&mut ws).await, Message::Joined { .. }));

    // Beyond four times the limit: closed with 1009.
    let huge = "x".repeat(5000);
    ws.send(tungstenite::Message::Text(huge.into()))
        .await
        .unwrap();
    let code = loop {
        match tokio::time::timeout(GUARD, ws.next()).await.unwrap() {
            Some(Ok(tungstenite::Message::Close(frame))) => break frame.map(|f| f.code),
            Some(Ok(_)) => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        code,
        Some(tungstenite::protocol::frame::coding::CloseCode::Size)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_stuck_reader_is_disconnected_and_blocks_nobody() {
    let server = start(Config {
        max_peers_per_room: 3,
        send_queue: 4,
        write_timeout: Duration::from_millis(500),
        ..local()
    })
    .await;
    let mut alice = connect(&server).await;
    alice.join_as("r", "alice").await.unwrap();

    // A WebSocket with a tiny receive buffer that never reads after joining.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(server.local_addr()).await.unwrap();
    let (mut stuck, _) = tokio_tungstenite::client_async(server.url(), tcp)
        .await
        .unwrap();
    raw_send(&mut stuck, r#"{"type":"join","room":"r","id":"stuck"}"#).await;
    assert!(matches!(raw_recv(&mut stuck).await, Message::Joined { .. }));
    assert_eq!(
        recv(&mut alice).await,
        Message::PeerJoined { id: "stuck".into() }
    );

    // Alice floods the room until the server gives up on the stuck member.
    let sdp = "a".repeat(60_000);
    let mut sent = 0;
    let left = loop {
        assert!(sent < 2000, "stuck reader never dropped");
        alice.send(Message::offer(sdp.clone())).await.unwrap();
        sent += 1;
        if let Ok(m) = tokio::time::timeout(Duration::from_millis(1), alice.recv()).await {
            break m;
        }
    };
    assert_eq!(left, Some(Message::PeerLeft { id: "stuck".into() }));

    // Business as usual for the others.
    let mut carol = connect(&server).await;
    let joined = carol.join_as("r", "carol").await.unwrap();
    assert_eq!(joined.peers, vec!["alice".to_string()]);
    assert_eq!(
        recv(&mut alice).await,
        Message::PeerJoined { id: "carol".into() }
    );
    alice.send(Message::offer("hi")).await.unwrap();
    assert_eq!(recv(&mut carol).await.from(), Some("alice"));
    drop(stuck);
    server.shutdown().await;
}

#[tokio::test]
async fn connections_and_rooms_are_capped() {
    let server = start(Config {
        max_connections: 2,
        max_rooms: 1,
        ..local()
    })
    .await;
    let mut a = connect(&server).await;
    let mut b = connect(&server).await;
    a.join("one").await.unwrap();
    match b.join("two").await {
        Err(nutshell_signal::Error::Refused { reason, .. }) => {
            assert_eq!(reason, why::TOO_MANY_ROOMS)
        }
        other => panic!("{other:?}"),
    }
    // A third connection is closed at once.
    assert!(
        nutshell_signal::Client::connect(server.url())
            .await
            .is_err()
    );
    drop(b);
    // Once one is gone, there is room again (the close takes a moment to be seen).
    let mut c = tokio::time::timeout(GUARD, async {
        loop {
            if let Ok(c) = nutshell_signal::Client::connect(server.url()).await {
                break c;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("a free connection slot");
    c.join("one").await.unwrap();
    server.shutdown().await;
}
