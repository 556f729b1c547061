//! The `nutshell-signal` binary: starts on a free port, serves over ws and wss (certificate
//! files from rcgen), and exits 0 on SIGINT.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use nutshell_signal::{Client, ClientTls, Message};

use crate::common::GUARD;

struct Running {
    child: Child,
    url: String,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nutshell-signal"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nutshell-signal");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx.recv_timeout(GUARD).expect("a log line");
        let url = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("websocket="))
            .unwrap_or_else(|| panic!("no url in {line:?}"))
            .to_string();
        Running { child, url }
    }

    fn interrupt(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(status.success());
        let deadline = std::time::Instant::now() + GUARD;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(std::time::Instant::now() < deadline, "no exit after SIGINT");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(a: &mut Client, b: &mut Client) {
    a.join_as("r", "a").await.unwrap();
    b.join_as("r", "b").await.unwrap();
    assert_eq!(
        crate::common::recv(a).await,
        Message::PeerJoined { id: "b".into() }
    );
    b.send(Message::offer("v=0")).await.unwrap();
    assert_eq!(crate::common::recv(a).await.from(), Some("b"));
}

#[tokio::test]
async fn binary_over_ws_then_sigint() {
    let server = Running::start(&["--max-peers-per-room", "3"]);
    assert!(server.url.starts_with("ws://127.0.0.1:"), "{}", server.url);
    let mut a = Client::connect(&server.url).await.unwrap();
    let mut b = Client::connect(&server.url).await.unwrap();
    call(&mut a, &mut b).await;
    server.interrupt();
    assert_eq!(a.recv().await, None);
}

#[tokio::test]
async fn binary_over_wss_with_certificate_files() {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("nutshell-signal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("c.pem");
    let key = dir.join("k.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let server = Running::start(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(server.url.starts_with("wss://127.0.0.1:"), "{}", server.url);
    let roots = ClientTls::from_root_pem(made.cert.pem().as_bytes()).unwrap();
    let mut a = Client::connect_tls(&server.url, &roots).await.unwrap();
    let mut b = Client::connect_tls(&server.url, &roots).await.unwrap();
    call(&mut a, &mut b).await;
    server.interrupt();
}

#[test]
fn binary_refuses_bad_arguments_and_missing_files() {
    let out = Command::new(env!("CARGO_BIN_EXE_nutshell-signal"))
        .args(["--tls-cert", "c.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_nutshell-signal"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            "/nonexistent/c.pem",
        ])
        .args(["--tls-key", "/nonexistent/k.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/c.pem"));
}
