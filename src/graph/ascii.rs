//! A compact text sketch: the routers with their roles, then one line per link, core links
//! apart from customer links, then each multi-access network with its members.
//!
//! Each link is written from the customer side towards the core (`CE1 ... PE1`, `PE1 ... PR`),
//! the way the walkthrough reads, and the columns of a group are aligned so the eye can run down
//! the segment names.

use super::{Diagram, Edge, End, Vertex};
use crate::topology::Role;

pub fn render(d: &Diagram) -> String {
    let n_links = d
        .edges
        .iter()
        .filter(|e| e.middle_label().is_some())
        .count();
    let mut out = vec![format!(
        "lab {}: {}, {}, {}",
        d.lab,
        count(d.routers.len(), "router"),
        count(n_links, "link"),
        count(d.buses.len(), "network")
    )];
    out.push("routers".to_string());
    let width = d.routers.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in &d.routers {
        let lo = r
            .loopbacks()
            .map(|l| format!("  lo {l}"))
            .unwrap_or_default();
        out.push(
            format!("  {:<width$}  {:<2}{lo}", r.name, r.role.as_str())
                .trim_end()
                .to_string(),
        );
    }
    let links: Vec<&Edge> = d
        .edges
        .iter()
        .filter(|e| e.middle_label().is_some())
        .collect();
    let touches_ce = |e: &Edge| {
        e.ends
            .iter()
            .any(|end| d.router(end.vertex).is_some_and(|r| r.role == Role::Ce))
    };
    let core: Vec<&Edge> = links.iter().copied().filter(|e| !touches_ce(e)).collect();
    let customer: Vec<&Edge> = links.iter().copied().filter(|e| touches_ce(e)).collect();
    for (title, group) in [("core links", core), ("customer links", customer)] {
        if !group.is_empty() {
            out.push(title.to_string());
            out.extend(link_lines(d, &group));
        }
    }
    if !d.buses.is_empty() {
        out.push("networks".to_string());
    }
    for (i, bus) in d.buses.iter().enumerate() {
        let members: Vec<String> = d
            .edges
            .iter()
            .filter(|e| e.ends[1].vertex == Vertex::Bus(i))
            .map(|e| end_text(d, &e.ends[0], true))
            .collect();
        out.push(format!(
            "  {} {}: {}",
            bus.name,
            bus.subnets(),
            members.join(", ")
        ));
    }
    if !d.pseudowires.is_empty() {
        out.push("pseudowires".to_string());
    }
    for pw in &d.pseudowires {
        out.push(format!(
            "  {} ══[{}]══ {}",
            d.routers[pw.ends[0]].name,
            pw.label(),
            d.routers[pw.ends[1]].name
        ));
    }
    out.join("\n") + "\n"
}

/// `PE1 eth0 10.1.1.2 ──[net1 10.1.1.0/24]── 10.1.1.254 eth0 PR`, aligned within the group.
fn link_lines(d: &Diagram, group: &[&Edge]) -> Vec<String> {
    let rows: Vec<(String, String, String)> = group
        .iter()
        .map(|e| {
            let [outer, inner] = outward_first(d, e);
            (
                end_text(d, outer, true),
                format!("──[{}]──", e.middle_label().unwrap_or_default()),
                end_text(d, inner, false),
            )
        })
        .collect();
    let left = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let middle = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    rows.into_iter()
        .map(|(a, m, b)| {
            let pad = middle - m.chars().count();
            let m = format!("{m}{}", "─".repeat(pad));
            format!("  {a:<left$} {m} {b}")
        })
        .collect()
}

/// The end farther from the core first; in file order between equals.
fn outward_first<'a>(d: &Diagram, e: &'a Edge) -> [&'a End; 2] {
    let rank = |end: &End| match d.router(end.vertex).map(|r| r.role) {
        Some(Role::Ce) => 3,
        Some(Role::Pe) => 2,
        Some(Role::Rr) => 1,
        _ => 0,
    };
    if rank(&e.ends[1]) > rank(&e.ends[0]) {
        [&e.ends[1], &e.ends[0]]
    } else {
        [&e.ends[0], &e.ends[1]]
    }
}

/// `PE1 eth1 172.16.1.254 (CUSTA)` on the left of a line, mirrored on the right.
fn end_text(d: &Diagram, end: &End, router_first: bool) -> String {
    let name = d.name(end.vertex);
    let Some(port) = &end.port else {
        return name.to_string();
    };
    let vrf = port
        .vrf
        .as_ref()
        .map(|v| format!(" ({v})"))
        .unwrap_or_default();
    if router_first {
        format!("{name} {} {}{vrf}", port.interface, port.addresses())
    } else {
        format!("{} {}{vrf} {name}", port.addresses(), port.interface)
    }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
