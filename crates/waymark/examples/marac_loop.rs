//! Evaluates the MARAC ruleset in a loop, for profilers (a development aid).
fn main() {
    let rules = match waymark::Ruleset::from_path("rulesets/marac/referral.wm") {
        Ok(r) => r,
        Err(e) => return eprintln!("{e}"),
    };
    let facts = serde_json::json!({
        "q1": "yes", "q2": "yes", "q3": "no", "q4": "no", "q5": "yes", "q6": "no", "q7": "no", "q8": "yes",
        "q9": "no", "q10": "yes", "q11": "yes", "q12": "yes", "q13": "no", "q14": "no", "q15": "yes", "q16": "no",
        "q17": "no", "q18": "no", "q19": "no", "q20": "yes", "q21": "yes", "q22": "no", "q23": "no", "q24": "yes",
        "professional_judgement": "no", "assessment_date": "2024-05-01",
        "abuse_event_dates": ["2023-06-01", "2024-01-10"], "last_marac_date": "2022-01-01", "victim_age": 34
    });
    let Ok(facts) = rules.facts_from_json(&facts) else {
        return;
    };
    let mut scratch = rules.scratch();
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut acc = 0usize;
    for _ in 0..n {
        rules.run(&facts, &mut scratch);
        acc += usize::from(rules.output_value(&scratch, 2) == waymark::ir::Val::Bool(true));
    }
    println!("{acc}");
}
