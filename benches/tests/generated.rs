//! The benchmark inputs are valid: every generated ruleset and table checks, and the
//! hand-written MARAC baseline agrees with the engine on generated cases.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers stop at the first broken fixture"
)]

use waymark_benches::{generate, handwritten};

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("waymark-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn generated_inputs_check() {
    for n in [10, 100, 1_000] {
        let rules = waymark::Ruleset::from_path(write(&format!("r{n}.wm"), &generate::rules(n)));
        let rules = rules.unwrap_or_else(|e| {
            panic!(
                "{n} rules: {:?}",
                e.0.iter().map(|d| &d.message).collect::<Vec<_>>()
            )
        });
        rules
            .evaluate_json(&generate::rules_facts(1), false)
            .unwrap();
    }
    for rows in [50, 500] {
        let table =
            waymark::Ruleset::from_path(write(&format!("t{rows}.wm"), &generate::table(rows)))
                .unwrap();
        for band in [0, rows / 2, rows - 1] {
            let d = table
                .evaluate_json(
                    &serde_json::json!({"band": band, "age": 30, "income": 10_000}),
                    false,
                )
                .unwrap();
            let expected = if band % 2 == 0 { "low" } else { "high" };
            assert_eq!(d.outcome["tier"], expected, "row {band}");
        }
        let d = table
            .evaluate_json(
                &serde_json::json!({"band": rows + 5, "age": 30, "income": 10_000}),
                false,
            )
            .unwrap();
        assert_eq!(d.outcome["tier"], "none");
    }
}

#[test]
fn handwritten_baseline_agrees_with_the_engine() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let rules = waymark::Ruleset::from_path(root.join("rulesets/marac/referral.wm")).unwrap();
    let levels = ["standard", "medium", "high"];
    let reasons = [
        "visible_high_risk",
        "professional_judgement",
        "potential_escalation",
        "repeat",
    ];
    for seed in 0..2_000u64 {
        let mut rng = generate::Rng::new(seed);
        let facts = generate::marac_facts(seed, rng.below(20) as usize, rng.below(60));
        let case = handwritten::Case {
            answers: std::array::from_fn(|i| match facts[format!("q{}", i + 1)].as_str() {
                Some("yes") => waymark_ir::Answer::Yes,
                Some("no") => waymark_ir::Answer::No,
                _ => waymark_ir::Answer::Unknown,
            }),
            professional_judgement: waymark_ir::Answer::No,
            assessment_date: waymark_ir::Date::parse("2024-05-01").unwrap(),
            abuse_event_dates: Some(vec![
                waymark_ir::Date::parse("2023-06-01").unwrap(),
                waymark_ir::Date::parse("2024-01-10").unwrap(),
            ]),
            last_marac_date: waymark_ir::Date::parse("2022-01-01"),
            victim_age: Some(34),
        };
        let hand = handwritten::decide(&case, &handwritten::Params::default());
        let d = rules.evaluate_json(&facts, false).unwrap();
        assert_eq!(d.outcome["yes_count"], hand.yes_count, "seed {seed}");
        assert_eq!(
            d.outcome["risk_level"], levels[hand.risk_level as usize],
            "seed {seed}"
        );
        assert_eq!(d.outcome["refer_marac"], hand.refer_marac, "seed {seed}");
        let expected: Vec<&str> = {
            let mut v: Vec<&str> = (0..4)
                .filter(|b| hand.reasons & (1 << b) != 0)
                .map(|b| reasons[b])
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            d.outcome["marac_reasons"],
            serde_json::json!(expected),
            "seed {seed}"
        );
    }
}
