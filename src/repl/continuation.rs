//! When Enter submits the input and when it opens another line.
//!
//! A block typed over several lines (`for r in routers() {` ...) is only evaluated once its
//! brackets balance. Strings continue only where Rhai lets them: a backtick string, or a
//! `"..."` string whose line ends in `\`. Any other unterminated string is submitted, so that
//! Rhai's error points at it instead of leaving the user in a continuation they cannot close.

use super::lexer::{significant, tokenize, Kind};

/// Whether `input` needs more lines before it can be evaluated.
pub fn needs_more(input: &str) -> bool {
    if input.trim_start().starts_with(':') {
        return false;
    }
    if let Some(last) = tokenize(input).last() {
        match last.kind {
            Kind::Comment { closed: false } | Kind::Backtick { closed: false } => return true,
            Kind::Str {
                closed: false,
                continued,
            } => return continued,
            _ => {}
        }
    }
    let tokens = significant(input);
    let mut depth = 0i32;
    for t in &tokens {
        match t.text(input) {
            "(" | "[" | "{" => depth += 1,
            // Too many closers is an error for Rhai to report, not a reason to wait.
            ")" | "]" | "}" => depth -= 1,
            _ => {}
        }
    }
    // A chain broken after its dot: `router("PE1")` Enter `.addresses();` reads as one line.
    let dangling_dot = tokens.last().is_some_and(|t| t.text(input) == ".");
    depth > 0 || dangling_dot
}

#[cfg(test)]
mod tests {
    use super::needs_more;

    #[test]
    fn open_brackets_continue() {
        assert!(needs_more("for r in [\"PR\"] {"));
        assert!(needs_more("for r in [\"PR\"] {\n router(r).addresses();"));
        assert!(!needs_more(
            "for r in [\"PR\"] {\n router(r).addresses();\n}"
        ));
        assert!(needs_more("expect(\"PR\", \"show\", #{"));
        assert!(needs_more("let a = ["));
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        assert!(!needs_more("print(\"{\");"));
        assert!(!needs_more("router(\"PR\"); // {"));
        assert!(needs_more("/* {"));
    }

    #[test]
    fn strings_continue_only_where_rhai_allows() {
        assert!(needs_more("let s = `a"));
        assert!(needs_more("let s = \"a\\"));
        assert!(!needs_more("router(\"PE9"));
    }

    #[test]
    fn extra_closers_and_meta_commands_submit() {
        assert!(!needs_more("}"));
        assert!(!needs_more(":show PR ip route {"));
        assert!(!needs_more(""));
        assert!(needs_more("router(\"PE1\")."));
    }
}
