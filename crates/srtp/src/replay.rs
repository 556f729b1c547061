//! Replay protection with a sliding window (RFC 3711 §3.3.2, §3.4).

use crate::Error;

/// A sliding window over packet indices: the highest index received and a bitmap of which
/// of the `size` indices up to it were seen. The bitmap is a ring of 64-bit words allocated
/// once, indexed by `index mod size`.
#[derive(Debug, Clone)]
pub(crate) struct ReplayWindow {
    /// `None` until the first packet is accepted.
    highest: Option<u64>,
    bits: Box<[u64]>,
}

impl ReplayWindow {
    /// A window of at least `size` packets (rounded up to a multiple of 64, at least 64).
    pub(crate) fn new(size: usize) -> Self {
        let words = size.div_ceil(64).max(1);
        ReplayWindow {
            highest: None,
            bits: vec![0; words].into_boxed_slice(),
        }
    }

    fn size(&self) -> u64 {
        (self.bits.len() as u64) * 64
    }

    /// The highest index accepted so far.
    pub(crate) fn highest(&self) -> Option<u64> {
        self.highest
    }

    fn slot(&self, index: u64) -> (usize, u64) {
        let bit = index % self.size();
        ((bit / 64) as usize, 1u64 << (bit % 64))
    }

    /// Whether a packet with this index may be accepted (checked before authentication, the
    /// window itself is updated only by [`ReplayWindow::accept`] after it).
    pub(crate) fn check(&self, index: u64) -> Result<(), Error> {
        let Some(highest) = self.highest else {
            return Ok(());
        };
        if index > highest {
            return Ok(());
        }
        if highest - index >= self.size() {
            return Err(Error::TooOld);
        }
        let (word, mask) = self.slot(index);
        match self.bits.get(word) {
            Some(w) if w & mask == 0 => Ok(()),
            _ => Err(Error::Replayed),
        }
    }

    /// Records an authenticated packet (which passed [`ReplayWindow::check`]).
    pub(crate) fn accept(&mut self, index: u64) {
        match self.highest {
            Some(highest) if index > highest => {
                let ahead = index - highest;
                if ahead >= self.size() {
                    self.bits.fill(0);
                } else {
                    // Forget the slots the window slides over.
                    for i in highest + 1..index {
                        let (word, mask) = self.slot(i);
                        if let Some(w) = self.bits.get_mut(word) {
                            *w &= !mask;
                        }
                    }
                }
                self.highest = Some(index);
            }
            Some(_) => {}
            None => {
                self.bits.fill(0);
                self.highest = Some(index);
            }
        }
        let (word, mask) = self.slot(index);
        if let Some(w) = self.bits.get_mut(word) {
            *w |= mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_slides() {
        let mut w = ReplayWindow::new(100);
        assert_eq!(w.size(), 128);
        assert_eq!(w.check(5), Ok(()));
        w.accept(5);
        assert_eq!(w.check(5), Err(Error::Replayed));
        assert_eq!(w.check(4), Ok(()));
        w.accept(4);
        assert_eq!(w.check(4), Err(Error::Replayed));
        w.accept(200);
        assert_eq!(w.check(5), Err(Error::TooOld));
        assert_eq!(w.check(72), Err(Error::TooOld));
        assert_eq!(w.check(73), Ok(()));
        // Slot 200 % 128 = 72 was cleared when the window slid; 5+128 = 133 too.
        assert_eq!(w.check(133), Ok(()));
        assert_eq!(w.check(200), Err(Error::Replayed));
        w.accept(199);
        assert_eq!(w.check(199), Err(Error::Replayed));
        w.accept(10_000);
        assert_eq!(w.check(199), Err(Error::TooOld));
        assert_eq!(w.check(9_999), Ok(()));
        assert_eq!(w.check(10_000), Err(Error::Replayed));
    }
}
