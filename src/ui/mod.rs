//! Terminal output: the step/action transcript, colors and progress.

pub mod report;
pub mod transcript;

pub use report::Reporter;
pub use transcript::Transcript;
