//! STUN client transactions over UDP: the retransmission schedule of RFC 8489 §6.2.1 (an RTO
//! that doubles on each retransmission, Rc transmissions, then a final wait for a late
//! response), used for connectivity checks (with the ICE timings of RFC 8445 §14.3),
//! Binding requests to STUN servers and consent checks (RFC 7675).
//!
//! The stun crate is a codec only, so the timers live here.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use stun::TransactionId;

/// What a transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxKind {
    /// A connectivity check on pair (local, remote) of the current check list.
    Check {
        local: usize,
        remote: usize,
        use_candidate: bool,
        controlling: bool,
    },
    /// A consent freshness check on the selected pair; `old` if it belongs to the generation
    /// before an ICE restart (its credentials are the old ones).
    Consent { old: bool },
    /// A Binding request to STUN server `server`, sent from host base `base`.
    Gather {
        base: SocketAddr,
        server: SocketAddr,
    },
}

/// What the timer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxPoll {
    /// Nothing due.
    Idle,
    /// (Re)send the request now.
    Send,
    /// No response after the last transmission and the final wait.
    TimedOut,
}

/// One outstanding request.
#[derive(Debug, Clone)]
pub(crate) struct Transaction {
    pub tid: TransactionId,
    pub kind: TxKind,
    pub source: SocketAddr,
    pub destination: SocketAddr,
    pub request: Vec<u8>,
    next_send: Option<Instant>,
    deadline: Option<Instant>,
    rto: Duration,
    rto_max: Duration,
    sends_left: u32,
    final_wait: Option<Duration>,
    /// Transmissions so far.
    pub sent: u32,
    /// Cancelled (RFC 8445 §7.3.1.4): no more retransmissions, and no response by the
    /// deadline is not a failure; a late response is still accepted.
    pub cancelled: bool,
}

/// `t + d`, saturating at a year ahead instead of panicking on overflow.
pub(crate) fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(365 * 86_400)))
        .unwrap_or(t)
}

impl Transaction {
    /// A transaction whose first transmission is due at `now`. `final_wait` `None` means
    /// "wait one more RTO" after the last transmission.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        tid: TransactionId,
        kind: TxKind,
        source: SocketAddr,
        destination: SocketAddr,
        request: Vec<u8>,
        now: Instant,
        rto: Duration,
        rto_max: Duration,
        transmits: u32,
        final_wait: Option<Duration>,
    ) -> Self {
        Transaction {
            tid,
            kind,
            source,
            destination,
            request,
            next_send: Some(now),
            deadline: None,
            rto,
            rto_max: rto_max.max(rto),
            sends_left: transmits.max(1),
            final_wait,
            sent: 0,
            cancelled: false,
        }
    }

    /// Stops retransmitting but keeps waiting `wait` for a response (RFC 8445 §7.3.1.4).
    pub fn cancel(&mut self, now: Instant, wait: Duration) {
        self.cancelled = true;
        self.next_send = None;
        self.deadline = Some(later(now, wait));
    }

    /// The next instant this transaction needs attention.
    pub fn timeout(&self) -> Option<Instant> {
        self.next_send.or(self.deadline)
    }

    /// Advances the timer to `now`.
    pub fn poll(&mut self, now: Instant) -> TxPoll {
        if let Some(at) = self.next_send {
            if now < at {
                return TxPoll::Idle;
            }
            self.sends_left = self.sends_left.saturating_sub(1);
            self.sent = self.sent.saturating_add(1);
            if self.sends_left > 0 {
                self.next_send = Some(later(now, self.rto));
                self.rto = self
                    .rto
                    .checked_mul(2)
                    .unwrap_or(self.rto_max)
                    .min(self.rto_max);
            } else {
                self.next_send = None;
                self.deadline = Some(later(now, self.final_wait.unwrap_or(self.rto)));
            }
            return TxPoll::Send;
        }
        match self.deadline {
            Some(at) if now >= at => TxPoll::TimedOut,
            _ => TxPoll::Idle,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8489_schedule() {
        // RFC 8489 §6.2.1: RTO 500 ms, Rc 7, Rm 16: sends at 0, 0.5, 1.5, 3.5, 7.5, 15.5,
        // 31.5 s and gives up at 39.5 s.
        let t0 = Instant::now();
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let mut tx = Transaction::new(
            TransactionId([0; 12]),
            TxKind::Consent { old: false },
            a,
            a,
            Vec::new(),
            t0,
            Duration::from_millis(500),
            Duration::from_secs(3600),
            7,
            Some(Duration::from_millis(8000)),
        );
        let mut sends = Vec::new();
        let mut now = t0;
        loop {
            match tx.poll(now) {
                TxPoll::Send => sends.push((now - t0).as_millis()),
                TxPoll::TimedOut => break,
                TxPoll::Idle => now = tx.timeout().unwrap(),
            }
        }
        assert_eq!(sends, vec![0, 500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!((now - t0).as_millis(), 39500);
    }
}
