//! The Waymark decision service: every ruleset under some folders, answered over HTTP.
//!
//! Case systems that will not embed a library call this service instead: one `POST` with a
//! case's facts gets the decision, byte for byte the JSON that `waymark eval --format json`
//! prints. Policy tools check, test, format, compare and measure rulesets through the same
//! API, and the workbench page is served at `/`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), waymark_serve::ServeError> {
//! let config = waymark_serve::Config {
//!     rulesets: vec!["rulesets".into()],
//!     addr: "127.0.0.1:0".parse().map_err(|_| waymark_serve::ServeError::Usage("addr".into()))?,
//!     ..waymark_serve::Config::default()
//! };
//! let running = waymark_serve::start(config).await?;
//! println!("listening on {}", running.local_addr());
//! running.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! The API is described by `openapi.json` (served at `/openapi.json`); a test holds it equal
//! to the router. Facts are never logged. Reloads (SIGHUP, [`Running::reload`], or a change
//! in a `--registry` folder) load the new set beside the old and swap only when every
//! ruleset in it loads cleanly.

mod api;
mod compare;
mod error;
mod metrics;
mod records;
mod set;
mod source;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

pub use api::route_table;
pub use error::ServeError;

/// The OpenAPI 3.1 document of the service, as served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// How the service runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folders of rulesets (source `.wm` or built `.wmc`), loaded at start and on reload.
    pub rulesets: Vec<PathBuf>,
    /// Registry folders: loaded like `rulesets`, and watched, so a change reloads.
    pub registry: Vec<PathBuf>,
    /// Folders of case corpora (`.jsonl`) for `POST /v1/impact` and `GET /v1/corpora`.
    pub corpora: Vec<PathBuf>,
    /// The address to listen on.
    pub addr: SocketAddr,
    /// The bearer token every `/v1` route and `/metrics` require, when set.
    pub token: Option<String>,
    /// A folder for decision records (JSON lines, synced to disk before each answer).
    pub records: Option<PathBuf>,
    /// Redact every decision record (keep only the facts that mattered), whatever the
    /// profile says.
    pub redact: bool,
    /// An agency profile whose parameters (and pinned versions) apply.
    pub profile: Option<PathBuf>,
    /// Require built artifacts signed by this Ed25519 public key (a file of hex digits).
    pub verify_key: Option<PathBuf>,
    /// The most bytes a request body may have (413 above it).
    pub body_limit: usize,
    /// The most bytes a batch request body may have (its lines each within `body_limit`).
    pub batch_limit: usize,
    /// The time budget of one evaluation (422 when exceeded).
    pub eval_timeout: Duration,
    /// The time budget of checking, testing, comparing or measuring posted rulesets.
    pub work_timeout: Duration,
    /// How many rulesets specialised with request parameters are kept.
    pub param_cache: usize,
    /// How long a registry folder must be quiet after a change before reloading.
    pub debounce: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rulesets: Vec::new(),
            registry: Vec::new(),
            corpora: Vec::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            records: None,
            redact: false,
            profile: None,
            verify_key: None,
            body_limit: 1 << 20,
            batch_limit: 64 << 20,
            eval_timeout: Duration::from_millis(1000),
            work_timeout: Duration::from_secs(60),
            param_cache: 64,
            debounce: Duration::from_millis(300),
        }
    }
}

/// A running service.
pub struct Running {
    addr: SocketAddr,
    app: Arc<api::App>,
    handle: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
    _watcher: Option<notify::RecommendedWatcher>,
}

/// Checks the configuration, loads every ruleset, binds the address and starts serving.
/// Returns as soon as the service answers; refuses to start when any ruleset does not load.
pub async fn start(config: Config) -> Result<Running, ServeError> {
    if config.rulesets.is_empty() && config.registry.is_empty() {
        return Err(ServeError::Usage(
            "give at least one folder of rulesets (`--rulesets DIR` or `--registry DIR`)".into(),
        ));
    }
    if !config.addr.ip().is_loopback() && config.token.is_none() {
        return Err(ServeError::NoToken { addr: config.addr });
    }
    if config.token.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(ServeError::Usage("the token is empty".into()));
    }
    let app = api::App::new(config.clone()).await?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| ServeError::Bind {
            addr: config.addr,
            message: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| ServeError::Bind {
        addr: config.addr,
        message: e.to_string(),
    })?;
    let router = api::router(Arc::clone(&app));
    let (stop, stopped) = oneshot::channel::<()>();
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        // Small JSON answers on kept-alive connections: send them at once.
        let _ = tcp.set_nodelay(true);
    });
    let server = tokio::spawn(async move {
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::error!("the server stopped: {e}");
        }
    });
    let watcher = if config.registry.is_empty() {
        None
    } else {
        Some(api::watch(
            Arc::clone(&app),
            &config.registry,
            config.debounce,
        )?)
    };
    let set = app.set();
    tracing::info!(
        "listening on http://{addr}: {} version(s) of {} ruleset(s){}",
        set.registry.entries().len(),
        set.registry.ids().len(),
        if config.token.is_some() {
            ", token required"
        } else {
            ""
        }
    );
    Ok(Running {
        addr,
        app,
        handle: tokio::runtime::Handle::current(),
        stop: Some(stop),
        server,
        _watcher: watcher,
    })
}

impl Running {
    /// The address the service listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Loads the rulesets again beside the current set and swaps when all of them load
    /// (the same as SIGHUP). Returns at once; the reload runs in the background.
    pub fn reload(&self) {
        let app = Arc::clone(&self.app);
        self.handle.spawn(async move {
            let _ = api::reload(&app).await;
        });
    }

    /// Like [`Running::reload`], but waits and says whether the new set is now served.
    pub async fn reload_and_wait(&self) -> Result<(), ServeError> {
        api::reload(&self.app).await
    }

    /// Stops accepting connections, lets requests in flight finish, and returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.server).await;
    }

    /// Waits until the service stops (after [`Running::shutdown`] from elsewhere, or a
    /// fatal error).
    pub async fn wait(mut self) {
        let _ = (&mut self.server).await;
    }

    fn stop_handle(&mut self) -> Option<oneshot::Sender<()>> {
        self.stop.take()
    }
}

/// Runs the service until SIGTERM or Ctrl-C, reloading on SIGHUP, logging to standard
/// error. For the `waymark serve` command.
pub fn run(config: Config) -> Result<(), ServeError> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeError::Usage(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let mut running = start(config).await?;
        let stop = running.stop_handle();
        let app = Arc::clone(&running.app);
        signals(app).await?;
        tracing::info!("stopping: finishing the requests in flight");
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        running.wait().await;
        tracing::info!("stopped");
        Ok(())
    })
}

/// Waits for SIGTERM or Ctrl-C, reloading on every SIGHUP meanwhile.
#[cfg(unix)]
async fn signals(app: Arc<api::App>) -> Result<(), ServeError> {
    use tokio::signal::unix::{SignalKind, signal};
    let fail = |e: std::io::Error| ServeError::Usage(format!("cannot listen for signals: {e}"));
    let mut hup = signal(SignalKind::hangup()).map_err(fail)?;
    let mut term = signal(SignalKind::terminate()).map_err(fail)?;
    loop {
        tokio::select! {
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reloading");
                let app = Arc::clone(&app);
                tokio::spawn(async move { let _ = api::reload(&app).await; });
            }
            _ = term.recv() => return Ok(()),
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

#[cfg(not(unix))]
async fn signals(_app: Arc<api::App>) -> Result<(), ServeError> {
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}
