//! Declared properties of every reference ruleset hold; broken copies of the MARAC rules
//! are caught with minimal counterexamples; generated facts are always valid.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use waymark_testkit::{PropOptions, Verdict, check_properties, render_text};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn reference_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for area in std::fs::read_dir(root().join("rulesets")).unwrap() {
        for f in std::fs::read_dir(area.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "wm") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn opts(cases: usize) -> PropOptions {
    PropOptions {
        cases,
        seed: 7,
        ..PropOptions::default()
    }
}

#[test]
fn every_reference_property_holds() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in reference_files() {
        let rules = waymark::Ruleset::from_path(&path).unwrap();
        let reports = check_properties(&rules, &opts(300));
        checked += reports.len();
        if reports.iter().any(|r| r.verdict != Verdict::Passed) {
            failures.push(render_text(&path.display().to_string(), &reports));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 30, "only {checked} properties");
}

/// A copy of the MARAC rules (and the adult checklist they import) with one change.
fn broken_marac(from: &str, to: &str) -> waymark::Ruleset {
    let dir = std::env::temp_dir().join(format!(
        "waymark-testkit-{}-{}",
        std::process::id(),
        from.len() + to.len()
    ));
    std::fs::create_dir_all(dir.join("marac")).unwrap();
    std::fs::create_dir_all(dir.join("ric")).unwrap();
    let text = std::fs::read_to_string(root().join("rulesets/marac/referral.wm")).unwrap();
    assert!(
        text.contains(from),
        "the MARAC rules no longer contain {from:?}"
    );
    std::fs::write(dir.join("marac/referral.wm"), text.replace(from, to)).unwrap();
    std::fs::copy(
        root().join("rulesets/ric/adult.wm"),
        dir.join("ric/adult.wm"),
    )
    .unwrap();
    waymark::Ruleset::from_path(dir.join("marac/referral.wm")).unwrap()
}

#[test]
fn judgement_that_lowers_the_level_is_caught_at_exactly_the_threshold() {
    // Judgement becomes an exception to visible high risk that sets medium: with 14 yes
    // answers, recording a concern lowers the level from high to medium.
    let rules = broken_marac(
        "rule professional_judgement_met \"Professional judgement: a concern is recorded\" {\n  source W3\n  when criterion_pj\n  set risk_level to high",
        "exception professional_judgement_met to visible_high_risk_met \"Professional judgement: a concern is recorded\" {\n  source W3\n  when criterion_pj\n  set risk_level to medium",
    );
    let reports = check_properties(&rules, &opts(2000));
    let text = render_text("broken", &reports);
    let r = reports
        .iter()
        .find(|r| r.name == "professional judgement can raise the risk level but never lower it")
        .unwrap();
    assert_eq!(r.verdict, Verdict::Failed, "{text}");
    let cx = r.counterexample.as_ref().unwrap();
    let flip = cx.flip.as_ref().unwrap();
    assert_eq!(flip.input, "professional_judgement");
    assert_eq!(
        (flip.before.as_str(), flip.after.as_str()),
        (Some("high"), Some("medium"))
    );
    // Minimal: the fewest yes answers that reach high risk, and nothing else but the date.
    assert_eq!(cx.yes_answers, 14, "{text}");
    assert_eq!(cx.facts_given, 15, "{text}");
    assert!(text.contains("changing professional_judgement from not answered to yes changes risk_level from high to medium"), "{text}");
}

#[test]
fn a_referred_15_year_old_is_caught_with_three_facts() {
    let rules = broken_marac(
        "let under_min_age = victim_age is known and victim_age < marac_min_age",
        "let under_min_age = victim_age is known and victim_age < marac_min_age - 1",
    );
    let reports = check_properties(&rules, &opts(2000));
    let text = render_text("broken", &reports);
    let r = reports
        .iter()
        .find(|r| r.name == "nobody known to be under the minimum age is referred")
        .unwrap();
    assert_eq!(r.verdict, Verdict::Failed, "{text}");
    let cx = r.counterexample.as_ref().unwrap();
    assert_eq!(cx.facts["victim_age"], 15, "{text}");
    assert_eq!(cx.outcome["refer_marac"], true);
    assert_eq!(cx.condition, Some(serde_json::Value::Bool(false)));
    // Minimal: the date, the age and one criterion (no other fact can be left out).
    assert_eq!(cx.facts_given, 3, "{text}");
    let others = reports
        .iter()
        .filter(|x| x.verdict == Verdict::Failed)
        .count();
    assert_eq!(others, 1, "{text}");
}

#[test]
fn the_strict_reading_reports_undetermined_conditions() {
    let rules =
        waymark::Ruleset::from_path(root().join("rulesets/exploitation/cse_gang.wm")).unwrap();
    let strict = PropOptions {
        unknown: waymark_testkit::UnknownCounts::AsFailure,
        ..opts(300)
    };
    let reports = check_properties(&rules, &strict);
    let r = reports
        .iter()
        .find(|r| r.name == "every concern goes to the MASH the same day")
        .unwrap();
    assert_eq!(r.verdict, Verdict::Failed);
    let cx = r.counterexample.as_ref().unwrap();
    assert!(cx.undetermined);
    assert_eq!(cx.condition, Some(serde_json::Value::Null));
}

#[test]
fn agree_with_another_version_except_where_allowed() {
    let dir = std::env::temp_dir().join(format!("waymark-testkit-agree-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let v1 = "ruleset demo version 1.0.0\ninput q1: answer \"Q1\"\ninput q2: answer \"Q2\"\nlet n = count yes in [q1, q2]\noutput high: bool \"High\" default false\nrule r \"R\" {\n  when n >= 2\n  set high to true\n}\n";
    let v2 = |except: &str| {
        format!(
            "ruleset demo version 2.0.0\ninput q1: answer \"Q1\"\ninput q2: answer \"Q2\"\nlet n = count yes in [q1, q2]\noutput high: bool \"High\" default false\nrule r \"R\" {{\n  when n >= 1\n  set high to true\n}}\nproperty \"same as version 1\" {{\n  agree with \"v1.wm\" on high{except}\n}}\n"
        )
    };
    std::fs::write(dir.join("v1.wm"), v1).unwrap();
    std::fs::write(dir.join("v2.wm"), v2("")).unwrap();
    std::fs::write(dir.join("v2_except.wm"), v2(" except when n = 1")).unwrap();
    let broken = waymark::Ruleset::from_path(dir.join("v2.wm")).unwrap();
    let reports = check_properties(&broken, &opts(100));
    assert_eq!(reports[0].verdict, Verdict::Failed, "{reports:?}");
    assert!(matches!(
        reports[0].search,
        waymark_testkit::Search::Random { .. }
    ));
    let cx = reports[0].counterexample.as_ref().unwrap();
    assert_eq!(cx.yes_answers, 1);
    assert_eq!(
        cx.other.as_ref().unwrap().differing,
        vec!["high".to_string()]
    );
    let fixed = waymark::Ruleset::from_path(dir.join("v2_except.wm")).unwrap();
    let reports = check_properties(&fixed, &opts(100));
    assert_eq!(reports[0].verdict, Verdict::Passed, "{reports:?}");
}

#[test]
fn small_input_spaces_are_searched_exhaustively() {
    let src = "ruleset demo version 1.0.0\nenum grade ordered { low, high }\ninput q1: answer \"Q1\"\ninput q2: answer \"Q2\"\ninput age: optional int in 0..20 \"Age\"\noutput level: grade \"Level\" default low\nrule r \"R\" {\n  when q1 is yes and (age is known and age > 3)\n  set level to high\n}\nproperty \"monotone\" {\n  monotone level in q1, q2\n}\nproperty \"young are low\" {\n  always age is known and age <= 2 implies level = low\n}\n";
    let rules =
        waymark::Ruleset::from_sources("demo.wm", &[("demo.wm".into(), src.into())]).unwrap();
    let reports = check_properties(&rules, &opts(10));
    // The monotone output reads q1 and age, and q2 is flipped: 3 × 3 × 22 combinations;
    // the condition reads q1 (through the level) and age: 3 × 22.
    for (r, expected) in reports.iter().zip([3 * 3 * 22, 3 * 22]) {
        assert_eq!(r.verdict, Verdict::Passed, "{r:?}");
        match &r.search {
            waymark_testkit::Search::Exhaustive { combinations, .. } => {
                assert_eq!(*combinations, expected);
                assert_eq!(r.cases, *combinations);
            }
            other => panic!("not exhaustive: {other:?}"),
        }
    }
}

#[test]
fn generated_facts_are_always_valid() {
    for path in reference_files() {
        let rules = waymark::Ruleset::from_path(&path).unwrap();
        let mut runner = TestRunner::new(Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&waymark_testkit::case_facts(&rules), |(json, facts)| {
            let parsed = rules
                .facts_from_json(&json)
                .map_err(|e| TestCaseError::fail(format!("{}: {e}\n{json}", path.display())))?;
            prop_assert_eq!(
                rules.evaluate(&parsed, false).outcome,
                rules.evaluate(&facts, false).outcome
            );
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }
}

#[test]
fn boundary_cases_sit_on_the_threshold() {
    let rules = waymark::Ruleset::from_path(root().join("rulesets/marac/referral.wm")).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    let seen = std::cell::RefCell::new(std::collections::BTreeSet::new());
    runner
        .run(&waymark_testkit::boundary_cases(&rules), |case| {
            seen.borrow_mut().insert(case.yes_answers());
            Ok(())
        })
        .unwrap();
    let seen = seen.into_inner();
    for k in [13, 14, 15] {
        assert!(seen.contains(&k), "no case with {k} yes answers: {seen:?}");
    }
}

#[test]
fn both_engines_agree_on_generated_facts() {
    let rules = waymark::Ruleset::from_path(root().join("rulesets/marac/referral.wm")).unwrap();
    let kinds = waymark_testkit::check_engines(&rules, Config::with_cases(32), |d| {
        if d.outcome["refer_marac"] == true && d.outcome["marac_reasons"] == serde_json::json!([]) {
            return Err("referred without a reason".into());
        }
        Ok(())
    })
    .unwrap();
    assert!(!kinds.is_empty());
}
