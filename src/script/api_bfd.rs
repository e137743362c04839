//! BFD in the Rhai API: `router("PR").bfd(300, 3)` sets the router's timer profile;
//! `r.interface("eth0").bfd()` watches the IGP neighbor on that link, `neighbor.bfd()` a BGP
//! session. Every user names the one profile, created with FRR's timers on first use.

use rhai::Engine;

use super::api::{
    edit, edit_neighbor, err, limit, IfaceRef, NeighborRef, RhaiResult, RouterRef, Shared,
};
use crate::frr::limits::Knob;
use crate::intent::{BfdProfile, RouterIntent};

fn profile(r: &mut RouterIntent) -> &mut BfdProfile {
    r.bfd.get_or_insert_with(BfdProfile::default)
}

pub fn register(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn("bfd", move |r: &mut RouterRef| -> RhaiResult<RouterRef> {
        edit(&s, &r.name, |ri| {
            profile(ri);
            Ok(())
        })?;
        Ok(r.clone())
    });
    let s = shared.clone();
    engine.register_fn(
        "bfd",
        move |r: &mut RouterRef, interval_ms: i64, multiplier: i64| -> RhaiResult<RouterRef> {
            let interval_ms = limit(Knob::BfdInterval, interval_ms)?;
            let multiplier = limit(Knob::BfdMultiplier, multiplier)?;
            edit(&s, &r.name, |ri| {
                *profile(ri) = BfdProfile {
                    interval_ms,
                    multiplier,
                };
                Ok(())
            })?;
            Ok(r.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "no_bfd",
        move |r: &mut RouterRef| -> RhaiResult<RouterRef> {
            edit(&s, &r.name, |ri| {
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
            })?;
            Ok(r.clone())
        },
    );
    // The IGP neighbor on the interface: IS-IS's where the interface is in IS-IS, else OSPF's.
    let s = shared.clone();
    engine.register_fn("bfd", move |i: &mut IfaceRef| -> RhaiResult<IfaceRef> {
        edit(&s, &i.router, |ri| {
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
        })?;
        Ok(i.clone())
    });
    let s = shared.clone();
    engine.register_fn(
        "bfd",
        move |n: &mut NeighborRef| -> RhaiResult<NeighborRef> {
            edit_neighbor(&s, n, |nb| nb.bfd = true)?;
            edit(&s, &n.router, |ri| {
                profile(ri);
                Ok(())
            })?;
            Ok(n.clone())
        },
    );
}
