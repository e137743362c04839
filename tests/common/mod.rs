//! Shared test helpers: golden files and script runs with the plan backend.
#![allow(dead_code)]

pub mod tmux;

use std::path::{Path, PathBuf};

use mplsrepl::runtime::plan::PlanBackend;
use mplsrepl::script::{Options, ScriptEngine, ScriptError, Session};
use mplsrepl::ui::Reporter;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compare with `tests/golden/NAME`; `UPDATE_GOLDEN=1 cargo test` rewrites the file instead.
pub fn assert_golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {} (run with UPDATE_GOLDEN=1)",
            path.display()
        )
    });
    if expected != actual {
        pretty_assertions::assert_eq!(expected, actual, "golden file {} differs", path.display());
    }
}

/// Run a script with the plan backend; returns the engine and the transcript.
pub fn plan_script(path: &Path, opts: Options) -> (Result<ScriptEngine, ScriptError>, String) {
    let (report, buf) = Reporter::buffer(true);
    let session = Session::new(Box::new(PlanBackend), report, opts);
    let mut engine = ScriptEngine::new(session);
    let result = engine.run_file(path);
    let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    (result.map(|_| engine), text)
}

/// Evaluate script text (in the directory of `dir`, for `topology(...)`) with the plan backend.
pub fn plan_text(
    dir: &Path,
    name: &str,
    text: &str,
) -> (Result<ScriptEngine, ScriptError>, String) {
    let (report, buf) = Reporter::buffer(true);
    let session = Session::new(Box::new(PlanBackend), report, Options::default());
    let mut engine = ScriptEngine::new(session);
    engine.session.borrow_mut().base_dir = dir.to_path_buf();
    engine
        .rhai
        .set_module_resolver(mplsrepl::script::stdlib::resolver(dir));
    let source = mplsrepl::diagnostic::Source::new(name, text);
    let result = engine.run_source(&source);
    let out = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    (result.map(|_| engine), out)
}
