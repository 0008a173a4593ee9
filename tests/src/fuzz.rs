//! Fuzz checks: oracles that any input must pass, shared by cargo-fuzz targets and tests.
//!
//! Each function takes raw bytes and panics (through `assert!`) when it finds a bug, which
//! is what a fuzzer needs. The cargo-fuzz targets are two lines of glue around them, and
//! `cargo test` runs them over every `.wm` file in the repository and over generated input.

use std::path::{Path, PathBuf};

use waymark_diagnostics::{Diagnostic, SourceFile};
use waymark_syntax::dump::dump;

/// The file name fuzz input is parsed under.
pub const FUZZ_NAME: &str = "fuzz.wm";

/// Parsing any bytes never panics, and every diagnostic points inside the file. When the
/// bytes parse without a diagnostic, formatting keeps the tree (spans aside) and the
/// comments, and formatting the result again changes nothing. Panics on a bug.
#[expect(clippy::panic, reason = "a fuzz oracle reports a bug by panicking")]
pub fn check_parse(data: &[u8]) {
    if let Err(e) = try_parse(data) {
        panic!("{e}");
    }
}

/// [`check_parse`], returning the bug instead of panicking.
pub fn try_parse(data: &[u8]) -> Result<(), String> {
    let parse = waymark_syntax::parse_bytes(FUZZ_NAME, data);
    spans_in_bounds(&parse.diagnostics, Some(&parse.file))?;
    // Rendering must not panic either, whatever the spans and the text.
    let _ = waymark_diagnostics::render_all(&parse.diagnostics, false);
    if parse.diagnostics.is_empty() {
        check_format(&parse.file.text)?;
    }
    Ok(())
}

/// Checking any bytes (as the root file; its imports fail to load) never panics, and
/// every diagnostic points inside its file. Panics on a bug.
#[expect(clippy::panic, reason = "a fuzz oracle reports a bug by panicking")]
pub fn check_check(data: &[u8]) {
    if let Err(e) = try_check(data) {
        panic!("{e}");
    }
}

/// [`check_check`], returning the bug instead of panicking.
pub fn try_check(data: &[u8]) -> Result<(), String> {
    let loader = BytesLoader {
        path: PathBuf::from(FUZZ_NAME),
        bytes: data.to_vec(),
    };
    let check = waymark_check::check_path(Path::new(FUZZ_NAME), &loader);
    spans_in_bounds(&check.diagnostics, None)?;
    let _ = waymark_diagnostics::render_all(&check.diagnostics, false);
    Ok(())
}

/// Formats `text`, which must parse without diagnostics, and checks the round trip:
/// the result parses without diagnostics to the same tree, keeps every comment, and is
/// its own canonical form. Returns the formatted text.
pub fn check_format(text: &str) -> Result<String, String> {
    let first = waymark_syntax::parse_str(FUZZ_NAME, text);
    if !first.diagnostics.is_empty() {
        return Err(format!(
            "the input does not parse cleanly:\n{}",
            waymark_diagnostics::render_all(&first.diagnostics, false)
        ));
    }
    let once = waymark_syntax::format(&first.ruleset, text);
    let second = waymark_syntax::parse_str(FUZZ_NAME, &once);
    if !second.diagnostics.is_empty() {
        return Err(format!(
            "the formatted text does not parse:\n{}\n--- input\n{text}\n--- formatted\n{once}",
            waymark_diagnostics::render_all(&second.diagnostics, false)
        ));
    }
    let (before, after) = (dump(&first.ruleset, false), dump(&second.ruleset, false));
    if before != after {
        return Err(format!(
            "formatting changed the tree\n{}\n--- input\n{text}\n--- formatted\n{once}",
            crate::golden::first_difference(&before, &after)
        ));
    }
    let comments = |r: &waymark_syntax::ast::Ruleset| {
        let mut texts: Vec<String> = r
            .comments
            .iter()
            .map(|c| {
                c.text
                    .split('\r')
                    .next()
                    .unwrap_or("")
                    .trim_end()
                    .to_string()
            })
            .collect();
        texts.sort();
        texts
    };
    if comments(&first.ruleset) != comments(&second.ruleset) {
        return Err(format!(
            "formatting lost or changed a comment\n--- input\n{text}\n--- formatted\n{once}"
        ));
    }
    let twice = waymark_syntax::format(&second.ruleset, &once);
    if twice != once {
        return Err(format!(
            "formatting is not idempotent\n{}\n--- input\n{text}",
            crate::golden::first_difference(&once, &twice)
        ));
    }
    Ok(once)
}

/// Every label of every diagnostic lies inside its file, on character boundaries.
/// `file` is the file to assume for diagnostics that name none.
pub fn spans_in_bounds(
    diagnostics: &[Diagnostic],
    file: Option<&std::sync::Arc<SourceFile>>,
) -> Result<(), String> {
    for d in diagnostics {
        let Some(f) = d.file.as_ref().or(file) else {
            continue;
        };
        for l in &d.labels {
            let (start, end) = (l.span.start as usize, l.span.end as usize);
            let ok = start <= end
                && end <= f.text.len()
                && f.text.is_char_boundary(start)
                && f.text.is_char_boundary(end);
            if !ok {
                return Err(format!(
                    "{} `{}` has a label at {}..{} outside `{}` ({} bytes) or inside a character",
                    d.code,
                    d.message,
                    start,
                    end,
                    f.name,
                    f.text.len()
                ));
            }
        }
    }
    Ok(())
}

/// A loader holding one file as raw bytes; every other path is missing.
struct BytesLoader {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl waymark_check::Loader for BytesLoader {
    fn load(&self, path: &Path) -> Result<String, String> {
        let bytes = self.load_bytes(path)?;
        String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())
    }

    fn load_bytes(&self, path: &Path) -> Result<Vec<u8>, String> {
        if waymark_check::normalize(path) == waymark_check::normalize(&self.path) {
            Ok(self.bytes.clone())
        } else {
            Err("no such file".to_string())
        }
    }
}

/// Evaluating any bytes as the facts of a case never panics, and the streaming fast path
/// and the full path agree on every input: the same decision bytes, or both refuse.
#[expect(clippy::panic, reason = "a fuzz oracle reports a bug by panicking")]
pub fn check_facts(data: &[u8]) {
    if let Err(e) = try_facts(data) {
        panic!("{e}");
    }
}

/// [`check_facts`] without panicking: the first disagreement, if any.
pub fn try_facts(data: &[u8]) -> Result<(), String> {
    static RULES: std::sync::OnceLock<Option<waymark::Ruleset>> = std::sync::OnceLock::new();
    let rules = RULES.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        waymark::Ruleset::from_path(root.join("rulesets/marac/referral.wm")).ok()
    });
    let Some(rules) = rules else {
        return Err("rulesets/marac/referral.wm does not check".into());
    };
    let Ok(line) = std::str::from_utf8(data) else {
        return Ok(());
    };
    if line.contains('\n') {
        return Ok(());
    }
    let mut stream = waymark::CaseStream::new(rules);
    let mut out = Vec::new();
    let fast = stream.eval_line(line, &mut out).map(|()| out);
    let full = serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|j| rules.evaluate_json(&j, true).ok())
        .map(|mut d| {
            d.explanation = None;
            serde_json::to_vec(&d).unwrap_or_default()
        });
    match (fast, full) {
        (Ok(a), Some(b)) if a == b => Ok(()),
        (Err(_), None) => Ok(()),
        (a, b) => Err(format!(
            "fast and full paths disagree on {line:?}: {:?} vs {:?}",
            a.map(|v| String::from_utf8_lossy(&v).into_owned())
                .map_err(|e| e.to_string()),
            b.map(|v| String::from_utf8_lossy(&v).into_owned())
        )),
    }
}
