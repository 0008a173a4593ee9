//! Criterion benchmarks of the corpus tools: the impact of a rule change over a corpus
//! (every case under both versions, with group breakdowns) and synthetic case generation.
//! Throughput is in cases, so criterion reports the time per case; one million cases take
//! a million times that.
#![allow(
    clippy::expect_used,
    reason = "a benchmark whose fixture is broken should stop at once"
)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use waymark::Ruleset;
use waymark_corpus::{impact, synth};

const CASES: u64 = 20_000;

fn corpus(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let old = Ruleset::from_path(root.join("rulesets/marac/referral.wm")).expect("marac checks");
    let new = old
        .with_params(&[("vhr_threshold".into(), serde_json::json!(13))])
        .expect("13 is in range");
    let groups = synth::Groups::parse(synth::DEFAULT_GROUPS).expect("default groups");
    let mut lines = Vec::new();
    synth::write(&old, &groups, CASES, 7, &mut lines, |_| {}).expect("synthetic cases");
    let fields = groups.names();

    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Elements(CASES));
    g.sample_size(10);
    g.bench_function("impact_marac_14_to_13_by_5_groups", |b| {
        b.iter(|| {
            let report = impact::run(&old, &new, black_box(lines.as_slice()), &fields, |_| {})
                .expect("in memory");
            assert_eq!(report.cases, CASES);
            report.changed_cases
        })
    });
    g.bench_function("synth_marac", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(lines.len());
            synth::write(&old, &groups, CASES, black_box(7), &mut out, |_| {}).expect("in memory");
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, corpus);
criterion_main!(benches);
