//! The real backend: Docker through bollard.
//!
//! Every object carries the label `mplsrepl.lab=<lab>`, and teardown works from that label
//! alone, so `down` never touches anything the tool did not create. Interface names are decided
//! by construction: veth links are made with them (docker_links); on Docker networks, after
//! start, each endpoint's MAC address (from inspect) is matched to a kernel link and renamed
//! to the name the topology gives it, whatever order Docker used.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, Ipam, IpamConfig, NetworkConnectRequest,
    NetworkCreateRequest, NetworkingConfig,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, ListNetworksOptionsBuilder,
    RemoveContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use ipnet::Ipv4Net;
use tokio::runtime::Runtime;

use crate::runtime::action::{
    container_name, links_container_name, Configure, ContainerSpec, LabSpec, NetworkSpec, Wiring,
};
use crate::runtime::backend::*;
use crate::runtime::docker_capture::{self, RunningCapture};
use crate::runtime::docker_links;
use crate::runtime::docker_shell::ShellPool;

/// A lab on the engine: its name and its containers, each with its Docker status and, for a
/// router, what it runs ([`LABEL_NODE`]).
pub type LabListing = (String, Vec<(String, String, Option<String>)>);

pub const LABEL_LAB: &str = "mplsrepl.lab";
pub const LABEL_ROUTER: &str = "mplsrepl.router";
/// What a router runs, as the node kind describes it ([`ContainerSpec::node`]).
pub const LABEL_NODE: &str = "mplsrepl.node";
// A router's start script (frr::start) waits at most twice this: its own message must come
// before the kept shell gives up on it.
const _: () = assert!(
    2 * crate::frr::start::START_TIMEOUT.as_secs()
        < crate::runtime::docker_shell::COMMAND_TIMEOUT.as_secs()
);
/// Calls of one batch (networks, containers, a step's routers, checks) in flight at once. A
/// slow engine answers a few dozen concurrent requests no faster than a dozen, and a large lab
/// sending all of them at once got its connections reset.
const MAX_CONCURRENT_CALLS: usize = 12;

/// Run the futures at most [`MAX_CONCURRENT_CALLS`] at a time; results in order.
async fn bounded<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    futures_util::stream::iter(futures)
        .buffered(MAX_CONCURRENT_CALLS)
        .collect()
        .await
}

/// Await an engine call, logging how long it took (`MPLSREPL_LOG=mplsrepl=debug`).
async fn traced<T, E>(
    what: impl std::fmt::Display,
    call: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let started = Instant::now();
    let result = call.await;
    tracing::debug!(
        "docker {what}: {} in {} ms",
        if result.is_ok() { "ok" } else { "failed" },
        started.elapsed().as_millis()
    );
    result
}

pub struct DockerBackend {
    docker: Docker,
    rt: Runtime,
    host: String,
    api_version: String,
    /// What the MPLS/VRF probe found, so one run probes once.
    mpls_verdict: Option<Vec<String>>,
    /// Captures started and not yet stopped, by token.
    captures: HashMap<String, RunningCapture>,
    /// Kept shells for short commands (checks, `show`, `sh`): see docker_shell.
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

    /// Labs on this engine: lab name -> (container, state).
    pub fn labs(&self) -> anyhow::Result<Vec<LabListing>> {
        let filters: HashMap<&str, Vec<&str>> = [("label", vec![LABEL_LAB])].into();
        let opts = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&filters)
            .build();
        let list = self.rt.block_on(self.docker.list_containers(Some(opts)))?;
        let mut labs: std::collections::BTreeMap<String, Vec<(String, String, Option<String>)>> =
            Default::default();
        for c in list {
            let lab = c
                .labels
                .as_ref()
                .and_then(|l| l.get(LABEL_LAB))
                .cloned()
                .unwrap_or_default();
            let name = c
                .names
                .as_ref()
                .and_then(|n| n.first())
                .map(|n| n.trim_start_matches('/').to_string());
            let node = c.labels.as_ref().and_then(|l| l.get(LABEL_NODE)).cloned();
            labs.entry(lab).or_default().push((
                name.unwrap_or_default(),
                c.status.unwrap_or_default(),
                node,
            ));
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

const MPLS_PROBE: &str = "test -e /proc/sys/net/mpls/platform_labels && echo MPLS; \
                          ip link add mplsrepl-probe type vrf table 4242 2>/dev/null && echo VRF; true";

/// What the output of [`MPLS_PROBE`] says is missing, each with its fix.
fn mpls_verdict(probe_output: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !probe_output.contains("MPLS") {
        problems.push(
            "the engine's kernel has no MPLS forwarding: on its host run `modprobe mpls_router mpls_iptunnel` \
             (Debian/Ubuntu: install linux-modules-extra-$(uname -r)), or use the lab VM: `mplsrepl vm up`"
                .to_string(),
        );
    }
    if !probe_output.contains("VRF") {
        problems.push("the engine's kernel has no VRF devices: on its host run `modprobe vrf`, or use `mplsrepl vm up`".to_string());
    }
    problems
}

fn image_missing(image: &str, host: &str) -> String {
    if image == crate::vm::IMAGE {
        format!("image {image} is not on the engine at {host}: `mplsrepl vm up` builds and imports it into the lab VM")
    } else {
        format!("image {image} is not on the engine at {host}: pull or load it there first (e.g. `docker pull {image}`)")
    }
}

pub(super) fn labels(lab: &str, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut l: HashMap<String, String> = [(LABEL_LAB.to_string(), lab.to_string())].into();
    for (k, v) in extra {
        l.insert(k.to_string(), v.to_string());
    }
    l
}

/// [`labels`] with the lab's own extra labels (the engines of a spread lab).
pub(super) fn lab_labels(spec: &LabSpec, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut l = labels(&spec.lab, extra);
    l.extend(spec.labels.iter().cloned());
    l
}

/// A throwaway privileged container without network, running [`MPLS_PROBE`]; its output.
/// Labelled with the lab it is for, if any, so that `down` removes a probe an interrupted run
/// left behind.
async fn run_probe(docker: Docker, image: String, lab: Option<String>) -> anyhow::Result<String> {
    let docker = &docker;
    let name = format!("mplsrepl-probe-{}", std::process::id());
    let mut probe_labels: HashMap<String, String> =
        [("mplsrepl.probe".to_string(), "1".to_string())].into();
    if let Some(lab) = lab {
        probe_labels.insert(LABEL_LAB.to_string(), lab);
    }
    let body = ContainerCreateBody {
        image: Some(image),
        entrypoint: Some(vec!["sh".into(), "-c".into(), MPLS_PROBE.into()]),
        cmd: Some(vec![]),
        labels: Some(probe_labels),
        host_config: Some(HostConfig {
            privileged: Some(true),
            network_mode: Some("none".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let opts = CreateContainerOptionsBuilder::new().name(&name).build();
    docker.create_container(Some(opts), body).await?;
    let result = async {
        docker.start_container(&name, None).await?;
        let mut wait = docker.wait_container(&name, None);
        while let Some(r) = wait.next().await {
            // A non-zero exit is reported as an error by bollard; the output still tells.
            if r.is_err() {
                break;
            }
        }
        let mut logs = docker.logs(
            &name,
            Some(
                bollard::query_parameters::LogsOptionsBuilder::new()
                    .stdout(true)
                    .stderr(true)
                    .build(),
            ),
        );
        let mut text = String::new();
        while let Some(chunk) = logs.next().await {
            text.push_str(&chunk?.to_string());
        }
        anyhow::Ok(text)
    }
    .await;
    let rm = RemoveContainerOptionsBuilder::new().force(true).build();
    let _ = docker.remove_container(&name, Some(rm)).await;
    result
}

/// Where the throwaway subnets of lab networks come from: shared address space (RFC 6598),
/// which no lab is expected to route, cut in /29s (two ends and Docker's gateway, with room).
const DOCKER_POOL: &str = "100.64.0.0/10";
const DOCKER_SUBNET_LEN: u8 = 29;

/// `count` subnets of the pool that overlap none of `taken`, lowest first.
pub fn free_subnets(taken: &[Ipv4Net], count: usize) -> Vec<Ipv4Net> {
    let pool: Ipv4Net = DOCKER_POOL.parse().expect("valid pool");
    pool.subnets(DOCKER_SUBNET_LEN)
        .expect("/29 fits in the pool")
        .filter(|s| {
            !taken
                .iter()
                .any(|t| t.contains(&s.network()) || s.contains(&t.network()))
        })
        .take(count)
        .collect()
}

/// Subnets of every network on the engine (the lab's and anybody else's).
async fn taken_subnets(docker: &Docker) -> anyhow::Result<Vec<Ipv4Net>> {
    let networks = docker
        .list_networks(None::<bollard::query_parameters::ListNetworksOptions>)
        .await?;
    Ok(networks
        .iter()
        .filter_map(|n| n.ipam.as_ref()?.config.as_ref())
        .flatten()
        .filter_map(|c| c.subnet.as_ref()?.parse().ok())
        .collect())
}

/// Create the lab's networks, each on a free throwaway subnet. Another lab being created at the
/// same moment may take a subnet first: Docker then refuses with an overlap, and we pick again.
async fn create_networks(
    docker: &Docker,
    lab: &str,
    networks: &[NetworkSpec],
) -> anyhow::Result<()> {
    let mut pending: Vec<&NetworkSpec> = networks.iter().collect();
    for _attempt in 0..5 {
        let subnets = free_subnets(&taken_subnets(docker).await?, pending.len());
        if subnets.len() < pending.len() {
            bail!(
                "no free /{DOCKER_SUBNET_LEN} left in {DOCKER_POOL} for the lab's Docker networks"
            );
        }
        let results = bounded(
            pending
                .iter()
                .zip(&subnets)
                .map(|(n, s)| create_network(docker, lab, n, *s)),
        )
        .await;
        let mut retry = Vec::new();
        for (n, r) in pending.iter().zip(results) {
            match r {
                Ok(()) => {}
                Err(e) if format!("{e:#}").contains("overlap") => retry.push(*n),
                Err(e) => return Err(e),
            }
        }
        if retry.is_empty() {
            return Ok(());
        }
        pending = retry;
    }
    bail!("could not find free subnets for the lab's Docker networks after 5 attempts")
}

async fn create_network(
    docker: &Docker,
    lab: &str,
    n: &NetworkSpec,
    subnet: Ipv4Net,
) -> anyhow::Result<()> {
    let options: HashMap<String, String> = [
        // The bridge must not hold the gateway address: the lab owns every address.
        (
            "com.docker.network.bridge.inhibit_ipv4".to_string(),
            "true".to_string(),
        ),
        (
            "com.docker.network.bridge.enable_ip_masquerade".to_string(),
            "false".to_string(),
        ),
        (
            "com.docker.network.driver.mtu".to_string(),
            n.mtu.to_string(),
        ),
    ]
    .into();
    let req = NetworkCreateRequest {
        name: n.name.clone(),
        driver: Some("bridge".into()),
        ipam: Some(Ipam {
            driver: Some("default".into()),
            config: Some(vec![IpamConfig {
                subnet: Some(subnet.to_string()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        options: Some(options),
        labels: Some(labels(lab, &[("mplsrepl.segment", &n.segment)])),
        ..Default::default()
    };
    docker
        .create_network(req)
        .await
        .with_context(|| format!("creating network {} (for {})", n.name, n.subnet))?;
    Ok(())
}

/// An endpoint with whatever address Docker picks from the throwaway subnet: it is removed
/// from the container before FRR starts.
fn endpoint() -> EndpointSettings {
    EndpointSettings::default()
}

/// What a router's creation shares with the links container's work ([`Wiring::Veth`]).
struct VethHooks {
    /// Where each router's process id goes, for the links container to find its namespace.
    pids: tokio::sync::mpsc::UnboundedSender<(String, i64)>,
    /// The probe's verdict, `Some(false)` when the engine cannot run the lab: a router that
    /// has not started FRR yet does not, since the lab is about to be removed.
    fit: tokio::sync::watch::Receiver<Option<bool>>,
}

/// Create and start one router's container and set it up (interface names, FRR). On Docker
/// networks it is created on them; with veth links it reports to the links container's work.
async fn create_container(
    docker: &Docker,
    shells: &ShellPool,
    spec: &LabSpec,
    c: &ContainerSpec,
    veth: Option<&VethHooks>,
    progress: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<()> {
    let on_networks = spec.wiring == Wiring::DockerNetworks;
    let first = c.interfaces.first().filter(|_| on_networks);
    let networking = first.map(|i| NetworkingConfig {
        endpoints_config: Some([(i.network.clone(), endpoint())].into()),
    });
    let body = ContainerCreateBody {
        image: Some(c.image.clone()),
        hostname: Some(c.router.clone()),
        // Keep the container alive without starting FRR: its daemons file is written first.
        entrypoint: Some(vec!["tail".into(), "-f".into(), "/dev/null".into()]),
        cmd: Some(vec![]),
        labels: Some(lab_labels(
            spec,
            &[(LABEL_ROUTER, &c.router), (LABEL_NODE, &c.node)],
        )),
        host_config: Some(HostConfig {
            privileged: Some(true),
            network_mode: Some(first.map_or("none".to_string(), |i| i.network.clone())),
            // An init that reaps orphans: a capture's tcpdump and whatever a user starts in
            // the background with `sh` would otherwise stay zombies under `tail`.
            init: Some(true),
            ..Default::default()
        }),
        networking_config: networking,
        ..Default::default()
    };
    let opts = CreateContainerOptionsBuilder::new().name(&c.name).build();
    traced(
        format_args!("create {}", c.name),
        docker.create_container(Some(opts), body),
    )
    .await
    .with_context(|| format!("creating container {} from image {}", c.name, c.image))?;
    // API < 1.44 takes one network at create time; the others are connected before start.
    for i in c.interfaces.iter().skip(1).filter(|_| on_networks) {
        let req = NetworkConnectRequest {
            container: c.name.clone(),
            endpoint_config: Some(endpoint()),
        };
        traced(
            format_args!("connect {} {}", c.name, i.network),
            docker.connect_network(&i.network, req),
        )
        .await
        .with_context(|| format!("connecting {} to {}", c.name, i.network))?;
    }
    crate::interrupt::check()?;
    traced(
        format_args!("start {}", c.name),
        docker.start_container(&c.name, None),
    )
    .await
    .with_context(|| format!("starting {}", c.name))?;
    let info = traced(
        format_args!("inspect {}", c.name),
        docker.inspect_container(&c.name, None),
    )
    .await?;
    if let Some(veth) = veth {
        let pid = info
            .state
            .as_ref()
            .and_then(|s| s.pid)
            .filter(|pid| *pid > 0)
            .ok_or_else(|| anyhow!("{}: Docker reports no process id after start", c.name))?;
        let _ = veth.pids.send((c.name.clone(), pid));
        // Not waited for: the probe has usually answered long before a container starts.
        if *veth.fit.borrow() == Some(false) {
            bail!("{}: FRR not started: the engine cannot run the lab", c.name);
        }
    }
    crate::interrupt::check()?;
    let macs = if on_networks {
        Some(endpoint_macs(&info, c)?)
    } else {
        None
    };
    // The router's first kept shell, which the checks that follow then find open.
    let (code, out, err) = shells
        .run_script(&c.name, setup_script(c, macs.as_deref()))
        .await?;
    if code != 0 {
        bail!(
            "{}: setting up the router failed (exit {code}):\n{}{}",
            c.name,
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&err)
        );
    }
    progress(&format!("{}: FRR started", c.router));
    Ok(())
}

/// The MAC address of each of the router's Docker network endpoints, in its interfaces' order.
fn endpoint_macs(
    info: &bollard::models::ContainerInspectResponse,
    c: &ContainerSpec,
) -> anyhow::Result<Vec<String>> {
    let networks = info
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.as_ref());
    c.interfaces
        .iter()
        .map(|i| {
            networks
                .and_then(|n| n.get(&i.network))
                .and_then(|e| e.mac_address.clone())
                .filter(|m| !m.is_empty())
                .ok_or_else(|| {
                    anyhow!("{}: Docker reports no MAC address on {}", c.name, i.network)
                })
        })
        .collect()
}

/// Docker networks: the probe (a container's life) runs while the networks are made, and the
/// routers' containers are created on them once the probe found the engine fit. The probe's
/// output, if it ran, and whether the lab was made.
async fn create_on_networks(
    docker: &Docker,
    shells: &ShellPool,
    spec: &LabSpec,
    image: &str,
    probe_needed: bool,
    progress: &(dyn Fn(&str) + Sync),
) -> (Option<anyhow::Result<String>>, anyhow::Result<()>) {
    let started = Instant::now();
    let probe = async {
        if !probe_needed {
            return None;
        }
        Some(run_probe(docker.clone(), image.to_string(), Some(spec.lab.clone())).await)
    };
    let (networks, probed) =
        tokio::join!(create_networks(docker, &spec.lab, &spec.networks), probe);
    if engine_lacking(&probed) {
        return (probed, Ok(()));
    }
    if let Err(e) = networks.and_then(|()| crate::interrupt::check()) {
        return (probed, Err(e));
    }
    progress(&format!(
        "{} networks created in {:.1} s",
        spec.networks.len(),
        started.elapsed().as_secs_f64()
    ));
    // Not try_join_all: after Ctrl-C each creation stops at its next phase, and the calls
    // under way finish, so that removing the lab then finds everything it made.
    let made = bounded(
        spec.containers
            .iter()
            .map(|c| create_container(docker, shells, spec, c, None, progress)),
    )
    .await;
    (probed, made.into_iter().collect())
}

/// Whether the probe, if it ran, found the engine unfit for the lab (or could not tell).
fn engine_lacking(probed: &Option<anyhow::Result<String>>) -> bool {
    match probed {
        Some(Ok(out)) => !mpls_verdict(out).is_empty(),
        Some(Err(_)) => true,
        None => false,
    }
}

/// Veth links: the links container (which also runs the MPLS/VRF probe, when that is still
/// needed) and the routers' containers are created at once. The links are made as soon as
/// every router's container runs, while FRR starts in them: zebra picks interfaces up as they
/// come. The probe's output, if it ran, and whether the lab was made; when the probe finds
/// the engine lacking, no link is made and the caller removes the lab.
async fn create_with_veth(
    docker: &Docker,
    shells: &ShellPool,
    spec: &LabSpec,
    image: &str,
    probe_needed: bool,
    progress: &(dyn Fn(&str) + Sync),
) -> (Option<anyhow::Result<String>>, anyhow::Result<()>) {
    let links = links_container_name(&spec.lab);
    let (pids, mut pid_rx) = tokio::sync::mpsc::unbounded_channel::<(String, i64)>();
    let (fit_tx, fit) = tokio::sync::watch::channel(None);
    let hooks = VethHooks { pids, fit };
    let routers = async move {
        // As on Docker networks: each creation stops at its next phase after Ctrl-C.
        let made = bounded(
            spec.containers
                .iter()
                .map(|c| create_container(docker, shells, spec, c, Some(&hooks), progress)),
        )
        .await;
        made.into_iter()
            .collect::<anyhow::Result<Vec<()>>>()
            .map(drop)
    };
    let probe_then_wire = async {
        if let Err(e) = docker_links::create_links_container(docker, spec, image).await {
            return (None, Err(e));
        }
        let probed = if probe_needed {
            let probe = format!("{MPLS_PROBE}; ip link del mplsrepl-probe 2>/dev/null; true");
            let ran = shells.run_script(&links, probe).await;
            Some(ran.map(|(_, out, _)| String::from_utf8_lossy(&out).into_owned()))
        } else {
            None
        };
        let lacking = engine_lacking(&probed);
        let _ = fit_tx.send(Some(!lacking));
        if lacking {
            return (probed, Ok(()));
        }
        let mut pids = HashMap::new();
        while pids.len() < spec.containers.len() {
            match pid_rx.recv().await {
                Some((name, pid)) => {
                    pids.insert(name, pid);
                }
                None => {
                    let why =
                        anyhow!("the links were not made: a router's container did not start");
                    return (probed, Err(why));
                }
            }
        }
        if let Err(e) = crate::interrupt::check() {
            return (probed, Err(e));
        }
        let wired = docker_links::wire(shells, spec, &pids).await;
        if wired.is_ok() {
            progress(&format!("{} links made", spec.networks.len()));
        }
        (probed, wired)
    };
    let (routers, (probed, wired)) = tokio::join!(routers, probe_then_wire);
    (probed, routers.and(wired))
}

/// The setup script of a router: its loopback up, the interfaces Docker networks gave it
/// renamed (`macs[i]` is the MAC address of `c.interfaces[i]`; none with veth links, which
/// are made with their names), the routes Docker added removed, then the node's own start
/// script ([`ContainerSpec::start_script`]).
pub fn setup_script(c: &ContainerSpec, macs: Option<&[String]>) -> String {
    let mut s = String::from("set -e\nip link set lo up\n");
    if let Some(macs) = macs {
        s.push_str(&rename_script(c, macs));
    }
    s.push_str("ip route flush table main 2>/dev/null || true\n");
    s.push_str(&c.start_script);
    s
}

/// Docker names links in its own order: rename each by MAC, through temporary names so a
/// wanted name never collides with one Docker gave, and remove Docker's addresses (zebra owns
/// every address).
fn rename_script(c: &ContainerSpec, macs: &[String]) -> String {
    let mut s = String::new();
    s.push_str(
        "link_with_mac() { for d in /sys/class/net/*; do if [ \"$(cat $d/address)\" = \"$1\" ]; then basename $d; fi; done; }\n",
    );
    for (n, mac) in macs.iter().enumerate() {
        s.push_str(&format!(
            "dev=$(link_with_mac {mac}); [ -n \"$dev\" ] || {{ echo 'no link with MAC {mac}' >&2; exit 1; }}\n\
             ip link set dev \"$dev\" down; ip link set dev \"$dev\" name mrtmp{n}\n"
        ));
    }
    for (n, i) in c.interfaces.iter().enumerate() {
        s.push_str(&format!(
            "ip link set dev mrtmp{n} name {0}; ip addr flush dev {0}; ip link set dev {0} up\n",
            i.name
        ));
    }
    s
}

fn tar_of(files: &[(&str, String)]) -> anyhow::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, text.as_bytes())?;
    }
    Ok(builder.into_inner()?)
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
                docker_capture::start(shells, &container, &p.interface, &p.filter, token)
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
                docker_capture::stop(shells, c)
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
        let label = format!("{LABEL_LAB}={lab}");
        let filters: HashMap<&str, Vec<&str>> = [("label", vec![label.as_str()])].into();
        let docker = &self.docker;
        let shells = &self.shells;
        self.rt.block_on(async {
            let opts = ListContainersOptionsBuilder::new()
                .all(true)
                .filters(&filters)
                .build();
            let containers = docker.list_containers(Some(opts)).await?;
            let name_of = |c: &bollard::models::ContainerSummary| {
                c.names
                    .as_ref()?
                    .first()
                    .map(|n| n.trim_start_matches('/').to_string())
            };
            let names: Vec<String> = containers.iter().filter_map(name_of).collect();
            // Only a router's processes may be killed wholesale: the links container sees
            // every process of the engine's host.
            let routers: Vec<String> = containers
                .iter()
                .filter(|c| {
                    c.labels
                        .as_ref()
                        .is_some_and(|l| l.contains_key(LABEL_ROUTER))
                })
                .filter_map(name_of)
                .collect();
            shells.forget(&routers, Duration::from_secs(3)).await;
            shells.drop_idle(&names);
            bounded(names.iter().map(|n| async move {
                let rm = || {
                    RemoveContainerOptionsBuilder::new()
                        .force(true)
                        .v(true)
                        .build()
                };
                // Removal is idempotent, so a connection the engine reset (seen on the lab
                // VM with a 56-router lab) is worth one more try.
                let mut result = docker.remove_container(n, Some(rm())).await;
                if matches!(result, Err(ref e) if !is_server_answer(e)) {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    result = docker.remove_container(n, Some(rm())).await;
                }
                match result {
                    Ok(())
                    | Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 404,
                        ..
                    }) => Ok(()),
                    Err(e) => Err(anyhow::Error::new(e).context(format!("removing container {n}"))),
                }
            }))
            .await
            .into_iter()
            .collect::<anyhow::Result<Vec<()>>>()?;
            let nopts = ListNetworksOptionsBuilder::new().filters(&filters).build();
            let networks = docker.list_networks(Some(nopts)).await?;
            let net_names: Vec<String> = networks.into_iter().filter_map(|n| n.name).collect();
            // Like containers, a dozen at a time: one after the other, a 56-router ring's
            // networks took a minute to go on the lab VM.
            bounded(net_names.iter().map(|n| async move {
                match docker.remove_network(n).await {
                    Ok(())
                    | Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 404,
                        ..
                    }) => Ok(()),
                    Err(e) => Err(anyhow::Error::new(e).context(format!("removing network {n}"))),
                }
            }))
            .await
            .into_iter()
            .collect::<anyhow::Result<Vec<()>>>()?;
            anyhow::Ok(DestroyReport {
                containers: names,
                networks: net_names,
            })
        })
    }
}

/// An error the engine answered with (as opposed to a connection that failed).
fn is_server_answer(e: &bollard::errors::Error) -> bool {
    matches!(e, bollard::errors::Error::DockerResponseServerError { .. })
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

async fn upload(
    docker: &Docker,
    container: &str,
    dir: &str,
    name: &str,
    text: String,
) -> anyhow::Result<()> {
    let tar = tar_of(&[(name, text)])?;
    let opts = bollard::query_parameters::UploadToContainerOptionsBuilder::new()
        .path(dir)
        .build();
    docker
        .upload_to_container(container, Some(opts), bollard::body_full(tar.into()))
        .await
        .with_context(|| format!("uploading {name} to {container}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "lab-PE1".into(),
            router: "PE1".into(),
            role: crate::topology::Role::Pe,
            image: "img".into(),
            interfaces: vec![crate::runtime::action::InterfaceSpec {
                name: "eth0".into(),
                network: "lab-net1".into(),
                address: "10.1.1.2".parse().unwrap(),
            }],
            frr: crate::frr::FrrVersion::DEFAULT,
            node: "FRR 10".into(),
            daemons: Default::default(),
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
