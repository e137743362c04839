//! The backend of an interruptible command: after a signal it refuses to start new work, and
//! it remembers the lab and whether its creation finished, for whoever cleans up.
//!
//! Tearing down is never refused: it is how the user (or the interrupted run) cleans up.

use crate::interrupt::Interrupt;
use crate::runtime::{
    refuse_all, Backend, CaptureHandle, CapturePoint, Configure, DestroyReport, ExecOutput, LabSpec,
};

impl Interrupt {
    pub fn guard(&self, inner: Box<dyn Backend>) -> Interruptible {
        Interruptible {
            inner,
            interrupt: self.clone(),
        }
    }
}

/// A backend that refuses to start new work once a signal arrived.
pub struct Interruptible {
    inner: Box<dyn Backend>,
    interrupt: Interrupt,
}

impl Backend for Interruptible {
    fn is_dry_run(&self) -> bool {
        self.inner.is_dry_run()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn preflight(&mut self, spec: &LabSpec) -> anyhow::Result<Vec<String>> {
        self.interrupt.check()?;
        self.inner.preflight(spec)
    }

    fn create_lab(&mut self, spec: &LabSpec, progress: &dyn Fn(&str)) -> anyhow::Result<()> {
        self.interrupt.check()?;
        self.interrupt.set_lab(&spec.lab);
        self.interrupt.set_creating(true);
        self.inner.create_lab(spec, progress)?;
        self.interrupt.set_creating(false);
        Ok(())
    }

    fn configure(&mut self, lab: &str, step: &Configure) -> anyhow::Result<ExecOutput> {
        self.interrupt.check()?;
        self.interrupt.set_lab(lab);
        self.inner.configure(lab, step)
    }

    fn configure_all(&mut self, lab: &str, steps: &[Configure]) -> Vec<anyhow::Result<ExecOutput>> {
        if let Err(e) = self.interrupt.check() {
            return refuse_all(steps.len(), &e);
        }
        self.interrupt.set_lab(lab);
        self.inner.configure_all(lab, steps)
    }

    fn exec(&mut self, lab: &str, router: &str, argv: &[String]) -> anyhow::Result<ExecOutput> {
        self.interrupt.check()?;
        self.inner.exec(lab, router, argv)
    }

    fn exec_all(
        &mut self,
        lab: &str,
        commands: &[(String, Vec<String>)],
    ) -> Vec<anyhow::Result<ExecOutput>> {
        if let Err(e) = self.interrupt.check() {
            return refuse_all(commands.len(), &e);
        }
        self.inner.exec_all(lab, commands)
    }

    fn start_captures(
        &mut self,
        lab: &str,
        points: &[CapturePoint],
    ) -> anyhow::Result<Vec<CaptureHandle>> {
        self.interrupt.check()?;
        self.inner.start_captures(lab, points)
    }

    // A running capture is always stopped, or it would keep tcpdump running in the router.
    fn stop_captures(
        &mut self,
        lab: &str,
        handles: &[CaptureHandle],
    ) -> Vec<anyhow::Result<Vec<u8>>> {
        self.inner.stop_captures(lab, handles)
    }

    fn destroy_lab(&mut self, lab: &str) -> anyhow::Result<DestroyReport> {
        self.inner.destroy_lab(lab)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::plan::PlanBackend;

    #[test]
    fn refuses_new_work_after_a_signal_but_still_tears_down() {
        let interrupt = Interrupt::default();
        let mut backend = interrupt.guard(Box::new(PlanBackend));
        assert!(backend.exec("lab", "PR", &[]).is_ok());
        interrupt.simulate_signal();
        let e = backend.exec("lab", "PR", &[]).unwrap_err();
        assert!(e.to_string().contains("Ctrl-C"));
        assert!(backend.destroy_lab("lab").is_ok());
        interrupt.reset();
        assert!(backend.exec("lab", "PR", &[]).is_ok());
    }

    #[test]
    fn remembers_a_creation_that_did_not_finish() {
        let interrupt = Interrupt::default();
        let mut backend = interrupt.guard(Box::new(PlanBackend));
        let spec = LabSpec {
            lab: "lab".into(),
            wiring: Default::default(),
            networks: vec![],
            containers: vec![],
            labels: vec![],
        };
        backend.create_lab(&spec, &|_| {}).unwrap();
        assert!(!interrupt.creation_unfinished());
        interrupt.set_creating(true);
        interrupt.simulate_signal();
        assert!(backend.create_lab(&spec, &|_| {}).is_err());
        assert!(interrupt.creation_unfinished());
    }
}
