//! Editing the desired intent through a handle: the router, VRF, neighbor or IGP it names,
//! checked against the topology on the way.

use super::*;
use crate::intent::{BgpNeighbor, OspfInterface, RouterIntent, Vrf, VrfBgp};
use crate::script::api_error::ApiError;
use crate::script::common::{err, RhaiResult, Shared};

/// IPv6 on in the router and on the interface, forwarding, and no duplicate address
/// detection: the topology's addresses are unique, and an address still being checked would
/// refuse the first packets of a run. Addresses are kept when an interface goes down, which
/// binding it to a VRF does for a moment: Linux flushes the IPv6 addresses of a device it
/// cycles, and FRR 8.4 does not put them back (a PE's customer side would lose its IPv6).
pub(crate) fn enable_ipv6(r: &mut RouterIntent, iface: &str) {
    for (key, value) in [
        ("net.ipv6.conf.all.disable_ipv6".to_string(), "0"),
        (crate::intent::router::IPV6_FORWARDING.to_string(), "1"),
        ("net.ipv6.conf.all.keep_addr_on_down".to_string(), "1"),
        (format!("net.ipv6.conf.{iface}.disable_ipv6"), "0"),
        (format!("net.ipv6.conf.{iface}.accept_dad"), "0"),
    ] {
        r.sysctls.insert(key, value.to_string());
    }
}

/// The router's intent gives this interface (or `lo`) an IPv4 address.
pub(crate) fn has_ipv4(r: &RouterIntent, iface: &str) -> bool {
    r.addresses.get(iface).is_some_and(|a| !a.is_empty())
}

/// The router's intent gives this interface (or `lo`) an IPv6 address.
pub(crate) fn has_ipv6(r: &RouterIntent, iface: &str) -> bool {
    r.addresses6.get(iface).is_some_and(|a| !a.is_empty())
}

/// Run `edit` on a router's desired intent.
pub(crate) fn edit<T>(
    s: &Shared,
    router: &str,
    f: impl FnOnce(&mut RouterIntent) -> RhaiResult<T>,
) -> RhaiResult<T> {
    let mut sess = s.borrow_mut();
    f(sess.deploy.desired.router_mut(router))
}

pub(crate) fn edit_vrf<T>(
    s: &Shared,
    v: &VrfRef,
    f: impl FnOnce(&mut Vrf) -> RhaiResult<T>,
) -> RhaiResult<T> {
    edit(s, &v.router, |r| {
        let vrf = r.vrfs.get_mut(&v.vrf).ok_or_else(|| ApiError::NoVrf {
            router: v.router.clone(),
            vrf: v.vrf.clone(),
        })?;
        f(vrf)
    })
}

/// For removals: the VRF's BGP instance if it has one; removing from nothing changes nothing
/// (and must not create an empty `router bgp N vrf X`).
pub(crate) fn edit_existing_vrf_bgp(
    s: &Shared,
    v: &VrfRef,
    f: impl FnOnce(&mut VrfBgp),
) -> RhaiResult<()> {
    edit_vrf(s, v, |vrf| {
        if let Some(b) = vrf.bgp.as_mut() {
            f(b);
        }
        Ok(())
    })
}

/// The VRF's BGP instance, created on first use with the router's ASN.
pub(crate) fn edit_vrf_bgp<T>(
    s: &Shared,
    v: &VrfRef,
    f: impl FnOnce(&mut VrfBgp) -> RhaiResult<T>,
) -> RhaiResult<T> {
    edit(s, &v.router, |r| {
        let asn = r.bgp.as_ref().map(|b| b.asn);
        let vrf = r.vrfs.get_mut(&v.vrf).ok_or_else(|| ApiError::NoVrf {
            router: v.router.clone(),
            vrf: v.vrf.clone(),
        })?;
        if vrf.bgp.is_none() {
            let asn = asn.ok_or_else(|| {
                err(format!(
                    "VRF {} on {} needs a BGP instance: call router(\"{}\").bgp(ASN) first",
                    v.vrf, v.router, v.router
                ))
            })?;
            vrf.bgp = Some(VrfBgp {
                asn,
                ..Default::default()
            });
        }
        f(vrf.bgp.as_mut().expect("created above"))
    })
}

pub(crate) fn edit_neighbor<T>(
    s: &Shared,
    n: &NeighborRef,
    f: impl FnOnce(&mut BgpNeighbor) -> T,
) -> RhaiResult<T> {
    edit(s, &n.router, |r| {
        let table = match &n.vrf {
            None => r.bgp.as_mut().map(|b| &mut b.neighbors),
            Some(v) => r
                .vrfs
                .get_mut(v)
                .and_then(|v| v.bgp.as_mut())
                .map(|b| &mut b.neighbors),
        };
        let neighbor = table
            .and_then(|t| t.get_mut(&n.ip))
            .ok_or_else(|| ApiError::Removed {
                what: format!("neighbor {}", n.ip),
                router: n.router.clone(),
            })?;
        Ok(f(neighbor))
    })
}

pub(crate) fn edit_ospf<T>(
    s: &Shared,
    o: &OspfRef,
    f: impl FnOnce(&mut crate::intent::Ospf) -> T,
) -> RhaiResult<T> {
    edit(s, &o.router, |r| {
        Ok(f(r.ospf.entry(o.vrf.clone()).or_default()))
    })
}

/// The router's IS-IS process, which must exist (`router(R).isis()` first).
pub(crate) fn edit_isis<T>(
    s: &Shared,
    router: &str,
    f: impl FnOnce(&mut crate::intent::router::Isis) -> T,
) -> RhaiResult<T> {
    edit(s, router, |r| {
        let name = r.name.clone();
        let isis = r.isis.as_mut().ok_or_else(|| {
            err(format!(
                "{name} runs no IS-IS: call router(\"{name}\").isis() first"
            ))
        })?;
        Ok(f(isis))
    })
}

/// An interface of the router's IS-IS process.
pub(crate) fn edit_isis_iface<T>(
    s: &Shared,
    i: &IfaceRef,
    f: impl FnOnce(&mut crate::intent::router::IsisInterface) -> T,
) -> RhaiResult<T> {
    edit_isis(s, &i.router, |isis| {
        f(isis.interfaces.entry(i.iface.clone()).or_default())
    })
}

pub(crate) fn edit_iface<T>(
    s: &Shared,
    i: &IfaceRef,
    f: impl FnOnce(&mut OspfInterface) -> T,
) -> RhaiResult<T> {
    edit(s, &i.router, |r| {
        Ok(f(r.ospf_interfaces.entry(i.iface.clone()).or_default()))
    })
}

/// Binding an interface into another VRF than the one the topology puts it in would move its
/// segment and CE, whose addresses the topology checked in that VRF only.
pub(crate) fn check_topology_vrf(
    s: &Shared,
    router: &str,
    iface: &str,
    vrf: &str,
) -> RhaiResult<()> {
    let sess = s.borrow();
    let lab = sess.deploy.lab().map_err(err)?;
    let Some(i) = lab.router(router).and_then(|r| r.interface(iface)) else {
        return Ok(());
    };
    match &i.vrf {
        Some(topology) if topology != vrf => Err(err(format!(
            "the topology puts {iface} of {router} in VRF {topology} (link `{}`), not {vrf}",
            i.segment
        ))),
        Some(_) => Ok(()),
        // Its segment and the CE behind it move into the VRF with it: their addresses must
        // not clash with the VRF's others.
        None => {
            let mut bound: Vec<(&str, &str, &str)> = sess
                .deploy
                .desired
                .routers
                .iter()
                .flat_map(|(r, ri)| {
                    ri.vrfs.iter().flat_map(move |(v, vrf)| {
                        vrf.members
                            .iter()
                            .map(move |m| (r.as_str(), m.as_str(), v.as_str()))
                    })
                })
                .filter(|(r, m, _)| !(*r == router && *m == iface))
                .collect();
            bound.push((router, iface, vrf));
            clash(lab, &bound, router, iface, vrf)
        }
    }
}

pub(crate) fn clash(
    lab: &crate::topology::Lab,
    bound: &[(&str, &str, &str)],
    router: &str,
    iface: &str,
    vrf: &str,
) -> RhaiResult<()> {
    match crate::topology::domain::clash_after(lab, bound) {
        Some(clash) => Err(err(format!(
            "binding {iface} of {router} to VRF {vrf} would make a clash: {clash}"
        ))),
        None => Ok(()),
    }
}

pub(crate) fn check_iface(s: &Shared, router: &str, iface: &str) -> RhaiResult<()> {
    s.borrow()
        .deploy
        .require_interface(router, iface)
        .map_err(err)
}

/// The router runs FRR 9.1 or later, which has `what` (FRR 8.4 refuses it): `plan` says so
/// where the script asks for it, with `help`.
pub(crate) fn check_frr_9_1(s: &Shared, router: &str, what: &str, help: &str) -> RhaiResult<()> {
    let version = s.borrow().deploy.frr_version(router);
    if version.major >= 9 {
        return Ok(());
    }
    Err(ApiError::NotOnFrr {
        router: router.to_string(),
        major: version.major,
        what: what.to_string(),
        since: "9.1".into(),
        help: help.to_string(),
    }
    .into())
}

/// The router has an SRv6 locator, which `user` takes its SIDs from.
pub(crate) fn check_srv6_locator(s: &Shared, router: &str, user: &str) -> RhaiResult<()> {
    edit(s, router, |ri| {
        if ri.srv6_locator.is_some() {
            return Ok(());
        }
        Err(err(format!(
            "{router} has no SRv6 locator for {user}: router(\"{router}\").srv6_locator(PREFIX) first"
        )))
    })
}

/// Edit the router's LDP, created on first use.
pub(crate) fn edit_ldp(
    s: &Shared,
    l: &LdpRef,
    f: &mut dyn FnMut(&mut crate::intent::Ldp),
) -> RhaiResult<()> {
    edit(s, &l.router, |ri| {
        f(ri.ldp.get_or_insert_with(Default::default));
        Ok(())
    })
}

/// Edit the router's default BGP instance, which `bgp(ASN)` made.
pub(crate) fn edit_bgp(
    s: &Shared,
    b: &BgpRef,
    f: &mut dyn FnMut(&mut crate::intent::Bgp),
) -> RhaiResult<()> {
    edit(s, &b.router, |ri| {
        let bgp = ri.bgp.as_mut().ok_or_else(|| ApiError::Removed {
            what: "BGP".into(),
            router: ri.name.clone(),
        })?;
        f(bgp);
        Ok(())
    })
}

/// The IPv6 unicast family on the router's default BGP instance.
pub(crate) fn bgp_ipv6(s: &Shared, router: &str) -> RhaiResult<()> {
    edit(s, router, |ri| {
        let bgp = ri.bgp.as_mut().ok_or_else(|| ApiError::Removed {
            what: "BGP".into(),
            router: ri.name.clone(),
        })?;
        bgp.ipv6 = true;
        Ok(())
    })
}
