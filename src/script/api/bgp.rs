//! `router(R).bgp(ASN)`: the router's default BGP instance (router ID, neighbors, the VPN and
//! IPv6 families, redistribution).

use rhai::{CustomType, TypeBuilder};

use super::edit::*;
use super::handle::handle;
use super::*;
use crate::script::api_error::ApiError;
use crate::script::args::*;
use crate::script::common::{err, RhaiResult, Shared};

#[derive(Clone)]
pub struct BgpRef {
    pub session: Shared,
    pub router: String,
}

handle!(BgpRef, router);

impl BgpRef {
    /// Edit the router's default BGP instance, then hand the handle back.
    fn edit(&self, f: &mut dyn FnMut(&mut crate::intent::Bgp)) -> RhaiResult<Self> {
        edit_bgp(&self.session, self, f)?;
        Ok(self.clone())
    }
}

impl CustomType for BgpRef {
    fn build(mut builder: TypeBuilder<Self>) {
        builder.with_name("Bgp");
        builder.with_fn(
            "router_id",
            |b: &mut BgpRef, id: &str| -> RhaiResult<BgpRef> {
                let id = parse_ip(id)?;
                b.edit(&mut |bgp| bgp.router_id = Some(id))
            },
        );
        builder.with_get("asn", |b: &mut BgpRef| -> RhaiResult<i64> {
            let s = b.session.clone();
            let sess = s.borrow();
            let bgp = sess
                .deploy
                .desired
                .routers
                .get(&b.router)
                .and_then(|r| r.bgp.as_ref());
            bgp.map(|b| i64::from(b.asn)).ok_or_else(|| {
                ApiError::Removed {
                    what: "BGP".into(),
                    router: b.router.clone(),
                }
                .into()
            })
        });
        builder.with_fn(
            "ebgp_requires_policy",
            |b: &mut BgpRef, on: bool| -> RhaiResult<BgpRef> {
                b.edit(&mut |bgp| bgp.ebgp_requires_policy = on)
            },
        );
        builder.with_fn(
            "redistribute",
            |b: &mut BgpRef, proto: &str| -> RhaiResult<BgpRef> {
                check_redistribute(proto)?;
                b.edit(&mut |bgp| {
                    bgp.redistribute.insert(proto.to_string());
                })
            },
        );
        builder.with_fn(
            "neighbor",
            |b: &mut BgpRef, ip: &str, remote_as: i64| -> RhaiResult<NeighborRef> {
                let s = b.session.clone();
                let (ip, remote_as) = (parse_any_ip(ip)?, to_u32(remote_as, "ASN")?);
                let own = s.borrow().deploy.lab().ok().and_then(|lab| {
                    let r = lab.router(&b.router)?;
                    Some([
                        r.loopback.map(|lo| lo.addr().into()),
                        r.loopback6.map(|lo| lo.addr().into()),
                    ])
                });
                if own.is_some_and(|own| own.contains(&Some(ip))) {
                    return Err(err(format!(
                        "neighbor {ip} is {}'s own loopback: a BGP session goes to another router",
                        b.router
                    )));
                }
                edit_bgp(&s, b, &mut |bgp| {
                    bgp.neighbors.entry(ip).or_default().remote_as = remote_as;
                })?;
                Ok(NeighborRef {
                    session: s.clone(),
                    router: b.router.clone(),
                    vrf: None,
                    ip,
                })
            },
        );
        builder.with_fn(
            "no_neighbor",
            |b: &mut BgpRef, ip: &str| -> RhaiResult<BgpRef> {
                let ip = parse_any_ip(ip)?;
                b.edit(&mut |bgp| {
                    bgp.neighbors.remove(&ip);
                })
            },
        );
        // A prefix this router originates; labeled-unicast neighbors get it with a label.
        builder.with_fn(
            "network",
            |b: &mut BgpRef, prefix: &str| -> RhaiResult<BgpRef> {
                let prefix = parse_prefix(prefix)?.trunc();
                b.edit(&mut |bgp| {
                    bgp.networks.insert(prefix);
                })
            },
        );
        builder.with_fn(
            "distance",
            |b: &mut BgpRef, external: i64, internal: i64, local: i64| -> RhaiResult<BgpRef> {
                // FRR's `distance bgp (1-255) (1-255) (1-255)`.
                let d = |v: i64, what: &str| {
                    u8::try_from(v)
                        .ok()
                        .filter(|d| *d >= 1)
                        .ok_or(ApiError::OutOfRange {
                            what: format!("BGP {what} distance (1-255)"),
                            value: v,
                        })
                };
                let d = (
                    d(external, "eBGP")?,
                    d(internal, "iBGP")?,
                    d(local, "local")?,
                );
                b.edit(&mut |bgp| bgp.distance = Some(d))
            },
        );
        // VPN routes over SRv6, with SIDs from the router's locator.
        builder.with_fn("srv6", |b: &mut BgpRef| -> RhaiResult<BgpRef> {
            check_srv6_locator(&b.session, &b.router, "BGP's SIDs")?;
            b.edit(&mut |bgp| bgp.srv6 = true)
        });
        builder.with_fn(
            "mpls_forwarding",
            |b: &mut BgpRef, iface: &str| -> RhaiResult<BgpRef> {
                check_iface(&b.session, &b.router, iface)?;
                b.edit(&mut |bgp| {
                    bgp.mpls_forwarding.insert(iface.to_string());
                })
            },
        );
        builder.with_fn(
            "vpn_label_switching",
            |b: &mut BgpRef, iface: &str| -> RhaiResult<BgpRef> {
                check_iface(&b.session, &b.router, iface)?;
                check_frr_9_1(
                    &b.session,
                    &b.router,
                    "re-labelling VPN routes passed on between ASes (`mpls bgp l3vpn-multi-domain-switching`)",
                    "an option-B ASBR needs FRR 9.1 or later: run it on FRR 10 (`image \"labfrr:10\"` on its router line), or interconnect the ASes with option A or C",
                )?;
                b.edit(&mut |bgp| {
                    bgp.vpn_label_switching.insert(iface.to_string());
                })
            },
        );
        builder.with_fn("ipv6", |b: &mut BgpRef| -> RhaiResult<BgpRef> {
            let s = b.session.clone();
            bgp_ipv6(&s, &b.router)?;
            Ok(b.clone())
        });
    }
}
