//! One property, both engines: the native one and the WebAssembly component.
//!
//! [`Engines`] evaluates the same facts with the native [`waymark::Ruleset`] and with the
//! component under wasmtime ([`waymark_host`]), and requires the same decision from both.
//! When the component file is not built, the WebAssembly engine is skipped with a message
//! on standard error (once per process) saying where it was looked for; a component that
//! exists but does not load is an error, never a silent skip.

use std::sync::Once;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};
use serde_json::Value as Json;
use waymark_host::EngineKind;

/// A problem running an engine (not a property failure).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The native engine refused the facts.
    #[error("the native engine refused the facts: {0}")]
    Facts(#[from] waymark::FactErrors),
    /// The WebAssembly engine failed.
    #[error("the WebAssembly engine failed: {0}")]
    Wasm(#[from] waymark_host::Error),
}

/// The native engine and, when its component is built, the WebAssembly one, for one
/// ruleset with its parameter values.
#[derive(Clone, Debug)]
pub struct Engines {
    native: waymark::Ruleset,
    wasm: Option<waymark_host::Ruleset>,
    skipped: Option<String>,
}

impl Engines {
    /// Both engines for `rules`, or the native one alone (with [`Engines::skipped`] saying
    /// why) when the component file does not exist.
    pub fn new(rules: &waymark::Ruleset) -> Result<Engines, EngineError> {
        let path = waymark_host::component_path();
        if !path.is_file() {
            let why = format!(
                "skipping the WebAssembly engine: no component at `{}` (build it with `bash scripts/component`, or set WAYMARK_COMPONENT)",
                path.display()
            );
            static SAID: Once = Once::new();
            SAID.call_once(|| eprintln!("waymark-testkit: {why}"));
            return Ok(Engines {
                native: rules.clone(),
                wasm: None,
                skipped: Some(why),
            });
        }
        let wasm = waymark_host::Component::global()?.from_native(rules)?;
        Ok(Engines {
            native: rules.clone(),
            wasm: Some(wasm),
            skipped: None,
        })
    }

    /// Why the WebAssembly engine is not run, if it is not.
    pub fn skipped(&self) -> Option<&str> {
        self.skipped.as_deref()
    }

    /// The engines that run.
    pub fn kinds(&self) -> Vec<EngineKind> {
        let mut k = vec![EngineKind::Native];
        if self.wasm.is_some() {
            k.push(EngineKind::Wasm);
        }
        k
    }

    /// The decision of every engine for these facts (without explanations).
    pub fn evaluate(
        &self,
        facts: &Json,
    ) -> Result<Vec<(EngineKind, waymark::Decision)>, EngineError> {
        let mut out = vec![(EngineKind::Native, self.native.evaluate_json(facts, false)?)];
        if let Some(w) = &self.wasm {
            out.push((EngineKind::Wasm, w.evaluate_json(facts, false)?));
        }
        Ok(out)
    }

    /// Runs `property` on the decision of every engine for these facts, and requires the
    /// engines to agree. The error names the engine and the facts.
    pub fn check<F>(&self, facts: &Json, mut property: F) -> Result<(), String>
    where
        F: FnMut(&waymark::Decision) -> Result<(), String>,
    {
        let decisions = self
            .evaluate(facts)
            .map_err(|e| format!("{e}\nfacts: {facts}"))?;
        for (kind, d) in &decisions {
            property(d).map_err(|e| format!("{e}\nengine: {kind}\nfacts: {facts}"))?;
        }
        if let [(_, native), (_, wasm)] = decisions.as_slice()
            && native.outcome != wasm.outcome
        {
            return Err(format!(
                "the engines disagree\nnative: {}\nwasm:   {}\nfacts: {facts}",
                Json::Object(native.outcome.clone()),
                Json::Object(wasm.outcome.clone())
            ));
        }
        Ok(())
    }
}

/// Checks `property` on `config.cases` generated facts ([`crate::mixed_facts`]) with both
/// engines (see [`Engines`]); on failure, proptest shrinks the facts and the error holds the
/// smallest failing facts and the message.
pub fn check_engines<F>(
    rules: &waymark::Ruleset,
    config: Config,
    property: F,
) -> Result<Vec<EngineKind>, TestError<Json>>
where
    F: Fn(&waymark::Decision) -> Result<(), String>,
{
    let engines = Engines::new(rules).map_err(|e| TestError::Abort(e.to_string().into()))?;
    let mut runner = TestRunner::new(config);
    runner.run(&crate::mixed_facts(rules), |facts| {
        engines
            .check(&facts, &property)
            .map_err(TestCaseError::fail)
    })?;
    Ok(engines.kinds())
}
