//! Which FRR a router runs. Rendering, the start sequence and the JSON the checks read differ
//! between FRR lines, and `plan` must know the line without a router: from the image's name
//! (`labfrr:8`, `frrouting/frr:v8.4.1`), the label the images mplsrepl builds carry, or
//! `--frr`; FRR 10 otherwise. Each router confirms it as it starts ([`super::start`]).

use std::fmt;

use serde::Serialize;

/// An FRR version, as far as mplsrepl tells versions apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FrrVersion {
    pub major: u32,
    pub minor: u32,
}

impl Default for FrrVersion {
    fn default() -> Self {
        FrrVersion::DEFAULT
    }
}

impl FrrVersion {
    /// What a lab is planned for when nothing says otherwise: today's FRR line.
    pub const DEFAULT: FrrVersion = FrrVersion {
        major: 10,
        minor: 0,
    };

    /// The majors mplsrepl renders for and tests: Debian 12's 8.4 and the 10.x line.
    pub const SUPPORTED_MAJORS: [u32; 2] = [8, 10];

    pub fn new(major: u32, minor: u32) -> FrrVersion {
        FrrVersion { major, minor }
    }

    /// `10`, `10.3`, `8.4.4`, `v8.4.1`, `10.3-3+deb13u1`.
    pub fn parse(text: &str) -> Option<FrrVersion> {
        let t = text.trim().trim_start_matches(['v', 'V']);
        let t = t.split(['-', '+', '~', ' ']).next()?;
        let mut parts = t.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = match parts.next() {
            Some(m) => m.parse().ok()?,
            None => 0,
        };
        Some(FrrVersion { major, minor })
    }

    /// The version an image name implies: mplsrepl's `labfrr:N` images, and tags that are an
    /// FRR version (`frrouting/frr:v8.4.1`, `quay.io/frrouting/frr:10.2.1`). `labfrr:latest` is
    /// FRR 10. None for a name that says nothing.
    pub fn from_image_name(image: &str) -> Option<FrrVersion> {
        let (repo, tag) = match image.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, tag),
            _ => (image, "latest"),
        };
        let name = repo.rsplit('/').next().unwrap_or(repo);
        if name == "labfrr" {
            if tag == "latest" {
                return Some(FrrVersion::DEFAULT);
            }
            return FrrVersion::parse(tag);
        }
        // A version tag has a dot (`v8.4.1`, `10.2.1`, `8.4`): a bare `3` says nothing.
        if !tag.contains('.') {
            return tag
                .strip_prefix('v')
                .and_then(FrrVersion::parse)
                .filter(|v| v.major >= 6);
        }
        FrrVersion::parse(tag).filter(|v| v.major >= 6)
    }

    /// From FRR 9 on, zebra's and staticd's configuration goes through mgmtd: without it,
    /// vtysh refuses every such line with `mgmtd is not running`.
    pub fn has_mgmtd(self) -> bool {
        self.major >= 9
    }

    /// Whether mplsrepl renders for and tests this line.
    pub fn supported(self) -> bool {
        Self::SUPPORTED_MAJORS.contains(&self.major)
    }
}

impl fmt::Display for FrrVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_from_every_form_they_come_in() {
        assert_eq!(FrrVersion::parse("10"), Some(FrrVersion::new(10, 0)));
        assert_eq!(FrrVersion::parse("10.3"), Some(FrrVersion::new(10, 3)));
        assert_eq!(FrrVersion::parse("8.4.4"), Some(FrrVersion::new(8, 4)));
        assert_eq!(FrrVersion::parse("v8.4.1"), Some(FrrVersion::new(8, 4)));
        assert_eq!(
            FrrVersion::parse("10.3-3+deb13u1"),
            Some(FrrVersion::new(10, 3))
        );
        assert_eq!(FrrVersion::parse("latest"), None);
        assert_eq!(FrrVersion::parse(""), None);
    }

    #[test]
    fn image_names_imply_versions_where_they_say_one() {
        let v = FrrVersion::from_image_name;
        assert_eq!(v("labfrr:8"), Some(FrrVersion::new(8, 0)));
        assert_eq!(v("labfrr:10"), Some(FrrVersion::new(10, 0)));
        assert_eq!(v("labfrr:latest"), Some(FrrVersion::DEFAULT));
        assert_eq!(v("labfrr"), Some(FrrVersion::DEFAULT));
        assert_eq!(v("frrouting/frr:v8.4.1"), Some(FrrVersion::new(8, 4)));
        assert_eq!(
            v("quay.io/frrouting/frr:10.2.1"),
            Some(FrrVersion::new(10, 2))
        );
        assert_eq!(v("localhost:5000/frr"), None);
        assert_eq!(v("myfrr:custom"), None);
        assert_eq!(v("mplsrepl-e2e/frr-docker-start:3"), None);
        assert_eq!(v("frr:v10"), Some(FrrVersion::new(10, 0)));
    }

    #[test]
    fn mgmtd_from_frr_9_on() {
        assert!(!FrrVersion::new(8, 4).has_mgmtd());
        assert!(FrrVersion::new(9, 0).has_mgmtd());
        assert!(FrrVersion::new(10, 3).has_mgmtd());
        assert!(FrrVersion::new(10, 3).supported() && !FrrVersion::new(9, 1).supported());
    }
}
