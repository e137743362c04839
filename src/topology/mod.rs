//! The topology DSL: `grammar/topology.pest` -> AST (with spans) -> validated [`model::Lab`].

pub mod ast;
pub mod domain;
pub mod martian;
pub mod model;
pub mod names;
pub mod parse;
pub mod validate;
pub mod write;

pub use model::{Endpoint, Interface, Lab, Role, Router, Segment, SegmentKind};

use crate::diagnostic::{Source, SourceErrors};

/// Parse and validate a topology file's text into a lab model.
pub fn load(source: &Source) -> Result<Lab, SourceErrors> {
    load_for(source, None)
}

/// [`load`] for a lab spread over `engines` engines, when known: an `engine N` past them is an
/// error at its number.
pub fn load_for(source: &Source, engines: Option<usize>) -> Result<Lab, SourceErrors> {
    let ast = parse::parse(source)?;
    let lab = validate::lower(source, &ast)?;
    if let Some(engines) = engines {
        validate::engines_within(source, &ast, engines)?;
    }
    Ok(lab)
}

/// Read a topology file from disk and load it.
/// No topology is this large; the cap keeps `/dev/zero` or a wrong path from reading forever.
const MAX_TOPOLOGY_BYTES: u64 = 16 << 20;

pub fn load_file(path: &std::path::Path) -> anyhow::Result<Lab> {
    load_file_for(path, None)
}

/// [`load_file`] for a lab spread over `engines` engines ([`load_for`]).
pub fn load_file_for(path: &std::path::Path, engines: Option<usize>) -> anyhow::Result<Lab> {
    use std::io::Read;
    let cannot = |e: &dyn std::fmt::Display| anyhow::anyhow!("cannot read {}: {e}", path.display());
    if crate::catalogue::is_builtin(path) {
        let text = crate::catalogue::read_to_string(path).map_err(|e| cannot(&e))?;
        let source = Source::new(path.display().to_string(), text);
        return load_for(&source, engines).map_err(anyhow::Error::new);
    }
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    let mut text = String::new();
    file.take(MAX_TOPOLOGY_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| cannot(&e))?;
    if text.len() as u64 > MAX_TOPOLOGY_BYTES {
        anyhow::bail!(
            "{} is larger than {} MiB: not a topology",
            path.display(),
            MAX_TOPOLOGY_BYTES >> 20
        );
    }
    let source = Source::new(path.display().to_string(), text);
    load_for(&source, engines).map_err(anyhow::Error::new)
}
