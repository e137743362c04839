//! `capture(router, iface, filter, || action)`: a packet capture around an action, saved as pcap
//! and parsed so scripts can assert label stacks. `capture([[router, iface], ...], filter, ||
//! action)` captures at several points around one action (the label stack along a path).

use std::net::IpAddr;

use rhai::{Array, Dynamic, Engine, FnPtr, NativeCallContext};

use super::args::parse_any_ip;
use super::common::{err, RhaiResult, Shared};
use crate::check::pcap::{parse_pcap, Capture};
use crate::runtime::CapturePoint;

#[derive(Debug, Clone)]
pub struct CaptureRef {
    pub router: String,
    pub interface: String,
    /// `None` in a dry run: nothing was captured, assertions are only printed.
    pub capture: Option<std::rc::Rc<Capture>>,
    pub file: String,
}

impl CaptureRef {
    fn echo_requests(&self, src: IpAddr, dst: IpAddr) -> Vec<&crate::check::pcap::Packet> {
        self.capture
            .as_ref()
            .map(|c| c.echo_requests(src, dst))
            .unwrap_or_default()
    }
}

pub fn register(engine: &mut Engine, shared: &Shared) {
    engine.register_type_with_name::<CaptureRef>("Capture");
    engine.register_get("file", |c: &mut CaptureRef| c.file.clone());
    let s = shared.clone();
    engine.register_fn(
        "capture",
        move |ctx: NativeCallContext,
              router: &str,
              iface: &str,
              filter: &str,
              f: FnPtr|
              -> RhaiResult<CaptureRef> {
            let point = (router.to_string(), iface.to_string());
            let mut caps = capture(&s, &ctx, &[point], filter, &f)?;
            Ok(caps.remove(0))
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "capture",
        move |ctx: NativeCallContext, points: Array, filter: &str, f: FnPtr| -> RhaiResult<Array> {
            let points = capture_points(points)?;
            let caps = capture(&s, &ctx, &points, filter, &f)?;
            Ok(caps.into_iter().map(Dynamic::from).collect())
        },
    );
    engine.register_fn("packets", |c: &mut CaptureRef| -> RhaiResult<Array> {
        let Some(cap) = &c.capture else {
            return Ok(Array::new());
        };
        cap.packets.iter().map(rhai::serde::to_dynamic).collect()
    });
    engine.register_fn("len", |c: &mut CaptureRef| -> i64 {
        c.capture.as_ref().map_or(0, |cap| cap.packets.len() as i64)
    });
    engine.register_fn("to_string", |c: &mut CaptureRef| -> String { describe(c) });
    // Every echo request from SRC to DST carries exactly DEPTH labels (and there is at least one).
    let s = shared.clone();
    engine.register_fn(
        "expect_labels",
        move |c: &mut CaptureRef, src: &str, dst: &str, depth: i64| -> RhaiResult<CaptureRef> {
            expect_labels(&s, c, src, dst, depth)?;
            Ok(c.clone())
        },
    );
    // Echo requests from SRC to DST crossed here inside SRv6: an IPv6 header to a SID of
    // LOCATOR (the egress PE's), and no MPLS label.
    let s = shared.clone();
    engine.register_fn(
        "expect_srv6",
        move |c: &mut CaptureRef, src: &str, dst: &str, locator: &str| -> RhaiResult<CaptureRef> {
            expect_srv6(&s, c, src, dst, locator)?;
            Ok(c.clone())
        },
    );
    // No echo request from SRC to DST passed here: where a packet must not go (a VPLS's unicast
    // to a learnt MAC, traffic kept off a failed path).
    let s = shared.clone();
    engine.register_fn(
        "expect_none",
        move |c: &mut CaptureRef, src: &str, dst: &str| -> RhaiResult<CaptureRef> {
            expect_none(&s, c, src, dst)?;
            Ok(c.clone())
        },
    );
}

fn describe(c: &CaptureRef) -> String {
    match &c.capture {
        None => format!("capture on {} {} (planned)", c.router, c.interface),
        Some(cap) => {
            let mut out = format!(
                "capture on {} {}: {} packets, {}\n",
                c.router,
                c.interface,
                cap.packets.len(),
                c.file
            );
            for p in &cap.packets {
                out.push_str(&format!("  {p}\n"));
            }
            out
        }
    }
}

/// `[["PE1", "eth0"], ["PR", "eth1"]]` as (router, interface) pairs.
fn capture_points(points: Array) -> RhaiResult<Vec<(String, String)>> {
    if points.is_empty() {
        return Err(err("capture: give at least one [router, interface]"));
    }
    points
        .into_iter()
        .map(|p| {
            let pair: Option<Vec<String>> = p.clone().try_cast::<Array>().and_then(|a| {
                a.into_iter()
                    .map(|x| x.into_immutable_string().ok().map(|s| s.to_string()))
                    .collect()
            });
            match pair.as_deref() {
                Some([router, iface]) => Ok((router.clone(), iface.clone())),
                _ => Err(err(format!(
                    "capture: each point is [router, interface], like [\"PR\", \"eth0\"]; got {p}"
                ))),
            }
        })
        .collect()
}

/// Run `action` with a capture running at each point; the pcaps, in order. The captures stop
/// even when the action fails, or tcpdump would outlive the check.
pub fn around<T>(
    s: &Shared,
    points: &[CapturePoint],
    action: impl FnOnce() -> RhaiResult<T>,
) -> RhaiResult<(T, Vec<Vec<u8>>)> {
    let lab = s.borrow().deploy.lab_name().map_err(err)?;
    let handles = s
        .borrow_mut()
        .deploy
        .backend
        .start_captures(&lab, points)
        .map_err(err)?;
    let outcome = action();
    let pcaps = s.borrow_mut().deploy.backend.stop_captures(&lab, &handles);
    let outcome = outcome?;
    let pcaps = pcaps.into_iter().collect::<anyhow::Result<Vec<_>>>();
    Ok((outcome, pcaps.map_err(err)?))
}

fn capture(
    s: &Shared,
    ctx: &NativeCallContext,
    points: &[(String, String)],
    filter: &str,
    f: &FnPtr,
) -> RhaiResult<Vec<CaptureRef>> {
    for (router, iface) in points {
        s.borrow()
            .deploy
            .require_interface(router, iface)
            .map_err(err)?;
    }
    super::common::settle(s)?;
    let at: Vec<String> = points.iter().map(|(r, i)| format!("{r} {i}")).collect();
    super::common::announce(s, &format!("capture on {} ({filter})", at.join(", ")));
    let points: Vec<CapturePoint> = points
        .iter()
        .map(|(router, iface)| CapturePoint {
            router: router.clone(),
            interface: iface.clone(),
            filter: filter.to_string(),
        })
        .collect();
    let (_, pcaps) = around(s, &points, || f.call_within_context::<Dynamic>(ctx, ()))?;
    let lab = s.borrow().deploy.lab_name().map_err(err)?;
    let dry_run = s.borrow().dry_run();
    points
        .iter()
        .zip(pcaps)
        .map(|(p, bytes)| {
            let (router, iface) = (&p.router, &p.interface);
            if dry_run {
                return Ok(CaptureRef {
                    router: router.clone(),
                    interface: iface.clone(),
                    capture: None,
                    file: String::new(),
                });
            }
            let cap =
                parse_pcap(&bytes).map_err(|e| err(format!("capture on {router} {iface}: {e}")))?;
            let file = save(s, &lab, router, iface, &bytes)?;
            let c = CaptureRef {
                router: router.clone(),
                interface: iface.clone(),
                capture: Some(std::rc::Rc::new(cap)),
                file,
            };
            let sess = s.borrow();
            for line in describe(&c).lines() {
                sess.report.info(line);
            }
            Ok(c)
        })
        .collect()
}

/// Keep the pcap so it can be opened in Wireshark: `<capture_dir>/<lab>-<router>-<iface>-N.pcap`.
fn save(s: &Shared, lab: &str, router: &str, iface: &str, bytes: &[u8]) -> RhaiResult<String> {
    let dir = s.borrow().opts.capture_dir.clone();
    std::fs::create_dir_all(&dir)
        .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
    let mut n = 1;
    let path = loop {
        let p = dir.join(format!("{lab}-{router}-{iface}-{n}.pcap"));
        if !p.exists() {
            break p;
        }
        n += 1;
    };
    std::fs::write(&path, bytes)
        .map_err(|e| err(format!("cannot write {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// SRC and DST as addresses of one family.
fn echo_pair(what: &str, src: &str, dst: &str) -> RhaiResult<(IpAddr, IpAddr)> {
    let (src_ip, dst_ip) = (parse_any_ip(src)?, parse_any_ip(dst)?);
    if src_ip.is_ipv4() != dst_ip.is_ipv4() {
        return Err(err(format!(
            "{what}: {src} and {dst} are of different families"
        )));
    }
    Ok((src_ip, dst_ip))
}

fn expect_none(s: &Shared, c: &CaptureRef, src: &str, dst: &str) -> RhaiResult<()> {
    let (src_ip, dst_ip) = echo_pair("expect_none", src, dst)?;
    let what = format!(
        "{} {}: no echo request {src} > {dst} passes",
        c.router, c.interface
    );
    super::common::announce(s, &what);
    if c.capture.is_none() {
        return Ok(());
    }
    let requests = c.echo_requests(src_ip, dst_ip);
    if !requests.is_empty() {
        let seen: Vec<String> = requests.iter().map(|p| p.to_string()).collect();
        let why = format!(
            "check failed on {}: {what}; {} did:\n  {} (pcap: {})",
            c.router,
            requests.len(),
            seen.join("\n  "),
            c.file
        );
        s.borrow_mut()
            .check_failed(&what, &why, 0.0, Some(&c.router));
        return Err(err(why));
    }
    let line = format!(
        "{what} ({} packets captured there)",
        c.capture.as_ref().map_or(0, |cap| cap.packets.len())
    );
    s.borrow_mut().check_passed(&what, &line, 0.0);
    Ok(())
}

fn expect_srv6(s: &Shared, c: &CaptureRef, src: &str, dst: &str, locator: &str) -> RhaiResult<()> {
    let pair = echo_pair("expect_srv6", src, dst)?;
    let locator = match crate::script::args::parse_any_prefix(locator)? {
        ipnet::IpNet::V6(l) => l,
        ipnet::IpNet::V4(_) => {
            return Err(err(format!(
                "expect_srv6: locator `{locator}` is IPv4; an SRv6 locator is an IPv6 prefix"
            )))
        }
    };
    let what = format!(
        "{} {}: echo requests {src} > {dst} cross in SRv6 to a SID of {locator}, unlabelled",
        c.router, c.interface
    );
    each_echo_request(
        s,
        c,
        &what,
        pair,
        " (the capture filter for SRv6 is `ip6`)",
        |p| p.labels.is_empty() && p.srv6.as_ref().is_some_and(|o| locator.contains(&o.dst)),
        |p| {
            let sid = p.srv6.as_ref().map(|o| o.dst.to_string());
            format!("SID {}", sid.unwrap_or_default())
        },
    )
}

fn expect_labels(s: &Shared, c: &CaptureRef, src: &str, dst: &str, depth: i64) -> RhaiResult<()> {
    let pair = echo_pair("expect_labels", src, dst)?;
    let what = format!(
        "{} {}: echo requests {src} > {dst} carry {depth} MPLS label(s)",
        c.router, c.interface
    );
    each_echo_request(
        s,
        c,
        &what,
        pair,
        "",
        |p| p.label_depth() as i64 == depth,
        |p| {
            let stack: Vec<String> = p.labels.iter().map(|l| l.label.to_string()).collect();
            format!("labels [{}]", stack.join("/"))
        },
    )
}

/// The check WHAT on the echo requests from `src` to `dst` captured here: at least one, and
/// every one `ok`; the line of a pass ends with the first one's `summary`. `hint` follows "no
/// echo request was captured".
fn each_echo_request(
    s: &Shared,
    c: &CaptureRef,
    what: &str,
    (src, dst): (IpAddr, IpAddr),
    hint: &str,
    ok: impl Fn(&crate::check::pcap::Packet) -> bool,
    summary: impl Fn(&crate::check::pcap::Packet) -> String,
) -> RhaiResult<()> {
    super::common::announce(s, what);
    if c.capture.is_none() {
        return Ok(());
    }
    let requests = c.echo_requests(src, dst);
    let wrong: Vec<String> = requests
        .iter()
        .filter(|p| !ok(p))
        .map(|p| p.to_string())
        .collect();
    if requests.is_empty() || !wrong.is_empty() {
        let seen = if requests.is_empty() {
            format!("no echo request was captured{hint}")
        } else {
            format!("these differ:\n  {}", wrong.join("\n  "))
        };
        let why = format!(
            "check failed on {}: {what}; {seen} (pcap: {})",
            c.router, c.file
        );
        s.borrow_mut()
            .check_failed(what, &why, 0.0, Some(&c.router));
        return Err(err(why));
    }
    let line = format!(
        "{what} ({} packets, {})",
        requests.len(),
        summary(requests[0])
    );
    s.borrow_mut().check_passed(what, &line, 0.0);
    Ok(())
}
