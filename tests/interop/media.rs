//! What both in-process interop tests send and check: frames that carry their index, and
//! a frame-by-frame comparison of what one side wrote with what the other received.

use std::collections::HashSet;

/// The video codec of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Video {
    /// VP8.
    Vp8,
    /// H.264, packetization mode 1.
    H264,
}

/// Lowercase letters and digits only, without the words the two namings differ by, so that
/// `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256` matches `ECDHE_ECDSA_AES128_GCM_SHA256` and
/// `Aes128CmHmacSha1_80` matches `AES128_CM_SHA1_80`.
pub fn normalize(name: &str) -> String {
    let s: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    ["srtp", "tls", "with", "hmac"]
        .iter()
        .fold(s, |s, w| s.replace(w, ""))
}

/// A byte in 1..=255 (no zero, so no start code can appear inside an H.264 body).
pub fn nz(v: usize) -> u8 {
    (v % 255 + 1) as u8
}

/// Audio frame `i` of `side`: an Opus-looking packet carrying its index.
pub fn audio_frame(side: u8, i: usize) -> Vec<u8> {
    // An Opus TOC byte (config 31, stereo, one frame), then the index.
    let mut f = vec![0xfc, side, nz(i / 255), nz(i)];
    f.resize(60, nz(i + 7));
    f
}

/// Video frame `i` of `side`, about 2.5 kB (so several RTP packets), carrying its index.
pub fn video_frame(kind: Video, side: u8, i: usize, key: bool) -> Vec<u8> {
    let body = |len: usize| {
        let mut b = vec![side, nz(i / 255), nz(i)];
        b.resize(len, nz(i + 3));
        b
    };
    match kind {
        // RFC 6386 §9.1: frame tag, then for a key frame the start code 9d 01 2a and size.
        Video::Vp8 => {
            let mut f = if key {
                vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00]
            } else {
                vec![0x11, 0x02, 0x00]
            };
            f.extend(body(2500));
            f
        }
        // Annex B: SPS, PPS and an IDR slice for a key frame, else one non-IDR slice.
        Video::H264 => {
            let mut f = Vec::new();
            if key {
                f.extend([
                    0, 0, 0, 1, 0x67, 0x42, 0xe0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8,
                ]);
                f.extend([0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80]);
                f.extend([0, 0, 0, 1, 0x65]);
            } else {
                f.extend([0, 0, 0, 1, 0x41]);
            }
            f.extend(body(2500));
            f
        }
    }
}

/// The NAL units of an Annex B access unit, start codes removed.
pub fn nal_units(au: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= au.len() {
        if au[i..i + 3] == [0, 0, 1] {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut units = Vec::new();
    for (n, &s) in starts.iter().enumerate() {
        let mut end = starts.get(n + 1).map_or(au.len(), |&next| next - 3);
        while end > s && au[end - 1] == 0 && n + 1 < starts.len() {
            end -= 1;
        }
        units.push(&au[s..end]);
    }
    units
}

/// What one side wrote and the other received, per kind.
#[derive(Default)]
pub struct Flow {
    pub sent: Vec<Vec<u8>>,
    pub received: Vec<Vec<u8>>,
}

impl Flow {
    /// Frames received that match one sent, and frames received that match none.
    pub fn check(&self, h264: bool) -> (usize, usize) {
        let key = |f: &[u8]| -> Vec<u8> {
            if h264 {
                nal_units(f).join(&[0xff, 0xff, 0xff][..])
            } else {
                f.to_vec()
            }
        };
        let sent: HashSet<Vec<u8>> = self.sent.iter().map(|f| key(f)).collect();
        let good = self
            .received
            .iter()
            .filter(|f| sent.contains(&key(f)))
            .count();
        (good, self.received.len() - good)
    }
}
