//! The fast path for streams of cases: facts read straight from JSON text into values
//! (no JSON tree), decisions written straight to bytes with a prefix computed once.
//! Anything unusual (a bad value, an unknown name) falls back to the full path, which
//! reports every problem precisely.

use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use waymark_eval::{Facts, Scratch};
use waymark_ir::program::{Program, Ty, Val};
use waymark_ir::{Answer, Date};

use crate::{FactErrors, Ruleset};

/// Reads and evaluates many cases against one ruleset, reusing its buffers.
pub struct CaseStream<'r> {
    rules: &'r Ruleset,
    names: HashMap<&'r str, usize>,
    scratch: Scratch,
    prefix: Vec<u8>,
    facts: Facts,
    /// Public outputs in the order decisions list them (by name).
    order: Vec<usize>,
}

impl<'r> CaseStream<'r> {
    /// A stream over one ruleset.
    pub fn new(rules: &'r Ruleset) -> CaseStream<'r> {
        let p = rules.program();
        let names = p
            .inputs
            .iter()
            .enumerate()
            .map(|(i, x)| (x.name.as_str(), i))
            .collect();
        // The same bytes `serde_json::to_string(&Decision)` writes before the outcome.
        let head = crate::RulesetRef {
            id: p.meta.id.clone(),
            version: p.meta.version.clone(),
            hash: rules.hash().to_string(),
        };
        let head = serde_json::to_string(&head).unwrap_or_default();
        let params = serde_json::Value::Object(rules.params_json());
        let profile = rules
            .profile()
            .map(|p| format!(",\"profile\":{}", serde_json::Value::String(p.to_string())))
            .unwrap_or_default();
        let prefix = format!("{{\"ruleset\":{head}{profile},\"params\":{params},\"outcome\":{{")
            .into_bytes();
        let mut order: Vec<usize> = (0..p.outputs.len())
            .filter(|i| p.outputs[*i].public)
            .collect();
        order.sort_by(|a, b| p.outputs[*a].name.cmp(&p.outputs[*b].name));
        CaseStream {
            rules,
            names,
            scratch: rules.scratch(),
            prefix,
            facts: Facts::unknown(p),
            order,
        }
    }

    /// Reads one JSON object of facts into the stream's facts (the fast path, falling back
    /// to the full path, which reports every problem).
    pub fn read_facts(&mut self, line: &str) -> Result<(), FactErrors> {
        let p = self.rules.program();
        self.facts.reset();
        let fast = {
            let mut de = serde_json::Deserializer::from_str(line);
            let seed = FactsSeed {
                program: p,
                names: &self.names,
                facts: &mut self.facts,
                limits: self.rules.limits(),
            };
            seed.deserialize(&mut de).is_ok() && de.end().is_ok()
        };
        let required_ok = p
            .inputs
            .iter()
            .enumerate()
            .all(|(i, x)| x.optional || self.facts.get(i) != Val::Unknown);
        if !fast || !required_ok {
            let json: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                FactErrors(vec![crate::FactError {
                    input: String::new(),
                    kind: crate::FactErrorKind::NotAnObject,
                    message: format!("not valid JSON: {e}"),
                }])
            })?;
            self.facts = self.rules.facts_from_json(&json)?;
        }
        Ok(())
    }

    /// The facts last read.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// Evaluates the facts last read; read outputs with [`CaseStream::output`].
    pub fn run(&mut self) {
        self.rules.run(&self.facts, &mut self.scratch);
    }

    /// Output `i`'s value after [`CaseStream::run`].
    pub fn output(&self, i: usize) -> Val {
        self.rules.output_value(&self.scratch, i)
    }

    /// Evaluates one JSON line, appending the decision (without a newline) to `out`.
    /// Returns every problem with the facts when they are not valid.
    pub fn eval_line(&mut self, line: &str, out: &mut Vec<u8>) -> Result<(), FactErrors> {
        let p = self.rules.program();
        self.read_facts(line)?;
        self.rules.run(&self.facts, &mut self.scratch);
        out.extend_from_slice(&self.prefix);
        let l = self.rules.loaded();
        let mut first = true;
        for &i in &self.order {
            let Some(o) = p.outputs.get(i) else { continue };
            if !first {
                out.push(b',');
            }
            first = false;
            let v = crate::value_json(l, &self.facts, &o.ty, l.output(&self.scratch, i));
            let _ = serde_json::to_writer(&mut *out, &o.name);
            out.push(b':');
            let _ = serde_json::to_writer(&mut *out, &v);
        }
        out.extend_from_slice(b"}}");
        Ok(())
    }
}

/// Reads a facts object into values, failing on anything the full path must look at.
struct FactsSeed<'a> {
    program: &'a Program,
    names: &'a HashMap<&'a str, usize>,
    facts: &'a mut Facts,
    limits: &'a crate::Limits,
}

#[derive(Debug)]
struct Fallback;

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("use the full path")
    }
}

impl<'de> DeserializeSeed<'de> for FactsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FactsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a facts object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<&'de str>()? {
            let Some(&i) = self.names.get(key) else {
                return Err(serde::de::Error::custom(Fallback));
            };
            let Some(input) = self.program.inputs.get(i) else {
                return Err(serde::de::Error::custom(Fallback));
            };
            match &input.ty {
                Ty::List(inner) if matches!(**inner, Ty::Date) => {
                    let dates = map.next_value_seed(DatesSeed {
                        max: self.limits.max_list_len,
                    })?;
                    self.facts.set_list(i, dates);
                }
                ty => {
                    let v = map.next_value_seed(ScalarSeed {
                        ty,
                        program: self.program,
                    })?;
                    if !crate::facts::in_range(&to_const(v), &input.range) {
                        return Err(serde::de::Error::custom(Fallback));
                    }
                    self.facts.set(i, v);
                }
            }
        }
        Ok(())
    }
}

fn to_const(v: Val) -> waymark_ir::program::ConstVal {
    match v {
        Val::Int(i) => waymark_ir::program::ConstVal::Int(i),
        _ => waymark_ir::program::ConstVal::Unknown,
    }
}

struct ScalarSeed<'a> {
    ty: &'a Ty,
    program: &'a Program,
}

impl<'de> DeserializeSeed<'de> for ScalarSeed<'_> {
    type Value = Val;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed<'_> {
    type Value = Val;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Val, E> {
        match self.ty {
            Ty::Answer => match Answer::from_word(s) {
                Some(Answer::Unknown) => Ok(Val::Unknown),
                Some(a) => Ok(Val::Answer(a)),
                None => Err(E::custom(Fallback)),
            },
            Ty::Date => Date::parse(s)
                .map(Val::Date)
                .ok_or_else(|| E::custom(Fallback)),
            Ty::Enum(e) => self
                .program
                .enums
                .get(*e as usize)
                .and_then(|e| e.variants.iter().position(|v| v == s))
                .map(|i| Val::Enum(i as u32))
                .ok_or_else(|| E::custom(Fallback)),
            _ => Err(E::custom(Fallback)),
        }
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Val, E> {
        match self.ty {
            Ty::Int => Ok(Val::Int(v)),
            _ => Err(E::custom(Fallback)),
        }
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Val, E> {
        match (self.ty, i64::try_from(v)) {
            (Ty::Int, Ok(v)) => Ok(Val::Int(v)),
            _ => Err(E::custom(Fallback)),
        }
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Val, E> {
        match self.ty {
            Ty::Bool => Ok(Val::Bool(v)),
            _ => Err(E::custom(Fallback)),
        }
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Val, E> {
        Ok(Val::Unknown)
    }
}

/// A list of dates, at most `max` long (a longer list falls back to the full path, which
/// reports the limit).
struct DatesSeed {
    max: usize,
}

impl<'de> DeserializeSeed<'de> for DatesSeed {
    type Value = Vec<Val>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Val>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for DatesSeed {
    type Value = Vec<Val>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of dates")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Val>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(self.max));
        while let Some(s) = seq.next_element::<&'de str>()? {
            if out.len() >= self.max {
                return Err(serde::de::Error::custom(Fallback));
            }
            out.push(
                Date::parse(s)
                    .map(Val::Date)
                    .ok_or_else(|| serde::de::Error::custom(Fallback))?,
            );
        }
        Ok(out)
    }
}
