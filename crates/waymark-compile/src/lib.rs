//! HIR to [`Program`]: slots for every input, parameter, constant, derived value, rule and
//! output; names resolved to slot numbers; `count yes in [q1..q24]` lowered to one
//! instruction; Kleene `and`/`or` short-circuited; decision tables indexed.
//!
//! The compiler never sees source text; it reads only the checked HIR.

mod index;

use std::collections::HashMap;

use waymark_check::hir::{self, ExprKind, Node};
use waymark_ir::program::*;
use waymark_ir::{Answer, Unit};

/// Why a checked ruleset could not be compiled: a construct the evaluator does not
/// support, or (when `limit` is true) a [`Limits`] bound exceeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// What went wrong, in plain words.
    pub message: String,
    /// True when a limit was exceeded rather than a construct unsupported.
    pub limit: bool,
    /// Where in the rules, when one place is to blame.
    pub loc: Option<hir::Loc>,
}

impl CompileError {
    fn unsupported(message: String) -> CompileError {
        CompileError {
            message,
            limit: false,
            loc: None,
        }
    }

    fn limit(message: String) -> CompileError {
        CompileError {
            message,
            limit: true,
            loc: None,
        }
    }
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}

/// A right side of `and`/`or` with at most this many instructions is computed rather than
/// skipped: a jump costs more than that much work.
const SHORT_RIGHT_SIDE: usize = 2;

/// Bounds on what the compiler accepts, so that a hostile or runaway ruleset is refused
/// with an error instead of exhausting the stack or memory of the system that loads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How deeply formulas may nest (each operator, call or `if` is one level).
    pub max_expr_depth: usize,
    /// How many instructions the compiled program may hold.
    pub max_instructions: usize,
    /// How many value slots (inputs, parameters, constants, intermediate values) it may use.
    pub max_slots: usize,
}

impl Default for Limits {
    /// Generous bounds: the largest reference ruleset uses under a tenth of each.
    fn default() -> Limits {
        Limits {
            max_expr_depth: 128,
            max_instructions: 1 << 20,
            max_slots: 1 << 20,
        }
    }
}

/// Compiles a checked ruleset within the default [`Limits`].
pub fn compile(rs: &hir::Ruleset) -> Result<Program, CompileError> {
    compile_with(rs, &Limits::default())
}

/// Compiles a checked ruleset, refusing one that exceeds `limits`.
pub fn compile_with(rs: &hir::Ruleset, limits: &Limits) -> Result<Program, CompileError> {
    let mut c = Compiler::new(rs, *limits);
    c.run()?;
    let program = c.finish();
    if program.code.len() + program.pool.len() > limits.max_instructions {
        return Err(CompileError::limit(format!(
            "the compiled rules hold {} instructions, more than the limit of {}",
            program.code.len() + program.pool.len(),
            limits.max_instructions
        )));
    }
    if program.slots as usize > limits.max_slots {
        return Err(CompileError::limit(format!(
            "the compiled rules use {} values, more than the limit of {}",
            program.slots, limits.max_slots
        )));
    }
    Ok(program)
}

struct Compiler<'a> {
    rs: &'a hir::Ruleset,
    code: Vec<Instr>,
    pool: Vec<Slot>,
    slots: u32,
    consts: Vec<(Slot, ConstVal)>,
    const_slots: HashMap<ConstVal, Slot>,
    param_slots: Vec<Slot>,
    let_slots: Vec<Option<Slot>>,
    output_slots: Vec<Option<Slot>>,
    rule_status: Vec<Option<Slot>>,
    rules: Vec<Option<RuleInfo>>,
    tables: Vec<Option<TableInfo>>,
    outputs: Vec<OutputInfo>,
    let_reads: Vec<Option<Vec<u32>>>,
    output_reads: Vec<Option<Vec<u32>>>,
    /// Pure instructions already emitted (with a placeholder destination), and their slots.
    cse: HashMap<Instr, Slot>,
    /// The keys added to `cse` inside each open region that may be skipped at run time.
    cse_log: Vec<Vec<Instr>>,
    limits: Limits,
    /// How deeply the expression being compiled is nested.
    depth: usize,
}

impl<'a> Compiler<'a> {
    fn new(rs: &'a hir::Ruleset, limits: Limits) -> Compiler<'a> {
        Compiler {
            rs,
            limits,
            depth: 0,
            code: Vec::new(),
            pool: Vec::new(),
            slots: rs.inputs.len() as u32,
            consts: Vec::new(),
            const_slots: HashMap::new(),
            param_slots: Vec::new(),
            let_slots: vec![None; rs.lets.len()],
            output_slots: vec![None; rs.outputs.len()],
            rule_status: vec![None; rs.rules.len()],
            rules: vec![None; rs.rules.len()],
            tables: vec![None; rs.tables.len()],
            outputs: Vec::new(),
            let_reads: vec![None; rs.lets.len()],
            output_reads: vec![None; rs.outputs.len()],
            cse: HashMap::new(),
            cse_log: vec![Vec::new()],
        }
    }

    fn slot(&mut self) -> Slot {
        let s = self.slots;
        self.slots += 1;
        s
    }

    fn constant(&mut self, c: ConstVal) -> Slot {
        if let Some(s) = self.const_slots.get(&c) {
            return *s;
        }
        let s = self.slot();
        self.consts.push((s, c.clone()));
        self.const_slots.insert(c, s);
        s
    }

    /// Emits a pure instruction, or reuses the slot of an identical one already emitted
    /// where it is certain to have run.
    fn emit(&mut self, make: impl Fn(Slot) -> Instr) -> Slot {
        let key = make(Slot::MAX);
        if let Some(s) = self.cse.get(&key) {
            return *s;
        }
        let dst = self.slot();
        self.code.push(make(dst));
        self.cse.insert(key, dst);
        if let Some(log) = self.cse_log.last_mut() {
            log.push(key);
        }
        dst
    }

    fn pool(&mut self, slots: &[Slot]) -> (u32, u32) {
        let start = self.pool.len() as u32;
        self.pool.extend_from_slice(slots);
        (start, slots.len() as u32)
    }

    fn run(&mut self) -> Result<(), CompileError> {
        let rs = self.rs;
        for _ in &rs.params {
            let s = self.slot();
            self.param_slots.push(s);
        }
        // Bound parameters are computed from the importer's expressions first.
        for (i, p) in rs.params.iter().enumerate() {
            if let Some(e) = &p.bound {
                let v = self.expr(e)?;
                let dst = self.param_slots[i];
                self.code.push(Instr::Copy { dst, src: v });
            }
        }
        for node in &rs.order {
            match *node {
                Node::Let(id) => {
                    let def = &rs.lets[id.0 as usize];
                    if matches!(def.ty, hir::Type::List(_))
                        && matches!(def.value.kind, ExprKind::List(_))
                    {
                        continue; // Inlined where it is used.
                    }
                    let s = self.expr(&def.value)?;
                    self.let_slots[id.0 as usize] = Some(s);
                }
                Node::Rule(id) => self.rule(id)?,
                Node::Table(id) => self.table(id)?,
                Node::Output(id) => self.output(id)?,
            }
        }
        if let Some(i) = self.rules.iter().position(Option::is_none) {
            return Err(CompileError::unsupported(format!(
                "rule `{}` is not in the evaluation order",
                rs.rules[i].name
            )));
        }
        if let Some(i) = self.tables.iter().position(Option::is_none) {
            return Err(CompileError::unsupported(format!(
                "table `{}` is not in the evaluation order",
                rs.tables[i].name
            )));
        }
        // Outputs never reached by the order (none, if the checker kept its invariant).
        for i in 0..rs.outputs.len() {
            if self.output_slots[i].is_none() {
                return Err(CompileError::unsupported(format!(
                    "output `{}` is not in the evaluation order",
                    rs.outputs[i].name
                )));
            }
        }
        Ok(())
    }

    fn rule(&mut self, id: hir::RuleId) -> Result<(), CompileError> {
        let def = &self.rs.rules[id.0 as usize];
        let cond = self.expr(&def.condition)?;
        let mut exc = Vec::new();
        for e in &def.exceptions {
            match self.rule_status[e.0 as usize] {
                Some(s) => exc.push(s),
                None => {
                    return Err(CompileError::unsupported(format!(
                        "exception to `{}` is ordered after it",
                        def.name
                    )));
                }
            }
        }
        // A rule with no exceptions fires exactly when its condition holds.
        let status = if exc.is_empty() {
            cond
        } else {
            let status = self.slot();
            let (start, len) = self.pool(&exc);
            self.code.push(Instr::Rule {
                dst: status,
                cond,
                start,
                len,
            });
            status
        };
        self.rule_status[id.0 as usize] = Some(status);
        let rule_index = id.0;
        let mut values = Vec::new();
        for a in &def.actions {
            let v = self.expr(&a.value)?;
            values.push((a.output, a.kind, v));
        }
        let thresholds = self.thresholds(&def.condition, 0);
        let reads = self.reads(&def.condition);
        self.rules[id.0 as usize] = Some(RuleInfo {
            name: def.name.clone(),
            label: def.label.clone(),
            sources: def.sources.clone(),
            status,
            cond,
            exception_to: def.exception_to.map(|r| r.0),
            reads,
            thresholds,
            public: def.loc.file.0 == 0,
        });
        for (output, _kind, value) in values {
            self.pending_contribution(
                output,
                Contribution {
                    status,
                    value,
                    source: Origin::Rule(rule_index),
                },
            );
        }
        Ok(())
    }

    fn pending_contribution(&mut self, output: hir::OutputId, c: Contribution) {
        self.ensure_outputs();
        if let Some(o) = self.outputs.get_mut(output.0 as usize) {
            o.contributions.push(c);
        }
    }

    /// Creates the output records up front so rules and tables can attach to them.
    fn ensure_outputs(&mut self) {
        if !self.outputs.is_empty() || self.rs.outputs.is_empty() {
            return;
        }
        for o in &self.rs.outputs {
            let combine = match &o.value {
                hir::OutputValue::Rules { combine, .. } => match combine {
                    hir::Combine::Max => Combine::Max,
                    hir::Combine::Union => Combine::Union,
                    hir::Combine::Single => Combine::Single,
                },
                hir::OutputValue::Computed(_) => Combine::Single,
            };
            self.outputs.push(OutputInfo {
                name: o.name.clone(),
                ty: ty(&o.ty),
                label: o.label.clone(),
                public: o.public,
                slot: 0,
                computed: matches!(o.value, hir::OutputValue::Computed(_)),
                combine,
                default: None,
                contributions: Vec::new(),
                tables: Vec::new(),
                reads: Vec::new(),
            });
        }
    }

    fn table(&mut self, id: hir::TableId) -> Result<(), CompileError> {
        self.ensure_outputs();
        let def = &self.rs.tables[id.0 as usize];
        let mut columns = Vec::new();
        let mut reads = Vec::new();
        for c in &def.columns {
            columns.push(self.expr(c)?);
            reads.extend(self.reads(c));
        }
        let mut rows = Vec::new();
        let mut parts: Vec<Vec<Option<Slot>>> = vec![Vec::new(); def.outputs.len()];
        for row in &def.rows {
            let mut cells = Vec::new();
            for cell in &row.cells {
                cells.push(match cell {
                    hir::CellTest::Any => CellInfo::Any,
                    hir::CellTest::OneOf(cs) => {
                        CellInfo::OneOf(cs.iter().map(|c| self.constant(const_val(c))).collect())
                    }
                    hir::CellTest::Compare(op, c) => {
                        CellInfo::Compare(cmp(*op), self.constant(const_val(c)))
                    }
                    hir::CellTest::Range(a, b) => {
                        CellInfo::Range(self.constant(const_val(a)), self.constant(const_val(b)))
                    }
                    hir::CellTest::CompareExpr(op, e) => {
                        reads.extend(self.reads(e));
                        CellInfo::Compare(cmp(*op), self.expr(e)?)
                    }
                });
            }
            for (j, action) in row.actions.iter().enumerate() {
                let v = match action {
                    Some(a) => Some(self.expr(&a.value)?),
                    None => None,
                };
                if let Some(p) = parts.get_mut(j) {
                    p.push(v);
                }
            }
            rows.push(RowInfo {
                cells,
                docs: row.docs.clone(),
            });
        }
        reads.sort_unstable();
        reads.dedup();
        let table_index = id.0;
        let index = index::build(&self.consts, &def.columns, &rows);
        self.tables[id.0 as usize] = Some(TableInfo {
            name: def.name.clone(),
            label: def.label.clone(),
            sources: def.sources.clone(),
            first: def.hit == hir::HitPolicy::First,
            columns,
            rows,
            reads,
            index,
            public: def.loc.file.0 == 0,
        });
        self.code.push(Instr::Table { table: table_index });
        for (j, out) in def.outputs.iter().enumerate() {
            let values = parts.get(j).cloned().unwrap_or_default();
            if let Some(o) = self.outputs.get_mut(out.0 as usize) {
                o.tables.push(TablePart {
                    table: table_index,
                    values,
                });
            }
        }
        Ok(())
    }

    fn output(&mut self, id: hir::OutputId) -> Result<(), CompileError> {
        self.ensure_outputs();
        let def = &self.rs.outputs[id.0 as usize];
        let i = id.0 as usize;
        match &def.value {
            hir::OutputValue::Computed(e) => {
                let s = self.expr(e)?;
                let reads = self.reads(e);
                self.output_slots[i] = Some(s);
                if let Some(o) = self.outputs.get_mut(i) {
                    o.slot = s;
                    o.reads = reads;
                }
            }
            hir::OutputValue::Rules { default, .. } => {
                let d = match default {
                    Some(e) => Some(self.expr(e)?),
                    None => None,
                };
                let s = self.slot();
                self.output_slots[i] = Some(s);
                let reads = self.output_reads_of(id);
                if let Some(o) = self.outputs.get_mut(i) {
                    o.slot = s;
                    o.default = d;
                    o.reads = reads;
                }
                self.code.push(Instr::Output { output: id.0 });
            }
        }
        Ok(())
    }

    fn output_reads_of(&mut self, id: hir::OutputId) -> Vec<u32> {
        if let Some(r) = &self.output_reads[id.0 as usize] {
            return r.clone();
        }
        let mut reads = Vec::new();
        if let Some(o) = self.outputs.get(id.0 as usize) {
            for c in &o.contributions {
                if let Origin::Rule(r) = c.source
                    && let Some(Some(info)) = self.rules.get(r as usize)
                {
                    reads.extend(info.reads.iter().copied());
                }
            }
            for t in &o.tables {
                if let Some(Some(info)) = self.tables.get(t.table as usize) {
                    reads.extend(info.reads.iter().copied());
                }
            }
        }
        if let hir::OutputValue::Computed(e) = &self.rs.outputs[id.0 as usize].value {
            reads.extend(self.reads(e));
        }
        // Exceptions read what their base rules' statuses read.
        reads.sort_unstable();
        reads.dedup();
        self.output_reads[id.0 as usize] = Some(reads.clone());
        reads
    }

    /// The inputs an expression reads, through derived values and outputs.
    fn reads(&mut self, e: &hir::Expr) -> Vec<u32> {
        let mut out = Vec::new();
        self.collect_reads(e, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    fn collect_reads(&mut self, e: &hir::Expr, out: &mut Vec<u32>) {
        match &e.kind {
            ExprKind::Input(i) => out.push(i.0),
            ExprKind::Let(l) => {
                let cached = self.let_reads[l.0 as usize].clone();
                let r = match cached {
                    Some(r) => r,
                    None => {
                        let def = &self.rs.lets[l.0 as usize];
                        let r = self.reads(&def.value);
                        self.let_reads[l.0 as usize] = Some(r.clone());
                        r
                    }
                };
                out.extend(r);
            }
            ExprKind::Output(o) => {
                let r = self.output_reads_of(*o);
                out.extend(r);
            }
            ExprKind::Param(p) => {
                if let Some(b) = &self.rs.params[p.0 as usize].bound {
                    self.collect_reads(b, out);
                }
            }
            _ => e.for_each_child(|c| self.collect_reads(c, out)),
        }
    }

    /// Threshold comparisons reachable through `and` chains and boolean derived values.
    fn thresholds(&mut self, e: &hir::Expr, depth: u32) -> Vec<Threshold> {
        if depth > 8 {
            return Vec::new();
        }
        match &e.kind {
            ExprKind::And(a, b) => {
                let mut t = self.thresholds(a, depth + 1);
                t.extend(self.thresholds(b, depth + 1));
                t
            }
            ExprKind::Let(l) => {
                let def = &self.rs.lets[l.0 as usize];
                self.thresholds(&def.value, depth + 1)
            }
            ExprKind::Cmp(op, a, b)
                if matches!(a.ty, hir::Type::Int | hir::Type::Number)
                    && !matches!(op, hir::CmpOp::Eq | hir::CmpOp::Ne) =>
            {
                let (Some(value), Some(limit)) = (self.simple_slot(a), self.simple_slot(b)) else {
                    return Vec::new();
                };
                vec![Threshold {
                    subject: self.describe(a),
                    value,
                    op: cmp(*op),
                    limit,
                    limit_name: self.describe(b),
                }]
            }
            _ => Vec::new(),
        }
    }

    /// The slot of an expression that needs no code (a name or a constant).
    fn simple_slot(&mut self, e: &hir::Expr) -> Option<Slot> {
        match &e.kind {
            ExprKind::Const(c) => Some(self.constant(const_val(c))),
            ExprKind::Input(i) => Some(i.0),
            ExprKind::Param(p) => self.param_slots.get(p.0 as usize).copied(),
            ExprKind::Let(l) => self.let_slots.get(l.0 as usize).copied().flatten(),
            ExprKind::Output(o) => self.output_slots.get(o.0 as usize).copied().flatten(),
            _ => None,
        }
    }

    fn describe(&self, e: &hir::Expr) -> String {
        match &e.kind {
            ExprKind::Const(hir::Const::Int(i)) => i.to_string(),
            ExprKind::Const(hir::Const::Number(n)) => n.to_string(),
            ExprKind::Input(i) => self.rs.inputs[i.0 as usize].name.clone(),
            ExprKind::Param(p) => self.rs.params[p.0 as usize].name.clone(),
            ExprKind::Let(l) => self.rs.lets[l.0 as usize].name.clone(),
            ExprKind::Output(o) => self.rs.outputs[o.0 as usize].name.clone(),
            _ => "the value".to_string(),
        }
    }

    /// Compiles an expression and returns the slot holding its value, refusing one nested
    /// deeper than the limit.
    fn expr(&mut self, e: &hir::Expr) -> Result<Slot, CompileError> {
        if self.depth >= self.limits.max_expr_depth {
            let mut err = CompileError::limit(format!(
                "a formula is nested more than {} deep",
                self.limits.max_expr_depth
            ));
            err.loc = Some(e.loc);
            return Err(err);
        }
        self.depth += 1;
        let slot = self.expr_inner(e);
        self.depth -= 1;
        slot
    }

    fn expr_inner(&mut self, e: &hir::Expr) -> Result<Slot, CompileError> {
        Ok(match &e.kind {
            ExprKind::Const(c) => self.constant(const_val(c)),
            ExprKind::Input(i) => i.0,
            ExprKind::Param(p) => self.param_slots[p.0 as usize],
            ExprKind::Let(l) => match self.let_slots[l.0 as usize] {
                Some(s) => s,
                None => {
                    let def = &self.rs.lets[l.0 as usize];
                    if matches!(def.value.kind, ExprKind::List(_)) {
                        return self.expr(&def.value);
                    }
                    return Err(CompileError::unsupported(format!(
                        "`{}` is read before it is computed",
                        def.name
                    )));
                }
            },
            ExprKind::Output(o) => match self.output_slots[o.0 as usize] {
                Some(s) => s,
                None => {
                    return Err(CompileError::unsupported(format!(
                        "output `{}` is read before it is computed",
                        self.rs.outputs[o.0 as usize].name
                    )));
                }
            },
            ExprKind::List(items) => {
                let mut consts = Vec::new();
                for i in items {
                    match &i.kind {
                        ExprKind::Const(c) => consts.push(const_val(c)),
                        _ => {
                            return Err(CompileError::unsupported(
                                "a list of computed values can only be counted or searched".into(),
                            ));
                        }
                    }
                }
                self.constant(ConstVal::List(consts))
            }
            ExprKind::Set(items) => {
                let mut slots = Vec::new();
                for i in items {
                    slots.push(self.expr(i)?);
                }
                let (start, len) = self.pool(&slots);
                self.emit(|dst| Instr::MakeSet { dst, start, len })
            }
            ExprKind::Not(a) => {
                let a = self.expr(a)?;
                self.emit(|dst| Instr::Not { dst, a })
            }
            ExprKind::Neg(a) => {
                let a = self.expr(a)?;
                self.emit(|dst| Instr::Neg { dst, a })
            }
            ExprKind::And(a, b) => self.logic(a, b, true)?,
            ExprKind::Or(a, b) => self.logic(a, b, false)?,
            ExprKind::Implies(a, b) => {
                let a = self.expr(a)?;
                let na = self.slot();
                self.code.push(Instr::Not { dst: na, a });
                let b = self.expr(b)?;
                let dst = self.slot();
                self.code.push(Instr::Or { dst, a: na, b });
                dst
            }
            ExprKind::Cmp(op, a, b) => {
                // An answer compared with an answer constant is a definite `is` test.
                if a.ty == hir::Type::Answer {
                    if let ExprKind::Const(c) = &b.kind {
                        return self.answer_cmp(*op, a, c);
                    }
                    if let ExprKind::Const(c) = &a.kind {
                        return self.answer_cmp(*op, b, c);
                    }
                }
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                self.emit(|dst| Instr::Cmp {
                    dst,
                    op: cmp(*op),
                    a,
                    b,
                })
            }
            ExprKind::Arith(op, a, b) => {
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                let dst = self.slot();
                let op = match op {
                    hir::ArithOp::Add => BinOp::Add,
                    hir::ArithOp::Sub => BinOp::Sub,
                    hir::ArithOp::Mul => BinOp::Mul,
                    hir::ArithOp::Div => BinOp::Div,
                };
                self.code.push(Instr::Bin { dst, op, a, b });
                dst
            }
            ExprKind::SetOp(op, a, b) => {
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                let dst = self.slot();
                let op = match op {
                    hir::SetOp::Union => BinOp::Union,
                    hir::SetOp::Intersect => BinOp::Intersect,
                    hir::SetOp::Without => BinOp::Without,
                };
                self.code.push(Instr::Bin { dst, op, a, b });
                dst
            }
            ExprKind::DateShift {
                date,
                amount,
                unit,
                subtract,
            } => {
                let date = self.expr(date)?;
                let amount = self.expr(amount)?;
                self.emit(|dst| Instr::Shift {
                    dst,
                    date,
                    amount,
                    unit: *unit,
                    subtract: *subtract,
                })
            }
            ExprKind::Is(a, test) => {
                let a = self.expr(a)?;
                self.emit(|dst| Instr::Is {
                    dst,
                    a,
                    test: is_test(*test),
                })
            }
            ExprKind::In(a, coll) => {
                if let ExprKind::List(items) = &coll.kind
                    && items.iter().any(|i| !matches!(i.kind, ExprKind::Const(_)))
                {
                    // `x in [a, b]` with computed elements: a chain of equalities.
                    let x = self.expr(a)?;
                    let mut acc = self.constant(ConstVal::Bool(false));
                    for i in items {
                        let v = self.expr(i)?;
                        let eq = self.slot();
                        self.code.push(Instr::Cmp {
                            dst: eq,
                            op: Cmp::Eq,
                            a: x,
                            b: v,
                        });
                        let dst = self.slot();
                        self.code.push(Instr::Or { dst, a: acc, b: eq });
                        acc = dst;
                    }
                    return Ok(acc);
                }
                let a = self.expr(a)?;
                let b = self.expr(coll)?;
                self.emit(|dst| Instr::In { dst, a, b })
            }
            ExprKind::Within {
                date,
                amount,
                unit,
                direction,
                anchor,
            } => {
                let date = self.expr(date)?;
                let (lo, hi) = self.window(amount, *unit, *direction, anchor)?;
                self.emit(|dst| Instr::Between { dst, date, lo, hi })
            }
            ExprKind::CountValue(what, list) => {
                let what = counted(*what);
                let items = self.list_items(list);
                match items {
                    Some(items) => {
                        let mut slots = Vec::new();
                        for i in &items {
                            slots.push(self.expr(i)?);
                        }
                        let (start, len) = self.pool(&slots);
                        self.emit(|dst| Instr::CountSlots {
                            dst,
                            what,
                            start,
                            len,
                        })
                    }
                    None => {
                        let list = self.expr(list)?;
                        self.emit(|dst| Instr::CountList { dst, what, list })
                    }
                }
            }
            ExprKind::CountWithin {
                list,
                amount,
                unit,
                direction,
                anchor,
            } => {
                let list = self.expr(list)?;
                let (lo, hi) = self.window(amount, *unit, *direction, anchor)?;
                self.emit(|dst| Instr::CountBetween { dst, list, lo, hi })
            }
            ExprKind::CountBetween(list, lo, hi) => {
                let list = self.expr(list)?;
                let lo = self.expr(lo)?;
                let hi = self.expr(hi)?;
                self.emit(|dst| Instr::CountBetween { dst, list, lo, hi })
            }
            ExprKind::CountAll(a) => {
                if let Some(items) = self.list_items(a) {
                    return Ok(self.constant(ConstVal::Int(items.len() as i64)));
                }
                let a = self.expr(a)?;
                self.emit(|dst| Instr::CountAll { dst, a })
            }
            ExprKind::If(c, a, b) => {
                let c = self.expr(c)?;
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                self.emit(|dst| Instr::Select { dst, c, a, b })
            }
            ExprKind::Min(args) | ExprKind::Max(args) => {
                let mut slots = Vec::new();
                for a in args {
                    slots.push(self.expr(a)?);
                }
                let (start, len) = self.pool(&slots);
                self.emit(|dst| Instr::MinMax {
                    dst,
                    max: matches!(e.kind, ExprKind::Max(_)),
                    start,
                    len,
                })
            }
        })
    }

    /// The elements of a list written in the ruleset (directly or through a derived value).
    fn list_items(&self, e: &hir::Expr) -> Option<Vec<hir::Expr>> {
        match &e.kind {
            ExprKind::List(items) => Some(items.clone()),
            ExprKind::Let(l) => {
                let def = &self.rs.lets[l.0 as usize];
                match &def.value.kind {
                    ExprKind::List(items) => Some(items.clone()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn window(
        &mut self,
        amount: &hir::Expr,
        unit: Unit,
        direction: hir::Direction,
        anchor: &hir::Expr,
    ) -> Result<(Slot, Slot), CompileError> {
        let amount = self.expr(amount)?;
        let anchor = self.expr(anchor)?;
        let subtract = direction == hir::Direction::Before;
        let moved = self.emit(|dst| Instr::Shift {
            dst,
            date: anchor,
            amount,
            unit,
            subtract,
        });
        Ok(if subtract {
            (moved, anchor)
        } else {
            (anchor, moved)
        })
    }

    fn answer_cmp(
        &mut self,
        op: hir::CmpOp,
        a: &hir::Expr,
        c: &hir::Const,
    ) -> Result<Slot, CompileError> {
        let test = match c {
            hir::Const::Answer(Answer::Yes) => Test::Yes,
            hir::Const::Answer(Answer::No) => Test::No,
            _ => Test::Unknown,
        };
        let a = self.expr(a)?;
        let dst = self.emit(|dst| Instr::Is { dst, a, test });
        if op == hir::CmpOp::Ne {
            return Ok(self.emit(|n| Instr::Not { dst: n, a: dst }));
        }
        Ok(dst)
    }

    /// `and` (`is_and`) or `or`, skipping the right side when the left side decides.
    fn logic(&mut self, a: &hir::Expr, b: &hir::Expr, is_and: bool) -> Result<Slot, CompileError> {
        let sa = self.expr(a)?;
        let dst = self.slot();
        self.code.push(Instr::Copy { dst, src: sa });
        let jump_at = self.code.len();
        self.code.push(if is_and {
            Instr::SkipIfFalse { a: dst, skip: 0 }
        } else {
            Instr::SkipIfTrue { a: dst, skip: 0 }
        });
        self.cse_log.push(Vec::new());
        let sb = self.expr(b);
        let inner = self.cse_log.pop().unwrap_or_default();
        let sb = sb?;
        if self.code.len() - jump_at - 1 <= SHORT_RIGHT_SIDE {
            // The right side costs less than the jump: drop the copy and the jump. Its
            // instructions now always run, so what they computed may be reused anywhere.
            if let Some(log) = self.cse_log.last_mut() {
                log.extend(inner);
            }
            self.code.drain(jump_at - 1..=jump_at);
            self.code.push(if is_and {
                Instr::And { dst, a: sa, b: sb }
            } else {
                Instr::Or { dst, a: sa, b: sb }
            });
            return Ok(dst);
        }
        // What the skippable right side computed may not have run: forget it.
        for key in inner {
            self.cse.remove(&key);
        }
        self.code.push(if is_and {
            Instr::And { dst, a: dst, b: sb }
        } else {
            Instr::Or { dst, a: dst, b: sb }
        });
        let skip = (self.code.len() - jump_at - 1) as u32;
        if let Some(j) = self.code.get_mut(jump_at) {
            *j = if is_and {
                Instr::SkipIfFalse { a: dst, skip }
            } else {
                Instr::SkipIfTrue { a: dst, skip }
            };
        }
        Ok(dst)
    }

    fn finish(mut self) -> Program {
        self.ensure_outputs();
        let rs = self.rs;
        let meta = Meta {
            id: rs.meta.id.clone(),
            version: rs.meta.version.clone(),
            title: rs.meta.title.clone(),
            effective_from: rs.meta.effective_from,
            effective_until: rs.meta.effective_until,
            sources: rs
                .meta
                .sources
                .iter()
                .map(|s| (s.key.clone(), s.citation.clone(), s.link.clone()))
                .collect(),
        };
        let enums = rs
            .enums
            .iter()
            .map(|e| EnumInfo {
                name: e.name.clone(),
                ordered: e.ordered,
                variants: e.variants.iter().map(|v| v.name.clone()).collect(),
                labels: e.variants.iter().map(|v| v.label.clone()).collect(),
            })
            .collect();
        let inputs = rs
            .inputs
            .iter()
            .enumerate()
            .map(|(i, d)| InputInfo {
                name: d.name.clone(),
                ty: ty(&d.ty),
                optional: d.optional,
                range: range(&d.range),
                label: d.label.clone(),
                slot: i as u32,
            })
            .collect();
        let params = rs
            .params
            .iter()
            .enumerate()
            .map(|(i, d)| ParamInfo {
                name: d.name.clone(),
                ty: ty(&d.ty),
                range: range(&d.range),
                default: const_val(&d.default),
                label: d.label.clone(),
                sources: d.sources.clone(),
                slot: self.param_slots[i],
                overridable: d.bound.is_none(),
            })
            .collect();
        Program {
            meta,
            enums,
            inputs,
            params,
            consts: self.consts,
            rules: self.rules.into_iter().flatten().collect(),
            tables: self.tables.into_iter().flatten().collect(),
            outputs: self.outputs,
            code: self.code,
            pool: self.pool,
            slots: self.slots,
        }
    }
}

fn ty(t: &hir::Type) -> Ty {
    match t {
        hir::Type::Answer => Ty::Answer,
        hir::Type::Bool => Ty::Bool,
        hir::Type::Int | hir::Type::Duration => Ty::Int,
        hir::Type::Number => Ty::Number,
        hir::Type::Text => Ty::Text,
        hir::Type::Date => Ty::Date,
        hir::Type::Enum(e) => Ty::Enum(e.0),
        hir::Type::Set(e) => Ty::Set(e.0),
        hir::Type::List(inner) => Ty::List(Box::new(ty(inner))),
    }
}

fn range(r: &Option<hir::Range>) -> (Option<ConstVal>, Option<ConstVal>) {
    match r {
        Some(r) => (r.lo.as_ref().map(const_val), r.hi.as_ref().map(const_val)),
        None => (None, None),
    }
}

/// The program's form of a checked constant.
pub fn const_val(c: &hir::Const) -> ConstVal {
    match c {
        hir::Const::Unknown | hir::Const::Answer(Answer::Unknown) => ConstVal::Unknown,
        hir::Const::Answer(a) => ConstVal::Answer(*a),
        hir::Const::Bool(b) => ConstVal::Bool(*b),
        hir::Const::Int(i) => ConstVal::Int(*i),
        hir::Const::Number(n) => ConstVal::Num(*n),
        hir::Const::Text(t) => ConstVal::Text(t.to_string()),
        hir::Const::Date(d) => ConstVal::Date(*d),
        hir::Const::Duration(n, _) => ConstVal::Int(*n),
        hir::Const::Enum(_, v) => ConstVal::Enum(*v),
        hir::Const::Set(_, bits) => ConstVal::Set(*bits),
        hir::Const::List(items) => ConstVal::List(items.iter().map(const_val).collect()),
    }
}

fn cmp(op: hir::CmpOp) -> Cmp {
    match op {
        hir::CmpOp::Eq => Cmp::Eq,
        hir::CmpOp::Ne => Cmp::Ne,
        hir::CmpOp::Lt => Cmp::Lt,
        hir::CmpOp::Le => Cmp::Le,
        hir::CmpOp::Gt => Cmp::Gt,
        hir::CmpOp::Ge => Cmp::Ge,
    }
}

fn is_test(t: hir::IsTest) -> Test {
    match t {
        hir::IsTest::Yes => Test::Yes,
        hir::IsTest::No => Test::No,
        hir::IsTest::Unknown => Test::Unknown,
        hir::IsTest::Known => Test::Known,
        hir::IsTest::Empty => Test::Empty,
    }
}

fn counted(c: hir::CountValue) -> Counted {
    match c {
        hir::CountValue::Yes => Counted::Yes,
        hir::CountValue::No => Counted::No,
        hir::CountValue::Unknown => Counted::Unknown,
        hir::CountValue::True => Counted::True,
        hir::CountValue::False => Counted::False,
    }
}
