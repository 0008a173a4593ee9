//! Derived values, outputs, rules, exceptions and decision tables.

use std::collections::VecDeque;

use waymark_diagnostics::{Code, Diagnostic, Span};
use waymark_syntax::ast;

use crate::checker::{Checker, Decl, Owner, Ty, Writer};
use crate::hir::{
    self, ActionDef, ActionKind, CellTest, CmpOp, Combine, Const, HitPolicy, LetId, OutputId,
    RowDef, RuleId, TableId, Type,
};
use crate::load::InstId;

/// A name an expression mentions, before types are known.
enum NameRef<'e> {
    Path(&'e ast::Path),
    Range(&'e ast::Ident, &'e ast::Ident, Span),
}

/// Every name an expression mentions, without checking anything.
fn mentioned<'e>(e: &'e ast::Expr, out: &mut Vec<NameRef<'e>>) {
    use ast::ExprKind as K;
    match &e.kind {
        K::Lit(_) => {}
        K::Name(p) => out.push(NameRef::Path(p)),
        K::List(items) => {
            for i in items {
                match i {
                    ast::ListItem::Expr(x) => mentioned(x, out),
                    ast::ListItem::Range(a, b, s) => out.push(NameRef::Range(a, b, *s)),
                }
            }
        }
        K::Set(items) | K::Call(_, items) => items.iter().for_each(|x| mentioned(x, out)),
        K::Paren(x) | K::Unary(_, x) | K::Duration(x, _) => mentioned(x, out),
        K::Binary(_, a, b) => {
            mentioned(a, out);
            mentioned(b, out);
        }
        K::Is { value, .. } => mentioned(value, out),
        K::In {
            value, collection, ..
        } => {
            mentioned(value, out);
            mentioned(collection, out);
        }
        K::Within {
            date,
            amount,
            anchor,
            ..
        } => {
            mentioned(date, out);
            mentioned(amount, out);
            mentioned(anchor, out);
        }
        K::Count(c) => match c {
            ast::Count::Value(_, x) | ast::Count::All(x) => mentioned(x, out),
            ast::Count::Within {
                list,
                amount,
                anchor,
                ..
            } => {
                mentioned(list, out);
                mentioned(amount, out);
                mentioned(anchor, out);
            }
            ast::Count::Between(a, b, c) => {
                mentioned(a, out);
                mentioned(b, out);
                mentioned(c, out);
            }
        },
        K::If(a, b, c) => {
            mentioned(a, out);
            mentioned(b, out);
            mentioned(c, out);
        }
    }
}

impl<'a> Checker<'a> {
    /// The let a dotted name refers to from `inst`, without reporting anything.
    fn let_named(&self, inst: InstId, segments: &[ast::Ident]) -> Option<LetId> {
        let mut at = inst;
        let mut rest = segments;
        while let [head, tail @ ..] = rest {
            if tail.is_empty() {
                return match self.lookup(at, &head.name) {
                    Some(Decl::Let(l)) => Some(l),
                    _ => None,
                };
            }
            at = self.child(at, &head.name)?;
            rest = tail;
        }
        None
    }

    /// Checks every derived value, each after the values it reads, so its type is known
    /// where it is used.
    pub(crate) fn check_lets(&mut self) {
        let n = self.let_meta.len();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, m) in self.let_meta.iter().enumerate() {
            let mut names = Vec::new();
            mentioned(&m.decl.value, &mut names);
            for r in names {
                let found = match r {
                    NameRef::Path(p) => self
                        .let_named(m.inst, &p.segments)
                        .into_iter()
                        .collect::<Vec<_>>(),
                    NameRef::Range(a, b, s) => crate::names::expand(a, b, s)
                        .map(|ns| {
                            ns.iter()
                                .filter_map(|x| match self.lookup(m.inst, x) {
                                    Some(Decl::Let(l)) => Some(l),
                                    _ => None,
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                };
                for l in found {
                    let j = l.0 as usize;
                    if let (Some(d), Some(u)) = (deps.get_mut(i), users.get_mut(j)) {
                        d.push(j);
                        u.push(i);
                    }
                }
            }
        }
        let mut pending: Vec<usize> = deps.iter().map(Vec::len).collect();
        let mut queue: VecDeque<usize> = (0..n).filter(|i| pending.get(*i) == Some(&0)).collect();
        let mut order = Vec::with_capacity(n);
        let mut placed = vec![false; n];
        while let Some(i) = queue.pop_front() {
            if placed.get(i) == Some(&true) {
                continue;
            }
            if let Some(p) = placed.get_mut(i) {
                *p = true;
            }
            order.push(i);
            for u in users.get(i).cloned().unwrap_or_default() {
                if let Some(c) = pending.get_mut(u) {
                    *c = c.saturating_sub(1);
                    if *c == 0 {
                        queue.push_back(u);
                    }
                }
            }
        }
        // Values in a cycle last; the cycle itself is reported with the evaluation order.
        order.extend((0..n).filter(|i| placed.get(*i) == Some(&false)));
        for i in order {
            self.check_let(i);
        }
    }

    fn check_let(&mut self, i: usize) {
        let Some(m) = self.let_meta.get(i) else {
            return;
        };
        let (inst, decl, annotated) = (m.inst, m.decl, m.ty.clone());
        let name = decl.name.name.clone();
        self.owner = Owner::Node(hir::Node::Let(LetId(i as u32)));
        let (h, t) = self.expr(inst, &decl.value, annotated.as_ref());
        self.owner = Owner::None;
        let (h, ty) = match &annotated {
            Some(want) => (
                self.coerce(inst, &decl.value, h, t, Some(want), &|| {
                    format!("the value of `{name}`")
                }),
                annotated,
            ),
            None => (h, t),
        };
        if let Some(m) = self.let_meta.get_mut(i) {
            m.ty.clone_from(&ty);
            m.done = true;
        }
        if let Some(l) = self.lets.get_mut(i) {
            l.ty = ty.unwrap_or(Type::Bool);
            l.value = h;
        }
    }

    /// Checks output defaults and formulas.
    pub(crate) fn check_outputs(&mut self) {
        for i in 0..self.output_meta.len() {
            let Some(m) = self.output_meta.get(i) else {
                continue;
            };
            let (inst, decl, ty) = (m.inst, m.decl, m.ty.clone());
            let name = decl.name.name.clone();
            let combine = self.combine_of(ty.as_ref());
            self.owner = Owner::Node(hir::Node::Output(OutputId(i as u32)));
            let value = match &decl.value {
                ast::OutputValue::Rules => hir::OutputValue::Rules {
                    combine,
                    default: None,
                },
                ast::OutputValue::Default(e) => {
                    let (h, t) = self.expr(inst, e, ty.as_ref());
                    let h = self.coerce(inst, e, h, t, ty.as_ref(), &|| {
                        format!("the default of `{name}`")
                    });
                    hir::OutputValue::Rules {
                        combine,
                        default: Some(h),
                    }
                }
                ast::OutputValue::Computed(e) => {
                    let (h, t) = self.expr(inst, e, ty.as_ref());
                    hir::OutputValue::Computed(self.coerce(inst, e, h, t, ty.as_ref(), &|| {
                        format!("the formula of `{name}`")
                    }))
                }
            };
            self.owner = Owner::None;
            if let Some(o) = self.outputs.get_mut(i) {
                o.value = value;
            }
        }
    }

    /// The output an action or table column writes; reports anything else.
    fn target_output(&mut self, inst: InstId, path: &ast::Path) -> Option<OutputId> {
        let segments = path.segments.as_slice();
        let [first, rest @ ..] = segments else {
            return None;
        };
        if rest.is_empty() {
            return match self.lookup_span(inst, &first.name) {
                Some((Decl::Output(o), _)) => Some(o),
                Some((d, dspan)) => {
                    self.emit(
                        inst,
                        not_an_output(path.span, &first.name, d.phrase(), Some(dspan)),
                    );
                    None
                }
                None => {
                    let outputs = self.output_names(inst);
                    let suggestion = self.suggest(&first.name, outputs.iter().map(String::as_str));
                    self.emit(
                        inst,
                        unknown_output(path.span, &first.name, suggestion.as_deref()),
                    );
                    None
                }
            };
        }
        if self
            .scope(inst)
            .is_some_and(|s| s.dead_aliases.contains(&first.name))
        {
            return None;
        }
        let mut at = inst;
        let mut walk = segments;
        while let [head, tail @ ..] = walk {
            if tail.is_empty() {
                break;
            }
            match self.child(at, &head.name) {
                Some(c) => at = c,
                None => {
                    self.emit(inst, unknown_output(path.span, &path.dotted(), None));
                    return None;
                }
            }
            walk = tail;
        }
        let last = walk.first()?;
        match self.lookup(at, &last.name) {
            Some(Decl::Output(_)) => {
                self.emit(inst, imported_output_set(path.span, &path.dotted()))
            }
            Some(d) => self.emit(
                inst,
                not_an_output(path.span, &path.dotted(), d.phrase(), None),
            ),
            None => self.emit(inst, unknown_output(path.span, &path.dotted(), None)),
        }
        None
    }

    fn output_names(&self, inst: InstId) -> Vec<String> {
        let Some(scope) = self.scope(inst) else {
            return Vec::new();
        };
        scope
            .order
            .iter()
            .filter(|n| matches!(scope.names.get(*n), Some((Decl::Output(_), _))))
            .cloned()
            .collect()
    }

    /// Checks the value written to an output by `set` (a value) or `add` (an element or a set).
    fn written_value(
        &mut self,
        inst: InstId,
        out: OutputId,
        value: &ast::Expr,
        kind: ActionKind,
    ) -> Option<hir::Expr> {
        let ty = self.output_ty(out)?;
        let name = self
            .outputs
            .get(out.0 as usize)
            .map(|o| o.name.clone())
            .unwrap_or_default();
        let name = self.local_name(inst, &name).to_string();
        match (kind, &ty) {
            (ActionKind::Add, Type::Set(e)) => {
                let (h, t) = self.expr(inst, value, Some(&ty));
                match t {
                    Some(Type::Enum(x)) | Some(Type::Set(x)) if x == *e => Some(h),
                    None => None,
                    Some(t) => {
                        let (found, want) = (self.type_name(&t), self.enum_name(*e));
                        self.emit(
                            inst,
                            crate::expr::type_mismatch(
                                value.span,
                                &format!("the value added to `{name}`"),
                                &want,
                                &found,
                                Some(format!("add a value of `{want}`, or a set of them")),
                            ),
                        );
                        None
                    }
                }
            }
            _ => {
                let (h, t) = self.expr(inst, value, Some(&ty));
                let ok = t.is_some();
                let h = self.coerce(inst, value, h, t, Some(&ty), &|| {
                    format!("the value of `{name}`")
                });
                ok.then_some(h)
            }
        }
    }

    /// Reports `set` on a set and `add` to anything else, and writes to computed outputs.
    fn check_verb(
        &mut self,
        inst: InstId,
        out: OutputId,
        kind: ActionKind,
        span: Span,
        value_text: &str,
    ) -> bool {
        let Some(ty) = self.output_ty(out) else {
            return false;
        };
        let Some(meta) = self.output_meta.get(out.0 as usize) else {
            return false;
        };
        let name = meta.decl.name.name.clone();
        if let ast::OutputValue::Computed(f) = &meta.decl.value {
            let fspan = f.span;
            let same_file = meta.inst == inst;
            self.emit(
                inst,
                computed_output_set(span, &name, same_file.then_some(fspan)),
            );
            return false;
        }
        match (kind, &ty) {
            (ActionKind::Set, Type::Set(_)) => {
                self.emit(inst, wrong_action(span, &name, true, value_text));
                false
            }
            (ActionKind::Add, t) if !matches!(t, Type::Set(_)) => {
                self.emit(inst, wrong_action(span, &name, false, value_text));
                false
            }
            _ => true,
        }
    }

    /// Checks rules: conditions, actions, and the exceptions between them.
    pub(crate) fn check_rules(&mut self) {
        for i in 0..self.rule_meta.len() {
            let Some(m) = self.rule_meta.get(i) else {
                continue;
            };
            let (inst, decl) = (m.inst, m.decl);
            let id = RuleId(i as u32);
            let errors_before = self.errors;
            self.owner = Owner::Node(hir::Node::Rule(id));
            self.check_sources(inst, &decl.sources);
            let condition = self.cond(inst, &decl.condition);
            let mut exception_to = None;
            if let Some(base) = &decl.exception_to {
                match self.lookup_span(inst, &base.name) {
                    Some((Decl::Rule(b), _)) => exception_to = Some(b),
                    other => {
                        let rules = self.rule_names(inst);
                        let suggestion = self.suggest(&base.name, rules.iter().map(String::as_str));
                        self.emit(
                            inst,
                            unknown_base_rule(
                                base,
                                other.map(|(d, _)| d.phrase()),
                                suggestion.as_deref(),
                            ),
                        );
                    }
                }
            }
            let mut actions = Vec::new();
            for a in &decl.actions {
                let (kind, value) = match a {
                    ast::Action::Set { value, .. } => (ActionKind::Set, value),
                    ast::Action::Add { value, .. } => (ActionKind::Add, value),
                };
                let Some(out) = self.target_output(inst, a.target()) else {
                    if !self.is_contextual(inst, value) {
                        self.expr(inst, value, None);
                    }
                    continue;
                };
                let value_text = self.snippet(inst, value.span).unwrap_or_else(|| "…".into());
                if !self.check_verb(inst, out, kind, a.span(), &value_text) {
                    self.expr(inst, value, None);
                    continue;
                }
                let Some(h) = self.written_value(inst, out, value, kind) else {
                    continue;
                };
                if let Some(om) = self.output_meta.get_mut(out.0 as usize) {
                    om.writers.push(Writer::Rule(id, actions.len()));
                }
                actions.push(ActionDef {
                    output: out,
                    kind,
                    value: h,
                    loc: self.loc(inst, a.span()),
                });
            }
            if let Some(r) = self.rules.get_mut(i) {
                r.condition = condition;
                r.exception_to = exception_to;
                r.actions = actions;
            }
            self.owner = Owner::None;
            let ok = self.errors == errors_before;
            if let Some(m) = self.rule_meta.get_mut(i) {
                m.ok = ok;
            }
        }
        self.check_exception_cycles();
        let links: Vec<(usize, RuleId)> = self
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.exception_to.map(|b| (i, b)))
            .collect();
        for (i, b) in links {
            if let Some(base) = self.rules.get_mut(b.0 as usize) {
                base.exceptions.push(RuleId(i as u32));
            }
        }
    }

    fn rule_names(&self, inst: InstId) -> Vec<String> {
        let Some(scope) = self.scope(inst) else {
            return Vec::new();
        };
        scope
            .order
            .iter()
            .filter(|n| matches!(scope.names.get(*n), Some((Decl::Rule(_), _))))
            .cloned()
            .collect()
    }

    /// Reports exceptions that are, through each other, exceptions to themselves, and
    /// breaks each cycle so later passes terminate.
    fn check_exception_cycles(&mut self) {
        let n = self.rules.len();
        // 0 = not seen, 1 = on the current path, 2 = done.
        let mut state = vec![0u8; n];
        for start in 0..n {
            if state.get(start) != Some(&0) {
                continue;
            }
            let mut path: Vec<usize> = Vec::new();
            let mut at = Some(start);
            while let Some(r) = at {
                match state.get(r) {
                    Some(0) => {
                        if let Some(s) = state.get_mut(r) {
                            *s = 1;
                        }
                        path.push(r);
                        at = self
                            .rules
                            .get(r)
                            .and_then(|x| x.exception_to)
                            .map(|b| b.0 as usize);
                    }
                    Some(1) => {
                        let from = path.iter().position(|p| *p == r).unwrap_or(0);
                        let cycle: Vec<usize> = path.get(from..).unwrap_or(&[]).to_vec();
                        self.report_exception_cycle(&cycle);
                        if let Some(last) = cycle.last().and_then(|l| self.rules.get_mut(*l)) {
                            last.exception_to = None;
                        }
                        break;
                    }
                    _ => break,
                }
            }
            for p in path {
                if let Some(s) = state.get_mut(p) {
                    *s = 2;
                }
            }
        }
    }

    fn report_exception_cycle(&mut self, cycle: &[usize]) {
        let Some(first) = cycle.first().and_then(|f| self.rule_meta.get(*f)) else {
            return;
        };
        let inst = first.inst;
        let mut names: Vec<String> = Vec::new();
        let mut spans: Vec<(Span, String)> = Vec::new();
        for r in cycle {
            let Some(m) = self.rule_meta.get(*r) else {
                continue;
            };
            names.push(format!("`{}`", m.decl.name.name));
            if let Some(base) = &m.decl.exception_to {
                spans.push((
                    base.span,
                    format!("`{}` is an exception to `{}`", m.decl.name.name, base.name),
                ));
            }
        }
        if let Some(f) = names.first().cloned() {
            names.push(f);
        }
        let mut d = Diagnostic::new(
            Code::ExceptionCycle,
            format!("exceptions form a cycle: {}", names.join(" → ")),
        );
        for (k, (span, label)) in spans.into_iter().enumerate() {
            d = if k == 0 {
                d.with_primary(span, label)
            } else {
                d.with_label(span, label)
            };
        }
        d = d.with_help("one rule in the cycle must be the base: declare it with `rule` instead of `exception … to …`");
        self.emit(inst, d);
    }

    /// Checks decision tables: shapes, cells against their columns, and outputs.
    pub(crate) fn check_tables(&mut self) {
        for t in 0..self.table_meta.len() {
            let Some(m) = self.table_meta.get(t) else {
                continue;
            };
            let (inst, decl) = (m.inst, m.decl);
            let errors_before = self.errors;
            self.owner = Owner::Node(hir::Node::Table(TableId(t as u32)));
            self.check_sources(inst, &decl.sources);
            let mut columns = Vec::new();
            let mut col_tys: Vec<Ty> = Vec::new();
            for p in &decl.inputs {
                let (h, ty) = self.name_expr(inst, p, p.span, None);
                let ty = match ty {
                    Some(t @ (Type::Set(_) | Type::List(_))) => {
                        let name = self.type_name(&t);
                        self.emit(inst, column_not_single(p.span, &p.dotted(), &name));
                        None
                    }
                    other => other,
                };
                columns.push(h);
                col_tys.push(ty);
            }
            let mut outs: Vec<Option<OutputId>> = Vec::new();
            for p in &decl.outputs {
                let out = self.target_output(inst, p);
                let out = out.filter(|o| {
                    let Some(om) = self.output_meta.get(o.0 as usize) else {
                        return false;
                    };
                    if let ast::OutputValue::Computed(f) = &om.decl.value {
                        let fspan = (om.inst == inst).then_some(f.span);
                        let name = om.decl.name.name.clone();
                        self.emit(inst, computed_output_set(p.span, &name, fspan));
                        return false;
                    }
                    true
                });
                if let (Some(o), HitPolicy::Collect) = (out, decl.hit)
                    && self.combine_of(self.output_ty(o).as_ref()) == Combine::Single
                    && self.output_ty(o).is_some()
                {
                    let ty = self
                        .output_ty(o)
                        .map(|t| self.type_name(&t))
                        .unwrap_or_default();
                    self.emit(inst, collect_single(p.span, &p.dotted(), &ty));
                }
                outs.push(out);
            }
            let mut rows = Vec::new();
            for (r, row) in decl.rows.iter().enumerate() {
                let row_span = self.trimmed(inst, row.span);
                if row.cells.len() != decl.inputs.len() {
                    self.emit(
                        inst,
                        row_shape(
                            row_span,
                            row.cells.len(),
                            decl.inputs.len(),
                            "test",
                            &decl.inputs,
                        ),
                    );
                }
                if row.outputs.len() != decl.outputs.len() {
                    self.emit(
                        inst,
                        row_shape(
                            row_span,
                            row.outputs.len(),
                            decl.outputs.len(),
                            "output",
                            &decl.outputs,
                        ),
                    );
                }
                let mut cells = Vec::new();
                for (j, cell) in row.cells.iter().enumerate() {
                    let col = col_tys.get(j).cloned().flatten();
                    cells.push(self.cell(inst, cell, col.as_ref()));
                }
                let mut actions = Vec::new();
                for (j, value) in row.outputs.iter().enumerate() {
                    let out = outs.get(j).copied().flatten();
                    let action = match (value, out) {
                        (Some(v), Some(o)) => {
                            let kind = if matches!(self.output_ty(o), Some(Type::Set(_))) {
                                ActionKind::Add
                            } else {
                                ActionKind::Set
                            };
                            let h = self.written_value(inst, o, v, kind);
                            h.map(|h| {
                                if let Some(om) = self.output_meta.get_mut(o.0 as usize) {
                                    om.writers.push(Writer::Row(TableId(t as u32), r, j));
                                }
                                ActionDef {
                                    output: o,
                                    kind,
                                    value: h,
                                    loc: self.loc(inst, v.span),
                                }
                            })
                        }
                        (Some(v), None) => {
                            if !self.is_contextual(inst, v) {
                                self.expr(inst, v, None);
                            }
                            None
                        }
                        (None, _) => None,
                    };
                    actions.push(action);
                }
                rows.push(RowDef {
                    cells,
                    actions,
                    docs: row.docs.clone(),
                    loc: self.loc(inst, row_span),
                });
            }
            self.owner = Owner::None;
            let ok = self.errors == errors_before;
            if let Some(m) = self.table_meta.get_mut(t) {
                m.ok = ok;
            }
            if let Some(def) = self.tables.get_mut(t) {
                def.columns = columns;
                def.outputs = outs.iter().flatten().copied().collect();
                def.rows = rows;
            }
        }
    }

    fn cell(&mut self, inst: InstId, cell: &ast::Cell, col: Option<&Type>) -> CellTest {
        match cell {
            ast::Cell::Any(_) => CellTest::Any,
            ast::Cell::Compare(op, e, span) => {
                let (h, t) = self.expr(inst, e, col);
                let h = self.coerce(inst, e, h, t, col, &|| "a value in this column".into());
                if let (Some(c), false) = (col, matches!(op, CmpOp::Eq | CmpOp::Ne))
                    && !self.is_ordered(c)
                {
                    let name = self.type_name(c);
                    let code = if matches!(c, Type::Enum(_)) {
                        Code::UnorderedComparison
                    } else {
                        Code::TypeMismatch
                    };
                    self.emit(inst, unordered_cell(*span, *op, &name, code));
                }
                match crate::consts::fold(&h) {
                    Some(c) => CellTest::Compare(*op, c),
                    None => CellTest::CompareExpr(*op, Box::new(h)),
                }
            }
            ast::Cell::Range(lo, hi, span) => {
                let Some(col) = col else { return CellTest::Any };
                if !crate::ty::is_numeric(col) {
                    let name = self.type_name(col);
                    self.emit(inst, range_cell_on_non_number(*span, &name));
                    return CellTest::Any;
                }
                let bound = |b: &ast::NumLit| -> Option<Const> {
                    match (b, col) {
                        (ast::NumLit::Int(v, _), Type::Int) => Some(Const::Int(*v)),
                        (ast::NumLit::Int(v, _), _) => Some(Const::Number((*v).into())),
                        (ast::NumLit::Number(_, _), Type::Int) => None,
                        (ast::NumLit::Number(s, _), _) => {
                            std::str::FromStr::from_str(s).ok().map(Const::Number)
                        }
                    }
                };
                let (Some(l), Some(h)) = (bound(lo), bound(hi)) else {
                    self.emit(inst, range_cell_on_non_number(*span, "int"));
                    return CellTest::Any;
                };
                if crate::consts::compare(&l, &h) == Some(std::cmp::Ordering::Greater) {
                    let (ls, hs) = (self.show(&l), self.show(&h));
                    self.emit(inst, backwards_cell(*span, &ls, &hs));
                }
                CellTest::Range(l, h)
            }
            ast::Cell::OneOf(values, span) => {
                let mut consts = Vec::new();
                let mut exprs = Vec::new();
                for v in values {
                    let (h, t) = self.expr(inst, v, col);
                    let h = self.coerce(inst, v, h, t, col, &|| "a value in this column".into());
                    match crate::consts::fold(&h) {
                        Some(c) => consts.push(c),
                        None => exprs.push(h),
                    }
                }
                match (exprs.len(), consts.is_empty()) {
                    (0, _) => CellTest::OneOf(consts),
                    (1, true) => match exprs.pop() {
                        Some(h) => CellTest::CompareExpr(CmpOp::Eq, Box::new(h)),
                        None => CellTest::Any,
                    },
                    _ => {
                        self.emit(inst, cell_not_constant(*span));
                        CellTest::Any
                    }
                }
            }
        }
    }

    /// Reports outputs that rules set without a default, and outputs nothing sets.
    pub(crate) fn check_output_writers(&mut self) {
        // After an error, an output may look unset only because the rule setting it is broken.
        let quiet = self.any_broken() || self.errors > 0;
        for i in 0..self.output_meta.len() {
            let Some(m) = self.output_meta.get(i) else {
                continue;
            };
            let Some(ty) = m.ty.clone() else { continue };
            let (inst, decl) = (m.inst, m.decl);
            let first_writer = m.writers.first().copied();
            let combine = self.combine_of(Some(&ty));
            match &decl.value {
                ast::OutputValue::Computed(_) => {}
                ast::OutputValue::Rules | ast::OutputValue::Default(_)
                    if first_writer.is_none() && !quiet =>
                {
                    self.emit(inst, output_never_set(decl.name.span, &decl.name.name));
                }
                ast::OutputValue::Rules if combine != Combine::Union => {
                    let at = first_writer.and_then(|w| self.writer_span(w));
                    let example = self.default_example(&ty);
                    self.emit(
                        inst,
                        missing_default(decl.name.span, &decl.name.name, at, &example),
                    );
                }
                _ => {}
            }
        }
    }

    /// Where a writer is written.
    pub(crate) fn writer_span(&self, w: Writer) -> Option<Span> {
        match w {
            Writer::Rule(r, a) => self
                .rules
                .get(r.0 as usize)?
                .actions
                .get(a)
                .map(|x| x.loc.span),
            Writer::Row(t, r, _) => self
                .tables
                .get(t.0 as usize)?
                .rows
                .get(r)
                .map(|x| x.loc.span),
        }
    }

    fn default_example(&self, ty: &Type) -> String {
        match ty {
            Type::Bool => "false".into(),
            Type::Int => "0".into(),
            Type::Number => "0.0".into(),
            Type::Text => "\"\"".into(),
            Type::Answer => "unknown".into(),
            Type::Enum(e) => self
                .enums
                .get(e.0 as usize)
                .and_then(|d| d.variants.first())
                .map_or("…".into(), |v| v.name.clone()),
            _ => "…".into(),
        }
    }
}

fn not_an_output(span: Span, name: &str, what: &str, decl: Option<Span>) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::NotAnOutput,
        format!("`{name}` is {what}, not an output"),
    )
    .with_primary(span, "only outputs can be set");
    if let Some(s) = decl {
        d = d.with_label(s, format!("`{name}` declared here"));
    }
    d.with_help(
        "rules and tables set outputs; declare one with `output NAME: TYPE \"label\" default …`",
    )
}

fn imported_output_set(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(Code::NotAnOutput, format!("`{name}` is an output of an imported file and cannot be set here"))
        .with_primary(span, "belongs to the imported file")
        .with_help(format!("an imported file works out its own outputs; declare an output in this file, set it here, and read `{name}` where it is needed"))
}

fn unknown_output(span: Span, name: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::UnknownName, format!("unknown output `{name}`"))
        .with_primary(span, "not declared");
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!(
            "declare it: `output {name}: TYPE \"label\" default …`"
        )),
    }
}

fn computed_output_set(span: Span, name: &str, formula: Option<Span>) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::ComputedOutputSet,
        format!("`{name}` is computed by a formula, so rules cannot set it"),
    )
    .with_primary(span, "set here");
    if let Some(f) = formula {
        d = d.with_label(f, "computed here");
    }
    d.with_help(format!(
        "either remove the formula and give `{name}` a `default`, or stop setting it here"
    ))
}

fn wrong_action(span: Span, name: &str, is_set: bool, value: &str) -> Diagnostic {
    if is_set {
        Diagnostic::new(
            Code::WrongAction,
            format!("`{name}` is a set: values are added to it, not set"),
        )
        .with_primary(span, "`set` on a set")
        .with_help(format!("write `add {value} to {name}`"))
    } else {
        Diagnostic::new(
            Code::WrongAction,
            format!("`{name}` holds one value: it is set, not added to"),
        )
        .with_primary(span, "`add` to a single value")
        .with_help(format!("write `set {name} to {value}`"))
    }
}

fn unknown_base_rule(
    base: &ast::Ident,
    what: Option<&str>,
    suggestion: Option<&str>,
) -> Diagnostic {
    let message = match what {
        Some(w) => format!("`{}` is {w}, not a rule", base.name),
        None => format!("no rule called `{}`", base.name),
    };
    let d = Diagnostic::new(Code::UnknownBaseRule, message).with_primary(base.span, "not a rule");
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => {
            d.with_help("an exception overrides a rule of the same file: name that rule after `to`")
        }
    }
}

fn column_not_single(span: Span, name: &str, ty: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("the column `{name}` is `{ty}`, but table columns must hold one value"),
    )
    .with_primary(span, "not a single value")
    .with_help("test a derived value instead, e.g. `let has_x = x is empty`")
}

fn collect_single(span: Span, name: &str, ty: &str) -> Diagnostic {
    Diagnostic::new(
        Code::CollectSingleValued,
        format!("a `collect` table cannot set `{name}`, which holds one `{ty}`"),
    )
    .with_primary(span, "single-valued output")
    .with_help(format!(
        "use `hit first`, or make `{name}` an ordered enum or a set"
    ))
}

fn row_shape(span: Span, got: usize, want: usize, what: &str, columns: &[ast::Path]) -> Diagnostic {
    let plural = |n: usize| {
        if n == 1 {
            format!("{n} {what}")
        } else {
            format!("{n} {what}s")
        }
    };
    let names: Vec<String> = columns
        .iter()
        .map(|c| format!("`{}`", c.dotted()))
        .collect();
    let help = if names.is_empty() {
        format!("the table has no {what} columns")
    } else {
        format!("give one {what} per column: {}", names.join(", "))
    };
    Diagnostic::new(
        Code::TableShape,
        format!(
            "this row has {}, but the table has {} column{}",
            plural(got),
            want,
            if want == 1 { "" } else { "s" }
        ),
    )
    .with_primary(span, format!("expected {}", plural(want)))
    .with_help(help)
}

fn unordered_cell(span: Span, op: CmpOp, ty: &str, code: Code) -> Diagnostic {
    Diagnostic::new(
        code,
        format!(
            "`{}` needs an order, but `{ty}` values are not ordered",
            op.symbol()
        ),
    )
    .with_primary(span, "no order")
    .with_help("list the values the row accepts, e.g. `a, b`")
}

fn range_cell_on_non_number(span: Span, ty: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        format!("a range of numbers cannot test a `{ty}` column"),
    )
    .with_primary(span, "range here")
    .with_help("ranges test `int` columns with whole numbers and `number` columns with decimals")
}

fn backwards_cell(span: Span, lo: &str, hi: &str) -> Diagnostic {
    Diagnostic::new(
        Code::BadRange,
        format!("the range `{lo}..{hi}` is empty: its lower end is above its upper end"),
    )
    .with_primary(span, "matches nothing")
    .with_help(format!("write the lower end first: `{hi}..{lo}`"))
}

fn cell_not_constant(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::NotConstant,
        "a list of values in a table cell must be fixed values",
    )
    .with_primary(span, "reads values that change from case to case")
    .with_help("list fixed values (`a, b`), or compare with one value: `= x`")
}

fn output_never_set(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::OutputNeverSet,
        format!("nothing sets the output `{name}`"),
    )
    .with_primary(span, "never set")
    .with_help("add a rule or table that sets it, give it a formula with `= …`, or remove it")
}

fn missing_default(span: Span, name: &str, at: Option<Span>, example: &str) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::MissingDefault,
        format!("`{name}` is set by rules but has no default"),
    )
    .with_primary(span, "no value when no rule applies");
    if let Some(s) = at {
        d = d.with_label(s, "set here");
    }
    d.with_help(format!(
        "say what it is when no rule applies, e.g. `default {example}`"
    ))
}
