//! `mplsrepl save` and starting a saved lab: the files (golden, tests/golden/save) and the
//! plan of `run DIR`, which must send each router exactly the saved configuration.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use mplsrepl::frr::render::frr_conf;
use mplsrepl::runtime::plan::PlanBackend;
use mplsrepl::save::{self, start};
use mplsrepl::script::{Options, Session};
use mplsrepl::ui::Reporter;

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("mplsrepl-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Save a script's final intent into `dir`, as `mplsrepl save` does.
fn save_script(script: &str, dir: &Path) {
    let (engine, _) = plan_script(&root().join(script), Options::default());
    let engine = engine.unwrap_or_else(|e| panic!("{e}"));
    let sess = engine.session.borrow();
    let lab = sess.deploy.lab().unwrap();
    let files = save::from_intent(lab, &sess.deploy.desired);
    for f in &files {
        assert_eq!(
            f.frr_conf,
            frr_conf(&sess.deploy.desired.routers[&f.router])
        );
    }
    save::write_dir(dir, lab, &files, script).unwrap();
}

/// The transcript of starting a saved lab with the plan backend.
fn plan_saved(dir: &Path) -> String {
    let saved = start::load(dir).unwrap();
    let (report, buf) = Reporter::buffer(true);
    let mut session = Session::new(Box::new(PlanBackend), report, Options::default());
    start::start(&mut session, &saved).unwrap();
    let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    text.replace(&dir.display().to_string(), "DIR")
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .replace(&dir.display().to_string(), "DIR")
}

#[test]
fn seed_lab_saves_topology_readme_and_kernel_scripts() {
    let dir = TempDir::new("save-seed");
    save_script("scripts/mpls_vpn.rhai", &dir.0);
    assert_golden("save/mpls_vpn/README", &read(&dir.0, "README"));
    assert_golden("save/mpls_vpn/lab.topo", &read(&dir.0, "lab.topo"));
    for r in ["PR", "PE1", "CE1"] {
        assert_golden(
            &format!("save/mpls_vpn/{r}.kernel.sh"),
            &read(&dir.0, &format!("{r}/kernel.sh")),
        );
    }
    let lab = mplsrepl::topology::load_file(&dir.0.join("lab.topo")).unwrap();
    let original = mplsrepl::topology::load_file(&root().join("scripts/mpls_vpn.topo")).unwrap();
    assert_eq!(lab, original);
}

#[test]
fn a_saved_lab_starts_with_its_saved_configuration() {
    let dir = TempDir::new("save-start");
    save_script("scripts/mpls_vpn.rhai", &dir.0);
    let plan = plan_saved(&dir.0);
    // The configuration part only: the containers are the reporter's business, and the
    // daemons are tested below.
    let configuration = &plan[plan.find("== step 2").expect("a second step")..];
    assert_golden("save/mpls_vpn.plan", configuration);
    let saved = start::load(&dir.0).unwrap();
    let pe1 = saved.routers.iter().find(|r| r.name == "PE1").unwrap();
    let conf = std::fs::read_to_string(dir.0.join("PE1/frr.conf")).unwrap();
    // Everything but FRR's start-up lines and comments is sent, in order.
    let expected: Vec<&str> = conf
        .lines()
        .filter(|l| *l != "!" && *l != "end" && !l.starts_with("frr defaults"))
        .collect();
    assert_eq!(pe1.vtysh, expected);
    assert!(
        plan.contains("  PE1$ ip link set eth1 master CUSTA\n"),
        "{plan}"
    );
}

#[test]
fn daemons_follow_the_saved_daemons_files() {
    // The general lab's CEs speak BGP and OSPF, which their role (ce) does not start: their
    // saved daemons files say so.
    let dir = TempDir::new("save-general");
    save_script("tests/labs/general.rhai", &dir.0);
    let plan = plan_saved(&dir.0);
    let line = |c: &str| {
        plan.lines()
            .find(|l| l.contains(&format!("container general-{c} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("CEA1").ends_with("daemons mgmtd zebra staticd bgpd"),
        "{plan}"
    );
    assert!(
        line("CEB1").ends_with("daemons mgmtd zebra staticd ospfd"),
        "{plan}"
    );
    let file = std::fs::read_to_string(dir.0.join("CEA1/daemons")).unwrap();
    assert!(file.contains("bgpd=yes\nospfd=no\n"), "{file}");
    // Without its daemons file, a router runs its role's daemons.
    std::fs::remove_file(dir.0.join("CEA1/daemons")).unwrap();
    let plan = plan_saved(&dir.0);
    assert!(
        plan.lines()
            .any(|l| l.contains("container general-CEA1 ")
                && l.ends_with("daemons mgmtd zebra staticd")),
        "{plan}"
    );
}

#[test]
fn edited_kernel_scripts_with_shell_syntax_are_refused() {
    let dir = TempDir::new("save-edit");
    save_script("scripts/mpls_vpn.rhai", &dir.0);
    let path = dir.0.join("PE1/kernel.sh");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("echo $HOME\n");
    std::fs::write(&path, text).unwrap();
    let err = start::load(&dir.0).unwrap_err().to_string();
    assert!(
        err.contains("kernel.sh:14: `echo $HOME`: `$` needs a shell"),
        "{err}"
    );
    std::fs::remove_file(dir.0.join("CE1/frr.conf")).unwrap();
    std::fs::write(&path, "").unwrap();
    let err = format!("{:#}", start::load(&dir.0).unwrap_err());
    assert!(err.contains("CE1/frr.conf (router CE1 of"), "{err}");
}
