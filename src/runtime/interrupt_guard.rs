//! The backend of an interruptible command: after a signal it refuses to start new work, and
//! it remembers the lab and whether its creation finished, for whoever cleans up.
//!
//! Tearing down is never refused: it is how the user (or the interrupted run) cleans up.

use crate::interrupt::Interrupt;
use crate::runtime::layer::{Call, Layer, Layered};
use crate::runtime::Backend;

impl Interrupt {
    pub fn guard(&self, inner: Box<dyn Backend>) -> Interruptible {
        Layered(Guard {
            inner,
            interrupt: self.clone(),
        })
    }
}

/// A backend that refuses to start new work once a signal arrived.
pub type Interruptible = Layered<Guard>;

pub struct Guard {
    inner: Box<dyn Backend>,
    interrupt: Interrupt,
}

impl Layer for Guard {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn is_dry_run(&self) -> bool {
        self.inner.is_dry_run()
    }

    fn enter(&mut self, call: Call<'_>) -> anyhow::Result<&mut dyn Backend> {
        match call {
            Call::StopCaptures | Call::DestroyLab => {}
            Call::CreateLab { lab } => {
                self.interrupt.check()?;
                self.interrupt.set_lab(lab);
                self.interrupt.set_creating(true);
            }
            Call::Configure { lab } => {
                self.interrupt.check()?;
                self.interrupt.set_lab(lab);
            }
            Call::Preflight | Call::Exec | Call::StartCaptures => self.interrupt.check()?,
        }
        Ok(self.inner.as_mut())
    }

    /// A creation that failed stays unfinished, for whoever cleans up.
    fn leave<T>(&mut self, call: Call<'_>, result: anyhow::Result<T>) -> anyhow::Result<T> {
        if matches!(call, Call::CreateLab { .. }) && result.is_ok() {
            self.interrupt.set_creating(false);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::plan::PlanBackend;
    use crate::runtime::LabSpec;

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
