//! The engine behind the prompt: the same [`ScriptEngine`] as `run`, plus what a REPL must keep
//! between lines and Rhai does not: variables (a persistent scope), functions defined on earlier
//! lines, and imported modules.
//!
//! Rhai forgets `import "x" as y;` when an evaluation ends, so imports are turned into static
//! modules of the engine; the stdlib modules are there from the start, so `ospf::core("PR")`
//! works without importing anything.

use std::collections::BTreeMap;
use std::path::Path;

use rhai::{Dynamic, Module, Position, Scope, AST};

use super::api_index::ApiIndex;
use super::lab_names::is_handle;
use super::lexer::{significant, Kind};
use crate::deploy::Daemons;
use crate::diagnostic::Source;
use crate::interrupt::Interrupt;
use crate::script::common::{err, RhaiResult};
use crate::script::{runtime_error, stdlib, ScriptEngine, ScriptError, Session};

pub struct Evaluator {
    pub script: ScriptEngine,
    pub scope: Scope<'static>,
    /// Functions defined by earlier lines, merged into every new line.
    functions: AST,
    /// Modules by the name they are reachable under, with their functions' doc comments.
    modules: BTreeMap<String, (rhai::Shared<Module>, BTreeMap<String, String>)>,
}

impl Evaluator {
    pub fn new(session: Session, interrupt: &Interrupt) -> Self {
        Self::on(ScriptEngine::new(session), interrupt)
    }

    /// The prompt's evaluator over an existing script engine's session.
    pub fn on(mut script: ScriptEngine, interrupt: &Interrupt) -> Self {
        interrupt.attach(&mut script.rhai);
        let mut me = Evaluator {
            script,
            scope: Scope::new(),
            functions: AST::empty(),
            modules: BTreeMap::new(),
        };
        me.start_every_daemon();
        for (name, text) in stdlib::MODULES {
            let docs = doc_comments(&me.script.rhai, text);
            if let Err(e) = me.import(name, name, docs) {
                eprintln!("warning: stdlib module {name} is unavailable: {e}");
            }
        }
        me
    }

    /// Nobody knows which protocols the next lines will configure, and FRR reads its daemons
    /// file only at start: in the REPL, every router starts every daemon. `topology()` is
    /// replaced by one that says so before any container exists.
    fn start_every_daemon(&mut self) {
        let s = self.script.session.clone();
        self.script
            .rhai
            .register_fn("topology", move |path: &str| -> RhaiResult<()> {
                let mut sess = s.borrow_mut();
                sess.load_topology(path).map_err(err)?;
                sess.deploy.daemons = Daemons::Every;
                Ok(())
            });
    }

    /// What completion and hints know about the callable API, modules included.
    pub fn api_index(&self) -> ApiIndex {
        let mut api = ApiIndex::from_engine(&self.script.rhai);
        for (alias, (module, docs)) in &self.modules {
            api.add_module(alias, module, docs);
        }
        api
    }

    /// Evaluate one input (a line or a block) in the persistent scope.
    pub fn eval(&mut self, source: &Source) -> Result<Dynamic, ScriptError> {
        let ast = self.script.compile(source)?;
        // Definitions count even when a later statement of the same input fails.
        self.functions = self.functions.merge(&ast.clone_functions_only());
        let program = self.functions.merge(&ast);
        let value = self
            .script
            .rhai
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &program)
            .map_err(|e| ScriptError::At(Box::new(runtime_error(source, &e))))?;
        self.keep_imports(&source.text);
        Ok(value)
    }

    /// Run a script file in this session: its variables, functions and imports stay, and its
    /// relative paths (`topology("x.topo")`, imports) are resolved from its directory.
    pub fn load(&mut self, path: &Path) -> Result<(), ScriptError> {
        let path = &crate::catalogue::resolve(path)
            .map_err(|e| ScriptError::Other(anyhow::anyhow!("{e}")))?;
        let text = crate::catalogue::read_to_string(path).map_err(|e| {
            ScriptError::Other(anyhow::anyhow!("cannot read {}: {e}", path.display()))
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let previous =
            std::mem::replace(&mut self.script.session.borrow_mut().base_dir, dir.clone());
        self.script.rhai.set_module_resolver(stdlib::resolver(&dir));
        let source = Source::new(path.display().to_string(), text);
        let outcome = self.eval(&source).map(|_| ());
        self.script.session.borrow_mut().base_dir = previous.clone();
        self.script
            .rhai
            .set_module_resolver(stdlib::resolver(&previous));
        outcome
    }

    /// `import "path" as name;` at the top level of `text`: keep `name` for the next lines.
    fn keep_imports(&mut self, text: &str) {
        let tokens = significant(text);
        let mut depth = 0i32;
        for (i, t) in tokens.iter().enumerate() {
            match t.text(text) {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth -= 1,
                "import" if depth == 0 && t.kind == Kind::Keyword => {
                    let [path, as_kw, alias] = [i + 1, i + 2, i + 3].map(|j| tokens.get(j));
                    let (Some(path), Some(as_kw), Some(alias)) = (path, as_kw, alias) else {
                        continue;
                    };
                    let path_text = path.text(text);
                    if !matches!(path.kind, Kind::Str { closed: true, .. })
                        || as_kw.text(text) != "as"
                        || alias.kind != Kind::Ident
                    {
                        continue;
                    }
                    let path_text = &path_text[1..path_text.len() - 1];
                    let docs = stdlib::MODULES
                        .iter()
                        .find(|(n, _)| *n == path_text)
                        .map(|(_, src)| doc_comments(&self.script.rhai, src))
                        .unwrap_or_default();
                    // It was imported by the line that just ran: resolving it again cannot
                    // fail for another reason than the file changing meanwhile.
                    if let Err(e) = self.import(path_text, alias.text(text), docs) {
                        eprintln!(
                            "warning: `{}` will not stay imported: {e}",
                            alias.text(text)
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn import(
        &mut self,
        path: &str,
        alias: &str,
        docs: BTreeMap<String, String>,
    ) -> Result<(), Box<rhai::EvalAltResult>> {
        let engine = &self.script.rhai;
        let module = engine
            .module_resolver()
            .resolve(engine, None, path, Position::NONE)?;
        self.script
            .rhai
            .register_static_module(alias, module.clone());
        self.modules.insert(alias.to_string(), (module, docs));
        Ok(())
    }

    /// What to print for the value of a line: nothing for `()` and for the builder handles
    /// every configuration call returns; strings (command output) as they are.
    pub fn display(&self, value: &Dynamic) -> Option<String> {
        if value.is_unit() || is_handle(value) {
            return None;
        }
        if value.is_string() {
            return value.clone().into_string().ok();
        }
        if value.type_name().contains("::") {
            // An API type: ask its registered `to_string`.
            let mut scope = Scope::new();
            scope.push("value", value.clone());
            if let Ok(text) = self
                .script
                .rhai
                .eval_with_scope::<String>(&mut scope, "value.to_string()")
            {
                return Some(text);
            }
        }
        let text = value.to_string();
        if (value.is_map() || value.is_array()) && text.len() > 100 {
            // Data (a `show` reply, a list of changes) as a person reads it: one field a line.
            if let Ok(json) = rhai::serde::from_dynamic::<serde_json::Value>(value) {
                if let Ok(text) = serde_json::to_string_pretty(&json) {
                    return Some(text);
                }
            }
        }
        Some(text)
    }
}

/// Function name -> its doc comment as one line, from a module's source.
fn doc_comments(engine: &rhai::Engine, text: &str) -> BTreeMap<String, String> {
    let Ok(ast) = engine.compile(text) else {
        return BTreeMap::new();
    };
    ast.iter_functions()
        .map(|f| {
            let doc = f
                .comments
                .iter()
                .flat_map(|c| c.lines())
                .map(|l| l.trim_start_matches('/').trim())
                .collect::<Vec<_>>()
                .join(" ");
            (f.name.to_string(), doc)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frr::Daemon;
    use crate::runtime::plan::PlanBackend;
    use crate::ui::Reporter;

    fn evaluator() -> Evaluator {
        let (report, _) = Reporter::buffer(false);
        let session = Session::new(Box::new(PlanBackend), report, Default::default());
        Evaluator::new(session, &Interrupt::default())
    }

    fn eval(e: &mut Evaluator, text: &str) -> Result<Dynamic, ScriptError> {
        e.eval(&Source::new("<repl>", text))
    }

    /// Evaluate a line that must succeed; its value does not matter.
    fn ok(e: &mut Evaluator, text: &str) {
        if let Err(err) = eval(e, text) {
            panic!("{text}: {err}");
        }
    }

    fn topo() -> String {
        format!("{}/scripts/mpls_vpn.topo", env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn variables_and_functions_survive_between_lines() {
        let mut e = evaluator();
        ok(&mut e, &format!("topology({:?});", topo()));
        ok(&mut e, "let r = router(\"PE1\");");
        ok(&mut e, "fn twice(x) { x * 2 }");
        let v = eval(&mut e, "r.vrf(\"CUSTA\", 10).bind(\"eth1\"); twice(21)").unwrap();
        assert_eq!(v.as_int().unwrap(), 42);
        let sess = e.script.session.borrow();
        assert!(sess.deploy.desired.routers["PE1"]
            .vrfs
            .contains_key("CUSTA"));
    }

    #[test]
    fn stdlib_is_there_and_imports_persist() {
        let mut e = evaluator();
        ok(&mut e, &format!("topology({:?});", topo()));
        ok(&mut e, "ospf::core(\"PR\");");
        ok(&mut e, "import \"ldp\" as l;");
        ok(&mut e, "l::core(\"PR\");");
        let sess = e.script.session.borrow();
        assert!(sess.deploy.desired.routers["PR"].ldp.is_some());
        assert!(e.api_index().module_fn("l", "core").is_some());
        let api = e.api_index();
        let doc = &api.module_fn("ospf", "core").unwrap().doc;
        assert!(doc.contains("OSPF"), "{doc}");
    }

    #[test]
    fn every_router_gets_every_daemon() {
        let mut e = evaluator();
        ok(&mut e, &format!("topology({:?});", topo()));
        let sess = e.script.session.borrow();
        assert_eq!(sess.deploy.daemons, Daemons::Every);
        let spec = sess.deploy.lab_spec().unwrap();
        let ce1 = spec.containers.iter().find(|c| c.router == "CE1").unwrap();
        for daemon in Daemon::ALL {
            let name = daemon.as_str();
            assert!(
                ce1.start_script.contains(name),
                "{name}:\n{}",
                ce1.start_script
            );
        }
    }

    #[test]
    fn errors_point_into_the_typed_line() {
        let mut e = evaluator();
        ok(&mut e, &format!("topology({:?});", topo()));
        let Err(ScriptError::At(err)) = eval(&mut e, "router(\"PE9\");") else {
            panic!("expected an error with a span");
        };
        assert!(err.message.contains("unknown router"), "{}", err.message);
        assert_eq!(err.spanned_text(), "router");
        let Err(ScriptError::At(err)) = eval(&mut e, "let = 3;") else {
            panic!("expected a parse error");
        };
        assert_eq!(err.source.text.as_ref(), "let = 3;");
    }

    #[test]
    fn values_are_shown_but_handles_are_not() {
        let mut e = evaluator();
        ok(&mut e, &format!("topology({:?});", topo()));
        let v = eval(&mut e, "router(\"PR\")").unwrap();
        assert_eq!(e.display(&v), None);
        let v = eval(&mut e, "lab_name()").unwrap();
        assert_eq!(e.display(&v).as_deref(), Some("mpls_vpn"));
        let v = eval(&mut e, "[1, 2]").unwrap();
        assert_eq!(e.display(&v).as_deref(), Some("[1, 2]"));
        let v = eval(&mut e, "let x = 1;").unwrap();
        assert_eq!(e.display(&v), None);
        // A reply too long for a line reads one field a line, not as one wrapped map.
        let v = eval(&mut e, "#{ neighbors: [#{ id: \"1.1.1.1\", state: \"OPERATIONAL\" }, #{ id: \"2.2.2.2\", state: \"OPERATIONAL\" }] }").unwrap();
        let text = e.display(&v).unwrap();
        assert!(
            text.contains("\n      \"state\": \"OPERATIONAL\""),
            "{text}"
        );
    }
}
