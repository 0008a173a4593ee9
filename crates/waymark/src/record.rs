//! Decision records: a decision with everything needed to replay it (the ruleset's id,
//! version and hash, the profile, the parameter values and the facts), and replay itself.
//!
//! A redacted record keeps only the facts that mattered: each optional fact is left out in
//! turn, and stays out when the outcome is unchanged without it. So a redacted record still
//! replays to the same outcome, and its explanation keeps every criterion met or missed
//! while the answers that did not contribute (special-category data) are gone.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::{FactErrors, Ruleset};

/// The record format this build writes.
pub const RECORD_FORMAT: u32 = 1;

/// Which ruleset made a recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRuleset {
    /// Ruleset id.
    pub id: String,
    /// Version.
    pub version: String,
    /// SHA-256 of the source files.
    pub hash: String,
    /// First day the version is in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<String>,
    /// The artifact's hash, when the rules came from a built artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

/// A replayable decision record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRecord {
    /// Record format.
    pub record_format: u32,
    /// The ruleset.
    pub ruleset: RecordedRuleset,
    /// The agency profile in force, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The date the version was chosen for, when chosen by date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Parameter values in force.
    pub params: Map<String, Json>,
    /// The facts evaluated (only those that mattered, when redacted).
    pub facts: Map<String, Json>,
    /// True when facts that did not contribute were left out.
    #[serde(default)]
    pub redacted: bool,
    /// The outcome.
    pub outcome: Map<String, Json>,
    /// Why, when it was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Json>,
}

/// One difference found by replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// What differs: `outcome.NAME`, `params.NAME`, `explanation` or `ruleset.hash`.
    pub field: String,
    /// The recorded value.
    pub recorded: Json,
    /// The value now.
    pub replayed: Json,
}

/// The result of replaying a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    /// True when the outcome (and explanation, when recorded) is identical.
    pub identical: bool,
    /// Everything that differs.
    pub differences: Vec<Difference>,
    /// The ruleset version used to replay.
    pub replayed_with: crate::RulesetRef,
}

impl Ruleset {
    /// Evaluates JSON facts into a decision record, redacted when asked.
    pub fn record(
        &self,
        facts: &Json,
        as_of: Option<String>,
        explain: bool,
        redact: bool,
    ) -> Result<DecisionRecord, FactErrors> {
        let decision = self.evaluate_json(facts, explain)?;
        let mut kept = facts.as_object().cloned().unwrap_or_default();
        let mut explanation = decision.explanation.clone();
        if redact {
            let optional: Vec<String> = self
                .program()
                .inputs
                .iter()
                .filter(|i| i.optional)
                .map(|i| i.name.clone())
                .collect();
            let names: Vec<String> = kept.keys().cloned().collect();
            for name in names {
                if !optional.contains(&name) {
                    continue;
                }
                let Some(value) = kept.remove(&name) else {
                    continue;
                };
                let same = self
                    .evaluate_json(&Json::Object(kept.clone()), false)
                    .is_ok_and(|d| d.outcome == decision.outcome);
                if !same {
                    kept.insert(name, value);
                }
            }
            if let Some(e) = explanation.as_mut() {
                keep_reads(e, &kept);
            }
        }
        Ok(DecisionRecord {
            record_format: RECORD_FORMAT,
            ruleset: RecordedRuleset {
                id: decision.ruleset.id.clone(),
                version: decision.ruleset.version.clone(),
                hash: decision.ruleset.hash.clone(),
                effective_from: self.checked().meta.effective_from.map(|d| d.to_string()),
                artifact: self.artifact().map(|a| a.hash.clone()),
            },
            profile: decision.profile,
            as_of,
            params: decision.params,
            facts: kept,
            redacted: redact,
            outcome: decision.outcome,
            explanation,
        })
    }

    /// Re-evaluates a record's facts under its parameters with these rules and compares.
    pub fn replay(&self, record: &DecisionRecord) -> Result<Replay, FactErrors> {
        let mut differences = Vec::new();
        if self.hash() != record.ruleset.hash {
            differences.push(Difference {
                field: "ruleset.hash".into(),
                recorded: Json::String(record.ruleset.hash.clone()),
                replayed: Json::String(self.hash().to_string()),
            });
        }
        let overrides: Vec<(String, Json)> = record
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let rules = self.with_params(&overrides)?;
        let facts = Json::Object(record.facts.clone());
        let decision = rules.evaluate_json(&facts, record.explanation.is_some())?;
        let mut names: Vec<&String> = record
            .outcome
            .keys()
            .chain(decision.outcome.keys())
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            let a = record.outcome.get(name).cloned().unwrap_or(Json::Null);
            let b = decision.outcome.get(name).cloned().unwrap_or(Json::Null);
            let present = record.outcome.contains_key(name) && decision.outcome.contains_key(name);
            if a != b || !present {
                differences.push(Difference {
                    field: format!("outcome.{name}"),
                    recorded: a,
                    replayed: b,
                });
            }
        }
        // A redacted record's explanation came from the full facts; only its outcome can be
        // compared.
        if let (Some(recorded), Some(now), false) = (
            &record.explanation,
            decision.explanation.clone(),
            record.redacted,
        ) && recorded != &now
        {
            differences.push(Difference {
                field: "explanation".into(),
                recorded: recorded.clone(),
                replayed: now,
            });
        }
        Ok(Replay {
            identical: differences.is_empty(),
            differences,
            replayed_with: decision.ruleset,
        })
    }
}

/// Drops, from every `read` object in an explanation, the inputs not among `kept`.
fn keep_reads(e: &mut Json, kept: &Map<String, Json>) {
    match e {
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "read" {
                    if let Json::Object(read) = v {
                        read.retain(|name, _| kept.contains_key(name));
                    }
                } else {
                    keep_reads(v, kept);
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|x| keep_reads(x, kept)),
        _ => {}
    }
}
