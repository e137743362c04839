//! `bgp(ASN).neighbor(IP, AS)` and a VRF's: one BGP neighbor (update source, next-hop-self,
//! route reflection, families, BFD, how the session is opened).

use std::net::IpAddr;

use rhai::{CustomType, TypeBuilder};

use super::edit::*;
use super::handle::{handle, Handle};
use super::router::profile;
use super::*;
use crate::script::common::{RhaiResult, Shared};

#[derive(Clone)]
pub struct NeighborRef {
    pub session: Shared,
    pub router: String,
    pub vrf: Option<String>,
    pub ip: IpAddr,
}

handle!(NeighborRef, router);

impl NeighborRef {
    /// Edit the neighbor, then hand the handle back.
    fn edit<T>(&self, f: impl FnOnce(&mut crate::intent::BgpNeighbor) -> T) -> RhaiResult<Self> {
        edit_neighbor(&self.session, self, f)?;
        Ok(self.clone())
    }
}

/// IPv4 unicast, or labeled unicast, on the session: bgpd refuses a neighbor active in both.
fn ipv4_family(n: &NeighborRef, labeled: bool) -> RhaiResult<NeighborRef> {
    let s = n.session.clone();
    edit_neighbor(&s, n, |nb| {
        let (other, other_name) = if labeled {
            (nb.ipv4_unicast, "IPv4 unicast")
        } else {
            (nb.ipv4_labeled_unicast, "labeled unicast")
        };
        if other {
            return Err(crate::script::common::err(format!(
                "neighbor {} is in {other_name}: bgpd refuses a neighbor in both IPv4 unicast and labeled unicast",
                n.ip
            )));
        }
        if labeled {
            nb.ipv4_labeled_unicast = true;
        } else {
            nb.ipv4_unicast = true;
        }
        Ok(())
    })??;
    Ok(n.clone())
}

impl CustomType for NeighborRef {
    fn build(mut builder: TypeBuilder<Self>) {
        builder.with_name("Neighbor");
        builder.with_get("ip", |n: &mut NeighborRef| n.ip.to_string());
        builder.with_fn(
            "update_source",
            |n: &mut NeighborRef, src: &str| -> RhaiResult<NeighborRef> {
                n.edit(|nb| nb.update_source = Some(src.to_string()))
            },
        );
        builder.with_fn(
            "connect_retry",
            |n: &mut NeighborRef, secs: i64| -> RhaiResult<NeighborRef> {
                // FRR's `neighbor X timers connect (1-65535)`.
                let secs = u16::try_from(secs).ok().filter(|s| *s >= 1).ok_or(
                    crate::script::api_error::ApiError::OutOfRange {
                        what: "BGP connect retry (1-65535 seconds)".into(),
                        value: secs,
                    },
                )?;
                n.edit(|nb| nb.connect_retry = Some(secs))
            },
        );
        builder.with_fn(
            "passive",
            |n: &mut NeighborRef| -> RhaiResult<NeighborRef> { n.edit(|nb| nb.passive = true) },
        );
        // Over a session between IPv6 addresses a VPNv4 route's next hop is IPv6, which the
        // extended next hop capability (RFC 8950) lets BGP send.
        builder.with_fn("vpnv4", |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            let ipv6 = n.ip.is_ipv6();
            n.edit(|nb| {
                nb.ipv4_vpn = true;
                nb.extended_nexthop |= ipv6;
            })
        });
        builder.with_fn(
            "labeled_unicast",
            |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
                if n.vrf.is_some() {
                    return Err(crate::script::common::err(
                        "labeled unicast runs in the default BGP instance: router(R).bgp(ASN).neighbor(...)",
                    ));
                }
                ipv4_family(n, true)
            },
        );
        builder.with_fn(
            "next_hop_self_force",
            |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
                n.edit(|nb| nb.next_hop_self_force = true)
            },
        );
        builder.with_fn(
            "weight",
            |n: &mut NeighborRef, w: i64| -> RhaiResult<NeighborRef> {
                // FRR's `neighbor X weight (0-65535)`.
                let w = u16::try_from(w).map_err(|_| {
                    crate::script::api_error::ApiError::OutOfRange {
                        what: "BGP weight (0-65535)".into(),
                        value: w,
                    }
                })?;
                n.edit(|nb| nb.weight = Some(w))
            },
        );
        builder.with_fn(
            "ebgp_multihop",
            |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
                n.edit(|nb| nb.ebgp_multihop = true)
            },
        );
        builder.with_fn("ipv4", |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            ipv4_family(n, false)
        });
        builder.with_fn(
            "rr_client",
            |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
                n.edit(|nb| nb.route_reflector_client = true)
            },
        );
        builder.with_fn(
            "next_hop_self",
            |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
                n.edit(|nb| nb.next_hop_self = true)
            },
        );
        builder.with_fn("bfd", |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            let s = n.session.clone();
            edit_neighbor(&s, n, |nb| nb.bfd = true)?;
            n.edit_router(|ri| {
                profile(ri);
                Ok(())
            })
        });
        builder.with_fn("vpnv6", |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            n.edit(|nb| nb.ipv6_vpn = true)
        });
        // IPv6 unicast on the session, and the family on its instance (default or VRF).
        builder.with_fn("ipv6", |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            let s = n.session.clone();
            edit_neighbor(&s, n, |nb| nb.ipv6_unicast = true)?;
            match &n.vrf {
                None => bgp_ipv6(&s, &n.router)?,
                Some(vrf) => {
                    let v = VrfRef {
                        session: s.clone(),
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
        });
    }
}
