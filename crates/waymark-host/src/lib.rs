//! Runs the Waymark WebAssembly component (`crates/waymark-component`, contract
//! `wit/engine.wit`) under wasmtime, behind an API that mirrors the native facade.
//!
//! ```no_run
//! # fn main() -> Result<(), waymark_host::Error> {
//! // Native:  let rules = waymark::Ruleset::from_path("rulesets/marac/referral.wm")?;
//! let rules = waymark_host::Ruleset::from_path("rulesets/marac/referral.wm")?;
//! let facts = serde_json::json!({"assessment_date": "2024-05-01", "q1": "yes"});
//! let decision: waymark::Decision = rules.evaluate_json(&facts, true)?;
//! println!("{}", serde_json::to_string_pretty(&decision).unwrap_or_default());
//! # Ok(()) }
//! ```
//!
//! * **Loading.** A [`Component`] is loaded once: the `.wasm` file is compiled by Cranelift
//!   and the compiled artifact is cached on disk ([`Options::cache_dir`]), so later
//!   processes deserialize it (a memory map) instead of compiling again. Instances are made
//!   from one `InstancePre`, so an instance costs tens of microseconds.
//! * **Limits.** Every call into the guest runs with a fuel budget (a deterministic CPU
//!   limit), a memory cap per instance and a wall-clock deadline (epoch interruption). A
//!   guest that exceeds one or traps gives [`Error::Limit`] or [`Error::Trap`]; the
//!   instance is dropped and the next call gets a fresh one, rebuilding the ruleset from
//!   the sources it keeps.
//! * **Where the component is.** [`component_path`]: `$WAYMARK_COMPONENT`, else
//!   `target/wasm32-wasip2/component/waymark_component.wasm` (built by `bash scripts/component`).
//!   A missing file is an [`Error::Load`], never a silent fallback to native.
//!
//! A [`Ruleset`] is `Send + Sync`; calls on one ruleset (and on the rulesets made from it
//! with [`Ruleset::with_params`]) share one instance and are serialized. Compile the
//! ruleset once per thread for parallel evaluation.

mod cache;
mod error;
mod instance;
mod ruleset;
mod switch;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

pub use bindings::exports::waymark::engine::types::{Scalar, Value};
pub use error::{Diagnostic, Error, Limit, Severity};
pub use ruleset::Ruleset;
pub use switch::{EngineKind, Evaluator};

use instance::State;

/// Host bindings generated from the component's WIT file.
mod bindings {
    wasmtime::component::bindgen!({
        path: "../waymark-component/wit",
        world: "waymark",
    });
}

/// Fuel for one call into the guest when [`Options::fuel`] is not changed. Fuel counts
/// WebAssembly instructions, roughly: compiling MARAC takes about 150 million, compiling the
/// London pathways with every import and a batch of a thousand MARAC cases with
/// explanations each take under a billion. A batch is one call: size batches, or raise the
/// fuel, accordingly.
pub const DEFAULT_FUEL: u64 = 4_000_000_000;

/// Memory one instance may grow to when [`Options::memory_bytes`] is not changed.
pub const DEFAULT_MEMORY_BYTES: usize = 256 << 20;

/// Wall-clock time one call may take when [`Options::deadline`] is not changed.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

/// How the component is loaded and limited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The component file (see [`component_path`]).
    pub component: PathBuf,
    /// Where the compiled artifact is cached; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// Fuel for each call into the guest; `None` switches fuel metering off.
    pub fuel: Option<u64>,
    /// The most linear memory one instance may use, in bytes.
    pub memory_bytes: usize,
    /// The longest one call may take; `None` switches the deadline off.
    pub deadline: Option<Duration>,
}

impl Default for Options {
    fn default() -> Options {
        let component = component_path();
        let cache_dir = Some(default_cache_dir(&component));
        Options {
            component,
            cache_dir,
            fuel: Some(DEFAULT_FUEL),
            memory_bytes: DEFAULT_MEMORY_BYTES,
            deadline: Some(DEFAULT_DEADLINE),
        }
    }
}

/// Where the component is: `$WAYMARK_COMPONENT` when set, else
/// `$CARGO_TARGET_DIR/wasm32-wasip2/component/waymark_component.wasm`, with the target
/// folder defaulting to this workspace's `target/`.
pub fn component_path() -> PathBuf {
    if let Some(p) = std::env::var_os("WAYMARK_COMPONENT") {
        return PathBuf::from(p);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => workspace.join(t),
        None => workspace.join("target"),
    };
    target
        .join("wasm32-wasip2")
        .join("component")
        .join("waymark_component.wasm")
}

/// The default cache folder: `$WAYMARK_COMPONENT_CACHE` when set, else `cache/` beside
/// the component file (as trusted as the component itself).
pub fn default_cache_dir(component: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("WAYMARK_COMPONENT_CACHE") {
        return PathBuf::from(p);
    }
    component.parent().unwrap_or(Path::new(".")).join("cache")
}

/// The loaded component: a wasmtime engine, the compiled component and a pre-linked
/// instance template. Cheap to clone.
#[derive(Clone)]
pub struct Component {
    inner: Arc<ComponentInner>,
}

pub(crate) struct ComponentInner {
    pub(crate) engine: wasmtime::Engine,
    pub(crate) pre: bindings::WaymarkPre<State>,
    pub(crate) options: Options,
    from_cache: bool,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Component")
            .field("options", &self.inner.options)
            .field("from_cache", &self.inner.from_cache)
            .finish_non_exhaustive()
    }
}

/// How often the deadline clock ticks.
const TICK: Duration = Duration::from_millis(5);

impl Component {
    /// Loads the component with these options: from the artifact cache when it holds this
    /// exact file compiled for this engine, else by compiling it (and filling the cache).
    pub fn load(options: Options) -> Result<Component, Error> {
        let mut config = wasmtime::Config::new();
        config.consume_fuel(options.fuel.is_some());
        config.epoch_interruption(options.deadline.is_some());
        let engine = wasmtime::Engine::new(&config).map_err(|e| Error::Load {
            path: options.component.display().to_string(),
            message: format!("cannot configure wasmtime: {e}"),
        })?;
        let (component, from_cache) =
            cache::load(&engine, &options.component, options.cache_dir.as_deref())?;
        let load_error = |e: wasmtime::Error| Error::Load {
            path: options.component.display().to_string(),
            message: format!("{e:#}"),
        };
        let mut linker = wasmtime::component::Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(load_error)?;
        let pre = linker.instantiate_pre(&component).map_err(load_error)?;
        let pre = bindings::WaymarkPre::new(pre).map_err(load_error)?;
        if options.deadline.is_some() {
            start_ticker(&engine);
        }
        Ok(Component {
            inner: Arc::new(ComponentInner {
                engine,
                pre,
                options,
                from_cache,
            }),
        })
    }

    /// The component with [`Options::default`], loaded once per process.
    pub fn global() -> Result<Component, Error> {
        static GLOBAL: OnceLock<Mutex<Option<Component>>> = OnceLock::new();
        let cell = GLOBAL.get_or_init(|| Mutex::new(None));
        let mut guard = cell.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let c = Component::load(Options::default())?;
        *guard = Some(c.clone());
        Ok(c)
    }

    /// The options it was loaded with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// True when the compiled artifact came from the cache rather than from Cranelift.
    pub fn from_cache(&self) -> bool {
        self.inner.from_cache
    }

    /// Makes a new instance and drops it: the cost of the instance a ruleset is compiled
    /// into (and of recovering after a trap). For benchmarks and health checks.
    pub fn instantiate(&self) -> Result<(), Error> {
        instance::Live::new(&self.inner).map(drop)
    }

    /// Checks and compiles a ruleset from in-memory files (root and imports, path and
    /// text) in a new instance, like [`waymark::Ruleset::from_sources`].
    pub fn from_sources(&self, root: &str, files: &[(String, String)]) -> Result<Ruleset, Error> {
        Ruleset::compile_in(self.clone(), root, files)
    }

    /// Reads a ruleset file and every file it imports from disk (the component says which
    /// files each one imports), then compiles them, like [`waymark::Ruleset::from_path`].
    /// A built artifact (recognised by its first bytes) is loaded as it is.
    pub fn from_path(&self, path: impl AsRef<Path>) -> Result<Ruleset, Error> {
        let path = path.as_ref();
        if let Ok(bytes) = std::fs::read(path)
            && waymark::artifact::looks_like_artifact(&bytes)
        {
            return self.from_artifact(&bytes, None);
        }
        Ruleset::read_in(self.clone(), path)
    }

    /// Loads a built artifact (`waymark build`) in a new instance. The guest checks its
    /// format, hash and embedded sources, and with `key` its signature, as
    /// [`waymark::Ruleset::from_artifact`] does; a refusal is one diagnostic with code
    /// `artifact`.
    pub fn from_artifact(
        &self,
        bytes: &[u8],
        key: Option<&waymark::artifact::VerifyingKey>,
    ) -> Result<Ruleset, Error> {
        Ruleset::load_in(self.clone(), bytes, key)
    }

    /// The same files and parameter values as a native ruleset, compiled in the component:
    /// for cross-checking a native decision.
    pub fn from_native(&self, rules: &waymark::Ruleset) -> Result<Ruleset, Error> {
        let files: Vec<(String, String)> = rules
            .checked()
            .files
            .iter()
            .map(|f| (f.name.clone(), f.text.to_string()))
            .collect();
        let root = files.first().map(|f| f.0.clone()).unwrap_or_default();
        let compiled = self.from_sources(&root, &files)?;
        let params: Vec<(String, serde_json::Value)> = rules.params_json().into_iter().collect();
        if params.is_empty() {
            Ok(compiled)
        } else {
            compiled.with_params(&params)
        }
    }
}

/// A thread that advances the engine's epoch every [`TICK`], for deadlines; it ends once
/// the engine is dropped.
fn start_ticker(engine: &wasmtime::Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("waymark-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(TICK);
                match weak.upgrade() {
                    Some(e) => e.increment_epoch(),
                    None => break,
                }
            }
        });
    // Without the thread, deadlines never fire; fuel and memory limits still hold.
    drop(spawned);
}

#[cfg(test)]
mod tests {
    #[test]
    fn types_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::Component>();
        check::<super::Ruleset>();
    }
}
