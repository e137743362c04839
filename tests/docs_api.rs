//! docs/api.md stays true to the scripting API.
//!
//! - Every ```rhai block runs against the seed lab with the plan backend (no Docker): the test
//!   prepends `topology("<repo>/scripts/mpls_vpn.topo");` on the block's first line, so line
//!   numbers in errors are the block's own, and appends `apply();`. An example whose first
//!   line is its own `topology("...")` (a path under scripts/) runs on that lab instead.
//! - A ```frr or ```plan block right after an example lists transcript lines of that example:
//!   every non-empty line, trimmed, must appear in order among the trimmed transcript lines.
//!   (`frr` is for configuration and kernel commands, `plan` for anything else it prints.)
//! - Every ```rhai-error block must fail, with an error whose text contains the ```text block
//!   right after it.
//! - Every function and property the script engine registers, and every function of the
//!   stdlib modules, is named in backticks somewhere in the page.
//!
//! `DOCS_API_SHOW=1 cargo test --test docs_api -- --nocapture` prints every example with its
//! transcript, which is the quickest way to write the ```frr block of a new example.

mod common;

use std::ffi::OsStr;
use std::path::PathBuf;

use common::{plan_text, root};

const DOC: &str = "docs/api.md";

struct Block {
    tag: String,
    body: String,
    /// Line of the opening fence in docs/api.md, for failure messages.
    line: usize,
}

/// The fenced blocks of a markdown text; panics on a fence left open.
fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(tag)) => {
                open = Some(Block {
                    tag: tag.trim().to_string(),
                    body: String::new(),
                    line: index + 1,
                })
            }
            (Some(_), Some("")) => blocks.extend(open.take()),
            (Some(block), _) => {
                block.body.push_str(line);
                block.body.push('\n');
            }
            (None, None) => {}
        }
    }
    if let Some(block) = open {
        panic!("{DOC}:{}: fenced block is never closed", block.line);
    }
    blocks
}

fn doc_text() -> String {
    std::fs::read_to_string(root().join(DOC)).unwrap_or_else(|e| panic!("cannot read {DOC}: {e}"))
}

fn seed_topology() -> PathBuf {
    root().join("scripts/mpls_vpn.topo")
}

/// Evaluate an example as the docs promise: seed topology first (unless the example loads its
/// own), `apply();` last.
fn evaluate(body: &str) -> (Result<(), String>, String) {
    let text = if body.starts_with("topology(") {
        format!("{body}\napply();\n")
    } else {
        let topo = seed_topology().display().to_string();
        format!("topology({topo:?}); {body}\napply();\n")
    };
    let (result, transcript) = plan_text(&root().join("scripts"), "example.rhai", &text);
    // An example may end with exit(0): the script ends there, as a success.
    let result = match result {
        Ok(_) | Err(mplsrepl::script::ScriptError::Exit(0)) => Ok(()),
        Err(e) => Err(e.to_string()),
    };
    (result, transcript)
}

/// The first line of `wanted` that is missing from `transcript`, in order; lines are trimmed.
fn missing_in_order<'a>(wanted: &'a str, transcript: &str) -> Option<&'a str> {
    let mut seen = transcript.lines().map(str::trim);
    wanted
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .find(|&line| !seen.any(|t| t == line))
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    | {l}\n")).collect()
}

#[test]
fn examples_run_and_print_what_the_docs_show() {
    let show = std::env::var_os("DOCS_API_SHOW").is_some();
    let blocks = fenced_blocks(&doc_text());
    let mut failures = Vec::new();
    let (mut examples, mut outputs, mut errors) = (0, 0, 0);
    let mut i = 0;
    while i < blocks.len() {
        let block = &blocks[i];
        let next = blocks.get(i + 1);
        i += 1;
        match block.tag.as_str() {
            "rhai" => {
                examples += 1;
                let (result, transcript) = evaluate(&block.body);
                if show {
                    eprintln!(
                        "--- {DOC}:{}\n{}=>\n{}",
                        block.line, block.body, transcript
                    );
                }
                let out = next.filter(|b| b.tag == "frr" || b.tag == "plan");
                if out.is_some() {
                    i += 1;
                    outputs += 1;
                }
                if let Err(e) = result {
                    failures.push(format!(
                        "{DOC}:{}: example fails: {e}\n  transcript:\n{}",
                        block.line,
                        indent(&transcript)
                    ));
                    continue;
                }
                let Some(out) = out else { continue };
                if out.body.trim().is_empty() {
                    failures.push(format!("{DOC}:{}: empty ```{} block", out.line, out.tag));
                } else if let Some(line) = missing_in_order(&out.body, &transcript) {
                    failures.push(format!(
                        "{DOC}:{}: `{line}` is not in the transcript of the example at line {} \
                         (or not in this order); the transcript is:\n{}",
                        out.line,
                        block.line,
                        indent(&transcript)
                    ));
                }
            }
            "rhai-error" => {
                errors += 1;
                let Some(shown) = next.filter(|b| b.tag == "text") else {
                    failures.push(format!(
                        "{DOC}:{}: show the error in a ```text block right after the example",
                        block.line
                    ));
                    continue;
                };
                i += 1;
                let expected = shown.body.trim();
                match evaluate(&block.body) {
                    (Ok(()), transcript) => failures.push(format!(
                        "{DOC}:{}: error example runs without error; transcript:\n{}",
                        block.line,
                        indent(&transcript)
                    )),
                    (Err(e), _) if expected.is_empty() || !e.contains(expected) => {
                        failures.push(format!(
                            "{DOC}:{}: the error is\n    {e}\n  which does not contain\n    {expected}",
                            shown.line
                        ))
                    }
                    (Err(_), _) => {}
                }
            }
            "frr" | "plan" => failures.push(format!(
                "{DOC}:{}: a ```{} block must follow a ```rhai example",
                block.line, block.tag
            )),
            "text" => failures.push(format!(
                "{DOC}:{}: a ```text block must follow a ```rhai-error example",
                block.line
            )),
            other => failures.push(format!(
                "{DOC}:{}: unknown block tag `{other}` (expected rhai, rhai-error, frr, plan or text)",
                block.line
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) in {DOC}:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(
        examples >= 100 && outputs >= 80 && errors >= 10,
        "too few examples in {DOC}: {examples} examples, {outputs} with output, {errors} errors"
    );
}

/// Every function and property the script engine has registered, by the engine's own account
/// (`get$name` is the property `name`).
fn registered_names() -> Vec<String> {
    let session = mplsrepl::script::Session::new(
        Box::new(mplsrepl::runtime::plan::PlanBackend),
        mplsrepl::ui::Reporter::buffer(false).0,
        Default::default(),
    );
    let engine = mplsrepl::script::ScriptEngine::new(session);
    let mut names: Vec<String> = engine
        .rhai
        .gen_fn_signatures(false)
        .iter()
        .filter(|sig| !mplsrepl::script::stdlib::is_closure(sig))
        .filter_map(|sig| sig.split('(').next())
        .map(|name| {
            let name = name.trim_start_matches("get$").trim_start_matches("set$");
            name.to_string()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_registered_function_is_documented() {
    let doc = doc_text();
    let names = registered_names();
    assert!(
        names.len() >= 80,
        "found only {} registered names: is the engine's list broken?",
        names.len()
    );
    let missing: Vec<&String> = names
        .iter()
        .filter(|name| !doc.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "registered in the script engine but not documented as `NAME` in {DOC}: {missing:?}"
    );
}

#[test]
fn every_stdlib_function_is_documented() {
    let doc = doc_text();
    let mut missing = Vec::new();
    let mut count = 0;
    for entry in std::fs::read_dir(root().join("stdlib")).expect("stdlib exists") {
        let path = entry.unwrap().path();
        if path.extension() != Some(OsStr::new("rhai")) {
            continue;
        }
        let module = path.file_stem().unwrap().to_string_lossy().to_string();
        assert!(
            doc.contains(&format!("import \"{module}\" as {module};")),
            "{DOC} never shows `import \"{module}\" as {module};`"
        );
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let Some(rest) = line.strip_prefix("fn ") else {
                continue;
            };
            let name = rest.split('(').next().unwrap().trim();
            count += 1;
            if !doc.contains(&format!("`{module}::{name}`")) {
                missing.push(format!("{module}::{name}"));
            }
        }
    }
    assert!(count >= 10, "found only {count} stdlib functions");
    assert!(
        missing.is_empty(),
        "stdlib functions not documented as `MODULE::NAME` in {DOC}: {missing:?}"
    );
}

#[test]
fn the_engine_names_functions_methods_and_properties() {
    let names = registered_names();
    for name in ["up", "bind", "name", "router", "vrf"] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    assert_eq!(
        missing_in_order("a\n\n  c\n", "  a\n  b\n    c\n"),
        None,
        "trimmed, in order, gaps allowed"
    );
    assert_eq!(missing_in_order("c\na", "a\nb\nc\n"), Some("a"));
}
