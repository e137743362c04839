//! Lab model -> `.topo` text that loads back into the same model.
//!
//! Used where a topology has to be written out rather than copied: a saved lab's `lab.topo`
//! (the model may carry `--lab-name`) and topologies imported from containerlab. Interface
//! names are always written, so the automatic naming rules never come into play; addresses use
//! the `.N` shorthand on /24 and longer subnets, as the seed lab does.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::model::{Lab, SegmentKind};

/// Comments to write with the statements: lines for the top of the file, and a line above a
/// router or a segment, by name.
#[derive(Debug, Clone, Default)]
pub struct Notes {
    pub header: Vec<String>,
    pub routers: BTreeMap<String, String>,
    pub segments: BTreeMap<String, String>,
}

pub fn write(lab: &Lab, notes: &Notes) -> String {
    let mut out = String::new();
    for line in &notes.header {
        let _ = writeln!(out, "# {line}");
    }
    if !notes.header.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "lab {}", lab.name);
    // One image for every router reads as the lab's image; otherwise each router names its own.
    let first = lab.routers.first().and_then(|r| r.image.clone());
    let shared = first.filter(|img| lab.routers.iter().all(|r| r.image.as_ref() == Some(img)));
    if let Some(img) = &shared {
        let _ = writeln!(out, "image \"{img}\"");
    }
    out.push('\n');
    let name_w = lab.routers.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in &lab.routers {
        if let Some(note) = notes.routers.get(&r.name) {
            let _ = writeln!(out, "# {note}");
        }
        let mut extras = String::new();
        match (r.loopback, r.loopback6) {
            (Some(lo), Some(lo6)) => {
                let _ = write!(extras, " lo {lo} {lo6}");
            }
            (Some(lo), None) => {
                let _ = write!(extras, " lo {lo}");
            }
            (None, Some(lo6)) => {
                let _ = write!(extras, " lo {lo6}");
            }
            (None, None) => {}
        }
        if let Some(id) = r.router_id {
            let _ = write!(extras, " id {id}");
        }
        if let Some(n) = r.asn {
            let _ = write!(extras, " as {n}");
        }
        if let Some(n) = r.engine {
            let _ = write!(extras, " engine {n}");
        }
        if let (Some(img), None) = (&r.image, &shared) {
            let _ = write!(extras, " image \"{img}\"");
        }
        // Roles padded to two letters keep the loopbacks in a column, as in the seed lab.
        let role = if r.loopback.is_some() || r.loopback6.is_some() {
            format!("{:<2}", r.role.as_str())
        } else {
            r.role.as_str().to_string()
        };
        let line = format!("router {:<name_w$} {role}{extras}", r.name);
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if !lab.segments.is_empty() {
        out.push('\n');
    }
    for s in &lab.segments {
        if let Some(note) = notes.segments.get(&s.name) {
            let _ = writeln!(out, "# {note}");
        }
        let keyword = match s.kind {
            SegmentKind::Link => "link",
            SegmentKind::Network => "network",
        };
        let ends: Vec<String> = s
            .endpoints
            .iter()
            .map(|e| {
                let mut addr = match (e.address, s.subnet) {
                    (Some(a), Some(net)) if net.prefix_len() >= 24 => format!(".{}", a.octets()[3]),
                    (Some(a), _) => a.to_string(),
                    (None, _) if e.l2vpn.is_some() => {
                        let l2vpn = e.l2vpn.as_deref().unwrap_or_default();
                        return format!("{}:{} l2vpn {l2vpn}", e.router, e.interface);
                    }
                    (None, _) => String::new(),
                };
                if let Some(a6) = e.address6 {
                    if !addr.is_empty() {
                        addr.push(' ');
                    }
                    let _ = write!(addr, "{a6}");
                }
                match &e.vrf {
                    Some(vrf) => format!("{}:{} {addr} vrf {vrf}", e.router, e.interface),
                    None => format!("{}:{} {addr}", e.router, e.interface),
                }
            })
            .collect();
        let subnets = s.subnets();
        let _ = writeln!(
            out,
            "{keyword} {} {subnets} {{ {} }}",
            s.name,
            ends.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Source;

    fn reload(text: &str) -> Lab {
        super::super::load(&Source::new("t.topo", text.to_string()))
            .unwrap_or_else(|e| panic!("{}\n{text}", e.render(false)))
    }

    #[test]
    fn written_labs_load_back_unchanged() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for file in [
            "scripts/mpls_vpn.topo",
            "scripts/overlap.topo",
            "tests/labs/general.topo",
            "tests/labs/dual_stack.topo",
            "scripts/mpls_vpn_srv6.topo",
            "tests/labs/ipv6_only.topo",
        ] {
            let lab = super::super::load_file(&root.join(file)).unwrap();
            assert_eq!(reload(&write(&lab, &Notes::default())), lab, "{file}");
        }
        let text = "lab auto\nimage \"x:1\"\nrouter A p\nrouter B p image \"y:2\"\nrouter C p\n\
                    network lan 10.9.0.0/16 { A .1, B:eth0 .0.2, C .3.3 }\n\
                    link l2 10.8.0.0/24 { A .1, B .2 }\n";
        let lab = reload(text);
        let written = write(&lab, &Notes::default());
        assert!(written.contains("router B p image \"y:2\""), "{written}");
        assert!(written.contains("{ A:eth0 10.9.0.1, B:eth0 10.9.0.2, C:eth0 10.9.3.3 }"));
        assert_eq!(reload(&written), lab);
    }

    #[test]
    fn notes_become_comments() {
        let lab = reload("lab t\nrouter A p\nrouter B ce\nlink ab 10.0.0.0/24 { A .1, B .2 }\n");
        let notes = Notes {
            header: vec!["imported".into()],
            routers: [("B".to_string(), "role guessed".to_string())].into(),
            segments: [("ab".to_string(), "placeholder".to_string())].into(),
        };
        let text = write(&lab, &notes);
        assert!(text.starts_with("# imported\n\nlab t\n"), "{text}");
        assert!(text.contains("# role guessed\nrouter B ce"), "{text}");
        assert!(text.contains("# placeholder\nlink ab"), "{text}");
        assert_eq!(reload(&text), lab);
    }
}
