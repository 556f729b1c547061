//! Mutated recordings (`PeerConfig::record`, `Recording::parse`) replayed into a fresh
//! PeerConnection without output checking: the whole core (its configuration, API calls in
//! any order, datagrams from anywhere, time going anywhere, DTLS draws) driven by the
//! fuzzer. Seeded with recorded calls (`fuzz/seed-from-recordings.sh`). Nothing may panic,
//! one run stays bounded (at most `MAX_INPUTS` inputs).
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use nutshell_peer::{Recording, Replayer};

/// Inputs replayed per run: a recorded call of a few seconds is about 1500, so seeds replay
/// whole while a run stays short.
const MAX_INPUTS: usize = 2000;

fuzz_target!(|data: &[u8]| {
    let Ok(recording) = Recording::parse(data) else {
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
