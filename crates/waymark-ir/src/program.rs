//! The compiled program: flat, index-addressed, no names on the hot path.
//!
//! Every value lives in a numbered slot of type [`Val`]. Inputs take the first slots, in
//! the order of [`Program::inputs`]; parameters and constants follow; then temporaries,
//! derived values and outputs. [`Program::code`] runs top to bottom once per evaluation
//! (forward jumps only), so evaluation always terminates in at most `code.len()` steps.

use serde::{Deserialize, Serialize};

use crate::value::{Answer, Date, Decimal, Unit};

/// A slot number.
pub type Slot = u32;

/// A runtime value. Answers that are unknown, and optional inputs not given, are
/// [`Val::Unknown`]; texts and lists refer to storage outside the slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Val {
    /// Not known.
    #[default]
    Unknown,
    /// A condition.
    Bool(bool),
    /// A known answer (yes or no).
    Answer(Answer),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Num(Decimal),
    /// A date.
    Date(Date),
    /// An enum value, by index.
    Enum(u32),
    /// A set of enum values, one bit per index.
    Set(u64),
    /// A text: an index into the facts' texts, or into the program's texts when the top
    /// bit is set.
    Text(u32),
    /// A list: an index into the facts' lists, or into the program's lists when the top
    /// bit is set.
    List(u32),
}

/// Marks a text or list index as the program's own.
pub const CONST_REF: u32 = 1 << 31;

/// A type, as the evaluator and the facts parser need it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ty {
    /// yes / no / unknown.
    Answer,
    /// true / false.
    Bool,
    /// Whole number.
    Int,
    /// Decimal number.
    Number,
    /// Text.
    Text,
    /// Date.
    Date,
    /// One value of the enum with this index.
    Enum(u32),
    /// A set of values of the enum with this index.
    Set(u32),
    /// A list.
    List(Box<Ty>),
}

/// A constant as stored in a program (lists and texts held inline).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConstVal {
    /// Unknown.
    Unknown,
    /// Bool.
    Bool(bool),
    /// Answer.
    Answer(Answer),
    /// Whole number.
    Int(i64),
    /// Decimal.
    Num(Decimal),
    /// Date.
    Date(Date),
    /// Enum value index.
    Enum(u32),
    /// Set bits.
    Set(u64),
    /// Text.
    Text(String),
    /// List.
    List(Vec<ConstVal>),
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Cmp {
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

impl Cmp {
    /// The symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
}

/// Arithmetic and set operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinOp {
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

/// The `is` tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Test {
    /// Answer is yes.
    Yes,
    /// Answer is no.
    No,
    /// Value unknown.
    Unknown,
    /// Value known.
    Known,
    /// Set or list empty.
    Empty,
}

/// What `count … in` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Counted {
    /// Yes answers.
    Yes,
    /// No answers.
    No,
    /// Unknown values.
    Unknown,
    /// True conditions.
    True,
    /// False conditions.
    False,
}

/// One instruction. Operands are slots unless named otherwise; `pool` ranges index
/// [`Program::pool`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Instr {
    /// `dst = src`.
    Copy { dst: Slot, src: Slot },
    /// Kleene not.
    Not { dst: Slot, a: Slot },
    /// Kleene and.
    And { dst: Slot, a: Slot, b: Slot },
    /// Kleene or.
    Or { dst: Slot, a: Slot, b: Slot },
    /// Skip `skip` instructions when `a` is false (the rest of an `and`).
    SkipIfFalse { a: Slot, skip: u32 },
    /// Skip `skip` instructions when `a` is true (the rest of an `or`).
    SkipIfTrue { a: Slot, skip: u32 },
    /// `a is …`.
    Is { dst: Slot, a: Slot, test: Test },
    /// Comparison; unknown if either side is.
    Cmp {
        dst: Slot,
        op: Cmp,
        a: Slot,
        b: Slot,
    },
    /// Arithmetic or set operation.
    Bin {
        dst: Slot,
        op: BinOp,
        a: Slot,
        b: Slot,
    },
    /// Negation.
    Neg { dst: Slot, a: Slot },
    /// `date ± amount unit`.
    Shift {
        dst: Slot,
        date: Slot,
        amount: Slot,
        unit: Unit,
        subtract: bool,
    },
    /// `a in b` (a set or a list).
    In { dst: Slot, a: Slot, b: Slot },
    /// `date` within the window `[lo, hi]` of dates (both slots, inclusive).
    Between {
        dst: Slot,
        date: Slot,
        lo: Slot,
        hi: Slot,
    },
    /// How many of the slots `pool[start..start+len]` hold the counted value.
    CountSlots {
        dst: Slot,
        what: Counted,
        start: u32,
        len: u32,
    },
    /// How many elements of the list in `list` hold the counted value.
    CountList {
        dst: Slot,
        what: Counted,
        list: Slot,
    },
    /// How many dates of the list in `list` fall in `[lo, hi]`.
    CountBetween {
        dst: Slot,
        list: Slot,
        lo: Slot,
        hi: Slot,
    },
    /// The number of elements of a set or list.
    CountAll { dst: Slot, a: Slot },
    /// `if c then a else b` with Kleene `c`.
    Select {
        dst: Slot,
        c: Slot,
        a: Slot,
        b: Slot,
    },
    /// Minimum (`max` false) or maximum of `pool[start..start+len]`.
    MinMax {
        dst: Slot,
        max: bool,
        start: u32,
        len: u32,
    },
    /// A set from enum values in `pool[start..start+len]`.
    MakeSet { dst: Slot, start: u32, len: u32 },
    /// A rule's status: its condition, then not suppressed by any exception whose status
    /// slot is in `pool[start..start+len]`.
    Rule {
        dst: Slot,
        cond: Slot,
        start: u32,
        len: u32,
    },
    /// Match the rows of a table, recording the rows whose status is true or unknown.
    Table { table: u32 },
    /// Combine an output's contributions into its slot.
    Output { output: u32 },
}

/// Layout guard: instructions stay small so the code stays in cache.
const _: () = assert!(std::mem::size_of::<Instr>() <= 24);
const _: () = assert!(std::mem::size_of::<Val>() <= 24);

/// How contributions to an output combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Combine {
    /// Highest level.
    Max,
    /// Union of sets.
    Union,
    /// One value.
    Single,
}

/// Something that gives an output a value when its status is true.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// The rule's or row's status slot.
    pub status: Slot,
    /// The value's slot.
    pub value: Slot,
    /// Which rule or table row it is, for explanations.
    pub source: Origin,
}

/// The part of a table that sets one output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TablePart {
    /// The table.
    pub table: u32,
    /// Per row, the slot of the value it gives the output.
    pub values: Vec<Option<Slot>>,
}

/// Where a contribution comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// A rule, by index.
    Rule(u32),
    /// A table row: table index and row index.
    Row(u32, u32),
}

/// Metadata of the ruleset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Title.
    pub title: Option<String>,
    /// Effective from.
    pub effective_from: Option<Date>,
    /// Effective until.
    pub effective_until: Option<Date>,
    /// Citations: key, text, link.
    pub sources: Vec<(String, String, Option<String>)>,
}

/// An enum's names, for reading facts and writing decisions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumInfo {
    /// Name.
    pub name: String,
    /// Ordered?
    pub ordered: bool,
    /// Value names.
    pub variants: Vec<String>,
    /// Value labels.
    pub labels: Vec<Option<String>>,
}

/// An input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputInfo {
    /// Name used in facts.
    pub name: String,
    /// Type.
    pub ty: Ty,
    /// May be left out.
    pub optional: bool,
    /// Allowed range (inclusive).
    pub range: (Option<ConstVal>, Option<ConstVal>),
    /// Label.
    pub label: Option<String>,
    /// Its slot (equal to its index).
    pub slot: Slot,
}

/// A parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamInfo {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: Ty,
    /// Allowed range.
    pub range: (Option<ConstVal>, Option<ConstVal>),
    /// Default value.
    pub default: ConstVal,
    /// Label.
    pub label: Option<String>,
    /// Source keys.
    pub sources: Vec<String>,
    /// Its slot.
    pub slot: Slot,
    /// False when bound by an importing file (then it is computed, not set).
    pub overridable: bool,
}

/// A threshold inside a rule's condition, for "nearest miss" explanations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    /// What is compared, as a name for people (`ric.yes_count`).
    pub subject: String,
    /// The compared value's slot.
    pub value: Slot,
    /// The comparison.
    pub op: Cmp,
    /// The threshold's slot.
    pub limit: Slot,
    /// What the threshold is called (a parameter name or the constant as written).
    pub limit_name: String,
}

/// A rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    /// Id.
    pub name: String,
    /// Plain words.
    pub label: Option<String>,
    /// Source keys.
    pub sources: Vec<String>,
    /// Status slot (Kleene bool).
    pub status: Slot,
    /// Condition slot.
    pub cond: Slot,
    /// Is it an exception, and to which rule?
    pub exception_to: Option<u32>,
    /// Inputs the rule reads (directly or through derived values), by index.
    pub reads: Vec<u32>,
    /// Thresholds in its condition.
    pub thresholds: Vec<Threshold>,
    /// Belongs to the root file.
    pub public: bool,
}

/// One row of a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowInfo {
    /// One test per column.
    pub cells: Vec<CellInfo>,
    /// The row's documentation.
    pub docs: Vec<String>,
}

/// A cell test against a column value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellInfo {
    /// Always matches.
    Any,
    /// Equal to one of the values in these slots.
    OneOf(Vec<Slot>),
    /// Compared with the value in a slot.
    Compare(Cmp, Slot),
    /// Between two slots, inclusive.
    Range(Slot, Slot),
}

/// A decision table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableInfo {
    /// Id.
    pub name: String,
    /// Plain words.
    pub label: Option<String>,
    /// Source keys.
    pub sources: Vec<String>,
    /// First hit (`true`) or collect.
    pub first: bool,
    /// Column value slots.
    pub columns: Vec<Slot>,
    /// Rows.
    pub rows: Vec<RowInfo>,
    /// Inputs the table reads.
    pub reads: Vec<u32>,
    /// Index for constant cells, when every column can be indexed.
    pub index: Option<TableIndex>,
    /// Belongs to the root file.
    pub public: bool,
}

/// A per-column index: sorted breakpoints and, for each segment between them, the rows
/// whose cell in this column matches any value in that segment (a bitset).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableIndex {
    /// Words per bitset (rows / 64, rounded up).
    pub words: u32,
    /// One index per column.
    pub columns: Vec<ColumnIndex>,
}

/// The index of one column over a totally ordered key (ints, dates, enum indices, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnIndex {
    /// Segment boundaries, ascending: segment `i` holds keys `k` with `points[i-1] < k <= points[i]` style
    /// (see `waymark-eval` for the exact rule).
    pub points: Vec<i128>,
    /// `segments × words` bitset words.
    pub bits: Vec<u64>,
}

/// An output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputInfo {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: Ty,
    /// Label.
    pub label: Option<String>,
    /// Appears in decisions.
    pub public: bool,
    /// Its slot.
    pub slot: Slot,
    /// Computed by a formula (then `contributions` is empty and the slot is written by code).
    pub computed: bool,
    /// How contributions combine.
    pub combine: Combine,
    /// The default's slot.
    pub default: Option<Slot>,
    /// Rules that set it.
    pub contributions: Vec<Contribution>,
    /// Tables that set it: for each, the value slot of every row (`None` where the row leaves it).
    pub tables: Vec<TablePart>,
    /// Inputs it depends on.
    pub reads: Vec<u32>,
}

/// A compiled ruleset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    /// Header facts.
    pub meta: Meta,
    /// Enums.
    pub enums: Vec<EnumInfo>,
    /// Inputs (slots `0..inputs.len()`).
    pub inputs: Vec<InputInfo>,
    /// Parameters.
    pub params: Vec<ParamInfo>,
    /// Constants and the slots they are loaded into.
    pub consts: Vec<(Slot, ConstVal)>,
    /// Rules.
    pub rules: Vec<RuleInfo>,
    /// Tables.
    pub tables: Vec<TableInfo>,
    /// Outputs.
    pub outputs: Vec<OutputInfo>,
    /// The code.
    pub code: Vec<Instr>,
    /// Operand lists for wide instructions.
    pub pool: Vec<Slot>,
    /// Number of slots.
    pub slots: u32,
}
