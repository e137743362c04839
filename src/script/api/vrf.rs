//! `router(R).vrf(NAME, TABLE)`: a customer VRF on a PE (members, RD and RTs, its BGP
//! instance, VPN export and import, static routes, PE-CE neighbors).

use rhai::{CustomType, Dynamic, TypeBuilder};

use super::edit::*;
use super::handle::{handle, Handle};
use super::*;
use crate::frr::limits::{self, Knob};
use crate::script::api_error::ApiError;
use crate::script::args::*;
use crate::script::common::{err, RhaiResult, Shared};

#[derive(Clone)]
pub struct VrfRef {
    pub session: Shared,
    pub router: String,
    pub vrf: String,
}

handle!(VrfRef, router);

impl VrfRef {
    /// Edit the VRF, then hand the handle back.
    fn edit<T>(
        &self,
        f: impl FnOnce(&mut crate::intent::Vrf) -> RhaiResult<T>,
    ) -> RhaiResult<Self> {
        edit_vrf(&self.session, self, f)?;
        Ok(self.clone())
    }

    /// Edit the VRF's BGP instance (created on first use), then hand the handle back.
    fn edit_bgp<T>(
        &self,
        f: impl FnOnce(&mut crate::intent::VrfBgp) -> RhaiResult<T>,
    ) -> RhaiResult<Self> {
        edit_vrf_bgp(&self.session, self, f)?;
        Ok(self.clone())
    }

    /// Edit the VRF's BGP instance if it has one (a removal from nothing changes nothing).
    fn edit_existing_bgp(&self, f: impl FnOnce(&mut crate::intent::VrfBgp)) -> RhaiResult<Self> {
        edit_existing_vrf_bgp(&self.session, self, f)?;
        Ok(self.clone())
    }
}

impl CustomType for VrfRef {
    fn build(mut builder: TypeBuilder<Self>) {
        builder.with_name("Vrf");
        builder.with_get("name", |v: &mut VrfRef| v.vrf.clone());
        builder.with_fn(
            "bind",
            |v: &mut VrfRef, iface: &str| -> RhaiResult<VrfRef> {
                let s = v.session.clone();
                check_iface(&s, &v.router, iface)?;
                limits::check_vrf_member(iface).map_err(ApiError::from)?;
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
                v.edit(|vrf| Ok(vrf.members.insert(iface.to_string())))
            },
        );
        builder.with_fn(
            "unbind",
            |v: &mut VrfRef, iface: &str| -> RhaiResult<VrfRef> {
                v.edit(|vrf| Ok(vrf.members.remove(iface)))
            },
        );
        builder.with_fn("bgp", |v: &mut VrfRef, asn: i64| -> RhaiResult<VrfRef> {
            let asn = limit(Knob::Asn, asn)?;
            v.edit(|vrf| {
                vrf.bgp.get_or_insert_with(Default::default).asn = asn;
                Ok(())
            })
        });
        builder.with_fn("rd", |v: &mut VrfRef, rd: &str| -> RhaiResult<VrfRef> {
            validate_community(rd, "RD")?;
            v.edit_bgp(|b| {
                b.rd = Some(rd.to_string());
                Ok(())
            })
        });
        builder.with_fn("rt", |v: &mut VrfRef, rts: Dynamic| -> RhaiResult<VrfRef> {
            let rts = route_targets(rts)?;
            v.edit_bgp(|b| {
                b.rt_import = rts.iter().cloned().collect();
                b.rt_export = rts.iter().cloned().collect();
                Ok(())
            })
        });
        builder.with_fn(
            "rt_import",
            |v: &mut VrfRef, rts: Dynamic| -> RhaiResult<VrfRef> {
                let rts = route_targets(rts)?;
                v.edit_bgp(|b| {
                    b.rt_import.extend(rts);
                    Ok(())
                })
            },
        );
        builder.with_fn(
            "rt_export",
            |v: &mut VrfRef, rts: Dynamic| -> RhaiResult<VrfRef> {
                let rts = route_targets(rts)?;
                v.edit_bgp(|b| {
                    b.rt_export.extend(rts);
                    Ok(())
                })
            },
        );
        builder.with_fn(
            "no_rt_import",
            |v: &mut VrfRef, rt: &str| -> RhaiResult<VrfRef> {
                v.edit_existing_bgp(|b| {
                    b.rt_import.remove(rt);
                })
            },
        );
        builder.with_fn(
            "no_rt_export",
            |v: &mut VrfRef, rt: &str| -> RhaiResult<VrfRef> {
                v.edit_existing_bgp(|b| {
                    b.rt_export.remove(rt);
                })
            },
        );
        builder.with_fn(
            "redistribute",
            |v: &mut VrfRef, proto: &str| -> RhaiResult<VrfRef> {
                check_redistribute(proto)?;
                v.edit_bgp(|b| Ok(b.redistribute.insert(proto.to_string())))
            },
        );
        builder.with_fn(
            "no_redistribute",
            |v: &mut VrfRef, proto: &str| -> RhaiResult<VrfRef> {
                v.edit_existing_bgp(|b| {
                    b.redistribute.remove(proto);
                })
            },
        );
        // The article's `label vpn export auto` + `export vpn` + `import vpn`: the VRF joins the VPN.
        builder.with_fn("vpn", |v: &mut VrfRef| -> RhaiResult<VrfRef> {
            v.edit_bgp(|b| {
                b.label_vpn_export_auto = true;
                b.export_vpn = true;
                b.import_vpn = true;
                Ok(())
            })
        });
        // The VPN over SRv6: an SRv6 SID (End.DT4, End.DT6) for each family's routes.
        builder.with_fn("srv6", |v: &mut VrfRef| -> RhaiResult<VrfRef> {
            v.edit_bgp(|b| {
                b.srv6_sid_export_auto = true;
                Ok(())
            })
        });
        builder.with_fn("no_import_vpn", |v: &mut VrfRef| -> RhaiResult<VrfRef> {
            v.edit_existing_bgp(|b| b.import_vpn = false)
        });
        builder.with_fn(
            "static_route",
            |v: &mut VrfRef, prefix: &str, nh: &str| -> RhaiResult<VrfRef> {
                let s = v.session.clone();
                let route = static_route(Some(&v.vrf), Some(prefix), nh)?;
                // Through edit_vrf: a handle kept after no_vrf() must not configure a VRF that is gone.
                edit_vrf(&s, v, |_| Ok(()))?;
                v.edit_router(|ri| Ok(ri.static_routes.insert(route)))
            },
        );
        builder.with_fn(
            "no_static_route",
            |v: &mut VrfRef, prefix: &str, nh: &str| -> RhaiResult<VrfRef> {
                let route = static_route(Some(&v.vrf), Some(prefix), nh)?;
                v.edit_router(|ri| Ok(ri.static_routes.remove(&route)))
            },
        );
        // PE-CE eBGP inside the VRF.
        builder.with_fn(
            "neighbor",
            |v: &mut VrfRef, ip: &str, remote_as: i64| -> RhaiResult<NeighborRef> {
                let s = v.session.clone();
                let (ip, remote_as) = (parse_ip(ip)?, to_u32(remote_as, "ASN")?);
                edit_vrf_bgp(&s, v, |b| {
                    let n = b.neighbors.entry(ip.into()).or_default();
                    n.remote_as = remote_as;
                    n.ipv4_unicast = true;
                    Ok(())
                })?;
                Ok(NeighborRef {
                    session: s.clone(),
                    router: v.router.clone(),
                    vrf: Some(v.vrf.clone()),
                    ip: ip.into(),
                })
            },
        );
        builder.with_fn(
            "no_neighbor",
            |v: &mut VrfRef, ip: &str| -> RhaiResult<VrfRef> {
                let ip = parse_ip(ip)?;
                v.edit_existing_bgp(|b| {
                    b.neighbors.remove(&ip.into());
                })
            },
        );
        // PE-CE OSPF: `router ospf vrf NAME`.
        builder.with_fn("ospf", |v: &mut VrfRef| -> RhaiResult<OspfRef> {
            let s = v.session.clone();
            let o = OspfRef {
                session: s.clone(),
                router: v.router.clone(),
                vrf: Some(v.vrf.clone()),
            };
            edit_vrf(&s, v, |_| Ok(()))?;
            edit_ospf(&s, &o, |_| ())?;
            Ok(o)
        });
        builder.with_fn("ipv6", |v: &mut VrfRef| -> RhaiResult<VrfRef> {
            v.edit_bgp(|b| {
                b.ipv6 = true;
                Ok(())
            })
        });
    }
}
