//! The DTLS 1.2 handshake, client and server (RFC 5246 §7.3, RFC 6347 §4.2): the messages
//! of each flight, negotiation, key schedule and verification. The record layer, flights and
//! timers are in `endpoint.rs`.
//!
//! ```text
//!   Client                                          Server
//!   ClientHello                 -------->                          Flight 1
//!                               <-------   HelloVerifyRequest      Flight 2 (optional)
//!   ClientHello (with cookie)   -------->                          Flight 3
//!                                                 ServerHello      \
//!                                                Certificate       |
//!                                          ServerKeyExchange       | Flight 4
//!                                         CertificateRequest       |
//!                               <-------     ServerHelloDone       /
//!   Certificate                                                    \
//!   ClientKeyExchange                                              |
//!   CertificateVerify                                              | Flight 5
//!   [ChangeCipherSpec]                                             |
//!   Finished                    -------->                          /
//!                                         [ChangeCipherSpec]       \ Flight 6
//!                               <--------             Finished     /
//! ```

use crate::cert::{Fingerprint, PeerCertificate, SignatureScheme};
use crate::crypto::{
    CipherSuite, NamedGroup, PrfHash, RecordCipher, Transcript, extended_master_secret, key_block,
    keylog_line, master_secret, verify_data,
};
use crate::draws::{AgreeError, OurShare};
use crate::endpoint::{Dtls, FlightItem, Session, State};
use crate::error::Error;
use crate::fragment::Reassembled;
use crate::message::{
    CERT_TYPE_ECDSA_SIGN, CERT_TYPE_RSA_SIGN, CertificateMsg, CertificateRequest, ClientHello,
    EMPTY_RENEGOTIATION_INFO_SCSV, HelloVerifyRequest, ServerHello, ServerKeyExchange, ext,
    msg_type, parse_certificate_verify, parse_client_key_exchange, parse_finished,
    write_certificate_verify, write_client_key_exchange, write_handshake,
};
use crate::record::DTLS_1_2;
use crate::srtp::SrtpProfile;

/// Where a handshake stands: which message is expected next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    ClientWaitHello,
    ClientWaitCertificate,
    ClientWaitKeyExchange,
    ClientWaitCertReqOrDone,
    ClientWaitHelloDone,
    ClientWaitCcs,
    ClientWaitFinished,
    ServerWaitHello,
    ServerWaitCertificate,
    ServerWaitKeyExchange,
    ServerWaitCertVerify,
    ServerWaitCcs,
    ServerWaitFinished,
}

/// The data a handshake in progress owns.
pub(crate) struct Hs {
    pub(crate) step: Step,
    transcript: Transcript,
    pub(crate) client_random: [u8; 32],
    server_random: [u8; 32],
    suite: Option<CipherSuite>,
    group: Option<NamedGroup>,
    srtp: Option<SrtpProfile>,
    ems: bool,
    kx: Option<OurShare>,
    pre_master: Option<Vec<u8>>,
    master: Option<[u8; 48]>,
    peer: Option<PeerCertificate>,
    /// Client: the schemes of the server's CertificateRequest, if it sent one.
    cert_request: Option<Vec<u16>>,
    cookie: Vec<u8>,
    /// Client: our ECDHE public key for ClientKeyExchange.
    our_public: Vec<u8>,
    hello_verify_count: u8,
    pub(crate) ccs_early: bool,
    pending_write: Option<RecordCipher>,
}

impl Hs {
    pub(crate) fn new(step: Step) -> Self {
        Hs {
            step,
            transcript: Transcript::new(PrfHash::Sha256),
            client_random: [0; 32],
            server_random: [0; 32],
            suite: None,
            group: None,
            srtp: None,
            ems: false,
            kx: None,
            pre_master: None,
            master: None,
            peer: None,
            cert_request: None,
            cookie: Vec::new(),
            our_public: Vec::new(),
            hello_verify_count: 0,
            ccs_early: false,
            pending_write: None,
        }
    }

    fn add(&mut self, msg_type: u8, seq: u16, body: &[u8]) -> Result<(), Error> {
        let mut m = Vec::with_capacity(body.len() + 12);
        write_handshake(&mut m, msg_type, seq, body);
        self.transcript.update(&m).map_err(crypto)
    }

    fn suite(&self) -> Result<CipherSuite, Error> {
        self.suite.ok_or(Error::Crypto("no suite".into()))
    }

    fn master(&self) -> Result<[u8; 48], Error> {
        self.master.ok_or(Error::Crypto("no master secret".into()))
    }
}

fn crypto(e: impl std::fmt::Display) -> Error {
    Error::Crypto(e.to_string())
}

/// A failed agreement as the handshake reports it: an unusable peer key is the peer's
/// illegal parameter (`what`), anything else stays as it is.
fn agree_error(e: AgreeError, what: &'static str) -> Error {
    match e {
        AgreeError::BadPeerKey => Error::IllegalParameter(what),
        AgreeError::Other(e) => e,
    }
}

/// Constant-time comparison of two verify_data values.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn name(t: u8) -> &'static str {
    match t {
        msg_type::HELLO_REQUEST => "unexpected HelloRequest",
        msg_type::CLIENT_HELLO => "unexpected ClientHello",
        msg_type::SERVER_HELLO => "unexpected ServerHello",
        msg_type::HELLO_VERIFY_REQUEST => "unexpected HelloVerifyRequest",
        msg_type::CERTIFICATE => "unexpected Certificate",
        msg_type::SERVER_KEY_EXCHANGE => "unexpected ServerKeyExchange",
        msg_type::CERTIFICATE_REQUEST => "unexpected CertificateRequest",
        msg_type::SERVER_HELLO_DONE => "unexpected ServerHelloDone",
        msg_type::CERTIFICATE_VERIFY => "unexpected CertificateVerify",
        msg_type::CLIENT_KEY_EXCHANGE => "unexpected ClientKeyExchange",
        msg_type::FINISHED => "Finished before ChangeCipherSpec",
        _ => "unknown handshake message",
    }
}

/// A flight under construction: messages are numbered and hashed as they are added.
struct FlightBuilder {
    items: Vec<FlightItem>,
}

impl FlightBuilder {
    fn new() -> Self {
        FlightBuilder { items: Vec::new() }
    }

    fn push(
        &mut self,
        d: &mut Dtls,
        hs: &mut Hs,
        epoch: u16,
        msg_type: u8,
        body: Vec<u8>,
    ) -> Result<(), Error> {
        let seq = d.next_seq();
        hs.add(msg_type, seq, &body)?;
        self.items.push(FlightItem::Handshake {
            epoch,
            msg_type,
            seq,
            body,
        });
        Ok(())
    }
}

enum Next {
    Stay,
    Connected(Session),
}

impl Dtls {
    /// Dispatches a reassembled message by state; anything not expected in the state is
    /// `unexpected_message` (RFC 5246 §7.4, strict order).
    pub(crate) fn process_message(&mut self, m: Reassembled) -> Result<(), Error> {
        let State::Handshake(mut hs) = std::mem::replace(&mut self.state, State::Failed) else {
            return Ok(());
        };
        let r = self.step(&mut hs, &m);
        match r {
            Ok(Next::Stay) => {
                self.state = State::Handshake(hs);
                Ok(())
            }
            Ok(Next::Connected(s)) => {
                self.connected(s);
                Ok(())
            }
            Err(e) => {
                self.state = State::Handshake(hs);
                Err(e)
            }
        }
    }

    fn step(&mut self, hs: &mut Hs, m: &Reassembled) -> Result<Next, Error> {
        use msg_type as t;
        // Finished is the only message protected by epoch 1 in a first handshake.
        let want_epoch = u16::from(m.msg_type == t::FINISHED);
        if m.epoch != want_epoch {
            return Err(Error::UnexpectedMessage(if m.msg_type == t::FINISHED {
                "Finished before ChangeCipherSpec"
            } else {
                "handshake message in the wrong epoch"
            }));
        }
        let body = m.body.as_slice();
        match (hs.step, m.msg_type) {
            (Step::ServerWaitHello, t::CLIENT_HELLO) => self.server_client_hello(hs, m),
            (Step::ClientWaitHello, t::HELLO_VERIFY_REQUEST) => self.client_hello_verify(hs, body),
            (Step::ClientWaitHello, t::SERVER_HELLO) => self.client_server_hello(hs, m),
            (Step::ClientWaitCertificate, t::CERTIFICATE) => {
                self.accept_peer_certificate(hs, body)?;
                hs.add(m.msg_type, m.message_seq, body)?;
                hs.step = Step::ClientWaitKeyExchange;
                Ok(Next::Stay)
            }
            (Step::ClientWaitKeyExchange, t::SERVER_KEY_EXCHANGE) => {
                self.client_server_key_exchange(hs, body)?;
                hs.add(m.msg_type, m.message_seq, body)?;
                hs.step = Step::ClientWaitCertReqOrDone;
                Ok(Next::Stay)
            }
            (Step::ClientWaitCertReqOrDone, t::CERTIFICATE_REQUEST) => {
                let cr = CertificateRequest::parse(body)?;
                hs.cert_request = Some(cr.signature_algorithms.iter().collect());
                hs.add(m.msg_type, m.message_seq, body)?;
                hs.step = Step::ClientWaitHelloDone;
                Ok(Next::Stay)
            }
            (Step::ClientWaitCertReqOrDone | Step::ClientWaitHelloDone, t::SERVER_HELLO_DONE) => {
                if !body.is_empty() {
                    return Err(Error::Invalid {
                        field: "ServerHelloDone",
                    });
                }
                hs.add(m.msg_type, m.message_seq, body)?;
                self.client_flight5(hs)
            }
            (Step::ClientWaitFinished, t::FINISHED) => {
                self.check_finished(hs, body, false)?;
                self.flight_acknowledged();
                self.session(hs)
            }
            (Step::ServerWaitCertificate, t::CERTIFICATE) => {
                self.accept_peer_certificate(hs, body)?;
                hs.add(m.msg_type, m.message_seq, body)?;
                hs.step = Step::ServerWaitKeyExchange;
                Ok(Next::Stay)
            }
            (Step::ServerWaitKeyExchange, t::CLIENT_KEY_EXCHANGE) => {
                self.server_client_key_exchange(hs, m)?;
                hs.step = Step::ServerWaitCertVerify;
                Ok(Next::Stay)
            }
            (Step::ServerWaitCertVerify, t::CERTIFICATE_VERIFY) => {
                let (scheme, sig) = parse_certificate_verify(body)?;
                let scheme = SignatureScheme::from_id(scheme).ok_or(Error::IllegalParameter(
                    "CertificateVerify signature scheme",
                ))?;
                let peer = hs.peer.as_ref().ok_or(Error::NoCertificate)?;
                peer.verify(scheme, hs.transcript.messages(), sig)
                    .map_err(|_| Error::BadSignature)?;
                hs.add(m.msg_type, m.message_seq, body)?;
                hs.step = Step::ServerWaitCcs;
                if hs.ccs_early {
                    hs.step = Step::ServerWaitFinished;
                    self.activate_read();
                }
                Ok(Next::Stay)
            }
            (Step::ServerWaitFinished, t::FINISHED) => {
                self.check_finished(hs, body, true)?;
                hs.add(m.msg_type, m.message_seq, body)?;
                self.server_flight6(hs)?;
                self.session(hs)
            }
            (_, other) => Err(Error::UnexpectedMessage(name(other))),
        }
    }

    // ---------------------------------------------------------------------------------------
    // Client
    // ---------------------------------------------------------------------------------------

    /// Flight 1 or 3: ClientHello (RFC 5246 §7.4.1.2, RFC 6347 §4.2.1).
    pub(crate) fn send_client_hello(&mut self, hs: &mut Hs) -> Result<(), Error> {
        let mut exts = Vec::with_capacity(128);
        let mut groups: Vec<u16> = self.config.groups.iter().map(|g| g.id()).collect();
        // supported_groups also names the curves of ECDSA certificates we can verify
        // (RFC 8422 §5.1.1); strict servers (OpenSSL) refuse their P-256 certificate if it is
        // missing, so it is always listed, last, even when not configured for ECDHE.
        if !groups.contains(&NamedGroup::Secp256r1.id()) {
            groups.push(NamedGroup::Secp256r1.id());
        }
        ext::supported_groups(&mut exts, &groups);
        ext::ec_point_formats(&mut exts);
        let schemes: Vec<u16> = SignatureScheme::SUPPORTED.iter().map(|s| s.id()).collect();
        ext::signature_algorithms(&mut exts, &schemes);
        if !self.config.srtp_profiles.is_empty() {
            let p: Vec<u16> = self.config.srtp_profiles.iter().map(|p| p.id()).collect();
            ext::use_srtp(&mut exts, &p);
        }
        ext::extended_master_secret(&mut exts);
        ext::renegotiation_info(&mut exts);
        let suites: Vec<u16> = self.config.cipher_suites.iter().map(|s| s.id()).collect();
        if suites.is_empty() {
            return Err(Error::NoCommonCipherSuite);
        }
        let mut body = Vec::with_capacity(256);
        ClientHello::write(&mut body, &hs.client_random, &hs.cookie, &suites, &exts);
        hs.transcript.clear();
        let mut f = FlightBuilder::new();
        f.push(self, hs, 0, msg_type::CLIENT_HELLO, body)?;
        self.send_flight(f.items, true)
    }

    fn client_hello_verify(&mut self, hs: &mut Hs, body: &[u8]) -> Result<Next, Error> {
        let hvr = HelloVerifyRequest::parse(body)?;
        if hs.hello_verify_count >= 4 {
            return Err(Error::UnexpectedMessage("repeated HelloVerifyRequest"));
        }
        hs.hello_verify_count += 1;
        hs.cookie = hvr.cookie.to_vec();
        // The first ClientHello and the HelloVerifyRequest stay out of the transcript.
        self.send_client_hello(hs)?;
        Ok(Next::Stay)
    }

    fn client_server_hello(&mut self, hs: &mut Hs, m: &Reassembled) -> Result<Next, Error> {
        let sh = ServerHello::parse(&m.body)?;
        if sh.server_version != DTLS_1_2 {
            return Err(Error::UnsupportedVersion(sh.server_version));
        }
        let suite = CipherSuite::from_id(sh.cipher_suite)
            .filter(|s| self.config.cipher_suites.contains(s))
            .ok_or(Error::NoCommonCipherSuite)?;
        if sh.compression_method != 0 {
            return Err(Error::IllegalParameter("compression method"));
        }
        let e = &sh.extensions;
        if !e.extended_master_secret && self.config.require_extended_master_secret {
            return Err(Error::ExtendedMasterSecretRequired);
        }
        if e.renegotiation_info.is_some_and(|r| !r.is_empty()) {
            return Err(Error::Renegotiation);
        }
        hs.srtp = match (e.use_srtp, self.config.srtp_profiles.is_empty()) {
            (None, true) => None,
            (None, false) => return Err(Error::NoCommonSrtpProfile),
            (Some(_), true) => return Err(Error::IllegalParameter("unsolicited use_srtp")),
            (Some((list, mki)), false) => {
                let mut ids = list.iter();
                let (Some(id), None) = (ids.next(), ids.next()) else {
                    return Err(Error::IllegalParameter("use_srtp profile count"));
                };
                if !mki.is_empty() {
                    return Err(Error::IllegalParameter("use_srtp MKI"));
                }
                Some(
                    SrtpProfile::from_id(id)
                        .filter(|p| self.config.srtp_profiles.contains(p))
                        .ok_or(Error::IllegalParameter("use_srtp profile"))?,
                )
            }
        };
        // A DTLS 1.3-capable server ends the random with the RFC 8446 §4.1.3 downgrade
        // marker; having offered only 1.2 we ignore it, as that section requires.
        hs.server_random = sh.random;
        hs.suite = Some(suite);
        hs.ems = e.extended_master_secret;
        hs.transcript.set_hash(suite.prf_hash());
        hs.add(m.msg_type, m.message_seq, &m.body)?;
        hs.step = Step::ClientWaitCertificate;
        Ok(Next::Stay)
    }

    fn client_server_key_exchange(&mut self, hs: &mut Hs, body: &[u8]) -> Result<(), Error> {
        let ske = ServerKeyExchange::parse(body)?;
        let group = NamedGroup::from_id(ske.group)
            .filter(|g| self.config.groups.contains(g))
            .ok_or(Error::IllegalParameter("ServerKeyExchange group"))?;
        let scheme = SignatureScheme::from_id(ske.scheme).ok_or(Error::IllegalParameter(
            "ServerKeyExchange signature scheme",
        ))?;
        let mut signed = Vec::with_capacity(64 + ske.params.len());
        signed.extend_from_slice(&hs.client_random);
        signed.extend_from_slice(&hs.server_random);
        signed.extend_from_slice(ske.params);
        let peer = hs.peer.as_ref().ok_or(Error::NoCertificate)?;
        peer.verify(scheme, &signed, ske.signature)
            .map_err(|_| Error::BadSignature)?;
        let (kx, public) = self.draws.key_share(group)?;
        let pre = self
            .draws
            .agree(kx, ske.public)
            .map_err(|e| agree_error(e, "ServerKeyExchange public key"))?;
        hs.group = Some(group);
        hs.pre_master = Some(pre);
        hs.our_public = public;
        Ok(())
    }

    /// Flight 5: Certificate, ClientKeyExchange, CertificateVerify, ChangeCipherSpec,
    /// Finished.
    fn client_flight5(&mut self, hs: &mut Hs) -> Result<Next, Error> {
        let suite = hs.suite()?;
        let mut f = FlightBuilder::new();
        if let Some(schemes) = &hs.cert_request {
            let schemes = schemes.clone();
            let mut body = Vec::with_capacity(1024);
            CertificateMsg::write(&mut body, &[self.config.certificate.der()]);
            f.push(self, hs, 0, msg_type::CERTIFICATE, body)?;
            let mut cke = Vec::with_capacity(80);
            write_client_key_exchange(&mut cke, &hs.our_public);
            f.push(self, hs, 0, msg_type::CLIENT_KEY_EXCHANGE, cke)?;
            self.derive_master(hs)?;
            let (scheme, sig) = self
                .draws
                .sign(&self.config.certificate, hs.transcript.messages())?;
            if !schemes.contains(&scheme.id()) {
                return Err(Error::NoCommonSignatureScheme);
            }
            let mut cv = Vec::with_capacity(80);
            write_certificate_verify(&mut cv, scheme.id(), &sig);
            f.push(self, hs, 0, msg_type::CERTIFICATE_VERIFY, cv)?;
        } else {
            let mut cke = Vec::with_capacity(80);
            write_client_key_exchange(&mut cke, &hs.our_public);
            f.push(self, hs, 0, msg_type::CLIENT_KEY_EXCHANGE, cke)?;
            self.derive_master(hs)?;
        }
        let master = hs.master()?;
        let keys =
            key_block(suite, &master, &hs.client_random, &hs.server_random).map_err(crypto)?;
        self.pending_read = Some(keys.server_write);
        self.activate_write(keys.client_write);
        f.items.push(FlightItem::Ccs);
        let vd = verify_data(suite.prf_hash(), &master, true, &hs.transcript.current());
        f.push(self, hs, 1, msg_type::FINISHED, vd.to_vec())?;
        hs.step = Step::ClientWaitCcs;
        self.send_flight(f.items, true)?;
        Ok(Next::Stay)
    }

    // ---------------------------------------------------------------------------------------
    // Server
    // ---------------------------------------------------------------------------------------

    /// The stateless cookie (RFC 6347 §4.2.1): HMAC-SHA256 under our secret over the
    /// ClientHello fields that a client must repeat unchanged.
    fn cookie(&self, ch: &ClientHello<'_>) -> ring::hmac::Tag {
        let mut ctx = ring::hmac::Context::with_key(&self.cookie_key);
        ctx.update(&ch.client_version.to_be_bytes());
        ctx.update(&ch.random);
        ctx.update(&[ch.session_id.len() as u8]);
        ctx.update(ch.session_id);
        ctx.update(&(ch.cipher_suites.len() as u16).to_be_bytes());
        for s in ch.cipher_suites.iter() {
            ctx.update(&s.to_be_bytes());
        }
        ctx.update(ch.compression_methods);
        ctx.sign()
    }

    fn server_client_hello(&mut self, hs: &mut Hs, m: &Reassembled) -> Result<Next, Error> {
        let ch = ClientHello::parse(&m.body)?;
        // DTLS versions count down: 0xFEFD (1.2) < 0xFEFF (1.0).
        if ch.client_version > DTLS_1_2 {
            return Err(Error::UnsupportedVersion(ch.client_version));
        }
        if self.config.cookie_exchange {
            let tag = self.cookie(&ch);
            if !ct_eq(tag.as_ref(), ch.cookie) {
                let mut body = Vec::with_capacity(40);
                HelloVerifyRequest::write(&mut body, tag.as_ref());
                self.send_stateless(msg_type::HELLO_VERIFY_REQUEST, m.message_seq, &body)?;
                return Ok(Next::Stay);
            }
        }
        if !ch.compression_methods.contains(&0) {
            return Err(Error::IllegalParameter("compression methods"));
        }
        let e = &ch.extensions;
        let suite = self
            .config
            .cipher_suites
            .iter()
            .copied()
            .find(|s| ch.cipher_suites.contains(s.id()))
            .ok_or(Error::NoCommonCipherSuite)?;
        let group = match e.supported_groups {
            Some(l) => self
                .config
                .groups
                .iter()
                .copied()
                .find(|g| l.contains(g.id())),
            None => self.config.groups.first().copied(),
        }
        .ok_or(Error::NoCommonGroup)?;
        if e.ec_point_formats.is_some_and(|f| !f.contains(&0)) {
            return Err(Error::IllegalParameter("ec_point_formats"));
        }
        if !e.extended_master_secret && self.config.require_extended_master_secret {
            return Err(Error::ExtendedMasterSecretRequired);
        }
        if e.renegotiation_info.is_some_and(|r| !r.is_empty()) {
            return Err(Error::Renegotiation);
        }
        let secure_renegotiation = e.renegotiation_info.is_some()
            || ch.cipher_suites.contains(EMPTY_RENEGOTIATION_INFO_SCSV);
        let srtp = if self.config.srtp_profiles.is_empty() {
            None
        } else {
            let offered = e.use_srtp.ok_or(Error::NoCommonSrtpProfile)?.0;
            Some(
                self.config
                    .srtp_profiles
                    .iter()
                    .copied()
                    .find(|p| offered.contains(p.id()))
                    .ok_or(Error::NoCommonSrtpProfile)?,
            )
        };
        let peer_schemes = e.signature_algorithms;

        // Committed: from here the server keeps state for this client.
        self.next_send_seq = m.message_seq;
        self.next_recv_seq = m.message_seq.wrapping_add(1);
        self.reasm.discard_before(self.next_recv_seq);
        hs.client_random = ch.random;
        hs.server_random = self.rng.bytes32();
        hs.suite = Some(suite);
        hs.group = Some(group);
        hs.srtp = srtp;
        hs.ems = e.extended_master_secret;
        hs.transcript = Transcript::new(suite.prf_hash());
        hs.add(m.msg_type, m.message_seq, &m.body)?;

        let mut f = FlightBuilder::new();
        let mut exts = Vec::with_capacity(32);
        if secure_renegotiation {
            ext::renegotiation_info(&mut exts);
        }
        if hs.ems {
            ext::extended_master_secret(&mut exts);
        }
        if let Some(p) = srtp {
            ext::use_srtp(&mut exts, &[p.id()]);
        }
        if e.ec_point_formats.is_some() {
            ext::ec_point_formats(&mut exts);
        }
        let mut body = Vec::with_capacity(128);
        ServerHello::write(&mut body, &hs.server_random, suite.id(), &exts);
        f.push(self, hs, 0, msg_type::SERVER_HELLO, body)?;

        let mut body = Vec::with_capacity(1024);
        CertificateMsg::write(&mut body, &[self.config.certificate.der()]);
        f.push(self, hs, 0, msg_type::CERTIFICATE, body)?;

        let (kx, public) = self.draws.key_share(group)?;
        hs.kx = Some(kx);
        let mut body = Vec::with_capacity(160);
        ServerKeyExchange::write_params(&mut body, group.id(), &public);
        let mut signed = Vec::with_capacity(64 + body.len());
        signed.extend_from_slice(&hs.client_random);
        signed.extend_from_slice(&hs.server_random);
        signed.extend_from_slice(&body);
        let (scheme, sig) = self.draws.sign(&self.config.certificate, &signed)?;
        if peer_schemes.is_some_and(|l| !l.contains(scheme.id())) {
            return Err(Error::NoCommonSignatureScheme);
        }
        ServerKeyExchange::write_signature(&mut body, scheme.id(), &sig);
        f.push(self, hs, 0, msg_type::SERVER_KEY_EXCHANGE, body)?;

        // Client certificates are always requested: WebRTC authenticates both ends.
        let mut body = Vec::with_capacity(32);
        let schemes: Vec<u16> = SignatureScheme::SUPPORTED.iter().map(|s| s.id()).collect();
        CertificateRequest::write(
            &mut body,
            &[CERT_TYPE_ECDSA_SIGN, CERT_TYPE_RSA_SIGN],
            &schemes,
        );
        f.push(self, hs, 0, msg_type::CERTIFICATE_REQUEST, body)?;
        f.push(self, hs, 0, msg_type::SERVER_HELLO_DONE, Vec::new())?;
        hs.step = Step::ServerWaitCertificate;
        self.send_flight(f.items, true)?;
        Ok(Next::Stay)
    }

    fn server_client_key_exchange(&mut self, hs: &mut Hs, m: &Reassembled) -> Result<(), Error> {
        let public = parse_client_key_exchange(&m.body)?;
        let kx = hs.kx.take().ok_or(Error::Crypto("no key share".into()))?;
        let pre = self
            .draws
            .agree(kx, public)
            .map_err(|e| agree_error(e, "ClientKeyExchange public key"))?;
        hs.pre_master = Some(pre);
        hs.add(m.msg_type, m.message_seq, &m.body)?;
        self.derive_master(hs)?;
        let suite = hs.suite()?;
        let keys = key_block(suite, &hs.master()?, &hs.client_random, &hs.server_random)
            .map_err(crypto)?;
        self.pending_read = Some(keys.client_write);
        hs.pending_write = Some(keys.server_write);
        Ok(())
    }

    /// Flight 6: ChangeCipherSpec, Finished. The last flight: no timer, but kept to answer
    /// a retransmitted flight 5 (RFC 6347 §4.2.4).
    fn server_flight6(&mut self, hs: &mut Hs) -> Result<(), Error> {
        let suite = hs.suite()?;
        let master = hs.master()?;
        let w = hs
            .pending_write
            .take()
            .ok_or(Error::Crypto("no write keys".into()))?;
        self.activate_write(w);
        let mut f = FlightBuilder::new();
        f.items.push(FlightItem::Ccs);
        let vd = verify_data(suite.prf_hash(), &master, false, &hs.transcript.current());
        f.push(self, hs, 1, msg_type::FINISHED, vd.to_vec())?;
        self.send_flight(f.items, false)
    }

    // ---------------------------------------------------------------------------------------
    // Both
    // ---------------------------------------------------------------------------------------

    /// Checks the peer's certificate message against the expected fingerprints
    /// (RFC 8122 §5, RFC 8827 §6.5) and parses it.
    fn accept_peer_certificate(&mut self, hs: &mut Hs, body: &[u8]) -> Result<(), Error> {
        let cm = CertificateMsg::parse(body)?;
        let der = *cm.certificates.first().ok_or(Error::NoCertificate)?;
        let fps = &self.config.remote_fingerprints;
        if !fps.is_empty() && !fps.iter().any(|f| f.matches(der)) {
            return Err(Error::FingerprintMismatch(
                Fingerprint::sha256(der).to_string(),
            ));
        }
        let peer = PeerCertificate::parse(der).map_err(|e| Error::BadCertificate(e.to_string()))?;
        hs.peer = Some(peer);
        Ok(())
    }

    /// Master secret from the premaster secret: extended (RFC 7627 §4, session hash up to
    /// and including ClientKeyExchange) or classic (RFC 5246 §8.1).
    fn derive_master(&mut self, hs: &mut Hs) -> Result<(), Error> {
        let suite = hs.suite()?;
        let pre = hs
            .pre_master
            .take()
            .ok_or(Error::Crypto("no premaster secret".into()))?;
        let master = if hs.ems {
            extended_master_secret(suite.prf_hash(), &pre, &hs.transcript.current())
        } else {
            master_secret(suite.prf_hash(), &pre, &hs.client_random, &hs.server_random)
        };
        hs.master = Some(master);
        if self.config.key_log {
            self.key_log = Some(keylog_line(&hs.client_random, &master));
        }
        Ok(())
    }

    /// Verifies the peer's Finished (RFC 5246 §7.4.9).
    fn check_finished(&mut self, hs: &mut Hs, body: &[u8], from_client: bool) -> Result<(), Error> {
        let got = parse_finished(body)?;
        let suite = hs.suite()?;
        let want = verify_data(
            suite.prf_hash(),
            &hs.master()?,
            from_client,
            &hs.transcript.current(),
        );
        if ct_eq(&got, &want) {
            Ok(())
        } else {
            Err(Error::BadFinished)
        }
    }

    fn session(&mut self, hs: &mut Hs) -> Result<Next, Error> {
        let peer = hs.peer.as_ref().ok_or(Error::NoCertificate)?;
        Ok(Next::Connected(Session {
            suite: hs.suite()?,
            group: hs.group.ok_or(Error::NoCommonGroup)?,
            master: hs.master()?,
            client_random: hs.client_random,
            server_random: hs.server_random,
            srtp_profile: hs.srtp,
            peer_fingerprint: Fingerprint::sha256(peer.der()),
            peer_certificate: peer.der().to_vec(),
        }))
    }
}
