//! containerlab topology -> lab model, written as `.topo` text with comments where something
//! had to be guessed.
//!
//! Only nodes and links are read. Addresses come from `exec: ip addr add A/L dev IF` lines
//! when the file has them (as our export writes); a link without any gets a placeholder subnet
//! in 10.200.0.0/16, flagged by a comment, so that the result loads and the user knows what to
//! replace. containerlab links have no names: a link is named by its `labels: {segment: NAME}`
//! (as our export writes), else after its two routers.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use anyhow::{anyhow, bail, Context};
use ipnet::Ipv4Net;
use serde_yaml_ng::{Mapping, Value};

use super::guess_role;
use crate::diagnostic::Source;
use crate::topology::write::{write, Notes};
use crate::topology::{Endpoint, Interface, Lab, Role, Router, Segment, SegmentKind};

/// The imported topology; `errors` holds the validation errors of `text`, if any, rendered.
#[derive(Debug)]
pub struct Imported {
    pub text: String,
    pub errors: Option<String>,
}

/// Endpoints that are not containers of the lab.
const SPECIAL_NODES: [&str; 3] = ["host", "mgmt-net", "macvlan"];

struct Node {
    name: String,
    kind: String,
    image: Option<String>,
    role_label: Option<String>,
    /// (interface, address with its prefix length) from `exec`.
    addresses: Vec<(String, Ipv4Net)>,
}

pub fn import(yaml: &str, default_image: &str) -> anyhow::Result<Imported> {
    let doc: Value = serde_yaml_ng::from_str(yaml).context("not a YAML document")?;
    let name = doc
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("the file has no `name:`, which names the lab"))?;
    let topo = doc
        .get("topology")
        .ok_or_else(|| anyhow!("the file has no `topology:` section"))?;
    let nodes = read_nodes(topo)?;
    let links = read_links(topo, &nodes)?;
    let mut notes = Notes {
        header: vec![
            "Imported from a containerlab topology by `mplsrepl import-clab`.".to_string(),
            "Links without `labels: {segment: NAME}` are named after their routers.".to_string(),
        ],
        ..Default::default()
    };
    let mut routers = Vec::new();
    for n in nodes.iter().filter(|n| !is_bridge(&n.kind)) {
        let role = match guess_role(n.role_label.as_deref(), &n.name) {
            Some(role) => role,
            None => {
                notes.routers.insert(
                    n.name.clone(),
                    "role guessed: neither `labels: {role: ...}` nor the name says p, pe, ce or rr"
                        .to_string(),
                );
                Role::P
            }
        };
        if n.kind != "linux" {
            notes.routers.entry(n.name.clone()).or_insert(format!(
                "containerlab kind `{}`: mplsrepl runs every router as an FRR container",
                n.kind
            ));
        }
        routers.push(Router {
            name: n.name.clone(),
            role,
            loopback: n.addresses.iter().find(|(i, _)| i == "lo").map(|a| a.1),
            loopback6: None,
            router_id: None,
            image: n.image.clone().filter(|i| i != default_image),
            asn: None,
            engine: None,
            interfaces: Vec::new(),
        });
    }
    let segments = segments(&nodes, &links, &mut notes);
    for s in &segments {
        for e in &s.endpoints {
            let r = routers
                .iter_mut()
                .find(|r| r.name == e.router)
                .expect("links were checked against the routers");
            r.interfaces.push(Interface {
                name: e.interface.clone(),
                segment: s.name.clone(),
                address: e
                    .address
                    .zip(s.subnet)
                    .map(|(a, net)| Ipv4Net::new(a, net.prefix_len()).expect("valid length")),
                address6: None,
                vrf: None,
                l2vpn: None,
            });
        }
    }
    let lab = Lab::new(name.to_string(), routers, segments);
    let text = write(&lab, &notes);
    let errors = crate::topology::load(&Source::new(format!("{name}.topo"), text.clone()))
        .err()
        .map(|e| e.render(false));
    Ok(Imported { text, errors })
}

fn is_bridge(kind: &str) -> bool {
    kind == "bridge" || kind == "ovs-bridge"
}

/// Nodes in file order, with `kinds:` and `defaults:` applied for the kind and image.
fn read_nodes(topo: &Value) -> anyhow::Result<Vec<Node>> {
    let empty = Mapping::new();
    let nodes = match topo.get("nodes") {
        Some(Value::Mapping(m)) => m,
        Some(_) => bail!("`topology.nodes` must be a mapping of node names"),
        None => &empty,
    };
    let defaults = topo.get("defaults");
    let mut out = Vec::new();
    for (key, node) in nodes {
        let name = key
            .as_str()
            .ok_or_else(|| anyhow!("node name {key:?} is not a string"))?;
        let get = |field: &str| -> Option<&Value> {
            node.get(field)
                .or_else(|| defaults.and_then(|d| d.get(field)))
        };
        let kind = get("kind").and_then(Value::as_str).unwrap_or("linux");
        let kind_defaults = topo.get("kinds").and_then(|k| k.get(kind));
        let image = node
            .get("image")
            .or_else(|| kind_defaults.and_then(|k| k.get("image")))
            .or_else(|| defaults.and_then(|d| d.get("image")))
            .and_then(Value::as_str);
        let role_label = node
            .get("labels")
            .and_then(|l| l.get("role"))
            .and_then(Value::as_str);
        let exec: Vec<&str> = node
            .get("exec")
            .and_then(Value::as_sequence)
            .map(|s| s.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let addresses = exec
            .iter()
            .filter_map(|cmd| ip_addr_add(cmd))
            .collect::<anyhow::Result<Vec<_>>>()
            .with_context(|| format!("node {name}"))?;
        out.push(Node {
            name: name.to_string(),
            kind: kind.to_string(),
            image: image.map(str::to_string),
            role_label: role_label.map(str::to_string),
            addresses,
        });
    }
    Ok(out)
}

/// `ip [-4] addr|address|a add A/L dev IF` -> (IF, A/L); `None` for any other command.
fn ip_addr_add(cmd: &str) -> Option<anyhow::Result<(String, Ipv4Net)>> {
    let words: Vec<&str> = cmd.split_whitespace().filter(|w| *w != "-4").collect();
    if words.first() != Some(&"ip")
        || !matches!(words.get(1), Some(&("addr" | "address" | "a")))
        || words.get(2) != Some(&"add")
    {
        return None;
    }
    let after = |key: &str| {
        words
            .iter()
            .position(|w| *w == key)
            .and_then(|i| words.get(i + 1))
    };
    let (Some(addr), Some(dev)) = (words.get(3), after("dev")) else {
        return Some(Err(anyhow!(
            "cannot read `{cmd}`: expected `ip addr add A/L dev IF`"
        )));
    };
    Some(
        addr.parse::<Ipv4Net>()
            .map(|a| (dev.to_string(), a))
            .map_err(|_| anyhow!("`{cmd}`: `{addr}` is not an IPv4 address with its length")),
    )
}

/// Both ends of a link, as (node, interface).
type LinkEnds = [(String, String); 2];

struct Link {
    ends: LinkEnds,
    /// `labels: {segment: NAME}`, as our export writes.
    name: Option<String>,
}

fn read_links(topo: &Value, nodes: &[Node]) -> anyhow::Result<Vec<Link>> {
    let Some(links) = topo.get("links") else {
        return Ok(Vec::new());
    };
    let links = links
        .as_sequence()
        .ok_or_else(|| anyhow!("`topology.links` must be a list"))?;
    let mut out = Vec::new();
    for (n, link) in links.iter().enumerate() {
        let what = || format!("link {} of `topology.links`", n + 1);
        if let Some(t) = link.get("type").and_then(Value::as_str) {
            if t != "veth" {
                bail!(
                    "{}: links of type `{t}` are not supported (only container-to-container veth links and bridges)",
                    what()
                );
            }
        }
        let ends = link
            .get("endpoints")
            .and_then(Value::as_sequence)
            .ok_or_else(|| anyhow!("{}: no `endpoints` list", what()))?;
        let ends: Vec<(String, String)> = ends
            .iter()
            .map(endpoint)
            .collect::<anyhow::Result<_>>()
            .with_context(what)?;
        let [a, b]: LinkEnds = ends
            .try_into()
            .map_err(|e: Vec<_>| anyhow!("{}: {} endpoints, expected 2", what(), e.len()))?;
        for (node, _) in [&a, &b] {
            if SPECIAL_NODES.contains(&node.as_str()) {
                bail!(
                    "{}: `{node}` endpoints are not supported: every end must be a node of the lab",
                    what()
                );
            }
            if !nodes.iter().any(|x| &x.name == node) {
                bail!("{}: unknown node `{node}`", what());
            }
        }
        let name = link
            .get("labels")
            .and_then(|l| l.get("segment"))
            .and_then(Value::as_str)
            .map(str::to_string);
        out.push(Link { ends: [a, b], name });
    }
    Ok(out)
}

/// `"node:iface"` (brief form) or `{node: X, interface: Y}` (extended form).
fn endpoint(v: &Value) -> anyhow::Result<(String, String)> {
    if let Some(text) = v.as_str() {
        let (node, iface) = text
            .split_once(':')
            .ok_or_else(|| anyhow!("endpoint `{text}` is not `node:interface`"))?;
        return Ok((node.to_string(), iface.to_string()));
    }
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    match (field("node"), field("interface")) {
        (Some(n), Some(i)) => Ok((n, i)),
        _ => bail!("an endpoint must be `node:interface` or have `node` and `interface`"),
    }
}

/// A segment before addressing: its ends as (router, interface).
struct Grouped {
    name: String,
    kind: SegmentKind,
    ends: Vec<(String, String)>,
}

/// Links between two routers become links; links to a bridge make its members a network.
fn segments(nodes: &[Node], links: &[Link], notes: &mut Notes) -> Vec<Segment> {
    let address = |router: &str, iface: &str| -> Option<Ipv4Net> {
        let node = nodes.iter().find(|n| n.name == router)?;
        node.addresses.iter().find(|(i, _)| i == iface).map(|a| a.1)
    };
    let known: Vec<Ipv4Net> = nodes
        .iter()
        .flat_map(|n| n.addresses.iter().map(|a| a.1.trunc()))
        .collect();
    let mut next_placeholder = 0u8;
    let mut out = Vec::new();
    for Grouped { name, kind, ends } in group(nodes, links) {
        let subnet = ends
            .iter()
            .find_map(|(r, i)| address(r, i))
            .map(|a| a.trunc());
        let subnet = subnet.unwrap_or_else(|| {
            let s = (next_placeholder..=255)
                .map(|n| Ipv4Net::new(Ipv4Addr::new(10, 200, n, 0), 24).expect("valid"))
                .find(|s| !known.iter().any(|k| k.contains(s) || s.contains(k)))
                .unwrap_or_else(|| "10.200.255.0/24".parse().expect("literal"));
            next_placeholder = s.network().octets()[2].saturating_add(1);
            notes.segments.insert(
                name.clone(),
                format!(
                    "TODO: placeholder subnet {s}, the containerlab file gives no addresses here"
                ),
            );
            s
        });
        let mut used: BTreeSet<Ipv4Addr> = ends
            .iter()
            .filter_map(|(r, i)| address(r, i))
            .map(|a| a.addr())
            .collect();
        let mut guessed = Vec::new();
        let mut endpoints = Vec::new();
        for (r, i) in &ends {
            let addr = address(r, i).map(|a| a.addr()).unwrap_or_else(|| {
                let free = subnet
                    .hosts()
                    .find(|h| !used.contains(h))
                    .unwrap_or(subnet.addr());
                used.insert(free);
                guessed.push(format!("{r}:{i}"));
                free
            });
            endpoints.push(Endpoint {
                router: r.clone(),
                interface: i.clone(),
                address: Some(addr),
                address6: None,
                vrf: None,
                l2vpn: None,
            });
        }
        if !guessed.is_empty() && !notes.segments.contains_key(&name) {
            notes.segments.insert(
                name.clone(),
                format!("TODO: placeholder address for {}", guessed.join(", ")),
            );
        }
        out.push(Segment {
            name,
            kind,
            subnet: Some(subnet),
            subnet6: None,
            endpoints,
        });
    }
    out
}

/// Segments in file order: a link per router-to-router link (named by its label, else after
/// its routers), a network per bridge where its first member appears.
fn group(nodes: &[Node], links: &[Link]) -> Vec<Grouped> {
    let bridge = |name: &str| nodes.iter().any(|n| n.name == name && is_bridge(&n.kind));
    let mut out: Vec<Grouped> = Vec::new();
    for Link { ends: [a, b], name } in links {
        let (member, hub) = match (bridge(&a.0), bridge(&b.0)) {
            (false, true) => (a, Some(&b.0)),
            (true, false) => (b, Some(&a.0)),
            _ => (a, None),
        };
        if let Some(hub) = hub {
            match out.iter_mut().find(|s| &s.name == hub) {
                Some(s) => s.ends.push(member.clone()),
                None => out.push(Grouped {
                    name: hub.clone(),
                    kind: SegmentKind::Network,
                    ends: vec![member.clone()],
                }),
            }
            continue;
        }
        let base = name.clone().unwrap_or_else(|| format!("{}-{}", a.0, b.0));
        let name = std::iter::once(base.clone())
            .chain((2..).map(|i| format!("{base}-{i}")))
            .find(|n| !out.iter().any(|s| &s.name == n))
            .expect("an unused name exists");
        out.push(Grouped {
            name,
            kind: SegmentKind::Link,
            ends: vec![a.clone(), b.clone()],
        });
    }
    out
}
