//! mplsrepl: script, drive and test an MPLS L3VPN lab of FRRouting containers.
//!
//! Data flows one way: text -> AST -> lab model -> intent diff -> actions -> backend.
//! `topology` owns the DSL, `intent` the desired state and its FRR rendering, `frr` FRR as a
//! node kind (daemons, start, applying a change, versions), `script` the Rhai API, `runtime`
//! the actions and their backends, `check` the observations, `vm` the lab VM.

pub mod catalogue;
pub mod check;
pub mod clab;
pub mod cli;
pub mod cli_export;
pub mod cli_tutorial;
pub mod connect;
pub mod deploy;
pub mod diagnostic;
pub mod dry_run;
pub mod frr;
pub mod graph;
pub mod intent;
pub mod interrupt;
pub mod repl;
pub mod run_guard;
pub mod runtime;
pub mod save;
pub mod script;
pub mod shell_word;
pub mod topology;
pub mod ui;
pub mod vm;
