//! The evaluation order: what each let, rule, table and output needs first; cycles; and
//! inputs, parameters and derived values that nothing reads.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};

use waymark_diagnostics::{Code, Diagnostic, Span};

use crate::checker::{Checker, Decl, Owner, Writer};
use crate::hir::{Expr, FileId, InputId, LetId, Node, OutputId, ParamId, RuleId, TableId};
use crate::load::InstId;

/// Calls `f` on `e` and every expression inside it, parents first.
pub(crate) fn visit(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    e.for_each_child(|c| visit(c, f));
}

/// Node numbering: lets, then rules, then tables, then outputs.
struct Nodes {
    lets: usize,
    rules: usize,
    tables: usize,
    outputs: usize,
}

impl Nodes {
    fn len(&self) -> usize {
        self.lets + self.rules + self.tables + self.outputs
    }

    fn index(&self, n: Node) -> usize {
        match n {
            Node::Let(l) => l.0 as usize,
            Node::Rule(r) => self.lets + r.0 as usize,
            Node::Table(t) => self.lets + self.rules + t.0 as usize,
            Node::Output(o) => self.lets + self.rules + self.tables + o.0 as usize,
        }
    }

    fn node(&self, i: usize) -> Node {
        if i < self.lets {
            Node::Let(LetId(i as u32))
        } else if i < self.lets + self.rules {
            Node::Rule(RuleId((i - self.lets) as u32))
        } else if i < self.lets + self.rules + self.tables {
            Node::Table(TableId((i - self.lets - self.rules) as u32))
        } else {
            Node::Output(OutputId((i - self.lets - self.rules - self.tables) as u32))
        }
    }
}

/// What the logic reads: every input, parameter and let.
struct Reads {
    inputs: HashSet<InputId>,
    params: HashSet<ParamId>,
    lets: HashSet<LetId>,
}

impl Checker<'_> {
    /// Computes the evaluation order, reports cycles, and warns about unused declarations.
    ///
    /// The reads of each node are the names recorded while it was checked, so a cycle is
    /// found even through an expression that had another error.
    pub(crate) fn check_order(&mut self) {
        let nodes = Nodes {
            lets: self.lets.len(),
            rules: self.rules.len(),
            tables: self.tables.len(),
            outputs: self.outputs.len(),
        };
        let n = nodes.len();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut reads = Reads {
            inputs: HashSet::new(),
            params: HashSet::new(),
            lets: HashSet::new(),
        };
        let mut bindings: HashMap<ParamId, Vec<Decl>> = HashMap::new();
        let mut params_read: Vec<ParamId> = Vec::new();
        for (owner, decl) in &self.recorded {
            match owner {
                Owner::Node(node) => {
                    let Some(slot) = deps.get_mut(nodes.index(*node)) else {
                        continue;
                    };
                    match decl {
                        Decl::Let(l) => {
                            slot.push(nodes.index(Node::Let(*l)));
                            reads.lets.insert(*l);
                        }
                        Decl::Output(o) => slot.push(nodes.index(Node::Output(*o))),
                        Decl::Input(i) => {
                            reads.inputs.insert(*i);
                        }
                        Decl::Param(p) => params_read.push(*p),
                        _ => {}
                    }
                }
                Owner::Binding(p) => bindings.entry(*p).or_default().push(*decl),
                Owner::None => {}
            }
        }
        // A parameter bound by an import reads what its binding reads.
        while let Some(p) = params_read.pop() {
            if !reads.params.insert(p) {
                continue;
            }
            for d in bindings.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
                match d {
                    Decl::Param(q) => params_read.push(*q),
                    Decl::Input(i) => {
                        reads.inputs.insert(*i);
                    }
                    Decl::Let(l) => {
                        reads.lets.insert(*l);
                    }
                    _ => {}
                }
            }
        }
        for (i, r) in self.rules.iter().enumerate() {
            if let Some(slot) = deps.get_mut(nodes.index(Node::Rule(RuleId(i as u32)))) {
                slot.extend(r.exceptions.iter().map(|e| nodes.index(Node::Rule(*e))));
            }
        }
        for (i, m) in self.output_meta.iter().enumerate() {
            let Some(slot) = deps.get_mut(nodes.index(Node::Output(OutputId(i as u32)))) else {
                continue;
            };
            for w in &m.writers {
                slot.push(match w {
                    Writer::Rule(r, _) => nodes.index(Node::Rule(*r)),
                    Writer::Row(t, _, _) => nodes.index(Node::Table(*t)),
                });
            }
        }
        for d in &mut deps {
            d.sort_unstable();
            d.dedup();
        }
        for scc in strongly_connected(&deps) {
            let looped = scc.len() > 1
                || scc
                    .first()
                    .is_some_and(|v| deps.get(*v).is_some_and(|d| d.contains(v)));
            if looped {
                self.report_cycle(&nodes, &deps, &scc);
            }
        }
        self.order = topological(&deps)
            .into_iter()
            .map(|i| nodes.node(i))
            .collect();
        // After an error, a declaration may look unused only because what reads it is broken.
        if !self.any_broken() && self.errors == 0 {
            self.report_unused(&reads);
        }
    }

    fn node_name(&self, n: Node) -> String {
        match n {
            Node::Let(l) => format!(
                "`{}`",
                self.lets
                    .get(l.0 as usize)
                    .map(|x| x.name.as_str())
                    .unwrap_or("?")
            ),
            Node::Rule(r) => format!(
                "rule `{}`",
                self.rules
                    .get(r.0 as usize)
                    .map(|x| x.name.as_str())
                    .unwrap_or("?")
            ),
            Node::Table(t) => format!(
                "table `{}`",
                self.tables
                    .get(t.0 as usize)
                    .map(|x| x.name.as_str())
                    .unwrap_or("?")
            ),
            Node::Output(o) => format!(
                "`{}`",
                self.outputs
                    .get(o.0 as usize)
                    .map(|x| x.name.as_str())
                    .unwrap_or("?")
            ),
        }
    }

    fn node_place(&self, n: Node) -> Option<(InstId, Span)> {
        match n {
            Node::Let(l) => self
                .let_meta
                .get(l.0 as usize)
                .map(|m| (m.inst, m.decl.name.span)),
            Node::Rule(r) => self
                .rule_meta
                .get(r.0 as usize)
                .map(|m| (m.inst, m.decl.name.span)),
            Node::Table(t) => self
                .table_meta
                .get(t.0 as usize)
                .map(|m| (m.inst, m.decl.name.span)),
            Node::Output(o) => self
                .output_meta
                .get(o.0 as usize)
                .map(|m| (m.inst, m.decl.name.span)),
        }
    }

    fn report_cycle(&mut self, nodes: &Nodes, deps: &[Vec<usize>], scc: &[usize]) {
        let members: HashSet<usize> = scc.iter().copied().collect();
        // Start from a node of the root file if there is one, so the error is where people look.
        let start = scc
            .iter()
            .copied()
            .min_by_key(|v| {
                (
                    self.node_place(nodes.node(*v))
                        .map_or(usize::MAX, |(i, _)| i.0),
                    *v,
                )
            })
            .unwrap_or(0);
        let path = cycle_through(start, deps, &members);
        let names: Vec<String> = path
            .iter()
            .map(|v| self.node_name(nodes.node(*v)))
            .collect();
        let Some((inst, _)) = self.node_place(nodes.node(start)) else {
            return;
        };
        let file: FileId = self.file_of(inst);
        let first = names.first().cloned().unwrap_or_default();
        let shown = if names.len() > 10 {
            let mut short: Vec<String> = names.iter().take(6).cloned().collect();
            short.push(format!("… ({} more)", names.len() - 8));
            short.extend(names.iter().skip(names.len() - 2).cloned());
            short
        } else {
            names.clone()
        };
        let mut d = Diagnostic::new(
            Code::Cycle,
            format!("{first} depends on itself: {}", shown.join(" → ")),
        );
        let mut primary = true;
        for w in path.windows(2).take(8) {
            let [a, b] = w else { continue };
            let (na, nb) = (nodes.node(*a), nodes.node(*b));
            let Some((i, span)) = self.node_place(na) else {
                continue;
            };
            if self.file_of(i) != file {
                continue;
            }
            let verb = match (na, nb) {
                (Node::Output(_), Node::Rule(_) | Node::Table(_)) => "is set by",
                (Node::Rule(_), Node::Rule(_)) => "waits for its exception",
                _ => "reads",
            };
            let label = format!("{} {verb} {}", self.node_name(na), self.node_name(nb));
            d = if primary {
                d.with_primary(span, label)
            } else {
                d.with_label(span, label)
            };
            primary = false;
        }
        d = d.with_help("a value cannot be worked out from itself: break the cycle, e.g. with a derived value computed from inputs only");
        self.emit(inst, d);
    }

    fn report_unused(&mut self, reads: &Reads) {
        // (code, what, file, span, instance, name) of each unused declaration.
        let mut found: Vec<(Code, &'static str, FileId, Span, InstId, String)> = Vec::new();
        for (i, m) in self.input_meta.iter().enumerate() {
            if !m.in_root || reads.inputs.contains(&InputId(i as u32)) {
                continue;
            }
            let Some(&(inst, span)) = m.decls.iter().find(|(inst, _)| *inst == InstId(0)) else {
                continue;
            };
            let name = self
                .inputs
                .get(i)
                .map(|d| d.name.clone())
                .unwrap_or_default();
            found.push((
                Code::UnusedInput,
                "input",
                self.file_of(inst),
                span,
                inst,
                name,
            ));
        }
        // A declaration of an imported file is unused only if no instance of it is used.
        let mut decls: HashMap<(Code, FileId, Span), (bool, InstId, String)> = HashMap::new();
        for (i, m) in self.param_meta.iter().enumerate() {
            let used = reads.params.contains(&ParamId(i as u32));
            let key = (Code::UnusedParam, self.file_of(m.inst), m.decl.name.span);
            decls
                .entry(key)
                .or_insert((false, m.inst, m.decl.name.name.clone()))
                .0 |= used;
        }
        for (i, m) in self.let_meta.iter().enumerate() {
            let used = reads.lets.contains(&LetId(i as u32));
            let key = (Code::UnusedLet, self.file_of(m.inst), m.decl.name.span);
            decls
                .entry(key)
                .or_insert((false, m.inst, m.decl.name.name.clone()))
                .0 |= used;
        }
        for ((code, file, span), (used, inst, name)) in decls {
            if !used {
                let what = if code == Code::UnusedParam {
                    "parameter"
                } else {
                    "derived value"
                };
                found.push((code, what, file, span, inst, name));
            }
        }
        found.sort_by_key(|a| (a.0, a.2, a.3));
        // Thousands of identical warnings help nobody: after the first few of each kind,
        // one warning counts the rest.
        let mut shown: HashMap<Code, usize> = HashMap::new();
        let totals: HashMap<Code, usize> = found.iter().fold(HashMap::new(), |mut m, f| {
            *m.entry(f.0).or_insert(0) += 1;
            m
        });
        for (code, what, _, span, inst, name) in found {
            let n = shown.entry(code).or_insert(0);
            *n += 1;
            if *n <= MAX_UNUSED_SHOWN {
                self.emit(inst, unused(code, span, &name, what));
            } else if *n == MAX_UNUSED_SHOWN + 1 {
                let rest = totals
                    .get(&code)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(MAX_UNUSED_SHOWN);
                self.emit(inst, unused_more(code, span, &name, what, rest));
            }
        }
    }
}

/// How many unused declarations of one kind get their own warning.
const MAX_UNUSED_SHOWN: usize = 50;

fn unused(code: Code, span: Span, name: &str, what: &str) -> Diagnostic {
    Diagnostic::new(code, format!("the {what} `{name}` is never used"))
        .with_primary(span, "nothing reads this")
        .with_help("use it in a rule, table or formula, or remove it; tests do not count as uses")
}

fn unused_more(code: Code, span: Span, name: &str, what: &str, rest: usize) -> Diagnostic {
    Diagnostic::new(
        code,
        format!("{rest} more of this file's {what}s are never used, starting with `{name}`"),
    )
    .with_primary(span, "nothing reads this, nor the ones after it")
    .with_help("use them in rules, tables or formulas, or remove them; tests do not count as uses")
}

/// A shortest cycle from `start` back to itself inside `members`.
fn cycle_through(start: usize, deps: &[Vec<usize>], members: &HashSet<usize>) -> Vec<usize> {
    let mut prev: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::new();
    queue.push_back(start);
    let mut end = None;
    'search: while let Some(v) = queue.pop_front() {
        for w in deps.get(v).map(Vec::as_slice).unwrap_or(&[]) {
            if !members.contains(w) {
                continue;
            }
            if *w == start {
                end = Some(v);
                break 'search;
            }
            if !prev.contains_key(w) {
                prev.insert(*w, v);
                queue.push_back(*w);
            }
        }
    }
    let mut path = vec![start];
    let Some(mut at) = end else { return path };
    let mut back = vec![at];
    while at != start {
        match prev.get(&at) {
            Some(p) => {
                at = *p;
                if at != start {
                    back.push(at);
                }
            }
            None => break,
        }
        if back.len() > members.len() {
            break;
        }
    }
    if back.last() == Some(&start) {
        back.pop();
    }
    back.reverse();
    path.extend(back);
    path.push(start);
    path
}

/// Tarjan's strongly connected components, without recursion.
fn strongly_connected(deps: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = deps.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    let mut next = 0usize;
    for root in 0..n {
        if index.get(root) != Some(&usize::MAX) {
            continue;
        }
        let mut calls: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut edge)) = calls.last_mut() {
            if *edge == 0 && index.get(v) == Some(&usize::MAX) {
                if let (Some(i), Some(l), Some(s)) =
                    (index.get_mut(v), low.get_mut(v), on_stack.get_mut(v))
                {
                    *i = next;
                    *l = next;
                    *s = true;
                }
                next += 1;
                stack.push(v);
            }
            let succ = deps.get(v).and_then(|d| d.get(*edge)).copied();
            match succ {
                Some(w) => {
                    *edge += 1;
                    if index.get(w) == Some(&usize::MAX) {
                        calls.push((w, 0));
                    } else if on_stack.get(w) == Some(&true) {
                        let iw = index.get(w).copied().unwrap_or(0);
                        if let Some(l) = low.get_mut(v) {
                            *l = (*l).min(iw);
                        }
                    }
                }
                None => {
                    calls.pop();
                    let lv = low.get(v).copied().unwrap_or(0);
                    if let Some(&(parent, _)) = calls.last()
                        && let Some(l) = low.get_mut(parent)
                    {
                        *l = (*l).min(lv);
                    }
                    if Some(&lv) == index.get(v) {
                        let mut scc = Vec::new();
                        while let Some(w) = stack.pop() {
                            if let Some(s) = on_stack.get_mut(w) {
                                *s = false;
                            }
                            scc.push(w);
                            if w == v {
                                break;
                            }
                        }
                        scc.sort_unstable();
                        out.push(scc);
                    }
                }
            }
        }
    }
    out
}

/// Every node after the nodes it needs; nodes in cycles are left out.
fn topological(deps: &[Vec<usize>]) -> Vec<usize> {
    let n = deps.len();
    let mut pending: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (v, d) in deps.iter().enumerate() {
        for w in d {
            if let Some(u) = users.get_mut(*w) {
                u.push(v);
            }
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..n)
        .filter(|v| pending.get(*v) == Some(&0))
        .map(Reverse)
        .collect();
    let mut out = Vec::with_capacity(n);
    while let Some(Reverse(v)) = ready.pop() {
        out.push(v);
        for u in users.get(v).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(p) = pending.get_mut(*u) {
                *p = p.saturating_sub(1);
                if *p == 0 {
                    ready.push(Reverse(*u));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cycles_and_orders_the_rest() {
        // 0 needs 1, 1 needs 2, 2 needs 0; 3 needs 0; 4 needs nothing.
        let deps = vec![vec![1], vec![2], vec![0], vec![0], vec![]];
        let sccs = strongly_connected(&deps);
        assert!(sccs.contains(&vec![0, 1, 2]));
        let members: HashSet<usize> = [0, 1, 2].into_iter().collect();
        assert_eq!(cycle_through(0, &deps, &members), vec![0, 1, 2, 0]);
        let order = topological(&[vec![1], vec![], vec![0, 1]]);
        assert_eq!(order, vec![1, 0, 2]);
    }
}
