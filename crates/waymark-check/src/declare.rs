//! Collecting declarations: every name of every instance gets its id before any body is
//! checked, so items may refer to each other in any order.

use std::collections::HashMap;

use waymark_diagnostics::{Code, Diagnostic, Span};
use waymark_syntax::ast;

use crate::checker::{
    Checker, Decl, InputMeta, LetMeta, OutputMeta, ParamMeta, RuleMeta, TableMeta, placeholder,
};
use crate::hir::{
    self, Combine, Const, EnumDef, EnumId, InputDef, InputId, LetDef, LetId, OutputDef, OutputId,
    ParamDef, ParamId, RuleDef, RuleId, TableDef, TableId, Type, VariantDef,
};
use crate::load::InstId;

impl<'a> Checker<'a> {
    /// Declares the names of every instance, root first.
    pub(crate) fn declare_all(&mut self) {
        for i in 0..self.src.instances.len() {
            self.declare_instance(InstId(i));
        }
    }

    fn declare_instance(&mut self, inst: InstId) {
        let Some(ast) = self.ast_of(inst) else { return };
        if let Some(h) = &ast.header {
            let mut first: HashMap<&str, Span> = HashMap::new();
            for s in &h.sources {
                if let Some(prev) = first.get(s.key.name.as_str()) {
                    self.emit(
                        inst,
                        duplicate_name(&s.key.name, "source", *prev, s.key.span),
                    );
                } else {
                    first.insert(&s.key.name, s.key.span);
                    if let Some(scope) = self.scopes.get_mut(inst.0) {
                        scope.sources.insert(s.key.name.clone());
                    }
                }
            }
        }
        // Enums first: the types of everything else refer to them.
        for item in &ast.items {
            if let ast::Item::Enum(e) = item {
                self.declare_enum(inst, e);
            }
        }
        let children: Vec<(String, InstId, usize)> = self
            .src
            .instance(inst)
            .map(|i| i.children.clone())
            .unwrap_or_default();
        for (index, item) in ast.items.iter().enumerate() {
            match item {
                ast::Item::Import(imp) => {
                    match children.iter().find(|(_, _, i)| *i == index) {
                        Some((_, child, _)) => {
                            self.declare_name(inst, &imp.alias, Decl::Import(*child))
                        }
                        // The import could not be read; its names are silently unknown.
                        None => {
                            if let Some(scope) = self.scopes.get_mut(inst.0) {
                                scope.dead_aliases.insert(imp.alias.name.clone());
                            }
                        }
                    }
                }
                ast::Item::Input(d) => self.declare_input(inst, d),
                ast::Item::Param(d) => self.declare_param(inst, d),
                ast::Item::Let(d) => self.declare_let(inst, d),
                ast::Item::Output(d) => self.declare_output(inst, d),
                ast::Item::Rule(d) => self.declare_rule(inst, d),
                ast::Item::Table(d) => self.declare_table(inst, d),
                ast::Item::Enum(_) | ast::Item::Test(_) | ast::Item::Property(_) => {}
            }
        }
    }

    /// Adds a name to an instance's scope, reporting a duplicate.
    fn declare_name(&mut self, inst: InstId, name: &ast::Ident, decl: Decl) {
        if name.name.is_empty() {
            return;
        }
        let Some(scope) = self.scopes.get_mut(inst.0) else {
            return;
        };
        if let Some((prev, prev_span)) = scope.names.get(&name.name).copied() {
            let what = prev.phrase();
            self.emit(inst, duplicate_name(&name.name, what, prev_span, name.span));
            return;
        }
        scope.names.insert(name.name.clone(), (decl, name.span));
        scope.order.push(name.name.clone());
    }

    fn declare_enum(&mut self, inst: InstId, e: &ast::EnumDecl) {
        let id = EnumId(self.enums.len() as u32);
        let mut variants: Vec<VariantDef> = Vec::new();
        let mut spans: Vec<Span> = Vec::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for v in &e.variants {
            if let Some(prev) = seen.get(v.name.name.as_str()) {
                self.emit(
                    inst,
                    duplicate_name(&v.name.name, "a value of this enum", *prev, v.name.span),
                );
                continue;
            }
            seen.insert(&v.name.name, v.name.span);
            spans.push(v.name.span);
            variants.push(VariantDef {
                name: v.name.name.clone(),
                label: v.label.as_ref().map(|l| l.value.clone()),
                docs: v.docs.clone(),
            });
        }
        self.variant_spans.push(spans);
        self.enums.push(EnumDef {
            name: format!("{}{}", self.prefix(inst), e.name.name),
            ordered: e.ordered,
            variants,
            loc: self.loc(inst, e.name.span),
        });
        if let Some(scope) = self.scopes.get_mut(inst.0) {
            scope.enums.push(id);
        }
        self.declare_name(inst, &e.name, Decl::Enum(id));
    }

    fn declare_input(&mut self, inst: InstId, d: &'a ast::InputDecl) {
        let (ty, range) = self.lower_type(inst, &d.ty);
        let name = d.name.name.clone();
        let id = match self.input_by_name.get(&name).copied() {
            Some(id) => {
                // Shared with another file (or declared twice in this one).
                if self.lookup(inst, &name).is_none() {
                    self.check_shared_input(inst, id, d, ty.as_ref());
                }
                id
            }
            None => {
                let id = InputId(self.inputs.len() as u32);
                self.inputs.push(InputDef {
                    name: name.clone(),
                    ty: ty.clone().unwrap_or(Type::Bool),
                    range,
                    optional: d.optional || ty == Some(Type::Answer),
                    label: d.label.as_ref().map(|l| l.value.clone()),
                    docs: d.docs.clone(),
                    loc: self.loc(inst, d.name.span),
                });
                self.input_meta.push(InputMeta {
                    decls: Vec::new(),
                    in_root: false,
                });
                self.input_by_name.insert(name, id);
                id
            }
        };
        let already_here = self.lookup(inst, &d.name.name).is_some();
        self.declare_name(inst, &d.name, Decl::Input(id));
        if already_here {
            return;
        }
        if let Some(m) = self.input_meta.get_mut(id.0 as usize) {
            if ty.is_some() {
                m.decls.push((inst, d.name.span));
            }
            m.in_root |= inst == InstId(0);
        }
        if let (Some(t), Some(scope)) = (ty, self.scopes.get_mut(inst.0)) {
            scope.input_types.insert(id, t);
        }
    }

    /// Checks that an input declared by several files has the same type in each; a
    /// mismatch is reported at the first declaration (the one nearest the root file).
    fn check_shared_input(
        &mut self,
        inst: InstId,
        id: InputId,
        d: &ast::InputDecl,
        ty: Option<&Type>,
    ) {
        let Some(ty) = ty else { return };
        let Some(&(first_inst, first_span)) = self
            .input_meta
            .get(id.0 as usize)
            .and_then(|m| m.decls.first())
        else {
            return;
        };
        let Some(first_ty) = self.input_ty(first_inst, id) else {
            return;
        };
        if self.same_shape(&first_ty, ty) {
            return;
        }
        let here = self.type_name(&first_ty);
        let there = self.type_name(ty);
        let file = self
            .source_of(inst)
            .map(|f| f.name.clone())
            .unwrap_or_default();
        let line = self
            .source_of(inst)
            .map_or(0, |f| f.line_col(d.name.span.start).0);
        let name = &d.name.name;
        let mut diag = Diagnostic::new(
            Code::TypeMismatch,
            format!("the input `{name}` is `{here}` here but `{there}` in `{file}`"),
        )
        .with_primary(first_span, format!("`{name}` is `{here}` here"));
        if self.file_of(first_inst) == self.file_of(inst) {
            diag = diag.with_label(d.name.span, format!("`{name}` is `{there}` here"));
        }
        diag = diag.with_help(format!(
            "inputs are shared by name across imported files, so `{name}` needs one type; `{file}` line {line} declares it `{there}`"
        ));
        self.emit(first_inst, diag);
    }

    /// True when two types are the same, counting enums with the same values in the same
    /// order as the same (each file declares its own copy).
    pub(crate) fn same_shape(&self, a: &Type, b: &Type) -> bool {
        match (a, b) {
            (Type::Enum(x), Type::Enum(y)) | (Type::Set(x), Type::Set(y)) => {
                let (Some(x), Some(y)) =
                    (self.enums.get(x.0 as usize), self.enums.get(y.0 as usize))
                else {
                    return false;
                };
                x.ordered == y.ordered
                    && x.variants.len() == y.variants.len()
                    && x.variants
                        .iter()
                        .zip(&y.variants)
                        .all(|(a, b)| a.name == b.name)
            }
            (Type::List(x), Type::List(y)) => self.same_shape(x, y),
            _ => a == b,
        }
    }

    fn declare_param(&mut self, inst: InstId, d: &'a ast::ParamDecl) {
        let (ty, range) = self.lower_type(inst, &d.ty);
        self.check_sources(inst, &d.sources);
        let id = ParamId(self.params.len() as u32);
        self.params.push(ParamDef {
            name: format!("{}{}", self.prefix(inst), d.name.name),
            ty: ty.clone().unwrap_or(Type::Bool),
            range,
            default: Const::Unknown,
            bound: None,
            label: d.label.as_ref().map(|l| l.value.clone()),
            sources: d.sources.iter().map(|s| s.name.clone()).collect(),
            docs: d.docs.clone(),
            loc: self.loc(inst, d.name.span),
        });
        self.param_meta.push(ParamMeta {
            inst,
            decl: d,
            ty,
            binding: None,
        });
        self.declare_name(inst, &d.name, Decl::Param(id));
    }

    fn declare_let(&mut self, inst: InstId, d: &'a ast::LetDecl) {
        let ty = d.ty.as_ref().and_then(|t| self.lower_type(inst, t).0);
        let id = LetId(self.lets.len() as u32);
        let loc = self.loc(inst, d.name.span);
        self.lets.push(LetDef {
            name: format!("{}{}", self.prefix(inst), d.name.name),
            ty: ty.clone().unwrap_or(Type::Bool),
            value: placeholder(loc),
            docs: d.docs.clone(),
            loc,
        });
        self.let_meta.push(LetMeta {
            inst,
            decl: d,
            ty,
            done: false,
        });
        self.declare_name(inst, &d.name, Decl::Let(id));
    }

    fn declare_output(&mut self, inst: InstId, d: &'a ast::OutputDecl) {
        let (ty, range) = self.lower_type(inst, &d.ty);
        if range.is_some()
            && let ast::TypeExpr::Scalar(s) = &d.ty
            && let Some(r) = &s.range
        {
            self.emit(inst, output_range(r.span));
        }
        let id = OutputId(self.outputs.len() as u32);
        let loc = self.loc(inst, d.name.span);
        let combine = self.combine_of(ty.as_ref());
        let value = match &d.value {
            ast::OutputValue::Computed(_) => hir::OutputValue::Computed(placeholder(loc)),
            _ => hir::OutputValue::Rules {
                combine,
                default: None,
            },
        };
        self.outputs.push(OutputDef {
            name: format!("{}{}", self.prefix(inst), d.name.name),
            ty: ty.clone().unwrap_or(Type::Bool),
            label: d.label.as_ref().map(|l| l.value.clone()),
            docs: d.docs.clone(),
            public: inst == InstId(0),
            value,
            loc,
        });
        self.output_meta.push(OutputMeta {
            inst,
            decl: d,
            ty,
            writers: Vec::new(),
        });
        self.declare_name(inst, &d.name, Decl::Output(id));
    }

    /// How the values rules give an output of this type combine.
    pub(crate) fn combine_of(&self, ty: Option<&Type>) -> Combine {
        match ty {
            Some(Type::Set(_)) => Combine::Union,
            Some(t @ Type::Enum(_)) if self.is_ordered(t) => Combine::Max,
            _ => Combine::Single,
        }
    }

    fn declare_rule(&mut self, inst: InstId, d: &'a ast::RuleDecl) {
        let id = RuleId(self.rules.len() as u32);
        let loc = self.loc(inst, d.name.span);
        self.rules.push(RuleDef {
            name: format!("{}{}", self.prefix(inst), d.name.name),
            label: d.label.as_ref().map(|l| l.value.clone()),
            sources: d.sources.iter().map(|s| s.name.clone()).collect(),
            docs: d.docs.clone(),
            condition: placeholder(loc),
            exception_to: None,
            exceptions: Vec::new(),
            actions: Vec::new(),
            loc,
        });
        self.rule_meta.push(RuleMeta {
            inst,
            decl: d,
            ok: true,
        });
        self.declare_name(inst, &d.name, Decl::Rule(id));
    }

    fn declare_table(&mut self, inst: InstId, d: &'a ast::TableDecl) {
        let id = TableId(self.tables.len() as u32);
        self.tables.push(TableDef {
            name: format!("{}{}", self.prefix(inst), d.name.name),
            label: d.label.as_ref().map(|l| l.value.clone()),
            sources: d.sources.iter().map(|s| s.name.clone()).collect(),
            docs: d.docs.clone(),
            hit: d.hit,
            columns: Vec::new(),
            outputs: Vec::new(),
            rows: Vec::new(),
            loc: self.loc(inst, d.name.span),
        });
        self.table_meta.push(TableMeta {
            inst,
            decl: d,
            ok: true,
        });
        self.declare_name(inst, &d.name, Decl::Table(id));
    }

    /// Reports `source KEY` clauses whose key the header does not declare.
    pub(crate) fn check_sources(&mut self, inst: InstId, keys: &[ast::Ident]) {
        for key in keys {
            let known = self
                .scope(inst)
                .is_some_and(|s| s.sources.contains(&key.name));
            if known {
                continue;
            }
            let candidates: Vec<String> = self
                .scope(inst)
                .map(|s| s.sources.iter().cloned().collect())
                .unwrap_or_default();
            let suggestion = self.suggest(&key.name, candidates.iter().map(String::as_str));
            self.emit(inst, unknown_source(key, suggestion.as_deref()));
        }
    }

    /// Attaches each import's `with` bindings to the imported file's parameters.
    pub(crate) fn bind_imports(&mut self) {
        for i in 0..self.src.instances.len() {
            let child = InstId(i);
            let Some((parent, item_index)) = self.src.instance(child).and_then(|c| c.parent) else {
                continue;
            };
            let Some(ast::Item::Import(imp)) =
                self.ast_of(parent).and_then(|a| a.items.get(item_index))
            else {
                continue;
            };
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for b in &imp.bindings {
                if let Some(prev) = seen.get(b.name.name.as_str()) {
                    self.emit(
                        parent,
                        duplicate_name(
                            &b.name.name,
                            "a value for this parameter",
                            *prev,
                            b.name.span,
                        ),
                    );
                    continue;
                }
                seen.insert(&b.name.name, b.name.span);
                match self.lookup(child, &b.name.name) {
                    Some(Decl::Param(p)) => {
                        if let Some(m) = self.param_meta.get_mut(p.0 as usize) {
                            m.binding = Some((parent, b));
                        }
                    }
                    other => {
                        let params = self.param_names(child);
                        let suggestion =
                            self.suggest(&b.name.name, params.iter().map(String::as_str));
                        let file = self
                            .source_of(child)
                            .map(|f| f.name.clone())
                            .unwrap_or_default();
                        let what = other.map(Decl::phrase);
                        self.emit(
                            parent,
                            unknown_import_param(
                                &b.name,
                                &file,
                                what,
                                suggestion.as_deref(),
                                &params,
                            ),
                        );
                    }
                }
            }
        }
    }

    /// The parameter names an instance declares, in order.
    pub(crate) fn param_names(&self, inst: InstId) -> Vec<String> {
        let Some(scope) = self.scope(inst) else {
            return Vec::new();
        };
        scope
            .order
            .iter()
            .filter(|n| matches!(scope.names.get(*n), Some((Decl::Param(_), _))))
            .cloned()
            .collect()
    }

    /// Checks parameter defaults and the values imports pass to parameters.
    pub(crate) fn check_params(&mut self) {
        for i in 0..self.param_meta.len() {
            let Some(m) = self.param_meta.get(i) else {
                continue;
            };
            let (inst, decl, ty, binding) = (m.inst, m.decl, m.ty.clone(), m.binding);
            let id = ParamId(i as u32);
            let name = decl.name.name.clone();
            let (value, vty) = self.expr(inst, &decl.default, ty.as_ref());
            let value = self.coerce(inst, &decl.default, value, vty, ty.as_ref(), &|| {
                format!("the default of `{name}`")
            });
            if ty.is_some() {
                if let Some(read) = first_read(&value, false) {
                    let what = self.read_name(&read);
                    self.emit(inst, default_not_constant(&decl.default, &name, &what));
                } else {
                    match crate::consts::fold(&value) {
                        Some(Const::Unknown) | None => {
                            self.emit(inst, default_unknown(&decl.default, &name));
                        }
                        Some(c) => {
                            let range = self.params.get(i).and_then(|p| p.range.clone());
                            if let Some(r) = range
                                && !Self::in_range(&c, &r)
                            {
                                let d = default_out_of_range(
                                    &decl.default,
                                    &name,
                                    &self.show(&c),
                                    &self.show_range(&r),
                                );
                                self.emit(inst, d);
                            }
                            if let Some(p) = self.params.get_mut(i) {
                                p.default = c;
                            }
                        }
                    }
                }
            }
            if let Some((parent, b)) = binding {
                self.owner = crate::checker::Owner::Binding(id);
                let (bound, bty) = self.expr(parent, &b.value, ty.as_ref());
                self.owner = crate::checker::Owner::None;
                let bound = self.coerce(parent, &b.value, bound, bty, ty.as_ref(), &|| {
                    format!("the value passed to `{name}`")
                });
                if let Some(read) = first_read(&bound, true) {
                    let what = self.read_name(&read);
                    self.emit(parent, binding_not_static(&b.value, &name, &what));
                } else if let Some(c) = crate::consts::fold(&bound) {
                    let range = self.params.get(i).and_then(|p| p.range.clone());
                    if let Some(r) = range
                        && !Self::in_range(&c, &r)
                        && c != Const::Unknown
                    {
                        let d = value_out_of_range(
                            b.value.span,
                            &name,
                            &self.show(&c),
                            &self.show_range(&r),
                            "parameter",
                        );
                        self.emit(parent, d);
                    }
                }
                if let Some(p) = self.params.get_mut(id.0 as usize) {
                    p.bound = Some(bound);
                }
            }
        }
    }

    /// A read as a name for messages.
    pub(crate) fn read_name(&self, read: &hir::ExprKind) -> String {
        match read {
            hir::ExprKind::Input(i) => self.inputs.get(i.0 as usize).map(|d| d.name.clone()),
            hir::ExprKind::Param(p) => self.params.get(p.0 as usize).map(|d| d.name.clone()),
            hir::ExprKind::Let(l) => self.lets.get(l.0 as usize).map(|d| d.name.clone()),
            hir::ExprKind::Output(o) => self.outputs.get(o.0 as usize).map(|d| d.name.clone()),
            _ => None,
        }
        .unwrap_or_default()
    }
}

/// The first input, let or output (and parameter, unless `params_ok`) an expression reads.
pub(crate) fn first_read(e: &hir::Expr, params_ok: bool) -> Option<hir::ExprKind> {
    let mut found = None;
    crate::order::visit(e, &mut |x| {
        if found.is_some() {
            return;
        }
        match &x.kind {
            hir::ExprKind::Input(_) | hir::ExprKind::Let(_) | hir::ExprKind::Output(_) => {
                found = Some(x.kind.clone())
            }
            hir::ExprKind::Param(_) if !params_ok => found = Some(x.kind.clone()),
            _ => {}
        }
    });
    found
}

pub(crate) fn duplicate_name(name: &str, what: &str, first: Span, again: Span) -> Diagnostic {
    Diagnostic::new(Code::DuplicateName, format!("`{name}` is declared twice"))
        .with_primary(again, "declared again here")
        .with_label(first, format!("first declared here as {what}"))
        .with_help("every name in a file must be different: rename or remove one of them")
}

fn unknown_source(key: &ast::Ident, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::UnknownName, format!("unknown source `{}`", key.name))
        .with_primary(key.span, "not declared in the header");
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!(
            "declare it in the header: `source {} \"citation\" \"link\"`",
            key.name
        )),
    }
}

fn unknown_import_param(
    name: &ast::Ident,
    file: &str,
    what: Option<&str>,
    suggestion: Option<&str>,
    params: &[String],
) -> Diagnostic {
    let message = match what {
        Some(w) => format!("`{}` is {w} of `{file}`, not a parameter", name.name),
        None => format!("`{file}` has no parameter `{}`", name.name),
    };
    let d = Diagnostic::new(Code::UnknownImportParam, message)
        .with_primary(name.span, "not a parameter of the imported file");
    match (suggestion, params.is_empty()) {
        (Some(s), _) => d.with_help(format!("did you mean `{s}`?")),
        (None, true) => {
            d.with_help("the imported file declares no parameters; remove this `with` value")
        }
        (None, false) => {
            let list: Vec<String> = params.iter().take(8).map(|p| format!("`{p}`")).collect();
            d.with_help(format!("its parameters are {}", list.join(", ")))
        }
    }
}

fn output_range(span: Span) -> Diagnostic {
    Diagnostic::new(Code::TypeMismatch, "an output cannot have an allowed range")
        .with_primary(span, "range not allowed here")
        .with_help("ranges check what case systems send; remove it from the output")
}

fn default_not_constant(e: &ast::Expr, name: &str, read: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NotConstant,
        format!("the default of `{name}` must be a fixed value, but it reads `{read}`"),
    )
    .with_primary(e.span, "not a fixed value")
    .with_help(
        "write the value itself, such as `14`; agencies change parameters by overriding them",
    )
}

fn default_unknown(e: &ast::Expr, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NotConstant,
        format!("the default of `{name}` must be a known, fixed value"),
    )
    .with_primary(e.span, "not a fixed value")
    .with_help("write the value itself, such as `14`")
}

fn default_out_of_range(e: &ast::Expr, name: &str, value: &str, range: &str) -> Diagnostic {
    Diagnostic::new(
        Code::DefaultOutOfRange,
        format!("the default `{value}` of `{name}` is outside its range `{range}`"),
    )
    .with_primary(e.span, format!("not in `{range}`"))
    .with_help(format!("use a default in `{range}`, or widen the range"))
}

fn binding_not_static(e: &ast::Expr, name: &str, read: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NotConstant,
        format!("the value passed to `{name}` reads `{read}`, which changes from case to case"),
    )
    .with_primary(e.span, "not fixed before a case is evaluated")
    .with_help("pass a fixed value or one of this file's parameters")
}

pub(crate) fn value_out_of_range(
    span: Span,
    name: &str,
    value: &str,
    range: &str,
    what: &str,
) -> Diagnostic {
    Diagnostic::new(
        Code::ValueOutOfRange,
        format!("`{value}` is outside the range `{range}` of the {what} `{name}`"),
    )
    .with_primary(span, format!("not in `{range}`"))
    .with_help(format!("`{name}` allows values in `{range}`"))
}
