//! The topology DSL end to end: text in, lab model or located errors out.

use std::path::{Path, PathBuf};

use mplsrepl::diagnostic::{Source, SourceError, SourceErrors};
use mplsrepl::topology::{self, Lab, Role, SegmentKind};

fn load(text: &str) -> Result<Lab, SourceErrors> {
    topology::load(&Source::new("test.topo", text))
}

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn errors(text: &str) -> Vec<SourceError> {
    match load(text) {
        Ok(lab) => panic!("expected errors, got a lab: {lab:#?}"),
        Err(errors) => errors.0,
    }
}

/// What a user sees of one error: message, line, column and the underlined text.
#[derive(Debug, PartialEq)]
struct Seen {
    message: String,
    line: usize,
    col: usize,
    spanned: String,
}

fn seen(error: &SourceError) -> Seen {
    let (line, col) = error.line_col();
    Seen {
        message: error.message.clone(),
        line,
        col,
        spanned: error.spanned_text().to_string(),
    }
}

fn single_error(text: &str) -> SourceError {
    let mut all = errors(text);
    assert_eq!(all.len(), 1, "expected exactly one error, got: {all:#?}");
    all.remove(0)
}

fn assert_error(text: &str, message: &str, line: usize, col: usize, spanned: &str) -> SourceError {
    let error = single_error(text);
    let expected = Seen {
        message: message.into(),
        line,
        col,
        spanned: spanned.into(),
    };
    assert_eq!(seen(&error), expected, "for input:\n{text}");
    error
}

fn help(error: &SourceError) -> &str {
    error.help.as_deref().unwrap_or("")
}

/// Three routers with loopbacks, for error cases to build on (lines 1-4).
const BASE: &str =
    "lab t\nrouter PE1 pe lo 1.1.1.1/32\nrouter PE2 pe lo 2.2.2.2/32\nrouter CE1 ce\n";

fn with_base(rest: &str) -> String {
    format!("{BASE}{rest}")
}

// -------------------------------------------------------------------------------------------------
// The seed lab

#[test]
fn seed_lab_has_the_article_routers_and_roles() {
    let lab = topology::load_file(&repo_file("scripts/mpls_vpn.topo")).expect("seed lab loads");
    assert_eq!(lab.name, "mpls_vpn");
    let routers: Vec<(&str, Role, String)> = lab
        .routers
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.role,
                r.loopback.map(|l| l.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        ("PR", Role::P, "9.9.9.9/32"),
        ("PE1", Role::Pe, "1.1.1.1/32"),
        ("PE2", Role::Pe, "2.2.2.2/32"),
        ("CE1", Role::Ce, "192.168.1.1/24"),
        ("CE2", Role::Ce, "192.168.2.1/24"),
        ("CE3", Role::Ce, "192.168.3.1/24"),
        ("CE4", Role::Ce, "192.168.4.1/24"),
    ];
    let expected: Vec<(&str, Role, String)> = expected
        .iter()
        .map(|(n, r, l)| (*n, *r, l.to_string()))
        .collect();
    assert_eq!(routers, expected);
    assert!(
        lab.routers.iter().all(|r| r.image.is_none()),
        "the seed lab leaves the image to the tool"
    );
}

#[test]
fn seed_lab_has_the_article_addresses_in_interface_order() {
    let lab = topology::load_file(&repo_file("scripts/mpls_vpn.topo")).expect("seed lab loads");
    let interfaces: Vec<String> = lab
        .routers
        .iter()
        .flat_map(|r| {
            r.interfaces
                .iter()
                .map(move |i| format!("{} {} {} {}", r.name, i.name, i.segment, i.address.unwrap()))
        })
        .collect();
    let expected = [
        "PR eth0 net1 10.1.1.254/24",
        "PR eth1 net2 10.1.2.254/24",
        "PE1 eth0 net1 10.1.1.2/24",
        "PE1 eth1 net3 172.16.1.254/24",
        "PE1 eth2 net5 172.16.3.254/24",
        "PE2 eth0 net2 10.1.2.2/24",
        "PE2 eth1 net4 172.16.2.254/24",
        "PE2 eth2 net6 172.16.4.254/24",
        "CE1 eth0 net3 172.16.1.2/24",
        "CE2 eth0 net4 172.16.2.2/24",
        "CE3 eth0 net5 172.16.3.2/24",
        "CE4 eth0 net6 172.16.4.2/24",
    ];
    assert_eq!(interfaces, expected);
}

#[test]
fn seed_lab_has_six_links_with_their_ends() {
    let lab = topology::load_file(&repo_file("scripts/mpls_vpn.topo")).expect("seed lab loads");
    let segments: Vec<String> = lab
        .segments
        .iter()
        .map(|s| {
            let ends: Vec<String> = s
                .endpoints
                .iter()
                .map(|e| format!("{}:{}={}", e.router, e.interface, e.address.unwrap()))
                .collect();
            format!("{} {:?} {} {}", s.name, s.kind, s.subnets(), ends.join(" "))
        })
        .collect();
    let expected = [
        "net1 Link 10.1.1.0/24 PR:eth0=10.1.1.254 PE1:eth0=10.1.1.2",
        "net2 Link 10.1.2.0/24 PR:eth1=10.1.2.254 PE2:eth0=10.1.2.2",
        "net3 Link 172.16.1.0/24 PE1:eth1=172.16.1.254 CE1:eth0=172.16.1.2",
        "net4 Link 172.16.2.0/24 PE2:eth1=172.16.2.254 CE2:eth0=172.16.2.2",
        "net5 Link 172.16.3.0/24 PE1:eth2=172.16.3.254 CE3:eth0=172.16.3.2",
        "net6 Link 172.16.4.0/24 PE2:eth2=172.16.4.254 CE4:eth0=172.16.4.2",
    ];
    assert_eq!(segments, expected);
}

// -------------------------------------------------------------------------------------------------
// Constructs

#[test]
fn interfaces_are_allocated_lowest_free_after_explicit_names() {
    let lab = load(
        "lab t
router A p
router B p
router C p
network lan 10.9.0.0/24 { A .1, B:eth0 .2, C .3 }
link l2 10.8.0.0/24 { A .1, B .2 }
link l3 10.7.0.0/24 { A:eth0 .1, B .2, }
",
    )
    .unwrap();
    let names = |router: &str| -> Vec<String> {
        let r = lab.router(router).unwrap();
        r.interfaces
            .iter()
            .map(|i| format!("{}@{}", i.name, i.segment))
            .collect()
    };
    // A's eth0 is named explicitly later in the file, so its first automatic interface is eth1.
    assert_eq!(names("A"), ["eth1@lan", "eth2@l2", "eth0@l3"]);
    assert_eq!(names("B"), ["eth0@lan", "eth1@l2", "eth2@l3"]);
    assert_eq!(names("C"), ["eth0@lan"]);
    let lan = lab.segment("lan").unwrap();
    assert_eq!(lan.kind, SegmentKind::Network);
    assert_eq!(lan.endpoints[0].interface, "eth1");
}

#[test]
fn automatic_names_skip_explicit_gaps() {
    let lab = load(
        "lab t
router A p
router B p
router C p
router D p
link a 10.0.1.0/24 { A:eth1 .2, B .3 }
link b 10.0.2.0/24 { A .2, C .3 }
link c 10.0.3.0/24 { A .2, D .3 }
",
    )
    .unwrap();
    let a: Vec<&str> = lab
        .router("A")
        .unwrap()
        .interfaces
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(a, ["eth1", "eth0", "eth2"]);
}

#[test]
fn host_parts_expand_against_the_subnet() {
    let lab = load("lab t\nrouter A p\nrouter B p\nrouter C p\nnetwork n 10.9.0.0/16 { A .0.254, B .3.4, C 10.9.200.1 }\n")
        .unwrap();
    let addresses: Vec<String> = lab.segments[0]
        .endpoints
        .iter()
        .map(|e| e.address.unwrap().to_string())
        .collect();
    assert_eq!(addresses, ["10.9.0.254", "10.9.3.4", "10.9.200.1"]);
    assert_eq!(
        lab.router("B").unwrap().interfaces[0]
            .address
            .unwrap()
            .to_string(),
        "10.9.3.4/16"
    );
}

#[test]
fn images_default_to_the_lab_image_unless_a_router_sets_its_own() {
    let lab = load(
        "lab t\nimage \"labfrr:latest\"\nrouter A p\nrouter B ce lo 192.168.1.1/24 image \"frrouting/frr:v8.4.1\"\n",
    )
    .unwrap();
    assert_eq!(
        lab.router("A").unwrap().image.as_deref(),
        Some("labfrr:latest")
    );
    assert_eq!(
        lab.router("B").unwrap().image.as_deref(),
        Some("frrouting/frr:v8.4.1")
    );
}

#[test]
fn routers_need_neither_loopback_nor_interfaces() {
    let lab = load("lab t # comment right after\nrouter X p\n").unwrap();
    let x = lab.router("X").unwrap();
    assert_eq!((x.loopback, x.interfaces.len()), (None, 0));
    assert!(lab.segments.is_empty());
}

#[test]
fn layout_is_free_form() {
    // A /30 point-to-point link: the lab's addresses are not Docker's, so both hosts are usable.
    let lab = load("lab t router A p lo 1.1.1.1/32 router B p\nlink\n  l\n  10.0.0.0/30\n  {\n    A .1 ,\n    B .2\n  }")
        .unwrap();
    assert_eq!(lab.segments[0].endpoints.len(), 2);
    let lab = load("lab t router A p lo 1.1.1.1/32 router B p\nlink\n  l\n  10.0.0.0/29\n  {\n    A .1 ,\n    B .2\n  }")
        .unwrap();
    assert_eq!(lab.segments[0].endpoints.len(), 2);
}

// -------------------------------------------------------------------------------------------------
// Errors: each asserts message, line:col and the underlined text

#[test]
fn unknown_router_suggests_a_near_name() {
    let e = assert_error(
        &with_base("link l 10.0.0.0/24 { PE1 .2, PE3 .3 }\n"),
        "unknown router `PE3`",
        5,
        30,
        "PE3",
    );
    assert_eq!(help(&e), "did you mean `PE1`?");
    assert_eq!(e.to_string(), "test.topo:5:30: unknown router `PE3`");
}

#[test]
fn unknown_router_without_a_near_name_lists_the_routers() {
    let e = assert_error(
        &with_base("link l 10.0.0.0/24 { PE1 .2, CORE .3 }\n"),
        "unknown router `CORE`",
        5,
        30,
        "CORE",
    );
    assert_eq!(
        help(&e),
        "declared routers: PE1, PE2, CE1; or declare it with `router CORE ROLE`"
    );
}

#[test]
fn duplicate_router_points_at_the_second_declaration() {
    assert_error(
        &with_base("router PE2 p\n"),
        "duplicate router `PE2`: already declared on line 3",
        5,
        8,
        "PE2",
    );
}

#[test]
fn duplicate_segment_name() {
    let e = assert_error(
        &with_base(
            "link x 10.0.0.0/24 { PE1 .2, PE2 .3 }\nnetwork x 10.0.1.0/24 { PE1 .2, CE1 .3 }\n",
        ),
        "duplicate segment name `x`: already used by the link on line 5",
        6,
        9,
        "x",
    );
    assert!(help(&e).contains("Docker network"));
}

#[test]
fn duplicate_interface_on_a_router() {
    assert_error(
        &with_base("link a 10.0.0.0/24 { PE1:eth0 .2, PE2 .3 }\nlink b 10.0.1.0/24 { PE1:eth0 .2, CE1 .3 }\n"),
        "interface `PE1:eth0` is already attached to `a` on line 5",
        6,
        22,
        "PE1:eth0",
    );
}

#[test]
fn address_outside_its_subnet() {
    let e = assert_error(
        &with_base("link a 10.1.1.0/24 { PE1 10.1.2.2, PE2 .3 }\n"),
        "address 10.1.2.2 is outside subnet 10.1.1.0/24 of link `a`",
        5,
        26,
        "10.1.2.2",
    );
    assert_eq!(help(&e), "use an address from 10.1.1.1 to 10.1.1.254");
}

#[test]
fn host_part_outside_its_subnet_shows_the_expansion() {
    assert_error(
        &with_base("link a 10.1.1.0/24 { PE1 .0.254, PE2 .3 }\n"),
        "address .0.254 (10.1.0.254) is outside subnet 10.1.1.0/24 of link `a`",
        5,
        26,
        ".0.254",
    );
}

#[test]
fn network_and_broadcast_addresses_are_not_hosts() {
    assert_error(
        &with_base("link a 10.1.1.0/24 { PE1 .0, PE2 .3 }\n"),
        "address .0 (10.1.1.0) is the network address of 10.1.1.0/24",
        5,
        26,
        ".0",
    );
    assert_error(
        &with_base("link a 10.1.1.0/24 { PE1 .2, PE2 10.1.1.255 }\n"),
        "address 10.1.1.255 is the broadcast address of 10.1.1.0/24",
        5,
        34,
        "10.1.1.255",
    );
}

#[test]
fn duplicate_address_in_a_segment() {
    assert_error(
        &with_base("network a 10.1.1.0/24 { PE1 .2, PE2 .3, CE1 10.1.1.2 }\n"),
        "address 10.1.1.2 is already used by `PE1:eth0` on line 5",
        5,
        45,
        "10.1.1.2",
    );
}

#[test]
fn interface_address_colliding_with_a_loopback() {
    assert_error(
        &with_base("link a 1.1.1.0/24 { CE1 .2, PE2 .1 }\n"),
        "address 1.1.1.1 is already used by the loopback of `PE1` on line 2",
        5,
        33,
        ".1",
    );
}

#[test]
fn docker_invalid_names() {
    let e = assert_error(
        &with_base("router P/1 p\n"),
        "invalid router name `P/1`: `/` is not allowed",
        5,
        8,
        "P/1",
    );
    assert!(help(&e).contains("`<lab>-<router>`"));
    assert_error(
        "lab -lab\n",
        "invalid lab name `-lab`: it must start with a letter or digit",
        1,
        5,
        "-lab",
    );
    assert_error(
        &with_base("link n€t 10.0.0.0/24 { PE1 .2, PE2 .3 }\n"),
        "invalid link name `n€t`: `€` is not allowed",
        5,
        6,
        "n€t",
    );
}

#[test]
fn invalid_interface_names() {
    let e = assert_error(
        &with_base("link a 10.0.0.0/24 { PE1:lo .2, PE2 .3 }\n"),
        "interface name `lo` is reserved for the loopback",
        5,
        26,
        "lo",
    );
    assert_eq!(
        help(&e),
        "set the loopback address with `lo PREFIX` on the router line"
    );
    assert_error(
        &with_base("link a 10.0.0.0/24 { PE1:a_very_long_name0 .2, PE2 .3 }\n"),
        "interface name `a_very_long_name0` is too long: 17 bytes",
        5,
        26,
        "a_very_long_name0",
    );
    assert_error(
        &with_base("link a 10.0.0.0/24 { PE1:eth/0 .2, PE2 .3 }\n"),
        "invalid interface name `eth/0`: `/` is not allowed",
        5,
        26,
        "eth/0",
    );
    assert_error(
        &with_base("link a 10.0.0.0/24 { PE1:.. .2, PE2 .3 }\n"),
        "invalid interface name `..`",
        5,
        26,
        "..",
    );
}

#[test]
fn link_end_counts() {
    let e = assert_error(
        &with_base("link a 10.0.0.0/24 { PE1 .2, PE2 .3, CE1 .4 }\n"),
        "a link has exactly 2 ends, this one has 3",
        5,
        20,
        "{ PE1 .2, PE2 .3, CE1 .4 }",
    );
    assert_eq!(
        help(&e),
        "use `network` for a segment with more than two ends"
    );
    assert_error(
        &with_base("link a 10.0.0.0/24 {}\n"),
        "a link has exactly 2 ends, this one has 0",
        5,
        20,
        "{}",
    );
    assert_error(
        &with_base("network a 10.0.0.0/24 { PE1 .2 }\n"),
        "a network needs at least 2 ends, this one has 1",
        5,
        23,
        "{ PE1 .2 }",
    );
}

#[test]
fn unknown_role() {
    let e = assert_error(
        "lab t\nrouter X px\n",
        "unknown role `px`: expected p, pe, ce or rr",
        2,
        10,
        "px",
    );
    assert_eq!(help(&e), "did you mean `p`?");
    let e = single_error("lab t\nrouter X PE\n");
    assert_eq!(help(&e), "did you mean `pe`?");
}

#[test]
fn subnet_with_host_bits_suggests_the_network() {
    assert_error(
        &with_base("link a 10.1.1.1/24 { PE1 .2, PE2 .3 }\n"),
        "subnet has host bits set: did you mean 10.1.1.0/24?",
        5,
        8,
        "10.1.1.1/24",
    );
}

#[test]
fn bad_prefix_numbers() {
    assert_error(
        &with_base("link a 10.1.1.0/33 { PE1 .2, PE2 .3 }\n"),
        "invalid prefix length `33`: it must be 0 to 32",
        5,
        17,
        "33",
    );
    assert_error(
        "lab t\nrouter X p lo 10.1.1.256/32\n",
        "invalid IPv4 address `10.1.1.256`",
        2,
        15,
        "10.1.1.256",
    );
    assert_error(
        &with_base("link a 10.1.1.0/24 { PE1 10.1.1, PE2 .3 }\n"),
        "invalid IPv4 address `10.1.1`",
        5,
        26,
        "10.1.1",
    );
}

#[test]
fn host_part_that_does_not_fit() {
    let e = assert_error(
        &with_base("link a 10.1.1.0/24 { PE1 .1.2.3.4.5, PE2 .3 }\n"),
        "host part `.1.2.3.4.5` has 5 numbers: a shorthand gives at most the 3 low octets",
        5,
        26,
        ".1.2.3.4.5",
    );
    assert!(help(&e).contains(".0.254"));
    assert_error(
        &with_base("link a 10.1.1.0/24 { PE1 .256, PE2 .3 }\n"),
        "invalid host part `.256`",
        5,
        26,
        ".256",
    );
}

#[test]
fn lab_line_is_required_first_and_once() {
    assert_error(
        "router X p\n",
        "missing `lab` line: a topology file starts with `lab NAME`",
        1,
        1,
        "router X p",
    );
    assert_error(
        "router X p\nlab t\n",
        "`lab` must come before any other statement",
        2,
        1,
        "lab t",
    );
    assert_error(
        "lab t\nlab u\n",
        "duplicate `lab` line: the lab is already named `t` on line 1",
        2,
        1,
        "lab u",
    );
    assert_error(
        "# nothing\n",
        "missing `lab` line: a topology file starts with `lab NAME`",
        1,
        1,
        "",
    );
}

#[test]
fn overlapping_subnets() {
    let e = assert_error(
        &with_base(
            "link a 10.1.1.0/24 { PE1 .2, PE2 .3 }\nlink b 10.1.0.0/16 { PE1 .2.2, CE1 .2.3 }\n",
        ),
        "subnet 10.1.0.0/16 overlaps 10.1.1.0/24 of `a` on line 5",
        6,
        8,
        "10.1.0.0/16",
    );
    assert!(
        help(&e).starts_with(
            "each link or network is its own broadcast domain: give it a subnet of its own; \
             customers that reuse each other's addresses go in VRFs"
        ),
        "{}",
        help(&e)
    );
}

#[test]
fn router_attached_twice_to_one_segment() {
    assert_error(
        &with_base("network a 10.1.1.0/24 { PE1 .2, PE2 .3, PE1:eth5 .4 }\n"),
        "router `PE1` appears twice in `a`",
        5,
        41,
        "PE1:eth5",
    );
}

#[test]
fn image_on_its_own_line_after_a_router_is_ambiguous() {
    let e = assert_error(
        "lab t\nrouter X p\nimage \"frr\"\n",
        "ambiguous `image`: on its own line after router `X`, it would set that router's image",
        3,
        1,
        "image \"frr\"",
    );
    assert!(help(&e).contains("right after `lab`"));
    assert_error("lab t\nimage \"\"\n", "empty image name", 2, 7, "\"\"");
    assert_error(
        "lab t\nimage \"a\"\nimage \"b\"\n",
        "duplicate lab `image`: the default image is already set on line 2",
        3,
        1,
        "image \"b\"",
    );
}

#[test]
fn a_second_image_on_a_router_line_is_not_taken_for_the_labs_default() {
    let e = assert_error(
        "lab t\nrouter A p image \"x\" image \"y\"\n",
        "a second `image` on the line of router `A`, which has one already",
        2,
        22,
        "image \"y\"",
    );
    assert!(help(&e).contains("a line of its own"), "{}", help(&e));
}

#[test]
fn syntax_errors_read_in_the_users_terms() {
    assert_error(
        &with_base("link a 10.1.1.0 { PE1 .2, PE2 .3 }\n"),
        "expected an IPv4 prefix like 10.1.1.0/24, found `10.1.1.0`",
        5,
        8,
        "10.1.1.0",
    );
    assert_error(
        &with_base("link a 10.1.1.0/24 { PE1 .2 PE2 .3 }\n"),
        "expected `vrf NAME`, `,` or `}`, found `PE2`",
        5,
        29,
        "PE2",
    );
    assert_error(
        &with_base("link a 10.1.1.0/24 { PE1 .2, PE2 10.1.1.3/24 }\n"),
        "expected an address like 10.1.1.2 or .2, found `10.1.1.3/24`",
        5,
        34,
        "10.1.1.3/24",
    );
    assert_error(
        "lab t\nrouter X\n",
        "expected a role (p, pe, ce or rr), found end of file",
        2,
        8,
        "X",
    );
}

#[test]
fn every_error_is_reported_in_file_order() {
    let all = errors(&with_base(
        "router PE1 px\nlink a 10.1.1.1/24 { PE1 .2, PE3 .3 }\nlink b 10.2.0.0/24 { PE1 .2, PE2 .300 }\n",
    ));
    let seen: Vec<(usize, usize, &str)> = all
        .iter()
        .map(|e| (e.line_col().0, e.line_col().1, e.spanned_text()))
        .collect();
    assert_eq!(
        seen,
        [
            (5, 8, "PE1"),
            (5, 12, "px"),
            (6, 8, "10.1.1.1/24"),
            (6, 30, "PE3"),
            (7, 34, ".300")
        ]
    );
}

#[test]
fn rendering_underlines_the_span() {
    let e = single_error(&with_base("link l 10.0.0.0/24 { PE1 .2, PE3 .3 }\n"));
    let rendered = e.render(false);
    assert!(rendered.contains("unknown router `PE3`"), "{rendered}");
    assert!(rendered.contains("did you mean `PE1`?"), "{rendered}");
}

#[test]
fn hostile_input_never_panics() {
    let inputs = [
        "",
        "\"",
        "lab",
        "lab t\nlink",
        "lab t\nlink l 1.2.3.4/99999999999999999999 { a .1 }",
        "lab t\nrouter a p lo 1/1",
        "lab t\nnetwork n 0.0.0.0/0 { a ., b .., c ...... }",
        "lab t\nlink l 255.255.255.255/32 { a 255.255.255.255, b .255 }",
        "lab t\nlink l 10.0.0.0/31 { x .0, y .1 }",
        "lab é\nrouter ü p\nlink ✓ 10.0.0.0/24 { ü:ß .2, ü:ß .3 }",
        "lab t\n{}:,#\"",
        "\u{feff}lab t",
        "lab t\r\nrouter A p\r\n",
    ];
    for input in inputs {
        let _ = load(input);
    }
    let long_name = format!(
        "lab t\nrouter {} p\nlink l 10.0.0.0/24 {{ {}x .2, B .3 }}",
        "A".repeat(5000),
        "A".repeat(5000)
    );
    assert!(load(&long_name).is_err());
}

// -------------------------------------------------------------------------------------------------
// docs/topology.md: every ```topo block loads, every ```topo-error block fails as shown beneath it

struct Block {
    tag: String,
    body: String,
    /// Line of the opening fence, for failure messages.
    line: usize,
}

fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(tag)) => {
                open = Some(Block {
                    tag: tag.trim().to_string(),
                    body: String::new(),
                    line: index + 1,
                })
            }
            (Some(_), Some("")) => blocks.extend(open.take()),
            (Some(block), _) => {
                block.body.push_str(line);
                block.body.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

#[test]
fn docs_examples_load_and_error_examples_fail_as_documented() {
    let markdown =
        std::fs::read_to_string(repo_file("docs/topology.md")).expect("docs/topology.md exists");
    let blocks = fenced_blocks(&markdown);
    let (mut good, mut bad) = (0, 0);
    for (i, block) in blocks.iter().enumerate() {
        let source = Source::new("example.topo", block.body.as_str());
        match block.tag.as_str() {
            "topo" => {
                if let Err(e) = topology::load(&source) {
                    panic!(
                        "docs/topology.md:{}: example does not load:\n{e}",
                        block.line
                    );
                }
                good += 1;
            }
            "topo-error" => {
                let errors = match topology::load(&source) {
                    Ok(_) => panic!("docs/topology.md:{}: error example loads", block.line),
                    Err(errors) => errors.0,
                };
                assert_eq!(
                    errors.len(),
                    1,
                    "docs/topology.md:{}: one error per example: {errors:#?}",
                    block.line
                );
                let shown = blocks.get(i + 1).filter(|b| b.tag == "text");
                let Some(shown) = shown else {
                    panic!(
                        "docs/topology.md:{}: show the error in a ```text block beneath",
                        block.line
                    )
                };
                let mut expected = errors[0].to_string();
                if let Some(help) = &errors[0].help {
                    expected = format!("{expected}\nhelp: {help}");
                }
                assert_eq!(
                    shown.body.trim_end(),
                    expected,
                    "docs/topology.md:{}",
                    shown.line
                );
                bad += 1;
            }
            _ => {}
        }
    }
    assert!(
        good >= 5 && bad >= 15,
        "too few examples: {good} good, {bad} bad"
    );
}

#[test]
fn docs_seed_example_is_the_seed_file() {
    let markdown = std::fs::read_to_string(repo_file("docs/topology.md")).unwrap();
    let seed = std::fs::read_to_string(repo_file("scripts/mpls_vpn.topo")).unwrap();
    let docs_lab = topology::load(&Source::new(
        "docs",
        fenced_blocks(&markdown)[0].body.as_str(),
    ))
    .unwrap();
    let seed_lab = topology::load(&Source::new("seed", seed)).unwrap();
    assert_eq!(
        docs_lab, seed_lab,
        "the first example of docs/topology.md is the seed lab"
    );
}

/// A cheap stand-in for the fuzzer: random edits of the seed lab must load or fail, never panic.
#[test]
fn mutated_seed_lab_never_panics() {
    const PIECES: [&str; 18] = [
        ",",
        "{",
        "}",
        ":",
        ".",
        "/",
        "#",
        "\"",
        " ",
        "\n",
        "é",
        "lab x",
        "router",
        "999",
        ".1.2.3.4.5",
        "eth0",
        "lo",
        "/33",
    ];
    let seed: Vec<char> = std::fs::read_to_string(repo_file("scripts/mpls_vpn.topo"))
        .unwrap()
        .chars()
        .collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut random = move |bound: usize| {
        // xorshift64: deterministic, so a failure reproduces.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound.max(1) as u64) as usize
    };
    let (mut loaded, mut failed) = (0, 0);
    for _ in 0..MUTATION_ROUNDS {
        let mut text = seed.clone();
        for _ in 0..1 + random(4) {
            let at = random(text.len() + 1);
            if random(2) == 0 {
                let end = (at + random(8)).min(text.len());
                text.drain(at..end);
            } else {
                let piece = PIECES[random(PIECES.len())];
                text.splice(at..at, piece.chars());
            }
        }
        let text: String = text.into_iter().collect();
        match load(&text) {
            Ok(_) => loaded += 1,
            Err(errors) => {
                assert!(!errors.0.is_empty(), "an error result holds errors");
                for e in &errors.0 {
                    let _ = (e.to_string(), e.spanned_text(), e.render(false));
                }
                failed += 1;
            }
        }
    }
    assert!(
        loaded > 0 && failed > 0,
        "mutations should both pass and fail"
    );
}

const MUTATION_ROUNDS: usize = 1500;

/// An L2VPN's attachment circuits share one subnet and the PE ends have no address; a
/// segment behind a CE is the customer's own, checked against the circuits' subnet, and the
/// same subnets may serve another customer.
#[test]
fn an_l2vpn_customer_has_one_subnet_and_sites_behind_its_ces() {
    let lab = load(
        "lab l2\nrouter PE1 pe lo 1.1.1.1/32\nrouter PE2 pe lo 2.2.2.2/32\n\
         router CE5 ce\nrouter CE6 ce\nrouter H5 ce\nrouter CE7 ce\n\
         link ac1 192.168.50.0/24 { PE1 l2vpn CUSTC, CE5 .1 }\n\
         link ac2 192.168.50.0/24 { PE2 l2vpn CUSTC, CE6 .2 }\n\
         link site5 10.5.0.0/24 { CE5 .1, H5 .2 }\n\
         link other 192.168.50.0/24 { PE2 .254 vrf CUSTD, CE7 .1 }\n",
    )
    .expect("a valid topology");
    let pe1 = lab.router("PE1").unwrap();
    assert_eq!(pe1.interfaces[0].address, None);
    assert_eq!(pe1.interfaces[0].l2vpn.as_deref(), Some("CUSTC"));
    let ends: Vec<Option<String>> = lab.segments[1]
        .endpoints
        .iter()
        .map(|e| e.address.map(|a| a.to_string()))
        .collect();
    assert_eq!(ends, [None, Some("192.168.50.2".to_string())]);
    let written = mplsrepl::topology::write::write(&lab, &Default::default());
    assert!(
        written.contains("PE1:eth0 l2vpn CUSTC, CE5:eth0 .1"),
        "{written}"
    );
}

#[test]
fn an_ipv6_prefix_alone_makes_an_ipv6_only_segment_and_router() {
    let lab = load(
        "lab v6\nrouter P p lo 2001:db8:ff::9/128 id 9.9.9.9\nrouter PE pe lo 2001:db8:ff::1/128\n\
         router CE ce lo 192.168.1.1/24\n\
         link core 2001:db8:0:1::/64 { P:eth0 ::1, PE:eth0 2001:db8:0:1::2 }\n\
         link edge 172.16.1.0/24 2001:db8:16:1::/64 { PE:eth1 .1 ::1, CE:eth0 .2 }\n",
    )
    .expect("loads");
    let p = lab.router("P").unwrap();
    assert_eq!(
        (p.loopback, p.loopback6.map(|l| l.to_string())),
        (None, Some("2001:db8:ff::9/128".into()))
    );
    assert_eq!(p.id(), Some("9.9.9.9".parse().unwrap()));
    assert!(p.is_ipv6_only());
    let pe = lab.router("PE").unwrap();
    assert_eq!(pe.id(), None, "no IPv4 loopback and no `id`: no router ID");
    let ce = lab.router("CE").unwrap();
    assert_eq!(ce.id(), Some("192.168.1.1".parse().unwrap()));
    assert!(!ce.is_ipv6_only());
    let core = lab.segment("core").unwrap();
    assert_eq!(core.subnet, None);
    assert_eq!(core.subnets(), "2001:db8:0:1::/64");
    let ends: Vec<String> = core
        .endpoints
        .iter()
        .map(|e| format!("{:?} {}", e.address, e.address6.unwrap()))
        .collect();
    assert_eq!(ends, ["None 2001:db8:0:1::1", "None 2001:db8:0:1::2"]);
    let eth0 = pe.interface("eth0").unwrap();
    assert_eq!(
        (eth0.address, eth0.address6.map(|a| a.to_string())),
        (None, Some("2001:db8:0:1::2/64".into()))
    );
}

#[test]
fn an_ipv6_only_segment_refuses_ipv4_and_a_second_ipv6_address() {
    let base = "lab v6\nrouter A p lo 2001:db8:ff::1/128 id 1.1.1.1\nrouter B p lo 2001:db8:ff::2/128 id 2.2.2.2\n";
    assert_error(
        &format!("{base}link ab 2001:db8:9::/64 {{ A ::1 ::3, B ::2 }}\n"),
        "an end with two IPv6 addresses: one of each family",
        4,
        33,
        "::3",
    );
    assert_error(
        &format!("{base}router C p lo 2001:db8:ff::3/128 2001:db8:ff::4/128\n"),
        "a loopback has two IPv6 prefixes: one of each family, the IPv4 one first",
        4,
        34,
        "2001:db8:ff::4/128",
    );
}
