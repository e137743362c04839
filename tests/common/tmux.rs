//! A private tmux server driving one pane: a pseudo-terminal for the REPL and the tutorials'
//! prompts, typed into and read back as a user meets them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(30);

/// A private tmux server (its own socket) running one pane; killed when dropped.
pub struct Tmux {
    socket: String,
    /// The socket file, which `kill-server` leaves behind.
    socket_path: Option<PathBuf>,
}

impl Tmux {
    pub fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    pub fn start(dir: &Path, command: &str) -> Tmux {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut tmux = Tmux {
            socket: format!("mplsrepl-test-{}-{nanos}", std::process::id()),
            socket_path: None,
        };
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "50",
            "-c",
            &dir.display().to_string(),
            command,
        ]);
        // Keep the pane after the REPL exits, to read its last screen.
        tmux.run(&["set-option", "-g", "remain-on-exit", "on"]);
        tmux.run(&["set-option", "-g", "history-limit", "10000"]);
        let path = tmux.run(&["display-message", "-p", "#{socket_path}"]);
        tmux.socket_path = Some(PathBuf::from(path.trim()));
        tmux
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Type text literally. tmux reads an argument ending in `;` as a command separator.
    pub fn type_text(&self, text: &str) {
        let escaped = match text.strip_suffix(';') {
            Some(head) => format!("{head}\\;"),
            None => text.to_string(),
        };
        self.run(&["send-keys", "-l", &escaped]);
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    pub fn line(&self, text: &str) {
        self.type_text(text);
        self.keys(&["Enter"]);
    }

    /// The visible screen and its scrollback.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-J", "-S", "-10000"])
    }

    /// Poll the screen until `ready` holds; fail with the screen after a timeout.
    pub fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        self.wait_for_long(what, WAIT.as_secs(), ready)
    }

    /// [`Tmux::wait_for`] for up to `secs`, for what a lab takes to build or converge.
    pub fn wait_for_long(&self, what: &str, secs: u64, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Type a line and wait until it is done: a new prompt below it.
    pub fn line_done(&self, text: &str, prompt: &str) -> String {
        let n = self.screen().matches(prompt).count();
        self.line(text);
        self.wait_for_long(&format!("`{text}` to finish"), 120, |s| {
            s.matches(prompt).count() > n && s.trim_end().ends_with(prompt.trim_end())
        })
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(&format!("`{text}`"), |s| s.contains(text))
    }

    /// Wait for one more occurrence of `text` than `before` had.
    pub fn wait_new(&self, before: &str, text: &str) -> String {
        let n = before.matches(text).count();
        self.wait_for(&format!("a new `{text}`"), |s| s.matches(text).count() > n)
    }

    /// Wait until the REPL waits at `prompt`: the terminal is back in raw mode, where control
    /// keys are keys (in the cooked mode of a running line, Ctrl-D typed ahead is lost).
    pub fn wait_prompt(&self, prompt: &str) {
        self.wait_for(&format!("the prompt `{prompt}`"), |s| {
            s.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::trim_end)
                == Some(prompt.trim_end())
        });
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
