//! `:plan`: what applying would send, router by router, without sending it.

use crate::frr::diff::router_change;
use crate::intent::RouterIntent;
use crate::runtime::Configure;
use crate::script::Session;
use crate::ui::Reporter;

/// Routers whose desired intent differs from what is deployed, in lab order.
pub fn pending_routers(sess: &Session) -> Vec<String> {
    let order: Vec<String> = match &sess.deploy.lab {
        Some(lab) => lab.routers.iter().map(|r| r.name.clone()).collect(),
        None => sess.deploy.desired.routers.keys().cloned().collect(),
    };
    order
        .into_iter()
        .filter(|name| {
            sess.deploy.desired.routers.get(name) != sess.deploy.deployed.routers.get(name)
        })
        .collect()
}

/// Print the vtysh and kernel lines each pending router would get; `only` limits it to one.
pub fn show(sess: &Session, only: Option<&str>, color: bool) {
    let report = Reporter::stdout(color, true);
    let mut any = false;
    for name in pending_routers(sess) {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let intent = |i: &crate::intent::Intent| {
            i.routers
                .get(&name)
                .cloned()
                .unwrap_or_else(|| RouterIntent::new(&name))
        };
        let change = router_change(
            &intent(&sess.deploy.deployed),
            &intent(&sess.deploy.desired),
        );
        if change.is_empty() {
            continue;
        }
        any = true;
        report.configure(&Configure {
            router: name,
            apply: Default::default(),
            change,
        });
    }
    if !any {
        let what = only.map_or("the lab".to_string(), |r| r.to_string());
        report.line(&format!(
            "nothing pending: {what} already has everything the intent says"
        ));
    }
}
