//! Docker networks for `--links docker` (one per segment, as the article does): subnets from
//! a pool the lab never addresses, the lab's own addresses on each endpoint.

use std::collections::HashMap;

use anyhow::{bail, Context};
use bollard::models::{EndpointSettings, Ipam, IpamConfig, NetworkCreateRequest};
use bollard::Docker;
use ipnet::Ipv4Net;

use super::calls::bounded;
use super::labels::*;
use crate::runtime::action::NetworkSpec;

/// Where the throwaway subnets of lab networks come from: shared address space (RFC 6598),
/// which no lab is expected to route, cut in /29s (two ends and Docker's gateway, with room).
pub(super) const DOCKER_POOL: &str = "100.64.0.0/10";

pub(super) const DOCKER_SUBNET_LEN: u8 = 29;

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
pub(super) async fn taken_subnets(docker: &Docker) -> anyhow::Result<Vec<Ipv4Net>> {
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
pub(super) async fn create_networks(
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

pub(super) async fn create_network(
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
        .with_context(|| format!("creating network {} (for {})", n.name, n.subnets))?;
    Ok(())
}

/// An endpoint with whatever address Docker picks from the throwaway subnet: it is removed
/// from the container before FRR starts.
pub(super) fn endpoint() -> EndpointSettings {
    EndpointSettings::default()
}
