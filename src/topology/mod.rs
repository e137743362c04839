//! The topology DSL: `grammar/topology.pest` -> AST (with spans) -> validated [`model::Lab`].

pub mod ast;
pub mod model;
pub mod parse;
pub mod validate;
pub mod write;

pub use model::{Endpoint, Interface, Lab, Role, Router, Segment, SegmentKind};

use crate::diagnostic::{Source, SourceErrors};

/// Parse and validate a topology file's text into a lab model.
pub fn load(source: &Source) -> Result<Lab, SourceErrors> {
    let ast = parse::parse(source)?;
    validate::lower(source, &ast)
}

/// Read a topology file from disk and load it.
pub fn load_file(path: &std::path::Path) -> anyhow::Result<Lab> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let source = Source::new(path.display().to_string(), text);
    load(&source).map_err(anyhow::Error::new)
}
