//! The engine's MPLS/VRF probe: can this engine's kernel run an MPLS lab, and the fix if not.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;

use super::labels::*;

pub(super) const MPLS_PROBE: &str = "test -e /proc/sys/net/mpls/platform_labels && echo MPLS; \
                          ip link add mplsrepl-probe type vrf table 4242 2>/dev/null && echo VRF; true";

/// What the output of [`MPLS_PROBE`] says is missing, each with its fix.
pub(super) fn mpls_verdict(probe_output: &str) -> Vec<String> {
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

pub(super) fn image_missing(image: &str, host: &str) -> String {
    if image == crate::vm::IMAGE {
        format!("image {image} is not on the engine at {host}: `mplsrepl vm up` builds and imports it into the lab VM")
    } else {
        format!("image {image} is not on the engine at {host}: pull or load it there first (e.g. `docker pull {image}`)")
    }
}

/// A throwaway privileged container without network, running [`MPLS_PROBE`]; its output.
/// Labelled with the lab it is for, if any, so that `down` removes a probe an interrupted run
/// left behind.
pub(super) async fn run_probe(
    docker: Docker,
    image: String,
    lab: Option<String>,
) -> anyhow::Result<String> {
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

/// Whether the probe, if it ran, found the engine unfit for the lab (or could not tell).
pub(super) fn engine_lacking(probed: &Option<anyhow::Result<String>>) -> bool {
    match probed {
        Some(Ok(out)) => !mpls_verdict(out).is_empty(),
        Some(Err(_)) => true,
        None => false,
    }
}
