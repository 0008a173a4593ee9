//! The impact of a rule change over a corpus of cases, overall and by group.
//!
//! Every case is evaluated under the old and the new rules. For each public output present
//! in both, the report counts how many decisions change, and for each *measure* of that
//! output (a yes/no output being true, an enum output taking a value, a set output holding
//! a value) the rate before and after, the difference, and a 95% confidence interval of the
//! difference. The same figures are given for every value of every group field (ethnicity,
//! disability, immigration status, age band…).
//!
//! The two rates come from the same cases, so the interval is the paired (Wald) interval
//! for a difference of proportions: with `n` cases, `up` cases that gain the measure and
//! `down` that lose it, the difference is `(up - down) / n` and its standard error is
//! `sqrt(((up + down) / n - d²) / n)`. It says how precisely the corpus measures the change;
//! on a synthetic corpus it describes the synthetic cases only.
//!
//! A case line is a JSON object, either `{"facts": {...}, "groups": {...}}` (as
//! `waymark synth` writes; an `id` is allowed) or flat facts in which the group fields are
//! top-level fields, removed before evaluation. A fact known to only one of the two
//! versions is given only to that version; a field known to neither is an error for that
//! line. Lines that cannot be evaluated are counted and the first few reported; they never
//! stop the run.

use std::collections::HashMap;
use std::io::BufRead;

use serde::Serialize;
use serde_json::{Map, Value as Json};
use waymark::ir::{Program, Ty, Val};
use waymark::{CaseStream, Ruleset, RulesetRef};

/// Most distinct values kept for one group field; further values are counted as `(other)`.
pub const MAX_GROUP_VALUES: usize = 200;
/// How many line errors are kept for the report.
pub const MAX_ERRORS_KEPT: usize = 20;

/// The label used for a case with no value for a group field.
pub const NOT_RECORDED: &str = "(not recorded)";

/// Counts for one measure in one group cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
struct Counts {
    before: u64,
    after: u64,
    up: u64,
    down: u64,
}

/// One row of the report: a measure in a group cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The group field (`all` for every case).
    pub group: String,
    /// The group value (`all` for every case).
    pub value: String,
    /// The output.
    pub output: String,
    /// The measure, such as `refer_marac = true`, or `changed` for any change of the output.
    pub measure: String,
    /// Cases in the cell.
    pub cases: u64,
    /// Cases with the measure under the old rules (for `changed`: 0).
    pub before: u64,
    /// Cases with the measure under the new rules (for `changed`: the cases that changed).
    pub after: u64,
    /// `before / cases`.
    pub before_rate: f64,
    /// `after / cases`.
    pub after_rate: f64,
    /// `after_rate - before_rate`.
    pub difference: f64,
    /// 95% confidence interval of the difference.
    pub ci95: (f64, f64),
    /// Cases that gained the measure.
    pub gained: u64,
    /// Cases that lost it.
    pub lost: u64,
}

/// A line that could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// Line number (from 1).
    pub line: u64,
    /// What was wrong.
    pub message: String,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    /// The old rules.
    pub old: RulesetRef,
    /// The new rules.
    pub new: RulesetRef,
    /// Cases evaluated under both.
    pub cases: u64,
    /// Lines that could not be evaluated.
    pub failed: u64,
    /// The first few of them.
    pub errors: Vec<LineError>,
    /// Cases in which at least one output changed.
    pub changed_cases: u64,
    /// Outputs only one of the versions has (not compared).
    pub not_compared: Vec<String>,
    /// The group fields.
    pub groups: Vec<String>,
    /// Every row: overall first, then by group field and value.
    pub rows: Vec<Row>,
}

/// Why the impact run could not be done at all.
#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    /// Reading the corpus failed.
    #[error("cannot read the cases: {0}")]
    Io(#[from] std::io::Error),
}

/// How an output's values are compared and measured.
#[derive(Debug, Clone)]
struct OutputPlan {
    name: String,
    old_index: usize,
    new_index: usize,
    /// Enum and set outputs: each version's value index → measure index.
    old_map: Vec<u32>,
    new_map: Vec<u32>,
    /// The measures: (label, key) where key is compared with the value key.
    measures: Vec<String>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Enum,
    Set,
    Int,
    Other,
}

/// The value of one output in one case, as the measures see it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Unknown,
    /// A yes/no output (0 or 1), an enum value's index among the measures, or a set's
    /// values as bits of the measures' indices.
    Code(u64),
    /// A whole number.
    Int(i64),
    /// Anything else, as JSON text.
    Other(String),
}

struct Cell {
    cases: u64,
    /// Per output: cases changed; per measure: counts.
    changed: Vec<u64>,
    measures: Vec<Vec<Counts>>,
}

impl Cell {
    fn new(plans: &[OutputPlan]) -> Cell {
        Cell {
            cases: 0,
            changed: vec![0; plans.len()],
            measures: plans
                .iter()
                .map(|p| vec![Counts::default(); p.measures.len()])
                .collect(),
        }
    }
}

/// Runs the comparison over a stream of case lines. `progress` is called now and then
/// with the number of bytes read so far.
pub fn run(
    old: &Ruleset,
    new: &Ruleset,
    cases: impl BufRead,
    group_fields: &[String],
    mut progress: impl FnMut(u64),
) -> Result<Impact, ImpactError> {
    let (plans, not_compared) = plan(old, new);
    let old_inputs: HashMap<&str, ()> = old
        .program()
        .inputs
        .iter()
        .map(|i| (i.name.as_str(), ()))
        .collect();
    let new_inputs: HashMap<&str, ()> = new
        .program()
        .inputs
        .iter()
        .map(|i| (i.name.as_str(), ()))
        .collect();
    // When both versions have the same inputs, each line's facts text goes straight to both.
    let same_inputs = old_inputs.len() == new_inputs.len()
        && old_inputs.keys().all(|k| new_inputs.contains_key(k));
    let mut so = CaseStream::new(old);
    let mut sn = CaseStream::new(new);
    let mut overall = Cell::new(&plans);
    let mut by_group: Vec<(Vec<String>, Vec<Cell>)> = group_fields
        .iter()
        .map(|_| (Vec::new(), Vec::new()))
        .collect();
    let mut report = Impact {
        old: reference(old),
        new: reference(new),
        cases: 0,
        failed: 0,
        errors: Vec::new(),
        changed_cases: 0,
        not_compared,
        groups: group_fields.to_vec(),
        rows: Vec::new(),
    };
    let mut bytes = 0u64;
    let mut line_no = 0u64;
    let mut old_keys = vec![Key::Unknown; plans.len()];
    let mut new_keys = vec![Key::Unknown; plans.len()];
    let mut group_values: Vec<String> = Vec::with_capacity(group_fields.len());
    for line in cases.lines() {
        let line = line?;
        line_no += 1;
        bytes += line.len() as u64 + 1;
        if line_no.is_multiple_of(4096) {
            progress(bytes);
        }
        if line.trim().is_empty() {
            continue;
        }
        let read =
            read_line(&line, group_fields, &mut group_values).and_then(|facts| match facts {
                LineFacts::Text(text) if same_inputs => {
                    so.read_facts(text).map_err(|e| format!("{e}"))?;
                    sn.read_facts(text).map_err(|e| format!("{e}"))
                }
                other => {
                    let map = match other {
                        LineFacts::Text(text) => match serde_json::from_str::<Json>(text) {
                            Ok(Json::Object(m)) => m,
                            _ => return Err("`facts` must be a JSON object".into()),
                        },
                        LineFacts::Map(m) => m,
                    };
                    let (a, b) = split_facts(&old_inputs, &new_inputs, map)?;
                    so.read_facts(&a).map_err(|e| format!("old version: {e}"))?;
                    sn.read_facts(&b).map_err(|e| format!("new version: {e}"))
                }
            });
        if let Err(message) = read {
            report.failed += 1;
            if report.errors.len() < MAX_ERRORS_KEPT {
                report.errors.push(LineError {
                    line: line_no,
                    message,
                });
            }
            continue;
        }
        so.run();
        sn.run();
        for (k, p) in plans.iter().enumerate() {
            old_keys[k] = key(&so, old, p.old_index, p.kind, &p.old_map);
            new_keys[k] = key(&sn, new, p.new_index, p.kind, &p.new_map);
        }
        report.cases += 1;
        if old_keys != new_keys {
            report.changed_cases += 1;
        }
        add(&mut overall, &plans, &old_keys, &new_keys);
        for (g, value) in group_values.iter().enumerate() {
            let Some((values, cells)) = by_group.get_mut(g) else {
                continue;
            };
            let idx = match values.iter().position(|v| v == value) {
                Some(i) => i,
                None if values.len() < MAX_GROUP_VALUES => {
                    values.push(value.clone());
                    cells.push(Cell::new(&plans));
                    values.len() - 1
                }
                None => match values.iter().position(|v| v == "(other)") {
                    Some(i) => i,
                    None => {
                        values.push("(other)".into());
                        cells.push(Cell::new(&plans));
                        values.len() - 1
                    }
                },
            };
            if let Some(cell) = cells.get_mut(idx) {
                add(cell, &plans, &old_keys, &new_keys);
            }
        }
    }
    progress(bytes);
    rows(&mut report.rows, "all", "all", &overall, &plans);
    for (field, (values, cells)) in group_fields.iter().zip(by_group) {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|a, b| values[*a].cmp(&values[*b]));
        for i in order {
            if let (Some(v), Some(c)) = (values.get(i), cells.get(i)) {
                rows(&mut report.rows, field, v, c, &plans);
            }
        }
    }
    Ok(report)
}

fn reference(r: &Ruleset) -> RulesetRef {
    RulesetRef {
        id: r.id().to_string(),
        version: r.version().to_string(),
        hash: r.hash().to_string(),
    }
}

/// Which outputs are compared and what is measured for each.
fn plan(old: &Ruleset, new: &Ruleset) -> (Vec<OutputPlan>, Vec<String>) {
    let (po, pn) = (old.program(), new.program());
    let mut plans = Vec::new();
    let mut not_compared = Vec::new();
    let mut names: Vec<&str> = po
        .outputs
        .iter()
        .chain(&pn.outputs)
        .filter(|o| o.public)
        .map(|o| o.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let oi = po.outputs.iter().position(|o| o.public && o.name == name);
        let ni = pn.outputs.iter().position(|o| o.public && o.name == name);
        let (Some(oi), Some(ni)) = (oi, ni) else {
            not_compared.push(name.to_string());
            continue;
        };
        let (to, tn) = (&po.outputs[oi].ty, &pn.outputs[ni].ty);
        let mut old_map = Vec::new();
        let mut new_map = Vec::new();
        let (kind, measures) = match (to, tn) {
            (Ty::Bool, Ty::Bool) => (Kind::Bool, vec![format!("{name} = true")]),
            (Ty::Enum(a), Ty::Enum(b)) | (Ty::Set(a), Ty::Set(b)) => {
                let vals = union_variants(po, *a, pn, *b);
                old_map = index_map(po, *a, &vals);
                new_map = index_map(pn, *b, &vals);
                if matches!(to, Ty::Enum(_)) {
                    (
                        Kind::Enum,
                        vals.iter().map(|v| format!("{name} = {v}")).collect(),
                    )
                } else {
                    (
                        Kind::Set,
                        vals.iter().map(|v| format!("{v} in {name}")).collect(),
                    )
                }
            }
            (Ty::Int, Ty::Int) => (Kind::Int, Vec::new()),
            _ => (Kind::Other, Vec::new()),
        };
        plans.push(OutputPlan {
            name: name.to_string(),
            old_index: oi,
            new_index: ni,
            old_map,
            new_map,
            measures,
            kind,
        });
    }
    (plans, not_compared)
}

fn union_variants(po: &Program, a: u32, pn: &Program, b: u32) -> Vec<String> {
    let mut vals: Vec<String> = po
        .enums
        .get(a as usize)
        .map(|e| e.variants.clone())
        .unwrap_or_default();
    for v in pn
        .enums
        .get(b as usize)
        .map(|e| e.variants.as_slice())
        .unwrap_or_default()
    {
        if !vals.contains(v) {
            vals.push(v.clone());
        }
    }
    vals
}

fn index_map(p: &Program, e: u32, union: &[String]) -> Vec<u32> {
    p.enums
        .get(e as usize)
        .map(|e| {
            e.variants
                .iter()
                .map(|v| union.iter().position(|u| u == v).unwrap_or(0) as u32)
                .collect()
        })
        .unwrap_or_default()
}

fn key(stream: &CaseStream<'_>, r: &Ruleset, i: usize, kind: Kind, map: &[u32]) -> Key {
    let v = stream.output(i);
    match (kind, v) {
        (_, Val::Unknown) => Key::Unknown,
        (Kind::Bool, Val::Bool(b)) => Key::Code(u64::from(b)),
        (Kind::Enum, Val::Enum(e)) => {
            Key::Code(u64::from(map.get(e as usize).copied().unwrap_or(e)))
        }
        (Kind::Set, Val::Set(bits)) => {
            let mut out = 0u64;
            for (b, m) in map.iter().enumerate() {
                if bits & (1u64 << b) != 0 && *m < 64 {
                    out |= 1u64 << m;
                }
            }
            Key::Code(out)
        }
        (Kind::Int, Val::Int(n)) => Key::Int(n),
        _ => {
            let ty = r
                .program()
                .outputs
                .get(i)
                .map(|o| o.ty.clone())
                .unwrap_or(Ty::Text);
            Key::Other(waymark::value_json(r.loaded(), stream.facts(), &ty, v).to_string())
        }
    }
}

fn has(k: &Key, measure: usize, kind: Kind) -> bool {
    match (kind, k) {
        (Kind::Bool, Key::Code(b)) => *b == 1,
        (Kind::Enum, Key::Code(n)) => *n == measure as u64,
        (Kind::Set, Key::Code(bits)) => measure < 64 && bits & (1u64 << measure) != 0,
        _ => false,
    }
}

fn add(cell: &mut Cell, plans: &[OutputPlan], old: &[Key], new: &[Key]) {
    cell.cases += 1;
    for (k, p) in plans.iter().enumerate() {
        let (Some(a), Some(b)) = (old.get(k), new.get(k)) else {
            continue;
        };
        if a != b
            && let Some(c) = cell.changed.get_mut(k)
        {
            *c += 1;
        }
        let Some(counts) = cell.measures.get_mut(k) else {
            continue;
        };
        for (m, c) in counts.iter_mut().enumerate() {
            let x = has(a, m, p.kind);
            let y = has(b, m, p.kind);
            c.before += u64::from(x);
            c.after += u64::from(y);
            c.up += u64::from(y && !x);
            c.down += u64::from(x && !y);
        }
    }
}

fn rate(x: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { x as f64 / n as f64 }
}

/// The paired 95% interval of the difference in rates (see the module docs).
pub fn paired_ci(n: u64, up: u64, down: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let nf = n as f64;
    let d = (up as f64 - down as f64) / nf;
    let var = ((up + down) as f64 / nf - d * d).max(0.0);
    let se = (var / nf).sqrt();
    (d - 1.96 * se, d + 1.96 * se)
}

fn rows(out: &mut Vec<Row>, group: &str, value: &str, cell: &Cell, plans: &[OutputPlan]) {
    for (k, p) in plans.iter().enumerate() {
        let changed = cell.changed.get(k).copied().unwrap_or(0);
        out.push(Row {
            group: group.into(),
            value: value.into(),
            output: p.name.clone(),
            measure: "changed".into(),
            cases: cell.cases,
            before: 0,
            after: changed,
            before_rate: 0.0,
            after_rate: rate(changed, cell.cases),
            difference: rate(changed, cell.cases),
            ci95: paired_ci(cell.cases, changed, 0),
            gained: changed,
            lost: 0,
        });
        let Some(counts) = cell.measures.get(k) else {
            continue;
        };
        for (m, c) in p.measures.iter().zip(counts) {
            out.push(Row {
                group: group.into(),
                value: value.into(),
                output: p.name.clone(),
                measure: m.clone(),
                cases: cell.cases,
                before: c.before,
                after: c.after,
                before_rate: rate(c.before, cell.cases),
                after_rate: rate(c.after, cell.cases),
                difference: rate(c.after, cell.cases) - rate(c.before, cell.cases),
                ci95: paired_ci(cell.cases, c.up, c.down),
                gained: c.up,
                lost: c.down,
            });
        }
    }
}

/// A line's facts: the raw text of a `facts` object, or a flat line's remaining fields.
enum LineFacts<'a> {
    Text(&'a str),
    Map(Map<String, Json>),
}

#[derive(serde::Deserialize)]
struct Wrapped<'a> {
    #[serde(borrow)]
    facts: &'a serde_json::value::RawValue,
    #[serde(default)]
    groups: Option<Map<String, Json>>,
}

/// Splits a case line into its facts and its group values.
fn read_line<'a>(
    line: &'a str,
    fields: &[String],
    groups: &mut Vec<String>,
) -> Result<LineFacts<'a>, String> {
    groups.clear();
    if let Ok(w) = serde_json::from_str::<Wrapped<'a>>(line) {
        let g = w.groups.unwrap_or_default();
        for f in fields {
            groups.push(group_value(g.get(f)));
        }
        return Ok(LineFacts::Text(w.facts.get()));
    }
    let value: Json = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let Json::Object(mut obj) = value else {
        return Err("a case must be a JSON object".into());
    };
    if obj.contains_key("facts") {
        return Err("`facts` must be a JSON object".into());
    }
    obj.remove("id");
    obj.remove("synthetic");
    for f in fields {
        groups.push(group_value(obj.remove(f).as_ref()));
    }
    Ok(LineFacts::Map(obj))
}

fn group_value(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => NOT_RECORDED.to_string(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Each version's facts (as JSON text) from one line's facts: a fact known to only one
/// version goes only to it; a fact known to neither is an error.
fn split_facts(
    old_inputs: &HashMap<&str, ()>,
    new_inputs: &HashMap<&str, ()>,
    facts: Map<String, Json>,
) -> Result<(String, String), String> {
    let unknown: Vec<String> = facts
        .keys()
        .filter(|k| !old_inputs.contains_key(k.as_str()) && !new_inputs.contains_key(k.as_str()))
        .map(|k| format!("`{k}`"))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "{} {} not an input of either version",
            unknown.join(", "),
            if unknown.len() == 1 { "is" } else { "are" }
        ));
    }
    let only = |inputs: &HashMap<&str, ()>| -> String {
        let m: Map<String, Json> = facts
            .iter()
            .filter(|(k, _)| inputs.contains_key(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Json::Object(m).to_string()
    };
    Ok((only(old_inputs), only(new_inputs)))
}

/// Renders the report as a table for a terminal (`markdown = false`) or as Markdown.
pub fn render_table(report: &Impact, markdown: bool) -> String {
    let mut out = String::new();
    let head = format!(
        "Impact of {} {} → {} {} over {} cases: {} cases change ({:.2}%){}\n",
        report.old.id,
        report.old.version,
        report.new.id,
        report.new.version,
        report.cases,
        report.changed_cases,
        100.0 * rate(report.changed_cases, report.cases),
        if report.failed > 0 {
            format!("; {} lines could not be evaluated", report.failed)
        } else {
            String::new()
        }
    );
    if markdown {
        out.push_str(&format!("**{}**\n", head.trim_end()));
    } else {
        out.push_str(&head);
    }
    if !report.not_compared.is_empty() {
        out.push_str(&format!(
            "Outputs in only one version (not compared): {}\n",
            report.not_compared.join(", ")
        ));
    }
    out.push('\n');
    let header = [
        "group", "value", "measure", "cases", "before", "after", "change", "95% CI", "gained",
        "lost",
    ];
    let mut table: Vec<Vec<String>> = Vec::new();
    for r in &report.rows {
        // For a terminal, leave out measures that never occur and never change.
        if !markdown && r.measure != "changed" && r.before == 0 && r.after == 0 {
            continue;
        }
        let measure = if r.measure == "changed" {
            format!("{} changed", r.output)
        } else {
            r.measure.clone()
        };
        let (before, change) = if r.measure == "changed" {
            ("-".to_string(), format!("{:+.2} pp", 100.0 * r.difference))
        } else {
            (
                format!("{:.2}%", 100.0 * r.before_rate),
                format!("{:+.2} pp", 100.0 * r.difference),
            )
        };
        table.push(vec![
            r.group.clone(),
            r.value.clone(),
            measure,
            r.cases.to_string(),
            before,
            format!("{:.2}%", 100.0 * r.after_rate),
            change,
            format!("{:+.2} to {:+.2}", 100.0 * r.ci95.0, 100.0 * r.ci95.1),
            r.gained.to_string(),
            r.lost.to_string(),
        ]);
    }
    if markdown {
        out.push_str(&format!("| {} |\n", header.join(" | ")));
        out.push_str(&format!(
            "|{}\n",
            header.iter().map(|_| "---|").collect::<String>()
        ));
        for row in &table {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
    } else {
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in &table {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: Vec<String>| -> String {
            cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    if i >= 3 {
                        format!("{c:>w$}")
                    } else {
                        format!("{c:<w$}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        out.push_str(&line(header.iter().map(|s| s.to_string()).collect()));
        out.push('\n');
        for row in table {
            out.push_str(&line(row));
            out.push('\n');
        }
        out.push_str("\nchange: after minus before, in percentage points; 95% CI: paired interval of the change.\n");
    }
    if !report.errors.is_empty() {
        out.push_str("\nLines that could not be evaluated:\n");
        for e in &report.errors {
            out.push_str(&format!("  line {}: {}\n", e.line, e.message));
        }
    }
    out
}

/// Renders the rows as CSV (one header line).
pub fn render_csv(report: &Impact) -> String {
    let mut out = String::from(
        "group,value,output,measure,cases,before,after,before_rate,after_rate,difference,ci95_low,ci95_high,gained,lost\n",
    );
    for r in &report.rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{},{}\n",
            csv(&r.group),
            csv(&r.value),
            csv(&r.output),
            csv(&r.measure),
            r.cases,
            r.before,
            r.after,
            r.before_rate,
            r.after_rate,
            r.difference,
            r.ci95.0,
            r.ci95.1,
            r.gained,
            r.lost
        ));
    }
    out
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::paired_ci;

    #[test]
    fn paired_interval() {
        let (lo, hi) = paired_ci(1000, 50, 10);
        assert!((lo + hi) / 2.0 - 0.04 < 1e-12);
        assert!(lo > 0.0 && hi < 0.08);
        assert_eq!(paired_ci(0, 0, 0), (0.0, 0.0));
        assert_eq!(paired_ci(10, 0, 0), (0.0, 0.0));
    }
}
