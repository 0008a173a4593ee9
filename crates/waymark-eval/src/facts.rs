//! The facts of one case, already converted to values in input order.
//!
//! Building facts (from JSON, from a typed builder) and validating them against the
//! ruleset's declared inputs is the facade's job; here they are plain values.

use waymark_ir::program::{Program, Val};

/// The facts of one case: one value per input, plus storage for texts and lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub(crate) vals: Vec<Val>,
    pub(crate) texts: Vec<String>,
    pub(crate) lists: Vec<Vec<Val>>,
}

impl Facts {
    /// Facts for a program with every input unknown.
    pub fn unknown(program: &Program) -> Facts {
        Facts {
            vals: vec![Val::Unknown; program.inputs.len()],
            texts: Vec::new(),
            lists: Vec::new(),
        }
    }

    /// Makes every input unknown again, keeping the storage for reuse.
    pub fn reset(&mut self) {
        self.vals.iter_mut().for_each(|v| *v = Val::Unknown);
        self.texts.clear();
        self.lists.clear();
    }

    /// Sets input `i` to a scalar value (not a text or list).
    pub fn set(&mut self, i: usize, v: Val) {
        if let Some(x) = self.vals.get_mut(i) {
            *x = v;
        }
    }

    /// Sets input `i` to a text.
    pub fn set_text(&mut self, i: usize, text: String) {
        self.texts.push(text);
        let id = (self.texts.len() - 1) as u32;
        self.set(i, Val::Text(id));
    }

    /// Sets input `i` to a list of scalar values.
    pub fn set_list(&mut self, i: usize, items: Vec<Val>) {
        self.lists.push(items);
        let id = (self.lists.len() - 1) as u32;
        self.set(i, Val::List(id));
    }

    /// The value of input `i`.
    pub fn get(&self, i: usize) -> Val {
        self.vals.get(i).copied().unwrap_or(Val::Unknown)
    }

    /// The number of inputs.
    pub fn len(&self) -> usize {
        self.vals.len()
    }

    /// True when there are no inputs.
    pub fn is_empty(&self) -> bool {
        self.vals.is_empty()
    }

    /// The elements of a list value held by these facts.
    pub fn list(&self, v: Val) -> Option<&[Val]> {
        match v {
            Val::List(id) if id & waymark_ir::program::CONST_REF == 0 => {
                self.lists.get(id as usize).map(Vec::as_slice)
            }
            _ => None,
        }
    }

    /// The text of a text value held by these facts.
    pub fn text(&self, v: Val) -> Option<&str> {
        match v {
            Val::Text(id) if id & waymark_ir::program::CONST_REF == 0 => {
                self.texts.get(id as usize).map(String::as_str)
            }
            _ => None,
        }
    }
}
