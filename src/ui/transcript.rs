//! A transcript kept as entries instead of printed at once. `plan` runs its script once and
//! prints afterwards, when the daemons each router needs (which any later step may add to) are
//! known; `run --step` shows each step's entries before running it.

use std::sync::{Arc, Mutex};

/// One entry of the transcript, already painted where it has color.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A step begins: its header line.
    Step(String),
    Line(String),
    /// A router's container: the line up to its daemons, which are written when the
    /// transcript is printed.
    Container {
        router: String,
        head: String,
    },
}

/// The entries a recording [`Reporter`](super::Reporter) wrote, shared with it.
#[derive(Clone, Default)]
pub struct Transcript(pub(super) Arc<Mutex<Vec<Entry>>>);

impl Transcript {
    fn entries(&self) -> Vec<Entry> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The whole text, as the reporter would have printed it, each container with `daemons`
    /// of its router.
    pub fn text(&self, daemons: &dyn Fn(&str) -> String) -> String {
        let mut out = String::new();
        for entry in self.entries() {
            match entry {
                Entry::Step(header) => {
                    out.push('\n');
                    out.push_str(&header);
                }
                Entry::Line(line) => out.push_str(&line),
                Entry::Container { router, head } => {
                    out.push_str(&head);
                    out.push_str(&daemons(&router));
                }
            }
            out.push('\n');
        }
        out
    }

    /// Each step's lines, without its header and without empty lines.
    pub fn steps(&self, daemons: &dyn Fn(&str) -> String) -> Vec<String> {
        let mut steps: Vec<String> = Vec::new();
        for entry in self.entries() {
            let line = match entry {
                Entry::Step(_) => {
                    steps.push(String::new());
                    continue;
                }
                Entry::Line(line) => line,
                Entry::Container { router, head } => format!("{head}{}", daemons(&router)),
            };
            if let Some(current) = steps.last_mut() {
                if !line.is_empty() {
                    current.push_str(&line);
                    current.push('\n');
                }
            }
        }
        steps
    }
}
