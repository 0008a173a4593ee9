//! Case corpora: fictional cases for demonstrations, tests and benchmarks ([`synth`]), and
//! the impact of a rule change over a corpus of cases, overall and by group ([`impact`]).
//!
//! Both stream: a corpus of millions of lines is read and written a line at a time, in
//! constant memory.

pub mod impact;
pub mod synth;
