//! Layer-2 VPNs as FRR's ldpd signals them: an instance joins a PE's attachment circuits
//! (member interfaces) to pseudowires towards other PEs, each named by the peer's LSR-ID and a
//! PW id both ends agree on. ldpd knows one type, `vpls`; a VPWS is an instance with one
//! attachment circuit and one pseudowire.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use serde::Serialize;

/// The interface name ldpd gives each pseudowire: `member pseudowire mpwN` names a kernel
/// interface, which must exist for zebra to call the pseudowire up.
pub const PW_INTERFACE_PREFIX: &str = "mpw";

/// The pseudowire agent in a PE (frr/pseudowire_agent.sh, written there by FRR's start): the
/// labels' half of the data plane. `AGENT start` runs it unless it runs.
pub const AGENT: &str = "/usr/local/sbin/mplsrepl-pw";

/// What a layer-2 VPN instance is: the whole frame carried to one peer, or a bridge that
/// learns where each MAC address is and floods the rest to every peer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum L2vpnKind {
    /// Virtual private wire service: one attachment circuit, one pseudowire.
    #[default]
    Vpws,
    /// Virtual private LAN service: a bridge of attachment circuits and pseudowires.
    Vpls,
}

impl L2vpnKind {
    pub fn parse(text: &str) -> Option<L2vpnKind> {
        match text {
            "vpws" => Some(L2vpnKind::Vpws),
            "vpls" => Some(L2vpnKind::Vpls),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            L2vpnKind::Vpws => "vpws",
            L2vpnKind::Vpls => "vpls",
        }
    }
}

/// One L2VPN instance on a PE.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct L2vpn {
    pub kind: L2vpnKind,
    /// Attachment circuits: interfaces whose frames the instance carries.
    pub members: BTreeSet<String>,
    /// Pseudowires by their interface name (`mpw0`, ...).
    pub pseudowires: BTreeMap<String, Pseudowire>,
    /// A VPLS's Linux bridge (`vplsN`), named when the instance is made so that it keeps its
    /// name whatever other instances come and go.
    pub bridge: Option<String>,
}

/// A pseudowire to another PE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pseudowire {
    /// The peer's LSR-ID (its LDP router-id, its loopback), where the targeted LDP session goes.
    pub peer: Ipv4Addr,
    pub pw_id: u32,
}

impl L2vpn {
    /// The pseudowire to `peer` with `pw_id`, if the instance has it.
    pub fn pseudowire(&self, peer: Ipv4Addr, pw_id: u32) -> Option<&str> {
        self.pseudowires
            .iter()
            .find(|(_, pw)| pw.peer == peer && pw.pw_id == pw_id)
            .map(|(name, _)| name.as_str())
    }
}

/// The lowest `mpwN` no instance of the router uses yet.
pub fn free_pw_interface(l2vpns: &BTreeMap<String, L2vpn>) -> String {
    lowest_free(
        PW_INTERFACE_PREFIX,
        l2vpns
            .values()
            .flat_map(|l| l.pseudowires.keys())
            .map(String::as_str)
            .collect(),
    )
}

/// The lowest `vplsN` no instance of the router has as its bridge.
pub fn free_bridge(l2vpns: &BTreeMap<String, L2vpn>) -> String {
    lowest_free(
        "vpls",
        l2vpns
            .values()
            .filter_map(|l| l.bridge.as_deref())
            .collect(),
    )
}

/// `PREFIXN` with the lowest N not taken.
fn lowest_free(prefix: &str, taken: BTreeSet<&str>) -> String {
    (0..)
        .map(|n| format!("{prefix}{n}"))
        .find(|name| !taken.contains(name.as_str()))
        .expect("some number is free")
}

/// The other end of pseudowire `mpwN`'s veth pair, where the data plane's filters sit.
pub fn tc_end(pw: &str) -> String {
    format!("{pw}x")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudowire_interfaces_take_the_lowest_free_number_across_instances() {
        let mut l2vpns = BTreeMap::new();
        assert_eq!(free_pw_interface(&l2vpns), "mpw0");
        let pw = Pseudowire {
            peer: "2.2.2.2".parse().unwrap(),
            pw_id: 100,
        };
        let mut a = L2vpn::default();
        a.pseudowires.insert("mpw0".into(), pw);
        a.pseudowires.insert("mpw2".into(), pw);
        l2vpns.insert("A".to_string(), a);
        assert_eq!(free_pw_interface(&l2vpns), "mpw1");
        assert_eq!(
            l2vpns["A"].pseudowire("2.2.2.2".parse().unwrap(), 100),
            Some("mpw0")
        );
    }
}
