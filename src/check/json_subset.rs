//! "Does this `show ... json` output contain that subset?" with the semantics of FRR's
//! topotests `json_cmp` (tests/topotests/lib/topotest.py), so that expectations copied from
//! FRR's own test suites mean the same thing here.
//!
//! FRR documents `json_cmp(d1, d2)` as: it "returns 'None' when all JSON Object keys and all
//! Array elements of d2 have a match in d1, i.e., when d2 is a "subset" of d1 without honoring
//! any order", and:
//!
//! > * using 'null' (or 'None' in Python) as JSON Object value is checking for key absence in d1
//! > * using '*' as JSON Object value or Array value is checking for presence in d1 without
//! >   checking the values
//! > * using '__ordered__' as first element in a JSON Array in d2 will also check the order
//! >   when it is compared to an Array in d1
//!
//! The rules implemented here, with `actual` as FRR's `d1` and `expected` as `d2`:
//!
//! * Objects: every key of `expected` must be in `actual` and match recursively; extra keys in
//!   `actual` are fine. A key whose expected value is `null` must be absent from `actual`.
//! * Arrays (default): every expected element must match a *distinct* actual element, in any
//!   order. Unlike FRR, which takes the first matching element greedily, this finds a maximum
//!   matching, so `[{}, {"a":1}]` is found in `[{"a":1}, {"b":2}]`.
//! * Arrays with `ordered` (FRR's `__ordered__` marker, or the `ordered` parameter for every
//!   array): the lengths must be equal and element `i` must match element `i`. FRR's
//!   `exact=True` additionally forbids extra object keys; that is deliberately not offered,
//!   since `expect` is about subsets.
//! * `"*"` matches any value (the key must still be present).
//! * Scalars must be equal; numbers compare numerically (`1 == 1.0`). Unlike Python, `true` is
//!   not equal to `1`.

use std::fmt;

use serde_json::{Map, Number, Value};

/// Marker that FRR expectations put first in an array to ask for an ordered comparison.
const ORDERED_MARKER: &str = "__ordered__";
/// Expected value that matches anything that is present.
const WILDCARD: &str = "*";
/// Rendering of a missing key, on either side.
const ABSENT: &str = "absent";

/// One place where `actual` does not contain `expected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where in the document: object keys joined by `.`, array indices as `[i]`, e.g.
    /// `peers.2.2.2.2.state` or `neighbors[0].state`; empty for the root. Keys are not
    /// quoted because FRR keys are mostly addresses, which read better bare. In unordered
    /// arrays the index is the one of the *actual* element, so it can be found in the output.
    pub path: String,
    /// Compact JSON of the expected value, or `absent` when the key must not exist.
    pub expected: String,
    /// Compact JSON of the actual value, or `absent` when it is missing.
    pub actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "<root>"
        } else {
            &self.path
        };
        write!(f, "{path}: expected {}, got {}", self.expected, self.actual)
    }
}

/// Everything in `expected` that `actual` does not contain; empty means `actual` matches.
///
/// `ordered` makes every array compare element by element (see the module docs).
pub fn json_subset_diff(actual: &Value, expected: &Value, ordered: bool) -> Vec<Mismatch> {
    let mut out = Vec::new();
    diff(actual, expected, ordered, "", &mut out);
    out
}

/// `actual` cut down to where `expected` looks: of each object only the keys `expected` names
/// (each array element against the keys its elements name), whole values below that. What a
/// failed check shows of a long output: the part its expectation is about.
pub fn project(actual: &Value, expected: &Value) -> Value {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => Value::Object(
            e.iter()
                .filter_map(|(k, ev)| a.get(k).map(|av| (k.clone(), project(av, ev))))
                .collect(),
        ),
        (Value::Array(a), Value::Array(e)) => {
            let mut keys = serde_json::Map::new();
            for ev in e {
                if let Value::Object(m) = ev {
                    for (k, v) in m {
                        keys.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            if keys.is_empty() {
                return actual.clone();
            }
            let shape = Value::Object(keys);
            Value::Array(a.iter().map(|av| project(av, &shape)).collect())
        }
        _ => actual.clone(),
    }
}

/// Same verdict as `json_subset_diff(..).is_empty()` without building the report, for retry
/// loops that poll a router many times before a mismatch is worth describing.
pub fn json_subset_matches(actual: &Value, expected: &Value, ordered: bool) -> bool {
    if is_wildcard(expected) {
        return true;
    }
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.iter().all(|(key, ev)| match (a.get(key), ev) {
            (found, Value::Null) => found.is_none(),
            (Some(av), _) => json_subset_matches(av, ev, ordered),
            (None, _) => false,
        }),
        (Value::Array(a), Value::Array(e)) => {
            let (e, this_ordered) = array_mode(e, ordered);
            if this_ordered {
                a.len() == e.len()
                    && a.iter()
                        .zip(e)
                        .all(|(av, ev)| json_subset_matches(av, ev, ordered))
            } else {
                // Cheap refusal before the quadratic matching.
                e.len() <= a.len()
                    && max_matching(&candidates(a, e, ordered), a.len())
                        .iter()
                        .all(Option::is_some)
            }
        }
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => false,
        (a, e) => scalar_eq(a, e),
    }
}

fn diff(actual: &Value, expected: &Value, ordered: bool, path: &str, out: &mut Vec<Mismatch>) {
    if is_wildcard(expected) {
        return;
    }
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => diff_object(a, e, ordered, path, out),
        (Value::Array(a), Value::Array(e)) => {
            let (e, this_ordered) = array_mode(e, ordered);
            if this_ordered {
                diff_ordered(a, e, ordered, path, out);
            } else {
                diff_unordered(a, e, path, out);
            }
        }
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => {
            out.push(mismatch(path, render(expected), render(actual)));
        }
        (a, e) => {
            if !scalar_eq(a, e) {
                out.push(mismatch(path, render(expected), render(actual)));
            }
        }
    }
}

fn diff_object(
    actual: &Map<String, Value>,
    expected: &Map<String, Value>,
    ordered: bool,
    path: &str,
    out: &mut Vec<Mismatch>,
) {
    for (key, ev) in expected {
        let child = join_key(path, key);
        match (actual.get(key), ev) {
            (None, Value::Null) => {}
            (Some(av), Value::Null) => out.push(mismatch(&child, ABSENT.into(), render(av))),
            (None, _) => out.push(mismatch(&child, render(ev), ABSENT.into())),
            (Some(av), _) => diff(av, ev, ordered, &child, out),
        }
    }
}

/// `ordered` is the caller's setting for nested arrays: FRR's marker orders only its own array.
fn diff_ordered(
    actual: &[Value],
    expected: &[Value],
    ordered: bool,
    path: &str,
    out: &mut Vec<Mismatch>,
) {
    if actual.len() != expected.len() {
        out.push(mismatch(
            path,
            format!("array of length {}", expected.len()),
            format!("array of length {}", actual.len()),
        ));
    }
    // Still compare the common prefix: "length differs" alone rarely says what went wrong.
    for (i, (av, ev)) in actual.iter().zip(expected).enumerate() {
        diff(av, ev, ordered, &join_index(path, i), out);
    }
}

fn diff_unordered(actual: &[Value], expected: &[Value], path: &str, out: &mut Vec<Mismatch>) {
    let assignment = max_matching(&candidates(actual, expected, false), actual.len());
    let mut free: Vec<bool> = vec![true; actual.len()];
    for j in assignment.iter().flatten() {
        if let Some(slot) = free.get_mut(*j) {
            *slot = false;
        }
    }
    for (ev, assigned) in expected.iter().zip(&assignment) {
        if assigned.is_some() {
            continue;
        }
        // For a structured element, the most useful report is how the nearest leftover actual
        // element differs (as FRR's "closest match"); a scalar has no "nearly equal".
        let closest = if matches!(ev, Value::Object(_) | Value::Array(_)) {
            closest_free(actual, ev, &free, path)
        } else {
            None
        };
        match closest {
            Some((j, report)) => {
                if let Some(slot) = free.get_mut(j) {
                    *slot = false;
                }
                out.extend(report);
            }
            None => out.push(mismatch(
                path,
                format!("an element matching {}", render(ev)),
                ABSENT.into(),
            )),
        }
    }
}

/// The unused actual element with the fewest mismatches against `expected` (lowest index on
/// ties), with those mismatches.
fn closest_free(
    actual: &[Value],
    expected: &Value,
    free: &[bool],
    path: &str,
) -> Option<(usize, Vec<Mismatch>)> {
    let mut best: Option<(usize, Vec<Mismatch>)> = None;
    for (j, av) in actual.iter().enumerate() {
        if !free.get(j).copied().unwrap_or(false) {
            continue;
        }
        let mut report = Vec::new();
        diff(av, expected, false, &join_index(path, j), &mut report);
        if best.as_ref().is_none_or(|(_, b)| report.len() < b.len()) {
            best = Some((j, report));
        }
    }
    best
}

/// For each expected element, the actual elements it matches.
fn candidates(actual: &[Value], expected: &[Value], ordered: bool) -> Vec<Vec<usize>> {
    expected
        .iter()
        .map(|ev| {
            actual
                .iter()
                .enumerate()
                .filter(|(_, av)| json_subset_matches(av, ev, ordered))
                .map(|(j, _)| j)
                .collect()
        })
        .collect()
}

/// Maximum bipartite matching (augmenting paths found by BFS, so no recursion depth to worry
/// about on long arrays). Returns, for each expected element, the actual element it got.
fn max_matching(candidates: &[Vec<usize>], n_actual: usize) -> Vec<Option<usize>> {
    let mut assigned: Vec<Option<usize>> = vec![None; candidates.len()];
    let mut owner: Vec<Option<usize>> = vec![None; n_actual];
    for start in 0..candidates.len() {
        let mut reached_from: Vec<Option<usize>> = vec![None; n_actual];
        let mut queue = std::collections::VecDeque::from([start]);
        let mut free_end = None;
        'search: while let Some(i) = queue.pop_front() {
            for &j in candidates.get(i).map(Vec::as_slice).unwrap_or_default() {
                let Some(slot) = reached_from.get_mut(j) else {
                    continue;
                };
                if slot.is_some() {
                    continue;
                }
                *slot = Some(i);
                match owner.get(j).copied().flatten() {
                    None => {
                        free_end = Some(j);
                        break 'search;
                    }
                    Some(k) => queue.push_back(k),
                }
            }
        }
        // Flip the path back to `start`: every expected element on it takes the actual element
        // it reached, releasing the one it had to the previous element on the path.
        let mut cursor = free_end;
        while let Some(j) = cursor {
            let Some(i) = reached_from.get(j).copied().flatten() else {
                break;
            };
            let Some(previous) = assigned.get_mut(i) else {
                break;
            };
            cursor = previous.replace(j);
            if let Some(o) = owner.get_mut(j) {
                *o = Some(i);
            }
        }
    }
    assigned
}

/// Strips FRR's `__ordered__` marker, which turns ordering on for this array only.
fn array_mode(expected: &[Value], ordered: bool) -> (&[Value], bool) {
    match expected.split_first() {
        Some((Value::String(s), rest)) if s == ORDERED_MARKER => (rest, true),
        _ => (expected, ordered),
    }
}

fn is_wildcard(v: &Value) -> bool {
    matches!(v, Value::String(s) if s == WILDCARD)
}

fn scalar_eq(a: &Value, e: &Value) -> bool {
    match (a, e) {
        (Value::Number(a), Value::Number(e)) => number_eq(a, e),
        _ => a == e,
    }
}

/// Integers compare exactly (an f64 cannot tell apart large counters), anything involving a
/// float compares as f64, so FRR's `"uptime": 1` and a script's `1.0` agree.
fn number_eq(a: &Number, e: &Number) -> bool {
    if let (Some(a), Some(e)) = (a.as_i64(), e.as_i64()) {
        return a == e;
    }
    if let (Some(a), Some(e)) = (a.as_u64(), e.as_u64()) {
        return a == e;
    }
    if a.is_f64() || e.is_f64() {
        return match (a.as_f64(), e.as_f64()) {
            (Some(a), Some(e)) => a == e,
            _ => false,
        };
    }
    // One negative i64 and one u64 beyond i64::MAX.
    false
}

fn render(v: &Value) -> String {
    if is_wildcard(v) {
        return "any value".into();
    }
    v.to_string()
}

fn mismatch(path: &str, expected: String, actual: String) -> Mismatch {
    Mismatch {
        path: path.to_string(),
        expected,
        actual,
    }
}

fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn join_index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_output_is_cut_to_where_the_expectation_looks() {
        let actual = serde_json::json!({
            "routerId": "9.9.9.9",
            "neighbors": {
                "1.1.1.1": [{"converged": "Init", "priority": 1, "deadTimeMsecs": 3000}],
                "2.2.2.2": [{"converged": "Full", "priority": 1}]
            }
        });
        let expected = serde_json::json!({"neighbors": {"1.1.1.1": [{"converged": "Full"}]}});
        assert_eq!(
            project(&actual, &expected),
            serde_json::json!({"neighbors": {"1.1.1.1": [{"converged": "Init"}]}})
        );
        // Nothing where it looks: the key is simply absent.
        let expected = serde_json::json!({"peers": {"2.2.2.2": {"state": "Established"}}});
        assert_eq!(project(&actual, &expected), serde_json::json!({}));
    }
    use serde_json::json;

    /// Diff, while checking that the fast boolean path agrees with the report.
    fn check(actual: &Value, expected: &Value, ordered: bool) -> Vec<Mismatch> {
        let report = json_subset_diff(actual, expected, ordered);
        assert_eq!(
            report.is_empty(),
            json_subset_matches(actual, expected, ordered),
            "matches() disagrees with diff() for {actual} ⊇? {expected}: {report:?}"
        );
        report
    }

    fn m(path: &str, expected: &str, actual: &str) -> Mismatch {
        Mismatch {
            path: path.into(),
            expected: expected.into(),
            actual: actual.into(),
        }
    }

    #[test]
    fn equal_scalars_match() {
        for v in [json!(1), json!("up"), json!(true), json!(null), json!(2.5)] {
            assert!(check(&v, &v, false).is_empty(), "{v}");
        }
    }

    #[test]
    fn different_scalars_report_both_values_at_root() {
        assert_eq!(
            check(&json!("down"), &json!("up"), false),
            [m("", "\"up\"", "\"down\"")]
        );
        assert_eq!(
            check(&json!(false), &json!(true), false),
            [m("", "true", "false")]
        );
    }

    #[test]
    fn numbers_compare_numerically() {
        assert!(check(&json!(1), &json!(1.0), false).is_empty());
        assert!(check(&json!(1.0), &json!(1), false).is_empty());
        assert!(check(&json!(-3), &json!(-3.0), false).is_empty());
        assert!(check(&json!(u64::MAX), &json!(u64::MAX), false).is_empty());
        assert!(!check(&json!(u64::MAX), &json!(u64::MAX - 1), false).is_empty());
        assert!(!check(&json!(-1), &json!(u64::MAX), false).is_empty());
        assert!(!check(&json!(1), &json!(1.5), false).is_empty());
    }

    #[test]
    fn types_are_not_coerced() {
        assert_eq!(check(&json!("1"), &json!(1), false), [m("", "1", "\"1\"")]);
        assert_eq!(check(&json!(1), &json!(true), false), [m("", "true", "1")]);
        assert_eq!(check(&json!(null), &json!(0), false), [m("", "0", "null")]);
        assert_eq!(
            check(&json!({"a": 1}), &json!([1]), false),
            [m("", "[1]", "{\"a\":1}")]
        );
        assert_eq!(
            check(&json!("x"), &json!({"a": 1}), false),
            [m("", "{\"a\":1}", "\"x\"")]
        );
    }

    #[test]
    fn extra_actual_keys_are_fine() {
        let actual = json!({"state": "Established", "uptime": 42, "pfxRcd": 3});
        assert!(check(&actual, &json!({"state": "Established"}), false).is_empty());
        assert!(check(&actual, &json!({}), false).is_empty());
    }

    #[test]
    fn missing_key_is_reported_absent() {
        let actual = json!({"peers": {"1.1.1.1": {"state": "Established"}}});
        let expected = json!({"peers": {"2.2.2.2": {"state": "Established"}}});
        assert_eq!(
            check(&actual, &expected, false),
            [m("peers.2.2.2.2", "{\"state\":\"Established\"}", "absent")]
        );
    }

    #[test]
    fn nested_mismatch_path_joins_keys_with_dots() {
        let actual = json!({"peers": {"2.2.2.2": {"state": "Active", "uptime": 0}}});
        let expected = json!({"peers": {"2.2.2.2": {"state": "Established"}}});
        let report = check(&actual, &expected, false);
        assert_eq!(
            report,
            [m("peers.2.2.2.2.state", "\"Established\"", "\"Active\"")]
        );
        assert_eq!(
            report[0].to_string(),
            "peers.2.2.2.2.state: expected \"Established\", got \"Active\""
        );
    }

    #[test]
    fn every_mismatch_is_reported_not_just_the_first() {
        let actual = json!({"a": 1, "b": 2});
        let expected = json!({"a": 9, "b": 8, "c": 7});
        assert_eq!(check(&actual, &expected, false).len(), 3);
    }

    #[test]
    fn null_means_key_must_be_absent() {
        let expected = json!({"routes": {"10.0.0.0/24": null}});
        assert!(check(&json!({"routes": {}}), &expected, false).is_empty());
        assert!(check(&json!({"routes": {"10.0.1.0/24": []}}), &expected, false).is_empty());
        let present = json!({"routes": {"10.0.0.0/24": [{"protocol": "bgp"}]}});
        assert_eq!(
            check(&present, &expected, false),
            [m(
                "routes.10.0.0.0/24",
                "absent",
                "[{\"protocol\":\"bgp\"}]"
            )]
        );
        // A key that is present with a JSON null value is still present.
        assert_eq!(
            check(&json!({"x": null}), &json!({"x": null}), false),
            [m("x", "absent", "null")]
        );
    }

    #[test]
    fn null_outside_an_object_value_is_a_plain_scalar() {
        assert!(check(&json!([1, null]), &json!([null]), false).is_empty());
        assert!(!check(&json!([1]), &json!([null]), false).is_empty());
    }

    #[test]
    fn wildcard_requires_presence_only() {
        let expected = json!({"peers": {"2.2.2.2": "*"}});
        assert!(check(&json!({"peers": {"2.2.2.2": {"x": 1}}}), &expected, false).is_empty());
        assert!(check(&json!({"peers": {"2.2.2.2": null}}), &expected, false).is_empty());
        assert_eq!(
            check(&json!({"peers": {}}), &expected, false),
            [m("peers.2.2.2.2", "any value", "absent")]
        );
        assert!(check(&json!([7, 8]), &json!(["*", "*"]), false).is_empty());
        assert!(!check(&json!([7]), &json!(["*", "*"]), false).is_empty());
    }

    #[test]
    fn arrays_are_unordered_subsets_by_default() {
        let actual = json!([1, 2, 3]);
        assert!(check(&actual, &json!([3, 1]), false).is_empty());
        assert!(check(&actual, &json!([]), false).is_empty());
        assert_eq!(
            check(&actual, &json!([4]), false),
            [m("", "an element matching 4", "absent")]
        );
    }

    #[test]
    fn each_expected_element_needs_its_own_actual_element() {
        assert!(!check(&json!([{"a": 1}]), &json!([{"a": 1}, {"a": 1}]), false).is_empty());
        assert!(check(
            &json!([{"a": 1}, {"a": 1}]),
            &json!([{"a": 1}, {"a": 1}]),
            false
        )
        .is_empty());
        assert_eq!(
            check(&json!([5]), &json!([5, 5]), false),
            [m("", "an element matching 5", "absent")]
        );
    }

    #[test]
    fn matching_is_not_greedy() {
        // Greedy would give {} the first element and leave nothing for {"a":1}.
        let actual = json!([{"a": 1}, {"b": 2}]);
        assert!(check(&actual, &json!([{}, {"a": 1}]), false).is_empty());
        // Needs an augmenting path through two reassignments.
        let actual = json!([{"a": 1, "b": 1}, {"b": 1, "c": 1}, {"c": 1}]);
        let expected = json!([{"b": 1}, {"c": 1}, {"a": 1}]);
        assert!(check(&actual, &expected, false).is_empty());
    }

    #[test]
    fn ldp_neighbor_subset_matches() {
        let actual = json!({"neighbors": [
            {"addressFamily": "ipv4", "neighborId": "3.3.3.3", "state": "OPERATIONAL", "upTime": "00:01:02"},
            {"addressFamily": "ipv4", "neighborId": "1.1.1.1", "state": "OPERATIONAL", "upTime": "00:01:05"},
        ]});
        let expected = json!({"neighbors": [{"neighborId": "1.1.1.1", "state": "OPERATIONAL"}]});
        assert!(check(&actual, &expected, false).is_empty());
    }

    #[test]
    fn ldp_neighbor_mismatch_points_at_the_closest_actual_element() {
        let actual = json!({"neighbors": [
            {"neighborId": "3.3.3.3", "state": "OPERATIONAL"},
            {"neighborId": "1.1.1.1", "state": "INITIALIZED"},
        ]});
        let expected = json!({"neighbors": [
            {"neighborId": "3.3.3.3", "state": "OPERATIONAL"},
            {"neighborId": "1.1.1.1", "state": "OPERATIONAL"},
        ]});
        let report = check(&actual, &expected, false);
        assert_eq!(
            report,
            [m(
                "neighbors[1].state",
                "\"OPERATIONAL\"",
                "\"INITIALIZED\""
            )]
        );
        assert_eq!(
            report[0].to_string(),
            "neighbors[1].state: expected \"OPERATIONAL\", got \"INITIALIZED\""
        );
    }

    #[test]
    fn missing_structured_element_without_leftovers_is_absent() {
        let actual = json!({"neighbors": []});
        let expected = json!({"neighbors": [{"neighborId": "1.1.1.1"}]});
        assert_eq!(
            check(&actual, &expected, false),
            [m(
                "neighbors",
                "an element matching {\"neighborId\":\"1.1.1.1\"}",
                "absent"
            )]
        );
    }

    #[test]
    fn nested_arrays_of_objects() {
        let actual = json!({"routes": {"10.0.0.0/24": [{
            "protocol": "bgp",
            "nexthops": [
                {"ip": "10.1.1.2", "labels": [16, 80]},
                {"ip": "10.1.2.2", "labels": [17, 80]},
            ],
        }]}});
        let ok = json!({"routes": {"10.0.0.0/24": [{"nexthops": [{"labels": [80, 17]}]}]}});
        assert!(check(&actual, &ok, false).is_empty());
        let bad = json!({"routes": {"10.0.0.0/24": [{"nexthops": [{"ip": "10.1.2.2", "labels": [18]}]}]}});
        assert_eq!(
            check(&actual, &bad, false),
            [m(
                "routes.10.0.0.0/24[0].nexthops[1].labels",
                "an element matching 18",
                "absent"
            )]
        );
    }

    #[test]
    fn root_level_array_paths_start_with_an_index() {
        let report = check(
            &json!([{"state": "down"}]),
            &json!([{"state": "up"}]),
            false,
        );
        assert_eq!(report, [m("[0].state", "\"up\"", "\"down\"")]);
    }

    #[test]
    fn ordered_parameter_compares_index_by_index() {
        let actual = json!({"labels": [16, 80]});
        assert!(check(&actual, &json!({"labels": [16, 80]}), true).is_empty());
        assert_eq!(
            check(&actual, &json!({"labels": [80, 16]}), true),
            [m("labels[0]", "80", "16"), m("labels[1]", "16", "80")]
        );
        // Unordered, the same expectation holds.
        assert!(check(&actual, &json!({"labels": [80, 16]}), false).is_empty());
    }

    #[test]
    fn ordered_arrays_need_equal_length() {
        let actual = json!([1, 2, 3]);
        assert_eq!(
            check(&actual, &json!([1, 2]), true),
            [m("", "array of length 2", "array of length 3")]
        );
        assert_eq!(
            check(&json!([1]), &json!([2, 3]), true),
            [
                m("", "array of length 2", "array of length 1"),
                m("[0]", "2", "1")
            ]
        );
    }

    #[test]
    fn ordered_still_allows_extra_object_keys() {
        let actual = json!([{"a": 1, "b": 2}, {"a": 2}]);
        assert!(check(&actual, &json!([{"a": 1}, {"a": 2}]), true).is_empty());
    }

    #[test]
    fn ordered_marker_applies_to_its_array_only() {
        let actual = json!({"outer": [{"inner": [2, 1]}, {"inner": [3]}]});
        let expected = json!({"outer": ["__ordered__", {"inner": [1, 2]}, {"inner": [3]}]});
        assert!(check(&actual, &expected, false).is_empty());
        let swapped = json!({"outer": ["__ordered__", {"inner": [3]}, {"inner": [1, 2]}]});
        assert!(!check(&actual, &swapped, false).is_empty());
        // The marker is not an element to be found.
        assert!(check(&json!([]), &json!(["__ordered__"]), false).is_empty());
    }

    #[test]
    fn mismatch_display_names_the_root() {
        assert_eq!(m("", "1", "2").to_string(), "<root>: expected 1, got 2");
    }
}
