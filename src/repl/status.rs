//! `:status`: the lab, its engine, and what the intent configures on each router.

use owo_colors::OwoColorize;

use super::pending::pending_routers;
use crate::intent::RouterIntent;
use crate::script::Session;

pub fn render(sess: &Session, auto_apply: bool, color: bool) -> String {
    let Some(lab) = &sess.deploy.lab else {
        return format!(
            "no topology loaded (engine: {}): `topology(\"FILE.topo\")` loads one",
            sess.deploy.backend.describe()
        );
    };
    let state = match (sess.deploy.lab_up, sess.dry_run()) {
        (true, true) => "planned (dry run: nothing exists)",
        (true, false) => "up",
        (false, _) => "not created yet",
    };
    let mode = if auto_apply {
        "every line is applied"
    } else {
        "auto-apply off: `:apply` sends changes"
    };
    let pending = pending_routers(sess);
    let mut out = vec![
        format!(
            "lab {} on {}: {state}; {mode}",
            lab.name,
            sess.deploy.backend.describe()
        ),
        if pending.is_empty() {
            "nothing pending".to_string()
        } else {
            format!("pending changes (*) on {}", pending.join(", "))
        },
        String::new(),
    ];
    let width = lab
        .routers
        .iter()
        .map(|r| r.name.len() + 1)
        .chain(std::iter::once("router".len()))
        .max()
        .unwrap_or_default();
    out.push(format!(
        "  {:<width$} {:<4} {:<18} {:<16} configured",
        "router", "role", "loopback", "needs daemons"
    ));
    for r in &lab.routers {
        let intent = sess
            .deploy
            .desired
            .routers
            .get(&r.name)
            .cloned()
            .unwrap_or_else(|| RouterIntent::new(&r.name));
        let star = if pending.contains(&r.name) { "*" } else { " " };
        let name = format!("{:<width$}", format!("{}{star}", r.name));
        let name = if color { name.bold().to_string() } else { name };
        let lo = r.loopback.map(|l| l.to_string()).unwrap_or("-".into());
        let needed = crate::frr::daemons::needed(r.role, Some(&intent));
        let daemons: Vec<&str> = needed.iter().map(|d| d.as_str()).collect();
        let daemons = if daemons.is_empty() {
            "-".to_string()
        } else {
            daemons.join(" ")
        };
        let configured = configured(&intent);
        let configured = if configured.is_empty() {
            "nothing configured".to_string()
        } else {
            configured.join("; ")
        };
        out.push(format!(
            "  {name} {:<4} {lo:<18} {daemons:<16} {configured}",
            r.role.as_str()
        ));
    }
    out.join("\n")
}

/// One short phrase per configured protocol or feature.
fn configured(r: &RouterIntent) -> Vec<String> {
    let mut out = Vec::new();
    if !r.addresses.is_empty() {
        let ifaces: Vec<&str> = r.addresses.keys().map(String::as_str).collect();
        out.push(format!("addresses on {}", ifaces.join(",")));
    }
    for (vrf, ospf) in &r.ospf {
        let instance = vrf
            .as_ref()
            .map_or("ospf".to_string(), |v| format!("ospf vrf {v}"));
        out.push(format!("{instance} ({} networks)", ospf.networks.len()));
    }
    if let Some(ldp) = &r.ldp {
        let ifaces: Vec<&str> = ldp.interfaces.iter().map(String::as_str).collect();
        out.push(format!("ldp on {}", ifaces.join(",")));
    }
    if let Some(bgp) = &r.bgp {
        let vpn = bgp.neighbors.values().filter(|n| n.ipv4_vpn).count();
        out.push(format!(
            "bgp {} ({} neighbors, {vpn} vpnv4)",
            bgp.asn,
            bgp.neighbors.len()
        ));
    }
    for (name, vrf) in &r.vrfs {
        let members: Vec<&str> = vrf.members.iter().map(String::as_str).collect();
        let vpn = match &vrf.bgp {
            Some(b) if b.export_vpn || b.import_vpn => {
                format!(" rd {}", b.rd.as_deref().unwrap_or("-"))
            }
            _ => String::new(),
        };
        out.push(format!(
            "vrf {name} table {} on {}{vpn}",
            vrf.table,
            if members.is_empty() {
                "-".to_string()
            } else {
                members.join(",")
            }
        ));
    }
    if !r.static_routes.is_empty() {
        out.push(format!("{} static routes", r.static_routes.len()));
    }
    if !r.sysctls.is_empty() {
        out.push(format!("{} sysctls", r.sysctls.len()));
    }
    if !r.down_interfaces.is_empty() {
        let down: Vec<&str> = r.down_interfaces.iter().map(String::as_str).collect();
        out.push(format!("down: {}", down.join(",")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::plan::PlanBackend;
    use crate::ui::Reporter;

    #[test]
    fn summarises_each_router() {
        let (report, _) = Reporter::buffer(false);
        let mut sess = Session::new(Box::new(PlanBackend), report, Default::default());
        assert!(render(&sess, true, false).contains("no topology"));
        sess.base_dir = env!("CARGO_MANIFEST_DIR").into();
        sess.load_topology("scripts/mpls_vpn.topo").unwrap();
        sess.deploy.desired.router_mut("PR").ldp = Some(Default::default());
        let text = render(&sess, true, false);
        assert!(text.contains("pending changes (*) on PR"), "{text}");
        assert!(text.contains("PR*"), "{text}");
        assert!(text.contains("ldpd"), "{text}");
        assert!(text.contains("CE4"), "{text}");
    }
}
