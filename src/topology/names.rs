//! What a lab, router, segment or VRF may be called: Docker's rules for the container and
//! network names built from them, a hostname's length, and a VRF being a Linux device that FRR
//! must not mistake for its `default` table or an interface.

use super::SegmentKind;

/// A router name is also the container's hostname, one DNS label.
const MAX_ROUTER_NAME: usize = 63;

#[derive(Clone, Copy)]
pub(crate) enum NameKind {
    Lab,
    Router,
    Segment(SegmentKind),
}

impl NameKind {
    pub(crate) fn noun(self) -> &'static str {
        match self {
            NameKind::Lab => "lab",
            NameKind::Router => "router",
            NameKind::Segment(kind) => kind_noun(kind),
        }
    }
}

pub(crate) fn kind_noun(kind: SegmentKind) -> &'static str {
    match kind {
        SegmentKind::Link => "link",
        SegmentKind::Network => "network",
    }
}

/// Why a lab name given elsewhere than in a `lab` line (`--lab-name`) cannot be used, with a
/// hint: the same rule as the `lab` line's.
pub fn lab_name_problem(name: &str) -> Option<(String, String)> {
    name_problem(NameKind::Lab, name)
}

/// Why `name` cannot be used for `kind`, with a hint, if it cannot.
///
/// Docker names containers `<lab>-<router>` and networks `<lab>-<segment>` and accepts only
/// `[a-zA-Z0-9][a-zA-Z0-9_.-]*`; the lab name supplies the first character, and a router name
/// is also a hostname, so both of those must start with a letter or digit too.
pub(crate) fn name_problem(kind: NameKind, name: &str) -> Option<(String, String)> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let docker_help = match kind {
        NameKind::Lab => "the lab name starts every container and network name, which Docker restricts to letters, digits, `_`, `.` and `-`",
        NameKind::Router => "the container is named `<lab>-<router>`, which Docker restricts to letters, digits, `_`, `.` and `-`",
        NameKind::Segment(_) => "the Docker network is named `<lab>-<segment>`, which Docker restricts to letters, digits, `_`, `.` and `-`",
    };
    if let Some(c) = name.chars().find(|c| !allowed(*c)) {
        return Some((format!("`{c}` is not allowed"), docker_help.to_string()));
    }
    let must_start_alnum = matches!(kind, NameKind::Lab | NameKind::Router);
    if must_start_alnum && !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        let help = match kind {
            NameKind::Lab => "Docker names must start with a letter or digit",
            _ => "a router name is also its hostname, which must start with a letter or digit",
        };
        return Some((
            "it must start with a letter or digit".to_string(),
            help.to_string(),
        ));
    }
    if matches!(kind, NameKind::Router) && name.len() > MAX_ROUTER_NAME {
        return Some((
            format!("it is {} characters long", name.len()),
            format!("a router name is also its hostname, limited to {MAX_ROUTER_NAME} characters"),
        ));
    }
    None
}

/// Why a VRF cannot have this name, with a hint: a Linux device name that is not FRR's
/// `default` VRF nor one of the router's interfaces (`interfaces` includes `lo`).
pub fn vrf_name_problem(name: &str, interfaces: &[&str]) -> Option<(String, String)> {
    // Linux refuses `.`, `..`, `/` and whitespace in a device name (dev_valid_name), and
    // renames one with `%` (a name template) or `:` (an alias): FRR would not find it.
    if name.is_empty()
        || name.len() > 15
        || name == "."
        || name == ".."
        || name.contains(|c: char| c.is_whitespace() || matches!(c, '/' | ':' | '%'))
    {
        return Some((
            format!("invalid VRF name `{name}`"),
            "a VRF is a Linux device: 1-15 characters, not `.` or `..`, no spaces, `/`, `:` or `%`"
                .to_string(),
        ));
    }
    if name == "default" {
        return Some((
            "`default` is FRR's name for the table outside every VRF".to_string(),
            "name the VRF after its customer, e.g. CUSTA".to_string(),
        ));
    }
    if interfaces.contains(&name) {
        return Some((
            format!("VRF name `{name}` is already an interface of the router"),
            "a VRF is a device too: give it a name no interface has, e.g. CUSTA".to_string(),
        ));
    }
    None
}

/// The longest L2VPN name ldpd keeps (`L2VPN_NAME_LEN` in ldpd/ldpd.h, 32 with its NUL).
pub const MAX_L2VPN_NAME: usize = 31;

/// Why an L2VPN cannot have this name, with a hint: ldpd's `l2vpn NAME` keeps 31 characters,
/// and the name stays one word in every command that carries it.
pub fn l2vpn_name_problem(name: &str) -> Option<(String, String)> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if name.is_empty() || name.len() > MAX_L2VPN_NAME || !name.chars().all(allowed) {
        return Some((
            format!("invalid L2VPN name `{name}`"),
            format!(
                "an L2VPN name is 1-{MAX_L2VPN_NAME} letters, digits, `_`, `.` or `-` (FRR's ldpd keeps no more)"
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_docker_rules() {
        assert!(name_problem(NameKind::Router, "PE1").is_none());
        assert!(name_problem(NameKind::Router, "P").is_none());
        assert!(name_problem(NameKind::Segment(SegmentKind::Link), "_net").is_none());
        assert!(name_problem(NameKind::Router, "_pe").is_some());
        assert!(name_problem(NameKind::Lab, "-lab").is_some());
        assert!(name_problem(NameKind::Router, "P/1").is_some());
        assert!(name_problem(NameKind::Router, "é").is_some());
        assert!(name_problem(NameKind::Router, &"a".repeat(64)).is_some());
    }
}
