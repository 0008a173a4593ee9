//! The `waymark` command end to end: exit codes, and the same decision from either engine.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers stop at the first broken fixture"
)]

use std::path::Path;
use std::process::Command;

fn waymark(args: &[&str]) -> (i32, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_waymark"))
        .args(args)
        .current_dir(root)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn native_and_wasm_engines_print_the_same_decision() {
    let args = [
        "eval",
        "rulesets/marac/referral.wm",
        "--facts",
        "examples/cases/sc02-thirteen-ticks.json",
        "--format",
        "json",
        "--explain",
    ];
    let (code, native, err) = waymark(&args);
    assert_eq!(code, 0, "{err}");
    let (code, wasm, err) = waymark(&[&args[..], &["--engine", "wasm"]].concat());
    assert_eq!(code, 0, "{err}");
    assert_eq!(native, wasm);
    assert!(native.contains("\"refer_marac\": false"), "{native}");
}

#[test]
fn exit_codes_follow_the_contract() {
    // A decision.
    assert_eq!(
        waymark(&[
            "eval",
            "rulesets/marac/referral.wm",
            "--facts",
            "examples/cases/sc01-visible-high-risk.json"
        ])
        .0,
        0
    );
    // Bad facts: 1, with every problem named.
    let dir = std::env::temp_dir().join(format!("waymark-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"q1": "maybe", "assesment_date": "2024-05-01"}"#).unwrap();
    let (code, _, err) = waymark(&[
        "eval",
        "rulesets/marac/referral.wm",
        "--facts",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("did you mean `assessment_date`"), "{err}");
    assert!(err.contains("`q1` needs an answer"), "{err}");
    assert!(err.contains("`assessment_date` is required"), "{err}");
    // Usage and missing files: 2.
    assert_eq!(waymark(&["eval", "no/such/file.wm", "--facts", "-"]).0, 2);
    assert_eq!(waymark(&["check", "no/such/folder"]).0, 2);
    assert_eq!(waymark(&["eval"]).0, 2);
    // A clean library checks with warnings denied; tests pass.
    assert_eq!(waymark(&["check", "--deny", "warnings", "rulesets/"]).0, 0);
}

/// `waymark doc … | head -1` closes the pipe before the page is written: the command ends
/// quietly with success, as `cat` does, instead of panicking on the failed write.
#[test]
fn a_closed_standard_output_ends_the_command_quietly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::temp_dir().join(format!("waymark-cli-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case =
        std::fs::read_to_string(root.join("examples/cases/sc02-thirteen-ticks.json")).unwrap();
    let line =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&case).unwrap()).unwrap();
    let cases = dir.join("cases.jsonl");
    std::fs::write(&cases, format!("{line}\n").repeat(2000)).unwrap();
    let cases = cases.to_string_lossy().into_owned();
    for args in [
        &["doc", "rulesets/marac/referral.wm"][..],
        &["check", "--format", "json", "rulesets/marac/referral.wm"][..],
        &[
            "eval",
            "rulesets/marac/referral.wm",
            "--facts",
            "examples/cases/sc02-thirteen-ticks.json",
            "--explain",
        ][..],
        // Streams larger than a pipe holds: synthetic cases, and decisions on them.
        &["synth", "rulesets/marac/referral.wm", "-n", "2000"][..],
        &["eval", "rulesets/marac/referral.wm", "--cases", &cases][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_waymark"))
            .args(args)
            .current_dir(&root)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the command has read its ruleset, let alone written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}
