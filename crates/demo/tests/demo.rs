//! Runs the demo binary: the in-process call, and A and B as two processes against a
//! signaling server started here. Everything on 127.0.0.1.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_nutshell-demo");

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nutshell-demo-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// Waits for a child at most `limit`, killing it after that.
fn wait(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait().expect("try_wait") {
            Some(_) => break,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                break;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    child.wait_with_output().expect("output")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn call_in_one_process_with_diagram() {
    let diagram = temp("call.mmd");
    let child = Command::new(BIN)
        .args(["--seconds", "1", "--diagram"])
        .arg(&diagram)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the demo");
    let out = wait(child, Duration::from_secs(60));
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "A → signal → B  offer (audio, video; 2 m-lines",
        "B → signal → A  answer",
        "A → signal → B  candidate host 127.0.0.1:",
        "A → STUN  STUN Binding request",
        "STUN → B  Binding success: mapped address 127.0.0.1:",
        "A: on_track audio",
        "B: on_track video",
        "A: connection Connected",
        "B → A  first SRTP packet: audio",
        "A → B  first SRTP packet: video",
        "A → signal → B  bye",
        "Summary",
        "DTLS cipher: TLS_",
        "SRTP profile: ",
        "media: both ways",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{all}");
    }
    // Every address in the trace is on loopback.
    for word in stdout.split_whitespace() {
        if let Some((ip, _port)) = word.rsplit_once(':')
            && let Ok(ip) = ip.parse::<std::net::IpAddr>()
        {
            assert!(ip.is_loopback(), "{ip} is not loopback in\n{all}");
        }
    }
    let mmd = std::fs::read_to_string(&diagram).expect("the diagram");
    assert!(mmd.starts_with("sequenceDiagram\n"), "{mmd}");
    for needle in [
        "participant A",
        "participant Signal",
        "participant STUN",
        "participant B",
        "A->>Signal:",
        "Signal->>B:",
        " offer (audio, video",
        " answer (audio, video",
        " candidate host 127.0.0.1:",
        "A->>STUN:",
        "STUN->>A:",
        " bye",
    ] {
        assert!(mmd.contains(needle), "missing {needle:?} in\n{mmd}");
    }
    let svg = std::fs::read_to_string(diagram.with_extension("svg")).expect("the SVG");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let _ = std::fs::remove_file(&diagram);
    let _ = std::fs::remove_file(diagram.with_extension("svg"));
}

#[test]
fn roles_as_two_processes() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let diagram = temp("roles.mmd");
    let d = diagram.clone();
    let (a, b) = rt.block_on(async move {
        let config = signal::Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            ..signal::Config::default()
        };
        let server = signal::Server::bind(config).await.expect("bind").spawn();
        let url = server.url().to_string();
        let outputs = tokio::task::spawn_blocking(move || {
            let spawn = |role: &str, extra: &[&std::ffi::OsStr]| {
                Command::new(BIN)
                    .args(["--role", role, "--signal", &url, "--room", "roles"])
                    .args(["--seconds", "1"])
                    .args(extra)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn the demo")
            };
            let b = spawn("b", &[]);
            // B joins first; A finds it in the room and offers (either order works).
            std::thread::sleep(Duration::from_millis(200));
            let a = spawn("a", &["--diagram".as_ref(), d.as_os_str()]);
            let a = wait(a, Duration::from_secs(60));
            let b = wait(b, Duration::from_secs(10));
            (a, b)
        })
        .await
        .expect("join");
        server.shutdown().await;
        outputs
    });
    let (ta, tb) = (text(&a), text(&b));
    assert!(a.status.success(), "A: {ta}\nB: {tb}");
    assert!(b.status.success(), "B: {tb}\nA: {ta}");
    let sa = String::from_utf8_lossy(&a.stdout);
    let sb = String::from_utf8_lossy(&b.stdout);
    for needle in [
        "A → signal  offer (audio, video",
        "signal → A  answer from B",
        "signal → A  candidate from B host 127.0.0.1:",
        "A: connection Connected",
        "B → A  first SRTP packet: audio",
        "B → A  first SRTP packet: video",
        "A → signal  bye",
        "media: both ways",
    ] {
        assert!(sa.contains(needle), "A lacks {needle:?}: {ta}");
    }
    for needle in [
        "signal → B  offer from A",
        "addTrack(audio, video) for echo",
        "B: on_track audio",
        "signal → B  bye from A",
        "media: both ways",
    ] {
        assert!(sb.contains(needle), "B lacks {needle:?}: {tb}");
    }
    let mmd = std::fs::read_to_string(&diagram).expect("the diagram");
    assert!(mmd.starts_with("sequenceDiagram\n"));
    assert!(
        mmd.contains("A->>Signal:") && mmd.contains("Signal->>A:"),
        "{mmd}"
    );
    assert!(!mmd.contains("participant STUN"), "{mmd}");
    let _ = std::fs::remove_file(&diagram);
    let _ = std::fs::remove_file(diagram.with_extension("svg"));
}
