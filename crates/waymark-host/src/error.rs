//! Errors of the host: the component's own (diagnostics, bad facts) and the host's
//! (loading, limits, traps).

use std::fmt;

use crate::bindings::exports::waymark::engine::types as wit;

/// Everything that can go wrong running the component.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The component file is missing or invalid, or wasmtime cannot load it.
    #[error("cannot load the Waymark component `{path}`: {message}")]
    Load {
        /// The component file.
        path: String,
        /// Why.
        message: String,
    },
    /// A ruleset file cannot be read.
    #[error("cannot read `{path}`: {message}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The ruleset does not check: every diagnostic, warnings included.
    #[error("the ruleset has {} error(s)", .0.iter().filter(|d| d.severity == Severity::Error).count())]
    Diagnostics(Vec<Diagnostic>),
    /// Bad facts or bad parameter overrides: every problem, as the facade reports them.
    #[error("{0}")]
    Facts(waymark::FactErrors),
    /// The facts are not JSON.
    #[error("the facts are not valid JSON: {0}")]
    BadJson(String),
    /// A call was stopped by a limit; the instance was dropped and the next call gets a
    /// fresh one.
    #[error("the component was stopped: {0}")]
    Limit(Limit),
    /// The guest trapped (a bug in the engine); the instance was dropped and the next call
    /// gets a fresh one.
    #[error("the component trapped: {0}")]
    Trap(String),
    /// The component answered something the host does not understand (a bug).
    #[error("internal error in the Waymark component: {0}")]
    Internal(String),
}

/// The limit a call hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The fuel of one call ran out (a deterministic CPU limit).
    Fuel,
    /// The instance tried to grow its memory past the cap.
    Memory,
    /// The call ran past its wall-clock deadline.
    Deadline,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Fuel => "it ran out of fuel (CPU limit)",
            Limit::Memory => "it reached its memory limit",
            Limit::Deadline => "it ran past its deadline",
        })
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The ruleset cannot be used until it is fixed.
    Error,
    /// Probably a mistake.
    Warning,
}

/// A coded diagnostic as the component reports it (the fields of `waymark check --format
/// json` without spans and labels).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// The stable code, such as `E0301`.
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// The file, when there is one.
    pub file: Option<String>,
    /// The line, from 1.
    pub line: Option<u32>,
    /// The column in characters, from 1.
    pub column: Option<u32>,
    /// What to do about it.
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{word}[{}]: {}", self.code, self.message)?;
        if let Some(file) = &self.file {
            write!(f, "\n  --> {file}")?;
            if let (Some(l), Some(c)) = (self.line, self.column) {
                write!(f, ":{l}:{c}")?;
            }
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl From<wit::Diagnostic> for Diagnostic {
    fn from(d: wit::Diagnostic) -> Diagnostic {
        Diagnostic {
            code: d.code,
            severity: match d.severity {
                wit::Severity::Error => Severity::Error,
                wit::Severity::Warning => Severity::Warning,
            },
            message: d.message,
            file: d.file,
            line: d.line,
            column: d.column,
            help: d.help,
        }
    }
}

pub(crate) fn fact_errors(errors: Vec<wit::FactError>) -> waymark::FactErrors {
    use waymark::FactErrorKind as K;
    waymark::FactErrors(
        errors
            .into_iter()
            .map(|e| waymark::FactError {
                input: e.input,
                kind: match e.kind {
                    wit::FactErrorKind::NotAnObject => K::NotAnObject,
                    wit::FactErrorKind::UnknownInput => K::UnknownInput,
                    wit::FactErrorKind::WrongType => K::WrongType,
                    wit::FactErrorKind::OutOfRange => K::OutOfRange,
                    wit::FactErrorKind::BadDate => K::BadDate,
                    wit::FactErrorKind::Missing => K::Missing,
                    wit::FactErrorKind::BadParam => K::BadParam,
                    wit::FactErrorKind::Limit => K::Limit,
                },
                message: e.message,
            })
            .collect(),
    )
}

impl From<wit::EvalError> for Error {
    fn from(e: wit::EvalError) -> Error {
        match e {
            wit::EvalError::BadJson(m) => Error::BadJson(m),
            wit::EvalError::BadFacts(f) => Error::Facts(fact_errors(f)),
            wit::EvalError::Internal(m) => Error::Internal(m),
        }
    }
}
