//! A script run on the plan backend: the plan itself, and what a real run learns from it
//! beforehand (the daemons each router needs, each step's plan for `run --step`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::runtime::plan::PlanBackend;
use crate::script::{Options, ScriptEngine, ScriptError, Session};
use crate::ui::Reporter;

/// Evaluate a script with the plan backend, printing into `report`.
pub(crate) fn plan_session(
    path: &Path,
    opts: &Options,
    report: Reporter,
) -> Result<ScriptEngine, ScriptError> {
    let session = Session::new(Box::new(PlanBackend), report, opts.clone());
    let mut engine = ScriptEngine::new(session);
    match engine.run_file(path) {
        // A plan of a script that calls exit() is what it did until then.
        Ok(()) | Err(ScriptError::Exit(_)) => Ok(engine),
        Err(e) => Err(e),
    }
}

/// Daemons each router needs at some step of the script, learnt from a silent dry run.
pub fn daemon_hints(
    path: &Path,
    opts: &Options,
) -> Result<BTreeMap<String, std::collections::BTreeSet<crate::frr::Daemon>>, ScriptError> {
    Ok(dry_run(path, opts)?.0)
}

pub type DaemonHints = BTreeMap<String, std::collections::BTreeSet<crate::frr::Daemon>>;

/// A silent dry run of a script: the daemons each router's final intent needs, and the plan
/// transcript of each step (for `run --step`).
pub fn dry_run(path: &Path, opts: &Options) -> Result<(DaemonHints, Vec<String>), ScriptError> {
    let (report, buf) = Reporter::buffer(true);
    let engine = plan_session(path, opts, report)?;
    let sess = engine.session.borrow();
    let hints = match &sess.deploy.lab {
        Some(lab) => lab
            .routers
            .iter()
            .map(|r| {
                let mut daemons =
                    crate::frr::daemons::needed(r.role, sess.deploy.desired.routers.get(&r.name));
                daemons.extend(sess.deploy.daemons_used.get(&r.name).into_iter().flatten());
                (r.name.clone(), daemons)
            })
            .collect(),
        None => BTreeMap::new(),
    };
    let text = String::from_utf8_lossy(&buf.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    Ok((hints, split_steps(&text)))
}

/// The transcript of each step, without its header.
fn split_steps(transcript: &str) -> Vec<String> {
    let mut steps: Vec<String> = Vec::new();
    for line in transcript.lines() {
        if line.starts_with("== step ") {
            steps.push(String::new());
        } else if let Some(current) = steps.last_mut() {
            if !line.is_empty() {
                current.push_str(line);
                current.push('\n');
            }
        }
    }
    steps
}
