//! Routing domains: which addresses share a routing table and so must differ.
//!
//! The provider's table is one domain. Each customer VRF is another, and it reaches past the PE:
//! a segment with a PE end in VRF `V` belongs to `V`, and so does every CE on it, with its
//! loopback and the segments behind it (a CE has no VRFs of its own). Two customers may then
//! use the same subnets and addresses, as real L3VPN customers do; inside one domain a clash is
//! still an error.

/// The table each VRF named in the topology gets unless a script gives it another: 10, 20, ...
/// in order of first appearance, as the seed lab numbers CUSTA and CUSTB. One table per VRF
/// across the lab, so that every PE agrees.
pub fn topology_vrf_tables(lab: &super::Lab) -> Vec<(String, u32)> {
    let mut tables: Vec<(String, u32)> = Vec::new();
    for vrf in lab
        .segments
        .iter()
        .flat_map(|s| &s.endpoints)
        .filter_map(|e| e.vrf.as_ref())
    {
        if !tables.iter().any(|(v, _)| v == vrf) {
            let table = 10 * (tables.len() as u32 + 1);
            tables.push((vrf.clone(), table));
        }
    }
    tables
}

/// A domain: the provider's table, a customer VRF by name, or a layer-2 VPN by name (its
/// customers' segments are one broadcast domain: one subnet, each address once).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Domain {
    Provider,
    Vrf(String),
    L2vpn(String),
}

impl Domain {
    pub fn of(vrf: Option<&str>) -> Domain {
        vrf.map_or(Domain::Provider, |v| Domain::Vrf(v.to_string()))
    }

    pub fn vrf(&self) -> Option<&str> {
        match self {
            Domain::Vrf(v) => Some(v),
            Domain::Provider | Domain::L2vpn(_) => None,
        }
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Domain::Provider => f.write_str("the provider's table"),
            Domain::Vrf(v) => write!(f, "VRF {v}"),
            Domain::L2vpn(n) => write!(f, "L2VPN {n}"),
        }
    }
}

/// One end of a segment, as far as domains go.
#[derive(Debug, Clone)]
pub struct EndInput<'a> {
    /// Index of the router.
    pub router: usize,
    /// The VRF this end is put in (`vrf NAME` in the topology, or a script's `bind`).
    pub vrf: Option<&'a str>,
    /// The layer-2 VPN this end attaches its segment to (`l2vpn NAME`).
    pub l2vpn: Option<&'a str>,
}

impl EndInput<'_> {
    /// The domain this end gives its segment, if it names one.
    fn says(&self) -> Option<Domain> {
        match (self.vrf, self.l2vpn) {
            (Some(v), _) => Some(Domain::Vrf(v.to_string())),
            (None, Some(n)) => Some(Domain::L2vpn(n.to_string())),
            (None, None) => None,
        }
    }
}

/// Why the domains of a lab cannot be worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// One segment has ends in two different VRFs or L2VPNs: (segment, end index of the
    /// first, of the second).
    SegmentInTwo {
        segment: usize,
        first: usize,
        second: usize,
    },
    /// A CE is reached from two domains: (router, its domain so far, the segment that would
    /// put it in another).
    CeInTwo {
        router: usize,
        first: Domain,
        segment: usize,
    },
}

/// The domain of every segment and of every router's own addresses (its loopback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domains {
    pub segments: Vec<Domain>,
    pub routers: Vec<Domain>,
    pub conflicts: Vec<Conflict>,
}

/// Work out the domains. `is_ce[r]` tells which routers are customer edges; `segments` lists
/// each segment's ends.
pub fn assign(is_ce: &[bool], segments: &[Vec<EndInput<'_>>]) -> Domains {
    let mut conflicts = Vec::new();
    // A segment's own say: the VRF of an end, or the provider's table when a provider router
    // (P, PE, RR) has an end there outside any VRF; a segment of CEs only waits for its CEs.
    let mut seg: Vec<Option<Domain>> = segments
        .iter()
        .enumerate()
        .map(|(si, ends)| {
            let mut marked: Option<(usize, Domain)> = None;
            for (ei, e) in ends.iter().enumerate() {
                if let Some(d) = e.says() {
                    match &marked {
                        Some((first, w)) if *w != d => conflicts.push(Conflict::SegmentInTwo {
                            segment: si,
                            first: *first,
                            second: ei,
                        }),
                        Some(_) => {}
                        None => marked = Some((ei, d)),
                    }
                }
            }
            if let Some((_, d)) = marked {
                return Some(d);
            }
            ends.iter()
                .any(|e| !is_ce[e.router])
                .then_some(Domain::Provider)
        })
        .collect();
    let mut ce: Vec<Option<Domain>> = vec![None; is_ce.len()];
    // Segments in file order hand their domain to their CEs, CEs to their CE-only segments,
    // until nothing changes: a lab's CE islands are small, so this ends after a few rounds.
    let mut changed = true;
    while changed {
        changed = false;
        for (si, ends) in segments.iter().enumerate() {
            if seg[si].is_none() {
                if let Some(d) = ends.iter().find_map(|e| ce[e.router].clone()) {
                    seg[si] = Some(d);
                    changed = true;
                }
            }
            let Some(d) = seg[si].clone() else { continue };
            for e in ends.iter().filter(|e| is_ce[e.router]) {
                match &ce[e.router] {
                    None => {
                        ce[e.router] = Some(d.clone());
                        changed = true;
                    }
                    Some(first) if *first != d => {
                        let c = Conflict::CeInTwo {
                            router: e.router,
                            first: first.clone(),
                            segment: si,
                        };
                        if !conflicts.contains(&c) {
                            conflicts.push(c);
                        }
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Domains {
        // CEs joined to no provider router at all stay in the provider's table.
        segments: seg
            .into_iter()
            .map(|d| d.unwrap_or(Domain::Provider))
            .collect(),
        routers: ce
            .into_iter()
            .map(|d| d.unwrap_or(Domain::Provider))
            .collect(),
        conflicts,
    }
}

/// The domains of a lab's model, with `bound` (router, interface, VRF) as if each end had
/// `vrf NAME` in the topology: what a script's `bind` makes of the lab.
pub fn of_lab(lab: &super::Lab, bound: &[(&str, &str, &str)]) -> Domains {
    let is_ce: Vec<bool> = lab
        .routers
        .iter()
        .map(|r| r.role == super::Role::Ce)
        .collect();
    let index = |name: &str| lab.routers.iter().position(|r| r.name == name);
    let inputs: Vec<Vec<EndInput<'_>>> = lab
        .segments
        .iter()
        .map(|s| {
            s.endpoints
                .iter()
                .filter_map(|e| {
                    let vrf = bound
                        .iter()
                        .find(|(r, i, _)| *r == e.router && *i == e.interface)
                        .map(|(_, _, v)| *v)
                        .or(e.vrf.as_deref());
                    Some(EndInput {
                        router: index(&e.router)?,
                        vrf,
                        l2vpn: e.l2vpn.as_deref(),
                    })
                })
                .collect()
        })
        .collect();
    assign(&is_ce, &inputs)
}

/// Whether two subnets share addresses (either holds the other's network address).
pub fn overlaps(a: ipnet::Ipv4Net, b: ipnet::Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// For each subnet, the first one before it (in order) in the same domain that it overlaps.
///
/// Subnets nest or are disjoint, so the earlier subnets a subnet overlaps are its supernets
/// (at most 33 prefixes, looked up) and the subnets inside it, which follow it when all are
/// sorted by (first address, size descending): a range whose smallest index a sparse table
/// gives at once. O(n log n), where comparing every pair took minutes for 13,000 links.
pub fn first_overlaps<N: Into<ipnet::IpNet> + Copy>(
    nets: &[Option<(N, &Domain)>],
) -> Vec<Option<usize>> {
    use std::collections::HashMap;
    let mut first = vec![None; nets.len()];
    let mut by_domain: HashMap<&Domain, Vec<usize>> = HashMap::new();
    for (i, n) in nets.iter().enumerate() {
        if let Some((_, d)) = n {
            by_domain.entry(*d).or_default().push(i);
        }
    }
    // First and last address and prefix length, as numbers of the family's width.
    let range = |i: usize| -> (u128, u128, u8, u8) {
        match nets[i].expect("grouped above").0.into().trunc() {
            ipnet::IpNet::V4(n) => (
                u32::from(n.network()).into(),
                u32::from(n.broadcast()).into(),
                n.prefix_len(),
                32,
            ),
            ipnet::IpNet::V6(n) => (
                u128::from(n.network()),
                u128::from(n.broadcast()),
                n.prefix_len(),
                128,
            ),
        }
    };
    for members in by_domain.values() {
        // The earliest index of each exact prefix: supernets (and equal subnets) by lookup.
        let mut earliest: HashMap<(u128, u8), usize> = HashMap::new();
        for &i in members {
            let (start, _, len, _) = range(i);
            earliest.entry((start, len)).or_insert(i);
        }
        let mut sorted: Vec<usize> = members.clone();
        sorted.sort_by_key(|&i| {
            let (start, end, _, _) = range(i);
            (start, std::cmp::Reverse(end), i)
        });
        let starts: Vec<u128> = sorted.iter().map(|&i| range(i).0).collect();
        let table = SparseMin::new(&sorted);
        for (p, &i) in sorted.iter().enumerate() {
            let (start, end, len, width) = range(i);
            let supernet = (0..=len)
                .filter_map(|l| {
                    let host_bits = u32::from(width - l);
                    let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
                    earliest.get(&(start & mask, l)).copied()
                })
                .filter(|&j| j < i)
                .min();
            // Subnets inside this one: the run after it whose first address is within it.
            let last = starts.partition_point(|&s| s <= end);
            let inside = (p + 1 < last)
                .then(|| table.min(p + 1, last))
                .filter(|&j| j < i);
            first[i] = supernet.into_iter().chain(inside).min();
        }
    }
    first
}

/// Range minimum over a fixed list, O(1) a query after O(n log n) building.
struct SparseMin {
    levels: Vec<Vec<usize>>,
}

impl SparseMin {
    fn new(values: &[usize]) -> SparseMin {
        let mut levels = vec![values.to_vec()];
        let mut width = 1;
        while width * 2 <= values.len() {
            let prev = levels.last().expect("one level at least");
            let next = (0..=values.len() - width * 2)
                .map(|k| prev[k].min(prev[k + width]))
                .collect();
            levels.push(next);
            width *= 2;
        }
        SparseMin { levels }
    }

    /// The smallest value in `from..to` (not empty).
    fn min(&self, from: usize, to: usize) -> usize {
        let level = (usize::BITS - 1 - (to - from).leading_zeros()) as usize;
        let width = 1 << level;
        self.levels[level][from].min(self.levels[level][to - width])
    }
}

/// What clashes inside one domain once `bound` is applied, in words: an overlapping subnet or
/// a repeated address, or a segment in two VRFs. A CE between two PEs is in two domains for
/// as long as a script has bound one of its PEs' ends only, so that is no clash.
pub fn clash_after(lab: &super::Lab, bound: &[(&str, &str, &str)]) -> Option<String> {
    let d = of_lab(lab, bound);
    for c in &d.conflicts {
        if let Conflict::SegmentInTwo { segment, .. } = c {
            return Some(format!(
                "`{}` would be in two VRFs",
                lab.segments[*segment].name
            ));
        }
    }
    // An L2VPN's attachment circuits share their one subnet on purpose (validation checks
    // they do): the first stands for them all.
    let mut circuits_seen = std::collections::HashSet::new();
    let nets: Vec<_> = lab
        .segments
        .iter()
        .zip(&d.segments)
        .map(|(s, domain)| {
            let circuit_of = s.endpoints.iter().find_map(|e| e.l2vpn.as_deref());
            match circuit_of {
                Some(name) if !circuits_seen.insert(name) => None,
                _ => s.subnet.map(|net| (net, domain)),
            }
        })
        .collect();
    for (i, j) in first_overlaps(&nets).into_iter().enumerate() {
        if let Some(j) = j {
            let (s, o) = (&lab.segments[i], &lab.segments[j]);
            return Some(format!(
                "subnet {} of `{}` overlaps {} of `{}` in {}",
                s.subnets(),
                s.name,
                o.subnets(),
                o.name,
                d.segments[i]
            ));
        }
    }
    let mut seen: std::collections::HashMap<(&Domain, std::net::Ipv4Addr), String> =
        std::collections::HashMap::new();
    let loopbacks = lab.routers.iter().enumerate().filter_map(|(i, r)| {
        r.loopback.map(|lo| {
            (
                (&d.routers[i], lo.addr()),
                format!("the loopback of `{}`", r.name),
            )
        })
    });
    let seg_domains = &d.segments;
    let ends = lab
        .segments
        .iter()
        .zip(seg_domains)
        .flat_map(|(s, domain)| {
            s.endpoints.iter().filter_map(move |e| {
                Some((
                    (domain, e.address?),
                    format!("`{}:{}`", e.router, e.interface),
                ))
            })
        });
    for (key, owner) in loopbacks.chain(ends) {
        if let Some(first) = seen.get(&key) {
            return Some(format!(
                "address {} of {owner} is already {first}'s in {}",
                key.1, key.0
            ));
        }
        seen.insert(key, owner);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(router: usize, vrf: Option<&str>) -> EndInput<'_> {
        EndInput {
            router,
            vrf,
            l2vpn: None,
        }
    }

    /// Routers: 0 PE1, 1 PE2, 2 CE1, 3 CE2, 4 CE3 (behind CE1).
    const CE: [bool; 5] = [false, false, true, true, true];

    #[test]
    fn a_ce_and_what_is_behind_it_take_the_vrf_of_the_pe_end() {
        let d = assign(
            &CE,
            &[
                vec![end(0, None), end(1, None)],
                vec![end(0, Some("A")), end(2, None)],
                vec![end(1, Some("B")), end(3, None)],
                vec![end(2, None), end(4, None)],
            ],
        );
        let a = Domain::Vrf("A".into());
        let b = Domain::Vrf("B".into());
        assert_eq!(
            d.segments,
            [Domain::Provider, a.clone(), b.clone(), a.clone()]
        );
        assert_eq!(
            d.routers,
            [Domain::Provider, Domain::Provider, a.clone(), b, a]
        );
        assert!(d.conflicts.is_empty());
    }

    #[test]
    fn without_vrf_ends_everything_is_the_providers() {
        let d = assign(&CE, &[vec![end(0, None), end(2, None)]]);
        assert_eq!(d.segments, [Domain::Provider]);
        assert!(d.routers.iter().all(|r| *r == Domain::Provider));
    }

    #[test]
    fn a_segment_in_two_vrfs_and_a_ce_in_two_domains_are_conflicts() {
        let d = assign(
            &CE,
            &[
                vec![end(0, Some("A")), end(1, Some("B"))],
                vec![end(0, Some("A")), end(2, None)],
                vec![end(1, None), end(2, None)],
            ],
        );
        assert_eq!(
            d.conflicts,
            [
                Conflict::SegmentInTwo {
                    segment: 0,
                    first: 0,
                    second: 1
                },
                Conflict::CeInTwo {
                    router: 2,
                    first: Domain::Vrf("A".into()),
                    segment: 2
                }
            ]
        );
    }

    #[test]
    fn first_overlaps_finds_what_comparing_every_pair_finds() {
        let provider = Domain::Provider;
        let vrf = Domain::Vrf("A".into());
        // Nested, equal, disjoint and out-of-order prefixes in two domains, from a seed.
        let mut x: u32 = 7;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        let nets: Vec<(ipnet::Ipv4Net, &Domain)> = (0..400)
            .map(|_| {
                let len = 20 + (next() % 10) as u8;
                let addr = std::net::Ipv4Addr::from(0x0a00_0000 | (next() % 4096) << 8);
                let domain = if next() % 3 == 0 { &vrf } else { &provider };
                (ipnet::Ipv4Net::new(addr, len).unwrap().trunc(), domain)
            })
            .collect();
        let naive: Vec<Option<usize>> = (0..nets.len())
            .map(|i| (0..i).find(|&j| nets[j].1 == nets[i].1 && overlaps(nets[j].0, nets[i].0)))
            .collect();
        let fast = first_overlaps(&nets.iter().map(|n| Some(*n)).collect::<Vec<_>>());
        assert_eq!(fast, naive);
        assert!(
            naive.iter().filter(|j| j.is_some()).count() > 50,
            "the case overlaps"
        );

        // The same in IPv6, nested prefixes from /48 to /64 under one /32.
        let nets6: Vec<(ipnet::Ipv6Net, &Domain)> = (0..400)
            .map(|_| {
                let len = 48 + (next() % 17) as u8;
                let low = (u128::from(next() % 4096) << 64) | (u128::from(next() % 4) << 76);
                let addr = std::net::Ipv6Addr::from((0x2001_0db8u128 << 96) | low);
                (ipnet::Ipv6Net::new(addr, len).unwrap().trunc(), &provider)
            })
            .collect();
        let naive6: Vec<Option<usize>> = (0..nets6.len())
            .map(|i| {
                let (a, _) = nets6[i];
                (0..i).find(|&j| nets6[j].0.contains(&a) || a.contains(&nets6[j].0))
            })
            .collect();
        let fast6 = first_overlaps(&nets6.iter().map(|n| Some(*n)).collect::<Vec<_>>());
        assert_eq!(fast6, naive6);
        assert!(naive6.iter().filter(|j| j.is_some()).count() > 50);
    }
}
