//! Known answers (RFC 3711 Appendix B, RFC 7714 §16-§17), context behaviour and properties.

use proptest::prelude::*;

use crate::cipher::{Cipher, CmCipher, GcmCipher};
use crate::context::estimate_index;
use crate::kdf::{self, Label};
use crate::{Config, Context, Error, KeyingMaterial, MasterKey, Profile, Role};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// RFC 3711 Appendix B.2: AES-CM keystream, session key 2B7E..., salt F0F1...FCFD, SSRC 0,
// index 0, so the IV is the salt times 2^16 and encrypting zeros gives the keystream.
#[test]
fn rfc3711_b2_aes_cm_keystream() {
    let salt: [u8; 14] = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD").try_into().unwrap();
    let c = CmCipher::new(&hex("2B7E151628AED2A6ABF7158809CF4F3C"), salt, &[0; 20]).unwrap();
    let mut stream = vec![0u8; 0xFF02 * 16];
    c.apply_keystream(0, 0, &mut stream);
    assert_eq!(
        stream[..48],
        hex("E03EAD0935C95E80E166B16DD92B4EB4
             D23513162B02D0F72A43A2FE4A5F97AB
             41E95B3BB0A2E8DD477901E4FCA894C0")[..]
    );
    let block = |n: usize| &stream[n * 16..n * 16 + 16];
    assert_eq!(block(0xFEFF), hex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
    assert_eq!(block(0xFF00), hex("362B7C3C6773516318A077D7FC5073AE"));
    assert_eq!(block(0xFF01), hex("6A2CC3787889374FBEB4C81B17BA6C44"));
}

// RFC 3711 Appendix B.3: key derivation.
#[test]
fn rfc3711_b3_key_derivation() {
    let master = MasterKey::new(
        Profile::Aes128CmSha1_80,
        &hex("E1F97A0D3E018BE0D64FA32C06DE4139"),
        &hex("0EC675AD498AFEEBB6960B3AABE6"),
    )
    .unwrap();
    let mut key = [0u8; 16];
    kdf::derive(&master, Label::RtpEncryption, &mut key).unwrap();
    assert_eq!(key[..], hex("C61E7A93744F39EE10734AFE3FF7A087")[..]);
    let mut salt = [0u8; 14];
    kdf::derive(&master, Label::RtpSalt, &mut salt).unwrap();
    assert_eq!(salt[..], hex("30CBBC08863D8C85D49DB34A9AE1")[..]);
    // The RFC lists 94 octets of the authentication keystream; SRTP uses the first 20.
    let mut auth = [0u8; 94];
    kdf::derive(&master, Label::RtpAuthentication, &mut auth).unwrap();
    assert_eq!(
        auth[..],
        hex(
            "CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE
             E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25
             6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2"
        )[..]
    );
}

/// The whole path (KDF, AES-CM, HMAC-SHA1) with the master key of RFC 3711 B.3; the expected
/// packet is the one libsrtp's `srtp_driver` validates against.
#[test]
fn aes_cm_sha1_80_packet() {
    let profile = Profile::Aes128CmSha1_80;
    let master = MasterKey::new(
        profile,
        &hex("E1F97A0D3E018BE0D64FA32C06DE4139"),
        &hex("0EC675AD498AFEEBB6960B3AABE6"),
    )
    .unwrap();
    let plain = hex("800f1234 decafbad cafebabe abababab abababab abababab abababab");
    let protected = hex(
        "800f1234 decafbad cafebabe 4e55dc4c e79978d8 8ca4d215 949d2402 b78d6acc 99ea179b 8dbb",
    );
    let mut tx = Context::new(profile, &master, Config::default()).unwrap();
    let mut buf = plain.clone();
    tx.protect_rtp(&mut buf).unwrap();
    assert_eq!(buf, protected);
    let mut rx = Context::new(profile, &master, Config::default()).unwrap();
    rx.unprotect_rtp(&mut buf).unwrap();
    assert_eq!(buf, plain);
    let mut again = protected.clone();
    assert_eq!(rx.unprotect_rtp(&mut again), Err(Error::Replayed));
}

const GCM_KEY_128: &str = "000102030405060708090a0b0c0d0e0f";
const GCM_KEY_256: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const GCM_SALT: &str = "517569642070726f2071756f";
const GCM_RTP: &str = "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973
                       20646976 69736120 696e2070 61727465 73207472 6573";
const GCM_RTCP: &str = "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930
                        4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef";

/// A context keyed with the session keys RFC 7714 §16-§17 give directly.
fn gcm_context(profile: Profile) -> Context {
    let key = hex(if profile == Profile::AeadAes256Gcm {
        GCM_KEY_256
    } else {
        GCM_KEY_128
    });
    let salt: [u8; 12] = hex(GCM_SALT).try_into().unwrap();
    let cipher = || Cipher::Gcm(GcmCipher::new(profile, &key, salt).unwrap());
    Context::with_ciphers(profile, cipher(), cipher(), Config::default())
}

fn gcm_rtp_case(profile: Profile, protected: &str) {
    let plain = hex(GCM_RTP);
    let protected = hex(protected);
    let mut buf = plain.clone();
    gcm_context(profile).protect_rtp(&mut buf).unwrap();
    assert_eq!(buf, protected);
    let mut rx = gcm_context(profile);
    rx.unprotect_rtp(&mut buf).unwrap();
    assert_eq!(buf, plain);
    let mut again = protected.clone();
    assert_eq!(rx.unprotect_rtp(&mut again), Err(Error::Replayed));
    let mut flipped = protected;
    flipped[20] ^= 1;
    let mut rx = gcm_context(profile);
    assert_eq!(
        rx.unprotect_rtp(&mut flipped),
        Err(Error::AuthenticationFailed)
    );
    assert_eq!(rx.ssrc_count(), 0);
}

// RFC 7714 §16.1.1 / §16.1.2.
#[test]
fn rfc7714_16_1_aes_128_gcm_rtp() {
    gcm_rtp_case(
        Profile::AeadAes128Gcm,
        "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f
         42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce",
    );
}

// RFC 7714 §16.2.1 / §16.2.2.
#[test]
fn rfc7714_16_2_aes_256_gcm_rtp() {
    gcm_rtp_case(
        Profile::AeadAes256Gcm,
        "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3
         b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13",
    );
}

fn gcm_rtcp_case(profile: Profile, protected: &str, encrypted: bool) {
    let plain = hex(GCM_RTCP);
    let protected = hex(protected);
    if encrypted {
        let mut tx = gcm_context(profile);
        tx.set_rtcp_index(0x4d61_7273, 0x5d4);
        let mut buf = plain.clone();
        tx.protect_rtcp(&mut buf).unwrap();
        assert_eq!(buf, protected);
    }
    let mut rx = gcm_context(profile);
    let mut buf = protected.clone();
    rx.unprotect_rtcp(&mut buf).unwrap();
    assert_eq!(buf, plain);
    let mut again = protected.clone();
    assert_eq!(rx.unprotect_rtcp(&mut again), Err(Error::Replayed));
    for i in [0, 9, protected.len() - 5, protected.len() - 1] {
        let mut flipped = protected.clone();
        flipped[i] ^= 0x10;
        let result = gcm_context(profile).unprotect_rtcp(&mut flipped);
        assert!(result.is_err(), "bit flip at {i} accepted");
    }
}

// RFC 7714 §17.1: SRTCP AES-128-GCM, encrypted (E = 1), SRTCP index 0x5d4.
#[test]
fn rfc7714_17_1_aes_128_gcm_rtcp() {
    gcm_rtcp_case(
        Profile::AeadAes128Gcm,
        "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1
         730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4",
        true,
    );
}

// RFC 7714 §17.2: SRTCP AES-256-GCM, encrypted.
#[test]
fn rfc7714_17_2_aes_256_gcm_rtcp() {
    gcm_rtcp_case(
        Profile::AeadAes256Gcm,
        "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50 a2eaa5c1
         110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4",
        true,
    );
}

// RFC 7714 §17.3: SRTCP AES-128-GCM, authenticated only (E = 0).
#[test]
fn rfc7714_17_3_aes_128_gcm_rtcp_unencrypted() {
    gcm_rtcp_case(
        Profile::AeadAes128Gcm,
        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef
         deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4",
        false,
    );
}

// RFC 7714 §17.4: SRTCP AES-256-GCM, authenticated only (E = 0).
#[test]
fn rfc7714_17_4_aes_256_gcm_rtcp_unencrypted() {
    gcm_rtcp_case(
        Profile::AeadAes256Gcm,
        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef
         deadbeef deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4",
        false,
    );
}

#[test]
fn split_follows_rfc5764_layout() {
    for profile in Profile::ALL {
        let n = profile.keying_material_len();
        let exported: Vec<u8> = (0..n as u8).collect();
        let (k, s) = (profile.master_key_len(), profile.master_salt_len());
        let client = KeyingMaterial::split(&exported, profile, Role::Client).unwrap();
        let server = KeyingMaterial::split(&exported, profile, Role::Server).unwrap();
        assert_eq!(client.local.key(), &exported[..k]);
        assert_eq!(client.remote.key(), &exported[k..2 * k]);
        assert_eq!(client.local.salt(), &exported[2 * k..2 * k + s]);
        assert_eq!(client.remote.salt(), &exported[2 * k + s..]);
        assert_eq!(server.local, client.remote);
        assert_eq!(server.remote, client.local);
        assert_eq!(
            KeyingMaterial::split(&exported[1..], profile, Role::Client),
            Err(Error::BadKeyingMaterial)
        );
        assert_eq!(Profile::from_id(profile.id()), Some(profile));
        let wrong = Profile::ALL
            .into_iter()
            .find(|p| p.master_key_len() != k)
            .unwrap();
        let other =
            KeyingMaterial::split(&vec![0; wrong.keying_material_len()], wrong, Role::Client)
                .unwrap();
        assert_eq!(
            Context::new(profile, &other.local, Config::default()).err(),
            Some(Error::BadKeyingMaterial)
        );
    }
    assert_eq!(Profile::AeadAes128Gcm.keying_material_len(), 56);
    assert_eq!(Profile::AeadAes256Gcm.keying_material_len(), 88);
    assert_eq!(Profile::Aes128CmSha1_80.keying_material_len(), 60);
    assert!(
        !format!(
            "{:?}",
            KeyingMaterial::split(&[0x42; 60], Profile::Aes128CmSha1_80, Role::Client)
        )
        .contains("42")
    );
}

// RFC 3711 Appendix A.
#[test]
fn roc_estimate() {
    assert_eq!(estimate_index(100, 101), Some(101));
    assert_eq!(estimate_index(100, 99), Some(99));
    assert_eq!(estimate_index(65_535, 0), Some(65_536));
    assert_eq!(estimate_index(65_536, 65_535), Some(65_535));
    assert_eq!(estimate_index(65_536 + 10, 65_000), Some(65_000));
    assert_eq!(estimate_index(10, 65_000), None);
    assert_eq!(
        estimate_index(3 << 16 | 40_000, 7_000),
        Some(4 << 16 | 7_000)
    );
    assert_eq!(
        estimate_index(3 << 16 | 40_000, 8_000),
        Some(3 << 16 | 8_000)
    );
    assert_eq!(estimate_index((1 << 48) - 1, 1), None);
}

fn rtp(seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&1234u32.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn rtcp(ssrc: u32, body: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, 201, 0, 1];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(body);
    p
}

fn pair(profile: Profile, config: Config) -> (Context, Context) {
    let exported: Vec<u8> = (0..profile.keying_material_len())
        .map(|i| (i * 3) as u8)
        .collect();
    let km = KeyingMaterial::split(&exported, profile, Role::Client).unwrap();
    (
        Context::new(profile, &km.local, config).unwrap(),
        Context::new(profile, &km.local, config).unwrap(),
    )
}

#[test]
fn rollover_reorder_and_replay() {
    for profile in Profile::ALL {
        let (mut tx, mut rx) = pair(profile, Config::default());
        let seqs: Vec<u16> = (65_530..=65_535).chain(0..6).collect();
        let mut sent = Vec::new();
        for &seq in &seqs {
            let mut p = rtp(seq, 7, b"hello");
            tx.protect_rtp(&mut p).unwrap();
            sent.push(p);
        }
        assert_eq!(tx.roc(7), Some(1));
        // Deliver in a shuffled order, with the rollover packets swapped.
        let order = [0, 1, 2, 3, 4, 7, 5, 6, 8, 11, 10, 9];
        for &i in &order {
            let mut p = sent[i].clone();
            rx.unprotect_rtp(&mut p).unwrap();
            assert_eq!(p, rtp(seqs[i], 7, b"hello"), "{profile} packet {i}");
        }
        assert_eq!(rx.roc(7), Some(1));
        for p in &sent {
            assert_eq!(rx.unprotect_rtp(&mut p.clone()), Err(Error::Replayed));
        }
        // RTCP: indices count from zero; replays refused.
        let mut first = rtcp(7, b"report!!");
        tx.protect_rtcp(&mut first).unwrap();
        assert_eq!(first.len(), 16 + profile.rtcp_overhead());
        let mut second = rtcp(7, b"report!!");
        tx.protect_rtcp(&mut second).unwrap();
        rx.unprotect_rtcp(&mut second.clone()).unwrap();
        let mut p = first.clone();
        rx.unprotect_rtcp(&mut p).unwrap();
        assert_eq!(p, rtcp(7, b"report!!"));
        assert_eq!(rx.unprotect_rtcp(&mut first.clone()), Err(Error::Replayed));
        assert_eq!(rx.unprotect_rtcp(&mut second.clone()), Err(Error::Replayed));
    }
}

#[test]
fn replay_window_size_is_configurable() {
    let config = Config {
        replay_window: 64,
        ..Config::default()
    };
    let (mut tx, mut rx) = pair(Profile::AeadAes128Gcm, config);
    let mut sent = Vec::new();
    for seq in 0..200u16 {
        let mut p = rtp(seq, 1, b"x");
        tx.protect_rtp(&mut p).unwrap();
        sent.push(p);
    }
    rx.unprotect_rtp(&mut sent[199].clone()).unwrap();
    assert_eq!(rx.unprotect_rtp(&mut sent[100].clone()), Err(Error::TooOld));
    rx.unprotect_rtp(&mut sent[150].clone()).unwrap();
    // The default window keeps 1024 packets.
    let (_, mut rx) = pair(Profile::AeadAes128Gcm, Config::default());
    rx.unprotect_rtp(&mut sent[199].clone()).unwrap();
    rx.unprotect_rtp(&mut sent[0].clone()).unwrap();
}

#[test]
fn ssrc_limit() {
    let config = Config {
        max_ssrcs: 2,
        ..Config::default()
    };
    let (mut tx, mut rx) = pair(Profile::Aes128CmSha1_32, config);
    let mut big_tx = pair(Profile::Aes128CmSha1_32, Config::default()).0;
    for ssrc in 1..=3 {
        let mut p = rtp(1, ssrc, b"x");
        big_tx.protect_rtp(&mut p).unwrap();
        let result = rx.unprotect_rtp(&mut p);
        assert_eq!(result.is_ok(), ssrc <= 2);
        if ssrc == 3 {
            assert_eq!(result, Err(Error::SsrcLimit));
        }
        assert_eq!(tx.protect_rtp(&mut rtp(1, ssrc, b"x")).is_ok(), ssrc <= 2);
    }
    rx.remove_ssrc(1);
    let mut p = rtp(2, 3, b"x");
    big_tx.protect_rtp(&mut p).unwrap();
    rx.unprotect_rtp(&mut p).unwrap();
    // Forged packets of new SSRCs take no slot.
    rx.remove_ssrc(2);
    let mut forged = rtp(1, 9, &[0; 30]);
    assert_eq!(
        rx.unprotect_rtp(&mut forged),
        Err(Error::AuthenticationFailed)
    );
    assert_eq!(rx.ssrc_count(), 1);
}

#[test]
fn malformed_input() {
    for profile in Profile::ALL {
        let (mut tx, mut rx) = pair(profile, Config::default());
        assert_eq!(tx.protect_rtp(&mut vec![0x80; 11]), Err(Error::TooShort));
        assert_eq!(tx.protect_rtp(&mut vec![0x40; 12]), Err(Error::Malformed));
        // CSRC count says 15 CSRCs that are not there.
        assert_eq!(tx.protect_rtp(&mut vec![0x8f; 20]), Err(Error::TooShort));
        // Extension header with a length that runs past the end.
        let mut p = rtp(1, 1, &[0xbe, 0xde, 0x00, 0x09]);
        p[0] |= 0x10;
        assert_eq!(tx.protect_rtp(&mut p), Err(Error::TooShort));
        assert_eq!(tx.protect_rtcp(&mut vec![0x80; 7]), Err(Error::TooShort));
        for len in 0..40 {
            let mut junk = vec![0x80; len];
            assert!(rx.unprotect_rtp(&mut junk).is_err());
            assert_eq!(junk.len(), len);
            let mut junk = vec![0x80; len];
            assert!(rx.unprotect_rtcp(&mut junk).is_err());
        }
        assert_eq!(rx.ssrc_count(), 0);
    }
}

#[test]
fn bytes_mut_buffer() {
    let (mut tx, mut rx) = pair(Profile::AeadAes256Gcm, Config::default());
    let plain = rtp(5, 5, b"bytes");
    let mut buf = bytes::BytesMut::from(&plain[..]);
    tx.protect_rtp(&mut buf).unwrap();
    rx.unprotect_rtp(&mut buf).unwrap();
    assert_eq!(&buf[..], &plain[..]);
}

fn arb_profile() -> impl Strategy<Value = Profile> {
    prop::sample::select(Profile::ALL.to_vec())
}

/// An RTP packet with CSRCs, maybe a header extension, padding bits as they come.
fn arb_rtp() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        prop::collection::vec(any::<u32>(), 0..4),
        prop::option::of(prop::collection::vec(any::<u32>(), 0..4)),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(b0, pt, seq, ts, ssrc, csrcs, ext, payload)| {
            let mut p = vec![0x80 | (b0 & 0x20) | csrcs.len() as u8, pt];
            p.extend_from_slice(&seq.to_be_bytes());
            p.extend_from_slice(&ts.to_be_bytes());
            p.extend_from_slice(&ssrc.to_be_bytes());
            for c in &csrcs {
                p.extend_from_slice(&c.to_be_bytes());
            }
            if let Some(ext) = ext {
                p[0] |= 0x10;
                p.extend_from_slice(&[0xbe, 0xde, 0, ext.len() as u8]);
                for w in &ext {
                    p.extend_from_slice(&w.to_be_bytes());
                }
            }
            p.extend_from_slice(&payload);
            p
        })
}

proptest! {
    #[test]
    fn rtp_round_trip_and_bit_flips(
        profile in arb_profile(),
        seed in any::<u8>(),
        packet in arb_rtp(),
        flip in any::<prop::sample::Index>(),
        bit in 0..8u8,
    ) {
        let exported: Vec<u8> = (0..profile.keying_material_len())
            .map(|i| (i as u8).wrapping_mul(seed | 1).wrapping_add(seed))
            .collect();
        let km = KeyingMaterial::split(&exported, profile, Role::Server).unwrap();
        let mut tx = Context::new(profile, &km.local, Config::default()).unwrap();
        let mut rx = Context::new(profile, &km.local, Config::default()).unwrap();
        let mut buf = packet.clone();
        tx.protect_rtp(&mut buf).unwrap();
        prop_assert_eq!(buf.len(), packet.len() + profile.rtp_tag_len());
        let protected = buf.clone();
        let mut flipped = protected.clone();
        let at = flip.index(flipped.len());
        flipped[at] ^= 1 << bit;
        let result = rx.unprotect_rtp(&mut flipped);
        prop_assert!(result.is_err());
        prop_assert_eq!(rx.ssrc_count(), 0);
        rx.unprotect_rtp(&mut buf).unwrap();
        prop_assert_eq!(&buf, &packet);
        prop_assert_eq!(rx.unprotect_rtp(&mut protected.clone()), Err(Error::Replayed));
    }

    #[test]
    fn rtcp_round_trip_and_bit_flips(
        profile in arb_profile(),
        seed in any::<u8>(),
        ssrc in any::<u32>(),
        body in prop::collection::vec(any::<u8>(), 0..300),
        flip in any::<prop::sample::Index>(),
        bit in 0..8u8,
    ) {
        let exported = vec![seed; profile.keying_material_len()];
        let km = KeyingMaterial::split(&exported, profile, Role::Client).unwrap();
        let mut tx = Context::new(profile, &km.local, Config::default()).unwrap();
        let mut rx = Context::new(profile, &km.local, Config::default()).unwrap();
        let packet = rtcp(ssrc, &body);
        let mut buf = packet.clone();
        tx.protect_rtcp(&mut buf).unwrap();
        prop_assert_eq!(buf.len(), packet.len() + profile.rtcp_overhead());
        let mut flipped = buf.clone();
        let at = flip.index(flipped.len());
        flipped[at] ^= 1 << bit;
        prop_assert!(rx.unprotect_rtcp(&mut flipped).is_err());
        rx.unprotect_rtcp(&mut buf).unwrap();
        prop_assert_eq!(&buf, &packet);
    }

    #[test]
    fn sequences_with_gaps_and_rollovers(
        profile in arb_profile(),
        start in any::<u16>(),
        steps in prop::collection::vec(1..3000u16, 1..60),
    ) {
        let (mut tx, mut rx) = pair(profile, Config::default());
        let mut seq = start;
        let mut index = u64::from(start);
        for step in steps {
            let mut p = rtp(seq, 42, &seq.to_be_bytes());
            tx.protect_rtp(&mut p).unwrap();
            rx.unprotect_rtp(&mut p).unwrap();
            prop_assert_eq!(&p, &rtp(seq, 42, &seq.to_be_bytes()));
            prop_assert_eq!(rx.roc(42), Some((index >> 16) as u32));
            seq = seq.wrapping_add(step);
            index += u64::from(step);
        }
    }
}

/// SRTCP with the E flag clear (RFC 3711 §3.4): authenticated, not encrypted. nutshell never
/// sends it but must accept it.
#[test]
fn aes_cm_rtcp_unencrypted() {
    for profile in [Profile::Aes128CmSha1_80, Profile::Aes128CmSha1_32] {
        let master = MasterKey::new(profile, &[3; 16], &[4; 14]).unwrap();
        let Cipher::Cm(c) = Cipher::derive(profile, &master, true).unwrap() else {
            unreachable!()
        };
        let plain = rtcp(0x0102_0304, b"sender report body");
        let mut packet = plain.clone();
        packet.extend_from_slice(&5u32.to_be_bytes());
        let tag = c.tag(&packet, &[]);
        packet.extend_from_slice(&tag[..10]);
        let mut rx = Context::new(profile, &master, Config::default()).unwrap();
        let mut buf = packet.clone();
        rx.unprotect_rtcp(&mut buf).unwrap();
        assert_eq!(buf, plain);
        assert_eq!(rx.unprotect_rtcp(&mut packet.clone()), Err(Error::Replayed));
        // Setting the E flag without encrypting breaks the tag.
        let at = plain.len();
        packet[at] |= 0x80;
        let mut rx = Context::new(profile, &master, Config::default()).unwrap();
        assert_eq!(
            rx.unprotect_rtcp(&mut packet),
            Err(Error::AuthenticationFailed)
        );
    }
}

#[allow(clippy::too_many_arguments)]
/// The AES-CM transform and HMAC-SHA1 computed the plain way: `ctr` over `aes` from a fresh
/// key, and the `hmac` crate keyed per message.
fn reference_cm(
    key: &[u8; 16],
    salt: &[u8; 14],
    auth: &[u8; 20],
    ssrc: u32,
    index: u64,
    data: &mut [u8],
    clear: usize,
    trailer: &[u8],
) -> [u8; 20] {
    use aes::cipher::{KeyIvInit, StreamCipher};
    use hmac::{KeyInit, Mac};
    let mut iv = [0u8; 16];
    iv[..14].copy_from_slice(salt);
    let iv = u128::from_be_bytes(iv) ^ (u128::from(ssrc) << 64) ^ (u128::from(index) << 16);
    ctr::Ctr128BE::<aes::Aes128>::new(key.into(), &iv.to_be_bytes().into())
        .apply_keystream(&mut data[clear..]);
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(auth).unwrap();
    mac.update(data);
    mac.update(trailer);
    mac.finalize().into_bytes().into()
}

proptest! {
    /// The AES-CM/HMAC-SHA1 transform (precomputed HMAC states, hand-made padding, blocks
    /// hashed straight from the buffer, and the interleaved `seal`) equals the plain
    /// composition, for every length
    /// around the 16- and 64-octet boundaries and past an MTU.
    #[test]
    fn aes_cm_matches_reference(
        key in any::<[u8; 16]>(),
        salt in any::<[u8; 14]>(),
        auth in any::<[u8; 20]>(),
        ssrc in any::<u32>(),
        index in 0..1u64 << 48,
        data in prop::collection::vec(any::<u8>(), 0..1500),
        clear in 0..80usize,
        trailer in prop::collection::vec(any::<u8>(), 0..=4),
        flip in any::<prop::sample::Index>(),
        bit in 0..8u8,
    ) {
        let c = CmCipher::new(&key, salt, &auth).unwrap();
        let clear = clear.min(data.len());
        let mut expected = data.clone();
        let expected_tag = reference_cm(&key, &salt, &auth, ssrc, index, &mut expected, clear, &trailer);
        let mut ours = data.clone();
        c.apply_keystream(ssrc, index, &mut ours[clear..]);
        let tag = c.tag(&ours, &trailer);
        prop_assert_eq!(&ours, &expected);
        prop_assert_eq!(tag, expected_tag);
        // The interleaved path: 64-octet chunks against blocks offset by `clear`.
        let mut sealed = data.clone();
        prop_assert_eq!(c.seal(ssrc, index, &mut sealed, clear, &trailer), expected_tag);
        prop_assert_eq!(&sealed, &expected);
        // The interleaved open: a bad tag leaves the ciphertext, a good one decrypts.
        let mut opened = sealed.clone();
        let mut bad = expected_tag;
        bad[flip.index(10)] ^= 1 << bit;
        prop_assert_eq!(
            c.open(ssrc, index, &mut opened, clear, &trailer, &bad[..10]),
            Err(Error::AuthenticationFailed)
        );
        prop_assert_eq!(&opened, &sealed);
        prop_assert_eq!(c.open(ssrc, index, &mut opened, clear, &trailer, &expected_tag[..10]), Ok(()));
        prop_assert_eq!(&opened, &data);
        prop_assert_eq!(c.verify(&ours, &trailer, &tag[..10]), Ok(()));
        prop_assert_eq!(c.verify(&ours, &trailer, &tag[..4]), Ok(()));
        prop_assert_eq!(c.verify(&ours, &trailer, &bad[..10]), Err(Error::AuthenticationFailed));
        if !ours.is_empty() {
            let at = flip.index(ours.len());
            ours[at] ^= 1 << bit;
            prop_assert_eq!(c.verify(&ours, &trailer, &tag), Err(Error::AuthenticationFailed));
        }
    }

    /// A flipped bit fails `unprotect_rtp` of the AES-CM profiles and leaves the buffer as it
    /// was (what was decrypted while hashing is encrypted again).
    #[test]
    fn aes_cm_bit_flip_leaves_buffer(
        sha1_32 in any::<bool>(),
        payload in prop::collection::vec(any::<u8>(), 0..1500),
        seq in any::<u16>(),
        flip in any::<prop::sample::Index>(),
        bit in 0..8u8,
    ) {
        let profile = if sha1_32 { Profile::Aes128CmSha1_32 } else { Profile::Aes128CmSha1_80 };
        let (mut tx, mut rx) = pair(profile, Config::default());
        let mut buf = rtp(seq, 7, &payload);
        tx.protect_rtp(&mut buf).unwrap();
        let at = flip.index(buf.len());
        buf[at] ^= 1 << bit;
        let flipped = buf.clone();
        prop_assert!(rx.unprotect_rtp(&mut buf).is_err());
        prop_assert_eq!(&buf, &flipped);
        buf[at] ^= 1 << bit;
        rx.unprotect_rtp(&mut buf).unwrap();
        prop_assert_eq!(buf, rtp(seq, 7, &payload));
    }
}
