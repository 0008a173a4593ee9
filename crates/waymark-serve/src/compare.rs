//! Comparing two versions: `POST /v1/diff` (what changed, and a proof of which cases are
//! decided differently) and `POST /v1/impact` (how many decisions change over a corpus).
//!
//! Each side is a loaded ruleset (`{"id", "version"}`) or a posted one (source fields), and
//! the answers are the JSON that `waymark diff --format json` and `waymark impact --format
//! json` print.

use std::collections::HashSet;
use std::io::BufRead;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value as Json, json};
use waymark::Ruleset;

use crate::api::{App, json_bytes, posted_work};
use crate::error::ApiError;
use crate::set::Set;
use crate::source::{self, Fields, Posted};

/// The most random cases a diff may ask for.
const MAX_DIFF_CASES: u64 = 100_000;
/// The most changed cases an impact answer may list.
const MAX_CHANGED: u64 = 1_000;

/// One side of a comparison.
enum Side {
    Loaded {
        id: String,
        version: Option<String>,
        as_of: Option<waymark_ir::Date>,
        params: Vec<(String, Json)>,
    },
    Posted(Posted),
}

const SIDE_FIELDS: [&str; 7] = [
    "id", "version", "as_of", "params", "path", "source", "files",
];

/// Reads one side, adding every problem to `problems`.
fn read_side(v: &Json, name: &str, problems: &mut Vec<(String, String)>) -> Option<Side> {
    let Some(obj) = v.as_object() else {
        problems.push((
            name.to_string(),
            format!("`{name}` must be an object: `{{\"id\": ...}}` or a posted ruleset"),
        ));
        return None;
    };
    let mut f = Fields::new(obj, &SIDE_FIELDS, &format!("{name}."));
    let side = match (obj.contains_key("id"), obj.contains_key("source")) {
        (true, false) => {
            let id = f.str("id").map(str::to_string);
            let version = f.str("version").map(str::to_string);
            let as_of = f.date("as_of");
            let params = f.params("params");
            for key in ["path", "files"] {
                if obj.contains_key(key) {
                    f.add(key, format!("`{name}.{key}` goes with `source`, not `id`"));
                }
            }
            id.map(|id| Side::Loaded {
                id,
                version,
                as_of,
                params,
            })
        }
        (false, true) => {
            for key in ["version", "as_of"] {
                if obj.contains_key(key) {
                    f.add(key, format!("`{name}.{key}` goes with `id`, not `source`"));
                }
            }
            source::posted(&mut f).map(Side::Posted)
        }
        (true, true) => {
            f.add(
                "id",
                format!("give `{name}.id` (a loaded ruleset) or `{name}.source`, not both"),
            );
            None
        }
        (false, false) => {
            f.add(
                "id",
                format!("give `{name}.id` (a loaded ruleset) or `{name}.source` (a posted one)"),
            );
            None
        }
    };
    problems.extend(f.problems);
    side
}

fn resolve(set: &Set, side: Side) -> Result<Ruleset, ApiError> {
    match side {
        Side::Loaded {
            id,
            version,
            as_of,
            params,
        } => {
            let rules = set
                .choose(&id, version.as_deref(), as_of)?
                .entry
                .rules
                .clone();
            if params.is_empty() {
                Ok(rules)
            } else {
                rules
                    .with_params(&params)
                    .map_err(|e| ApiError::params(&e.0))
            }
        }
        Side::Posted(p) => source::compile(&p, &set.files),
    }
}

/// Both sides, with the diagnostics of both when both fail to check.
fn resolve_both(set: &Set, old: Side, new: Side) -> Result<(Ruleset, Ruleset), ApiError> {
    match (resolve(set, old), resolve(set, new)) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut a), Err(b)) if a.diagnostics.is_some() && b.diagnostics.is_some() => {
            if let (Some(da), Some(db)) = (a.diagnostics.as_mut(), b.diagnostics) {
                da.extend(db);
            }
            Err(a)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

fn pretty(value: &Json) -> Result<Response, ApiError> {
    let mut body = serde_json::to_vec_pretty(value)
        .map_err(|e| ApiError::internal(format!("cannot write the answer: {e}")))?;
    body.push(b'\n');
    Ok(json_bytes(StatusCode::OK, body))
}

pub(crate) async fn diff(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    posted_work(&app, &headers, body, |set, json| {
        let obj = source::object(&json, "the request")?;
        let mut f = Fields::new(obj, &["old", "new", "cases", "seed"], "");
        let old = f.require("old");
        let new = f.require("new");
        let cases = f.u64("cases").unwrap_or(500);
        if cases > MAX_DIFF_CASES {
            f.add("cases", format!("`cases` must be at most {MAX_DIFF_CASES}"));
        }
        let seed = f.u64("seed");
        let mut problems = std::mem::take(&mut f.problems);
        let old = old.and_then(|v| read_side(v, "old", &mut problems));
        let new = new.and_then(|v| read_side(v, "new", &mut problems));
        let (Some(old), Some(new), true) = (old, new, problems.is_empty()) else {
            return Err(ApiError::bad_request(problems));
        };
        let (a, b) = resolve_both(set, old, new)?;
        pretty(&diff_json(&a, &b, cases, seed))
    })
    .await
}

/// The JSON `waymark diff --format json` prints.
fn diff_json(a: &Ruleset, b: &Ruleset, cases: u64, seed: Option<u64>) -> Json {
    let mut opts = waymark_analysis::DiffOptions {
        random_cases: usize::try_from(cases).unwrap_or(usize::MAX),
        ..waymark_analysis::DiffOptions::default()
    };
    if let Some(s) = seed {
        opts.seed = s;
    }
    waymark_analysis::compare(a, b, &opts).to_json(a, b)
}

pub(crate) async fn impact(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    posted_work(&app, &headers, body, |set, json| {
        let obj = source::object(&json, "the request")?;
        let mut f = Fields::new(
            obj,
            &["old", "new", "cases", "corpus", "groups", "changed_limit"],
            "",
        );
        let old = f.require("old");
        let new = f.require("new");
        let cases = f.str("cases");
        let corpus = f.str("corpus");
        let groups = f.strings("groups");
        let limit = f.u64("changed_limit").unwrap_or(50);
        if limit > MAX_CHANGED {
            f.add(
                "changed_limit",
                format!("`changed_limit` must be at most {MAX_CHANGED}"),
            );
        }
        match (obj.contains_key("cases"), obj.contains_key("corpus")) {
            (true, true) => f.add("corpus", "give `cases` or `corpus`, not both".into()),
            (false, false) => f.add(
                "cases",
                "give the cases as JSON lines in `cases`, or name a corpus in `corpus`".into(),
            ),
            _ => {}
        }
        let mut problems = std::mem::take(&mut f.problems);
        let old = old.and_then(|v| read_side(v, "old", &mut problems));
        let new = new.and_then(|v| read_side(v, "new", &mut problems));
        let (Some(old), Some(new), true) = (old, new, problems.is_empty()) else {
            return Err(ApiError::bad_request(problems));
        };
        let corpus = match corpus {
            Some(name) => match set.corpora.iter().find(|c| c.name == name) {
                Some(c) => Some(c.path.clone()),
                None => {
                    let names: Vec<&str> = set.corpora.iter().map(|c| c.name.as_str()).collect();
                    return Err(ApiError::not_found(format!(
                        "no corpus `{name}` (corpora: {})",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    )));
                }
            },
            None => None,
        };
        let (a, b) = resolve_both(set, old, new)?;
        let open = || -> Result<Box<dyn BufRead>, ApiError> {
            match (&corpus, cases) {
                (Some(path), _) => std::fs::File::open(path)
                    .map(|file| {
                        Box::new(std::io::BufReader::with_capacity(1 << 16, file))
                            as Box<dyn BufRead>
                    })
                    .map_err(|e| ApiError::internal(format!("cannot read the corpus: {e}"))),
                (None, text) => Ok(Box::new(text.unwrap_or_default().as_bytes())),
            }
        };
        let report = waymark_corpus::impact::run(&a, &b, open()?, &groups, |_| {})
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let changed = changed_cases(&a, &b, open()?, &groups, limit)?;
        let mut value = serde_json::to_value(&report)
            .map_err(|e| ApiError::internal(format!("cannot write the report: {e}")))?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("changed".into(), Json::Array(changed));
        }
        pretty(&value)
    })
    .await
}

/// The first `limit` cases whose public outputs (those both versions have) differ, with
/// their facts and both outcomes, read the way `waymark impact` reads them.
fn changed_cases(
    old: &Ruleset,
    new: &Ruleset,
    cases: impl BufRead,
    groups: &[String],
    limit: u64,
) -> Result<Vec<Json>, ApiError> {
    let inputs = |r: &Ruleset| -> HashSet<String> {
        r.program().inputs.iter().map(|i| i.name.clone()).collect()
    };
    let (old_inputs, new_inputs) = (inputs(old), inputs(new));
    let public = |r: &Ruleset| -> HashSet<String> {
        r.program()
            .outputs
            .iter()
            .filter(|o| o.public)
            .map(|o| o.name.clone())
            .collect()
    };
    let shared: HashSet<String> = public(old).intersection(&public(new)).cloned().collect();
    let mut out = Vec::new();
    for (i, line) in cases.lines().enumerate() {
        if out.len() as u64 >= limit {
            break;
        }
        let line = line.map_err(|e| ApiError::internal(format!("cannot read the cases: {e}")))?;
        let Ok(Json::Object(mut obj)) = serde_json::from_str::<Json>(&line) else {
            continue;
        };
        let facts = match obj.remove("facts") {
            Some(Json::Object(f)) => f,
            Some(_) => continue,
            None => {
                obj.remove("id");
                obj.remove("synthetic");
                for g in groups {
                    obj.remove(g);
                }
                obj
            }
        };
        let only = |known: &HashSet<String>| -> Json {
            Json::Object(
                facts
                    .iter()
                    .filter(|(k, _)| known.contains(k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Map<String, Json>>(),
            )
        };
        let (Ok(a), Ok(b)) = (
            old.evaluate_json(&only(&old_inputs), false),
            new.evaluate_json(&only(&new_inputs), false),
        ) else {
            continue;
        };
        let differs = shared.iter().any(|k| a.outcome.get(k) != b.outcome.get(k));
        if differs {
            out.push(json!({
                "line": i + 1,
                "facts": facts,
                "old": a.outcome,
                "new": b.outcome,
            }));
        }
    }
    Ok(out)
}
