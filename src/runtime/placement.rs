//! Which engine runs which router, for a lab spread over several engines: the routers pinned
//! by the user where they said, the others balanced (no engine more than its share) and kept
//! next to their neighbors, so that few links cross between engines.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use anyhow::bail;

use super::action::LabSpec;

/// Router name -> engine index (0-based).
pub type Placement = BTreeMap<String, usize>;

/// Place every router of `spec` on one of `engines` engines. The topology's `engine N` and
/// `pinned` (the command line's `--place`, which wins) are the user's choices (router ->
/// engine index); they count towards an engine's share.
///
/// The others are taken in breadth-first order from a router at the edge of the lab (the
/// first with the fewest links), each onto the engine, under its share, that holds most of
/// its neighbors already; a tie goes to the emptier engine, then the first. On the seed lab
/// that keeps each PE with its CEs, and cuts one core link.
pub fn place(spec: &LabSpec, engines: usize, pinned: &Placement) -> anyhow::Result<Placement> {
    if engines == 0 {
        bail!("no engine to place the routers on");
    }
    let routers: Vec<&str> = spec.containers.iter().map(|c| c.router.as_str()).collect();
    for c in &spec.containers {
        if let Some(engine) = c
            .engine
            .filter(|e| *e >= engines && !pinned.contains_key(&c.router))
        {
            bail!(
                "router {} has `engine {}` in the topology, but there are {engines} engines",
                c.router,
                engine + 1
            );
        }
    }
    let from_topology = spec
        .containers
        .iter()
        .filter_map(|c| Some((c.router.clone(), c.engine?)));
    let mut chosen: Placement = from_topology.collect();
    chosen.extend(pinned.iter().map(|(r, e)| (r.clone(), *e)));
    let pinned = &chosen;
    for (router, &engine) in pinned {
        if !routers.contains(&router.as_str()) {
            bail!(
                "--place {router}={}: the lab has no router {router}",
                engine + 1
            );
        }
        if engine >= engines {
            bail!(
                "--place {router}={}: there are {engines} engines (numbered from 1)",
                engine + 1
            );
        }
    }
    let neighbors = adjacency(spec);
    let share = routers.len().div_ceil(engines);
    let mut placed: Placement = pinned.clone();
    let mut load = vec![0usize; engines];
    for &e in pinned.values() {
        load[e] += 1;
    }
    for router in breadth_first(&routers, &neighbors) {
        if placed.contains_key(router) {
            continue;
        }
        let near = |e: usize| {
            neighbors[router]
                .iter()
                .filter(|n| placed.get(**n) == Some(&e))
                .count()
        };
        // Some engine is under its share while a router is unplaced: shares add up to at
        // least the routers.
        let best = (0..engines)
            .filter(|&e| load[e] < share)
            .max_by_key(|&e| (near(e), std::cmp::Reverse(load[e]), std::cmp::Reverse(e)))
            .expect("an engine under its share");
        placed.insert(router.to_string(), best);
        load[best] += 1;
    }
    Ok(placed)
}

/// Each router's neighbors: the routers it shares a segment with.
fn adjacency(spec: &LabSpec) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut out: BTreeMap<&str, BTreeSet<&str>> = spec
        .containers
        .iter()
        .map(|c| (c.router.as_str(), BTreeSet::new()))
        .collect();
    for n in &spec.networks {
        let on: Vec<&str> = spec
            .containers
            .iter()
            .filter(|c| c.interfaces.iter().any(|i| i.network == n.name))
            .map(|c| c.router.as_str())
            .collect();
        for a in &on {
            for b in &on {
                if a != b {
                    out.get_mut(a).expect("every router").insert(b);
                }
            }
        }
    }
    out
}

/// Every router once, breadth-first from the first of those with the fewest neighbors, then
/// from the next unvisited one (a lab in several pieces).
fn breadth_first<'a>(
    routers: &[&'a str],
    neighbors: &BTreeMap<&'a str, BTreeSet<&'a str>>,
) -> Vec<&'a str> {
    let mut order = Vec::with_capacity(routers.len());
    let mut seen = BTreeSet::new();
    let mut starts: Vec<&str> = routers.to_vec();
    // Stable: among equals the topology's order stays.
    starts.sort_by_key(|r| neighbors[r].len());
    for start in starts {
        if !seen.insert(start) {
            continue;
        }
        let mut queue = VecDeque::from([start]);
        while let Some(r) = queue.pop_front() {
            order.push(r);
            // Neighbors in the topology's order.
            for n in routers.iter().filter(|n| neighbors[r].contains(*n)) {
                if seen.insert(n) {
                    queue.push_back(n);
                }
            }
        }
    }
    order
}

/// The placement as `plan` and `run` print it: each engine's routers, then each link that
/// crosses between engines. `engines` names them (`tcp://...@192.0.2.1`).
pub fn describe(spec: &LabSpec, placement: &Placement, engines: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = engines
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let routers: Vec<&str> = spec
                .containers
                .iter()
                .filter(|c| placement.get(&c.router) == Some(&k))
                .map(|c| c.router.as_str())
                .collect();
            format!("engine {} {name}: {}", k + 1, routers.join(" "))
        })
        .collect();
    for (segment, ends) in crossing(spec, placement) {
        let ends: Vec<String> = ends.iter().map(|e| (e + 1).to_string()).collect();
        let segment = segment
            .strip_prefix(&format!("{}-", spec.lab))
            .unwrap_or(&segment)
            .to_string();
        lines.push(format!(
            "link {segment} crosses engines {}: a VXLAN tunnel over the underlay",
            ends.join(" and ")
        ));
    }
    lines
}

/// Why the placement cannot be wired, if it cannot: a LAN's members may be on two engines
/// at most (one tunnel per LAN between two bridges).
pub fn unwirable(spec: &LabSpec, placement: &Placement) -> Option<String> {
    crossing(spec, placement)
        .into_iter()
        .find(|(_, ends)| ends.len() > 2)
        .map(|(segment, ends)| {
            format!(
                "network {segment} has routers on {} engines: a LAN may span two at most \
                 (pin its routers with `engine N` or --place)",
                ends.len()
            )
        })
}

/// The segments whose ends are on more than one engine: each with its ends' engines.
pub fn crossing(spec: &LabSpec, placement: &Placement) -> Vec<(String, BTreeSet<usize>)> {
    spec.segment_ends()
        .into_iter()
        .filter_map(|(n, ends)| {
            let engines: BTreeSet<usize> = ends
                .iter()
                .filter_map(|(container, _)| {
                    let c = spec.containers.iter().find(|c| c.name == *container)?;
                    placement.get(&c.router).copied()
                })
                .collect();
            (engines.len() > 1).then(|| (n.name.clone(), engines))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> LabSpec {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/mpls_vpn.topo");
        crate::runtime::action::spec_of(&std::fs::read_to_string(path).unwrap())
    }

    fn on(p: &Placement, engine: usize) -> Vec<&str> {
        p.iter()
            .filter(|(_, e)| **e == engine)
            .map(|(r, _)| r.as_str())
            .collect()
    }

    #[test]
    fn the_seed_lab_splits_at_one_core_link_with_each_pe_beside_its_ces() {
        let spec = seed();
        let p = place(&spec, 2, &Placement::new()).unwrap();
        assert_eq!(on(&p, 0), ["CE1", "CE3", "PE1", "PR"]);
        assert_eq!(on(&p, 1), ["CE2", "CE4", "PE2"]);
        let cut = crossing(&spec, &p);
        assert_eq!(cut.len(), 1);
        assert_eq!(cut[0].0, "mpls_vpn-net2");
    }

    #[test]
    fn a_pinned_router_stays_and_its_neighbors_follow_it() {
        let spec = seed();
        let pinned: Placement = [("PR".to_string(), 1)].into();
        let p = place(&spec, 2, &pinned).unwrap();
        assert_eq!(on(&p, 0), ["CE1", "CE3", "PE1"]);
        assert_eq!(on(&p, 1), ["CE2", "CE4", "PE2", "PR"]);
        let cut: Vec<String> = crossing(&spec, &p).into_iter().map(|(n, _)| n).collect();
        assert_eq!(cut, ["mpls_vpn-net1"]);
    }

    #[test]
    fn the_topology_pins_a_router_and_the_command_line_overrides_it() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/mpls_vpn.topo"
        ))
        .unwrap()
        .replace(
            "router PR  p  lo 9.9.9.9/32",
            "router PR  p  lo 9.9.9.9/32 engine 2",
        );
        let spec = crate::runtime::action::spec_of(&text);
        let p = place(&spec, 2, &Placement::new()).unwrap();
        assert_eq!(on(&p, 1), ["CE2", "CE4", "PE2", "PR"]);
        let back: Placement = [("PR".to_string(), 0)].into();
        assert_eq!(place(&spec, 2, &back).unwrap()["PR"], 0);
        let e = place(&spec, 1, &Placement::new()).unwrap_err().to_string();
        assert!(
            e.contains("router PR has `engine 2` in the topology, but there are 1 engines"),
            "{e}"
        );
    }

    #[test]
    fn one_engine_takes_everything_and_pins_are_checked() {
        let spec = seed();
        let p = place(&spec, 1, &Placement::new()).unwrap();
        assert!(p.values().all(|e| *e == 0));
        assert!(crossing(&spec, &p).is_empty());
        let bad: Placement = [("PR".to_string(), 2)].into();
        let e = place(&spec, 2, &bad).unwrap_err().to_string();
        assert!(e.contains("there are 2 engines"), "{e}");
        let unknown: Placement = [("P9".to_string(), 0)].into();
        let e = place(&spec, 2, &unknown).unwrap_err().to_string();
        assert!(e.contains("no router P9"), "{e}");
    }

    #[test]
    fn three_engines_share_seven_routers_three_three_one_at_most() {
        let spec = seed();
        let p = place(&spec, 3, &Placement::new()).unwrap();
        for e in 0..3 {
            assert!(on(&p, e).len() <= 3, "{p:?}");
        }
        assert_eq!(p.len(), 7);
    }
}
