//! Ctrl-C while a line runs: stop the line, keep the lab and the REPL.
//!
//! At the prompt the terminal is raw and rustyline reads Ctrl-C as a key (it clears the line).
//! While a line runs, Ctrl-C is SIGINT: a handler sets a flag instead of killing the process.
//! The flag stops Rhai between two operations and makes the backend refuse to start the next
//! exec or configuration, so a check that retries for minutes ends at its next attempt. An
//! action already sent finishes: the deployed state stays what the lab really has. A third
//! Ctrl-C in the same line leaves at once, for when the engine itself hangs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::bail;
use rhai::{Dynamic, Engine};

use crate::runtime::{Backend, CaptureHandle, Configure, DestroyReport, ExecOutput, LabSpec};

const PRESSES_TO_QUIT: usize = 3;

#[derive(Clone, Default)]
pub struct Interrupt {
    presses: Arc<AtomicUsize>,
}

impl Interrupt {
    /// Catch SIGINT for the rest of the process. Without a handler (it failed to install),
    /// Ctrl-C keeps its default meaning and kills the REPL.
    pub fn install() -> Self {
        let interrupt = Interrupt::default();
        let presses = interrupt.presses.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("ctrl-c".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                runtime.block_on(async move {
                    use tokio::signal::unix::{signal, SignalKind};
                    let mut sigint = match signal(SignalKind::interrupt()) {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    while sigint.recv().await.is_some() {
                        on_press(&presses);
                    }
                });
            });
        let ready = match spawned {
            Ok(_) => ready_rx.recv().unwrap_or_else(|e| Err(e.to_string())),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = ready {
            eprintln!("warning: cannot catch Ctrl-C ({e}): it will end the REPL");
        }
        interrupt
    }

    pub fn requested(&self) -> bool {
        self.presses.load(Ordering::SeqCst) > 0
    }

    /// A new line starts with a clean slate.
    pub fn reset(&self) {
        self.presses.store(0, Ordering::SeqCst);
    }

    /// Stop Rhai at its next operation once Ctrl-C was pressed.
    pub fn attach(&self, engine: &mut Engine) {
        let me = self.clone();
        engine.on_progress(move |_| {
            me.requested()
                .then(|| Dynamic::from("interrupted by Ctrl-C"))
        });
    }

    pub fn guard(&self, inner: Box<dyn Backend>) -> Interruptible {
        Interruptible {
            inner,
            interrupt: self.clone(),
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.requested() {
            bail!("interrupted by Ctrl-C");
        }
        Ok(())
    }
}

fn on_press(presses: &AtomicUsize) {
    let n = presses.fetch_add(1, Ordering::SeqCst) + 1;
    if n == 1 {
        eprintln!("\n^C stopping after the current action (press twice more to leave at once)");
    } else if n >= PRESSES_TO_QUIT {
        eprintln!("\n^C leaving now; the lab is left as it is");
        std::process::exit(130);
    }
}

/// A backend that refuses to start new work once Ctrl-C was pressed. Tearing down is never
/// refused: it is how the user cleans up.
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
        self.inner.create_lab(spec, progress)
    }

    fn configure(&mut self, lab: &str, step: &Configure) -> anyhow::Result<()> {
        self.interrupt.check()?;
        self.inner.configure(lab, step)
    }

    fn exec(&mut self, lab: &str, router: &str, argv: &[String]) -> anyhow::Result<ExecOutput> {
        self.interrupt.check()?;
        self.inner.exec(lab, router, argv)
    }

    fn start_capture(
        &mut self,
        lab: &str,
        router: &str,
        interface: &str,
        filter: &str,
    ) -> anyhow::Result<CaptureHandle> {
        self.interrupt.check()?;
        self.inner.start_capture(lab, router, interface, filter)
    }

    // A running capture is always stopped, or it would keep tcpdump running in the router.
    fn stop_capture(&mut self, lab: &str, handle: &CaptureHandle) -> anyhow::Result<Vec<u8>> {
        self.inner.stop_capture(lab, handle)
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
    fn refuses_new_work_after_ctrl_c_but_still_tears_down() {
        let interrupt = Interrupt::default();
        let mut backend = interrupt.guard(Box::new(PlanBackend));
        assert!(backend.exec("lab", "PR", &[]).is_ok());
        interrupt.presses.store(1, Ordering::SeqCst);
        let e = backend.exec("lab", "PR", &[]).unwrap_err();
        assert!(e.to_string().contains("Ctrl-C"));
        assert!(backend.destroy_lab("lab").is_ok());
        interrupt.reset();
        assert!(backend.exec("lab", "PR", &[]).is_ok());
    }

    #[test]
    fn stops_a_running_script() {
        let interrupt = Interrupt::default();
        let mut engine = Engine::new();
        interrupt.attach(&mut engine);
        interrupt.presses.store(1, Ordering::SeqCst);
        let r = engine.run("let x = 0; loop { x += 1; }");
        let e = r.unwrap_err();
        assert!(matches!(*e, rhai::EvalAltResult::ErrorTerminated(..)));
    }
}
