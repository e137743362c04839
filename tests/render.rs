//! Rendered FRR configuration (golden files) and intent diffs.

mod common;

use common::*;
use mplsrepl::frr::diff::router_change;
use mplsrepl::frr::render::frr_conf;
use mplsrepl::script::{Options, ScriptEngine};

fn seed() -> ScriptEngine {
    let (engine, _) = plan_script(&root().join("scripts/mpls_vpn.rhai"), Options::default());
    engine.unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn seed_lab_renders_the_articles_configuration_per_router() {
    let engine = seed();
    let sess = engine.session.borrow();
    for name in ["PR", "PE1", "PE2", "CE1", "CE2", "CE3", "CE4"] {
        let conf = frr_conf(&sess.deploy.desired.routers[name]);
        assert_golden(&format!("mpls_vpn/{name}.frr.conf"), &conf);
    }
}

#[test]
fn seed_lab_pe1_has_the_articles_vpn_lines() {
    let engine = seed();
    let sess = engine.session.borrow();
    let conf = frr_conf(&sess.deploy.desired.routers["PE1"]);
    for line in [
        "router bgp 65000 vrf CUSTA",
        "  redistribute static",
        "  label vpn export auto",
        "  rd vpn export 1:100",
        "  rt vpn both 10:100",
        "  export vpn",
        "  import vpn",
        "ip route 192.168.1.0/24 172.16.1.2 vrf CUSTA",
        "ip route 192.168.3.0/24 172.16.3.2 vrf CUSTB",
        " neighbor 2.2.2.2 update-source 1.1.1.1",
        "  discovery transport-address 1.1.1.1",
    ] {
        assert!(
            conf.lines().any(|l| l == line),
            "PE1 lacks `{line}`:\n{conf}"
        );
    }
    let pe1 = &sess.deploy.desired.routers["PE1"];
    assert_eq!(pe1.sysctls["net.mpls.conf.eth0.input"], "1");
    assert_eq!(pe1.sysctls["net.mpls.platform_labels"], "100000");
    assert!(
        !pe1.sysctls.contains_key("net.mpls.conf.eth1.input"),
        "customer side must not take labels"
    );
    assert_eq!(pe1.vrfs["CUSTA"].table, 10);
    assert!(pe1.vrfs["CUSTB"].members.contains("eth2"));
}

/// Apply an edit to PE1 of the seed lab and return the change as text.
fn pe1_change(edit: &str) -> String {
    let engine = seed();
    let before = engine.session.borrow().deploy.desired.routers["PE1"].clone();
    engine.rhai.run(edit).unwrap_or_else(|e| panic!("{e}"));
    let after = engine.session.borrow().deploy.desired.routers["PE1"].clone();
    let change = router_change(&before, &after);
    let mut out = String::new();
    for argv in &change.kernel_before {
        out.push_str(&format!("$ {}\n", argv.join(" ")));
    }
    for l in &change.vtysh {
        out.push_str(&format!("{l}\n"));
    }
    for argv in &change.kernel_after {
        out.push_str(&format!("$ {}\n", argv.join(" ")));
    }
    out
}

#[test]
fn diff_add_a_vrf() {
    let change = pe1_change(
        r#"router("PE1").vrf("CUSTC", 30).rd("3:100").rt("30:100").redistribute("connected").vpn();"#,
    );
    assert_eq!(
        change,
        "$ ip link add CUSTC type vrf table 30\n\
         $ ip link set CUSTC up\n\
         router bgp 65000 vrf CUSTC\n bgp router-id 1.1.1.1\n address-family ipv4 unicast\n  redistribute connected\n  label vpn export auto\n  rd vpn export 3:100\n  rt vpn both 30:100\n  export vpn\n  import vpn\n exit-address-family\nexit\n"
    );
}

#[test]
fn diff_remove_a_vrf_removes_its_bgp_instance_routes_and_device() {
    let change = pe1_change(r#"router("PE1").no_vrf("CUSTB");"#);
    assert_eq!(
        change,
        "no ip route 192.168.3.0/24 172.16.3.2 vrf CUSTB\n\
         no router bgp 65000 vrf CUSTB\n\
         $ ip link set eth2 nomaster\n\
         $ ip link del CUSTB\n"
    );
}

#[test]
fn diff_change_a_route_target() {
    let change = pe1_change(r#"router("PE1").vrf("CUSTA").rt("10:200");"#);
    assert_eq!(
        change,
        "router bgp 65000 vrf CUSTA\n address-family ipv4 unicast\n  no rt vpn both 10:100\n  rt vpn both 10:200\n exit-address-family\nexit\n"
    );
}

#[test]
fn diff_import_only_splits_rt_both() {
    let change = pe1_change(r#"router("PE1").vrf("CUSTA").no_rt_export("10:100");"#);
    assert_eq!(
        change,
        "router bgp 65000 vrf CUSTA\n address-family ipv4 unicast\n  no rt vpn both 10:100\n  rt vpn import 10:100\n exit-address-family\nexit\n"
    );
}

#[test]
fn diff_remove_a_neighbor_drops_its_family_lines_with_it() {
    let change = pe1_change(r#"router("PE1").bgp().no_neighbor("2.2.2.2");"#);
    assert_eq!(
        change,
        "router bgp 65000\n no neighbor 2.2.2.2 remote-as 65000\nexit\n"
    );
}

#[test]
fn diff_link_down_and_back_is_kernel_only() {
    let down = pe1_change(r#"link("PR", "PE1").down();"#);
    assert_eq!(down, "$ ip link set eth0 down\n");
}

#[test]
fn no_change_renders_nothing() {
    assert_eq!(
        pe1_change(r#"router("PE1").vrf("CUSTA", 10).bind("eth1");"#),
        ""
    );
}

#[test]
fn general_lab_renders_rr_ebgp_and_ospf_vrfs() {
    let (engine, transcript) =
        plan_script(&root().join("tests/labs/general.rhai"), Options::default());
    let engine = engine.unwrap_or_else(|e| panic!("{e}"));
    let sess = engine.session.borrow();
    for name in [
        "P1", "P2", "PE1", "PE2", "RR1", "CEA1", "CEA2", "CEB1", "CEB2",
    ] {
        assert_golden(
            &format!("general/{name}.frr.conf"),
            &frr_conf(&sess.deploy.desired.routers[name]),
        );
    }
    assert_golden("general.plan", &transcript);
    let rr = frr_conf(&sess.deploy.desired.routers["RR1"]);
    assert!(
        rr.contains("  neighbor 10.255.1.1 route-reflector-client\n"),
        "{rr}"
    );
    assert!(
        sess.deploy.desired.routers["RR1"].ldp.is_some(),
        "the RR behind the LDP core runs LDP"
    );
}

#[test]
fn seed_plan_transcript() {
    let (engine, transcript) =
        plan_script(&root().join("scripts/mpls_vpn.rhai"), Options::default());
    engine.unwrap_or_else(|e| panic!("{e}"));
    assert_golden("mpls_vpn.plan", &transcript);
}

#[test]
fn fast_profile_adds_point_to_point_ospf_and_ldp_timers() {
    let opts = Options {
        profile: mplsrepl::script::Profile::Fast,
        ..Options::default()
    };
    let (engine, _) = plan_script(&root().join("scripts/mpls_vpn.rhai"), opts);
    let engine = engine.unwrap_or_else(|e| panic!("{e}"));
    let sess = engine.session.borrow();
    assert_golden(
        "mpls_vpn/PR.fast.frr.conf",
        &frr_conf(&sess.deploy.desired.routers["PR"]),
    );
}

/// Two customers with one address plan: each PE gets both VRFs (their devices before the
/// addresses that repeat), each VRF its own copy of the same static route.
#[test]
fn overlap_plan_transcript() {
    let (engine, transcript) =
        plan_script(&root().join("scripts/overlap.rhai"), Options::default());
    let engine = engine.unwrap_or_else(|e| panic!("{e}"));
    let sess = engine.session.borrow();
    let pe1 = frr_conf(&sess.deploy.desired.routers["PE1"]);
    assert!(
        pe1.contains("ip route 192.168.1.0/24 172.16.1.2 vrf CUSTA\n"),
        "{pe1}"
    );
    assert!(
        pe1.contains("ip route 192.168.1.0/24 172.16.1.2 vrf CUSTB\n"),
        "{pe1}"
    );
    let vrf_first = transcript
        .find("PE1$ ip link set eth2 master CUSTB")
        .expect("enslaved");
    let address = transcript
        .find(" ip address 172.16.1.254/24")
        .expect("address");
    assert!(vrf_first < address, "{transcript}");
    assert_golden("overlap.plan", &transcript);
}

/// SR over IS-IS, BFD, the what-if and the switch to SR over OSPF, as the fast profile plans
/// them: no LDP anywhere, the IS-IS lines removed before OSPF's go in.
#[test]
fn sr_plan_transcript() {
    let opts = Options {
        profile: mplsrepl::script::Profile::Fast,
        ..Options::default()
    };
    let (engine, transcript) = plan_script(&root().join("scripts/mpls_vpn_sr.rhai"), opts);
    let engine = engine.unwrap_or_else(|e| panic!("{e}"));
    let sess = engine.session.borrow();
    assert!(
        sess.deploy
            .desired
            .routers
            .values()
            .all(|r| r.ldp.is_none()),
        "no LDP on the SR lab"
    );
    assert!(
        transcript.contains(" segment-routing prefix 2.2.2.2/32 index 2\n"),
        "{transcript}"
    );
    assert_golden("mpls_vpn_sr.plan", &transcript);
}

/// The dual-stack seed lab as the fast profile plans it: both families in IS-IS and LDP, VPNv6
/// on the PEs' session, IPv6 in both VRFs (static routes for A, the eBGP session for B).
#[test]
fn ipv6_vpn_plan_transcript() {
    let opts = Options {
        profile: mplsrepl::script::Profile::Fast,
        ..Options::default()
    };
    let (engine, transcript) = plan_script(&root().join("scripts/mpls_vpn_v6.rhai"), opts);
    engine.unwrap_or_else(|e| panic!("{e}"));
    for line in [
        " ipv6 router isis CORE\n",
        "  discovery transport-address 2001:db8:ff::1\n",
        " address-family ipv6 vpn\n",
        "ipv6 route 2001:db8:c2::/64 2001:db8:16:2::2 vrf CUSTA\n",
        "ipv6 route ::/0 2001:db8:16:1::254\n",
        "sysctl -w net.ipv6.conf.all.keep_addr_on_down=1\n",
    ] {
        assert!(transcript.contains(line), "`{line}` in:\n{transcript}");
    }
    assert_golden("mpls_vpn_v6.plan", &transcript);
}

/// A saved frr.conf loads back as it ran: zebra applies `no ipv6 forwarding` from the file, so
/// only a router that does not route IPv6 has it.
#[test]
fn frr_conf_forwards_ipv6_where_the_router_routes_it() {
    for (script, forwards) in [
        ("scripts/mpls_vpn_v6.rhai", true),
        ("scripts/mpls_vpn.rhai", false),
    ] {
        let (engine, _) = plan_script(&root().join(script), Options::default());
        let engine = engine.unwrap_or_else(|e| panic!("{e}"));
        let sess = engine.session.borrow();
        let conf = mplsrepl::frr::render::frr_conf(&sess.deploy.desired.routers["PE1"]);
        assert_eq!(
            !conf.contains("no ipv6 forwarding\n"),
            forwards,
            "{script}:\n{conf}"
        );
    }
}

/// A lab of more than 40 routers gets the fast profile's hellos multiplied (hello_scale): a
/// ring of 45 P routers, OSPF hello 2 s / dead 8 s, LDP hello 2 s / holdtime 12 s.
#[test]
fn fast_hellos_slow_down_in_a_lab_of_more_than_forty_routers() {
    let dir = std::env::temp_dir().join(format!("mplsrepl-ring45-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut topo = String::from("lab ring45\n");
    for k in 1..=45 {
        topo.push_str(&format!("router P{k} p lo 10.255.0.{k}/32\n"));
    }
    for k in 1..=45 {
        let next = k % 45 + 1;
        topo.push_str(&format!(
            "link r{k} 10.0.{k}.0/24 {{ P{k}:eth0 .2, P{next}:eth1 .3 }}\n"
        ));
    }
    std::fs::write(dir.join("ring45.topo"), topo).unwrap();
    let script = "topology(\"ring45.topo\");\nimport \"ospf\" as ospf;\nimport \"ldp\" as ldp;\n\
                  set_profile(\"fast\");\nprint(hello_scale());\nospf::core(\"P1\");\nldp::core(\"P1\");\n";
    let (engine, transcript) = plan_text(&dir, "ring45.rhai", script);
    std::fs::remove_dir_all(&dir).unwrap();
    let engine = engine.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        transcript.lines().next().map(str::trim),
        Some("2"),
        "{transcript}"
    );
    let conf = frr_conf(&engine.session.borrow().deploy.desired.routers["P1"]);
    for line in [
        " ip ospf hello-interval 2\n",
        " ip ospf dead-interval 8\n",
        " discovery hello holdtime 12\n",
        " discovery hello interval 2\n",
    ] {
        assert!(conf.contains(line), "{line:?} not in\n{conf}");
    }
}
