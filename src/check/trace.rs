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
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    struct Canned(HashMap<(String, String), Value>);

    impl Observer for Canned {
        fn show(&mut self, router: &str, command: &str) -> anyhow::Result<Value> {
            self.0
                .get(&(router.to_string(), command.to_string()))
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("unexpected {router}: {command}"))
        }
    }

    fn route(ip: &str, iface: &str, labels: &[u32]) -> Value {
        json!({"x": [{"selected": true, "nexthops": [{"fib": true, "ip": ip, "interfaceName": iface, "labels": labels}]}]})
    }

    /// An LFIB entry popping `label` towards `via` (penultimate hop popping of LDP's label).
    fn ldp_pop(label: u32, via: &str) -> Value {
        json!({"inLabel": label, "nexthops": [{"type": "LDP", "outLabel": 3, "nexthop": via}]})
    }

    /// An LFIB entry of a VPN label, leading into VRF `vrf`.
    fn vpn_pop(label: u32, vrf: &str) -> Value {
        json!({"inLabel": label, "nexthops": [{"type": "BGP", "outLabel": 3, "interface": vrf}]})
    }

    /// A BGP LFIB entry that swaps `label` for `out` towards `via`.
    fn bgp_swap(label: u32, out: &[u32], via: &str) -> Value {
        json!({"inLabel": label, "nexthops": [{"type": "BGP", "outLabel": out[0], "outLabelStack": out, "nexthop": via}]})
    }

    /// A lab of `scripts/`, its PEs' `iface` in `vrf` (as the VRF API would bind it).
    fn lab_with_vrf(topo: &str, vrf: &str, iface: &str) -> (Lab, Intent) {
        let path = format!("{}/scripts/{topo}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let lab = crate::topology::load(&crate::diagnostic::Source::new(topo, text)).unwrap();
        let mut intent = Intent::default();
        for pe in ["PE1", "PE2"] {
            let v = intent.router_mut(pe).vrfs.entry(vrf.into()).or_default();
            v.members.insert(iface.into());
        }
        (lab, intent)
    }

    /// The trace from `from` to `dst` over canned `(router, command) -> json` answers.
    fn trace_over(
        (lab, intent): (Lab, Intent),
        answers: &[(&str, &str, Value)],
        from: &str,
        dst: &str,
    ) -> Vec<Hop> {
        let canned = Canned(
            answers
                .iter()
                .map(|(r, c, v)| ((r.to_string(), c.to_string()), v.clone()))
                .collect(),
        );
        trace(&lab, &intent, &mut { canned }, from, dst.parse().unwrap()).unwrap()
    }

    fn lines(hops: &[Hop]) -> Vec<String> {
        hops.iter().map(|h| h.to_string()).collect()
    }

    /// Customer B's CE4 has customer A's CE2's addresses: the trace follows PE2's interface
    /// towards CE4, not the first router with the next hop's address.
    #[test]
    fn on_the_overlap_lab_the_trace_ends_at_the_customers_own_ce() {
        let lines = lines(&trace_over(
            lab_with_vrf("overlap.topo", "CUSTB", "eth2"),
            &[
                (
                    "CE3",
                    "show ip route 192.168.2.1 json",
                    route("172.16.1.254", "eth0", &[]),
                ),
                (
                    "PE1",
                    "show ip route vrf CUSTB 192.168.2.1 json",
                    route("10.1.1.254", "eth0", &[17, 145]),
                ),
                (
                    "PR",
                    "show mpls table 17 json",
                    json!({"inLabel": 17, "nexthops": [{"type": "LDP", "outLabel": 3, "nexthop": "10.1.2.2", "interface": "eth1"}]}),
                ),
                ("PE2", "show mpls table 145 json", vpn_pop(145, "CUSTB")),
                (
                    "PE2",
                    "show ip route vrf CUSTB 192.168.2.1 json",
                    route("172.16.2.2", "eth2", &[]),
                ),
            ],
            "CE3",
            "192.168.2.1",
        ));
        assert!(lines[0].starts_with("CE3 "), "{lines:?}");
        assert_eq!(
            lines.last().unwrap(),
            "CE4    deliver to 192.168.2.1 (own address)"
        );
    }

    /// Inter-AS option C, with the labels of a run on the lab VM: three labels pushed, LDP's
    /// popped before ASBR1, the BGP-LU label swapped at each ASBR and popped by P2, and each
    /// BGP swap named for what it is by the router's intent.
    #[test]
    fn inter_as_option_c_swaps_bgp_lu_labels_at_the_asbrs() {
        let (lab, mut intent) = lab_with_vrf("interas.topo", "CUSTA", "eth1");
        for (r, peer) in [
            ("ASBR1", "10.0.0.3"),
            ("ASBR2", "10.0.0.2"),
            ("P2", "10.2.1.2"),
        ] {
            let bgp = intent
                .router_mut(r)
                .bgp
                .get_or_insert_with(Default::default);
            let n = bgp.neighbors.entry(peer.parse().unwrap()).or_default();
            n.ipv4_labeled_unicast = true;
        }
        let hops = trace_over(
            (lab, intent),
            &[
                (
                    "CE1",
                    "show ip route 192.168.2.1 json",
                    route("172.16.1.254", "eth0", &[]),
                ),
                (
                    "PE1",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("10.1.1.254", "eth0", &[17, 145, 145]),
                ),
                ("P1", "show mpls table 17 json", ldp_pop(17, "10.1.2.2")),
                (
                    "ASBR1",
                    "show mpls table 145 json",
                    bgp_swap(145, &[144], "10.0.0.3"),
                ),
                (
                    "ASBR2",
                    "show mpls table 144 json",
                    bgp_swap(144, &[145], "10.2.2.254"),
                ),
                (
                    "P2",
                    "show mpls table 145 json",
                    bgp_swap(145, &[3], "10.2.1.2"),
                ),
                ("PE2", "show mpls table 145 json", vpn_pop(145, "CUSTA")),
                (
                    "PE2",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("172.16.2.2", "eth1", &[]),
                ),
            ],
            "CE1",
            "192.168.2.1",
        );
        assert_eq!(
            lines(&hops),
            [
                "CE1    forward via 172.16.1.254 eth0",
                "PE1    push 17/145/145 (VRF CUSTA) via 10.1.1.254 eth0",
                "P1     pop 17 (PHP) via 10.1.2.2, leaves 145/145 [LDP]",
                "ASBR1  swap 145 -> 144 via 10.0.0.3 [BGP-LU]",
                "ASBR2  swap 144 -> 145 via 10.2.2.254 [BGP-LU]",
                "P2     pop 145 (PHP) via 10.2.1.2, leaves 145 [BGP-LU]",
                "PE2    pop 145 (VPN label), lookup in VRF CUSTA",
                "PE2    forward (VRF CUSTA) via 172.16.2.2 eth1",
                "CE2    deliver to 192.168.2.1 (own address)",
            ]
        );
    }

    /// SRv6 (the FRR 10.3 answers of scripts/mpls_vpn_srv6.rhai): PE1's route lists the SID's
    /// transposed function as label 32 but encapsulates; PR forwards by the locator's route;
    /// PE2's End.DT4 SID leads into the VRF.
    #[test]
    fn srv6_is_encap_to_the_sid_forward_by_locator_and_decap_into_the_vrf() {
        let srv6_route = json!({"192.168.2.0/24": [{"selected": true, "nexthops": [
            {"ip": "2.2.2.2", "recursive": true, "labels": [32], "seg6": {"segs": "2001:db8:5:2:2::"}},
            {"fib": true, "ip": "10.1.1.254", "interfaceName": "eth0", "labels": [32],
             "seg6local": {"action": "unspec"}, "seg6": {"segs": "2001:db8:5:2:2::"}}
        ]}]});
        let transit = json!({"2001:db8:5:2::/64": [{"selected": true, "nexthops": [
            {"fib": true, "ip": "fe80::1046:90ff:fead:535", "interfaceName": "eth1"}
        ]}]});
        let sid = json!({"2001:db8:5:2:2::/128": [{"selected": true, "nexthops": [
            {"fib": true, "directlyConnected": true, "interfaceName": "CUSTA",
             "seg6local": {"action": "End.DT4"}, "seg6localContext": {"table": 10}}
        ]}]});
        let hops = trace_over(
            lab_with_vrf("mpls_vpn_v6.topo", "CUSTA", "eth1"),
            &[
                (
                    "CE1",
                    "show ip route 192.168.2.1 json",
                    route("172.16.1.254", "eth0", &[]),
                ),
                (
                    "PE1",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    srv6_route,
                ),
                ("PR", "show ipv6 route 2001:db8:5:2:2:: json", transit),
                ("PE2", "show ipv6 route 2001:db8:5:2:2:: json", sid),
                (
                    "PE2",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("172.16.2.2", "eth1", &[]),
                ),
            ],
            "CE1",
            "192.168.2.1",
        );
        assert_eq!(
            lines(&hops),
            [
                "CE1    forward via 172.16.1.254 eth0",
                "PE1    encap SRv6 to 2001:db8:5:2:2:: (VRF CUSTA) via 10.1.1.254 eth0",
                "PR     forward SRv6 2001:db8:5:2:2:: via fe80::1046:90ff:fead:535 eth1",
                "PE2    decap SRv6 2001:db8:5:2:2:: (End.DT4), lookup in VRF CUSTA",
                "PE2    forward (VRF CUSTA) via 172.16.2.2 eth1",
                "CE2    deliver to 192.168.2.1 (own address)",
            ]
        );
        assert!(hops.iter().all(|h| h.stack.is_empty()), "no label anywhere");
    }

    /// Inter-AS option A: ASBR1 pops the VPN label into its VRF and forwards plain IP on the
    /// customer's own link; ASBR2 takes it into the same VRF, not by the link the two share in
    /// the providers' table (ASBR1's eth1), which comes first in the topology.
    #[test]
    fn inter_as_option_a_crosses_between_the_asbrs_in_the_customers_vrf() {
        let (lab, mut intent) = lab_with_vrf("interas.topo", "CUSTA", "eth1");
        for r in ["ASBR1", "ASBR2"] {
            let v = intent.router_mut(r).vrfs.entry("CUSTA".into()).or_default();
            v.members.insert("eth2".into());
        }
        let hops = trace_over(
            (lab, intent),
            &[
                (
                    "CE1",
                    "show ip route 192.168.2.1 json",
                    route("172.16.1.254", "eth0", &[]),
                ),
                (
                    "PE1",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("10.1.1.254", "eth0", &[17, 145]),
                ),
                ("P1", "show mpls table 17 json", ldp_pop(17, "10.1.2.2")),
                ("ASBR1", "show mpls table 145 json", vpn_pop(145, "CUSTA")),
                (
                    "ASBR1",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("10.0.1.3", "eth2", &[]),
                ),
                (
                    "ASBR2",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("10.2.2.254", "eth0", &[16, 145]),
                ),
                ("P2", "show mpls table 16 json", ldp_pop(16, "10.2.1.2")),
                ("PE2", "show mpls table 145 json", vpn_pop(145, "CUSTA")),
                (
                    "PE2",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("172.16.2.2", "eth1", &[]),
                ),
            ],
            "CE1",
            "192.168.2.1",
        );
        assert_eq!(
            lines(&hops)[3..6],
            [
                "ASBR1  pop 145 (VPN label), lookup in VRF CUSTA",
                "ASBR1  forward (VRF CUSTA) via 10.0.1.3 eth2",
                "ASBR2  push 16/145 (VRF CUSTA) via 10.2.2.254 eth0",
            ]
        );
        assert_eq!(
            lines(&hops).last().unwrap(),
            "CE2    deliver to 192.168.2.1 (own address)"
        );
    }

    /// Inter-AS option B: each ASBR swaps the VPN label, ASBR2 for PE2's under LDP's (an entry
    /// that writes two labels).
    #[test]
    fn inter_as_option_b_swaps_vpn_labels_at_the_asbrs() {
        let (lab, mut intent) = lab_with_vrf("interas.topo", "CUSTA", "eth1");
        for r in ["ASBR1", "ASBR2"] {
            let bgp = intent
                .router_mut(r)
                .bgp
                .get_or_insert_with(Default::default);
            bgp.vpn_label_switching.insert("eth1".into());
        }
        let hops = trace_over(
            (lab, intent),
            &[
                (
                    "CE1",
                    "show ip route 192.168.2.1 json",
                    route("172.16.1.254", "eth0", &[]),
                ),
                (
                    "PE1",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("10.1.1.254", "eth0", &[17, 147]),
                ),
                ("P1", "show mpls table 17 json", ldp_pop(17, "10.1.2.2")),
                (
                    "ASBR1",
                    "show mpls table 147 json",
                    bgp_swap(147, &[146], "10.0.0.3"),
                ),
                (
                    "ASBR2",
                    "show mpls table 146 json",
                    bgp_swap(146, &[16, 145], "10.2.2.254"),
                ),
                ("P2", "show mpls table 16 json", ldp_pop(16, "10.2.1.2")),
                ("PE2", "show mpls table 145 json", vpn_pop(145, "CUSTA")),
                (
                    "PE2",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("172.16.2.2", "eth1", &[]),
                ),
            ],
            "CE1",
            "192.168.2.1",
        );
        assert_eq!(
            lines(&hops)[2..6],
            [
                "P1     pop 17 (PHP) via 10.1.2.2, leaves 147 [LDP]",
                "ASBR1  swap 147 -> 146 via 10.0.0.3 [BGP VPN]",
                "ASBR2  swap 146 -> 16/145 via 10.2.2.254 [BGP VPN]",
                "P2     pop 16 (PHP) via 10.2.1.2, leaves 145 [LDP]",
            ]
        );
        assert_eq!(
            lines(&hops).last().unwrap(),
            "CE2    deliver to 192.168.2.1 (own address)"
        );
    }

    #[test]
    fn seed_lab_ce1_to_ce2_is_push_php_pop_deliver() {
        let hops = trace_over(
            lab_with_vrf("mpls_vpn.topo", "CUSTA", "eth1"),
            &[
                (
                    "CE1",
                    "show ip route 192.168.2.1 json",
                    route("172.16.1.254", "eth0", &[]),
                ),
                (
                    "PE1",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("10.1.1.254", "eth0", &[17, 144]),
                ),
                ("PR", "show mpls table 17 json", ldp_pop(17, "10.1.2.2")),
                ("PE2", "show mpls table 144 json", vpn_pop(144, "CUSTA")),
                (
                    "PE2",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("172.16.2.2", "eth1", &[]),
                ),
            ],
            "CE1",
            "192.168.2.1",
        );
        assert_eq!(
            lines(&hops),
            [
                "CE1    forward via 172.16.1.254 eth0",
                "PE1    push 17/144 (VRF CUSTA) via 10.1.1.254 eth0",
                "PR     pop 17 (PHP) via 10.1.2.2, leaves 144 [LDP]",
                "PE2    pop 144 (VPN label), lookup in VRF CUSTA",
                "PE2    forward (VRF CUSTA) via 172.16.2.2 eth1",
                "CE2    deliver to 192.168.2.1 (own address)",
            ]
        );
        let ops: Vec<&str> = hops.iter().map(|h| h.operation.as_str()).collect();
        assert_eq!(
            ops,
            ["forward", "push", "pop", "pop-vrf", "forward", "deliver"]
        );
    }

    /// An observer whose routers' kernels hold the given labels (none listed: all of FRR's).
    struct WithKernel(Canned, HashMap<String, BTreeSet<u32>>);

    impl Observer for WithKernel {
        fn show(&mut self, router: &str, command: &str) -> anyhow::Result<Value> {
            self.0.show(router, command)
        }
        fn kernel_labels(&mut self, router: &str) -> anyhow::Result<Option<BTreeSet<u32>>> {
            Ok(self.1.get(router).cloned())
        }
    }

    /// A label FRR's LFIB has and the kernel's lost (`ip -M route del` by hand): the trace
    /// stops at the router that drops the packet and names the one that sent the label.
    #[test]
    fn a_label_the_kernel_lacks_stops_the_trace_where_frr_and_the_kernel_disagree() {
        let (lab, intent) = lab_with_vrf("mpls_vpn.topo", "CUSTA", "eth1");
        let canned = Canned(
            [
                (
                    ("PE1", "show ip route 2.2.2.2 json"),
                    route("10.1.1.254", "eth0", &[17]),
                ),
                (("PR", "show mpls table 17 json"), ldp_pop(17, "10.1.2.2")),
            ]
            .into_iter()
            .map(|((r, c), v)| ((r.to_string(), c.to_string()), v))
            .collect(),
        );
        let kernels = [("PR".to_string(), BTreeSet::from([16, 18]))].into();
        let mut obs = WithKernel(canned, kernels);
        let e = trace(&lab, &intent, &mut obs, "PE1", "2.2.2.2".parse().unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "PR: label 17 is in FRR's LFIB [LDP] but not in the kernel's (`ip -M route`) \
             (PE1 sends it there): the packet is dropped at PR, where the control plane and \
             the kernel disagree"
        );
        assert_eq!(
            kernel_labels(
                "16 via inet 10.1.1.2 dev eth0 proto ldp\n17 as to 20 via inet 10.1.2.2 dev eth1\n"
            ),
            BTreeSet::from([16, 17])
        );
    }

    /// SR with explicit-null on PE2's prefix-SID: PR swaps PE2's SR label to 0, and PE2 pops
    /// it before the VPN label.
    #[test]
    fn an_explicit_null_label_is_popped_by_the_router_that_gets_it() {
        let lines = lines(&trace_over(
            lab_with_vrf("mpls_vpn.topo", "CUSTA", "eth1"),
            &[
                (
                    "CE1",
                    "show ip route 192.168.2.1 json",
                    route("172.16.1.254", "eth0", &[]),
                ),
                (
                    "PE1",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("10.1.1.254", "eth0", &[16002, 80]),
                ),
                (
                    "PR",
                    "show mpls table 16002 json",
                    json!({"inLabel": 16002, "nexthops": [{"type": "SR (IS-IS)", "outLabel": 0, "nexthop": "10.1.2.2"}]}),
                ),
                ("PE2", "show mpls table 80 json", vpn_pop(80, "CUSTA")),
                (
                    "PE2",
                    "show ip route vrf CUSTA 192.168.2.1 json",
                    route("172.16.2.2", "eth1", &[]),
                ),
            ],
            "CE1",
            "192.168.2.1",
        ));
        assert_eq!(
            lines[2..5],
            [
                "PR     swap 16002 -> 0 via 10.1.2.2 [SR (IS-IS)]",
                "PE2    pop 0 (explicit-null)",
                "PE2    pop 80 (VPN label), lookup in VRF CUSTA",
            ]
        );
        assert_eq!(
            lines.last().unwrap(),
            "CE2    deliver to 192.168.2.1 (own address)"
        );
    }

    /// IPv6 over the dual-stack core: the IGP's next hops are link-local, which no router of
    /// the topology owns; the trace follows the link the FIB names.
    #[test]
    fn an_ipv6_trace_follows_link_local_next_hops() {
        let lines = lines(&trace_over(
            lab_with_vrf("mpls_vpn_v6.topo", "CUSTA", "eth1"),
            &[
                (
                    "CE1",
                    "show ipv6 route 2001:db8:c2::1 json",
                    route("2001:db8:16:1::254", "eth0", &[]),
                ),
                (
                    "PE1",
                    "show ipv6 route vrf CUSTA 2001:db8:c2::1 json",
                    route("fe80::14d2:b3ff:fe7b:d914", "eth0", &[19, 145]),
                ),
                (
                    "PR",
                    "show mpls table 19 json",
                    json!({"inLabel": 19, "nexthops": [{"type": "LDP", "outLabel": 3, "nexthop": "fe80::507d:6fff:fea2:e685", "interface": "eth1"}]}),
                ),
                ("PE2", "show mpls table 145 json", vpn_pop(145, "CUSTA")),
                (
                    "PE2",
                    "show ipv6 route vrf CUSTA 2001:db8:c2::1 json",
                    route("2001:db8:16:2::2", "eth1", &[]),
                ),
            ],
            "CE1",
            "2001:db8:c2::1",
        ));
        assert_eq!(
            lines,
            [
                "CE1    forward via 2001:db8:16:1::254 eth0",
                "PE1    push 19/145 (VRF CUSTA) via fe80::14d2:b3ff:fe7b:d914 eth0",
                "PR     pop 19 (PHP) via fe80::507d:6fff:fea2:e685, leaves 145 [LDP]",
                "PE2    pop 145 (VPN label), lookup in VRF CUSTA",
                "PE2    forward (VRF CUSTA) via 2001:db8:16:2::2 eth1",
                "CE2    deliver to 2001:db8:c2::1 (own address)",
            ]
        );
    }
}
