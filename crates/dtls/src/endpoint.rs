//! The DTLS endpoint: record layer in and out, flights and their retransmission timer,
//! epochs, anti-replay, alerts, application data and the public sans-IO surface
//! (RFC 6347 §4.1, §4.2.4). The handshake messages themselves are in `handshake.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use ring::digest;

use crate::cert::Fingerprint;
use crate::config::{Config, Role};
use crate::crypto::{CipherSuite, NamedGroup, RecordCipher, export_keying_material};
use crate::draws::{CryptoDraw, DrawSource};
use crate::error::{AlertDescription, AlertLevel, Error};
use crate::fragment::Reassembler;
use crate::handshake::{Hs, Step};
use crate::message::{Fragment, HANDSHAKE_HEADER_LEN, HandshakeHeader};
use crate::record::{
    ContentType, DTLS_1_2, MAX_SEQUENCE, RECORD_HEADER_LEN, Record, ReplayWindow, finish_record,
    start_record,
};
use crate::srtp::{SrtpKeyingMaterial, SrtpProfile};

/// The RFC 5764 §4.2 exporter label for SRTP keys.
pub const SRTP_EXPORTER_LABEL: &str = "EXTRACTOR-dtls_srtp";

/// Most datagrams queued for [`Dtls::poll_transmit`]; older ones are dropped beyond it.
const MAX_TRANSMITS: usize = 256;
/// Most events queued for [`Dtls::poll_event`]; application data beyond it is dropped.
const MAX_EVENTS: usize = 1024;
/// Most records of the next epoch buffered before its ChangeCipherSpec arrives.
const MAX_FUTURE_RECORDS: usize = 16;
/// Most application-data records held while the peer's Finished is still missing.
const MAX_EARLY_DATA: usize = 8;
/// Smallest handshake fragment worth starting in a partly filled datagram.
const MIN_FRAGMENT: usize = 64;

/// What an endpoint reports (poll with [`Dtls::poll_event`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed and the peer is authenticated (RFC 6347 §4.2.4 flight 5/6).
    Connected {
        /// Negotiated cipher suite.
        suite: CipherSuite,
        /// Group of the ECDHE exchange.
        group: NamedGroup,
        /// Negotiated SRTP profile (RFC 5764 §4.1.2), if use_srtp was configured.
        srtp_profile: Option<SrtpProfile>,
        /// SHA-256 fingerprint of the peer certificate.
        peer_fingerprint: Fingerprint,
    },
    /// SRTP master keys and salts (RFC 5764 §4.2), right after [`Event::Connected`].
    SrtpKeyingMaterial(SrtpKeyingMaterial),
    /// Application data from the peer (for the SCTP layer).
    ApplicationData(Vec<u8>),
    /// The peer closed the connection with close_notify (RFC 5246 §7.2.1); we answered it.
    Closed,
    /// The connection failed: a fatal alert was sent (or received), see the error.
    Failed(Error),
}

/// Counters of what was dropped or repeated; see [`Dtls::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams handed to [`Dtls::handle_receive`].
    pub datagrams_received: u64,
    /// Datagrams handed out by [`Dtls::poll_transmit`].
    pub datagrams_sent: u64,
    /// Records received (framed).
    pub records_received: u64,
    /// Datagrams whose record framing broke (the rest of the datagram was dropped).
    pub malformed: u64,
    /// Records that failed authentication and were dropped (RFC 6347 §4.1.2.7).
    pub bad_mac: u64,
    /// Records dropped by the anti-replay window (RFC 6347 §4.1.2.6).
    pub replayed: u64,
    /// Records ignored (unknown content type, stale epoch, too much early data).
    pub ignored: u64,
    /// Flight retransmissions (timer or peer retransmission).
    pub retransmissions: u64,
    /// Datagrams or events dropped because a queue was full.
    pub queue_drops: u64,
}

/// One message of a flight, kept for retransmission (RFC 6347 §4.2.4).
#[derive(Debug, Clone)]
pub(crate) enum FlightItem {
    Handshake {
        epoch: u16,
        msg_type: u8,
        seq: u16,
        body: Vec<u8>,
    },
    Ccs,
}

/// Negotiated session, kept after the handshake for export.
pub(crate) struct Session {
    pub(crate) suite: CipherSuite,
    pub(crate) group: NamedGroup,
    pub(crate) master: [u8; 48],
    pub(crate) client_random: [u8; 32],
    pub(crate) server_random: [u8; 32],
    pub(crate) srtp_profile: Option<SrtpProfile>,
    pub(crate) peer_fingerprint: Fingerprint,
    pub(crate) peer_certificate: Vec<u8>,
}

/// The top-level typestate: the handshake owns its data; connection keeps only the session.
pub(crate) enum State {
    Handshake(Box<Hs>),
    Connected(Box<Session>),
    Closed,
    Failed,
}

/// A tiny deterministic generator: SHA-256 over seed and a counter (for randoms and the
/// cookie secret; never for keys).
pub(crate) struct SeedRng {
    seed: [u8; 32],
    counter: u64,
}

impl SeedRng {
    pub(crate) fn new(seed: [u8; 32]) -> Self {
        SeedRng { seed, counter: 0 }
    }

    pub(crate) fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(32) {
            let mut ctx = digest::Context::new(&digest::SHA256);
            ctx.update(b"nutshell-dtls rng");
            ctx.update(&self.seed);
            ctx.update(&self.counter.to_be_bytes());
            self.counter += 1;
            let d = ctx.finish();
            for (o, b) in chunk.iter_mut().zip(d.as_ref()) {
                *o = *b;
            }
        }
    }

    pub(crate) fn bytes32(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        self.fill(&mut b);
        b
    }
}

struct FutureRecord {
    content_type: ContentType,
    version: u16,
    epoch: u16,
    sequence: u64,
    fragment: Vec<u8>,
}

/// A DTLS 1.2 endpoint, client or server, as a sans-IO state machine (RFC 6347).
///
/// See the [crate documentation](crate) for the drive loop.
pub struct Dtls {
    pub(crate) config: Config,
    pub(crate) state: State,
    pub(crate) rng: SeedRng,
    /// Where ECDHE keys and signatures come from (live, recorded or replayed).
    pub(crate) draws: DrawSource,
    pub(crate) cookie_key: ring::hmac::Key,
    pub(crate) now: Instant,
    // Record layer.
    read_epoch: u16,
    pub(crate) write_epoch: u16,
    read_cipher: Option<RecordCipher>,
    pub(crate) pending_read: Option<RecordCipher>,
    pub(crate) write_cipher: Option<RecordCipher>,
    write_seq: [u64; 2],
    replay: ReplayWindow,
    future: VecDeque<FutureRecord>,
    scratch: Vec<u8>,
    // Handshake layer.
    pub(crate) next_send_seq: u16,
    pub(crate) next_recv_seq: u16,
    pub(crate) reasm: Reassembler,
    flight: Vec<FlightItem>,
    peer_flight_end: Option<u16>,
    timer: Option<Instant>,
    rto: Duration,
    retransmits: u32,
    pub(crate) key_log: Option<String>,
    early_data: Vec<Vec<u8>>,
    // Outputs.
    transmits: VecDeque<Vec<u8>>,
    pub(crate) events: VecDeque<Event>,
    stats: Stats,
    /// One span per endpoint (the design's "one span per connection"): its logs carry the
    /// role.
    span: tracing::Span,
}

impl std::fmt::Debug for Dtls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dtls")
            .field("role", &self.config.role)
            .field("connected", &self.is_connected())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Dtls {
    /// A new endpoint. A client queues its ClientHello at once (poll it with
    /// [`Dtls::poll_transmit`]); a server waits for one.
    pub fn new(mut config: Config, now: Instant) -> Self {
        config.mtu = config.mtu.max(256);
        // Keep the timer arithmetic far from overflow.
        config.max_retransmit_timeout = config
            .max_retransmit_timeout
            .clamp(Duration::from_millis(1), Duration::from_secs(3600));
        config.initial_retransmit_timeout = config
            .initial_retransmit_timeout
            .clamp(Duration::from_millis(1), config.max_retransmit_timeout);
        let draws = DrawSource::new(std::mem::take(&mut config.draws));
        let mut rng = SeedRng::new(config.seed);
        let cookie_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &rng.bytes32());
        let reasm = Reassembler::new(config.max_message_size);
        let rto = config.initial_retransmit_timeout;
        let span = tracing::debug_span!("dtls", role = ?config.role);
        let _entered = span.clone().entered();
        let mut d = Dtls {
            state: State::Failed,
            rng,
            draws,
            cookie_key,
            now,
            read_epoch: 0,
            write_epoch: 0,
            read_cipher: None,
            pending_read: None,
            write_cipher: None,
            write_seq: [0; 2],
            replay: ReplayWindow::new(),
            future: VecDeque::new(),
            scratch: Vec::new(),
            next_send_seq: 0,
            next_recv_seq: 0,
            reasm,
            flight: Vec::new(),
            peer_flight_end: None,
            timer: None,
            rto,
            retransmits: 0,
            key_log: None,
            early_data: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            span,
            config,
        };
        match d.config.role {
            Role::Server => d.state = State::Handshake(Box::new(Hs::new(Step::ServerWaitHello))),
            Role::Client => {
                let mut hs = Box::new(Hs::new(Step::ClientWaitHello));
                hs.client_random = d.rng.bytes32();
                match d.send_client_hello(&mut hs) {
                    Ok(()) => d.state = State::Handshake(hs),
                    Err(e) => d.fail(e),
                }
            }
        }
        d
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.config.role
    }

    /// Whether the handshake completed and the connection is open.
    pub fn is_connected(&self) -> bool {
        matches!(self.state, State::Connected(_))
    }

    /// Whether the connection is over (closed or failed).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed | State::Failed)
    }

    /// Counters of dropped and repeated records.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The negotiated cipher suite, once connected.
    pub fn cipher_suite(&self) -> Option<CipherSuite> {
        match &self.state {
            State::Connected(s) => Some(s.suite),
            _ => None,
        }
    }

    /// The negotiated SRTP profile, once connected.
    pub fn srtp_profile(&self) -> Option<SrtpProfile> {
        match &self.state {
            State::Connected(s) => s.srtp_profile,
            _ => None,
        }
    }

    /// The peer certificate (DER), once connected.
    pub fn peer_certificate(&self) -> Option<&[u8]> {
        match &self.state {
            State::Connected(s) => Some(&s.peer_certificate),
            _ => None,
        }
    }

    /// The NSS key log line (`CLIENT_RANDOM <random> <master secret>`) once the master secret
    /// is known, if [`Config::key_log`] is set. It contains the session's secret.
    pub fn key_log(&self) -> Option<&str> {
        self.key_log.as_deref()
    }

    /// Feeds one received datagram (RFC 6347 §4.1). Never fails: malformed, unauthenticated,
    /// replayed and stale records are dropped and counted in [`Dtls::stats`]; protocol
    /// violations end the connection with a fatal alert and [`Event::Failed`].
    pub fn handle_receive(&mut self, now: Instant, datagram: &[u8]) {
        let _entered = self.span.clone().entered();
        self.now = self.now.max(now);
        self.stats.datagrams_received += 1;
        for rec in Record::iter(datagram) {
            if self.is_closed() {
                return;
            }
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    tracing::trace!(error = %e, "dropping malformed DTLS datagram tail");
                    self.stats.malformed += 1;
                    break;
                }
            };
            if let Err(e) = self.handle_record(&rec) {
                self.fail(e);
            }
        }
        // Records of the next epoch that arrived before its ChangeCipherSpec: each held
        // record is looked at once per datagram. Those of the epoch now current are handled;
        // those still ahead stay held (handling one may hold it again: a record two epochs
        // ahead once spun here forever); older ones are dropped.
        if self.read_epoch > 0 && !self.future.is_empty() {
            let held = std::mem::take(&mut self.future);
            for f in held {
                if self.is_closed() {
                    break;
                }
                if f.epoch != self.read_epoch {
                    if f.epoch > self.read_epoch && self.future.len() < MAX_FUTURE_RECORDS {
                        self.future.push_back(f);
                    } else {
                        self.stats.ignored += 1;
                    }
                    continue;
                }
                let rec = Record {
                    content_type: f.content_type,
                    version: f.version,
                    epoch: f.epoch,
                    sequence: f.sequence,
                    fragment: &f.fragment,
                };
                if let Err(e) = self.handle_record(&rec) {
                    self.fail(e);
                }
            }
        }
    }

    /// Drives the retransmission timer (RFC 6347 §4.2.4.1). Early calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        let _entered = self.span.clone().entered();
        self.now = self.now.max(now);
        let Some(t) = self.timer else {
            return;
        };
        if self.now < t {
            return;
        }
        if self.retransmits >= self.config.max_retransmits {
            self.timer = None;
            self.fail(Error::Timeout);
            return;
        }
        self.retransmits += 1;
        self.rto = self
            .rto
            .saturating_mul(2)
            .min(self.config.max_retransmit_timeout);
        self.timer = Some(self.now + self.rto);
        if let Err(e) = self.transmit_flight() {
            self.fail(e);
        }
        self.stats.retransmissions += 1;
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        let d = self.transmits.pop_front()?;
        self.stats.datagrams_sent += 1;
        Some(d)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Dtls::handle_timeout`] should be called next, if at all.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer
    }

    /// Sends application data in one record of one datagram (for SCTP, RFC 8261).
    ///
    /// Errors: [`Error::NotConnected`] before the handshake completes, [`Error::Closed`]
    /// after, [`Error::BadArgument`] for more than 2^14 bytes.
    pub fn send_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        match self.state {
            State::Connected(_) => {}
            State::Handshake(_) => return Err(Error::NotConnected),
            State::Closed | State::Failed => return Err(Error::Closed),
        }
        if data.len() > 1 << 14 {
            return Err(Error::BadArgument("application data over 2^14 bytes"));
        }
        let mut dg = Vec::with_capacity(data.len() + RECORD_HEADER_LEN + 32);
        self.write_record(&mut dg, ContentType::ApplicationData, 1, data)?;
        self.queue_datagram(dg);
        Ok(())
    }

    /// Closes the connection with a close_notify alert (RFC 5246 §7.2.1). Idempotent.
    pub fn close(&mut self) {
        if self.is_closed() {
            return;
        }
        let _entered = self.span.clone().entered();
        self.send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
        self.state = State::Closed;
        self.timer = None;
    }

    /// The draws recorded since the last call, in the order they were made
    /// ([`Draws::Record`](crate::Draws::Record): ECDHE key share, shared secret, signature);
    /// empty in the other modes. At most [`MAX_KEPT_DRAWS`](crate::draws::MAX_KEPT_DRAWS) are
    /// kept between two calls; later ones are dropped.
    pub fn take_draws(&mut self) -> Vec<CryptoDraw> {
        self.draws.take()
    }

    /// Keying material exporter without context (RFC 5705 §4), e.g. label
    /// `EXTRACTOR-dtls_srtp` for DTLS-SRTP (RFC 5764 §4.2).
    ///
    /// Errors: [`Error::NotConnected`] before the handshake completes, [`Error::BadArgument`]
    /// for more than 1024 bytes.
    pub fn export_keying_material(&self, label: &str, len: usize) -> Result<Vec<u8>, Error> {
        let State::Connected(s) = &self.state else {
            return Err(Error::NotConnected);
        };
        if len > 1024 {
            return Err(Error::BadArgument("export longer than 1024 bytes"));
        }
        let mut out = vec![0; len];
        export_keying_material(
            s.suite.prf_hash(),
            &s.master,
            label.as_bytes(),
            &s.client_random,
            &s.server_random,
            &mut out,
        );
        Ok(out)
    }

    // ----------------------------------------------------------------------------------------
    // Receiving
    // ----------------------------------------------------------------------------------------

    fn handle_record(&mut self, rec: &Record<'_>) -> Result<(), Error> {
        self.stats.records_received += 1;
        if let ContentType::Other(t) = rec.content_type {
            tracing::trace!(content_type = t, "ignoring record of unknown type");
            self.stats.ignored += 1;
            return Ok(());
        }
        if rec.epoch == self.read_epoch {
            if rec.epoch == 0 {
                return self.handle_plaintext(0, rec.content_type, rec.fragment);
            }
            if !self.replay.check(rec.sequence) {
                self.stats.replayed += 1;
                return Ok(());
            }
            let mut buf = std::mem::take(&mut self.scratch);
            buf.clear();
            buf.extend_from_slice(rec.fragment);
            let opened = match &self.read_cipher {
                Some(c) => c
                    .open(
                        rec.epoch,
                        rec.sequence,
                        rec.content_type.to_u8(),
                        rec.version,
                        &mut buf,
                    )
                    .ok(),
                None => None,
            };
            let result = match opened {
                Some(range) => {
                    self.replay.mark(rec.sequence);
                    let plain = buf.get(range).unwrap_or_default();
                    self.handle_plaintext(rec.epoch, rec.content_type, plain)
                }
                None => {
                    self.stats.bad_mac += 1;
                    Ok(())
                }
            };
            self.scratch = buf;
            return result;
        }
        if rec.epoch == self.read_epoch.wrapping_add(1)
            && matches!(self.state, State::Handshake(_))
            && self.future.len() < MAX_FUTURE_RECORDS
        {
            self.future.push_back(FutureRecord {
                content_type: rec.content_type,
                version: rec.version,
                epoch: rec.epoch,
                sequence: rec.sequence,
                fragment: rec.fragment.to_vec(),
            });
            return Ok(());
        }
        if rec.epoch < self.read_epoch && rec.content_type == ContentType::Handshake {
            // A retransmitted epoch-0 flight from the peer.
            if let Ok(frags) = Fragment::parse_all(rec.fragment) {
                for f in frags {
                    self.maybe_retransmit(&f.header);
                }
            }
            return Ok(());
        }
        self.stats.ignored += 1;
        Ok(())
    }

    fn handle_plaintext(&mut self, epoch: u16, ct: ContentType, data: &[u8]) -> Result<(), Error> {
        match ct {
            ContentType::ChangeCipherSpec => self.handle_ccs(epoch, data),
            ContentType::Alert => self.handle_alert(data),
            ContentType::Handshake => self.handle_handshake(epoch, data),
            ContentType::ApplicationData => self.handle_application_data(epoch, data),
            ContentType::Other(_) => Ok(()),
        }
    }

    fn handle_alert(&mut self, data: &[u8]) -> Result<(), Error> {
        let [level, desc] = data else {
            return Err(Error::Invalid { field: "alert" });
        };
        let desc = AlertDescription::from_u8(*desc);
        if desc == AlertDescription::CloseNotify {
            if !self.is_closed() {
                self.send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
                self.state = State::Closed;
                self.timer = None;
                self.push_event(Event::Closed);
            }
        } else if *level == 2 {
            self.state = State::Failed;
            self.timer = None;
            self.push_event(Event::Failed(Error::AlertReceived(desc)));
        } else {
            tracing::trace!(?desc, "ignoring warning alert");
        }
        Ok(())
    }

    fn handle_application_data(&mut self, epoch: u16, data: &[u8]) -> Result<(), Error> {
        match (&self.state, epoch) {
            (State::Connected(_), 1) => {
                if self.events.len() >= MAX_EVENTS {
                    self.stats.queue_drops += 1;
                } else {
                    self.events.push_back(Event::ApplicationData(data.to_vec()));
                }
                Ok(())
            }
            (_, 0) => Err(Error::UnexpectedMessage(
                "application data before the handshake completed",
            )),
            (State::Handshake(_), _) if self.early_data.len() < MAX_EARLY_DATA => {
                // Protected data that overtook the peer's Finished: held until it verifies.
                self.early_data.push(data.to_vec());
                Ok(())
            }
            _ => {
                self.stats.ignored += 1;
                Ok(())
            }
        }
    }

    fn handle_ccs(&mut self, epoch: u16, data: &[u8]) -> Result<(), Error> {
        if data != [1] {
            return Err(Error::Invalid {
                field: "ChangeCipherSpec",
            });
        }
        let hs = match &mut self.state {
            State::Handshake(hs) => hs,
            State::Connected(_) if epoch == 0 => return Ok(()), // retransmitted flight
            _ => return Err(Error::UnexpectedMessage("ChangeCipherSpec")),
        };
        if epoch != 0 {
            return Err(Error::UnexpectedMessage("ChangeCipherSpec"));
        }
        match hs.step {
            Step::ClientWaitCcs | Step::ServerWaitCcs => {
                hs.step = if hs.step == Step::ClientWaitCcs {
                    Step::ClientWaitFinished
                } else {
                    Step::ServerWaitFinished
                };
                self.activate_read();
                Ok(())
            }
            // Reordered within the client's flight 5: apply once CertificateVerify is in.
            Step::ServerWaitCertificate
            | Step::ServerWaitKeyExchange
            | Step::ServerWaitCertVerify => {
                hs.ccs_early = true;
                Ok(())
            }
            Step::ClientWaitFinished | Step::ServerWaitFinished => Ok(()),
            _ => Err(Error::UnexpectedMessage("ChangeCipherSpec")),
        }
    }

    /// Switches reading to epoch 1 with the pending cipher (RFC 5246 §7.1).
    pub(crate) fn activate_read(&mut self) {
        if let Some(c) = self.pending_read.take() {
            self.read_cipher = Some(c);
            self.read_epoch = 1;
            self.replay = ReplayWindow::new();
        }
    }

    fn handle_handshake(&mut self, epoch: u16, data: &[u8]) -> Result<(), Error> {
        let frags = Fragment::parse_all(data)?;
        let waiting_hello =
            matches!(&self.state, State::Handshake(hs) if hs.step == Step::ServerWaitHello);
        for f in &frags {
            if waiting_hello {
                if epoch == 0 {
                    self.reasm.insert(0, 0, f)?;
                }
                continue;
            }
            if f.header.message_seq < self.next_recv_seq {
                self.maybe_retransmit(&f.header);
                continue;
            }
            if matches!(self.state, State::Connected(_)) {
                // A new handshake after completion: renegotiation, refused (RFC 5746 §4.2).
                if f.header.fragment_offset == 0 {
                    self.send_alert(AlertLevel::Warning, AlertDescription::NoRenegotiation);
                }
                continue;
            }
            self.reasm.insert(self.next_recv_seq, epoch, f)?;
        }
        if waiting_hello {
            for seq in 0..Reassembler::WINDOW {
                if let Some(m) = self.reasm.take(seq) {
                    self.process_message(m)?;
                    if !matches!(&self.state, State::Handshake(hs) if hs.step == Step::ServerWaitHello)
                    {
                        break;
                    }
                }
            }
            return Ok(());
        }
        while matches!(self.state, State::Handshake(_)) {
            let Some(m) = self.reasm.take(self.next_recv_seq) else {
                break;
            };
            self.next_recv_seq = self.next_recv_seq.wrapping_add(1);
            self.process_message(m)?;
        }
        Ok(())
    }

    /// The peer retransmitted the last message of its previous flight: it lost ours, so
    /// we send ours again (RFC 6347 §4.2.4).
    fn maybe_retransmit(&mut self, h: &HandshakeHeader) {
        let is_end = h.fragment_offset + h.fragment_length == h.length;
        if is_end && Some(h.message_seq) == self.peer_flight_end && !self.flight.is_empty() {
            self.stats.retransmissions += 1;
            if let Err(e) = self.transmit_flight() {
                self.fail(e);
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // Sending
    // ----------------------------------------------------------------------------------------

    /// Makes `items` the current flight and sends it; with `expect_reply` the retransmission
    /// timer runs until the peer's next flight arrives (RFC 6347 §4.2.4).
    pub(crate) fn send_flight(
        &mut self,
        items: Vec<FlightItem>,
        expect_reply: bool,
    ) -> Result<(), Error> {
        self.flight = items;
        self.peer_flight_end = self.next_recv_seq.checked_sub(1);
        self.rto = self.config.initial_retransmit_timeout;
        self.retransmits = 0;
        self.timer = expect_reply.then(|| self.now + self.rto);
        self.transmit_flight()
    }

    /// Stops the retransmission timer and forgets the flight: the peer's final flight
    /// arrived.
    pub(crate) fn flight_acknowledged(&mut self) {
        self.timer = None;
        self.flight.clear();
    }

    /// Sends a handshake message outside any flight (HelloVerifyRequest, RFC 6347 §4.2.1).
    pub(crate) fn send_stateless(
        &mut self,
        msg_type: u8,
        seq: u16,
        body: &[u8],
    ) -> Result<(), Error> {
        let mut dg = Vec::with_capacity(body.len() + 32);
        let mut frag = Vec::with_capacity(body.len() + HANDSHAKE_HEADER_LEN);
        crate::message::write_handshake(&mut frag, msg_type, seq, body);
        self.write_record(&mut dg, ContentType::Handshake, 0, &frag)?;
        self.queue_datagram(dg);
        Ok(())
    }

    fn transmit_flight(&mut self) -> Result<(), Error> {
        let mtu = self.config.mtu;
        let flight = std::mem::take(&mut self.flight);
        let mut dg = Vec::with_capacity(mtu);
        let mut result = Ok(());
        'items: for item in &flight {
            match item {
                FlightItem::Ccs => {
                    if dg.len() + RECORD_HEADER_LEN + 1 > mtu && !dg.is_empty() {
                        self.queue_datagram(std::mem::replace(&mut dg, Vec::with_capacity(mtu)));
                    }
                    if let Err(e) =
                        self.write_record(&mut dg, ContentType::ChangeCipherSpec, 0, &[1])
                    {
                        result = Err(e);
                        break 'items;
                    }
                }
                FlightItem::Handshake {
                    epoch,
                    msg_type,
                    seq,
                    body,
                } => {
                    let overhead = if *epoch == 0 {
                        0
                    } else {
                        self.write_cipher.as_ref().map_or(0, |c| c.overhead())
                    };
                    let fixed = RECORD_HEADER_LEN + overhead + HANDSHAKE_HEADER_LEN;
                    let mut off = 0usize;
                    let mut frag = Vec::with_capacity(mtu);
                    loop {
                        let rem = body.len() - off;
                        let space = mtu.saturating_sub(dg.len() + fixed);
                        if space < rem.min(MIN_FRAGMENT) && !dg.is_empty() {
                            self.queue_datagram(std::mem::replace(
                                &mut dg,
                                Vec::with_capacity(mtu),
                            ));
                            continue;
                        }
                        let n = rem.min(space.max(1));
                        frag.clear();
                        HandshakeHeader {
                            msg_type: *msg_type,
                            length: body.len() as u32,
                            message_seq: *seq,
                            fragment_offset: off as u32,
                            fragment_length: n as u32,
                        }
                        .write(&mut frag);
                        frag.extend_from_slice(body.get(off..off + n).unwrap_or_default());
                        if let Err(e) =
                            self.write_record(&mut dg, ContentType::Handshake, *epoch, &frag)
                        {
                            result = Err(e);
                            break 'items;
                        }
                        off += n;
                        if off >= body.len() {
                            break;
                        }
                    }
                }
            }
        }
        if !dg.is_empty() {
            self.queue_datagram(dg);
        }
        self.flight = flight;
        result
    }

    /// Appends one record in `epoch` (protected when 1) to `out`.
    fn write_record(
        &mut self,
        out: &mut Vec<u8>,
        ct: ContentType,
        epoch: u16,
        payload: &[u8],
    ) -> Result<(), Error> {
        let idx = usize::from(epoch.min(1));
        let seq = self.write_seq.get(idx).copied().unwrap_or(MAX_SEQUENCE);
        if seq >= MAX_SEQUENCE {
            return Err(Error::Crypto("record sequence numbers exhausted".into()));
        }
        if let Some(s) = self.write_seq.get_mut(idx) {
            *s += 1;
        }
        let start = start_record(out, ct, DTLS_1_2, epoch, seq);
        out.extend_from_slice(payload);
        if epoch != 0 {
            let Some(c) = &self.write_cipher else {
                out.truncate(start - RECORD_HEADER_LEN);
                return Err(Error::Crypto("no write keys".into()));
            };
            c.seal(epoch, seq, ct.to_u8(), DTLS_1_2, out, start)
                .map_err(|e| Error::Crypto(e.to_string()))?;
        }
        finish_record(out, start)
    }

    fn queue_datagram(&mut self, dg: Vec<u8>) {
        if self.transmits.len() >= MAX_TRANSMITS {
            self.transmits.pop_front();
            self.stats.queue_drops += 1;
        }
        self.transmits.push_back(dg);
    }

    pub(crate) fn push_event(&mut self, e: Event) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
            self.stats.queue_drops += 1;
        }
        self.events.push_back(e);
    }

    /// Sends an alert in the current write epoch, in its own datagram.
    pub(crate) fn send_alert(&mut self, level: AlertLevel, desc: AlertDescription) {
        let mut dg = Vec::with_capacity(64);
        let epoch = self.write_epoch;
        if self
            .write_record(
                &mut dg,
                ContentType::Alert,
                epoch,
                &[level.to_u8(), desc.to_u8()],
            )
            .is_ok()
        {
            self.queue_datagram(dg);
        }
    }

    /// Ends the connection: fatal alert (if the error has one), then [`Event::Failed`].
    pub(crate) fn fail(&mut self, e: Error) {
        if self.is_closed() {
            return;
        }
        tracing::debug!(error = %e, role = ?self.config.role, "DTLS handshake failed");
        if let Some(a) = e.alert() {
            self.send_alert(AlertLevel::Fatal, a);
        }
        self.state = State::Failed;
        self.timer = None;
        self.flight.clear();
        self.push_event(Event::Failed(e));
    }

    /// Switches writing to epoch 1 (we are sending our ChangeCipherSpec).
    pub(crate) fn activate_write(&mut self, cipher: RecordCipher) {
        self.write_cipher = Some(cipher);
        self.write_epoch = 1;
    }

    /// The handshake completed: announce it and the SRTP keys.
    pub(crate) fn connected(&mut self, session: Session) {
        self.push_event(Event::Connected {
            suite: session.suite,
            group: session.group,
            srtp_profile: session.srtp_profile,
            peer_fingerprint: session.peer_fingerprint.clone(),
        });
        let profile = session.srtp_profile;
        self.state = State::Connected(Box::new(session));
        self.reasm.clear();
        if let Some(p) = profile
            && let Ok(material) =
                self.export_keying_material(SRTP_EXPORTER_LABEL, p.keying_material_len())
        {
            self.push_event(Event::SrtpKeyingMaterial(SrtpKeyingMaterial {
                profile: p,
                material,
            }));
        }
        for data in std::mem::take(&mut self.early_data) {
            self.push_event(Event::ApplicationData(data));
        }
    }

    pub(crate) fn next_seq(&mut self) -> u16 {
        let s = self.next_send_seq;
        self.next_send_seq = self.next_send_seq.wrapping_add(1);
        s
    }
}
