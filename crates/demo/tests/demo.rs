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

#[test]
fn serve_mode_serves_the_page_and_stun_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = Command::new(BIN)
        .args(["--serve", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the demo");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let first = lines.next().expect("a line").expect("text");
    // "browser demo page: http://127.0.0.1:PORT/?room=demo"
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("an address")
        .to_string();
    let addr: std::net::SocketAddr = addr.parse().expect("a socket address");

    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut page = String::new();
    let _ = tcp.read_to_string(&mut page);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.contains("nutshell demo call") && page.contains("/app.js"),
        "{page}"
    );

    // A STUN Binding request (RFC 8489 header, no attributes) gets a success response.
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    udp.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut req = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
    req.extend_from_slice(&[7; 12]);
    udp.send_to(&req, addr).expect("send");
    let mut buf = [0u8; 512];
    let (n, _) = udp.recv_from(&mut buf).expect("a STUN response");
    assert!(
        n >= 20 && buf[0] == 0x01 && buf[1] == 0x01,
        "{:?}",
        &buf[..n]
    );

    let st = Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    let out = wait(child, Duration::from_secs(10));
    assert!(out.status.success(), "{}", text(&out));
}

// ----- the browser demo page in headless Chromium ----------------------------------------
//
// Chromium gathers no loopback candidates, so these tests run everything inside a network
// namespace they create (`lo` plus a veth pair whose two ends both stay inside), as the
// browser interop tests do: nothing can leave it. They need root (`ip netns`) and
// `/usr/lib/chromium/chromium`, hence `#[ignore]`:
//     cargo test -p nutshell-demo -- --ignored

const CHROMIUM: &str = "/usr/lib/chromium/chromium";

/// A throwaway namespace with `lo` and `v0` (10.77.N.1) ⇄ `v1` (10.77.N.2), deleted on drop.
struct Netns {
    name: String,
    v1: String,
}

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().expect("run ip");
    assert!(st.success(), "ip {args:?} failed (these tests need root)");
}

impl Netns {
    fn new(tag: &str, subnet: u8) -> Netns {
        let name = format!("nutshell-demo-{tag}-{}", std::process::id());
        ip(&["netns", "add", &name]);
        let ns = Netns {
            v1: format!("10.77.{subnet}.2"),
            name,
        };
        let n = ns.name.as_str();
        ip(&["-n", n, "link", "set", "lo", "up"]);
        ip(&[
            "-n", n, "link", "add", "v0", "type", "veth", "peer", "name", "v1",
        ]);
        ip(&[
            "-n",
            n,
            "addr",
            "add",
            &format!("10.77.{subnet}.1/24"),
            "dev",
            "v0",
        ]);
        ip(&[
            "-n",
            n,
            "addr",
            "add",
            &format!("{}/24", ns.v1),
            "dev",
            "v1",
        ]);
        ip(&["-n", n, "link", "set", "v0", "up"]);
        ip(&["-n", n, "link", "set", "v1", "up"]);
        ns
    }

    /// Starts `program args` inside the namespace in its own process group, with stdout and
    /// stderr in files named after `label`.
    fn spawn(&self, label: &str, program: &str, args: &[String]) -> Proc {
        let out = temp(&format!("{label}.out"));
        let err = temp(&format!("{label}.err"));
        // `setsid` (not a process group leader here, so it does not fork) makes the child the
        // leader of a new session and process group whose id is the child's pid.
        let child = Command::new("setsid")
            .args(["ip", "netns", "exec", &self.name, program])
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("out file"))
            .stderr(std::fs::File::create(&err).expect("err file"))
            .spawn()
            .expect("spawn in the namespace");
        Proc {
            child,
            out,
            err,
            reaped: false,
            scratch: None,
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A child leading its own process group, killed with its group on drop.
struct Proc {
    child: Child,
    out: PathBuf,
    err: PathBuf,
    /// Once waited for, its pid may be reused: never signal it again.
    reaped: bool,
    /// A directory to delete once the child is gone (a browser profile).
    scratch: Option<PathBuf>,
}

impl Proc {
    /// Kills the child's process group (the browser's helpers with it), after checking that
    /// the group is the child's own: `kill -s KILL -- -PGID`, the `--` being essential (a
    /// negative number taken for an option can end up meaning every process).
    fn kill_group(&mut self) {
        if self.reaped {
            return;
        }
        let pid = self.child.id();
        let pgid = Command::new("ps")
            .args(["-o", "pgid=", "-p", &pid.to_string()])
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<u32>()
                    .ok()
            });
        if pid > 1 && pgid == Some(pid) {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{pid}")])
                .status();
        } else {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        self.reaped = true;
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// Waits for the exit at most `limit`.
    fn wait(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                self.reaped = true;
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill_group();
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn chromium(ns: &Netns, label: &str, url: &str) -> Proc {
    let profile = temp(&format!("{label}-profile"));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).expect("profile dir");
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-proxy-server",
        "--mute-audio",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    v.push(format!("--user-data-dir={}", profile.display()));
    v.push(url.to_string());
    let mut p = ns.spawn(label, CHROMIUM, &v);
    p.scratch = Some(profile);
    p
}

/// Bytes received per kind from the page's last `nutshell-demo stats {...}` console line
/// whose connection is `connected`: (audio, video).
fn page_received(stderr: &str) -> Option<(u64, u64)> {
    let line = stderr.lines().rev().find(|l| {
        l.contains("nutshell-demo stats ") && l.contains(r#""connection":"connected""#)
    })?;
    let received = line.split(r#""received":{"#).nth(1)?.split('}').next()?;
    let number = |key: &str| -> u64 {
        received
            .split(&format!(r#""{key}":"#))
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Some((number("audio"), number("video")))
}

/// Waits until the page has received audio and video, at most `limit`.
fn wait_for_media(browser: &Proc, limit: Duration) -> Option<(u64, u64)> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some((a, v)) = page_received(&browser.stderr())
            && a > 0
            && v > 0
        {
            return Some((a, v));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

fn serve(ns: &Netns, label: &str) -> Proc {
    let server = ns.spawn(label, BIN, &["--serve".into(), "127.0.0.1:8000".into()]);
    std::thread::sleep(Duration::from_millis(500));
    server
}

#[test]
#[ignore = "needs root (ip netns) and Chromium"]
fn browser_calls_nutshell_which_echoes() {
    let ns = Netns::new("echo", 231);
    let _server = serve(&ns, "echo-serve");
    let mut b = ns.spawn(
        "echo-b",
        BIN,
        &[
            "--role",
            "b",
            "--signal",
            "ws://127.0.0.1:8000/ws",
            "--room",
            "echo",
            "--interfaces",
            &ns.v1,
        ]
        .map(String::from),
    );
    std::thread::sleep(Duration::from_millis(300));
    let mut browser = chromium(
        &ns,
        "echo-chromium",
        "http://127.0.0.1:8000/?room=echo&auto=call&verbose=1",
    );
    let got = wait_for_media(&browser, Duration::from_secs(30));
    browser.kill_group();
    let status = b.wait(Duration::from_secs(10));
    let report = format!(
        "B stdout:\n{}\nB stderr:\n{}\nbrowser:\n{}",
        b.stdout(),
        b.stderr(),
        browser
            .stderr()
            .lines()
            .filter(|l| l.contains("nutshell-demo"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(got.is_some(), "the page received no echo\n{report}");
    assert!(
        status.is_some_and(|s| s.success()),
        "B did not exit cleanly\n{report}"
    );
    let out = b.stdout();
    for needle in [
        "signal → B  offer from A",
        "B: on_track audio",
        "B: on_track video",
        "B: connection Connected",
        "A → B  first SRTP packet: video",
        "media: both ways",
    ] {
        assert!(out.contains(needle), "B lacks {needle:?}\n{report}");
    }
}

#[test]
#[ignore = "needs root (ip netns) and Chromium"]
fn browser_tab_calls_browser_tab() {
    let ns = Netns::new("tabs", 232);
    let _server = serve(&ns, "tabs-serve");
    let callee = chromium(
        &ns,
        "tabs-callee",
        "http://127.0.0.1:8000/?room=tabs&verbose=1",
    );
    std::thread::sleep(Duration::from_millis(1500));
    let caller = chromium(
        &ns,
        "tabs-caller",
        "http://127.0.0.1:8000/?room=tabs&auto=call&verbose=1",
    );
    let a = wait_for_media(&caller, Duration::from_secs(30));
    let b = wait_for_media(&callee, Duration::from_secs(5));
    let page = |p: &Proc| {
        p.stderr()
            .lines()
            .filter(|l| l.contains("nutshell-demo"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        a.is_some() && b.is_some(),
        "caller:\n{}\ncallee:\n{}",
        page(&caller),
        page(&callee)
    );
}
