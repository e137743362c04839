//! A lab saved as files: per router its `frr.conf` and a `kernel.sh`, plus `lab.topo` and a
//! README; and starting a lab again from such a directory ([`start`]).
//!
//! ```text
//! DIR/lab.topo            the topology, written from the lab model
//! DIR/README              what is here and how to start it
//! DIR/<router>/frr.conf   the router's whole FRR configuration
//! DIR/<router>/kernel.sh  what FRR does not own: sysctls, VRF devices and their members
//! ```
//!
//! `kernel.sh` is a shell script one can run by hand, but `mplsrepl run DIR` reads it as one
//! plain command per line, so that the plan shows every command and a failure names its line.

pub mod live;
pub mod start;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::frr::render::frr_conf;
use crate::intent::kernel::kernel_changes;
use crate::intent::{Intent, RouterIntent};
use crate::topology::write::{write, Notes};
use crate::topology::Lab;

pub const TOPOLOGY_FILE: &str = "lab.topo";
pub const FRR_FILE: &str = "frr.conf";
pub const KERNEL_FILE: &str = "kernel.sh";
/// FRR's own name for it, as in `/etc/frr/daemons`.
pub const DAEMONS_FILE: &str = "daemons";

/// The two files of one router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterFiles {
    pub router: String,
    pub frr_conf: String,
    pub kernel_sh: String,
    /// FRR's `daemons` file: which daemons the router runs.
    pub daemons: String,
}

/// Each router's files from its intent: `frr.conf` as `mplsrepl render` prints it, and the
/// kernel commands that bring an empty router to the intent.
pub fn from_intent(lab: &Lab, intent: &Intent) -> Vec<RouterFiles> {
    lab.routers
        .iter()
        .map(|r| {
            let ri = intent
                .routers
                .get(&r.name)
                .cloned()
                .unwrap_or_else(|| RouterIntent::new(&r.name));
            let commands = kernel_changes(&RouterIntent::new(&r.name), &ri).before;
            let frr = r
                .image
                .as_deref()
                .and_then(crate::frr::FrrVersion::from_image_name)
                .unwrap_or_default();
            let needed = crate::frr::daemons::needed(r.role, Some(&ri));
            RouterFiles {
                router: r.name.clone(),
                frr_conf: frr_conf(&ri),
                kernel_sh: kernel_script(&r.name, &commands),
                daemons: crate::frr::daemons::daemons_file(frr, &needed),
            }
        })
        .collect()
}

/// `kernel.sh` for a router: a shebang, a comment, `set -e`, then one command per line.
pub fn kernel_script(router: &str, commands: &[Vec<String>]) -> String {
    let mut out = format!(
        "#!/bin/sh\n\
         # Kernel state of {router} that FRR does not own, applied before frr.conf.\n\
         # `mplsrepl run DIR` runs each line as a plain command (no shell syntax); by hand:\n\
         #   docker exec -i <lab>-{router} sh < kernel.sh\n\
         set -e\n"
    );
    for argv in commands {
        out.push_str(&argv.join(" "));
        out.push('\n');
    }
    out
}

/// Write the directory (created if needed; files of the same names are replaced). `origin`
/// says where the configuration came from, for the README. Returns the files written.
pub fn write_dir(
    dir: &Path,
    lab: &Lab,
    routers: &[RouterFiles],
    origin: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut put = |path: PathBuf, text: &str| -> anyhow::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
        Ok(())
    };
    let notes = Notes {
        header: vec![format!("Topology of lab {}, saved by mplsrepl.", lab.name)],
        ..Default::default()
    };
    put(dir.join(TOPOLOGY_FILE), &write(lab, &notes))?;
    put(dir.join("README"), &readme(dir, lab, origin))?;
    for r in routers {
        put(dir.join(&r.router).join(FRR_FILE), &r.frr_conf)?;
        put(dir.join(&r.router).join(KERNEL_FILE), &r.kernel_sh)?;
        put(dir.join(&r.router).join(DAEMONS_FILE), &r.daemons)?;
    }
    Ok(written)
}

fn readme(dir: &Path, lab: &Lab, origin: &str) -> String {
    let routers: Vec<&str> = lab.routers.iter().map(|r| r.name.as_str()).collect();
    // A shell comment after each command keeps them copy-pasteable.
    let commands = format!(
        "  mplsrepl plan {dir}   # what it would do, without Docker\n\
         \x20 mplsrepl run {dir}    # build it (add --lab-name NAME for a second copy)\n\
         \x20 mplsrepl down {name}   # remove it\n",
        dir = dir.display(),
        name = lab.name
    );
    format!(
        "Lab {name}, saved by mplsrepl from {origin}.\n\
         \n\
         \x20 lab.topo              the topology: routers, links, addresses\n\
         \x20 ROUTER/frr.conf       the router's whole FRR configuration\n\
         \x20 ROUTER/kernel.sh      what FRR does not own: sysctls, VRFs, pseudowire wiring\n\
         \x20 ROUTER/daemons       FRR's daemons file: the daemons the router runs\n\
         \n\
         Routers: {routers}.\n\
         \n\
         Start the lab from these files (networks, containers, then per router kernel.sh and\n\
         frr.conf), on the same engines as `mplsrepl run`:\n\
         \n\
         {commands}\
         \n\
         The FRR daemons each router runs are those its daemons file turns on (without the\n\
         file, its role's). The files may be edited:\n\
         kernel.sh takes one plain command per line (no pipes, quotes or variables).\n",
        name = lab.name,
        routers = routers.join(", "),
    )
}
