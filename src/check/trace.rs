//! The label path of a packet, hop by hop, read from the live FIB and LFIB of each router:
//! which router pushes which labels, who swaps, who pops (PHP), where the VPN label sends the
//! packet into a VRF, and where it is delivered.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::Serialize;
use serde_json::Value;

use crate::intent::Intent;
use crate::topology::Lab;

/// What one router does to the packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub router: String,
    /// `push`, `swap`, `pop`, `pop-vrf`, `encap` and `decap` (SRv6), `forward` or `deliver`.
    pub operation: String,
    /// Human-readable: `push 17/144 via 10.1.1.254 eth0`.
    pub detail: String,
    /// The label stack leaving this router (outermost first).
    pub stack: Vec<u32>,
    /// The interface the packet leaves by, when the FIB names it.
    pub interface: Option<String>,
}

impl Hop {
    /// The hop with the interface the packet leaves by, as the FIB names it.
    fn leaving_by(mut self, iface: Option<&str>) -> Self {
        self.interface = iface.map(str::to_string);
        self
    }
}

impl std::fmt::Display for Hop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:<6} {}", self.router, self.detail)
    }
}

/// Reads `show ... json` from a router (the live lab, or canned answers in tests), and the
/// labels of the kernel's LFIB, which is what forwards.
pub trait Observer {
    fn show(&mut self, router: &str, command: &str) -> anyhow::Result<Value>;

    /// The incoming labels the kernel of `router` has routes for (`ip -M route`); `None` where
    /// they cannot be read, and then FRR's LFIB is taken at its word.
    fn kernel_labels(&mut self, _router: &str) -> anyhow::Result<Option<BTreeSet<u32>>> {
        Ok(None)
    }
}

/// The incoming labels in `ip -M route` output: each route's first word.
pub fn kernel_labels(ip_mpls_route: &str) -> BTreeSet<u32> {
    ip_mpls_route
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

const MAX_HOPS: usize = 32;
const IMPLICIT_NULL: u64 = 3;
const EXPLICIT_NULL: u64 = 0;

pub fn trace(
    lab: &Lab,
    intent: &Intent,
    obs: &mut dyn Observer,
    from: &str,
    dst: IpAddr,
) -> anyhow::Result<Vec<Hop>> {
    let ip = if dst.is_ipv4() { "ip" } else { "ipv6" };
    let mut hops = Vec::new();
    let mut router = from.to_string();
    let mut vrf: Option<String> = None;
    let mut stack: Vec<u32> = Vec::new();
    // The SID the packet is sent to inside IPv6 (SRv6), from the head end to the PE it names.
    let mut sid: Option<String> = None;
    for _ in 0..MAX_HOPS {
        if let Some(active) = sid.clone() {
            let command = format!("show ipv6 route {active} json");
            let json = obs.show(&router, &command)?;
            let nh = fib_nexthop(&json).ok_or_else(|| {
                anyhow::anyhow!("{router}: no route to SRv6 SID {active} ({command})")
            })?;
            let iface = nh.get("interfaceName").and_then(Value::as_str);
            let action = nh
                .get("seg6local")
                .and_then(|l| l.get("action"))
                .and_then(Value::as_str)
                .filter(|a| *a != "unspec");
            if let Some(action) = action {
                // The egress PE's SID: decapsulate, look the customer's packet up in the VRF
                // the SID's route leads into (End.DT4/DT6/DT46).
                let table = iface.unwrap_or("?").to_string();
                hops.push(hop(
                    &router,
                    "decap",
                    format!("decap SRv6 {active} ({action}), lookup in VRF {table}"),
                    &stack,
                ));
                vrf = Some(table);
                sid = None;
                continue;
            }
            let next_ip = nh
                .get("ip")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("{router}: SRv6 SID {active} has no next hop"))?;
            let detail = format!(
                "forward SRv6 {active} via {next_ip} {}",
                iface.unwrap_or("?")
            );
            let h = hop(&router, "forward", detail, &stack).leaving_by(iface);
            router = send(lab, &mut hops, h, next_ip)?;
            continue;
        }
        if stack.is_empty() {
            if owns(lab, &router, dst) {
                hops.push(hop(
                    &router,
                    "deliver",
                    format!("deliver to {dst} (own address)"),
                    &stack,
                ));
                return Ok(hops);
            }
            let command = match &vrf {
                Some(v) => format!("show {ip} route vrf {v} {dst} json"),
                None => format!("show {ip} route {dst} json"),
            };
            let json = obs.show(&router, &command)?;
            let nh = fib_nexthop(&json)
                .ok_or_else(|| anyhow::anyhow!("{router}: no route to {dst} ({command})"))?;
            let labels: Vec<u32> = nh
                .get("labels")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|l| l.as_u64().map(|l| l as u32))
                        .collect()
                })
                .unwrap_or_default();
            let out_iface = nh.get("interfaceName").and_then(Value::as_str);
            let iface = out_iface.unwrap_or("?");
            let next_ip = nh
                .get("ip")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .unwrap_or(dst);
            let table = vrf
                .as_deref()
                .map(|v| format!(" (VRF {v})"))
                .unwrap_or_default();
            let segs = nh
                .get("seg6")
                .and_then(|s| s.get("segs"))
                .and_then(Value::as_str);
            let (op, detail) = if let Some(segs) = segs {
                // An SRv6 route: FRR lists the SID's transposed function as a label too, but
                // the kernel encapsulates in IPv6 to the SID and pushes no label.
                let first = segs.split(['/', ',', ' ']).next().unwrap_or(segs);
                sid = Some(first.to_string());
                (
                    "encap",
                    format!("encap SRv6 to {segs}{table} via {next_ip} {iface}"),
                )
            } else if labels.is_empty() {
                ("forward", format!("forward{table} via {next_ip} {iface}"))
            } else {
                (
                    "push",
                    format!("push {}{table} via {next_ip} {iface}", join(&labels)),
                )
            };
            if sid.is_none() {
                stack = labels;
            }
            let h = hop(&router, op, detail, &stack).leaving_by(out_iface);
            router = send(lab, &mut hops, h, next_ip)?;
            if sid.is_some() {
                // The SID, not a VRF, says where the packet goes from here.
                vrf = None;
                continue;
            }
        } else {
            let top = stack[0];
            if u64::from(top) == EXPLICIT_NULL {
                // The router before asked for it (an SR prefix with the explicit-null flag):
                // pop it here and go on with what is under it.
                stack.remove(0);
                hops.push(hop(&router, "pop", "pop 0 (explicit-null)".into(), &stack));
                continue;
            }
            // Who sent the labelled packet here, for the message when it is dropped.
            let sender = hops
                .last()
                .map(|h: &Hop| format!(" ({} sends it there)", h.router))
                .unwrap_or_default();
            let json = obs.show(&router, &format!("show mpls table {top} json"))?;
            let entry = json.get(top.to_string()).unwrap_or(&json);
            let nh = entry
                .get("nexthops")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .ok_or_else(|| {
                    anyhow::anyhow!("{router}: label {top} is not in the LFIB{sender}")
                })?;
            let out = nh
                .get("outLabel")
                .and_then(Value::as_u64)
                .unwrap_or(IMPLICIT_NULL);
            // Who gave the label: LDP, SR (IS-IS), SR (OSPF), BGP-LU, ...
            let source = nh
                .get("type")
                .and_then(Value::as_str)
                .map(|t| format!(" [{}]", label_source(intent, &router, t)))
                .unwrap_or_default();
            if let Some(table) = nh
                .get("interface")
                .and_then(Value::as_str)
                .filter(|_| nh.get("nexthop").is_none())
            {
                // The VPN label: pop it and look the packet up in the VRF it names.
                stack.remove(0);
                hops.push(hop(
                    &router,
                    "pop-vrf",
                    format!("pop {top} (VPN label), lookup in VRF {table}"),
                    &stack,
                ));
                vrf = Some(table.to_string());
                continue;
            }
            if let Some(kernel) = obs.kernel_labels(&router)? {
                if !kernel.contains(&top) {
                    anyhow::bail!(
                        "{router}: label {top} is in FRR's LFIB{source} but not in the kernel's \
                         (`ip -M route`){sender}: the packet is dropped at {router}, where the \
                         control plane and the kernel disagree"
                    );
                }
            }
            let next_ip: IpAddr = nh
                .get("nexthop")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("{router}: label {top} has no next hop"))?;
            // An entry may push more than one label (an option-B ASBR swaps a VPN label for
            // its PE's under LDP's): the whole stack it writes in place of the top label.
            let out_stack: Vec<u32> = nh
                .get("outLabelStack")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_u64)
                        .filter(|l| *l != IMPLICIT_NULL)
                        .map(|l| l as u32)
                        .collect()
                })
                .unwrap_or_else(|| {
                    (out != IMPLICIT_NULL)
                        .then_some(out as u32)
                        .into_iter()
                        .collect()
                });
            if out_stack.is_empty() {
                stack.remove(0);
                let rest = if stack.is_empty() {
                    "plain IP".to_string()
                } else {
                    join(&stack)
                };
                hops.push(hop(
                    &router,
                    "pop",
                    format!("pop {top} (PHP) via {next_ip}, leaves {rest}{source}"),
                    &stack,
                ));
            } else {
                stack.splice(0..1, out_stack.iter().copied());
                hops.push(hop(
                    &router,
                    "swap",
                    format!("swap {top} -> {} via {next_ip}{source}", join(&out_stack)),
                    &stack,
                ));
            }
            let out_iface = nh.get("interface").and_then(Value::as_str);
            router = next_router(lab, &router, out_iface, next_ip)?;
        }
        vrf = ingress_vrf(lab, intent, &router, &hops);
    }
    anyhow::bail!(
        "no delivery after {MAX_HOPS} hops: a loop? {:?}",
        hops.iter().map(|h| h.to_string()).collect::<Vec<_>>()
    )
}

/// FRR's LFIB calls every label bgpd installs `BGP`; the router's intent tells which kind a
/// swap is: a labeled-unicast route's (BGP-LU, inter-AS option C), or a VPN route's that an
/// ASBR re-labels as it passes it on (BGP VPN, option B).
fn label_source<'t>(intent: &Intent, router: &str, lfib_type: &'t str) -> &'t str {
    if lfib_type != "BGP" {
        return lfib_type;
    }
    let bgp = intent.routers.get(router).and_then(|r| r.bgp.as_ref());
    let lu = bgp.is_some_and(|b| b.neighbors.values().any(|n| n.ipv4_labeled_unicast));
    let vpn = bgp.is_some_and(|b| !b.vpn_label_switching.is_empty());
    match (lu, vpn) {
        (true, false) => "BGP-LU",
        (false, true) => "BGP VPN",
        _ => lfib_type,
    }
}

/// Records `h`, a hop that sends the packet to `next_ip` by its interface; the router it
/// reaches.
fn send(lab: &Lab, hops: &mut Vec<Hop>, h: Hop, next_ip: IpAddr) -> anyhow::Result<String> {
    let next = next_router(lab, &h.router, h.interface.as_deref(), next_ip);
    hops.push(h);
    next
}

fn hop(router: &str, op: &str, detail: String, stack: &[u32]) -> Hop {
    Hop {
        router: router.to_string(),
        operation: op.to_string(),
        detail,
        stack: stack.to_vec(),
        interface: None,
    }
}

fn join(labels: &[u32]) -> String {
    labels
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

/// The next hop the kernel uses: the one marked `fib` (a recursive route's resolved one).
fn fib_nexthop(json: &Value) -> Option<&Value> {
    let routes = json.as_object()?.values().next()?.as_array()?;
    let route = routes
        .iter()
        .find(|r| r.get("selected") == Some(&Value::Bool(true)))?;
    let hops = route.get("nexthops")?.as_array()?;
    hops.iter()
        .find(|h| h.get("fib") == Some(&Value::Bool(true)))
        .or_else(|| hops.first())
}

/// The router of the lab that has `addr` (a loopback or an interface address).
pub fn owner(lab: &Lab, addr: IpAddr) -> Option<&str> {
    lab.routers
        .iter()
        .find(|r| owns(lab, &r.name, addr))
        .map(|r| r.name.as_str())
}

fn owns(lab: &Lab, router: &str, addr: IpAddr) -> bool {
    lab.router(router).is_some_and(|r| {
        r.loopback.is_some_and(|l| IpAddr::V4(l.addr()) == addr)
            || r.loopback6.is_some_and(|l| IpAddr::V6(l.addr()) == addr)
            || r.interfaces.iter().any(|i| has_address(i, addr))
    })
}

fn has_address(i: &crate::topology::Interface, addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => i.address.is_some_and(|n| n.addr() == a),
        IpAddr::V6(a) => i.address6.is_some_and(|n| n.addr() == a),
    }
}

/// The router on the far side of `from`'s link that owns `next_ip`: on the segment of the
/// interface the packet leaves by, where FRR says which, since two customers' routers may
/// have the same address. An IPv6 IGP's next hops are link-local addresses, which the
/// topology does not know: on a link, the one router at its other end.
fn next_router(
    lab: &Lab,
    from: &str,
    out_iface: Option<&str>,
    next_ip: IpAddr,
) -> anyhow::Result<String> {
    let segment = out_iface
        .and_then(|i| lab.router(from)?.interface(i))
        .map(|i| i.segment.as_str());
    let on_segment = |i: &crate::topology::Interface| segment.is_none_or(|s| s == i.segment);
    let link_local = matches!(next_ip, IpAddr::V6(a) if a.is_unicast_link_local());
    let others: Vec<&crate::topology::Router> =
        lab.routers.iter().filter(|r| r.name != from).collect();
    let by_address = others.iter().find(|r| {
        r.interfaces
            .iter()
            .any(|i| has_address(i, next_ip) && on_segment(i))
    });
    let far_end = || {
        let ends: Vec<_> = others
            .iter()
            .filter(|r| segment.is_some() && r.interfaces.iter().any(on_segment))
            .collect();
        (ends.len() == 1).then(|| *ends[0])
    };
    by_address
        .copied()
        .or_else(|| link_local.then(far_end).flatten())
        .map(|r| r.name.clone())
        .ok_or_else(|| {
            anyhow::anyhow!("{from}: next hop {next_ip} belongs to no router of the lab")
        })
}

/// The VRF a packet arriving at `router` is looked up in: that of the interface it came in on.
fn ingress_vrf(lab: &Lab, intent: &Intent, router: &str, hops: &[Hop]) -> Option<String> {
    let previous = hops.last()?;
    let r = lab.router(router)?;
    let prev = lab.router(&previous.router)?;
    // The segment the packet came over: the one behind the interface it left by, where the
    // FIB named it (two routers may share several: one per customer VRF, as option-A ASBRs).
    let came_over = previous
        .interface
        .as_deref()
        .and_then(|name| prev.interface(name))
        .map(|i| i.segment.as_str());
    let iface = r.interfaces.iter().find(|i| match came_over {
        Some(segment) => i.segment == segment,
        None => prev.interfaces.iter().any(|p| p.segment == i.segment),
    })?;
    let ri = intent.routers.get(router)?;
    ri.vrfs
        .iter()
        .find(|(_, v)| v.members.contains(&iface.name))
        .map(|(name, _)| name.clone())
}

#[cfg(test)]
mod tests;
