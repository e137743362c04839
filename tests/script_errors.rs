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
        e.message.contains("invalid RT `10-100`: no `:`"),
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
        engine.session.borrow().checks_passed(),
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

#[test]
fn exit_ends_the_script_with_its_status_after_applying_what_it_configured() {
    let dir = root().join("scripts");
    let text =
        format!("{SEED}router(\"PR\").addresses();\nexit(3);\nrouter(\"PE1\").addresses();\n");
    let exit_of = |text: &str| match plan_text(&dir, "test.rhai", text) {
        (Err(ScriptError::Exit(code)), transcript) => (code, transcript),
        (Err(e), _) => panic!("expected exit, got {e}"),
        (Ok(_), _) => panic!("expected exit for:\n{text}"),
    };
    let (code, transcript) = exit_of(&text);
    assert_eq!(code, 3);
    assert!(transcript.contains("PR# configure"), "{transcript}");
    assert!(!transcript.contains("PE1# configure"), "{transcript}");
    assert_eq!(exit_of(&format!("{SEED}exit();\n")).0, 0);
    assert_eq!(exit_of(&format!("{SEED}exit(300);\n")).0, 1);
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_script() {
    let dir = root().join("scripts");
    let (result, _) = plan_text(&dir, "test.rhai", &format!("\u{feff}{SEED}"));
    assert!(result.is_ok());
    let e = error_of(&format!("\u{feff}{SEED}let r = router(\"PE9\");\n"));
    assert_eq!(e.line_col(), (2, 9));
}

/// What FRR or the kernel would refuse is refused at plan time, on the call, with FRR's range.
#[test]
fn values_frr_would_refuse_are_refused_at_plan_time_with_a_help_line() {
    let cases: [(&str, &str, &str); 10] = [
        (
            "router(\"PR\").interface(\"eth0\").ospf_cost(999999999);",
            "OSPF cost 999999999 is out of range",
            "FRR takes 1-65535",
        ),
        (
            "router(\"PR\").interface(\"eth0\").ospf_hello(0);",
            "OSPF hello interval (s) 0 is out of range",
            "FRR takes 1-65535",
        ),
        (
            "router(\"PR\").interface(\"eth0\").ospf_dead(0);",
            "OSPF dead interval (s) 0 is out of range",
            "FRR takes 1-65535",
        ),
        (
            "router(\"PE1\").bgp(0);",
            "AS number 0 is out of range",
            "FRR takes 1-4294967295",
        ),
        (
            "router(\"PE1\").vrf(\"CUSTA\", 10).rt(\"70000:70000\");",
            "invalid RT `70000:70000`: with a 4-byte AS number",
            "write ASN:NN",
        ),
        (
            "router(\"PE1\").vrf(\"CUSTA\", 0);",
            "VRF table 0 is out of range",
            "FRR takes 1-",
        ),
        (
            "router(\"PE1\").vrf(\"CUSTA\", 254);",
            "VRF table 254 is one of the kernel's own tables",
            "pick another",
        ),
        (
            "router(\"PE1\").vrf(\"eth0\", 10);",
            "VRF name `eth0` is already an interface of the router",
            "no interface has",
        ),
        (
            "router(\"PE1\").vrf(\"default\", 10);",
            "`default` is FRR's name for the table outside every VRF",
            "after its customer",
        ),
        (
            "router(\"PE1\").vrf(\"CUSTA\", 10).bind(\"lo\");",
            "lo cannot be bound to a VRF",
            "bind the interface towards the customer",
        ),
    ];
    for (call, message, help) in cases {
        let e = error_of(&format!("{SEED}{call}\n"));
        assert_eq!(e.line_col().0, 2, "{call}");
        assert!(e.message.contains(message), "{call}: {}", e.message);
        let got = e.help.clone().unwrap_or_default();
        assert!(got.contains(help), "{call}: help {got:?}");
    }
}

#[test]
fn a_second_topology_and_a_bad_lab_name_are_refused() {
    let e = error_of(&format!("{SEED}topology(\"../tests/labs/tiny.topo\");\n"));
    assert_eq!(e.line_col().0, 2);
    assert!(
        e.message
            .contains("a topology is already loaded (lab mpls_vpn)"),
        "{}",
        e.message
    );
    let dir = root().join("scripts");
    // The same file again changes nothing.
    let (again, _) = plan_text(&dir, "test.rhai", &format!("{SEED}{SEED}"));
    assert!(again.is_ok());
    for bad in ["a b", ""] {
        let (report, _) = mplsrepl::ui::Reporter::buffer(false);
        let opts = mplsrepl::script::Options {
            lab_name: Some(bad.to_string()),
            ..Default::default()
        };
        let session = mplsrepl::script::Session::new(
            Box::new(mplsrepl::runtime::plan::PlanBackend),
            report,
            opts,
        );
        let mut engine = mplsrepl::script::ScriptEngine::new(session);
        engine.session.borrow_mut().base_dir = dir.clone();
        let source = mplsrepl::diagnostic::Source::new("test.rhai", SEED);
        let Err(ScriptError::At(e)) = engine.run_source(&source) else {
            panic!("--lab-name {bad:?} was taken");
        };
        assert!(
            e.message
                .contains(&format!("invalid lab name `{bad}` (--lab-name)")),
            "{}",
            e.message
        );
        assert!(e.help.is_some(), "{bad:?}");
    }
}

#[test]
fn a_malformed_exercise_is_located_and_says_what_it_lacks() {
    let check = "#{ what: \"w\", hint: \"h\", check: || true }";
    for (body, said) in [
        (
            "exercise(\"t\", #{ hints: [], solution: \"\" });".to_string(),
            "exercise `t`: no `checks` in its map",
        ),
        (
            "exercise(\"t\", #{ hints: [], solution: \"\", checks: [] });".to_string(),
            "no checks, so nothing could say it is done",
        ),
        (
            format!("exercise(\"t\", #{{ hints: [1], solution: \"\", checks: [{check}] }});"),
            "a hints entry is i64",
        ),
        (
            format!(
                "exercise(\"t\", #{{ hints: [], solution: \"\", checks: [{check}], hint: 1 }});"
            ),
            "unknown key `hint`",
        ),
        (
            format!("exercise(\"t\", #{{ hints: [], solution: \"nope(\", checks: [{check}] }});"),
            "its reference solution failed",
        ),
    ] {
        let e = error_of(&format!("{SEED}{body}\n"));
        assert_eq!(e.line_col(), (2, 1), "{body}");
        assert_eq!(e.spanned_text(), "exercise", "{body}");
        assert!(e.message.contains(said), "{body}: {}", e.message);
    }
}

/// Rhai looks a closure's hidden function up where it is called: one made by a stdlib
/// function would be "not found" outside its module unless the engine makes it reachable.
#[test]
fn a_closure_made_by_a_stdlib_function_can_be_called_from_the_script() {
    let dir = root().join("scripts");
    let text = format!(
        "{SEED}import \"breakfix\" as breakfix;\nlet checks = breakfix::checks();\nlet f = checks[6].check;\nif type_of(f.call()) != \"bool\" {{ throw \"not a verdict\"; }}\n"
    );
    let (result, _) = plan_text(&dir, "test.rhai", &text);
    if let Err(e) = result {
        panic!("{e}");
    }
}
