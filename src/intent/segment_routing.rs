//! SR-MPLS as the IGP carries it (IS-IS or OSPF): the label block every router reserves for
//! prefix segments (the SRGB) and the prefix-SID indexes of its own prefixes. A router's label
//! for a prefix is its own SRGB base plus the prefix's index, so an index must fit in every
//! router's block and name one prefix only.

use std::collections::BTreeMap;
use std::fmt;

use ipnet::Ipv4Net;
use serde::Serialize;

/// FRR's SRGB when none is configured (IS-IS and OSPF alike); FRR does not print it back.
pub const DEFAULT_SRGB: Srgb = Srgb {
    lower: 16000,
    upper: 23999,
};

/// FRR's SRLB when none is configured, the labels of adjacency SIDs: isisd's
/// SRLB_DFTL_LOWER_BOUND/UPPER_BOUND (isis_sr.h) and ospfd's DEFAULT_SRLB_LABEL/END (ospf_sr.h).
/// An SRGB that overlaps it is refused when the daemon asks zebra for both blocks.
pub const DEFAULT_SRLB: Srgb = Srgb {
    lower: 15000,
    upper: 15999,
};

/// The largest prefix-SID index: `segment-routing prefix A.B.C.D/M index (0-65535)` in both
/// isisd's and ospfd's grammar (FRR 8.4 and 10.3 alike).
pub const MAX_SID_INDEX: u32 = 65535;

/// Labels 0-15 are reserved (RFC 3032); the kernel forwards labels below `platform_labels`.
pub const FIRST_UNRESERVED_LABEL: u32 = 16;
/// The largest MPLS label (20 bits).
pub const MAX_LABEL: u32 = (1 << 20) - 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentRouting {
    pub srgb: Srgb,
    pub prefix_sids: BTreeMap<Ipv4Net, PrefixSid>,
}

impl Default for SegmentRouting {
    fn default() -> Self {
        SegmentRouting {
            srgb: DEFAULT_SRGB,
            prefix_sids: BTreeMap::new(),
        }
    }
}

/// The segment routing global block, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Srgb {
    pub lower: u32,
    pub upper: u32,
}

impl Srgb {
    pub fn size(self) -> u32 {
        self.upper - self.lower + 1
    }
}

impl fmt::Display for Srgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.lower, self.upper)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrefixSid {
    pub index: u32,
    pub last_hop: LastHop,
}

/// What the router before this one does with the prefix's label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LastHop {
    /// Penultimate hop popping: the label is gone before the packet arrives.
    #[default]
    Php,
    /// The penultimate hop swaps to explicit-null (label 0), keeping the traffic class.
    ExplicitNull,
    /// The packet arrives with this router's own label on top.
    NoPhp,
}

impl LastHop {
    pub fn parse(text: &str) -> Option<LastHop> {
        match text {
            "php" => Some(LastHop::Php),
            "explicit-null" => Some(LastHop::ExplicitNull),
            "no-php" => Some(LastHop::NoPhp),
            _ => None,
        }
    }

    /// The flag FRR takes after `segment-routing prefix P index N`.
    pub fn frr_flag(self) -> Option<&'static str> {
        match self {
            LastHop::Php => None,
            LastHop::ExplicitNull => Some("explicit-null"),
            LastHop::NoPhp => Some("no-php-flag"),
        }
    }
}

/// An SRGB the kernel can forward and FRR takes: above the reserved labels, below the
/// router's `net.mpls.platform_labels` (the kernel's label table size), lower < upper.
pub fn check_srgb(srgb: Srgb, platform_labels: Option<u32>) -> Result<(), String> {
    if srgb.lower >= srgb.upper {
        return Err(format!(
            "SRGB {srgb}: the lower bound must be below the upper one"
        ));
    }
    if srgb.lower < FIRST_UNRESERVED_LABEL {
        return Err(format!(
            "SRGB {srgb} starts in the reserved labels 0-15: start it at {FIRST_UNRESERVED_LABEL} or above"
        ));
    }
    if srgb.lower <= DEFAULT_SRLB.upper && DEFAULT_SRLB.lower <= srgb.upper {
        return Err(format!(
            "SRGB {srgb} overlaps FRR's local block (SRLB) {DEFAULT_SRLB}, the labels it keeps for adjacency SIDs: \
             isisd and ospfd refuse it; start the SRGB at {} or above, or end it below {}",
            DEFAULT_SRLB.upper + 1,
            DEFAULT_SRLB.lower
        ));
    }
    let limit = platform_labels.unwrap_or(MAX_LABEL + 1);
    if srgb.upper >= limit {
        return Err(match platform_labels {
            Some(n) => format!(
                "SRGB {srgb} ends above the router's label table: net.mpls.platform_labels is {n}, so the kernel forwards labels up to {}",
                n.saturating_sub(1)
            ),
            None => format!("SRGB {srgb} ends above the largest label, {MAX_LABEL}"),
        });
    }
    Ok(())
}

/// An index gives the label SRGB base + index on every router: it must fall inside the block.
pub fn check_index(index: u32, srgb: Srgb) -> Result<(), String> {
    if index > MAX_SID_INDEX {
        return Err(format!(
            "prefix-SID index {index} is above {MAX_SID_INDEX}, the largest FRR takes"
        ));
    }
    if index >= srgb.size() {
        return Err(format!(
            "prefix-SID index {index} is outside the SRGB {srgb}: it holds indexes 0-{} (label {} + index)",
            srgb.size() - 1,
            srgb.lower
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_srgb_must_fit_the_kernels_label_table() {
        assert!(check_srgb(DEFAULT_SRGB, Some(100_000)).is_ok());
        let e = check_srgb(DEFAULT_SRGB, Some(20_000)).unwrap_err();
        assert!(e.contains("net.mpls.platform_labels is 20000"), "{e}");
        let e = check_srgb(
            Srgb {
                lower: 8,
                upper: 100,
            },
            None,
        )
        .unwrap_err();
        assert!(e.contains("reserved labels"), "{e}");
        assert!(check_srgb(
            Srgb {
                lower: 100,
                upper: 100
            },
            None
        )
        .is_err());
        assert!(check_srgb(
            Srgb {
                lower: 16000,
                upper: MAX_LABEL
            },
            None
        )
        .is_ok());
        for (lower, upper) in [(16, 20000), (15999, 23999), (10000, 15000)] {
            let e = check_srgb(Srgb { lower, upper }, None).unwrap_err();
            assert!(
                e.contains("overlaps FRR's local block (SRLB) 15000-15999"),
                "{e}"
            );
        }
        assert!(check_srgb(
            Srgb {
                lower: 16,
                upper: 14999
            },
            None
        )
        .is_ok());
    }

    #[test]
    fn an_index_must_fall_inside_the_block() {
        assert!(check_index(7999, DEFAULT_SRGB).is_ok());
        let e = check_index(8000, DEFAULT_SRGB).unwrap_err();
        assert!(e.contains("indexes 0-7999"), "{e}");
    }
}
