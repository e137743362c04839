//! Applying one router's change: the script that sends it (kernel commands, then FRR's lines
//! through `vtysh -f`, then a check that every daemon still runs), and the reading of what
//! came back, so that a line FRR did not take fails the step that sent it, naming the router,
//! the line and FRR's words.
//!
//! `vtysh -f` goes on after a line it rejects and reports nothing at all for a daemon it cannot
//! reach (bgpd killed: the `router bgp` block is silently dropped), so the exit status and the
//! `%` lines are not enough: the script also asks each daemon's pid whether it is alive.

use crate::frr::diff::RouterChange;
use crate::shell_word::shell_word;

use super::start::RUN_DIR;

/// Marks where the kernel commands end and vtysh's own output starts.
pub(crate) const VTYSH_MARK: &str = "@@mplsrepl-vtysh@@";
/// Starts the line naming a daemon that no longer runs.
const DEAD_MARK: &str = "@@mplsrepl-dead@@";
/// Above this, the configuration goes as a file: one exec argument is limited to 128 KiB.
const INLINE_CONFIG_MAX: usize = 64 * 1024;
/// Where the configuration goes in the router, inline or uploaded.
pub const CONFIG_DIR: &str = "/tmp";
pub const CONFIG_NAME: &str = "mplsrepl-apply.conf";
/// The second part of a change sent in two ([`release_first`]).
pub const CONFIG_NAME_2: &str = "mplsrepl-apply-2.conf";

/// What a backend runs to apply a change: a file to place first, if any, and a script.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplyScript {
    /// `(directory, name, text)` to upload before the script runs.
    pub upload: Option<(String, String, String)>,
    pub script: String,
}

/// The script that applies `change` (its kernel commands before FRR, and FRR's lines) to a
/// router running `daemons` (every one, in start order). The kernel commands that must follow
/// FRR go separately, through [`kernel_script`], once FRR took its part.
pub fn script(change: &RouterChange, daemons: &[&str]) -> ApplyScript {
    let mut s = kernel_script(&change.kernel_before);
    if change.vtysh.is_empty() {
        return ApplyScript {
            upload: None,
            script: s,
        };
    }
    if !s.is_empty() {
        s.push('\n');
    }
    // In two parts when an IGP instance ends first (see release_first), unless the change
    // must be uploaded, which goes whole.
    let (send, upload) = match release_first(&change.vtysh).filter(|_| fits_inline(&change.vtysh)) {
        Some((first, rest, daemon)) => {
            let (path, _) = place_config(first, CONFIG_NAME, &mut s);
            let (path2, _) = place_config(rest, CONFIG_NAME_2, &mut s);
            let send = format!(
                "vtysh -f {path} 2>&1; rc=$?\n\
                 i=0; while vtysh -c 'show debugging label-table' 2>/dev/null | grep -q '^Proto {daemon}'; do \
                 i=$((i+1)); [ $i -le 100 ] || break; sleep 0.1; done\n\
                 vtysh -f {path2} 2>&1; rc2=$?; [ $rc -ne 0 ] || rc=$rc2\n"
            );
            (send, None)
        }
        None => {
            let (path, upload) = place_config(&change.vtysh, CONFIG_NAME, &mut s);
            (format!("vtysh -f {path} 2>&1; rc=$?\n"), upload)
        }
    };
    s.push_str(&format!("echo {VTYSH_MARK}\n{send}"));
    s.push_str(&alive_check(daemons));
    s.push_str("exit $rc");
    ApplyScript { upload, script: s }
}

/// A change that ends an IGP instance and goes on: the lines up to and including
/// `no router isis|ospf ...`, the rest, and the daemon whose label blocks must be back in
/// zebra's label manager before the rest is sent. A daemon gives its SRGB and SRLB back only
/// after it has ended the instance, and the other IGP, asked in the same `vtysh -f` for its
/// own blocks, overlaps them (both take the SRLB 15000-15999, and the default SRGB before the
/// configured one is read): zebra refuses the request, and that daemon runs SR with no label
/// block at all, installing no SR label (seen switching IS-IS to OSPF under load: ospfd's
/// database showed the default SRGB and zebra no chunk of ospf's). Small changes only; one
/// that must be uploaded goes whole.
fn release_first(lines: &[String]) -> Option<(&[String], &[String], &'static str)> {
    let (k, daemon) = lines.iter().enumerate().find_map(|(k, l)| {
        let l = l.trim_start();
        if l.starts_with("no router isis") {
            Some((k, "isis"))
        } else if l.starts_with("no router ospf") && !l.starts_with("no router ospf6") {
            Some((k, "ospf"))
        } else {
            None
        }
    })?;
    (k + 1 < lines.len()).then(|| (&lines[..=k], &lines[k + 1..], daemon))
}

/// The script that takes back what FRR took of a rejected change, given the change's inverse.
/// Every command runs whatever the one before it did: the lines FRR never took fail again, a
/// device never made cannot be deleted. What FRR then has, read back, is the verdict.
pub fn rollback_script(inverse: &RouterChange) -> ApplyScript {
    let lenient = |cmds: &[Vec<String>]| -> String {
        cmds.iter()
            .map(|argv| {
                let line: Vec<String> = argv.iter().map(|a| shell_word(a)).collect();
                format!("{} >/dev/null 2>&1 || true\n", line.join(" "))
            })
            .collect()
    };
    let mut s = lenient(&inverse.kernel_before);
    let mut upload = None;
    if !inverse.vtysh.is_empty() {
        let (path, up) = place_config(&inverse.vtysh, CONFIG_NAME, &mut s);
        upload = up;
        s.push_str(&format!("vtysh -f {path} >/dev/null 2>&1 || true\n"));
    }
    s.push_str(&lenient(&inverse.kernel_after));
    s.push_str("exit 0");
    ApplyScript { upload, script: s }
}

/// FRR's lines into the router's config file: inline in `script` when small, else as a file
/// to upload. The path the file will have.
fn place_config(
    lines: &[String],
    name: &str,
    script: &mut String,
) -> (String, Option<(String, String, String)>) {
    let mut config = lines.join("\n");
    config.push('\n');
    let path = format!("{CONFIG_DIR}/{name}");
    if !fits_inline(lines) {
        let upload = (CONFIG_DIR.to_string(), name.to_string(), config);
        return (path, Some(upload));
    }
    // A quoted delimiter: the lines go in verbatim. One no line can equal.
    let mut eof = String::from("MPLSREPL_EOF");
    while config.lines().any(|l| l == eof) {
        eof.push('_');
    }
    script.push_str(&format!("cat > {path} <<'{eof}'\n{config}{eof}\n"));
    (path, None)
}

/// Whether `lines`, as one file, go inline in the script (an exec argument is limited).
fn fits_inline(lines: &[String]) -> bool {
    lines.iter().map(|l| l.len() + 1).sum::<usize>() <= INLINE_CONFIG_MAX
}

/// One line per daemon of `daemons` whose pid file names no live process.
fn alive_check(daemons: &[&str]) -> String {
    format!(
        "for d in {}; do p=$(cat {RUN_DIR}/$d.pid 2>/dev/null); \
         [ -n \"$p\" ] && kill -0 \"$p\" 2>/dev/null || echo \"{DEAD_MARK} $d\"; done\n",
        daemons.join(" ")
    )
}

/// Kernel commands as one shell script: each argument single-quoted, and a failing command
/// printed (`failed: CMD`) before the script stops.
pub fn kernel_script(cmds: &[Vec<String>]) -> String {
    cmds.iter()
        .map(|argv| {
            let line = argv
                .iter()
                .map(|a| shell_word(a))
                .collect::<Vec<_>>()
                .join(" ");
            let shown = argv.join(" ").replace('\'', "");
            format!("{line} || {{ echo 'failed: {shown}'; exit 1; }}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Why a change did not go in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("{router}: `{command}` failed: {error}")]
    Kernel {
        router: String,
        command: String,
        error: String,
    },
    #[error("{router}: FRR did not take the configuration{}:\n{}", exit_note(*exit_code), complaints.join("\n"))]
    Rejected {
        router: String,
        exit_code: i64,
        /// Each of FRR's complaints, beside the line it is about where FRR says which.
        complaints: Vec<String>,
        /// Daemons that no longer run after the change.
        dead: Vec<String>,
    },
}

fn exit_note(code: i64) -> String {
    if code == 0 {
        String::new()
    } else {
        format!(" (vtysh exited {code})")
    }
}

/// Read what the apply script printed. `Ok` only when the kernel commands ran, vtysh exited
/// 0 with no complaint, and every daemon still runs.
pub fn read_reply(
    router: &str,
    change: &RouterChange,
    exit_code: i64,
    stdout: &str,
    stderr: &str,
) -> Result<(), ApplyError> {
    let Some((_, frr_said)) = stdout.split_once(VTYSH_MARK) else {
        if exit_code == 0 {
            return Ok(());
        }
        let command = stdout
            .lines()
            .last()
            .unwrap_or_default()
            .trim_start_matches("failed: ")
            .to_string();
        return Err(ApplyError::Kernel {
            router: router.to_string(),
            command,
            error: stderr.trim().to_string(),
        });
    };
    let mut complaints = Vec::new();
    let mut dead = Vec::new();
    for l in frr_said.lines().chain(stderr.lines()) {
        let l = l.trim();
        if let Some(d) = l.strip_prefix(DEAD_MARK) {
            let d = d.trim().to_string();
            complaints.push(format!("  {d} is not running (it stopped, or was stopped)"));
            dead.push(d);
        } else if is_complaint(l) {
            // vtysh -f hands each line to every daemon, and each says the same.
            let c = beside_its_line(l, &change.vtysh);
            if !complaints.contains(&c) {
                complaints.push(c);
            }
        }
    }
    // `[52|zebra] Configuration file[/etc/frr/frr.conf] processing failure: 2` only repeats,
    // per daemon, that a line above failed; alone, it is all FRR said.
    let summary =
        |c: &String| c.contains("] Configuration file[") && c.contains("processing failure");
    if complaints.iter().any(|c| !summary(c)) {
        complaints.retain(|c| !summary(c));
    }
    if exit_code == 0 && complaints.is_empty() {
        return Ok(());
    }
    if complaints.is_empty() {
        complaints.push("  (vtysh said nothing)".to_string());
    }
    Err(ApplyError::Rejected {
        router: router.to_string(),
        exit_code,
        complaints,
        dead,
    })
}

/// The forms FRR's complaints take: `% Unknown command`, `line 3: % ...`, `mgmtd is not
/// running`, a configuration file that failed to process, any error.
fn is_complaint(line: &str) -> bool {
    let lower = line.to_lowercase();
    !line.is_empty()
        && (line.contains("% ")
            || line.starts_with('%')
            || lower.contains("is not running")
            || lower.contains("unknown command")
            || lower.contains("error")
            || lower.contains("failed")
            || lower.contains("configuration file"))
}

/// FRR says `line N: % Unknown command[...]: TEXT`; show the line sent beside its message.
fn beside_its_line(complaint: &str, lines: &[String]) -> String {
    let sent = complaint
        .strip_prefix("line ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.trim().parse::<usize>().ok())
        .and_then(|n| lines.get(n.saturating_sub(1)));
    match sent {
        Some(s) => format!("  {}\n    -> {}", s.trim(), complaint),
        None => format!("  {complaint}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(vtysh: &[&str]) -> RouterChange {
        RouterChange {
            kernel_before: vec![vec!["ip".into(), "link".into(), "add".into(), "x".into()]],
            vtysh: vtysh.iter().map(|s| s.to_string()).collect(),
            kernel_after: vec![],
        }
    }

    /// The script, run by sh with stand-ins for `ip`, `vtysh` and the daemons' pid files.
    fn run(
        change: &RouterChange,
        vtysh_body: &str,
        pids: &[(&str, &str)],
    ) -> (i64, String, String) {
        run_text(
            &script(change, &["zebra", "bgpd"]).script,
            "exit 0",
            vtysh_body,
            pids,
        )
    }

    fn run_text(
        script_text: &str,
        ip_body: &str,
        vtysh_body: &str,
        pids: &[(&str, &str)],
    ) -> (i64, String, String) {
        let dir = std::env::temp_dir().join(format!(
            "mplsrepl-apply-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        let bin = dir.join("bin");
        let run = dir.join("run");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&run).unwrap();
        use std::os::unix::fs::PermissionsExt;
        for (name, body) in [("ip", ip_body), ("vtysh", vtysh_body)] {
            let p = bin.join(name);
            let body = body.replace("@TMP@", &dir.to_string_lossy());
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        for (d, pid) in pids {
            std::fs::write(run.join(format!("{d}.pid")), pid).unwrap();
        }
        let s = script_text
            .replace(
                &format!("{CONFIG_DIR}/{CONFIG_NAME}"),
                &dir.join(CONFIG_NAME).to_string_lossy(),
            )
            .replace(
                &format!("{CONFIG_DIR}/{CONFIG_NAME_2}"),
                &dir.join(CONFIG_NAME_2).to_string_lossy(),
            )
            .replace("@TMP@", &dir.to_string_lossy())
            .replace(RUN_DIR, &run.to_string_lossy());
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&s)
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        (
            i64::from(out.status.code().unwrap_or(-1)),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn rand_suffix() -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    }

    fn me() -> String {
        std::process::id().to_string()
    }

    /// Switching IGPs: the instance's end goes first, then the rest once zebra's label
    /// manager holds none of the old daemon's blocks (here it lets go after three asks).
    #[test]
    fn an_igp_ended_in_a_change_gives_its_label_blocks_back_before_the_rest_is_sent() {
        let c = change(&[
            "no router isis CORE",
            "interface eth0",
            " no ip router isis CORE",
            "exit",
            "router ospf",
            " segment-routing on",
            "exit",
        ]);
        // vtysh logs what it is asked; isis holds its block for the first three asks.
        let vtysh = "if [ \"$1\" = -f ]; then echo \"f: $(head -n 1 \"$2\")\" >> @TMP@/log; exit 0; fi\n\
                     n=$(cat @TMP@/asked 2>/dev/null || echo 0); n=$((n+1)); echo $n > @TMP@/asked\n\
                     echo \"c: $2\" >> @TMP@/log\n\
                     [ $n -le 3 ] && echo 'Proto isis: [16000/23999]'\n\
                     echo 'Proto ldp: [16/79]'";
        let me = me();
        let text = script(&c, &["zebra", "bgpd"])
            .script
            .replace("exit $rc", "cat @TMP@/log; exit $rc");
        let (code, out, _) = run_text(&text, "exit 0", vtysh, &[("zebra", &me), ("bgpd", &me)]);
        assert_eq!(code, 0, "{out}");
        let log: Vec<&str> = out.lines().skip_while(|l| !l.starts_with("f: ")).collect();
        assert_eq!(
            log,
            [
                "f: no router isis CORE",
                "c: show debugging label-table",
                "c: show debugging label-table",
                "c: show debugging label-table",
                "c: show debugging label-table",
                "f: interface eth0",
            ]
        );
        // A change that ends no instance goes in one piece.
        let whole = script(&change(&["router ospf", "exit"]), &["zebra"]).script;
        assert_eq!(whole.matches("vtysh -f").count(), 1, "{whole}");
        assert!(!whole.contains("label-table"), "{whole}");
    }

    #[test]
    fn a_clean_apply_reads_as_ok() {
        let c = change(&["router bgp 65000", "exit"]);
        let me = me();
        let (code, out, err) = run(
            &c,
            "cat \"$2\" >/dev/null",
            &[("zebra", &me), ("bgpd", &me)],
        );
        assert_eq!(
            read_reply("PE1", &c, code, &out, &err),
            Ok(()),
            "{out}{err}"
        );
    }

    #[test]
    fn mgmtd_not_running_fails_with_frrs_words_and_exit_status() {
        let c = change(&["interface eth0", " ip address 10.0.0.1/24", "exit"]);
        let me = me();
        let (code, out, err) = run(
            &c,
            "echo 'mgmtd is not running'; exit 1",
            &[("zebra", &me), ("bgpd", &me)],
        );
        let e = read_reply("PE1", &c, code, &out, &err).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("PE1: FRR did not take the configuration (vtysh exited 1)"),
            "{text}"
        );
        assert!(text.contains("mgmtd is not running"), "{text}");
    }

    #[test]
    fn a_dead_daemon_is_named_though_vtysh_said_nothing() {
        let c = change(&["router bgp 65000", "exit"]);
        let me = me();
        // bgpd's pid file names a process that is gone.
        let (code, out, err) = run(&c, "exit 0", &[("zebra", &me), ("bgpd", "999999999")]);
        let e = read_reply("PE1", &c, code, &out, &err).unwrap_err();
        match &e {
            ApplyError::Rejected { dead, .. } => assert_eq!(dead, &["bgpd"]),
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("bgpd is not running"), "{e}");
    }

    /// FRR 10.3's reply to one bad line: each daemon says it, then each its processing failure.
    #[test]
    fn each_complaint_is_said_once() {
        let reply = format!(
            "{VTYSH_MARK}\n\
             line 2: % Unknown command[4]: bogus command here\n\
             [52|zebra] Configuration file[/etc/frr/frr.conf] processing failure: 2\n\
             line 2: % Unknown command[4]: bogus command here\n\
             [55|ospfd] Configuration file[/etc/frr/frr.conf] processing failure: 2\n"
        );
        let c = change(&["ip route 192.0.2.0/24 10.9.0.2", "bogus command here"]);
        let e = read_reply("A", &c, 2, &reply, "").unwrap_err().to_string();
        assert_eq!(
            e,
            "A: FRR did not take the configuration (vtysh exited 2):\n  bogus command here\n    -> line 2: % Unknown command[4]: bogus command here"
        );
    }

    #[test]
    fn a_rejected_line_is_shown_beside_frrs_message() {
        let c = change(&["interface eth0", " ip ospf cost 999999999", "exit"]);
        let me = me();
        let (code, out, err) = run(
            &c,
            "echo 'line 2: % Unknown command[4]:  ip ospf cost 999999999'; exit 0",
            &[("zebra", &me), ("bgpd", &me)],
        );
        let e = read_reply("PE1", &c, code, &out, &err)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("  ip ospf cost 999999999\n    -> line 2: % Unknown command"),
            "{e}"
        );
    }

    #[test]
    fn a_failed_kernel_command_names_itself() {
        let c = change(&[]);
        let e = read_reply(
            "PE1",
            &c,
            1,
            "failed: ip link add x\n",
            "RTNETLINK answers: File exists",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "PE1: `ip link add x` failed: RTNETLINK answers: File exists"
        );
    }

    /// Every command of a rollback runs though the one before it failed, and the script says
    /// nothing: the read-back that follows is the verdict.
    #[test]
    fn a_rollback_runs_every_command_whatever_fails() {
        let inverse = RouterChange {
            kernel_before: vec![vec!["ip".into(), "link".into(), "del".into(), "x".into()]],
            vtysh: vec![
                "no ip route 192.0.2.0/24 10.9.0.2".into(),
                "no bogus".into(),
            ],
            kernel_after: vec![vec!["ip".into(), "link".into(), "del".into(), "y".into()]],
        };
        let log = std::env::temp_dir().join(format!("mplsrepl-rollback-{}", rand_suffix()));
        let log = log.display();
        let (code, stdout, _) = run_text(
            &rollback_script(&inverse).script,
            &format!("echo \"ip $*\" >> {log}; echo 'Cannot find device' >&2; exit 1"),
            &format!(
                "echo \"vtysh $*\" >> {log}; cat \"$2\" >> {log}; echo '% Unknown command'; exit 2"
            ),
            &[],
        );
        let ran = std::fs::read_to_string(log.to_string()).unwrap();
        std::fs::remove_file(log.to_string()).unwrap();
        assert_eq!((code, stdout.as_str()), (0, ""));
        assert!(ran.starts_with("ip link del x\nvtysh -f "), "{ran}");
        assert!(
            ran.ends_with("no ip route 192.0.2.0/24 10.9.0.2\nno bogus\nip link del y\n"),
            "{ran}"
        );
    }

    #[test]
    fn large_configurations_go_as_a_file() {
        let big: Vec<String> = (0..10_000)
            .map(|i| format!(" description line {i}"))
            .collect();
        let c = RouterChange {
            kernel_before: vec![],
            vtysh: big,
            kernel_after: vec![],
        };
        let s = script(&c, &["zebra"]);
        let (dir, name, text) = s.upload.expect("uploaded");
        assert_eq!((dir.as_str(), name.as_str()), (CONFIG_DIR, CONFIG_NAME));
        assert!(text.len() > INLINE_CONFIG_MAX);
        assert!(!s.script.contains("description line"));
    }
}
