//! Expressions: names resolved, types checked, syntax lowered to [`hir::Expr`].
//!
//! Checking is bidirectional in a small way: the caller may say which type it wants, and
//! that guides the forms that cannot tell their type alone (an enum value such as `high`,
//! `unknown`, `{}`). Comparisons, `in` and `if` check the self-describing side first and use
//! its type for the other.

use std::str::FromStr;

use waymark_diagnostics::{Code, Diagnostic, Span};
use waymark_ir::{Answer, Decimal};
use waymark_syntax::ast;

use crate::checker::{Checker, Decl, Ty, placeholder, to_date};
use crate::hir::{self, ArithOp, CmpOp, Const, EnumId, Expr, ExprKind, IsTest, SetOp, Type};
use crate::load::InstId;
use crate::ty::{common, fits, is_numeric};

fn mk(kind: ExprKind, ty: Type, loc: hir::Loc) -> Expr {
    Expr { kind, ty, loc }
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// Converts the syntax tree's calendar unit.
pub(crate) fn unit(u: ast::Unit) -> waymark_ir::Unit {
    match u {
        ast::Unit::Days => waymark_ir::Unit::Days,
        ast::Unit::Weeks => waymark_ir::Unit::Weeks,
        ast::Unit::Months => waymark_ir::Unit::Months,
        ast::Unit::Years => waymark_ir::Unit::Years,
    }
}

/// The amount and unit of a duration such as `12 months`, looking through parentheses.
pub(crate) fn as_duration(e: &ast::Expr) -> Option<(&ast::Expr, ast::Unit)> {
    match &e.kind {
        ast::ExprKind::Duration(n, u) => Some((n, *u)),
        ast::ExprKind::Paren(inner) => as_duration(inner),
        _ => None,
    }
}

/// The answer literal an expression is, if it is one.
fn answer_literal(e: &Expr) -> Option<Answer> {
    match &e.kind {
        ExprKind::Const(Const::Answer(a)) => Some(*a),
        _ => None,
    }
}

fn is_unknown_literal(e: &ast::Expr) -> bool {
    match &e.kind {
        ast::ExprKind::Lit(ast::Literal::Unknown) => true,
        ast::ExprKind::Paren(inner) => is_unknown_literal(inner),
        _ => false,
    }
}

impl<'a> Checker<'a> {
    /// The source text of a span, when it is short enough to quote in a message.
    pub(crate) fn snippet(&self, inst: InstId, span: Span) -> Option<String> {
        let text = self.source_of(inst)?.slice(span);
        (!text.is_empty() && text.len() <= 40 && !text.contains('\n')).then(|| text.to_string())
    }

    fn quoted(&self, inst: InstId, span: Span) -> String {
        self.snippet(inst, span)
            .map_or_else(|| "this".to_string(), |s| format!("`{s}`"))
    }

    /// True when an expression needs the type it is used at to know its own type.
    pub(crate) fn is_contextual(&self, inst: InstId, e: &ast::Expr) -> bool {
        match &e.kind {
            ast::ExprKind::Lit(ast::Literal::Unknown) => true,
            ast::ExprKind::Name(p) => {
                p.segments.len() == 1
                    && !matches!(
                        p.segments.first().and_then(|s| self.lookup(inst, &s.name)),
                        Some(Decl::Input(_) | Decl::Param(_) | Decl::Let(_) | Decl::Output(_))
                    )
            }
            ast::ExprKind::Set(_) => true,
            ast::ExprKind::List(items) => items.iter().all(|i| match i {
                ast::ListItem::Expr(x) => self.is_contextual(inst, x),
                ast::ListItem::Range(..) => false,
            }),
            ast::ExprKind::Paren(x) => self.is_contextual(inst, x),
            ast::ExprKind::If(_, a, b) => {
                self.is_contextual(inst, a) && self.is_contextual(inst, b)
            }
            _ => false,
        }
    }

    /// Checks an expression. `want` is the type the caller expects, if it knows; the result
    /// may still have another type, which the caller reports (see [`Checker::coerce`]).
    pub(crate) fn expr(&mut self, inst: InstId, e: &ast::Expr, want: Option<&Type>) -> (Expr, Ty) {
        let loc = self.loc(inst, e.span);
        match &e.kind {
            ast::ExprKind::Lit(lit) => self.literal(inst, e, lit, want),
            ast::ExprKind::Name(path) => self.name_expr(inst, path, e.span, want),
            ast::ExprKind::List(items) => self.list_expr(inst, items, e.span, want),
            ast::ExprKind::Set(items) => self.set_expr(inst, items, e.span, want),
            ast::ExprKind::Paren(inner) => {
                let (h, t) = self.expr(inst, inner, want);
                (Expr { loc, ..h }, t)
            }
            ast::ExprKind::Unary(ast::UnaryOp::Not, x) => {
                let h = self.cond(inst, x);
                if let Some((test_span, lit)) = definite_answer_test(&h) {
                    let whole = self.snippet(inst, e.span);
                    let test = self.snippet(inst, test_span);
                    let direct = test_span == h.loc.span;
                    self.emit(inst, not_counts_dont_know(e.span, whole, test, lit, direct));
                }
                (mk(ExprKind::Not(bx(h)), Type::Bool, loc), Some(Type::Bool))
            }
            ast::ExprKind::Unary(ast::UnaryOp::Neg, x) => {
                if as_duration(x).is_some() {
                    self.emit(inst, duration_out_of_place(x.span));
                    return (placeholder(loc), None);
                }
                let (h, t) = self.expr(inst, x, want.filter(|w| is_numeric(w)));
                match t {
                    Some(t) if is_numeric(&t) => {
                        (mk(ExprKind::Neg(bx(h)), t.clone(), loc), Some(t))
                    }
                    None => (placeholder(loc), None),
                    Some(t) => {
                        let name = self.type_name(&t);
                        self.emit(inst, arith_needs_numbers(x.span, "-", &name, None));
                        (placeholder(loc), None)
                    }
                }
            }
            ast::ExprKind::Binary(op, a, b) => self.binary(inst, *op, a, b, e.span, want),
            ast::ExprKind::Is {
                value,
                negated,
                test,
            } => self.is_expr(inst, value, *negated, *test, e.span),
            ast::ExprKind::In {
                value,
                negated,
                collection,
            } => self.in_expr(inst, value, *negated, collection, e.span),
            ast::ExprKind::Within {
                date,
                amount,
                direction,
                anchor,
            } => {
                let d = self.expect_type(inst, date, &Type::Date, &|| {
                    "the date tested by `within`".into()
                });
                let a = self.expect_type(inst, anchor, &Type::Date, &|| {
                    "the date `within` counts from".into()
                });
                match self.duration(inst, amount, "`within`") {
                    Some((n, u)) => (
                        mk(
                            ExprKind::Within {
                                date: bx(d),
                                amount: bx(n),
                                unit: u,
                                direction: *direction,
                                anchor: bx(a),
                            },
                            Type::Bool,
                            loc,
                        ),
                        Some(Type::Bool),
                    ),
                    None => (placeholder(loc), Some(Type::Bool)),
                }
            }
            ast::ExprKind::Duration(..) => {
                self.emit(inst, duration_out_of_place(e.span));
                (placeholder(loc), None)
            }
            ast::ExprKind::Count(c) => self.count_expr(inst, c, e.span),
            ast::ExprKind::If(c, a, b) => self.if_expr(inst, c, a, b, e.span, want),
            ast::ExprKind::Call(name, args) => self.call(inst, name, args, e.span, want),
        }
    }

    /// Checks an expression that must have type `want`, reporting a mismatch.
    pub(crate) fn expect_type(
        &mut self,
        inst: InstId,
        e: &ast::Expr,
        want: &Type,
        what: &dyn Fn() -> String,
    ) -> Expr {
        let (h, t) = self.expr(inst, e, Some(want));
        self.coerce(inst, e, h, t, Some(want), what)
    }

    /// Reports a value whose type does not fit where it is used, and widens whole numbers
    /// used as decimals (`x + 0.0`, so every node keeps an exact type).
    pub(crate) fn coerce(
        &mut self,
        inst: InstId,
        e: &ast::Expr,
        h: Expr,
        ty: Ty,
        want: Option<&Type>,
        what: &dyn Fn() -> String,
    ) -> Expr {
        let (Some(t), Some(w)) = (ty, want) else {
            return h;
        };
        if t == *w {
            return h;
        }
        if fits(&t, w) {
            return widen(h);
        }
        if t == Type::Answer && *w == Type::Bool {
            let shown = self.quoted(inst, e.span);
            let example = self
                .snippet(inst, e.span)
                .filter(|s| is_simple_name(s))
                .unwrap_or_else(|| "q1".into());
            self.emit(inst, answer_as_condition(e.span, &shown, &example));
            return h;
        }
        let found = self.type_name(&t);
        let wanted = self.type_name(w);
        let help = self.quote_help(e, w).or_else(|| self.mismatch_help(&t, w));
        self.emit(inst, type_mismatch(e.span, &what(), &wanted, &found, help));
        h
    }

    /// "remove the quotes" when a text literal spells a value of the wanted type.
    fn quote_help(&self, e: &ast::Expr, want: &Type) -> Option<String> {
        let ast::ExprKind::Lit(ast::Literal::Text(s)) = &e.kind else {
            return None;
        };
        let s = s.trim();
        let ok = match want {
            Type::Int => s.parse::<i64>().is_ok(),
            Type::Number => Decimal::from_str(s).is_ok(),
            Type::Date => waymark_ir::Date::parse(s).is_some(),
            Type::Answer => matches!(s, "yes" | "no" | "unknown"),
            Type::Bool => matches!(s, "true" | "false"),
            Type::Enum(id) => self
                .enums
                .get(id.0 as usize)
                .is_some_and(|d| d.variants.iter().any(|v| v.name == s)),
            _ => false,
        };
        ok.then(|| format!("remove the quotes: `{s}`"))
    }

    fn mismatch_help(&self, found: &Type, want: &Type) -> Option<String> {
        match (found, want) {
            (Type::Bool, Type::Answer) => {
                Some("answers are `yes`, `no` or `unknown`, not `true` or `false`".into())
            }
            (Type::Answer, _) => {
                Some("an answer is yes, no or don't know: test it with `is yes` or `is no`".into())
            }
            (Type::Enum(_), Type::Set(e)) => Some(format!(
                "put the value in braces to make a set of `{}` values: `{{…}}`",
                self.enum_name(*e)
            )),
            (Type::Number, Type::Int) => {
                Some("a decimal number cannot be used as a whole number".into())
            }
            (Type::Enum(a), Type::Enum(b)) if self.same_shape(found, want) => Some(format!(
                "`{}` and `{}` are different enums with the same values; use one of them in both places",
                self.enum_name(*a),
                self.enum_name(*b)
            )),
            _ => None,
        }
    }

    /// Checks a condition: it must be a `bool`, and an answer must say what don't know means.
    pub(crate) fn cond(&mut self, inst: InstId, e: &ast::Expr) -> Expr {
        let (h, t) = self.expr(inst, e, Some(&Type::Bool));
        match t {
            None | Some(Type::Bool) => {}
            Some(Type::Answer) => {
                let shown = self.quoted(inst, e.span);
                let example = self
                    .snippet(inst, e.span)
                    .filter(|s| is_simple_name(s))
                    .unwrap_or_else(|| "q1".into());
                self.emit(inst, answer_as_condition(e.span, &shown, &example));
            }
            Some(other) => {
                let shown = self.quoted(inst, e.span);
                let phrase = self.type_phrase(&other);
                let help = self.condition_help(inst, e, &other);
                self.emit(inst, not_a_condition(e.span, &shown, &phrase, &help));
            }
        }
        h
    }

    fn condition_help(&self, inst: InstId, e: &ast::Expr, t: &Type) -> String {
        let s = self.snippet(inst, e.span).unwrap_or_else(|| "x".into());
        match t {
            Type::Int | Type::Number => format!("compare it, e.g. `{s} >= 14`"),
            Type::Date => {
                format!("test the date, e.g. `{s} within 12 months before assessment_date`")
            }
            Type::Set(_) | Type::List(_) => format!("test it, e.g. `{s} is empty` or `… in {s}`"),
            Type::Enum(id) => {
                let v = self
                    .enums
                    .get(id.0 as usize)
                    .and_then(|d| d.variants.last())
                    .map_or("…".into(), |v| v.name.clone());
                format!("compare it, e.g. `{s} = {v}`")
            }
            _ => format!("test it, e.g. `{s} is known`"),
        }
    }

    fn literal(
        &mut self,
        inst: InstId,
        e: &ast::Expr,
        lit: &ast::Literal,
        want: Option<&Type>,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, e.span);
        let c = |k: Const, t: Type| (mk(ExprKind::Const(k), t.clone(), loc), Some(t));
        match lit {
            ast::Literal::Int(v) => {
                if want == Some(&Type::Number) {
                    c(Const::Number(Decimal::from(*v)), Type::Number)
                } else {
                    c(Const::Int(*v), Type::Int)
                }
            }
            ast::Literal::Number(text) => match Decimal::from_str(text) {
                Ok(d) => c(Const::Number(d), Type::Number),
                Err(_) => {
                    if !self.broken(inst) {
                        self.emit(inst, bad_number(e.span, text));
                    }
                    (placeholder(loc), None)
                }
            },
            ast::Literal::Text(t) => c(Const::Text(t.as_str().into()), Type::Text),
            ast::Literal::Date(d) => match to_date(*d) {
                Some(d) => c(Const::Date(d), Type::Date),
                None => (placeholder(loc), None),
            },
            ast::Literal::Yes => c(Const::Answer(Answer::Yes), Type::Answer),
            ast::Literal::No => c(Const::Answer(Answer::No), Type::Answer),
            ast::Literal::Bool(b) => c(Const::Bool(*b), Type::Bool),
            ast::Literal::Unknown => match want {
                Some(Type::Answer) => c(Const::Answer(Answer::Unknown), Type::Answer),
                Some(Type::Duration) | None => {
                    if !self.broken(inst) {
                        self.emit(inst, unknown_without_type(e.span));
                    }
                    (placeholder(loc), None)
                }
                Some(t) => c(Const::Unknown, t.clone()),
            },
        }
    }

    // -- names --

    /// The enum value `name` would be where `want` is expected.
    fn wanted_variant(&self, want: Option<&Type>, name: &str) -> Option<(EnumId, u32)> {
        let e = match want? {
            Type::Enum(e) | Type::Set(e) => *e,
            Type::List(t) => match **t {
                Type::Enum(e) => e,
                _ => return None,
            },
            _ => return None,
        };
        let idx = self
            .enums
            .get(e.0 as usize)?
            .variants
            .iter()
            .position(|v| v.name == name)?;
        Some((e, idx as u32))
    }

    fn wanted_enum(want: Option<&Type>) -> Option<EnumId> {
        match want? {
            Type::Enum(e) | Type::Set(e) => Some(*e),
            Type::List(t) => match **t {
                Type::Enum(e) => Some(e),
                _ => None,
            },
            _ => None,
        }
    }

    /// The enums of an instance that have a value called `name`.
    fn variants_named(&self, inst: InstId, name: &str) -> Vec<(EnumId, u32)> {
        let Some(scope) = self.scope(inst) else {
            return Vec::new();
        };
        scope
            .enums
            .iter()
            .filter_map(|e| {
                let idx = self
                    .enums
                    .get(e.0 as usize)?
                    .variants
                    .iter()
                    .position(|v| v.name == name)?;
                Some((*e, idx as u32))
            })
            .collect()
    }

    fn variant_expr(&self, inst: InstId, e: EnumId, idx: u32, span: Span) -> (Expr, Ty) {
        (
            mk(
                ExprKind::Const(Const::Enum(e, idx)),
                Type::Enum(e),
                self.loc(inst, span),
            ),
            Some(Type::Enum(e)),
        )
    }

    /// Resolves a name to a declaration's value, recording the read.
    fn read_decl(&mut self, inst: InstId, d: Decl) -> Option<(ExprKind, Ty)> {
        let v = self.decl_value(inst, d)?;
        self.record(d);
        Some(v)
    }

    /// Records that what is being checked reads a declaration.
    fn record(&mut self, d: Decl) {
        if self.owner != crate::checker::Owner::None {
            self.recorded.push((self.owner, d));
        }
    }

    /// The value of a declaration as seen from `inst`; `None` when it is not a value.
    pub(crate) fn decl_value(&self, inst: InstId, d: Decl) -> Option<(ExprKind, Ty)> {
        Some(match d {
            Decl::Input(i) => (ExprKind::Input(i), self.input_ty(inst, i)),
            Decl::Param(p) => (ExprKind::Param(p), self.param_ty(p)),
            Decl::Let(l) => (ExprKind::Let(l), self.let_ty(l)),
            Decl::Output(o) => (ExprKind::Output(o), self.output_ty(o)),
            _ => return None,
        })
    }

    pub(crate) fn name_expr(
        &mut self,
        inst: InstId,
        path: &ast::Path,
        span: Span,
        want: Option<&Type>,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let Some(first) = path.segments.first() else {
            return (placeholder(loc), None);
        };
        if path.segments.len() == 1 {
            return self.plain_name(inst, &first.name, span, want);
        }
        // `alias.name`, `alias.alias.name`, `enum.value`, `alias.enum.value`.
        let mut at = inst;
        let mut rest = path.segments.as_slice();
        while let [head, tail @ ..] = rest {
            if tail.is_empty() {
                break;
            }
            if let Some(c) = self.child(at, &head.name) {
                at = c;
                rest = tail;
                continue;
            }
            if self
                .scope(at)
                .is_some_and(|s| s.dead_aliases.contains(&head.name))
            {
                return (placeholder(loc), None);
            }
            break;
        }
        match rest {
            [one] => {
                let found = self.lookup(at, &one.name);
                if let Some(d) = found {
                    if let Some((kind, ty)) = self.read_decl(at, d) {
                        return (mk(kind, ty.clone().unwrap_or(Type::Bool), loc), ty);
                    }
                    if at != inst {
                        let what = path.dotted();
                        self.emit(inst, not_a_value(span, &what, d.phrase()));
                        return (placeholder(loc), None);
                    }
                }
                let named = self.variants_named(at, &one.name);
                if let Some((e, idx)) = self
                    .wanted_variant(want, &one.name)
                    .or_else(|| named.first().copied())
                    && at != inst
                {
                    return self.variant_expr(inst, e, idx, span);
                }
                let candidates = self.addressable(at);
                let suggestion = self.suggest(&one.name, candidates.iter().map(String::as_str));
                let owner = path
                    .segments
                    .iter()
                    .take(path.segments.len() - 1)
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>();
                self.emit(
                    inst,
                    unknown_in_import(
                        span,
                        &path.dotted(),
                        &owner.join("."),
                        &one.name,
                        suggestion.as_deref(),
                    ),
                );
                (placeholder(loc), None)
            }
            [en, value] => {
                if let Some(Decl::Enum(e)) = self.lookup(at, &en.name) {
                    let idx = self
                        .enums
                        .get(e.0 as usize)
                        .and_then(|d| d.variants.iter().position(|v| v.name == value.name));
                    if let Some(idx) = idx {
                        return self.variant_expr(inst, e, idx as u32, span);
                    }
                    return self.unknown_variant(inst, e, &value.name, span);
                }
                self.unknown_qualifier(inst, at, en, path, span)
            }
            _ => {
                let Some(head) = rest.first() else {
                    return (placeholder(loc), None);
                };
                self.unknown_qualifier(inst, at, head, path, span)
            }
        }
    }

    fn unknown_qualifier(
        &mut self,
        inst: InstId,
        at: InstId,
        head: &ast::Ident,
        path: &ast::Path,
        span: Span,
    ) -> (Expr, Ty) {
        let mut candidates: Vec<String> = Vec::new();
        if let Some(scope) = self.scope(at) {
            for n in &scope.order {
                if matches!(
                    scope.names.get(n),
                    Some((Decl::Import(_) | Decl::Enum(_), _))
                ) {
                    candidates.push(n.clone());
                }
            }
        }
        let suggestion = self.suggest(&head.name, candidates.iter().map(String::as_str));
        self.emit(
            inst,
            unknown_qualifier(span, &path.dotted(), &head.name, suggestion.as_deref()),
        );
        (placeholder(self.loc(inst, span)), None)
    }

    fn unknown_variant(&mut self, inst: InstId, e: EnumId, name: &str, span: Span) -> (Expr, Ty) {
        let values: Vec<String> = self
            .enums
            .get(e.0 as usize)
            .map(|d| d.variants.iter().map(|v| v.name.clone()).collect())
            .unwrap_or_default();
        let suggestion = self.suggest(name, values.iter().map(String::as_str));
        let enum_name = self.enum_name(e);
        self.emit(
            inst,
            unknown_variant(span, name, &enum_name, suggestion.as_deref(), &values),
        );
        (placeholder(self.loc(inst, span)), None)
    }

    /// Names `alias.…` can reach in an instance.
    fn addressable(&self, inst: InstId) -> Vec<String> {
        let Some(scope) = self.scope(inst) else {
            return Vec::new();
        };
        scope
            .order
            .iter()
            .filter(|n| {
                matches!(
                    scope.names.get(*n),
                    Some((
                        Decl::Input(_)
                            | Decl::Param(_)
                            | Decl::Let(_)
                            | Decl::Output(_)
                            | Decl::Enum(_),
                        _
                    ))
                )
            })
            .cloned()
            .collect()
    }

    /// A name without dots: a declaration, or an enum value.
    pub(crate) fn plain_name(
        &mut self,
        inst: InstId,
        name: &str,
        span: Span,
        want: Option<&Type>,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let wanted = self.wanted_variant(want, name);
        match self.lookup_span(inst, name) {
            Some((d, dspan)) => {
                if let Some((kind, ty)) = self.decl_value(inst, d) {
                    if let (Some((e, idx)), Some(w)) = (wanted, want) {
                        let decl_fits = ty.as_ref().is_none_or(|t| {
                            fits(t, w) || matches!(w, Type::Set(x) if *t == Type::Enum(*x))
                        });
                        if decl_fits {
                            let enum_name = self.enum_name(e);
                            let enum_file = self.enums.get(e.0 as usize).map(|d| d.loc.file);
                            let same_file = (enum_file == Some(self.file_of(inst)))
                                .then(|| {
                                    self.variant_spans
                                        .get(e.0 as usize)
                                        .and_then(|v| v.get(idx as usize))
                                        .copied()
                                })
                                .flatten();
                            self.emit(
                                inst,
                                ambiguous_name(
                                    span,
                                    name,
                                    d.phrase(),
                                    &enum_name,
                                    dspan,
                                    same_file,
                                ),
                            );
                            return (placeholder(loc), None);
                        }
                        return self.variant_expr(inst, e, idx, span);
                    }
                    self.record(d);
                    return (mk(kind, ty.clone().unwrap_or(Type::Bool), loc), ty);
                }
                if let Some((e, idx)) = wanted {
                    return self.variant_expr(inst, e, idx, span);
                }
                if let [(e, idx)] = self.variants_named(inst, name).as_slice() {
                    return self.variant_expr(inst, *e, *idx, span);
                }
                self.emit(inst, not_a_value(span, name, d.phrase()));
                (placeholder(loc), None)
            }
            None => {
                if let Some((e, idx)) = wanted {
                    return self.variant_expr(inst, e, idx, span);
                }
                if let Some(e) = Self::wanted_enum(want)
                    && self.variants_named(inst, name).is_empty()
                {
                    return self.unknown_variant(inst, e, name, span);
                }
                let named = self.variants_named(inst, name);
                match named.as_slice() {
                    [(e, idx)] => self.variant_expr(inst, *e, *idx, span),
                    [] => {
                        self.unknown_name(inst, name, span);
                        (placeholder(loc), None)
                    }
                    many => {
                        let enums: Vec<String> =
                            many.iter().map(|(e, _)| self.enum_name(*e)).collect();
                        self.emit(inst, ambiguous_variant(span, name, &enums));
                        (placeholder(loc), None)
                    }
                }
            }
        }
    }

    /// Reports a name that is not declared, with the closest declared name.
    pub(crate) fn unknown_name(&mut self, inst: InstId, name: &str, span: Span) {
        let mut candidates: Vec<String> = self
            .scope(inst)
            .map(|s| s.order.clone())
            .unwrap_or_default();
        if let Some(scope) = self.scope(inst) {
            for e in &scope.enums {
                if let Some(d) = self.enums.get(e.0 as usize) {
                    candidates.extend(d.variants.iter().map(|v| v.name.clone()));
                }
            }
        }
        // The same name in an imported file: suggest `alias.name`.
        let mut qualified = None;
        if let Some(i) = self.src.instance(inst) {
            for (alias, child, _) in &i.children {
                if matches!(
                    self.lookup(*child, name),
                    Some(Decl::Let(_) | Decl::Output(_) | Decl::Param(_) | Decl::Input(_))
                ) {
                    qualified = Some(format!("{alias}.{name}"));
                    break;
                }
            }
        }
        let suggestion =
            qualified.or_else(|| self.suggest(name, candidates.iter().map(String::as_str)));
        self.emit(inst, unknown_name(span, name, suggestion.as_deref()));
    }

    /// The expressions a range such as `q1..q24` stands for.
    pub(crate) fn range_items(
        &mut self,
        inst: InstId,
        a: &ast::Ident,
        b: &ast::Ident,
        span: Span,
    ) -> Vec<(Expr, Ty)> {
        let names = match crate::names::expand(a, b, span) {
            Ok(n) => n,
            Err(d) => {
                self.emit(inst, d);
                return Vec::new();
            }
        };
        let mut out = Vec::with_capacity(names.len());
        let mut missing = Vec::new();
        let loc = self.loc(inst, span);
        for n in &names {
            match self.lookup(inst, n).and_then(|d| self.read_decl(inst, d)) {
                Some((kind, ty)) => out.push((mk(kind, ty.clone().unwrap_or(Type::Bool), loc), ty)),
                None => {
                    missing.push(n.clone());
                    out.push((placeholder(loc), None));
                }
            }
        }
        if !missing.is_empty() {
            self.emit(
                inst,
                range_names_missing(span, &format!("{}..{}", a.name, b.name), &missing),
            );
        }
        out
    }

    // -- lists and sets --

    fn list_expr(
        &mut self,
        inst: InstId,
        items: &[ast::ListItem],
        span: Span,
        want: Option<&Type>,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let wanted: Option<Type> = match want {
            Some(Type::List(t)) => Some((**t).clone()),
            _ => None,
        };
        // The list's own items decide its type; what the caller wants only guides items that
        // cannot tell their type alone. Self-describing items go first, so that
        // `[high, risk]` learns its type from `risk`.
        let mut elem: Option<Type> = None;
        let mut pending: Vec<usize> = (0..items.len()).collect();
        pending.sort_by_key(|i| match items.get(*i) {
            Some(ast::ListItem::Expr(x)) => self.is_contextual(inst, x),
            _ => false,
        });
        let unify = |elem: &mut Option<Type>, t: &Ty| {
            if let Some(t) = t {
                *elem = Some(match elem.take() {
                    None => t.clone(),
                    Some(e) => common(&e, t).unwrap_or(e),
                });
            }
        };
        let mut flat: Vec<(usize, Expr, Ty, Span)> = Vec::new();
        for i in pending {
            match items.get(i) {
                Some(ast::ListItem::Expr(x)) => {
                    let guide = elem.clone().or_else(|| wanted.clone());
                    let (h, t) = self.expr(inst, x, guide.as_ref());
                    unify(&mut elem, &t);
                    flat.push((i, h, t, x.span));
                }
                Some(ast::ListItem::Range(a, b, s)) => {
                    for (h, t) in self.range_items(inst, a, b, *s) {
                        unify(&mut elem, &t);
                        flat.push((i, h, t, *s));
                    }
                }
                None => {}
            }
        }
        let elem = elem.or(wanted);
        flat.sort_by_key(|(i, ..)| *i);
        let Some(elem) = elem else {
            if items.is_empty() && !self.broken(inst) {
                self.emit(inst, empty_without_type(span, "list"));
            }
            return (placeholder(loc), None);
        };
        if matches!(elem, Type::Set(_) | Type::List(_) | Type::Duration) {
            let name = self.type_name(&elem);
            self.emit(inst, bad_list_element(span, &name));
            return (placeholder(loc), None);
        }
        let mut out = Vec::with_capacity(flat.len());
        let mut bad = false;
        for (_, h, t, s) in flat {
            match t {
                Some(t) if t == elem => out.push(h),
                Some(t) if fits(&t, &elem) => out.push(widen(h)),
                Some(t) => {
                    if !bad {
                        let (found, wanted) = (self.type_name(&t), self.type_name(&elem));
                        self.emit(inst, mixed_list(s, &wanted, &found));
                    }
                    bad = true;
                }
                None => bad = true,
            }
        }
        let ty = Type::List(Box::new(elem));
        if bad {
            return (placeholder(loc), Some(ty));
        }
        (mk(ExprKind::List(out), ty.clone(), loc), Some(ty))
    }

    fn set_expr(
        &mut self,
        inst: InstId,
        items: &[ast::Expr],
        span: Span,
        want: Option<&Type>,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let mut elem: Option<EnumId> = match want {
            Some(Type::Set(e)) => Some(*e),
            _ => None,
        };
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|i| items.get(*i).is_some_and(|x| self.is_contextual(inst, x)));
        let mut done: Vec<(usize, Expr, Ty, Span)> = Vec::new();
        for i in order {
            let Some(x) = items.get(i) else { continue };
            let w = elem.map(Type::Enum);
            let (h, t) = self.expr(inst, x, w.as_ref());
            if elem.is_none()
                && let Some(Type::Enum(e)) = &t
            {
                elem = Some(*e);
            }
            done.push((i, h, t, x.span));
        }
        done.sort_by_key(|(i, ..)| *i);
        let Some(e) = elem else {
            if items.is_empty() {
                if !self.broken(inst) {
                    self.emit(inst, empty_without_type(span, "set"));
                }
            } else if let Some((_, _, Some(t), s)) = done.first() {
                let name = self.type_name(t);
                self.emit(inst, set_of_non_enum_values(*s, &name));
            }
            return (placeholder(loc), None);
        };
        let mut out = Vec::new();
        let mut bad = false;
        for (_, h, t, s) in done {
            match t {
                Some(Type::Enum(x)) if x == e => out.push(h),
                Some(t) => {
                    if !bad {
                        let (found, wanted) = (self.type_name(&t), self.enum_name(e));
                        self.emit(inst, mixed_list(s, &wanted, &found));
                    }
                    bad = true;
                }
                None => bad = true,
            }
        }
        let ty = Type::Set(e);
        if bad {
            return (placeholder(loc), Some(ty));
        }
        (mk(ExprKind::Set(out), ty.clone(), loc), Some(ty))
    }

    // -- operators --

    fn binary(
        &mut self,
        inst: InstId,
        op: ast::BinaryOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
        want: Option<&Type>,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        match op {
            ast::BinaryOp::And | ast::BinaryOp::Or | ast::BinaryOp::Implies => {
                let x = self.cond(inst, a);
                let y = self.cond(inst, b);
                let kind = match op {
                    ast::BinaryOp::And => ExprKind::And(bx(x), bx(y)),
                    ast::BinaryOp::Or => ExprKind::Or(bx(x), bx(y)),
                    _ => ExprKind::Implies(bx(x), bx(y)),
                };
                (mk(kind, Type::Bool, loc), Some(Type::Bool))
            }
            ast::BinaryOp::Cmp(c) => self.comparison(inst, c, a, b, span),
            ast::BinaryOp::Add => self.arith(inst, ArithOp::Add, a, b, span, want),
            ast::BinaryOp::Sub => self.arith(inst, ArithOp::Sub, a, b, span, want),
            ast::BinaryOp::Mul => self.arith(inst, ArithOp::Mul, a, b, span, want),
            ast::BinaryOp::Div => self.arith(inst, ArithOp::Div, a, b, span, want),
            ast::BinaryOp::Union => self.set_op(inst, SetOp::Union, a, b, span, want),
            ast::BinaryOp::Intersect => self.set_op(inst, SetOp::Intersect, a, b, span, want),
            ast::BinaryOp::Without => self.set_op(inst, SetOp::Without, a, b, span, want),
        }
    }

    /// Checks two operands that must share a type: the self-describing one first.
    fn pair(
        &mut self,
        inst: InstId,
        a: &ast::Expr,
        b: &ast::Expr,
        want: Option<&Type>,
    ) -> ((Expr, Ty), (Expr, Ty)) {
        if self.is_contextual(inst, a) && !self.is_contextual(inst, b) {
            let y = self.expr(inst, b, want);
            let x = self.expr(inst, a, y.1.as_ref().or(want));
            (x, y)
        } else {
            let x = self.expr(inst, a, want);
            let y = self.expr(inst, b, x.1.as_ref().or(want));
            (x, y)
        }
    }

    fn comparison(
        &mut self,
        inst: InstId,
        op: CmpOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let ((ha, ta), (hb, tb)) = self.pair(inst, a, b, None);
        let ok = |kind| (mk(kind, Type::Bool, loc), Some(Type::Bool));
        let (Some(ta), Some(tb)) = (ta, tb) else {
            return (placeholder(loc), Some(Type::Bool));
        };
        if ta == Type::Answer && tb == Type::Answer {
            if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                self.emit(inst, answers_unordered(span, op));
                return (placeholder(loc), Some(Type::Bool));
            }
            // `q1 = yes` is the definite `q1 is yes`.
            let lowered = match (answer_literal(&hb), answer_literal(&ha)) {
                (Some(lit), _) => Some((ha.clone(), lit, a.span)),
                (None, Some(lit)) => Some((hb.clone(), lit, b.span)),
                _ => None,
            };
            if let Some((value, lit, vspan)) = lowered {
                let test = match lit {
                    Answer::Yes => IsTest::Yes,
                    Answer::No => IsTest::No,
                    Answer::Unknown => IsTest::Unknown,
                };
                let is = mk(ExprKind::Is(bx(value), test), Type::Bool, loc);
                if op == CmpOp::Ne {
                    if lit != Answer::Unknown {
                        let subject = self.snippet(inst, vspan).unwrap_or_else(|| "q1".into());
                        self.emit(inst, counts_dont_know(span, &subject, lit, "!="));
                    }
                    return ok(ExprKind::Not(bx(is)));
                }
                return ok(is.kind);
            }
            return ok(ExprKind::Cmp(op, bx(ha), bx(hb)));
        }
        for (side, other) in [(b, &ta), (a, &tb)] {
            if is_unknown_literal(side) && *other != Type::Answer {
                let subject = self
                    .snippet(
                        inst,
                        if std::ptr::eq(side, b) {
                            a.span
                        } else {
                            b.span
                        },
                    )
                    .unwrap_or_else(|| "x".into());
                self.emit(inst, compare_with_unknown(span, &subject, op));
                return (placeholder(loc), Some(Type::Bool));
            }
        }
        let Some(shared) = common(&ta, &tb) else {
            let (ra, rb) = (self.type_name(&ta), self.type_name(&tb));
            let help = self
                .quote_help(b, &ta)
                .or_else(|| self.quote_help(a, &tb))
                .or_else(|| self.mismatch_help(&tb, &ta));
            self.emit(inst, cannot_compare(span, a.span, b.span, &ra, &rb, help));
            return (placeholder(loc), Some(Type::Bool));
        };
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) && !self.is_ordered(&shared) {
            if let Type::Enum(e) = shared {
                let name = self.enum_name(e);
                let decl = self
                    .enums
                    .get(e.0 as usize)
                    .map(|d| d.loc)
                    .filter(|l| l.file == self.file_of(inst))
                    .map(|l| l.span);
                self.emit(inst, unordered_enum(span, op, &name, decl));
            } else {
                let name = self.type_name(&shared);
                self.emit(inst, not_orderable(span, op, &name));
            }
            return (placeholder(loc), Some(Type::Bool));
        }
        let (ha, hb) = if shared == Type::Number {
            (widen(ha), widen(hb))
        } else {
            (ha, hb)
        };
        ok(ExprKind::Cmp(op, bx(ha), bx(hb)))
    }

    fn arith(
        &mut self,
        inst: InstId,
        op: ArithOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
        want: Option<&Type>,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let sym = match op {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        };
        if as_duration(a).is_some() && matches!(op, ArithOp::Add | ArithOp::Sub) {
            self.emit(inst, duration_first(span));
            return (placeholder(loc), None);
        }
        let numeric_want = want.filter(|w| is_numeric(w) || **w == Type::Date);
        if let (Some((n, u)), ArithOp::Add | ArithOp::Sub) = (as_duration(b), op) {
            let (ha, ta) = self.expr(inst, a, Some(&Type::Date));
            let amount = self.expect_type(inst, n, &Type::Int, &|| {
                "the number of units in a duration".into()
            });
            match ta {
                Some(Type::Date) => {
                    let kind = ExprKind::DateShift {
                        date: bx(ha),
                        amount: bx(amount),
                        unit: unit(u),
                        subtract: op == ArithOp::Sub,
                    };
                    return (mk(kind, Type::Date, loc), Some(Type::Date));
                }
                None => return (placeholder(loc), Some(Type::Date)),
                Some(t) => {
                    let name = self.type_name(&t);
                    self.emit(inst, duration_on_non_date(a.span, &name, sym));
                    return (placeholder(loc), None);
                }
            }
        }
        if as_duration(b).is_some() {
            self.emit(inst, duration_out_of_place(b.span));
            return (placeholder(loc), None);
        }
        let ((ha, ta), (hb, tb)) = self.pair(inst, a, b, numeric_want);
        let (Some(ta), Some(tb)) = (ta, tb) else {
            return (placeholder(loc), None);
        };
        if ta == Type::Date || tb == Type::Date {
            self.emit(
                inst,
                date_arithmetic(span, sym, &self.type_name(&ta), &self.type_name(&tb)),
            );
            return (placeholder(loc), None);
        }
        for (t, s) in [(&ta, a.span), (&tb, b.span)] {
            if !is_numeric(t) {
                let name = self.type_name(t);
                let help = match (t, op) {
                    (Type::Set(_), ArithOp::Add) => Some("to combine sets, use `union`"),
                    (Type::Set(_), ArithOp::Sub) => {
                        Some("to take values out of a set, use `without`")
                    }
                    (Type::Answer, _) => Some("to count yes answers, use `count yes in [...]`"),
                    _ => None,
                };
                self.emit(inst, arith_needs_numbers(s, sym, &name, help));
                return (placeholder(loc), None);
            }
        }
        let ty = if op == ArithOp::Div || ta == Type::Number || tb == Type::Number {
            Type::Number
        } else {
            Type::Int
        };
        let (ha, hb) = if ty == Type::Number {
            (widen(ha), widen(hb))
        } else {
            (ha, hb)
        };
        (
            mk(ExprKind::Arith(op, bx(ha), bx(hb)), ty.clone(), loc),
            Some(ty),
        )
    }

    fn set_op(
        &mut self,
        inst: InstId,
        op: SetOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
        want: Option<&Type>,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let word = match op {
            SetOp::Union => "union",
            SetOp::Intersect => "intersect",
            SetOp::Without => "without",
        };
        let want = want.filter(|w| matches!(w, Type::Set(_)));
        let ((ha, ta), (hb, tb)) = self.pair(inst, a, b, want);
        let (Some(ta), Some(tb)) = (ta, tb) else {
            return (placeholder(loc), None);
        };
        for (t, s) in [(&ta, a.span), (&tb, b.span)] {
            if !matches!(t, Type::Set(_)) {
                let name = self.type_name(t);
                let help = match t {
                    Type::Enum(_) => format!(
                        "put a single value in braces: `{{{}}}`",
                        self.snippet(inst, s).unwrap_or_else(|| "…".into())
                    ),
                    _ => "both sides must be sets of the same enum".to_string(),
                };
                self.emit(inst, set_op_needs_sets(s, word, &name, &help));
                return (placeholder(loc), None);
            }
        }
        if ta != tb {
            let (x, y) = (self.type_name(&ta), self.type_name(&tb));
            self.emit(inst, cannot_compare(span, a.span, b.span, &x, &y, None));
            return (placeholder(loc), None);
        }
        (
            mk(ExprKind::SetOp(op, bx(ha), bx(hb)), ta.clone(), loc),
            Some(ta),
        )
    }

    fn is_expr(
        &mut self,
        inst: InstId,
        value: &ast::Expr,
        negated: bool,
        test: ast::IsTest,
        span: Span,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let (h, t) = self.expr(inst, value, None);
        let wrap = |e: Expr, not: bool| {
            if not {
                mk(ExprKind::Not(bx(e)), Type::Bool, loc)
            } else {
                e
            }
        };
        let Some(t) = t else {
            return (placeholder(loc), Some(Type::Bool));
        };
        let result = match test {
            ast::IsTest::Yes | ast::IsTest::No => {
                if t != Type::Answer {
                    let name = self.type_name(&t);
                    let subject = self.snippet(inst, value.span).unwrap_or_else(|| "x".into());
                    self.emit(
                        inst,
                        is_yes_on_non_answer(value.span, &subject, &name, test == ast::IsTest::Yes),
                    );
                    return (placeholder(loc), Some(Type::Bool));
                }
                let (hit, lit) = if test == ast::IsTest::Yes {
                    (IsTest::Yes, Answer::Yes)
                } else {
                    (IsTest::No, Answer::No)
                };
                if negated {
                    let subject = self
                        .snippet(inst, value.span)
                        .unwrap_or_else(|| "q1".into());
                    self.emit(inst, counts_dont_know(span, &subject, lit, "is not"));
                }
                wrap(mk(ExprKind::Is(bx(h), hit), Type::Bool, loc), negated)
            }
            ast::IsTest::Known | ast::IsTest::Unknown => {
                let known = (test == ast::IsTest::Known) != negated;
                mk(
                    ExprKind::Is(
                        bx(h),
                        if known {
                            IsTest::Known
                        } else {
                            IsTest::Unknown
                        },
                    ),
                    Type::Bool,
                    loc,
                )
            }
            ast::IsTest::Empty => {
                if !matches!(t, Type::Set(_) | Type::List(_)) {
                    let name = self.type_name(&t);
                    self.emit(inst, empty_on_non_collection(value.span, &name));
                    return (placeholder(loc), Some(Type::Bool));
                }
                wrap(
                    mk(ExprKind::Is(bx(h), IsTest::Empty), Type::Bool, loc),
                    negated,
                )
            }
        };
        (result, Some(Type::Bool))
    }

    fn in_expr(
        &mut self,
        inst: InstId,
        value: &ast::Expr,
        negated: bool,
        coll: &ast::Expr,
        span: Span,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let (v, c) = if self.is_contextual(inst, value) && !self.is_contextual(inst, coll) {
            let c = self.expr(inst, coll, None);
            let elem = match &c.1 {
                Some(Type::Set(e)) => Some(Type::Enum(*e)),
                Some(Type::List(t)) => Some((**t).clone()),
                _ => None,
            };
            (self.expr(inst, value, elem.as_ref()), c)
        } else {
            let v = self.expr(inst, value, None);
            let want = match (&v.1, &coll.kind) {
                (Some(Type::Enum(e)), ast::ExprKind::Set(_)) => Some(Type::Set(*e)),
                (Some(Type::Enum(e)), ast::ExprKind::Name(_)) => Some(Type::Set(*e)),
                (Some(t), _) => Some(Type::List(Box::new(t.clone()))),
                (None, _) => None,
            };
            let c = self.expr(inst, coll, want.as_ref());
            (v, c)
        };
        let ((hv, tv), (hc, tc)) = (v, c);
        let (Some(tv), Some(tc)) = (tv, tc) else {
            return (placeholder(loc), Some(Type::Bool));
        };
        let ok = match (&tv, &tc) {
            (Type::Enum(e), Type::Set(f)) => e == f,
            (t, Type::List(u)) => common(t, u).is_some(),
            _ => false,
        };
        if !ok {
            let (vn, cn) = (self.type_name(&tv), self.type_name(&tc));
            self.emit(inst, bad_membership(span, value.span, coll.span, &vn, &cn));
            return (placeholder(loc), Some(Type::Bool));
        }
        let hv = if matches!(&tc, Type::List(u) if **u == Type::Number) {
            widen(hv)
        } else {
            hv
        };
        let e = mk(ExprKind::In(bx(hv), bx(hc)), Type::Bool, loc);
        let e = if negated {
            mk(ExprKind::Not(bx(e)), Type::Bool, loc)
        } else {
            e
        };
        (e, Some(Type::Bool))
    }

    /// The amount (an `int`) and unit of a duration operand.
    fn duration(
        &mut self,
        inst: InstId,
        e: &ast::Expr,
        what: &str,
    ) -> Option<(Expr, waymark_ir::Unit)> {
        match as_duration(e) {
            Some((n, u)) => {
                let amount = self.expect_type(inst, n, &Type::Int, &|| {
                    "the number of units in a duration".into()
                });
                Some((amount, unit(u)))
            }
            None => {
                self.emit(inst, expected_duration(e.span, what));
                None
            }
        }
    }

    fn count_expr(&mut self, inst: InstId, c: &ast::Count, span: Span) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let int = |k: ExprKind| (mk(k, Type::Int, loc), Some(Type::Int));
        match c {
            ast::Count::Value(what, list) => {
                let elem = match what {
                    ast::CountValue::Yes | ast::CountValue::No | ast::CountValue::Unknown => {
                        Type::Answer
                    }
                    ast::CountValue::True | ast::CountValue::False => Type::Bool,
                };
                let want = Type::List(Box::new(elem.clone()));
                let (h, t) = self.expr(inst, list, Some(&want));
                match t {
                    Some(t) if t == want => int(ExprKind::CountValue(*what, bx(h))),
                    None => (placeholder(loc), Some(Type::Int)),
                    Some(t) => {
                        let name = self.type_name(&t);
                        self.emit(inst, bad_count_value(list.span, *what, &name));
                        (placeholder(loc), Some(Type::Int))
                    }
                }
            }
            ast::Count::Within {
                list,
                amount,
                direction,
                anchor,
            } => {
                let dates = Type::List(Box::new(Type::Date));
                let (h, t) = self.expr(inst, list, Some(&dates));
                let anchor = self.expect_type(inst, anchor, &Type::Date, &|| {
                    "the date `count … within` counts from".into()
                });
                let amount = self.duration(inst, amount, "`count … within`");
                match (t, amount) {
                    (Some(t), _) if t != dates => {
                        let name = self.type_name(&t);
                        self.emit(inst, bad_count_dates(list.span, &name, "within"));
                        (placeholder(loc), Some(Type::Int))
                    }
                    (Some(_), Some((n, u))) => int(ExprKind::CountWithin {
                        list: bx(h),
                        amount: bx(n),
                        unit: u,
                        direction: *direction,
                        anchor: bx(anchor),
                    }),
                    _ => (placeholder(loc), Some(Type::Int)),
                }
            }
            ast::Count::Between(list, lo, hi) => {
                let (h, t) = self.expr(inst, list, None);
                let elem = match &t {
                    Some(Type::List(e)) if matches!(**e, Type::Date | Type::Int | Type::Number) => {
                        (**e).clone()
                    }
                    Some(other) => {
                        let name = self.type_name(other);
                        self.emit(inst, bad_count_dates(list.span, &name, "between"));
                        return (placeholder(loc), Some(Type::Int));
                    }
                    None => return (placeholder(loc), Some(Type::Int)),
                };
                let lo = self.expect_type(inst, lo, &elem, &|| "the start of `between`".into());
                let hi = self.expect_type(inst, hi, &elem, &|| "the end of `between`".into());
                int(ExprKind::CountBetween(bx(h), bx(lo), bx(hi)))
            }
            ast::Count::All(x) => {
                let (h, t) = self.expr(inst, x, None);
                match t {
                    Some(Type::Set(_) | Type::List(_)) => int(ExprKind::CountAll(bx(h))),
                    None => (placeholder(loc), Some(Type::Int)),
                    Some(t) => {
                        let name = self.type_name(&t);
                        self.emit(inst, bad_count_all(x.span, &name));
                        (placeholder(loc), Some(Type::Int))
                    }
                }
            }
        }
    }

    fn if_expr(
        &mut self,
        inst: InstId,
        c: &ast::Expr,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
        want: Option<&Type>,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let hc = self.cond(inst, c);
        let ((ha, ta), (hb, tb)) = self.pair(inst, a, b, want);
        let (Some(ta), Some(tb)) = (ta, tb) else {
            return (placeholder(loc), None);
        };
        let Some(ty) = common(&ta, &tb) else {
            let (x, y) = (self.type_name(&ta), self.type_name(&tb));
            self.emit(inst, if_branches_differ(a.span, b.span, &x, &y));
            return (placeholder(loc), None);
        };
        let (ha, hb) = if ty == Type::Number {
            (widen(ha), widen(hb))
        } else {
            (ha, hb)
        };
        (
            mk(ExprKind::If(bx(hc), bx(ha), bx(hb)), ty.clone(), loc),
            Some(ty),
        )
    }

    fn call(
        &mut self,
        inst: InstId,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        want: Option<&Type>,
    ) -> (Expr, Ty) {
        let loc = self.loc(inst, span);
        let is_min = match name.name.as_str() {
            "min" => true,
            "max" => false,
            other => {
                let suggestion = self.suggest(other, ["min", "max"]);
                self.emit(inst, unknown_function(name, suggestion.as_deref()));
                for a in args {
                    self.expr(inst, a, None);
                }
                return (placeholder(loc), None);
            }
        };
        if args.is_empty() {
            self.emit(inst, call_without_arguments(span, &name.name));
            return (placeholder(loc), None);
        }
        let mut order: Vec<usize> = (0..args.len()).collect();
        order.sort_by_key(|i| args.get(*i).is_some_and(|x| self.is_contextual(inst, x)));
        let mut ty: Option<Type> = want.filter(|w| self.is_ordered(w)).cloned();
        let mut done: Vec<(usize, Expr, Ty, Span)> = Vec::new();
        for i in order {
            let Some(x) = args.get(i) else { continue };
            let (h, t) = self.expr(inst, x, ty.as_ref());
            if let Some(t) = &t {
                ty = match &ty {
                    None => Some(t.clone()),
                    Some(cur) => common(cur, t).or(Some(cur.clone())),
                };
            }
            done.push((i, h, t, x.span));
        }
        done.sort_by_key(|(i, ..)| *i);
        let Some(ty) = ty else {
            return (placeholder(loc), None);
        };
        if !self.is_ordered(&ty) {
            let t = self.type_name(&ty);
            self.emit(inst, min_max_type(span, &name.name, &t));
            return (placeholder(loc), None);
        }
        let mut out = Vec::new();
        for (_, h, t, s) in done {
            match t {
                Some(t) if t == ty => out.push(h),
                Some(t) if fits(&t, &ty) => out.push(widen(h)),
                Some(t) => {
                    let (x, y) = (self.type_name(&ty), self.type_name(&t));
                    self.emit(
                        inst,
                        type_mismatch(
                            s,
                            &format!("every value given to `{}`", name.name),
                            &x,
                            &y,
                            None,
                        ),
                    );
                    return (placeholder(loc), None);
                }
                None => return (placeholder(loc), None),
            }
        }
        let kind = if is_min {
            ExprKind::Min(out)
        } else {
            ExprKind::Max(out)
        };
        (mk(kind, ty.clone(), loc), Some(ty))
    }
}

/// A whole-number expression used where a decimal is wanted: `x + 0.0`, or the decimal
/// constant itself.
pub(crate) fn widen(e: Expr) -> Expr {
    if e.ty != Type::Int {
        return e;
    }
    match e.kind {
        ExprKind::Const(Const::Int(v)) => Expr {
            kind: ExprKind::Const(Const::Number(Decimal::from(v))),
            ty: Type::Number,
            loc: e.loc,
        },
        ExprKind::Const(Const::Unknown) => Expr {
            kind: ExprKind::Const(Const::Unknown),
            ty: Type::Number,
            loc: e.loc,
        },
        _ => {
            let loc = e.loc;
            let zero = Expr {
                kind: ExprKind::Const(Const::Number(Decimal::ZERO)),
                ty: Type::Number,
                loc,
            };
            Expr {
                kind: ExprKind::Arith(ArithOp::Add, bx(e), bx(zero)),
                ty: Type::Number,
                loc,
            }
        }
    }
}

fn is_simple_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

// -- diagnostics --

pub(crate) fn type_mismatch(
    span: Span,
    what: &str,
    want: &str,
    found: &str,
    help: Option<String>,
) -> Diagnostic {
    let d = Diagnostic::new(
        Code::TypeMismatch,
        format!("{what} must be `{want}`, but this is `{found}`"),
    )
    .with_primary(span, format!("expected `{want}`"));
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

fn answer_as_condition(span: Span, shown: &str, example: &str) -> Diagnostic {
    Diagnostic::new(
        Code::AnswerAsCondition,
        format!("{shown} is an answer, not a condition"),
    )
    .with_primary(span, "yes, no or don't know")
    .with_help(format!(
        "say what don't know means, e.g. `{example} is yes`"
    ))
}

fn not_a_condition(span: Span, shown: &str, phrase: &str, help: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NotACondition,
        format!("a condition must be true or false, but {shown} is {phrase}"),
    )
    .with_primary(span, "not a condition")
    .with_help(help.to_string())
}

fn bad_number(span: Span, text: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidNumber,
        format!("`{text}` cannot be stored as a decimal number"),
    )
    .with_primary(span, "invalid number")
    .with_help("decimal numbers keep at most 28 significant digits")
}

fn unknown_without_type(span: Span) -> Diagnostic {
    Diagnostic::new(Code::TypeMismatch, "cannot tell what kind of value `unknown` is here")
        .with_primary(span, "type unknown")
        .with_help("use `unknown` where its type is clear, such as `x is unknown` or a `let` with a type: `let x: int = unknown`")
}

fn empty_without_type(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("cannot tell what this empty {what} holds"),
    )
    .with_primary(span, format!("empty {what}"))
    .with_help("use it where its type is clear, such as `x = {}` for a set output `x`")
}

fn not_a_value(span: Span, name: &str, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("`{name}` is {what}, not a value"),
    )
    .with_primary(span, "has no value")
    .with_help("use an input, parameter, derived value or output here")
}

fn unknown_in_import(
    span: Span,
    dotted: &str,
    owner: &str,
    name: &str,
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::new(Code::UnknownName, format!("unknown name `{dotted}`"))
        .with_primary(span, format!("`{owner}` has no value `{name}`"));
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{owner}.{s}`?")),
        None => d.with_help(format!("`{owner}.` reaches the derived values, outputs, parameters and enums of the imported file")),
    }
}

fn unknown_qualifier(span: Span, dotted: &str, head: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::UnknownName, format!("unknown name `{dotted}`"))
        .with_primary(span, format!("no import or enum is called `{head}`"));
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!(
            "import the file that declares it: `import \"file.wm\" as {head}`"
        )),
    }
}

fn unknown_variant(
    span: Span,
    name: &str,
    enum_name: &str,
    suggestion: Option<&str>,
    values: &[String],
) -> Diagnostic {
    let d = Diagnostic::new(
        Code::UnknownVariant,
        format!("`{name}` is not a value of `{enum_name}`"),
    )
    .with_primary(span, format!("not a `{enum_name}`"));
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => {
            let list: Vec<String> = values.iter().take(10).map(|v| format!("`{v}`")).collect();
            d.with_help(format!(
                "the values of `{enum_name}` are {}",
                list.join(", ")
            ))
        }
    }
}

fn ambiguous_name(
    span: Span,
    name: &str,
    what: &str,
    enum_name: &str,
    decl: Span,
    variant: Option<Span>,
) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::AmbiguousName,
        format!("`{name}` is both {what} and a value of `{enum_name}`"),
    )
    .with_primary(span, "could mean either")
    .with_label(decl, format!("`{name}` declared here"));
    if let Some(v) = variant {
        d = d.with_label(v, format!("a value of `{enum_name}`"));
    }
    d.with_help(format!(
        "write `{enum_name}.{name}` for the value, or rename one of them"
    ))
}

fn ambiguous_variant(span: Span, name: &str, enums: &[String]) -> Diagnostic {
    let list: Vec<String> = enums.iter().map(|e| format!("`{e}`")).collect();
    let first = enums.first().cloned().unwrap_or_default();
    Diagnostic::new(
        Code::AmbiguousName,
        format!("`{name}` is a value of several enums: {}", list.join(", ")),
    )
    .with_primary(span, "could mean any of them")
    .with_help(format!("say which one, e.g. `{first}.{name}`"))
}

fn unknown_name(span: Span, name: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::UnknownName, format!("unknown name `{name}`"))
        .with_primary(span, "not declared");
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!(
            "declare it, e.g. `input {name}: answer \"…\"`, or check the spelling"
        )),
    }
}

fn range_names_missing(span: Span, range: &str, missing: &[String]) -> Diagnostic {
    let shown: Vec<String> = missing.iter().take(5).map(|m| format!("`{m}`")).collect();
    let more = if missing.len() > 5 {
        format!(" and {} more", missing.len() - 5)
    } else {
        String::new()
    };
    let verb = if missing.len() == 1 { "is" } else { "are" };
    Diagnostic::new(
        Code::UnknownName,
        format!(
            "`{range}` includes {}{more}, which {verb} not declared",
            shown.join(", ")
        ),
    )
    .with_primary(span, "names something undeclared")
    .with_help("declare every name in the range, or shorten the range")
}

fn bad_list_element(span: Span, ty: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("a list cannot hold `{ty}` values"),
    )
    .with_primary(span, "not allowed in a list")
    .with_help("lists hold answers, conditions, numbers, texts, dates or enum values")
}

fn mixed_list(span: Span, want: &str, found: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("the values here must all be `{want}`, but this is `{found}`"),
    )
    .with_primary(span, format!("expected `{want}`"))
    .with_help("put only values of one type in a list or set")
}

fn set_of_non_enum_values(span: Span, ty: &str) -> Diagnostic {
    Diagnostic::new(
        Code::BadSetType,
        format!("a set must hold values of an enum, not `{ty}`"),
    )
    .with_primary(span, "not an enum value")
    .with_help("use a list `[…]` for other values")
}

fn answers_unordered(span: Span, op: CmpOp) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("answers cannot be compared with `{}`", op.symbol()),
    )
    .with_primary(span, "answers have no order")
    .with_help("test an answer with `is yes`, `is no` or `is unknown`")
}

/// The first `is yes` or `is no` test of an answer that decides a condition through `and`
/// and `or` alone: under `not`, such a test turns don't know into a definite answer.
fn definite_answer_test(h: &Expr) -> Option<(Span, Answer)> {
    match &h.kind {
        ExprKind::Is(value, IsTest::Yes) if value.ty == Type::Answer => {
            Some((h.loc.span, Answer::Yes))
        }
        ExprKind::Is(value, IsTest::No) if value.ty == Type::Answer => {
            Some((h.loc.span, Answer::No))
        }
        ExprKind::And(a, b) | ExprKind::Or(a, b) => {
            definite_answer_test(a).or_else(|| definite_answer_test(b))
        }
        _ => None,
    }
}

/// `not (q1 is no)`: true for yes, and also for don't know.
fn not_counts_dont_know(
    span: Span,
    whole: Option<String>,
    test: Option<String>,
    lit: Answer,
    direct: bool,
) -> Diagnostic {
    let (word, other) = match lit {
        Answer::Yes => ("yes", "no"),
        _ => ("no", "yes"),
    };
    let whole = whole.unwrap_or_else(|| "this condition".to_string());
    let test = test
        .map(|t| {
            t.trim_start_matches('(')
                .trim_end_matches(')')
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| format!("q1 is {word}"));
    let subject = test
        .strip_suffix(&format!(" is {word}"))
        .unwrap_or("q1")
        .to_string();
    Diagnostic::new(
        Code::UnknownCountedAs,
        format!("`{whole}` is also true when the answer is don't know"),
    )
    .with_primary(span, format!("counts don't know as {other}"))
    .with_help(if direct {
        format!("write `{subject} is {other}` or `{subject} is {other} or {subject} is unknown`")
    } else {
        format!(
            "test `{subject} is {other}` rather than negating `{test}`, and say what don't know \
             means with `{subject} is unknown`"
        )
    })
}

pub(crate) fn counts_dont_know(
    span: Span,
    subject: &str,
    lit: Answer,
    written: &str,
) -> Diagnostic {
    let (other, word) = match lit {
        Answer::Yes => ("no", "yes"),
        _ => ("yes", "no"),
    };
    Diagnostic::new(
        Code::UnknownCountedAs,
        format!("`{subject} {written} {word}` is also true when the answer is don't know"),
    )
    .with_primary(span, format!("counts don't know as {other}"))
    .with_help(format!(
        "write `{subject} is {other}` or `{subject} is {other} or {subject} is unknown`"
    ))
}

fn compare_with_unknown(span: Span, subject: &str, op: CmpOp) -> Diagnostic {
    let test = if op == CmpOp::Ne {
        "is known"
    } else {
        "is unknown"
    };
    Diagnostic::new(
        Code::TypeMismatch,
        "comparing with `unknown` is never true or false".to_string(),
    )
    .with_primary(span, "always unknown")
    .with_help(format!("write `{subject} {test}`"))
}

fn cannot_compare(
    span: Span,
    a: Span,
    b: Span,
    ta: &str,
    tb: &str,
    help: Option<String>,
) -> Diagnostic {
    let d = Diagnostic::new(
        Code::TypeMismatch,
        format!("cannot compare `{ta}` with `{tb}`"),
    )
    .with_primary(span, "different types")
    .with_label(a, format!("`{ta}`"))
    .with_label(b, format!("`{tb}`"));
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

fn unordered_enum(span: Span, op: CmpOp, name: &str, decl: Option<Span>) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::UnorderedComparison,
        format!(
            "`{}` needs an order, but `{name}` is not ordered",
            op.symbol()
        ),
    )
    .with_primary(span, "no order between these values");
    if let Some(s) = decl {
        d = d.with_label(s, format!("`{name}` declared without `ordered`"));
    }
    d.with_help(format!(
        "declare `enum {name} ordered {{ … }}` with the lowest value first, or compare with `=`"
    ))
}

fn not_orderable(span: Span, op: CmpOp, ty: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("`{}` cannot compare `{ty}` values", op.symbol()),
    )
    .with_primary(span, "no order")
    .with_help("`<`, `<=`, `>` and `>=` compare numbers, dates and ordered enums; use `=` or `!=`")
}

fn duration_out_of_place(span: Span) -> Diagnostic {
    Diagnostic::new(Code::BadDateArithmetic, "a duration can only be used in date arithmetic")
        .with_primary(span, "duration here")
        .with_help("add it to or subtract it from a date, e.g. `assessment_date - 12 months`, or use it in `within`")
}

fn duration_first(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::BadDateArithmetic,
        "the date must come before the duration",
    )
    .with_primary(span, "duration first")
    .with_help("write the date first, e.g. `assessment_date + 12 months`")
}

fn duration_on_non_date(span: Span, ty: &str, sym: &str) -> Diagnostic {
    Diagnostic::new(
        Code::BadDateArithmetic,
        format!("a duration can only be added to or subtracted from a date, not `{ty}`"),
    )
    .with_primary(span, format!("`{ty}`, not a date"))
    .with_help(format!(
        "use a date before `{sym}`, e.g. `assessment_date {sym} 12 months`"
    ))
}

fn date_arithmetic(span: Span, sym: &str, ta: &str, tb: &str) -> Diagnostic {
    let help = if ta == "date" && tb == "int" {
        format!("say the unit: `… {sym} 12 months`")
    } else {
        "move a date with a duration (`d - 12 months`); compare dates with `within` or `count … between`".into()
    };
    Diagnostic::new(
        Code::BadDateArithmetic,
        format!("cannot use `{sym}` on `{ta}` and `{tb}`"),
    )
    .with_primary(span, "not date arithmetic")
    .with_help(help)
}

fn expected_duration(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::BadDateArithmetic,
        format!("{what} needs a duration such as `12 months`"),
    )
    .with_primary(span, "not a duration")
    .with_help("write a whole number and a unit: days, weeks, months or years")
}

fn arith_needs_numbers(span: Span, sym: &str, ty: &str, help: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(
        Code::TypeMismatch,
        format!("`{sym}` needs numbers, but this is `{ty}`"),
    )
    .with_primary(span, "not a number");
    match help {
        Some(h) => d.with_help(h.to_string()),
        None => d,
    }
}

fn set_op_needs_sets(span: Span, word: &str, ty: &str, help: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("`{word}` needs sets, but this is `{ty}`"),
    )
    .with_primary(span, "not a set")
    .with_help(help.to_string())
}

fn is_yes_on_non_answer(span: Span, subject: &str, ty: &str, yes: bool) -> Diagnostic {
    let word = if yes { "yes" } else { "no" };
    let help = if ty == "bool" {
        if yes {
            format!("`{subject}` is already a condition: write `{subject}`")
        } else {
            format!("write `not {subject}`")
        }
    } else {
        format!("`is {word}` tests answers; compare `{subject}` with `=` instead")
    };
    Diagnostic::new(
        Code::TypeMismatch,
        format!("`is {word}` is for answers, but `{subject}` is `{ty}`"),
    )
    .with_primary(span, "not an answer")
    .with_help(help)
}

fn empty_on_non_collection(span: Span, ty: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("`is empty` is for sets and lists, but this is `{ty}`"),
    )
    .with_primary(span, "not a set or list")
    .with_help("use `is unknown` to test for a missing value")
}

fn bad_membership(span: Span, v: Span, c: Span, vt: &str, ct: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("cannot look for `{vt}` in `{ct}`"),
    )
    .with_primary(span, "not a matching set or list")
    .with_label(v, format!("`{vt}`"))
    .with_label(c, format!("`{ct}`"))
    .with_help(format!(
        "`x in s` needs a set of `x`'s enum or a list of `{vt}`"
    ))
}

fn bad_count_value(span: Span, what: ast::CountValue, ty: &str) -> Diagnostic {
    let (word, need, help) = match what {
        ast::CountValue::Yes | ast::CountValue::No | ast::CountValue::Unknown => (
            match what {
                ast::CountValue::Yes => "yes",
                ast::CountValue::No => "no",
                _ => "unknown",
            },
            "list of answer",
            if ty == "list of bool" {
                "to count true conditions, write `count true in [...]`"
            } else {
                "list the answers, e.g. `[q1..q24]`"
            },
        ),
        ast::CountValue::True | ast::CountValue::False => (
            if what == ast::CountValue::True {
                "true"
            } else {
                "false"
            },
            "list of bool",
            if ty == "list of answer" {
                "to count yes answers, write `count yes in [...]`"
            } else {
                "list the conditions, e.g. `[a, b]`"
            },
        ),
    };
    Diagnostic::new(
        Code::BadCount,
        format!("`count {word} in` needs a `{need}`, but this is `{ty}`"),
    )
    .with_primary(span, format!("expected `{need}`"))
    .with_help(help.to_string())
}

fn bad_count_dates(span: Span, ty: &str, form: &str) -> Diagnostic {
    Diagnostic::new(
        Code::BadCount,
        format!("`count … {form}` needs a list of dates, but this is `{ty}`"),
    )
    .with_primary(span, "expected `list of date`")
    .with_help("count events with an input such as `input events: list of date`")
}

fn bad_count_all(span: Span, ty: &str) -> Diagnostic {
    Diagnostic::new(
        Code::BadCount,
        format!("`count` needs a set or a list, but this is `{ty}`"),
    )
    .with_primary(span, "not a set or list")
    .with_help("to count yes answers, write `count yes in [q1, q2]`")
}

fn if_branches_differ(a: Span, b: Span, ta: &str, tb: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("the branches of `if` give different types, `{ta}` and `{tb}`"),
    )
    .with_primary(b, format!("`{tb}`"))
    .with_label(a, format!("`{ta}`"))
    .with_help("both branches must give the same type of value")
}

fn unknown_function(name: &ast::Ident, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::BadCall, format!("unknown function `{}`", name.name))
        .with_primary(name.span, "no such function");
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help("the functions are `min(…)` and `max(…)`"),
    }
}

fn call_without_arguments(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(Code::BadCall, format!("`{name}` needs at least one value"))
        .with_primary(span, "no values given")
        .with_help(format!("write `{name}(a, b)`"))
}

fn min_max_type(span: Span, name: &str, ty: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("`{name}` needs numbers, dates or an ordered enum, but these are `{ty}`"),
    )
    .with_primary(span, "no order")
    .with_help("use `min` and `max` on values that can be compared with `<`")
}
