//! The versioning commands end to end: build, sign, inspect, registry, replay, diff,
//! synth and impact, as a policy team runs them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn waymark(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waymark"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        let dir = std::env::temp_dir().join(format!("waymark-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Temp(dir)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A registry with marac.referral 1.0.0 (threshold 14, from 2024-04-01) and 1.1.0
/// (threshold 13, from 2025-04-01).
fn registry(t: &Temp) -> PathBuf {
    let dir = t.0.join("registry");
    std::fs::create_dir_all(dir.join("marac")).unwrap();
    std::fs::create_dir_all(dir.join("ric")).unwrap();
    std::fs::copy(
        root().join("rulesets/ric/adult.wm"),
        dir.join("ric/adult.wm"),
    )
    .unwrap();
    let src = std::fs::read_to_string(root().join("rulesets/marac/referral.wm")).unwrap();
    std::fs::write(dir.join("marac/referral-1.0.0.wm"), &src).unwrap();
    let next = src
        .replace("version 1.0.0", "version 1.1.0")
        .replace("effective from 2024-04-01", "effective from 2025-04-01")
        .replace("int in 1..24 = 14", "int in 1..24 = 13");
    std::fs::write(dir.join("marac/referral-1.1.0.wm"), next).unwrap();
    dir
}

const CASE: &str = "examples/cases/sc02-thirteen-ticks.json";

#[test]
fn build_sign_inspect_and_evaluate_an_artifact() {
    let t = Temp::new("artifact");
    let wmc = t.path("marac.wmc");
    let o = waymark(&["build", "rulesets/marac/referral.wm", "-o", &wmc]);
    assert!(o.status.success(), "{}", text(&o));
    let o = waymark(&["eval", &wmc, "--facts", CASE, "--format", "json"]);
    assert!(o.status.success(), "{}", text(&o));
    let from_artifact: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let o = waymark(&[
        "eval",
        "rulesets/marac/referral.wm",
        "--facts",
        CASE,
        "--format",
        "json",
    ]);
    let from_source: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(from_artifact, from_source);
    // Tests and schema run from the artifact too.
    assert!(waymark(&["test", &wmc]).status.success());
    assert!(waymark(&["schema", &wmc]).status.success());
    // Keys, signing and verification.
    let key = t.path("policy");
    assert!(waymark(&["keygen", "-o", &key]).status.success());
    let again = waymark(&["keygen", "-o", &key]);
    assert_eq!(again.status.code(), Some(2), "a key is never overwritten");
    let pubkey = format!("{key}.pub");
    let o = waymark(&["eval", &wmc, "--verify-key", &pubkey, "--facts", CASE]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("not signed"), "{}", text(&o));
    assert!(
        waymark(&["sign", &wmc, "--key", &format!("{key}.key")])
            .status
            .success()
    );
    let o = waymark(&["inspect", &wmc, "--verify-key", &pubkey]);
    assert!(
        o.status.success() && text(&o).contains("(verified)"),
        "{}",
        text(&o)
    );
    assert!(
        waymark(&["eval", &wmc, "--verify-key", &pubkey, "--facts", CASE])
            .status
            .success()
    );
    // Tampered: one byte changed.
    let mut bytes = std::fs::read(&wmc).unwrap();
    bytes[400] ^= 1;
    let bad = t.path("bad.wmc");
    std::fs::write(&bad, bytes).unwrap();
    let o = waymark(&["eval", &bad, "--facts", CASE]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("altered or damaged"), "{}", text(&o));
}

#[test]
fn the_registry_chooses_by_date_and_records_replay() {
    let t = Temp::new("registry");
    let reg = registry(&t);
    let reg = reg.display().to_string();
    let o = waymark(&["check", "--registry", &reg]);
    assert!(o.status.success(), "{}", text(&o));
    let eval = |date: &str| {
        let o = waymark(&[
            "eval",
            "marac.referral",
            "--registry",
            &reg,
            "--as-of",
            date,
            "--facts",
            CASE,
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "{}", text(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let before = eval("2025-03-31");
    let after = eval("2025-04-01");
    assert_eq!(before["ruleset"]["version"], "1.0.0");
    assert_eq!(before["outcome"]["refer_marac"], false);
    assert_eq!(after["ruleset"]["version"], "1.1.0");
    assert_eq!(after["outcome"]["refer_marac"], true);
    // A record made under a profile replays identically from the registry.
    let profile = t.path("kent.toml");
    std::fs::write(
        &profile,
        "agency = \"Kent MARAC\"\n[rulesets.\"marac.referral\"]\nparams = { escalation_window_months = 6 }\n",
    )
    .unwrap();
    let record = t.path("record.json");
    let o = waymark(&[
        "eval",
        "marac.referral",
        "--registry",
        &reg,
        "--as-of",
        "2025-06-01",
        "--profile",
        &profile,
        "--facts",
        CASE,
        "--record",
        &record,
        "--redact",
        "--explain",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(r["profile"], "Kent MARAC");
    assert_eq!(r["params"]["escalation_window_months"], 6);
    assert_eq!(r["as_of"], "2025-06-01");
    assert_eq!(r["redacted"], true);
    let o = waymark(&["replay", &record, "--registry", &reg]);
    assert!(
        o.status.success() && text(&o).contains("identical"),
        "{}",
        text(&o)
    );
    // A record whose outcome was altered is caught, with the difference named.
    let altered = std::fs::read_to_string(&record)
        .unwrap()
        .replace("\"refer_marac\": true", "\"refer_marac\": false");
    std::fs::write(&record, altered).unwrap();
    let o = waymark(&["replay", &record, "--registry", &reg]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("outcome.refer_marac: recorded false, now true"),
        "{}",
        text(&o)
    );
    // An overlap makes the registry check fail, and names the dates.
    let src = std::fs::read_to_string(t.0.join("registry/marac/referral-1.1.0.wm")).unwrap();
    std::fs::write(
        t.0.join("registry/marac/referral-1.2.0.wm"),
        src.replace("version 1.1.0", "version 1.2.0").replace(
            "effective from 2025-04-01",
            "effective from 2025-01-01 until 2025-12-31",
        ),
    )
    .unwrap();
    let o = waymark(&["check", "--registry", &reg]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("overlap") || text(&o).contains("both in force"),
        "{}",
        text(&o)
    );
}

#[test]
fn diff_proves_and_impact_measures_a_threshold_change() {
    let t = Temp::new("diff");
    let reg = registry(&t);
    let old = reg.join("marac/referral-1.0.0.wm").display().to_string();
    let new = reg.join("marac/referral-1.1.0.wm").display().to_string();
    let o = waymark(&["diff", &old, &old]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Equivalent"), "{}", text(&o));
    let o = waymark(&["diff", &old, &new, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let outputs = d["behavioural"]["outputs"].as_array().unwrap();
    let risk = outputs
        .iter()
        .find(|o| o["output"] == "risk_level")
        .unwrap();
    assert_eq!(risk["verdict"]["kind"], "differs");
    let summary = risk["verdict"]["summary"].to_string();
    assert!(summary.contains("yes_count = 13"), "{summary}");
    let yes = outputs.iter().find(|o| o["output"] == "yes_count").unwrap();
    assert_eq!(yes["verdict"]["kind"], "equivalent");
    // A synthetic corpus, then the impact by group in every format.
    let cases = t.path("cases.jsonl");
    let o = waymark(&["synth", &old, "-n", "3000", "--seed", "5", "--out", &cases]);
    assert!(o.status.success(), "{}", text(&o));
    let again = t.path("again.jsonl");
    waymark(&["synth", &old, "-n", "3000", "--seed", "5", "--out", &again]);
    assert_eq!(
        std::fs::read(&cases).unwrap(),
        std::fs::read(&again).unwrap(),
        "same seed, same cases"
    );
    let o = waymark(&[
        "impact",
        &old,
        &new,
        "--cases",
        &cases,
        "--group",
        "ethnicity",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["cases"], 3000);
    assert_eq!(r["failed"], 0);
    let rows = r["rows"].as_array().unwrap();
    let refer = rows
        .iter()
        .find(|x| x["group"] == "all" && x["measure"] == "refer_marac = true")
        .unwrap();
    assert!(
        refer["gained"].as_u64().unwrap() > 0 && refer["lost"] == 0,
        "{refer}"
    );
    // The by-group counts add up to the whole.
    let by_group: u64 = rows
        .iter()
        .filter(|x| x["group"] == "ethnicity" && x["measure"] == "refer_marac = true")
        .map(|x| x["gained"].as_u64().unwrap())
        .sum();
    assert_eq!(by_group, refer["gained"].as_u64().unwrap());
    // The other formats carry the same rows.
    let o = waymark(&["impact", &old, &new, "--cases", &cases, "--format", "csv"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("group,value,output,measure,"));
    let o = waymark(&[
        "impact", &old, &new, "--cases", &cases, "--group", "age_band", "--format", "markdown",
    ]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("| age_band | 16-24 |"),
        "{}",
        text(&o)
    );
}
