//! Ports: where each edge end leaves its box, and the interface label beside it.
//!
//! An end leaves on the side facing its peer: left or right for a peer in another column,
//! bottom or top for the next router down or up the same column, right (out and back) for one
//! further along the column. Ports of one side are ranked by where their peers are, so that
//! lines leaving a side never cross each other.

use std::collections::BTreeMap;

use super::order::Graph;
use super::{Align, Label, Point, Rect, LINE_H, PAD, PORT_GAP};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Side {
    Left,
    Right,
    Top,
    Bottom,
}

/// One end of an edge, once sides are known.
#[derive(Debug, Clone, Copy)]
pub(super) struct Attach {
    pub vertex: usize,
    pub side: Side,
    /// Rank among the ports on that side, and how many there are.
    pub rank: usize,
    pub count: usize,
}

/// The ports of one side of one vertex: (where the peer is, edge, end of the edge).
type SidePorts = Vec<(i64, usize, usize)>;

/// Both ends of every edge of the diagram, in its order.
pub(super) fn attachments(g: &Graph<'_>, column: &[i32], position: &[usize]) -> Vec<[Attach; 2]> {
    let side_of = |u: usize, v: usize| -> Side {
        if column[v] < column[u] {
            Side::Left
        } else if column[v] > column[u] {
            Side::Right
        } else if position[v] == position[u] + 1 {
            Side::Bottom
        } else if position[u] == position[v] + 1 {
            Side::Top
        } else {
            Side::Right
        }
    };
    let mut on_side: BTreeMap<(usize, Side), SidePorts> = BTreeMap::new();
    for (ei, &[a, b]) in g.edges.iter().enumerate() {
        for (k, (u, v)) in [(a, b), (b, a)].into_iter().enumerate() {
            let side = side_of(u, v);
            let key = match side {
                Side::Left | Side::Right => position[v] as i64 * 4 + column[v] as i64,
                Side::Top | Side::Bottom => column[v] as i64,
            };
            on_side.entry((u, side)).or_default().push((key, ei, k));
        }
    }
    let mut attach: Vec<[Option<Attach>; 2]> = vec![[None, None]; g.edges.len()];
    for ((vertex, side), mut list) in on_side {
        list.sort();
        let count = list.len();
        for (rank, (_, ei, k)) in list.into_iter().enumerate() {
            attach[ei][k] = Some(Attach {
                vertex,
                side,
                rank,
                count,
            });
        }
    }
    attach
        .into_iter()
        .map(|[a, b]| [a.expect("every end placed"), b.expect("every end placed")])
        .collect()
}

/// Where the port is on the box `r`: spread around the middle of a side, `PORT_GAP` apart.
pub(super) fn port_point(a: &Attach, r: Rect) -> Point {
    let offset = (a.rank as f64 - (a.count as f64 - 1.0) / 2.0) * PORT_GAP;
    let along = r.x + r.w * (a.rank + 1) as f64 / (a.count + 1) as f64;
    match a.side {
        Side::Left => (r.x, r.y + r.h / 2.0 + offset),
        Side::Right => (r.right(), r.y + r.h / 2.0 + offset),
        Side::Top => (along, r.y),
        Side::Bottom => (along, r.bottom()),
    }
}

/// The end of the horizontal stub leaving a port.
pub(super) fn stub_end(side: Side, p: Point, length: f64) -> Point {
    match side {
        Side::Left => (p.0 - length, p.1),
        _ => (p.0 + length, p.1),
    }
}

/// Interface name above the stub and address below it, beside the port; for a vertical line,
/// both to its right.
pub(super) fn port_labels(side: Side, p: Point, name: String, addr: String) -> Vec<Label> {
    let (x, y) = p;
    match side {
        Side::Right => vec![
            Label::new(vec![name], x + PAD, y - 3.0 - LINE_H, Align::Start, false),
            Label::new(vec![addr], x + PAD, y + 3.0, Align::Start, false),
        ],
        Side::Left => vec![
            Label::new(vec![name], x - PAD, y - 3.0 - LINE_H, Align::End, false),
            Label::new(vec![addr], x - PAD, y + 3.0, Align::End, false),
        ],
        Side::Bottom => vec![Label::new(
            vec![name, addr],
            x + 5.0,
            y + 4.0,
            Align::Start,
            false,
        )],
        Side::Top => vec![Label::new(
            vec![name, addr],
            x + 5.0,
            y - 4.0 - 2.0 * LINE_H,
            Align::Start,
            false,
        )],
    }
}
