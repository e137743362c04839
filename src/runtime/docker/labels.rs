//! The labels every object of a lab carries: teardown, `status` and `attach` work from them alone.

use std::collections::HashMap;

use bollard::models::ContainerSummary;

use crate::runtime::action::LabSpec;

/// A lab on the engine: its name and its containers.
pub type LabListing = (String, Vec<LabContainer>);

/// A container of a lab, as its labels and Docker describe it.
#[derive(Debug, Clone)]
pub struct LabContainer {
    pub name: String,
    /// Docker's status (`Up 3 minutes`).
    pub status: String,
    /// The router it is ([`LABEL_ROUTER`]); none for the lab's links container.
    pub router: Option<String>,
    /// What the router runs ([`LABEL_NODE`]).
    pub node: Option<String>,
}

pub const LABEL_LAB: &str = "mplsrepl.lab";

pub const LABEL_ROUTER: &str = "mplsrepl.router";

/// What a router runs, as the node kind describes it ([`ContainerSpec::node`]).
pub const LABEL_NODE: &str = "mplsrepl.node";

/// The VNIs of a spread lab's cross-engine links, joined by commas, on every container of
/// the engine's part.
pub const LABEL_VNIS: &str = "mplsrepl.vnis";

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

/// Whether a listed container carries label `key`.
pub(super) fn has_label(c: &ContainerSummary, key: &str) -> bool {
    c.labels.as_ref().is_some_and(|l| l.contains_key(key))
}

/// A listed container's name, without the `/` Docker puts before it.
pub(super) fn name_of(c: &ContainerSummary) -> Option<String> {
    c.names
        .as_ref()?
        .first()
        .map(|n| n.trim_start_matches('/').to_string())
}
