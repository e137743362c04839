//! Terminal output: the step/action transcript, colors and progress.

pub mod report;

pub use report::Reporter;
