//! Helpers shared by the tests: loading reference rulesets with edits, and random facts.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json, json};
use waymark::checked::{self as hir, Type};

pub fn rulesets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rulesets")
}

fn wm_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            wm_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "wm") {
            out.push(path);
        }
    }
}

/// Every reference file, as (path, text).
pub fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    wm_files(&rulesets_dir(), &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.to_string_lossy().into_owned(), text)
        })
        .collect()
}

/// A reference ruleset with its root file's text edited; `None` when it does not check.
pub fn try_load(rel: &str, edit: &dyn Fn(&str) -> String) -> Option<waymark::Ruleset> {
    let root = rulesets_dir().join(rel);
    let root = root.to_string_lossy().into_owned();
    let mut files = sources();
    for f in &mut files {
        if f.0 == root {
            f.1 = edit(&f.1);
        }
    }
    waymark::Ruleset::from_sources(&root, &files).ok()
}

pub fn load(rel: &str, edit: &dyn Fn(&str) -> String) -> waymark::Ruleset {
    try_load(rel, edit).unwrap_or_else(|| panic!("{rel} does not check after the edit"))
}

/// A small seeded generator for test facts.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

fn int_bound(c: &Option<hir::Const>) -> Option<i64> {
    match c {
        Some(hir::Const::Int(i)) => Some(*i),
        _ => None,
    }
}

fn value(rs: &hir::Ruleset, ty: &Type, range: Option<&hir::Range>, rng: &mut Rng) -> Json {
    match ty {
        Type::Answer => json!(["yes", "no", "unknown"][rng.below(3) as usize]),
        Type::Bool => json!(rng.below(2) == 0),
        Type::Int | Type::Duration => {
            let lo = range.and_then(|r| int_bound(&r.lo)).unwrap_or(0);
            let hi = range.and_then(|r| int_bound(&r.hi)).unwrap_or(lo + 80);
            json!(lo + rng.below((hi - lo + 1) as u64) as i64)
        }
        Type::Number => json!(format!("{}.{}", rng.below(50), rng.below(10))),
        Type::Text => json!(["", "a", "b"][rng.below(3) as usize]),
        Type::Date => {
            let base = waymark_ir_date(2024, 5, 1);
            json!(date_text(base - 900 + rng.below(1000) as i32))
        }
        Type::Enum(e) | Type::Set(e) => {
            let names: Vec<String> = rs.enums[e.0 as usize]
                .variants
                .iter()
                .map(|v| v.name.clone())
                .collect();
            if matches!(ty, Type::Set(_)) {
                Json::Array(
                    names
                        .into_iter()
                        .filter(|_| rng.below(3) == 0)
                        .map(Json::String)
                        .collect(),
                )
            } else {
                json!(names[rng.below(names.len() as u64) as usize])
            }
        }
        Type::List(inner) => {
            let n = rng.below(6);
            Json::Array((0..n).map(|_| value(rs, inner, range, rng)).collect())
        }
    }
}

fn waymark_ir_date(y: i32, m: u32, d: u32) -> i32 {
    // Days since 1970-01-01, by the civil-from-days inverse.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn date_text(days: i32) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// Random facts for the union of two rulesets' inputs (optional ones sometimes left out).
pub fn random_facts(rulesets: &[&hir::Ruleset], rng: &mut Rng) -> Map<String, Json> {
    let mut facts = Map::new();
    for rs in rulesets {
        for input in &rs.inputs {
            if facts.contains_key(&input.name) {
                continue;
            }
            let optional = input.optional || input.ty == Type::Answer;
            if optional && rng.below(4) == 0 {
                continue;
            }
            facts.insert(
                input.name.clone(),
                value(rs, &input.ty, input.range.as_ref(), rng),
            );
        }
    }
    facts
}

/// Evaluates facts (only the ruleset's own inputs) with the engine.
pub fn outcome(engine: &waymark::Ruleset, facts: &Map<String, Json>) -> Option<Map<String, Json>> {
    let hir = engine.checked();
    let own: Map<String, Json> = facts
        .iter()
        .filter(|(k, _)| hir.input(k).is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    engine
        .evaluate_json(&Json::Object(own), false)
        .ok()
        .map(|d| d.outcome)
}
