//! Readable, canonical text for expressions, constants, types and table cells.
//!
//! The text is written in the surface syntax, with parentheses only where precedence
//! needs them, so two expressions that differ only in layout render the same. Precedence
//! levels, loosest first: `if`/`implies` 0, `or` 1, `and` 2, `not` 3, comparisons and
//! tests 4, sums 5, products 6, negation 7, primaries 8.

use waymark_check::hir::{
    self, ArithOp, CellTest, Const, CountValue, Direction, Expr, ExprKind, IsTest, SetOp, Type,
};
use waymark_ir::Answer;

use crate::concrete::Val;

pub(crate) const PRIMARY: u8 = 8;

/// Wraps text of precedence `prec` in parentheses when the context needs at least `min`.
pub(crate) fn wrap(text: &(String, u8), min: u8) -> String {
    if text.1 < min {
        format!("({})", text.0)
    } else {
        text.0.clone()
    }
}

/// The whole expression as text.
pub fn expr(rs: &hir::Ruleset, e: &Expr) -> String {
    expr_prec(rs, e).0
}

fn expr_prec(rs: &hir::Ruleset, e: &Expr) -> (String, u8) {
    let mut children = Vec::new();
    e.for_each_child(|c| children.push(expr_prec(rs, c)));
    node(rs, e, &children)
}

fn name_of<T>(items: &[T], i: u32, name: impl Fn(&T) -> &str) -> String {
    items
        .get(i as usize)
        .map_or_else(|| format!("#{i}"), |x| name(x).to_string())
}

/// One expression node as text, with its direct children (in `for_each_child` order)
/// already rendered.
pub(crate) fn node(rs: &hir::Ruleset, e: &Expr, c: &[(String, u8)]) -> (String, u8) {
    let empty = (String::new(), PRIMARY);
    let ch = |i: usize| c.get(i).unwrap_or(&empty);
    let list = |items: &[(String, u8)]| {
        items
            .iter()
            .map(|x| x.0.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &e.kind {
        ExprKind::Const(k) => const_prec(rs, k),
        ExprKind::Input(id) => (name_of(&rs.inputs, id.0, |d| &d.name), PRIMARY),
        ExprKind::Param(id) => (name_of(&rs.params, id.0, |d| &d.name), PRIMARY),
        ExprKind::Let(id) => (name_of(&rs.lets, id.0, |d| &d.name), PRIMARY),
        ExprKind::Output(id) => (name_of(&rs.outputs, id.0, |d| &d.name), PRIMARY),
        ExprKind::List(_) => (format!("[{}]", list(c)), PRIMARY),
        ExprKind::Set(_) => (format!("{{{}}}", list(c)), PRIMARY),
        ExprKind::Min(_) => (format!("min({})", list(c)), PRIMARY),
        ExprKind::Max(_) => (format!("max({})", list(c)), PRIMARY),
        ExprKind::Not(_) => (format!("not {}", wrap(ch(0), 3)), 3),
        ExprKind::Neg(_) => (format!("-{}", wrap(ch(0), 7)), 7),
        ExprKind::And(..) => (format!("{} and {}", wrap(ch(0), 2), wrap(ch(1), 3)), 2),
        ExprKind::Or(..) => (format!("{} or {}", wrap(ch(0), 1), wrap(ch(1), 2)), 1),
        ExprKind::Implies(..) => (format!("{} implies {}", wrap(ch(0), 1), wrap(ch(1), 1)), 0),
        ExprKind::Cmp(op, ..) => (
            format!("{} {} {}", wrap(ch(0), 5), op.symbol(), wrap(ch(1), 5)),
            4,
        ),
        ExprKind::Arith(op, ..) => {
            let (sym, level) = match op {
                ArithOp::Add => ("+", 5),
                ArithOp::Sub => ("-", 5),
                ArithOp::Mul => ("*", 6),
                ArithOp::Div => ("/", 6),
            };
            (
                format!("{} {sym} {}", wrap(ch(0), level), wrap(ch(1), level + 1)),
                level,
            )
        }
        ExprKind::SetOp(op, ..) => {
            let word = match op {
                SetOp::Union => "union",
                SetOp::Intersect => "intersect",
                SetOp::Without => "without",
            };
            (format!("{} {word} {}", wrap(ch(0), 5), wrap(ch(1), 6)), 5)
        }
        ExprKind::DateShift { unit, subtract, .. } => (
            format!(
                "{} {} {} {}",
                wrap(ch(0), 5),
                if *subtract { "-" } else { "+" },
                wrap(ch(1), PRIMARY),
                unit.word()
            ),
            5,
        ),
        ExprKind::Is(_, test) => {
            let word = match test {
                IsTest::Yes => "yes",
                IsTest::No => "no",
                IsTest::Unknown => "unknown",
                IsTest::Known => "known",
                IsTest::Empty => "empty",
            };
            (format!("{} is {word}", wrap(ch(0), 5)), 4)
        }
        ExprKind::In(..) => (format!("{} in {}", wrap(ch(0), 5), wrap(ch(1), 5)), 4),
        ExprKind::Within {
            unit, direction, ..
        } => (
            format!(
                "{} within {} {} {} {}",
                wrap(ch(0), 5),
                wrap(ch(1), PRIMARY),
                unit.word(),
                direction_word(*direction),
                wrap(ch(2), 5)
            ),
            4,
        ),
        ExprKind::CountValue(what, _) => {
            let word = match what {
                CountValue::Yes => "yes",
                CountValue::No => "no",
                CountValue::Unknown => "unknown",
                CountValue::True => "true",
                CountValue::False => "false",
            };
            (format!("count {word} in {}", wrap(ch(0), 7)), 7)
        }
        ExprKind::CountWithin {
            unit, direction, ..
        } => (
            format!(
                "count {} within {} {} {} {}",
                wrap(ch(0), 7),
                wrap(ch(1), PRIMARY),
                unit.word(),
                direction_word(*direction),
                wrap(ch(2), 5)
            ),
            5,
        ),
        ExprKind::CountBetween(..) => (
            format!(
                "count {} between {} and {}",
                wrap(ch(0), 7),
                wrap(ch(1), 5),
                wrap(ch(2), 5)
            ),
            5,
        ),
        ExprKind::CountAll(_) => (format!("count {}", wrap(ch(0), 7)), 7),
        ExprKind::If(..) => (
            format!(
                "if {} then {} else {}",
                ch(0).0,
                wrap(ch(1), 1),
                wrap(ch(2), 1)
            ),
            0,
        ),
    }
}

fn direction_word(d: Direction) -> &'static str {
    match d {
        Direction::Before => "before",
        Direction::After => "after",
    }
}

/// A constant as text.
pub fn constant(rs: &hir::Ruleset, c: &Const) -> String {
    const_prec(rs, c).0
}

fn variant(rs: &hir::Ruleset, e: hir::EnumId, i: u32) -> String {
    rs.enums
        .get(e.0 as usize)
        .and_then(|d| d.variants.get(i as usize))
        .map_or_else(|| format!("#{i}"), |v| v.name.clone())
}

fn set_names(rs: &hir::Ruleset, e: hir::EnumId, bits: u64) -> Vec<String> {
    (0..64u32)
        .filter(|i| bits & (1u64 << i) != 0)
        .map(|i| variant(rs, e, i))
        .collect()
}

fn const_prec(rs: &hir::Ruleset, c: &Const) -> (String, u8) {
    match c {
        Const::Unknown => ("unknown".into(), PRIMARY),
        Const::Answer(a) => (a.word().into(), PRIMARY),
        Const::Bool(b) => (b.to_string(), PRIMARY),
        Const::Int(i) => (i.to_string(), if *i < 0 { 7 } else { PRIMARY }),
        Const::Number(n) => (
            n.to_string(),
            if n.is_sign_negative() { 7 } else { PRIMARY },
        ),
        Const::Text(t) => (format!("{t:?}"), PRIMARY),
        Const::Date(d) => (d.to_string(), PRIMARY),
        Const::Duration(n, u) => (format!("{n} {}", u.word()), 7),
        Const::Enum(e, i) => (variant(rs, *e, *i), PRIMARY),
        Const::Set(e, bits) => (
            format!("{{{}}}", set_names(rs, *e, *bits).join(", ")),
            PRIMARY,
        ),
        Const::List(items) => (
            format!(
                "[{}]",
                items
                    .iter()
                    .map(|x| const_prec(rs, x).0)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PRIMARY,
        ),
    }
}

/// A concrete value of type `ty` as text (with its precedence).
pub(crate) fn val(rs: &hir::Ruleset, ty: &Type, v: &Val) -> (String, u8) {
    let inner = match ty {
        Type::List(t) => t.as_ref(),
        t => t,
    };
    match v {
        Val::Unknown => ("unknown".into(), PRIMARY),
        Val::Bool(b) => (b.to_string(), PRIMARY),
        Val::Answer(a) => (a.word().into(), PRIMARY),
        Val::Int(i) => const_prec(rs, &Const::Int(*i)),
        Val::Number(n) => const_prec(rs, &Const::Number(*n)),
        Val::Text(t) => (format!("{t:?}"), PRIMARY),
        Val::Date(d) => (d.to_string(), PRIMARY),
        Val::Enum(i) => match ty {
            Type::Enum(e) | Type::Set(e) => (variant(rs, *e, *i), PRIMARY),
            _ => (format!("#{i}"), PRIMARY),
        },
        Val::Set(bits) => match ty {
            Type::Set(e) | Type::Enum(e) => (
                format!("{{{}}}", set_names(rs, *e, *bits).join(", ")),
                PRIMARY,
            ),
            _ => (format!("{{#{bits:b}}}"), PRIMARY),
        },
        Val::List(items) => (
            format!(
                "[{}]",
                items
                    .iter()
                    .map(|x| val(rs, inner, x).0)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PRIMARY,
        ),
        Val::Opaque(o) => (o.text.clone(), o.prec),
    }
}

/// A concrete value as it appears in facts and decisions (`null` when unknown).
pub(crate) fn val_json(rs: &hir::Ruleset, ty: &Type, v: &Val) -> serde_json::Value {
    use serde_json::Value as Json;
    let inner = match ty {
        Type::List(t) => t.as_ref(),
        t => t,
    };
    match v {
        Val::Unknown | Val::Opaque(_) => Json::Null,
        Val::Bool(b) => Json::Bool(*b),
        Val::Answer(Answer::Unknown) => Json::Null,
        Val::Answer(a) => Json::String(a.word().into()),
        Val::Int(i) => Json::from(*i),
        Val::Number(n) => {
            let text = n.to_string();
            serde_json::from_str::<serde_json::Number>(&text)
                .map_or(Json::String(text), Json::Number)
        }
        Val::Text(t) => Json::String(t.to_string()),
        Val::Date(d) => Json::String(d.to_string()),
        Val::Enum(i) => match ty {
            Type::Enum(e) => Json::String(variant(rs, *e, *i)),
            _ => Json::Null,
        },
        Val::Set(bits) => match ty {
            Type::Set(e) => {
                let mut names = set_names(rs, *e, *bits);
                names.sort();
                Json::Array(names.into_iter().map(Json::String).collect())
            }
            _ => Json::Null,
        },
        Val::List(items) => Json::Array(items.iter().map(|x| val_json(rs, inner, x)).collect()),
    }
}

/// A type as written.
pub fn ty(rs: &hir::Ruleset, t: &Type) -> String {
    match t {
        Type::Answer => "answer".into(),
        Type::Bool => "bool".into(),
        Type::Int => "int".into(),
        Type::Number => "number".into(),
        Type::Text => "text".into(),
        Type::Date => "date".into(),
        Type::Duration => "duration".into(),
        Type::Enum(e) => name_of(&rs.enums, e.0, |d| &d.name),
        Type::Set(e) => format!("set of {}", name_of(&rs.enums, e.0, |d| &d.name)),
        Type::List(inner) => format!("list of {}", ty(rs, inner)),
    }
}

/// A table cell as written.
pub fn cell(rs: &hir::Ruleset, c: &CellTest) -> String {
    match c {
        CellTest::Any => "-".into(),
        CellTest::OneOf(cs) => cs
            .iter()
            .map(|x| constant(rs, x))
            .collect::<Vec<_>>()
            .join(", "),
        CellTest::Compare(op, k) => format!("{} {}", op.symbol(), constant(rs, k)),
        CellTest::Range(lo, hi) => format!("{}..{}", constant(rs, lo), constant(rs, hi)),
        CellTest::CompareExpr(op, e) => format!("{} {}", op.symbol(), expr(rs, e)),
    }
}
