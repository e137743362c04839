//! Any UTF-8 text run as a Rhai script with the plan backend (no Docker), after the seed
//! topology is loaded: no panic, and every failure is located in the script's text.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mplsrepl::diagnostic::Source;
use mplsrepl::runtime::plan::PlanBackend;
use mplsrepl::script::{Options, ScriptEngine, ScriptError, Session};
use mplsrepl::ui::Reporter;

/// `scripts/`, absolute, and the line that loads the seed lab from it.
fn seed() -> &'static (PathBuf, String) {
    static SEED: OnceLock<(PathBuf, String)> = OnceLock::new();
    SEED.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts");
        let dir = dir.canonicalize().expect("scripts/ next to fuzz/");
        let topo = dir.join("mpls_vpn.topo");
        let line = format!("topology(\"{}\");\n", topo.display());
        (dir, line)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (dir, prefix) = seed();
    let text = format!("{prefix}{input}");
    let (report, _transcript) = Reporter::buffer(true);
    let session = Session::new(Box::new(PlanBackend), report, Options::default());
    let mut engine = ScriptEngine::new(session);
    engine.session.borrow_mut().base_dir = dir.clone();
    let source = Source::new("fuzz.rhai", text.as_str());
    match engine.run_source(&source) {
        Ok(()) | Err(ScriptError::Exit(_)) => {}
        Err(ScriptError::At(e)) => {
            assert_eq!(e.malformed(), None);
            assert!(e.to_string().starts_with("fuzz.rhai:"));
            let _ = e.spanned_text();
            let _ = e.render(false);
        }
        Err(ScriptError::Other(e)) => panic!("a script error without a place: {e:#}"),
    }
});
