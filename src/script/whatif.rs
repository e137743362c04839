//! What-if experiments on a live lab: snapshots, their diff, `whatif` (change, observe,
//! revert) and `undo` (go back to the previous deployed intent).

use std::time::{Duration, Instant};

use rhai::{Array, Dynamic, Engine, FnPtr, NativeCallContext};

use super::common::{err, RhaiResult, Shared};
use crate::check::snapshot::{commands, diff, summarise, Change, Runs, Snapshot};
use crate::shell_word::shell_word;

/// Read every router's state. In a plan, an empty snapshot.
pub fn take_snapshot(s: &Shared) -> RhaiResult<Snapshot> {
    super::common::settle(s)?;
    let mut snap = Snapshot::default();
    if s.borrow().dry_run() {
        return Ok(snap);
    }
    let routers: Vec<(String, Vec<(String, String)>)> = {
        let sess = s.borrow();
        let lab = sess.deploy.lab().map_err(err)?;
        lab.routers
            .iter()
            .map(|r| {
                let i = sess
                    .deploy
                    .deployed
                    .routers
                    .get(&r.name)
                    .cloned()
                    .unwrap_or_default();
                let vrfs: Vec<String> = i.vrfs.keys().cloned().collect();
                let runs = Runs {
                    ospf: !i.ospf.is_empty(),
                    ldp: i.ldp.is_some(),
                    sr: i.isis.as_ref().is_some_and(|x| x.sr.is_some())
                        || i.ospf.values().any(|o| o.sr.is_some()),
                    bgp: i.bgp.is_some(),
                };
                (r.name.clone(), commands(&vrfs, runs))
            })
            .collect()
    };
    for (router, cmds) in routers {
        // One exec per router: every show in one shell, separated by a marker line.
        let script: Vec<String> = cmds
            .iter()
            .map(|(_, c)| format!("vtysh -c {}; echo; echo '@@mplsrepl@@'", shell_word(c)))
            .collect();
        let argv = vec!["sh".to_string(), "-c".to_string(), script.join("; ")];
        let out = s.borrow_mut().deploy.exec(&router, &argv).map_err(err)?;
        let entries = snap.routers.entry(router.clone()).or_default();
        for ((table, command), section) in cmds.iter().zip(out.stdout.split("@@mplsrepl@@")) {
            if let Ok(json) = crate::frr::json::parse(command, section.trim()) {
                summarise(table, &json, entries);
            }
        }
    }
    Ok(snap)
}

/// Take snapshots until two in a row agree (the lab has converged), or the timeout passes.
pub fn settled_snapshot(s: &Shared, timeout: Duration) -> RhaiResult<(Snapshot, f64)> {
    let start = Instant::now();
    let mut last = take_snapshot(s)?;
    if s.borrow().dry_run() {
        return Ok((last, 0.0));
    }
    loop {
        crate::interrupt::sleep(Duration::from_secs(2)).map_err(err)?;
        let now = take_snapshot(s)?;
        if now == last || start.elapsed() > timeout {
            return Ok((now, start.elapsed().as_secs_f64()));
        }
        last = now;
    }
}

fn changes_to_dynamic(changes: &[Change]) -> RhaiResult<Array> {
    changes.iter().map(rhai::serde::to_dynamic).collect()
}

fn print_changes(s: &Shared, title: &str, changes: &[Change]) {
    if s.borrow().dry_run() {
        return;
    }
    s.borrow_mut().value_shown = true;
    let sess = s.borrow();
    sess.report
        .info(&format!("{title}: {} change(s)", changes.len()));
    for c in changes {
        sess.report.change(&c.to_string());
    }
}

pub fn register(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn("snapshot", move |name: &str| -> RhaiResult<()> {
        super::common::announce(&s, &format!("snapshot {name}"));
        let snap = take_snapshot(&s)?;
        s.borrow_mut().snapshots.insert(name.to_string(), snap);
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("diff", move |a: &str, b: &str| -> RhaiResult<Array> {
        let changes = {
            let sess = s.borrow();
            let get = |n: &str| {
                sess.snapshots
                    .get(n)
                    .cloned()
                    .ok_or_else(|| err(format!("no snapshot named `{n}`")))
            };
            diff(&get(a)?, &get(b)?)
        };
        print_changes(&s, &format!("diff {a} -> {b}"), &changes);
        changes_to_dynamic(&changes)
    });
    let s = shared.clone();
    engine.register_fn("converge", move || -> RhaiResult<f64> {
        let timeout = s.borrow().opts.check_timeout;
        let (_, secs) = settled_snapshot(&s, timeout)?;
        Ok(secs)
    });
    let s = shared.clone();
    engine.register_fn(
        "whatif",
        move |ctx: NativeCallContext, f: FnPtr| -> RhaiResult<Array> { whatif(&s, &ctx, &f) },
    );
    let s = shared.clone();
    engine.register_fn("undo", move || -> RhaiResult<()> {
        s.borrow_mut().deploy.undo().map_err(err)
    });
}

/// Snapshot, run `f` (edits and checks), let the lab converge, show what changed, put the
/// intent back as it was and let the lab converge again.
fn whatif(s: &Shared, ctx: &NativeCallContext, f: &FnPtr) -> RhaiResult<Array> {
    let timeout = s.borrow().opts.check_timeout;
    super::common::announce(s, "what-if: snapshot, change, observe, revert");
    let (before, _) = settled_snapshot(s, timeout)?;
    let intent_before = s.borrow().deploy.desired.clone();
    let outcome: RhaiResult<Dynamic> = f.call_within_context(ctx, ());
    let changes = if outcome.is_ok() {
        super::common::settle(s)?;
        let (after, secs) = settled_snapshot(s, timeout)?;
        let changes = diff(&before, &after);
        print_changes(s, &format!("what-if (settled in {secs:.1} s)"), &changes);
        changes
    } else {
        Vec::new()
    };
    // Revert even when the experiment failed: a what-if never leaves its change behind.
    s.borrow_mut().deploy.desired = intent_before;
    super::common::settle(s)?;
    let (restored, secs) = settled_snapshot(s, timeout)?;
    let residue = diff(&before, &restored);
    if residue.is_empty() {
        let sess = s.borrow();
        if !sess.dry_run() {
            sess.report.info(&format!(
                "reverted: the lab is back as before ({secs:.1} s)"
            ));
        }
    } else {
        print_changes(s, "reverted, but the lab differs from before", &residue);
    }
    outcome.map(drop)?;
    changes_to_dynamic(&changes)
}
