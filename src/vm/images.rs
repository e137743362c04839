//! The lab images the VM serves: one small root filesystem per FRR line, each made from
//! Debian's packages (bookworm gives FRR 8.4, trixie FRR 10.x), imported into the VM's dockerd
//! as `labfrr:8` and `labfrr:10`, with `labfrr:latest` the same image as `labfrr:10`.
//!
//! Each image is built by `vm/build.sh frr-rootfs` into `build/image-<major>/rootfs` and rebuilt
//! only when its suite or package list changes (`.stage2` holds both). The imported image
//! carries two labels: `mplsrepl.build` (which build of the root filesystem it is) and
//! `mplsrepl.frr` (the FRR version in it, e.g. `10.3`), which `plan` and `status` read.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use anyhow::{bail, Context, Result};

use super::{host, mb, Progress, VmConfig};

/// The default image's name: the newest FRR line.
pub const LATEST: &str = "labfrr:latest";

/// Label on an imported image: which build of its root filesystem it is.
pub const BUILD_LABEL: &str = "mplsrepl.build";
/// Label on an imported image: the FRR version in it (`10.3`, `8.4.4`).
pub const FRR_LABEL: &str = "mplsrepl.frr";

/// Packages of every lab image: FRR, `ip` and `tc`, tcpdump, ping, ps, and jq, with which the
/// pseudowire agent reads FRR's JSON.
const PACKAGES: &[&str] = &["frr", "iproute2", "tcpdump", "iputils-ping", "procps", "jq"];

/// One lab image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabImage {
    /// `labfrr:10`.
    pub name: &'static str,
    /// The Debian suite its packages come from.
    pub suite: &'static str,
    /// FRR's major version in that suite.
    pub frr_major: u32,
}

/// The images `vm build` makes, newest first: the first is also [`LATEST`].
pub const IMAGES: [LabImage; 2] = [
    LabImage {
        name: "labfrr:10",
        suite: "trixie",
        frr_major: 10,
    },
    LabImage {
        name: "labfrr:8",
        suite: "bookworm",
        frr_major: 8,
    },
];

/// Left out of an image's tar: build markers, docs, apt's cache.
const TAR_EXCLUDES: &[&str] = &[
    "./.stage2",
    "./.frr-version",
    "./image.id",
    "./usr/share/doc",
    "./usr/share/man",
    "./usr/share/locale",
    "./var/cache/apt",
];

impl LabImage {
    pub(crate) fn dir(&self, cfg: &VmConfig) -> PathBuf {
        cfg.build_dir().join(format!("image-{}", self.frr_major))
    }

    pub(crate) fn rootfs(&self, cfg: &VmConfig) -> PathBuf {
        self.dir(cfg).join("rootfs")
    }

    /// What `.stage2` says once the root filesystem is complete: the key of its cache.
    pub(crate) fn key(&self) -> String {
        format!("{} {}", self.suite, packages())
    }

    /// Whether the root filesystem must be (re)built, and why.
    pub(crate) fn stale(&self, cfg: &VmConfig) -> Option<String> {
        let rf = self.rootfs(cfg);
        match read_trim(&rf.join(".stage2")) {
            None => Some(format!("no root filesystem for {}", self.name)),
            Some(k) if k != self.key() => Some(format!("{}'s package list changed", self.name)),
            Some(_) if read_trim(&self.dir(cfg).join("image.id")).is_none() => {
                Some(format!("{} not built by mplsrepl", self.name))
            }
            Some(_) => None,
        }
    }

    /// The id of this build of the root filesystem (`mplsrepl.build` on the image).
    pub(crate) fn build_id(&self, cfg: &VmConfig) -> Option<String> {
        read_trim(&self.dir(cfg).join("image.id"))
    }

    /// The FRR version the build installed, upstream part only (`10.3` of `10.3-3+deb13u1`).
    pub(crate) fn frr_version(&self, cfg: &VmConfig) -> Option<String> {
        read_trim(&self.rootfs(cfg).join(".frr-version")).map(|v| upstream_version(&v))
    }

    /// What building the root filesystem does, for progress lines.
    pub(crate) fn build_what(&self) -> String {
        format!(
            "{}: debootstrap {} + apt-get install {}",
            self.name,
            self.suite,
            packages()
        )
    }

    /// Build the root filesystem with build.sh (root only) and give the build an id; the FRR
    /// version and size it has. Says nothing itself: it may run beside another stage.
    pub(crate) fn build(&self, cfg: &VmConfig) -> Result<String> {
        let dir = self.dir(cfg);
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let _ = fs::remove_file(dir.join("image.id"));
        let rf = self.rootfs(cfg);
        let rf_arg = rf.to_string_lossy().into_owned();
        super::build_script::run_script(
            cfg,
            &["frr-rootfs", self.suite, &rf_arg],
            &dir.join("build.log"),
            &[("IMG_PACKAGES", &packages())],
        )?;
        let stamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        fs::write(
            dir.join("image.id"),
            format!("{}-{stamp}\n", self.frr_major),
        )?;
        Ok(format!(
            "FRR {}, {}",
            self.frr_version(cfg).unwrap_or_else(|| "?".into()),
            host::dir_size(&rf).map(mb).unwrap_or_default()
        ))
    }

    /// Import the image unless dockerd has this very build of it; then point `latest` at the
    /// newest line.
    pub(crate) fn ensure(&self, cfg: &VmConfig, log: &Progress) -> Result<()> {
        let want = self.build_id(cfg);
        let have = cfg.docker().image_inspect(self.name)?;
        let current = have.as_ref().is_some_and(|img| {
            want.is_some() && img["Config"]["Labels"][BUILD_LABEL].as_str() == want.as_deref()
        });
        if !current {
            if have.is_some() {
                log.line(&format!(
                    "{} in the VM is from another build; re-importing",
                    self.name
                ));
            }
            self.import(cfg, log)?;
        }
        if *self == IMAGES[0] {
            let docker = cfg.docker();
            let id = |name: &str| -> Result<Option<String>> {
                Ok(docker
                    .image_inspect(name)?
                    .and_then(|i| i["Id"].as_str().map(str::to_string)))
            };
            if id(LATEST)? != id(self.name)? {
                let (repo, tag) = LATEST.split_once(':').expect("LATEST has a tag");
                docker.tag(self.name, repo, tag)?;
            }
        }
        Ok(())
    }

    /// The root filesystem as this image, streamed by `tar` into `POST /images/create`.
    fn import(&self, cfg: &VmConfig, log: &Progress) -> Result<()> {
        let rf = self.rootfs(cfg);
        if self.stale(cfg).is_some() {
            bail!(
                "{} is missing or incomplete: run `mplsrepl vm build`",
                rf.display()
            );
        }
        let mut changes = vec![r#"CMD ["sleep","infinity"]"#.to_string()];
        if let Some(id) = self.build_id(cfg) {
            changes.push(format!("LABEL {BUILD_LABEL}={id}"));
        }
        if let Some(v) = self.frr_version(cfg) {
            changes.push(format!("LABEL {FRR_LABEL}={v}"));
        }
        let (repo, tag) = self.name.split_once(':').expect("image names have a tag");
        log.phase_note(
            &format!("import {} (tar of its root filesystem)", self.name),
            || {
                let (sent, id) =
                    stream_tar(&rf, |body| cfg.docker().import(repo, tag, &changes, body))?;
                if cfg.docker().image_inspect(self.name)?.is_none() {
                    bail!(
                        "dockerd accepted the import ({id}) but has no {} afterwards",
                        self.name
                    );
                }
                let short = id.strip_prefix("sha256:").unwrap_or(&id);
                Ok((
                    (),
                    format!(
                        "{} streamed, {}",
                        mb(sent),
                        short.get(..12).unwrap_or(short)
                    ),
                ))
            },
        )
    }
}

/// `frr iproute2 ...`.
pub(crate) fn packages() -> String {
    PACKAGES.join(" ")
}

/// `10.3` of Debian's `10.3-3+deb13u1`, `8.4.4` of `8.4.4-1.1~deb12u1`.
pub fn upstream_version(debian: &str) -> String {
    let no_epoch = debian.split_once(':').map_or(debian, |(_, v)| v);
    no_epoch.split('-').next().unwrap_or(no_epoch).to_string()
}

fn read_trim(p: &Path) -> Option<String> {
    fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Run `tar -c` of `dir` (without [`TAR_EXCLUDES`]) into `send`; what `send` returns.
fn stream_tar<T>(dir: &Path, send: impl FnOnce(&mut dyn std::io::Read) -> Result<T>) -> Result<T> {
    let mut tar = Command::new("tar");
    tar.arg("-C").arg(dir);
    for e in TAR_EXCLUDES {
        tar.arg(format!("--exclude={e}"));
    }
    let mut child = tar
        .args(["-cf", "-", "."])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run tar")?;
    let mut stderr = child.stderr.take().expect("piped");
    let errs = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let mut stdout = child.stdout.take().expect("piped");
    let res = send(&mut stdout);
    drop(stdout);
    if res.is_err() {
        let _ = child.kill();
    }
    let st = child.wait()?;
    let errs = errs.join().unwrap_or_default();
    let root_hint = if host::is_root() {
        ""
    } else {
        " (the root filesystem is root-owned: run as root)"
    };
    match res {
        Ok(r) if st.success() => Ok(r),
        Ok(_) => bail!(
            "tar of {} failed ({st}){root_hint}: {}",
            dir.display(),
            errs.trim()
        ),
        Err(e) if !errs.trim().is_empty() => {
            Err(e.context(format!("tar: {}{root_hint}", errs.trim())))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_versions_give_frr_upstream_versions() {
        assert_eq!(upstream_version("10.3-3+deb13u1"), "10.3");
        assert_eq!(upstream_version("8.4.4-1.1~deb12u1"), "8.4.4");
        assert_eq!(upstream_version("1:10.5.1-1"), "10.5.1");
    }

    #[test]
    fn images_are_cached_by_suite_and_packages() {
        let dir = std::env::temp_dir().join(format!("mplsrepl-img-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let cfg = VmConfig::new(&dir);
        let img = IMAGES[0];
        assert!(img.stale(&cfg).unwrap().contains("no root filesystem"));
        fs::create_dir_all(img.rootfs(&cfg)).unwrap();
        fs::write(img.rootfs(&cfg).join(".stage2"), "trixie frr\n").unwrap();
        assert!(img.stale(&cfg).unwrap().contains("package list changed"));
        fs::write(img.rootfs(&cfg).join(".stage2"), img.key() + "\n").unwrap();
        assert!(img.stale(&cfg).unwrap().contains("not built by mplsrepl"));
        fs::write(img.dir(&cfg).join("image.id"), "10-1\n").unwrap();
        assert_eq!(img.stale(&cfg), None);
        fs::write(img.rootfs(&cfg).join(".frr-version"), "10.3-3+deb13u1\n").unwrap();
        assert_eq!(img.frr_version(&cfg).as_deref(), Some("10.3"));
        assert_ne!(IMAGES[0].key(), IMAGES[1].key());
        fs::remove_dir_all(&dir).unwrap();
    }
}
