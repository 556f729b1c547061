//! Decode + verify an ICE binding request in a loop, for profilers (callgrind, perf).
//!
//! `cargo build --release -p nutshell-benches --example profile_stun`
//! `valgrind --tool=callgrind target/release/examples/profile_stun 10000`
//! `perf stat -e cycles:u target/release/examples/profile_stun 1000000 all` (one loop only)

use std::hint::black_box;

use nutshell_stun::{Attribute, Encoder, Key, Message, MessageType, TransactionId};
use stun as nutshell_stun; // our crate, by its workspace short name

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let key = Key::short_term("pE3n7Ypq0mYkNVs6o0pLqcW4");
    let mut req = Vec::new();
    let mut enc = Encoder::new(
        &mut req,
        MessageType::BINDING_REQUEST,
        TransactionId([7; 12]),
    );
    enc.add(&Attribute::Username("Rx4f:9aB2")).unwrap();
    enc.add(&Attribute::Priority(1_853_824_767)).unwrap();
    enc.add(&Attribute::IceControlling(0x1d2e_3f40_5162_7384))
        .unwrap();
    enc.add(&Attribute::UseCandidate).unwrap();
    enc.add_integrity(&key);
    enc.add_fingerprint();
    enc.finish();
    let only = std::env::args().nth(2);
    println!(
        "size_of Attribute {} Result<Attribute, Error> {} Message {}",
        std::mem::size_of::<Attribute<'_>>(),
        std::mem::size_of::<Result<Attribute<'_>, nutshell_stun::Error>>(),
        std::mem::size_of::<Message<'_>>()
    );
    let time = |name: &str, f: &dyn Fn() -> u64| {
        if only.as_deref().is_some_and(|o| o != name) {
            return;
        }
        // The fastest of several rounds: the least disturbed by other load on the machine.
        let mut best = u128::MAX;
        let mut sum = 0u64;
        for _ in 0..9 {
            let start = std::time::Instant::now();
            for _ in 0..n / 9 {
                sum = sum.wrapping_add(f());
            }
            best = best.min(start.elapsed().as_nanos() / u128::from((n / 9).max(1)));
        }
        println!("{name}: {best} ns/iter (checksum {sum})");
    };
    let msg = Message::decode(&req).unwrap();
    time("decode", &|| {
        Message::decode(black_box(&req)).unwrap().has_fingerprint() as u64
    });
    time("verify", &|| black_box(&msg).verify(&key).is_ok() as u64);
    time("typed", &|| {
        black_box(&msg)
            .typed()
            .map(|a| matches!(a, Ok(Attribute::Priority(_))) as u64)
            .sum()
    });
    time("raw attributes", &|| {
        black_box(&msg).attributes().map(|a| u64::from(a.typ)).sum()
    });
    let tid = TransactionId([7; 12]);
    let prio = [0x6e, 0, 1, 0xff];
    time("decode PRIORITY", &|| {
        matches!(
            Attribute::decode(nutshell_stun::types::PRIORITY, black_box(&prio), &tid),
            Ok(Attribute::Priority(_))
        ) as u64
    });
    time("decode USERNAME", &|| {
        matches!(
            Attribute::decode(
                nutshell_stun::types::USERNAME,
                black_box(b"Rx4f:9aB2"),
                &tid
            ),
            Ok(Attribute::Username(_))
        ) as u64
    });
    time("crc32", &|| u64::from(crc32fast::hash(black_box(&req))));
    time("all", &|| {
        let msg = Message::decode(black_box(&req)).unwrap();
        msg.verify(&key).unwrap();
        msg.typed()
            .map(|a| matches!(a, Ok(Attribute::Priority(_))) as u64)
            .sum()
    });
}
