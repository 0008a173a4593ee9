//! Conflicts: two rules or rows that can give one single-valued output different values.
//!
//! Work is grouped by output, so a large ruleset costs time in proportion to how many
//! rules write each output, not to the square of its size. Two writers do not conflict
//! when they give the same constant, when one rule is an exception to the other
//! (transitively), when both are rows of one table (a `hit first` table picks one row; a
//! `collect` table writing such an output is its own error), or when their conditions can
//! never hold together.

use std::collections::HashSet;

use waymark_diagnostics::{Code, Diagnostic, Span};

use crate::checker::{Checker, Writer};
use crate::hir::{Combine, Const, Expr, ExprKind, RuleId};
use crate::logic::F;

/// The most pairs of writers compared in one check.
const MAX_PAIRS: u64 = 200_000;

/// What a writer gives: a constant, or the shape of an expression.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Given {
    Const(Const),
    Shape(String),
}

struct Entry {
    writer: Writer,
    given: Given,
    shown: String,
    span: Span,
    formula: F,
}

/// A description of an expression's shape that ignores where it is written.
fn shape(e: &Expr) -> String {
    let mut out = String::new();
    crate::order::visit(e, &mut |x| {
        let part = match &x.kind {
            ExprKind::Const(c) => format!("c{c:?}"),
            ExprKind::Input(i) => format!("i{}", i.0),
            ExprKind::Param(p) => format!("p{}", p.0),
            ExprKind::Let(l) => format!("l{}", l.0),
            ExprKind::Output(o) => format!("o{}", o.0),
            ExprKind::List(v) => format!("L{}", v.len()),
            ExprKind::Set(v) => format!("S{}", v.len()),
            ExprKind::Min(v) => format!("m{}", v.len()),
            ExprKind::Max(v) => format!("M{}", v.len()),
            ExprKind::Not(_) => "!".into(),
            ExprKind::Neg(_) => "~".into(),
            ExprKind::And(..) => "&".into(),
            ExprKind::Or(..) => "|".into(),
            ExprKind::Implies(..) => ">".into(),
            ExprKind::Cmp(op, ..) => format!("={op:?}"),
            ExprKind::Arith(op, ..) => format!("+{op:?}"),
            ExprKind::DateShift { unit, subtract, .. } => format!("d{unit:?}{subtract}"),
            ExprKind::SetOp(op, ..) => format!("s{op:?}"),
            ExprKind::Is(_, t) => format!("?{t:?}"),
            ExprKind::In(..) => "in".into(),
            ExprKind::Within {
                unit, direction, ..
            } => format!("w{unit:?}{direction:?}"),
            ExprKind::CountValue(v, _) => format!("#{v:?}"),
            ExprKind::CountWithin {
                unit, direction, ..
            } => format!("#w{unit:?}{direction:?}"),
            ExprKind::CountBetween(..) => "#b".into(),
            ExprKind::CountAll(_) => "#".into(),
            ExprKind::If(..) => "if".into(),
        };
        out.push_str(&part);
        out.push(' ');
    });
    out
}

impl Checker<'_> {
    /// True when `a` is, through a chain of exceptions, an exception to `b`.
    fn overrides(&self, a: RuleId, b: RuleId) -> bool {
        let mut at = self.rules.get(a.0 as usize).and_then(|r| r.exception_to);
        let mut steps = 0usize;
        while let Some(r) = at {
            if r == b {
                return true;
            }
            steps += 1;
            if steps > self.rules.len() {
                return false;
            }
            at = self.rules.get(r.0 as usize).and_then(|x| x.exception_to);
        }
        false
    }

    fn describe(&self, w: Writer) -> String {
        match w {
            Writer::Rule(r, _) => {
                let meta = self.rule_meta.get(r.0 as usize);
                let kind = if meta.is_some_and(|m| m.decl.exception_to.is_some()) {
                    "exception"
                } else {
                    "rule"
                };
                format!(
                    "{kind} `{}`",
                    meta.map(|m| m.decl.name.name.as_str()).unwrap_or("?")
                )
            }
            Writer::Row(t, r, _) => {
                format!(
                    "row {} of table `{}`",
                    r + 1,
                    self.table_meta
                        .get(t.0 as usize)
                        .map(|m| m.decl.name.name.as_str())
                        .unwrap_or("?")
                )
            }
        }
    }

    fn entry(&self, w: Writer) -> Option<Entry> {
        let ok = match w {
            Writer::Rule(r, _) => self.rule_meta.get(r.0 as usize).is_some_and(|m| m.ok),
            Writer::Row(t, _, _) => self.table_meta.get(t.0 as usize).is_some_and(|m| m.ok),
        };
        if !ok {
            return None;
        }
        let (value, span, formula) = match w {
            Writer::Rule(r, a) => {
                let rule = self.rules.get(r.0 as usize)?;
                let action = rule.actions.get(a)?;
                let mut opaque = false;
                (
                    &action.value,
                    action.loc.span,
                    self.formula(&rule.condition, true, &mut opaque),
                )
            }
            Writer::Row(t, r, c) => {
                let row = self.tables.get(t.0 as usize)?.rows.get(r)?;
                let action = row.actions.get(c)?.as_ref()?;
                (
                    &action.value,
                    action.loc.span,
                    self.row_formula(t.0 as usize, r),
                )
            }
        };
        let (given, shown) = match crate::consts::fold(value) {
            Some(c) => {
                let shown = self.show(&c);
                (Given::Const(c), shown)
            }
            None => {
                let inst = match w {
                    Writer::Rule(r, _) => self.rule_meta.get(r.0 as usize).map(|m| m.inst),
                    Writer::Row(t, _, _) => self.table_meta.get(t.0 as usize).map(|m| m.inst),
                }?;
                let shown = self
                    .snippet(inst, value.loc.span)
                    .unwrap_or_else(|| "a computed value".into());
                (Given::Shape(shape(value)), shown)
            }
        };
        Some(Entry {
            writer: w,
            given,
            shown,
            span,
            formula,
        })
    }

    /// Reports pairs of writers that can give one single-valued output different values.
    pub(crate) fn check_conflicts(&mut self) {
        let mut pairs_left = MAX_PAIRS;
        for o in 0..self.output_meta.len() {
            let Some(meta) = self.output_meta.get(o) else {
                continue;
            };
            if meta.writers.len() < 2
                || meta.ty.is_none()
                || self.combine_of(meta.ty.as_ref()) != Combine::Single
            {
                continue;
            }
            let (inst, name) = (meta.inst, meta.decl.name.name.clone());
            let writers = meta.writers.clone();
            let entries: Vec<Entry> = writers.iter().filter_map(|w| self.entry(*w)).collect();
            let distinct: HashSet<&Given> = entries.iter().map(|e| &e.given).collect();
            if distinct.len() < 2 {
                continue;
            }
            for (j, later) in entries.iter().enumerate() {
                for earlier in entries.iter().take(j) {
                    if earlier.given == later.given || self.exempt(earlier.writer, later.writer) {
                        continue;
                    }
                    if pairs_left == 0 {
                        return;
                    }
                    pairs_left -= 1;
                    let mut conflicts = HashSet::new();
                    if !self.satisfiable(vec![&earlier.formula, &later.formula], &mut conflicts) {
                        continue;
                    }
                    let d = match (earlier.writer, later.writer) {
                        (Writer::Rule(x, _), Writer::Rule(y, _)) if x == y => set_twice(
                            &name,
                            &self.describe(later.writer),
                            (earlier.span, &earlier.shown),
                            (later.span, &later.shown),
                        ),
                        _ => conflict(
                            &name,
                            (&self.describe(earlier.writer), earlier.span, &earlier.shown),
                            (&self.describe(later.writer), later.span, &later.shown),
                        ),
                    };
                    self.emit(inst, d);
                    break;
                }
            }
        }
    }

    /// Writers that never conflict whatever they give.
    fn exempt(&self, a: Writer, b: Writer) -> bool {
        match (a, b) {
            (Writer::Rule(x, _), Writer::Rule(y, _)) => {
                self.overrides(x, y) || self.overrides(y, x)
            }
            (Writer::Row(x, _, _), Writer::Row(y, _, _)) => x == y,
            _ => false,
        }
    }
}

fn conflict(output: &str, first: (&str, Span, &str), second: (&str, Span, &str)) -> Diagnostic {
    let (a, a_span, a_value) = first;
    let (b, b_span, b_value) = second;
    Diagnostic::new(Code::ConflictingRules, format!("{a} and {b} can both set `{output}`, to different values"))
        .with_primary(b_span, format!("{b} sets `{output}` to `{b_value}`"))
        .with_label(a_span, format!("{a} sets it to `{a_value}`"))
        .with_help("make one an exception to the other (`exception NAME to BASE`), or put them in one `hit first` table")
}

fn set_twice(output: &str, rule: &str, first: (Span, &str), second: (Span, &str)) -> Diagnostic {
    Diagnostic::new(
        Code::ConflictingRules,
        format!("{rule} sets `{output}` twice, to different values"),
    )
    .with_primary(second.0, format!("sets `{output}` to `{}`", second.1))
    .with_label(first.0, format!("already sets it to `{}`", first.1))
    .with_help("set each single-valued output once per rule")
}
