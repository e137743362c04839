//! Evidence of a failed check: the state of the routers it involves, read from the live lab
//! before anything is removed, one file per router beside the check's explanation. A flake
//! seen once in CI is then explained by what the routers held, not guessed at later.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Deployment;

/// Labs up to this size have every router's state written (the way to a peer and back may
/// cross any of them); a larger one has the check's router and its neighbors'.
const WHOLE_LAB_UP_TO: usize = 16;

impl Deployment {
    /// The routers whose state explains a failed check on `router` (all of a small lab, or
    /// `router` and its neighbors); every router when the check names none.
    pub fn involved(&self, router: Option<&str>) -> Vec<String> {
        let Some(lab) = &self.lab else {
            return Vec::new();
        };
        let all = || lab.routers.iter().map(|r| r.name.clone()).collect();
        let Some(router) = router else {
            return all();
        };
        if lab.routers.len() <= WHOLE_LAB_UP_TO {
            return all();
        }
        let mut involved: Vec<String> = vec![router.to_string()];
        for segment in &lab.segments {
            if segment.endpoints.iter().any(|e| e.router == router) {
                for e in &segment.endpoints {
                    if !involved.contains(&e.router) {
                        involved.push(e.router.clone());
                    }
                }
            }
        }
        involved
    }

    /// Write `routers`' state and `diagnosis` into a new directory under `dir`
    /// (`LAB-evidence-N`); the directory.
    pub fn write_evidence(
        &mut self,
        dir: &Path,
        routers: &[String],
        diagnosis: &str,
    ) -> anyhow::Result<PathBuf> {
        let lab = self.lab_name()?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut n = 1;
        let target = loop {
            let candidate = dir.join(format!("{lab}-evidence-{n}"));
            match std::fs::create_dir(&candidate) {
                Ok(()) => break candidate,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
                Err(e) => {
                    return Err(
                        anyhow::Error::new(e).context(format!("creating {}", candidate.display()))
                    )
                }
            }
        };
        std::fs::write(target.join("diagnosis.txt"), format!("{diagnosis}\n"))
            .with_context(|| format!("writing {}", target.display()))?;
        let script = crate::frr::evidence::script();
        let commands: Vec<(String, Vec<String>)> = routers
            .iter()
            .map(|r| (r.clone(), vec!["sh".into(), "-c".into(), script.clone()]))
            .collect();
        let outputs = self.backend.exec_all(&lab, &commands);
        for (router, output) in routers.iter().zip(outputs) {
            let text = match output {
                Ok(out) => format!("{}{}", out.stdout, out.stderr),
                Err(e) => format!("the router's state could not be read: {e:#}\n"),
            };
            let file = target.join(format!("{router}.txt"));
            std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
        }
        Ok(target)
    }
}
