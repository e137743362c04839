//! The interactive REPL (`mplsrepl` with no arguments): Rhai lines against one live session.
//!
//! Every input is evaluated by the same engine as `run`, in a scope that persists, and the
//! changes it made to the intent are applied when it ends, so the lab follows line by line.
//! Lines starting with `:` are meta-commands ([`meta`]). Docker is only reached when a line
//! needs the lab ([`lazy_backend`]); `--plan` uses the plan backend and never does.

pub mod api_index;
pub mod chain;
pub mod complete;
pub mod continuation;
pub mod evaluator;
pub mod exercise;
pub mod help;
pub mod helper;
pub mod highlight;
pub mod hint;
pub mod history;
pub mod lab_names;
pub mod lazy_backend;
pub mod lexer;
pub mod line_reader;
pub mod meta;
pub mod meta_commands;
pub mod pending;
pub mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use owo_colors::OwoColorize;
use rustyline::error::ReadlineError;

use crate::connect::EngineChoice;
use crate::diagnostic::Source;
use crate::interrupt::{Interrupt, Policy};
use crate::runtime::plan::PlanBackend;
use crate::runtime::Backend;
use crate::script::{Options, ScriptError, Session};
use crate::ui::Reporter;
use evaluator::Evaluator;
use helper::ReplHelper;
use history::HistoryFile;
use lab_names::LabNames;
use lazy_backend::Lazy;
use line_reader::LineReader;

pub struct ReplOptions {
    pub engine: EngineChoice,
    pub color: bool,
    /// Plan backend: nothing is created, every action is printed.
    pub plan: bool,
    /// History file; the data directory's `mplsrepl/history` when `None`.
    pub history: Option<PathBuf>,
}

/// What the loop does after an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// The REPL's state between inputs.
pub struct Repl {
    pub eval: Evaluator,
    pub interrupt: Interrupt,
    pub color: bool,
    /// Apply pending intent after every input (`:auto off` stages changes until `:apply`).
    pub auto_apply: bool,
    /// The snapshot `:diff` compares with by default.
    pub last_snapshot: Option<String>,
}

pub fn run(opts: ReplOptions) -> anyhow::Result<ExitCode> {
    let backend: Box<dyn Backend> = if opts.plan {
        Box::new(PlanBackend)
    } else {
        let engine = opts.engine.clone();
        let color = opts.color;
        Box::new(Lazy::backend(
            "Docker (connected when a line first needs the lab)",
            Box::new(move || Ok(crate::connect::connect(&engine, color)?.backend)),
        ))
    };
    let session_opts = Options {
        default_image: opts.engine.image.clone(),
        wiring: opts.engine.wiring,
        ..Default::default()
    };
    let report = Reporter::stdout(opts.color, opts.plan);
    let session = Session::new(backend, report, session_opts);
    interact(session, opts.color, opts.history.clone())
}

/// The REPL on a session that already has a lab (`run --step`, then `r`): its topology,
/// configuration and containers are kept as they are.
pub fn run_with_session(mut session: Session, color: bool) -> anyhow::Result<ExitCode> {
    session.opts.step_mode = false;
    session.report = Reporter::stdout(color, false);
    interact(session, color, None)
}

fn interact(
    mut session: Session,
    color: bool,
    history: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let interrupt = Interrupt::install(Policy::Line);
    let backend = std::mem::replace(&mut session.deploy.backend, Box::new(PlanBackend));
    session.deploy.backend = Box::new(interrupt.guard(backend));
    let mut repl = Repl {
        eval: Evaluator::new(session, &interrupt),
        interrupt,
        color,
        auto_apply: true,
        last_snapshot: None,
    };
    let mut reader = LineReader::new()?;
    let history_path = history.or_else(history::default_path);
    let mut history = HistoryFile::open(history_path, reader.history_mut());
    repl.banner(history.path());
    loop {
        let input = match read_input(&mut reader, &repl) {
            Ok(input) => input,
            // Ctrl-C at the prompt: rustyline already dropped the line; start a new one.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        if input.trim().is_empty() {
            continue;
        }
        history.add(reader.history_mut(), &input);
        if repl.handle(&input) == Flow::Quit {
            break;
        }
    }
    repl.leave(&mut reader);
    Ok(ExitCode::SUCCESS)
}

/// One complete input. On a terminal the helper's validator already waits for closing
/// brackets; from a pipe rustyline reads plain lines, so the same rule is applied here.
fn read_input(reader: &mut LineReader, repl: &Repl) -> rustyline::Result<String> {
    let mut input = reader.read(&repl.prompt(), repl.helper())?;
    while continuation::needs_more(&input) {
        match reader.read("... ", repl.helper()) {
            Ok(more) => {
                input.push('\n');
                input.push_str(&more);
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(input)
}

impl Repl {
    fn banner(&self, history: Option<&std::path::Path>) {
        let sess = self.eval.script.session.borrow();
        let title = format!("mplsrepl {}", env!("CARGO_PKG_VERSION"));
        let title = if self.color {
            title.bold().to_string()
        } else {
            title
        };
        println!("{title}: every line is Rhai, applied to the lab when it ends.");
        println!("`:help` lists commands and the API; Tab completes; Ctrl-D leaves.");
        println!("engine: {}", sess.deploy.backend.describe());
        if let Some(h) = history {
            println!("history: {}", h.display());
        }
        if sess.deploy.lab.is_none() {
            println!("start with: topology(\"scripts/mpls_vpn.topo\");");
        }
    }

    fn prompt(&self) -> String {
        let sess = self.eval.script.session.borrow();
        let name = sess
            .deploy
            .lab
            .as_ref()
            .map_or("mplsrepl", |l| l.name.as_str());
        let mode = if sess.dry_run() { "[plan]" } else { "" };
        format!("{name}{mode}> ")
    }

    /// Completion, hints and colors, knowing the names as they are now.
    fn helper(&self) -> ReplHelper {
        let sess = self.eval.script.session.borrow();
        ReplHelper {
            api: self.eval.api_index(),
            lab: LabNames::capture(&sess, &self.eval.scope, &self.eval.script.rhai),
            color: self.color,
        }
    }

    /// Evaluate one input: a meta-command or Rhai code.
    pub fn handle(&mut self, input: &str) -> Flow {
        self.interrupt.reset();
        if input.trim_start().starts_with(':') {
            return meta::run(self, input.trim());
        }
        let source = Source::new("<repl>", input.to_string());
        self.eval.script.session.borrow_mut().value_shown = false;
        match self.eval.eval(&source) {
            Ok(value) => {
                let shown = self.eval.script.session.borrow().value_shown;
                let again = shown && (value.is_array() || value.is_map());
                if let Some(text) = self.eval.display(&value).filter(|_| !again) {
                    println!("{}", text.trim_end_matches('\n'));
                }
                self.settle();
            }
            Err(e) => self.script_failure(&e),
        }
        Flow::Continue
    }

    /// After an input ran: apply its changes, or say what is waiting for `:apply`.
    pub fn settle(&mut self) {
        if !self.auto_apply {
            self.note_pending();
            return;
        }
        if let Err(e) = self.apply() {
            self.failure(&e);
        }
    }

    pub fn apply(&mut self) -> anyhow::Result<()> {
        self.eval.script.session.borrow_mut().deploy.apply()
    }

    pub fn script_failure(&self, e: &ScriptError) {
        if self.interrupt.requested() {
            let place = match e {
                ScriptError::At(at) => {
                    let (line, col) = at.line_col();
                    format!(" at {}:{line}:{col}", at.source.name)
                }
                ScriptError::Other(_) | ScriptError::Exit(_) => String::new(),
            };
            self.warn(&format!(
                "interrupted{place}: the lab keeps what was applied before"
            ));
        } else {
            eprintln!("{}", e.render(self.color));
        }
        self.note_pending();
    }

    pub fn failure(&self, e: &anyhow::Error) {
        if self.interrupt.requested() {
            self.warn("interrupted: the lab keeps what was applied before");
        } else {
            let text = format!("error: {e:#}");
            if self.color {
                eprintln!("{}", text.red());
            } else {
                eprintln!("{text}");
            }
        }
        self.note_pending();
    }

    fn warn(&self, text: &str) {
        if self.color {
            eprintln!("{}", text.yellow());
        } else {
            eprintln!("{text}");
        }
    }

    fn note_pending(&self) {
        let sess = self.eval.script.session.borrow();
        let pending = pending::pending_routers(&sess);
        if pending.is_empty() {
            return;
        }
        let text = format!(
            "pending changes on {}: `:plan` shows them, `:apply` sends them, `:discard` drops them",
            pending.join(", ")
        );
        if self.color {
            println!("{}", text.dimmed());
        } else {
            println!("{text}");
        }
    }

    /// Ctrl-D or `:quit`: a lab that really runs is kept unless the user says `down`.
    fn leave(&mut self, reader: &mut LineReader) {
        self.interrupt.reset();
        let lab = {
            let sess = self.eval.script.session.borrow();
            if !sess.deploy.lab_up || sess.dry_run() {
                return;
            }
            sess.deploy.lab_name().unwrap_or_default()
        };
        let question = format!("lab {lab} is up: keep it or take it down? [keep/down] ");
        let answer = reader.read(&question, self.helper()).unwrap_or_default();
        if matches!(answer.trim(), "down" | "d") {
            if let Err(e) = self.eval.script.session.borrow_mut().deploy.down() {
                self.failure(&e);
            }
        } else {
            println!("the lab stays up: `mplsrepl down {lab}` removes it");
        }
    }
}
