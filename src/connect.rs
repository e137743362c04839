//! Which Docker engine a command runs on, and connecting to it: the one given, the local
//! socket if it forwards MPLS, the lab VM, or several engines for one lab (`--engines` and
//! `--place` are read here, so the runtime gets engines and a placement, not their syntax).

use std::path::Path;

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use anyhow::{anyhow, bail, Context};

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
    parse_engines(list, first_vm_port)
}

/// `--place ROUTER=N,...`, none when not given.
pub(crate) fn pins(place: Option<&str>) -> anyhow::Result<Placement> {
    Ok(place.map(parse_place).transpose()?.unwrap_or_default())
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

/// How many engines `--engines` spreads the lab over (as [`parse_engines`] splits the list),
/// for checking a topology's `engine N` as it is read; none with `--place`, which may move a
/// router off an engine the topology names (placement checks it then).
pub fn engines_to_check(engines: Option<&str>, place: Option<&str>) -> Option<usize> {
    let list = engines.filter(|_| place.is_none())?;
    Some(list.split(',').filter(|s| !s.trim().is_empty()).count())
}

/// `URL[@UNDERLAY],...`. An engine given without its underlay address must be one of the lab
/// VMs (`tcp://127.0.0.1:PORT`, PORT from `first_vm_port` on), whose address is known.
pub fn parse_engines(text: &str, first_vm_port: u16) -> anyhow::Result<Vec<EngineAddr>> {
    let engines = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (url, underlay) = match item.rsplit_once('@') {
                Some((url, addr)) => {
                    let addr: Ipv4Addr = addr.parse().map_err(|_| {
                        anyhow!("--engines: `{addr}` in `{item}` is not an IPv4 underlay address")
                    })?;
                    // A tunnel's end is one host the other engines send unicast to: the
                    // kernel takes no multicast `remote` without a device to join the group on.
                    if let Some(why) = crate::topology::martian::martian(addr.into()) {
                        bail!(
                            "--engines: underlay address {addr} in `{item}` is {why}: give the \
                             unicast address the other engines reach that engine at"
                        );
                    }
                    (url, addr)
                }
                None => (
                    item,
                    lab_vm_underlay(item, first_vm_port).ok_or_else(|| {
                        anyhow!(
                            "--engines: give the underlay address of `{item}` as `{item}@ADDRESS` \
                         (the address the other engines reach it at; known only for the lab VMs)"
                        )
                    })?,
                ),
            };
            Ok(EngineAddr {
                url: url.to_string(),
                underlay,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if engines.len() < 2 {
        bail!("--engines: give two engines or more, separated by commas (one engine is --docker-host)");
    }
    let urls: BTreeSet<&str> = engines.iter().map(|e| e.url.as_str()).collect();
    if urls.len() != engines.len() {
        bail!("--engines: an engine is listed twice");
    }
    let underlays: BTreeSet<Ipv4Addr> = engines.iter().map(|e| e.underlay).collect();
    if underlays.len() != engines.len() {
        bail!("--engines: two engines have one underlay address: a tunnel would have both ends on one host");
    }
    Ok(engines)
}

/// The underlay address of lab VM `i` (`vm up --count N`), from its dockerd port.
fn lab_vm_underlay(url: &str, first_vm_port: u16) -> Option<Ipv4Addr> {
    let port: u16 = url.strip_prefix("tcp://127.0.0.1:")?.parse().ok()?;
    let index = port.checked_sub(first_vm_port)?;
    (u32::from(index) < crate::vm::MAX_VMS).then(|| Ipv4Addr::new(192, 0, 2, 1 + index as u8))
}

/// `ROUTER=N,...` (engines numbered from 1) as a placement.
pub fn parse_place(text: &str) -> anyhow::Result<Placement> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (router, n) = item
                .split_once('=')
                .ok_or_else(|| anyhow!("--place: `{item}` is not ROUTER=ENGINE, like PR=2"))?;
            let n: usize = n.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                anyhow!("--place: `{n}` in `{item}` is not an engine number (1, 2, ...)")
            })?;
            Ok((router.to_string(), n - 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_name_their_underlay_or_are_lab_vms() {
        let e = parse_engines("tcp://127.0.0.1:23750,tcp://127.0.0.1:23751", 23750).unwrap();
        assert_eq!(e[0].underlay, Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(e[1].underlay, Ipv4Addr::new(192, 0, 2, 2));
        let e = parse_engines(
            "tcp://10.0.0.5:2375@10.0.0.5, tcp://10.0.0.6:2375@10.0.0.6",
            23750,
        )
        .unwrap();
        assert_eq!(e[1].to_string(), "tcp://10.0.0.6:2375@10.0.0.6");
        let err = parse_engines("tcp://10.0.0.5:2375,tcp://10.0.0.6:2375@10.0.0.6", 23750)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("give the underlay address of `tcp://10.0.0.5:2375`"),
            "{err}"
        );
        let err = parse_engines("tcp://127.0.0.1:23750", 23750)
            .unwrap_err()
            .to_string();
        assert!(err.contains("two engines or more"), "{err}");
        let err = parse_engines("tcp://127.0.0.1:23750,tcp://127.0.0.1:23750", 23750)
            .unwrap_err()
            .to_string();
        assert!(err.contains("listed twice"), "{err}");
        for (underlay, why) in [
            ("239.1.1.1", "a multicast address"),
            ("0.0.0.0", "the unspecified address"),
            ("127.0.0.1", "every host's own loopback"),
        ] {
            let err = parse_engines(
                &format!("tcp://10.0.0.5:2375@{underlay},tcp://127.0.0.1:23751"),
                23750,
            )
            .unwrap_err()
            .to_string();
            assert!(
                err.contains(&format!("underlay address {underlay} in")) && err.contains(why),
                "{err}"
            );
        }
    }

    #[test]
    fn place_is_router_equals_engine_from_one() {
        let p = parse_place("PR=2, PE2=2").unwrap();
        assert_eq!(p, [("PE2".to_string(), 1), ("PR".to_string(), 1)].into());
        assert!(parse_place("PR=0")
            .unwrap_err()
            .to_string()
            .contains("not an engine number"));
        assert!(parse_place("PR")
            .unwrap_err()
            .to_string()
            .contains("ROUTER=ENGINE"));
    }
}
