//! Syntax colors for the line being typed: strings, numbers, keywords, comments, module paths
//! and meta-commands. Only colors are added: the text keeps its width, as rustyline requires.

use owo_colors::OwoColorize;

use super::lexer::{tokenize, Kind};

pub fn highlight(line: &str) -> String {
    if let Some(rest) = line.trim_start().strip_prefix(':') {
        return meta(line, rest);
    }
    let tokens = tokenize(line);
    let mut out = String::with_capacity(line.len() * 2);
    for (i, t) in tokens.iter().enumerate() {
        let text = t.text(line);
        let next_is_path = tokens
            .get(i + 1)
            .is_some_and(|n| n.kind == Kind::Punct && n.text(line) == "::");
        let painted = match t.kind {
            Kind::Str { .. } | Kind::Backtick { .. } | Kind::Char { .. } => {
                text.green().to_string()
            }
            Kind::Number => text.yellow().to_string(),
            Kind::Keyword => text.magenta().bold().to_string(),
            Kind::Comment { .. } => text.dimmed().to_string(),
            Kind::Ident if next_is_path => text.cyan().to_string(),
            _ => text.to_string(),
        };
        out.push_str(&painted);
    }
    out
}

/// `:name args`: the command stands out, its arguments stay plain.
fn meta(line: &str, after_colon: &str) -> String {
    let lead = line.len() - line.trim_start().len();
    let name_len = after_colon
        .find(char::is_whitespace)
        .unwrap_or(after_colon.len());
    let end = lead + 1 + name_len;
    format!(
        "{}{}{}",
        &line[..lead],
        (&line[lead..end]).blue().bold(),
        &line[end..]
    )
}

#[cfg(test)]
mod tests {
    use super::highlight;

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut in_escape = false;
        for c in s.chars() {
            match c {
                '\x1b' => in_escape = true,
                'm' if in_escape => in_escape = false,
                _ if in_escape => {}
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn keeps_the_text_and_adds_colors() {
        for line in [
            r#"let r = router("PE1"); // x"#,
            "ospf::core(\"PR\")",
            ":show PR ip route",
            "  :plan",
            "\"unterminated",
            "",
        ] {
            let h = highlight(line);
            assert_eq!(strip(&h), line);
        }
        assert_ne!(highlight("let x = 1;"), "let x = 1;");
        assert!(highlight(":graph").contains('\x1b'));
    }
}
