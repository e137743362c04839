//! A script run on the plan backend: the plan itself, and what a real run learns from it
//! beforehand (the daemons each router needs, each step's plan for `run --step`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::frr::Daemon;
use crate::runtime::plan::PlanBackend;
use crate::script::{Options, ScriptEngine, ScriptError, Session};
use crate::ui::Reporter;

/// A script evaluated on the plan backend.
pub struct Planned {
    pub script: ScriptEngine,
    /// The script called `exit(N)`: the plan is what it did until then, and N its status.
    pub exit: Option<u8>,
}

/// Evaluate a script with the plan backend, printing into `report`.
pub(crate) fn plan_session(
    path: &Path,
    opts: &Options,
    report: Reporter,
) -> Result<Planned, ScriptError> {
    let session = Session::new(Box::new(PlanBackend), report, opts.clone());
    let mut script = ScriptEngine::new(session);
    let exit = match script.run_file(path) {
        Ok(()) => None,
        Err(ScriptError::Exit(code)) => Some(code),
        Err(e) => return Err(e),
    };
    Ok(Planned { script, exit })
}

pub type DaemonHints = BTreeMap<String, BTreeSet<Daemon>>;

/// The daemons each router needs at some step of the script: what its final intent needs, and
/// every daemon an earlier step used (a script may drop a protocol it used).
pub fn planned_daemons(sess: &Session) -> DaemonHints {
    let Some(lab) = &sess.deploy.lab else {
        return BTreeMap::new();
    };
    lab.routers
        .iter()
        .map(|r| {
            let mut daemons =
                crate::frr::daemons::needed(r.role, sess.deploy.desired.routers.get(&r.name));
            daemons.extend(sess.deploy.daemons_used.get(&r.name).into_iter().flatten());
            (r.name.clone(), daemons)
        })
        .collect()
}

/// Each router's daemons in the order its FRR starts them, as a transcript prints them.
pub fn start_order<'a>(
    sess: &'a Session,
    daemons: &'a DaemonHints,
) -> impl Fn(&str) -> String + 'a {
    move |router| {
        let version = sess
            .deploy
            .node_frr
            .get(router)
            .copied()
            .unwrap_or_default();
        let planned = daemons.get(router).cloned().unwrap_or_default();
        crate::frr::daemons::start_order(version, &planned).join(" ")
    }
}

/// A silent dry run of a script: the daemons each router needs, and the plan of each step
/// (for `run --step`).
pub fn dry_run(path: &Path, opts: &Options) -> Result<(DaemonHints, Vec<String>), ScriptError> {
    let (report, transcript) = Reporter::recording(false, true);
    let planned = plan_session(path, opts, report)?;
    let sess = planned.script.session.borrow();
    let hints = planned_daemons(&sess);
    let steps = transcript.steps(&start_order(&sess, &hints));
    Ok((hints, steps))
}
