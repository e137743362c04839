//! What a command that builds a lab (`run`, `up`, `tutorial`, `run DIR`) does when it does not
//! end normally: interrupted by Ctrl-C or SIGTERM, or left by a Docker engine that stopped
//! answering. Either way the user learns what became of the lab and how to remove it.

use std::process::ExitCode;

use crate::interrupt::{say, Interrupt, Policy};
use crate::runtime::engine_lost::engine_lost_line;
use crate::runtime::{engine_lost_hint, Backend, EngineLost};
use crate::script::{ScriptError, Session};

/// A backend connected to its engine(s), and the engine to name when one stops answering.
pub struct Connected {
    pub backend: Box<dyn Backend>,
    pub host: String,
    /// What `mplsrepl down LAB` needs to find the lab: `--engines ...` for a spread one.
    pub down_flags: String,
}

pub struct RunGuard {
    interrupt: Interrupt,
    lost: EngineLost,
    host: String,
    down_flags: String,
}

impl RunGuard {
    /// Catch SIGINT and SIGTERM from now on, and wrap the backend so that it stops at the next
    /// safe point after one and remembers a lost engine.
    pub fn install(connected: Connected) -> (RunGuard, Box<dyn Backend>) {
        let guard = RunGuard {
            interrupt: Interrupt::install(Policy::Run),
            lost: EngineLost::default(),
            host: connected.host,
            down_flags: connected.down_flags,
        };
        let watched = guard.lost.watch(connected.backend);
        let backend = Box::new(guard.interrupt.guard(Box::new(watched)));
        (guard, backend)
    }

    /// Stop the script's Rhai engine at its next operation after a signal.
    pub fn attach(&self, engine: &mut rhai::Engine) {
        self.interrupt.attach(engine);
    }

    pub fn interrupted(&self) -> bool {
        self.interrupt.requested()
    }

    pub fn engine_lost(&self) -> bool {
        self.lost.happened()
    }

    /// After an interruption: remove the lab if it was still being created or `remove` says
    /// so (`run --down`, `up`), else say it is left as it is. The exit code is the signal's.
    pub fn finish_interrupted(
        &self,
        sess: &mut Session,
        outcome: &Result<(), ScriptError>,
        remove: bool,
    ) -> ExitCode {
        let signal = self.interrupt.signal_name().unwrap_or("a signal");
        let place = match outcome {
            Err(ScriptError::At(at)) => {
                let (line, col) = at.line_col();
                format!(" at {}:{line}:{col}", at.source.name)
            }
            _ => String::new(),
        };
        sess.report.warn(&format!("interrupted by {signal}{place}"));
        let Ok(lab) = sess.deploy.lab_name() else {
            sess.report.info("no lab was created");
            return self.interrupt.exit_code();
        };
        let creating = self.interrupt.creation_unfinished();
        if creating || remove {
            let why = if creating {
                "it was still being created"
            } else {
                "as asked"
            };
            sess.report.info(&format!("removing lab {lab} ({why})"));
            if let Err(e) = sess.deploy.down() {
                say(&format!("error: removing lab {lab}: {e:#}"));
                self.cleanup_hint(&e, &lab);
            }
        } else if sess.deploy.lab_up {
            sess.report.info(&format!(
                "lab {lab} is left as it is: `{}` removes it",
                self.down_command(&lab)
            ));
        } else {
            sess.report.info("no lab was created");
        }
        self.interrupt.exit_code()
    }

    /// Say how to clean up after a failed teardown; the engine may have gone away.
    pub fn cleanup_hint(&self, e: &anyhow::Error, lab: &str) {
        if self.engine_lost() || crate::runtime::is_engine_lost(e) {
            say(&engine_lost_hint(&self.host, Some(&self.down_target(lab))));
        } else {
            say(&format!(
                "`{}` removes what is left",
                self.down_command(lab)
            ));
        }
    }

    /// The command that removes the lab, with what it needs to find every engine.
    pub fn down_command(&self, lab: &str) -> String {
        format!("mplsrepl down {}", self.down_target(lab))
    }

    fn down_target(&self, lab: &str) -> String {
        format!("{lab}{}", self.down_flags)
    }

    /// After a failure, if the engine stopped answering during the run: what happened, and
    /// how to clean up.
    pub fn lost_hint(&self, lab: &str) -> Option<String> {
        self.engine_lost()
            .then(|| engine_lost_hint(&self.host, Some(&self.down_target(lab))))
    }

    /// What happened, when the lab was removed all the same (the engine came back).
    pub fn lost_line(&self) -> Option<String> {
        self.engine_lost().then(|| engine_lost_line(&self.host))
    }
}
