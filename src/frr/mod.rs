//! FRR as a node kind, as containerlab's `nodes/` has one per router OS: everything that turns
//! a container into an FRR router, and nothing about containers.
//!
//! - [`version`]: which FRR a router runs, known before any router exists (from the image's
//!   name or label, or `--frr`), confirmed by each router as it starts;
//! - [`daemons`]: the daemons a router needs, from one function fed by the intent, and FRR's
//!   `daemons` file;
//! - [`start`]: the files FRR reads at start and the start sequence for each version (mgmtd
//!   before zebra and staticd from FRR 9 on);
//! - [`render`]: a router's intent as FRR's configuration tree ([`config_tree`], frr.conf);
//! - [`diff`]: the typed change between two intents of a router: FRR lines (with `no ...` for
//!   removals) from their configuration trees, and the kernel commands around them;
//! - [`json`]: FRR's `show ... json` in one form for every version;
//! - [`apply`]: the script that applies one router's change, and the reading of FRR's reply,
//!   so that a line FRR did not take fails the step that sent it;
//! - [`readback`]: the running configuration read back after a change, against what was sent;
//! - [`saved`]: a router's configuration as a file (`show running-config` saved, a saved
//!   frr.conf sent back);
//! - [`limits`]: the ranges FRR accepts for each knob the API sets, checked at plan time;
//! - [`evidence`]: what to read of a router's state when a check fails.
//!
//! The runtime backends run the scripts these build; they never see FRR syntax.

pub mod apply;
pub mod config_tree;
pub mod daemons;
pub mod diff;
pub mod evidence;
pub mod json;
pub mod limits;
pub mod readback;
pub mod render;
pub mod saved;
pub mod start;
pub mod version;

pub use daemons::Daemon;
pub use version::FrrVersion;
