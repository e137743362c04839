//! `trace(from, dst)`: the label path hop by hop from the live FIB/LFIB, confirmed on the wire.

use rhai::{Array, Engine};

use super::args::parse_any_ip;
use super::common::{err, RhaiResult, Shared};
use crate::check::trace::{trace, Observer};
use crate::runtime::CapturePoint;

/// Reads `show ... json` through the session (so pending configuration is applied first).
struct SessionObserver<'a>(&'a Shared);

impl Observer for SessionObserver<'_> {
    fn show(&mut self, router: &str, command: &str) -> anyhow::Result<serde_json::Value> {
        let out = self.0.borrow_mut().deploy.vtysh(router, command)?;
        crate::frr::json::parse(command, &out.stdout).map_err(|e| {
            anyhow::anyhow!(
                "{router}: `{command}` did not return JSON ({e}): {}",
                out.stdout.trim()
            )
        })
    }

    fn kernel_labels(
        &mut self,
        router: &str,
    ) -> anyhow::Result<Option<std::collections::BTreeSet<u32>>> {
        let argv = ["ip", "-M", "route", "show"].map(String::from);
        let out = self.0.borrow_mut().deploy.exec(router, &argv)?;
        Ok(out
            .success()
            .then(|| crate::check::trace::kernel_labels(&out.stdout)))
    }
}

/// Why a ping from `from` to `dst` got no reply, as far as the FIBs and LFIBs (FRR's and the
/// kernels') tell, both ways: the hop where the way there breaks, else the hop where the way
/// back (from `dst`'s router to `src`, or to `from`'s loopback) breaks, else that both are
/// whole and something else drops the packets.
pub fn explain_no_reply(s: &Shared, from: &str, dst: &str, src: Option<&str>) -> String {
    let Ok(dst_ip) = dst.parse::<std::net::IpAddr>() else {
        return String::new();
    };
    let (lab, intent) = {
        let sess = s.borrow();
        match sess.deploy.lab() {
            Ok(lab) => (lab.clone(), sess.deploy.deployed.clone()),
            Err(_) => return String::new(),
        }
    };
    let there = match trace(&lab, &intent, &mut SessionObserver(s), from, dst_ip) {
        Err(e) => return format!("\nwhere the path breaks (trace {from} -> {dst}): {e:#}"),
        Ok(hops) => hops,
    };
    let shown = |hops: &[crate::check::trace::Hop]| {
        hops.iter()
            .map(|h| format!("  {h}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut out = format!(
        "\nthe way there is whole by the FIBs and LFIBs (trace {from} -> {dst}):\n{}",
        shown(&there)
    );
    let back_to: Option<std::net::IpAddr> = match src {
        Some(src) => src.parse().ok(),
        None => lab.router(from).and_then(|r| match dst_ip {
            std::net::IpAddr::V4(_) => r.loopback.map(|l| l.addr().into()),
            std::net::IpAddr::V6(_) => r.loopback6.map(|l| l.addr().into()),
        }),
    };
    let replier = crate::check::trace::owner(&lab, dst_ip).map(str::to_string);
    match back_to.zip(replier) {
        None => {
            out.push_str("\nso look at the reply's way back, or at what drops packets on the way")
        }
        Some((back_to, replier)) => {
            match trace(&lab, &intent, &mut SessionObserver(s), &replier, back_to) {
                Err(e) => out.push_str(&format!(
                    "\nwhere the way back breaks (trace {replier} -> {back_to}): {e:#}"
                )),
                Ok(hops) => out.push_str(&format!(
                    "\nand so is the way back (trace {replier} -> {back_to}):\n{}\n\
                     so look at what drops packets on the way (a filter, an MTU, a neighbor entry)",
                    shown(&hops)
                )),
            }
        }
    }
    out
}

pub fn register(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn("trace", move |from: &str, dst: &str| -> RhaiResult<Array> {
        let dst_ip = parse_any_ip(dst)?;
        super::common::settle(&s)?;
        super::common::announce(
            &s,
            &format!("trace {from} -> {dst}: label operations hop by hop"),
        );
        if s.borrow().dry_run() {
            s.borrow().deploy.require_router(from).map_err(err)?;
            return Ok(Array::new());
        }
        let (lab, intent) = {
            let sess = s.borrow();
            (
                sess.deploy.lab().map_err(err)?.clone(),
                sess.deploy.deployed.clone(),
            )
        };
        let hops = trace(&lab, &intent, &mut SessionObserver(&s), from, dst_ip).map_err(err)?;
        {
            s.borrow_mut().value_shown = true;
            let sess = s.borrow();
            sess.report.info(&format!("trace {from} -> {dst}:"));
            for h in &hops {
                sess.report.info(&format!("  {h}"));
            }
        }
        confirm_on_the_wire(&s, from, dst, &hops)?;
        hops.iter().map(rhai::serde::to_dynamic).collect()
    });
}

/// Capture where the first labels are pushed and check the echo requests carry that stack.
fn confirm_on_the_wire(
    s: &Shared,
    from: &str,
    dst: &str,
    hops: &[crate::check::trace::Hop],
) -> RhaiResult<()> {
    let Some(push) = hops.iter().find(|h| h.operation == "push") else {
        return Ok(());
    };
    let Some(iface) = push.interface.clone() else {
        return Ok(());
    };
    let src = {
        let sess = s.borrow();
        let lab = sess.deploy.lab().map_err(err)?;
        let r = lab.router(from);
        if dst.contains(':') {
            r.and_then(|r| r.loopback6).map(|l| l.addr().to_string())
        } else {
            r.and_then(|r| r.loopback).map(|l| l.addr().to_string())
        }
    };
    let mut argv = vec![
        "ping".to_string(),
        "-n".into(),
        "-c".into(),
        "2".into(),
        "-W".into(),
        "1".into(),
    ];
    if let Some(src) = &src {
        argv.extend(["-I".to_string(), src.clone()]);
    }
    argv.push(dst.to_string());
    let point = CapturePoint {
        router: push.router.clone(),
        interface: iface.clone(),
        filter: "mpls".into(),
    };
    let (_, pcaps) = super::capture_fn::around(s, &[point], || {
        s.borrow_mut().deploy.exec(from, &argv).map_err(err)
    })?;
    let bytes = &pcaps[0];
    let cap =
        crate::check::pcap::parse_pcap(bytes).map_err(|e| err(format!("trace capture: {e}")))?;
    let seen: Vec<Vec<u32>> = cap
        .packets
        .iter()
        .filter(|p| p.is_icmp_echo_request())
        .map(|p| p.labels.iter().map(|l| l.label).collect())
        .collect();
    let sess = s.borrow();
    if seen.contains(&push.stack) {
        sess.report.pass(&format!(
            "on the wire at {} {iface}: echo requests carry labels {:?}, as the LFIB says",
            push.router, push.stack
        ));
        Ok(())
    } else {
        Err(err(format!(
            "trace: {} pushes {:?} by its FIB, but the echo requests captured on {iface} carried {seen:?}",
            push.router, push.stack
        )))
    }
}
