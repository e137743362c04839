//! Checks polled together: `expect`, `expect_ping` and `expect_no_ping` are data (a command
//! in a router and a verdict on its output), so several of them can be polled concurrently,
//! one round of commands at a time, instead of one after the other.
//!
//! Outside `together(|| ...)` a check is a batch of one, so both ways share one code path and
//! print the same lines. Inside, checks are queued and polled when the block ends; statements
//! that are not such checks (`show`, `wait_until`, captures, configuration) run in place.

use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, FnPtr, NativeCallContext};

use super::common::{err, RhaiResult, Shared};
use super::pending_check::{Attempt, PendingCheck};

/// How long to wait between two rounds of a check that does not hold yet. Each round is a
/// vtysh or ping per check inside the routers, whose CPU the protocols being waited for need
/// too: this keeps polling at under half of a slow engine's time.
const RETRY_EVERY: Duration = Duration::from_millis(500);

/// Run the check now, or queue it when inside `together`.
pub fn submit(s: &Shared, check: PendingCheck) -> RhaiResult<()> {
    if let Some(batch) = s.borrow_mut().batch.as_mut() {
        batch.push(check);
        return Ok(());
    }
    poll(s, vec![check])
}

/// Poll the checks in rounds, each round's commands at once, until every one holds; the
/// first to fail (or, at the timeout, the first in script order still waiting) is the error.
pub fn poll(s: &Shared, checks: Vec<PendingCheck>) -> RhaiResult<()> {
    let start = Instant::now();
    let mut waiting = checks;
    while !waiting.is_empty() {
        let commands: Vec<(String, Vec<String>)> = waiting
            .iter()
            .map(|c| (c.router.clone(), c.argv.clone()))
            .collect();
        let outputs =
            super::poll_round::run(&commands, |runs| s.borrow_mut().deploy.exec_all(runs))
                .map_err(err)?;
        let elapsed = start.elapsed();
        let mut still = Vec::new();
        let mut give_up = None;
        for (check, out) in waiting.into_iter().zip(outputs) {
            let verdict = match out {
                Ok(out) => check.attempt(&out, elapsed),
                Err(e) => Attempt::Failed(format!("{e:#}")),
            };
            match verdict {
                Attempt::Holds(detail) => {
                    let line = format!("{}{detail}", check.what);
                    let seconds = elapsed.as_secs_f64();
                    s.borrow_mut().check_passed(&check.what, &line, seconds);
                }
                Attempt::Failed(e) => {
                    give_up.get_or_insert((
                        check.what.clone(),
                        e,
                        check.at,
                        check.router.clone(),
                        check.verdict.clone(),
                    ));
                }
                Attempt::NotYet(e) if elapsed > check.timeout => {
                    give_up.get_or_insert((
                        check.what.clone(),
                        e,
                        check.at,
                        check.router.clone(),
                        check.verdict.clone(),
                    ));
                }
                Attempt::NotYet(_) => still.push(check),
            }
        }
        if let Some((what, mut e, at, router, verdict)) = give_up {
            e.push_str(&super::explain::failed_check(s, &router, &verdict));
            s.borrow_mut()
                .check_failed(&what, &e, elapsed.as_secs_f64(), Some(&router));
            return Err(match at {
                Some(pos) => Box::new(rhai::EvalAltResult::ErrorRuntime(e.into(), pos)),
                None => err(e),
            });
        }
        waiting = still;
        if !waiting.is_empty() {
            crate::interrupt::sleep(RETRY_EVERY).map_err(err)?;
        }
    }
    Ok(())
}

pub fn register(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn(
        "together",
        move |ctx: NativeCallContext, f: FnPtr| -> RhaiResult<()> { together(&s, &ctx, &f) },
    );
}

/// Queue the block's checks, then poll them all at once. A block inside a block joins the
/// outer one. In a plan nothing is queued: each check is printed where it stands.
fn together(s: &Shared, ctx: &NativeCallContext, f: &FnPtr) -> RhaiResult<()> {
    let nested = s.borrow().batch.is_some();
    if nested || s.borrow().dry_run() {
        return f.call_within_context::<Dynamic>(ctx, ()).map(drop);
    }
    s.borrow_mut().batch = Some(Vec::new());
    let body = f.call_within_context::<Dynamic>(ctx, ());
    let queued = s.borrow_mut().batch.take().unwrap_or_default();
    body.map(drop)?;
    poll(s, queued)
}
