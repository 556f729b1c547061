//! Interop with real browsers: headless Chromium and Firefox ESR (Debian's `chromium` and
//! `firefox-esr`) against nutshell, all inside a network namespace each test creates (a veth
//! pair with both ends inside; browsers ignore loopback for ICE, and no test traffic may leave
//! the machine).
//!
//! A small Node server in the namespace (`server.js`) serves a page that drives itself
//! (`page.html`): it creates an RTCPeerConnection with the browser's fake camera and
//! microphone, exchanges SDP with nutshell through the server and this test (JSON lines on
//! nutshell's stdin and stdout), waits for media, and posts a report with the browser's
//! `getStats()`. The test asserts that ICE and DTLS connected (DTLS 1.2,
//! TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), the expected SRTP profile, that the browser
//! received audio and video and decoded video frames (its own media, echoed by nutshell), and
//! that nutshell received the browser's audio and video (nutshell's exit stats).
//!
//! Two nutshell peers: the runtime's `reflect` example (module [`reflect`]), and the sans-IO
//! core in a plain UDP loop inside this binary ([`core_peer`], module [`core`]), which also
//! takes trickled candidates and a restricted SRTP profile list. Each browser offers and
//! answers, with candidates in the description, trickled, or hidden (peer-reflexive).
//!
//! Every nutshell peer records its call (`RtcConfiguration::record` for `reflect`,
//! `PeerConfig::record` for the core peer) and the test replays the recording into a fresh
//! core: the replay must give back every output of the real call ([`assert_replays`]), so
//! each run proves record & replay against a real browser. The cases in [`COMMITTED`] are
//! also the regression recordings under `tests/recordings/` (replayed by the `replay` test
//! target in every `cargo test`); refresh them with
//! `NUTSHELL_UPDATE_RECORDINGS=1 cargo test -p nutshell-tests --test browser -- --ignored
//! --test-threads=1 core::chromium_offers_complete core::chromium_answers_complete
//! core::firefox_offers_complete core::firefox_answers_complete --exact`, which records them
//! cut after [`COMMITTED_FRAMES`] received frames at most.
//!
//! Needs root (`ip netns`), the browsers and Node; hence `#[ignore]`:
//! `cargo test -p nutshell-tests --test browser -- --ignored`
//! (the cases run one at a time; the test builds the `reflect` example itself). Artifacts of
//! every case (the page's report, the browser's, server's and nutshell's stderr) are kept
//! under `target/tmp/browser/<case>/` (the recording as `nutshell.nsrec`); `RUST_LOG` is passed on to nutshell, and
//! `NUTSHELL_BROWSER_REFLECT=PATH` runs another reflect binary.

#[path = "../common/mod.rs"]
mod common;
mod core_peer;
mod harness;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::Netns;
use harness::{Browser, Line, PORT, Proc};
use serde_json::Value;

/// One case at a time: two shared cores, and browsers are heavy.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Who sends the offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Offerer {
    Browser,
    Nutshell,
    /// Harness self-test: two peer connections inside the page, no nutshell.
    Loop,
}

/// How the browser's candidates reach nutshell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Candidates {
    /// Inside its description, sent once gathering is complete.
    Complete,
    /// Trickled after the description, which goes out at once.
    Trickle,
    /// Never: the description is stripped of candidates, so nutshell learns the browser's
    /// address from its checks only (a peer-reflexive candidate).
    Hidden,
}

/// Which nutshell peer the browser talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Peer {
    /// The runtime's `reflect` example.
    Reflect,
    /// The sans-IO core in a plain UDP loop ([`core_peer`]).
    Core,
}

#[derive(Clone, Copy, Debug)]
struct Case {
    peer: Peer,
    browser: Browser,
    offerer: Offerer,
    candidates: Candidates,
    /// The SRTP profiles nutshell allows, in order of preference (empty: its default
    /// AEAD_AES_128_GCM, AEAD_AES_256_GCM, SHA1_80, SHA1_32). Only the core peer takes them.
    srtp_profiles: &'static [&'static str],
    /// The only video codec nutshell allows (`"H264"`; empty: its default VP8 and H.264,
    /// VP8 preferred). Only the core peer takes it.
    video_codec: &'static str,
}

impl Case {
    fn name(&self) -> String {
        let who = match self.offerer {
            Offerer::Browser => "browser-offers",
            Offerer::Nutshell => "nutshell-offers",
            Offerer::Loop => "loop",
        };
        let t = match self.candidates {
            Candidates::Complete => "complete",
            Candidates::Trickle => "trickle",
            Candidates::Hidden => "prflx",
        };
        let peer = match (self.offerer, self.peer) {
            (Offerer::Loop, _) => "",
            (_, Peer::Reflect) => "-reflect",
            (_, Peer::Core) => "-core",
        };
        let profiles = if self.srtp_profiles.is_empty() {
            String::new()
        } else {
            format!("-{}", self.srtp_profiles.join("+"))
        };
        let codec = if self.video_codec.is_empty() {
            String::new()
        } else {
            format!("-{}", self.video_codec.to_lowercase())
        };
        format!("{}-{who}-{t}{profiles}{codec}{peer}", self.browser.name())
    }
}

/// What a run produced: the page's report and, with nutshell, reflect's stats line.
struct Outcome {
    report: Value,
    nutshell_stats: Option<Value>,
    dir: PathBuf,
    /// Nutshell's recording of the call.
    recording: Option<PathBuf>,
}

/// The cases whose recordings are committed as `tests/recordings/<case name>.nsrec`
/// (written by a run with `NUTSHELL_UPDATE_RECORDINGS=1`): each browser offering and
/// answering, so nutshell is DTLS client and server with each.
const COMMITTED: &[&str] = &[
    "chromium-browser-offers-complete-core",
    "chromium-nutshell-offers-complete-core",
    "firefox-browser-offers-complete-core",
    "firefox-nutshell-offers-complete-core",
];

/// A committed recording stops growing after this many frames received by nutshell (audio
/// and video): a cap on its size (about 1 KB a frame, with the echo). Today's calls end
/// before it, at about 100 frames and 100 KB.
const COMMITTED_FRAMES: u64 = 400;

/// Whether this run writes the committed recording of the case `name`.
fn updates_recording(name: &str) -> bool {
    COMMITTED.contains(&name)
        && std::env::var_os("NUTSHELL_UPDATE_RECORDINGS").is_some_and(|v| v == "1")
}

fn recordings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings")
}

fn reflect_binary() -> PathBuf {
    // Another build of reflect, e.g. one with changes under test.
    if let Some(bin) = std::env::var_os("NUTSHELL_BROWSER_REFLECT") {
        return bin.into();
    }
    common::reflect_binary()
}

fn case_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("browser")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create case dir");
    dir
}

fn run(case: Case) -> Outcome {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    case.browser.check_installed();
    let name = case.name();
    let dir = case_dir(&name);
    let reflect =
        (case.offerer != Offerer::Loop && case.peer == Peer::Reflect).then(reflect_binary);
    let started = Instant::now();
    let ns = Netns::new("nutshell-br", 100);
    let (tx, rx) = mpsc::channel();
    let mut server = harness::page_server(&ns, tx.clone(), &dir.join("server.log"));
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Line::Page(l)) if l.starts_with("listening") => {}
        other => panic!("page server did not start: {other:?}\n{}", server.stderr()),
    }
    let offer = case.offerer == Offerer::Nutshell;
    let recording = (case.offerer != Offerer::Loop).then(|| dir.join("nutshell.nsrec"));
    let mut nutshell = match (case.offerer, case.peer) {
        (Offerer::Loop, _) => None,
        (_, Peer::Reflect) => {
            let bin = reflect.expect("built above");
            let mut cmd = ns.command(bin);
            cmd.args(["--interfaces", &ns.nutshell_addr, "--duration", "60"]);
            cmd.arg("--record")
                .arg(recording.as_ref().expect("set above"));
            if offer {
                cmd.arg("--offer");
            }
            Some(cmd)
        }
        (_, Peer::Core) => {
            let mut cmd = ns.command(std::env::current_exe().expect("current exe"));
            cmd.args([
                "core_peer_helper",
                "--exact",
                "--ignored",
                "--nocapture",
                "-q",
            ])
            .env("NUTSHELL_CORE_PEER", if offer { "offer" } else { "answer" })
            .env("NUTSHELL_CORE_ADDR", &ns.nutshell_addr)
            .env("NUTSHELL_CORE_SRTP", case.srtp_profiles.join(","))
            .env("NUTSHELL_CORE_VIDEO", case.video_codec)
            .env(
                "NUTSHELL_CORE_RECORD",
                recording.as_ref().expect("set above"),
            );
            if updates_recording(&name) {
                cmd.env("NUTSHELL_CORE_RECORD_FRAMES", COMMITTED_FRAMES.to_string());
            }
            Some(cmd)
        }
    }
    .map(|mut cmd| {
        if let Ok(v) = std::env::var("RUST_LOG") {
            cmd.env("RUST_LOG", v);
        }
        Proc::spawn(
            cmd,
            "nutshell",
            tx.clone(),
            Line::Nutshell,
            &dir.join("nutshell.log"),
        )
    });
    let role = match case.offerer {
        Offerer::Browser => "browser-offer",
        Offerer::Nutshell => "nutshell-offer",
        Offerer::Loop => "loop",
    };
    let url = format!(
        "http://127.0.0.1:{PORT}/?role={role}&trickle={}&hide={}",
        u8::from(case.candidates == Candidates::Trickle),
        u8::from(case.candidates == Candidates::Hidden),
    );
    let browser_cmd = case.browser.command(&ns, &dir, &url);
    let browser = Proc::spawn(
        browser_cmd,
        case.browser.name(),
        tx.clone(),
        Line::Browser,
        &dir.join("browser.log"),
    );
    drop(tx);

    // Relay: the page's description and candidates to reflect, reflect's to the page.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut report = None;
    let mut answered = false;
    let mut early_candidates: Vec<String> = Vec::new();
    while report.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match rx.recv_timeout(left) {
            Ok(l) => l,
            Err(e) => {
                let (_, err) = nutshell
                    .as_mut()
                    .map(|n| n.wait_exit(Duration::ZERO))
                    .unwrap_or_default();
                panic!(
                    "{name}: no report from the page ({e}); nutshell stderr tail:\n{}\nartifacts in {}",
                    tail(&err, 40),
                    dir.display()
                );
            }
        };
        match line {
            Line::Page(l) => {
                let msg: Value = serde_json::from_str(&l).expect("page sends JSON");
                match msg["type"].as_str() {
                    Some("report") => report = Some(msg),
                    Some("offer") | Some("answer") => {
                        eprintln!("{name}: page -> nutshell {}", msg["type"]);
                        let n = nutshell.as_mut().expect("nutshell runs");
                        n.send(&l);
                        if msg["type"] == "answer" {
                            // reflect's offer carried every candidate already.
                            answered = true;
                            for c in early_candidates.drain(..) {
                                n.send(&c);
                            }
                        }
                    }
                    Some("candidate") => {
                        // Trickled candidates follow the description on reflect's stdin.
                        let n = nutshell.as_mut().expect("nutshell runs");
                        if answered || case.offerer == Offerer::Browser {
                            n.send(&l);
                        } else {
                            early_candidates.push(l);
                        }
                    }
                    other => eprintln!("{name}: page sent {other:?}"),
                }
            }
            Line::Nutshell(l) => {
                let Ok(msg) = serde_json::from_str::<Value>(&l) else {
                    eprintln!("{name}: reflect stdout: {l}");
                    continue;
                };
                eprintln!("{name}: nutshell -> page {}", msg["type"]);
                server.send(&l);
                if msg["type"] == "answer" {
                    // Its answer carries all of its candidates: nothing more will come.
                    server.send(r#"{"type":"done"}"#);
                }
            }
            Line::Browser(l) => eprintln!("{name}: browser stdout: {l}"),
            Line::Closed(what) => eprintln!("{name}: {what} closed its stdout"),
        }
    }
    let report = report.expect("loop ends with a report");
    // Let nutshell finish: closing stdin ends it and it prints its stats on stderr.
    let nutshell_stats = nutshell.as_mut().map(|n| {
        n.close_stdin();
        let (status, err) = n.wait_exit(Duration::from_secs(10));
        eprintln!("{name}: nutshell exited: {status:?}");
        last_json_line(&err).unwrap_or_else(|| {
            panic!(
                "{name}: no stats line from nutshell ({status:?}); stderr tail:\n{}",
                tail(&err, 40)
            )
        })
    });
    drop(browser);
    drop(nutshell);
    drop(server);
    drop(ns);
    let pretty = serde_json::to_string_pretty(&report).expect("serialize");
    std::fs::write(dir.join("report.json"), pretty).expect("write report");
    if let Some(s) = &nutshell_stats {
        std::fs::write(dir.join("nutshell-stats.json"), s.to_string()).expect("write stats");
    }
    eprintln!(
        "{name}: done in {:.1} s; artifacts in {}",
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Outcome {
        report,
        nutshell_stats,
        dir,
        recording,
    }
}

/// Replays nutshell's recording of the call into a fresh core, checking every output: it
/// must replay exactly, reach connected and receive frames (the browser's media). With
/// `NUTSHELL_UPDATE_RECORDINGS=1`, a case of [`COMMITTED`] then copies it to
/// `tests/recordings/`.
fn assert_replays(case: &Case, o: &Outcome) -> peer::ReplaySummary {
    let name = case.name();
    let path = o.recording.as_ref().expect("nutshell recorded");
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("{name}: read {}: {e}", path.display()));
    let recording = peer::Recording::parse(&bytes)
        .unwrap_or_else(|e| panic!("{name}: parse {}: {e}", path.display()));
    assert!(
        !recording.truncated,
        "{name}: {} ends inside an entry",
        path.display()
    );
    let started = Instant::now();
    let summary = peer::Replayer::new(recording, Instant::now(), true)
        .run()
        .unwrap_or_else(|e| {
            panic!(
                "{name}: the recording does not replay: {e}\n(see it with `cargo run -p \
                 nutshell-peer --example replay -- {} -v`)",
                path.display()
            )
        });
    assert!(
        summary.reached_connected,
        "{name}: the replay never connected: {summary:?}"
    );
    assert!(
        summary.frames > 0,
        "{name}: the replay received no frames: {summary:?}"
    );
    eprintln!(
        "{name}: the recording ({} bytes) replays exactly in {:.2} s: {summary:?}",
        bytes.len(),
        started.elapsed().as_secs_f64()
    );
    if updates_recording(&name) {
        let dir = recordings_dir();
        std::fs::create_dir_all(&dir).expect("create tests/recordings");
        let to = dir.join(format!("{name}.nsrec"));
        std::fs::write(&to, &bytes).unwrap_or_else(|e| panic!("write {}: {e}", to.display()));
        eprintln!("{name}: wrote {} ({} bytes)", to.display(), bytes.len());
    }
    summary
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn last_json_line(s: &str) -> Option<Value> {
    s.lines()
        .rev()
        .filter(|l| l.trim_start().starts_with('{'))
        .find_map(|l| serde_json::from_str(l).ok())
}

/// The stats objects of one type.
fn stats<'a>(report: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    report["stats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |s| s["type"] == kind)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// What the browser's getStats says about the transport: (dtlsCipher, srtpCipher, tlsVersion).
#[derive(Debug, Default)]
struct Negotiated {
    /// The mime type of the video the browser received, e.g. `video/VP8`.
    video_codec: Option<String>,
    dtls_cipher: Option<String>,
    srtp_cipher: Option<String>,
    tls_version: Option<String>,
}

/// The pass criteria, from the browser's side: connected, ICE pair succeeded, DTLS connected,
/// every inbound stream has packets and video decoded frames.
fn assert_browser_side(case: &Case, o: &Outcome) -> Negotiated {
    let r = &o.report;
    let name = case.name();
    let ctx = || format!("{name} (artifacts in {})", o.dir.display());
    assert_eq!(
        r["ok"],
        true,
        "{}: the page failed: {} {:#?}",
        ctx(),
        r["error"],
        r["events"]
    );
    assert_eq!(
        r["connectionState"],
        "connected",
        "{}: events {:#?}",
        ctx(),
        r["events"]
    );
    let ice = r["iceConnectionState"].as_str().unwrap_or("");
    assert!(
        ice == "connected" || ice == "completed",
        "{}: ICE {ice}",
        ctx()
    );
    for t in r["transports"].as_array().into_iter().flatten() {
        assert_eq!(t["dtls"], "connected", "{}: RTCDtlsTransport {t}", ctx());
    }
    let pairs: Vec<&Value> = stats(r, "candidate-pair")
        .filter(|p| p["state"] == "succeeded" && p["nominated"] == true)
        .collect();
    assert!(!pairs.is_empty(), "{}: no succeeded nominated pair", ctx());
    let mut neg = Negotiated::default();
    for t in stats(r, "transport") {
        assert_eq!(t["dtlsState"], "connected", "{}: transport {t}", ctx());
        neg.dtls_cipher = t["dtlsCipher"].as_str().map(str::to_owned);
        neg.srtp_cipher = t["srtpCipher"].as_str().map(str::to_owned);
        neg.tls_version = t["tlsVersion"].as_str().map(str::to_owned);
    }
    let inbound: Vec<&Value> = stats(r, "inbound-rtp").collect();
    neg.video_codec = inbound
        .iter()
        .filter(|s| s["kind"] == "video")
        .find_map(|s| stats(r, "codec").find(|c| c["id"] == s["codecId"]))
        .and_then(|c| c["mimeType"].as_str())
        .map(str::to_owned);
    for kind in ["audio", "video"] {
        let got = inbound
            .iter()
            .filter(|s| s["kind"] == kind)
            .map(|s| num(&s["packetsReceived"]))
            .sum::<f64>();
        assert!(
            got > 0.0,
            "{}: the browser received no {kind} packets: {inbound:#?}",
            ctx()
        );
    }
    let frames = inbound
        .iter()
        .filter(|s| s["kind"] == "video")
        .map(|s| num(&s["framesDecoded"]))
        .sum::<f64>();
    assert!(
        frames > 0.0,
        "{}: the browser decoded no video frames",
        ctx()
    );
    eprintln!(
        "{name}: browser received {} packets, decoded {frames} {:?} frames; DTLS {:?} {:?}, SRTP {:?}",
        inbound
            .iter()
            .map(|s| num(&s["packetsReceived"]))
            .sum::<f64>(),
        neg.video_codec,
        neg.tls_version,
        neg.dtls_cipher,
        neg.srtp_cipher
    );
    neg
}

/// RTP packets of `kind` that reflect says it received (its exit stats line).
fn reflect_received(s: &Value, kind: &str) -> f64 {
    s["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|st| st["direction"] == "inbound" && st["kind"] == kind)
        .map(|st| num(&st["packets"]))
        .sum()
}

fn interop(case: Case) -> Negotiated {
    let o = run(case);
    let neg = assert_browser_side(&case, &o);
    let s = o.nutshell_stats.as_ref().expect("nutshell ran");
    eprintln!("{}: nutshell stats {s}", case.name());
    // Nutshell received the browser's media.
    for kind in ["audio", "video"] {
        let n = match case.peer {
            Peer::Core => num(&s["rtp_received"][kind]),
            Peer::Reflect => reflect_received(s, kind),
        };
        assert!(
            n > 0.0,
            "{}: nutshell received no {kind} RTP: {s}",
            case.name()
        );
    }
    assert_replays(&case, &o);
    neg
}

// --- Harness self-tests: two peer connections inside one page, no nutshell. They show the
// namespace, page, flags and profile work with the browser alone.

#[test]
#[ignore = "needs root, chromium and node"]
fn chromium_loop_selftest() {
    let case = Case {
        browser: Browser::Chromium,
        peer: Peer::Core,
        offerer: Offerer::Loop,
        candidates: Candidates::Complete,
        srtp_profiles: &[],
        video_codec: "",
    };
    let o = run(case);
    assert_browser_side(&case, &o);
}

#[test]
#[ignore = "needs root, firefox-esr and node"]
fn firefox_loop_selftest() {
    let case = Case {
        browser: Browser::Firefox,
        peer: Peer::Core,
        offerer: Offerer::Loop,
        candidates: Candidates::Complete,
        srtp_profiles: &[],
        video_codec: "",
    };
    let o = run(case);
    assert_browser_side(&case, &o);
}

// --- The interop cases: each browser offers and answers, with complete descriptions and with
// trickle ICE on the browser's side. The expected SRTP profile follows from who is the DTLS
// server (it chooses from the client's use_srtp list): an answer from nutshell says
// `a=setup:active`, so when the browser offers the browser is the DTLS server; when nutshell
// offers (actpass) the browser answers active and nutshell, the server, picks by its own
// order (AEAD_AES_128_GCM first).

const SHA1_80: &str = "SRTP_AES128_CM_HMAC_SHA1_80";
const GCM_128: &str = "SRTP_AEAD_AES_128_GCM";
const GCM_256: &str = "SRTP_AEAD_AES_256_GCM";
const SHA1_32: &str = "SRTP_AES128_CM_HMAC_SHA1_32";

fn check(case: Case, srtp: &str) {
    let neg = interop(case);
    let video = if case.video_codec.is_empty() {
        "VP8"
    } else {
        case.video_codec
    };
    assert_eq!(
        neg.video_codec.as_deref(),
        Some(format!("video/{video}").as_str()),
        "video codec"
    );
    assert_eq!(neg.srtp_cipher.as_deref(), Some(srtp), "SRTP profile");
    // Both browsers offer DTLS 1.3 and 1.2; nutshell speaks 1.2 (0xFEFD).
    assert_eq!(neg.tls_version.as_deref(), Some("FEFD"), "DTLS version");
    assert_eq!(
        neg.dtls_cipher.as_deref(),
        Some("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
        "DTLS cipher"
    );
}

/// Test functions named after the browser, who offers and how candidates travel, each
/// calling [`check`] with that case and the SRTP profile expected in the browser's stats.
macro_rules! cases {
    ($peer:ident, $profiles:expr, $video:expr, $(
        $name:ident: $browser:ident, $offerer:ident, $candidates:ident, $srtp:ident;
    )*) => {
        $(
            #[test]
            #[ignore = "needs root, the browsers and node"]
            fn $name() {
                check(
                    Case {
                        peer: Peer::$peer,
                        browser: Browser::$browser,
                        offerer: Offerer::$offerer,
                        candidates: Candidates::$candidates,
                        srtp_profiles: $profiles,
                        video_codec: $video,
                    },
                    $srtp,
                );
            }
        )*
    };
}

/// Against the runtime's `reflect` example: its answer or offer carries every candidate of
/// its own; the browser's candidates come inside its description, trickled as candidate
/// lines after it, or not at all (peer-reflexive).
mod reflect {
    use super::*;
    cases! { Reflect, &[], "",
        chromium_offers_trickle: Chromium, Browser, Trickle, SHA1_80;
        chromium_answers_trickle: Chromium, Nutshell, Trickle, GCM_128;
        firefox_offers_trickle: Firefox, Browser, Trickle, GCM_128;
        firefox_answers_trickle: Firefox, Nutshell, Trickle, GCM_128;
        chromium_offers_complete: Chromium, Browser, Complete, SHA1_80;
        chromium_offers_prflx: Chromium, Browser, Hidden, SHA1_80;
        chromium_answers_complete: Chromium, Nutshell, Complete, GCM_128;
        chromium_answers_prflx: Chromium, Nutshell, Hidden, GCM_128;
        firefox_offers_complete: Firefox, Browser, Complete, GCM_128;
        firefox_offers_prflx: Firefox, Browser, Hidden, GCM_128;
        firefox_answers_complete: Firefox, Nutshell, Complete, GCM_128;
        firefox_answers_prflx: Firefox, Nutshell, Hidden, GCM_128;
    }
}

/// Against the sans-IO core in a plain UDP loop ([`core_peer`]), which also takes trickled
/// candidates (`add_ice_candidate`).
mod core {
    use super::*;
    cases! { Core, &[], "",
        chromium_offers_complete: Chromium, Browser, Complete, SHA1_80;
        chromium_offers_trickle: Chromium, Browser, Trickle, SHA1_80;
        chromium_offers_prflx: Chromium, Browser, Hidden, SHA1_80;
        chromium_answers_complete: Chromium, Nutshell, Complete, GCM_128;
        chromium_answers_trickle: Chromium, Nutshell, Trickle, GCM_128;
        chromium_answers_prflx: Chromium, Nutshell, Hidden, GCM_128;
        firefox_offers_complete: Firefox, Browser, Complete, GCM_128;
        firefox_offers_trickle: Firefox, Browser, Trickle, GCM_128;
        firefox_offers_prflx: Firefox, Browser, Hidden, GCM_128;
        firefox_answers_complete: Firefox, Nutshell, Complete, GCM_128;
        firefox_answers_trickle: Firefox, Nutshell, Trickle, GCM_128;
        firefox_answers_prflx: Firefox, Nutshell, Hidden, GCM_128;
    }

    // Every profile each browser will negotiate, by restricting nutshell's list: as the
    // DTLS server (nutshell offers) it picks the one it allows; as the client (the browser
    // offers) it offers only that one.
    cases! { Core, &["AEAD_AES_256_GCM"], "",
        chromium_answers_gcm256: Chromium, Nutshell, Complete, GCM_256;
        chromium_offers_gcm256: Chromium, Browser, Complete, GCM_256;
        firefox_answers_gcm256: Firefox, Nutshell, Complete, GCM_256;
    }
    cases! { Core, &["AEAD_AES_128_GCM"], "",
        chromium_offers_gcm128: Chromium, Browser, Complete, GCM_128;
    }
    cases! { Core, &["SHA1_80"], "",
        firefox_answers_sha1_80: Firefox, Nutshell, Complete, SHA1_80;
        firefox_offers_sha1_80: Firefox, Browser, Complete, SHA1_80;
    }
    cases! { Core, &["SHA1_32"], "",
        firefox_answers_sha1_32: Firefox, Nutshell, Complete, SHA1_32;
    }

    // H.264 (packetization mode 1) as the only video codec nutshell allows. Not with
    // Firefox: without the OpenH264 plugin (a download, off here) it offers no H.264.
    cases! { Core, &[], "H264",
        chromium_offers_h264: Chromium, Browser, Complete, SHA1_80;
        chromium_answers_h264: Chromium, Nutshell, Complete, GCM_128;
    }
}

/// Not a test: the core peer, when a case runs this binary inside its namespace with
/// `NUTSHELL_CORE_PEER` set (see [`core_peer`]). Without it, it returns at once.
#[test]
#[ignore = "helper run by the core cases"]
fn core_peer_helper() {
    let Ok(mode) = std::env::var("NUTSHELL_CORE_PEER") else {
        return;
    };
    let addr = std::env::var("NUTSHELL_CORE_ADDR")
        .expect("NUTSHELL_CORE_ADDR")
        .parse()
        .expect("an IP address");
    let profiles = std::env::var("NUTSHELL_CORE_SRTP").unwrap_or_default();
    let video = std::env::var("NUTSHELL_CORE_VIDEO").unwrap_or_default();
    let record = std::env::var_os("NUTSHELL_CORE_RECORD").map(|path| core_peer::Record {
        path: path.into(),
        max_frames: std::env::var("NUTSHELL_CORE_RECORD_FRAMES")
            .ok()
            .map(|n| n.parse().expect("NUTSHELL_CORE_RECORD_FRAMES: a number")),
    });
    core_peer::run(addr, mode == "offer", &profiles, &video, record);
}
