//! The diff against the engine: on random facts, every case the engine decides
//! differently lies in the changed region of a non-equivalent output, and (where the
//! region is exact) every case in the region is decided differently.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{Rng, load, outcome, random_facts, try_load};
use serde_json::Value as Json;
use waymark::checked::{Const, ParamId};
use waymark_analysis::{DiffOptions, Verdict, analyse_diff};

const RULESETS: &[&str] = &[
    "hba/screen.wm",
    "stalking/screen.wm",
    "housing/safe_accommodation.wm",
    "perpetrator/pathways.wm",
    "sv/acute.wm",
    "exploitation/cse_gang.wm",
];
const CASES: usize = 2_000;

struct Mutation {
    name: String,
    text: Option<String>,
    params: Vec<(ParamId, Const)>,
}

fn int_default(line: &str) -> Option<(usize, i64)> {
    let eq = line.find(" = ")?;
    let rest = &line[eq + 3..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok().map(|n| (eq + 3, n))
}

/// A changed threshold, a removed rule, a flipped comparison, a changed parameter.
fn mutations(rel: &str) -> Vec<Mutation> {
    let text = std::fs::read_to_string(common::rulesets_dir().join(rel)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let join = |ls: &[String]| ls.join("\n") + "\n";
    let mut out = Vec::new();
    // A changed threshold: the first int parameter whose default can move by one.
    'threshold: for (i, line) in lines.iter().enumerate() {
        if !(line.starts_with("param ") && line.contains(": int")) {
            continue;
        }
        let Some((at, n)) = int_default(line) else {
            continue;
        };
        for m in [n + 1, n - 1] {
            let digits = n.to_string().len();
            let new_line = format!("{}{m}{}", &line[..at], &line[at + digits..]);
            let mut ls: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
            ls[i] = new_line;
            let edited = join(&ls);
            if try_load(rel, &|_| edited.clone()).is_some() {
                out.push(Mutation {
                    name: format!("threshold {n} -> {m} at line {}", i + 1),
                    text: Some(edited),
                    params: vec![],
                });
                break 'threshold;
            }
        }
    }
    // A removed rule: the first (from the middle of the file) that can go.
    let rule_starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("rule "))
        .collect();
    let mid = rule_starts.len() / 2;
    for &start in rule_starts[mid..].iter().chain(&rule_starts[..mid]) {
        let Some(end) = (start..lines.len()).find(|&j| lines[j] == "}") else {
            continue;
        };
        let ls: Vec<String> = lines
            .iter()
            .enumerate()
            .filter(|(j, _)| *j < start || *j > end)
            .map(|(_, s)| s.to_string())
            .collect();
        let edited = join(&ls);
        if try_load(rel, &|_| edited.clone()).is_some() {
            out.push(Mutation {
                name: format!("removed {}", lines[start]),
                text: Some(edited),
                params: vec![],
            });
            break;
        }
    }
    // A flipped comparison.
    'flip: for (i, line) in lines.iter().enumerate() {
        for (from, to) in [(" >= ", " > "), (" < ", " <= "), (" = yes", " != yes")] {
            if line.starts_with("//") || !line.contains(from) {
                continue;
            }
            let mut ls: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
            ls[i] = line.replacen(from, to, 1);
            let edited = join(&ls);
            if try_load(rel, &|_| edited.clone()).is_some() {
                out.push(Mutation {
                    name: format!("flipped `{}` at line {}", from.trim(), i + 1),
                    text: Some(edited),
                    params: vec![],
                });
                break 'flip;
            }
        }
    }
    // A changed parameter, given as a parameter value.
    let rs = load(rel, &|s| s.to_string());
    for (i, p) in rs.checked().params.iter().enumerate() {
        if p.bound.is_some() {
            continue;
        }
        let hi = p.range.as_ref().and_then(|r| match &r.hi {
            Some(Const::Int(h)) => Some(*h),
            _ => None,
        });
        let value = match &p.default {
            Const::Int(n) if hi.is_none_or(|h| *n < h) => Const::Int(n + 1),
            Const::Bool(b) => Const::Bool(!b),
            _ => continue,
        };
        out.push(Mutation {
            name: format!("parameter {} = {value:?}", p.name),
            text: None,
            params: vec![(ParamId(i as u32), value)],
        });
        break;
    }
    out
}

fn bind(engine: &waymark::Ruleset, params: &[(ParamId, Const)]) -> waymark::Ruleset {
    let rs = engine.checked();
    let over: Vec<(String, Json)> = params
        .iter()
        .map(|(id, c)| {
            let name = rs.params[id.0 as usize].name.clone();
            let json = match c {
                Const::Int(i) => Json::from(*i),
                Const::Bool(b) => Json::Bool(*b),
                other => panic!("unexpected parameter value {other:?}"),
            };
            (name, json)
        })
        .collect();
    engine.with_params(&over).unwrap()
}

fn check(rulesets: &[&str]) {
    let opts = DiffOptions {
        random_cases: 100,
        ..DiffOptions::default()
    };
    let mut pairs = 0;
    let mut differing_cases = 0;
    let mut exact_checks = 0;
    for rel in rulesets {
        let old = load(rel, &|s| s.to_string());
        let muts = mutations(rel);
        assert!(muts.len() >= 3, "{rel}: only {} mutations", muts.len());
        for m in muts {
            pairs += 1;
            let new = match &m.text {
                Some(t) => load(rel, &|_| t.clone()),
                None => old.clone(),
            };
            let analysis = analyse_diff(&old, &[], &new, &m.params, &opts);
            let new_engine = bind(&new, &m.params);
            let mut rng = Rng(0xD1FF ^ pairs as u64);
            for _ in 0..CASES {
                let facts = random_facts(&[old.checked(), new.checked()], &mut rng);
                let (Some(o), Some(n)) = (outcome(&old, &facts), outcome(&new_engine, &facts))
                else {
                    continue;
                };
                for out in &analysis.report.outputs {
                    let name = &out.output;
                    let region = analysis.in_changed_region(name, &Json::Object(facts.clone()));
                    if o[name] != n[name] {
                        differing_cases += 1;
                        assert!(
                            !matches!(out.verdict, Verdict::Equivalent { .. }),
                            "{rel} ({}): `{name}` was called equivalent, but {facts:?} gives {} and {}",
                            m.name,
                            o[name],
                            n[name]
                        );
                        if let Some(r) = region {
                            assert!(
                                r,
                                "{rel} ({}): {facts:?} differs on `{name}` outside the changed region",
                                m.name
                            );
                        }
                    } else if region == Some(true) && analysis.is_exact(name) == Some(true) {
                        panic!(
                            "{rel} ({}): {facts:?} lies in the exact changed region of `{name}`, but both give {}",
                            m.name, o[name]
                        );
                    } else if analysis.is_exact(name) == Some(true) {
                        exact_checks += 1;
                    }
                }
            }
        }
    }
    assert!(pairs >= 3 * rulesets.len(), "only {pairs} pairs");
    assert!(
        differing_cases > 20,
        "the mutations changed too little: {differing_cases}"
    );
    assert!(exact_checks > 1000, "{exact_checks}");
}

#[test]
fn changed_regions_agree_with_the_engine_on_screens() {
    check(&RULESETS[..2]);
}

#[test]
fn changed_regions_agree_with_the_engine_on_pathways() {
    check(&RULESETS[2..4]);
}

#[test]
fn changed_regions_agree_with_the_engine_with_dates_and_hours() {
    check(&RULESETS[4..]);
}
