//! Concrete values and the operations on them, following the reference semantics.
//!
//! A symbolic value is a partition of the input space into concrete values (see
//! `sym.rs`); the operations here compute one cell of such a partition. Values that
//! depend on opaque inputs (dates, lists, texts, unbounded numbers) are [`Val::Opaque`]:
//! the evaluator never hands them to these functions.

use std::cmp::Ordering;
use std::sync::Arc;

use waymark_check::hir::{ArithOp, CmpOp, Const, Direction, SetOp};
use waymark_ir::{Answer, Date, Decimal, Unit};

/// A value in one cell of a partition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    /// Unknown.
    Unknown,
    /// A condition's value.
    Bool(bool),
    /// A yes or no answer (never `Answer::Unknown`).
    Answer(Answer),
    /// A whole number.
    Int(i64),
    /// A decimal.
    Number(Decimal),
    /// A text.
    Text(Arc<str>),
    /// A date.
    Date(Date),
    /// An enum value by index.
    Enum(u32),
    /// A set of enum values, one bit per index.
    Set(u64),
    /// A list.
    List(Vec<Val>),
    /// A value computed from opaque inputs, named by its canonical rendering.
    Opaque(Arc<Opaque>),
}

/// The canonical rendering of a value computed from opaque inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Opaque {
    /// The expression, with parameters and derived values substituted.
    pub text: String,
    /// Its precedence level (see `render.rs`).
    pub prec: u8,
}

impl Val {
    pub(crate) fn is_unknown(&self) -> bool {
        matches!(self, Val::Unknown)
    }

    pub(crate) fn is_opaque(&self) -> bool {
        match self {
            Val::Opaque(_) => true,
            Val::List(items) => items.iter().any(Val::is_opaque),
            _ => false,
        }
    }
}

/// The value of a checked constant.
pub(crate) fn const_val(c: &Const) -> Val {
    match c {
        Const::Unknown | Const::Answer(Answer::Unknown) => Val::Unknown,
        Const::Answer(a) => Val::Answer(*a),
        Const::Bool(b) => Val::Bool(*b),
        Const::Int(i) => Val::Int(*i),
        Const::Number(n) => Val::Number(*n),
        Const::Text(t) => Val::Text(Arc::clone(t)),
        Const::Date(d) => Val::Date(*d),
        Const::Duration(n, _) => Val::Int(*n),
        Const::Enum(_, i) => Val::Enum(*i),
        Const::Set(_, bits) => Val::Set(*bits),
        Const::List(items) => Val::List(items.iter().map(const_val).collect()),
    }
}

pub(crate) fn not(a: &Val) -> Val {
    match a {
        Val::Bool(b) => Val::Bool(!b),
        _ => Val::Unknown,
    }
}

pub(crate) fn compare(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        (Val::Int(_) | Val::Number(_), Val::Int(_) | Val::Number(_)) => {
            Some(decimal(a)?.cmp(&decimal(b)?))
        }
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Answer(x), Val::Answer(y)) => Some(x.cmp(y)),
        (Val::Text(x), Val::Text(y)) => Some(x.cmp(y)),
        (Val::Date(x), Val::Date(y)) => Some(x.cmp(y)),
        (Val::Enum(x), Val::Enum(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn kleene_and(a: &Val, b: &Val) -> Val {
    match (a, b) {
        (Val::Bool(false), _) | (_, Val::Bool(false)) => Val::Bool(false),
        (Val::Bool(true), Val::Bool(true)) => Val::Bool(true),
        _ => Val::Unknown,
    }
}

pub(crate) fn kleene_or(a: &Val, b: &Val) -> Val {
    match (a, b) {
        (Val::Bool(true), _) | (_, Val::Bool(true)) => Val::Bool(true),
        (Val::Bool(false), Val::Bool(false)) => Val::Bool(false),
        _ => Val::Unknown,
    }
}

pub(crate) fn equal(a: &Val, b: &Val) -> Val {
    match (a, b) {
        (Val::Unknown, _) | (_, Val::Unknown) => Val::Unknown,
        (Val::Set(x), Val::Set(y)) => Val::Bool(x == y),
        (Val::List(xs), Val::List(ys)) => {
            if xs.len() != ys.len() {
                return Val::Bool(false);
            }
            let mut all = Val::Bool(true);
            for (x, y) in xs.iter().zip(ys) {
                all = kleene_and(&all, &equal(x, y));
            }
            all
        }
        _ => compare(a, b).map_or(Val::Unknown, |o| Val::Bool(o == Ordering::Equal)),
    }
}

/// Known and equal.
pub(crate) fn same(a: &Val, b: &Val) -> bool {
    equal(a, b) == Val::Bool(true)
}

pub(crate) fn compare_op(op: CmpOp, a: &Val, b: &Val) -> Val {
    match op {
        CmpOp::Eq => equal(a, b),
        CmpOp::Ne => not(&equal(a, b)),
        _ => match compare(a, b) {
            None => Val::Unknown,
            Some(o) => Val::Bool(match op {
                CmpOp::Lt => o == Ordering::Less,
                CmpOp::Le => o != Ordering::Greater,
                CmpOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }),
        },
    }
}

fn decimal(v: &Val) -> Option<Decimal> {
    match v {
        Val::Int(i) => Some(Decimal::from(*i)),
        Val::Number(n) => Some(*n),
        _ => None,
    }
}

pub(crate) fn arith(op: ArithOp, a: &Val, b: &Val) -> Val {
    if let (Val::Int(x), Val::Int(y), ArithOp::Add | ArithOp::Sub | ArithOp::Mul) = (a, b, op) {
        let r = match op {
            ArithOp::Add => x.checked_add(*y),
            ArithOp::Sub => x.checked_sub(*y),
            _ => x.checked_mul(*y),
        };
        return r.map_or(Val::Unknown, Val::Int);
    }
    let (Some(x), Some(y)) = (decimal(a), decimal(b)) else {
        return Val::Unknown;
    };
    let r = match op {
        ArithOp::Add => x.checked_add(y),
        ArithOp::Sub => x.checked_sub(y),
        ArithOp::Mul => x.checked_mul(y),
        ArithOp::Div => x.checked_div(y),
    };
    r.map_or(Val::Unknown, Val::Number)
}

pub(crate) fn neg(a: &Val) -> Val {
    match a {
        Val::Int(i) => i.checked_neg().map_or(Val::Unknown, Val::Int),
        Val::Number(n) => Val::Number(-*n),
        _ => Val::Unknown,
    }
}

pub(crate) fn shift(date: &Val, amount: &Val, unit: Unit, subtract: bool) -> Val {
    let amount = match amount {
        Val::Int(n) if subtract => match n.checked_neg() {
            Some(n) => n,
            None => return Val::Unknown,
        },
        Val::Int(n) => *n,
        _ => return Val::Unknown,
    };
    match date {
        Val::Date(d) => d.shift(amount, unit).map_or(Val::Unknown, Val::Date),
        _ => Val::Unknown,
    }
}

fn window(amount: &Val, unit: Unit, direction: Direction, anchor: &Val) -> Option<(Date, Date)> {
    let (Val::Date(anchor), Val::Int(n)) = (anchor, amount) else {
        return None;
    };
    match direction {
        Direction::Before => Some((anchor.shift(n.checked_neg()?, unit)?, *anchor)),
        Direction::After => Some((*anchor, anchor.shift(*n, unit)?)),
    }
}

pub(crate) fn within(date: &Val, amount: &Val, unit: Unit, dir: Direction, anchor: &Val) -> Val {
    match (date, window(amount, unit, dir, anchor)) {
        (Val::Date(d), Some((lo, hi))) => Val::Bool(lo <= *d && *d <= hi),
        _ => Val::Unknown,
    }
}

fn count_dates(items: &[Val], lo: Date, hi: Date) -> Val {
    let n = items
        .iter()
        .filter(|v| matches!(v, Val::Date(d) if lo <= *d && *d <= hi))
        .count();
    i64::try_from(n).map_or(Val::Unknown, Val::Int)
}

pub(crate) fn count_within(
    list: &Val,
    amount: &Val,
    unit: Unit,
    dir: Direction,
    anchor: &Val,
) -> Val {
    match (list, window(amount, unit, dir, anchor)) {
        (Val::List(items), Some((lo, hi))) => count_dates(items, lo, hi),
        _ => Val::Unknown,
    }
}

pub(crate) fn count_between(list: &Val, lo: &Val, hi: &Val) -> Val {
    match (list, lo, hi) {
        (Val::List(items), Val::Date(lo), Val::Date(hi)) => count_dates(items, *lo, *hi),
        _ => Val::Unknown,
    }
}

pub(crate) fn count_all(v: &Val) -> Val {
    match v {
        Val::Set(bits) => Val::Int(i64::from(bits.count_ones())),
        Val::List(items) => i64::try_from(items.len()).map_or(Val::Unknown, Val::Int),
        _ => Val::Unknown,
    }
}

pub(crate) fn set_bits(v: &Val) -> Option<u64> {
    match v {
        Val::Set(bits) => Some(*bits),
        Val::Enum(i) => 1u64.checked_shl(*i),
        _ => None,
    }
}

pub(crate) fn set_op(op: SetOp, a: &Val, b: &Val) -> Val {
    match (set_bits(a), set_bits(b)) {
        (Some(x), Some(y)) => Val::Set(match op {
            SetOp::Union => x | y,
            SetOp::Intersect => x & y,
            SetOp::Without => x & !y,
        }),
        _ => Val::Unknown,
    }
}

pub(crate) fn member(x: &Val, collection: &Val) -> Val {
    if x.is_unknown() {
        return Val::Unknown;
    }
    match collection {
        Val::Set(bits) => match (x, set_bits(x)) {
            (Val::Enum(_), Some(bit)) => Val::Bool(bits & bit != 0),
            (Val::Enum(_), None) => Val::Bool(false),
            _ => Val::Unknown,
        },
        Val::List(items) => {
            let mut any = Val::Bool(false);
            for item in items {
                any = kleene_or(&any, &compare_op(CmpOp::Eq, x, item));
            }
            any
        }
        _ => Val::Unknown,
    }
}

/// `min` (`want` = Less) or `max` (Greater).
pub(crate) fn extreme(values: &[Val], want: Ordering) -> Val {
    let mut best: Option<&Val> = None;
    for v in values {
        if v.is_unknown() {
            return Val::Unknown;
        }
        best = match best {
            None => Some(v),
            Some(b) => match compare(v, b) {
                Some(o) if o == want => Some(v),
                Some(_) => Some(b),
                None => return Val::Unknown,
            },
        };
    }
    best.cloned().unwrap_or(Val::Unknown)
}
