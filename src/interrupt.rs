//! Ctrl-C and SIGTERM: stop at the next safe point instead of dying with the lab half made.
//!
//! A handler thread turns SIGINT and SIGTERM into a flag. The flag stops Rhai between two
//! operations ([`Interrupt::attach`]), makes the backend refuse to start the next Docker call
//! ([`crate::runtime::interrupt_guard`]), ends sleeps and poll loops early ([`sleep`]) and lets lab
//! creation stop between its phases ([`check`]). A call already sent finishes, so what the
//! lab has is what the tool believes it has, and whoever catches the interruption can decide
//! what to do with the lab. Signals that keep coming leave at once (the engine may hang).

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::bail;
use rhai::{Dynamic, Engine};

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// What a signal means to the command that runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// The REPL: Ctrl-C stops the line and the REPL goes on; a third Ctrl-C in the same line
    /// leaves, and so does SIGTERM.
    Line,
    /// `run`, `up`, `tutorial`: the first SIGINT or SIGTERM stops the run, the next leaves.
    Run,
}

#[derive(Default)]
struct State {
    signals: AtomicUsize,
    /// The first signal since the last reset: its number decides the message and exit code.
    first: AtomicI32,
    policy: AtomicU8,
    /// The lab being worked on, to say what is left behind when leaving at once.
    lab: Mutex<Option<String>>,
    /// `create_lab` started and has not finished: an interrupted run removes the part made.
    creating: AtomicBool,
}

#[derive(Clone, Default)]
pub struct Interrupt {
    state: Arc<State>,
}

static INSTALLED: OnceLock<Interrupt> = OnceLock::new();

impl Interrupt {
    /// Catch SIGINT and SIGTERM for the rest of the process (once; later calls only change
    /// the policy). Without a handler (it failed to install), signals keep their default
    /// meaning and kill the process.
    pub fn install(policy: Policy) -> Self {
        let interrupt = INSTALLED
            .get_or_init(|| {
                let interrupt = Interrupt::default();
                if let Err(e) = spawn_handler(interrupt.clone()) {
                    eprintln!("warning: cannot catch Ctrl-C ({e}): it will end mplsrepl at once");
                }
                interrupt
            })
            .clone();
        interrupt.state.policy.store(policy as u8, Ordering::SeqCst);
        interrupt.reset();
        interrupt
    }

    pub fn requested(&self) -> bool {
        self.state.signals.load(Ordering::SeqCst) > 0
    }

    /// `SIGINT` or `SIGTERM`, once one arrived.
    pub fn signal_name(&self) -> Option<&'static str> {
        match self.state.first.load(Ordering::SeqCst) {
            SIGINT => Some("SIGINT"),
            SIGTERM => Some("SIGTERM"),
            _ => None,
        }
    }

    /// 128 + the signal's number, as a shell reports a process the signal killed.
    pub fn exit_code(&self) -> ExitCode {
        let signal = self.state.first.load(Ordering::SeqCst);
        ExitCode::from(128 + signal.clamp(0, 127) as u8)
    }

    /// A new line (REPL) or run starts with a clean slate.
    pub fn reset(&self) {
        self.state.signals.store(0, Ordering::SeqCst);
        self.state.first.store(0, Ordering::SeqCst);
    }

    /// Stop Rhai at its next operation once a signal arrived.
    pub fn attach(&self, engine: &mut Engine) {
        let me = self.clone();
        engine.on_progress(move |_| me.requested().then(|| Dynamic::from(me.message())));
    }

    pub fn check(&self) -> anyhow::Result<()> {
        if self.requested() {
            bail!("{}", self.message());
        }
        Ok(())
    }

    /// Sleep, ending early (with an error) when a signal arrives.
    pub fn sleep(&self, d: Duration) -> anyhow::Result<()> {
        // A wait too long for the clock is a wait until the signal.
        let until = Instant::now().checked_add(d);
        loop {
            self.check()?;
            let left = until.map_or(Duration::MAX, |u| {
                u.saturating_duration_since(Instant::now())
            });
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }

    pub fn set_lab(&self, lab: &str) {
        *self.state.lab.lock().unwrap_or_else(|e| e.into_inner()) = Some(lab.to_string());
    }

    pub fn set_creating(&self, creating: bool) {
        self.state.creating.store(creating, Ordering::SeqCst);
    }

    /// Lab creation started and did not finish.
    pub fn creation_unfinished(&self) -> bool {
        self.state.creating.load(Ordering::SeqCst)
    }

    /// As if Ctrl-C had been pressed once (tests).
    #[cfg(test)]
    pub(crate) fn simulate_signal(&self) {
        self.state.first.store(SIGINT, Ordering::SeqCst);
        self.state.signals.store(1, Ordering::SeqCst);
    }

    fn message(&self) -> String {
        match self.signal_name() {
            Some("SIGTERM") => "interrupted by SIGTERM".to_string(),
            _ => "interrupted by Ctrl-C".to_string(),
        }
    }

    fn on_signal(&self, signal: i32) {
        let _ = self
            .state
            .first
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
        let n = self.state.signals.fetch_add(1, Ordering::SeqCst) + 1;
        let name = if signal == SIGINT { "^C" } else { "SIGTERM" };
        let line = self.state.policy.load(Ordering::SeqCst) == Policy::Line as u8;
        let leave = if line {
            signal == SIGTERM || n >= 3
        } else {
            n >= 2
        };
        if leave {
            let lab = self.state.lab.lock().unwrap_or_else(|e| e.into_inner());
            match lab.as_deref() {
                Some(lab) => say(&format!(
                    "\n{name} leaving now; `mplsrepl down {lab}` removes whatever is left of lab {lab}"
                )),
                None => say(&format!("\n{name} leaving now")),
            }
            std::process::exit(128 + signal);
        }
        if n == 1 && line {
            say(&format!(
                "\n{name} stopping after the current action (press twice more to leave at once)"
            ));
        } else if n == 1 {
            say(&format!(
                "\n{name} stopping at the next safe point (the Docker call under way finishes); \
                 a second signal leaves at once"
            ));
        }
    }
}

/// A line to stderr that may have no reader (`mplsrepl run ... 2>&1 | head`): `eprintln!`
/// would panic there, and the panic end the process before the lab is cleaned up.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn spawn_handler(interrupt: Interrupt) -> Result<(), String> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("signals".into())
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
                let (mut int, mut term) = match (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) {
                    (Ok(i), Ok(t)) => (i, t),
                    (Err(e), _) | (_, Err(e)) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                loop {
                    let signal = tokio::select! {
                        Some(()) = int.recv() => SIGINT,
                        Some(()) = term.recv() => SIGTERM,
                        else => return,
                    };
                    interrupt.on_signal(signal);
                }
            });
        })
        .map_err(|e| e.to_string())?;
    ready_rx.recv().unwrap_or_else(|e| Err(e.to_string()))
}

/// Whether the process-wide handler saw a signal; never, when none is installed (tests).
pub fn requested() -> bool {
    INSTALLED.get().is_some_and(Interrupt::requested)
}

/// An error once a signal arrived: for long work to stop between its phases.
pub fn check() -> anyhow::Result<()> {
    INSTALLED.get().map_or(Ok(()), Interrupt::check)
}

/// A line from stdin, ending early with an error when a signal arrives: a prompt waiting for
/// Enter (`pause()`, `run --step`) must not hold up Ctrl-C. stdin is polled, and read a byte
/// at a time, unbuffered: nothing is left reading it afterwards, and no line typed ahead (or
/// piped in) is swallowed into a buffer the next prompt cannot see.
pub fn read_line() -> anyhow::Result<String> {
    let mut line = Vec::new();
    loop {
        check()?;
        let mut stdin = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, for the duration of the call.
        let ready = unsafe { libc::poll(&mut stdin, 1, 50) };
        if ready < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            // No stdin at all (closed): as at the end of input.
            if e.raw_os_error() == Some(libc::EBADF) {
                break;
            }
            return Err(e.into());
        }
        if ready == 0 {
            continue;
        }
        let mut byte = 0u8;
        // SAFETY: reads at most one byte into a live u8.
        let n = unsafe { libc::read(0, (&mut byte as *mut u8).cast(), 1) };
        match n {
            0 => break,
            n if n < 0 => {
                let e = std::io::Error::last_os_error();
                match e.kind() {
                    std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock => {}
                    _ if e.raw_os_error() == Some(libc::EBADF) => break,
                    _ => return Err(e.into()),
                }
            }
            _ if byte == b'\n' => break,
            _ => line.push(byte),
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Sleep, ending early with an error when a signal arrives (a plain sleep without handler).
pub fn sleep(d: Duration) -> anyhow::Result<()> {
    match INSTALLED.get() {
        Some(i) => i.sleep(d),
        None => {
            std::thread::sleep(d);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interrupted(signal: i32) -> Interrupt {
        let i = Interrupt::default();
        i.state.first.store(signal, Ordering::SeqCst);
        i.state.signals.store(1, Ordering::SeqCst);
        i
    }

    #[test]
    fn stops_a_running_script() {
        let interrupt = interrupted(SIGINT);
        let mut engine = Engine::new();
        interrupt.attach(&mut engine);
        let e = engine.run("let x = 0; loop { x += 1; }").unwrap_err();
        assert!(matches!(*e, rhai::EvalAltResult::ErrorTerminated(..)));
    }

    #[test]
    fn a_sleep_ends_early_and_says_which_signal() {
        let interrupt = interrupted(SIGTERM);
        let started = Instant::now();
        let e = interrupt.sleep(Duration::from_secs(30)).unwrap_err();
        // Early, not fast: a loaded machine may take a while to run anything at all.
        assert!(started.elapsed() < Duration::from_secs(15));
        assert_eq!(e.to_string(), "interrupted by SIGTERM");
        assert_eq!(interrupt.exit_code(), ExitCode::from(143));
        assert_eq!(interrupted(SIGINT).exit_code(), ExitCode::from(130));
    }

    #[test]
    fn a_reset_forgets_the_signal() {
        let interrupt = interrupted(SIGINT);
        interrupt.reset();
        assert!(!interrupt.requested());
        assert!(interrupt.sleep(Duration::from_millis(10)).is_ok());
    }
}
