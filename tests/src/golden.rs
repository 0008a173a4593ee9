//! Golden files: expected outputs stored beside their inputs under `tests/data`.
//!
//! A case is one input file; what it must produce sits beside it under the same name with
//! another extension (`.ast`, `.diag`, `.fmt`). [`expect_file`] compares the two. With
//! `UPDATE_EXPECT=1` in the environment it writes the actual output instead, so after a
//! deliberate change `UPDATE_EXPECT=1 cargo test -p waymark-tests` updates every
//! expectation at once, and `git diff` shows what changed.
//!
//! File names in rendered diagnostics are written relative to the workspace root, such as
//! `tests/data/parse/err/missing_colon.wm`, so golden files hold no machine-specific paths.

use std::path::{Path, PathBuf};

/// The workspace root: the folder holding `Cargo.toml`, `rulesets/` and `tests/`.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// `tests/data` in the workspace.
pub fn data_dir() -> PathBuf {
    workspace_root().join("tests").join("data")
}

/// True when expected files should be rewritten rather than compared.
pub fn update_mode() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The files directly inside `dir` whose names end in `.{ext}`, sorted by name.
pub fn cases(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let suffix = format!(".{ext}");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(&suffix))
        })
        .collect();
    found.sort();
    found
}

/// Every file under `dir`, at any depth, whose name ends in `.{ext}`, sorted by path.
pub fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The path relative to the workspace root, with `/` between folders.
pub fn display_name(path: &Path) -> String {
    let relative = path.strip_prefix(workspace_root()).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The sibling of `case` with its last extension replaced: `x.wm` → `x.diag`.
pub fn sibling(case: &Path, ext: &str) -> PathBuf {
    case.with_extension(ext)
}

/// Compares `actual` with the contents of `expected`, or writes it there in update mode.
/// Returns a description of the difference when they differ.
pub fn expect_file(expected: &Path, actual: &str) -> Result<(), String> {
    let current = std::fs::read_to_string(expected)
        .ok()
        .map(|t| t.replace("\r\n", "\n"));
    if current.as_deref() == Some(actual) {
        return Ok(());
    }
    if update_mode() {
        return std::fs::write(expected, actual)
            .map_err(|e| format!("{}: cannot write: {e}", display_name(expected)));
    }
    let name = display_name(expected);
    let Some(current) = current else {
        return Err(format!(
            "{name}: the expected file is missing; run with UPDATE_EXPECT=1 to create it. Actual output:\n{actual}"
        ));
    };
    Err(format!(
        "{name}: output differs (run with UPDATE_EXPECT=1 to accept it)\n{}",
        first_difference(&current, actual)
    ))
}

/// A few lines around the first line where `expected` and `actual` differ.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let at = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let from = at.saturating_sub(3);
    let mut out = format!("first difference at line {}:\n--- expected\n", at + 1);
    for line in e.iter().skip(from).take(at - from + 4) {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("+++ actual\n");
    for line in a.iter().skip(from).take(at - from + 4) {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Collects failures so that one run reports every failing case, not only the first.
#[derive(Debug, Default)]
pub struct Failures {
    failures: Vec<String>,
    checked: usize,
}

impl Failures {
    /// No failures yet.
    pub fn new() -> Failures {
        Failures::default()
    }

    /// Records the outcome of one case.
    pub fn record(&mut self, outcome: Result<(), String>) {
        self.checked += 1;
        if let Err(e) = outcome {
            self.failures.push(e);
        }
    }

    /// Records a failure of the case named `name` unless `ok`.
    pub fn check(&mut self, ok: bool, name: &str, message: impl FnOnce() -> String) {
        self.record(if ok {
            Ok(())
        } else {
            Err(format!("{name}: {}", message()))
        });
    }

    /// How many outcomes were recorded.
    pub fn checked(&self) -> usize {
        self.checked
    }

    /// Fails the test with every recorded failure, and when fewer than `min_cases` outcomes
    /// were recorded (a data folder that went missing must not pass silently).
    pub fn finish(self, what: &str, min_cases: usize) {
        assert!(
            self.checked >= min_cases,
            "{what}: only {} cases found, expected at least {min_cases}",
            self.checked
        );
        assert!(
            self.failures.is_empty(),
            "{what}: {} of {} cases failed\n\n{}",
            self.failures.len(),
            self.checked,
            self.failures.join("\n\n")
        );
    }
}
