//! The FRR daemons a router runs: one function decides them from the router's role and its
//! intent, and FRR's `daemons` file says them to FRR (and, in a saved lab, back to mplsrepl).

use std::collections::BTreeSet;

use serde::Serialize;

use super::FrrVersion;
use crate::intent::RouterIntent;
use crate::topology::Role;

/// FRR daemons beyond those every router runs (zebra, staticd and, from FRR 9, mgmtd).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Daemon {
    Bgpd,
    Ospfd,
    Ldpd,
    Isisd,
    Bfdd,
}

impl Daemon {
    pub const ALL: [Daemon; 5] = [
        Daemon::Bgpd,
        Daemon::Ospfd,
        Daemon::Ldpd,
        Daemon::Isisd,
        Daemon::Bfdd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Daemon::Bgpd => "bgpd",
            Daemon::Ospfd => "ospfd",
            Daemon::Ldpd => "ldpd",
            Daemon::Isisd => "isisd",
            Daemon::Bfdd => "bfdd",
        }
    }

    pub fn parse(name: &str) -> Option<Daemon> {
        Daemon::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

/// The daemons a router needs beyond the ones every router runs: its role's, as in the article
/// (a P router runs OSPF and LDP, a PE adds BGP, a route reflector BGP, OSPF and LDP), and whatever
/// its intent configures. `intent` is the router's final intent when it is known (from a dry
/// run of the script), so that FRR never has to be restarted mid-run.
pub fn needed(role: Role, intent: Option<&RouterIntent>) -> BTreeSet<Daemon> {
    let mut d: BTreeSet<Daemon> = match role {
        Role::P => [Daemon::Ospfd, Daemon::Ldpd].into(),
        Role::Pe => [Daemon::Bgpd, Daemon::Ospfd, Daemon::Ldpd].into(),
        // LDP too: a route reflector behind an LDP core needs a label for its loopback.
        Role::Rr => [Daemon::Bgpd, Daemon::Ospfd, Daemon::Ldpd].into(),
        Role::Ce => BTreeSet::new(),
    };
    if let Some(r) = intent {
        if !r.ospf.is_empty() {
            d.insert(Daemon::Ospfd);
        }
        if r.ldp.is_some() || !r.l2vpns.is_empty() {
            d.insert(Daemon::Ldpd);
        }
        if r.isis.is_some() {
            d.insert(Daemon::Isisd);
        }
        if r.bfd.is_some() {
            d.insert(Daemon::Bfdd);
        }
        if r.bgp.is_some() || r.vrfs.values().any(|v| v.bgp.is_some()) {
            d.insert(Daemon::Bgpd);
        }
    }
    d
}

/// About how much memory a router takes, in MiB, by the daemons it starts (`start_order`):
/// the resident sizes measured per container in bench/README.md (FRR 10.3 and 8.4.4: a CE
/// 27 and 15 MiB, a P 56 and 40, a PE 72 and 57), split by daemon; a daemon not measured there
/// counts as an OSPF one. An upper bound (shared pages are counted in each process), for a
/// hint before a lab is made, not a limit.
pub fn memory_estimate_mib(started: &[&str]) -> u64 {
    // zebra, staticd and the container's PID 1 together.
    const BASE: u64 = 15;
    BASE + started
        .iter()
        .map(|d| match *d {
            "zebra" | "staticd" => 0,
            "mgmtd" | "ospfd" => 12,
            "ldpd" => 15,
            "bgpd" => 16,
            _ => 12,
        })
        .sum::<u64>()
}

/// Every daemon a router runs, in the order they start: mgmtd first where it exists (zebra and
/// staticd take their configuration from it), then zebra (the others connect to it), staticd,
/// and the rest.
pub fn start_order(version: FrrVersion, extra: &BTreeSet<Daemon>) -> Vec<&'static str> {
    let mut order = Vec::new();
    if version.has_mgmtd() {
        order.push("mgmtd");
    }
    order.extend(["zebra", "staticd"]);
    order.extend(extra.iter().map(|d| d.as_str()));
    order
}

/// Where FRR's start scripts read which daemons to run.
pub const DAEMONS_FILE: &str = "/etc/frr/daemons";

/// Options every daemon starts with: the vty on loopback only; zebra with a netlink buffer
/// large enough for a lab's routes at once.
pub fn options(daemon: &str) -> &'static str {
    match daemon {
        "zebra" => "-A 127.0.0.1 -s 90000000",
        _ => "-A 127.0.0.1",
    }
}

/// FRR's `/etc/frr/daemons`: read by FRR's own start scripts (frrinit.sh, the official
/// images' docker-start) and kept in a saved lab, so a lab started by hand from it runs the
/// same daemons.
pub fn daemons_file(version: FrrVersion, extra: &BTreeSet<Daemon>) -> String {
    let mut s = String::new();
    if version.has_mgmtd() {
        s.push_str("mgmtd=yes\n");
    }
    s.push_str("zebra=yes\nstaticd=yes\n");
    for d in Daemon::ALL {
        let on = if extra.contains(&d) { "yes" } else { "no" };
        s.push_str(&format!("{}={on}\n", d.as_str()));
    }
    s.push_str("vtysh_enable=yes\n");
    for d in start_order(version, &Daemon::ALL.into()) {
        s.push_str(&format!("{d}_options=\"{}\"\n", options(d)));
    }
    s
}

/// The daemons (beyond the ones every router runs) a `daemons` file turns on.
pub fn parse_daemons_file(text: &str) -> BTreeSet<Daemon> {
    text.lines()
        .filter_map(|l| l.trim().split_once('='))
        .filter(|(_, v)| v.trim().trim_matches('"') == "yes")
        .filter_map(|(k, _)| Daemon::parse(k.trim()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_intent_decide_the_daemons() {
        assert_eq!(needed(Role::Ce, None), BTreeSet::new());
        assert_eq!(needed(Role::P, None), [Daemon::Ospfd, Daemon::Ldpd].into());
        let mut ce = RouterIntent::new("CE1");
        ce.bgp = Some(Default::default());
        assert_eq!(needed(Role::Ce, Some(&ce)), [Daemon::Bgpd].into());
    }

    #[test]
    fn mgmtd_starts_first_from_frr_9() {
        let extra = [Daemon::Bgpd].into();
        assert_eq!(
            start_order(FrrVersion::new(10, 3), &extra),
            ["mgmtd", "zebra", "staticd", "bgpd"]
        );
        assert_eq!(
            start_order(FrrVersion::new(8, 4), &extra),
            ["zebra", "staticd", "bgpd"]
        );
    }

    #[test]
    fn the_daemons_file_reads_back_as_written() {
        for v in [FrrVersion::new(8, 4), FrrVersion::new(10, 3)] {
            let extra: BTreeSet<Daemon> = [Daemon::Ospfd, Daemon::Ldpd].into();
            let file = daemons_file(v, &extra);
            assert_eq!(parse_daemons_file(&file), extra, "{file}");
            assert_eq!(file.contains("mgmtd=yes"), v.has_mgmtd());
            assert!(file.contains("zebra_options=\"-A 127.0.0.1 -s 90000000\""));
        }
    }
}
