//! The configuration half of the Rhai API: builder handles over the intent.
//!
//! Each handle names what it edits (a router, a VRF of a router, ...) and every method edits the
//! session's desired intent and returns the handle, so calls chain:
//! `router("PE1").vrf("CUSTA", 10).bind("eth1")`. Nothing is sent to the lab here; `apply`,
//! `step` and every check do that.

mod bgp;
mod edit;
mod handle;
mod interface;
mod l2vpn;
mod ldp;
mod link;
mod neighbor;
mod ospf;
mod router;
mod sr;
mod topology;
mod vrf;

use rhai::Engine;

pub use bgp::BgpRef;
pub use interface::IfaceRef;
pub use l2vpn::L2vpnRef;
pub use ldp::LdpRef;
pub use link::LinkRef;
pub use neighbor::NeighborRef;
pub use ospf::OspfRef;
pub use router::RouterRef;
pub use sr::{check_platform_labels, Igp, SrRef};
pub use vrf::VrfRef;

use crate::script::common::Shared;

/// Every handle builds its own API (`CustomType`); the functions that make the first handle
/// (`router`, `link`) and answer questions about the topology are registered beside them.
pub fn register(engine: &mut Engine, shared: &Shared) {
    engine
        .build_type::<RouterRef>()
        .build_type::<IfaceRef>()
        .build_type::<VrfRef>()
        .build_type::<OspfRef>()
        .build_type::<LdpRef>()
        .build_type::<BgpRef>()
        .build_type::<NeighborRef>()
        .build_type::<LinkRef>()
        .build_type::<SrRef>()
        .build_type::<L2vpnRef>();
    router::register_globals(engine, shared);
    link::register_globals(engine, shared);
    topology::register_globals(engine, shared);
}
