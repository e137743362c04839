//! Grey text after the cursor: the parameters of the function just opened (`vrf(` shows
//! `string, i64) | (string)`), else the rest of a matching history entry.

use rustyline::hint::{Hint, Hinter, HistoryHinter};
use rustyline::Context;

use super::api_index::ApiIndex;
use super::chain::{chain, value_type};
use super::lab_names::LabNames;
use super::lexer::{significant, Kind};

pub struct ReplHint {
    display: String,
    /// Text that the right arrow inserts; parameter lists are only shown.
    insert: Option<String>,
}

impl Hint for ReplHint {
    fn display(&self) -> &str {
        &self.display
    }

    fn completion(&self) -> Option<&str> {
        self.insert.as_deref()
    }
}

pub fn hint(
    line: &str,
    pos: usize,
    ctx: &Context<'_>,
    api: &ApiIndex,
    lab: &LabNames,
) -> Option<ReplHint> {
    if pos != line.len() {
        return None;
    }
    if let Some(params) = parameters(line, api, lab) {
        return Some(ReplHint {
            display: params,
            insert: None,
        });
    }
    HistoryHinter::new()
        .hint(line, pos, ctx)
        .map(|rest| ReplHint {
            display: rest.clone(),
            insert: Some(rest),
        })
}

/// The parameter list of the call opened by the `(` that ends `line`.
fn parameters(line: &str, api: &ApiIndex, lab: &LabNames) -> Option<String> {
    let tokens = significant(line);
    let n = tokens.len();
    if n < 2 || tokens[n - 1].text(line) != "(" || tokens[n - 2].kind != Kind::Ident {
        return None;
    }
    let name = tokens[n - 2].text(line);
    let before = (n >= 3).then(|| tokens[n - 3].text(line));
    let lists: Vec<String> = match before {
        Some("::") if n >= 4 => {
            let f = api.module_fn(tokens[n - 4].text(line), name)?;
            vec![f.params.join(", ")]
        }
        Some(".") => {
            let links = chain(&tokens, line, n - 3);
            let ty = value_type(&links, api, lab);
            let mut overloads = api.overloads(name, ty.as_deref());
            if overloads.is_empty() {
                overloads = api.overloads(name, None);
            }
            overloads
                .iter()
                .filter(|s| s.receiver.is_some())
                .map(|s| s.params.join(", "))
                .collect()
        }
        _ => api
            .overloads(name, None)
            .iter()
            .filter(|s| s.receiver.is_none())
            .map(|s| s.params.join(", "))
            .collect(),
    };
    let mut lists = lists;
    lists.sort();
    lists.dedup();
    if lists.is_empty() {
        return None;
    }
    Some(format!("{})", lists.join(") | (")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> ApiIndex {
        ApiIndex::of_plan_engine()
    }

    #[test]
    fn shows_parameters_of_the_opened_call() {
        let api = api();
        let lab = LabNames::default();
        assert_eq!(
            parameters("router(", &api, &lab).as_deref(),
            Some("string)")
        );
        let vrf = parameters("router(\"PE1\").vrf(", &api, &lab).unwrap();
        assert!(vrf.contains("string, i64"), "{vrf}");
        assert!(parameters("router(\"PE1\")", &api, &lab).is_none());
        assert!(parameters("(", &api, &lab).is_none());
    }
}
