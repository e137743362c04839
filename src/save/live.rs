//! Saving a running lab as it is, rather than as a script meant it: FRR's own
//! `show running-config`, and the kernel state read back from each container.
//!
//! The kernel side covers what the intent model puts there: MPLS sysctls (non-zero
//! `platform_labels` and `conf.<if>.input`), VRF devices with their tables and members, and
//! interfaces that are administratively down, and the static half of the pseudowires' data
//! plane (veth pairs, bridges, redirects; the agent re-learns the labels' half from FRR).
//! Other sysctls a script may have set are not read back.

use std::collections::BTreeSet;

use anyhow::{bail, Context};
use serde::Deserialize;

use super::{kernel_script, RouterFiles};
use crate::intent::kernel::{Piece, REDIRECT_PREF};
use crate::runtime::Backend;
use crate::topology::Router;

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Read one router's configuration from the running lab.
pub fn capture(
    backend: &mut dyn Backend,
    lab: &str,
    router: &Router,
) -> anyhow::Result<RouterFiles> {
    let mut run = |words: &[&str]| -> anyhow::Result<String> {
        let out = backend
            .exec(lab, &router.name, &argv(words))
            .with_context(|| format!("{}: running `{}`", router.name, words.join(" ")))?;
        if !out.success() {
            bail!(
                "{}: `{}` failed ({}): {}",
                router.name,
                words.join(" "),
                out.exit_code,
                out.stderr.trim()
            );
        }
        Ok(out.stdout)
    };
    let running = run(&["vtysh", "-c", "show running-config"])?;
    let daemons = run(&["cat", crate::frr::daemons::DAEMONS_FILE])?;
    let links = run(&["ip", "-j", "-d", "link", "show"])?;
    // `grep . FILES` prints `path:value` for each file, in busybox and GNU alike; a missing
    // MPLS module leaves the glob unexpanded, hence `|| true`.
    let mpls = run(&[
        "sh",
        "-c",
        "grep . /proc/sys/net/mpls/platform_labels /proc/sys/net/mpls/conf/*/input 2>/dev/null || true",
    ])?;
    let links = parse_links(&links)?;
    let mut commands = mpls_sysctls(&mpls);
    commands.extend(link_commands(&links, router));
    // A VPWS's redirects are tc filters: read on the interfaces that can have one.
    let mut devices: Vec<String> = router.interfaces.iter().map(|i| i.name.clone()).collect();
    devices.extend(pseudowire_veths(&links));
    let mut script = String::new();
    for d in &devices {
        let d = crate::shell_word::shell_word(d);
        script.push_str(&format!(
            "echo '== '{d}; tc -j filter show dev {d} ingress pref {REDIRECT_PREF} 2>/dev/null; echo; "
        ));
    }
    let filters = run(&["sh", "-c", &script])?;
    let pieces = wiring_pieces(&links, &filters)?;
    commands.extend(crate::intent::kernel::piece_changes(&Default::default(), &pieces).0);
    Ok(RouterFiles {
        router: router.name.clone(),
        frr_conf: crate::frr::saved::running_config(&running),
        kernel_sh: kernel_script(&router.name, &commands),
        daemons,
    })
}

/// `sysctl -w` lines for the MPLS knobs that are on.
pub fn mpls_sysctls(grep_output: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in grep_output.lines() {
        let Some((path, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value == "0" || value.is_empty() {
            continue;
        }
        let Some(key) = path.strip_prefix("/proc/sys/") else {
            continue;
        };
        let key = key.replace('/', ".");
        out.push(argv(&["sysctl", "-w", &format!("{key}={value}")]));
    }
    out
}

#[derive(Deserialize)]
struct Link {
    ifname: String,
    #[serde(default)]
    master: Option<String>,
    #[serde(default)]
    flags: Vec<String>,
    #[serde(default)]
    linkinfo: Option<LinkInfo>,
}

#[derive(Deserialize)]
struct LinkInfo {
    #[serde(default)]
    info_kind: Option<String>,
    #[serde(default)]
    info_data: Option<serde_json::Value>,
    #[serde(default)]
    info_slave_kind: Option<String>,
    #[serde(default)]
    info_slave_data: Option<serde_json::Value>,
}

/// The output of `ip -j -d link show`.
fn parse_links(json: &str) -> anyhow::Result<Vec<Link>> {
    serde_json::from_str(json).context("cannot read the output of `ip -j -d link show`")
}

/// The `mpwN` ends of the pseudowires' veth pairs.
fn pseudowire_veths(links: &[Link]) -> Vec<String> {
    links
        .iter()
        .filter(|l| {
            let kind = l.linkinfo.as_ref().and_then(|i| i.info_kind.as_deref());
            kind == Some("veth")
                && l.ifname
                    .strip_prefix(crate::intent::l2vpn::PW_INTERFACE_PREFIX)
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|l| l.ifname.clone())
        .collect()
}

/// The pseudowires' wiring as the kernel has it: veth pairs, bridges and their ports (the
/// isolated ones too), and the redirects of each interface in `filters` (blocks of `== DEV`
/// followed by `tc -j filter show dev DEV ingress pref 1`).
fn wiring_pieces(links: &[Link], filters: &str) -> anyhow::Result<BTreeSet<Piece>> {
    let mut out = BTreeSet::new();
    for pw in pseudowire_veths(links) {
        out.insert(Piece::Veth(pw));
    }
    let bridges: Vec<&str> = links
        .iter()
        .filter(|l| l.linkinfo.as_ref().and_then(|i| i.info_kind.as_deref()) == Some("bridge"))
        .map(|l| l.ifname.as_str())
        .collect();
    for b in &bridges {
        out.insert(Piece::Bridge(b.to_string()));
    }
    for l in links {
        let Some(master) = l.master.as_deref().filter(|m| bridges.contains(m)) else {
            continue;
        };
        let isolated = l
            .linkinfo
            .as_ref()
            .filter(|i| i.info_slave_kind.as_deref() == Some("bridge"))
            .and_then(|i| i.info_slave_data.as_ref()?.get("isolated")?.as_bool())
            .unwrap_or(false);
        out.insert(Piece::Port {
            bridge: master.to_string(),
            dev: l.ifname.clone(),
            isolated,
        });
    }
    for block in filters.split("== ").filter(|b| !b.trim().is_empty()) {
        let (dev, json) = block.split_once('\n').unwrap_or((block, ""));
        let json = json.trim();
        if json.is_empty() {
            continue;
        }
        let list: Vec<serde_json::Value> = serde_json::from_str(json)
            .with_context(|| format!("cannot read the tc filters of {}", dev.trim()))?;
        for to in list
            .iter()
            .filter_map(|f| f.get("options")?.get("actions")?.as_array())
            .flatten()
            .filter(|a| a.get("kind").and_then(|k| k.as_str()) == Some("mirred"))
            .filter_map(|a| a.get("to_dev")?.as_str())
        {
            out.insert(Piece::Redirect {
                from: dev.trim().to_string(),
                to: to.to_string(),
            });
        }
    }
    Ok(out)
}

/// From `ip -j -d link show`: VRF devices (created and up), their members, and the lab
/// interfaces that are down.
fn link_commands(links: &[Link], router: &Router) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let vrfs: Vec<(&str, u64)> = links
        .iter()
        .filter_map(|l| {
            let info = l.linkinfo.as_ref()?;
            if info.info_kind.as_deref() != Some("vrf") {
                return None;
            }
            let table = info.info_data.as_ref()?.get("table")?.as_u64()?;
            Some((l.ifname.as_str(), table))
        })
        .collect();
    for (name, table) in &vrfs {
        let table = table.to_string();
        out.push(argv(&[
            "ip", "link", "add", name, "type", "vrf", "table", &table,
        ]));
        out.push(argv(&["ip", "link", "set", name, "up"]));
    }
    for l in links {
        if let Some(master) = &l.master {
            if vrfs.iter().any(|(v, _)| v == master) {
                out.push(argv(&["ip", "link", "set", &l.ifname, "master", master]));
            }
        }
    }
    for l in links {
        let is_lab = router.interfaces.iter().any(|i| i.name == l.ifname);
        if is_lab && !l.flags.iter().any(|f| f == "UP") {
            out.push(argv(&["ip", "link", "set", &l.ifname, "down"]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pe1() -> Router {
        let path = format!("{}/scripts/mpls_vpn.topo", env!("CARGO_MANIFEST_DIR"));
        let lab = crate::topology::load_file(std::path::Path::new(&path)).unwrap();
        lab.router("PE1").unwrap().clone()
    }

    #[test]
    fn kernel_state_is_read_back_as_commands() {
        let json = r#"[
          {"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"]},
          {"ifindex":5,"ifname":"CUSTA","flags":["NOARP","MASTER","UP","LOWER_UP"],
           "linkinfo":{"info_kind":"vrf","info_data":{"table":10}}},
          {"ifindex":7,"ifname":"eth1","flags":["BROADCAST","UP"],"master":"CUSTA",
           "linkinfo":{"info_kind":"veth","info_slave_kind":"vrf"}},
          {"ifindex":8,"ifname":"eth2","flags":["BROADCAST"]}
        ]"#;
        let cmds: Vec<String> = link_commands(&parse_links(json).unwrap(), &pe1())
            .iter()
            .map(|c| c.join(" "))
            .collect();
        assert_eq!(
            cmds,
            [
                "ip link add CUSTA type vrf table 10",
                "ip link set CUSTA up",
                "ip link set eth1 master CUSTA",
                "ip link set eth2 down",
            ]
        );
        let grep = "/proc/sys/net/mpls/platform_labels:100000\n\
                    /proc/sys/net/mpls/conf/eth0/input:1\n/proc/sys/net/mpls/conf/eth1/input:0\n";
        let sysctls: Vec<String> = mpls_sysctls(grep).iter().map(|c| c.join(" ")).collect();
        assert_eq!(
            sysctls,
            [
                "sysctl -w net.mpls.platform_labels=100000",
                "sysctl -w net.mpls.conf.eth0.input=1"
            ]
        );
    }

    #[test]
    fn the_pseudowires_wiring_is_read_back_from_links_and_filters() {
        let links = r#"[
          {"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP"]},
          {"ifindex":4,"ifname":"eth2","flags":["UP"],"linkinfo":{"info_kind":"veth"}},
          {"ifindex":5,"ifname":"eth3","flags":["UP"],"master":"vpls0",
           "linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"isolated":false}}},
          {"ifindex":9,"ifname":"mpw0","flags":["UP"],"linkinfo":{"info_kind":"veth"}},
          {"ifindex":10,"ifname":"mpw0x","flags":["UP"],"linkinfo":{"info_kind":"veth"}},
          {"ifindex":11,"ifname":"mpw1","flags":["UP"],"master":"vpls0",
           "linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"isolated":true}}},
          {"ifindex":12,"ifname":"mpw1x","flags":["UP"],"linkinfo":{"info_kind":"veth"}},
          {"ifindex":13,"ifname":"vpls0","flags":["UP"],"linkinfo":{"info_kind":"bridge","info_data":{}}}
        ]"#;
        let mirred = |to: &str| {
            format!(
                r#"[{{"protocol":"all","pref":1,"kind":"matchall","chain":0}},{{"protocol":"all","pref":1,"kind":"matchall","chain":0,"options":{{"handle":1,"actions":[{{"order":1,"kind":"mirred","mirred_action":"redirect","direction":"egress","to_dev":"{to}"}}]}}}}]"#
            )
        };
        let filters = format!(
            "== eth0\n\n== eth2\n{}\n\n== mpw0\n{}\n\n== mpw1\n\n",
            mirred("mpw0"),
            mirred("eth2")
        );
        let pieces = wiring_pieces(&parse_links(links).unwrap(), &filters).unwrap();
        let (before, after) = crate::intent::kernel::piece_changes(&BTreeSet::new(), &pieces);
        assert!(after.is_empty());
        let before: Vec<String> = before.iter().map(|c| c.join(" ")).collect();
        assert_eq!(
            before,
            [
                "/usr/local/sbin/mplsrepl-pw start",
                "ip link add mpw0 type veth peer name mpw0x",
                "ip link set mpw0 up",
                "ip link set mpw0x up",
                "ip link add mpw1 type veth peer name mpw1x",
                "ip link set mpw1 up",
                "ip link set mpw1x up",
                "ip link add vpls0 type bridge",
                "ip link set vpls0 up",
                "ip link set eth3 master vpls0",
                "ip link set mpw1 master vpls0",
                "bridge link set dev mpw1 isolated on",
                "tc qdisc replace dev eth2 clsact",
                "tc filter replace dev eth2 ingress pref 1 handle 1 matchall action mirred egress redirect dev mpw0",
                "tc qdisc replace dev mpw0 clsact",
                "tc filter replace dev mpw0 ingress pref 1 handle 1 matchall action mirred egress redirect dev eth2",
            ]
        );
    }
}
