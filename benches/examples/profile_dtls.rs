//! Runs N full in-memory DTLS handshakes (both sides, as in the `dtls` bench) of one stack,
//! or N times the public-key work alone, for instruction counts under callgrind, which the
//! machine's load does not disturb:
//!
//! ```text
//! cargo build --release -p nutshell-benches --example profile_dtls
//! for what in nutshell dimpl floor; do for n in 1 11; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/profile_dtls $what $n 2>&1 | grep 'Collected'
//! done; done
//! ```
//! (count at 11 minus count at 1) / 10 is the cost of one handshake, set-up excluded.

use std::hint::black_box;

#[path = "../benches/dtls_stacks/mod.rs"]
mod stacks;
use stacks::{dimpl_side, floor, ours};

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "nutshell".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    match what.as_str() {
        "nutshell" => {
            let certs = ours::certs();
            for _ in 0..n {
                black_box(ours::handshake(&certs));
            }
        }
        "dimpl" => {
            let certs = dimpl_side::certs(false);
            for _ in 0..n {
                black_box(dimpl_side::handshake(&certs));
            }
        }
        "floor" => {
            let keys = floor::keys();
            for _ in 0..n {
                black_box(floor::handshake(&keys));
            }
        }
        other => panic!("unknown stack {other}: nutshell, dimpl or floor"),
    }
}
