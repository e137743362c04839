//! How FRR starts in a router: the files it reads, then its daemons one by one, and the check
//! that the router runs the FRR it was planned for.
//!
//! The daemons are started directly, with the options FRR's own start scripts would give them
//! (Debian's frrinit.sh and the official images' docker-start both read `/etc/frr/daemons`,
//! which is written too), but without watchfrr: on a loaded engine watchfrr takes a daemon slow
//! to open its vty for a dead one and starts it a second time, and vtysh then cannot reach it.
//! The same binaries are under `/usr/lib/frr` on Debian's packages and the official images.

use std::collections::BTreeSet;
use std::time::Duration;

use super::daemons::{self, Daemon};
use super::FrrVersion;

/// How long the start script waits for each daemon that others connect to (mgmtd, zebra),
/// then for every daemon's vty. Twice this must stay under the kept shell's command timeout,
/// so that the script's own message (with FRR's start log) is what a user sees.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The pseudowire data plane FRR lacks on Linux, run in a PE once it has a pseudowire.
pub const PSEUDOWIRE_AGENT: &str = include_str!("pseudowire_agent.sh");

/// Where FRR's daemons keep their sockets and pid files.
pub const RUN_DIR: &str = "/var/run/frr";

/// What one router's FRR start needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node<'a> {
    pub router: &'a str,
    pub version: FrrVersion,
    /// Daemons beyond the ones every router runs.
    pub daemons: &'a BTreeSet<Daemon>,
}

/// `/etc/frr/vtysh.conf`: one integrated configuration, and no warning about its absence.
pub const VTYSH_CONF: &str = "service integrated-vtysh-config\n";

/// The first lines of every `frr.conf` mplsrepl writes or saves. zebra applies `no ipv6
/// forwarding` to the kernel when it reads the file, so a router that routes IPv6 must not
/// have it: its saved configuration, loaded again, would stop forwarding IPv6.
pub fn frr_conf_header(router: &str, ipv6_forwarding: bool) -> String {
    let ipv6 = if ipv6_forwarding {
        ""
    } else {
        "no ipv6 forwarding\n"
    };
    format!("frr defaults traditional\nhostname {router}\n{ipv6}!\n")
}

/// The start script, run once the router's interfaces exist (zebra picks later ones up too):
/// FRR's files, the version check, each daemon started in [`daemons::start_order`] and
/// waited for where the next ones connect to it, then every daemon's vty.
pub fn script(node: &Node) -> String {
    let order = daemons::start_order(node.version, node.daemons);
    let mut s = String::from("set -e\n");
    s.push_str(&format!(
        "cat > {} <<'EOF'\n{}EOF\n",
        daemons::DAEMONS_FILE,
        daemons::daemons_file(node.version, node.daemons)
    ));
    s.push_str(&format!(
        "printf '{}' > /etc/frr/vtysh.conf\n",
        VTYSH_CONF.replace('\n', "\\n")
    ));
    s.push_str(&format!(
        "printf '{}' > /etc/frr/frr.conf\n",
        // Until the intent turns IPv6 forwarding on (a sysctl, which zebra follows).
        frr_conf_header(node.router, false).replace('\n', "\\n")
    ));
    s.push_str(&format!(
        "mkdir -p /var/log/frr {RUN_DIR}; chown -R frr:frr /etc/frr /var/log/frr {RUN_DIR} 2>/dev/null || true\n"
    ));
    s.push_str(&version_check(node.version));
    // Pseudowires need ldpd: their data plane's agent is ready where it runs.
    if node.daemons.contains(&Daemon::Ldpd) {
        s.push_str(&format!(
            "mkdir -p $(dirname {agent}); cat > {agent} <<'MPLSREPL_PW_EOF'\n{}MPLSREPL_PW_EOF\nchmod 755 {agent}\n",
            PSEUDOWIRE_AGENT,
            agent = crate::intent::l2vpn::AGENT
        ));
    }
    for d in &order {
        s.push_str(&format!(
            "/usr/lib/frr/{d} -d -F traditional {} >>/var/log/frr/start.log 2>&1 || \
             {{ echo '{d} did not start:' >&2; tail -n 5 /var/log/frr/start.log >&2; exit 1; }}\n",
            daemons::options(d)
        ));
        if let Some(socket) = listens_on(d) {
            s.push_str(&format!(
                "for i in $(seq 1 {}); do [ -S {RUN_DIR}/{socket} ] && break; sleep 0.2; done\n",
                START_TIMEOUT.as_secs() * 5
            ));
        }
    }
    s.push_str(&format!(
        "for i in $(seq 1 {}); do up=1; for d in {}; do [ -S {RUN_DIR}/$d.vty ] || up=0; done; \
         [ $up = 1 ] && break; sleep 0.5; done\n\
         [ $up = 1 ] || {{ echo 'FRR did not start; start log:' >&2; tail -n 20 /var/log/frr/start.log >&2; exit 1; }}\n",
        START_TIMEOUT.as_secs() * 2,
        order.join(" ")
    ));
    s
}

/// The socket a daemon serves the ones started after it on, if they need it at once.
fn listens_on(daemon: &str) -> Option<&'static str> {
    match daemon {
        "mgmtd" => Some("mgmtd_be.sock"),
        "zebra" => Some("zserv.api"),
        _ => None,
    }
}

/// The router must run the FRR line it was planned for: rendering and the start sequence
/// depend on it. zebra says its version as `zebra version 10.3`.
fn version_check(planned: FrrVersion) -> String {
    format!(
        "v=$(/usr/lib/frr/zebra --version 2>/dev/null | sed -n 's/^zebra version \\([0-9][0-9]*\\).*/\\1/p' | head -n 1)\n\
         [ -n \"$v\" ] || {{ echo 'no FRR in this image: /usr/lib/frr/zebra --version says nothing' >&2; exit 1; }}\n\
         [ \"$v\" = {major} ] || {{ echo \"this image runs FRR $v, but the lab was planned for FRR {major}: give --frr $v (or an image of FRR {major})\" >&2; exit 1; }}\n",
        major = planned.major
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(version: FrrVersion, daemons: &BTreeSet<Daemon>) -> String {
        script(&Node {
            router: "PE1",
            version,
            daemons,
        })
    }

    #[test]
    fn frr_10_starts_mgmtd_before_zebra_and_waits_for_it() {
        let s = node(FrrVersion::new(10, 3), &[Daemon::Bgpd].into());
        let mgmtd = s.find("/usr/lib/frr/mgmtd -d").unwrap();
        let wait = s.find("mgmtd_be.sock").unwrap();
        let zebra = s.find("/usr/lib/frr/zebra -d").unwrap();
        assert!(mgmtd < wait && wait < zebra, "{s}");
        assert!(s.contains("for d in mgmtd zebra staticd bgpd; do"));
        assert!(!s.contains("watchfrr"));
    }

    #[test]
    fn frr_8_has_no_mgmtd() {
        let s = node(FrrVersion::new(8, 4), &BTreeSet::new());
        assert!(!s.contains("mgmtd"), "{s}");
        assert!(s.contains("for d in zebra staticd; do"));
    }

    #[test]
    fn the_start_script_is_valid_shell_and_refuses_another_frr_line() {
        let dir = std::env::temp_dir().join(format!("mplsrepl-frr-start-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let s = node(FrrVersion::new(10, 3), &BTreeSet::new());
        let check = std::process::Command::new("sh")
            .arg("-n")
            .arg("-c")
            .arg(&s)
            .status()
            .unwrap();
        assert!(check.success());
        // Only the version check, against a zebra that says it is 8.4.4.
        let zebra = dir.join("zebra");
        std::fs::write(&zebra, "#!/bin/sh\necho 'zebra version 8.4.4'\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&zebra, std::fs::Permissions::from_mode(0o755)).unwrap();
        let checked = |planned: FrrVersion| {
            let check =
                version_check(planned).replace("/usr/lib/frr/zebra", &zebra.to_string_lossy());
            std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("{check}echo fine"))
                .output()
                .unwrap()
        };
        let out = checked(FrrVersion::new(10, 0));
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("runs FRR 8, but the lab was planned for FRR 10"),
            "{err}"
        );
        let out = checked(FrrVersion::new(8, 4));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "fine\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
