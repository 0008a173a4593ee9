//! Artifacts, signatures, profiles, the registry and decision records.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};
use waymark::artifact::{self, ArtifactError};
use waymark::profile::Profile;
use waymark::registry::Registry;
use waymark::{OpenError, Ruleset};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn marac() -> Ruleset {
    Ruleset::from_path(root().join("rulesets/marac/referral.wm")).unwrap()
}

fn thirteen() -> Json {
    let text =
        std::fs::read_to_string(root().join("examples/cases/sc02-thirteen-ticks.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A temporary folder removed at the end of the test.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        let dir = std::env::temp_dir().join(format!("waymark-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Temp(dir)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// marac.referral as version `version`, in force from `from` (and `until`), with the
/// visible-high-risk threshold `threshold`.
fn marac_version(version: &str, from: &str, until: Option<&str>, threshold: u32) -> String {
    let text = std::fs::read_to_string(root().join("rulesets/marac/referral.wm")).unwrap();
    let effective = match until {
        Some(u) => format!("effective from {from} until {u}"),
        None => format!("effective from {from}"),
    };
    text.replace(
        "ruleset marac.referral version 1.0.0",
        &format!("ruleset marac.referral version {version}"),
    )
    .replace("effective from 2024-04-01", &effective)
    .replace(
        "param vhr_threshold: int in 1..24 = 14",
        &format!("param vhr_threshold: int in 1..24 = {threshold}"),
    )
}

fn registry_with(dir: &Path, versions: &[(&str, &str, Option<&str>, u32)]) {
    std::fs::create_dir_all(dir.join("marac")).unwrap();
    std::fs::create_dir_all(dir.join("ric")).unwrap();
    std::fs::copy(
        root().join("rulesets/ric/adult.wm"),
        dir.join("ric/adult.wm"),
    )
    .unwrap();
    for (v, from, until, t) in versions {
        std::fs::write(
            dir.join(format!("marac/referral-{v}.wm")),
            marac_version(v, from, *until, *t),
        )
        .unwrap();
    }
}

#[test]
fn an_artifact_gives_the_same_decisions_as_its_source() {
    let rules = marac();
    let bytes = rules.build_artifact();
    let loaded = Ruleset::from_artifact(&bytes, None).unwrap();
    assert_eq!(loaded.hash(), rules.hash());
    assert_eq!(loaded.id(), "marac.referral");
    let info = loaded.artifact().unwrap();
    assert!(info.hash.starts_with("sha256:"));
    assert_eq!(info.signed_by, None);
    let a = rules.evaluate_json(&thirteen(), true).unwrap();
    let b = loaded.evaluate_json(&thirteen(), true).unwrap();
    assert_eq!(a, b);
    // The embedded tests run from the artifact alone.
    let report = loaded.run_tests();
    assert!(report.tests.len() > 10 && report.failed() == 0);
    // Building twice gives the same bytes: the hash identifies the content.
    assert_eq!(bytes, loaded.build_artifact());
}

#[test]
fn an_artifact_keeps_its_profile_and_parameters() {
    let profile = Profile::parse(
        r#"
agency = "Kent MARAC"
[rulesets."marac.referral"]
params = { escalation_window_months = 6 }
"#,
        false,
    )
    .unwrap();
    let rules = profile.apply(&marac()).unwrap();
    let loaded = Ruleset::from_artifact(&rules.build_artifact(), None).unwrap();
    assert_eq!(loaded.profile(), Some("Kent MARAC"));
    assert_eq!(loaded.params_json()["escalation_window_months"], 6);
    let d = loaded.evaluate_json(&thirteen(), false).unwrap();
    assert_eq!(d.profile.as_deref(), Some("Kent MARAC"));
    assert_eq!(d.params["escalation_window_months"], 6);
}

#[test]
fn every_damaged_artifact_is_refused_without_a_panic() {
    let bytes = marac().build_artifact();
    // Every truncation, at a spread of lengths, and the empty file.
    for len in (0..bytes.len())
        .step_by(97)
        .chain([bytes.len() - 1, 1, 4, 8, 19, 20])
    {
        let r = Ruleset::from_artifact(&bytes[..len], None);
        assert!(r.is_err(), "truncated to {len} bytes was accepted");
    }
    // A flipped bit anywhere: header, body or hash.
    for pos in (0..bytes.len())
        .step_by(131)
        .chain([0, 9, 13, bytes.len() - 1])
    {
        let mut b = bytes.clone();
        b[pos] ^= 0x10;
        let e = Ruleset::from_artifact(&b, None).unwrap_err();
        let text = e.to_string();
        assert!(!text.is_empty());
        if (20..bytes.len()).contains(&pos) {
            assert!(
                matches!(e, ArtifactError::HashMismatch { .. }),
                "byte {pos}: {e}"
            );
        }
    }
    // Bytes appended that are not a signature.
    let mut b = bytes.clone();
    b.extend_from_slice(b"junk");
    assert!(matches!(
        Ruleset::from_artifact(&b, None),
        Err(ArtifactError::TrailingBytes(4))
    ));
    // Not an artifact at all.
    assert!(matches!(
        Ruleset::from_artifact(b"ruleset x version 1", None),
        Err(ArtifactError::NotAnArtifact)
    ));
}

/// Rewrites an artifact's body and recomputes its hash, as a forger would.
fn reforge(bytes: &[u8], edit: impl FnOnce(&mut Json), format: u32) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let len = u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
    let mut body: Json = serde_json::from_slice(&bytes[20..20 + len]).unwrap();
    edit(&mut body);
    let body = serde_json::to_vec(&body).unwrap();
    let mut out = artifact::MAGIC.to_vec();
    out.extend_from_slice(&format.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

#[test]
fn a_consistent_but_altered_artifact_is_refused() {
    let bytes = marac().build_artifact();
    // Another format version.
    let e = Ruleset::from_artifact(&reforge(&bytes, |_| {}, 2), None).unwrap_err();
    assert!(
        matches!(e, ArtifactError::UnsupportedFormat { found: 2 }),
        "{e}"
    );
    // A program that is not what the sources compile to.
    let e = Ruleset::from_artifact(
        &reforge(&bytes, |b| b["program"]["slots"] = json!(3), 1),
        None,
    )
    .unwrap_err();
    assert!(matches!(e, ArtifactError::Incompatible { .. }), "{e}");
    // Sources edited without the source hash.
    let e = Ruleset::from_artifact(
        &reforge(
            &bytes,
            |b| {
                let t = b["sources"][0]["text"]
                    .as_str()
                    .unwrap()
                    .replace("= 14", "= 13");
                b["sources"][0]["text"] = json!(t);
            },
            1,
        ),
        None,
    )
    .unwrap_err();
    assert!(matches!(e, ArtifactError::Sources(_)), "{e}");
    // A parameter value out of its range.
    let e = Ruleset::from_artifact(
        &reforge(&bytes, |b| b["params"]["vhr_threshold"] = json!(99), 1),
        None,
    )
    .unwrap_err();
    assert!(matches!(e, ArtifactError::BadParams(_)), "{e}");
    // A body that is not the format's JSON.
    let e = Ruleset::from_artifact(&reforge(&bytes, |b| *b = json!([1, 2]), 1), None).unwrap_err();
    assert!(matches!(e, ArtifactError::BadBody(_)), "{e}");
}

#[test]
fn signatures_are_checked_against_the_agency_key() {
    let (secret, public) = artifact::key_pair_hex([7u8; 32]);
    let (_, other_public) = artifact::key_pair_hex([8u8; 32]);
    let key = artifact::signing_key_from_hex(&secret).unwrap();
    let public = artifact::verifying_key_from_hex(&public).unwrap();
    let other = artifact::verifying_key_from_hex(&other_public).unwrap();
    let bytes = marac().build_artifact();
    let signed = artifact::sign(&bytes, &key).unwrap();
    let ok = Ruleset::from_artifact(&signed, Some(&public)).unwrap();
    assert!(ok.artifact().unwrap().signed_by.is_some());
    // Unsigned, signed by another key, or signed and then altered.
    assert!(matches!(
        Ruleset::from_artifact(&bytes, Some(&public)),
        Err(ArtifactError::Unsigned(_))
    ));
    assert!(matches!(
        Ruleset::from_artifact(&signed, Some(&other)),
        Err(ArtifactError::BadSignature { .. })
    ));
    let mut forged = signed.clone();
    let n = forged.len();
    forged[n - 1] ^= 1;
    assert!(matches!(
        Ruleset::from_artifact(&forged, Some(&public)),
        Err(ArtifactError::BadSignature { .. })
    ));
    // Re-signing replaces the signature rather than stacking another.
    assert_eq!(artifact::sign(&signed, &key).unwrap(), signed);
    // A signed artifact still loads without a key.
    assert!(Ruleset::from_artifact(&signed, None).is_ok());
    assert!(artifact::verifying_key_from_hex("abc").is_err());
    assert!(artifact::signing_key_from_hex("zz").is_err());
}

#[test]
fn open_reads_source_and_artifacts_and_refuses_source_when_a_key_is_required() {
    let t = Temp::new("open");
    let path = t.0.join("marac.wmc");
    std::fs::write(&path, marac().build_artifact()).unwrap();
    assert!(Ruleset::open(&path, None).is_ok());
    let (_, public) = artifact::key_pair_hex([1u8; 32]);
    let public = artifact::verifying_key_from_hex(&public).unwrap();
    let src = root().join("rulesets/marac/referral.wm");
    assert!(matches!(
        Ruleset::open(&src, Some(&public)),
        Err(OpenError::Artifact { .. })
    ));
    assert!(matches!(
        Ruleset::open(t.0.join("missing.wm"), None),
        Err(OpenError::Io { .. })
    ));
}

#[test]
fn profiles_are_validated_against_the_declared_parameters() {
    let profile = Profile::parse(
        r#"
agency = "Borough X"
[rulesets."marac.referral"]
version = "1.0.0"
params = { escalation_window_months = 99, vhr_treshold = 13, marac_min_age = "sixteen" }
[rulesets."no.such"]
params = {}
"#,
        false,
    )
    .unwrap();
    let problems = profile.validate(&[marac()]);
    let all = problems.join("\n");
    assert!(all.contains("escalation_window_months"), "{all}");
    assert!(all.contains("did you mean `vhr_threshold`"), "{all}");
    assert!(all.contains("marac_min_age"), "{all}");
    assert!(all.contains("no.such"), "{all}");
    assert_eq!(problems.len(), 4, "{all}");
    // A pinned version that is not this one.
    let pinned = Profile::parse(
        "agency = \"A\"\n[rulesets.\"marac.referral\"]\nversion = \"2.0.0\"\n",
        false,
    )
    .unwrap();
    assert!(
        pinned
            .apply(&marac())
            .unwrap_err()
            .to_string()
            .contains("2.0.0")
    );
    // Syntax errors say where.
    let e = Profile::parse("agency = \n", false).unwrap_err();
    assert!(e.to_string().contains("line 1"), "{e}");
    assert!(Profile::parse("{\"agency\": \"A\", \"extra\": 1}", true).is_err());
    assert!(Profile::parse("agency = \" \"", false).is_err());
}

#[test]
fn the_registry_picks_the_version_in_force() {
    let t = Temp::new("registry");
    registry_with(
        &t.0,
        &[
            ("1.0.0", "2024-04-01", None, 14),
            ("1.1.0", "2025-04-01", None, 13),
        ],
    );
    let (reg, problems) = Registry::open(&t.0, None).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let day = |s| waymark_ir::Date::parse(s).unwrap();
    assert_eq!(
        reg.as_of("marac.referral", day("2025-03-31"))
            .unwrap()
            .rules
            .version(),
        "1.0.0"
    );
    assert_eq!(
        reg.as_of("marac.referral", day("2025-04-01"))
            .unwrap()
            .rules
            .version(),
        "1.1.0"
    );
    assert_eq!(
        reg.as_of("marac.referral", day("2030-01-01"))
            .unwrap()
            .rules
            .version(),
        "1.1.0"
    );
    let e = reg.as_of("marac.referral", day("2024-03-31")).unwrap_err();
    assert!(
        e.contains("no version") && e.contains("1.0.0 from 2024-04-01"),
        "{e}"
    );
    assert!(
        reg.as_of("marac.referal", day("2025-01-01"))
            .unwrap_err()
            .contains("did you mean `marac.referral`")
    );
    assert!(reg.check_periods().is_empty(), "{:?}", reg.check_periods());
}

#[test]
fn gaps_overlaps_and_duplicates_are_reported() {
    let t = Temp::new("periods");
    registry_with(
        &t.0,
        &[
            ("1.0.0", "2024-04-01", Some("2024-12-31"), 14),
            ("1.1.0", "2025-02-01", Some("2025-06-30"), 13),
            ("1.2.0", "2025-06-01", None, 12),
        ],
    );
    let (reg, _) = Registry::open(&t.0, None).unwrap();
    let problems = reg.check_periods();
    let kinds: Vec<&str> = problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, ["gap", "overlap"], "{problems:?}");
    assert!(
        problems[0].message.contains("2025-01-01 to 2025-01-31"),
        "{}",
        problems[0].message
    );
    assert!(
        problems[1].message.contains("2025-06-01"),
        "{}",
        problems[1].message
    );
    let e = reg
        .as_of(
            "marac.referral",
            waymark_ir::Date::parse("2025-06-15").unwrap(),
        )
        .unwrap_err();
    assert!(e.contains("overlap"), "{e}");
    // The same version twice with different rules.
    std::fs::write(
        t.0.join("marac/again.wm"),
        marac_version("1.2.0", "2026-01-01", None, 11),
    )
    .unwrap();
    let (reg, _) = Registry::open(&t.0, None).unwrap();
    assert!(
        reg.check_periods()
            .iter()
            .any(|p| p.kind == "duplicate" && p.message.contains("different rules"))
    );
}

#[test]
fn two_open_ended_versions_starting_the_same_day_overlap() {
    let t = Temp::new("same-day");
    registry_with(
        &t.0,
        &[
            ("1.0.0", "2024-04-01", None, 14),
            ("1.1.0", "2024-04-01", None, 13),
        ],
    );
    let (reg, _) = Registry::open(&t.0, None).unwrap();
    let problems = reg.check_periods();
    let kinds: Vec<&str> = problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, ["overlap"], "{problems:?}");
    assert!(
        problems[0]
            .message
            .contains("versions 1.0.0 and 1.1.0 both start on 2024-04-01"),
        "{}",
        problems[0].message
    );
    let e = reg
        .as_of(
            "marac.referral",
            waymark_ir::Date::parse("2024-05-01").unwrap(),
        )
        .unwrap_err();
    assert!(e.contains("overlap"), "{e}");
}

#[test]
fn a_record_replays_identically_and_says_what_differs_when_it_does_not() {
    let rules = marac();
    let record = rules
        .record(&thirteen(), Some("2024-05-01".into()), true, false)
        .unwrap();
    assert_eq!(record.ruleset.hash, rules.hash());
    assert_eq!(record.ruleset.effective_from.as_deref(), Some("2024-04-01"));
    let text = serde_json::to_string(&record).unwrap();
    let back: waymark::record::DecisionRecord = serde_json::from_str(&text).unwrap();
    let replay = rules.replay(&back).unwrap();
    assert!(replay.identical, "{:?}", replay.differences);
    // Under other rules (threshold 13) the difference is named exactly.
    let other = Ruleset::from_sources(
        "referral.wm",
        &[
            (
                "referral.wm".into(),
                marac_version("1.1.0", "2025-04-01", None, 13),
            ),
            (
                "../ric/adult.wm".into(),
                std::fs::read_to_string(root().join("rulesets/ric/adult.wm")).unwrap(),
            ),
        ],
    )
    .unwrap();
    let replay = other.replay(&back).unwrap();
    assert!(!replay.identical);
    let fields: Vec<&str> = replay
        .differences
        .iter()
        .map(|d| d.field.as_str())
        .collect();
    // The record's parameters (threshold 14) are applied, so only the source differs.
    assert_eq!(fields, ["ruleset.hash"], "{:?}", replay.differences);
    // A record whose facts were altered afterwards does not replay.
    let mut altered = back.clone();
    altered.params.insert("vhr_threshold".into(), json!(13));
    let replay = rules.replay(&altered).unwrap();
    let fields: Vec<&str> = replay
        .differences
        .iter()
        .map(|d| d.field.as_str())
        .collect();
    assert!(
        fields.contains(&"outcome.risk_level") && fields.contains(&"outcome.refer_marac"),
        "{fields:?}"
    );
}

#[test]
fn a_redacted_record_keeps_only_what_mattered_and_still_replays() {
    let rules = marac();
    let full = rules.record(&thirteen(), None, true, false).unwrap();
    let redacted = rules.record(&thirteen(), None, true, true).unwrap();
    assert!(redacted.redacted);
    assert!(redacted.facts.len() < full.facts.len());
    // No `no` answer is kept: none of them contributed to this outcome.
    for (name, v) in &redacted.facts {
        assert_ne!(v, "no", "{name} kept");
    }
    // The thirteen yes answers are kept: each one counts.
    assert_eq!(redacted.facts.values().filter(|v| *v == "yes").count(), 13);
    assert_eq!(redacted.outcome, full.outcome);
    // The explanation keeps its criteria (the nearest miss, 13 of 14) but no dropped answer.
    let why = serde_json::to_string(&redacted.explanation).unwrap();
    assert!(why.contains("yes_count is 13, needs >= 14"), "{why}");
    assert!(!why.contains("\"no\""), "{why}");
    let replay = rules.replay(&redacted).unwrap();
    assert!(replay.identical, "{:?}", replay.differences);
}
