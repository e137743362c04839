//! What break/fix tutorials need beyond checks: a seeded choice (`pick`), a lab state that
//! becomes the start of history (`baseline`), and a line only an instructor sees (`reveal`).

use rhai::{Array, Dynamic, Engine};

use super::common::{err, settle, RhaiResult, Shared};

pub fn register(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn("pick", move |list: Array| -> RhaiResult<Dynamic> {
        if list.is_empty() {
            return Err(err("pick: the list is empty"));
        }
        let sess = s.borrow();
        let seed = sess.opts.seed.unwrap_or(0);
        if !sess.dry_run() {
            sess.report.info(&format!(
                "picked with seed {seed}: `--seed {seed}` picks the same again"
            ));
        }
        Ok(list[choice(seed, list.len())].clone())
    });
    let s = shared.clone();
    engine.register_fn("baseline", move || -> RhaiResult<()> {
        settle(&s)?;
        let mut sess = s.borrow_mut();
        sess.deploy.history.clear();
        sess.snapshots.clear();
        sess.report
            .info("this is the lab's starting point now: undo stops here");
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("reveal", move |text: &str| {
        let sess = s.borrow();
        if sess.opts.reveal {
            sess.report.warn(&format!("revealed: {text}"));
        }
    });
}

/// An index below `n` from `seed`, spread by SplitMix64 so that seeds 1, 2, 3 ... do not walk
/// the list in order; the same seed gives the same index on every machine.
pub fn choice(seed: u64, n: usize) -> usize {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z % n as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::choice;

    #[test]
    fn a_seed_always_picks_the_same_and_seeds_reach_every_entry() {
        assert_eq!(choice(7, 10), choice(7, 10));
        let mut seen = [false; 10];
        for seed in 0..100 {
            seen[choice(seed, 10)] = true;
        }
        assert!(seen.iter().all(|s| *s), "{seen:?}");
    }
}
