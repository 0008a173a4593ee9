//! `waymark prop`: search for cases that break the `property` blocks of ruleset files.
//!
//! Exit codes: 0 when every property holds, 1 when any property breaks or cannot be
//! checked or a file does not check, 2 when a path cannot be read.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use serde_json::json;
use waymark::Ruleset;
use waymark_testkit::{PropOptions, Verdict};

use crate::Format;

const OK: u8 = 0;
const FAILED: u8 = 1;
const USAGE: u8 = 2;

/// Every `.wm` file under the paths, sorted; an error names a path that does not exist.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "wm") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).map_err(|e| format!("cannot read folder `{}`: {e}", p.display()))?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("no such file or folder: `{}`", p.display()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn progress_bar() -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} cases {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Checks the properties of every ruleset file under `paths`.
pub fn prop(paths: &[PathBuf], cases: usize, seed: u64, format: Format) -> u8 {
    let files = match collect(paths) {
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
    let bar = progress_bar();
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
            bar.suspend(|| println!("{text}"));
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
        Format::Json => println!(
            "{}",
            json!({"held": held, "broken": broken, "cases": cases, "seed": seed, "files": results})
        ),
        Format::Text => println!(
            "property result: {}. {held} held, {broken} broken (seed {seed})",
            if broken == 0 { "ok" } else { "FAILED" }
        ),
    }
    if broken > 0 { FAILED } else { OK }
}
