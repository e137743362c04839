//! The deploy stage: the lab on its backend, and the way intent reaches it.
//!
//! It holds the lab model, the desired intent (what the script has said so far) and the
//! deployed one (what the routers were last told and took), the undo history and the backend.
//! `apply` diffs desired against deployed, sends each changed router its change through FRR's
//! apply script, reads FRR's reply and running configuration back, and takes back on a router
//! what it took of a change it refused. A script (`script::Session`), the REPL's pending edits
//! and a saved lab (`save::start`) all deploy through here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};

use crate::frr::diff::Rendered;
use crate::frr::{Daemon, FrrVersion};
use crate::intent::Intent;
use crate::runtime::{Backend, Configure, ExecOutput, LabSpec, NodeSpec, Wiring};
use crate::topology::{Lab, Router};
use crate::ui::Reporter;

/// Which FRR daemons each router's container starts with: FRR reads its `daemons` file only
/// at start, so they are known before the lab is created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Daemons {
    /// What the router's role needs (no dry run told more).
    #[default]
    ByRole,
    /// Learnt beforehand: from a dry run of the script, or a saved lab's `daemons` files.
    /// A router without an entry gets its role's.
    Planned(BTreeMap<String, BTreeSet<Daemon>>),
    /// Every daemon FRR has: the REPL, whose next line nobody knows.
    Every,
}

impl Daemons {
    pub fn of(&self, router: &Router) -> BTreeSet<Daemon> {
        match self {
            Daemons::Every => Daemon::ALL.into_iter().collect(),
            Daemons::Planned(plan) if plan.contains_key(&router.name) => plan[&router.name].clone(),
            _ => crate::frr::daemons::needed(router.role, None),
        }
    }
}

/// What the lab is built from, as the command line gave it.
#[derive(Debug, Clone)]
pub struct Target {
    pub image: String,
    /// How the lab's segments are wired (`--links`).
    pub wiring: Wiring,
    /// The FRR version routers are planned for (`--frr`); otherwise each router's image says
    /// it (frr::version), and FRR 10 where it does not.
    pub frr: Option<FrrVersion>,
    /// Override of the lab name from the topology (two labs side by side).
    pub lab_name: Option<String>,
    /// How many engines the lab is spread over (`--engines`), when it is.
    pub engines: Option<usize>,
}

pub struct Deployment {
    pub lab: Option<Lab>,
    /// The topology file the lab came from.
    pub topology_file: Option<PathBuf>,
    pub desired: Intent,
    pub deployed: Intent,
    /// Deployed intents before each apply, newest last (for undo).
    pub history: Vec<Intent>,
    pub backend: Box<dyn Backend>,
    pub lab_up: bool,
    /// This run asked the backend to create the lab (even if creation then failed): only then
    /// may it remove the lab. A lab of the same name that was already there, which the
    /// preflight refused to build over, is someone else's.
    pub created_lab: bool,
    /// The user skipped the current step (`run --step`): nothing is sent until the next step
    /// drops its edits.
    pub skipping: bool,
    pub daemons: Daemons,
    /// Every daemon each router's intent has needed at any step: a dry run's answer to which
    /// daemons a router must start with, since a script may drop a protocol it used earlier.
    pub daemons_used: BTreeMap<String, BTreeSet<Daemon>>,
    /// The daemons each router runs, in start order, once the lab is up: the apply script asks
    /// each of them whether it still runs.
    pub node_daemons: BTreeMap<String, Vec<&'static str>>,
    /// The FRR each router was planned for (and checked at its start).
    pub node_frr: BTreeMap<String, FrrVersion>,
    pub target: Target,
    report: Reporter,
}

impl Deployment {
    pub fn new(
        backend: Box<dyn Backend>,
        report: Reporter,
        target: Target,
        daemons: Daemons,
    ) -> Self {
        Deployment {
            lab: None,
            topology_file: None,
            desired: Intent::default(),
            deployed: Intent::default(),
            history: Vec::new(),
            backend,
            lab_up: false,
            created_lab: false,
            skipping: false,
            daemons,
            daemons_used: BTreeMap::new(),
            node_daemons: BTreeMap::new(),
            node_frr: BTreeMap::new(),
            target,
            report,
        }
    }

    /// Nothing is performed and checks are not evaluated: a plan, or a step the user skipped.
    pub fn dry_run(&self) -> bool {
        self.backend.is_dry_run() || self.skipping
    }

    /// A skipped step ends: its configuration is dropped, not sent with the next one.
    pub fn drop_skipped(&mut self) {
        if self.skipping {
            self.skipping = false;
            self.desired = self.deployed.clone();
        }
    }

    pub fn lab(&self) -> anyhow::Result<&Lab> {
        self.lab
            .as_ref()
            .ok_or_else(|| anyhow!("no topology loaded: call topology(\"FILE.topo\") first"))
    }

    pub fn lab_name(&self) -> anyhow::Result<String> {
        Ok(self.lab()?.name.clone())
    }

    /// Load the lab's topology; the same file again changes nothing.
    pub fn load_topology(&mut self, full: PathBuf) -> anyhow::Result<()> {
        if let Some(lab) = &self.lab {
            // The same file again changes nothing; another would switch labs under the script.
            let same = self
                .topology_file
                .as_deref()
                .is_some_and(|was| crate::catalogue::same_file(&full, was));
            if same {
                return Ok(());
            }
            bail!(
                "a topology is already loaded (lab {}): a script drives one lab\n\
                 help: call topology(...) once, at the top",
                lab.name
            );
        }
        let mut lab = crate::topology::load_file_for(&full, self.target.engines)?;
        if let Some(name) = &self.target.lab_name {
            if let Some((problem, help)) = crate::topology::names::lab_name_problem(name) {
                bail!("invalid lab name `{name}` (--lab-name): {problem}\nhelp: {help}");
            }
            lab.name = name.clone();
        }
        for r in &lab.routers {
            self.desired.router_mut(&r.name);
            self.deployed.router_mut(&r.name);
        }
        self.lab = Some(lab);
        self.topology_file = Some(full);
        Ok(())
    }

    /// The FRR each router will run and the daemons it starts with, from the image it runs and
    /// the daemons planned for it.
    fn frr_node(&self, router: &Router, image: &str) -> (FrrVersion, BTreeSet<Daemon>) {
        (self.frr_of_image(image), self.daemons.of(router))
    }

    /// The FRR a router will run, from its image (or `--frr`), as `plan` knows it.
    pub fn frr_version(&self, router: &str) -> FrrVersion {
        let image = self
            .lab
            .as_ref()
            .and_then(|lab| lab.router(router))
            .and_then(|r| r.image.as_deref())
            .unwrap_or(&self.target.image);
        self.frr_of_image(image)
    }

    /// `--frr`, else what the image's name says, else FRR 10.
    fn frr_of_image(&self, image: &str) -> FrrVersion {
        self.target
            .frr
            .or_else(|| FrrVersion::from_image_name(image))
            .unwrap_or_default()
    }

    /// The lab as the backend builds it; FRR's part of each container is its node label and
    /// start script (frr::start).
    pub fn lab_spec(&self) -> anyhow::Result<LabSpec> {
        Ok(LabSpec::from_lab(
            self.lab()?,
            &self.target.image,
            self.target.wiring,
            |r, image| {
                let (version, daemons) = self.frr_node(r, image);
                NodeSpec {
                    node: format!("FRR {}", version.major),
                    start_script: crate::frr::start::script(&crate::frr::start::Node {
                        router: &r.name,
                        version,
                        daemons: &daemons,
                    }),
                }
            },
        ))
    }

    /// Create networks and containers and start FRR (the article's steps 1-3).
    pub fn up(&mut self) -> anyhow::Result<()> {
        if self.lab_up {
            return Ok(());
        }
        let spec = self.lab_spec()?;
        let problems = self.backend.preflight(&spec)?;
        if !problems.is_empty() {
            bail!(
                "preflight failed on {}:\n  - {}",
                self.backend.describe(),
                problems.join("\n  - ")
            );
        }
        // The spec has a container per router, in the lab's order.
        let nodes: Vec<(String, FrrVersion, Vec<&'static str>)> = self
            .lab()?
            .routers
            .iter()
            .zip(&spec.containers)
            .map(|(router, c)| {
                let (version, daemons) = self.frr_node(router, &c.image);
                let order = crate::frr::daemons::start_order(version, &daemons);
                (router.name.clone(), version, order)
            })
            .collect();
        self.warn_if_too_big(&nodes);
        self.node_frr.clear();
        self.node_daemons.clear();
        for (router, version, order) in nodes {
            self.node_frr.insert(router.clone(), version);
            self.node_daemons.insert(router, order);
        }
        self.report
            .create_lab(&spec, &self.node_frr, &self.node_daemons);
        self.created_lab = true;
        let report = &self.report;
        self.backend
            .create_lab(&spec, &|msg| report.info(msg))
            .with_context(|| format!("creating lab {} on {}", spec.lab, self.backend.describe()))?;
        self.lab_up = true;
        Ok(())
    }

    /// Say so before creating a lab whose routers may not fit the engine's memory, with the way
    /// to give the lab VM more.
    fn warn_if_too_big(&mut self, nodes: &[(String, FrrVersion, Vec<&'static str>)]) {
        // What the engine's own system and dockerd keep (the lab VM: about 400 MiB).
        const RESERVE_MIB: u64 = 512;
        let Some(engine) = self.backend.engine_memory_mib() else {
            return;
        };
        let need: u64 = nodes
            .iter()
            .map(|(_, _, started)| crate::frr::daemons::memory_estimate_mib(started))
            .sum();
        if need + RESERVE_MIB <= engine {
            return;
        }
        let advice = (need + RESERVE_MIB).div_ceil(1024) + 1;
        self.report.warn(&format!(
            "the lab's {} routers take about {need} MiB (FRR's daemons, as measured per router) \
             and {} has {engine} MiB: it may not fit. For the lab VM: `mplsrepl vm down`, then \
             `mplsrepl vm up --memory {advice}G`",
            nodes.len(),
            self.backend.describe()
        ));
    }

    pub fn require_router(&self, name: &str) -> anyhow::Result<()> {
        let lab = self.lab()?;
        if lab.router(name).is_none() {
            let names: Vec<&str> = lab.routers.iter().map(|r| r.name.as_str()).collect();
            bail!(
                "unknown router `{name}` (the lab has: {})",
                names.join(", ")
            );
        }
        Ok(())
    }

    pub fn require_interface(&self, router: &str, iface: &str) -> anyhow::Result<()> {
        self.require_router(router)?;
        let r = self.lab()?.router(router).expect("checked above");
        if iface != "lo" && r.interface(iface).is_none() {
            let names: Vec<&str> = r.interfaces.iter().map(|i| i.name.as_str()).collect();
            bail!(
                "router {router} has no interface `{iface}` (it has: lo, {})",
                names.join(", ")
            );
        }
        Ok(())
    }

    /// Diff desired against deployed and send the changes, router by router in lab order.
    pub fn apply(&mut self) -> anyhow::Result<()> {
        self.apply_recorded(true)
    }

    /// Go back to the intent deployed before the last change, through the same minimal diff.
    pub fn undo(&mut self) -> anyhow::Result<()> {
        let previous = self
            .history
            .pop()
            .ok_or_else(|| anyhow!("nothing to undo"))?;
        self.desired = previous;
        self.apply_recorded(false)
    }

    fn apply_recorded(&mut self, record: bool) -> anyhow::Result<()> {
        if self.desired == self.deployed || self.skipping {
            return Ok(());
        }
        self.up()?;
        let lab = self.lab_name()?;
        let order: Vec<String> = self.lab()?.routers.iter().map(|r| r.name.clone()).collect();
        if record {
            self.history.push(self.deployed.clone());
        }
        let mut changes = Vec::new();
        for name in order {
            let old = self.deployed.router_mut(&name).clone();
            let new = self.desired.router_mut(&name).clone();
            let Rendered {
                change,
                before,
                after,
            } = Rendered::of(&old, &new);
            if !change.is_empty() {
                let expected = crate::frr::readback::Expected {
                    before,
                    after,
                    raw: new.raw_config.clone(),
                };
                changes.push((name, change, Some(expected)));
            }
        }
        // Each router records what it really got, so a failure on one leaves the others'
        // deployed state true to the lab; the first failure (in lab order) is the error.
        let (taken, first_error) = self.send(&lab, changes);
        let rejected: Vec<String> = taken
            .iter()
            .filter(|(_, went_in)| !went_in)
            .map(|(router, _)| router.clone())
            .collect();
        if !rejected.is_empty() && !self.backend.is_dry_run() {
            self.roll_back(&lab, &rejected);
        }
        for (router, went_in) in taken {
            if went_in {
                let new = self.desired.router_mut(&router).clone();
                if let Some(role) = self.lab()?.router(&router).map(|r| r.role) {
                    self.daemons_used
                        .entry(router.clone())
                        .or_default()
                        .extend(crate::frr::daemons::needed(role, Some(&new)));
                }
                self.deployed.routers.insert(router, new);
            } else {
                self.reject(&router);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Send each router its change through the apply script (frr::apply) and read FRR's reply;
    /// read the configuration back where the intent says what it must be (frr::readback); then
    /// the kernel commands that must follow FRR (deleting a VRF device FRR let go), where FRR
    /// took its part. Each router with whether its change went in whole, and the first failure.
    pub fn send(
        &mut self,
        lab: &str,
        changes: Vec<(
            String,
            crate::frr::diff::RouterChange,
            Option<crate::frr::readback::Expected>,
        )>,
    ) -> (Vec<(String, bool)>, Option<anyhow::Error>) {
        let expectations: Vec<Option<crate::frr::readback::Expected>> =
            changes.iter().map(|(_, _, e)| e.clone()).collect();
        let steps: Vec<Configure> = changes
            .into_iter()
            .map(|(router, change, _)| {
                let daemons = self.node_daemons.get(&router).cloned().unwrap_or_default();
                Configure {
                    apply: crate::frr::apply::script(&change, &daemons),
                    router,
                    change,
                }
            })
            .collect();
        for step in &steps {
            self.report.configure(step);
        }
        let dry = self.backend.is_dry_run();
        let judge = |router: &str,
                     change: &crate::frr::diff::RouterChange,
                     ran: anyhow::Result<ExecOutput>| {
            ran.and_then(|out| {
                if dry {
                    return Ok(());
                }
                crate::frr::apply::read_reply(
                    router,
                    change,
                    out.exit_code,
                    &out.stdout,
                    &out.stderr,
                )
                .map_err(anyhow::Error::from)
            })
        };
        let mut first_error = None;
        let mut went_in = Vec::new();
        let ran = self.backend.configure_all(lab, &steps);
        for (step, ran) in steps.iter().zip(ran) {
            let ok = judge(&step.router, &step.change, ran);
            went_in.push(ok.is_ok());
            if let Err(e) = ok {
                first_error.get_or_insert(e);
            }
        }
        if !dry {
            self.read_back(lab, &steps, &expectations, &mut went_in, &mut first_error);
        }
        let after: Vec<(usize, &Configure)> = steps
            .iter()
            .enumerate()
            .filter(|(i, s)| went_in[*i] && !s.change.kernel_after.is_empty())
            .collect();
        if !after.is_empty() {
            let commands: Vec<(String, Vec<String>)> = after
                .iter()
                .map(|(_, s)| {
                    let script = crate::frr::apply::kernel_script(&s.change.kernel_after);
                    (s.router.clone(), vec!["sh".into(), "-c".into(), script])
                })
                .collect();
            let no_frr = crate::frr::diff::RouterChange::default();
            for ((i, step), ran) in after.iter().zip(self.backend.exec_all(lab, &commands)) {
                if let Err(e) = judge(&step.router, &no_frr, ran) {
                    went_in[*i] = false;
                    first_error.get_or_insert(e);
                }
            }
        }
        let routers = steps.into_iter().map(|s| s.router).zip(went_in).collect();
        (routers, first_error)
    }

    /// FRR's running configuration of each router whose change FRR took, against what the
    /// intent says it must now be.
    fn read_back(
        &mut self,
        lab: &str,
        steps: &[Configure],
        expectations: &[Option<crate::frr::readback::Expected>],
        went_in: &mut [bool],
        first_error: &mut Option<anyhow::Error>,
    ) {
        let checked: Vec<usize> = (0..steps.len())
            .filter(|&i| {
                went_in[i] && expectations[i].is_some() && !steps[i].change.vtysh.is_empty()
            })
            .collect();
        if checked.is_empty() {
            return;
        }
        let routers: Vec<&str> = checked.iter().map(|&i| steps[i].router.as_str()).collect();
        let wanted: Vec<&crate::frr::readback::Expected> = checked
            .iter()
            .map(|&i| expectations[i].as_ref().expect("filtered above"))
            .collect();
        let verdicts = self.compare_running(lab, &routers, &wanted);
        for (&i, verdict) in checked.iter().zip(verdicts) {
            if let Err(e) = verdict {
                went_in[i] = false;
                first_error.get_or_insert(e);
            }
        }
    }

    /// Each router's running configuration (frr::readback) against what it must be.
    fn compare_running(
        &mut self,
        lab: &str,
        routers: &[&str],
        expected: &[&crate::frr::readback::Expected],
    ) -> Vec<anyhow::Result<()>> {
        let argv = vec![
            "vtysh".to_string(),
            "-c".to_string(),
            crate::frr::readback::COMMAND.to_string(),
        ];
        let commands: Vec<(String, Vec<String>)> = routers
            .iter()
            .map(|r| (r.to_string(), argv.clone()))
            .collect();
        let ran = self.backend.exec_all(lab, &commands);
        routers
            .iter()
            .zip(expected)
            .zip(ran)
            .map(|((router, expected), ran)| {
                let version = self.node_frr.get(*router).copied().unwrap_or_default();
                let out = ran?;
                if !out.success() {
                    anyhow::bail!(
                        "{router}: reading the configuration back failed (vtysh exit {}): {}",
                        out.exit_code,
                        out.stderr.trim()
                    );
                }
                crate::frr::readback::check(router, expected, &out.stdout, version)
                    .map_err(anyhow::Error::from)
            })
            .collect()
    }

    /// Take back on each router what FRR took of its rejected change (`vtysh -f` goes on after
    /// a line it rejects, so part of a change is usually in): the change's inverse, sent
    /// whatever FRR says of each line, then FRR's configuration read back against the one
    /// before the change, and the user told which it is.
    fn roll_back(&mut self, lab: &str, routers: &[String]) {
        let mut steps = Vec::new();
        let mut expected = Vec::new();
        for router in routers {
            let tried = self.desired.router_mut(router).clone();
            let before = self.deployed.router_mut(router).clone();
            let Rendered {
                change: inverse,
                before: tried_tree,
                after: before_tree,
            } = Rendered::of(&tried, &before);
            expected.push(crate::frr::readback::Expected {
                before: tried_tree,
                after: before_tree,
                raw: tried
                    .raw_config
                    .iter()
                    .chain(&before.raw_config)
                    .cloned()
                    .collect(),
            });
            steps.push(Configure {
                apply: crate::frr::apply::rollback_script(&inverse),
                router: router.clone(),
                change: inverse,
            });
        }
        let ran = self.backend.configure_all(lab, &steps);
        let names: Vec<&str> = routers.iter().map(String::as_str).collect();
        let wanted: Vec<&crate::frr::readback::Expected> = expected.iter().collect();
        let verdicts = self.compare_running(lab, &names, &wanted);
        for ((router, ran), verdict) in routers.iter().zip(ran).zip(verdicts) {
            match ran.and(verdict) {
                Ok(()) => self.report.warn(&format!(
                    "{router}: rolled back: FRR's configuration is again what it was before the change"
                )),
                Err(e) => self.report.warn(&format!(
                    "{router}: the rollback did not restore FRR's configuration: {e:#}\n  \
                     `mplsrepl save --live DIR SCRIPT` shows what the router has"
                )),
            }
        }
    }

    /// A router's change did not go in: it is dropped from the desired state, so that the next
    /// step (or a `try` that goes on) does not send it again, and the user is told.
    fn reject(&mut self, router: &str) {
        let deployed = self.deployed.router_mut(router).clone();
        self.desired.routers.insert(router.to_string(), deployed);
        self.report.warn(&format!(
            "{router}: the change FRR did not take is dropped from the desired state"
        ));
    }

    pub fn exec(&mut self, router: &str, argv: &[String]) -> anyhow::Result<ExecOutput> {
        self.require_router(router)?;
        self.apply()?;
        let lab = self.lab_name()?;
        self.backend.exec(&lab, router, argv)
    }

    /// Commands in several routers at once (checks polled together); one result each.
    pub fn exec_all(
        &mut self,
        commands: &[(String, Vec<String>)],
    ) -> anyhow::Result<Vec<anyhow::Result<ExecOutput>>> {
        for (router, _) in commands {
            self.require_router(router)?;
        }
        self.apply()?;
        let lab = self.lab_name()?;
        Ok(self.backend.exec_all(&lab, commands))
    }

    pub fn vtysh(&mut self, router: &str, command: &str) -> anyhow::Result<ExecOutput> {
        self.exec(
            router,
            &["vtysh".to_string(), "-c".to_string(), command.to_string()],
        )
    }

    /// Tear the lab down (every object labelled with its name) and forget what was deployed.
    /// A lab this session did not create is left as it is, and said so.
    pub fn down(&mut self) -> anyhow::Result<()> {
        let lab = self.lab_name()?;
        if !self.created_lab && !self.backend.is_dry_run() {
            self.report.warn(&format!(
                "lab {lab} was not created by this run, so it is left as it is: `mplsrepl down {lab}` removes it"
            ));
            return Ok(());
        }
        let report = self.backend.destroy_lab(&lab)?;
        for line in &report.retried {
            self.report.info(line);
        }
        self.report.info(&format!(
            "removed {} containers and {} networks of lab {lab}",
            report.containers.len(),
            report.networks.len()
        ));
        self.lab_up = false;
        self.created_lab = false;
        for r in self.deployed.routers.values_mut() {
            *r = crate::intent::RouterIntent::new(&r.name);
        }
        Ok(())
    }
}

mod evidence;
#[cfg(test)]
mod tests;
