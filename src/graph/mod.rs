//! Pictures of a lab: SVG (our own layout, no Graphviz), DOT, Mermaid and an ASCII sketch.
//!
//! Every format draws the same [`Diagram`], computed once from the lab model and, when a
//! script was evaluated, its intent (for the VRF each PE interface belongs to, and the
//! pseudowires between PEs). A two-ended segment is an edge between two routers; a `network`
//! with three or more ends is a bus that each member joins, since a line cannot have three
//! ends. A pseudowire is a dashed line between two PEs, over the core it crosses.

pub mod ascii;
pub mod dot;
pub mod layout;
pub mod mermaid;
pub mod style;
pub mod svg;

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

use crate::intent::Intent;
use crate::topology::model::subnets;
use crate::topology::{Lab, Role, SegmentKind};

/// The output formats of `mplsrepl graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Dot,
    Mermaid,
    Ascii,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "svg" => Some(Format::Svg),
            "dot" => Some(Format::Dot),
            "mermaid" => Some(Format::Mermaid),
            "ascii" => Some(Format::Ascii),
            _ => None,
        }
    }
}

/// What every picture shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagram {
    pub lab: String,
    pub routers: Vec<Node>,
    pub buses: Vec<Bus>,
    pub edges: Vec<Edge>,
    pub pseudowires: Vec<PseudowireLine>,
}

/// A pseudowire between two PEs (indexes into [`Diagram::routers`]), once per pair and PW id.
#[derive(Debug, Clone, PartialEq)]
pub struct PseudowireLine {
    pub ends: [usize; 2],
    pub l2vpn: String,
    pub pw_id: u32,
}

impl PseudowireLine {
    /// `pw 100 (CUSTA)`.
    pub fn label(&self) -> String {
        format!("pw {} ({})", self.pw_id, self.l2vpn)
    }
}

/// The pseudowires the intent gives, each drawn once whichever end names it.
fn pseudowire_lines(lab: &Lab, intent: Option<&Intent>) -> Vec<PseudowireLine> {
    let Some(intent) = intent else {
        return Vec::new();
    };
    let index = |name: &str| lab.routers.iter().position(|r| r.name == name);
    let by_loopback = |addr: Ipv4Addr| {
        lab.routers
            .iter()
            .position(|r| r.loopback.is_some_and(|lo| lo.addr() == addr))
    };
    let mut lines: Vec<PseudowireLine> = Vec::new();
    for (name, r) in &intent.routers {
        for (l2vpn, l) in &r.l2vpns {
            for pw in l.pseudowires.values() {
                let (Some(a), Some(b)) = (index(name), by_loopback(pw.peer)) else {
                    continue;
                };
                let line = PseudowireLine {
                    ends: [a.min(b), a.max(b)],
                    l2vpn: l2vpn.clone(),
                    pw_id: pw.pw_id,
                };
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
        }
    }
    lines
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub role: Role,
    pub loopback: Option<Ipv4Net>,
    pub loopback6: Option<Ipv6Net>,
}

impl Node {
    /// `1.1.1.1/32`, with the IPv6 loopback after it on a dual-stack router.
    pub fn loopbacks(&self) -> Option<String> {
        let lo = self.loopback?;
        Some(match self.loopback6 {
            Some(lo6) => format!("{lo} {lo6}"),
            None => lo.to_string(),
        })
    }
}

/// A multi-access network drawn as a shape of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Bus {
    pub name: String,
    pub subnet: Option<Ipv4Net>,
    pub subnet6: Option<Ipv6Net>,
}

impl Bus {
    pub fn subnets(&self) -> String {
        subnets(self.subnet, self.subnet6)
    }
}

/// Index into [`Diagram::routers`] or [`Diagram::buses`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vertex {
    Router(usize),
    Bus(usize),
}

/// A router's side of a segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    pub interface: String,
    /// None on an attachment circuit's PE end.
    pub address: Option<Ipv4Addr>,
    pub address6: Option<Ipv6Addr>,
    /// The VRF the interface is enslaved to, per the script's final intent.
    pub vrf: Option<String>,
    /// The layer-2 VPN the interface attaches its segment to (`l2vpn NAME`).
    pub l2vpn: Option<String>,
}

impl Port {
    /// `eth1 (CUSTA)`, or `eth0` outside any VRF.
    pub fn name_label(&self) -> String {
        match &self.vrf {
            Some(v) => format!("{} ({v})", self.interface),
            None => self.interface.clone(),
        }
    }

    /// `10.1.1.2`, with the IPv6 address after it on a dual-stack segment; `l2vpn CUST` on an
    /// attachment circuit's PE end, which has no address.
    pub fn addresses(&self) -> String {
        match (self.address, self.address6, &self.l2vpn) {
            (Some(a), Some(a6), _) => format!("{a} {a6}"),
            (Some(a), None, _) => a.to_string(),
            (None, _, Some(n)) => format!("l2vpn {n}"),
            (None, _, None) => String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct End {
    pub vertex: Vertex,
    /// `None` on the bus side of a bus edge.
    pub port: Option<Port>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub segment: String,
    pub subnet: Option<Ipv4Net>,
    pub subnet6: Option<Ipv6Net>,
    pub ends: [End; 2],
}

impl Edge {
    /// `10.1.1.0/24`, with the IPv6 subnet after it on a dual-stack segment.
    pub fn subnets(&self) -> String {
        subnets(self.subnet, self.subnet6)
    }

    /// `net1 10.1.1.0/24` on a link; `None` on a bus edge, where the bus shows it.
    pub fn middle_label(&self) -> Option<String> {
        match self.ends[1].vertex {
            Vertex::Bus(_) => None,
            Vertex::Router(_) => Some(format!("{} {}", self.segment, self.subnets())),
        }
    }

    /// The VRF of either end, which colours the line.
    pub fn vrf(&self) -> Option<&str> {
        self.ends
            .iter()
            .find_map(|e| e.port.as_ref().and_then(|p| p.vrf.as_deref()))
    }
}

impl Diagram {
    pub fn new(lab: &Lab, intent: Option<&Intent>) -> Diagram {
        let vrf_of = |router: &str, iface: &str| -> Option<String> {
            let r = intent?.routers.get(router)?;
            r.vrfs
                .iter()
                .find(|(_, v)| v.members.contains(iface))
                .map(|(name, _)| name.clone())
        };
        let index = |router: &str| lab.routers.iter().position(|r| r.name == router);
        let routers = lab
            .routers
            .iter()
            .map(|r| Node {
                name: r.name.clone(),
                role: r.role,
                loopback: r.loopback,
                loopback6: r.loopback6,
            })
            .collect();
        let mut buses = Vec::new();
        let mut edges = Vec::new();
        for seg in &lab.segments {
            let ends: Vec<End> = seg
                .endpoints
                .iter()
                .filter_map(|e| {
                    Some(End {
                        vertex: Vertex::Router(index(&e.router)?),
                        port: Some(Port {
                            interface: e.interface.clone(),
                            address: e.address,
                            address6: e.address6,
                            l2vpn: e.l2vpn.clone(),
                            // The script's binding, else the topology's `vrf NAME`.
                            vrf: vrf_of(&e.router, &e.interface).or_else(|| e.vrf.clone()),
                        }),
                    })
                })
                .collect();
            let is_bus = seg.kind == SegmentKind::Network && ends.len() > 2;
            if !is_bus {
                let mut ends = ends.into_iter();
                if let (Some(a), Some(b)) = (ends.next(), ends.next()) {
                    edges.push(Edge {
                        segment: seg.name.clone(),
                        subnet: seg.subnet,
                        subnet6: seg.subnet6,
                        ends: [a, b],
                    });
                }
                continue;
            }
            let bus = Vertex::Bus(buses.len());
            buses.push(Bus {
                name: seg.name.clone(),
                subnet: seg.subnet,
                subnet6: seg.subnet6,
            });
            for end in ends {
                edges.push(Edge {
                    segment: seg.name.clone(),
                    subnet: seg.subnet,
                    subnet6: seg.subnet6,
                    ends: [
                        end,
                        End {
                            vertex: bus,
                            port: None,
                        },
                    ],
                });
            }
        }
        Diagram {
            lab: lab.name.clone(),
            routers,
            buses,
            edges,
            pseudowires: pseudowire_lines(lab, intent),
        }
    }

    pub fn router(&self, v: Vertex) -> Option<&Node> {
        match v {
            Vertex::Router(i) => self.routers.get(i),
            Vertex::Bus(_) => None,
        }
    }

    /// The VRF names on the lab's interfaces, sorted: their rank picks their colour.
    pub fn vrfs(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.edges.iter().filter_map(Edge::vrf).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The name a vertex is drawn with.
    pub fn name(&self, v: Vertex) -> &str {
        match v {
            Vertex::Router(i) => &self.routers[i].name,
            Vertex::Bus(i) => &self.buses[i].name,
        }
    }
}

/// The lab in the given format; SVG and DOT are complete documents.
pub fn render(lab: &Lab, intent: Option<&Intent>, format: Format) -> String {
    let diagram = Diagram::new(lab, intent);
    match format {
        Format::Svg => svg::render(&diagram),
        Format::Dot => dot::render(&diagram),
        Format::Mermaid => mermaid::render(&diagram),
        Format::Ascii => ascii::render(&diagram),
    }
}

/// The compact text sketch the REPL's `:graph` prints.
pub fn ascii(lab: &Lab, intent: Option<&Intent>) -> String {
    ascii::render(&Diagram::new(lab, intent))
}

/// Role names for legends and labels.
pub fn role_title(role: Role) -> &'static str {
    match role {
        Role::P => "P (core)",
        Role::Pe => "PE (provider edge)",
        Role::Ce => "CE (customer edge)",
        Role::Rr => "RR (route reflector)",
    }
}
