//! What every file of the Rhai API shares: the session handle, the result type, the error, and
//! the two things every check does first (deploy what is pending, name itself in a plan).

use std::cell::RefCell;
use std::rc::Rc;

use rhai::EvalAltResult;

use super::session::Session;

pub type Shared = Rc<RefCell<Session>>;

pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A Rhai runtime error from any error; `{:#}` keeps anyhow's context chain.
pub fn err(e: impl std::fmt::Display) -> Box<EvalAltResult> {
    format!("{e:#}").into()
}

/// Apply pending configuration, so a check observes (and the transcript shows) what the
/// script configured above it.
pub fn settle(s: &Shared) -> RhaiResult<()> {
    s.borrow_mut().deploy.apply().map_err(err)
}

/// Name a check before it runs: in a plan that is all there is; a real run prints only the
/// outcome.
pub fn announce(s: &Shared, what: &str) {
    let sess = s.borrow();
    if sess.dry_run() {
        sess.report.check(what);
    }
}
