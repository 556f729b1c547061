//! Property tests: two agents with arbitrary seeds, roles, latency and loss connect within a
//! bound and agree on the path; pair priorities are the same from both sides.

use std::time::Duration;

use nutshell_ice::{Role, pair_priority};
use proptest::prelude::*;

use crate::support::{Pair, config};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn pair_priority_is_symmetric_and_ordered(g in 1u32..(1 << 31), d in 1u32..(1 << 31)) {
        // Both agents compute the same priority for a pair (RFC 8445 §6.1.2.3): each passes
        // (controlling's, controlled's) in the same order.
        let p = pair_priority(g, d);
        prop_assert_eq!(p >> 32, u64::from(g.min(d)));
        // A higher minimum always wins.
        if g.min(d) > 1 {
            prop_assert!(p > pair_priority(g.min(d) - 1, g.min(d) - 1 + (1 << 30)));
        }
    }

    #[test]
    fn connects_over_lossy_link(
        seed in 0u64..1_000_000,
        same_role in any::<bool>(),
        latency_ms in 0u64..100,
        loss_pct in 0u64..20,
    ) {
        let rb = if same_role { Role::Controlling } else { Role::Controlled };
        let mut p = Pair::loopback(config(Role::Controlling, seed), config(rb, seed + 1));
        p.latency = Duration::from_millis(latency_ms);
        // A seeded LCG decides losses, in both directions.
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        p.drop = Box::new(move |_, _, _| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % 100 < loss_pct
        });
        prop_assert!(p.run_until(Duration::from_secs(20), |p| p.both_connected()), "not connected");
        prop_assert_ne!(p.a.agent.role(), p.b.agent.role());
        let (la, ra) = p.a.agent.selected_tuple().unwrap();
        // Both sides may still be settling nomination on the controlled side; the
        // controlling side's choice is final and mirrors a pair the other side has.
        prop_assert_eq!(ra.port(), 20000);
        prop_assert_eq!(la.port(), 10000);
    }
}
