//! `mplsrepl tutorial`: the catalogue's listing, a tutorial written out to edit (`--save`),
//! and a tutorial run like `run` with pauses between its steps.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;

use crate::catalogue::{self, Entry, Kind};
use crate::connect::EngineChoice;
use crate::script::Options;

/// The catalogue as a learner reads it: tutorials with level and time, then the example labs.
pub fn listing() -> String {
    let entries = catalogue::entries();
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    let mut out = String::from(
        "Tutorials: `mplsrepl tutorial NAME` (`--yes` runs it unattended, `--save DIR` writes it out to edit)\n",
    );
    let line = |e: &Entry, prefix: &str| {
        let level = match (&e.level, &e.time) {
            (Some(l), Some(t)) => format!("{l:<13}{t:>7}  "),
            _ => String::new(),
        };
        format!("  {prefix}{:<width$}  {level}{}\n", e.name, e.title)
    };
    for e in entries.iter().filter(|e| e.kind == Kind::Tutorial) {
        out.push_str(&line(e, ""));
    }
    out.push_str(
        "\nExample labs: `mplsrepl run builtin:NAME` (`plan`, `graph`, `render` take them too)\n",
    );
    let width = width + catalogue::SCHEME.len();
    for e in entries.iter().filter(|e| e.kind == Kind::Lab) {
        out.push_str(&format!(
            "  {:<width$}  {}\n",
            format!("{}{}", catalogue::SCHEME, e.name),
            e.title
        ));
    }
    out
}

/// A tutorial's script: a file when `name` is one, else the catalogue's tutorial of that name.
pub fn find(name: &str) -> anyhow::Result<PathBuf> {
    let as_path = Path::new(name);
    if as_path.is_file() {
        return Ok(as_path.to_path_buf());
    }
    if catalogue::is_builtin(as_path) {
        return catalogue::resolve(as_path).map_err(anyhow::Error::msg);
    }
    if let Some(path) = catalogue::tutorial(name) {
        return Ok(path);
    }
    let names: Vec<String> = catalogue::entries()
        .into_iter()
        .filter(|e| e.kind == Kind::Tutorial)
        .map(|e| e.name)
        .collect();
    bail!(
        "no tutorial `{name}` (and no such file)\nhelp: the tutorials are {}; `mplsrepl tutorial` lists them",
        names.join(", ")
    )
}

/// `tutorial NAME --save DIR`: the tutorial's script and the files it reads (its topology),
/// at their places relative to each other, so that `mplsrepl tutorial DIR/...` runs the copy.
pub fn save(name: &str, dir: &Path) -> anyhow::Result<ExitCode> {
    let script = find(name)?;
    let Some(script_name) = catalogue::name_of(&script) else {
        bail!(
            "{} is a file already: edit it where it is\nhelp: --save writes out a tutorial of the catalogue",
            script.display()
        );
    };
    let mut names = vec![script_name];
    // The files it reads are those its plan loads: the plan runs nothing.
    let (report, _) = crate::ui::Reporter::buffer(false);
    let planned = crate::dry_run::plan_session(&script, &Options::default(), report)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let topology = planned.script.session.borrow().deploy.topology_file.clone();
    names.extend(topology.as_deref().and_then(catalogue::name_of));
    let written = catalogue::save(&names, dir)?;
    for file in &written {
        println!("wrote {}", file.display());
    }
    println!("run it: mplsrepl tutorial {}", written[0].display());
    Ok(ExitCode::SUCCESS)
}

/// `tutorial NAME`: run like `run`, pausing between steps when `opts.interactive`.
pub fn run(
    engine: &EngineChoice,
    name: &str,
    opts: &Options,
    color: bool,
    down_after: bool,
) -> anyhow::Result<ExitCode> {
    let path = find(name)?;
    crate::cli::run(engine, &path, opts, color, false, down_after, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_names_every_tutorial_with_its_level_and_every_lab() {
        let text = listing();
        assert!(text.contains("  seed  "), "{text}");
        assert!(text.contains("beginner"), "{text}");
        assert!(text.contains("  builtin:mpls_vpn  "), "{text}");
        assert!(!text.contains("builtin:tutorials"), "{text}");
    }

    #[test]
    fn save_writes_the_tutorial_and_its_topology_where_they_find_each_other() {
        let dir = std::env::temp_dir().join(format!("mplsrepl-save-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        save("seed", &dir).unwrap();
        let script = dir.join("tutorials/seed.rhai");
        assert!(script.is_file() && dir.join("mpls_vpn.topo").is_file());
        // The copy plans from where it was written, and a second save does not overwrite it.
        let (report, _) = crate::ui::Reporter::buffer(false);
        crate::dry_run::plan_session(&script, &Options::default(), report).unwrap();
        let again = save("seed", &dir).unwrap_err().to_string();
        assert!(again.contains("not overwritten"), "{again}");
        assert!(find("nope").unwrap_err().to_string().contains("seed"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
