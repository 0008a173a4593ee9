//! A registry: a folder holding versions of rulesets, as source or built artifacts, each
//! with its effective period. It answers "which version of `marac.referral` was in force on
//! 2024-05-01?" and reports gaps and overlaps between the periods of one ruleset's versions.
//!
//! A version's period runs from its `effective from` date to its `until` date. When `until`
//! is not given, the version is in force until the day before the next version (by start
//! date) begins, or indefinitely when it is the newest. A version with no `effective from`
//! has no start: it is in force from the beginning of time, and a warning says so when
//! other versions are dated.

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use waymark_ir::{Date, Unit};

use crate::{OpenError, Ruleset};

/// One loaded version.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The file it came from.
    pub path: PathBuf,
    /// The rules.
    pub rules: Ruleset,
    /// First day in force.
    pub from: Option<Date>,
    /// Last day in force as written (`until`).
    pub until: Option<Date>,
}

/// A problem with the effective periods in a registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodProblem {
    /// `gap`, `overlap`, `duplicate` or `undated`.
    pub kind: &'static str,
    /// The ruleset id.
    pub id: String,
    /// Error (`gap`, `overlap` and `duplicate`) or warning (`undated`).
    pub severity: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

/// Every version of every ruleset in a folder.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: Vec<Entry>,
}

/// A version of a ruleset the registry could not load.
#[derive(Debug, Clone)]
pub struct LoadProblem {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub error: OpenError,
}

impl Registry {
    /// Loads every `.wm` and `.wmc` file under `dir` (recursively). Files that do not load
    /// are returned beside the registry, all of them, so nothing is silently skipped.
    pub fn open(
        dir: &Path,
        key: Option<&VerifyingKey>,
    ) -> Result<(Registry, Vec<LoadProblem>), String> {
        let mut files = Vec::new();
        walk(dir, &mut files)
            .map_err(|e| format!("cannot read registry {}: {e}", dir.display()))?;
        files.sort();
        let mut registry = Registry::default();
        let mut problems = Vec::new();
        for path in files {
            let is_artifact = path.extension().is_some_and(|e| e == "wmc");
            // Source files are verified by the agency's own check; a key applies to artifacts.
            let key = if is_artifact { key } else { None };
            match Ruleset::open(&path, key) {
                Ok(rules) => registry.push(path, rules),
                Err(error) => problems.push(LoadProblem { path, error }),
            }
        }
        Ok((registry, problems))
    }

    /// Adds a version.
    pub fn push(&mut self, path: PathBuf, rules: Ruleset) {
        let meta = &rules.checked().meta;
        let (from, until) = (meta.effective_from, meta.effective_until);
        self.entries.push(Entry {
            path,
            rules,
            from,
            until,
        });
    }

    /// Every version loaded, in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The distinct ruleset ids.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .entries
            .iter()
            .map(|e| e.rules.id().to_string())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The versions of one ruleset, earliest start first.
    pub fn versions(&self, id: &str) -> Vec<&Entry> {
        let mut v: Vec<&Entry> = self.entries.iter().filter(|e| e.rules.id() == id).collect();
        v.sort_by(|a, b| {
            a.from
                .cmp(&b.from)
                .then_with(|| a.rules.version().cmp(b.rules.version()))
        });
        v
    }

    /// The last day each version is in force (explicit `until`, else the day before the
    /// next version starts), in the order of [`Registry::versions`].
    fn ends(versions: &[&Entry]) -> Vec<Option<Date>> {
        versions
            .iter()
            .enumerate()
            .map(|(i, e)| {
                e.until.or_else(|| {
                    versions[i + 1..]
                        .iter()
                        .find_map(|n| n.from.filter(|f| Some(*f) > e.from))
                        .and_then(|f| f.shift(-1, Unit::Days))
                })
            })
            .collect()
    }

    /// The version of `id` in force on `date`. A date covered by no version, or by two,
    /// is an error naming the versions and their periods.
    pub fn as_of(&self, id: &str, date: Date) -> Result<&Entry, String> {
        let versions = self.versions(id);
        if versions.is_empty() {
            let ids = self.ids();
            let hint = waymark_diagnostics::did_you_mean(id, ids.iter().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(format!("the registry has no ruleset `{id}`{hint}"));
        }
        let ends = Registry::ends(&versions);
        let hits: Vec<&Entry> = versions
            .iter()
            .zip(&ends)
            .filter(|(e, end)| e.from.is_none_or(|f| f <= date) && end.is_none_or(|u| date <= u))
            .map(|(e, _)| *e)
            .collect();
        match hits.as_slice() {
            [one] => Ok(one),
            [] => Err(format!(
                "no version of `{id}` is in force on {date}; versions: {}",
                periods(&versions, &ends)
            )),
            many => Err(format!(
                "{} versions of `{id}` claim {date} (their periods overlap): {}",
                many.len(),
                many.iter()
                    .map(|e| format!("{} ({})", e.rules.version(), e.path.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// A version by id and version string, preferring the one whose source hash matches.
    pub fn find(&self, id: &str, version: &str, hash: Option<&str>) -> Option<&Entry> {
        let mut candidates = self
            .entries
            .iter()
            .filter(|e| e.rules.id() == id && e.rules.version() == version);
        match hash {
            Some(h) => candidates.find(|e| e.rules.hash() == h),
            None => candidates.next(),
        }
    }

    /// Gaps, overlaps, duplicate versions and undated versions, for every ruleset.
    pub fn check_periods(&self) -> Vec<PeriodProblem> {
        let mut problems = Vec::new();
        for id in self.ids() {
            let versions = self.versions(&id);
            let ends = Registry::ends(&versions);
            for (i, a) in versions.iter().enumerate() {
                for b in &versions[i + 1..] {
                    if a.rules.version() == b.rules.version() {
                        let same = a.rules.hash() == b.rules.hash();
                        problems.push(PeriodProblem {
                            kind: "duplicate",
                            id: id.clone(),
                            severity: "error",
                            message: format!(
                                "version {} appears twice ({} and {}){}",
                                a.rules.version(),
                                a.path.display(),
                                b.path.display(),
                                if same { "" } else { " with different rules" }
                            ),
                        });
                    }
                }
            }
            if versions.len() > 1 {
                for e in versions.iter().filter(|e| e.from.is_none()) {
                    problems.push(PeriodProblem {
                        kind: "undated",
                        id: id.clone(),
                        severity: "warning",
                        message: format!(
                            "version {} ({}) has no `effective from` date, so it is in force from the beginning",
                            e.rules.version(),
                            e.path.display()
                        ),
                    });
                }
            }
            for i in 0..versions.len().saturating_sub(1) {
                let (a, b) = (versions[i], versions[i + 1]);
                if a.rules.version() == b.rules.version() {
                    continue;
                }
                if a.from == b.from && a.until.is_none() {
                    // Neither ends before the other starts: both are in force from that day.
                    problems.push(PeriodProblem {
                        kind: "overlap",
                        id: id.clone(),
                        severity: "error",
                        message: format!(
                            "versions {} and {} both start {} and are both in force from then",
                            a.rules.version(),
                            b.rules.version(),
                            a.from
                                .map_or("at the beginning".to_string(), |d| format!("on {d}"))
                        ),
                    });
                    continue;
                }
                let (Some(end), Some(next)) = (ends[i], b.from) else {
                    continue;
                };
                if end >= next {
                    problems.push(PeriodProblem {
                        kind: "overlap",
                        id: id.clone(),
                        severity: "error",
                        message: format!(
                            "versions {} (until {end}) and {} (from {next}) are both in force from {next} to {}",
                            a.rules.version(),
                            b.rules.version(),
                            end.min(ends[i + 1].unwrap_or(end))
                        ),
                    });
                } else if end.shift(1, Unit::Days) != Some(next) {
                    let first = end.shift(1, Unit::Days).unwrap_or(end);
                    let last = next.shift(-1, Unit::Days).unwrap_or(next);
                    problems.push(PeriodProblem {
                        kind: "gap",
                        id: id.clone(),
                        severity: "error",
                        message: format!(
                            "no version is in force from {first} to {last}: version {} ends {end} and version {} starts {next}",
                            a.rules.version(),
                            b.rules.version()
                        ),
                    });
                }
            }
        }
        problems
    }
}

fn periods(versions: &[&Entry], ends: &[Option<Date>]) -> String {
    versions
        .iter()
        .zip(ends)
        .map(|(e, end)| {
            let from = e
                .from
                .map_or("the beginning".to_string(), |d| d.to_string());
            let until = end.map_or("open-ended".to_string(), |d| format!("until {d}"));
            format!("{} from {from} {until}", e.rules.version())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "wm" || e == "wmc") {
            out.push(path);
        }
    }
    Ok(())
}
