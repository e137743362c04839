//! SVG text from the layout: plain shapes and text, no scripts or external fonts, so any
//! viewer (browsers, rsvg, Inkscape) draws it the same way.
//!
//! Role shapes: P a plain box, PE a double-bordered box, CE a rounded box, RR a dashed box;
//! networks are grey dashed boxes. Lines are grey, or coloured by the VRF at either end.

use std::fmt::Write;

use super::layout::{self, Align, Label, Layout, Rect, LINE_H};
use super::style::{role_colors, vrf_color, BUS_COLORS, PLAIN_LINE};
use super::{role_title, Diagram, Vertex};
use crate::topology::Role;

const LEGEND_H: f64 = 56.0;
const LEGEND_NOTE: &str =
    "interface (VRF) above each line end, its address below; segment and subnet on the line";

pub fn render(d: &Diagram) -> String {
    let lay = layout::layout(d);
    let legend = legend_items(d);
    let legend_w = legend
        .iter()
        .map(|(_, w)| w)
        .sum::<f64>()
        .max(layout::text_width(LEGEND_NOTE))
        + 2.0 * layout::MARGIN;
    let width = lay.width.max(legend_w).max(320.0).ceil();
    let height = (lay.height + LEGEND_H).ceil();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" \
         font-size=\"11\">"
    );
    let _ = writeln!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\" fill=\"#111827\">lab {}</text>",
        layout::MARGIN,
        layout::MARGIN + 6.0,
        escape(&d.lab)
    );
    edges(&mut s, d, &lay);
    pseudowires(&mut s, d, &lay);
    for l in &lay.labels {
        label(&mut s, l);
    }
    for (i, r) in lay.routers.iter().enumerate() {
        node(&mut s, d, Vertex::Router(i), *r);
    }
    for (i, r) in lay.buses.iter().enumerate() {
        node(&mut s, d, Vertex::Bus(i), *r);
    }
    legend_row(&mut s, &legend, lay.height + 8.0);
    s.push_str("</svg>\n");
    s
}

/// Dashed, straight from PE to PE: a pseudowire rides over whatever the core gives it.
fn pseudowires(s: &mut String, d: &Diagram, lay: &Layout) {
    for pw in &d.pseudowires {
        let ((x1, y1), (x2, y2)) = (
            lay.routers[pw.ends[0]].center(),
            lay.routers[pw.ends[1]].center(),
        );
        let _ = writeln!(
            s,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{PLAIN_LINE}\" \
             stroke-width=\"2\" stroke-dasharray=\"6 4\"><title>{}</title></line>",
            escape(&pw.label())
        );
    }
}

fn edges(s: &mut String, d: &Diagram, lay: &Layout) {
    let vrfs = d.vrfs();
    for (e, route) in d.edges.iter().zip(&lay.edges) {
        let color = e
            .vrf()
            .and_then(|v| vrfs.iter().position(|n| *n == v))
            .map_or(PLAIN_LINE, vrf_color);
        let points: Vec<String> = route
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = writeln!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" \
             stroke-linejoin=\"round\"><title>{}</title></polyline>",
            points.join(" "),
            escape(&format!("{} {}", e.segment, e.subnets()))
        );
    }
}

fn label(s: &mut String, l: &Label) {
    let r = l.rect;
    if l.halo {
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"#ffffff\" \
             stroke=\"#d1d5db\"/>",
            r.x - 3.0,
            r.y - 1.0,
            r.w + 6.0,
            r.h + 2.0
        );
    }
    let (x, anchor) = match l.align {
        Align::Start => (r.x, "start"),
        Align::Middle => (r.x + r.w / 2.0, "middle"),
        Align::End => (r.right(), "end"),
    };
    let color = if l.halo { "#111827" } else { "#374151" };
    for (i, line) in l.lines.iter().enumerate() {
        let _ = writeln!(
            s,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"{color}\">{}</text>",
            r.y + (i as f64 + 1.0) * LINE_H - 3.0,
            escape(line)
        );
    }
}

fn node(s: &mut String, d: &Diagram, v: Vertex, r: Rect) {
    let role = d.router(v).map(|n| n.role);
    let (fill, stroke) = role.map_or(BUS_COLORS, role_colors);
    shape(s, role, r, fill, stroke);
    let (name, detail) = layout::box_lines(d, v);
    let (cx, cy) = r.center();
    let _ = writeln!(
        s,
        "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" \
         fill=\"#111827\">{}</text>",
        cy - 3.0,
        escape(&name)
    );
    let _ = writeln!(
        s,
        "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#374151\">{}</text>",
        cy + 12.0,
        escape(&detail)
    );
}

/// The shape of a role (`None`: a network).
fn shape(s: &mut String, role: Option<Role>, r: Rect, fill: &str, stroke: &str) {
    let rect = |s: &mut String, r: Rect, rx: f64, extra: &str| {
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"{rx}\" fill=\"{fill}\" \
             stroke=\"{stroke}\" stroke-width=\"1.5\"{extra}/>",
            r.x, r.y, r.w, r.h
        );
    };
    match role {
        Some(Role::P) => rect(s, r, 3.0, ""),
        Some(Role::Pe) => {
            rect(s, r, 3.0, "");
            let inner = Rect {
                x: r.x + 3.0,
                y: r.y + 3.0,
                w: r.w - 6.0,
                h: r.h - 6.0,
            };
            rect(s, inner, 2.0, " fill-opacity=\"0\"");
        }
        Some(Role::Ce) => rect(s, r, 14.0, ""),
        Some(Role::Rr) => rect(s, r, 3.0, " stroke-dasharray=\"6 3\""),
        None => rect(s, r, 8.0, " stroke-dasharray=\"3 3\""),
    }
}

/// What the legend shows: each role present, then each VRF with its colour.
enum LegendItem {
    Role(Role),
    Vrf(String, &'static str),
}

fn legend_items(d: &Diagram) -> Vec<(LegendItem, f64)> {
    let mut items = Vec::new();
    for role in [Role::P, Role::Rr, Role::Pe, Role::Ce] {
        if d.routers.iter().any(|r| r.role == role) {
            let w = 28.0 + layout::text_width(role_title(role)) + 18.0;
            items.push((LegendItem::Role(role), w));
        }
    }
    for (i, v) in d.vrfs().into_iter().enumerate() {
        let w = 28.0 + layout::text_width(&format!("VRF {v}")) + 18.0;
        items.push((LegendItem::Vrf(v.to_string(), vrf_color(i)), w));
    }
    items
}

fn legend_row(s: &mut String, items: &[(LegendItem, f64)], y: f64) {
    let mut x = layout::MARGIN;
    for (item, w) in items {
        match item {
            LegendItem::Role(role) => {
                let (fill, stroke) = role_colors(*role);
                let sample = Rect {
                    x,
                    y: y + 10.0,
                    w: 22.0,
                    h: 16.0,
                };
                shape(s, Some(*role), sample, fill, stroke);
                legend_text(s, x + 28.0, y + 22.0, role_title(*role));
            }
            LegendItem::Vrf(name, color) => {
                let _ = writeln!(
                    s,
                    "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{color}\" \
                     stroke-width=\"2\"/>",
                    y + 18.0,
                    x + 22.0,
                    y + 18.0
                );
                legend_text(s, x + 28.0, y + 22.0, &format!("VRF {name}"));
            }
        }
        x += w;
    }
    legend_text(s, layout::MARGIN, y + 44.0, LEGEND_NOTE);
}

fn legend_text(s: &mut String, x: f64, y: f64, text: &str) {
    let _ = writeln!(
        s,
        "<text x=\"{x:.1}\" y=\"{y:.1}\" fill=\"#374151\">{}</text>",
        escape(text)
    );
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
