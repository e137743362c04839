//! Reading a router's configuration back after a change: every line the intent now says must
//! be in FRR's `show running-config`, and every line it no longer says must be gone, so that a
//! line FRR dropped without a word (a daemon it could not reach, a command it took for another)
//! fails the step that sent it.
//!
//! FRR does not print everything where it was written, nor everything: the comparison is made
//! on FRR's canonical form of each line ([`placement`]), the table of known differences.

use std::collections::BTreeSet;

use super::FrrVersion;
use crate::frr::config_tree::ConfigNode;

/// What the apply script runs to read the configuration back.
pub const COMMAND: &str = "show running-config";

/// One configuration line with the contexts it is in, outermost first.
type Placed = (Vec<String>, String);

/// The router's configuration before and after a change, as the intent renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub before: Vec<ConfigNode>,
    pub after: Vec<ConfigNode>,
    /// Lines passed to FRR as the script wrote them (`.frr(...)`): FRR may print them in a
    /// form of its own, so they are not compared.
    pub raw: Vec<String>,
}

/// Lines the running configuration lacks, and lines it still has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{router}: FRR's running configuration does not match what was sent:{}{}",
    listed("missing", missing),
    listed("still there", lingering)
)]
pub struct Mismatch {
    pub router: String,
    pub missing: Vec<String>,
    pub lingering: Vec<String>,
}

fn listed(what: &str, lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut s = format!("\n  {what}:");
    for l in lines {
        s.push_str(&format!("\n    {l}"));
    }
    s
}

/// Compare FRR's running configuration with what the intent says.
pub fn check(
    router: &str,
    expected: &Expected,
    running: &str,
    version: FrrVersion,
) -> Result<(), Mismatch> {
    let have = parse_running(running);
    let raw: BTreeSet<&str> = expected.raw.iter().map(|s| s.trim()).collect();
    let flat = |nodes: &[ConfigNode]| -> BTreeSet<Placed> {
        let mut out = BTreeSet::new();
        flatten(nodes, &mut Vec::new(), &mut out);
        out.into_iter()
            .filter(|(path, line)| !(path.is_empty() && raw.contains(line.as_str())))
            .filter_map(|(path, line)| placement(path, line, version))
            .collect()
    };
    let after = flat(&expected.after);
    let before = flat(&expected.before);
    let missing: Vec<String> = after.difference(&have).map(show).collect();
    let lingering: Vec<String> = before
        .difference(&after)
        .filter(|p| have.contains(*p))
        .map(show)
        .collect();
    if missing.is_empty() && lingering.is_empty() {
        return Ok(());
    }
    Err(Mismatch {
        router: router.to_string(),
        missing,
        lingering,
    })
}

fn show((path, line): &Placed) -> String {
    let mut s = String::new();
    for p in path {
        s.push_str(p);
        s.push_str(" > ");
    }
    s.push_str(line);
    s
}

/// Every line of a tree with its contexts: the contexts themselves too, as lines.
fn flatten(nodes: &[ConfigNode], path: &mut Vec<String>, out: &mut BTreeSet<Placed>) {
    for n in nodes {
        out.insert((path.clone(), n.line.trim().to_string()));
        if n.is_context() {
            path.push(n.line.trim().to_string());
            flatten(&n.children, path, out);
            path.pop();
        }
    }
}

/// Where and how FRR prints a line of the intent, or `None` when it does not print it at all:
/// the known differences between what is sent and what `show running-config` shows.
fn placement(path: Vec<String>, line: String, _version: FrrVersion) -> Option<Placed> {
    let last = path.last().map(String::as_str);
    // Traditional defaults activate every neighbor for IPv4 unicast: FRR prints only the
    // opposite, and an address family with nothing else in it not at all.
    if last == Some("address-family ipv4 unicast") && line.ends_with(" activate") {
        return None;
    }
    if line == "address-family ipv4 unicast" {
        return None;
    }
    // ospfd prints `segment-routing on` only once SR is up (the label manager has given it
    // the SRGB), which comes after the reply: the SR checks see whether it came up.
    if last == Some("router ospf") && line == "segment-routing on" {
        return None;
    }
    // `ip route P G vrf V` (`ipv6 route ...`) at the top is printed inside a `vrf V` block.
    if path.is_empty() {
        for ip in ["ip", "ipv6"] {
            let Some(rest) = line
                .strip_prefix(ip)
                .and_then(|r| r.strip_prefix(" route "))
            else {
                continue;
            };
            if let Some((route, vrf)) = rest.rsplit_once(" vrf ") {
                return Some((vec![format!("vrf {vrf}")], format!("{ip} route {route}")));
            }
        }
    }
    Some((path, line))
}

/// `show running-config` as placed lines: contexts from the indentation, without the lines
/// that only frame the text (`!`, `end`, the `exit` family).
fn parse_running(text: &str) -> BTreeSet<Placed> {
    let mut out = BTreeSet::new();
    // (indentation, line) of each open context.
    let mut stack: Vec<(usize, String)> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, raw) in lines.iter().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed == "!" || trimmed == "end" || is_exit(trimmed) {
            if is_exit(trimmed) {
                let indent = indentation(raw);
                while stack.last().is_some_and(|(d, _)| *d >= indent) {
                    stack.pop();
                }
            }
            continue;
        }
        let indent = indentation(raw);
        while stack.last().is_some_and(|(d, _)| *d >= indent) {
            stack.pop();
        }
        let line = canonical_running(trimmed, stack.is_empty());
        let path: Vec<String> = stack.iter().map(|(_, l)| l.clone()).collect();
        let opens = lines
            .iter()
            .skip(i + 1)
            .find(|l| !l.trim().is_empty() && l.trim() != "!")
            .is_some_and(|next| indentation(next) > indent);
        // FRR 8.4 keeps printing an interface it was ever told of, empty once its last line
        // is removed: an empty interface is no configuration.
        if path.is_empty() && !opens && line.starts_with("interface ") {
            continue;
        }
        out.insert((path, line.clone()));
        if opens {
            stack.push((indent, line));
        }
    }
    out
}

fn is_exit(line: &str) -> bool {
    matches!(
        line,
        "exit" | "exit-vrf" | "exit-address-family" | "exit-vnc"
    )
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// A running-config line in the form the intent writes it: FRR 8 prints an interface in a VRF
/// as `interface eth1 vrf CUSTA`.
fn canonical_running(line: &str, top: bool) -> String {
    if top {
        if let Some(rest) = line.strip_prefix("interface ") {
            if let Some((name, _vrf)) = rest.split_once(" vrf ") {
                return format!("interface {name}");
            }
        }
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bgp(neighbors: &[&str]) -> Vec<ConfigNode> {
        let mut children: Vec<ConfigNode> = neighbors
            .iter()
            .map(|n| ConfigNode::leaf(format!("neighbor {n} remote-as 65000")))
            .collect();
        children.push(ConfigNode::context(
            "address-family ipv4 unicast",
            neighbors
                .iter()
                .map(|n| ConfigNode::leaf(format!("neighbor {n} activate")))
                .collect(),
        ));
        vec![
            ConfigNode::context(
                "interface eth0",
                vec![ConfigNode::leaf("ip address 10.0.0.1/24")],
            ),
            ConfigNode::context("router bgp 65000", children),
            ConfigNode::leaf("ip route 192.168.1.0/24 172.16.1.2 vrf CUSTA"),
            ConfigNode::leaf("ipv6 route 2001:db8:c1::/64 2001:db8:16:1::2 vrf CUSTA"),
        ]
    }

    const RUNNING: &str = "Building configuration...\n\nCurrent configuration:\n!\nfrr version 10.3\n\
        frr defaults traditional\nhostname PE1\n!\nvrf CUSTA\n ip route 192.168.1.0/24 172.16.1.2\n ipv6 route 2001:db8:c1::/64 2001:db8:16:1::2\nexit-vrf\n!\n\
        interface eth0 vrf CUSTB\n ip address 10.0.0.1/24\nexit\n!\nrouter bgp 65000\n neighbor 2.2.2.2 remote-as 65000\nexit\n!\nend\n";

    #[test]
    fn frrs_canonical_form_matches_what_was_sent() {
        let e = Expected {
            before: vec![],
            after: bgp(&["2.2.2.2"]),
            raw: vec![],
        };
        assert_eq!(check("PE1", &e, RUNNING, FrrVersion::DEFAULT), Ok(()));
    }

    #[test]
    fn a_line_frr_dropped_and_a_removed_line_still_there_are_named() {
        let e = Expected {
            before: bgp(&["2.2.2.2"]),
            after: vec![
                ConfigNode::context(
                    "interface eth0",
                    vec![ConfigNode::leaf("ip address 10.0.0.1/24")],
                ),
                ConfigNode::context(
                    "router bgp 65000",
                    vec![ConfigNode::leaf("bgp router-id 1.1.1.1")],
                ),
                ConfigNode::leaf("ip route 192.168.1.0/24 172.16.1.2 vrf CUSTA"),
                ConfigNode::leaf("ipv6 route 2001:db8:c1::/64 2001:db8:16:1::2 vrf CUSTA"),
            ],
            raw: vec![],
        };
        let m = check("PE1", &e, RUNNING, FrrVersion::DEFAULT).unwrap_err();
        assert_eq!(m.missing, ["router bgp 65000 > bgp router-id 1.1.1.1"]);
        assert_eq!(
            m.lingering,
            ["router bgp 65000 > neighbor 2.2.2.2 remote-as 65000"]
        );
        let text = m.to_string();
        assert!(
            text.starts_with("PE1: FRR's running configuration does not match"),
            "{text}"
        );
        assert!(
            text.contains("missing:\n    router bgp 65000 > bgp router-id 1.1.1.1"),
            "{text}"
        );
    }

    #[test]
    fn lines_written_as_raw_frr_are_not_compared() {
        let e = Expected {
            before: vec![],
            after: vec![ConfigNode::leaf("ip ro 10.0.0.0/8 Null0")],
            raw: vec!["ip ro 10.0.0.0/8 Null0".into()],
        };
        assert_eq!(check("PE1", &e, RUNNING, FrrVersion::DEFAULT), Ok(()));
    }

    #[test]
    fn an_interface_left_empty_is_no_configuration() {
        // FRR 8.4 after `no ip router isis CORE` etc.: the interfaces stay, empty.
        let running = "frr version 8.4.4\n!\ninterface lo\nexit\n!\ninterface eth0\nexit\n!\nend\n";
        let iface = |name: &str| {
            ConfigNode::context(
                format!("interface {name}"),
                vec![ConfigNode::leaf("ip router isis CORE")],
            )
        };
        let e = Expected {
            before: vec![iface("lo"), iface("eth0")],
            after: vec![],
            raw: vec![],
        };
        assert_eq!(check("PR", &e, running, FrrVersion::DEFAULT), Ok(()));
        // An interface with lines left is still there.
        let running = "interface eth0\n ip router isis CORE\nexit\n";
        let m = check("PR", &e, running, FrrVersion::DEFAULT).unwrap_err();
        assert_eq!(
            m.lingering,
            ["interface eth0", "interface eth0 > ip router isis CORE"]
        );
    }
}
