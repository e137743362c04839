//! Why a check failed, beyond its last output: what the lab shows about the thing the check
//! waited for. A ping with no reply gets the hop where its path breaks; a BGP session that is
//! not Established gets the path to the peer's address, label by label; an OSPF neighbor that
//! never came gets a comparison of the two ends of every link to it.

use std::net::Ipv4Addr;

use serde_json::Value;

use super::common::Shared;
use super::pending_check::Verdict;
use crate::intent::RouterIntent;

/// Text to append to a failed check's message (empty when there is nothing to add).
pub fn failed_check(s: &Shared, router: &str, verdict: &Verdict) -> String {
    match verdict {
        Verdict::Reply { dst, src } => {
            super::trace_fn::explain_no_reply(s, router, dst, src.as_deref())
        }
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
            .map(|id| igp_neighbor(s, Igp::Ospf, router, Some(id)))
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
    let why = super::trace_fn::explain_no_reply(s, router, &peer.to_string(), None);
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

/// The IGP whose adjacency is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Igp {
    Ospf,
    Isis,
}

impl Igp {
    fn name(self) -> &'static str {
        match self {
            Igp::Ospf => "OSPF",
            Igp::Isis => "IS-IS",
        }
    }
}

/// One end of a link, as the deployed intent and the live interface show it.
struct End {
    router: String,
    iface: String,
    igp: Igp,
    /// The interface takes part in the IGP (and, for IS-IS, is not passive).
    in_igp: bool,
    point_to_point: bool,
    /// OSPF's (hello, dead) in seconds, FRR's defaults when the intent sets none; IS-IS
    /// neighbors need not agree on timers (each sends its own hold time).
    timers: Option<(u32, u32)>,
    admin_down: bool,
    impaired: Option<String>,
    /// From /sys/class/net: (operstate, mtu).
    live: Option<(String, String)>,
}

fn end(
    s: &Shared,
    igp: Igp,
    intent: &RouterIntent,
    router: &str,
    iface: &str,
    subnet: Option<ipnet::Ipv4Net>,
) -> End {
    let oi = intent
        .ospf_interfaces
        .get(iface)
        .cloned()
        .unwrap_or_default();
    let (in_igp, point_to_point, timers) = match igp {
        Igp::Ospf => {
            let covered = subnet.is_some_and(|subnet| {
                intent.ospf.get(&None).is_some_and(|o| {
                    o.networks.iter().any(|(p, _)| {
                        p.prefix_len() <= subnet.prefix_len() && p.contains(&subnet.addr())
                    })
                })
            });
            let hello = oi.hello_interval.unwrap_or(10);
            let dead = oi.dead_interval.unwrap_or(hello * 4);
            (covered, oi.point_to_point, Some((hello, dead)))
        }
        Igp::Isis => {
            let i = intent.isis.as_ref().and_then(|x| x.interfaces.get(iface));
            let active = i.is_some_and(|i| !i.passive);
            (active, active, None)
        }
    };
    let argv = vec![
        "sh".to_string(),
        "-c".to_string(),
        format!("cat /sys/class/net/{iface}/operstate /sys/class/net/{iface}/mtu"),
    ];
    let live = s
        .borrow_mut()
        .deploy
        .exec(router, &argv)
        .ok()
        .and_then(|out| {
            let mut lines = out.stdout.lines();
            Some((
                lines.next()?.trim().to_string(),
                lines.next()?.trim().to_string(),
            ))
        });
    End {
        router: router.to_string(),
        iface: iface.to_string(),
        igp,
        in_igp,
        point_to_point,
        timers,
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
        if !e.in_igp {
            found.push(match e.igp {
                Igp::Ospf => format!("{name} is not in OSPF: no `network` covers its subnet"),
                Igp::Isis => format!("{name} is not in IS-IS, or passive there"),
            });
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
    if let (Some(ta), Some(tb)) = (a.timers, b.timers) {
        if ta != tb {
            found.push(format!(
                "hello/dead {}/{} s on {an} but {}/{} s on {bn}: OSPF neighbors must agree",
                ta.0, ta.1, tb.0, tb.1
            ));
        }
    }
    if let (Some((_, ma)), Some((_, mb))) = (&a.live, &b.live) {
        if ma != mb {
            found.push(format!(
                "MTU {ma} on {an} but {mb} on {bn}: {}",
                match a.igp {
                    Igp::Ospf => "the database exchange stops at ExStart",
                    Igp::Isis => "IS-IS pads its hellos to the MTU, so the smaller side drops them",
                }
            ));
        }
    }
    found
}

/// Why the IGP neighbor with router id `id` (or, for `None`, any of the router's neighbors
/// across its links to other provider routers) is absent: both ends of each link compared.
pub fn igp_neighbor(s: &Shared, igp: Igp, router: &str, id: Option<Ipv4Addr>) -> String {
    let (lab, intent) = {
        let sess = s.borrow();
        match sess.deploy.lab() {
            Ok(lab) => (lab.clone(), sess.deploy.deployed.clone()),
            Err(_) => return String::new(),
        }
    };
    let wanted = |name: &str| -> bool {
        let Some(r) = lab.router(name) else {
            return false;
        };
        match id {
            Some(id) => r.loopback.is_some_and(|l| l.addr() == id),
            None => name != router && r.role != crate::topology::Role::Ce,
        }
    };
    if let Some(id) = id {
        if !lab.routers.iter().any(|r| wanted(&r.name)) {
            return format!("\nno router of the lab has {id} as its loopback (its router id)");
        }
    }
    let none = RouterIntent::default();
    let mine = intent.routers.get(router).unwrap_or(&none);
    let mut out = String::new();
    let mut links = 0;
    for seg in &lab.segments {
        let Some(a) = seg.endpoints.iter().find(|e| e.router == router) else {
            continue;
        };
        for b in seg.endpoints.iter().filter(|e| wanted(&e.router)) {
            links += 1;
            let theirs = intent.routers.get(&b.router).unwrap_or(&none);
            let ea = end(s, igp, mine, router, &a.interface, seg.subnet);
            let eb = end(s, igp, theirs, &b.router, &b.interface, seg.subnet);
            let problems = link_problems(&ea, &eb);
            if problems.is_empty() {
                out.push_str(&format!(
                    "\n  link {} to {}: both ends agree (up, in {}, same network type, timers and MTU)",
                    seg.name,
                    b.router,
                    igp.name()
                ));
            }
            for p in problems {
                out.push_str(&format!("\n  link {} to {}: {p}", seg.name, b.router));
            }
        }
    }
    let who = match id {
        Some(id) => id.to_string(),
        None => "its provider neighbors".to_string(),
    };
    if links == 0 {
        return format!(
            "\n{router} shares no link with {who}: {} neighbors are on one segment",
            igp.name()
        );
    }
    format!(
        "\nwhy {router} lacks {} adjacencies with {who}:{out}",
        igp.name()
    )
}

/// `explain_igp(router, "isis"|"ospf")`: the same comparison as a failed OSPF neighbor check
/// gets, for a stdlib check that counts adjacencies (IS-IS's) and fails.
pub fn register(engine: &mut rhai::Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn(
        "explain_igp",
        move |router: &str, igp: &str| -> super::common::RhaiResult<String> {
            let igp = match igp {
                "isis" => Igp::Isis,
                "ospf" => Igp::Ospf,
                other => {
                    return Err(super::common::err(format!(
                        "explain_igp: unknown IGP `{other}` (isis or ospf)"
                    )))
                }
            };
            if s.borrow().dry_run() {
                return Ok(String::new());
            }
            Ok(igp_neighbor(&s, igp, router, None))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(router: &str, p2p: bool, hello: u32) -> End {
        End {
            router: router.into(),
            iface: "eth0".into(),
            igp: Igp::Ospf,
            in_igp: true,
            point_to_point: p2p,
            timers: Some((hello, hello * 4)),
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
