//! Observations of a live lab, decoded: pcap files with their label stacks, JSON subset
//! matching, traces through the FIBs, snapshots, check results, the statistics of
//! repeated runs.

pub mod json_subset;
pub mod pcap;
pub mod probe;
pub mod repeat;
pub mod results;
pub mod snapshot;
pub mod trace;
