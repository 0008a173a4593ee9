//! Constant folding: the value of an expression built only from literals.
//!
//! Parameters are never constants here (agencies override them), so folding only ever sees
//! what is written in the file. Folding follows the evaluator's three-valued logic: an
//! unknown operand makes the result unknown unless the other operand decides it.

use std::cmp::Ordering;

use waymark_ir::{Answer, Decimal};

use crate::checker::Checker;
use crate::hir::{ArithOp, CmpOp, Const, Expr, ExprKind, IsTest, Type};

/// Orders two constants of comparable types; `None` when they do not compare.
pub(crate) fn compare(a: &Const, b: &Const) -> Option<Ordering> {
    match (a, b) {
        (Const::Int(x), Const::Int(y)) => Some(x.cmp(y)),
        (Const::Int(x), Const::Number(y)) => Some(Decimal::from(*x).cmp(y)),
        (Const::Number(x), Const::Int(y)) => Some(x.cmp(&Decimal::from(*y))),
        (Const::Number(x), Const::Number(y)) => Some(x.cmp(y)),
        (Const::Date(x), Const::Date(y)) => Some(x.cmp(y)),
        (Const::Enum(e, x), Const::Enum(f, y)) if e == f => Some(x.cmp(y)),
        _ => None,
    }
}

/// Whether two known constants are equal.
pub(crate) fn equal(a: &Const, b: &Const) -> Option<bool> {
    if let Some(o) = compare(a, b) {
        return Some(o == Ordering::Equal);
    }
    match (a, b) {
        (Const::Unknown, _) | (_, Const::Unknown) => None,
        (Const::Answer(Answer::Unknown), _) | (_, Const::Answer(Answer::Unknown)) => None,
        _ => Some(a == b),
    }
}

fn truth(c: &Const) -> Option<bool> {
    match c {
        Const::Bool(b) => Some(*b),
        _ => None,
    }
}

fn tri(v: Option<bool>) -> Const {
    v.map_or(Const::Unknown, Const::Bool)
}

/// The constant value of an expression, if it has one.
pub(crate) fn fold(e: &Expr) -> Option<Const> {
    match &e.kind {
        ExprKind::Const(c) => Some(c.clone()),
        ExprKind::Neg(x) => match fold(x)? {
            Const::Int(v) => v.checked_neg().map(Const::Int),
            Const::Number(v) => Some(Const::Number(-v)),
            Const::Unknown => Some(Const::Unknown),
            _ => None,
        },
        ExprKind::Arith(op, a, b) => arith(*op, &fold(a)?, &fold(b)?),
        ExprKind::Not(x) => match fold(x)? {
            Const::Unknown => Some(Const::Unknown),
            c => truth(&c).map(|b| Const::Bool(!b)),
        },
        ExprKind::And(a, b) => {
            let (x, y) = (fold(a), fold(b));
            if x.as_ref().and_then(truth) == Some(false)
                || y.as_ref().and_then(truth) == Some(false)
            {
                return Some(Const::Bool(false));
            }
            let (x, y) = (x?, y?);
            match (truth(&x), truth(&y)) {
                (Some(true), Some(true)) => Some(Const::Bool(true)),
                _ => Some(Const::Unknown),
            }
        }
        ExprKind::Or(a, b) => {
            let (x, y) = (fold(a), fold(b));
            if x.as_ref().and_then(truth) == Some(true) || y.as_ref().and_then(truth) == Some(true)
            {
                return Some(Const::Bool(true));
            }
            let (x, y) = (x?, y?);
            match (truth(&x), truth(&y)) {
                (Some(false), Some(false)) => Some(Const::Bool(false)),
                _ => Some(Const::Unknown),
            }
        }
        ExprKind::Implies(a, b) => {
            let (x, y) = (fold(a), fold(b));
            if x.as_ref().and_then(truth) == Some(false) || y.as_ref().and_then(truth) == Some(true)
            {
                return Some(Const::Bool(true));
            }
            let (x, y) = (x?, y?);
            match (truth(&x), truth(&y)) {
                (Some(true), Some(false)) => Some(Const::Bool(false)),
                _ => Some(Const::Unknown),
            }
        }
        ExprKind::Cmp(op, a, b) => {
            let (x, y) = (fold(a)?, fold(b)?);
            Some(tri(cmp(*op, &x, &y)))
        }
        ExprKind::If(c, a, b) => match fold(c)? {
            Const::Bool(true) => fold(a),
            Const::Bool(false) => fold(b),
            _ => {
                let (x, y) = (fold(a)?, fold(b)?);
                if x == y {
                    Some(x)
                } else {
                    Some(Const::Unknown)
                }
            }
        },
        ExprKind::Set(items) => {
            let Type::Set(e) = &e.ty else { return None };
            let mut bits = 0u64;
            for i in items {
                match fold(i)? {
                    Const::Enum(_, v) if v < 64 => bits |= 1 << v,
                    _ => return None,
                }
            }
            Some(Const::Set(*e, bits))
        }
        ExprKind::List(items) => items
            .iter()
            .map(fold)
            .collect::<Option<Vec<_>>>()
            .map(Const::List),
        ExprKind::DateShift {
            date,
            amount,
            unit,
            subtract,
        } => match (fold(date)?, fold(amount)?) {
            (Const::Date(d), Const::Int(n)) => {
                let n = if *subtract { n.checked_neg()? } else { n };
                d.shift(n, *unit).map(Const::Date)
            }
            (Const::Unknown, _) | (_, Const::Unknown) => Some(Const::Unknown),
            _ => None,
        },
        ExprKind::Min(args) | ExprKind::Max(args) => {
            let want = if matches!(e.kind, ExprKind::Min(_)) {
                Ordering::Less
            } else {
                Ordering::Greater
            };
            let mut best: Option<Const> = None;
            for a in args {
                let c = fold(a)?;
                if c == Const::Unknown {
                    return Some(Const::Unknown);
                }
                best = match best {
                    None => Some(c),
                    Some(b) => Some(if compare(&c, &b)? == want { c } else { b }),
                };
            }
            let best = best?;
            if e.ty == Type::Number
                && let Const::Int(v) = best
            {
                return Some(Const::Number(Decimal::from(v)));
            }
            Some(best)
        }
        ExprKind::Is(x, test) => {
            let c = fold(x)?;
            let unknown = matches!(c, Const::Unknown | Const::Answer(Answer::Unknown));
            Some(match test {
                IsTest::Known => Const::Bool(!unknown),
                IsTest::Unknown => Const::Bool(unknown),
                IsTest::Yes => Const::Bool(c == Const::Answer(Answer::Yes)),
                IsTest::No => Const::Bool(c == Const::Answer(Answer::No)),
                IsTest::Empty => match c {
                    Const::Set(_, bits) => Const::Bool(bits == 0),
                    Const::List(items) => Const::Bool(items.is_empty()),
                    _ => Const::Unknown,
                },
            })
        }
        ExprKind::In(x, coll) => {
            let (v, c) = (fold(x)?, fold(coll)?);
            match (&v, &c) {
                (Const::Unknown, _) | (_, Const::Unknown) => Some(Const::Unknown),
                (Const::Enum(_, i), Const::Set(_, bits)) => {
                    Some(Const::Bool(*i < 64 && bits & (1 << *i) != 0))
                }
                (_, Const::List(items)) => {
                    let mut any_unknown = false;
                    for item in items {
                        match equal(&v, item) {
                            Some(true) => return Some(Const::Bool(true)),
                            Some(false) => {}
                            None => any_unknown = true,
                        }
                    }
                    Some(if any_unknown {
                        Const::Unknown
                    } else {
                        Const::Bool(false)
                    })
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// A comparison of two constants in three-valued logic: `None` when unknown.
pub(crate) fn cmp(op: CmpOp, x: &Const, y: &Const) -> Option<bool> {
    match op {
        CmpOp::Eq => equal(x, y),
        CmpOp::Ne => equal(x, y).map(|b| !b),
        _ => {
            let o = compare(x, y)?;
            Some(match op {
                CmpOp::Lt => o == Ordering::Less,
                CmpOp::Le => o != Ordering::Greater,
                CmpOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            })
        }
    }
}

fn arith(op: ArithOp, x: &Const, y: &Const) -> Option<Const> {
    match (x, y) {
        (Const::Unknown, _) | (_, Const::Unknown) => Some(Const::Unknown),
        (Const::Int(a), Const::Int(b)) if op != ArithOp::Div => match op {
            ArithOp::Add => a.checked_add(*b).map(Const::Int),
            ArithOp::Sub => a.checked_sub(*b).map(Const::Int),
            _ => a.checked_mul(*b).map(Const::Int),
        },
        _ => {
            let a = as_decimal(x)?;
            let b = as_decimal(y)?;
            let r = match op {
                ArithOp::Add => a.checked_add(b),
                ArithOp::Sub => a.checked_sub(b),
                ArithOp::Mul => a.checked_mul(b),
                ArithOp::Div => a.checked_div(b),
            };
            r.map(|d| Const::Number(d.normalize()))
        }
    }
}

fn as_decimal(c: &Const) -> Option<Decimal> {
    match c {
        Const::Int(v) => Some(Decimal::from(*v)),
        Const::Number(d) => Some(*d),
        _ => None,
    }
}

impl Checker<'_> {
    /// A constant as it would be written in a ruleset.
    pub(crate) fn show(&self, c: &Const) -> String {
        match c {
            Const::Unknown => "unknown".into(),
            Const::Answer(a) => a.word().into(),
            Const::Bool(b) => b.to_string(),
            Const::Int(v) => v.to_string(),
            Const::Number(d) => d.to_string(),
            Const::Text(t) => format!("{t:?}"),
            Const::Date(d) => d.to_string(),
            Const::Duration(n, u) => format!("{n} {}", u.word()),
            Const::Enum(e, i) => self.variant_name(*e, *i),
            Const::Set(e, bits) => {
                let names: Vec<String> = (0..64u32)
                    .filter(|i| bits & (1u64 << i) != 0)
                    .map(|i| self.variant_name(*e, i))
                    .collect();
                format!("{{{}}}", names.join(", "))
            }
            Const::List(items) => {
                let items: Vec<String> = items.iter().map(|c| self.show(c)).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }

    pub(crate) fn variant_name(&self, e: crate::hir::EnumId, i: u32) -> String {
        self.enums
            .get(e.0 as usize)
            .and_then(|d| d.variants.get(i as usize))
            .map(|v| v.name.clone())
            .unwrap_or_else(|| "?".into())
    }
}
