//! Boot, wait for and stop our qemu (same arguments as the labvm recipe).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::host::{self, PidState};
use super::{secs, serial, Progress, VmConfig};

/// The underlay's multicast port is the first VM's dockerd port plus this.
const UNDERLAY_PORT_OFFSET: u16 = 1000;
/// The underlay NIC's MTU (`eth1` in the guest): a 1600-byte core link in VXLAN is 1650.
pub(crate) const UNDERLAY_MTU: u32 = 1700;

/// Our qemu's pid if it runs; a stale pidfile (dead pid, zombie, not our qemu) is removed.
/// An orphan (a qemu of ours whose pidfile was lost or overwritten) gets its pidfile back.
pub(crate) fn running(cfg: &VmConfig, log: &Progress) -> Result<Option<u32>> {
    match host::probe(&cfg.pidfile()) {
        (PidState::Running(pid), true) => {
            log.line(&format!(
                "found our qemu (pid {pid}) without a valid pidfile; rewriting {}",
                cfg.pidfile().display()
            ));
            fs::write(cfg.pidfile(), format!("{pid}\n"))
                .with_context(|| format!("cannot write {}", cfg.pidfile().display()))?;
            Ok(Some(pid))
        }
        (PidState::Running(pid), false) => Ok(Some(pid)),
        (PidState::Absent, _) => Ok(None),
        (PidState::Stale(why), _) => {
            log.line(&format!(
                "removing stale pidfile {} ({why})",
                cfg.pidfile().display()
            ));
            match fs::remove_file(cfg.pidfile()) {
                Ok(()) => Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => {
                    Err(e).with_context(|| format!("cannot remove {}", cfg.pidfile().display()))
                }
            }
        }
    }
}

/// Start qemu daemonized on a fresh overlay over `backing` (`fmt`: raw|qcow2); returns its pid.
pub(crate) fn start(cfg: &VmConfig, backing: &Path, fmt: &str, log: &Progress) -> Result<u32> {
    if let Some(pid) = running(cfg, log)? {
        bail!("the lab VM is already running (qemu pid {pid})");
    }
    if host::port_in_use(cfg.port) {
        bail!(
            "port 127.0.0.1:{} is already in use by another program; the lab VM forwards it to its \
             dockerd. Free it or choose another port with MPLSREPL_VM_PORT=<port>",
            cfg.port
        );
    }
    let tool = |name: &str| {
        host::which(name).with_context(|| {
            format!(
                "{name} not found: install qemu-system-x86 and qemu-utils, or run \
                 `mplsrepl vm build` as root (it installs them with apt-get)"
            )
        })
    };
    let (qemu, qemu_img) = (tool("qemu-system-x86_64")?, tool("qemu-img")?);
    let b = cfg.build_dir();
    for f in [
        backing.to_path_buf(),
        b.join("vmlinuz"),
        b.join("initrd.img"),
    ] {
        if !f.exists() {
            bail!("{} is missing: run `mplsrepl vm build`", f.display());
        }
    }
    let sock = cfg.serial_sock();
    if sock.as_os_str().len() > 100 {
        bail!(
            "the VM console socket path {} is too long for a unix socket (max ~100 bytes): \
             use a shorter MPLSREPL_VM_DIR",
            sock.display()
        );
    }
    let r = cfg.run_dir();
    if r.exists() {
        fs::remove_dir_all(&r).with_context(|| format!("cannot clean {}", r.display()))?;
    }
    fs::create_dir_all(&r).with_context(|| format!("cannot create {}", r.display()))?;

    let out = Command::new(&qemu_img)
        .args(["create", "-q", "-f", "qcow2", "-b"])
        .arg(backing)
        .args(["-F", fmt])
        .arg(cfg.overlay())
        .output()
        .context("cannot run qemu-img")?;
    if !out.status.success() {
        bail!(
            "qemu-img create {} failed: {}",
            cfg.overlay().display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }

    let accel = host::detect_accel(&cfg.accel)?;
    let accel_args = host::accel_args(accel, &cfg.cpu);
    log.line(&format!(
        "starting qemu ({}, -m {} -smp {}) on {}",
        accel_args.join(" "),
        cfg.mem(),
        cfg.smp,
        backing.file_name().unwrap_or_default().to_string_lossy()
    ));
    let p = |x: &Path| x.display().to_string();
    let append = format!(
        "console=ttyS0 root=/dev/vda rw net.ifnames=0 apparmor=0 panic=-1 {}",
        std::env::var("MPLSREPL_VM_APPEND").unwrap_or_default()
    );
    let drive = format!(
        "file={},if=virtio,format=qcow2,cache=unsafe,discard=unmap",
        p(&cfg.overlay())
    );
    // restrict=on: the guest reaches nothing outside; only the hostfwd gets in
    let net = format!(
        "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{}-:2375",
        cfg.port
    );
    // The underlay: every lab VM of the cache on one multicast group of this host's loopback
    // (nothing leaves it), each with its own MAC; the MTU leaves room for VXLAN's 50 bytes
    // over the labs' 1600-byte core links.
    let group_port = cfg.port - cfg.index as u16 + UNDERLAY_PORT_OFFSET;
    let underlay = format!("socket,id=u0,mcast=230.0.0.1:{group_port},localaddr=127.0.0.1");
    let underlay_nic = format!(
        "virtio-net-pci,netdev=u0,mac=52:54:00:00:02:{:02x},host_mtu={UNDERLAY_MTU}",
        cfg.index + 1
    );
    let opts: [(&str, String); 20] = [
        ("-m", cfg.mem()),
        ("-smp", cfg.smp.to_string()),
        ("-machine", "q35".into()),
        ("-display", "none".into()),
        ("-vga", "none".into()),
        ("-monitor", "none".into()),
        ("-serial", format!("file:{}", p(&cfg.console_log()))),
        (
            "-chardev",
            format!("socket,id=dbg,path={},server=on,wait=off", p(&sock)),
        ),
        ("-serial", "chardev:dbg".into()),
        ("-pidfile", p(&cfg.pidfile())),
        ("-kernel", p(&b.join("vmlinuz"))),
        ("-initrd", p(&b.join("initrd.img"))),
        ("-append", append.trim_end().into()),
        ("-drive", drive),
        ("-netdev", net),
        ("-device", "virtio-net-pci,netdev=n0".into()),
        ("-netdev", underlay),
        ("-device", underlay_nic),
        // Entropy from this host: VMs booted from one disk image otherwise draw the same
        // "random" numbers, such as the MAC addresses of the devices they make (two VXLAN
        // ends with one MAC drop each other's frames).
        ("-device", "virtio-rng-pci".into()),
        ("-no-reboot", String::new()),
    ];
    let mut args = accel_args;
    for (flag, value) in opts {
        args.push(flag.into());
        if !value.is_empty() {
            args.push(value);
        }
    }
    args.push("-daemonize".into());
    // stderr to a file, not a pipe: the daemonized child keeps it until it is fully set up
    let errfile = r.join("qemu.stderr");
    let err = fs::File::create(&errfile)?;
    let status = Command::new(&qemu)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .status()
        .context("cannot run qemu-system-x86_64")?;
    let stderr = fs::read_to_string(&errfile).unwrap_or_default();
    if !status.success() {
        bail!(
            "qemu-system-x86_64 failed ({status}):\n{}\n(args: {})",
            stderr.trim(),
            args.join(" ")
        );
    }
    match host::probe_pidfile(&cfg.pidfile()) {
        PidState::Running(pid) => Ok(pid),
        other => bail!(
            "qemu started but its pidfile {} says {other:?}; qemu stderr: {}\nconsole.log tail:\n{}",
            cfg.pidfile().display(),
            stderr.trim(),
            host::tail_lines(&cfg.console_log(), 20)
        ),
    }
}

/// Poll `GET /_ping` until dockerd answers; fails when qemu exits or after `cfg.wait`.
pub(crate) fn wait_ready(cfg: &VmConfig, pid: u32, started: Instant) -> Result<Duration> {
    let docker = cfg.docker();
    loop {
        if !host::pid_alive(pid) {
            bail!(
                "qemu (pid {pid}) exited during boot after {}; last lines of {}:\n{}{}",
                secs(started.elapsed()),
                cfg.console_log().display(),
                host::tail_lines(&cfg.console_log(), 20),
                stderr_note(cfg)
            );
        }
        if docker.ping().is_ok() {
            return Ok(started.elapsed());
        }
        if started.elapsed() > cfg.wait {
            bail!(
                "dockerd in the lab VM did not answer on {} within {} s (MPLSREPL_VM_WAIT); the VM \
                 is still running (qemu pid {pid}): look at `mplsrepl vm sh 'systemctl status \
                 docker'`, stop it with `mplsrepl vm down`. Last lines of {}:\n{}",
                cfg.docker_host(),
                cfg.wait.as_secs(),
                cfg.console_log().display(),
                host::tail_lines(&cfg.console_log(), 20)
            );
        }
        sleep(Duration::from_millis(500));
    }
}

fn stderr_note(cfg: &VmConfig) -> String {
    let e = fs::read_to_string(cfg.run_dir().join("qemu.stderr")).unwrap_or_default();
    if e.trim().is_empty() {
        String::new()
    } else {
        format!("\nqemu stderr:\n{}", e.trim())
    }
}

fn wait_exit(pid: u32, d: Duration) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if !host::pid_alive(pid) {
            return true;
        }
        sleep(Duration::from_millis(250));
    }
    !host::pid_alive(pid)
}

/// Clean poweroff through the ttyS1 root shell; if the VM is still up after 60 s, SIGTERM (then
/// SIGKILL) our qemu pid only. Returns whether the poweroff was clean. Keeps the overlay.
pub(crate) fn stop(cfg: &VmConfig, pid: u32, log: &Progress) -> Result<bool> {
    // the shell dies with the poweroff, so no end marker: a short timeout is expected
    let console = std::os::unix::net::UnixStream::connect(cfg.serial_sock()).is_ok();
    let grace = if console {
        let _ = serial::run(
            &cfg.serial_sock(),
            "systemctl poweroff",
            Duration::from_secs(3),
        );
        60
    } else {
        log.line("VM console socket not reachable; cannot ask the VM to power off");
        5
    };
    if wait_exit(pid, Duration::from_secs(grace)) {
        let _ = fs::remove_file(cfg.pidfile());
        return Ok(true);
    }
    // still ours? (the pid could only have been reused if qemu exited meanwhile)
    if !matches!(host::probe(&cfg.pidfile()).0, PidState::Running(p) if p == pid) {
        let _ = fs::remove_file(cfg.pidfile());
        return Ok(true);
    }
    log.line(&format!(
        "no clean poweroff within {grace} s; sending SIGTERM to qemu pid {pid}"
    ));
    host::signal(pid, "TERM");
    if !wait_exit(pid, Duration::from_secs(10)) {
        log.line(&format!("qemu pid {pid} ignored SIGTERM; sending SIGKILL"));
        host::signal(pid, "KILL");
        if !wait_exit(pid, Duration::from_secs(10)) {
            bail!("cannot stop qemu pid {pid}");
        }
    }
    let _ = fs::remove_file(cfg.pidfile());
    Ok(false)
}

/// Kill our qemu without a poweroff (used to clean up after a failed warm step).
pub(crate) fn kill(pid: u32) {
    host::signal(pid, "TERM");
    if !wait_exit(pid, Duration::from_secs(10)) {
        host::signal(pid, "KILL");
        wait_exit(pid, Duration::from_secs(5));
    }
}
