//! BFD (bfdd): one timer profile per router, which the IGP interfaces and BGP neighbors that
//! ask for BFD use. FRR's own default is 300 ms x 3; under qemu TCG nothing faster holds.

use serde::Serialize;

/// The profile mplsrepl configures and every BFD user on the router names.
pub const PROFILE: &str = "LAB";

/// FRR's defaults, which `show running-config` leaves out.
pub const DEFAULT_INTERVAL_MS: u32 = 300;
pub const DEFAULT_MULTIPLIER: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BfdProfile {
    /// Transmit and receive interval (ms).
    pub interval_ms: u32,
    pub multiplier: u32,
}

impl Default for BfdProfile {
    fn default() -> Self {
        BfdProfile {
            interval_ms: DEFAULT_INTERVAL_MS,
            multiplier: DEFAULT_MULTIPLIER,
        }
    }
}

impl BfdProfile {
    /// How long a silent neighbor stays Up (ms).
    pub fn detection_ms(self) -> u32 {
        self.interval_ms * self.multiplier
    }
}
