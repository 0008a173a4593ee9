//! Values and the compiled program shared by the compiler and the evaluator.
//!
//! This crate knows nothing of source text: no pest, no miette. [`verify`] checks that a
//! program (perhaps read from an artifact) only refers to slots, pool entries, rules,
//! tables and outputs that exist, so the evaluator can index without panicking.

pub mod program;
pub mod value;
mod verify;

pub use program::*;
pub use value::{Answer, Date, Decimal, Unit};
pub use verify::{VerifyError, verify};
