//! Sequence-number and timestamp unwrapping, and the receiver statistics of RFC 3550
//! Appendix A.

use crate::rtcp::ReportBlock;

/// Extends 16-bit RTP sequence numbers to 64 bits.
///
/// Each number is placed at the extended value nearest to the highest one seen so far
/// (within ±32768), so wrap-around in both directions and reordering across a wrap are
/// followed. The first number maps to itself; a packet older than the first one, across a
/// wrap, gets a negative value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeqUnwrapper {
    highest: Option<i64>,
}

impl SeqUnwrapper {
    /// An unwrapper that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The extended value of `seq`.
    pub fn unwrap(&mut self, seq: u16) -> i64 {
        let ext = match self.highest {
            None => i64::from(seq),
            Some(h) => h + i64::from(seq.wrapping_sub(h as u16) as i16),
        };
        if self.highest.is_none_or(|h| ext > h) {
            self.highest = Some(ext);
        }
        ext
    }

    /// The highest extended value seen.
    pub fn highest(&self) -> Option<i64> {
        self.highest
    }
}

/// Extends 32-bit RTP timestamps to 64 bits, like [`SeqUnwrapper`] (nearest within ±2^31).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TsUnwrapper {
    highest: Option<i64>,
}

impl TsUnwrapper {
    /// An unwrapper that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The extended value of `ts`.
    pub fn unwrap(&mut self, ts: u32) -> i64 {
        let ext = match self.highest {
            None => i64::from(ts),
            Some(h) => h + i64::from(ts.wrapping_sub(h as u32) as i32),
        };
        if self.highest.is_none_or(|h| ext > h) {
            self.highest = Some(ext);
        }
        ext
    }

    /// The highest extended value seen.
    pub fn highest(&self) -> Option<i64> {
        self.highest
    }
}

/// RFC 3550 Appendix A.1: a jump of fewer packets than this is a gap, not a restart.
pub const MAX_DROPOUT: u16 = 3000;
/// RFC 3550 Appendix A.1: a step back of fewer packets than this is reordering.
pub const MAX_MISORDER: u16 = 100;
/// RFC 3550 Appendix A.1: sequential packets needed before a source is valid.
pub const MIN_SEQUENTIAL: u16 = 2;

const SEQ_MOD: u32 = 1 << 16;

/// Receiver statistics of one source, per RFC 3550 Appendix A.1 (sequence validity and
/// extension), A.3 (expected, lost, fraction lost) and A.8 (interarrival jitter).
///
/// Time is an argument: the caller gives each packet's arrival time converted to the
/// source's RTP timestamp units (e.g. 90 kHz for video).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiveStats {
    started: bool,
    min_sequential: u16,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u16,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    transit: Option<i64>,
    jitter_q4: u32,
}

impl Default for ReceiveStats {
    fn default() -> Self {
        Self::new()
    }
}

impl ReceiveStats {
    /// Statistics with the RFC's probation of [`MIN_SEQUENTIAL`] packets.
    pub fn new() -> Self {
        Self::with_probation(MIN_SEQUENTIAL)
    }

    /// Statistics that need `min_sequential` in-order packets before counting (0 or 1: count
    /// from the first packet, as WebRTC receivers usually do, since SRTP already
    /// authenticated the source).
    pub fn with_probation(min_sequential: u16) -> Self {
        ReceiveStats {
            started: false,
            min_sequential,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: SEQ_MOD + 1,
            probation: 0,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter_q4: 0,
        }
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// Counts a packet with sequence number `seq` and timestamp `rtp_timestamp` that arrived
    /// at `arrival` (in RTP timestamp units). Returns whether it was counted: packets during
    /// probation and after a large jump (until the source proves it restarted) are not.
    pub fn update(&mut self, seq: u16, rtp_timestamp: u32, arrival: u32) -> bool {
        if !self.started {
            self.started = true;
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
            // Probation 0 and 1 both count the first packet; 1 does it without a wrap.
            self.probation = self.min_sequential.max(1);
        }
        if !self.update_seq(seq) {
            return false;
        }
        // A.8: transit time difference, |D|, and J += (|D| - J) / 16 in Q4 fixed point.
        let transit = i64::from(arrival) - i64::from(rtp_timestamp);
        if let Some(prev) = self.transit {
            // Both are differences of u32 values, so the difference of differences fits in
            // 34 bits; timestamps wrap, so take it modulo 2^32 as a signed value.
            let d = ((transit - prev) as i32).unsigned_abs();
            self.jitter_q4 = self
                .jitter_q4
                .wrapping_add(d)
                .wrapping_sub((self.jitter_q4 + 8) >> 4);
        }
        self.transit = Some(transit);
        true
    }

    /// RFC 3550 A.1 `update_seq`.
    fn update_seq(&mut self, seq: u16) -> bool {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return true;
                }
            } else {
                self.probation = self.min_sequential.saturating_sub(1);
                self.max_seq = seq;
            }
            return false;
        } else if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles += SEQ_MOD;
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) == self.bad_seq {
                // Two sequential packets after a jump: the source restarted.
                self.init_seq(seq);
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
                return false;
            }
        }
        // Else a duplicate or reordered packet: counted, no change to the highest.
        self.received += 1;
        true
    }

    /// Extended highest sequence number received (cycles in the high 16 bits).
    pub fn extended_highest_seq(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets expected: extended highest - base + 1 (A.3).
    pub fn expected(&self) -> u64 {
        if self.received == 0 {
            return 0;
        }
        (u64::from(self.cycles) + u64::from(self.max_seq) + 1)
            .saturating_sub(u64::from(self.base_seq))
    }

    /// Packets counted (duplicates included, as in the RFC).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Cumulative packets lost: expected - received; negative when duplicates outnumber losses.
    pub fn lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// Interarrival jitter in RTP timestamp units.
    pub fn jitter(&self) -> u32 {
        self.jitter_q4 >> 4
    }

    /// A report block for this source, computing the fraction lost since the previous call
    /// (A.3) and starting the next interval. `last_sr` and `delay_since_last_sr` come from
    /// the caller, who tracks sender reports.
    pub fn report_block(
        &mut self,
        ssrc: u32,
        last_sr: u32,
        delay_since_last_sr: u32,
    ) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        ReportBlock {
            ssrc,
            fraction_lost,
            // Clamp to the 24-bit signed field.
            cumulative_lost: self.lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            extended_highest_seq: self.extended_highest_seq(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_unwrapper_follows_wraps_both_ways() {
        let mut u = SeqUnwrapper::new();
        assert_eq!(u.unwrap(65534), 65534);
        assert_eq!(u.unwrap(65535), 65535);
        assert_eq!(u.unwrap(0), 65536);
        assert_eq!(u.unwrap(65533), 65533); // late, before the wrap
        assert_eq!(u.unwrap(2), 65538);
        assert_eq!(u.unwrap(1), 65537); // reordered
        assert_eq!(u.highest(), Some(65538));
        // A jump of 32767 forward is forward; 32768 past that is behind.
        assert_eq!(u.unwrap(2u16.wrapping_add(32767)), 65538 + 32767);
        let mut u = SeqUnwrapper::new();
        assert_eq!(u.unwrap(3), 3);
        assert_eq!(u.unwrap(65530), -6);
        // Many wraps.
        let mut u = SeqUnwrapper::new();
        for i in 0..300_000i64 {
            assert_eq!(u.unwrap(i as u16), i);
        }
    }

    #[test]
    fn ts_unwrapper_follows_wraps_both_ways() {
        let mut u = TsUnwrapper::new();
        assert_eq!(u.unwrap(u32::MAX - 959), i64::from(u32::MAX) - 959);
        assert_eq!(u.unwrap(0), 1 << 32);
        assert_eq!(u.unwrap(u32::MAX), i64::from(u32::MAX));
        assert_eq!(u.unwrap(3000), (1 << 32) + 3000);
        assert_eq!(u.highest(), Some((1 << 32) + 3000));
    }

    fn feed(stats: &mut ReceiveStats, seqs: impl IntoIterator<Item = u16>) {
        for s in seqs {
            stats.update(s, 0, 0);
        }
    }

    #[test]
    fn no_loss() {
        let mut s = ReceiveStats::with_probation(0);
        feed(&mut s, 1..=10);
        assert_eq!((s.expected(), s.received(), s.lost()), (10, 10, 0));
        let b = s.report_block(7, 0, 0);
        assert_eq!((b.ssrc, b.fraction_lost, b.cumulative_lost), (7, 0, 0));
        assert_eq!(b.extended_highest_seq, 10);
    }

    #[test]
    fn two_of_ten_lost_is_fraction_51() {
        let mut s = ReceiveStats::with_probation(0);
        feed(&mut s, (1..=10).filter(|&n| n != 3 && n != 4));
        assert_eq!((s.expected(), s.received(), s.lost()), (10, 8, 2));
        // (2 << 8) / 10 = 51.
        assert_eq!(s.report_block(0, 0, 0).fraction_lost, 51);
        // Next interval: 11..=20 all arrive; the cumulative loss stays, the fraction is 0.
        feed(&mut s, 11..=20);
        let b = s.report_block(0, 0, 0);
        assert_eq!((b.fraction_lost, b.cumulative_lost), (0, 2));
        // Then 21..=24 with 22 lost: 1 of 4 -> 64.
        feed(&mut s, [21, 23, 24]);
        let b = s.report_block(0, 0, 0);
        assert_eq!(
            (b.fraction_lost, b.cumulative_lost, b.extended_highest_seq),
            (64, 3, 24)
        );
    }

    #[test]
    fn duplicates_make_loss_negative_and_fraction_zero() {
        let mut s = ReceiveStats::with_probation(0);
        feed(&mut s, [1, 2, 2, 3]);
        assert_eq!((s.expected(), s.received(), s.lost()), (3, 4, -1));
        let b = s.report_block(0, 0, 0);
        assert_eq!((b.fraction_lost, b.cumulative_lost), (0, -1));
    }

    #[test]
    fn first_packet_zero_is_not_a_wrap() {
        for probation in [0, 1] {
            let mut s = ReceiveStats::with_probation(probation);
            assert!(s.update(0, 0, 0));
            assert_eq!(
                (s.extended_highest_seq(), s.expected(), s.lost()),
                (0, 1, 0)
            );
        }
    }

    #[test]
    fn wrap_counts_a_cycle() {
        let mut s = ReceiveStats::with_probation(0);
        feed(&mut s, (65530..=65535).chain(0..=5));
        assert_eq!(s.extended_highest_seq(), 65536 + 5);
        assert_eq!((s.expected(), s.lost()), (12, 0));
        // A late packet from before the wrap does not go back a cycle.
        feed(&mut s, [65534]);
        assert_eq!(s.extended_highest_seq(), 65536 + 5);
    }

    #[test]
    fn probation_skips_until_two_sequential() {
        let mut s = ReceiveStats::new();
        assert!(!s.update(100, 0, 0));
        assert!(s.update(101, 0, 0));
        assert_eq!((s.expected(), s.received()), (1, 1));
        // A stray packet that is not followed in sequence never validates.
        let mut s = ReceiveStats::new();
        assert!(!s.update(100, 0, 0));
        assert!(!s.update(500, 0, 0));
        assert!(s.update(501, 0, 0));
        assert_eq!(s.extended_highest_seq(), 501);
    }

    #[test]
    fn large_jump_is_ignored_once_then_resyncs() {
        let mut s = ReceiveStats::with_probation(0);
        feed(&mut s, 1..=10);
        assert!(!s.update(20_000, 0, 0));
        assert_eq!(s.extended_highest_seq(), 10);
        // The next in sequence after the jump: the source restarted, statistics restart.
        assert!(s.update(20_001, 0, 0));
        assert_eq!(
            (s.extended_highest_seq(), s.expected(), s.received()),
            (20_001, 1, 1)
        );
        // A jump below MAX_DROPOUT is just loss.
        feed(&mut s, [20_001 + 2999]);
        assert_eq!(s.lost(), 2998);
    }

    #[test]
    fn jitter_follows_a8() {
        let mut s = ReceiveStats::with_probation(0);
        // 20 ms of 8 kHz audio per packet; arrival alternates 0 and +32 ticks of delay.
        let mut q4 = 0u32;
        let mut float = 0f64;
        for i in 0..60u32 {
            let ts = i * 160;
            let arrival = 1000 + ts + if i % 2 == 1 { 32 } else { 0 };
            s.update(i as u16, ts, arrival);
            if i > 0 {
                q4 = q4 + 32 - ((q4 + 8) >> 4);
                float += (32.0 - float) / 16.0;
            }
            assert_eq!(s.jitter(), q4 >> 4);
            assert!(
                (f64::from(s.jitter()) - float).abs() < 2.0,
                "{i}: {} vs {float}",
                s.jitter()
            );
        }
        // J = 32 (1 - (15/16)^59), about 31.3; the Q4 form of A.8 lags it a little.
        assert_eq!(s.jitter(), 31);
        // First steps by hand: |D| = 32 -> J = 2, then 62/16 = 3.
        let mut s = ReceiveStats::with_probation(0);
        s.update(0, 0, 0);
        s.update(1, 160, 192);
        assert_eq!(s.jitter(), 2);
        s.update(2, 320, 320);
        assert_eq!(s.jitter(), 3);
        // Constant transit: no jitter, whatever the offset.
        let mut s = ReceiveStats::with_probation(0);
        for i in 0..10u32 {
            s.update(i as u16, i * 3000, 77 + i * 3000);
        }
        assert_eq!(s.jitter(), 0);
    }
}
