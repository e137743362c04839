//! The build: what is cached, the root-only phases of vm/build.sh, the warm step.

use std::fs;
use std::path::Path;

use std::time::{Instant, SystemTime};

use anyhow::{bail, Context, Result};

use super::build_script::{run_script, vm_packages, BUILD_SH};
use super::host;
use super::images::{LabImage, IMAGES};
use super::{mb, qemu, secs, serial, Progress, VmConfig};

/// The text of `configure_guest() { ... }` in build.sh.
pub(crate) fn guest_section(script: &str) -> &str {
    let Some(start) = script.find("\nconfigure_guest() {\n") else {
        return script;
    };
    let body = &script[start..];
    match body[1..].find("\n}\n") {
        Some(end) => &body[..end + 4],
        None => body,
    }
}

fn fnv64(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Key of base.raw: the guest configuration code and the disk size.
pub(crate) fn guest_hash(cfg: &VmConfig) -> String {
    let mut key = guest_section(BUILD_SH).as_bytes().to_vec();
    key.extend_from_slice(format!("\0disk={}", cfg.disk).as_bytes());
    format!("{:016x}", fnv64(&key))
}

fn read_trim(p: &Path) -> Option<String> {
    fs::read_to_string(p).ok().map(|s| s.trim().to_string())
}

fn mtime(p: &Path) -> Option<SystemTime> {
    fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// What a build has to do, and why.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// (tool, Debian package) missing on the host.
    pub missing: Vec<(&'static str, &'static str)>,
    pub debootstrap: bool,
    pub install: bool,
    pub image: bool,
    /// Lab images whose root filesystem must be (re)built.
    pub lab_images: Vec<LabImage>,
    pub warm: bool,
    pub reasons: Vec<String>,
}

impl Plan {
    fn root_work(&self) -> bool {
        !self.missing.is_empty()
            || self.debootstrap
            || self.install
            || self.image
            || !self.lab_images.is_empty()
    }
    fn nothing(&self) -> bool {
        !self.root_work() && !self.warm
    }
}

pub(crate) fn plan(cfg: &VmConfig, have: &dyn Fn(&str) -> bool) -> Plan {
    let b = cfg.build_dir();
    let rf = b.join("rootfs");
    let mut p = Plan::default();
    let mut why = |cond: bool, r: &str| {
        if cond {
            p.reasons.push(r.to_string());
        }
        cond
    };
    p.debootstrap = why(!rf.join(".stage1").exists(), "no debootstrap'ed rootfs");
    p.install = p.debootstrap
        | why(
            rf.join(".stage1").exists()
                && read_trim(&rf.join(".stage2")).as_deref() != Some(&vm_packages(cfg)),
            "chroot package list changed",
        );
    let base = b.join("base.raw");
    p.image = p.install
        | why(!base.exists(), "no base.raw")
        | why(
            base.exists() && (!b.join("vmlinuz").exists() || !b.join("initrd.img").exists()),
            "no kernel/initrd",
        )
        | why(
            base.exists() && read_trim(&b.join("base.cfg")) != Some(guest_hash(cfg)),
            "guest configuration changed",
        )
        | why(
            base.exists() && !b.join("base.id").exists(),
            "base.raw not built by mplsrepl",
        )
        | why(
            base.exists() && mtime(&rf.join(".stage2")) > mtime(&base),
            "rootfs newer than base.raw",
        );
    for img in IMAGES {
        if let Some(reason) = img.stale(cfg) {
            p.reasons.push(reason);
            p.lab_images.push(img);
        }
    }
    let mut why = |cond: bool, r: &str| {
        if cond {
            p.reasons.push(r.to_string());
        }
        cond
    };
    p.warm = p.image
        | !p.lab_images.is_empty()
        | why(!p.image && !b.join("warm.qcow2").exists(), "no warm.qcow2")
        | why(
            !p.image
                && b.join("warm.qcow2").exists()
                && read_trim(&b.join("warm.id")) != Some(warm_key(cfg)),
            "warm.qcow2 is from another base.raw or other images",
        );
    let mut need = vec![
        ("qemu-system-x86_64", "qemu-system-x86"),
        ("qemu-img", "qemu-utils"),
        ("tar", "tar"),
    ];
    if p.debootstrap || !p.lab_images.is_empty() {
        need.push(("debootstrap", "debootstrap"));
    }
    if p.image {
        need.push(("mkfs.ext4", "e2fsprogs"));
    }
    p.missing = need.into_iter().filter(|(tool, _)| !have(tool)).collect();
    p
}

/// Build whatever is not cached, then warm. Called with the VM lock held.
pub(crate) fn build(cfg: &VmConfig, log: &Progress) -> Result<()> {
    let t = Instant::now();
    let b = cfg.build_dir();
    let p = plan(cfg, &|tool| host::which(tool).is_some());
    if p.nothing() {
        log.line(&format!(
            "lab VM image cached in {} (base.raw {}, warm.qcow2 {})",
            b.display(),
            host::disk_usage(&b.join("base.raw"))
                .map(mb)
                .unwrap_or_default(),
            host::disk_usage(&b.join("warm.qcow2"))
                .map(mb)
                .unwrap_or_default(),
        ));
        return Ok(());
    }
    if let Some(pid) = qemu::running(cfg, log)? {
        bail!(
            "the lab VM image must be rebuilt ({}) but the VM is running (qemu pid {pid}): stop \
             it first with `mplsrepl vm down`",
            p.reasons.join(", ")
        );
    }
    if (p.root_work() || p.warm) && !host::is_root() {
        let missing: Vec<_> = p.missing.iter().map(|(_, pkg)| *pkg).collect();
        bail!(
            "building the lab VM needs root ({}{}): debootstrap, chroot mounts and reading the \
             root-owned rootfs. Run `sudo mplsrepl vm build` once with the same cache \
             (MPLSREPL_VM_DIR={}); after that `mplsrepl vm up` only needs qemu",
            p.reasons.join(", "),
            if missing.is_empty() {
                String::new()
            } else {
                format!("; missing host packages: {}", missing.join(" "))
            },
            cfg.dir.display()
        );
    }
    log.line(&format!(
        "building the lab VM in {} ({})",
        cfg.dir.display(),
        p.reasons.join(", ")
    ));
    fs::create_dir_all(&b).with_context(|| format!("cannot create {}", b.display()))?;
    let script = cfg.dir.join("build.sh");
    if fs::read_to_string(&script).ok().as_deref() != Some(BUILD_SH) {
        fs::write(&script, BUILD_SH)
            .with_context(|| format!("cannot write {}", script.display()))?;
    }

    if !p.missing.is_empty() {
        let pkgs: Vec<&str> = p.missing.iter().map(|(_, pkg)| *pkg).collect();
        if host::which("apt-get").is_none() {
            bail!(
                "missing host tools: {} and no apt-get to install them: install the packages \
                 providing them (Debian: {})",
                p.missing
                    .iter()
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join(", "),
                pkgs.join(" ")
            );
        }
        let mut args = vec!["host-deps"];
        args.extend(&pkgs);
        log.phase(
            &format!("host packages: apt-get install {}", pkgs.join(" ")),
            || run_script(cfg, &args, &cfg.dir.join("host-deps.log"), &[]),
        )?;
    }
    let base_stages = || -> Result<()> {
        let rf = b.join("rootfs");
        if p.debootstrap || p.install {
            let mounts =
                host::mounts_under(&fs::read_to_string("/proc/mounts").unwrap_or_default(), &rf);
            if !mounts.is_empty() {
                bail!(
                    "something is still mounted under {} ({}): umount it first",
                    rf.display(),
                    mounts.join(", ")
                );
            }
        }
        if p.debootstrap {
            log.phase("debootstrap bookworm (minbase)", || {
                run_script(cfg, &["debootstrap"], &b.join("debootstrap.log"), &[])
            })?;
        }
        if p.install {
            log.phase(
                &format!("chroot: apt-get install {}", vm_packages(cfg)),
                || run_script(cfg, &["install"], &b.join("install.log"), &[]),
            )?;
        }
        if p.image {
            for f in ["warm.qcow2", "warm.id", "base.id"] {
                let _ = fs::remove_file(b.join(f));
            }
            log.phase_note(
                &format!("guest config + ext4 image ({} sparse)", cfg.disk),
                || {
                    run_script(cfg, &["image"], &b.join("image.log"), &[])?;
                    let id = format!(
                        "{}-{}",
                        guest_hash(cfg),
                        SystemTime::now()
                            .duration_since(SystemTime::UNIX_EPOCH)
                            .map(|d| d.as_secs())
                            .unwrap_or(0)
                    );
                    fs::write(b.join("base.cfg"), format!("{}\n", guest_hash(cfg)))?;
                    fs::write(b.join("base.id"), format!("{id}\n"))?;
                    let used = host::disk_usage(&b.join("base.raw"))
                        .map(mb)
                        .unwrap_or_default();
                    Ok(((), format!("{used} used")))
                },
            )?;
        }
        Ok(())
    };
    // The lab images' root filesystems need nothing of the VM's: debootstrap them alongside
    // it (downloads and unpacking overlap; a cold build is part of every fresh CI run).
    let images = std::thread::scope(|scope| {
        let side = (!p.lab_images.is_empty()).then(|| {
            for img in &p.lab_images {
                log.line(&format!("{}… (alongside)", img.build_what()));
            }
            scope.spawn(|| {
                p.lab_images
                    .iter()
                    .map(|img| {
                        let t = Instant::now();
                        (img, img.build(cfg), t.elapsed())
                    })
                    .collect::<Vec<_>>()
            })
        });
        let base = base_stages();
        let images = side.map(|h| h.join().expect("a lab image's build panicked"));
        base.map(|()| images.unwrap_or_default())
    })?;
    for (img, built, took) in images {
        let what = img.build_what();
        let note = built.with_context(|| format!("{what} failed after {}", secs(took)))?;
        log.line(&format!("{what}… done in {} ({note})", secs(took)));
    }
    if p.warm {
        warm(cfg, log)?;
    }
    log.line(&format!("lab VM build done in {}", secs(t.elapsed())));
    Ok(())
}

/// What warm.qcow2 holds: the base.raw it grew on and the build of each lab image in it.
fn warm_key(cfg: &VmConfig) -> String {
    let mut key = read_trim(&cfg.build_dir().join("base.id")).unwrap_or_default();
    for img in IMAGES {
        key.push(' ');
        key.push_str(&img.build_id(cfg).unwrap_or_default());
    }
    key
}

/// Boot base.raw, import the lab images, fstrim, power off, keep the overlay as warm.qcow2.
fn warm(cfg: &VmConfig, log: &Progress) -> Result<()> {
    let b = cfg.build_dir();
    let (warm, warm_id) = (b.join("warm.qcow2"), b.join("warm.id"));
    let _ = fs::remove_file(&warm);
    let _ = fs::remove_file(&warm_id);
    let t = Instant::now();
    let base = b.join("base.raw");
    let pid = qemu::start(cfg, &base, "raw", log)?;
    let steps = || -> Result<()> {
        let waited = qemu::wait_ready(cfg, pid, t)?;
        log.line(&format!("boot base.raw… dockerd ready in {}", secs(waited)));
        ensure_images(cfg, log)?;
        log.phase("fstrim + clean poweroff", || {
            serial::run(
                &cfg.serial_sock(),
                "sync; fstrim / >/dev/null 2>&1; true",
                std::time::Duration::from_secs(120),
            )?;
            if !qemu::stop(cfg, pid, log)? {
                bail!("the VM did not power off cleanly, so its disk is not kept as warm.qcow2");
            }
            Ok(())
        })?;
        fs::rename(cfg.overlay(), &warm).with_context(|| {
            format!(
                "cannot move {} to {}",
                cfg.overlay().display(),
                warm.display()
            )
        })?;
        fs::write(&warm_id, format!("{}\n", warm_key(cfg)))?;
        Ok(())
    };
    if let Err(e) = steps() {
        if host::pid_alive(pid) {
            if let host::PidState::Running(p) = host::probe(&cfg.pidfile()).0 {
                qemu::kill(p);
            }
        }
        let _ = fs::remove_file(cfg.pidfile());
        let _ = fs::remove_file(&warm);
        return Err(e.context("warming the lab VM (boot base.raw, import the image, power off)"));
    }
    log.line(&format!(
        "warm image {} ({}) on base.raw ({}) in {}",
        warm.display(),
        host::disk_usage(&warm).map(mb).unwrap_or_default(),
        host::disk_usage(&base).map(mb).unwrap_or_default(),
        secs(t.elapsed())
    ));
    Ok(())
}

/// Import each lab image unless dockerd has that very build of it.
pub(crate) fn ensure_images(cfg: &VmConfig, log: &Progress) -> Result<()> {
    for img in IMAGES {
        img.ensure(cfg, log)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_is_embedded_and_sectioned() {
        assert!(BUILD_SH.starts_with("#!/bin/bash"));
        assert!(BUILD_SH.contains("set -euo pipefail"));
        let s = guest_section(BUILD_SH);
        assert!(s.starts_with("\nconfigure_guest() {\n"), "{s}");
        assert!(s.ends_with("\n}\n"));
        assert!(s.contains("lab-net"));
        assert!(!s.contains("do_image"), "section stops at the function end");
    }

    #[test]
    fn plan_on_empty_and_cached_dirs() {
        let dir = std::env::temp_dir().join(format!("mplsrepl-vm-plan-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let cfg = VmConfig::new(&dir);
        let all = |_: &str| true;
        let p = plan(&cfg, &all);
        assert!(p.debootstrap && p.install && p.image && p.warm);
        assert!(p.missing.is_empty());
        let none = |_: &str| false;
        let p = plan(&cfg, &none);
        let pkgs: Vec<_> = p.missing.iter().map(|m| m.1).collect();
        assert_eq!(
            pkgs,
            [
                "qemu-system-x86",
                "qemu-utils",
                "tar",
                "debootstrap",
                "e2fsprogs"
            ]
        );

        // a complete cache
        let b = cfg.build_dir();
        fs::create_dir_all(b.join("rootfs")).unwrap();
        fs::write(b.join("rootfs/.stage1"), "").unwrap();
        fs::write(b.join("rootfs/.stage2"), vm_packages(&cfg) + "\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        for f in ["base.raw", "vmlinuz", "initrd.img", "warm.qcow2"] {
            fs::write(b.join(f), "x").unwrap();
        }
        fs::write(b.join("base.cfg"), guest_hash(&cfg)).unwrap();
        fs::write(b.join("base.id"), "abc-1\n").unwrap();
        let p = plan(&cfg, &all);
        assert_eq!(p.lab_images, IMAGES, "no lab image built yet");
        for img in IMAGES {
            fs::create_dir_all(img.rootfs(&cfg)).unwrap();
            fs::write(img.rootfs(&cfg).join(".stage2"), img.key()).unwrap();
            fs::write(img.dir(&cfg).join("image.id"), "i-1\n").unwrap();
        }
        fs::write(b.join("warm.id"), warm_key(&cfg) + "\n").unwrap();
        let p = plan(&cfg, &all);
        assert!(p.nothing(), "{p:?}");

        // stale warm image only
        fs::write(b.join("warm.id"), "abc-0\n").unwrap();
        let p = plan(&cfg, &all);
        assert!(!p.root_work() && p.warm, "{p:?}");

        // a lab image rebuilt: warm again, the VM's own disk stays
        fs::write(b.join("warm.id"), warm_key(&cfg) + "\n").unwrap();
        fs::write(IMAGES[1].dir(&cfg).join("image.id"), "i-2\n").unwrap();
        let p = plan(&cfg, &all);
        assert!(!p.image && p.lab_images.is_empty() && p.warm, "{p:?}");
        fs::write(b.join("warm.id"), warm_key(&cfg) + "\n").unwrap();

        // the recipe's empty .stage2 (older package list) -> install, image, warm
        fs::write(b.join("rootfs/.stage2"), "").unwrap();
        let p = plan(&cfg, &all);
        assert!(!p.debootstrap && p.install && p.image && p.warm, "{p:?}");
        assert!(p.reasons.iter().any(|r| r.contains("package list")));

        // guest config changed -> image + warm, no install
        fs::write(b.join("rootfs/.stage2"), vm_packages(&cfg)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(b.join("base.raw"), "x").unwrap();
        fs::write(b.join("base.cfg"), "0000").unwrap();
        let p = plan(&cfg, &all);
        assert!(!p.install && p.image && p.warm, "{p:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hash_is_stable_and_keyed_on_disk_size() {
        let mut cfg = VmConfig::new("/tmp/x");
        let h = guest_hash(&cfg);
        assert_eq!(h.len(), 16);
        assert_eq!(h, guest_hash(&cfg));
        cfg.disk = "16G".into();
        assert_ne!(h, guest_hash(&cfg));
        assert_eq!(fnv64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
