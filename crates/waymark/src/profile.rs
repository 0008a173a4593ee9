//! Agency profiles: which ruleset versions an agency uses and its local parameter values.
//!
//! A profile is a small TOML (or JSON) file:
//!
//! ```toml
//! agency = "Kent MARAC"
//! description = "Kent and Medway: 6-month escalation window"
//!
//! [rulesets."marac.referral"]
//! version = "1.1.0"                 # optional: the version this agency uses
//! params = { escalation_window_months = 6 }
//!
//! [records]
//! redact = true                     # decision records keep only the answers that mattered
//! ```
//!
//! Every parameter is checked against the ruleset's declared parameters and ranges, and
//! every problem is reported, each with where it is in the profile.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::Ruleset;

/// An agency profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The agency's name, recorded in every decision made under the profile.
    pub agency: String,
    /// What the profile is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Per ruleset id: the version used and parameter overrides.
    #[serde(default)]
    pub rulesets: BTreeMap<String, ProfileRuleset>,
    /// How decision records are written.
    #[serde(default)]
    pub records: RecordPolicy,
}

/// One ruleset's settings in a profile.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileRuleset {
    /// The version the agency uses, if pinned.
    #[serde(default)]
    pub version: Option<String>,
    /// Parameter overrides by name.
    #[serde(default)]
    pub params: Map<String, Json>,
}

/// How decision records are written under a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordPolicy {
    /// Keep only the answers that contributed to the outcome.
    #[serde(default)]
    pub redact: bool,
}

/// Problems with a profile: every one found, each saying where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct ProfileError(pub Vec<String>);

impl Profile {
    /// Reads a profile file: TOML, or JSON when the name ends in `.json`.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Profile, ProfileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ProfileError(vec![format!("cannot read {}: {e}", path.display())]))?;
        let json = path.extension().is_some_and(|e| e == "json");
        Profile::parse(&text, json).map_err(|ProfileError(v)| {
            ProfileError(
                v.into_iter()
                    .map(|m| format!("{}: {m}", path.display()))
                    .collect(),
            )
        })
    }

    /// Reads a profile from text (TOML, or JSON when `json`).
    pub fn parse(text: &str, json: bool) -> Result<Profile, ProfileError> {
        let profile: Profile = if json {
            serde_json::from_str(text).map_err(|e| ProfileError(vec![e.to_string()]))?
        } else {
            toml::from_str(text)
                .map_err(|e| ProfileError(vec![e.to_string().trim_end().to_string()]))?
        };
        if profile.agency.trim().is_empty() {
            return Err(ProfileError(vec!["`agency` must name the agency".into()]));
        }
        Ok(profile)
    }

    /// The rules with this profile's parameters for their id, checked against the declared
    /// parameters and ranges. A profile that does not mention the ruleset is refused, and so
    /// is one that pins another version.
    pub fn apply(&self, rules: &Ruleset) -> Result<Ruleset, ProfileError> {
        let id = rules.id();
        let Some(settings) = self.rulesets.get(id) else {
            let known: Vec<&str> = self.rulesets.keys().map(String::as_str).collect();
            return Err(ProfileError(vec![format!(
                "profile `{}` has no settings for ruleset `{id}` (it has: {})",
                self.agency,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )]));
        };
        let mut problems = Vec::new();
        if let Some(v) = settings.version.as_ref().filter(|v| *v != rules.version()) {
            problems.push(format!(
                "rulesets.\"{id}\".version: the profile uses version {v}, but this is version {}",
                rules.version()
            ));
        }
        let overrides: Vec<(String, Json)> = settings
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        match rules.with_params(&overrides) {
            Ok(r) if problems.is_empty() => Ok(r.with_profile_name(Some(self.agency.clone()))),
            Ok(_) => Err(ProfileError(problems)),
            Err(e) => {
                problems.extend(
                    e.0.iter()
                        .map(|f| format!("rulesets.\"{id}\".params.{}: {}", f.input, f.message)),
                );
                Err(ProfileError(problems))
            }
        }
    }

    /// Checks the profile against the rulesets it may be used with (every version
    /// available): each ruleset id it names exists, a pinned version exists, and the
    /// parameters are valid for that version. Returns every problem.
    pub fn validate(&self, available: &[Ruleset]) -> Vec<String> {
        let mut problems = Vec::new();
        for (id, settings) in &self.rulesets {
            let versions: Vec<&Ruleset> = available.iter().filter(|r| r.id() == id).collect();
            if versions.is_empty() {
                problems.push(format!(
                    "rulesets.\"{id}\": no ruleset with this id is loaded"
                ));
                continue;
            }
            let chosen: Vec<&Ruleset> = match &settings.version {
                Some(v) => versions
                    .iter()
                    .copied()
                    .filter(|r| r.version() == v)
                    .collect(),
                None => versions,
            };
            if chosen.is_empty() {
                problems.push(format!(
                    "rulesets.\"{id}\".version: version {} is not loaded",
                    settings.version.clone().unwrap_or_default()
                ));
            }
            for r in chosen {
                if let Err(ProfileError(p)) = self.apply(r) {
                    for m in p {
                        if !problems.contains(&m) {
                            problems.push(m);
                        }
                    }
                }
            }
        }
        problems
    }
}
