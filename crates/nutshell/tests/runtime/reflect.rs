//! The `reflect` example as a browser sees it: run the binary (built by `cargo test` with
//! the examples), signal with one JSON line each way, send audio and video, get them back.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use nutshell::*;
use serde_json::{Value, json};

use crate::support::*;

const LIMIT: Duration = Duration::from_secs(5);

/// `target/<profile>/examples/reflect`, next to this test's `deps/` directory.
fn reflect_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("examples").join("reflect");
    path.exists().then_some(path)
}

async fn reflect_round_trip(offer_mode: bool) {
    let Some(bin) = reflect_bin() else {
        // `cargo test -p nutshell` builds the examples first; `--test runtime` alone does not.
        eprintln!("reflect binary not built: run `cargo test -p nutshell` to include this test");
        return;
    };
    let mut args = vec!["--duration", "20", "--interfaces", "loopback"];
    if offer_mode {
        args.push("--offer");
    }
    let mut child = Command::new(bin)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (line_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = line_tx.send(l);
        }
    });
    let mut next_line = async || {
        tokio::time::timeout(LIMIT, lines.recv())
            .await
            .expect("no line from reflect")
            .expect("reflect closed stdout")
    };

    let mut me = Peer::new(config());
    let (audio, video);
    if offer_mode {
        let line = next_line().await;
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["type"], "offer");
        let sdp = v["sdp"].as_str().unwrap();
        assert!(sdp.contains("a=candidate:") && sdp.contains("a=end-of-candidates"));
        me.pc
            .set_remote_description(RtcSessionDescription::offer(sdp))
            .await
            .unwrap();
        audio = me.pc.add_track(MediaKind::Audio, "me").await.unwrap();
        video = me.pc.add_track(MediaKind::Video, "me").await.unwrap();
        let answer = me.pc.create_answer().await.unwrap();
        me.pc.set_local_description(answer).await.unwrap();
    } else {
        audio = me.pc.add_track(MediaKind::Audio, "me").await.unwrap();
        video = me.pc.add_track(MediaKind::Video, "me").await.unwrap();
        let offer = me.pc.create_offer().await.unwrap();
        me.pc.set_local_description(offer).await.unwrap();
    }
    assert!(me.pc.gathering_complete(LIMIT).await.unwrap());
    let local = me.pc.local_description().await.unwrap().unwrap();
    let msg = json!({"type": local.sdp_type.as_str(), "sdp": local.sdp});
    writeln!(stdin, "{msg}").unwrap();
    stdin.flush().unwrap();
    if !offer_mode {
        let line = next_line().await;
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["type"], "answer");
        let sdp = v["sdp"].as_str().unwrap();
        assert!(sdp.contains("a=candidate:") && sdp.contains("a=end-of-candidates"));
        me.pc
            .set_remote_description(RtcSessionDescription::answer(sdp))
            .await
            .unwrap();
    }
    me.wait_state(ConnectionState::Connected, LIMIT).await;
    let writer = spawn_writer(Some(audio), Some(video));
    let mut t1 = me.next_track().await;
    let mut t2 = me.next_track().await;
    if t1.kind() == MediaKind::Video {
        std::mem::swap(&mut t1, &mut t2);
    }
    // Our own frames come back.
    let a = read_frames(&mut t1, 10, LIMIT).await;
    assert!(a.iter().all(|f| f.data.len() == 80 && f.data[0] == 0xfc));
    let v = read_frames(&mut t2, 5, LIMIT).await;
    assert!(v.iter().all(|f| f.data.len() == 3000));
    writer.abort();

    // Closing stdin ends it; the last stderr line is the stats JSON.
    drop(stdin);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap();
    let stats: Value = serde_json::from_str(last).unwrap();
    assert_eq!(stats["type"], "stats");
    assert!(stats["packets_echoed"].as_u64().unwrap() > 20, "{stats}");
    assert_eq!(stats["streams"].as_array().unwrap().len(), 4, "{stats}");
    me.pc.close().await;
}

#[tokio::test]
async fn reflect_answers_and_echoes() {
    reflect_round_trip(false).await;
}

#[tokio::test]
async fn reflect_offers_and_echoes() {
    reflect_round_trip(true).await;
}
