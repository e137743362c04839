//! The labs and tutorials shipped inside the binary (the files of scripts/), so that a tool
//! installed with `cargo install` runs them from any directory: `mplsrepl run
//! builtin:mpls_vpn`, `mplsrepl tutorial seed`.
//!
//! A catalogue file is named with the `builtin:` scheme, always: a file on disk of that name
//! is reached as `./builtin:...`, so the two never clash. Inside the program the name is a
//! path, `builtin:/mpls_vpn.rhai`, so that a script's directory and the files it names
//! relative to it (`topology("../mpls_vpn.topo")`) work as they do on disk.

use std::path::{Component, Path, PathBuf};

pub const SCHEME: &str = "builtin:";

/// `(path in scripts/, text)` for each path given.
macro_rules! shipped {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../scripts/", $path)))),*]
    };
}

/// Every file of scripts/, by its path there (a test keeps the list equal to the directory).
const FILES: &[(&str, &str)] = shipped![
    "failover.rhai",
    "failover.topo",
    "interas.rhai",
    "interas.topo",
    "l2vpn.rhai",
    "l2vpn.topo",
    "mpls_vpn.rhai",
    "mpls_vpn.topo",
    "mpls_vpn_isis.rhai",
    "mpls_vpn_sr.rhai",
    "mpls_vpn_srv6.rhai",
    "mpls_vpn_srv6.topo",
    "mpls_vpn_v6.rhai",
    "mpls_vpn_v6.topo",
    "overlap.rhai",
    "overlap.topo",
    "tutorials/bfd_failover.rhai",
    "tutorials/breakfix.rhai",
    "tutorials/ipv6_vpn.rhai",
    "tutorials/l3vpn.rhai",
    "tutorials/ldp.rhai",
    "tutorials/pe_ce.rhai",
    "tutorials/route_reflector.rhai",
    "tutorials/seed.rhai",
    "tutorials/sr_mpls.rhai",
];

pub fn files() -> impl Iterator<Item = (&'static str, &'static str)> {
    FILES.iter().copied()
}

/// The catalogue's name of `path` (`tutorials/seed.rhai`), if it is a `builtin:` path.
/// `..` is resolved by the names alone: the catalogue has no links.
pub fn name_of(path: &Path) -> Option<String> {
    let text = path.to_str()?;
    let rest = text.strip_prefix(SCHEME)?;
    let mut parts: Vec<&str> = Vec::new();
    for c in Path::new(rest).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::ParentDir => {
                parts.pop();
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Some(parts.join("/"))
}

pub fn is_builtin(path: &Path) -> bool {
    path.to_str().is_some_and(|t| t.starts_with(SCHEME))
}

/// The text of a catalogue file.
pub fn get(name: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// The path of a catalogue file as the program uses it.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(format!("{SCHEME}/{name}"))
}

/// A file's text, from the catalogue for a `builtin:` path, from the disk otherwise.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    match name_of(path) {
        Some(name) => get(&name).map(str::to_string).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such file in the catalogue (`mplsrepl tutorial` lists it)",
            )
        }),
        None if is_builtin(path) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a catalogue name",
        )),
        None => std::fs::read_to_string(path),
    }
}

/// Whether two paths name the same file: catalogue names by their text, files on disk by
/// where they lead.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (name_of(a), name_of(b)) {
        (Some(a), Some(b)) => a == b,
        (None, None) => {
            let real = |p: &Path| std::fs::canonicalize(p).ok();
            real(a).is_some() && real(a) == real(b)
        }
        _ => false,
    }
}

/// A command-line file argument: `builtin:NAME` (`.rhai` when NAME has no extension) becomes
/// the catalogue's path, or an error listing what there is; anything else is a path.
pub fn resolve(arg: &Path) -> Result<PathBuf, String> {
    let Some(name) = name_of(arg) else {
        return Ok(arg.to_path_buf());
    };
    let name = if Path::new(&name).extension().is_some() {
        name
    } else {
        format!("{name}.rhai")
    };
    if get(&name).is_some() {
        return Ok(path(&name));
    }
    let known: Vec<String> = FILES
        .iter()
        .filter(|(n, _)| !n.starts_with("tutorials/"))
        .map(|(n, _)| format!("{SCHEME}{}", n.trim_end_matches(".rhai")))
        .collect();
    Err(format!(
        "`{}` is not in the catalogue; it has {}\nhelp: `mplsrepl tutorial` lists the tutorials and labs",
        arg.display(),
        known.join(", ")
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A script that explains, pauses and checks step by step (`mplsrepl tutorial NAME`).
    Tutorial,
    /// An example lab (`mplsrepl run builtin:NAME`).
    Lab,
}

/// What the catalogue's listing says about a script, read from its header comment: the first
/// line is its title, a `// Level: L. Time: T.` line (tutorials) its level and duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub kind: Kind,
    pub title: String,
    pub level: Option<String>,
    pub time: Option<String>,
}

/// The tutorials in the order a learner takes them: the listing's order.
const LEARNING_PATH: &[&str] = &[
    "seed",
    "ldp",
    "l3vpn",
    "route_reflector",
    "pe_ce",
    "sr_mpls",
    "bfd_failover",
    "ipv6_vpn",
    "breakfix",
];

/// Tutorials on the learning path, then the labs, each in the catalogue's order.
pub fn entries() -> Vec<Entry> {
    let mut all: Vec<Entry> = FILES
        .iter()
        .filter_map(|(file, text)| {
            let stem = file.strip_suffix(".rhai")?;
            let (kind, name) = match stem.strip_prefix("tutorials/") {
                Some(name) => (Kind::Tutorial, name),
                None => (Kind::Lab, stem),
            };
            Some(entry(name, kind, text))
        })
        .collect();
    let rank = |e: &Entry| match e.kind {
        Kind::Tutorial => LEARNING_PATH
            .iter()
            .position(|n| *n == e.name)
            .unwrap_or(LEARNING_PATH.len()),
        Kind::Lab => LEARNING_PATH.len() + 1,
    };
    all.sort_by_key(rank);
    all
}

fn entry(name: &str, kind: Kind, text: &str) -> Entry {
    let comments: Vec<&str> = text
        .lines()
        .map_while(|l| l.strip_prefix("//"))
        .map(str::trim)
        .collect();
    let first = comments.first().copied().unwrap_or_default();
    let title = first.strip_prefix("Tutorial:").unwrap_or(first).trim();
    let title = title.trim_end_matches('.');
    let mut level = None;
    let mut time = None;
    for line in &comments {
        let Some(rest) = line.strip_prefix("Level:") else {
            continue;
        };
        let (l, t) = rest.split_once("Time:").unwrap_or((rest, ""));
        level = Some(l.trim().trim_end_matches('.').to_string());
        let t = t.trim().trim_end_matches('.');
        time = (!t.is_empty()).then(|| t.to_string());
    }
    Entry {
        name: name.to_string(),
        kind,
        title: title.to_string(),
        level,
        time,
    }
}

/// The tutorial called `name`.
pub fn tutorial(name: &str) -> Option<PathBuf> {
    let file = format!("tutorials/{name}.rhai");
    get(&file).map(|_| path(&file))
}

/// Write catalogue files under `dir`, each at its place in scripts/ so that the names they
/// use for each other still hold; returns the files written. An existing file is not
/// overwritten: the learner may have edited it.
pub fn save(names: &[String], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    use anyhow::Context;
    let mut written = Vec::new();
    for name in names {
        let text = get(name).with_context(|| format!("`{name}` is not in the catalogue"))?;
        let to = dir.join(name);
        if to.exists() {
            anyhow::bail!(
                "{} exists: not overwritten\nhelp: save into another directory, or remove it",
                to.display()
            );
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&to, text).with_context(|| format!("writing {}", to.display()))?;
        written.push(to);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of scripts/ is shipped, and nothing else: a new lab cannot be forgotten.
    #[test]
    fn the_catalogue_is_the_scripts_directory() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts");
        let mut on_disk = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    let rel = p.strip_prefix(&root).unwrap().to_str().unwrap().to_string();
                    assert_eq!(
                        get(&rel),
                        Some(std::fs::read_to_string(&p).unwrap().as_str())
                    );
                    on_disk.push(rel);
                }
            }
        }
        on_disk.sort();
        let mut shipped: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
        shipped.sort();
        assert_eq!(on_disk, shipped);
    }

    #[test]
    fn names_resolve_relative_to_a_catalogue_directory() {
        let script = resolve(Path::new("builtin:tutorials/seed")).unwrap();
        assert_eq!(script, Path::new("builtin:/tutorials/seed.rhai"));
        let topo = script.parent().unwrap().join("../mpls_vpn.topo");
        assert_eq!(name_of(&topo).as_deref(), Some("mpls_vpn.topo"));
        assert!(read_to_string(&topo).unwrap().contains("lab mpls_vpn"));
        assert!(same_file(&topo, Path::new("builtin:mpls_vpn.topo")));
        assert!(!same_file(&topo, Path::new("builtin:overlap.topo")));
        assert_eq!(
            resolve(Path::new("x/builtin:a")).unwrap(),
            Path::new("x/builtin:a")
        );
        let err = resolve(Path::new("builtin:nope")).unwrap_err();
        assert!(err.contains("builtin:mpls_vpn,"), "{err}");
        assert!(read_to_string(Path::new("builtin:/nope.topo")).is_err());
    }

    #[test]
    fn every_tutorial_says_its_level_and_time() {
        let tutorials: Vec<Entry> = entries()
            .into_iter()
            .filter(|e| e.kind == Kind::Tutorial)
            .collect();
        assert!(!tutorials.is_empty());
        for t in tutorials {
            assert!(
                LEARNING_PATH.contains(&t.name.as_str()),
                "{t:?} is not on the learning path"
            );
            assert!(t.level.is_some() && t.time.is_some(), "{t:?}");
            assert!(!t.title.is_empty(), "{t:?}");
        }
        for lab in entries().into_iter().filter(|e| e.kind == Kind::Lab) {
            assert!(!lab.title.is_empty(), "{lab:?}");
        }
    }
}
