//! `mplsrepl graph`: every format of the seed lab, the general lab and a lab with a LAN, as
//! golden files (tests/golden/graph), and a readable SVG layout (nothing overlaps).

mod common;

use common::*;
use mplsrepl::diagnostic::Source;
use mplsrepl::graph::{self, layout, Diagram, Format};
use mplsrepl::intent::Intent;
use mplsrepl::script::Options;
use mplsrepl::topology::Lab;

/// A lab and its final intent, from a script run with the plan backend.
fn scripted(path: &str) -> (Lab, Intent) {
    let (engine, _) = plan_script(&root().join(path), Options::default());
    let engine = engine.unwrap_or_else(|e| panic!("{e}"));
    let sess = engine.session.borrow();
    (
        sess.deploy.lab().unwrap().clone(),
        sess.deploy.desired.clone(),
    )
}

/// Three routers on one LAN plus a link: the bus drawing and a link inside the core column.
fn lan() -> Lab {
    let text = "lab lan\nrouter A p lo 10.255.0.1/32\nrouter B p lo 10.255.0.2/32\n\
                router C pe lo 10.255.0.3/32\nrouter D ce\n\
                link ab 10.1.1.0/24 { A:eth0 .254, B:eth0 .2 }\n\
                network lan9 10.9.0.0/16 { A:eth3 10.9.0.1, B .0.2, C:eth1 .3.4 }\n\
                link cd 10.2.0.0/24 { C .1, D .2 }\n";
    mplsrepl::topology::load(&Source::new("lan.topo", text)).expect("a valid topology")
}

fn all_formats(name: &str, lab: &Lab, intent: Option<&Intent>) {
    for (format, ext) in [
        (Format::Svg, "svg"),
        (Format::Dot, "dot"),
        (Format::Mermaid, "mmd"),
        (Format::Ascii, "txt"),
    ] {
        let text = graph::render(lab, intent, format);
        assert_golden(&format!("graph/{name}.{ext}"), &text);
    }
}

#[test]
fn seed_lab_in_every_format() {
    let (lab, intent) = scripted("scripts/mpls_vpn.rhai");
    all_formats("mpls_vpn", &lab, Some(&intent));
}

#[test]
fn general_lab_in_every_format() {
    let (lab, intent) = scripted("tests/labs/general.rhai");
    all_formats("general", &lab, Some(&intent));
}

/// The L2VPN lab: attachment circuits with no address, and each pseudowire a dashed line
/// between its PEs, once whichever end names it.
#[test]
fn l2vpn_lab_in_every_format() {
    let (lab, intent) = scripted("scripts/l2vpn.rhai");
    all_formats("l2vpn", &lab, Some(&intent));
    let d = Diagram::new(&lab, Some(&intent));
    let labels: Vec<String> = d.pseudowires.iter().map(|p| p.label()).collect();
    assert_eq!(
        labels,
        [
            "pw 100 (CUSTA)",
            "pw 200 (CUSTB)",
            "pw 200 (CUSTB)",
            "pw 200 (CUSTB)"
        ]
    );
    let ascii = graph::render(&lab, Some(&intent), Format::Ascii);
    assert!(ascii.contains("PE1 ══[pw 100 (CUSTA)]══ PE2"), "{ascii}");
    assert!(ascii.contains("── l2vpn CUSTA eth2 PE1"), "{ascii}");
}

#[test]
fn lan_lab_in_every_format() {
    all_formats("lan", &lan(), None);
}

#[test]
fn nothing_overlaps_in_the_svg_layouts() {
    // A ring of four P routers with a chord: two of its links go out and back beside the
    // column, over the same stretch.
    let ring = "lab ring\nrouter P1 p\nrouter P2 p\nrouter P3 p\nrouter P4 p\n\
                link a 10.1.1.0/30 { P1 .1, P2 .2 }\nlink b 10.1.2.0/30 { P2 .1, P3 .2 }\n\
                link c 10.1.3.0/30 { P3 .1, P4 .2 }\nlink d 10.1.4.0/30 { P4 .1, P1 .2 }\n\
                link e 10.1.5.0/30 { P1 .1, P3 .2 }\n";
    let ring = mplsrepl::topology::load(&Source::new("ring.topo", ring)).unwrap();
    let labs = [
        scripted("scripts/mpls_vpn.rhai"),
        scripted("tests/labs/general.rhai"),
        (lan(), Intent::default()),
        (ring, Intent::default()),
    ];
    for (lab, intent) in &labs {
        let d = Diagram::new(lab, Some(intent));
        let lay = layout::layout(&d);
        let found = lay.collisions(&d);
        assert!(found.is_empty(), "lab {}:\n{}", lab.name, found.join("\n"));
    }
}

#[test]
fn ascii_sketch_names_vrfs_and_reads_from_the_customer_side() {
    let (lab, intent) = scripted("scripts/mpls_vpn.rhai");
    let text = graph::ascii(&lab, Some(&intent));
    assert!(
        text.contains("PE1 eth0 10.1.1.2 ──[net1 10.1.1.0/24]── 10.1.1.254 eth0 PR"),
        "{text}"
    );
    assert!(
        text.contains("CE1 eth0 172.16.1.2 ──[net3 172.16.1.0/24]── 172.16.1.254 eth1 (CUSTA) PE1"),
        "{text}"
    );
    // Without the intent there is no VRF to show.
    assert!(!graph::ascii(&lab, None).contains("CUSTA"));
}

#[test]
fn rings_and_links_across_the_core_still_draw_without_box_overlaps() {
    // A ring of three P routers (one link skips a row) and two PEs linked to each other
    // across the core column (the line jumps over it).
    let text = "lab odd\nrouter A p\nrouter B p\nrouter C p\nrouter X pe\nrouter Y pe\n\
                link ab 10.0.1.0/24 { A .1, B .2 }\nlink bc 10.0.2.0/24 { B .1, C .2 }\n\
                link ca 10.0.3.0/24 { C .1, A .2 }\nlink ax 10.0.4.0/24 { A .1, X .2 }\n\
                link cy 10.0.5.0/24 { C .1, Y .2 }\nlink xy 10.0.6.0/24 { X .1, Y .2 }\n";
    let lab = mplsrepl::topology::load(&Source::new("odd.topo", text)).unwrap();
    let d = Diagram::new(&lab, None);
    let lay = layout::layout(&d);
    let boxes: Vec<_> = lay.routers.iter().collect();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
        }
    }
    // Every segment is drawn, and each line starts and ends on the boxes of its routers.
    assert_eq!(lay.edges.len(), lab.segments.len());
    for (e, route) in d.edges.iter().zip(&lay.edges) {
        assert!(route.len() >= 2, "{}", e.segment);
    }
    assert!(graph::render(&lab, None, Format::Svg).ends_with("</svg>\n"));
}
