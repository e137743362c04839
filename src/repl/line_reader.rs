//! Reading one input with rustyline, which owns the terminal only while it reads.
//!
//! A rustyline editor on a terminal replaces the SIGINT handler for as long as it exists, and
//! turns a Ctrl-C pressed while a line runs into a pending "interrupted" for the next prompt;
//! the REPL's own handler would never hear it. So an editor is built for each read and dropped
//! right after, which gives SIGINT back to [`crate::interrupt`] while the line runs. The
//! history (and its file bookkeeping) moves from one editor to the next.

use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};

use super::helper::ReplHelper;

pub struct LineReader {
    config: Config,
    history: DefaultHistory,
}

impl LineReader {
    pub fn new() -> rustyline::Result<Self> {
        let config = Config::builder()
            .completion_type(CompletionType::List)
            .completion_show_all_if_ambiguous(true)
            .history_ignore_dups(true)?
            .history_ignore_space(true)
            .max_history_size(10_000)?
            .auto_add_history(false)
            .build();
        let history = DefaultHistory::with_config(&config);
        Ok(LineReader { config, history })
    }

    pub fn history_mut(&mut self) -> &mut DefaultHistory {
        &mut self.history
    }

    /// One line (or block, once the helper's validator accepts it).
    pub fn read(&mut self, prompt: &str, helper: ReplHelper) -> rustyline::Result<String> {
        let history =
            std::mem::replace(&mut self.history, DefaultHistory::with_config(&self.config));
        let mut editor: Editor<ReplHelper, DefaultHistory> =
            Editor::with_history(self.config.clone(), history)?;
        editor.set_helper(Some(helper));
        let line = editor.readline(prompt);
        self.history = std::mem::replace(
            editor.history_mut(),
            DefaultHistory::with_config(&self.config),
        );
        line
    }
}
