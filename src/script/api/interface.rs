//! `router(R).interface(I)`: one interface's OSPF and IS-IS settings (cost, network type,
//! passive) and BFD on it.

use rhai::{CustomType, TypeBuilder};

use super::edit::*;
use super::handle::{handle, Handle};
use super::router::profile;
use crate::frr::limits::Knob;
use crate::script::args::*;
use crate::script::common::{err, RhaiResult, Shared};

#[derive(Clone)]
pub struct IfaceRef {
    pub session: Shared,
    pub router: String,
    pub iface: String,
}

handle!(IfaceRef, router);

impl IfaceRef {
    /// Edit the interface's OSPF settings, then hand the handle back.
    fn edit_ospf<T>(
        &self,
        f: impl FnOnce(&mut crate::intent::OspfInterface) -> T,
    ) -> RhaiResult<Self> {
        edit_iface(&self.session, self, f)?;
        Ok(self.clone())
    }

    /// Edit the interface's IS-IS settings, then hand the handle back.
    fn edit_isis<T>(
        &self,
        f: impl FnOnce(&mut crate::intent::router::IsisInterface) -> T,
    ) -> RhaiResult<Self> {
        edit_isis_iface(&self.session, self, f)?;
        Ok(self.clone())
    }
}

impl CustomType for IfaceRef {
    fn build(mut builder: TypeBuilder<Self>) {
        builder.with_name("Interface");
        builder.with_get("name", |i: &mut IfaceRef| i.iface.clone());
        builder.with_fn("ospf_p2p", |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
            i.edit_ospf(|o| o.point_to_point = true)
        });
        builder.with_fn(
            "ospf_hello",
            |i: &mut IfaceRef, secs: i64| -> RhaiResult<IfaceRef> {
                let secs = limit(Knob::OspfHello, secs)?;
                i.edit_ospf(|o| o.hello_interval = Some(secs))
            },
        );
        builder.with_fn(
            "ospf_dead",
            |i: &mut IfaceRef, secs: i64| -> RhaiResult<IfaceRef> {
                let secs = limit(Knob::OspfDead, secs)?;
                i.edit_ospf(|o| o.dead_interval = Some(secs))
            },
        );
        builder.with_fn(
            "ospf_cost",
            |i: &mut IfaceRef, cost: i64| -> RhaiResult<IfaceRef> {
                let cost = limit(Knob::OspfCost, cost)?;
                i.edit_ospf(|o| o.cost = Some(cost))
            },
        );
        // The interface in the router's IS-IS process (point-to-point).
        builder.with_fn("isis", |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
 let s = i.session.clone();
        // A dual-stack link routes both families: IS-IS has one topology for the two. An
        // IPv6-only link routes IPv6 alone.
        let (ipv4, ipv6) = edit(&s, &i.router, |ri| Ok((has_ipv4(ri, &i.iface), has_ipv6(ri, &i.iface))))?;
        edit_isis_iface(&s, i, |c| {
            c.ipv6 |= ipv6;
            c.ipv6_only = ipv6 && !ipv4;
        })?;
        i.edit_router(|_| {
            if !ipv4 && !ipv6 {
                return Err(err(format!(
                    "{} of {} has no address for IS-IS to run on: give it its addresses first, router(\"{}\").addresses()",
                    i.iface, i.router, i.router
                )));
            }
            Ok(())
        })
    });
        builder.with_fn(
            "isis_metric",
            |i: &mut IfaceRef, metric: i64| -> RhaiResult<IfaceRef> {
                let metric = limit(Knob::IsisMetric, metric)?;
                i.edit_isis(|c| c.metric = Some(metric))
            },
        );
        builder.with_fn(
            "isis_hello",
            |i: &mut IfaceRef, interval: i64, multiplier: i64| -> RhaiResult<IfaceRef> {
                let interval = limit(Knob::IsisHelloInterval, interval)?;
                let multiplier = limit(Knob::IsisHelloMultiplier, multiplier)?;
                i.edit_isis(|c| c.hello = Some((interval, multiplier)))
            },
        );
        builder.with_fn("ospf_passive", |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
            i.edit_ospf(|o| o.passive = true)
        });
        // MPLS input on this interface: the kernel drops labelled packets arriving elsewhere.
        builder.with_fn("mpls", |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
            let key = format!("net.mpls.conf.{}.input", i.iface);
            i.edit_router(|ri| Ok(ri.sysctls.insert(key, "1".into())))
        });
        builder.with_fn("down", |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
            i.edit_router(|ri| Ok(ri.down_interfaces.insert(i.iface.clone())))
        });
        builder.with_fn("up", |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
            i.edit_router(|ri| Ok(ri.down_interfaces.remove(&i.iface)))
        });
        // The IGP neighbor on the interface: IS-IS's where the interface is in IS-IS, else OSPF's.
        builder.with_fn("bfd", |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
        i.edit_router(|ri| {
            if let Some(isis) = ri.isis.as_mut().and_then(|x| x.interfaces.get_mut(&i.iface)) {
                isis.bfd = true;
            } else if ri.ospf.contains_key(&None) {
                ri.ospf_interfaces.entry(i.iface.clone()).or_default().bfd = true;
            } else {
                return Err(err(format!(
                    "{} of {} is in no IGP for BFD to watch: put it in IS-IS (i.isis()) or run OSPF first",
                    i.iface, i.router
                )));
            }
            profile(ri);
            Ok(())
        })
    });
    }
}
