//! Per-router desired state, one struct per protocol. Plain data: ordered maps and sets so that
//! rendering is deterministic and two intents compare structurally.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Serialize;

pub use super::bfd::BfdProfile;
pub use super::segment_routing::SegmentRouting;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RouterIntent {
    pub name: String,
    /// Interface (including `lo`) -> addresses configured through zebra.
    pub addresses: BTreeMap<String, BTreeSet<Ipv4Net>>,
    /// The IPv6 addresses of a dual-stack router, the same way.
    pub addresses6: BTreeMap<String, BTreeSet<Ipv6Net>>,
    /// Per-interface OSPF options (`ip ospf ...` under `interface X`).
    pub ospf_interfaces: BTreeMap<String, OspfInterface>,
    /// `sysctl -w key=value` inside the container.
    pub sysctls: BTreeMap<String, String>,
    /// Linux VRF devices, by name.
    pub vrfs: BTreeMap<String, Vrf>,
    /// OSPF instances: `None` key is the default VRF, `Some(vrf)` a PE-CE instance.
    pub ospf: BTreeMap<Option<String>, Ospf>,
    /// The IS-IS process of the core (level 2).
    pub isis: Option<Isis>,
    pub ldp: Option<Ldp>,
    /// Layer-2 VPN instances (ldpd's `l2vpn NAME type vpls`), by name.
    pub l2vpns: BTreeMap<String, super::l2vpn::L2vpn>,
    /// bfdd's timer profile, present once anything on the router uses BFD.
    pub bfd: Option<BfdProfile>,
    pub bgp: Option<Bgp>,
    pub static_routes: BTreeSet<StaticRoute>,
    /// Interfaces administratively down (link failure experiments).
    pub down_interfaces: BTreeSet<String>,
    /// Interfaces whose egress is impaired (delay, loss, rate: tc netem).
    pub impairments: BTreeMap<String, super::impairment::Impairment>,
    /// The router's SRv6 locator (`segment-routing / srv6 / locators / locator MAIN`): the
    /// prefix its SIDs are taken from.
    pub srv6_locator: Option<Srv6Locator>,
    /// Configuration lines the model does not know, passed to FRR as written (top level).
    pub raw_config: Vec<String>,
}

/// The name of the SRv6 locator mplsrepl configures.
pub const SRV6_LOCATOR: &str = "MAIN";

/// The sysctl that makes a router route IPv6.
pub const IPV6_FORWARDING: &str = "net.ipv6.conf.all.forwarding";

impl RouterIntent {
    pub fn new(name: &str) -> Self {
        RouterIntent {
            name: name.to_string(),
            ..Default::default()
        }
    }

    pub fn forwards_ipv6(&self) -> bool {
        self.sysctls.get(IPV6_FORWARDING).map(String::as_str) == Some("1")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OspfInterface {
    pub point_to_point: bool,
    pub hello_interval: Option<u32>,
    pub dead_interval: Option<u32>,
    pub cost: Option<u32>,
    pub passive: bool,
    /// The neighbor on this interface is watched by BFD.
    pub bfd: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ospf {
    pub router_id: Option<Ipv4Addr>,
    /// (prefix, area) pairs of `network P area A`.
    pub networks: BTreeSet<(Ipv4Net, u32)>,
    /// Protocols redistributed into OSPF (`bgp`, `connected`, `static`).
    pub redistribute: BTreeSet<String>,
    /// `timers throttle spf DELAY HOLD MAX` (milliseconds).
    pub spf_throttle: Option<(u32, u32, u32)>,
    /// Fast-lab LSA pacing: `timers throttle lsa all 0` + `timers lsa min-arrival 0`.
    pub fast_lsa: bool,
    /// SR-MPLS carried in OSPF's opaque LSAs (default VRF only).
    pub sr: Option<SegmentRouting>,
}

/// `router isis CORE`, level-2-only, and the interfaces in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Isis {
    /// The network entity title, e.g. `49.0001.0010.0100.1001.00` for loopback 1.1.1.1.
    pub net: String,
    pub interfaces: BTreeMap<String, IsisInterface>,
    pub sr: Option<SegmentRouting>,
    /// The least time between two LSPs of this router, in seconds (`lsp-gen-interval S`,
    /// which FRR prints, and mplsrepl writes, as `lsp-timers gen-interval S ...`). FRR's default,
    /// 30 s, holds back the LSP that announces what the first one lacked (an address, an
    /// interface configured a moment later) for that long.
    pub lsp_gen_interval: Option<u32>,
    /// The router's SRv6 locator advertised in IS-IS (its End SIDs and the route to it).
    pub srv6: bool,
}

/// An interface in the IS-IS process: point-to-point unless passive (the loopback).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IsisInterface {
    pub passive: bool,
    pub metric: Option<u32>,
    /// `isis hello-interval I` and `isis hello-multiplier M` (hold time I x M seconds).
    pub hello: Option<(u32, u32)>,
    pub bfd: bool,
    /// IPv6 routed too (`ipv6 router isis`): one process, one topology, both families.
    pub ipv6: bool,
    /// IPv6 alone (no `ip router isis`): an interface with no IPv4 address, in a core where
    /// every router routes IPv6 only.
    pub ipv6_only: bool,
}

/// An SRv6 locator: its prefix, and whether its SIDs are micro-SIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Srv6Locator {
    pub prefix: Ipv6Net,
    /// Micro-SIDs (`behavior usid`, the F3216 format: a 32-bit block, 16-bit node and
    /// function): the egress PE's SIDs are uDT4/uDT6, which the kernel runs as End.DT4/DT6.
    pub usid: bool,
}

/// The IS-IS process name mplsrepl configures.
pub const ISIS_TAG: &str = "CORE";

/// A NET from a router's IPv4 loopback, the usual way: area 49.0001, each octet as three
/// digits regrouped by four as the system id (1.1.1.1 -> 0010.0100.1001).
pub fn isis_net(loopback: Ipv4Addr) -> String {
    let digits: String = loopback
        .octets()
        .iter()
        .map(|o| format!("{o:03}"))
        .collect();
    format!(
        "49.0001.{}.{}.{}.00",
        &digits[0..4],
        &digits[4..8],
        &digits[8..12]
    )
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ldp {
    pub router_id: Option<Ipv4Addr>,
    pub transport_address: Option<Ipv4Addr>,
    pub interfaces: BTreeSet<String>,
    /// `discovery hello holdtime H` / `discovery hello interval I` (seconds).
    pub hello_holdtime: Option<u32>,
    pub hello_interval: Option<u32>,
    /// LDP for IPv6 too, with this transport address, on the same interfaces: labels for
    /// IPv6 FECs (the PEs' IPv6 loopbacks, next hops of VPNv6 routes). One session per
    /// neighbor carries both families, over IPv4 (`dual-stack transport-connection prefer
    /// ipv4`), so a dual-stack core keeps the IPv4 sessions it would have without IPv6.
    pub transport_address6: Option<Ipv6Addr>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Bgp {
    pub asn: u32,
    pub router_id: Option<Ipv4Addr>,
    /// eBGP sessions need a policy unless this is off (FRR 7.4+ default is on).
    pub ebgp_requires_policy: bool,
    pub neighbors: BTreeMap<IpAddr, BgpNeighbor>,
    /// Protocols redistributed into IPv4 unicast (a CE announcing its networks), and into
    /// IPv6 unicast when `ipv6` is on.
    pub redistribute: BTreeSet<String>,
    /// The IPv6 unicast family: the same redistribution, the neighbors that carry it.
    pub ipv6: bool,
    /// Prefixes this router originates (`network P` in IPv4 unicast). bgpd keeps labeled
    /// unicast in the unicast table, so they go to labeled-unicast neighbors too, with this
    /// router's label for them.
    pub networks: BTreeSet<Ipv4Net>,
    /// Interfaces that take VPN routes from a directly connected eBGP peer with no transport
    /// label under them (`mpls bgp forwarding`): the interface to the other AS's ASBR in
    /// inter-AS option B.
    pub mpls_forwarding: BTreeSet<String>,
    /// Interfaces whose VPN routes this router re-labels when it passes them on with itself as
    /// next hop, installing the swap to the label it learned
    /// (`mpls bgp l3vpn-multi-domain-switching`, FRR 9.1 and later): an option-B ASBR, on
    /// both the inter-AS link and its core links.
    pub vpn_label_switching: BTreeSet<String>,
    /// Administrative distances of eBGP, iBGP and local routes (`distance bgp E I L`), where
    /// BGP must win over the IGP: zebra installs the incoming label of a labeled-unicast route
    /// only while BGP's route is the one it uses.
    pub distance: Option<(u8, u8, u8)>,
    /// VPN routes carried over SRv6 with SIDs from the router's locator
    /// (`segment-routing srv6 / locator MAIN` under `router bgp`).
    pub srv6: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BgpNeighbor {
    pub remote_as: u32,
    /// An interface name (`lo`) or an address, as FRR accepts both.
    pub update_source: Option<String>,
    pub ipv4_unicast: bool,
    /// IPv6 unicast over this session (MP-BGP: an IPv4 session carries IPv6 routes, with
    /// the global IPv6 address of the interface towards the peer as next hop).
    pub ipv6_unicast: bool,
    pub ipv4_vpn: bool,
    pub ipv6_vpn: bool,
    /// IPv4 labeled unicast (RFC 8277): routes with a label each, the loopbacks of another
    /// AS's PEs in inter-AS option C. bgpd refuses a neighbor active in both this and IPv4
    /// unicast, so IPv4 unicast is switched off for it (`no neighbor X activate`).
    pub ipv4_labeled_unicast: bool,
    pub route_reflector_client: bool,
    pub next_hop_self: bool,
    /// Next hop self on reflected routes too (`next-hop-self force`): a route reflector that
    /// is also a hop of the labeled path.
    pub next_hop_self_force: bool,
    /// Preference for this neighbor's routes over any other's (`weight N`, local to the router).
    pub weight: Option<u16>,
    pub bfd: bool,
    /// Seconds between attempts to open the session (`timers connect`); FRR's default is 120,
    /// which leaves a session whose first attempts met no route (or no label) down for minutes.
    pub connect_retry: Option<u16>,
    /// IPv4 routes with IPv6 next hops (`capability extended-nexthop`, RFC 8950): VPNv4 over
    /// a session between IPv6 loopbacks, in an IPv6-only core.
    pub extended_nexthop: bool,
    /// Wait for the peer to open the session, never open it from here (`passive`).
    pub passive: bool,
    /// An eBGP peer that is not on a shared link (`ebgp-multihop`, FRR's TTL 255): the PEs of
    /// two ASes peering loopback to loopback in inter-AS option C.
    pub ebgp_multihop: bool,
}

/// A Linux VRF device and what lives in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Vrf {
    pub table: u32,
    /// Interfaces enslaved to the VRF device.
    pub members: BTreeSet<String>,
    /// `router bgp ASN vrf NAME`, present once the VRF takes part in BGP or the VPN.
    pub bgp: Option<VrfBgp>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VrfBgp {
    pub asn: u32,
    pub redistribute: BTreeSet<String>,
    pub label_vpn_export_auto: bool,
    pub rd: Option<String>,
    pub rt_import: BTreeSet<String>,
    pub rt_export: BTreeSet<String>,
    pub export_vpn: bool,
    pub import_vpn: bool,
    /// PE-CE eBGP neighbors inside the VRF.
    pub neighbors: BTreeMap<IpAddr, BgpNeighbor>,
    /// IPv6 routes too: the VRF's `address-family ipv6 unicast` with the same
    /// redistribution, label, RD, RTs and VPN import/export as IPv4, carried as VPNv6.
    pub ipv6: bool,
    /// An SRv6 SID for each family's routes (`sid vpn export auto`): End.DT4 and End.DT6.
    pub srv6_sid_export_auto: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct StaticRoute {
    pub vrf: Option<String>,
    /// Of the next hop's family (the API checks).
    pub prefix: IpNet,
    pub nexthop: IpAddr,
}
