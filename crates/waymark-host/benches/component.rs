//! The cost of the component boundary, native and WASM side by side in one run: one MARAC
//! case as JSON, as typed facts, and a batch of 1 000; loading the component cold and from
//! the artifact cache; making an instance.
#![allow(
    clippy::expect_used,
    reason = "a benchmark whose fixture is broken should stop at once"
)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value as Json;
use waymark_host::{Component, Options, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn case() -> (String, Json) {
    let text = std::fs::read_to_string(root().join("examples/cases/sc02-thirteen-ticks.json"))
        .expect("the sc02 case");
    let json = serde_json::from_str(&text).expect("JSON");
    (text, json)
}

/// The typed form of a JSON case (answers, dates, whole numbers).
fn typed(json: &Json) -> Vec<(String, Value)> {
    let obj = json.as_object().expect("an object");
    obj.iter()
        .map(|(k, v)| {
            let value = match v {
                Json::String(s) if s == "yes" => Value::Yes,
                Json::String(s) if s == "no" => Value::No,
                Json::String(s) if s == "unknown" => Value::Unknown,
                Json::String(s) if k.ends_with("date") => Value::Date(s.clone()),
                Json::String(s) => Value::Text(s.clone()),
                Json::Number(n) => Value::Int(n.as_i64().expect("whole")),
                Json::Bool(b) => Value::Boolean(*b),
                _ => Value::Unknown,
            };
            (k.clone(), value)
        })
        .collect()
}

fn component() -> Component {
    Component::load(Options::default())
        .expect("the component: build it with `bash scripts/component`")
}

fn per_case(c: &mut Criterion) {
    let path = root().join("rulesets/marac/referral.wm");
    let native = waymark::Ruleset::from_path(&path).expect("marac.referral checks");
    let wasm = component()
        .from_path(&path)
        .expect("marac.referral compiles in the component");
    let unmetered = Component::load(Options {
        fuel: None,
        deadline: None,
        ..Options::default()
    })
    .expect("the component")
    .from_path(&path)
    .expect("compiles");
    let (text, json) = case();
    let facts = typed(&json);
    let expected =
        serde_json::to_string(&native.evaluate_json(&json, false).expect("valid")).expect("JSON");
    assert_eq!(
        wasm.evaluate_json_str(&text, false).expect("valid"),
        expected
    );
    assert_eq!(wasm.evaluate_typed(&facts, false).expect("valid"), expected);

    let mut group = c.benchmark_group("component/marac_case");
    group.bench_function("native_json", |b| {
        b.iter(|| {
            let facts: Json = serde_json::from_str(black_box(&text)).expect("JSON");
            let d = native.evaluate_json(&facts, false).expect("valid");
            black_box(serde_json::to_string(&d).expect("JSON"))
        })
    });
    // The native work of a typed call: facts from values, decision, decision as JSON text.
    group.bench_function("native_json_value", |b| {
        b.iter(|| {
            let d = native
                .evaluate_json(black_box(&json), false)
                .expect("valid");
            black_box(serde_json::to_string(&d).expect("JSON"))
        })
    });
    // Facts already read: evaluation and the decision as JSON text only.
    group.bench_function("native_typed", |b| {
        let f = native.facts_from_json(&json).expect("valid");
        b.iter(|| {
            black_box(serde_json::to_string(&native.evaluate(black_box(&f), false)).expect("JSON"))
        })
    });
    group.bench_function("wasm_json", |b| {
        b.iter(|| {
            black_box(
                wasm.evaluate_json_str(black_box(&text), false)
                    .expect("valid"),
            )
        })
    });
    group.bench_function("wasm_typed", |b| {
        b.iter(|| {
            black_box(
                wasm.evaluate_typed(black_box(&facts), false)
                    .expect("valid"),
            )
        })
    });
    group.bench_function("wasm_typed_unmetered", |b| {
        b.iter(|| {
            black_box(
                unmetered
                    .evaluate_typed(black_box(&facts), false)
                    .expect("valid"),
            )
        })
    });
    group.bench_function("wasm_json_explained", |b| {
        b.iter(|| {
            black_box(
                wasm.evaluate_json_str(black_box(&text), true)
                    .expect("valid"),
            )
        })
    });
    group.bench_function("native_json_explained", |b| {
        b.iter(|| {
            let facts: Json = serde_json::from_str(black_box(&text)).expect("JSON");
            black_box(
                serde_json::to_string(&native.evaluate_json(&facts, true).expect("valid"))
                    .expect("JSON"),
            )
        })
    });
    group.finish();

    let batch: Vec<String> = vec![text.clone(); 1000];
    let mut group = c.benchmark_group("component/marac_batch_1000");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("native_json", |b| {
        b.iter(|| {
            let out: Vec<String> = batch
                .iter()
                .map(|t| {
                    let facts: Json = serde_json::from_str(t).expect("JSON");
                    serde_json::to_string(&native.evaluate_json(&facts, false).expect("valid"))
                        .expect("JSON")
                })
                .collect();
            black_box(out)
        })
    });
    group.bench_function("wasm_json", |b| {
        b.iter(|| {
            black_box(
                wasm.evaluate_batch_json(black_box(&batch), false)
                    .expect("no limit"),
            )
        })
    });
    group.finish();
}

fn instantiate(c: &mut Criterion) {
    let warm = component();
    let mut group = c.benchmark_group("component/load");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("cold_cranelift", |b| {
        b.iter(|| {
            black_box(
                Component::load(Options {
                    cache_dir: None,
                    ..Options::default()
                })
                .expect("loads"),
            )
        })
    });
    group.finish();

    let mut group = c.benchmark_group("component/instantiate");
    group.bench_function("load_from_cache", |b| {
        b.iter(|| black_box(Component::load(Options::default()).expect("loads")))
    });
    group.bench_function("instance_from_pre", |b| {
        b.iter(|| warm.instantiate().expect("instantiates"))
    });
    let files: Vec<(String, String)> = ["rulesets/marac/referral.wm", "rulesets/ric/adult.wm"]
        .iter()
        .map(|p| {
            (
                (*p).to_string(),
                std::fs::read_to_string(root().join(p)).expect("reads"),
            )
        })
        .collect();
    group.bench_function("instance_and_compile_marac", |b| {
        b.iter_batched(
            || files.clone(),
            |f| {
                black_box(
                    warm.from_sources("rulesets/marac/referral.wm", &f)
                        .expect("compiles"),
                )
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("native_compile_marac", |b| {
        b.iter(|| {
            black_box(
                waymark::Ruleset::from_sources("rulesets/marac/referral.wm", &files)
                    .expect("compiles"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, per_case, instantiate);
criterion_main!(benches);
