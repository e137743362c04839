//! The prompt of a tutorial's exercise: the whole REPL on the tutorial's session, plus
//! `:task`, `:check`, `:hint` and `:solution`. The tutorial goes on once `:check` finds every
//! checkpoint holding; Ctrl-D (or `:quit`) stops it.

use std::rc::Rc;
use std::time::Instant;

use owo_colors::OwoColorize;
use rustyline::error::ReadlineError;

use super::evaluator::Evaluator;
use super::line_reader::LineReader;
use super::{read_input, Flow, Repl};
use crate::interrupt::{Interrupt, Policy};
use crate::script::common::Shared;
use crate::script::exercise::{Condition, Ending, Exercise, Hook};
use crate::script::ScriptEngine;

/// The hook `tutorial` installs in its session.
pub fn hook(color: bool) -> Hook {
    Rc::new(move |shared, exercise, condition| work_on(shared, exercise, condition, color))
}

/// What the learner has done so far on one exercise.
struct Progress<'a> {
    exercise: &'a Exercise,
    condition: Condition<'a>,
    hints_used: usize,
    started: Instant,
}

fn work_on(
    shared: &Shared,
    exercise: &Exercise,
    condition: Condition,
    color: bool,
) -> anyhow::Result<Ending> {
    // The tutorial's Ctrl-C stops the whole run; at the prompt it stops a line.
    let interrupt = Interrupt::install(Policy::Line);
    let mut repl = Repl {
        eval: Evaluator::on(ScriptEngine::on(shared.clone()), &interrupt),
        interrupt: interrupt.clone(),
        color,
        auto_apply: true,
        last_snapshot: None,
    };
    let mut progress = Progress {
        exercise,
        condition,
        hints_used: 0,
        started: Instant::now(),
    };
    println!(
        "  The prompt is yours: every line is Rhai, `:show R CMD`, `:plan` and `:help` work.\n  \
         `:check` says what is still wrong, `:hint` gives a hint ({} in all), `:solution` shows\n  \
         the reference lines; Ctrl-D stops the tutorial.",
        exercise.hints.len()
    );
    let ending = prompt(&mut repl, &mut progress, color);
    Interrupt::install(Policy::Run);
    ending
}

/// Lines until the exercise is solved or left.
fn prompt(repl: &mut Repl, progress: &mut Progress, color: bool) -> anyhow::Result<Ending> {
    let exercise = progress.exercise;
    let mut reader = LineReader::new()?;
    loop {
        let input = match read_input(&mut reader, repl) {
            Ok(input) => input,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => return Ok(Ending::Quit),
            Err(e) => return Err(e.into()),
        };
        let line = input.trim();
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] => continue,
            [":task"] => println!("  {}", exercise.task),
            [":hint"] => hint(progress, color),
            [":check"] => {
                repl.interrupt.reset();
                if check(repl, progress, color) {
                    return Ok(Ending::Solved {
                        hints_used: progress.hints_used,
                        seconds: progress.started.elapsed().as_secs_f64(),
                    });
                }
            }
            [":solution"] => solution(repl, &mut reader, progress),
            _ => {
                if repl.handle(&input) == Flow::Quit {
                    return Ok(Ending::Quit);
                }
            }
        }
    }
}

fn hint(progress: &mut Progress, color: bool) {
    let hints = &progress.exercise.hints;
    let Some(text) = hints.get(progress.hints_used) else {
        println!("  no more hints: `:solution` shows the reference lines");
        return;
    };
    progress.hints_used += 1;
    let line = format!("  hint {} of {}: {text}", progress.hints_used, hints.len());
    if color {
        println!("{}", line.cyan());
    } else {
        println!("{line}");
    }
}

/// Each checkpoint once, as the lab is now: a learner who just typed a change may need to
/// let the protocols converge and ask again, which the answer says.
fn check(repl: &mut Repl, progress: &Progress, color: bool) -> bool {
    repl.settle();
    let mut holding = 0;
    for c in &progress.exercise.checks {
        match (progress.condition)(&c.check) {
            Ok(true) => {
                holding += 1;
                let line = format!("  ok    {}", c.what);
                println!(
                    "{}",
                    if color {
                        line.green().to_string()
                    } else {
                        line
                    }
                );
            }
            Ok(false) => {
                let line = format!("  not yet  {}: {}", c.what, c.hint);
                println!("{}", if color { line.red().to_string() } else { line });
            }
            Err(e) => println!("  not yet  {}: {e}", c.what),
        }
    }
    let all = progress.exercise.checks.len();
    if holding == all {
        println!(
            "  solved: all {all} checkpoints hold ({:.0} s, {} of {} hints)",
            progress.started.elapsed().as_secs_f64(),
            progress.hints_used,
            progress.exercise.hints.len()
        );
        return true;
    }
    println!(
        "  {holding} of {all} checkpoints hold; protocols take a few seconds after a change: `:check` again"
    );
    false
}

fn solution(repl: &mut Repl, reader: &mut LineReader, progress: &Progress) {
    println!("  the reference solution:");
    for line in progress.exercise.solution.trim().lines() {
        println!("    {line}");
    }
    let answer = reader
        .read("  apply it now? [y/N] ", repl.helper())
        .unwrap_or_default();
    if matches!(answer.trim(), "y" | "yes") {
        repl.handle(progress.exercise.solution.trim());
        println!("  applied: `:check` when the protocols have had a moment");
    }
}
