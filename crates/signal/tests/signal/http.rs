//! The page over plain HTTP on the signaling port.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

async fn get(addr: std::net::SocketAddr, request: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(GUARD, tcp.read_to_string(&mut out))
        .await
        .unwrap()
        .unwrap();
    out
}

#[tokio::test]
async fn serves_the_page_and_404s_the_rest() {
    let server = start(local()).await;
    let addr = server.local_addr();
    let index = get(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(index.starts_with("HTTP/1.1 200 OK\r\n"), "{index}");
    assert!(index.contains("Content-Type: text/html"), "{index}");
    assert!(index.contains("<script src=\"/app.js\">"), "{index}");
    let js = get(addr, "GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(js.starts_with("HTTP/1.1 200 OK\r\n"), "{js}");
    assert!(js.contains("text/javascript"), "{js}");
    assert!(js.contains("new WebSocket"), "{js}");
    let head = get(addr, "HEAD /?room=a HTTP/1.1\r\n\r\n").await;
    assert!(
        head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"),
        "{head}"
    );
    let missing = get(addr, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        missing.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{missing}"
    );
    let post = get(addr, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").await;
    assert!(post.starts_with("HTTP/1.1 405"), "{post}");
    let junk = get(addr, "\x16\x03\x01 not http\r\n\r\n").await;
    assert!(junk.starts_with("HTTP/1.1 400"), "{junk}");
    let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(9000));
    let long = get(addr, &long).await;
    assert!(long.starts_with("HTTP/1.1 431"), "{long}");
    // The WebSocket still works next to it.
    let mut c = connect(&server).await;
    c.join("r").await.unwrap();
    server.shutdown().await;
}
