//! Shared test support for Waymark: golden runners, strategies and fuzz checks.

pub mod fuzz;
pub mod golden;
pub mod reference;
pub mod strategies;
