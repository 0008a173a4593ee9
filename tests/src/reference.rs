//! The reference interpreter: a deliberately simple tree-walker over the checked ruleset.
//!
//! It is the oracle the compiled evaluator is tested against, so it is written to be
//! obviously right rather than fast: every expression is evaluated straight from the HIR,
//! values are plain enums that own their data, and every rule of the semantics is written
//! out once, in one place.
//!
//! The semantics in brief:
//!
//! * Unknown is a value. Kleene logic for `and`, `or`, `not` and `implies`; every other
//!   operation is unknown when an operand is unknown (and when it cannot be done: a date
//!   moved out of years 1–9999, a division by zero, an integer overflow).
//! * `is yes`, `is no`, `is unknown` and `is known` are never unknown; `is empty` is
//!   unknown only for an unknown set or list. An answer compared with an answer constant
//!   (`q1 = yes`, `q1 != no`, `q1 = unknown`) is the matching definite `is` test.
//! * A rule fires when its condition holds and none of its exceptions fires (Kleene).
//!   A first-hit table row fires when it matches and no earlier row matches (Kleene).
//! * An output set by rules combines the values of the rules and rows that fired, and is
//!   undetermined (shown as `null`, read as unknown) when a rule or row that might still
//!   fire could change it.
//!
//! Nodes are evaluated in [`hir::Ruleset::order`]; each derived value, rule status, table
//! and output is computed once and remembered. A value that is read before its turn (which
//! the checker's ordering forbids) is computed on demand, so the result never depends on
//! the order being right; a cycle reads as unknown.

use std::cmp::Ordering;

use serde_json::{Map, Value as Json};
use waymark_check::hir::{
    self, ActionDef, ArithOp, CellTest, CmpOp, Combine, Const, CountValue, Direction, Expr,
    ExprKind, HitPolicy, InputId, IsTest, LetId, Node, OutputId, OutputValue, ParamId, RuleId,
    SetOp, TableId, Type,
};
use waymark_ir::{Answer, Date, Decimal, Unit};

/// A value during evaluation. Answers are only ever `Yes` or `No`: an unknown answer is
/// [`Value::Unknown`], like every other unknown value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Unknown: a "don't know" answer, an optional input not given, or a result that
    /// cannot be decided.
    Unknown,
    /// A condition's value.
    Bool(bool),
    /// A yes or no answer.
    Answer(Answer),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Number(Decimal),
    /// A text.
    Text(String),
    /// A date.
    Date(Date),
    /// One value of an enum, by its index in the enum.
    Enum(u32),
    /// A set of enum values, one bit per value index.
    Set(u64),
    /// A list.
    List(Vec<Value>),
}

impl Value {
    /// True for [`Value::Unknown`].
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }
}

/// The value of a checked constant.
pub fn const_value(c: &Const) -> Value {
    match c {
        Const::Unknown | Const::Answer(Answer::Unknown) => Value::Unknown,
        Const::Answer(a) => Value::Answer(*a),
        Const::Bool(b) => Value::Bool(*b),
        Const::Int(i) => Value::Int(*i),
        Const::Number(n) => Value::Number(*n),
        Const::Text(t) => Value::Text(t.to_string()),
        Const::Date(d) => Value::Date(*d),
        Const::Duration(n, _) => Value::Int(*n),
        Const::Enum(_, i) => Value::Enum(*i),
        Const::Set(_, bits) => Value::Set(*bits),
        Const::List(items) => Value::List(items.iter().map(const_value).collect()),
    }
}

// ---------------------------------------------------------------------------
// Facts from JSON
// ---------------------------------------------------------------------------

/// Reads a case's facts (one JSON object, input name → value) into one value per input,
/// indexed by [`InputId`]. Every problem is reported, not only the first.
///
/// Answers are `"yes"`, `"no"` or `"unknown"`; dates `"YYYY-MM-DD"`; whole numbers JSON
/// integers; numbers JSON numbers or decimal strings; texts strings; enum values their
/// names; sets and lists arrays. `null`, and an absent optional input or answer, is
/// unknown. A required input that is absent or `null` is an error, as are unknown input
/// names, wrong types, values outside the input's range and malformed dates.
pub fn parse_facts(rs: &hir::Ruleset, facts: &Json) -> Result<Vec<Value>, Vec<String>> {
    let Some(object) = facts.as_object() else {
        return Err(vec![format!(
            "the facts must be a JSON object, not {facts}"
        )]);
    };
    let mut errors = Vec::new();
    let mut values = vec![Value::Unknown; rs.inputs.len()];
    let mut given = vec![false; rs.inputs.len()];
    for (name, json) in object {
        let Some(id) = rs.input(name) else {
            errors.push(format!("`{name}` is not an input of this ruleset"));
            continue;
        };
        let i = id.0 as usize;
        let input = &rs.inputs[i];
        given[i] = !json.is_null();
        match json_value(rs, &input.ty, json) {
            Ok(v) => {
                if let Err(e) = check_range(&v, input.range.as_ref()) {
                    errors.push(format!("`{name}` {e}"));
                    continue;
                }
                values[i] = v;
            }
            Err(e) => errors.push(format!("`{name}` {e}")),
        }
    }
    for (i, input) in rs.inputs.iter().enumerate() {
        let may_be_left_out = input.optional || input.ty == Type::Answer;
        if !may_be_left_out && !given[i] {
            errors.push(format!(
                "`{}` is required but not given (or null)",
                input.name
            ));
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// One JSON value as a value of type `ty`; `null` is unknown.
fn json_value(rs: &hir::Ruleset, ty: &Type, json: &Json) -> Result<Value, String> {
    let wrong = || format!("needs {}, not {json}", type_words(ty));
    if json.is_null() {
        return Ok(Value::Unknown);
    }
    match ty {
        Type::Answer => match json.as_str().and_then(Answer::from_word) {
            Some(Answer::Unknown) => Ok(Value::Unknown),
            Some(a) => Ok(Value::Answer(a)),
            None => Err(wrong()),
        },
        Type::Bool => json.as_bool().map(Value::Bool).ok_or_else(wrong),
        Type::Int | Type::Duration => match json {
            Json::Number(n) if n.is_i64() => n.as_i64().map(Value::Int).ok_or_else(wrong),
            Json::Number(n) if n.is_u64() => Err(format!("is {json}, which is too large")),
            _ => Err(wrong()),
        },
        Type::Number => {
            let text = match json {
                Json::Number(n) => n.to_string(),
                Json::String(s) => s.clone(),
                _ => return Err(wrong()),
            };
            parse_decimal(&text).map(Value::Number).ok_or_else(wrong)
        }
        Type::Text => json
            .as_str()
            .map(|s| Value::Text(s.to_string()))
            .ok_or_else(wrong),
        Type::Date => {
            let text = json.as_str().ok_or_else(wrong)?;
            Date::parse(text).map(Value::Date).ok_or_else(|| {
                format!("needs a date written \"YYYY-MM-DD\" that exists, not {json}")
            })
        }
        Type::Enum(e) => {
            let name = json.as_str().ok_or_else(wrong)?;
            variant_index(rs, *e, name).map(Value::Enum).ok_or_else(|| {
                format!(
                    "needs one of {}, not {json}",
                    variant_names(rs, *e).join(", ")
                )
            })
        }
        Type::Set(e) => {
            let items = json.as_array().ok_or_else(wrong)?;
            let mut bits = 0u64;
            for item in items {
                let bit = item
                    .as_str()
                    .and_then(|name| variant_index(rs, *e, name))
                    .and_then(|i| 1u64.checked_shl(i))
                    .ok_or_else(|| {
                        format!(
                            "needs values from {}, not {item}",
                            variant_names(rs, *e).join(", ")
                        )
                    })?;
                bits |= bit;
            }
            Ok(Value::Set(bits))
        }
        Type::List(inner) => {
            let items = json.as_array().ok_or_else(wrong)?;
            let mut out = Vec::new();
            for (n, item) in items.iter().enumerate() {
                out.push(json_value(rs, inner, item).map_err(|e| format!("item {}: {e}", n + 1))?);
            }
            Ok(Value::List(out))
        }
    }
}

/// Reads a decimal written plainly (`1.25`) or in scientific notation (`1e3`).
fn parse_decimal(text: &str) -> Option<Decimal> {
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

fn type_words(ty: &Type) -> String {
    match ty {
        Type::Answer => "an answer: \"yes\", \"no\" or \"unknown\"".into(),
        Type::Bool => "true or false".into(),
        Type::Int | Type::Duration => "a whole number".into(),
        Type::Number => "a number".into(),
        Type::Text => "a text".into(),
        Type::Date => "a date written \"YYYY-MM-DD\"".into(),
        Type::Enum(_) => "the name of a value".into(),
        Type::Set(_) => "a list of value names".into(),
        Type::List(inner) => format!("a list, each item {}", type_words(inner)),
    }
}

fn variant_index(rs: &hir::Ruleset, e: hir::EnumId, name: &str) -> Option<u32> {
    let def = rs.enums.get(e.0 as usize)?;
    def.variants
        .iter()
        .position(|v| v.name == name)
        .map(|i| i as u32)
}

fn variant_names(rs: &hir::Ruleset, e: hir::EnumId) -> Vec<String> {
    rs.enums.get(e.0 as usize).map_or_else(Vec::new, |d| {
        d.variants
            .iter()
            .map(|v| format!("\"{}\"", v.name))
            .collect()
    })
}

/// Checks a number (or every number of a list) against an inclusive range.
fn check_range(v: &Value, range: Option<&hir::Range>) -> Result<(), String> {
    let Some(range) = range else { return Ok(()) };
    match v {
        Value::List(items) => items
            .iter()
            .try_for_each(|item| check_range(item, Some(range))),
        Value::Int(_) | Value::Number(_) => {
            let lo = range.lo.as_ref().map(const_value);
            let hi = range.hi.as_ref().map(const_value);
            let below = lo
                .as_ref()
                .is_some_and(|lo| compare(v, lo) == Some(Ordering::Less));
            let above = hi
                .as_ref()
                .is_some_and(|hi| compare(v, hi) == Some(Ordering::Greater));
            if below || above {
                let show = |c: Option<&Value>| match c {
                    Some(Value::Int(i)) => i.to_string(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                Err(format!(
                    "is {}, outside the allowed range {}..{}",
                    show(Some(v)),
                    show(lo.as_ref()),
                    show(hi.as_ref())
                ))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

/// Evaluates a ruleset for one case and returns the outcome: every public output, in
/// declaration order, as JSON (`null` when undetermined). `inputs` are indexed by
/// [`InputId`] (see [`parse_facts`]); `params` override parameters' values.
pub fn evaluate(
    rs: &hir::Ruleset,
    inputs: &[Value],
    params: &[(ParamId, Const)],
) -> Map<String, Json> {
    let values = evaluate_outputs(rs, inputs, params);
    let mut outcome = Map::new();
    for (def, v) in rs.outputs.iter().zip(&values) {
        if def.public {
            outcome.insert(def.name.clone(), to_json(rs, &def.ty, v));
        }
    }
    outcome
}

/// Evaluates a ruleset for one case and returns the value of every output (public or
/// not), indexed by [`OutputId`]; an undetermined output is [`Value::Unknown`].
pub fn evaluate_outputs(
    rs: &hir::Ruleset,
    inputs: &[Value],
    params: &[(ParamId, Const)],
) -> Vec<Value> {
    let mut run = Interpreter::new(rs, inputs, params);
    for node in &rs.order {
        match *node {
            Node::Let(id) => {
                run.let_value(id);
            }
            Node::Rule(id) => {
                run.rule_status(id);
            }
            Node::Table(id) => {
                run.row_statuses(id);
            }
            Node::Output(id) => {
                run.output(id);
            }
        }
    }
    (0..rs.outputs.len())
        .map(|i| run.output(OutputId(i as u32)))
        .collect()
}

/// A value as it appears in a decision: enum values by name, sets as arrays of names in
/// alphabetical order, numbers as JSON numbers, dates as `"YYYY-MM-DD"`, unknown as `null`.
pub fn to_json(rs: &hir::Ruleset, ty: &Type, v: &Value) -> Json {
    let enum_def = |ty: &Type| match ty {
        Type::Enum(e) | Type::Set(e) => rs.enums.get(e.0 as usize),
        _ => None,
    };
    match v {
        Value::Unknown => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Answer(a) => Json::String(a.word().to_string()),
        Value::Int(i) => Json::from(*i),
        Value::Number(n) => {
            let text = n.to_string();
            serde_json::from_str::<serde_json::Number>(&text)
                .map_or(Json::String(text), Json::Number)
        }
        Value::Text(t) => Json::String(t.clone()),
        Value::Date(d) => Json::String(d.to_string()),
        Value::Enum(i) => match enum_def(ty).and_then(|e| e.variants.get(*i as usize)) {
            Some(variant) => Json::String(variant.name.clone()),
            None => Json::Null,
        },
        Value::Set(bits) => {
            let Some(def) = enum_def(ty) else {
                return Json::Null;
            };
            let mut names: Vec<String> = def
                .variants
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    1u64.checked_shl(*i as u32)
                        .is_some_and(|bit| bits & bit != 0)
                })
                .map(|(_, v)| v.name.clone())
                .collect();
            names.sort();
            Json::Array(names.into_iter().map(Json::String).collect())
        }
        Value::List(items) => {
            let inner = match ty {
                Type::List(inner) => inner.as_ref(),
                other => other,
            };
            Json::Array(items.iter().map(|item| to_json(rs, inner, item)).collect())
        }
    }
}

/// Runs the `test` blocks of a ruleset through the interpreter; returns one message per
/// expectation that does not hold (empty when every test passes).
pub fn run_tests(rs: &hir::Ruleset) -> Vec<String> {
    let mut failures = Vec::new();
    for test in &rs.tests {
        let mut inputs = vec![Value::Unknown; rs.inputs.len()];
        for (id, c) in &test.facts {
            if let Some(slot) = inputs.get_mut(id.0 as usize) {
                *slot = const_value(c);
            }
        }
        let outputs = evaluate_outputs(rs, &inputs, &test.params);
        for (id, expected) in &test.expect {
            let Some(def) = rs.outputs.get(id.0 as usize) else {
                continue;
            };
            let actual = outputs
                .get(id.0 as usize)
                .cloned()
                .unwrap_or(Value::Unknown);
            let ok = match expected {
                None => actual.is_unknown(),
                Some(c) => same(&actual, &const_value(c)),
            };
            if !ok {
                let want = expected
                    .as_ref()
                    .map_or(Json::String("undetermined".into()), |c| {
                        to_json(rs, &def.ty, &const_value(c))
                    });
                failures.push(format!(
                    "test \"{}\": {} is {}, expected {}",
                    test.name,
                    def.name,
                    to_json(rs, &def.ty, &actual),
                    want
                ));
            }
        }
    }
    failures
}

/// A remembered result: not yet computed, being computed (a cycle if read now), or done.
#[derive(Clone, Debug)]
enum Memo<T> {
    Todo,
    Busy,
    Done(T),
}

struct Interpreter<'a> {
    rs: &'a hir::Ruleset,
    inputs: &'a [Value],
    overrides: &'a [(ParamId, Const)],
    params: Vec<Memo<Value>>,
    lets: Vec<Memo<Value>>,
    rules: Vec<Memo<Value>>,
    tables: Vec<Memo<Vec<Value>>>,
    outputs: Vec<Memo<Value>>,
}

impl<'a> Interpreter<'a> {
    fn new(
        rs: &'a hir::Ruleset,
        inputs: &'a [Value],
        overrides: &'a [(ParamId, Const)],
    ) -> Interpreter<'a> {
        Interpreter {
            rs,
            inputs,
            overrides,
            params: vec![Memo::Todo; rs.params.len()],
            lets: vec![Memo::Todo; rs.lets.len()],
            rules: vec![Memo::Todo; rs.rules.len()],
            tables: vec![Memo::Todo; rs.tables.len()],
            outputs: vec![Memo::Todo; rs.outputs.len()],
        }
    }

    fn input(&self, id: InputId) -> Value {
        self.inputs
            .get(id.0 as usize)
            .cloned()
            .unwrap_or(Value::Unknown)
    }

    /// A parameter: the override given for it (the last one, if several), else its bound
    /// expression, else its default.
    fn param(&mut self, id: ParamId) -> Value {
        let i = id.0 as usize;
        match self.params.get(i) {
            Some(Memo::Done(v)) => return v.clone(),
            Some(Memo::Busy) | None => return Value::Unknown,
            Some(Memo::Todo) => {}
        }
        self.params[i] = Memo::Busy;
        let def = &self.rs.params[i];
        let v = if let Some((_, c)) = self.overrides.iter().rev().find(|(p, _)| *p == id) {
            const_value(c)
        } else if let Some(bound) = &def.bound {
            self.expr(bound)
        } else {
            const_value(&def.default)
        };
        self.params[i] = Memo::Done(v.clone());
        v
    }

    fn let_value(&mut self, id: LetId) -> Value {
        let i = id.0 as usize;
        match self.lets.get(i) {
            Some(Memo::Done(v)) => return v.clone(),
            Some(Memo::Busy) | None => return Value::Unknown,
            Some(Memo::Todo) => {}
        }
        self.lets[i] = Memo::Busy;
        let v = self.expr(&self.rs.lets[i].value);
        self.lets[i] = Memo::Done(v.clone());
        v
    }

    /// Whether a rule fires: its condition, and not any of its exceptions (Kleene).
    fn rule_status(&mut self, id: RuleId) -> Value {
        let i = id.0 as usize;
        match self.rules.get(i) {
            Some(Memo::Done(v)) => return v.clone(),
            Some(Memo::Busy) | None => return Value::Unknown,
            Some(Memo::Todo) => {}
        }
        self.rules[i] = Memo::Busy;
        let def = &self.rs.rules[i];
        let mut status = self.expr(&def.condition);
        for e in &def.exceptions {
            let exception = self.rule_status(*e);
            status = and(&status, &not(&exception));
        }
        self.rules[i] = Memo::Done(status.clone());
        status
    }

    /// Whether each row of a table fires. Collect: the row matches. First hit: the row
    /// matches and no earlier row matches (Kleene).
    fn row_statuses(&mut self, id: TableId) -> Vec<Value> {
        let i = id.0 as usize;
        match self.tables.get(i) {
            Some(Memo::Done(v)) => return v.clone(),
            Some(Memo::Busy) | None => return Vec::new(),
            Some(Memo::Todo) => {}
        }
        self.tables[i] = Memo::Busy;
        let def = &self.rs.tables[i];
        let columns: Vec<Value> = def.columns.iter().map(|c| self.expr(c)).collect();
        let mut statuses = Vec::new();
        let mut no_earlier_match = Value::Bool(true);
        for row in &def.rows {
            let mut matches = Value::Bool(true);
            for (cell, column) in row.cells.iter().zip(&columns) {
                let m = self.cell(cell, column);
                matches = and(&matches, &m);
            }
            match def.hit {
                HitPolicy::Collect => statuses.push(matches),
                HitPolicy::First => {
                    statuses.push(and(&matches, &no_earlier_match));
                    no_earlier_match = and(&no_earlier_match, &not(&matches));
                }
            }
        }
        self.tables[i] = Memo::Done(statuses.clone());
        statuses
    }

    /// Whether a cell's test holds for the column's value. `-` always holds, even for an
    /// unknown value; every other test is unknown for an unknown value.
    fn cell(&mut self, cell: &CellTest, v: &Value) -> Value {
        match cell {
            CellTest::Any => Value::Bool(true),
            _ if v.is_unknown() => Value::Unknown,
            CellTest::OneOf(consts) => {
                let mut any = Value::Bool(false);
                for c in consts {
                    any = or(&any, &compare_op(CmpOp::Eq, v, &const_value(c)));
                }
                any
            }
            CellTest::Compare(op, c) => compare_op(*op, v, &const_value(c)),
            CellTest::Range(lo, hi) => and(
                &compare_op(CmpOp::Ge, v, &const_value(lo)),
                &compare_op(CmpOp::Le, v, &const_value(hi)),
            ),
            CellTest::CompareExpr(op, e) => {
                let other = self.expr(e);
                compare_op(*op, v, &other)
            }
        }
    }

    /// An output's value; unknown when undetermined.
    fn output(&mut self, id: OutputId) -> Value {
        let i = id.0 as usize;
        match self.outputs.get(i) {
            Some(Memo::Done(v)) => return v.clone(),
            Some(Memo::Busy) | None => return Value::Unknown,
            Some(Memo::Todo) => {}
        }
        self.outputs[i] = Memo::Busy;
        let v = match &self.rs.outputs[i].value {
            OutputValue::Computed(e) => self.expr(e),
            OutputValue::Rules { combine, default } => self.combine(id, *combine, default.as_ref()),
        };
        self.outputs[i] = Memo::Done(v.clone());
        v
    }

    /// Every rule action and table-row action that writes this output, as (status, value).
    fn contributions(&mut self, id: OutputId) -> Vec<(Value, Value)> {
        let rs = self.rs;
        let mut out = Vec::new();
        for (r, rule) in rs.rules.iter().enumerate() {
            for action in rule.actions.iter().filter(|a| a.output == id) {
                let status = self.rule_status(RuleId(r as u32));
                let value = self.expr(&action.value);
                out.push((status, value));
            }
        }
        for (t, table) in rs.tables.iter().enumerate() {
            // Only tables that set this output: another table may read it.
            if !table.outputs.contains(&id) {
                continue;
            }
            let statuses = self.row_statuses(TableId(t as u32));
            for (row, status) in table.rows.iter().zip(&statuses) {
                let actions: Vec<&ActionDef> = row
                    .actions
                    .iter()
                    .flatten()
                    .filter(|a| a.output == id)
                    .collect();
                for action in actions {
                    let value = self.expr(&action.value);
                    out.push((status.clone(), value));
                }
            }
        }
        out
    }

    /// Combines the values given to an output by rules and rows.
    ///
    /// `fired` are the values of those that fire, `maybe` of those that might fire (status
    /// unknown). The output is undetermined when a fired value is unknown, or when some
    /// `maybe` value is unknown or would change the result if it fired.
    fn combine(&mut self, id: OutputId, combine: Combine, default: Option<&Expr>) -> Value {
        let mut fired = Vec::new();
        let mut maybe = Vec::new();
        for (status, value) in self.contributions(id) {
            match status {
                Value::Bool(true) => fired.push(value),
                Value::Bool(false) => {}
                _ => maybe.push(value),
            }
        }
        if fired.iter().any(Value::is_unknown) {
            return Value::Unknown;
        }
        let default = default.map(|e| self.expr(e));
        match combine {
            Combine::Max => {
                // The highest of the default and every fired value.
                let mut best = default;
                for v in fired {
                    best = Some(match best {
                        None => v,
                        Some(b) => match compare(&v, &b) {
                            Some(Ordering::Greater) => v,
                            Some(_) => b,
                            None => Value::Unknown,
                        },
                    });
                }
                let Some(best) = best else {
                    return Value::Unknown;
                };
                if best.is_unknown() {
                    return Value::Unknown;
                }
                let could_raise = maybe
                    .iter()
                    .any(|u| !matches!(compare(u, &best), Some(Ordering::Less | Ordering::Equal)));
                if could_raise { Value::Unknown } else { best }
            }
            Combine::Union => {
                let mut bits = match default {
                    None => 0,
                    Some(d) => match set_bits(&d) {
                        Some(b) => b,
                        None => return Value::Unknown,
                    },
                };
                for v in &fired {
                    match set_bits(v) {
                        Some(b) => bits |= b,
                        None => return Value::Unknown,
                    }
                }
                let could_add = maybe
                    .iter()
                    .any(|u| set_bits(u).is_none_or(|b| b & !bits != 0));
                if could_add {
                    Value::Unknown
                } else {
                    Value::Set(bits)
                }
            }
            Combine::Single => {
                let d = match fired.first() {
                    Some(first) => {
                        if fired.iter().any(|v| !same(v, first)) {
                            return Value::Unknown;
                        }
                        first.clone()
                    }
                    None => default.unwrap_or(Value::Unknown),
                };
                if d.is_unknown() {
                    return Value::Unknown;
                }
                let could_change = maybe.iter().any(|u| !same(u, &d));
                if could_change { Value::Unknown } else { d }
            }
        }
    }

    /// The value of an expression.
    fn expr(&mut self, e: &Expr) -> Value {
        match &e.kind {
            ExprKind::Const(c) => const_value(c),
            ExprKind::Input(id) => self.input(*id),
            ExprKind::Param(id) => self.param(*id),
            ExprKind::Let(id) => self.let_value(*id),
            ExprKind::Output(id) => self.output(*id),
            ExprKind::List(items) => Value::List(items.iter().map(|i| self.expr(i)).collect()),
            ExprKind::Set(items) => {
                let mut bits = 0u64;
                for item in items {
                    match set_bits(&self.expr(item)) {
                        Some(b) => bits |= b,
                        None => return Value::Unknown,
                    }
                }
                Value::Set(bits)
            }
            ExprKind::Not(a) => not(&self.expr(a)),
            ExprKind::Neg(a) => match self.expr(a) {
                Value::Int(i) => i.checked_neg().map_or(Value::Unknown, Value::Int),
                Value::Number(n) => Value::Number(-n),
                _ => Value::Unknown,
            },
            ExprKind::And(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                and(&a, &b)
            }
            ExprKind::Or(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                or(&a, &b)
            }
            ExprKind::Implies(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                or(&not(&a), &b)
            }
            ExprKind::Cmp(op, a, b) => {
                if let Some(test) = answer_test(*op, a, b) {
                    return test_answer(&self.expr(test.0), test.1, test.2);
                }
                let (a, b) = (self.expr(a), self.expr(b));
                compare_op(*op, &a, &b)
            }
            ExprKind::Arith(op, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                arith(*op, &a, &b)
            }
            ExprKind::DateShift {
                date,
                amount,
                unit,
                subtract,
            } => {
                let (date, amount) = (self.expr(date), self.expr(amount));
                let amount = if *subtract {
                    match amount {
                        Value::Int(n) => n.checked_neg().map_or(Value::Unknown, Value::Int),
                        _ => Value::Unknown,
                    }
                } else {
                    amount
                };
                shift(&date, &amount, *unit)
            }
            ExprKind::SetOp(op, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                match (set_bits(&a), set_bits(&b)) {
                    (Some(x), Some(y)) => Value::Set(match op {
                        SetOp::Union => x | y,
                        SetOp::Intersect => x & y,
                        SetOp::Without => x & !y,
                    }),
                    _ => Value::Unknown,
                }
            }
            ExprKind::Is(a, test) => {
                let v = self.expr(a);
                match test {
                    IsTest::Yes => Value::Bool(v == Value::Answer(Answer::Yes)),
                    IsTest::No => Value::Bool(v == Value::Answer(Answer::No)),
                    IsTest::Unknown => Value::Bool(v.is_unknown()),
                    IsTest::Known => Value::Bool(!v.is_unknown()),
                    IsTest::Empty => match v {
                        Value::Set(bits) => Value::Bool(bits == 0),
                        Value::List(items) => Value::Bool(items.is_empty()),
                        _ => Value::Unknown,
                    },
                }
            }
            ExprKind::In(x, collection) => {
                let (x, collection) = (self.expr(x), self.expr(collection));
                member(&x, &collection)
            }
            ExprKind::Within {
                date,
                amount,
                unit,
                direction,
                anchor,
            } => {
                let date = self.expr(date);
                let amount = self.expr(amount);
                let anchor = self.expr(anchor);
                match (date, window(&amount, *unit, *direction, &anchor)) {
                    (Value::Date(d), Some((lo, hi))) => Value::Bool(lo <= d && d <= hi),
                    _ => Value::Unknown,
                }
            }
            ExprKind::CountValue(what, list) => {
                let wanted = match what {
                    CountValue::Yes => Value::Answer(Answer::Yes),
                    CountValue::No => Value::Answer(Answer::No),
                    CountValue::Unknown => Value::Unknown,
                    CountValue::True => Value::Bool(true),
                    CountValue::False => Value::Bool(false),
                };
                match self.expr(list) {
                    Value::List(items) => count(items.iter().filter(|v| **v == wanted)),
                    _ => Value::Unknown,
                }
            }
            ExprKind::CountWithin {
                list,
                amount,
                unit,
                direction,
                anchor,
            } => {
                let list = self.expr(list);
                let amount = self.expr(amount);
                let anchor = self.expr(anchor);
                match (list, window(&amount, *unit, *direction, &anchor)) {
                    (Value::List(items), Some((lo, hi))) => count_dates_between(&items, lo, hi),
                    _ => Value::Unknown,
                }
            }
            ExprKind::CountBetween(list, lo, hi) => {
                let (list, lo, hi) = (self.expr(list), self.expr(lo), self.expr(hi));
                match (list, lo, hi) {
                    (Value::List(items), Value::Date(lo), Value::Date(hi)) => {
                        count_dates_between(&items, lo, hi)
                    }
                    _ => Value::Unknown,
                }
            }
            ExprKind::CountAll(a) => match self.expr(a) {
                Value::Set(bits) => Value::Int(i64::from(bits.count_ones())),
                Value::List(items) => count(items.iter()),
                _ => Value::Unknown,
            },
            ExprKind::If(c, a, b) => {
                let (c, a, b) = (self.expr(c), self.expr(a), self.expr(b));
                match c {
                    Value::Bool(true) => a,
                    Value::Bool(false) => b,
                    _ => {
                        if same(&a, &b) {
                            a
                        } else {
                            Value::Unknown
                        }
                    }
                }
            }
            ExprKind::Min(args) => {
                let values: Vec<Value> = args.iter().map(|a| self.expr(a)).collect();
                extreme(values, Ordering::Less)
            }
            ExprKind::Max(args) => {
                let values: Vec<Value> = args.iter().map(|a| self.expr(a)).collect();
                extreme(values, Ordering::Greater)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The operations, one function each
// ---------------------------------------------------------------------------

/// Kleene `not`.
fn not(a: &Value) -> Value {
    match a {
        Value::Bool(b) => Value::Bool(!b),
        _ => Value::Unknown,
    }
}

/// Kleene `and`: false wins, then unknown.
fn and(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Bool(false), _) | (_, Value::Bool(false)) => Value::Bool(false),
        (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
        _ => Value::Unknown,
    }
}

/// Kleene `or`: true wins, then unknown.
fn or(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Bool(true), _) | (_, Value::Bool(true)) => Value::Bool(true),
        (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
        _ => Value::Unknown,
    }
}

/// The order of two known values of the same type; `None` when either is unknown or they
/// have no order. Whole numbers and decimals compare as numbers, enum values by their index
/// (the declared order), answers with no before yes, false before true.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Int(_) | Value::Number(_), Value::Int(_) | Value::Number(_)) => {
            Some(decimal(a)?.cmp(&decimal(b)?))
        }
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Answer(x), Value::Answer(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Enum(x), Value::Enum(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Equality with unknowns (Kleene): unknown when either side is unknown; sets are equal
/// when they have the same elements; lists when they have the same length and each pair of
/// elements is equal (`and` over the pairs, so a known difference makes them unequal even
/// beside an unknown element).
fn equal(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Unknown, _) | (_, Value::Unknown) => Value::Unknown,
        (Value::Set(x), Value::Set(y)) => Value::Bool(x == y),
        (Value::List(xs), Value::List(ys)) => {
            if xs.len() != ys.len() {
                return Value::Bool(false);
            }
            let mut all = Value::Bool(true);
            for (x, y) in xs.iter().zip(ys) {
                all = and(&all, &equal(x, y));
            }
            all
        }
        _ => compare(a, b).map_or(Value::Unknown, |o| Value::Bool(o == Ordering::Equal)),
    }
}

/// True when two values are known and equal.
fn same(a: &Value, b: &Value) -> bool {
    equal(a, b) == Value::Bool(true)
}

/// A comparison: unknown when either side is unknown (or they have no order).
fn compare_op(op: CmpOp, a: &Value, b: &Value) -> Value {
    match op {
        CmpOp::Eq => equal(a, b),
        CmpOp::Ne => not(&equal(a, b)),
        _ => match compare(a, b) {
            None => Value::Unknown,
            Some(o) => Value::Bool(match op {
                CmpOp::Lt => o == Ordering::Less,
                CmpOp::Le => o != Ordering::Greater,
                CmpOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }),
        },
    }
}

/// `q1 = yes`, `yes != q1`, `q1 = unknown`: an answer compared (`=` or `!=`) with an answer
/// constant. Returns the answer expression, the test and whether it is negated.
fn answer_test<'e>(op: CmpOp, a: &'e Expr, b: &'e Expr) -> Option<(&'e Expr, IsTest, bool)> {
    let negated = match op {
        CmpOp::Eq => false,
        CmpOp::Ne => true,
        _ => return None,
    };
    let answer_const = |e: &Expr| match &e.kind {
        ExprKind::Const(Const::Answer(Answer::Yes)) => Some(IsTest::Yes),
        ExprKind::Const(Const::Answer(Answer::No)) => Some(IsTest::No),
        ExprKind::Const(Const::Answer(Answer::Unknown) | Const::Unknown) => Some(IsTest::Unknown),
        _ => None,
    };
    if a.ty == Type::Answer
        && let Some(test) = answer_const(b)
    {
        return Some((a, test, negated));
    }
    if b.ty == Type::Answer
        && let Some(test) = answer_const(a)
    {
        return Some((b, test, negated));
    }
    None
}

/// The definite `is yes` / `is no` / `is unknown` test of an answer, perhaps negated.
fn test_answer(v: &Value, test: IsTest, negated: bool) -> Value {
    let holds = match test {
        IsTest::Yes => *v == Value::Answer(Answer::Yes),
        IsTest::No => *v == Value::Answer(Answer::No),
        _ => v.is_unknown(),
    };
    Value::Bool(holds != negated)
}

fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Int(i) => Some(Decimal::from(*i)),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// Arithmetic: whole numbers stay whole (unknown on overflow) except under `/`, which
/// always gives a decimal (unknown when dividing by zero); a decimal operand makes the
/// result decimal.
fn arith(op: ArithOp, a: &Value, b: &Value) -> Value {
    if let (Value::Int(x), Value::Int(y), ArithOp::Add | ArithOp::Sub | ArithOp::Mul) = (a, b, op) {
        let r = match op {
            ArithOp::Add => x.checked_add(*y),
            ArithOp::Sub => x.checked_sub(*y),
            _ => x.checked_mul(*y),
        };
        return r.map_or(Value::Unknown, Value::Int);
    }
    let (Some(x), Some(y)) = (decimal(a), decimal(b)) else {
        return Value::Unknown;
    };
    let r = match op {
        ArithOp::Add => x.checked_add(y),
        ArithOp::Sub => x.checked_sub(y),
        ArithOp::Mul => x.checked_mul(y),
        ArithOp::Div => x.checked_div(y),
    };
    r.map_or(Value::Unknown, Value::Number)
}

/// A date moved by a (signed) whole number of units; unknown outside years 1–9999.
fn shift(date: &Value, amount: &Value, unit: Unit) -> Value {
    match (date, amount) {
        (Value::Date(d), Value::Int(n)) => d.shift(*n, unit).map_or(Value::Unknown, Value::Date),
        _ => Value::Unknown,
    }
}

/// The dates `amount unit before|after anchor`, both ends included; `None` when unknown.
fn window(
    amount: &Value,
    unit: Unit,
    direction: Direction,
    anchor: &Value,
) -> Option<(Date, Date)> {
    let (Value::Date(anchor), Value::Int(n)) = (anchor, amount) else {
        return None;
    };
    match direction {
        Direction::Before => Some((anchor.shift(n.checked_neg()?, unit)?, *anchor)),
        Direction::After => Some((*anchor, anchor.shift(*n, unit)?)),
    }
}

/// The bits of a set, or of the one-element set of an enum value.
fn set_bits(v: &Value) -> Option<u64> {
    match v {
        Value::Set(bits) => Some(*bits),
        Value::Enum(i) => 1u64.checked_shl(*i),
        _ => None,
    }
}

/// `x in collection`: for a set, membership; for a list, `x = e1 or x = e2 or …` (Kleene).
fn member(x: &Value, collection: &Value) -> Value {
    if x.is_unknown() {
        return Value::Unknown;
    }
    match collection {
        Value::Set(bits) => match (x, set_bits(x)) {
            (Value::Enum(_), Some(bit)) => Value::Bool(bits & bit != 0),
            (Value::Enum(_), None) => Value::Bool(false),
            _ => Value::Unknown,
        },
        Value::List(items) => {
            let mut any = Value::Bool(false);
            for item in items {
                any = or(&any, &compare_op(CmpOp::Eq, x, item));
            }
            any
        }
        _ => Value::Unknown,
    }
}

fn count<'v>(items: impl Iterator<Item = &'v Value>) -> Value {
    i64::try_from(items.count()).map_or(Value::Unknown, Value::Int)
}

/// How many of the list's dates lie in `lo..=hi` (unknown items are not counted).
fn count_dates_between(items: &[Value], lo: Date, hi: Date) -> Value {
    count(
        items
            .iter()
            .filter(|v| matches!(v, Value::Date(d) if lo <= *d && *d <= hi)),
    )
}

/// `min` (`want` = Less) or `max` (Greater): unknown when any argument is unknown; the
/// first of equal values wins.
fn extreme(values: Vec<Value>, want: Ordering) -> Value {
    let mut best: Option<Value> = None;
    for v in values {
        if v.is_unknown() {
            return Value::Unknown;
        }
        best = match best {
            None => Some(v),
            Some(b) => match compare(&v, &b) {
                Some(o) if o == want => Some(v),
                Some(_) => Some(b),
                None => return Value::Unknown,
            },
        };
    }
    best.unwrap_or(Value::Unknown)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

    use serde_json::json;

    use super::*;

    static COUNTER: AtomicUsize = AtomicUsize::new(0);

    /// Checks ruleset files written to a fresh temporary directory; the first is the root.
    fn check_files(files: &[(&str, &str)]) -> hir::Ruleset {
        let n = COUNTER.fetch_add(1, AtomicOrdering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("waymark-reference-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let root = dir.join(files[0].0);
        let check = waymark_check::check_path(&root, &waymark_check::FsLoader);
        let _ = std::fs::remove_dir_all(&dir);
        match check.ruleset {
            Some(rs) => rs,
            None => panic!("the ruleset does not check: {:#?}", check.diagnostics),
        }
    }

    fn check(src: &str) -> hir::Ruleset {
        check_files(&[("root.wm", src)])
    }

    fn outcome(rs: &hir::Ruleset, facts: Json) -> Json {
        outcome_with(rs, facts, &[])
    }

    fn outcome_with(rs: &hir::Ruleset, facts: Json, params: &[(&str, Const)]) -> Json {
        let inputs = match parse_facts(rs, &facts) {
            Ok(v) => v,
            Err(e) => panic!("bad facts {facts}: {e:?}"),
        };
        let params: Vec<(ParamId, Const)> = params
            .iter()
            .map(|(name, c)| (rs.param(name).unwrap(), c.clone()))
            .collect();
        Json::Object(evaluate(rs, &inputs, &params))
    }

    #[test]
    fn kleene_and_or_not_implies() {
        let rs = check(
            "ruleset t.kleene version 1.0.0
input x: optional bool
input y: optional bool
output both: bool = x and y
output either: bool = x or y
output imp: bool = x implies y
output neg: bool = not x
",
        );
        let cases = [
            (
                json!({"x": false}),
                json!({"both": false, "either": null, "imp": true, "neg": true}),
            ),
            (
                json!({"x": true}),
                json!({"both": null, "either": true, "imp": null, "neg": false}),
            ),
            (
                json!({"y": false}),
                json!({"both": false, "either": null, "imp": null, "neg": null}),
            ),
            (
                json!({"y": true}),
                json!({"both": null, "either": true, "imp": true, "neg": null}),
            ),
            (
                json!({}),
                json!({"both": null, "either": null, "imp": null, "neg": null}),
            ),
            (
                json!({"x": true, "y": true}),
                json!({"both": true, "either": true, "imp": true, "neg": false}),
            ),
            (
                json!({"x": true, "y": false}),
                json!({"both": false, "either": true, "imp": false, "neg": false}),
            ),
            (
                json!({"x": null, "y": false}),
                json!({"both": false, "either": null, "imp": null, "neg": null}),
            ),
        ];
        for (facts, expected) in cases {
            assert_eq!(outcome(&rs, facts.clone()), expected, "facts {facts}");
        }
    }

    #[test]
    fn answers_are_definite_under_is_and_constant_comparison() {
        let rs = check(
            "ruleset t.answers version 1.0.0
input q1: answer
input q2: answer
output is_yes: bool = q1 is yes
output eq_yes: bool = q1 = yes
output ne_yes: bool = q1 != yes
output eq_unknown: bool = q1 = unknown
output answered: bool = q1 is known
output same: bool = q1 = q2
",
        );
        assert_eq!(
            outcome(&rs, json!({"q2": "yes"})),
            json!({"is_yes": false, "eq_yes": false, "ne_yes": true, "eq_unknown": true, "answered": false, "same": null})
        );
        assert_eq!(
            outcome(&rs, json!({"q1": "no", "q2": "no"})),
            json!({"is_yes": false, "eq_yes": false, "ne_yes": true, "eq_unknown": false, "answered": true, "same": true})
        );
        assert_eq!(
            outcome(&rs, json!({"q1": "yes", "q2": "dont_know"})),
            json!({"is_yes": true, "eq_yes": true, "ne_yes": false, "eq_unknown": false, "answered": true, "same": null})
        );
    }

    #[test]
    fn exceptions_override_and_unknown_conditions_leave_outputs_undetermined() {
        let rs = check(
            "ruleset t.exceptions version 1.0.0
input n: optional int
input waived: optional bool
output refer: bool default false
output waiver_applied: bool default false
rule big { when n >= 10 set refer to true }
exception waive to big { when waived set waiver_applied to true }
",
        );
        let cases = [
            (
                json!({"n": 12}),
                json!({"refer": null, "waiver_applied": null}),
            ),
            (
                json!({"n": 12, "waived": false}),
                json!({"refer": true, "waiver_applied": false}),
            ),
            (
                json!({"n": 12, "waived": true}),
                json!({"refer": false, "waiver_applied": true}),
            ),
            (
                json!({"n": 5}),
                json!({"refer": false, "waiver_applied": null}),
            ),
            (
                json!({"n": 5, "waived": true}),
                json!({"refer": false, "waiver_applied": true}),
            ),
            (
                json!({"waived": false}),
                json!({"refer": null, "waiver_applied": false}),
            ),
            (
                json!({"waived": true}),
                json!({"refer": false, "waiver_applied": true}),
            ),
        ];
        for (facts, expected) in cases {
            assert_eq!(outcome(&rs, facts.clone()), expected, "facts {facts}");
        }
    }

    #[test]
    fn first_hit_tables_take_the_first_row_that_matches() {
        let rs = check(
            "ruleset t.first version 1.0.0
enum tier ordered { none, low, mid, top }
input score: optional int
input urgent: optional bool
output service: tier default none
table pick hit first {
  | score | urgent | => | service |
  | >= 10 | -      | => | top     |
  | 5..9  | true   | => | mid     |
  | -     | -      | => | low     |
}
",
        );
        let cases = [
            (json!({"score": 12}), json!("top")),
            (json!({"score": 10, "urgent": false}), json!("top")),
            (json!({"score": 7, "urgent": true}), json!("mid")),
            (json!({"score": 9, "urgent": false}), json!("low")),
            (json!({"score": 2}), json!("low")),
            (json!({"score": 7}), Json::Null),
            (json!({"urgent": true}), Json::Null),
        ];
        for (facts, expected) in cases {
            assert_eq!(
                outcome(&rs, facts.clone()),
                json!({ "service": expected }),
                "facts {facts}"
            );
        }
    }

    #[test]
    fn collect_tables_union_every_row_that_matches() {
        let rs = check(
            "ruleset t.collect version 1.0.0
enum flag { zeta, alpha, mid }
input x: optional int
output flags: set of flag
table fl hit collect {
  | x    | => | flags |
  | >= 1 | => | zeta  |
  | >= 5 | => | alpha |
  | 3, 4 | => | mid   |
}
",
        );
        let cases = [
            (json!({"x": 5}), json!(["alpha", "zeta"])),
            (json!({"x": 3}), json!(["mid", "zeta"])),
            (json!({"x": 0}), json!([])),
            (json!({}), Json::Null),
        ];
        for (facts, expected) in cases {
            assert_eq!(
                outcome(&rs, facts.clone()),
                json!({ "flags": expected }),
                "facts {facts}"
            );
        }
    }

    #[test]
    fn date_windows_include_both_edges() {
        let rs = check(
            "ruleset t.dates version 1.0.0
input assessment_date: date
input incident: optional date
input events: optional list of date
output recent: bool = incident within 12 months before assessment_date
output soon: bool = incident within 2 weeks after assessment_date
output n_recent: int = count events within 12 months before assessment_date
output n_2023: int = count events between 2023-01-01 and 2023-12-31
output year_before: date = assessment_date - 1 year
",
        );
        let recent = |incident: &str| {
            let o = outcome(
                &rs,
                json!({"assessment_date": "2024-05-01", "incident": incident}),
            );
            (o["recent"].clone(), o["soon"].clone())
        };
        assert_eq!(recent("2023-05-01"), (json!(true), json!(false)));
        assert_eq!(recent("2023-04-30"), (json!(false), json!(false)));
        assert_eq!(recent("2024-05-01"), (json!(true), json!(true)));
        assert_eq!(recent("2024-05-02"), (json!(false), json!(true)));
        assert_eq!(recent("2024-05-15"), (json!(false), json!(true)));
        assert_eq!(recent("2024-05-16"), (json!(false), json!(false)));
        let o = outcome(
            &rs,
            json!({"assessment_date": "2024-05-01",
                   "events": ["2023-04-30", "2023-05-01", "2024-05-01", "2024-05-02", null]}),
        );
        assert_eq!(o["recent"], Json::Null);
        assert_eq!(o["n_recent"], json!(2));
        assert_eq!(o["n_2023"], json!(2));
        assert_eq!(o["year_before"], json!("2023-05-01"));
        let o = outcome(&rs, json!({"assessment_date": "2024-02-29"}));
        assert_eq!(o["n_recent"], Json::Null);
        assert_eq!(o["year_before"], json!("2023-02-28"));
    }

    #[test]
    fn count_yes_ignores_unknown_answers() {
        let rs = check(
            "ruleset t.counting version 1.0.0
input q1: answer
input q2: answer
input q3: answer
input q4: answer
param need: int in 1..4 = 2
output yes_count: int = count yes in [q1..q4]
output no_count: int = count no in [q1..q4]
output dk_count: int = count unknown in [q1..q4]
output enough: bool = yes_count >= need
",
        );
        let facts = json!({"q1": "yes", "q2": "unknown", "q4": "no"});
        assert_eq!(
            outcome(&rs, facts.clone()),
            json!({"yes_count": 1, "no_count": 1, "dk_count": 2, "enough": false})
        );
        assert_eq!(
            outcome_with(&rs, facts, &[("need", Const::Int(1))])["enough"],
            json!(true)
        );
        assert_eq!(
            outcome(&rs, json!({})),
            json!({"yes_count": 0, "no_count": 0, "dk_count": 4, "enough": false})
        );
    }

    #[test]
    fn max_union_and_single_outputs_combine() {
        let rs = check(
            "ruleset t.combine version 1.0.0
enum level ordered { standard, medium, high }
enum reason { weapon_reason, count_reason }
input q1: answer
input q2: answer
input armed: optional bool
input n: optional int
output risk: level default standard
output reasons: set of reason
output note: text default \"none\"
rule med { when n >= 5 set risk to medium add count_reason to reasons }
rule hi { when q1 is yes set risk to high add weapon_reason to reasons set note to \"weapon\" }
rule also_hi { when q2 = yes and n >= 1 set risk to high }
rule armed_rule { when armed set note to \"weapon\" }
",
        );
        let cases = [
            // `hi` fires: the level is high whatever `med` does, but `med` might still add
            // to the reasons; the note is "weapon" whether or not `armed_rule` fires.
            (
                json!({"q1": "yes"}),
                json!({"risk": "high", "reasons": null, "note": "weapon"}),
            ),
            (
                json!({"q1": "no", "n": 7, "armed": false}),
                json!({"risk": "medium", "reasons": ["count_reason"], "note": "none"}),
            ),
            (
                json!({"q1": "no", "n": 3, "armed": false}),
                json!({"risk": "standard", "reasons": [], "note": "none"}),
            ),
            (
                json!({"q1": "no", "armed": false}),
                json!({"risk": null, "reasons": null, "note": "none"}),
            ),
            (
                json!({"q1": "no", "n": 3}),
                json!({"risk": "standard", "reasons": [], "note": null}),
            ),
            (
                json!({"q1": "yes", "n": 9, "q2": "yes", "armed": true}),
                json!({"risk": "high", "reasons": ["count_reason", "weapon_reason"], "note": "weapon"}),
            ),
            (
                json!({"q2": "yes", "n": 2, "armed": false}),
                json!({"risk": "high", "reasons": [], "note": "none"}),
            ),
        ];
        for (facts, expected) in cases {
            assert_eq!(outcome(&rs, facts.clone()), expected, "facts {facts}");
        }
    }

    #[test]
    fn imported_parameters_are_bound_by_the_importer() {
        let rs = check_files(&[
            (
                "root.wm",
                "ruleset t.root version 1.0.0
import \"child.wm\" as c with need = 2
output met: bool = c.met
",
            ),
            (
                "child.wm",
                "ruleset t.child version 1.0.0
param need: int = 3
input q1: answer
input q2: answer
input q3: answer
output yes_n: int = count yes in [q1..q3]
output met: bool = yes_n >= need
",
            ),
        ]);
        assert_eq!(
            outcome(&rs, json!({"q1": "yes", "q2": "yes"})),
            json!({"met": true})
        );
        assert_eq!(outcome(&rs, json!({"q1": "yes"})), json!({"met": false}));
    }

    #[test]
    fn arithmetic_if_min_max_and_sets() {
        let rs = check(
            "ruleset t.arith version 1.0.0
enum colour { red, green, blue }
input a: optional int
input b: optional int
input r: optional number
input flag: optional bool
input picked: optional set of colour
output ratio: number = a / b
output total: number = a + r
output big: int = a * b
output pick: int = if flag then a else b
output lo: int = min(a, b)
output hi: int = max(a, b)
output has_red: bool = red in picked
output extra: set of colour = picked union {blue}
output none: bool = picked is empty
",
        );
        let o = outcome(&rs, json!({"a": 3, "b": 0, "r": "1.5", "picked": ["red"]}));
        assert_eq!(o["ratio"], Json::Null);
        assert_eq!(o["total"], json!(4.5));
        assert_eq!(o["big"], json!(0));
        assert_eq!(o["pick"], Json::Null);
        assert_eq!(o["lo"], json!(0));
        assert_eq!(o["hi"], json!(3));
        assert_eq!(o["has_red"], json!(true));
        assert_eq!(o["extra"], json!(["blue", "red"]));
        assert_eq!(o["none"], json!(false));
        let o = outcome(&rs, json!({"a": 4, "b": 4, "r": 0.25}));
        assert_eq!(o["ratio"].as_f64(), Some(1.0));
        assert_eq!(o["total"], json!(4.25));
        assert_eq!(o["pick"], json!(4), "unknown condition, equal branches");
        assert_eq!(o["has_red"], Json::Null);
        assert_eq!(o["none"], Json::Null);
        let o = outcome(&rs, json!({"a": i64::MAX, "b": 2, "flag": false}));
        assert_eq!(o["big"], Json::Null, "overflow is unknown");
        assert_eq!(o["pick"], json!(2));
    }

    #[test]
    fn bad_facts_report_every_problem() {
        let rs = check(
            "ruleset t.facts version 1.0.0
enum colour { red, green }
input on_date: date
input age: int in 0..130
input q1: answer
input c: optional colour
input n: optional number
output known_age: bool = age is known
",
        );
        let errors = parse_facts(
            &rs,
            &json!({"agee": 3, "age": 200, "q1": "maybe", "c": "blue", "n": "x", "on_date": "2024-02-30"}),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 6, "{errors:#?}");
        let errors = parse_facts(&rs, &json!({"age": "14"})).unwrap_err();
        assert_eq!(
            errors.len(),
            2,
            "wrong type and the missing date: {errors:#?}"
        );
        let errors = parse_facts(&rs, &json!({"age": 3, "on_date": null})).unwrap_err();
        assert_eq!(
            errors.len(),
            1,
            "a required input cannot be null: {errors:#?}"
        );
        assert!(parse_facts(&rs, &json!([])).is_err());
        let ok = parse_facts(
            &rs,
            &json!({"on_date": "2024-02-29", "age": 30, "q1": null, "n": 2}),
        )
        .unwrap();
        assert_eq!(
            ok[rs.input("n").unwrap().0 as usize],
            Value::Number(Decimal::from(2))
        );
        assert_eq!(ok[rs.input("q1").unwrap().0 as usize], Value::Unknown);
    }

    /// Rulesets built by hand, so the interpreter is tested without the checker.
    mod by_hand {
        use super::*;

        fn loc() -> hir::Loc {
            hir::Loc {
                file: hir::FileId(0),
                span: waymark_diagnostics::Span { start: 0, end: 0 },
            }
        }

        fn ex(kind: ExprKind, ty: Type) -> Expr {
            Expr {
                kind,
                ty,
                loc: loc(),
            }
        }

        fn input(name: &str, ty: Type) -> hir::InputDef {
            hir::InputDef {
                name: name.into(),
                ty,
                range: None,
                optional: true,
                label: None,
                docs: vec![],
                loc: loc(),
            }
        }

        fn output(name: &str, ty: Type, value: OutputValue) -> hir::OutputDef {
            hir::OutputDef {
                name: name.into(),
                ty,
                label: None,
                docs: vec![],
                public: true,
                value,
                loc: loc(),
            }
        }

        fn ruleset() -> hir::Ruleset {
            hir::Ruleset {
                meta: hir::Meta::default(),
                files: vec![],
                enums: vec![],
                inputs: vec![],
                params: vec![],
                lets: vec![],
                outputs: vec![],
                rules: vec![],
                tables: vec![],
                order: vec![],
                tests: vec![],
                properties: vec![],
            }
        }

        #[test]
        fn windows_include_both_edges() {
            let mut rs = ruleset();
            rs.inputs = vec![input("d", Type::Date), input("anchor", Type::Date)];
            let within = |direction| {
                ex(
                    ExprKind::Within {
                        date: Box::new(ex(ExprKind::Input(InputId(0)), Type::Date)),
                        amount: Box::new(ex(ExprKind::Const(Const::Int(12)), Type::Int)),
                        unit: Unit::Months,
                        direction,
                        anchor: Box::new(ex(ExprKind::Input(InputId(1)), Type::Date)),
                    },
                    Type::Bool,
                )
            };
            rs.outputs = vec![
                output(
                    "before",
                    Type::Bool,
                    OutputValue::Computed(within(Direction::Before)),
                ),
                output(
                    "after",
                    Type::Bool,
                    OutputValue::Computed(within(Direction::After)),
                ),
            ];
            // No order at all: outputs are still computed on demand.
            let run = |d: &str| {
                let inputs = parse_facts(&rs, &json!({"d": d, "anchor": "2024-05-01"})).unwrap();
                Json::Object(evaluate(&rs, &inputs, &[]))
            };
            assert_eq!(run("2023-05-01"), json!({"before": true, "after": false}));
            assert_eq!(run("2023-04-30"), json!({"before": false, "after": false}));
            assert_eq!(run("2024-05-01"), json!({"before": true, "after": true}));
            assert_eq!(run("2025-05-01"), json!({"before": false, "after": true}));
            assert_eq!(run("2025-05-02"), json!({"before": false, "after": false}));
            let inputs = parse_facts(&rs, &json!({"anchor": "2024-05-01"})).unwrap();
            assert_eq!(
                Json::Object(evaluate(&rs, &inputs, &[])),
                json!({"before": null, "after": null})
            );
            let inputs =
                parse_facts(&rs, &json!({"d": "0001-06-01", "anchor": "0001-06-01"})).unwrap();
            assert_eq!(
                Json::Object(evaluate(&rs, &inputs, &[])),
                json!({"before": null, "after": true}),
                "a window reaching before year 1 is unknown"
            );
        }

        #[test]
        fn exceptions_and_levels() {
            let mut rs = ruleset();
            let variant = |name: &str| hir::VariantDef {
                name: name.into(),
                label: None,
                docs: vec![],
            };
            rs.enums = vec![hir::EnumDef {
                name: "level".into(),
                ordered: true,
                variants: vec![variant("standard"), variant("medium"), variant("high")],
                loc: loc(),
            }];
            let level = Type::Enum(hir::EnumId(0));
            let lit = |i: u32| {
                ex(
                    ExprKind::Const(Const::Enum(hir::EnumId(0), i)),
                    level.clone(),
                )
            };
            rs.inputs = vec![input("x", Type::Bool), input("y", Type::Bool)];
            rs.outputs = vec![output(
                "level",
                level.clone(),
                OutputValue::Rules {
                    combine: Combine::Max,
                    default: Some(lit(0)),
                },
            )];
            let rule = |name: &str, i: u32, to: u32, exception_to, exceptions| hir::RuleDef {
                name: name.into(),
                label: None,
                sources: vec![],
                docs: vec![],
                condition: ex(ExprKind::Input(InputId(i)), Type::Bool),
                exception_to,
                exceptions,
                actions: vec![ActionDef {
                    output: OutputId(0),
                    kind: hir::ActionKind::Set,
                    value: lit(to),
                    loc: loc(),
                }],
                loc: loc(),
            };
            rs.rules = vec![
                rule("high_when_x", 0, 2, None, vec![RuleId(1)]),
                rule("medium_when_y", 1, 1, Some(RuleId(0)), vec![]),
            ];
            rs.order = vec![
                Node::Rule(RuleId(1)),
                Node::Rule(RuleId(0)),
                Node::Output(OutputId(0)),
            ];
            let run = |facts: Json| {
                let inputs = parse_facts(&rs, &facts).unwrap();
                Json::Object(evaluate(&rs, &inputs, &[]))["level"].clone()
            };
            assert_eq!(run(json!({"x": true})), Json::Null);
            assert_eq!(run(json!({"x": true, "y": false})), json!("high"));
            assert_eq!(run(json!({"x": true, "y": true})), json!("medium"));
            assert_eq!(
                run(json!({"x": false})),
                Json::Null,
                "medium might still be given"
            );
            assert_eq!(run(json!({"x": false, "y": false})), json!("standard"));
            assert_eq!(
                run(json!({"y": true})),
                json!("medium"),
                "high is ruled out by its exception"
            );
        }
    }

    fn wm_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                wm_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "wm") {
                out.push(path);
            }
        }
    }

    #[test]
    fn the_reference_rulesets_pass_their_own_tests() {
        // Rulesets that do not check are the golden tests' business; here every ruleset
        // that checks must pass its own `test` blocks when run by the interpreter.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rulesets");
        let mut files = Vec::new();
        wm_files(&root, &mut files);
        files.sort();
        let mut failures = Vec::new();
        let mut tests_run = 0;
        for file in &files {
            let check = waymark_check::check_path(file, &waymark_check::FsLoader);
            let Some(rs) = check.ruleset else {
                eprintln!("skipped (does not check): {}", file.display());
                continue;
            };
            tests_run += rs.tests.len();
            failures.extend(
                run_tests(&rs)
                    .into_iter()
                    .map(|f| format!("{}: {f}", file.display())),
            );
        }
        assert!(
            tests_run > 0,
            "no ruleset tests ran under {}",
            root.display()
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
