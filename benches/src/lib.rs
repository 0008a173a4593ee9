//! Inputs for Waymark's benchmarks: generated rulesets of any size, decision tables of any
//! length, MARAC cases, and the hand-written Rust MARAC decision that is the baseline.

pub mod generate;
pub mod handwritten;
