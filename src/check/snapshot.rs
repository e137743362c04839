//! Observable state of a lab, reduced to what a what-if cares about, and the diff of two.
//!
//! Each router's RIB, VRF RIBs, LFIB, VPNv4 table and neighbor states are read as JSON and
//! summarised into comparable one-line strings (uptimes and counters dropped), so that two
//! snapshots of an unchanged lab are equal and a diff lists only real changes.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// Per router: "table key" -> summary, e.g. "vrf CUSTA 192.168.2.0/24" -> "bgp via 2.2.2.2 ...".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub routers: BTreeMap<String, BTreeMap<String, String>>,
}

/// What a router runs, which decides the tables its snapshot reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Runs {
    pub ospf: bool,
    pub ldp: bool,
    /// Labels from the IGP (SR-MPLS), so an LFIB without LDP.
    pub sr: bool,
    pub bgp: bool,
}

/// The show commands a snapshot reads, with the table name each one fills.
pub fn commands(vrfs: &[String], runs: Runs) -> Vec<(String, String)> {
    let mut c = vec![("rib".to_string(), "show ip route json".to_string())];
    for v in vrfs {
        c.push((format!("vrf {v}"), format!("show ip route vrf {v} json")));
    }
    if runs.ospf {
        c.push(("ospf".into(), "show ip ospf neighbor json".into()));
    }
    if runs.ldp || runs.sr {
        c.push(("lfib".into(), "show mpls table json".into()));
    }
    if runs.ldp {
        c.push(("ldp".into(), "show mpls ldp neighbor json".into()));
    }
    let bgp = runs.bgp;
    if bgp {
        c.push(("bgp".into(), "show bgp summary json".into()));
        c.push(("bgp".into(), "show bgp ipv4 vpn summary json".into()));
        c.push(("vpn".into(), "show bgp ipv4 vpn json".into()));
    }
    c
}

/// Fold one command's JSON into a router's entries.
pub fn summarise(table: &str, json: &Value, into: &mut BTreeMap<String, String>) {
    match table {
        "rib" => routes("", json, into),
        t if t.starts_with("vrf ") => routes(&format!("{t} "), json, into),
        "ospf" => {
            for (id, list) in obj(json.get("neighbors")) {
                let state = list
                    .get(0)
                    .and_then(|n| n.get("converged").or(n.get("nbrState")));
                into.insert(format!("ospf neighbor {id}"), text(state));
            }
        }
        "ldp" => {
            for n in arr(json.get("neighbors")) {
                into.insert(
                    format!("ldp neighbor {}", text(n.get("neighborId"))),
                    text(n.get("state")),
                );
            }
        }
        "lfib" => {
            for (label, entry) in obj(Some(json)) {
                let hops: Vec<String> = arr(entry.get("nexthops"))
                    .iter()
                    .map(|h| {
                        let out = match h.get("outLabel").and_then(Value::as_u64) {
                            Some(3) => "pop (implicit-null)".to_string(),
                            Some(l) => format!("swap {l}"),
                            None => "?".to_string(),
                        };
                        format!(
                            "{} {out} via {}",
                            text(h.get("type")),
                            text(h.get("nexthop"))
                        )
                    })
                    .collect();
                // ECMP next hops come in the order zebra last installed them, which a flap
                // changes: the same set is the same LFIB.
                let mut hops = hops;
                hops.sort();
                into.insert(format!("lfib {label}"), hops.join(", "));
            }
        }
        // Per-family summaries come keyed by family (`show bgp summary json`) or bare (`show
        // bgp ipv4 vpn summary json`).
        "bgp" => {
            let families: Vec<(String, &Value)> = match json.get("peers") {
                Some(_) => vec![("ipv4Vpn".to_string(), json)],
                None => obj(Some(json))
                    .into_iter()
                    .map(|(k, v)| (k.clone(), v))
                    .collect(),
            };
            for (af, summary) in families {
                for (peer, p) in obj(summary.get("peers")) {
                    into.insert(format!("bgp {af} peer {peer}"), text(p.get("state")));
                }
            }
        }
        "vpn" => {
            let rds = json
                .get("routes")
                .and_then(|r| r.get("routeDistinguishers"));
            for (rd, prefixes) in obj(rds) {
                for (prefix, paths) in obj(Some(prefixes)) {
                    let best = arr(Some(paths))
                        .into_iter()
                        .find(|p| p.get("bestpath") == Some(&Value::Bool(true)));
                    let from = best
                        .map(|p| text(p.get("peerId")))
                        .unwrap_or_else(|| "-".into());
                    into.insert(format!("vpn {rd} {prefix}"), format!("from {from}"));
                }
            }
        }
        _ => {}
    }
}

fn routes(prefix: &str, json: &Value, into: &mut BTreeMap<String, String>) {
    for (dest, list) in obj(Some(json)) {
        for r in arr(Some(list)) {
            if r.get("selected") != Some(&Value::Bool(true)) {
                continue;
            }
            let hops: Vec<String> = arr(r.get("nexthops"))
                .iter()
                .filter(|h| h.get("active") == Some(&Value::Bool(true)))
                .map(|h| {
                    let via = h
                        .get("ip")
                        .map(|ip| format!("via {}", text(Some(ip))))
                        .unwrap_or_else(|| "direct".into());
                    let dev = h
                        .get("interfaceName")
                        .map(|i| format!(" {}", text(Some(i))))
                        .unwrap_or_default();
                    let labels: Vec<String> =
                        arr(h.get("labels")).iter().map(|l| l.to_string()).collect();
                    // An SRv6 route's `labels` is its SID's transposed function, which no
                    // packet carries: the SID is what the route sends to.
                    let sid = h.get("seg6").and_then(|s| s.get("segs"));
                    let labels = if let Some(sid) = sid {
                        format!(" sid {}", text(Some(sid)))
                    } else if labels.is_empty() {
                        String::new()
                    } else {
                        format!(" labels {}", labels.join("/"))
                    };
                    format!("{via}{dev}{labels}")
                })
                .collect();
            into.insert(
                format!("{prefix}{dest}"),
                format!("{} {}", text(r.get("protocol")), hops.join(", ")),
            );
        }
    }
}

fn obj(v: Option<&Value>) -> Vec<(&String, &Value)> {
    v.and_then(Value::as_object)
        .map(|m| m.iter().collect())
        .unwrap_or_default()
}

fn arr(v: Option<&Value>) -> Vec<&Value> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "-".to_string(),
    }
}

/// One difference between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub router: String,
    pub key: String,
    /// `None` when the entry appeared.
    pub before: Option<String>,
    /// `None` when the entry disappeared.
    pub after: Option<String>,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.before, &self.after) {
            (None, Some(a)) => write!(f, "+ {} {}: {a}", self.router, self.key),
            (Some(b), None) => write!(f, "- {} {}: {b}", self.router, self.key),
            (Some(b), Some(a)) => write!(f, "~ {} {}: {b} -> {a}", self.router, self.key),
            (None, None) => Ok(()),
        }
    }
}

pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<Change> {
    let empty = BTreeMap::new();
    let mut routers: Vec<&String> = before.routers.keys().chain(after.routers.keys()).collect();
    routers.sort();
    routers.dedup();
    let mut out = Vec::new();
    for r in routers {
        let b = before.routers.get(r).unwrap_or(&empty);
        let a = after.routers.get(r).unwrap_or(&empty);
        let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let (bv, av) = (b.get(k), a.get(k));
            if bv != av {
                out.push(Change {
                    router: r.clone(),
                    key: k.clone(),
                    before: bv.cloned(),
                    after: av.cloned(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ecmp_next_hops_in_another_order_are_the_same_lfib() {
        let lfib = |first: &str, second: &str| {
            let json = json!({"16008": {"nexthops": [
                {"type": "SR (IS-IS)", "outLabel": 16008, "nexthop": first},
                {"type": "SR (IS-IS)", "outLabel": 16008, "nexthop": second}]}});
            let mut into = BTreeMap::new();
            summarise("lfib", &json, &mut into);
            into
        };
        assert_eq!(lfib("10.1.2.2", "10.1.1.2"), lfib("10.1.1.2", "10.1.2.2"));
    }

    #[test]
    fn routes_keep_protocol_nexthops_and_labels_not_uptime() {
        let rib = json!({"192.168.2.0/24": [{"protocol": "bgp", "selected": true, "uptime": "00:01:02",
            "nexthops": [{"ip": "2.2.2.2", "active": true, "labels": [144]},
                         {"ip": "10.1.1.254", "interfaceName": "eth0", "active": true, "labels": [17, 144]}]}]});
        let mut m = BTreeMap::new();
        summarise("vrf CUSTA", &rib, &mut m);
        assert_eq!(
            m["vrf CUSTA 192.168.2.0/24"],
            "bgp via 2.2.2.2 labels 144, via 10.1.1.254 eth0 labels 17/144"
        );
    }

    #[test]
    fn an_srv6_route_shows_its_sid_not_the_label_frr_lists() {
        let rib = json!({"192.168.2.0/24": [{"protocol": "bgp", "selected": true,
            "nexthops": [{"ip": "10.1.1.254", "interfaceName": "eth0", "active": true,
                          "labels": [48], "seg6": {"segs": "2001:db8:5:2:2::"}}]}]});
        let mut m = BTreeMap::new();
        summarise("vrf CUSTA", &rib, &mut m);
        assert_eq!(
            m["vrf CUSTA 192.168.2.0/24"],
            "bgp via 10.1.1.254 eth0 sid 2001:db8:5:2:2::"
        );
    }

    #[test]
    fn lfib_names_php_as_pop() {
        let t =
            json!({"16": {"nexthops": [{"type": "LDP", "outLabel": 3, "nexthop": "10.1.1.2"}]}});
        let mut m = BTreeMap::new();
        summarise("lfib", &t, &mut m);
        assert_eq!(m["lfib 16"], "LDP pop (implicit-null) via 10.1.1.2");
    }

    #[test]
    fn diff_lists_added_removed_and_changed() {
        let mut a = Snapshot::default();
        let mut b = Snapshot::default();
        a.routers
            .entry("PE2".into())
            .or_default()
            .insert("vrf CUSTA 192.168.1.0/24".into(), "bgp via 1.1.1.1".into());
        a.routers
            .entry("PE2".into())
            .or_default()
            .insert("ospf neighbor 9.9.9.9".into(), "Full".into());
        b.routers
            .entry("PE2".into())
            .or_default()
            .insert("ospf neighbor 9.9.9.9".into(), "Init".into());
        b.routers
            .entry("PE2".into())
            .or_default()
            .insert("lfib 18".into(), "LDP swap 20 via 10.1.2.254".into());
        let lines: Vec<String> = diff(&a, &b).iter().map(|c| c.to_string()).collect();
        assert_eq!(
            lines,
            [
                "+ PE2 lfib 18: LDP swap 20 via 10.1.2.254",
                "~ PE2 ospf neighbor 9.9.9.9: Full -> Init",
                "- PE2 vrf CUSTA 192.168.1.0/24: bgp via 1.1.1.1",
            ]
        );
        assert!(diff(&a, &a).is_empty());
    }
}
