//! Versioning commands: build and sign artifacts, check a registry, replay decision
//! records, synthesise cases and measure the impact of a change.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use waymark::Ruleset;
use waymark::record::DecisionRecord;
use waymark::registry::Registry;
use waymark_corpus::{impact, synth};

use crate::Format;
use crate::select::{FAILED, Select, USAGE, print_open_error, read_key};

const OK: u8 = 0;

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), u8> {
    // Write beside the target and rename, so a reader never sees half a file.
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            USAGE
        })
}

pub fn build(ruleset: &Path, select: &Select, out: &Path, format: Format) -> u8 {
    let chosen = match select.open(ruleset, format) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rules = chosen.rules;
    let bytes = rules.build_artifact();
    if let Err(code) = write_file(out, &bytes) {
        return code;
    }
    // Read it back exactly as every consumer will.
    let loaded = match Ruleset::open(out, None) {
        Ok(r) => r,
        Err(e) => {
            print_open_error(&e, format);
            return FAILED;
        }
    };
    let info = loaded.artifact().cloned();
    let hash = info.as_ref().map(|i| i.hash.clone()).unwrap_or_default();
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::json!({
                "artifact": out.display().to_string(),
                "id": rules.id(), "version": rules.version(),
                "hash": hash, "source_hash": rules.hash(),
                "profile": rules.profile(), "params": rules.params_json(),
                "bytes": bytes.len(),
            })
        ),
        Format::Text => {
            eprintln!(
                "built {} {} → {} ({} bytes)\n  artifact hash {}\n  source hash   {}{}",
                rules.id(),
                rules.version(),
                out.display(),
                bytes.len(),
                hash,
                rules.hash(),
                rules
                    .profile()
                    .map(|p| format!("\n  profile       {p}"))
                    .unwrap_or_default()
            );
        }
    }
    OK
}

pub fn keygen(out: &Path) -> u8 {
    let mut seed = [0u8; 32];
    if let Err(e) = getrandom::fill(&mut seed) {
        eprintln!("error: no randomness available for a key: {e}");
        return USAGE;
    }
    let (secret, public) = waymark::artifact::key_pair_hex(seed);
    let secret_path = out.with_extension("key");
    let public_path = out.with_extension("pub");
    if secret_path.exists() {
        eprintln!(
            "error: `{}` exists; refusing to overwrite a signing key",
            secret_path.display()
        );
        return USAGE;
    }
    if let Err(code) = write_file(&secret_path, format!("{secret}\n").as_bytes()) {
        return code;
    }
    restrict(&secret_path);
    if let Err(code) = write_file(&public_path, format!("{public}\n").as_bytes()) {
        return code;
    }
    eprintln!(
        "wrote signing key {} (keep it secret) and public key {} (give it to agencies)",
        secret_path.display(),
        public_path.display()
    );
    OK
}

#[cfg(unix)]
fn restrict(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn restrict(_: &Path) {}

pub fn sign(artifact: &Path, key: &Path, out: Option<&Path>) -> u8 {
    let text = match std::fs::read_to_string(key) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read key `{}`: {e}", key.display());
            return USAGE;
        }
    };
    let key = match waymark::artifact::signing_key_from_hex(&text) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let bytes = match std::fs::read(artifact) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", artifact.display());
            return USAGE;
        }
    };
    let signed = match waymark::artifact::sign(&bytes, &key) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}: {e}", artifact.display());
            return FAILED;
        }
    };
    let target = out.unwrap_or(artifact);
    if let Err(code) = write_file(target, &signed) {
        return code;
    }
    eprintln!(
        "signed {} with key {}",
        target.display(),
        waymark::artifact::key_pair_hex(key.to_bytes()).1
    );
    OK
}

pub fn inspect(artifact: &Path, verify_key: Option<&Path>, format: Format) -> u8 {
    let key = match verify_key.map(read_key).transpose() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let bytes = match std::fs::read(artifact) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", artifact.display());
            return USAGE;
        }
    };
    let (body, info) = match waymark::artifact::read_body(&bytes, key.as_ref()) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {}: {e}", artifact.display());
            return FAILED;
        }
    };
    // Also load it fully, so `inspect` says whether it is usable here.
    let usable = waymark::artifact::load(&bytes, key.as_ref());
    let summary = serde_json::json!({
        "id": body.id, "version": body.version, "title": body.title,
        "effective_from": body.effective_from, "effective_until": body.effective_until,
        "hash": info.hash, "source_hash": body.source_hash, "signed_by": info.signed_by,
        "signature_verified": key.is_some(),
        "compiler": body.compiler, "format": body.format, "profile": body.profile,
        "params": body.params,
        "files": body.sources.iter().map(|s| s.path.clone()).collect::<Vec<_>>(),
        "usable": usable.as_ref().err().map_or(serde_json::Value::Bool(true), |e| serde_json::Value::String(e.to_string())),
    });
    match format {
        Format::Json => outln!("{summary}"),
        Format::Text => {
            outln!(
                "{} {}  {}",
                body.id,
                body.version,
                body.title.unwrap_or_default()
            );
            outln!(
                "  in force     from {} until {}",
                body.effective_from.as_deref().unwrap_or("(no date)"),
                body.effective_until.as_deref().unwrap_or("(open-ended)")
            );
            outln!("  hash         {}", info.hash);
            outln!("  source hash  {}", body.source_hash);
            outln!(
                "  signed       {}",
                match (&info.signed_by, &key) {
                    (Some(k), Some(_)) => format!("by {k} (verified)"),
                    (Some(k), None) => format!("by {k} (not verified: give --verify-key)"),
                    (None, _) => "no".to_string(),
                }
            );
            outln!("  built by     {} (format {})", body.compiler, body.format);
            if let Some(p) = &body.profile {
                outln!("  profile      {p}");
            }
            outln!(
                "  files        {}",
                body.sources
                    .iter()
                    .map(|s| s.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            match &usable {
                Ok(_) => outln!("  usable here  yes"),
                Err(e) => outln!("  usable here  no: {e}"),
            }
        }
    }
    if usable.is_ok() { OK } else { FAILED }
}

pub fn check_registry(dir: &Path, verify_key: Option<&Path>, format: Format) -> u8 {
    let key = match verify_key.map(read_key).transpose() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let (registry, problems) = match Registry::open(dir, key.as_ref()) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let periods = registry.check_periods();
    let errors = problems.len() + periods.iter().filter(|p| p.severity == "error").count();
    match format {
        Format::Json => {
            let versions: Vec<serde_json::Value> = registry
                .entries()
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "id": e.rules.id(), "version": e.rules.version(),
                        "from": e.from.map(|d| d.to_string()), "until": e.until.map(|d| d.to_string()),
                        "path": e.path.display().to_string(), "hash": e.rules.hash(),
                    })
                })
                .collect();
            outln!(
                "{}",
                serde_json::json!({
                    "versions": versions,
                    "not_loaded": problems.iter().map(|p| serde_json::json!({"path": p.path.display().to_string(), "error": p.error.to_string()})).collect::<Vec<_>>(),
                    "periods": periods,
                })
            );
        }
        Format::Text => {
            for id in registry.ids() {
                outln!("{id}");
                for e in registry.versions(&id) {
                    outln!(
                        "  {:<10} from {:<12} until {:<12} {}",
                        e.rules.version(),
                        e.from.map_or("-".into(), |d| d.to_string()),
                        e.until.map_or("-".into(), |d| d.to_string()),
                        e.path.display()
                    );
                }
            }
            for p in &problems {
                eprintln!("error: {} was not loaded: {}", p.path.display(), p.error);
            }
            for p in &periods {
                eprintln!("{}: {}: {}", p.severity, p.id, p.message);
            }
            eprintln!(
                "registry {}: {} versions of {} rulesets, {} problem{}",
                dir.display(),
                registry.entries().len(),
                registry.ids().len(),
                problems.len() + periods.len(),
                if problems.len() + periods.len() == 1 {
                    ""
                } else {
                    "s"
                }
            );
        }
    }
    if errors > 0 { FAILED } else { OK }
}

pub fn replay(
    record_path: &Path,
    registry: Option<&Path>,
    ruleset: Option<&Path>,
    verify_key: Option<&Path>,
    format: Format,
) -> u8 {
    let text = match std::fs::read_to_string(record_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", record_path.display());
            return USAGE;
        }
    };
    let record: DecisionRecord = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: `{}` is not a decision record: {e}",
                record_path.display()
            );
            return FAILED;
        }
    };
    let key = match verify_key.map(read_key).transpose() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let rules = match (ruleset, registry) {
        (Some(path), _) => match Ruleset::open(path, key.as_ref()) {
            Ok(r) => r,
            Err(e) => {
                print_open_error(&e, format);
                return FAILED;
            }
        },
        (None, Some(dir)) => {
            let (reg, _) = match Registry::open(dir, key.as_ref()) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("error: {e}");
                    return USAGE;
                }
            };
            let r = &record.ruleset;
            match reg
                .find(&r.id, &r.version, Some(&r.hash))
                .or_else(|| reg.find(&r.id, &r.version, None))
            {
                Some(e) => e.rules.clone(),
                None => {
                    eprintln!(
                        "error: the registry has no version {} of `{}` to replay with",
                        r.version, r.id
                    );
                    return FAILED;
                }
            }
        }
        (None, None) => {
            eprintln!("error: give `--registry DIR` or `--ruleset FILE` to replay with");
            return USAGE;
        }
    };
    let replay = match rules.replay(&record) {
        Ok(r) => r,
        Err(e) => {
            for f in &e.0 {
                eprintln!("error: the record's facts or parameters: {}", f.message);
            }
            return FAILED;
        }
    };
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&replay).unwrap_or_default()
        ),
        Format::Text => {
            if replay.identical {
                outln!(
                    "identical: {} {} gives the recorded decision{}",
                    replay.replayed_with.id,
                    replay.replayed_with.version,
                    if record.redacted {
                        " from the redacted facts"
                    } else {
                        ""
                    }
                );
            } else {
                outln!(
                    "DIFFERENT: replaying with {} {} ({}) does not give the recorded decision",
                    replay.replayed_with.id,
                    replay.replayed_with.version,
                    replay.replayed_with.hash
                );
                for d in &replay.differences {
                    outln!("  {}: recorded {}, now {}", d.field, d.recorded, d.replayed);
                }
            }
        }
    }
    if replay.identical { OK } else { FAILED }
}

/// A progress bar on standard error when it is a terminal (hidden otherwise), counting
/// `bytes` or cases.
pub(crate) fn progress_bar(total: Option<u64>, what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(total.unwrap_or(0));
    let template = match what {
        "bytes" => "{bar:40} {bytes}/{total_bytes} {elapsed} {msg}",
        _ => "{bar:40} {pos}/{len} {elapsed} {msg}",
    };
    b.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

/// Output formats of `impact`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Table {
    /// A table for a terminal.
    #[default]
    Text,
    /// A Markdown table.
    Markdown,
    /// Comma-separated values.
    Csv,
    /// JSON.
    Json,
}

pub fn impact(
    old: &Path,
    new: &Path,
    select: &Select,
    cases: &str,
    groups: &[String],
    format: Table,
) -> u8 {
    let f = if format == Table::Json {
        Format::Json
    } else {
        Format::Text
    };
    let (old_rules, new_rules) = match (select.open(old, f), select.open(new, f)) {
        (Ok(a), Ok(b)) => (a.rules, b.rules),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let (reader, total): (Box<dyn std::io::BufRead>, Option<u64>) = if cases == "-" {
        (Box::new(std::io::BufReader::new(std::io::stdin())), None)
    } else {
        match std::fs::File::open(cases) {
            Ok(file) => {
                let len = file.metadata().ok().map(|m| m.len());
                (
                    Box::new(std::io::BufReader::with_capacity(1 << 16, file)),
                    len,
                )
            }
            Err(e) => {
                eprintln!("error: cannot read cases from `{cases}`: {e}");
                return USAGE;
            }
        }
    };
    let bar = progress_bar(total, "bytes");
    let report = match impact::run(&old_rules, &new_rules, reader, groups, |b| {
        bar.set_position(b)
    }) {
        Ok(r) => r,
        Err(e) => {
            bar.finish_and_clear();
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    bar.finish_and_clear();
    let text = match format {
        Table::Text => impact::render_table(&report, false),
        Table::Markdown => impact::render_table(&report, true),
        Table::Csv => impact::render_csv(&report),
        Table::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
    };
    out!("{text}");
    if report.cases == 0 {
        eprintln!("error: no case could be evaluated");
        return FAILED;
    }
    OK
}

pub fn synth(
    ruleset: &Path,
    select: &Select,
    n: u64,
    seed: u64,
    groups: Option<&Path>,
    out: Option<&PathBuf>,
) -> u8 {
    let rules = match select.open(ruleset, Format::Text) {
        Ok(c) => c.rules,
        Err(code) => return code,
    };
    let text = match groups {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", p.display());
                return USAGE;
            }
        },
        None => synth::DEFAULT_GROUPS.to_string(),
    };
    let groups = match synth::Groups::parse(&text) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
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
    let bar = if out.is_some() {
        progress_bar(Some(n), "cases")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let result = synth::write(
        &rules,
        &groups,
        n,
        seed,
        BufWriter::with_capacity(1 << 16, writer),
        |i| bar.set_position(i),
    );
    bar.finish_and_clear();
    match result {
        Ok(()) => {
            if let Some(p) = out {
                eprintln!(
                    "wrote {n} synthetic cases for {} {} to {} (seed {seed}; fictional, not real data)",
                    rules.id(),
                    rules.version(),
                    p.display()
                );
            }
            OK
        }
        Err(synth::SynthError::Io(e)) if out.is_none() => crate::exit_on_write_error(&e),
        Err(e) => {
            eprintln!("error: {e}");
            USAGE
        }
    }
}

/// `waymark diff`: structural and behavioural differences between two versions.
pub fn diff(
    old: &Path,
    new: &Path,
    select: &Select,
    cases: usize,
    seed: Option<u64>,
    format: Format,
) -> u8 {
    use waymark_analysis::{DiffOptions, Verdict};
    let (a, b) = match (select.open(old, format), select.open(new, format)) {
        (Ok(a), Ok(b)) => (a.rules, b.rules),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let mut opts = DiffOptions {
        random_cases: cases,
        ..DiffOptions::default()
    };
    if let Some(s) = seed {
        opts.seed = s;
    }
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_message("comparing every case symbolically…");
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let comparison = waymark_analysis::compare(&a, &b, &opts);
    bar.finish_and_clear();
    let all_equivalent = comparison.equivalent;
    if format == Format::Json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&comparison.to_json(&a, &b)).unwrap_or_default()
        );
        return if all_equivalent { OK } else { FAILED };
    }
    let (structural, behaviour) = (&comparison.structural, &comparison.behavioural);
    outln!("{} {} → {} {}\n", a.id(), a.version(), b.id(), b.version());
    outln!("What changed in the text");
    let groups = [
        ("header", &structural.meta),
        ("enum", &structural.enums),
        ("input", &structural.inputs),
        ("parameter", &structural.params),
        ("value", &structural.lets),
        ("output", &structural.outputs),
        ("rule", &structural.rules),
        ("table", &structural.tables),
    ];
    let mut any = false;
    for (what, changes) in groups {
        for c in changes.iter() {
            any = true;
            let kind = serde_json::to_value(c.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let aspect = if c.aspect.is_empty() {
                String::new()
            } else {
                format!(" {}", c.aspect)
            };
            match (&c.before, &c.after) {
                (Some(x), Some(y)) => outln!("  {kind:<8} {what} {}{aspect}: {x} → {y}", c.name),
                (None, Some(y)) => outln!("  {kind:<8} {what} {}{aspect}: {y}", c.name),
                (Some(x), None) => outln!("  {kind:<8} {what} {}{aspect}: was {x}", c.name),
                (None, None) => outln!("  {kind:<8} {what} {}{aspect}", c.name),
            }
        }
    }
    let (pa, pb) = (a.params_json(), b.params_json());
    for (name, va) in &pa {
        if let Some(vb) = pb.get(name).filter(|vb| *vb != va) {
            any = true;
            outln!("  in force parameter {name}: {va} → {vb}");
        }
    }
    if !any {
        outln!("  nothing");
    }
    outln!("\nWhat changes for cases");
    for name in &behaviour.only_in_old {
        outln!("  {name}: only in the old version");
    }
    for name in &behaviour.only_in_new {
        outln!("  {name}: only in the new version");
    }
    for o in &behaviour.outputs {
        match &o.verdict {
            Verdict::Equivalent { proof, .. } => {
                outln!("  {}: the same for every case (proved: {proof})", o.output)
            }
            Verdict::Differs {
                patterns_text,
                examples,
                summary,
                ..
            } => {
                outln!(
                    "  {}: DIFFERENT in {patterns_text} answer patterns",
                    o.output
                );
                for s in summary {
                    outln!("      {s}");
                }
                for e in examples {
                    outln!(
                        "      for example {} gives {} before and {} after",
                        serde_json::to_string(&e.facts).unwrap_or_default(),
                        e.old,
                        e.new
                    );
                }
            }
            Verdict::Inconclusive { reason } => {
                outln!("  {}: not proved either way: {reason}", o.output);
            }
        }
        if let Some(n) = o.random_differed {
            outln!("      random search: {n} differing cases found");
        }
    }
    if !behaviour.atoms.is_empty() {
        outln!(
            "\nConditions on dates and lists were compared as wholes ({}); a difference is only reported once a real case shows it.",
            behaviour.atoms.len()
        );
    }
    if let Some(r) = &behaviour.random_search {
        outln!(
            "Random search (seed {}): {} cases tried, {} refused by one version.",
            r.seed,
            r.tried,
            r.refused
        );
    }
    outln!(
        "\n{}",
        if all_equivalent {
            "Equivalent: no case is decided differently (proved)."
        } else {
            "Not equivalent, or not proved: see above."
        }
    );
    if all_equivalent { OK } else { FAILED }
}
