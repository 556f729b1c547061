//! The committed recordings of real calls (`tests/recordings/*.nsrec`, nutshell's core
//! against headless Chromium and Firefox, written by the browser tests) replayed into a
//! fresh core with every output checked: this build must answer the browsers' datagrams
//! exactly as the recorded build did.
//!
//! A deliberate change of what nutshell sends (an SDP line, a header extension, an RTCP
//! packet, a timer) also makes an old recording diverge: check the divergence is the
//! intended change (`cargo run -p nutshell-peer --example replay -- FILE -v` traces the
//! replay), then record the calls again (needs root, the browsers and Node):
//! see [`RERECORD`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use peer::{Recording, Replayer};

/// The command that writes the recordings again.
const RERECORD: &str = "NUTSHELL_UPDATE_RECORDINGS=1 cargo test -p nutshell-tests --test browser -- \
     --ignored --test-threads=1 --exact core::chromium_offers_complete core::chromium_answers_complete \
     core::firefox_offers_complete core::firefox_answers_complete";

/// Datagrams each way a recording must hold at least: the ICE checks, the DTLS handshake
/// and some media, not a call that stopped early.
const MIN_DATAGRAMS: usize = 50;

fn recordings() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "nsrec"))
        .collect();
    files.sort();
    files
}

#[test]
fn browser_recordings_replay_exactly() {
    let files = recordings();
    for browser in ["chromium", "firefox"] {
        assert!(
            files.iter().any(|f| f
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(browser))),
            "no recording of a call with {browser} in tests/recordings: {files:?}\nrecord them with\n  {RERECORD}"
        );
    }
    for path in &files {
        let name = path.display();
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {name}: {e}"));
        let recording = Recording::parse(&bytes).unwrap_or_else(|e| {
            panic!("{name} is not a recording this build reads ({e}); record it again with\n  {RERECORD}")
        });
        assert!(!recording.truncated, "{name} ends inside an entry");
        let started = Instant::now();
        let summary = Replayer::new(recording, Instant::now(), true)
            .run()
            .unwrap_or_else(|e| {
                panic!(
                    "{name} no longer replays: {e}\n\
                     If this build changed what nutshell sends on purpose, check the divergence \
                     is that change (`cargo run -p nutshell-peer --example replay -- {name} -v`) \
                     and record the calls again (needs root, chromium, firefox-esr and node):\n  \
                     {RERECORD}"
                )
            });
        eprintln!(
            "{name}: {} bytes replayed exactly in {:.2} s: {summary:?}",
            bytes.len(),
            started.elapsed().as_secs_f64()
        );
        assert!(
            summary.reached_connected,
            "{name}: never connected: {summary:?}"
        );
        assert!(summary.frames > 0, "{name}: no frame received: {summary:?}");
        assert!(
            summary.datagrams_in >= MIN_DATAGRAMS && summary.datagrams_out >= MIN_DATAGRAMS,
            "{name}: too few datagrams for a call: {summary:?}"
        );
    }
}
