//! The check list: candidate pairs, their states, ordering, the frozen algorithm and the
//! triggered-check queue (RFC 8445 §6.1.2, §6.1.4, §7.2.5.3).

use std::collections::VecDeque;
use std::time::Instant;

use crate::candidate::pair_priority;

/// State of a candidate pair (RFC 8445 §6.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairState {
    /// Not checked yet; waits for a pair with the same foundation to succeed.
    Frozen,
    /// Ready to be checked when its turn comes.
    Waiting,
    /// A check is in flight.
    InProgress,
    /// A check succeeded: the pair (or the valid pair it produced) is usable.
    Succeeded,
    /// Checks failed.
    Failed,
}

/// A candidate pair: a local host candidate (the base we send from) and a remote candidate,
/// referenced by index into the agent's candidate lists.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub local: usize,
    pub remote: usize,
    pub state: PairState,
    /// Pair priority for the current role (RFC 8445 §6.1.2.3).
    pub priority: u64,
    /// Foundation of the pair: local and remote foundations.
    pub foundation: (String, String),
    /// The local candidate of the valid pair a success produced (RFC 8445 §7.2.5.3.2): the
    /// host itself, a server-reflexive or a peer-reflexive candidate.
    pub valid_local: Option<usize>,
    /// Priority of that valid pair.
    pub valid_priority: u64,
    /// Nominated (RFC 8445 §8.1.1).
    pub nominated: bool,
    /// Controlled side: the peer sent USE-CANDIDATE before our check succeeded
    /// (RFC 8445 §7.3.1.5): nominate when it does.
    pub nominate_on_success: bool,
    /// Controlling side: the next check carries USE-CANDIDATE.
    pub use_candidate: bool,
    /// In the triggered-check queue.
    pub triggered: bool,
    /// Last response received on this 5-tuple (consent, RFC 7675).
    pub last_response: Option<Instant>,
}

/// Pairs, the triggered queue, and the limits.
#[derive(Debug, Default)]
pub(crate) struct CheckList {
    pub pairs: Vec<Pair>,
    pub triggered: VecDeque<(usize, usize)>,
}

impl CheckList {
    pub fn clear(&mut self) {
        self.pairs.clear();
        self.triggered.clear();
    }

    pub fn find(&self, local: usize, remote: usize) -> Option<usize> {
        self.pairs
            .iter()
            .position(|p| p.local == local && p.remote == remote)
    }

    pub fn get_mut(&mut self, local: usize, remote: usize) -> Option<&mut Pair> {
        self.pairs
            .iter_mut()
            .find(|p| p.local == local && p.remote == remote)
    }

    pub fn get(&self, local: usize, remote: usize) -> Option<&Pair> {
        self.pairs
            .iter()
            .find(|p| p.local == local && p.remote == remote)
    }

    /// Adds a pair unless it exists; at `max` pairs, replaces the lowest-priority Frozen or
    /// Waiting pair if the new one is better (RFC 8445 §6.1.2.5), else drops it. Returns
    /// whether the pair is now in the list.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        local: usize,
        remote: usize,
        local_prio: u32,
        remote_prio: u32,
        controlling: bool,
        foundation: (String, String),
        max: usize,
    ) -> bool {
        if self.find(local, remote).is_some() {
            return true;
        }
        let priority = prio(local_prio, remote_prio, controlling);
        // Frozen unless another pair with this foundation is already further along
        // (RFC 8445 §6.1.2.6): then Waiting.
        let state = if self
            .pairs
            .iter()
            .any(|p| p.foundation == foundation && p.state == PairState::Succeeded)
            || !self.pairs.iter().any(|p| p.foundation == foundation)
        {
            PairState::Waiting
        } else {
            PairState::Frozen
        };
        let pair = Pair {
            local,
            remote,
            state,
            priority,
            foundation,
            valid_local: None,
            valid_priority: 0,
            nominated: false,
            nominate_on_success: false,
            use_candidate: false,
            triggered: false,
            last_response: None,
        };
        if self.pairs.len() < max {
            self.pairs.push(pair);
            return true;
        }
        let victim = self
            .pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                matches!(
                    p.state,
                    PairState::Frozen | PairState::Waiting | PairState::Failed
                ) && !p.triggered
            })
            .min_by_key(|(_, p)| p.priority)
            .map(|(i, p)| (i, p.priority));
        match victim {
            Some((i, worst)) if worst < priority => {
                if let Some(slot) = self.pairs.get_mut(i) {
                    *slot = pair;
                }
                true
            }
            _ => false,
        }
    }

    /// Queues a triggered check on a pair (RFC 8445 §7.3.1.4), at the front for a
    /// nomination.
    pub fn trigger(&mut self, local: usize, remote: usize, front: bool) {
        if let Some(p) = self.get_mut(local, remote) {
            if p.triggered {
                return;
            }
            p.triggered = true;
            if p.state != PairState::Succeeded {
                p.state = PairState::Waiting;
            }
            if front {
                self.triggered.push_front((local, remote));
            } else {
                self.triggered.push_back((local, remote));
            }
        }
    }

    /// The next pair to check (RFC 8445 §6.1.4.2): the head of the triggered queue, else
    /// the highest-priority Waiting pair, else the highest-priority Frozen pair (unfrozen).
    pub fn next(&mut self, ordinary: bool) -> Option<(usize, usize)> {
        while let Some((l, r)) = self.triggered.pop_front() {
            if let Some(p) = self.get_mut(l, r) {
                p.triggered = false;
                return Some((l, r));
            }
        }
        if !ordinary {
            return None;
        }
        let best = |state: PairState, pairs: &[Pair]| {
            pairs
                .iter()
                .filter(|p| p.state == state)
                .max_by_key(|p| p.priority)
                .map(|p| (p.local, p.remote))
        };
        best(PairState::Waiting, &self.pairs).or_else(|| best(PairState::Frozen, &self.pairs))
    }

    /// After a success, unfreeze the pairs that share its foundation (RFC 8445 §7.2.5.3.3).
    pub fn unfreeze(&mut self, foundation: &(String, String)) {
        for p in &mut self.pairs {
            if p.state == PairState::Frozen && &p.foundation == foundation {
                p.state = PairState::Waiting;
            }
        }
    }
}

/// Pair priority from the local agent's point of view.
pub(crate) fn prio(local: u32, remote: u32, controlling: bool) -> u64 {
    if controlling {
        pair_priority(local, remote)
    } else {
        pair_priority(remote, local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(a: &str) -> (String, String) {
        (a.to_string(), "r".to_string())
    }

    #[test]
    fn frozen_and_order() {
        let mut cl = CheckList::default();
        assert!(cl.add(0, 0, 100, 100, true, f("a"), 10));
        assert!(cl.add(0, 1, 200, 200, true, f("a"), 10));
        assert!(cl.add(1, 0, 50, 50, true, f("b"), 10));
        assert_eq!(cl.get(0, 0).unwrap().state, PairState::Waiting);
        assert_eq!(cl.get(0, 1).unwrap().state, PairState::Frozen);
        assert_eq!(cl.get(1, 0).unwrap().state, PairState::Waiting);
        // Highest-priority Waiting first.
        assert_eq!(cl.next(true), Some((0, 0)));
        cl.get_mut(0, 0).unwrap().state = PairState::Succeeded;
        cl.get_mut(1, 0).unwrap().state = PairState::InProgress;
        // Only the frozen one is left: it is picked.
        assert_eq!(cl.next(true), Some((0, 1)));
        cl.unfreeze(&f("a"));
        assert_eq!(cl.get(0, 1).unwrap().state, PairState::Waiting);
        // Triggered checks go first.
        cl.trigger(1, 0, false);
        assert_eq!(cl.next(false), Some((1, 0)));
        assert_eq!(cl.next(false), None);
    }

    #[test]
    fn limit_replaces_worst() {
        let mut cl = CheckList::default();
        assert!(cl.add(0, 0, 100, 100, true, f("a"), 2));
        assert!(cl.add(0, 1, 300, 300, true, f("b"), 2));
        assert!(!cl.add(0, 2, 10, 10, true, f("c"), 2));
        assert!(cl.add(0, 3, 200, 200, true, f("d"), 2));
        assert_eq!(cl.pairs.len(), 2);
        assert!(cl.find(0, 0).is_none());
    }
}
