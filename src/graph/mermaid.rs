//! Mermaid flowchart, for Markdown that renders it (GitHub, GitLab, many wikis).
//!
//! Mermaid has no labels at the ends of a line, so a link's label names both ends with their
//! router, one per line, around the segment. Node ids are `r<N>`/`n<N>` because router names
//! may hold `-` and `.`, which Mermaid would read as edge syntax.

use super::style::{role_colors, vrf_color, BUS_COLORS, PLAIN_LINE};
use super::{Diagram, End, Vertex};
use crate::topology::Role;

pub fn render(d: &Diagram) -> String {
    let mut out = vec![
        "---".to_string(),
        format!("title: lab {}", d.lab),
        "---".to_string(),
        "flowchart LR".to_string(),
    ];
    for (i, r) in d.routers.iter().enumerate() {
        let lo = r
            .loopbacks()
            .map(|l| format!(" · lo {l}"))
            .unwrap_or_default();
        let text = quote(&format!("{}<br/>{}{lo}", r.name, r.role.as_str()));
        let shape = match r.role {
            Role::P => format!("[{text}]"),
            Role::Pe => format!("[[{text}]]"),
            Role::Ce => format!("([{text}])"),
            Role::Rr => format!("{{{{{text}}}}}"),
        };
        out.push(format!("  r{i}{shape}"));
    }
    for (i, b) in d.buses.iter().enumerate() {
        out.push(format!(
            "  n{i}(({}))",
            quote(&format!("{}<br/>{}", b.name, b.subnets()))
        ));
    }
    let vrfs = d.vrfs();
    let mut link_styles = Vec::new();
    for (n, e) in d.edges.iter().enumerate() {
        let mut lines: Vec<String> = Vec::new();
        lines.extend(end_line(d, &e.ends[0]));
        lines.extend(e.middle_label());
        lines.extend(end_line(d, &e.ends[1]));
        out.push(format!(
            "  {} ---|{}| {}",
            id(e.ends[0].vertex),
            quote(&lines.join("<br/>")),
            id(e.ends[1].vertex)
        ));
        let color = e
            .vrf()
            .and_then(|v| vrfs.iter().position(|name| *name == v))
            .map_or(PLAIN_LINE, vrf_color);
        link_styles.push(format!("  linkStyle {n} stroke:{color},stroke-width:2px"));
    }
    for pw in &d.pseudowires {
        out.push(format!(
            "  r{} -.-|{}| r{}",
            pw.ends[0],
            quote(&pw.label()),
            pw.ends[1]
        ));
    }
    out.extend(link_styles);
    for role in [Role::P, Role::Pe, Role::Ce, Role::Rr] {
        let (fill, stroke) = role_colors(role);
        out.push(format!(
            "  classDef {} fill:{fill},stroke:{stroke},color:#111827",
            role.as_str()
        ));
        let members: Vec<String> = d
            .routers
            .iter()
            .enumerate()
            .filter(|(_, r)| r.role == role)
            .map(|(i, _)| format!("r{i}"))
            .collect();
        if !members.is_empty() {
            out.push(format!("  class {} {}", members.join(","), role.as_str()));
        }
    }
    if !d.buses.is_empty() {
        let (fill, stroke) = BUS_COLORS;
        out.push(format!(
            "  classDef network fill:{fill},stroke:{stroke},stroke-dasharray:4 3"
        ));
        let ids: Vec<String> = (0..d.buses.len()).map(|i| format!("n{i}")).collect();
        out.push(format!("  class {} network", ids.join(",")));
    }
    out.join("\n") + "\n"
}

fn id(v: Vertex) -> String {
    match v {
        Vertex::Router(i) => format!("r{i}"),
        Vertex::Bus(i) => format!("n{i}"),
    }
}

/// `PE1 eth1 (CUSTA) 172.16.1.254`; nothing for the bus side of a bus edge.
fn end_line(d: &Diagram, end: &End) -> Option<String> {
    let p = end.port.as_ref()?;
    Some(format!(
        "{} {} {}",
        d.name(end.vertex),
        p.name_label(),
        p.addresses()
    ))
}

/// A quoted Mermaid label; `"` would end it, so it becomes Mermaid's entity.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "#quot;"))
}
