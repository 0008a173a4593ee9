//! The checker's state and its passes, in order.
//!
//! The HIR is built while checking: ids are handed out when declarations are collected
//! (so any item can refer to any other), bodies are filled in later. When something is
//! wrong, a placeholder takes its place and a diagnostic says why; the ruleset is only
//! handed out when no diagnostic is an error, so placeholders never escape.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use waymark_diagnostics::{Diagnostic, SourceFile, Span};
use waymark_syntax::ast;

use crate::hir::{
    self, EnumId, FileId, InputId, LetId, Loc, OutputId, ParamId, RuleId, TableId, Type,
};
use crate::load::{InstId, Loaded};

/// A type, or `None` when it could not be worked out (a diagnostic already says why).
pub(crate) type Ty = Option<Type>;

/// What a name declared in a file stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decl {
    Input(InputId),
    Param(ParamId),
    Let(LetId),
    Output(OutputId),
    Enum(EnumId),
    Rule(RuleId),
    Table(TableId),
    Import(InstId),
}

impl Decl {
    /// The kind of thing, for messages: "an input", "a rule".
    pub(crate) fn phrase(self) -> &'static str {
        match self {
            Decl::Input(_) => "an input",
            Decl::Param(_) => "a parameter",
            Decl::Let(_) => "a derived value (`let`)",
            Decl::Output(_) => "an output",
            Decl::Enum(_) => "an enum",
            Decl::Rule(_) => "a rule",
            Decl::Table(_) => "a table",
            Decl::Import(_) => "an imported ruleset",
        }
    }
}

/// The names one instance of a file can use.
#[derive(Default)]
pub(crate) struct Scope {
    /// Every declaration and import alias, with where its name is written.
    pub names: HashMap<String, (Decl, Span)>,
    /// The file's own enums, in order.
    pub enums: Vec<EnumId>,
    /// Declared names in source order, for "did you mean".
    pub order: Vec<String>,
    /// This file's view of the shared inputs it declares.
    pub input_types: HashMap<InputId, hir::Type>,
    /// Citation keys from the header.
    pub sources: HashSet<String>,
    /// Aliases of imports that could not be read: names under them are silently unknown.
    pub dead_aliases: HashSet<String>,
}

/// Where a shared input is declared.
pub(crate) struct InputMeta {
    /// Every declaration: instance and the span of the name.
    pub decls: Vec<(InstId, Span)>,
    /// True when the root file declares it.
    pub in_root: bool,
}

pub(crate) struct ParamMeta<'a> {
    pub inst: InstId,
    pub decl: &'a ast::ParamDecl,
    pub ty: Ty,
    /// The importer's `with` binding: the importing instance and the binding.
    pub binding: Option<(InstId, &'a ast::ParamBinding)>,
}

pub(crate) struct LetMeta<'a> {
    pub inst: InstId,
    pub decl: &'a ast::LetDecl,
    pub ty: Ty,
    pub done: bool,
}

pub(crate) struct OutputMeta<'a> {
    pub inst: InstId,
    pub decl: &'a ast::OutputDecl,
    pub ty: Ty,
    /// Rule actions and table cells that write it.
    pub writers: Vec<Writer>,
}

/// What is being checked, so that every name it resolves is recorded as one of its reads
/// (even inside an expression that later turns out wrong).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Owner {
    /// Nothing that is evaluated (a test, a property, a parameter default).
    None,
    /// A let, rule, table or output.
    Node(hir::Node),
    /// The value an import passes to a parameter.
    Binding(ParamId),
}

/// A rule action or table cell that writes an output.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Writer {
    /// Rule, index of the action.
    Rule(RuleId, usize),
    /// Table, row, output column.
    Row(TableId, usize, usize),
}

pub(crate) struct RuleMeta<'a> {
    pub inst: InstId,
    pub decl: &'a ast::RuleDecl,
    /// False when checking the rule reported an error: later analyses skip it.
    pub ok: bool,
}

pub(crate) struct TableMeta<'a> {
    pub inst: InstId,
    pub decl: &'a ast::TableDecl,
    /// False when checking the table reported an error: later analyses skip it.
    pub ok: bool,
}

pub(crate) struct Checker<'a> {
    pub src: &'a Loaded<'a>,
    pub diags: Vec<Diagnostic>,
    pub scopes: Vec<Scope>,
    pub enums: Vec<hir::EnumDef>,
    pub inputs: Vec<hir::InputDef>,
    pub params: Vec<hir::ParamDef>,
    pub lets: Vec<hir::LetDef>,
    pub outputs: Vec<hir::OutputDef>,
    pub rules: Vec<hir::RuleDef>,
    pub tables: Vec<hir::TableDef>,
    pub tests: Vec<hir::TestDef>,
    pub properties: Vec<hir::PropertyDef>,
    pub order: Vec<hir::Node>,
    pub input_meta: Vec<InputMeta>,
    /// Where each value of each enum is written.
    pub variant_spans: Vec<Vec<Span>>,
    pub param_meta: Vec<ParamMeta<'a>>,
    pub let_meta: Vec<LetMeta<'a>>,
    pub output_meta: Vec<OutputMeta<'a>>,
    pub rule_meta: Vec<RuleMeta<'a>>,
    pub table_meta: Vec<TableMeta<'a>>,
    pub input_by_name: HashMap<String, InputId>,
    /// How many more "did you mean" searches may run; keeps broken huge files fast.
    pub suggestions_left: usize,
    /// Work left for the reachability analysis, shared by the whole check.
    pub analysis_budget: u64,
    /// How many errors [`Checker::emit`] has recorded.
    pub errors: usize,
    /// What is being checked now.
    pub owner: Owner,
    /// Every declaration a name resolved to, with what was being checked.
    pub recorded: Vec<(Owner, Decl)>,
}

/// Runs every pass over the loaded files.
pub(crate) fn run(src: &Loaded<'_>) -> (Option<hir::Ruleset>, Vec<Diagnostic>) {
    let mut ck = Checker {
        src,
        diags: src.diagnostics.clone(),
        scopes: src.instances.iter().map(|_| Scope::default()).collect(),
        enums: Vec::new(),
        inputs: Vec::new(),
        params: Vec::new(),
        lets: Vec::new(),
        outputs: Vec::new(),
        rules: Vec::new(),
        tables: Vec::new(),
        tests: Vec::new(),
        properties: Vec::new(),
        order: Vec::new(),
        input_meta: Vec::new(),
        variant_spans: Vec::new(),
        param_meta: Vec::new(),
        let_meta: Vec::new(),
        output_meta: Vec::new(),
        rule_meta: Vec::new(),
        table_meta: Vec::new(),
        input_by_name: HashMap::new(),
        suggestions_left: 500,
        analysis_budget: 20_000_000,
        errors: 0,
        owner: Owner::None,
        recorded: Vec::new(),
    };
    ck.declare_all();
    ck.bind_imports();
    ck.check_lets();
    ck.check_params();
    ck.check_outputs();
    ck.check_rules();
    ck.check_tables();
    ck.check_output_writers();
    ck.check_conflicts();
    ck.check_reachability();
    ck.check_order();
    ck.check_tests();
    let ruleset = ck.finish();
    (ruleset, ck.diags)
}

impl<'a> Checker<'a> {
    /// The file of an instance.
    pub(crate) fn file_of(&self, inst: InstId) -> FileId {
        self.src.instance(inst).map_or(FileId(0), |i| i.file)
    }

    pub(crate) fn source_of(&self, inst: InstId) -> Option<&'a Arc<SourceFile>> {
        let src: &'a Loaded<'a> = self.src;
        src.file(self.file_of(inst)).map(|f| &f.source)
    }

    /// The syntax tree of an instance's file.
    pub(crate) fn ast_of(&self, inst: InstId) -> Option<&'a ast::Ruleset> {
        let src: &'a Loaded<'a> = self.src;
        let file = src.instance(inst)?.file;
        src.file(file).map(|f| &*f.ast)
    }

    /// True when the instance's file has syntax errors, so items may be missing.
    pub(crate) fn broken(&self, inst: InstId) -> bool {
        self.src.file(self.file_of(inst)).is_some_and(|f| f.broken)
    }

    pub(crate) fn any_broken(&self) -> bool {
        self.src.files.iter().any(|f| f.broken)
    }

    pub(crate) fn prefix(&self, inst: InstId) -> &'a str {
        let src: &'a Loaded<'a> = self.src;
        src.instance(inst).map_or("", |i| i.prefix.as_str())
    }

    pub(crate) fn loc(&self, inst: InstId, span: Span) -> Loc {
        Loc {
            file: self.file_of(inst),
            span,
        }
    }

    /// A span without the white space at its ends.
    pub(crate) fn trimmed(&self, inst: InstId, span: Span) -> Span {
        let Some(f) = self.source_of(inst) else {
            return span;
        };
        let text = f.slice(span);
        let front = text.len() - text.trim_start().len();
        let back = text.len() - text.trim_end().len();
        if front + back >= text.len() {
            return span;
        }
        Span::new(span.start + front as u32, span.end - back as u32)
    }

    /// Records a diagnostic in an instance's file.
    pub(crate) fn emit(&mut self, inst: InstId, d: Diagnostic) {
        if d.is_error() {
            self.errors += 1;
        }
        let d = match self.source_of(inst) {
            Some(f) => d.in_file(f),
            None => d,
        };
        self.diags.push(d);
    }

    pub(crate) fn scope(&self, inst: InstId) -> Option<&Scope> {
        self.scopes.get(inst.0)
    }

    /// What a plain name means in an instance, if it is declared there.
    pub(crate) fn lookup(&self, inst: InstId, name: &str) -> Option<Decl> {
        self.scope(inst)?.names.get(name).map(|(d, _)| *d)
    }

    pub(crate) fn lookup_span(&self, inst: InstId, name: &str) -> Option<(Decl, Span)> {
        self.scope(inst)?.names.get(name).copied()
    }

    pub(crate) fn scope_enum_names(&self, inst: InstId) -> Vec<String> {
        let Some(scope) = self.scope(inst) else {
            return Vec::new();
        };
        let prefix = self.prefix(inst);
        scope
            .enums
            .iter()
            .map(|e| {
                let name = self.enum_name(*e);
                name.strip_prefix(prefix).unwrap_or(&name).to_string()
            })
            .collect()
    }

    /// The closest of `candidates` to `name`, within the suggestion budget: a name a typo
    /// or two away, two neighbouring characters swapped (`q21` for `q12`), or the only
    /// name that contains it or that it contains (`threshold` for `vhr_threshold`).
    pub(crate) fn suggest<'c>(
        &mut self,
        name: &str,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> Option<String> {
        if self.suggestions_left == 0 || name.is_empty() {
            return None;
        }
        self.suggestions_left -= 1;
        let candidates: Vec<&str> = candidates.into_iter().filter(|c| *c != name).collect();
        if let Some(c) = waymark_diagnostics::did_you_mean(name, candidates.iter().copied()) {
            return Some(c.to_string());
        }
        if let Some(c) = candidates.iter().find(|c| swapped(name, c)) {
            return Some((*c).to_string());
        }
        let lower = name.to_lowercase();
        let containing: Vec<&str> = candidates
            .iter()
            .copied()
            .filter(|c| {
                let c = c.to_lowercase();
                lower.len() >= 3 && c.len() >= 3 && (c.contains(&lower) || lower.contains(&c))
            })
            .collect();
        match containing.as_slice() {
            [one] => Some((*one).to_string()),
            _ => None,
        }
    }

    /// The instance an alias names in `inst`.
    pub(crate) fn child(&self, inst: InstId, alias: &str) -> Option<InstId> {
        match self.lookup(inst, alias) {
            Some(Decl::Import(c)) => Some(c),
            _ => None,
        }
    }

    /// The name a declaration has in its own file (without the instance prefix).
    pub(crate) fn local_name<'n>(&self, inst: InstId, full: &'n str) -> &'n str {
        full.strip_prefix(self.prefix(inst)).unwrap_or(full)
    }

    /// The type a let has, once checked.
    pub(crate) fn let_ty(&self, id: LetId) -> Ty {
        self.let_meta.get(id.0 as usize).and_then(|m| m.ty.clone())
    }

    pub(crate) fn output_ty(&self, id: OutputId) -> Ty {
        self.output_meta
            .get(id.0 as usize)
            .and_then(|m| m.ty.clone())
    }

    pub(crate) fn param_ty(&self, id: ParamId) -> Ty {
        self.param_meta
            .get(id.0 as usize)
            .and_then(|m| m.ty.clone())
    }

    /// The type of a shared input as the file of `inst` declares it.
    pub(crate) fn input_ty(&self, inst: InstId, id: InputId) -> Ty {
        if let Some(t) = self.scope(inst).and_then(|s| s.input_types.get(&id)) {
            return Some(t.clone());
        }
        self.inputs
            .get(id.0 as usize)
            .map(|i| i.ty.clone())
            .filter(|_| self.input_typed(id))
    }

    fn input_typed(&self, id: InputId) -> bool {
        self.input_meta
            .get(id.0 as usize)
            .is_some_and(|m| !m.decls.is_empty())
    }

    fn finish(&mut self) -> Option<hir::Ruleset> {
        if self.diags.iter().any(Diagnostic::is_error) {
            return None;
        }
        let root = self.ast_of(InstId(0))?;
        let mut meta = hir::Meta::default();
        if let Some(h) = &root.header {
            meta.id = h.id.dotted();
            meta.version = h.version.text();
            meta.title = h.title.as_ref().map(|t| t.value.clone());
            meta.effective_from = h.effective_from.as_ref().and_then(|d| to_date(d.value));
            meta.effective_until = h.effective_until.as_ref().and_then(|d| to_date(d.value));
            meta.docs = h.docs.clone();
        }
        let mut seen = HashSet::new();
        for f in &self.src.files {
            let Some(h) = &f.ast.header else { continue };
            for s in &h.sources {
                if seen.insert(s.key.name.clone()) {
                    meta.sources.push(hir::SourceDef {
                        key: s.key.name.clone(),
                        citation: s.citation.value.clone(),
                        link: s.link.as_ref().map(|l| l.value.clone()),
                    });
                }
            }
        }
        Some(hir::Ruleset {
            meta,
            files: self
                .src
                .files
                .iter()
                .map(|f| Arc::clone(&f.source))
                .collect(),
            enums: std::mem::take(&mut self.enums),
            inputs: std::mem::take(&mut self.inputs),
            params: std::mem::take(&mut self.params),
            lets: std::mem::take(&mut self.lets),
            outputs: std::mem::take(&mut self.outputs),
            rules: std::mem::take(&mut self.rules),
            tables: std::mem::take(&mut self.tables),
            order: std::mem::take(&mut self.order),
            tests: std::mem::take(&mut self.tests),
            properties: std::mem::take(&mut self.properties),
        })
    }
}

/// True when `a` is `b` with two neighbouring characters swapped.
fn swapped(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() != b.len() {
        return false;
    }
    let diff: Vec<usize> = (0..a.len()).filter(|i| a.get(*i) != b.get(*i)).collect();
    match diff.as_slice() {
        [i, j] => *j == i + 1 && a.get(*i) == b.get(*j) && a.get(*j) == b.get(*i),
        _ => false,
    }
}

/// A syntax-tree date as a calendar date, if it exists.
pub(crate) fn to_date(d: ast::Date) -> Option<waymark_ir::Date> {
    waymark_ir::Date::from_ymd(d.year, u32::from(d.month), u32::from(d.day))
}

/// A placeholder for an expression that could not be checked; a diagnostic says why, or
/// an error elsewhere (such as a cycle) explains it. It is an empty list so that no
/// analysis mistakes it for a known truth value.
pub(crate) fn placeholder(loc: Loc) -> hir::Expr {
    hir::Expr {
        kind: hir::ExprKind::List(Vec::new()),
        ty: Type::Bool,
        loc,
    }
}
