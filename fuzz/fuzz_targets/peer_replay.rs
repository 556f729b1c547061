//! Mutated recordings (`PeerConfig::record`, `Recording::parse`) replayed into a fresh
//! PeerConnection without output checking: the whole core (its configuration, API calls in
//! any order, datagrams from anywhere, time going anywhere, DTLS draws) driven by the
//! fuzzer. Seeded with recorded calls (`fuzz/seed-from-recordings.sh`). Nothing may panic,
//! one run stays bounded (at most `MAX_INPUTS` inputs).
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use nutshell_peer::{Recording, RecordingError, Replayer};

/// Inputs replayed per run: a recorded call of a few seconds is about 1500, so seeds replay
/// whole while a run stays short.
const MAX_INPUTS: usize = 2000;

/// The recording in `data`, or in its longest prefix that parses: a mutation that breaks
/// one entry (a bad tag, a length past a field's limit) rejects the whole file, but the
/// entries before it still make a recording (a cut inside an entry only truncates it). A
/// prefix fails as too short (`Truncated`: inside the header) or as too long (it holds the
/// bad value, and so does every longer one), so a binary search finds the longest that
/// parses in a few parses.
fn parse_longest(data: &[u8]) -> Option<Recording> {
    let err = match Recording::parse(data) {
        Ok(r) => return Some(r),
        Err(e) => e,
    };
    if matches!(
        err,
        RecordingError::Truncated | RecordingError::BadMagic | RecordingError::Version(_)
    ) {
        return None;
    }
    // data[..lo] is not too long (best is its recording once one parsed), data[..hi] is.
    let (mut lo, mut hi) = (0, data.len());
    let mut best = None;
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match Recording::parse(&data[..mid]) {
            Ok(r) => {
                lo = mid;
                best = Some(r);
            }
            Err(RecordingError::Truncated) => lo = mid,
            Err(_) => hi = mid,
        }
    }
    best
}

fuzz_target!(|data: &[u8]| {
    let Some(recording) = parse_longest(data) else {
        return;
    };
    let mut replayer = Replayer::new(recording, Instant::now(), false);
    for _ in 0..MAX_INPUTS {
        match replayer.step() {
            None => break,
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("a replay without checks diverged: {e}"),
        }
    }
    assert_eq!(replayer.summary().outputs_checked, 0);
    // The read-only views work on whatever state the run left.
    let peer = replayer.peer();
    let _ = peer.stats();
    let _ = peer.poll_timeout();
    let _ = (peer.connection_state(), peer.signaling_state());
});
