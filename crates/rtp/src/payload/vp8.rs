//! VP8 over RTP (RFC 7741).
//!
//! Every RTP payload starts with a VP8 payload descriptor (RFC 7741 §4.2):
//!
//! ```text
//!       0 1 2 3 4 5 6 7
//!      +-+-+-+-+-+-+-+-+
//!      |X|R|N|S|R| PID | (required)
//!      +-+-+-+-+-+-+-+-+
//! X:   |I|L|T|K| RSV   | (optional)
//!      +-+-+-+-+-+-+-+-+
//! I:   |M| PictureID   | (optional, second byte if M)
//!      +-+-+-+-+-+-+-+-+
//! L:   |   TL0PICIDX   | (optional)
//!      +-+-+-+-+-+-+-+-+
//! T/K: |TID|Y| KEYIDX  | (optional)
//!      +-+-+-+-+-+-+-+-+
//! ```
//!
//! [`Vp8Descriptor::parse`] reads it as a borrowed view and hands out the media bytes after
//! it; [`Vp8Packetizer`] splits an encoded frame into payloads that each fit an MTU.
//!
//! ```
//! use nutshell_rtp::payload::vp8::{Vp8Descriptor, Vp8Packetizer};
//! # fn main() -> Result<(), nutshell_rtp::payload::Error> {
//! let frame = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01];
//! let mut packetizer = Vp8Packetizer::new(7, 0x1234);
//! let mut payloads = Vec::new();
//! packetizer.packetize(&frame, &mut payloads)?;
//! assert_eq!(payloads.len(), 3);
//!
//! let mut reassembled = Vec::new();
//! for (i, p) in payloads.iter().enumerate() {
//!     let d = Vp8Descriptor::parse(p)?;
//!     assert_eq!(d.starts_frame(), i == 0);
//!     assert_eq!(d.picture_id.map(|id| id.value()), Some(0x1234));
//!     reassembled.extend_from_slice(d.payload);
//! }
//! assert_eq!(reassembled, frame);
//! assert!(Vp8Descriptor::parse(&payloads[0])?.is_key_frame());
//! # Ok(()) }
//! ```

use super::Error;

/// Bytes of the descriptor [`Vp8Packetizer`] writes: the required byte, the extension byte
/// and a 15-bit PictureID.
pub const PACKETIZER_DESCRIPTOR_LEN: usize = 4;

const X: u8 = 0x80;
const N: u8 = 0x20;
const S: u8 = 0x10;
const PID_MASK: u8 = 0x07;
const I: u8 = 0x80;
const L: u8 = 0x40;
const T: u8 = 0x20;
const K: u8 = 0x10;
const M: u8 = 0x80;

/// A PictureID as it was on the wire (RFC 7741 §4.2, M bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureId {
    /// M = 0: a 7-bit PictureID.
    Short(u8),
    /// M = 1: a 15-bit PictureID.
    Long(u16),
}

impl PictureId {
    /// The PictureID's value, whichever its width.
    pub fn value(self) -> u16 {
        match self {
            PictureId::Short(v) => u16::from(v),
            PictureId::Long(v) => v,
        }
    }
}

/// A parsed VP8 payload descriptor (RFC 7741 §4.2) and the media bytes that follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vp8Descriptor<'a> {
    /// N: the frame is not used as a reference by other frames.
    pub non_reference: bool,
    /// S: this payload starts a VP8 partition.
    pub start_of_partition: bool,
    /// PID: the index (0..=7) of the partition this payload belongs to.
    pub partition_index: u8,
    /// PictureID, present when the I bit is set.
    pub picture_id: Option<PictureId>,
    /// TL0PICIDX, present when the L bit is set.
    pub tl0_pic_idx: Option<u8>,
    /// TID (0..=3), present when the T bit is set.
    pub tid: Option<u8>,
    /// Y (layer sync), present with TID.
    pub layer_sync: Option<bool>,
    /// KEYIDX (0..=31), present when the K bit is set.
    pub key_idx: Option<u8>,
    /// The VP8 bytes after the descriptor; never empty.
    pub payload: &'a [u8],
}

/// Reads one byte or fails with [`Error::Truncated`].
fn take(rest: &mut &[u8]) -> Result<u8, Error> {
    let (&b, tail) = rest.split_first().ok_or(Error::Truncated)?;
    *rest = tail;
    Ok(b)
}

impl<'a> Vp8Descriptor<'a> {
    /// Parses the descriptor at the start of an RTP payload.
    ///
    /// Reserved bits are ignored, as RFC 7741 §4.2 asks of receivers.
    ///
    /// # Errors
    /// [`Error::Truncated`] if the payload ends inside the descriptor or has no media after
    /// it; [`Error::BadDescriptor`] if L is set without T (RFC 7741 §4.2).
    pub fn parse(payload: &'a [u8]) -> Result<Self, Error> {
        let mut rest = payload;
        let first = take(&mut rest)?;
        let mut d = Vp8Descriptor {
            non_reference: first & N != 0,
            start_of_partition: first & S != 0,
            partition_index: first & PID_MASK,
            picture_id: None,
            tl0_pic_idx: None,
            tid: None,
            layer_sync: None,
            key_idx: None,
            payload: &[],
        };
        if first & X != 0 {
            let ext = take(&mut rest)?;
            if ext & L != 0 && ext & T == 0 {
                return Err(Error::BadDescriptor("L set without T"));
            }
            if ext & I != 0 {
                let b = take(&mut rest)?;
                d.picture_id = Some(if b & M != 0 {
                    let low = take(&mut rest)?;
                    PictureId::Long(u16::from(b & !M) << 8 | u16::from(low))
                } else {
                    PictureId::Short(b)
                });
            }
            if ext & L != 0 {
                d.tl0_pic_idx = Some(take(&mut rest)?);
            }
            if ext & (T | K) != 0 {
                let b = take(&mut rest)?;
                if ext & T != 0 {
                    d.tid = Some(b >> 6);
                    d.layer_sync = Some(b & 0x20 != 0);
                }
                if ext & K != 0 {
                    d.key_idx = Some(b & 0x1f);
                }
            }
        }
        if rest.is_empty() {
            return Err(Error::Truncated);
        }
        d.payload = rest;
        Ok(d)
    }

    /// The descriptor's length in bytes.
    pub fn descriptor_len(&self, packet: &[u8]) -> usize {
        packet.len().saturating_sub(self.payload.len())
    }

    /// Whether this payload starts a VP8 frame: S = 1 and PID = 0 (RFC 7741 §4.2).
    pub fn starts_frame(&self) -> bool {
        self.start_of_partition && self.partition_index == 0
    }

    /// Whether this payload starts a key frame: it starts a frame and the P bit of the VP8
    /// payload header (RFC 7741 §4.3) is 0. Always `false` for payloads that do not start a
    /// frame, since only the first one carries the VP8 header.
    pub fn is_key_frame(&self) -> bool {
        self.starts_frame() && self.payload.first().is_some_and(|b| b & 0x01 == 0)
    }
}

/// Parses the descriptor of a VP8 RTP payload; the same as [`Vp8Descriptor::parse`].
///
/// # Errors
/// As [`Vp8Descriptor::parse`].
pub fn depacketize(payload: &[u8]) -> Result<Vp8Descriptor<'_>, Error> {
    Vp8Descriptor::parse(payload)
}

/// Splits encoded VP8 frames into RTP payloads of at most `mtu` bytes (RFC 7741 §4).
///
/// Every payload carries a 4-byte descriptor (X = 1, I = 1, M = 1: a 15-bit PictureID, the
/// same in all payloads of a frame); S = 1 and PID = 0 on the first payload of a frame, S = 0
/// on the others. The whole frame is sent as partition 0, which RFC 7741 allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vp8Packetizer {
    /// The largest payload, descriptor included, in bytes.
    pub mtu: usize,
    /// The 15-bit PictureID of the next frame; the caller seeds it (randomly, for a new
    /// stream), and [`Vp8Packetizer::packetize`] advances it by one per frame, wrapping at
    /// 2^15.
    pub picture_id: u16,
}

impl Vp8Packetizer {
    /// A packetizer for payloads of at most `mtu` bytes, starting at `picture_id` (only its
    /// low 15 bits are used).
    pub fn new(mtu: usize, picture_id: u16) -> Self {
        Self {
            mtu,
            picture_id: picture_id & 0x7fff,
        }
    }

    /// Splits one encoded frame into payloads and **appends** them to `out`, in sending
    /// order; returns how many it appended. The payloads carry as many frame bytes as the
    /// MTU allows, the last one the remainder. The PictureID advances only on success; on
    /// error `out` is left as it was.
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty frame; [`Error::MtuTooSmall`] if the MTU is not larger
    /// than [`PACKETIZER_DESCRIPTOR_LEN`].
    pub fn packetize(&mut self, frame: &[u8], out: &mut Vec<Vec<u8>>) -> Result<usize, Error> {
        if frame.is_empty() {
            return Err(Error::Empty);
        }
        let chunk = self
            .mtu
            .checked_sub(PACKETIZER_DESCRIPTOR_LEN)
            .filter(|&c| c > 0)
            .ok_or(Error::MtuTooSmall(self.mtu))?;
        let id = self.picture_id & 0x7fff;
        let [hi, lo] = id.to_be_bytes();
        let mut first = true;
        let mut count = 0;
        for piece in frame.chunks(chunk) {
            let mut p = Vec::with_capacity(PACKETIZER_DESCRIPTOR_LEN + piece.len());
            p.extend_from_slice(&[if first { X | S } else { X }, I, M | hi, lo]);
            p.extend_from_slice(piece);
            out.push(p);
            first = false;
            count += 1;
        }
        self.picture_id = id.wrapping_add(1) & 0x7fff;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn minimal_descriptor() {
        // |X=0|R|N=0|S=1|R|PID=0|, then a key frame's first byte (P = 0).
        let d = Vp8Descriptor::parse(&[0x10, 0x50, 0x01]).unwrap();
        assert!(d.start_of_partition && d.starts_frame() && d.is_key_frame());
        assert!(!d.non_reference);
        assert_eq!(d.picture_id, None);
        assert_eq!(d.payload, &[0x50, 0x01]);
    }

    #[test]
    fn n_and_pid() {
        // N = 1, S = 1, PID = 5: starts a partition but not the frame.
        let d = Vp8Descriptor::parse(&[0x20 | 0x10 | 0x05, 0x00]).unwrap();
        assert!(d.non_reference && d.start_of_partition);
        assert_eq!(d.partition_index, 5);
        assert!(!d.starts_frame() && !d.is_key_frame());
    }

    #[test]
    fn seven_bit_picture_id() {
        // X=1; I=1; M=0 PictureID=0x45.
        let d = Vp8Descriptor::parse(&[0x90, 0x80, 0x45, 0x01]).unwrap();
        assert_eq!(d.picture_id, Some(PictureId::Short(0x45)));
        assert!(d.starts_frame() && !d.is_key_frame());
        assert_eq!(d.payload, &[0x01]);
        assert_eq!(d.descriptor_len(&[0x90, 0x80, 0x45, 0x01]), 3);
    }

    #[test]
    fn fifteen_bit_picture_id_all_fields() {
        // X=1; I,L,T,K=1; M=1 PictureID=0x1234; TL0PICIDX=0xab; TID=2 Y=1 KEYIDX=17.
        let bytes = [
            0x80,
            0xf0,
            0x80 | 0x12,
            0x34,
            0xab,
            (2 << 6) | 0x20 | 17,
            0xee,
        ];
        let d = Vp8Descriptor::parse(&bytes).unwrap();
        assert_eq!(d.picture_id, Some(PictureId::Long(0x1234)));
        assert_eq!(d.picture_id.map(PictureId::value), Some(0x1234));
        assert_eq!(d.tl0_pic_idx, Some(0xab));
        assert_eq!(d.tid, Some(2));
        assert_eq!(d.layer_sync, Some(true));
        assert_eq!(d.key_idx, Some(17));
        assert!(!d.start_of_partition);
        assert_eq!(d.payload, &[0xee]);
    }

    #[test]
    fn k_without_t_has_keyidx_only() {
        let d = Vp8Descriptor::parse(&[0x80, 0x10, (3 << 6) | 0x20 | 3, 0x00]).unwrap();
        assert_eq!(d.key_idx, Some(3));
        assert_eq!(d.tid, None);
        assert_eq!(d.layer_sync, None);
    }

    #[test]
    fn truncated() {
        for bytes in [
            &[][..],
            &[0x10],                   // no media
            &[0x80],                   // X without extension byte
            &[0x80, 0x80],             // I without PictureID
            &[0x80, 0x80, 0x80],       // M without the second PictureID byte
            &[0x80, 0x60, 0x01],       // L and T, TL0PICIDX but no TID byte
            &[0x80, 0x80, 0x80, 0x01], // complete descriptor, no media
        ] {
            assert_eq!(
                Vp8Descriptor::parse(bytes),
                Err(Error::Truncated),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn bad_descriptor_l_without_t() {
        assert_eq!(
            Vp8Descriptor::parse(&[0x80, 0x40, 0x00, 0x00]),
            Err(Error::BadDescriptor("L set without T"))
        );
    }

    #[test]
    fn packetizer_writes_exact_descriptors() {
        let mut p = Vp8Packetizer::new(6, 0x7fff);
        let mut out = Vec::new();
        assert_eq!(p.packetize(&[1, 2, 3, 4, 5], &mut out), Ok(3));
        assert_eq!(
            out,
            vec![
                vec![0x90, 0x80, 0xff, 0xff, 1, 2],
                vec![0x80, 0x80, 0xff, 0xff, 3, 4],
                vec![0x80, 0x80, 0xff, 0xff, 5],
            ]
        );
        // PictureID wraps at 2^15.
        assert_eq!(p.picture_id, 0);
        out.clear();
        p.packetize(&[9], &mut out).unwrap();
        assert_eq!(out, vec![vec![0x90, 0x80, 0x80, 0x00, 9]]);
        assert_eq!(p.picture_id, 1);
    }

    #[test]
    fn packetizer_errors_leave_state() {
        let mut out = Vec::new();
        let mut p = Vp8Packetizer::new(1200, 7);
        assert_eq!(p.packetize(&[], &mut out), Err(Error::Empty));
        let mut small = Vp8Packetizer::new(4, 7);
        assert_eq!(small.packetize(&[1], &mut out), Err(Error::MtuTooSmall(4)));
        assert!(out.is_empty());
        assert_eq!((p.picture_id, small.picture_id), (7, 7));
    }

    proptest! {
        #[test]
        fn packetize_then_depacketize_reassembles(
            frame in proptest::collection::vec(any::<u8>(), 1..4000),
            mtu in 5usize..1500,
            seed in any::<u16>(),
        ) {
            let mut p = Vp8Packetizer::new(mtu, seed);
            let id = seed & 0x7fff;
            let mut out = Vec::new();
            let n = p.packetize(&frame, &mut out).unwrap();
            prop_assert_eq!(n, out.len());
            prop_assert_eq!(n, frame.len().div_ceil(mtu - PACKETIZER_DESCRIPTOR_LEN));
            let mut whole = Vec::new();
            for (i, payload) in out.iter().enumerate() {
                prop_assert!(payload.len() <= mtu);
                let d = depacketize(payload).unwrap();
                prop_assert_eq!(d.starts_frame(), i == 0);
                prop_assert_eq!(d.start_of_partition, i == 0);
                prop_assert_eq!(d.picture_id, Some(PictureId::Long(id)));
                prop_assert_eq!(d.is_key_frame(), i == 0 && frame[0] & 1 == 0);
                whole.extend_from_slice(d.payload);
            }
            prop_assert_eq!(whole, frame);
            prop_assert_eq!(p.picture_id, (id + 1) & 0x7fff);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            if let Ok(d) = depacketize(&bytes) {
                prop_assert!(!d.payload.is_empty());
                prop_assert!(bytes.ends_with(d.payload));
                prop_assert!(d.descriptor_len(&bytes) >= 1 && d.descriptor_len(&bytes) <= 6);
            }
            let _ = super::super::opus::depacketize(&bytes);
        }
    }
}
