//! The routes: the application state, the router (with its route table, which a test holds
//! equal to `openapi.json`), the token check, and the evaluate paths.
//!
//! The evaluate path is kept cheap: the ruleset is shared (never cloned per request), a
//! specialised ruleset for request parameters comes from a small cache, and a small body is
//! evaluated on the request's own task (its time is still checked against the budget);
//! anything larger runs on the blocking pool under a timeout.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use waymark::Ruleset;

use crate::error::{ApiError, ServeError};
use crate::metrics::Metrics;
use crate::records::RecordWriter;
use crate::set::{self, Set};
use crate::source::{self, Fields};
use crate::{Config, compare};

/// Bodies up to this size are evaluated on the request's task.
const INLINE_MAX: usize = 16 << 10;

/// The application: configuration, the current set, metrics and records.
pub(crate) struct App {
    pub config: Config,
    set: ArcSwap<Set>,
    pub metrics: Metrics,
    records: Option<RecordWriter>,
    token: Option<[u8; 32]>,
    cache: Mutex<ParamCache>,
    reloading: tokio::sync::Mutex<()>,
    generation: AtomicU64,
}

/// Gives a set the handles of its rulesets' metrics.
fn attach(metrics: &Metrics, set: &mut Set) {
    set.metrics = set
        .by_id
        .keys()
        .map(|id| (id.clone(), metrics.ruleset(id)))
        .collect();
}

/// Rulesets specialised with request parameters, least recently used dropped first.
#[derive(Default)]
struct ParamCache {
    map: HashMap<String, (Ruleset, u64)>,
    tick: u64,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.trim().as_bytes()).into()
}

impl App {
    pub async fn new(config: Config) -> Result<Arc<App>, ServeError> {
        let metrics = Metrics::new();
        let records = match &config.records {
            Some(dir) => Some(RecordWriter::open(dir).map_err(|e| ServeError::Load(vec![e]))?),
            None => None,
        };
        let cfg = config.clone();
        let mut set = tokio::task::spawn_blocking(move || set::load(&cfg))
            .await
            .map_err(|e| ServeError::Load(vec![e.to_string()]))?
            .map_err(ServeError::Load)?;
        attach(&metrics, &mut set);
        metrics.reload(true, set.registry.entries().len());
        if let Some(r) = &records {
            tracing::info!("decision records go to {}", r.path().display());
        }
        Ok(Arc::new(App {
            token: config.token.as_deref().map(digest),
            config,
            set: ArcSwap::from_pointee(set),
            metrics,
            records,
            cache: Mutex::new(ParamCache::default()),
            reloading: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        }))
    }

    /// The set in force now.
    pub fn set(&self) -> Arc<Set> {
        self.set.load_full()
    }

    fn fail(&self, e: ApiError) -> Response {
        self.metrics.error(e.kind);
        e.into_response()
    }

    /// The rules with request parameters: from the cache, or specialised now. Problems
    /// with the parameters are reported with those of the facts.
    fn specialize(
        &self,
        set: &Set,
        rules: &Ruleset,
        params: &[(String, Json)],
        facts: &Json,
    ) -> Result<Ruleset, ApiError> {
        if params.is_empty() {
            return Ok(rules.clone());
        }
        let mut sorted: Vec<&(String, Json)> = params.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut key = format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            set.generation,
            rules.id(),
            rules.version(),
            rules.hash()
        );
        for (k, v) in sorted {
            key.push('\u{0}');
            key.push_str(k);
            key.push('=');
            key.push_str(&v.to_string());
        }
        if let Ok(mut cache) = self.cache.lock() {
            cache.tick += 1;
            let tick = cache.tick;
            if let Some((r, used)) = cache.map.get_mut(&key) {
                *used = tick;
                return Ok(r.clone());
            }
        }
        match rules.with_params(params) {
            Ok(r) => {
                if let Ok(mut cache) = self.cache.lock() {
                    if cache.map.len() >= self.config.param_cache.max(1) {
                        let oldest = cache
                            .map
                            .iter()
                            .min_by_key(|(_, (_, t))| *t)
                            .map(|(k, _)| k.clone());
                        if let Some(k) = oldest {
                            cache.map.remove(&k);
                        }
                    }
                    let tick = cache.tick;
                    cache.map.insert(key, (r.clone(), tick));
                }
                Ok(r)
            }
            Err(mut e) => {
                if let Err(f) = rules.facts_from_json(facts) {
                    e.0.extend(f.0);
                }
                Err(ApiError::params(&e.0))
            }
        }
    }

    /// Runs `work` within the evaluation budget: on this task when `inline` (and refused
    /// afterwards if it took too long), otherwise on the blocking pool under a timeout.
    async fn budgeted<T: Send + 'static>(
        &self,
        inline: bool,
        budget: Duration,
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        if inline {
            let started = Instant::now();
            let result = work();
            if started.elapsed() > budget {
                return Err(ApiError::timeout(budget));
            }
            return result;
        }
        let started = Instant::now();
        match tokio::time::timeout(budget, tokio::task::spawn_blocking(work)).await {
            Ok(Ok(_)) if started.elapsed() > budget => Err(ApiError::timeout(budget)),
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(ApiError::internal(format!("the work failed: {e}"))),
            Err(_) => Err(ApiError::timeout(budget)),
        }
    }
}

/// Loads the set again and swaps it in when every ruleset loads; otherwise keeps the
/// current set and says why.
pub(crate) async fn reload(app: &Arc<App>) -> Result<(), ServeError> {
    let _one_at_a_time = app.reloading.lock().await;
    let a = Arc::clone(app);
    let loaded = tokio::task::spawn_blocking(move || {
        set::load(&a.config).map(|mut set| {
            attach(&a.metrics, &mut set);
            set
        })
    })
    .await
    .map_err(|e| ServeError::Load(vec![e.to_string()]))?;
    match loaded {
        Ok(mut set) => {
            let generation = app.generation.fetch_add(1, Ordering::SeqCst) + 1;
            set.generation = generation;
            let versions = set.registry.entries().len();
            let ids = set.registry.ids().len();
            app.set.store(Arc::new(set));
            if let Ok(mut cache) = app.cache.lock() {
                cache.map.clear();
            }
            app.metrics.reload(true, versions);
            tracing::info!(
                "reloaded: {versions} version(s) of {ids} ruleset(s) (generation {generation})"
            );
            Ok(())
        }
        Err(problems) => {
            app.metrics.reload(false, 0);
            tracing::warn!(
                "reload refused, the current rulesets stay in force: {}",
                problems.join("\n")
            );
            Err(ServeError::Load(problems))
        }
    }
}

/// Watches the registry folders and reloads once a change has settled.
pub(crate) fn watch(
    app: Arc<App>,
    dirs: &[PathBuf],
    debounce: Duration,
) -> Result<notify::RecommendedWatcher, ServeError> {
    use notify::{EventKind, RecursiveMode, Watcher};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res
            && !matches!(ev.kind, EventKind::Access(_))
        {
            let _ = tx.send(());
        }
    })
    .map_err(|e| ServeError::Usage(format!("cannot watch the registry folders: {e}")))?;
    for d in dirs {
        watcher
            .watch(d, RecursiveMode::Recursive)
            .map_err(|e| ServeError::Usage(format!("cannot watch `{}`: {e}", d.display())))?;
    }
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            loop {
                match tokio::time::timeout(debounce, rx.recv()).await {
                    Ok(Some(())) => continue,
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            tracing::info!("a registry folder changed: reloading");
            let _ = reload(&app).await;
        }
    });
    Ok(watcher)
}

macro_rules! routes {
    ($router:ident, $table:ident; $( $method:ident $path:literal => $handler:expr ),* $(,)?) => {
        $(
            $router = $router.route($path, axum::routing::$method($handler));
            $table.push((stringify!($method), $path));
        )*
    };
}

/// The routes that need no token, those that do, and the (method, path) table of both.
type Built = (
    Router<Arc<App>>,
    Router<Arc<App>>,
    Vec<(&'static str, &'static str)>,
);

/// The routes, and the table of (method, path) they were built from.
fn build() -> Built {
    let mut table = Vec::new();
    let mut open = Router::new();
    routes!(open, table;
        get "/" => index,
        get "/assets/{*path}" => assets,
        get "/healthz" => healthz,
        get "/openapi.json" => openapi,
    );
    let mut guarded = Router::new();
    routes!(guarded, table;
        get "/metrics" => metrics,
        get "/v1/rulesets" => list,
        get "/v1/rulesets/{id}" => info,
        get "/v1/rulesets/{id}/schema" => schema,
        get "/v1/rulesets/{id}/doc" => doc,
        get "/v1/rulesets/{id}/source" => source_of,
        post "/v1/rulesets/{id}/evaluate" => evaluate,
        post "/v1/rulesets/{id}/evaluate-batch" => evaluate_batch,
        post "/v1/check" => check,
        post "/v1/test" => test,
        post "/v1/format" => format,
        post "/v1/evaluate" => evaluate_posted,
        post "/v1/doc" => doc_posted,
        post "/v1/diff" => compare::diff,
        post "/v1/impact" => compare::impact,
        get "/v1/corpora" => corpora,
    );
    (open, guarded, table)
}

/// Every route the service answers, as (method, path) with paths written as in
/// `openapi.json` (`{id}`; `{*path}` for the rest of a path).
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    build().2
}

pub(crate) fn router(app: Arc<App>) -> Router {
    let (open, guarded, _) = build();
    let guarded = guarded.route_layer(axum::middleware::from_fn_with_state(Arc::clone(&app), auth));
    open.merge(guarded)
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .with_state(app)
}

async fn auth(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    if let Some(expected) = &app.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let ok = given.is_some_and(|t| bool::from(digest(t).ct_eq(expected)));
        if !ok {
            let message = if given.is_some() {
                "the token is not the right one"
            } else {
                "this route needs `Authorization: Bearer TOKEN`"
            };
            return app.fail(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                message,
            ));
        }
    }
    next.run(request).await
}

async fn no_route(State(app): State<Arc<App>>, request: Request) -> Response {
    app.fail(ApiError::not_found(format!(
        "no route `{} {}` (see /openapi.json)",
        request.method(),
        request.uri().path()
    )))
}

async fn wrong_method(State(app): State<Arc<App>>, request: Request) -> Response {
    app.fail(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "`{}` is not allowed on `{}` (see /openapi.json)",
            request.method(),
            request.uri().path()
        ),
    ))
}

/// A JSON answer: the bytes given, with the JSON content type.
pub(crate) fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut r = (status, bytes).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A JSON value as a compact answer ending in a newline.
pub(crate) fn json_ok(value: &Json) -> Response {
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    json_bytes(StatusCode::OK, bytes)
}

/// Reads a whole body within `limit` bytes (413 over it).
pub(crate) async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(ApiError::too_large(limit)),
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("cannot read the request body: {e}"),
        )),
    }
}

/// Reads a JSON body.
pub(crate) async fn read_json(
    app: &App,
    body: Body,
    headers: &HeaderMap,
) -> Result<Json, ApiError> {
    let bytes = read_body(body, headers, app.config.body_limit).await?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_json("the request body", &e))
}

/// Runs a handler's fallible body, counting errors.
async fn answer(
    app: &App,
    result: impl std::future::Future<Output = Result<Response, ApiError>>,
) -> Response {
    match result.await {
        Ok(r) => r,
        Err(e) => app.fail(e),
    }
}

/// Runs work on a posted body on the blocking pool within the work budget.
pub(crate) async fn posted_work(
    app: &Arc<App>,
    headers: &HeaderMap,
    body: Body,
    work: impl FnOnce(&Set, Json) -> Result<Response, ApiError> + Send + 'static,
) -> Response {
    answer(app, async {
        let json = read_json(app, body, headers).await?;
        let set = app.set();
        app.budgeted(false, app.config.work_timeout, move || work(&set, json))
            .await
    })
    .await
}

// ---- Static files, health, metrics, the document ----

async fn index(State(app): State<Arc<App>>) -> Response {
    static_file(&app, "index.html")
}

async fn assets(State(app): State<Arc<App>>, Path(path): Path<String>) -> Response {
    static_file(&app, &path)
}

fn static_file(app: &App, path: &str) -> Response {
    match waymark_workbench::asset(path) {
        Some(a) => {
            let mut r = a.body.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(a.content_type),
            );
            r
        }
        None => app.fail(ApiError::not_found(format!("no file `{path}`"))),
    }
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let set = app.set();
    json_ok(&json!({
        "status": "ok",
        "versions": set.registry.entries().len(),
        "generation": set.generation,
    }))
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut r = app.metrics.encode().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

async fn openapi() -> Response {
    json_bytes(StatusCode::OK, crate::OPENAPI.as_bytes().to_vec())
}

// ---- Loaded rulesets ----

fn ty_json(p: &waymark::ir::Program, ty: &waymark::ir::Ty) -> Json {
    use waymark::ir::Ty;
    let enum_json = |e: u32| match p.enums.get(e as usize) {
        Some(info) => json!({"enum": info.name, "values": info.variants, "labels": info.labels}),
        None => json!({"enum": e}),
    };
    match ty {
        Ty::Answer => json!("answer"),
        Ty::Bool => json!("bool"),
        Ty::Int => json!("int"),
        Ty::Number => json!("number"),
        Ty::Text => json!("text"),
        Ty::Date => json!("date"),
        Ty::Enum(e) => enum_json(*e),
        Ty::Set(e) => json!({"set": enum_json(*e)}),
        Ty::List(inner) => json!({"list": ty_json(p, inner)}),
    }
}

fn summary(rules: &Ruleset) -> Json {
    let meta = &rules.program().meta;
    json!({
        "id": rules.id(),
        "version": rules.version(),
        "title": meta.title,
        "effective_from": meta.effective_from.map(|d| d.to_string()),
        "effective_until": meta.effective_until.map(|d| d.to_string()),
        "hash": rules.hash(),
    })
}

async fn list(State(app): State<Arc<App>>) -> Response {
    let set = app.set();
    let mut ids = set.registry.ids();
    ids.sort();
    let items: Vec<Json> = ids
        .iter()
        .flat_map(|id| set.registry.versions(id))
        .map(|e| summary(&e.rules))
        .collect();
    json_ok(&Json::Array(items))
}

/// Reads `version` and `as_of` from a query string, refusing anything else.
fn selection(
    query: &HashMap<String, String>,
) -> Result<(Option<String>, Option<waymark_ir::Date>), ApiError> {
    let map: Map<String, Json> = query
        .iter()
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect();
    let mut f = Fields::new(&map, &["version", "as_of"], "");
    let version = f.str("version").map(str::to_string);
    let as_of = f.date("as_of");
    if version.is_some() && as_of.is_some() {
        f.add("as_of", "give `version` or `as_of`, not both".into());
    }
    f.finish()?;
    Ok((version, as_of))
}

/// The chosen version for a GET route with `?version=` or `?as_of=`.
fn chosen_rules(
    set: &Set,
    id: &str,
    query: &HashMap<String, String>,
) -> Result<(Ruleset, Option<PathBuf>), ApiError> {
    let (version, as_of) = selection(query)?;
    let chosen = set.choose(id, version.as_deref(), as_of)?;
    Ok((
        chosen.entry.rules.clone(),
        set.folder_of(chosen.entry).map(|p| p.to_path_buf()),
    ))
}

async fn info(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    answer(&app, async {
        let set = app.set();
        let (rules, _) = chosen_rules(&set, &id, &query)?;
        let p = rules.program();
        let bound = |ty: &waymark::ir::Ty, c: &waymark::ir::ConstVal| waymark::const_json(p, ty, c);
        let range =
            |ty: &waymark::ir::Ty,
             r: &(Option<waymark::ir::ConstVal>, Option<waymark::ir::ConstVal>)| {
                (
                    r.0.as_ref().map(|c| bound(ty, c)),
                    r.1.as_ref().map(|c| bound(ty, c)),
                )
            };
        let inputs: Vec<Json> = p
            .inputs
            .iter()
            .map(|i| {
                let (min, max) = range(&i.ty, &i.range);
                json!({"name": i.name, "type": ty_json(p, &i.ty), "label": i.label,
                       "optional": i.optional, "minimum": min, "maximum": max})
            })
            .collect();
        let in_force = rules.params_json();
        let params: Vec<Json> = p
            .params
            .iter()
            .filter(|x| x.overridable)
            .map(|x| {
                let (min, max) = range(&x.ty, &x.range);
                json!({"name": x.name, "type": ty_json(p, &x.ty), "label": x.label,
                       "default": bound(&x.ty, &x.default),
                       "value": in_force.get(&x.name).cloned().unwrap_or(Json::Null),
                       "minimum": min, "maximum": max, "sources": x.sources})
            })
            .collect();
        let outputs: Vec<Json> = p
            .outputs
            .iter()
            .filter(|o| o.public)
            .map(|o| json!({"name": o.name, "type": ty_json(p, &o.ty), "label": o.label}))
            .collect();
        let versions: Vec<Json> = set
            .registry
            .versions(&id)
            .iter()
            .map(|e| summary(&e.rules))
            .collect();
        let mut body = summary(&rules);
        if let Some(obj) = body.as_object_mut() {
            obj.insert("profile".into(), json!(rules.profile()));
            obj.insert(
                "artifact".into(),
                json!(rules.artifact().map(|a| a.hash.clone())),
            );
            obj.insert("versions".into(), Json::Array(versions));
            obj.insert("inputs".into(), Json::Array(inputs));
            obj.insert("params".into(), Json::Array(params));
            obj.insert("outputs".into(), Json::Array(outputs));
        }
        Ok(json_ok(&body))
    })
    .await
}

async fn schema(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    answer(&app, async {
        let (rules, _) = chosen_rules(&app.set(), &id, &query)?;
        Ok(json_ok(&rules.schema()))
    })
    .await
}

async fn doc(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    answer(&app, async {
        let (rules, _) = chosen_rules(&app.set(), &id, &query)?;
        Ok(json_ok(&json!({"markdown": rules.doc_markdown()})))
    })
    .await
}

async fn source_of(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    answer(&app, async {
        let (rules, folder) = chosen_rules(&app.set(), &id, &query)?;
        let folder = folder.map(|f| waymark_check::normalize(&f));
        let rel = |name: &str| {
            let p = waymark_check::normalize(std::path::Path::new(name));
            folder
                .as_ref()
                .and_then(|f| p.strip_prefix(f).ok())
                .unwrap_or(&p)
                .display()
                .to_string()
        };
        let files = &rules.checked().files;
        let Some(root) = files.first() else {
            return Err(ApiError::internal("the ruleset has no source file"));
        };
        let imports: Map<String, Json> = files
            .iter()
            .skip(1)
            .map(|f| (rel(&f.name), Json::String(f.text.to_string())))
            .collect();
        Ok(json_ok(&json!({
            "id": rules.id(),
            "version": rules.version(),
            "path": rel(&root.name),
            "source": root.text.to_string(),
            "files": imports,
        })))
    })
    .await
}

async fn corpora(State(app): State<Arc<App>>) -> Response {
    let set = app.set();
    let items: Vec<Json> = set
        .corpora
        .iter()
        .map(|c| json!({"name": c.name, "lines": c.lines}))
        .collect();
    json_ok(&Json::Array(items))
}

// ---- Evaluate ----

/// One evaluate request.
struct EvalRequest {
    facts: Json,
    params: Vec<(String, Json)>,
    version: Option<String>,
    as_of: Option<waymark_ir::Date>,
    explain: bool,
}

const EVAL_FIELDS: [&str; 5] = ["facts", "params", "version", "as_of", "explain"];

fn eval_request(mut json: Json) -> Result<EvalRequest, ApiError> {
    let obj = source::object(&json, "the request")?;
    let mut f = Fields::new(obj, &EVAL_FIELDS, "");
    f.require("facts");
    let params = f.params("params");
    let version = f.str("version").map(str::to_string);
    let as_of = f.date("as_of");
    let explain = f.bool("explain").unwrap_or(false);
    if version.is_some() && as_of.is_some() {
        f.add("as_of", "give `version` or `as_of`, not both".into());
    }
    f.finish()?;
    let facts = json
        .as_object_mut()
        .and_then(|o| o.remove("facts"))
        .unwrap_or(Json::Null);
    Ok(EvalRequest {
        facts,
        params,
        version,
        as_of,
        explain,
    })
}

/// What one evaluation produces: the decision's bytes and, when recording, its record.
struct Evaluated {
    body: Vec<u8>,
    record: Option<Vec<u8>>,
}

/// Evaluates one request against the set; `pretty` gives the bytes `waymark eval --format
/// json` prints, otherwise one line.
async fn evaluate_one(
    app: &Arc<App>,
    set: &Set,
    id: &str,
    req: EvalRequest,
    size: usize,
    pretty: bool,
) -> Result<Evaluated, ApiError> {
    let chosen = set.choose(id, req.version.as_deref(), req.as_of)?;
    let as_of = req.as_of.map(|d| d.to_string()).or(chosen.as_of);
    let rules = app.specialize(set, &chosen.entry.rules, &req.params, &req.facts)?;
    let recording = app.records.is_some();
    let redact = app.config.redact || set.redact();
    let explain = req.explain;
    let facts = req.facts;
    let inline = size <= INLINE_MAX && !recording;
    let started = Instant::now();
    let evaluated = app
        .budgeted(inline, app.config.eval_timeout, move || {
            let decision = rules
                .evaluate_json(&facts, explain)
                .map_err(|e| ApiError::facts(&e.0))?;
            let mut body = Vec::with_capacity(if explain { 16 << 10 } else { 1 << 10 });
            let written = if pretty {
                serde_json::to_writer_pretty(&mut body, &decision)
            } else {
                serde_json::to_writer(&mut body, &decision)
            };
            written.map_err(|e| ApiError::internal(format!("cannot write the decision: {e}")))?;
            body.push(b'\n');
            let record = if recording {
                let r = rules
                    .record(&facts, as_of, explain, redact)
                    .map_err(|e| ApiError::facts(&e.0))?;
                let mut line = serde_json::to_vec(&r).map_err(|e| {
                    ApiError::internal(format!("cannot write the decision record: {e}"))
                })?;
                line.push(b'\n');
                Some(line)
            } else {
                None
            };
            Ok(Evaluated { body, record })
        })
        .await?;
    if let Some(m) = set.metrics.get(id) {
        m.decisions.inc();
        m.latency.observe(started.elapsed().as_secs_f64());
    }
    Ok(evaluated)
}

async fn evaluate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    answer(&app, async {
        // An unknown ruleset is a 404 whatever the body holds, as for a batch.
        let set = app.set();
        set.versions(&id)?;
        let bytes = read_body(body, &headers, app.config.body_limit).await?;
        let json: Json = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_json("the request body", &e))?;
        let req = eval_request(json)?;
        let out = evaluate_one(&app, &set, &id, req, bytes.len(), true).await?;
        if let (Some(line), Some(writer)) = (out.record, &app.records) {
            writer
                .write(line)
                .await
                .map_err(|e| ApiError::internal(format!("the decision was not recorded: {e}")))?;
        }
        Ok(json_bytes(StatusCode::OK, out.body))
    })
    .await
}

/// The line for a request line that could not be evaluated.
fn error_line(line: u64, e: &ApiError) -> Vec<u8> {
    let mut value = e.to_json();
    if let Some(obj) = value.as_object_mut() {
        obj.insert("line".into(), json!(line));
    }
    let mut bytes = serde_json::to_vec(&value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Evaluates one NDJSON line; the line to answer with and any record.
async fn batch_line(
    app: &Arc<App>,
    set: &Set,
    id: &str,
    n: u64,
    text: &[u8],
) -> (Vec<u8>, Option<Vec<u8>>) {
    let result = async {
        let json: Json = serde_json::from_slice(text)
            .map_err(|e| ApiError::bad_json(&format!("line {n}"), &e))?;
        let req = eval_request(json)?;
        evaluate_one(app, set, id, req, text.len(), false).await
    }
    .await;
    match result {
        Ok(out) => (out.body, out.record),
        Err(e) => {
            app.metrics.error(e.kind);
            (error_line(n, &e), None)
        }
    }
}

async fn evaluate_batch(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let limit = app.config.batch_limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return app.fail(ApiError::too_large(limit));
    }
    let set = app.set();
    if let Err(e) = set.versions(&id) {
        return app.fail(e);
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::spawn(async move {
        let mut body = Limited::new(body, limit);
        let line_limit = app.config.body_limit;
        let mut pending: Vec<u8> = Vec::new();
        let mut skipping = false;
        let mut n: u64 = 0;
        loop {
            let frame = body.frame().await;
            let mut out = Vec::new();
            let mut records = Vec::new();
            let mut done = false;
            match frame {
                Some(Ok(frame)) => {
                    let Some(data) = frame.data_ref() else {
                        continue;
                    };
                    let mut rest: &[u8] = data;
                    while let Some(pos) = rest.iter().position(|b| *b == b'\n') {
                        let (head, tail) = rest.split_at(pos);
                        rest = tail.get(1..).unwrap_or_default();
                        n += 1;
                        if skipping || pending.len() + head.len() > line_limit {
                            skipping = false;
                            pending.clear();
                            out.extend(error_line(n, &ApiError::too_large(line_limit)));
                            continue;
                        }
                        pending.extend_from_slice(head);
                        let line = std::mem::take(&mut pending);
                        if line.iter().all(u8::is_ascii_whitespace) {
                            continue;
                        }
                        let (answer, record) = batch_line(&app, &set, &id, n, &line).await;
                        out.extend(answer);
                        records.extend(record.unwrap_or_default());
                    }
                    if !skipping {
                        pending.extend_from_slice(rest);
                        if pending.len() > line_limit {
                            skipping = true;
                            pending = Vec::new();
                        }
                    }
                }
                Some(Err(e)) => {
                    let e = if e.downcast_ref::<LengthLimitError>().is_some() {
                        ApiError::too_large(limit)
                    } else {
                        ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "bad_request",
                            format!("cannot read the request body: {e}"),
                        )
                    };
                    app.metrics.error(e.kind);
                    out.extend(error_line(n + 1, &e));
                    done = true;
                }
                None => {
                    if skipping || !pending.iter().all(u8::is_ascii_whitespace) {
                        n += 1;
                        let line = std::mem::take(&mut pending);
                        if skipping {
                            out.extend(error_line(n, &ApiError::too_large(line_limit)));
                        } else {
                            let (answer, record) = batch_line(&app, &set, &id, n, &line).await;
                            out.extend(answer);
                            records.extend(record.unwrap_or_default());
                        }
                    }
                    done = true;
                }
            }
            if let (false, Some(writer)) = (records.is_empty(), &app.records)
                && let Err(e) = writer.write(records).await
            {
                let e = ApiError::internal(format!("decisions were not recorded: {e}"));
                app.metrics.error(e.kind);
                let _ = tx.send(Ok(Bytes::from(error_line(n, &e)))).await;
                return;
            }
            if !out.is_empty() && tx.send(Ok(Bytes::from(out))).await.is_err() {
                return;
            }
            if done {
                return;
            }
        }
    });
    let mut r = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    r
}

// ---- Posted rulesets ----

fn posted_only(json: &Json) -> Result<source::Posted, ApiError> {
    let obj = source::object(json, "the request")?;
    let mut f = Fields::new(obj, &source::POSTED_FIELDS, "");
    let posted = source::posted(&mut f);
    f.finish()?;
    posted.ok_or_else(|| ApiError::internal("the request could not be read"))
}

async fn check(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    posted_work(&app, &headers, body, |set, json| {
        let posted = posted_only(&json)?;
        let check = source::check(&posted, &set.files);
        let ok = !check.has_errors();
        let diagnostics: Vec<Json> = check
            .diagnostics
            .iter()
            .map(waymark_diagnostics::to_json_value)
            .collect();
        Ok(json_ok(&json!({"ok": ok, "diagnostics": diagnostics})))
    })
    .await
}

async fn test(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    posted_work(&app, &headers, body, |set, json| {
        let posted = posted_only(&json)?;
        let rules = source::compile(&posted, &set.files)?;
        let report = rules.run_tests();
        Ok(json_ok(&json!({
            "ok": report.failed() == 0,
            "passed": report.passed(),
            "failed": report.failed(),
            "report": report,
        })))
    })
    .await
}

async fn format(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    posted_work(&app, &headers, body, |_, json| {
        let posted = posted_only(&json)?;
        let parse = waymark_syntax::parse_str(&posted.path.display().to_string(), &posted.source);
        if parse.has_errors() {
            return Err(ApiError::diagnostics(&parse.diagnostics));
        }
        let formatted = waymark_syntax::format(&parse.ruleset, &parse.file.text);
        Ok(json_ok(&json!({"formatted": formatted})))
    })
    .await
}

async fn doc_posted(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    posted_work(&app, &headers, body, |set, json| {
        let posted = posted_only(&json)?;
        let rules = source::compile(&posted, &set.files)?;
        Ok(json_ok(&json!({"markdown": rules.doc_markdown()})))
    })
    .await
}

async fn evaluate_posted(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let budget = app.config.eval_timeout;
    posted_work(&app, &headers, body, move |set, mut json| {
        let obj = source::object(&json, "the request")?;
        let allowed: Vec<&str> = source::POSTED_FIELDS
            .iter()
            .chain(&["facts", "explain"])
            .copied()
            .collect();
        let mut f = Fields::new(obj, &allowed, "");
        let posted = source::posted(&mut f);
        f.require("facts");
        let explain = f.bool("explain").unwrap_or(false);
        f.finish()?;
        let posted = posted.ok_or_else(|| ApiError::internal("the request could not be read"))?;
        let facts = json
            .as_object_mut()
            .and_then(|o| o.remove("facts"))
            .unwrap_or(Json::Null);
        let rules = source::compile(&posted, &set.files)?;
        let started = Instant::now();
        let decision = rules
            .evaluate_json(&facts, explain)
            .map_err(|e| ApiError::facts(&e.0))?;
        if started.elapsed() > budget {
            return Err(ApiError::timeout(budget));
        }
        let mut body = serde_json::to_vec_pretty(&decision)
            .map_err(|e| ApiError::internal(format!("cannot write the decision: {e}")))?;
        body.push(b'\n');
        Ok(json_bytes(StatusCode::OK, body))
    })
    .await
}
