//! A backend that connects on first use, so the REPL starts without Docker (or the lab VM) and
//! only reaches for an engine when a line needs the lab: creating it, configuring, observing.

use crate::runtime::layer::{Call, Layer, Layered};
use crate::runtime::Backend;

pub type Connect = Box<dyn FnMut() -> anyhow::Result<Box<dyn Backend>>>;

pub type LazyBackend = Layered<Lazy>;

pub struct Lazy {
    connect: Connect,
    inner: Option<Box<dyn Backend>>,
    /// What `describe` says before connecting.
    pending: String,
}

impl Lazy {
    pub fn backend(pending: impl Into<String>, connect: Connect) -> LazyBackend {
        Layered(Lazy {
            connect,
            inner: None,
            pending: pending.into(),
        })
    }
}

impl Layer for Lazy {
    fn describe(&self) -> String {
        match &self.inner {
            Some(b) => b.describe(),
            None => self.pending.clone(),
        }
    }

    /// A lazy backend is always a real one: nothing about it is a dry run.
    fn is_dry_run(&self) -> bool {
        false
    }

    /// The connected backend; a failed attempt is retried by the next call.
    fn enter(&mut self, _: Call<'_>) -> anyhow::Result<&mut dyn Backend> {
        if self.inner.is_none() {
            let backend = (self.connect)()?;
            eprintln!("engine: {}", backend.describe());
            self.inner = Some(backend);
        }
        Ok(self.inner.as_mut().expect("connected above").as_mut())
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
        let mut lazy = Lazy::backend(
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
        let mut lazy = Lazy::backend(
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
