//! `RtcConfiguration::record`: a call on loopback with one side recording, then the file
//! replayed into a fresh core, which must give back every output of the call.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use nutshell::peer::{Recording, Replayer};
use nutshell::*;

use crate::support::*;

const LIMIT: Duration = Duration::from_secs(5);

fn record_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("runtime-record");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Audio and video from `a` to `b` and back, `b` recording; returns once `b` read frames.
async fn call(a_config: RtcConfiguration, b_config: RtcConfiguration) {
    let mut a = Peer::new(a_config);
    let mut b = Peer::new(b_config);
    let a_audio = a.pc.add_track(MediaKind::Audio, "a").await.unwrap();
    let a_video = a.pc.add_track(MediaKind::Video, "a").await.unwrap();
    let b_audio =
        b.pc.add_transceiver(MediaKind::Audio, Direction::SendRecv)
            .await
            .unwrap();
    negotiate(&mut a, &mut b, true).await;
    a.wait_state(ConnectionState::Connected, LIMIT).await;
    b.wait_state(ConnectionState::Connected, LIMIT).await;
    let wa = spawn_writer(Some(a_audio), Some(a_video));
    let wb = spawn_writer(Some(b_audio), None);
    for _ in 0..2 {
        let mut t = b.next_track().await;
        read_frames(&mut t, 5, LIMIT).await;
    }
    let mut t = a.next_track().await;
    read_frames(&mut t, 5, LIMIT).await;
    wa.abort();
    wb.abort();
    a.pc.close().await;
    b.pc.close().await;
}

#[tokio::test]
async fn a_recorded_call_replays_exactly() {
    let path = record_path("answerer.nsrec");
    let b_config = RtcConfiguration {
        record: Some(path.clone()),
        ..config()
    };
    call(config(), b_config).await;

    let bytes = std::fs::read(&path).unwrap();
    let recording = Recording::parse(&bytes).unwrap();
    assert!(!recording.truncated, "the file ends with a whole entry");
    let summary = Replayer::new(recording, Instant::now(), true)
        .run()
        .unwrap_or_else(|e| panic!("{} ({} bytes): {e}", path.display(), bytes.len()));
    assert!(summary.reached_connected, "{summary:?}");
    assert!(summary.frames >= 10, "{summary:?}");
    assert!(
        summary.datagrams_in >= 10 && summary.datagrams_out >= 10,
        "{summary:?}"
    );
    assert!(summary.outputs_checked > 100, "{summary:?}");
}

#[tokio::test]
async fn a_recording_that_cannot_be_written_does_not_fail_the_call() {
    let a_config = RtcConfiguration {
        record: Some(record_path("no-such-dir").join("x.nsrec")),
        ..config()
    };
    call(a_config, config()).await;
}

#[tokio::test]
async fn a_failing_write_stops_the_recording_not_the_call() {
    // Writes to /dev/full fail (no space left on device) after it opened fine.
    let full = PathBuf::from("/dev/full");
    if !full.exists() {
        eprintln!("no /dev/full here: skipped");
        return;
    }
    let a_config = RtcConfiguration {
        record: Some(full),
        ..config()
    };
    call(a_config, config()).await;
}
