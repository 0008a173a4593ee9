//! Proptest strategies that generate valid facts for a ruleset.
//!
//! Two kinds of case are generated.
//!
//! * **Ordinary** ([`cases`], [`facts`]): every input anywhere in its type and range.
//!   Answers are not given, no, don't know or yes; optional inputs are sometimes left out;
//!   enums, sets, texts, whole numbers in their range, and dates within about three years of
//!   the anchor date (the date windows are counted from, such as `assessment_date`).
//!   Cases shrink towards facts left out, answers of no, low numbers, shorter lists and
//!   dates close to the anchor.
//! * **Boundary** ([`boundary_cases`], [`boundary_facts`]): values where decisions change.
//!   Whole numbers and list lengths sit at each constant and parameter value the ruleset
//!   compares against, or one either side; counted answers have exactly that many yes
//!   answers (13, 14 or 15 around a threshold of 14); dates sit exactly at each window's
//!   edge from the anchor (12 months before 2024-02-29, say) or a day either side, and at
//!   each date constant or a day either side. The anchor itself is taken from dates that
//!   stress calendar arithmetic (the end of February in a leap year, the 31st).
//!
//! [`mixed_facts`] draws from both. Every generated case is accepted by
//! [`waymark::Ruleset::facts_from_json`].

use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value as Json;
use waymark_ir::{Answer, Date, Decimal};

use crate::domain::{Case, Domain, Fact, Kind, base_date};

/// Generated lists have at most this many items.
const MAX_LIST: usize = 6;

/// Ordinary cases for a ruleset.
pub fn cases(rules: &waymark::Ruleset) -> BoxedStrategy<Case> {
    ordinary(Arc::new(Domain::new(rules)))
}

/// Boundary cases for a ruleset (see the module documentation).
pub fn boundary_cases(rules: &waymark::Ruleset) -> BoxedStrategy<Case> {
    boundary(Arc::new(Domain::new(rules)))
}

/// Ordinary cases as JSON facts.
pub fn facts(rules: &waymark::Ruleset) -> BoxedStrategy<Json> {
    as_json(rules, cases(rules))
}

/// Boundary cases as JSON facts.
pub fn boundary_facts(rules: &waymark::Ruleset) -> BoxedStrategy<Json> {
    as_json(rules, boundary_cases(rules))
}

/// Ordinary and boundary cases, half and half, as JSON facts.
pub fn mixed_facts(rules: &waymark::Ruleset) -> BoxedStrategy<Json> {
    as_json(rules, mixed(Arc::new(Domain::new(rules))))
}

/// Ordinary and boundary cases as both JSON facts and the engine's [`waymark::CaseFacts`],
/// for [`waymark::Ruleset::evaluate`] without reading JSON.
pub fn case_facts(rules: &waymark::Ruleset) -> BoxedStrategy<(Json, waymark::CaseFacts)> {
    let program = rules.program().clone();
    mixed(Arc::new(Domain::new(rules)))
        .prop_map(move |c| (c.to_json(&program), c.to_facts(&program)))
        .boxed()
}

fn as_json(rules: &waymark::Ruleset, s: BoxedStrategy<Case>) -> BoxedStrategy<Json> {
    let program = rules.program().clone();
    s.prop_map(move |c| c.to_json(&program)).boxed()
}

pub(crate) fn mixed(dom: Arc<Domain>) -> BoxedStrategy<Case> {
    prop_oneof![ordinary(Arc::clone(&dom)), boundary(dom)].boxed()
}

fn optional(s: BoxedStrategy<Fact>, optional: bool) -> BoxedStrategy<Fact> {
    if optional {
        prop::option::weighted(0.8, s)
            .prop_map(|f| f.unwrap_or(Fact::Absent))
            .boxed()
    } else {
        s
    }
}

fn answer() -> BoxedStrategy<Fact> {
    (0u8..4)
        .prop_map(|i| match i {
            0 => Fact::Absent,
            1 => Fact::Answer(Answer::No),
            2 => Fact::Answer(Answer::Unknown),
            _ => Fact::Answer(Answer::Yes),
        })
        .boxed()
}

fn not_yes() -> BoxedStrategy<Fact> {
    (0u8..3)
        .prop_map(|i| match i {
            0 => Fact::Absent,
            1 => Fact::Answer(Answer::No),
            _ => Fact::Answer(Answer::Unknown),
        })
        .boxed()
}

/// Days back from the anchor that ordinary dates are drawn from (negative: after it).
const DAYS_BACK: std::ops::RangeInclusive<i32> = -30..=1100;

/// An ordinary value of a kind. Dates other than the anchor are days back from the
/// anchor, resolved by [`resolve`].
fn ordinary_value(kind: &Kind) -> BoxedStrategy<Fact> {
    match kind {
        Kind::Answer => answer(),
        Kind::Bool => any::<bool>().prop_map(Fact::Bool).boxed(),
        Kind::Int { lo, hi } => (*lo..=*hi).prop_map(Fact::Int).boxed(),
        Kind::Number { lo, hi } => (lo.saturating_mul(100)..=hi.saturating_mul(100))
            .prop_map(|v| Fact::Num(Decimal::new(v, 2)))
            .boxed(),
        Kind::Text => select(vec!["", "a", "some text"])
            .prop_map(|t| Fact::Text(t.to_string()))
            .boxed(),
        Kind::Date => DAYS_BACK.prop_map(|d| Fact::Date(Date(d))).boxed(),
        Kind::Enum(n) => (0..(*n).max(1)).prop_map(Fact::Enum).boxed(),
        Kind::Set(n) => {
            let mask = if *n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
            any::<u64>().prop_map(move |b| Fact::Set(b & mask)).boxed()
        }
        Kind::List(inner) => prop::collection::vec(ordinary_value(inner), 0..=MAX_LIST)
            .prop_map(Fact::List)
            .boxed(),
    }
}

fn ordinary(dom: Arc<Domain>) -> BoxedStrategy<Case> {
    let parts: Vec<BoxedStrategy<Fact>> = dom
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let s = if Some(i) == dom.anchor {
                let base = base_date().0;
                (base - 500..=base + 500)
                    .prop_map(|d| Fact::Date(Date(d)))
                    .boxed()
            } else {
                ordinary_value(&input.kind)
            };
            optional(s, input.optional && input.kind != Kind::Answer)
        })
        .collect();
    parts.prop_map(move |facts| resolve(&dom, facts)).boxed()
}

/// Turns the days-back of every date other than the anchor into a date.
fn resolve(dom: &Domain, mut facts: Vec<Fact>) -> Case {
    let anchor = dom
        .anchor
        .and_then(|i| match facts.get(i) {
            Some(Fact::Date(d)) => Some(*d),
            _ => None,
        })
        .unwrap_or_else(base_date);
    let back = |f: &mut Fact| {
        if let Fact::Date(d) = f {
            *d = Date(anchor.0 - d.0);
        }
    };
    for (i, f) in facts.iter_mut().enumerate() {
        if Some(i) == dom.anchor {
            continue;
        }
        match f {
            Fact::List(items) => items.iter_mut().for_each(back),
            other => back(other),
        }
    }
    Case(facts)
}

/// Anchor dates that stress calendar arithmetic.
fn anchors() -> Vec<Date> {
    [
        (2024, 5, 1),
        (2024, 2, 29),
        (2024, 3, 31),
        (2023, 12, 31),
        (2024, 8, 31),
    ]
    .iter()
    .filter_map(|(y, m, d)| Date::from_ymd(*y, *m, *d))
    .collect()
}

fn boundary(dom: Arc<Domain>) -> BoxedStrategy<Case> {
    select(anchors())
        .prop_flat_map(move |anchor| boundary_at(Arc::clone(&dom), anchor))
        .boxed()
}

fn boundary_value(dom: &Domain, kind: &Kind, edges: &[Date]) -> BoxedStrategy<Fact> {
    match kind {
        Kind::Int { lo, hi } => select(dom.near_thresholds(*lo, *hi))
            .prop_map(Fact::Int)
            .boxed(),
        Kind::Number { lo, hi } => select(dom.near_thresholds(*lo, *hi))
            .prop_map(|v| Fact::Num(Decimal::from(v)))
            .boxed(),
        Kind::Date if !edges.is_empty() => select(edges.to_vec()).prop_map(Fact::Date).boxed(),
        Kind::List(inner) => {
            let lengths: Vec<usize> = dom
                .near_thresholds(0, MAX_LIST as i64 + 2)
                .into_iter()
                .filter_map(|n| usize::try_from(n).ok())
                .collect();
            let item = boundary_value(dom, inner, edges);
            select(lengths)
                .prop_flat_map(move |n| prop::collection::vec(item.clone(), n))
                .prop_map(Fact::List)
                .boxed()
        }
        other => ordinary_value(other),
    }
}

fn boundary_at(dom: Arc<Domain>, anchor: Date) -> BoxedStrategy<Case> {
    let edges = dom.near_edges(anchor);
    let in_group: Vec<bool> = (0..dom.inputs.len())
        .map(|i| dom.groups.iter().any(|g| g.contains(&i)))
        .collect();
    let parts: Vec<BoxedStrategy<Fact>> = dom
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            if Some(i) == dom.anchor {
                return Just(Fact::Date(anchor)).boxed();
            }
            if in_group.get(i).copied().unwrap_or(false) {
                return Just(Fact::Absent).boxed();
            }
            let s = if input.kind == Kind::Date || matches!(input.kind, Kind::List(_)) {
                boundary_value(&dom, &input.kind, &edges)
            } else {
                boundary_value(&dom, &input.kind, &[])
            };
            optional(s, input.optional && input.kind != Kind::Answer)
        })
        .collect();
    let groups: Vec<BoxedStrategy<Vec<(usize, Fact)>>> = dom
        .groups
        .iter()
        .map(|members| {
            let n = members.len();
            let counts: Vec<usize> = dom
                .near_thresholds(0, n as i64)
                .into_iter()
                .filter_map(|k| usize::try_from(k).ok())
                .collect();
            (
                select(counts),
                Just(members.clone()).prop_shuffle(),
                prop::collection::vec(not_yes(), n),
            )
                .prop_map(|(k, order, rest)| {
                    order
                        .into_iter()
                        .zip(rest)
                        .enumerate()
                        .map(|(j, (input, other))| {
                            let f = if j < k {
                                Fact::Answer(Answer::Yes)
                            } else {
                                other
                            };
                            (input, f)
                        })
                        .collect()
                })
                .boxed()
        })
        .collect();
    (parts, groups)
        .prop_map(|(mut facts, groups)| {
            for (i, f) in groups.into_iter().flatten() {
                if let Some(slot) = facts.get_mut(i) {
                    *slot = f;
                }
            }
            Case(facts)
        })
        .boxed()
}
