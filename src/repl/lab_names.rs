//! The names completion offers from the lab and the session: routers, interfaces, VRFs and the
//! user's variables. A snapshot taken after every line, so the editor never borrows the session
//! while the user types.

use std::collections::BTreeMap;

use rhai::{Dynamic, Engine, Scope};

use crate::script::api::{BgpRef, IfaceRef, LdpRef, NeighborRef, OspfRef, RouterRef, VrfRef};
use crate::script::capture_fn::CaptureRef;
use crate::script::Session;

#[derive(Debug, Clone, Default)]
pub struct LabNames {
    /// Router -> its interfaces, in topology order.
    pub routers: Vec<(String, Vec<String>)>,
    /// Router -> VRFs in the desired intent.
    pub vrfs: BTreeMap<String, Vec<String>>,
    pub variables: Vec<Variable>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    /// As Rhai names it: `Router`, `Vrf`, `string`, ...
    pub type_name: String,
    /// The router a handle variable refers to (`let r = router("PE1")` -> PE1).
    pub router: Option<String>,
}

impl LabNames {
    pub fn capture(session: &Session, scope: &Scope, engine: &Engine) -> Self {
        let routers = session
            .deploy
            .lab
            .iter()
            .flat_map(|lab| &lab.routers)
            .map(|r| {
                let ifaces = r.interfaces.iter().map(|i| i.name.clone()).collect();
                (r.name.clone(), ifaces)
            })
            .collect();
        let vrfs = session
            .deploy
            .desired
            .routers
            .iter()
            .filter(|(_, r)| !r.vrfs.is_empty())
            .map(|(name, r)| (name.clone(), r.vrfs.keys().cloned().collect()))
            .collect();
        let variables = scope
            .iter()
            .map(|(name, _, value)| Variable {
                name: name.to_string(),
                type_name: short_type_name(engine, &value),
                router: router_of(&value),
            })
            .collect();
        LabNames {
            routers,
            vrfs,
            variables,
        }
    }

    pub fn router_names(&self) -> impl Iterator<Item = &str> {
        self.routers.iter().map(|(n, _)| n.as_str())
    }

    /// Interfaces of `router`, or of every router (deduplicated) when it is unknown.
    pub fn interfaces(&self, router: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = self
            .routers
            .iter()
            .filter(|(n, _)| router.is_none_or(|r| r == n))
            .flat_map(|(_, ifaces)| ifaces.iter().cloned())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// VRFs of `router` first, then those of the other routers (the same VRF usually exists
    /// on several PEs).
    pub fn vrf_names(&self, router: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = router
            .and_then(|r| self.vrfs.get(r))
            .cloned()
            .unwrap_or_default();
        for names in self.vrfs.values() {
            for n in names {
                if !out.contains(n) {
                    out.push(n.clone());
                }
            }
        }
        out
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }
}

fn short_type_name(engine: &Engine, value: &Dynamic) -> String {
    let mapped = engine.map_type_name(value.type_name());
    mapped.rsplit("::").next().unwrap_or(mapped).to_string()
}

/// The router an API handle refers to.
pub fn router_of(value: &Dynamic) -> Option<String> {
    if let Some(r) = value.read_lock::<RouterRef>() {
        return Some(r.name.clone());
    }
    if let Some(v) = value.read_lock::<VrfRef>() {
        return Some(v.router.clone());
    }
    if let Some(i) = value.read_lock::<IfaceRef>() {
        return Some(i.router.clone());
    }
    if let Some(o) = value.read_lock::<OspfRef>() {
        return Some(o.router.clone());
    }
    if let Some(l) = value.read_lock::<LdpRef>() {
        return Some(l.router.clone());
    }
    if let Some(b) = value.read_lock::<BgpRef>() {
        return Some(b.router.clone());
    }
    if let Some(n) = value.read_lock::<NeighborRef>() {
        return Some(n.router.clone());
    }
    value.read_lock::<CaptureRef>().map(|c| c.router.clone())
}

/// Values that only echo the builder chain that made them: not worth printing after a line.
pub fn is_handle(value: &Dynamic) -> bool {
    value.is::<RouterRef>()
        || value.is::<VrfRef>()
        || value.is::<IfaceRef>()
        || value.is::<OspfRef>()
        || value.is::<LdpRef>()
        || value.is::<BgpRef>()
        || value.is::<NeighborRef>()
        || value.is::<crate::script::api::LinkRef>()
}
