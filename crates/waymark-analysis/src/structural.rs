//! The structural diff: what was added, removed or changed between two checked
//! rulesets, compared by rendered text (never by source positions).

use std::collections::BTreeMap;

use serde::Serialize;
use waymark_check::hir::{self, ActionDef, ActionKind, Combine, OutputValue};

use crate::render;

/// Whether something was added, removed or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Only in the new ruleset.
    Added,
    /// Only in the old ruleset.
    Removed,
    /// In both, but different.
    Changed,
}

/// One difference, with readable text before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// The item's name (for table rows, the table and the row number).
    pub name: String,
    /// Which aspect changed (`condition`, `default`, …); empty for whole items.
    pub aspect: String,
    /// The old text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// The new text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// Every structural difference between two rulesets, by kind of declaration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StructuralDiff {
    /// Header: id, version, title, effective dates.
    pub meta: Vec<Change>,
    /// Enums.
    pub enums: Vec<Change>,
    /// Inputs.
    pub inputs: Vec<Change>,
    /// Parameters (type, range, default, binding).
    pub params: Vec<Change>,
    /// Derived values.
    pub lets: Vec<Change>,
    /// Outputs.
    pub outputs: Vec<Change>,
    /// Rules and exceptions (condition, actions, label, exceptions).
    pub rules: Vec<Change>,
    /// Tables, and their rows added, removed or changed.
    pub tables: Vec<Change>,
}

impl StructuralDiff {
    /// True when nothing differs.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
            && self.enums.is_empty()
            && self.inputs.is_empty()
            && self.params.is_empty()
            && self.lets.is_empty()
            && self.outputs.is_empty()
            && self.rules.is_empty()
            && self.tables.is_empty()
    }
}

type Aspects = BTreeMap<&'static str, String>;

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn range(rs: &hir::Ruleset, r: &Option<hir::Range>) -> String {
    r.as_ref().map_or_else(String::new, |r| {
        let show = |c: &Option<hir::Const>| {
            c.as_ref()
                .map(|c| render::constant(rs, c))
                .unwrap_or_default()
        };
        format!("{}..{}", show(&r.lo), show(&r.hi))
    })
}

fn action(rs: &hir::Ruleset, a: &ActionDef) -> String {
    let out = rs
        .outputs
        .get(a.output.0 as usize)
        .map_or("?", |o| o.name.as_str());
    match a.kind {
        ActionKind::Set => format!("set {out} to {}", render::expr(rs, &a.value)),
        ActionKind::Add => format!("add {} to {out}", render::expr(rs, &a.value)),
    }
}

fn summary(aspects: &Aspects) -> String {
    aspects
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Compares two lists of named items aspect by aspect.
fn compare(out: &mut Vec<Change>, old: Vec<(String, Aspects)>, new: Vec<(String, Aspects)>) {
    let new_map: BTreeMap<&str, &Aspects> = new.iter().map(|(n, a)| (n.as_str(), a)).collect();
    let old_map: BTreeMap<&str, &Aspects> = old.iter().map(|(n, a)| (n.as_str(), a)).collect();
    for (name, a) in &old {
        match new_map.get(name.as_str()) {
            None => out.push(Change {
                kind: ChangeKind::Removed,
                name: name.clone(),
                aspect: String::new(),
                before: Some(summary(a)),
                after: None,
            }),
            Some(b) => {
                for (aspect, before) in a {
                    let after = b.get(aspect).cloned().unwrap_or_default();
                    if *before != after {
                        out.push(Change {
                            kind: ChangeKind::Changed,
                            name: name.clone(),
                            aspect: (*aspect).to_string(),
                            before: Some(before.clone()),
                            after: Some(after),
                        });
                    }
                }
            }
        }
    }
    for (name, a) in &new {
        if !old_map.contains_key(name.as_str()) {
            out.push(Change {
                kind: ChangeKind::Added,
                name: name.clone(),
                aspect: String::new(),
                before: None,
                after: Some(summary(a)),
            });
        }
    }
}

fn meta(rs: &hir::Ruleset) -> Vec<(String, Aspects)> {
    let m = &rs.meta;
    let date = |d: &Option<waymark_ir::Date>| d.map(|d| d.to_string()).unwrap_or_default();
    vec![(
        "ruleset".into(),
        Aspects::from([
            ("id", m.id.clone()),
            ("version", m.version.clone()),
            ("title", opt(&m.title)),
            ("effective_from", date(&m.effective_from)),
            ("effective_until", date(&m.effective_until)),
        ]),
    )]
}

fn enums(rs: &hir::Ruleset) -> Vec<(String, Aspects)> {
    rs.enums
        .iter()
        .map(|e| {
            let values = e
                .variants
                .iter()
                .map(|v| match &v.label {
                    Some(l) => format!("{} {l:?}", v.name),
                    None => v.name.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ");
            (
                e.name.clone(),
                Aspects::from([("ordered", e.ordered.to_string()), ("values", values)]),
            )
        })
        .collect()
}

fn inputs(rs: &hir::Ruleset) -> Vec<(String, Aspects)> {
    rs.inputs
        .iter()
        .map(|i| {
            (
                i.name.clone(),
                Aspects::from([
                    ("type", render::ty(rs, &i.ty)),
                    ("optional", i.optional.to_string()),
                    ("range", range(rs, &i.range)),
                    ("label", opt(&i.label)),
                ]),
            )
        })
        .collect()
}

fn params(rs: &hir::Ruleset) -> Vec<(String, Aspects)> {
    rs.params
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                Aspects::from([
                    ("type", render::ty(rs, &p.ty)),
                    ("range", range(rs, &p.range)),
                    ("default", render::constant(rs, &p.default)),
                    (
                        "bound",
                        p.bound
                            .as_ref()
                            .map(|e| render::expr(rs, e))
                            .unwrap_or_default(),
                    ),
                    ("label", opt(&p.label)),
                ]),
            )
        })
        .collect()
}

fn lets(rs: &hir::Ruleset) -> Vec<(String, Aspects)> {
    rs.lets
        .iter()
        .map(|l| {
            (
                l.name.clone(),
                Aspects::from([
                    ("type", render::ty(rs, &l.ty)),
                    ("value", render::expr(rs, &l.value)),
                ]),
            )
        })
        .collect()
}

fn outputs(rs: &hir::Ruleset) -> Vec<(String, Aspects)> {
    rs.outputs
        .iter()
        .map(|o| {
            let value = match &o.value {
                OutputValue::Computed(e) => format!("= {}", render::expr(rs, e)),
                OutputValue::Rules { combine, default } => {
                    let how = match combine {
                        Combine::Max => "highest value given",
                        Combine::Union => "union of values added",
                        Combine::Single => "the one value given",
                    };
                    match default {
                        Some(d) => format!("{how}, default {}", render::expr(rs, d)),
                        None => how.to_string(),
                    }
                }
            };
            (
                o.name.clone(),
                Aspects::from([
                    ("type", render::ty(rs, &o.ty)),
                    ("public", o.public.to_string()),
                    ("value", value),
                    ("label", opt(&o.label)),
                ]),
            )
        })
        .collect()
}

fn rule_name(rs: &hir::Ruleset, id: hir::RuleId) -> String {
    rs.rules
        .get(id.0 as usize)
        .map_or_else(String::new, |r| r.name.clone())
}

fn rules(rs: &hir::Ruleset) -> Vec<(String, Aspects)> {
    rs.rules
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                Aspects::from([
                    ("condition", render::expr(rs, &r.condition)),
                    (
                        "actions",
                        r.actions
                            .iter()
                            .map(|a| action(rs, a))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                    ("label", opt(&r.label)),
                    (
                        "exception_to",
                        r.exception_to.map(|e| rule_name(rs, e)).unwrap_or_default(),
                    ),
                ]),
            )
        })
        .collect()
}

fn row_text(rs: &hir::Ruleset, row: &hir::RowDef) -> String {
    let cells = row
        .cells
        .iter()
        .map(|c| render::cell(rs, c))
        .collect::<Vec<_>>()
        .join(" | ");
    let actions = row
        .actions
        .iter()
        .map(|a| {
            a.as_ref()
                .map_or_else(|| "-".to_string(), |a| action(rs, a))
        })
        .collect::<Vec<_>>()
        .join(" | ");
    format!("| {cells} | => | {actions} |")
}

fn tables(rs: &hir::Ruleset) -> Vec<(String, Aspects)> {
    rs.tables
        .iter()
        .map(|t| {
            let hit = match t.hit {
                hir::HitPolicy::First => "first",
                hir::HitPolicy::Collect => "collect",
            };
            (
                t.name.clone(),
                Aspects::from([
                    ("hit", hit.to_string()),
                    (
                        "columns",
                        t.columns
                            .iter()
                            .map(|c| render::expr(rs, c))
                            .collect::<Vec<_>>()
                            .join(" | "),
                    ),
                    (
                        "outputs",
                        t.outputs
                            .iter()
                            .map(|o| {
                                rs.outputs
                                    .get(o.0 as usize)
                                    .map_or_else(String::new, |d| d.name.clone())
                            })
                            .collect::<Vec<_>>()
                            .join(" | "),
                    ),
                    ("label", opt(&t.label)),
                ]),
            )
        })
        .collect()
}

/// Rows added, removed or changed, aligned by their longest common subsequence.
fn rows(out: &mut Vec<Change>, name: &str, old: &[String], new: &[String]) {
    let (n, m) = (old.len(), new.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let v = if old.get(i) == new.get(j) {
                1 + lcs[i + 1][j + 1]
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
            lcs[i][j] = v;
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut pending: Vec<Change> = Vec::new();
    let flush = |pending: &mut Vec<Change>, out: &mut Vec<Change>| {
        // A removed row followed by an added row at the same place is a changed row.
        let removed: Vec<&Change> = pending
            .iter()
            .filter(|c| c.kind == ChangeKind::Removed)
            .collect();
        let added: Vec<&Change> = pending
            .iter()
            .filter(|c| c.kind == ChangeKind::Added)
            .collect();
        let paired = removed.len().min(added.len());
        for k in 0..paired {
            if let (Some(r), Some(a)) = (removed.get(k), added.get(k)) {
                out.push(Change {
                    kind: ChangeKind::Changed,
                    name: a.name.clone(),
                    aspect: "row".into(),
                    before: r.before.clone(),
                    after: a.after.clone(),
                });
            }
        }
        out.extend(removed.iter().skip(paired).map(|c| (*c).clone()));
        out.extend(added.iter().skip(paired).map(|c| (*c).clone()));
        pending.clear();
    };
    while i < n || j < m {
        if i < n && j < m && old.get(i) == new.get(j) {
            flush(&mut pending, out);
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            pending.push(Change {
                kind: ChangeKind::Added,
                name: format!("{name} row {}", j + 1),
                aspect: "row".into(),
                before: None,
                after: new.get(j).cloned(),
            });
            j += 1;
        } else {
            pending.push(Change {
                kind: ChangeKind::Removed,
                name: format!("{name} row {}", i + 1),
                aspect: "row".into(),
                before: old.get(i).cloned(),
                after: None,
            });
            i += 1;
        }
    }
    flush(&mut pending, out);
}

/// Compares two checked rulesets declaration by declaration.
pub fn structural_diff(old: &hir::Ruleset, new: &hir::Ruleset) -> StructuralDiff {
    let mut d = StructuralDiff::default();
    compare(&mut d.meta, meta(old), meta(new));
    compare(&mut d.enums, enums(old), enums(new));
    compare(&mut d.inputs, inputs(old), inputs(new));
    compare(&mut d.params, params(old), params(new));
    compare(&mut d.lets, lets(old), lets(new));
    compare(&mut d.outputs, outputs(old), outputs(new));
    compare(&mut d.rules, rules(old), rules(new));
    compare(&mut d.tables, tables(old), tables(new));
    for t in &old.tables {
        if let Some(nt) = new.tables.iter().find(|x| x.name == t.name) {
            let a: Vec<String> = t.rows.iter().map(|r| row_text(old, r)).collect();
            let b: Vec<String> = nt.rows.iter().map(|r| row_text(new, r)).collect();
            rows(&mut d.tables, &t.name, &a, &b);
        }
    }
    d
}
