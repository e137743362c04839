//! One lab over several Docker engines (`--engines URL[@UNDERLAY],...`): each router runs on
//! the engine [`placement`](super::placement) gives it, links inside an engine stay veth pairs,
//! and a link between two engines is a point-to-point VXLAN (one VNI per link) between their
//! underlay addresses, made by each engine's links container. Everything above the backend
//! (checks, captures, trace, what-if) names routers only, so it works unchanged: this
//! backend sends each call to the engine of the router it is about.
//!
//! Every object of the lab, on every engine, carries the engine list and the lab's VNIs in
//! its labels: `down` on any one engine finds the others, and a new lab never takes a VNI a
//! lab on the same engines has.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use anyhow::{anyhow, bail, Context};

use super::action::{LabSpec, VxlanEnd, Wiring};
use super::backend::{Backend, CaptureHandle, CapturePoint, DestroyReport, ExecOutput};
use super::docker::{DockerBackend, LABEL_VNIS};
use super::placement::{self, Placement};
use super::Configure;

/// The engines of a spread lab, as `URL@UNDERLAY` joined by commas.
pub const LABEL_ENGINES: &str = "mplsrepl.engines";
/// The first VNI a lab takes: Docker's overlay networks allocate theirs in order from 4096,
/// so an engine that also runs Swarm would need a million of them to meet ours.
const FIRST_VNI: u32 = 1_000_000;

/// An engine of the group: its Docker URL and its address on the underlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineAddr {
    pub url: String,
    pub underlay: Ipv4Addr,
}

impl std::fmt::Display for EngineAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.url, self.underlay)
    }
}

struct Engine {
    addr: EngineAddr,
    backend: DockerBackend,
}

pub struct MultiEngine {
    engines: Vec<Engine>,
    pinned: Placement,
    /// Decided once by `preflight` (or `create_lab` without one, or learnt by `attach`);
    /// routers not in it are on no engine yet.
    placement: Placement,
}

impl MultiEngine {
    /// For a lab that exists: the engines that answer, and why each other one did not, so
    /// that a lost engine does not keep the rest of the lab from being removed.
    pub fn connect_reachable(engines: &[EngineAddr]) -> (MultiEngine, Vec<String>) {
        let mut reached = Vec::new();
        let mut lost = Vec::new();
        for addr in engines {
            match DockerBackend::connect(&addr.url) {
                Ok(backend) => reached.push(Engine {
                    addr: addr.clone(),
                    backend,
                }),
                Err(e) => lost.push(format!("{}: {e:#}", addr.url)),
            }
        }
        let multi = MultiEngine {
            engines: reached,
            pinned: Placement::new(),
            placement: Placement::new(),
        };
        (multi, lost)
    }

    /// For a lab to make: every engine must answer.
    pub fn connect(engines: &[EngineAddr], pinned: Placement) -> anyhow::Result<MultiEngine> {
        let (multi, lost) = Self::connect_reachable(engines);
        if let Some(why) = lost.first() {
            bail!("cannot reach the Docker engine at {why}");
        }
        Ok(MultiEngine { pinned, ..multi })
    }

    /// Learn where an existing lab's routers run, from the router label of the engines'
    /// containers, so that commands about a running lab (`save --live`) reach each router on
    /// its engine.
    pub fn attach(&mut self, lab: &str) -> anyhow::Result<()> {
        for (k, e) in self.engines.iter().enumerate() {
            for (name, containers) in e.backend.labs()? {
                if name != lab {
                    continue;
                }
                for router in containers.into_iter().filter_map(|c| c.router) {
                    self.placement.insert(router, k);
                }
            }
        }
        Ok(())
    }

    /// The placement of `spec`'s routers, as `plan` and `run` show it.
    pub fn place(&self, spec: &LabSpec) -> anyhow::Result<Placement> {
        placement::place(spec, self.engines.len(), &self.pinned)
    }

    pub fn engine_urls(&self) -> Vec<String> {
        self.engines.iter().map(|e| e.addr.url.clone()).collect()
    }

    fn engine_of(&self, router: &str) -> anyhow::Result<usize> {
        self.placement
            .get(router)
            .copied()
            .ok_or_else(|| anyhow!("{router} runs on none of the lab's engines"))
    }

    /// VNIs the labs on these engines already have.
    fn vnis_in_use(&self) -> anyhow::Result<BTreeSet<u32>> {
        let mut used = BTreeSet::new();
        for e in &self.engines {
            for vnis in e.backend.lab_label(LABEL_VNIS)?.values() {
                used.extend(vnis.split(',').filter_map(|v| v.trim().parse::<u32>().ok()));
            }
        }
        Ok(used)
    }

    /// Each engine's part of the lab: its routers, the segments they are on, a cross-engine
    /// segment as a VXLAN end; every part labelled with the engines and the VNIs.
    fn split(
        &self,
        spec: &LabSpec,
        placement: &Placement,
        vnis: &BTreeMap<String, u32>,
    ) -> Vec<LabSpec> {
        let engines = self
            .engines
            .iter()
            .map(|e| e.addr.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let vni_list = vnis
            .values()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        (0..self.engines.len())
            .map(|e| {
                let containers: Vec<_> = spec
                    .containers
                    .iter()
                    .filter(|c| placement.get(&c.router) == Some(&e))
                    .cloned()
                    .collect();
                let networks = spec
                    .networks
                    .iter()
                    .filter(|n| {
                        containers
                            .iter()
                            .any(|c| c.interfaces.iter().any(|i| i.network == n.name))
                    })
                    .map(|n| {
                        let mut n = n.clone();
                        n.vxlan = vnis.get(&n.name).map(|&vni| {
                            let far = far_engine(spec, placement, &n.name, e);
                            VxlanEnd {
                                vni,
                                local: self.engines[e].addr.underlay,
                                remote: self.engines[far].addr.underlay,
                                engine: (e + 1) as u8,
                            }
                        });
                        n
                    })
                    .collect();
                let mut labels = spec.labels.clone();
                labels.push((LABEL_ENGINES.into(), engines.clone()));
                if !vni_list.is_empty() {
                    labels.push((LABEL_VNIS.into(), vni_list.clone()));
                }
                LabSpec {
                    lab: spec.lab.clone(),
                    wiring: spec.wiring,
                    networks,
                    containers,
                    labels,
                }
            })
            .collect()
    }

    /// Run `f` on each engine with the items of `items` whose router is there, concurrently,
    /// and put the results back in the items' order.
    /// An item whose router is on no engine gets [`MultiEngine::engine_of`]'s error.
    fn per_engine<I: Clone + Send, T: Send>(
        &mut self,
        items: &[I],
        router_of: impl Fn(&I) -> &str,
        f: impl Fn(&mut DockerBackend, &[I]) -> Vec<anyhow::Result<T>> + Sync,
    ) -> Vec<anyhow::Result<T>> {
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); self.engines.len()];
        let mut out: Vec<Option<anyhow::Result<T>>> = items.iter().map(|_| None).collect();
        for (k, item) in items.iter().enumerate() {
            match self.engine_of(router_of(item)) {
                Ok(e) => groups[e].push(k),
                Err(e) => out[k] = Some(Err(e)),
            }
        }
        let f = &f;
        let results: Vec<(Vec<usize>, Vec<anyhow::Result<T>>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .engines
                .iter_mut()
                .zip(groups)
                .filter(|(_, g)| !g.is_empty())
                .map(|(engine, group)| {
                    let mine: Vec<I> = group.iter().map(|&k| items[k].clone()).collect();
                    scope.spawn(move || {
                        let r = f(&mut engine.backend, &mine);
                        (group, r)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("an engine's thread panicked"))
                .collect()
        });
        for (group, rs) in results {
            for (k, r) in group.into_iter().zip(rs) {
                out[k] = Some(r);
            }
        }
        out.into_iter()
            .map(|r| r.expect("every item answered"))
            .collect()
    }
}

/// A VNI for each segment, the lowest from [`FIRST_VNI`] up that no lab on the engines has.
fn allocate_vnis(segments: &[String], used: &BTreeSet<u32>) -> BTreeMap<String, u32> {
    let mut free = (FIRST_VNI..).filter(|v| !used.contains(v));
    segments
        .iter()
        .map(|s| (s.clone(), free.next().expect("VNIs left")))
        .collect()
}

/// The engine of the other end of a cross-engine segment, seen from engine `here`.
fn far_engine(spec: &LabSpec, placement: &Placement, network: &str, here: usize) -> usize {
    spec.containers
        .iter()
        .filter(|c| c.interfaces.iter().any(|i| i.network == network))
        .filter_map(|c| placement.get(&c.router).copied())
        .find(|&e| e != here)
        .unwrap_or(here)
}

impl Backend for MultiEngine {
    fn is_dry_run(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        let list: Vec<String> = self
            .engines
            .iter()
            .enumerate()
            .map(|(k, e)| format!("{}. {}", k + 1, e.backend.describe()))
            .collect();
        format!("{} docker engines: {}", self.engines.len(), list.join(", "))
    }

    fn preflight(&mut self, spec: &LabSpec) -> anyhow::Result<Vec<String>> {
        if spec.wiring != Wiring::Veth {
            return Ok(vec![
                "a lab over several engines is wired with veth pairs and VXLAN: drop `--links docker`".into(),
            ]);
        }
        let placement = self.place(spec)?;
        if let Some(why) = placement::unwirable(spec, &placement) {
            return Ok(vec![why]);
        }
        let parts = self.split(spec, &placement, &BTreeMap::new());
        // Recorded: create_lab builds the lab where preflight checked it.
        self.placement = placement;
        let mut problems = Vec::new();
        for (e, part) in self.engines.iter_mut().zip(parts) {
            let url = e.addr.url.clone();
            let found = e
                .backend
                .preflight(&part)
                .with_context(|| format!("engine {url}"))?;
            problems.extend(found.into_iter().map(|p| format!("engine {url}: {p}")));
        }
        Ok(problems)
    }

    fn create_lab(&mut self, spec: &LabSpec, progress: &dyn Fn(&str)) -> anyhow::Result<()> {
        let placed = |c: &super::ContainerSpec| self.placement.contains_key(&c.router);
        let placement = if spec.containers.iter().all(placed) {
            self.placement.clone()
        } else {
            self.place(spec)?
        };
        let crossing: Vec<String> = placement::crossing(spec, &placement)
            .into_iter()
            .map(|(segment, _)| segment)
            .collect();
        let vnis = allocate_vnis(&crossing, &self.vnis_in_use()?);
        let names: Vec<String> = self.engines.iter().map(|e| e.addr.to_string()).collect();
        for line in placement::describe(spec, &placement, &names) {
            progress(&line);
        }
        for (segment, vni) in &vnis {
            progress(&format!("VXLAN VNI {vni} for {segment}"));
        }
        let parts = self.split(spec, &placement, &vnis);
        self.placement = placement;
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let results: Vec<anyhow::Result<()>> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .engines
                .iter_mut()
                .zip(parts)
                .enumerate()
                .filter(|(_, (_, part))| !part.containers.is_empty())
                .map(|(k, (engine, part))| {
                    let tx = tx.clone();
                    scope.spawn(move || {
                        let say = |msg: &str| {
                            let _ = tx.send(format!("engine {}: {msg}", k + 1));
                        };
                        engine
                            .backend
                            .create_lab(&part, &say)
                            .with_context(|| format!("on engine {}", engine.addr.url))
                    })
                })
                .collect();
            drop(tx);
            for msg in rx {
                progress(&msg);
            }
            handles
                .into_iter()
                .map(|h| h.join().expect("an engine's thread panicked"))
                .collect()
        });
        // Every engine's failure, not only the first: each may have its own cause.
        let failures: Vec<String> = results
            .into_iter()
            .filter_map(|r| r.err().map(|e| format!("{e:#}")))
            .collect();
        if !failures.is_empty() {
            bail!("{}", failures.join("\n"));
        }
        Ok(())
    }

    fn configure(&mut self, lab: &str, step: &Configure) -> anyhow::Result<ExecOutput> {
        let e = self.engine_of(&step.router)?;
        self.engines[e].backend.configure(lab, step)
    }

    fn configure_all(&mut self, lab: &str, steps: &[Configure]) -> Vec<anyhow::Result<ExecOutput>> {
        self.per_engine(
            steps,
            |s| s.router.as_str(),
            |b, mine| b.configure_all(lab, mine),
        )
    }

    fn exec(&mut self, lab: &str, router: &str, argv: &[String]) -> anyhow::Result<ExecOutput> {
        let e = self.engine_of(router)?;
        self.engines[e].backend.exec(lab, router, argv)
    }

    fn exec_all(
        &mut self,
        lab: &str,
        commands: &[(String, Vec<String>)],
    ) -> Vec<anyhow::Result<ExecOutput>> {
        self.per_engine(
            commands,
            |(r, _)| r.as_str(),
            |b, mine| b.exec_all(lab, mine),
        )
    }

    fn start_captures(
        &mut self,
        lab: &str,
        points: &[CapturePoint],
    ) -> anyhow::Result<Vec<CaptureHandle>> {
        let started = self.per_engine(
            points,
            |p| p.router.as_str(),
            |b, mine| match b.start_captures(lab, mine) {
                Ok(handles) => handles.into_iter().map(Ok).collect(),
                Err(e) => super::backend::refuse_all(mine.len(), &e),
            },
        );
        if started.iter().all(Result::is_ok) {
            return Ok(started.into_iter().map(|h| h.expect("checked")).collect());
        }
        // None may be left running: stop those that started.
        let mut error = None;
        let mut running = Vec::new();
        for s in started {
            match s {
                Ok(h) => running.push(h),
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        let _ = self.stop_captures(lab, &running);
        Err(error.expect("one failed"))
    }

    fn stop_captures(
        &mut self,
        lab: &str,
        handles: &[CaptureHandle],
    ) -> Vec<anyhow::Result<Vec<u8>>> {
        self.per_engine(
            handles,
            |h| h.router.as_str(),
            |b, mine| b.stop_captures(lab, mine),
        )
    }

    fn destroy_lab(&mut self, lab: &str) -> anyhow::Result<DestroyReport> {
        let mut report = DestroyReport::default();
        let mut errors = Vec::new();
        for e in &mut self.engines {
            match e.backend.destroy_lab(lab) {
                Ok(r) => {
                    report.containers.extend(r.containers);
                    report.networks.extend(r.networks);
                    report.retried.extend(r.retried);
                }
                Err(err) => errors.push(format!("on {}: {err:#}", e.addr.url)),
            }
        }
        if !errors.is_empty() {
            bail!("removing lab {lab}: {}", errors.join("; "));
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lab_takes_the_vnis_no_other_lab_on_its_engines_has() {
        let segments = vec!["lab-net1".to_string(), "lab-net2".to_string()];
        let none = allocate_vnis(&segments, &BTreeSet::new());
        assert_eq!(none["lab-net1"], FIRST_VNI);
        assert_eq!(none["lab-net2"], FIRST_VNI + 1);
        let used: BTreeSet<u32> = [FIRST_VNI, FIRST_VNI + 2].into();
        let next = allocate_vnis(&segments, &used);
        assert_eq!(next["lab-net1"], FIRST_VNI + 1);
        assert_eq!(next["lab-net2"], FIRST_VNI + 3);
    }
}
