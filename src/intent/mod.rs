//! Intent: the desired state of every router, typed, and the kernel commands it implies.
//!
//! The intent is the single source of truth. Scripts and REPL lines edit it; applying it means
//! diffing it against what is deployed (`frr::diff`, FRR's configuration tree of each side) and
//! sending the result to a backend. Rendering a router from scratch is the diff against an empty
//! router, so `frr.conf`, plan transcripts, what-if and undo all share one code path.

pub mod bfd;
pub mod impairment;
pub mod kernel;
pub mod l2vpn;
pub mod router;
pub mod segment_routing;

use std::collections::BTreeMap;

pub use router::*;

/// Desired state of the whole lab, keyed by router name.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Intent {
    pub routers: BTreeMap<String, RouterIntent>,
}

impl Intent {
    pub fn router_mut(&mut self, name: &str) -> &mut RouterIntent {
        self.routers
            .entry(name.to_string())
            .or_insert_with(|| RouterIntent::new(name))
    }
}
