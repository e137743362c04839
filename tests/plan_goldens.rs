//! The `plan` command's transcript for every lab the project ships, byte for byte: a restructuring
//! of the script, deploy or runtime layers must leave what a user is shown unchanged.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assert_golden, root};

fn plan(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mplsrepl"))
        .arg("plan")
        .args(args)
        .args(["--color", "never"])
        .current_dir(root())
        .env_remove("DOCKER_HOST")
        .env_remove("MPLSREPL_ENGINES")
        .env_remove("MPLSREPL_LINKS")
        .output()
        .expect("run mplsrepl");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.is_empty() {
        text.push_str("--- stderr\n");
        text.push_str(&stderr);
    }
    text.push_str(&format!("--- exit {}\n", out.status.code().unwrap_or(-1)));
    text
}

fn scripts_in(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    files.sort();
    files
}

fn golden_name(script: &Path, suffix: &str) -> String {
    let rel = script.strip_prefix(root()).unwrap().with_extension("");
    format!(
        "plans/{}{suffix}.plan",
        rel.to_string_lossy().replace('/', "__")
    )
}

fn relative(script: &Path) -> String {
    script
        .strip_prefix(root())
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_shipped_script_plans_as_before() {
    let mut scripts = scripts_in("scripts");
    scripts.extend(scripts_in("scripts/tutorials"));
    scripts.extend(scripts_in("tests/labs"));
    assert!(scripts.len() >= 14, "{scripts:?}");
    for script in &scripts {
        let rel = relative(script);
        assert_golden(&golden_name(script, ""), &plan(&[&rel]));
        assert_golden(
            &golden_name(script, ".fast.frr8"),
            &plan(&[&rel, "--profile", "fast", "--image", "labfrr:8"]),
        );
    }
}

#[test]
fn every_shipped_topology_plans_as_before() {
    let mut topologies: Vec<PathBuf> = ["scripts", "tests/labs"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root().join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "topo"))
        .collect();
    topologies.sort();
    for topo in &topologies {
        assert_golden(&golden_name(topo, ".topo"), &plan(&[&relative(topo)]));
    }
}

#[test]
fn a_lab_over_two_engines_plans_its_placement_as_before() {
    assert_golden(
        "plans/mpls_vpn.engines.plan",
        &plan(&[
            "scripts/mpls_vpn.rhai",
            "--engines",
            "tcp://127.0.0.1:23750,tcp://127.0.0.1:23751",
        ]),
    );
    assert_golden(
        "plans/mpls_vpn.engines_pinned.plan",
        &plan(&[
            "scripts/mpls_vpn.rhai",
            "--engines",
            "tcp://127.0.0.1:23750,tcp://127.0.0.1:23751",
            "--place",
            "PR=2,CE1=1",
        ]),
    );
}

/// `plan` evaluates a script once (its transcript is printed after the run), and step 1 still
/// lists a daemon that only a later step needs.
#[test]
fn plan_evaluates_the_script_once() {
    let dir = std::env::temp_dir().join(format!("mplsrepl-plan-once-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("once.rhai");
    std::fs::write(
        &script,
        format!(
            "topology({:?});\nup();\ndebug(\"once-marker\");\nstep(\"BGP\");\nrouter(\"CE1\").bgp(65001);\n",
            root().join("scripts/mpls_vpn.topo")
        ),
    )
    .unwrap();
    let out = plan(&[script.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.matches("once-marker").count(), 1, "{out}");
    let ce1 = out
        .lines()
        .find(|l| l.contains("container mpls_vpn-CE1 "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(ce1.ends_with("daemons mgmtd zebra staticd bgpd"), "{ce1}");
}
