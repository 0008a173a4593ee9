//! The host's API against the native facade: same decisions, errors, tests and schemas;
//! loading, caching and the component's own functions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failure stops the test at once"
)]

mod common;

use common::{at, limited, native_json, shared};
use serde_json::{Value as Json, json};
use waymark_host::{Component, Error, Options, Scalar, Value};

fn sc02() -> Json {
    serde_json::from_str(
        &std::fs::read_to_string(at("examples/cases/sc02-thirteen-ticks.json")).unwrap(),
    )
    .unwrap()
}

#[test]
fn a_missing_component_is_a_loud_error() {
    let options = Options {
        component: at("target/no-such-dir/waymark_component.wasm"),
        cache_dir: None,
        ..Options::default()
    };
    match Component::load(options) {
        Err(Error::Load { path, message }) => {
            assert!(path.ends_with("waymark_component.wasm"), "{path}");
            assert!(message.contains("scripts/component"), "{message}");
        }
        other => panic!("expected a load error, got {other:?}"),
    }
}

#[test]
fn the_component_file_is_a_component_under_two_mebibytes() {
    let bytes = std::fs::read(Options::default().component).unwrap();
    assert_eq!(
        &bytes[..8],
        &[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00],
        "component-layer magic"
    );
    assert!(bytes.len() < 2 << 20, "{} bytes", bytes.len());
}

#[test]
fn a_second_load_comes_from_the_cache() {
    // The shared component compiled the file and wrote the artifact, or read it.
    let first = shared();
    let Some(dir) = first.options().cache_dir.clone() else {
        panic!("the default options cache")
    };
    let cached: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".cwasm"))
        .collect();
    assert!(!cached.is_empty(), "no artifact in {}", dir.display());
    let second = limited(|_| {});
    assert!(second.from_cache());
    let rules = second.from_path(at("rulesets/ric/adult.wm")).unwrap();
    assert_eq!(rules.id(), "ric.adult");
}

#[test]
fn sc02_gives_the_native_decision_byte_for_byte() {
    let path = at("rulesets/marac/referral.wm");
    let native = waymark::Ruleset::from_path(&path).unwrap();
    let wasm = shared().from_path(&path).unwrap();
    assert_eq!(
        (wasm.id(), wasm.version(), wasm.hash()),
        (native.id(), native.version(), native.hash())
    );
    for explain in [false, true] {
        let expected = native_json(&native, &sc02(), explain).unwrap();
        assert_eq!(
            wasm.evaluate_json_str(&sc02().to_string(), explain)
                .unwrap(),
            expected
        );
        // The facade-shaped decision serializes to the same bytes.
        let decision = wasm.evaluate_json(&sc02(), explain).unwrap();
        assert_eq!(serde_json::to_string(&decision).unwrap(), expected);
    }
}

#[test]
fn the_example_decisions_are_the_native_ones() {
    // The Node and Python examples compare the component's answer with these files.
    let native = waymark::Ruleset::from_path(at("rulesets/marac/referral.wm")).unwrap();
    let expected = native_json(&native, &sc02(), true).unwrap() + "\n";
    for golden in [
        "examples/node/sc02.decision.json",
        "examples/python/sc02.decision.json",
    ] {
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(at(golden), &expected).unwrap();
        }
        let text = std::fs::read_to_string(at(golden)).unwrap_or_default();
        assert!(
            text == expected,
            "{golden} is stale: run `UPDATE_GOLDEN=1 cargo test -p waymark-host --test component`"
        );
    }
}

#[test]
fn typed_facts_give_the_decision_of_the_json_they_stand_for() {
    let rules = shared()
        .from_path(at("rulesets/marac/referral.wm"))
        .unwrap();
    let mut typed = vec![
        (
            "assessment_date".to_string(),
            Value::Date("2024-05-01".into()),
        ),
        ("victim_age".to_string(), Value::Int(41)),
        ("professional_judgement".to_string(), Value::Unknown),
        ("new_incident_criminal_type".to_string(), Value::No),
        (
            "police_callout_dates".to_string(),
            Value::List(vec![Scalar::Date("2024-01-02".into()), Scalar::Unknown]),
        ),
    ];
    for i in 1..=24 {
        typed.push((
            format!("q{i}"),
            if i % 2 == 0 { Value::Yes } else { Value::No },
        ));
    }
    let mut facts = json!({
        "assessment_date": "2024-05-01", "victim_age": 41, "professional_judgement": null,
        "new_incident_criminal_type": "no", "police_callout_dates": ["2024-01-02", null],
    });
    for i in 1..=24 {
        facts[format!("q{i}")] = json!(if i % 2 == 0 { "yes" } else { "no" });
    }
    let native = waymark::Ruleset::from_path(at("rulesets/marac/referral.wm")).unwrap();
    assert_eq!(
        rules.evaluate_typed(&typed, true).unwrap(),
        native_json(&native, &facts, true).unwrap()
    );
}

#[test]
fn bad_facts_give_the_native_errors() {
    let path = at("rulesets/marac/referral.wm");
    let native = waymark::Ruleset::from_path(&path).unwrap();
    let wasm = shared().from_path(&path).unwrap();
    let facts = json!({"q1": "maybe", "assesment_date": "2024-05-01", "victim_age": 200, "last_marac_date": "2024-02-30"});
    let expected = native.evaluate_json(&facts, false).unwrap_err();
    match wasm.evaluate_json(&facts, false) {
        Err(Error::Facts(e)) => assert_eq!(e, expected),
        other => panic!("{other:?}"),
    }
    match wasm.evaluate_json_str("[1, 2", false) {
        Err(Error::BadJson(m)) => assert!(m.contains("EOF"), "{m}"),
        other => panic!("{other:?}"),
    }
    match wasm.evaluate_json_str("[1, 2]", false) {
        Err(Error::Facts(e)) => {
            assert_eq!(e, native.evaluate_json(&json!([1, 2]), false).unwrap_err())
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_ruleset_with_mistakes_gives_every_diagnostic() {
    let files = vec![
        ("main.wm".to_string(), "ruleset demo version 1.0.0\ninput q1: answer \"Q\"\noutput x: bool \"X\" default false\nrule r { when q1 and q2 set x to true }\n".to_string()),
    ];
    let native = waymark::Ruleset::from_sources("main.wm", &files).unwrap_err();
    match shared().from_sources("main.wm", &files) {
        Err(Error::Diagnostics(d)) => {
            assert_eq!(d.len(), native.0.len());
            for (w, n) in d.iter().zip(&native.0) {
                assert_eq!(w.code, n.code.as_str());
                assert_eq!(w.message, n.message);
                assert_eq!(w.file.as_deref(), Some("main.wm"));
                let (line, column) = n.line_col().unwrap();
                assert_eq!((w.line, w.column), (Some(line as u32), Some(column as u32)));
                assert_eq!(w.help, n.help);
            }
            assert!(
                d.iter().any(|x| x.to_string().starts_with("error[")),
                "{d:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_missing_import_is_a_diagnostic() {
    let files = vec![(
        "a/main.wm".to_string(),
        "ruleset demo version 1.0.0\nimport \"../b/other.wm\" as other\n".to_string(),
    )];
    let native = waymark::Ruleset::from_sources("a/main.wm", &files).unwrap_err();
    match shared().from_sources("a/main.wm", &files) {
        Err(Error::Diagnostics(d)) => {
            let codes: Vec<&str> = d.iter().map(|x| x.code.as_str()).collect();
            let native_codes: Vec<&str> = native.0.iter().map(|x| x.code.as_str()).collect();
            assert_eq!(codes, native_codes);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn params_give_the_native_decision_and_errors() {
    let path = at("rulesets/marac/referral.wm");
    let native = waymark::Ruleset::from_path(&path).unwrap();
    let wasm = shared().from_path(&path).unwrap();
    let overrides = vec![
        ("vhr_threshold".to_string(), json!(10)),
        ("marac_min_age".to_string(), json!(18)),
    ];
    let n = native.with_params(&overrides).unwrap();
    let w = wasm.with_params(&overrides).unwrap();
    assert_eq!(
        w.evaluate_json_str(&sc02().to_string(), true).unwrap(),
        native_json(&n, &sc02(), true).unwrap()
    );
    // A second round of overrides builds on the first.
    let more = vec![("escalation_count".to_string(), json!(4))];
    assert_eq!(
        w.with_params(&more)
            .unwrap()
            .evaluate_json_str(&sc02().to_string(), false)
            .unwrap(),
        native_json(&n.with_params(&more).unwrap(), &sc02(), false).unwrap()
    );
    let bad = vec![
        ("vhr_treshold".to_string(), json!(10)),
        ("vhr_threshold".to_string(), json!("many")),
    ];
    match wasm.with_params(&bad) {
        Err(Error::Facts(e)) => assert_eq!(e, native.with_params(&bad).unwrap_err()),
        other => panic!("{other:?}"),
    }
    // The parent is unchanged.
    assert_eq!(
        wasm.evaluate_json_str(&sc02().to_string(), false).unwrap(),
        native_json(&native, &sc02(), false).unwrap()
    );
}

#[test]
fn from_native_carries_files_and_params() {
    let native = waymark::Ruleset::from_path(at("rulesets/marac/referral.wm"))
        .unwrap()
        .with_params(&[("vhr_threshold".to_string(), json!(12))])
        .unwrap();
    let wasm = shared().from_native(&native).unwrap();
    assert_eq!(
        wasm.evaluate_json_str(&sc02().to_string(), true).unwrap(),
        native_json(&native, &sc02(), true).unwrap()
    );
    let switched = waymark_host::Evaluator::new("wasm".parse().unwrap(), &native).unwrap();
    assert_eq!(switched.kind(), waymark_host::EngineKind::Wasm);
    assert_eq!(
        switched.evaluate_json(&sc02(), false).unwrap(),
        native.evaluate_json(&sc02(), false).unwrap()
    );
    let plain = waymark_host::Evaluator::new(waymark_host::EngineKind::Native, &native).unwrap();
    for text in [
        sc02().to_string(),
        "{\"q1\": 3}".to_string(),
        "{oops".to_string(),
    ] {
        assert_eq!(
            plain.evaluate_json_text(&text, true),
            switched.evaluate_json_text(&text, true),
            "{text}"
        );
    }
    assert_eq!(
        plain.run_tests().unwrap().passed(),
        switched.run_tests().unwrap().passed()
    );
}

#[test]
fn every_reference_ruleset_runs_its_tests_and_schema_like_native() {
    let component = shared();
    for path in common::reference_rulesets() {
        let native = waymark::Ruleset::from_path(&path).unwrap();
        let wasm = component
            .from_path(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(wasm.hash(), native.hash(), "{}", path.display());
        assert_eq!(
            wasm.warnings().len(),
            native.warnings().len(),
            "{}",
            path.display()
        );
        let report = wasm.run_tests().unwrap();
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            serde_json::to_string(&native.run_tests()).unwrap(),
            "{}",
            path.display()
        );
        assert_eq!(
            wasm.run_tests_json().unwrap(),
            serde_json::to_string(&native.run_tests()).unwrap()
        );
        assert_eq!(
            wasm.schema().unwrap(),
            native.schema(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn a_batch_gives_one_result_per_case_in_order() {
    let path = at("rulesets/marac/referral.wm");
    let native = waymark::Ruleset::from_path(&path).unwrap();
    let wasm = shared().from_path(&path).unwrap();
    let cases = vec![
        sc02().to_string(),
        "{}".to_string(),
        "nope".to_string(),
        sc02().to_string(),
    ];
    let out = wasm.evaluate_batch_json(&cases, false).unwrap();
    assert_eq!(out.len(), 4);
    let expected = native_json(&native, &sc02(), false).unwrap();
    assert_eq!(out[0].as_deref().unwrap(), expected);
    assert!(
        matches!(&out[1], Err(Error::Facts(e)) if *e == native.evaluate_json(&json!({}), false).unwrap_err())
    );
    assert!(matches!(&out[2], Err(Error::BadJson(_))));
    assert_eq!(out[3].as_deref().unwrap(), expected);
}

#[test]
fn the_global_component_serves_the_facade_shaped_api() {
    // The one-line switch: `waymark::Ruleset::from_path` → `waymark_host::Ruleset::from_path`.
    let _ = shared(); // fills the artifact cache first, so the global load reads it
    let rules = waymark_host::Ruleset::from_path(at("rulesets/ric/adult.wm")).unwrap();
    let native = waymark::Ruleset::from_path(at("rulesets/ric/adult.wm")).unwrap();
    let facts = json!({"q1": "yes", "q2": "no"});
    let mut all = facts.as_object().unwrap().clone();
    for i in 3..=24 {
        all.insert(format!("q{i}"), json!("unknown"));
    }
    let facts = Json::Object(all);
    assert_eq!(
        rules.evaluate_json(&facts, true).unwrap(),
        native.evaluate_json(&facts, true).unwrap()
    );
}

#[test]
fn rulesets_are_usable_from_many_threads() {
    let rules = shared()
        .from_path(at("rulesets/marac/referral.wm"))
        .unwrap();
    let native = waymark::Ruleset::from_path(at("rulesets/marac/referral.wm")).unwrap();
    let expected = native_json(&native, &sc02(), false).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..20 {
                    assert_eq!(
                        rules.evaluate_json_str(&sc02().to_string(), false).unwrap(),
                        expected
                    );
                }
            });
        }
    });
}
