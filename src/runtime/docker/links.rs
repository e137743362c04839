//! Links as veth pairs ([`Wiring::Veth`]), made the way containerlab makes them: straight
//! into the routers' network namespaces, with the names the topology gives, by one helper
//! container per lab. Docker never sees a network, so the routers have no Docker address,
//! route or interface to remove, and nothing needs renaming.
//!
//! The helper (`<lab>.links`) is privileged and shares the engine host's PID namespace: that
//! is how it reaches a router's namespace (`/proc/PID/ns/net`) on a remote engine, where
//! mplsrepl has no shell. Its own network namespace holds the bridges of `network` segments
//! (a LAN, however many ends). When a router's container goes, its ends of the links go with it; when the
//! helper goes, the bridges do.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context};
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::CreateContainerOptionsBuilder;
use bollard::Docker;

use super::shell::shell_word;
use crate::runtime::action::{links_container_name, LabSpec};

/// Label of the helper container, so that teardown can tell it from the routers.
pub const LABEL_LINKS: &str = "mplsrepl.links";

/// Create and start the lab's links container.
pub async fn create_links_container(
    docker: &Docker,
    spec: &LabSpec,
    image: &str,
) -> anyhow::Result<()> {
    let name = links_container_name(&spec.lab);
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        hostname: Some("links".into()),
        entrypoint: Some(vec!["tail".into(), "-f".into(), "/dev/null".into()]),
        cmd: Some(vec![]),
        labels: Some(super::labels::lab_labels(spec, &[(LABEL_LINKS, "1")])),
        host_config: Some(HostConfig {
            privileged: Some(true),
            pid_mode: Some("host".into()),
            network_mode: Some("none".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let opts = CreateContainerOptionsBuilder::new().name(&name).build();
    docker
        .create_container(Some(opts), body)
        .await
        .with_context(|| format!("creating the links container {name} from image {image}"))?;
    crate::interrupt::check()?;
    docker
        .start_container(&name, None)
        .await
        .with_context(|| format!("starting the links container {name}"))?;
    Ok(())
}

/// The shell script, run in the links container, that makes every link of the lab and sets
/// both ends up. `pids` gives each router container's first process (host PID namespace).
///
/// A segment with two ends (a `link`) is one veth pair between the routers; any other
/// segment (a `network`) is a bridge in the helper's namespace with one veth per router.
/// Every failure names the segment and its ends.
pub fn wiring_script(spec: &LabSpec, pids: &HashMap<String, i64>) -> anyhow::Result<String> {
    // Namespaces are named by the container's position (`rN`); every name that comes from the
    // topology is quoted: this script runs as root beside every process of the engine's host.
    let handle: HashMap<&str, String> = spec
        .containers
        .iter()
        .enumerate()
        .map(|(n, c)| (c.name.as_str(), format!("r{n}")))
        .collect();
    let mut s = String::from(
        "fail() { echo \"$1\" >&2; exit 1; }\n\
         mkdir -p /var/run/netns || fail 'cannot make /var/run/netns'\n",
    );
    for c in &spec.containers {
        let pid = pids
            .get(&c.name)
            .ok_or_else(|| anyhow!("{}: no process id to reach its network namespace", c.name))?;
        // A PID the router no longer holds could be a host process in the host's namespace.
        let lost = shell_word(&format!(
            "{}: PID {pid} is not in a network namespace of its own",
            c.name
        ));
        s.push_str(&format!(
            "[ -e /proc/{pid}/ns/net ] && [ \"$(readlink /proc/{pid}/ns/net)\" != \"$(readlink /proc/1/ns/net)\" ] || fail {lost}\n\
             ln -sfn /proc/{pid}/ns/net /var/run/netns/{}\n",
            handle[c.name.as_str()],
        ));
    }
    if spec.networks.iter().any(|n| n.vxlan.is_some()) {
        // VXLAN devices are made where the engine's underlay is, the host's namespace.
        s.push_str("ln -sfn /proc/1/ns/net /var/run/netns/host || fail 'cannot reach the host network namespace'\n");
    }
    for (n, (segment, ends)) in spec.segment_ends().into_iter().enumerate() {
        let shown: Vec<String> = ends.iter().map(|(c, i)| format!("{c}:{i}")).collect();
        let what = format!("{}: {}", segment.name, shown.join(" - "));
        if let (Some(vx), [(c, iface)]) = (&segment.vxlan, ends.as_slice()) {
            let into = VxlanInto::Router {
                ns: &handle[c],
                iface,
            };
            s.push_str(&vxlan_end(vx, into, segment.mtu, &what));
            continue;
        }
        if ends.len() == 2 && !segment.multi_access {
            let ((a, a_if), (b, b_if)) = (ends[0], ends[1]);
            let (a, b, a_if, b_if) = (&handle[a], &handle[b], shell_word(a_if), shell_word(b_if));
            let failed = shell_word(&format!("link {what}: veth pair not made"));
            let mtu = segment.mtu;
            s.push_str(&format!(
                "ip link add {a_if} netns {a} type veth peer name {b_if} netns {b} \
                 && ip -n {a} link set {a_if} mtu {mtu} up && ip -n {b} link set {b_if} mtu {mtu} up \
                 || fail {failed}\n"
            ));
            continue;
        }
        // Names in the helper's namespace: at most 15 bytes whatever the lab's.
        let bridge = format!("b{n}");
        let failed = shell_word(&format!("network {what}: bridge not made"));
        s.push_str(&format!(
            "ip link add {bridge} type bridge mcast_snooping 0 && ip link set {bridge} up \
             || fail {failed}\n"
        ));
        for (k, (c, iface)) in ends.iter().enumerate() {
            let ns = &handle[c];
            let failed = shell_word(&format!(
                "network {}: {c}:{iface} not attached",
                segment.name
            ));
            let iface = shell_word(iface);
            let mtu = segment.mtu;
            s.push_str(&format!(
                "ip link add {bridge}p{k} type veth peer name {iface} netns {ns} \
                 && ip link set {bridge}p{k} mtu {mtu} master {bridge} up \
                 && ip -n {ns} link set {iface} mtu {mtu} up \
                 || fail {failed}\n"
            ));
        }
        // A LAN whose other members run on another engine: the tunnel is one more port.
        if let Some(vx) = &segment.vxlan {
            let into = VxlanInto::Bridge { bridge: &bridge };
            s.push_str(&vxlan_end(vx, into, segment.mtu, &what));
        }
    }
    Ok(s)
}

/// Where a VXLAN end goes: into a router as its interface, or onto a LAN's bridge in the
/// links container.
enum VxlanInto<'a> {
    Router { ns: &'a str, iface: &'a str },
    Bridge { bridge: &'a str },
}

/// One end of a cross-engine link: the VXLAN device made in the host's namespace (its UDP
/// socket stays there, on the underlay), given its MAC, and moved to where it serves. A VNI
/// another device of the host already has is refused by the kernel ("VNI ... already
/// exists"), which the failure shows; a device left in the host's namespace by a later
/// failure is removed, or it would keep the VNI after the lab is gone.
fn vxlan_end(
    vx: &crate::runtime::action::VxlanEnd,
    into: VxlanInto,
    mtu: u32,
    what: &str,
) -> String {
    let dev = format!("mvx{}", vx.vni);
    let failed = shell_word(&format!(
        "link {what}: VXLAN VNI {} from {} to {} not made",
        vx.vni, vx.local, vx.remote
    ));
    let place = match into {
        VxlanInto::Router { ns, iface } => {
            let iface = shell_word(iface);
            format!(
                "ip -n host link set {dev} address {mac} netns {ns} \
                 && ip -n {ns} link set {dev} name {iface} && ip -n {ns} link set {iface} mtu {mtu} up",
                mac = vx.mac()
            )
        }
        // `$$` is this shell, in the links container's namespace (its PIDs are the host's).
        VxlanInto::Bridge { bridge } => format!(
            "ip -n host link set {dev} address {mac} netns $$ \
             && ip link set {dev} mtu {mtu} master {bridge} up",
            mac = vx.mac()
        ),
    };
    format!(
        "ip -n host link add {dev} type vxlan id {vni} local {local} remote {remote} dstport 4789 \
         && {place} \
         || {{ ip -n host link del {dev} 2>/dev/null; fail {failed}; }}\n",
        vni = vx.vni,
        local = vx.local,
        remote = vx.remote,
    )
}

/// Delete the VXLAN devices in `containers` before they are removed. A device left to go with
/// its container's network namespace keeps its VNI until the kernel has cleaned that
/// namespace up, which happens later, in the background (seconds under emulation): a lab made
/// right after `down` is given the same VNI and the kernel refuses it ("A VXLAN device with the
/// specified VNI already exists"). Best effort: removal goes on whatever this finds.
pub async fn remove_vxlan_ends(shells: &super::shell::ShellPool, containers: &[String]) {
    let script = "for d in $(ip -o link show type vxlan | cut -d: -f2 | cut -d@ -f1); do \
                  ip link del \"$d\" || echo \"$d: not deleted\" >&2; done";
    let results = super::calls::bounded(
        containers
            .iter()
            .map(|c| async move { (c, shells.run_script(c, script.to_string()).await) }),
    )
    .await;
    for (c, result) in results {
        match result {
            Ok((0, _, _)) => {}
            Ok((code, _, err)) => tracing::warn!(
                "{c}: VXLAN devices not all deleted (exit {code}): {}",
                String::from_utf8_lossy(&err)
            ),
            Err(e) => tracing::warn!("{c}: VXLAN devices not deleted: {e:#}"),
        }
    }
}

/// Make the lab's links through the links container's kept shell.
pub async fn wire(
    shells: &super::shell::ShellPool,
    spec: &LabSpec,
    pids: &HashMap<String, i64>,
) -> anyhow::Result<()> {
    let script = wiring_script(spec, pids)?;
    let name = links_container_name(&spec.lab);
    let (code, out, err) = shells.run_script(&name, script).await?;
    if code != 0 {
        bail!(
            "making the lab's links in {name} failed (exit {code}):\n{}{}",
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&err)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::action::LabSpec;

    fn spec(topology: &str) -> LabSpec {
        crate::runtime::action::spec_of(topology)
    }

    /// One engine's part of a spread lab: A's end of link `ab` and A and B on LAN `lan`,
    /// both also reaching routers on another engine.
    #[test]
    fn cross_engine_ends_are_vxlan_into_the_router_or_onto_the_lan_bridge() {
        let mut spec = spec(
            "lab t\nrouter A p lo 1.1.1.1/32\nrouter B p lo 2.2.2.2/32\nrouter C p lo 3.3.3.3/32\n\
             link ab 10.0.0.0/24 { A:eth3 .1, C:eth0 .2 }\n\
             network lan 10.0.1.0/24 { A:eth4 .1, B:eth1 .2, C:eth1 .3 }\n",
        );
        spec.containers.retain(|c| c.router != "C");
        for (n, vni) in spec.networks.iter_mut().zip([1_000_000, 1_000_001]) {
            n.vxlan = Some(crate::runtime::action::VxlanEnd {
                vni,
                local: "192.0.2.1".parse().unwrap(),
                remote: "192.0.2.2".parse().unwrap(),
                engine: 1,
            });
        }
        let pids: HashMap<String, i64> = [("t-A".into(), 101), ("t-B".into(), 102)].into();
        let script = wiring_script(&spec, &pids).unwrap();
        assert!(
            script.contains("ln -sfn /proc/1/ns/net /var/run/netns/host"),
            "{script}"
        );
        assert!(
            script.contains(
                "ip -n host link add mvx1000000 type vxlan id 1000000 local 192.0.2.1 remote 192.0.2.2 dstport 4789"
            ),
            "{script}"
        );
        assert!(
            script.contains("ip -n host link set mvx1000000 address 02:4d:0f:42:40:01 netns r0")
        );
        assert!(
            script.contains("ip -n r0 link set mvx1000000 name 'eth3'"),
            "{script}"
        );
        // The LAN: a bridge for A and B here, and the tunnel to C's engine on it.
        assert!(script.contains("ip link add b1 type bridge"), "{script}");
        assert!(
            script.contains("ip -n host link set mvx1000001 address 02:4d:0f:42:41:01 netns $$")
        );
        assert!(
            script.contains("ip link set mvx1000001 mtu 1600 master b1 up"),
            "{script}"
        );
        // A failure leaves no device holding the VNI in the host's namespace.
        assert!(script.contains("|| { ip -n host link del mvx1000001 2>/dev/null; fail"));
        let check = std::process::Command::new("sh")
            .args(["-n", "-c", &script])
            .status()
            .unwrap();
        assert!(check.success(), "not valid shell:\n{script}");
    }

    #[test]
    fn a_link_is_one_veth_pair_named_as_the_topology_says_and_a_network_a_bridge() {
        let spec = spec(
            "lab t\nrouter A p lo 1.1.1.1/32\nrouter B p lo 2.2.2.2/32\nrouter C p lo 3.3.3.3/32\n\
             link ab 10.0.0.0/24 { A:eth3 .1, B:eth0 .2 }\n\
             network lan 10.0.1.0/24 { A:eth4 .1, B:eth1 .2, C:eth0 .3 }\n",
        );
        let pids: HashMap<String, i64> = [
            ("t-A".into(), 101),
            ("t-B".into(), 102),
            ("t-C".into(), 103),
        ]
        .into();
        let script = wiring_script(&spec, &pids).unwrap();
        assert!(script.contains("ln -sfn /proc/102/ns/net /var/run/netns/r1"));
        assert!(script.contains("ip link add 'eth3' netns r0 type veth peer name 'eth0' netns r1"));
        assert!(script.contains("ip link add b1 type bridge"));
        assert!(script.contains("ip link add b1p2 type veth peer name 'eth0' netns r2"));
        // Core segments (no CE on them) carry a full customer packet under its labels.
        assert!(script.contains("ip -n r2 link set 'eth0' mtu 1600 up"));
        assert!(script.contains("ip -n r0 link set 'eth3' mtu 1600 up"));
        assert!(script.contains("fail 'link t-ab: t-A:eth3 - t-B:eth0: veth pair not made'"));
        let checked = std::process::Command::new("sh")
            .args(["-n", "-c", &script])
            .status()
            .unwrap();
        assert!(checked.success(), "not valid shell:\n{script}");
    }

    /// Interface names reach this root script from any topology file (an imported
    /// containerlab file too): none may run as a command.
    #[test]
    fn interface_names_are_words_never_commands() {
        let spec = spec(
            "lab t\nrouter A p lo 1.1.1.1/32\nrouter B p lo 2.2.2.2/32\n\
             link ab 10.0.0.0/24 { A:e$(id)' .1, B:x;id .2 }\n",
        );
        // A process that exists, so that the script gets past its namespace checks.
        let me = i64::from(std::process::id());
        let pids: HashMap<String, i64> = [("t-A".into(), me), ("t-B".into(), me)].into();
        let script = wiring_script(&spec, &pids).unwrap();
        assert!(
            script.contains(r"ip link add 'e$(id)'\''' netns r0"),
            "{script}"
        );
        assert!(script.contains("peer name 'x;id' netns r1"), "{script}");
        // Run with `ip` and the other commands as stand-ins that print their words: nothing
        // else may run.
        let stand_ins = "id() { echo INJECTED; }; ip() { echo ip \"$@\"; }; \
                         readlink() { echo \"$1\"; }; mkdir() { :; }; ln() { :; }";
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("{stand_ins}\n{script}")])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(!said.contains("INJECTED"), "{said}");
        assert!(said.contains("ip link add e$(id)' netns r0"), "{said}");
    }

    #[test]
    fn a_router_without_a_process_id_is_an_error_naming_it() {
        let spec = spec(
            "lab t\nrouter A p lo 1.1.1.1/32\nrouter B p lo 2.2.2.2/32\n\
             link ab 10.0.0.0/24 { A:eth0 .1, B:eth0 .2 }\n",
        );
        let pids: HashMap<String, i64> = [("t-A".into(), 101)].into();
        let e = wiring_script(&spec, &pids).unwrap_err();
        assert!(format!("{e}").contains("t-B"), "{e}");
    }
}
