//! The commands.

use std::collections::HashSet;
use std::io::{BufRead, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};
use waymark::{Decision, Ruleset};
use waymark_diagnostics::Diagnostic;

use waymark_host::{EngineKind, Error as HostError, Evaluator};

use crate::Format;

const OK: u8 = 0;
const FAILED: u8 = 1;
const USAGE: u8 = 2;

/// Every `.wm` file under the paths, sorted; an error names a path that does not exist.
pub(crate) fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
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

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

pub(crate) fn print_diagnostics(diags: &[Diagnostic], format: Format) {
    match format {
        Format::Json => outln!("{}", waymark_diagnostics::to_json(diags)),
        Format::Text => {
            let c = color();
            for d in diags {
                eprintln!("{}", waymark_diagnostics::render(d, c));
            }
        }
    }
}

fn dedup(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = HashSet::new();
    diags
        .into_iter()
        .filter(|d| {
            let key = (
                d.file.as_ref().map(|f| f.name.clone()),
                d.primary_span(),
                d.code,
                d.message.clone(),
            );
            seen.insert(key)
        })
        .collect()
}

pub fn check(paths: &[PathBuf], deny_warnings: bool, format: Format) -> u8 {
    let files = match collect(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let mut all = Vec::new();
    let mut safety = Vec::new();
    for f in &files {
        let check = waymark_check::check_path(f, &waymark_check::FsLoader);
        let clean = check.ruleset.is_some();
        all.extend(check.diagnostics);
        if clean {
            safety.extend(safety_checks(f));
        }
    }
    let mut all = dedup(all);
    waymark_diagnostics::sort(&mut all);
    let errors = all.iter().filter(|d| d.is_error()).count();
    let warnings = all.len() - errors + safety.len();
    print_diagnostics(&all, format);
    if format == Format::Json {
        outln!("{}", json!({ "safety": safety }));
    } else {
        for s in &safety {
            eprintln!(
                "warning[safety]: {}: {}",
                s["file"].as_str().unwrap_or(""),
                s["message"].as_str().unwrap_or("")
            );
            if let Some(ex) = s.get("example") {
                eprintln!("  = example case: {ex}");
            }
        }
    }
    if format == Format::Text {
        eprintln!(
            "checked {} file{}: {} error{}, {} warning{}",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            errors,
            if errors == 1 { "" } else { "s" },
            warnings,
            if warnings == 1 { "" } else { "s" }
        );
    }
    if errors > 0 || (deny_warnings && warnings > 0) {
        FAILED
    } else {
        OK
    }
}

/// The built-in safety checks on a ruleset with answer inputs: every public output is
/// decided for every combination of known answers (with every other input given). Each
/// problem found comes with a case that shows it; an output the analysis cannot settle
/// within its limits is not reported.
fn safety_checks(path: &Path) -> Vec<Json> {
    let Ok(rules) = Ruleset::from_path(path) else {
        return Vec::new();
    };
    let has_answers = rules
        .program()
        .inputs
        .iter()
        .any(|i| matches!(i.ty, waymark::ir::Ty::Answer));
    if !has_answers {
        return Vec::new();
    }
    let opts = waymark_analysis::DiffOptions::default();
    waymark_analysis::gaps(&rules, &waymark_analysis::bound_params(&rules), &opts)
        .into_iter()
        .filter_map(|g| match g.verdict {
            waymark_analysis::GapVerdict::Open { example } => Some(json!({
                "file": path.display().to_string(),
                "output": g.output,
                "message": format!(
                    "`{}` can be undetermined even when every answer is known and every other fact is given",
                    g.output
                ),
                "example": example,
            })),
            _ => None,
        })
        .collect()
}

pub fn fmt(paths: &[PathBuf], check_only: bool) -> u8 {
    let files = match collect(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let mut changed = Vec::new();
    let mut broken = false;
    for f in &files {
        let bytes = match std::fs::read(f) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", f.display());
                return USAGE;
            }
        };
        let parse = waymark_syntax::parse_bytes(&f.display().to_string(), &bytes);
        if parse.has_errors() {
            print_diagnostics(&parse.diagnostics, Format::Text);
            broken = true;
            continue;
        }
        let formatted = waymark_syntax::format(&parse.ruleset, &parse.file.text);
        if formatted.as_bytes() != bytes.as_slice() {
            changed.push(f.clone());
            if !check_only && let Err(e) = std::fs::write(f, formatted) {
                eprintln!("error: cannot write `{}`: {e}", f.display());
                return USAGE;
            }
        }
    }
    if check_only {
        for f in &changed {
            outln!("would reformat {}", f.display());
        }
        if broken || !changed.is_empty() {
            FAILED
        } else {
            OK
        }
    } else {
        for f in &changed {
            eprintln!("formatted {}", f.display());
        }
        if broken { FAILED } else { OK }
    }
}

fn read_input(source: &str) -> std::io::Result<String> {
    if source == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        Ok(s)
    } else {
        std::fs::read_to_string(source)
    }
}

/// Where `eval` reads and writes.
pub struct EvalIo<'a> {
    /// One case's facts file, or `-`.
    pub facts: Option<&'a str>,
    /// A JSON-lines file of cases, or `-`.
    pub cases: Option<&'a str>,
    /// Where decisions for `--cases` go.
    pub out: Option<&'a Path>,
}

/// Where a decision record goes, and whether it is redacted.
pub struct RecordTo<'a> {
    /// The file the record is written to.
    pub path: Option<&'a Path>,
    /// Keep only the facts that mattered.
    pub redact: bool,
}

pub fn eval(
    ruleset: &Path,
    select: &crate::select::Select,
    io: EvalIo<'_>,
    format: Format,
    explain: bool,
    engine: EngineKind,
    record: RecordTo<'_>,
) -> u8 {
    let chosen = match select.open(ruleset, format) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rules = chosen.rules;
    let evaluator = match Evaluator::new(engine, &rules) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return FAILED;
        }
    };
    let redact = record.redact || chosen.profile.as_ref().is_some_and(|p| p.records.redact);
    match (io.facts, io.cases) {
        (Some(f), _) => {
            let code = eval_one(&rules, &evaluator, f, format, explain);
            match (code, record.path) {
                (OK, Some(path)) => write_record(&rules, f, path, chosen.as_of, explain, redact),
                _ => code,
            }
        }
        (None, Some(_)) if record.path.is_some() => {
            eprintln!("error: `--record` writes the record of one case; give `--facts FILE`");
            USAGE
        }
        (None, Some(c)) => eval_stream(&rules, &evaluator, c, io.out, explain),
        (None, None) => {
            eprintln!(
                "error: give the case with `--facts FILE` (or `-` for standard input), or many with `--cases FILE.jsonl`"
            );
            USAGE
        }
    }
}

fn write_record(
    rules: &Ruleset,
    facts_source: &str,
    path: &Path,
    as_of: Option<String>,
    explain: bool,
    redact: bool,
) -> u8 {
    let facts = match read_input(facts_source)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Json>(&t).map_err(|e| e.to_string()))
    {
        Ok(j) => j,
        Err(e) => {
            eprintln!("error: cannot read the facts again for the record: {e}");
            return USAGE;
        }
    };
    let record = match rules.record(&facts, as_of, explain, redact) {
        Ok(r) => r,
        Err(e) => {
            report_fact_errors(&e.0, Format::Text, None);
            return FAILED;
        }
    };
    let text = serde_json::to_string_pretty(&record).unwrap_or_default() + "\n";
    match std::fs::write(path, text) {
        Ok(()) => {
            eprintln!(
                "wrote decision record {}{}",
                path.display(),
                if redact {
                    " (redacted: only the facts that mattered)"
                } else {
                    ""
                }
            );
            OK
        }
        Err(e) => {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            USAGE
        }
    }
}

/// A fact problem for a whole line or case (not one input).
fn whole_case_error(message: String) -> waymark::FactError {
    waymark::FactError {
        input: String::new(),
        kind: waymark::FactErrorKind::NotAnObject,
        message,
    }
}

fn report_fact_errors(errors: &[waymark::FactError], format: Format, line: Option<usize>) {
    if format == Format::Json {
        outln!("{}", json!({"errors": errors}));
    }
    for e in errors {
        match line {
            Some(n) => eprintln!("error: line {n}: {}", e.message),
            None => eprintln!("error: {}", e.message),
        }
    }
}

fn eval_one(
    rules: &Ruleset,
    evaluator: &Evaluator,
    source: &str,
    format: Format,
    explain: bool,
) -> u8 {
    let text = match read_input(source) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read facts from `{source}`: {e}");
            return USAGE;
        }
    };
    let json: Json = match serde_json::from_str(&text) {
        Ok(j) => j,
        Err(e) => {
            let errors = vec![waymark::FactError {
                input: String::new(),
                kind: waymark::FactErrorKind::NotAnObject,
                message: format!("the facts are not valid JSON: {e}"),
            }];
            report_fact_errors(&errors, format, None);
            return FAILED;
        }
    };
    match evaluator.evaluate_json(&json, explain) {
        Ok(d) => {
            match format {
                Format::Json => {
                    outln!("{}", serde_json::to_string_pretty(&d).unwrap_or_default())
                }
                Format::Text => out!("{}", render_decision(rules, &d)),
            }
            OK
        }
        Err(HostError::Facts(e)) => {
            report_fact_errors(&e.0, format, None);
            FAILED
        }
        Err(e) => {
            eprintln!("error: {e}");
            FAILED
        }
    }
}

/// A failed write of decisions: to standard output, handled as every write there is
/// (quietly when the reader has gone away); to a file, reported with the reason.
fn cannot_write_decisions(out: Option<&Path>, e: &std::io::Error) -> u8 {
    match out {
        None => crate::exit_on_write_error(e),
        Some(p) => {
            eprintln!("error: cannot write decisions to `{}`: {e}", p.display());
            USAGE
        }
    }
}

fn eval_stream(
    rules: &Ruleset,
    evaluator: &Evaluator,
    source: &str,
    out: Option<&Path>,
    explain: bool,
) -> u8 {
    let reader: Box<dyn BufRead> = if source == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        match std::fs::File::open(source) {
            Ok(f) => Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
            Err(e) => {
                eprintln!("error: cannot read cases from `{source}`: {e}");
                return USAGE;
            }
        }
    };
    let total = if source == "-" {
        None
    } else {
        std::fs::metadata(source).ok().map(|m| m.len())
    };
    let writer: Box<dyn Write> = match out {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("error: cannot write `{}`: {e}", p.display());
                return USAGE;
            }
        },
        None => Box::new(std::io::stdout().lock()),
    };
    let mut writer = BufWriter::with_capacity(1 << 16, writer);
    let bar = crate::pin::progress_bar(total, "bytes");
    let mut bad = 0usize;
    let mut good = 0usize;
    let mut stream = waymark::CaseStream::new(rules);
    let mut buffer = Vec::with_capacity(1024);
    for (n, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot read line {}: {e}", n + 1);
                return USAGE;
            }
        };
        bar.inc(line.len() as u64 + 1);
        if line.trim().is_empty() {
            continue;
        }
        let result = match evaluator {
            // The fast path: facts straight from the text, decisions straight to bytes.
            Evaluator::Native(_) if !explain => {
                buffer.clear();
                stream.eval_line(&line, &mut buffer).map_err(|e| e.0)
            }
            _ => match evaluator.evaluate_json_text(&line, explain) {
                Ok(text) => {
                    buffer.clear();
                    buffer.extend_from_slice(text.as_bytes());
                    Ok(())
                }
                Err(HostError::Facts(e)) => Err(e.0),
                Err(HostError::BadJson(m)) => {
                    Err(vec![whole_case_error(format!("not valid JSON: {m}"))])
                }
                Err(e) => Err(vec![whole_case_error(e.to_string())]),
            },
        };
        let written = match result {
            Ok(()) => {
                good += 1;
                writer.write_all(&buffer)
            }
            Err(errors) => {
                bad += 1;
                for e in &errors {
                    bar.suspend(|| eprintln!("error: line {}: {}", n + 1, e.message));
                }
                serde_json::to_writer(&mut writer, &json!({"line": n + 1, "errors": errors}))
                    .map_err(std::io::Error::other)
            }
        };
        if let Err(e) = written.and_then(|_| writer.write_all(b"\n")) {
            bar.finish_and_clear();
            return cannot_write_decisions(out, &e);
        }
    }
    bar.finish_and_clear();
    if let Err(e) = writer.flush() {
        return cannot_write_decisions(out, &e);
    }
    eprintln!(
        "{good} decision{}, {bad} bad line{}",
        if good == 1 { "" } else { "s" },
        if bad == 1 { "" } else { "s" }
    );
    if bad > 0 { FAILED } else { OK }
}

fn show(v: &Json) -> String {
    match v {
        Json::Null => "undetermined".to_string(),
        Json::String(s) => s.clone(),
        Json::Array(items) if items.is_empty() => "(none)".to_string(),
        Json::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        Json::Bool(true) => "yes".to_string(),
        Json::Bool(false) => "no".to_string(),
        other => other.to_string(),
    }
}

/// A decision for a person: the outcome first, then why.
fn render_decision(rules: &Ruleset, d: &Decision) -> String {
    let p = rules.program();
    let mut s = String::new();
    let title = p.meta.title.clone().unwrap_or_default();
    s.push_str(&format!(
        "{} {} — {}\n\n",
        d.ruleset.id, d.ruleset.version, title
    ));
    s.push_str("Outcome\n");
    let width = d
        .outcome
        .keys()
        .map(|k| label_of(rules, k).chars().count())
        .max()
        .unwrap_or(0);
    for out in p.outputs.iter().filter(|o| o.public) {
        let v = d.outcome.get(&out.name).cloned().unwrap_or(Json::Null);
        let label = label_of(rules, &out.name);
        s.push_str(&format!("  {label:<width$}  {}\n", show(&v)));
    }
    if let Some(ex) = &d.explanation {
        s.push_str("\nWhy\n");
        if let Some(outputs) = ex.get("outputs").and_then(Json::as_object) {
            for out in p.outputs.iter().filter(|o| o.public) {
                let Some(entry) = outputs.get(&out.name) else {
                    continue;
                };
                let because = entry
                    .get("because")
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default();
                let undetermined = entry.get("undetermined");
                if because.is_empty() && undetermined.is_none() {
                    continue;
                }
                s.push_str(&format!(
                    "  {} = {}\n",
                    out.name,
                    show(d.outcome.get(&out.name).unwrap_or(&Json::Null))
                ));
                for b in because {
                    let what = b
                        .get("label")
                        .and_then(Json::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| {
                            b.get("rule")
                                .or(b.get("table"))
                                .map(show)
                                .unwrap_or_default()
                        });
                    let cites: Vec<String> = b
                        .get("sources")
                        .and_then(Json::as_array)
                        .map(|a| a.iter().filter_map(|c| c.get("key").map(show)).collect())
                        .unwrap_or_default();
                    let cites = if cites.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", cites.join(", "))
                    };
                    s.push_str(&format!("    because: {what}{cites}\n"));
                }
                if let Some(u) = undetermined {
                    let waiting = u.get("waiting_for").map(show).unwrap_or_default();
                    s.push_str(&format!("    undetermined: waiting for {waiting}\n"));
                }
            }
        }
        if let Some(misses) = ex
            .get("nearest_misses")
            .and_then(Json::as_array)
            .filter(|m| !m.is_empty())
        {
            s.push_str("\nNearest misses\n");
            for m in misses.iter().take(6) {
                let text = m.get("text").map(show).unwrap_or_default();
                let label = m.get("label").and_then(Json::as_str).unwrap_or("");
                s.push_str(&format!("  - {text} ({label})\n"));
            }
            if misses.len() > 6 {
                s.push_str(&format!(
                    "  … and {} more with --format json\n",
                    misses.len() - 6
                ));
            }
        }
        if let Some(qs) = ex
            .get("next_questions")
            .and_then(Json::as_array)
            .filter(|q| !q.is_empty())
        {
            s.push_str("\nNext questions to ask\n");
            for q in qs {
                let input = q.get("input").map(show).unwrap_or_default();
                let label = q
                    .get("label")
                    .and_then(Json::as_str)
                    .map(|l| format!(" — {l}"))
                    .unwrap_or_default();
                let changes = q.get("could_change").map(show).unwrap_or_default();
                s.push_str(&format!("  - {input}{label} (could change {changes})\n"));
            }
        }
    }
    s
}

fn label_of(rules: &Ruleset, output: &str) -> String {
    rules
        .program()
        .outputs
        .iter()
        .find(|o| o.name == output)
        .and_then(|o| o.label.clone())
        .unwrap_or_else(|| output.to_string())
}

pub fn test(paths: &[PathBuf], format: Format, engine: EngineKind) -> u8 {
    let files = match collect(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut reports = Vec::new();
    for f in &files {
        let rules = match Ruleset::open(f, None) {
            Ok(r) => r,
            Err(e) => {
                crate::select::print_open_error(&e, Format::Text);
                eprintln!(
                    "error: `{}` does not load, so its tests cannot run",
                    f.display()
                );
                failed += 1;
                continue;
            }
        };
        let report = match Evaluator::new(engine, &rules).and_then(|e| e.run_tests()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: `{}`: {e}", f.display());
                failed += 1;
                continue;
            }
        };
        if format == Format::Text && !report.tests.is_empty() {
            outln!("\nrunning {} tests in {}", report.tests.len(), f.display());
            for t in &report.tests {
                outln!(
                    "test {} ... {}",
                    t.name,
                    if t.passed { "ok" } else { "FAILED" }
                );
            }
            for t in report.tests.iter().filter(|t| !t.passed) {
                outln!("\n---- {} ({}:{}) ----", t.name, f.display(), t.line);
                for (out, expected, actual) in &t.failures {
                    outln!("  {out}: expected {}, got {}", show(expected), show(actual));
                }
                if let Some(ex) = &t.explanation {
                    outln!(
                        "  explanation: {}",
                        serde_json::to_string(ex).unwrap_or_default()
                    );
                }
            }
        }
        passed += report.passed();
        failed += report.failed();
        reports.push(json!({"file": f.display().to_string(), "report": report}));
    }
    if format == Format::Json {
        outln!(
            "{}",
            json!({"passed": passed, "failed": failed, "files": reports})
        );
    } else {
        outln!(
            "\ntest result: {}. {passed} passed, {failed} failed",
            if failed == 0 { "ok" } else { "FAILED" }
        );
    }
    if failed > 0 { FAILED } else { OK }
}

pub fn schema(path: &Path, select: &crate::select::Select) -> u8 {
    match select.open(path, Format::Text) {
        Ok(crate::select::Chosen { rules: r, .. }) => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&r.schema()).unwrap_or_default()
            );
            OK
        }
        Err(code) => code,
    }
}

pub fn doc(paths: &[PathBuf], out: Option<&Path>, check_only: bool) -> u8 {
    let files = match collect(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let mut stale = Vec::new();
    for f in &files {
        let rules = match Ruleset::from_path(f) {
            Ok(r) => r,
            Err(d) => {
                print_diagnostics(&d.0, Format::Text);
                return FAILED;
            }
        };
        let page = rules.doc_markdown();
        match out {
            None => out!("{page}"),
            Some(dir) => {
                let target = dir.join(format!("{}.md", rules.id()));
                let current = std::fs::read_to_string(&target).unwrap_or_default();
                if current == page {
                    continue;
                }
                if check_only {
                    stale.push(target);
                    continue;
                }
                if let Err(e) =
                    std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&target, page))
                {
                    eprintln!("error: cannot write `{}`: {e}", target.display());
                    return USAGE;
                }
                eprintln!("wrote {}", target.display());
            }
        }
    }
    for s in &stale {
        outln!(
            "stale: {} (run `waymark doc rulesets --out docs/rulesets`)",
            s.display()
        );
    }
    if stale.is_empty() { OK } else { FAILED }
}
