//! Why a check failed, beyond its last output: what the lab shows about the thing the check
//! waited for. A ping with no reply gets the hop where its path breaks; a BGP session that is
//! not Established gets the path to the peer's address, label by label; an OSPF neighbor that
//! never came gets a comparison of the two ends of every link to it.

use std::net::Ipv4Addr;

use serde_json::Value;

use super::api::Shared;
use super::together::Verdict;
use crate::intent::RouterIntent;

/// Text to append to a failed check's message (empty when there is nothing to add).
pub fn failed_check(s: &Shared, router: &str, verdict: &Verdict) -> String {
    match verdict {
        Verdict::Reply { dst } => super::trace_fn::explain_no_reply(s, router, dst),
        Verdict::Json { cmd, expected } if cmd.contains("bgp") && cmd.contains("summary") => {
            let mut peers = Vec::new();
            bgp_peers(expected, &mut peers);
            peers
                .iter()
                .map(|peer| bgp_session(s, router, *peer))
                .collect()
        }
        Verdict::Json { cmd, expected } if cmd.contains("ospf neighbor") => expected
            .get("neighbors")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.keys())
            .filter_map(|id| id.parse().ok())
            .map(|id| ospf_neighbor(s, router, id))
            .collect(),
        _ => String::new(),
    }
}

/// The peer addresses an expectation on `show bgp ... summary json` names (under `peers`).
fn bgp_peers(v: &Value, out: &mut Vec<Ipv4Addr>) {
    if let Value::Object(map) = v {
        for (key, child) in map {
            if key == "peers" {
                if let Value::Object(peers) = child {
                    out.extend(peers.keys().filter_map(|k| k.parse::<Ipv4Addr>().ok()));
                }
            } else {
                bgp_peers(child, out);
            }
        }
    }
}

/// A session needs the peer's address reachable, and through an MPLS core the way there is
/// label-switched: the trace says where it stops.
fn bgp_session(s: &Shared, router: &str, peer: Ipv4Addr) -> String {
    let why = super::trace_fn::explain_no_reply(s, router, &peer.to_string());
    let mut out = format!("\nBGP session {router} -> {peer}: the way to the peer's address{why}");
    if why.contains("is not in the LFIB") || why.contains("has no next hop") {
        out.push_str(&format!(
            "\nhelp: {router} sends its BGP packets to {peer} with a label that a router on the way \
             cannot switch: the label path to {peer} is broken. A route reflector or PE reached \
             through an LDP core must run LDP itself (ldp::core), or the core has no label for \
             its loopback."
        ));
    }
    out
}

/// One end of a link, as the deployed intent and the live interface show it.
struct End {
    router: String,
    iface: String,
    in_ospf: bool,
    point_to_point: bool,
    /// (hello, dead) in seconds; FRR's defaults when the intent sets none.
    timers: (u32, u32),
    admin_down: bool,
    impaired: Option<String>,
    /// From /sys/class/net: (operstate, mtu).
    live: Option<(String, String)>,
}

fn end(
    s: &Shared,
    intent: &RouterIntent,
    router: &str,
    iface: &str,
    subnet: ipnet::Ipv4Net,
) -> End {
    let in_ospf = intent.ospf.get(&None).is_some_and(|o| {
        o.networks
            .iter()
            .any(|(p, _)| p.prefix_len() <= subnet.prefix_len() && p.contains(&subnet.addr()))
    });
    let oi = intent
        .ospf_interfaces
        .get(iface)
        .cloned()
        .unwrap_or_default();
    let hello = oi.hello_interval.unwrap_or(10);
    let argv = vec![
        "sh".to_string(),
        "-c".to_string(),
        format!("cat /sys/class/net/{iface}/operstate /sys/class/net/{iface}/mtu"),
    ];
    let live = s.borrow_mut().exec(router, &argv).ok().and_then(|out| {
        let mut lines = out.stdout.lines();
        Some((
            lines.next()?.trim().to_string(),
            lines.next()?.trim().to_string(),
        ))
    });
    End {
        router: router.to_string(),
        iface: iface.to_string(),
        in_ospf,
        point_to_point: oi.point_to_point,
        timers: (hello, oi.dead_interval.unwrap_or(hello * 4)),
        admin_down: intent.down_interfaces.contains(iface),
        impaired: intent.impairments.get(iface).map(|i| i.describe()),
        live,
    }
}

/// What differs between the two ends of a link, or stops OSPF on one of them.
fn link_problems(a: &End, b: &End) -> Vec<String> {
    let mut found = Vec::new();
    for e in [a, b] {
        let name = format!("{} {}", e.router, e.iface);
        if e.admin_down {
            found.push(format!("{name} is down (link down)"));
        } else if let Some((state, _)) = &e.live {
            if state != "up" && state != "unknown" {
                found.push(format!("{name} is {state}"));
            }
        }
        if !e.in_ospf {
            found.push(format!(
                "{name} is not in OSPF: no `network` covers its subnet"
            ));
        }
        if let Some(how) = &e.impaired {
            found.push(format!("{name} is impaired: {how}"));
        }
    }
    let (an, bn) = (
        format!("{} {}", a.router, a.iface),
        format!("{} {}", b.router, b.iface),
    );
    let kind = |p2p: bool| if p2p { "point-to-point" } else { "broadcast" };
    if a.point_to_point != b.point_to_point {
        found.push(format!(
            "network type {} on {an} but {} on {bn}",
            kind(a.point_to_point),
            kind(b.point_to_point)
        ));
    }
    if a.timers != b.timers {
        found.push(format!(
            "hello/dead {}/{} s on {an} but {}/{} s on {bn}: OSPF neighbors must agree",
            a.timers.0, a.timers.1, b.timers.0, b.timers.1
        ));
    }
    if let (Some((_, ma)), Some((_, mb))) = (&a.live, &b.live) {
        if ma != mb {
            found.push(format!(
                "MTU {ma} on {an} but {mb} on {bn}: the database exchange stops at ExStart"
            ));
        }
    }
    found
}

fn ospf_neighbor(s: &Shared, router: &str, id: Ipv4Addr) -> String {
    let (lab, intent) = {
        let sess = s.borrow();
        match sess.lab() {
            Ok(lab) => (lab.clone(), sess.deployed.clone()),
            Err(_) => return String::new(),
        }
    };
    let Some(other) = lab
        .routers
        .iter()
        .find(|r| r.loopback.is_some_and(|l| l.addr() == id))
    else {
        return format!("\nno router of the lab has {id} as its loopback (OSPF's router id)");
    };
    let none = RouterIntent::default();
    let mine = intent.routers.get(router).unwrap_or(&none);
    let theirs = intent.routers.get(&other.name).unwrap_or(&none);
    let mut out = String::new();
    let mut links = 0;
    for seg in &lab.segments {
        let a = seg.endpoints.iter().find(|e| e.router == router);
        let b = seg.endpoints.iter().find(|e| e.router == other.name);
        let (Some(a), Some(b)) = (a, b) else {
            continue;
        };
        links += 1;
        let a = end(s, mine, router, &a.interface, seg.subnet);
        let b = end(s, theirs, &other.name, &b.interface, seg.subnet);
        let problems = link_problems(&a, &b);
        if problems.is_empty() {
            out.push_str(&format!(
                "\n  link {}: both ends agree (up, in OSPF, same network type, timers and MTU)",
                seg.name
            ));
        }
        for p in problems {
            out.push_str(&format!("\n  link {}: {p}", seg.name));
        }
    }
    if links == 0 {
        return format!(
            "\n{router} and {} ({id}) share no link: OSPF neighbors are on one segment",
            other.name
        );
    }
    format!(
        "\nwhy {} ({id}) is no OSPF neighbor of {router}:{out}",
        other.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(router: &str, p2p: bool, hello: u32) -> End {
        End {
            router: router.into(),
            iface: "eth0".into(),
            in_ospf: true,
            point_to_point: p2p,
            timers: (hello, hello * 4),
            admin_down: false,
            impaired: None,
            live: Some(("up".into(), "1500".into())),
        }
    }

    #[test]
    fn two_ends_that_agree_have_no_problem() {
        assert!(link_problems(&end("A", true, 1), &end("B", true, 1)).is_empty());
    }

    #[test]
    fn timers_network_type_and_mtu_that_differ_are_named() {
        let mut b = end("B", false, 10);
        b.live = Some(("up".into(), "1400".into()));
        let found = link_problems(&end("A", true, 1), &b);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("point-to-point on A eth0 but broadcast on B eth0"));
        assert!(found[1].contains("hello/dead 1/4 s on A eth0 but 10/40 s on B eth0"));
        assert!(found[2].contains("MTU 1500 on A eth0 but 1400 on B eth0"));
    }

    #[test]
    fn bgp_peers_are_found_under_any_family() {
        let v = serde_json::json!({"ipv4Vpn": {"peers": {"2.2.2.2": {"state": "Established"}}}});
        let mut out = Vec::new();
        bgp_peers(&v, &mut out);
        assert_eq!(out, vec!["2.2.2.2".parse::<Ipv4Addr>().unwrap()]);
    }
}
