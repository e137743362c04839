//! The trace over canned FRR answers: each lab's label (or SID) path as the lab VM's routers
//! gave it.

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

/// The same, with the interface FRR names beside the next hop.
fn ldp_pop_on(label: u32, via: &str, iface: &str) -> Value {
    json!({"inLabel": label, "nexthops": [{"type": "LDP", "outLabel": 3, "nexthop": via, "interface": iface}]})
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
                ldp_pop_on(17, "10.1.2.2", "eth1"),
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
                ldp_pop_on(19, "fe80::507d:6fff:fea2:e685", "eth1"),
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
