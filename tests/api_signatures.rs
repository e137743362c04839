//! The Rhai API as scripts see it: every registered function's name, receiver and parameter
//! types, and return type. Moving a handle's registration to another file must not change a line.

mod common;

use common::assert_golden;
use mplsrepl::runtime::plan::PlanBackend;
use mplsrepl::script::{ScriptEngine, Session};
use mplsrepl::ui::Reporter;

#[test]
fn the_script_api_keeps_its_signatures() {
    let session = Session::new(
        Box::new(PlanBackend),
        Reporter::buffer(false).0,
        Default::default(),
    );
    let engine = ScriptEngine::new(session);
    let mut signatures: Vec<String> = engine
        .rhai
        .gen_fn_signatures(false)
        .iter()
        .filter(|s| !mplsrepl::script::stdlib::is_closure(s))
        .map(|s| without_module_paths(s))
        .collect();
    signatures.sort();
    signatures.dedup();
    assert!(signatures.len() > 100, "{}", signatures.len());
    assert_golden("api/signatures.txt", &(signatures.join("\n") + "\n"));
}

/// `core::result::Result<mplsrepl::script::api::RouterRef, ...>` as `Result<RouterRef, ...>`:
/// which module defines a type is not part of the API.
fn without_module_paths(signature: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let mut chars = signature.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else if c == ':' && chars.peek() == Some(&':') && !word.is_empty() {
            chars.next();
            word.clear();
        } else {
            out.push_str(&word);
            word.clear();
            out.push(c);
        }
    }
    out.push_str(&word);
    out
}
