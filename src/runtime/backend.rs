//! The backend interface: what the script engine may ask of a lab runtime.

use crate::runtime::action::{Configure, LabSpec};

/// Result of running a command inside a router.
#[derive(Debug, Clone, Default)]
pub struct ExecOutput {
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }
}

/// Where to capture: a router's interface, with a tcpdump filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturePoint {
    pub router: String,
    pub interface: String,
    pub filter: String,
}

/// A capture running inside a router, to be stopped later.
#[derive(Debug, Clone)]
pub struct CaptureHandle {
    pub router: String,
    pub interface: String,
    /// Backend-specific: path of the pcap file inside the container.
    pub path: String,
    pub token: String,
}

/// What `destroy_lab` removed.
#[derive(Debug, Clone, Default)]
pub struct DestroyReport {
    pub containers: Vec<String>,
    pub networks: Vec<String>,
    /// Removals the engine refused at first and completed when asked again, one line each.
    pub retried: Vec<String>,
}

/// One copy of `why` per item of a batch that cannot be started at all (the engine is not
/// there, or an interrupt came), for the batch methods that answer item by item.
pub fn refuse_all<T>(count: usize, why: &anyhow::Error) -> Vec<anyhow::Result<T>> {
    let why = format!("{why:#}");
    (0..count).map(|_| Err(anyhow::anyhow!("{why}"))).collect()
}

/// A lab runtime. Docker is the real one; the plan backend performs nothing.
///
/// Methods are synchronous: the script engine is synchronous, and a backend that needs async
/// I/O owns its executor.
pub trait Backend {
    /// `true` when nothing is performed (plan/dry-run): observations are then placeholders and
    /// checks are recorded, not evaluated.
    fn is_dry_run(&self) -> bool;
    /// A short description for messages (`docker tcp://127.0.0.1:23750`, `plan`).
    fn describe(&self) -> String;
    /// Verify the engine can run an MPLS lab; each problem is returned with its fix.
    fn preflight(&mut self, spec: &LabSpec) -> anyhow::Result<Vec<String>>;
    /// The engine's memory in MiB, to say before creating a lab that it may not fit; `None`
    /// where it is not known (a plan, several engines).
    fn engine_memory_mib(&mut self) -> Option<u64> {
        None
    }
    fn create_lab(&mut self, spec: &LabSpec, progress: &dyn Fn(&str)) -> anyhow::Result<()>;
    fn configure(&mut self, lab: &str, step: &Configure) -> anyhow::Result<ExecOutput>;
    /// Several routers' changes of one step. The routers do not depend on each other, so a
    /// backend may apply them concurrently; one result per change, in order. This default goes
    /// one by one and stops at the first that could not run (the rest are reported as not
    /// applied).
    /// Run the script that applies one router's change (uploading its file first, if it has
    /// one) and return what it printed: whether FRR took the change is for frr::apply to read.
    /// `Err` only when the script could not run.
    fn configure_all(&mut self, lab: &str, steps: &[Configure]) -> Vec<anyhow::Result<ExecOutput>> {
        let mut results = Vec::with_capacity(steps.len());
        let mut failed = false;
        for step in steps {
            if failed {
                results.push(Err(anyhow::anyhow!(
                    "{}: not applied, an earlier router failed",
                    step.router
                )));
                continue;
            }
            let result = self.configure(lab, step);
            failed = result.is_err();
            results.push(result);
        }
        results
    }
    fn exec(&mut self, lab: &str, router: &str, argv: &[String]) -> anyhow::Result<ExecOutput>;
    /// Several commands, `(router, argv)`, that do not depend on each other (the checks polled
    /// together); one result each, in order. A backend may run them concurrently.
    fn exec_all(
        &mut self,
        lab: &str,
        commands: &[(String, Vec<String>)],
    ) -> Vec<anyhow::Result<ExecOutput>> {
        commands
            .iter()
            .map(|(router, argv)| self.exec(lab, router, argv))
            .collect()
    }
    /// Start a capture at each point, all listening before this returns; handles in order.
    /// If one cannot start, none is left running.
    fn start_captures(
        &mut self,
        lab: &str,
        points: &[CapturePoint],
    ) -> anyhow::Result<Vec<CaptureHandle>>;
    /// Stop the captures; each one's pcap file bytes, in order.
    fn stop_captures(
        &mut self,
        lab: &str,
        handles: &[CaptureHandle],
    ) -> Vec<anyhow::Result<Vec<u8>>>;
    /// Remove every object labelled with this lab, and nothing else. Idempotent.
    fn destroy_lab(&mut self, lab: &str) -> anyhow::Result<DestroyReport>;
}
