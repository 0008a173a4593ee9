//! Reachability: rules whose condition can never be true, and table rows that an earlier
//! row always takes first.
//!
//! A condition is turned into a formula over *atoms*, each a test of one variable (an
//! input, parameter, derived value or output) against a constant. A small search then looks
//! for values of the variables that make the formula true, tracking for each variable the
//! values still possible: a finite set for answers, conditions and enums, an interval for
//! numbers and dates, and whether the value may be unknown. Anything the formula cannot
//! express is "opaque" and assumed possible, so the analysis only ever reports a rule that
//! truly cannot fire. Conditions over a few answer, condition and enum inputs are also
//! checked by trying every combination of values.

use std::collections::{HashMap, HashSet};

use waymark_diagnostics::{Code, Diagnostic, Span};
use waymark_ir::{Answer, Decimal};

use crate::checker::Checker;
use crate::consts::{self, fold};
use crate::hir::{
    ArithOp, CellTest, CmpOp, Const, Expr, ExprKind, HitPolicy, InputId, IsTest, Range, Type,
};

/// A variable of the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Var {
    Input(u32),
    Param(u32),
    Let(u32),
    Output(u32),
}

/// A test of one variable; every test but `Known(false)` needs the value to be known.
#[derive(Clone, Debug)]
pub(crate) enum Test {
    /// Known (`true`) or unknown (`false`).
    Known(bool),
    /// One of these finite values (bit per value index).
    In(u128),
    /// Compared with a number (dates as day numbers, ints as whole numbers).
    Cmp(CmpOp, Decimal),
}

/// A condition as a formula over atoms; `Opaque` is anything the analysis cannot see into.
#[derive(Clone, Debug)]
pub(crate) enum F {
    True,
    False,
    Opaque,
    Atom(Var, Test),
    And(Vec<F>),
    Or(Vec<F>),
}

/// The values a variable may still have.
#[derive(Clone, Debug)]
struct Dom {
    may_unknown: bool,
    may_known: bool,
    known: Known,
}

#[derive(Clone, Debug)]
enum Known {
    /// Nothing is tracked about the value.
    Any,
    /// A bit per possible value.
    Finite(u128),
    /// An interval, with excluded points.
    Num {
        lo: Option<(Decimal, bool)>,
        hi: Option<(Decimal, bool)>,
        ne: Vec<Decimal>,
        whole: bool,
    },
}

/// The most values an enum may have for its variables to be tracked.
const MAX_FINITE: usize = 127;
/// The deepest the search branches before it gives up (and assumes the condition possible).
const MAX_DEPTH: u32 = 48;

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

fn bits_upto(n: usize) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

/// A constant as a number on the line its variable lives on.
fn num(c: &Const) -> Option<Decimal> {
    match c {
        Const::Int(v) => Some(Decimal::from(*v)),
        Const::Number(d) => Some(*d),
        Const::Date(d) => Some(Decimal::from(d.0)),
        _ => None,
    }
}

/// The index of a finite constant: answers no = 0, yes = 1; conditions false = 0, true = 1.
fn finite_index(c: &Const) -> Option<u32> {
    match c {
        Const::Answer(Answer::No) | Const::Bool(false) => Some(0),
        Const::Answer(Answer::Yes) | Const::Bool(true) => Some(1),
        Const::Enum(_, i) => Some(*i),
        _ => None,
    }
}

/// The expression inside a `x + 0.0` widening, which does not change which values compare.
fn unwiden(e: &Expr) -> &Expr {
    if let ExprKind::Arith(ArithOp::Add, a, b) = &e.kind
        && a.ty == Type::Int
        && matches!(b.kind, ExprKind::Const(Const::Number(z)) if z.is_zero())
    {
        return a;
    }
    e
}

fn and(items: Vec<F>) -> F {
    F::And(items)
}

fn or(items: Vec<F>) -> F {
    F::Or(items)
}

/// How a variable's values are tracked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Finite(usize),
    Num { whole: bool },
    None,
}

impl Checker<'_> {
    fn var_of(&self, e: &Expr) -> Option<(Var, Kind)> {
        let e = unwiden(e);
        let var = match &e.kind {
            ExprKind::Input(i) => Var::Input(i.0),
            ExprKind::Param(p) => Var::Param(p.0),
            ExprKind::Let(l) => Var::Let(l.0),
            ExprKind::Output(o) => Var::Output(o.0),
            _ => return None,
        };
        Some((var, self.kind_of(&e.ty)))
    }

    fn kind_of(&self, t: &Type) -> Kind {
        match t {
            Type::Answer | Type::Bool => Kind::Finite(2),
            Type::Enum(e) => match self.enums.get(e.0 as usize) {
                Some(d) if d.variants.len() <= MAX_FINITE => Kind::Finite(d.variants.len()),
                _ => Kind::None,
            },
            Type::Int | Type::Date => Kind::Num { whole: true },
            Type::Number => Kind::Num { whole: false },
            _ => Kind::None,
        }
    }

    /// The formula for "`e` is true" (`want` = true) or "`e` is false" (`want` = false).
    pub(crate) fn formula(&self, e: &Expr, want: bool, opaque: &mut bool) -> F {
        match &e.kind {
            ExprKind::Const(c) => return truth_formula(c, want),
            ExprKind::Not(x) => return self.formula(x, !want, opaque),
            ExprKind::And(a, b) => {
                let (x, y) = (self.formula(a, want, opaque), self.formula(b, want, opaque));
                return if want {
                    and(vec![x, y])
                } else {
                    or(vec![x, y])
                };
            }
            ExprKind::Or(a, b) => {
                let (x, y) = (self.formula(a, want, opaque), self.formula(b, want, opaque));
                return if want {
                    or(vec![x, y])
                } else {
                    and(vec![x, y])
                };
            }
            ExprKind::Implies(a, b) => {
                return if want {
                    or(vec![
                        self.formula(a, false, opaque),
                        self.formula(b, true, opaque),
                    ])
                } else {
                    and(vec![
                        self.formula(a, true, opaque),
                        self.formula(b, false, opaque),
                    ])
                };
            }
            ExprKind::If(c, a, b) => {
                let ct = self.formula(c, true, opaque);
                let cf = self.formula(c, false, opaque);
                let at = self.formula(a, want, opaque);
                let bt = self.formula(b, want, opaque);
                return or(vec![
                    and(vec![ct, at.clone()]),
                    and(vec![cf, bt.clone()]),
                    and(vec![at, bt]),
                ]);
            }
            _ => {}
        }
        if let Some(c) = fold(e) {
            return truth_formula(&c, want);
        }
        let f = self.atom_formula(e, want);
        if matches!(f, F::Opaque) {
            *opaque = true;
        }
        f
    }

    fn atom_formula(&self, e: &Expr, want: bool) -> F {
        match &e.kind {
            ExprKind::Input(_) | ExprKind::Param(_) | ExprKind::Let(_) | ExprKind::Output(_)
                if e.ty == Type::Bool =>
            {
                let Some((v, _)) = self.var_of(e) else {
                    return F::Opaque;
                };
                F::Atom(v, Test::In(if want { 0b10 } else { 0b01 }))
            }
            ExprKind::Is(x, test) => {
                let Some((v, kind)) = self.var_of(x) else {
                    return F::Opaque;
                };
                match test {
                    IsTest::Known => F::Atom(v, Test::Known(want)),
                    IsTest::Unknown => F::Atom(v, Test::Known(!want)),
                    IsTest::Yes | IsTest::No if kind == Kind::Finite(2) => {
                        let bit = if *test == IsTest::Yes { 0b10 } else { 0b01 };
                        if want {
                            F::Atom(v, Test::In(bit))
                        } else {
                            or(vec![
                                F::Atom(v, Test::Known(false)),
                                F::Atom(v, Test::In(0b11 & !bit)),
                            ])
                        }
                    }
                    _ => F::Opaque,
                }
            }
            ExprKind::Cmp(op, a, b) => {
                let (var, op, c) = match (self.var_of(a), fold(b), self.var_of(b), fold(a)) {
                    (Some(v), Some(c), _, _) => (v, *op, c),
                    (_, _, Some(v), Some(c)) => (v, flip(*op), c),
                    _ => return F::Opaque,
                };
                if matches!(c, Const::Unknown) {
                    return F::False;
                }
                let op = if want { op } else { negate(op) };
                self.cmp_atom(var, op, &c)
            }
            ExprKind::In(x, coll) => {
                let Some((v, kind)) = self.var_of(x) else {
                    return F::Opaque;
                };
                let Some(c) = fold(coll) else {
                    return F::Opaque;
                };
                match (kind, c) {
                    (Kind::Finite(n), Const::Set(_, bits)) => {
                        let mask = u128::from(bits) & bits_upto(n);
                        F::Atom(v, Test::In(if want { mask } else { bits_upto(n) & !mask }))
                    }
                    (_, Const::List(items))
                        if items.iter().all(|i| !matches!(i, Const::Unknown)) =>
                    {
                        let op = if want { CmpOp::Eq } else { CmpOp::Ne };
                        let atoms: Vec<F> = items
                            .iter()
                            .map(|c| self.cmp_atom((v, kind), op, c))
                            .collect();
                        if want { or(atoms) } else { and(atoms) }
                    }
                    _ => F::Opaque,
                }
            }
            _ => F::Opaque,
        }
    }

    fn cmp_atom(&self, (v, kind): (Var, Kind), op: CmpOp, c: &Const) -> F {
        match kind {
            Kind::Finite(n) => {
                let Some(i) = finite_index(c) else {
                    return F::Opaque;
                };
                let all = bits_upto(n);
                let at = |k: u32| if k < 128 { 1u128 << k } else { 0 };
                let below = |k: u32| {
                    if k >= 128 {
                        all
                    } else {
                        at(k).wrapping_sub(1) & all
                    }
                };
                let mask = match op {
                    CmpOp::Eq => at(i),
                    CmpOp::Ne => all & !at(i),
                    CmpOp::Lt => below(i),
                    CmpOp::Le => below(i) | at(i),
                    CmpOp::Gt => all & !(below(i) | at(i)),
                    CmpOp::Ge => all & !below(i),
                };
                F::Atom(v, Test::In(mask & all))
            }
            Kind::Num { .. } => match num(c) {
                Some(d) => F::Atom(v, Test::Cmp(op, d)),
                None => F::Opaque,
            },
            Kind::None => F::Opaque,
        }
    }

    /// The values a variable can have before any test.
    fn initial(&self, v: Var) -> Dom {
        let (ty, range, may_unknown): (Option<&Type>, Option<&Range>, bool) = match v {
            Var::Input(i) => match self.inputs.get(i as usize) {
                Some(d) => (
                    Some(&d.ty),
                    d.range.as_ref(),
                    // Even a required input may be left out of a test's facts.
                    true,
                ),
                None => (None, None, true),
            },
            Var::Param(p) => match self.params.get(p as usize) {
                Some(d) => (Some(&d.ty), d.range.as_ref(), false),
                None => (None, None, true),
            },
            Var::Let(l) => (self.lets.get(l as usize).map(|d| &d.ty), None, true),
            Var::Output(o) => (self.outputs.get(o as usize).map(|d| &d.ty), None, true),
        };
        let known = match ty.map(|t| self.kind_of(t)) {
            Some(Kind::Finite(n)) => Known::Finite(bits_upto(n)),
            Some(Kind::Num { whole }) => Known::Num {
                lo: range
                    .and_then(|r| r.lo.as_ref())
                    .and_then(num)
                    .map(|d| (d, false)),
                hi: range
                    .and_then(|r| r.hi.as_ref())
                    .and_then(num)
                    .map(|d| (d, false)),
                ne: Vec::new(),
                whole,
            },
            _ => Known::Any,
        };
        Dom {
            may_unknown,
            may_known: true,
            known,
        }
    }

    /// Whether some values make the formula true (`true` also when the search gives up).
    pub(crate) fn satisfiable(&mut self, goals: Vec<&F>, conflicts: &mut HashSet<Var>) -> bool {
        let mut env: HashMap<Var, Dom> = HashMap::new();
        self.search(goals, &mut env, conflicts, 0)
    }

    fn search(
        &mut self,
        mut goals: Vec<&F>,
        env: &mut HashMap<Var, Dom>,
        conflicts: &mut HashSet<Var>,
        depth: u32,
    ) -> bool {
        let mut choices: Vec<&F> = Vec::new();
        while let Some(g) = goals.pop() {
            if self.analysis_budget == 0 {
                return true;
            }
            self.analysis_budget -= 1;
            match g {
                F::True | F::Opaque => {}
                F::False => return false,
                F::And(items) => goals.extend(items.iter()),
                F::Or(_) => choices.push(g),
                F::Atom(v, t) => {
                    let dom = env.entry(*v).or_insert_with(|| self.initial(*v));
                    apply(dom, t);
                    if empty(dom) {
                        conflicts.insert(*v);
                        return false;
                    }
                }
            }
        }
        let Some(first) = choices.pop() else {
            return true;
        };
        if depth >= MAX_DEPTH {
            return true;
        }
        let F::Or(alternatives) = first else {
            return true;
        };
        for alt in alternatives {
            let mut branch = env.clone();
            let mut next: Vec<&F> = choices.clone();
            next.push(alt);
            if self.search(next, &mut branch, conflicts, depth + 1) {
                return true;
            }
        }
        false
    }

    fn var_name(&self, v: Var) -> String {
        match v {
            Var::Input(i) => self.inputs.get(i as usize).map(|d| d.name.clone()),
            Var::Param(p) => self.params.get(p as usize).map(|d| d.name.clone()),
            Var::Let(l) => self.lets.get(l as usize).map(|d| d.name.clone()),
            Var::Output(o) => self.outputs.get(o as usize).map(|d| d.name.clone()),
        }
        .unwrap_or_default()
    }

    /// Reports rules that can never fire and table rows that can never be used.
    pub(crate) fn check_reachability(&mut self) {
        for r in 0..self.rules.len() {
            let Some(rule) = self.rules.get(r) else {
                continue;
            };
            let condition = rule.condition.clone();
            let Some(meta) = self.rule_meta.get(r) else {
                continue;
            };
            if !meta.ok {
                continue;
            }
            let (inst, decl) = (meta.inst, meta.decl);
            let mut opaque = false;
            let f = self.formula(&condition, true, &mut opaque);
            let mut conflicts = HashSet::new();
            let reason = if matches!(fold(&condition), Some(Const::Bool(false) | Const::Unknown)) {
                Some("the condition is always false or unknown".to_string())
            } else if !self.satisfiable(vec![&f], &mut conflicts) {
                let mut names: Vec<String> = conflicts
                    .iter()
                    .map(|v| format!("`{}`", self.var_name(*v)))
                    .collect();
                names.sort();
                Some(match names.as_slice() {
                    [one] => format!("no value of {one} passes all of its tests at once"),
                    [] => "its tests contradict each other".to_string(),
                    many => format!(
                        "no values of {} pass all of its tests at once",
                        many.join(", ")
                    ),
                })
            } else if opaque {
                self.enumerate(&condition)
            } else {
                None
            };
            if let Some(reason) = reason {
                let kind = if decl.exception_to.is_some() {
                    "exception"
                } else {
                    "rule"
                };
                self.emit(
                    inst,
                    never_fires(decl.condition.span, kind, &decl.name.name, &reason),
                );
            }
        }
        self.check_rows();
    }

    /// Tries every combination of values of the inputs a condition reads, when they are few
    /// answers, conditions and enum values; the reason it can never be true, if it cannot.
    fn enumerate(&mut self, condition: &Expr) -> Option<String> {
        let mut inputs: Vec<InputId> = Vec::new();
        let mut other = false;
        let mut size = 0u64;
        crate::order::visit(condition, &mut |x| {
            size += 1;
            match &x.kind {
                ExprKind::Input(i) if !inputs.contains(i) => {
                    inputs.push(*i);
                }
                ExprKind::Param(_) | ExprKind::Let(_) | ExprKind::Output(_) => other = true,
                _ => {}
            }
        });
        if other || inputs.is_empty() || inputs.len() > 16 {
            return None;
        }
        let mut domains: Vec<Vec<Const>> = Vec::new();
        let mut combos: u64 = 1;
        for i in &inputs {
            let def = self.inputs.get(i.0 as usize)?;
            let mut values = match &def.ty {
                Type::Answer => vec![
                    Const::Answer(Answer::Yes),
                    Const::Answer(Answer::No),
                    Const::Answer(Answer::Unknown),
                ],
                Type::Bool => vec![Const::Bool(true), Const::Bool(false)],
                Type::Enum(e) => {
                    let n = self.enums.get(e.0 as usize)?.variants.len();
                    if n > 16 {
                        return None;
                    }
                    (0..n as u32).map(|k| Const::Enum(*e, k)).collect()
                }
                _ => return None,
            };
            // Even a required input may be left out of a test's facts.
            if def.ty != Type::Answer {
                values.push(Const::Unknown);
            }
            combos = combos.checked_mul(values.len() as u64)?;
            domains.push(values);
        }
        if combos > 1 << 16 || combos.saturating_mul(size) > self.analysis_budget {
            return None;
        }
        self.analysis_budget -= combos.saturating_mul(size);
        let mut env: HashMap<InputId, Const> = HashMap::new();
        let mut counter = vec![0usize; domains.len()];
        for _ in 0..combos {
            for (k, i) in inputs.iter().enumerate() {
                let v = domains
                    .get(k)
                    .and_then(|d| d.get(counter.get(k).copied().unwrap_or(0)))
                    .cloned()
                    .unwrap_or(Const::Unknown);
                env.insert(*i, v);
            }
            match eval(condition, &env) {
                Some(Const::Bool(false) | Const::Unknown) => {}
                _ => return None,
            }
            for (k, c) in counter.iter_mut().enumerate() {
                *c += 1;
                if *c < domains.get(k).map_or(0, Vec::len) {
                    break;
                }
                *c = 0;
            }
        }
        let names: Vec<String> = inputs
            .iter()
            .filter_map(|i| self.inputs.get(i.0 as usize))
            .map(|d| format!("`{}`", d.name))
            .collect();
        Some(format!(
            "no combination of values of {} makes it true",
            names.join(", ")
        ))
    }

    /// The formula for "this row's cells all match".
    pub(crate) fn row_formula(&self, table: usize, row: usize) -> F {
        let Some(t) = self.tables.get(table) else {
            return F::Opaque;
        };
        let Some(r) = t.rows.get(row) else {
            return F::Opaque;
        };
        let mut parts = Vec::new();
        for (col, cell) in t.columns.iter().zip(&r.cells) {
            let Some(var) = self.var_of(col) else {
                continue;
            };
            let f = match cell {
                CellTest::Any | CellTest::CompareExpr(..) => continue,
                CellTest::OneOf(values) => {
                    if values
                        .iter()
                        .any(|c| matches!(c, Const::Unknown | Const::Answer(Answer::Unknown)))
                    {
                        continue;
                    }
                    or(values
                        .iter()
                        .map(|c| self.cmp_atom(var, CmpOp::Eq, c))
                        .collect())
                }
                CellTest::Compare(op, c) => {
                    if matches!(c, Const::Unknown | Const::Answer(Answer::Unknown)) {
                        continue;
                    }
                    self.cmp_atom(var, *op, c)
                }
                CellTest::Range(lo, hi) => and(vec![
                    self.cmp_atom(var, CmpOp::Ge, lo),
                    self.cmp_atom(var, CmpOp::Le, hi),
                ]),
            };
            parts.push(f);
        }
        and(parts)
    }

    /// Warns about rows of `hit first` tables that an earlier row always matches first.
    fn check_rows(&mut self) {
        for t in 0..self.tables.len() {
            let Some(table) = self.tables.get(t) else {
                continue;
            };
            if table.hit != HitPolicy::First {
                continue;
            }
            let rows: Vec<(Vec<CellTest>, Span)> = table
                .rows
                .iter()
                .map(|r| (r.cells.clone(), r.loc.span))
                .collect();
            let width = table.columns.len();
            let Some(inst) = self.table_meta.get(t).filter(|m| m.ok).map(|m| m.inst) else {
                continue;
            };
            let name = self
                .table_meta
                .get(t)
                .map(|m| m.decl.name.name.clone())
                .unwrap_or_default();
            for (j, (later, span)) in rows.iter().enumerate() {
                if later.len() != width {
                    continue;
                }
                for (i, (earlier, earlier_span)) in rows.iter().enumerate().take(j) {
                    if self.analysis_budget < width as u64 {
                        return;
                    }
                    self.analysis_budget -= width as u64;
                    if earlier.len() == width
                        && earlier.iter().zip(later).all(|(a, b)| covers(a, b))
                    {
                        self.emit(
                            inst,
                            unreachable_row(*span, *earlier_span, &name, j + 1, i + 1),
                        );
                        break;
                    }
                }
            }
        }
    }
}

fn truth_formula(c: &Const, want: bool) -> F {
    match c {
        Const::Bool(b) if *b == want => F::True,
        Const::Bool(_) | Const::Unknown => F::False,
        _ => F::Opaque,
    }
}

fn apply(dom: &mut Dom, t: &Test) {
    match t {
        Test::Known(true) => dom.may_unknown = false,
        Test::Known(false) => dom.may_known = false,
        Test::In(mask) => {
            dom.may_unknown = false;
            if let Known::Finite(bits) = &mut dom.known {
                *bits &= *mask;
            }
        }
        Test::Cmp(op, d) => {
            dom.may_unknown = false;
            if let Known::Num { lo, hi, ne, .. } = &mut dom.known {
                let tighten_lo = |lo: &mut Option<(Decimal, bool)>, b: (Decimal, bool)| {
                    let better = match lo {
                        None => true,
                        Some((v, strict)) => b.0 > *v || (b.0 == *v && b.1 && !*strict),
                    };
                    if better {
                        *lo = Some(b);
                    }
                };
                let tighten_hi = |hi: &mut Option<(Decimal, bool)>, b: (Decimal, bool)| {
                    let better = match hi {
                        None => true,
                        Some((v, strict)) => b.0 < *v || (b.0 == *v && b.1 && !*strict),
                    };
                    if better {
                        *hi = Some(b);
                    }
                };
                match op {
                    CmpOp::Eq => {
                        tighten_lo(lo, (*d, false));
                        tighten_hi(hi, (*d, false));
                    }
                    CmpOp::Ne => ne.push(*d),
                    CmpOp::Lt => tighten_hi(hi, (*d, true)),
                    CmpOp::Le => tighten_hi(hi, (*d, false)),
                    CmpOp::Gt => tighten_lo(lo, (*d, true)),
                    CmpOp::Ge => tighten_lo(lo, (*d, false)),
                }
            }
        }
    }
}

fn empty(dom: &Dom) -> bool {
    if dom.may_unknown {
        return false;
    }
    if !dom.may_known {
        return true;
    }
    match &dom.known {
        Known::Any => false,
        Known::Finite(bits) => *bits == 0,
        Known::Num { lo, hi, ne, whole } => {
            if *whole {
                // Decimal arithmetic can overflow at its extremes: then assume values exist.
                let lo = match lo {
                    Some((v, true)) => v.floor().checked_add(Decimal::ONE),
                    Some((v, false)) => Some(v.ceil()),
                    None => None,
                };
                let hi = match hi {
                    Some((v, true)) => v.ceil().checked_sub(Decimal::ONE),
                    Some((v, false)) => Some(v.floor()),
                    None => None,
                };
                let (Some(l), Some(h)) = (lo, hi) else {
                    return false;
                };
                if l > h {
                    return true;
                }
                let Some(count) = h.checked_sub(l).and_then(|d| d.checked_add(Decimal::ONE)) else {
                    return false;
                };
                if count > Decimal::from(ne.len()) {
                    return false;
                }
                let mut x = l;
                while x <= h {
                    if !ne.contains(&x) {
                        return false;
                    }
                    match x.checked_add(Decimal::ONE) {
                        Some(next) => x = next,
                        None => return false,
                    }
                }
                true
            } else {
                match (lo, hi) {
                    (Some((l, ls)), Some((h, hs))) => {
                        l > h || (l == h && (*ls || *hs || ne.contains(l)))
                    }
                    _ => false,
                }
            }
        }
    }
}

/// True when every value that matches cell `b` also matches cell `a`.
fn covers(a: &CellTest, b: &CellTest) -> bool {
    match (a, b) {
        (CellTest::Any, _) => true,
        (_, CellTest::Any) => false,
        (CellTest::OneOf(xs), CellTest::OneOf(ys)) => ys
            .iter()
            .all(|y| xs.iter().any(|x| consts::equal(x, y) == Some(true))),
        (CellTest::CompareExpr(..), _) | (_, CellTest::CompareExpr(..)) => false,
        _ => match (intervals(a), intervals(b)) {
            (Some(xs), Some(ys)) => ys.iter().all(|y| xs.iter().any(|x| contains(x, y))),
            _ => false,
        },
    }
}

type Bound = Option<(Decimal, bool)>;

/// The values a numeric or ordered cell matches, as intervals (bound, strict).
fn intervals(c: &CellTest) -> Option<Vec<(Bound, Bound)>> {
    let key = |c: &Const| -> Option<Decimal> {
        match c {
            Const::Enum(_, i) => Some(Decimal::from(*i)),
            other => num(other),
        }
    };
    Some(match c {
        CellTest::OneOf(values) => values
            .iter()
            .map(|v| key(v).map(|d| (Some((d, false)), Some((d, false)))))
            .collect::<Option<Vec<_>>>()?,
        CellTest::Range(lo, hi) => vec![(Some((key(lo)?, false)), Some((key(hi)?, false)))],
        CellTest::Compare(op, c) => {
            let d = key(c)?;
            match op {
                CmpOp::Eq => vec![(Some((d, false)), Some((d, false)))],
                CmpOp::Ne => vec![(None, Some((d, true))), (Some((d, true)), None)],
                CmpOp::Lt => vec![(None, Some((d, true)))],
                CmpOp::Le => vec![(None, Some((d, false)))],
                CmpOp::Gt => vec![(Some((d, true)), None)],
                CmpOp::Ge => vec![(Some((d, false)), None)],
            }
        }
        _ => return None,
    })
}

/// True when interval `outer` contains interval `inner`.
fn contains(outer: &(Bound, Bound), inner: &(Bound, Bound)) -> bool {
    let lo_ok = match (outer.0, inner.0) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((o, os)), Some((i, is))) => o < i || (o == i && (!os || is)),
    };
    let hi_ok = match (outer.1, inner.1) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((o, os)), Some((i, is))) => o > i || (o == i && (!os || is)),
    };
    lo_ok && hi_ok
}

/// A small three-valued evaluator for conditions over inputs; `None` when it meets
/// something it does not evaluate.
fn eval(e: &Expr, env: &HashMap<InputId, Const>) -> Option<Const> {
    let truth = |c: &Const| match c {
        Const::Bool(b) => Some(*b),
        _ => None,
    };
    let tri = |v: Option<bool>| v.map_or(Const::Unknown, Const::Bool);
    Some(match &e.kind {
        ExprKind::Const(c) => c.clone(),
        ExprKind::Input(i) => env.get(i)?.clone(),
        ExprKind::Not(x) => tri(truth(&eval(x, env)?).map(|b| !b)),
        ExprKind::And(a, b) => {
            let (x, y) = (truth(&eval(a, env)?), truth(&eval(b, env)?));
            match (x, y) {
                (Some(false), _) | (_, Some(false)) => Const::Bool(false),
                (Some(true), Some(true)) => Const::Bool(true),
                _ => Const::Unknown,
            }
        }
        ExprKind::Or(a, b) => {
            let (x, y) = (truth(&eval(a, env)?), truth(&eval(b, env)?));
            match (x, y) {
                (Some(true), _) | (_, Some(true)) => Const::Bool(true),
                (Some(false), Some(false)) => Const::Bool(false),
                _ => Const::Unknown,
            }
        }
        ExprKind::Implies(a, b) => {
            let (x, y) = (truth(&eval(a, env)?), truth(&eval(b, env)?));
            match (x, y) {
                (Some(false), _) | (_, Some(true)) => Const::Bool(true),
                (Some(true), Some(false)) => Const::Bool(false),
                _ => Const::Unknown,
            }
        }
        ExprKind::Cmp(op, a, b) => {
            let (x, y) = (eval(a, env)?, eval(b, env)?);
            if matches!(x, Const::Unknown | Const::Answer(Answer::Unknown))
                || matches!(y, Const::Unknown | Const::Answer(Answer::Unknown))
            {
                Const::Unknown
            } else {
                tri(consts::cmp(*op, &x, &y))
            }
        }
        ExprKind::Is(x, test) => {
            let v = eval(x, env)?;
            let unknown = matches!(v, Const::Unknown | Const::Answer(Answer::Unknown));
            match test {
                IsTest::Known => Const::Bool(!unknown),
                IsTest::Unknown => Const::Bool(unknown),
                IsTest::Yes => Const::Bool(v == Const::Answer(Answer::Yes)),
                IsTest::No => Const::Bool(v == Const::Answer(Answer::No)),
                IsTest::Empty => return None,
            }
        }
        ExprKind::In(x, coll) => {
            let v = eval(x, env)?;
            match (v, eval(coll, env)?) {
                (Const::Unknown, _) => Const::Unknown,
                (Const::Enum(_, i), Const::Set(_, bits)) => {
                    Const::Bool(i < 64 && bits & (1 << i) != 0)
                }
                _ => return None,
            }
        }
        ExprKind::If(c, a, b) => match truth(&eval(c, env)?) {
            Some(true) => eval(a, env)?,
            Some(false) => eval(b, env)?,
            None => {
                let (x, y) = (eval(a, env)?, eval(b, env)?);
                if x == y { x } else { Const::Unknown }
            }
        },
        ExprKind::List(items) => Const::List(
            items
                .iter()
                .map(|i| eval(i, env))
                .collect::<Option<Vec<_>>>()?,
        ),
        ExprKind::CountValue(what, list) => {
            let Const::List(items) = eval(list, env)? else {
                return None;
            };
            let want = match what {
                crate::hir::CountValue::Yes => Const::Answer(Answer::Yes),
                crate::hir::CountValue::No => Const::Answer(Answer::No),
                crate::hir::CountValue::Unknown => Const::Answer(Answer::Unknown),
                crate::hir::CountValue::True => Const::Bool(true),
                crate::hir::CountValue::False => Const::Bool(false),
            };
            let n = items
                .iter()
                .filter(|i| {
                    **i == want
                        || (matches!(want, Const::Answer(Answer::Unknown)) && **i == Const::Unknown)
                })
                .count();
            Const::Int(n as i64)
        }
        ExprKind::Arith(..) | ExprKind::Neg(_) | ExprKind::Min(_) | ExprKind::Max(_) => {
            // Fold with the inputs replaced by their values.
            let mut copy = e.clone();
            substitute(&mut copy, env);
            fold(&copy)?
        }
        _ => return None,
    })
}

fn substitute(e: &mut Expr, env: &HashMap<InputId, Const>) {
    if let ExprKind::Input(i) = &e.kind {
        if let Some(c) = env.get(i) {
            e.kind = ExprKind::Const(c.clone());
        }
        return;
    }
    match &mut e.kind {
        ExprKind::Neg(x) => substitute(x, env),
        ExprKind::Arith(_, a, b) => {
            substitute(a, env);
            substitute(b, env);
        }
        ExprKind::Min(items) | ExprKind::Max(items) | ExprKind::List(items) => {
            items.iter_mut().for_each(|i| substitute(i, env))
        }
        ExprKind::CountValue(_, x) => substitute(x, env),
        _ => {}
    }
}

fn never_fires(span: Span, kind: &str, name: &str, reason: &str) -> Diagnostic {
    Diagnostic::new(Code::NeverFires, format!("the {kind} `{name}` can never fire: {reason}"))
        .with_primary(span, "never true")
        .with_help(format!("as written the {kind} does nothing: check the numbers and the `and`/`or` in its condition, or remove it"))
}

fn unreachable_row(span: Span, earlier: Span, table: &str, row: usize, by: usize) -> Diagnostic {
    Diagnostic::new(Code::UnreachableRow, format!("row {row} of the table `{table}` is never used: row {by} matches every case it matches"))
        .with_primary(span, "never reached")
        .with_label(earlier, format!("row {by} comes first"))
        .with_help(format!("in a `hit first` table the first matching row wins: remove row {row}, or move it above row {by}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_number_domains_know_their_gaps() {
        let d = Dom {
            may_unknown: false,
            may_known: true,
            known: Known::Num {
                lo: Some((Decimal::from(5), true)),
                hi: Some((Decimal::from(6), true)),
                ne: vec![],
                whole: true,
            },
        };
        assert!(empty(&d));
        let d = Dom {
            may_unknown: false,
            may_known: true,
            known: Known::Num {
                lo: Some((Decimal::from(5), false)),
                hi: Some((Decimal::from(6), false)),
                ne: vec![Decimal::from(5), Decimal::from(6)],
                whole: true,
            },
        };
        assert!(empty(&d));
    }

    #[test]
    fn cells_cover_narrower_cells() {
        let any = CellTest::Any;
        let ge10 = CellTest::Compare(CmpOp::Ge, Const::Int(10));
        let r = CellTest::Range(Const::Int(12), Const::Int(14));
        assert!(covers(&any, &ge10));
        assert!(covers(&ge10, &r));
        assert!(!covers(&r, &ge10));
        assert!(!covers(&ge10, &any));
        let ab = CellTest::OneOf(vec![Const::Int(1), Const::Int(2)]);
        assert!(covers(&ab, &CellTest::OneOf(vec![Const::Int(2)])));
    }
}
