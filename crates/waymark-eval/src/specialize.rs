//! Load-time specialization: once parameters are bound, everything that depends only on
//! parameters and constants is computed once, and code whose result nothing reads is
//! dropped (for example the branch of `if PARAM then … else …` that this agency never uses).
//!
//! The result is the same program for every case, only shorter: the differential tests
//! compare it with the reference interpreter like any other.

use waymark_ir::program::*;

use crate::{Facts, Loaded, Scratch};

/// The slot an instruction writes, if any.
fn dst(i: &Instr) -> Option<Slot> {
    match *i {
        Instr::Copy { dst, .. }
        | Instr::Not { dst, .. }
        | Instr::And { dst, .. }
        | Instr::Or { dst, .. }
        | Instr::Is { dst, .. }
        | Instr::Cmp { dst, .. }
        | Instr::Bin { dst, .. }
        | Instr::Neg { dst, .. }
        | Instr::Shift { dst, .. }
        | Instr::In { dst, .. }
        | Instr::Between { dst, .. }
        | Instr::CountSlots { dst, .. }
        | Instr::CountList { dst, .. }
        | Instr::CountBetween { dst, .. }
        | Instr::CountAll { dst, .. }
        | Instr::Select { dst, .. }
        | Instr::MinMax { dst, .. }
        | Instr::MakeSet { dst, .. }
        | Instr::Rule { dst, .. } => Some(dst),
        Instr::SkipIfFalse { .. }
        | Instr::SkipIfTrue { .. }
        | Instr::Table { .. }
        | Instr::Output { .. } => None,
    }
}

/// The slots an instruction reads (tables and outputs read through the program's metadata).
fn reads(i: &Instr, pool: &[Slot], out: &mut Vec<Slot>) {
    out.clear();
    let list = |start: u32, len: u32, out: &mut Vec<Slot>| {
        out.extend_from_slice(
            pool.get(start as usize..(start + len) as usize)
                .unwrap_or(&[]),
        );
    };
    match *i {
        Instr::Copy { src: a, .. }
        | Instr::Not { a, .. }
        | Instr::Neg { a, .. }
        | Instr::Is { a, .. }
        | Instr::CountAll { a, .. }
        | Instr::CountList { list: a, .. }
        | Instr::SkipIfFalse { a, .. }
        | Instr::SkipIfTrue { a, .. } => out.push(a),
        Instr::And { a, b, .. }
        | Instr::Or { a, b, .. }
        | Instr::Cmp { a, b, .. }
        | Instr::Bin { a, b, .. }
        | Instr::In { a, b, .. } => out.extend([a, b]),
        Instr::Shift { date, amount, .. } => out.extend([date, amount]),
        Instr::Between { date, lo, hi, .. }
        | Instr::CountBetween {
            list: date, lo, hi, ..
        } => out.extend([date, lo, hi]),
        Instr::Select { c, a, b, .. } => out.extend([c, a, b]),
        Instr::CountSlots { start, len, .. }
        | Instr::MinMax { start, len, .. }
        | Instr::MakeSet { start, len, .. } => list(start, len, out),
        Instr::Rule {
            cond, start, len, ..
        } => {
            out.push(cond);
            list(start, len, out);
        }
        Instr::Table { .. } | Instr::Output { .. } => {}
    }
}

/// Slots the program's metadata reads: rules, tables, outputs and thresholds.
fn roots(p: &Program) -> Vec<Slot> {
    let mut r = Vec::new();
    for rule in &p.rules {
        r.extend([rule.status, rule.cond]);
        for t in &rule.thresholds {
            r.extend([t.value, t.limit]);
        }
    }
    for t in &p.tables {
        r.extend(&t.columns);
        for row in &t.rows {
            for cell in &row.cells {
                match cell {
                    CellInfo::Any => {}
                    CellInfo::OneOf(v) => r.extend(v),
                    CellInfo::Compare(_, s) => r.push(*s),
                    CellInfo::Range(a, b) => r.extend([*a, *b]),
                }
            }
        }
    }
    for o in &p.outputs {
        r.push(o.slot);
        r.extend(o.default);
        for c in &o.contributions {
            r.extend([c.status, c.value]);
        }
        for part in &o.tables {
            r.extend(part.values.iter().flatten());
        }
    }
    r.extend(p.params.iter().map(|p| p.slot));
    r
}

pub(crate) fn specialize(l: &mut Loaded) {
    let n = l.template.len();
    let mut known = vec![false; n];
    for (slot, _) in &l.program.consts {
        if let Some(k) = known.get_mut(*slot as usize) {
            *k = true;
        }
    }
    for p in l.program.params.iter().filter(|p| p.overridable) {
        if let Some(k) = known.get_mut(p.slot as usize) {
            *k = true;
        }
    }
    let code = l.program.code.clone();
    // A slot written by more than one instruction (the running value of an `and` chain)
    // must be recomputed every run, so it is never folded into the template.
    let mut writes = vec![0u32; n];
    for instr in &code {
        if let Some(d) = dst(instr)
            && let Some(w) = writes.get_mut(d as usize)
        {
            *w += 1;
        }
    }
    let mut keep = vec![true; code.len()];
    let facts = Facts::unknown(&l.program);
    let mut scratch = Scratch {
        owner: 0,
        slots: l.template.clone(),
        hits: vec![Vec::new(); l.program.tables.len()],
        words: Vec::new(),
    };
    let mut operands = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let instr = &code[i];
        reads(instr, &l.program.pool, &mut operands);
        let all_known = operands
            .iter()
            .all(|s| known.get(*s as usize).copied().unwrap_or(false));
        match *instr {
            Instr::SkipIfFalse { a, skip } | Instr::SkipIfTrue { a, skip } if all_known => {
                let v = scratch.slot(a);
                let jump = matches!(
                    (instr, v),
                    (Instr::SkipIfFalse { .. }, Val::Bool(false))
                        | (Instr::SkipIfTrue { .. }, Val::Bool(true))
                );
                keep[i] = false;
                if jump {
                    for k in keep.iter_mut().skip(i + 1).take(skip as usize) {
                        *k = false;
                    }
                    i += 1 + skip as usize;
                    continue;
                }
            }
            Instr::Table { .. }
            | Instr::Output { .. }
            | Instr::SkipIfFalse { .. }
            | Instr::SkipIfTrue { .. } => {}
            _ => {
                if let Some(d) = dst(instr) {
                    if all_known && writes.get(d as usize) == Some(&1) {
                        crate::ops::step(l, &facts, &mut scratch, instr);
                        let v = scratch.slot(d);
                        let folds_to_fact =
                            matches!(v, Val::Text(t) | Val::List(t) if t & CONST_REF == 0);
                        if !folds_to_fact {
                            if let Some(t) = l.template.get_mut(d as usize) {
                                *t = v;
                            }
                            known[d as usize] = true;
                            keep[i] = false;
                            i += 1;
                            continue;
                        }
                    }
                    if all_known {
                        // Computed now for what follows, but still run every time.
                        crate::ops::step(l, &facts, &mut scratch, instr);
                        // Its value at this point is known, so later decisions may use it.
                        if let Some(k) = known.get_mut(d as usize) {
                            *k = true;
                        }
                    } else if let Some(k) = known.get_mut(d as usize) {
                        *k = false;
                    }
                }
            }
        }
        if let Instr::Output { output } = instr
            && let Some(o) = l.program.outputs.get(*output as usize)
            && let Some(k) = known.get_mut(o.slot as usize)
        {
            *k = false;
        }
        i += 1;
    }
    // Dead code: keep what the metadata or a kept instruction reads.
    let mut needed = vec![false; n];
    for r in roots(&l.program) {
        if let Some(x) = needed.get_mut(r as usize) {
            *x = true;
        }
    }
    for i in (0..code.len()).rev() {
        if !keep[i] {
            continue;
        }
        let instr = &code[i];
        let live = match (dst(instr), instr) {
            (Some(d), _) => needed.get(d as usize).copied().unwrap_or(true),
            // A jump is live only if something it can skip is kept; going backwards, its
            // region (which follows it) is already decided.
            (None, Instr::SkipIfFalse { skip, .. } | Instr::SkipIfTrue { skip, .. }) => {
                keep.iter().skip(i + 1).take(*skip as usize).any(|k| *k)
            }
            (None, _) => true,
        };
        if !live {
            keep[i] = false;
            continue;
        }
        reads(instr, &l.program.pool, &mut operands);
        for s in &operands {
            if let Some(x) = needed.get_mut(*s as usize) {
                *x = true;
            }
        }
    }
    // Rebuild, recounting how far each kept jump skips.
    let mut new_code = Vec::with_capacity(code.len());
    for (i, instr) in code.iter().enumerate() {
        if !keep[i] {
            continue;
        }
        let instr = match *instr {
            Instr::SkipIfFalse { a, skip } | Instr::SkipIfTrue { a, skip } => {
                let kept = keep
                    .iter()
                    .skip(i + 1)
                    .take(skip as usize)
                    .filter(|k| **k)
                    .count() as u32;
                if matches!(instr, Instr::SkipIfFalse { .. }) {
                    Instr::SkipIfFalse { a, skip: kept }
                } else {
                    Instr::SkipIfTrue { a, skip: kept }
                }
            }
            other => other,
        };
        new_code.push(instr);
    }
    l.program.code = new_code;
}
