//! A layered layout for the SVG picture, in the shape MPLS diagrams are usually drawn: the
//! core (P and RR routers) in the middle column, PEs on either side, CEs at the outer columns.
//!
//! Columns come from the hop distance to the core (so any lab, not only the seed's shape, gets
//! one), a router going to the side of the neighbour that reached it. Within a column, routers
//! are ordered to follow their inner neighbours, then pulled towards the mean height of their
//! neighbours while never closer than a fixed gap (an isotonic projection, so the order stays).
//! Each interface gets a port of its own on the side facing its peer, with a short horizontal
//! stub carrying the interface label; gaps between columns are sized from the labels they hold,
//! so interface labels never need to be fitted in afterwards. Segment names sit on their line
//! and slide along it until they overlap nothing. Text widths assume a monospace font.

mod order;
mod place;
mod ports;

use super::{Diagram, Vertex};
use order::Graph;
use place::{place_columns, place_rows, stub_width};
use ports::{attachments, port_labels, port_point, stub_end, Attach, Side};

type Point = (f64, f64);

/// Width of a character of the 11 px monospace text (0.6 em).
pub const CHAR_W: f64 = 6.6;
/// Width of a character of the 13 px bold router names.
pub const NAME_CHAR_W: f64 = 7.8;
pub const LINE_H: f64 = 13.0;
/// Room for the title above the drawing.
pub const HEADER_H: f64 = 44.0;
pub const MARGIN: f64 = 24.0;
const PAD: f64 = 6.0;
/// Vertical distance between two ports on one side: room for a label line above each stub
/// and one below.
const PORT_GAP: f64 = 36.0;
const MIN_BOX_W: f64 = 120.0;
const MIN_BOX_H: f64 = 44.0;
/// Height of a lane above the drawing for the rare line that must jump over a column.
const LANE_H: f64 = LINE_H + 10.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }

    pub fn center(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    /// Interiors intersect (touching edges do not count).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.right() - 0.5
            && o.x < self.right() - 0.5
            && self.y < o.bottom() - 0.5
            && o.y < self.bottom() - 0.5
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Start,
    Middle,
    End,
}

/// Text placed outside the boxes. `rect` is what the text covers; `halo` labels sit on a line
/// and get a white background so the line does not cross the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub lines: Vec<String>,
    pub rect: Rect,
    pub align: Align,
    pub halo: bool,
}

impl Label {
    fn new(lines: Vec<String>, x: f64, y: f64, align: Align, halo: bool) -> Label {
        let w = lines.iter().map(|l| text_width(l)).fold(0.0, f64::max);
        let h = lines.len() as f64 * LINE_H;
        let x = match align {
            Align::Start => x,
            Align::Middle => x - w / 2.0,
            Align::End => x - w,
        };
        Label {
            lines,
            rect: Rect { x, y, w, h },
            align,
            halo,
        }
    }
}

/// Where everything goes, in SVG user units (pixels).
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub routers: Vec<Rect>,
    pub buses: Vec<Rect>,
    /// One polyline per edge of the diagram, in the same order.
    pub edges: Vec<Vec<(f64, f64)>>,
    pub labels: Vec<Label>,
}

impl Layout {
    /// Every pair of boxes or labels that overlap, described; empty for a readable picture.
    pub fn collisions(&self, d: &Diagram) -> Vec<String> {
        let mut items: Vec<(String, Rect)> = Vec::new();
        for (i, r) in self.routers.iter().enumerate() {
            items.push((format!("box {}", d.routers[i].name), *r));
        }
        for (i, r) in self.buses.iter().enumerate() {
            items.push((format!("box {}", d.buses[i].name), *r));
        }
        for l in &self.labels {
            items.push((format!("label {:?}", l.lines.join(" / ")), l.rect));
        }
        let mut found = Vec::new();
        for (i, (a, ra)) in items.iter().enumerate() {
            for (b, rb) in &items[i + 1..] {
                if ra.overlaps(rb) {
                    found.push(format!("{a} overlaps {b}"));
                }
            }
        }
        for (i, a) in self.edges.iter().enumerate() {
            for (j, b) in self.edges.iter().enumerate().skip(i + 1) {
                if let Some(at) = shared_line(a, b) {
                    let (na, nb) = (&d.edges[i].segment, &d.edges[j].segment);
                    found.push(format!("lines of {na} and {nb} run on one line at {at}"));
                }
            }
        }
        found
    }
}

/// Where two polylines run along the same straight line for a stretch, if they do: two links
/// drawn there read as one.
fn shared_line(a: &[Point], b: &[Point]) -> Option<String> {
    const EPS: f64 = 0.5;
    let overlap = |a0: f64, a1: f64, b0: f64, b1: f64| {
        a0.max(a1).min(b0.max(b1)) - a0.min(a1).max(b0.min(b1)) > EPS
    };
    for sa in a.windows(2) {
        for sb in b.windows(2) {
            let ((ax0, ay0), (ax1, ay1)) = (sa[0], sa[1]);
            let ((bx0, by0), (bx1, by1)) = (sb[0], sb[1]);
            let vertical = (ax0 - ax1).abs() < EPS && (bx0 - bx1).abs() < EPS;
            if vertical && (ax0 - bx0).abs() < EPS && overlap(ay0, ay1, by0, by1) {
                return Some(format!("x={ax0:.1}"));
            }
            let horizontal = (ay0 - ay1).abs() < EPS && (by0 - by1).abs() < EPS;
            if horizontal && (ay0 - by0).abs() < EPS && overlap(ax0, ax1, bx0, bx1) {
                return Some(format!("y={ay0:.1}"));
            }
        }
    }
    None
}

pub fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_W
}

/// The two lines of text inside a router's or a network's box.
pub fn box_lines(d: &Diagram, v: Vertex) -> (String, String) {
    match v {
        Vertex::Router(i) => {
            let r = &d.routers[i];
            let detail = match r.loopbacks() {
                Some(lo) => format!("{} · lo {lo}", r.role.as_str()),
                None => r.role.as_str().to_string(),
            };
            (r.name.clone(), detail)
        }
        Vertex::Bus(i) => (d.buses[i].name.clone(), d.buses[i].subnets()),
    }
}

pub fn layout(d: &Diagram) -> Layout {
    let g = Graph::new(d);
    let depth = g.depths();
    let column = g.columns(&depth);
    let cols = g.orders(&column);
    let mut position = vec![0usize; g.n];
    for list in cols.values() {
        for (i, &v) in list.iter().enumerate() {
            position[v] = i;
        }
    }
    let attach = attachments(&g, &column, &position);
    let sizes = box_sizes(d, &g, &attach);
    let centers = place_rows(&g, &cols, &column, &sizes, &attach);
    let label_lines = |ei: usize, k: usize| -> Option<(String, String)> {
        let p = d.edges[ei].ends[k].port.as_ref()?;
        Some((p.name_label(), p.addresses()))
    };
    let col_x = place_columns(d, &cols, &sizes, &attach, &column, &label_lines);

    // Lanes above the drawing for lines that jump over a column.
    let long: Vec<usize> = (0..d.edges.len())
        .filter(|&ei| (column[attach[ei][0].vertex] - column[attach[ei][1].vertex]).abs() > 1)
        .collect();
    let top = centers
        .iter()
        .zip(&sizes)
        .map(|(c, s)| c - s.1 / 2.0)
        .fold(f64::MAX, f64::min);
    let shift = HEADER_H + MARGIN + long.len() as f64 * LANE_H - top;
    let rects: Vec<Rect> = (0..g.n)
        .map(|u| {
            let (w, h) = sizes[u];
            let (cx, cw) = col_x[&column[u]];
            Rect {
                x: cx + (cw - w) / 2.0,
                y: centers[u] - h / 2.0 + shift,
                w,
                h,
            }
        })
        .collect();

    let stub = |a: &Attach| stub_width(column[a.vertex], a.side, &attach, &column, &label_lines);
    let ends: Vec<[Point; 2]> = attach
        .iter()
        .map(|pair| {
            [
                port_point(&pair[0], rects[pair[0].vertex]),
                port_point(&pair[1], rects[pair[1].vertex]),
            ]
        })
        .collect();
    let track = loop_tracks(&attach, &ends, &column, &long);
    let mut labels = Vec::new();
    let mut routes = Vec::new();
    for (ei, pair) in attach.iter().enumerate() {
        let p = ends[ei];
        for (k, a) in pair.iter().enumerate() {
            if let Some((name, addr)) = label_lines(ei, k) {
                labels.extend(port_labels(a.side, p[k], name, addr));
            }
        }
        let lane = long.iter().position(|&l| l == ei);
        let stubs = [stub(&pair[0]), stub(&pair[1])];
        routes.push(route(pair, p, stubs, lane, track[ei]));
    }
    // Segment names go last, sliding along their line until they fit among what is placed.
    for (e, route) in d.edges.iter().zip(&routes) {
        if let Some(text) = e.middle_label() {
            let label = middle_label(text, middle_segment(route), &labels, &rects);
            labels.push(label);
        }
    }

    let corners = routes.iter().flatten().map(|&(x, y)| Rect {
        x,
        y,
        w: 0.0,
        h: 0.0,
    });
    let all = rects
        .iter()
        .copied()
        .chain(labels.iter().map(|l| l.rect))
        .chain(corners);
    let (width, height) = all.fold((0.0_f64, 0.0_f64), |(w, h), r| {
        (w.max(r.right()), h.max(r.bottom()))
    });
    let (routers, buses) = rects.split_at(d.routers.len());
    Layout {
        width: width + MARGIN,
        height: height + MARGIN,
        routers: routers.to_vec(),
        buses: buses.to_vec(),
        edges: routes,
        labels,
    }
}

/// Box sizes: room for the text, and for the ports on the busiest side.
fn box_sizes(d: &Diagram, g: &Graph<'_>, attach: &[[Attach; 2]]) -> Vec<(f64, f64)> {
    let ports = |u: usize, sides: [Side; 2]| {
        attach
            .iter()
            .flatten()
            .filter(|a| a.vertex == u && sides.contains(&a.side))
            .map(|a| a.count)
            .max()
            .unwrap_or(0)
    };
    (0..g.n)
        .map(|u| {
            let (name, detail) = box_lines(d, g.vertex(u));
            let text_w =
                (name.chars().count() as f64 * NAME_CHAR_W).max(text_width(&detail)) + 4.0 * PAD;
            let along = ports(u, [Side::Top, Side::Bottom]) as f64 * 40.0;
            let w = text_w.max(MIN_BOX_W).max(along);
            let n = ports(u, [Side::Left, Side::Right]) as f64;
            (w, MIN_BOX_H.max(n * PORT_GAP + 8.0))
        })
        .collect()
}

/// Lines out and back on the right of one column (between routers of the column that are not
/// neighbours) each get a track, further right the longer they are, so that two of them never
/// share a vertical line and the longer goes round the shorter.
fn loop_tracks(
    attach: &[[Attach; 2]],
    ends: &[[Point; 2]],
    column: &[i32],
    long: &[usize],
) -> Vec<usize> {
    let span = |ei: usize| {
        let (a, b) = (ends[ei][0].1, ends[ei][1].1);
        (a.min(b), a.max(b))
    };
    let mut loops: Vec<usize> = (0..attach.len())
        .filter(|ei| {
            !long.contains(ei)
                && attach[*ei][0].side == Side::Right
                && attach[*ei][1].side == Side::Right
        })
        .collect();
    loops.sort_by(|&a, &b| {
        let (la, lb) = (span(a).1 - span(a).0, span(b).1 - span(b).0);
        la.total_cmp(&lb).then(a.cmp(&b))
    });
    let mut track = vec![0; attach.len()];
    let mut taken: Vec<(i32, usize, (f64, f64))> = Vec::new();
    for ei in loops {
        let col = column[attach[ei][0].vertex];
        let (lo, hi) = span(ei);
        // Outside every shorter line whose stretch it meets.
        let free = taken
            .iter()
            .filter(|&&(c, _, (l, h))| c == col && l <= hi && lo <= h)
            .map(|&(_, t, _)| t + 1)
            .max()
            .unwrap_or(0);
        taken.push((col, free, (lo, hi)));
        track[ei] = free;
    }
    track
}

/// Room between two tracks of lines out and back on the right of a column.
const TRACK_GAP: f64 = 12.0;

/// The polyline of an edge between its two ports `p`, with the stub lengths of both ends;
/// `lane` is set for a line that jumps over a column, `track` for one out and back on the
/// right of its column.
fn route(
    pair: &[Attach; 2],
    p: [Point; 2],
    stubs: [f64; 2],
    lane: Option<usize>,
    track: usize,
) -> Vec<Point> {
    match (pair[0].side, pair[1].side, lane) {
        (Side::Top | Side::Bottom, _, _) => vec![p[0], p[1]],
        (_, _, Some(lane)) => {
            let y = HEADER_H + MARGIN / 2.0 + lane as f64 * LANE_H;
            let out0 = stub_end(pair[0].side, p[0], stubs[0]);
            let out1 = stub_end(pair[1].side, p[1], stubs[1]);
            vec![p[0], out0, (out0.0, y), (out1.0, y), out1, p[1]]
        }
        (Side::Right, Side::Right, None) => {
            // Two routers of one column that are not neighbours: out and back on the right.
            let x = p[0].0.max(p[1].0) + stubs[0].max(stubs[1]) + 12.0 + track as f64 * TRACK_GAP;
            vec![p[0], (x, p[0].1), (x, p[1].1), p[1]]
        }
        _ => {
            let out0 = stub_end(pair[0].side, p[0], stubs[0]);
            let out1 = stub_end(pair[1].side, p[1], stubs[1]);
            vec![p[0], out0, out1, p[1]]
        }
    }
}

/// A segment's name on its line, at the first of a few points along `segment` (middle first)
/// where it overlaps nothing already placed.
fn middle_label(text: String, segment: (Point, Point), placed: &[Label], boxes: &[Rect]) -> Label {
    let (from, to) = segment;
    let at = |t: f64| {
        let x = from.0 + (to.0 - from.0) * t;
        let y = from.1 + (to.1 - from.1) * t;
        Label::new(vec![text.clone()], x, y - LINE_H / 2.0, Align::Middle, true)
    };
    [0.5, 0.38, 0.62, 0.26, 0.74, 0.14, 0.86]
        .into_iter()
        .map(at)
        .find(|l| {
            !placed.iter().any(|o| o.rect.overlaps(&l.rect))
                && !boxes.iter().any(|b| b.overlaps(&l.rect))
        })
        .unwrap_or_else(|| at(0.5))
}

/// The part of a route the segment's name sits on: the sloped part between two stubs, the
/// lane of a long line, the vertical part of a loop, or the whole of a straight line.
fn middle_segment(route: &[Point]) -> (Point, Point) {
    let n = route.len();
    if n <= 2 {
        return (route[0], route[n - 1]);
    }
    let mid = (n - 1) / 2;
    (route[mid], route[mid + 1])
}
