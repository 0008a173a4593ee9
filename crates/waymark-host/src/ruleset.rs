//! A ruleset compiled inside the component, with the facade's API.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value as Json};
use wasmtime::component::ResourceAny;

use crate::bindings::exports::waymark::engine::types::SourceFile;
use crate::error::fact_errors;
use crate::instance::{Live, classify};
use crate::{Component, ComponentInner, Diagnostic, Error, Value};

/// The most files one ruleset may import, directly or not, when read from disk.
const MAX_FILES: usize = 1000;

/// A ruleset compiled inside the component, with its parameter values bound. Cheap to
/// clone; `Send + Sync`.
///
/// It keeps its sources, so that after a trap or a limit (which drops the instance) the
/// next call rebuilds it in a fresh instance.
#[derive(Clone)]
pub struct Ruleset {
    inner: Arc<Inner>,
}

struct Inner {
    component: Component,
    /// The instance, shared with the rulesets made from this one by `with_params`.
    slot: Arc<Mutex<Slot>>,
    /// This ruleset's handle in the instance's table.
    key: u64,
    recipe: Recipe,
    id: String,
    version: String,
    hash: String,
    warnings: Vec<Diagnostic>,
}

/// How to build the ruleset in a fresh instance: compile or load, then each `with_params`
/// in turn.
#[derive(Clone)]
struct Recipe {
    origin: Origin,
    params: Vec<Vec<(String, String)>>,
}

/// Where the rules come from.
#[derive(Clone)]
enum Origin {
    /// Source files, compiled in the guest.
    Sources {
        files: Arc<Vec<SourceFile>>,
        root: String,
    },
    /// A built artifact, verified and loaded in the guest (with the public key, if any,
    /// that must have signed it).
    Artifact {
        bytes: Arc<Vec<u8>>,
        key: Option<[u8; 32]>,
    },
}

#[derive(Default)]
struct Slot {
    live: Option<Live>,
    next_key: u64,
}

impl Slot {
    /// Runs `f` on the live instance (making one first when there is none). When the guest
    /// traps or hits a limit, the instance is dropped and the error is typed.
    fn run<R>(
        &mut self,
        c: &ComponentInner,
        f: impl FnOnce(&mut Live) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        let live = match &mut self.live {
            Some(live) => live,
            none => none.insert(Live::new(c)?),
        };
        match f(live) {
            Ok(r) => Ok(r),
            Err(e) => {
                let refused = live.refused_memory();
                self.live = None;
                Err(classify(e, refused))
            }
        }
    }

    fn key(&mut self) -> u64 {
        self.next_key += 1;
        self.next_key
    }
}

fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    match slot.lock() {
        Ok(g) => g,
        Err(poisoned) => {
            // A panic during a call: the instance may be half-way through one, so drop it.
            let mut g = poisoned.into_inner();
            g.live = None;
            g
        }
    }
}

type Outcome<T> = wasmtime::Result<Result<T, Error>>;

/// Builds the ruleset in `live` from its recipe, or from `parent`'s handle when only the
/// last `with_params` is missing.
fn build(
    live: &mut Live,
    c: &ComponentInner,
    recipe: &Recipe,
    parent: Option<ResourceAny>,
) -> Outcome<ResourceAny> {
    let (mut handle, stages, owned) = match (parent, recipe.params.split_last()) {
        (Some(p), Some((last, _))) => (p, std::slice::from_ref(last), false),
        _ => {
            live.arm(&c.options)?;
            let engine = live.api.waymark_engine_engine();
            let made = match &recipe.origin {
                Origin::Sources { files, root } => {
                    engine.call_compile(&mut live.store, files, root)?
                }
                Origin::Artifact { bytes, key } => engine.call_from_artifact(
                    &mut live.store,
                    bytes,
                    key.as_ref().map(|k| k.as_slice()),
                )?,
            };
            match made {
                Ok(h) => (h, recipe.params.as_slice(), true),
                Err(d) => {
                    return Ok(Err(Error::Diagnostics(
                        d.into_iter().map(Diagnostic::from).collect(),
                    )));
                }
            }
        }
    };
    let mut owned = owned;
    for stage in stages {
        live.arm(&c.options)?;
        let next = live
            .api
            .waymark_engine_engine()
            .ruleset()
            .call_with_params(&mut live.store, handle, stage)?;
        if owned {
            live.arm(&c.options)?;
            handle.resource_drop(&mut live.store)?;
        }
        match next {
            Ok(h) => {
                handle = h;
                owned = true;
            }
            Err(e) => return Ok(Err(Error::Facts(fact_errors(e)))),
        }
    }
    Ok(Ok(handle))
}

impl Ruleset {
    /// Reads a ruleset file and its imports from disk and compiles them in the process's
    /// [`Component::global`], like [`waymark::Ruleset::from_path`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Ruleset, Error> {
        Component::global()?.from_path(path)
    }

    /// Compiles in-memory files (root and imports) in the process's
    /// [`Component::global`], like [`waymark::Ruleset::from_sources`].
    pub fn from_sources(root: &str, files: &[(String, String)]) -> Result<Ruleset, Error> {
        Component::global()?.from_sources(root, files)
    }

    pub(crate) fn compile_in(
        component: Component,
        root: &str,
        files: &[(String, String)],
    ) -> Result<Ruleset, Error> {
        let files = files
            .iter()
            .map(|(p, t)| SourceFile {
                path: p.clone(),
                text: t.clone(),
            })
            .collect();
        Ruleset::fresh(
            component,
            Origin::Sources {
                files: Arc::new(files),
                root: root.to_string(),
            },
        )
    }

    /// Loads a built artifact in the process's [`Component::global`], like
    /// [`waymark::Ruleset::from_artifact`]: the guest verifies it.
    pub fn from_artifact(
        bytes: &[u8],
        key: Option<&waymark::artifact::VerifyingKey>,
    ) -> Result<Ruleset, Error> {
        Component::global()?.from_artifact(bytes, key)
    }

    pub(crate) fn load_in(
        component: Component,
        bytes: &[u8],
        key: Option<&waymark::artifact::VerifyingKey>,
    ) -> Result<Ruleset, Error> {
        Ruleset::fresh(
            component,
            Origin::Artifact {
                bytes: Arc::new(bytes.to_vec()),
                key: key.map(|k| k.to_bytes()),
            },
        )
    }

    /// Builds a ruleset from `origin`, with no parameters set, in an instance of its own.
    fn fresh(component: Component, origin: Origin) -> Result<Ruleset, Error> {
        let recipe = Recipe {
            origin,
            params: Vec::new(),
        };
        Ruleset::make(
            component,
            Arc::new(Mutex::new(Slot::default())),
            recipe,
            None,
        )
    }

    pub(crate) fn read_in(component: Component, root: &Path) -> Result<Ruleset, Error> {
        let slot = Arc::new(Mutex::new(Slot::default()));
        let root_name = root.to_string_lossy().into_owned();
        let mut files = Vec::new();
        let mut seen = BTreeSet::new();
        let mut queue = vec![root_name.clone()];
        {
            let mut guard = lock(&slot);
            let c = &component.inner;
            while let Some(path) = queue.pop() {
                if files.len() >= MAX_FILES || !seen.insert(path.clone()) {
                    continue;
                }
                let text = match std::fs::read_to_string(&path) {
                    Ok(t) => t,
                    Err(e) if path == root_name => {
                        return Err(Error::Io {
                            path,
                            message: e.to_string(),
                        });
                    }
                    // The compile reports the import that cannot be read, where it is written.
                    Err(_) => continue,
                };
                let file = SourceFile { path, text };
                let imports = guard.run(c, |live| {
                    live.arm(&c.options)?;
                    live.api
                        .waymark_engine_engine()
                        .call_imports(&mut live.store, &file)
                })?;
                queue.extend(imports.into_iter().rev());
                files.push(file);
            }
        }
        let recipe = Recipe {
            origin: Origin::Sources {
                files: Arc::new(files),
                root: root_name,
            },
            params: Vec::new(),
        };
        Ruleset::make(component, slot, recipe, None)
    }

    /// Builds the ruleset in `slot`'s instance and reads its id, version, hash and warnings.
    fn make(
        component: Component,
        slot: Arc<Mutex<Slot>>,
        recipe: Recipe,
        parent: Option<u64>,
    ) -> Result<Ruleset, Error> {
        let mut guard = lock(&slot);
        let key = guard.key();
        let c = &component.inner;
        let meta = guard.run(c, |live| {
            let parent = parent.and_then(|p| live.handles.get(&p).copied());
            let handle = match build(live, c, &recipe, parent)? {
                Ok(h) => h,
                Err(e) => return Ok(Err(e)),
            };
            live.handles.insert(key, handle);
            live.arm(&c.options)?;
            let api = live.api.waymark_engine_engine().ruleset();
            let id = api.call_id(&mut live.store, handle)?;
            let version = api.call_version(&mut live.store, handle)?;
            let hash = api.call_hash(&mut live.store, handle)?;
            let warnings = api.call_warnings(&mut live.store, handle)?;
            Ok(Ok((id, version, hash, warnings)))
        });
        drop(guard);
        let (id, version, hash, warnings) = meta.and_then(|r| r)?;
        let warnings = warnings.into_iter().map(Diagnostic::from).collect();
        Ok(Ruleset {
            inner: Arc::new(Inner {
                component,
                slot,
                key,
                recipe,
                id,
                version,
                hash,
                warnings,
            }),
        })
    }

    /// Runs `f` with this ruleset's handle in a live instance, rebuilding it first when the
    /// instance is fresh.
    fn call<R>(
        &self,
        f: impl FnOnce(&mut Live, ResourceAny) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        let inner = &self.inner;
        let c = &inner.component.inner;
        let mut guard = lock(&inner.slot);
        let r = guard.run(c, |live| {
            let handle = match live.handles.get(&inner.key) {
                Some(h) => *h,
                None => match build(live, c, &inner.recipe, None)? {
                    Ok(h) => {
                        live.handles.insert(inner.key, h);
                        h
                    }
                    Err(e) => return Ok(Err(e)),
                },
            };
            live.arm(&c.options)?;
            f(live, handle).map(Ok)
        });
        r.and_then(|r| r)
    }

    /// The same rules with some parameters overridden (JSON values by parameter name), in
    /// the same instance. Every problem is reported, as [`Error::Facts`].
    pub fn with_params(&self, overrides: &[(String, Json)]) -> Result<Ruleset, Error> {
        let stage: Vec<(String, String)> = overrides
            .iter()
            .map(|(n, v)| (n.clone(), v.to_string()))
            .collect();
        let mut recipe = self.inner.recipe.clone();
        recipe.params.push(stage);
        Ruleset::make(
            self.inner.component.clone(),
            Arc::clone(&self.inner.slot),
            recipe,
            Some(self.inner.key),
        )
    }

    /// The ruleset id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The version.
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// The SHA-256 of every source file, as `sha256:` and hex.
    pub fn hash(&self) -> &str {
        &self.inner.hash
    }

    /// Warnings found while checking.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.inner.warnings
    }

    /// The component it runs in.
    pub fn component(&self) -> &Component {
        &self.inner.component
    }

    /// Reads JSON facts and evaluates them, like [`waymark::Ruleset::evaluate_json`].
    pub fn evaluate_json(&self, facts: &Json, explain: bool) -> Result<waymark::Decision, Error> {
        decision(&self.evaluate_json_str(&facts.to_string(), explain)?)
    }

    /// Evaluates facts written as a JSON object; the decision exactly as the component
    /// wrote it (the bytes the native `serde_json::to_string(&decision)` gives).
    pub fn evaluate_json_str(&self, facts: &str, explain: bool) -> Result<String, Error> {
        self.call(|live, h| {
            live.api
                .waymark_engine_engine()
                .ruleset()
                .call_evaluate_json(&mut live.store, h, facts, explain)
        })?
        .map_err(Error::from)
    }

    /// Evaluates many cases in one call into the guest: one result per case, in order. The
    /// outer error is a limit or trap that stopped the whole batch (the fuel and deadline
    /// cover the whole call).
    pub fn evaluate_batch_json(
        &self,
        cases: &[String],
        explain: bool,
    ) -> Result<Vec<Result<String, Error>>, Error> {
        let results = self.call(|live, h| {
            live.api
                .waymark_engine_engine()
                .ruleset()
                .call_evaluate_batch_json(&mut live.store, h, cases, explain)
        })?;
        Ok(results
            .into_iter()
            .map(|r| r.map_err(Error::from))
            .collect())
    }

    /// Evaluates typed facts (input name and [`Value`]); the decision as JSON. The same
    /// decision as the JSON object the values stand for (see `value` in the WIT file).
    pub fn evaluate_typed(
        &self,
        facts: &[(String, Value)],
        explain: bool,
    ) -> Result<String, Error> {
        self.call(|live, h| {
            live.api.waymark_engine_engine().ruleset().call_evaluate(
                &mut live.store,
                h,
                facts,
                explain,
            )
        })?
        .map_err(Error::from)
    }

    /// Runs the ruleset's own tests, like [`waymark::Ruleset::run_tests`].
    pub fn run_tests(&self) -> Result<waymark::TestReport, Error> {
        test_report(&self.run_tests_json()?)
    }

    /// The test report as the component wrote it.
    pub fn run_tests_json(&self) -> Result<String, Error> {
        self.call(|live, h| {
            live.api
                .waymark_engine_engine()
                .ruleset()
                .call_run_tests(&mut live.store, h)
        })
    }

    /// The JSON Schema (2020-12) of this ruleset's inputs, like [`waymark::Ruleset::schema`].
    pub fn schema(&self) -> Result<Json, Error> {
        let text = self.call(|live, h| {
            live.api
                .waymark_engine_engine()
                .ruleset()
                .call_schema(&mut live.store, h)
        })?;
        serde_json::from_str(&text).map_err(|e| Error::Internal(format!("schema: {e}")))
    }
}

impl std::fmt::Debug for Ruleset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ruleset")
            .field("id", &self.inner.id)
            .field("version", &self.inner.version)
            .field("hash", &self.inner.hash)
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let mut guard = lock(&self.slot);
        let options = &self.component.inner.options;
        let Some(live) = guard.live.as_mut() else {
            return;
        };
        let Some(handle) = live.handles.remove(&self.key) else {
            return;
        };
        if live
            .arm(options)
            .and_then(|()| handle.resource_drop(&mut live.store))
            .is_err()
        {
            guard.live = None;
        }
    }
}

/// The facade's `Decision` from the component's JSON.
fn decision(text: &str) -> Result<waymark::Decision, Error> {
    #[derive(serde::Deserialize)]
    struct D {
        ruleset: R,
        #[serde(default)]
        profile: Option<String>,
        params: Map<String, Json>,
        outcome: Map<String, Json>,
        explanation: Option<Json>,
    }
    #[derive(serde::Deserialize)]
    struct R {
        id: String,
        version: String,
        hash: String,
    }
    let d: D = serde_json::from_str(text).map_err(|e| Error::Internal(format!("decision: {e}")))?;
    Ok(waymark::Decision {
        ruleset: waymark::RulesetRef {
            id: d.ruleset.id,
            version: d.ruleset.version,
            hash: d.ruleset.hash,
        },
        profile: d.profile,
        params: d.params,
        outcome: d.outcome,
        explanation: d.explanation,
    })
}

/// The facade's `TestReport` from the component's JSON.
fn test_report(text: &str) -> Result<waymark::TestReport, Error> {
    #[derive(serde::Deserialize)]
    struct Report {
        ruleset: String,
        tests: Vec<Outcome>,
    }
    #[derive(serde::Deserialize)]
    struct Outcome {
        name: String,
        passed: bool,
        failures: Vec<(String, Json, Json)>,
        explanation: Option<Json>,
        line: usize,
    }
    let r: Report =
        serde_json::from_str(text).map_err(|e| Error::Internal(format!("test report: {e}")))?;
    Ok(waymark::TestReport {
        ruleset: r.ruleset,
        tests: r
            .tests
            .into_iter()
            .map(|t| waymark::TestOutcome {
                name: t.name,
                passed: t.passed,
                failures: t.failures,
                explanation: t.explanation,
                line: t.line,
            })
            .collect(),
    })
}
