//! The real backend: Docker through bollard.
//!
//! Every object carries the label `mplsrepl.lab=<lab>`, and teardown works from that label
//! alone, so `down` never touches anything the tool did not create. Interface names are decided
//! by construction: veth links are made with them (links.rs); on Docker networks, after
//! start, each endpoint's MAC address (from inspect) is matched to a kernel link and renamed
//! to the name the topology gives it, whatever order Docker used.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use bollard::query_parameters::ListContainersOptionsBuilder;
use bollard::Docker;
use tokio::runtime::Runtime;

use crate::runtime::action::{container_name, Configure, LabSpec, Wiring};
use crate::runtime::backend::*;

mod calls;
mod capture;
mod containers;
mod labels;
mod links;
mod networks;
mod probe;
mod shell;
mod teardown;

use calls::bounded;
use capture::RunningCapture;
pub use containers::setup_script;
use containers::*;
pub use labels::{LabContainer, LabListing, LABEL_LAB, LABEL_NODE, LABEL_ROUTER, LABEL_VNIS};
pub use networks::free_subnets;
use probe::*;
use shell::ShellPool;

// A router's start script (frr::start) waits at most twice this: its own message must come
// before the kept shell gives up on it.
const _: () =
    assert!(2 * crate::frr::start::START_TIMEOUT.as_secs() < shell::COMMAND_TIMEOUT.as_secs());

pub struct DockerBackend {
    docker: Docker,
    rt: Runtime,
    host: String,
    api_version: String,
    /// What the MPLS/VRF probe found, so one run probes once.
    mpls_verdict: Option<Vec<String>>,
    /// Captures started and not yet stopped, by token.
    captures: HashMap<String, RunningCapture>,
    /// Kept shells for short commands (checks, `show`, `sh`): see shell.rs.
    shells: ShellPool,
}

impl DockerBackend {
    /// Connect and negotiate the API version (the lab VM's docker.io 20.10 speaks 1.41).
    pub fn connect(host: &str) -> anyhow::Result<DockerBackend> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let docker = Docker::connect_with_host(host)
            .with_context(|| format!("invalid Docker host `{host}`"))?;
        let docker = docker.with_timeout(Duration::from_secs(600));
        let (docker, api_version) = rt
            .block_on(async {
                let docker =
                    tokio::time::timeout(Duration::from_secs(10), docker.negotiate_version())
                        .await
                        .map_err(|_| anyhow!("no answer from {host} within 10 s"))??;
                let version = docker.version().await?;
                anyhow::Ok((docker, version.api_version.unwrap_or_default()))
            })
            .map_err(|e| anyhow!("{}", crate::runtime::engine_lost::why_unreachable(&e)))?;
        let docker_for_shells = docker.clone();
        Ok(DockerBackend {
            docker,
            rt,
            host: host.to_string(),
            api_version,
            mpls_verdict: None,
            captures: HashMap::new(),
            shells: ShellPool::new(docker_for_shells),
        })
    }

    /// The engine's address, as given (`tcp://127.0.0.1:23750`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Problems that stop MPLS labs on this engine, each with its fix; empty when fine.
    ///
    /// The kernel modules belong to the engine's host, so they are probed from a container.
    pub fn mpls_problems(&mut self, image: &str, lab: Option<&str>) -> anyhow::Result<Vec<String>> {
        if let Some(known) = &self.mpls_verdict {
            return Ok(known.clone());
        }
        if !self.image_present(image)? {
            return Ok(vec![format!(
                "image {image} is missing, so MPLS support cannot be probed"
            )]);
        }
        let out = self.rt.block_on(run_probe(
            self.docker.clone(),
            image.to_string(),
            lab.map(String::from),
        ));
        Ok(self.take_verdict(&out?))
    }

    fn take_verdict(&mut self, probe_output: &str) -> Vec<String> {
        let problems = mpls_verdict(probe_output);
        self.mpls_verdict = Some(problems.clone());
        problems
    }

    /// The probe's verdict, when it ran, as the error that stops the lab's creation.
    fn refusal(&mut self, probed: Option<anyhow::Result<String>>) -> Option<anyhow::Error> {
        match probed {
            Some(Ok(out)) => {
                let problems = self.take_verdict(&out);
                (!problems.is_empty()).then(|| {
                    anyhow!(
                        "preflight failed on {}:\n  - {}",
                        self.describe(),
                        problems.join("\n  - ")
                    )
                })
            }
            Some(Err(e)) => Some(e.context("probing the engine for MPLS and VRF support")),
            None => None,
        }
    }

    pub fn image_present(&self, image: &str) -> anyhow::Result<bool> {
        match self.rt.block_on(self.docker.inspect_image(image)) {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub fn image_problems(&self, image: &str) -> anyhow::Result<Vec<String>> {
        if self.image_present(image)? {
            return Ok(Vec::new());
        }
        Ok(vec![image_missing(image, &self.host)])
    }

    /// Labs on this engine, each with its containers.
    pub fn labs(&self) -> anyhow::Result<Vec<LabListing>> {
        let filters: HashMap<&str, Vec<&str>> = [("label", vec![LABEL_LAB])].into();
        let opts = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&filters)
            .build();
        let list = self.rt.block_on(self.docker.list_containers(Some(opts)))?;
        let mut labs: std::collections::BTreeMap<String, Vec<LabContainer>> = Default::default();
        for c in list {
            let lab = c
                .labels
                .as_ref()
                .and_then(|l| l.get(LABEL_LAB))
                .cloned()
                .unwrap_or_default();
            let name = labels::name_of(&c);
            let label = |key: &str| c.labels.as_ref().and_then(|l| l.get(key)).cloned();
            labs.entry(lab).or_default().push(LabContainer {
                name: name.unwrap_or_default(),
                status: c.status.clone().unwrap_or_default(),
                router: label(LABEL_ROUTER),
                node: label(LABEL_NODE),
            });
        }
        Ok(labs.into_iter().collect())
    }

    /// The value of `key` on the objects of each lab on this engine that has one: lab -> value.
    pub fn lab_label(
        &self,
        key: &str,
    ) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
        let filters: HashMap<&str, Vec<&str>> = [("label", vec![LABEL_LAB, key])].into();
        let opts = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&filters)
            .build();
        let list = self.rt.block_on(self.docker.list_containers(Some(opts)))?;
        Ok(list
            .into_iter()
            .filter_map(|c| {
                let l = c.labels?;
                Some((l.get(LABEL_LAB)?.clone(), l.get(key)?.clone()))
            })
            .collect())
    }

    fn exec_bytes(
        &self,
        container: &str,
        argv: &[String],
    ) -> anyhow::Result<(i64, Vec<u8>, Vec<u8>)> {
        self.rt.block_on(self.shells.run(container, argv))
    }
}

impl Backend for DockerBackend {
    fn is_dry_run(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        format!("docker {} (API {})", self.host, self.api_version)
    }

    fn preflight(&mut self, spec: &LabSpec) -> anyhow::Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut images: Vec<&str> = spec.containers.iter().map(|c| c.image.as_str()).collect();
        images.sort();
        images.dedup();
        for image in images {
            problems.extend(self.image_problems(image)?);
        }
        if !problems.is_empty() {
            return Ok(problems);
        }
        let existing = self.labs()?;
        if existing.iter().any(|(lab, _)| *lab == spec.lab) {
            problems.push(format!(
                "lab {} already exists on this engine: `mplsrepl down {}` first",
                spec.lab, spec.lab
            ));
        }
        // Unknown yet, the MPLS/VRF verdict comes from create_lab, whose probe runs beside
        // the lab's creation (in the links container, or while Docker networks are made).
        if let Some(known) = &self.mpls_verdict {
            problems.extend(known.iter().cloned());
        }
        Ok(problems)
    }

    fn engine_memory_mib(&mut self) -> Option<u64> {
        let info = self.rt.block_on(self.docker.info()).ok()?;
        Some(u64::try_from(info.mem_total?).ok()? / (1024 * 1024))
    }

    fn create_lab(&mut self, spec: &LabSpec, progress: &dyn Fn(&str)) -> anyhow::Result<()> {
        let started = Instant::now();
        let image = spec
            .containers
            .first()
            .map_or(crate::vm::IMAGE, |c| c.image.as_str())
            .to_string();
        let probe_needed = self.mpls_verdict.is_none();
        // Progress is reported from the async tasks, which need a Sync callback.
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let say = move |msg: &str| {
            let _ = tx.send(msg.to_string());
        };
        let say = std::sync::Mutex::new(say);
        let say_sync = |msg: &str| (say.lock().expect("progress lock"))(msg);
        let (docker, shells) = (&self.docker, &self.shells);
        let (probed, made) = match spec.wiring {
            Wiring::DockerNetworks => self.rt.block_on(create_on_networks(
                docker,
                shells,
                spec,
                &image,
                probe_needed,
                &say_sync,
            )),
            Wiring::Veth => self.rt.block_on(create_with_veth(
                docker,
                shells,
                spec,
                &image,
                probe_needed,
                &say_sync,
            )),
        };
        for msg in rx.try_iter() {
            progress(&msg);
        }
        if let Some(refused) = self.refusal(probed) {
            // Nothing of the lab may stay behind a refusal.
            if let Err(e) = self.destroy_lab(&spec.lab) {
                return Err(refused.context(format!(
                    "removing what was made of the lab failed too ({e:#}): `mplsrepl down {}` removes it",
                    spec.lab
                )));
            }
            return Err(refused);
        }
        made?;
        progress(&format!(
            "{} containers up with FRR in {:.1} s",
            spec.containers.len(),
            started.elapsed().as_secs_f64()
        ));
        Ok(())
    }

    fn configure(&mut self, lab: &str, step: &Configure) -> anyhow::Result<ExecOutput> {
        self.rt
            .block_on(configure_router(&self.docker, &self.shells, lab, step))
    }

    fn configure_all(&mut self, lab: &str, steps: &[Configure]) -> Vec<anyhow::Result<ExecOutput>> {
        let (docker, shells) = (&self.docker, &self.shells);
        self.rt.block_on(bounded(
            steps
                .iter()
                .map(|step| configure_router(docker, shells, lab, step)),
        ))
    }

    fn exec(&mut self, lab: &str, router: &str, argv: &[String]) -> anyhow::Result<ExecOutput> {
        let (exit_code, out, err) = self.exec_bytes(&container_name(lab, router), argv)?;
        Ok(exec_output(exit_code, &out, &err))
    }

    fn exec_all(
        &mut self,
        lab: &str,
        commands: &[(String, Vec<String>)],
    ) -> Vec<anyhow::Result<ExecOutput>> {
        let shells = &self.shells;
        self.rt
            .block_on(bounded(commands.iter().map(|(router, argv)| async move {
                let (exit_code, out, err) = shells.run(&container_name(lab, router), argv).await?;
                anyhow::Ok(exec_output(exit_code, &out, &err))
            })))
    }

    fn start_captures(
        &mut self,
        lab: &str,
        points: &[CapturePoint],
    ) -> anyhow::Result<Vec<CaptureHandle>> {
        let shells = &self.shells;
        let clock = Instant::now();
        let tokens: Vec<String> = points
            .iter()
            .map(|_| format!("{}-{}", std::process::id(), rand_token()))
            .collect();
        let started = self.rt.block_on(bounded(points.iter().zip(&tokens).map(
            |(p, token)| async move {
                let container = container_name(lab, &p.router);
                capture::start(shells, &container, &p.interface, &p.filter, token)
                    .await
                    .with_context(|| p.router.clone())
            },
        )));
        tracing::debug!(
            "{} captures listening in {} ms",
            points.len(),
            clock.elapsed().as_millis()
        );
        let mut handles = Vec::new();
        let mut failed = None;
        for ((point, result), token) in points.iter().zip(started).zip(tokens) {
            match result {
                Ok(capture) => {
                    self.captures.insert(token.clone(), capture);
                    handles.push(CaptureHandle {
                        router: point.router.clone(),
                        interface: point.interface.clone(),
                        path: format!(
                            "{}: tcpdump -i {} {}",
                            container_name(lab, &point.router),
                            point.interface,
                            point.filter
                        ),
                        token,
                    });
                }
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        match failed {
            None => Ok(handles),
            Some(e) => {
                let _ = self.stop_captures(lab, &handles);
                Err(e)
            }
        }
    }

    fn stop_captures(
        &mut self,
        _lab: &str,
        handles: &[CaptureHandle],
    ) -> Vec<anyhow::Result<Vec<u8>>> {
        let running: Vec<Option<RunningCapture>> = handles
            .iter()
            .map(|h| self.captures.remove(&h.token))
            .collect();
        // The packets that made the ping return have crossed the interface, but tcpdump may
        // not have been scheduled to write them out yet on a slow engine.
        std::thread::sleep(Duration::from_millis(200));
        let clock = Instant::now();
        let shells = &self.shells;
        let stopped = self.rt.block_on(futures_util::future::join_all(
            handles.iter().zip(running).map(|(h, c)| async move {
                let c = c.ok_or_else(|| anyhow!("{}: no running capture {}", h.router, h.token))?;
                capture::stop(shells, c)
                    .await
                    .with_context(|| format!("{}: capture on {}", h.router, h.interface))
            }),
        ));
        tracing::debug!(
            "{} captures stopped in {} ms (after 200 ms)",
            handles.len(),
            clock.elapsed().as_millis()
        );
        stopped
    }

    fn destroy_lab(&mut self, lab: &str) -> anyhow::Result<DestroyReport> {
        self.rt
            .block_on(teardown::destroy_lab(&self.docker, &self.shells, lab))
    }
}

fn rand_token() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Run the script that applies one router's change, through its kept shell (an exec costs
/// more than the commands on a slow engine), after uploading its file if it has one.
async fn configure_router(
    docker: &Docker,
    shells: &ShellPool,
    lab: &str,
    step: &Configure,
) -> anyhow::Result<ExecOutput> {
    let container = container_name(lab, &step.router);
    if let Some((dir, name, text)) = &step.apply.upload {
        upload(docker, &container, dir, name, text.clone()).await?;
    }
    if step.apply.script.is_empty() {
        return Ok(ExecOutput::default());
    }
    let (code, out, err) = shells
        .run_script(&container, step.apply.script.clone())
        .await?;
    Ok(exec_output(code, &out, &err))
}

fn exec_output(exit_code: i64, out: &[u8], err: &[u8]) -> ExecOutput {
    ExecOutput {
        exit_code,
        stdout: String::from_utf8_lossy(out).into_owned(),
        stderr: String::from_utf8_lossy(err).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::action::ContainerSpec;
    use ipnet::Ipv4Net;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "lab-PE1".into(),
            router: "PE1".into(),
            role: crate::topology::Role::Pe,
            image: "img".into(),
            interfaces: vec![crate::runtime::action::InterfaceSpec {
                name: "eth0".into(),
                network: "lab-net1".into(),
                address: Some("10.1.1.2".parse().unwrap()),
            }],
            node: "FRR 10".into(),
            start_script: "echo the node starts\n".into(),
            engine: None,
        }
    }

    #[test]
    fn setup_script_is_valid_shell_and_renames_before_the_node_starts() {
        let script = setup_script(&spec(), Some(&["02:42:64:40:00:03".to_string()]));
        let check = std::process::Command::new("sh")
            .args(["-n", "-c", &script])
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}\n{script}",
            String::from_utf8_lossy(&check.stderr)
        );
        let rename = script.find("ip link set dev mrtmp0 name eth0").unwrap();
        let start = script.find("echo the node starts").unwrap();
        assert!(rename < start, "{script}");
    }

    #[test]
    fn with_veth_links_the_setup_renames_nothing() {
        let script = setup_script(&spec(), None);
        assert!(!script.contains("mrtmp"), "{script}");
        assert!(!script.contains("addr flush"), "{script}");
        assert!(script.ends_with("echo the node starts\n"));
    }

    #[test]
    fn free_subnets_skip_what_is_taken() {
        let taken: Vec<Ipv4Net> = ["100.64.0.0/29", "100.64.0.16/28", "172.17.0.0/16"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let got: Vec<String> = free_subnets(&taken, 3)
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(got, ["100.64.0.8/29", "100.64.0.32/29", "100.64.0.40/29"]);
        let wide: Vec<Ipv4Net> = vec!["100.64.0.0/10".parse().unwrap()];
        assert!(
            free_subnets(&wide, 1).is_empty(),
            "a network over the whole pool leaves nothing"
        );
    }
}
