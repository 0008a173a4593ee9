//! Differential test: the compiled evaluator and the reference interpreter give identical
//! outcomes for generated rulesets and generated facts, and for the reference rulesets.

use std::fmt::Write as _;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value as Json, json};
use waymark_tests::reference;

/// Well-typed expressions of each type, to a bounded depth.
fn boolean(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        (
            1..=6u32,
            prop_oneof![Just("yes"), Just("no"), Just("unknown"), Just("known")]
        )
            .prop_map(|(q, t)| format!("q{q} is {t}")),
        Just("b1".to_string()),
        Just("b1 is known".to_string()),
        Just("n1 is known".to_string()),
        (0..30i64).prop_map(|k| format!("n1 >= {k}")),
        (0..7i64).prop_map(|k| format!("yes_count > {k}")),
        (1..24i64).prop_map(|m| format!("d1 within {m} months before today")),
        (0..4i64).prop_map(|k| format!("count ev within 12 months before today >= {k}")),
        Just("e1 = red".to_string()),
        Just("e1 in {red, blue}".to_string()),
        Just("lim <= yes_count".to_string()),
        Just("d1 in ev".to_string()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let sub = boolean(depth - 1);
    prop_oneof![
        3 => leaf,
        1 => (sub.clone(), sub.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
        1 => (sub.clone(), sub.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
        1 => sub.clone().prop_map(|a| format!("not ({a})")),
        1 => (sub.clone(), sub.clone()).prop_map(|(a, b)| format!("({a} implies {b})")),
        1 => (sub.clone(), sub.clone(), sub).prop_map(|(c, a, b)| format!("(if {c} then {a} else {b})")),
    ]
    .boxed()
}

fn integer(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        (0..20i64).prop_map(|k| k.to_string()),
        Just("n1".to_string()),
        Just("yes_count".to_string()),
        Just("count no in [q1..q6]".to_string()),
        Just("count ev".to_string()),
        Just("lim".to_string()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let sub = integer(depth - 1);
    prop_oneof![
        3 => leaf,
        1 => (sub.clone(), sub.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
        1 => (sub.clone(), sub.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
        1 => (sub.clone(), sub.clone()).prop_map(|(a, b)| format!("max({a}, {b})")),
        1 => (boolean(0), sub.clone(), sub).prop_map(|(c, a, b)| format!("(if {c} then {a} else {b})")),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
struct Case {
    source: String,
    facts: Vec<Json>,
}

fn ruleset() -> impl Strategy<Value = Case> {
    let rules = prop::collection::vec(
        (boolean(2), 0..4u32, 0..3u32, prop::option::of(boolean(1))),
        1..8,
    );
    let table = prop::collection::vec((0..3u32, 0..3u32, 0..3u32), 0..6);
    let facts = prop::collection::vec(facts(), 1..12);
    (rules, table, integer(2), 0..10i64, facts).prop_map(|(rules, rows, computed, lim, facts)| {
        let mut s = String::from("ruleset gen.case version 1.0.0\n\n");
        s.push_str("enum grade ordered { low, medium, high }\nenum colour { red, blue, green }\nenum flag { f0, f1, f2, f3 }\n");
        for i in 1..=6 {
            let _ = writeln!(s, "input q{i}: answer \"Q{i}\"");
        }
        s.push_str("input b1: optional bool \"B\"\ninput n1: optional int in 0..100 \"N\"\ninput d1: optional date \"D\"\n");
        s.push_str("input today: date \"Today\"\ninput ev: optional list of date \"Events\"\ninput e1: optional colour \"E\"\n");
        let _ = writeln!(s, "param lim: int in 0..20 = {lim} \"Limit\"");
        s.push_str("let yes_count = count yes in [q1..q6]\n");
        s.push_str("output level: grade \"Level\" default low\noutput flags: set of flag \"Flags\"\noutput hit: bool \"Hit\" default false\n");
        let _ = writeln!(s, "output total: int \"Total\" = {computed}");
        s.push_str("output tier: colour \"Tier\" default green\n");
        for (i, (cond, action, level, exception)) in rules.iter().enumerate() {
            let act = match action {
                0 => format!("set level to {}", ["low", "medium", "high"][*level as usize]),
                1 => format!("add f{level} to flags"),
                2 => "set hit to true".to_string(),
                _ => format!("add {{f{level}, f3}} to flags"),
            };
            let _ = writeln!(s, "rule r{i} \"Rule {i}\" {{\n  when {cond}\n  {act}\n}}");
            if let Some(exc) = exception {
                // The exception sets the same output; for `hit` it must agree (true), so it
                // only suppresses the base.
                let act2 = match action {
                    0 => "set level to medium".to_string(),
                    1 | 3 => "add f0 to flags".to_string(),
                    _ => "set hit to true".to_string(),
                };
                let _ = writeln!(s, "exception x{i} to r{i} \"Except {i}\" {{\n  when {exc}\n  {act2}\n}}");
            }
        }
        if !rows.is_empty() {
            s.push_str("table t \"T\" hit first {\n  | e1 | yes_count | => | tier | flags |\n");
            for (a, b, c) in &rows {
                let e = ["red", "blue", "-"][*a as usize];
                let y = [">= 2", "0..1", "-"][*b as usize];
                let _ = writeln!(s, "  | {e} | {y} | => | {} | f{c} |", ["red", "blue", "green"][*c as usize]);
            }
            s.push_str("}\n");
        }
        Case { source: s, facts }
    })
}

fn facts() -> impl Strategy<Value = Json> {
    let answer = prop_oneof![
        Just(json!("yes")),
        Just(json!("no")),
        Just(json!("unknown")),
        Just(Json::Null)
    ];
    let date = (2022i32..2025, 1u32..13, 1u32..29)
        .prop_map(|(y, m, d)| json!(format!("{y:04}-{m:02}-{d:02}")));
    (
        prop::collection::vec(answer, 6),
        prop::option::of(any::<bool>()),
        prop::option::of(0..40i64),
        prop::option::of(date.clone()),
        prop::option::of(prop::collection::vec(
            prop_oneof![4 => date, 1 => Just(Json::Null)],
            0..5,
        )),
        prop::option::of(prop_oneof![Just("red"), Just("blue"), Just("green")]),
    )
        .prop_map(|(answers, b1, n1, d1, ev, e1)| {
            let mut m = serde_json::Map::new();
            for (i, a) in answers.into_iter().enumerate() {
                if !a.is_null() {
                    m.insert(format!("q{}", i + 1), a);
                }
            }
            m.insert("today".into(), json!("2024-05-01"));
            if let Some(b) = b1 {
                m.insert("b1".into(), json!(b));
            }
            if let Some(n) = n1 {
                m.insert("n1".into(), json!(n));
            }
            if let Some(d) = d1 {
                m.insert("d1".into(), d);
            }
            if let Some(e) = ev {
                m.insert("ev".into(), Json::Array(e));
            }
            if let Some(e) = e1 {
                m.insert("e1".into(), json!(e));
            }
            Json::Object(m)
        })
}

/// Compares both engines on one ruleset and its facts; returns a description of the first
/// difference, or `Ok(false)` when the checker refuses the generated ruleset (a rule that
/// can never fire, say), which the caller discards.
fn compare(dir: &Path, name: &str, source: &str, facts: &[Json]) -> Result<bool, String> {
    let path = dir.join(name);
    std::fs::write(&path, source).map_err(|e| e.to_string())?;
    let check = waymark_check::check_path(&path, &waymark_check::FsLoader);
    let Some(hir) = check.ruleset else {
        let logic_only = check
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .all(|d| matches!(d.code.as_str(), "E0401" | "E0400"));
        if logic_only {
            return Ok(false);
        }
        let msgs: Vec<String> = check
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.clone())
            .collect();
        return Err(format!(
            "generated ruleset does not check: {msgs:?}\n{source}"
        ));
    };
    let rules = waymark::Ruleset::from_path(&path).map_err(|e| format!("{e}"))?;
    for f in facts {
        let native = rules
            .evaluate_json(f, false)
            .map_err(|e| format!("native refused facts {f}: {e}"))?;
        let inputs = reference::parse_facts(&hir, f)
            .map_err(|e| format!("reference refused facts {f}: {e:?}"))?;
        let oracle = reference::evaluate(&hir, &inputs, &[]);
        if native.outcome != oracle {
            return Err(format!(
                "outcomes differ\nfacts: {f}\nnative:    {}\nreference: {}\n{source}",
                Json::Object(native.outcome.clone()),
                Json::Object(oracle)
            ));
        }
    }
    Ok(true)
}

#[test]
fn generated_rulesets_agree_with_the_reference_interpreter() {
    let dir = std::env::temp_dir().join(format!("waymark-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = std::env::var("WAYMARK_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&ruleset(), |case| {
        if !compare(&dir, "case.wm", &case.source, &case.facts).map_err(TestCaseError::fail)? {
            return Err(TestCaseError::reject(
                "the checker refuses this generated ruleset",
            ));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn reference_rulesets_agree_with_the_reference_interpreter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cases: Vec<Json> = std::fs::read_dir(root.join("examples/cases"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .filter_map(|t| serde_json::from_str(&t).ok())
                .collect()
        })
        .unwrap_or_default();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let marac = root.join("rulesets/marac/referral.wm");
    let rules = waymark::Ruleset::from_path(&marac).expect("marac.referral checks");
    let hir = rules.checked().clone();
    let answer = prop_oneof![
        Just(json!("yes")),
        Just(json!("no")),
        Just(json!("unknown"))
    ];
    let strategy = (
        prop::collection::vec(answer.clone(), 24),
        answer,
        prop::option::of(prop::collection::vec(
            (2022i32..2025, 1u32..13, 1u32..29),
            0..6,
        )),
        prop::option::of((2022i32..2025, 1u32..13, 1u32..29)),
        prop::option::of(10i64..60),
    );
    let result = runner.run(&strategy, |(answers, pj, events, last, age)| {
        let mut m = serde_json::Map::new();
        for (i, a) in answers.into_iter().enumerate() {
            m.insert(format!("q{}", i + 1), a);
        }
        m.insert("professional_judgement".into(), pj);
        m.insert("assessment_date".into(), json!("2024-05-01"));
        let d = |(y, mo, da): (i32, u32, u32)| json!(format!("{y:04}-{mo:02}-{da:02}"));
        if let Some(ev) = events {
            m.insert(
                "abuse_event_dates".into(),
                Json::Array(ev.into_iter().map(d).collect()),
            );
        }
        if let Some(l) = last {
            m.insert("last_marac_date".into(), d(l));
        }
        if let Some(a) = age {
            m.insert("victim_age".into(), json!(a));
        }
        let f = Json::Object(m);
        let native = rules
            .evaluate_json(&f, false)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let inputs =
            reference::parse_facts(&hir, &f).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let oracle = reference::evaluate(&hir, &inputs, &[]);
        prop_assert_eq!(&native.outcome, &oracle, "facts {}", f);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The example cases, against the MARAC rules where they fit.
    for f in &cases {
        if let Ok(native) = rules.evaluate_json(f, false) {
            let inputs = reference::parse_facts(&hir, f)
                .expect("the reference accepts what the engine accepts");
            assert_eq!(
                native.outcome,
                reference::evaluate(&hir, &inputs, &[]),
                "facts {f}"
            );
        }
    }
}
