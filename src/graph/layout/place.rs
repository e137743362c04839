//! Heights of the rows and left edges of the columns, once the order is known.

use std::collections::BTreeMap;

use super::order::Graph;
use super::ports::{Attach, Side};
use super::{text_width, LINE_H, MARGIN, PAD};
use crate::graph::Diagram;

const ROW_GAP: f64 = 30.0;
const MIN_COLUMN_GAP: f64 = 60.0;

/// Heights: each column keeps its order and its gaps; each vertex is pulled towards the mean
/// height of its neighbours in other columns, sweeping outwards and back a few times.
pub(super) fn place_rows(
    g: &Graph<'_>,
    cols: &BTreeMap<i32, Vec<usize>>,
    column: &[i32],
    sizes: &[(f64, f64)],
    attach: &[[Attach; 2]],
) -> Vec<f64> {
    // Two vertices joined by a vertical line need room for its three labels between them.
    let vertical: Vec<(usize, usize)> = attach
        .iter()
        .filter(|a| matches!(a[0].side, Side::Bottom | Side::Top))
        .map(|[a, b]| (a.vertex.min(b.vertex), a.vertex.max(b.vertex)))
        .collect();
    let gap = |a: usize, b: usize| -> f64 {
        let joined = vertical.contains(&(a.min(b), a.max(b)));
        let space = if joined { 4.0 * LINE_H + 24.0 } else { ROW_GAP };
        sizes[a].1 / 2.0 + space + sizes[b].1 / 2.0
    };
    let mut center = vec![0.0; g.n];
    for list in cols.values() {
        let mut y = 0.0;
        for (i, &v) in list.iter().enumerate() {
            if i > 0 {
                y += gap(list[i - 1], v);
            }
            center[v] = y;
        }
    }
    let mut sweep: Vec<i32> = cols.keys().copied().collect();
    sweep.sort_by_key(|c| c.abs());
    let back: Vec<i32> = sweep.iter().rev().copied().collect();
    for _ in 0..30 {
        for &c in sweep.iter().chain(&back) {
            let list = &cols[&c];
            let desired: Vec<f64> = list
                .iter()
                .map(|&v| {
                    let ys: Vec<f64> = g.adj[v]
                        .iter()
                        .filter(|&&w| column[w] != c)
                        .map(|&w| center[w])
                        .collect();
                    if ys.is_empty() {
                        center[v]
                    } else {
                        ys.iter().sum::<f64>() / ys.len() as f64
                    }
                })
                .collect();
            let gaps: Vec<f64> = list.windows(2).map(|w| gap(w[0], w[1])).collect();
            for (&v, y) in list.iter().zip(project(&desired, &gaps)) {
                center[v] = y;
            }
        }
    }
    // Round so that goldens do not depend on the last bits of floating point.
    center.iter().map(|y| y.round()).collect()
}

/// The closest heights to `desired` (least squares) that keep the order and at least `gaps`
/// between neighbours: pool-adjacent-violators on the heights minus the cumulated gaps.
fn project(desired: &[f64], gaps: &[f64]) -> Vec<f64> {
    let mut offset = vec![0.0; desired.len()];
    for i in 1..desired.len() {
        offset[i] = offset[i - 1] + gaps[i - 1];
    }
    // Blocks of (sum, count) whose means must not decrease.
    let mut blocks: Vec<(f64, usize)> = Vec::new();
    for (d, o) in desired.iter().zip(&offset) {
        blocks.push((d - o, 1));
        while blocks.len() >= 2 {
            let (s2, n2) = blocks[blocks.len() - 1];
            let (s1, n1) = blocks[blocks.len() - 2];
            if s1 / n1 as f64 <= s2 / n2 as f64 {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (s1 + s2, n1 + n2);
        }
    }
    let mut out = Vec::with_capacity(desired.len());
    for (sum, count) in blocks {
        for _ in 0..count {
            out.push(sum / count as f64 + offset[out.len()]);
        }
    }
    out
}

/// Length of the stubs on one side of a column: its widest interface label, so that all stubs
/// of a column end together and the sloped parts start in clear space.
pub(super) fn stub_width(
    c: i32,
    side: Side,
    attach: &[[Attach; 2]],
    column: &[i32],
    label_lines: &dyn Fn(usize, usize) -> Option<(String, String)>,
) -> f64 {
    let mut w: f64 = 0.0;
    for (ei, pair) in attach.iter().enumerate() {
        for (k, a) in pair.iter().enumerate() {
            if column[a.vertex] == c && a.side == side {
                let l = label_lines(ei, k)
                    .map(|(a, b)| text_width(&a).max(text_width(&b)))
                    .unwrap_or(0.0);
                w = w.max(l + 2.0 * PAD);
            }
        }
    }
    w
}

/// Left edge and width of each column; a gap holds the labels of the stubs on both sides and
/// the widest segment name between them.
pub(super) fn place_columns(
    d: &Diagram,
    cols: &BTreeMap<i32, Vec<usize>>,
    sizes: &[(f64, f64)],
    attach: &[[Attach; 2]],
    column: &[i32],
    label_lines: &dyn Fn(usize, usize) -> Option<(String, String)>,
) -> BTreeMap<i32, (f64, f64)> {
    let width = |c: i32| -> f64 { cols[&c].iter().map(|&v| sizes[v].0).fold(0.0, f64::max) };
    let widest_stub = |c: i32, side: Side| stub_width(c, side, attach, column, label_lines);
    let mut out = BTreeMap::new();
    let mut x = MARGIN;
    let keys: Vec<i32> = cols.keys().copied().collect();
    for (i, &c) in keys.iter().enumerate() {
        out.insert(c, (x, width(c)));
        x += width(c);
        if let Some(&next) = keys.get(i + 1) {
            let middle = d
                .edges
                .iter()
                .zip(attach)
                .filter(|(_, a)| {
                    let cs = [column[a[0].vertex], column[a[1].vertex]];
                    cs.contains(&c) && cs.contains(&next)
                })
                .filter_map(|(e, _)| e.middle_label())
                .map(|l| text_width(&l) + 3.0 * PAD)
                .fold(0.0, f64::max);
            let gap = widest_stub(c, Side::Right) + middle + widest_stub(next, Side::Left);
            x += (gap + 2.0 * PAD).max(MIN_COLUMN_GAP);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_keeps_order_and_gaps() {
        assert_eq!(project(&[0.0, 0.0], &[10.0]), vec![-5.0, 5.0]);
        assert_eq!(project(&[0.0, 50.0], &[10.0]), vec![0.0, 50.0]);
        assert_eq!(
            project(&[5.0, 0.0, 100.0], &[10.0, 10.0]),
            vec![-2.5, 7.5, 100.0]
        );
    }
}
