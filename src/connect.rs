//! Which Docker engine a command runs on, and connecting to it: the one given, the local
//! socket if it forwards MPLS, the lab VM, or several engines for one lab.

use std::path::Path;

use anyhow::Context;

use crate::run_guard::Connected;
use crate::runtime::docker::DockerBackend;
use crate::runtime::engine_lost::Unreachable;
use crate::runtime::multi_engine::{EngineAddr, MultiEngine};
use crate::runtime::placement::Placement;

/// Which Docker engine the user asked for, and the default image.
#[derive(Debug, Clone)]
pub struct EngineChoice {
    pub docker_host: Option<String>,
    /// `--engines URL[@UNDERLAY],...`: a lab over several engines.
    pub engines: Option<String>,
    /// `--place ROUTER=N,...`.
    pub place: Option<String>,
    pub image: String,
    pub wiring: crate::runtime::Wiring,
}

/// The backend a command that builds a lab runs on: several engines with `--engines`, else
/// the one Docker engine [`connect_docker`] finds.
pub fn connect(engine: &EngineChoice, color: bool) -> anyhow::Result<Connected> {
    if let Some(list) = &engine.engines {
        let multi = connect_engines(list, engine.place.as_deref())?;
        let host = multi.engine_urls().join(", ");
        return Ok(Connected {
            backend: Box::new(multi),
            host,
            down_flags: format!(" --engines {list}"),
        });
    }
    let docker = connect_docker(engine, color)?;
    let host = docker.host().to_string();
    Ok(Connected {
        backend: Box::new(docker),
        host,
        down_flags: String::new(),
    })
}

/// `--engines` (and `--place`): a backend over those engines.
pub fn connect_engines(list: &str, place: Option<&str>) -> anyhow::Result<MultiEngine> {
    MultiEngine::connect(&engine_list(list)?, pins(place)?)
}

/// `--engines URL[@UNDERLAY],...`, the lab VMs' underlay addresses known from their ports.
pub(crate) fn engine_list(list: &str) -> anyhow::Result<Vec<EngineAddr>> {
    let first_vm_port = crate::vm::VmConfig::from_env().instance(0).port;
    crate::runtime::multi_engine::parse_engines(list, first_vm_port)
}

/// `--place ROUTER=N,...`, none when not given.
pub(crate) fn pins(place: Option<&str>) -> anyhow::Result<Placement> {
    Ok(place
        .map(crate::runtime::multi_engine::parse_place)
        .transpose()?
        .unwrap_or_default())
}

/// Find a Docker engine that can run MPLS labs: the one asked for, else the local socket if it
/// passes preflight, else the lab VM (built and booted on demand).
pub fn connect_docker(engine: &EngineChoice, color: bool) -> anyhow::Result<DockerBackend> {
    if let Some(host) = &engine.docker_host {
        return DockerBackend::connect(host).with_context(|| {
            Unreachable(format!(
                "cannot reach the Docker engine at {host} (--docker-host or DOCKER_HOST)"
            ))
        });
    }
    let local = "unix:///var/run/docker.sock";
    if Path::new("/var/run/docker.sock").exists() {
        if let Ok(mut backend) = DockerBackend::connect(local) {
            if backend
                .mpls_problems(&engine.image, None)
                .map(|p| p.is_empty())
                .unwrap_or(false)
            {
                return Ok(backend);
            }
            eprintln!(
                "note: the local Docker engine cannot forward MPLS; using the lab VM instead"
            );
        }
    }
    let cfg = crate::vm::VmConfig::from_env();
    let say = |msg: &str| eprintln!("[vm] {msg}");
    let _ = color;
    eprintln!(
        "no MPLS-capable Docker engine given (--docker-host/DOCKER_HOST): starting the lab VM"
    );
    let host = crate::vm::up(&cfg, &say)?;
    eprintln!("[vm] using DOCKER_HOST={host}");
    DockerBackend::connect(&host)
        .with_context(|| Unreachable(format!("cannot reach the lab VM's Docker engine at {host}")))
}

/// For commands about an existing lab: its engine, or all of them for a lab spread over
/// several (found in its labels on the one engine given), each router reached on its own.
pub fn connect_lab(
    engine: &EngineChoice,
    lab: &str,
) -> anyhow::Result<Box<dyn crate::runtime::Backend>> {
    let list = match &engine.engines {
        Some(list) => list.clone(),
        None => {
            let docker = connect_existing(engine)?;
            let engines = docker.lab_label(crate::runtime::multi_engine::LABEL_ENGINES)?;
            match engines.get(lab) {
                Some(list) => list.clone(),
                None => return Ok(Box::new(docker)),
            }
        }
    };
    let (mut multi, lost) = MultiEngine::connect_reachable(&engine_list(&list)?);
    for why in &lost {
        eprintln!(
            "warning: lab {lab}: an engine does not answer, its part is left as it is: {why}"
        );
    }
    multi.attach(lab)?;
    Ok(Box::new(multi))
}

/// For commands about an existing lab: never boot the VM, but use it if it runs.
pub fn connect_existing(engine: &EngineChoice) -> anyhow::Result<DockerBackend> {
    if let Some(host) = &engine.docker_host {
        return DockerBackend::connect(host).with_context(|| {
            Unreachable(format!(
                "cannot reach the Docker engine at {host} (--docker-host or DOCKER_HOST)"
            ))
        });
    }
    let cfg = crate::vm::VmConfig::from_env();
    if crate::vm::status(&cfg)
        .map(|s| s.docker_ready())
        .unwrap_or(false)
    {
        let host = cfg.docker_host();
        return DockerBackend::connect(&host).with_context(|| {
            Unreachable(format!("cannot reach the lab VM's Docker engine at {host}"))
        });
    }
    DockerBackend::connect("unix:///var/run/docker.sock").context(Unreachable(
        "no Docker engine: set DOCKER_HOST or --docker-host, or start the lab VM with `mplsrepl vm up`"
            .to_string(),
    ))
}
