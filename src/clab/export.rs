//! Lab model -> containerlab topology (YAML text, written by hand so that it can carry
//! comments and keep the lab's order).

use std::fmt::Write;

use anyhow::bail;

use super::yaml_str;
use crate::topology::{Lab, SegmentKind};

/// Linux limits interface names to 15 bytes; a bridge's host-side ports are named by us.
const IFNAMSIZ: usize = 15;

/// The containerlab file for a lab. `default_image` is for routers that name none.
pub fn export(lab: &Lab, default_image: &str) -> anyhow::Result<String> {
    let bridges: Vec<&str> = lab
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::Network)
        .map(|s| s.name.as_str())
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# containerlab topology of lab {}, exported by mplsrepl.",
        lab.name
    );
    out.push_str(
        "# Nodes have no management network (network-mode: none), so eth0 is a lab interface as\n\
         # in the .topo file. Addresses are set by `exec`; FRR is not configured here: write each\n\
         # router's frr.conf with `mplsrepl save DIR SCRIPT` and bind it to /etc/frr/frr.conf.\n",
    );
    if !bridges.is_empty() {
        out.push_str(
            "# Multi-access networks are Linux bridges on the host, which containerlab does not\n\
             # create; before `containerlab deploy` run:\n",
        );
        for b in &bridges {
            let _ = writeln!(out, "#   ip link add {b} type bridge && ip link set {b} up");
        }
    }
    let _ = writeln!(out, "name: {}", yaml_str(&lab.name));
    let tables = crate::topology::domain::topology_vrf_tables(lab);
    out.push_str("topology:\n  nodes:\n");
    for r in &lab.routers {
        let image = r.image.as_deref().unwrap_or(default_image);
        let _ = writeln!(out, "    {}:", yaml_str(&r.name));
        out.push_str("      kind: linux\n");
        let _ = writeln!(out, "      image: {}", yaml_str(image));
        out.push_str("      network-mode: none\n");
        let _ = writeln!(out, "      labels:\n        role: {}", r.role.as_str());
        let mut exec = Vec::new();
        // A customer's addresses may repeat another's: they go in the VRF device first.
        for (vrf, table) in &tables {
            if r.interfaces.iter().any(|i| i.vrf.as_ref() == Some(vrf)) {
                exec.push(format!("ip link add {vrf} type vrf table {table}"));
                exec.push(format!("ip link set {vrf} up"));
            }
        }
        for i in &r.interfaces {
            if let Some(vrf) = &i.vrf {
                exec.push(format!("ip link set {} master {vrf}", i.name));
            }
        }
        if let Some(lo) = r.loopback {
            exec.push(format!("ip addr add {lo} dev lo"));
        }
        if let Some(lo6) = r.loopback6 {
            exec.push(format!("ip -6 addr add {lo6} dev lo"));
        }
        for i in &r.interfaces {
            let Some(address) = i.address else {
                continue;
            };
            exec.push(format!("ip addr add {address} dev {}", i.name));
            // nodad: the address is usable at once, as the lab's own addressing is unique.
            if let Some(a6) = i.address6 {
                exec.push(format!("ip -6 addr add {a6} dev {} nodad", i.name));
            }
        }
        if !exec.is_empty() {
            out.push_str("      exec:\n");
            for cmd in exec {
                let _ = writeln!(out, "        - {}", yaml_str(&cmd));
            }
        }
    }
    for b in &bridges {
        let _ = writeln!(out, "    {}:\n      kind: bridge", yaml_str(b));
    }
    out.push_str("  links:\n");
    for s in &lab.segments {
        match s.kind {
            SegmentKind::Link => {
                let [a, b] = [&s.endpoints[0], &s.endpoints[1]];
                endpoints(
                    &mut out,
                    &format!("{}:{}", a.router, a.interface),
                    &format!("{}:{}", b.router, b.interface),
                );
                // containerlab links have no names; a label keeps ours for `import-clab`.
                let _ = writeln!(out, "      labels: {{segment: {}}}", yaml_str(&s.name));
            }
            SegmentKind::Network => {
                for (n, e) in s.endpoints.iter().enumerate() {
                    let port = bridge_port(&s.name, n)?;
                    endpoints(
                        &mut out,
                        &format!("{}:{}", e.router, e.interface),
                        &format!("{}:{port}", s.name),
                    );
                }
            }
        }
    }
    Ok(out)
}

fn endpoints(out: &mut String, a: &str, b: &str) {
    let _ = writeln!(
        out,
        "    - endpoints: [{}, {}]",
        serde_json::to_string(a).expect("a string serializes"),
        serde_json::to_string(b).expect("a string serializes")
    );
}

/// The host-side name of a member's port on a bridge: `lan9-1`, `lan9-2`, ...
fn bridge_port(network: &str, index: usize) -> anyhow::Result<String> {
    let name = format!("{network}-{}", index + 1);
    if name.len() > IFNAMSIZ {
        bail!(
            "network `{network}`: its bridge ports would be named like `{name}`, longer than \
             Linux's {IFNAMSIZ} bytes; give the network a name of at most {} characters",
            IFNAMSIZ - 1 - (index + 1).to_string().len()
        );
    }
    Ok(name)
}
