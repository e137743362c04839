//! The apply loop against a backend that records every call and answers as FRR would: one
//! router takes its change, another refuses a line of it and gets the part it took back.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use crate::frr::render::frr_conf;
use crate::runtime::{
    Backend, CaptureHandle, CapturePoint, Configure, DestroyReport, ExecOutput, LabSpec,
};
use crate::script::{Options, ScriptEngine, Session};
use crate::ui::Reporter;

/// What the fake FRR does: each router's running configuration, and the routers that refuse.
#[derive(Default)]
struct Routers {
    running: BTreeMap<String, String>,
    refusing: Vec<String>,
    calls: Vec<String>,
    /// The engine's memory, as Docker's `info` would say it.
    memory_mib: Option<u64>,
}

struct Recording(Rc<RefCell<Routers>>);

fn out(stdout: String) -> ExecOutput {
    ExecOutput {
        exit_code: 0,
        stdout,
        stderr: String::new(),
    }
}

impl Backend for Recording {
    fn is_dry_run(&self) -> bool {
        false
    }
    fn describe(&self) -> String {
        "recording".into()
    }
    fn preflight(&mut self, _: &LabSpec) -> anyhow::Result<Vec<String>> {
        Ok(Vec::new())
    }
    fn engine_memory_mib(&mut self) -> Option<u64> {
        self.0.borrow().memory_mib
    }
    fn create_lab(&mut self, spec: &LabSpec, _: &dyn Fn(&str)) -> anyhow::Result<()> {
        self.0
            .borrow_mut()
            .calls
            .push(format!("create {}", spec.lab));
        Ok(())
    }
    fn configure(&mut self, _: &str, step: &Configure) -> anyhow::Result<ExecOutput> {
        let mut r = self.0.borrow_mut();
        let rollback = step
            .change
            .vtysh
            .iter()
            .any(|l| l.trim_start().starts_with("no "));
        let what = if rollback { "take back" } else { "configure" };
        r.calls.push(format!("{what} {}", step.router));
        let said = if r.refusing.contains(&step.router) && !rollback {
            "% Unknown command: neighbor 9.9.9.9 remote-as 65000\n"
        } else {
            ""
        };
        Ok(out(format!("{}\n{said}", crate::frr::apply::VTYSH_MARK)))
    }
    fn exec(&mut self, _: &str, router: &str, argv: &[String]) -> anyhow::Result<ExecOutput> {
        let mut r = self.0.borrow_mut();
        r.calls.push(format!("exec {router} {}", argv.join(" ")));
        Ok(out(r.running.get(router).cloned().unwrap_or_default()))
    }
    fn start_captures(
        &mut self,
        _: &str,
        _: &[CapturePoint],
    ) -> anyhow::Result<Vec<CaptureHandle>> {
        Ok(Vec::new())
    }
    fn stop_captures(&mut self, _: &str, _: &[CaptureHandle]) -> Vec<anyhow::Result<Vec<u8>>> {
        Vec::new()
    }
    fn destroy_lab(&mut self, _: &str) -> anyhow::Result<DestroyReport> {
        Ok(DestroyReport::default())
    }
}

#[test]
fn a_refused_change_is_taken_back_and_dropped_while_the_other_router_keeps_its_own() {
    let routers = Rc::new(RefCell::new(Routers {
        refusing: vec!["PE2".into()],
        ..Default::default()
    }));
    let (script, printed) = seed_lab_up(routers.clone());
    script
        .rhai
        .run(
            "router(\"PE1\").bgp(65000).neighbor(\"2.2.2.2\", 65000);\n\
             router(\"PE2\").bgp(65000).neighbor(\"9.9.9.9\", 65000);",
        )
        .unwrap();
    {
        // FRR's running configuration after the change: PE1 has it all; PE2's is as before
        // once its change is taken back.
        let sess = script.session.borrow();
        let mut r = routers.borrow_mut();
        let pe1 = frr_conf(&sess.deploy.desired.routers["PE1"]);
        let pe2 = frr_conf(&sess.deploy.deployed.routers["PE2"]);
        r.running.insert("PE1".into(), pe1);
        r.running.insert("PE2".into(), pe2);
        r.calls.clear();
    }
    let e = script.session.borrow_mut().deploy.apply().unwrap_err();
    let e = format!("{e:#}");
    assert!(e.contains("PE2") && e.contains("% Unknown command"), "{e}");

    let show = format!("vtysh -c {}", crate::frr::readback::COMMAND);
    assert_eq!(
        routers.borrow().calls,
        [
            "configure PE1".to_string(),
            "configure PE2".to_string(),
            format!("exec PE1 {show}"),
            "take back PE2".to_string(),
            format!("exec PE2 {show}"),
        ]
    );
    let sess = script.session.borrow();
    let d = &sess.deploy;
    assert!(
        d.deployed.routers["PE1"].bgp.is_some(),
        "PE1 took its change"
    );
    assert!(d.deployed.routers["PE2"].bgp.is_none(), "PE2 refused it");
    assert_eq!(
        d.desired.routers["PE2"], d.deployed.routers["PE2"],
        "the refused change is dropped from the desired state"
    );
    let printed = String::from_utf8(printed.lock().unwrap().clone()).unwrap();
    assert!(
        printed.contains("PE2: rolled back: FRR's configuration is again what it was before"),
        "{printed}"
    );
    assert!(
        printed.contains("PE2: the change FRR did not take is dropped from the desired state"),
        "{printed}"
    );
}

/// The seed lab made on the recording backend: the script engine, and what it printed.
fn seed_lab_up(routers: Rc<RefCell<Routers>>) -> (ScriptEngine, Arc<Mutex<Vec<u8>>>) {
    let (report, printed) = Reporter::buffer(false);
    let session = Session::new(Box::new(Recording(routers)), report, Options::default());
    let script = ScriptEngine::new(session);
    let topology = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/mpls_vpn.topo");
    script
        .rhai
        .run(&format!("topology({topology:?}); up();"))
        .unwrap();
    (script, printed)
}

/// The seed lab's seven routers, on an engine of `memory_mib`: what `up` printed.
fn seed_lab_up_on(memory_mib: u64) -> String {
    let routers = Rc::new(RefCell::new(Routers {
        memory_mib: Some(memory_mib),
        ..Default::default()
    }));
    let (_, printed) = seed_lab_up(routers);
    let printed = printed.lock().unwrap().clone();
    String::from_utf8(printed).unwrap()
}

#[test]
fn a_lab_that_may_not_fit_the_engines_memory_is_said_before_it_is_made_with_the_way_out() {
    // FRR 10: a P 54 MiB, two PEs 70, four CEs 27 = 302 MiB, with the engine's reserve 814.
    let small = seed_lab_up_on(700);
    assert!(
        small.contains("the lab's 7 routers take about 302 MiB")
            && small.contains("recording has 700 MiB: it may not fit")
            && small.contains("`mplsrepl vm up --memory 2G`"),
        "{small}"
    );
    assert!(!seed_lab_up_on(4096).contains("may not fit"));
}
