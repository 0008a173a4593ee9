//! Criterion benchmarks of every stage: parse, check, compile, evaluate (with and without
#![allow(
    clippy::expect_used,
    reason = "a benchmark whose fixture is broken should stop at once"
)]
//! explanation), against the hand-written MARAC decision in the same run.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use waymark::Ruleset;
use waymark_benches::{generate, handwritten};
use waymark_ir::{Answer, Date};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn write_temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("waymark-bench");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    let _ = std::fs::write(&path, text);
    path
}

fn marac_case(facts: &serde_json::Value) -> handwritten::Case {
    let answer = |k: &str| match facts.get(k).and_then(|v| v.as_str()) {
        Some("yes") => Answer::Yes,
        Some("no") => Answer::No,
        _ => Answer::Unknown,
    };
    let date = |v: &serde_json::Value| v.as_str().and_then(Date::parse);
    let mut answers = [Answer::Unknown; 24];
    for (i, a) in answers.iter_mut().enumerate() {
        *a = answer(&format!("q{}", i + 1));
    }
    handwritten::Case {
        answers,
        professional_judgement: answer("professional_judgement"),
        assessment_date: facts
            .get("assessment_date")
            .and_then(date)
            .unwrap_or(Date(0)),
        abuse_event_dates: facts
            .get("abuse_event_dates")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(date).collect()),
        last_marac_date: facts.get("last_marac_date").and_then(date),
        victim_age: facts.get("victim_age").and_then(|v| v.as_i64()),
    }
}

fn marac(c: &mut Criterion) {
    let path = root().join("rulesets/marac/referral.wm");
    let rules = Ruleset::from_path(&path).expect("marac.referral checks");
    for (name, unknown) in [("marac_known", 0), ("marac_30pct_unknown", 30)] {
        let json = generate::marac_facts(7, 12, unknown);
        let facts = rules.facts_from_json(&json).expect("valid facts");
        let case = marac_case(&json);
        let params = handwritten::Params::default();
        let mut group = c.benchmark_group(name);
        group.bench_function("handwritten", |b| {
            b.iter(|| black_box(handwritten::decide(black_box(&case), &params)))
        });
        let mut scratch = rules.scratch();
        group.bench_function("waymark_run", |b| {
            b.iter(|| {
                rules.run(black_box(&facts), &mut scratch);
                black_box(rules.output_value(&scratch, 0))
            })
        });
        group.bench_function("waymark_decision", |b| {
            b.iter(|| black_box(rules.evaluate(black_box(&facts), false)))
        });
        group.bench_function("waymark_explained", |b| {
            b.iter(|| black_box(rules.evaluate(black_box(&facts), true)))
        });
        group.bench_function("waymark_json_in_out", |b| {
            b.iter(|| {
                let d = rules.evaluate_json(black_box(&json), false).expect("valid");
                black_box(serde_json::to_string(&d).unwrap_or_default())
            })
        });
        group.finish();
    }
}

fn stages(c: &mut Criterion) {
    let mut inputs: Vec<(String, PathBuf)> = vec![
        ("ric.adult".into(), root().join("rulesets/ric/adult.wm")),
        (
            "marac.referral".into(),
            root().join("rulesets/marac/referral.wm"),
        ),
    ];
    for n in [10usize, 100, 1_000, 10_000] {
        inputs.push((
            format!("rules_{n}"),
            write_temp(&format!("rules_{n}.wm"), &generate::rules(n)),
        ));
    }
    let mut parse = c.benchmark_group("parse");
    for (name, path) in &inputs {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        parse.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, t| {
            b.iter(|| black_box(waymark_syntax::parse_str("bench.wm", black_box(t))))
        });
    }
    parse.finish();
    let mut check = c.benchmark_group("check");
    check.sample_size(10);
    for (name, path) in &inputs {
        check.bench_with_input(BenchmarkId::from_parameter(name), path, |b, p| {
            b.iter(|| {
                black_box(waymark_check::check_path(
                    black_box(p),
                    &waymark_check::FsLoader,
                ))
            })
        });
    }
    check.finish();
    let mut compile = c.benchmark_group("compile");
    compile.sample_size(10);
    for (name, path) in &inputs {
        let checked = waymark_check::check_path(path, &waymark_check::FsLoader)
            .ruleset
            .expect("checks");
        compile.bench_with_input(BenchmarkId::from_parameter(name), &checked, |b, h| {
            b.iter(|| black_box(waymark_compile::compile(black_box(h))))
        });
    }
    compile.finish();
    let mut eval = c.benchmark_group("evaluate");
    for n in [10usize, 100, 1_000, 10_000] {
        let path = write_temp(&format!("rules_{n}.wm"), &generate::rules(n));
        let rules = Ruleset::from_path(&path).expect("generated rules check");
        let facts = rules
            .facts_from_json(&generate::rules_facts(3))
            .expect("valid");
        let mut scratch = rules.scratch();
        eval.bench_with_input(BenchmarkId::new("rules", n), &facts, |b, f| {
            b.iter(|| {
                rules.run(black_box(f), &mut scratch);
                black_box(rules.output_value(&scratch, 0))
            })
        });
    }
    eval.finish();
    let mut explained = c.benchmark_group("evaluate_explained");
    for n in [10usize, 100, 1_000] {
        let path = write_temp(&format!("rules_{n}.wm"), &generate::rules(n));
        let rules = Ruleset::from_path(&path).expect("generated rules check");
        let facts = rules
            .facts_from_json(&generate::rules_facts(3))
            .expect("valid");
        explained.bench_with_input(BenchmarkId::new("rules", n), &facts, |b, f| {
            b.iter(|| black_box(rules.evaluate(black_box(f), true)))
        });
    }
    explained.finish();
}

fn tables(c: &mut Criterion) {
    let mut group = c.benchmark_group("table");
    for rows in [50usize, 500, 3_000] {
        let path = write_temp(&format!("table_{rows}.wm"), &generate::table(rows));
        let rules = Ruleset::from_path(&path).expect("generated table checks");
        let mut scratch = rules.scratch();
        for (at, band) in [("first", 0usize), ("middle", rows / 2), ("last", rows - 1)] {
            let facts = rules
                .facts_from_json(&serde_json::json!({"band": band, "age": 30, "income": 10_000}))
                .expect("valid");
            group.bench_with_input(
                BenchmarkId::new(format!("rows_{rows}"), at),
                &facts,
                |b, f| {
                    b.iter(|| {
                        rules.run(black_box(f), &mut scratch);
                        black_box(rules.output_value(&scratch, 0))
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, marac, stages, tables);
criterion_main!(benches);
