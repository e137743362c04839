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
fn lab_vm() -> (MutexGuard<'static, ()>, String) {
    static LOCK: Mutex<()> = Mutex::new(());
    static HOST: OnceLock<String> = OnceLock::new();
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
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

fn mplsrepl(host: &str, args: &[&str]) -> Output {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_mplsrepl"))
        .args(args)
        .args(["--color", "never"])
        .env("DOCKER_HOST", host)
        .current_dir(root())
        .output()
        .expect("run mplsrepl");
    eprintln!(
        "[e2e] mplsrepl {} -> {} in {:.1} s\n--- stdout\n{}--- stderr\n{}---",
        args.join(" "),
        out.status,
        started.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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

/// Names of containers and networks carrying `mplsrepl.lab=LAB`.
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
        (
            c.into_iter()
                .filter_map(|c| c.names?.first().cloned())
                .collect(),
            n.into_iter().filter_map(|n| n.name).collect(),
        )
    })
}

/// A container and a network mplsrepl did not create: `down` must leave them alone.
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
            let body = ContainerCreateBody {
                image: Some(mplsrepl::vm::IMAGE.into()),
                entrypoint: Some(vec!["tail".into(), "-f".into(), "/dev/null".into()]),
                ..Default::default()
            };
            d.create_container(
                Some(
                    CreateContainerOptionsBuilder::new()
                        .name(Self::NAME)
                        .build(),
                ),
                body,
            )
            .await
            .unwrap();
        });
        Foreign {
            host: host.to_string(),
        }
    }

    fn still_there(&self) -> bool {
        let d = docker(&self.host);
        block_on(async {
            d.inspect_container(Self::NAME, None).await.is_ok()
                && d.inspect_network(Self::NAME, None).await.is_ok()
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
    let out = mplsrepl(
        &host,
        &[
            "run",
            "scripts/mpls_vpn.rhai",
            "--profile",
            "fast",
            "--check-timeout",
            "120",
            "--capture-dir",
            &captures,
        ],
    );
    let all = text(&out);
    assert!(out.status.success(), "the seed lab failed:\n{all}");
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
            mplsrepl::check::capture::parse_pcap(&bytes)
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
        (7, 6),
        "the lab stays up after run"
    );
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

fn tempdir(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("mplsrepl-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.display().to_string()
}

/// A script on the two-router lab, run under its own lab name; returns the run's output.
fn run_tiny(host: &str, lab: &str, body: &str, extra: &[&str]) -> Output {
    let dir = tempdir(lab);
    std::fs::copy(
        root().join("tests/labs/tiny.topo"),
        format!("{dir}/tiny.topo"),
    )
    .unwrap();
    let script = format!("{dir}/script.rhai");
    std::fs::write(
        &script,
        format!("topology(\"tiny.topo\");\nup();\n{body}\n"),
    )
    .unwrap();
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

#[test]
fn frr_rejecting_a_line_names_the_router_the_line_and_frrs_message() {
    if !enabled("frr_rejecting_a_line_names_the_router_the_line_and_frrs_message") {
        return;
    }
    let (_guard, host) = lab_vm();
    let out = run_tiny(
        &host,
        "e2e_reject",
        "router(\"A\").frr(\"bogus command here\");\napply();",
        &[],
    );
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("A: FRR rejected the configuration"), "{all}");
    assert!(
        all.contains("bogus command here"),
        "the rejected line is shown: {all}"
    );
    assert!(
        all.contains("Unknown command"),
        "FRR's own message is shown: {all}"
    );
    assert!(
        all.contains("script.rhai:4:"),
        "the error points into the script: {all}"
    );
}

#[test]
fn a_check_that_times_out_shows_what_was_last_observed() {
    if !enabled("a_check_that_times_out_shows_what_was_last_observed") {
        return;
    }
    let (_guard, host) = lab_vm();
    let body = "router(\"A\").addresses().ospf().network(\"10.9.0.0/24\", 0);\n\
                expect(\"A\", \"show ip ospf neighbor json\", #{ neighbors: #{ \"10.9.9.9\": [#{ converged: \"Full\" }] } }, 3);";
    let out = run_tiny(&host, "e2e_timeout", body, &[]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("check failed on A: `show ip ospf neighbor json` after 3 s"),
        "{all}"
    );
    assert!(
        all.contains("neighbors.10.9.9.9"),
        "the mismatch path is shown: {all}"
    );
    assert!(all.contains("last output:"), "{all}");
    assert!(
        all.contains("script.rhai:4:1"),
        "the failing check is located: {all}"
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
}

/// The official FRR images start with `/usr/lib/frr/docker-start` (watchfrr in the foreground)
/// rather than Debian's `frrinit.sh`. No registry is reachable here, so the layout is rebuilt
/// on the local image: the same docker-start script the official images ship.
fn docker_start_image(host: &str) -> String {
    const IMAGE: &str = "mplsrepl-e2e/frr-docker-start:3";
    let d = docker(host);
    block_on(async {
        if d.inspect_image(IMAGE).await.is_ok() {
            return;
        }
        let name = "mplsrepl-e2e-build";
        let rm = RemoveContainerOptionsBuilder::new().force(true).build();
        let _ = d.remove_container(name, Some(rm.clone())).await;
        let script = "printf '#!/bin/bash\\nsource /usr/lib/frr/frrcommon.sh\\n/usr/lib/frr/watchfrr $(daemon_list)\\n' \
                      > /usr/lib/frr/docker-start && chmod +x /usr/lib/frr/docker-start";
        let body = ContainerCreateBody {
            image: Some(mplsrepl::vm::IMAGE.into()),
            entrypoint: Some(vec!["sh".into(), "-c".into(), script.into()]),
            ..Default::default()
        };
        d.create_container(
            Some(CreateContainerOptionsBuilder::new().name(name).build()),
            body,
        )
        .await
        .unwrap();
        d.start_container(name, None).await.unwrap();
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
                expect_ping(\"A\", \"10.9.9.2\", \"10.9.9.1\");\n\
                if !sh(\"A\", \"ps -eo args\").contains(\"docker-start\") { fail(\"FRR was not started by docker-start\"); }";
    let out = run_tiny(&host, "e2e_dockerstart", body, &["--image", &image]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("ok A: ping -I 10.9.9.1 10.9.9.2 succeeds"),
        "{all}"
    );
}
