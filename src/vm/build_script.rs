//! vm/build.sh, the root-only part of the build (host packages, debootstrap, chroot, mkfs): its
//! text, shipped inside the binary, and running one of its phases.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use super::{host, VmConfig};

/// The heavy, root-only part of the build (host packages, debootstrap, chroot, mkfs).
pub(crate) const BUILD_SH: &str = include_str!("../../vm/build.sh");

/// Packages installed in the VM's chroot after debootstrap (the kernel package comes first).
/// FRR is not among them: the routers run the lab images (images.rs), not the VM's system.
const PACKAGES: &[&str] = &["docker.io", "curl", "ethtool"];

pub(crate) fn vm_packages(cfg: &VmConfig) -> String {
    std::iter::once(cfg.kernel.as_str())
        .chain(PACKAGES.iter().copied())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Run one phase of build.sh with its output in `logfile`; failures quote the log's tail.
/// `env` is what the phase needs beyond the build's own settings (a lab image's packages).
pub(crate) fn run_script(
    cfg: &VmConfig,
    args: &[&str],
    logfile: &Path,
    env: &[(&str, &str)],
) -> Result<()> {
    let out = fs::File::create(logfile)
        .with_context(|| format!("cannot create {}", logfile.display()))?;
    let status = Command::new("bash")
        .arg(cfg.dir.join("build.sh"))
        .args(args)
        .env("VM_BUILD", cfg.build_dir())
        .env("VM_PACKAGES", vm_packages(cfg))
        .env("VM_DISK", &cfg.disk)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .status()
        .context("cannot run bash")?;
    if !status.success() {
        bail!(
            "build.sh {} failed ({status}); last lines of {}:\n{}",
            args.join(" "),
            logfile.display(),
            host::tail_lines(logfile, 30)
        );
    }
    Ok(())
}
