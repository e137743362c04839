//! containerlab topology files (`*.clab.yml`): export a lab to one, import one as a `.topo`.
//!
//! The mapping, both ways:
//! - each router is a node of kind `linux` with `network-mode: none` (so that `eth0` is free
//!   for the lab, as in our topologies, instead of being containerlab's management interface),
//!   its image, `labels: {role: ...}` and one `exec: ip addr add ...` per address;
//! - each link is a link with `endpoints: ["PE1:eth0", "PR:eth0"]` and `labels: {segment:
//!   net1}`, since containerlab links have no names of their own;
//! - each multi-access network is a node of kind `bridge` named after the network, which every
//!   member is linked to. containerlab does not create that bridge: it must exist on the host
//!   before `containerlab deploy` (the exported file says how).
//!
//! FRR's configuration is not part of the file: `mplsrepl save` writes it per router.

pub mod export;
pub mod import;

use crate::topology::Role;

/// The role from `labels: {role: pe}`, else guessed from the name (`PE1` -> pe, `ce-a` -> ce,
/// `P2` -> p); `None` when neither says.
pub fn guess_role(label: Option<&str>, name: &str) -> Option<Role> {
    if let Some(role) = label.and_then(|l| Role::parse(&l.to_ascii_lowercase())) {
        return Some(role);
    }
    let lower = name.to_ascii_lowercase();
    let starts = |prefix: &str| {
        lower.strip_prefix(prefix).is_some_and(|rest| {
            rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_alphabetic())
        })
    };
    [
        ("pe", Role::Pe),
        ("ce", Role::Ce),
        ("rr", Role::Rr),
        ("p", Role::P),
    ]
    .into_iter()
    .find(|(prefix, _)| starts(prefix))
    .map(|(_, role)| role)
}

/// A YAML scalar: plain when it cannot be read as anything but a string, quoted otherwise
/// (`yes`, `1.0`, `null` and anything with spaces or punctuation would not survive plain).
pub fn yaml_str(text: &str) -> String {
    let plain = !text.is_empty()
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        text.to_string()
    } else {
        serde_json::to_string(text).expect("a string serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_from_labels_then_names() {
        assert_eq!(guess_role(Some("RR"), "x"), Some(Role::Rr));
        assert_eq!(guess_role(None, "PE1"), Some(Role::Pe));
        assert_eq!(guess_role(None, "ce-a"), Some(Role::Ce));
        assert_eq!(guess_role(None, "P2"), Some(Role::P));
        assert_eq!(guess_role(None, "PR"), None);
        assert_eq!(guess_role(None, "peer"), None);
        assert_eq!(guess_role(None, "srl1"), None);
    }

    #[test]
    fn scalars_are_quoted_when_yaml_would_misread_them() {
        assert_eq!(yaml_str("PE1"), "PE1");
        assert_eq!(yaml_str("labfrr:latest"), "\"labfrr:latest\"");
        assert_eq!(yaml_str("no"), "\"no\"");
        assert_eq!(yaml_str("1.0"), "\"1.0\"");
        assert_eq!(
            yaml_str("ip addr add 1.1.1.1/32 dev lo"),
            "\"ip addr add 1.1.1.1/32 dev lo\""
        );
    }
}
