//! Symbolic evaluation: every value is a partition of the input space into concrete
//! values, each cell guarded by a BDD over the input variables and atoms.
//!
//! [`Mgr`] owns the BDD variables: the bits of every finite input (shared by name between
//! the rulesets analysed together) and a pool for atoms. [`Eval`] walks one checked
//! ruleset with its parameters bound, following the reference semantics, and remembers
//! every derived value, rule, table and output it computes. Anything it cannot represent
//! within the limits is an error (a reason), which only the values that depend on it
//! inherit.

use std::collections::HashMap;
use std::sync::Arc;

use biodivine_lib_bdd::{Bdd, BddVariable, BddVariableSet, op_function};
use waymark_check::hir::{
    self, CellTest, CmpOp, Combine, Const, CountValue, Expr, ExprKind, HitPolicy, IsTest, OutputId,
    OutputValue, ParamId, RuleId, SetOp, TableId, Type,
};
use waymark_ir::Answer;

use crate::Limits;
use crate::concrete::{self as c, Opaque, Val};
use crate::render;

/// A result whose error is a readable reason.
pub(crate) type R<T> = Result<T, String>;

/// How an input is represented.
#[derive(Clone, Debug)]
pub(crate) enum Enc {
    /// A finite domain: value `i` is the binary number `i` on `bits`.
    Finite {
        bits: Vec<BddVariable>,
        values: Vec<Val>,
        /// Each value as it is written in facts (`null` for unknown).
        json: Vec<serde_json::Value>,
        /// Each value as text.
        words: Vec<String>,
    },
    /// A set of a small enum: one bit per value, and a known bit when optional.
    Bits {
        known: Option<BddVariable>,
        bits: Vec<BddVariable>,
        names: Vec<String>,
    },
    /// Anything else: only whether it is given is a variable.
    Opaque {
        known: Option<BddVariable>,
        make_as: Gen,
    },
}

/// What kind of value to make up for an opaque input.
#[derive(Clone, Debug)]
pub(crate) enum Gen {
    Date,
    Int(i64, i64),
    Number,
    Text,
    Bool,
    Answer,
    Enum(Vec<String>),
    List(Box<Gen>),
}

/// An input shared by name.
#[derive(Clone, Debug)]
pub(crate) struct InputEnc {
    pub name: String,
    pub enc: Enc,
    pub answer: bool,
}

/// An atom: a condition on opaque inputs, as a fresh three-valued variable.
#[derive(Clone, Debug)]
pub(crate) struct AtomVar {
    pub text: String,
    pub t: BddVariable,
    pub u: Option<BddVariable>,
}

/// A symbolic value.
#[derive(Clone, Debug)]
pub(crate) enum Sv {
    /// A partition: disjoint cells, each a value and the condition under which it holds.
    P(Vec<(Val, Bdd)>),
    /// A list written out element by element.
    L(Vec<Sv>),
    /// A set, bit by bit: `known` where it is known, and each element's condition there.
    S { known: Bdd, bits: Vec<Bdd> },
}

/// What one cell of a lifted operation gives.
pub(crate) enum Res {
    V(Val),
    Atom(String, bool),
}

/// The BDD variables and the limits.
pub(crate) struct Mgr {
    pub vars: BddVariableSet,
    pool: Vec<BddVariable>,
    next: usize,
    pub limits: Limits,
    pub inputs: Vec<InputEnc>,
    index: HashMap<String, usize>,
    pub atoms: Vec<AtomVar>,
    atom_index: HashMap<String, usize>,
    /// Inputs declared differently by the rulesets.
    pub conflicts: Vec<String>,
    /// Valid encodings of every finite input.
    pub domain: Bdd,
    /// How many variables encode finite inputs.
    pub finite_bits: usize,
    ops: std::cell::Cell<u64>,
    tt: Bdd,
    ff: Bdd,
}

fn bits_for(n: usize) -> usize {
    let mut b = 0;
    while (1usize << b) < n {
        b += 1;
    }
    b
}

fn gen_of(rs: &hir::Ruleset, ty: &Type, range: Option<&hir::Range>) -> Gen {
    let bound = |c: Option<&Const>| match c {
        Some(Const::Int(i)) => Some(*i),
        _ => None,
    };
    match ty {
        Type::Date => Gen::Date,
        Type::Int | Type::Duration => {
            let lo = range.and_then(|r| bound(r.lo.as_ref())).unwrap_or(0);
            let hi = range
                .and_then(|r| bound(r.hi.as_ref()))
                .unwrap_or(lo.saturating_add(60));
            Gen::Int(lo, hi.max(lo))
        }
        Type::Number => Gen::Number,
        Type::Text => Gen::Text,
        Type::Bool => Gen::Bool,
        Type::Answer => Gen::Answer,
        Type::Enum(e) | Type::Set(e) => Gen::Enum(
            rs.enums
                .get(e.0 as usize)
                .map(|d| d.variants.iter().map(|v| v.name.clone()).collect())
                .unwrap_or_default(),
        ),
        Type::List(inner) => Gen::List(Box::new(gen_of(rs, inner, range))),
    }
}

fn variant_names(rs: &hir::Ruleset, e: hir::EnumId) -> Vec<String> {
    rs.enums
        .get(e.0 as usize)
        .map(|d| d.variants.iter().map(|v| v.name.clone()).collect())
        .unwrap_or_default()
}

/// A plan for one input, before variables exist.
enum Plan {
    Finite(Vec<Val>, Vec<serde_json::Value>, Vec<String>),
    Bits(bool, Vec<String>),
    Opaque(bool, Gen),
}

fn plan(rs: &hir::Ruleset, input: &hir::InputDef, limits: &Limits) -> Plan {
    use serde_json::Value as Json;
    let optional = input.optional || input.ty == Type::Answer;
    let mut values = Vec::new();
    let mut json = Vec::new();
    let mut words = Vec::new();
    if optional {
        values.push(Val::Unknown);
        json.push(Json::Null);
        words.push("unknown".to_string());
    }
    match &input.ty {
        Type::Answer => {
            for a in [Answer::No, Answer::Yes] {
                values.push(Val::Answer(a));
                json.push(Json::String(a.word().into()));
                words.push(a.word().into());
            }
        }
        Type::Bool => {
            for b in [false, true] {
                values.push(Val::Bool(b));
                json.push(Json::Bool(b));
                words.push(b.to_string());
            }
        }
        Type::Enum(e) if variant_names(rs, *e).len() <= limits.max_int_domain => {
            for (i, name) in variant_names(rs, *e).into_iter().enumerate() {
                values.push(Val::Enum(i as u32));
                json.push(Json::String(name.clone()));
                words.push(name);
            }
        }
        Type::Int => {
            let r = input.range.as_ref();
            let lo = r.and_then(|r| r.lo.as_ref());
            let hi = r.and_then(|r| r.hi.as_ref());
            match (lo, hi) {
                (Some(Const::Int(lo)), Some(Const::Int(hi)))
                    if *hi >= *lo && hi.saturating_sub(*lo) < limits.max_int_domain as i64 =>
                {
                    for i in *lo..=*hi {
                        values.push(Val::Int(i));
                        json.push(Json::from(i));
                        words.push(i.to_string());
                    }
                }
                _ => return Plan::Opaque(optional, gen_of(rs, &input.ty, input.range.as_ref())),
            }
        }
        Type::Set(e) if variant_names(rs, *e).len() <= limits.max_set_variants => {
            return Plan::Bits(optional, variant_names(rs, *e));
        }
        _ => return Plan::Opaque(optional, gen_of(rs, &input.ty, input.range.as_ref())),
    }
    Plan::Finite(values, json, words)
}

fn signature(rs: &hir::Ruleset, input: &hir::InputDef) -> String {
    let names = match &input.ty {
        Type::Enum(e) | Type::Set(e) => variant_names(rs, *e).join(","),
        Type::List(inner) => match inner.as_ref() {
            Type::Enum(e) => variant_names(rs, *e).join(","),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let range = input.range.as_ref().map(|r| {
        let show = |c: &Option<Const>| {
            c.as_ref()
                .map(|c| render::constant(rs, c))
                .unwrap_or_default()
        };
        format!("{}..{}", show(&r.lo), show(&r.hi))
    });
    format!(
        "{}{} {{{names}}} {}",
        if input.optional { "optional " } else { "" },
        render::ty(rs, &input.ty),
        range.unwrap_or_default()
    )
}

impl Mgr {
    /// Variables for the inputs of these rulesets (shared by name) and a pool of atoms.
    pub(crate) fn new(rulesets: &[&hir::Ruleset], limits: Limits) -> R<Mgr> {
        let mut plans: Vec<(String, Plan, bool, bool, String)> = Vec::new();
        let mut conflicts = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for rs in rulesets {
            for input in &rs.inputs {
                let sig = signature(rs, input);
                if let Some(&i) = seen.get(&input.name) {
                    if plans.get(i).is_some_and(|p| p.4 != sig) {
                        conflicts.push(format!(
                            "input `{}` is declared differently (`{}` and `{sig}`)",
                            input.name,
                            plans.get(i).map(|p| p.4.as_str()).unwrap_or_default()
                        ));
                    }
                    continue;
                }
                seen.insert(input.name.clone(), plans.len());
                let optional = input.optional || input.ty == Type::Answer;
                plans.push((
                    input.name.clone(),
                    plan(rs, input, &limits),
                    input.ty == Type::Answer,
                    !optional,
                    sig,
                ));
            }
        }
        let mut needed = 0usize;
        for p in &plans {
            needed += match &p.1 {
                Plan::Finite(v, ..) => bits_for(v.len()),
                Plan::Bits(opt, names) => names.len() + usize::from(*opt),
                Plan::Opaque(opt, _) => usize::from(*opt),
            };
        }
        let total = needed + 2 * limits.max_atoms;
        let total = u16::try_from(total).map_err(|_| {
            format!("the rulesets need {total} decision variables, more than can be handled")
        })?;
        let vars = BddVariableSet::new_anonymous(total.max(1));
        let pool = vars.variables();
        let tt = vars.mk_true();
        let ff = vars.mk_false();
        let mut m = Mgr {
            domain: tt.clone(),
            tt,
            ff,
            vars,
            pool,
            next: 0,
            limits,
            inputs: Vec::new(),
            index: HashMap::new(),
            atoms: Vec::new(),
            atom_index: HashMap::new(),
            conflicts,
            finite_bits: 0,
            ops: std::cell::Cell::new(0),
        };
        let mut opaque_known = Vec::new();
        for (name, p, answer, _, _) in plans {
            let enc = match p {
                Plan::Finite(values, json, words) => {
                    let bits = (0..bits_for(values.len()))
                        .map(|_| m.fresh())
                        .collect::<R<Vec<_>>>()?;
                    m.finite_bits += bits.len();
                    Enc::Finite {
                        bits,
                        values,
                        json,
                        words,
                    }
                }
                Plan::Bits(optional, names) => {
                    let known = if optional { Some(m.fresh()?) } else { None };
                    let bits = names.iter().map(|_| m.fresh()).collect::<R<Vec<_>>>()?;
                    m.finite_bits += bits.len() + usize::from(optional);
                    Enc::Bits { known, bits, names }
                }
                Plan::Opaque(optional, make_as) => {
                    let known = if optional { Some(m.fresh()?) } else { None };
                    opaque_known.extend(known);
                    Enc::Opaque { known, make_as }
                }
            };
            m.index.insert(name.clone(), m.inputs.len());
            m.inputs.push(InputEnc { name, enc, answer });
        }
        let mut domain = m.tt.clone();
        for input in &m.inputs {
            if let Enc::Finite { bits, values, .. } = &input.enc {
                let mut valid = m.ff.clone();
                for i in 0..values.len() {
                    valid = valid.or(&m.cube(bits, i));
                }
                domain = m.and(&domain, &valid)?;
            }
        }
        m.domain = domain;
        Ok(m)
    }

    fn fresh(&mut self) -> R<BddVariable> {
        let v = self.pool.get(self.next).copied().ok_or_else(|| {
            format!(
                "more than {} conditions on dates, lists, texts or numbers",
                self.limits.max_atoms
            )
        })?;
        self.next += 1;
        Ok(v)
    }

    pub(crate) fn tt(&self) -> Bdd {
        self.tt.clone()
    }

    pub(crate) fn ff(&self) -> Bdd {
        self.ff.clone()
    }

    /// The condition that `bits` spell the number `i`.
    pub(crate) fn cube(&self, bits: &[BddVariable], i: usize) -> Bdd {
        let lits: Vec<(BddVariable, bool)> = bits
            .iter()
            .enumerate()
            .map(|(b, v)| (*v, (i >> b) & 1 == 1))
            .collect();
        self.tt.select(&lits)
    }

    fn limit(&self) -> String {
        format!(
            "a condition grew past {} BDD nodes",
            self.limits.max_bdd_nodes
        )
    }

    fn count_op(&self) -> R<()> {
        let n = self.ops.get() + 1;
        self.ops.set(n);
        if n > self.limits.max_bdd_operations {
            return Err(format!(
                "the analysis needed more than {} BDD operations",
                self.limits.max_bdd_operations
            ));
        }
        Ok(())
    }

    pub(crate) fn and(&self, a: &Bdd, b: &Bdd) -> R<Bdd> {
        self.count_op()?;
        Bdd::binary_op_with_limit(self.limits.max_bdd_nodes, a, b, op_function::and)
            .ok_or_else(|| self.limit())
    }

    pub(crate) fn or(&self, a: &Bdd, b: &Bdd) -> R<Bdd> {
        self.count_op()?;
        Bdd::binary_op_with_limit(self.limits.max_bdd_nodes, a, b, op_function::or)
            .ok_or_else(|| self.limit())
    }

    pub(crate) fn and_not(&self, a: &Bdd, b: &Bdd) -> R<Bdd> {
        self.count_op()?;
        Bdd::binary_op_with_limit(self.limits.max_bdd_nodes, a, b, op_function::and_not)
            .ok_or_else(|| self.limit())
    }

    pub(crate) fn input(&self, name: &str) -> Option<&InputEnc> {
        self.index.get(name).and_then(|i| self.inputs.get(*i))
    }

    fn input_sv(&self, name: &str) -> R<Sv> {
        let input = self
            .input(name)
            .ok_or_else(|| format!("input `{name}` has no variables"))?;
        Ok(match &input.enc {
            Enc::Finite { bits, values, .. } => Sv::P(
                values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.clone(), self.cube(bits, i)))
                    .collect(),
            ),
            Enc::Bits { known, bits, .. } => Sv::S {
                known: known.map_or_else(|| self.tt(), |k| self.vars.mk_var(k)),
                bits: bits.iter().map(|b| self.vars.mk_var(*b)).collect(),
            },
            Enc::Opaque { known, .. } => {
                let o = Val::Opaque(Arc::new(Opaque {
                    text: name.to_string(),
                    prec: render::PRIMARY,
                }));
                match known {
                    Some(k) => Sv::P(vec![
                        (o, self.vars.mk_var(*k)),
                        (Val::Unknown, self.vars.mk_not_var(*k)),
                    ]),
                    None => Sv::P(vec![(o, self.tt())]),
                }
            }
        })
    }

    /// The atom for a condition on opaque inputs, shared by its text.
    pub(crate) fn atom(&mut self, text: String, three_valued: bool) -> R<Sv> {
        let i = match self.atom_index.get(&text) {
            Some(i) => *i,
            None => {
                let t = self.fresh()?;
                let u = if three_valued {
                    Some(self.fresh()?)
                } else {
                    None
                };
                self.atom_index.insert(text.clone(), self.atoms.len());
                self.atoms.push(AtomVar { text, t, u });
                self.atoms.len() - 1
            }
        };
        let a = self
            .atoms
            .get(i)
            .ok_or_else(|| "an atom went missing".to_string())?;
        let t = self.vars.mk_var(a.t);
        let u = a.u.map_or_else(|| self.ff(), |u| self.vars.mk_var(u));
        Ok(self.tri_sv(t.and_not(&u), t.not().and_not(&u), u))
    }

    /// A Boolean partition from its true, false and unknown conditions.
    pub(crate) fn tri_sv(&self, t: Bdd, f: Bdd, u: Bdd) -> Sv {
        let cells = [
            (Val::Bool(true), t),
            (Val::Bool(false), f),
            (Val::Unknown, u),
        ]
        .into_iter()
        .filter(|(_, b)| !b.is_false())
        .collect();
        Sv::P(cells)
    }

    /// The true, false and unknown conditions of a Boolean value.
    pub(crate) fn tri(&self, sv: &Sv) -> R<(Bdd, Bdd, Bdd)> {
        let Sv::P(cells) = sv else {
            return Err("a condition is not a truth value".into());
        };
        let (mut t, mut f, mut u) = (self.ff(), self.ff(), self.ff());
        for (v, b) in cells {
            match v {
                Val::Bool(true) => t = self.or(&t, b)?,
                Val::Bool(false) => f = self.or(&f, b)?,
                Val::Unknown => u = self.or(&u, b)?,
                _ => return Err("a condition is not a truth value".into()),
            }
        }
        Ok((t, f, u))
    }

    fn k_and(&self, a: &Sv, b: &Sv) -> R<Sv> {
        let (ta, fa, _) = self.tri(a)?;
        let (tb, fb, _) = self.tri(b)?;
        let t = self.and(&ta, &tb)?;
        let f = self.or(&fa, &fb)?;
        let u = self.or(&t, &f)?.not();
        Ok(self.tri_sv(t, f, u))
    }

    fn k_or(&self, a: &Sv, b: &Sv) -> R<Sv> {
        let (ta, fa, _) = self.tri(a)?;
        let (tb, fb, _) = self.tri(b)?;
        let t = self.or(&ta, &tb)?;
        let f = self.and(&fa, &fb)?;
        let u = self.or(&t, &f)?.not();
        Ok(self.tri_sv(t, f, u))
    }

    fn k_not(&self, a: &Sv) -> R<Sv> {
        let (t, f, u) = self.tri(a)?;
        Ok(self.tri_sv(f, t, u))
    }

    fn push(&self, cells: &mut Vec<(Val, Bdd)>, v: Val, b: Bdd) -> R<()> {
        if b.is_false() {
            return Ok(());
        }
        if let Some(cell) = cells.iter_mut().find(|(x, _)| *x == v) {
            cell.1 = self.or(&cell.1, &b)?;
            return Ok(());
        }
        if cells.len() >= self.limits.max_partition {
            return Err(format!(
                "a value has more than {} distinct cases",
                self.limits.max_partition
            ));
        }
        cells.push((v, b));
        Ok(())
    }

    /// Any symbolic value as a partition.
    pub(crate) fn to_part(&self, sv: &Sv) -> R<Vec<(Val, Bdd)>> {
        match sv {
            Sv::P(cells) => Ok(cells.clone()),
            Sv::L(items) => {
                let mut acc: Vec<(Vec<Val>, Bdd)> = vec![(Vec::new(), self.tt())];
                for item in items {
                    let cells = self.to_part(item)?;
                    let mut next = Vec::new();
                    for (vals, b) in &acc {
                        for (v, cb) in &cells {
                            let both = self.and(b, cb)?;
                            if both.is_false() {
                                continue;
                            }
                            let mut vs = vals.clone();
                            vs.push(v.clone());
                            next.push((vs, both));
                            if next.len() > self.limits.max_partition {
                                return Err(format!(
                                    "a list has more than {} distinct cases",
                                    self.limits.max_partition
                                ));
                            }
                        }
                    }
                    acc = next;
                }
                let mut out = Vec::new();
                for (vals, b) in acc {
                    self.push(&mut out, Val::List(vals), b)?;
                }
                Ok(out)
            }
            Sv::S { known, bits } => {
                let mut out = Vec::new();
                self.push(&mut out, Val::Unknown, known.not())?;
                let mut stack = vec![(0usize, 0u64, known.clone())];
                while let Some((i, set, cond)) = stack.pop() {
                    if cond.is_false() {
                        continue;
                    }
                    match bits.get(i) {
                        None => self.push(&mut out, Val::Set(set), cond)?,
                        Some(b) => {
                            stack.push((i + 1, set, self.and_not(&cond, b)?));
                            stack.push((i + 1, set | (1u64 << i.min(63)), self.and(&cond, b)?));
                        }
                    }
                }
                Ok(out)
            }
        }
    }

    /// A set value bit by bit, when every cell is a set, an enum value or unknown.
    fn to_bits(&self, sv: &Sv, width: usize) -> R<Option<(Bdd, Vec<Bdd>)>> {
        match sv {
            Sv::S { known, bits } => Ok(Some((known.clone(), bits.clone()))),
            Sv::L(_) => Ok(None),
            Sv::P(cells) => {
                let mut known = self.ff();
                let mut bits = vec![self.ff(); width];
                for (v, b) in cells {
                    if v.is_unknown() {
                        continue;
                    }
                    let Some(set) = c::set_bits(v) else {
                        return Ok(None);
                    };
                    known = self.or(&known, b)?;
                    for (i, bit) in bits.iter_mut().enumerate() {
                        if i < 64 && set & (1u64 << i) != 0 {
                            *bit = self.or(bit, b)?;
                        }
                    }
                }
                Ok(Some((known, bits)))
            }
        }
    }

    /// Applies `f` to every combination of cells of `args`.
    pub(crate) fn lift(&mut self, args: &[Sv], f: &dyn Fn(&[&Val]) -> R<Res>) -> R<Sv> {
        let parts = args
            .iter()
            .map(|a| self.to_part(a))
            .collect::<R<Vec<_>>>()?;
        let mut combos: Vec<(Vec<&Val>, Bdd)> = vec![(Vec::new(), self.tt())];
        for part in &parts {
            let mut next = Vec::new();
            for (vals, b) in &combos {
                for (v, cb) in part {
                    let both = self.and(b, cb)?;
                    if both.is_false() {
                        continue;
                    }
                    let mut vs = vals.clone();
                    vs.push(v);
                    next.push((vs, both));
                    if next.len() > self.limits.max_partition * 4 {
                        return Err(format!(
                            "an operation has more than {} cases",
                            self.limits.max_partition * 4
                        ));
                    }
                }
            }
            combos = next;
        }
        let mut out = Vec::new();
        for (vals, b) in combos {
            match f(&vals)? {
                Res::V(v) => self.push(&mut out, v, b)?,
                Res::Atom(text, three) => {
                    let Sv::P(cells) = self.atom(text, three)? else {
                        continue;
                    };
                    for (v, ab) in cells {
                        let both = self.and(&b, &ab)?;
                        self.push(&mut out, v, both)?;
                    }
                }
            }
        }
        Ok(Sv::P(out))
    }

    /// Restricts a partition to a condition.
    fn restrict(&self, cells: &[(Val, Bdd)], cond: &Bdd, out: &mut Vec<(Val, Bdd)>) -> R<()> {
        for (v, b) in cells {
            let both = self.and(b, cond)?;
            self.push(out, v.clone(), both)?;
        }
        Ok(())
    }

    /// The variables a value's conditions read.
    pub(crate) fn support(&self, sv: &Sv, out: &mut std::collections::HashSet<BddVariable>) {
        match sv {
            Sv::P(cells) => cells.iter().for_each(|(_, b)| out.extend(b.support_set())),
            Sv::L(items) => items.iter().for_each(|i| self.support(i, out)),
            Sv::S { known, bits } => {
                out.extend(known.support_set());
                bits.iter().for_each(|b| out.extend(b.support_set()));
            }
        }
    }
}

/// A remembered result.
#[derive(Clone)]
enum Memo<T> {
    Todo,
    Busy,
    Done(R<T>),
}

fn memo_get<T: Clone>(v: &[Memo<T>], i: usize) -> Option<R<T>> {
    match v.get(i) {
        Some(Memo::Done(r)) => Some(r.clone()),
        Some(Memo::Busy) | None => Some(Err("a value depends on itself".into())),
        Some(Memo::Todo) => None,
    }
}

fn memo_set<T>(v: &mut [Memo<T>], i: usize, m: Memo<T>) {
    if let Some(slot) = v.get_mut(i) {
        *slot = m;
    }
}

/// The symbolic evaluation of one ruleset with its parameters bound.
pub(crate) struct Eval<'a> {
    pub rs: &'a hir::Ruleset,
    overrides: Vec<(ParamId, Const)>,
    params: Vec<Memo<Sv>>,
    lets: Vec<Memo<Sv>>,
    rules: Vec<Memo<Sv>>,
    tables: Vec<Memo<Vec<Sv>>>,
    outputs: Vec<Memo<Sv>>,
}

fn enum_width(rs: &hir::Ruleset, ty: &Type) -> usize {
    match ty {
        Type::Enum(e) | Type::Set(e) => rs.enums.get(e.0 as usize).map_or(0, |d| d.variants.len()),
        _ => 0,
    }
    .min(64)
}

fn inner_ty(ty: &Type) -> &Type {
    match ty {
        Type::List(t) => t,
        t => t,
    }
}

impl<'a> Eval<'a> {
    pub(crate) fn new(rs: &'a hir::Ruleset, overrides: &[(ParamId, Const)]) -> Eval<'a> {
        Eval {
            rs,
            overrides: overrides.to_vec(),
            params: vec![Memo::Todo; rs.params.len()],
            lets: vec![Memo::Todo; rs.lets.len()],
            rules: vec![Memo::Todo; rs.rules.len()],
            tables: vec![Memo::Todo; rs.tables.len()],
            outputs: vec![Memo::Todo; rs.outputs.len()],
        }
    }

    fn const_sv(m: &Mgr, k: &Const) -> Sv {
        match k {
            Const::List(items) => Sv::L(items.iter().map(|x| Self::const_sv(m, x)).collect()),
            other => Sv::P(vec![(c::const_val(other), m.tt())]),
        }
    }

    fn param(&mut self, m: &mut Mgr, id: ParamId) -> R<Sv> {
        let i = id.0 as usize;
        if let Some(r) = memo_get(&self.params, i) {
            return r;
        }
        memo_set(&mut self.params, i, Memo::Busy);
        let r = if let Some((_, k)) = self.overrides.iter().rev().find(|(p, _)| *p == id) {
            Ok(Self::const_sv(m, k))
        } else {
            match self.rs.params.get(i) {
                Some(def) => match &def.bound {
                    Some(e) => self.expr(m, e),
                    None => Ok(Self::const_sv(m, &def.default)),
                },
                None => Err(format!("parameter #{i} does not exist")),
            }
        };
        memo_set(&mut self.params, i, Memo::Done(r.clone()));
        r
    }

    /// A derived value.
    pub(crate) fn let_value(&mut self, m: &mut Mgr, i: usize) -> R<Sv> {
        if let Some(r) = memo_get(&self.lets, i) {
            return r;
        }
        memo_set(&mut self.lets, i, Memo::Busy);
        let rs = self.rs;
        let r = match rs.lets.get(i) {
            Some(def) => self.expr(m, &def.value),
            None => Err(format!("derived value #{i} does not exist")),
        };
        memo_set(&mut self.lets, i, Memo::Done(r.clone()));
        r
    }

    fn rule(&mut self, m: &mut Mgr, id: RuleId) -> R<Sv> {
        let i = id.0 as usize;
        if let Some(r) = memo_get(&self.rules, i) {
            return r;
        }
        memo_set(&mut self.rules, i, Memo::Busy);
        let rs = self.rs;
        let r = (|| {
            let def = rs
                .rules
                .get(i)
                .ok_or_else(|| format!("rule #{i} does not exist"))?;
            let mut status = self.expr(m, &def.condition)?;
            for e in &def.exceptions {
                let ex = self.rule(m, *e)?;
                status = m.k_and(&status, &m.k_not(&ex)?)?;
            }
            Ok(status)
        })();
        memo_set(&mut self.rules, i, Memo::Done(r.clone()));
        r
    }

    fn table(&mut self, m: &mut Mgr, id: TableId) -> R<Vec<Sv>> {
        let i = id.0 as usize;
        if let Some(r) = memo_get(&self.tables, i) {
            return r;
        }
        memo_set(&mut self.tables, i, Memo::Busy);
        let rs = self.rs;
        let r = (|| {
            let def = rs
                .tables
                .get(i)
                .ok_or_else(|| format!("table #{i} does not exist"))?;
            let columns = def
                .columns
                .iter()
                .map(|col| self.expr(m, col))
                .collect::<R<Vec<_>>>()?;
            let mut statuses = Vec::new();
            let mut no_earlier = m.tri_sv(m.tt(), m.ff(), m.ff());
            for row in &def.rows {
                let mut matches = m.tri_sv(m.tt(), m.ff(), m.ff());
                for ((cell, col), col_expr) in row.cells.iter().zip(&columns).zip(&def.columns) {
                    let t = self.cell(m, cell, col, &col_expr.ty)?;
                    matches = m.k_and(&matches, &t)?;
                }
                match def.hit {
                    HitPolicy::Collect => statuses.push(matches),
                    HitPolicy::First => {
                        statuses.push(m.k_and(&matches, &no_earlier)?);
                        no_earlier = m.k_and(&no_earlier, &m.k_not(&matches)?)?;
                    }
                }
            }
            Ok(statuses)
        })();
        memo_set(&mut self.tables, i, Memo::Done(r.clone()));
        r
    }

    fn cell(&mut self, m: &mut Mgr, cell: &CellTest, col: &Sv, ty: &Type) -> R<Sv> {
        let rs = self.rs;
        match cell {
            CellTest::Any => Ok(m.tri_sv(m.tt(), m.ff(), m.ff())),
            CellTest::OneOf(consts) => {
                let mut any = m.tri_sv(m.ff(), m.tt(), m.ff());
                for k in consts {
                    let eq = cmp(m, rs, CmpOp::Eq, col, ty, &Self::const_sv(m, k), ty)?;
                    any = m.k_or(&any, &eq)?;
                }
                Ok(any)
            }
            CellTest::Compare(op, k) => cmp(m, rs, *op, col, ty, &Self::const_sv(m, k), ty),
            CellTest::Range(lo, hi) => {
                let a = cmp(m, rs, CmpOp::Ge, col, ty, &Self::const_sv(m, lo), ty)?;
                let b = cmp(m, rs, CmpOp::Le, col, ty, &Self::const_sv(m, hi), ty)?;
                m.k_and(&a, &b)
            }
            CellTest::CompareExpr(op, e) => {
                let other = self.expr(m, e)?;
                cmp(m, rs, *op, col, ty, &other, &e.ty)
            }
        }
    }

    /// An output's value.
    pub(crate) fn output(&mut self, m: &mut Mgr, id: OutputId) -> R<Sv> {
        let i = id.0 as usize;
        if let Some(r) = memo_get(&self.outputs, i) {
            return r;
        }
        memo_set(&mut self.outputs, i, Memo::Busy);
        let rs = self.rs;
        let r = match rs.outputs.get(i) {
            Some(def) => match &def.value {
                OutputValue::Computed(e) => self.expr(m, e),
                OutputValue::Rules { combine, default } => {
                    self.combine(m, id, &def.ty, *combine, default.as_ref())
                }
            },
            None => Err(format!("output #{i} does not exist")),
        };
        memo_set(&mut self.outputs, i, Memo::Done(r.clone()));
        r
    }

    fn contributions(&mut self, m: &mut Mgr, id: OutputId) -> R<Vec<(Sv, Sv)>> {
        let rs = self.rs;
        let mut out = Vec::new();
        for (r, rule) in rs.rules.iter().enumerate() {
            for action in rule.actions.iter().filter(|a| a.output == id) {
                let status = self.rule(m, RuleId(r as u32))?;
                let value = self.expr(m, &action.value)?;
                out.push((status, value));
            }
        }
        for (t, table) in rs.tables.iter().enumerate() {
            if !table
                .rows
                .iter()
                .any(|row| row.actions.iter().flatten().any(|a| a.output == id))
            {
                continue;
            }
            let statuses = self.table(m, TableId(t as u32))?;
            for (row, status) in table.rows.iter().zip(&statuses) {
                for action in row.actions.iter().flatten().filter(|a| a.output == id) {
                    let value = self.expr(m, &action.value)?;
                    out.push((status.clone(), value));
                }
            }
        }
        Ok(out)
    }

    fn combine(
        &mut self,
        m: &mut Mgr,
        id: OutputId,
        ty: &Type,
        combine: Combine,
        default: Option<&Expr>,
    ) -> R<Sv> {
        let contribs = self.contributions(m, id)?;
        let default = match default {
            Some(e) => Some(self.expr(m, e)?),
            None => None,
        };
        // Each contribution as (fires, might fire, value cells).
        let mut cs = Vec::new();
        for (status, value) in &contribs {
            let (t, _, u) = m.tri(status)?;
            cs.push((t, u, value));
        }
        if combine == Combine::Union {
            return union_combine(m, &cs, default.as_ref(), enum_width(self.rs, ty));
        }
        let mut parts = Vec::new();
        for (t, u, value) in &cs {
            let cells = m.to_part(value)?;
            if cells.iter().any(|(v, _)| v.is_opaque()) {
                return Err("an output is given a value computed from dates, lists or texts, which cannot be compared symbolically".into());
            }
            parts.push((t.clone(), u.clone(), cells));
        }
        let dcells = match &default {
            Some(d) => {
                let cells = m.to_part(d)?;
                if cells.iter().any(|(v, _)| v.is_opaque()) {
                    return Err("an output's default is computed from dates, lists or texts".into());
                }
                Some(cells)
            }
            None => None,
        };
        // The candidate values, without repeats.
        let mut cands: Vec<Val> = Vec::new();
        for cells in parts.iter().map(|p| &p.2).chain(dcells.iter()) {
            for (v, _) in cells {
                if !v.is_unknown() && !cands.iter().any(|x| c::same(x, v)) {
                    cands.push(v.clone());
                }
            }
        }
        let cond_where = |m: &Mgr, cells: &[(Val, Bdd)], pred: &dyn Fn(&Val) -> bool| -> R<Bdd> {
            let mut b = m.ff();
            for (v, cb) in cells {
                if pred(v) {
                    b = m.or(&b, cb)?;
                }
            }
            Ok(b)
        };
        let mut fired_unknown = m.ff();
        for (t, _, cells) in &parts {
            let unk = cond_where(m, cells, &|v| v.is_unknown())?;
            fired_unknown = m.or(&fired_unknown, &m.and(t, &unk)?)?;
        }
        let mut out = Vec::new();
        let mut covered = m.ff();
        for cand in &cands {
            let r = match combine {
                Combine::Max => {
                    let greater = |v: &Val| {
                        !v.is_unknown() && c::compare(v, cand) == Some(std::cmp::Ordering::Greater)
                    };
                    let not_le = |v: &Val| {
                        !matches!(
                            c::compare(v, cand),
                            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                        )
                    };
                    let mut gt = m.ff();
                    let mut eq = m.ff();
                    let mut raise = m.ff();
                    for (t, u, cells) in &parts {
                        gt = m.or(&gt, &m.and(t, &cond_where(m, cells, &greater)?)?)?;
                        eq = m.or(
                            &eq,
                            &m.and(t, &cond_where(m, cells, &|v| c::same(v, cand))?)?,
                        )?;
                        raise = m.or(&raise, &m.and(u, &cond_where(m, cells, &not_le)?)?)?;
                    }
                    let best = match &dcells {
                        Some(d) => {
                            let d_eq = cond_where(m, d, &|v| c::same(v, cand))?;
                            let d_le = cond_where(m, d, &|v| {
                                matches!(
                                    c::compare(v, cand),
                                    Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                                )
                            })?;
                            m.and(&m.or(&d_eq, &eq)?, &d_le)?
                        }
                        None => eq,
                    };
                    let best = m.and_not(&best, &gt)?;
                    m.and_not(&m.and_not(&best, &fired_unknown)?, &raise)?
                }
                _ => {
                    let differs = |v: &Val| !c::same(v, cand);
                    let mut any_fired = m.ff();
                    let mut fired_other = m.ff();
                    let mut none_fired = m.tt();
                    let mut change = m.ff();
                    for (t, u, cells) in &parts {
                        any_fired = m.or(
                            &any_fired,
                            &m.and(t, &cond_where(m, cells, &|v| c::same(v, cand))?)?,
                        )?;
                        fired_other =
                            m.or(&fired_other, &m.and(t, &cond_where(m, cells, &differs)?)?)?;
                        none_fired = m.and_not(&none_fired, t)?;
                        change = m.or(&change, &m.and(u, &cond_where(m, cells, &differs)?)?)?;
                    }
                    let from_default = match &dcells {
                        Some(d) => m.and(&none_fired, &cond_where(m, d, &|v| c::same(v, cand))?)?,
                        None => m.ff(),
                    };
                    let base = m.or(&m.and_not(&any_fired, &fired_other)?, &from_default)?;
                    m.and_not(&m.and_not(&base, &change)?, &fired_unknown)?
                }
            };
            covered = m.or(&covered, &r)?;
            m.push(&mut out, cand.clone(), r)?;
        }
        m.push(&mut out, Val::Unknown, covered.not())?;
        Ok(Sv::P(out))
    }

    /// The value of an expression.
    pub(crate) fn expr(&mut self, m: &mut Mgr, e: &Expr) -> R<Sv> {
        let rs = self.rs;
        match &e.kind {
            ExprKind::Const(k) => Ok(Self::const_sv(m, k)),
            ExprKind::Input(id) => {
                let name = rs
                    .inputs
                    .get(id.0 as usize)
                    .map(|d| d.name.clone())
                    .unwrap_or_default();
                m.input_sv(&name)
            }
            ExprKind::Param(id) => self.param(m, *id),
            ExprKind::Let(id) => self.let_value(m, id.0 as usize),
            ExprKind::Output(id) => self.output(m, *id),
            ExprKind::List(items) => Ok(Sv::L(
                items
                    .iter()
                    .map(|i| self.expr(m, i))
                    .collect::<R<Vec<_>>>()?,
            )),
            ExprKind::Set(items) => {
                let mut acc = Sv::P(vec![(Val::Set(0), m.tt())]);
                for item in items {
                    let v = self.expr(m, item)?;
                    acc = m.lift(&[acc, v], &|vals| {
                        Ok(Res::V(match (vals.first(), vals.get(1)) {
                            (Some(Val::Set(a)), Some(b)) => match c::set_bits(b) {
                                Some(bits) => Val::Set(a | bits),
                                None if b.is_opaque() => {
                                    return Err("a set built from an opaque value".into());
                                }
                                None => Val::Unknown,
                            },
                            _ => Val::Unknown,
                        }))
                    })?;
                }
                Ok(acc)
            }
            ExprKind::Not(a) => {
                let a = self.expr(m, a)?;
                m.k_not(&a)
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Implies(a, b) => {
                let mut x = self.expr(m, a)?;
                let y = self.expr(m, b)?;
                if matches!(e.kind, ExprKind::Implies(..)) {
                    x = m.k_not(&x)?;
                }
                if matches!(e.kind, ExprKind::And(..)) {
                    m.k_and(&x, &y)
                } else {
                    m.k_or(&x, &y)
                }
            }
            ExprKind::Cmp(op, a, b) => {
                if let Some((x, test, negated)) = answer_test(*op, a, b) {
                    let v = self.expr(m, x)?;
                    let cells = m.to_part(&v)?;
                    let mut t = m.ff();
                    for (val, cb) in &cells {
                        let holds = match test {
                            IsTest::Yes => *val == Val::Answer(Answer::Yes),
                            IsTest::No => *val == Val::Answer(Answer::No),
                            _ => val.is_unknown(),
                        };
                        if holds {
                            t = m.or(&t, cb)?;
                        }
                    }
                    let f = t.not();
                    return Ok(if negated {
                        m.tri_sv(f, t, m.ff())
                    } else {
                        m.tri_sv(t, f, m.ff())
                    });
                }
                let x = self.expr(m, a)?;
                let y = self.expr(m, b)?;
                cmp(m, rs, *op, &x, &a.ty, &y, &b.ty)
            }
            ExprKind::Neg(a) => self.strict(m, e, &[a], false, &|v| Ok(c::neg(v[0]))),
            ExprKind::Arith(op, a, b) => {
                let op = *op;
                self.strict(m, e, &[a, b], false, &move |v| Ok(c::arith(op, v[0], v[1])))
            }
            ExprKind::DateShift {
                date,
                amount,
                unit,
                subtract,
            } => {
                let (unit, subtract) = (*unit, *subtract);
                self.strict(m, e, &[date, amount], false, &move |v| {
                    Ok(c::shift(v[0], v[1], unit, subtract))
                })
            }
            ExprKind::SetOp(op, a, b) => {
                let x = self.expr(m, a)?;
                let y = self.expr(m, b)?;
                let width = enum_width(rs, &e.ty);
                if let (Some((ka, ba)), Some((kb, bb))) =
                    (m.to_bits(&x, width)?, m.to_bits(&y, width)?)
                {
                    let known = m.and(&ka, &kb)?;
                    let mut bits = Vec::new();
                    for i in 0..width {
                        let (p, q) = (
                            ba.get(i).cloned().unwrap_or_else(|| m.ff()),
                            bb.get(i).cloned().unwrap_or_else(|| m.ff()),
                        );
                        bits.push(match op {
                            SetOp::Union => m.or(&p, &q)?,
                            SetOp::Intersect => m.and(&p, &q)?,
                            SetOp::Without => m.and_not(&p, &q)?,
                        });
                    }
                    return Ok(Sv::S { known, bits });
                }
                let op = *op;
                self.strict_values(m, e, vec![x, y], &[a, b], false, &move |v| {
                    Ok(c::set_op(op, v[0], v[1]))
                })
            }
            ExprKind::Is(a, test) => {
                let x = self.expr(m, a)?;
                let test = *test;
                match &x {
                    Sv::S { known, bits } => {
                        return Ok(match test {
                            IsTest::Known => m.tri_sv(known.clone(), known.not(), m.ff()),
                            IsTest::Unknown => m.tri_sv(known.not(), known.clone(), m.ff()),
                            IsTest::Empty => {
                                let mut any = m.ff();
                                for b in bits {
                                    any = m.or(&any, b)?;
                                }
                                let t = m.and_not(known, &any)?;
                                let f = m.and(known, &any)?;
                                m.tri_sv(t, f, known.not())
                            }
                            IsTest::Yes | IsTest::No => m.tri_sv(m.ff(), m.tt(), m.ff()),
                        });
                    }
                    Sv::L(items) => {
                        let holds = match test {
                            IsTest::Known => true,
                            IsTest::Empty => items.is_empty(),
                            _ => false,
                        };
                        return Ok(m.tri_sv(
                            if holds { m.tt() } else { m.ff() },
                            if holds { m.ff() } else { m.tt() },
                            m.ff(),
                        ));
                    }
                    Sv::P(_) => {}
                }
                let child = render_children_fn(rs, e);
                m.lift(&[x], &|v| {
                    let v0 = v.first().copied().unwrap_or(&Val::Unknown);
                    if v0.is_opaque() {
                        let text = child(&[render::val(rs, &a.ty, v0)]);
                        return Ok(Res::Atom(text.0, test == IsTest::Empty));
                    }
                    Ok(Res::V(match test {
                        IsTest::Yes => Val::Bool(*v0 == Val::Answer(Answer::Yes)),
                        IsTest::No => Val::Bool(*v0 == Val::Answer(Answer::No)),
                        IsTest::Unknown => Val::Bool(v0.is_unknown()),
                        IsTest::Known => Val::Bool(!v0.is_unknown()),
                        IsTest::Empty => match v0 {
                            Val::Set(bits) => Val::Bool(*bits == 0),
                            Val::List(items) => Val::Bool(items.is_empty()),
                            _ => Val::Unknown,
                        },
                    }))
                })
            }
            ExprKind::In(x, coll) => {
                let xv = self.expr(m, x)?;
                let cv = self.expr(m, coll)?;
                match &cv {
                    Sv::S { known, bits } => {
                        let cells = m.to_part(&xv)?;
                        let (mut t, mut f, mut u) = (m.ff(), m.ff(), m.ff());
                        for (v, cb) in &cells {
                            match v {
                                Val::Enum(i) => {
                                    let k = m.and(cb, known)?;
                                    match bits.get(*i as usize) {
                                        Some(b) => {
                                            t = m.or(&t, &m.and(&k, b)?)?;
                                            f = m.or(&f, &m.and_not(&k, b)?)?;
                                        }
                                        None => f = m.or(&f, &k)?,
                                    }
                                    u = m.or(&u, &m.and_not(cb, known)?)?;
                                }
                                Val::Unknown => u = m.or(&u, cb)?,
                                _ => {
                                    return Err(
                                        "membership of a value that is not an enum value".into()
                                    );
                                }
                            }
                        }
                        Ok(m.tri_sv(t, f, u))
                    }
                    Sv::L(items) => {
                        let ity = inner_ty(&coll.ty);
                        let mut any = m.tri_sv(m.ff(), m.tt(), m.ff());
                        for item in items {
                            let eq = cmp(m, rs, CmpOp::Eq, &xv, &x.ty, item, ity)?;
                            any = m.k_or(&any, &eq)?;
                        }
                        // An unknown value is unknown in any list, even an empty one.
                        let (t, f, _) = m.tri(&any)?;
                        let mut xu = m.ff();
                        for (v, cb) in m.to_part(&xv)? {
                            if v.is_unknown() {
                                xu = m.or(&xu, &cb)?;
                            }
                        }
                        let t = m.and_not(&t, &xu)?;
                        let f = m.and_not(&f, &xu)?;
                        let u = m.or(&t, &f)?.not();
                        Ok(m.tri_sv(t, f, u))
                    }
                    Sv::P(_) => self.strict_values(m, e, vec![xv, cv], &[x, coll], true, &|v| {
                        Ok(c::member(v[0], v[1]))
                    }),
                }
            }
            ExprKind::Within {
                date,
                amount,
                unit,
                direction,
                anchor,
            } => {
                let (unit, dir) = (*unit, *direction);
                self.strict(m, e, &[date, amount, anchor], true, &move |v| {
                    Ok(c::within(v[0], v[1], unit, dir, v[2]))
                })
            }
            ExprKind::CountValue(what, list) => {
                let lv = self.expr(m, list)?;
                let wanted = match what {
                    CountValue::Yes => Val::Answer(Answer::Yes),
                    CountValue::No => Val::Answer(Answer::No),
                    CountValue::Unknown => Val::Unknown,
                    CountValue::True => Val::Bool(true),
                    CountValue::False => Val::Bool(false),
                };
                if let Sv::L(items) = &lv {
                    let mut counts = vec![m.tt()];
                    for item in items {
                        let cells = m.to_part(item)?;
                        let mut hit = m.ff();
                        for (v, cb) in &cells {
                            if v.is_opaque() {
                                return Err(
                                    "a count over values computed from opaque inputs".into()
                                );
                            }
                            if *v == wanted {
                                hit = m.or(&hit, cb)?;
                            }
                        }
                        let mut next = Vec::with_capacity(counts.len() + 1);
                        for k in 0..=counts.len() {
                            let stay = match counts.get(k) {
                                Some(b) => m.and_not(b, &hit)?,
                                None => m.ff(),
                            };
                            let up = match k.checked_sub(1).and_then(|j| counts.get(j)) {
                                Some(b) => m.and(b, &hit)?,
                                None => m.ff(),
                            };
                            next.push(m.or(&stay, &up)?);
                        }
                        counts = next;
                    }
                    let mut out = Vec::new();
                    for (k, b) in counts.into_iter().enumerate() {
                        m.push(&mut out, Val::Int(k as i64), b)?;
                    }
                    return Ok(Sv::P(out));
                }
                let child = render_children_fn(rs, e);
                m.lift(&[lv], &|v| {
                    let v0 = v.first().copied().unwrap_or(&Val::Unknown);
                    if v0.is_unknown() {
                        return Ok(Res::V(Val::Unknown));
                    }
                    if v0.is_opaque() {
                        let t = child(&[render::val(rs, &list.ty, v0)]);
                        return Ok(Res::V(opaque(t)));
                    }
                    Ok(Res::V(match v0 {
                        Val::List(items) => {
                            Val::Int(items.iter().filter(|x| **x == wanted).count() as i64)
                        }
                        _ => Val::Unknown,
                    }))
                })
            }
            ExprKind::CountWithin {
                list,
                amount,
                unit,
                direction,
                anchor,
            } => {
                let (unit, dir) = (*unit, *direction);
                self.strict(m, e, &[list, amount, anchor], false, &move |v| {
                    Ok(c::count_within(v[0], v[1], unit, dir, v[2]))
                })
            }
            ExprKind::CountBetween(list, lo, hi) => {
                self.strict(m, e, &[list, lo, hi], false, &|v| {
                    Ok(c::count_between(v[0], v[1], v[2]))
                })
            }
            ExprKind::CountAll(a) => {
                let x = self.expr(m, a)?;
                match &x {
                    Sv::L(items) => Ok(Sv::P(vec![(Val::Int(items.len() as i64), m.tt())])),
                    Sv::S { known, bits } => {
                        let mut counts = vec![known.clone()];
                        for hit in bits {
                            let mut next = Vec::with_capacity(counts.len() + 1);
                            for k in 0..=counts.len() {
                                let stay = match counts.get(k) {
                                    Some(b) => m.and_not(b, hit)?,
                                    None => m.ff(),
                                };
                                let up = match k.checked_sub(1).and_then(|j| counts.get(j)) {
                                    Some(b) => m.and(b, hit)?,
                                    None => m.ff(),
                                };
                                next.push(m.or(&stay, &up)?);
                            }
                            counts = next;
                        }
                        let mut out = Vec::new();
                        m.push(&mut out, Val::Unknown, known.not())?;
                        for (k, b) in counts.into_iter().enumerate() {
                            m.push(&mut out, Val::Int(k as i64), b)?;
                        }
                        Ok(Sv::P(out))
                    }
                    Sv::P(_) => {
                        self.strict_values(m, e, vec![x], &[a], false, &|v| Ok(c::count_all(v[0])))
                    }
                }
            }
            ExprKind::If(cond, a, b) => {
                let cv = self.expr(m, cond)?;
                let (t, f, u) = m.tri(&cv)?;
                let av = self.expr(m, a)?;
                let bv = self.expr(m, b)?;
                let ac = m.to_part(&av)?;
                let bc = m.to_part(&bv)?;
                let mut out = Vec::new();
                m.restrict(&ac, &t, &mut out)?;
                m.restrict(&bc, &f, &mut out)?;
                if !u.is_false() {
                    for (x, xb) in &ac {
                        for (y, yb) in &bc {
                            let both = m.and(&m.and(xb, yb)?, &u)?;
                            if both.is_false() {
                                continue;
                            }
                            let v = if x.is_opaque() || y.is_opaque() {
                                if x == y {
                                    x.clone()
                                } else {
                                    // Under an unknown condition the value is the branches'
                                    // common value, if they agree: a function of the two.
                                    let (xt, yt) =
                                        (render::val(rs, &a.ty, x), render::val(rs, &b.ty, y));
                                    opaque((
                                        format!(
                                            "if {} = {} then {} else unknown",
                                            render::wrap(&xt, 5),
                                            render::wrap(&yt, 5),
                                            render::wrap(&xt, 1)
                                        ),
                                        0,
                                    ))
                                }
                            } else if c::same(x, y) {
                                x.clone()
                            } else {
                                Val::Unknown
                            };
                            m.push(&mut out, v, both)?;
                        }
                    }
                }
                Ok(Sv::P(out))
            }
            ExprKind::Min(args) | ExprKind::Max(args) => {
                let want = if matches!(e.kind, ExprKind::Min(_)) {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Greater
                };
                let refs: Vec<&Expr> = args.iter().collect();
                self.strict(m, e, &refs, false, &move |v| {
                    let owned: Vec<Val> = v.iter().map(|x| (*x).clone()).collect();
                    Ok(c::extreme(&owned, want))
                })
            }
        }
    }

    /// An operation that is unknown when any operand is unknown; over opaque operands it
    /// gives an opaque value, or an atom when `boolean`.
    fn strict(
        &mut self,
        m: &mut Mgr,
        e: &Expr,
        args: &[&Expr],
        boolean: bool,
        f: &dyn Fn(&[&Val]) -> R<Val>,
    ) -> R<Sv> {
        let vals = args
            .iter()
            .map(|a| self.expr(m, a))
            .collect::<R<Vec<_>>>()?;
        self.strict_values(m, e, vals, args, boolean, f)
    }

    fn strict_values(
        &mut self,
        m: &mut Mgr,
        e: &Expr,
        vals: Vec<Sv>,
        args: &[&Expr],
        boolean: bool,
        f: &dyn Fn(&[&Val]) -> R<Val>,
    ) -> R<Sv> {
        let rs = self.rs;
        let child = render_children_fn(rs, e);
        m.lift(&vals, &|v| {
            if v.iter().any(|x| x.is_unknown()) {
                return Ok(Res::V(Val::Unknown));
            }
            if v.iter().any(|x| x.is_opaque()) {
                let texts: Vec<(String, u8)> = v
                    .iter()
                    .zip(args)
                    .map(|(x, a)| render::val(rs, &a.ty, x))
                    .collect();
                let t = child(&texts);
                return Ok(if boolean {
                    Res::Atom(t.0, true)
                } else {
                    Res::V(opaque(t))
                });
            }
            f(v).map(Res::V)
        })
    }
}

fn opaque(t: (String, u8)) -> Val {
    Val::Opaque(Arc::new(Opaque {
        text: t.0,
        prec: t.1,
    }))
}

fn render_children_fn<'r>(
    rs: &'r hir::Ruleset,
    e: &'r Expr,
) -> impl Fn(&[(String, u8)]) -> (String, u8) + 'r {
    move |children| render::node(rs, e, children)
}

/// A comparison of two symbolic values; over opaque operands, an atom.
pub(crate) fn cmp(
    m: &mut Mgr,
    rs: &hir::Ruleset,
    op: CmpOp,
    a: &Sv,
    aty: &Type,
    b: &Sv,
    bty: &Type,
) -> R<Sv> {
    m.lift(&[a.clone(), b.clone()], &|v| {
        let (x, y) = (v[0], v[1]);
        if x.is_unknown() || y.is_unknown() {
            return Ok(Res::V(Val::Unknown));
        }
        if x.is_opaque() || y.is_opaque() {
            let (xt, yt) = (render::val(rs, aty, x), render::val(rs, bty, y));
            return Ok(Res::Atom(
                format!(
                    "{} {} {}",
                    render::wrap(&xt, 5),
                    op.symbol(),
                    render::wrap(&yt, 5)
                ),
                true,
            ));
        }
        Ok(Res::V(c::compare_op(op, x, y)))
    })
}

/// `q1 = yes` and the like: an answer compared with an answer constant.
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

/// Combines set contributions bit by bit.
fn union_combine(m: &mut Mgr, cs: &[(Bdd, Bdd, &Sv)], default: Option<&Sv>, width: usize) -> R<Sv> {
    let mut unknown = m.ff();
    let mut result = vec![m.ff(); width];
    if let Some(d) = default {
        let (k, bits) = m
            .to_bits(d, width)?
            .ok_or_else(|| "a set output's default is not a set".to_string())?;
        unknown = m.or(&unknown, &k.not())?;
        for (r, b) in result.iter_mut().zip(&bits) {
            *r = b.clone();
        }
    }
    let mut each = Vec::new();
    for (t, u, value) in cs {
        let (k, bits) = m.to_bits(value, width)?.ok_or_else(|| {
            "a set output is given a value computed from dates, lists or texts".to_string()
        })?;
        // A contribution that fires or might fire with an unknown value.
        let fires_or_might = m.or(t, u)?;
        unknown = m.or(&unknown, &m.and_not(&fires_or_might, &k)?)?;
        for (r, b) in result.iter_mut().zip(&bits) {
            *r = m.or(r, &m.and(&m.and(t, &k)?, b)?)?;
        }
        each.push((u.clone(), k, bits));
    }
    for (u, k, bits) in &each {
        let maybe = m.and(u, k)?;
        for (r, b) in result.iter().zip(bits) {
            unknown = m.or(&unknown, &m.and_not(&m.and(&maybe, b)?, r)?)?;
        }
    }
    let known = unknown.not();
    let bits = result
        .iter()
        .map(|b| m.and(b, &known))
        .collect::<R<Vec<_>>>()?;
    Ok(Sv::S { known, bits })
}
