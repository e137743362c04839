//! The command line as a user meets it: files of the wrong kind, a reader that goes away.

mod common;

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
