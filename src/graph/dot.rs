//! Graphviz DOT: `dot -Tsvg lab.dot > lab.svg` when Graphviz is at hand.
//!
//! Interface names and addresses are the edges' tail and head labels, so Graphviz puts them at
//! the right ends; the segment is the edge's own label.

use super::style::{role_colors, vrf_color, BUS_COLORS, PLAIN_LINE};
use super::{Diagram, End, Vertex};
use crate::topology::Role;

pub fn render(d: &Diagram) -> String {
    let mut out = vec![
        format!("graph {} {{", quote(&d.lab)),
        format!(
            "  graph [rankdir=LR, fontname=\"monospace\", labelloc=t, label={}];",
            quote(&format!("lab {}", d.lab))
        ),
        "  node [fontname=\"monospace\", fontsize=11, style=filled, shape=box];".to_string(),
        "  edge [fontname=\"monospace\", fontsize=9];".to_string(),
    ];
    for r in &d.routers {
        let (fill, stroke) = role_colors(r.role);
        let lo = r
            .loopbacks()
            .map(|l| format!(" · lo {l}"))
            .unwrap_or_default();
        let shape = match r.role {
            Role::P => "style=filled",
            Role::Pe => "style=filled, peripheries=2",
            Role::Ce => "style=\"rounded,filled\"",
            Role::Rr => "style=\"dashed,filled\"",
        };
        out.push(format!(
            "  {} [label={}, {shape}, fillcolor=\"{fill}\", color=\"{stroke}\"];",
            quote(&r.name),
            quote(&format!("{}\n{}{lo}", r.name, r.role.as_str()))
        ));
    }
    for b in &d.buses {
        let (fill, stroke) = BUS_COLORS;
        out.push(format!(
            "  {} [label={}, shape=ellipse, fillcolor=\"{fill}\", color=\"{stroke}\"];",
            quote(&bus_id(&b.name)),
            quote(&format!("{}\n{}", b.name, b.subnets()))
        ));
    }
    let vrfs = d.vrfs();
    for e in &d.edges {
        let color = e
            .vrf()
            .and_then(|v| vrfs.iter().position(|n| *n == v))
            .map_or(PLAIN_LINE, vrf_color);
        let mut attrs = vec![format!("color=\"{color}\"")];
        if let Some(label) = e.middle_label() {
            attrs.push(format!("label={}", quote(&label)));
        }
        for (end, key) in e.ends.iter().zip(["taillabel", "headlabel"]) {
            if let Some(p) = &end.port {
                attrs.push(format!(
                    "{key}={}",
                    quote(&format!("{}\n{}", p.name_label(), p.addresses()))
                ));
            }
        }
        out.push(format!(
            "  {} -- {} [{}];",
            quote(&id(d, &e.ends[0])),
            quote(&id(d, &e.ends[1])),
            attrs.join(", ")
        ));
    }
    for pw in &d.pseudowires {
        out.push(format!(
            "  {} -- {} [style=dashed, color=\"{PLAIN_LINE}\", label={}];",
            quote(&d.routers[pw.ends[0]].name),
            quote(&d.routers[pw.ends[1]].name),
            quote(&pw.label())
        ));
    }
    out.push("}".to_string());
    out.join("\n") + "\n"
}

fn id(d: &Diagram, end: &End) -> String {
    match end.vertex {
        Vertex::Router(_) => d.name(end.vertex).to_string(),
        Vertex::Bus(i) => bus_id(&d.buses[i].name),
    }
}

/// Segment and router names may coincide; a prefix keeps a network's node apart.
fn bus_id(name: &str) -> String {
    format!("network:{name}")
}

/// A DOT string: `\n` stays a line break, quotes and backslashes are escaped.
fn quote(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}
