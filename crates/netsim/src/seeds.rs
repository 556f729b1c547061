//! Running one test body over many seeds, naming the seed that failed.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

/// Runs `body` once per seed, in order. If it panics (a failed assertion), prints the seed
/// to stderr and re-raises the panic, so the test fails with a seed that replays exactly:
/// run `for_each_seed([that_seed], body)` to debug it.
///
/// ```
/// use std::time::Instant;
/// use nutshell_netsim::{for_each_seed, Network};
/// for_each_seed(0..100, |seed| {
///     let net = Network::new(seed, Instant::now());
///     assert_eq!(net.seed(), seed);
/// });
/// ```
pub fn for_each_seed(seeds: impl IntoIterator<Item = u64>, mut body: impl FnMut(u64)) {
    for seed in seeds {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| body(seed))) {
            eprintln!(
                "netsim: seed {seed} failed; replay it alone with for_each_seed([{seed}], ..)"
            );
            resume_unwind(payload);
        }
    }
}
