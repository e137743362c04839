//! `failover(from, dst, src, change)`: a steady ping stream from a router across a change, and
//! what it lost. The stream runs inside the router (`ping -D`, timestamps on the engine host's
//! clock, which the `date` taken before the change shares), so the figures do not depend on
//! how slowly the engine answers mplsrepl.
//!
//! Also `freeze(router)` / `thaw(router)`: SIGSTOP and SIGCONT to the router's FRR daemons, the
//! failure where forwarding goes on with stale state and only the neighbors' timers notice.

use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, FnPtr, Map, NativeCallContext};

use super::args::{parse_any_ip, seconds};
use super::common::{announce, settle};
use super::common::{err, RhaiResult, Shared};
use crate::check::probe::{self, Outcome};
use crate::shell_word::shell_word;

/// Where the stream writes, inside the router.
const OUT: &str = "/tmp/mplsrepl-probe.out";
/// The FRR daemons `freeze` stops; those a router does not run are not found, which is fine.
const DAEMONS: &str = "mgmtd zebra staticd bgpd ospfd ldpd isisd bfdd";

struct Probe {
    /// Seconds to watch after the change before the stream may end.
    watch: f64,
    timeout: Duration,
    interval_ms: u32,
}

fn options(s: &Shared, map: &Map) -> RhaiResult<Probe> {
    let number = |key: &str| -> RhaiResult<Option<f64>> {
        match map.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_float()
                .ok()
                .or_else(|| v.as_int().ok().map(|i| i as f64))
                .filter(|x| *x > 0.0)
                .map(Some)
                .ok_or_else(|| err(format!("failover: `{key}` must be a positive number"))),
        }
    };
    for key in map.keys() {
        if !["watch", "timeout", "interval_ms"].contains(&key.as_str()) {
            return Err(err(format!(
                "failover: unknown option `{key}` (it takes watch, timeout, interval_ms)"
            )));
        }
    }
    let watch = number("watch")?.map_or(Ok(3.0), |w| {
        seconds("failover: `watch`", w).map(|d| d.as_secs_f64())
    })?;
    let timeout = match number("timeout")? {
        Some(t) => seconds("failover: `timeout`", t)?,
        None => s.borrow().opts.check_timeout,
    };
    let interval_ms = match number("interval_ms")? {
        Some(ms) if ms <= 60_000.0 => ms.max(1.0) as u32,
        Some(ms) => {
            return Err(err(format!(
                "failover: `interval_ms` {ms} is more than a minute between probes"
            )))
        }
        None => 10,
    };
    Ok(Probe {
        watch,
        timeout,
        interval_ms,
    })
}

fn sh(s: &Shared, router: &str, script: &str) -> RhaiResult<String> {
    let argv = vec!["sh".to_string(), "-c".to_string(), script.to_string()];
    let out = s.borrow_mut().deploy.exec(router, &argv).map_err(err)?;
    if out.exit_code != 0 {
        return Err(err(format!(
            "{router}: `{script}` failed: {}{}",
            out.stdout, out.stderr
        )));
    }
    Ok(out.stdout)
}

fn now_on(s: &Shared, router: &str) -> RhaiResult<f64> {
    let text = sh(s, router, "date +%s.%N")?;
    text.trim()
        .parse()
        .map_err(|_| err(format!("{router}: `date` printed {text:?}")))
}

fn to_map(o: &Outcome) -> Map {
    let mut m = Map::new();
    m.insert("sent".into(), Dynamic::from(o.sent as i64));
    m.insert("received".into(), Dynamic::from(o.received as i64));
    m.insert("lost".into(), Dynamic::from(o.lost as i64));
    m.insert("outage_ms".into(), Dynamic::from(o.outage_ms));
    m.insert("restore_ms".into(), Dynamic::from(o.restore_ms));
    m
}

#[allow(clippy::too_many_arguments)]
fn failover(
    s: &Shared,
    ctx: &NativeCallContext,
    from: &str,
    dst: &str,
    src: &str,
    p: Probe,
    change: &FnPtr,
) -> RhaiResult<Map> {
    // Both go into the router's shell: addresses, checked here, and quoted there.
    let dst = parse_any_ip(dst)?.to_string();
    let src = match src {
        "" => None,
        src => Some(parse_any_ip(src)?.to_string()),
    };
    let what = format!("failover probe {from} -> {dst}: replies come back after the change");
    settle(s)?;
    announce(s, &what);
    s.borrow().deploy.require_router(from).map_err(err)?;
    if s.borrow().dry_run() {
        let _ = change.call_within_context::<Dynamic>(ctx, ())?;
        settle(s)?;
        return Ok(to_map(&probe::outcome(0, &[], 0.0)));
    }
    let source = src.map_or(String::new(), |src| format!("-I {} ", shell_word(&src)));
    let target = shell_word(&dst);
    // Nothing is changed unless the path works before.
    let before = sh(
        s,
        from,
        &format!("ping -n -c 3 -i 0.2 -W 1 {source}{target} >/dev/null && echo ok || true"),
    )?;
    if before.trim() != "ok" {
        let why = format!(
            "failover probe: {from} gets no reply from {dst} before the change, so nothing was changed"
        );
        s.borrow_mut().check_failed(&what, &why, 0.0, Some(from));
        return Err(err(why));
    }
    let interval = f64::from(p.interval_ms) / 1000.0;
    // A count, not a deadline: with `-w`, iputils ping ends at the first ICMP error (a
    // router saying it has no route, which is what a failover looks like).
    let count = (p.timeout.as_secs_f64() + p.watch + 10.0) / interval;
    let count = count as u64;
    let pid = sh(
        s,
        from,
        &format!(
            "rm -f {OUT}; setsid ping -n -D -i {interval} -W 1 -c {count} {source}{target} >{OUT} 2>&1 </dev/null & echo $!"
        ),
    )?;
    let pid = pid.trim().to_string();
    let stop = |s: &Shared| {
        sh(
            s,
            from,
            &format!("kill -INT {pid} 2>/dev/null; sleep 0.3; cat {OUT}; rm -f {OUT}"),
        )
    };
    // The stream runs before the change: a few replies in.
    let started = Instant::now();
    loop {
        let text = sh(s, from, &format!("cat {OUT}"))?;
        if probe::replies(&text).len() >= 10 {
            break;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = stop(s);
            return Err(err(format!(
                "failover probe: the stream from {from} to {dst} did not start:\n{text}"
            )));
        }
        crate::interrupt::sleep(Duration::from_millis(200)).map_err(err)?;
    }
    let changed_at = now_on(s, from)?;
    let made = change
        .call_within_context::<Dynamic>(ctx, ())
        .and_then(|_| settle(s));
    if let Err(e) = made {
        let _ = stop(s);
        return Err(e);
    }
    // Watch at least `watch` seconds, then until the replies flow again (the last second
    // of the stream whole), or the timeout.
    let watching = Instant::now();
    let restored = loop {
        crate::interrupt::sleep(Duration::from_millis(500)).map_err(err)?;
        let text = sh(s, from, &format!("cat {OUT}"))?;
        let replies = probe::replies(&text);
        let now = now_on(s, from)?;
        let flowing = replies.last().is_some_and(|last| {
            let recent: Vec<_> = replies
                .iter()
                .filter(|r| r.at > now - 1.0 && r.at > changed_at)
                .collect();
            now - last.at < 0.5
                && recent.len() >= 2
                && recent.last().unwrap().seq - recent[0].seq + 1 == recent.len() as u64
        });
        let watched = watching.elapsed().as_secs_f64() >= p.watch;
        if watched && flowing {
            break true;
        }
        if watching.elapsed() > p.timeout {
            break false;
        }
    };
    let text = stop(s)?;
    let sent = probe::transmitted(&text).unwrap_or(0);
    let outcome = probe::outcome(sent, &probe::replies(&text), changed_at);
    let seconds = watching.elapsed().as_secs_f64();
    let line = format!(
        "failover {from} -> {dst}: {} of {} probes lost ({} ms apart), outage {:.0} ms, replies back {:.0} ms after the change",
        outcome.lost, outcome.sent, p.interval_ms, outcome.outage_ms, outcome.restore_ms
    );
    if !restored {
        let why = format!(
            "check failed: {what} not reached within {:.0} s ({line})",
            p.timeout.as_secs_f64()
        );
        s.borrow_mut()
            .check_failed(&what, &why, seconds, Some(from));
        return Err(err(why));
    }
    s.borrow_mut().check_passed(&what, &line, seconds);
    Ok(to_map(&outcome))
}

fn signal_daemons(s: &Shared, router: &str, signal: &str) -> RhaiResult<()> {
    settle(s)?;
    announce(s, &format!("{router}: SIG{signal} to its FRR daemons"));
    if s.borrow().dry_run() {
        return s.borrow().deploy.require_router(router).map_err(err);
    }
    sh(
        s,
        router,
        &format!("for d in {DAEMONS}; do p=$(pidof $d) && kill -{signal} $p; done; true"),
    )?;
    Ok(())
}

pub fn register(engine: &mut Engine, shared: &Shared) {
    let s = shared.clone();
    engine.register_fn(
        "failover",
        move |ctx: NativeCallContext, from: &str, dst: &str, src: &str, change: FnPtr| {
            let p = options(&s, &Map::new())?;
            failover(&s, &ctx, from, dst, src, p, &change)
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "failover",
        move |ctx: NativeCallContext,
              from: &str,
              dst: &str,
              src: &str,
              opts: Map,
              change: FnPtr| {
            let p = options(&s, &opts)?;
            failover(&s, &ctx, from, dst, src, p, &change)
        },
    );
    let s = shared.clone();
    engine.register_fn("freeze", move |router: &str| {
        signal_daemons(&s, router, "STOP")
    });
    let s = shared.clone();
    engine.register_fn("thaw", move |router: &str| {
        signal_daemons(&s, router, "CONT")
    });
}
