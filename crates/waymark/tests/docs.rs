//! The generated ruleset pages under docs/rulesets are fresh: regenerate them with
//! `UPDATE_EXPECT=1 cargo test -p waymark --test docs` (or `waymark doc rulesets --out docs/rulesets`).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers stop at the first broken fixture"
)]

use std::path::{Path, PathBuf};

fn ruleset_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            ruleset_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "wm") {
            out.push(path);
        }
    }
}

#[test]
fn generated_ruleset_pages_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    ruleset_files(&root.join("rulesets"), &mut files);
    files.sort();
    assert!(
        files.len() >= 13,
        "the reference library has at least 13 rulesets"
    );
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut stale = Vec::new();
    for f in files {
        let rules = waymark::Ruleset::from_path(&f)
            .unwrap_or_else(|e| panic!("{} does not check: {e}", f.display()));
        let page = rules.doc_markdown();
        let target = root
            .join("docs/rulesets")
            .join(format!("{}.md", rules.id()));
        if std::fs::read_to_string(&target).ok().as_deref() != Some(page.as_str()) {
            if update {
                std::fs::write(&target, &page).unwrap();
            } else {
                stale.push(target.display().to_string());
            }
        }
        assert!(
            page.contains("## Test cases"),
            "{} has no test table",
            rules.id()
        );
    }
    assert!(
        stale.is_empty(),
        "stale generated pages (run with UPDATE_EXPECT=1): {stale:?}"
    );
}
