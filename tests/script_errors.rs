//! Script errors point at the text that caused them (file:line:col and the span), and runaway
//! scripts end with an error instead of hanging.

mod common;

use common::*;
use mplsrepl::script::ScriptError;

fn error_of(text: &str) -> mplsrepl::diagnostic::SourceError {
    let dir = root().join("scripts");
    let (result, _) = plan_text(&dir, "test.rhai", text);
    match result {
        Err(ScriptError::At(e)) => *e,
        Err(other) => panic!("expected a located error, got {other}"),
        Ok(_) => panic!("expected an error for:\n{text}"),
    }
}

const SEED: &str = "topology(\"mpls_vpn.topo\");\n";

#[test]
fn unknown_router_is_located_on_the_call() {
    let e = error_of(&format!("{SEED}let r = router(\"PE9\");\n"));
    assert_eq!(e.line_col(), (2, 9));
    assert_eq!(e.spanned_text(), "router");
    assert!(
        e.message
            .contains("unknown router `PE9` (the lab has: PR, PE1, PE2, CE1, CE2, CE3, CE4)"),
        "{}",
        e.message
    );
    assert!(e.to_string().starts_with("test.rhai:2:9: "), "{e}");
}

#[test]
fn unknown_interface_names_the_interfaces_there_are() {
    let e = error_of(&format!(
        "{SEED}router(\"PE1\").vrf(\"CUSTA\", 10).bind(\"eth7\");\n"
    ));
    assert_eq!(e.line_col().0, 2);
    assert_eq!(e.spanned_text(), "bind");
    assert!(
        e.message
            .contains("router PE1 has no interface `eth7` (it has: lo, eth0, eth1, eth2)"),
        "{}",
        e.message
    );
}

#[test]
fn bad_route_target_is_explained() {
    let e = error_of(&format!(
        "{SEED}router(\"PE1\").bgp(65000);\nrouter(\"PE1\").vrf(\"CUSTA\", 10).rt(\"10-100\");\n"
    ));
    assert_eq!(e.line_col().0, 3);
    assert!(
        e.message
            .contains("invalid RD/RT `10-100` (expected ASN:NN or A.B.C.D:NN, e.g. 10:100)"),
        "{}",
        e.message
    );
}

#[test]
fn vpn_without_bgp_says_what_to_call_first() {
    let e = error_of(&format!(
        "{SEED}router(\"PE1\").vrf(\"CUSTA\", 10).rd(\"1:100\");\n"
    ));
    assert!(
        e.message.contains("call router(\"PE1\").bgp(ASN) first"),
        "{}",
        e.message
    );
}

#[test]
fn syntax_error_is_located() {
    let e = error_of("let x = ;\n");
    assert_eq!(e.line_col(), (1, 9));
    assert_eq!(e.spanned_text(), ";");
}

#[test]
fn errors_inside_stdlib_name_the_function_and_point_at_the_call() {
    let e = error_of(&format!(
        "{SEED}import \"ospf\" as ospf;\nospf::core(\"NOPE\");\n"
    ));
    assert_eq!(e.line_col().0, 3);
    assert!(e.message.contains("in core(): "), "{}", e.message);
    assert!(e.message.contains("unknown router `NOPE`"), "{}", e.message);
}

#[test]
fn a_runaway_loop_ends_with_an_error() {
    let e = error_of("let i = 0;\nloop { i += 1; }\n");
    assert!(
        e.message.to_lowercase().contains("too many operations"),
        "{}",
        e.message
    );
}

#[test]
fn runaway_recursion_ends_with_an_error() {
    let e = error_of("fn f(n) { f(n + 1) }\nf(0);\n");
    assert_eq!(e.line_col().0, 2);
    assert!(e.message.contains("Stack overflow"), "{}", e.message);
}

#[test]
fn checks_in_a_plan_are_printed_not_evaluated() {
    let (result, transcript) = plan_text(
        &root().join("scripts"),
        "t.rhai",
        &format!("{SEED}expect_ping(\"CE1\", \"192.168.2.1\", \"192.168.1.1\");\n"),
    );
    let engine = result.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        transcript.contains("check CE1: ping -I 192.168.1.1 192.168.2.1 succeeds"),
        "{transcript}"
    );
    assert_eq!(
        engine.session.borrow().checks_passed,
        0,
        "a plan passes no check"
    );
}

#[test]
fn an_endless_topology_file_is_refused_not_read_forever() {
    let e = error_of("topology(\"/dev/zero\");\n");
    assert!(
        e.message
            .contains("/dev/zero is larger than 16 MiB: not a topology"),
        "{}",
        e.message
    );
}
