//! Read-only questions about the topology (`peer_router`, `subnet_of`, ...), for stdlib
//! modules that derive configuration from it.

use rhai::Engine;

use crate::script::api_error::ApiError;
use crate::script::args::*;
use crate::script::common::{err, RhaiResult, Shared};

/// The segment behind a router's interface and the other ends on it.
pub(crate) fn far_end(
    s: &Shared,
    router: &str,
    iface: &str,
) -> RhaiResult<(crate::topology::Segment, Option<crate::topology::Endpoint>)> {
    let sess = s.borrow();
    let lab = sess.deploy.lab().map_err(err)?;
    let r = lab
        .router(router)
        .ok_or_else(|| ApiError::UnknownRouter(router.into()))?;
    let i = r
        .interface(iface)
        .ok_or_else(|| ApiError::UnknownInterface {
            router: router.into(),
            iface: iface.into(),
        })?;
    let seg = lab
        .segment(&i.segment)
        .cloned()
        .expect("validated topology");
    let peer = seg.endpoints.iter().find(|e| e.router != router).cloned();
    Ok((seg, peer))
}

pub(crate) fn register_globals(engine: &mut Engine, shared: &Shared) {
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
                .and_then(|e| e.address)
                .map(|a| a.to_string())
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
        "vrf_of",
        move |router: &str, iface: &str| -> RhaiResult<String> {
            far_end(&s, router, iface)?;
            let sess = s.borrow();
            let lab = sess.deploy.lab().map_err(err)?;
            Ok(lab
                .router(router)
                .and_then(|r| r.interface(iface))
                .and_then(|i| i.vrf.clone())
                .unwrap_or_default())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "inter_as",
        move |router: &str, iface: &str| -> RhaiResult<bool> {
            far_end(&s, router, iface)?;
            let sess = s.borrow();
            Ok(sess.deploy.lab().map_err(err)?.is_inter_as(router, iface))
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "subnet_of",
        move |router: &str, iface: &str| -> RhaiResult<String> {
            let segment = far_end(&s, router, iface)?.0;
            Ok(match (segment.subnet, segment.subnet6) {
                (Some(v4), _) => v4.to_string(),
                (None, Some(v6)) => v6.to_string(),
                (None, None) => String::new(),
            })
        },
    );
    engine.register_fn("network_of", |prefix: &str| -> RhaiResult<String> {
        Ok(parse_any_prefix(prefix)?.trunc().to_string())
    });
    let s = shared.clone();
    engine.register_fn(
        "peer_address6",
        move |router: &str, iface: &str| -> RhaiResult<String> {
            Ok(far_end(&s, router, iface)?
                .1
                .and_then(|e| e.address6)
                .map(|a| a.to_string())
                .unwrap_or_default())
        },
    );
}
