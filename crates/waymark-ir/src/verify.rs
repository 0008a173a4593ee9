//! Structural verification of a program: every reference points at something that exists.

use crate::program::{CellInfo, Instr, Program, Slot};

/// Why a program was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError(pub String);

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid compiled program: {}", self.0)
    }
}

impl std::error::Error for VerifyError {}

/// Checks that every slot, pool range, jump, rule, table and output a program refers to
/// exists. The evaluator relies on this: a verified program never makes it index out of
/// bounds.
pub fn verify(p: &Program) -> Result<(), VerifyError> {
    let slots = p.slots;
    let slot = |s: Slot, what: &str| -> Result<(), VerifyError> {
        if s < slots {
            Ok(())
        } else {
            Err(VerifyError(format!("{what} refers to slot {s} of {slots}")))
        }
    };
    let pool = |start: u32, len: u32| -> Result<(), VerifyError> {
        let end = start as usize + len as usize;
        if end > p.pool.len() {
            return Err(VerifyError(format!(
                "operand list {start}+{len} is outside the pool"
            )));
        }
        for s in &p.pool[start as usize..end] {
            slot(*s, "an operand list")?;
        }
        Ok(())
    };
    for (i, input) in p.inputs.iter().enumerate() {
        if input.slot as usize != i {
            return Err(VerifyError(format!(
                "input `{}` is not in slot {i}",
                input.name
            )));
        }
    }
    for param in &p.params {
        slot(param.slot, "a parameter")?;
    }
    for (s, _) in &p.consts {
        slot(*s, "a constant")?;
    }
    for (n, instr) in p.code.iter().enumerate() {
        match *instr {
            Instr::Copy { dst, src: a }
            | Instr::Not { dst, a }
            | Instr::Neg { dst, a }
            | Instr::Is { dst, a, .. }
            | Instr::CountAll { dst, a }
            | Instr::CountList { dst, list: a, .. } => {
                slot(dst, "an instruction")?;
                slot(a, "an instruction")?;
            }
            Instr::And { dst, a, b }
            | Instr::Or { dst, a, b }
            | Instr::Cmp { dst, a, b, .. }
            | Instr::Bin { dst, a, b, .. }
            | Instr::In { dst, a, b } => {
                slot(dst, "an instruction")?;
                slot(a, "an instruction")?;
                slot(b, "an instruction")?;
            }
            Instr::SkipIfFalse { a, skip } | Instr::SkipIfTrue { a, skip } => {
                slot(a, "a jump")?;
                if n + 1 + skip as usize > p.code.len() {
                    return Err(VerifyError(format!("instruction {n} jumps past the end")));
                }
            }
            Instr::Shift {
                dst, date, amount, ..
            } => {
                for s in [dst, date, amount] {
                    slot(s, "a date shift")?;
                }
            }
            Instr::Between { dst, date, lo, hi }
            | Instr::CountBetween {
                dst,
                list: date,
                lo,
                hi,
            } => {
                for s in [dst, date, lo, hi] {
                    slot(s, "a window")?;
                }
            }
            Instr::Select { dst, c, a, b } => {
                for s in [dst, c, a, b] {
                    slot(s, "an if")?;
                }
            }
            Instr::CountSlots {
                dst, start, len, ..
            }
            | Instr::MinMax {
                dst, start, len, ..
            }
            | Instr::MakeSet { dst, start, len } => {
                slot(dst, "an instruction")?;
                pool(start, len)?;
            }
            Instr::Rule {
                dst,
                cond,
                start,
                len,
            } => {
                slot(dst, "a rule")?;
                slot(cond, "a rule")?;
                pool(start, len)?;
            }
            Instr::Table { table } => {
                if table as usize >= p.tables.len() {
                    return Err(VerifyError(format!("instruction {n} names table {table}")));
                }
            }
            Instr::Output { output } => {
                if output as usize >= p.outputs.len() {
                    return Err(VerifyError(format!(
                        "instruction {n} names output {output}"
                    )));
                }
            }
        }
    }
    for r in &p.rules {
        slot(r.status, "a rule")?;
        slot(r.cond, "a rule")?;
        if r.reads.iter().any(|i| *i as usize >= p.inputs.len()) {
            return Err(VerifyError(format!(
                "rule `{}` reads an input that does not exist",
                r.name
            )));
        }
        for t in &r.thresholds {
            slot(t.value, "a threshold")?;
            slot(t.limit, "a threshold")?;
        }
        if r.exception_to.is_some_and(|b| b as usize >= p.rules.len()) {
            return Err(VerifyError(format!(
                "rule `{}` is an exception to a rule that does not exist",
                r.name
            )));
        }
    }
    for t in &p.tables {
        for c in &t.columns {
            slot(*c, "a table column")?;
        }
        for row in &t.rows {
            if row.cells.len() != t.columns.len() {
                return Err(VerifyError(format!(
                    "a row of table `{}` has the wrong number of cells",
                    t.name
                )));
            }
            for cell in &row.cells {
                match cell {
                    CellInfo::Any => {}
                    CellInfo::OneOf(v) => v.iter().try_for_each(|s| slot(*s, "a table cell"))?,
                    CellInfo::Compare(_, s) => slot(*s, "a table cell")?,
                    CellInfo::Range(a, b) => {
                        slot(*a, "a table cell")?;
                        slot(*b, "a table cell")?;
                    }
                }
            }
        }
        if let Some(ix) = &t.index {
            if ix.columns.len() != t.columns.len()
                || (ix.words as usize) < t.rows.len().div_ceil(64)
            {
                return Err(VerifyError(format!(
                    "the index of table `{}` does not fit the table",
                    t.name
                )));
            }
            for c in &ix.columns {
                if c.bits.len() != (c.points.len() + 1) * ix.words as usize {
                    return Err(VerifyError(format!(
                        "the index of table `{}` is malformed",
                        t.name
                    )));
                }
            }
        }
        if t.reads.iter().any(|i| *i as usize >= p.inputs.len()) {
            return Err(VerifyError(format!(
                "table `{}` reads an input that does not exist",
                t.name
            )));
        }
    }
    for o in &p.outputs {
        slot(o.slot, "an output")?;
        if let Some(d) = o.default {
            slot(d, "an output default")?;
        }
        for c in &o.contributions {
            slot(c.status, "an output")?;
            slot(c.value, "an output")?;
            let ok = match c.source {
                crate::program::Origin::Rule(r) => (r as usize) < p.rules.len(),
                crate::program::Origin::Row(t, r) => p
                    .tables
                    .get(t as usize)
                    .is_some_and(|t| (r as usize) < t.rows.len()),
            };
            if !ok {
                return Err(VerifyError(format!(
                    "output `{}` names a rule or row that does not exist",
                    o.name
                )));
            }
        }
        for part in &o.tables {
            let Some(t) = p.tables.get(part.table as usize) else {
                return Err(VerifyError(format!(
                    "output `{}` names a table that does not exist",
                    o.name
                )));
            };
            if part.values.len() != t.rows.len() {
                return Err(VerifyError(format!(
                    "output `{}` does not match the rows of table `{}`",
                    o.name, t.name
                )));
            }
            for v in part.values.iter().flatten() {
                slot(*v, "a table value")?;
            }
        }
        if o.reads.iter().any(|i| *i as usize >= p.inputs.len()) {
            return Err(VerifyError(format!(
                "output `{}` reads an input that does not exist",
                o.name
            )));
        }
    }
    if p.inputs.iter().any(|i| matches!(i.ty, crate::program::Ty::Enum(e) | crate::program::Ty::Set(e) if e as usize >= p.enums.len())) {
        return Err(VerifyError("an input names an enum that does not exist".into()));
    }
    Ok(())
}
