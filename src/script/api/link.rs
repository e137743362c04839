//! `link(A, B)`: the link between two routers, as a whole: up, down, impaired like a WAN.

use rhai::{CustomType, Engine, TypeBuilder};

use super::edit::*;
use crate::script::common::{err, RhaiResult, Shared};

/// The two ends of a link between two routers.
#[derive(Clone)]
pub struct LinkRef {
    pub session: Shared,
    pub ends: Vec<(String, String)>,
}

impl CustomType for LinkRef {
    fn build(mut builder: TypeBuilder<Self>) {
        builder.with_name("Link");
        builder.with_fn("down", |l: &mut LinkRef| -> RhaiResult<LinkRef> {
            let s = l.session.clone();
            for (router, iface) in &l.ends {
                edit(&s, router, |ri| {
                    Ok(ri.down_interfaces.insert(iface.clone()))
                })?;
            }
            Ok(l.clone())
        });
        builder.with_fn("up", |l: &mut LinkRef| -> RhaiResult<LinkRef> {
            let s = l.session.clone();
            for (router, iface) in &l.ends {
                edit(&s, router, |ri| Ok(ri.down_interfaces.remove(iface)))?;
            }
            Ok(l.clone())
        });
        // Impairment of both directions: each end's egress.
        builder.with_fn(
            "impair",
            |l: &mut LinkRef, how: rhai::Map| -> RhaiResult<LinkRef> {
                let s = l.session.clone();
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
        builder.with_fn(
            "impair",
            |l: &mut LinkRef, router: &str, how: rhai::Map| -> RhaiResult<LinkRef> {
                let s = l.session.clone();
                let imp = impairment(&how)?;
                let (r, iface) = link_end(l, router)?;
                edit(&s, &r, |ri| Ok(ri.impairments.insert(iface.clone(), imp)))?;
                Ok(l.clone())
            },
        );
        builder.with_fn("no_impair", |l: &mut LinkRef| -> RhaiResult<LinkRef> {
            let s = l.session.clone();
            for (router, iface) in &l.ends {
                edit(&s, router, |ri| Ok(ri.impairments.remove(iface)))?;
            }
            Ok(l.clone())
        });
    }
}

pub(crate) fn register_globals(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn("link", move |a: &str, b: &str| -> RhaiResult<LinkRef> {
        if a == b {
            return Err(err(format!(
                "link(\"{a}\", \"{b}\"): a link joins two routers; name the other end"
            )));
        }
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
        Ok(LinkRef {
            session: s.clone(),
            ends,
        })
    });
}

/// The typed impairment of a script's map; the map's values may be strings or numbers.
pub(crate) fn impairment(how: &rhai::Map) -> RhaiResult<crate::intent::impairment::Impairment> {
    let entries: Vec<(String, String)> = how
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    crate::intent::impairment::Impairment::parse(
        entries.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .map_err(err)
}

pub(crate) fn link_end(l: &LinkRef, router: &str) -> RhaiResult<(String, String)> {
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
