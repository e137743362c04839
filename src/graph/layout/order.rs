//! Which column each vertex goes to and in which order, from the lab's graph alone.

use std::collections::{BTreeMap, VecDeque};

use super::super::{Diagram, Vertex};
use crate::topology::Role;

/// The graph as the layout sees it: vertices numbered routers first, then buses.
pub(super) struct Graph<'a> {
    d: &'a Diagram,
    pub n: usize,
    pub adj: Vec<Vec<usize>>,
    /// The diagram's edges as pairs of vertices, in its order.
    pub edges: Vec<[usize; 2]>,
}

impl<'a> Graph<'a> {
    pub fn new(d: &'a Diagram) -> Self {
        let n = d.routers.len() + d.buses.len();
        let edges: Vec<[usize; 2]> = d
            .edges
            .iter()
            .map(|e| {
                [
                    Self::id_of(d, e.ends[0].vertex),
                    Self::id_of(d, e.ends[1].vertex),
                ]
            })
            .collect();
        let mut adj = vec![Vec::new(); n];
        for &[a, b] in &edges {
            adj[a].push(b);
            adj[b].push(a);
        }
        for list in &mut adj {
            list.sort_unstable();
            list.dedup();
        }
        Graph { d, n, adj, edges }
    }

    fn id_of(d: &Diagram, v: Vertex) -> usize {
        match v {
            Vertex::Router(i) => i,
            Vertex::Bus(i) => d.routers.len() + i,
        }
    }

    pub fn vertex(&self, id: usize) -> Vertex {
        if id < self.d.routers.len() {
            Vertex::Router(id)
        } else {
            Vertex::Bus(id - self.d.routers.len())
        }
    }

    fn role(&self, id: usize) -> Option<Role> {
        self.d.router(self.vertex(id)).map(|r| r.role)
    }

    /// Hops from the core: P and RR routers, else PEs, else the first router; a part of the
    /// lab that cannot reach them is measured from its own first router.
    pub fn depths(&self) -> Vec<usize> {
        let core: Vec<usize> = (0..self.n)
            .filter(|&v| matches!(self.role(v), Some(Role::P | Role::Rr)))
            .collect();
        let mut sources = if core.is_empty() {
            (0..self.n)
                .filter(|&v| self.role(v) == Some(Role::Pe))
                .collect()
        } else {
            core
        };
        let mut depth = vec![usize::MAX; self.n];
        loop {
            if sources.is_empty() {
                match depth.iter().position(|&d| d == usize::MAX) {
                    Some(v) => sources.push(v),
                    None => return depth,
                }
            }
            let mut queue = VecDeque::new();
            for s in sources.drain(..) {
                depth[s] = 0;
                queue.push_back(s);
            }
            while let Some(v) = queue.pop_front() {
                for &w in &self.adj[v] {
                    if depth[w] == usize::MAX {
                        depth[w] = depth[v] + 1;
                        queue.push_back(w);
                    }
                }
            }
        }
    }

    /// Column of each vertex: 0 for the core, -depth on the left, +depth on the right.
    pub fn columns(&self, depth: &[usize]) -> Vec<i32> {
        let mut order: Vec<usize> = (0..self.n).collect();
        order.sort_by_key(|&v| (depth[v], v));
        let mut column: Vec<Option<i32>> = vec![None; self.n];
        let (mut left, mut right) = (0, 0);
        for v in order {
            let d = depth[v] as i32;
            if d == 0 {
                column[v] = Some(0);
                continue;
            }
            let parent = self.adj[v]
                .iter()
                .find(|&&w| depth[w] + 1 == depth[v] && column[w].is_some())
                .and_then(|&w| column[w]);
            let side = match parent {
                Some(c) if c != 0 => c.signum(),
                _ => {
                    // Next to the core: join a same-depth neighbour already placed (so that
                    // their link stays within one column), else balance the two sides.
                    let sibling = self.adj[v]
                        .iter()
                        .filter(|&&w| depth[w] == depth[v])
                        .find_map(|&w| column[w]);
                    match sibling {
                        Some(c) => c.signum(),
                        None if left <= right => -1,
                        None => 1,
                    }
                }
            };
            if side < 0 {
                left += 1;
            } else {
                right += 1;
            }
            column[v] = Some(side * d);
        }
        column.into_iter().map(|c| c.unwrap_or(0)).collect()
    }

    /// Vertices of each column, top to bottom.
    pub fn orders(&self, column: &[i32]) -> BTreeMap<i32, Vec<usize>> {
        let mut cols: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
        for (v, &c) in column.iter().enumerate() {
            cols.entry(c).or_default().push(v);
        }
        if let Some(core) = cols.get_mut(&0) {
            *core = self.chain(core, column);
        }
        let mut keys: Vec<i32> = cols.keys().copied().filter(|&c| c != 0).collect();
        keys.sort_by_key(|c| c.abs());
        let mut position = vec![0usize; self.n];
        for list in cols.values() {
            for (i, &v) in list.iter().enumerate() {
                position[v] = i;
            }
        }
        for c in keys {
            let inner = c - c.signum();
            let list = cols.get_mut(&c).expect("key from the map");
            let key = |v: usize| -> f64 {
                let ps: Vec<f64> = self.adj[v]
                    .iter()
                    .filter(|&&w| column[w] == inner)
                    .map(|&w| position[w] as f64)
                    .collect();
                if ps.is_empty() {
                    f64::MAX
                } else {
                    ps.iter().sum::<f64>() / ps.len() as f64
                }
            };
            list.sort_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
            for (i, &v) in list.iter().enumerate() {
                position[v] = i;
            }
        }
        cols
    }

    /// The core column as chains: a walk from an end of a chain (fewest core neighbours)
    /// through its core neighbours, so that linked core routers sit next to each other.
    fn chain(&self, members: &[usize], column: &[i32]) -> Vec<usize> {
        let core_adj = |v: usize| -> Vec<usize> {
            self.adj[v]
                .iter()
                .copied()
                .filter(|&w| column[w] == 0)
                .collect()
        };
        let mut done = vec![false; self.n];
        let mut out = Vec::new();
        while out.len() < members.len() {
            let start = members
                .iter()
                .copied()
                .filter(|&v| !done[v])
                .min_by_key(|&v| (core_adj(v).iter().filter(|&&w| !done[w]).count(), v))
                .expect("fewer placed than members");
            let mut stack = vec![start];
            while let Some(v) = stack.pop() {
                if done[v] {
                    continue;
                }
                done[v] = true;
                out.push(v);
                // Reverse so that the lowest-numbered neighbour is visited first.
                for w in core_adj(v).into_iter().rev() {
                    if !done[w] {
                        stack.push(w);
                    }
                }
            }
        }
        out
    }
}
