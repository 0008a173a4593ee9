//! Documentation for policy reviewers, generated from a checked ruleset as Markdown.
//!
//! Conditions and formulas are shown exactly as the policy team wrote them; everything
//! else (questions, parameters, outputs, rules, tables, tests) is laid out in tables.

use std::fmt::Write as _;

use waymark_check::hir::{self, Loc};

fn source_text(h: &hir::Ruleset, loc: Loc) -> String {
    let text = h
        .files
        .get(loc.file.0 as usize)
        .map(|f| f.slice(loc.span).to_string())
        .unwrap_or_default();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn type_words(h: &hir::Ruleset, ty: &hir::Type) -> String {
    match ty {
        hir::Type::Answer => "yes / no / don't know".into(),
        hir::Type::Bool => "true / false".into(),
        hir::Type::Int => "whole number".into(),
        hir::Type::Number => "number".into(),
        hir::Type::Text => "text".into(),
        hir::Type::Date => "date".into(),
        hir::Type::Duration => "duration".into(),
        hir::Type::Enum(e) => h.enums.get(e.0 as usize).map_or("value".into(), |e| {
            let names: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
            if e.ordered {
                names.join(" < ")
            } else {
                format!("one of {}", names.join(", "))
            }
        }),
        hir::Type::Set(e) => h.enums.get(e.0 as usize).map_or("set".into(), |e| {
            let names: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
            format!("any of {}", names.join(", "))
        }),
        hir::Type::List(inner) => format!("list of {}", type_words(h, inner)),
    }
}

fn const_text(c: &hir::Const, h: &hir::Ruleset) -> String {
    match c {
        hir::Const::Unknown => "unknown".into(),
        hir::Const::Answer(a) => a.word().into(),
        hir::Const::Bool(b) => b.to_string(),
        hir::Const::Int(i) => i.to_string(),
        hir::Const::Number(n) => n.to_string(),
        hir::Const::Text(t) => format!("\"{t}\""),
        hir::Const::Date(d) => d.to_string(),
        hir::Const::Duration(n, u) => format!("{n} {}", u.word()),
        hir::Const::Enum(e, v) => h
            .enums
            .get(e.0 as usize)
            .and_then(|e| e.variants.get(*v as usize))
            .map_or_else(|| v.to_string(), |v| v.name.clone()),
        hir::Const::Set(e, bits) => {
            let names: Vec<String> = h
                .enums
                .get(e.0 as usize)
                .map(|e| {
                    e.variants
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| bits & (1 << i) != 0)
                        .map(|(_, v)| v.name.clone())
                        .collect()
                })
                .unwrap_or_default();
            format!("{{{}}}", names.join(", "))
        }
        hir::Const::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| const_text(i, h))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn range_text(r: &Option<hir::Range>, h: &hir::Ruleset) -> String {
    match r {
        Some(hir::Range {
            lo: Some(lo),
            hi: Some(hi),
        }) => format!("{} to {}", const_text(lo, h), const_text(hi, h)),
        Some(hir::Range {
            lo: Some(lo),
            hi: None,
        }) => format!("at least {}", const_text(lo, h)),
        Some(hir::Range {
            lo: None,
            hi: Some(hi),
        }) => format!("at most {}", const_text(hi, h)),
        _ => "any".into(),
    }
}

fn cites(keys: &[String]) -> String {
    if keys.is_empty() {
        String::new()
    } else {
        keys.iter()
            .map(|k| format!("[{k}]"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The Markdown page of a ruleset.
pub fn markdown(h: &hir::Ruleset) -> String {
    let m = &h.meta;
    let mut s = String::new();
    let title = m.title.clone().unwrap_or_else(|| m.id.clone());
    let _ = writeln!(s, "# {title}\n");
    let _ = writeln!(s, "Ruleset `{}`, version {}.", m.id, m.version);
    match (m.effective_from, m.effective_until) {
        (Some(f), Some(u)) => {
            let _ = writeln!(s, "In force from {f} until {u}.");
        }
        (Some(f), None) => {
            let _ = writeln!(s, "In force from {f}.");
        }
        _ => {}
    }
    s.push_str("This page is generated from the ruleset by `waymark doc`; edit the ruleset, not this page.\n\n");
    if !m.docs.is_empty() {
        s.push_str("## Purpose\n\n");
        for d in &m.docs {
            let _ = writeln!(s, "{d}");
        }
        s.push('\n');
    }
    if !m.sources.is_empty() {
        s.push_str("## Sources\n\n| key | source |\n|---|---|\n");
        for src in &m.sources {
            let link = src
                .link
                .as_ref()
                .map(|l| format!(" <{l}>"))
                .unwrap_or_default();
            let _ = writeln!(s, "| {} | {}{} |", src.key, cell(&src.citation), link);
        }
        s.push('\n');
    }
    let root_inputs: Vec<&hir::InputDef> = h.inputs.iter().collect();
    if !root_inputs.is_empty() {
        s.push_str("## Questions and facts\n\n| name | question or fact | answers | required |\n|---|---|---|---|\n");
        for i in root_inputs {
            let required = if i.optional { "no" } else { "yes" };
            let label = i.label.clone().unwrap_or_default();
            let docs = if i.docs.is_empty() {
                String::new()
            } else {
                format!(" — {}", i.docs.join(" "))
            };
            let mut ty = type_words(h, &i.ty);
            if i.range.is_some() {
                ty = format!("{ty}, {}", range_text(&i.range, h));
            }
            let _ = writeln!(
                s,
                "| `{}` | {}{} | {} | {} |",
                i.name,
                cell(&label),
                cell(&docs),
                cell(&ty),
                required
            );
        }
        s.push('\n');
    }
    if !h.params.is_empty() {
        s.push_str("## Parameters an agency may set\n\n| name | meaning | default | allowed | source |\n|---|---|---|---|---|\n");
        for p in &h.params {
            let default = match &p.bound {
                Some(e) => format!("set by this ruleset: `{}`", source_text(h, e.loc)),
                None => const_text(&p.default, h),
            };
            let label = p.label.clone().unwrap_or_default();
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} |",
                p.name,
                cell(&label),
                cell(&default),
                range_text(&p.range, h),
                cites(&p.sources)
            );
        }
        s.push('\n');
    }
    let public: Vec<&hir::OutputDef> = h.outputs.iter().filter(|o| o.public).collect();
    if !public.is_empty() {
        s.push_str("## Outcomes\n\n| name | meaning | values | when no rule applies |\n|---|---|---|---|\n");
        for o in public {
            let label = o.label.clone().unwrap_or_default();
            let docs = if o.docs.is_empty() {
                String::new()
            } else {
                format!(" — {}", o.docs.join(" "))
            };
            let how = match &o.value {
                hir::OutputValue::Computed(e) => format!("always `{}`", source_text(h, e.loc)),
                hir::OutputValue::Rules {
                    default: Some(d), ..
                } => source_text(h, d.loc),
                hir::OutputValue::Rules { default: None, .. } => "none".into(),
            };
            let _ = writeln!(
                s,
                "| `{}` | {}{} | {} | {} |",
                o.name,
                cell(&label),
                cell(&docs),
                cell(&type_words(h, &o.ty)),
                cell(&how)
            );
        }
        s.push('\n');
    }
    let lets: Vec<&hir::LetDef> = h.lets.iter().filter(|l| l.loc.file.0 == 0).collect();
    if !lets.is_empty() {
        s.push_str("## Worked values\n\n| name | how it is worked out |\n|---|---|\n");
        for l in lets {
            let docs = if l.docs.is_empty() {
                String::new()
            } else {
                format!(" ({})", l.docs.join(" "))
            };
            let _ = writeln!(
                s,
                "| `{}` | `{}`{} |",
                l.name,
                cell(&source_text(h, l.value.loc)),
                cell(&docs)
            );
        }
        s.push('\n');
    }
    let rules: Vec<(usize, &hir::RuleDef)> = h
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.loc.file.0 == 0)
        .collect();
    if !rules.is_empty() {
        s.push_str("## Rules\n\n");
        for (_, r) in rules {
            let label = r.label.clone().unwrap_or_else(|| r.name.clone());
            let _ = writeln!(s, "### {label}\n");
            for d in &r.docs {
                let _ = writeln!(s, "{d}");
            }
            if !r.docs.is_empty() {
                s.push('\n');
            }
            if let Some(base) = r.exception_to.and_then(|b| h.rules.get(b.0 as usize)) {
                let base_label = base.label.clone().unwrap_or_else(|| base.name.clone());
                let _ = writeln!(
                    s,
                    "An exception to *{base_label}*: when it applies, that rule does not.\n"
                );
            }
            let _ = writeln!(s, "- **When:** `{}`", source_text(h, r.condition.loc));
            for a in &r.actions {
                let out = h
                    .outputs
                    .get(a.output.0 as usize)
                    .map_or("?".to_string(), |o| o.name.clone());
                let verb = match a.kind {
                    hir::ActionKind::Set => {
                        format!("set `{out}` to `{}`", source_text(h, a.value.loc))
                    }
                    hir::ActionKind::Add => {
                        format!("add `{}` to `{out}`", source_text(h, a.value.loc))
                    }
                };
                let _ = writeln!(s, "- **Then:** {verb}");
            }
            if !r.sources.is_empty() {
                let _ = writeln!(s, "- **Source:** {}", cites(&r.sources));
            }
            let _ = writeln!(s, "- **Rule id:** `{}`\n", r.name);
        }
    }
    for t in h.tables.iter().filter(|t| t.loc.file.0 == 0) {
        let label = t.label.clone().unwrap_or_else(|| t.name.clone());
        let _ = writeln!(s, "## Table: {label}\n");
        let policy = match t.hit {
            hir::HitPolicy::First => "The first row that matches, from the top, decides.",
            hir::HitPolicy::Collect => "Every row that matches contributes.",
        };
        let _ = writeln!(s, "{policy} {}\n", cites(&t.sources));
        let cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| format!("`{}`", source_text(h, c.loc)))
            .collect();
        let outs: Vec<String> = t
            .outputs
            .iter()
            .map(|o| {
                h.outputs
                    .get(o.0 as usize)
                    .map_or("?".into(), |o| format!("→ `{}`", o.name))
            })
            .collect();
        let _ = writeln!(s, "| {} | {} |", cols.join(" | "), outs.join(" | "));
        let _ = writeln!(s, "|{}", "---|".repeat(cols.len() + outs.len()));
        for row in &t.rows {
            let cells: Vec<String> = row
                .cells
                .iter()
                .map(|c| match c {
                    hir::CellTest::Any => "any".to_string(),
                    hir::CellTest::OneOf(cs) => cs
                        .iter()
                        .map(|c| const_text(c, h))
                        .collect::<Vec<_>>()
                        .join(" or "),
                    hir::CellTest::Compare(op, c) => {
                        format!("{} {}", op.symbol(), const_text(c, h))
                    }
                    hir::CellTest::Range(a, b) => {
                        format!("{} to {}", const_text(a, h), const_text(b, h))
                    }
                    hir::CellTest::CompareExpr(op, e) => {
                        format!("{} {}", op.symbol(), source_text(h, e.loc))
                    }
                })
                .collect();
            let outs: Vec<String> = row
                .actions
                .iter()
                .map(|a| {
                    a.as_ref()
                        .map_or("–".into(), |a| source_text(h, a.value.loc))
                })
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} |",
                cells
                    .iter()
                    .map(|c| cell(c))
                    .collect::<Vec<_>>()
                    .join(" | "),
                outs.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
            );
        }
        s.push('\n');
    }
    if !h.tests.is_empty() {
        s.push_str("## Test cases\n\nEach case is checked by `waymark test`.\n\n| case | facts | parameters | expected |\n|---|---|---|---|\n");
        for t in &h.tests {
            let facts: Vec<String> = t
                .facts
                .iter()
                .map(|(i, c)| {
                    format!(
                        "{} = {}",
                        h.inputs.get(i.0 as usize).map_or("?", |i| i.name.as_str()),
                        const_text(c, h)
                    )
                })
                .collect();
            let params: Vec<String> = t
                .params
                .iter()
                .map(|(p, c)| {
                    format!(
                        "{} = {}",
                        h.params.get(p.0 as usize).map_or("?", |p| p.name.as_str()),
                        const_text(c, h)
                    )
                })
                .collect();
            let expect: Vec<String> = t
                .expect
                .iter()
                .map(|(o, c)| {
                    let name = h.outputs.get(o.0 as usize).map_or("?", |o| o.name.as_str());
                    match c {
                        Some(c) => format!("{name} = {}", const_text(c, h)),
                        None => format!("{name} undetermined"),
                    }
                })
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                cell(&t.name),
                cell(&compress(&facts)),
                cell(&params.join(", ")),
                cell(&expect.join(", "))
            );
        }
        s.push('\n');
    }
    if !h.properties.is_empty() {
        s.push_str("## Properties that always hold\n\n");
        for p in &h.properties {
            let _ = writeln!(
                s,
                "- **{}**: `{}`",
                p.name,
                source_text(h, p.loc).trim_start_matches("property").trim()
            );
        }
        s.push('\n');
    }
    s
}

/// Shortens runs such as `q1 = yes, q2 = yes, …` to `q1–q13 = yes`.
fn compress(facts: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(String, u32, u32, String)> = None;
    let split = |f: &str| -> Option<(String, u32, String)> {
        let (name, value) = f.split_once(" = ")?;
        let digits_at = name.find(|c: char| c.is_ascii_digit())?;
        let (prefix, num) = name.split_at(digits_at);
        Some((prefix.to_string(), num.parse().ok()?, value.to_string()))
    };
    let flush = |run: &mut Option<(String, u32, u32, String)>, out: &mut Vec<String>| {
        if let Some((p, a, b, v)) = run.take() {
            out.push(if a == b {
                format!("{p}{a} = {v}")
            } else {
                format!("{p}{a}–{p}{b} = {v}")
            });
        }
    };
    for f in facts {
        match (split(f), run.as_mut()) {
            (Some((p, n, v)), Some((rp, _, rb, rv))) if *rp == p && *rb + 1 == n && *rv == v => {
                *rb = n
            }
            (Some((p, n, v)), _) => {
                flush(&mut run, &mut out);
                run = Some((p, n, n, v));
            }
            (None, _) => {
                flush(&mut run, &mut out);
                out.push(f.clone());
            }
        }
    }
    flush(&mut run, &mut out);
    out.join(", ")
}
