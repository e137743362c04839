//! The lab VM: an MPLS-capable dockerd in qemu.
//!
//! This host has no Docker engine and its kernel has no MPLS/VRF, so the lab runs in a Debian 12
//! VM (stock kernel: `mpls_router`, `mpls_iptunnel`, `vrf`; docker.io; frr) whose dockerd the
//! host reaches at `tcp://127.0.0.1:PORT` through qemu's user-mode network (`restrict=on`: only
//! that forwarded port gets in, nothing gets out).
//!
//! Cache layout (`$MPLSREPL_VM_DIR`, default `$XDG_CACHE_HOME/mplsrepl/vm`):
//! ```text
//! build.sh              the embedded build script (vm/build.sh), rewritten on every build
//! vm.log                timestamped progress lines of every build/up/down
//! build/rootfs/         debootstrap'ed Debian (.stage1 = debootstrap done, .stage2 = package list)
//! build/base.raw        8G sparse ext4 made from rootfs (mkfs.ext4 -d); base.cfg/base.id: its key
//! build/vmlinuz, initrd.img
//! build/warm.qcow2      overlay on base.raw holding the imported image labfrr:latest (warm.id)
//! run/                  qemu.pid, console.log (ttyS0), ttyS1.sock (root shell), overlay.qcow2
//! ```
//! `build` = root-only heavy part (vm/build.sh, embedded) + the warm step (boot base.raw, import
//! the rootfs as `labfrr:latest`, fstrim, poweroff, keep the overlay as warm.qcow2). `up` boots
//! a throw-away overlay on warm.qcow2 (~20 s under TCG). Each phase is timed and reported
//! through the `progress` callback as single lines, and appended to `vm.log`.

mod build_script;
mod docker;
mod host;
pub mod images;
mod qemu;
mod serial;
mod stages;

use std::fmt;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

pub use serial::ShellOutput;

/// The default lab image: FRR 10 from Debian trixie (images.rs has them all).
pub const IMAGE: &str = images::LATEST;
/// Default host port forwarded to the guest's dockerd (tcp 2375).
pub const DEFAULT_PORT: u16 = 23750;
/// Default seconds to wait for dockerd after starting qemu.
pub const DEFAULT_WAIT_SECS: u64 = 300;

/// Where and how the lab VM runs. Build it with [`VmConfig::from_env`] (or [`VmConfig::new`]),
/// then adjust the public fields if needed.
#[derive(Debug, Clone)]
pub struct VmConfig {
    /// Cache directory (absolute): `build/` and `run/` live here.
    pub dir: PathBuf,
    /// Host port (on 127.0.0.1) forwarded to dockerd in the guest.
    pub port: u16,
    /// Guest memory in MiB (qemu's `-m` is [`VmConfig::mem`]).
    pub mem_mib: u64,
    /// Guest vCPUs.
    pub smp: u32,
    /// Accelerator: `auto` (KVM only if /dev/kvm is usable and not kvm_pvm), `kvm` or `tcg`.
    pub accel: String,
    /// CPU model under TCG (`max`).
    pub cpu: String,
    /// How long to wait for dockerd after starting qemu.
    pub wait: Duration,
    /// Size of the sparse guest disk (`8G`).
    pub disk: String,
    /// Guest kernel package (`linux-image-cloud-amd64`; `linux-image-amd64` works too).
    pub kernel: String,
    /// Which lab VM of a group (`vm up --count N`): 0 is the first, whose port is `port`; VM
    /// `i` forwards `port + i` and runs in `run-<i+1>/`.
    pub index: u32,
    /// Problems found while reading the environment; every operation fails with them.
    env_errors: Vec<String>,
}

impl VmConfig {
    /// Defaults, with the cache in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> VmConfig {
        VmConfig {
            dir: absolute(dir.into()),
            port: DEFAULT_PORT,
            mem_mib: 4096,
            smp: 2,
            accel: "auto".into(),
            cpu: "max".into(),
            wait: Duration::from_secs(DEFAULT_WAIT_SECS),
            disk: "8G".into(),
            kernel: "linux-image-cloud-amd64".into(),
            index: 0,
            env_errors: Vec::new(),
        }
    }

    /// Defaults overridden by `MPLSREPL_VM_DIR`, `MPLSREPL_VM_PORT`, `MPLSREPL_VM_MEM`,
    /// `MPLSREPL_VM_SMP`, `MPLSREPL_VM_ACCEL`, `MPLSREPL_VM_CPU`, `MPLSREPL_VM_WAIT` (seconds),
    /// `MPLSREPL_VM_DISK`, `MPLSREPL_VM_KERNEL`. (The build script also reads
    /// `MPLSREPL_VM_MIRROR` / `MPLSREPL_VM_SEC_MIRROR`.) Invalid values are kept as defaults and
    /// reported by the first operation that uses this config.
    pub fn from_env() -> VmConfig {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let dir = var("MPLSREPL_VM_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                dirs::cache_dir()
                    .unwrap_or_else(|| std::env::temp_dir().join("mplsrepl-cache"))
                    .join("mplsrepl")
                    .join("vm")
            });
        let mut cfg = VmConfig::new(dir);
        if let Some(v) = var("MPLSREPL_VM_PORT") {
            // The VMs of a group take the ports after it, and the underlay's group port
            // is 1000 above the first.
            match v.trim().parse::<u16>() {
                Ok(p) if p > 0 && p <= MAX_VM_PORT => cfg.port = p,
                _ => cfg.env_errors.push(format!(
                    "MPLSREPL_VM_PORT={v:?} is not a port number from 1 to {MAX_VM_PORT}"
                )),
            }
        }
        if let Some(v) = var("MPLSREPL_VM_SMP") {
            match v.trim().parse::<u32>() {
                Ok(n) if n > 0 => cfg.smp = n,
                _ => cfg
                    .env_errors
                    .push(format!("MPLSREPL_VM_SMP={v:?} is not a positive number")),
            }
        }
        if let Some(v) = var("MPLSREPL_VM_WAIT") {
            match v.trim().parse::<u64>() {
                Ok(n) if n > 0 => cfg.wait = Duration::from_secs(n),
                _ => cfg.env_errors.push(format!(
                    "MPLSREPL_VM_WAIT={v:?} is not a positive number of seconds"
                )),
            }
        }
        if let Some(v) = var("MPLSREPL_VM_MEM") {
            if let Err(e) = cfg.set_memory(&v) {
                cfg.env_errors.push(format!("MPLSREPL_VM_MEM: {e}"));
            }
        }
        if let Some(v) = var("MPLSREPL_VM_ACCEL") {
            cfg.accel = v.trim().to_ascii_lowercase();
        }
        if let Some(v) = var("MPLSREPL_VM_CPU") {
            cfg.cpu = v.trim().into();
        }
        if let Some(v) = var("MPLSREPL_VM_DISK") {
            cfg.disk = v.trim().into();
        }
        if let Some(v) = var("MPLSREPL_VM_KERNEL") {
            cfg.kernel = v.trim().into();
        }
        cfg
    }

    /// The guest's memory (`vm up --memory`, `MPLSREPL_VM_MEM`): a size in qemu's words, like
    /// `4G` or `6144M`, from 1 GiB.
    pub fn set_memory(&mut self, size: &str) -> std::result::Result<(), String> {
        self.mem_mib = parse_memory(size)?;
        Ok(())
    }

    /// The guest's memory as qemu's `-m` takes it: `4G`, or `6500M` when not whole GiB.
    pub fn mem(&self) -> String {
        if self.mem_mib.is_multiple_of(1024) {
            format!("{}G", self.mem_mib / 1024)
        } else {
            format!("{}M", self.mem_mib)
        }
    }

    /// `tcp://127.0.0.1:PORT`, the value for `DOCKER_HOST`.
    pub fn docker_host(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// Lab VM `index` of a group: the same cache and image, its own run directory, port and
    /// underlay address.
    pub fn instance(&self, index: u32) -> VmConfig {
        let mut cfg = self.clone();
        cfg.port = self.port - self.index as u16 + index as u16;
        cfg.index = index;
        cfg
    }

    /// The VM's address on the underlay, the private link every lab VM of the cache has
    /// (a qemu socket network on this host's loopback): the far end of a VXLAN link between
    /// two engines.
    pub fn underlay_address(&self) -> std::net::Ipv4Addr {
        std::net::Ipv4Addr::new(192, 0, 2, 1 + self.index as u8)
    }

    /// `lab VM` for the first, `lab VM 2`, ... for the others.
    pub fn name(&self) -> String {
        match self.index {
            0 => "lab VM".to_string(),
            i => format!("lab VM {}", i + 1),
        }
    }

    fn check(&self) -> Result<()> {
        if !self.env_errors.is_empty() {
            bail!("invalid lab VM settings: {}", self.env_errors.join("; "));
        }
        if !matches!(self.accel.as_str(), "auto" | "kvm" | "tcg") {
            bail!(
                "invalid accelerator {:?} (MPLSREPL_VM_ACCEL): use auto, kvm or tcg",
                self.accel
            );
        }
        Ok(())
    }

    pub(crate) fn build_dir(&self) -> PathBuf {
        self.dir.join("build")
    }
    pub(crate) fn run_dir(&self) -> PathBuf {
        match self.index {
            0 => self.dir.join("run"),
            i => self.dir.join(format!("run-{}", i + 1)),
        }
    }
    pub(crate) fn pidfile(&self) -> PathBuf {
        self.run_dir().join("qemu.pid")
    }
    pub(crate) fn console_log(&self) -> PathBuf {
        self.run_dir().join("console.log")
    }
    pub(crate) fn serial_sock(&self) -> PathBuf {
        self.run_dir().join("ttyS1.sock")
    }
    pub(crate) fn overlay(&self) -> PathBuf {
        self.run_dir().join("overlay.qcow2")
    }
    pub(crate) fn docker(&self) -> docker::Docker {
        docker::Docker::new(self.port)
    }
}

fn absolute(p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        p
    } else {
        std::env::current_dir().map(|c| c.join(&p)).unwrap_or(p)
    }
}

/// Build the VM (host packages, debootstrap, chroot installs, disk image) and warm it (boot,
/// import the lab images, power off, keep the overlay as `warm.qcow2`). Cached: returns quickly when
/// nothing changed. The root-only parts need root and, for missing host tools, apt-get.
pub fn build(cfg: &VmConfig, progress: &dyn Fn(&str)) -> Result<()> {
    cfg.check()?;
    let log = Progress::new(cfg, progress);
    let _lock = lock(cfg, &log)?;
    stages::build(cfg, &log)
}

/// Make sure the VM is built, booted and serving dockerd with the lab images present; returns the
/// `DOCKER_HOST` value (`tcp://127.0.0.1:PORT`). Idempotent: a running VM returns at once.
pub fn up(cfg: &VmConfig, progress: &dyn Fn(&str)) -> Result<String> {
    cfg.check()?;
    let log = Progress::new(cfg, progress);
    let _lock = lock(cfg, &log)?;
    let t = Instant::now();
    let docker = cfg.docker();
    if let Some(pid) = qemu::running(cfg, &log)? {
        check_port(cfg, pid)?;
        if let Some((mem, smp)) = host::qemu_resources(pid) {
            if parse_memory(&mem).ok() != Some(cfg.mem_mib) || smp != cfg.smp {
                log.line(&format!(
                    "{} runs with memory {mem} and {smp} vCPUs, not the {} and {} asked for: \
                     `mplsrepl vm down` first to start it with them",
                    cfg.name(),
                    cfg.mem(),
                    cfg.smp
                ));
            }
        }
        if docker.ping().is_ok() {
            log.line(&format!("lab VM already running (qemu pid {pid})"));
        } else {
            log.line(&format!(
                "lab VM already starting (qemu pid {pid}); waiting for dockerd…"
            ));
            let waited = qemu::wait_ready(cfg, pid, Instant::now())?;
            log.line(&format!(
                "dockerd ready at {} after {}",
                cfg.docker_host(),
                secs(waited)
            ));
        }
        stages::ensure_images(cfg, &log)?;
        underlay(cfg, &log)?;
        return Ok(cfg.docker_host());
    }
    if let Some(free) = host::available_memory_mib() {
        if cfg.mem_mib > free {
            bail!(
                "the {} would take {} of memory and this host has {free} MiB available: \
                 give it less (`vm up --memory SIZE`) or stop something",
                cfg.name(),
                cfg.mem()
            );
        }
    }
    stages::build(cfg, &log)?;
    let warm = cfg.build_dir().join("warm.qcow2");
    let (backing, fmt) = if warm.exists() {
        (warm, "qcow2")
    } else {
        (cfg.build_dir().join("base.raw"), "raw")
    };
    let t_boot = Instant::now();
    let pid = qemu::start(cfg, &backing, fmt, &log)?;
    let waited = qemu::wait_ready(cfg, pid, t_boot)?;
    log.line(&format!(
        "boot on {}… dockerd ready at {} in {}",
        backing.file_name().unwrap_or_default().to_string_lossy(),
        cfg.docker_host(),
        secs(waited)
    ));
    stages::ensure_images(cfg, &log)?;
    underlay(cfg, &log)?;
    log.line(&format!(
        "{} up in {}: DOCKER_HOST={}, underlay {}",
        cfg.name(),
        secs(t.elapsed()),
        cfg.docker_host(),
        cfg.underlay_address()
    ));
    Ok(cfg.docker_host())
}

/// The guest's underlay interface (its second NIC) up with the VM's address. The first VM
/// serves single-engine labs without it: one started by an earlier mplsrepl has no second
/// NIC, which only labs over several VMs need.
fn underlay(cfg: &VmConfig, log: &Progress) -> Result<()> {
    let cmd = format!(
        "ip link set eth1 mtu {} up && ip addr replace {}/24 dev eth1",
        qemu::UNDERLAY_MTU,
        cfg.underlay_address()
    );
    match shell(cfg, &cmd, Duration::from_secs(60)) {
        Ok(_) => Ok(()),
        Err(e) if cfg.index == 0 => {
            log.line(&format!(
                "the lab VM has no underlay ({e:#}): labs over several VMs need `mplsrepl vm down` and up again"
            ));
            Ok(())
        }
        Err(e) => Err(e.context(format!("setting up the underlay of the {}", cfg.name()))),
    }
}

/// `count` lab VMs (`vm up --count N`), one after the other: VM `i` serves dockerd on the
/// first's port + `i` and has underlay address 192.0.2.`i+1`. Their `DOCKER_HOST`s, in order.
pub fn up_group(cfg: &VmConfig, count: u32, progress: &dyn Fn(&str)) -> Result<Vec<String>> {
    if count == 0 || count > MAX_VMS {
        bail!("--count {count}: give 1 to {MAX_VMS} lab VMs");
    }
    (0..count).map(|i| up(&cfg.instance(i), progress)).collect()
}

/// Most lab VMs one cache runs at once: the underlay is one /24, and each VM takes 4 GB.
pub const MAX_VMS: u32 = 8;
/// The highest first port: the underlay's multicast port is 1000 above it.
const MAX_VM_PORT: u16 = u16::MAX - 1000;

/// The lab VMs of this cache that have a run directory (running or left behind), first one
/// always included.
pub fn instances(cfg: &VmConfig) -> Vec<VmConfig> {
    let first = cfg.instance(0);
    let mut out = vec![first.clone()];
    out.extend(
        (1..MAX_VMS)
            .map(|i| first.instance(i))
            .filter(|c| c.run_dir().exists()),
    );
    out
}

/// A running VM forwards the port it was started with; a different MPLSREPL_VM_PORT now would
/// only wait for a dockerd that never answers.
fn check_port(cfg: &VmConfig, pid: u32) -> Result<()> {
    match host::qemu_port(pid) {
        Some(p) if p != cfg.port => bail!(
            "the lab VM (qemu pid {pid}) runs with dockerd on 127.0.0.1:{p}, not {}: set \
             MPLSREPL_VM_PORT={p}, or `mplsrepl vm down` and start it again",
            cfg.port
        ),
        _ => Ok(()),
    }
}

/// Power every lab VM of the cache off cleanly (through the ttyS1 root shell), killing our
/// qemu pid only if that fails, and drop the run overlays. Idempotent: a stopped VM (or a
/// stale pidfile) is fine.
pub fn down(cfg: &VmConfig, progress: &dyn Fn(&str)) -> Result<()> {
    cfg.check()?;
    let log = Progress::new(cfg, progress);
    let _lock = lock(cfg, &log)?;
    for vm in instances(cfg) {
        stop_one(&vm, &log)?;
    }
    Ok(())
}

/// Power off this one lab VM of a group (`cfg.instance(i)`), leaving the others running.
pub fn down_one(cfg: &VmConfig, progress: &dyn Fn(&str)) -> Result<()> {
    cfg.check()?;
    let log = Progress::new(cfg, progress);
    let _lock = lock(cfg, &log)?;
    stop_one(cfg, &log)
}

fn stop_one(vm: &VmConfig, log: &Progress) -> Result<()> {
    match qemu::running(vm, log)? {
        None if vm.index == 0 => log.line("lab VM not running"),
        None => {}
        Some(pid) => {
            let t = Instant::now();
            let clean = qemu::stop(vm, pid, log)?;
            log.line(&format!(
                "{} stopped ({}) in {}",
                vm.name(),
                if clean { "clean poweroff" } else { "killed" },
                secs(t.elapsed())
            ));
        }
    }
    let _ = fs::remove_file(vm.overlay());
    if vm.index > 0 {
        let _ = fs::remove_dir_all(vm.run_dir());
    }
    Ok(())
}

/// What the VM is doing: process, dockerd, image, cache.
#[derive(Debug, Clone)]
pub struct VmStatus {
    pub dir: PathBuf,
    pub docker_host: String,
    /// `lab VM`, `lab VM 2`, ...
    pub name: String,
    /// Its address on the underlay that joins the lab VMs of a group.
    pub underlay: std::net::Ipv4Addr,
    /// qemu pid when running.
    pub pid: Option<u32>,
    /// Why a leftover pidfile was not considered running (dead pid, not our qemu).
    pub stale: Option<String>,
    /// The running qemu's memory (as given to `-m`) and vCPUs.
    pub resources: Option<(String, u32)>,
    /// dockerd `Version` and `KernelVersion` when it answers.
    pub docker_version: Option<String>,
    pub kernel_version: Option<String>,
    /// Each lab image the VM should serve, and what dockerd has of it.
    pub images: Vec<ImageStatus>,
    /// Disk blocks used by build/base.raw and build/warm.qcow2, when they exist.
    pub base_bytes: Option<u64>,
    pub warm_bytes: Option<u64>,
}

impl VmStatus {
    pub fn running(&self) -> bool {
        self.pid.is_some()
    }
    pub fn docker_ready(&self) -> bool {
        self.docker_version.is_some()
    }
    pub fn image_present(&self) -> bool {
        self.images.iter().all(|i| i.id.is_some())
    }
}

/// A lab image as dockerd has it.
#[derive(Debug, Clone)]
pub struct ImageStatus {
    pub name: &'static str,
    /// Image id when dockerd has it.
    pub id: Option<String>,
    pub size: Option<u64>,
    /// The `mplsrepl.frr` label: the FRR version in it.
    pub frr: Option<String>,
}

impl fmt::Display for VmStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pid {
            Some(pid) => writeln!(f, "{}: running (qemu pid {pid})", self.name)?,
            None => writeln!(f, "{}: stopped", self.name)?,
        }
        if let Some(why) = &self.stale {
            writeln!(f, "  stale pidfile: {why}")?;
        }
        if self.pid.is_some() {
            writeln!(f, "  DOCKER_HOST={}", self.docker_host)?;
            if let Some((mem, cpus)) = &self.resources {
                writeln!(
                    f,
                    "  memory {mem}, {cpus} vCPU{} (`vm down`, then `vm up --memory SIZE --cpus N` to change)",
                    if *cpus == 1 { "" } else { "s" }
                )?;
            }
            writeln!(
                f,
                "  underlay: {} (eth1, MTU {}: a 1600-byte core link in VXLAN is 1650)",
                self.underlay,
                qemu::UNDERLAY_MTU
            )?;
            match (&self.docker_version, &self.kernel_version) {
                (Some(v), Some(k)) => writeln!(f, "  dockerd: {v} (VM kernel {k})")?,
                (Some(v), None) => writeln!(f, "  dockerd: {v}")?,
                _ => writeln!(f, "  dockerd: not answering (yet)")?,
            }
            if self.docker_version.is_some() {
                for img in &self.images {
                    match &img.id {
                        Some(id) => writeln!(
                            f,
                            "  image {}: FRR {}, {}{}",
                            img.name,
                            img.frr.as_deref().unwrap_or("?"),
                            id.strip_prefix("sha256:")
                                .unwrap_or(id)
                                .get(..12)
                                .unwrap_or(id),
                            img.size.map(|s| format!(", {}", mb(s))).unwrap_or_default()
                        )?,
                        None => writeln!(f, "  image {}: missing", img.name)?,
                    }
                }
            }
        }
        let size = |b: Option<u64>| b.map(mb).unwrap_or_else(|| "missing".into());
        write!(
            f,
            "  cache: {} (base.raw {}, warm.qcow2 {})",
            self.dir.display(),
            size(self.base_bytes),
            size(self.warm_bytes)
        )
    }
}

/// A memory size as qemu's `-m` takes it (`4G`, `6144M`, `6144` in MiB), in MiB; at least 1 GiB
/// (the VM's dockerd and a small lab) and at most 1 TiB.
pub fn parse_memory(size: &str) -> std::result::Result<u64, String> {
    let t = size.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "M"),
    };
    let factor = match unit.to_ascii_uppercase().as_str() {
        "M" | "MB" | "MIB" => 1,
        "G" | "GB" | "GIB" => 1024,
        _ => {
            return Err(format!(
                "`{size}` is not a memory size: write it like 6G or 6144M"
            ))
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{size}` is not a memory size: write it like 6G or 6144M"))?;
    let mib = n.saturating_mul(factor);
    if !(1024..=1024 * 1024).contains(&mib) {
        return Err(format!("`{size}`: the lab VM takes 1G to 1024G of memory"));
    }
    Ok(mib)
}

/// Report the VM's state; never starts or stops anything.
pub fn status(cfg: &VmConfig) -> Result<VmStatus> {
    cfg.check()?;
    let (pid, stale) = match host::probe(&cfg.pidfile()) {
        (host::PidState::Running(pid), false) => (Some(pid), None),
        (host::PidState::Running(pid), true) => (
            Some(pid),
            Some(format!("lost; qemu pid {pid} found by its command line")),
        ),
        (host::PidState::Stale(why), _) => (None, Some(why)),
        (host::PidState::Absent, _) => (None, None),
    };
    // a running VM answers on the port it was started with
    let port = pid.and_then(host::qemu_port).unwrap_or(cfg.port);
    let mut st = VmStatus {
        dir: cfg.dir.clone(),
        docker_host: format!("tcp://127.0.0.1:{port}"),
        underlay: cfg.underlay_address(),
        name: cfg.name(),
        pid,
        stale,
        resources: pid.and_then(host::qemu_resources),
        docker_version: None,
        kernel_version: None,
        images: Vec::new(),
        base_bytes: host::disk_usage(&cfg.build_dir().join("base.raw")),
        warm_bytes: host::disk_usage(&cfg.build_dir().join("warm.qcow2")),
    };
    if pid.is_some() {
        let docker = docker::Docker::new(port);
        if let Ok(v) = docker.version() {
            st.docker_version = Some(v["Version"].as_str().unwrap_or("?").to_string());
            st.kernel_version = v["KernelVersion"].as_str().map(str::to_string);
            let names = images::IMAGES
                .iter()
                .map(|i| i.name)
                .chain([images::LATEST]);
            for name in names {
                let img = docker.image_inspect(name).ok().flatten();
                let img = img.as_ref();
                st.images.push(ImageStatus {
                    name,
                    id: img.and_then(|i| i["Id"].as_str().map(str::to_string)),
                    size: img.and_then(|i| i["Size"].as_u64()),
                    frr: img.and_then(|i| {
                        i["Config"]["Labels"][images::FRR_LABEL]
                            .as_str()
                            .map(str::to_string)
                    }),
                });
            }
        }
    }
    Ok(st)
}

/// Run `cmd` as root in the VM (bash, stdin /dev/null) through the ttyS1 serial console and
/// return its output (stdout and stderr merged, `\r` removed). A non-zero exit status is an error
/// carrying the output; use [`shell_status`] to get the status instead.
pub fn shell(cfg: &VmConfig, cmd: &str, timeout: Duration) -> Result<String> {
    let out = shell_status(cfg, cmd, timeout)?;
    if out.status != 0 {
        bail!(
            "`{cmd}` in the lab VM exited with status {}{}",
            out.status,
            match out.output.trim_end() {
                "" => " (no output)".to_string(),
                o => format!(":\n{o}"),
            }
        );
    }
    Ok(out.output)
}

/// Like [`shell`], but returns the exit status with the output.
pub fn shell_status(cfg: &VmConfig, cmd: &str, timeout: Duration) -> Result<ShellOutput> {
    cfg.check()?;
    if !matches!(host::probe(&cfg.pidfile()).0, host::PidState::Running(_)) {
        bail!("the lab VM is not running (start it with `mplsrepl vm up`)");
    }
    serial::run(&cfg.serial_sock(), cmd, timeout)
}

// ---------------------------------------------------------------- helpers shared by the parts

/// Progress lines: to the caller's callback and, timestamped, to `vm.log`.
pub(crate) struct Progress<'a> {
    sink: &'a dyn Fn(&str),
    log: Option<PathBuf>,
}

impl<'a> Progress<'a> {
    fn new(cfg: &VmConfig, sink: &'a dyn Fn(&str)) -> Progress<'a> {
        Progress {
            sink,
            log: Some(cfg.dir.join("vm.log")),
        }
    }

    pub(crate) fn line(&self, msg: &str) {
        tracing::debug!(target: "mplsrepl::vm", "{msg}");
        (self.sink)(msg);
        if let Some(path) = &self.log {
            if fs::create_dir_all(path.parent().unwrap_or(Path::new("."))).is_ok() {
                if let Ok(mut f) = fs::OpenOptions::new().create(true).append(true).open(path) {
                    use std::io::Write;
                    let _ = writeln!(f, "[{}] {msg}", host::utc_timestamp());
                }
            }
        }
    }

    /// Run a phase: prints `what…` before, `what… done in N s` after (or fails with context).
    pub(crate) fn phase<T>(&self, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.phase_note(what, || Ok((f()?, String::new())))
    }

    /// Like [`Progress::phase`]; the closure's note is appended: `… done in 3.1 s (656 MB used)`.
    pub(crate) fn phase_note<T>(
        &self,
        what: &str,
        f: impl FnOnce() -> Result<(T, String)>,
    ) -> Result<T> {
        self.line(&format!("{what}…"));
        let t = Instant::now();
        let (r, note) =
            f().with_context(|| format!("{what} failed after {}", secs(t.elapsed())))?;
        let note = if note.is_empty() {
            note
        } else {
            format!(" ({note})")
        };
        self.line(&format!("{what}… done in {}{note}", secs(t.elapsed())));
        Ok(r)
    }
}

/// Exclusive lock on `DIR/lock` for build/up/down (another mplsrepl may be busy with the VM).
fn lock(cfg: &VmConfig, log: &Progress) -> Result<File> {
    fs::create_dir_all(&cfg.dir)
        .with_context(|| format!("cannot create the VM cache dir {}", cfg.dir.display()))?;
    let path = cfg.dir.join("lock");
    let f = File::create(&path).with_context(|| format!("cannot open {}", path.display()))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            log.line(&format!(
                "waiting for another mplsrepl using the lab VM (lock {})…",
                path.display()
            ));
            f.lock()
                .with_context(|| format!("cannot lock {}", path.display()))?;
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
    Ok(f)
}

pub(crate) fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

pub(crate) fn mb(bytes: u64) -> String {
    format!("{} MB", (bytes + 500_000) / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_are_read_as_qemu_takes_them() {
        assert_eq!(parse_memory("4G"), Ok(4096));
        assert_eq!(parse_memory("6144M"), Ok(6144));
        assert_eq!(parse_memory("8192"), Ok(8192));
        assert_eq!(parse_memory(" 8gib "), Ok(8192));
        assert!(parse_memory("512M").unwrap_err().contains("1G to 1024G"));
        assert!(parse_memory("4T").is_err());
        assert!(parse_memory("G").is_err());
        assert!(parse_memory("99999999999999999999G").is_err());
        let mut cfg = VmConfig::new("/tmp/x");
        cfg.set_memory("8192M").unwrap();
        assert_eq!((cfg.mem().as_str(), cfg.mem_mib), ("8G", 8192));
        cfg.set_memory("6500M").unwrap();
        assert_eq!(cfg.mem(), "6500M");
    }
}
