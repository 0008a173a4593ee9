//! Resource limits: a ruleset or case beyond a limit is refused with an error that names
//! the limit, on every path (full facts reader, streaming reader, compiler).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests: a failure stops the test at once"
)]

use serde_json::json;
use waymark::{FactErrorKind, Limits, Ruleset};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn marac() -> Ruleset {
    Ruleset::from_path(root().join("rulesets/marac/referral.wm")).unwrap()
}

fn small_source(formula: &str) -> Vec<(String, String)> {
    vec![(
        "limits.wm".to_string(),
        format!(
            "ruleset limits.test version 1.0.0\n\n\
             input n: int \"A number\"\n\
             input note: optional text \"A note\"\n\
             output big: bool \"Big\" = {formula}\n"
        ),
    )]
}

fn kinds(e: &waymark::FactErrors) -> Vec<(String, FactErrorKind)> {
    e.0.iter().map(|e| (e.input.clone(), e.kind)).collect()
}

#[test]
fn a_list_longer_than_the_limit_is_refused_on_both_readers() {
    let rules = marac().with_limits(Limits {
        max_list_len: 3,
        ..Limits::default()
    });
    let case =
        std::fs::read_to_string(root().join("examples/cases/sc02-thirteen-ticks.json")).unwrap();
    let mut facts: serde_json::Value = serde_json::from_str(&case).unwrap();
    facts["police_callout_dates"] = json!(["2025-01-01", "2025-02-01", "2025-03-01"]);
    assert!(
        rules.evaluate_json(&facts, false).is_ok(),
        "three is allowed"
    );
    facts["police_callout_dates"] = json!(["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]);
    let e = rules.evaluate_json(&facts, false).unwrap_err();
    assert_eq!(
        kinds(&e),
        [("police_callout_dates".to_string(), FactErrorKind::Limit)]
    );
    assert!(
        e.0[0].message.contains("4 items, more than the limit of 3"),
        "{}",
        e.0[0].message
    );
    // The streaming reader falls back to the full path and reports the same problem.
    let mut stream = waymark::CaseStream::new(&rules);
    let streamed = stream.read_facts(&facts.to_string()).unwrap_err();
    assert_eq!(streamed, e);
    // With the default limits the same case is read.
    assert!(marac().evaluate_json(&facts, false).is_ok());
}

#[test]
fn too_many_values_in_one_case_is_refused_before_any_is_read() {
    let rules = marac().with_limits(Limits {
        max_fact_values: 50,
        ..Limits::default()
    });
    let dates: Vec<String> = (1..=60)
        .map(|d| format!("2024-01-{:02}", d % 28 + 1))
        .collect();
    let facts = json!({ "abuse_event_dates": dates, "not_an_input": 1 });
    let e = rules.evaluate_json(&facts, false).unwrap_err();
    assert_eq!(kinds(&e), [(String::new(), FactErrorKind::Limit)]);
    assert!(e.0[0].message.contains("more than 50 values"));
}

#[test]
fn a_text_longer_than_the_limit_is_refused() {
    let rules = Ruleset::from_sources("limits.wm", &small_source("n > 10"))
        .unwrap()
        .with_limits(Limits {
            max_text_bytes: 8,
            ..Limits::default()
        });
    assert!(
        rules
            .evaluate_json(&json!({"n": 1, "note": "short"}), false)
            .is_ok()
    );
    let e = rules
        .evaluate_json(&json!({"n": 1, "note": "far too long a note"}), false)
        .unwrap_err();
    assert_eq!(kinds(&e), [("note".to_string(), FactErrorKind::Limit)]);
    assert!(
        e.0[0]
            .message
            .contains("19 bytes long, more than the limit of 8")
    );
}

#[test]
fn every_problem_is_reported_with_the_limit() {
    let rules = marac().with_limits(Limits {
        max_list_len: 1,
        ..Limits::default()
    });
    let e = rules
        .evaluate_json(
            &json!({
                "police_callout_dates": ["2025-01-01", "2025-02-01"],
                "q1": "perhaps",
            }),
            false,
        )
        .unwrap_err();
    let found = kinds(&e);
    assert!(found.contains(&("police_callout_dates".to_string(), FactErrorKind::Limit)));
    assert!(
        found.contains(&("q1".to_string(), FactErrorKind::WrongType)),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(_, k)| *k == FactErrorKind::Missing),
        "{found:?}"
    );
}

#[test]
fn a_formula_nested_deeper_than_the_limit_does_not_compile() {
    let nested = format!("{}n > 10{}", "(".repeat(3), ")".repeat(3));
    let deep = "not not not not not not (n > 10)";
    let limits = Limits {
        compile: waymark_compile_limits(4, 1 << 20),
        ..Limits::default()
    };
    // Parentheses add no depth: they compute nothing.
    assert!(Ruleset::from_sources_with("limits.wm", &small_source(&nested), &limits).is_ok());
    let e = Ruleset::from_sources_with("limits.wm", &small_source(deep), &limits).unwrap_err();
    let messages: Vec<String> = e.0.iter().map(|d| d.message.clone()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("nested more than 4 deep")),
        "{messages:?}"
    );
    assert!(
        e.0.iter()
            .any(|d| d.code == waymark::diagnostics::Code::LimitExceeded)
    );
    assert!(Ruleset::from_sources("limits.wm", &small_source(deep)).is_ok());
}

#[test]
fn a_program_larger_than_the_limit_does_not_compile() {
    let files = vec![
        (
            "referral.wm".to_string(),
            std::fs::read_to_string(root().join("rulesets/marac/referral.wm")).unwrap(),
        ),
        (
            "../ric/adult.wm".to_string(),
            std::fs::read_to_string(root().join("rulesets/ric/adult.wm")).unwrap(),
        ),
    ];
    // The error names the program's size; exactly that size fits, one less does not.
    let limited = |n: usize| Limits {
        compile: waymark_compile_limits(128, n),
        ..Limits::default()
    };
    let e = Ruleset::from_sources_with("referral.wm", &files, &limited(1)).unwrap_err();
    let message = &e.0.last().unwrap().message;
    let size: usize = message
        .split("hold ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in {message:?}"));
    assert!(size > 100, "{message}");
    assert!(Ruleset::from_sources_with("referral.wm", &files, &limited(size)).is_ok());
    let tight = limited(size - 1);
    let e = Ruleset::from_sources_with("referral.wm", &files, &tight).unwrap_err();
    assert!(
        e.0.iter().any(|d| d.message.contains(&format!(
            "{size} instructions, more than the limit of {}",
            size - 1
        ))),
        "{:?}",
        e.0
    );
}

#[test]
fn ruleset_text_over_the_size_limit_is_refused_unread() {
    let limits = Limits {
        max_source_bytes: 100,
        ..Limits::default()
    };
    let e = Ruleset::from_sources_with("limits.wm", &small_source("n > 10"), &limits).unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert_eq!(e.0[0].code, waymark::diagnostics::Code::LimitExceeded);
    assert!(e.0[0].message.contains("more than the limit of 100 bytes"));
}

fn waymark_compile_limits(depth: usize, instructions: usize) -> waymark::CompileLimits {
    waymark::CompileLimits {
        max_expr_depth: depth,
        max_instructions: instructions,
        ..waymark::CompileLimits::default()
    }
}
