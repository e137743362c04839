//! Quoting for the scripts mplsrepl runs in routers: one shell word, whatever the text holds.

/// One shell word, whatever `text` holds.
pub fn shell_word(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
