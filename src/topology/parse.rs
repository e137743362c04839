//! Text -> AST. pest recognises `grammar/topology.pest`; one function per rule below turns its
//! pairs into the typed node, and a pest failure becomes one readable [`SourceError`].

use pest::error::{Error as PestError, ErrorVariant, InputLocation};
use pest::iterators::{Pair, Pairs};
use pest::Parser as _;
use pest_derive::Parser;

use super::ast::{self, AddressKind, SegmentKind, Span};
use crate::diagnostic::{Source, SourceError, SourceErrors};

#[derive(Parser)]
#[grammar = "../grammar/topology.pest"]
struct TopologyParser;

/// Parse a topology file into its AST; a syntax error is reported as the only error.
pub fn parse(source: &Source) -> Result<ast::File, SourceErrors> {
    let single = |e| SourceErrors(vec![e]);
    let mut pairs = TopologyParser::parse(Rule::file, &source.text)
        .map_err(|e| single(syntax_error(source, &e)))?;
    let file = pairs.next().ok_or(Mismatch {
        span: 0..0,
        missing: "file".into(),
    });
    file.and_then(file_node)
        .map_err(|m| single(m.into_error(source)))
}

/// A parse tree without a child the grammar promises: a bug, reported as an error rather than
/// a panic so that no input can crash the loader.
struct Mismatch {
    span: Span,
    missing: String,
}

impl Mismatch {
    fn into_error(self, source: &Source) -> SourceError {
        let message = format!(
            "internal error: parse tree does not match the grammar (no {})",
            self.missing
        );
        SourceError::new(source, self.span, message)
            .with_help("this is a bug in mplsrepl; please report it with the file that caused it")
    }
}

type Built<T> = Result<T, Mismatch>;

fn file_node(pair: Pair<'_, Rule>) -> Built<ast::File> {
    let span = span_of(&pair);
    let mut statements = Vec::new();
    for child in pair.into_inner() {
        let statement = match child.as_rule() {
            Rule::lab_decl => ast::Statement::Lab(lab_decl(child)?),
            Rule::image_decl => ast::Statement::Image(image_decl(child)?),
            Rule::router_decl => ast::Statement::Router(router_decl(child)?),
            Rule::link_decl => ast::Statement::Segment(segment_decl(child, SegmentKind::Link)?),
            Rule::network_decl => {
                ast::Statement::Segment(segment_decl(child, SegmentKind::Network)?)
            }
            _ => continue,
        };
        statements.push(statement);
    }
    Ok(ast::File { statements, span })
}

fn lab_decl(pair: Pair<'_, Rule>) -> Built<ast::LabDecl> {
    let span = span_of(&pair);
    let mut children = Children::new(pair);
    let name = word(children.required(Rule::lab_name)?);
    Ok(ast::LabDecl { name, span })
}

/// Both the top-level `image` and a router's `image` clause.
fn image_decl(pair: Pair<'_, Rule>) -> Built<ast::ImageDecl> {
    let span = span_of(&pair);
    let mut children = Children::new(pair);
    let image = string(children.required(Rule::string)?);
    Ok(ast::ImageDecl { image, span })
}

fn router_decl(pair: Pair<'_, Rule>) -> Built<ast::RouterDecl> {
    let span = span_of(&pair);
    let mut children = Children::new(pair);
    let name = word(children.required(Rule::router_name)?);
    let role = word(children.required(Rule::role)?);
    let (loopback, loopback6) = match children.optional(Rule::loopback) {
        Some(lo) => {
            let (v4, v6) = loopback(lo)?;
            (Some(v4), v6)
        }
        None => (None, None),
    };
    let router_id = match children.optional(Rule::router_id) {
        Some(id) => Some(word(Children::new(id).required(Rule::router_id_address)?)),
        None => None,
    };
    let asn = match children.optional(Rule::router_as) {
        Some(a) => Some(word(Children::new(a).required(Rule::as_number)?)),
        None => None,
    };
    let engine = match children.optional(Rule::router_engine) {
        Some(e) => Some(word(Children::new(e).required(Rule::engine_number)?)),
        None => None,
    };
    let image = match children.optional(Rule::router_image) {
        Some(image) => Some(image_decl(image)?),
        None => None,
    };
    Ok(ast::RouterDecl {
        name,
        role,
        loopback,
        loopback6,
        router_id,
        asn,
        engine,
        image,
        span,
    })
}

fn loopback(pair: Pair<'_, Rule>) -> Built<(ast::Prefix, Option<ast::Prefix>)> {
    let mut children = Children::new(pair);
    let v4 = prefix(children.next_pair()?)?;
    let v6 = match children.optional(Rule::prefix6) {
        Some(p) => Some(prefix(p)?),
        None => None,
    };
    Ok((v4, v6))
}

fn segment_decl(pair: Pair<'_, Rule>, kind: SegmentKind) -> Built<ast::SegmentDecl> {
    let span = span_of(&pair);
    let mut children = Children::new(pair);
    let name = word(children.required(Rule::segment_name)?);
    let subnet = prefix(children.next_pair()?)?;
    let subnet6 = match children.optional(Rule::prefix6) {
        Some(p) => Some(prefix(p)?),
        None => None,
    };
    let ends_pair = children.required(Rule::ends)?;
    let ends_span = span_of(&ends_pair);
    let ends = ends(ends_pair)?;
    Ok(ast::SegmentDecl {
        kind,
        name,
        subnet,
        subnet6,
        ends,
        ends_span,
        span,
    })
}

fn ends(pair: Pair<'_, Rule>) -> Built<Vec<ast::End>> {
    pair.into_inner()
        .filter(|p| p.as_rule() == Rule::endpoint)
        .map(endpoint)
        .collect()
}

fn endpoint(pair: Pair<'_, Rule>) -> Built<ast::End> {
    let span = span_of(&pair);
    let mut children = Children::new(pair);
    let reference = children.required(Rule::end_ref)?;
    let reference_span = span_of(&reference);
    let (router, interface) = end_ref(reference)?;
    if let Some(pair) = children.optional(Rule::end_l2vpn) {
        let l2vpn = word(Children::new(pair).required(Rule::l2vpn_name)?);
        return Ok(ast::End {
            router,
            interface,
            address: None,
            address6: None,
            vrf: None,
            l2vpn: Some(l2vpn),
            reference: reference_span,
            span,
        });
    }
    let address = address(children.next_pair()?)?;
    let address6 = children.optional(Rule::address6).map(word);
    let vrf = match children.optional(Rule::end_vrf) {
        Some(pair) => Some(word(Children::new(pair).required(Rule::vrf_name)?)),
        None => None,
    };
    Ok(ast::End {
        router,
        interface,
        address: Some(address),
        address6,
        vrf,
        l2vpn: None,
        reference: reference_span,
        span,
    })
}

/// `ROUTER[:IFACE]`
fn end_ref(pair: Pair<'_, Rule>) -> Built<(ast::Word, Option<ast::Word>)> {
    let mut children = Children::new(pair);
    let router = word(children.required(Rule::router_name)?);
    let interface = children.optional(Rule::iface).map(word);
    Ok((router, interface))
}

fn address(pair: Pair<'_, Rule>) -> Built<ast::Address> {
    let kind = match pair.as_rule() {
        Rule::host_part => AddressKind::HostPart,
        Rule::full_address => AddressKind::Full,
        Rule::address6_first => AddressKind::Ipv6,
        _ => {
            return Err(Mismatch {
                span: span_of(&pair),
                missing: "address".into(),
            })
        }
    };
    Ok(ast::Address {
        kind,
        text: pair.as_str().to_string(),
        span: span_of(&pair),
    })
}

fn prefix(pair: Pair<'_, Rule>) -> Built<ast::Prefix> {
    let span = span_of(&pair);
    let mut children = Children::new(pair);
    let address = match children.optional(Rule::prefix_addr) {
        Some(a) => word(a),
        None => match children.optional(Rule::prefix6_first_addr) {
            Some(a) => word(a),
            None => word(children.required(Rule::prefix6_addr)?),
        },
    };
    let length = word(children.required(Rule::prefix_len)?);
    Ok(ast::Prefix {
        address,
        length,
        span,
    })
}

fn string(pair: Pair<'_, Rule>) -> ast::StringLit {
    let raw = pair.as_str();
    // The grammar guarantees the quotes; `get` keeps a mismatch from panicking.
    let value = raw
        .get(1..raw.len().saturating_sub(1))
        .unwrap_or_default()
        .to_string();
    ast::StringLit {
        value,
        span: span_of(&pair),
    }
}

fn word(pair: Pair<'_, Rule>) -> ast::Word {
    ast::Word {
        text: pair.as_str().to_string(),
        span: span_of(&pair),
    }
}

/// The pair's span, ending at its last child: pest counts the blanks and comments skipped
/// before a failed optional part (`router A p` + `lo`?) into the rule, and an error should
/// not underline them.
fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let span = pair.as_span();
    let end = pair
        .clone()
        .into_inner()
        .last()
        .map_or(span.end(), |child| child.as_span().end());
    span.start()..end
}

/// The children of one pair, taken in grammar order with keyword and punctuation pairs
/// skipped.
struct Children<'i> {
    parent: Span,
    pairs: Pairs<'i, Rule>,
}

impl<'i> Children<'i> {
    fn new(pair: Pair<'i, Rule>) -> Self {
        Children {
            parent: span_of(&pair),
            pairs: pair.into_inner(),
        }
    }

    fn skip_tokens(&mut self) {
        while self.pairs.peek().is_some_and(|p| is_token(p.as_rule())) {
            self.pairs.next();
        }
    }

    fn optional(&mut self, rule: Rule) -> Option<Pair<'i, Rule>> {
        self.skip_tokens();
        if self.pairs.peek()?.as_rule() == rule {
            self.pairs.next()
        } else {
            None
        }
    }

    fn required(&mut self, rule: Rule) -> Built<Pair<'i, Rule>> {
        let span = self.parent.clone();
        self.optional(rule).ok_or_else(|| Mismatch {
            span,
            missing: format!("{rule:?}"),
        })
    }

    fn next_pair(&mut self) -> Built<Pair<'i, Rule>> {
        self.skip_tokens();
        let span = self.parent.clone();
        self.pairs.next().ok_or_else(|| Mismatch {
            span,
            missing: "child".into(),
        })
    }
}

fn is_token(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_lab
            | Rule::kw_image
            | Rule::kw_router
            | Rule::kw_link
            | Rule::kw_network
            | Rule::kw_lo
            | Rule::kw_vrf
            | Rule::kw_l2vpn
            | Rule::kw_engine
            | Rule::kw_as
            | Rule::kw_id
            | Rule::comma
            | Rule::open_brace
            | Rule::close_brace
    )
}

// ---------------------------------------------------------------------------------------------
// Syntax errors

/// Turn pest's failure into "expected X, found `Y`" spanning the token it stopped at.
fn syntax_error(source: &Source, error: &PestError<Rule>) -> SourceError {
    let pos = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    let span = token_at(&source.text, pos);
    let found = source.text.get(span.clone()).unwrap_or_default();
    if found.starts_with('"') && (found.len() == 1 || !found.ends_with('"')) {
        return SourceError::new(source, span, "unterminated string")
            .with_help("close it with `\"` on the same line");
    }
    let expected = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => expected_phrase(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let found = if found.is_empty() {
        "end of file".to_string()
    } else {
        format!("`{found}`")
    };
    let message = format!("expected {expected}, found {found}");
    SourceError::new(source, span, message)
}

const STATEMENT: &str = "a statement (`lab`, `image`, `router`, `link` or `network`)";

/// "a, b or c" from the rules pest tried, each described in the user's terms.
fn expected_phrase(rules: &[Rule]) -> String {
    let mut phrases: Vec<&str> = Vec::new();
    for phrase in rules.iter().filter_map(|r| describe(*r)) {
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    }
    // "end of file" adds nothing when a new statement is also acceptable there.
    if phrases.contains(&STATEMENT) {
        phrases.retain(|p| *p != END_OF_FILE);
    }
    match phrases.as_slice() {
        [] => "something else".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

const END_OF_FILE: &str = "end of file";

fn describe(rule: Rule) -> Option<&'static str> {
    let phrase = match rule {
        // pest names the outermost rule tried where it stopped: at the start of the file, that
        // is `file` itself, where a statement was expected.
        Rule::file
        | Rule::lab_decl
        | Rule::image_decl
        | Rule::router_decl
        | Rule::link_decl
        | Rule::network_decl
        | Rule::kw_lab
        | Rule::kw_image
        | Rule::kw_router
        | Rule::kw_link
        | Rule::kw_network => STATEMENT,
        Rule::router_image => "`image`",
        Rule::router_engine | Rule::kw_engine => "`engine N`",
        Rule::engine_number => "an engine number (1, 2, ...)",
        Rule::router_as | Rule::kw_as => "`as N`",
        Rule::as_number => "an AS number (1-4294967294)",
        Rule::router_id | Rule::kw_id => "`id ADDRESS`",
        Rule::router_id_address => "a router ID like 1.1.1.1",
        Rule::end_vrf | Rule::kw_vrf => "`vrf NAME`",
        Rule::vrf_name => "a VRF name",
        Rule::l2vpn_name => "an L2VPN name",
        Rule::loopback | Rule::kw_lo => "`lo` and a loopback prefix",
        Rule::lab_name => "a lab name",
        Rule::router_name => "a router name",
        Rule::segment_name => "a segment name",
        Rule::role => "a role (p, pe, ce or rr)",
        Rule::iface => "an interface name like eth0",
        Rule::full_address | Rule::host_part => "an address like 10.1.1.2 or .2",
        Rule::prefix | Rule::prefix_addr => "an IPv4 prefix like 10.1.1.0/24",
        Rule::prefix6 | Rule::prefix6_addr => "an IPv6 prefix like 2001:db8:1::/64",
        Rule::prefix_len => "a prefix length from 0 to 32 after `/`",
        Rule::string => "a quoted string like \"labfrr:latest\"",
        Rule::ends | Rule::open_brace => "`{` and the list of ends",
        Rule::endpoint | Rule::end_ref => "an end like PE1:eth0 .2",
        Rule::comma => "`,`",
        Rule::close_brace => "`}`",
        Rule::EOI => END_OF_FILE,
        _ => return None,
    };
    Some(phrase)
}

/// The token starting at `pos` (after any blanks and comments), so that the error underlines
/// the whole offending word rather than one character.
fn token_at(text: &str, pos: usize) -> Span {
    let start = skip_blanks(text, pos);
    let rest = text.get(start..).unwrap_or_default();
    let Some(first) = rest.chars().next() else {
        return start..start;
    };
    let len = match first {
        '"' => rest[1..].find(['"', '\n']).map_or(rest.len(), |i| {
            // Include a closing quote, stop before a newline.
            if rest[1 + i..].starts_with('"') {
                i + 2
            } else {
                i + 1
            }
        }),
        '{' | '}' | ':' | ',' => 1,
        _ => rest.find(|c: char| is_separator(c)).unwrap_or(rest.len()),
    };
    start..start + len
}

fn skip_blanks(text: &str, mut pos: usize) -> usize {
    loop {
        let rest = text.get(pos..).unwrap_or_default();
        let trimmed = rest.trim_start();
        pos += rest.len() - trimmed.len();
        if !trimmed.starts_with('#') {
            return pos;
        }
        pos += trimmed.find('\n').unwrap_or(trimmed.len());
    }
}

/// Characters that end a word: the complement of the grammar's `name_char`.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '{' | '}' | ':' | ',' | '#' | '"')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<ast::File, SourceErrors> {
        parse(&Source::new("t.topo", text))
    }

    fn syntax(text: &str) -> (String, String) {
        let errors = parse_str(text).expect_err("should not parse");
        let e = &errors.0[0];
        (e.message.clone(), e.spanned_text().to_string())
    }

    #[test]
    fn router_line_keeps_every_part_with_spans() {
        let text = "lab x\nrouter CE1 ce lo 192.168.1.1/24 image \"frr:1\"\n";
        let file = parse_str(text).unwrap();
        let ast::Statement::Router(r) = &file.statements[1] else {
            panic!("not a router")
        };
        assert_eq!(&text[r.name.span.clone()], "CE1");
        assert_eq!(r.role.text, "ce");
        let lo = r.loopback.as_ref().unwrap();
        assert_eq!(
            (lo.address.text.as_str(), lo.length.text.as_str()),
            ("192.168.1.1", "24")
        );
        let image = r.image.as_ref().unwrap();
        assert_eq!(image.image.value, "frr:1");
        assert_eq!(&text[image.span.clone()], "image \"frr:1\"");
    }

    #[test]
    fn ends_keep_interfaces_and_address_kinds() {
        let text = "lab x\nnetwork n 10.0.0.0/24 { A:eth3 10.0.0.1, B .2, }";
        let file = parse_str(text).unwrap();
        let ast::Statement::Segment(s) = &file.statements[1] else {
            panic!("not a segment")
        };
        assert_eq!(s.kind, SegmentKind::Network);
        assert_eq!(s.ends.len(), 2);
        assert_eq!(s.ends[0].interface.as_ref().unwrap().text, "eth3");
        assert_eq!(s.ends[0].address.as_ref().unwrap().kind, AddressKind::Full);
        assert_eq!(&text[s.ends[0].reference.clone()], "A:eth3");
        assert!(s.ends[1].interface.is_none());
        assert_eq!(
            s.ends[1].address.as_ref().unwrap().kind,
            AddressKind::HostPart
        );
        assert_eq!(&text[s.ends_span.clone()], "{ A:eth3 10.0.0.1, B .2, }");
    }

    #[test]
    fn missing_comma_names_the_punctuation() {
        let (message, spanned) = syntax("lab x\nlink l 10.0.0.0/24 { A .2 B .3 }");
        assert_eq!(message, "expected `vrf NAME`, `,` or `}`, found `B`");
        assert_eq!(spanned, "B");
    }

    #[test]
    fn bad_prefix_is_described_in_words() {
        let (message, spanned) = syntax("lab x\nlink l 10.0.0.0 { A .2, B .3 }");
        assert_eq!(
            message,
            "expected an IPv4 prefix like 10.1.1.0/24, found `10.0.0.0`"
        );
        assert_eq!(spanned, "10.0.0.0");
    }

    #[test]
    fn forgotten_role_stops_at_the_next_keyword() {
        let (message, spanned) = syntax("lab x\nrouter A lo 1.1.1.1/32");
        assert_eq!(message, "expected a role (p, pe, ce or rr), found `lo`");
        assert_eq!(spanned, "lo");
    }

    #[test]
    fn unterminated_string_is_named() {
        let (message, spanned) = syntax("lab x\nimage \"frr\nrouter A p");
        assert_eq!(message, "unterminated string");
        assert_eq!(spanned, "\"frr");
    }

    #[test]
    fn garbage_at_top_level_lists_statements() {
        let (message, spanned) = syntax("lab x\n# note\nrouters A p");
        assert_eq!(message, format!("expected {STATEMENT}, found `routers`"));
        assert_eq!(spanned, "routers");
    }

    #[test]
    fn truncated_input_reports_end_of_file() {
        let (message, spanned) = syntax("lab x\nlink l 10.0.0.0/24 { A .2,");
        assert_eq!(message, "expected a router name or `}`, found end of file");
        // Where the text stops: its last character, underlined.
        assert_eq!(spanned, ",");
    }

    #[test]
    fn token_at_handles_multibyte_text() {
        let text = "lab x\nrouter é p\n  ünïcode";
        let pos = text.find('ü').unwrap();
        assert_eq!(&text[token_at(text, pos)], "ünïcode");
        assert!(parse_str(text).is_err());
    }
}
