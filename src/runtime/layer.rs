//! Backends that wrap another (the interrupt guard, the engine watch, the REPL's lazy
//! connection): each says what happens around a call as a [`Layer`], and [`Layered`] forwards
//! the Backend methods once for all of them.

use crate::runtime::{
    refuse_all, Backend, CaptureHandle, CapturePoint, Configure, DestroyReport, ExecOutput, LabSpec,
};

/// Which call is passing through, with what a layer may want to know of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call<'a> {
    Preflight,
    CreateLab {
        lab: &'a str,
    },
    Configure {
        lab: &'a str,
    },
    Exec,
    StartCaptures,
    /// A running capture is always stopped, or it would keep tcpdump running in the router.
    StopCaptures,
    /// Tearing down is how the user, or an interrupted run, cleans up.
    DestroyLab,
}

pub trait Layer {
    fn describe(&self) -> String;
    fn is_dry_run(&self) -> bool;
    /// The backend the call goes to, or why it may not start (every item of a batch is then
    /// refused with it).
    fn enter(&mut self, call: Call<'_>) -> anyhow::Result<&mut dyn Backend>;
    /// A result on its way back.
    fn leave<T>(&mut self, _call: Call<'_>, result: anyhow::Result<T>) -> anyhow::Result<T> {
        result
    }
}

/// A [`Layer`] as a backend.
pub struct Layered<L>(pub L);

impl<L: Layer> Layered<L> {
    fn one<T>(
        &mut self,
        call: Call<'_>,
        f: impl FnOnce(&mut dyn Backend) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let result = self.0.enter(call).and_then(f);
        self.0.leave(call, result)
    }

    fn batch<T>(
        &mut self,
        call: Call<'_>,
        count: usize,
        f: impl FnOnce(&mut dyn Backend) -> Vec<anyhow::Result<T>>,
    ) -> Vec<anyhow::Result<T>> {
        let results = match self.0.enter(call) {
            Ok(backend) => f(backend),
            Err(e) => refuse_all(count, &e),
        };
        results.into_iter().map(|r| self.0.leave(call, r)).collect()
    }
}

impl<L: Layer> Backend for Layered<L> {
    fn is_dry_run(&self) -> bool {
        self.0.is_dry_run()
    }

    fn describe(&self) -> String {
        self.0.describe()
    }

    fn preflight(&mut self, spec: &LabSpec) -> anyhow::Result<Vec<String>> {
        self.one(Call::Preflight, |b| b.preflight(spec))
    }

    fn engine_memory_mib(&mut self) -> Option<u64> {
        self.one(Call::Preflight, |b| Ok(b.engine_memory_mib()))
            .ok()
            .flatten()
    }

    fn create_lab(&mut self, spec: &LabSpec, progress: &dyn Fn(&str)) -> anyhow::Result<()> {
        self.one(Call::CreateLab { lab: &spec.lab }, |b| {
            b.create_lab(spec, progress)
        })
    }

    fn configure(&mut self, lab: &str, step: &Configure) -> anyhow::Result<ExecOutput> {
        self.one(Call::Configure { lab }, |b| b.configure(lab, step))
    }

    fn configure_all(&mut self, lab: &str, steps: &[Configure]) -> Vec<anyhow::Result<ExecOutput>> {
        self.batch(Call::Configure { lab }, steps.len(), |b| {
            b.configure_all(lab, steps)
        })
    }

    fn exec(&mut self, lab: &str, router: &str, argv: &[String]) -> anyhow::Result<ExecOutput> {
        self.one(Call::Exec, |b| b.exec(lab, router, argv))
    }

    fn exec_all(
        &mut self,
        lab: &str,
        commands: &[(String, Vec<String>)],
    ) -> Vec<anyhow::Result<ExecOutput>> {
        self.batch(Call::Exec, commands.len(), |b| b.exec_all(lab, commands))
    }

    fn start_captures(
        &mut self,
        lab: &str,
        points: &[CapturePoint],
    ) -> anyhow::Result<Vec<CaptureHandle>> {
        self.one(Call::StartCaptures, |b| b.start_captures(lab, points))
    }

    fn stop_captures(
        &mut self,
        lab: &str,
        handles: &[CaptureHandle],
    ) -> Vec<anyhow::Result<Vec<u8>>> {
        self.batch(Call::StopCaptures, handles.len(), |b| {
            b.stop_captures(lab, handles)
        })
    }

    fn destroy_lab(&mut self, lab: &str) -> anyhow::Result<DestroyReport> {
        self.one(Call::DestroyLab, |b| b.destroy_lab(lab))
    }
}
