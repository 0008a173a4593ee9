//! Deterministic generators of rulesets, tables and cases for benchmarks.

use std::fmt::Write as _;

/// A small deterministic pseudo-random generator (xorshift), so inputs are the same on
/// every run and every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// A ruleset with `n` rules over 24 answers and two ints, each rule raising a level or
/// adding a reason, with an exception every tenth rule.
pub fn rules(n: usize) -> String {
    let mut s = String::from("ruleset bench.generated version 1.0.0\n  title \"Generated\"\n\n");
    s.push_str("enum grade ordered { low, medium, high }\n");
    s.push_str("enum flag { a, b, c, d, e, f, g, h }\n");
    for i in 1..=24 {
        let _ = writeln!(s, "input q{i}: answer \"Question {i}\"");
    }
    s.push_str(
        "input score: int in 0..1000 \"Score\"\ninput age: optional int in 0..130 \"Age\"\n",
    );
    s.push_str("param limit: int in 0..1000 = 500 \"Limit\"\n");
    s.push_str("let yes_count = count yes in [q1..q24]\n");
    s.push_str("output level: grade \"Level\" default low\noutput flags: set of flag \"Flags\"\n");
    let mut rng = Rng::new(n as u64);
    for r in 0..n {
        let q = rng.below(24) + 1;
        let k = rng.below(24) + 1;
        let cond = match r % 4 {
            0 => format!("q{q} is yes and yes_count >= {k}"),
            1 => format!("score > {} or q{q} is no", rng.below(1000)),
            2 => format!(
                "age is known and age < {} and q{q} is yes",
                rng.below(100) + 1
            ),
            _ => format!("score >= limit and yes_count < {k}"),
        };
        let action = if r % 2 == 0 {
            format!("set level to {}", ["medium", "high"][r % 4 / 2])
        } else {
            format!(
                "add {} to flags",
                ["a", "b", "c", "d", "e", "f", "g", "h"][r % 8]
            )
        };
        if r % 10 == 9 {
            let _ = writeln!(
                s,
                "exception r{r} to r{} {{\n  when q{q} is unknown\n  {action}\n}}",
                r - 1
            );
        } else {
            let _ = writeln!(s, "rule r{r} {{\n  when {cond}\n  {action}\n}}");
        }
    }
    s
}

/// A first-hit eligibility table of `rows` rows over three whole-number columns; row `i`
/// matches `band = i` exactly, so the row matched is chosen by the `band` fact.
pub fn table(rows: usize) -> String {
    let mut s = String::from("ruleset bench.table version 1.0.0\n\n");
    s.push_str("enum grade { none, low, high }\n");
    s.push_str("input band: int \"Band\"\ninput age: int in 0..130 \"Age\"\ninput income: int \"Income\"\n");
    s.push_str("output tier: grade \"Tier\" default none\n");
    let _ = writeln!(s, "table eligibility \"Eligibility by band\" hit first {{");
    s.push_str("  | band | age | income | => | tier |\n");
    for i in 0..rows {
        let tier = if i % 2 == 0 { "low" } else { "high" };
        let _ = writeln!(s, "  | {i} | >= 16 | <= {} | => | {tier} |", 20_000 + i);
    }
    s.push_str("}\n");
    s
}

/// Facts for the generated rule sets.
pub fn rules_facts(seed: u64) -> serde_json::Value {
    let mut rng = Rng::new(seed);
    let mut m = serde_json::Map::new();
    for i in 1..=24 {
        let a = ["yes", "no", "unknown"][rng.below(3) as usize];
        m.insert(format!("q{i}"), a.into());
    }
    m.insert("score".into(), rng.below(1000).into());
    m.insert("age".into(), (rng.below(80) + 10).into());
    serde_json::Value::Object(m)
}

/// A MARAC case as JSON facts: `yes` answers, `unknown_share` of the rest unknown.
pub fn marac_facts(seed: u64, yes: usize, unknown_pct: u64) -> serde_json::Value {
    let mut rng = Rng::new(seed);
    let mut m = serde_json::Map::new();
    for i in 1..=24 {
        let a = if i <= yes {
            "yes"
        } else if rng.below(100) < unknown_pct {
            "unknown"
        } else {
            "no"
        };
        m.insert(format!("q{i}"), a.into());
    }
    m.insert("professional_judgement".into(), "no".into());
    m.insert("assessment_date".into(), "2024-05-01".into());
    m.insert(
        "abuse_event_dates".into(),
        serde_json::json!(["2023-06-01", "2024-01-10"]),
    );
    m.insert("last_marac_date".into(), "2022-01-01".into());
    m.insert("victim_age".into(), 34.into());
    serde_json::Value::Object(m)
}
