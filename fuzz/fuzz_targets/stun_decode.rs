//! Arbitrary bytes into the STUN decoder, with and without a key.
//!
//! The first byte picks the mode: bit 0 set means the next byte gives a key length and that
//! many bytes are the short-term password; the rest is the message. Whatever decodes must
//! verify without panicking, and its counted attributes, re-encoded by our encoder (and signed
//! with the key, with a FINGERPRINT), must decode and verify to the same attributes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nutshell_stun::{Attribute, Encoder, Key, Message};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (key, input) = if mode & 1 == 1 {
        let Some((&n, rest)) = rest.split_first() else {
            return;
        };
        let n = usize::from(n % 32).min(rest.len());
        let (password, input) = rest.split_at(n);
        (Some(Key::from_bytes(password)), input)
    } else {
        (None, rest)
    };
    let _ = nutshell_stun::is_stun(input);
    let _ = nutshell_stun::frame_len(input);
    let Ok(msg) = Message::decode(input) else {
        return;
    };
    let _ = msg.unknown_required().count();
    if let Some(key) = &key {
        let _ = msg.verify(key);
    }
    let Ok(attrs) = msg
        .typed()
        .filter(|a| {
            !matches!(
                a,
                Ok(Attribute::MessageIntegrity(_)
                    | Attribute::MessageIntegritySha256(_)
                    | Attribute::Fingerprint(_))
            )
        })
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, msg.typ(), msg.transaction_id());
    for a in &attrs {
        enc.add(a).expect("a decoded attribute re-encodes");
    }
    if let Some(key) = &key {
        enc.add_integrity(key);
    }
    enc.add_fingerprint();
    enc.finish();
    let again = Message::decode(&out).expect("our own output decodes");
    if let Some(key) = &key {
        again.verify(key).expect("our own integrity verifies");
    }
    let attrs2: Vec<_> = again
        .typed()
        .map(|a| a.expect("our own attributes decode"))
        .filter(|a| {
            !matches!(
                a,
                Attribute::MessageIntegrity(_)
                    | Attribute::MessageIntegritySha256(_)
                    | Attribute::Fingerprint(_)
            )
        })
        .collect();
    assert_eq!(attrs, attrs2);
});
