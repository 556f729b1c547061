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
//! `cargo bench -p nutshell-benches --bench srtp`

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
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

criterion_group!(benches, protect, unprotect);
criterion_main!(benches);
