//! Runs the fuzz oracles over every ruleset in the repository: the reference library in
//! `rulesets/`, every golden case in `tests/data`, the committed seed corpus in
//! `tests/data/fuzz-corpus/`, and the inputs that once crashed a fuzz target, kept in
//! `tests/data/fuzz-failures/`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use waymark_tests::fuzz::{
    try_artifact, try_check, try_compile, try_differential, try_eval, try_facts, try_fmt, try_parse,
};
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

/// Inputs whose bug is not fixed yet, with a piece of the message the oracle must still
/// give; empty when every finding is fixed.
const OPEN: &[(&str, &str)] = &[];

/// Every ruleset-text oracle (parse, check, check and compile, formatting) on the seed
/// corpus and on the kept failures; every bytes oracle (evaluation, differential) on the
/// byte seeds, the kept failures and every file of the text corpus read as bytes.
#[test]
fn every_oracle_passes_on_the_committed_corpus_and_failures() {
    let corpus = data_dir().join("fuzz-corpus");
    let mut texts = files_under(&corpus.join("wm"), "wm");
    texts.extend(files_under(&data_dir().join("fuzz-failures"), "bin"));
    texts.extend(files_under(&data_dir().join("fuzz-failures"), "wm"));
    let mut failures = Failures::new();
    let mut compiled = 0;
    for path in &texts {
        let name = display_name(path);
        let bytes = std::fs::read(path).unwrap();
        failures.record(try_parse(&bytes).map_err(|e| format!("{name}: {e}")));
        failures.record(try_check(&bytes).map_err(|e| format!("{name}: {e}")));
        let open = OPEN
            .iter()
            .find(|(file, _)| path.file_name().is_some_and(|f| f == *file));
        match open {
            Some((_, message)) => failures.check(
                try_compile(&bytes).is_err_and(|e| e.contains(message)),
                &name,
                || format!("{name} no longer gives `{message}`: remove it from OPEN"),
            ),
            None => failures.record(try_compile(&bytes).map_err(|e| format!("{name}: {e}"))),
        }
        failures.record(try_fmt(&bytes).map_err(|e| format!("{name}: {e}")));
        if let Ok(text) = std::str::from_utf8(&bytes)
            && waymark::Ruleset::from_sources("fuzz.wm", &[("fuzz.wm".into(), text.into())]).is_ok()
        {
            compiled += 1;
        }
    }
    assert!(compiled >= 2, "only {compiled} seeds check and compile");
    let mut bytes_inputs = files_under(&corpus.join("bytes"), "bin");
    bytes_inputs.extend(texts);
    for path in &bytes_inputs {
        let name = display_name(path);
        let bytes = std::fs::read(path).unwrap();
        failures.record(try_eval(&bytes).map_err(|e| format!("{name}: {e}")));
        failures.record(try_differential(&bytes).map_err(|e| format!("{name}: {e}")));
    }
    for path in files_under(&corpus.join("facts"), "json") {
        let name = display_name(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        failures.record(try_facts(text.trim().as_bytes()).map_err(|e| format!("{name}: {e}")));
    }
    failures.finish("fuzz corpus", 60);
}

/// The evaluation and differential oracles on generated bytes: every reference ruleset,
/// facts and parameter values drawn from them.
#[test]
fn evaluation_oracles_pass_on_generated_bytes() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(any::<u8>(), 0..400), |bytes| {
        try_eval(&bytes).map_err(TestCaseError::fail)?;
        try_differential(&bytes).map_err(TestCaseError::fail)?;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The artifact oracle on its committed seeds and on generated bytes: every damage is
/// refused or leaves the decisions unchanged, and nothing panics.
#[test]
fn artifact_oracle_passes_on_seeds_and_generated_bytes() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let seeds = files_under(&data_dir().join("fuzz-corpus").join("artifact"), "bin");
    assert!(seeds.len() >= 5, "only {} artifact seeds", seeds.len());
    let mut failures = Failures::new();
    for path in &seeds {
        let name = display_name(path);
        let bytes = std::fs::read(path).unwrap();
        failures.record(try_artifact(&bytes).map_err(|e| format!("{name}: {e}")));
    }
    failures.finish("artifact seeds", 5);
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(any::<u8>(), 0..64), |bytes| {
        try_artifact(&bytes).map_err(TestCaseError::fail)?;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
