//! Hostile inputs: a call that exhausts its fuel, its memory or its deadline gives a typed
//! error, and the next call (on the same ruleset, and on one derived with parameters) works.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failure stops the test at once"
)]

mod common;

use std::time::Duration;

use common::{at, limited, native_json};
use serde_json::{Value as Json, json};
use waymark_host::{Error, Limit, Ruleset};

fn sc02() -> String {
    std::fs::read_to_string(at("examples/cases/sc02-thirteen-ticks.json")).unwrap()
}

/// The case with a huge list of police call-out dates: hundreds of thousands of dates
/// to read, count and explain.
fn with_dates(n: usize) -> String {
    let mut facts: Json = serde_json::from_str(&sc02()).unwrap();
    facts["police_callout_dates"] = Json::Array(vec![json!("2024-04-01"); n]);
    facts.to_string()
}

/// After the failed call, the same ruleset and its parameterised child still give the
/// native decisions (each is rebuilt in a fresh instance from its sources).
fn still_works(rules: &Ruleset, child: &Ruleset) {
    let native = waymark::Ruleset::from_path(at("rulesets/marac/referral.wm")).unwrap();
    let native_child = native
        .with_params(&[("vhr_threshold".to_string(), json!(20))])
        .unwrap();
    let facts: Json = serde_json::from_str(&sc02()).unwrap();
    assert_eq!(
        rules.evaluate_json_str(&sc02(), true).unwrap(),
        native_json(&native, &facts, true).unwrap()
    );
    assert_eq!(
        child.evaluate_json_str(&sc02(), true).unwrap(),
        native_json(&native_child, &facts, true).unwrap()
    );
    assert_ne!(
        native_json(&native, &facts, false).unwrap(),
        native_json(&native_child, &facts, false).unwrap()
    );
}

fn marac(component: &waymark_host::Component) -> (Ruleset, Ruleset) {
    let rules = component
        .from_path(at("rulesets/marac/referral.wm"))
        .unwrap();
    let child = rules
        .with_params(&[("vhr_threshold".to_string(), json!(20))])
        .unwrap();
    (rules, child)
}

#[test]
fn running_out_of_fuel_is_an_error_and_the_next_call_works() {
    // Enough to compile MARAC (about 150 million) and to evaluate a normal case.
    let component = limited(|o| o.fuel = Some(400_000_000));
    let (rules, child) = marac(&component);
    // A case far over the facts limits is refused by the engine's own limits before it
    // costs the fuel it would take to read.
    match rules.evaluate_json_str(&with_dates(400_000), true) {
        Err(Error::Facts(e)) => assert!(
            e.0.iter().all(|f| f.kind == waymark::FactErrorKind::Limit),
            "{e:?}"
        ),
        other => panic!("expected the facts limit, got {other:?}"),
    }
    still_works(&rules, &child);
    // A batch is one call: its fuel covers every case in it.
    let batch = vec![sc02(); 5_000];
    assert_eq!(
        rules.evaluate_batch_json(&batch, true).unwrap_err(),
        Error::Limit(Limit::Fuel)
    );
    still_works(&rules, &child);
}

#[test]
fn reaching_the_memory_limit_is_an_error_and_the_next_call_works() {
    let component = limited(|o| {
        o.memory_bytes = 48 << 20;
        o.fuel = Some(u64::MAX / 2);
    });
    let (rules, child) = marac(&component);
    // About 14 MB of text, then a million JSON values and dates in the guest.
    match rules.evaluate_json_str(&with_dates(1_000_000), true) {
        Err(Error::Limit(Limit::Memory)) => {}
        other => panic!("expected the memory limit, got {other:?}"),
    }
    still_works(&rules, &child);
    // Facts bigger than the whole memory cannot even be passed in.
    let huge = format!("{{\"q1\": \"{}\"}}", "x".repeat(64 << 20));
    assert_eq!(
        rules.evaluate_json_str(&huge, false).unwrap_err(),
        Error::Limit(Limit::Memory)
    );
    still_works(&rules, &child);
}

#[test]
fn passing_the_deadline_is_an_error_and_the_next_call_works() {
    let component = limited(|o| {
        o.fuel = Some(u64::MAX / 2);
        // Loose enough that compiling MARAC in the guest fits on a loaded machine,
        // tight enough that the batch below cannot.
        o.deadline = Some(Duration::from_millis(500));
    });
    let (rules, child) = marac(&component);
    // About two seconds of work: forty thousand cases with explanations.
    let batch = vec![sc02(); 40_000];
    let started = std::time::Instant::now();
    match rules.evaluate_batch_json(&batch, true) {
        Err(Error::Limit(Limit::Deadline)) => {}
        other => panic!("expected the deadline, got {:?}", other.map(|v| v.len())),
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    still_works(&rules, &child);
}

#[test]
fn limit_errors_read_well() {
    assert_eq!(
        Error::Limit(Limit::Fuel).to_string(),
        "the component was stopped: it ran out of fuel (CPU limit)"
    );
    assert_eq!(
        Error::Limit(Limit::Memory).to_string(),
        "the component was stopped: it reached its memory limit"
    );
}
