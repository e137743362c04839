//! Tab completion: what the word at the cursor can be, given what precedes it.
//!
//! - `:` at the start of the line: meta-commands, then their arguments (routers, files);
//! - inside a string argument: router names, that router's interfaces (`.bind("`,
//!   `.interface("`, `capture("PR", "`), VRF names (`.vrf("`), `.topo` files (`topology("`),
//!   stdlib modules (`import "`), show commands (`show("PR", "`);
//! - after `.`: the methods of the type the chain returns (all methods when unknown);
//! - after `module::`: that module's functions;
//! - otherwise: functions, variables, modules and keywords.

use std::path::Path;

use rustyline::completion::Pair;

use super::api_index::ApiIndex;
use super::chain::{chain, chain_router, open_call, string_arg, value_type};
use super::lab_names::LabNames;
use super::lexer::{keywords, significant, tokenize, Kind, Token};
use super::meta_commands;

/// Methods whose first argument names an interface of their router.
const IFACE_METHODS: &[&str] = &[
    "bind",
    "unbind",
    "interface",
    "no_interface",
    "address",
    "no_address",
];
/// Functions whose second argument names an interface of the router in the first.
const IFACE_SECOND: &[&str] = &[
    "capture",
    "peer_router",
    "peer_address",
    "peer_role",
    "subnet_of",
];
/// Functions whose second argument is a vtysh command.
const COMMAND_SECOND: &[&str] = &["show", "vtysh", "expect"];
/// Functions whose first argument is text, not a router: every other one gets router names.
const NOT_A_ROUTER: &[&str] = &[
    "step",
    "explain",
    "note",
    "fail",
    "print",
    "debug",
    "sleep",
    "network_of",
    "wait_until",
];

const SHOW_COMMANDS: &[&str] = &[
    "show ip route",
    "show ip route json",
    "show ip ospf neighbor",
    "show ip ospf neighbor json",
    "show mpls table",
    "show mpls table json",
    "show mpls ldp neighbor",
    "show mpls ldp binding",
    "show bgp summary",
    "show bgp ipv4 vpn",
    "show bgp ipv4 vpn summary json",
    "show running-config",
    "show interface brief",
];

/// Start of the replaced text and the candidates.
pub fn complete(line: &str, pos: usize, api: &ApiIndex, lab: &LabNames) -> (usize, Vec<Pair>) {
    let pos = floor_char_boundary(line, pos);
    let before = &line[..pos];
    if before.trim_start().starts_with(':') {
        return complete_meta(before, lab);
    }
    match tokenize(before).last() {
        Some(t) if t.is_open() && matches!(t.kind, Kind::Str { .. }) => {
            let tokens = significant(before);
            let start = t.start + 1;
            let prefix = &before[start..];
            let words = string_words(&tokens[..tokens.len() - 1], before, prefix, api, lab);
            // Completing inside `"..."` that is already closed must not add a second quote.
            let quote = if line[pos..].starts_with('"') {
                ""
            } else {
                "\""
            };
            (start, finish(words, prefix, quote))
        }
        Some(t) if t.is_open() => (pos, Vec::new()),
        _ => complete_code(before, api, lab),
    }
}

fn floor_char_boundary(s: &str, mut pos: usize) -> usize {
    pos = pos.min(s.len());
    while !s.is_char_boundary(pos) {
        pos -= 1;
    }
    pos
}

/// Candidates whose text starts with `prefix`, sorted, each followed by `suffix` (a closing
/// quote) unless it is a directory.
fn finish(words: Vec<String>, prefix: &str, suffix: &str) -> Vec<Pair> {
    let mut words: Vec<String> = words
        .into_iter()
        .filter(|w| w.starts_with(prefix))
        .collect();
    words.sort();
    words.dedup();
    words
        .into_iter()
        .map(|w| {
            let replacement = if w.ends_with('/') {
                w.clone()
            } else {
                format!("{w}{suffix}")
            };
            Pair {
                display: w,
                replacement,
            }
        })
        .collect()
}

/// What a string argument can be, from the call it is an argument of.
fn string_words(
    tokens: &[Token],
    src: &str,
    prefix: &str,
    api: &ApiIndex,
    lab: &LabNames,
) -> Vec<String> {
    let routers = || lab.router_names().map(str::to_string).collect::<Vec<_>>();
    if tokens.last().is_some_and(|t| t.text(src) == "import") {
        return api.modules().keys().cloned().collect();
    }
    let Some((open, arg)) = open_call(tokens, src) else {
        return Vec::new();
    };
    let Some(name_idx) = open.checked_sub(1) else {
        return Vec::new();
    };
    let name = tokens[name_idx].text(src);
    let before_name = name_idx.checked_sub(1).map(|i| tokens[i].text(src));
    if before_name == Some(".") {
        let links = chain(tokens, src, name_idx - 1);
        let router = chain_router(&links, tokens, src, lab);
        return match name {
            n if IFACE_METHODS.contains(&n) && arg == 0 => {
                let mut ifaces = lab.interfaces(router.as_deref());
                if n != "bind" && n != "unbind" {
                    ifaces.push("lo".into());
                }
                ifaces
            }
            "vrf" | "no_vrf" if arg == 0 => lab.vrf_names(router.as_deref()),
            _ => Vec::new(),
        };
    }
    if before_name == Some("::") {
        let module = name_idx
            .checked_sub(2)
            .map(|i| tokens[i].text(src))
            .unwrap_or_default();
        let param = api
            .module_fn(module, name)
            .and_then(|f| f.params.get(arg).cloned())
            .unwrap_or_default();
        let first_router = string_arg(tokens, src, open, 0);
        return match param.as_str() {
            p if p.contains("iface") => lab.interfaces(first_router.as_deref()),
            p if p.contains("vrf") => lab.vrf_names(first_router.as_deref()),
            _ if arg == 0 => routers(),
            "peer" | "from" | "pe" | "rr" => routers(),
            _ => Vec::new(),
        };
    }
    let first = || string_arg(tokens, src, open, 0);
    match (name, arg) {
        ("topology", 0) => paths(prefix, &["topo"]),
        (n, 1) if IFACE_SECOND.contains(&n) => lab.interfaces(first().as_deref()),
        (n, 1) if COMMAND_SECOND.contains(&n) => show_commands(lab, first().as_deref()),
        ("link", 1) => routers(),
        ("routers", 0) => ["p", "pe", "ce", "rr"].map(String::from).to_vec(),
        ("set_profile", 0) => ["article", "fast"].map(String::from).to_vec(),
        (_, 0) if api.functions().contains(name) && !NOT_A_ROUTER.contains(&name) => routers(),
        _ => Vec::new(),
    }
}

fn show_commands(lab: &LabNames, router: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = SHOW_COMMANDS.iter().map(|s| s.to_string()).collect();
    for vrf in lab.vrf_names(router) {
        out.push(format!("show ip route vrf {vrf}"));
        out.push(format!("show ip route vrf {vrf} json"));
    }
    out
}

/// Files and directories under the prefix's directory; files only with one of `extensions`.
fn paths(prefix: &str, extensions: &[&str]) -> Vec<String> {
    let (dir, _) = prefix.rsplit_once('/').unwrap_or(("", prefix));
    let dir_prefix = if prefix.contains('/') {
        format!("{dir}/")
    } else {
        String::new()
    };
    let read_from = if dir_prefix.is_empty() {
        Path::new(".")
    } else if dir.is_empty() {
        Path::new("/")
    } else {
        Path::new(dir)
    };
    let Ok(entries) = std::fs::read_dir(read_from) else {
        return Vec::new();
    };
    let show_hidden = prefix.rsplit('/').next().unwrap_or("").starts_with('.');
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') && !show_hidden {
                return None;
            }
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            let wanted = is_dir
                || extensions.is_empty()
                || Path::new(&name)
                    .extension()
                    .is_some_and(|x| extensions.iter().any(|e| x == *e));
            wanted.then(|| format!("{dir_prefix}{name}{}", if is_dir { "/" } else { "" }))
        })
        .collect()
}

/// An identifier (or nothing) at the cursor in Rhai code.
fn complete_code(before: &str, api: &ApiIndex, lab: &LabNames) -> (usize, Vec<Pair>) {
    let tokens = significant(before);
    let (start, prefix, prev) = match tokens.last() {
        Some(t) if matches!(t.kind, Kind::Ident | Kind::Keyword) && t.end == before.len() => {
            (t.start, t.text(before), tokens.len() - 1)
        }
        _ => (before.len(), "", tokens.len()),
    };
    let prev_text = prev.checked_sub(1).map(|i| tokens[i].text(before));
    let mut words: Vec<(String, &str)> = Vec::new();
    match prev_text {
        Some(".") => {
            let links = chain(&tokens, before, prev - 1);
            let ty = value_type(&links, api, lab);
            let mut methods = api.methods(ty.as_deref());
            if methods.is_empty() {
                methods = api.methods(None);
            }
            for (name, property) in methods {
                words.push((name.to_string(), if property { "" } else { "(" }));
            }
        }
        Some("::") => {
            let module = prev
                .checked_sub(2)
                .map(|i| tokens[i].text(before))
                .unwrap_or_default();
            for f in api.modules().get(module).into_iter().flatten() {
                words.push((f.name.clone(), "("));
            }
        }
        _ if prefix.is_empty() => {}
        _ => {
            for f in api.functions() {
                words.push((f.to_string(), "("));
            }
            for v in &lab.variables {
                words.push((v.name.clone(), ""));
            }
            for m in api.modules().keys() {
                words.push((m.clone(), "::"));
            }
            for k in keywords() {
                words.push((k.to_string(), ""));
            }
        }
    }
    words.retain(|(w, _)| w.starts_with(prefix));
    words.sort();
    words.dedup_by(|a, b| a.0 == b.0);
    let pairs = words
        .into_iter()
        .map(|(w, suffix)| Pair {
            replacement: format!("{w}{suffix}"),
            display: w,
        })
        .collect();
    (start, pairs)
}

/// `:name args`: the command name, then what each command takes.
fn complete_meta(before: &str, lab: &LabNames) -> (usize, Vec<Pair>) {
    let lead = before.len() - before.trim_start().len();
    let text = &before[lead..];
    let word_start = text
        .rfind(char::is_whitespace)
        .map_or(lead, |i| lead + i + 1);
    let prefix = &before[word_start..];
    let words: Vec<&str> = text.split_whitespace().collect();
    let in_first = word_start == lead;
    if in_first {
        let names = meta_commands::COMMANDS
            .iter()
            .map(|c| c.name.to_string())
            .collect();
        return (word_start, finish(names, prefix, " "));
    }
    // Which argument the cursor is in: words already complete before it.
    let arg = words.len() - if prefix.is_empty() { 1 } else { 2 };
    let routers = || lab.router_names().map(str::to_string).collect::<Vec<_>>();
    let candidates = match (words[0], arg) {
        (":load", 0) => paths(prefix, &["rhai"]),
        (":show", 0) | (":plan", 0) | (":status", 0) => routers(),
        (":show", 1) => ["ip", "mpls", "bgp", "running-config", "interface", "vrf"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        (":auto", 0) | (":verbose", 0) => vec!["on".into(), "off".into()],
        _ => Vec::new(),
    };
    (word_start, finish(candidates, prefix, " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> LabNames {
        LabNames {
            routers: vec![
                ("PR".into(), vec!["eth0".into(), "eth1".into()]),
                (
                    "PE1".into(),
                    vec!["eth0".into(), "eth1".into(), "eth2".into()],
                ),
                ("PE2".into(), vec!["eth0".into(), "eth1".into()]),
            ],
            vrfs: [("PE1".to_string(), vec!["CUSTA".to_string()])].into(),
            variables: vec![super::super::lab_names::Variable {
                name: "pe".into(),
                type_name: "Router".into(),
                router: Some("PE1".into()),
            }],
        }
    }

    fn api() -> ApiIndex {
        ApiIndex::of_plan_engine()
    }

    fn words(line: &str) -> Vec<String> {
        complete(line, line.len(), &api(), &lab())
            .1
            .into_iter()
            .map(|p| p.display)
            .collect()
    }

    #[test]
    fn router_names_in_router_calls() {
        assert_eq!(words("router(\"P"), ["PE1", "PE2", "PR"]);
        let (start, pairs) = complete("x = router(\"PE1", 15, &api(), &lab());
        assert_eq!(start, 12);
        assert_eq!(pairs[0].replacement, "PE1\"");
    }

    #[test]
    fn interfaces_of_the_chain_router() {
        assert_eq!(
            words("router(\"PE1\").vrf(\"CUSTA\", 10).bind(\""),
            ["eth0", "eth1", "eth2"]
        );
        assert_eq!(words("router(\"PR\").interface(\"e"), ["eth0", "eth1"]);
        assert_eq!(words("pe.interface(\"eth2"), ["eth2"]);
        assert_eq!(words("capture(\"PR\", \""), ["eth0", "eth1"]);
    }

    #[test]
    fn vrfs_methods_and_functions() {
        assert_eq!(words("router(\"PE2\").vrf(\""), ["CUSTA"]);
        let methods = words("router(\"PE1\").vr");
        assert!(methods.contains(&"vrf".to_string()), "{methods:?}");
        let vrf_methods = words("router(\"PE1\").vrf(\"CUSTA\").");
        assert!(vrf_methods.contains(&"bind".to_string()));
        assert!(!vrf_methods.contains(&"addresses".to_string()));
        assert!(words("pe.addr").contains(&"addresses".to_string()));
        assert!(words("topo").contains(&"topology".to_string()));
        assert!(words("p").contains(&"pe".to_string()));
    }

    #[test]
    fn text_arguments_get_no_router_names() {
        assert!(words("step(\"").is_empty());
        assert_eq!(words("routers(\"p"), ["p", "pe"]);
        let (_, pairs) = complete("router(\"PR\")", 10, &api(), &lab());
        assert_eq!(pairs[0].replacement, "PR");
    }

    #[test]
    fn meta_commands_and_their_arguments() {
        let m = words(":s");
        assert!(m.contains(&":show".to_string()) && m.contains(&":status".to_string()));
        assert_eq!(words(":show P"), ["PE1", "PE2", "PR"]);
        assert_eq!(words(":auto o"), ["off", "on"]);
    }

    #[test]
    fn odd_positions_do_not_panic() {
        let a = api();
        let l = lab();
        for line in [
            "",
            ":",
            "é\"",
            "\"",
            ".",
            "::",
            "((\"",
            "a.b.c(",
            ":show  ",
            "router(\"é",
        ] {
            for pos in 0..=line.len() + 2 {
                let _ = complete(line, pos, &a, &l);
            }
        }
    }
}
