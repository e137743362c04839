//! Exercises: a tutorial step the learner does, with checkpoints that say what is still
//! wrong, hints given one at a time, and a reference solution.
//!
//! ```rhai
//! exercise("Configure LDP on PR, PE1 and PE2", #{
//!     hints: ["`ldp::core(NAME)` does one router", "the core routers are PR, PE1 and PE2"],
//!     solution: `for r in ["PR", "PE1", "PE2"] { ldp::core(r); }`,
//!     checks: [#{ what: "PR has two LDP sessions", hint: "`show mpls ldp neighbor` on PR",
//!                 check: || ... }],
//! });
//! ```
//!
//! Interactive, the learner gets a prompt with the whole REPL (the `Hook` the command line
//! installs: the script layer knows no prompt). Unattended (`--yes`, CI) and in a plan, the
//! reference solution is applied as if the learner had typed it, and the checkpoints must
//! hold as a tutorial's `checkpoint`s do.

use std::rc::Rc;

use rhai::{Dynamic, Engine, FnPtr, Map, NativeCallContext};

use super::common::{err, settle, RhaiResult, Shared};

/// One thing the learner must make true, with what to look at while it is not.
#[derive(Clone)]
pub struct Checkpoint {
    pub what: String,
    pub hint: String,
    pub check: FnPtr,
}

#[derive(Clone)]
pub struct Exercise {
    pub task: String,
    pub hints: Vec<String>,
    /// Rhai lines, as the learner would type them at the prompt.
    pub solution: String,
    pub checks: Vec<Checkpoint>,
}

/// How an exercise at the prompt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// Every checkpoint held at the learner's `:check`.
    Solved { hints_used: usize, seconds: f64 },
    /// The learner left the tutorial.
    Quit,
}

/// Evaluates one checkpoint's condition in the tutorial's context.
pub type Condition<'a> = &'a dyn Fn(&FnPtr) -> RhaiResult<bool>;

/// The prompt an interactive exercise runs (installed by the command line).
pub type Hook = Rc<dyn Fn(&Shared, &Exercise, Condition) -> anyhow::Result<Ending>>;

/// `exercise(task, spec)`; with a `prompt`, an interactive run gives the learner that prompt.
pub fn register(engine: &mut Engine, shared: &Shared, prompt: Option<Hook>) {
    let s = shared.clone();
    engine.register_fn(
        "exercise",
        move |ctx: NativeCallContext, task: &str, spec: Map| -> RhaiResult<()> {
            let exercise = parse(task, spec)?;
            run(&s, &ctx, &exercise, prompt.clone())
        },
    );
}

fn parse(task: &str, mut spec: Map) -> RhaiResult<Exercise> {
    let field = |spec: &mut Map, name: &str| {
        spec.remove(name)
            .ok_or_else(|| err(format!("exercise `{task}`: no `{name}` in its map")))
    };
    let strings = |v: Dynamic, name: &str| -> RhaiResult<Vec<String>> {
        v.into_array()
            .map_err(|t| err(format!("exercise `{task}`: `{name}` is {t}, not an array")))?
            .into_iter()
            .map(|h| {
                h.into_string()
                    .map_err(|t| err(format!("exercise `{task}`: a {name} entry is {t}")))
            })
            .collect()
    };
    let hints = strings(field(&mut spec, "hints")?, "hints")?;
    let solution = field(&mut spec, "solution")?.into_string().map_err(|t| {
        err(format!(
            "exercise `{task}`: `solution` is {t}, not a string"
        ))
    })?;
    let mut checks = Vec::new();
    let list = field(&mut spec, "checks")?
        .into_array()
        .map_err(|t| err(format!("exercise `{task}`: `checks` is {t}, not an array")))?;
    for c in list {
        let mut c = c
            .try_cast::<Map>()
            .ok_or_else(|| err(format!("exercise `{task}`: a check is not a map")))?;
        let text = |c: &mut Map, name: &str| -> RhaiResult<String> {
            c.remove(name)
                .and_then(|v| v.into_string().ok())
                .ok_or_else(|| err(format!("exercise `{task}`: a check has no `{name}` string")))
        };
        let what = text(&mut c, "what")?;
        let hint = text(&mut c, "hint")?;
        let check = c
            .remove("check")
            .and_then(|v| v.try_cast::<FnPtr>())
            .ok_or_else(|| {
                err(format!(
                    "exercise `{task}`: check `{what}` has no `check` closure"
                ))
            })?;
        checks.push(Checkpoint { what, hint, check });
    }
    if let Some(extra) = spec.keys().next() {
        return Err(err(format!(
            "exercise `{task}`: unknown key `{extra}` (expected hints, solution, checks)"
        )));
    }
    if checks.is_empty() {
        return Err(err(format!(
            "exercise `{task}`: no checks, so nothing could say it is done"
        )));
    }
    Ok(Exercise {
        task: task.to_string(),
        hints,
        solution,
        checks,
    })
}

fn run(
    s: &Shared,
    ctx: &NativeCallContext,
    exercise: &Exercise,
    hook: Option<Hook>,
) -> RhaiResult<()> {
    settle(s)?;
    let interactive = {
        let sess = s.borrow();
        sess.opts.interactive && !sess.dry_run()
    };
    s.borrow().report.exercise(&exercise.task);
    let condition = |f: &FnPtr| -> RhaiResult<bool> {
        let v: Dynamic = f.call_within_context(ctx, ())?;
        Ok(v.as_bool().unwrap_or(false))
    };
    if let (Some(hook), true) = (hook, interactive) {
        return match hook(s, exercise, &condition).map_err(err)? {
            Ending::Solved {
                hints_used,
                seconds,
            } => {
                let mut sess = s.borrow_mut();
                for c in &exercise.checks {
                    sess.check_passed(&c.what, &c.what, seconds);
                }
                let line = format!(
                    "exercise: {} (solved in {seconds:.0} s, {hints_used} of {} hints)",
                    exercise.task,
                    exercise.hints.len()
                );
                sess.check_passed(&line, &line, seconds);
                Ok(())
            }
            Ending::Quit => Err(err("tutorial stopped by the learner")),
        };
    }
    s.borrow()
        .report
        .line("  the reference solution, as the learner would type it:");
    for line in exercise.solution.trim().lines() {
        s.borrow().report.line(&format!("    {line}"));
    }
    apply_solution(ctx, exercise)?;
    settle(s)?;
    for c in &exercise.checks {
        super::checks::checkpoint(s, ctx, &c.what, &c.hint, &c.check)?;
    }
    Ok(())
}

/// The solution's lines, evaluated with the stdlib modules imported as at the prompt.
pub fn apply_solution(ctx: &NativeCallContext, exercise: &Exercise) -> RhaiResult<()> {
    let imports: String = super::stdlib::MODULES
        .iter()
        .map(|(name, _)| format!("import {name:?} as {name};\n"))
        .collect();
    ctx.engine()
        .eval::<Dynamic>(&format!("{imports}{}", exercise.solution))
        .map(|_| ())
        .map_err(|e| {
            err(format!(
                "exercise `{}`: its reference solution failed: {e}",
                exercise.task
            ))
        })
}
