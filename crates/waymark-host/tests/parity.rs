//! Parity: for every reference ruleset, facts generated from its inputs give the same
//! decision JSON natively and through the component, byte for byte, and the same fact
//! errors; typed facts give the decision of the JSON they stand for.
//!
//! Cases per ruleset: `WAYMARK_PARITY_CASES` (64 by default).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failure stops the test at once"
)]

mod common;

use std::path::Path;

use common::{native_json, shared};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value as Json, json};
use waymark::ir::{ConstVal, Program, Ty};
use waymark_host::{Error, Scalar, Value};

/// A JSON value of type `ty`. When `noisy`, sometimes out of range, null, of the wrong
/// type or a date that does not exist, so that errors are compared too.
fn value(
    p: &Program,
    ty: &Ty,
    range: &(Option<ConstVal>, Option<ConstVal>),
    noisy: bool,
) -> BoxedStrategy<Json> {
    let wrong = prop_oneof![
        Just(json!(7)),
        Just(json!("seven")),
        Just(json!(true)),
        Just(json!([1]))
    ];
    let slack = if noisy { 2 } else { 0 };
    let last_day = if noisy { 32 } else { 29 };
    let good = match ty {
        Ty::Answer => prop_oneof![
            Just(json!("yes")),
            Just(json!("no")),
            Just(json!("unknown"))
        ]
        .boxed(),
        Ty::Bool => any::<bool>().prop_map(Json::Bool).boxed(),
        Ty::Int => {
            let lo = match &range.0 {
                Some(ConstVal::Int(i)) => *i,
                _ => -5,
            };
            let hi = match &range.1 {
                Some(ConstVal::Int(i)) => *i,
                _ => lo.saturating_add(150),
            };
            (lo.saturating_sub(slack)..=hi.saturating_add(slack))
                .prop_map(|i| json!(i))
                .boxed()
        }
        Ty::Number => prop_oneof![
            (-50i64..500).prop_map(|i| json!(i)),
            (0i64..10_000).prop_map(|i| json!(format!("{}.{:02}", i / 100, i % 100))),
            (0i64..1000).prop_map(|i| json!(i as f64 / 8.0)),
        ]
        .boxed(),
        Ty::Text => "[a-z ]{0,8}".prop_map(Json::String).boxed(),
        Ty::Date => (2015i32..2027, 1u32..13, 1u32..last_day)
            .prop_map(|(y, m, d)| json!(format!("{y:04}-{m:02}-{d:02}")))
            .boxed(),
        Ty::Enum(e) => {
            let mut names: Vec<String> = p
                .enums
                .get(*e as usize)
                .map(|e| e.variants.clone())
                .unwrap_or_default();
            if noisy {
                names.push("not_a_value".into());
            }
            proptest::sample::select(names)
                .prop_map(Json::String)
                .boxed()
        }
        Ty::Set(e) => {
            let names: Vec<String> = p
                .enums
                .get(*e as usize)
                .map(|e| e.variants.clone())
                .unwrap_or_default();
            let n = names.len();
            proptest::sample::subsequence(names, 0..=n)
                .prop_map(|v| json!(v))
                .boxed()
        }
        Ty::List(inner) => {
            let item =
                prop_oneof![6 => value(p, inner, &(None, None), noisy), 1 => Just(Json::Null)];
            prop::collection::vec(item, 0..5)
                .prop_map(Json::Array)
                .boxed()
        }
    };
    if noisy {
        prop_oneof![12 => good, 1 => Just(Json::Null), 1 => wrong].boxed()
    } else {
        good
    }
}

/// Facts for a program. Mostly valid (every required input given, optional ones given,
/// null or left out); one case in five is noisy (inputs missing or wrong, now and then an
/// unknown name), so that fact errors are compared too.
fn facts(p: &Program) -> BoxedStrategy<Json> {
    prop_oneof![4 => facts_of(p, false), 1 => facts_of(p, true)].boxed()
}

fn facts_of(p: &Program, noisy: bool) -> BoxedStrategy<Json> {
    let inputs: Vec<BoxedStrategy<Option<(String, Json)>>> = p
        .inputs
        .iter()
        .map(|input| {
            let name = input.name.clone();
            let given =
                value(p, &input.ty, &input.range, noisy).prop_map(move |v| Some((name.clone(), v)));
            match (input.optional, noisy) {
                (false, false) => given.boxed(),
                (true, false) => {
                    let name = input.name.clone();
                    prop_oneof![3 => given, 1 => Just(None), 1 => Just(Some((name, Json::Null)))]
                        .boxed()
                }
                (_, true) => prop_oneof![12 => given, 1 => Just(None)].boxed(),
            }
        })
        .collect();
    let extra = if noisy {
        prop::option::weighted(0.2, "[a-z_]{1,12}").boxed()
    } else {
        Just(None).boxed()
    };
    (inputs, extra)
        .prop_map(|(pairs, extra)| {
            let mut m: Map<String, Json> = pairs.into_iter().flatten().collect();
            if let Some(name) = extra {
                m.entry(name).or_insert(json!("yes"));
            }
            Json::Object(m)
        })
        .boxed()
}

/// The typed form of a JSON fact, when it has one.
fn typed(v: &Json) -> Option<Value> {
    let scalar = |v: &Json| -> Option<Scalar> {
        Some(match v {
            Json::Null => Scalar::Unknown,
            Json::Bool(b) => Scalar::Boolean(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Scalar::Int(i),
                None => Scalar::Number(n.to_string()),
            },
            Json::String(s) => Scalar::Text(s.clone()),
            _ => return None,
        })
    };
    Some(match v {
        Json::Array(items) => Value::List(items.iter().map(scalar).collect::<Option<_>>()?),
        other => match scalar(other)? {
            Scalar::Unknown => Value::Unknown,
            Scalar::Boolean(b) => Value::Boolean(b),
            Scalar::Int(i) => Value::Int(i),
            Scalar::Number(n) => Value::Number(n),
            Scalar::Text(t) if t == "yes" => Value::Yes,
            Scalar::Text(t) if t == "no" => Value::No,
            Scalar::Text(t) => Value::Text(t),
            Scalar::Yes => Value::Yes,
            Scalar::No => Value::No,
            Scalar::Date(d) => Value::Date(d),
        },
    })
}

/// The JSON a typed fact stands for (the WIT file's definition).
fn stands_for(v: &Value) -> Json {
    let scalar = |s: &Scalar| match s {
        Scalar::Yes => json!("yes"),
        Scalar::No => json!("no"),
        Scalar::Unknown => Json::Null,
        Scalar::Boolean(b) => json!(b),
        Scalar::Int(i) => json!(i),
        Scalar::Number(t) | Scalar::Text(t) | Scalar::Date(t) => json!(t),
    };
    match v {
        Value::Yes => json!("yes"),
        Value::No => json!("no"),
        Value::Unknown => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Number(t) | Value::Text(t) | Value::Date(t) => json!(t),
        Value::List(items) => Json::Array(items.iter().map(scalar).collect()),
    }
}

fn check_ruleset(path: &Path, cases: u32) {
    let native =
        waymark::Ruleset::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let wasm = shared()
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (facts(native.program()), any::<bool>());
    let decided = std::cell::Cell::new(0u32);
    let result = runner.run(&strategy, |(facts, explain)| {
        let expected = native_json(&native, &facts, explain);
        decided.set(decided.get() + u32::from(expected.is_ok()));
        let got = wasm.evaluate_json_str(&facts.to_string(), explain);
        match (&expected, &got) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "facts {}", facts),
            (Err(a), Err(Error::Facts(b))) => prop_assert_eq!(a, b, "facts {}", facts),
            _ => {
                return Err(TestCaseError::fail(format!(
                    "native {expected:?}\nwasm {got:?}\nfacts {facts}"
                )));
            }
        }
        // The typed form of the same facts.
        let Some(obj) = facts.as_object() else {
            return Ok(());
        };
        let Some(typed_facts) = obj
            .iter()
            .map(|(k, v)| typed(v).map(|t| (k.clone(), t)))
            .collect::<Option<Vec<_>>>()
        else {
            return Ok(());
        };
        let meant: Map<String, Json> = typed_facts
            .iter()
            .map(|(k, v)| (k.clone(), stands_for(v)))
            .collect();
        let expected = native_json(&native, &Json::Object(meant), explain);
        match (expected, wasm.evaluate_typed(&typed_facts, explain)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "typed facts {:?}", typed_facts),
            (Err(a), Err(Error::Facts(b))) => {
                prop_assert_eq!(a, b, "typed facts {:?}", typed_facts)
            }
            (a, b) => {
                return Err(TestCaseError::fail(format!(
                    "typed: native {a:?}\nwasm {b:?}\nfacts {facts}"
                )));
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{}: {e}", path.display());
    }
    // Most cases must reach a decision, or the property would only compare errors.
    assert!(
        decided.get() * 2 >= cases,
        "{}: only {} of {cases} cases decided",
        path.display(),
        decided.get()
    );
}

fn cases() -> u32 {
    std::env::var("WAYMARK_PARITY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

#[test]
fn marac_referral_native_and_wasm_agree() {
    check_ruleset(&common::at("rulesets/marac/referral.wm"), cases() * 4);
}

#[test]
fn ric_adult_native_and_wasm_agree() {
    check_ruleset(&common::at("rulesets/ric/adult.wm"), cases() * 4);
}

#[test]
fn every_reference_ruleset_native_and_wasm_agree() {
    let all = common::reference_rulesets();
    assert!(all.len() >= 10, "{all:?}");
    for path in all {
        check_ruleset(&path, cases());
    }
}
