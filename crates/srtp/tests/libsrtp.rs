//! Differential test against libsrtp (through PyPI's `pylibsrtp`, which bundles libsrtp 2):
//! for every profile, libsrtp protects packets that nutshell must unprotect to the original
//! bytes, and nutshell protects packets that libsrtp must unprotect; SRTP output must be
//! byte-identical. The traffic crosses a rollover of the 16-bit sequence number (ROC 0 -> 1),
//! interleaves SSRCs and RTCP, and is delivered reordered, with replays, with a packet older
//! than the replay window and with tampered packets, which both implementations must refuse.
//!
//! Needs `python3` with `pylibsrtp` (`pip install pylibsrtp`); fails, does not skip, without
//! them. Set `PYTHON` to use another interpreter.

use std::io::Write;
use std::process::{Command, Stdio};

use nutshell_srtp::{Config, Context, Error, MasterKey, Profile};

const ORACLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/libsrtp/oracle.py");

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn libsrtp_name(profile: Profile) -> &'static str {
    match profile {
        Profile::Aes128CmSha1_80 => "AES128_CM_SHA1_80",
        Profile::Aes128CmSha1_32 => "AES128_CM_SHA1_32",
        Profile::AeadAes128Gcm => "AEAD_AES_128_GCM",
        Profile::AeadAes256Gcm => "AEAD_AES_256_GCM",
        _ => unreachable!("new profile: add it to the oracle"),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Rtp,
    Rtcp,
}

struct Job {
    profile: Profile,
    master: MasterKey,
    outbound: bool,
    ops: Vec<(Kind, Vec<u8>)>,
}

/// Runs the jobs through libsrtp; one result per op.
fn libsrtp(jobs: &[Job]) -> Vec<Vec<Result<Vec<u8>, String>>> {
    let mut input = String::new();
    for job in jobs {
        let key = [job.master.key(), job.master.salt()].concat();
        let dir = if job.outbound { "outbound" } else { "inbound" };
        input += &format!(
            "job {} {} {dir} 1024\n",
            libsrtp_name(job.profile),
            hex(&key)
        );
        for (kind, data) in &job.ops {
            let op = match (job.outbound, kind) {
                (true, Kind::Rtp) => "protect",
                (true, Kind::Rtcp) => "protect_rtcp",
                (false, Kind::Rtp) => "unprotect",
                (false, Kind::Rtcp) => "unprotect_rtcp",
            };
            input += &format!("{op} {}\n", hex(data));
        }
        input += "end\n";
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(&python)
        .arg(ORACLE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("the libsrtp differential test needs {python} with pylibsrtp: {e}")
        });
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();
    assert!(
        out.status.success(),
        "the libsrtp oracle failed ({}); it needs python3 with pylibsrtp \
         (`pip install pylibsrtp`):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    written.unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut results = vec![Vec::new()];
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("ok", h)) => results.last_mut().unwrap().push(Ok(unhex(h))),
            Some(("err", e)) => results.last_mut().unwrap().push(Err(e.to_string())),
            None if line == "ok" => results.last_mut().unwrap().push(Ok(Vec::new())),
            None if line == "end" => results.push(Vec::new()),
            _ => panic!("unexpected oracle output {line:?}"),
        }
    }
    results.pop();
    assert_eq!(results.len(), jobs.len());
    for (r, j) in results.iter().zip(jobs) {
        assert_eq!(r.len(), j.ops.len());
    }
    results
}

fn rtp(seq: u16, ssrc: u32, n: usize) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    match seq % 4 {
        // Two CSRCs.
        1 => {
            p[0] |= 2;
            p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]);
        }
        // A one-byte header extension (abs-send-time and transport-cc, RFC 8285).
        2 => {
            p[0] |= 0x10;
            p.extend_from_slice(&[0xbe, 0xde, 0, 2, 0x22, 1, 2, 3, 0x31, 4, 5, 0]);
        }
        _ => {}
    }
    p.extend((0..n).map(|i| (i as u8) ^ (seq as u8)));
    p
}

fn rtcp(ssrc: u32, n: u8) -> Vec<u8> {
    // A receiver report with one report block, padded with a fake SDES-ish tail.
    let mut p = vec![0x81, 201, 0, 7];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..24).map(|i| i ^ n));
    p
}

/// What both implementations send, in order, and the order it is delivered in.
struct Traffic {
    sent: Vec<(Kind, Vec<u8>)>,
    /// Indices into `sent`; a repeated index is a replay.
    delivery: Vec<usize>,
    /// Deliveries that must be refused as too old (not replays of anything still in the window).
    too_old: Vec<usize>,
}

fn traffic() -> Traffic {
    const A: u32 = 0x1122_3344;
    const B: u32 = 0xcafe_0001;
    const C: u32 = 0x0bad_cafe;
    let mut sent = Vec::new();
    // SSRC A crosses the rollover; SSRC B is interleaved; RTCP for both now and then.
    let mut seq = 65_500u16;
    for i in 0..80usize {
        sent.push((Kind::Rtp, rtp(seq, A, [0, 1, 17, 160, 1200][i % 5])));
        seq = seq.wrapping_add(1);
        if i % 3 == 0 {
            sent.push((Kind::Rtp, rtp(1000 + i as u16, B, 40)));
        }
        if i % 10 == 0 {
            sent.push((Kind::Rtcp, rtcp(A, i as u8)));
            sent.push((Kind::Rtcp, rtcp(B, i as u8)));
        }
    }
    // SSRC C: more packets than the replay window holds.
    let c_first = sent.len();
    for s in 0..1100u16 {
        sent.push((Kind::Rtp, rtp(30_000 + s, C, 8)));
    }
    // Delivery: swap neighbours in blocks of 3 (reordering, also across the rollover), replay
    // every 7th packet a few packets later, and finally C's first packet once it has left the
    // window.
    let mut delivery = Vec::new();
    let a_end = c_first;
    let mut i = 0;
    while i < a_end {
        let block: Vec<usize> = (i..(i + 3).min(a_end)).collect();
        delivery.extend(block.iter().rev());
        if i >= 7 && i % 7 == 0 {
            delivery.push(i - 5);
        }
        i += 3;
    }
    delivery.extend(c_first + 1..sent.len());
    let too_old = vec![c_first];
    Traffic {
        sent,
        delivery,
        too_old,
    }
}

/// Packets (of `traffic().sent`) sent again with a flipped bit: an RTP and an RTCP one.
const TAMPERED: [usize; 2] = [5, 2];

fn master(profile: Profile) -> MasterKey {
    let key: Vec<u8> = (0..profile.master_key_len())
        .map(|i| (i * 29 + 3) as u8)
        .collect();
    let salt: Vec<u8> = (0..profile.master_salt_len())
        .map(|i| (i * 7 + 0x51) as u8)
        .collect();
    MasterKey::new(profile, &key, &salt).unwrap()
}

fn ours(ctx: &mut Context, kind: Kind, protect: bool, data: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = data.to_vec();
    match (kind, protect) {
        (Kind::Rtp, true) => ctx.protect_rtp(&mut buf),
        (Kind::Rtp, false) => ctx.unprotect_rtp(&mut buf),
        (Kind::Rtcp, true) => ctx.protect_rtcp(&mut buf),
        (Kind::Rtcp, false) => ctx.unprotect_rtcp(&mut buf),
    }
    .map(|()| buf)
}

#[test]
fn differential_against_libsrtp() {
    let traffic = traffic();
    let mut jobs = Vec::new();
    let mut ours_protected = Vec::new();
    for profile in Profile::ALL {
        // libsrtp protects everything in send order.
        jobs.push(Job {
            profile,
            master: master(profile),
            outbound: true,
            ops: traffic.sent.clone(),
        });
        // nutshell protects the same.
        let mut tx = Context::new(profile, &master(profile), Config::default()).unwrap();
        let mut protected: Vec<(Kind, Vec<u8>)> = traffic
            .sent
            .iter()
            .map(|(kind, p)| (*kind, ours(&mut tx, *kind, true, p).unwrap()))
            .collect();
        // ... and libsrtp unprotects nutshell's in delivery order, with replays and an old one,
        let mut ops: Vec<(Kind, Vec<u8>)> = traffic
            .delivery
            .iter()
            .map(|&i| protected[i].clone())
            .collect();
        ops.extend(traffic.too_old.iter().map(|&i| protected[i].clone()));
        jobs.push(Job {
            profile,
            master: master(profile),
            outbound: false,
            ops,
        });
        // and, in a fresh session, two tampered packets (an RTP and an RTCP one).
        let ops = TAMPERED
            .iter()
            .map(|&i| {
                let (kind, mut p) = protected[i].clone();
                let at = p.len() - 1 - i;
                p[at] ^= 0x40;
                (kind, p)
            })
            .collect();
        jobs.push(Job {
            profile,
            master: master(profile),
            outbound: false,
            ops,
        });
        ours_protected.push(std::mem::take(&mut protected));
    }
    let results = libsrtp(&jobs);

    for (n, profile) in Profile::ALL.into_iter().enumerate() {
        let theirs_protected = &results[3 * n];
        let theirs_unprotected = &results[3 * n + 1];
        let theirs_tampered = &results[3 * n + 2];
        let mine = &ours_protected[n];

        // 1. Same protected bytes: SRTP exactly; SRTCP up to the index (libsrtp's first SRTCP
        //    index is 1, RFC 3711 §3.4 and nutshell start at 0), so only its length.
        for (i, ((kind, p), theirs)) in mine.iter().zip(theirs_protected).enumerate() {
            let theirs = theirs
                .as_ref()
                .unwrap_or_else(|e| panic!("{profile}: libsrtp protect {i}: {e}"));
            match kind {
                Kind::Rtp => assert_eq!(hex(p), hex(theirs), "{profile}: SRTP packet {i} differs"),
                Kind::Rtcp => assert_eq!(p.len(), theirs.len(), "{profile}: SRTCP packet {i}"),
            }
        }

        // 2. nutshell unprotects libsrtp's packets in delivery order.
        let mut rx = Context::new(profile, &master(profile), Config::default()).unwrap();
        let mut seen = std::collections::HashSet::new();
        for &i in &traffic.delivery {
            let (kind, plain) = &traffic.sent[i];
            let theirs = theirs_protected[i].as_ref().unwrap();
            let got = ours(&mut rx, *kind, false, theirs);
            if seen.insert(i) {
                assert_eq!(
                    got.as_deref(),
                    Ok(&plain[..]),
                    "{profile}: unprotect of libsrtp's {i}"
                );
            } else {
                assert_eq!(
                    got,
                    Err(Error::Replayed),
                    "{profile}: replay of libsrtp's {i}"
                );
            }
        }
        for &i in &traffic.too_old {
            let got = ours(
                &mut rx,
                Kind::Rtp,
                false,
                theirs_protected[i].as_ref().unwrap(),
            );
            assert_eq!(got, Err(Error::TooOld), "{profile}: old packet {i}");
        }
        for &i in &TAMPERED {
            let (kind, _) = &traffic.sent[i];
            let mut p = theirs_protected[i].clone().unwrap();
            let at = p.len() - 1 - i;
            p[at] ^= 0x40;
            let got = ours(
                &mut Context::new(profile, &master(profile), Config::default()).unwrap(),
                *kind,
                false,
                &p,
            );
            assert_eq!(
                got,
                Err(Error::AuthenticationFailed),
                "{profile}: tampered {i}"
            );
        }
        assert_eq!(rx.roc(0x1122_3344), Some(1));

        // 3. libsrtp unprotects nutshell's packets in the same order.
        let mut seen = std::collections::HashSet::new();
        let mut results = theirs_unprotected.iter();
        for &i in &traffic.delivery {
            let got = results.next().unwrap();
            if seen.insert(i) {
                assert_eq!(
                    got.as_ref().map(|p| hex(p)),
                    Ok(hex(&traffic.sent[i].1)),
                    "{profile}: libsrtp unprotect of nutshell's {i}"
                );
            } else {
                let e = got.as_ref().expect_err("libsrtp accepted a replay");
                assert!(
                    e.contains("replay"),
                    "{profile}: libsrtp said {e} for replay {i}"
                );
            }
        }
        for &i in &traffic.too_old {
            let e = results
                .next()
                .unwrap()
                .as_ref()
                .expect_err("libsrtp accepted an old packet");
            assert!(
                e.contains("replay"),
                "{profile}: libsrtp said {e} for old packet {i}"
            );
        }
        for (i, got) in TAMPERED.iter().zip(theirs_tampered) {
            let e = got
                .as_ref()
                .expect_err("libsrtp accepted a tampered packet");
            assert!(
                e.contains("auth"),
                "{profile}: libsrtp said {e} for tampered {i}"
            );
        }
    }
}
