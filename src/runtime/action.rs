//! What a backend is asked to do. Built from the lab model and intent diffs; printed as the plan.

use std::net::Ipv4Addr;

use serde::Serialize;

use crate::frr::apply::ApplyScript;
use crate::frr::diff::RouterChange;
use crate::topology::{Lab, Role, Router, SegmentKind};

/// Everything needed to create a lab's networks and containers, in one batch so a backend can
/// create them concurrently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabSpec {
    pub lab: String,
    pub wiring: Wiring,
    pub networks: Vec<NetworkSpec>,
    pub containers: Vec<ContainerSpec>,
    /// Labels every object of the lab carries beyond the lab's own (a lab spread over several
    /// engines records them there, so that `down` on any of them finds the others).
    pub labels: Vec<(String, String)>,
}

/// How a lab's segments become layer-2 links between its containers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum Wiring {
    /// A veth pair straight between the two routers of a `link`, and a bridge for a
    /// `network`, made by one helper container, as containerlab does. Docker sees no
    /// network, so there is nothing of Docker's to rename or remove in the routers; the seed
    /// lab is created ~7 s sooner than with Docker networks on the lab VM (bench/README.md).
    #[default]
    Veth,
    /// One Docker bridge network per segment, as in the article: listed by `docker network
    /// ls`, and other containers can join them.
    DockerNetworks,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkSpec {
    /// Runtime name, `<lab>-<segment>`.
    pub name: String,
    pub segment: String,
    /// The lab's subnets on this segment, as the topology writes them. Docker never sees them:
    /// the backend gives the network a throwaway subnet of its own and removes those addresses
    /// from the containers.
    pub subnets: String,
    /// Declared with `network` (a LAN): it gets a bridge even with two ends.
    pub multi_access: bool,
    /// Every interface on the segment gets this MTU.
    pub mtu: u32,
    /// On a lab spread over several engines, a link whose other end runs on another engine:
    /// this end is a VXLAN device towards it.
    pub vxlan: Option<VxlanEnd>,
}

/// One end of a link between two engines: a point-to-point VXLAN device (one VNI per link),
/// made in the engine host's network namespace, where its UDP socket stays, and moved into
/// the router's under the interface's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VxlanEnd {
    pub vni: u32,
    /// The engines' underlay addresses: this one's and the far one's.
    pub local: Ipv4Addr,
    pub remote: Ipv4Addr,
    /// This end's engine, numbered from 1 in the lab's list: the two ends' MACs differ by it.
    pub engine: u8,
}

/// VXLAN's outer headers: Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. The underlay must carry
/// a core link's MTU plus this.
pub const VXLAN_OVERHEAD: u32 = 50;

impl VxlanEnd {
    /// A MAC of its own for the device (locally administered), from the VNI and this end's
    /// engine: engines booted from one disk image may draw the same random MACs, and a VXLAN
    /// device drops frames that come from its own MAC.
    pub fn mac(&self) -> String {
        let [a, b, c] = [
            (self.vni >> 16) as u8,
            (self.vni >> 8) as u8,
            self.vni as u8,
        ];
        format!("02:4d:{a:02x}:{b:02x}:{c:02x}:{:02x}", self.engine)
    }
}

/// Customer segments carry what hosts send: Ethernet's 1500 bytes.
pub const CUSTOMER_MTU: u32 = 1500;
/// Provider segments carry a customer's full 1500-byte packet under its labels. Linux drops
/// a labelled packet longer than the outgoing link's MTU (mpls_forward), so a core link at
/// 1500 fails the first full-size customer packet with a two-label stack (1508 bytes); 1600
/// leaves room for deeper stacks (SR, and a VPN over a transport label over a repair label).
pub const CORE_MTU: u32 = 1600;

/// What the node kind gives the backend for one router: what it runs, for people, and the
/// script that starts it once its interfaces exist. The backend reads nothing else of FRR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeSpec {
    pub node: String,
    pub start_script: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerSpec {
    /// Runtime name, `<lab>-<router>`.
    pub name: String,
    pub router: String,
    pub role: Role,
    pub image: String,
    /// In the order the names are wanted (eth0 first); the backend makes the kernel agree.
    pub interfaces: Vec<InterfaceSpec>,
    /// What it runs, for people (`status`): `FRR 10`.
    pub node: String,
    /// What the backend runs once the router's interfaces exist: FRR's start (frr::start).
    pub start_script: String,
    /// `engine N` in the topology, 0-based: where a lab spread over several engines runs it.
    pub engine: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceSpec {
    pub name: String,
    /// Runtime network name.
    pub network: String,
    /// The lab address (configured by zebra, not by Docker): the IPv4 one, the IPv6 one on an
    /// IPv6-only segment, none on an attachment circuit.
    pub address: Option<std::net::IpAddr>,
}

pub fn container_name(lab: &str, router: &str) -> String {
    format!("{lab}-{router}")
}

/// The helper container that makes a lab's links ([`Wiring::Veth`]). A router's container
/// name always has a `-` after the lab name, so no router can take this one.
pub fn links_container_name(lab: &str) -> String {
    format!("{lab}.links")
}

impl LabSpec {
    /// Each segment with its ends, `(container, interface)`, in the containers' order.
    pub fn segment_ends(&self) -> Vec<(&NetworkSpec, Vec<(&str, &str)>)> {
        let mut ends: std::collections::HashMap<&str, Vec<(&str, &str)>> = Default::default();
        for c in &self.containers {
            for i in &c.interfaces {
                ends.entry(i.network.as_str())
                    .or_default()
                    .push((c.name.as_str(), i.name.as_str()));
            }
        }
        self.networks
            .iter()
            .map(|n| (n, ends.remove(n.name.as_str()).unwrap_or_default()))
            .collect()
    }

    /// Runtime objects for a lab. `daemons(router)` are the FRR daemons it will need
    /// (frr::daemons::needed), so FRR never has to be restarted mid-run; `frr(image)` the FRR
    /// version a router of that image is planned for.
    pub fn from_lab(
        lab: &Lab,
        default_image: &str,
        wiring: Wiring,
        node: impl Fn(&Router, &str) -> NodeSpec,
    ) -> LabSpec {
        let network_name = |segment: &str| format!("{}-{segment}", lab.name);
        let networks = lab
            .segments
            .iter()
            .map(|s| NetworkSpec {
                name: network_name(&s.name),
                segment: s.name.clone(),
                subnets: s.subnets(),
                multi_access: s.kind == SegmentKind::Network,
                mtu: segment_mtu(lab, s),
                vxlan: None,
            })
            .collect();
        let containers = lab
            .routers
            .iter()
            .map(|r| {
                let image = r.image.clone().unwrap_or_else(|| default_image.to_string());
                let NodeSpec { node, start_script } = node(r, &image);
                ContainerSpec {
                    name: container_name(&lab.name, &r.name),
                    router: r.name.clone(),
                    role: r.role,
                    image,
                    interfaces: r
                        .interfaces
                        .iter()
                        .map(|i| InterfaceSpec {
                            name: i.name.clone(),
                            network: network_name(&i.segment),
                            address: i
                                .address
                                .map(|a| a.addr().into())
                                .or(i.address6.map(|a| a.addr().into())),
                        })
                        .collect(),
                    node,
                    start_script,
                    engine: r.engine.map(|n| n as usize - 1),
                }
            })
            .collect();
        LabSpec {
            lab: lab.name.clone(),
            wiring,
            networks,
            containers,
            labels: Vec::new(),
        }
    }
}

/// A segment with a CE on it is a customer's; any other is the provider's core.
fn segment_mtu(lab: &Lab, segment: &crate::topology::Segment) -> u32 {
    let customer = segment.endpoints.iter().any(|e| {
        lab.router(&e.router)
            .is_some_and(|r| r.role == crate::topology::Role::Ce)
    });
    if customer {
        CUSTOMER_MTU
    } else {
        CORE_MTU
    }
}

/// One router's configuration change, as sent to a backend: the change (what the plan
/// shows) and the script that applies it (frr::apply), which is all the backend runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configure {
    pub router: String,
    pub change: RouterChange,
    pub apply: ApplyScript,
}

/// A lab's spec from a topology's text, for tests of what is made from it.
#[cfg(test)]
pub fn spec_of(topology: &str) -> LabSpec {
    let source = crate::diagnostic::Source::new("t.topo", topology.to_string());
    let lab = crate::topology::load(&source).expect("valid topology");
    LabSpec::from_lab(&lab, "img", Wiring::Veth, |_, _| NodeSpec::default())
}
