//! Runtime: the actions that realise an intent, and the backends that perform them.
//!
//! A backend sees only actions and observations (exec, capture); it never builds FRR syntax and
//! no Docker type leaves `docker.rs`.

pub mod action;
pub mod backend;
pub mod docker;
pub mod plan;

pub use action::*;
pub use backend::*;
