//! Every engine's encoding agrees with Waymark's native decision on generated cases (the
//! benchmark checks 10 000 and more before timing; these are fewer, for `cargo test`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use waymark_peers::case::{
    MaracCase, Outcome, Params, TableCase, Tier, local_params, marac_cases, table_cases,
};
use waymark_peers::{Engine, check, marac, table, with_big_stack};

const MARAC_CASES: usize = 1_000;
const TABLE_CASES: usize = 300;

fn marac_agrees<E: Engine<Case = MaracCase, Expected = Outcome>>(
    load: impl Fn(&Params) -> Result<E, String>,
) {
    for (params, seed) in [(Params::default(), 11), (local_params(), 12)] {
        let mut engine = load(&params).unwrap();
        let mut reference = marac::WaymarkNative::load(&params).unwrap();
        let cases = marac_cases(seed, MARAC_CASES, None, &params);
        assert!(cases.iter().any(MaracCase::has_unknown));
        let n = check(&mut engine, &mut reference, &cases, |_| true).unwrap();
        assert_eq!(n, MARAC_CASES);
    }
}

fn table_agrees<E: Engine<Case = TableCase, Expected = Tier>>(
    load: impl Fn(usize) -> Result<E, String>,
) {
    table_agrees_at(&[50, 500, 3_000], load);
}

fn table_agrees_at<E: Engine<Case = TableCase, Expected = Tier>>(
    sizes: &[usize],
    load: impl Fn(usize) -> Result<E, String>,
) {
    for &rows in sizes {
        let mut engine = load(rows).unwrap();
        let mut reference = table::WaymarkNative::load(&table::waymark_source(rows)).unwrap();
        let cases = table_cases(rows as u64 + 1, TABLE_CASES, rows);
        let n = check(&mut engine, &mut reference, &cases, |_| true).unwrap();
        assert_eq!(n, TABLE_CASES);
    }
}

fn big<F: FnOnce() + Send + 'static>(f: F) {
    with_big_stack(f).expect("the check panicked");
}

#[test]
fn the_generated_cases_cover_every_outcome() {
    let mut reference = marac::WaymarkNative::load(&Params::default()).unwrap();
    let cases = marac_cases(11, MARAC_CASES, None, &Params::default());
    let mut reasons = 0u8;
    let mut levels = std::collections::BTreeSet::new();
    let mut refer = [false; 2];
    for c in &cases {
        let o = waymark_peers::decide(&mut reference, c).unwrap();
        reasons |= o.reasons;
        levels.insert(format!("{:?}", o.risk_level));
        refer[usize::from(o.refer_marac)] = true;
    }
    assert_eq!(reasons, 0b1111, "every criterion is met by some case");
    assert_eq!(levels.len(), 3, "every risk level occurs");
    assert_eq!(refer, [true, true]);
    // Some cases are referred on a criterion yet too young.
    assert!(cases.iter().any(|c| {
        let o = waymark_peers::decide(&mut reference, c).unwrap();
        o.reasons != 0 && !o.refer_marac
    }));
}

#[test]
fn the_bench_case_is_the_main_workspace_case() {
    let mut reference = marac::WaymarkNative::load(&Params::default()).unwrap();
    let o = waymark_peers::decide(&mut reference, &MaracCase::bench(0)).unwrap();
    assert_eq!(o.yes_count, 12);
    assert!(!o.refer_marac);
    assert!(MaracCase::bench(30).has_unknown());
}

#[test]
fn handwritten_agrees() {
    marac_agrees(|p| Ok(marac::Handwritten { params: *p }));
    table_agrees(|rows| Ok(table::Handwritten::new(rows)));
}

#[test]
fn waymark_wasm_agrees() {
    let Ok(component) = marac::component(true) else {
        eprintln!("the component is not built (bash scripts/component): skipped");
        return;
    };
    marac_agrees(|p| marac::WaymarkWasm::load(&component, p));
    table_agrees(|rows| table::WaymarkWasm::load(&component, &table::waymark_source(rows)));
}

#[test]
fn zen_agrees() {
    big(|| {
        marac_agrees(marac::ZenMarac::load);
        table_agrees(table::ZenTable::load);
    });
}

#[test]
fn regorus_rvm_agrees() {
    big(|| {
        marac_agrees(marac::RegoVmMarac::load);
    });
}

/// regorus 0.14's RVM compiler runs out of registers on a first-hit `else` chain of 50
/// rows: the table is left out of the RVM rows (the interpreter runs it).
#[test]
fn regorus_rvm_cannot_compile_the_table() {
    big(|| {
        let e = table::RegoVmTable::load(50).err().unwrap_or_default();
        assert!(e.contains("Register overflow"), "{e}");
        table_agrees_at(&[3], table::RegoVmTable::load);
    });
}

#[test]
fn regorus_interpreter_agrees() {
    big(|| {
        marac_agrees(marac::RegoInterpMarac::load);
        table_agrees(table::RegoInterpTable::load);
    });
}

#[test]
fn cel_agrees() {
    big(|| {
        marac_agrees(marac::CelMarac::load);
        table_agrees(table::CelTable::load);
    });
}

#[test]
fn datalogic_agrees() {
    big(|| {
        marac_agrees(marac::JsonLogicMarac::load);
        table_agrees(table::JsonLogicTable::load);
    });
}

#[test]
fn rhai_agrees() {
    big(|| {
        marac_agrees(marac::RhaiMarac::load);
        table_agrees(table::RhaiTable::load);
    });
}
