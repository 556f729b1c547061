//! aiortc (Python) against nutshell's runtime, each in its own process inside a network
//! namespace this test creates (ignored: needs root, `ip`, and a Python with aiortc).
//!
//! The namespace holds `lo` and a veth pair whose two ends both stay inside it: aiortc
//! gathers on `v0` (10.77.y.1) only, nutshell's `reflect` example on `v1` (10.77.y.2) only
//! (aiortc never gathers 127.0.0.1, so loopback cannot be used). The test relays the one
//! offer and one answer between them as JSON lines (`tests/interop/aiortc/peer.py` speaks
//! the same lines as `reflect`). aiortc sends its synthetic tracks (Opus silence, 640x480
//! VP8 or H.264 video); `reflect` echoes every received RTP stream back on its own tracks,
//! which aiortc decodes. So media crosses both ways, and the test checks both ends: aiortc
//! decoded audio and video frames (its report line), nutshell received and sent packets on
//! both kinds (`reflect`'s stats line on stderr at exit), and both saw the same DTLS 1.2
//! cipher suite and SRTP profile.
//!
//! Python: `$NUTSHELL_AIORTC_PYTHON` (`.ci/run` makes a virtual environment with aiortc and
//! exports it), else `~/.cache/nutshell/aiortc-venv/bin/python`, else `python3`. The test
//! builds the `reflect` example itself. Each case's logs are kept under
//! `<target>/tmp/interop-aiortc/<case>/`.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Netns, reflect_binary};
use crate::media::{Video, normalize};

/// Seconds of media once connected.
const MEDIA_SECONDS: f64 = 4.0;

/// A child in its own process group: stdout lines to a channel, stderr to a log file;
/// the group is killed on drop.
struct Proc {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr_log: PathBuf,
    stderr_thread: Option<std::thread::JoinHandle<()>>,
}

impl Proc {
    fn spawn(mut cmd: Command, name: &'static str, dir: &Path) -> Proc {
        let mut child = cmd
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let stderr_log = dir.join(format!("{name}.stderr"));
        let mut file = std::fs::File::create(&stderr_log).expect("create log");
        let mut err = child.stderr.take().expect("piped");
        let stderr_thread = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 || file.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        });
        Proc {
            name,
            stdin: child.stdin.take(),
            child,
            lines,
            stderr_log,
            stderr_thread: Some(stderr_thread),
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("{}: stdin: {e}\n{}", self.name, self.stderr_tail()));
    }

    /// The next stdout line that parses as JSON, within `timeout`.
    fn recv_json(&mut self, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => match serde_json::from_str::<Value>(&l) {
                    Ok(v) => return v,
                    Err(_) => eprintln!("{}: {l}", self.name),
                },
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{}: no JSON line within {timeout:?}; stderr tail:\n{}",
                    self.name,
                    self.stderr_tail()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{}: exited without a JSON line; stderr tail:\n{}",
                    self.name,
                    self.stderr_tail()
                ),
            }
        }
    }

    /// Closes stdin and waits up to `timeout` for the child to exit.
    fn finish(&mut self, timeout: Duration) -> bool {
        self.stdin.take();
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                _ => return false,
            }
        }
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
        true
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }

    fn stderr_tail(&self) -> String {
        let s = self.stderr();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stdin.take();
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn target_dir() -> (PathBuf, bool) {
    // target/<profile>/deps/interop-… -> target, and whether the profile is release
    let exe = std::env::current_exe().expect("current exe");
    let profile = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let release = profile.file_name().is_some_and(|n| n == "release");
    (profile.parent().expect("target dir").to_path_buf(), release)
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("NUTSHELL_AIORTC_PYTHON") {
        return p.into();
    }
    if let Some(home) = std::env::var_os("HOME") {
        let p = Path::new(&home).join(".cache/nutshell/aiortc-venv/bin/python");
        if p.exists() {
            return p;
        }
    }
    "python3".into()
}

fn check_aiortc(python: &Path) {
    let ok = Command::new(python)
        .args(["-c", "import aiortc, av"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{} cannot import aiortc: run .ci/run's install step or set NUTSHELL_AIORTC_PYTHON",
        python.display()
    );
}

fn run(nutshell_offers: bool, video: Video) {
    run_with(nutshell_offers, video, false);
}

/// `rsa`: aiortc's DTLS certificate is RSA 2048 (it must then be the DTLS client: nutshell
/// offers only ECDHE_ECDSA suites, so an RSA server certificate cannot be used).
fn run_with(nutshell_offers: bool, video: Video, rsa: bool) {
    // One case at a time: aiortc encodes and decodes video in Python on two shared cores.
    static SERIAL: Mutex<()> = Mutex::new(());
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let python = python();
    check_aiortc(&python);
    let reflect = reflect_binary();
    let case = format!(
        "{}-{}{}",
        if nutshell_offers {
            "nutshell-offers"
        } else {
            "aiortc-offers"
        },
        match video {
            Video::Vp8 => "vp8",
            Video::H264 => "h264",
        },
        if rsa { "-rsa" } else { "" }
    );
    let dir = target_dir().0.join("tmp/interop-aiortc").join(&case);
    std::fs::create_dir_all(&dir).expect("log dir");
    let ns = Netns::new("nutshell-io", 200);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/aiortc/peer.py");

    let mut nut_cmd = ns.command(&reflect);
    nut_cmd.args(["--interfaces", &ns.nutshell_addr]);
    if nutshell_offers {
        nut_cmd.arg("--offer");
    }
    if std::env::var_os("RUST_LOG").is_none() {
        nut_cmd.env("RUST_LOG", "info");
    }
    let mut ai_cmd = ns.command(&python);
    ai_cmd
        .arg(&script)
        .args(["--role", if nutshell_offers { "answer" } else { "offer" }])
        .args(["--address", &ns.peer_addr])
        .args(["--seconds", &MEDIA_SECONDS.to_string()])
        .args([
            "--video-codec",
            match video {
                Video::Vp8 => "VP8",
                Video::H264 => "H264",
            },
        ]);
    if rsa {
        ai_cmd.arg("--rsa");
    }
    let mut nut = Proc::spawn(nut_cmd, "reflect", &dir);
    let mut ai = Proc::spawn(ai_cmd, "aiortc", &dir);

    let signal_timeout = Duration::from_secs(30);
    let (offer, answer) = if nutshell_offers {
        let offer = nut.recv_json(signal_timeout);
        ai.send(&offer.to_string());
        let answer = ai.recv_json(signal_timeout);
        nut.send(&answer.to_string());
        (offer, answer)
    } else {
        let offer = ai.recv_json(signal_timeout);
        nut.send(&offer.to_string());
        let answer = nut.recv_json(signal_timeout);
        ai.send(&answer.to_string());
        (offer, answer)
    };
    for (name, d) in [("offer", &offer), ("answer", &answer)] {
        let sdp = d["sdp"].as_str().unwrap_or_default();
        std::fs::write(dir.join(format!("{name}.sdp")), sdp).expect("write sdp");
    }

    let report = ai.recv_json(Duration::from_secs(60));
    std::fs::write(dir.join("aiortc-report.json"), report.to_string()).expect("write");
    ai.finish(Duration::from_secs(10));
    assert!(
        nut.finish(Duration::from_secs(10)),
        "reflect did not exit when its stdin closed"
    );
    let nut_stderr = nut.stderr();
    let stats: Value = nut_stderr
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "stats")
        .unwrap_or_else(|| panic!("{case}: no stats line from reflect:\n{}", nut.stderr_tail()));
    eprintln!("{case}: aiortc report {report}");
    eprintln!("{case}: reflect stats {stats}");

    let logs = format!("(logs in {})", dir.display());
    // aiortc's side: connected, decoded what nutshell sent.
    assert_eq!(report["connection_state"], "connected", "{case} {logs}");
    let audio = report["audio_frames"].as_u64().unwrap_or(0);
    let video_frames = report["video_frames"].as_u64().unwrap_or(0);
    // Opus: 50 frames a second; aiortc's video track: 30 frames a second, fewer on a busy
    // machine.
    assert!(
        audio as f64 >= MEDIA_SECONDS * 50.0 * 0.5,
        "{case}: aiortc decoded {audio} audio frames {logs}"
    );
    assert!(
        video_frames as f64 >= MEDIA_SECONDS * 5.0,
        "{case}: aiortc decoded {video_frames} video frames {logs}"
    );
    assert_eq!(
        report["video_size"],
        serde_json::json!([640, 480]),
        "{case}"
    );
    assert_eq!(report["dtls_version"], "DTLSv1.2", "{case}");
    assert_eq!(
        report["certificate"],
        if rsa { "rsa" } else { "ec" },
        "{case}: aiortc's certificate"
    );
    let want_codec = match video {
        Video::Vp8 => "video/VP8",
        Video::H264 => "video/H264",
    };
    // aiortc sends with its first negotiated codec, which reflect echoes back.
    assert_eq!(
        report["codecs"]["video"],
        serde_json::json!([want_codec]),
        "{case}: aiortc's video codecs"
    );
    assert_eq!(
        report["codecs"]["audio"],
        serde_json::json!(["audio/opus"]),
        "{case}"
    );

    // nutshell's side: received both kinds, sent both kinds back, no SRTP failures.
    assert_eq!(stats["srtp_failures"], 0, "{case} {logs}");
    let streams = stats["streams"].as_array().cloned().unwrap_or_default();
    for kind in ["audio", "video"] {
        for direction in ["inbound", "outbound"] {
            let packets: u64 = streams
                .iter()
                .filter(|s| s["kind"] == kind && s["direction"] == direction)
                .filter_map(|s| s["packets"].as_u64())
                .sum();
            assert!(
                packets >= 20,
                "{case}: nutshell {direction} {kind}: {packets} packets {logs}"
            );
        }
    }

    // Both saw the same DTLS cipher suite and SRTP profile.
    let ours = (
        stats["dtls_cipher"].as_str().unwrap_or_default(),
        stats["srtp_profile"].as_str().unwrap_or_default(),
    );
    let theirs = (
        report["dtls_cipher"].as_str().unwrap_or_default(),
        report["srtp_profile"].as_str().unwrap_or_default(),
    );
    eprintln!(
        "{case}: DTLS 1.2 {} / {} (aiortc {}: {} / {})",
        ours.0, ours.1, report["dtls_role"], theirs.0, theirs.1
    );
    assert!(!ours.0.is_empty() && !ours.1.is_empty(), "{case}: {stats}");
    assert_eq!(normalize(ours.0), normalize(theirs.0), "{case}: cipher");
    assert_eq!(
        normalize(ours.1),
        normalize(theirs.1),
        "{case}: SRTP profile"
    );
    drop(ai);
    drop(nut);
    drop(ns);
}

#[test]
#[ignore = "needs root (network namespace) and a Python with aiortc"]
fn aiortc_offers_nutshell_answers_vp8() {
    run(false, Video::Vp8);
}

#[test]
#[ignore = "needs root (network namespace) and a Python with aiortc"]
fn nutshell_offers_aiortc_answers_vp8() {
    run(true, Video::Vp8);
}

#[test]
#[ignore = "needs root (network namespace) and a Python with aiortc"]
fn aiortc_offers_nutshell_answers_h264() {
    run(false, Video::H264);
}

#[test]
#[ignore = "needs root (network namespace) and a Python with aiortc"]
fn nutshell_offers_aiortc_answers_h264() {
    run(true, Video::H264);
}

/// aiortc as the DTLS client with an RSA certificate: nutshell verifies its RSA
/// CertificateVerify.
#[test]
#[ignore = "needs root (network namespace) and a Python with aiortc"]
fn nutshell_offers_aiortc_answers_rsa_certificate() {
    run_with(true, Video::Vp8, true);
}
