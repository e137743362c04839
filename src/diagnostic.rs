//! Errors that point at the text that caused them.
//!
//! Every user-facing error about a file (topology or script) is a [`SourceError`]: it carries the
//! whole source so it can be rendered with the offending span underlined, and its `Display` starts
//! with `file:line:col` so editors and tests can locate it without rendering.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

/// `text` with its control characters (but newlines and tabs) shown as `\x1b`-style escapes.
/// Error messages quote what routers printed, and a terminal must not obey the escape
/// sequences or bells that output may hold.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A source file shared by every error that points into it.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: Arc<str>,
}

impl Source {
    /// A UTF-8 byte-order mark (which some editors on Windows write) is dropped: it is not
    /// part of the text, and would otherwise be its first, unexpected, character.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => Arc::from(rest),
            None => text,
        };
        Source {
            name: name.into(),
            text,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }
}

/// An empty span past the last word of the text (`found end of file`) underlines nothing, on
/// a line of its own: it goes on the text's last character instead, where the reader stopped.
fn at_end_of_text(text: &str, span: Range<usize>) -> Range<usize> {
    let content_end = text.trim_end().len();
    if !span.is_empty() || span.start < content_end || content_end == 0 {
        return span;
    }
    let last = text[..content_end]
        .char_indices()
        .next_back()
        .map_or(0, |(i, _)| i);
    last..content_end
}

/// One error about a span of a source file.
#[derive(Debug, Clone)]
pub struct SourceError {
    pub source: Source,
    code: Arc<NamedSource<Arc<str>>>,
    pub span: Range<usize>,
    pub message: String,
    /// Short text shown under the span; defaults to the message.
    pub label: Option<String>,
    pub help: Option<String>,
}

impl SourceError {
    pub fn new(source: &Source, span: Range<usize>, message: impl Into<String>) -> Self {
        let span = at_end_of_text(&source.text, span);
        SourceError {
            source: source.clone(),
            code: Arc::new(NamedSource::new(&source.name, source.text.clone())),
            span,
            message: printable(&message.into()),
            label: None,
            help: None,
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(printable(&label.into()));
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(printable(&help.into()));
        self
    }

    pub fn line_col(&self) -> (usize, usize) {
        self.source.line_col(self.span.start)
    }

    /// The exact text under the span (what a test asserts was underlined).
    pub fn spanned_text(&self) -> &str {
        let end = self.span.end.min(self.source.text.len());
        &self.source.text[self.span.start.min(end)..end]
    }

    /// Why this error could not be shown as promised: a span outside the source or inside a
    /// character, or no message. `None` when it is well formed (what the fuzz targets assert).
    pub fn malformed(&self) -> Option<String> {
        let (text, span) = (&*self.source.text, &self.span);
        if span.start > span.end || span.end > text.len() {
            return Some(format!(
                "span {span:?} outside the {}-byte source: {}",
                text.len(),
                self.message
            ));
        }
        if !text.is_char_boundary(span.start) || !text.is_char_boundary(span.end) {
            return Some(format!("span {span:?} cuts a character: {}", self.message));
        }
        if self.message.trim().is_empty() {
            return Some(format!("empty message at {span:?}"));
        }
        None
    }

    /// Render with the source line and the span underlined, colored when `color` is set.
    pub fn render(&self, color: bool) -> String {
        if self.on_a_long_line() {
            return self.render_excerpt();
        }
        let handler = if color {
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode())
        } else {
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        };
        let mut out = String::new();
        let _ = handler.render_report(&mut out, self);
        out
    }
}

/// Lines longer than this (a generated file on one line) are shown as an excerpt around the
/// span: the graphical renderer cannot pad to a column past 65535.
const LONGEST_RENDERED_LINE: usize = 10_000;

/// Characters of a long line shown on each side of the span.
const EXCERPT_CONTEXT: usize = 40;

impl SourceError {
    fn line_bounds(&self) -> Range<usize> {
        let text = &*self.source.text;
        let at = self.span.start.min(text.len());
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        start..end
    }

    fn on_a_long_line(&self) -> bool {
        self.line_bounds().len() > LONGEST_RENDERED_LINE
    }

    /// `file:line:col: message`, then the span with some text on each side, underlined.
    fn render_excerpt(&self) -> String {
        let text = &*self.source.text;
        let line = self.line_bounds();
        let span = self.span.start.min(line.end)
            ..self
                .span
                .end
                .min(line.end)
                .max(self.span.start.min(line.end));
        let before: String = {
            let chars: Vec<char> = text[line.start..span.start].chars().collect();
            chars[chars.len().saturating_sub(EXCERPT_CONTEXT)..]
                .iter()
                .collect()
        };
        let under: String = text[span.clone()].chars().take(EXCERPT_CONTEXT).collect();
        let after: String = text[span.end..line.end]
            .chars()
            .take(EXCERPT_CONTEXT)
            .collect();
        let mut out = format!("error: {self}\n");
        out.push_str(&format!(
            "  | ...{}{}{}...\n",
            printable(&before),
            printable(&under),
            printable(&after)
        ));
        out.push_str(&format!(
            "  |    {}{}\n",
            " ".repeat(before.chars().count()),
            "^".repeat(under.chars().count().max(1))
        ));
        if let Some(help) = &self.help {
            out.push_str(&format!("help: {help}\n"));
        }
        out
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, col) = self.line_col();
        write!(f, "{}:{}:{}: {}", self.source.name, line, col, self.message)
    }
}

impl std::error::Error for SourceError {}

impl Diagnostic for SourceError {
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&*self.code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let len = self.span.end.saturating_sub(self.span.start);
        let label = self.label.clone().unwrap_or_else(|| self.message.clone());
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(label),
            self.span.start,
            len,
        ))))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
}

/// Several errors about one source, reported together.
#[derive(Debug, Clone)]
pub struct SourceErrors(pub Vec<SourceError>);

/// Errors shown of one file: past these, a count. 3000 overlapping links are one mistake made
/// 3000 times, and its first errors say what it is.
pub const ERRORS_SHOWN: usize = 20;

impl SourceErrors {
    pub fn render(&self, color: bool) -> String {
        let mut out: Vec<String> = self
            .0
            .iter()
            .take(ERRORS_SHOWN)
            .map(|e| e.render(color))
            .collect();
        out.extend(self.more());
        out.join("\n")
    }

    /// `... and N more errors`, when some are not shown.
    fn more(&self) -> Option<String> {
        let rest = self.0.len().saturating_sub(ERRORS_SHOWN);
        (rest > 0).then(|| {
            format!(
                "... and {rest} more error{} ({} in all)",
                if rest == 1 { "" } else { "s" },
                self.0.len()
            )
        })
    }
}

impl fmt::Display for SourceErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().take(ERRORS_SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        if let Some(more) = self.more() {
            write!(f, "\n{more}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SourceErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_errors_is_cut_to_the_first_ones_and_a_count() {
        let source = Source::new("lab.topo", "x\n");
        let errors = SourceErrors(
            (0..3000)
                .map(|i| SourceError::new(&source, 0..1, format!("e{i}")))
                .collect(),
        );
        let shown = errors.render(false);
        assert!(shown.contains("e19") && !shown.contains("e20"), "{shown}");
        assert!(
            shown.ends_with("... and 2980 more errors (3000 in all)"),
            "{shown}"
        );
        assert!(errors
            .to_string()
            .ends_with("... and 2980 more errors (3000 in all)"));
        let few = SourceErrors(vec![SourceError::new(&source, 0..1, "only")]);
        assert!(!few.render(false).contains("more"));
    }

    #[test]
    fn router_output_quoted_in_an_error_cannot_drive_the_terminal() {
        let source = Source::new("lab.rhai", "expect(\"PR\", \"show x\", #{});\n");
        let said = "% Unknown command\x1b[2J\x07\r\nnext line\tok";
        let e = SourceError::new(&source, 0..6, format!("PR said: {said}"))
            .with_label(said)
            .with_help(said);
        for shown in [e.to_string(), e.render(false), e.render(true)] {
            assert!(
                !shown.contains('\x07') && !shown.contains('\r'),
                "{shown:?}"
            );
            assert!(
                shown.contains("Unknown command\\x1b[2J\\x07\\x0d"),
                "{shown:?}"
            );
        }
        assert!(
            !e.to_string().contains('\x1b'),
            "no escape left without color"
        );
        assert_eq!(printable("a\nb\tc"), "a\nb\tc", "newlines and tabs stay");
    }
}
