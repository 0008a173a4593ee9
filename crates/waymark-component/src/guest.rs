//! The exported functions: WIT types in, facade calls, WIT types out.

use serde_json::{Map, Number, Value as Json};

#[allow(unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "waymark" });
}

use bindings::exports::waymark::engine::engine::{self, Guest, GuestRuleset};
use bindings::exports::waymark::engine::types::{
    Diagnostic, EvalError, FactError, FactErrorKind, Scalar, Severity, SourceFile, Value,
};

struct Component;

/// A compiled ruleset held inside the guest between calls.
struct Rules(waymark::Ruleset);

impl Guest for Component {
    type Ruleset = Rules;

    fn imports(file: SourceFile) -> Vec<String> {
        let parse = waymark_syntax::parse_str(&file.path, &file.text);
        let base = std::path::Path::new(&file.path)
            .parent()
            .unwrap_or(std::path::Path::new(""));
        parse
            .ruleset
            .items
            .iter()
            .filter_map(|item| match item {
                waymark_syntax::ast::Item::Import(i) => Some(i),
                _ => None,
            })
            .map(|i| slashes(&waymark_check::normalize(&base.join(&i.path.value))))
            .collect()
    }

    fn compile(files: Vec<SourceFile>, root: String) -> Result<engine::Ruleset, Vec<Diagnostic>> {
        let files: Vec<(String, String)> = files.into_iter().map(|f| (f.path, f.text)).collect();
        match waymark::Ruleset::from_sources(&root, &files) {
            Ok(r) => Ok(engine::Ruleset::new(Rules(r))),
            Err(e) => Err(e.0.iter().map(diagnostic).collect()),
        }
    }

    fn from_artifact(
        bytes: Vec<u8>,
        key: Option<Vec<u8>>,
    ) -> Result<engine::Ruleset, Vec<Diagnostic>> {
        let refuse = |message: String| {
            vec![Diagnostic {
                code: "artifact".to_string(),
                severity: Severity::Error,
                message,
                file: None,
                line: None,
                column: None,
                help: None,
            }]
        };
        let key = match key.map(|k| waymark::artifact::verifying_key_from_bytes(&k)) {
            None => None,
            Some(Ok(k)) => Some(k),
            Some(Err(e)) => return Err(refuse(e.to_string())),
        };
        match waymark::Ruleset::from_artifact(&bytes, key.as_ref()) {
            Ok(r) => Ok(engine::Ruleset::new(Rules(r))),
            Err(e) => Err(refuse(e.to_string())),
        }
    }
}

impl GuestRuleset for Rules {
    fn with_params(
        &self,
        overrides: Vec<(String, String)>,
    ) -> Result<engine::Ruleset, Vec<FactError>> {
        let mut values = Vec::with_capacity(overrides.len());
        let mut errors = Vec::new();
        for (name, text) in overrides {
            match serde_json::from_str::<Json>(&text) {
                Ok(v) => values.push((name, v)),
                Err(e) => errors.push(FactError {
                    message: format!("parameter `{name}` is not a JSON value: {e}"),
                    input: name,
                    kind: FactErrorKind::BadParam,
                }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        match self.0.with_params(&values) {
            Ok(r) => Ok(engine::Ruleset::new(Rules(r))),
            Err(e) => Err(fact_errors(e)),
        }
    }

    fn id(&self) -> String {
        self.0.id().to_string()
    }

    fn version(&self) -> String {
        self.0.version().to_string()
    }

    fn hash(&self) -> String {
        self.0.hash().to_string()
    }

    fn warnings(&self) -> Vec<Diagnostic> {
        self.0.warnings().iter().map(diagnostic).collect()
    }

    fn evaluate_json(&self, facts: String, explain: bool) -> Result<String, EvalError> {
        let facts: Json =
            serde_json::from_str(&facts).map_err(|e| EvalError::BadJson(e.to_string()))?;
        self.decide(&facts, explain)
    }

    fn evaluate_batch_json(
        &self,
        cases: Vec<String>,
        explain: bool,
    ) -> Vec<Result<String, EvalError>> {
        cases
            .iter()
            .map(|c| self.evaluate_json_str(c, explain))
            .collect()
    }

    fn evaluate(&self, facts: Vec<(String, Value)>, explain: bool) -> Result<String, EvalError> {
        let mut object = Map::new();
        for (name, value) in facts {
            object.insert(name, value_json(value));
        }
        self.decide(&Json::Object(object), explain)
    }

    fn run_tests(&self) -> String {
        // A report of strings, booleans and JSON values always serializes; should it ever
        // fail, the host still gets JSON.
        serde_json::to_string(&self.0.run_tests())
            .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string())
    }

    fn schema(&self) -> String {
        self.0.schema().to_string()
    }
}

impl Rules {
    fn evaluate_json_str(&self, facts: &str, explain: bool) -> Result<String, EvalError> {
        let facts: Json =
            serde_json::from_str(facts).map_err(|e| EvalError::BadJson(e.to_string()))?;
        self.decide(&facts, explain)
    }

    fn decide(&self, facts: &Json, explain: bool) -> Result<String, EvalError> {
        let decision = self
            .0
            .evaluate_json(facts, explain)
            .map_err(|e| EvalError::BadFacts(fact_errors(e)))?;
        serde_json::to_string(&decision).map_err(|e| EvalError::Internal(e.to_string()))
    }
}

/// A path with `/` separators, whatever the platform.
fn slashes(path: &std::path::Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

fn diagnostic(d: &waymark::diagnostics::Diagnostic) -> Diagnostic {
    let (line, column) = match d.line_col() {
        Some((l, c)) if l > 0 && c > 0 => (u32::try_from(l).ok(), u32::try_from(c).ok()),
        _ => (None, None),
    };
    Diagnostic {
        code: d.code.as_str().to_string(),
        severity: match d.severity {
            waymark::diagnostics::Severity::Error => Severity::Error,
            waymark::diagnostics::Severity::Warning => Severity::Warning,
        },
        message: d.message.clone(),
        file: d.file.as_ref().map(|f| f.name.clone()),
        line,
        column,
        help: d.help.clone(),
    }
}

fn fact_errors(e: waymark::FactErrors) -> Vec<FactError> {
    use waymark::FactErrorKind as K;
    e.0.into_iter()
        .map(|f| FactError {
            input: f.input,
            kind: match f.kind {
                K::NotAnObject => FactErrorKind::NotAnObject,
                K::UnknownInput => FactErrorKind::UnknownInput,
                K::WrongType => FactErrorKind::WrongType,
                K::OutOfRange => FactErrorKind::OutOfRange,
                K::BadDate => FactErrorKind::BadDate,
                K::Missing => FactErrorKind::Missing,
                K::BadParam => FactErrorKind::BadParam,
                K::Limit => FactErrorKind::Limit,
            },
            message: f.message,
        })
        .collect()
}

/// The JSON value a typed fact stands for (see `value` in wit/engine.wit).
fn value_json(v: Value) -> Json {
    match v {
        Value::Yes => scalar_json(Scalar::Yes),
        Value::No => scalar_json(Scalar::No),
        Value::Unknown => Json::Null,
        Value::Boolean(b) => Json::Bool(b),
        Value::Int(i) => Json::Number(Number::from(i)),
        Value::Number(s) | Value::Text(s) | Value::Date(s) => Json::String(s),
        Value::List(items) => Json::Array(items.into_iter().map(scalar_json).collect()),
    }
}

fn scalar_json(s: Scalar) -> Json {
    match s {
        Scalar::Yes => Json::String("yes".into()),
        Scalar::No => Json::String("no".into()),
        Scalar::Unknown => Json::Null,
        Scalar::Boolean(b) => Json::Bool(b),
        Scalar::Int(i) => Json::Number(Number::from(i)),
        Scalar::Number(s) | Scalar::Text(s) | Scalar::Date(s) => Json::String(s),
    }
}

#[allow(unsafe_code)]
mod export {
    use super::Component;
    use super::bindings;
    bindings::export!(Component with_types_in bindings);
}
