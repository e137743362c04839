//! One round of polling checks: the commands of the checks still waiting, run at once.
//!
//! A command asked by several checks runs once, and a router's vtysh JSON shows go through
//! one vtysh (`vtysh -c A -c B`): on a slow engine vtysh's own start costs more than most
//! shows, and every poll's CPU is taken from the protocols being waited for. The output is
//! split back into one JSON value per show. Where the split cannot be trusted (vtysh stops at
//! the first failing show, or a show printed something other than one JSON value), those
//! shows run again one by one, so each check sees exactly what its own command prints.

use std::collections::BTreeMap;

use anyhow::anyhow;

use crate::runtime::ExecOutput;

type Command = (String, Vec<String>);
type Outputs = Vec<anyhow::Result<ExecOutput>>;

/// Where one asked command's output comes from.
enum Source {
    /// A run of its own (or shared with identical commands).
    Whole(usize),
    /// The `index`-th show of a combined vtysh run.
    Part { run: usize, index: usize },
}

/// Run `commands` (router, argv) through `exec_all` in as few runs as is safe; one output per
/// command, in order.
pub fn run(
    commands: &[Command],
    mut exec_all: impl FnMut(&[Command]) -> anyhow::Result<Outputs>,
) -> anyhow::Result<Outputs> {
    let (runs, sources, combined) = plan(commands);
    let mut outputs: Vec<Option<anyhow::Result<ExecOutput>>> =
        exec_all(&runs)?.into_iter().map(Some).collect();
    // Combined runs, split into their shows; None where the split failed.
    let mut parts: BTreeMap<usize, Option<Vec<String>>> = BTreeMap::new();
    for run in combined {
        let count = shows_of(&runs[run].1).len();
        let split = match &outputs[run] {
            Some(Ok(out)) if out.success() => split_json(&out.stdout, count),
            _ => None,
        };
        parts.insert(run, split);
    }
    // Shows whose combined run cannot be split go one by one.
    let mut again: Vec<Command> = Vec::new();
    let mut again_at: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (run, split) in &parts {
        if split.is_none() && matches!(outputs[*run], Some(Ok(_))) {
            for (index, show) in shows_of(&runs[*run].1).into_iter().enumerate() {
                again_at.insert((*run, index), again.len());
                again.push((runs[*run].0.clone(), vtysh(show)));
            }
        }
    }
    let mut again_out: Vec<Option<anyhow::Result<ExecOutput>>> = if again.is_empty() {
        Vec::new()
    } else {
        exec_all(&again)?.into_iter().map(Some).collect()
    };
    let result = sources
        .iter()
        .map(|source| match *source {
            Source::Whole(run) => share(&mut outputs[run]),
            Source::Part { run, index } => {
                if let Some(Some(shows)) = parts.get(&run) {
                    return Ok(ExecOutput {
                        exit_code: 0,
                        stdout: shows[index].clone(),
                        stderr: String::new(),
                    });
                }
                match again_at.get(&(run, index)) {
                    Some(&at) => share(&mut again_out[at]),
                    // The combined run itself failed (the shell or the engine): its error.
                    None => share(&mut outputs[run]),
                }
            }
        })
        .collect();
    Ok(result)
}

/// The runs to make, where each command's output comes from, and which runs combine shows.
fn plan(commands: &[Command]) -> (Vec<Command>, Vec<Source>, Vec<usize>) {
    let mut distinct: Vec<&Command> = Vec::new();
    for c in commands {
        if !distinct.contains(&c) {
            distinct.push(c);
        }
    }
    // Each router's distinct JSON shows, in order.
    let mut shows: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (router, argv) in &distinct {
        if let [show] = shows_of(argv)[..] {
            if show.ends_with("json") {
                shows.entry(router.as_str()).or_default().push(show);
            }
        }
    }
    let mut runs: Vec<Command> = Vec::new();
    let mut combined: BTreeMap<&str, usize> = BTreeMap::new();
    for (router, list) in &shows {
        if list.len() > 1 {
            combined.insert(router, runs.len());
            let mut argv = vec!["vtysh".to_string()];
            for show in list {
                argv.extend(["-c".to_string(), show.to_string()]);
            }
            runs.push((router.to_string(), argv));
        }
    }
    let mut whole: Vec<(&Command, usize)> = Vec::new();
    let sources = commands
        .iter()
        .map(|c| {
            let (router, argv) = c;
            if let (Some(&run), [show]) = (combined.get(router.as_str()), &shows_of(argv)[..]) {
                if let Some(index) = shows[router.as_str()].iter().position(|s| s == show) {
                    return Source::Part { run, index };
                }
            }
            if let Some((_, run)) = whole.iter().find(|(w, _)| *w == c) {
                return Source::Whole(*run);
            }
            whole.push((c, runs.len()));
            runs.push(c.clone());
            Source::Whole(runs.len() - 1)
        })
        .collect();
    (runs, sources, combined.into_values().collect())
}

/// The shows of a `vtysh -c A [-c B ...]` argv; empty for any other command.
fn shows_of(argv: &[String]) -> Vec<&str> {
    let Some(("vtysh", rest)) = argv.split_first().map(|(a, r)| (a.as_str(), r)) else {
        return Vec::new();
    };
    if rest.is_empty() || rest.len() % 2 != 0 || rest.iter().step_by(2).any(|f| f != "-c") {
        return Vec::new();
    }
    rest.iter().skip(1).step_by(2).map(String::as_str).collect()
}

fn vtysh(show: &str) -> Vec<String> {
    vec!["vtysh".to_string(), "-c".to_string(), show.to_string()]
}

/// Exactly `count` JSON values, one after the other, and nothing else.
fn split_json(text: &str, count: usize) -> Option<Vec<String>> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    let mut values = Vec::new();
    let mut start = 0;
    while let Some(value) = stream.next() {
        value.ok()?;
        let end = stream.byte_offset();
        values.push(text[start..end].trim().to_string());
        start = end;
    }
    (values.len() == count).then_some(values)
}

/// An output several commands share: a copy, the error as text.
fn share(slot: &mut Option<anyhow::Result<ExecOutput>>) -> anyhow::Result<ExecOutput> {
    match slot {
        Some(Ok(out)) => Ok(out.clone()),
        Some(Err(e)) => Err(anyhow!("{e:#}")),
        None => Err(anyhow!("no output")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(router: &str, words: &[&str]) -> Command {
        (
            router.to_string(),
            words.iter().map(|w| w.to_string()).collect(),
        )
    }

    fn ok(stdout: &str) -> anyhow::Result<ExecOutput> {
        Ok(ExecOutput {
            exit_code: 0,
            stdout: stdout.to_string(),
            stderr: String::new(),
        })
    }

    /// A fake engine: each run's output from `answer`, and every batch of runs recorded.
    fn engine<'a>(
        calls: &'a mut Vec<Vec<Command>>,
        answer: impl Fn(&Command) -> anyhow::Result<ExecOutput> + 'a,
    ) -> impl FnMut(&[Command]) -> anyhow::Result<Outputs> + 'a {
        move |runs| {
            calls.push(runs.to_vec());
            Ok(runs.iter().map(&answer).collect())
        }
    }

    #[test]
    fn a_routers_json_shows_go_through_one_vtysh_and_identical_commands_run_once() {
        let commands = vec![
            cmd("PR", &["vtysh", "-c", "show ip ospf neighbor json"]),
            cmd("PR", &["ping", "-c", "3", "1.1.1.1"]),
            cmd("PR", &["vtysh", "-c", "show ip route json"]),
            cmd("PE1", &["vtysh", "-c", "show ip route json"]),
            cmd("PR", &["vtysh", "-c", "show ip ospf neighbor json"]),
        ];
        let mut calls = Vec::new();
        let out = run(
            &commands,
            engine(&mut calls, |(router, argv)| {
                match (router.as_str(), argv.len()) {
                    ("PR", 5) => ok("{\"neighbors\":{}}\n{\n \"9.9.9.9/32\":[]\n}\n"),
                    ("PR", _) => ok("3 packets transmitted, 3 received"),
                    _ => ok("{\"pe1\":1}"),
                }
            }),
        )
        .unwrap();
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(
            calls[0],
            vec![
                cmd(
                    "PR",
                    &[
                        "vtysh",
                        "-c",
                        "show ip ospf neighbor json",
                        "-c",
                        "show ip route json"
                    ]
                ),
                cmd("PR", &["ping", "-c", "3", "1.1.1.1"]),
                cmd("PE1", &["vtysh", "-c", "show ip route json"]),
            ]
        );
        let stdout: Vec<String> = out.into_iter().map(|o| o.unwrap().stdout).collect();
        assert_eq!(
            stdout,
            vec![
                "{\"neighbors\":{}}",
                "3 packets transmitted, 3 received",
                "{\n \"9.9.9.9/32\":[]\n}",
                "{\"pe1\":1}",
                "{\"neighbors\":{}}",
            ]
        );
    }

    #[test]
    fn shows_run_one_by_one_when_vtysh_stopped_at_a_failing_one() {
        let commands = vec![
            cmd("PE1", &["vtysh", "-c", "show ip route json"]),
            cmd("PE1", &["vtysh", "-c", "show bgp summary json"]),
        ];
        let mut calls = Vec::new();
        let out = run(
            &commands,
            engine(&mut calls, |(_, argv)| {
                if argv.len() > 3 {
                    // vtysh answered the first show, then stopped: bgpd is not running.
                    return Ok(ExecOutput {
                        exit_code: 1,
                        stdout: "{}\n".into(),
                        stderr: "bgpd is not running".into(),
                    });
                }
                if argv[2].contains("bgp") {
                    return Ok(ExecOutput {
                        exit_code: 1,
                        stdout: String::new(),
                        stderr: "bgpd is not running".into(),
                    });
                }
                ok("{}")
            }),
        )
        .unwrap();
        assert_eq!(calls.len(), 2, "the combined run, then each show alone");
        assert_eq!(calls[1].len(), 2);
        let bgp = out[1].as_ref().unwrap();
        assert_eq!(
            (bgp.exit_code, bgp.stderr.as_str()),
            (1, "bgpd is not running")
        );
        assert_eq!(out[0].as_ref().unwrap().stdout, "{}");
    }

    #[test]
    fn text_between_json_values_is_not_split() {
        assert_eq!(
            split_json("{} {\"a\":[1]}", 2).unwrap(),
            vec!["{}", "{\"a\":[1]}"]
        );
        assert!(split_json("{}\n% Unknown command\n{}", 2).is_none());
        assert!(split_json("{}", 2).is_none());
        assert!(split_json("{}{}{}", 2).is_none());
    }

    #[test]
    fn a_failed_combined_run_gives_its_error_to_each_show() {
        let commands = vec![
            cmd("PE1", &["vtysh", "-c", "show a json"]),
            cmd("PE1", &["vtysh", "-c", "show b json"]),
        ];
        let mut calls = Vec::new();
        let out = run(
            &commands,
            engine(&mut calls, |_| Err(anyhow!("PE1: the shell was cut"))),
        )
        .unwrap();
        assert_eq!(calls.len(), 1);
        for o in out {
            assert!(format!("{:#}", o.unwrap_err()).contains("the shell was cut"));
        }
    }
}
