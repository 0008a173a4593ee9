//! Golden-file tests driven by the folders under `tests/data`. A new case is one new file.
//!
//! * `parse/ok/*.wm` parse without any diagnostic; the tree, spans included, is in `*.ast`.
//! * `parse/err/*.wm` give at least one error; the rendered diagnostics are in `*.diag`.
//! * `check/*.wm` are checked with their imports; the rendered diagnostics are in `*.diag`
//!   (empty when the file is clean).
//! * `fmt/*.wm` parse cleanly; their canonical layout is in `*.fmt`, which must itself be
//!   canonical and parse to the same tree.
//!
//! `UPDATE_EXPECT=1 cargo test -p waymark-tests --test golden` rewrites the expected files.

use std::path::{Path, PathBuf};

use waymark_diagnostics::{Code, render_all};
use waymark_syntax::dump::dump;
use waymark_tests::golden::{
    Failures, cases, data_dir, display_name, expect_file, files_under, sibling, workspace_root,
};

#[expect(clippy::panic, reason = "a case that cannot be read fails the test")]
fn parse_case(path: &Path) -> waymark_syntax::Parse {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    waymark_syntax::parse_bytes(&display_name(path), &bytes)
}

#[test]
fn parse_ok() {
    let mut failures = Failures::new();
    for path in cases(&data_dir().join("parse/ok"), "wm") {
        let name = display_name(&path);
        let parse = parse_case(&path);
        failures.check(parse.diagnostics.is_empty(), &name, || {
            format!(
                "expected no diagnostics, got:\n{}",
                render_all(&parse.diagnostics, false)
            )
        });
        failures.record(expect_file(
            &sibling(&path, "ast"),
            &dump(&parse.ruleset, true),
        ));
    }
    failures.finish("parse/ok", 2 * 15);
}

#[test]
fn parse_err() {
    let mut failures = Failures::new();
    for path in cases(&data_dir().join("parse/err"), "wm") {
        let name = display_name(&path);
        let parse = parse_case(&path);
        failures.check(parse.has_errors(), &name, || {
            "expected at least one error, got none".to_string()
        });
        failures.record(expect_file(
            &sibling(&path, "diag"),
            &render_all(&parse.diagnostics, false),
        ));
    }
    failures.finish("parse/err", 2 * 15);
}

/// Reads files below the workspace root, so that the checker sees (and diagnostics show)
/// paths such as `tests/data/check/x.wm`, the same on every machine.
struct FromRoot {
    root: PathBuf,
}

impl waymark_check::Loader for FromRoot {
    fn load(&self, path: &Path) -> Result<String, String> {
        waymark_check::FsLoader.load(&self.root.join(path))
    }

    fn load_bytes(&self, path: &Path) -> Result<Vec<u8>, String> {
        waymark_check::FsLoader.load_bytes(&self.root.join(path))
    }
}

fn check_rendered(relative: &Path) -> String {
    let loader = FromRoot {
        root: workspace_root(),
    };
    let check = waymark_check::check_path(relative, &loader);
    render_all(&check.diagnostics, false)
}

#[test]
fn check() {
    let mut failures = Failures::new();
    for path in cases(&data_dir().join("check"), "wm") {
        let relative = PathBuf::from(display_name(&path));
        failures.record(expect_file(
            &sibling(&path, "diag"),
            &check_rendered(&relative),
        ));
    }
    failures.finish("check", 0);
}

/// A root file that cannot be read has no `.wm` to put in a folder, so its case is written here.
#[test]
fn check_missing_file() {
    let rendered = check_rendered(Path::new("tests/data/generated/no_such_file.wm"));
    expect_file(&data_dir().join("generated/no_such_file.diag"), &rendered)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A ruleset past the limits of the system loading it (here formulas at most 4 deep) is
/// refused by the compiler, not the checker, so its case is written here.
#[test]
fn compile_over_a_limit() {
    let path = data_dir().join("generated/limit_exceeded.wm");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let limits = waymark::Limits {
        compile: waymark::CompileLimits {
            max_expr_depth: 4,
            ..waymark::CompileLimits::default()
        },
        ..waymark::Limits::default()
    };
    let name = "tests/data/generated/limit_exceeded.wm".to_string();
    let refused = match waymark::Ruleset::from_sources_with(&name, &[(name.clone(), text)], &limits)
    {
        Ok(_) => panic!("a formula 6 deep compiled under a limit of 4"),
        Err(d) => d.0,
    };
    expect_file(
        &data_dir().join("generated/limit_exceeded.diag"),
        &render_all(&refused, false),
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn fmt() {
    let mut failures = Failures::new();
    for path in cases(&data_dir().join("fmt"), "wm") {
        let name = display_name(&path);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        match waymark_tests::fuzz::check_format(&text) {
            Ok(formatted) => failures.record(expect_file(&sibling(&path, "fmt"), &formatted)),
            Err(e) => failures.record(Err(format!("{name}: {e}"))),
        }
    }
    failures.finish("fmt", 5);
}

/// Every diagnostic code is triggered by at least one golden case.
#[test]
fn every_code_has_a_golden_case() {
    let mut seen = std::collections::BTreeSet::new();
    for path in files_under(&data_dir(), "diag") {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
            if let Some(code) = Code::parse(word) {
                seen.insert(code);
            }
        }
    }
    let missing: Vec<String> = Code::ALL
        .iter()
        .filter(|c| !seen.contains(c))
        .map(|c| format!("{} ({})", c.as_str(), c.title()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} diagnostic codes appear in no `.diag` file under tests/data; add a case for each:\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}
