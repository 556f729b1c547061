//! SRTP: protect and unprotect a 1200-byte RTP packet (12-byte header, 1188-byte payload) for
//! each profile, nutshell-srtp side by side with webrtc-rs's `webrtc-srtp`, and for
//! AES-128-GCM the raw `ring` seal/open of the same bytes (header as AAD), the practical
//! limit.
//!
//! - protect: the plaintext is copied into a reused buffer (nutshell, ring) or passed by
//!   reference (webrtc-srtp, which returns a new `Bytes`), the sequence number advances each
//!   iteration.
//! - unprotect: each iteration gets a freshly protected packet with the next sequence number
//!   (made outside the timing by `iter_batched`), so the replay windows (1024 packets on both
//!   sides) are exercised as in a call.
//!
//! Before measuring, each library must unprotect the other's packets.
//!
//! On-CPU time per 1200-byte packet (`SRTP_BENCH_CPU=1`, three runs, 2 shared cores; ranges
//! over the runs):
//!
//! | profile          | protect: nutshell / webrtc-srtp  | unprotect: nutshell / webrtc-srtp |
//! |------------------|----------------------------------|-----------------------------------|
//! | AEAD_AES_128_GCM | 314-315 ns / 1.31-1.32 µs (4.2x) | 266-277 ns / 1.44-1.46 µs (5.2-5.5x) |
//! | AEAD_AES_256_GCM | 340-342 ns / 1.41-1.43 µs (4.1-4.2x) | 291-298 ns / 1.50-1.52 µs (5.0-5.2x) |
//! | AES_CM_SHA1_80   | 919-931 ns / 1.17-1.18 µs (1.27x) | 908-919 ns / 1.35-1.36 µs (1.47-1.50x) |
//! | AES_CM_SHA1_32   | 920-930 ns / 1.18 µs (1.26-1.28x) | 907-921 ns / 1.36-1.38 µs (1.49-1.51x) |
//!
//! Raw ring AES-128-GCM on the same bytes: seal 299-300 ns, open 266-267 ns, so nutshell's
//! AEAD_AES_128_GCM protect is 1.05x of the raw cipher. The AES-CM profiles hash 20 SHA-1
//! blocks per packet (RustCrypto `sha1` with SHA-NI, about 37 ns per 64-byte block, bound by
//! the latency of the `sha1rnds4` chain) and run AES-CTR over 1188 octets (about 165 ns);
//! webrtc-srtp uses the same `sha1`/`hmac`/`ctr` crates. nutshell runs HMAC on the compression
//! function with precomputed inner and outer states (blocks hashed straight from the buffer)
//! and interleaves AES-CTR with the hashing in 64-octet chunks, so the out-of-order core
//! overlaps about 60 ns of the AES with the SHA-1 chain.
//!
//! `cargo bench -p nutshell-benches --bench srtp`
//!
//! On a shared, noisy machine wall time swings by 30 % and more between runs. With
//! `SRTP_BENCH_CPU=1` the bench skips criterion and instead runs each case in a fixed loop of
//! about a second, reading this thread's on-CPU time (`/proc/thread-self/schedstat`, Linux)
//! before and after, so time the scheduler gives to other processes is not counted. An
//! unprotect loop also protects its packet (as in a call, each packet is new), so the
//! protect-only loop's time is subtracted from it.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group};
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use srtp::{Config, Context, MasterKey, Profile};
use srtp_oracle::context::Context as TheirContext;
use srtp_oracle::option::srtp_replay_protection;
use srtp_oracle::protection_profile::ProtectionProfile;

const SSRC: u32 = 0x1234_5678;

fn packet(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&90_000u32.to_be_bytes());
    p.extend_from_slice(&SSRC.to_be_bytes());
    p.extend((0..1188u32).map(|i| (i * 7) as u8));
    p
}

fn set_seq(p: &mut [u8], seq: u16) {
    p[2..4].copy_from_slice(&seq.to_be_bytes());
}

fn theirs_profile(p: Profile) -> ProtectionProfile {
    match p {
        Profile::Aes128CmSha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
        Profile::Aes128CmSha1_32 => ProtectionProfile::Aes128CmHmacSha1_32,
        Profile::AeadAes128Gcm => ProtectionProfile::AeadAes128Gcm,
        Profile::AeadAes256Gcm => ProtectionProfile::AeadAes256Gcm,
        _ => unreachable!(),
    }
}

fn keys(profile: Profile) -> (Vec<u8>, Vec<u8>) {
    let key = (0..profile.master_key_len())
        .map(|i| i as u8 * 5 + 1)
        .collect();
    let salt = (0..profile.master_salt_len())
        .map(|i| i as u8 * 3 + 7)
        .collect();
    (key, salt)
}

fn ours(profile: Profile) -> Context {
    let (key, salt) = keys(profile);
    let master = MasterKey::new(profile, &key, &salt).unwrap();
    Context::new(profile, &master, Config::default()).unwrap()
}

fn theirs(profile: Profile, replay: bool) -> TheirContext {
    let (key, salt) = keys(profile);
    let opt = replay.then(|| srtp_replay_protection(1024));
    TheirContext::new(&key, &salt, theirs_profile(profile), opt, None).unwrap()
}

fn short(profile: Profile) -> &'static str {
    match profile {
        Profile::Aes128CmSha1_80 => "AES_CM_SHA1_80",
        Profile::Aes128CmSha1_32 => "AES_CM_SHA1_32",
        Profile::AeadAes128Gcm => "AEAD_AES_128_GCM",
        Profile::AeadAes256Gcm => "AEAD_AES_256_GCM",
        _ => unreachable!(),
    }
}

/// Both libraries read each other's packets, and agree byte for byte.
fn cross_check(profile: Profile) {
    let plain = packet(4711);
    let mut mine = plain.clone();
    ours(profile).protect_rtp(&mut mine).unwrap();
    let their = theirs(profile, true).encrypt_rtp(&plain).unwrap();
    assert_eq!(&mine[..], &their[..], "{profile}");
    let back = theirs(profile, true).decrypt_rtp(&mine).unwrap();
    assert_eq!(&back[..], &plain[..]);
    let mut back = their.to_vec();
    ours(profile).unprotect_rtp(&mut back).unwrap();
    assert_eq!(back, plain);
}

fn ring_key() -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &[9; 16]).unwrap())
}

fn ring_nonce(seq: u16) -> Nonce {
    let mut n = [0x42; 12];
    n[10..].copy_from_slice(&seq.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

fn protect(c: &mut Criterion) {
    for profile in Profile::ALL {
        cross_check(profile);
        let plain = packet(0);
        let mut g = c.benchmark_group(format!("srtp_protect_1200B/{}", short(profile)));
        let mut ctx = ours(profile);
        let mut buf = Vec::with_capacity(1500);
        let mut seq = 0u16;
        g.bench_function("nutshell", |b| {
            b.iter(|| {
                buf.clear();
                buf.extend_from_slice(black_box(&plain));
                seq = seq.wrapping_add(1);
                set_seq(&mut buf, seq);
                ctx.protect_rtp(&mut buf).unwrap();
                buf.len()
            })
        });
        let mut ctx = theirs(profile, false);
        let mut p = plain.clone();
        g.bench_function("webrtc-srtp", |b| {
            b.iter(|| {
                seq = seq.wrapping_add(1);
                set_seq(&mut p, seq);
                ctx.encrypt_rtp(black_box(&p)).unwrap()
            })
        });
        if profile == Profile::AeadAes128Gcm {
            let key = ring_key();
            g.bench_function("ring AES-128-GCM seal (raw)", |b| {
                b.iter(|| {
                    buf.clear();
                    buf.extend_from_slice(black_box(&plain));
                    seq = seq.wrapping_add(1);
                    set_seq(&mut buf, seq);
                    let (header, payload) = buf.split_at_mut(12);
                    let tag = key
                        .seal_in_place_separate_tag(ring_nonce(seq), Aad::from(&*header), payload)
                        .unwrap();
                    buf.extend_from_slice(tag.as_ref());
                    buf.len()
                })
            });
        }
        g.finish();
    }
}

fn unprotect(c: &mut Criterion) {
    for profile in Profile::ALL {
        let plain = packet(0);
        let mut g = c.benchmark_group(format!("srtp_unprotect_1200B/{}", short(profile)));
        let (mut tx, mut rx) = (ours(profile), ours(profile));
        let mut p = plain.clone();
        let mut seq = 0u16;
        g.bench_function("nutshell", |b| {
            b.iter_batched(
                || {
                    seq = seq.wrapping_add(1);
                    let mut buf = Vec::with_capacity(1500);
                    buf.extend_from_slice(&plain);
                    set_seq(&mut buf, seq);
                    tx.protect_rtp(&mut buf).unwrap();
                    buf
                },
                |mut buf| {
                    rx.unprotect_rtp(&mut buf).unwrap();
                    buf
                },
                BatchSize::SmallInput,
            )
        });
        let (mut tx, mut rx) = (theirs(profile, false), theirs(profile, true));
        g.bench_function("webrtc-srtp", |b| {
            b.iter_batched(
                || {
                    seq = seq.wrapping_add(1);
                    set_seq(&mut p, seq);
                    tx.encrypt_rtp(&p).unwrap()
                },
                |sealed| rx.decrypt_rtp(&sealed).unwrap(),
                BatchSize::SmallInput,
            )
        });
        if profile == Profile::AeadAes128Gcm {
            let key = ring_key();
            g.bench_function("ring AES-128-GCM open (raw)", |b| {
                b.iter_batched(
                    || {
                        seq = seq.wrapping_add(1);
                        let mut buf = Vec::with_capacity(1500);
                        buf.extend_from_slice(&plain);
                        set_seq(&mut buf, seq);
                        let (header, payload) = buf.split_at_mut(12);
                        let tag = key
                            .seal_in_place_separate_tag(
                                ring_nonce(seq),
                                Aad::from(&*header),
                                payload,
                            )
                            .unwrap();
                        buf.extend_from_slice(tag.as_ref());
                        (seq, buf)
                    },
                    |(seq, mut buf)| {
                        let (header, sealed) = buf.split_at_mut(12);
                        key.open_in_place(ring_nonce(seq), Aad::from(&*header), sealed)
                            .unwrap();
                        buf
                    },
                    BatchSize::SmallInput,
                )
            });
        }
        g.finish();
    }
}

/// This thread's on-CPU nanoseconds so far.
fn on_cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    stat.split_whitespace().next().unwrap().parse().unwrap()
}

/// On-CPU nanoseconds per call of `f`, over at least a second of CPU time.
fn cpu_ns_per_iter(mut f: impl FnMut()) -> f64 {
    for _ in 0..10_000 {
        f();
    }
    let start = on_cpu_ns();
    let mut n = 0u64;
    while on_cpu_ns() - start < 1_000_000_000 {
        for _ in 0..10_000 {
            f();
        }
        n += 10_000;
    }
    (on_cpu_ns() - start) as f64 / n as f64
}

fn cpu_loops() {
    for profile in Profile::ALL {
        cross_check(profile);
        let plain = packet(0);
        let mut seq = 0u16;
        let mut buf = Vec::with_capacity(1500);
        let mut next = |buf: &mut Vec<u8>| {
            buf.clear();
            buf.extend_from_slice(black_box(&plain));
            seq = seq.wrapping_add(1);
            set_seq(buf, seq);
        };
        // Fresh senders for the unprotect loops: a receiver starts at ROC 0.
        let mut tx = ours(profile);
        let ours_protect = cpu_ns_per_iter(|| {
            next(&mut buf);
            tx.protect_rtp(&mut buf).unwrap();
        });
        let (mut tx, mut rx) = (ours(profile), ours(profile));
        let ours_both = cpu_ns_per_iter(|| {
            next(&mut buf);
            tx.protect_rtp(&mut buf).unwrap();
            rx.unprotect_rtp(&mut buf).unwrap();
        });
        let mut tx = theirs(profile, false);
        let mut p = plain.clone();
        let mut seq = 0u16;
        let theirs_protect = cpu_ns_per_iter(|| {
            seq = seq.wrapping_add(1);
            set_seq(&mut p, seq);
            black_box(tx.encrypt_rtp(black_box(&p)).unwrap());
        });
        let (mut tx, mut rx) = (theirs(profile, false), theirs(profile, true));
        let mut seq = 0u16;
        let theirs_both = cpu_ns_per_iter(|| {
            seq = seq.wrapping_add(1);
            set_seq(&mut p, seq);
            let sealed = tx.encrypt_rtp(black_box(&p)).unwrap();
            black_box(rx.decrypt_rtp(&sealed).unwrap());
        });
        println!(
            "{:18} protect: nutshell {:6.0} ns, webrtc-srtp {:6.0} ns ({:.2}x);  \
             unprotect: nutshell {:6.0} ns, webrtc-srtp {:6.0} ns ({:.2}x)",
            short(profile),
            ours_protect,
            theirs_protect,
            theirs_protect / ours_protect,
            ours_both - ours_protect,
            theirs_both - theirs_protect,
            (theirs_both - theirs_protect) / (ours_both - ours_protect),
        );
        if profile == Profile::AeadAes128Gcm {
            let key = ring_key();
            let mut seq = 0u16;
            let mut seal = |buf: &mut Vec<u8>| {
                buf.clear();
                buf.extend_from_slice(black_box(&plain));
                seq = seq.wrapping_add(1);
                set_seq(buf, seq);
                let (header, payload) = buf.split_at_mut(12);
                let tag = key
                    .seal_in_place_separate_tag(ring_nonce(seq), Aad::from(&*header), payload)
                    .unwrap();
                buf.extend_from_slice(tag.as_ref());
                seq
            };
            let ring_seal = cpu_ns_per_iter(|| {
                seal(&mut buf);
            });
            let ring_both = cpu_ns_per_iter(|| {
                let seq = seal(&mut buf);
                let (header, sealed) = buf.split_at_mut(12);
                key.open_in_place(ring_nonce(seq), Aad::from(&*header), sealed)
                    .unwrap();
            });
            println!(
                "{:18} ring AES-128-GCM raw: seal {:6.0} ns (nutshell protect {:.2}x of it), \
                 open {:6.0} ns (nutshell unprotect {:.2}x of it)",
                "",
                ring_seal,
                ours_protect / ring_seal,
                ring_both - ring_seal,
                (ours_both - ours_protect) / (ring_both - ring_seal),
            );
        }
    }
}

criterion_group!(benches, protect, unprotect);

fn main() {
    if std::env::var_os("SRTP_BENCH_CPU").is_some() {
        cpu_loops();
    } else {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
}
