//! Why a decision came out as it did: the rules that fired and what they read, the
//! nearest misses of rules that did not, what stays undetermined and the questions whose
//! answers could still change the outcome.

use std::cmp::Ordering;

use waymark_ir::Answer;
use waymark_ir::program::*;

use crate::{Facts, Loaded, Scratch};

/// The explanation of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Explanation {
    /// One entry per output, in program order (public and internal).
    pub outputs: Vec<OutputReason>,
    /// Thresholds of rules that did not fire, with how far off they were.
    pub misses: Vec<Miss>,
    /// Unanswered questions whose answer could change a public output.
    pub next_questions: Vec<NextQuestion>,
}

/// Why one output has its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputReason {
    /// The output's index.
    pub output: usize,
    /// The rules and table rows that fired and set it.
    pub fired: Vec<Fired>,
    /// When undetermined: what is missing.
    pub undetermined: Option<Undetermined>,
}

/// A rule or row that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    /// Which rule or row.
    pub origin: Origin,
    /// The inputs it read (by index), with their values.
    pub reads: Vec<(usize, Val)>,
}

/// What an undetermined output is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undetermined {
    /// Unknown inputs (by index) that the output depends on.
    pub inputs: Vec<usize>,
}

/// A threshold that was not met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    /// The rule, by index.
    pub rule: usize,
    /// What was compared, by name.
    pub subject: String,
    /// Its value.
    pub value: Val,
    /// The comparison that failed.
    pub op: Cmp,
    /// The threshold's value.
    pub limit: Val,
    /// The threshold's name.
    pub limit_name: String,
}

/// An unanswered question that matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextQuestion {
    /// The input, by index.
    pub input: usize,
    /// The public outputs (by index) that some answer to it would change.
    pub changes: Vec<usize>,
}

impl Loaded {
    /// Explains the evaluation held in `scratch` (run [`Loaded::run`] first).
    pub fn explain(&self, facts: &Facts, scratch: &Scratch) -> Explanation {
        let p = &self.program;
        let mut outputs = Vec::with_capacity(p.outputs.len());
        for (i, out) in p.outputs.iter().enumerate() {
            let mut fired = Vec::new();
            for c in &out.contributions {
                if scratch.slot(c.status) == Val::Bool(true) {
                    let reads = match c.source {
                        Origin::Rule(r) => p
                            .rules
                            .get(r as usize)
                            .map(|r| r.reads.clone())
                            .unwrap_or_default(),
                        Origin::Row(t, _) => p
                            .tables
                            .get(t as usize)
                            .map(|t| t.reads.clone())
                            .unwrap_or_default(),
                    };
                    if !fired.iter().any(|f: &Fired| f.origin == c.source) {
                        fired.push(Fired {
                            origin: c.source,
                            reads: reads
                                .iter()
                                .map(|r| (*r as usize, facts.get(*r as usize)))
                                .collect(),
                        });
                    }
                }
            }
            for part in &out.tables {
                for (row, status) in scratch
                    .hits
                    .get(part.table as usize)
                    .map_or(&[][..], Vec::as_slice)
                {
                    let sets = part.values.get(*row as usize).is_some_and(Option::is_some);
                    if *status == Val::Bool(true) && sets {
                        let reads = p
                            .tables
                            .get(part.table as usize)
                            .map(|t| t.reads.clone())
                            .unwrap_or_default();
                        fired.push(Fired {
                            origin: Origin::Row(part.table, *row),
                            reads: reads
                                .iter()
                                .map(|r| (*r as usize, facts.get(*r as usize)))
                                .collect(),
                        });
                    }
                }
            }
            let undetermined = (scratch.slot(out.slot) == Val::Unknown).then(|| Undetermined {
                inputs: out
                    .reads
                    .iter()
                    .map(|r| *r as usize)
                    .filter(|r| facts.get(*r) == Val::Unknown)
                    .collect(),
            });
            outputs.push(OutputReason {
                output: i,
                fired,
                undetermined,
            });
        }
        let mut misses = Vec::new();
        for (i, rule) in p.rules.iter().enumerate() {
            if scratch.slot(rule.status) != Val::Bool(false) {
                continue;
            }
            for t in &rule.thresholds {
                let (v, lim) = (scratch.slot(t.value), scratch.slot(t.limit));
                let met =
                    crate::ops::compare(self, facts, v, lim).map(|o| crate::ops::holds(t.op, o));
                if met == Some(false) {
                    misses.push(Miss {
                        rule: i,
                        subject: t.subject.clone(),
                        value: v,
                        op: t.op,
                        limit: lim,
                        limit_name: t.limit_name.clone(),
                    });
                }
            }
        }
        let next_questions = self.next_questions(facts, scratch);
        Explanation {
            outputs,
            misses,
            next_questions,
        }
    }

    /// Unknown inputs with few possible values (answers, conditions, enum values) that some
    /// public output depends on: each alternative is tried, and the input is a next question
    /// when any alternative changes a public output.
    fn next_questions(&self, facts: &Facts, scratch: &Scratch) -> Vec<NextQuestion> {
        let p = &self.program;
        let mut relevant = vec![false; p.inputs.len()];
        for out in p.outputs.iter().filter(|o| o.public) {
            for r in &out.reads {
                if let Some(x) = relevant.get_mut(*r as usize) {
                    *x = true;
                }
            }
        }
        let baseline: Vec<Val> = p.outputs.iter().map(|o| scratch.slot(o.slot)).collect();
        let mut trial_facts = facts.clone();
        let mut trial = self.scratch();
        let mut questions = Vec::new();
        for (i, input) in p.inputs.iter().enumerate() {
            if !relevant.get(i).copied().unwrap_or(false) || facts.get(i) != Val::Unknown {
                continue;
            }
            let alternatives: Vec<Val> = match &input.ty {
                Ty::Answer => vec![Val::Answer(Answer::Yes), Val::Answer(Answer::No)],
                Ty::Bool => vec![Val::Bool(true), Val::Bool(false)],
                Ty::Enum(e) => {
                    let n = p.enums.get(*e as usize).map_or(0, |e| e.variants.len());
                    (0..n as u32).map(Val::Enum).collect()
                }
                _ => continue,
            };
            let mut changes: Vec<usize> = Vec::new();
            for alt in alternatives {
                trial_facts.set(i, alt);
                self.run(&trial_facts, &mut trial);
                for (o, out) in p.outputs.iter().enumerate() {
                    if out.public
                        && !changes.contains(&o)
                        && !same(self, facts, trial.slot(out.slot), baseline.get(o).copied())
                    {
                        changes.push(o);
                    }
                }
            }
            trial_facts.set(i, Val::Unknown);
            if !changes.is_empty() {
                changes.sort_unstable();
                questions.push(NextQuestion { input: i, changes });
            }
        }
        questions
    }
}

fn same(l: &Loaded, facts: &Facts, a: Val, b: Option<Val>) -> bool {
    match b {
        Some(b) if a == b => true,
        Some(b) => crate::ops::compare(l, facts, a, b) == Some(Ordering::Equal),
        None => false,
    }
}
