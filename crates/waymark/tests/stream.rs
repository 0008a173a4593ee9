//! The streaming fast path writes exactly the bytes the full path writes, and reports the
//! same problems for bad lines.

use std::path::Path;

#[test]
fn case_stream_matches_the_full_path_byte_for_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = waymark::Ruleset::from_path(root.join("rulesets/marac/referral.wm")).unwrap();
    let mut lines: Vec<String> = std::fs::read_dir(root.join("examples/cases"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .map(|t| {
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&t).unwrap()).unwrap()
        })
        .collect();
    lines.extend(
        [
            r#"{"assessment_date": "2024-05-01"}"#,
            r#"{"assessment_date": "2024-05-01", "q1": "yes", "q2": null, "victim_age": 15, "professional_judgement": "yes"}"#,
            r#"{"assessment_date": "2024-05-01", "abuse_event_dates": ["2024-04-01", "2023-06-01", "2023-05-01"]}"#,
            r#"{"assessment_date": "2024-05-01", "q1": "maybe"}"#,
            r#"{"assesment_date": "2024-05-01"}"#,
            r#"{"assessment_date": "2024-02-30"}"#,
            r#"{"assessment_date": "2024-05-01", "victim_age": 300}"#,
            r#"{"assessment_date": "2024-05-01", "q\u0031": "yes"}"#,
            r#"[1, 2]"#,
            r#"{"assessment_date": "2024-05-01""#,
        ]
        .map(String::from),
    );
    let mut stream = waymark::CaseStream::new(&rules);
    for line in &lines {
        let mut out = Vec::new();
        let fast = stream
            .eval_line(line, &mut out)
            .map(|()| String::from_utf8(out).unwrap());
        let full = serde_json::from_str::<serde_json::Value>(line)
            .map_err(|_| ())
            .and_then(|j| rules.evaluate_json(&j, false).map_err(|_| ()))
            .map(|d| serde_json::to_string(&d).unwrap());
        match (&fast, &full) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "line {line}"),
            (Err(e), Err(())) => assert!(!e.0.is_empty(), "line {line}"),
            _ => panic!("the paths disagree on {line}: fast {fast:?}, full {full:?}"),
        }
    }
}
