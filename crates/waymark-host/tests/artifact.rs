//! Built artifacts through the component: the guest verifies and loads the same bytes the
//! native facade does, gives the same decisions, and refuses what the facade refuses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failure stops the test at once"
)]

mod common;

use common::{at, shared};
use serde_json::{Value as Json, json};
use waymark::artifact;
use waymark_host::Error;

fn marac() -> waymark::Ruleset {
    waymark::Ruleset::from_path(at("rulesets/marac/referral.wm")).unwrap()
}

fn case(name: &str) -> Json {
    serde_json::from_str(&std::fs::read_to_string(at(&format!("examples/cases/{name}"))).unwrap())
        .unwrap()
}

fn refusal(e: Error) -> String {
    match e {
        Error::Diagnostics(d) => {
            assert_eq!(d.len(), 1, "{d:?}");
            assert_eq!(d[0].code, "artifact");
            d[0].message.clone()
        }
        other => panic!("expected an artifact refusal, got {other}"),
    }
}

#[test]
fn an_artifact_decides_in_the_component_as_it_does_natively() {
    let bytes = marac()
        .with_params(&[("vhr_threshold".into(), json!(13))])
        .unwrap()
        .build_artifact();
    let native = waymark::Ruleset::from_artifact(&bytes, None).unwrap();
    let wasm = shared().from_artifact(&bytes, None).unwrap();
    assert_eq!(wasm.id(), "marac.referral");
    assert_eq!(wasm.hash(), native.hash());
    for name in [
        "sc01-visible-high-risk.json",
        "sc02-thirteen-ticks.json",
        "sc04-escalation.json",
        "sc05-repeat-harassment.json",
    ] {
        let facts = case(name);
        for explain in [false, true] {
            let n = serde_json::to_string(&native.evaluate_json(&facts, explain).unwrap()).unwrap();
            let w = wasm.evaluate_json_str(&facts.to_string(), explain).unwrap();
            assert_eq!(w, n, "{name}, explain {explain}");
        }
    }
    // The parameter baked into the artifact is in force: thirteen yes answers refer.
    let d = wasm
        .evaluate_json(&case("sc02-thirteen-ticks.json"), false)
        .unwrap();
    assert_eq!(d.params["vhr_threshold"], json!(13));
    assert_eq!(d.outcome["refer_marac"], json!(true));
    // Further overrides work on a loaded artifact as on compiled source.
    let back = wasm
        .with_params(&[("vhr_threshold".into(), json!(14))])
        .unwrap();
    let d = back
        .evaluate_json(&case("sc02-thirteen-ticks.json"), false)
        .unwrap();
    assert_eq!(d.outcome["refer_marac"], json!(false));
}

#[test]
fn a_path_to_an_artifact_is_loaded_as_an_artifact() {
    let dir = std::env::temp_dir().join(format!("waymark-host-artifact-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("marac.wmc");
    std::fs::write(&path, marac().build_artifact()).unwrap();
    let wasm = shared().from_path(&path).unwrap();
    assert_eq!(wasm.hash(), marac().hash());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn damaged_artifacts_are_refused_by_the_guest_as_by_the_facade() {
    let bytes = marac().build_artifact();
    let component = shared();
    let mut damaged = Vec::new();
    for cut in [0, 3, 8, 20, bytes.len() / 2, bytes.len() - 1] {
        damaged.push(bytes[..cut].to_vec());
    }
    for at in [9, 30, bytes.len() / 3, bytes.len() - 5] {
        let mut b = bytes.clone();
        b[at] ^= 0x20;
        damaged.push(b);
    }
    for b in &damaged {
        let native = waymark::Ruleset::from_artifact(b, None).unwrap_err();
        let message = refusal(component.from_artifact(b, None).unwrap_err());
        assert_eq!(message, native.to_string());
    }
    // The component is still usable after every refusal.
    assert!(component.from_artifact(&bytes, None).is_ok());
}

#[test]
fn a_signature_is_checked_in_the_guest() {
    let (secret, public) = artifact::key_pair_hex([7; 32]);
    let (_, other) = artifact::key_pair_hex([8; 32]);
    let signer = artifact::signing_key_from_hex(&secret).unwrap();
    let public = artifact::verifying_key_from_hex(&public).unwrap();
    let other = artifact::verifying_key_from_hex(&other).unwrap();
    let unsigned = marac().build_artifact();
    let signed = artifact::sign(&unsigned, &signer).unwrap();
    let component = shared();
    assert!(component.from_artifact(&signed, Some(&public)).is_ok());
    for (bytes, key) in [(&signed, &other), (&unsigned, &public)] {
        let native = waymark::Ruleset::from_artifact(bytes, Some(key)).unwrap_err();
        let message = refusal(component.from_artifact(bytes, Some(key)).unwrap_err());
        assert_eq!(message, native.to_string());
    }
}
