//! `waymark prop`: search for cases that break the `property` blocks of ruleset files.
//!
//! Exit codes: 0 when every property holds, 1 when any property breaks or cannot be
//! checked or a file does not check, 2 when a path cannot be read.

use std::path::PathBuf;

use serde_json::json;
use waymark::Ruleset;
use waymark_testkit::{PropOptions, Verdict};

use crate::Format;

const OK: u8 = 0;
const FAILED: u8 = 1;
const USAGE: u8 = 2;

/// Checks the properties of every ruleset file under `paths`.
pub fn prop(paths: &[PathBuf], cases: usize, seed: u64, format: Format) -> u8 {
    let files = match crate::cmd::collect(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let opts = PropOptions {
        cases,
        seed,
        ..PropOptions::default()
    };
    let bar = crate::pin::progress_bar(None, "cases");
    let (mut held, mut broken) = (0usize, 0usize);
    let mut results = Vec::new();
    for f in &files {
        let rules = match Ruleset::from_path(f) {
            Ok(r) => r,
            Err(d) => {
                bar.suspend(|| {
                    for diag in &d.0 {
                        eprintln!("{}", waymark::diagnostics::render(diag, false));
                    }
                    eprintln!(
                        "error: `{}` does not check, so its properties cannot be searched",
                        f.display()
                    );
                });
                broken += 1;
                results.push(json!({"file": f.display().to_string(), "error": "does not check"}));
                continue;
            }
        };
        let name = f.display().to_string();
        let reports = waymark_testkit::check_properties_with(&rules, &opts, &mut |p| {
            bar.set_length(p.total);
            bar.set_position(p.done);
            bar.set_message(format!(
                "{name}: property {} of {}: {}",
                p.index + 1,
                p.count,
                p.property
            ));
        });
        for r in &reports {
            if r.verdict == Verdict::Passed {
                held += 1;
            } else {
                broken += 1;
            }
        }
        if format == Format::Text && !reports.is_empty() {
            let title = format!("{name} ({} {})", rules.id(), rules.version());
            let text = waymark_testkit::render_text(&title, &reports);
            bar.suspend(|| outln!("{text}"));
        }
        results.push(json!({
            "file": name,
            "ruleset": rules.id(),
            "version": rules.version(),
            "properties": reports,
        }));
    }
    bar.finish_and_clear();
    match format {
        Format::Json => outln!(
            "{}",
            json!({"held": held, "broken": broken, "cases": cases, "seed": seed, "files": results})
        ),
        Format::Text => outln!(
            "property result: {}. {held} held, {broken} broken (seed {seed})",
            if broken == 0 { "ok" } else { "FAILED" }
        ),
    }
    if broken > 0 { FAILED } else { OK }
}
