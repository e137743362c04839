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

    fn configure(&mut self, _lab: &str, _step: &Configure) -> anyhow::Result<()> {
        Ok(())
    }

    fn exec(&mut self, _lab: &str, _router: &str, _argv: &[String]) -> anyhow::Result<ExecOutput> {
        Ok(ExecOutput::default())
    }

    fn start_capture(
        &mut self,
        _lab: &str,
        router: &str,
        interface: &str,
        _filter: &str,
    ) -> anyhow::Result<CaptureHandle> {
        Ok(CaptureHandle {
            router: router.to_string(),
            interface: interface.to_string(),
            path: String::new(),
            token: String::new(),
        })
    }

    fn stop_capture(&mut self, _lab: &str, _handle: &CaptureHandle) -> anyhow::Result<Vec<u8>> {
        Ok(Vec::new())
    }

    fn destroy_lab(&mut self, _lab: &str) -> anyhow::Result<DestroyReport> {
        Ok(DestroyReport::default())
    }
}
