//! IPv6 in the Rhai API, next to the IPv4 it extends: a dual-stack router keeps one handle
//! per protocol, and these turn on the IPv6 half.
//!
//! - `router("PE1").loopback6()`, `loopback6_prefix()`, `peer_address6(R, IFACE)`: the
//!   topology's IPv6 addresses ("" where it gives none).
//! - `ldp.transport6(ADDR)`: LDP for IPv6 on the same interfaces (labels for IPv6 FECs).
//! - `neighbor.vpnv6()`: VPNv6 on an iBGP session; `neighbor.ipv6()`: IPv6 unicast on a
//!   (PE-CE) session; `bgp.ipv6()` / `vrf.ipv6()`: the instance's IPv6 unicast family, with
//!   the same redistribution (and, in a VRF, the same RD, RTs and VPN export/import).
//!
//! IS-IS needs nothing here: `interface(I).isis()` routes IPv6 too where the topology gives
//! the interface an IPv6 address.

use rhai::Engine;

use super::api::{
    edit, edit_neighbor, edit_vrf_bgp, err, far_end, BgpRef, LdpRef, NeighborRef, RhaiResult,
    RouterRef, Shared, VrfRef,
};

pub fn register(engine: &mut Engine, shared: &Shared) {
    register_topology_queries(engine, shared);
    register_protocols(engine, shared);
}

/// The router's IPv6 loopback from the topology, shown by `show`; "" where it has none.
fn loopback6(s: &Shared, r: &RouterRef, show: fn(ipnet::Ipv6Net) -> String) -> RhaiResult<String> {
    let sess = s.borrow();
    let lab = sess.deploy.lab().map_err(err)?;
    Ok(lab
        .router(&r.name)
        .and_then(|r| r.loopback6)
        .map(show)
        .unwrap_or_default())
}

fn register_topology_queries(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn(
        "loopback6",
        move |r: &mut RouterRef| -> RhaiResult<String> {
            loopback6(&s, r, |l| l.addr().to_string())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "loopback6_prefix",
        move |r: &mut RouterRef| -> RhaiResult<String> { loopback6(&s, r, |l| l.to_string()) },
    );
    let s = shared.clone();
    engine.register_fn(
        "peer_address6",
        move |router: &str, iface: &str| -> RhaiResult<String> {
            Ok(far_end(&s, router, iface)?
                .1
                .and_then(|e| e.address6)
                .map(|a| a.to_string())
                .unwrap_or_default())
        },
    );
}

/// The IPv6 unicast family on the router's default BGP instance.
fn bgp_ipv6(s: &Shared, router: &str) -> RhaiResult<()> {
    edit(s, router, |ri| {
        let bgp = ri
            .bgp
            .as_mut()
            .ok_or_else(|| err(format!("BGP was removed from {}", ri.name)))?;
        bgp.ipv6 = true;
        Ok(())
    })
}

fn register_protocols(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn(
        "transport6",
        move |l: &mut LdpRef, addr: &str| -> RhaiResult<LdpRef> {
            let addr: std::net::Ipv6Addr = addr
                .parse()
                .map_err(|_| err(format!("invalid IPv6 address `{addr}`")))?;
            edit(&s, &l.router, |ri| {
                ri.ldp
                    .get_or_insert_with(Default::default)
                    .transport_address6 = Some(addr);
                Ok(())
            })?;
            Ok(l.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "vpnv6",
        move |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            edit_neighbor(&s, n, |nb| nb.ipv6_vpn = true)?;
            Ok(n.clone())
        },
    );
    // IPv6 unicast on the session, and the family on its instance (default or VRF).
    let s = shared.clone();
    engine.register_fn(
        "ipv6",
        move |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            edit_neighbor(&s, n, |nb| nb.ipv6_unicast = true)?;
            match &n.vrf {
                None => bgp_ipv6(&s, &n.router)?,
                Some(vrf) => {
                    let v = VrfRef {
                        router: n.router.clone(),
                        vrf: vrf.clone(),
                    };
                    edit_vrf_bgp(&s, &v, |b| {
                        b.ipv6 = true;
                        Ok(())
                    })?
                }
            }
            Ok(n.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn("ipv6", move |b: &mut BgpRef| -> RhaiResult<BgpRef> {
        bgp_ipv6(&s, &b.router)?;
        Ok(b.clone())
    });
    let s = shared.clone();
    engine.register_fn("ipv6", move |v: &mut VrfRef| -> RhaiResult<VrfRef> {
        edit_vrf_bgp(&s, v, |b| {
            b.ipv6 = true;
            Ok(())
        })?;
        Ok(v.clone())
    });
}
