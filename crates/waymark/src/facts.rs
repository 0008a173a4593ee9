//! Facts from JSON: every problem reported at once, nothing ever panics.

use std::collections::BTreeSet;

use serde_json::Value as Json;
use waymark_eval::Facts;
use waymark_ir::program::{ConstVal, Program, Ty, Val};
use waymark_ir::{Answer, Date, Decimal};

/// One problem with a case's facts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FactError {
    /// The input concerned (or the unknown name given).
    pub input: String,
    /// What kind of problem.
    pub kind: FactErrorKind,
    /// The problem in plain words.
    pub message: String,
}

/// Kinds of fact problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactErrorKind {
    /// The facts are not a JSON object.
    NotAnObject,
    /// A name that is not an input of the ruleset.
    UnknownInput,
    /// A value of the wrong type.
    WrongType,
    /// A value outside the allowed range.
    OutOfRange,
    /// A date that is not `YYYY-MM-DD` or does not exist.
    BadDate,
    /// A required input that is missing.
    Missing,
    /// A parameter override that is not valid.
    BadParam,
    /// The facts are larger than the limits allow (too many values, a list too long, a
    /// text too long).
    Limit,
}

/// Every problem with a case's facts (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{}", summary(.0))]
pub struct FactErrors(pub Vec<FactError>);

fn summary(errors: &[FactError]) -> String {
    let lines: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
    lines.join("\n")
}

fn err(input: &str, kind: FactErrorKind, message: String) -> FactError {
    FactError {
        input: input.to_string(),
        kind,
        message,
    }
}

/// A word for a type, for messages.
pub(crate) fn type_words(p: &Program, ty: &Ty) -> String {
    match ty {
        Ty::Answer => "an answer: \"yes\", \"no\" or \"unknown\"".into(),
        Ty::Bool => "true or false".into(),
        Ty::Int => "a whole number".into(),
        Ty::Number => "a number".into(),
        Ty::Text => "a text".into(),
        Ty::Date => "a date written \"YYYY-MM-DD\"".into(),
        Ty::Enum(e) => match p.enums.get(*e as usize) {
            Some(e) => format!("one of {}", quoted(&e.variants)),
            None => "an enum value".into(),
        },
        Ty::Set(e) => match p.enums.get(*e as usize) {
            Some(e) => format!("a list of values from {}", quoted(&e.variants)),
            None => "a set".into(),
        },
        Ty::List(inner) => format!(
            "a list of {}",
            type_words(p, inner)
                .trim_start_matches("a ")
                .trim_start_matches("an ")
        ),
    }
}

fn quoted(names: &[String]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    q.join(", ")
}

fn describe(v: &Json) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

/// Converts one JSON value to a value of type `ty`.
pub(crate) fn convert(p: &Program, ty: &Ty, v: &Json) -> Result<ConstVal, String> {
    let wrong = || format!("needs {}, not {}", type_words(p, ty), describe(v));
    if v.is_null() {
        return Ok(ConstVal::Unknown);
    }
    Ok(match ty {
        Ty::Answer => match v.as_str().and_then(Answer::from_word) {
            Some(Answer::Unknown) => ConstVal::Unknown,
            Some(a) => ConstVal::Answer(a),
            None => return Err(wrong()),
        },
        Ty::Bool => ConstVal::Bool(v.as_bool().ok_or_else(wrong)?),
        Ty::Int => match v.as_i64() {
            Some(i) => ConstVal::Int(i),
            None => return Err(wrong()),
        },
        Ty::Number => {
            let d = match v {
                Json::Number(n) => n.to_string().parse::<Decimal>().ok(),
                Json::String(s) => s.parse::<Decimal>().ok(),
                _ => None,
            };
            ConstVal::Num(d.ok_or_else(wrong)?)
        }
        Ty::Text => ConstVal::Text(v.as_str().ok_or_else(wrong)?.to_string()),
        Ty::Date => {
            let s = v.as_str().ok_or_else(wrong)?;
            ConstVal::Date(Date::parse(s).ok_or_else(|| {
                format!(
                    "needs a date written \"YYYY-MM-DD\" that exists, not {}",
                    describe(v)
                )
            })?)
        }
        Ty::Enum(e) => {
            let s = v.as_str().ok_or_else(wrong)?;
            let variants = p
                .enums
                .get(*e as usize)
                .map(|e| e.variants.as_slice())
                .unwrap_or(&[]);
            match variants.iter().position(|x| x == s) {
                Some(i) => ConstVal::Enum(i as u32),
                None => return Err(wrong()),
            }
        }
        Ty::Set(e) => {
            let items = v.as_array().ok_or_else(wrong)?;
            let mut bits = 0u64;
            for item in items {
                match convert(p, &Ty::Enum(*e), item)? {
                    ConstVal::Enum(i) if i < 64 => bits |= 1 << i,
                    _ => return Err(wrong()),
                }
            }
            ConstVal::Set(bits)
        }
        Ty::List(inner) => {
            let items = v.as_array().ok_or_else(wrong)?;
            let mut out = Vec::with_capacity(items.len());
            for (n, item) in items.iter().enumerate() {
                out.push(convert(p, inner, item).map_err(|e| format!("item {}: {e}", n + 1))?);
            }
            ConstVal::List(out)
        }
    })
}

/// Checks a constant against an inclusive range of constants.
pub(crate) fn in_range(v: &ConstVal, range: &(Option<ConstVal>, Option<ConstVal>)) -> bool {
    let as_dec = |c: &ConstVal| match c {
        ConstVal::Int(i) => Some(Decimal::from(*i)),
        ConstVal::Num(n) => Some(*n),
        _ => None,
    };
    let Some(x) = as_dec(v) else { return true };
    let lo_ok = range.0.as_ref().and_then(as_dec).is_none_or(|lo| x >= lo);
    let hi_ok = range.1.as_ref().and_then(as_dec).is_none_or(|hi| x <= hi);
    lo_ok && hi_ok
}

pub(crate) fn range_words(range: &(Option<ConstVal>, Option<ConstVal>)) -> String {
    let show = |c: &ConstVal| match c {
        ConstVal::Int(i) => i.to_string(),
        ConstVal::Num(n) => n.to_string(),
        other => format!("{other:?}"),
    };
    match range {
        (Some(lo), Some(hi)) => format!("between {} and {}", show(lo), show(hi)),
        (Some(lo), None) => format!("at least {}", show(lo)),
        (None, Some(hi)) => format!("at most {}", show(hi)),
        (None, None) => "any value".to_string(),
    }
}

/// How many JSON values `v` holds (itself and everything inside it), counting no further
/// than `cap`.
fn count_values(v: &Json, cap: usize) -> usize {
    let mut n = 0usize;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        n += 1;
        if n > cap {
            break;
        }
        match v {
            Json::Array(items) => stack.extend(items),
            Json::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    n
}

/// Checks one value against the list and text limits.
fn within_limits(name: &str, v: &Json, limits: &crate::Limits) -> Result<(), FactError> {
    match v {
        Json::Array(items) if items.len() > limits.max_list_len => Err(err(
            name,
            FactErrorKind::Limit,
            format!(
                "`{name}` holds {} items, more than the limit of {}",
                items.len(),
                limits.max_list_len
            ),
        )),
        Json::String(s) if s.len() > limits.max_text_bytes => Err(err(
            name,
            FactErrorKind::Limit,
            format!(
                "`{name}` is {} bytes long, more than the limit of {}",
                s.len(),
                limits.max_text_bytes
            ),
        )),
        Json::Array(items) => items
            .iter()
            .try_for_each(|item| within_limits(name, item, limits)),
        _ => Ok(()),
    }
}

/// Reads a case's facts from a JSON object, reporting every problem.
pub(crate) fn from_json(
    p: &Program,
    json: &Json,
    limits: &crate::Limits,
) -> Result<Facts, FactErrors> {
    let values = count_values(json, limits.max_fact_values);
    if values > limits.max_fact_values {
        return Err(FactErrors(vec![err(
            "",
            FactErrorKind::Limit,
            format!(
                "the facts hold more than {} values, the limit for one case",
                limits.max_fact_values
            ),
        )]));
    }
    let Some(obj) = json.as_object() else {
        return Err(FactErrors(vec![err(
            "",
            FactErrorKind::NotAnObject,
            format!(
                "the facts must be a JSON object of input names and values, not {}",
                describe(json)
            ),
        )]));
    };
    let mut errors = Vec::new();
    let mut facts = Facts::unknown(p);
    let mut seen = BTreeSet::new();
    for (name, value) in obj {
        let Some(i) = p.inputs.iter().position(|x| &x.name == name) else {
            let hint =
                waymark_diagnostics::did_you_mean(name, p.inputs.iter().map(|x| x.name.as_str()))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
            errors.push(err(
                name,
                FactErrorKind::UnknownInput,
                format!("`{name}` is not an input of this ruleset{hint}"),
            ));
            continue;
        };
        seen.insert(i);
        let input = &p.inputs[i];
        if let Err(e) = within_limits(name, value, limits) {
            errors.push(e);
            continue;
        }
        match convert(p, &input.ty, value) {
            Ok(c) => {
                if !in_range(&c, &input.range) {
                    errors.push(err(
                        name,
                        FactErrorKind::OutOfRange,
                        format!(
                            "`{name}` is {}, but it must be {}",
                            describe(value),
                            range_words(&input.range)
                        ),
                    ));
                    continue;
                }
                if c == ConstVal::Unknown && !input.optional {
                    errors.push(err(
                        name,
                        FactErrorKind::Missing,
                        format!("`{name}` is required and cannot be null"),
                    ));
                    continue;
                }
                store(&mut facts, i, c);
            }
            Err(m) => {
                let kind = if matches!(input.ty, Ty::Date) && value.is_string() {
                    FactErrorKind::BadDate
                } else {
                    FactErrorKind::WrongType
                };
                errors.push(err(name, kind, format!("`{name}` {m}")));
            }
        }
    }
    for (i, input) in p.inputs.iter().enumerate() {
        if !input.optional && !seen.contains(&i) {
            errors.push(err(
                &input.name,
                FactErrorKind::Missing,
                format!("`{}` is required: {}", input.name, type_words(p, &input.ty)),
            ));
        }
    }
    if errors.is_empty() {
        Ok(facts)
    } else {
        Err(FactErrors(errors))
    }
}

fn store(facts: &mut Facts, i: usize, c: ConstVal) {
    match c {
        ConstVal::Text(t) => facts.set_text(i, t),
        ConstVal::List(items) => {
            let vals = items.iter().map(scalar).collect();
            facts.set_list(i, vals);
        }
        other => facts.set(i, scalar(&other)),
    }
}

pub(crate) fn scalar(c: &ConstVal) -> Val {
    match c {
        ConstVal::Unknown | ConstVal::Answer(Answer::Unknown) => Val::Unknown,
        ConstVal::Bool(b) => Val::Bool(*b),
        ConstVal::Answer(a) => Val::Answer(*a),
        ConstVal::Int(i) => Val::Int(*i),
        ConstVal::Num(n) => Val::Num(*n),
        ConstVal::Date(d) => Val::Date(*d),
        ConstVal::Enum(e) => Val::Enum(*e),
        ConstVal::Set(s) => Val::Set(*s),
        ConstVal::Text(_) | ConstVal::List(_) => Val::Unknown,
    }
}
