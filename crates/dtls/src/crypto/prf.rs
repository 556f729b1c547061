//! The TLS 1.2 PRF and everything derived from it: master secret (RFC 5246 §8.1), extended
//! master secret (RFC 7627 §4), Finished `verify_data` (RFC 5246 §7.4.9), keying material
//! exporters (RFC 5705 §4), plus the handshake [`Transcript`] and the NSS key log line.

use super::{CryptoError, PrfHash};
use ring::hmac;

/// The TLS 1.2 pseudorandom function, RFC 5246 §5:
/// `PRF(secret, label, seed) = P_<hash>(secret, label + seed)`, written to fill `out`.
///
/// `P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + …` with
/// `A(0) = seed` and `A(i) = HMAC(secret, A(i-1))`. When the seed is a concatenation (two
/// randoms, say), [`prf_seeds`] avoids building it.
pub fn prf(hash: PrfHash, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    prf_seeds(hash, secret, label, &[seed], out);
}

/// [`prf`] with the seed given as parts, which are concatenated after the label
/// (`label + seeds[0] + seeds[1] + …`), RFC 5246 §5.
pub fn prf_seeds(hash: PrfHash, secret: &[u8], label: &[u8], seeds: &[&[u8]], out: &mut [u8]) {
    let key = hmac::Key::new(hash.hmac(), secret);
    // A(1) = HMAC(secret, A(0)) with A(0) = label + seed.
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(label);
    for s in seeds {
        ctx.update(s);
    }
    let mut a = ctx.sign();
    for chunk in out.chunks_mut(hash.output_len()) {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        ctx.update(label);
        for s in seeds {
            ctx.update(s);
        }
        let block = ctx.sign();
        // `block` is exactly output_len bytes and `chunk` at most that many.
        for (o, b) in chunk.iter_mut().zip(block.as_ref()) {
            *o = *b;
        }
        a = hmac::sign(&key, a.as_ref());
    }
}

/// The master secret, RFC 5246 §8.1:
/// `PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47]`.
///
/// Prefer [`extended_master_secret`] whenever the peer offered the
/// `extended_master_secret` extension (RFC 7627); WebRTC browsers always do.
pub fn master_secret(
    hash: PrfHash,
    pre_master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> [u8; 48] {
    let mut out = [0u8; 48];
    prf_seeds(
        hash,
        pre_master,
        b"master secret",
        &[client_random, server_random],
        &mut out,
    );
    out
}

/// The extended master secret, RFC 7627 §4:
/// `PRF(pre_master_secret, "extended master secret", session_hash)[0..47]`, where
/// `session_hash` is the handshake hash ([`Transcript::current`]) over every handshake
/// message up to and including ClientKeyExchange.
pub fn extended_master_secret(hash: PrfHash, pre_master: &[u8], session_hash: &[u8]) -> [u8; 48] {
    let mut out = [0u8; 48];
    prf(
        hash,
        pre_master,
        b"extended master secret",
        session_hash,
        &mut out,
    );
    out
}

/// The `verify_data` of a Finished message, RFC 5246 §7.4.9:
/// `PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]`, with the label
/// "client finished" when `client` is true and "server finished" otherwise.
/// `handshake_hash` is [`Transcript::current`] over every handshake message before this
/// Finished (the server's covers the client's Finished).
pub fn verify_data(
    hash: PrfHash,
    master: &[u8; 48],
    client: bool,
    handshake_hash: &[u8],
) -> [u8; 12] {
    let label: &[u8] = if client {
        b"client finished"
    } else {
        b"server finished"
    };
    let mut out = [0u8; 12];
    prf(hash, master, label, handshake_hash, &mut out);
    out
}

/// Keying material exporter without context, RFC 5705 §4:
/// `PRF(master_secret, label, client_random + server_random)`, filling `out`.
///
/// DTLS-SRTP (RFC 5764 §4.2) calls this with the label `EXTRACTOR-dtls_srtp` and
/// `out.len() = 2 * (key_len + salt_len)`.
pub fn export_keying_material(
    hash: PrfHash,
    master: &[u8; 48],
    label: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    out: &mut [u8],
) {
    prf_seeds(hash, master, label, &[client_random, server_random], out);
}

/// One line of the NSS key log format (`SSLKEYLOGFILE`, read by Wireshark):
/// `CLIENT_RANDOM <64 hex digits> <96 hex digits>`, without a newline.
///
/// This string contains the master secret: write it only where the user asked for it.
pub fn keylog_line(client_random: &[u8; 32], master: &[u8; 48]) -> String {
    let mut s = String::with_capacity(15 + 64 + 1 + 96);
    s.push_str("CLIENT_RANDOM ");
    push_hex(&mut s, client_random);
    s.push(' ');
    push_hex(&mut s, master);
    s
}

fn push_hex(s: &mut String, bytes: &[u8]) {
    use core::fmt::Write as _;
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
}

/// The running handshake hash (RFC 5246 §7.4.9 `handshake_messages`, RFC 6347 §4.2.6).
///
/// It *buffers* the handshake messages and hashes them on demand, rather than keeping a hash
/// context, for two reasons: the PRF hash is known only once ServerHello picks the suite
/// (set it then with [`Transcript::set_hash`]), and a client's CertificateVerify signs the
/// messages themselves (RFC 5246 §7.4.8; `ring` hashes as part of signing), which
/// [`Transcript::messages`] returns. The buffer is bounded by [`Transcript::MAX_LEN`]; a
/// handshake that grows beyond it is refused with [`CryptoError::TranscriptTooLarge`].
///
/// What goes in is the caller's business. In DTLS that is every handshake message with its
/// 12-byte DTLS handshake header as if sent unfragmented (fragment_offset 0,
/// fragment_length = length), excluding HelloVerifyRequest and the ClientHello that preceded
/// it (RFC 6347 §4.2.1), and excluding HelloRequest.
#[derive(Clone)]
pub struct Transcript {
    hash: PrfHash,
    buf: Vec<u8>,
}

impl Transcript {
    /// The most handshake bytes we keep: 64 KiB, ample for a WebRTC handshake (two
    /// self-signed certificates of well under 2 KiB each).
    pub const MAX_LEN: usize = 64 * 1024;

    /// An empty transcript that will hash with `hash`. If the suite is not known yet, pass
    /// [`PrfHash::Sha256`] and call [`Transcript::set_hash`] after ServerHello.
    pub fn new(hash: PrfHash) -> Self {
        Transcript {
            hash,
            buf: Vec::with_capacity(4096),
        }
    }

    /// Changes the hash that [`Transcript::current`] uses (once the cipher suite is known).
    pub fn set_hash(&mut self, hash: PrfHash) {
        self.hash = hash;
    }

    /// The hash [`Transcript::current`] uses.
    pub fn hash(&self) -> PrfHash {
        self.hash
    }

    /// Appends handshake message bytes.
    ///
    /// # Errors
    /// [`CryptoError::TranscriptTooLarge`] if the transcript would exceed
    /// [`Transcript::MAX_LEN`]; nothing is appended then.
    pub fn update(&mut self, bytes: &[u8]) -> Result<(), CryptoError> {
        if self.buf.len().saturating_add(bytes.len()) > Self::MAX_LEN {
            return Err(CryptoError::TranscriptTooLarge);
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The hash of everything appended so far (`Hash(handshake_messages)`), 32 or 48 bytes.
    pub fn current(&self) -> Vec<u8> {
        self.current_with(self.hash)
    }

    /// The hash of everything appended so far with an explicit hash function.
    pub fn current_with(&self, hash: PrfHash) -> Vec<u8> {
        ring::digest::digest(hash.digest(), &self.buf)
            .as_ref()
            .to_vec()
    }

    /// The handshake messages appended so far, as CertificateVerify signs them
    /// (RFC 5246 §7.4.8).
    pub fn messages(&self) -> &[u8] {
        &self.buf
    }

    /// Number of bytes appended so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was appended yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Forgets everything appended (for a ClientHello answered by HelloVerifyRequest,
    /// RFC 6347 §4.2.1).
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

impl core::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Transcript")
            .field("hash", &self.hash)
            .field("len", &self.buf.len())
            .finish()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        assert_eq!(s.len() % 2, 0);
        s.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    fn arr<const N: usize>(s: &str) -> [u8; N] {
        hex(s).try_into().unwrap()
    }

    // The widely circulated TLS 1.2 PRF vectors (IETF TLS list, msg03416), confirmed
    // byte-for-byte with OpenSSL 3.0:
    // `openssl kdf -keylen 100 -kdfopt digest:SHA256 -kdfopt hexsecret:<secret>
    //  -kdfopt hexseed:<hex("test label") || seed> TLS1-PRF`.
    #[test]
    fn prf_sha256_known_answer() {
        let secret = hex("9bbe436ba940f017b17652849a71db35");
        let seed = hex("a0ba9f936cda311827a6f796ffd5198c");
        let mut out = [0u8; 100];
        prf(PrfHash::Sha256, &secret, b"test label", &seed, &mut out);
        let want = hex(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a
             6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab
             4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701
             87347b66",
        );
        assert_eq!(out.as_slice(), want.as_slice());
    }

    #[test]
    fn prf_sha384_known_answer() {
        let secret = hex("b80b733d6ceefcdc71566ea48e5567df");
        let seed = hex("cd665cf6a8447dd6ff8b27555edb7465");
        let mut out = [0u8; 148];
        prf(PrfHash::Sha384, &secret, b"test label", &seed, &mut out);
        let want = hex(
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd
             e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd
             8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425
             9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6
             91c8f3a26854308d5eaa3be85e0990703d73e56f",
        );
        assert_eq!(out.as_slice(), want.as_slice());
    }

    #[test]
    fn prf_seed_parts_equal_concatenation() {
        let mut a = [0u8; 77];
        let mut b = [0u8; 77];
        prf(PrfHash::Sha256, b"k", b"l", b"abcdef", &mut a);
        prf_seeds(PrfHash::Sha256, b"k", b"l", &[b"ab", b"", b"cdef"], &mut b);
        assert_eq!(a, b);
        // Shorter outputs are prefixes of longer ones.
        let mut c = [0u8; 5];
        prf(PrfHash::Sha256, b"k", b"l", b"abcdef", &mut c);
        assert_eq!(c, a[..5]);
        prf(PrfHash::Sha256, b"k", b"l", b"abcdef", &mut []);
    }

    // Inputs of the derived-secret vectors below. Expected outputs were made with OpenSSL's
    // independent TLS1-PRF: `openssl kdf -keylen N -kdfopt digest:SHA256|SHA384
    // -kdfopt hexsecret:<secret> -kdfopt hexseed:<hex(label) || seed> TLS1-PRF`, with the
    // labels and seeds that RFC 5246 §8.1 / §7.4.9 / §6.3, RFC 7627 §4 and RFC 5705 §4 define.
    const PM: &str = "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9";
    const CR: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const SR: &str = "000306090c0f1215181b1e2124272a2d303336393c3f4245484b4e5154575a5d";
    const SH: &str = "05162738495a6b7c8d9eafc0d1e2f30415263748596a7b8c9daebfd0e1f2031425364758697a8b9cadbecfe0f1021324";
    pub(crate) const MS256: &str = "bba99e5b4c2c979a75a347e93d61015d124450562ffc9d001768a6144b6f2ada42e1f272a2f4ae89c48ef4643500e44e";
    const MS384: &str = "99c6a11f488d86c883c86490a37566e09a9e8ae5d2c78f34b2e233f013e4f3815bea70e389786641be757b6c5f17c4b7";

    #[test]
    fn master_secret_matches_openssl() {
        let (cr, sr) = (arr::<32>(CR), arr::<32>(SR));
        let pm = hex(PM);
        assert_eq!(
            master_secret(PrfHash::Sha256, &pm, &cr, &sr),
            arr::<48>(MS256)
        );
        assert_eq!(
            master_secret(PrfHash::Sha384, &pm, &cr, &sr),
            arr::<48>(MS384)
        );
    }

    #[test]
    fn extended_master_secret_matches_openssl() {
        let pm = hex(PM);
        let sh = hex(SH);
        assert_eq!(
            extended_master_secret(PrfHash::Sha256, &pm, &sh[..32]),
            arr::<48>(
                "b68d6c6dfe89f5f5202835edb40b94c36e39135fa4fd9b905e3be10bee9e9968a1858fb86289fadece5bd97c9a00b3bd"
            )
        );
        assert_eq!(
            extended_master_secret(PrfHash::Sha384, &pm, &sh),
            arr::<48>(
                "da9e0fb672a2cb1e34b67b809c2fbe96b2782e2824a5a7b8bd6a20d6382b0860e54806e43965465be19849a998da79b5"
            )
        );
    }

    #[test]
    fn verify_data_matches_openssl() {
        let sh = hex(SH);
        let ms = arr::<48>(MS256);
        assert_eq!(
            verify_data(PrfHash::Sha256, &ms, true, &sh[..32]),
            arr::<12>("213849881c8d48d697a3de14")
        );
        assert_eq!(
            verify_data(PrfHash::Sha256, &ms, false, &sh[..32]),
            arr::<12>("0f233c35e6fe60da379a7bde")
        );
        assert_eq!(
            verify_data(PrfHash::Sha384, &arr::<48>(MS384), true, &sh),
            arr::<12>("b9f5df1157d44ad745ec719f")
        );
    }

    #[test]
    fn exporter_matches_openssl() {
        let mut out = [0u8; 60];
        export_keying_material(
            PrfHash::Sha256,
            &arr::<48>(MS256),
            b"EXTRACTOR-dtls_srtp",
            &arr::<32>(CR),
            &arr::<32>(SR),
            &mut out,
        );
        assert_eq!(
            out.as_slice(),
            hex("139266282d949d61ae6dc4d0a6e318cb92c6001eb73d2f95af3e32847dc484177d7950d62f47846f4037039f8d9f58c9e200901979ffd396f4a30469").as_slice()
        );
    }

    #[test]
    fn keylog_format() {
        let line = keylog_line(&[0xab; 32], &[0x01; 48]);
        assert_eq!(
            line,
            format!("CLIENT_RANDOM {} {}", "ab".repeat(32), "01".repeat(48))
        );
    }

    #[test]
    fn transcript_hashes_on_demand() {
        let mut t = Transcript::new(PrfHash::Sha256);
        assert!(t.is_empty());
        t.update(b"a").unwrap();
        t.update(b"bc").unwrap();
        assert_eq!(t.messages(), b"abc");
        // FIPS 180-2 "abc" digests.
        assert_eq!(
            t.current(),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        t.set_hash(PrfHash::Sha384);
        assert_eq!(t.current().len(), 48);
        assert_eq!(
            t.current(),
            hex(
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
            )
        );
        assert!(!format!("{t:?}").contains("abc"));
        t.clear();
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn transcript_is_bounded() {
        let mut t = Transcript::new(PrfHash::Sha256);
        t.update(&vec![0u8; Transcript::MAX_LEN - 1]).unwrap();
        assert_eq!(t.update(&[1, 2]), Err(CryptoError::TranscriptTooLarge));
        assert_eq!(t.len(), Transcript::MAX_LEN - 1);
        t.update(&[1]).unwrap();
        assert_eq!(t.update(&[]), Ok(()));
        assert_eq!(t.update(&[1]), Err(CryptoError::TranscriptTooLarge));
    }
}
