//! Synthetic cases: fictional, seeded, reproducible, and never real data.
//!
//! Each case is a JSON line `{"id": "synthetic-000001", "synthetic": true, "groups": {...},
//! "facts": {...}}`. The facts follow the ruleset's inputs (types, ranges, optionality).
//! Answers are correlated through a hidden severity, as in real caseloads where risk
//! factors cluster: a case is low (55%), medium (30%) or high (15%) severity, and each
//! question's chance of a yes depends on the severity and on the question (some factors are
//! more common than others). Answers outside a numbered checklist (`q1`…`q24`), such as a
//! professional-judgement concern, are yes for 2%, 8% and 30% of low, medium and high
//! cases. Optional dates are left out 85% of the time, optional lists 25%, other optional
//! facts 12%. About 6% of answers are "don't know", more in groups a
//! profile marks as harder to assess. Dates fall within two years before an assessment
//! date in 2024; lists of event dates are longer for more severe cases.
//!
//! These proportions are illustrative, chosen to give a realistic spread of outcomes for
//! demonstrations and tests. They are not statistics about any population, and a synthetic
//! corpus says nothing about real cases.
//!
//! Groups (ethnicity, disability, immigration status, age band…) come from a groups file
//! (TOML): each field has values with weights, optionally a multiplier of the don't-know
//! rate, and optionally a range for an input (so an age band and the age agree):
//!
//! ```toml
//! [[field]]
//! name = "age_band"
//! values = [
//!   { value = "16-24", weight = 22, input = "victim_age", range = [16, 24] },
//!   { value = "25-34", weight = 32, input = "victim_age", range = [25, 34] },
//! ]
//! ```

use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use waymark::Ruleset;
use waymark::ir::{ConstVal, Program, Ty};
use waymark_ir::{Date, Unit};

/// The groups used when no file is given (see `examples/groups/synthetic.toml`).
pub const DEFAULT_GROUPS: &str = include_str!("../../../examples/groups/synthetic.toml");

/// The group fields and how their values are drawn.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Groups {
    /// The fields.
    #[serde(default)]
    pub field: Vec<GroupField>,
}

/// One group field.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupField {
    /// Its name, as the impact report's `--group` names it.
    pub name: String,
    /// Its values.
    pub values: Vec<GroupValue>,
}

/// One value of a group field.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupValue {
    /// The value.
    pub value: String,
    /// Relative weight.
    pub weight: f64,
    /// Multiplies the don't-know rate of answers for cases with this value.
    #[serde(default)]
    pub unknown_rate: Option<f64>,
    /// An input whose value must agree with this group value.
    #[serde(default)]
    pub input: Option<String>,
    /// The inclusive range of that (whole-number) input.
    #[serde(default)]
    pub range: Option<(i64, i64)>,
}

/// Why cases could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The groups file is not valid.
    #[error("groups file: {0}")]
    Groups(String),
    /// Writing failed.
    #[error("cannot write the cases: {0}")]
    Io(#[from] std::io::Error),
}

impl Groups {
    /// Reads a groups file, checking every weight and range.
    pub fn parse(text: &str) -> Result<Groups, SynthError> {
        let g: Groups = toml::from_str(text).map_err(|e| SynthError::Groups(e.to_string()))?;
        let mut problems = Vec::new();
        for f in &g.field {
            if f.values.is_empty() {
                problems.push(format!("field `{}` has no values", f.name));
            }
            for v in &f.values {
                if !(v.weight.is_finite() && v.weight >= 0.0) {
                    problems.push(format!(
                        "`{}` = `{}`: weight must be a number ≥ 0",
                        f.name, v.value
                    ));
                }
                if v.unknown_rate.is_some_and(|u| !(u.is_finite() && u >= 0.0)) {
                    problems.push(format!(
                        "`{}` = `{}`: unknown_rate must be ≥ 0",
                        f.name, v.value
                    ));
                }
                if let Some((lo, hi)) = v.range {
                    if lo > hi {
                        problems.push(format!(
                            "`{}` = `{}`: range {lo}..{hi} is empty",
                            f.name, v.value
                        ));
                    }
                    if v.input.is_none() {
                        problems.push(format!(
                            "`{}` = `{}`: a range needs an `input`",
                            f.name, v.value
                        ));
                    }
                }
            }
            if f.values.iter().map(|v| v.weight).sum::<f64>() <= 0.0 {
                problems.push(format!("field `{}`: the weights add up to 0", f.name));
            }
        }
        if problems.is_empty() {
            Ok(g)
        } else {
            Err(SynthError::Groups(problems.join("; ")))
        }
    }

    /// The names of the fields.
    pub fn names(&self) -> Vec<String> {
        self.field.iter().map(|f| f.name.clone()).collect()
    }
}

/// Writes `n` synthetic cases for `rules`, one JSON line each. Calls `progress` with the
/// number of cases written now and then.
pub fn write(
    rules: &Ruleset,
    groups: &Groups,
    n: u64,
    seed: u64,
    mut out: impl Write,
    mut progress: impl FnMut(u64),
) -> Result<(), SynthError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let p = rules.program();
    let mut line = Vec::with_capacity(2048);
    for i in 0..n {
        let case = one(p, groups, i, &mut rng);
        line.clear();
        serde_json::to_writer(&mut line, &case).map_err(std::io::Error::other)?;
        line.push(b'\n');
        out.write_all(&line)?;
        if i.is_multiple_of(8192) {
            progress(i);
        }
    }
    progress(n);
    out.flush()?;
    Ok(())
}

/// A cheap, stable per-name number in 0..1, so each question has its own base rate.
fn spread(name: &str) -> f64 {
    let mut h: u32 = 2_166_136_261;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(16_777_619);
    }
    f64::from(h % 1000) / 1000.0
}

fn pick<'a>(values: &'a [GroupValue], rng: &mut ChaCha8Rng) -> Option<&'a GroupValue> {
    let total: f64 = values.iter().map(|v| v.weight).sum();
    let mut x = rng.random::<f64>() * total;
    for v in values {
        if x < v.weight {
            return Some(v);
        }
        x -= v.weight;
    }
    values.last()
}

/// One case.
pub fn one(p: &Program, groups: &Groups, i: u64, rng: &mut ChaCha8Rng) -> Json {
    let mut group_json = Map::new();
    let mut unknown_rate = 0.06;
    let mut fixed: Vec<(String, (i64, i64))> = Vec::new();
    for f in &groups.field {
        if let Some(v) = pick(&f.values, rng) {
            group_json.insert(f.name.clone(), Json::String(v.value.clone()));
            if let Some(u) = v.unknown_rate {
                unknown_rate *= u;
            }
            if let (Some(input), Some(range)) = (&v.input, v.range) {
                fixed.push((input.clone(), range));
            }
        }
    }
    let unknown_rate = unknown_rate.min(0.9);
    let severity: usize = match rng.random::<f64>() {
        x if x < 0.55 => 0,
        x if x < 0.85 => 1,
        _ => 2,
    };
    let yes_base = [0.12, 0.38, 0.66][severity];
    let anchor_day = rng.random_range(0..366i64);
    // 2024-01-01 is day 19 723 after 1970-01-01.
    let anchor = Date(19_723 + anchor_day as i32);
    let mut facts = Map::new();
    let mut anchor_used = false;
    for input in &p.inputs {
        let name = input.name.as_str();
        if let Some((_, (lo, hi))) = fixed.iter().find(|(n, _)| n == name) {
            facts.insert(name.into(), json!(rng.random_range(*lo..=*hi)));
            continue;
        }
        // Optional facts other than answers are left out now and then, as in real records.
        let absent = input.optional
            && !matches!(input.ty, Ty::Answer)
            && rng.random::<f64>() < absent_rate(&input.ty);
        if absent {
            continue;
        }
        let value = match &input.ty {
            Ty::Answer => {
                let x = rng.random::<f64>();
                // Answers outside a numbered checklist (a practitioner's judgement, say) are
                // recorded as yes far less often than checklist answers.
                let checklist = name
                    .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .parse::<u32>()
                    .is_ok();
                let p_yes = if checklist {
                    (yes_base * (0.5 + spread(name))).min(0.95)
                } else {
                    [0.02, 0.08, 0.3][severity]
                };
                if x < unknown_rate {
                    json!("unknown")
                } else if x < unknown_rate + (1.0 - unknown_rate) * p_yes {
                    json!("yes")
                } else {
                    json!("no")
                }
            }
            Ty::Bool => json!(rng.random::<f64>() < 0.1 + 0.2 * severity as f64),
            Ty::Int => {
                let (lo, hi) = int_range(input.range.0.as_ref(), input.range.1.as_ref(), name);
                json!(rng.random_range(lo..=hi))
            }
            Ty::Number => {
                let (lo, hi) = int_range(input.range.0.as_ref(), input.range.1.as_ref(), name);
                json!(rng.random_range(lo..=hi))
            }
            Ty::Text => json!("synthetic"),
            Ty::Date => {
                if anchor_used {
                    let back = rng.random_range(0..730i64);
                    json!(
                        anchor
                            .shift(-back, Unit::Days)
                            .unwrap_or(anchor)
                            .to_string()
                    )
                } else {
                    anchor_used = true;
                    json!(anchor.to_string())
                }
            }
            Ty::Enum(e) => {
                let variants = p
                    .enums
                    .get(*e as usize)
                    .map(|e| e.variants.as_slice())
                    .unwrap_or_default();
                match variants.len() {
                    0 => continue,
                    n => json!(variants[rng.random_range(0..n)]),
                }
            }
            Ty::Set(e) => {
                let variants = p
                    .enums
                    .get(*e as usize)
                    .map(|e| e.variants.as_slice())
                    .unwrap_or_default();
                Json::Array(
                    variants
                        .iter()
                        .filter(|_| rng.random::<f64>() < 0.15)
                        .map(|v| json!(v))
                        .collect(),
                )
            }
            Ty::List(inner) => match inner.as_ref() {
                Ty::Date => {
                    let n = rng.random_range(0..=(1 + 2 * severity));
                    let mut dates: Vec<String> = (0..n)
                        .map(|_| {
                            let back = rng.random_range(0..540i64);
                            anchor
                                .shift(-back, Unit::Days)
                                .unwrap_or(anchor)
                                .to_string()
                        })
                        .collect();
                    dates.sort();
                    json!(dates)
                }
                Ty::Answer => json!([]),
                _ => json!([]),
            },
        };
        facts.insert(name.into(), value);
    }
    json!({
        "id": format!("synthetic-{:07}", i + 1),
        "synthetic": true,
        "groups": group_json,
        "facts": facts,
    })
}

fn absent_rate(ty: &Ty) -> f64 {
    match ty {
        Ty::List(_) => 0.25,
        // An optional date (a last referral, say) is usually not recorded.
        Ty::Date => 0.85,
        _ => 0.12,
    }
}

fn int_range(lo: Option<&ConstVal>, hi: Option<&ConstVal>, name: &str) -> (i64, i64) {
    let get = |c: Option<&ConstVal>| match c {
        Some(ConstVal::Int(i)) => Some(*i),
        _ => None,
    };
    let (dlo, dhi) = if name.contains("age") {
        (16, 80)
    } else {
        (0, 20)
    };
    let lo = get(lo).unwrap_or(dlo);
    let hi = get(hi).unwrap_or(if dhi > lo { dhi } else { lo.saturating_add(20) });
    (lo, hi.clamp(lo, lo.saturating_add(1000)))
}
