//! What each input of a ruleset may hold, and the values near the ruleset's thresholds.
//!
//! A [`Domain`] is read from a compiled [`waymark::Ruleset`]: the inputs' types, ranges and
//! optionality come from the program, and the boundary values come from the checked
//! ruleset, by walking every formula for the constants and parameter values that inputs
//! are compared against, the windows dates are tested in, and the answers that are
//! counted.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};
use waymark::checked::{self as hir, CellTest, Const, Direction, ExprKind};
use waymark::ir::{ConstVal, Program, Ty, Val};
use waymark_ir::{Answer, Date, Decimal, Unit};

/// The value of one input in a generated case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fact {
    /// Not given: unknown for an optional input (and for an answer, "not answered").
    Absent,
    /// An answer given explicitly: yes, no or unknown ("don't know").
    Answer(Answer),
    /// A condition.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Num(Decimal),
    /// A text.
    Text(String),
    /// A date.
    Date(Date),
    /// An enum value, by index.
    Enum(u32),
    /// A set of enum values, one bit per index.
    Set(u64),
    /// A list.
    List(Vec<Fact>),
}

impl Fact {
    /// True for a yes answer.
    pub fn is_yes(&self) -> bool {
        matches!(self, Fact::Answer(Answer::Yes))
    }
}

/// One generated case: a [`Fact`] per input of the ruleset, in the program's input order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Case(pub Vec<Fact>);

impl Case {
    /// How many answers are yes.
    pub fn yes_answers(&self) -> usize {
        self.0.iter().filter(|f| f.is_yes()).count()
    }

    /// How many facts are given (not [`Fact::Absent`]).
    pub fn given(&self) -> usize {
        self.0.iter().filter(|f| **f != Fact::Absent).count()
    }

    /// How many list items are given, over all lists.
    pub fn list_items(&self) -> usize {
        self.0
            .iter()
            .map(|f| match f {
                Fact::List(items) => items.len(),
                _ => 0,
            })
            .sum()
    }

    /// The size counterexamples are compared by: facts given, then yes answers, then list
    /// items. Smaller is simpler.
    pub fn size(&self) -> (usize, usize, usize) {
        (self.given(), self.yes_answers(), self.list_items())
    }

    /// The facts as the JSON a case system sends (absent facts left out).
    pub fn to_json(&self, program: &Program) -> Json {
        let mut m = Map::new();
        for (fact, input) in self.0.iter().zip(&program.inputs) {
            if *fact != Fact::Absent {
                m.insert(input.name.clone(), fact_json(program, &input.ty, fact));
            }
        }
        Json::Object(m)
    }

    /// The facts as the engine reads them.
    pub fn to_facts(&self, program: &Program) -> waymark::CaseFacts {
        let mut facts = waymark::CaseFacts::unknown(program);
        self.fill(&mut facts);
        facts
    }

    /// Overwrites `facts` (made for the same program) with this case.
    pub(crate) fn fill(&self, facts: &mut waymark::CaseFacts) {
        facts.reset();
        for (i, fact) in self.0.iter().enumerate() {
            match fact {
                Fact::Absent => {}
                Fact::Text(t) => facts.set_text(i, t.clone()),
                Fact::List(items) => facts.set_list(i, items.iter().map(scalar).collect()),
                other => facts.set(i, scalar(other)),
            }
        }
    }
}

fn scalar(f: &Fact) -> Val {
    match f {
        Fact::Absent | Fact::Answer(Answer::Unknown) | Fact::Text(_) | Fact::List(_) => {
            Val::Unknown
        }
        Fact::Answer(a) => Val::Answer(*a),
        Fact::Bool(b) => Val::Bool(*b),
        Fact::Int(i) => Val::Int(*i),
        Fact::Num(n) => Val::Num(*n),
        Fact::Date(d) => Val::Date(*d),
        Fact::Enum(e) => Val::Enum(*e),
        Fact::Set(s) => Val::Set(*s),
    }
}

fn fact_json(p: &Program, ty: &Ty, f: &Fact) -> Json {
    let variant = |e: u32, i: u32| {
        p.enums
            .get(e as usize)
            .and_then(|en| en.variants.get(i as usize))
            .map(|v| Json::String(v.clone()))
            .unwrap_or(Json::Null)
    };
    match (f, ty) {
        (Fact::Absent, _) => Json::Null,
        (Fact::Answer(a), _) => Json::String(a.word().to_string()),
        (Fact::Bool(b), _) => Json::Bool(*b),
        (Fact::Int(i), _) => Json::from(*i),
        (Fact::Num(n), _) => Json::String(n.to_string()),
        (Fact::Text(t), _) => Json::String(t.clone()),
        (Fact::Date(d), _) => Json::String(d.to_string()),
        (Fact::Enum(i), Ty::Enum(e)) => variant(*e, *i),
        (Fact::Set(bits), Ty::Set(e)) => Json::Array(
            (0..64u32)
                .filter(|i| bits & (1u64 << i) != 0)
                .map(|i| variant(*e, i))
                .collect(),
        ),
        (Fact::List(items), Ty::List(inner)) => {
            Json::Array(items.iter().map(|x| fact_json(p, inner, x)).collect())
        }
        _ => Json::Null,
    }
}

/// The kind of values one input takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Answer,
    Bool,
    Int { lo: i64, hi: i64 },
    Number { lo: i64, hi: i64 },
    Text,
    Date,
    Enum(u32),
    Set(u32),
    List(Box<Kind>),
}

/// One input's domain.
#[derive(Clone, Debug)]
pub(crate) struct InputDomain {
    pub name: String,
    pub kind: Kind,
    pub optional: bool,
}

/// The inputs of a ruleset with their domains, and its boundary values.
#[derive(Clone, Debug)]
pub struct Domain {
    pub(crate) inputs: Vec<InputDomain>,
    /// The date input that windows are counted from, if any.
    pub(crate) anchor: Option<usize>,
    /// Whole numbers inputs are compared against (constants and parameter values).
    pub(crate) ints: Vec<i64>,
    /// Date constants dates are compared against.
    pub(crate) dates: Vec<Date>,
    /// Windows before (negative) or after (positive) the anchor.
    pub(crate) windows: Vec<(i64, Unit)>,
    /// Groups of answers counted together (`count yes in [q1..q24]`), by input index.
    pub(crate) groups: Vec<Vec<usize>>,
}

/// The anchor date used when a case has none, and around which dates are generated.
pub(crate) fn base_date() -> Date {
    Date::from_ymd(2024, 5, 1).unwrap_or(Date(19844))
}

/// Generated whole numbers stay this far from an open end of a range.
const OPEN_RANGE: i64 = 200;

fn int_of(c: &ConstVal) -> Option<i64> {
    match c {
        ConstVal::Int(i) => Some(*i),
        ConstVal::Num(n) => i64::try_from(n.trunc().mantissa()).ok(),
        _ => None,
    }
}

fn kind_of(p: &Program, ty: &Ty, range: &(Option<ConstVal>, Option<ConstVal>)) -> Kind {
    match ty {
        Ty::Answer => Kind::Answer,
        Ty::Bool => Kind::Bool,
        Ty::Int | Ty::Number => {
            let lo = range.0.as_ref().and_then(int_of);
            let hi = range.1.as_ref().and_then(int_of);
            let (lo, hi) = match (lo, hi) {
                (Some(l), Some(h)) => (l, h),
                (Some(l), None) => (l, l.saturating_add(OPEN_RANGE)),
                (None, Some(h)) => (h.saturating_sub(OPEN_RANGE), h),
                (None, None) => (0, OPEN_RANGE),
            };
            if *ty == Ty::Int {
                Kind::Int { lo, hi }
            } else {
                Kind::Number { lo, hi }
            }
        }
        Ty::Text => Kind::Text,
        Ty::Date => Kind::Date,
        Ty::Enum(e) => Kind::Enum(
            p.enums
                .get(*e as usize)
                .map_or(1, |en| en.variants.len() as u32),
        ),
        Ty::Set(e) => Kind::Set(
            p.enums
                .get(*e as usize)
                .map_or(1, |en| en.variants.len().min(64) as u32),
        ),
        Ty::List(inner) => Kind::List(Box::new(kind_of(p, inner, &(None, None)))),
    }
}

impl Domain {
    /// The domain of a ruleset's inputs, with the boundary values of its formulas under
    /// its current parameter values.
    pub fn new(rules: &waymark::Ruleset) -> Domain {
        Domain::with_params(rules, &[])
    }

    /// The domain with some parameters given other values (as in a property's `with`).
    pub fn with_params(rules: &waymark::Ruleset, params: &[(hir::ParamId, Const)]) -> Domain {
        let p = rules.program();
        let inputs = p
            .inputs
            .iter()
            .map(|i| InputDomain {
                name: i.name.clone(),
                kind: kind_of(p, &i.ty, &i.range),
                optional: i.optional,
            })
            .collect();
        let mut walk = Walk {
            rs: rules.checked(),
            rules,
            params,
            ints: BTreeSet::new(),
            dates: BTreeSet::new(),
            windows: Vec::new(),
            anchors: BTreeMap::new(),
            groups: Vec::new(),
        };
        walk.ruleset();
        let name_index = |id: hir::InputId| {
            let name = &walk.rs.inputs.get(id.0 as usize)?.name;
            p.inputs.iter().position(|i| &i.name == name)
        };
        let anchor = walk
            .anchors
            .iter()
            .max_by_key(|(_, n)| **n)
            .and_then(|(id, _)| name_index(*id))
            .or_else(|| {
                p.inputs
                    .iter()
                    .position(|i| i.ty == Ty::Date && !i.optional)
            });
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut grouped = BTreeSet::new();
        for g in &walk.groups {
            let members: Vec<usize> = g
                .iter()
                .filter_map(|id| name_index(*id))
                .filter(|i| grouped.insert(*i))
                .collect();
            if !members.is_empty() {
                groups.push(members);
            }
        }
        Domain {
            inputs,
            anchor,
            ints: walk.ints.into_iter().collect(),
            dates: walk.dates.into_iter().collect(),
            windows: walk.windows,
            groups,
        }
    }

    /// The input names, in the program's order.
    pub fn input_names(&self) -> impl Iterator<Item = &str> {
        self.inputs.iter().map(|i| i.name.as_str())
    }

    /// The whole numbers the ruleset compares against (constants and parameter values).
    pub fn thresholds(&self) -> &[i64] {
        &self.ints
    }

    /// Values either side of every threshold, and the thresholds: the candidates for a
    /// whole number or a count at a boundary.
    pub(crate) fn near_thresholds(&self, lo: i64, hi: i64) -> Vec<i64> {
        let mut out = BTreeSet::new();
        out.insert(lo);
        out.insert(hi);
        for t in &self.ints {
            for d in [-1, 0, 1] {
                if let Some(v) = t.checked_add(d)
                    && (lo..=hi).contains(&v)
                {
                    out.insert(v);
                }
            }
        }
        out.into_iter().collect()
    }

    /// Dates at the edges of every window from `anchor`, a day either side, and the date
    /// constants with a day either side.
    pub(crate) fn near_edges(&self, anchor: Date) -> Vec<Date> {
        let mut out = BTreeSet::new();
        let mut add_around = |d: Date| {
            for delta in [-1, 0, 1] {
                if let Some(x) = d.shift(delta, Unit::Days) {
                    out.insert(x);
                }
            }
        };
        add_around(anchor);
        for (amount, unit) in &self.windows {
            if let Some(edge) = anchor.shift(*amount, *unit) {
                add_around(edge);
            }
        }
        for d in &self.dates {
            add_around(*d);
        }
        out.into_iter().collect()
    }

    /// The simplest value of each input: absent when optional, else the lowest value
    /// (the base date for dates).
    pub fn simplest(&self) -> Case {
        Case(
            self.inputs
                .iter()
                .map(|i| {
                    if i.optional {
                        Fact::Absent
                    } else {
                        lowest(&i.kind)
                    }
                })
                .collect(),
        )
    }
}

fn lowest(kind: &Kind) -> Fact {
    match kind {
        Kind::Answer => Fact::Answer(Answer::No),
        Kind::Bool => Fact::Bool(false),
        Kind::Int { lo, .. } => Fact::Int(*lo),
        Kind::Number { lo, .. } => Fact::Num(Decimal::from(*lo)),
        Kind::Text => Fact::Text(String::new()),
        Kind::Date => Fact::Date(base_date()),
        Kind::Enum(_) => Fact::Enum(0),
        Kind::Set(_) => Fact::Set(0),
        Kind::List(_) => Fact::List(Vec::new()),
    }
}

/// Every value of a kind when there are few enough of them (for exhaustive search).
pub(crate) fn finite_values(kind: &Kind, optional: bool, limit: u64) -> Option<Vec<Fact>> {
    let mut out = Vec::new();
    match kind {
        // An answer not given is the same as "don't know"; exhaustive search tries it once.
        Kind::Answer => {
            return Some(vec![
                Fact::Answer(Answer::No),
                Fact::Answer(Answer::Unknown),
                Fact::Answer(Answer::Yes),
            ]);
        }
        Kind::Bool => out.extend([Fact::Bool(false), Fact::Bool(true)]),
        Kind::Int { lo, hi } => {
            let n = u64::try_from(i128::from(*hi) - i128::from(*lo) + 1).ok()?;
            if n > limit {
                return None;
            }
            out.extend((*lo..=*hi).map(Fact::Int));
        }
        Kind::Enum(n) => out.extend((0..*n).map(Fact::Enum)),
        Kind::Set(n) => {
            if *n > 16 || (1u64 << n) > limit {
                return None;
            }
            out.extend((0..(1u64 << n)).map(Fact::Set));
        }
        Kind::Number { .. } | Kind::Text | Kind::Date | Kind::List(_) => return None,
    }
    if optional {
        out.insert(0, Fact::Absent);
    }
    Some(out)
}

/// Simpler values to try in place of `fact`, simplest first (for shrinking).
pub(crate) fn simpler(kind: &Kind, optional: bool, fact: &Fact) -> Vec<Fact> {
    let mut out = Vec::new();
    if optional && *fact != Fact::Absent {
        out.push(Fact::Absent);
    }
    match (kind, fact) {
        (Kind::Answer, Fact::Answer(a)) => {
            let rank = |a: Answer| match a {
                Answer::No => 1,
                Answer::Unknown => 2,
                Answer::Yes => 3,
            };
            for b in [Answer::No, Answer::Unknown] {
                if rank(b) < rank(*a) {
                    out.push(Fact::Answer(b));
                }
            }
        }
        (_, Fact::Bool(true)) => out.push(Fact::Bool(false)),
        (Kind::Int { lo, .. }, Fact::Int(v)) if v > lo => {
            let mut c = vec![*lo, lo + (v - lo) / 2, v - 1];
            c.dedup();
            out.extend(c.into_iter().filter(|x| x < v).map(Fact::Int));
        }
        (Kind::Number { lo, .. }, Fact::Num(n)) if *n > Decimal::from(*lo) => {
            out.push(Fact::Num(Decimal::from(*lo)));
        }
        (_, Fact::Text(t)) if !t.is_empty() => out.push(Fact::Text(String::new())),
        (_, Fact::Enum(i)) => out.extend((0..*i).map(Fact::Enum)),
        (_, Fact::Set(bits)) => {
            out.extend(
                (0..64u32)
                    .filter(|i| bits & (1u64 << i) != 0)
                    .map(|i| Fact::Set(bits & !(1u64 << i))),
            );
        }
        (_, Fact::List(items)) => {
            for i in 0..items.len() {
                let mut shorter = items.clone();
                shorter.remove(i);
                out.push(Fact::List(shorter));
            }
        }
        _ => {}
    }
    out
}

struct Walk<'a> {
    rs: &'a hir::Ruleset,
    rules: &'a waymark::Ruleset,
    params: &'a [(hir::ParamId, Const)],
    ints: BTreeSet<i64>,
    dates: BTreeSet<Date>,
    windows: Vec<(i64, Unit)>,
    anchors: BTreeMap<hir::InputId, usize>,
    groups: Vec<Vec<hir::InputId>>,
}

impl Walk<'_> {
    fn ruleset(&mut self) {
        let rs = self.rs;
        for l in &rs.lets {
            self.expr(&l.value);
        }
        for o in &rs.outputs {
            match &o.value {
                hir::OutputValue::Computed(e) => self.expr(e),
                hir::OutputValue::Rules { default, .. } => {
                    if let Some(e) = default {
                        self.expr(e);
                    }
                }
            }
        }
        for r in &rs.rules {
            self.expr(&r.condition);
            for a in &r.actions {
                self.expr(&a.value);
            }
        }
        for t in &rs.tables {
            for c in &t.columns {
                self.expr(c);
            }
            for row in &t.rows {
                for cell in &row.cells {
                    match cell {
                        CellTest::Any => {}
                        CellTest::OneOf(cs) => cs.iter().for_each(|c| self.constant(c)),
                        CellTest::Compare(_, c) => self.constant(c),
                        CellTest::Range(a, b) => {
                            self.constant(a);
                            self.constant(b);
                        }
                        CellTest::CompareExpr(_, e) => self.threshold(e),
                    }
                }
            }
        }
        for p in &rs.properties {
            match &p.body {
                hir::PropertyBody::Always(e) | hir::PropertyBody::Never(e) => self.expr(e),
                hir::PropertyBody::Agree {
                    except: Some(e), ..
                } => self.expr(e),
                _ => {}
            }
        }
    }

    fn constant(&mut self, c: &Const) {
        match c {
            Const::Int(i) => {
                self.ints.insert(*i);
            }
            Const::Number(n) => {
                if let Ok(i) = i64::try_from(n.round().mantissa()) {
                    self.ints.insert(i);
                }
            }
            Const::Date(d) => {
                self.dates.insert(*d);
            }
            _ => {}
        }
    }

    /// The value of a parameter, with the overrides given.
    fn param(&self, id: hir::ParamId) -> Option<Const> {
        if let Some((_, c)) = self.params.iter().find(|(p, _)| *p == id) {
            return Some(c.clone());
        }
        let def = self.rs.params.get(id.0 as usize)?;
        if let Some(bound) = &def.bound {
            return self.fixed(bound);
        }
        let p = self.rules.program();
        let i = p.params.iter().position(|x| x.name == def.name)?;
        let c = self.rules.loaded().params().get(i)?;
        Some(match c {
            ConstVal::Int(i) => Const::Int(*i),
            ConstVal::Num(n) => Const::Number(*n),
            ConstVal::Date(d) => Const::Date(*d),
            _ => def.default.clone(),
        })
    }

    /// A value fixed before any case: a constant or a parameter.
    fn fixed(&self, e: &hir::Expr) -> Option<Const> {
        match &e.kind {
            ExprKind::Const(c) => Some(c.clone()),
            ExprKind::Param(p) => self.param(*p),
            ExprKind::Neg(a) => match self.fixed(a)? {
                Const::Int(i) => i.checked_neg().map(Const::Int),
                _ => None,
            },
            _ => None,
        }
    }

    fn threshold(&mut self, e: &hir::Expr) {
        if let Some(c) = self.fixed(e) {
            self.constant(&c);
        }
    }

    fn window(&mut self, amount: &hir::Expr, unit: Unit, back: bool, anchor: &hir::Expr) {
        if let Some(Const::Int(n)) = self.fixed(amount) {
            let w = (if back { -n } else { n }, unit);
            if !self.windows.contains(&w) {
                self.windows.push(w);
            }
            self.ints.insert(n);
        }
        if let ExprKind::Input(id) = anchor.kind {
            *self.anchors.entry(id).or_default() += 1;
        }
    }

    fn expr(&mut self, e: &hir::Expr) {
        match &e.kind {
            ExprKind::Cmp(_, a, b) => {
                self.threshold(a);
                self.threshold(b);
            }
            ExprKind::Within {
                amount,
                unit,
                direction,
                anchor,
                ..
            }
            | ExprKind::CountWithin {
                amount,
                unit,
                direction,
                anchor,
                ..
            } => self.window(amount, *unit, *direction == Direction::Before, anchor),
            ExprKind::DateShift {
                amount,
                unit,
                subtract,
                date,
            } => self.window(amount, *unit, *subtract, date),
            ExprKind::CountValue(_, list) => {
                if let ExprKind::List(items) = &list.kind {
                    let ids: Vec<hir::InputId> = items
                        .iter()
                        .filter_map(|x| match x.kind {
                            ExprKind::Input(id) => Some(id),
                            _ => None,
                        })
                        .collect();
                    if ids.len() > 1 && !self.groups.contains(&ids) {
                        self.groups.push(ids);
                    }
                }
            }
            _ => {}
        }
        e.for_each_child(|c| self.expr(c));
    }
}

/// The inputs an expression may read, through derived values, outputs, the rules and
/// tables that set them, and their exceptions.
pub(crate) struct Deps<'a> {
    rs: &'a hir::Ruleset,
    lets: Vec<bool>,
    outputs: Vec<bool>,
    rules: Vec<bool>,
    pub inputs: BTreeSet<hir::InputId>,
}

impl<'a> Deps<'a> {
    pub fn new(rs: &'a hir::Ruleset) -> Deps<'a> {
        Deps {
            rs,
            lets: vec![false; rs.lets.len()],
            outputs: vec![false; rs.outputs.len()],
            rules: vec![false; rs.rules.len()],
            inputs: BTreeSet::new(),
        }
    }

    pub fn expr(&mut self, e: &hir::Expr) {
        match &e.kind {
            ExprKind::Input(id) => {
                self.inputs.insert(*id);
            }
            ExprKind::Let(id) => self.let_value(*id),
            ExprKind::Output(id) => self.output(*id),
            ExprKind::Param(id) => {
                if let Some(b) = self
                    .rs
                    .params
                    .get(id.0 as usize)
                    .and_then(|p| p.bound.as_ref())
                {
                    self.expr(b);
                }
            }
            _ => {}
        }
        e.for_each_child(|c| self.expr(c));
    }

    fn let_value(&mut self, id: hir::LetId) {
        let i = id.0 as usize;
        if self.lets.get(i).copied().unwrap_or(true) {
            return;
        }
        if let Some(seen) = self.lets.get_mut(i) {
            *seen = true;
        }
        if let Some(l) = self.rs.lets.get(i) {
            self.expr(&l.value);
        }
    }

    pub fn output(&mut self, id: hir::OutputId) {
        let i = id.0 as usize;
        if self.outputs.get(i).copied().unwrap_or(true) {
            return;
        }
        if let Some(seen) = self.outputs.get_mut(i) {
            *seen = true;
        }
        let rs = self.rs;
        let Some(o) = rs.outputs.get(i) else { return };
        match &o.value {
            hir::OutputValue::Computed(e) => self.expr(e),
            hir::OutputValue::Rules { default, .. } => {
                if let Some(e) = default {
                    self.expr(e);
                }
                for (r, rule) in rs.rules.iter().enumerate() {
                    if rule.actions.iter().any(|a| a.output == id) {
                        self.rule(r);
                    }
                }
                for t in &rs.tables {
                    if t.outputs.contains(&id) {
                        for c in &t.columns {
                            self.expr(c);
                        }
                        for row in &t.rows {
                            for cell in &row.cells {
                                if let CellTest::CompareExpr(_, e) = cell {
                                    self.expr(e);
                                }
                            }
                            for a in row.actions.iter().flatten() {
                                self.expr(&a.value);
                            }
                        }
                    }
                }
            }
        }
    }

    fn rule(&mut self, r: usize) {
        if self.rules.get(r).copied().unwrap_or(true) {
            return;
        }
        if let Some(seen) = self.rules.get_mut(r) {
            *seen = true;
        }
        let rs = self.rs;
        let Some(rule) = rs.rules.get(r) else { return };
        self.expr(&rule.condition);
        for a in &rule.actions {
            self.expr(&a.value);
        }
        for x in &rule.exceptions {
            self.rule(x.0 as usize);
        }
    }
}
