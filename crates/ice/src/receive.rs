//! Incoming STUN: connectivity checks from the peer (RFC 8445 §7.3) and responses to our
//! requests (§7.2.5, RFC 8489 §6.3 for STUN servers, RFC 7675 for consent).

use std::net::SocketAddr;

use proto::Receive;
use stun::{Attribute, Class, Encoder, Key, Message, MessageType, Method, types};

use crate::agent::{IceAgent, LocalCand};
use crate::candidate::{Candidate, CandidateKind};
use crate::checklist::{PairState, prio};
use crate::stun_client::TxKind;
use crate::{Received, Role};

/// Which generation's credentials a request was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generation {
    Current,
    Old,
}

impl IceAgent {
    pub(crate) fn handle_stun(&mut self, recv: Receive<'_>) -> Received {
        let msg = match Message::decode(recv.contents) {
            Ok(m) => m,
            Err(e) => {
                tracing::trace!(error = %e, "undecodable STUN dropped");
                self.stats.malformed += 1;
                return Received::Dropped;
            }
        };
        if msg.method() != Method::BINDING {
            self.stats.malformed += 1;
            return Received::Dropped;
        }
        match msg.class() {
            Class::Request => self.handle_request(&recv, &msg),
            Class::Success | Class::Error => self.handle_response(&recv, &msg),
            // Binding indications are keepalives (RFC 8445 §11): nothing to do.
            Class::Indication => Received::Stun,
        }
    }

    // ----- requests ------------------------------------------------------------------------

    fn handle_request(&mut self, recv: &Receive<'_>, msg: &Message<'_>) -> Received {
        let Some(Ok(Attribute::Username(username))) = msg.get(types::USERNAME) else {
            self.stats.unknown_username += 1;
            return Received::Dropped;
        };
        let Some((to, _from)) = username.split_once(':') else {
            self.stats.unknown_username += 1;
            return Received::Dropped;
        };
        let generation = if to == self.local.ufrag {
            Generation::Current
        } else if self.old.as_ref().is_some_and(|(l, _)| l.ufrag == to) {
            Generation::Old
        } else {
            self.stats.unknown_username += 1;
            return Received::Dropped;
        };
        let key = match generation {
            Generation::Current => &self.local.key,
            Generation::Old => match &self.old {
                Some((l, _)) => &l.key,
                None => return Received::Dropped,
            },
        };
        if msg.verify(key).is_err() {
            tracing::trace!(source = %recv.source, "check with bad integrity dropped");
            self.stats.bad_integrity += 1;
            return Received::Dropped;
        }
        let key = key.clone();
        // Only our own sockets: a request addressed elsewhere is not ours to answer.
        let Some(local) = self
            .locals
            .iter()
            .position(|l| l.cand.kind == CandidateKind::Host && l.base == recv.destination)
        else {
            self.stats.unmatched += 1;
            return Received::Dropped;
        };
        self.stats.checks_received += 1;

        if generation == Generation::Old {
            // Keep the old selected pair alive until the new generation takes over.
            let matches = self.selected.as_ref().is_some_and(|s| {
                s.old && s.base == recv.destination && s.remote_addr == recv.source
            });
            if matches {
                self.respond(recv, msg, &key, None);
                if self.config.lite
                    && let Some(s) = &mut self.selected
                {
                    s.last_consent = self.now;
                }
            }
            return Received::Stun;
        }

        let mut controlling_attr = None;
        let mut controlled_attr = None;
        let mut priority = None;
        let mut use_candidate = false;
        for a in msg.typed().flatten() {
            match a {
                Attribute::IceControlling(t) => controlling_attr = Some(t),
                Attribute::IceControlled(t) => controlled_attr = Some(t),
                Attribute::Priority(p) => priority = Some(p),
                Attribute::UseCandidate => use_candidate = true,
                _ => {}
            }
        }

        // Role conflict, RFC 8445 §7.3.1.1.
        match (self.role, controlling_attr, controlled_attr) {
            (Role::Controlling, Some(theirs), _) => {
                self.stats.role_conflicts += 1;
                if self.tie_breaker >= theirs && !self.config.lite {
                    self.respond(recv, msg, &key, Some(487));
                    return Received::Stun;
                }
                self.switch_role(Role::Controlled);
            }
            (Role::Controlled, _, Some(theirs)) => {
                self.stats.role_conflicts += 1;
                if self.tie_breaker >= theirs && !self.config.lite {
                    self.switch_role(Role::Controlling);
                } else {
                    self.respond(recv, msg, &key, Some(487));
                    return Received::Stun;
                }
            }
            _ => {}
        }

        self.respond(recv, msg, &key, None);

        // The remote candidate: known, or peer-reflexive (§7.3.1.3).
        let remote = match self.remotes.iter().position(|r| r.address == recv.source) {
            Some(r) => r,
            None => {
                let Some(priority) = priority else {
                    return Received::Stun;
                };
                if self.prflx_remotes >= self.config.max_peer_reflexive
                    || self.remotes.len() >= self.config.max_remote_candidates
                {
                    self.stats.limited += 1;
                    return Received::Stun;
                }
                let foundation = self.rng.ice_string(8);
                let cand = Candidate::new(
                    CandidateKind::PeerReflexive,
                    recv.source,
                    priority,
                    foundation,
                );
                tracing::trace!(address = %recv.source, "peer-reflexive remote candidate");
                self.remotes.push(cand);
                self.prflx_remotes += 1;
                let r = self.remotes.len() - 1;
                self.form_pair(local, r);
                r
            }
        };
        if self.checklist.find(local, remote).is_none() {
            self.form_pair(local, remote);
        }

        if self.config.lite {
            // A lite agent has no checks of its own: the peer's nomination selects the pair
            // (RFC 8445 §7.3.1.5, §8.2).
            if let Some(p) = self.checklist.get_mut(local, remote) {
                p.last_response = Some(self.now);
                if use_candidate {
                    p.state = PairState::Succeeded;
                    p.nominated = true;
                }
            }
            if use_candidate {
                self.select(local, remote);
            }
            self.refresh_consent(recv.destination, recv.source);
            return Received::Stun;
        }

        // Triggered check (§7.3.1.4) unless the pair already succeeded.
        let succeeded = self
            .checklist
            .get(local, remote)
            .is_some_and(|p| p.state == PairState::Succeeded);
        if !succeeded {
            self.checklist.trigger(local, remote, false);
        }
        // Nomination by the controlling peer (§7.3.1.5).
        if use_candidate && self.role == Role::Controlled {
            if let Some(p) = self.checklist.get_mut(local, remote) {
                if p.state == PairState::Succeeded {
                    p.nominated = true;
                } else {
                    p.nominate_on_success = true;
                }
            }
            if succeeded {
                self.select(local, remote);
            }
        }
        Received::Stun
    }

    /// Answers a check: success with XOR-MAPPED-ADDRESS, or an error (487), signed with our
    /// password (RFC 8445 §7.3.1).
    fn respond(&mut self, recv: &Receive<'_>, msg: &Message<'_>, key: &Key, error: Option<u16>) {
        let mut buf = Vec::with_capacity(80);
        let typ = MessageType::BINDING_REQUEST.response(error.is_none());
        let mut enc = Encoder::new(&mut buf, typ, msg.transaction_id());
        let ok = match error {
            None => enc.add(&Attribute::XorMappedAddress(recv.source)).is_ok(),
            Some(code) => enc
                .add(&Attribute::ErrorCode {
                    code,
                    reason: "Role Conflict",
                })
                .is_ok(),
        };
        if !ok {
            return;
        }
        enc.add_integrity(key);
        enc.add_fingerprint();
        let _ = enc.finish();
        self.push_transmit(recv.destination, recv.source, buf);
    }

    pub(crate) fn refresh_consent(&mut self, base: SocketAddr, remote: SocketAddr) {
        let now = self.now;
        if let Some(s) = &mut self.selected
            && s.base == base
            && s.remote_addr == remote
        {
            s.last_consent = now;
        }
    }

    // ----- responses -----------------------------------------------------------------------

    fn handle_response(&mut self, recv: &Receive<'_>, msg: &Message<'_>) -> Received {
        let tid = msg.transaction_id();
        let Some(pos) = self.transactions.iter().position(|t| t.tid == tid) else {
            self.stats.unmatched += 1;
            return Received::Dropped;
        };
        let Some(tx) = self.transactions.get(pos) else {
            return Received::Dropped;
        };
        // Responses must come back on the reverse 5-tuple (RFC 8445 §7.2.5.2.1).
        if tx.destination != recv.source || tx.source != recv.destination {
            self.stats.unmatched += 1;
            return Received::Dropped;
        }
        let kind = tx.kind;
        // Checks and consent are authenticated with the peer's password.
        let key = match kind {
            TxKind::Check { .. } | TxKind::Consent { old: false } => {
                self.remote.as_ref().map(|c| c.key.clone())
            }
            TxKind::Consent { old: true } => self.old.as_ref().map(|(_, r)| r.key.clone()),
            TxKind::Gather { .. } => None,
        };
        if !matches!(kind, TxKind::Gather { .. }) {
            let Some(key) = key else {
                self.stats.unmatched += 1;
                return Received::Dropped;
            };
            if msg.verify(&key).is_err() {
                self.stats.bad_integrity += 1;
                return Received::Dropped;
            }
        }
        self.transactions.swap_remove(pos);
        self.stats.responses_received += 1;

        let mapped = msg.typed().flatten().find_map(|a| match a {
            Attribute::XorMappedAddress(a) | Attribute::MappedAddress(a) => Some(a),
            _ => None,
        });
        let error = msg.typed().flatten().find_map(|a| match a {
            Attribute::ErrorCode { code, .. } => Some(code),
            _ => None,
        });
        let success = msg.class() == Class::Success;
        match kind {
            TxKind::Gather { base, server } => {
                if let (true, Some(mapped)) = (success, mapped) {
                    self.add_srflx(base, server, mapped);
                }
            }
            TxKind::Consent { .. } => {
                if success {
                    self.refresh_consent(recv.destination, recv.source);
                }
            }
            TxKind::Check {
                local,
                remote,
                use_candidate,
                controlling,
            } => {
                if success {
                    self.check_succeeded(local, remote, mapped, use_candidate, controlling);
                    self.refresh_consent(recv.destination, recv.source);
                } else if error == Some(487) {
                    // §7.2.5.1: switch role (unless already done) and retry.
                    self.stats.role_conflicts += 1;
                    let was = if controlling {
                        Role::Controlling
                    } else {
                        Role::Controlled
                    };
                    if self.role == was && !self.config.lite {
                        self.switch_role(match was {
                            Role::Controlling => Role::Controlled,
                            Role::Controlled => Role::Controlling,
                        });
                    }
                    if let Some(p) = self.checklist.get_mut(local, remote) {
                        p.state = PairState::Waiting;
                    }
                    self.checklist.trigger(local, remote, false);
                } else {
                    if let Some(p) = self.checklist.get_mut(local, remote) {
                        p.state = PairState::Failed;
                    }
                    if self.nominating == Some((local, remote)) {
                        self.nominating = None;
                    }
                }
            }
        }
        Received::Stun
    }

    /// A check on (local, remote) succeeded (RFC 8445 §7.2.5.3).
    fn check_succeeded(
        &mut self,
        local: usize,
        remote: usize,
        mapped: Option<SocketAddr>,
        use_candidate: bool,
        controlling: bool,
    ) {
        if self.checklist.get(local, remote).is_none() {
            return;
        }
        // The valid pair's local candidate: the one whose address is the mapped address,
        // or a new peer-reflexive one (§7.2.5.3.1).
        let base = self.locals.get(local).map(|l| l.base);
        let valid_local = match (mapped, base) {
            (Some(m), Some(base)) => {
                match self
                    .locals
                    .iter()
                    .position(|l| l.cand.address == m && l.base == base)
                {
                    Some(i) => i,
                    None if self.locals.len() < self.config.max_local_candidates => {
                        let host_prio = self.prflx_priority(local);
                        let foundation = self.rng.ice_string(8);
                        let mut cand =
                            Candidate::new(CandidateKind::PeerReflexive, m, host_prio, foundation);
                        cand.related_address = Some(base);
                        self.locals.push(LocalCand { cand, base });
                        self.locals.len() - 1
                    }
                    None => {
                        self.stats.limited += 1;
                        local
                    }
                }
            }
            _ => local,
        };
        let controlling_now = self.role == Role::Controlling;
        let vprio = self.locals.get(valid_local).map_or(0, |l| l.cand.priority);
        let rprio = self.remotes.get(remote).map_or(0, |r| r.priority);
        let now = self.now;
        let mut select = false;
        let foundation = {
            let Some(p) = self.checklist.get_mut(local, remote) else {
                return;
            };
            p.state = PairState::Succeeded;
            p.valid_local = Some(valid_local);
            p.valid_priority = prio(vprio, rprio, controlling_now);
            p.last_response = Some(now);
            if use_candidate && controlling && controlling_now {
                p.nominated = true;
                select = true;
            }
            if p.nominate_on_success && !controlling_now {
                p.nominated = true;
                select = true;
            }
            p.foundation.clone()
        };
        tracing::trace!(local, remote, "check succeeded");
        self.checklist.unfreeze(&foundation);
        if select {
            if self.nominating == Some((local, remote)) {
                self.nominating = None;
            }
            self.select(local, remote);
        } else {
            self.maybe_nominate();
        }
    }
}
