//! The transcript of a run or a plan: step headers, actions, checks.
//!
//! The same reporter prints `plan` (every vtysh line, nothing performed) and `run` (compact
//! action lines with their outcome), colored on a terminal and plain when piped or in tests.

use std::io::Write;
use std::sync::{Arc, Mutex};

use owo_colors::OwoColorize;

use std::collections::BTreeMap;

use super::transcript::{Entry, Transcript};
use crate::diagnostic::printable;
use crate::frr::FrrVersion;
use crate::runtime::{Configure, LabSpec, Wiring};

/// Where transcript text goes: a terminal, a buffer that tests read back, or a transcript
/// printed later.
#[derive(Clone)]
pub enum Sink {
    Stdout,
    Buffer(Arc<Mutex<Vec<u8>>>),
    Record(Transcript),
}

#[derive(Clone)]
pub struct Reporter {
    sink: Sink,
    color: bool,
    /// Print every vtysh and kernel line (always in plan mode).
    pub verbose: bool,
}

impl Reporter {
    pub fn stdout(color: bool, verbose: bool) -> Self {
        Reporter {
            sink: Sink::Stdout,
            color,
            verbose,
        }
    }

    /// A reporter writing plain text into a shared buffer.
    pub fn buffer(verbose: bool) -> (Self, Arc<Mutex<Vec<u8>>>) {
        let buf = Arc::new(Mutex::new(Vec::new()));
        (
            Reporter {
                sink: Sink::Buffer(buf.clone()),
                color: false,
                verbose,
            },
            buf,
        )
    }

    /// A reporter keeping what it is told as a [`Transcript`], to print later.
    pub fn recording(color: bool, verbose: bool) -> (Self, Transcript) {
        let transcript = Transcript::default();
        (
            Reporter {
                sink: Sink::Record(transcript.clone()),
                color,
                verbose,
            },
            transcript,
        )
    }

    fn record(&self, entry: Entry) -> bool {
        match &self.sink {
            Sink::Record(t) => {
                t.0.lock().unwrap_or_else(|e| e.into_inner()).push(entry);
                true
            }
            _ => false,
        }
    }

    pub fn color(&self) -> bool {
        self.color
    }

    pub fn line(&self, text: &str) {
        match &self.sink {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{text}");
            }
            Sink::Buffer(buf) => {
                let mut b = buf.lock().unwrap_or_else(|e| e.into_inner());
                let _ = writeln!(b, "{text}");
            }
            Sink::Record(_) => {
                self.record(Entry::Line(text.to_string()));
            }
        }
    }

    fn paint(&self, text: &str, style: fn(&str) -> String) -> String {
        if self.color {
            style(text)
        } else {
            text.to_string()
        }
    }

    pub fn step(&self, number: usize, title: &str) {
        // Titles and prose are the script's text: a terminal must not obey escapes in them.
        let text = format!("== step {number}: {} ==", printable(title));
        let header = self.paint(&text, |t| t.bold().cyan().to_string());
        if !self.record(Entry::Step(header.clone())) {
            self.line("");
            self.line(&header);
        }
    }

    pub fn info(&self, text: &str) {
        self.line(&format!("  {text}"));
    }

    pub fn prose(&self, text: &str) {
        for l in printable(text).lines() {
            self.line(&self.paint(&format!("  | {l}"), |t| t.italic().to_string()));
        }
    }

    /// A tutorial's task for the learner.
    pub fn exercise(&self, task: &str) {
        self.line(&self.paint(&format!("  > your turn: {task}"), |t| t.bold().to_string()));
    }

    pub fn warn(&self, text: &str) {
        self.line(&self.paint(&format!("  ! {text}"), |t| t.yellow().to_string()));
    }

    /// What creating the lab does; each router's FRR line and daemons in their start order.
    pub fn create_lab(
        &self,
        spec: &LabSpec,
        frr: &BTreeMap<String, FrrVersion>,
        daemons: &BTreeMap<String, Vec<&'static str>>,
    ) {
        let links = crate::runtime::links_container_name(&spec.lab);
        if spec.wiring == Wiring::Veth && !spec.networks.is_empty() {
            let image = spec
                .containers
                .first()
                .map_or(crate::vm::IMAGE, |c| c.image.as_str());
            self.line(&format!(
                "  container {} image {image} privileged, host PIDs: makes the links",
                self.paint(&links, |t| t.green().to_string()),
            ));
        }
        for (n, ends) in spec.segment_ends() {
            let how = match spec.wiring {
                Wiring::DockerNetworks => "Docker network".to_string(),
                Wiring::Veth if ends.len() == 2 && !n.multi_access => "veth pair".to_string(),
                Wiring::Veth => format!("bridge in {links}"),
            };
            self.line(&format!(
                "  {} {} for {} ({how}, MTU {})",
                if n.multi_access { "network" } else { "link" },
                self.paint(&n.name, |t| t.green().to_string()),
                n.subnets,
                n.mtu
            ));
        }
        for c in &spec.containers {
            let head = format!(
                "  container {} image {} privileged, FRR {}, daemons ",
                self.paint(&c.name, |t| t.green().to_string()),
                c.image,
                frr.get(&c.router).copied().unwrap_or_default().major,
            );
            let recorded = self.record(Entry::Container {
                router: c.router.clone(),
                head: head.clone(),
            });
            if !recorded {
                let started = daemons.get(&c.router).map(|d| d.join(" "));
                self.line(&format!("{head}{}", started.unwrap_or_default()));
            }
            for i in &c.interfaces {
                let address = i
                    .address
                    .map_or("no address: an attachment circuit".to_string(), |a| {
                        a.to_string()
                    });
                self.line(&format!("    {} -> {} ({address})", i.name, i.network));
            }
        }
    }

    pub fn configure(&self, c: &Configure) {
        let router = self.paint(&c.router, |t| t.bold().to_string());
        let kernel = c.change.kernel_before.iter().chain(&c.change.kernel_after);
        if self.verbose {
            for argv in c.change.kernel_before.iter() {
                self.line(&format!("  {router}$ {}", argv.join(" ")));
            }
            if !c.change.vtysh.is_empty() {
                self.line(&format!("  {router}# configure"));
                for l in &c.change.vtysh {
                    self.line(&format!("    {}", self.paint(l, colorize_config)));
                }
            }
            for argv in c.change.kernel_after.iter() {
                self.line(&format!("  {router}$ {}", argv.join(" ")));
            }
        } else {
            let n_kernel = kernel.count();
            let n_vtysh = c.change.vtysh.iter().filter(|l| !is_exit(l)).count();
            self.line(&format!(
                "  {router}: {n_vtysh} FRR lines, {n_kernel} kernel commands"
            ));
        }
    }

    pub fn check(&self, text: &str) {
        self.line(&format!(
            "  {} {text}",
            self.paint("check", |t| t.blue().to_string())
        ));
    }

    pub fn pass(&self, text: &str) {
        self.line(&format!(
            "  {} {text}",
            self.paint("ok", |t| t.green().bold().to_string())
        ));
    }

    /// One line of a state diff: `+` added (green), `-` removed (red), `~` changed (yellow).
    pub fn change(&self, text: &str) {
        let painted = match text.chars().next() {
            Some('+') => self.paint(text, |t| t.green().to_string()),
            Some('-') => self.paint(text, |t| t.red().to_string()),
            _ => self.paint(text, |t| t.yellow().to_string()),
        };
        self.line(&format!("    {painted}"));
    }

    pub fn fail(&self, text: &str) {
        self.line(&format!(
            "  {} {text}",
            self.paint("FAIL", |t| t.red().bold().to_string())
        ));
    }
}

fn is_exit(line: &str) -> bool {
    matches!(line.trim(), "exit" | "exit-address-family")
}

fn colorize_config(line: &str) -> String {
    if line.trim_start().starts_with("no ") {
        line.red().to_string()
    } else if is_exit(line) {
        line.dimmed().to_string()
    } else {
        line.green().to_string()
    }
}
