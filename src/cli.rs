//! What each subcommand does, in terms of the library. `main.rs` only parses arguments.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};

use crate::check::repeat::RunRecord;
use crate::connect::{connect, connect_existing, connect_lab, engine_list, pins, EngineChoice};
use crate::diagnostic::Source;
use crate::dry_run::{dry_run, plan_session, planned_daemons, start_order};
use crate::run_guard::RunGuard;
use crate::runtime::docker::DockerBackend;
use crate::runtime::engine_lost::Unreachable;
use crate::runtime::multi_engine::EngineAddr;
use crate::runtime::placement::Placement;
use crate::runtime::plan::PlanBackend;
use crate::script::{Options, ScriptEngine, ScriptError, Session};
use crate::ui::Reporter;

fn is_topology(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "topo")
}

/// A script is a `.rhai` file: anything else would be read as Rhai and fail with a syntax
/// error about text that was never meant to be a script.
fn require_script(path: &Path, command: &str, also: &str) -> anyhow::Result<()> {
    if path.extension().is_some_and(|e| e == "rhai") {
        return Ok(());
    }
    let what = if is_topology(path) {
        "is a topology, not a script".to_string()
    } else {
        "is not a script (.rhai)".to_string()
    };
    bail!(
        "{}: {what}\nhelp: `mplsrepl {command}` takes a script (.rhai){also}",
        path.display()
    )
}

/// `plan FILE`: the transcript of a script, or of bringing up a bare topology.
/// `plan --engines URLS [--place ...]`: where the routers would run.
pub struct Spread {
    pub engines: String,
    pub place: Option<String>,
}

pub fn plan(
    path: &Path,
    opts: &Options,
    color: bool,
    spread: Option<&Spread>,
) -> anyhow::Result<ExitCode> {
    let report = Reporter::stdout(color, true);
    // Parsed first: a wrong --engines or --place is an error before anything is printed.
    let spread = spread
        .map(|s| anyhow::Ok((engine_list(&s.engines)?, pins(s.place.as_deref())?)))
        .transpose()?;
    if is_topology(path) {
        let code = plan_topology(path, opts, report)?;
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
        if let Some(spread) = &spread {
            let lab = crate::topology::load_file(path)?;
            print_placement(&lab, opts, spread)?;
        }
        return Ok(code);
    }
    require_script(
        path,
        "plan",
        ", a topology (.topo) or a saved lab's directory",
    )?;
    // One run: its transcript is printed afterwards, when every daemon the script will need
    // (a later step may add one) is known for step 1's containers.
    let (recording, transcript) = Reporter::recording(color, true);
    match plan_session(path, opts, recording) {
        Ok(planned) => {
            let sess = planned.script.session.borrow();
            let daemons = planned_daemons(&sess);
            print!("{}", transcript.text(&start_order(&sess, &daemons)));
            if let (Some(spread), Ok(lab)) = (&spread, sess.deploy.lab()) {
                report.line("");
                print_placement(lab, opts, spread)?;
            }
            report.line("");
            let ends = match planned.exit {
                Some(code) => format!(", then the script calls exit({code})"),
                None => String::new(),
            };
            report.line(&format!(
                "plan: {} steps{ends}; nothing was performed and no check was evaluated",
                sess.progress.number
            ));
            // As `run` would: the script's own status.
            Ok(planned.exit.map_or(ExitCode::SUCCESS, ExitCode::from))
        }
        Err(e) => Ok(script_failure(&e, color)),
    }
}

fn print_placement(
    lab: &crate::topology::Lab,
    opts: &Options,
    (engines, pinned): &(Vec<EngineAddr>, Placement),
) -> anyhow::Result<()> {
    let spec = crate::runtime::LabSpec::from_lab(
        lab,
        &opts.default_image,
        crate::runtime::Wiring::Veth,
        |_, _| Default::default(),
    );
    let placement = crate::runtime::placement::place(&spec, engines.len(), pinned)?;
    let names: Vec<String> = engines.iter().map(|e| e.to_string()).collect();
    println!("placement over {} engines:", engines.len());
    for line in crate::runtime::placement::describe(&spec, &placement, &names) {
        println!("  {line}");
    }
    if let Some(why) = crate::runtime::placement::unwirable(&spec, &placement) {
        bail!("{why}");
    }
    Ok(())
}

/// A bare topology: its networks and containers, and every router's addresses.
fn plan_topology(path: &Path, opts: &Options, report: Reporter) -> anyhow::Result<ExitCode> {
    bring_up_topology(path, opts, report, Box::new(PlanBackend), None)
}

/// `up FILE.topo`: create a bare topology on a real engine, addresses configured, nothing else.
pub fn up(
    engine: &EngineChoice,
    path: &Path,
    opts: &Options,
    color: bool,
) -> anyhow::Result<ExitCode> {
    if !is_topology(path) {
        bail!(
            "`up` takes a topology (.topo); run a script with `mplsrepl run {}`",
            path.display()
        );
    }
    let backend = connect(engine, color)?;
    let (guard, backend) = RunGuard::install(backend);
    let code = bring_up_topology(
        path,
        opts,
        Reporter::stdout(color, false),
        backend,
        Some(&guard),
    )?;
    if code == ExitCode::SUCCESS {
        let lab = match &opts.lab_name {
            Some(name) => name.clone(),
            None => lab_name_from_file(path)?,
        };
        println!("lab {lab} is up: `{}` removes it", guard.down_command(&lab));
    }
    Ok(code)
}

fn bring_up_topology(
    path: &Path,
    opts: &Options,
    report: Reporter,
    backend: Box<dyn crate::runtime::Backend>,
    guard: Option<&RunGuard>,
) -> anyhow::Result<ExitCode> {
    let text = crate::catalogue::read_to_string(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let source = Source::new(path.display().to_string(), text);
    if let Err(errors) = crate::topology::load_for(&source, opts.engines) {
        eprintln!("{}", errors.render(report.color()));
        return Ok(ExitCode::from(2));
    }
    let script = format!(
        "topology({:?});\nstep(\"networks and containers\");\nup();\nstep(\"addresses\");\nfor r in routers() {{ router(r).addresses(); }}\n",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let session = Session::new(backend, report, opts.clone());
    let mut engine = ScriptEngine::new(session);
    engine.session.borrow_mut().base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    if let Some(guard) = guard {
        guard.attach(&mut engine.rhai);
    }
    let source = Source::new("<topology>", script);
    let outcome = engine.run_source(&source);
    if let Some(guard) = guard {
        let mut sess = engine.session.borrow_mut();
        // `up` is all lab creation: interrupted anywhere, it removes what it made.
        if guard.interrupted() {
            return Ok(guard.finish_interrupted(&mut sess, &outcome, true));
        }
        if let (Err(e), Ok(lab)) = (&outcome, sess.deploy.lab_name()) {
            if let Some(hint) = guard.lost_hint(&lab) {
                eprintln!("error: {e}\n{hint}");
                return Ok(ExitCode::from(1));
            }
        }
    }
    outcome.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

fn script_failure(e: &ScriptError, color: bool) -> ExitCode {
    eprintln!("{}", e.render(color));
    match e {
        ScriptError::At(_) => ExitCode::from(2),
        ScriptError::Other(_) => ExitCode::from(1),
        ScriptError::Exit(code) => ExitCode::from(*code),
    }
}

/// `render SCRIPT [ROUTER]`: frr.conf of routers after the script's intent.
pub fn render(path: &Path, router: Option<&str>, opts: &Options) -> anyhow::Result<ExitCode> {
    require_script(path, "render", "; `mplsrepl up` brings up a bare topology")?;
    let (report, _) = Reporter::buffer(false);
    let engine = match plan_session(path, opts, report) {
        Ok(planned) => planned.script,
        Err(e) => return Ok(script_failure(&e, false)),
    };
    let sess = engine.session.borrow();
    let lab = sess.deploy.lab()?;
    for r in &lab.routers {
        if router.is_some_and(|want| want != r.name) {
            continue;
        }
        let intent = sess
            .deploy
            .desired
            .routers
            .get(&r.name)
            .cloned()
            .unwrap_or_default();
        println!("! ---- {} ----", r.name);
        print!("{}", crate::frr::render::frr_conf(&intent));
    }
    if let Some(want) = router {
        sess.deploy.require_router(want)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `run SCRIPT`: plan silently (to fail fast on script errors and learn the daemons), then run
/// for real; `repeat` times over (each run removes its lab) with a summary at the end.
pub fn run(
    engine: &EngineChoice,
    path: &Path,
    opts: &Options,
    color: bool,
    verbose: bool,
    down_after: bool,
    repeat: u32,
) -> anyhow::Result<ExitCode> {
    require_script(
        path,
        "run",
        " or a saved lab's directory; `mplsrepl up` brings up a bare topology",
    )?;
    check_report_files(&opts.reports)?;
    let (hints, step_plans) = match dry_run(path, opts) {
        Ok(h) => h,
        Err(e) => {
            write_reports(&opts.reports, path, &[], Some(e.to_string()))?;
            return Ok(script_failure(&e, color));
        }
    };
    let opts = Options {
        daemons: crate::deploy::Daemons::Planned(hints),
        step_plans,
        ..opts.clone()
    };
    if repeat > 1 {
        return run_repeated(engine, path, &opts, color, verbose, repeat);
    }
    let once = run_once(engine, path, &opts, color, verbose, down_after)?;
    if let Some(record) = &once.record {
        write_reports(&opts.reports, path, std::slice::from_ref(record), None)?;
    }
    Ok(once.code)
}

/// What one run came to: its exit code, its checks and steps (none when the user left for
/// the REPL).
struct RunOnce {
    code: ExitCode,
    record: Option<(String, RunRecord)>,
    /// The repeats end here: a signal came, or the lab could not be removed (the next run
    /// would meet what is left of it).
    stop: bool,
}

/// `run --repeat N`: the lab built, scripted, checked and removed N times, then the summary
/// (crate::check::repeat). Exit 1 if any run failed.
fn run_repeated(
    engine: &EngineChoice,
    path: &Path,
    opts: &Options,
    color: bool,
    verbose: bool,
    repeat: u32,
) -> anyhow::Result<ExitCode> {
    let mut records = Vec::new();
    let mut code = ExitCode::SUCCESS;
    for k in 1..=repeat {
        println!("\n==== run {k} of {repeat} ====");
        let once = run_once(engine, path, opts, color, verbose, true)?;
        let Some(record) = once.record else {
            return Ok(once.code);
        };
        if !record.1.passed {
            code = ExitCode::from(1);
        }
        records.push(record);
        if once.stop {
            code = once.code;
            break;
        }
    }
    let runs: Vec<RunRecord> = records.iter().map(|(_, r)| r.clone()).collect();
    println!(
        "\n{}",
        crate::check::repeat::summary(&path.display().to_string(), &runs)
    );
    write_reports(&opts.reports, path, &records, None)?;
    Ok(code)
}

fn run_once(
    engine: &EngineChoice,
    path: &Path,
    opts: &Options,
    color: bool,
    verbose: bool,
    down_after: bool,
) -> anyhow::Result<RunOnce> {
    let backend = connect(engine, color)?;
    let report = Reporter::stdout(color, verbose);
    report.line(&format!("engine: {}", backend.backend.describe()));
    let (guard, backend) = RunGuard::install(backend);
    let session = Session::new(backend, report, opts.clone());
    let mut script = ScriptEngine::new(session);
    guard.attach(&mut script.rhai);
    if opts.interactive {
        script.set_exercise_prompt(crate::repl::exercise::hook(color));
    }
    let started = std::time::Instant::now();
    let outcome = script.run_file(path);
    if let Err(ScriptError::At(e)) = &outcome {
        if e.message.contains(crate::script::session::DROP_TO_REPL) {
            let session = std::mem::replace(
                &mut *script.session.borrow_mut(),
                Session::new(
                    Box::new(PlanBackend),
                    Reporter::buffer(false).0,
                    Options::default(),
                ),
            );
            let code = crate::repl::run_with_session(session, color)?;
            return Ok(RunOnce {
                code,
                record: None,
                stop: false,
            });
        }
    }
    let mut sess = script.session.borrow_mut();
    let elapsed = started.elapsed().as_secs_f64();
    let error = match &outcome {
        Ok(()) | Err(ScriptError::Exit(0)) => None,
        Err(e) => Some(e.to_string()),
    };
    let lab = sess.deploy.lab_name().unwrap_or_default();
    let mut record = RunRecord {
        checks: sess.check_results.clone(),
        steps: sess.progress.took.clone(),
        passed: error.is_none() && sess.checks_passed() == sess.check_results.len(),
        error,
        seconds: elapsed,
    };
    if guard.interrupted() {
        record.passed = false;
        record.error.get_or_insert_with(|| "interrupted".into());
        return Ok(RunOnce {
            code: guard.finish_interrupted(&mut sess, &outcome, down_after),
            record: Some((lab, record)),
            stop: true,
        });
    }
    let mut code = match &outcome {
        Err(ScriptError::Exit(code)) => {
            sess.report.line("");
            sess.report.info(&format!(
                "the script called exit({code}) after {} passed checks, {elapsed:.1} s",
                sess.checks_passed()
            ));
            ExitCode::from(*code)
        }
        Ok(()) => {
            sess.report.line("");
            let failed = sess.check_results.len() - sess.checks_passed();
            // A failure the script caught (try/catch) ends nothing, but it is not a pass.
            let caught = if failed > 0 {
                format!(", {failed} failed and were caught by the script")
            } else {
                String::new()
            };
            sess.report.pass(&format!(
                "{} checks passed{caught} in {elapsed:.1} s",
                sess.checks_passed()
            ));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", e.render(color));
            sess.report.fail(&format!(
                "after {} passed checks, {elapsed:.1} s",
                sess.checks_passed()
            ));
            ExitCode::from(1)
        }
    };
    let evidence: Vec<&str> = sess
        .check_results
        .iter()
        .filter_map(|c| c.evidence.as_deref())
        .collect();
    if !evidence.is_empty() {
        sess.report.info(&format!(
            "evidence of the failed checks (the routers' state as they failed): {}",
            evidence.join(", ")
        ));
    }
    if sess.deploy.lab.is_some() {
        let lab = sess.deploy.lab_name()?;
        if down_after {
            if let Err(e) = sess.deploy.down() {
                eprintln!("error: removing lab {lab}: {e:#}");
                guard.cleanup_hint(&e, &lab);
                record.passed = false;
                record
                    .error
                    .get_or_insert_with(|| format!("removing lab {lab}: {e:#}"));
                code = ExitCode::from(1);
            } else if let Some(line) = guard.lost_line() {
                eprintln!("{line}");
            }
        } else if let Some(hint) = guard.lost_hint(&lab) {
            eprintln!("{hint}");
        } else if sess.deploy.lab_up {
            sess.report.info(&format!(
                "the lab stays up: `{}` removes it",
                guard.down_command(&lab)
            ));
        }
    }
    Ok(RunOnce {
        code,
        record: Some((lab, record)),
        stop: down_after && sess.deploy.lab_up,
    })
}

/// `--report FILE`s are tried before the lab is built: a path that cannot be written fails
/// the run now, not after it.
fn check_report_files(files: &[std::path::PathBuf]) -> anyhow::Result<()> {
    for file in files {
        let existed = file.exists();
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(file)
            .with_context(|| format!("cannot write the report {}", file.display()))?;
        if !existed {
            let _ = std::fs::remove_file(file);
        }
    }
    Ok(())
}

/// `run --report FILE`: the checks' outcomes, JUnit XML for a `.xml` file, JSON otherwise.
/// The reports of `--report`: one run's, or every run of `--repeat` (JSON `{"runs": [...]}`,
/// JUnit suites named by run). `error` is a script error found before any run.
fn write_reports(
    files: &[std::path::PathBuf],
    script: &Path,
    runs: &[(String, RunRecord)],
    error: Option<String>,
) -> anyhow::Result<()> {
    use crate::check::results::{json_of_runs, junit, RunReport};
    let name = script.display().to_string();
    let mut reports: Vec<RunReport> = runs
        .iter()
        .map(|(lab, r)| RunReport::new(lab, &name, r.seconds, &r.checks, r.error.clone()))
        .collect();
    if runs.is_empty() {
        reports.push(RunReport::new("", &name, 0.0, &[], error));
    }
    for file in files {
        let text = match (file.extension().is_some_and(|e| e == "xml"), runs.len() > 1) {
            (true, _) => junit(&reports),
            (false, true) => json_of_runs(&reports),
            (false, false) => reports[0].json(),
        };
        std::fs::write(file, text)
            .with_context(|| format!("writing the report {}", file.display()))?;
    }
    Ok(())
}

pub fn lab_name_from_file(path: &Path) -> anyhow::Result<String> {
    if is_topology(path) {
        return Ok(crate::topology::load_file(path)?.name);
    }
    let (report, _) = Reporter::buffer(false);
    let engine = plan_session(path, &Options::default(), report)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .script;
    let name = engine.session.borrow().deploy.lab_name()?;
    Ok(name)
}

pub fn down(engine: &EngineChoice, lab: &str) -> anyhow::Result<ExitCode> {
    let mut backend = connect_lab(engine, lab)?;
    let report = backend.destroy_lab(lab)?;
    for line in &report.retried {
        println!("{line}");
    }
    println!(
        "lab {lab}: removed {} containers ({}) and {} networks ({})",
        report.containers.len(),
        report.containers.join(", "),
        report.networks.len(),
        report.networks.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// `status`: the labs on the engine, or on each engine of `--engines`; a lab spread over
/// several engines says which.
pub fn status(engine: &EngineChoice) -> anyhow::Result<ExitCode> {
    let Some(list) = &engine.engines else {
        return print_labs(&mut connect_existing(engine)?);
    };
    for (k, e) in engine_list(list)?.iter().enumerate() {
        if k > 0 {
            println!();
        }
        println!("engine {} ({e}):", k + 1);
        let mut docker = DockerBackend::connect(&e.url)
            .with_context(|| Unreachable(format!("cannot reach the Docker engine at {}", e.url)))?;
        print_labs(&mut docker)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_labs(backend: &mut DockerBackend) -> anyhow::Result<ExitCode> {
    use crate::runtime::Backend;
    let labs = backend.labs()?;
    if labs.is_empty() {
        println!("no labs on {}", backend.describe());
    }
    let spread = backend.lab_label(crate::runtime::multi_engine::LABEL_ENGINES)?;
    for (lab, containers) in labs {
        match spread.get(&lab) {
            Some(engines) => println!("lab {lab} (spread over engines {engines}), here:"),
            None => println!("lab {lab}:"),
        }
        // Impaired links are the kernel's state, not the containers': each running router
        // says what its queueing disciplines do.
        let routers: Vec<String> = containers
            .iter()
            .filter(|c| c.status.starts_with("Up"))
            .filter_map(|c| c.router.clone())
            .collect();
        let tc = vec!["tc".to_string(), "qdisc".to_string(), "show".to_string()];
        let commands: Vec<(String, Vec<String>)> =
            routers.iter().map(|r| (r.clone(), tc.clone())).collect();
        let outputs = backend.exec_all(&lab, &commands);
        for c in containers {
            let node = c.node.as_deref().unwrap_or("");
            println!("  {:<24} {node:<8} {}", c.name, c.status);
            let Some(i) = c
                .router
                .as_ref()
                .and_then(|r| routers.iter().position(|x| x == r))
            else {
                continue;
            };
            if let Some(Ok(out)) = outputs.get(i) {
                for (iface, how) in crate::intent::impairment::read_tc(&out.stdout) {
                    println!("    impaired: {iface} {how}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn doctor(engine: &EngineChoice, _color: bool) -> anyhow::Result<ExitCode> {
    let mut backend = connect_existing(engine)?;
    println!("engine: {}", crate::runtime::Backend::describe(&backend));
    let mut problems = backend.mpls_problems(&engine.image, None)?;
    problems.extend(backend.image_problems(&engine.image)?);
    if problems.is_empty() {
        println!(
            "ok: MPLS and VRF available to containers, image {} present",
            engine.image
        );
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        println!("problem: {p}");
    }
    Ok(ExitCode::from(1))
}

/// The interactive REPL; `plan` uses the plan backend, `history` overrides the history file.
pub fn repl(
    engine: &EngineChoice,
    color: bool,
    plan: bool,
    history: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    crate::repl::run(crate::repl::ReplOptions {
        engine: engine.clone(),
        color,
        plan,
        history,
    })
}
