//! One lab run many times (`run --repeat N`): whether each check passed every time and how long
//! it took to, how long each step took, and which runs failed first where. It is what a user
//! reads before trusting a lab in CI, and what finds a flake.

use std::fmt::Write as _;

use super::results::{CheckResult, StepTime};

/// One run of the script, as it ended.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    pub checks: Vec<CheckResult>,
    pub steps: Vec<StepTime>,
    /// How the script ended when that was not a check failing (a refused line, a typo).
    pub error: Option<String>,
    pub seconds: f64,
    pub passed: bool,
}

impl RunRecord {
    /// What ended the run first: its first failed check (with its step), else its error.
    pub fn first_failure(&self) -> Option<String> {
        if let Some(c) = self.checks.iter().find(|c| c.failure.is_some()) {
            let why = c.failure.as_deref().unwrap_or_default();
            let why = why.lines().next().unwrap_or_default();
            return Some(format!("step {}: {}: {why}", c.step, c.name));
        }
        let error = self.error.as_deref()?;
        Some(error.lines().next().unwrap_or_default().to_string())
    }
}

/// The nearest-rank percentile `p` (0-100) of `values`; `None` when there are none.
fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// A check or step across runs: (step number, name or title), and what each run gave.
type Across<'a, T> = Vec<((usize, &'a str), Vec<T>)>;

/// `items` grouped by key, in the order each key first came.
fn across<'a, T>(items: impl Iterator<Item = ((usize, &'a str), T)>) -> Across<'a, T> {
    let mut grouped: Across<T> = Vec::new();
    for (key, value) in items {
        match grouped.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value),
            None => grouped.push((key, vec![value])),
        }
    }
    grouped
}

fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |s| format!("{s:.1} s"))
}

/// The tables printed after the last run: per check (passed/runs, median and max time to
/// pass), per step (median, p90, max), and the failed runs with their first failure.
pub fn summary(script: &str, runs: &[RunRecord]) -> String {
    let failed: Vec<(usize, &RunRecord)> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.passed)
        .map(|(k, r)| (k + 1, r))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "== {} runs of {script}: {} passed, {} failed ==",
        runs.len(),
        runs.len() - failed.len(),
        failed.len()
    );
    // Checks in the order they first ran, keyed by step and name; a failed one has no time
    // to pass.
    let checks = across(runs.iter().flat_map(|run| &run.checks).map(|c| {
        let time = c.failure.is_none().then_some(c.seconds);
        ((c.step, c.name.as_str()), time)
    }));
    let rows: Vec<[String; 4]> = checks
        .iter()
        .map(|((step, name), times)| {
            let passed: Vec<f64> = times.iter().flatten().copied().collect();
            [
                format!("step {step}: {name}"),
                format!("{}/{}", passed.len(), runs.len()),
                seconds(median(&passed)),
                seconds(percentile(&passed, 100.0)),
            ]
        })
        .collect();
    table(&mut out, ["check", "passed", "median", "max"], &rows);
    let steps = across(
        runs.iter()
            .flat_map(|run| &run.steps)
            .map(|s| ((s.number, s.title.as_str()), s.seconds)),
    );
    let rows: Vec<[String; 4]> = steps
        .iter()
        .map(|((number, title), times)| {
            [
                format!("step {number}: {title}"),
                seconds(median(times)),
                seconds(percentile(times, 90.0)),
                seconds(percentile(times, 100.0)),
            ]
        })
        .collect();
    out.push('\n');
    table(&mut out, ["step", "median", "p90", "max"], &rows);
    let whole: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
    let _ = writeln!(
        out,
        "\nwhole run: median {}, max {}",
        seconds(median(&whole)),
        seconds(percentile(&whole, 100.0))
    );
    if !failed.is_empty() {
        out.push_str("\nfailed runs:\n");
        for (k, run) in failed {
            let first = run
                .first_failure()
                .unwrap_or_else(|| "no check failed".into());
            let _ = writeln!(out, "  run {k}: {first}");
        }
    }
    out
}

/// Columns padded to their widest cell; the first left-aligned, the others right-aligned.
fn table(out: &mut String, head: [&str; 4], rows: &[[String; 4]]) {
    let mut width = head.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        let mut l = format!("  {:<w$}", cells[0], w = width[0]);
        for (cell, w) in cells.iter().zip(width).skip(1) {
            let _ = write!(l, "  {cell:>w$}");
        }
        l.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(head));
    for row in rows {
        let _ = writeln!(
            out,
            "{}",
            line([&row[0], &row[1], &row[2], &row[3]].map(|s| s.as_str()))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(step: usize, name: &str, seconds: f64, failure: Option<&str>) -> CheckResult {
        CheckResult {
            step,
            step_title: format!("title {step}"),
            name: name.into(),
            seconds,
            failure: failure.map(String::from),
            evidence: None,
        }
    }

    fn step(number: usize, seconds: f64) -> StepTime {
        StepTime {
            number,
            title: format!("title {number}"),
            seconds,
        }
    }

    fn run(checks: Vec<CheckResult>, steps: Vec<StepTime>) -> RunRecord {
        let passed = checks.iter().all(|c| c.failure.is_none());
        RunRecord {
            seconds: steps.iter().map(|s| s.seconds).sum(),
            checks,
            steps,
            error: None,
            passed,
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&ten, 90.0), Some(9.0));
        assert_eq!(percentile(&ten, 100.0), Some(10.0));
        assert_eq!(percentile(&[3.0], 90.0), Some(3.0));
        assert_eq!(percentile(&[], 90.0), None);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[4.0, 1.0, 3.0]), Some(3.0));
    }

    #[test]
    fn the_summary_counts_passes_times_and_names_the_first_failure_of_each_failed_run() {
        let runs = [
            run(
                vec![
                    check(1, "A has 2 neighbors", 1.0, None),
                    check(2, "CE1 reaches CE2", 2.0, None),
                ],
                vec![step(1, 10.0), step(2, 5.0)],
            ),
            run(
                vec![
                    check(1, "A has 2 neighbors", 3.0, None),
                    check(2, "CE1 reaches CE2", 240.0, Some("no reply\nmore detail")),
                ],
                vec![step(1, 12.0), step(2, 241.0)],
            ),
            run(
                vec![
                    check(1, "A has 2 neighbors", 2.0, None),
                    check(2, "CE1 reaches CE2", 4.0, None),
                ],
                vec![step(1, 11.0), step(2, 6.0)],
            ),
        ];
        let text = summary("lab.rhai", &runs);
        assert!(
            text.starts_with("== 3 runs of lab.rhai: 2 passed, 1 failed =="),
            "{text}"
        );
        let line = |start: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(start))
                .unwrap_or_else(|| panic!("no `{start}` in:\n{text}"))
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            line("step 1: A has"),
            "step 1: A has 2 neighbors 3/3 2.0 s 3.0 s"
        );
        // The failed attempt's 240 s is no time to pass.
        assert_eq!(
            line("step 2: CE1"),
            "step 2: CE1 reaches CE2 2/3 3.0 s 4.0 s"
        );
        assert_eq!(
            line("step 2: title"),
            "step 2: title 2 6.0 s 241.0 s 241.0 s"
        );
        assert!(
            text.contains("failed runs:\n  run 2: step 2: CE1 reaches CE2: no reply\n"),
            "{text}"
        );
    }

    #[test]
    fn a_run_ended_by_an_error_names_it() {
        let mut broken = run(vec![], vec![step(1, 3.0)]);
        broken.passed = false;
        broken.error = Some("PE1 refused `mpls ldp`\ndetail".into());
        let text = summary("lab.rhai", &[broken]);
        assert!(text.contains("  run 1: PE1 refused `mpls ldp`\n"), "{text}");
    }
}
