//! The outcome of every check of a run, kept for reports a CI system reads: JUnit XML (a test
//! case per check, a test suite per step, so that a CI page names the failed check and its
//! step) and the same as JSON.

use std::fmt::Write as _;

use quick_xml::escape::escape;
use serde::Serialize;

/// One check, as it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub step: usize,
    pub step_title: String,
    /// What was checked, as the transcript says it (`PR: OSPF neighbor 1.1.1.1 is Full`).
    pub name: String,
    /// From the first attempt to the verdict.
    pub seconds: f64,
    /// Why it failed; `None` for a check that passed.
    pub failure: Option<String>,
    /// The directory holding the routers' state when it failed (`--evidence`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// How long a step of a real run took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepTime {
    pub number: usize,
    pub title: String,
    pub seconds: f64,
}

/// A whole run: its checks, and how the script ended when that was not a check failing.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport<'a> {
    pub lab: &'a str,
    pub script: &'a str,
    pub seconds: f64,
    pub passed: usize,
    pub failed: usize,
    pub checks: &'a [CheckResult],
    /// The script's own error (a change FRR refused, a typo), which no check records.
    pub error: Option<String>,
}

impl<'a> RunReport<'a> {
    pub fn new(
        lab: &'a str,
        script: &'a str,
        seconds: f64,
        checks: &'a [CheckResult],
        error: Option<String>,
    ) -> RunReport<'a> {
        let failed = checks.iter().filter(|c| c.failure.is_some()).count();
        // A failed check is the script's error too; say it once, in its test case.
        let error = error.filter(|_| failed == 0);
        RunReport {
            lab,
            script,
            seconds,
            passed: checks.len() - failed,
            failed,
            checks,
            error,
        }
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data") + "\n"
    }

    /// JUnit XML as Jenkins, GitLab and GitHub's test reporters read it.
    pub fn junit(&self) -> String {
        junit(std::slice::from_ref(self))
    }

    /// This run's test suites: one per step, and one for the script's own error.
    fn junit_suites(&self, out: &mut String, prefix: &str) {
        let mut steps: Vec<(usize, &str)> = Vec::new();
        for c in self.checks {
            if !steps.iter().any(|(n, _)| *n == c.step) {
                steps.push((c.step, &c.step_title));
            }
        }
        for (number, title) in steps {
            let checks: Vec<&CheckResult> =
                self.checks.iter().filter(|c| c.step == number).collect();
            let failures = checks.iter().filter(|c| c.failure.is_some()).count();
            let time: f64 = checks.iter().map(|c| c.seconds).sum();
            let suite = format!("{prefix}step {number}: {title}");
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time:.3}\">",
                escape(suite),
                checks.len()
            );
            for c in checks {
                let attrs = format!(
                    "name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                    escape(&c.name),
                    escape(format!("{}.step{number}", self.lab)),
                    c.seconds
                );
                match &c.failure {
                    None => {
                        let _ = writeln!(out, "    <testcase {attrs}/>");
                    }
                    Some(why) => {
                        let first = why.lines().next().unwrap_or_default();
                        let _ = writeln!(
                            out,
                            "    <testcase {attrs}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                            escape(first),
                            escape(why)
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        if let Some(error) = &self.error {
            let first = error.lines().next().unwrap_or_default();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" time=\"0\">\n    \
                 <testcase name=\"the script\" classname=\"{}\" time=\"0\">\n      \
                 <error message=\"{}\">{}</error>\n    </testcase>\n  </testsuite>",
                escape(format!("{prefix}run")),
                escape(format!("{}.run", self.lab)),
                escape(first),
                escape(error)
            );
        }
    }
}

/// JUnit XML of one run, or of the runs of `run --repeat` (each suite named by its run).
pub fn junit(runs: &[RunReport]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let script = runs.first().map_or("", |r| r.script);
    let errors: usize = runs.iter().filter(|r| r.error.is_some()).count();
    let tests: usize = runs.iter().map(|r| r.checks.len()).sum::<usize>() + errors;
    let failures: usize = runs.iter().map(|r| r.failed).sum();
    let seconds: f64 = runs.iter().map(|r| r.seconds).sum();
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{seconds:.3}\">",
        escape(format!("mplsrepl {script}")),
    );
    for (k, run) in runs.iter().enumerate() {
        let prefix = if runs.len() > 1 {
            format!("run {}: ", k + 1)
        } else {
            String::new()
        };
        run.junit_suites(&mut out, &prefix);
    }
    out.push_str("</testsuites>\n");
    out
}

/// JSON of the runs of `run --repeat`: `{"runs": [...]}`, each as one run's report.
pub fn json_of_runs(runs: &[RunReport]) -> String {
    serde_json::to_string_pretty(&serde_json::json!({ "runs": runs })).expect("plain data") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(step: usize, name: &str, failure: Option<&str>) -> CheckResult {
        CheckResult {
            step,
            step_title: format!("title {step}"),
            name: name.to_string(),
            seconds: 1.5,
            failure: failure.map(str::to_string),
            evidence: None,
        }
    }

    #[test]
    fn junit_has_a_suite_per_step_and_a_case_per_check() {
        let checks = [
            check(1, "PR: OSPF <Full>", None),
            check(
                2,
                "CE1: ping 192.168.2.1 succeeds",
                Some("no reply\n3 sent & 0 received"),
            ),
        ];
        let xml =
            RunReport::new("lab", "s.rhai", 9.0, &checks, Some("check failed".into())).junit();
        assert!(xml.contains(
            "<testsuites name=\"mplsrepl s.rhai\" tests=\"2\" failures=\"1\" errors=\"0\" time=\"9.000\">"
        ), "{xml}");
        assert!(xml.contains("<testsuite name=\"step 1: title 1\" tests=\"1\" failures=\"0\""));
        assert!(xml.contains(
            "<testcase name=\"PR: OSPF &lt;Full&gt;\" classname=\"lab.step1\" time=\"1.500\"/>"
        ));
        assert!(
            xml.contains(
                "<failure message=\"no reply\">no reply\n3 sent &amp; 0 received</failure>"
            ),
            "{xml}"
        );
        assert!(
            !xml.contains("<error"),
            "a failed check is not reported twice: {xml}"
        );
    }

    #[test]
    fn a_script_error_without_a_failed_check_is_an_error_case() {
        let checks = [check(1, "ok", None)];
        let report = RunReport::new(
            "lab",
            "s.rhai",
            1.0,
            &checks,
            Some("PE1: FRR did not take".into()),
        );
        let xml = report.junit();
        assert!(xml.contains("errors=\"1\""), "{xml}");
        assert!(
            xml.contains("<error message=\"PE1: FRR did not take\">"),
            "{xml}"
        );
        let json: serde_json::Value = serde_json::from_str(&report.json()).unwrap();
        assert_eq!(json["passed"], 1);
        assert_eq!(json["error"], "PE1: FRR did not take");
    }
}
