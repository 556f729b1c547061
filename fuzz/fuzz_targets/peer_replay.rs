//! Mutated recordings (`PeerConfig::record`, `Recording::parse`) replayed into a fresh
//! PeerConnection without output checking: the whole core (its configuration, API calls in
//! any order, datagrams from anywhere, time going anywhere, DTLS draws) driven by the
//! fuzzer. Seeded with recorded calls (`fuzz/seed-from-recordings.sh`). Nothing may panic,
//! one run stays bounded (at most `MAX_INPUTS` inputs), and replaying the same recording
//! twice gives the same outputs.
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
    let base = Instant::now();
    // One input in eight is replayed twice: a replay must be deterministic (the same
    // outputs, events, stats and next timeout), or recordings would not reproduce anything.
    if fnv(data) % 8 == 0 {
        let first = replay(recording.clone(), base);
        let second = replay(recording, base);
        assert_eq!(first, second, "two replays of one recording differ");
    } else {
        replay(recording, base);
    }
});

/// Replays at most `MAX_INPUTS` inputs of `recording` without output checks; returns a
/// digest of everything observable (each step's input and output, the totals, the final
/// stats, states and next timeout).
fn replay(recording: Recording, base: Instant) -> u64 {
    let mut h = FNV_OFFSET;
    let mut replayer = Replayer::new(recording, base, false);
    for _ in 0..MAX_INPUTS {
        match replayer.step() {
            None => break,
            Some(Ok(step)) => {
                h = fnv_more(h, step.input.as_bytes());
                h = fnv_more(h, step.output.as_deref().unwrap_or("-").as_bytes());
            }
            Some(Err(e)) => panic!("a replay without checks diverged: {e}"),
        }
    }
    assert_eq!(replayer.summary().outputs_checked, 0);
    let peer = replayer.peer();
    let end = format!(
        "{:?} {:?} {:?} {:?} {:?}",
        replayer.summary(),
        peer.stats(),
        peer.poll_timeout()
            .map(|t| t.saturating_duration_since(base)),
        peer.connection_state(),
        peer.signaling_state(),
    );
    fnv_more(h, end.as_bytes())
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv_more(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn fnv(bytes: &[u8]) -> u64 {
    fnv_more(FNV_OFFSET, bytes)
}
