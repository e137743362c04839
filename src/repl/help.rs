//! `:help`: the meta-commands, the main API in a few lines, and the stdlib modules with the
//! first sentence of each function's doc comment.

use owo_colors::OwoColorize;

use super::api_index::ApiIndex;
use super::meta_commands::COMMANDS;

/// The API by theme. Hand-written, because a list of 150 overloads teaches nothing; Tab after
/// a `.` lists them all.
const API: &[(&str, &[&str])] = &[
    (
        "lab",
        &[
            "topology(FILE)  up()  down()  apply()  step(TITLE)  lab_name()",
            "routers([ROLE])  set_profile(\"fast\")  link(A, B).down()  link(A, B).up()",
        ],
    ),
    (
        "router",
        &[
            "router(NAME) .addresses() .address(IF, PREFIX) .static_route(PREFIX, NH)",
            ".default_route(NH) .sysctl(KEY, V) .interface(IF)",
        ],
    ),
    (
        "interface",
        &[
            ".interface(IF) .ospf_p2p() .ospf_hello(S) .ospf_dead(S) .ospf_cost(C)",
            ".ospf_passive() .mpls() .down() .up()",
        ],
    ),
    (
        "ospf",
        &[".ospf() .router_id(IP) .network(PREFIX, AREA) .redistribute(PROTO)  .no_ospf()"],
    ),
    (
        "ldp",
        &[".ldp() .router_id(IP) .transport(IP) .interface(IF) .hello(I, H)  .no_ldp()"],
    ),
    (
        "bgp",
        &[
            ".bgp(ASN) .router_id(IP) .neighbor(IP, AS) .update_source(IF) .vpnv4()",
            ".rr_client() .next_hop_self()",
        ],
    ),
    (
        "vrf",
        &[
            ".vrf(NAME, TABLE) .bind(IF) .rd(RD) .rt(RT) .vpn() .redistribute(PROTO)",
            ".static_route(PREFIX, NH) .neighbor(IP, AS)",
        ],
    ),
    (
        "checks",
        &[
            "ping(R, DST)  expect_ping(R, DST[, SRC])  show(R, CMD)  sh(R, CMD)",
            "expect(R, CMD, #{...})  wait_until(WHAT, || ...)  capture(R, IF, FILTER, || ...)",
        ],
    ),
];

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
        "Rhai API (every line is Rhai; its changes are applied when it ends)",
    ));
    for (theme, lines) in API {
        for (i, line) in lines.iter().enumerate() {
            let theme = if i == 0 { theme } else { "" };
            out.push(format!("  {theme:<10} {line}"));
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
    use super::{first_sentence, shorten};

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
