//! What a router's state is made of when a check fails: the `show` commands and kernel tables
//! to read before anything is removed, so that a failure can be explained after the lab is gone
//! (`run --evidence DIR`).

/// FRR's view, in the order a reader follows a label: configuration, neighbors of each
/// protocol, routes, labels. A daemon that is not running answers with an error line, which is
/// evidence too.
const SHOW: &[&str] = &[
    "show running-config",
    "show interface brief",
    "show ip ospf neighbor",
    "show isis neighbor",
    "show mpls ldp neighbor",
    "show bgp summary",
    "show bgp ipv4 vpn",
    "show bfd peers brief",
    "show ip route",
    "show ipv6 route",
    "show ip route vrf all",
    "show mpls table",
    "show mpls ldp binding",
    "show ip ospf database segment-routing",
    "show isis segment-routing node",
    "show debugging label-table",
];

/// The kernel's view: the FIB and LFIB the packets actually follow.
const KERNEL: &[&str] = &[
    "ip -br addr",
    "ip route show table all",
    "ip -6 route show table all",
    "ip -M route",
    "ip neigh",
    "sysctl net.mpls.platform_labels",
];

/// One shell script that prints every section under a `### COMMAND` header, whatever fails.
pub fn script() -> String {
    let mut s = String::new();
    for show in SHOW {
        s.push_str(&format!(
            "echo '### vtysh -c \"{show}\"'; vtysh -c '{show}' 2>&1\n"
        ));
    }
    for cmd in KERNEL {
        s.push_str(&format!("echo '### {cmd}'; {cmd} 2>&1\n"));
    }
    s.push_str("exit 0\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_valid_shell_with_a_header_per_section() {
        let script = script();
        let check = std::process::Command::new("sh")
            .args(["-n", "-c", &script])
            .output()
            .unwrap();
        assert!(check.status.success(), "{script}");
        assert_eq!(
            script.matches("echo '### ").count(),
            SHOW.len() + KERNEL.len()
        );
        assert!(
            script.contains("echo '### vtysh -c \"show mpls table\"'; vtysh -c 'show mpls table'")
        );
        assert!(script.contains("echo '### ip -M route'; ip -M route 2>&1"));
    }
}
