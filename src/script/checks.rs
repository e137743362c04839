//! The observing half of the Rhai API: lab lifecycle, steps, and checks against the live lab.
//!
//! In a dry run (plan) every check is printed and counted as planned, never as passed: nothing
//! was observed.

use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, FnPtr, NativeCallContext};

use super::common::{announce, err, settle, RhaiResult, Shared};
use super::pending_check::{parse_ping, truncate, PendingCheck, PingResult, Verdict};
use super::session::Profile;
use super::together;

pub fn register(engine: &mut Engine, shared: &Shared) {
    register_lifecycle(engine, shared);
    register_observations(engine, shared);
    register_waits(engine, shared);
}

fn register_lifecycle(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn("topology", move |path: &str| -> RhaiResult<()> {
        s.borrow_mut().load_topology(path).map_err(err)
    });
    let s = shared.clone();
    engine.register_fn("lab_name", move || -> RhaiResult<String> {
        s.borrow().deploy.lab_name().map_err(err)
    });
    let s = shared.clone();
    engine.register_fn("up", move || -> RhaiResult<()> {
        s.borrow_mut().deploy.up().map_err(err)
    });
    let s = shared.clone();
    engine.register_fn("down", move || -> RhaiResult<()> {
        s.borrow_mut().deploy.down().map_err(err)
    });
    let s = shared.clone();
    engine.register_fn("apply", move || -> RhaiResult<()> {
        s.borrow_mut().deploy.apply().map_err(err)
    });
    let s = shared.clone();
    engine.register_fn("step", move |title: &str| -> RhaiResult<()> {
        s.borrow_mut().step(title).map_err(err)
    });
    let s = shared.clone();
    engine.register_fn("profile", move || -> String {
        s.borrow().opts.profile.as_str().to_string()
    });
    let s = shared.clone();
    engine.register_fn("hello_scale", move || -> i64 {
        let routers = s.borrow().deploy.lab().map_or(0, |lab| lab.routers.len());
        super::session::hello_scale(routers)
    });
    let s = shared.clone();
    engine.register_fn("set_profile", move |p: &str| -> RhaiResult<()> {
        let profile = Profile::parse(p)
            .ok_or_else(|| err(format!("unknown profile `{p}`: expected article or fast")))?;
        s.borrow_mut().opts.profile = profile;
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("dry_run", move || -> bool { s.borrow().dry_run() });
    let s = shared.clone();
    engine.register_fn("explain", move |text: &str| s.borrow().report.prose(text));
    let s = shared.clone();
    engine.register_fn("note", move |text: &str| s.borrow().report.info(text));
    // In a plan, observations are placeholders, so a `fail` reached through them says nothing
    // about the lab: it is printed, and the plan goes on.
    let s = shared.clone();
    engine.register_fn("fail", move |msg: &str| -> RhaiResult<()> {
        let sess = s.borrow();
        if sess.dry_run() {
            sess.report.warn(&format!(
                "fail(\"{msg}\") would be reached if the lab answered like the plan's placeholders"
            ));
            return Ok(());
        }
        Err(err(msg))
    });
    let s = shared.clone();
    engine.register_fn("sleep", move |secs: f64| -> RhaiResult<()> {
        if !s.borrow().dry_run() {
            // NaN, negative or infinite seconds must not panic: they sleep 0 s, or at most a day.
            let secs = if secs.is_finite() {
                secs.clamp(0.0, super::args::MAX_SECONDS)
            } else {
                0.0
            };
            crate::interrupt::sleep(Duration::from_secs_f64(secs)).map_err(err)?;
        }
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("sleep", move |secs: i64| -> RhaiResult<()> {
        if !s.borrow().dry_run() {
            // As the float form: at most a day, so no clock overflows.
            let secs = secs.clamp(0, super::args::MAX_SECONDS as i64) as u64;
            crate::interrupt::sleep(Duration::from_secs(secs)).map_err(err)?;
        }
        Ok(())
    });
}

/// `size`: the ICMP payload, sent with don't-fragment set (`-M do`), so that a link whose MTU
/// is too small drops the packet instead of a router fragmenting it.
fn ping_argv(dst: &str, src: Option<&str>, count: u32, size: Option<u32>) -> Vec<String> {
    let mut argv: Vec<String> = [
        "ping",
        "-n",
        "-c",
        &count.to_string(),
        "-i",
        "0.2",
        "-W",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(src) = src {
        argv.extend(["-I".to_string(), src.to_string()]);
    }
    if let Some(size) = size {
        argv.extend(["-s".into(), size.to_string(), "-M".into(), "do".into()]);
    }
    argv.push(dst.to_string());
    argv
}

fn describe_ping(from: &str, dst: &str, src: Option<&str>) -> String {
    match src {
        Some(src) => format!("{from}: ping -I {src} {dst}"),
        None => format!("{from}: ping {dst}"),
    }
}

fn do_ping(
    s: &Shared,
    from: &str,
    dst: &str,
    src: Option<&str>,
    count: u32,
) -> RhaiResult<PingResult> {
    ping_target(dst)?;
    if let Some(src) = src {
        ping_source(s, from, src)?;
    }
    let out = s
        .borrow_mut()
        .deploy
        .exec(from, &ping_argv(dst, src, count, None))
        .map_err(err)?;
    Ok(parse_ping(&out.stdout))
}

/// What a ping needs before it is sent, in a plan too: valid addresses, a known router and the
/// configuration above it applied.
fn planned_ping(s: &Shared, from: &str, dst: &str, src: Option<&str>) -> RhaiResult<()> {
    ping_target(dst)?;
    if let Some(src) = src {
        ping_source(s, from, src)?;
    }
    s.borrow().deploy.require_router(from).map_err(err)?;
    settle(s)
}

/// Ping takes IPv4 and IPv6 addresses alike (iputils picks the family from the address).
fn ping_target(dst: &str) -> RhaiResult<std::net::IpAddr> {
    dst.parse().map_err(|_| {
        err(format!(
            "invalid address `{dst}` to ping (expected IPv4 like 10.1.1.2 or IPv6 like 2001:db8::2)"
        ))
    })
}

/// A ping's source: an address, or on a PE one of its VRFs, where `ping -I VRF` sends from
/// inside the customer's table (two customers may have the same address).
fn ping_source(s: &Shared, from: &str, src: &str) -> RhaiResult<()> {
    if src.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let is_vrf = s
        .borrow()
        .deploy
        .desired
        .routers
        .get(from)
        .is_some_and(|r| r.vrfs.contains_key(src));
    if is_vrf {
        return Ok(());
    }
    Err(err(format!(
        "ping source `{src}` is neither an address nor a VRF of {from}"
    )))
}

/// Where a check was asked for, when that is the script itself: a stdlib module's positions
/// are in its own text, which the script's error cannot show.
type At = Option<rhai::Position>;

fn at(s: &Shared, ctx: &NativeCallContext) -> At {
    let script = s.borrow().script_source.clone();
    (ctx.call_source() == script.as_deref()).then(|| ctx.call_position())
}

/// Ping until a reply comes back or the check timeout passes (routes may still be converging).
fn expect_ping(s: &Shared, at: At, from: &str, dst: &str, src: Option<&str>) -> RhaiResult<()> {
    ping_check(
        s,
        at,
        (from, dst, src, None),
        Verdict::Reply {
            dst: dst.into(),
            src: src.map(String::from),
        },
        "succeeds",
    )
}

/// One attempt: any reply is a failure (isolation checks must not wait for a route to vanish).
fn expect_no_ping(s: &Shared, at: At, from: &str, dst: &str, src: Option<&str>) -> RhaiResult<()> {
    ping_check(
        s,
        at,
        (from, dst, src, None),
        Verdict::NoReply { dst: dst.into() },
        "fails",
    )
}

/// (from, dst, src, payload size) of a ping check.
type PingOf<'a> = (&'a str, &'a str, Option<&'a str>, Option<u32>);

fn ping_check(
    s: &Shared,
    at: At,
    (from, dst, src, size): PingOf,
    verdict: Verdict,
    outcome: &str,
) -> RhaiResult<()> {
    // The ICMP header (8 bytes) and the IP header: 20 bytes, IPv6's 40.
    let headers = if dst.contains(':') { 48 } else { 28 };
    let sized = size
        .map(|n| format!(" with {} bytes of IP, don't fragment", n + headers))
        .unwrap_or_default();
    let what = format!("{}{sized} {outcome}", describe_ping(from, dst, src));
    planned_ping(s, from, dst, src)?;
    announce(s, &what);
    if s.borrow().dry_run() {
        return Ok(());
    }
    let timeout = s.borrow().opts.check_timeout;
    // Read before the call: a borrow in its arguments would last through it.
    let verbose = s.borrow().report.verbose;
    together::submit(
        s,
        PendingCheck {
            what,
            router: from.into(),
            argv: ping_argv(dst, src, 3, size),
            timeout,
            verdict,
            at,
            verbose,
        },
    )
}

fn register_observations(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn("ping", move |from: &str, dst: &str| -> RhaiResult<bool> {
        planned_ping(&s, from, dst, None)?;
        if s.borrow().dry_run() {
            return Ok(true);
        }
        Ok(do_ping(&s, from, dst, None, 3)?.received > 0)
    });
    let s = shared.clone();
    engine.register_fn(
        "ping",
        move |from: &str, dst: &str, src: &str| -> RhaiResult<bool> {
            if s.borrow().dry_run() {
                return Ok(true);
            }
            Ok(do_ping(&s, from, dst, Some(src), 3)?.received > 0)
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "expect_ping",
        move |ctx: NativeCallContext, from: &str, dst: &str| {
            expect_ping(&s, at(&s, &ctx), from, dst, None)
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "expect_ping",
        move |ctx: NativeCallContext, from: &str, dst: &str, src: &str| {
            expect_ping(&s, at(&s, &ctx), from, dst, Some(src))
        },
    );
    // `#{ size: N }`: an N-byte payload with don't-fragment, to prove the path's MTU.
    let s = shared.clone();
    engine.register_fn(
        "expect_ping",
        move |ctx: NativeCallContext, from: &str, dst: &str, src: &str, opts: rhai::Map| {
            let size = match opts.get("size") {
                Some(v) => Some(
                    v.as_int()
                        .ok()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| (1..=65507).contains(n))
                        .ok_or_else(|| err("expect_ping: `size` is a payload of 1-65507 bytes"))?,
                ),
                None => None,
            };
            if let Some(key) = opts.keys().find(|k| k.as_str() != "size") {
                return Err(err(format!(
                    "expect_ping: unknown option `{key}` (it takes size)"
                )));
            }
            ping_check(
                &s,
                at(&s, &ctx),
                (from, dst, Some(src), size),
                Verdict::Reply {
                    dst: dst.into(),
                    src: Some(src.into()),
                },
                "succeeds",
            )
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "expect_no_ping",
        move |ctx: NativeCallContext, from: &str, dst: &str| {
            expect_no_ping(&s, at(&s, &ctx), from, dst, None)
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "expect_no_ping",
        move |ctx: NativeCallContext, from: &str, dst: &str, src: &str| {
            expect_no_ping(&s, at(&s, &ctx), from, dst, Some(src))
        },
    );
    // Raw command output inside a router (`sh -c`).
    let s = shared.clone();
    engine.register_fn("sh", move |router: &str, cmd: &str| -> RhaiResult<String> {
        let argv = vec!["sh".to_string(), "-c".to_string(), cmd.to_string()];
        let out = s.borrow_mut().deploy.exec(router, &argv).map_err(err)?;
        Ok(format!("{}{}", out.stdout, out.stderr))
    });
    // vtysh text output.
    let s = shared.clone();
    engine.register_fn(
        "vtysh",
        move |router: &str, cmd: &str| -> RhaiResult<String> {
            let out = s.borrow_mut().deploy.vtysh(router, cmd).map_err(err)?;
            Ok(format!("{}{}", out.stdout, out.stderr))
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "show",
        move |router: &str, cmd: &str| -> RhaiResult<Dynamic> {
            let json = show_json(&s, router, cmd)?;
            rhai::serde::to_dynamic(json)
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "expect",
        move |ctx: NativeCallContext, router: &str, cmd: &str, subset: Dynamic| -> RhaiResult<()> {
            let timeout = s.borrow().opts.check_timeout;
            expect_json(&s, at(&s, &ctx), router, cmd, subset, timeout)
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "expect",
        move |ctx: NativeCallContext,
              router: &str,
              cmd: &str,
              subset: Dynamic,
              secs: i64|
              -> RhaiResult<()> {
            expect_json(
                &s,
                at(&s, &ctx),
                router,
                cmd,
                subset,
                Duration::from_secs(secs.max(1) as u64),
            )
        },
    );
}

/// `vtysh -c CMD` parsed as JSON; `{}` in a dry run.
fn show_json(s: &Shared, router: &str, cmd: &str) -> RhaiResult<serde_json::Value> {
    settle(s)?;
    if s.borrow().dry_run() {
        s.borrow().deploy.require_router(router).map_err(err)?;
        return Ok(serde_json::json!({}));
    }
    let out = s.borrow_mut().deploy.vtysh(router, cmd).map_err(err)?;
    crate::frr::json::parse(cmd, &out.stdout).map_err(|e| {
        err(format!(
            "{router}: `{cmd}` did not return JSON ({e}); output was:\n{}",
            truncate(&format!("{}{}", out.stdout, out.stderr), 800)
        ))
    })
}

/// Retry `show` until its JSON contains `subset` (FRR topotests' json_cmp semantics).
fn expect_json(
    s: &Shared,
    at: At,
    router: &str,
    cmd: &str,
    subset: Dynamic,
    timeout: Duration,
) -> RhaiResult<()> {
    let expected: serde_json::Value = rhai::serde::from_dynamic(&subset)?;
    let what = format!("{router}: `{cmd}` contains {}", compact(&expected));
    settle(s)?;
    announce(s, &what);
    s.borrow().deploy.require_router(router).map_err(err)?;
    if s.borrow().dry_run() {
        return Ok(());
    }
    // Read before the call: a borrow in its arguments would last through it.
    let verbose = s.borrow().report.verbose;
    together::submit(
        s,
        PendingCheck {
            what,
            router: router.into(),
            argv: vec!["vtysh".into(), "-c".into(), cmd.into()],
            timeout,
            verdict: Verdict::Json {
                cmd: cmd.into(),
                expected,
            },
            at,
            verbose,
        },
    )
}

/// The expectation on one line, cut with an ellipsis: the full text is in the script.
fn compact(v: &serde_json::Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(140) {
        Some((idx, _)) => format!("{}…", &text[..idx]),
        None => text,
    }
}

fn register_waits(engine: &mut Engine, shared: &Shared) {
    // A tutorial's checkpoint: like wait_until, but a failure explains what the learner should
    // look at instead of only saying that it timed out.
    let s = shared.clone();
    engine.register_fn(
        "checkpoint",
        move |ctx: NativeCallContext, what: &str, hint: &str, f: FnPtr| -> RhaiResult<()> {
            checkpoint(&s, &ctx, what, hint, &f)
        },
    );
    let s = shared.clone();
    engine.register_fn("pause", move || -> RhaiResult<()> {
        let interactive = {
            let sess = s.borrow();
            sess.opts.interactive && !sess.dry_run()
        };
        if !interactive {
            return Ok(());
        }
        eprint!("  -- press Enter to go on, q then Enter to stop -- ");
        let line = crate::interrupt::read_line().map_err(err)?;
        if line.trim() == "q" {
            return Err(err("tutorial stopped by the learner"));
        }
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn(
        "wait_until",
        move |ctx: NativeCallContext, what: &str, f: FnPtr| -> RhaiResult<()> {
            let timeout = s.borrow().opts.check_timeout;
            wait_until(&s, &ctx, what, timeout, &f)
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "wait_until",
        move |ctx: NativeCallContext, what: &str, secs: i64, f: FnPtr| -> RhaiResult<()> {
            wait_until(&s, &ctx, what, Duration::from_secs(secs.max(1) as u64), &f)
        },
    );
}

/// A tutorial's checkpoint (and an exercise's, unattended): polled as `wait_until`, and a
/// failure says what the learner should look at.
pub fn checkpoint(
    s: &Shared,
    ctx: &NativeCallContext,
    what: &str,
    hint: &str,
    f: &FnPtr,
) -> RhaiResult<()> {
    let timeout = s.borrow().opts.check_timeout;
    wait_until(s, ctx, &format!("checkpoint: {what}"), timeout, f)
        .map_err(|e| err(format!("checkpoint `{what}` not reached: {hint}\n({e})")))
}

/// Call `f` until it returns true. In a dry run `f` is not called: it would observe nothing.
fn wait_until(
    s: &Shared,
    ctx: &NativeCallContext,
    what: &str,
    timeout: Duration,
    f: &FnPtr,
) -> RhaiResult<()> {
    settle(s)?;
    announce(s, &format!("wait until {what}"));
    if s.borrow().dry_run() {
        return Ok(());
    }
    let start = Instant::now();
    loop {
        let done: Dynamic = f.call_within_context(ctx, ())?;
        let seconds = start.elapsed().as_secs_f64();
        if done.as_bool().unwrap_or(false) {
            let line = format!("{what} ({seconds:.1} s)");
            s.borrow_mut().check_passed(what, &line, seconds);
            return Ok(());
        }
        if start.elapsed() > timeout {
            let why = format!(
                "check failed: {what} not reached within {:.0} s",
                timeout.as_secs_f64()
            );
            s.borrow_mut().check_failed(what, &why, seconds, None);
            return Err(err(why));
        }
        crate::interrupt::sleep(Duration::from_millis(1000)).map_err(err)?;
    }
}
