//! The MARAC referral threshold change, and rewrites that change nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{load, outcome};
use serde_json::Value as Json;
use waymark_analysis::{
    BehaviouralDiff, ChangeKind, DiffOptions, Verdict, behavioural_diff, structural_diff,
};

const REFERRAL: &str = "marac/referral.wm";

fn opts() -> DiffOptions {
    DiffOptions {
        random_cases: 200,
        ..DiffOptions::default()
    }
}

fn threshold_13(s: &str) -> String {
    let edited = s
        .replace(
            "param vhr_threshold: int in 1..24 = 14",
            "param vhr_threshold: int in 1..24 = 13",
        )
        .replace(
            "ruleset marac.referral version 1.0.0",
            "ruleset marac.referral version 1.1.0",
        );
    assert_ne!(edited, s, "the edit must apply");
    edited
}

fn verdict<'d>(d: &'d BehaviouralDiff, output: &str) -> &'d Verdict {
    &d.outputs
        .iter()
        .find(|o| o.output == output)
        .unwrap_or_else(|| panic!("no verdict for {output}"))
        .verdict
}

fn assert_all_equivalent(d: &BehaviouralDiff) {
    assert!(!d.outputs.is_empty());
    for o in &d.outputs {
        assert!(
            matches!(o.verdict, Verdict::Equivalent { .. }),
            "{} is not proven equivalent: {:#?}",
            o.output,
            o.verdict
        );
    }
}

#[test]
fn a_lower_threshold_changes_exactly_the_13_yes_cases() {
    let old = load(REFERRAL, &|s| s.to_string());
    let new = load(REFERRAL, &threshold_13);
    let d = behavioural_diff(&old, &[], &new, &[], &opts());
    println!("{}", serde_json::to_string_pretty(&d).unwrap());
    for output in ["risk_level", "refer_marac", "marac_reasons"] {
        let Verdict::Differs {
            patterns,
            examples,
            summary,
            ..
        } = verdict(&d, output)
        else {
            panic!("{output} must differ: {:#?}", verdict(&d, output));
        };
        assert!(patterns.is_some_and(|p| p > 0.0), "{output}: {patterns:?}");
        assert!(
            summary
                .iter()
                .any(|l| l == "every changed case has yes_count = 13"),
            "{output}: {summary:#?}"
        );
        assert!(!examples.is_empty(), "{output} has no example");
        for ex in examples {
            let facts = ex.facts.as_object().unwrap();
            let o = outcome(&old, facts).unwrap();
            let n = outcome(&new, facts).unwrap();
            assert_eq!(o[output], ex.old, "{output}: old value reproduces");
            assert_eq!(n[output], ex.new, "{output}: new value reproduces");
            assert_ne!(ex.old, ex.new);
            assert_eq!(o["yes_count"], Json::from(13), "{output}: {facts:?}");
        }
    }
    if let Verdict::Differs { directions, .. } = verdict(&d, "risk_level") {
        let dir = directions.as_ref().expect("risk level is ordered");
        assert!(dir.up > 0.0 && dir.down == 0.0, "{dir:#?}");
    }
    assert!(
        matches!(verdict(&d, "yes_count"), Verdict::Equivalent { .. }),
        "{:#?}",
        verdict(&d, "yes_count")
    );

    let s = structural_diff(old.checked(), new.checked());
    assert!(s.params.iter().any(|c| c.name == "vhr_threshold"
        && c.aspect == "default"
        && c.before.as_deref() == Some("14")
        && c.after.as_deref() == Some("13")));
    assert!(s.meta.iter().any(|c| c.aspect == "version"
        && c.kind == ChangeKind::Changed
        && c.after.as_deref() == Some("1.1.0")));
    assert!(s.rules.is_empty() && s.outputs.is_empty(), "{s:#?}");
}

fn assert_equivalent_after(what: &str, edit: &dyn Fn(&str) -> String) {
    let old = load(REFERRAL, &|s| s.to_string());
    let original = std::fs::read_to_string(common::rulesets_dir().join(REFERRAL)).unwrap();
    let text = edit(&original);
    if what != "identical" {
        assert_ne!(text, original, "{what}: the edit must apply");
    }
    let new = load(REFERRAL, edit);
    let d = behavioural_diff(&old, &[], &new, &[], &opts());
    assert_all_equivalent(&d);
    if what == "reformatted" || what == "identical" {
        assert!(structural_diff(old.checked(), new.checked()).is_empty());
    }
}

#[test]
fn an_identical_ruleset_is_proven_equivalent() {
    assert_equivalent_after("identical", &|s| s.to_string());
}

#[test]
fn a_reformatted_ruleset_is_proven_equivalent() {
    assert_equivalent_after("reformatted", &|s| {
        s.replace(
            "  when criterion_vhr\n",
            "\n\n      when   criterion_vhr\n\n",
        )
        .replace(
            "let criterion_pj = professional_judgement is yes",
            "let criterion_pj =\n    professional_judgement is yes // the same\n",
        )
    });
}

#[test]
fn not_less_than_is_proven_equivalent_to_at_least() {
    assert_equivalent_after("not less than", &|s| {
        s.replace(
            "let criterion_vhr = yes_count >= vhr_threshold",
            "let criterion_vhr = not (yes_count < vhr_threshold)",
        )
    });
}

#[test]
fn greater_than_one_less_is_proven_equivalent_to_at_least() {
    assert_equivalent_after("greater than one less", &|s| {
        s.replace(
            "let criterion_vhr = yes_count >= vhr_threshold",
            "let criterion_vhr = yes_count > vhr_threshold - 1",
        )
    });
}

#[test]
fn a_threshold_given_as_a_parameter_is_the_same_change() {
    let old = load(REFERRAL, &|s| s.to_string());
    let id = old.checked().param("vhr_threshold").unwrap();
    let d = behavioural_diff(
        &old,
        &[],
        &old,
        &[(id, waymark::checked::Const::Int(13))],
        &opts(),
    );
    assert!(matches!(
        verdict(&d, "refer_marac"),
        Verdict::Differs { .. }
    ));
    // And back to the default: nothing changes.
    let d = behavioural_diff(
        &old,
        &[],
        &old,
        &[(id, waymark::checked::Const::Int(14))],
        &opts(),
    );
    assert_all_equivalent(&d);
}
