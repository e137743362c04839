//! A router's container: created, its files uploaded, started, and its interfaces named as the
//! topology says (made with veth links, or matched by MAC on Docker networks and renamed).

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use bollard::models::{ContainerCreateBody, HostConfig, NetworkConnectRequest, NetworkingConfig};
use bollard::query_parameters::CreateContainerOptionsBuilder;
use bollard::Docker;

use super::calls::{bounded, traced};
use super::labels::*;
use super::networks::{create_networks, endpoint};
use super::probe::{engine_lacking, run_probe, MPLS_PROBE};
use super::shell::ShellPool;
use crate::runtime::action::{links_container_name, ContainerSpec, LabSpec, Wiring};

/// What a router's creation shares with the links container's work ([`Wiring::Veth`]).
pub(super) struct VethHooks {
    /// Where each router's process id goes, for the links container to find its namespace.
    pids: tokio::sync::mpsc::UnboundedSender<(String, i64)>,
    /// The probe's verdict, `Some(false)` when the engine cannot run the lab: a router that
    /// has not started FRR yet does not, since the lab is about to be removed.
    fit: tokio::sync::watch::Receiver<Option<bool>>,
}

/// Create and start one router's container and set it up (interface names, FRR). On Docker
/// networks it is created on them; with veth links it reports to the links container's work.
pub(super) async fn create_container(
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
pub(super) fn endpoint_macs(
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
pub(super) async fn create_on_networks(
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

/// Veth links: the links container (which also runs the MPLS/VRF probe, when that is still
/// needed) and the routers' containers are created at once. The links are made as soon as
/// every router's container runs, while FRR starts in them: zebra picks interfaces up as they
/// come. The probe's output, if it ran, and whether the lab was made; when the probe finds
/// the engine lacking, no link is made and the caller removes the lab.
pub(super) async fn create_with_veth(
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
        if let Err(e) = super::links::create_links_container(docker, spec, image).await {
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
        let wired = super::links::wire(shells, spec, &pids).await;
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
pub(super) fn rename_script(c: &ContainerSpec, macs: &[String]) -> String {
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

pub(super) fn tar_of(files: &[(&str, String)]) -> anyhow::Result<Vec<u8>> {
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

pub(super) async fn upload(
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
