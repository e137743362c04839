//! Runtime: the actions that realise an intent, and the backends that perform them.
//!
//! A backend sees only actions and observations (exec, capture); it never builds FRR syntax and
//! no Docker type leaves `docker/` and `engine_lost.rs` (which reads bollard's errors).

pub mod action;
pub mod backend;
pub mod docker;
pub mod engine_lost;
pub mod interrupt_guard;
pub mod layer;
pub mod multi_engine;
pub mod placement;
pub mod plan;

pub use action::*;
pub use backend::*;
pub use engine_lost::{engine_lost_hint, is_engine_lost, EngineLost};
