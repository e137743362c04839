//! The pseudowire agent (src/frr/pseudowire_agent.sh) offline: stand-in `vtysh`, `ip`, `tc` and
//! `ping` answer as FRR and the kernel of a PE would, `tc` records the batch it is given, and
//! each test runs the agent one round at a time. It needs `sh` and `jq` (the lab images have
//! both). FRR answers a round's three questions in one vtysh call; a partial answer changes
//! nothing.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::root;

struct Pe {
    dir: PathBuf,
}

const VC_UP: &str = r#"{"mpw0":{"peerId":"2.2.2.2","vcId":100,"vpnName":"CUSTA","status":"up"}}"#;
const BINDING: &str =
    r#"{"2.2.2.2: 100":{"destination":"2.2.2.2","vcId":100,"localLabel":16,"remoteLabel":17}}"#;
const VIA_P1: &str = r#"{"2.2.2.2/32":[{"protocol":"ospf","selected":true,"nexthops":[{"ip":"10.1.1.254","interfaceName":"eth0","labels":[18],"fib":true}]}]}"#;
/// The neighbor table: P1's address is known, P2's is not until asked.
const NEIGHBORS: &str = r#"[{"dst":"10.1.1.254","dev":"eth0","lladdr":"aa:00:00:00:00:01","state":["REACHABLE"]},{"dst":"10.2.1.254","dev":"eth1","state":["FAILED"]}]"#;
const LINKS: &str = r#"[{"ifindex":1,"ifname":"lo","address":"00:00:00:00:00:00"},{"ifindex":2,"ifname":"eth0","address":"02:00:00:00:00:01"},{"ifindex":3,"ifname":"eth1","address":"02:00:00:00:00:02"},{"ifindex":9,"ifname":"mpw0x","address":"02:00:00:00:00:09"}]"#;
const VIA_P2_POPPING: &str = r#"{"2.2.2.2/32":[{"protocol":"ospf","selected":true,"nexthops":[{"ip":"10.2.1.254","interfaceName":"eth1","labels":[3],"fib":true}]}]}"#;

impl Pe {
    fn new(name: &str) -> Pe {
        let dir =
            std::env::temp_dir().join(format!("mplsrepl-pw-agent-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for d in ["bin", "state"] {
            fs::create_dir_all(dir.join(d)).unwrap();
        }
        for (iface, input) in [("lo", "1"), ("eth0", "1"), ("eth1", "1"), ("eth2", "0")] {
            let conf = dir.join(format!("proc/sys/net/mpls/conf/{iface}"));
            fs::create_dir_all(&conf).unwrap();
            // No newline: dash's `read` then says 1 with the value read, as it does on /proc.
            fs::write(conf.join("input"), input).unwrap();
        }
        fs::write(dir.join("neigh.json"), NEIGHBORS).unwrap();
        let d = dir.display();
        let tools = [
            (
                "vtysh",
                format!(
                    "while [ $# -gt 1 ]; do\n\
                     case \"$2\" in\n\
                     'show l2vpn atom vc json') cat {d}/vc.json ;;\n\
                     'show l2vpn atom binding json') cat {d}/binding.json ;;\n\
                     'show ip route json') cat {d}/route.json ;;\n\
                     *) echo \"vtysh $2\" >> {d}/unexpected ;;\n\
                     esac\n\
                     shift 2\n\
                     done\n"
                ),
            ),
            (
                "ip",
                format!(
                    "case \"$*\" in\n\
                     '-j neigh show') cat {d}/neigh.json ;;\n\
                     '-j link show') echo '{LINKS}' ;;\n\
                     '-j neigh show 10.2.1.254 dev eth1') echo '[{{\"dst\":\"10.2.1.254\",\"lladdr\":\"aa:00:00:00:00:02\"}}]'; echo resolved >> {d}/resolved ;;\n\
                     *) echo \"ip $*\" >> {d}/unexpected; exit 1 ;;\n\
                     esac\n"
                ),
            ),
            (
                "tc",
                format!(
                    "if [ \"$1 $2\" = '-force -batch' ]; then cat \"$3\" >> {d}/tc.log; \
                     else echo \"tc $*\" >> {d}/unexpected; fi\n"
                ),
            ),
            ("ping", "exit 0\n".to_string()),
        ];
        for (name, body) in tools {
            let path = dir.join("bin").join(name);
            fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
            make_executable(&path);
        }
        Pe { dir }
    }

    /// FRR's answers for the next round.
    fn frr(&self, vc: &str, binding: &str, route: &str) {
        fs::write(self.dir.join("vc.json"), vc).unwrap();
        fs::write(self.dir.join("binding.json"), binding).unwrap();
        fs::write(self.dir.join("route.json"), route).unwrap();
    }

    /// One round of the agent; the tc commands it gave.
    fn round(&self) -> Vec<String> {
        let _ = fs::remove_file(self.dir.join("tc.log"));
        assert!(
            Command::new("jq").arg("--version").output().is_ok(),
            "the pseudowire agent's test needs jq on this machine (.ci/run installs it)"
        );
        let path = format!(
            "{}:{}",
            self.dir.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("sh")
            .arg(root().join("src/frr/pseudowire_agent.sh"))
            .env("PATH", path)
            .env("PW_AGENT_ONCE", "1")
            .env("PW_AGENT_STATE", self.dir.join("state"))
            .env("PW_AGENT_PROC", self.dir.join("proc"))
            .output()
            .expect("run sh");
        assert!(
            out.status.success(),
            "the agent failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !self.dir.join("unexpected").exists(),
            "the agent ran something the stand-ins do not know: {}",
            fs::read_to_string(self.dir.join("unexpected")).unwrap_or_default()
        );
        fs::read_to_string(self.dir.join("tc.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Pe {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn has(commands: &[String], wanted: &str) -> bool {
    commands.iter().any(|c| c == wanted)
}

const ENCAP_VIA_P1: &str =
    "filter replace dev mpw0x ingress pref 100 handle 1 protocol all flower \
     action mpls mac_push label 17 action mpls push label 18 \
     action vlan push_eth dst_mac aa:00:00:00:00:01 src_mac 02:00:00:00:00:01 \
     action mirred egress redirect dev eth0";

fn decap(core: &str) -> String {
    format!(
        "filter replace dev {core} ingress pref 100 handle 1 protocol mpls_uc flower mpls_label 16 \
         action vlan pop_eth action mpls pop protocol teb \
         action mirred egress redirect dev mpw0x"
    )
}

#[test]
fn a_pseudowire_up_gets_its_encapsulation_and_a_decapsulation_on_each_core_interface() {
    let pe = Pe::new("up");
    pe.frr(VC_UP, BINDING, VIA_P1);
    let tc = pe.round();
    assert!(has(&tc, "qdisc replace dev mpw0x clsact"), "{tc:#?}");
    assert!(has(&tc, ENCAP_VIA_P1), "{tc:#?}");
    for core in ["eth0", "eth1"] {
        assert!(has(&tc, &decap(core)), "{tc:#?}");
    }
    // eth2 takes no MPLS (an attachment circuit), lo is no way in.
    assert!(
        !tc.iter()
            .any(|c| c.contains("dev eth2") || c.contains("dev lo")),
        "{tc:#?}"
    );
    // Nothing changed, nothing done: not even a tc process.
    assert_eq!(pe.round(), Vec::<String>::new());
}

#[test]
fn a_new_way_to_the_peer_replaces_the_encapsulation_in_place_and_a_popping_next_hop_gets_no_transport_label(
) {
    let pe = Pe::new("moved");
    pe.frr(VC_UP, BINDING, VIA_P1);
    pe.round();
    // P2's MAC address is not in the neighbor table: the agent asks for it.
    pe.frr(VC_UP, BINDING, VIA_P2_POPPING);
    let tc = pe.round();
    assert!(
        has(
            &tc,
            "filter replace dev mpw0x ingress pref 100 handle 1 protocol all flower \
             action mpls mac_push label 17 \
             action vlan push_eth dst_mac aa:00:00:00:00:02 src_mac 02:00:00:00:00:02 \
             action mirred egress redirect dev eth1"
        ),
        "{tc:#?}"
    );
    assert!(pe.dir.join("resolved").exists());
    // Replaced, never deleted first: no moment without a filter.
    assert!(!tc.iter().any(|c| c.starts_with("filter del")), "{tc:#?}");
}

#[test]
fn an_interface_that_leaves_the_core_loses_its_decapsulation() {
    let pe = Pe::new("left");
    pe.frr(VC_UP, BINDING, VIA_P1);
    pe.round();
    fs::write(pe.dir.join("proc/sys/net/mpls/conf/eth1/input"), "0").unwrap();
    let tc = pe.round();
    assert!(has(&tc, "filter del dev eth1 ingress pref 100"), "{tc:#?}");
    assert!(has(&tc, &decap("eth0")), "{tc:#?}");
}

#[test]
fn frr_not_read_whole_changes_nothing() {
    let pe = Pe::new("partial");
    pe.frr(VC_UP, BINDING, VIA_P1);
    pe.round();
    // zebra did not answer: two documents instead of three.
    pe.frr(VC_UP, BINDING, "");
    assert_eq!(pe.round(), Vec::<String>::new());
}

#[test]
fn a_pseudowire_down_or_gone_loses_its_filters_and_an_unassigned_label_programs_nothing() {
    let pe = Pe::new("gone");
    pe.frr(VC_UP, BINDING, VIA_P1);
    pe.round();
    pe.frr("{}", "{}", VIA_P1);
    let tc = pe.round();
    for dev in ["mpw0x", "eth0", "eth1"] {
        assert!(
            has(&tc, &format!("filter del dev {dev} ingress pref 100")),
            "{tc:#?}"
        );
    }
    let unassigned = r#"{"2.2.2.2: 100":{"vcId":100,"localLabel":16,"remoteLabel":"unassigned"}}"#;
    pe.frr(VC_UP, unassigned, VIA_P1);
    assert_eq!(pe.round(), Vec::<String>::new());
}
