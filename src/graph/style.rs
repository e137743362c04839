//! Colours per role and per VRF, shared by the SVG, DOT and Mermaid pictures so that a lab
//! looks the same whichever tool draws it.

use crate::topology::Role;

/// Fill and stroke of a router of this role.
pub fn role_colors(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::P => ("#dbeafe", "#1e40af"),
        Role::Pe => ("#dcfce7", "#166534"),
        Role::Ce => ("#ffedd5", "#9a3412"),
        Role::Rr => ("#f3e8ff", "#6b21a8"),
    }
}

/// Fill and stroke of a multi-access network.
pub const BUS_COLORS: (&str, &str) = ("#f3f4f6", "#4b5563");

/// Lines outside any VRF.
pub const PLAIN_LINE: &str = "#6b7280";

/// A line colour per VRF, by the VRF's rank among the lab's VRF names (sorted), so that the
/// same customer has the same colour on both PEs.
pub fn vrf_color(rank: usize) -> &'static str {
    const PALETTE: [&str; 6] = [
        "#dc2626", "#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777",
    ];
    PALETTE[rank % PALETTE.len()]
}
