//! The `property` blocks of a ruleset, checked by searching for a case that breaks them.
//!
//! Each property is checked against exactly the engine case systems run. The checked
//! ruleset is copied, each property's condition is added to the copy as one more computed
//! output, and the copy is compiled by `waymark-compile` and evaluated by `waymark-eval`,
//! with the property's `with` parameter values bound on top of the ruleset's own.
//!
//! # What each statement means here
//!
//! * `always C` breaks on a case where `C` is false; `never C` on a case where `C` is true.
//! * `monotone OUTPUT in A, B, …` breaks on a case and one listed answer that is not
//!   given, no or don't know, where changing that answer to yes gives a lower `OUTPUT`
//!   (an ordered enum by its order, a whole number numerically, false below true).
//! * `agree with "FILE" on OUTPUT, … except when C` breaks on a case where `C` is not true
//!   and the two rulesets give different values for one of the outputs. Facts for inputs
//!   the other ruleset does not have are left out of its case; `with` values are given to
//!   both rulesets where the other has a parameter of that name.
//!
//! **An undetermined value does not break a property** by default
//! ([`UnknownCounts::AsPass`]). A condition or output is undetermined only because some
//! fact is unknown, and every way of filling in that fact is a case of its own, which the
//! search tries too; so an undetermined value is not evidence of a break. The reference
//! rulesets rely on this reading: `always cse_concern implies same_day_mash_referral in
//! cse_actions` (exploitation) is undetermined, not false, when the victim's age is not
//! recorded, because both sides are. [`UnknownCounts::AsFailure`] is the strict reading:
//! an undetermined `always` or `never` condition, an undetermined `except` condition (the
//! outputs must then agree), or a monotone output undetermined before or after the change
//! breaks the property, and the counterexample says so ([`Counterexample::undetermined`]).
//!
//! # How cases are searched
//!
//! The inputs a property can depend on are found by following its condition (or output)
//! through derived values, outputs, and the rules, exceptions and tables that set them.
//! When each of those inputs has a finite domain (answers, booleans, enums, sets, whole
//! numbers in a range) and together they have at most [`PropOptions::exhaustive_limit`]
//! combinations, every combination is tried, the other inputs left out (or at their
//! lowest value when required): the search is **exhaustive** and a pass is a proof.
//! Otherwise [`PropOptions::cases`] cases are drawn at **random** from a seeded generator,
//! half ordinary and half at the ruleset's boundaries (see [`crate::strategy`]); the same
//! seed gives the same cases.
//!
//! # The counterexample
//!
//! The search keeps up to [`PropOptions::keep`] breaking cases. Each is shrunk until no
//! single fact can be made simpler (left out, then no, then don't know for an answer; a
//! smaller number; a smaller set; a shorter list) and still break the property. Of the
//! shrunk cases, the reported one has the fewest facts given, then the fewest yes answers,
//! then the fewest list items: the **minimal counterexample**.

use std::fmt::Write as _;
use std::sync::Arc;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use waymark::checked::{self as hir, Const, PropertyBody};
use waymark::ir::{ConstVal, Program, Ty, Val};
use waymark_eval::{Loaded, Scratch};
use waymark_ir::Answer;

use crate::domain::{Case, Deps, Domain, Fact, finite_values, simpler};

/// How properties are checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropOptions {
    /// Cases tried per property when the search is random.
    pub cases: usize,
    /// The seed of the random search.
    pub seed: u64,
    /// The most combinations searched exhaustively.
    pub exhaustive_limit: u64,
    /// How an undetermined value counts.
    pub unknown: UnknownCounts,
    /// Breaking cases kept and shrunk before the smallest is reported.
    pub keep: usize,
}

impl Default for PropOptions {
    fn default() -> PropOptions {
        PropOptions {
            cases: 2000,
            seed: 0,
            exhaustive_limit: 200_000,
            unknown: UnknownCounts::AsPass,
            keep: 16,
        }
    }
}

/// How an undetermined condition or output counts (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownCounts {
    /// Undetermined breaks the property (the strict reading).
    AsFailure,
    /// Undetermined never breaks the property (the default).
    AsPass,
}

/// Whether a property held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No case broke it.
    Passed,
    /// A case broke it: see [`PropertyReport::counterexample`].
    Failed,
    /// It could not be checked: see [`PropertyReport::error`].
    Error,
}

/// How the cases were found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Search {
    /// Every combination of the inputs the property depends on.
    Exhaustive {
        /// How many combinations there are.
        combinations: u64,
        /// The inputs varied.
        inputs: Vec<String>,
    },
    /// Cases drawn at random.
    Random {
        /// The seed.
        seed: u64,
    },
    /// No search (the property could not be set up).
    None,
}

/// The result of checking one property.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PropertyReport {
    /// The property's name.
    pub name: String,
    /// The line it starts on.
    pub line: usize,
    /// `monotone`, `always`, `never` or `agree`.
    pub kind: String,
    /// The statement as written (its lines joined with `; `).
    pub statement: String,
    /// The `with` parameter values.
    pub params: Map<String, Json>,
    /// How cases were searched.
    pub search: Search,
    /// How many cases were tried.
    pub cases: u64,
    /// Whether it held.
    pub verdict: Verdict,
    /// The minimal breaking case, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// Why it could not be checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A case that breaks a property, with the decisions that show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Counterexample {
    /// The facts, as JSON a case system would send.
    pub facts: Json,
    /// The decision's outcome for those facts (under the property's `with` values).
    pub outcome: Map<String, Json>,
    /// For `always` and `never`: the condition's value (`null` when undetermined).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Json>,
    /// For `monotone`: the answer changed to yes, and the decision after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flip: Option<Flip>,
    /// For `agree`: the other ruleset's outcome, and the outputs that differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<OtherOutcome>,
    /// Facts given.
    pub facts_given: usize,
    /// Yes answers.
    pub yes_answers: usize,
    /// True when the failure is an undetermined value rather than a wrong one.
    pub undetermined: bool,
}

/// The change that lowers a monotone output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Flip {
    /// The answer changed.
    pub input: String,
    /// Its value before (`null` when not given).
    pub from: Json,
    /// The output.
    pub output: String,
    /// The output before the change.
    pub before: Json,
    /// The output after the change.
    pub after: Json,
    /// The facts after the change.
    pub facts_after: Json,
    /// The decision's outcome after the change.
    pub outcome_after: Map<String, Json>,
}

/// The other ruleset's side of an `agree` counterexample.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OtherOutcome {
    /// The other file.
    pub file: String,
    /// Its outcome.
    pub outcome: Map<String, Json>,
    /// The compared outputs whose values differ.
    pub differing: Vec<String>,
}

/// Progress of [`check_properties_with`], for progress bars.
#[derive(Clone, Copy, Debug)]
pub struct Progress<'a> {
    /// The property being checked.
    pub property: &'a str,
    /// Its position (from 0) and the number of properties.
    pub index: usize,
    /// How many properties.
    pub count: usize,
    /// Cases tried so far for this property.
    pub done: u64,
    /// Cases to try (an upper bound: the search stops early on enough failures).
    pub total: u64,
}

/// Checks every `property` of a ruleset (see the module documentation).
pub fn check_properties(rules: &waymark::Ruleset, opts: &PropOptions) -> Vec<PropertyReport> {
    check_properties_with(rules, opts, &mut |_| {})
}

/// [`check_properties`], reporting progress.
pub fn check_properties_with(
    rules: &waymark::Ruleset,
    opts: &PropOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Vec<PropertyReport> {
    let rs = rules.checked();
    let count = rs.properties.len();
    rs.properties
        .iter()
        .enumerate()
        .map(|(index, prop)| {
            let mut report = blank_report(rs, prop);
            let mut tick = |done: u64, total: u64| {
                progress(Progress {
                    property: &prop.name,
                    index,
                    count,
                    done,
                    total,
                })
            };
            match Checker::new(rules, index, prop, opts) {
                Ok(mut checker) => checker.run(&mut report, &mut tick),
                Err(e) => {
                    report.verdict = Verdict::Error;
                    report.error = Some(e);
                }
            }
            report
        })
        .collect()
}

fn blank_report(rs: &hir::Ruleset, prop: &hir::PropertyDef) -> PropertyReport {
    let file = rs.files.get(prop.loc.file.0 as usize);
    let text = file.map(|f| f.text.as_ref()).unwrap_or("");
    let start = (prop.loc.span.start as usize).min(text.len());
    let line = text.get(..start).map_or(0, |t| t.matches('\n').count()) + 1;
    let block = text
        .get(start..(prop.loc.span.end as usize).min(text.len()))
        .unwrap_or("");
    let inner = block
        .split_once('{')
        .map_or(block, |(_, rest)| rest)
        .trim_end()
        .trim_end_matches('}');
    let statement = inner
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("; ");
    let kind = match prop.body {
        PropertyBody::Monotone { .. } => "monotone",
        PropertyBody::Always(_) => "always",
        PropertyBody::Never(_) => "never",
        PropertyBody::Agree { .. } => "agree",
    };
    let mut params = Map::new();
    for (id, c) in &prop.params {
        if let Some(def) = rs.params.get(id.0 as usize) {
            params.insert(def.name.clone(), hir_const_json(rs, c));
        }
    }
    PropertyReport {
        name: prop.name.clone(),
        line,
        kind: kind.to_string(),
        statement,
        params,
        search: Search::None,
        cases: 0,
        verdict: Verdict::Passed,
        counterexample: None,
        error: None,
    }
}

/// A checked-ruleset constant as the JSON of facts and decisions.
fn hir_const_json(rs: &hir::Ruleset, c: &Const) -> Json {
    let variant = |e: &hir::EnumId, i: u32| {
        rs.enums
            .get(e.0 as usize)
            .and_then(|en| en.variants.get(i as usize))
            .map_or(Json::Null, |v| Json::String(v.name.clone()))
    };
    match c {
        Const::Unknown => Json::Null,
        Const::Answer(a) => Json::String(a.word().to_string()),
        Const::Bool(b) => Json::Bool(*b),
        Const::Int(i) => Json::from(*i),
        Const::Number(n) => Json::String(n.to_string()),
        Const::Text(t) => Json::String(t.to_string()),
        Const::Date(d) => Json::String(d.to_string()),
        Const::Duration(n, u) => Json::String(format!("{n} {}", u.word())),
        Const::Enum(e, i) => variant(e, *i),
        Const::Set(e, bits) => Json::Array(
            (0..64u32)
                .filter(|i| bits & (1u64 << i) != 0)
                .map(|i| variant(e, i))
                .collect(),
        ),
        Const::List(items) => Json::Array(items.iter().map(|x| hir_const_json(rs, x)).collect()),
    }
}

fn const_val(c: &Const) -> ConstVal {
    match c {
        Const::Unknown | Const::Duration(..) | Const::Answer(Answer::Unknown) => ConstVal::Unknown,
        Const::Answer(a) => ConstVal::Answer(*a),
        Const::Bool(b) => ConstVal::Bool(*b),
        Const::Int(i) => ConstVal::Int(*i),
        Const::Number(n) => ConstVal::Num(*n),
        Const::Text(t) => ConstVal::Text(t.to_string()),
        Const::Date(d) => ConstVal::Date(*d),
        Const::Enum(_, i) => ConstVal::Enum(*i),
        Const::Set(_, bits) => ConstVal::Set(*bits),
        Const::List(items) => ConstVal::List(items.iter().map(const_val).collect()),
    }
}

/// The augmented program, compiled and loaded, with its buffers.
struct Engine {
    loaded: Loaded,
    scratch: Scratch,
    facts: waymark::CaseFacts,
}

impl Engine {
    fn run(&mut self, case: &Case) {
        case.fill(&mut self.facts);
        self.loaded.run(&self.facts, &mut self.scratch);
    }

    fn out(&self, i: usize) -> Val {
        self.loaded.output(&self.scratch, i)
    }
}

enum Claim {
    /// An always (`want` true) or never (`want` false) condition, at this output.
    Cond { out: usize, want: bool },
    /// A monotone output and the answers (program input indexes) changed to yes.
    Monotone {
        out: usize,
        ty: Ty,
        name: String,
        flips: Vec<usize>,
    },
    /// Two rulesets' outputs (by name) and the except condition's output.
    Agree {
        this: waymark::Ruleset,
        other: waymark::Ruleset,
        other_file: String,
        outputs: Vec<String>,
        except: Option<usize>,
    },
}

/// What broke: for monotone, the answer changed; `undetermined` when it is an unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Failure {
    flip: Option<usize>,
    undetermined: bool,
}

struct Checker<'a> {
    rules: &'a waymark::Ruleset,
    /// The ruleset with the property's `with` values, for the decisions reported.
    bound: waymark::Ruleset,
    engine: Engine,
    claim: Claim,
    domain: Arc<Domain>,
    /// Program input indexes the property can depend on, or `None` for all.
    relevant: Option<Vec<usize>>,
    opts: &'a PropOptions,
    seed: u64,
}

fn program_index(p: &Program, rs: &hir::Ruleset, id: hir::InputId) -> Option<usize> {
    let name = &rs.inputs.get(id.0 as usize)?.name;
    p.inputs.iter().position(|i| &i.name == name)
}

impl<'a> Checker<'a> {
    fn new(
        rules: &'a waymark::Ruleset,
        index: usize,
        prop: &hir::PropertyDef,
        opts: &'a PropOptions,
    ) -> Result<Checker<'a>, String> {
        let rs = rules.checked();
        let p = rules.program();
        // The augmented ruleset: each condition one more public output, computed last.
        let mut aug = rs.clone();
        let add_output = |aug: &mut hir::Ruleset, e: &hir::Expr| -> String {
            let name = format!("__property_{index}_{}", aug.outputs.len());
            let id = hir::OutputId(aug.outputs.len() as u32);
            aug.outputs.push(hir::OutputDef {
                name: name.clone(),
                ty: hir::Type::Bool,
                label: None,
                docs: Vec::new(),
                public: true,
                value: hir::OutputValue::Computed(e.clone()),
                loc: prop.loc,
            });
            aug.order.push(hir::Node::Output(id));
            name
        };
        let mut cond_name = None;
        let mut deps = Deps::new(rs);
        match &prop.body {
            PropertyBody::Always(e) | PropertyBody::Never(e) => {
                cond_name = Some(add_output(&mut aug, e));
                deps.expr(e);
            }
            PropertyBody::Agree {
                except: Some(e), ..
            } => cond_name = Some(add_output(&mut aug, e)),
            PropertyBody::Monotone { output, inputs } => {
                deps.output(*output);
                deps.inputs.extend(inputs.iter().copied());
            }
            PropertyBody::Agree { except: None, .. } => {}
        }
        let program = waymark_compile::compile(&aug)
            .map_err(|e| format!("the property cannot be compiled: {e}"))?;
        if program.inputs.len() != p.inputs.len() {
            return Err("the property changes the ruleset's inputs".into());
        }
        // Parameters: the ruleset's values, then the property's `with`.
        let mut overrides: Vec<(usize, ConstVal)> = Vec::new();
        for (i, info) in program.params.iter().enumerate() {
            if let Some(j) = p.params.iter().position(|x| x.name == info.name)
                && let Some(v) = rules.loaded().params().get(j)
            {
                overrides.push((i, v.clone()));
            }
        }
        let mut with_json = Vec::new();
        for (id, c) in &prop.params {
            let Some(def) = rs.params.get(id.0 as usize) else {
                continue;
            };
            if let Some(i) = program.params.iter().position(|x| x.name == def.name) {
                overrides.retain(|(j, _)| *j != i);
                overrides.push((i, const_val(c)));
            }
            with_json.push((def.name.clone(), hir_const_json(rs, c)));
        }
        let bound = if with_json.is_empty() {
            rules.clone()
        } else {
            rules
                .with_params(&with_json)
                .map_err(|e| format!("the property's `with` values are refused: {e}"))?
        };
        let loaded = Loaded::new(program, &overrides)
            .map_err(|e| format!("the property's program does not verify: {e}"))?;
        let out_index = |name: &str| {
            loaded
                .program()
                .outputs
                .iter()
                .position(|o| o.name == name)
                .ok_or_else(|| format!("output `{name}` is missing from the compiled program"))
        };
        let claim = match &prop.body {
            PropertyBody::Always(_) | PropertyBody::Never(_) => Claim::Cond {
                out: out_index(cond_name.as_deref().unwrap_or(""))?,
                want: matches!(prop.body, PropertyBody::Always(_)),
            },
            PropertyBody::Monotone { output, inputs } => {
                let name = rs
                    .outputs
                    .get(output.0 as usize)
                    .map(|o| o.name.clone())
                    .unwrap_or_default();
                let out = out_index(&name)?;
                let ty = loaded
                    .program()
                    .outputs
                    .get(out)
                    .map(|o| o.ty.clone())
                    .unwrap_or(Ty::Bool);
                Claim::Monotone {
                    out,
                    ty,
                    name,
                    flips: inputs
                        .iter()
                        .filter_map(|id| program_index(p, rs, *id))
                        .collect(),
                }
            }
            PropertyBody::Agree { other, outputs, .. } => {
                let other_rules = waymark::Ruleset::from_path(other).map_err(|d| {
                    let first =
                        d.0.iter()
                            .find(|x| x.is_error())
                            .map(|x| x.message.clone())
                            .unwrap_or_default();
                    format!(
                        "the other ruleset `{}` does not check: {first}",
                        other.display()
                    )
                })?;
                let shared: Vec<(String, Json)> = with_json
                    .iter()
                    .filter(|(n, _)| {
                        other_rules
                            .program()
                            .params
                            .iter()
                            .any(|x| &x.name == n && x.overridable)
                    })
                    .cloned()
                    .collect();
                let other_rules = if shared.is_empty() {
                    other_rules
                } else {
                    other_rules
                        .with_params(&shared)
                        .map_err(|e| format!("the other ruleset refuses the `with` values: {e}"))?
                };
                for input in &other_rules.program().inputs {
                    if !input.optional && !p.inputs.iter().any(|i| i.name == input.name) {
                        return Err(format!(
                            "the other ruleset requires input `{}`, which this one does not have",
                            input.name
                        ));
                    }
                }
                Claim::Agree {
                    this: bound.clone(),
                    other: other_rules,
                    other_file: other.display().to_string(),
                    outputs: outputs.clone(),
                    except: match &cond_name {
                        Some(n) => Some(out_index(n)?),
                        None => None,
                    },
                }
            }
        };
        let relevant = match &prop.body {
            PropertyBody::Agree { .. } => None,
            _ => Some(
                deps.inputs
                    .iter()
                    .filter_map(|id| program_index(p, rs, *id))
                    .collect(),
            ),
        };
        let scratch = loaded.scratch();
        let facts = waymark::CaseFacts::unknown(loaded.program());
        let seed = opts
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(index as u64);
        Ok(Checker {
            rules,
            bound,
            engine: Engine {
                loaded,
                scratch,
                facts,
            },
            claim,
            domain: Arc::new(Domain::with_params(rules, &prop.params)),
            relevant,
            opts,
            seed,
        })
    }

    fn undetermined_fails(&self) -> bool {
        self.opts.unknown == UnknownCounts::AsFailure
    }

    /// Whether a case breaks the property, and how.
    fn verdict(&mut self, case: &Case) -> Option<Failure> {
        match &self.claim {
            Claim::Cond { out, want } => {
                let (out, want) = (*out, *want);
                self.engine.run(case);
                match self.engine.out(out) {
                    Val::Bool(b) if b == want => None,
                    Val::Bool(_) => Some(Failure {
                        flip: None,
                        undetermined: false,
                    }),
                    _ => self.undetermined_fails().then_some(Failure {
                        flip: None,
                        undetermined: true,
                    }),
                }
            }
            Claim::Monotone { flips, .. } => {
                let flips = flips.clone();
                flips.into_iter().find_map(|f| self.flip_breaks(case, f))
            }
            Claim::Agree { .. } => self.disagrees(case).map(|_| Failure {
                flip: None,
                undetermined: false,
            }),
        }
    }

    /// Whether changing answer `f` of `case` to yes lowers the monotone output.
    fn flip_breaks(&mut self, case: &Case, f: usize) -> Option<Failure> {
        let Claim::Monotone { out, ty, .. } = &self.claim else {
            return None;
        };
        let (out, ty) = (*out, ty.clone());
        match case.0.get(f) {
            Some(Fact::Absent | Fact::Answer(Answer::No | Answer::Unknown)) => {}
            _ => return None,
        }
        self.engine.run(case);
        let before = rank(&ty, self.engine.out(out));
        let mut after_case = case.clone();
        if let Some(slot) = after_case.0.get_mut(f) {
            *slot = Fact::Answer(Answer::Yes);
        }
        self.engine.run(&after_case);
        let after = rank(&ty, self.engine.out(out));
        match (before, after) {
            (Some(b), Some(a)) if a < b => Some(Failure {
                flip: Some(f),
                undetermined: false,
            }),
            (Some(_), Some(_)) => None,
            _ => self.undetermined_fails().then_some(Failure {
                flip: Some(f),
                undetermined: true,
            }),
        }
    }

    /// For `agree`: the outputs that differ on this case (not excepted), if any.
    fn disagrees(&mut self, case: &Case) -> Option<(Map<String, Json>, Vec<String>)> {
        let except = match &self.claim {
            Claim::Agree { except, .. } => *except,
            _ => return None,
        };
        if let Some(e) = except {
            self.engine.run(case);
            if self.engine.out(e) == Val::Bool(true) {
                return None;
            }
        }
        let Claim::Agree {
            this,
            other,
            outputs,
            ..
        } = &self.claim
        else {
            return None;
        };
        let mine = this.evaluate(&case.to_facts(this.program()), false);
        let theirs = other_outcome(other, &case.to_json(this.program()));
        let differing: Vec<String> = outputs
            .iter()
            .filter(|o| mine.outcome.get(*o) != theirs.get(*o))
            .cloned()
            .collect();
        (!differing.is_empty()).then_some((theirs, differing))
    }

    fn run(&mut self, report: &mut PropertyReport, tick: &mut dyn FnMut(u64, u64)) {
        let (search, tried, failures) = self.search(tick);
        report.search = search;
        report.cases = tried;
        let mut best: Option<(Case, Failure)> = None;
        for (case, failure) in failures {
            let small = self.shrink(case, failure);
            let better = match &best {
                None => true,
                Some((b, _)) => (small.size(), &small.0) < (b.size(), &b.0),
            };
            if better {
                best = Some((small, failure));
            }
        }
        if let Some((case, failure)) = best {
            report.verdict = Verdict::Failed;
            report.counterexample = Some(self.describe(&case, failure));
        }
    }

    /// Finds up to `keep` breaking cases: the search used, the cases tried, the failures.
    fn search(&mut self, tick: &mut dyn FnMut(u64, u64)) -> (Search, u64, Vec<(Case, Failure)>) {
        let keep = self.opts.keep.max(1);
        let mut failures = Vec::new();
        if let Some((inputs, values, combinations)) = self.exhaustive_space() {
            let mut case = self.domain.simplest();
            let mut digits = vec![0usize; inputs.len()];
            for (i, vals) in inputs.iter().zip(&values) {
                if let (Some(slot), Some(v)) = (case.0.get_mut(*i), vals.first()) {
                    *slot = v.clone();
                }
            }
            let mut tried = 0u64;
            'odometer: loop {
                tried += 1;
                if let Some(f) = self.verdict(&case) {
                    failures.push((case.clone(), f));
                    if failures.len() >= keep {
                        break;
                    }
                }
                if tried.is_multiple_of(1024) {
                    tick(tried, combinations);
                }
                // Next combination: the first input varies fastest.
                for (d, (i, vals)) in digits.iter_mut().zip(inputs.iter().zip(&values)) {
                    *d += 1;
                    if *d < vals.len() {
                        if let (Some(slot), Some(v)) = (case.0.get_mut(*i), vals.get(*d)) {
                            *slot = v.clone();
                        }
                        continue 'odometer;
                    }
                    *d = 0;
                    if let (Some(slot), Some(v)) = (case.0.get_mut(*i), vals.first()) {
                        *slot = v.clone();
                    }
                }
                break;
            }
            tick(tried, combinations);
            let names = inputs
                .iter()
                .filter_map(|i| self.domain.inputs.get(*i).map(|d| d.name.clone()))
                .collect();
            return (
                Search::Exhaustive {
                    combinations,
                    inputs: names,
                },
                tried,
                failures,
            );
        }
        let strategy = crate::strategy::mixed(Arc::clone(&self.domain));
        let mut seed = [0u8; 32];
        for (i, b) in self.seed.to_le_bytes().iter().enumerate() {
            if let Some(s) = seed.get_mut(i) {
                *s = *b;
            }
        }
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
        );
        let total = self.opts.cases as u64;
        let mut tried = 0u64;
        while tried < total {
            let Ok(tree) = strategy.new_tree(&mut runner) else {
                break;
            };
            let case = tree.current();
            tried += 1;
            if let Some(f) = self.verdict(&case) {
                failures.push((case, f));
                if failures.len() >= keep {
                    break;
                }
            }
            if tried.is_multiple_of(256) {
                tick(tried, total);
            }
        }
        tick(tried, total);
        (
            Search::Random {
                seed: self.opts.seed,
            },
            tried,
            failures,
        )
    }

    /// The inputs to vary, their values, and the number of combinations, when the
    /// property depends on few enough inputs with finite domains.
    fn exhaustive_space(&self) -> Option<(Vec<usize>, Vec<Vec<Fact>>, u64)> {
        let relevant = self.relevant.as_ref()?;
        let limit = self.opts.exhaustive_limit;
        let mut values = Vec::new();
        let mut combinations = 1u64;
        for i in relevant {
            let d = self.domain.inputs.get(*i)?;
            let v = finite_values(&d.kind, d.optional, limit)?;
            combinations = combinations.checked_mul(v.len() as u64)?;
            if combinations > limit {
                return None;
            }
            values.push(v);
        }
        Some((relevant.clone(), values, combinations))
    }

    /// Whether `case` breaks the property the same way as `failure` (the same answer
    /// changed, for monotone).
    fn breaks_like(&mut self, case: &Case, failure: Failure) -> bool {
        match failure.flip {
            Some(f) => self.flip_breaks(case, f).is_some(),
            None => self.verdict(case).is_some(),
        }
    }

    /// Shrinks a breaking case until no single fact can be made simpler.
    fn shrink(&mut self, mut case: Case, failure: Failure) -> Case {
        let mut budget = 20_000u32;
        loop {
            let mut changed = false;
            for i in 0..case.0.len() {
                let Some(d) = self.domain.inputs.get(i) else {
                    continue;
                };
                let (kind, optional) = (d.kind.clone(), d.optional);
                let Some(current) = case.0.get(i).cloned() else {
                    continue;
                };
                for candidate in simpler(&kind, optional, &current) {
                    if budget == 0 {
                        return case;
                    }
                    budget -= 1;
                    let mut smaller = case.clone();
                    if let Some(slot) = smaller.0.get_mut(i) {
                        *slot = candidate;
                    }
                    if self.breaks_like(&smaller, failure) {
                        case = smaller;
                        changed = true;
                        break;
                    }
                }
            }
            if !changed {
                return case;
            }
        }
    }

    fn outcome(&self, case: &Case) -> Map<String, Json> {
        self.bound
            .evaluate(&case.to_facts(self.bound.program()), false)
            .outcome
    }

    fn describe(&mut self, case: &Case, failure: Failure) -> Counterexample {
        let p = self.rules.program();
        let mut cx = Counterexample {
            facts: case.to_json(p),
            outcome: self.outcome(case),
            condition: None,
            flip: None,
            other: None,
            facts_given: case.given(),
            yes_answers: case.yes_answers(),
            undetermined: failure.undetermined,
        };
        match &self.claim {
            Claim::Cond { out, .. } => {
                let out = *out;
                self.engine.run(case);
                cx.condition = Some(match self.engine.out(out) {
                    Val::Bool(b) => Json::Bool(b),
                    _ => Json::Null,
                });
            }
            Claim::Monotone { name, .. } => {
                let name = name.clone();
                if let Some(f) = failure.flip {
                    let mut after = case.clone();
                    if let Some(slot) = after.0.get_mut(f) {
                        *slot = Fact::Answer(Answer::Yes);
                    }
                    let outcome_after = self.outcome(&after);
                    cx.flip = Some(Flip {
                        input: p.inputs.get(f).map(|i| i.name.clone()).unwrap_or_default(),
                        from: case
                            .to_json(p)
                            .get(p.inputs.get(f).map_or("", |i| &i.name))
                            .cloned()
                            .unwrap_or(Json::Null),
                        before: cx.outcome.get(&name).cloned().unwrap_or(Json::Null),
                        after: outcome_after.get(&name).cloned().unwrap_or(Json::Null),
                        output: name,
                        facts_after: after.to_json(p),
                        outcome_after,
                    });
                }
            }
            Claim::Agree { other_file, .. } => {
                let file = other_file.clone();
                if let Some((outcome, differing)) = self.disagrees(case) {
                    cx.other = Some(OtherOutcome {
                        file,
                        outcome,
                        differing,
                    });
                }
            }
        }
        cx
    }
}

/// The other ruleset's outcome for facts written for this one: inputs it does not have
/// are left out.
fn other_outcome(other: &waymark::Ruleset, facts: &Json) -> Map<String, Json> {
    let mut kept = Map::new();
    if let Some(obj) = facts.as_object() {
        for (k, v) in obj {
            if other.program().inputs.iter().any(|i| &i.name == k) {
                kept.insert(k.clone(), v.clone());
            }
        }
    }
    match other.evaluate_json(&Json::Object(kept), false) {
        Ok(d) => d.outcome,
        Err(e) => {
            let mut m = Map::new();
            m.insert("error".into(), Json::String(e.to_string()));
            m
        }
    }
}

/// A monotone output's value as a number to compare, `None` when undetermined.
fn rank(ty: &Ty, v: Val) -> Option<i64> {
    match (ty, v) {
        (Ty::Enum(_), Val::Enum(i)) => Some(i64::from(i)),
        (Ty::Int, Val::Int(i)) => Some(i),
        (Ty::Bool, Val::Bool(b)) => Some(i64::from(b)),
        _ => None,
    }
}

/// How a value reads to a person: yes and no for true and false, `undetermined` for null.
fn show(v: &Json) -> String {
    match v {
        Json::Null => "undetermined".to_string(),
        Json::Bool(true) => "yes".to_string(),
        Json::Bool(false) => "no".to_string(),
        Json::String(s) => s.clone(),
        Json::Array(items) if items.is_empty() => "(none)".to_string(),
        Json::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// The facts of a case for a person: yes, no and don't know answers grouped, then every
/// other fact given.
fn show_facts(facts: &Json, indent: &str) -> String {
    let mut s = String::new();
    let Some(obj) = facts.as_object() else {
        return s;
    };
    for (word, title) in [
        ("yes", "answered yes"),
        ("no", "answered no"),
        ("unknown", "answered don't know"),
    ] {
        let names: Vec<&str> = obj
            .iter()
            .filter(|(_, v)| v.as_str() == Some(word))
            .map(|(k, _)| k.as_str())
            .collect();
        if !names.is_empty() {
            let _ = writeln!(s, "{indent}{title} ({}): {}", names.len(), names.join(", "));
        }
    }
    for (k, v) in obj {
        if !matches!(v.as_str(), Some("yes" | "no" | "unknown")) {
            let _ = writeln!(s, "{indent}{k} = {}", show(v));
        }
    }
    if obj.is_empty() {
        let _ = writeln!(s, "{indent}(nothing given)");
    }
    s
}

fn show_outcome(outcome: &Map<String, Json>) -> String {
    outcome
        .iter()
        .map(|(k, v)| format!("{k} = {}", show(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The reports of one ruleset as text for a policy officer: one line per property that
/// held, and for each one that broke, the smallest case that breaks it and what the rules
/// decide for it. `title` names the ruleset (its file, id and version, say).
pub fn render_text(title: &str, reports: &[PropertyReport]) -> String {
    let mut s = String::new();
    let failed = reports
        .iter()
        .filter(|r| r.verdict != Verdict::Passed)
        .count();
    let _ = writeln!(
        s,
        "{title}: {} propert{}, {} broken",
        reports.len(),
        if reports.len() == 1 { "y" } else { "ies" },
        failed
    );
    for r in reports {
        let how = match &r.search {
            Search::Exhaustive { combinations, .. } => format!(
                "all {combinations} combination{} tried",
                if *combinations == 1 { "" } else { "s" }
            ),
            Search::Random { seed } => format!("{} random cases, seed {seed}", r.cases),
            Search::None => "not searched".to_string(),
        };
        match r.verdict {
            Verdict::Passed => {
                let _ = writeln!(s, "  ok      {} ({how})", r.name);
            }
            Verdict::Error => {
                let _ = writeln!(s, "  ERROR   {} (line {})", r.name, r.line);
                let _ = writeln!(
                    s,
                    "          cannot be checked: {}",
                    r.error.as_deref().unwrap_or("unknown reason")
                );
            }
            Verdict::Failed => {
                let _ = writeln!(s, "  BROKEN  {} (line {})", r.name, r.line);
                let _ = writeln!(s, "          {}", r.statement);
                let _ = writeln!(s, "          searched: {how}");
                if let Some(cx) = &r.counterexample {
                    render_counterexample(&mut s, r, cx);
                }
            }
        }
    }
    s
}

fn render_counterexample(s: &mut String, r: &PropertyReport, cx: &Counterexample) {
    let pad = "            ";
    if !r.params.is_empty() {
        let with: Vec<String> = r
            .params
            .iter()
            .map(|(k, v)| format!("{k} = {}", show(v)))
            .collect();
        let _ = writeln!(s, "          with {}", with.join(", "));
    }
    let _ = writeln!(s, "          smallest case that breaks it:");
    s.push_str(&show_facts(&cx.facts, pad));
    if let Some(flip) = &cx.flip {
        let from = match &flip.from {
            Json::Null => "not answered".to_string(),
            Json::String(w) if w == "unknown" => "don't know".to_string(),
            other => show(other),
        };
        let _ = writeln!(
            s,
            "          changing {} from {from} to yes changes {} from {} to {}",
            flip.input,
            flip.output,
            show(&flip.before),
            show(&flip.after)
        );
        if cx.undetermined {
            let _ = writeln!(
                s,
                "          (an undetermined value cannot be shown not to be lower)"
            );
        }
        let _ = writeln!(
            s,
            "          decision before: {}",
            show_outcome(&cx.outcome)
        );
        let _ = writeln!(
            s,
            "          decision after:  {}",
            show_outcome(&flip.outcome_after)
        );
    } else if let Some(other) = &cx.other {
        let _ = writeln!(s, "          this ruleset: {}", show_outcome(&cx.outcome));
        let _ = writeln!(
            s,
            "          {}: {}",
            other.file,
            show_outcome(&other.outcome)
        );
        let _ = writeln!(
            s,
            "          they differ on: {}",
            other.differing.join(", ")
        );
    } else {
        let value = cx.condition.as_ref().map_or_else(String::new, |c| match c {
            Json::Bool(true) => "true".to_string(),
            Json::Bool(false) => "false".to_string(),
            _ => "undetermined".to_string(),
        });
        let _ = writeln!(s, "          the condition is {value} for this case");
        let _ = writeln!(s, "          decision: {}", show_outcome(&cx.outcome));
    }
    let _ = writeln!(s, "          facts (JSON): {}", cx.facts);
}
