//! Property testing for Waymark rulesets.
//!
//! * [`strategy`]: proptest strategies generating valid facts for any compiled ruleset,
//!   respecting every input's type, range and optionality, and a boundary-heavy strategy
//!   that puts numbers, yes counts and dates at the ruleset's thresholds and window edges.
//! * [`props`]: the ruleset's own `property` blocks (`monotone`, `always`, `never`,
//!   `agree`) checked by exhaustive or seeded random search, with a minimal
//!   counterexample and a text report a policy officer can read.
//! * [`engines`]: a property checked on the native engine and the WebAssembly component on
//!   the same facts (the component is skipped, with a message, when it is not built).
//!
//! A test a tester can copy: generated facts, a claim about every decision, on both
//! engines.
//!
//! ```
//! use proptest::test_runner::Config;
//!
//! let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
//! let rules = waymark::Ruleset::from_path(root.join("rulesets/marac/referral.wm"))?;
//!
//! // Every referral has a reason, on every engine, for 64 generated cases.
//! let engines = waymark_testkit::check_engines(&rules, Config::with_cases(64), |decision| {
//!     let referred = decision.outcome["refer_marac"] == true;
//!     let reasons = decision.outcome["marac_reasons"].as_array().map_or(0, Vec::len);
//!     if referred && reasons == 0 {
//!         return Err("referred without a reason".into());
//!     }
//!     Ok(())
//! });
//! assert!(engines.is_ok(), "{engines:?}");
//!
//! // The ruleset's own `property` blocks.
//! let opts = waymark_testkit::PropOptions { cases: 200, ..Default::default() };
//! let reports = waymark_testkit::check_properties(&rules, &opts);
//! assert!(reports.iter().all(|r| r.verdict == waymark_testkit::Verdict::Passed));
//! println!("{}", waymark_testkit::render_text("marac.referral", &reports));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Inside `proptest!`, use a strategy directly:
//!
//! ```
//! use proptest::prelude::*;
//!
//! let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
//! let rules = waymark::Ruleset::from_path(root.join("rulesets/ric/adult.wm"))?;
//! proptest!(ProptestConfig::with_cases(32), |(facts in waymark_testkit::boundary_facts(&rules))| {
//!     let decision = rules.evaluate_json(&facts, false).expect("generated facts are valid");
//!     prop_assert!(decision.outcome["yes_count"].as_i64().unwrap_or(0) <= 24);
//! });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `examples/property_test.rs` is the same as a test file.

pub mod domain;
pub mod engines;
pub mod props;
pub mod strategy;

pub use domain::{Case, Domain, Fact};
pub use engines::{EngineError, Engines, check_engines};
pub use props::{
    Counterexample, Flip, Progress, PropOptions, PropertyReport, Search, UnknownCounts, Verdict,
    check_properties, check_properties_with, render_text,
};
pub use strategy::{boundary_cases, boundary_facts, case_facts, cases, facts, mixed_facts};
