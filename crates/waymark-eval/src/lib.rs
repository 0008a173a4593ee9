//! The hot path: a verified [`Program`] × [`Facts`] → output values, then, on request, an
//! [`Explanation`] of why.
//!
//! **Architecture invariant:** this crate depends on `waymark-ir` alone. It never sees
//! source text. Evaluation is pure: no I/O, no clock, no randomness; it runs the program's
//! code once, top to bottom, so its cost is bounded by the program's size and the facts'
//! list lengths. After a [`Scratch`] is warmed up, evaluation allocates nothing.

mod explain;
mod facts;
mod ops;
mod specialize;

use waymark_ir::program::*;
use waymark_ir::{VerifyError, verify};

pub use explain::{Explanation, Miss, NextQuestion, OutputReason, Undetermined};
pub use facts::Facts;

/// A program bound to its parameter values, ready to evaluate many cases from many threads.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// A number no other `Loaded` in this process has, so a scratch area knows whose it is.
    id: u64,
    /// The program as compiled, before specialization, for binding other parameters.
    source: std::sync::Arc<Program>,
    /// The program specialized for these parameters.
    program: Program,
    /// Every slot's starting value: parameters and constants filled in, the rest unknown.
    template: Vec<Val>,
    /// Texts of the program's constants.
    texts: Vec<String>,
    /// Lists of the program's constants.
    lists: Vec<Vec<Val>>,
    /// Parameter values in force, by parameter index.
    params: Vec<ConstVal>,
}

/// Why parameter values were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    /// No parameter has this name.
    Unknown(String),
    /// The parameter is bound by an importing ruleset.
    NotOverridable(String),
    /// The value has the wrong type.
    WrongType(String, String),
    /// The value is outside the allowed range.
    OutOfRange(String, String),
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamError::Unknown(n) => write!(f, "there is no parameter `{n}`"),
            ParamError::NotOverridable(n) => {
                write!(f, "parameter `{n}` is set by the ruleset that imports it")
            }
            ParamError::WrongType(n, t) => write!(f, "parameter `{n}` needs {t}"),
            ParamError::OutOfRange(n, r) => write!(f, "parameter `{n}` must be {r}"),
        }
    }
}

impl Loaded {
    /// Verifies a program and binds parameter overrides (by parameter index).
    pub fn new(program: Program, overrides: &[(usize, ConstVal)]) -> Result<Loaded, VerifyError> {
        verify(&program)?;
        let source = std::sync::Arc::new(program.clone());
        let mut texts = Vec::new();
        let mut lists = Vec::new();
        let mut template = vec![Val::Unknown; program.slots as usize];
        for (slot, c) in &program.consts {
            let v = store_const(c, &mut texts, &mut lists);
            if let Some(t) = template.get_mut(*slot as usize) {
                *t = v;
            }
        }
        let mut params: Vec<ConstVal> = program.params.iter().map(|p| p.default.clone()).collect();
        for (i, v) in overrides {
            if let Some(p) = params.get_mut(*i) {
                *p = v.clone();
            }
        }
        for (info, value) in program.params.iter().zip(&params) {
            let v = store_const(value, &mut texts, &mut lists);
            if let Some(t) = template.get_mut(info.slot as usize) {
                *t = v;
            }
        }
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut loaded = Loaded {
            id,
            source,
            program,
            template,
            texts,
            lists,
            params,
        };
        if std::env::var_os("WAYMARK_NO_SPECIALIZE").is_none() {
            specialize::specialize(&mut loaded);
        }
        Ok(loaded)
    }

    /// The program, specialized for the bound parameters.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The program as compiled, before specialization: bind other parameters to this.
    pub fn compiled(&self) -> &Program {
        &self.source
    }

    /// The same program with other parameter values (by parameter index).
    pub fn rebind(&self, overrides: &[(usize, ConstVal)]) -> Result<Loaded, VerifyError> {
        Loaded::new(self.source.as_ref().clone(), overrides)
    }

    /// The parameter values in force, by parameter index.
    pub fn params(&self) -> &[ConstVal] {
        &self.params
    }

    /// A scratch area sized for this program.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            owner: self.id,
            slots: self.template.clone(),
            hits: vec![Vec::new(); self.program.tables.len()],
            words: Vec::new(),
        }
    }

    /// Evaluates one case into the scratch. Read outputs with [`Loaded::output`].
    pub fn run(&self, facts: &Facts, scratch: &mut Scratch) {
        if scratch.owner != self.id {
            // A scratch area made for another program (or another binding): start afresh.
            *scratch = self.scratch();
        }
        let n = self.program.inputs.len().min(scratch.slots.len());
        // Inputs come from the facts; everything the code writes is rewritten each run,
        // and parameters and constants are never written, so only inputs need copying.
        for (dst, src) in scratch.slots[..n].iter_mut().zip(facts.vals.iter()) {
            *dst = *src;
        }
        ops::run(self, facts, scratch);
    }

    /// The value of output `i` after [`Loaded::run`] (`Unknown` when undetermined).
    pub fn output(&self, scratch: &Scratch, i: usize) -> Val {
        self.program
            .outputs
            .get(i)
            .and_then(|o| scratch.slots.get(o.slot as usize))
            .copied()
            .unwrap_or(Val::Unknown)
    }

    /// Resolves a text value to its characters.
    pub fn text<'a>(&'a self, facts: &'a Facts, v: u32) -> &'a str {
        if v & CONST_REF != 0 {
            self.texts
                .get((v & !CONST_REF) as usize)
                .map_or("", String::as_str)
        } else {
            facts.texts.get(v as usize).map_or("", String::as_str)
        }
    }

    /// Resolves a list value to its elements.
    pub fn list<'a>(&'a self, facts: &'a Facts, v: u32) -> &'a [Val] {
        if v & CONST_REF != 0 {
            self.lists
                .get((v & !CONST_REF) as usize)
                .map_or(&[], Vec::as_slice)
        } else {
            facts.lists.get(v as usize).map_or(&[], Vec::as_slice)
        }
    }
}

fn store_const(c: &ConstVal, texts: &mut Vec<String>, lists: &mut Vec<Vec<Val>>) -> Val {
    match c {
        ConstVal::Unknown => Val::Unknown,
        ConstVal::Bool(b) => Val::Bool(*b),
        ConstVal::Answer(waymark_ir::Answer::Unknown) => Val::Unknown,
        ConstVal::Answer(a) => Val::Answer(*a),
        ConstVal::Int(i) => Val::Int(*i),
        ConstVal::Num(n) => Val::Num(*n),
        ConstVal::Date(d) => Val::Date(*d),
        ConstVal::Enum(e) => Val::Enum(*e),
        ConstVal::Set(s) => Val::Set(*s),
        ConstVal::Text(t) => {
            texts.push(t.clone());
            Val::Text((texts.len() as u32 - 1) | CONST_REF)
        }
        ConstVal::List(items) => {
            let vals = items.iter().map(|i| store_const(i, texts, lists)).collect();
            lists.push(vals);
            Val::List((lists.len() as u32 - 1) | CONST_REF)
        }
    }
}

/// Working memory for evaluation, reused between cases.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    /// The id of the `Loaded` this scratch area was made for.
    pub(crate) owner: u64,
    pub(crate) slots: Vec<Val>,
    /// For each table, the rows whose status is true or unknown, in row order.
    pub(crate) hits: Vec<Vec<(u32, Val)>>,
    pub(crate) words: Vec<u64>,
}

impl Scratch {
    /// The value in a slot.
    pub fn slot(&self, s: Slot) -> Val {
        self.slots.get(s as usize).copied().unwrap_or(Val::Unknown)
    }
}
