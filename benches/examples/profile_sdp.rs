//! Parses (and with `--write`, serializes) the Chrome fixture in a loop, for profilers such as
//! `valgrind --tool=callgrind`. It lives here, not in nutshell-sdp, because it reads the
//! clock, which protocol crates never do. Prints the best per-iteration time of ten batches, a quick
//! figure that is robust to a busy machine (criterion in `benches/` gives the real numbers).
//!
//! ```text
//! cargo run --release -p nutshell-benches --example profile_sdp -- 2000 [--write | --serialize-only [--reuse]] [--oracle]
//! ```
use std::time::Instant;

use sdp as nutshell_sdp; // our crate, by its workspace short name

fn main() {
    let text = include_str!("../../crates/sdp/tests/data/chrome_offer.sdp");
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let write = std::env::args().any(|a| a == "--write");
    // `--oracle`: the same loop through webrtc-rs's `sdp` crate (a dev-dependency), to compare.
    let oracle = std::env::args().any(|a| a == "--oracle");
    if std::env::args().any(|a| a == "--serialize-only") {
        serialize_only(text, n, oracle);
        return;
    }
    let mut best = f64::MAX;
    let mut total = 0;
    for _ in 0..10 {
        let start = Instant::now();
        for _ in 0..n {
            if oracle {
                let mut cursor = std::io::Cursor::new(std::hint::black_box(text).as_bytes());
                let sdp = sdp_oracle::SessionDescription::unmarshal(&mut cursor).unwrap();
                total += sdp.media_descriptions.len();
                if write {
                    total += std::hint::black_box(sdp.marshal()).len();
                }
                continue;
            }
            let sdp = nutshell_sdp::SessionDescription::parse(std::hint::black_box(text)).unwrap();
            total += sdp.media.len();
            if write {
                total += std::hint::black_box(sdp.to_string()).len();
            }
        }
        best = best.min(start.elapsed().as_secs_f64() / f64::from(n));
    }
    println!("{:.2} µs per iteration ({total})", best * 1e6);
}

/// Serializes one parsed description `n` times per batch.
fn serialize_only(text: &str, n: u32, oracle: bool) {
    let ours = nutshell_sdp::SessionDescription::parse(text).unwrap();
    let theirs =
        sdp_oracle::SessionDescription::unmarshal(&mut std::io::Cursor::new(text.as_bytes()))
            .unwrap();
    // `--reuse`: append to one String, cleared each time, instead of `to_string()`.
    let reuse = std::env::args().any(|a| a == "--reuse");
    let mut reused = String::new();
    let mut best = f64::MAX;
    let mut total = 0;
    for _ in 0..10 {
        let start = Instant::now();
        for _ in 0..n {
            total += if oracle {
                std::hint::black_box(&theirs).marshal().len()
            } else if reuse {
                reused.clear();
                std::hint::black_box(&ours).write_to(&mut reused);
                reused.len()
            } else {
                std::hint::black_box(&ours).to_string().len()
            };
        }
        best = best.min(start.elapsed().as_secs_f64() / f64::from(n));
    }
    println!("{:.2} µs per serialization ({total})", best * 1e6);
}
