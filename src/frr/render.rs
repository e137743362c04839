//! Intent -> FRR configuration tree, in the order FRR's running-config prints it.

use std::net::Ipv4Addr;

use crate::frr::config_tree::{to_vtysh_lines, ConfigNode};
use crate::intent::bfd;
use crate::intent::router::*;
use crate::intent::segment_routing::DEFAULT_SRGB;

/// The whole FRR configuration of a router, as nodes.
pub fn router_config(r: &RouterIntent) -> Vec<ConfigNode> {
    let mut nodes = Vec::new();
    // The BFD profile before the protocols that name it.
    if let Some(profile) = &r.bfd {
        nodes.push(bfd_config(profile));
    }
    // The locator before the IS-IS and BGP instances that name it.
    if let Some(locator) = r.srv6_locator {
        nodes.push(srv6_locators(locator));
    }
    // The IS-IS process before the interfaces that name it, so that a change adding both
    // never has an interface refer to a process that does not exist yet.
    if let Some(isis) = &r.isis {
        nodes.push(isis_instance(isis));
    }
    nodes.extend(interfaces(r));
    if let Some(bgp) = &r.bgp {
        nodes.push(bgp_default(bgp));
    }
    let router_id = r.bgp.as_ref().and_then(|b| b.router_id).or_else(|| {
        r.addresses
            .get("lo")
            .and_then(|a| a.iter().next())
            .map(|n| n.addr())
    });
    for (name, vrf) in &r.vrfs {
        if let Some(vb) = &vrf.bgp {
            nodes.push(bgp_vrf(name, vb, router_id));
        }
    }
    for (vrf, ospf) in &r.ospf {
        nodes.push(ospf_instance(vrf.as_deref(), ospf));
    }
    if let Some(ldp) = &r.ldp {
        nodes.push(ldp_config(ldp));
    }
    for (name, l2vpn) in &r.l2vpns {
        nodes.push(l2vpn_config(name, l2vpn));
    }
    for route in &r.static_routes {
        nodes.push(ConfigNode::leaf(static_route_line(route)));
    }
    nodes.extend(r.raw_config.iter().map(ConfigNode::leaf));
    nodes
}

/// `frr.conf` for the router: header plus the configuration, as FRR would save it.
pub fn frr_conf(r: &RouterIntent) -> String {
    let mut out = crate::frr::start::frr_conf_header(&r.name, r.forwards_ipv6());
    for line in to_vtysh_lines(&router_config(r)) {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("end\n");
    out
}

fn interfaces(r: &RouterIntent) -> Vec<ConfigNode> {
    let isis_names = r.isis.iter().flat_map(|i| i.interfaces.keys());
    let bgp_names = r
        .bgp
        .iter()
        .flat_map(|b| b.mpls_forwarding.iter().chain(&b.vpn_label_switching));
    let mut names: Vec<&String> = r
        .addresses
        .keys()
        .chain(r.addresses6.keys())
        .chain(r.ospf_interfaces.keys())
        .chain(isis_names)
        .chain(bgp_names)
        .collect();
    names.sort_by_key(|n| interface_order(n));
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let mut children: Vec<ConfigNode> = r
                .addresses
                .get(name)
                .into_iter()
                .flatten()
                .map(|a| ConfigNode::leaf(format!("ip address {a}")))
                .collect();
            children.extend(
                r.addresses6
                    .get(name)
                    .into_iter()
                    .flatten()
                    .map(|a| ConfigNode::leaf(format!("ipv6 address {a}"))),
            );
            if let Some(o) = r.ospf_interfaces.get(name) {
                children.extend(ospf_interface_lines(o));
            }
            if let Some(b) = &r.bgp {
                children.extend(bgp_interface_lines(b, name));
            }
            if let Some(i) = r.isis.as_ref().and_then(|isis| isis.interfaces.get(name)) {
                children.extend(isis_interface_lines(i));
            }
            ConfigNode::context(format!("interface {name}"), children)
        })
        .collect()
}

/// `lo` first, then natural order (`eth2` before `eth10`), matching the article's step order.
fn interface_order(name: &str) -> (bool, String, u64) {
    let digits = name.trim_start_matches(|c: char| !c.is_ascii_digit());
    let stem = &name[..name.len() - digits.len()];
    (name != "lo", stem.to_string(), digits.parse().unwrap_or(0))
}

fn ospf_interface_lines(o: &OspfInterface) -> Vec<ConfigNode> {
    let mut lines = Vec::new();
    if let Some(cost) = o.cost {
        lines.push(format!("ip ospf cost {cost}"));
    }
    if let Some(dead) = o.dead_interval {
        lines.push(format!("ip ospf dead-interval {dead}"));
    }
    if let Some(hello) = o.hello_interval {
        lines.push(format!("ip ospf hello-interval {hello}"));
    }
    if o.point_to_point {
        lines.push("ip ospf network point-to-point".to_string());
    }
    if o.passive {
        lines.push("ip ospf passive".to_string());
    }
    if o.bfd {
        lines.push("ip ospf bfd".to_string());
        lines.push(format!("ip ospf bfd profile {}", bfd::PROFILE));
    }
    lines.into_iter().map(ConfigNode::leaf).collect()
}

/// bgpd's lines under an interface, in the order it prints them.
fn bgp_interface_lines(b: &Bgp, iface: &str) -> Vec<ConfigNode> {
    let mut lines = Vec::new();
    if b.mpls_forwarding.contains(iface) {
        lines.push(ConfigNode::leaf("mpls bgp forwarding"));
    }
    if b.vpn_label_switching.contains(iface) {
        lines.push(ConfigNode::leaf("mpls bgp l3vpn-multi-domain-switching"));
    }
    lines
}

fn isis_interface_lines(i: &IsisInterface) -> Vec<ConfigNode> {
    let mut lines = Vec::new();
    if !i.ipv6_only {
        lines.push(format!("ip router isis {ISIS_TAG}"));
    }
    if i.ipv6 {
        lines.push(format!("ipv6 router isis {ISIS_TAG}"));
    }
    if i.passive {
        lines.push("isis passive".to_string());
    } else {
        lines.push("isis network point-to-point".to_string());
    }
    if let Some(m) = i.metric {
        lines.push(format!("isis metric {m}"));
    }
    if let Some((interval, multiplier)) = i.hello {
        lines.push(format!("isis hello-interval {interval}"));
        lines.push(format!("isis hello-multiplier {multiplier}"));
    }
    if i.bfd {
        lines.push("isis bfd".to_string());
        lines.push(format!("isis bfd profile {}", bfd::PROFILE));
    }
    lines.into_iter().map(ConfigNode::leaf).collect()
}

fn isis_instance(isis: &Isis) -> ConfigNode {
    let mut children = vec![
        ConfigNode::leaf("is-type level-2-only"),
        ConfigNode::leaf(format!("net {}", isis.net)),
    ];
    if let Some(s) = isis.lsp_gen_interval {
        // The form FRR prints, which names the refresh interval and lifetime (their defaults).
        children.push(ConfigNode::leaf(format!(
            "lsp-timers gen-interval {s} refresh-interval 900 max-lifetime 1200"
        )));
    }
    if let Some(sr) = &isis.sr {
        children.extend(segment_routing_lines(sr));
    }
    if isis.srv6 {
        children.push(srv6_locator_use());
    }
    ConfigNode::context(format!("router isis {ISIS_TAG}"), children)
}

/// `segment-routing / srv6 / locators / locator MAIN / prefix P`, the prefix with the lengths
/// FRR 10 prints back whether or not they were written: a 24-bit node part and 16 function
/// bits, the rest the block (40 for a /64, 24 for a /48); a uSID locator's are F3216's.
fn srv6_locators(locator: crate::intent::router::Srv6Locator) -> ConfigNode {
    let prefix = locator.prefix;
    let lines = if locator.usid {
        vec![
            ConfigNode::leaf(format!(
                "prefix {prefix} block-len 32 node-len 16 func-bits 16"
            )),
            ConfigNode::leaf("behavior usid"),
        ]
    } else {
        let block = prefix.prefix_len().saturating_sub(24);
        vec![ConfigNode::leaf(format!(
            "prefix {prefix} block-len {block} node-len 24 func-bits 16"
        ))]
    };
    let locator = ConfigNode::context(format!("locator {SRV6_LOCATOR}"), lines);
    ConfigNode::context(
        "segment-routing",
        vec![ConfigNode::context(
            "srv6",
            vec![ConfigNode::context("locators", vec![locator])],
        )],
    )
}

/// The locator an IS-IS or BGP instance takes its SIDs from.
fn srv6_locator_use() -> ConfigNode {
    ConfigNode::context(
        "segment-routing srv6",
        vec![ConfigNode::leaf(format!("locator {SRV6_LOCATOR}"))],
    )
}

/// The same lines in `router isis` and `router ospf`. The default SRGB is left out, as FRR
/// leaves it out of its running configuration.
fn segment_routing_lines(sr: &SegmentRouting) -> Vec<ConfigNode> {
    let mut lines = vec!["segment-routing on".to_string()];
    if sr.srgb != DEFAULT_SRGB {
        lines.push(format!(
            "segment-routing global-block {} {}",
            sr.srgb.lower, sr.srgb.upper
        ));
    }
    for (prefix, sid) in &sr.prefix_sids {
        let mut line = format!("segment-routing prefix {prefix} index {}", sid.index);
        if let Some(flag) = sid.last_hop.frr_flag() {
            line.push(' ');
            line.push_str(flag);
        }
        lines.push(line);
    }
    lines.into_iter().map(ConfigNode::leaf).collect()
}

/// bfdd's profile; timers at FRR's defaults are not written, as FRR does not print them.
fn bfd_config(p: &BfdProfile) -> ConfigNode {
    let mut lines = Vec::new();
    if p.multiplier != bfd::DEFAULT_MULTIPLIER {
        lines.push(format!("detect-multiplier {}", p.multiplier));
    }
    if p.interval_ms != bfd::DEFAULT_INTERVAL_MS {
        lines.push(format!("receive-interval {}", p.interval_ms));
        lines.push(format!("transmit-interval {}", p.interval_ms));
    }
    ConfigNode::context(
        "bfd",
        vec![ConfigNode::context(
            format!("profile {}", bfd::PROFILE),
            lines.into_iter().map(ConfigNode::leaf).collect(),
        )],
    )
}

fn bgp_default(bgp: &Bgp) -> ConfigNode {
    let mut children = Vec::new();
    if let Some(id) = bgp.router_id {
        children.push(ConfigNode::leaf(format!("bgp router-id {id}")));
    }
    if !bgp.ebgp_requires_policy {
        children.push(ConfigNode::leaf("no bgp ebgp-requires-policy"));
    }
    children.extend(neighbor_lines(&bgp.neighbors));
    if bgp.srv6 {
        children.push(srv6_locator_use());
    }
    let mut unicast: Vec<ConfigNode> = bgp
        .networks
        .iter()
        .map(|p| ConfigNode::leaf(format!("network {p}")))
        .collect();
    if let Some((external, internal, local)) = bgp.distance {
        unicast.push(ConfigNode::leaf(format!(
            "distance bgp {external} {internal} {local}"
        )));
    }
    unicast.extend(redistributions(&bgp.redistribute));
    unicast.extend(activations(&bgp.neighbors, |n| n.ipv4_unicast));
    // FRR's `traditional` defaults activate every neighbor in IPv4 unicast, and bgpd refuses
    // one active there and in labeled unicast.
    for (ip, _) in bgp.neighbors.iter().filter(|(_, n)| n.ipv4_labeled_unicast) {
        unicast
            .push(ConfigNode::leaf(format!("no neighbor {ip} activate")).about_neighbor(ip, false));
    }
    if !unicast.is_empty() {
        children.push(ConfigNode::context("address-family ipv4 unicast", unicast));
    }
    let labeled = activations(&bgp.neighbors, |n| n.ipv4_labeled_unicast);
    if !labeled.is_empty() {
        children.push(ConfigNode::context(
            "address-family ipv4 labeled-unicast",
            labeled,
        ));
    }
    if bgp.ipv6 {
        let mut unicast6 = redistributions6(&bgp.redistribute);
        unicast6.extend(activations(&bgp.neighbors, |n| n.ipv6_unicast));
        // bgpd prints no empty family, so the intent writes none.
        if !unicast6.is_empty() {
            children.push(ConfigNode::context("address-family ipv6 unicast", unicast6));
        }
    }
    let vpn = activations(&bgp.neighbors, |n| n.ipv4_vpn);
    if !vpn.is_empty() {
        children.push(ConfigNode::context("address-family ipv4 vpn", vpn));
    }
    let vpn6 = activations(&bgp.neighbors, |n| n.ipv6_vpn);
    if !vpn6.is_empty() {
        children.push(ConfigNode::context("address-family ipv6 vpn", vpn6));
    }
    ConfigNode::context(format!("router bgp {}", bgp.asn), children)
}

fn neighbor_lines(
    neighbors: &std::collections::BTreeMap<std::net::IpAddr, BgpNeighbor>,
) -> Vec<ConfigNode> {
    let mut lines = Vec::new();
    for (ip, n) in neighbors {
        lines.push(
            ConfigNode::leaf(format!("neighbor {ip} remote-as {}", n.remote_as))
                .about_neighbor(ip, true),
        );
        if n.passive {
            lines
                .push(ConfigNode::leaf(format!("neighbor {ip} passive")).about_neighbor(ip, false));
        }
        if n.ebgp_multihop {
            // FRR prints the maximum TTL (255) as the bare keyword.
            lines.push(
                ConfigNode::leaf(format!("neighbor {ip} ebgp-multihop")).about_neighbor(ip, false),
            );
        }
        if let Some(src) = &n.update_source {
            lines.push(
                ConfigNode::leaf(format!("neighbor {ip} update-source {src}"))
                    .about_neighbor(ip, false),
            );
        }
        if let Some(secs) = n.connect_retry {
            lines.push(
                ConfigNode::leaf(format!("neighbor {ip} timers connect {secs}"))
                    .about_neighbor(ip, false),
            );
        }
        if n.extended_nexthop {
            lines.push(
                ConfigNode::leaf(format!("neighbor {ip} capability extended-nexthop"))
                    .about_neighbor(ip, false),
            );
        }
        if n.bfd {
            lines.push(ConfigNode::leaf(format!("neighbor {ip} bfd")).about_neighbor(ip, false));
            lines.push(
                ConfigNode::leaf(format!("neighbor {ip} bfd profile {}", bfd::PROFILE))
                    .about_neighbor(ip, false),
            );
        }
    }
    lines
}

/// Per-family neighbor lines. FRR's `traditional` defaults activate IPv4 unicast implicitly;
/// we write the activation anyway so the intent, not a default, decides.
fn activations(
    neighbors: &std::collections::BTreeMap<std::net::IpAddr, BgpNeighbor>,
    in_family: impl Fn(&BgpNeighbor) -> bool,
) -> Vec<ConfigNode> {
    let mut lines = Vec::new();
    for (ip, n) in neighbors.iter().filter(|(_, n)| in_family(n)) {
        lines.push(ConfigNode::leaf(format!("neighbor {ip} activate")).about_neighbor(ip, false));
        if n.route_reflector_client {
            lines.push(
                ConfigNode::leaf(format!("neighbor {ip} route-reflector-client"))
                    .about_neighbor(ip, false),
            );
        }
        if n.next_hop_self_force {
            lines.push(
                ConfigNode::leaf(format!("neighbor {ip} next-hop-self force"))
                    .about_neighbor(ip, false),
            );
        } else if n.next_hop_self {
            lines.push(
                ConfigNode::leaf(format!("neighbor {ip} next-hop-self")).about_neighbor(ip, false),
            );
        }
        if let Some(w) = n.weight {
            lines.push(
                ConfigNode::leaf(format!("neighbor {ip} weight {w}")).about_neighbor(ip, false),
            );
        }
    }
    lines
}

/// A VRF's BGP instance. Its router id is the router's own: left to FRR, it follows the first
/// address zebra reports in the VRF, and FRR 10.3 re-derives the VRF's automatic route
/// distinguisher and export target when it changes, over the configured ones (seen when the
/// VRF, its interface's address and this instance are configured in one step).
fn bgp_vrf(name: &str, vb: &VrfBgp, router_id: Option<Ipv4Addr>) -> ConfigNode {
    let mut children = Vec::new();
    if let Some(id) = router_id {
        children.push(ConfigNode::leaf(format!("bgp router-id {id}")));
    }
    if !vb.neighbors.is_empty() {
        // PE-CE eBGP: without a policy FRR would accept the session but send and take nothing.
        children.push(ConfigNode::leaf("no bgp ebgp-requires-policy"));
    }
    children.extend(neighbor_lines(&vb.neighbors));
    let af = vrf_family(vb, redistributions, |n| n.ipv4_unicast);
    if !af.is_empty() {
        children.push(ConfigNode::context("address-family ipv4 unicast", af));
    }
    if vb.ipv6 {
        let af6 = vrf_family(vb, redistributions6, |n| n.ipv6_unicast);
        if !af6.is_empty() {
            children.push(ConfigNode::context("address-family ipv6 unicast", af6));
        }
    }
    ConfigNode::context(format!("router bgp {} vrf {name}", vb.asn), children)
}

fn redistributions(protocols: &std::collections::BTreeSet<String>) -> Vec<ConfigNode> {
    protocols
        .iter()
        .map(|p| ConfigNode::leaf(format!("redistribute {p}")))
        .collect()
}

/// The same in IPv6 unicast, which has no OSPF (OSPFv2 carries IPv4 only; mplsrepl runs no
/// OSPFv3): a PE-CE OSPF customer's IPv6 is not redistributed.
fn redistributions6(protocols: &std::collections::BTreeSet<String>) -> Vec<ConfigNode> {
    let ipv6: std::collections::BTreeSet<String> =
        protocols.iter().filter(|p| *p != "ospf").cloned().collect();
    redistributions(&ipv6)
}

/// One address family of a VRF's BGP instance: both families carry the same VPN settings,
/// as a VRF is one customer whichever family its routes are.
fn vrf_family(
    vb: &VrfBgp,
    redistribute: fn(&std::collections::BTreeSet<String>) -> Vec<ConfigNode>,
    in_family: impl Fn(&BgpNeighbor) -> bool,
) -> Vec<ConfigNode> {
    let mut af = redistribute(&vb.redistribute);
    af.extend(activations(&vb.neighbors, in_family));
    if vb.label_vpn_export_auto {
        af.push(ConfigNode::leaf("label vpn export auto"));
    }
    if vb.srv6_sid_export_auto {
        af.push(ConfigNode::leaf("sid vpn export auto"));
    }
    if let Some(rd) = &vb.rd {
        af.push(ConfigNode::leaf(format!("rd vpn export {rd}")));
    }
    af.extend(route_targets(&vb.rt_import, &vb.rt_export));
    if vb.export_vpn {
        af.push(ConfigNode::leaf("export vpn"));
    }
    if vb.import_vpn {
        af.push(ConfigNode::leaf("import vpn"));
    }
    af
}

/// `rt vpn both` when import and export agree (the article's form), else one line each.
fn route_targets(
    import: &std::collections::BTreeSet<String>,
    export: &std::collections::BTreeSet<String>,
) -> Vec<ConfigNode> {
    let join =
        |s: &std::collections::BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(" ");
    if !import.is_empty() && import == export {
        return vec![ConfigNode::leaf(format!("rt vpn both {}", join(import)))];
    }
    let mut lines = Vec::new();
    if !import.is_empty() {
        lines.push(ConfigNode::leaf(format!("rt vpn import {}", join(import))));
    }
    if !export.is_empty() {
        lines.push(ConfigNode::leaf(format!("rt vpn export {}", join(export))));
    }
    lines
}

fn ospf_instance(vrf: Option<&str>, o: &Ospf) -> ConfigNode {
    let mut children = Vec::new();
    if let Some(id) = o.router_id {
        children.push(ConfigNode::leaf(format!("ospf router-id {id}")));
    }
    if o.sr.is_some() {
        // OSPF carries SR in opaque router-information LSAs.
        children.push(ConfigNode::leaf("capability opaque"));
        children.push(ConfigNode::leaf("router-info area"));
    }
    for proto in &o.redistribute {
        children.push(ConfigNode::leaf(format!("redistribute {proto}")));
    }
    for (prefix, area) in &o.networks {
        children.push(ConfigNode::leaf(format!("network {prefix} area {area}")));
    }
    if let Some((delay, hold, max)) = o.spf_throttle {
        children.push(ConfigNode::leaf(format!(
            "timers throttle spf {delay} {hold} {max}"
        )));
    }
    if o.fast_lsa {
        children.push(ConfigNode::leaf("timers throttle lsa all 0"));
        children.push(ConfigNode::leaf("timers lsa min-arrival 0"));
    }
    if let Some(sr) = &o.sr {
        children.extend(segment_routing_lines(sr));
    }
    let line = match vrf {
        Some(v) => format!("router ospf vrf {v}"),
        None => "router ospf".to_string(),
    };
    ConfigNode::context(line, children)
}

fn ldp_config(ldp: &Ldp) -> ConfigNode {
    let mut children = Vec::new();
    if let Some(id) = ldp.router_id {
        children.push(ConfigNode::leaf(format!("router-id {id}")));
    }
    if ldp.transport_address6.is_some() {
        children.push(ConfigNode::leaf(
            "dual-stack transport-connection prefer ipv4",
        ));
    }
    if let Some(h) = ldp.hello_holdtime {
        children.push(ConfigNode::leaf(format!("discovery hello holdtime {h}")));
    }
    if let Some(i) = ldp.hello_interval {
        children.push(ConfigNode::leaf(format!("discovery hello interval {i}")));
    }
    let mut af = Vec::new();
    if let Some(t) = ldp.transport_address {
        af.push(ConfigNode::leaf(format!("discovery transport-address {t}")));
    }
    af.extend(ldp_interfaces(&ldp.interfaces));
    children.push(ConfigNode::context("address-family ipv4", af));
    if let Some(t) = ldp.transport_address6 {
        let mut af6 = vec![ConfigNode::leaf(format!("discovery transport-address {t}"))];
        af6.extend(ldp_interfaces(&ldp.interfaces));
        children.push(ConfigNode::context("address-family ipv6", af6).removable());
    }
    ConfigNode::context("mpls ldp", children)
}

/// ldpd's one instance type is `vpls`: a VPWS is one with a single circuit and pseudowire.
/// No control word until the data plane (tc, which pushes none) writes one.
fn l2vpn_config(name: &str, l: &crate::intent::l2vpn::L2vpn) -> ConfigNode {
    let mut children: Vec<ConfigNode> = l
        .members
        .iter()
        .map(|m| ConfigNode::leaf(format!("member interface {m}")))
        .collect();
    for (ifname, pw) in &l.pseudowires {
        children.push(ConfigNode::context(
            format!("member pseudowire {ifname}"),
            vec![
                ConfigNode::leaf(format!("neighbor lsr-id {}", pw.peer)),
                ConfigNode::leaf(format!("pw-id {}", pw.pw_id)),
                ConfigNode::leaf("control-word exclude"),
            ],
        ));
    }
    ConfigNode::context(format!("l2vpn {name} type vpls"), children)
}

fn ldp_interfaces(interfaces: &std::collections::BTreeSet<String>) -> Vec<ConfigNode> {
    interfaces
        .iter()
        .map(|iface| ConfigNode::context(format!("interface {iface}"), Vec::new()))
        .collect()
}

pub fn static_route_line(route: &StaticRoute) -> String {
    let ip = match route.prefix {
        ipnet::IpNet::V4(_) => "ip",
        ipnet::IpNet::V6(_) => "ipv6",
    };
    match &route.vrf {
        Some(vrf) => format!("{ip} route {} {} vrf {vrf}", route.prefix, route.nexthop),
        None => format!("{ip} route {} {}", route.prefix, route.nexthop),
    }
}
