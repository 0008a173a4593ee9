//! Checks ruleset files and prints their diagnostics (a development aid).
//!
//! `cargo run -p waymark-check --example check -- FILE… [--summary]`
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let summary = args.iter().any(|a| a == "--summary");
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        let start = std::time::Instant::now();
        let check = waymark_check::check_path(Path::new(path), &waymark_check::FsLoader);
        let took = start.elapsed();
        print!(
            "{}",
            waymark_diagnostics::render_all(&check.diagnostics, false)
        );
        match &check.ruleset {
            Some(r) if summary => println!(
                "{path}: ok in {took:?}: {} inputs, {} params, {} lets, {} outputs, {} rules, {} tables, {} tests, {} properties, {} steps",
                r.inputs.len(),
                r.params.len(),
                r.lets.len(),
                r.outputs.len(),
                r.rules.len(),
                r.tables.len(),
                r.tests.len(),
                r.properties.len(),
                r.order.len()
            ),
            Some(_) => println!("{path}: ok in {took:?}"),
            None => println!("{path}: errors in {took:?}"),
        }
    }
}
