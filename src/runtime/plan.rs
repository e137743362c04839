//! The plan backend: performs nothing, so a script can be read as a transcript without Docker.

use crate::runtime::action::{Configure, LabSpec};
use crate::runtime::backend::*;

#[derive(Debug, Default)]
pub struct PlanBackend;

impl Backend for PlanBackend {
    fn is_dry_run(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        "plan (dry run)".to_string()
    }

    fn preflight(&mut self, _spec: &LabSpec) -> anyhow::Result<Vec<String>> {
        Ok(Vec::new())
    }

    fn create_lab(&mut self, _spec: &LabSpec, _progress: &dyn Fn(&str)) -> anyhow::Result<()> {
        Ok(())
    }

    fn configure(&mut self, _lab: &str, _step: &Configure) -> anyhow::Result<ExecOutput> {
        Ok(ExecOutput::default())
    }

    fn exec(&mut self, _lab: &str, _router: &str, _argv: &[String]) -> anyhow::Result<ExecOutput> {
        Ok(ExecOutput::default())
    }

    fn start_captures(
        &mut self,
        _lab: &str,
        points: &[CapturePoint],
    ) -> anyhow::Result<Vec<CaptureHandle>> {
        Ok(points
            .iter()
            .map(|p| CaptureHandle {
                router: p.router.clone(),
                interface: p.interface.clone(),
                path: String::new(),
                token: String::new(),
            })
            .collect())
    }

    fn stop_captures(
        &mut self,
        _lab: &str,
        handles: &[CaptureHandle],
    ) -> Vec<anyhow::Result<Vec<u8>>> {
        handles.iter().map(|_| Ok(Vec::new())).collect()
    }

    fn destroy_lab(&mut self, _lab: &str) -> anyhow::Result<DestroyReport> {
        Ok(DestroyReport::default())
    }
}
