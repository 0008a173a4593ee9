//! Evaluation without explanation allocates nothing once the scratch area is warm.
//!
//! This binary holds one test because it installs a counting global allocator.

use std::path::Path;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[test]
fn evaluation_allocates_nothing_once_warm() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = waymark::Ruleset::from_path(root.join("rulesets/marac/referral.wm"))
        .expect("marac.referral checks");
    let facts = rules
        .facts_from_json(&serde_json::json!({
            "q1": "yes", "q2": "yes", "q3": "unknown", "q4": "no", "q14": "yes",
            "professional_judgement": "no",
            "assessment_date": "2024-05-01",
            "abuse_event_dates": ["2023-06-01", "2024-01-10", "2024-04-30"],
            "last_marac_date": "2023-09-01",
            "victim_age": 30
        }))
        .expect("valid facts");
    let mut scratch = rules.scratch();
    rules.run(&facts, &mut scratch);
    let before = dhat::HeapStats::get();
    for _ in 0..1_000 {
        rules.run(&facts, &mut scratch);
        std::hint::black_box(rules.output_value(&scratch, 0));
    }
    let after = dhat::HeapStats::get();
    dhat::assert_eq!(
        after.total_blocks,
        before.total_blocks,
        "evaluation allocated"
    );
}
