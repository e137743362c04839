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

/// The largest PW id (`pw-id (1-4294967295)` in ldpd's grammar).
pub const MAX_PW_ID: u32 = u32::MAX;

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
    let taken: BTreeSet<&str> = l2vpns
        .values()
        .flat_map(|l| l.pseudowires.keys())
        .map(String::as_str)
        .collect();
    (0..)
        .map(|n| format!("{PW_INTERFACE_PREFIX}{n}"))
        .find(|name| !taken.contains(name.as_str()))
        .expect("some mpwN is free")
}

/// The lowest `vplsN` no instance of the router has as its bridge.
pub fn free_bridge(l2vpns: &BTreeMap<String, L2vpn>) -> String {
    let taken: BTreeSet<&str> = l2vpns
        .values()
        .filter_map(|l| l.bridge.as_deref())
        .collect();
    (0..)
        .map(|n| format!("vpls{n}"))
        .find(|name| !taken.contains(name.as_str()))
        .expect("some vplsN is free")
}

/// The other end of pseudowire `mpwN`'s veth pair, where the data plane's filters sit.
pub fn tc_end(pw: &str) -> String {
    format!("{pw}x")
}

/// The static half of a router's pseudowire data plane, which the intent decides: each
/// pseudowire a veth pair `mpwN` <-> `mpwNx` (zebra sees `mpwN`, which it needs to call the
/// pseudowire up); a VPWS's circuit and pseudowire joined by a redirect each way; a VPLS's in
/// a bridge, its pseudowires isolated from each other (split horizon). The labels' half is the
/// pseudowire agent's (frr/pseudowire_agent.sh), which follows FRR.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Piece {
    Veth(String),
    Bridge(String),
    Port {
        bridge: String,
        dev: String,
        isolated: bool,
    },
    Redirect {
        from: String,
        to: String,
    },
}

fn pieces(l2vpns: &BTreeMap<String, L2vpn>) -> BTreeSet<Piece> {
    let mut out = BTreeSet::new();
    for l in l2vpns.values() {
        for pw in l.pseudowires.keys() {
            out.insert(Piece::Veth(pw.clone()));
        }
        match (l.kind, &l.bridge) {
            (L2vpnKind::Vpls, Some(bridge)) => {
                out.insert(Piece::Bridge(bridge.clone()));
                for (dev, isolated) in l
                    .members
                    .iter()
                    .map(|m| (m, false))
                    .chain(l.pseudowires.keys().map(|p| (p, true)))
                {
                    out.insert(Piece::Port {
                        bridge: bridge.clone(),
                        dev: dev.clone(),
                        isolated,
                    });
                }
            }
            _ => {
                if let (Some(ac), Some(pw)) = (l.members.iter().next(), l.pseudowires.keys().next())
                {
                    out.insert(Piece::Redirect {
                        from: ac.clone(),
                        to: pw.clone(),
                    });
                    out.insert(Piece::Redirect {
                        from: pw.clone(),
                        to: ac.clone(),
                    });
                }
            }
        }
    }
    out
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Kernel commands from `old`'s pseudowire wiring to `new`'s: what to make before FRR's
/// change (so that zebra finds `mpwN`), and what to take down after it.
pub fn wiring_changes(
    old: &BTreeMap<String, L2vpn>,
    new: &BTreeMap<String, L2vpn>,
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let (was, will) = (pieces(old), pieces(new));
    let mut before = Vec::new();
    let has_pws =
        |l2vpns: &BTreeMap<String, L2vpn>| l2vpns.values().any(|l| !l.pseudowires.is_empty());
    if has_pws(new) && !has_pws(old) {
        before.push(argv(&[AGENT, "start"]));
    }
    // Made in order: pairs and bridges, then what joins them.
    for piece in will.difference(&was) {
        match piece {
            Piece::Veth(pw) => {
                let x = tc_end(pw);
                before.push(argv(&[
                    "ip", "link", "add", pw, "type", "veth", "peer", "name", &x,
                ]));
                before.push(argv(&["ip", "link", "set", pw, "up"]));
                before.push(argv(&["ip", "link", "set", &x, "up"]));
            }
            Piece::Bridge(b) => {
                before.push(argv(&["ip", "link", "add", b, "type", "bridge"]));
                before.push(argv(&["ip", "link", "set", b, "up"]));
            }
            _ => {}
        }
    }
    for piece in will.difference(&was) {
        match piece {
            Piece::Port {
                bridge,
                dev,
                isolated,
            } => {
                before.push(argv(&["ip", "link", "set", dev, "master", bridge]));
                if *isolated {
                    before.push(argv(&[
                        "bridge", "link", "set", "dev", dev, "isolated", "on",
                    ]));
                }
            }
            Piece::Redirect { from, to } => {
                before.push(argv(&["tc", "qdisc", "replace", "dev", from, "clsact"]));
                before.push(argv(&[
                    "tc", "filter", "replace", "dev", from, "ingress", "pref", "1", "handle", "1",
                    "matchall", "action", "mirred", "egress", "redirect", "dev", to,
                ]));
            }
            _ => {}
        }
    }
    let mut after = Vec::new();
    let gone: Vec<&Piece> = was.difference(&will).collect();
    let deleted = |dev: &str| gone.contains(&&Piece::Veth(dev.to_string()));
    // Taken apart in the reverse order; what goes with a deleted pair needs no command.
    for piece in &gone {
        match piece {
            Piece::Redirect { from, .. } if !deleted(from) => {
                after.push(argv(&[
                    "tc", "filter", "del", "dev", from, "ingress", "pref", "1",
                ]));
            }
            Piece::Port { dev, .. } if !deleted(dev) => {
                after.push(argv(&["ip", "link", "set", dev, "nomaster"]));
            }
            _ => {}
        }
    }
    for piece in &gone {
        match piece {
            Piece::Bridge(b) => after.push(argv(&["ip", "link", "del", b])),
            Piece::Veth(pw) => after.push(argv(&["ip", "link", "del", pw])),
            _ => {}
        }
    }
    (before, after)
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

    fn commands(list: &[Vec<String>]) -> Vec<String> {
        list.iter().map(|c| c.join(" ")).collect()
    }

    #[test]
    fn a_vpws_is_a_veth_pair_and_a_redirect_each_way_and_goes_whole() {
        let mut l = L2vpn::default();
        l.members.insert("eth2".into());
        l.pseudowires.insert(
            "mpw0".into(),
            Pseudowire {
                peer: "2.2.2.2".parse().unwrap(),
                pw_id: 100,
            },
        );
        let new: BTreeMap<String, L2vpn> = [("CUSTA".to_string(), l)].into();
        let (before, after) = wiring_changes(&BTreeMap::new(), &new);
        assert_eq!(
            commands(&before),
            [
                "/usr/local/sbin/mplsrepl-pw start",
                "ip link add mpw0 type veth peer name mpw0x",
                "ip link set mpw0 up",
                "ip link set mpw0x up",
                "tc qdisc replace dev eth2 clsact",
                "tc filter replace dev eth2 ingress pref 1 handle 1 matchall action mirred egress redirect dev mpw0",
                "tc qdisc replace dev mpw0 clsact",
                "tc filter replace dev mpw0 ingress pref 1 handle 1 matchall action mirred egress redirect dev eth2",
            ]
        );
        assert!(after.is_empty());
        let (before, after) = wiring_changes(&new, &BTreeMap::new());
        assert!(before.is_empty());
        assert_eq!(
            commands(&after),
            ["tc filter del dev eth2 ingress pref 1", "ip link del mpw0"]
        );
    }

    #[test]
    fn a_vpls_bridges_its_circuit_and_isolates_its_pseudowires() {
        let mut l = L2vpn {
            kind: L2vpnKind::Vpls,
            bridge: Some("vpls0".into()),
            ..Default::default()
        };
        l.members.insert("eth3".into());
        for (n, peer) in [("mpw0", "2.2.2.2"), ("mpw1", "3.3.3.3")] {
            l.pseudowires.insert(
                n.into(),
                Pseudowire {
                    peer: peer.parse().unwrap(),
                    pw_id: 200,
                },
            );
        }
        let new: BTreeMap<String, L2vpn> = [("CUSTB".to_string(), l.clone())].into();
        let (before, _) = wiring_changes(&BTreeMap::new(), &new);
        let before = commands(&before);
        for expected in [
            "ip link add vpls0 type bridge",
            "ip link set eth3 master vpls0",
            "ip link set mpw1 master vpls0",
            "bridge link set dev mpw1 isolated on",
        ] {
            assert!(before.contains(&expected.to_string()), "{before:?}");
        }
        assert!(!before.contains(&"bridge link set dev eth3 isolated on".to_string()));
        // One pseudowire less: its pair goes, the rest stays.
        let mut fewer = l;
        fewer.pseudowires.remove("mpw1");
        let fewer: BTreeMap<String, L2vpn> = [("CUSTB".to_string(), fewer)].into();
        let (before, after) = wiring_changes(&new, &fewer);
        assert!(before.is_empty());
        assert_eq!(commands(&after), ["ip link del mpw1"]);
    }
}
