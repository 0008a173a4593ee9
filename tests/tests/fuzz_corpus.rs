//! Runs the fuzz oracles over every ruleset in the repository: the reference library in
//! `rulesets/`, every golden case in `tests/data`, and the inputs that once crashed a fuzz
//! target, kept in `tests/data/fuzz-failures/`.

use waymark_tests::fuzz::{try_check, try_parse};
use waymark_tests::golden::{Failures, data_dir, display_name, files_under, workspace_root};

#[test]
fn fuzz_oracles_pass_on_every_ruleset_in_the_repository() {
    let mut files = files_under(&workspace_root().join("rulesets"), "wm");
    files.extend(files_under(&data_dir(), "wm"));
    files.extend(files_under(&data_dir().join("fuzz-failures"), "bin"));
    let mut failures = Failures::new();
    for path in &files {
        let name = display_name(path);
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        failures.record(try_parse(&bytes).map_err(|e| format!("{name}: {e}")));
        failures.record(try_check(&bytes).map_err(|e| format!("{name}: {e}")));
    }
    failures.finish("fuzz corpus", 2 * 40);
}

/// Formatting every file of the reference library keeps its tree and comments, and is idempotent.
#[test]
fn reference_rulesets_format_round_trip() {
    let mut failures = Failures::new();
    for path in files_under(&workspace_root().join("rulesets"), "wm") {
        let name = display_name(&path);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        failures.record(
            waymark_tests::fuzz::check_format(&text)
                .map(|_| ())
                .map_err(|e| format!("{name}: {e}")),
        );
    }
    failures.finish("rulesets", 3);
}

#[test]
fn facts_oracle_passes_on_example_cases_and_their_prefixes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut n = 0;
    for entry in std::fs::read_dir(root.join("examples/cases")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let line =
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&text).unwrap())
                .unwrap();
        for cut in (0..line.len()).step_by(7).chain([line.len()]) {
            if let Some(prefix) = line.get(..cut) {
                waymark_tests::fuzz::try_facts(prefix.as_bytes()).unwrap();
                n += 1;
            }
        }
    }
    assert!(n > 100, "only {n} inputs tried");
}
