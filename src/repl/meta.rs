//! Meta-commands: lines starting with `:` talk to the REPL rather than to Rhai.

use std::path::Path;

use super::{Flow, Repl};

/// Run one meta-command line (`:name args...`).
pub fn run(repl: &mut Repl, line: &str) -> Flow {
    let mut words = line.split_whitespace();
    let name = words.next().unwrap_or(":");
    let args: Vec<&str> = words.collect();
    let outcome = match name {
        ":help" | ":h" | ":?" => {
            println!(
                "{}",
                super::help::render(&repl.eval.api_index(), repl.color)
            );
            Ok(())
        }
        ":load" => load(repl, &args),
        ":plan" => {
            let sess = repl.eval.script.session.borrow();
            super::pending::show(&sess, args.first().copied(), repl.color);
            Ok(())
        }
        ":apply" => repl.apply(),
        ":discard" => {
            let mut sess = repl.eval.script.session.borrow_mut();
            sess.deploy.desired = sess.deploy.deployed.clone();
            println!("pending changes dropped");
            Ok(())
        }
        ":auto" => switch(&args, &mut repl.auto_apply, "auto-apply"),
        ":verbose" => {
            let mut sess = repl.eval.script.session.borrow_mut();
            switch(&args, &mut sess.report.verbose, "verbose")
        }
        ":show" => show(repl, &args),
        ":status" => {
            let sess = repl.eval.script.session.borrow();
            println!(
                "{}",
                super::status::render(&sess, repl.auto_apply, repl.color)
            );
            Ok(())
        }
        ":graph" => {
            let sess = repl.eval.script.session.borrow();
            sess.deploy
                .lab()
                .map(|lab| println!("{}", crate::graph::ascii(lab, Some(&sess.deploy.desired))))
        }
        ":step" => step(repl, &args),
        ":snapshot" => match args.as_slice() {
            [name] => {
                repl.last_snapshot = Some(name.to_string());
                return repl.handle(&format!("snapshot({name:?});"));
            }
            _ => Err(anyhow::anyhow!("usage: :snapshot NAME")),
        },
        ":diff" => {
            let (a, b) = match (args.as_slice(), repl.last_snapshot.clone()) {
                ([a, b], _) => (a.to_string(), Some(b.to_string())),
                ([a], _) => (a.to_string(), None),
                ([], Some(last)) => (last, None),
                _ => {
                    return usage(
                        repl,
                        "usage: :diff [A] [B] (take one with :snapshot NAME first)",
                    )
                }
            };
            let script = match b {
                Some(b) => format!("diff({a:?}, {b:?}); ()"),
                None => format!("snapshot(\"now\"); diff({a:?}, \"now\");"),
            };
            return repl.handle(&script);
        }
        ":undo" => return repl.handle("undo();"),
        ":quit" | ":q" | ":exit" => return Flow::Quit,
        other => Err(anyhow::anyhow!(
            "unknown meta-command `{other}`: `:help` lists them"
        )),
    };
    if let Err(e) = outcome {
        repl.failure(&e);
    }
    Flow::Continue
}

/// `:step FILE`: like `:load`, pausing before each step with the plan of that step (from a
/// dry run of the same file). `r` at a pause comes back to this prompt, the lab as it is.
fn step(repl: &mut Repl, args: &[&str]) -> anyhow::Result<()> {
    let [file] = args else {
        anyhow::bail!("usage: :step FILE.rhai");
    };
    let path = &crate::catalogue::resolve(Path::new(file)).map_err(|e| anyhow::anyhow!(e))?;
    let opts = repl.eval.script.session.borrow().opts.clone();
    let plans = match crate::dry_run::dry_run(path, &opts) {
        Ok((_, plans)) => plans,
        Err(e) => {
            repl.script_failure(&e);
            return Ok(());
        }
    };
    {
        let mut sess = repl.eval.script.session.borrow_mut();
        sess.opts.step_mode = true;
        sess.opts.step_plans = plans;
        sess.progress.number = 0;
    }
    let outcome = repl.eval.load(path);
    repl.eval.script.session.borrow_mut().opts.step_mode = false;
    match outcome {
        Ok(()) => repl.settle(),
        Err(e) if e.to_string().contains(crate::script::session::DROP_TO_REPL) => {
            println!("stopped stepping: the lab is as the last step left it");
        }
        Err(e) => repl.script_failure(&e),
    }
    Ok(())
}

fn usage(repl: &Repl, text: &str) -> Flow {
    repl.failure(&anyhow::anyhow!("{text}"));
    Flow::Continue
}

fn load(repl: &mut Repl, args: &[&str]) -> anyhow::Result<()> {
    let [file] = args else {
        anyhow::bail!("usage: :load FILE.rhai");
    };
    match repl.eval.load(Path::new(file)) {
        Ok(()) => repl.settle(),
        Err(e) => repl.script_failure(&e),
    }
    Ok(())
}

fn switch(args: &[&str], flag: &mut bool, what: &str) -> anyhow::Result<()> {
    match args {
        [] => {}
        ["on"] => *flag = true,
        ["off"] => *flag = false,
        _ => anyhow::bail!("usage: :{} on|off", what.split('-').next().unwrap_or(what)),
    }
    println!("{what} is {}", if *flag { "on" } else { "off" });
    Ok(())
}

fn show(repl: &mut Repl, args: &[&str]) -> anyhow::Result<()> {
    let [router, command @ ..] = args else {
        anyhow::bail!("usage: :show ROUTER CMD... (e.g. :show PR ip route)");
    };
    if command.is_empty() {
        anyhow::bail!("usage: :show ROUTER CMD... (e.g. :show PR ip route)");
    }
    // `:show PR show ip route` says the same as `:show PR ip route`.
    let command = match command {
        ["show", rest @ ..] => rest,
        all => all,
    };
    let mut sess = repl.eval.script.session.borrow_mut();
    let out = sess
        .deploy
        .vtysh(router, &format!("show {}", command.join(" ")))?;
    if sess.dry_run() {
        println!("(plan: nothing runs, so there is no output)");
    }
    print!("{}", out.stdout);
    if !out.stderr.is_empty() {
        eprint!("{}", out.stderr);
    }
    if !out.success() {
        anyhow::bail!("vtysh exited with status {}", out.exit_code);
    }
    Ok(())
}
