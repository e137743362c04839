//! `router(R)`: the handle every configuration starts from, and what is set on a router as a
//! whole (addresses, sysctls, static routes, raw FRR lines, IS-IS, SR, BFD profiles, the
//! handles of its protocols, VRFs and L2VPNs). `router`, `routers` make it.

use rhai::{Array, CustomType, Dynamic, Engine, TypeBuilder};

use super::edit::*;
use super::handle::{handle, Handle};
use super::sr::{enable, parse_igp, sr_label};
use super::*;
use crate::frr::limits::{self, Knob};
use crate::intent::{BfdProfile, RouterIntent};
use crate::script::api_error::ApiError;
use crate::script::args::*;
use crate::script::common::{err, RhaiResult, Shared};

#[derive(Clone)]
pub struct RouterRef {
    pub session: Shared,
    pub name: String,
}

handle!(RouterRef, name);

pub(crate) fn profile(r: &mut RouterIntent) -> &mut BfdProfile {
    r.bfd.get_or_insert_with(BfdProfile::default)
}

/// What the topology says of the router, through `read`; `None` where it says nothing.
fn in_topology<T>(
    r: &RouterRef,
    read: impl FnOnce(&crate::topology::Router) -> Option<T>,
) -> RhaiResult<Option<T>> {
    let sess = r.session.borrow();
    Ok(sess
        .deploy
        .lab()
        .map_err(err)?
        .router(&r.name)
        .and_then(read))
}

/// The router's IPv4 loopback from the topology, shown by `show`; an error where it has none.
fn loopback(r: &RouterRef, show: fn(ipnet::Ipv4Net) -> String) -> RhaiResult<String> {
    in_topology(r, |t| t.loopback)?
        .map(show)
        .ok_or_else(|| ApiError::NoLoopback(r.name.clone()).into())
}

/// The router's SRv6 locator: an IPv6 prefix of one of `lengths`, on FRR 9.1 or later.
fn set_srv6_locator(
    r: &mut RouterRef,
    prefix: &str,
    lengths: std::ops::RangeInclusive<u8>,
    usid: bool,
    example: &str,
) -> RhaiResult<RouterRef> {
    let prefix = match parse_any_prefix(prefix)? {
        ipnet::IpNet::V6(p) if lengths.contains(&p.prefix_len()) => p.trunc(),
        _ => {
            let lengths = if lengths.start() == lengths.end() {
                format!("a /{}", lengths.start())
            } else {
                format!("/{} to /{}", lengths.start(), lengths.end())
            };
            let kind = if usid {
                "SRv6 uSID locator"
            } else {
                "SRv6 locator"
            };
            return Err(err(format!(
                "{kind} `{prefix}`: expected an IPv6 prefix of {lengths}, e.g. {example}"
            )));
        }
    };
    check_frr_9_1(
        &r.session,
        &r.name,
        "SRv6 locators in IS-IS (`segment-routing srv6` under `router isis`)",
        "an SRv6 core needs FRR 9.1 or later on its routers: run them on FRR 10 (`image \"labfrr:10\"` on their router lines)",
    )?;
    r.edit_router(|ri| {
        ri.srv6_locator = Some(crate::intent::router::Srv6Locator { prefix, usid });
        Ok(())
    })
}

/// The router ID a new BGP instance is given: the topology's `id`, where it has one. Without,
/// bgpd takes zebra's, the highest IPv4 address of the router: a router with none (an IPv6-only
/// core router) would run BGP as 0.0.0.0, which no peer accepts, so that is refused here.
fn bgp_router_id(
    ri: &RouterIntent,
    id: Option<std::net::Ipv4Addr>,
    topology_ipv4: bool,
) -> RhaiResult<Option<std::net::Ipv4Addr>> {
    if id.is_some() {
        return Ok(id);
    }
    if topology_ipv4 || has_ipv4(ri, "lo") {
        return Ok(None);
    }
    Err(err(format!(
        "{} has no IPv4 address for BGP to take its router ID from: give it `id ADDRESS` after its loopback in the topology, e.g. `lo 2001:db8:ff::1/128 id 1.1.1.1`",
        ri.name
    )))
}

/// The router's IPv6 loopback from the topology, shown by `show`; "" where it has none.
fn loopback6(r: &RouterRef, show: fn(ipnet::Ipv6Net) -> String) -> RhaiResult<String> {
    Ok(in_topology(r, |t| t.loopback6)?
        .map(show)
        .unwrap_or_default())
}

impl CustomType for RouterRef {
    fn build(mut builder: TypeBuilder<Self>) {
        builder.with_name("Router");
        builder.with_get("name", |r: &mut RouterRef| r.name.clone());
        builder.with_fn("to_string", |r: &mut RouterRef| {
            format!("router {}", r.name)
        });
        builder.with_fn(
            "loopback_prefix",
            |r: &mut RouterRef| -> RhaiResult<String> { loopback(r, |l| l.to_string()) },
        );
        builder.with_fn("role", |r: &mut RouterRef| -> RhaiResult<String> {
            Ok(in_topology(r, |t| Some(t.role.as_str().to_string()))?.unwrap_or_default())
        });
        // The AS the topology puts the router in (`as N`), or 0 where it names none.
        builder.with_fn("asn", |r: &mut RouterRef| -> RhaiResult<i64> {
            Ok(in_topology(r, |t| t.asn)?.map_or(0, i64::from))
        });
        builder.with_fn("loopback", |r: &mut RouterRef| -> RhaiResult<String> {
            loopback(r, |l| l.addr().to_string())
        });
        builder.with_fn("interfaces", |r: &mut RouterRef| -> RhaiResult<Array> {
            let s = r.session.clone();
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
        });
        // Every address the topology gives this router, configured through zebra (`interface X / ip address`);
        // an interface the topology puts in a customer VRF goes in it first, as its address may
        // repeat another customer's.
        builder.with_fn("addresses", |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            let s = r.session.clone();
            // A handle outlives a `topology(...)` that loads a lab without its router.
            s.borrow().deploy.require_router(&r.name).map_err(err)?;
            let (router, tables) = {
                let sess = s.borrow();
                let lab = sess.deploy.lab().map_err(err)?;
                let router = lab
                    .router(&r.name)
                    .cloned()
                    .ok_or_else(|| ApiError::UnknownRouter(r.name.clone()))?;
                // The VRF tables come from a pass over every segment: only for a router
                // the topology puts in a VRF.
                let tables = if router.interfaces.iter().any(|i| i.vrf.is_some()) {
                    crate::topology::domain::topology_vrf_tables(lab)
                } else {
                    Vec::new()
                };
                (router, tables)
            };
            r.edit_router(|ri| {
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
                // An attachment circuit's PE end has no address: it forwards frames.
                for i in &router.interfaces {
                    let Some(address) = i.address else { continue };
                    ri.addresses
                        .entry(i.name.clone())
                        .or_default()
                        .insert(address);
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
            })
        });
        builder.with_fn(
            "address",
            |r: &mut RouterRef, iface: &str, prefix: &str| -> RhaiResult<RouterRef> {
                let s = r.session.clone();
                check_iface(&s, &r.name, iface)?;
                let p = parse_prefix(prefix)?;
                if let Some(why) = crate::topology::martian::martian(p.addr().into()) {
                    return Err(err(format!(
                        "`{}` is {why}: no interface can have it\nhelp: {}",
                        p.addr(),
                        crate::topology::martian::HELP
                    )));
                }
                r.edit_router(|ri| Ok(ri.addresses.entry(iface.into()).or_default().insert(p)))
            },
        );
        builder.with_fn(
            "no_address",
            |r: &mut RouterRef, iface: &str, prefix: &str| -> RhaiResult<RouterRef> {
                let p = parse_prefix(prefix)?;
                r.edit_router(|ri| {
                    if let Some(set) = ri.addresses.get_mut(iface) {
                        set.remove(&p);
                        if set.is_empty() {
                            ri.addresses.remove(iface);
                        }
                    }
                    Ok(())
                })
            },
        );
        builder.with_fn(
            "sysctl",
            |r: &mut RouterRef, key: &str, value: Dynamic| -> RhaiResult<RouterRef> {
                let value = value.to_string();
                r.edit_router(|ri| Ok(ri.sysctls.insert(key.to_string(), value)))
            },
        );
        builder.with_fn(
            "no_sysctl",
            |r: &mut RouterRef, key: &str| -> RhaiResult<RouterRef> {
                r.edit_router(|ri| Ok(ri.sysctls.remove(key)))
            },
        );
        // Escape hatch for FRR features the model lacks: a top-level line, sent as written.
        builder.with_fn(
            "frr",
            |r: &mut RouterRef, line: &str| -> RhaiResult<RouterRef> {
                let line = line.trim();
                if line.is_empty() || line.contains('\n') {
                    return Err(err("frr() takes one non-empty configuration line"));
                }
                r.edit_router(|ri| {
                    if !ri.raw_config.iter().any(|l| l == line) {
                        ri.raw_config.push(line.to_string());
                    }
                    Ok(())
                })
            },
        );
        builder.with_fn(
            "no_frr",
            |r: &mut RouterRef, line: &str| -> RhaiResult<RouterRef> {
                r.edit_router(|ri| {
                    ri.raw_config.retain(|l| l != line.trim());
                    Ok(())
                })
            },
        );
        builder.with_fn(
            "mpls_labels",
            |r: &mut RouterRef, n: i64| -> RhaiResult<RouterRef> {
                // An MPLS label has 20 bits: the kernel takes no table past 1048575.
                const MAX_PLATFORM_LABELS: i64 = 1_048_575;
                if !(0..=MAX_PLATFORM_LABELS).contains(&n) {
                    return Err(ApiError::OutOfRange {
                        what: format!("MPLS platform labels (0-{MAX_PLATFORM_LABELS})"),
                        value: n,
                    }
                    .into());
                }
                let n = to_u32(n, "platform labels")?;
                r.edit_router(|ri| {
                    super::sr::check_platform_labels(ri, n)?;
                    Ok(ri
                        .sysctls
                        .insert("net.mpls.platform_labels".into(), n.to_string()))
                })
            },
        );
        builder.with_fn(
            "interface",
            |r: &mut RouterRef, iface: &str| -> RhaiResult<IfaceRef> {
                let s = r.session.clone();
                check_iface(&s, &r.name, iface)?;
                Ok(IfaceRef {
                    session: s.clone(),
                    router: r.name.clone(),
                    iface: iface.to_string(),
                })
            },
        );
        builder.with_fn(
            "static_route",
            |r: &mut RouterRef, prefix: &str, nh: &str| -> RhaiResult<RouterRef> {
                let route = static_route(None, Some(prefix), nh)?;
                r.edit_router(|ri| Ok(ri.static_routes.insert(route)))
            },
        );
        builder.with_fn(
            "default_route",
            |r: &mut RouterRef, nh: &str| -> RhaiResult<RouterRef> {
                let route = static_route(None, None, nh)?;
                r.edit_router(|ri| Ok(ri.static_routes.insert(route)))
            },
        );
        builder.with_fn(
            "no_static_route",
            |r: &mut RouterRef, prefix: &str, nh: &str| -> RhaiResult<RouterRef> {
                let route = static_route(None, Some(prefix), nh)?;
                r.edit_router(|ri| Ok(ri.static_routes.remove(&route)))
            },
        );
        builder.with_fn("ospf", |r: &mut RouterRef| -> RhaiResult<OspfRef> {
            let s = r.session.clone();
            edit(&s, &r.name, |ri| {
                Ok(ri.ospf.entry(None).or_default().clone())
            })?;
            Ok(OspfRef {
                session: s.clone(),
                router: r.name.clone(),
                vrf: None,
            })
        });
        // IS-IS level 2 for the core, its NET from the loopback, the loopback passive in it.
        builder.with_fn("isis", |r: &mut RouterRef| -> RhaiResult<RouterRef> {
 let s = r.session.clone();
        let id = s
            .borrow()
            .deploy.lab()
            .map_err(err)?
            .router(&r.name)
            .and_then(|router| router.id())
            .ok_or_else(|| {
                err(format!(
                    "{} has no router ID to derive its IS-IS NET from: give it `lo ADDRESS/32`, or `id ADDRESS` after its IPv6 loopback, in the topology",
                    r.name
                ))
            })?;
        r.edit_router(|ri| {
            let (ipv4, ipv6) = (has_ipv4(ri, "lo"), has_ipv6(ri, "lo"));
            let isis = ri.isis.get_or_insert_with(|| crate::intent::router::Isis {
                net: crate::intent::router::isis_net(id),
                ..Default::default()
            });
            let lo = isis.interfaces.entry("lo".to_string()).or_default();
            lo.passive = true;
            lo.ipv6 |= ipv6;
            lo.ipv6_only = ipv6 && !ipv4;
            Ok(())
        })
    });
        builder.with_fn(
            "isis_lsp_gen",
            |r: &mut RouterRef, secs: i64| -> RhaiResult<RouterRef> {
                let s = r.session.clone();
                let secs = limit(Knob::IsisLspGenInterval, secs)?;
                edit_isis(&s, &r.name, |isis| isis.lsp_gen_interval = Some(secs))?;
                Ok(r.clone())
            },
        );
        // The router's SRv6 locator: the prefix its SIDs come from (IS-IS End SIDs, BGP's
        // End.DT4/DT6). FRR's IS-IS carries it from 9.1 on.
        builder.with_fn(
            "srv6_locator",
            |r: &mut RouterRef, prefix: &str| -> RhaiResult<RouterRef> {
                // The lengths FRR 10.3 was seen to take and print back: /48 (block 24) to /64 (40).
                set_srv6_locator(r, prefix, 48..=64, false, "2001:db8:5:1::/64")
            },
        );
        // A micro-SID locator: F3216, the one format FRR 10.3 and the lab VM's kernel were
        // seen to carry an L3VPN on (a /48: 32-bit block, 16-bit node).
        builder.with_fn(
            "srv6_usid_locator",
            |r: &mut RouterRef, prefix: &str| -> RhaiResult<RouterRef> {
                set_srv6_locator(r, prefix, 48..=48, true, "2001:db8:a2::/48")
            },
        );
        // The locator advertised in IS-IS: the route to it, and the router's End SIDs.
        builder.with_fn("isis_srv6", |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            let s = r.session.clone();
            check_srv6_locator(&s, &r.name, "IS-IS to advertise")?;
            edit_isis(&s, &r.name, |isis| isis.srv6 = true)?;
            Ok(r.clone())
        });
        builder.with_fn("no_isis", |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            r.edit_router(|ri| Ok(ri.isis.take()))
        });
        builder.with_fn("no_ospf", |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            r.edit_router(|ri| Ok(ri.ospf.remove(&None)))
        });
        builder.with_fn("ldp", |r: &mut RouterRef| -> RhaiResult<LdpRef> {
            let s = r.session.clone();
            edit(&s, &r.name, |ri| {
                Ok(ri.ldp.get_or_insert_with(Default::default).clone())
            })?;
            Ok(LdpRef {
                session: s.clone(),
                router: r.name.clone(),
            })
        });
        builder.with_fn("no_ldp", |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            r.edit_router(|ri| {
                ri.ldp = None;
                Ok(())
            })
        });
        builder.with_fn("bgp", |r: &mut RouterRef, asn: i64| -> RhaiResult<BgpRef> {
            let s = r.session.clone();
            let asn = limit(Knob::Asn, asn)?;
            // What bgpd's router ID can come from: `id`, or an IPv4 address in the default VRF
            // (zebra's; a customer's does not count).
            let (id, ipv4) = in_topology(r, |t| {
                let ipv4 = t.loopback.is_some()
                    || t.interfaces
                        .iter()
                        .any(|i| i.address.is_some() && i.vrf.is_none());
                Some((t.router_id, ipv4))
            })?
            .unwrap_or((None, false));
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
                        router_id: bgp_router_id(ri, id, ipv4)?,
                        ..Default::default()
                    });
                    Ok(())
                }
            })?;
            Ok(BgpRef {
                session: s.clone(),
                router: r.name.clone(),
            })
        });
        builder.with_fn("bgp", |r: &mut RouterRef| -> RhaiResult<BgpRef> {
            let s = r.session.clone();
            edit(&s, &r.name, |ri| {
                ri.bgp
                    .as_ref()
                    .map(|_| ())
                    .ok_or_else(|| err(format!("router {} has no BGP: use .bgp(ASN)", ri.name)))
            })?;
            Ok(BgpRef {
                session: s.clone(),
                router: r.name.clone(),
            })
        });
        builder.with_fn("no_bgp", |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            r.edit_router(|ri| {
                ri.bgp = None;
                for v in ri.vrfs.values_mut() {
                    v.bgp = None;
                }
                Ok(())
            })
        });
        builder.with_fn(
            "vrf",
            |r: &mut RouterRef, name: &str, table: i64| -> RhaiResult<VrfRef> {
                let s = r.session.clone();
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
                limits::check_vrf_name(name, &names).map_err(ApiError::from)?;
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
                    session: s.clone(),
                    router: r.name.clone(),
                    vrf: name.to_string(),
                })
            },
        );
        builder.with_fn(
            "vrf",
            |r: &mut RouterRef, name: &str| -> RhaiResult<VrfRef> {
                let s = r.session.clone();
                edit(&s, &r.name, |ri| {
                    ri.vrfs.get(name).map(|_| ()).ok_or_else(|| {
                        err(format!(
                            "router {} has no VRF {name}: use .vrf(\"{name}\", TABLE)",
                            ri.name
                        ))
                    })
                })?;
                Ok(VrfRef {
                    session: s.clone(),
                    router: r.name.clone(),
                    vrf: name.to_string(),
                })
            },
        );
        builder.with_fn(
            "l2vpn",
            |r: &mut RouterRef, name: &str, kind: &str| -> RhaiResult<L2vpnRef> {
                let s = r.session.clone();
                super::l2vpn::l2vpn(&s, &r.name, name, kind)
            },
        );
        builder.with_fn(
            "no_l2vpn",
            |r: &mut RouterRef, name: &str| -> RhaiResult<RouterRef> {
                r.edit_router(|ri| {
                    ri.l2vpns.remove(name);
                    Ok(())
                })
            },
        );
        builder.with_fn(
            "no_vrf",
            |r: &mut RouterRef, name: &str| -> RhaiResult<RouterRef> {
                r.edit_router(|ri| {
                    ri.vrfs.remove(name);
                    ri.static_routes
                        .retain(|route| route.vrf.as_deref() != Some(name));
                    ri.ospf.remove(&Some(name.to_string()));
                    Ok(())
                })
            },
        );
        builder.with_fn("sr", |r: &mut RouterRef| -> RhaiResult<SrRef> {
            let s = r.session.clone();
            enable(&s, &r.name, None)
        });
        builder.with_fn("sr", |r: &mut RouterRef, igp: &str| -> RhaiResult<SrRef> {
            let s = r.session.clone();
            enable(&s, &r.name, Some(parse_igp(igp)?))
        });
        builder.with_fn("no_sr", |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            r.edit_router(|ri| {
                if let Some(isis) = ri.isis.as_mut() {
                    isis.sr = None;
                }
                if let Some(ospf) = ri.ospf.get_mut(&None) {
                    ospf.sr = None;
                }
                Ok(())
            })
        });
        builder.with_fn(
            "sr_label",
            |r: &mut RouterRef, of: &str| -> RhaiResult<i64> {
                let s = r.session.clone();
                sr_label(&s, &r.name, of)
            },
        );
        builder.with_fn("bfd", |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            r.edit_router(|ri| {
                profile(ri);
                Ok(())
            })
        });
        builder.with_fn(
            "bfd",
            |r: &mut RouterRef, interval_ms: i64, multiplier: i64| -> RhaiResult<RouterRef> {
                let interval_ms = limit(Knob::BfdInterval, interval_ms)?;
                let multiplier = limit(Knob::BfdMultiplier, multiplier)?;
                r.edit_router(|ri| {
                    *profile(ri) = BfdProfile {
                        interval_ms,
                        multiplier,
                    };
                    Ok(())
                })
            },
        );
        builder.with_fn("no_bfd", |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            r.edit_router(|ri| {
                ri.bfd = None;
                for o in ri.ospf_interfaces.values_mut() {
                    o.bfd = false;
                }
                for i in ri.isis.iter_mut().flat_map(|i| i.interfaces.values_mut()) {
                    i.bfd = false;
                }
                let default_vrf = ri.bgp.iter_mut().flat_map(|b| b.neighbors.values_mut());
                let vrfs = ri
                    .vrfs
                    .values_mut()
                    .flat_map(|v| v.bgp.iter_mut().flat_map(|b| b.neighbors.values_mut()));
                for n in default_vrf.chain(vrfs) {
                    n.bfd = false;
                }
                Ok(())
            })
        });
        builder.with_fn("loopback6", |r: &mut RouterRef| -> RhaiResult<String> {
            loopback6(r, |l| l.addr().to_string())
        });
        builder.with_fn(
            "loopback6_prefix",
            |r: &mut RouterRef| -> RhaiResult<String> { loopback6(r, |l| l.to_string()) },
        );
        // An IPv6 loopback and no IPv4 one: sessions to the router go to its IPv6 loopback.
        builder.with_fn("ipv6_only", |r: &mut RouterRef| -> RhaiResult<bool> {
            Ok(in_topology(r, |t| Some(t.is_ipv6_only()))?.unwrap_or(false))
        });
    }
}

pub(crate) fn register_globals(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn("router", move |name: &str| -> RhaiResult<RouterRef> {
        s.borrow().deploy.require_router(name).map_err(err)?;
        Ok(RouterRef {
            session: s.clone(),
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
        let role = crate::topology::Role::parse(role).ok_or_else(|| ApiError::Role(role.into()))?;
        Ok(lab
            .routers
            .iter()
            .filter(|r| r.role == role)
            .map(|r| Dynamic::from(r.name.clone()))
            .collect())
    });
}
