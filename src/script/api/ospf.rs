//! `router(R).ospf()` and a VRF's: the OSPF instance (router ID, networks, redistribution,
//! timers).

use rhai::{CustomType, TypeBuilder};

use super::edit::*;
use super::handle::handle;
use crate::script::args::*;
use crate::script::common::{RhaiResult, Shared};

#[derive(Clone)]
pub struct OspfRef {
    pub session: Shared,
    pub router: String,
    pub vrf: Option<String>,
}

handle!(OspfRef, router);

impl OspfRef {
    /// Edit the OSPF instance, then hand the handle back.
    fn edit<T>(&self, f: impl FnOnce(&mut crate::intent::Ospf) -> T) -> RhaiResult<Self> {
        edit_ospf(&self.session, self, f)?;
        Ok(self.clone())
    }
}

impl CustomType for OspfRef {
    fn build(mut builder: TypeBuilder<Self>) {
        builder.with_name("Ospf");
        builder.with_fn(
            "router_id",
            |o: &mut OspfRef, id: &str| -> RhaiResult<OspfRef> {
                let id = parse_ip(id)?;
                o.edit(|ospf| ospf.router_id = Some(id))
            },
        );
        builder.with_fn(
            "network",
            |o: &mut OspfRef, prefix: &str, area: i64| -> RhaiResult<OspfRef> {
                let (p, area) = (parse_prefix(prefix)?, to_u32(area, "area")?);
                o.edit(|ospf| ospf.networks.insert((p, area)))
            },
        );
        builder.with_fn(
            "no_network",
            |o: &mut OspfRef, prefix: &str, area: i64| -> RhaiResult<OspfRef> {
                let (p, area) = (parse_prefix(prefix)?, to_u32(area, "area")?);
                o.edit(|ospf| ospf.networks.remove(&(p, area)))
            },
        );
        builder.with_fn(
            "redistribute",
            |o: &mut OspfRef, proto: &str| -> RhaiResult<OspfRef> {
                check_redistribute(proto)?;
                o.edit(|ospf| ospf.redistribute.insert(proto.to_string()))
            },
        );
        builder.with_fn(
            "spf_throttle",
            |o: &mut OspfRef, d: i64, h: i64, m: i64| -> RhaiResult<OspfRef> {
                let t = (to_u32(d, "delay")?, to_u32(h, "hold")?, to_u32(m, "max")?);
                o.edit(|ospf| ospf.spf_throttle = Some(t))
            },
        );
        builder.with_fn("fast_lsa", |o: &mut OspfRef| -> RhaiResult<OspfRef> {
            o.edit(|ospf| ospf.fast_lsa = true)
        });
    }
}
