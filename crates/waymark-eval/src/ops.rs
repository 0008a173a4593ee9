//! The instruction loop and the semantics of each instruction.

use std::cmp::Ordering;

use waymark_ir::program::*;
use waymark_ir::{Answer, Decimal, Unit};

use crate::{Facts, Loaded, Scratch};

pub(crate) fn run(l: &Loaded, facts: &Facts, s: &mut Scratch) {
    let code = &l.program.code;
    let mut pc = 0usize;
    while let Some(instr) = code.get(pc) {
        pc += 1 + step(l, facts, s, instr);
    }
}

/// Executes one instruction; returns how many following instructions to skip.
#[inline(always)]
pub(crate) fn step(l: &Loaded, facts: &Facts, s: &mut Scratch, instr: &Instr) -> usize {
    let pool = &l.program.pool;
    match *instr {
        Instr::Copy { dst, src } => set(s, dst, get(s, src)),
        Instr::Not { dst, a } => {
            let v = match get(s, a) {
                Val::Bool(b) => Val::Bool(!b),
                _ => Val::Unknown,
            };
            set(s, dst, v);
        }
        Instr::And { dst, a, b } => {
            let v = and(get(s, a), get(s, b));
            set(s, dst, v);
        }
        Instr::Or { dst, a, b } => {
            let v = or(get(s, a), get(s, b));
            set(s, dst, v);
        }
        Instr::SkipIfFalse { a, skip } => {
            if get(s, a) == Val::Bool(false) {
                return skip as usize;
            }
        }
        Instr::SkipIfTrue { a, skip } => {
            if get(s, a) == Val::Bool(true) {
                return skip as usize;
            }
        }
        Instr::Is { dst, a, test } => {
            let v = get(s, a);
            let r = match test {
                Test::Yes => Val::Bool(v == Val::Answer(Answer::Yes)),
                Test::No => Val::Bool(v == Val::Answer(Answer::No)),
                Test::Unknown => Val::Bool(v == Val::Unknown),
                Test::Known => Val::Bool(v != Val::Unknown),
                Test::Empty => match v {
                    Val::Set(bits) => Val::Bool(bits == 0),
                    Val::List(id) => Val::Bool(l.list(facts, id).is_empty()),
                    _ => Val::Unknown,
                },
            };
            set(s, dst, r);
        }
        Instr::Cmp { dst, op, a, b } => {
            let r = compare(l, facts, get(s, a), get(s, b))
                .map_or(Val::Unknown, |o| Val::Bool(holds(op, o)));
            set(s, dst, r);
        }
        Instr::Bin { dst, op, a, b } => {
            let r = binary(op, get(s, a), get(s, b));
            set(s, dst, r);
        }
        Instr::Neg { dst, a } => {
            let r = match get(s, a) {
                Val::Int(i) => i.checked_neg().map_or(Val::Unknown, Val::Int),
                Val::Num(n) => Val::Num(-n),
                _ => Val::Unknown,
            };
            set(s, dst, r);
        }
        Instr::Shift {
            dst,
            date,
            amount,
            unit,
            subtract,
        } => {
            let r = shift(get(s, date), get(s, amount), unit, subtract);
            set(s, dst, r);
        }
        Instr::In { dst, a, b } => {
            let x = get(s, a);
            let r = match (x, get(s, b)) {
                (Val::Unknown, _) | (_, Val::Unknown) => Val::Unknown,
                (Val::Enum(e), Val::Set(bits)) => Val::Bool(e < 64 && bits & (1 << e) != 0),
                (x, Val::List(id)) => {
                    // Kleene: a match wins; otherwise an unknown element leaves it unknown.
                    let mut r = Val::Bool(false);
                    for i in l.list(facts, id) {
                        match compare(l, facts, x, *i) {
                            Some(Ordering::Equal) => {
                                r = Val::Bool(true);
                                break;
                            }
                            None => r = Val::Unknown,
                            Some(_) => {}
                        }
                    }
                    r
                }
                _ => Val::Unknown,
            };
            set(s, dst, r);
        }
        Instr::Between { dst, date, lo, hi } => {
            let r = match (get(s, date), get(s, lo), get(s, hi)) {
                (Val::Date(d), Val::Date(lo), Val::Date(hi)) => Val::Bool(lo <= d && d <= hi),
                _ => Val::Unknown,
            };
            set(s, dst, r);
        }
        Instr::CountSlots {
            dst,
            what,
            start,
            len,
        } => {
            let ids = pool
                .get(start as usize..(start + len) as usize)
                .unwrap_or(&[]);
            let want = counted_value(what);
            let mut n = 0i64;
            for id in ids {
                n += i64::from(get(s, *id) == want);
            }
            set(s, dst, Val::Int(n));
        }
        Instr::CountList { dst, what, list } => {
            let r = match get(s, list) {
                Val::List(id) => {
                    let want = counted_value(what);
                    Val::Int(l.list(facts, id).iter().filter(|v| **v == want).count() as i64)
                }
                _ => Val::Unknown,
            };
            set(s, dst, r);
        }
        Instr::CountBetween { dst, list, lo, hi } => {
            let r = match (get(s, list), get(s, lo), get(s, hi)) {
                (Val::List(id), Val::Date(lo), Val::Date(hi)) => {
                    let n = l
                        .list(facts, id)
                        .iter()
                        .filter(|v| matches!(v, Val::Date(d) if lo <= *d && *d <= hi))
                        .count();
                    Val::Int(n as i64)
                }
                _ => Val::Unknown,
            };
            set(s, dst, r);
        }
        Instr::CountAll { dst, a } => {
            let r = match get(s, a) {
                Val::Set(bits) => Val::Int(i64::from(bits.count_ones())),
                Val::List(id) => Val::Int(l.list(facts, id).len() as i64),
                _ => Val::Unknown,
            };
            set(s, dst, r);
        }
        Instr::Select { dst, c, a, b } => {
            let r = match get(s, c) {
                Val::Bool(true) => get(s, a),
                Val::Bool(false) => get(s, b),
                _ => {
                    let (x, y) = (get(s, a), get(s, b));
                    if compare(l, facts, x, y) == Some(Ordering::Equal) {
                        x
                    } else {
                        Val::Unknown
                    }
                }
            };
            set(s, dst, r);
        }
        Instr::MinMax {
            dst,
            max,
            start,
            len,
        } => {
            let ids = pool
                .get(start as usize..(start + len) as usize)
                .unwrap_or(&[]);
            let mut best: Option<Val> = None;
            for id in ids {
                let v = get(s, *id);
                best = match best {
                    _ if v == Val::Unknown => {
                        best = Some(Val::Unknown);
                        break;
                    }
                    None => Some(v),
                    Some(b) => match compare(l, facts, v, b) {
                        Some(Ordering::Greater) if max => Some(v),
                        Some(Ordering::Less) if !max => Some(v),
                        Some(_) => Some(b),
                        None => {
                            best = Some(Val::Unknown);
                            break;
                        }
                    },
                };
            }
            set(s, dst, best.unwrap_or(Val::Unknown));
        }
        Instr::MakeSet { dst, start, len } => {
            let ids = pool
                .get(start as usize..(start + len) as usize)
                .unwrap_or(&[]);
            let mut bits = 0u64;
            let mut unknown = false;
            for id in ids {
                match get(s, *id) {
                    Val::Enum(e) if e < 64 => bits |= 1 << e,
                    Val::Set(b) => bits |= b,
                    _ => unknown = true,
                }
            }
            set(
                s,
                dst,
                if unknown {
                    Val::Unknown
                } else {
                    Val::Set(bits)
                },
            );
        }
        Instr::Rule {
            dst,
            cond,
            start,
            len,
        } => {
            let mut status = get(s, cond);
            if status != Val::Bool(false) {
                for e in pool
                    .get(start as usize..(start + len) as usize)
                    .unwrap_or(&[])
                {
                    let not_e = match get(s, *e) {
                        Val::Bool(b) => Val::Bool(!b),
                        _ => Val::Unknown,
                    };
                    status = and(status, not_e);
                }
            }
            set(s, dst, status);
        }
        Instr::Table { table } => table_run(l, facts, s, table as usize),
        Instr::Output { output } => output_run(l, facts, s, output as usize),
    }
    0
}

#[inline]
fn get(s: &Scratch, slot: Slot) -> Val {
    // INVARIANT: slots are verified against the program's slot count.
    s.slots.get(slot as usize).copied().unwrap_or(Val::Unknown)
}

#[inline]
fn set(s: &mut Scratch, slot: Slot, v: Val) {
    if let Some(x) = s.slots.get_mut(slot as usize) {
        *x = v;
    }
}

/// Kleene `and`: false wins, then unknown.
pub(crate) fn and(a: Val, b: Val) -> Val {
    match (a, b) {
        (Val::Bool(false), _) | (_, Val::Bool(false)) => Val::Bool(false),
        (Val::Bool(true), Val::Bool(true)) => Val::Bool(true),
        _ => Val::Unknown,
    }
}

/// Kleene `or`: true wins, then unknown.
pub(crate) fn or(a: Val, b: Val) -> Val {
    match (a, b) {
        (Val::Bool(true), _) | (_, Val::Bool(true)) => Val::Bool(true),
        (Val::Bool(false), Val::Bool(false)) => Val::Bool(false),
        _ => Val::Unknown,
    }
}

fn counted_value(c: Counted) -> Val {
    match c {
        Counted::Yes => Val::Answer(Answer::Yes),
        Counted::No => Val::Answer(Answer::No),
        Counted::Unknown => Val::Unknown,
        Counted::True => Val::Bool(true),
        Counted::False => Val::Bool(false),
    }
}

pub(crate) fn holds(op: Cmp, o: Ordering) -> bool {
    match op {
        Cmp::Eq => o == Ordering::Equal,
        Cmp::Ne => o != Ordering::Equal,
        Cmp::Lt => o == Ordering::Less,
        Cmp::Le => o != Ordering::Greater,
        Cmp::Gt => o == Ordering::Greater,
        Cmp::Ge => o != Ordering::Less,
    }
}

/// Orders two known values of the same type; `None` when either is unknown or they
/// cannot be compared.
pub(crate) fn compare(l: &Loaded, facts: &Facts, a: Val, b: Val) -> Option<Ordering> {
    Some(match (a, b) {
        (Val::Int(x), Val::Int(y)) => x.cmp(&y),
        (Val::Num(x), Val::Num(y)) => x.cmp(&y),
        (Val::Int(x), Val::Num(y)) => Decimal::from(x).cmp(&y),
        (Val::Num(x), Val::Int(y)) => x.cmp(&Decimal::from(y)),
        (Val::Date(x), Val::Date(y)) => x.cmp(&y),
        (Val::Enum(x), Val::Enum(y)) => x.cmp(&y),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(&y),
        (Val::Answer(x), Val::Answer(y)) => x.cmp(&y),
        (Val::Set(x), Val::Set(y)) => {
            if x == y {
                Ordering::Equal
            } else {
                x.cmp(&y)
            }
        }
        (Val::Text(x), Val::Text(y)) => l.text(facts, x).cmp(l.text(facts, y)),
        (Val::List(x), Val::List(y)) => {
            let (xs, ys) = (l.list(facts, x), l.list(facts, y));
            if xs.len() != ys.len() {
                return Some(xs.len().cmp(&ys.len()));
            }
            for (a, b) in xs.iter().zip(ys) {
                match compare(l, facts, *a, *b)? {
                    Ordering::Equal => {}
                    o => return Some(o),
                }
            }
            Ordering::Equal
        }
        _ => return None,
    })
}

fn binary(op: BinOp, a: Val, b: Val) -> Val {
    match (op, a, b) {
        (BinOp::Union, Val::Set(x), Val::Set(y)) => Val::Set(x | y),
        (BinOp::Intersect, Val::Set(x), Val::Set(y)) => Val::Set(x & y),
        (BinOp::Without, Val::Set(x), Val::Set(y)) => Val::Set(x & !y),
        (BinOp::Div, x, y) => match (num(x), num(y)) {
            (Some(x), Some(y)) => x.checked_div(y).map_or(Val::Unknown, Val::Num),
            _ => Val::Unknown,
        },
        (op, Val::Int(x), Val::Int(y)) => {
            let r = match op {
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Mul => x.checked_mul(y),
                _ => None,
            };
            r.map_or(Val::Unknown, Val::Int)
        }
        (op, x, y) => match (num(x), num(y)) {
            (Some(x), Some(y)) => {
                let r = match op {
                    BinOp::Add => x.checked_add(y),
                    BinOp::Sub => x.checked_sub(y),
                    BinOp::Mul => x.checked_mul(y),
                    _ => None,
                };
                r.map_or(Val::Unknown, Val::Num)
            }
            _ => Val::Unknown,
        },
    }
}

fn num(v: Val) -> Option<Decimal> {
    match v {
        Val::Int(i) => Some(Decimal::from(i)),
        Val::Num(n) => Some(n),
        _ => None,
    }
}

fn shift(date: Val, amount: Val, unit: Unit, subtract: bool) -> Val {
    match (date, amount) {
        (Val::Date(d), Val::Int(n)) => {
            let n = if subtract { n.checked_neg() } else { Some(n) };
            n.and_then(|n| d.shift(n, unit))
                .map_or(Val::Unknown, Val::Date)
        }
        _ => Val::Unknown,
    }
}

/// Does a cell match a column value? `-` matches anything, even unknown.
fn cell_matches(l: &Loaded, facts: &Facts, s: &Scratch, cell: &CellInfo, v: Val) -> Val {
    match cell {
        CellInfo::Any => Val::Bool(true),
        _ if v == Val::Unknown => Val::Unknown,
        CellInfo::OneOf(vs) => {
            let mut r = Val::Bool(false);
            for c in vs {
                let eq = compare(l, facts, v, get(s, *c))
                    .map_or(Val::Unknown, |o| Val::Bool(o == Ordering::Equal));
                r = or(r, eq);
            }
            r
        }
        CellInfo::Compare(op, c) => {
            compare(l, facts, v, get(s, *c)).map_or(Val::Unknown, |o| Val::Bool(holds(*op, o)))
        }
        CellInfo::Range(lo, hi) => {
            let a = compare(l, facts, v, get(s, *lo))
                .map_or(Val::Unknown, |o| Val::Bool(o != Ordering::Less));
            let b = compare(l, facts, v, get(s, *hi))
                .map_or(Val::Unknown, |o| Val::Bool(o != Ordering::Greater));
            and(a, b)
        }
    }
}

fn key(v: Val) -> Option<i128> {
    Some(match v {
        Val::Int(i) => i128::from(i),
        Val::Date(d) => i128::from(d.0),
        Val::Enum(e) => i128::from(e),
        Val::Answer(Answer::Yes) | Val::Bool(true) => 1,
        Val::Answer(Answer::No) | Val::Bool(false) => 0,
        _ => return None,
    })
}

fn table_run(l: &Loaded, facts: &Facts, s: &mut Scratch, t: usize) {
    let Some(table) = l.program.tables.get(t) else {
        return;
    };
    let mut hits = std::mem::take(&mut s.hits[t]);
    hits.clear();
    let indexed = table
        .index
        .as_ref()
        .is_some_and(|ix| table_indexed(s, table, ix, &mut hits));
    if !indexed {
        // Row by row, with Kleene logic; for first-hit, `earlier` is "no earlier row matched".
        let mut earlier = Val::Bool(true);
        for (r, row) in table.rows.iter().enumerate() {
            let mut m = Val::Bool(true);
            for (cell, col) in row.cells.iter().zip(&table.columns) {
                m = and(m, cell_matches(l, facts, s, cell, get(s, *col)));
                if m == Val::Bool(false) {
                    break;
                }
            }
            let status = if table.first { and(m, earlier) } else { m };
            if status != Val::Bool(false) {
                hits.push((r as u32, status));
            }
            if table.first {
                let not_m = match m {
                    Val::Bool(b) => Val::Bool(!b),
                    _ => Val::Unknown,
                };
                earlier = and(earlier, not_m);
                if earlier == Val::Bool(false) {
                    break;
                }
            }
        }
    }
    s.hits[t] = hits;
}

/// Uses the table's index when every column value is known; returns false otherwise.
fn table_indexed(
    s: &mut Scratch,
    table: &TableInfo,
    ix: &TableIndex,
    hits: &mut Vec<(u32, Val)>,
) -> bool {
    let words = ix.words as usize;
    let mut acc = std::mem::take(&mut s.words);
    acc.clear();
    acc.resize(words, u64::MAX);
    for (col, slot) in ix.columns.iter().zip(&table.columns) {
        let Some(k) = key(get(s, *slot)) else {
            s.words = acc;
            return false;
        };
        let seg = col.points.partition_point(|p| *p < k);
        let Some(bits) = col.bits.get(seg * words..(seg + 1) * words) else {
            s.words = acc;
            return false;
        };
        for (a, b) in acc.iter_mut().zip(bits) {
            *a &= *b;
        }
    }
    let rows = table.rows.len();
    'words: for (w, word) in acc.iter().enumerate() {
        let mut bits = *word;
        while bits != 0 {
            let r = w * 64 + bits.trailing_zeros() as usize;
            if r >= rows {
                break 'words;
            }
            hits.push((r as u32, Val::Bool(true)));
            if table.first {
                break 'words;
            }
            bits &= bits - 1;
        }
    }
    s.words = acc;
    true
}

/// Combines the contributions to an output (see docs/language.md, "How outputs combine").
fn output_run(l: &Loaded, facts: &Facts, s: &mut Scratch, o: usize) {
    let Some(out) = l.program.outputs.get(o) else {
        return;
    };
    let default = out.default.map(|d| get(s, d));
    let v = combine(l, facts, s, out, default);
    set(s, out.slot, v);
}

/// The common cases without tables: levels from rules, sets from rules, single
/// conditions and values. `None` hands the case to the general path.
#[inline]
fn combine_fast(s: &Scratch, out: &OutputInfo, default: Option<Val>) -> Option<Val> {
    if !out.tables.is_empty() {
        return None;
    }
    match out.combine {
        Combine::Max => {
            let Some(Val::Enum(mut best)) = default else {
                return None;
            };
            let mut maybe = 0u32;
            let mut any_maybe = false;
            for c in &out.contributions {
                match (get(s, c.status), get(s, c.value)) {
                    (Val::Bool(false), _) => {}
                    (Val::Bool(true), Val::Enum(v)) => best = best.max(v),
                    (Val::Unknown, Val::Enum(v)) => {
                        any_maybe = true;
                        maybe = maybe.max(v);
                    }
                    _ => return None,
                }
            }
            Some(if any_maybe && maybe > best {
                Val::Unknown
            } else {
                Val::Enum(best)
            })
        }
        Combine::Union => {
            let mut bits = match default {
                None => 0,
                Some(Val::Set(b)) => b,
                Some(_) => return None,
            };
            let mut maybe = 0u64;
            for c in &out.contributions {
                let v = match get(s, c.value) {
                    Val::Enum(e) if e < 64 => 1u64 << e,
                    Val::Set(b) => b,
                    _ => return None,
                };
                match get(s, c.status) {
                    Val::Bool(true) => bits |= v,
                    Val::Bool(false) => {}
                    _ => maybe |= v,
                }
            }
            Some(if maybe & !bits != 0 {
                Val::Unknown
            } else {
                Val::Set(bits)
            })
        }
        Combine::Single => {
            let mut value = None;
            let mut maybe = false;
            for c in &out.contributions {
                match (get(s, c.status), get(s, c.value)) {
                    (Val::Bool(false), _) => {}
                    (Val::Bool(true), v @ (Val::Bool(_) | Val::Enum(_) | Val::Int(_))) => {
                        match value {
                            None => value = Some(v),
                            Some(prev) if prev == v => {}
                            Some(_) => return None,
                        }
                    }
                    (Val::Unknown, Val::Bool(_) | Val::Enum(_) | Val::Int(_)) => maybe = true,
                    _ => return None,
                }
            }
            if maybe {
                return None;
            }
            Some(value.or(default).unwrap_or(Val::Unknown))
        }
    }
}

fn combine(l: &Loaded, facts: &Facts, s: &Scratch, out: &OutputInfo, default: Option<Val>) -> Val {
    if let Some(v) = combine_fast(s, out, default) {
        return v;
    }
    // Definite value so far, whether any fired value was unknown, and the values that
    // might still contribute.
    let mut fired: Option<Val> = None;
    let mut broken = false;
    let mut maybe_count = 0usize;
    let mut visit = |status: Val, value: Val, fired: &mut Option<Val>| match status {
        Val::Bool(true) => {
            if value == Val::Unknown {
                broken = true;
            }
            *fired = Some(match *fired {
                None => value,
                Some(prev) => merge(l, facts, out.combine, prev, value),
            });
        }
        Val::Bool(false) => {}
        _ => maybe_count += 1,
    };
    for c in &out.contributions {
        visit(get(s, c.status), get(s, c.value), &mut fired);
    }
    for part in &out.tables {
        if let Some(hits) = s.hits.get(part.table as usize) {
            for (row, status) in hits {
                if let Some(Some(v)) = part.values.get(*row as usize) {
                    visit(*status, get(s, *v), &mut fired);
                }
            }
        }
    }
    if broken {
        return Val::Unknown;
    }
    let base = match out.combine {
        Combine::Union => {
            let start = match default {
                Some(Val::Set(b)) => b,
                Some(_) => return Val::Unknown,
                None => 0,
            };
            match fired {
                Some(Val::Set(b)) => Val::Set(start | b),
                Some(Val::Enum(e)) if e < 64 => Val::Set(start | (1 << e)),
                Some(_) => Val::Unknown,
                None => Val::Set(start),
            }
        }
        Combine::Max => match (fired, default) {
            (Some(f), Some(d)) => merge(l, facts, Combine::Max, f, d),
            (Some(f), None) => f,
            (None, Some(d)) => d,
            (None, None) => Val::Unknown,
        },
        Combine::Single => fired.or(default).unwrap_or(Val::Unknown),
    };
    if maybe_count == 0 || base == Val::Unknown {
        return base;
    }
    // Something might still fire: the output is determined only if none of those could change it.
    let changes = |v: Val| -> bool {
        match out.combine {
            Combine::Max => {
                v == Val::Unknown || compare(l, facts, v, base) == Some(Ordering::Greater)
            }
            Combine::Union => match (v, base) {
                (Val::Set(b), Val::Set(d)) => b & !d != 0,
                (Val::Enum(e), Val::Set(d)) => e >= 64 || d & (1 << e) == 0,
                _ => true,
            },
            Combine::Single => compare(l, facts, v, base) != Some(Ordering::Equal),
        }
    };
    for c in &out.contributions {
        let st = get(s, c.status);
        if !matches!(st, Val::Bool(_)) && changes(get(s, c.value)) {
            return Val::Unknown;
        }
    }
    for part in &out.tables {
        if let Some(hits) = s.hits.get(part.table as usize) {
            for (row, status) in hits {
                if !matches!(status, Val::Bool(_))
                    && let Some(Some(v)) = part.values.get(*row as usize)
                    && changes(get(s, *v))
                {
                    return Val::Unknown;
                }
            }
        }
    }
    base
}

fn merge(l: &Loaded, facts: &Facts, c: Combine, a: Val, b: Val) -> Val {
    match c {
        Combine::Max => match compare(l, facts, a, b) {
            Some(Ordering::Less) => b,
            Some(_) => a,
            None => Val::Unknown,
        },
        Combine::Union => {
            let bits = |v: Val| match v {
                Val::Set(b) => Some(b),
                Val::Enum(e) if e < 64 => Some(1u64 << e),
                _ => None,
            };
            match (bits(a), bits(b)) {
                (Some(x), Some(y)) => Val::Set(x | y),
                _ => Val::Unknown,
            }
        }
        Combine::Single => {
            if compare(l, facts, a, b) == Some(Ordering::Equal) {
                a
            } else {
                Val::Unknown
            }
        }
    }
}
