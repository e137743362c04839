//! The Rhai engine: registered API, stdlib modules, limits, and errors mapped to source spans.

pub mod api;
pub mod api_error;
pub mod args;
pub mod capture_fn;
pub mod checks;
pub mod common;
pub mod exercise;
pub mod explain;
pub mod failover_fn;
pub mod pending_check;
mod poll_round;
pub mod session;
pub mod stdlib;
pub mod together;
pub mod trace_fn;
pub mod tutorial_fn;
pub mod whatif;

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use rhai::{Engine, EvalAltResult, ParseError, Position, AST};

use crate::diagnostic::{Source, SourceError};
pub use session::{Options, Profile, Session};

/// Limits that stop a runaway script with an error instead of hanging or blowing the stack.
const MAX_OPERATIONS: u64 = 20_000_000;
const MAX_CALL_LEVELS: usize = 64;
const MAX_EXPR_DEPTH: usize = 64;
const MAX_STRING: usize = 1 << 20;
const MAX_ARRAY: usize = 100_000;

pub struct ScriptEngine {
    /// The Rhai interpreter ("engine" elsewhere is a Docker engine, or `engine N` in a topology).
    pub rhai: Engine,
    pub session: Rc<RefCell<Session>>,
}

/// A script failure: at a place in the text, or (for failures outside any script) plain.
#[derive(Debug)]
pub enum ScriptError {
    At(Box<SourceError>),
    Other(anyhow::Error),
    /// The script called `exit(N)`: it ends there, with N as the command's exit status.
    Exit(u8),
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScriptError::At(e) => write!(f, "{e}"),
            ScriptError::Other(e) => write!(f, "{e:#}"),
            ScriptError::Exit(code) => write!(f, "the script called exit({code})"),
        }
    }
}

impl std::error::Error for ScriptError {}

impl ScriptError {
    pub fn render(&self, color: bool) -> String {
        match self {
            ScriptError::At(e) => e.render(color),
            ScriptError::Other(e) => crate::diagnostic::printable(&format!("error: {e:#}")),
            ScriptError::Exit(code) => format!("the script called exit({code})"),
        }
    }
}

/// What the script's `exit(N)` throws. Rhai's own `exit` ends a script as a success whatever
/// N is; this one travels as a termination, which no `try` catches, to [`exit_request`].
#[derive(Debug, Clone, Copy)]
struct ExitRequest(u8);

/// `exit()` is 0, `exit(3)` 3; a number outside 0-255, or anything else, is 1.
fn exit_status(value: &rhai::Dynamic) -> u8 {
    if value.is_unit() {
        return 0;
    }
    value
        .as_int()
        .ok()
        .and_then(|n| u8::try_from(n).ok())
        .unwrap_or(1)
}

fn register_exit(engine: &mut Engine) {
    let exit = |value: rhai::Dynamic| -> Result<(), Box<EvalAltResult>> {
        let request = rhai::Dynamic::from(ExitRequest(exit_status(&value)));
        Err(Box::new(EvalAltResult::ErrorTerminated(
            request,
            Position::NONE,
        )))
    };
    engine.register_fn("exit", exit);
    engine.register_fn("exit", move || exit(rhai::Dynamic::UNIT));
}

/// The status of an `exit(N)` that ended the script, wherever it was called from.
fn exit_request(e: &EvalAltResult) -> Option<u8> {
    match e {
        EvalAltResult::ErrorTerminated(token, _) => {
            token.clone().try_cast::<ExitRequest>().map(|r| r.0)
        }
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => exit_request(inner),
        _ => None,
    }
}

impl ScriptEngine {
    pub fn new(session: Session) -> Self {
        Self::on(Rc::new(RefCell::new(session)))
    }

    /// An engine on a session another engine works on too (an exercise's prompt, in the
    /// middle of a tutorial).
    pub fn on(session: Rc<RefCell<Session>>) -> Self {
        let mut engine = Engine::new();
        engine
            .set_max_operations(MAX_OPERATIONS)
            .set_max_call_levels(MAX_CALL_LEVELS)
            .set_max_expr_depths(MAX_EXPR_DEPTH, MAX_EXPR_DEPTH)
            .set_max_string_size(MAX_STRING)
            .set_max_array_size(MAX_ARRAY)
            .set_max_map_size(MAX_ARRAY);
        api::register(&mut engine, &session);
        checks::register(&mut engine, &session);
        capture_fn::register(&mut engine, &session);
        whatif::register(&mut engine, &session);
        trace_fn::register(&mut engine, &session);
        failover_fn::register(&mut engine, &session);
        explain::register(&mut engine, &session);
        exercise::register(&mut engine, &session, None);
        tutorial_fn::register(&mut engine, &session);
        stdlib::register_closures(&mut engine);
        together::register(&mut engine, &session);
        register_exit(&mut engine);
        let s = session.clone();
        engine.on_print(move |text| s.borrow().report.info(&crate::diagnostic::printable(text)));
        engine.on_debug(|text, _, pos| eprintln!("debug {pos}: {text}"));
        engine.set_module_resolver(stdlib::resolver(Path::new(".")));
        ScriptEngine {
            rhai: engine,
            session,
        }
    }

    /// Interactive exercises give the learner `prompt` (the REPL's, from a layer above).
    pub fn set_exercise_prompt(&mut self, prompt: exercise::Hook) {
        exercise::register(&mut self.rhai, &self.session, Some(prompt));
    }

    /// Run a script file to the end, then apply whatever its last step configured.
    pub fn run_file(&mut self, path: &Path) -> Result<(), ScriptError> {
        let text = crate::catalogue::read_to_string(path).map_err(|e| {
            ScriptError::Other(anyhow::anyhow!("cannot read {}: {e}", path.display()))
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        self.session.borrow_mut().base_dir = dir.clone();
        self.rhai.set_module_resolver(stdlib::resolver(&dir));
        let source = Source::new(path.display().to_string(), text);
        self.run_source(&source)
    }

    pub fn run_source(&mut self, source: &Source) -> Result<(), ScriptError> {
        let ast = self.compile(source)?;
        self.session.borrow_mut().script_source = Some(source.name.clone());
        let exited = match self.rhai.run_ast(&ast) {
            Ok(()) => None,
            // `exit(N)` ends the script as its end would, with N as the exit status.
            Err(e) => match exit_request(&e) {
                Some(code) => Some(code),
                None => return Err(ScriptError::At(Box::new(runtime_error(source, &e)))),
            },
        };
        let mut sess = self.session.borrow_mut();
        sess.deploy.apply().map_err(ScriptError::Other)?;
        sess.end_step();
        match exited {
            Some(code) => Err(ScriptError::Exit(code)),
            None => Ok(()),
        }
    }

    pub fn compile(&self, source: &Source) -> Result<AST, ScriptError> {
        let mut ast = self
            .rhai
            .compile(&*source.text)
            .map_err(|e| ScriptError::At(Box::new(parse_error(source, &e))))?;
        ast.set_source(source.name.as_str());
        Ok(ast)
    }
}

fn parse_error(source: &Source, e: &ParseError) -> SourceError {
    let span = span_at(source, e.position());
    SourceError::new(source, span, e.err_type().to_string())
}

/// Point at the outermost call in the user's script; keep the inner chain in the message.
pub fn runtime_error(source: &Source, e: &EvalAltResult) -> SourceError {
    let span = span_at(source, e.position());
    let message = error_message(e);
    // A long message is printed once above the source; under the span its first line is enough.
    let label = message.lines().next().unwrap_or_default().to_string();
    // What to do about it goes in a help line of its own (frr::limits says FRR's range so).
    match message.split_once("\nhelp: ") {
        Some((message, help)) => SourceError::new(source, span, message)
            .with_label(label)
            .with_help(help),
        None => SourceError::new(source, span, message).with_label(label),
    }
}

/// The innermost error's text, with the function calls that led there.
fn error_message(e: &EvalAltResult) -> String {
    match e {
        EvalAltResult::ErrorInFunctionCall(name, _, inner, _) if !name.starts_with("anon$") => {
            format!("in {name}(): {}", error_message(inner))
        }
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => error_message(inner),
        EvalAltResult::ErrorInModule(name, inner, _) => {
            format!("in module {name}: {}", error_message(inner))
        }
        // `throw;` and `throw ""` carry no text; the message must still say something.
        EvalAltResult::ErrorRuntime(value, _) => match value.to_string() {
            text if text.trim().is_empty() => "uncaught `throw` with no message".to_string(),
            text => text,
        },
        other => {
            let text = other.to_string();
            // Rhai appends " (line N, position M)"; our span already says where.
            match text.rfind(" (line ") {
                Some(idx) => text[..idx].to_string(),
                None => text,
            }
        }
    }
}

/// Byte span of the token at a Rhai position (1-based line and column).
fn span_at(source: &Source, pos: Position) -> std::ops::Range<usize> {
    let text = &*source.text;
    let (Some(line), Some(col)) = (pos.line(), pos.position()) else {
        return 0..0;
    };
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let line_text = text[line_start.min(text.len())..]
        .lines()
        .next()
        .unwrap_or("");
    let col_byte: usize = line_text
        .chars()
        .take(col.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    let start = (line_start + col_byte).min(text.len());
    let token_len: usize = text[start..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .map(char::len_utf8)
        .sum();
    let len = if token_len == 0 {
        text[start..].chars().next().map_or(0, char::len_utf8)
    } else {
        token_len
    };
    start..start + len
}
