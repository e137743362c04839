//! Host probing: accelerator choice, our qemu's pid, ports, tools, root, mounts. The parsing is
//! kept in pure functions (unit-tested); the thin wrappers read /proc, /sys and /dev.

use std::fs;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

// ---------------------------------------------------------------- accelerator

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accel {
    Kvm,
    Tcg,
}

/// True when a `flags` line of /proc/cpuinfo has `vmx` (Intel VT-x) or `svm` (AMD-V).
pub(crate) fn cpu_has_virt(cpuinfo: &str) -> bool {
    cpuinfo
        .lines()
        .filter(|l| l.starts_with("flags"))
        .filter_map(|l| l.split_once(':'))
        .any(|(_, flags)| flags.split_whitespace().any(|f| f == "vmx" || f == "svm"))
}

/// `auto` picks KVM only when /dev/kvm is usable, the CPU has VT-x/AMD-V and /dev/kvm is not
/// kvm_pvm: PVM runs a stock kernel ~1000x slower and then dies with a KVM internal error (see
/// vm/build.sh's origin, the labvm recipe), so TCG is the better choice there.
pub(crate) fn choose_accel(
    setting: &str,
    kvm_usable: bool,
    pvm_loaded: bool,
    cpuinfo: &str,
) -> Result<Accel> {
    match setting {
        "kvm" => Ok(Accel::Kvm),
        "tcg" => Ok(Accel::Tcg),
        "auto" | "" => Ok(if kvm_usable && !pvm_loaded && cpu_has_virt(cpuinfo) {
            Accel::Kvm
        } else {
            Accel::Tcg
        }),
        other => bail!("invalid accelerator {other:?} (MPLSREPL_VM_ACCEL): use auto, kvm or tcg"),
    }
}

pub(crate) fn detect_accel(setting: &str) -> Result<Accel> {
    let kvm_usable = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok();
    let pvm_loaded = Path::new("/sys/module/kvm_pvm").is_dir();
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    choose_accel(setting, kvm_usable, pvm_loaded, &cpuinfo)
}

/// qemu arguments for the accelerator (same as the recipe).
pub(crate) fn accel_args(accel: Accel, cpu: &str) -> Vec<String> {
    match accel {
        Accel::Kvm => vec!["-accel".into(), "kvm".into(), "-cpu".into(), "host".into()],
        Accel::Tcg => vec![
            "-accel".into(),
            "tcg,thread=multi".into(),
            "-cpu".into(),
            cpu.into(),
        ],
    }
}

// ---------------------------------------------------------------- our qemu pid

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PidState {
    /// No pidfile.
    Absent,
    /// The pid is alive and is a qemu started with this very pidfile.
    Running(u32),
    /// Leftover pidfile: why it does not count.
    Stale(String),
}

pub(crate) fn parse_pidfile(content: &str) -> Option<u32> {
    content.trim().parse::<u32>().ok().filter(|&p| p > 1)
}

/// The state letter of /proc/PID/stat (`R`, `S`, `Z`...): after the last `)` (comm may hold
/// spaces and parentheses).
pub(crate) fn proc_state(stat: &str) -> Option<char> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.trim_start().chars().next()
}

/// True when a NUL-separated /proc/PID/cmdline is a qemu-system-* run with `-pidfile PIDFILE`.
pub(crate) fn is_our_qemu(cmdline: &[u8], pidfile: &Path) -> bool {
    let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
    let Some(argv0) = args.first() else {
        return false;
    };
    let exe = argv0.rsplit(|&b| b == b'/').next().unwrap_or(argv0);
    if !exe.starts_with(b"qemu-system") {
        return false;
    }
    let want = pidfile.as_os_str().as_encoded_bytes();
    args.windows(2).any(|w| w[0] == b"-pidfile" && w[1] == want)
}

/// The host port of `hostfwd=tcp:127.0.0.1:PORT-:2375` in a NUL-separated qemu cmdline.
pub(crate) fn hostfwd_port(cmdline: &[u8]) -> Option<u16> {
    cmdline
        .split(|&b| b == 0)
        .filter_map(|a| std::str::from_utf8(a).ok())
        .filter_map(|a| a.split_once("hostfwd=tcp:127.0.0.1:"))
        .find_map(|(_, rest)| rest.split_once("-:2375").and_then(|(p, _)| p.parse().ok()))
}

/// The dockerd port our running qemu (pid) forwards, from its command line.
pub(crate) fn qemu_port(pid: u32) -> Option<u16> {
    hostfwd_port(&fs::read(format!("/proc/{pid}/cmdline")).ok()?)
}

/// The memory (`-m`, as given) and vCPUs (`-smp`) on a qemu command line.
pub(crate) fn qemu_resources_of(cmdline: &[u8]) -> Option<(String, u32)> {
    let args: Vec<&str> = cmdline
        .split(|&b| b == 0)
        .filter_map(|a| std::str::from_utf8(a).ok())
        .collect();
    let after = |flag: &str| {
        args.windows(2)
            .find(|w| w[0] == flag)
            .map(|w| w[1].to_string())
    };
    let smp = after("-smp")?;
    let smp = smp
        .split(',')
        .next()?
        .trim_start_matches("cpus=")
        .parse()
        .ok()?;
    Some((after("-m")?, smp))
}

/// What our running qemu (pid) was given: memory and vCPUs.
pub(crate) fn qemu_resources(pid: u32) -> Option<(String, u32)> {
    qemu_resources_of(&fs::read(format!("/proc/{pid}/cmdline")).ok()?)
}

/// The host's available memory in MiB (`MemAvailable` of /proc/meminfo).
pub(crate) fn available_memory_mib() -> Option<u64> {
    let text = fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Decide from the pidfile content and what /proc says about that pid (None = no such process).
pub(crate) fn classify_pid(
    pidfile_content: Option<&str>,
    stat: Option<&str>,
    cmdline: Option<&[u8]>,
    pidfile: &Path,
) -> PidState {
    let Some(content) = pidfile_content else {
        return PidState::Absent;
    };
    let Some(pid) = parse_pidfile(content) else {
        return PidState::Stale(format!("unreadable pid {:?}", content.trim()));
    };
    match (stat.and_then(proc_state), cmdline) {
        (None, _) => PidState::Stale(format!("pid {pid} is gone")),
        (Some('Z' | 'X'), _) => PidState::Stale(format!("pid {pid} has exited (zombie)")),
        (Some(_), Some(cmd)) if is_our_qemu(cmd, pidfile) => PidState::Running(pid),
        (Some(_), _) => PidState::Stale(format!(
            "pid {pid} is not our qemu (pid reused by another process)"
        )),
    }
}

/// What the pidfile says (see [`classify_pid`]), without looking for orphans.
pub(crate) fn probe_pidfile(pidfile: &Path) -> PidState {
    let content = match fs::read_to_string(pidfile) {
        Ok(c) => c,
        Err(_) => return PidState::Absent,
    };
    let pid = parse_pidfile(&content);
    let stat = pid.and_then(|p| fs::read_to_string(format!("/proc/{p}/stat")).ok());
    let cmdline = pid.and_then(|p| fs::read(format!("/proc/{p}/cmdline")).ok());
    classify_pid(Some(&content), stat.as_deref(), cmdline.as_deref(), pidfile)
}

/// The pidfile's state, or else a live qemu started with `-pidfile PIDFILE` whose pidfile got
/// lost or overwritten (an orphan: returned as `(Running(pid), true)`).
pub(crate) fn probe(pidfile: &Path) -> (PidState, bool) {
    let st = probe_pidfile(pidfile);
    if matches!(st, PidState::Running(_)) {
        return (st, false);
    }
    match find_our_qemu(pidfile) {
        Some(pid) => (PidState::Running(pid), true),
        None => (st, false),
    }
}

/// Scan /proc for a live qemu-system-* whose command line has `-pidfile PIDFILE`.
pub(crate) fn find_our_qemu(pidfile: &Path) -> Option<u32> {
    fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|&pid| {
            fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| is_our_qemu(&c, pidfile))
                && pid_alive(pid)
        })
}

/// Alive = /proc/PID exists and is not a zombie.
pub(crate) fn pid_alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| proc_state(&s))
        .is_some_and(|c| c != 'Z' && c != 'X')
}

/// Send a signal with kill(1) (no libc dependency); only ever called on our qemu's pid.
pub(crate) fn signal(pid: u32, sig: &str) -> bool {
    std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

// ---------------------------------------------------------------- port

/// True when something already listens on 127.0.0.1:port (our bind fails with EADDRINUSE).
pub(crate) fn port_in_use(port: u16) -> bool {
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => false,
        Err(e) => e.kind() == ErrorKind::AddrInUse,
    }
}

// ---------------------------------------------------------------- tools, root, mounts

/// Find an executable in PATH, plus the sbin dirs a non-root PATH often lacks.
pub(crate) fn which(cmd: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(cmd))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0))
}

/// Effective uid from /proc/self/status (`Uid:  real  effective  saved  fs`).
pub(crate) fn parse_euid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
}

pub(crate) fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| parse_euid(&s))
        == Some(0)
}

/// Mount points at or below `dir`, from /proc/mounts text.
pub(crate) fn mounts_under(mounts: &str, dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy();
    let dir = dir.trim_end_matches('/');
    mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|m| m.replace("\\040", " "))
        .filter(|m| m == dir || m.starts_with(&format!("{dir}/")))
        .collect()
}

/// Bytes of disk actually used (sparse files count only allocated blocks).
pub(crate) fn disk_usage(path: &Path) -> Option<u64> {
    fs::metadata(path).ok().map(|m| m.blocks() * 512)
}

/// Bytes used by a directory tree (`du -sb`), for reporting sizes.
pub(crate) fn dir_size(path: &Path) -> Option<u64> {
    let out = std::process::Command::new("du")
        .arg("-sb")
        .arg(path)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The last `n` lines of a text file ("" if unreadable).
pub(crate) fn tail_lines(path: &Path, n: usize) -> String {
    let text = match fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).replace('\r', ""),
        Err(_) => return String::new(),
    };
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `YYYY-MM-DD HH:MM:SS` UTC (for vm.log), without a date crate.
pub(crate) fn utc_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // civil-from-days (Howard Hinnant)
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTEL: &str = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse vmx sse2 hypervisor\n\nprocessor\t: 1\nflags\t\t: fpu vmx\n";
    const AMD: &str = "processor\t: 0\nflags\t\t: fpu svm lm\n";
    const NOVIRT: &str =
        "processor\t: 0\nflags\t\t: fpu vme vmxnet_like sse2 hypervisor\nbugs\t\t: vmx_gone\n";

    #[test]
    fn cpu_virt_flags() {
        assert!(cpu_has_virt(INTEL));
        assert!(cpu_has_virt(AMD));
        assert!(!cpu_has_virt(NOVIRT), "whole words on flags lines only");
        assert!(!cpu_has_virt(""));
    }

    #[test]
    fn accel_auto_needs_usable_kvm_not_pvm_and_vt() {
        assert_eq!(
            choose_accel("auto", true, false, INTEL).unwrap(),
            Accel::Kvm
        );
        assert_eq!(choose_accel("auto", true, false, AMD).unwrap(), Accel::Kvm);
        assert_eq!(
            choose_accel("auto", true, true, INTEL).unwrap(),
            Accel::Tcg,
            "kvm_pvm"
        );
        assert_eq!(
            choose_accel("auto", false, false, INTEL).unwrap(),
            Accel::Tcg
        );
        assert_eq!(
            choose_accel("auto", true, false, NOVIRT).unwrap(),
            Accel::Tcg
        );
        assert_eq!(
            choose_accel("kvm", false, true, "").unwrap(),
            Accel::Kvm,
            "forced"
        );
        assert_eq!(choose_accel("tcg", true, false, INTEL).unwrap(), Accel::Tcg);
        let e = choose_accel("hvf", true, false, INTEL)
            .unwrap_err()
            .to_string();
        assert!(e.contains("MPLSREPL_VM_ACCEL"), "{e}");
    }

    #[test]
    fn accel_qemu_args() {
        assert_eq!(
            accel_args(Accel::Kvm, "max").join(" "),
            "-accel kvm -cpu host"
        );
        assert_eq!(
            accel_args(Accel::Tcg, "max").join(" "),
            "-accel tcg,thread=multi -cpu max"
        );
    }

    #[test]
    fn proc_stat_state() {
        assert_eq!(proc_state("1234 (qemu-system-x86) S 1 2 3"), Some('S'));
        assert_eq!(proc_state("1234 (we ird) (name)) Z 1 2"), Some('Z'));
        assert_eq!(proc_state("garbage"), None);
    }

    fn cmdline(args: &[&str]) -> Vec<u8> {
        let mut v = args.join("\0").into_bytes();
        v.push(0);
        v
    }

    #[test]
    fn stale_pid_logic() {
        let pf = Path::new("/c/vm/run/qemu.pid");
        let ours = cmdline(&[
            "qemu-system-x86_64",
            "-m",
            "4G",
            "-pidfile",
            "/c/vm/run/qemu.pid",
            "-daemonize",
        ]);
        let other_qemu = cmdline(&["/usr/bin/qemu-system-x86_64", "-pidfile", "/x/qemu.pid"]);
        let bash = cmdline(&["/bin/bash", "-pidfile", "/c/vm/run/qemu.pid"]);
        let alive = Some("4242 (qemu-system-x86) S 1 4242");
        let zombie = Some("4242 (qemu-system-x86) Z 1 4242");

        assert_eq!(classify_pid(None, None, None, pf), PidState::Absent);
        assert_eq!(
            classify_pid(Some("4242\n"), alive, Some(&ours), pf),
            PidState::Running(4242)
        );
        let stale = |s: PidState| matches!(s, PidState::Stale(_));
        assert!(
            stale(classify_pid(Some("4242\n"), None, None, pf)),
            "dead pid"
        );
        assert!(
            stale(classify_pid(Some("4242"), zombie, Some(&ours), pf)),
            "zombie"
        );
        assert!(
            stale(classify_pid(Some("4242"), alive, Some(&other_qemu), pf)),
            "other qemu"
        );
        assert!(
            stale(classify_pid(Some("4242"), alive, Some(&bash), pf)),
            "not qemu"
        );
        assert!(
            stale(classify_pid(Some("4242"), alive, None, pf)),
            "no cmdline"
        );
        assert!(
            stale(classify_pid(Some(""), None, None, pf)),
            "empty pidfile"
        );
        assert!(
            stale(classify_pid(Some("1"), alive, Some(&ours), pf)),
            "pid 1 never"
        );
        assert!(stale(classify_pid(Some("x1"), None, None, pf)));
    }

    #[test]
    fn hostfwd_port_from_cmdline() {
        let c = cmdline(&[
            "qemu-system-x86_64",
            "-netdev",
            "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:23760-:2375",
            "-device",
            "virtio-net-pci,netdev=n0",
        ]);
        assert_eq!(hostfwd_port(&c), Some(23760));
        assert_eq!(
            hostfwd_port(&cmdline(&["qemu-system-x86_64", "-m", "4G"])),
            None
        );
    }

    #[test]
    fn memory_and_vcpus_from_cmdline() {
        let c = cmdline(&[
            "qemu-system-x86_64",
            "-m",
            "6144M",
            "-smp",
            "2",
            "-nographic",
        ]);
        assert_eq!(qemu_resources_of(&c), Some(("6144M".to_string(), 2)));
        assert_eq!(qemu_resources_of(&cmdline(&["qemu-system-x86_64"])), None);
    }

    #[test]
    fn probe_pidfile_on_disk() {
        let dir = std::env::temp_dir().join(format!("mplsrepl-vm-pid-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let pf = dir.join("qemu.pid");
        assert_eq!(probe_pidfile(&pf), PidState::Absent);
        // our own pid is alive but is not a qemu with this pidfile
        fs::write(&pf, format!("{}\n", std::process::id())).unwrap();
        assert!(matches!(probe_pidfile(&pf), PidState::Stale(w) if w.contains("not our qemu")));
        fs::write(&pf, "4194304999\n").unwrap();
        assert!(matches!(probe_pidfile(&pf), PidState::Stale(w) if w.contains("gone")));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn port_in_use_detection() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(port_in_use(port));
        drop(l);
        assert!(!port_in_use(port));
    }

    #[test]
    fn euid_parsing() {
        let s = "Name:\tcat\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(parse_euid(s), Some(0));
        assert_eq!(parse_euid("Uid:\t1000\t1000\t1000\t1000\n"), Some(1000));
        assert_eq!(parse_euid("Name: x\n"), None);
    }

    #[test]
    fn mounts_below_rootfs() {
        let m = "proc /proc proc rw 0 0\nproc /c/build/rootfs/proc proc rw 0 0\n\
                 udev /c/build/rootfs/dev devtmpfs rw 0 0\nx /c/build/rootfs2 ext4 rw 0 0\n";
        let got = mounts_under(m, Path::new("/c/build/rootfs"));
        assert_eq!(got, vec!["/c/build/rootfs/proc", "/c/build/rootfs/dev"]);
        assert!(mounts_under(m, Path::new("/elsewhere")).is_empty());
    }

    #[test]
    fn tail_and_timestamp() {
        let p = std::env::temp_dir().join(format!("mplsrepl-vm-tail-{}", std::process::id()));
        fs::write(&p, "a\r\nb\nc\nd\n").unwrap();
        assert_eq!(tail_lines(&p, 2), "c\nd");
        assert_eq!(tail_lines(&p, 10), "a\nb\nc\nd");
        fs::remove_file(&p).unwrap();
        assert_eq!(tail_lines(Path::new("/nonexistent/x"), 3), "");
        let ts = utc_timestamp();
        assert_eq!(ts.len(), 19, "{ts}");
        assert!(ts.starts_with("20"), "{ts}");
    }
}
