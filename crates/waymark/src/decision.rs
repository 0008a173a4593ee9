//! Decisions as JSON: the contract case systems rely on.

use serde_json::{Map, Value as Json, json};
use waymark_eval::{Explanation, Facts, Loaded};
use waymark_ir::program::{ConstVal, Origin, Program, Ty, Val};

/// Converts a value of type `ty` to its JSON form: levels and enums as names, sets as
/// sorted arrays of names, dates as `YYYY-MM-DD`, `null` when unknown.
pub fn value_json(l: &Loaded, facts: &Facts, ty: &Ty, v: Val) -> Json {
    let p = l.program();
    match v {
        Val::Unknown => Json::Null,
        Val::Bool(b) => Json::Bool(b),
        Val::Answer(a) => Json::String(a.word().to_string()),
        Val::Int(i) => json!(i),
        Val::Num(n) => number_json(&n.normalize().to_string()),
        Val::Date(d) => Json::String(d.to_string()),
        Val::Enum(e) => Json::String(variant_name(p, ty, e)),
        Val::Set(bits) => {
            let mut names: Vec<String> = (0..64u32)
                .filter(|i| bits & (1 << i) != 0)
                .map(|i| variant_name(p, ty, i))
                .collect();
            names.sort();
            Json::Array(names.into_iter().map(Json::String).collect())
        }
        Val::Text(t) => Json::String(l.text(facts, t).to_string()),
        Val::List(id) => {
            let inner = match ty {
                Ty::List(inner) => inner.as_ref().clone(),
                other => other.clone(),
            };
            Json::Array(
                l.list(facts, id)
                    .iter()
                    .map(|x| value_json(l, facts, &inner, *x))
                    .collect(),
            )
        }
    }
}

fn number_json(text: &str) -> Json {
    serde_json::from_str::<serde_json::Number>(text)
        .map_or_else(|_| Json::String(text.to_string()), Json::Number)
}

fn variant_name(p: &Program, ty: &Ty, i: u32) -> String {
    let e = match ty {
        Ty::Enum(e) | Ty::Set(e) => Some(*e),
        _ => None,
    };
    e.and_then(|e| p.enums.get(e as usize))
        .and_then(|e| e.variants.get(i as usize))
        .cloned()
        .unwrap_or_else(|| i.to_string())
}

/// A constant's JSON form.
pub fn const_json(p: &Program, ty: &Ty, c: &ConstVal) -> Json {
    match c {
        ConstVal::Unknown => Json::Null,
        ConstVal::Bool(b) => Json::Bool(*b),
        ConstVal::Answer(a) => Json::String(a.word().into()),
        ConstVal::Int(i) => json!(i),
        ConstVal::Num(n) => number_json(&n.normalize().to_string()),
        ConstVal::Date(d) => Json::String(d.to_string()),
        ConstVal::Enum(e) => Json::String(variant_name(p, ty, *e)),
        ConstVal::Set(bits) => {
            let mut names: Vec<String> = (0..64u32)
                .filter(|i| bits & (1 << i) != 0)
                .map(|i| variant_name(p, ty, i))
                .collect();
            names.sort();
            Json::Array(names.into_iter().map(Json::String).collect())
        }
        ConstVal::Text(t) => Json::String(t.clone()),
        ConstVal::List(items) => {
            let inner = match ty {
                Ty::List(inner) => inner.as_ref().clone(),
                other => other.clone(),
            };
            Json::Array(items.iter().map(|i| const_json(p, &inner, i)).collect())
        }
    }
}

/// The explanation as JSON.
pub fn explanation_json(l: &Loaded, facts: &Facts, ex: &Explanation) -> Json {
    let p = l.program();
    let source_text = |keys: &[String]| -> Vec<Json> {
        keys.iter()
            .map(|k| {
                let cite = p.meta.sources.iter().find(|(key, _, _)| key == k);
                match cite {
                    Some((key, text, link)) => json!({"key": key, "citation": text, "link": link}),
                    None => json!({"key": k}),
                }
            })
            .collect()
    };
    let mut outputs = Map::new();
    for reason in &ex.outputs {
        let Some(out) = p.outputs.get(reason.output) else {
            continue;
        };
        if !out.public {
            continue;
        }
        let because: Vec<Json> = reason
            .fired
            .iter()
            .map(|f| {
                let mut read = Map::new();
                for (i, v) in &f.reads {
                    if let Some(input) = p.inputs.get(*i) {
                        read.insert(input.name.clone(), value_json(l, facts, &input.ty, *v));
                    }
                }
                match f.origin {
                    Origin::Rule(r) => {
                        let rule = p.rules.get(r as usize);
                        json!({
                            "rule": rule.map(|r| r.name.clone()),
                            "label": rule.and_then(|r| r.label.clone()),
                            "sources": rule.map(|r| source_text(&r.sources)).unwrap_or_default(),
                            "read": read,
                        })
                    }
                    Origin::Row(t, row) => {
                        let table = p.tables.get(t as usize);
                        let docs = table
                            .and_then(|t| t.rows.get(row as usize))
                            .map(|r| r.docs.join(" "))
                            .filter(|d| !d.is_empty());
                        json!({
                            "table": table.map(|t| t.name.clone()),
                            "row": row + 1,
                            "label": docs.or_else(|| table.and_then(|t| t.label.clone())),
                            "sources": table.map(|t| source_text(&t.sources)).unwrap_or_default(),
                            "read": read,
                        })
                    }
                }
            })
            .collect();
        let mut entry = Map::new();
        entry.insert("because".into(), Json::Array(because));
        if let Some(u) = &reason.undetermined {
            let names: Vec<Json> = u
                .inputs
                .iter()
                .filter_map(|i| p.inputs.get(*i))
                .map(|i| Json::String(i.name.clone()))
                .collect();
            entry.insert("undetermined".into(), json!({"waiting_for": names}));
        }
        outputs.insert(out.name.clone(), Json::Object(entry));
    }
    // The ruleset's own rules first; a threshold missed by several copies of an imported
    // rule is shown once; exceptions (which would only take something away) are left out.
    let own = |m: &&waymark_eval::Miss| p.rules.get(m.rule).is_some_and(|r| r.public);
    let mut ordered: Vec<&waymark_eval::Miss> = ex.misses.iter().filter(own).collect();
    ordered.extend(ex.misses.iter().filter(|m| !own(m)));
    let mut seen = std::collections::HashSet::new();
    let misses: Vec<Json> = ordered
        .into_iter()
        .filter(|m| {
            p.rules
                .get(m.rule)
                .is_some_and(|r| r.exception_to.is_none())
        })
        .filter(|m| {
            let subject = m
                .subject
                .rsplit('.')
                .next()
                .unwrap_or(&m.subject)
                .to_string();
            seen.insert((subject, m.op, format!("{:?}", m.limit)))
        })
        .map(|m| {
            let rule = p.rules.get(m.rule);
            let plain = |v: Val| value_json(l, facts, &Ty::Int, v);
            let value = plain(m.value);
            let limit = plain(m.limit);
            let text = format!(
                "{} is {}, needs {} {}",
                m.subject,
                value,
                m.op.symbol(),
                limit
            );
            json!({
                "rule": rule.map(|r| r.name.clone()),
                "label": rule.and_then(|r| r.label.clone()),
                "subject": m.subject,
                "value": value,
                "needs": {"op": m.op.symbol(), "value": limit, "name": m.limit_name},
                "text": text,
            })
        })
        .collect();
    let questions: Vec<Json> = ex
        .next_questions
        .iter()
        .filter_map(|q| {
            let input = p.inputs.get(q.input)?;
            let changes: Vec<Json> = q
                .changes
                .iter()
                .filter_map(|o| p.outputs.get(*o))
                .map(|o| Json::String(o.name.clone()))
                .collect();
            Some(json!({"input": input.name, "label": input.label, "could_change": changes}))
        })
        .collect();
    json!({"outputs": outputs, "nearest_misses": misses, "next_questions": questions})
}
