//! `:help`: the meta-commands, the main API in a few lines, and the stdlib modules with the
//! first sentence of each function's doc comment.

use owo_colors::OwoColorize;

use super::api_index::ApiIndex;
use super::meta_commands::COMMANDS;

/// The API reference; its families (`## Router`, `## Ldp`, ...) and their functions (`### `)
/// are what `:help` lists, so the list grows with the API (a test keeps every registered
/// function documented there).
const API_DOC: &str = include_str!("../../docs/api.md");

/// The sections of the reference before the API proper and after it.
const NOT_API: &[&str] = &[
    "A first script",
    "How a script works",
    "The standard library",
];

/// Each family of the API with its functions' names, in the reference's order.
pub fn families() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_code = false;
    for line in API_DOC.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(family) = line.strip_prefix("## ") {
            out.push((family.trim().to_string(), Vec::new()));
            continue;
        }
        let (Some(entry), Some((_, names))) = (line.strip_prefix("### "), out.last_mut()) else {
            continue;
        };
        // "`bfd` (Interface)", "`down` and `up` (Interface)": the names between backticks.
        for name in entry.split('`').skip(1).step_by(2) {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    out.retain(|(family, names)| !names.is_empty() && !NOT_API.contains(&family.as_str()));
    out
}

/// Words packed into lines of at most `width` characters.
fn pack(words: &[String], width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for w in words {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + w.len() > width {
            lines.push(w.clone());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(w);
        }
    }
    lines
}

/// Room for a module function's description before the line gets too long for a terminal.
const DOC_WIDTH: usize = 64;

pub fn render(api: &ApiIndex, color: bool) -> String {
    let title = |t: &str| {
        if color {
            t.bold().to_string()
        } else {
            t.to_string()
        }
    };
    let mut out = vec![title("Meta-commands")];
    for c in COMMANDS {
        let usage = format!("{} {}", c.name, c.args);
        out.push(format!("  {usage:<22} {}", c.help));
    }
    out.push(String::new());
    out.push(title(
        "Rhai API by family (every line is Rhai; its changes are applied when it ends)",
    ));
    out.push(
        "  docs/api.md has each with an example; Tab after `.` lists a handle's methods".into(),
    );
    let all = families();
    let width = all.iter().map(|(f, _)| f.len()).max().unwrap_or(0);
    for (family, names) in &all {
        for (i, line) in pack(names, 76 - width).iter().enumerate() {
            let family = if i == 0 { family.as_str() } else { "" };
            out.push(format!("  {family:<width$} {line}"));
        }
    }
    out.push(String::new());
    out.push(title("Modules (already imported)"));
    for (alias, fns) in api.modules() {
        for f in fns {
            let call = format!("{alias}::{}({})", f.name, f.params.join(", "));
            let doc = shorten(first_sentence(&f.doc), DOC_WIDTH);
            out.push(format!("  {call:<34} {doc}").trim_end().to_string());
        }
    }
    out.push(String::new());
    out.push("Tab completes routers, interfaces, VRFs, methods after `.`, functions after".into());
    out.push("`ospf::` and meta-commands. An open bracket continues on the next line.".into());
    out.push("Ctrl-C stops a running line; Ctrl-D leaves.".into());
    out.join("\n")
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{}…", cut.trim_end())
}

fn first_sentence(doc: &str) -> &str {
    match doc.find(". ") {
        Some(i) => &doc[..=i],
        None => doc,
    }
}

#[cfg(test)]
mod tests {
    use super::{families, first_sentence, pack, shorten};

    #[test]
    fn every_family_of_the_api_is_listed_with_its_functions() {
        let all = families();
        let family = |name: &str| {
            all.iter()
                .find(|(f, _)| f == name)
                .map(|(_, names)| names.clone())
                .unwrap_or_else(|| panic!("no family {name} in {all:?}"))
        };
        for name in [
            "Lifecycle",
            "Router",
            "Ldp",
            "Segment Routing",
            "BFD",
            "L2vpn",
            "Tutorials",
        ] {
            assert!(!family(name).is_empty(), "{name}");
        }
        assert!(
            family("Interface").contains(&"impair".to_string())
                || family("Link").contains(&"impair".to_string())
        );
        assert!(family("Tutorials").contains(&"exercise".to_string()));
        assert!(family("Interface").contains(&"down".to_string()));
        assert!(!all.iter().any(|(f, _)| f == "The standard library"));
    }

    #[test]
    fn names_are_packed_into_lines() {
        let words: Vec<String> = ["ab", "cd", "ef"].iter().map(|s| s.to_string()).collect();
        assert_eq!(pack(&words, 5), vec!["ab cd", "ef"]);
    }

    #[test]
    fn first_sentence_of_a_doc() {
        assert_eq!(first_sentence("Enable OSPF. With fast..."), "Enable OSPF.");
        assert_eq!(first_sentence("No period"), "No period");
        assert_eq!(first_sentence(""), "");
    }

    #[test]
    fn long_docs_are_cut() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
        assert_eq!(shorten("ééééé", 3), "éé…");
    }
}
