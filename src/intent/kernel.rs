//! Kernel-side state of a router that FRR does not own: VRF devices, sysctls, link state and
//! impairment.

use super::impairment::Impairment;
use super::router::RouterIntent;

/// Commands to run before vtysh (creations) and after it (deletions), as argv lists.
#[derive(Debug, Default)]
pub struct KernelChanges {
    pub before: Vec<Vec<String>>,
    pub after: Vec<Vec<String>>,
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

pub fn kernel_changes(old: &RouterIntent, new: &RouterIntent) -> KernelChanges {
    let mut ch = KernelChanges::default();
    for (key, value) in &new.sysctls {
        if old.sysctls.get(key) != Some(value) {
            ch.before
                .push(argv(&["sysctl", "-w", &format!("{key}={value}")]));
        }
    }
    // A removed sysctl goes back to the kernel default, which is 0 for every MPLS knob we set.
    for key in old.sysctls.keys().filter(|k| !new.sysctls.contains_key(*k)) {
        ch.after.push(argv(&["sysctl", "-w", &format!("{key}=0")]));
    }
    for (name, vrf) in &new.vrfs {
        let table = vrf.table.to_string();
        match old.vrfs.get(name) {
            Some(o) if o.table == vrf.table => {}
            Some(_) => {
                ch.before.push(argv(&["ip", "link", "del", name]));
                ch.before.push(argv(&[
                    "ip", "link", "add", name, "type", "vrf", "table", &table,
                ]));
                ch.before.push(argv(&["ip", "link", "set", name, "up"]));
            }
            None => {
                ch.before.push(argv(&[
                    "ip", "link", "add", name, "type", "vrf", "table", &table,
                ]));
                ch.before.push(argv(&["ip", "link", "set", name, "up"]));
            }
        }
        let recreated = old.vrfs.get(name).is_some_and(|o| o.table != vrf.table);
        for member in &vrf.members {
            let had = old
                .vrfs
                .get(name)
                .is_some_and(|o| o.members.contains(member));
            if !had || recreated {
                ch.before
                    .push(argv(&["ip", "link", "set", member, "master", name]));
            }
        }
        if let Some(o) = old.vrfs.get(name) {
            for member in o.members.difference(&vrf.members) {
                ch.after
                    .push(argv(&["ip", "link", "set", member, "nomaster"]));
            }
        }
    }
    for (name, o) in &old.vrfs {
        if !new.vrfs.contains_key(name) {
            for member in &o.members {
                ch.after
                    .push(argv(&["ip", "link", "set", member, "nomaster"]));
            }
            ch.after.push(argv(&["ip", "link", "del", name]));
        }
    }
    // Pseudowires: veth pairs, redirects and bridges (the labels are the agent's).
    let (before, after) = super::l2vpn::wiring_changes(&old.l2vpns, &new.l2vpns);
    ch.before.extend(before);
    ch.after.extend(after);
    for iface in new.down_interfaces.difference(&old.down_interfaces) {
        ch.before.push(argv(&["ip", "link", "set", iface, "down"]));
    }
    for iface in old.down_interfaces.difference(&new.down_interfaces) {
        ch.before.push(argv(&["ip", "link", "set", iface, "up"]));
    }
    for (iface, imp) in &new.impairments {
        if old.impairments.get(iface) != Some(imp) {
            ch.before.push(imp.tc_argv(iface));
        }
    }
    for iface in old.impairments.keys() {
        if !new.impairments.contains_key(iface) {
            ch.before.push(Impairment::clear_argv(iface));
        }
    }
    ch
}
