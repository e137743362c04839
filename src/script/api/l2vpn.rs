//! `router(R).l2vpn(NAME, KIND)`: a layer-2 VPN instance on a PE, its attachment circuits
//! (`ac`) and pseudowires (`pw`). What ldpd would take but could not work is refused here: a
//! circuit the topology does not mark for this L2VPN, an interface in two instances (ldpd
//! prints `% Interface is already in use` and exits 0), a VPWS with a second circuit or
//! pseudowire, a pseudowire without LDP to signal it.

use std::net::Ipv4Addr;

use rhai::{CustomType, TypeBuilder};

use super::edit::edit;
use super::handle::{handle, Handle};
use crate::intent::l2vpn::{free_bridge, free_pw_interface, L2vpn, L2vpnKind, Pseudowire};
use crate::script::api_error::ApiError;
use crate::script::common::{err, RhaiResult, Shared};

#[derive(Clone)]
pub struct L2vpnRef {
    pub session: Shared,
    pub router: String,
    pub name: String,
}

handle!(L2vpnRef, router);

/// `router(R).l2vpn(NAME, KIND)`: the instance, made on first use.
pub(crate) fn l2vpn(s: &Shared, router: &str, name: &str, kind: &str) -> RhaiResult<L2vpnRef> {
    if let Some((message, help)) = crate::topology::names::l2vpn_name_problem(name) {
        return Err(err(format!("{message}\nhelp: {help}")));
    }
    let kind = L2vpnKind::parse(kind).ok_or_else(|| {
        err(format!(
            "unknown L2VPN kind `{kind}`: write \"vpws\" (one circuit, one pseudowire) or \"vpls\" (a bridge)"
        ))
    })?;
    {
        let sess = s.borrow();
        sess.deploy.require_router(router).map_err(err)?;
        let lab = sess.deploy.lab().map_err(err)?;
        let role = lab.router(router).map(|r| r.role);
        if role != Some(crate::topology::Role::Pe) {
            return Err(err(format!(
                "{router} is no PE: only a PE attaches customers to a layer-2 VPN"
            )));
        }
    }
    edit(s, router, |r| {
        let bridge = (kind == L2vpnKind::Vpls && !r.l2vpns.contains_key(name))
            .then(|| free_bridge(&r.l2vpns));
        let l = r.l2vpns.entry(name.to_string()).or_insert_with(|| L2vpn {
            kind,
            bridge,
            ..Default::default()
        });
        if l.kind != kind {
            return Err(err(format!(
                "L2VPN {name} on {router} is a {}, not a {}",
                l.kind.as_str(),
                kind.as_str()
            )));
        }
        Ok(())
    })?;
    Ok(L2vpnRef {
        session: s.clone(),
        router: router.to_string(),
        name: name.to_string(),
    })
}

/// The instance a handle names, unless a script removed it since (`no_l2vpn`).
fn instance<'a>(
    l2vpns: &'a mut std::collections::BTreeMap<String, L2vpn>,
    name: &str,
    router: &str,
) -> RhaiResult<&'a mut L2vpn> {
    l2vpns.get_mut(name).ok_or_else(|| {
        ApiError::Removed {
            what: format!("L2VPN {name}"),
            router: router.to_string(),
        }
        .into()
    })
}

/// The circuit is the router's end of a segment the topology marks `l2vpn NAME`, for this
/// instance.
fn check_circuit(h: &L2vpnRef, iface: &str) -> RhaiResult<()> {
    let sess = h.session.borrow();
    sess.deploy
        .require_interface(&h.router, iface)
        .map_err(err)?;
    let lab = sess.deploy.lab().map_err(err)?;
    let marked = lab
        .router(&h.router)
        .and_then(|r| r.interface(iface))
        .and_then(|i| i.l2vpn.as_deref());
    match marked {
        Some(name) if name == h.name => Ok(()),
        Some(other) => Err(err(format!(
            "the topology puts {iface} of {} in L2VPN {other}, not {}",
            h.router, h.name
        ))),
        None => Err(err(format!(
            "{iface} of {} is no attachment circuit: the topology gives it an address\nhelp: write `{}:{iface} l2vpn {}` in place of its address in the topology",
            h.router, h.router, h.name
        ))),
    }
}

impl CustomType for L2vpnRef {
    fn build(mut builder: TypeBuilder<Self>) {
        builder.with_name("L2vpn");
        builder.with_get("name", |l: &mut L2vpnRef| l.name.clone());
        builder.with_fn("ac", |l: &mut L2vpnRef, iface: &str| -> RhaiResult<L2vpnRef> {
            check_circuit(l, iface)?;
            let name = l.name.clone();
            l.edit_router(|r| {
                if let Some((other, _)) = r
                    .l2vpns
                    .iter()
                    .find(|(n, i)| **n != name && i.members.contains(iface))
                {
                    return Err(err(format!(
                        "{iface} of {} is already an attachment circuit of L2VPN {other}: ldpd takes an interface in one instance",
                        r.name
                    )));
                }
                let router = r.name.clone();
                let l = instance(&mut r.l2vpns, &name, &router)?;
                if l.kind == L2vpnKind::Vpws && !l.members.is_empty() && !l.members.contains(iface) {
                    return Err(err(format!(
                        "VPWS {name} on {} already carries {}: a VPWS has one attachment circuit (make it a \"vpls\" for more)",
                        router,
                        l.members.iter().next().expect("not empty")
                    )));
                }
                l.members.insert(iface.to_string());
                Ok(())
            })
        });
        builder.with_fn(
            "pw",
            |l: &mut L2vpnRef, peer: &str, pw_id: i64| -> RhaiResult<L2vpnRef> {
                let peer: Ipv4Addr = peer.parse().map_err(|_| ApiError::Address {
                    family: "IPv4",
                    text: peer.into(),
                })?;
                let pw_id = u32::try_from(pw_id).ok().filter(|id| *id >= 1).ok_or(
                    ApiError::OutOfRange {
                        what: "PW id (1-4294967295)".into(),
                        value: pw_id,
                    },
                )?;
                let own = {
                    let sess = l.session.borrow();
                    let lab = sess.deploy.lab().map_err(err)?;
                    lab.router(&l.router).and_then(|r| r.loopback)
                };
                if own.is_some_and(|lo| lo.addr() == peer) {
                    return Err(err(format!(
                        "{peer} is {}'s own loopback: a pseudowire goes to another PE",
                        l.router
                    )));
                }
                let name = l.name.clone();
                l.edit_router(|r| {
                    if r.ldp.is_none() {
                        return Err(err(format!(
                            "{} runs no LDP to signal the pseudowire: configure LDP first (ldp::core(\"{}\"))",
                            r.name, r.name
                        )));
                    }
                    let taken = r
                        .l2vpns
                        .iter()
                        .find(|(n, i)| **n != name && i.pseudowire(peer, pw_id).is_some());
                    if let Some((other, _)) = taken {
                        return Err(err(format!(
                            "the pseudowire to {peer} with PW id {pw_id} is already L2VPN {other}'s: a PW id names one pseudowire between two PEs"
                        )));
                    }
                    let ifname = free_pw_interface(&r.l2vpns);
                    let router = r.name.clone();
                    let l = instance(&mut r.l2vpns, &name, &router)?;
                    if l.pseudowire(peer, pw_id).is_some() {
                        return Ok(());
                    }
                    if l.kind == L2vpnKind::Vpws && !l.pseudowires.is_empty() {
                        return Err(err(format!(
                            "VPWS {name} on {router} already has a pseudowire: a VPWS has one (make it a \"vpls\" for more)"
                        )));
                    }
                    l.pseudowires.insert(ifname, Pseudowire { peer, pw_id });
                    Ok(())
                })
            },
        );
    }
}
