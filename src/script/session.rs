//! What a script or REPL works on: the deployment (lab, intent, backend: `crate::deploy`), and
//! what only a script has: its steps, the checks' verdicts, snapshots, the `together` batch.
//!
//! Every API call edits the deployment's desired intent; `step`, `apply` and every observation
//! (exec, show, ping, capture) deploy pending changes first, so a check always sees the
//! configuration written above it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;

use crate::deploy::{Daemons, Deployment, Target};
use crate::frr::FrrVersion;
use crate::runtime::{Backend, Wiring};
use crate::ui::Reporter;

/// The error a `--step` run stops with when the user asks for the REPL; `run` then hands the
/// session, lab and all, to the REPL.
pub const DROP_TO_REPL: &str = "dropping into the REPL";

/// Timer profile for the protocols the stdlib configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// FRR's defaults, as in the article (OSPF hello 10/dead 40 on broadcast links).
    Article,
    /// Point-to-point OSPF with 1/4 s timers, fast SPF, LDP hello 1/6 s: converges in seconds.
    Fast,
}

impl Profile {
    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "article" => Some(Profile::Article),
            "fast" => Some(Profile::Fast),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Article => "article",
            Profile::Fast => "fast",
        }
    }
}

/// Routers whose 1 s hellos a lab runs before the fast profile's hellos slow down: a
/// 106-router ring idled at 62 CPU-seconds a minute of the lab VM's 120, ldpd and ospfd 47 of
/// them, nearly all hellos (bench/README.md, session 13).
pub const FAST_HELLO_ROUTERS: usize = 40;

/// What the fast profile's hello and dead intervals are multiplied by in a lab of `routers`:
/// 1 up to [`FAST_HELLO_ROUTERS`], so that the hellos a lab sends stay near what that many
/// routers send with 1 s timers.
pub fn hello_scale(routers: usize) -> i64 {
    i64::try_from(routers.div_ceil(FAST_HELLO_ROUTERS).max(1)).unwrap_or(i64::MAX)
}

#[derive(Debug, Clone)]
pub struct Options {
    pub default_image: String,
    /// How the lab's segments are wired (`--links`).
    pub wiring: Wiring,
    pub profile: Profile,
    /// How long `expect`/`wait_until` retry before failing a check.
    pub check_timeout: Duration,
    /// The daemons each router starts with (learnt from a dry run of the same script, so that
    /// they are enabled before FRR starts).
    pub daemons: Daemons,
    /// The FRR version routers are planned for (`--frr`); otherwise each router's image says
    /// it (frr::version), and FRR 10 where it does not.
    pub frr: Option<FrrVersion>,
    /// Where captures are saved as pcap files.
    pub capture_dir: PathBuf,
    /// Override of the lab name from the topology (two labs side by side).
    pub lab_name: Option<String>,
    /// Tutorials wait for Enter at `pause()` (off with `--yes`, in plans and without a terminal).
    pub interactive: bool,
    /// `run --step`: before each step, show its plan and ask whether to run it.
    pub step_mode: bool,
    /// The plan transcript of each step (from a dry run), shown by `--step` before running it.
    pub step_plans: Vec<String>,
    /// `run --report FILE`: where the checks' outcomes go, as JUnit XML (`.xml`) or JSON.
    pub reports: Vec<PathBuf>,
    /// How many engines `--engines` spreads the lab over, when it does: a topology's
    /// `engine N` is checked against them as the topology is read.
    pub engines: Option<usize>,
    /// `tutorial --seed N`: what `pick` chooses by (0 when not given).
    pub seed: Option<u64>,
    /// `tutorial --reveal`: `reveal(text)` prints its text (an instructor's view).
    pub reveal: bool,
    /// `--evidence DIR`: where a failed check's routers' state goes; `None` for
    /// `<capture_dir>/evidence`.
    pub evidence: Option<PathBuf>,
}

impl Options {
    /// Where evidence of failed checks is written.
    pub fn evidence_dir(&self) -> PathBuf {
        self.evidence
            .clone()
            .unwrap_or_else(|| self.capture_dir.join("evidence"))
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            default_image: crate::vm::IMAGE.to_string(),
            wiring: Wiring::default(),
            profile: Profile::Article,
            check_timeout: Duration::from_secs(180),
            daemons: Daemons::ByRole,
            frr: None,
            capture_dir: PathBuf::from("captures"),
            lab_name: None,
            interactive: false,
            step_mode: false,
            step_plans: Vec::new(),
            reports: Vec::new(),
            evidence: None,
            engines: None,
            seed: None,
            reveal: false,
        }
    }
}

/// Where a script is: its step, and when that step started.
#[derive(Debug, Default)]
pub struct StepProgress {
    pub number: usize,
    pub title: String,
    /// When the current step started (for the per-step time a real run prints).
    started: Option<std::time::Instant>,
    /// How long each step of a real run took, in order (for `run --repeat`).
    pub took: Vec<crate::check::results::StepTime>,
}

pub struct Session {
    pub deploy: Deployment,
    pub report: Reporter,
    pub opts: Options,
    pub progress: StepProgress,
    /// Directory of the running script, for relative paths in `topology(...)`.
    pub base_dir: PathBuf,
    /// The name the running script's positions are in (a stdlib module's are in its own).
    pub script_source: Option<String>,
    /// Every check that came to a verdict, in order (for `run --report`).
    pub check_results: Vec<crate::check::results::CheckResult>,
    /// Named snapshots of the live lab (what-if, `:snapshot`).
    pub snapshots: BTreeMap<String, crate::check::snapshot::Snapshot>,
    /// The last API call printed its value for a person (a what-if's changes, a trace's hops):
    /// the REPL does not print the same value again as data.
    pub value_shown: bool,
    /// Checks queued by `together(|| ...)`, polled when the block ends; `None` outside one.
    pub batch: Option<Vec<super::pending_check::PendingCheck>>,
}

impl Session {
    pub fn new(backend: Box<dyn Backend>, report: Reporter, opts: Options) -> Self {
        let target = Target {
            image: opts.default_image.clone(),
            wiring: opts.wiring,
            frr: opts.frr,
            lab_name: opts.lab_name.clone(),
            engines: opts.engines,
        };
        Session {
            deploy: Deployment::new(backend, report.clone(), target, opts.daemons.clone()),
            report,
            opts,
            progress: StepProgress::default(),
            base_dir: PathBuf::from("."),
            script_source: None,
            check_results: Vec::new(),
            batch: None,
            value_shown: false,
            snapshots: BTreeMap::new(),
        }
    }

    /// Nothing is performed and checks are not evaluated: a plan, or a step the user skipped.
    pub fn dry_run(&self) -> bool {
        self.deploy.dry_run()
    }

    /// `topology(PATH)`: the lab's topology, relative to the running script.
    pub fn load_topology(&mut self, path: &str) -> anyhow::Result<()> {
        let full = self.base_dir.join(path);
        self.deploy.load_topology(full)
    }

    /// A check held: printed as `line`, kept for the report.
    pub fn check_passed(&mut self, what: &str, line: &str, seconds: f64) {
        self.report.pass(line);
        self.record_check(what, seconds, None);
    }

    /// A check gave up: printed, kept for the report with `why`, and the state of the routers
    /// it involves (`router`'s, or every router's when it names none) written as evidence
    /// while the lab is still there.
    pub fn check_failed(&mut self, what: &str, why: &str, seconds: f64, router: Option<&str>) {
        self.report.fail(what);
        self.record_check(what, seconds, Some(why.to_string()));
        if self.dry_run() || !self.deploy.lab_up {
            return;
        }
        let routers = self.deploy.involved(router);
        let dir = self.opts.evidence_dir();
        match self
            .deploy
            .write_evidence(&dir, &routers, &format!("{what}\n\n{why}"))
        {
            Ok(written) => {
                let written = written.display().to_string();
                self.report.info(&format!(
                    "evidence: the state of {} in {written}",
                    routers.join(", ")
                ));
                if let Some(last) = self.check_results.last_mut() {
                    last.evidence = Some(written);
                }
            }
            Err(e) => self.report.warn(&format!("no evidence written: {e:#}")),
        }
    }

    fn record_check(&mut self, what: &str, seconds: f64, failure: Option<String>) {
        self.check_results.push(crate::check::results::CheckResult {
            step: self.progress.number,
            step_title: self.progress.title.clone(),
            name: what.to_string(),
            seconds,
            failure,
            evidence: None,
        });
    }

    pub fn checks_passed(&self) -> usize {
        self.check_results
            .iter()
            .filter(|c| c.failure.is_none())
            .count()
    }

    /// Start a new step of the script: apply what the previous one configured, print a header.
    pub fn step(&mut self, title: &str) -> anyhow::Result<()> {
        self.deploy.drop_skipped();
        self.deploy.apply()?;
        self.end_step();
        self.progress.started = Some(std::time::Instant::now());
        self.progress.number += 1;
        self.progress.title = title.to_string();
        self.report.step(self.progress.number, title);
        if self.opts.step_mode && !self.deploy.backend.is_dry_run() {
            self.ask_before_step()?;
        }
        Ok(())
    }

    /// `run --step`: show what the step will do and let the user run it, skip it, stop, or
    /// drop into the REPL with the lab as it is.
    fn ask_before_step(&mut self) -> anyhow::Result<()> {
        if let Some(plan) = self.opts.step_plans.get(self.progress.number - 1) {
            self.report.line("  this step will do:");
            for line in plan.lines() {
                self.report.line(&format!("  {line}"));
            }
        }
        loop {
            eprint!("  [Enter] run it, s skip it, r REPL, q quit: ");
            let answer = crate::interrupt::read_line()?;
            match answer.trim() {
                "" => return Ok(()),
                "s" => {
                    self.deploy.skipping = true;
                    self.report
                        .warn("skipped: its configuration is dropped and its checks are not run");
                    return Ok(());
                }
                "r" => bail!(DROP_TO_REPL),
                "q" => bail!("stopped before step {} by the user", self.progress.number),
                _ => continue,
            }
        }
    }

    /// Print how long the current step took (real runs only: a plan takes no time worth showing).
    pub fn end_step(&mut self) {
        if let Some(started) = self.progress.started.take() {
            if !self.dry_run() {
                let seconds = started.elapsed().as_secs_f64();
                self.report.info(&format!(
                    "step {} took {seconds:.1} s",
                    self.progress.number
                ));
                self.progress.took.push(crate::check::results::StepTime {
                    number: self.progress.number,
                    title: self.progress.title.clone(),
                    seconds,
                });
            }
        }
    }
}
