//! Fuzz checks: oracles that any input must pass, shared by cargo-fuzz targets and tests.
//!
//! Each `check_*` function takes raw bytes and panics when it finds a bug, which is what a
//! fuzzer needs; each `try_*` function is the same check returning the bug instead. The
//! cargo-fuzz targets are two lines of glue around the `check_*` functions, and `cargo
//! test` runs the `try_*` functions over every `.wm` file in the repository, over the
//! committed corpus in `tests/data/fuzz-corpus/` and over `tests/data/fuzz-failures/`.
//!
//! **Speed.** The parser costs a few microseconds per byte once instrumented for coverage,
//! so a target fed whole reference rulesets (up to 55 KB) managed a few dozen executions a
//! second. The `check_*` entry points therefore ignore inputs longer than [`MAX_FUZZ_LEN`]
//! (whole files are covered by `cargo test`), and the seeds are single declarations.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use waymark_diagnostics::{Diagnostic, SourceFile};
use waymark_syntax::dump::dump;

/// The file name fuzz input is parsed under.
pub const FUZZ_NAME: &str = "fuzz.wm";

/// The longest input the `check_*` entry points look at; longer ones are skipped, since
/// their cost grows with their length and they find nothing shorter inputs do not.
pub const MAX_FUZZ_LEN: usize = 8192;

/// Parsing any bytes never panics, and every diagnostic points inside the file. When the
/// bytes parse without a diagnostic, formatting keeps the tree (spans aside) and the
/// comments, and formatting the result again changes nothing. Panics on a bug.
#[expect(clippy::panic, reason = "a fuzz oracle reports a bug by panicking")]
pub fn check_parse(data: &[u8]) {
    if data.len() > MAX_FUZZ_LEN {
        return;
    }
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
    if data.len() > MAX_FUZZ_LEN {
        return;
    }
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
        waymark::Ruleset::from_path(root.join("rulesets/marac/referral.wm"))
            .ok()
            .map(|r| r.with_limits(fuzz_limits()))
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

// ---------------------------------------------------------------------------
// Check and compile, formatting, evaluation and the differential against the reference
// interpreter.
// ---------------------------------------------------------------------------

/// Checking any bytes never panics; a ruleset that checks also compiles (its program
/// verifies as it is loaded), and evaluates, with explanations, to the reference
/// interpreter's outcome on a few fixed cases (every answer unknown, every answer yes,
/// every answer no). Panics on a bug.
#[expect(clippy::panic, reason = "a fuzz oracle reports a bug by panicking")]
pub fn check_compile(data: &[u8]) {
    if data.len() > MAX_FUZZ_LEN {
        return;
    }
    if let Err(e) = try_compile(data) {
        panic!("{e}");
    }
}

/// [`check_compile`], returning the bug instead of panicking.
pub fn try_compile(data: &[u8]) -> Result<(), String> {
    try_check(data)?;
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let Some(hir) = checked(text) else {
        return Ok(());
    };
    let Some(rules) = compiled(text)? else {
        return Ok(());
    };
    for facts in fixed_cases(rules.program()) {
        compare_with_reference(&rules, &hir, &facts, &[], &[], true)?;
    }
    Ok(())
}

/// The checked ruleset of one in-memory file, if it checks.
fn checked(text: &str) -> Option<waymark_check::hir::Ruleset> {
    let loader = waymark_check::MemoryLoader::new([(PathBuf::from(FUZZ_NAME), text.to_string())]);
    waymark_check::check_path(Path::new(FUZZ_NAME), &loader).ruleset
}

/// The limits every fuzz check runs under: tighter than the defaults, as a service facing
/// untrusted input would set them, so that limits are exercised too.
pub fn fuzz_limits() -> waymark::Limits {
    waymark::Limits {
        max_source_bytes: 64 * 1024,
        compile: waymark::CompileLimits {
            max_expr_depth: 96,
            max_instructions: 1 << 16,
            max_slots: 1 << 16,
        },
        max_fact_values: 2_000,
        max_list_len: 64,
        max_text_bytes: 4_096,
    }
}

/// The compiled ruleset of one in-memory file that checks, within [`fuzz_limits`]; `None`
/// when it is refused only for exceeding a limit.
fn compiled(text: &str) -> Result<Option<waymark::Ruleset>, String> {
    let files = [(FUZZ_NAME.to_string(), text.to_string())];
    match waymark::Ruleset::from_sources_with(FUZZ_NAME, &files, &fuzz_limits()) {
        Ok(r) => Ok(Some(r)),
        Err(d)
            if d.0
                .iter()
                .any(|x| x.code == waymark_diagnostics::Code::LimitExceeded)
                && d.0
                    .iter()
                    .filter(|x| x.is_error())
                    .all(|x| x.code == waymark_diagnostics::Code::LimitExceeded) =>
        {
            Ok(None)
        }
        Err(d) => {
            let msgs: Vec<String> = d.0.iter().map(|x| x.message.clone()).collect();
            Err(format!(
                "the ruleset checks but does not compile: {msgs:?}\n--- input\n{text}"
            ))
        }
    }
}

/// The simplest valid value of a required input.
fn lowest_json(p: &waymark::ir::Program, ty: &waymark::ir::Ty, lo: Option<i64>) -> Json {
    use waymark::ir::Ty;
    match ty {
        Ty::Answer => Json::from("unknown"),
        Ty::Bool => Json::Bool(false),
        Ty::Int => Json::from(lo.unwrap_or(0)),
        Ty::Number => Json::from(lo.unwrap_or(0)),
        Ty::Text => Json::from(""),
        Ty::Date => Json::from("2024-05-01"),
        Ty::Enum(e) => p
            .enums
            .get(*e as usize)
            .and_then(|en| en.variants.first())
            .map_or(Json::Null, |v| Json::from(v.as_str())),
        Ty::Set(_) | Ty::List(_) => Json::Array(Vec::new()),
    }
}

fn range_int(c: &Option<waymark::ir::ConstVal>) -> Option<i64> {
    match c {
        Some(waymark::ir::ConstVal::Int(i)) => Some(*i),
        _ => None,
    }
}

/// Three cases for any ruleset: required inputs at their simplest, and every answer
/// unknown, yes, then no.
fn fixed_cases(p: &waymark::ir::Program) -> Vec<Json> {
    ["unknown", "yes", "no"]
        .iter()
        .map(|word| {
            let mut m = serde_json::Map::new();
            for input in &p.inputs {
                if input.ty == waymark::ir::Ty::Answer {
                    m.insert(input.name.clone(), Json::from(*word));
                } else if !input.optional {
                    m.insert(
                        input.name.clone(),
                        lowest_json(p, &input.ty, range_int(&input.range.0)),
                    );
                }
            }
            Json::Object(m)
        })
        .collect()
}

/// The native engine (with explanations) and the reference interpreter give the same
/// outcome for these facts and parameter values (`params` for the facade, `hir_params`
/// for the interpreter).
fn compare_with_reference(
    rules: &waymark::Ruleset,
    hir: &waymark_check::hir::Ruleset,
    facts: &Json,
    params: &[(String, Json)],
    hir_params: &[(waymark_check::hir::ParamId, waymark_check::hir::Const)],
    explain: bool,
) -> Result<(), String> {
    let bound;
    let rules = if params.is_empty() {
        rules
    } else {
        bound = rules
            .with_params(params)
            .map_err(|e| format!("parameters {params:?} refused: {e}"))?;
        &bound
    };
    let native = rules
        .evaluate_json(facts, explain)
        .map_err(|e| format!("the engine refuses valid facts {facts}: {e}"))?;
    let inputs = crate::reference::parse_facts(hir, facts)
        .map_err(|e| format!("the reference interpreter refuses facts {facts}: {e:?}"))?;
    let oracle = crate::reference::evaluate(hir, &inputs, hir_params);
    if native.outcome != oracle {
        return Err(format!(
            "the engine and the reference interpreter disagree\nfacts: {facts}\nparams: {params:?}\nnative:    {}\nreference: {}",
            Json::Object(native.outcome),
            Json::Object(oracle)
        ));
    }
    Ok(())
}

/// Formatting round trip: when the bytes parse without a diagnostic, the formatted text
/// keeps the tree and comments and is its own canonical form ([`check_format`]), and it
/// means the same: checking it gives the same diagnostic codes, and when it checks, the
/// same outcomes on the fixed cases. Panics on a bug.
#[expect(clippy::panic, reason = "a fuzz oracle reports a bug by panicking")]
pub fn check_fmt(data: &[u8]) {
    if data.len() > MAX_FUZZ_LEN {
        return;
    }
    if let Err(e) = try_fmt(data) {
        panic!("{e}");
    }
}

/// [`check_fmt`], returning the bug instead of panicking.
pub fn try_fmt(data: &[u8]) -> Result<(), String> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    if !waymark_syntax::parse_str(FUZZ_NAME, text)
        .diagnostics
        .is_empty()
    {
        return Ok(());
    }
    let formatted = check_format(text)?;
    let codes = |t: &str| {
        let loader = waymark_check::MemoryLoader::new([(PathBuf::from(FUZZ_NAME), t.to_string())]);
        let check = waymark_check::check_path(Path::new(FUZZ_NAME), &loader);
        let mut codes: Vec<String> = check
            .diagnostics
            .iter()
            .map(|d| d.code.to_string())
            .collect();
        codes.sort();
        (codes, check.ruleset.is_some())
    };
    let (before, after) = (codes(text), codes(&formatted));
    if before != after {
        return Err(format!(
            "formatting changed what checking says: {before:?} before, {after:?} after\n--- input\n{text}\n--- formatted\n{formatted}"
        ));
    }
    if before.1 {
        let (Some(a), Some(b)) = (compiled(text)?, compiled(&formatted)?) else {
            return Ok(());
        };
        for facts in fixed_cases(a.program()) {
            let da = a.evaluate_json(&facts, false).map_err(|e| e.to_string())?;
            let db = b.evaluate_json(&facts, false).map_err(|e| e.to_string())?;
            if da.outcome != db.outcome {
                return Err(format!(
                    "formatting changed a decision for {facts}\nbefore: {}\nafter:  {}\n--- input\n{text}",
                    Json::Object(da.outcome),
                    Json::Object(db.outcome)
                ));
            }
        }
    }
    Ok(())
}

/// The reference rulesets, compiled once, with their checked form, by file name.
fn reference_rulesets() -> &'static [(String, waymark::Ruleset)] {
    static RULES: std::sync::OnceLock<Vec<(String, waymark::Ruleset)>> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        crate::golden::files_under(&crate::golden::workspace_root().join("rulesets"), "wm")
            .into_iter()
            .filter_map(|path| {
                let rules = waymark::Ruleset::from_path(&path).ok()?;
                Some((
                    crate::golden::display_name(&path),
                    rules.with_limits(fuzz_limits()),
                ))
            })
            .collect()
    })
}

/// Reads bytes as choices; past the end every choice is 0, the simplest.
pub struct Draw<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Draw<'a> {
    /// Choices from these bytes.
    pub fn new(data: &'a [u8]) -> Draw<'a> {
        Draw { data, pos: 0 }
    }

    /// The next byte.
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        let v = (u64::from(self.byte()) << 8) | u64::from(self.byte());
        if n == 0 { 0 } else { v % n }
    }
}

/// One value of a type from bytes: valid, in range.
fn draw_value(
    p: &waymark::ir::Program,
    ty: &waymark::ir::Ty,
    range: (i64, i64),
    d: &mut Draw<'_>,
) -> Json {
    use waymark::ir::Ty;
    let variants = |e: &u32| {
        p.enums
            .get(*e as usize)
            .map(|en| en.variants.clone())
            .unwrap_or_default()
    };
    match ty {
        Ty::Answer => Json::from(["yes", "no", "unknown"][usize::from(d.byte() % 3)]),
        Ty::Bool => Json::Bool(d.byte() % 2 == 1),
        Ty::Int => {
            let span =
                u64::try_from(i128::from(range.1) - i128::from(range.0) + 1).unwrap_or(u64::MAX);
            Json::from(range.0.saturating_add(d.below(span) as i64))
        }
        Ty::Number => {
            let span = u64::try_from(i128::from(range.1) - i128::from(range.0)).unwrap_or(0);
            let whole = range.0.saturating_add(d.below(span) as i64);
            Json::from(format!("{whole}.{:02}", d.byte() % 100))
        }
        Ty::Text => Json::from(format!("t{}", d.byte())),
        Ty::Date => {
            let base = waymark_ir::Date::from_ymd(2024, 5, 1).map_or(19844, |x| x.0);
            let back = d.below(1500) as i32 - 30;
            Json::from(waymark_ir::Date(base - back).to_string())
        }
        Ty::Enum(e) => {
            let v = variants(e);
            v.get(d.below(v.len() as u64) as usize)
                .map_or(Json::Null, |x| Json::from(x.as_str()))
        }
        Ty::Set(e) => {
            let v = variants(e);
            let bits = (u64::from(d.byte()) << 8) | u64::from(d.byte());
            Json::Array(
                v.iter()
                    .enumerate()
                    .filter(|(i, _)| *i < 16 && bits & (1 << i) != 0)
                    .map(|(_, x)| Json::from(x.as_str()))
                    .collect(),
            )
        }
        Ty::List(inner) => {
            let n = d.below(7);
            Json::Array((0..n).map(|_| draw_value(p, inner, range, d)).collect())
        }
    }
}

/// Facts for a program from bytes. With `invalid`, a byte of 255 makes that input's value
/// invalid (out of range, of the wrong type, a date that does not exist, a list longer than
/// [`fuzz_limits`] allows); the flag says
/// whether any value is invalid.
pub fn draw_facts(p: &waymark::ir::Program, d: &mut Draw<'_>, invalid: bool) -> (Json, bool) {
    use waymark::ir::Ty;
    let mut m = serde_json::Map::new();
    let mut valid = true;
    for input in &p.inputs {
        let b = d.byte();
        let lo = range_int(&input.range.0);
        let hi = range_int(&input.range.1);
        if invalid && b == 255 {
            let bad = match (&input.ty, hi) {
                (Ty::Int, Some(h)) if h < i64::MAX => Json::from(h + 1),
                // One item more than the fuzz limit allows.
                (Ty::List(inner), _) if matches!(**inner, Ty::Date) => Json::Array(
                    (0..=fuzz_limits().max_list_len)
                        .map(|_| Json::from("2024-05-01"))
                        .collect(),
                ),
                (Ty::Date, _) => Json::from("2023-02-29"),
                (Ty::Answer, _) => Json::from("maybe"),
                (Ty::Text, _) => Json::from(5),
                _ => Json::from(vec![Json::Bool(true)]),
            };
            m.insert(input.name.clone(), bad);
            valid = false;
            continue;
        }
        if input.optional && b.is_multiple_of(5) {
            if b.is_multiple_of(10) {
                m.insert(input.name.clone(), Json::Null);
            }
            continue;
        }
        let range = (
            lo.unwrap_or(hi.map_or(-1000, |h| h.saturating_sub(1000))),
            hi.unwrap_or(lo.map_or(1000, |l| l.saturating_add(1000))),
        );
        m.insert(input.name.clone(), draw_value(p, &input.ty, range, d));
    }
    if invalid && d.byte() == 255 {
        m.insert("no_such_input".into(), Json::from(1));
        valid = false;
    }
    (Json::Object(m), valid)
}

/// Evaluating facts drawn from the bytes (sometimes invalid) against a reference ruleset
/// (the first byte picks it) never panics; valid facts are accepted and invalid ones
/// refused; the decision has exactly the public outputs, serializes, and the streaming
/// fast path writes the same bytes. Panics on a bug.
#[expect(clippy::panic, reason = "a fuzz oracle reports a bug by panicking")]
pub fn check_eval(data: &[u8]) {
    if let Err(e) = try_eval(data) {
        panic!("{e}");
    }
}

/// [`check_eval`], returning the bug instead of panicking.
pub fn try_eval(data: &[u8]) -> Result<(), String> {
    let all = reference_rulesets();
    let mut d = Draw::new(data);
    let Some((name, rules)) = all.get(usize::from(d.byte()) % all.len().max(1)) else {
        return Err("no reference ruleset checks".into());
    };
    let p = rules.program();
    let (facts, valid) = draw_facts(p, &mut d, true);
    let decision = match (rules.evaluate_json(&facts, true), valid) {
        (Ok(dec), true) => dec,
        (Err(_), false) => return Ok(()),
        (Ok(_), false) => return Err(format!("{name}: invalid facts accepted: {facts}")),
        (Err(e), true) => return Err(format!("{name}: valid facts refused: {facts}: {e}")),
    };
    let public: Vec<&str> = p
        .outputs
        .iter()
        .filter(|o| o.public)
        .map(|o| o.name.as_str())
        .collect();
    let keys: Vec<&str> = decision.outcome.keys().map(String::as_str).collect();
    let (mut a, mut b) = (public.clone(), keys.clone());
    a.sort_unstable();
    b.sort_unstable();
    if a != b {
        return Err(format!(
            "{name}: the outcome has {keys:?}, not the public outputs {public:?}"
        ));
    }
    serde_json::to_string(&decision).map_err(|e| format!("{name}: {e}"))?;
    let line = facts.to_string();
    let mut out = Vec::new();
    waymark::CaseStream::new(rules)
        .eval_line(&line, &mut out)
        .map_err(|e| format!("{name}: the stream refuses valid facts {line}: {e}"))?;
    let mut full = decision;
    full.explanation = None;
    let full = serde_json::to_vec(&full).map_err(|e| e.to_string())?;
    if out != full {
        return Err(format!(
            "{name}: fast and full paths disagree on {line}\nfast: {}\nfull: {}",
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&full)
        ));
    }
    Ok(())
}

/// Facts and parameter values drawn from the bytes for a reference ruleset (the first
/// byte picks it): the compiled, specialized engine and the reference interpreter give
/// the same outcome. Panics on a bug.
#[expect(clippy::panic, reason = "a fuzz oracle reports a bug by panicking")]
pub fn check_differential(data: &[u8]) {
    if let Err(e) = try_differential(data) {
        panic!("{e}");
    }
}

/// [`check_differential`], returning the bug instead of panicking.
pub fn try_differential(data: &[u8]) -> Result<(), String> {
    use waymark::ir::Ty;
    use waymark_check::hir::Const;
    let all = reference_rulesets();
    let mut d = Draw::new(data);
    let Some((name, rules)) = all.get(usize::from(d.byte()) % all.len().max(1)) else {
        return Err("no reference ruleset checks".into());
    };
    let p = rules.program();
    let hir = rules.checked();
    let mut params = Vec::new();
    let mut hir_params = Vec::new();
    // Rebinding parameters specializes the program again, which is slow: a quarter of the
    // inputs override any.
    let overrides = d.byte().is_multiple_of(4);
    for info in p.params.iter().filter(|x| overrides && x.overridable) {
        if !d.byte().is_multiple_of(3) {
            continue;
        }
        let Some(id) = hir.param(&info.name) else {
            continue;
        };
        match info.ty {
            Ty::Int => {
                let lo = range_int(&info.range.0).unwrap_or(0);
                let hi = range_int(&info.range.1).unwrap_or(lo.saturating_add(100));
                let span = u64::try_from(i128::from(hi) - i128::from(lo) + 1).unwrap_or(1);
                let v = lo.saturating_add(d.below(span) as i64);
                params.push((info.name.clone(), Json::from(v)));
                hir_params.push((id, Const::Int(v)));
            }
            Ty::Bool => {
                let v = d.byte() % 2 == 1;
                params.push((info.name.clone(), Json::Bool(v)));
                hir_params.push((id, Const::Bool(v)));
            }
            _ => {}
        }
    }
    let (facts, _) = draw_facts(p, &mut d, false);
    compare_with_reference(rules, hir, &facts, &params, &hir_params, false)
        .map_err(|e| format!("{name}: {e}"))
}

// ---------------------------------------------------------------------------
// Artifact loading.
// ---------------------------------------------------------------------------

/// What the artifact oracle compares against: the MARAC rules, their artifact unsigned
/// and signed, the public key, and a case to decide.
struct ArtifactBase {
    rules: waymark::Ruleset,
    unsigned: Vec<u8>,
    signed: Vec<u8>,
    key: waymark::artifact::VerifyingKey,
    case: Json,
}

fn artifact_base() -> Result<&'static ArtifactBase, String> {
    static BASE: std::sync::OnceLock<Result<ArtifactBase, String>> = std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        let root = crate::golden::workspace_root();
        let rules = waymark::Ruleset::from_path(root.join("rulesets/marac/referral.wm"))
            .map_err(|e| format!("rulesets/marac/referral.wm does not check: {e}"))?
            .with_params(&[("vhr_threshold".into(), Json::from(13))])
            .map_err(|e| e.to_string())?;
        let unsigned = rules.build_artifact();
        let (secret, public) = waymark::artifact::key_pair_hex([42; 32]);
        let signer = waymark::artifact::signing_key_from_hex(&secret).map_err(|e| e.to_string())?;
        let key = waymark::artifact::verifying_key_from_hex(&public).map_err(|e| e.to_string())?;
        let signed = waymark::artifact::sign(&unsigned, &signer).map_err(|e| e.to_string())?;
        let text = std::fs::read_to_string(root.join("examples/cases/sc02-thirteen-ticks.json"))
            .map_err(|e| e.to_string())?;
        let case = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        Ok(ArtifactBase {
            rules,
            unsigned,
            signed,
            key,
            case,
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Applies one to four edits drawn from `d` to `bytes`: flip bits at a place, cut the
/// file short, or insert a byte. The result always differs from `bytes`.
fn damage(bytes: &[u8], d: &mut Draw<'_>) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..=d.byte() % 4 {
        let at = d.below(out.len() as u64 + 1) as usize;
        match d.byte() % 3 {
            0 if at < out.len() => out[at] ^= d.byte() | 1,
            1 if at < out.len() => out.truncate(at),
            _ => out.insert(at.min(out.len()), d.byte()),
        }
    }
    out
}

/// Loading any bytes as an artifact never panics, and whatever is accepted decides exactly
/// as the rules that were built: the first byte picks raw bytes, a damaged unsigned
/// artifact, or a damaged signed one (with and without requiring its key). Damage that is
/// not refused must leave the rules, their parameters and their decisions unchanged.
/// Panics on a bug.
#[expect(clippy::panic, reason = "a fuzz oracle reports a bug by panicking")]
pub fn check_artifact(data: &[u8]) {
    if let Err(e) = try_artifact(data) {
        panic!("{e}");
    }
}

/// [`check_artifact`], returning the bug instead of panicking.
pub fn try_artifact(data: &[u8]) -> Result<(), String> {
    let base = artifact_base()?;
    let mut d = Draw::new(data);
    let (bytes, key, what) = match d.byte() % 4 {
        0 => (
            data.get(1..).unwrap_or_default().to_vec(),
            None,
            "raw bytes",
        ),
        1 => (damage(&base.unsigned, &mut d), None, "a damaged artifact"),
        2 => (
            damage(&base.signed, &mut d),
            Some(&base.key),
            "a damaged signed artifact, key required",
        ),
        _ => (
            damage(&base.signed, &mut d),
            None,
            "a damaged signed artifact",
        ),
    };
    // Reading the body (as `waymark inspect` does) must not panic either.
    let _ = waymark::artifact::read_body(&bytes, key);
    let loaded = match waymark::Ruleset::from_artifact(&bytes, key) {
        Ok(r) => r,
        Err(e) => {
            if e.to_string().is_empty() {
                return Err(format!("{what} refused without a reason"));
            }
            return Ok(());
        }
    };
    if loaded.hash() != base.rules.hash() || loaded.params_json() != base.rules.params_json() {
        return Err(format!(
            "{what} was accepted as other rules: hash {} params {:?}",
            loaded.hash(),
            loaded.params_json()
        ));
    }
    let want = base
        .rules
        .evaluate_json(&base.case, true)
        .map_err(|e| e.to_string())?;
    let got = loaded
        .evaluate_json(&base.case, true)
        .map_err(|e| format!("{what} was accepted but refuses the case: {e}"))?;
    if got.outcome != want.outcome || got.explanation != want.explanation {
        return Err(format!("{what} was accepted but decides differently"));
    }
    Ok(())
}
