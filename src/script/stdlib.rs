//! The stdlib modules (`stdlib/*.rhai`), embedded so the binary works from any directory.
//!
//! `import "ospf" as ospf;` finds the embedded module first; any other path is a file relative
//! to the script's directory.

use std::path::Path;

use rhai::module_resolvers::{FileModuleResolver, ModuleResolversCollection};
use rhai::{Engine, Module, Scope};

pub const MODULES: &[(&str, &str)] = &[
    ("ospf", include_str!("../../stdlib/ospf.rhai")),
    ("isis", include_str!("../../stdlib/isis.rhai")),
    ("ldp", include_str!("../../stdlib/ldp.rhai")),
    ("mpbgp", include_str!("../../stdlib/mpbgp.rhai")),
    ("vrf", include_str!("../../stdlib/vrf.rhai")),
    ("checks", include_str!("../../stdlib/checks.rhai")),
    ("sr", include_str!("../../stdlib/sr.rhai")),
    ("bfd", include_str!("../../stdlib/bfd.rhai")),
];

pub fn resolver(script_dir: &Path) -> ModuleResolversCollection {
    let mut all = ModuleResolversCollection::new();
    all.push(EmbeddedResolver);
    all.push(FileModuleResolver::new_with_path(script_dir));
    all
}

/// Compiles an embedded module on first import.
struct EmbeddedResolver;

impl rhai::ModuleResolver for EmbeddedResolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: rhai::Position,
    ) -> Result<rhai::Shared<Module>, Box<rhai::EvalAltResult>> {
        let Some((name, text)) = MODULES.iter().find(|(name, _)| *name == path) else {
            return Err(Box::new(rhai::EvalAltResult::ErrorModuleNotFound(
                path.to_string(),
                pos,
            )));
        };
        let mut ast = engine.compile(*text).map_err(|e| {
            Box::new(rhai::EvalAltResult::ErrorInModule(
                name.to_string(),
                Box::new(e.into()),
                pos,
            ))
        })?;
        ast.set_source(format!("stdlib/{name}.rhai"));
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine)?;
        Ok(module.into())
    }
}
