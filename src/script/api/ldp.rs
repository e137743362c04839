//! `router(R).ldp()`: LDP (router ID, transport address, interfaces, hello timers, IPv6).

use rhai::{CustomType, TypeBuilder};

use super::edit::*;
use super::handle::{handle, Handle};
use crate::frr::limits::Knob;
use crate::script::api_error::ApiError;
use crate::script::args::*;
use crate::script::common::{RhaiResult, Shared};

#[derive(Clone)]
pub struct LdpRef {
    pub session: Shared,
    pub router: String,
}

handle!(LdpRef, router);

impl LdpRef {
    /// Edit the router's LDP (created on first use), then hand the handle back.
    fn edit(&self, f: &mut dyn FnMut(&mut crate::intent::Ldp)) -> RhaiResult<Self> {
        edit_ldp(&self.session, self, f)?;
        Ok(self.clone())
    }
}

impl CustomType for LdpRef {
    fn build(mut builder: TypeBuilder<Self>) {
        builder.with_name("Ldp");
        builder.with_fn(
            "router_id",
            |l: &mut LdpRef, id: &str| -> RhaiResult<LdpRef> {
                let id = parse_ip(id)?;
                l.edit(&mut |ldp| ldp.router_id = Some(id))
            },
        );
        builder.with_fn(
            "transport",
            |l: &mut LdpRef, addr: &str| -> RhaiResult<LdpRef> {
                let addr = parse_ip(addr)?;
                l.edit(&mut |ldp| ldp.transport_address = Some(addr))
            },
        );
        builder.with_fn(
            "interface",
            |l: &mut LdpRef, iface: &str| -> RhaiResult<LdpRef> {
                let s = l.session.clone();
                check_iface(&s, &l.router, iface)?;
                l.edit(&mut |ldp| {
                    ldp.interfaces.insert(iface.to_string());
                })
            },
        );
        builder.with_fn(
            "no_interface",
            |l: &mut LdpRef, iface: &str| -> RhaiResult<LdpRef> {
                l.edit(&mut |ldp| {
                    ldp.interfaces.remove(iface);
                })
            },
        );
        builder.with_fn(
            "hello",
            |l: &mut LdpRef, interval: i64, holdtime: i64| -> RhaiResult<LdpRef> {
                let (i, h) = (
                    limit(Knob::LdpHelloInterval, interval)?,
                    limit(Knob::LdpHelloHoldtime, holdtime)?,
                );
                l.edit(&mut |ldp| {
                    ldp.hello_interval = Some(i);
                    ldp.hello_holdtime = Some(h);
                })
            },
        );
        builder.with_fn(
            "transport6",
            |l: &mut LdpRef, addr: &str| -> RhaiResult<LdpRef> {
                let addr: std::net::Ipv6Addr = addr.parse().map_err(|_| ApiError::Address {
                    family: "IPv6",
                    text: addr.into(),
                })?;
                l.edit_router(|ri| {
                    ri.ldp
                        .get_or_insert_with(Default::default)
                        .transport_address6 = Some(addr);
                    Ok(())
                })
            },
        );
    }
}
