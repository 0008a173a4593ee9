//! The checked ruleset: every name resolved, every expression typed, imports flattened.
//!
//! A [`Ruleset`] is what the checker produces when a file and its imports have no errors,
//! and what the compiler and the reference interpreter consume. All ids index the vectors
//! of the one [`Ruleset`]. Imported files are flattened into it: their values, outputs,
//! rules and tables get names prefixed with the import's alias (`ric.yes_count`), inputs
//! are shared by name (facts are flat), and an imported parameter is either bound by the
//! importer's `with` (then it is an [`ParamDef::bound`] expression) or kept as a parameter
//! named with its prefix (`ric.dk_followup_min`) that agencies may override.
//!
//! **Invariant:** [`Ruleset::order`] lists every let, rule, table and output exactly once,
//! each after everything it reads, so evaluating in that order never reads a value that is
//! not yet computed.

use std::sync::Arc;

use waymark_diagnostics::{SourceFile, Span};
use waymark_ir::{Answer, Date, Decimal, Unit};

pub use waymark_syntax::ast::{CmpOp, CountValue, Direction, HitPolicy};

/// Index of a file in [`Ruleset::files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);
/// Index of an enum in [`Ruleset::enums`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnumId(pub u32);
/// Index of an input in [`Ruleset::inputs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InputId(pub u32);
/// Index of a parameter in [`Ruleset::params`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(pub u32);
/// Index of a derived value in [`Ruleset::lets`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LetId(pub u32);
/// Index of an output in [`Ruleset::outputs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutputId(pub u32);
/// Index of a rule in [`Ruleset::rules`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);
/// Index of a table in [`Ruleset::tables`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(pub u32);

/// A place in one of the ruleset's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    /// The file.
    pub file: FileId,
    /// The bytes.
    pub span: Span,
}

/// A checked ruleset.
#[derive(Clone, Debug)]
pub struct Ruleset {
    /// Header facts of the root file.
    pub meta: Meta,
    /// The root file first, then each imported file once.
    pub files: Vec<Arc<SourceFile>>,
    /// Enums, with imported ones prefixed by their alias.
    pub enums: Vec<EnumDef>,
    /// Inputs of the root file and of every import, shared by name.
    pub inputs: Vec<InputDef>,
    /// Parameters agencies may override (root ones unprefixed, imported unbound ones prefixed).
    pub params: Vec<ParamDef>,
    /// Derived values (`let`).
    pub lets: Vec<LetDef>,
    /// Outputs; those of the root file are [`OutputDef::public`] and appear in decisions.
    pub outputs: Vec<OutputDef>,
    /// Rules and exceptions.
    pub rules: Vec<RuleDef>,
    /// Decision tables.
    pub tables: Vec<TableDef>,
    /// Evaluation order (see the module's invariant).
    pub order: Vec<Node>,
    /// The root file's tests.
    pub tests: Vec<TestDef>,
    /// The root file's properties.
    pub properties: Vec<PropertyDef>,
}

/// One step of evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// Compute a derived value.
    Let(LetId),
    /// Decide whether a rule fires (after its exceptions).
    Rule(RuleId),
    /// Decide which rows of a table match.
    Table(TableId),
    /// Combine everything that sets an output, or compute it.
    Output(OutputId),
}

/// The root file's header.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    /// Ruleset id, such as `marac.referral`.
    pub id: String,
    /// Version, such as `1.0.0`.
    pub version: String,
    /// Title.
    pub title: Option<String>,
    /// `effective from`.
    pub effective_from: Option<Date>,
    /// `until`.
    pub effective_until: Option<Date>,
    /// Citations by key, from the root file and its imports.
    pub sources: Vec<SourceDef>,
    /// `///` documentation of the header.
    pub docs: Vec<String>,
}

/// A citation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceDef {
    /// Short key, such as `W3`.
    pub key: String,
    /// Citation text.
    pub citation: String,
    /// A link, if given.
    pub link: Option<String>,
}

/// A type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// yes / no / unknown.
    Answer,
    /// true / false (may be unknown).
    Bool,
    /// A whole number.
    Int,
    /// A decimal number.
    Number,
    /// A text.
    Text,
    /// A date.
    Date,
    /// An amount of calendar units; only inside date arithmetic.
    Duration,
    /// One value of an enum.
    Enum(EnumId),
    /// A set of values of an enum (at most 64 values).
    Set(EnumId),
    /// A list of values of a scalar type.
    List(Box<Type>),
}

/// An enum.
#[derive(Clone, Debug)]
pub struct EnumDef {
    /// Its name (prefixed when imported).
    pub name: String,
    /// True when its values are ordered, lowest first.
    pub ordered: bool,
    /// Its values.
    pub variants: Vec<VariantDef>,
    /// Where it is declared.
    pub loc: Loc,
}

/// One value of an enum.
#[derive(Clone, Debug)]
pub struct VariantDef {
    /// The value's name.
    pub name: String,
    /// Its label, if given.
    pub label: Option<String>,
    /// Its documentation.
    pub docs: Vec<String>,
}

/// An allowed range, both ends included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// Lowest allowed value (an `Int` or `Number` constant).
    pub lo: Option<Const>,
    /// Highest allowed value.
    pub hi: Option<Const>,
}

/// An input: a fact the case system supplies.
#[derive(Clone, Debug)]
pub struct InputDef {
    /// The name used in facts.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Allowed range for `int` and `number`.
    pub range: Option<Range>,
    /// True when it may be left out (always true for answers).
    pub optional: bool,
    /// The question as shown to practitioners.
    pub label: Option<String>,
    /// Documentation.
    pub docs: Vec<String>,
    /// Where it is first declared.
    pub loc: Loc,
}

/// A parameter.
#[derive(Clone, Debug)]
pub struct ParamDef {
    /// Its name (prefixed when it belongs to an import and is not bound).
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Allowed range.
    pub range: Option<Range>,
    /// The default value, checked against the range.
    pub default: Const,
    /// For an imported parameter bound by the importer's `with`: the importer's expression.
    /// Such a parameter cannot be overridden on its own.
    pub bound: Option<Expr>,
    /// What it means.
    pub label: Option<String>,
    /// Source keys of the default.
    pub sources: Vec<String>,
    /// Documentation.
    pub docs: Vec<String>,
    /// Where it is declared.
    pub loc: Loc,
}

/// A derived value.
#[derive(Clone, Debug)]
pub struct LetDef {
    /// Its name (prefixed when imported).
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Its formula.
    pub value: Expr,
    /// Documentation.
    pub docs: Vec<String>,
    /// Where it is declared.
    pub loc: Loc,
}

/// How the values that rules and rows give an output are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combine {
    /// An ordered enum: the highest value given.
    Max,
    /// A set: the union of everything added.
    Union,
    /// Any other type: the one value given (the checker proves no two rules disagree).
    Single,
}

/// An output.
#[derive(Clone, Debug)]
pub struct OutputDef {
    /// Its name (prefixed when it belongs to an import).
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// What it means.
    pub label: Option<String>,
    /// Documentation.
    pub docs: Vec<String>,
    /// True for outputs of the root file, which appear in decisions.
    pub public: bool,
    /// How it gets its value.
    pub value: OutputValue,
    /// Where it is declared.
    pub loc: Loc,
}

/// How an output gets its value.
#[derive(Clone, Debug)]
pub enum OutputValue {
    /// Set by rules and table rows, combined by `combine`; `default` when none fires
    /// (sets default to empty; the checker requires a default for the others).
    Rules {
        /// How contributions combine.
        combine: Combine,
        /// The value when nothing sets it.
        default: Option<Expr>,
    },
    /// Computed by a formula.
    Computed(Expr),
}

/// A rule or exception.
#[derive(Clone, Debug)]
pub struct RuleDef {
    /// Its id (prefixed when imported).
    pub name: String,
    /// The rule in plain words.
    pub label: Option<String>,
    /// Source keys.
    pub sources: Vec<String>,
    /// Documentation.
    pub docs: Vec<String>,
    /// The condition (type `Bool`).
    pub condition: Expr,
    /// For an exception, the rule it overrides.
    pub exception_to: Option<RuleId>,
    /// The exceptions to this rule (the inverse of `exception_to`).
    pub exceptions: Vec<RuleId>,
    /// What it does when it fires.
    pub actions: Vec<ActionDef>,
    /// Where it is declared.
    pub loc: Loc,
}

/// `set OUTPUT to VALUE` or `add VALUE to OUTPUT`.
#[derive(Clone, Debug)]
pub struct ActionDef {
    /// The output written.
    pub output: OutputId,
    /// Set or add.
    pub kind: ActionKind,
    /// The value (an element of the set for `Add`, or a whole set).
    pub value: Expr,
    /// Where it is written.
    pub loc: Loc,
}

/// Set or add.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// Give a single-valued or level output a value.
    Set,
    /// Add an element (or a set of elements) to a set output.
    Add,
}

/// A decision table.
#[derive(Clone, Debug)]
pub struct TableDef {
    /// Its id (prefixed when imported).
    pub name: String,
    /// The table in plain words.
    pub label: Option<String>,
    /// Source keys.
    pub sources: Vec<String>,
    /// Documentation.
    pub docs: Vec<String>,
    /// First hit or collect.
    pub hit: HitPolicy,
    /// The values tested, one per column.
    pub columns: Vec<Expr>,
    /// The outputs set, one per output column.
    pub outputs: Vec<OutputId>,
    /// The rows, top to bottom.
    pub rows: Vec<RowDef>,
    /// Where it is declared.
    pub loc: Loc,
}

/// One row of a table.
#[derive(Clone, Debug)]
pub struct RowDef {
    /// One test per column.
    pub cells: Vec<CellTest>,
    /// One action per output column (`None` for `-`): `Set` for single-valued and level
    /// outputs, `Add` for sets.
    pub actions: Vec<Option<ActionDef>>,
    /// Documentation, shown as the row's reason.
    pub docs: Vec<String>,
    /// Where it is written.
    pub loc: Loc,
}

/// The test in one table cell, against the column's value.
#[derive(Clone, Debug)]
pub enum CellTest {
    /// `-`: always matches, even an unknown value.
    Any,
    /// Equal to one of these constants.
    OneOf(Vec<Const>),
    /// Compared with a constant.
    Compare(CmpOp, Const),
    /// Within an inclusive range of constants.
    Range(Const, Const),
    /// Compared with a non-constant expression (a parameter, say).
    CompareExpr(CmpOp, Box<Expr>),
}

/// A constant value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Const {
    /// The unknown value.
    Unknown,
    /// An answer.
    Answer(Answer),
    /// A condition's value.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Number(Decimal),
    /// A text.
    Text(Arc<str>),
    /// A date.
    Date(Date),
    /// A number of calendar units.
    Duration(i64, Unit),
    /// One value of an enum, by index.
    Enum(EnumId, u32),
    /// A set of enum values, one bit per value index.
    Set(EnumId, u64),
    /// A list.
    List(Vec<Const>),
}

/// A typed expression.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// Its type.
    pub ty: Type,
    /// Where it is written.
    pub loc: Loc,
}

/// Arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/` (decimal division; whole numbers divide to a `number`).
    Div,
}

/// Set operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    /// `union`.
    Union,
    /// `intersect`.
    Intersect,
    /// `without`.
    Without,
}

/// What `is` tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsTest {
    /// Answer is yes (false when unknown).
    Yes,
    /// Answer is no (false when unknown).
    No,
    /// The value is unknown (answer don't know, or an optional input not given).
    Unknown,
    /// The value is known.
    Known,
    /// The set or list is empty (unknown when the set itself is unknown).
    Empty,
}

/// The expression forms. Each one's semantics with unknown values is in docs/language.md.
#[derive(Clone, Debug)]
pub enum ExprKind {
    /// A constant.
    Const(Const),
    /// An input's value (unknown when an optional input is not given).
    Input(InputId),
    /// A parameter's value.
    Param(ParamId),
    /// A derived value.
    Let(LetId),
    /// An output's value (it is computed before anything reads it).
    Output(OutputId),
    /// A list built from expressions, such as `[q1..q24]`.
    List(Vec<Expr>),
    /// A set built from enum-valued expressions.
    Set(Vec<Expr>),
    /// Kleene `not`.
    Not(Box<Expr>),
    /// Arithmetic negation.
    Neg(Box<Expr>),
    /// Kleene `and`: false wins over unknown.
    And(Box<Expr>, Box<Expr>),
    /// Kleene `or`: true wins over unknown.
    Or(Box<Expr>, Box<Expr>),
    /// `a implies b`, that is `not a or b`.
    Implies(Box<Expr>, Box<Expr>),
    /// A comparison; unknown when either side is unknown.
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    /// Arithmetic on `int` and `number`.
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `date + amount unit` (negative amounts move back).
    DateShift {
        /// The date.
        date: Box<Expr>,
        /// The amount (type `Int`); negated for `-`.
        amount: Box<Expr>,
        /// The unit.
        unit: Unit,
        /// True for `date - amount`.
        subtract: bool,
    },
    /// Set operations.
    SetOp(SetOp, Box<Expr>, Box<Expr>),
    /// `x is …` (always known, except `is empty` of an unknown set).
    Is(Box<Expr>, IsTest),
    /// `x in collection`.
    In(Box<Expr>, Box<Expr>),
    /// `date within amount unit before|after anchor`, both ends included.
    Within {
        /// The date tested.
        date: Box<Expr>,
        /// The amount (type `Int`).
        amount: Box<Expr>,
        /// The unit.
        unit: Unit,
        /// Before or after the anchor.
        direction: Direction,
        /// The anchor.
        anchor: Box<Expr>,
    },
    /// `count yes in list` and the like: how many elements equal the value.
    CountValue(CountValue, Box<Expr>),
    /// `count dates within amount unit before|after anchor`.
    CountWithin {
        /// The list of dates.
        list: Box<Expr>,
        /// The amount (type `Int`).
        amount: Box<Expr>,
        /// The unit.
        unit: Unit,
        /// Before or after.
        direction: Direction,
        /// The anchor.
        anchor: Box<Expr>,
    },
    /// `count dates between a and b`, both ends included.
    CountBetween(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `count s`: the number of elements.
    CountAll(Box<Expr>),
    /// `if c then a else b`; when `c` is unknown the result is unknown unless both agree.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `min(…)`: unknown when any argument is unknown.
    Min(Vec<Expr>),
    /// `max(…)`: unknown when any argument is unknown.
    Max(Vec<Expr>),
}

/// A test written in the ruleset.
#[derive(Clone, Debug)]
pub struct TestDef {
    /// Its name.
    pub name: String,
    /// The facts given, as constants of the inputs' types.
    pub facts: Vec<(InputId, Const)>,
    /// Parameter values for this test.
    pub params: Vec<(ParamId, Const)>,
    /// Expected outputs; `None` means undetermined.
    pub expect: Vec<(OutputId, Option<Const>)>,
    /// Where it is written.
    pub loc: Loc,
}

/// A property written in the ruleset.
#[derive(Clone, Debug)]
pub struct PropertyDef {
    /// Its name.
    pub name: String,
    /// Parameter values under which it is checked.
    pub params: Vec<(ParamId, Const)>,
    /// What must hold.
    pub body: PropertyBody,
    /// Where it is written.
    pub loc: Loc,
}

/// What a property claims.
#[derive(Clone, Debug)]
pub enum PropertyBody {
    /// Changing any of the answers from no or unknown to yes never lowers the output
    /// (an ordered enum, an int or a bool with false < true).
    Monotone {
        /// The output.
        output: OutputId,
        /// The answers.
        inputs: Vec<InputId>,
    },
    /// The condition holds for every case (type `Bool`; may read outputs).
    Always(Expr),
    /// The condition holds for no case.
    Never(Expr),
    /// This ruleset and another agree on these outputs, except where the condition holds.
    Agree {
        /// The other file, resolved relative to this one.
        other: std::path::PathBuf,
        /// The outputs compared, by name.
        outputs: Vec<String>,
        /// Where they may differ (evaluated in this ruleset).
        except: Option<Expr>,
    },
}

impl Expr {
    /// Calls `f` on each expression directly inside this one, in source order.
    pub fn for_each_child(&self, mut f: impl FnMut(&Expr)) {
        match &self.kind {
            ExprKind::Const(_)
            | ExprKind::Input(_)
            | ExprKind::Param(_)
            | ExprKind::Let(_)
            | ExprKind::Output(_) => {}
            ExprKind::List(v) | ExprKind::Set(v) | ExprKind::Min(v) | ExprKind::Max(v) => {
                v.iter().for_each(f)
            }
            ExprKind::Not(a)
            | ExprKind::Neg(a)
            | ExprKind::Is(a, _)
            | ExprKind::CountValue(_, a)
            | ExprKind::CountAll(a) => f(a),
            ExprKind::And(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::Implies(a, b)
            | ExprKind::Cmp(_, a, b)
            | ExprKind::Arith(_, a, b)
            | ExprKind::SetOp(_, a, b)
            | ExprKind::In(a, b) => {
                f(a);
                f(b);
            }
            ExprKind::DateShift { date, amount, .. } => {
                f(date);
                f(amount);
            }
            ExprKind::Within {
                date,
                amount,
                anchor,
                ..
            } => {
                f(date);
                f(amount);
                f(anchor);
            }
            ExprKind::CountWithin {
                list,
                amount,
                anchor,
                ..
            } => {
                f(list);
                f(amount);
                f(anchor);
            }
            ExprKind::CountBetween(a, b, c) | ExprKind::If(a, b, c) => {
                f(a);
                f(b);
                f(c);
            }
        }
    }
}

impl Ruleset {
    /// The input with this name.
    pub fn input(&self, name: &str) -> Option<InputId> {
        self.inputs
            .iter()
            .position(|i| i.name == name)
            .map(|i| InputId(i as u32))
    }

    /// The parameter with this name.
    pub fn param(&self, name: &str) -> Option<ParamId> {
        self.params
            .iter()
            .position(|p| p.name == name)
            .map(|i| ParamId(i as u32))
    }

    /// The output with this name.
    pub fn output(&self, name: &str) -> Option<OutputId> {
        self.outputs
            .iter()
            .position(|o| o.name == name)
            .map(|i| OutputId(i as u32))
    }
}
