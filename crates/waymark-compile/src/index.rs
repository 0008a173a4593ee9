//! Indexes for decision tables, so a 3 000-row table costs the same wherever the match is.
//!
//! Each column's cell tests are constants over a totally ordered key (whole numbers, dates,
//! enum values, answers, conditions). The breakpoints of every test cut the key line into
//! segments within which every test gives the same result; for each segment a bitset says
//! which rows match. At run time one binary search per column and a bitwise `and` of a
//! few words find the matching rows.

use waymark_check::hir;
use waymark_ir::Answer;
use waymark_ir::program::{CellInfo, Cmp, ColumnIndex, ConstVal, RowInfo, Slot, TableIndex};

/// Tables smaller than this are scanned row by row.
const MIN_ROWS: usize = 16;

/// The key of a constant on the column's ordered line.
pub fn key(c: &ConstVal) -> Option<i128> {
    Some(match c {
        ConstVal::Int(i) => i128::from(*i),
        ConstVal::Date(d) => i128::from(d.0),
        ConstVal::Enum(v) => i128::from(*v),
        ConstVal::Answer(Answer::Yes) | ConstVal::Bool(true) => 1,
        ConstVal::Answer(Answer::No) | ConstVal::Bool(false) => 0,
        _ => return None,
    })
}

fn indexable(t: &hir::Type) -> bool {
    matches!(
        t,
        hir::Type::Int | hir::Type::Date | hir::Type::Enum(_) | hir::Type::Answer | hir::Type::Bool
    )
}

pub(crate) fn build(
    consts: &[(Slot, ConstVal)],
    columns: &[hir::Expr],
    rows: &[RowInfo],
) -> Option<TableIndex> {
    if rows.len() < MIN_ROWS || columns.iter().any(|c| !indexable(&c.ty)) {
        return None;
    }
    let value = |s: &Slot| {
        consts
            .iter()
            .find(|(slot, _)| slot == s)
            .and_then(|(_, c)| key(c))
    };
    // Resolve every cell to key tests first; give up on any non-constant cell.
    let mut tests: Vec<Vec<Test>> = Vec::with_capacity(rows.len());
    for row in rows {
        let mut cells = Vec::with_capacity(row.cells.len());
        for cell in &row.cells {
            cells.push(match cell {
                CellInfo::Any => Test::Any,
                CellInfo::OneOf(vs) => {
                    Test::OneOf(vs.iter().map(value).collect::<Option<Vec<_>>>()?)
                }
                CellInfo::Compare(op, s) => Test::Cmp(*op, value(s)?),
                CellInfo::Range(a, b) => Test::Range(value(a)?, value(b)?),
            });
        }
        tests.push(cells);
    }
    let words = rows.len().div_ceil(64);
    let mut index_columns = Vec::with_capacity(columns.len());
    for col in 0..columns.len() {
        let mut points: Vec<i128> = Vec::new();
        for row in &tests {
            match row.get(col) {
                Some(Test::OneOf(vs)) => {
                    for v in vs {
                        points.push(v - 1);
                        points.push(*v);
                    }
                }
                Some(Test::Cmp(op, v)) => match op {
                    Cmp::Eq | Cmp::Ne => {
                        points.push(v - 1);
                        points.push(*v);
                    }
                    Cmp::Lt | Cmp::Ge => points.push(v - 1),
                    Cmp::Le | Cmp::Gt => points.push(*v),
                },
                Some(Test::Range(a, b)) => {
                    points.push(a - 1);
                    points.push(*b);
                }
                _ => {}
            }
        }
        points.sort_unstable();
        points.dedup();
        // Segment i holds keys k with points[i-1] < k <= points[i]; the last one keys above all.
        let segments = points.len() + 1;
        let mut bits = vec![0u64; segments * words];
        for seg in 0..segments {
            let representative = match points.get(seg) {
                Some(p) => *p,
                None => points.last().map_or(0, |p| p + 1),
            };
            for (r, row) in tests.iter().enumerate() {
                if row.get(col).is_some_and(|t| t.matches(representative))
                    && let Some(w) = bits.get_mut(seg * words + r / 64)
                {
                    *w |= 1u64 << (r % 64);
                }
            }
        }
        index_columns.push(ColumnIndex { points, bits });
    }
    Some(TableIndex {
        words: words as u32,
        columns: index_columns,
    })
}

enum Test {
    Any,
    OneOf(Vec<i128>),
    Cmp(Cmp, i128),
    Range(i128, i128),
}

impl Test {
    fn matches(&self, k: i128) -> bool {
        match self {
            Test::Any => true,
            Test::OneOf(vs) => vs.contains(&k),
            Test::Cmp(op, v) => match op {
                Cmp::Eq => k == *v,
                Cmp::Ne => k != *v,
                Cmp::Lt => k < *v,
                Cmp::Le => k <= *v,
                Cmp::Gt => k > *v,
                Cmp::Ge => k >= *v,
            },
            Test::Range(a, b) => *a <= k && k <= *b,
        }
    }
}
