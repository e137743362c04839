//! Inputs found by fuzzing (`fuzz/run.sh`) and hand-made nasty ones, replayed the way the fuzz
//! targets run them: the topology loader and the script engine (plan backend, seed lab loaded
//! first) either accept the text or reject it with an error located inside it; none panics.

mod common;

use common::*;
use mplsrepl::diagnostic::{Source, SourceError};
use mplsrepl::script::ScriptError;
use mplsrepl::topology::{self, Lab};

/// What both fuzz targets assert of every error: a non-empty message, a span inside the text
/// on character boundaries, and a rendering that does not panic.
fn assert_located(text: &str, e: &SourceError) {
    // A leading byte-order mark is not part of the text.
    assert_eq!(
        &*e.source.text,
        text.strip_prefix('\u{feff}').unwrap_or(text),
        "the error points into the text it was given"
    );
    assert_eq!(e.malformed(), None);
    let _ = e.to_string();
    let _ = e.render(false);
}

// -------------------------------------------------------------------------------------------------
// Topology

fn load(text: &str) -> Result<Lab, Vec<SourceError>> {
    topology::load(&Source::new("fuzz.topo", text)).map_err(|e| e.0)
}

/// The first error, after checking that every error is located.
fn topology_error(text: &str) -> SourceError {
    match load(text) {
        Ok(lab) => panic!("expected an error, got {lab:#?}"),
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in &errors {
                assert_located(text, e);
            }
            errors[0].clone()
        }
    }
}

const TINY: &str = "lab tiny\nrouter A p lo 10.9.9.1/32\nrouter B p lo 10.9.9.2/32\n\
                    link ab 10.9.0.0/24 { A:eth0 .1, B:eth0 .2 }\n";

#[test]
fn topology_empty_and_blank_inputs() {
    for text in ["", " ", "\n\n", "# only a comment", "\u{feff}"] {
        let e = topology_error(text);
        assert!(!e.message.is_empty(), "{text:?}");
    }
}

#[test]
fn topology_deep_nesting() {
    let text = format!("lab x\nlink l 10.0.0.0/24 {}", "{".repeat(10_000));
    let e = topology_error(&text);
    assert!(e.message.starts_with("expected"), "{}", e.message);
    let text = format!("lab x\n{}", "}".repeat(10_000));
    topology_error(&text);
}

#[test]
fn topology_huge_numbers() {
    let e = topology_error("lab x\nrouter A p lo 1.1.1.1/99999999999999999999999\n");
    assert_eq!(e.spanned_text(), "99999999999999999999999");
    let e = topology_error("lab x\nrouter A p lo 99999999999.1.1.1/32\n");
    assert_eq!(e.spanned_text(), "99999999999.1.1.1");
    let e = topology_error(
        "lab x\nrouter A p\nrouter B p\nlink l 10.0.0.0/24 { A .99999999999999999999, B .2 }\n",
    );
    assert_eq!(e.spanned_text(), ".99999999999999999999");
}

#[test]
fn topology_whole_address_space_is_one_network() {
    let lab =
        load("lab x\nrouter A p\nrouter B p\nnetwork all 0.0.0.0/0 { A .1, B .255.255.254 }\n")
            .unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(lab.segments[0].endpoints.len(), 2);
    let e = topology_error("lab x\nrouter A p\nrouter B p\nlink l 0.0.0.0/0 { A 0.0.0.0, B .2 }");
    assert!(e.message.contains("network address"), "{}", e.message);
}

#[test]
fn topology_unicode_names_and_blanks() {
    // Non-ASCII names are tokens for the grammar and errors for the validator.
    let e = topology_error("lab x\nrouter Ä p\n");
    assert_eq!(e.spanned_text(), "Ä");
    let e = topology_error("lab x\nrouter \u{202e}A p\n");
    assert_eq!(e.spanned_text(), "\u{202e}A");
    topology_error("lab 😀😀\n");
    // A no-break space or an ideographic space is no blank to the grammar.
    topology_error("lab\u{a0}x\n");
    topology_error("lab x\nrouter A\u{3000}p\n");
    // A byte-order mark before the text is dropped, not taken for its first character.
    assert_eq!(load("\u{feff}lab x\n").expect("a BOM is skipped").name, "x");
}

#[test]
fn topology_nul_bytes() {
    topology_error("\0");
    let e = topology_error("lab x\0\n");
    assert_eq!(e.spanned_text(), "x\0");
    topology_error("lab x\nrouter A p lo 1.1.1.1/3\x002\n");
    // Found writing these tests: an image with a NUL passed validation, on its way to Docker.
    let e = topology_error("lab x\nimage \"fr\0r\"\n");
    assert_eq!(
        e.message,
        "invalid image `fr\\0r`: control character '\\0' is not allowed"
    );
    let e = topology_error("lab x\nrouter A p image \"frr\x1b[2J\"\n");
    assert!(e.message.contains("control character"), "{}", e.message);
}

/// Found writing these tests: a wrong first word said "expected something else".
#[test]
fn topology_garbage_at_the_start_lists_statements() {
    for (text, found) in [("garbage", "`garbage`"), ("}", "`}`"), ("\0", "`\\x00`")] {
        let e = topology_error(text);
        assert_eq!(
            e.message,
            format!(
                "expected a statement (`lab`, `image`, `router`, `link` or `network`), found {found}"
            )
        );
        assert_eq!(e.span, 0..text.len());
    }
}

#[test]
fn topology_crlf_is_the_same_lab() {
    let crlf = TINY.replace('\n', "\r\n");
    assert_eq!(load(&crlf).unwrap(), load(TINY).unwrap());
    let e = topology_error("lab x\r\nrouter A q\r\n");
    assert_eq!(e.spanned_text(), "q");
    assert_eq!(e.line_col(), (2, 10));
    // A lone carriage return is a blank too.
    topology_error("lab x\rrouter A q\r");
}

#[test]
fn topology_unterminated_strings() {
    for text in [
        "lab x\nimage \"",
        "lab x\nimage \"frr",
        "lab x\nimage \"frr\n\"",
        "lab x\nrouter A p image \"é",
    ] {
        let e = topology_error(text);
        assert_eq!(e.message, "unterminated string", "{text:?}");
    }
}

#[test]
fn topology_truncated_at_every_byte() {
    // Every prefix of a valid file, cut at character boundaries.
    let text = format!("{TINY}router É ce lo 192.168.1.1/24 image \"frr:1\" # ünï\n");
    for end in (0..=text.len()).filter(|i| text.is_char_boundary(*i)) {
        let part = &text[..end];
        if let Err(errors) = load(part) {
            for e in &errors {
                assert_located(part, e);
            }
        }
    }
}

#[test]
fn topology_very_long_names() {
    let long = "a".repeat(100_000);
    let e = topology_error(&format!("lab x\nrouter {long} p\n"));
    assert!(e.message.contains("characters long"), "{}", e.message);
    // The typo suggestion skips words too long to be typos instead of comparing them.
    let e = topology_error(&format!(
        "lab x\nrouter A p\nrouter B p\nlink l 10.0.0.0/24 {{ {long} .1, B .2 }}\n"
    ));
    assert!(e.message.starts_with("unknown router"), "{}", e.message);
}

#[test]
fn topology_many_statements() {
    let mut text = String::from("lab big\n");
    for i in 0..2_000 {
        text.push_str(&format!("router R{i} p\n"));
    }
    for i in 1..2_000 {
        let (a, b) = (i / 250, i % 250);
        text.push_str(&format!(
            "link l{i} 10.{a}.{b}.0/30 {{ R{} .1, R{i} .2 }}\n",
            i - 1
        ));
    }
    let lab = load(&text).unwrap_or_else(|e| panic!("{}", e[0]));
    assert_eq!(lab.segments.len(), 1_999);
}

// -------------------------------------------------------------------------------------------------
// Scripts

const SEED: &str = "topology(\"mpls_vpn.topo\");\n";

/// Run a script after the seed lab's `topology(...)`; every failure must be located.
fn run_script(body: &str) -> Result<(), Box<SourceError>> {
    let text = format!("{SEED}{body}");
    let (result, _) = plan_text(&root().join("scripts"), "fuzz.rhai", &text);
    match result {
        Ok(_) | Err(ScriptError::Exit(_)) => Ok(()),
        Err(ScriptError::At(e)) => {
            assert_located(&text, &e);
            Err(e)
        }
        Err(ScriptError::Other(e)) => panic!("an error without a place: {e:#}\nfor:\n{text}"),
    }
}

fn script_error(body: &str) -> SourceError {
    *run_script(body).expect_err("should fail")
}

/// Found by the fuzzer: `throw` without a value gave an error with an empty message.
#[test]
fn script_throw_without_a_message_still_says_something() {
    for body in [
        "throw;",
        "throw \"\";",
        "throw \"  \";",
        "fn f() { throw; }\nf();",
    ] {
        let e = script_error(body);
        assert!(e.message.contains("`throw` with no message"), "{body}: {e}");
    }
    let e = script_error("throw \"custom\";");
    assert_eq!(e.message, "custom");
}

/// Found reading the API while writing the script target: a router handle kept across a
/// `topology(...)` that loads a lab without that router made `.addresses()` panic. A second
/// lab is now refused where it is asked for.
#[test]
fn script_router_handle_from_an_earlier_topology() {
    let tiny = root().join("tests/labs/tiny.topo");
    let e = script_error(&format!(
        "let r = router(\"CE1\");\ntopology(\"{}\");\nr.addresses();\n",
        tiny.display()
    ));
    assert!(
        e.message.contains("a topology is already loaded"),
        "{}",
        e.message
    );
    assert_eq!(e.line_col().0, 3);
}

#[test]
fn script_deep_nesting() {
    for body in [
        format!("let x = {}1{};", "(".repeat(10_000), ")".repeat(10_000)),
        format!("let x = {}1{};", "[".repeat(10_000), "]".repeat(10_000)),
        format!("{}{}", "{".repeat(10_000), "}".repeat(10_000)),
        format!("let x = {}", "#{a:".repeat(5_000)),
        format!("let x = 1{};", " + (1".repeat(5_000)),
        "fn f(n) { if n > 0 { f(n - 1) } }\nf(100000);".to_string(),
    ] {
        script_error(&body);
    }
}

#[test]
fn script_huge_numbers() {
    // Too big for an integer, it is a float, and no `bgp` takes one.
    let e = script_error("router(\"PE1\").bgp(99999999999999999999999);");
    assert_eq!((e.line_col().0, e.spanned_text()), (2, "bgp"));
    let e = script_error("router(\"PE1\").bgp(4294967296);");
    assert!(
        e.message.contains("AS number 4294967296 is out of range"),
        "{}",
        e.message
    );
    let e = script_error("router(\"PE1\").bgp(-9223372036854775808);");
    assert!(e.message.contains("out of range"), "{}", e.message);
    script_error("let x = 9223372036854775807 + 1;");
    script_error("let x = -9223372036854775808 / -1;");
    run_script("let x = 1 << 64;").unwrap();
    script_error("let s = \"x\"; loop { s += s; }");
    script_error("let a = [1]; loop { a += a; }");
    script_error("let x = \"a\".pad(9223372036854775807, \"b\");");
    run_script("router(\"PE1\").mpls_labels(1048575);").unwrap();
}

#[test]
fn script_unicode() {
    let e = script_error("router(\"PÉ1\");");
    assert!(e.message.contains("unknown router `PÉ1`"), "{}", e.message);
    assert_eq!(e.spanned_text(), "router");
    // The span is found by characters, whatever their width in bytes.
    let e = script_error("let x = \"😀😀\"; router(\"😀\");");
    assert_eq!(e.spanned_text(), "router");
    let e = script_error("let é = 1;");
    assert_eq!(e.spanned_text(), "é");
    script_error("let \u{202e}x = 1;");
    script_error("\u{feff}router(\"PE1\");");
    script_error("router(\"PE1\")\u{2028}.ospf();");
    run_script("note(\"\u{202e}ünïcödé 😀\");").unwrap();
}

#[test]
fn script_nul_bytes() {
    script_error("\0");
    script_error("router(\"PE1\");\0");
    let e = script_error("router(\"PE\x001\");");
    assert!(e.message.contains("unknown router"), "{}", e.message);
}

#[test]
fn script_crlf_line_endings() {
    let script = std::fs::read_to_string(root().join("scripts/mpls_vpn.rhai")).unwrap();
    let crlf = script.replace('\n', "\r\n");
    let (result, _) = plan_text(&root().join("scripts"), "crlf.rhai", &crlf);
    result.unwrap_or_else(|e| panic!("{e}"));
    let e = script_error("let a = 1;\r\nlet b = 2;\r\n  router(\"NOPE\");\r\n");
    assert_eq!(e.line_col(), (4, 3));
    assert_eq!(e.spanned_text(), "router");
}

#[test]
fn script_unterminated_strings_and_comments() {
    for body in [
        "router(\"PE1",
        "router(\"PE1\n\");",
        "let s = `abc",
        "let s = `${",
        "let s = `${1 + }`;",
        "let c = 'a",
        "let s = \"\\u{zz}\";",
        "let s = \"\\",
    ] {
        script_error(body);
    }
    // Rhai ends a block comment at the end of the text without complaint: what follows
    // `/*` is silently not run.
    run_script("/* never closed\nrouter(\"NOPE\");").unwrap();
}

#[test]
fn script_truncated_at_every_character() {
    let body = "let p = router(\"PE1\");\np.vrf(\"CUSTA\", 10).bind(\"eth1\");\n\
                p.bgp(65000).neighbor(\"2.2.2.2\", 65000).vpnv4();\nnote(`ünï ${p.name}`);\n";
    for end in (0..=body.len()).filter(|i| body.is_char_boundary(*i)) {
        let _ = run_script(&body[..end]);
    }
}
