//! Arbitrary datagrams into the DTLS record layer and the AEAD record ciphers.
//!
//! Oracles: every record that parses re-writes (through `write_record`) to bytes that parse to
//! the same record, and the records of a datagram account for all of its bytes up to the
//! first error; opening any fragment under every cipher suite fails cleanly (random bytes
//! never authenticate) and never panics; sealing the fragment as plaintext with the record's
//! header fields, framing it and parsing it back opens to the same plaintext, while flipping
//! one byte (chosen by the input) makes it fail; the replay window rejects what it has
//! marked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nutshell_dtls::crypto::{CipherSuite, CryptoError, key_block};
use nutshell_dtls::record::{ContentType, MAX_SEQUENCE, Record, ReplayWindow, write_record};

const MASTER: [u8; 48] = [0x42; 48];
const CLIENT_RANDOM: [u8; 32] = [1; 32];
const SERVER_RANDOM: [u8; 32] = [2; 32];

fuzz_target!(|data: &[u8]| {
    let blocks: Vec<_> = CipherSuite::ALL
        .iter()
        .map(|s| key_block(*s, &MASTER, &CLIENT_RANDOM, &SERVER_RANDOM).expect("fixed keys"))
        .collect();
    let mut window = ReplayWindow::new();
    let mut consumed = 0usize;
    for rec in Record::iter(data) {
        let Ok(rec) = rec else {
            break;
        };
        consumed += 13 + rec.fragment.len();

        // Re-write and re-parse.
        let mut out = Vec::new();
        write_record(
            &mut out,
            rec.content_type,
            rec.version,
            rec.epoch,
            rec.sequence,
            rec.fragment,
        )
        .expect("a parsed record re-writes");
        let (again, rest) = Record::parse(&out).expect("a written record parses");
        assert_eq!(again, rec);
        assert!(rest.is_empty());

        // Replay window: a marked sequence number is never accepted again.
        let seq = rec.sequence;
        if window.check(seq) {
            window.mark(seq);
        }
        assert!(!window.check(seq));

        let ty = rec.content_type.to_u8();
        for block in &blocks {
            let cipher = &block.server_write;
            // Arbitrary ciphertext does not authenticate and does not panic.
            let mut frag = rec.fragment.to_vec();
            match cipher.open(rec.epoch, seq, ty, rec.version, &mut frag) {
                Err(CryptoError::Truncated | CryptoError::Decrypt) => {}
                other => panic!("random fragment opened: {other:?}"),
            }

            // Seal the fragment as plaintext, frame it, parse it, open it.
            if rec.fragment.len() > 1 << 14 {
                continue;
            }
            let mut sealed = Vec::new();
            sealed.extend_from_slice(rec.fragment);
            cipher
                .seal(rec.epoch, seq, ty, rec.version, &mut sealed, 0)
                .expect("plaintext within limits seals");
            assert_eq!(sealed.len(), rec.fragment.len() + cipher.overhead());
            let mut framed = Vec::new();
            write_record(
                &mut framed,
                ContentType::from_u8(ty),
                rec.version,
                rec.epoch,
                seq,
                &sealed,
            )
            .expect("a sealed record frames");
            let (parsed, _) = Record::parse(&framed).expect("a framed record parses");
            assert!(parsed.sequence <= MAX_SEQUENCE);
            let mut frag = parsed.fragment.to_vec();
            let range = cipher
                .open(parsed.epoch, parsed.sequence, ty, parsed.version, &mut frag)
                .expect("our own record opens");
            assert_eq!(frag.get(range), Some(rec.fragment));
            // The client's key cannot open the server's record.
            let mut frag = parsed.fragment.to_vec();
            assert_eq!(
                block.client_write.open(
                    parsed.epoch,
                    parsed.sequence,
                    ty,
                    parsed.version,
                    &mut frag
                ),
                Err(CryptoError::Decrypt)
            );
            // One flipped bit anywhere fails authentication.
            let mut frag = parsed.fragment.to_vec();
            let at = usize::from(rec.fragment.first().copied().unwrap_or(0)) % frag.len();
            frag[at] ^= 0x01;
            assert_eq!(
                cipher.open(parsed.epoch, parsed.sequence, ty, parsed.version, &mut frag),
                Err(CryptoError::Decrypt)
            );
        }
    }
    assert!(consumed <= data.len());
});
