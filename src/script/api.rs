//! The configuration half of the Rhai API: builder handles over the intent.
//!
//! Each handle names what it edits (a router, a VRF of a router, ...) and every method edits the
//! session's desired intent and returns the handle, so calls chain:
//! `router("PE1").vrf("CUSTA", 10).bind("eth1")`. Nothing is sent to the lab here; `apply`,
//! `step` and every check do that.

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr};
use std::rc::Rc;

use ipnet::{IpNet, Ipv4Net};
use rhai::{Array, Dynamic, Engine, EvalAltResult};

use super::session::Session;
use crate::frr::limits::{self, Knob};
use crate::intent::{BgpNeighbor, OspfInterface, RouterIntent, StaticRoute, Vrf, VrfBgp};

pub type Shared = Rc<RefCell<Session>>;
pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A Rhai runtime error from any error; `{:#}` keeps anyhow's context chain.
pub fn err(e: impl std::fmt::Display) -> Box<EvalAltResult> {
    format!("{e:#}").into()
}

#[derive(Debug, Clone)]
pub struct RouterRef {
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct IfaceRef {
    pub router: String,
    pub iface: String,
}

#[derive(Debug, Clone)]
pub struct VrfRef {
    pub router: String,
    pub vrf: String,
}

#[derive(Debug, Clone)]
pub struct OspfRef {
    pub router: String,
    pub vrf: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LdpRef {
    pub router: String,
}

#[derive(Debug, Clone)]
pub struct BgpRef {
    pub router: String,
}

#[derive(Debug, Clone)]
pub struct NeighborRef {
    pub router: String,
    pub vrf: Option<String>,
    pub ip: Ipv4Addr,
}

/// The two ends of a link between two routers.
#[derive(Debug, Clone)]
pub struct LinkRef {
    pub ends: Vec<(String, String)>,
}

pub fn parse_ip(text: &str) -> RhaiResult<Ipv4Addr> {
    text.parse()
        .map_err(|_| err(format!("invalid IPv4 address `{text}`")))
}

/// An address of either family.
pub fn parse_any_ip(text: &str) -> RhaiResult<IpAddr> {
    text.parse()
        .map_err(|_| err(format!("invalid IP address `{text}`")))
}

/// A prefix of either family.
fn parse_any_prefix(text: &str) -> RhaiResult<IpNet> {
    text.parse().map_err(|_| {
        err(format!(
            "invalid prefix `{text}` (expected like 10.1.1.0/24 or 2001:db8:1::/64)"
        ))
    })
}

/// A static route's prefix and next hop, of one family; the default route is `0.0.0.0/0` or
/// `::/0` after the next hop's.
pub fn parse_route(prefix: Option<&str>, nexthop: &str) -> RhaiResult<(IpNet, IpAddr)> {
    let nh: IpAddr = nexthop.parse().map_err(|_| {
        err(format!(
            "invalid next hop `{nexthop}` (an IPv4 or IPv6 address)"
        ))
    })?;
    let prefix: IpNet = match prefix {
        None if nh.is_ipv4() => "0.0.0.0/0".parse().expect("literal"),
        None => "::/0".parse().expect("literal"),
        Some(p) => parse_any_prefix(p)?,
    };
    if prefix.addr().is_ipv4() != nh.is_ipv4() {
        return Err(err(format!(
            "route {prefix} via {nh}: the prefix and the next hop must be of one family"
        )));
    }
    Ok((prefix, nh))
}

pub fn parse_prefix(text: &str) -> RhaiResult<Ipv4Net> {
    text.parse().map_err(|_| {
        err(format!(
            "invalid IPv4 prefix `{text}` (expected like 10.1.1.0/24)"
        ))
    })
}

/// A value FRR would refuse, as a script error with FRR's range in its help line.
pub(super) fn limit(knob: Knob, value: i64) -> RhaiResult<u32> {
    limits::check(knob, value).map_err(|r| err(r.to_string()))
}

fn to_u32(value: i64, what: &str) -> RhaiResult<u32> {
    u32::try_from(value).map_err(|_| err(format!("{what} out of range: {value}")))
}

/// A route target or a list of them, as accepted by `rt`, `rt_import`, `rt_export`.
fn route_targets(value: Dynamic) -> RhaiResult<Vec<String>> {
    let items: Vec<Dynamic> = if value.is_array() {
        value.cast::<Array>()
    } else {
        vec![value]
    };
    items
        .into_iter()
        .map(|v| {
            let s = v
                .into_string()
                .map_err(|t| err(format!("route target must be a string, not {t}")))?;
            validate_community(&s, "RT")?;
            Ok(s)
        })
        .collect()
}

/// RD/RT syntax: `ASN:NN` or `IP:NN`.
fn validate_community(text: &str, what: &str) -> RhaiResult<()> {
    limits::check_community(text, what).map_err(|r| err(r.to_string()))
}

/// IPv6 on in the router and on the interface, forwarding, and no duplicate address
/// detection: the topology's addresses are unique, and an address still being checked would
/// refuse the first packets of a run. Addresses are kept when an interface goes down, which
/// binding it to a VRF does for a moment: Linux flushes the IPv6 addresses of a device it
/// cycles, and FRR 8.4 does not put them back (a PE's customer side would lose its IPv6).
fn enable_ipv6(r: &mut RouterIntent, iface: &str) {
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

/// The router's intent gives this interface (or `lo`) an IPv6 address.
fn has_ipv6(r: &RouterIntent, iface: &str) -> bool {
    r.addresses6.get(iface).is_some_and(|a| !a.is_empty())
}

/// Run `edit` on a router's desired intent.
pub(super) fn edit<T>(
    s: &Shared,
    router: &str,
    f: impl FnOnce(&mut RouterIntent) -> RhaiResult<T>,
) -> RhaiResult<T> {
    let mut sess = s.borrow_mut();
    f(sess.deploy.desired.router_mut(router))
}

pub(super) fn edit_vrf<T>(
    s: &Shared,
    v: &VrfRef,
    f: impl FnOnce(&mut Vrf) -> RhaiResult<T>,
) -> RhaiResult<T> {
    edit(s, &v.router, |r| {
        let vrf = r
            .vrfs
            .get_mut(&v.vrf)
            .ok_or_else(|| err(format!("router {} has no VRF {}", v.router, v.vrf)))?;
        f(vrf)
    })
}

/// For removals: the VRF's BGP instance if it has one; removing from nothing changes nothing
/// (and must not create an empty `router bgp N vrf X`).
fn edit_existing_vrf_bgp(s: &Shared, v: &VrfRef, f: impl FnOnce(&mut VrfBgp)) -> RhaiResult<()> {
    edit_vrf(s, v, |vrf| {
        if let Some(b) = vrf.bgp.as_mut() {
            f(b);
        }
        Ok(())
    })
}

/// The VRF's BGP instance, created on first use with the router's ASN.
pub(super) fn edit_vrf_bgp<T>(
    s: &Shared,
    v: &VrfRef,
    f: impl FnOnce(&mut VrfBgp) -> RhaiResult<T>,
) -> RhaiResult<T> {
    edit(s, &v.router, |r| {
        let asn = r.bgp.as_ref().map(|b| b.asn);
        let vrf = r
            .vrfs
            .get_mut(&v.vrf)
            .ok_or_else(|| err(format!("router {} has no VRF {}", v.router, v.vrf)))?;
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

pub(super) fn edit_neighbor<T>(
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
            .ok_or_else(|| err(format!("neighbor {} was removed from {}", n.ip, n.router)))?;
        Ok(f(neighbor))
    })
}

fn edit_ospf<T>(
    s: &Shared,
    o: &OspfRef,
    f: impl FnOnce(&mut crate::intent::Ospf) -> T,
) -> RhaiResult<T> {
    edit(s, &o.router, |r| {
        Ok(f(r.ospf.entry(o.vrf.clone()).or_default()))
    })
}

/// The router's IS-IS process, which must exist (`router(R).isis()` first).
fn edit_isis<T>(
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
fn edit_isis_iface<T>(
    s: &Shared,
    i: &IfaceRef,
    f: impl FnOnce(&mut crate::intent::router::IsisInterface) -> T,
) -> RhaiResult<T> {
    edit_isis(s, &i.router, |isis| {
        f(isis.interfaces.entry(i.iface.clone()).or_default())
    })
}

fn edit_iface<T>(
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
fn check_topology_vrf(s: &Shared, router: &str, iface: &str, vrf: &str) -> RhaiResult<()> {
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

fn clash(
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

fn check_iface(s: &Shared, router: &str, iface: &str) -> RhaiResult<()> {
    s.borrow()
        .deploy
        .require_interface(router, iface)
        .map_err(err)
}

pub fn register(engine: &mut Engine, shared: &Shared) {
    engine
        .register_type_with_name::<RouterRef>("Router")
        .register_type_with_name::<IfaceRef>("Interface")
        .register_type_with_name::<VrfRef>("Vrf")
        .register_type_with_name::<OspfRef>("Ospf")
        .register_type_with_name::<LdpRef>("Ldp")
        .register_type_with_name::<BgpRef>("Bgp")
        .register_type_with_name::<NeighborRef>("Neighbor")
        .register_type_with_name::<LinkRef>("Link");
    engine.register_get("name", |r: &mut RouterRef| r.name.clone());
    engine.register_fn("to_string", |r: &mut RouterRef| {
        format!("router {}", r.name)
    });
    register_router(engine, shared);
    register_interface(engine, shared);
    register_ospf(engine, shared);
    register_ldp(engine, shared);
    register_bgp(engine, shared);
    register_vrf(engine, shared);
    register_link(engine, shared);
    register_topology_queries(engine, shared);
    super::api_sr::register(engine, shared);
    super::api_bfd::register(engine, shared);
    super::api_ipv6::register(engine, shared);
}

/// The segment behind a router's interface and the other ends on it.
pub(super) fn far_end(
    s: &Shared,
    router: &str,
    iface: &str,
) -> RhaiResult<(crate::topology::Segment, Option<crate::topology::Endpoint>)> {
    let sess = s.borrow();
    let lab = sess.deploy.lab().map_err(err)?;
    let r = lab
        .router(router)
        .ok_or_else(|| err(format!("unknown router `{router}`")))?;
    let i = r
        .interface(iface)
        .ok_or_else(|| err(format!("router {router} has no interface `{iface}`")))?;
    let seg = lab
        .segment(&i.segment)
        .cloned()
        .expect("validated topology");
    let peer = seg.endpoints.iter().find(|e| e.router != router).cloned();
    Ok((seg, peer))
}

/// Read-only questions about the topology, for stdlib modules that derive configuration from it.
fn register_topology_queries(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn(
        "peer_router",
        move |router: &str, iface: &str| -> RhaiResult<String> {
            Ok(far_end(&s, router, iface)?
                .1
                .map(|e| e.router)
                .unwrap_or_default())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "peer_address",
        move |router: &str, iface: &str| -> RhaiResult<String> {
            Ok(far_end(&s, router, iface)?
                .1
                .map(|e| e.address.to_string())
                .unwrap_or_default())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "peer_role",
        move |router: &str, iface: &str| -> RhaiResult<String> {
            let peer = far_end(&s, router, iface)?.1;
            let sess = s.borrow();
            let lab = sess.deploy.lab().map_err(err)?;
            Ok(peer
                .and_then(|e| lab.router(&e.router))
                .map(|r| r.role.as_str().to_string())
                .unwrap_or_default())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "subnet_of",
        move |router: &str, iface: &str| -> RhaiResult<String> {
            Ok(far_end(&s, router, iface)?.0.subnet.to_string())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "loopback_prefix",
        move |r: &mut RouterRef| -> RhaiResult<String> {
            let sess = s.borrow();
            let lo = sess
                .deploy
                .lab()
                .map_err(err)?
                .router(&r.name)
                .and_then(|r| r.loopback);
            lo.map(|l| l.to_string())
                .ok_or_else(|| err(format!("router {} has no loopback", r.name)))
        },
    );
    engine.register_fn("network_of", |prefix: &str| -> RhaiResult<String> {
        Ok(parse_any_prefix(prefix)?.trunc().to_string())
    });
}

fn register_router(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn("router", move |name: &str| -> RhaiResult<RouterRef> {
        s.borrow().deploy.require_router(name).map_err(err)?;
        Ok(RouterRef {
            name: name.to_string(),
        })
    });
    let s = shared.clone();
    engine.register_fn("routers", move || -> RhaiResult<Array> {
        let sess = s.borrow();
        let lab = sess.deploy.lab().map_err(err)?;
        Ok(lab
            .routers
            .iter()
            .map(|r| Dynamic::from(r.name.clone()))
            .collect())
    });
    let s = shared.clone();
    engine.register_fn("routers", move |role: &str| -> RhaiResult<Array> {
        let sess = s.borrow();
        let lab = sess.deploy.lab().map_err(err)?;
        let role = crate::topology::Role::parse(role)
            .ok_or_else(|| err(format!("unknown role `{role}`: expected p, pe, ce or rr")))?;
        Ok(lab
            .routers
            .iter()
            .filter(|r| r.role == role)
            .map(|r| Dynamic::from(r.name.clone()))
            .collect())
    });
    let s = shared.clone();
    engine.register_fn("role", move |r: &mut RouterRef| -> RhaiResult<String> {
        let sess = s.borrow();
        Ok(sess
            .deploy
            .lab()
            .map_err(err)?
            .router(&r.name)
            .map(|r| r.role.as_str().to_string())
            .unwrap_or_default())
    });
    let s = shared.clone();
    engine.register_fn("loopback", move |r: &mut RouterRef| -> RhaiResult<String> {
        let sess = s.borrow();
        let lo = sess
            .deploy
            .lab()
            .map_err(err)?
            .router(&r.name)
            .and_then(|r| r.loopback);
        lo.map(|l| l.addr().to_string())
            .ok_or_else(|| err(format!("router {} has no loopback", r.name)))
    });
    let s = shared.clone();
    engine.register_fn(
        "interfaces",
        move |r: &mut RouterRef| -> RhaiResult<Array> {
            let sess = s.borrow();
            let router = sess.deploy.lab().map_err(err)?.router(&r.name).cloned();
            Ok(router
                .map(|r| {
                    r.interfaces
                        .iter()
                        .map(|i| Dynamic::from(i.name.clone()))
                        .collect()
                })
                .unwrap_or_default())
        },
    );
    // Every address the topology gives this router, configured through zebra (`interface X / ip address`);
    // an interface the topology puts in a customer VRF goes in it first, as its address may
    // repeat another customer's.
    let s = shared.clone();
    engine.register_fn(
        "addresses",
        move |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            // A handle outlives a `topology(...)` that loads a lab without its router.
            s.borrow().deploy.require_router(&r.name).map_err(err)?;
            let (router, tables) = {
                let sess = s.borrow();
                let lab = sess.deploy.lab().map_err(err)?;
                let router = lab
                    .router(&r.name)
                    .cloned()
                    .ok_or_else(|| err(format!("unknown router `{}`", r.name)))?;
                (router, crate::topology::domain::topology_vrf_tables(lab))
            };
            edit(&s, &r.name, |ri| {
                if let Some(lo) = router.loopback {
                    ri.addresses.entry("lo".into()).or_default().insert(lo);
                }
                for i in &router.interfaces {
                    let Some(vrf) = &i.vrf else { continue };
                    if !ri.vrfs.contains_key(vrf) {
                        let table = tables
                            .iter()
                            .find(|(v, _)| v == vrf)
                            .map_or(10, |(_, t)| *t);
                        if let Some((other, _)) = ri.vrfs.iter().find(|(_, v)| v.table == table) {
                            return Err(err(format!(
                                "the topology puts {} in VRF {vrf}, whose table {table} VRF \
                                 {other} has on {}: give {vrf} a table first with \
                                 .vrf(\"{vrf}\", TABLE)",
                                i.name, ri.name
                            )));
                        }
                        ri.vrfs.entry(vrf.clone()).or_default().table = table;
                    }
                    ri.vrfs
                        .get_mut(vrf)
                        .expect("made above")
                        .members
                        .insert(i.name.clone());
                }
                for i in &router.interfaces {
                    ri.addresses
                        .entry(i.name.clone())
                        .or_default()
                        .insert(i.address);
                }
                let v6 = router
                    .loopback6
                    .map(|lo| ("lo".to_string(), lo))
                    .into_iter()
                    .chain(
                        router
                            .interfaces
                            .iter()
                            .filter_map(|i| Some((i.name.clone(), i.address6?))),
                    );
                for (iface, a) in v6 {
                    enable_ipv6(ri, &iface);
                    ri.addresses6.entry(iface).or_default().insert(a);
                }
                Ok(())
            })?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "address",
        move |r: &mut RouterRef, iface: &str, prefix: &str| -> RhaiResult<RouterRef> {
            check_iface(&s, &r.name, iface)?;
            let p = parse_prefix(prefix)?;
            edit(&s, &r.name, |ri| {
                Ok(ri.addresses.entry(iface.into()).or_default().insert(p))
            })?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_address",
        move |r: &mut RouterRef, iface: &str, prefix: &str| -> RhaiResult<RouterRef> {
            let p = parse_prefix(prefix)?;
            edit(&s, &r.name, |ri| {
                if let Some(set) = ri.addresses.get_mut(iface) {
                    set.remove(&p);
                    if set.is_empty() {
                        ri.addresses.remove(iface);
                    }
                }
                Ok(())
            })?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "sysctl",
        move |r: &mut RouterRef, key: &str, value: Dynamic| -> RhaiResult<RouterRef> {
            let value = value.to_string();
            edit(&s, &r.name, |ri| {
                Ok(ri.sysctls.insert(key.to_string(), value))
            })?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_sysctl",
        move |r: &mut RouterRef, key: &str| -> RhaiResult<RouterRef> {
            edit(&s, &r.name, |ri| Ok(ri.sysctls.remove(key)))?;
            Ok(r.clone())
        },
    );
    // Escape hatch for FRR features the model lacks: a top-level line, sent as written.
    let s = shared.clone();
    engine.register_fn(
        "frr",
        move |r: &mut RouterRef, line: &str| -> RhaiResult<RouterRef> {
            let line = line.trim();
            if line.is_empty() || line.contains('\n') {
                return Err(err("frr() takes one non-empty configuration line"));
            }
            edit(&s, &r.name, |ri| {
                if !ri.raw_config.iter().any(|l| l == line) {
                    ri.raw_config.push(line.to_string());
                }
                Ok(())
            })?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_frr",
        move |r: &mut RouterRef, line: &str| -> RhaiResult<RouterRef> {
            edit(&s, &r.name, |ri| {
                ri.raw_config.retain(|l| l != line.trim());
                Ok(())
            })?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "mpls_labels",
        move |r: &mut RouterRef, n: i64| -> RhaiResult<RouterRef> {
            let n = to_u32(n, "platform labels")?;
            edit(&s, &r.name, |ri| {
                super::api_sr::check_platform_labels(ri, n)?;
                Ok(ri
                    .sysctls
                    .insert("net.mpls.platform_labels".into(), n.to_string()))
            })?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "interface",
        move |r: &mut RouterRef, iface: &str| -> RhaiResult<IfaceRef> {
            check_iface(&s, &r.name, iface)?;
            Ok(IfaceRef {
                router: r.name.clone(),
                iface: iface.to_string(),
            })
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "static_route",
        move |r: &mut RouterRef, prefix: &str, nh: &str| -> RhaiResult<RouterRef> {
            let (prefix, nexthop) = parse_route(Some(prefix), nh)?;
            let route = StaticRoute {
                vrf: None,
                prefix,
                nexthop,
            };
            edit(&s, &r.name, |ri| Ok(ri.static_routes.insert(route)))?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "default_route",
        move |r: &mut RouterRef, nh: &str| -> RhaiResult<RouterRef> {
            let (prefix, nexthop) = parse_route(None, nh)?;
            let route = StaticRoute {
                vrf: None,
                prefix,
                nexthop,
            };
            edit(&s, &r.name, |ri| Ok(ri.static_routes.insert(route)))?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_static_route",
        move |r: &mut RouterRef, prefix: &str, nh: &str| -> RhaiResult<RouterRef> {
            let (prefix, nexthop) = parse_route(Some(prefix), nh)?;
            let route = StaticRoute {
                vrf: None,
                prefix,
                nexthop,
            };
            edit(&s, &r.name, |ri| Ok(ri.static_routes.remove(&route)))?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn("ospf", move |r: &mut RouterRef| -> RhaiResult<OspfRef> {
        edit(&s, &r.name, |ri| {
            Ok(ri.ospf.entry(None).or_default().clone())
        })?;
        Ok(OspfRef {
            router: r.name.clone(),
            vrf: None,
        })
    });
    // IS-IS level 2 for the core, its NET from the loopback, the loopback passive in it.
    let s = shared.clone();
    engine.register_fn("isis", move |r: &mut RouterRef| -> RhaiResult<RouterRef> {
        let loopback = s
            .borrow()
            .deploy.lab()
            .map_err(err)?
            .router(&r.name)
            .and_then(|router| router.loopback)
            .ok_or_else(|| {
                err(format!(
                    "{} has no loopback to derive its IS-IS NET from: give it `lo ADDRESS/32` in the topology",
                    r.name
                ))
            })?;
        edit(&s, &r.name, |ri| {
            let ipv6 = has_ipv6(ri, "lo");
            let isis = ri.isis.get_or_insert_with(|| crate::intent::router::Isis {
                net: crate::intent::router::isis_net(loopback.addr()),
                ..Default::default()
            });
            let lo = isis.interfaces.entry("lo".to_string()).or_default();
            lo.passive = true;
            lo.ipv6 |= ipv6;
            Ok(())
        })?;
        Ok(r.clone())
    });
    let s = shared.clone();
    engine.register_fn(
        "isis_lsp_gen",
        move |r: &mut RouterRef, secs: i64| -> RhaiResult<RouterRef> {
            let secs = limit(Knob::IsisLspGenInterval, secs)?;
            edit_isis(&s, &r.name, |isis| isis.lsp_gen_interval = Some(secs))?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_isis",
        move |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            edit(&s, &r.name, |ri| Ok(ri.isis.take()))?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_ospf",
        move |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            edit(&s, &r.name, |ri| Ok(ri.ospf.remove(&None)))?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn("ldp", move |r: &mut RouterRef| -> RhaiResult<LdpRef> {
        edit(&s, &r.name, |ri| {
            Ok(ri.ldp.get_or_insert_with(Default::default).clone())
        })?;
        Ok(LdpRef {
            router: r.name.clone(),
        })
    });
    let s = shared.clone();
    engine.register_fn(
        "no_ldp",
        move |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            edit(&s, &r.name, |ri| {
                ri.ldp = None;
                Ok(())
            })?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "bgp",
        move |r: &mut RouterRef, asn: i64| -> RhaiResult<BgpRef> {
            let asn = limit(Knob::Asn, asn)?;
            edit(&s, &r.name, |ri| match &ri.bgp {
                Some(b) if b.asn != asn => Err(err(format!(
                    "router {} already runs BGP AS {}",
                    ri.name, b.asn
                ))),
                Some(_) => Ok(()),
                None => {
                    ri.bgp = Some(crate::intent::Bgp {
                        asn,
                        ebgp_requires_policy: true,
                        ..Default::default()
                    });
                    Ok(())
                }
            })?;
            Ok(BgpRef {
                router: r.name.clone(),
            })
        },
    );
    let s = shared.clone();
    engine.register_fn("bgp", move |r: &mut RouterRef| -> RhaiResult<BgpRef> {
        edit(&s, &r.name, |ri| {
            ri.bgp
                .as_ref()
                .map(|_| ())
                .ok_or_else(|| err(format!("router {} has no BGP: use .bgp(ASN)", ri.name)))
        })?;
        Ok(BgpRef {
            router: r.name.clone(),
        })
    });
    let s = shared.clone();
    engine.register_fn(
        "no_bgp",
        move |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            edit(&s, &r.name, |ri| {
                ri.bgp = None;
                for v in ri.vrfs.values_mut() {
                    v.bgp = None;
                }
                Ok(())
            })?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "vrf",
        move |r: &mut RouterRef, name: &str, table: i64| -> RhaiResult<VrfRef> {
            let table = limit(Knob::VrfTable, table)?;
            let interfaces: Vec<String> = {
                let sess = s.borrow();
                let router = sess
                    .deploy
                    .lab()
                    .map_err(|e| err(e.to_string()))?
                    .router(&r.name);
                std::iter::once("lo".to_string())
                    .chain(
                        router
                            .into_iter()
                            .flat_map(|r| r.interfaces.iter().map(|i| i.name.clone())),
                    )
                    .collect()
            };
            let names: Vec<&str> = interfaces.iter().map(String::as_str).collect();
            limits::check_vrf_name(name, &names).map_err(|r| err(r.to_string()))?;
            edit(&s, &r.name, |ri| {
                if let Some((other, _)) = ri
                    .vrfs
                    .iter()
                    .find(|(n, v)| v.table == table && n.as_str() != name)
                {
                    return Err(err(format!(
                        "table {table} is already used by VRF {other} on {}",
                        ri.name
                    )));
                }
                ri.vrfs.entry(name.to_string()).or_default().table = table;
                Ok(())
            })?;
            Ok(VrfRef {
                router: r.name.clone(),
                vrf: name.to_string(),
            })
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "vrf",
        move |r: &mut RouterRef, name: &str| -> RhaiResult<VrfRef> {
            edit(&s, &r.name, |ri| {
                ri.vrfs.get(name).map(|_| ()).ok_or_else(|| {
                    err(format!(
                        "router {} has no VRF {name}: use .vrf(\"{name}\", TABLE)",
                        ri.name
                    ))
                })
            })?;
            Ok(VrfRef {
                router: r.name.clone(),
                vrf: name.to_string(),
            })
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_vrf",
        move |r: &mut RouterRef, name: &str| -> RhaiResult<RouterRef> {
            edit(&s, &r.name, |ri| {
                ri.vrfs.remove(name);
                ri.static_routes
                    .retain(|route| route.vrf.as_deref() != Some(name));
                ri.ospf.remove(&Some(name.to_string()));
                Ok(())
            })?;
            Ok(r.clone())
        },
    );
}

fn register_interface(engine: &mut Engine, shared: &Shared) {
    engine.register_get("name", |i: &mut IfaceRef| i.iface.clone());
    let s = shared.clone();
    engine.register_fn(
        "ospf_p2p",
        move |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
            edit_iface(&s, i, |o| o.point_to_point = true)?;
            Ok(i.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "ospf_hello",
        move |i: &mut IfaceRef, secs: i64| -> RhaiResult<IfaceRef> {
            let secs = limit(Knob::OspfHello, secs)?;
            edit_iface(&s, i, |o| o.hello_interval = Some(secs))?;
            Ok(i.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "ospf_dead",
        move |i: &mut IfaceRef, secs: i64| -> RhaiResult<IfaceRef> {
            let secs = limit(Knob::OspfDead, secs)?;
            edit_iface(&s, i, |o| o.dead_interval = Some(secs))?;
            Ok(i.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "ospf_cost",
        move |i: &mut IfaceRef, cost: i64| -> RhaiResult<IfaceRef> {
            let cost = limit(Knob::OspfCost, cost)?;
            edit_iface(&s, i, |o| o.cost = Some(cost))?;
            Ok(i.clone())
        },
    );
    // The interface in the router's IS-IS process (point-to-point).
    let s = shared.clone();
    engine.register_fn("isis", move |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
        // A dual-stack link routes both families: IS-IS has one topology for the two.
        let ipv6 = edit(&s, &i.router, |ri| Ok(has_ipv6(ri, &i.iface)))?;
        edit_isis_iface(&s, i, |c| c.ipv6 |= ipv6)?;
        edit(&s, &i.router, |r| {
            if r.addresses.get(&i.iface).is_none_or(|a| a.is_empty()) {
                return Err(err(format!(
                    "{} of {} has no address for IS-IS to run on: give it its addresses first, router(\"{}\").addresses()",
                    i.iface, i.router, i.router
                )));
            }
            Ok(())
        })?;
        Ok(i.clone())
    });
    let s = shared.clone();
    engine.register_fn(
        "isis_metric",
        move |i: &mut IfaceRef, metric: i64| -> RhaiResult<IfaceRef> {
            let metric = limit(Knob::IsisMetric, metric)?;
            edit_isis_iface(&s, i, |c| c.metric = Some(metric))?;
            Ok(i.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "isis_hello",
        move |i: &mut IfaceRef, interval: i64, multiplier: i64| -> RhaiResult<IfaceRef> {
            let interval = limit(Knob::IsisHelloInterval, interval)?;
            let multiplier = limit(Knob::IsisHelloMultiplier, multiplier)?;
            edit_isis_iface(&s, i, |c| c.hello = Some((interval, multiplier)))?;
            Ok(i.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "ospf_passive",
        move |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
            edit_iface(&s, i, |o| o.passive = true)?;
            Ok(i.clone())
        },
    );
    // MPLS input on this interface: the kernel drops labelled packets arriving elsewhere.
    let s = shared.clone();
    engine.register_fn("mpls", move |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
        let key = format!("net.mpls.conf.{}.input", i.iface);
        edit(&s, &i.router, |ri| Ok(ri.sysctls.insert(key, "1".into())))?;
        Ok(i.clone())
    });
    let s = shared.clone();
    engine.register_fn("down", move |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
        edit(&s, &i.router, |ri| {
            Ok(ri.down_interfaces.insert(i.iface.clone()))
        })?;
        Ok(i.clone())
    });
    let s = shared.clone();
    engine.register_fn("up", move |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
        edit(&s, &i.router, |ri| Ok(ri.down_interfaces.remove(&i.iface)))?;
        Ok(i.clone())
    });
}

fn register_ospf(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn(
        "router_id",
        move |o: &mut OspfRef, id: &str| -> RhaiResult<OspfRef> {
            let id = parse_ip(id)?;
            edit_ospf(&s, o, |ospf| ospf.router_id = Some(id))?;
            Ok(o.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "network",
        move |o: &mut OspfRef, prefix: &str, area: i64| -> RhaiResult<OspfRef> {
            let (p, area) = (parse_prefix(prefix)?, to_u32(area, "area")?);
            edit_ospf(&s, o, |ospf| ospf.networks.insert((p, area)))?;
            Ok(o.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_network",
        move |o: &mut OspfRef, prefix: &str, area: i64| -> RhaiResult<OspfRef> {
            let (p, area) = (parse_prefix(prefix)?, to_u32(area, "area")?);
            edit_ospf(&s, o, |ospf| ospf.networks.remove(&(p, area)))?;
            Ok(o.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "redistribute",
        move |o: &mut OspfRef, proto: &str| -> RhaiResult<OspfRef> {
            check_redistribute(proto)?;
            edit_ospf(&s, o, |ospf| ospf.redistribute.insert(proto.to_string()))?;
            Ok(o.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "spf_throttle",
        move |o: &mut OspfRef, d: i64, h: i64, m: i64| -> RhaiResult<OspfRef> {
            let t = (to_u32(d, "delay")?, to_u32(h, "hold")?, to_u32(m, "max")?);
            edit_ospf(&s, o, |ospf| ospf.spf_throttle = Some(t))?;
            Ok(o.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn("fast_lsa", move |o: &mut OspfRef| -> RhaiResult<OspfRef> {
        edit_ospf(&s, o, |ospf| ospf.fast_lsa = true)?;
        Ok(o.clone())
    });
}

fn check_redistribute(proto: &str) -> RhaiResult<()> {
    match proto {
        "static" | "connected" | "ospf" | "bgp" | "kernel" => Ok(()),
        _ => Err(err(format!(
            "cannot redistribute `{proto}`: expected static, connected, ospf, bgp or kernel"
        ))),
    }
}

fn register_ldp(engine: &mut Engine, shared: &Shared) {
    let edit_ldp =
        |s: &Shared, l: &LdpRef, f: &mut dyn FnMut(&mut crate::intent::Ldp)| -> RhaiResult<()> {
            edit(s, &l.router, |ri| {
                f(ri.ldp.get_or_insert_with(Default::default));
                Ok(())
            })
        };
    let s = shared.clone();
    engine.register_fn(
        "router_id",
        move |l: &mut LdpRef, id: &str| -> RhaiResult<LdpRef> {
            let id = parse_ip(id)?;
            edit_ldp(&s, l, &mut |ldp| ldp.router_id = Some(id))?;
            Ok(l.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "transport",
        move |l: &mut LdpRef, addr: &str| -> RhaiResult<LdpRef> {
            let addr = parse_ip(addr)?;
            edit_ldp(&s, l, &mut |ldp| ldp.transport_address = Some(addr))?;
            Ok(l.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "interface",
        move |l: &mut LdpRef, iface: &str| -> RhaiResult<LdpRef> {
            check_iface(&s, &l.router, iface)?;
            edit_ldp(&s, l, &mut |ldp| {
                ldp.interfaces.insert(iface.to_string());
            })?;
            Ok(l.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_interface",
        move |l: &mut LdpRef, iface: &str| -> RhaiResult<LdpRef> {
            edit_ldp(&s, l, &mut |ldp| {
                ldp.interfaces.remove(iface);
            })?;
            Ok(l.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "hello",
        move |l: &mut LdpRef, interval: i64, holdtime: i64| -> RhaiResult<LdpRef> {
            let (i, h) = (
                limit(Knob::LdpHelloInterval, interval)?,
                limit(Knob::LdpHelloHoldtime, holdtime)?,
            );
            edit_ldp(&s, l, &mut |ldp| {
                ldp.hello_interval = Some(i);
                ldp.hello_holdtime = Some(h);
            })?;
            Ok(l.clone())
        },
    );
}

fn register_bgp(engine: &mut Engine, shared: &Shared) {
    let edit_bgp =
        |s: &Shared, b: &BgpRef, f: &mut dyn FnMut(&mut crate::intent::Bgp)| -> RhaiResult<()> {
            edit(s, &b.router, |ri| {
                let bgp = ri
                    .bgp
                    .as_mut()
                    .ok_or_else(|| err(format!("BGP was removed from {}", ri.name)))?;
                f(bgp);
                Ok(())
            })
        };
    let s = shared.clone();
    engine.register_fn(
        "router_id",
        move |b: &mut BgpRef, id: &str| -> RhaiResult<BgpRef> {
            let id = parse_ip(id)?;
            edit_bgp(&s, b, &mut |bgp| bgp.router_id = Some(id))?;
            Ok(b.clone())
        },
    );
    let s = shared.clone();
    engine.register_get("asn", move |b: &mut BgpRef| -> RhaiResult<i64> {
        let sess = s.borrow();
        let bgp = sess
            .deploy
            .desired
            .routers
            .get(&b.router)
            .and_then(|r| r.bgp.as_ref());
        bgp.map(|b| i64::from(b.asn))
            .ok_or_else(|| err(format!("BGP was removed from {}", b.router)))
    });
    let s = shared.clone();
    engine.register_fn(
        "ebgp_requires_policy",
        move |b: &mut BgpRef, on: bool| -> RhaiResult<BgpRef> {
            edit_bgp(&s, b, &mut |bgp| bgp.ebgp_requires_policy = on)?;
            Ok(b.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "redistribute",
        move |b: &mut BgpRef, proto: &str| -> RhaiResult<BgpRef> {
            check_redistribute(proto)?;
            edit_bgp(&s, b, &mut |bgp| {
                bgp.redistribute.insert(proto.to_string());
            })?;
            Ok(b.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "neighbor",
        move |b: &mut BgpRef, ip: &str, remote_as: i64| -> RhaiResult<NeighborRef> {
            let (ip, remote_as) = (parse_ip(ip)?, to_u32(remote_as, "ASN")?);
            edit_bgp(&s, b, &mut |bgp| {
                bgp.neighbors.entry(ip).or_default().remote_as = remote_as;
            })?;
            Ok(NeighborRef {
                router: b.router.clone(),
                vrf: None,
                ip,
            })
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_neighbor",
        move |b: &mut BgpRef, ip: &str| -> RhaiResult<BgpRef> {
            let ip = parse_ip(ip)?;
            edit_bgp(&s, b, &mut |bgp| {
                bgp.neighbors.remove(&ip);
            })?;
            Ok(b.clone())
        },
    );
    engine.register_get("ip", |n: &mut NeighborRef| n.ip.to_string());
    let s = shared.clone();
    engine.register_fn(
        "update_source",
        move |n: &mut NeighborRef, src: &str| -> RhaiResult<NeighborRef> {
            edit_neighbor(&s, n, |nb| nb.update_source = Some(src.to_string()))?;
            Ok(n.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "vpnv4",
        move |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            edit_neighbor(&s, n, |nb| nb.ipv4_vpn = true)?;
            Ok(n.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "ipv4",
        move |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            edit_neighbor(&s, n, |nb| nb.ipv4_unicast = true)?;
            Ok(n.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "rr_client",
        move |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            edit_neighbor(&s, n, |nb| nb.route_reflector_client = true)?;
            Ok(n.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "next_hop_self",
        move |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            edit_neighbor(&s, n, |nb| nb.next_hop_self = true)?;
            Ok(n.clone())
        },
    );
}

fn register_vrf(engine: &mut Engine, shared: &Shared) {
    engine.register_get("name", |v: &mut VrfRef| v.vrf.clone());
    let s = shared.clone();
    engine.register_fn(
        "bind",
        move |v: &mut VrfRef, iface: &str| -> RhaiResult<VrfRef> {
            check_iface(&s, &v.router, iface)?;
            limits::check_vrf_member(iface).map_err(|r| err(r.to_string()))?;
            check_topology_vrf(&s, &v.router, iface, &v.vrf)?;
            edit(&s, &v.router, |ri| {
                if let Some((other, _)) = ri
                    .vrfs
                    .iter()
                    .find(|(n, vrf)| vrf.members.contains(iface) && **n != v.vrf)
                {
                    return Err(err(format!(
                        "{iface} on {} is already in VRF {other}",
                        v.router
                    )));
                }
                Ok(())
            })?;
            edit_vrf(&s, v, |vrf| Ok(vrf.members.insert(iface.to_string())))?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "unbind",
        move |v: &mut VrfRef, iface: &str| -> RhaiResult<VrfRef> {
            edit_vrf(&s, v, |vrf| Ok(vrf.members.remove(iface)))?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "bgp",
        move |v: &mut VrfRef, asn: i64| -> RhaiResult<VrfRef> {
            let asn = limit(Knob::Asn, asn)?;
            edit_vrf(&s, v, |vrf| {
                vrf.bgp.get_or_insert_with(Default::default).asn = asn;
                Ok(())
            })?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "rd",
        move |v: &mut VrfRef, rd: &str| -> RhaiResult<VrfRef> {
            validate_community(rd, "RD")?;
            edit_vrf_bgp(&s, v, |b| {
                b.rd = Some(rd.to_string());
                Ok(())
            })?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "rt",
        move |v: &mut VrfRef, rts: Dynamic| -> RhaiResult<VrfRef> {
            let rts = route_targets(rts)?;
            edit_vrf_bgp(&s, v, |b| {
                b.rt_import = rts.iter().cloned().collect();
                b.rt_export = rts.iter().cloned().collect();
                Ok(())
            })?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "rt_import",
        move |v: &mut VrfRef, rts: Dynamic| -> RhaiResult<VrfRef> {
            let rts = route_targets(rts)?;
            edit_vrf_bgp(&s, v, |b| {
                b.rt_import.extend(rts);
                Ok(())
            })?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "rt_export",
        move |v: &mut VrfRef, rts: Dynamic| -> RhaiResult<VrfRef> {
            let rts = route_targets(rts)?;
            edit_vrf_bgp(&s, v, |b| {
                b.rt_export.extend(rts);
                Ok(())
            })?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_rt_import",
        move |v: &mut VrfRef, rt: &str| -> RhaiResult<VrfRef> {
            edit_existing_vrf_bgp(&s, v, |b| {
                b.rt_import.remove(rt);
            })?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_rt_export",
        move |v: &mut VrfRef, rt: &str| -> RhaiResult<VrfRef> {
            edit_existing_vrf_bgp(&s, v, |b| {
                b.rt_export.remove(rt);
            })?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "redistribute",
        move |v: &mut VrfRef, proto: &str| -> RhaiResult<VrfRef> {
            check_redistribute(proto)?;
            edit_vrf_bgp(&s, v, |b| Ok(b.redistribute.insert(proto.to_string())))?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_redistribute",
        move |v: &mut VrfRef, proto: &str| -> RhaiResult<VrfRef> {
            edit_existing_vrf_bgp(&s, v, |b| {
                b.redistribute.remove(proto);
            })?;
            Ok(v.clone())
        },
    );
    // The article's `label vpn export auto` + `export vpn` + `import vpn`: the VRF joins the VPN.
    let s = shared.clone();
    engine.register_fn("vpn", move |v: &mut VrfRef| -> RhaiResult<VrfRef> {
        edit_vrf_bgp(&s, v, |b| {
            b.label_vpn_export_auto = true;
            b.export_vpn = true;
            b.import_vpn = true;
            Ok(())
        })?;
        Ok(v.clone())
    });
    let s = shared.clone();
    engine.register_fn(
        "no_import_vpn",
        move |v: &mut VrfRef| -> RhaiResult<VrfRef> {
            edit_existing_vrf_bgp(&s, v, |b| b.import_vpn = false)?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "static_route",
        move |v: &mut VrfRef, prefix: &str, nh: &str| -> RhaiResult<VrfRef> {
            let (prefix, nexthop) = parse_route(Some(prefix), nh)?;
            let route = StaticRoute {
                vrf: Some(v.vrf.clone()),
                prefix,
                nexthop,
            };
            // Through edit_vrf: a handle kept after no_vrf() must not configure a VRF that is gone.
            edit_vrf(&s, v, |_| Ok(()))?;
            edit(&s, &v.router, |ri| Ok(ri.static_routes.insert(route)))?;
            Ok(v.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_static_route",
        move |v: &mut VrfRef, prefix: &str, nh: &str| -> RhaiResult<VrfRef> {
            let (prefix, nexthop) = parse_route(Some(prefix), nh)?;
            let route = StaticRoute {
                vrf: Some(v.vrf.clone()),
                prefix,
                nexthop,
            };
            edit(&s, &v.router, |ri| Ok(ri.static_routes.remove(&route)))?;
            Ok(v.clone())
        },
    );
    // PE-CE eBGP inside the VRF.
    let s = shared.clone();
    engine.register_fn(
        "neighbor",
        move |v: &mut VrfRef, ip: &str, remote_as: i64| -> RhaiResult<NeighborRef> {
            let (ip, remote_as) = (parse_ip(ip)?, to_u32(remote_as, "ASN")?);
            edit_vrf_bgp(&s, v, |b| {
                let n = b.neighbors.entry(ip).or_default();
                n.remote_as = remote_as;
                n.ipv4_unicast = true;
                Ok(())
            })?;
            Ok(NeighborRef {
                router: v.router.clone(),
                vrf: Some(v.vrf.clone()),
                ip,
            })
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_neighbor",
        move |v: &mut VrfRef, ip: &str| -> RhaiResult<VrfRef> {
            let ip = parse_ip(ip)?;
            edit_existing_vrf_bgp(&s, v, |b| {
                b.neighbors.remove(&ip);
            })?;
            Ok(v.clone())
        },
    );
    // PE-CE OSPF: `router ospf vrf NAME`.
    let s = shared.clone();
    engine.register_fn("ospf", move |v: &mut VrfRef| -> RhaiResult<OspfRef> {
        let o = OspfRef {
            router: v.router.clone(),
            vrf: Some(v.vrf.clone()),
        };
        edit_vrf(&s, v, |_| Ok(()))?;
        edit_ospf(&s, &o, |_| ())?;
        Ok(o)
    });
}

fn register_link(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn("link", move |a: &str, b: &str| -> RhaiResult<LinkRef> {
        let sess = s.borrow();
        let lab = sess.deploy.lab().map_err(err)?;
        let seg = lab
            .segment_between(a, b)
            .ok_or_else(|| err(format!("no link between {a} and {b}")))?;
        let ends = seg
            .endpoints
            .iter()
            .filter(|e| e.router == a || e.router == b)
            .map(|e| (e.router.clone(), e.interface.clone()))
            .collect();
        Ok(LinkRef { ends })
    });
    let s = shared.clone();
    engine.register_fn("down", move |l: &mut LinkRef| -> RhaiResult<LinkRef> {
        for (router, iface) in &l.ends {
            edit(&s, router, |ri| {
                Ok(ri.down_interfaces.insert(iface.clone()))
            })?;
        }
        Ok(l.clone())
    });
    let s = shared.clone();
    engine.register_fn("up", move |l: &mut LinkRef| -> RhaiResult<LinkRef> {
        for (router, iface) in &l.ends {
            edit(&s, router, |ri| Ok(ri.down_interfaces.remove(iface)))?;
        }
        Ok(l.clone())
    });
    // Impairment of both directions: each end's egress.
    let s = shared.clone();
    engine.register_fn(
        "impair",
        move |l: &mut LinkRef, how: rhai::Map| -> RhaiResult<LinkRef> {
            let imp = impairment(&how)?;
            for (router, iface) in &l.ends {
                edit(&s, router, |ri| {
                    Ok(ri.impairments.insert(iface.clone(), imp.clone()))
                })?;
            }
            Ok(l.clone())
        },
    );
    // One direction: the egress of ROUTER's end.
    let s = shared.clone();
    engine.register_fn(
        "impair",
        move |l: &mut LinkRef, router: &str, how: rhai::Map| -> RhaiResult<LinkRef> {
            let imp = impairment(&how)?;
            let (r, iface) = link_end(l, router)?;
            edit(&s, &r, |ri| Ok(ri.impairments.insert(iface.clone(), imp)))?;
            Ok(l.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn("no_impair", move |l: &mut LinkRef| -> RhaiResult<LinkRef> {
        for (router, iface) in &l.ends {
            edit(&s, router, |ri| Ok(ri.impairments.remove(iface)))?;
        }
        Ok(l.clone())
    });
}

/// The typed impairment of a script's map; the map's values may be strings or numbers.
fn impairment(how: &rhai::Map) -> RhaiResult<crate::intent::impairment::Impairment> {
    let entries: Vec<(String, String)> = how
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    crate::intent::impairment::Impairment::parse(
        entries.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .map_err(err)
}

fn link_end(l: &LinkRef, router: &str) -> RhaiResult<(String, String)> {
    l.ends
        .iter()
        .find(|(r, _)| r == router)
        .cloned()
        .ok_or_else(|| {
            let ends: Vec<&str> = l.ends.iter().map(|(r, _)| r.as_str()).collect();
            err(format!(
                "{router} is not an end of this link (its ends: {})",
                ends.join(", ")
            ))
        })
}
