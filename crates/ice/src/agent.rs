//! The agent: state, commands, timers and the output queues. Incoming STUN is in
//! `receive.rs`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use proto::{Protocol, Receive, Transmit};
use stun::{Attribute, Encoder, Key, MessageType};

use crate::candidate::{self, Candidate, CandidateKind, candidate_priority};
use crate::checklist::{CheckList, PairState, prio};
use crate::config::IceConfig;
use crate::rng::Rng;
use crate::stun_client::{Transaction, TxKind, TxPoll, later};
use crate::{ConnectionState, Error, GatheringState, IceEvent, IceStats, Received, Role};

/// Short-term credentials of one side (RFC 8445 §5.3).
#[derive(Debug, Clone)]
pub(crate) struct Creds {
    pub ufrag: String,
    pub pwd: String,
    pub key: Key,
}

impl Creds {
    pub fn new(ufrag: String, pwd: String) -> Self {
        let key = Key::short_term(&pwd);
        Creds { ufrag, pwd, key }
    }
}

/// A local candidate and its base (the host socket address it is sent from).
#[derive(Debug, Clone)]
pub(crate) struct LocalCand {
    pub cand: Candidate,
    pub base: SocketAddr,
}

/// The selected pair.
#[derive(Debug, Clone)]
pub(crate) struct Selected {
    pub local: Candidate,
    pub remote: Candidate,
    pub base: SocketAddr,
    pub remote_addr: SocketAddr,
    pub priority: u64,
    /// Selected in the generation before a restart: consent uses the old credentials.
    pub old: bool,
    pub last_consent: Instant,
    pub next_consent: Instant,
}

/// A sans-IO ICE agent (RFC 8445). See the [crate docs](crate) for the drive loop.
#[derive(Debug)]
pub struct IceAgent {
    pub(crate) config: IceConfig,
    pub(crate) rng: Rng,
    pub(crate) role: Role,
    pub(crate) tie_breaker: u64,
    pub(crate) local: Creds,
    pub(crate) remote: Option<Creds>,
    /// (local, remote) credentials of the generation before a restart, while its selected
    /// pair is still in use.
    pub(crate) old: Option<(Creds, Creds)>,
    pub(crate) remote_lite: bool,
    /// Host socket addresses in the order they were added (for local preferences).
    pub(crate) hosts: Vec<SocketAddr>,
    pub(crate) locals: Vec<LocalCand>,
    pub(crate) remotes: Vec<Candidate>,
    pub(crate) prflx_remotes: usize,
    pub(crate) checklist: CheckList,
    pub(crate) transactions: Vec<Transaction>,
    pub(crate) selected: Option<Selected>,
    pub(crate) next_check: Instant,
    pub(crate) nominate_at: Option<Instant>,
    pub(crate) nominating: Option<(usize, usize)>,
    pub(crate) remote_eoc: Option<Instant>,
    pub(crate) gathering: GatheringState,
    pub(crate) state: ConnectionState,
    pub(crate) consent_failed: bool,
    pub(crate) now: Instant,
    pub(crate) timeout: Option<Instant>,
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<IceEvent>,
    pub(crate) stats: IceStats,
    /// One span per agent (the design's "one span per connection").
    span: tracing::Span,
}

impl IceAgent {
    /// A new agent at time `now`. Credentials not given in `config` are drawn from its seed.
    pub fn new(config: IceConfig, now: Instant) -> Self {
        let mut rng = Rng::new(config.seed);
        let tie_breaker = rng.next_u64();
        let ufrag = config
            .local_ufrag
            .clone()
            .unwrap_or_else(|| rng.ice_string(8));
        let pwd = config
            .local_pwd
            .clone()
            .unwrap_or_else(|| rng.ice_string(24));
        let role = if config.lite {
            Role::Controlled
        } else {
            config.role
        };
        let span = tracing::debug_span!("ice", ufrag = %ufrag);
        span.in_scope(|| tracing::trace!(?role, lite = config.lite, "new agent"));
        IceAgent {
            rng,
            role,
            tie_breaker,
            local: Creds::new(ufrag, pwd),
            remote: None,
            old: None,
            remote_lite: false,
            hosts: Vec::new(),
            locals: Vec::new(),
            remotes: Vec::new(),
            prflx_remotes: 0,
            checklist: CheckList::default(),
            transactions: Vec::new(),
            selected: None,
            next_check: now,
            nominate_at: None,
            nominating: None,
            remote_eoc: None,
            gathering: GatheringState::New,
            state: ConnectionState::New,
            consent_failed: false,
            now,
            timeout: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: IceStats::default(),
            span,
            config,
        }
    }

    // ----- getters -------------------------------------------------------------------------

    /// The local ufrag and password to signal (RFC 8839 §5.4).
    pub fn local_credentials(&self) -> (&str, &str) {
        (&self.local.ufrag, &self.local.pwd)
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether this agent is ICE-lite.
    pub fn is_lite(&self) -> bool {
        self.config.lite
    }

    /// The connection state.
    pub fn connection_state(&self) -> ConnectionState {
        self.state
    }

    /// The gathering state.
    pub fn gathering_state(&self) -> GatheringState {
        self.gathering
    }

    /// Local candidates gathered so far (host, server-reflexive, and peer-reflexive ones
    /// learned from responses, which are not signalled).
    pub fn local_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.locals.iter().map(|l| &l.cand)
    }

    /// Remote candidates, signalled and peer-reflexive.
    pub fn remote_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.remotes.iter()
    }

    /// The selected pair (local, remote candidate), if any.
    pub fn selected_pair(&self) -> Option<(&Candidate, &Candidate)> {
        self.selected.as_ref().map(|s| (&s.local, &s.remote))
    }

    /// The 5-tuple of the selected pair: (local socket address, remote address).
    pub fn selected_tuple(&self) -> Option<(SocketAddr, SocketAddr)> {
        self.selected.as_ref().map(|s| (s.base, s.remote_addr))
    }

    /// The state of the pair (local base, remote address), if it is in the check list.
    pub fn pair_state(&self, base: SocketAddr, remote: SocketAddr) -> Option<PairState> {
        self.checklist
            .pairs
            .iter()
            .find(|p| {
                self.locals.get(p.local).map(|l| l.base) == Some(base)
                    && self.remotes.get(p.remote).map(|r| r.address) == Some(remote)
            })
            .map(|p| p.state)
    }

    /// Counters and current sizes.
    pub fn stats(&self) -> IceStats {
        IceStats {
            local_candidates: self.locals.len(),
            remote_candidates: self.remotes.len(),
            pairs: self.checklist.pairs.len(),
            transactions: self.transactions.len(),
            queued_transmits: self.transmits.len(),
            queued_events: self.events.len(),
            ..self.stats.clone()
        }
    }

    // ----- commands ------------------------------------------------------------------------

    /// Adds a host socket the runtime has bound (UDP), and gathers its candidates: a host
    /// candidate, and a server-reflexive one per STUN server of the same family. Returns
    /// `Ok(false)` if the address is skipped by policy (loopback or link-local not enabled,
    /// already added, or an ICE-lite agent's STUN gathering).
    pub fn add_host_socket(&mut self, addr: SocketAddr) -> Result<bool, Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let ip = addr.ip();
        if ip.is_unspecified() || addr.port() == 0 || ip.is_multicast() {
            return Err(Error::InvalidAddress(addr));
        }
        if (ip.is_loopback() && !self.config.include_loopback)
            || (candidate::is_link_local(ip) && !self.config.include_link_local)
            || self.hosts.contains(&addr)
        {
            return Ok(false);
        }
        if self.locals.len() >= self.config.max_local_candidates {
            return Err(Error::TooMany("local candidates"));
        }
        let pref = candidate::local_preference(ip, self.hosts.len());
        self.hosts.push(addr);
        let cand = Candidate::new(
            CandidateKind::Host,
            addr,
            candidate_priority(CandidateKind::Host, pref, 1),
            candidate::foundation(CandidateKind::Host, ip, None, Protocol::Udp),
        );
        self.locals.push(LocalCand {
            cand: cand.clone(),
            base: addr,
        });
        let local = self.locals.len() - 1;
        self.push_event(IceEvent::LocalCandidate(cand));
        self.set_gathering(GatheringState::Gathering);
        if !self.config.lite {
            for server in self.config.stun_servers.clone() {
                if server.is_ipv4() == addr.is_ipv4() {
                    self.start_gather(addr, server);
                }
            }
        }
        for remote in 0..self.remotes.len() {
            self.form_pair(local, remote);
        }
        self.after_mutation();
        Ok(true)
    }

    /// Sets the peer's ufrag and password (RFC 8839 §5.4). New values while the peer's
    /// credentials are already known mean the peer restarted ICE: the agent restarts too
    /// (see [`restart`](Self::restart)) and emits [`IceEvent::LocalCredentials`].
    pub fn set_remote_credentials(&mut self, ufrag: &str, pwd: &str) -> Result<(), Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 256
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        };
        if !ok(ufrag) || !ok(pwd) {
            return Err(Error::InvalidCredentials);
        }
        if let Some(r) = &self.remote {
            if r.ufrag == ufrag && r.pwd == pwd {
                return Ok(());
            }
            self.restart();
        }
        self.remote = Some(Creds::new(ufrag.to_string(), pwd.to_string()));
        self.after_mutation();
        Ok(())
    }

    /// Tells the agent the peer is ICE-lite (`a=ice-lite`): a full agent then takes the
    /// controlling role (RFC 8445 §6.1.1).
    pub fn set_remote_lite(&mut self, lite: bool) {
        self.remote_lite = lite;
        if lite && !self.config.lite && self.role == Role::Controlled {
            self.switch_role(Role::Controlling);
        }
        self.after_mutation();
    }

    /// Adds a remote candidate (trickle ICE: before, during or after checks). TCP candidates
    /// and components other than 1 are accepted and ignored. A candidate whose address is
    /// already known (for instance as peer-reflexive) updates that one.
    pub fn add_remote_candidate(&mut self, cand: Candidate) -> Result<(), Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        if cand.protocol != Protocol::Udp || cand.component != 1 {
            tracing::trace!(?cand, "ignoring non-UDP or non-RTP candidate");
            return Ok(());
        }
        let ip = cand.address.ip();
        if ip.is_unspecified() || cand.address.port() == 0 || ip.is_multicast() {
            return Err(Error::InvalidAddress(cand.address));
        }
        if let Some(existing) = self.remotes.iter_mut().find(|r| r.address == cand.address) {
            if existing.kind == CandidateKind::PeerReflexive {
                // RFC 8445 §7.3.1.3: the signalled candidate replaces the learned one.
                existing.kind = cand.kind;
                existing.foundation = cand.foundation;
                existing.related_address = cand.related_address;
                existing.extensions = cand.extensions;
            }
            return Ok(());
        }
        if self.remotes.len() >= self.config.max_remote_candidates {
            self.stats.limited += 1;
            return Err(Error::TooMany("remote candidates"));
        }
        self.remotes.push(cand);
        let remote = self.remotes.len() - 1;
        for local in 0..self.locals.len() {
            self.form_pair(local, remote);
        }
        self.after_mutation();
        Ok(())
    }

    /// The peer signalled end-of-candidates (RFC 8838 §8.2): once every pair has failed the
    /// agent may declare failure.
    pub fn end_of_remote_candidates(&mut self) {
        if self.remote_eoc.is_none() {
            self.remote_eoc = Some(self.now);
        }
        self.after_mutation();
    }

    /// ICE restart (RFC 8445 §9): new local credentials (emitted as
    /// [`IceEvent::LocalCredentials`], followed by the local candidates again), remote
    /// candidates and pairs forgotten. The selected pair stays in use, with consent checks
    /// under the old credentials, until a pair of the new generation is selected.
    pub fn restart(&mut self) {
        if self.is_closed() {
            return;
        }
        tracing::debug!("ICE restart");
        let ufrag = self.rng.ice_string(8);
        let pwd = self.rng.ice_string(24);
        let old_local = std::mem::replace(&mut self.local, Creds::new(ufrag, pwd));
        let old_remote = self.remote.take();
        if self.consent_failed {
            self.selected = None;
            self.consent_failed = false;
        }
        match (&mut self.selected, old_remote) {
            (Some(sel), Some(old_remote)) if !sel.old => {
                sel.old = true;
                self.old = Some((old_local, old_remote));
            }
            (Some(_), _) => {}
            (None, _) => self.old = None,
        }
        let keep_old = self.old.is_some();
        self.transactions.retain_mut(|t| match &mut t.kind {
            TxKind::Gather { .. } => true,
            TxKind::Consent { old } => {
                *old = true;
                keep_old
            }
            TxKind::Check { .. } => false,
        });
        self.remotes.clear();
        self.prflx_remotes = 0;
        self.locals
            .retain(|l| l.cand.kind != CandidateKind::PeerReflexive);
        self.checklist.clear();
        self.nominating = None;
        self.nominate_at = None;
        self.remote_eoc = None;
        self.push_event(IceEvent::LocalCredentials {
            ufrag: self.local.ufrag.clone(),
            pwd: self.local.pwd.clone(),
        });
        for l in self.locals.clone() {
            self.push_event(IceEvent::LocalCandidate(l.cand));
        }
        if self.gathering != GatheringState::New {
            self.gathering = GatheringState::Gathering;
            self.push_event(IceEvent::GatheringState(GatheringState::Gathering));
        }
        self.after_mutation();
    }

    /// Closes the agent: state [`ConnectionState::Closed`], nothing more is sent.
    pub fn close(&mut self) {
        if self.is_closed() {
            return;
        }
        self.transactions.clear();
        self.transmits.clear();
        self.checklist.triggered.clear();
        self.set_state(ConnectionState::Closed);
        self.timeout = None;
    }

    /// Wraps `data` in a datagram on the selected pair.
    pub fn send_to_selected(&self, data: &[u8]) -> Result<Transmit, Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let sel = self.selected.as_ref().ok_or(Error::NoSelectedPair)?;
        if self.consent_failed {
            return Err(Error::ConsentExpired);
        }
        Ok(Transmit {
            protocol: Protocol::Udp,
            source: sel.base,
            destination: sel.remote_addr,
            contents: data.to_vec(),
        })
    }

    // ----- the state-machine verbs ---------------------------------------------------------

    /// A datagram arrived. STUN is consumed; anything else from a known remote candidate to
    /// a local socket is [`Received::Data`] for the layer above. Never fails: bad input is
    /// dropped and counted.
    pub fn handle_receive(&mut self, now: Instant, recv: Receive<'_>) -> Received {
        let span = self.span.clone();
        let _e = span.enter();
        self.advance(now);
        if self.is_closed() || recv.protocol != Protocol::Udp {
            return Received::Dropped;
        }
        let out = if stun::is_stun(recv.contents) {
            self.handle_stun(recv)
        } else if self.is_known_tuple(recv.destination, recv.source) {
            Received::Data
        } else {
            self.stats.malformed += 1;
            Received::Dropped
        };
        self.after_mutation();
        out
    }

    /// Runs the timers due at `now`: retransmissions, the next paced check, nomination,
    /// consent, gathering completion and state changes. Early or repeated calls are harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        let span = self.span.clone();
        let _e = span.enter();
        self.advance(now);
        if self.is_closed() {
            return;
        }
        self.run_transactions();
        self.pace_checks();
        self.maybe_nominate();
        self.run_consent();
        self.after_mutation();
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<IceEvent> {
        self.events.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next; `None` when nothing is
    /// scheduled. O(1): computed after every mutation.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timeout
    }

    // ----- internals -----------------------------------------------------------------------

    pub(crate) fn is_closed(&self) -> bool {
        self.state == ConnectionState::Closed
    }

    fn advance(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
    }

    pub(crate) fn push_event(&mut self, ev: IceEvent) {
        if self.events.len() >= self.config.max_queued {
            self.events.pop_front();
            self.stats.queue_dropped += 1;
        }
        self.events.push_back(ev);
    }

    pub(crate) fn push_transmit(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        contents: Vec<u8>,
    ) {
        if self.transmits.len() >= self.config.max_queued {
            self.transmits.pop_front();
            self.stats.queue_dropped += 1;
        }
        self.transmits.push_back(Transmit {
            protocol: Protocol::Udp,
            source,
            destination,
            contents,
        });
    }

    fn set_gathering(&mut self, g: GatheringState) {
        if self.gathering != g {
            self.gathering = g;
            self.push_event(IceEvent::GatheringState(g));
        }
    }

    pub(crate) fn set_state(&mut self, s: ConnectionState) {
        if self.state != s {
            tracing::debug!(from = ?self.state, to = ?s, "ICE connection state");
            self.state = s;
            self.push_event(IceEvent::ConnectionState(s));
        }
    }

    /// Whether (local socket, remote address) is a 5-tuple of this agent.
    pub(crate) fn is_known_tuple(&self, local: SocketAddr, remote: SocketAddr) -> bool {
        if let Some(s) = &self.selected
            && s.base == local
            && s.remote_addr == remote
        {
            return true;
        }
        self.hosts.contains(&local) && self.remotes.iter().any(|r| r.address == remote)
    }

    /// Pairs local candidate `local` (if it is a host candidate) with remote `remote`, if
    /// their families and scopes agree (RFC 8445 §6.1.2.2).
    pub(crate) fn form_pair(&mut self, local: usize, remote: usize) {
        let (Some(l), Some(r)) = (self.locals.get(local), self.remotes.get(remote)) else {
            return;
        };
        if l.cand.kind != CandidateKind::Host {
            // Reflexive candidates are replaced by their base: redundant (§6.1.2.4).
            return;
        }
        let (la, ra) = (l.base.ip(), r.address.ip());
        if la.is_ipv4() != ra.is_ipv4()
            || la.is_loopback() != ra.is_loopback()
            || candidate::is_link_local(la) != candidate::is_link_local(ra)
        {
            return;
        }
        let foundation = (l.cand.foundation.clone(), r.foundation.clone());
        let (lp, rp) = (l.cand.priority, r.priority);
        let controlling = self.role == Role::Controlling;
        if !self.checklist.add(
            local,
            remote,
            lp,
            rp,
            controlling,
            foundation,
            self.config.max_pairs,
        ) {
            self.stats.limited += 1;
        }
    }

    pub(crate) fn switch_role(&mut self, role: Role) {
        if self.role == role {
            return;
        }
        tracing::debug!(?role, "role switch");
        self.role = role;
        let controlling = role == Role::Controlling;
        let locals = &self.locals;
        let remotes = &self.remotes;
        for p in &mut self.checklist.pairs {
            let (Some(l), Some(r)) = (locals.get(p.local), remotes.get(p.remote)) else {
                continue;
            };
            p.priority = prio(l.cand.priority, r.priority, controlling);
            let vl = p
                .valid_local
                .and_then(|v| locals.get(v))
                .map_or(l.cand.priority, |v| v.cand.priority);
            p.valid_priority = prio(vl, r.priority, controlling);
            p.use_candidate = false;
        }
        self.nominating = None;
        self.nominate_at = None;
        self.push_event(IceEvent::RoleChanged(role));
    }

    // ----- gathering -----------------------------------------------------------------------

    fn start_gather(&mut self, base: SocketAddr, server: SocketAddr) {
        if self.transactions.len() >= self.config.max_transactions {
            self.stats.limited += 1;
            return;
        }
        let tid = self.rng.transaction_id();
        let mut buf = Vec::with_capacity(28);
        let mut enc = Encoder::new(&mut buf, MessageType::BINDING_REQUEST, tid);
        enc.add_fingerprint();
        let _ = enc.finish();
        let rto = self.config.stun_rto;
        self.transactions.push(Transaction::new(
            tid,
            TxKind::Gather { base, server },
            base,
            server,
            buf,
            self.now,
            rto,
            Duration::MAX,
            self.config.stun_max_transmits,
            Some(rto.checked_mul(16).unwrap_or(rto)),
        ));
    }

    /// A server-reflexive address was learned from `server` for `base` (RFC 8445 §5.1.1.2).
    pub(crate) fn add_srflx(&mut self, base: SocketAddr, server: SocketAddr, mapped: SocketAddr) {
        if mapped == base
            || self
                .locals
                .iter()
                .any(|l| l.cand.address == mapped && l.base == base)
        {
            return; // redundant (§5.1.3)
        }
        if self.locals.len() >= self.config.max_local_candidates {
            self.stats.limited += 1;
            return;
        }
        let index = self.hosts.iter().position(|h| *h == base).unwrap_or(0);
        let pref = candidate::local_preference(base.ip(), index);
        let mut cand = Candidate::new(
            CandidateKind::ServerReflexive,
            mapped,
            candidate_priority(CandidateKind::ServerReflexive, pref, 1),
            candidate::foundation(
                CandidateKind::ServerReflexive,
                base.ip(),
                Some(server),
                Protocol::Udp,
            ),
        );
        cand.related_address = Some(base);
        self.locals.push(LocalCand {
            cand: cand.clone(),
            base,
        });
        self.push_event(IceEvent::LocalCandidate(cand));
    }

    // ----- checks --------------------------------------------------------------------------

    /// Encodes a Binding request for a check or consent (RFC 8445 §7.2.2).
    pub(crate) fn build_check(
        &mut self,
        use_candidate: bool,
        priority: u32,
        old: bool,
    ) -> Option<(stun::TransactionId, Vec<u8>)> {
        let (local, remote) = if old {
            let (l, r) = self.old.as_ref()?;
            (l, r)
        } else {
            (&self.local, self.remote.as_ref()?)
        };
        let tid = self.rng.transaction_id();
        let mut buf = Vec::with_capacity(128);
        let username = format!("{}:{}", remote.ufrag, local.ufrag);
        let mut enc = Encoder::new(&mut buf, MessageType::BINDING_REQUEST, tid);
        enc.add(&Attribute::Username(&username)).ok()?;
        enc.add(&Attribute::Priority(priority)).ok()?;
        enc.add(&match self.role {
            Role::Controlling => Attribute::IceControlling(self.tie_breaker),
            Role::Controlled => Attribute::IceControlled(self.tie_breaker),
        })
        .ok()?;
        if use_candidate {
            enc.add(&Attribute::UseCandidate).ok()?;
        }
        enc.add_integrity(&remote.key);
        enc.add_fingerprint();
        let _ = enc.finish();
        Some((tid, buf))
    }

    /// The PRIORITY a check from host candidate `local` carries: that of a peer-reflexive
    /// candidate with the same local preference (RFC 8445 §7.1.1).
    pub(crate) fn prflx_priority(&self, local: usize) -> u32 {
        let host = self.locals.get(local).map_or(0, |l| l.cand.priority);
        (CandidateKind::PeerReflexive.type_preference() << 24) | (host & 0x00FF_FFFF)
    }

    fn send_check(&mut self, local: usize, remote: usize) {
        let (Some(l), Some(r)) = (self.locals.get(local), self.remotes.get(remote)) else {
            return;
        };
        let (source, destination) = (l.base, r.address);
        let controlling = self.role == Role::Controlling;
        let use_candidate = controlling
            && self
                .checklist
                .get(local, remote)
                .is_some_and(|p| p.use_candidate);
        let priority = self.prflx_priority(local);
        let Some((tid, request)) = self.build_check(use_candidate, priority, false) else {
            return;
        };
        if let Some(p) = self.checklist.get_mut(local, remote)
            && p.state != PairState::Succeeded
        {
            p.state = PairState::InProgress;
        }
        // One transaction per pair retransmits: a newer check cancels an older one, which
        // still accepts its response (RFC 8445 §7.3.1.4).
        let (now, wait) = (self.now, self.config.check_rto_max);
        for t in &mut self.transactions {
            if matches!(t.kind, TxKind::Check { local: l, remote: r, .. } if l == local && r == remote)
                && !t.cancelled
            {
                t.cancel(now, wait);
            }
        }
        self.stats.checks_sent += 1;
        tracing::trace!(%source, %destination, use_candidate, "check");
        self.transactions.push(Transaction::new(
            tid,
            TxKind::Check {
                local,
                remote,
                use_candidate,
                controlling,
            },
            source,
            destination,
            request,
            self.now,
            self.config.check_rto,
            self.config.check_rto_max,
            self.config.check_max_transmits,
            None,
        ));
        self.run_transactions();
    }

    fn run_transactions(&mut self) {
        let now = self.now;
        let mut sends = Vec::new();
        let mut timed_out = Vec::new();
        for (i, t) in self.transactions.iter_mut().enumerate() {
            match t.poll(now) {
                TxPoll::Send => sends.push(i),
                TxPoll::TimedOut => timed_out.push(t.tid),
                TxPoll::Idle => {}
            }
        }
        for i in sends {
            if let Some(t) = self.transactions.get(i) {
                if t.sent > 1 {
                    self.stats.retransmissions += 1;
                }
                let (s, d, c) = (t.source, t.destination, t.request.clone());
                self.push_transmit(s, d, c);
            }
        }
        for tid in timed_out {
            let Some(pos) = self.transactions.iter().position(|t| t.tid == tid) else {
                continue;
            };
            let t = self.transactions.swap_remove(pos);
            match t.kind {
                TxKind::Check { local, remote, .. } => {
                    if t.cancelled {
                        continue;
                    }
                    let newer = self.transactions.iter().any(|o| {
                        matches!(o.kind, TxKind::Check { local: l, remote: r, .. } if l == local && r == remote)
                    });
                    if let Some(p) = self.checklist.get_mut(local, remote)
                        && !newer
                        && !p.triggered
                    {
                        tracing::trace!(dest = %t.destination, "check timed out");
                        p.state = PairState::Failed;
                        p.use_candidate = false;
                    }
                    if self.nominating == Some((local, remote)) && !newer {
                        self.nominating = None;
                    }
                }
                TxKind::Gather { server, .. } => {
                    tracing::debug!(%server, "no answer from STUN server");
                }
                TxKind::Consent { .. } => {}
            }
        }
    }

    fn pace_checks(&mut self) {
        if self.config.lite || self.remote.is_none() || self.now < self.next_check {
            return;
        }
        if self.transactions.len() >= self.config.max_transactions {
            return;
        }
        let ordinary = !self.has_current_selection();
        if let Some((l, r)) = self.checklist.next(ordinary) {
            self.send_check(l, r);
            self.next_check = later(self.now, self.config.ta);
        }
    }

    pub(crate) fn has_current_selection(&self) -> bool {
        self.selected.as_ref().is_some_and(|s| !s.old)
    }

    /// Regular nomination (RFC 8445 §8.1.1): the controlling agent picks the best valid pair
    /// once no better pair is pending, or after `nomination_delay`.
    pub(crate) fn maybe_nominate(&mut self) {
        if self.config.lite
            || self.role != Role::Controlling
            || self.nominating.is_some()
            || self.has_current_selection()
        {
            return;
        }
        let best = self
            .checklist
            .pairs
            .iter()
            .filter(|p| p.state == PairState::Succeeded)
            .max_by_key(|p| p.valid_priority)
            .map(|p| (p.local, p.remote, p.priority));
        let Some((l, r, priority)) = best else {
            self.nominate_at = None;
            return;
        };
        let deadline = *self
            .nominate_at
            .get_or_insert(later(self.now, self.config.nomination_delay));
        let better_pending = self.checklist.pairs.iter().any(|p| {
            p.priority > priority
                && matches!(
                    p.state,
                    PairState::Frozen | PairState::Waiting | PairState::InProgress
                )
        });
        if better_pending && self.now < deadline {
            return;
        }
        tracing::debug!("nominating");
        if let Some(p) = self.checklist.get_mut(l, r) {
            p.use_candidate = true;
        }
        self.nominating = Some((l, r));
        self.checklist.trigger(l, r, true);
        // Nomination is not paced behind ordinary checks.
        self.next_check = self.now;
        self.pace_checks();
    }

    /// Makes pair (local, remote) the selected one if it is better than the current.
    pub(crate) fn select(&mut self, local: usize, remote: usize) {
        let Some(p) = self.checklist.get(local, remote) else {
            return;
        };
        let valid_local = p.valid_local.unwrap_or(local);
        let priority = p.valid_priority.max(p.priority);
        if let Some(s) = &self.selected
            && !s.old
            && !self.consent_failed
            && s.priority >= priority
        {
            return;
        }
        let (Some(l), Some(r)) = (self.locals.get(valid_local), self.remotes.get(remote)) else {
            return;
        };
        let base = self.locals.get(local).map_or(l.base, |h| h.base);
        let sel = Selected {
            local: l.cand.clone(),
            remote: r.clone(),
            base,
            remote_addr: r.address,
            priority,
            old: false,
            last_consent: self.now,
            next_consent: later(self.now, self.consent_interval()),
        };
        tracing::debug!(local = %sel.local.address, remote = %sel.remote_addr, "selected pair");
        self.push_event(IceEvent::SelectedPair {
            local: sel.local.clone(),
            remote: sel.remote.clone(),
            base,
        });
        self.selected = Some(sel);
        self.consent_failed = false;
        if self.old.take().is_some() {
            self.transactions
                .retain(|t| !matches!(t.kind, TxKind::Consent { old: true }));
        }
    }

    fn consent_interval(&mut self) -> Duration {
        let f = 0.8 + 0.4 * self.rng.unit();
        let d = self.config.consent_interval;
        Duration::try_from_secs_f64(d.as_secs_f64() * f).unwrap_or(d)
    }

    /// Consent freshness checks on the selected pair (RFC 7675 §5.1).
    fn run_consent(&mut self) {
        if self.config.lite || self.consent_failed {
            return;
        }
        let Some(sel) = &self.selected else {
            return;
        };
        if self.now < sel.next_consent {
            return;
        }
        let (old, base, dest) = (sel.old, sel.base, sel.remote_addr);
        let interval = self.consent_interval();
        if let Some(s) = &mut self.selected {
            s.next_consent = later(self.now, interval);
        }
        if self.transactions.len() >= self.config.max_transactions {
            self.stats.limited += 1;
            return;
        }
        let host = self
            .locals
            .iter()
            .position(|l| l.base == base && l.cand.kind == CandidateKind::Host);
        let priority = host.map_or(0, |h| self.prflx_priority(h));
        let Some((tid, request)) = self.build_check(false, priority, old) else {
            return;
        };
        self.stats.checks_sent += 1;
        self.transactions.push(Transaction::new(
            tid,
            TxKind::Consent { old },
            base,
            dest,
            request,
            self.now,
            self.config.check_rto,
            self.config.check_rto_max,
            self.config.check_max_transmits.min(4),
            None,
        ));
        self.run_transactions();
    }

    /// Updates gathering and connection states and recomputes the timeout.
    pub(crate) fn after_mutation(&mut self) {
        if self.is_closed() {
            self.timeout = None;
            return;
        }
        if self.gathering == GatheringState::Gathering
            && !self
                .transactions
                .iter()
                .any(|t| matches!(t.kind, TxKind::Gather { .. }))
        {
            self.set_gathering(GatheringState::Complete);
        }
        self.update_state();
        self.timeout = self.compute_timeout();
    }

    fn update_state(&mut self) {
        let now = self.now;
        let cfg = &self.config;
        let checks_running = self
            .transactions
            .iter()
            .any(|t| matches!(t.kind, TxKind::Check { .. }));
        let new = if let Some(sel) = &self.selected {
            let age = now.saturating_duration_since(sel.last_consent);
            if self.consent_failed || age >= cfg.failed_timeout {
                self.consent_failed = true;
                ConnectionState::Failed
            } else if age >= cfg.disconnected_timeout {
                ConnectionState::Disconnected
            } else if self.remote_eoc.is_some()
                && !sel.old
                && self.gathering == GatheringState::Complete
                && !checks_running
                && self.checklist.triggered.is_empty()
            {
                ConnectionState::Completed
            } else {
                ConnectionState::Connected
            }
        } else if self.remote.is_none() && self.checklist.pairs.is_empty() {
            ConnectionState::New
        } else if let Some(eoc) = self.remote_eoc {
            let all_failed = self
                .checklist
                .pairs
                .iter()
                .all(|p| p.state == PairState::Failed);
            let pairs = !self.checklist.pairs.is_empty();
            let done = self.gathering == GatheringState::Complete
                && !checks_running
                && self.checklist.triggered.is_empty();
            if done && all_failed && (pairs || now >= later(eoc, cfg.failed_timeout)) {
                ConnectionState::Failed
            } else {
                ConnectionState::Checking
            }
        } else {
            ConnectionState::Checking
        };
        self.set_state(new);
    }

    fn compute_timeout(&self) -> Option<Instant> {
        let mut t: Option<Instant> = None;
        let mut at = |x: Instant| t = Some(t.map_or(x, |y| y.min(x)));
        for tx in &self.transactions {
            if let Some(x) = tx.timeout() {
                at(x);
            }
        }
        let can_check = !self.config.lite
            && self.remote.is_some()
            && self.transactions.len() < self.config.max_transactions;
        if can_check {
            let ordinary = !self.has_current_selection();
            let work = !self.checklist.triggered.is_empty()
                || (ordinary
                    && self
                        .checklist
                        .pairs
                        .iter()
                        .any(|p| matches!(p.state, PairState::Frozen | PairState::Waiting)));
            if work {
                at(self.next_check.max(self.now));
            }
        }
        if !self.config.lite
            && self.role == Role::Controlling
            && self.nominating.is_none()
            && !self.has_current_selection()
            && let Some(n) = self.nominate_at
        {
            at(n);
        }
        if let Some(sel) = &self.selected {
            if !self.consent_failed {
                if !self.config.lite {
                    at(sel.next_consent);
                }
                match self.state {
                    ConnectionState::Disconnected => {
                        at(later(sel.last_consent, self.config.failed_timeout))
                    }
                    _ => at(later(sel.last_consent, self.config.disconnected_timeout)),
                }
            }
        } else if let Some(eoc) = self.remote_eoc
            && self.checklist.pairs.is_empty()
        {
            at(later(eoc, self.config.failed_timeout));
        }
        t
    }
}
