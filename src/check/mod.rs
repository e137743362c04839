//! Observations of a live lab: captures, JSON subset matching.

pub mod capture;
pub mod json_subset;
pub mod probe;
pub mod results;
pub mod snapshot;
pub mod trace;
