//! Waymark: versioned, explainable rules for risk identification, service eligibility and
//! referral pathways. This crate is the one public Rust API.
//!
//! ```
//! use waymark::Ruleset;
//!
//! let source = r#"
//! ruleset demo.threshold version 1.0.0
//!   title "A threshold with a local parameter"
//!
//! enum level ordered { standard, high }
//! input q1: answer "Injury in the current incident"
//! input q2: answer "Victim very frightened"
//! input q3: answer "Threats to kill"
//! param threshold: int in 1..3 = 2 "Yes answers needed"
//! let yes_count = count yes in [q1..q3]
//! output risk: level "Risk level" default standard
//! rule enough "Enough yes answers" {
//!   when yes_count >= threshold
//!   set risk to high
//! }
//! "#;
//! let rules = Ruleset::from_sources("demo.wm", &[("demo.wm".into(), source.into())])?;
//! let facts = serde_json::json!({"q1": "yes", "q2": "unknown", "q3": "no"});
//! let decision = rules.evaluate_json(&facts, true)?;
//! // One yes answer, two needed, and the unanswered q2 could still change it.
//! assert_eq!(decision.outcome["risk"], "standard");
//! let why = decision.explanation.as_ref().expect("asked for");
//! assert_eq!(why["nearest_misses"][0]["text"], "yes_count is 1, needs >= 2");
//! assert_eq!(why["next_questions"][0]["input"], "q2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A [`Ruleset`] is compiled once and is `Send + Sync`: evaluate from as many threads as
//! you like. Bad facts give [`FactErrors`] listing every problem; a ruleset with mistakes
//! gives [`Diagnostics`] listing every diagnostic. Nothing panics on bad input.

pub mod artifact;
mod decision;
mod doc;
mod facts;
pub mod profile;
pub mod record;
pub mod registry;
mod stream;
mod testing;

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;

use ed25519_dalek::VerifyingKey;
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use waymark_check::{FsLoader, MemoryLoader, hir};
use waymark_diagnostics::Diagnostic;
use waymark_eval::{Facts, Loaded};
use waymark_ir::program::{ConstVal, Program, Ty};

pub use decision::{const_json, explanation_json, value_json};
pub use facts::{FactError, FactErrorKind, FactErrors};
pub use stream::CaseStream;
pub use testing::{TestOutcome, TestReport};
pub use waymark_check::hir as checked;
pub use waymark_compile::Limits as CompileLimits;
pub use waymark_diagnostics as diagnostics;
pub use waymark_eval::Facts as CaseFacts;
pub use waymark_eval::Scratch;
pub use waymark_ir::program as ir;

/// Why [`Ruleset::open`] could not load a ruleset.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OpenError {
    /// The file cannot be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        message: String,
    },
    /// The source does not check.
    #[error("{0}")]
    Diagnostics(Diagnostics),
    /// The artifact was refused.
    #[error("{path}: {error}")]
    Artifact {
        /// The path.
        path: String,
        /// Why.
        error: artifact::ArtifactError,
    },
}

/// Every diagnostic of a ruleset that did not check (at least one is an error).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the ruleset has {} error(s)", .0.iter().filter(|d| d.is_error()).count())]
pub struct Diagnostics(pub Vec<Diagnostic>);

/// A compiled, loaded ruleset with its parameter values bound.
#[derive(Debug, Clone)]
pub struct Ruleset {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    hir: Arc<hir::Ruleset>,
    loaded: Loaded,
    hash: String,
    warnings: Vec<Diagnostic>,
    profile: Option<String>,
    artifact: Option<artifact::ArtifactInfo>,
    limits: Limits,
}

/// Bounds on what Waymark accepts, so that a hostile or runaway ruleset or case is refused
/// with an error instead of exhausting the memory or stack of the system that embeds it.
/// The defaults are generous: the reference rulesets use a small fraction of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest total size of a ruleset's files (root and imports) given as text, in bytes.
    pub max_source_bytes: usize,
    /// How deeply formulas may nest, and how large the compiled program may grow.
    pub compile: CompileLimits,
    /// Most JSON values in one case's facts (every field, list item and nested value).
    pub max_fact_values: usize,
    /// Most items in one list fact.
    pub max_list_len: usize,
    /// Longest text fact, in bytes.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_source_bytes: 8 * 1024 * 1024,
            compile: CompileLimits::default(),
            max_fact_values: 10_000,
            max_list_len: 1_000,
            max_text_bytes: 64 * 1024,
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Vec<(usize, Scratch)>> = const { RefCell::new(Vec::new()) };
}

impl Ruleset {
    /// Checks and compiles a ruleset file and its imports from disk.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Ruleset, Diagnostics> {
        let check = waymark_check::check_path(path.as_ref(), &FsLoader);
        Ruleset::from_check(check, &Limits::default())
    }

    /// Checks and compiles a ruleset from in-memory files: the root's path, and every file
    /// (root and imports) as path and text.
    pub fn from_sources(root: &str, files: &[(String, String)]) -> Result<Ruleset, Diagnostics> {
        Ruleset::from_sources_with(root, files, &Limits::default())
    }

    /// [`Ruleset::from_sources`] within explicit [`Limits`]: text over the size limit, a
    /// formula nested too deeply or a program too large is refused with a diagnostic, and
    /// the rules keep the limits for the facts they are given later.
    pub fn from_sources_with(
        root: &str,
        files: &[(String, String)],
        limits: &Limits,
    ) -> Result<Ruleset, Diagnostics> {
        let total: usize = files.iter().map(|(_, t)| t.len()).sum();
        if total > limits.max_source_bytes {
            return Err(Diagnostics(vec![
                Diagnostic::new(
                    waymark_diagnostics::Code::LimitExceeded,
                    format!(
                        "the ruleset's files hold {total} bytes, more than the limit of {} bytes",
                        limits.max_source_bytes
                    ),
                )
                .with_primary(
                    waymark_diagnostics::Span::new(0, 0),
                    "the ruleset starts here",
                ),
            ]));
        }
        let loader = MemoryLoader::new(
            files
                .iter()
                .map(|(p, t)| (std::path::PathBuf::from(p), t.clone())),
        );
        let check = waymark_check::check_path(Path::new(root), &loader);
        Ruleset::from_check(check, limits)
    }

    /// Checks and compiles the ruleset at `root`, reading it and its imports through
    /// `loader` (for example posted text laid over files on disk), within `limits`. The
    /// files are read and checked once.
    pub fn from_loader(
        root: impl AsRef<Path>,
        loader: &dyn waymark_check::Loader,
        limits: &Limits,
    ) -> Result<Ruleset, Diagnostics> {
        let check = waymark_check::check_path(root.as_ref(), loader);
        Ruleset::from_check(check, limits)
    }

    fn from_check(check: waymark_check::Check, limits: &Limits) -> Result<Ruleset, Diagnostics> {
        let mut diagnostics = check.diagnostics;
        let Some(hir) = check.ruleset else {
            return Err(Diagnostics(diagnostics));
        };
        let program = match waymark_compile::compile_with(&hir, &limits.compile) {
            Ok(p) => p,
            Err(e) if e.limit => {
                let mut d = Diagnostic::new(waymark_diagnostics::Code::LimitExceeded, e.message)
                    .with_help("split the ruleset, or name parts of a long formula with `let`");
                if let Some(loc) = e.loc
                    && let Some(file) = hir.files.get(loc.file.0 as usize)
                {
                    d = d.with_primary(loc.span, "too deep here").in_file(file);
                }
                diagnostics.push(d);
                return Err(Diagnostics(diagnostics));
            }
            Err(e) => {
                diagnostics.push(Diagnostic::new(
                    waymark_diagnostics::Code::BadCall,
                    format!("cannot compile: {e}"),
                ));
                return Err(Diagnostics(diagnostics));
            }
        };
        let hash = content_hash(&hir);
        let loaded = match Loaded::new(program, &[]) {
            Ok(l) => l,
            Err(e) => {
                diagnostics.push(Diagnostic::new(
                    waymark_diagnostics::Code::BadCall,
                    e.to_string(),
                ));
                return Err(Diagnostics(diagnostics));
            }
        };
        Ok(Ruleset {
            inner: Arc::new(Inner {
                hir: Arc::new(hir),
                loaded,
                hash,
                warnings: diagnostics,
                profile: None,
                artifact: None,
                limits: *limits,
            }),
        })
    }

    /// The same rules with some parameters overridden (JSON values by parameter name).
    /// Every problem is reported.
    pub fn with_params(&self, overrides: &[(String, Json)]) -> Result<Ruleset, FactErrors> {
        let p = self.program();
        let mut errors = Vec::new();
        let mut bound: Vec<(usize, ConstVal)> = self
            .inner
            .loaded
            .params()
            .iter()
            .cloned()
            .enumerate()
            .collect();
        for (name, value) in overrides {
            let Some(i) = p.params.iter().position(|x| &x.name == name) else {
                let hint = waymark_diagnostics::did_you_mean(
                    name,
                    p.params.iter().map(|x| x.name.as_str()),
                )
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
                errors.push(FactError {
                    input: name.clone(),
                    kind: FactErrorKind::BadParam,
                    message: format!("`{name}` is not a parameter of this ruleset{hint}"),
                });
                continue;
            };
            let info = &p.params[i];
            if !info.overridable {
                errors.push(FactError {
                    input: name.clone(),
                    kind: FactErrorKind::BadParam,
                    message: format!("parameter `{name}` is set by the ruleset that imports it"),
                });
                continue;
            }
            match facts::convert(p, &info.ty, value) {
                Ok(ConstVal::Unknown) => errors.push(FactError {
                    input: name.clone(),
                    kind: FactErrorKind::BadParam,
                    message: format!("parameter `{name}` cannot be null"),
                }),
                Ok(c) if !facts::in_range(&c, &info.range) => errors.push(FactError {
                    input: name.clone(),
                    kind: FactErrorKind::OutOfRange,
                    message: format!(
                        "parameter `{name}` must be {}",
                        facts::range_words(&info.range)
                    ),
                }),
                Ok(c) => {
                    if let Some(slot) = bound.get_mut(i) {
                        slot.1 = c;
                    }
                }
                Err(m) => errors.push(FactError {
                    input: name.clone(),
                    kind: FactErrorKind::BadParam,
                    message: format!("parameter `{name}` {m}"),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(FactErrors(errors));
        }
        let loaded = self.inner.loaded.rebind(&bound).map_err(|e| {
            FactErrors(vec![FactError {
                input: String::new(),
                kind: FactErrorKind::BadParam,
                message: e.to_string(),
            }])
        })?;
        Ok(self.rebuilt(loaded, |_| {}))
    }

    /// The same rules with another loaded program, and whatever `f` changes.
    fn rebuilt(&self, loaded: Loaded, f: impl FnOnce(&mut Inner)) -> Ruleset {
        let mut inner = Inner {
            hir: Arc::clone(&self.inner.hir),
            loaded,
            hash: self.inner.hash.clone(),
            warnings: self.inner.warnings.clone(),
            profile: self.inner.profile.clone(),
            artifact: self.inner.artifact.clone(),
            limits: self.inner.limits,
        };
        f(&mut inner);
        Ruleset {
            inner: Arc::new(inner),
        }
    }

    /// The same rules, recording that an agency profile's parameters are in force.
    pub fn with_profile_name(&self, profile: Option<String>) -> Ruleset {
        self.rebuilt(self.inner.loaded.clone(), |i| i.profile = profile)
    }

    pub(crate) fn with_artifact(&self, info: artifact::ArtifactInfo) -> Ruleset {
        self.rebuilt(self.inner.loaded.clone(), |i| i.artifact = Some(info))
    }

    /// The same rules, reading facts within other [`Limits`] (the compile limits apply
    /// only when rules are built).
    pub fn with_limits(&self, limits: Limits) -> Ruleset {
        self.rebuilt(self.inner.loaded.clone(), |i| i.limits = limits)
    }

    /// The limits facts are read within.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The agency profile in force, if any.
    pub fn profile(&self) -> Option<&str> {
        self.inner.profile.as_deref()
    }

    /// When these rules were loaded from a built artifact: its hash and signer.
    pub fn artifact(&self) -> Option<&artifact::ArtifactInfo> {
        self.inner.artifact.as_ref()
    }

    /// Loads a ruleset from a file that is either source (`.wm`, with its imports) or a
    /// built artifact (recognised by its first bytes, whatever its name). With `key`, an
    /// artifact must be signed by it, and source is refused.
    pub fn open(path: impl AsRef<Path>, key: Option<&VerifyingKey>) -> Result<Ruleset, OpenError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| OpenError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if artifact::looks_like_artifact(&bytes) {
            return artifact::load(&bytes, key).map_err(|e| OpenError::Artifact {
                path: path.display().to_string(),
                error: e,
            });
        }
        if key.is_some() {
            return Err(OpenError::Artifact {
                path: path.display().to_string(),
                error: artifact::ArtifactError::Unsigned(
                    key.map(|k| artifact::hex(k.as_bytes())).unwrap_or_default(),
                ),
            });
        }
        Ruleset::from_path(path).map_err(OpenError::Diagnostics)
    }

    /// Loads a built artifact from bytes (see [`artifact`]).
    pub fn from_artifact(
        bytes: &[u8],
        key: Option<&VerifyingKey>,
    ) -> Result<Ruleset, artifact::ArtifactError> {
        artifact::load(bytes, key)
    }

    /// Builds an artifact of these rules with their parameters and profile.
    pub fn build_artifact(&self) -> Vec<u8> {
        artifact::build(self)
    }

    /// The compiled program.
    pub fn program(&self) -> &Program {
        self.inner.loaded.program()
    }

    /// The checked ruleset (for documentation, tests and properties).
    pub fn checked(&self) -> &hir::Ruleset {
        &self.inner.hir
    }

    /// Warnings found while checking.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.inner.warnings
    }

    /// The ruleset id.
    pub fn id(&self) -> &str {
        &self.program().meta.id
    }

    /// The version.
    pub fn version(&self) -> &str {
        &self.program().meta.version
    }

    /// The SHA-256 of every source file, as `sha256:` and hex.
    pub fn hash(&self) -> &str {
        &self.inner.hash
    }

    /// The loaded program with its parameters.
    pub fn loaded(&self) -> &Loaded {
        &self.inner.loaded
    }

    /// Reads a case's facts from JSON, reporting every problem.
    pub fn facts_from_json(&self, json: &Json) -> Result<Facts, FactErrors> {
        facts::from_json(self.program(), json, &self.inner.limits)
    }

    /// Evaluates facts with a scratch area of your own (the fastest path: no allocation
    /// once the scratch is warm). Read outputs with [`Ruleset::output_value`].
    pub fn run(&self, facts: &Facts, scratch: &mut Scratch) {
        self.inner.loaded.run(facts, scratch);
    }

    /// A scratch area for [`Ruleset::run`].
    pub fn scratch(&self) -> Scratch {
        self.inner.loaded.scratch()
    }

    /// Output `i`'s value after [`Ruleset::run`].
    pub fn output_value(&self, scratch: &Scratch, i: usize) -> waymark_ir::program::Val {
        self.inner.loaded.output(scratch, i)
    }

    fn with_scratch<R>(&self, f: impl FnOnce(&mut Scratch) -> R) -> R {
        let key = Arc::as_ptr(&self.inner) as usize;
        SCRATCH.with(|cell| {
            let mut cache = cell.borrow_mut();
            let pos = cache.iter().position(|(k, _)| *k == key);
            let mut scratch = match pos {
                Some(i) => cache.swap_remove(i).1,
                None => self.scratch(),
            };
            drop(cache);
            let r = f(&mut scratch);
            let mut cache = cell.borrow_mut();
            if cache.len() >= 8 {
                cache.remove(0);
            }
            cache.push((key, scratch));
            r
        })
    }

    /// Evaluates facts into a decision, with or without the explanation.
    pub fn evaluate(&self, facts: &Facts, explain: bool) -> Decision {
        self.with_scratch(|scratch| {
            self.run(facts, scratch);
            self.decision(facts, scratch, explain)
        })
    }

    /// Reads JSON facts and evaluates them.
    pub fn evaluate_json(&self, facts: &Json, explain: bool) -> Result<Decision, FactErrors> {
        let facts = self.facts_from_json(facts)?;
        Ok(self.evaluate(&facts, explain))
    }

    fn decision(&self, facts: &Facts, scratch: &Scratch, explain: bool) -> Decision {
        let l = &self.inner.loaded;
        let p = l.program();
        let mut outcome = Map::new();
        for (i, out) in p.outputs.iter().enumerate() {
            if out.public {
                outcome.insert(
                    out.name.clone(),
                    value_json(l, facts, &out.ty, l.output(scratch, i)),
                );
            }
        }
        let explanation = explain.then(|| explanation_json(l, facts, &l.explain(facts, scratch)));
        Decision {
            ruleset: RulesetRef {
                id: p.meta.id.clone(),
                version: p.meta.version.clone(),
                hash: self.inner.hash.clone(),
            },
            profile: self.inner.profile.clone(),
            params: self.params_json(),
            outcome,
            explanation,
        }
    }

    /// The parameter values in force, as JSON.
    pub fn params_json(&self) -> Map<String, Json> {
        let p = self.program();
        let mut params = Map::new();
        for (info, value) in p.params.iter().zip(self.inner.loaded.params()) {
            if info.overridable {
                params.insert(info.name.clone(), const_json(p, &info.ty, value));
            }
        }
        params
    }

    /// The JSON Schema (2020-12) of this ruleset's inputs.
    pub fn schema(&self) -> Json {
        let p = self.program();
        let mut properties = Map::new();
        let mut required = Vec::new();
        for input in &p.inputs {
            let mut s = schema_of(p, &input.ty);
            if let (Some(obj), Some(label)) = (s.as_object_mut(), &input.label) {
                obj.insert("title".into(), Json::String(label.clone()));
            }
            if let Some(obj) = s.as_object_mut() {
                if let Some(lo) = &input.range.0 {
                    obj.insert("minimum".into(), const_json(p, &Ty::Int, lo));
                }
                if let Some(hi) = &input.range.1 {
                    obj.insert("maximum".into(), const_json(p, &Ty::Int, hi));
                }
            }
            if input.optional {
                s = serde_json::json!({"anyOf": [s, {"type": "null"}]});
            } else {
                required.push(Json::String(input.name.clone()));
            }
            properties.insert(input.name.clone(), s);
        }
        serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": p.meta.title.clone().unwrap_or_else(|| p.meta.id.clone()),
            "description": format!("Facts for ruleset {} version {}", p.meta.id, p.meta.version),
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    }

    /// Documentation for policy reviewers, as Markdown.
    pub fn doc_markdown(&self) -> String {
        doc::markdown(&self.inner.hir)
    }

    /// Runs the ruleset's own tests.
    pub fn run_tests(&self) -> TestReport {
        testing::run(self)
    }
}

fn schema_of(p: &Program, ty: &Ty) -> Json {
    use serde_json::json;
    match ty {
        Ty::Answer => json!({"type": "string", "enum": ["yes", "no", "unknown"]}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Int => json!({"type": "integer"}),
        Ty::Number => json!({"type": ["number", "string"]}),
        Ty::Text => json!({"type": "string"}),
        Ty::Date => {
            json!({"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
        }
        Ty::Enum(e) => {
            json!({"type": "string", "enum": p.enums.get(*e as usize).map(|e| e.variants.clone()).unwrap_or_default()})
        }
        Ty::Set(e) => {
            json!({"type": "array", "uniqueItems": true, "items": schema_of(p, &Ty::Enum(*e))})
        }
        Ty::List(inner) => json!({"type": "array", "items": schema_of(p, inner)}),
    }
}

fn content_hash(hir: &hir::Ruleset) -> String {
    let mut h = Sha256::new();
    for f in &hir.files {
        h.update(f.text.as_bytes());
        h.update([0u8]);
    }
    format!("sha256:{}", artifact::hex(&h.finalize()))
}

/// Which ruleset made a decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RulesetRef {
    /// Ruleset id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Content hash.
    pub hash: String,
}

/// A decision: the outcome for every public output, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Decision {
    /// The ruleset that made it.
    pub ruleset: RulesetRef,
    /// The agency profile whose parameters were in force, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The parameter values in force.
    pub params: Map<String, Json>,
    /// Output name → value (`null` when undetermined).
    pub outcome: Map<String, Json>,
    /// Why, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Json>,
}

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn ruleset_is_send_and_sync() {
        assert_send_sync::<super::Ruleset>();
    }
}
