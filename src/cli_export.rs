//! Subcommands that turn a lab into something else: pictures (`graph`), files (`save`, and
//! `run`/`plan` of a saved directory), containerlab topologies (`export-clab`, `import-clab`).
//! `main.rs` only parses arguments; [`crate::cli`] holds the commands that drive labs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::connect::EngineChoice;
use crate::graph::Format;
use crate::intent::Intent;
use crate::runtime::plan::PlanBackend;
use crate::save::start;
use crate::script::{Options, ScriptEngine, ScriptError, Session};
use crate::topology::Lab;
use crate::ui::Reporter;

/// What a file describes: a `.topo` alone, or a script's lab with its final intent (from a
/// silent run with the plan backend, as `render` does).
enum Described {
    Lab(Lab, Option<Intent>),
    /// The script failed; its error is printed, this is the exit code.
    Failed(ExitCode),
}

fn describe(path: &Path, opts: &Options) -> anyhow::Result<Described> {
    if path.extension().is_some_and(|e| e == "topo") {
        let mut lab = crate::topology::load_file(path)?;
        if let Some(name) = &opts.lab_name {
            lab.name = name.clone();
        }
        return Ok(Described::Lab(lab, None));
    }
    let (report, _) = Reporter::buffer(false);
    let session = Session::new(Box::new(PlanBackend), report, opts.clone());
    let mut engine = ScriptEngine::new(session);
    if let Err(e) = engine.run_file(path) {
        eprintln!("{}", e.render(false));
        let code = match e {
            ScriptError::At(_) => 2,
            ScriptError::Other(_) => 1,
            ScriptError::Exit(code) => code,
        };
        return Ok(Described::Failed(ExitCode::from(code)));
    }
    let sess = engine.session.borrow();
    let lab = sess
        .deploy
        .lab()
        .with_context(|| format!("{} loads no topology", path.display()))?
        .clone();
    Ok(Described::Lab(lab, Some(sess.deploy.desired.clone())))
}

/// Write `text` to `out` (`-` is stdout), saying where it went on stderr.
fn emit(text: &str, out: &Path) -> anyhow::Result<()> {
    if out == Path::new("-") {
        print!("{text}");
        return Ok(());
    }
    std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// `graph FILE`: SVG to `<lab>.svg` unless `--out`; text formats to stdout unless `--out`.
pub fn graph(
    path: &Path,
    format: Format,
    out: Option<&Path>,
    opts: &Options,
) -> anyhow::Result<ExitCode> {
    let (lab, intent) = match describe(path, opts)? {
        Described::Lab(lab, intent) => (lab, intent),
        Described::Failed(code) => return Ok(code),
    };
    let text = crate::graph::render(&lab, intent.as_ref(), format);
    let default_svg = PathBuf::from(format!("{}.svg", lab.name));
    let out = match (out, format) {
        (Some(p), _) => p,
        (None, Format::Svg) => default_svg.as_path(),
        (None, _) => Path::new("-"),
    };
    emit(&text, out)?;
    Ok(ExitCode::SUCCESS)
}

/// `save DIR FILE`: each router's configuration after the script (or, with `live`, as the
/// running lab has it), the topology and a README.
pub fn save(
    engine: &EngineChoice,
    dir: &Path,
    path: &Path,
    opts: &Options,
    live: bool,
) -> anyhow::Result<ExitCode> {
    let (lab, intent) = match describe(path, opts)? {
        Described::Lab(lab, intent) => (lab, intent.unwrap_or_default()),
        Described::Failed(code) => return Ok(code),
    };
    let (routers, origin) = if live {
        let mut backend = crate::connect::connect_lab(engine, &lab.name)?;
        let files = lab
            .routers
            .iter()
            .map(|r| crate::save::live::capture(backend.as_mut(), &lab.name, r))
            .collect::<anyhow::Result<Vec<_>>>()
            .with_context(|| {
                format!(
                    "saving the running lab {} (is it up? `mplsrepl status` lists labs)",
                    lab.name
                )
            })?;
        let origin = format!("the running lab on {}", backend.describe());
        (files, origin)
    } else {
        let origin = format!("the final intent of {}", path.display());
        (crate::save::from_intent(&lab, &intent), origin)
    };
    let written = crate::save::write_dir(dir, &lab, &routers, &origin)?;
    println!(
        "saved lab {} in {}: {} files; `mplsrepl run {}` starts it",
        lab.name,
        dir.display(),
        written.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `run DIR` for a saved lab: create it on a real engine from its files.
pub fn run_saved(
    engine: &EngineChoice,
    dir: &Path,
    opts: &Options,
    color: bool,
    verbose: bool,
    down_after: bool,
) -> anyhow::Result<ExitCode> {
    let saved = start::load(dir)?;
    let backend = crate::connect::connect(engine, color)?;
    let report = Reporter::stdout(color, verbose);
    report.line(&format!("engine: {}", backend.backend.describe()));
    let (guard, backend) = crate::run_guard::RunGuard::install(backend);
    let mut session = Session::new(backend, report, opts.clone());
    let started = start::start(&mut session, &saved);
    if guard.interrupted() {
        return Ok(guard.finish_interrupted(&mut session, &Ok(()), down_after));
    }
    started?;
    let lab = session.deploy.lab_name()?;
    if down_after {
        session.deploy.down()?;
    } else {
        session.report.info(&format!(
            "the lab stays up: `{}` removes it",
            guard.down_command(&lab)
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// `plan DIR` for a saved lab: what `run DIR` would do, without Docker.
pub fn plan_saved(dir: &Path, opts: &Options, color: bool) -> anyhow::Result<ExitCode> {
    let saved = start::load(dir)?;
    let mut session = Session::new(
        Box::new(PlanBackend),
        Reporter::stdout(color, true),
        opts.clone(),
    );
    start::start(&mut session, &saved)?;
    session.report.line("");
    session
        .report
        .line("plan: nothing was performed (`mplsrepl run DIR` does it)");
    Ok(ExitCode::SUCCESS)
}

/// `export-clab FILE`: the containerlab topology on stdout.
pub fn export_clab(path: &Path, opts: &Options) -> anyhow::Result<ExitCode> {
    let lab = match describe(path, opts)? {
        Described::Lab(lab, _) => lab,
        Described::Failed(code) => return Ok(code),
    };
    print!(
        "{}",
        crate::clab::export::export(&lab, &opts.default_image)?
    );
    Ok(ExitCode::SUCCESS)
}

/// `import-clab FILE.clab.yml`: the `.topo` on stdout; if it does not validate (a clash the
/// containerlab file allowed), its errors go to stderr and the exit code is 1, so the text can
/// still be fixed by hand.
pub fn import_clab(path: &Path, default_image: &str) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let imported = crate::clab::import::import(&text, default_image)
        .with_context(|| format!("importing {}", path.display()))?;
    print!("{}", imported.text);
    if let Some(errors) = imported.errors {
        eprintln!("{errors}");
        eprintln!(
            "error: the imported topology above does not validate; edit it where the errors point"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_lab_topo_is_not_a_saved_lab() {
        let dir = std::env::temp_dir().join(format!("mplsrepl-notsaved-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(!start::is_saved_lab(&dir));
        let err = start::load(&dir).unwrap_err().to_string();
        assert!(err.contains("is not a saved lab"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
