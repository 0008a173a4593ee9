//! The syntax tree of a `.wm` file.
//!
//! Every node carries a [`Span`] into its file. Nothing here depends on pest: the tree is
//! built by [`crate::parse`] and is the only thing later stages see of the text.
//! `///` documentation comments are kept on the declarations they document; plain `//`
//! comments are kept beside the tree in [`Ruleset::comments`] for the formatter.

pub use waymark_diagnostics::Span;

/// A name as written, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// A dotted name such as `ric.yes_count` or `marac.referral`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    /// The parts between the dots; never empty.
    pub segments: Vec<Ident>,
    /// Where the whole name is written.
    pub span: Span,
}

impl Path {
    /// The name with its dots, as written.
    pub fn dotted(&self) -> String {
        let parts: Vec<&str> = self.segments.iter().map(|s| s.name.as_str()).collect();
        parts.join(".")
    }
}

/// A text in double quotes, after escapes are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrLit {
    /// The text.
    pub value: String,
    /// Where it is written, quotes included.
    pub span: Span,
}

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year, e.g. 2024.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, 1 to 31.
    pub day: u8,
}

/// A date as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateLit {
    /// The date.
    pub value: Date,
    /// Where it is written.
    pub span: Span,
}

/// A whole file: the header, then the items in source order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Ruleset {
    /// The `ruleset … version …` header; `None` only when it could not be parsed.
    pub header: Option<Header>,
    /// Declarations, rules, tables, tests and properties in source order.
    pub items: Vec<Item>,
    /// Plain `//` comments, in source order, for the formatter.
    pub comments: Vec<Comment>,
}

/// A plain `//` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The text after `//`, without the line break.
    pub text: String,
    /// Where it is written.
    pub span: Span,
    /// True when code comes before it on the same line.
    pub trailing: bool,
}

/// `ruleset marac.referral version 1.0.0` with its title, dates and sources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Documentation lines (`///`) before the header.
    pub docs: Vec<String>,
    /// The ruleset id, such as `marac.referral`.
    pub id: Path,
    /// The version as written, such as `1.0.0`.
    pub version: Version,
    /// `title "…"`.
    pub title: Option<StrLit>,
    /// `effective from …`.
    pub effective_from: Option<DateLit>,
    /// `… until …`.
    pub effective_until: Option<DateLit>,
    /// `source KEY "citation" "link"` lines.
    pub sources: Vec<Source>,
    /// From `ruleset` to the end of the last clause.
    pub span: Span,
}

/// A semantic version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// Major, minor and patch numbers.
    pub parts: [u64; 3],
    /// A pre-release suffix after `-`, if any.
    pub pre: Option<String>,
    /// Where it is written.
    pub span: Span,
}

impl Version {
    /// The version as text, such as `1.2.0` or `2.0.0-rc.1`.
    pub fn text(&self) -> String {
        let [a, b, c] = self.parts;
        match &self.pre {
            Some(p) => format!("{a}.{b}.{c}-{p}"),
            None => format!("{a}.{b}.{c}"),
        }
    }
}

/// A citation: `source W3 "SafeLives, Marac referral criteria" "https://…"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The short key used in `source W3` clauses on rules and parameters.
    pub key: Ident,
    /// The citation text.
    pub citation: StrLit,
    /// A link, if given.
    pub link: Option<StrLit>,
    /// Where it is written.
    pub span: Span,
}

/// One top-level item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// `import "path" as name with …`.
    Import(Import),
    /// `enum name ordered { … }`.
    Enum(EnumDecl),
    /// `input name: type "label"`.
    Input(InputDecl),
    /// `param name: type = default "label" source KEY`.
    Param(ParamDecl),
    /// `let name = expr`.
    Let(LetDecl),
    /// `output name: type "label" default …` or `= expr`.
    Output(OutputDecl),
    /// `rule` or `exception`.
    Rule(RuleDecl),
    /// `table name "label" hit first { … }`.
    Table(TableDecl),
    /// `test "name" { … }`.
    Test(TestDecl),
    /// `property "name" { … }`.
    Property(PropertyDecl),
}

impl Item {
    /// Where the item is written, documentation excluded.
    pub fn span(&self) -> Span {
        match self {
            Item::Import(i) => i.span,
            Item::Enum(i) => i.span,
            Item::Input(i) => i.span,
            Item::Param(i) => i.span,
            Item::Let(i) => i.span,
            Item::Output(i) => i.span,
            Item::Rule(i) => i.span,
            Item::Table(i) => i.span,
            Item::Test(i) => i.span,
            Item::Property(i) => i.span,
        }
    }
}

/// `import "../ric/adult.wm" as ric with vhr_threshold = vhr_threshold`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// Documentation lines.
    pub docs: Vec<String>,
    /// The file, relative to the importing file.
    pub path: StrLit,
    /// The name its values are addressed by, as in `ric.yes_count`.
    pub alias: Ident,
    /// Values given to the imported file's parameters.
    pub bindings: Vec<ParamBinding>,
    /// Where it is written.
    pub span: Span,
}

/// `name = expr` in an import's `with` or a test's `with`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamBinding {
    /// The parameter.
    pub name: Ident,
    /// Its value.
    pub value: Expr,
    /// Where it is written.
    pub span: Span,
}

/// `enum level ordered { standard, medium, high }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumDecl {
    /// Documentation lines.
    pub docs: Vec<String>,
    /// The enum's name.
    pub name: Ident,
    /// True when written `ordered`: values compare with `<` and combine by maximum.
    pub ordered: bool,
    /// The values, lowest first when ordered.
    pub variants: Vec<Variant>,
    /// Where it is written.
    pub span: Span,
}

/// One value of an enum, with an optional label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    /// Documentation lines.
    pub docs: Vec<String>,
    /// The value's name.
    pub name: Ident,
    /// A label for people.
    pub label: Option<StrLit>,
}

/// A type as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeExpr {
    /// `answer`, `int in 0..130`, `level`, …
    Scalar(ScalarType),
    /// `set of reason`.
    Set(ScalarType, Span),
    /// `list of date`.
    List(ScalarType, Span),
}

impl TypeExpr {
    /// Where the type is written.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Scalar(s) => s.span,
            TypeExpr::Set(_, span) | TypeExpr::List(_, span) => *span,
        }
    }
}

/// A type name with an optional range: `int in 0..130`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalarType {
    /// `answer`, `bool`, `int`, `number`, `text`, `date` or an enum's name.
    pub name: Ident,
    /// `in LO..HI`.
    pub range: Option<RangeExpr>,
    /// Where it is written.
    pub span: Span,
}

/// `LO..HI` where either end may be left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeExpr {
    /// The lowest allowed value.
    pub lo: Option<NumLit>,
    /// The highest allowed value.
    pub hi: Option<NumLit>,
    /// Where it is written.
    pub span: Span,
}

/// A number in a range or a table cell: whole or decimal, possibly negative.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumLit {
    /// A whole number.
    Int(i64, Span),
    /// A decimal number, as written (digits, a dot, digits; maybe a leading `-`).
    Number(String, Span),
}

impl NumLit {
    /// Where it is written.
    pub fn span(&self) -> Span {
        match self {
            NumLit::Int(_, s) | NumLit::Number(_, s) => *s,
        }
    }
}

/// `input name: optional type "label"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDecl {
    /// Documentation lines.
    pub docs: Vec<String>,
    /// The input's name, as used in facts.
    pub name: Ident,
    /// True when written `optional`. Answers are always optional: not given means unknown.
    pub optional: bool,
    /// Its type.
    pub ty: TypeExpr,
    /// The question or field as shown to practitioners.
    pub label: Option<StrLit>,
    /// Where it is written.
    pub span: Span,
}

/// `param name: type = default "label" source KEY`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamDecl {
    /// Documentation lines.
    pub docs: Vec<String>,
    /// The parameter's name.
    pub name: Ident,
    /// Its type, usually with an allowed range.
    pub ty: TypeExpr,
    /// The default value.
    pub default: Expr,
    /// What it means.
    pub label: Option<StrLit>,
    /// Source keys the default comes from.
    pub sources: Vec<Ident>,
    /// Where it is written.
    pub span: Span,
}

/// `let name: type = expr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetDecl {
    /// Documentation lines.
    pub docs: Vec<String>,
    /// The derived value's name.
    pub name: Ident,
    /// An optional type annotation.
    pub ty: Option<TypeExpr>,
    /// The formula.
    pub value: Expr,
    /// Where it is written.
    pub span: Span,
}

/// `output name: type "label" default expr` or `= expr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputDecl {
    /// Documentation lines.
    pub docs: Vec<String>,
    /// The output's name, as it appears in decisions.
    pub name: Ident,
    /// Its type.
    pub ty: TypeExpr,
    /// What it means.
    pub label: Option<StrLit>,
    /// How it gets its value.
    pub value: OutputValue,
    /// Where it is written.
    pub span: Span,
}

/// How an output gets its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputValue {
    /// Set by rules and tables; nothing given for when none applies.
    Rules,
    /// Set by rules and tables, with `default expr` when none applies.
    Default(Expr),
    /// Computed by a formula: `= expr`.
    Computed(Expr),
}

/// `rule id "label" { … }` or `exception id to base "label" { … }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleDecl {
    /// Documentation lines.
    pub docs: Vec<String>,
    /// The rule's id.
    pub name: Ident,
    /// For an exception, the rule it overrides.
    pub exception_to: Option<Ident>,
    /// The rule in plain words.
    pub label: Option<StrLit>,
    /// Source keys it comes from.
    pub sources: Vec<Ident>,
    /// `when …`.
    pub condition: Expr,
    /// What it does when the condition holds.
    pub actions: Vec<Action>,
    /// Where it is written.
    pub span: Span,
}

/// What a rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `set output to expr`.
    Set {
        /// The output.
        target: Path,
        /// Its new value.
        value: Expr,
        /// Where it is written.
        span: Span,
    },
    /// `add expr to output` (a set output).
    Add {
        /// The value added.
        value: Expr,
        /// The set output.
        target: Path,
        /// Where it is written.
        span: Span,
    },
}

impl Action {
    /// The output the action writes.
    pub fn target(&self) -> &Path {
        match self {
            Action::Set { target, .. } | Action::Add { target, .. } => target,
        }
    }

    /// Where the action is written.
    pub fn span(&self) -> Span {
        match self {
            Action::Set { span, .. } | Action::Add { span, .. } => *span,
        }
    }
}

/// How a decision table picks rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HitPolicy {
    /// The first row that matches, top to bottom.
    First,
    /// Every row that matches; outputs must be sets or ordered levels.
    Collect,
}

/// `table id "label" hit first { | a | b | => | out | … }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDecl {
    /// Documentation lines.
    pub docs: Vec<String>,
    /// The table's id.
    pub name: Ident,
    /// The table in plain words.
    pub label: Option<StrLit>,
    /// First hit or collect.
    pub hit: HitPolicy,
    /// Source keys it comes from.
    pub sources: Vec<Ident>,
    /// The columns tested, left of `=>`.
    pub inputs: Vec<Path>,
    /// The outputs set, right of `=>`.
    pub outputs: Vec<Path>,
    /// The rows, top to bottom.
    pub rows: Vec<TableRow>,
    /// Where it is written.
    pub span: Span,
}

/// One row of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRow {
    /// Documentation lines, shown as the row's reason.
    pub docs: Vec<String>,
    /// One test per input column.
    pub cells: Vec<Cell>,
    /// One value per output column; `None` for `-` (leave unset).
    pub outputs: Vec<Option<Expr>>,
    /// Where it is written.
    pub span: Span,
}

/// A test in a table cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// `-`: any value, known or not.
    Any(Span),
    /// `>= 14`.
    Compare(CmpOp, Expr, Span),
    /// `10..13`, both ends included.
    Range(NumLit, NumLit, Span),
    /// `high` or `police, gp`: equal to one of the values.
    OneOf(Vec<Expr>, Span),
}

impl Cell {
    /// Where the cell is written.
    pub fn span(&self) -> Span {
        match self {
            Cell::Any(s) | Cell::Compare(_, _, s) | Cell::Range(_, _, s) | Cell::OneOf(_, s) => *s,
        }
    }
}

/// `test "name" { given … with … expect … }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestDecl {
    /// Documentation lines.
    pub docs: Vec<String>,
    /// The test's name.
    pub name: StrLit,
    /// The facts of the case.
    pub given: Vec<Fact>,
    /// Parameter values for this test.
    pub params: Vec<ParamBinding>,
    /// The expected outcome.
    pub expect: Vec<Expectation>,
    /// Where it is written.
    pub span: Span,
}

/// `name = value` or `q1..q13 = yes` in a test's `given`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    /// The input or inputs.
    pub target: FactTarget,
    /// The value.
    pub value: Expr,
    /// Where it is written.
    pub span: Span,
}

/// The left side of a fact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FactTarget {
    /// One input.
    Name(Path),
    /// A numbered run of inputs: `q1..q13`.
    Range(Ident, Ident),
}

/// `output = value` or `output is undetermined` in a test's `expect`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The output.
    pub target: Path,
    /// The expected value; `None` means undetermined.
    pub value: Option<Expr>,
    /// Where it is written.
    pub span: Span,
}

/// `property "name" { with … ; body }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyDecl {
    /// Documentation lines.
    pub docs: Vec<String>,
    /// The property's name.
    pub name: StrLit,
    /// Parameter values under which it is checked.
    pub params: Vec<ParamBinding>,
    /// What must hold.
    pub body: PropertyBody,
    /// Where it is written.
    pub span: Span,
}

/// What a property claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PropertyBody {
    /// `monotone output in q1..q24`: a yes answer never lowers the output.
    Monotone {
        /// The output that must not go down.
        output: Path,
        /// The answers that may change.
        inputs: Vec<ListItem>,
    },
    /// `always expr`.
    Always(Expr),
    /// `never expr`.
    Never(Expr),
    /// `agree with "old.wm" on a, b except when expr`.
    Agree {
        /// The other ruleset file.
        other: StrLit,
        /// The outputs compared.
        outputs: Vec<Path>,
        /// Where they may differ.
        except: Option<Expr>,
    },
}

/// An expression with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
}

/// The expression forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// A literal value.
    Lit(Literal),
    /// A name: an input, parameter, derived value, output, enum value or `alias.name`.
    Name(Path),
    /// `[a, b, q1..q24]`.
    List(Vec<ListItem>),
    /// `{a, b}`.
    Set(Vec<Expr>),
    /// `(expr)`, kept so the formatter writes what the author wrote.
    Paren(Box<Expr>),
    /// `not x` or `-x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a op b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `x is yes`, `x is not known`, `s is empty`.
    Is {
        /// What is tested.
        value: Box<Expr>,
        /// True for `is not`.
        negated: bool,
        /// The test.
        test: IsTest,
    },
    /// `x in s` or `x not in s`.
    In {
        /// The value looked for.
        value: Box<Expr>,
        /// True for `not in`.
        negated: bool,
        /// The set or list.
        collection: Box<Expr>,
    },
    /// `d within 12 months before assessment_date`.
    Within {
        /// The date tested.
        date: Box<Expr>,
        /// A duration such as `12 months`.
        amount: Box<Expr>,
        /// Before or after the anchor.
        direction: Direction,
        /// The anchor date.
        anchor: Box<Expr>,
    },
    /// `12 months`: a duration, only meaningful in date arithmetic.
    Duration(Box<Expr>, Unit),
    /// `count …`.
    Count(Count),
    /// `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `min(a, b)`, `max(a, b)` and other built-in functions.
    Call(Ident, Vec<Expr>),
}

/// The forms of `count`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Count {
    /// `count yes in [q1..q24]`.
    Value(CountValue, Box<Expr>),
    /// `count dates within 12 months before d`.
    Within {
        /// The list of dates.
        list: Box<Expr>,
        /// A duration.
        amount: Box<Expr>,
        /// Before or after.
        direction: Direction,
        /// The anchor date.
        anchor: Box<Expr>,
    },
    /// `count dates between a and b`, both ends included.
    Between(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `count s`: the number of elements.
    All(Box<Expr>),
}

/// What `count … in` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountValue {
    /// Yes answers.
    Yes,
    /// No answers.
    No,
    /// Unknown answers.
    Unknown,
    /// True conditions.
    True,
    /// False conditions.
    False,
}

/// An element of a list: an expression or a numbered run of names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListItem {
    /// One expression.
    Expr(Expr),
    /// `q1..q24`.
    Range(Ident, Ident, Span),
}

impl ListItem {
    /// Where the item is written.
    pub fn span(&self) -> Span {
        match self {
            ListItem::Expr(e) => e.span,
            ListItem::Range(_, _, s) => *s,
        }
    }
}

/// A literal value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// A whole number.
    Int(i64),
    /// A decimal number, as written.
    Number(String),
    /// A text.
    Text(String),
    /// A date.
    Date(Date),
    /// `yes`.
    Yes,
    /// `no`.
    No,
    /// `unknown`.
    Unknown,
    /// `true` or `false`.
    Bool(bool),
}

/// `not` and unary minus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not`.
    Not,
    /// `-`.
    Neg,
}

/// The binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `implies`.
    Implies,
    /// `or`.
    Or,
    /// `and`.
    And,
    /// `=`, `!=`, `<`, `<=`, `>`, `>=`.
    Cmp(CmpOp),
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `union`.
    Union,
    /// `intersect`.
    Intersect,
    /// `without`.
    Without,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// The tests of `is`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsTest {
    /// `is yes`.
    Yes,
    /// `is no`.
    No,
    /// `is unknown`: not answered, or answered don't know.
    Unknown,
    /// `is known`: has a value.
    Known,
    /// `is empty`: a set or list with no elements.
    Empty,
}

/// Before or after an anchor date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `before`: on or after (anchor − amount) and on or before the anchor.
    Before,
    /// `after`: on or after the anchor and on or before (anchor + amount).
    After,
}

/// Calendar units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Days.
    Days,
    /// Weeks (7 days).
    Weeks,
    /// Calendar months.
    Months,
    /// Calendar years.
    Years,
}

impl Unit {
    /// The plural word.
    pub fn word(self) -> &'static str {
        match self {
            Unit::Days => "days",
            Unit::Weeks => "weeks",
            Unit::Months => "months",
            Unit::Years => "years",
        }
    }
}
