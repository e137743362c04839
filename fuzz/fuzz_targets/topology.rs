//! Any UTF-8 text through the topology loader: no panic; every error points into the text with
//! a message; every lab it accepts keeps the model's promises.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use mplsrepl::diagnostic::{Source, SourceError};
use mplsrepl::topology::{self, Lab, SegmentKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = Source::new("fuzz.topo", text);
    match topology::load(&source) {
        Ok(lab) => check_lab(&lab),
        Err(errors) => {
            assert!(!errors.0.is_empty(), "an empty error list for {text:?}");
            for e in &errors.0 {
                check_error(text, e);
            }
        }
    }
});

fn check_error(text: &str, e: &SourceError) {
    // A leading byte-order mark is not part of the text (diagnostic::Source drops it).
    assert_eq!(
        &*e.source.text,
        text.strip_prefix('\u{feff}').unwrap_or(text),
        "the error points into the text it was given"
    );
    assert_eq!(e.malformed(), None);
    // What a user sees: `file:line:col: message` and the rendered report.
    let shown = e.to_string();
    assert!(shown.starts_with("fuzz.topo:"), "{shown}");
    let _ = e.spanned_text();
    let _ = e.render(false);
}

fn check_lab(lab: &Lab) {
    assert!(!lab.name.is_empty());
    let mut routers = HashSet::new();
    for r in &lab.routers {
        assert!(routers.insert(r.name.as_str()), "router {} twice", r.name);
        let mut ifaces = HashSet::new();
        for i in &r.interfaces {
            assert!(
                ifaces.insert(i.name.as_str()),
                "{}:{} twice",
                r.name,
                i.name
            );
            assert_ne!(i.name, "lo", "{} has an interface named lo", r.name);
            let segment = lab
                .segment(&i.segment)
                .unwrap_or_else(|| panic!("{}:{} on unknown {}", r.name, i.name, i.segment));
            // Only an attachment circuit's PE end has no address; an IPv6-only segment's ends
            // have an IPv6 one alone.
            match (segment.subnet, i.address) {
                (Some(net), Some(address)) => {
                    assert_eq!(address.prefix_len(), net.prefix_len());
                    assert!(net.contains(&address.addr()));
                }
                (Some(_), None) => {
                    assert!(i.l2vpn.is_some(), "{}:{} has no address", r.name, i.name)
                }
                (None, Some(_)) => panic!(
                    "{}:{} has an IPv4 address on an IPv6-only segment",
                    r.name, i.name
                ),
                (None, None) => {
                    let (net, address) =
                        (segment.subnet6.expect("an IPv6-only segment"), i.address6);
                    let address =
                        address.unwrap_or_else(|| panic!("{}:{} has no address", r.name, i.name));
                    assert!(net.contains(&address.addr()));
                }
            }
            assert!(
                segment
                    .endpoints
                    .iter()
                    .any(|e| e.router == r.name && e.interface == i.name),
                "{}:{} missing from the ends of {}",
                r.name,
                i.name,
                segment.name
            );
        }
    }
    let mut segments = HashSet::new();
    // A customer's routers (behind a PE end marked `vrf NAME` or `l2vpn NAME`) may reuse
    // another customer's addresses: a loopback is unique within its domain, the provider's,
    // one VRF's or one L2VPN's.
    let marker = |e: &mplsrepl::topology::Endpoint| {
        e.vrf
            .as_ref()
            .map(|v| format!("vrf {v}"))
            .or_else(|| e.l2vpn.as_ref().map(|n| format!("l2vpn {n}")))
    };
    let mut domain_of: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for s in &lab.segments {
        if let Some(domain) = s.endpoints.iter().find_map(marker) {
            for e in s.endpoints.iter().filter(|e| marker(e).is_none()) {
                domain_of.insert(e.router.as_str(), domain.clone());
            }
        }
    }
    let mut addresses = HashSet::new();
    for r in &lab.routers {
        if let Some(lo) = r.loopback {
            let domain = domain_of.get(r.name.as_str()).cloned().unwrap_or_default();
            assert!(
                addresses.insert((domain.clone(), lo.addr())),
                "{} used twice in {domain:?}",
                lo.addr()
            );
        }
    }
    for s in &lab.segments {
        assert!(segments.insert(s.name.as_str()), "segment {} twice", s.name);
        assert!(
            s.subnet.is_some() || s.subnet6.is_some(),
            "{} has no subnet",
            s.name
        );
        if let Some(net) = s.subnet {
            assert_eq!(net, net.trunc(), "{} has host bits", s.name);
        }
        match s.kind {
            SegmentKind::Link => assert_eq!(s.endpoints.len(), 2, "link {}", s.name),
            SegmentKind::Network => assert!(s.endpoints.len() >= 2, "network {}", s.name),
        }
        // The segment's domain: the VRF one of its ends is marked with, else the customer's
        // its routers are behind, else the provider's.
        let domain = s
            .endpoints
            .iter()
            .find_map(marker)
            .or_else(|| domain_of.get(s.endpoints[0].router.as_str()).cloned())
            .unwrap_or_default();
        let mut on_segment = HashSet::new();
        for e in &s.endpoints {
            let router = lab
                .router(&e.router)
                .unwrap_or_else(|| panic!("end {} of {} is no router", e.router, s.name));
            assert!(on_segment.insert(e.router.as_str()), "{} twice", e.router);
            let iface = router
                .interface(&e.interface)
                .unwrap_or_else(|| panic!("{} has no {}", e.router, e.interface));
            assert_eq!(iface.segment, s.name);
            assert_eq!(iface.address.map(|a| a.addr()), e.address);
            let Some(address) = e.address else {
                assert!(
                    e.l2vpn.is_some() || (s.subnet.is_none() && e.address6.is_some()),
                    "{}:{} has no address",
                    e.router,
                    e.interface
                );
                continue;
            };
            let net = s
                .subnet
                .expect("an end with an IPv4 address has an IPv4 subnet");
            assert!(
                net.contains(&address),
                "{address} outside {net} of {}",
                s.name
            );
            if net.prefix_len() <= 30 {
                assert_ne!(address, net.network());
                assert_ne!(address, net.broadcast());
            }
            assert!(
                addresses.insert((domain.clone(), address)),
                "{address} used twice in {domain:?}"
            );
        }
    }
}
