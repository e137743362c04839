//! containerlab export and import: golden files (tests/golden/clab) and round trips.

mod common;

use common::*;
use mplsrepl::clab::{export::export, import::import};
use mplsrepl::diagnostic::Source;
use mplsrepl::topology::Lab;

const IMAGE: &str = "labfrr:latest";

fn topo(path: &str) -> Lab {
    mplsrepl::topology::load_file(&root().join(path)).unwrap()
}

fn lan() -> Lab {
    let text = "lab lan\nimage \"frrouting/frr:v8.4.1\"\nrouter A p lo 10.255.0.1/32\n\
                router B p\nrouter C pe\n\
                link ab 10.1.1.0/24 { A:eth0 .254, B:eth0 .2 }\n\
                network lan9 10.9.0.0/16 { A:eth3 10.9.0.1, B .0.2, C:eth1 .3.4 }\n";
    mplsrepl::topology::load(&Source::new("lan.topo", text)).unwrap()
}

#[test]
fn exports_match_their_golden_files() {
    assert_golden(
        "clab/mpls_vpn.clab.yml",
        &export(&topo("scripts/mpls_vpn.topo"), IMAGE).unwrap(),
    );
    assert_golden("clab/lan.clab.yml", &export(&lan(), IMAGE).unwrap());
}

#[test]
fn export_then_import_gives_the_same_lab() {
    for lab in [
        topo("scripts/mpls_vpn.topo"),
        topo("tests/labs/general.topo"),
        lan(),
    ] {
        let yaml = export(&lab, IMAGE).unwrap();
        let imported = import(&yaml, IMAGE).unwrap();
        assert_eq!(imported.errors, None, "{}", imported.text);
        let back =
            mplsrepl::topology::load(&Source::new("back.topo", imported.text.clone())).unwrap();
        assert_eq!(back, lab, "{}", imported.text);
    }
    let seed = import(
        &export(&topo("scripts/mpls_vpn.topo"), IMAGE).unwrap(),
        IMAGE,
    )
    .unwrap();
    assert_golden("clab/mpls_vpn.imported.topo", &seed.text);
}

#[test]
fn import_guesses_roles_and_marks_placeholders() {
    let yaml = std::fs::read_to_string(root().join("tests/labs/plain.clab.yml")).unwrap();
    let imported = import(&yaml, IMAGE).unwrap();
    assert_eq!(imported.errors, None, "{}", imported.text);
    assert_golden("clab/plain.imported.topo", &imported.text);
    let text = &imported.text;
    assert!(text.contains("router pe1  pe lo 10.0.0.1/32"), "{text}");
    assert!(
        text.contains("TODO: placeholder subnet 10.200.0.0/24"),
        "{text}"
    );
    assert!(
        text.contains("network br0 10.200.1.0/24 { core:eth2 .1, edge:eth1 .2 }"),
        "{text}"
    );
}

#[test]
fn import_and_export_refuse_what_they_cannot_map() {
    let host = "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - endpoints: [\"a:eth1\", \"host:veth9\"]\n";
    let err = format!("{:#}", import(host, IMAGE).unwrap_err());
    assert!(err.contains("`host` endpoints are not supported"), "{err}");
    let unknown = "name: x\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\"]\n";
    let err = format!("{:#}", import(unknown, IMAGE).unwrap_err());
    assert!(err.contains("unknown node `b`"), "{err}");
    let err = format!("{:#}", import("topology: {}\n", IMAGE).unwrap_err());
    assert!(err.contains("no `name:`"), "{err}");

    let text = "lab t\nrouter A p\nrouter B p\nrouter C p\n\
                network a-very-long-lan 10.0.0.0/24 { A .1, B .2, C .3 }\n";
    let lab = mplsrepl::topology::load(&Source::new("t.topo", text)).unwrap();
    let err = export(&lab, IMAGE).unwrap_err().to_string();
    assert!(err.contains("longer than Linux's 15 bytes"), "{err}");
}
