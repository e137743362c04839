//! End to end against a real dockerd with real FRR: the lab VM (built and booted on demand).
//!
//! Runs when `CI=true` or `MPLSREPL_E2E=1` (the README's test command sets it); otherwise each
//! test says loudly that it skipped. In CI a VM that cannot be built or booted fails the run.
//! The tests share one VM and run one at a time.

mod common;

use std::collections::HashMap;
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use bollard::models::{ContainerCreateBody, NetworkCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, ListNetworksOptionsBuilder,
    RemoveContainerOptionsBuilder,
};
use bollard::Docker;
use common::root;

fn enabled(test: &str) -> bool {
    let on = std::env::var("CI").as_deref() == Ok("true")
        || std::env::var("MPLSREPL_E2E").as_deref() == Ok("1");
    if !on {
        eprintln!("\n*** SKIPPED {test}: end-to-end tests need MPLSREPL_E2E=1 (or CI=true); they boot the lab VM ***\n");
    }
    on
}

/// One VM for the whole file, and one test on it at a time.
fn lab_vm() -> (Timed<MutexGuard<'static, ()>>, String) {
    static LOCK: Mutex<()> = Mutex::new(());
    static HOST: OnceLock<String> = OnceLock::new();
    let guard = Timed::new(LOCK.lock().unwrap_or_else(|e| e.into_inner()));
    let host = HOST.get_or_init(|| {
        let started = Instant::now();
        let cfg = mplsrepl::vm::VmConfig::from_env();
        let host = mplsrepl::vm::up(&cfg, &|msg| eprintln!("[vm] {msg}"))
            .unwrap_or_else(|e| panic!("the lab VM could not be built or booted: {e:#}"));
        eprintln!(
            "[e2e] lab VM ready at {host} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        host
    });
    (guard, host.clone())
}

/// The VM's lock, held for a test's whole time on the VM. When it is let go, the test's name
/// (libtest names each test's thread after it) and its seconds on the VM are appended to
/// `e2e-times.txt` in cargo's test directory: cargo test does not show a passing test's
/// output, and CI's budget needs each test's share (`.ci/run` prints the file).
struct Timed<G> {
    _guard: G,
    started: Instant,
}

impl<G> Timed<G> {
    fn new(guard: G) -> Self {
        Timed {
            _guard: guard,
            started: Instant::now(),
        }
    }
}

impl<G> Drop for Timed<G> {
    fn drop(&mut self) {
        use std::io::Write;
        let test = std::thread::current().name().unwrap_or("?").to_string();
        let line = format!(
            "{:>7.1} s  {test}{}\n",
            self.started.elapsed().as_secs_f64(),
            if std::thread::panicking() {
                " (failed)"
            } else {
                ""
            }
        );
        let file = concat!(env!("CARGO_TARGET_TMPDIR"), "/e2e-times.txt");
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
        {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

fn mplsrepl(host: &str, args: &[&str]) -> Output {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_mplsrepl"))
        .args(args)
        .args(["--color", "never"])
        .env("DOCKER_HOST", host)
        .current_dir(root())
        .output()
        .expect("run mplsrepl");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    // First what failed, then everything: a CI log that keeps only the head of a long
    // transcript still shows why.
    let failed = if out.status.success() {
        String::new()
    } else {
        let lines: Vec<&str> = stdout
            .lines()
            .filter(|l| l.contains("FAIL") || l.contains("evidence"))
            .chain(stderr.lines())
            .take(40)
            .collect();
        format!(
            "--- what failed\n{}\n{}",
            lines.join("\n"),
            evidence_excerpt(&stdout)
        )
    };
    eprintln!(
        "[e2e] mplsrepl {} -> {} in {:.1} s\n{failed}--- stdout\n{stdout}--- stderr\n{stderr}---",
        args.join(" "),
        out.status,
        started.elapsed().as_secs_f64(),
    );
    out
}

/// The evidence a failed run left (named on its line `evidence of the failed checks ...: DIRS`),
/// in short: each diagnosis, and of each router the sections that say which labels it has.
fn evidence_excerpt(stdout: &str) -> String {
    const SECTIONS: [&str; 4] = [
        "### vtysh -c \"show mpls table\"",
        "### vtysh -c \"show debugging label-table\"",
        "### vtysh -c \"show ip ospf database segment-routing\"",
        "### ip -M route",
    ];
    let Some(dirs) = stdout
        .lines()
        .find_map(|l| {
            l.split_once("evidence of the failed checks (the routers' state as they failed): ")
        })
        .map(|(_, dirs)| dirs.trim().to_string())
    else {
        return String::new();
    };
    let mut out = String::new();
    for dir in dirs.split(", ").take(2) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let name = file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if name == "diagnosis.txt" {
                let head: Vec<&str> = text.lines().take(30).collect();
                out.push_str(&format!("--- {dir}/{name}\n{}\n", head.join("\n")));
                continue;
            }
            for section in text
                .split_inclusive('\n')
                .collect::<String>()
                .split("\n### ")
            {
                let section = if section.starts_with("### ") {
                    section.to_string()
                } else {
                    format!("### {section}")
                };
                if SECTIONS.iter().any(|s| section.starts_with(s)) {
                    let head: Vec<&str> = section.lines().take(25).collect();
                    out.push_str(&format!("--- {name}: {}\n", head.join("\n")));
                }
            }
        }
    }
    out
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn docker(host: &str) -> Docker {
    block_on(async {
        Docker::connect_with_host(host)
            .unwrap()
            .negotiate_version()
            .await
            .unwrap()
    })
}

/// Names of containers and networks carrying `mplsrepl.lab=LAB`, sorted.
fn lab_objects(host: &str, lab: &str) -> (Vec<String>, Vec<String>) {
    let d = docker(host);
    let label = format!("mplsrepl.lab={lab}");
    let filters: HashMap<&str, Vec<&str>> = [("label", vec![label.as_str()])].into();
    block_on(async {
        let c = d
            .list_containers(Some(
                ListContainersOptionsBuilder::new()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await
            .unwrap();
        let n = d
            .list_networks(Some(
                ListNetworksOptionsBuilder::new().filters(&filters).build(),
            ))
            .await
            .unwrap();
        let mut containers: Vec<String> = c
            .into_iter()
            .filter_map(|c| c.names?.first().cloned())
            .collect();
        let mut networks: Vec<String> = n.into_iter().filter_map(|n| n.name).collect();
        containers.sort();
        networks.sort();
        (containers, networks)
    })
}

/// Run a command in a container with a plain Docker exec; its stdout and stderr.
fn exec_in(host: &str, container: &str, cmd: &[&str]) -> String {
    let d = docker(host);
    let cmd = cmd.iter().map(|w| w.to_string()).collect();
    block_on(exec_text(&d, container, cmd))
}

async fn exec_text(d: &Docker, container: &str, cmd: Vec<String>) -> String {
    use bollard::exec::{CreateExecOptions, StartExecResults};
    use futures_util::StreamExt;
    let exec = d
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(cmd),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut text = String::new();
    if let StartExecResults::Attached { mut output, .. } =
        d.start_exec(&exec.id, None).await.unwrap()
    {
        while let Some(chunk) = output.next().await {
            text.push_str(&chunk.unwrap().to_string());
        }
    }
    text
}

/// A running container and a network mplsrepl did not create: `down` must leave them alone.
struct Foreign {
    host: String,
}

impl Foreign {
    const NAME: &'static str = "e2e-foreign";

    fn create(host: &str) -> Foreign {
        let d = docker(host);
        block_on(async {
            let rm = RemoveContainerOptionsBuilder::new().force(true).build();
            let _ = d.remove_container(Self::NAME, Some(rm)).await;
            let _ = d.remove_network(Self::NAME).await;
            d.create_network(NetworkCreateRequest {
                name: Self::NAME.into(),
                ..Default::default()
            })
            .await
            .unwrap();
            fresh_container(&d, Self::NAME, mplsrepl::vm::IMAGE, &IDLE, None).await;
        });
        Foreign {
            host: host.to_string(),
        }
    }

    /// The container and the network are there, and the container still runs: the links
    /// container sees every process of the engine's host, and teardown must not have killed
    /// any of them.
    fn still_there(&self) -> bool {
        self.exists() == (true, Some(true))
    }

    /// Whether both are there, and whether the container runs (a dockerd restart stops it).
    fn exists(&self) -> (bool, Option<bool>) {
        let d = docker(&self.host);
        block_on(async {
            let container = d.inspect_container(Self::NAME, None).await.ok();
            let network = d.inspect_network(Self::NAME, None).await.is_ok();
            (
                container.is_some() && network,
                container.and_then(|c| c.state?.running),
            )
        })
    }
}

impl Drop for Foreign {
    fn drop(&mut self) {
        let d = docker(&self.host);
        block_on(async {
            let rm = RemoveContainerOptionsBuilder::new().force(true).build();
            let _ = d.remove_container(Self::NAME, Some(rm)).await;
            let _ = d.remove_network(Self::NAME).await;
        });
    }
}

#[test]
fn seed_lab_passes_every_expect_line_then_down_removes_only_the_lab() {
    if !enabled("seed_lab_passes_every_expect_line_then_down_removes_only_the_lab") {
        return;
    }
    let (_guard, host) = lab_vm();
    mplsrepl(&host, &["down", "mpls_vpn"]);
    let foreign = Foreign::create(&host);
    let captures = tempdir("captures");
    let junit = format!("{}/checks.xml", tempdir("report"));
    let out = mplsrepl(
        &host,
        &[
            "run",
            "scripts/mpls_vpn.rhai",
            "--profile",
            "fast",
            "--check-timeout",
            "240",
            "--capture-dir",
            &captures,
            "--report",
            &junit,
        ],
    );
    let all = text(&out);
    assert!(out.status.success(), "the seed lab failed:\n{all}");
    // The CI report has a test case per check, grouped by step, none failed.
    let xml = std::fs::read_to_string(&junit).expect("the report is written");
    assert!(
        xml.contains("<testsuites name=\"mplsrepl scripts/mpls_vpn.rhai\" tests=\"30\" failures=\"0\" errors=\"0\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 30, "{xml}");
    assert!(
        xml.contains("<testsuite name=\"step 2: 4. OSPF area 0 in the core\""),
        "{xml}"
    );
    assert!(
        all.contains(
            "image labfrr:latest privileged, FRR 10, daemons mgmtd zebra staticd bgpd ospfd ldpd"
        ),
        "the default image is FRR 10: {all}"
    );
    assert!(
        all.contains("link mpls_vpn-net1 for 10.1.1.0/24 (veth pair, MTU 1600)")
            && all.contains("link mpls_vpn-net3 for 172.16.1.0/24 (veth pair, MTU 1500)"),
        "core links carry a full customer packet under its labels: {all}"
    );
    // Every Expect line of the spec, as the run reports it.
    for expected in [
        "ok PR: `show ip ospf neighbor json` contains {\"neighbors\":{\"1.1.1.1\":[{\"converged\":\"Full\"}]}}",
        "ok PR: `show ip ospf neighbor json` contains {\"neighbors\":{\"2.2.2.2\":[{\"converged\":\"Full\"}]}}",
        "ok PR: ping -I 9.9.9.9 1.1.1.1 succeeds",
        "ok PR: ping -I 9.9.9.9 2.2.2.2 succeeds",
        "ok PR eth0: echo requests 1.1.1.1 > 2.2.2.2 carry 0 MPLS label(s)",
        "\"neighborId\":\"1.1.1.1\",\"state\":\"OPERATIONAL\"",
        "ok PR pops the label (implicit-null) for 2 LDP entries",
        "ok PR eth0: echo requests 1.1.1.1 > 2.2.2.2 carry 1 MPLS label(s)",
        "ok PR eth1: echo requests 1.1.1.1 > 2.2.2.2 carry 0 MPLS label(s)",
        "ok PE1: `show bgp ipv4 vpn summary json` contains {\"peers\":{\"2.2.2.2\":{\"state\":\"Established\"}}}",
        "ok PE1: `show interface json` contains {\"eth1\":{\"vrfName\":\"CUSTA\"},\"eth2\":{\"vrfName\":\"CUSTB\"}}",
        "ok PE1: `show bgp ipv4 vpn 192.168.2.0/24 json` contains {\"1:100\":{\"paths\":[{\"extendedCommunity\":{\"string\":\"RT:10:100\"},\"peer\":{\"peerId\":\"2.2.2.2\"}",
        "ok PE1: `show bgp ipv4 vpn 192.168.4.0/24 json` contains {\"2:100\":{\"paths\":[{\"extendedCommunity\":{\"string\":\"RT:20:100\"},\"peer\":{\"peerId\":\"2.2.2.2\"}",
        "ok PE1 VRF CUSTA routes 192.168.2.0/24 over BGP with a two-label stack",
        "ok PE1 VRF CUSTB routes 192.168.4.0/24 over BGP with a two-label stack",
        "ok CE1: ping -I 192.168.1.1 192.168.2.1 succeeds: 3/3 replies, ttl 62",
        "ok CE3: ping -I 192.168.3.1 192.168.4.1 succeeds",
        "ok CE1: ping -I 192.168.1.1 192.168.4.1 fails: 0/3 replies",
        // A full-size customer packet under two labels: the core links' MTU leaves room.
        "ok CE1: ping -I 192.168.1.1 192.168.2.1 with 1500 bytes of IP, don't fragment succeeds",
        "ok PE1 eth0: echo requests 192.168.1.1 > 192.168.2.1 carry 2 MPLS label(s)",
        "ok PR eth1: echo requests 192.168.1.1 > 192.168.2.1 carry 1 MPLS label(s)",
        "ok PE2 eth1: echo requests 192.168.1.1 > 192.168.2.1 carry 0 MPLS label(s)",
    ] {
        assert!(all.contains(expected), "missing `{expected}` in:\n{all}");
    }
    assert!(!all.contains("FAIL"), "{all}");
    // The captures were saved as pcap files a user can open in Wireshark.
    let pcaps: Vec<_> = std::fs::read_dir(&captures)
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(pcaps.len(), 6, "one pcap per capture");
    for p in &pcaps {
        let bytes = std::fs::read(p.path()).unwrap();
        assert!(
            mplsrepl::check::pcap::parse_pcap(&bytes)
                .unwrap()
                .packets
                .len()
                >= 2,
            "{:?}",
            p.path()
        );
    }

    let (containers, networks) = lab_objects(&host, "mpls_vpn");
    assert_eq!(
        (containers.len(), networks.len()),
        (8, 0),
        "the lab stays up after run: 7 routers and the links container, no Docker network"
    );
    assert!(
        containers.iter().any(|c| c == "/mpls_vpn.links"),
        "{containers:?}"
    );
    // A run refused because the lab exists must leave it alone, even with --down.
    let refused = mplsrepl(
        &host,
        &[
            "run",
            "scripts/mpls_vpn.rhai",
            "--profile",
            "fast",
            "--down",
        ],
    );
    let said = text(&refused);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("lab mpls_vpn already exists"), "{said}");
    assert!(said.contains("was not created by this run"), "{said}");
    assert_eq!(
        lab_objects(&host, "mpls_vpn").0,
        containers,
        "a refused run removed the existing lab:\n{said}"
    );
    // The links carry the topology's names and only the lab's addresses.
    let links = exec_in(&host, "mpls_vpn-PE1", &["ip", "-br", "-4", "addr"]);
    for expected in [
        "eth0@",
        "10.1.1.2/24",
        "eth1@",
        "172.16.1.254/24",
        "eth2@",
        "172.16.3.254/24",
    ] {
        assert!(
            links.contains(expected),
            "{expected} in PE1's addresses:\n{links}"
        );
    }
    assert_eq!(
        links.matches('/').count(),
        5,
        "lo: 2 addresses, eth0-2: 1 each:\n{links}"
    );
    // The captures left nothing running in the routers they ran in, not even a zombie.
    for router in ["PE1", "PR", "PE2"] {
        let left = exec_in(
            &host,
            &format!("mpls_vpn-{router}"),
            &["sh", "-c", "for s in /proc/[0-9]*/status; do grep -qs '^State:.*Z' $s && echo zombie; grep -qs '^Name:.*tcpdump' $s && echo tcpdump; done; true"],
        );
        assert_eq!(left.trim(), "", "{router} after the captures");
    }
    let down = mplsrepl(&host, &["down", "mpls_vpn"]);
    assert!(down.status.success(), "{}", text(&down));
    assert_eq!(
        lab_objects(&host, "mpls_vpn"),
        (vec![], vec![]),
        "down left lab objects behind"
    );
    assert!(
        foreign.still_there(),
        "down removed a container or network it did not create"
    );
    let again = mplsrepl(&host, &["down", "mpls_vpn"]);
    assert!(
        again.status.success(),
        "down must be idempotent: {}",
        text(&again)
    );
}

/// SR-MPLS without LDP (scripts/mpls_vpn_sr.rhai) on the two-path core: every loopback's SR
/// label in every LFIB, PE2's SR label (16002) over the VPN label on the wire, BFD Up on the
/// IS-IS adjacencies, a what-if that cuts PR1-PE1 and sees the path through PR2, then SR over
/// OSPF with another SRGB and BFD on OSPF and BGP.
#[test]
fn segment_routing_carries_the_vpn_over_isis_and_ospf() {
    if !enabled("segment_routing_carries_the_vpn_over_isis_and_ospf") {
        return;
    }
    let (_guard, host) = lab_vm();
    let all = passing_lab(
        &host,
        "scripts/mpls_vpn_sr.rhai",
        "e2e_sr",
        &[],
        &[
            "daemons mgmtd zebra staticd bgpd ospfd ldpd isisd bfdd",
            "ok PE1: `show mpls table json` contains {\"16002\":{\"inLabel\":16002,\"installed\":true}",
            "ok PR1: `show mpls table json` contains {\"16002\":{\"nexthops\":[{\"outLabel\":3}]}}",
            "ok PR1 eth1: echo requests 1.1.1.1 > 2.2.2.2 carry 0 MPLS label(s)",
            "ok PR2 has 2 BFD sessions up",
            "labels [16002/",
            "PR1    pop 16002 (PHP) via 10.1.2.2, leaves ",
            "[SR (IS-IS)]",
            "~ PE1 2.2.2.2/32: isis via 10.1.1.254 eth0 labels 16002 -> isis via 10.1.7.254 eth3 labels 16002",
            "ok PR2's BFD sessions never went down",
            "ok PE1: `show mpls table json` contains {\"24002\":{\"inLabel\":24002,\"installed\":true}",
            "ok PE1 has 3 BFD sessions up",
        ],
    );
    // The what-if's trace went through PR2, swapping PE2's label there.
    assert!(
        all.contains("PR2    pop 16002 (PHP) via 10.1.8.2"),
        "the detour is traced:\n{all}"
    );
    assert!(!all.contains("FAIL"), "{all}");
}

/// Failover measured (scripts/failover.rhai): a 10 ms probe stream across a link down, a
/// silent failure found by OSPF's dead interval and then by BFD, and frozen daemons. Carrier
/// loss and BFD must beat the dead interval; frozen daemons lose nothing while PR2 takes over.
#[test]
fn failover_is_measured_in_lost_probes() {
    if !enabled("failover_is_measured_in_lost_probes") {
        return;
    }
    let (_guard, host) = lab_vm();
    let all = passing_lab(&host, "scripts/failover.rhai", "e2e_failover", &[], &[]);
    let outage = |what: &str| -> f64 {
        let line = all
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{what}: ")))
            .unwrap_or_else(|| panic!("no `{what}` figure in:\n{all}"));
        line.rsplit_once("outage ")
            .and_then(|(_, ms)| ms.trim_end_matches(" ms").trim().parse().ok())
            .unwrap_or_else(|| panic!("no outage in `{line}`"))
    };
    let (link, silent, bfd) = (
        outage("link down"),
        outage("silent, OSPF"),
        outage("silent, BFD"),
    );
    // The fast profile's dead interval is 4 s, BFD's detection 0.9 s.
    assert!(
        silent > 2000.0,
        "OSPF's dead interval found it in {silent} ms:\n{all}"
    );
    assert!(
        bfd < silent && link < silent,
        "{link} / {bfd} / {silent}:\n{all}"
    );
    assert!(link > 0.0 && bfd > 0.0, "both lost probes:\n{all}");
    assert_eq!(
        all.matches("ok failover CE1 -> 192.168.2.1: ").count(),
        4,
        "{all}"
    );
    assert!(!all.contains("FAIL"), "{all}");
}

/// Failed checks explain themselves (tests/labs/faults.rhai, faults made on purpose and
/// caught): an OSPF neighbor whose hello timers differ names the link and both timers; a BGP
/// session to a route reflector that runs no LDP behind an LDP core names the P router whose
/// LFIB lacks the label; a ping whose label P1's kernel lost (deleted by hand) names P1 as
/// where FRR and the kernel disagree; an IS-IS adjacency across an MTU mismatch names both
/// MTUs. Each is fixed after, and the check then passes; each failure left its evidence.
#[test]
fn failed_checks_say_what_they_found() {
    if !enabled("failed_checks_say_what_they_found") {
        return;
    }
    let (_guard, host) = lab_vm();
    let lab = "e2e_faults";
    let evidence = tempdir("evidence");
    let out = run_down(
        &host,
        "tests/labs/faults.rhai",
        lab,
        &["--check-timeout", "10", "--evidence", &evidence],
    );
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    // Each failure left the routers' state, read while the lab was there, and its diagnosis.
    let written: Vec<String> = (1..=5)
        .map(|n| format!("{evidence}/{lab}-evidence-{n}"))
        .collect();
    assert!(
        all.contains(&format!(
            "evidence of the failed checks (the routers' state as they failed): {}",
            written.join(", ")
        )),
        "{all}"
    );
    let read = |file: String| {
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}\n{all}"))
    };
    assert!(read(format!("{}/diagnosis.txt", written[0])).contains("failover probe"));
    let bgp = read(format!("{}/diagnosis.txt", written[2]));
    assert!(bgp.contains(" is not in the LFIB"), "{bgp}");
    for dir in &written {
        let pe1 = read(format!("{dir}/PE1.txt"));
        for section in [
            "### vtysh -c \"show running-config\"",
            "### vtysh -c \"show mpls table\"",
            "### ip -M route",
        ] {
            assert!(
                pe1.contains(section),
                "{dir}/PE1.txt lacks {section}:\n{pe1}"
            );
        }
        assert!(pe1.contains("hostname PE1"), "{dir}/PE1.txt:\n{pe1}");
    }
    for expected in [
        "failover probe: PE1 gets no reply from 10.255.2.1 before the change, so nothing was changed",
        "why RR1 lacks OSPF adjacencies with 10.255.0.1:",
        "link rr to P1: hello/dead 1/4 s on RR1 eth0 but 5/20 s on P1 eth1: OSPF neighbors must agree",
        "why PE1 lacks IS-IS adjacencies with its provider neighbors:",
        "link core to P1: MTU 1600 on PE1 eth0 but 1500 on P1 eth0: IS-IS pads its hellos",
        "ok PE1 has 1 IS-IS adjacencies Up",
        "ok RR1: `show ip ospf neighbor json` contains {\"neighbors\":{\"10.255.0.1\":[{\"converged\":\"Full\"}]}}",
        "peers.10.255.2.1.state: expected \"Established\", got \"Connect\"",
        "where the path breaks (trace PE1 -> 10.255.2.1): P1: label ",
        " is not in the LFIB",
        "must run LDP itself",
        "ok PE1: `show bgp ipv4 vpn summary json` contains {\"peers\":{\"10.255.2.1\":{\"state\":\"Established\"}}}",
        "P1: label ",
        " is in FRR's LFIB [LDP] but not in the kernel's (`ip -M route`) (PE1 sends it there): \
         the packet is dropped at P1, where the control plane and the kernel disagree",
        "5 failed and were caught by the script",
    ] {
        assert!(all.contains(expected), "missing `{expected}` in:\n{all}");
    }
    assert_eq!(lab_objects(&host, lab), (vec![], vec![]));
}

/// The causes of two CI flakes made to happen on purpose (tests/labs/flake_causes.rhai): a BGP
/// session refused once waits for FRR's 120 s connect retry while the fast profile's 2 s one
/// comes up; ospfd gets no label block while isisd holds its own, and the switch between the
/// two IGPs' SR, sent in two parts, leaves OSPF's labels in the LFIB.
#[test]
fn the_causes_of_two_flakes_happen_on_purpose_and_their_fixes_hold() {
    if !enabled("the_causes_of_two_flakes_happen_on_purpose_and_their_fixes_hold") {
        return;
    }
    let (_guard, host) = lab_vm();
    passing_lab(
        &host,
        "tests/labs/flake_causes.rhai",
        "e2e_flakes",
        &[],
        &[
            "ok A: `show bgp neighbors 10.9.0.2 json` contains {\"10.9.0.2\":{\"bgpState\":\"Active\"}}",
            "ok A: `show bgp neighbors 10.9.9.2 json` contains {\"10.9.9.2\":{\"bgpState\":\"Established\"}}",
            "with FRR's connect retry, A's session to 10.9.0.2 is still ",
            "ok zebra holds isisd's label blocks on A",
            "ospfd on A got no label block in 10 s while isisd held its own",
            "ok zebra holds ospfd's label blocks on A",
            "ok A: `show mpls table json` contains {\"24002\":{\"inLabel\":24002,\"installed\":true}}",
            "ok B: `show mpls table json` contains {\"24001\":{\"inLabel\":24001,\"installed\":true}}",
        ],
    );
}

/// Layer-2 VPNs that forward (scripts/l2vpn.rhai) over both FRR lines at once: PE2 and P2 run
/// FRR 8.4 (labfrr:8), the rest FRR 10, so ldpd 8.4 signals the VPWS with FRR 10 and its part
/// of the VPLS, and its PE's agent forwards, in the lab that tests FRR 10's (one lab for both
/// lines). A VPWS and a VPLS over LDP pseudowires, the PEs' pseudowire agent keeping the tc
/// data plane; CE pings across both, [transport][PW] on the wire into the core and the PW
/// label alone after PHP, a VPLS's unicast to a learnt MAC address reaching one PE only, and
/// the VPWS measured across a core link failure, then on the other path. Then the running lab
/// is saved with `save --live`, removed, and started again from its files: the pseudowires'
/// wiring comes back from kernel.sh, and the agents forward again.
#[test]
fn l2vpn_lab_forwards_customer_frames_over_pseudowires_on_both_frr_lines() {
    if !enabled("l2vpn_lab_forwards_customer_frames_over_pseudowires_on_both_frr_lines") {
        return;
    }
    let (_guard, host) = lab_vm();
    let lab = "e2e_l2vpn_dp";
    let script = &on_both_frr_lines("l2vpn", &["PE2", "P2"]);
    let out = run_fast(&host, script, lab, &[]);
    let saved = tempdir("saved-l2vpn");
    let save = mplsrepl(
        &host,
        &["save", "--live", &saved, script, "--lab-name", lab],
    );
    let down = mplsrepl(&host, &["down", lab]);
    let again = format!("{lab}_saved");
    let restarted = mplsrepl(&host, &["run", &saved, "--lab-name", &again]);
    // Until the pseudowires are signalled again and the agents have programmed them.
    let reach = |ce: &str, dst: &str| {
        exec_in(
            &host,
            &format!("{again}-{ce}"),
            &[
                "sh",
                "-c",
                &format!(
                    "for i in $(seq 1 90); do ping -c 1 -W 1 {dst} >/dev/null 2>&1 && echo reached && exit 0; done; echo unreached"
                ),
            ],
        )
    };
    let reached = [reach("CE1", "192.168.10.2"), reach("CE3", "192.168.20.3")];
    let down_again = mplsrepl(&host, &["down", &again]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    for expected in [
        "image labfrr:8 privileged, FRR 8, daemons zebra staticd bgpd ospfd ldpd",
        "image labfrr:latest privileged, FRR 10, daemons mgmtd zebra staticd bgpd ospfd ldpd",
        "ok PE3's pseudowire to 2.2.2.2 (PW id 200) is up",
        "ok 26 checks passed",
        "ok PE1's pseudowire to 2.2.2.2 (PW id 100) is up",
        "ok CE1: ping 192.168.10.2",
        "ok CE3: ping 192.168.20.2",
        "ok CE4: ping 192.168.20.3",
        "ok PE2 eth0: echo requests 192.168.20.1 > 192.168.20.2 carry 1 MPLS label(s)",
        "ok PE3 eth0: no echo request 192.168.20.1 > 192.168.20.2 passes",
        "ok PE3 eth1: no echo request 192.168.20.1 > 192.168.20.2 passes",
        "ok P1 eth0: echo requests 192.168.10.1 > 192.168.10.2 carry 2 MPLS label(s)",
        "ok P1 eth1: echo requests 192.168.10.1 > 192.168.10.2 carry 1 MPLS label(s)",
        "VPWS across PE1's link to P1 going down: ",
        "ok P2 eth0: echo requests 192.168.10.1 > 192.168.10.2 carry 2 MPLS label(s)",
    ] {
        assert!(all.contains(expected), "missing `{expected}` in:\n{all}");
    }
    assert!(save.status.success(), "{}", text(&save));
    let kernel = std::fs::read_to_string(format!("{saved}/PE1/kernel.sh")).unwrap_or_default();
    for expected in [
        "/usr/local/sbin/mplsrepl-pw start",
        "ip link add mpw0 type veth peer name mpw0x",
        "ip link add vpls0 type bridge",
        "bridge link set dev mpw1 isolated on",
        "tc filter replace dev eth2 ingress pref 1 handle 1 matchall action mirred egress redirect dev mpw0",
    ] {
        assert!(kernel.contains(expected), "PE1's saved kernel.sh lacks `{expected}`:\n{kernel}");
    }
    assert!(down.status.success(), "{}", text(&down));
    assert!(restarted.status.success(), "{}", text(&restarted));
    assert_eq!(reached, ["reached\n", "reached\n"], "{}", text(&restarted));
    assert!(down_again.status.success(), "{}", text(&down_again));
    assert_eq!(lab_objects(&host, lab), (vec![], vec![]));
    assert_eq!(lab_objects(&host, &again), (vec![], vec![]));
}

/// IPv6 customers over the dual-stack core (scripts/mpls_vpn_v6.rhai), on both FRR lines at
/// once (one lab, some of its routers on each): IS-IS and LDP for both families, VPNv6 on the
/// PEs' iBGP session, a static and an eBGP customer; IPv6 pings cross the VPN under two labels
/// over the IPv6 payload, a full-size IPv6 packet fits the core, and the customers stay apart.
/// Its IPv4 half is the seed lab over IS-IS (scripts/mpls_vpn_isis.rhai, whose renderings the
/// read-back test loads into both FRR lines), so that lab has no run of its own here.
#[test]
fn ipv6_customers_cross_the_dual_stack_core_on_both_frr_lines() {
    if !enabled("ipv6_customers_cross_the_dual_stack_core_on_both_frr_lines") {
        return;
    }
    let (_guard, host) = lab_vm();
    // PR, PE2 and the CEs behind PE2 on FRR 8.4, PE1 and its CEs on FRR 10: the checks on PR
    // and PE2 read FRR 8's JSON, those on PE1 FRR 10's, and each session joins the two lines.
    let script = on_both_frr_lines("mpls_vpn_v6", &["PR", "PE2", "CE2", "CE4"]);
    let all = passing_lab(
        &host,
        &script,
        "e2e_v6",
        &[],
        &[
            "image labfrr:8 privileged, FRR 8, daemons zebra staticd bgpd ospfd ldpd isisd",
            "image labfrr:latest privileged, FRR 10, daemons mgmtd zebra staticd bgpd ospfd ldpd isisd",
            "ok 32 checks passed",
            "ok PR has 2 IS-IS adjacencies Up",
            "ok PR: `show ipv6 route json` contains {\"2001:db8:ff::1/128\":[{\"installed\":true,\"protocol\":\"isis\"}]",
            "ok PR eth0: echo requests 2001:db8:ff::1 > 2001:db8:ff::2 carry 1 MPLS label(s)",
            "ok PE1: `show bgp ipv6 vpn summary json` contains {\"peers\":{\"2.2.2.2\":{\"state\":\"Established\"}}}",
            "ok PE1 VRF CUSTB routes 2001:db8:c4::/64 over BGP with a two-label stack",
            "ok CE1: ping -I 2001:db8:c1::1 2001:db8:c2::1 succeeds: 3/3 replies",
            "ok CE3: ping -I 2001:db8:c3::1 2001:db8:c4::1 succeeds: 3/3 replies",
            "ok CE1: ping -I 2001:db8:c1::1 2001:db8:c4::1 fails: 0/3 replies",
            "ok CE1: ping -I 2001:db8:c1::1 2001:db8:c2::1 with 1500 bytes of IP, don't fragment succeeds",
            "ok PE1 eth0: echo requests 2001:db8:c1::1 > 2001:db8:c2::1 carry 2 MPLS label(s)",
            "ok PE2 eth1: echo requests 2001:db8:c1::1 > 2001:db8:c2::1 carry 0 MPLS label(s)",
            "CE2    deliver to 2001:db8:c2::1 (own address)",
            "ok on the wire at PE1 eth0: echo requests carry labels",
        ],
    );
    // The decoded capture line: two labels, then the IPv6 header and ICMPv6 under them.
    let stacked = all.lines().any(|l| {
        l.contains("MPLS [")
            && l.contains(" S ttl ")
            && l.contains("] 2001:db8:c1::1 > 2001:db8:c2::1 ICMP6 echo request")
            && l.matches('[').count() == 2
    });
    assert!(stacked, "no two-label IPv6 packet printed:\n{all}");
}

/// The seed lab over two lab VMs (`vm up --count 2`): PE1 with CE1 and CE3 on the first,
/// PR, PE2, CE2 and CE4 on the second, so core link net1 crosses between the engines as a
/// VXLAN tunnel on the underlay. Every check of the seed passes, the capture on PE1's end
/// of the tunnel shows the two-label stack, `status` on one engine knows the lab is spread,
/// and `down` given only the first engine removes the lab from both.
#[test]
fn the_seed_lab_split_over_two_engines_passes_every_check() {
    if !enabled("the_seed_lab_split_over_two_engines_passes_every_check") {
        return;
    }
    let (_guard, host) = lab_vm();
    let second_vm = mplsrepl::vm::VmConfig::from_env().instance(1);
    let second = mplsrepl::vm::up(&second_vm, &|msg| eprintln!("[vm] {msg}"))
        .unwrap_or_else(|e| panic!("the second lab VM could not be booted: {e:#}"));
    let lab = "e2e_split";
    let engines = format!("{host},{second}");
    let captures = tempdir("captures-split");
    let out = mplsrepl(
        &host,
        &[
            "run",
            "scripts/mpls_vpn.rhai",
            "--profile",
            "fast",
            "--lab-name",
            lab,
            "--engines",
            &engines,
            "--place",
            "PR=2",
            "--capture-dir",
            &captures,
            "--check-timeout",
            "240",
        ],
    );
    let all = text(&out);
    let status = mplsrepl(&host, &["status"]);
    // Given only the first engine, save reads every router where it runs.
    let saved = tempdir("saved-split");
    let save = mplsrepl(
        &host,
        &[
            "save",
            "--live",
            &saved,
            "scripts/mpls_vpn.rhai",
            "--lab-name",
            lab,
        ],
    );
    let pr_conf = std::fs::read_to_string(format!("{saved}/PR/frr.conf")).unwrap_or_default();
    // PE1's namespace outlives its container, as when the kernel is slow to clean it up: the
    // tunnel's VNI must still be free for the next lab (`down` deletes the VXLAN devices).
    let holder = hold_netns(&host, &format!("{lab}-PE1"));
    let down = mplsrepl(&host, &["down", lab]);
    let left = (lab_objects(&host, lab), lab_objects(&second, lab));
    // A LAN over the two engines: A and B on a bridge here, C's end over the tunnel there;
    // link bc crosses too. It takes the VNI net1 had.
    let lan = "e2e_split_lan";
    let lan_up = mplsrepl(
        &host,
        &[
            "up",
            "tests/labs/lan.topo",
            "--lab-name",
            lan,
            "--engines",
            &engines,
            "--place",
            "A=1,B=1,C=2",
        ],
    );
    let lan_pings = [
        (&host, "A", "10.8.0.3"),
        (&second, "C", "10.8.0.2"),
        (&host, "B", "10.8.1.2"),
    ]
    .map(|(engine, from, to)| {
        let reply = exec_in(
            engine,
            &format!("{lan}-{from}"),
            &["ping", "-c", "2", "-W", "2", to],
        );
        (from, to, reply)
    });
    release_netns(&host, &holder);
    let lan_down = mplsrepl(&host, &["down", lan]);
    let lan_left = (lab_objects(&host, lan), lab_objects(&second, lan));
    mplsrepl::vm::down_one(&second_vm, &|msg| eprintln!("[vm] {msg}"))
        .unwrap_or_else(|e| panic!("the second lab VM did not stop: {e:#}"));
    assert!(out.status.success(), "the split seed lab failed:\n{all}");
    let placed = [
        format!("engine 1 {host}@192.0.2.1: PE1 CE1 CE3"),
        format!("engine 2 {second}@192.0.2.2: PR PE2 CE2 CE4"),
    ];
    for expected in placed.iter().map(String::as_str).chain([
        "link net1 crosses engines 1 and 2",
        "ok 30 checks passed",
        "ok CE1: ping -I 192.168.1.1 192.168.2.1 with 1500 bytes of IP, don't fragment succeeds",
        "ok PE1 eth0: echo requests 192.168.1.1 > 192.168.2.1 carry 2 MPLS label(s)",
        "ok PR eth1: echo requests 192.168.1.1 > 192.168.2.1 carry 1 MPLS label(s)",
    ]) {
        assert!(all.contains(expected), "missing `{expected}` in:\n{all}");
    }
    // The tunnel's end in PE1 carries the labelled packets as they left PE1.
    let stacked = all.lines().any(|l| {
        l.contains("MPLS [")
            && l.contains("] 192.168.1.1 > 192.168.2.1 ICMP echo request")
            && l.matches('[').count() == 2
    });
    assert!(stacked, "no two-label packet printed:\n{all}");
    assert!(
        text(&status).contains(&format!(
            "lab {lab} (spread over engines {host}@192.0.2.1,{second}@192.0.2.2)"
        )),
        "{}",
        text(&status)
    );
    assert!(save.status.success(), "{}", text(&save));
    assert!(
        pr_conf.contains("mpls ldp"),
        "PR's live configuration:\n{pr_conf}"
    );
    assert!(down.status.success(), "{}", text(&down));
    assert!(
        text(&down).contains("removed 9 containers"),
        "{}",
        text(&down)
    );
    assert_eq!(left, ((vec![], vec![]), (vec![], vec![])));
    assert!(lan_up.status.success(), "{}", text(&lan_up));
    for (from, to, reply) in lan_pings {
        assert!(reply.contains(" 0% packet loss"), "{from} -> {to}: {reply}");
    }
    assert!(lan_down.status.success(), "{}", text(&lan_down));
    assert_eq!(lan_left, ((vec![], vec![]), (vec![], vec![])));
}

/// Two customers with one address plan (scripts/overlap.rhai): each reaches its own other
/// site at the same address, the two carry different VPN labels towards it, and neither's
/// packets leave the far PE towards the other's CE.
#[test]
fn two_customers_with_one_address_plan_stay_apart() {
    if !enabled("two_customers_with_one_address_plan_stay_apart") {
        return;
    }
    let (_guard, host) = lab_vm();
    let all = passing_lab(&host, "scripts/overlap.rhai", "e2e_overlap", &[], &[]);
    let line = all
        .lines()
        .find(|l| l.contains("VPN label towards 192.168.2.1: customer A "))
        .unwrap_or_else(|| panic!("the labels are printed:\n{all}"));
    let labels: Vec<u32> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    let (a, b) = (labels[labels.len() - 2], labels[labels.len() - 1]);
    assert!(a >= 16 && b >= 16 && a != b, "two VPN labels: {line}");
    assert!(!all.contains("FAIL"), "{all}");
}

/// The seed lab's customers over SRv6 (scripts/mpls_vpn_srv6.rhai, FRR 10): an IPv6-only core
/// (IS-IS for IPv6, no IPv4 address, no LDP), BGP between IPv6 loopbacks; each PE's locator in IS-IS, VPNv4 and VPNv6 with a SID per VRF family; both
/// families' pings cross, on the core link the customer's packet travels inside IPv6 to a SID of
/// PE2's locator with no MPLS label, the traces follow the SIDs, and a core link down moves the
/// path to the other P router (failover measured, what-if shown and reverted).
#[test]
fn vpn_over_srv6_crosses_the_core_inside_ipv6_to_the_egress_pes_sid() {
    if !enabled("vpn_over_srv6_crosses_the_core_inside_ipv6_to_the_egress_pes_sid") {
        return;
    }
    let (_guard, host) = lab_vm();
    let all = passing_lab(
        &host,
        "scripts/mpls_vpn_srv6.rhai",
        "e2e_srv6",
        &[],
        &[
            // The core is IPv6 alone; one BGP session between the PEs' IPv6 loopbacks carries
            // VPNv4 routes too, with an IPv6 next hop.
            "ok PR1 has no IPv4 route",
            "ok PE1: `show bgp ipv4 vpn summary json` contains {\"peers\":{\"2001:db8:ff::2\":{\"state\":\"Established\"}}}",
            "\"peer\":{\"peerId\":\"2001:db8:ff::2\"}",
            "ok PE2: `show segment-routing srv6 locator json` contains",
            "ok CE1: ping -I 2001:db8:c1::1 2001:db8:c2::1 succeeds",
            "ok CE1: ping -I 192.168.1.1 192.168.4.1 fails",
            "ok PR1 eth1: echo requests 192.168.1.1 > 192.168.2.1 cross in SRv6 to a SID of 2001:db8:a2::/48, unlabelled",
            "ok PR1 eth1: echo requests 2001:db8:c1::1 > 2001:db8:c2::1 cross in SRv6 to a SID of 2001:db8:a2::/48, unlabelled",
            // The traces follow the SIDs, for both families (which function of PE2's locator
            // each VRF family gets depends on the order bgpd allocates them).
            "PE1    encap SRv6 to 2001:db8:a2:",
            "(End.DT4), lookup in VRF CUSTA",
            "(End.DT6), lookup in VRF CUSTA",
            "CE2    deliver to 2001:db8:c2::1 (own address)",
            // A core link down moves the path to PR2, to the same SID; the what-if shows it.
            "PR1-PE1 down: ",
            "ok PR2 eth1: echo requests 192.168.1.1 > 192.168.2.1 cross in SRv6 to a SID of 2001:db8:a2::/48, unlabelled",
            "~ PE1 vrf CUSTA 192.168.2.0/24: bgp via 2001:db8:ff::2 sid 2001:db8:a2:",
            "reverted: the lab is back as before",
            "ok 24 checks passed",
        ],
    );
    assert!(!all.contains("FAIL"), "{all}");
}

/// Two providers joined three ways in one run (scripts/interas.rhai, FRR 10): option A (VRFs
/// back to back, plain IP between the ASes), `undo` and option B (eBGP VPNv4, the ASBRs swap VPN
/// labels), and option C as a what-if (BGP-LU between the ASes, VPNv4 PE to PE, three labels
/// leaving the PE, no VPN route on an ASBR), the customers' pings and the label stack on the
/// wire at every hop for each option, then back to option B.
#[test]
fn inter_as_vpn_options_a_b_and_c_forward_with_their_own_label_stacks() {
    if !enabled("inter_as_vpn_options_a_b_and_c_forward_with_their_own_label_stacks") {
        return;
    }
    let (_guard, host) = lab_vm();
    let stack = |at: &str, n: u32| {
        format!("ok {at}: echo requests 192.168.1.1 > 192.168.2.1 carry {n} MPLS label(s)")
    };
    let all = passing_lab(
        &host,
        "scripts/interas.rhai",
        "e2e_interas",
        &[],
        &[
            // The IGPs stop at the inter-AS link.
            "ok PE1: ping -I 1.1.1.1 2.2.2.2 fails",
            // Option A: nothing labelled between the ASes, each customer on its own link.
            &stack("ASBR1 eth2", 0),
            &stack("ASBR1 eth3", 0),
            "ok ASBR1: `show ip route vrf CUSTB json` contains",
            // Option B: ASBR2's VPN label alone between the ASes.
            &stack("ASBR1 eth1", 1),
            "ok ASBR1: `show bgp ipv4 vpn 192.168.2.0/24 json` contains",
            // Option C: three labels out of PE1, two between the ASes, no VPN route on an ASBR.
            &stack("PE1 eth0", 3),
            &stack("ASBR1 eth1", 2),
            "ok ASBR2: `show bgp ipv4 vpn json` contains {\"totalRoutes\":0}",
            "- ASBR1 vpn 65002:1 192.168.2.0/24: from 10.0.0.3",
            "bgp ipv4LabeledUnicast peer 10.0.0.3: Established",
            // The traces name each BGP swap for what it is.
            "ASBR1  pop ",
            "ASBR2  swap ",
            "[BGP VPN]",
            "via 10.0.0.3 [BGP-LU]",
            "ok PE1: `show bgp ipv4 labeled-unicast 2.2.2.2/32 json` contains",
            "ok 52 checks passed",
        ],
    );
    assert!(!all.contains("FAIL"), "{all}");
}

/// A copy of scripts/NAME.rhai and its NAME.topo in a fresh directory, with `routers` on FRR
/// 8.4 (labfrr:8) and the rest on the default FRR 10: one lab runs both FRR lines, each
/// talking to the other. The copied script's path.
fn on_both_frr_lines(name: &str, routers: &[&str]) -> String {
    let dir = tempdir(&format!("{name}-mixed"));
    let topo = std::fs::read_to_string(root().join(format!("scripts/{name}.topo"))).unwrap();
    let mut mixed = String::new();
    for line in topo.lines() {
        mixed.push_str(line);
        if routers
            .iter()
            .any(|r| line.starts_with(&format!("router {r} ")))
        {
            mixed.push_str(" image \"labfrr:8\"");
        }
        mixed.push('\n');
    }
    assert_eq!(mixed.matches("labfrr:8").count(), routers.len(), "{mixed}");
    std::fs::write(format!("{dir}/{name}.topo"), mixed).unwrap();
    let script = format!("{dir}/{name}.rhai");
    std::fs::copy(root().join(format!("scripts/{name}.rhai")), &script).unwrap();
    script
}

/// A lab run by `run_down` that must pass: its output holds every line of `expected`, and
/// nothing of it is left on the engine. The output, for a test's own assertions.
fn passing_lab(host: &str, script: &str, lab: &str, extra: &[&str], expected: &[&str]) -> String {
    let out = run_down(host, script, lab, extra);
    let all = text(&out);
    assert!(
        out.status.success(),
        "{lab} ({script} {extra:?}) failed:\n{all}"
    );
    for line in expected {
        assert!(all.contains(line), "{lab}: missing `{line}` in:\n{all}");
    }
    assert_eq!(
        lab_objects(host, lab),
        (vec![], vec![]),
        "{lab} left objects"
    );
    all
}

/// `mplsrepl run SCRIPT` on the fast profile under its own lab name, captures in a fresh
/// directory, the lab removed at the end.
fn run_down(host: &str, script: &str, lab: &str, extra: &[&str]) -> Output {
    let mut extra = extra.to_vec();
    extra.push("--down");
    run_fast(host, script, lab, &extra)
}

/// `mplsrepl run SCRIPT` on the fast profile under its own lab name, captures in a fresh
/// directory; the lab stays up unless `extra` says `--down`.
fn run_fast(host: &str, script: &str, lab: &str, extra: &[&str]) -> Output {
    let captures = tempdir(&format!("captures-{lab}"));
    let mut args = vec![
        "run",
        script,
        "--profile",
        "fast",
        "--lab-name",
        lab,
        "--capture-dir",
        &captures,
    ];
    if !extra.contains(&"--check-timeout") {
        args.extend(["--check-timeout", "240"]);
    }
    args.extend_from_slice(extra);
    mplsrepl(host, &args)
}

fn tempdir(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("mplsrepl-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.display().to_string()
}

/// A script on the two-router lab (tests/labs/tiny.topo beside it) in a fresh directory
/// named after `name`; the script's path.
fn tiny_script(name: &str, text: &str) -> String {
    let dir = tempdir(name);
    std::fs::copy(
        root().join("tests/labs/tiny.topo"),
        format!("{dir}/tiny.topo"),
    )
    .unwrap();
    let script = format!("{dir}/script.rhai");
    std::fs::write(&script, text).unwrap();
    script
}

/// A script on the two-router lab, run under its own lab name; returns the run's output.
fn run_tiny(host: &str, lab: &str, body: &str, extra: &[&str]) -> Output {
    let script = tiny_script(lab, &format!("topology(\"tiny.topo\");\nup();\n{body}\n"));
    let mut args = vec!["run", script.as_str(), "--lab-name", lab, "--down"];
    args.extend_from_slice(extra);
    let out = mplsrepl(host, &args);
    assert_eq!(
        lab_objects(host, lab),
        (vec![], vec![]),
        "--down must remove the lab even after a failure"
    );
    out
}

/// `run --repeat 2` of the two-router lab: built, checked and removed twice, then one line per
/// check (passed 2/2, its median and max time) and per step, and a JSON report of both runs.
#[test]
fn repeat_runs_the_lab_twice_and_summarises_every_check_and_step() {
    if !enabled("repeat_runs_the_lab_twice_and_summarises_every_check_and_step") {
        return;
    }
    let (_guard, host) = lab_vm();
    let lab = "e2e_repeat";
    let body = "set_profile(\"fast\");\n\
                import \"ospf\" as ospf;\n\
                step(\"OSPF between A and B\");\n\
                ospf::core(\"A\"); ospf::core(\"B\");\n\
                ospf::expect_full(\"A\", [\"10.9.9.2\"]);\n\
                expect_ping(\"A\", \"10.9.9.2\", \"10.9.9.1\");";
    let script = tiny_script(lab, &format!("topology(\"tiny.topo\");\nup();\n{body}\n"));
    let report = format!("{}/runs.json", tempdir("repeat-report"));
    let out = mplsrepl(
        &host,
        &[
            "run",
            &script,
            "--lab-name",
            lab,
            "--repeat",
            "2",
            "--report",
            &report,
        ],
    );
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_eq!(lab_objects(&host, lab), (vec![], vec![]), "{all}");
    assert_eq!(all.matches("==== run ").count(), 2, "{all}");
    assert!(all.contains(": 2 passed, 0 failed =="), "{all}");
    let row = |start: &str| {
        all.lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no row `{start}` in:\n{all}"))
            .to_string()
    };
    assert!(
        row("step 1: A: `show ip ospf neighbor json`").contains(" 2/2 "),
        "{all}"
    );
    assert!(
        row("step 1: A: ping -I 10.9.9.1 10.9.9.2").contains(" 2/2 "),
        "{all}"
    );
    assert!(row("step 1: OSPF between A and B").ends_with(" s"), "{all}");
    assert!(all.contains("whole run: median "), "{all}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let runs = json["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "{json}");
    assert!(
        runs.iter().all(|r| r["failed"] == 0 && r["passed"] == 2),
        "{json}"
    );
}

#[test]
fn frr_rejecting_a_line_names_the_router_the_line_and_frrs_message() {
    if !enabled("frr_rejecting_a_line_names_the_router_the_line_and_frrs_message") {
        return;
    }
    let (_guard, host) = lab_vm();
    // First a change FRR takes in part (the route, not the bogus line) inside `try`: the part
    // it took is taken back, the script goes on, and the next change goes in alone. Then the
    // same rejection uncaught, which ends the run at its line.
    let body = r#"
try {
    router("A").static_route("192.0.2.0/24", "10.9.0.2").frr("bogus command here");
    apply();
    print("NOT REACHED");
} catch (e) {
    print(`caught: ${e}`);
}
let running = vtysh("A", "show running-config");
if running.contains("192.0.2.0/24") { print("ROUTE STILL THERE"); }
router("A").static_route("198.51.100.0/24", "10.9.0.2");
apply();
if vtysh("A", "show running-config").contains("198.51.100.0/24") { print("WENT ON"); }
router("A").frr("bogus command here");
apply();"#;
    let out = run_tiny(&host, "e2e_reject", body.trim_start(), &[]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(!all.contains("NOT REACHED"), "{all}");
    assert!(
        all.contains("caught: "),
        "the rejection reaches `catch`: {all}"
    );
    assert!(
        all.contains("A: rolled back: FRR's configuration is again what it was before the change"),
        "{all}"
    );
    assert!(
        !all.contains("ROUTE STILL THERE"),
        "the part of the change FRR took is taken back: {all}"
    );
    assert!(
        all.contains("WENT ON"),
        "the next change goes in, without the rejected one: {all}"
    );
    assert_eq!(
        all.matches("A: FRR did not take the configuration").count(),
        3,
        "each rejection is reported once (and `catch` printed the first): {all}"
    );
    assert!(
        all.contains("A: FRR did not take the configuration"),
        "{all}"
    );
    assert!(
        all.contains("bogus command here"),
        "the rejected line is shown: {all}"
    );
    assert!(
        all.contains("Unknown command"),
        "FRR's own message is shown: {all}"
    );
    assert!(
        all.contains("script.rhai:16:"),
        "the error points into the script: {all}"
    );
    assert!(
        all.contains("A: the change FRR did not take is dropped from the desired state"),
        "{all}"
    );
}

/// A ping that gets no reply says where its path breaks: A has no route to B's loopback (no
/// IGP runs), and the trace the failure runs says so, naming the router and the command.
#[test]
fn a_failed_ping_says_where_the_path_breaks() {
    if !enabled("a_failed_ping_says_where_the_path_breaks") {
        return;
    }
    let (_guard, host) = lab_vm();
    let body =
        "router(\"A\").addresses();\nrouter(\"B\").addresses();\nexpect_ping(\"A\", \"10.9.9.2\");";
    let out = run_tiny(&host, "e2e_noroute", body, &["--check-timeout", "3"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("check failed on A: no reply to ping 10.9.9.2"),
        "{all}"
    );
    assert!(
        all.contains("where the path breaks (trace A -> 10.9.9.2): A: no route to 10.9.9.2"),
        "{all}"
    );
}

/// An impaired link delays what crosses it: 100 ms each way make a round trip of at least
/// 200 ms (a lower bound: the emulated VM adds its own), and `status` names the impaired ends.
#[test]
fn an_impaired_link_delays_pings_and_status_shows_it() {
    if !enabled("an_impaired_link_delays_pings_and_status_shows_it") {
        return;
    }
    let (_guard, host) = lab_vm();
    let lab = "e2e_impair";
    let body = r#"router("A").addresses();
router("B").addresses();
link("A", "B").impair(#{ delay: "100ms" });
print("IMPAIRED " + sh("A", "ping -n -c 3 -i 0.3 10.9.0.2 | tail -1"));
"#;
    let script = tiny_script(lab, &format!("topology(\"tiny.topo\");\nup();\n{body}"));
    let out = mplsrepl(&host, &["run", &script, "--lab-name", lab, "-v"]);
    let all = text(&out);
    let status = text(&mplsrepl(&host, &["status"]));
    mplsrepl(&host, &["down", lab]);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("A$ tc qdisc replace dev eth0 root netem delay 100ms"),
        "{all}"
    );
    let rtt = all
        .lines()
        .find(|l| l.contains("IMPAIRED rtt min/avg/max"))
        .and_then(|l| l.split('=').nth(1))
        .and_then(|v| v.trim().split('/').next())
        .and_then(|min| min.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("a round trip is printed:\n{all}"));
    assert!(
        rtt >= 200.0,
        "the minimum round trip {rtt} ms is at least 2 x 100 ms:\n{all}"
    );
    assert_eq!(
        status.matches("impaired: eth0 delay 100ms").count(),
        2,
        "status names both impaired ends:\n{status}"
    );
}

/// `vtysh -f` says nothing of a daemon it cannot reach: a killed daemon must still fail the
/// next step at once, with FRR's words where it has any (FRR 10's `mgmtd is not running`),
/// and by name otherwise (bgpd on FRR 8), not at a later check's timeout.
#[test]
fn a_killed_frr_daemon_fails_the_next_step_at_once_naming_it() {
    if !enabled("a_killed_frr_daemon_fails_the_next_step_at_once_naming_it") {
        return;
    }
    let (_guard, host) = lab_vm();
    let cases = [
        (
            "labfrr:10",
            "mgmtd",
            "router(\"A\").frr(\"ip route 10.99.0.0/24 Null0\");",
            "mgmtd is not running",
        ),
        (
            "labfrr:8",
            "bgpd",
            "router(\"A\").bgp(65001).router_id(\"10.9.9.1\");",
            "bgpd is not running",
        ),
    ];
    for (image, daemon, change, expected) in cases {
        let lab = format!("e2e_kill_{daemon}");
        let body = format!(
            "router(\"A\").bgp(65001);\n\
             step(\"FRR runs\");\n\
             sh(\"A\", \"kill $(cat /var/run/frr/{daemon}.pid); sleep 1\");\n\
             {change}\n\
             step(\"after the kill\");\n\
             print(\"NOT REACHED\");"
        );
        let started = Instant::now();
        let out = run_tiny(
            &host,
            &lab,
            &body,
            &["--image", image, "--check-timeout", "120"],
        );
        let took = started.elapsed().as_secs_f64();
        let all = text(&out);
        assert!(!out.status.success(), "{image}: {all}");
        assert!(all.contains(expected), "{image}: {all}");
        assert!(
            all.contains("A: FRR did not take the configuration"),
            "{image}: {all}"
        );
        assert!(
            all.contains("script.rhai:7:"),
            "{image}: the step's line: {all}"
        );
        assert!(
            !all.lines().any(|l| l.trim() == "NOT REACHED"),
            "{image}: {all}"
        );
        // The lab's creation and the first step take most of it; no check timed out.
        assert!(took < 110.0, "{image}: {took:.1} s:\n{all}");
    }
}

#[test]
fn a_check_that_times_out_shows_what_was_last_observed() {
    if !enabled("a_check_that_times_out_shows_what_was_last_observed") {
        return;
    }
    let (_guard, host) = lab_vm();
    // Inside `together`, the failing check is the one located, not the block.
    let body = "router(\"A\").addresses().ospf().network(\"10.9.0.0/24\", 0);\n\
                together(|| {\n\
                \x20   expect_ping(\"A\", \"10.9.0.1\");\n\
                \x20   expect(\"A\", \"show ip ospf neighbor json\", #{ neighbors: #{ \"10.9.9.9\": [#{ converged: \"Full\" }] } }, 3);\n\
                });";
    let junit = format!("{}/checks.xml", tempdir("report-timeout"));
    let out = run_tiny(&host, "e2e_timeout", body, &["--report", &junit]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    // The CI report names the failed check in its step, with the failure text.
    let xml = std::fs::read_to_string(&junit).expect("the report is written");
    assert!(xml.contains("failures=\"1\""), "{xml}");
    assert!(
        xml.contains(
            "<failure message=\"check failed on A: `show ip ospf neighbor json` after 3 s"
        ),
        "{xml}"
    );
    assert!(
        all.contains("check failed on A: `show ip ospf neighbor json` after 3 s"),
        "{all}"
    );
    assert!(
        all.contains("neighbors.10.9.9.9"),
        "the mismatch path is shown: {all}"
    );
    assert!(
        all.contains("last output, where the check looks (all of it with -v):"),
        "{all}"
    );
    assert!(
        all.contains("script.rhai:6:5"),
        "the failing check inside together is located: {all}"
    );
}

#[test]
fn a_missing_image_is_reported_before_anything_is_created() {
    if !enabled("a_missing_image_is_reported_before_anything_is_created") {
        return;
    }
    let (_guard, host) = lab_vm();
    let out = run_tiny(
        &host,
        "e2e_noimage",
        "",
        &["--image", "mplsrepl-no-such-image:1"],
    );
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("image mplsrepl-no-such-image:1 is not on the engine at"),
        "{all}"
    );
}

/// Needs no VM: nothing listens on port 1.
#[test]
fn an_unreachable_engine_is_named_with_docker_host() {
    let out = mplsrepl("tcp://127.0.0.1:1", &["run", "scripts/mpls_vpn.rhai"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("tcp://127.0.0.1:1"), "{all}");
    assert!(all.contains("DOCKER_HOST"), "{all}");
    assert!(
        !all.contains("mid-run"),
        "an engine that never answered did not stop mid-run: {all}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "one line says what failed: {stderr}");
    assert!(errors[0].contains("connection refused"), "{stderr}");
    assert!(
        !errors[0].contains("client error"),
        "the transport's own chain is not repeated: {stderr}"
    );
    assert!(stderr.contains("help: `mplsrepl vm up`"), "{stderr}");
    for command in [&["status"][..], &["down", "somelab"]] {
        let out = mplsrepl("tcp://127.0.0.1:1", command);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{command:?}");
        assert!(
            stderr.starts_with("error: cannot reach the Docker engine at tcp://127.0.0.1:1"),
            "{command:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 2, "{command:?}: {stderr}");
    }
}

/// The official FRR images' entrypoint is `/usr/lib/frr/docker-start` (watchfrr in the
/// foreground) rather than Debian's `frrinit.sh`. No registry is reachable here, so the layout
/// is rebuilt on the local image: the same docker-start script as the official images ship, as
/// the image's entrypoint. mplsrepl replaces the entrypoint and starts the daemons itself.
/// Keep `container`'s network namespace alive after the container is gone, as a slow or busy
/// kernel does while it cleans a namespace up in the background: a process on the engine's
/// host (another container sharing its PIDs) enters the namespace and sleeps. Returns the
/// holder's name, to be removed with [`release_netns`].
fn hold_netns(host: &str, container: &str) -> String {
    let d = docker(host);
    let holder = format!("{container}-netns-holder");
    block_on(async {
        let pid = d
            .inspect_container(container, None)
            .await
            .unwrap()
            .state
            .and_then(|s| s.pid)
            .unwrap_or_else(|| panic!("{container} has no process"));
        let host_pids = bollard::models::HostConfig {
            privileged: Some(true),
            pid_mode: Some("host".into()),
            network_mode: Some("none".into()),
            ..Default::default()
        };
        let pid = pid.to_string();
        let hold = ["nsenter", "-t", &pid, "-n", "sleep", "600"];
        fresh_container(&d, &holder, mplsrepl::vm::IMAGE, &hold, Some(host_pids)).await;
    });
    holder
}

fn release_netns(host: &str, holder: &str) {
    let d = docker(host);
    let rm = RemoveContainerOptionsBuilder::new().force(true).build();
    block_on(async {
        let _ = d.remove_container(holder, Some(rm)).await;
    });
}

fn docker_start_image(host: &str) -> String {
    const IMAGE: &str = "mplsrepl-e2e/frr-docker-start:3";
    let d = docker(host);
    block_on(async {
        if d.inspect_image(IMAGE).await.is_ok() {
            return;
        }
        let name = "mplsrepl-e2e-build";
        let script = "printf '#!/bin/bash\\nsource /usr/lib/frr/frrcommon.sh\\n/usr/lib/frr/watchfrr $(daemon_list)\\n' \
                      > /usr/lib/frr/docker-start && chmod +x /usr/lib/frr/docker-start";
        fresh_container(&d, name, mplsrepl::vm::IMAGE, &["sh", "-c", script], None).await;
        use futures_util::StreamExt;
        let mut wait = d.wait_container(name, None);
        while let Some(r) = wait.next().await {
            r.unwrap();
        }
        let (repo, tag) = IMAGE.split_once(':').unwrap();
        let opts = bollard::query_parameters::CommitContainerOptionsBuilder::new()
            .container(name)
            .repo(repo)
            .tag(tag)
            .build();
        let config = bollard::models::ContainerConfig {
            entrypoint: Some(vec!["/usr/lib/frr/docker-start".into()]),
            cmd: Some(vec![]),
            ..Default::default()
        };
        d.commit_container(opts, config).await.unwrap();
        let rm = RemoveContainerOptionsBuilder::new().force(true).build();
        let _ = d.remove_container(name, Some(rm)).await;
    });
    IMAGE.to_string()
}

#[test]
fn an_image_with_the_official_docker_start_layout_runs_a_lab() {
    if !enabled("an_image_with_the_official_docker_start_layout_runs_a_lab") {
        return;
    }
    let (_guard, host) = lab_vm();
    let image = docker_start_image(&host);
    let body = "set_profile(\"fast\");\n\
                import \"ospf\" as ospf;\n\
                ospf::core(\"A\"); ospf::core(\"B\");\n\
                ospf::expect_full(\"A\", [\"10.9.9.2\"]);\n\
                expect_ping(\"A\", \"10.9.9.2\", \"10.9.9.1\");";
    let out = run_tiny(&host, "e2e_dockerstart", body, &["--image", &image]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("ok A: ping -I 10.9.9.1 10.9.9.2 succeeds"),
        "{all}"
    );
}

/// SIGTERM to `mplsrepl run` in the middle of creating the lab, as a service manager would
/// send it: the run stops at the next safe point and removes the part of the lab it made,
/// labelled objects only; `down` afterwards finds nothing left.
#[test]
fn a_run_terminated_mid_deploy_removes_what_it_made() {
    if !enabled("a_run_terminated_mid_deploy_removes_what_it_made") {
        return;
    }
    let (_guard, host) = lab_vm();
    let lab = "e2e_killed";
    mplsrepl(&host, &["down", lab]);
    let foreign = Foreign::create(&host);
    let run = Running::start(&host, &["run", "scripts/mpls_vpn.rhai", "--lab-name", lab]);
    wait_for_a_container(&host, lab);
    let (code, all) = run.signal_and_wait("TERM");
    assert_eq!(code, Some(143), "{all}");
    assert!(all.contains("interrupted by SIGTERM"), "{all}");
    assert!(all.contains(&format!("removing lab {lab}")), "{all}");
    assert_eq!(
        lab_objects(&host, lab),
        (vec![], vec![]),
        "the interrupted run left objects behind"
    );
    let down = mplsrepl(&host, &["down", lab]);
    assert!(down.status.success(), "{}", text(&down));
    assert!(
        foreign.still_there(),
        "the cleanup removed something it did not create"
    );
}

/// Ctrl-C during `run --down` while the lab is being created: the run stops promptly, removes
/// the lab by itself (no `down` needed), says so, and exits with 130.
#[test]
fn ctrl_c_mid_deploy_with_down_removes_the_lab_by_itself() {
    if !enabled("ctrl_c_mid_deploy_with_down_removes_the_lab_by_itself") {
        return;
    }
    let (_guard, host) = lab_vm();
    let lab = "e2e_ctrl_c";
    mplsrepl(&host, &["down", lab]);
    let foreign = Foreign::create(&host);
    let run = Running::start(
        &host,
        &["run", "scripts/mpls_vpn.rhai", "--lab-name", lab, "--down"],
    );
    wait_for_a_container(&host, lab);
    let signalled = Instant::now();
    let (code, all) = run.signal_and_wait("INT");
    eprintln!(
        "[e2e] exited {:.1} s after SIGINT",
        signalled.elapsed().as_secs_f64()
    );
    assert_eq!(code, Some(130), "{all}");
    assert!(all.contains("interrupted by SIGINT"), "{all}");
    assert!(
        all.contains("removed") && all.contains(&format!("of lab {lab}")),
        "the run says it removed the lab: {all}"
    );
    assert_eq!(
        lab_objects(&host, lab),
        (vec![], vec![]),
        "the interrupted run left objects behind"
    );
    assert!(
        foreign.still_there(),
        "the cleanup removed something it did not create"
    );
}

/// `run --step` does what the answers say, typed ahead all at once: run step 1 (create), skip
/// step 2 (its failing check is not run), run step 3, quit before step 4 with the lab kept.
#[test]
fn run_step_runs_skips_and_quits_as_answered() {
    if !enabled("run_step_runs_skips_and_quits_as_answered") {
        return;
    }
    let (_guard, host) = lab_vm();
    let lab = "e2e_step";
    mplsrepl(&host, &["down", lab]);
    let script = tiny_script(
        lab,
        "topology(\"tiny.topo\");\n\
         step(\"create\"); up();\n\
         step(\"a wrong check\"); expect(\"A\", \"show interface json\", #{ eth9: #{} });\n\
         step(\"a right check\"); expect(\"A\", \"show interface json\", #{ eth0: #{} });\n\
         step(\"never run\"); expect(\"B\", \"show interface json\", #{ eth9: #{} });\n",
    );
    let mut run = Running::start(&host, &["run", &script, "--lab-name", lab, "--step"]);
    run.type_in("\ns\n\nq\n");
    let (code, all) = run.wait_within(300);
    assert_eq!(code, Some(1), "quitting is not a success: {all}");
    assert!(all.contains("containers up with FRR"), "{all}");
    assert!(
        all.contains("skipped: its configuration is dropped and its checks are not run"),
        "{all}"
    );
    assert!(
        !all.contains("FAIL A:") && !all.contains("FAIL B:"),
        "a skipped or unreached check ran: {all}"
    );
    assert!(
        all.contains("ok A: `show interface json` contains"),
        "step 3 ran its check: {all}"
    );
    assert!(all.contains("stopped before step 4 by the user"), "{all}");
    let (containers, _) = lab_objects(&host, lab);
    assert_eq!(
        containers.len(),
        3,
        "quitting keeps the lab (2 routers, the links): {all}"
    );
    let down = mplsrepl(&host, &["down", lab]);
    assert!(down.status.success(), "{}", text(&down));
    assert_eq!(lab_objects(&host, lab), (vec![], vec![]));
}

/// Ctrl-C while `run --step` waits for Enter ends the run at once (no Enter needed), and
/// nothing was created.
#[test]
fn ctrl_c_at_the_step_prompt_ends_the_run_without_enter() {
    if !enabled("ctrl_c_at_the_step_prompt_ends_the_run_without_enter") {
        return;
    }
    let (_guard, host) = lab_vm();
    let lab = "e2e_step_prompt";
    mplsrepl(&host, &["down", lab]);
    let script = tiny_script(lab, "topology(\"tiny.topo\");\nstep(\"create\");\nup();\n");
    let run = Running::start(&host, &["run", &script, "--lab-name", lab, "--step"]);
    run.wait_for_text("this step will do", 60);
    // The prompt itself has no newline to wait for; give it a moment to be read.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let signalled = Instant::now();
    let (code, all) = run.signal_and_wait_within("INT", 10);
    eprintln!(
        "[e2e] exited {:.1} s after SIGINT",
        signalled.elapsed().as_secs_f64()
    );
    assert_eq!(code, Some(130), "{all}");
    assert_eq!(lab_objects(&host, lab), (vec![], vec![]), "{all}");
}

/// dockerd restarted while a run keeps exec'ing: the run fails naming the engine and
/// DOCKER_HOST, and once dockerd is back `down` removes the stopped containers and the networks.
#[test]
fn a_dockerd_restart_mid_run_is_named_and_down_cleans_up_after() {
    if !enabled("a_dockerd_restart_mid_run_is_named_and_down_cleans_up_after") {
        return;
    }
    let (_guard, host) = lab_vm();
    let lab = "e2e_restart";
    mplsrepl(&host, &["down", lab]);
    let foreign = Foreign::create(&host);
    let script = tiny_script(
        lab,
        "topology(\"tiny.topo\");\nup();\nfor i in 0..600 { vtysh(\"A\", \"show version\"); }\n",
    );
    let run = Running::start(&host, &["run", &script, "--lab-name", lab]);
    run.wait_for_text("containers up with FRR", 240);
    let cfg = mplsrepl::vm::VmConfig::from_env();
    let restarted = Instant::now();
    mplsrepl::vm::shell(
        &cfg,
        "systemctl restart docker",
        std::time::Duration::from_secs(120),
    )
    .expect("restart dockerd in the VM");
    eprintln!(
        "[e2e] dockerd restarted in {:.1} s",
        restarted.elapsed().as_secs_f64()
    );
    let (code, all) = run.wait();
    assert_ne!(code, Some(0), "{all}");
    assert!(
        all.contains(&format!(
            "the Docker engine at {host} (DOCKER_HOST) stopped answering mid-run"
        )),
        "{all}"
    );
    assert!(all.contains(&format!("`mplsrepl down {lab}`")), "{all}");
    wait_for_dockerd(&host);
    let down = mplsrepl(&host, &["down", lab]);
    assert!(down.status.success(), "{}", text(&down));
    assert_eq!(lab_objects(&host, lab), (vec![], vec![]));
    // The restart stopped the foreign container, so only its presence tells.
    assert!(
        foreign.exists().0,
        "down removed something it did not create"
    );
}

/// Ctrl-C while a lab is made, with nobody reading mplsrepl's output (`mplsrepl up ... 2>&1
/// | head`, the reader gone): the lab is still removed. Writing the interrupt's message to a
/// stderr without reader used to end the process before its cleanup.
#[test]
fn ctrl_c_with_no_reader_of_the_output_still_removes_the_lab() {
    if !enabled("ctrl_c_with_no_reader_of_the_output_still_removes_the_lab") {
        return;
    }
    let (_guard, host) = lab_vm();
    let lab = "e2e_no_reader";
    mplsrepl(&host, &["down", lab]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_mplsrepl"))
        .args([
            "up",
            "tests/labs/tiny.topo",
            "--lab-name",
            lab,
            "--color",
            "never",
        ])
        .env("DOCKER_HOST", &host)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    wait_for_a_container(&host, lab);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let left = lab_objects(&host, lab);
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
    }
    mplsrepl(&host, &["down", lab]);
    assert_eq!(
        left,
        (vec![], vec![]),
        "the interrupted lab was left behind"
    );
}

/// `mplsrepl` running in the background, its stdout and stderr collected as they come.
struct Running {
    child: std::process::Child,
    /// Kept open: a prompt waiting on it waits for good, as for a user at the terminal.
    stdin: Option<std::process::ChildStdin>,
    output: std::sync::Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Running {
    fn start(host: &str, args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mplsrepl"))
            .args(args)
            .args(["--color", "never"])
            .env("DOCKER_HOST", host)
            .current_dir(root())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let output = std::sync::Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        let streams: [Box<dyn std::io::Read + Send>; 2] = [
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ];
        for stream in streams {
            let output = output.clone();
            readers.push(std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let mut out = output.lock().unwrap();
                    out.push_str(&line);
                    out.push('\n');
                }
            }));
        }
        Running {
            child,
            stdin,
            output,
            readers,
        }
    }

    /// Type `text` on its stdin, as a user would at the prompts.
    fn type_in(&mut self, text: &str) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    fn wait_for_text(&self, text: &str, secs: u64) {
        let started = Instant::now();
        while !self.output.lock().unwrap().contains(text) {
            assert!(
                started.elapsed().as_secs() < secs,
                "no `{text}` within {secs} s:\n{}",
                self.output.lock().unwrap()
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    fn signal_and_wait(self, signal: &str) -> (Option<i32>, String) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.wait()
    }

    /// Signal, then wait at most `secs`.
    fn signal_and_wait_within(self, signal: &str, secs: u64) -> (Option<i32>, String) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.wait_within(secs)
    }

    /// Wait at most `secs`; a process still running then is killed and the test fails
    /// (rather than hanging the suite).
    fn wait_within(mut self, secs: u64) -> (Option<i32>, String) {
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if started.elapsed().as_secs() >= secs {
                let _ = self.child.kill();
                let (_, all) = self.wait();
                panic!("still running after {secs} s:\n{all}");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        self.wait()
    }

    fn wait(mut self) -> (Option<i32>, String) {
        // End of input: a prompt nobody answers must not hold a plain wait up for good.
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        for r in self.readers {
            let _ = r.join();
        }
        let all = self.output.lock().unwrap().clone();
        eprintln!("[e2e] background mplsrepl -> {status}\n{all}---");
        (status.code(), all)
    }
}

/// Until some (not necessarily all) of the lab's routers exist: the deploy is under way (the
/// MPLS probe, labelled with the lab too, comes before).
fn wait_for_a_container(host: &str, lab: &str) {
    let started = Instant::now();
    let router = format!("/{lab}-");
    while !lab_objects(host, lab)
        .0
        .iter()
        .any(|name| name.starts_with(&router))
    {
        assert!(
            started.elapsed().as_secs() < 180,
            "the run never created a container"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn wait_for_dockerd(host: &str) {
    let started = Instant::now();
    loop {
        let up = block_on(async {
            match Docker::connect_with_host(host) {
                Ok(d) => d.ping().await.is_ok(),
                Err(_) => false,
            }
        });
        if up {
            return;
        }
        assert!(
            started.elapsed().as_secs() < 120,
            "dockerd did not come back"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// Two copies of one topology under different lab names: same subnets, same router names,
/// one engine. Each works, and removing one leaves the other running.
#[test]
fn two_labs_with_the_same_topology_run_side_by_side() {
    if !enabled("two_labs_with_the_same_topology_run_side_by_side") {
        return;
    }
    let (_guard, host) = lab_vm();
    // One twin on a Docker network, the other on a veth pair: both wirings, side by side.
    for (lab, links) in [("e2e_twin_a", "docker"), ("e2e_twin_b", "veth")] {
        mplsrepl(&host, &["down", lab]);
        let out = mplsrepl(
            &host,
            &[
                "up",
                "tests/labs/tiny.topo",
                "--lab-name",
                lab,
                "--links",
                links,
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let (a, a_networks) = lab_objects(&host, "e2e_twin_a");
    assert_eq!(
        (a.len(), a_networks),
        (2, vec!["e2e_twin_a-ab".to_string()])
    );
    assert_eq!(
        lab_objects(&host, "e2e_twin_b"),
        (
            vec![
                "/e2e_twin_b-A".to_string(),
                "/e2e_twin_b-B".into(),
                "/e2e_twin_b.links".into()
            ],
            vec![]
        )
    );
    let over_docker = exec_in(
        &host,
        "e2e_twin_a-A",
        &["ping", "-c", "2", "-W", "2", "10.9.0.2"],
    );
    assert!(
        over_docker.contains(" 0% packet loss"),
        "the lab on a Docker network works: {over_docker}"
    );
    // A core link has room for labels on both wirings (the Docker network's MTU option).
    for twin in ["e2e_twin_a-A", "e2e_twin_b-B"] {
        let mtu = exec_in(&host, twin, &["cat", "/sys/class/net/eth0/mtu"]);
        assert_eq!(mtu.trim(), "1600", "{twin}: {mtu}");
    }
    let down = mplsrepl(&host, &["down", "e2e_twin_a"]);
    assert!(down.status.success(), "{}", text(&down));
    assert_eq!(lab_objects(&host, "e2e_twin_a"), (vec![], vec![]));
    // The twin still answers: A pings B's address on their link.
    let reply = exec_in(
        &host,
        "e2e_twin_b-A",
        &["ping", "-c", "2", "-W", "2", "10.9.0.2"],
    );
    mplsrepl(&host, &["down", "e2e_twin_b"]);
    assert!(
        reply.contains(" 0% packet loss"),
        "the remaining lab works: {reply}"
    );
}

/// A `network` segment is one broadcast domain for its three routers (a bridge in the links
/// container), and a link beside it works too.
#[test]
fn a_network_segment_joins_three_routers_on_one_lan() {
    if !enabled("a_network_segment_joins_three_routers_on_one_lan") {
        return;
    }
    let (_guard, host) = lab_vm();
    let lab = "e2e_lan";
    mplsrepl(&host, &["down", lab]);
    let out = mplsrepl(&host, &["up", "tests/labs/lan.topo", "--lab-name", lab]);
    let all = text(&out);
    let pings = [
        ("A", "10.8.0.2"),
        ("A", "10.8.0.3"),
        ("C", "10.8.0.2"),
        ("B", "10.8.1.2"),
    ]
    .map(|(from, to)| {
        let reply = exec_in(
            &host,
            &format!("{lab}-{from}"),
            &["ping", "-c", "2", "-W", "2", to],
        );
        (from, to, reply)
    });
    let down = mplsrepl(&host, &["down", lab]);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("network e2e_lan-lan for 10.8.0.0/24 (bridge in e2e_lan.links, MTU 1600)"),
        "{all}"
    );
    for (from, to, reply) in pings {
        assert!(reply.contains(" 0% packet loss"), "{from} -> {to}: {reply}");
    }
    assert!(down.status.success(), "{}", text(&down));
    assert_eq!(lab_objects(&host, lab), (vec![], vec![]));
}

/// Without DOCKER_HOST (and no local engine), `run` starts the lab VM itself and says so.
#[test]
fn run_without_docker_host_uses_the_lab_vm() {
    if !enabled("run_without_docker_host_uses_the_lab_vm") {
        return;
    }
    if std::path::Path::new("/var/run/docker.sock").exists() {
        eprintln!(
            "*** SKIPPED run_without_docker_host_uses_the_lab_vm: a local Docker socket exists ***"
        );
        return;
    }
    let (_guard, _host) = lab_vm();
    let script = tiny_script("novm", "topology(\"tiny.topo\");\nup();\nrouter(\"A\").addresses();\nrouter(\"B\").addresses();\nexpect_ping(\"A\", \"10.9.0.2\");\n");
    let out = Command::new(env!("CARGO_BIN_EXE_mplsrepl"))
        .args([
            "run",
            &script,
            "--lab-name",
            "e2e_novm",
            "--down",
            "--color",
            "never",
        ])
        .env_remove("DOCKER_HOST")
        .current_dir(root())
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("starting the lab VM"), "{all}");
    assert!(all.contains("ok A: ping 10.9.0.2 succeeds"), "{all}");
}

/// Every golden frr.conf (the seed lab and the general lab) is accepted by the real FRR of
/// both lab images: `vtysh --dryrun` parses each file with FRR's own grammar.
#[test]
fn golden_configurations_are_valid_for_real_frr() {
    if !enabled("golden_configurations_are_valid_for_real_frr") {
        return;
    }
    let (_guard, host) = lab_vm();
    let mut files = Vec::new();
    for dir in ["tests/golden/mpls_vpn", "tests/golden/general"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "conf") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 17, "{files:?}");
    let mut tar = tar::Builder::new(Vec::new());
    for (i, f) in files.iter().enumerate() {
        tar.append_path_with_name(f, format!("{i}.conf")).unwrap();
    }
    let tar = tar.into_inner().unwrap();
    for image in ["labfrr:10", "labfrr:8"] {
        dryrun_all(&host, image, &files, &tar);
    }
}

/// A container of `image` under `name` running `entrypoint`, started; one of that name left by
/// an earlier run is removed first.
async fn fresh_container(
    d: &Docker,
    name: &str,
    image: &str,
    entrypoint: &[&str],
    host_config: Option<bollard::models::HostConfig>,
) {
    let rm = RemoveContainerOptionsBuilder::new().force(true).build();
    let _ = d.remove_container(name, Some(rm)).await;
    let body = ContainerCreateBody {
        image: Some(image.into()),
        entrypoint: Some(entrypoint.iter().map(|w| w.to_string()).collect()),
        host_config,
        ..Default::default()
    };
    d.create_container(
        Some(CreateContainerOptionsBuilder::new().name(name).build()),
        body,
    )
    .await
    .unwrap();
    d.start_container(name, None).await.unwrap();
}

/// What a container runs to stay up doing nothing.
const IDLE: [&str; 3] = ["tail", "-f", "/dev/null"];

fn dryrun_all(host: &str, image: &str, files: &[std::path::PathBuf], tar: &[u8]) {
    let tar = tar.to_vec();
    let d = docker(host);
    let name = "mplsrepl-e2e-vtysh-check";
    let out = block_on(async {
        fresh_container(&d, name, image, &IDLE, None).await;
        d.upload_to_container(
            name,
            Some(
                bollard::query_parameters::UploadToContainerOptionsBuilder::new()
                    .path("/tmp")
                    .build(),
            ),
            bollard::body_full(tar.into()),
        )
        .await
        .unwrap();
        let check = (0..files.len())
            .map(|i| format!("vtysh --dryrun -f /tmp/{i}.conf >/tmp/{i}.out 2>&1 || {{ echo FAILED {i}; cat /tmp/{i}.out; }}"))
            .collect::<Vec<_>>()
            .join("; ");
        let argv = vec![
            "sh".to_string(),
            "-c".to_string(),
            format!("{check}; echo DONE"),
        ];
        let text = exec_text(&d, name, argv).await;
        let rm = RemoveContainerOptionsBuilder::new().force(true).build();
        let _ = d.remove_container(name, Some(rm)).await;
        text
    });
    assert!(out.contains("DONE"), "{out}");
    let failed: Vec<String> = out
        .lines()
        .filter_map(|l| l.strip_prefix("FAILED "))
        .filter_map(|i| i.trim().parse::<usize>().ok())
        .map(|i| files[i].display().to_string())
        .collect();
    assert!(failed.is_empty(), "{image}: FRR rejects {failed:?}:\n{out}");
}

/// The round trip of every router's rendering of the seed and general labs, on both FRR lines:
/// loaded with `vtysh -f` into a router running every daemon, FRR's `show running-config`
/// must read back as the intent says (frr::readback and its table of known differences), so
/// that the read-back after each step cannot fail a lab FRR took whole.
#[test]
fn every_rendering_reads_back_from_both_frr_lines() {
    if !enabled("every_rendering_reads_back_from_both_frr_lines") {
        return;
    }
    let (_guard, host) = lab_vm();
    let mut routers = Vec::new();
    for script in [
        "scripts/mpls_vpn.rhai",
        "scripts/mpls_vpn_isis.rhai",
        "scripts/mpls_vpn_sr.rhai",
        "tests/labs/general.rhai",
        "tests/labs/sr_variants.rhai",
        "tests/labs/l2vpn_signalling.rhai",
    ] {
        let (engine, _) =
            common::plan_script(&root().join(script), mplsrepl::script::Options::default());
        let engine = engine.unwrap_or_else(|e| panic!("{script}: {e}"));
        let sess = engine.session.borrow();
        for (name, intent) in &sess.deploy.desired.routers {
            // The IS-IS lab's CEs are the seed's: only its core routers are new renderings.
            let new_rendering = intent.isis.is_some() || intent.ospf.contains_key(&None);
            if (script.ends_with("_isis.rhai") || script.contains("sr")) && !new_rendering {
                continue;
            }
            if script.contains("l2vpn") && intent.l2vpns.is_empty() {
                continue;
            }
            routers.push((format!("{script}:{name}"), intent.clone()));
        }
    }
    assert!(routers.len() >= 19, "{}", routers.len());
    // A router whose every kind of line another router has too reads back as that one does:
    // only the others are loaded (starting a router's FRR costs seconds of the emulated VM's
    // CPU).
    let shapes: Vec<_> = routers.iter().map(|(_, i)| rendering_shape(i)).collect();
    let covered = |i: usize| {
        shapes.iter().enumerate().any(|(j, other)| {
            j != i && shapes[i].is_subset(other) && (shapes[i] != *other || j < i)
        })
    };
    let keep: Vec<bool> = (0..routers.len()).map(|i| !covered(i)).collect();
    let mut keep = keep.into_iter();
    routers.retain(|_| keep.next().unwrap());
    let d = docker(&host);
    for (image, version) in [
        ("labfrr:10", mplsrepl::frr::FrrVersion::new(10, 0)),
        ("labfrr:8", mplsrepl::frr::FrrVersion::new(8, 0)),
    ] {
        // One container for the FRR line, each router in a network namespace of its own: what
        // zebra put in the kernel (a loopback address) outlives FRR, and would make the next
        // router's configuration mean something else; a namespace takes it all away, and costs
        // a fraction of a container's start and removal under emulation. Each router runs the
        // daemons its intent needs, as in a lab (a line for a daemon it does not run would
        // fail there too).
        let name = format!("mplsrepl-e2e-readback-{}", &image[7..]);
        let failures: Vec<String> = block_on(async {
            let privileged = bollard::models::HostConfig {
                privileged: Some(true),
                network_mode: Some("none".into()),
                init: Some(true),
                ..Default::default()
            };
            fresh_container(&d, &name, image, &IDLE, Some(privileged)).await;
            let mut failures = Vec::new();
            for (i, (router, intent)) in routers.iter().enumerate() {
                let daemons =
                    mplsrepl::frr::daemons::needed(mplsrepl::topology::Role::Ce, Some(intent));
                let start = mplsrepl::frr::start::script(&mplsrepl::frr::start::Node {
                    router: "R",
                    version,
                    daemons: &daemons,
                });
                let conf = mplsrepl::frr::render::frr_conf(intent);
                let run = mplsrepl::frr::start::RUN_DIR;
                let script = format!(
                    "ip netns add r{i}
                     ip netns exec r{i} sh -e <<'MPLSREPL_START'
{start}MPLSREPL_START
                     cat > /tmp/r.conf <<'MPLSREPL_EOF'\n{conf}MPLSREPL_EOF\n\
                     vtysh -f /tmp/r.conf >/tmp/r.out 2>&1 || {{ echo APPLY FAILED; cat /tmp/r.out; }}\n\
                     echo @@RUNNING@@; vtysh -c 'show running-config'; echo @@END@@\n\
                     pids=$(cat {run}/*.pid 2>/dev/null); kill $pids 2>/dev/null\n\
                     for t in $(seq 1 100); do up=0; for p in $pids; do kill -0 $p 2>/dev/null && up=1; done; \
                     [ $up = 0 ] && break; sleep 0.1; done\n\
                     kill -9 $pids 2>/dev/null; rm -rf {run}/* /var/log/frr/*; ip netns del r{i}\n"
                );
                let out = exec_text(&d, &name, vec!["sh".into(), "-c".into(), script]).await;
                let Some((before, running)) = out
                    .split_once("@@RUNNING@@")
                    .and_then(|(b, r)| Some((b, r.split_once("@@END@@")?.0)))
                else {
                    failures.push(format!("{router}: no running config:\n{out}"));
                    continue;
                };
                if before.contains("APPLY FAILED") {
                    failures.push(format!("{router}: vtysh -f failed:\n{before}"));
                }
                let expected = mplsrepl::frr::readback::Expected {
                    before: vec![],
                    after: mplsrepl::frr::render::router_config(intent),
                    raw: intent.raw_config.clone(),
                };
                if let Err(m) = mplsrepl::frr::readback::check(router, &expected, running, version)
                {
                    failures.push(format!("{m}\n--- running:\n{running}"));
                }
            }
            let rm = RemoveContainerOptionsBuilder::new().force(true).build();
            let _ = d.remove_container(&name, Some(rm)).await;
            failures
        });
        assert!(
            failures.is_empty(),
            "{image}: {} of {} routers do not read back:\n{}",
            failures.len(),
            routers.len(),
            failures.join("\n")
        );
    }
}

/// The set of a router's configuration lines, each under its block's first line, with the
/// hostname and comments left out, each address (with or without a prefix length) written
/// `A` or `A/len`, an IS-IS NET `NET` and an interface `ethN`. What FRR does with a line does
/// not depend on those, or on how often a line comes; it may on numbers such as timers (a
/// default is not shown), which are kept.
fn rendering_shape(intent: &mplsrepl::intent::RouterIntent) -> std::collections::BTreeSet<String> {
    let word = |previous: &str, w: &str| -> String {
        if w.parse::<std::net::IpAddr>().is_ok() {
            "A".into()
        } else if let Ok(net) = w.parse::<ipnet::IpNet>() {
            format!("A/{}", net.prefix_len())
        } else if previous == "net" {
            "NET".into()
        } else if w
            .strip_prefix("eth")
            .is_some_and(|n| n.parse::<u32>().is_ok())
        {
            "ethN".into()
        } else {
            w.into()
        }
    };
    let mut block = String::new();
    let mut shape = std::collections::BTreeSet::new();
    for line in mplsrepl::frr::render::frr_conf(intent).lines() {
        if line.starts_with('!') || line.starts_with("hostname ") {
            continue;
        }
        let mut previous = "";
        let mut normal = Vec::new();
        for w in line.split(' ') {
            normal.push(word(previous, w));
            previous = w;
        }
        let normal = normal.join(" ");
        if !line.starts_with(' ') {
            block = normal.clone();
        }
        shape.insert(format!("{block} | {normal}"));
    }
    shape
}

/// An exercise done by hand at the tutorial's prompt, in a real terminal: an incomplete
/// attempt, `:check` naming what still fails with its hint, `:hint`, the rest of the work,
/// `:check` until it passes; then the tutorial goes on, and its report records the exercise.
#[test]
fn an_exercise_is_done_by_hand_at_the_tutorials_prompt() {
    if !enabled("an_exercise_is_done_by_hand_at_the_tutorials_prompt") {
        return;
    }
    if !common::tmux::Tmux::available() {
        panic!("tmux is needed for this test (apt-get install tmux; .ci/run installs it)");
    }
    let (_vm, host) = lab_vm();
    let lab = "e2e_exercise";
    let script = tiny_script(
        lab,
        r#"topology("tiny.topo");
set_profile("fast");
up();
exercise("Make A and B OSPF neighbors", #{
    hints: ["`ospf::core(NAME)` runs OSPF on a router's loopback and core links", "both ends of a link need it"],
    solution: `ospf::core("A"); ospf::core("B");`,
    checks: [
        #{ what: "A sees B as a Full OSPF neighbor", hint: "`:show A ip ospf neighbor`",
           check: || {
               let n = show("A", "show ip ospf neighbor json").neighbors;
               n != () && "10.9.9.2" in n && n["10.9.9.2"][0].converged == "Full"
           } },
        #{ what: "A reaches B's loopback", hint: "`:show A ip route 10.9.9.2`",
           check: || ping("A", "10.9.9.2", "10.9.9.1") },
    ],
});
print("after the exercise");
"#,
    );
    let report = format!("{}/report.json", tempdir("exercise-report"));
    let command = format!(
        "DOCKER_HOST={} {} tutorial {} --lab-name {lab} --color never --report {}; echo \"[tutorial exited with status $?]\"",
        common::tmux::shell_quote(&host),
        common::tmux::shell_quote(env!("CARGO_BIN_EXE_mplsrepl")),
        common::tmux::shell_quote(&script),
        common::tmux::shell_quote(&report),
    );
    let started = Instant::now();
    let t = common::tmux::Tmux::start(&root(), &command);
    let prompt = format!("{lab}> ");
    // Creating the lab takes its time under emulation: wait for the exercise's prompt.
    t.wait_for_long("the exercise's prompt", 300, |s| {
        s.contains("your turn: Make A and B") && s.trim_end().ends_with(prompt.trim_end())
    });

    let before = t.line_done(r#"ospf::core("A");"#, &prompt);
    t.line(":check");
    let screen = t.wait_new(&before, "checkpoints hold");
    assert!(
        screen.contains("not yet  A sees B as a Full OSPF neighbor: `:show A ip ospf neighbor`"),
        "{screen}"
    );
    t.line(":hint");
    t.wait_text("hint 1 of 2: `ospf::core(NAME)`");

    t.line_done(r#"ospf::core("B");"#, &prompt);
    // OSPF needs a few seconds to reach Full: ask again as a learner would.
    let mut solved = false;
    for _ in 0..20 {
        let before = t.screen();
        t.line(":check");
        let screen = t.wait_for_long("the check's verdict", 60, |s| {
            s.matches("checkpoints hold").count() > before.matches("checkpoints hold").count()
                || s.contains("solved: all 2 checkpoints hold")
        });
        if screen.contains("solved: all 2 checkpoints hold") {
            solved = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(3));
    }
    let screen = t.wait_for_long("the end of the tutorial", 120, |s| {
        s.contains("[tutorial exited with status")
    });
    assert!(solved, "{screen}");
    assert!(screen.contains("1 of 2 hints"), "{screen}");
    assert!(screen.contains("after the exercise"), "{screen}");
    assert!(
        screen.contains("[tutorial exited with status 0]"),
        "{screen}"
    );
    let json = std::fs::read_to_string(&report).unwrap();
    assert!(
        json.contains("exercise: Make A and B OSPF neighbors (solved in"),
        "{json}"
    );
    assert!(json.contains("A sees B as a Full OSPF neighbor"), "{json}");
    eprintln!(
        "[e2e] exercise by hand in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let out = mplsrepl(&host, &["down", lab]);
    assert!(out.status.success(), "{}", text(&out));
}

/// Every fault of the break/fix catalogue on one lab in turn, through `mplsrepl tutorial`
/// unattended: made and made the lab's baseline, caught by the check the catalogue names (and
/// still caught 8 s later: the lab does not heal itself), then repaired by the reference fix of
/// an exercise until every check of the lab passes again. Then what-if, undo and trace on the
/// repaired lab (tests/labs/breakfix_all.rhai has both, to build the seed lab once).
#[test]
fn every_breakfix_fault_is_caught_by_its_check_and_repaired_by_its_fix() {
    if !enabled("every_breakfix_fault_is_caught_by_its_check_and_repaired_by_its_fix") {
        return;
    }
    let (_vm, host) = lab_vm();
    let lab = "e2e_breakfix";
    let out = mplsrepl(
        &host,
        &[
            "tutorial",
            "tests/labs/breakfix_all.rhai",
            "--yes",
            "--down",
            "--lab-name",
            lab,
            "--check-timeout",
            "120",
        ],
    );
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    for fault in [
        "rt_import",
        "mpls_input",
        "ospf_timers",
        "ldp_transport",
        "update_source",
        "vrf_binding",
        "platform_labels",
        "ce_default",
        "rt_export",
        "ldp_interface",
    ] {
        assert!(
            stdout.contains(&format!("caught {fault}: `"))
                && stdout.contains("` still fails after 8 s")
                && stdout.contains(&format!("repaired {fault}: ")),
            "{fault}: {stdout}"
        );
    }
    // The reference fixes were applied as a learner types them, and the lab was whole after
    // each: 7 checks before the first fault and 7 after each of the 10 fixes.
    assert_eq!(
        stdout
            .matches("ok checkpoint: CE1 cannot reach CE4")
            .count(),
        11,
        "{stdout}"
    );
    // Then the what-if experiments on the repaired lab: the diff shows the VPN route gone while
    // the link is down, the lab comes back, an RT change is undone, and the trace follows the
    // labels: push at PE1, PHP at PR, the VPN label popped into CUSTA at PE2, on the wire too.
    assert_eq!(
        stdout
            .matches("ok CE1: ping -I 192.168.1.1 192.168.2.1 succeeds")
            .count(),
        3,
        "before, after the what-if, after undo: {stdout}"
    );
    for expected in [
        "- PE2 vrf CUSTA 192.168.1.0/24: bgp via 1.1.1.1",
        "ok CE1 loses CE2",
        "reverted: the lab is back as before",
        "ok CE1 loses CE2 (route targets differ)",
        "(VRF CUSTA) via 10.1.1.254 eth0",
        "PE1    push ",
        "PR     pop ",
        "(PHP) via 10.1.2.2",
        "(VPN label), lookup in VRF CUSTA",
        "CE2    deliver to 192.168.2.1",
        "ok on the wire at PE1 eth0: echo requests carry labels",
    ] {
        assert!(
            stdout.contains(expected),
            "the what-if steps lack `{expected}`: {stdout}"
        );
    }
    assert_eq!(lab_objects(&host, lab), (vec![], vec![]));
}
