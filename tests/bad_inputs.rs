//! The corpus of bad inputs under tests/bad_inputs/: topologies and scripts that are each
//! wrong in one way. Every one must be refused at plan time with an error that underlines the
//! text at fault; the file's first line says which error (`# error: ...` or `// error: ...`).
//! A new mistake a user made goes here as one more file.

mod common;

use common::*;
use mplsrepl::diagnostic::{Source, SourceError};
use mplsrepl::script::ScriptError;

/// The first error planning `path` gives, or why there is none.
fn first_error(path: &std::path::Path, text: &str) -> Result<SourceError, String> {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    if name.ends_with(".topo") {
        return match mplsrepl::topology::load(&Source::new(name, text)) {
            Ok(_) => Err("accepted".into()),
            Err(errors) => Ok(errors.0[0].clone()),
        };
    }
    match plan_text(path.parent().unwrap(), &name, text).0 {
        Ok(_) => Err("accepted".into()),
        Err(ScriptError::At(e)) => Ok(*e),
        Err(other) => Err(format!("refused without a location: {other}")),
    }
}

#[test]
fn every_bad_input_is_refused_with_its_text_underlined() {
    let dir = root().join("tests/bad_inputs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "the corpus is all there: {}",
        files.len()
    );
    let mut problems = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let Some(expected) = first
            .strip_prefix("# error: ")
            .or_else(|| first.strip_prefix("// error: "))
        else {
            problems.push(format!("{}: no `error:` line first", path.display()));
            continue;
        };
        match first_error(path, &text) {
            Err(why) => problems.push(format!("{}: {why}", path.display())),
            Ok(e) => {
                let underlined = e.spanned_text().trim();
                if !e.message.contains(expected) {
                    problems.push(format!(
                        "{}: expected `{expected}`, got `{}`",
                        path.display(),
                        e.message
                    ));
                } else if underlined.is_empty() || e.line_col().0 < 2 {
                    problems.push(format!(
                        "{}: nothing underlined ({:?} at {:?})",
                        path.display(),
                        e.spanned_text(),
                        e.line_col()
                    ));
                } else if !e.render(false).contains(&format!(
                    "{}:{}:",
                    e.line_col().0,
                    e.line_col().1
                )) {
                    problems.push(format!("{}: the rendering has no location", path.display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A topology generated on one long line: an error past column 65535 is shown as an excerpt
/// around its span (the graphical renderer cannot pad that far), not a crash.
#[test]
fn an_error_past_column_65535_is_shown_as_an_excerpt() {
    let text = format!(
        "lab long\nrouter R1 p lo 1.1.1.1/32{}bogus\n",
        " ".repeat(70_000)
    );
    let Err(errors) = mplsrepl::topology::load(&Source::new("long.topo", text)) else {
        panic!("accepted");
    };
    let shown = errors.render(false);
    assert!(shown.contains("long.topo:2:70026: "), "{shown}");
    assert!(shown.contains("bogus...\n"), "{shown}");
    assert!(shown.contains("^^^^^"), "{shown}");
}
