//! The command line as a user meets it: files of the wrong kind, a reader that goes away.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::root;

fn mplsrepl(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mplsrepl"))
        .args(args)
        .args(["--color", "never"])
        .current_dir(root())
        .env_remove("DOCKER_HOST")
        .output()
        .expect("run mplsrepl")
}

#[test]
fn a_file_of_the_wrong_kind_is_named_before_anything_reads_it_as_rhai() {
    for (args, said) in [
        (
            &["render", "scripts/mpls_vpn.topo"][..],
            "scripts/mpls_vpn.topo: is a topology, not a script",
        ),
        (
            &["plan", "README.md"][..],
            "README.md: is not a script (.rhai)",
        ),
        (
            &["run", "README.md"][..],
            "README.md: is not a script (.rhai)",
        ),
    ] {
        let out = mplsrepl(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(said), "{args:?}: {err}");
        assert!(err.contains("help: `mplsrepl "), "{args:?}: {err}");
        assert!(!err.contains("Syntax error"), "{args:?}: {err}");
    }
}

/// `mplsrepl render ... | head -3`: once the reader has gone, the command ends quietly.
#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mplsrepl"))
        .args(["render", "scripts/mpls_vpn.rhai", "--color", "never"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes before the plan is printed (it would fit in a pipe's buffer whole).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
    use std::os::unix::process::ExitStatusExt;
    assert!(
        out.status.code() == Some(141) || out.status.signal() == Some(13),
        "{:?}",
        out.status
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = mplsrepl(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        for sub in ["tutorial", "export-clab", "completions"] {
            assert!(text.contains(sub), "{shell} lacks {sub}");
        }
    }
}

/// The options a subcommand's `--help` lists, by their long names.
fn options_of(subcommand: &[&str]) -> Vec<String> {
    let mut args = subcommand.to_vec();
    args.push("--help");
    let out = mplsrepl(&args);
    assert!(out.status.success(), "{args:?}");
    let help = String::from_utf8_lossy(&out.stdout).to_string();
    let arguments = help
        .split("Arguments:")
        .nth(1)
        .map(|rest| rest.split("Options:").next().unwrap_or_default())
        .unwrap_or_default();
    for line in arguments
        .lines()
        .filter(|l| l.trim_start().starts_with('<'))
    {
        let described = line
            .trim()
            .split_once("  ")
            .is_some_and(|(_, d)| !d.trim().is_empty());
        let next_described = !described && help.contains(&format!("{}\n          ", line.trim()));
        assert!(
            described || next_described,
            "{args:?}: the argument `{}` is not described:\n{help}",
            line.trim()
        );
    }
    help.split_whitespace()
        .filter(|w| w.starts_with("--"))
        .map(|w| w.trim_end_matches([',', '.']).to_string())
        .collect()
}

#[test]
fn each_subcommands_help_lists_only_the_options_it_uses() {
    let engine_side = [
        "--docker-host",
        "--links",
        "--check-timeout",
        "--capture-dir",
    ];
    for (subcommand, has, lacks) in [
        (
            &["run"][..],
            &[
                "--docker-host",
                "--links",
                "--check-timeout",
                "--image",
                "--down",
            ][..],
            &[][..],
        ),
        (
            &["plan"],
            &["--profile", "--image", "--frr"],
            &engine_side[..],
        ),
        (&["render"], &["--profile", "--frr"], &engine_side),
        (
            &["graph"],
            &["--format", "--out"],
            &["--docker-host", "--links", "--image", "--profile", "--frr"],
        ),
        (
            &["status"],
            &["--docker-host"],
            &["--image", "--links", "--profile"],
        ),
        (
            &["down"],
            &["--docker-host"],
            &["--image", "--links", "--profile"],
        ),
        (
            &["up"],
            &["--docker-host", "--links", "--image"],
            &["--check-timeout", "--down"],
        ),
        (
            &["export-clab"],
            &["--image", "--lab-name"],
            &["--docker-host", "--profile"],
        ),
        (&["vm", "up"], &[], &["--docker-host", "--image", "--links"]),
        (
            &["completions"],
            &[],
            &["--docker-host", "--image", "--links"],
        ),
    ] {
        let options = options_of(subcommand);
        for want in has {
            assert!(
                options.iter().any(|o| o == want),
                "{subcommand:?} lacks {want}: {options:?}"
            );
        }
        for unwanted in lacks {
            assert!(
                !options.iter().any(|o| o == unwanted),
                "{subcommand:?} offers {unwanted}, which it does not use: {options:?}"
            );
        }
    }
}

#[test]
fn the_repls_options_cannot_be_mixed_with_a_subcommand() {
    let out = mplsrepl(&["--plan", "status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

/// A script refused at plan time still leaves a report that names why: a CI page then shows
/// the failure rather than a missing file.
#[test]
fn a_report_is_written_when_the_script_is_refused_before_it_runs() {
    let dir = std::env::temp_dir().join(format!("mplsrepl-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (xml, json) = (dir.join("r.xml"), dir.join("r.json"));
    let out = mplsrepl(&[
        "run",
        "tests/bad_inputs/bgp_asn_zero.rhai",
        "--report",
        xml.to_str().unwrap(),
        "--report",
        json.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = std::fs::read_to_string(&xml).unwrap();
    assert!(xml.contains("<error message=\"tests/bad_inputs/bgp_asn_zero.rhai:3:15: AS number 0 is out of range\">"), "{xml}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(json["passed"], 0);
    std::fs::remove_dir_all(&dir).unwrap();
    let out = mplsrepl(&["run", "scripts/mpls_vpn.rhai", "--report", "r.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a report is FILE.xml (JUnit) or FILE.json")
    );
}

fn temp_script(name: &str, body: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("mplsrepl-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join(format!("{name}.rhai"));
    let topology = root().join("scripts/mpls_vpn.topo");
    std::fs::write(&script, format!("topology({topology:?});\n{body}")).unwrap();
    (dir, script)
}

/// `plan` of a script that calls `exit(N)` says so and exits N, as `run` would.
#[test]
fn plan_says_where_the_script_exits_and_exits_with_its_status() {
    let (dir, script) = temp_script("exits", "step(\"one\");\nexit(3);\nstep(\"never\");\n");
    let out = mplsrepl(&["plan", script.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("plan: 1 steps, then the script calls exit(3);"),
        "{stdout}"
    );
}

/// A report that cannot be written fails the run before any lab is built.
#[test]
fn an_unwritable_report_fails_the_run_before_it_starts() {
    let out = mplsrepl(&[
        "run",
        "scripts/mpls_vpn.rhai",
        "--report",
        "/nonexistent-dir/checks.xml",
        "--docker-host",
        "tcp://127.0.0.1:1",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write the report /nonexistent-dir/checks.xml"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("127.0.0.1:1"),
        "no engine was reached for: {stderr}"
    );
}

/// Step titles, prose and print() are the script's text: escape sequences in them are shown,
/// not obeyed by the terminal.
#[test]
fn control_sequences_in_a_scripts_text_are_shown_escaped() {
    let (dir, script) = temp_script(
        "escapes",
        "step(\"red\\x1b[31m title\");\nprint(\"bell\\x07\");\n",
    );
    let out = mplsrepl(&["plan", script.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(stdout.contains("red\\x1b[31m title"), "{stdout}");
    assert!(stdout.contains("bell\\x07"), "{stdout}");
}

/// `--lab-name` is a command-line value: a bad one is a usage error (exit 2) naming the option,
/// not an error pointing into a file it did not come from.
#[test]
fn a_bad_lab_name_on_the_command_line_is_a_usage_error() {
    for args in [
        ["plan", "scripts/mpls_vpn.topo", "--lab-name", "a b"],
        ["export-clab", "scripts/mpls_vpn.topo", "--lab-name", "a b"],
    ] {
        let out = mplsrepl(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("invalid value 'a b' for '--lab-name"),
            "{stderr}"
        );
        assert!(!stderr.contains("<topology>"), "{stderr}");
    }
}

/// `run --repeat N` needs N from 1 and cannot pause for the user between steps: both are usage
/// errors (exit 2), given before anything connects to an engine.
#[test]
fn repeat_takes_a_count_and_no_step_mode() {
    for (args, said) in [
        (
            &["run", "scripts/mpls_vpn.rhai", "--repeat", "0"][..],
            "invalid value '0' for '--repeat <N>'",
        ),
        (
            &["run", "scripts/mpls_vpn.rhai", "--repeat", "2", "--step"],
            "'--repeat <N>' cannot be used with '--step'",
        ),
        (
            &["run", "scripts", "--repeat", "2"],
            "--repeat is for scripts",
        ),
    ] {
        let out = mplsrepl(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
}

/// An `engine N` past the engines of `--engines` is an error at the number, in the topology,
/// before anything is planned: for the topology itself and for a script that loads it.
#[test]
fn an_engine_past_the_engines_given_is_refused_at_its_number() {
    let dir = std::env::temp_dir().join(format!("mplsrepl-cli-engines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let topo = dir.join("spread.topo");
    std::fs::write(
        &topo,
        "lab spread\nrouter A p lo 10.9.9.1/32 engine 3\nrouter B p lo 10.9.9.2/32 engine 2\n\
         link ab 10.9.0.0/24 { A:eth0 .1, B:eth0 .2 }\n",
    )
    .unwrap();
    let script = dir.join("spread.rhai");
    std::fs::write(&script, "topology(\"spread.topo\");\nup();\n").unwrap();
    let engines = "tcp://127.0.0.1:23750,tcp://127.0.0.1:23751";
    for file in [&topo, &script] {
        let out = mplsrepl(&["plan", file.to_str().unwrap(), "--engines", engines]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file:?}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{}:2:34: router A runs on engine 3, but the lab is spread over 2 engines",
                topo.display()
            )),
            "{file:?}: {stderr}"
        );
        assert!(!stderr.contains("<topology>"), "{stderr}");
        assert!(
            !stderr.contains("engine 2,"),
            "only A is past them: {stderr}"
        );
    }
    // Without --engines, the same topology plans: engines are a property of the run. With
    // --place moving A, the command line overrides the topology, as docs/topology.md says.
    let out = mplsrepl(&["plan", topo.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let topo_arg = topo.to_str().unwrap();
    let out = mplsrepl(&["plan", topo_arg, "--engines", engines, "--place", "A=1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("@192.0.2.1: A\n"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_lab_vm_size_it_cannot_take_is_a_usage_error_before_anything_starts() {
    for (args, said) in [
        (
            &["vm", "up", "--memory", "512M"][..],
            "the lab VM takes 1G to 1024G",
        ),
        (
            &["vm", "up", "--memory", "lots"][..],
            "write it like 6G or 6144M",
        ),
        (&["vm", "up", "--cpus", "0"][..], "--cpus"),
    ] {
        let out = mplsrepl(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
}

/// The catalogue travels in the binary: installed, run from a directory with nothing in it, it
/// lists the tutorials and plans a shipped lab.
///
/// `cargo install --path . --debug` into a temporary root with MPLSREPL_CARGO_INSTALL=1. Without
/// it the test's own build is copied into such a root instead: what `cargo install` adds is the
/// copy, and under `cargo test` it rebuilds the whole dependency graph (the proc-macro side is
/// resolved with other features than a plain build's), 216 s of CI on a 2-core machine. Either
/// way the checkout still exists, so a binary that read scripts/ from it would pass too: the
/// listing and the plan are checked for what only the catalogue has.
#[test]
fn an_installed_binary_lists_and_plans_the_catalogue_from_an_empty_directory() {
    let tmp = std::env::temp_dir().join(format!("mplsrepl-install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let empty = tmp.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::create_dir_all(tmp.join("bin")).unwrap();
    if std::env::var("MPLSREPL_CARGO_INSTALL").as_deref() == Ok("1") {
        // The test binary's own target directory: a plain debug build there is reused.
        let target = Path::new(env!("CARGO_BIN_EXE_mplsrepl"))
            .ancestors()
            .nth(2)
            .unwrap();
        let install = Command::new(env!("CARGO"))
            .args([
                "install",
                "--quiet",
                "--debug",
                "--locked",
                "--offline",
                "--path",
            ])
            .arg(root())
            .arg("--root")
            .arg(&tmp)
            .arg("--target-dir")
            .arg(target)
            .status()
            .expect("run cargo install");
        assert!(install.success());
    } else {
        // Copied by `cp`, not std::fs::copy: a test thread that forks while this process holds
        // the copy open for writing passes the descriptor to its child until that child execs,
        // and exec'ing the copy meanwhile fails with ETXTBSY (seen once in a full `cargo test`).
        let cp = Command::new("cp")
            .arg(env!("CARGO_BIN_EXE_mplsrepl"))
            .arg(tmp.join("bin/mplsrepl"))
            .status()
            .expect("run cp");
        assert!(cp.success());
    }
    let installed = |args: &[&str]| {
        Command::new(tmp.join("bin/mplsrepl"))
            .args(args)
            .current_dir(&empty)
            .env_remove("DOCKER_HOST")
            .output()
            .unwrap()
    };
    let list = installed(&["tutorial"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success() && text.contains("  seed  "), "{text}");
    let plan = installed(&["plan", "builtin:mpls_vpn"]);
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        plan.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    assert!(text.contains("plan: 6 steps"), "{text}");
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    std::fs::remove_dir_all(&tmp).unwrap();
}
