//! The lab model: what the topology file means once parsed and validated.
//!
//! Everything here is plain data in declaration order, so that rendering and planning are
//! deterministic. Nothing in this file knows about Docker or FRR.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lab {
    pub name: String,
    pub routers: Vec<Router>,
    pub segments: Vec<Segment>,
    #[serde(skip)]
    pub(crate) index: RouterIndex,
}

/// The lab's routers by name, made at the first lookup: a script asks for its routers by name
/// at every call, and a scan of thousands of routers each time made planning a large lab grow
/// with the square of its size. A lab's routers do not change once it is read; a lookup that
/// finds another router at the indexed place scans instead.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouterIndex(std::sync::OnceLock<std::collections::HashMap<String, usize>>);

/// Two labs are equal by their content, whether or not either has been looked into yet.
impl PartialEq for RouterIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for RouterIndex {}

/// The part a router plays in an MPLS VPN; it decides which FRR daemons run by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Provider core router: IGP + LDP, no customer routes.
    P,
    /// Provider edge: IGP + LDP + MP-BGP, holds the customer VRFs.
    Pe,
    /// Customer edge: static routes, or BGP/OSPF towards its PE.
    Ce,
    /// Route reflector for VPNv4: IGP + BGP, no LDP.
    Rr,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "p" => Some(Role::P),
            "pe" => Some(Role::Pe),
            "ce" => Some(Role::Ce),
            "rr" => Some(Role::Rr),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::P => "p",
            Role::Pe => "pe",
            Role::Ce => "ce",
            Role::Rr => "rr",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Router {
    pub name: String,
    pub role: Role,
    /// Address of `lo`, with its prefix length as written (the seed's CEs use /24 on lo).
    pub loopback: Option<Ipv4Net>,
    /// The IPv6 address of `lo` (dual stack), with its prefix length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loopback6: Option<Ipv6Net>,
    /// `id ADDRESS`: the router ID where the topology gives one (a router without an IPv4
    /// loopback needs it); see [`Router::id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router_id: Option<Ipv4Addr>,
    /// Container image for this router; `None` means the lab's default image.
    pub image: Option<String>,
    /// `as N`: the router's autonomous system, where the lab has more than one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// `engine N`: which engine of a lab spread over several runs it (from 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<u32>,
    /// In the order the interfaces were declared.
    pub interfaces: Vec<Interface>,
}

impl Router {
    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    /// The router ID its daemons take: `id` where the topology gives one, else the IPv4
    /// loopback's address.
    pub fn id(&self) -> Option<Ipv4Addr> {
        self.router_id.or(self.loopback.map(|lo| lo.addr()))
    }

    /// A router whose loopback is IPv6 alone: its BGP sessions go to and from that address.
    pub fn is_ipv6_only(&self) -> bool {
        self.loopback.is_none() && self.loopback6.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    pub name: String,
    /// Name of the segment (link or network) the interface is attached to.
    pub segment: String,
    /// Interface address with the segment's prefix length; none on an attachment circuit.
    pub address: Option<Ipv4Net>,
    /// The IPv6 address on a dual-stack segment, with the segment's IPv6 prefix length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address6: Option<Ipv6Net>,
    /// The customer VRF the topology puts this interface in (`vrf NAME` on a PE's end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vrf: Option<String>,
    /// The layer-2 VPN this interface attaches a customer to (`l2vpn NAME` on a PE's end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l2vpn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentKind {
    /// Exactly two ends.
    Link,
    /// Two or more ends on one broadcast domain.
    Network,
}

/// A link or a multi-access network: one Docker bridge network at runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub name: String,
    pub kind: SegmentKind,
    /// None on an IPv6-only segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<Ipv4Net>,
    /// The IPv6 subnet of a dual-stack segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet6: Option<Ipv6Net>,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub router: String,
    pub interface: String,
    /// None on an attachment circuit's PE end.
    pub address: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address6: Option<Ipv6Addr>,
    /// `vrf NAME` on this end in the topology.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vrf: Option<String>,
    /// `l2vpn NAME` on this end in the topology.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l2vpn: Option<String>,
}

impl Segment {
    /// The segment's subnets as the topology writes them ([`subnets`]).
    pub fn subnets(&self) -> String {
        subnets(self.subnet, self.subnet6)
    }
}

/// `10.1.1.0/24`, with the IPv6 subnet after it on a dual-stack segment; the IPv6 one alone on
/// an IPv6-only segment.
pub fn subnets(v4: Option<Ipv4Net>, v6: Option<Ipv6Net>) -> String {
    match (v4, v6) {
        (Some(v4), Some(v6)) => format!("{v4} {v6}"),
        (Some(v4), None) => v4.to_string(),
        (None, Some(v6)) => v6.to_string(),
        (None, None) => String::new(),
    }
}

impl Lab {
    /// A lab of these routers and segments.
    pub fn new(name: String, routers: Vec<Router>, segments: Vec<Segment>) -> Lab {
        Lab {
            name,
            routers,
            segments,
            index: RouterIndex::default(),
        }
    }

    pub fn router(&self, name: &str) -> Option<&Router> {
        let index = self.index.0.get_or_init(|| {
            let mut index = std::collections::HashMap::with_capacity(self.routers.len());
            for (k, r) in self.routers.iter().enumerate() {
                // The first of a name, as a scan finds it.
                index.entry(r.name.clone()).or_insert(k);
            }
            index
        });
        match index.get(name).and_then(|&k| self.routers.get(k)) {
            Some(r) if r.name == name => Some(r),
            _ => self.routers.iter().find(|r| r.name == name),
        }
    }

    pub fn segment(&self, name: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.name == name)
    }

    /// The segment on `router`'s interface `iface` joins it to a router of another AS: the
    /// edge of its IGP. False in a lab that names no ASes.
    pub fn is_inter_as(&self, router: &str, iface: &str) -> bool {
        let Some(r) = self.router(router) else {
            return false;
        };
        let (Some(asn), Some(i)) = (r.asn, r.interface(iface)) else {
            return false;
        };
        self.segment(&i.segment).is_some_and(|seg| {
            seg.endpoints.iter().any(|e| {
                e.router != router
                    && self
                        .router(&e.router)
                        .and_then(|far| far.asn)
                        .is_some_and(|far| far != asn)
            })
        })
    }

    /// The segment joining two routers directly, if any (first in declaration order).
    pub fn segment_between(&self, a: &str, b: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| {
            s.endpoints.iter().any(|e| e.router == a) && s.endpoints.iter().any(|e| e.router == b)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Source;

    fn lab() -> super::Lab {
        let text = "lab t\nrouter A p lo 10.9.9.1/32\nrouter B p lo 10.9.9.2/32\n\
                    link ab 10.9.0.0/24 { A:eth0 .1, B:eth0 .2 }\n";
        crate::topology::load(&Source::new("t.topo", text)).unwrap()
    }

    #[test]
    fn routers_are_found_by_name_and_a_lab_looked_into_equals_one_not() {
        let (looked, fresh) = (lab(), lab());
        assert_eq!(looked.router("B").map(|r| r.name.as_str()), Some("B"));
        assert!(looked.router("C").is_none());
        assert_eq!(looked, fresh);
        // A lab changed after its index was made is still searched right.
        let mut changed = looked.clone();
        changed.routers.remove(0);
        assert_eq!(changed.router("B").map(|r| r.name.as_str()), Some("B"));
        assert!(changed.router("A").is_none());
    }

    #[test]
    fn a_link_between_two_ases_is_inter_as_and_a_link_to_a_customer_is_not() {
        let text =
            "lab t\nrouter A pe lo 10.9.9.1/32 as 65001\nrouter B pe lo 10.9.9.2/32 as 65002\n\
                    router C pe lo 10.9.9.3/32 as 65002\nrouter CE ce lo 10.8.8.8/32\n\
                    link ab 10.9.0.0/24 { A:eth0 .1, B:eth0 .2 }\n\
                    link bc 10.9.1.0/24 { B:eth1 .1, C:eth0 .2 }\n\
                    link ce 10.9.2.0/24 { C:eth1 .1, CE:eth0 .2 }\n";
        let lab = crate::topology::load(&Source::new("t.topo", text)).unwrap();
        assert!(lab.is_inter_as("A", "eth0"));
        assert!(lab.is_inter_as("B", "eth0"));
        assert!(!lab.is_inter_as("B", "eth1"));
        assert!(!lab.is_inter_as("C", "eth1"));
        assert!(!lab.is_inter_as("CE", "eth0"));
        assert_eq!(lab.router("A").and_then(|r| r.asn), Some(65001));
    }
}
