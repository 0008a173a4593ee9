//! Choosing the engine at run time (the CLI's `--engine native|wasm`).

use std::fmt;
use std::str::FromStr;

use serde_json::Value as Json;

use crate::{Component, Error, Ruleset};

/// Which engine evaluates: the native Rust one, or the WebAssembly component.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EngineKind {
    /// The `waymark` crate, in this process.
    #[default]
    Native,
    /// The component, under wasmtime with its limits.
    Wasm,
}

impl FromStr for EngineKind {
    type Err = String;

    fn from_str(s: &str) -> Result<EngineKind, String> {
        match s {
            "native" => Ok(EngineKind::Native),
            "wasm" => Ok(EngineKind::Wasm),
            other => Err(format!("unknown engine `{other}`: use `native` or `wasm`")),
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Native => "native",
            EngineKind::Wasm => "wasm",
        })
    }
}

/// A checked native ruleset, evaluated natively or through the component. Checking,
/// diagnostics and rendering stay native; only the evaluation moves.
#[derive(Clone, Debug)]
pub enum Evaluator {
    /// The native ruleset.
    Native(waymark::Ruleset),
    /// The same files and parameter values, compiled in the component.
    Wasm(Ruleset),
}

impl Evaluator {
    /// The evaluator of `kind` for a native ruleset (its files and its parameter values,
    /// overrides included). `Wasm` loads [`Component::global`].
    pub fn new(kind: EngineKind, rules: &waymark::Ruleset) -> Result<Evaluator, Error> {
        match kind {
            EngineKind::Native => Ok(Evaluator::Native(rules.clone())),
            EngineKind::Wasm => Component::global()?.from_native(rules).map(Evaluator::Wasm),
        }
    }

    /// Which engine this is.
    pub fn kind(&self) -> EngineKind {
        match self {
            Evaluator::Native(_) => EngineKind::Native,
            Evaluator::Wasm(_) => EngineKind::Wasm,
        }
    }

    /// Reads JSON facts and evaluates them. Bad facts are [`Error::Facts`] for both engines.
    pub fn evaluate_json(&self, facts: &Json, explain: bool) -> Result<waymark::Decision, Error> {
        match self {
            Evaluator::Native(r) => r.evaluate_json(facts, explain).map_err(Error::Facts),
            Evaluator::Wasm(r) => r.evaluate_json(facts, explain),
        }
    }

    /// Evaluates facts written as JSON text; the decision as JSON text, the same bytes for
    /// both engines (for `eval --cases`, a line at a time). Text that is not JSON is
    /// [`Error::BadJson`], with the same message for both engines.
    pub fn evaluate_json_text(&self, facts: &str, explain: bool) -> Result<String, Error> {
        match self {
            Evaluator::Native(r) => {
                let facts: Json =
                    serde_json::from_str(facts).map_err(|e| Error::BadJson(e.to_string()))?;
                let decision = r.evaluate_json(&facts, explain).map_err(Error::Facts)?;
                serde_json::to_string(&decision).map_err(|e| Error::Internal(e.to_string()))
            }
            Evaluator::Wasm(r) => r.evaluate_json_str(facts, explain),
        }
    }

    /// Runs the ruleset's own tests.
    pub fn run_tests(&self) -> Result<waymark::TestReport, Error> {
        match self {
            Evaluator::Native(r) => Ok(r.run_tests()),
            Evaluator::Wasm(r) => r.run_tests(),
        }
    }
}
