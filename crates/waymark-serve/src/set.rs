//! The loaded set: every version of every ruleset under the configured folders, the source
//! files beside them (so posted rulesets can import them), the corpora, and how a request
//! chooses a version.
//!
//! A set is loaded whole and never changed; a reload builds a new one beside it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use waymark::profile::Profile;
use waymark::registry::{Entry, Registry};
use waymark_ir::Date;

use crate::Config;
use crate::error::ApiError;
use crate::metrics::RulesetMetrics;

/// A corpus of cases, one JSON object a line.
#[derive(Debug, Clone)]
pub(crate) struct Corpus {
    pub name: String,
    pub path: PathBuf,
    pub lines: u64,
}

/// Everything loaded from the configured folders.
pub(crate) struct Set {
    /// Every version, from every folder.
    pub registry: Registry,
    /// The folder each entry came from (same order as the registry's entries).
    pub folders: Vec<PathBuf>,
    /// Entry indices by ruleset id.
    pub by_id: HashMap<String, Vec<usize>>,
    /// Every `.wm` file under the folders, by path relative to its folder.
    pub files: HashMap<PathBuf, String>,
    /// The corpora by name.
    pub corpora: Vec<Corpus>,
    /// The profile in force.
    pub profile: Option<Profile>,
    /// Metrics handles per ruleset id (attached by the service once loaded).
    pub metrics: HashMap<String, RulesetMetrics>,
    /// Counts reloads: 0 for the set loaded at start.
    pub generation: u64,
}

/// The version a request chose, and the date it was chosen for (when chosen by date).
pub(crate) struct Chosen<'a> {
    pub entry: &'a Entry,
    pub as_of: Option<String>,
}

/// Today's date (UTC), for "the version in force now".
pub(crate) fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    Date(i32::try_from(days).unwrap_or(0))
}

/// Loads a whole set; every problem is listed when any ruleset does not load.
pub(crate) fn load(config: &Config) -> Result<Set, Vec<String>> {
    let mut problems = Vec::new();
    let key = match &config.verify_key {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| waymark::artifact::verifying_key_from_hex(&t).map_err(|e| e.to_string()))
        {
            Ok(k) => Some(k),
            Err(e) => return Err(vec![format!("key `{}`: {e}", p.display())]),
        },
        None => None,
    };
    let profile = match &config.profile {
        Some(p) => match Profile::from_path(p) {
            Ok(profile) => Some(profile),
            Err(e) => return Err(e.0),
        },
        None => None,
    };
    let mut folders: Vec<PathBuf> = Vec::new();
    for f in config.rulesets.iter().chain(&config.registry) {
        if !folders.contains(f) {
            folders.push(f.clone());
        }
    }
    let mut registry = Registry::default();
    let mut origin = Vec::new();
    let mut files = HashMap::new();
    for folder in &folders {
        let (reg, not_loaded) = match Registry::open(folder, key.as_ref()) {
            Ok(x) => x,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        for p in not_loaded {
            problems.push(open_problem(&p.path, &p.error));
        }
        for e in reg.entries() {
            let rules = match profile.as_ref().filter(|p| applies(p, e)) {
                Some(p) => match p.apply(&e.rules) {
                    Ok(r) => r,
                    Err(err) => {
                        for m in err.0 {
                            problems.push(format!("{}: profile: {m}", e.path.display()));
                        }
                        continue;
                    }
                },
                None => e.rules.clone(),
            };
            registry.push(e.path.clone(), rules);
            origin.push(folder.clone());
        }
        let mut wm = Vec::new();
        if let Err(e) = walk(folder, &mut wm, "wm") {
            problems.push(format!("cannot read `{}`: {e}", folder.display()));
        }
        for path in wm {
            let Ok(rel) = path.strip_prefix(folder) else {
                continue;
            };
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    files.entry(waymark_check::normalize(rel)).or_insert(text);
                }
                Err(e) => problems.push(format!("cannot read `{}`: {e}", path.display())),
            }
        }
    }
    for p in registry.check_periods() {
        if p.severity == "error" {
            problems.push(format!("{}: {}", p.id, p.message));
        }
    }
    // Every dated version must be the one version in force on its first day (this also
    // catches two open-ended versions starting the same day).
    for id in registry.ids() {
        for e in registry.versions(&id) {
            if let Some(start) = e.from
                && let Err(m) = registry.as_of(&id, start)
            {
                let m = format!("{id}: {m}");
                if !problems.contains(&m) {
                    problems.push(m);
                }
            }
        }
    }
    if let Some(p) = &profile {
        let all: Vec<waymark::Ruleset> =
            registry.entries().iter().map(|e| e.rules.clone()).collect();
        for m in p.validate(&all) {
            // A version pinned by the profile that is loaded, with its parameters valid, is
            // all that matters here; the parameters were applied above.
            if m.contains(".version: version") {
                problems.push(format!("profile: {m}"));
            }
        }
    }
    let mut corpora = Vec::new();
    for dir in &config.corpora {
        let mut found = Vec::new();
        if let Err(e) = walk(dir, &mut found, "jsonl") {
            problems.push(format!("cannot read corpora `{}`: {e}", dir.display()));
        }
        found.sort();
        for path in found {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            if corpora.iter().any(|c: &Corpus| c.name == name) {
                continue;
            }
            match count_lines(&path) {
                Ok(lines) => corpora.push(Corpus { name, path, lines }),
                Err(e) => problems.push(format!("cannot read `{}`: {e}", path.display())),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, e) in registry.entries().iter().enumerate() {
        by_id.entry(e.rules.id().to_string()).or_default().push(i);
    }
    Ok(Set {
        registry,
        folders: origin,
        by_id,
        files,
        corpora,
        profile,
        metrics: HashMap::new(),
        generation: 0,
    })
}

/// A profile applies to the versions of the rulesets it names, except versions other than
/// the one it pins.
fn applies(p: &Profile, e: &Entry) -> bool {
    p.rulesets
        .get(e.rules.id())
        .is_some_and(|s| s.version.as_deref().is_none_or(|v| v == e.rules.version()))
}

fn open_problem(path: &Path, error: &waymark::OpenError) -> String {
    match error {
        waymark::OpenError::Diagnostics(d) => {
            let rendered: Vec<String> =
                d.0.iter()
                    .filter(|d| d.is_error())
                    .map(|d| waymark_diagnostics::render(d, false))
                    .collect();
            format!(
                "{} does not check:\n{}",
                path.display(),
                rendered.join("\n")
            )
        }
        other => format!("{} does not load: {other}", path.display()),
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, ext: &str) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out, ext)?;
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    Ok(())
}

fn count_lines(path: &Path) -> std::io::Result<u64> {
    use std::io::BufRead;
    let file = std::fs::File::open(path)?;
    let mut n = 0;
    for line in std::io::BufReader::new(file).lines() {
        if !line?.trim().is_empty() {
            n += 1;
        }
    }
    Ok(n)
}

impl Set {
    /// The versions of `id`, earliest start first, or 404 naming the nearest id.
    pub fn versions(&self, id: &str) -> Result<Vec<&Entry>, ApiError> {
        if !self.by_id.contains_key(id) {
            let hint = waymark_diagnostics::did_you_mean(id, self.by_id.keys().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(ApiError::not_found(format!(
                "no ruleset `{id}` is loaded{hint}"
            )));
        }
        Ok(self.registry.versions(id))
    }

    /// The version a request asks for: by `version`, by `as_of` date, or else the version
    /// the profile pins, the version in force today, or the newest.
    pub fn choose(
        &self,
        id: &str,
        version: Option<&str>,
        as_of: Option<Date>,
    ) -> Result<Chosen<'_>, ApiError> {
        let Some(indices) = self.by_id.get(id) else {
            return Err(self
                .versions(id)
                .err()
                .unwrap_or_else(|| ApiError::not_found(format!("no ruleset `{id}` is loaded"))));
        };
        // The common case: one version and nothing asked for.
        if let ([only], None, None) = (indices.as_slice(), version, as_of)
            && let Some(entry) = self.registry.entries().get(*only)
            && self.pinned(id).is_none()
        {
            let date = today();
            let in_force =
                entry.from.is_none_or(|f| f <= date) && entry.until.is_none_or(|u| date <= u);
            return Ok(Chosen {
                entry,
                as_of: in_force.then(|| date.to_string()),
            });
        }
        if let Some(v) = version {
            return match self.registry.find(id, v, None) {
                Some(entry) => Ok(Chosen { entry, as_of: None }),
                None => {
                    let loaded: Vec<&str> = self
                        .registry
                        .versions(id)
                        .iter()
                        .map(|e| e.rules.version())
                        .collect();
                    Err(ApiError::not_found(format!(
                        "version `{v}` of `{id}` is not loaded (loaded: {})",
                        loaded.join(", ")
                    )))
                }
            };
        }
        if let Some(date) = as_of {
            return match self.registry.as_of(id, date) {
                Ok(entry) => Ok(Chosen {
                    entry,
                    as_of: Some(date.to_string()),
                }),
                Err(m) => Err(ApiError::not_found(m)),
            };
        }
        if let Some(v) = self.pinned(id)
            && let Some(entry) = self.registry.find(id, v, None)
        {
            return Ok(Chosen { entry, as_of: None });
        }
        let date = today();
        if let Ok(entry) = self.registry.as_of(id, date) {
            return Ok(Chosen {
                entry,
                as_of: Some(date.to_string()),
            });
        }
        match self.registry.versions(id).last() {
            Some(entry) => Ok(Chosen { entry, as_of: None }),
            None => Err(ApiError::not_found(format!("no ruleset `{id}` is loaded"))),
        }
    }

    fn pinned(&self, id: &str) -> Option<&str> {
        self.profile.as_ref()?.rulesets.get(id)?.version.as_deref()
    }

    /// The folder an entry came from.
    pub fn folder_of(&self, entry: &Entry) -> Option<&Path> {
        self.registry
            .entries()
            .iter()
            .position(|e| std::ptr::eq(e, entry))
            .and_then(|i| self.folders.get(i))
            .map(PathBuf::as_path)
    }

    /// Whether decision records are redacted under the profile.
    pub fn redact(&self) -> bool {
        self.profile.as_ref().is_some_and(|p| p.records.redact)
    }
}
