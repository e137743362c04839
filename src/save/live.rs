//! Saving a running lab as it is, rather than as a script meant it: FRR's own
//! `show running-config`, and the kernel state read back from each container.
//!
//! The kernel side covers what the intent model puts there: MPLS sysctls (non-zero
//! `platform_labels` and `conf.<if>.input`), VRF devices with their tables and members, and
//! interfaces that are administratively down. Other sysctls a script may have set are not
//! read back.

use anyhow::{bail, Context};
use serde::Deserialize;

use super::{kernel_script, RouterFiles};
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
    let mut commands = mpls_sysctls(&mpls);
    commands.extend(link_commands(&links, router)?);
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
}

/// From `ip -j -d link show`: VRF devices (created and up), their members, and the lab
/// interfaces that are down.
pub fn link_commands(json: &str, router: &Router) -> anyhow::Result<Vec<Vec<String>>> {
    let links: Vec<Link> =
        serde_json::from_str(json).context("cannot read the output of `ip -j -d link show`")?;
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
    for l in &links {
        if let Some(master) = &l.master {
            if vrfs.iter().any(|(v, _)| v == master) {
                out.push(argv(&["ip", "link", "set", &l.ifname, "master", master]));
            }
        }
    }
    for l in &links {
        let is_lab = router.interfaces.iter().any(|i| i.name == l.ifname);
        if is_lab && !l.flags.iter().any(|f| f == "UP") {
            out.push(argv(&["ip", "link", "set", &l.ifname, "down"]));
        }
    }
    Ok(out)
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
        let cmds: Vec<String> = link_commands(json, &pe1())
            .unwrap()
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
}
