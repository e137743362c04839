//! FRR's `show ... json` in one form for every version, so that a check written on one FRR
//! holds on the other.
//!
//! Read off the seed lab on both images (2026-12-02): of the JSON the stdlib reads, only `show
//! ip ospf neighbor json` differs in what is there. FRR 8.4 prints each neighbor's fields twice,
//! under the names FRR 10 keeps (`nbrState`, `ifaceAddress`, ...) and under older aliases
//! (`state`, `address`, ...) that 10.x no longer prints; 10.x only adds fields elsewhere
//! (`softwareVersion` of a BGP peer, `txqlen` of an interface). The one form is 10.x's: an
//! alias is dropped where its new name is there, and renamed where it is not.

use serde_json::Value;

/// Old name -> the name FRR 10 prints, per neighbor of `show ip ospf [vrf V] neighbor json`.
const OSPF_NEIGHBOR_ALIASES: [(&str, &str); 7] = [
    ("priority", "nbrPriority"),
    ("state", "nbrState"),
    ("address", "ifaceAddress"),
    ("deadTimeMsecs", "routerDeadIntervalTimerDueMsec"),
    ("retransmitCounter", "linkStateRetransmissionListCounter"),
    ("requestCounter", "linkStateRequestListCounter"),
    ("dbSummaryCounter", "databaseSummaryListCounter"),
];

/// Parse what vtysh printed for `command`, in the one form.
pub fn parse(command: &str, text: &str) -> serde_json::Result<Value> {
    let mut json: Value = serde_json::from_str(text)?;
    neutral(command, &mut json);
    Ok(json)
}

/// Bring `json`, the reply to `command`, to FRR 10's names.
pub fn neutral(command: &str, json: &mut Value) {
    let words: Vec<&str> = command.split_whitespace().collect();
    let ospf_neighbors = words.starts_with(&["show", "ip", "ospf"])
        && words.contains(&"neighbor")
        && !words.contains(&"detail");
    if !ospf_neighbors {
        return;
    }
    let Some(neighbors) = json.get_mut("neighbors").and_then(Value::as_object_mut) else {
        return;
    };
    for list in neighbors.values_mut() {
        for n in list.as_array_mut().into_iter().flatten() {
            let Some(n) = n.as_object_mut() else { continue };
            for (old, new) in OSPF_NEIGHBOR_ALIASES {
                if let Some(v) = n.remove(old) {
                    n.entry(new).or_insert(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frr_8s_ospf_neighbor_aliases_give_way_to_frr_10s_names() {
        // Trimmed from PR of the seed lab on labfrr:8 (FRR 8.4.4).
        let frr8 = r#"{"neighbors":{"1.1.1.1":[{"priority":1,"state":"Full/-","nbrPriority":1,
            "nbrState":"Full/-","converged":"Full","address":"10.1.1.2","ifaceAddress":"10.1.1.2",
            "ifaceName":"eth0:10.1.1.254"}]}}"#;
        let frr10 = r#"{"neighbors":{"1.1.1.1":[{"nbrState":"Full/-","nbrPriority":1,
            "converged":"Full","ifaceAddress":"10.1.1.2","ifaceName":"eth0:10.1.1.254"}]}}"#;
        let cmd = "show ip ospf neighbor json";
        assert_eq!(parse(cmd, frr8).unwrap(), parse(cmd, frr10).unwrap());
        // An FRR with the old names only gets the new ones.
        let old = r#"{"neighbors":{"1.1.1.1":[{"state":"Full/DR","address":"10.1.1.2"}]}}"#;
        assert_eq!(
            parse(cmd, old).unwrap(),
            json!({"neighbors":{"1.1.1.1":[{"nbrState":"Full/DR","ifaceAddress":"10.1.1.2"}]}})
        );
        // Other commands are as FRR printed them.
        let route = r#"{"state":"x"}"#;
        assert_eq!(
            parse("show ip route json", route).unwrap(),
            json!({"state":"x"})
        );
    }
}
