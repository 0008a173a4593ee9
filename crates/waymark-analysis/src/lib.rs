//! Symbolic analysis of Waymark rulesets: what changed between two versions, whether
//! the change matters for any case, and where an output can be left undetermined.
//!
//! * [`structural_diff`] compares two checked rulesets declaration by declaration
//!   (inputs, parameters, outputs, rules, tables, enums, header), by rendered text.
//! * [`behavioural_diff`] proves, output by output, that two rulesets (each with its
//!   parameter values) decide every case the same way, or finds the cases where they
//!   differ, confirmed on the real engine, with a plain-words summary of the changed
//!   region. [`analyse_diff`] also keeps the changed regions, so a case's facts can be
//!   tested against them ([`DiffAnalysis::in_changed_region`]).
//! * [`gaps`] tells, for each public output, whether it can be undetermined when every
//!   answer is known and every other input is given, with an example.
//! * [`symbolic_outputs`] evaluates one ruleset symbolically and counts, for each public
//!   output, how many finite-input patterns give each value.
//!
//! # How it works
//!
//! Every value is a partition of the input space: a list of (value, condition) cells,
//! each condition a binary decision diagram (BDD). Finite inputs become BDD variables:
//! answers (yes, no, unknown), booleans, enum values, integers with a declared range of
//! at most [`Limits::max_int_domain`] values, sets of an enum with at most
//! [`Limits::max_set_variants`] values (one variable per value), each with unknown when
//! the input may be left out. Rules, exceptions, tables and output defaults are combined
//! exactly as the reference interpreter does, with Kleene logic and undetermined outputs.
//!
//! # What is exact, what is approximated
//!
//! * Over finite inputs the analysis is exact: a proven equivalence holds for every
//!   case, and every reported pattern really changes the output.
//! * Dates, lists, texts, decimals and unbounded integers are opaque. Only whether an
//!   optional opaque input is given is a variable. A value computed from opaque inputs
//!   is named by its canonical text (parameters and derived values substituted), and a
//!   condition on it is an *atom*: a fresh three-valued variable shared by every
//!   condition with the same text, in both rulesets. Atoms are treated as independent,
//!   so the analysis over-approximates: an equivalence proven with atoms still holds,
//!   but a difference may need atom values no case can produce. Every reported
//!   difference is therefore confirmed by evaluating concrete facts with the real engine
//!   (values for opaque inputs come from the rulesets' own tests and a seeded random
//!   search); a difference that does not reproduce is reported as inconclusive, never
//!   as a difference. Where inputs are not all finite, a seeded random search over facts
//!   also runs, and its counts are reported.
//! * The number of changed patterns counts assignments of the finite inputs for which
//!   some values of the atoms (and of whether opaque inputs are given) change the output.
//!   Counts per change of value (`medium` to `high`) are projected the same way, so
//!   where atoms are involved one pattern may count under two changes.
//!
//! # Limits
//!
//! The analysis gives up cleanly, with an inconclusive result and its reason, when a
//! condition grows past [`Limits::max_bdd_nodes`] nodes, the work passes
//! [`Limits::max_bdd_operations`] operations, a value has more than
//! [`Limits::max_partition`] distinct cases, or more than [`Limits::max_atoms`] atoms are
//! needed; and for values it cannot represent (for instance an output given a value
//! computed from opaque inputs by rules). Only the outputs that
//! depend on such a value are inconclusive. It never panics on a checked ruleset.

mod behaviour;
mod concrete;
mod facts;
mod gaps;
mod render;
mod structural;
mod sym;

pub use behaviour::{
    BehaviouralDiff, DiffAnalysis, Directions, Example, OutputDiff, OutputPartition, RandomSearch,
    Transition, ValueCount, Verdict, analyse_diff, behavioural_diff, symbolic_outputs,
};
pub use gaps::{Gap, GapVerdict, gaps};
pub use render::{cell as render_cell, constant as render_constant, expr as render_expr};
pub use structural::{Change, ChangeKind, StructuralDiff, structural_diff};

/// How far the symbolic analysis may go before it gives up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most nodes any one condition may have.
    pub max_bdd_nodes: usize,
    /// The most BDD operations one analysis may do (a bound on its time).
    pub max_bdd_operations: u64,
    /// The most distinct values one value may take.
    pub max_partition: usize,
    /// The most atoms (conditions on opaque inputs).
    pub max_atoms: usize,
    /// The most values an integer input's range (or an enum) may have to be finite.
    pub max_int_domain: usize,
    /// The most values an enum may have for a set of it to be finite.
    pub max_set_variants: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bdd_nodes: 200_000,
            max_bdd_operations: 2_000_000,
            max_partition: 1_024,
            max_atoms: 256,
            max_int_domain: 256,
            max_set_variants: 16,
        }
    }
}

/// Options for [`behavioural_diff`] and [`gaps`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffOptions {
    /// Limits of the symbolic analysis.
    pub limits: Limits,
    /// Seed of every random choice, so a run repeats exactly.
    pub seed: u64,
    /// How many random cases to evaluate where inputs are not all finite.
    pub random_cases: usize,
    /// The most examples to report per output.
    pub max_examples: usize,
    /// How many finite patterns to try when confirming a difference.
    pub max_patterns_tried: usize,
    /// How many sets of values for opaque inputs to try per pattern.
    pub opaque_tries: usize,
}

impl Default for DiffOptions {
    fn default() -> DiffOptions {
        DiffOptions {
            limits: Limits::default(),
            seed: 0x5741_594d_4152_4b21,
            random_cases: 500,
            max_examples: 3,
            max_patterns_tried: 8,
            opaque_tries: 64,
        }
    }
}

/// Everything `waymark diff` reports about two versions: what changed in the text, what
/// changes for cases, and whether no case is decided differently (proved).
#[derive(Debug)]
pub struct Comparison {
    /// Declarations added, removed or changed.
    pub structural: StructuralDiff,
    /// Per output, the proof of equivalence or the region that changes, with examples.
    pub behavioural: BehaviouralDiff,
    /// True only when every shared output is proved equivalent and no output is added or
    /// removed.
    pub equivalent: bool,
}

/// Compares two versions, each with the parameter values it carries.
pub fn compare(old: &waymark::Ruleset, new: &waymark::Ruleset, opts: &DiffOptions) -> Comparison {
    let structural = structural_diff(old.checked(), new.checked());
    let behavioural = behavioural_diff(old, &bound_params(old), new, &bound_params(new), opts);
    let equivalent = behavioural.only_in_old.is_empty()
        && behavioural.only_in_new.is_empty()
        && behavioural
            .outputs
            .iter()
            .all(|o| matches!(o.verdict, Verdict::Equivalent { .. }));
    Comparison {
        structural,
        behavioural,
        equivalent,
    }
}

impl Comparison {
    /// The report as JSON, as `waymark diff --format json` prints it and `POST /v1/diff`
    /// answers: both versions' id, version, hash and parameters, then the comparison.
    pub fn to_json(&self, old: &waymark::Ruleset, new: &waymark::Ruleset) -> serde_json::Value {
        let side = |r: &waymark::Ruleset| serde_json::json!({"id": r.id(), "version": r.version(), "hash": r.hash(), "params": r.params_json()});
        serde_json::json!({
            "old": side(old),
            "new": side(new),
            "structural": self.structural,
            "behavioural": self.behavioural,
            "equivalent": self.equivalent,
        })
    }
}

/// The parameter values a loaded ruleset carries (defaults with a profile's and `--param`
/// overrides), as the overrides [`behavioural_diff`] and [`gaps`] take.
pub fn bound_params(
    rules: &waymark::Ruleset,
) -> Vec<(waymark::checked::ParamId, waymark::checked::Const)> {
    use waymark::checked::{Const, ParamId, Type};
    use waymark::ir::ConstVal;
    let hir = rules.checked();
    let program = rules.program();
    let values = rules.loaded().params();
    let mut out = Vec::new();
    for (info, value) in program.params.iter().zip(values) {
        if !info.overridable {
            continue;
        }
        let Some(id) = hir.param(&info.name) else {
            continue;
        };
        let Some(def) = hir.params.get(id.0 as usize) else {
            continue;
        };
        let c = match (value, &def.ty) {
            (ConstVal::Unknown, _) => Const::Unknown,
            (ConstVal::Bool(b), _) => Const::Bool(*b),
            (ConstVal::Answer(a), _) => Const::Answer(*a),
            (ConstVal::Int(i), _) => Const::Int(*i),
            (ConstVal::Num(n), _) => Const::Number(*n),
            (ConstVal::Date(d), _) => Const::Date(*d),
            (ConstVal::Enum(i), Type::Enum(e)) => Const::Enum(*e, *i),
            (ConstVal::Set(b), Type::Set(e)) => Const::Set(*e, *b),
            (ConstVal::Text(t), _) => Const::Text(t.as_str().into()),
            // Lists and mismatched kinds are not parameter values a ruleset can declare.
            _ => continue,
        };
        if c != def.default {
            out.push((ParamId(id.0), c));
        }
    }
    out
}
