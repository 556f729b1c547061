//! Bounded reassembly of handshake fragments into messages (RFC 6347 §4.2.3), and
//! fragmentation of outgoing messages to fit the MTU.

use crate::Error;
use crate::message::{Fragment, HANDSHAKE_HEADER_LEN, HandshakeHeader};

/// A handshake message put back together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembled {
    /// Message type.
    pub msg_type: u8,
    /// message_seq.
    pub message_seq: u16,
    /// Epoch of the records that carried it (all fragments must agree).
    pub epoch: u16,
    /// The body.
    pub body: Vec<u8>,
}

#[derive(Debug)]
struct Slot {
    msg_type: u8,
    seq: u16,
    epoch: u16,
    data: Vec<u8>,
    /// Disjoint, sorted, non-adjacent received ranges.
    ranges: Vec<(usize, usize)>,
}

impl Slot {
    fn complete(&self) -> bool {
        match self.ranges.as_slice() {
            [] => self.data.is_empty(),
            [(0, e)] => *e == self.data.len(),
            _ => false,
        }
    }

    fn add_range(&mut self, start: usize, end: usize) {
        let mut s = start;
        let mut e = end;
        self.ranges.retain(|&(a, b)| {
            if b < s || a > e {
                true
            } else {
                s = s.min(a);
                e = e.max(b);
                false
            }
        });
        let pos = self.ranges.partition_point(|&(a, _)| a < s);
        self.ranges.insert(pos, (s, e));
    }
}

/// Buffers fragments of the next few handshake messages until each is whole.
///
/// Bounds: a message may be at most `max_message` bytes; at most [`Reassembler::WINDOW`]
/// messages ahead of the next expected one are buffered, each with at most
/// [`Reassembler::MAX_RANGES`] disjoint pieces; fragments beyond these are dropped.
#[derive(Debug)]
pub struct Reassembler {
    max_message: usize,
    slots: Vec<Slot>,
}

impl Reassembler {
    /// How many messages ahead of the expected one are buffered.
    pub const WINDOW: u16 = 16;
    /// How many disjoint pieces one message may be in while incomplete.
    pub const MAX_RANGES: usize = 64;

    /// A reassembler accepting messages up to `max_message` bytes.
    pub fn new(max_message: usize) -> Self {
        Reassembler {
            max_message,
            slots: Vec::new(),
        }
    }

    /// Adds a fragment received in `epoch`, when `next_seq` is the next message expected.
    /// Fragments of older messages and of messages too far ahead are ignored (`Ok`).
    ///
    /// Errors: [`Error::MessageTooLarge`] for a message over the limit, [`Error::BadFragment`]
    /// for a fragment whose type, length or epoch disagrees with earlier fragments of the same
    /// message.
    pub fn insert(&mut self, next_seq: u16, epoch: u16, frag: &Fragment<'_>) -> Result<(), Error> {
        let h = &frag.header;
        let length = h.length as usize;
        if length > self.max_message {
            return Err(Error::MessageTooLarge {
                length,
                max: self.max_message,
            });
        }
        if h.message_seq < next_seq || h.message_seq - next_seq >= Self::WINDOW {
            return Ok(());
        }
        let idx = match self.slots.iter().position(|s| s.seq == h.message_seq) {
            Some(i) => i,
            None => {
                self.slots.push(Slot {
                    msg_type: h.msg_type,
                    seq: h.message_seq,
                    epoch,
                    data: vec![0; length],
                    ranges: Vec::new(),
                });
                self.slots.len() - 1
            }
        };
        let Some(slot) = self.slots.get_mut(idx) else {
            return Ok(());
        };
        if slot.msg_type != h.msg_type || slot.data.len() != length || slot.epoch != epoch {
            return Err(Error::BadFragment);
        }
        let start = h.fragment_offset as usize;
        let end = start + frag.body.len();
        let Some(dst) = slot.data.get_mut(start..end) else {
            return Err(Error::BadFragment);
        };
        if slot.ranges.len() >= Self::MAX_RANGES {
            return Ok(());
        }
        dst.copy_from_slice(frag.body);
        if end > start || length == 0 {
            slot.add_range(start, end);
        }
        Ok(())
    }

    /// Takes message `seq` if it is complete.
    pub fn take(&mut self, seq: u16) -> Option<Reassembled> {
        let idx = self
            .slots
            .iter()
            .position(|s| s.seq == seq && s.complete())?;
        let s = self.slots.swap_remove(idx);
        Some(Reassembled {
            msg_type: s.msg_type,
            message_seq: s.seq,
            epoch: s.epoch,
            body: s.data,
        })
    }

    /// Forgets slots for messages before `next_seq`.
    pub fn discard_before(&mut self, next_seq: u16) {
        self.slots.retain(|s| s.seq >= next_seq);
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.slots.clear();
    }
}

/// Appends the handshake message `(msg_type, seq, body)` as fragments of at most
/// `max_fragment` body bytes, calling `emit(fragment bytes)` for each (header included).
/// A message with an empty body yields one empty fragment.
pub fn fragments(
    msg_type: u8,
    message_seq: u16,
    body: &[u8],
    max_fragment: usize,
    mut emit: impl FnMut(&[u8]),
) {
    let max = max_fragment.max(1);
    let mut buf = Vec::with_capacity(HANDSHAKE_HEADER_LEN + max.min(body.len()));
    let mut off = 0;
    loop {
        let chunk = body
            .get(off..(off + max).min(body.len()))
            .unwrap_or_default();
        buf.clear();
        HandshakeHeader {
            msg_type,
            length: body.len() as u32,
            message_seq,
            fragment_offset: off as u32,
            fragment_length: chunk.len() as u32,
        }
        .write(&mut buf);
        buf.extend_from_slice(chunk);
        emit(&buf);
        off += chunk.len();
        if off >= body.len() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frags(body: &[u8], max: usize) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        fragments(1, 3, body, max, |f| v.push(f.to_vec()));
        v
    }

    #[test]
    fn reassembles_out_of_order_with_overlap_and_duplicates() {
        let body: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut fs = frags(&body, 300);
        assert_eq!(fs.len(), 4);
        // An overlapping piece.
        let mut overlap = Vec::new();
        HandshakeHeader {
            msg_type: 1,
            length: 1000,
            message_seq: 3,
            fragment_offset: 250,
            fragment_length: 100,
        }
        .write(&mut overlap);
        overlap.extend_from_slice(&body[250..350]);
        fs.insert(0, overlap);
        fs.reverse();
        let dup = fs[1].clone();
        fs.push(dup);
        let mut r = Reassembler::new(2000);
        for (i, f) in fs.iter().enumerate() {
            let (frag, _) = Fragment::parse(f).unwrap();
            r.insert(3, 0, &frag).unwrap();
            if i < 3 {
                assert!(r.take(3).is_none(), "complete too early at {i}");
            }
        }
        let m = r.take(3).unwrap();
        assert_eq!(m.body, body);
        assert_eq!(m.msg_type, 1);
    }

    #[test]
    fn limits_and_inconsistency() {
        let body = [1u8; 100];
        let fs = frags(&body, 60);
        let mut r = Reassembler::new(50);
        let (f, _) = Fragment::parse(&fs[0]).unwrap();
        assert_eq!(
            r.insert(3, 0, &f).unwrap_err(),
            Error::MessageTooLarge {
                length: 100,
                max: 50
            }
        );
        let mut r = Reassembler::new(1000);
        r.insert(3, 0, &f).unwrap();
        // Same seq, other epoch.
        let (f2, _) = Fragment::parse(&fs[1]).unwrap();
        assert_eq!(r.insert(3, 1, &f2).unwrap_err(), Error::BadFragment);
        // Old and far-future messages are ignored.
        r.insert(4, 0, &f2).unwrap();
        r.insert(3, 0, &f2).unwrap();
        assert_eq!(r.take(3).unwrap().body, body);
    }

    #[test]
    fn empty_message() {
        let fs = frags(&[], 100);
        assert_eq!(fs.len(), 1);
        let mut r = Reassembler::new(10);
        let (f, _) = Fragment::parse(&fs[0]).unwrap();
        r.insert(3, 0, &f).unwrap();
        assert_eq!(r.take(3).unwrap().body, Vec::<u8>::new());
    }

    proptest::proptest! {
        /// Any split into pieces, delivered in any order with duplicates, reassembles to the
        /// original message.
        #[test]
        fn any_fragmentation_reassembles(
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..3000),
            max in 1usize..700,
            order in proptest::collection::vec(proptest::num::usize::ANY, 1..40),
        ) {
            let fs = frags(&body, max);
            let mut r = Reassembler::new(4000);
            // Deliver in a scrambled order with repeats, then everything once more.
            for i in order.iter().map(|i| i % fs.len()).chain(0..fs.len()) {
                let (f, _) = Fragment::parse(&fs[i]).unwrap();
                r.insert(3, 0, &f).unwrap();
            }
            let m = r.take(3).unwrap();
            proptest::prop_assert_eq!(m.body, body);
        }

        /// Parsers never panic on arbitrary bytes.
        #[test]
        fn parsers_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            for rec in crate::record::Record::iter(&data) {
                let _ = rec;
            }
            let _ = Fragment::parse_all(&data);
            let _ = crate::message::ClientHello::parse(&data);
            let _ = crate::message::ServerHello::parse(&data);
            let _ = crate::message::CertificateMsg::parse(&data);
            let _ = crate::message::ServerKeyExchange::parse(&data);
            let _ = crate::message::CertificateRequest::parse(&data);
            let _ = crate::message::HelloVerifyRequest::parse(&data);
            let _ = crate::message::HelloExtensions::parse(&data);
            let mut r = Reassembler::new(1000);
            if let Ok(fs) = Fragment::parse_all(&data) {
                for f in fs {
                    let _ = r.insert(0, 0, &f);
                }
            }
        }
    }
}
