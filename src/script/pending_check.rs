//! A check as data: what it runs, on which router, how its output is judged (one attempt at a
//! time, retried until it holds or time runs out). `together` queues them, the checks' functions
//! make them.

use std::time::Duration;

use crate::check::json_subset::json_subset_diff;
use crate::runtime::ExecOutput;

/// One check as data.
#[derive(Debug, Clone)]
pub struct PendingCheck {
    /// What the check asserts, as printed (`PE1: \`show ...\` contains {...}`).
    pub what: String,
    pub router: String,
    pub argv: Vec<String>,
    pub timeout: Duration,
    pub verdict: Verdict,
    /// Where the script asked for it, when that is in the script itself (not in a stdlib
    /// module): a failure inside `together` points there, not at `together`.
    pub at: Option<rhai::Position>,
    /// `-v`: a failure shows the whole output.
    pub verbose: bool,
}

/// How a command's output is judged.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// vtysh JSON containing `expected` (topotests' json_cmp semantics); retried.
    Json {
        cmd: String,
        expected: serde_json::Value,
    },
    /// At least one reply; retried (routes may still be converging).
    /// A reply from `dst`; `src` is the ping's source address when it names one.
    Reply { dst: String, src: Option<String> },
    /// No reply at all, on the first attempt: isolation must not wait for a route to vanish.
    NoReply { dst: String },
}

/// The outcome of one attempt.
pub(crate) enum Attempt {
    /// Holds; the detail printed after `what`.
    Holds(String),
    /// Does not hold yet; the error to give if time runs out.
    NotYet(String),
    /// Failed for good.
    Failed(String),
}

impl PendingCheck {
    pub(crate) fn attempt(&self, out: &ExecOutput, elapsed: Duration) -> Attempt {
        match &self.verdict {
            Verdict::Json { cmd, expected } => {
                let router = &self.router;
                let actual = match crate::frr::json::parse(cmd, &out.stdout) {
                    Ok(v) => v,
                    Err(e) => {
                        return Attempt::Failed(format!(
                            "{router}: `{cmd}` did not return JSON ({e}); output was:\n{}",
                            truncate(&format!("{}{}", out.stdout, out.stderr), 800)
                        ))
                    }
                };
                let mismatches = json_subset_diff(&actual, expected, false);
                if mismatches.is_empty() {
                    return Attempt::Holds(format!(" ({:.1} s)", elapsed.as_secs_f64()));
                }
                let lines: Vec<String> = mismatches.iter().map(|m| format!("  {m}")).collect();
                // The part of the output the expectation is about; all of it with `-v`.
                let (shown, which) = if self.verbose {
                    (actual.clone(), "last output")
                } else {
                    (
                        crate::check::json_subset::project(&actual, expected),
                        "last output, where the check looks (all of it with -v)",
                    )
                };
                Attempt::NotYet(format!(
                    "check failed on {router}: `{cmd}` after {:.0} s:\n{}\n{which}:\n{}",
                    self.timeout.as_secs_f64(),
                    lines.join("\n"),
                    truncate(
                        &serde_json::to_string_pretty(&shown).unwrap_or_default(),
                        1500
                    )
                ))
            }
            Verdict::Reply { dst, .. } => {
                let r = parse_ping(&out.stdout);
                if r.received > 0 {
                    let ttl = r.ttl.map(|t| format!(", ttl {t}")).unwrap_or_default();
                    return Attempt::Holds(format!(
                        ": {}/{} replies{ttl}",
                        r.received, r.transmitted
                    ));
                }
                Attempt::NotYet(format!(
                    "check failed on {}: no reply to ping {dst} within {:.0} s",
                    self.router,
                    self.timeout.as_secs_f64()
                ))
            }
            Verdict::NoReply { dst } => {
                let r = parse_ping(&out.stdout);
                if r.received == 0 {
                    return Attempt::Holds(format!(": 0/{} replies", r.transmitted));
                }
                Attempt::Failed(format!(
                    "check failed on {}: {dst} answered {} of {} pings, expected none",
                    self.router, r.received, r.transmitted
                ))
            }
        }
    }
}

/// `ping` with the counts parsed from iputils or busybox output.
#[derive(Debug, Default)]
pub struct PingResult {
    pub transmitted: u32,
    pub received: u32,
    pub ttl: Option<u32>,
}

pub fn parse_ping(stdout: &str) -> PingResult {
    let mut r = PingResult::default();
    for line in stdout.lines() {
        if let Some(idx) = line.find(" packets transmitted, ") {
            r.transmitted = line[..idx].trim().parse().unwrap_or(0);
            let rest = &line[idx + " packets transmitted, ".len()..];
            r.received = rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
        if r.ttl.is_none() {
            if let Some(idx) = line.find("ttl=") {
                r.ttl = line[idx + 4..]
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok());
            }
        }
    }
    r
}

pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n... ({} more bytes)", &text[..end], text.len() - end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iputils_and_busybox_ping() {
        let iputils = "64 bytes from 192.168.2.1: icmp_seq=1 ttl=62 time=0.4 ms\n\
                       3 packets transmitted, 3 received, 0% packet loss, time 402ms\n";
        let r = parse_ping(iputils);
        assert_eq!((r.transmitted, r.received, r.ttl), (3, 3, Some(62)));
        let busybox = "64 bytes from 1.1.1.1: seq=0 ttl=64 time=0.093 ms\n\
                       3 packets transmitted, 2 packets received, 33% packet loss\n";
        let r = parse_ping(busybox);
        assert_eq!((r.transmitted, r.received, r.ttl), (3, 2, Some(64)));
        let lost = "3 packets transmitted, 0 received, 100% packet loss, time 2041ms\n";
        assert_eq!(parse_ping(lost).received, 0);
    }

    fn check(verdict: Verdict) -> PendingCheck {
        PendingCheck {
            what: "w".into(),
            router: "PE1".into(),
            argv: vec![],
            timeout: Duration::from_secs(5),
            verdict,
            at: None,
            verbose: false,
        }
    }

    fn out(stdout: &str) -> ExecOutput {
        ExecOutput {
            exit_code: 0,
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }

    #[test]
    fn a_json_check_holds_waits_or_fails_on_non_json() {
        let c = check(Verdict::Json {
            cmd: "show x json".into(),
            expected: serde_json::json!({"a": {"state": "Up"}}),
        });
        let t = Duration::from_millis(1500);
        assert!(
            matches!(c.attempt(&out(r#"{"a":{"state":"Up","n":1}}"#), t), Attempt::Holds(d) if d == " (1.5 s)")
        );
        assert!(
            matches!(c.attempt(&out(r#"{"a":{"state":"Down"}}"#), t), Attempt::NotYet(e) if e.contains("a.state") || e.contains("state"))
        );
        assert!(
            matches!(c.attempt(&out("% Unknown command"), t), Attempt::Failed(e) if e.contains("did not return JSON"))
        );
    }

    #[test]
    fn isolation_fails_at_once_and_reachability_waits() {
        let answered = out("3 packets transmitted, 1 received, 66% packet loss\n");
        let silent = out("3 packets transmitted, 0 received, 100% packet loss\n");
        let t = Duration::ZERO;
        let no = check(Verdict::NoReply {
            dst: "1.1.1.1".into(),
        });
        assert!(
            matches!(no.attempt(&answered, t), Attempt::Failed(e) if e.contains("answered 1 of 3"))
        );
        assert!(matches!(no.attempt(&silent, t), Attempt::Holds(d) if d == ": 0/3 replies"));
        let yes = check(Verdict::Reply {
            dst: "1.1.1.1".into(),
            src: None,
        });
        assert!(matches!(yes.attempt(&silent, t), Attempt::NotYet(_)));
        assert!(matches!(yes.attempt(&answered, t), Attempt::Holds(d) if d == ": 1/3 replies"));
    }
}
