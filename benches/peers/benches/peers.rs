//! One criterion run of the same decision logic in Waymark (native and WebAssembly),
//! hand-written Rust and the peers. Before any engine is timed it is held against
//! Waymark's native decision on generated cases; an engine that disagrees on any case is
//! not timed.
//!
//! Groups: `w1_marac` (all answers known), `w2_marac_30pct_unknown`, `w3_table_<rows>`
//! (`first`, `middle`, `last` row matching) and `w4_load_<workload>` (from source in
//! memory to ready to evaluate). Equivalence counts are written to
//! `target/peers-equivalence.json` for `scripts/bench-peers`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmarks")]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use serde_json::json;
use waymark_peers::case::{
    MaracCase, Params, TableCase, local_params, marac_cases, table_cases,
};
use waymark_peers::{Engine, check, marac, table};

/// Cases in each equivalence check (default parameters); local parameters get a fifth.
const CASES: usize = 10_000;
const TABLE_SIZES: [usize; 3] = [50, 500, 3_000];

/// What the checks found, by workload and engine: cases compared, or the disagreement.
type Report = BTreeMap<String, BTreeMap<String, serde_json::Value>>;

fn note(report: &mut Report, workload: &str, engine: &str, v: serde_json::Value) {
    report
        .entry(workload.to_string())
        .or_default()
        .insert(engine.to_string(), v);
}

/// Checks a MARAC engine (default and local parameters) against Waymark; the engine with
/// default parameters when it agrees on every case.
fn verified_marac<E>(
    report: &mut Report,
    name: &str,
    load: impl Fn(&Params) -> Result<E, String>,
) -> Option<E>
where
    E: Engine<Case = MaracCase, Expected = waymark_peers::case::Outcome>,
{
    let started = Instant::now();
    let mut total = 0;
    for (params, seed, n) in [
        (Params::default(), 2026, CASES),
        (local_params(), 7, CASES / 5),
    ] {
        let outcome = (|| {
            let mut engine = load(&params).map_err(|e| format!("load: {e}"))?;
            let mut reference = marac::WaymarkNative::load(&params)?;
            let cases = marac_cases(seed, n, None, &params);
            check(&mut engine, &mut reference, &cases, |_| true)
        })();
        match outcome {
            Ok(k) => total += k,
            Err(e) => {
                eprintln!("peers: {name} (marac) is NOT timed: {e}");
                note(report, "marac", name, json!({"error": e}));
                return None;
            }
        }
    }
    eprintln!(
        "peers: {name} (marac) agrees with Waymark on {total} cases ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    note(report, "marac", name, json!({"cases": total}));
    load(&Params::default()).ok()
}

fn bench_marac<E>(c: &mut Criterion, name: &str, engine: &mut E)
where
    E: Engine<Case = MaracCase>,
{
    for (group, unknown) in [("w1_marac", 0), ("w2_marac_30pct_unknown", 30)] {
        let mut input = engine.input(&MaracCase::bench(unknown)).unwrap();
        let mut g = c.benchmark_group(group);
        g.bench_function(name, |b| {
            b.iter(|| black_box(engine.eval(black_box(&mut input))))
        });
        g.finish();
    }
}

/// Checks a table engine against Waymark on every table size: the engines of the sizes it
/// loads, or nothing when it disagrees with Waymark on any case (a size it cannot load is
/// left out and noted).
fn verified_tables<E>(
    report: &mut Report,
    name: &str,
    load: impl Fn(usize) -> Result<E, String>,
) -> Option<Vec<(usize, E)>>
where
    E: Engine<Case = TableCase, Expected = waymark_peers::case::Tier>,
{
    let mut engines = Vec::new();
    for rows in TABLE_SIZES {
        let workload = format!("table_{rows}");
        let started = Instant::now();
        let mut engine = match load(rows) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("peers: {name} cannot load {workload}, not timed: {e}");
                note(report, &workload, name, json!({"load_error": e}));
                continue;
            }
        };
        let outcome = (|| {
            let mut reference = table::WaymarkNative::load(&table::waymark_source(rows))?;
            let cases = table_cases(rows as u64, CASES, rows);
            check(&mut engine, &mut reference, &cases, |_| true)
        })();
        match outcome {
            Ok(k) => {
                eprintln!(
                    "peers: {name} ({workload}) agrees with Waymark on {k} cases ({:.1} s)",
                    started.elapsed().as_secs_f64()
                );
                note(report, &workload, name, json!({"cases": k}));
                engines.push((rows, engine));
            }
            Err(e) => {
                eprintln!("peers: {name} ({workload}) is NOT timed: {e}");
                note(report, &workload, name, json!({"error": e}));
                return None;
            }
        }
    }
    Some(engines)
}

fn bench_tables<E>(c: &mut Criterion, name: &str, engines: &mut [(usize, E)])
where
    E: Engine<Case = TableCase>,
{
    for (rows, engine) in engines.iter_mut() {
        let mut g = c.benchmark_group(format!("w3_table_{rows}"));
        for (at, row) in [("first", 0), ("middle", *rows / 2), ("last", *rows - 1)] {
            let mut input = engine.input(&TableCase::at_row(row)).unwrap();
            g.bench_function(BenchmarkId::new(name, at), |b| {
                b.iter(|| black_box(engine.eval(black_box(&mut input))))
            });
        }
        g.finish();
    }
}

/// Times loading: from the logic in memory (source text or JSON) to ready to evaluate.
fn bench_load<T>(c: &mut Criterion, workload: &str, name: &str, load: impl Fn() -> Result<T, String>) {
    if let Err(e) = load() {
        eprintln!("peers: {name} cannot load {workload}: {e}");
        return;
    }
    let mut g = c.benchmark_group(format!("w4_load_{workload}"));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.bench_function(name, |b| b.iter(|| black_box(load())));
    g.finish();
}

/// Every engine through one workload-generic function.
macro_rules! engine {
    ($c:expr, $report:expr, $name:expr, $marac:expr, $table:expr, $marac_load:expr, $table_load:expr) => {{
        if let Some(mut e) = verified_marac($report, $name, $marac) {
            bench_marac($c, $name, &mut e);
            bench_load($c, "marac", $name, || $marac_load(&Params::default()));
        }
        if let Some(mut engines) = verified_tables($report, $name, $table) {
            bench_tables($c, $name, &mut engines);
            for rows in engines.iter().map(|(rows, _)| *rows).collect::<Vec<_>>() {
                bench_load($c, &format!("table_{rows}"), $name, || $table_load(rows));
            }
        }
    }};
}

fn run() {
    let mut c = Criterion::default().configure_from_args();
    let mut report = Report::new();
    let c = &mut c;
    let r = &mut report;

    // Hand-written Rust: held against Waymark too.
    if let Some(mut e) = verified_marac(r, "handwritten", |p| {
        Ok(marac::Handwritten { params: *p })
    }) {
        bench_marac(c, "handwritten", &mut e);
    }
    if let Some(mut engines) = verified_tables(r, "handwritten", |rows| Ok(table::Handwritten::new(rows))) {
        bench_tables(c, "handwritten", &mut engines);
    }

    // Waymark native: the reference itself (its checks compare it with itself, so they
    // are not counted).
    let mut e = marac::WaymarkNative::load(&Params::default()).expect("marac.referral");
    bench_marac(c, "waymark", &mut e);
    let (root, files) = marac::sources().expect("sources");
    bench_load(c, "marac", "waymark", || {
        let rules = waymark::Ruleset::from_sources(&root, &files).map_err(|e| format!("{e:?}"))?;
        marac::WaymarkNative::new(&rules, &Params::default())
    });
    let mut engines: Vec<(usize, table::WaymarkNative)> = TABLE_SIZES
        .iter()
        .map(|rows| (*rows, table::WaymarkNative::load(&table::waymark_source(*rows)).expect("table")))
        .collect();
    bench_tables(c, "waymark", &mut engines);
    for rows in TABLE_SIZES {
        let source = table::waymark_source(rows);
        bench_load(c, &format!("table_{rows}"), "waymark", || table::WaymarkNative::load(&source));
    }

    // Waymark through the WebAssembly component.
    match (marac::component(true), marac::component(false)) {
        (Ok(metered), Ok(unmetered)) => {
            for (name, component) in [("waymark_wasm", &metered), ("waymark_wasm_unmetered", &unmetered)] {
                let component = component.clone();
                let tables = component.clone();
                engine!(
                    c,
                    r,
                    name,
                    |p: &Params| marac::WaymarkWasm::load(&component, p),
                    |rows| table::WaymarkWasm::load(&tables, &table::waymark_source(rows)),
                    |p: &Params| marac::WaymarkWasm::load(&component, p),
                    |rows| table::WaymarkWasm::load(&tables, &table::waymark_source(rows))
                );
            }
            // Many cases in one call: the time per case.
            if let Ok(wasm) = marac::WaymarkWasm::load(&metered, &Params::default()) {
                for (group, unknown) in [("w1_marac", 0), ("w2_marac_30pct_unknown", 30)] {
                    let text = MaracCase::bench(unknown).facts().to_string();
                    let batch = vec![text; 1_000];
                    let mut g = c.benchmark_group(group);
                    g.bench_function("waymark_wasm_batch1000_per_case", |b| {
                        b.iter_custom(|iters| {
                            let mut left = iters as usize;
                            let start = Instant::now();
                            while left > 0 {
                                let n = left.min(batch.len());
                                black_box(wasm.rules().evaluate_batch_json(&batch[..n], false).unwrap());
                                left -= n;
                            }
                            start.elapsed()
                        })
                    });
                    g.finish();
                }
            }
            bench_load(c, "component", "waymark_wasm_from_cache", || {
                marac::component(true).map(drop)
            });
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("peers: the WebAssembly rows are skipped: {e}");
            note(r, "marac", "waymark_wasm", json!({"skipped": e}));
        }
    }

    engine!(c, r, "zen", marac::ZenMarac::load, table::ZenTable::load, marac::ZenMarac::load, table::ZenTable::load);
    engine!(c, r, "regorus_rvm", marac::RegoVmMarac::load, table::RegoVmTable::load, marac::RegoVmMarac::load, table::RegoVmTable::load);
    engine!(c, r, "regorus_interpreter", marac::RegoInterpMarac::load, table::RegoInterpTable::load, marac::RegoInterpMarac::load, table::RegoInterpTable::load);
    engine!(c, r, "cel", marac::CelMarac::load, table::CelTable::load, marac::CelMarac::load, table::CelTable::load);
    engine!(c, r, "datalogic", marac::JsonLogicMarac::load, table::JsonLogicTable::load, marac::JsonLogicMarac::load, table::JsonLogicTable::load);
    engine!(c, r, "rhai", marac::RhaiMarac::load, table::RhaiTable::load, marac::RhaiMarac::load, table::RhaiTable::load);

    c.final_summary();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("peers-equivalence.json"),
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    );
}

fn main() {
    // Some peers parse and evaluate a 3 000-row table as 3 000 nested conditionals.
    if waymark_peers::with_big_stack(run).is_none() {
        eprintln!("peers: the benchmark thread failed");
        std::process::exit(1);
    }
}
