//! What can be called: the engine's registered functions and methods, and the imported modules'
//! functions, read from the engine's own metadata so completion never lags behind the API.

use std::collections::{BTreeMap, BTreeSet};

use rhai::{Engine, Module};

/// One registered overload, types as Rhai names them (`Router`, `string`, `i64`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    /// The first parameter's type when it is one of the API's handle types: a method.
    pub receiver: Option<String>,
    /// Parameter types after the receiver.
    pub params: Vec<String>,
    pub returns: String,
    /// A property getter (`r.name`) rather than a callable method.
    pub property: bool,
}

/// A function of an imported module (`ospf::core(name)`), with its doc comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFn {
    pub name: String,
    pub params: Vec<String>,
    pub doc: String,
}

#[derive(Debug, Clone, Default)]
pub struct ApiIndex {
    signatures: Vec<Signature>,
    /// Module alias -> its public functions.
    modules: BTreeMap<String, Vec<ModuleFn>>,
}

/// Rhai's own types: a first parameter of one of these does not make a method of the API.
const BUILTIN_TYPES: &[&str] = &["Dynamic", "Fn", "FnPtr", "Array", "Map", "Blob"];

impl ApiIndex {
    pub fn from_engine(engine: &Engine) -> Self {
        let signatures = engine
            .gen_fn_signatures(false)
            .iter()
            .filter(|s| !crate::script::stdlib::is_closure(s))
            .filter_map(|s| parse_signature(s, engine))
            .collect();
        ApiIndex {
            signatures,
            modules: BTreeMap::new(),
        }
    }

    /// Record a module under the alias it is imported as; `docs` maps function names to their
    /// doc comments where the source is known.
    pub fn add_module(&mut self, alias: &str, module: &Module, docs: &BTreeMap<String, String>) {
        let mut fns: Vec<ModuleFn> = module
            .gen_fn_signatures_with_mapper(std::borrow::Cow::Borrowed)
            .filter_map(|s| {
                let (name, params) = split_call(&s)?;
                // Closures written in the module's source are functions too, named `anon$...`.
                if crate::script::stdlib::is_closure(&name) {
                    return None;
                }
                Some(ModuleFn {
                    doc: docs.get(&name).cloned().unwrap_or_default(),
                    params: params.iter().map(|p| param_name(p)).collect(),
                    name,
                })
            })
            .collect();
        fns.sort_by(|a, b| a.name.cmp(&b.name));
        fns.dedup_by(|a, b| a.name == b.name);
        self.modules.insert(alias.to_string(), fns);
    }

    pub fn modules(&self) -> &BTreeMap<String, Vec<ModuleFn>> {
        &self.modules
    }

    pub fn module_fn(&self, alias: &str, name: &str) -> Option<&ModuleFn> {
        self.modules.get(alias)?.iter().find(|f| f.name == name)
    }

    /// Names callable without a receiver: `router`, `topology`, `expect`, ...
    pub fn functions(&self) -> BTreeSet<&str> {
        self.signatures
            .iter()
            .filter(|s| s.receiver.is_none() && !s.property && !is_operator(&s.name))
            .map(|s| s.name.as_str())
            .collect()
    }

    /// Methods (and properties, flagged) callable on `receiver`, or on any handle when unknown.
    pub fn methods(&self, receiver: Option<&str>) -> BTreeMap<&str, bool> {
        self.signatures
            .iter()
            .filter(|s| s.receiver.is_some() && !is_operator(&s.name))
            .filter(|s| receiver.is_none() || s.receiver.as_deref() == receiver)
            .filter(|s| !matches!(s.name.as_str(), "to_string" | "print"))
            .map(|s| (s.name.as_str(), s.property))
            .collect()
    }

    /// What `name` returns when called on `receiver` (or as a function); `None` when the
    /// overloads disagree or the name is unknown.
    pub fn returns(&self, name: &str, receiver: Option<&str>) -> Option<String> {
        let mut types: BTreeSet<&str> = self
            .signatures
            .iter()
            .filter(|s| s.name == name && (receiver.is_none() || s.receiver.as_deref() == receiver))
            .map(|s| s.returns.as_str())
            .collect();
        if types.len() == 1 {
            types.pop_first().map(str::to_string)
        } else {
            None
        }
    }

    /// Every overload of `name`, for hints.
    pub fn overloads(&self, name: &str, receiver: Option<&str>) -> Vec<&Signature> {
        self.signatures
            .iter()
            .filter(|s| s.name == name && !s.property)
            .filter(|s| receiver.is_none() || s.receiver.as_deref() == receiver)
            .collect()
    }
}

fn is_operator(name: &str) -> bool {
    !name.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

/// `vrf(_: &mut Router, _: string, _: i64) -> core::result::Result<x::VrfRef, ...>`.
fn parse_signature(text: &str, engine: &Engine) -> Option<Signature> {
    let (name, params) = split_call(text)?;
    let returns = text
        .rsplit_once(") -> ")
        .map(|(_, r)| type_name(r, engine))
        .unwrap_or_else(|| "()".to_string());
    let mut types: Vec<String> = params.iter().map(|p| param_type(p, engine)).collect();
    let receiver = match types.first() {
        Some(first) if is_handle_type(first) => Some(types.remove(0)),
        _ => None,
    };
    let (name, property) = match name.strip_prefix("get$") {
        Some(prop) => (prop.to_string(), true),
        None if name.starts_with("set$") => return None,
        None => (name, false),
    };
    Some(Signature {
        name,
        receiver,
        params: types,
        returns,
        property,
    })
}

fn is_handle_type(t: &str) -> bool {
    t.starts_with(|c: char| c.is_ascii_uppercase()) && !BUILTIN_TYPES.contains(&t)
}

/// `name(a, b)` -> (`name`, [`a`, `b`]), commas inside `<...>` kept.
fn split_call(text: &str) -> Option<(String, Vec<String>)> {
    let text = text.strip_prefix("fn ").unwrap_or(text);
    let open = text.find('(')?;
    let name = text[..open].trim().to_string();
    let mut depth = 0i32;
    let mut params = Vec::new();
    let mut current = String::new();
    for c in text[open + 1..].chars() {
        match c {
            '<' | '(' => depth += 1,
            '>' if depth > 0 => depth -= 1,
            ')' if depth == 0 => break,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                params.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        params.push(current.trim().to_string());
    }
    (!name.is_empty()).then_some((name, params))
}

/// `_: &mut Router` -> `Router`.
fn param_type(param: &str, engine: &Engine) -> String {
    let ty = param.split_once(": ").map_or(param, |(_, t)| t);
    type_name(
        ty.trim_start_matches("&mut ").trim_start_matches('&'),
        engine,
    )
}

/// `name: string` or `name` -> `name`.
fn param_name(param: &str) -> String {
    param
        .split_once(':')
        .map_or(param, |(n, _)| n)
        .trim()
        .to_string()
}

/// A Rust or Rhai type as the user knows it: `Result<T, _>` is `T`, registered types by their
/// Rhai names, paths by their last segment.
fn type_name(ty: &str, engine: &Engine) -> String {
    let ty = ty.trim();
    let inner = ty
        .split_once("Result<")
        .map(|(_, rest)| rest.split(',').next().unwrap_or(rest))
        .unwrap_or(ty)
        .trim();
    let mapped = engine.map_type_name(inner);
    mapped.rsplit("::").next().unwrap_or(mapped).to_string()
}

#[cfg(test)]
impl ApiIndex {
    /// The index of a fresh engine on the plan backend, for tests.
    pub fn of_plan_engine() -> ApiIndex {
        let session = crate::script::Session::new(
            Box::new(crate::runtime::plan::PlanBackend),
            crate::ui::Reporter::buffer(false).0,
            Default::default(),
        );
        let engine = crate::script::ScriptEngine::new(session);
        ApiIndex::from_engine(&engine.rhai)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone)]
    struct R;
    #[derive(Clone)]
    struct V;

    fn engine() -> Engine {
        let mut e = Engine::new();
        e.register_type_with_name::<R>("Router")
            .register_type_with_name::<V>("Vrf");
        e.register_fn("router", |_: &str| -> Result<R, Box<rhai::EvalAltResult>> {
            Ok(R)
        });
        e.register_fn("vrf", |_: &mut R, _: &str, _: i64| V);
        e.register_fn("vrf", |_: &mut R, _: &str| V);
        e.register_fn("bind", |_: &mut V, _: &str| V);
        e.register_get("name", |_: &mut R| String::new());
        e
    }

    #[test]
    fn methods_and_functions_from_metadata() {
        let idx = ApiIndex::from_engine(&engine());
        assert!(idx.functions().contains("router"));
        assert!(!idx.functions().contains("vrf"));
        let m = idx.methods(Some("Router"));
        assert_eq!(m.get("vrf"), Some(&false));
        assert_eq!(m.get("name"), Some(&true));
        assert!(!m.contains_key("bind"));
        assert_eq!(idx.returns("router", None).as_deref(), Some("Router"));
        assert_eq!(idx.returns("vrf", Some("Router")).as_deref(), Some("Vrf"));
        assert_eq!(idx.overloads("vrf", Some("Router")).len(), 2);
    }

    #[test]
    fn module_functions_with_docs() {
        let e = engine();
        let ast = e
            .compile("fn core(name) {} private fn hidden() {}")
            .unwrap();
        let module = Module::eval_ast_as_new(rhai::Scope::new(), &ast, &e).unwrap();
        let mut idx = ApiIndex::default();
        let docs = BTreeMap::from([("core".to_string(), "OSPF core".to_string())]);
        idx.add_module("ospf", &module, &docs);
        let f = idx.module_fn("ospf", "core").unwrap();
        assert_eq!(f.params, ["name"]);
        assert_eq!(f.doc, "OSPF core");
        assert!(idx.module_fn("ospf", "hidden").is_none());
    }

    #[test]
    fn odd_signatures_do_not_panic() {
        let e = Engine::new();
        for s in [
            "",
            "(",
            "x(",
            "x() -> ",
            "get$(",
            "f(_: Result<a,b>, _: i64) -> ()",
        ] {
            let _ = parse_signature(s, &e);
        }
        assert_eq!(
            split_call("f(_: Result<a,b>, _: i64)").unwrap().1,
            ["_: Result<a,b>", "_: i64"]
        );
    }
}
