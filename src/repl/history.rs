//! Where the REPL's history lives, and keeping it there after every input (a crash or a closed
//! terminal loses nothing; two REPLs append to the same file instead of overwriting it).

use std::path::{Path, PathBuf};

use rustyline::history::History;

/// `$XDG_DATA_HOME/mplsrepl/history` (or the platform's data directory).
pub fn default_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("mplsrepl").join("history"))
}

pub struct HistoryFile {
    path: Option<PathBuf>,
    warned: bool,
}

impl HistoryFile {
    /// Load the file into the editor; a missing file is a first start, not an error.
    pub fn open(path: Option<PathBuf>, history: &mut impl History) -> Self {
        let mut me = HistoryFile {
            path,
            warned: false,
        };
        if let Some(path) = me.path.clone() {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if let Err(e) = std::fs::create_dir_all(dir) {
                    me.warn(&format!("cannot create {}: {e}", dir.display()));
                }
            }
            if path.exists() {
                if let Err(e) = history.load(&path) {
                    me.warn(&format!("cannot read history {}: {e}", path.display()));
                }
            }
        }
        me
    }

    pub fn add(&mut self, history: &mut impl History, entry: &str) {
        if !matches!(history.add(entry), Ok(true)) {
            return;
        }
        let Some(path) = self.path.clone() else {
            return;
        };
        if let Err(e) = history.append(&path) {
            self.warn(&format!("cannot save history to {}: {e}", path.display()));
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Once: a read-only home should not repeat the same warning after every line.
    fn warn(&mut self, msg: &str) {
        if !self.warned {
            eprintln!("warning: {msg}; history is kept for this session only");
            self.warned = true;
        }
    }
}
