//! The root file's tests and properties: they name inputs, parameters and outputs that
//! must exist, with fixed values of the right types.

use std::collections::HashMap;

use waymark_diagnostics::{Code, Diagnostic, Span};
use waymark_syntax::ast;

use crate::checker::{Checker, Decl};
use crate::declare::value_out_of_range;
use crate::hir::{
    self, Const, InputId, OutputId, ParamId, PropertyBody, PropertyDef, TestDef, Type,
};
use crate::load::InstId;

const ROOT: InstId = InstId(0);

impl Checker<'_> {
    /// Checks the root file's tests and properties.
    pub(crate) fn check_tests(&mut self) {
        let Some(ast) = self.ast_of(ROOT) else { return };
        let mut names: HashMap<&str, (Span, &'static str)> = HashMap::new();
        for item in &ast.items {
            let (name, what) = match item {
                ast::Item::Test(t) => (&t.name, "test"),
                ast::Item::Property(p) => (&p.name, "property"),
                _ => continue,
            };
            if let Some((prev, prev_what)) = names.get(name.value.as_str()) {
                self.emit(
                    ROOT,
                    duplicate_check(&name.value, what, prev_what, *prev, name.span),
                );
            } else {
                names.insert(&name.value, (name.span, what));
            }
        }
        for item in &ast.items {
            match item {
                ast::Item::Test(t) => {
                    if let Some(def) = self.check_test(t) {
                        self.tests.push(def);
                    }
                }
                ast::Item::Property(p) => {
                    if let Some(def) = self.check_property(p) {
                        self.properties.push(def);
                    }
                }
                _ => {}
            }
        }
    }

    fn check_test(&mut self, t: &ast::TestDecl) -> Option<TestDef> {
        let mut facts: Vec<(InputId, Const)> = Vec::new();
        let mut given_at: HashMap<InputId, Span> = HashMap::new();
        for fact in &t.given {
            let targets: Vec<(InputId, Span)> = match &fact.target {
                ast::FactTarget::Name(path) => match self.fact_input(path) {
                    Some(i) => vec![(i, path.span)],
                    None => {
                        self.expr(ROOT, &fact.value, None);
                        continue;
                    }
                },
                ast::FactTarget::Range(a, b) => {
                    let span = a.span.to(b.span);
                    match crate::names::expand(a, b, span) {
                        Ok(names) => {
                            let mut found = Vec::new();
                            let mut missing = Vec::new();
                            for n in names {
                                match self.input_by_name.get(&n) {
                                    Some(i) => found.push((*i, span)),
                                    None => missing.push(n),
                                }
                            }
                            if !missing.is_empty() {
                                self.emit(
                                    ROOT,
                                    range_not_inputs(
                                        span,
                                        &format!("{}..{}", a.name, b.name),
                                        &missing,
                                    ),
                                );
                            }
                            found
                        }
                        Err(d) => {
                            self.emit(ROOT, d);
                            continue;
                        }
                    }
                }
            };
            let mut cache: Vec<(Type, Option<Const>)> = Vec::new();
            for (input, span) in targets {
                if let Some(prev) = given_at.get(&input) {
                    let name = self
                        .inputs
                        .get(input.0 as usize)
                        .map(|d| d.name.clone())
                        .unwrap_or_default();
                    self.emit(ROOT, duplicate_fact(span, *prev, &name));
                    continue;
                }
                given_at.insert(input, span);
                let Some(ty) = self.inputs.get(input.0 as usize).map(|d| d.ty.clone()) else {
                    continue;
                };
                let value = match cache.iter().find(|(t, _)| *t == ty) {
                    Some((_, v)) => v.clone(),
                    None => {
                        let name = self
                            .inputs
                            .get(input.0 as usize)
                            .map(|d| d.name.clone())
                            .unwrap_or_default();
                        let v = self.fixed_value(
                            &fact.value,
                            &ty,
                            &format!("the value given to `{name}`"),
                        );
                        cache.push((ty.clone(), v.clone()));
                        v
                    }
                };
                let Some(value) = value else { continue };
                if let Some(r) = self
                    .inputs
                    .get(input.0 as usize)
                    .and_then(|d| d.range.clone())
                    && value != Const::Unknown
                    && !Self::in_range(&value, &r)
                {
                    let name = self
                        .inputs
                        .get(input.0 as usize)
                        .map(|d| d.name.clone())
                        .unwrap_or_default();
                    let d = value_out_of_range(
                        fact.value.span,
                        &name,
                        &self.show(&value),
                        &self.show_range(&r),
                        "input",
                    );
                    self.emit(ROOT, d);
                }
                facts.push((input, value));
            }
        }
        let params = self.param_values(&t.params);
        let mut expect: Vec<(OutputId, Option<Const>)> = Vec::new();
        for e in &t.expect {
            let Some(out) = self.public_output(&e.target) else {
                if let Some(v) = &e.value {
                    self.expr(ROOT, v, None);
                }
                continue;
            };
            match &e.value {
                None => expect.push((out, None)),
                Some(v) => {
                    let Some(ty) = self.output_ty(out) else {
                        continue;
                    };
                    let name = e.target.dotted();
                    if let Some(c) =
                        self.fixed_value(v, &ty, &format!("the expected value of `{name}`"))
                    {
                        expect.push((out, Some(c)));
                    }
                }
            }
        }
        if t.expect.is_empty() {
            let example = self.outputs.iter().find(|o| o.public).map_or_else(
                || "risk_level = high".to_string(),
                |o| format!("{} = …", o.name),
            );
            self.emit(
                ROOT,
                test_checks_nothing(t.name.span, &t.name.value, &example),
            );
        }
        Some(TestDef {
            name: t.name.value.clone(),
            facts,
            params,
            expect,
            loc: self.loc(ROOT, t.span),
        })
    }

    /// A fixed value of type `ty`, reporting anything else.
    fn fixed_value(&mut self, e: &ast::Expr, ty: &Type, what: &str) -> Option<Const> {
        let (h, t) = self.expr(ROOT, e, Some(ty));
        let ok = t.is_some();
        let h = self.coerce(ROOT, e, h, t, Some(ty), &|| what.to_string());
        if !ok {
            return None;
        }
        if let Some(read) = crate::declare::first_read(&h, false) {
            let name = self.read_name(&read);
            self.emit(ROOT, not_fixed(e.span, what, &name));
            return None;
        }
        crate::consts::fold(&h)
    }

    /// The input a fact names.
    fn fact_input(&mut self, path: &ast::Path) -> Option<InputId> {
        let name = path.dotted();
        if let Some(i) = self.input_by_name.get(&name) {
            return Some(*i);
        }
        let last = path
            .segments
            .last()
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let what = self.lookup(ROOT, &name).map(|d| d.phrase());
        let help = if path.segments.len() > 1 && self.input_by_name.contains_key(&last) {
            format!("inputs are shared by name across imports: write `{last}`")
        } else if matches!(self.lookup(ROOT, &name), Some(Decl::Param(_))) {
            format!("set a parameter with `with {name} = …`")
        } else {
            let inputs: Vec<String> = self.inputs.iter().map(|d| d.name.clone()).collect();
            match self.suggest(&name, inputs.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "a test gives values to inputs: check the name".to_string(),
            }
        };
        self.emit(ROOT, not_an_input(path.span, &name, what, &help));
        None
    }

    /// The root output an `expect` or property names.
    fn public_output(&mut self, path: &ast::Path) -> Option<OutputId> {
        let name = path.dotted();
        if path.segments.len() == 1 {
            match self.lookup(ROOT, &name) {
                Some(Decl::Output(o)) => return Some(o),
                Some(d) => {
                    self.emit(
                        ROOT,
                        not_public_output(
                            path.span,
                            &name,
                            Some(d.phrase()),
                            "tests and properties check this file's outputs",
                        ),
                    );
                    return None;
                }
                None => {}
            }
        }
        let help = if path.segments.len() > 1 {
            "only this file's outputs can be checked: declare an output here computed from the imported value".to_string()
        } else {
            let outputs: Vec<String> = self
                .scope(ROOT)
                .map(|s| {
                    s.order
                        .iter()
                        .filter(|n| matches!(s.names.get(*n), Some((Decl::Output(_), _))))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            match self.suggest(&name, outputs.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "tests and properties check this file's outputs".to_string(),
            }
        };
        self.emit(ROOT, not_public_output(path.span, &name, None, &help));
        None
    }

    /// Checks `with name = value` bindings of a test or property.
    fn param_values(&mut self, bindings: &[ast::ParamBinding]) -> Vec<(ParamId, Const)> {
        let mut out = Vec::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for b in bindings {
            if let Some(prev) = seen.get(b.name.name.as_str()) {
                self.emit(
                    ROOT,
                    crate::declare::duplicate_name(
                        &b.name.name,
                        "a value for this parameter",
                        *prev,
                        b.name.span,
                    ),
                );
                continue;
            }
            seen.insert(&b.name.name, b.name.span);
            let Some(Decl::Param(p)) = self.lookup(ROOT, &b.name.name) else {
                let params = self.param_names(ROOT);
                let suggestion = self.suggest(&b.name.name, params.iter().map(String::as_str));
                let what = self.lookup(ROOT, &b.name.name).map(Decl::phrase);
                self.emit(ROOT, unknown_param(&b.name, what, suggestion.as_deref()));
                self.expr(ROOT, &b.value, None);
                continue;
            };
            let Some(ty) = self.param_ty(p) else { continue };
            let Some(c) =
                self.fixed_value(&b.value, &ty, &format!("the value of `{}`", b.name.name))
            else {
                continue;
            };
            if let Some(r) = self.params.get(p.0 as usize).and_then(|d| d.range.clone())
                && !Self::in_range(&c, &r)
            {
                let d = value_out_of_range(
                    b.value.span,
                    &b.name.name,
                    &self.show(&c),
                    &self.show_range(&r),
                    "parameter",
                );
                self.emit(ROOT, d);
            }
            out.push((p, c));
        }
        out
    }

    fn check_property(&mut self, p: &ast::PropertyDecl) -> Option<PropertyDef> {
        let params = self.param_values(&p.params);
        let body = match &p.body {
            ast::PropertyBody::Monotone { output, inputs } => {
                let out = self.public_output(output);
                if let Some(o) = out {
                    let ty = self.output_ty(o);
                    let fine = match &ty {
                        Some(Type::Int | Type::Bool) | None => true,
                        Some(t @ Type::Enum(_)) => self.is_ordered(t),
                        _ => false,
                    };
                    if !fine {
                        let name = ty.map(|t| self.type_name(&t)).unwrap_or_default();
                        self.emit(ROOT, monotone_output(output.span, &output.dotted(), &name));
                    }
                }
                let mut ids = Vec::new();
                for item in inputs {
                    let names: Vec<(String, Span)> = match item {
                        ast::ListItem::Range(a, b, span) => match crate::names::expand(a, b, *span)
                        {
                            Ok(ns) => ns.into_iter().map(|n| (n, *span)).collect(),
                            Err(d) => {
                                self.emit(ROOT, d);
                                continue;
                            }
                        },
                        ast::ListItem::Expr(e) => match &e.kind {
                            ast::ExprKind::Name(path) => vec![(path.dotted(), e.span)],
                            _ => {
                                self.emit(ROOT, monotone_input(e.span, "this", "not an input"));
                                continue;
                            }
                        },
                    };
                    let mut missing = Vec::new();
                    let mut reported_type = false;
                    let mut range_span = None;
                    for (n, span) in names {
                        range_span = Some(span);
                        match self.input_by_name.get(&n).copied() {
                            Some(i) => {
                                let ty = self.inputs.get(i.0 as usize).map(|d| d.ty.clone());
                                if ty != Some(Type::Answer) {
                                    if !reported_type {
                                        let t = ty.map(|t| self.type_name(&t)).unwrap_or_default();
                                        self.emit(
                                            ROOT,
                                            monotone_input(
                                                span,
                                                &format!("`{n}`"),
                                                &format!("`{t}`"),
                                            ),
                                        );
                                    }
                                    reported_type = true;
                                    continue;
                                }
                                ids.push(i);
                            }
                            None => missing.push(n),
                        }
                    }
                    if let (false, Some(span)) = (missing.is_empty(), range_span) {
                        let written = match item {
                            ast::ListItem::Range(a, b, _) => format!("{}..{}", a.name, b.name),
                            ast::ListItem::Expr(_) => missing.first().cloned().unwrap_or_default(),
                        };
                        self.emit(ROOT, range_not_inputs(span, &written, &missing));
                    }
                }
                PropertyBody::Monotone {
                    output: out?,
                    inputs: ids,
                }
            }
            ast::PropertyBody::Always(e) => PropertyBody::Always(self.cond(ROOT, e)),
            ast::PropertyBody::Never(e) => PropertyBody::Never(self.cond(ROOT, e)),
            ast::PropertyBody::Agree {
                other,
                outputs,
                except,
            } => {
                let dir = self
                    .src
                    .file(hir::FileId(0))
                    .and_then(|f| f.path.parent().map(std::path::Path::to_path_buf))
                    .unwrap_or_default();
                let other = crate::load::normalize(&dir.join(&other.value));
                let mut names = Vec::new();
                for o in outputs {
                    if self.public_output(o).is_some() {
                        names.push(o.dotted());
                    }
                }
                let except = except.as_ref().map(|e| self.cond(ROOT, e));
                PropertyBody::Agree {
                    other,
                    outputs: names,
                    except,
                }
            }
        };
        Some(PropertyDef {
            name: p.name.value.clone(),
            params,
            body,
            loc: self.loc(ROOT, p.span),
        })
    }
}

fn duplicate_check(
    name: &str,
    what: &str,
    prev_what: &str,
    first: Span,
    again: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateTest,
        format!("two checks are called \"{name}\""),
    )
    .with_primary(again, format!("this {what} has the same name"))
    .with_label(first, format!("as this {prev_what}"))
    .with_help("give every test and property its own name, so a failure says which one failed")
}

fn not_an_input(span: Span, name: &str, what: Option<&str>, help: &str) -> Diagnostic {
    let message = match what {
        Some(w) => format!("the test gives a value to `{name}`, which is {w}, not an input"),
        None => format!("the test gives a value to `{name}`, but there is no input `{name}`"),
    };
    Diagnostic::new(Code::TestUnknownName, message)
        .with_primary(span, "not an input")
        .with_help(help.to_string())
}

fn range_not_inputs(span: Span, range: &str, missing: &[String]) -> Diagnostic {
    let shown: Vec<String> = missing.iter().take(5).map(|m| format!("`{m}`")).collect();
    let more = if missing.len() > 5 {
        format!(" and {} more", missing.len() - 5)
    } else {
        String::new()
    };
    Diagnostic::new(
        Code::TestUnknownName,
        format!(
            "`{range}` includes {}{more}, which {} not an input",
            shown.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        ),
    )
    .with_primary(span, "names something that is not an input")
    .with_help("name only declared inputs, or shorten the range")
}

fn duplicate_fact(span: Span, first: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateFact,
        format!("the test gives `{name}` twice"),
    )
    .with_primary(span, "given again here")
    .with_label(first, "first given here")
    .with_help("give each input once: check where ranges such as `q1..q14` overlap")
}

fn not_public_output(span: Span, name: &str, what: Option<&str>, help: &str) -> Diagnostic {
    let message = match what {
        Some(w) => format!("`{name}` is {w}, not an output"),
        None => format!("there is no output `{name}` in this file"),
    };
    Diagnostic::new(Code::TestUnknownName, message)
        .with_primary(span, "not an output of this file")
        .with_help(help.to_string())
}

fn unknown_param(name: &ast::Ident, what: Option<&str>, suggestion: Option<&str>) -> Diagnostic {
    let message = match what {
        Some(w) => format!("`{}` is {w}, not a parameter", name.name),
        None => format!("there is no parameter `{}`", name.name),
    };
    let d = Diagnostic::new(Code::UnknownImportParam, message)
        .with_primary(name.span, "not a parameter");
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help("`with` sets this file's parameters; give inputs with `given`"),
    }
}

fn not_fixed(span: Span, what: &str, read: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NotConstant,
        format!("{what} must be a fixed value, but it reads `{read}`"),
    )
    .with_primary(span, "not a fixed value")
    .with_help("write the value itself, such as `14`, `yes` or `2024-05-01`")
}

fn test_checks_nothing(span: Span, name: &str, example: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TestNeverChecks,
        format!("the test \"{name}\" checks nothing"),
    )
    .with_primary(span, "no `expect`")
    .with_help(format!("say what should come out, e.g. `expect {example}`"))
}

fn monotone_output(span: Span, name: &str, ty: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MonotoneNotAnswer,
        format!("`monotone` needs an output that can go up, but `{name}` is `{ty}`"),
    )
    .with_primary(span, "has no order")
    .with_help("use an ordered enum, an `int` or a `bool` output")
}

fn monotone_input(span: Span, name: &str, ty: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MonotoneNotAnswer,
        format!("`monotone` varies answers, but {name} is {ty}"),
    )
    .with_primary(span, "not an answer")
    .with_help("list answer inputs only, e.g. `monotone risk_level in q1..q24`")
}
