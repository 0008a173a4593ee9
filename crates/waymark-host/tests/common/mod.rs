//! Shared by the host's integration tests: the workspace root and the component.
//!
//! The component must have been built (`bash scripts/component`); when it is missing, every
//! test that needs it fails with the reason, and none is skipped.

#![allow(dead_code, reason = "each test binary uses some of the helpers")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a failure stops the test at once"
)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use waymark_host::{Component, Options};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A path under the workspace root.
pub fn at(path: &str) -> PathBuf {
    root().join(path)
}

/// The component with the default options, loaded once per test binary (the first load
/// compiles it and fills the artifact cache; every later load, with any limits, reads the
/// cache, since all tests keep fuel and deadlines switched on).
pub fn shared() -> Component {
    static SHARED: OnceLock<Component> = OnceLock::new();
    SHARED
        .get_or_init(|| match Component::load(Options::default()) {
            Ok(c) => c,
            Err(e) => panic!(
                "the Waymark component is needed by this test and could not be loaded: {e}\n\
                 build it with `bash scripts/component` (or set WAYMARK_COMPONENT)"
            ),
        })
        .clone()
}

/// The component with other limits (fuel and deadline stay switched on).
pub fn limited(change: impl FnOnce(&mut Options)) -> Component {
    let _ = shared();
    let mut options = Options::default();
    change(&mut options);
    assert!(
        options.fuel.is_some() && options.deadline.is_some(),
        "keep fuel and deadline on: the cache is shared"
    );
    match Component::load(options) {
        Ok(c) => c,
        Err(e) => panic!("cannot load the component: {e}"),
    }
}

/// Every reference ruleset file, sorted.
pub fn reference_rulesets() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(at("rulesets")) else {
        panic!("no rulesets/ folder")
    };
    for dir in dirs.flatten() {
        if let Ok(files) = std::fs::read_dir(dir.path()) {
            for f in files.flatten() {
                if f.path().extension().is_some_and(|e| e == "wm") {
                    out.push(f.path());
                }
            }
        }
    }
    out.sort();
    out
}

/// The native decision as JSON text, or the native fact errors.
pub fn native_json(
    rules: &waymark::Ruleset,
    facts: &serde_json::Value,
    explain: bool,
) -> Result<String, waymark::FactErrors> {
    rules
        .evaluate_json(facts, explain)
        .map(|d| serde_json::to_string(&d).unwrap())
}
