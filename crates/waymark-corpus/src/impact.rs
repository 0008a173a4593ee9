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
use waymark::ir::{Program, Ty};
use waymark::{CaseFacts, Ruleset, RulesetRef};

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
    /// The measures: (label, key) where key is compared with the value key.
    measures: Vec<String>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Enum,
    Set,
    Other,
}

/// The value of one output in one case, as the measures see it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Unknown,
    Bool(bool),
    /// Enum value name.
    Name(String),
    /// Set value names.
    Names(Vec<String>),
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
    let mut overall = Cell::new(&plans);
    let mut by_group: Vec<(Vec<String>, Vec<Cell>)> = group_fields
        .iter()
        .map(|_| (Vec::new(), Vec::new()))
        .collect();
    let (mut so, mut sn) = (old.scratch(), new.scratch());
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
        if line_no % 4096 == 0 {
            progress(bytes);
        }
        if line.trim().is_empty() {
            continue;
        }
        let parsed = split_line(&line, group_fields, &mut group_values)
            .and_then(|facts| facts_for_both(old, new, &old_inputs, &new_inputs, facts));
        let (fo, fnew) = match parsed {
            Ok(f) => f,
            Err(message) => {
                report.failed += 1;
                if report.errors.len() < MAX_ERRORS_KEPT {
                    report.errors.push(LineError {
                        line: line_no,
                        message,
                    });
                }
                continue;
            }
        };
        old.run(&fo, &mut so);
        new.run(&fnew, &mut sn);
        for (k, p) in plans.iter().enumerate() {
            old_keys[k] = key(old, &fo, &so, p.old_index, p.kind);
            new_keys[k] = key(new, &fnew, &sn, p.new_index, p.kind);
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
        let (kind, measures) = match (to, tn) {
            (Ty::Bool, Ty::Bool) => (Kind::Bool, vec![format!("{name} = true")]),
            (Ty::Enum(a), Ty::Enum(b)) => {
                let vals = union_variants(po, *a, pn, *b);
                (
                    Kind::Enum,
                    vals.iter().map(|v| format!("{name} = {v}")).collect(),
                )
            }
            (Ty::Set(a), Ty::Set(b)) => {
                let vals = union_variants(po, *a, pn, *b);
                (
                    Kind::Set,
                    vals.iter().map(|v| format!("{v} in {name}")).collect(),
                )
            }
            _ => (Kind::Other, Vec::new()),
        };
        plans.push(OutputPlan {
            name: name.to_string(),
            old_index: oi,
            new_index: ni,
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

fn key(r: &Ruleset, facts: &CaseFacts, scratch: &waymark::Scratch, i: usize, kind: Kind) -> Key {
    let v = r.output_value(scratch, i);
    let p = r.program();
    let Some(info) = p.outputs.get(i) else {
        return Key::Unknown;
    };
    match (kind, v) {
        (_, waymark::ir::Val::Unknown) => Key::Unknown,
        (Kind::Bool, waymark::ir::Val::Bool(b)) => Key::Bool(b),
        (Kind::Enum, waymark::ir::Val::Enum(e)) => Key::Name(variant(p, &info.ty, e)),
        (Kind::Set, waymark::ir::Val::Set(bits)) => {
            let mut names: Vec<String> = (0..64u32)
                .filter(|b| bits & (1u64 << b) != 0)
                .map(|b| variant(p, &info.ty, b))
                .collect();
            names.sort_unstable();
            Key::Names(names)
        }
        _ => Key::Other(waymark::value_json(r.loaded(), facts, &info.ty, v).to_string()),
    }
}

fn variant(p: &Program, ty: &Ty, i: u32) -> String {
    let e = match ty {
        Ty::Enum(e) | Ty::Set(e) => *e,
        _ => return i.to_string(),
    };
    p.enums
        .get(e as usize)
        .and_then(|e| e.variants.get(i as usize))
        .cloned()
        .unwrap_or_else(|| i.to_string())
}

fn has(k: &Key, measure: &str, kind: Kind, output: &str) -> bool {
    match (kind, k) {
        (Kind::Bool, Key::Bool(b)) => *b,
        (Kind::Enum, Key::Name(n)) => {
            measure
                .strip_prefix(output)
                .and_then(|m| m.strip_prefix(" = "))
                == Some(n)
        }
        (Kind::Set, Key::Names(names)) => measure
            .strip_suffix(output)
            .and_then(|m| m.strip_suffix(" in "))
            .is_some_and(|v| names.iter().any(|n| n == v)),
        _ => false,
    }
}

fn add(cell: &mut Cell, plans: &[OutputPlan], old: &[Key], new: &[Key]) {
    cell.cases += 1;
    for (k, p) in plans.iter().enumerate() {
        let (Some(a), Some(b)) = (old.get(k), new.get(k)) else {
            continue;
        };
        if a != b {
            if let Some(c) = cell.changed.get_mut(k) {
                *c += 1;
            }
        }
        let Some(counts) = cell.measures.get_mut(k) else {
            continue;
        };
        for (m, c) in p.measures.iter().zip(counts.iter_mut()) {
            let x = has(a, m, p.kind, &p.name);
            let y = has(b, m, p.kind, &p.name);
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

/// Splits a case line into its facts and its group values.
fn split_line(
    line: &str,
    fields: &[String],
    groups: &mut Vec<String>,
) -> Result<Map<String, Json>, String> {
    let value: Json = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let Json::Object(mut obj) = value else {
        return Err("a case must be a JSON object".into());
    };
    groups.clear();
    let wrapped = matches!(obj.get("facts"), Some(Json::Object(_)));
    let (facts, group_src) = if wrapped {
        let facts = match obj.remove("facts") {
            Some(Json::Object(f)) => f,
            _ => Map::new(),
        };
        let groups_obj = match obj.remove("groups") {
            Some(Json::Object(g)) => g,
            _ => obj,
        };
        (facts, groups_obj)
    } else {
        obj.remove("id");
        let mut g = Map::new();
        for f in fields {
            if let Some(v) = obj.remove(f) {
                g.insert(f.clone(), v);
            }
        }
        (obj, g)
    };
    for f in fields {
        groups.push(match group_src.get(f) {
            None | Some(Json::Null) => NOT_RECORDED.to_string(),
            Some(Json::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        });
    }
    Ok(facts)
}

fn facts_for_both(
    old: &Ruleset,
    new: &Ruleset,
    old_inputs: &HashMap<&str, ()>,
    new_inputs: &HashMap<&str, ()>,
    facts: Map<String, Json>,
) -> Result<(CaseFacts, CaseFacts), String> {
    let unknown: Vec<&String> = facts
        .keys()
        .filter(|k| !old_inputs.contains_key(k.as_str()) && !new_inputs.contains_key(k.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "{} not an input of either version",
            unknown
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
                + if unknown.len() == 1 { " is" } else { " are" }
        ));
    }
    let only = |inputs: &HashMap<&str, ()>| -> Json {
        if facts.keys().all(|k| inputs.contains_key(k.as_str())) {
            Json::Object(facts.clone())
        } else {
            Json::Object(
                facts
                    .iter()
                    .filter(|(k, _)| inputs.contains_key(k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        }
    };
    let fo = old
        .facts_from_json(&only(old_inputs))
        .map_err(|e| format!("old version: {e}"))?;
    let fnew = new
        .facts_from_json(&only(new_inputs))
        .map_err(|e| format!("new version: {e}"))?;
    Ok((fo, fnew))
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
