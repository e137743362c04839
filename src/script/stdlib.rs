//! The stdlib modules (`stdlib/*.rhai`), embedded so the binary works from any directory.
//!
//! `import "ospf" as ospf;` finds the embedded module first; any other path is a file relative
//! to the script's directory.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

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
    ("l2vpn", include_str!("../../stdlib/l2vpn.rhai")),
    ("breakfix", include_str!("../../stdlib/breakfix.rhai")),
    ("interas", include_str!("../../stdlib/interas.rhai")),
    ("srv6", include_str!("../../stdlib/srv6.rhai")),
];

pub fn resolver(script_dir: &Path) -> ModuleResolversCollection {
    let mut all = ModuleResolversCollection::new();
    all.push(EmbeddedResolver);
    all.push(FileResolver {
        files: FileModuleResolver::new_with_path(script_dir),
        importing: RefCell::new(Vec::new()),
    });
    all
}

/// A script's own modules, relative to its directory. A module that imports itself, or two
/// that import each other, is an error at the `import` that closes the circle, not an endless
/// recursion.
struct FileResolver {
    files: FileModuleResolver,
    /// The files being imported, outermost first.
    importing: RefCell<Vec<PathBuf>>,
}

impl rhai::ModuleResolver for FileResolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: rhai::Position,
    ) -> Result<rhai::Shared<Module>, Box<rhai::EvalAltResult>> {
        let file = self.files.get_file_path(path, source.map(Path::new));
        let file = std::fs::canonicalize(&file).unwrap_or(file);
        let circle = {
            let importing = self.importing.borrow();
            importing.iter().position(|f| *f == file).map(|at| {
                importing[at..]
                    .iter()
                    .chain(std::iter::once(&file))
                    .map(|f| {
                        f.file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned()
                    })
                    .collect::<Vec<_>>()
                    .join(" -> ")
            })
        };
        if let Some(circle) = circle {
            // A resolver may only fail with "not found" or an error in the module.
            let why = rhai::EvalAltResult::ErrorRuntime(
                format!("modules import each other in a circle: {circle}").into(),
                pos,
            );
            return Err(Box::new(rhai::EvalAltResult::ErrorInModule(
                path.to_string(),
                Box::new(why),
                pos,
            )));
        }
        self.importing.borrow_mut().push(file);
        let module = self.files.resolve(engine, source, path, pos);
        self.importing.borrow_mut().pop();
        module
    }
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

/// A closure's hidden function, not a function of the API (lists of the API skip it).
pub fn is_closure(name: &str) -> bool {
    name.starts_with("anon$")
}

/// Make the closures the stdlib's functions create callable where they are called.
///
/// Rhai compiles a closure to a hidden function (`anon$...`) of the module that defines it, and
/// looks that name up in the caller's namespace, where it is not: a closure a stdlib function
/// returns (`breakfix::checks()`'s checks) fails with "function not found". Its hidden function
/// is made global here (same source, same name). Such a closure may call the API, not its own
/// module's other functions.
pub fn register_closures(engine: &mut Engine) {
    for (name, text) in MODULES {
        let Ok(mut ast) = engine.compile(*text) else {
            // The module's own import reports the error, with its position.
            continue;
        };
        ast.clear_statements();
        ast.retain_functions(|_, _, f, _| is_closure(f));
        if !ast.has_functions() {
            continue;
        }
        match Module::eval_ast_as_new(Scope::new(), &ast, engine) {
            Ok(closures) => {
                engine.register_global_module(closures.into());
            }
            Err(e) => eprintln!("warning: the closures of stdlib module {name} are unusable: {e}"),
        }
    }
}
