//! Packet captures through the routers' kept shells (see shell.rs): tcpdump runs in the
//! background of a short command and writes a pcap file in the router, and a second command
//! stops it and reads the file back. A Docker exec per capture cost 0.4-1.4 s on the lab VM;
//! a line to a kept shell costs a few milliseconds.
//!
//! A capture must not outlive mplsrepl: tcpdump runs under `timeout`, so one that nobody
//! stops (mplsrepl killed mid-capture) ends by itself after [`CAPTURE_LIMIT`].

use std::time::Duration;

use anyhow::{anyhow, bail, Context};

use super::shell::{shell_word, ShellPool};

/// The longest a capture may run; stopping it later is an error that says so.
pub const CAPTURE_LIMIT: Duration = Duration::from_secs(600);

/// A capture listening in a router: its container and working directory there.
pub struct RunningCapture {
    container: String,
    dir: String,
}

/// The start command: tcpdump listening on the interface before it returns. Immediate mode
/// hands each packet over at once rather than at the kernel's buffer timeout, which loses
/// the end of short captures. On failure, tcpdump's own words are the error.
pub fn start_script(dir: &str, interface: &str, filter: &str) -> String {
    let (interface, filter) = (shell_word(interface), shell_word(filter));
    format!(
        "d={dir}; mkdir -p $d || exit 1\n\
         im=; tcpdump --help 2>&1 | grep -q immediate-mode && im=--immediate-mode\n\
         timeout {limit} tcpdump $im -i {interface} -U -n -w $d/pcap {filter} </dev/null >/dev/null 2>$d/log &\n\
         pid=$!; echo $pid > $d/pid\n\
         {GONE}\n\
         i=0; until grep -q 'listening on' $d/log 2>/dev/null; do\n\
         \x20 if gone; then cat $d/log >&2; rm -rf $d; exit 1; fi\n\
         \x20 i=$((i+1)); [ $i -le 300 ] || {{ kill $pid; rm -rf $d; echo 'tcpdump did not start within 15 s' >&2; exit 1; }}\n\
         \x20 sleep 0.05\n\
         done",
        limit = CAPTURE_LIMIT.as_secs(),
    )
}

/// Whether the capture's process has ended (a zombie has, should no init reap it).
const GONE: &str =
    "gone() { [ ! -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status 2>/dev/null; }";

/// The stop command: tcpdump ends on SIGTERM with a complete file, printed as hex bytes
/// (binary would have to share the shell's stream with its framing marks).
pub fn stop_script(dir: &str) -> String {
    format!(
        "d={dir}; pid=$(cat $d/pid) || exit 1\n\
         {GONE}\n\
         if gone; then echo \"tcpdump had already ended (it runs {limit} s at most):\" >&2; cat $d/log >&2; rm -rf $d; exit 1; fi\n\
         kill -TERM $pid\n\
         i=0; until gone; do i=$((i+1)); [ $i -le 400 ] || {{ kill -9 $pid; rm -rf $d; echo 'tcpdump did not stop within 20 s' >&2; exit 1; }}; sleep 0.05; done\n\
         od -An -v -tx1 $d/pcap; rc=$?; rm -rf $d; exit $rc",
        limit = CAPTURE_LIMIT.as_secs(),
    )
}

/// Bytes from `od -An -v -tx1` output.
pub fn parse_hex(text: &str) -> anyhow::Result<Vec<u8>> {
    text.split_ascii_whitespace()
        .map(|h| u8::from_str_radix(h, 16).map_err(|_| anyhow!("not a hex byte: {h:?}")))
        .collect()
}

/// Start tcpdump in the container and wait until it listens: packets sent before would be
/// missed.
pub async fn start(
    shells: &ShellPool,
    container: &str,
    interface: &str,
    filter: &str,
    token: &str,
) -> anyhow::Result<RunningCapture> {
    let dir = format!("/tmp/mplsrepl-capture-{token}");
    let script = start_script(&dir, interface, filter);
    let (code, _, err) = shells.run_script(container, script).await?;
    if code != 0 {
        bail!(
            "tcpdump on {interface} did not start: {}",
            String::from_utf8_lossy(&err).trim()
        );
    }
    Ok(RunningCapture {
        container: container.to_string(),
        dir,
    })
}

/// Stop a capture; its pcap file's bytes.
pub async fn stop(shells: &ShellPool, capture: RunningCapture) -> anyhow::Result<Vec<u8>> {
    let script = stop_script(&capture.dir);
    let (code, out, err) = shells.run_script(&capture.container, script).await?;
    if code != 0 {
        bail!("{}", String::from_utf8_lossy(&err).trim());
    }
    parse_hex(&String::from_utf8_lossy(&out)).context("reading the pcap file")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for tcpdump on the host: writes `PCAP` to its -w file, says it listens,
    /// then runs until SIGTERM (or does what `body` says).
    fn fake_tcpdump(dir: &std::path::Path, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let bin = dir.join("tcpdump");
        std::fs::write(
            &bin,
            format!(
                "#!/bin/sh\n[ \"$1\" = --help ] && exit 0\n\
                 while [ $# -gt 0 ]; do [ \"$1\" = -w ] && out=$2; shift; done\n{body}\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        format!(
            "{}:{}",
            dir.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    fn tempdir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("mplsrepl-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn sh_with(path: &str, script: &str) -> std::process::Output {
        std::process::Command::new("sh")
            .args(["-c", script])
            .env("PATH", path)
            .output()
            .unwrap()
    }

    #[test]
    fn a_capture_listens_then_stops_with_its_complete_file() {
        let dir = tempdir("cap-stop");
        let path = fake_tcpdump(
            &dir,
            "trap 'printf \"\\001\\377\" >> $out; exit 0' TERM\nprintf 'PCAP' > $out\n\
             echo 'listening on eth0' >&2\nwhile :; do sleep 0.05; done",
        );
        let work = dir.join("work").display().to_string();
        let started = sh_with(&path, &start_script(&work, "eth0", "icmp"));
        assert!(started.status.success(), "{started:?}");
        let stopped = sh_with(&path, &stop_script(&work));
        assert!(stopped.status.success(), "{stopped:?}");
        let bytes = parse_hex(&String::from_utf8_lossy(&stopped.stdout)).unwrap();
        assert_eq!(bytes, b"PCAP\x01\xff", "written after SIGTERM too");
        assert!(
            !std::path::Path::new(&work).exists(),
            "its files are removed"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_tcpdump_that_fails_is_the_error_at_once() {
        let dir = tempdir("cap-fail");
        let path = fake_tcpdump(
            &dir,
            "echo 'tcpdump: eth9: No such device exists' >&2; exit 1",
        );
        let work = dir.join("work").display().to_string();
        let clock = std::time::Instant::now();
        let started = sh_with(&path, &start_script(&work, "eth9", "icmp"));
        assert_eq!(started.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&started.stderr).contains("No such device"));
        assert!(
            clock.elapsed() < Duration::from_secs(5),
            "not the 15 s wait"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn stopping_a_capture_that_already_ended_says_so() {
        let dir = tempdir("cap-ended");
        let path = fake_tcpdump(&dir, "echo 'listening on eth0' >&2; sleep 0.1");
        let work = dir.join("work").display().to_string();
        assert!(sh_with(&path, &start_script(&work, "eth0", "icmp"))
            .status
            .success());
        std::thread::sleep(Duration::from_millis(1500));
        let stopped = sh_with(&path, &stop_script(&work));
        assert_eq!(stopped.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&stopped.stderr).contains("had already ended"));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn hex_bytes_parse_and_garbage_does_not() {
        assert_eq!(
            parse_hex(" d4 c3 b2 a1\n 02 00\n").unwrap(),
            vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0]
        );
        assert!(parse_hex("d4 zz").is_err());
    }
}
