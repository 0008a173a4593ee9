//! Gaps: outputs left undetermined with every answer known and every input given.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use serde_json::Value as Json;
use waymark_analysis::{DiffOptions, GapVerdict, gaps};

fn ruleset(src: &str) -> waymark::Ruleset {
    waymark::Ruleset::from_sources("t.wm", &[("t.wm".into(), src.into())])
        .unwrap_or_else(|e| panic!("{:#?}", e.0))
}

fn verdicts(src: &str) -> Vec<(String, GapVerdict)> {
    gaps(&ruleset(src), &[], &DiffOptions::default())
        .into_iter()
        .map(|g| (g.output, g.verdict))
        .collect()
}

#[test]
fn a_division_by_a_given_zero_is_a_gap_and_answers_close_the_rest() {
    let src = r#"ruleset t.gap version 1.0.0
enum level ordered { low, high }
input q1: answer
input q2: answer
input q3: answer
input a: int in 0..5
input b: int in 0..5
output risk: level default low
output enough: bool = count yes in [q1..q3] >= 2
output ratio: number = a / b
rule r1 { when q1 is yes and q2 = no set risk to high }
"#;
    let v = verdicts(src);
    let get = |name: &str| v.iter().find(|(n, _)| n == name).map(|x| &x.1).unwrap();
    assert!(matches!(get("risk"), GapVerdict::Closed { .. }), "{v:#?}");
    assert!(matches!(get("enough"), GapVerdict::Closed { .. }), "{v:#?}");
    let GapVerdict::Open { example } = get("ratio") else {
        panic!("{v:#?}");
    };
    assert_eq!(example["b"], Json::from(0), "{example}");
    // The example really leaves the output undetermined.
    let d = ruleset(src).evaluate_json(example, false).unwrap();
    assert_eq!(d.outcome["ratio"], Json::Null);
}

#[test]
fn a_ruleset_with_every_output_set_has_no_gap() {
    let src = r#"ruleset t.closed version 1.0.0
enum level ordered { standard, medium, high }
input q1: answer
input q2: answer
input judgement: answer
param need: int in 1..2 = 2
let yes_count = count yes in [q1, q2]
output risk: level default standard
output refer: bool default false
rule many { when yes_count >= need set risk to high }
rule some { when yes_count >= 1 set risk to medium }
rule judged { when judgement is yes set risk to high }
rule refer_high { when yes_count >= need or judgement is yes set refer to true }
"#;
    let v = verdicts(src);
    assert_eq!(v.len(), 2);
    for (name, verdict) in &v {
        assert!(
            matches!(verdict, GapVerdict::Closed { .. }),
            "{name}: {verdict:?}"
        );
    }
}

#[test]
fn an_optional_flag_read_without_a_default_is_a_gap_only_when_unknown() {
    // With every input given the flag is known, so there is no gap; the same output is
    // undetermined when the flag is left out, which the gap check does not count.
    let src = r#"ruleset t.flag version 1.0.0
input q1: answer
input urgent: optional bool
output fast: bool = q1 is yes and urgent
"#;
    let v = verdicts(src);
    assert!(matches!(v[0].1, GapVerdict::Closed { .. }), "{v:#?}");
}
