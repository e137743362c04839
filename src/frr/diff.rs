//! Minimal change between two intents of a router: vtysh lines (with `no ...` removals) and
//! kernel commands. Rendering from scratch is the diff against an empty router.

use std::collections::BTreeSet;

use super::config_tree::{to_vtysh_lines, ConfigNode};
use super::render::router_config;
use crate::intent::kernel::{kernel_changes, KernelChanges};
use crate::intent::RouterIntent;

/// Everything to do on one router to go from `old` to `new`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouterChange {
    pub kernel_before: Vec<Vec<String>>,
    /// vtysh input (config mode), contexts closed explicitly; empty when FRR needs no change.
    pub vtysh: Vec<String>,
    pub kernel_after: Vec<Vec<String>>,
}

impl RouterChange {
    pub fn is_empty(&self) -> bool {
        self.kernel_before.is_empty() && self.vtysh.is_empty() && self.kernel_after.is_empty()
    }
}

pub fn router_change(old: &RouterIntent, new: &RouterIntent) -> RouterChange {
    Rendered::of(old, new).change
}

/// A router's change with the configuration trees it was computed from, each side rendered
/// once: the read-back checks the running configuration against the same trees.
pub struct Rendered {
    pub change: RouterChange,
    pub before: Vec<ConfigNode>,
    pub after: Vec<ConfigNode>,
}

impl Rendered {
    pub fn of(old: &RouterIntent, new: &RouterIntent) -> Rendered {
        let KernelChanges { before, after } = kernel_changes(old, new);
        let (old_tree, new_tree) = (router_config(old), router_config(new));
        let nodes = config_diff(&old_tree, &new_tree);
        Rendered {
            change: RouterChange {
                kernel_before: before,
                vtysh: to_vtysh_lines(&nodes),
                kernel_after: after,
            },
            before: old_tree,
            after: new_tree,
        }
    }
}

/// Diff of two configuration trees as a tree of commands to run.
pub fn config_diff(old: &[ConfigNode], new: &[ConfigNode]) -> Vec<ConfigNode> {
    diff_level(old, new, 0, &BTreeSet::new())
}

/// Removals first (in reverse order, so that dependants such as `router bgp N vrf X` go before
/// `router bgp N`), then additions and changes in the new order.
fn diff_level(
    old: &[ConfigNode],
    new: &[ConfigNode],
    depth: usize,
    inherited_resets: &BTreeSet<String>,
) -> Vec<ConfigNode> {
    let mut resets = inherited_resets.clone();
    resets.extend(reset_neighbors(old, new));
    let mut out = Vec::new();
    for o in old.iter().rev() {
        if new
            .iter()
            .any(|n| n.line == o.line && !is_reset(n, &resets))
        {
            continue;
        }
        if let Some(ip) = o.peer() {
            // Removing `neighbor X remote-as` deletes the neighbor with all its lines; negating
            // those lines afterwards would fail with "Specify remote-as or peer-group commands first".
            if resets.contains(ip) && !o.defines_neighbor() {
                continue;
            }
        }
        if o.is_context() && o.is_persistent_context(depth) {
            let children = diff_level(&o.children, &[], depth + 1, &resets);
            if !children.is_empty() {
                out.push(ConfigNode {
                    children,
                    ..o.clone()
                });
            }
        } else {
            out.push(ConfigNode::leaf(o.negation()));
        }
    }
    for n in new {
        match old.iter().find(|o| o.line == n.line) {
            Some(_) if is_reset(n, &resets) => out.push(n.clone()),
            Some(o) if n.is_context() => {
                let children = diff_level(&o.children, &n.children, depth + 1, &resets);
                if !children.is_empty() {
                    out.push(ConfigNode {
                        children,
                        ..n.clone()
                    });
                }
            }
            Some(_) => {}
            None => out.push(n.clone()),
        }
    }
    out
}

/// Neighbors whose `remote-as` line disappears at this level: they are deleted and recreated.
fn reset_neighbors(old: &[ConfigNode], new: &[ConfigNode]) -> BTreeSet<String> {
    old.iter()
        .filter(|o| o.defines_neighbor() && !new.iter().any(|n| n.line == o.line))
        .filter_map(|o| o.peer().map(str::to_string))
        .collect()
}

fn is_reset(node: &ConfigNode, resets: &BTreeSet<String>) -> bool {
    node.peer().is_some_and(|ip| resets.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(nodes: &[ConfigNode]) -> Vec<String> {
        to_vtysh_lines(nodes)
    }

    #[test]
    fn removing_a_context_negates_it_and_keeps_interfaces() {
        let old = vec![
            ConfigNode::context(
                "interface eth0",
                vec![ConfigNode::leaf("ip address 10.0.0.1/24")],
            ),
            ConfigNode::context(
                "router ospf",
                vec![ConfigNode::leaf("network 10.0.0.0/24 area 0")],
            ),
        ];
        let got = lines(&config_diff(&old, &[]));
        assert_eq!(
            got,
            [
                "no router ospf",
                "interface eth0",
                " no ip address 10.0.0.1/24",
                "exit"
            ]
        );
    }

    #[test]
    fn changed_remote_as_recreates_the_neighbor() {
        let bgp = |asn: u32| {
            vec![ConfigNode::context(
                "router bgp 65000",
                vec![
                    ConfigNode::leaf(format!("neighbor 1.1.1.1 remote-as {asn}"))
                        .about_neighbor("1.1.1.1", true),
                    ConfigNode::leaf("neighbor 1.1.1.1 update-source lo")
                        .about_neighbor("1.1.1.1", false),
                    ConfigNode::context(
                        "address-family ipv4 vpn",
                        vec![ConfigNode::leaf("neighbor 1.1.1.1 activate")
                            .about_neighbor("1.1.1.1", false)],
                    ),
                ],
            )]
        };
        let got = lines(&config_diff(&bgp(65000), &bgp(65001)));
        assert_eq!(
            got,
            [
                "router bgp 65000",
                " no neighbor 1.1.1.1 remote-as 65000",
                " neighbor 1.1.1.1 remote-as 65001",
                " neighbor 1.1.1.1 update-source lo",
                " address-family ipv4 vpn",
                "  neighbor 1.1.1.1 activate",
                " exit-address-family",
                "exit",
            ]
        );
    }

    /// LDP's IPv6 family exists only while configured: turning it off removes it whole,
    /// where IPv4's (always there) would only lose its lines.
    #[test]
    fn ldp_for_ipv6_is_removed_as_a_family() {
        let mut old = RouterIntent::new("PR");
        old.ldp = Some(crate::intent::Ldp {
            transport_address: Some("9.9.9.9".parse().unwrap()),
            transport_address6: Some("2001:db8:ff::9".parse().unwrap()),
            interfaces: ["eth0".to_string()].into(),
            ..Default::default()
        });
        let mut new = old.clone();
        new.ldp.as_mut().unwrap().transport_address6 = None;
        let change = router_change(&old, &new);
        assert_eq!(
            change.vtysh,
            [
                "mpls ldp",
                " no address-family ipv6",
                " no dual-stack transport-connection prefer ipv4",
                "exit",
            ]
        );
    }

    /// bgpd prints no empty address family, so the intent writes none: an IPv6 family with
    /// no neighbor and nothing to redistribute yet stays out.
    #[test]
    fn an_empty_ipv6_family_is_not_written() {
        let mut r = RouterIntent::new("CE3");
        r.bgp = Some(crate::intent::Bgp {
            asn: 65003,
            ipv6: true,
            ..Default::default()
        });
        let lines = to_vtysh_lines(&router_config(&r));
        assert!(
            !lines.iter().any(|l| l.contains("ipv6 unicast")),
            "{lines:?}"
        );
        r.bgp.as_mut().unwrap().redistribute.insert("ospf".into());
        let lines = to_vtysh_lines(&router_config(&r));
        assert!(
            !lines.iter().any(|l| l.contains("ipv6 unicast")),
            "no OSPF in IPv6: {lines:?}"
        );
        r.bgp
            .as_mut()
            .unwrap()
            .redistribute
            .insert("connected".into());
        let lines = to_vtysh_lines(&router_config(&r));
        assert!(
            lines.contains(&" address-family ipv6 unicast".to_string()),
            "{lines:?}"
        );
    }
}
