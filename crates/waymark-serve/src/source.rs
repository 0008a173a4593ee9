//! Reading request bodies: fields checked one by one so that every problem is reported at
//! once, and posted rulesets (a root file's text, optional other files, parameters) whose
//! imports not posted are found among the served folders' files, read-only.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value as Json};
use waymark::Ruleset;
use waymark_check::{Loader, normalize};
use waymark_ir::Date;

use crate::error::ApiError;

/// A JSON object being read field by field, collecting every problem.
pub(crate) struct Fields<'a> {
    obj: &'a Map<String, Json>,
    prefix: String,
    pub problems: Vec<(String, String)>,
}

/// The object a body must be.
pub(crate) fn object<'a>(json: &'a Json, what: &str) -> Result<&'a Map<String, Json>, ApiError> {
    json.as_object().ok_or_else(|| {
        ApiError::bad_request(vec![(
            String::new(),
            format!("{what} must be a JSON object"),
        )])
    })
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "true or false",
        Json::Number(_) => "a number",
        Json::String(_) => "a text",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

impl<'a> Fields<'a> {
    /// Reads `obj`, reporting every field not in `allowed`.
    pub fn new(obj: &'a Map<String, Json>, allowed: &[&str], prefix: &str) -> Fields<'a> {
        let mut problems = Vec::new();
        for key in obj.keys() {
            if !allowed.contains(&key.as_str()) {
                let hint = waymark_diagnostics::did_you_mean(key, allowed.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_else(|| format!(" (expected: {})", allowed.join(", ")));
                problems.push((
                    format!("{prefix}{key}"),
                    format!("unknown field `{prefix}{key}`{hint}"),
                ));
            }
        }
        Fields {
            obj,
            prefix: prefix.to_string(),
            problems,
        }
    }

    fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn wrong(&mut self, key: &str, needs: &str, v: &Json) {
        let name = self.name(key);
        self.problems.push((
            name.clone(),
            format!("`{name}` must be {needs}, not {}", kind_of(v)),
        ));
    }

    pub fn require(&mut self, key: &str) -> Option<&'a Json> {
        let v = self.obj.get(key);
        if v.is_none() {
            let name = self.name(key);
            self.problems
                .push((name.clone(), format!("`{name}` is required")));
        }
        v
    }

    pub fn str(&mut self, key: &str) -> Option<&'a str> {
        match self.obj.get(key)? {
            Json::String(s) => Some(s),
            Json::Null => None,
            v => {
                self.wrong(key, "a text", v);
                None
            }
        }
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        match self.obj.get(key)? {
            Json::Bool(b) => Some(*b),
            Json::Null => None,
            v => {
                self.wrong(key, "true or false", v);
                None
            }
        }
    }

    pub fn u64(&mut self, key: &str) -> Option<u64> {
        match self.obj.get(key)? {
            Json::Null => None,
            v => match v.as_u64() {
                Some(n) => Some(n),
                None => {
                    self.wrong(key, "a whole number, 0 or more", v);
                    None
                }
            },
        }
    }

    pub fn object(&mut self, key: &str) -> Option<&'a Map<String, Json>> {
        match self.obj.get(key)? {
            Json::Object(m) => Some(m),
            Json::Null => None,
            v => {
                self.wrong(key, "an object", v);
                None
            }
        }
    }

    pub fn strings(&mut self, key: &str) -> Vec<String> {
        match self.obj.get(key) {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(items)) if items.iter().all(Json::is_string) => items
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
            Some(v) => {
                self.wrong(key, "a list of texts", v);
                Vec::new()
            }
        }
    }

    pub fn date(&mut self, key: &str) -> Option<Date> {
        let s = self.str(key)?;
        let d = Date::parse(s);
        if d.is_none() {
            let name = self.name(key);
            self.problems.push((
                name.clone(),
                format!("`{name}` must be a date written YYYY-MM-DD, not `{s}`"),
            ));
        }
        d
    }

    /// Parameter overrides: an object of name to JSON value.
    pub fn params(&mut self, key: &str) -> Vec<(String, Json)> {
        self.object(key)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    pub fn add(&mut self, field: &str, message: String) {
        self.problems.push((self.name(field), message));
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::bad_request(self.problems))
        }
    }
}

/// A posted ruleset: the root file, other files, and parameter overrides.
#[derive(Debug, Clone)]
pub(crate) struct Posted {
    pub path: PathBuf,
    pub source: String,
    pub files: HashMap<PathBuf, String>,
    pub params: Vec<(String, Json)>,
}

/// The fields a posted ruleset takes.
pub(crate) const POSTED_FIELDS: [&str; 4] = ["path", "source", "files", "params"];

fn relative(path: &str) -> Result<PathBuf, String> {
    let p = normalize(Path::new(path));
    let ok = !path.is_empty()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if ok {
        Ok(p)
    } else {
        Err(format!(
            "`{path}` must be a relative path inside the rulesets folders, such as `marac/referral.wm`"
        ))
    }
}

/// Reads the fields of a posted ruleset.
pub(crate) fn posted(f: &mut Fields<'_>) -> Option<Posted> {
    let path = f.str("path").unwrap_or("ruleset.wm").to_string();
    let source = f.require("source").and_then(|_| f.str("source"));
    let path = match relative(&path) {
        Ok(p) => Some(p),
        Err(m) => {
            f.add("path", m);
            None
        }
    };
    let mut files = HashMap::new();
    if let Some(map) = f.object("files") {
        for (name, text) in map {
            match (relative(name), text.as_str()) {
                (Ok(p), Some(t)) => {
                    files.insert(p, t.to_string());
                }
                (Err(m), _) => f.add("files", m),
                (_, None) => f.add(
                    "files",
                    format!(
                        "`files.{name}` must be the file's text, not {}",
                        kind_of(text)
                    ),
                ),
            }
        }
    }
    let params = f.params("params");
    Some(Posted {
        path: path?,
        source: source?.to_string(),
        files,
        params,
    })
}

/// Reads posted files first, then the served folders' files.
struct Overlay<'a> {
    posted: &'a Posted,
    served: &'a HashMap<PathBuf, String>,
}

impl Loader for Overlay<'_> {
    fn load(&self, path: &Path) -> Result<String, String> {
        let key = normalize(path);
        let text = if key == self.posted.path {
            Some(&self.posted.source)
        } else {
            self.posted
                .files
                .get(&key)
                .or_else(|| self.served.get(&key))
        };
        text.cloned()
            .ok_or_else(|| "no such file among the posted files or the served rulesets".into())
    }
}

/// Checks a posted ruleset: every diagnostic.
pub(crate) fn check(posted: &Posted, served: &HashMap<PathBuf, String>) -> waymark_check::Check {
    waymark_check::check_path(&posted.path, &Overlay { posted, served })
}

/// Compiles a posted ruleset with its parameters: 400 with every diagnostic or every
/// parameter problem.
pub(crate) fn compile(
    posted: &Posted,
    served: &HashMap<PathBuf, String>,
) -> Result<Ruleset, ApiError> {
    // Read and checked once: the check's diagnostics are the refusal when it has errors.
    let rules = Ruleset::from_loader(
        &posted.path,
        &Overlay { posted, served },
        &waymark::Limits::default(),
    )
    .map_err(|d| ApiError::diagnostics(&d.0))?;
    if posted.params.is_empty() {
        Ok(rules)
    } else {
        rules
            .with_params(&posted.params)
            .map_err(|e| ApiError::params(&e.0))
    }
}
