//! Starting a lab from a saved directory: its topology's networks and containers (with the
//! daemons the saved configurations need), then per router `kernel.sh` and `frr.conf`.
//!
//! This goes through the session and the backend like a script does, so `plan DIR` prints
//! exactly what `run DIR` performs; but it sends the saved text as it is instead of rebuilding
//! an intent from it, so configuration the intent model does not know survives a save.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::{DAEMONS_FILE, FRR_FILE, KERNEL_FILE, TOPOLOGY_FILE};
use crate::frr::diff::RouterChange;
use crate::frr::Daemon;
use crate::script::Session;
use crate::topology::Lab;

/// A saved lab, read and checked.
#[derive(Debug, Clone)]
pub struct SavedLab {
    pub dir: PathBuf,
    pub lab: Lab,
    pub routers: Vec<SavedRouter>,
}

#[derive(Debug, Clone)]
pub struct SavedRouter {
    pub name: String,
    /// `kernel.sh`, one argv per command.
    pub kernel: Vec<Vec<String>>,
    /// `frr.conf` without what only makes sense at FRR's start (`frr defaults`, `end`, ...).
    pub vtysh: Vec<String>,
    /// The daemons its `daemons` file turns on; None without one (its role's are run).
    pub daemons: Option<BTreeSet<Daemon>>,
}

/// `true` when `path` looks like a saved lab (a directory holding `lab.topo`).
pub fn is_saved_lab(path: &Path) -> bool {
    path.is_dir() && path.join(TOPOLOGY_FILE).is_file()
}

pub fn load(dir: &Path) -> anyhow::Result<SavedLab> {
    let topo = dir.join(TOPOLOGY_FILE);
    if !topo.is_file() {
        bail!(
            "{} is not a saved lab: it has no {TOPOLOGY_FILE} (write one with `mplsrepl save {} SCRIPT`)",
            dir.display(),
            dir.display()
        );
    }
    let lab = crate::topology::load_file(&topo)?;
    let mut routers = Vec::new();
    for r in &lab.routers {
        let read = |file: &str| -> anyhow::Result<(PathBuf, String)> {
            let path = dir.join(&r.name).join(file);
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "cannot read {} (router {} of {})",
                    path.display(),
                    r.name,
                    topo.display()
                )
            })?;
            Ok((path, text))
        };
        let (kernel_path, kernel_text) = read(KERNEL_FILE)?;
        let (_, frr_text) = read(FRR_FILE)?;
        let daemons = std::fs::read_to_string(dir.join(&r.name).join(DAEMONS_FILE))
            .ok()
            .map(|text| crate::frr::daemons::parse_daemons_file(&text));
        routers.push(SavedRouter {
            name: r.name.clone(),
            kernel: kernel_commands(&kernel_path, &kernel_text)?,
            vtysh: crate::frr::saved::config_lines(&frr_text),
            daemons,
        });
    }
    Ok(SavedLab {
        dir: dir.to_path_buf(),
        lab,
        routers,
    })
}

/// The commands of a `kernel.sh`: comments, blank lines and `set -e` are skipped; anything
/// that needs a shell to mean what it says is refused rather than run differently.
pub fn kernel_commands(path: &Path, text: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line == "set -e" {
            continue;
        }
        if let Some(c) = line.chars().find(|c| "|&;<>()$`'\"\\*?~{}[]".contains(*c)) {
            bail!(
                "{}:{}: `{line}`: `{c}` needs a shell, but each line of {KERNEL_FILE} is run as one plain command\n\
                 help: write one command per line, without pipes, quotes, variables or globs",
                path.display(),
                n + 1
            );
        }
        out.push(line.split_whitespace().map(str::to_string).collect());
    }
    Ok(out)
}

/// Create the saved lab with the session's backend and send each router its saved files.
pub fn start(session: &mut Session, saved: &SavedLab) -> anyhow::Result<()> {
    session.base_dir = saved.dir.clone();
    session.deploy.daemons = crate::deploy::Daemons::Planned(
        saved
            .routers
            .iter()
            .filter_map(|r| Some((r.name.clone(), r.daemons.clone()?)))
            .collect::<BTreeMap<_, _>>(),
    );
    session.load_topology(TOPOLOGY_FILE)?;
    session.step("networks and containers")?;
    session.deploy.up()?;
    session.step(&format!("configuration saved in {}", saved.dir.display()))?;
    let lab = session.deploy.lab_name()?;
    let changes = saved
        .routers
        .iter()
        .map(|r| {
            let change = RouterChange {
                kernel_before: r.kernel.clone(),
                vtysh: r.vtysh.clone(),
                kernel_after: Vec::new(),
            };
            (r.name.clone(), change, None)
        })
        .filter(|(_, c, _)| !c.is_empty())
        .collect();
    if let (_, Some(e)) = session.deploy.send(&lab, changes) {
        return Err(e.context(format!("configuring the lab from {}", saved.dir.display())));
    }
    session.end_step();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_lines_are_plain_commands() {
        let text = "#!/bin/sh\n# c\nset -e\n\nsysctl -w net.mpls.platform_labels=100000\n\
                    ip link add CUSTA type vrf table 10\n";
        let cmds = kernel_commands(Path::new("k.sh"), text).unwrap();
        assert_eq!(cmds.len(), 2);
        assert_eq!(
            cmds[1],
            ["ip", "link", "add", "CUSTA", "type", "vrf", "table", "10"]
        );
        let err = kernel_commands(Path::new("k.sh"), "set -e\nip link | grep x\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("k.sh:2: `ip link | grep x`: `|` needs a shell"),
            "{err}"
        );
    }
}
