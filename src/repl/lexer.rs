//! A forgiving tokenizer for Rhai text being typed.
//!
//! Highlighting, multi-line input and completion all need to know where strings, comments and
//! brackets are in a line that is usually unfinished, so this lexer never fails: an unclosed
//! string or comment is a token that says so. Rhai's own tokenizer is for complete programs.

/// What a token is; strings and comments record whether they were closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Space,
    Comment {
        closed: bool,
    },
    /// `"..."`; `continued` when the text ends in a `\` line continuation inside it.
    Str {
        closed: bool,
        continued: bool,
    },
    /// `` `...` ``: Rhai's multi-line string.
    Backtick {
        closed: bool,
    },
    Char {
        closed: bool,
    },
    Number,
    Ident,
    Keyword,
    /// Any other character, or `::`.
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start..self.end]
    }

    /// Whether this token ends the text without being closed (the cursor is inside it).
    pub fn is_open(&self) -> bool {
        matches!(
            self.kind,
            Kind::Comment { closed: false }
                | Kind::Str { closed: false, .. }
                | Kind::Backtick { closed: false }
                | Kind::Char { closed: false }
        )
    }
}

const KEYWORDS: &[&str] = &[
    "let", "const", "if", "else", "switch", "do", "while", "until", "loop", "for", "in",
    "continue", "break", "return", "throw", "try", "catch", "import", "export", "as", "global",
    "private", "fn", "this", "true", "false",
];

pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

pub fn keywords() -> &'static [&'static str] {
    KEYWORDS
}

/// Every token of `src`, covering it entirely (whitespace included).
pub fn tokenize(src: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < src.len() {
        let (kind, len) = next_token(&src[pos..]);
        tokens.push(Token {
            kind,
            start: pos,
            end: pos + len,
        });
        pos += len;
    }
    tokens
}

/// The tokens that carry meaning: no whitespace, no comments.
pub fn significant(src: &str) -> Vec<Token> {
    tokenize(src)
        .into_iter()
        .filter(|t| !matches!(t.kind, Kind::Space | Kind::Comment { .. }))
        .collect()
}

fn next_token(rest: &str) -> (Kind, usize) {
    let mut chars = rest.chars();
    let c = chars.next().expect("caller checks for the end");
    let second = chars.next();
    match c {
        c if c.is_whitespace() => (Kind::Space, take_while(rest, char::is_whitespace)),
        '/' if second == Some('/') => (
            Kind::Comment { closed: true },
            rest.find('\n').unwrap_or(rest.len()),
        ),
        '/' if second == Some('*') => block_comment(rest),
        '"' => string(rest),
        '`' => match rest[1..].find('`') {
            Some(i) => (Kind::Backtick { closed: true }, i + 2),
            None => (Kind::Backtick { closed: false }, rest.len()),
        },
        '\'' => char_literal(rest),
        c if c.is_ascii_digit() => (
            Kind::Number,
            take_while(rest, |c| c.is_ascii_alphanumeric() || c == '_' || c == '.'),
        ),
        c if c.is_alphabetic() || c == '_' => {
            let len = take_while(rest, |c| c.is_alphanumeric() || c == '_');
            let kind = if is_keyword(&rest[..len]) {
                Kind::Keyword
            } else {
                Kind::Ident
            };
            (kind, len)
        }
        ':' if second == Some(':') => (Kind::Punct, 2),
        c => (Kind::Punct, c.len_utf8()),
    }
}

fn take_while(text: &str, pred: impl Fn(char) -> bool) -> usize {
    text.char_indices()
        .find(|(_, c)| !pred(*c))
        .map_or(text.len(), |(i, _)| i)
}

/// Rhai block comments nest.
fn block_comment(rest: &str) -> (Kind, usize) {
    let bytes = rest.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return (Kind::Comment { closed: true }, i);
                }
            }
            _ => i += 1,
        }
    }
    (Kind::Comment { closed: false }, rest.len())
}

/// A `"..."` string. A raw newline ends it unclosed (Rhai rejects it); `\` + newline continues it.
fn string(rest: &str) -> (Kind, usize) {
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => {
                return (
                    Kind::Str {
                        closed: true,
                        continued: false,
                    },
                    i + 1,
                )
            }
            '\n' => {
                return (
                    Kind::Str {
                        closed: false,
                        continued: false,
                    },
                    i,
                )
            }
            _ => {}
        }
    }
    let continued = escaped;
    (
        Kind::Str {
            closed: false,
            continued,
        },
        rest.len(),
    )
}

fn char_literal(rest: &str) -> (Kind, usize) {
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\'' => return (Kind::Char { closed: true }, i + 1),
            '\n' => return (Kind::Char { closed: false }, i),
            _ => {}
        }
    }
    (Kind::Char { closed: false }, rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, &str)> {
        tokenize(src)
            .into_iter()
            .filter(|t| t.kind != Kind::Space)
            .map(|t| (t.kind, t.text(src)))
            .collect()
    }

    #[test]
    fn splits_a_call_chain() {
        let got = kinds(r#"router("PE1").vrf("A", 10);"#);
        assert_eq!(got[0], (Kind::Ident, "router"));
        assert_eq!(
            got[2],
            (
                Kind::Str {
                    closed: true,
                    continued: false
                },
                "\"PE1\""
            )
        );
        assert!(got.contains(&(Kind::Number, "10")));
    }

    #[test]
    fn unfinished_things_are_open_tokens() {
        let t = tokenize(r#"router("P"#);
        assert!(t.last().unwrap().is_open());
        assert!(tokenize("/* a /* b */").last().unwrap().is_open());
        assert!(tokenize("`multi\nline").last().unwrap().is_open());
        assert!(!tokenize("/* a /* b */ */").last().unwrap().is_open());
    }

    #[test]
    fn escaped_quote_and_continuation() {
        let src = "\"a\\\"b\"";
        assert_eq!(tokenize(src).len(), 1);
        let t = tokenize("\"abc\\");
        assert_eq!(
            t[0].kind,
            Kind::Str {
                closed: false,
                continued: true
            }
        );
    }

    #[test]
    fn module_path_and_keywords() {
        let got = kinds("import \"ospf\" as ospf; ospf::core(r)");
        assert_eq!(got[0], (Kind::Keyword, "import"));
        assert!(got.contains(&(Kind::Punct, "::")));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for src in ["\"", "'", "/", "/*", "`", "é'\\", "\\", "::", "0x_é"] {
            let t = tokenize(src);
            assert_eq!(t.last().map(|t| t.end), Some(src.len()));
        }
    }
}
