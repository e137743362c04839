//! Commands in the VM through the root shell on its second serial port (agetty --autologin root
//! on ttyS1; qemu exposes it as the unix socket run/ttyS1.sock). A port of the recipe's vmsh.py:
//! turn echo off, send the command followed by `echo __END_<tag>_$?`, read until the marker.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Output of a command run in the VM: stdout and stderr merged, `\r` removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellOutput {
    pub status: i32,
    pub output: String,
}

/// The canonical-mode tty line limit is 4096 bytes; stay well below it.
const MAX_LINE: usize = 3800;

pub(crate) fn run(sock: &Path, cmd: &str, timeout: Duration) -> Result<ShellOutput> {
    let line = command_line(cmd, &tag())?;
    let mut s = UnixStream::connect(sock)
        .with_context(|| format!("cannot connect to the VM console socket {}", sock.display()))?;
    s.set_read_timeout(Some(Duration::from_millis(200)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(b"\nstty -echo cols 250 2>/dev/null\n")?;
    drain(&mut s, Duration::from_millis(700))?;
    s.write_all(line.0.as_bytes())?;
    let end = Instant::now() + timeout;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    while Instant::now() < end {
        match s.read(&mut chunk) {
            Ok(0) => break, // qemu closed the socket (VM powered off)
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e).context("reading the VM console"),
        }
        if let Some((status, at)) = find_marker(&buf, &line.1) {
            // readline prints the newline of the (unechoed) command line
            let out = clean(&buf[..at]);
            let output = out.strip_prefix('\n').map(str::to_string).unwrap_or(out);
            return Ok(ShellOutput { status, output });
        }
    }
    // interrupt whatever is still running so the console is usable next time
    let _ = s.write_all(b"\x03\n");
    let partial = clean(&buf).trim_start_matches('\n').to_string();
    if Instant::now() < end {
        bail!("the VM console closed before `{cmd}` finished; output so far:\n{partial}");
    }
    bail!(
        "`{cmd}` did not finish in the VM within {} s (interrupted); output so far:\n{partial}",
        timeout.as_secs()
    )
}

fn drain(s: &mut UnixStream, d: Duration) -> Result<()> {
    let end = Instant::now() + d;
    let mut chunk = [0u8; 65536];
    while Instant::now() < end {
        match s.read(&mut chunk) {
            Ok(0) => bail!("the VM console socket closed"),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e).context("reading the VM console"),
        }
    }
    Ok(())
}

fn tag() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{:08x}", nanos ^ std::process::id().rotate_left(16))
}

/// The single line typed into the shell and the marker prefix that ends the output. The command
/// runs under `bash -c $'...'` (ANSI-C quoting keeps it on one line whatever it contains) with
/// stdin from /dev/null, so it cannot swallow later console input.
pub(crate) fn command_line(cmd: &str, tag: &str) -> Result<(String, String)> {
    let mut quoted = String::with_capacity(cmd.len() + 8);
    for c in cmd.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '\'' => quoted.push_str("\\'"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                quoted.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => quoted.push(c),
        }
    }
    let marker = format!("__END_{tag}_");
    let line = format!("bash -c $'{quoted}' </dev/null 2>&1; echo \"{marker}$?\"\n");
    if line.len() > MAX_LINE {
        bail!(
            "command too long for the VM console ({} bytes, max {MAX_LINE}): copy a script into \
             the VM instead",
            line.len()
        );
    }
    Ok((line, marker))
}

/// The exit status after the marker and where the marker starts. The echoed command line (if
/// echo was still on) has `$?`, not digits, after the marker, so it never matches.
pub(crate) fn find_marker(buf: &[u8], marker: &str) -> Option<(i32, usize)> {
    let m = marker.as_bytes();
    let mut from = 0;
    while let Some(pos) = buf[from..].windows(m.len()).position(|w| w == m) {
        let at = from + pos;
        let digits: Vec<u8> = buf[at + m.len()..]
            .iter()
            .copied()
            .take_while(u8::is_ascii_digit)
            .collect();
        let after = buf.get(at + m.len() + digits.len());
        if !digits.is_empty() && matches!(after, Some(b'\r' | b'\n')) {
            let status = std::str::from_utf8(&digits).ok()?.parse().ok()?;
            return Some((status, at));
        }
        from = at + 1;
    }
    None
}

/// Drop `\r` and bash's bracketed-paste toggles.
fn clean(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .replace('\r', "")
        .replace("\x1b[?2004h", "")
        .replace("\x1b[?2004l", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_one_line() {
        let (line, marker) = command_line("echo 'a b'\nls \\x", "t1").unwrap();
        assert_eq!(
            line,
            "bash -c $'echo \\'a b\\'\\nls \\\\x' </dev/null 2>&1; echo \"__END_t1_$?\"\n"
        );
        assert_eq!(marker, "__END_t1_");
        assert_eq!(line.matches('\n').count(), 1);
        assert!(command_line(&"x".repeat(5000), "t").is_err());
    }

    #[test]
    fn marker_needs_digits_and_eol() {
        let m = "__END_ab12_";
        // the echoed command (echo still on) carries `$?`, the real marker the status
        let buf =
            b"bash -c $'true'; echo \"__END_ab12_$?\"\r\nhello\r\n__END_ab12_3\r\nroot@labvm:~# ";
        let (status, at) = find_marker(buf, m).unwrap();
        assert_eq!(status, 3);
        assert!(clean(&buf[..at]).ends_with("hello\n"));
        assert_eq!(find_marker(b"out __END_ab12_", m), None, "incomplete");
        assert_eq!(
            find_marker(b"out __END_ab12_1", m),
            None,
            "digits may continue"
        );
        assert_eq!(find_marker(b"__END_ab12_0\n", m), Some((0, 0)));
    }

    #[test]
    fn clean_strips_cr_and_paste_mode() {
        assert_eq!(clean(b"\x1b[?2004la\r\nb\x1b[?2004h"), "a\nb");
    }

    /// A fake console: answers like a shell with echo off.
    #[test]
    fn run_against_fake_console() {
        let dir = std::env::temp_dir().join(format!("mplsrepl-vm-ser-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("ttyS1.sock");
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let h = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut got = Vec::new();
            let mut b = [0u8; 4096];
            while !String::from_utf8_lossy(&got).contains("$?\"\n") {
                let n = c.read(&mut b).unwrap();
                got.extend_from_slice(&b[..n]);
            }
            let text = String::from_utf8_lossy(&got).to_string();
            let marker = text
                .split("echo \"")
                .last()
                .unwrap()
                .trim_end_matches("$?\"\n");
            c.write_all(format!("\r\n6.1.0-28-cloud-amd64\r\n{marker}0\r\n# ").as_bytes())
                .unwrap();
            text
        });
        let out = run(&sock, "uname -r", Duration::from_secs(10)).unwrap();
        assert_eq!(out.status, 0);
        assert_eq!(out.output, "6.1.0-28-cloud-amd64\n");
        let sent = h.join().unwrap();
        assert!(sent.contains("bash -c $'uname -r'"), "{sent}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
