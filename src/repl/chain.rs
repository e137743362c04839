//! Reading the call chain left of the cursor: `router("PE1").vrf("CUSTA").bind(` is a call of
//! `bind` on a `Vrf` of router PE1. Completion and hints use this to offer that router's
//! interfaces, or the methods of the type a chain returns.

use super::api_index::ApiIndex;
use super::lab_names::LabNames;
use super::lexer::{Kind, Token};

/// One element of a chain, root first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link<'a> {
    /// `name(...)`; `open` is the token index of its `(`.
    Call {
        name: &'a str,
        open: usize,
    },
    /// `module::name(...)`.
    ModuleCall {
        module: &'a str,
        name: &'a str,
        open: usize,
    },
    Var(&'a str),
}

/// The chain whose last token is `tokens[end - 1]` (significant tokens only).
pub fn chain<'a>(tokens: &[Token], src: &'a str, end: usize) -> Vec<Link<'a>> {
    let mut links = Vec::new();
    let mut i = end;
    while i > 0 {
        let last = &tokens[i - 1];
        if last.text(src) == ")" {
            let Some(open) = matching_open(tokens, src, i - 1) else {
                break;
            };
            let Some(name_tok) = open.checked_sub(1).map(|j| &tokens[j]) else {
                break;
            };
            if name_tok.kind != Kind::Ident {
                break;
            }
            let name = name_tok.text(src);
            i = open - 1;
            if i >= 2 && tokens[i - 1].text(src) == "::" && tokens[i - 2].kind == Kind::Ident {
                links.push(Link::ModuleCall {
                    module: tokens[i - 2].text(src),
                    name,
                    open,
                });
                break;
            }
            links.push(Link::Call { name, open });
        } else if last.kind == Kind::Ident {
            // `a.b` without a call is a property: its type is not tracked.
            if i >= 2 && tokens[i - 2].text(src) == "." {
                return Vec::new();
            }
            links.push(Link::Var(last.text(src)));
            break;
        } else {
            return Vec::new();
        }
        if i > 0 && tokens[i - 1].text(src) == "." {
            i -= 1;
        } else {
            break;
        }
    }
    links.reverse();
    links
}

/// Index of the `(` matching the `)` at `close`.
fn matching_open(tokens: &[Token], src: &str, close: usize) -> Option<usize> {
    let mut depth = 0i32;
    for j in (0..=close).rev() {
        match tokens[j].text(src) {
            ")" | "]" | "}" => depth += 1,
            "(" | "[" | "{" => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

/// The innermost call whose argument list is still open at the end of `tokens`: the index of
/// its `(` and which argument (0-based) the end is in.
pub fn open_call(tokens: &[Token], src: &str) -> Option<(usize, usize)> {
    let mut depth = 0i32;
    let mut commas = 0;
    for j in (0..tokens.len()).rev() {
        match tokens[j].text(src) {
            ")" | "]" | "}" => depth += 1,
            "(" if depth == 0 => return Some((j, commas)),
            "[" | "{" if depth == 0 => return None,
            "(" | "[" | "{" => depth -= 1,
            "," if depth == 0 => commas += 1,
            _ => {}
        }
    }
    None
}

/// The string literal given as argument `n` of the call opened at `open`, if it is one.
pub fn string_arg(tokens: &[Token], src: &str, open: usize, n: usize) -> Option<String> {
    let mut arg = 0;
    let mut depth = 0i32;
    let mut j = open + 1;
    while j < tokens.len() {
        let text = tokens[j].text(src);
        match text {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" if depth == 0 => return None,
            ")" | "]" | "}" => depth -= 1,
            "," if depth == 0 => arg += 1,
            _ if depth == 0 && arg == n => {
                let closed = matches!(tokens[j].kind, Kind::Str { closed: true, .. });
                return closed.then(|| text[1..text.len() - 1].to_string());
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// The handle type a chain evaluates to, when it can be told without running it.
pub fn value_type(links: &[Link], api: &ApiIndex, lab: &LabNames) -> Option<String> {
    let mut ty: Option<String> = None;
    for (i, link) in links.iter().enumerate() {
        ty = match link {
            Link::Var(name) => lab.variable(name).map(|v| v.type_name.clone()),
            Link::ModuleCall { .. } => None,
            Link::Call { name, .. } if i == 0 => api.returns(name, None),
            Link::Call { name, .. } => api
                .returns(name, ty.as_deref())
                .or_else(|| api.returns(name, None)),
        };
    }
    ty
}

/// The router a chain starts from: `router("PE1")...` or a variable holding a handle.
pub fn chain_router(links: &[Link], tokens: &[Token], src: &str, lab: &LabNames) -> Option<String> {
    match links.first()? {
        Link::Call { name, open } if *name == "router" => string_arg(tokens, src, *open, 0),
        Link::Var(name) => lab.variable(name)?.router.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::significant;
    use super::*;

    #[test]
    fn reads_a_chain_back_to_its_root() {
        let src = r#"router("PE1").vrf("A", 10).bind"#;
        let t = significant(src);
        // the chain before the last `.`
        let links = chain(&t, src, t.len() - 2);
        assert_eq!(links.len(), 2);
        assert!(matches!(links[0], Link::Call { name: "router", .. }));
        assert!(matches!(links[1], Link::Call { name: "vrf", .. }));
        let lab = LabNames::default();
        assert_eq!(chain_router(&links, &t, src, &lab).as_deref(), Some("PE1"));
    }

    #[test]
    fn module_calls_and_variables() {
        let src = "x = ospf::core(\"PR\").";
        let t = significant(src);
        let links = chain(&t, src, t.len() - 1);
        assert!(matches!(
            links[0],
            Link::ModuleCall {
                module: "ospf",
                name: "core",
                ..
            }
        ));
        let src = "r.";
        let t = significant(src);
        assert_eq!(chain(&t, src, 1), vec![Link::Var("r")]);
    }

    #[test]
    fn finds_the_open_call_and_argument() {
        let src = r#"capture("PR", "eth"#;
        let t = significant(src);
        let (open, arg) = open_call(&t, src).unwrap();
        assert_eq!(arg, 1);
        assert_eq!(string_arg(&t, src, open, 0).as_deref(), Some("PR"));
        assert!(open_call(&significant("[1, "), "[1, ").is_none());
        assert!(open_call(&significant("f(a)"), "f(a)").is_none());
    }

    #[test]
    fn odd_input_gives_nothing() {
        for src in [")", ").", "().", "((", "\"a\".", "1."] {
            let t = significant(src);
            let _ = chain(&t, src, t.len());
            let _ = open_call(&t, src);
        }
    }
}
