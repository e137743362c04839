//! Kernel-side state of a router that FRR does not own: VRF devices, sysctls, link state,
//! impairment, and the static half of the pseudowires' data plane.

use std::collections::{BTreeMap, BTreeSet};

use super::impairment::Impairment;
use super::l2vpn::{tc_end, L2vpn, L2vpnKind, AGENT};
use super::router::RouterIntent;

/// Commands to run before vtysh (creations) and after it (deletions), as argv lists.
#[derive(Debug, Default)]
pub struct KernelChanges {
    pub before: Vec<Vec<String>>,
    pub after: Vec<Vec<String>>,
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

pub fn kernel_changes(old: &RouterIntent, new: &RouterIntent) -> KernelChanges {
    let mut ch = KernelChanges::default();
    for (key, value) in &new.sysctls {
        if old.sysctls.get(key) != Some(value) {
            ch.before
                .push(argv(&["sysctl", "-w", &format!("{key}={value}")]));
        }
    }
    // A removed sysctl goes back to the kernel default, which is 0 for every MPLS knob we set.
    for key in old.sysctls.keys().filter(|k| !new.sysctls.contains_key(*k)) {
        ch.after.push(argv(&["sysctl", "-w", &format!("{key}=0")]));
    }
    for (name, vrf) in &new.vrfs {
        let table = vrf.table.to_string();
        match old.vrfs.get(name) {
            Some(o) if o.table == vrf.table => {}
            Some(_) => {
                ch.before.push(argv(&["ip", "link", "del", name]));
                ch.before.push(argv(&[
                    "ip", "link", "add", name, "type", "vrf", "table", &table,
                ]));
                ch.before.push(argv(&["ip", "link", "set", name, "up"]));
            }
            None => {
                ch.before.push(argv(&[
                    "ip", "link", "add", name, "type", "vrf", "table", &table,
                ]));
                ch.before.push(argv(&["ip", "link", "set", name, "up"]));
            }
        }
        let recreated = old.vrfs.get(name).is_some_and(|o| o.table != vrf.table);
        for member in &vrf.members {
            let had = old
                .vrfs
                .get(name)
                .is_some_and(|o| o.members.contains(member));
            if !had || recreated {
                ch.before
                    .push(argv(&["ip", "link", "set", member, "master", name]));
            }
        }
        if let Some(o) = old.vrfs.get(name) {
            for member in o.members.difference(&vrf.members) {
                ch.after
                    .push(argv(&["ip", "link", "set", member, "nomaster"]));
            }
        }
    }
    for (name, o) in &old.vrfs {
        if !new.vrfs.contains_key(name) {
            for member in &o.members {
                ch.after
                    .push(argv(&["ip", "link", "set", member, "nomaster"]));
            }
            ch.after.push(argv(&["ip", "link", "del", name]));
        }
    }
    // Pseudowires: veth pairs, redirects and bridges (the labels are the agent's).
    let (before, after) = wiring_changes(&old.l2vpns, &new.l2vpns);
    ch.before.extend(before);
    ch.after.extend(after);
    for iface in new.down_interfaces.difference(&old.down_interfaces) {
        ch.before.push(argv(&["ip", "link", "set", iface, "down"]));
    }
    for iface in old.down_interfaces.difference(&new.down_interfaces) {
        ch.before.push(argv(&["ip", "link", "set", iface, "up"]));
    }
    for (iface, imp) in &new.impairments {
        if old.impairments.get(iface) != Some(imp) {
            ch.before.push(imp.tc_argv(iface));
        }
    }
    for iface in old.impairments.keys() {
        if !new.impairments.contains_key(iface) {
            ch.before.push(Impairment::clear_argv(iface));
        }
    }
    ch
}

/// The static half of a router's pseudowire data plane, which the intent decides: each
/// pseudowire a veth pair `mpwN` <-> `mpwNx` (zebra sees `mpwN`, which it needs to call the
/// pseudowire up); a VPWS's circuit and pseudowire joined by a redirect each way; a VPLS's in
/// a bridge, its pseudowires isolated from each other (split horizon). The labels' half is the
/// pseudowire agent's (frr/pseudowire_agent.sh), which follows FRR.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Piece {
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

/// The tc preference of a VPWS's redirects (the pseudowire agent's filters have 100 and up).
pub const REDIRECT_PREF: &str = "1";

/// Kernel commands from `old`'s pseudowire wiring to `new`'s: what to make before FRR's
/// change (so that zebra finds `mpwN`), and what to take down after it.
pub fn wiring_changes(
    old: &BTreeMap<String, L2vpn>,
    new: &BTreeMap<String, L2vpn>,
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    piece_changes(&pieces(old), &pieces(new))
}

/// Kernel commands from one wiring to another, given as their pieces (a saved lab reads them
/// from the kernel). The agent is started with a router's first pseudowire.
pub fn piece_changes(
    was: &BTreeSet<Piece>,
    will: &BTreeSet<Piece>,
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut before = Vec::new();
    let has_pws = |pieces: &BTreeSet<Piece>| pieces.iter().any(|p| matches!(p, Piece::Veth(_)));
    if has_pws(will) && !has_pws(was) {
        before.push(argv(&[AGENT, "start"]));
    }
    // Made in order: pairs and bridges, then what joins them.
    for piece in will.difference(was) {
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
    for piece in will.difference(was) {
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
                    "tc",
                    "filter",
                    "replace",
                    "dev",
                    from,
                    "ingress",
                    "pref",
                    REDIRECT_PREF,
                    "handle",
                    "1",
                    "matchall",
                    "action",
                    "mirred",
                    "egress",
                    "redirect",
                    "dev",
                    to,
                ]));
            }
            _ => {}
        }
    }
    let mut after = Vec::new();
    let gone: Vec<&Piece> = was.difference(will).collect();
    let deleted = |dev: &str| gone.contains(&&Piece::Veth(dev.to_string()));
    // Taken apart in the reverse order; what goes with a deleted pair needs no command.
    for piece in &gone {
        match piece {
            Piece::Redirect { from, .. } if !deleted(from) => {
                after.push(argv(&[
                    "tc",
                    "filter",
                    "del",
                    "dev",
                    from,
                    "ingress",
                    "pref",
                    REDIRECT_PREF,
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
    use crate::intent::l2vpn::Pseudowire;

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
