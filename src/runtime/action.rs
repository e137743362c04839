//! What a backend is asked to do. Built from the lab model and intent diffs; printed as the plan.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::Serialize;

use crate::intent::diff::RouterChange;
use crate::intent::Daemon;
use crate::topology::{Lab, Role};

/// Everything needed to create a lab's networks and containers, in one batch so a backend can
/// create them concurrently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabSpec {
    pub lab: String,
    pub networks: Vec<NetworkSpec>,
    pub containers: Vec<ContainerSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkSpec {
    /// Runtime name, `<lab>-<segment>`.
    pub name: String,
    pub segment: String,
    /// The lab's subnet on this segment. Docker never sees it: the backend gives the network a
    /// throwaway subnet of its own and removes those addresses from the containers.
    pub subnet: Ipv4Net,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerSpec {
    /// Runtime name, `<lab>-<router>`.
    pub name: String,
    pub router: String,
    pub role: Role,
    pub image: String,
    /// In the order the names are wanted (eth0 first); the backend makes the kernel agree.
    pub interfaces: Vec<InterfaceSpec>,
    pub daemons: BTreeSet<Daemon>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceSpec {
    pub name: String,
    /// Runtime network name.
    pub network: String,
    /// The lab address (configured by zebra, not by Docker).
    pub address: Ipv4Addr,
}

/// Daemons a role runs by default, as in the article; a script can ask for more.
pub fn role_daemons(role: Role) -> BTreeSet<Daemon> {
    match role {
        Role::P => [Daemon::Ospfd, Daemon::Ldpd].into(),
        Role::Pe => [Daemon::Bgpd, Daemon::Ospfd, Daemon::Ldpd].into(),
        Role::Rr => [Daemon::Bgpd, Daemon::Ospfd].into(),
        Role::Ce => BTreeSet::new(),
    }
}

pub fn container_name(lab: &str, router: &str) -> String {
    format!("{lab}-{router}")
}

impl LabSpec {
    /// Runtime objects for a lab. `extra_daemons(router)` adds what the script will need beyond
    /// the role's defaults, so FRR never has to be restarted mid-run.
    pub fn from_lab(
        lab: &Lab,
        default_image: &str,
        extra_daemons: impl Fn(&str) -> BTreeSet<Daemon>,
    ) -> LabSpec {
        let network_name = |segment: &str| format!("{}-{segment}", lab.name);
        let networks = lab
            .segments
            .iter()
            .map(|s| NetworkSpec {
                name: network_name(&s.name),
                segment: s.name.clone(),
                subnet: s.subnet,
            })
            .collect();
        let containers = lab
            .routers
            .iter()
            .map(|r| {
                let mut daemons = role_daemons(r.role);
                daemons.extend(extra_daemons(&r.name));
                ContainerSpec {
                    name: container_name(&lab.name, &r.name),
                    router: r.name.clone(),
                    role: r.role,
                    image: r.image.clone().unwrap_or_else(|| default_image.to_string()),
                    interfaces: r
                        .interfaces
                        .iter()
                        .map(|i| InterfaceSpec {
                            name: i.name.clone(),
                            network: network_name(&i.segment),
                            address: i.address.addr(),
                        })
                        .collect(),
                    daemons,
                }
            })
            .collect();
        LabSpec {
            lab: lab.name.clone(),
            networks,
            containers,
        }
    }
}

/// One router's configuration change, as sent to a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configure {
    pub router: String,
    pub change: RouterChange,
}
