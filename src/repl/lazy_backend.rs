//! A backend that connects on first use, so the REPL starts without Docker (or the lab VM) and
//! only reaches for an engine when a line needs the lab: creating it, configuring, observing.

use crate::runtime::{
    refuse_all, Backend, CaptureHandle, CapturePoint, Configure, DestroyReport, ExecOutput, LabSpec,
};

pub type Connect = Box<dyn FnMut() -> anyhow::Result<Box<dyn Backend>>>;

pub struct LazyBackend {
    connect: Connect,
    inner: Option<Box<dyn Backend>>,
    /// What `describe` says before connecting.
    pending: String,
}

impl LazyBackend {
    pub fn new(pending: impl Into<String>, connect: Connect) -> Self {
        LazyBackend {
            connect,
            inner: None,
            pending: pending.into(),
        }
    }

    /// The connected backend; a failed attempt is retried by the next call.
    fn get(&mut self) -> anyhow::Result<&mut Box<dyn Backend>> {
        if self.inner.is_none() {
            let backend = (self.connect)()?;
            eprintln!("engine: {}", backend.describe());
            self.inner = Some(backend);
        }
        Ok(self.inner.as_mut().expect("connected above"))
    }
}

impl Backend for LazyBackend {
    /// A lazy backend is always a real one: nothing about it is a dry run.
    fn is_dry_run(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        match &self.inner {
            Some(b) => b.describe(),
            None => self.pending.clone(),
        }
    }

    fn preflight(&mut self, spec: &LabSpec) -> anyhow::Result<Vec<String>> {
        self.get()?.preflight(spec)
    }

    fn create_lab(&mut self, spec: &LabSpec, progress: &dyn Fn(&str)) -> anyhow::Result<()> {
        self.get()?.create_lab(spec, progress)
    }

    fn configure(&mut self, lab: &str, step: &Configure) -> anyhow::Result<ExecOutput> {
        self.get()?.configure(lab, step)
    }

    fn configure_all(&mut self, lab: &str, steps: &[Configure]) -> Vec<anyhow::Result<ExecOutput>> {
        match self.get() {
            Ok(backend) => backend.configure_all(lab, steps),
            Err(e) => refuse_all(steps.len(), &e),
        }
    }

    fn exec(&mut self, lab: &str, router: &str, argv: &[String]) -> anyhow::Result<ExecOutput> {
        self.get()?.exec(lab, router, argv)
    }

    fn exec_all(
        &mut self,
        lab: &str,
        commands: &[(String, Vec<String>)],
    ) -> Vec<anyhow::Result<ExecOutput>> {
        match self.get() {
            Ok(backend) => backend.exec_all(lab, commands),
            Err(e) => refuse_all(commands.len(), &e),
        }
    }

    fn start_captures(
        &mut self,
        lab: &str,
        points: &[CapturePoint],
    ) -> anyhow::Result<Vec<CaptureHandle>> {
        self.get()?.start_captures(lab, points)
    }

    fn stop_captures(
        &mut self,
        lab: &str,
        handles: &[CaptureHandle],
    ) -> Vec<anyhow::Result<Vec<u8>>> {
        match self.get() {
            Ok(backend) => backend.stop_captures(lab, handles),
            Err(e) => refuse_all(handles.len(), &e),
        }
    }

    fn destroy_lab(&mut self, lab: &str) -> anyhow::Result<DestroyReport> {
        self.get()?.destroy_lab(lab)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::plan::PlanBackend;
    use std::cell::Cell;
    use std::rc::Rc;

    #[test]
    fn connects_on_first_real_call_only() {
        let calls = Rc::new(Cell::new(0));
        let counter = calls.clone();
        let mut lazy = LazyBackend::new(
            "docker (not connected yet)",
            Box::new(move || {
                counter.set(counter.get() + 1);
                Ok(Box::new(PlanBackend) as Box<dyn Backend>)
            }),
        );
        assert_eq!(lazy.describe(), "docker (not connected yet)");
        assert!(!lazy.is_dry_run());
        assert_eq!(calls.get(), 0);
        lazy.exec("lab", "PR", &[]).unwrap();
        lazy.exec("lab", "PR", &[]).unwrap();
        assert_eq!(calls.get(), 1);
        assert_eq!(lazy.describe(), "plan (dry run)");
    }

    #[test]
    fn a_failed_connection_is_retried() {
        let calls = Rc::new(Cell::new(0));
        let counter = calls.clone();
        let mut lazy = LazyBackend::new(
            "docker",
            Box::new(move || {
                counter.set(counter.get() + 1);
                anyhow::bail!("no engine")
            }),
        );
        assert!(lazy.exec("lab", "PR", &[]).is_err());
        assert!(lazy.exec("lab", "PR", &[]).is_err());
        assert_eq!(calls.get(), 2);
    }
}
