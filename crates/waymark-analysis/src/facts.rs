//! Facts for examples: from a satisfying assignment of the BDD variables, made up for
//! opaque inputs, or drawn at random; and evaluation of facts with the real engine.

use std::collections::HashMap;

use biodivine_lib_bdd::{Bdd, BddValuation, BddVariable};
use serde_json::{Map, Value as Json};
use waymark_check::hir;
use waymark_ir::Date;

use crate::concrete::{Val, const_val};
use crate::render;
use crate::sym::{Enc, Gen, Mgr, R};

/// A small seeded random generator (splitmix64), so runs repeat exactly.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// True with probability `percent` in 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

/// Values seen in the rulesets' own tests, by input name, and the dates they use.
#[derive(Default)]
pub(crate) struct Pool {
    values: HashMap<String, Vec<Json>>,
    dates: Vec<Date>,
}

fn dates_in(v: &Val, out: &mut Vec<Date>) {
    match v {
        Val::Date(d) => out.push(*d),
        Val::List(items) => items.iter().for_each(|i| dates_in(i, out)),
        _ => {}
    }
}

impl Pool {
    pub(crate) fn new(rulesets: &[&hir::Ruleset]) -> Pool {
        let mut pool = Pool::default();
        for rs in rulesets {
            for test in &rs.tests {
                for (id, c) in &test.facts {
                    let Some(def) = rs.inputs.get(id.0 as usize) else {
                        continue;
                    };
                    let v = const_val(c);
                    dates_in(&v, &mut pool.dates);
                    let json = render::val_json(rs, &def.ty, &v);
                    if json.is_null() {
                        continue;
                    }
                    let list = pool.values.entry(def.name.clone()).or_default();
                    if !list.contains(&json) {
                        list.push(json);
                    }
                }
            }
        }
        if pool.dates.is_empty() {
            pool.dates.extend(Date::from_ymd(2024, 5, 1));
        }
        pool
    }

    /// A value for an opaque input: attempt 0 takes the first value the tests use, later
    /// attempts mix the tests' values with made-up ones.
    pub(crate) fn value(&self, name: &str, make_as: &Gen, rng: &mut Rng, attempt: usize) -> Json {
        let seen = self.values.get(name).map(Vec::as_slice).unwrap_or(&[]);
        if attempt == 0
            && let Some(v) = seen.first()
        {
            return v.clone();
        }
        if !seen.is_empty()
            && rng.chance(30)
            && let Some(v) = rng.pick(seen)
        {
            return v.clone();
        }
        self.make(make_as, rng)
    }

    fn date(&self, rng: &mut Rng) -> Json {
        // Dates near the ends of the calendar would make date arithmetic run off it; cases
        // are kept to dates a case system can record.
        let base = rng.pick(&self.dates).copied().unwrap_or(Date(0));
        let offset = rng.below(1500) as i32 - 1100;
        let d = Date(base.0.saturating_add(offset));
        Json::String(d.to_string())
    }

    fn make(&self, make_as: &Gen, rng: &mut Rng) -> Json {
        match make_as {
            Gen::Date => self.date(rng),
            Gen::Int(lo, hi) => {
                let span = hi.saturating_sub(*lo).saturating_add(1).max(1) as u64;
                Json::from(lo.saturating_add(rng.below(span) as i64))
            }
            Gen::Number => Json::String(format!("{}.{}", rng.below(100), rng.below(10))),
            Gen::Text => Json::String(["", "a", "b", "other"][rng.below(4) as usize].into()),
            Gen::Bool => Json::Bool(rng.chance(50)),
            Gen::Answer => Json::String(["yes", "no", "unknown"][rng.below(3) as usize].into()),
            Gen::Enum(names) => rng
                .pick(names)
                .map_or(Json::Null, |n| Json::String(n.clone())),
            Gen::List(inner) => {
                let n = rng.below(6);
                Json::Array((0..n).map(|_| self.make(inner, rng)).collect())
            }
        }
    }
}

/// The finite part of facts read from an assignment; returns the facts and the names
/// of the opaque inputs that need a value.
pub(crate) fn from_valuation(m: &Mgr, v: &BddValuation) -> (Map<String, Json>, Vec<usize>) {
    let mut facts = Map::new();
    let mut opaque = Vec::new();
    for (k, input) in m.inputs.iter().enumerate() {
        match &input.enc {
            Enc::Finite { bits, json, .. } => {
                let i = bits
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| v.value(**b))
                    .fold(0usize, |acc, (n, _)| acc | (1 << n));
                if let Some(j) = json.get(i)
                    && !j.is_null()
                {
                    facts.insert(input.name.clone(), j.clone());
                }
            }
            Enc::Bits { known, bits, names } => {
                if known.is_none_or(|k| v.value(k)) {
                    let set: Vec<Json> = bits
                        .iter()
                        .zip(names)
                        .filter(|(b, _)| v.value(**b))
                        .map(|(_, n)| Json::String(n.clone()))
                        .collect();
                    facts.insert(input.name.clone(), Json::Array(set));
                }
            }
            Enc::Opaque { known, .. } => {
                if known.is_none_or(|kv| v.value(kv)) {
                    opaque.push(k);
                }
            }
        }
    }
    (facts, opaque)
}

/// Random facts over every input.
pub(crate) fn random(m: &Mgr, pool: &Pool, rng: &mut Rng) -> Map<String, Json> {
    let mut facts = Map::new();
    for input in &m.inputs {
        match &input.enc {
            Enc::Finite { json, .. } => {
                if let Some(j) = rng.pick(json)
                    && !j.is_null()
                {
                    facts.insert(input.name.clone(), j.clone());
                }
            }
            Enc::Bits { known, names, .. } => {
                if known.is_none() || rng.chance(80) {
                    let set: Vec<Json> = names
                        .iter()
                        .filter(|_| rng.chance(30))
                        .map(|n| Json::String(n.clone()))
                        .collect();
                    facts.insert(input.name.clone(), Json::Array(set));
                }
            }
            Enc::Opaque { known, make_as } => {
                if known.is_none() || rng.chance(75) {
                    let attempt = 1 + rng.below(4) as usize;
                    facts.insert(
                        input.name.clone(),
                        pool.value(&input.name, make_as, rng, attempt),
                    );
                }
            }
        }
    }
    facts
}

/// The literals that fix the finite inputs (and whether opaque inputs are given) to
/// the values in `facts`; `None` when a value is outside an input's domain.
pub(crate) fn literals(m: &Mgr, facts: &Json) -> Option<Vec<(BddVariable, bool)>> {
    let obj = facts.as_object()?;
    let mut lits = Vec::new();
    for input in &m.inputs {
        let given = obj.get(&input.name).filter(|j| !j.is_null());
        let given = given.filter(|j| !(input.answer && j.as_str() == Some("unknown")));
        match &input.enc {
            Enc::Finite { bits, json, .. } => {
                let want = given.cloned().unwrap_or(Json::Null);
                let i = json.iter().position(|j| *j == want)?;
                for (n, b) in bits.iter().enumerate() {
                    lits.push((*b, (i >> n) & 1 == 1));
                }
            }
            Enc::Bits { known, bits, names } => {
                if let Some(k) = known {
                    lits.push((*k, given.is_some()));
                }
                let items = given.and_then(Json::as_array).cloned().unwrap_or_default();
                for (b, name) in bits.iter().zip(names) {
                    lits.push((*b, items.iter().any(|x| x.as_str() == Some(name))));
                }
            }
            Enc::Opaque { known, .. } => {
                if let Some(k) = known {
                    lits.push((*k, given.is_some()));
                }
            }
        }
    }
    Some(lits)
}

/// Evaluates facts with the real engine; the facts not declared by this ruleset are
/// left out. `None` when the engine refuses the facts.
pub(crate) fn run(
    engine: &waymark::Ruleset,
    facts: &Map<String, Json>,
) -> Option<Map<String, Json>> {
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

/// Narrows a region to the assignments that leave the most inputs unknown or absent,
/// then (for `prefer_no`) `no`, `false` or empty.
pub(crate) fn minimise(m: &Mgr, region: &Bdd, allow_unknown: bool) -> R<Bdd> {
    let mut r = region.clone();
    let try_narrow = |r: &mut Bdd, cond: Bdd| -> R<()> {
        let t = m.and(r, &cond)?;
        if !t.is_false() {
            *r = t;
        }
        Ok(())
    };
    if allow_unknown {
        for input in &m.inputs {
            match &input.enc {
                Enc::Finite { bits, values, .. } if values.first().is_some_and(Val::is_unknown) => {
                    try_narrow(&mut r, m.cube(bits, 0))?;
                }
                Enc::Bits { known: Some(k), .. } | Enc::Opaque { known: Some(k), .. } => {
                    try_narrow(&mut r, m.vars.mk_not_var(*k))?;
                }
                _ => {}
            }
        }
    }
    for input in &m.inputs {
        match &input.enc {
            Enc::Finite { bits, values, .. } => {
                if let Some(i) = values.iter().position(|v| {
                    matches!(v, Val::Answer(waymark_ir::Answer::No) | Val::Bool(false))
                }) {
                    try_narrow(&mut r, m.cube(bits, i))?;
                }
            }
            Enc::Bits { bits, .. } => {
                for b in bits {
                    try_narrow(&mut r, m.vars.mk_not_var(*b))?;
                }
            }
            Enc::Opaque { .. } => {}
        }
    }
    Ok(r)
}

/// The literals of an assignment on the input variables (not the atoms).
pub(crate) fn input_cube(m: &Mgr, v: &BddValuation) -> Bdd {
    let mut lits = Vec::new();
    for input in &m.inputs {
        let vars: Vec<BddVariable> = match &input.enc {
            Enc::Finite { bits, .. } => bits.clone(),
            Enc::Bits { known, bits, .. } => known.iter().chain(bits).copied().collect(),
            Enc::Opaque { known, .. } => known.iter().copied().collect(),
        };
        lits.extend(vars.into_iter().map(|b| (b, v.value(b))));
    }
    m.tt().select(&lits)
}
