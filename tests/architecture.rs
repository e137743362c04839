//! The layer order of docs/architecture.md held against the code: every `crate::` path under
//! `src/` (in `use` lines and written inline, test modules left out) must point down the layers,
//! and no files may import each other in a circle. Paths through a `mod.rs` that re-exports a
//! name are followed to the file that defines it, so a circle cannot hide behind a re-export; a
//! `mod.rs` calling into the files of its own folder is the folder's face, not an import.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Violations that were in the tree when this test was written. The list may only shrink: an
/// entry that no longer occurs fails the test until it is taken off.
const ALLOWED_LAYER_VIOLATIONS: &[(&str, &str)] = &[];
const ALLOWED_CIRCLES: &[&[&str]] = &[];

/// Module path of a file under src/: `src/script/api.rs` is `script::api`, a `mod.rs` its folder.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && matches!(&a.meta, syn::Meta::List(l) if l.tokens.to_string().contains("test"))
    })
}

/// Every path a file names, as written (`crate::a::b`, `super::x`, `child::y`), test code left out.
#[derive(Default)]
struct Paths {
    paths: Vec<Vec<String>>,
    /// `pub use` re-exports: name -> the path it stands for. They are the module's face, not
    /// an import of its own: followed when another file names them, never an edge themselves.
    reexports: BTreeMap<String, Vec<String>>,
    /// `pub use child::*`.
    globs: Vec<Vec<String>>,
    /// Names of the items the file defines at its top level.
    defines: BTreeSet<String>,
}

impl Paths {
    /// A re-export from elsewhere in the crate (`pub use crate::frr::Daemon`) hands another
    /// concept's name on as if it were this one's: that is an import as well.
    fn reexport(&mut self, name: String, full: Vec<String>) {
        if full.first().is_some_and(|s| s == "crate" || s == "super") {
            self.paths.push(full.clone());
        }
        self.reexports.insert(name, full);
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, public: bool) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree, public);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix.clone();
                full.push(n.ident.to_string());
                if public {
                    self.reexport(n.ident.to_string(), full);
                } else {
                    self.paths.push(full);
                }
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                full.push(r.ident.to_string());
                if public {
                    self.reexport(r.rename.to_string(), full);
                } else {
                    self.paths.push(full);
                }
            }
            syn::UseTree::Glob(_) if public => self.globs.push(prefix.clone()),
            syn::UseTree::Glob(_) => self.paths.push(prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t, public);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            _ => &[],
        };
        if is_cfg_test(attrs) {
            return;
        }
        if let syn::Item::Use(u) = item {
            let public = matches!(u.vis, syn::Visibility::Public(_));
            self.use_tree(&mut Vec::new(), &u.tree, public);
            return;
        }
        syn::visit::visit_item(self, item);
    }

    /// `pub(super)` and `pub(crate)` say who may see an item, not what it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    /// A macro's arguments are tokens to syn (`println!("{}", super::help::render(..))`): the
    /// paths in them are read from the tokens.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        token_paths(mac.tokens.clone(), &mut self.paths);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        // A lone name (`segments`) is a local or an item in scope, not a module path, even
        // when a child module has that name.
        if path.segments.len() > 1 || path.leading_colon.is_some() {
            self.paths
                .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        syn::visit::visit_path(self, path);
    }
}

/// Every `a::b::c` run of identifiers in a token stream, groups included.
fn token_paths(tokens: proc_macro2::TokenStream, out: &mut Vec<Vec<String>>) {
    use proc_macro2::TokenTree;
    let mut run: Vec<String> = Vec::new();
    let mut colons = 0;
    let flush = |run: &mut Vec<String>, out: &mut Vec<Vec<String>>| {
        if run.len() > 1 {
            out.push(std::mem::take(run));
        }
        run.clear();
    };
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) if run.is_empty() || colons == 2 => {
                run.push(ident.to_string());
                colons = 0;
            }
            TokenTree::Punct(p) if p.as_char() == ':' && !run.is_empty() && colons < 2 => {
                colons += 1;
            }
            TokenTree::Group(group) => {
                flush(&mut run, out);
                colons = 0;
                token_paths(group.stream(), out);
            }
            TokenTree::Ident(ident) => {
                flush(&mut run, out);
                run.push(ident.to_string());
                colons = 0;
            }
            _ => {
                flush(&mut run, out);
                colons = 0;
            }
        }
    }
    flush(&mut run, out);
}

struct Tree {
    /// Module path -> file.
    files: BTreeMap<Vec<String>, PathBuf>,
    paths: BTreeMap<PathBuf, Paths>,
}

impl Tree {
    fn read(src: &Path) -> Tree {
        let mut all = Vec::new();
        rust_files(src, &mut all);
        let mut files = BTreeMap::new();
        let mut paths = BTreeMap::new();
        let mut test_modules = Vec::new();
        for file in all {
            if file.file_name().is_some_and(|n| n == "main.rs") {
                continue; // the binary: it sees the library from outside
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let mut p = Paths::default();
            p.visit_file(&ast);
            p.defines = ast.items.iter().filter_map(item_name).collect();
            for item in &ast.items {
                if let syn::Item::Mod(m) = item {
                    if m.content.is_none() && is_cfg_test(&m.attrs) {
                        test_modules.push((module_of(src, &file), m.ident.to_string()));
                    }
                }
            }
            files.insert(module_of(src, &file), file.clone());
            paths.insert(file, p);
        }
        // A file that is a `#[cfg(test)] mod tests;` is test code, as an inline one is.
        for (parent, name) in test_modules {
            let mut module = parent;
            module.push(name);
            if let Some(file) = files.remove(&module) {
                paths.remove(&file);
            }
        }
        Tree { files, paths }
    }

    /// The absolute module path a written path stands for, if it is one of this crate's.
    fn absolute(&self, here: &[String], written: &[String]) -> Option<Vec<String>> {
        let first = written.first()?;
        let mut base: Vec<String> = match first.as_str() {
            "crate" => Vec::new(),
            "self" => here.to_vec(),
            "super" => here[..here.len().checked_sub(1)?].to_vec(),
            child => {
                let mut c = here.to_vec();
                c.push(child.to_string());
                if !self.files.contains_key(&c) {
                    return None;
                }
                here.to_vec()
            }
        };
        let rest = match first.as_str() {
            "crate" | "self" | "super" => &written[1..],
            _ => written,
        };
        let mut rest = rest;
        while rest.first().is_some_and(|s| s == "super") {
            base.pop();
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The file that defines what an absolute path names: the longest module prefix, then
    /// through that module's `pub use` re-exports.
    fn file_of(&self, path: &[String], depth: usize) -> Option<&PathBuf> {
        let k = (0..=path.len())
            .rev()
            .find(|&k| self.files.contains_key(&path[..k]))?;
        let file = &self.files[&path[..k]];
        if depth < 8 {
            if let Some(name) = path.get(k) {
                let module = path[..k].to_vec();
                let through_glob = || {
                    self.paths[file].globs.iter().find_map(|g| {
                        let abs = self.absolute(&module, g)?;
                        let f = self.files.get(&abs)?;
                        self.paths[f].defines.contains(name).then_some(f)
                    })
                };
                if !self.paths[file].defines.contains(name) {
                    if let Some(f) = through_glob() {
                        return Some(f);
                    }
                }
                if let Some(target) = self.paths[file].reexports.get(name) {
                    if let Some(abs) = self.absolute(&module, target) {
                        let mut abs = abs;
                        abs.extend(path[k + 1..].iter().cloned());
                        if abs != path {
                            return self.file_of(&abs, depth + 1).or(Some(file));
                        }
                    }
                }
            }
        }
        Some(file)
    }

    /// File -> files it imports, with the names it takes from each.
    fn edges(&self, src: &Path) -> BTreeMap<PathBuf, BTreeMap<PathBuf, BTreeSet<String>>> {
        let mut out: BTreeMap<PathBuf, BTreeMap<PathBuf, BTreeSet<String>>> = BTreeMap::new();
        for (file, p) in &self.paths {
            let here = module_of(src, file);
            for written in &p.paths {
                let Some(abs) = self.absolute(&here, written) else {
                    continue;
                };
                let Some(target) = self.file_of(&abs, 0) else {
                    continue;
                };
                if target == file || abs.is_empty() || faces(src, file, target) {
                    continue;
                }
                out.entry(file.clone())
                    .or_default()
                    .entry(target.clone())
                    .or_default()
                    .insert(abs.join("::"));
            }
        }
        out
    }
}

fn item_name(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Const(i) => &i.ident,
        syn::Item::Enum(i) => &i.ident,
        syn::Item::Fn(i) => &i.sig.ident,
        syn::Item::Mod(i) => &i.ident,
        syn::Item::Static(i) => &i.ident,
        syn::Item::Struct(i) => &i.ident,
        syn::Item::Trait(i) => &i.ident,
        syn::Item::Type(i) => &i.ident,
        syn::Item::Union(i) => &i.ident,
        syn::Item::Macro(i) => i.ident.as_ref()?,
        _ => return None,
    };
    Some(ident.to_string())
}

/// A folder's `mod.rs` (or `lib.rs`) composes the files under it: its calls into them are the
/// folder's face, not an import that could close a circle.
fn faces(src: &Path, file: &Path, target: &Path) -> bool {
    let is_face = file
        .file_name()
        .is_some_and(|n| n == "mod.rs" || n == "lib.rs");
    is_face && target.starts_with(file.parent().unwrap()) && file.starts_with(src)
}

/// The layer table of docs/architecture.md: top-level module -> its layer.
fn layers(root: &Path) -> BTreeMap<String, usize> {
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    let start = doc
        .find("<!-- layers")
        .expect("docs/architecture.md has a layers table");
    let end = doc.find("<!-- /layers -->").expect("the layers table ends");
    let mut out = BTreeMap::new();
    for line in doc[start..end].lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(layer) = cells.get(1).and_then(|c| c.parse::<usize>().ok()) else {
            continue;
        };
        for name in cells[2].split_whitespace() {
            out.insert(name.trim_matches('`').to_string(), layer);
        }
    }
    out
}

fn top_module(src: &Path, file: &Path) -> String {
    module_of(src, file)
        .first()
        .cloned()
        .unwrap_or_else(|| "lib".into())
}

fn rel(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Strongly connected groups of more than one file (Tarjan's algorithm).
fn circles(edges: &BTreeMap<PathBuf, BTreeMap<PathBuf, BTreeSet<String>>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeMap<PathBuf, BTreeSet<String>>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        out: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(next) = s.edges.get(v) {
            for w in next.keys() {
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let lw = s.low[w];
                    let lv = s.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if s.on_stack.contains(w) {
                    let iw = s.index[w];
                    let lv = s.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                group.push(w.clone());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.out.push(group);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn imports_point_down_the_layers_and_make_no_circle() {
    let root = common::root();
    let src = root.join("src");
    let tree = Tree::read(&src);
    let edges = tree.edges(&src);
    let layer = layers(&root);
    let mut problems = Vec::new();

    for module in tree.files.keys().filter_map(|m| m.first()) {
        if !layer.contains_key(module) {
            problems.push(format!(
                "src/{module} is in no layer of docs/architecture.md: add it to the table"
            ));
        }
    }

    let mut seen_violations = BTreeSet::new();
    for (file, targets) in &edges {
        let from = top_module(&src, file);
        for (target, names) in targets {
            let to = top_module(&src, target);
            if from == to || to == "lib" {
                continue;
            }
            let (Some(&lf), Some(&lt)) = (layer.get(&from), layer.get(&to)) else {
                continue;
            };
            if lt < lf {
                continue;
            }
            seen_violations.insert((from.clone(), to.clone()));
            if ALLOWED_LAYER_VIOLATIONS.contains(&(from.as_str(), to.as_str())) {
                continue;
            }
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            problems.push(format!(
                "{} (layer {lf}) imports {} (layer {lt}{}): {}",
                rel(&root, file),
                rel(&root, target),
                if lt == lf {
                    ", the same layer"
                } else {
                    ", above it"
                },
                names.join(", ")
            ));
        }
    }
    for (from, to) in ALLOWED_LAYER_VIOLATIONS {
        if !seen_violations.contains(&(from.to_string(), to.to_string())) {
            problems.push(format!(
                "`{from} -> {to}` is gone: take it off ALLOWED_LAYER_VIOLATIONS"
            ));
        }
    }

    let found: Vec<Vec<String>> = circles(&edges)
        .into_iter()
        .map(|g| g.iter().map(|f| rel(&root, f)).collect())
        .collect();
    for group in &found {
        if ALLOWED_CIRCLES
            .iter()
            .any(|allowed| allowed.iter().copied().eq(group.iter().map(String::as_str)))
        {
            continue;
        }
        let mut ties = Vec::new();
        for a in group {
            for (b, names) in &edges[&root.join(a)] {
                let b = rel(&root, b);
                if group.contains(&b) {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    ties.push(format!("    {a} -> {b}: {}", names.join(", ")));
                }
            }
        }
        problems.push(format!(
            "import circle of {} files:\n{}",
            group.len(),
            ties.join("\n")
        ));
    }
    for allowed in ALLOWED_CIRCLES {
        if !found
            .iter()
            .any(|g| allowed.iter().copied().eq(g.iter().map(String::as_str)))
        {
            problems.push(format!(
                "the circle {allowed:?} is gone or changed: update ALLOWED_CIRCLES"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// The reader itself: re-exports, `super` paths and paths inside macro arguments are seen.
#[test]
fn the_reader_follows_re_exports_and_super_paths() {
    let root = common::root();
    let src = root.join("src");
    let tree = Tree::read(&src);
    let here = vec!["script".to_string(), "api".to_string()];
    let abs = tree
        .absolute(&here, &["super".into(), "Session".into()])
        .unwrap();
    assert_eq!(abs, ["script", "Session"]);
    assert_eq!(
        tree.file_of(&abs, 0).map(|f| rel(&root, f)).as_deref(),
        Some("src/script/session.rs")
    );
    let edges = tree.edges(&src);
    assert!(
        edges[&src.join("cli.rs")].contains_key(&src.join("repl/mod.rs")),
        "cli.rs imports the REPL"
    );
    assert!(
        edges[&src.join("repl/meta.rs")].contains_key(&src.join("repl/help.rs")),
        "a path inside println!(...) is read too"
    );
}
