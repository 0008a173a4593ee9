//! A property test a tester can copy into `tests/`: generated facts for the MARAC rules,
//! a claim about every decision, checked on the native engine and (when it is built) the
//! WebAssembly component, then the ruleset's own `property` blocks.
//!
//! Run it with `cargo run -p waymark-testkit --example property_test`.

use proptest::test_runner::Config;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = waymark::Ruleset::from_path(root.join("rulesets/marac/referral.wm"))?;

    // Nobody known to be under 16 is referred to MARAC, whatever else is recorded.
    let engines = waymark_testkit::check_engines(&rules, Config::with_cases(256), |d| {
        let referred = d.outcome.get("refer_marac") == Some(&serde_json::Value::Bool(true));
        if referred && d.params.get("marac_min_age") != Some(&serde_json::json!(16)) {
            return Err("the default minimum age is not 16".into());
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    println!("checked on: {engines:?}");

    let opts = waymark_testkit::PropOptions {
        cases: 1000,
        ..Default::default()
    };
    let reports = waymark_testkit::check_properties(&rules, &opts);
    print!(
        "{}",
        waymark_testkit::render_text("marac.referral", &reports)
    );
    if reports
        .iter()
        .any(|r| r.verdict != waymark_testkit::Verdict::Passed)
    {
        return Err("a property is broken".into());
    }
    Ok(())
}
