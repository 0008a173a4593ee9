//! The one canonical layout of `.wm` files, used by `waymark fmt`.
//!
//! [`format()`] prints a syntax tree back as text: the header first with its clauses on their
//! own lines, items at column 0 with a blank line between groups, bodies indented two
//! spaces, tables with aligned columns, and expressions with the brackets the author wrote
//! and single spaces around operators. Plain `//` comments are kept: a comment on its own
//! line stays above the item, clause or row that follows it, and a comment at the end of a
//! line stays at the end of that construct's line. A comment written inside a formula moves
//! to its own line above the formula's line. One blank line the author left between two
//! items is kept; longer runs shrink to one.
//!
//! Only format a tree whose parse had no errors. For such a tree the output parses to the
//! same tree (spans aside), and formatting the output again changes nothing.

use crate::ast::*;

/// The width past which `given`, `with` and `expect` put one entry per line.
pub const MAX_WIDTH: usize = 100;

const INDENT: &str = "  ";

/// Prints `ruleset`, parsed from `source`, in the canonical layout.
pub fn format(ruleset: &Ruleset, source: &str) -> String {
    let mut comments: Vec<&Comment> = ruleset.comments.iter().collect();
    comments.sort_by_key(|c| c.span.start);
    let mut f = Printer {
        src: source,
        comments,
        next: 0,
        out: String::new(),
        blank_pending: false,
    };
    f.file(ruleset);
    let mut out = f.out;
    let trimmed = out.trim_end_matches('\n').len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// Which items sit together without a blank line between them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Import,
    Input,
    Param,
    Let,
    Output,
    /// Items written over several lines; always set apart by blank lines.
    Block,
}

fn group(item: &Item) -> Group {
    match item {
        Item::Import(_) => Group::Import,
        Item::Input(_) => Group::Input,
        Item::Param(_) => Group::Param,
        Item::Let(_) => Group::Let,
        Item::Output(_) => Group::Output,
        Item::Enum(_) | Item::Rule(_) | Item::Table(_) | Item::Test(_) | Item::Property(_) => {
            Group::Block
        }
    }
}

struct Printer<'a> {
    src: &'a str,
    /// Plain comments sorted by position; `next` is the first one not yet printed.
    comments: Vec<&'a Comment>,
    next: usize,
    out: String,
    /// A blank line is due before the next top-level line.
    blank_pending: bool,
}

impl Printer<'_> {
    fn file(&mut self, ruleset: &Ruleset) {
        if let Some(h) = &ruleset.header {
            self.header(h);
        }
        let mut previous: Option<Group> = None;
        for item in &ruleset.items {
            let g = group(item);
            let apart = match previous {
                None => ruleset.header.is_some(),
                Some(p) => p != g || g == Group::Block,
            };
            if apart {
                self.blank_pending = true;
            }
            self.item(item);
            previous = Some(g);
        }
        self.flush_top(u32::MAX);
    }

    // -- lines and comments --

    /// Prints a blank line before a top-level line when one is due or the author left one.
    fn top_gap(&mut self, pos: u32) {
        if !self.out.is_empty()
            && (self.blank_pending || blank_before(self.src, pos as usize))
            && !self.out.ends_with("\n\n")
        {
            self.out.push('\n');
        }
        self.blank_pending = false;
    }

    /// Prints, at column 0, the comments that start before `limit`.
    fn flush_top(&mut self, limit: u32) {
        while let Some(c) = self
            .comments
            .get(self.next)
            .copied()
            .filter(|c| c.span.start < limit)
        {
            self.next += 1;
            self.top_gap(c.span.start);
            self.out.push_str(&comment_text(c));
            self.out.push('\n');
        }
    }

    /// Prints, on their own lines at `indent`, the comments that start before `limit`.
    fn flush_own(&mut self, limit: u32, indent: usize) {
        while let Some(c) = self
            .comments
            .get(self.next)
            .copied()
            .filter(|c| c.span.start < limit)
        {
            self.next += 1;
            self.push_indent(indent);
            self.out.push_str(&comment_text(c));
            self.out.push('\n');
        }
    }

    /// Ends the current line, keeping a comment that the author wrote after the construct
    /// ending at `end`, on the same line.
    fn end_line(&mut self, end: u32) {
        self.end_line_after(end, &[]);
    }

    /// [`Printer::end_line`] for a line that goes on past `end` with the words `tail` (and
    /// brackets): a comment among or after them stays at the end of the line.
    fn end_line_after(&mut self, end: u32, tail: &[&str]) {
        if let Some(c) = self.comments.get(self.next).copied() {
            let between = self.src.get(end as usize..c.span.start as usize);
            let same_line = between.is_some_and(|b| {
                b.split([' ', '\t', ',', '{', '}', '|'])
                    .all(|word| word.is_empty() || tail.contains(&word))
            });
            if c.span.start >= end && same_line {
                self.next += 1;
                self.out.push(' ');
                self.out.push_str(&comment_text(c));
            }
        }
        self.out.push('\n');
    }

    fn push_indent(&mut self, indent: usize) {
        for _ in 0..indent {
            self.out.push_str(INDENT);
        }
    }

    /// A line inside a block: the comments before it, the line, and its trailing comment.
    fn line(&mut self, indent: usize, text: &str, end: u32) {
        self.flush_own(end, indent);
        self.push_indent(indent);
        self.out.push_str(text);
        self.end_line(end);
    }

    fn docs(&mut self, indent: usize, docs: &[String]) {
        for d in docs {
            self.push_indent(indent);
            if d.is_empty() {
                self.out.push_str("///");
            } else {
                self.out.push_str("/// ");
                self.out.push_str(d);
            }
            self.out.push('\n');
        }
    }

    /// The first line of a top-level declaration, with its comments and documentation.
    /// The line goes on past `end` with the words `tail`. Comments written inside the
    /// declaration's first line (or between its documentation lines) go just above it.
    fn top_line(&mut self, docs: &[String], start: u32, text: &str, end: u32, tail: &[&str]) {
        let first = docs_start(self.src, start as usize, docs.len()) as u32;
        self.flush_top(first);
        self.top_gap(first);
        self.flush_own(end, 0);
        self.docs(0, docs);
        self.out.push_str(text);
        self.end_line_after(end, tail);
    }

    /// The closing brace of a block that ends at `end`.
    fn close(&mut self, end: u32) {
        self.flush_own(end, 1);
        self.out.push('}');
        self.end_line(end);
    }

    // -- the header --

    fn header(&mut self, h: &Header) {
        let text = format!("ruleset {} version {}", h.id.dotted(), h.version.text());
        self.top_line(&h.docs, h.span.start, &text, h.version.span.end, &[]);
        if let Some(t) = &h.title {
            self.line(1, &format!("title {}", string(&t.value)), t.span.end);
        }
        if let Some(from) = &h.effective_from {
            let mut text = format!("effective from {}", date(from.value));
            let mut end = from.span.end;
            if let Some(until) = &h.effective_until {
                text.push_str(&format!(" until {}", date(until.value)));
                end = until.span.end;
            }
            self.line(1, &text, end);
        }
        for s in &h.sources {
            let mut text = format!("source {} {}", s.key.name, string(&s.citation.value));
            if let Some(link) = &s.link {
                text.push(' ');
                text.push_str(&string(&link.value));
            }
            self.line(1, &text, s.span.end);
        }
    }

    // -- items --

    fn item(&mut self, item: &Item) {
        match item {
            Item::Import(i) => {
                let mut text = format!("import {} as {}", string(&i.path.value), i.alias.name);
                if !i.bindings.is_empty() {
                    text.push_str(" with ");
                    text.push_str(&bindings(&i.bindings));
                }
                self.top_line(&i.docs, i.span.start, &text, i.span.end, &[]);
            }
            Item::Enum(e) => self.enum_decl(e),
            Item::Input(i) => {
                let mut text = format!("input {}: ", i.name.name);
                if i.optional {
                    text.push_str("optional ");
                }
                text.push_str(&type_expr(&i.ty));
                label(&mut text, i.label.as_ref());
                self.top_line(&i.docs, i.span.start, &text, i.span.end, &[]);
            }
            Item::Param(p) => {
                let mut text = format!(
                    "param {}: {} = {}",
                    p.name.name,
                    type_expr(&p.ty),
                    expr(&p.default)
                );
                label(&mut text, p.label.as_ref());
                if !p.sources.is_empty() {
                    text.push_str(" source ");
                    text.push_str(&names(&p.sources));
                }
                self.top_line(&p.docs, p.span.start, &text, p.span.end, &[]);
            }
            Item::Let(l) => {
                let mut text = format!("let {}", l.name.name);
                if let Some(ty) = &l.ty {
                    text.push_str(": ");
                    text.push_str(&type_expr(ty));
                }
                text.push_str(" = ");
                text.push_str(&expr(&l.value));
                self.top_line(&l.docs, l.span.start, &text, l.span.end, &[]);
            }
            Item::Output(o) => {
                let mut text = format!("output {}: {}", o.name.name, type_expr(&o.ty));
                label(&mut text, o.label.as_ref());
                match &o.value {
                    OutputValue::Rules => {}
                    OutputValue::Default(e) => text.push_str(&format!(" default {}", expr(e))),
                    OutputValue::Computed(e) => text.push_str(&format!(" = {}", expr(e))),
                }
                self.top_line(&o.docs, o.span.start, &text, o.span.end, &[]);
            }
            Item::Rule(r) => self.rule(r),
            Item::Table(t) => self.table(t),
            Item::Test(t) => self.test(t),
            Item::Property(p) => self.property(p),
        }
    }

    fn enum_decl(&mut self, e: &EnumDecl) {
        let text = format!(
            "enum {}{} {{",
            e.name.name,
            if e.ordered { " ordered" } else { "" }
        );
        self.top_line(&e.docs, e.span.start, &text, e.name.span.end, &["ordered"]);
        for v in &e.variants {
            let end = v.label.as_ref().map_or(v.name.span.end, |l| l.span.end);
            // Comments inside the line go above its documentation, where a second run finds them.
            self.flush_own(end, 1);
            self.docs(1, &v.docs);
            let mut text = v.name.name.clone();
            label(&mut text, v.label.as_ref());
            text.push(',');
            self.line(1, &text, end);
        }
        self.close(e.span.end);
    }

    fn rule(&mut self, r: &RuleDecl) {
        let mut text = match &r.exception_to {
            Some(base) => format!("exception {} to {}", r.name.name, base.name),
            None => format!("rule {}", r.name.name),
        };
        let mut end = r
            .exception_to
            .as_ref()
            .map_or(r.name.span.end, |b| b.span.end);
        if let Some(l) = &r.label {
            label(&mut text, Some(l));
            end = l.span.end;
        }
        text.push_str(" {");
        self.top_line(&r.docs, r.span.start, &text, end, &[]);
        self.sources(&r.sources);
        self.line(
            1,
            &format!("when {}", expr(&r.condition)),
            r.condition.span.end,
        );
        for a in &r.actions {
            let text = match a {
                Action::Set { target, value, .. } => {
                    format!("set {} to {}", target.dotted(), expr(value))
                }
                Action::Add { value, target, .. } => {
                    format!("add {} to {}", expr(value), target.dotted())
                }
            };
            self.line(1, &text, a.span().end);
        }
        self.close(r.span.end);
    }

    fn sources(&mut self, sources: &[Ident]) {
        if let Some(last) = sources.last() {
            self.line(1, &format!("source {}", names(sources)), last.span.end);
        }
    }

    fn table(&mut self, t: &TableDecl) {
        let mut text = format!("table {}", t.name.name);
        label(&mut text, t.label.as_ref());
        let end = t.label.as_ref().map_or(t.name.span.end, |l| l.span.end);
        text.push_str(match t.hit {
            HitPolicy::First => " hit first {",
            HitPolicy::Collect => " hit collect {",
        });
        self.top_line(
            &t.docs,
            t.span.start,
            &text,
            end,
            &["hit", "first", "collect"],
        );
        self.sources(&t.sources);

        // Every line as its cells, so that the columns can be aligned.
        let mut head: Vec<String> = t.inputs.iter().map(Path::dotted).collect();
        head.push("=>".to_string());
        head.extend(t.outputs.iter().map(Path::dotted));
        let rows: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|r| {
                let mut cells: Vec<String> = r.cells.iter().map(cell).collect();
                cells.push("=>".to_string());
                cells.extend(
                    r.outputs
                        .iter()
                        .map(|o| o.as_ref().map_or_else(|| "-".to_string(), expr)),
                );
                cells
            })
            .collect();
        let mut widths: Vec<usize> = Vec::new();
        for line in std::iter::once(&head).chain(rows.iter()) {
            for (i, c) in line.iter().enumerate() {
                let w = c.chars().count();
                match widths.get_mut(i) {
                    Some(x) => *x = (*x).max(w),
                    None => widths.push(w),
                }
            }
        }
        let head_end = t
            .outputs
            .last()
            .or(t.inputs.last())
            .map_or(end, |p| p.span.end);
        self.line(1, &table_line(&head, &widths), head_end);
        let mut rule = String::from("|");
        for w in widths.iter().take(head.len()) {
            rule.push_str(&"-".repeat(w + 2));
            rule.push('|');
        }
        self.push_indent(1);
        self.out.push_str(&rule);
        self.out.push('\n');
        for (row, cells) in t.rows.iter().zip(&rows) {
            self.flush_own(row.span.end, 1);
            self.docs(1, &row.docs);
            self.line(1, &table_line(cells, &widths), row.span.end);
        }
        self.close(t.span.end);
    }

    fn test(&mut self, t: &TestDecl) {
        let text = format!("test {} {{", string(&t.name.value));
        self.top_line(&t.docs, t.span.start, &text, t.name.span.end, &[]);
        let given: Vec<(String, Span)> = t.given.iter().map(|f| (fact(f), f.span)).collect();
        self.entries("given", &given);
        let params: Vec<(String, Span)> = t.params.iter().map(|b| (binding(b), b.span)).collect();
        self.entries("with", &params);
        let expect: Vec<(String, Span)> =
            t.expect.iter().map(|e| (expectation(e), e.span)).collect();
        self.entries("expect", &expect);
        self.close(t.span.end);
    }

    /// `given`, `with` or `expect` with its entries: on one line when it fits in
    /// [`MAX_WIDTH`] columns, otherwise the keyword alone and one entry per line.
    fn entries(&mut self, keyword: &str, entries: &[(String, Span)]) {
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return;
        };
        let texts: Vec<&str> = entries.iter().map(|(t, _)| t.as_str()).collect();
        let one_line = format!("{keyword} {}", texts.join(", "));
        if INDENT.len() + one_line.chars().count() <= MAX_WIDTH {
            self.line(1, &one_line, last.1.end);
            return;
        }
        // Comments inside the first entry go above the keyword, where a second run finds them.
        self.flush_own(first.1.end, 1);
        self.push_indent(1);
        self.out.push_str(keyword);
        self.out.push('\n');
        for (i, (text, span)) in entries.iter().enumerate() {
            let comma = if i + 1 < entries.len() { "," } else { "" };
            self.line(2, &format!("{text}{comma}"), span.end);
        }
    }

    fn property(&mut self, p: &PropertyDecl) {
        let text = format!("property {} {{", string(&p.name.value));
        self.top_line(&p.docs, p.span.start, &text, p.name.span.end, &[]);
        let params: Vec<(String, Span)> = p.params.iter().map(|b| (binding(b), b.span)).collect();
        self.entries("with", &params);
        let (text, end) = match &p.body {
            PropertyBody::Monotone { output, inputs } => {
                let end = inputs.last().map_or(output.span, ListItem::span).end;
                (
                    format!("monotone {} in {}", output.dotted(), list_items(inputs)),
                    end,
                )
            }
            PropertyBody::Always(e) => (format!("always {}", expr(e)), e.span.end),
            PropertyBody::Never(e) => (format!("never {}", expr(e)), e.span.end),
            PropertyBody::Agree {
                other,
                outputs,
                except,
            } => {
                let paths: Vec<String> = outputs.iter().map(Path::dotted).collect();
                let mut text = format!(
                    "agree with {} on {}",
                    string(&other.value),
                    paths.join(", ")
                );
                let mut end = outputs.last().map_or(other.span.end, |o| o.span.end);
                if let Some(e) = except {
                    text.push_str(&format!(" except when {}", expr(e)));
                    end = e.span.end;
                }
                (text, end)
            }
        };
        self.line(1, &text, end);
        self.close(p.span.end);
    }
}

// -- pieces of lines --

/// A comment as printed: `//` and its text, without trailing spaces. The text stops at a
/// lone carriage return, which the grammar reads as the end of the comment.
fn comment_text(c: &Comment) -> String {
    let text = c.text.split('\r').next().unwrap_or("");
    format!("//{}", text.trim_end())
}

/// True when the line holding `pos` follows an empty line.
fn blank_before(src: &str, pos: usize) -> bool {
    let before = src.get(..pos).unwrap_or("");
    let mut newlines = 0;
    for c in before.chars().rev() {
        match c {
            '\n' => {
                newlines += 1;
                if newlines >= 2 {
                    return true;
                }
            }
            ' ' | '\t' | '\r' => {}
            _ => return false,
        }
    }
    false
}

/// Where the `count` documentation lines above a declaration starting at `start` begin.
fn docs_start(src: &str, start: usize, count: usize) -> usize {
    let before = src.get(..start).unwrap_or("");
    let mut found = 0;
    let mut pos = start;
    let mut cursor = before.rfind('\n');
    while let Some(newline) = cursor {
        if found == count {
            break;
        }
        let line_start = before
            .get(..newline)
            .and_then(|b| b.rfind('\n'))
            .map_or(0, |i| i + 1);
        if before
            .get(line_start..newline)
            .is_some_and(|l| l.trim_start().starts_with("///"))
        {
            found += 1;
            pos = line_start;
        }
        cursor = line_start.checked_sub(1);
    }
    pos
}

fn table_line(cells: &[String], widths: &[usize]) -> String {
    let mut line = String::from("|");
    for (i, c) in cells.iter().enumerate() {
        let w = widths.get(i).copied().unwrap_or(0);
        let pad = w.saturating_sub(c.chars().count());
        line.push(' ');
        line.push_str(c);
        line.push_str(&" ".repeat(pad));
        line.push_str(" |");
    }
    line
}

fn label(text: &mut String, label: Option<&StrLit>) {
    if let Some(l) = label {
        text.push(' ');
        text.push_str(&string(&l.value));
    }
}

fn names(idents: &[Ident]) -> String {
    let parts: Vec<&str> = idents.iter().map(|i| i.name.as_str()).collect();
    parts.join(", ")
}

fn binding(b: &ParamBinding) -> String {
    format!("{} = {}", b.name.name, expr(&b.value))
}

fn bindings(bs: &[ParamBinding]) -> String {
    let parts: Vec<String> = bs.iter().map(binding).collect();
    parts.join(", ")
}

fn fact(f: &Fact) -> String {
    let target = match &f.target {
        FactTarget::Name(p) => p.dotted(),
        FactTarget::Range(a, b) => format!("{}..{}", a.name, b.name),
    };
    format!("{target} = {}", expr(&f.value))
}

fn expectation(e: &Expectation) -> String {
    match &e.value {
        Some(v) => format!("{} = {}", e.target.dotted(), expr(v)),
        None => format!("{} is undetermined", e.target.dotted()),
    }
}

fn cell(c: &Cell) -> String {
    match c {
        Cell::Any(_) => "-".to_string(),
        Cell::Compare(op, e, _) => format!("{} {}", op.symbol(), expr(e)),
        Cell::Range(lo, hi, _) => format!("{}..{}", num(lo), num(hi)),
        Cell::OneOf(values, _) => {
            let parts: Vec<String> = values.iter().map(expr).collect();
            parts.join(", ")
        }
    }
}

fn type_expr(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Scalar(s) => scalar(s),
        TypeExpr::Set(s, _) => format!("set of {}", scalar(s)),
        TypeExpr::List(s, _) => format!("list of {}", scalar(s)),
    }
}

fn scalar(s: &ScalarType) -> String {
    match &s.range {
        None => s.name.name.clone(),
        Some(r) => {
            let lo = r.lo.as_ref().map(num).unwrap_or_default();
            let hi = r.hi.as_ref().map(num).unwrap_or_default();
            format!("{} in {lo}..{hi}", s.name.name)
        }
    }
}

fn num(n: &NumLit) -> String {
    match n {
        NumLit::Int(v, _) => v.to_string(),
        NumLit::Number(text, _) => text.clone(),
    }
}

/// A text in double quotes, with `"`, `\`, line breaks and tabs escaped.
fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

fn list_items(items: &[ListItem]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|i| match i {
            ListItem::Expr(e) => expr(e),
            ListItem::Range(a, b, _) => format!("{}..{}", a.name, b.name),
        })
        .collect();
    parts.join(", ")
}

fn exprs(es: &[Expr]) -> String {
    let parts: Vec<String> = es.iter().map(expr).collect();
    parts.join(", ")
}

// INVARIANT: the parser builds trees at most `MAX_EXPR_DEPTH` deep, so this recursion is bounded.
/// An expression as the author wrote it, with single spaces around operators.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Lit(l) => literal(l),
        ExprKind::Name(p) => p.dotted(),
        ExprKind::List(items) => format!("[{}]", list_items(items)),
        ExprKind::Set(items) => format!("{{{}}}", exprs(items)),
        ExprKind::Paren(inner) => format!("({})", expr(inner)),
        ExprKind::Unary(UnaryOp::Not, x) => format!("not {}", expr(x)),
        ExprKind::Unary(UnaryOp::Neg, x) => format!("-{}", expr(x)),
        ExprKind::Binary(op, a, b) => format!("{} {} {}", expr(a), binary_op(*op), expr(b)),
        ExprKind::Is {
            value,
            negated,
            test,
        } => {
            let test = match test {
                IsTest::Yes => "yes",
                IsTest::No => "no",
                IsTest::Unknown => "unknown",
                IsTest::Known => "known",
                IsTest::Empty => "empty",
            };
            format!(
                "{} is {}{test}",
                expr(value),
                if *negated { "not " } else { "" }
            )
        }
        ExprKind::In {
            value,
            negated,
            collection,
        } => {
            format!(
                "{} {}in {}",
                expr(value),
                if *negated { "not " } else { "" },
                expr(collection)
            )
        }
        ExprKind::Within {
            date,
            amount,
            direction,
            anchor,
        } => {
            format!(
                "{} within {} {} {}",
                expr(date),
                expr(amount),
                direction_word(*direction),
                expr(anchor)
            )
        }
        ExprKind::Duration(x, unit) => format!("{} {}", expr(x), unit.word()),
        ExprKind::Count(c) => match c {
            Count::Value(what, list) => {
                let what = match what {
                    CountValue::Yes => "yes",
                    CountValue::No => "no",
                    CountValue::Unknown => "unknown",
                    CountValue::True => "true",
                    CountValue::False => "false",
                };
                format!("count {what} in {}", expr(list))
            }
            Count::Within {
                list,
                amount,
                direction,
                anchor,
            } => {
                format!(
                    "count {} within {} {} {}",
                    expr(list),
                    expr(amount),
                    direction_word(*direction),
                    expr(anchor)
                )
            }
            Count::Between(list, from, to) => format!(
                "count {} between {} and {}",
                expr(list),
                expr(from),
                expr(to)
            ),
            Count::All(list) => format!("count {}", expr(list)),
        },
        ExprKind::If(c, a, b) => format!("if {} then {} else {}", expr(c), expr(a), expr(b)),
        ExprKind::Call(name, args) => format!("{}({})", name.name, exprs(args)),
    }
}

fn literal(l: &Literal) -> String {
    match l {
        Literal::Int(v) => v.to_string(),
        Literal::Number(text) => text.clone(),
        Literal::Text(t) => string(t),
        Literal::Date(d) => date(*d),
        Literal::Yes => "yes".to_string(),
        Literal::No => "no".to_string(),
        Literal::Unknown => "unknown".to_string(),
        Literal::Bool(b) => b.to_string(),
    }
}

fn binary_op(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Implies => "implies",
        BinaryOp::Or => "or",
        BinaryOp::And => "and",
        BinaryOp::Cmp(c) => c.symbol(),
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Union => "union",
        BinaryOp::Intersect => "intersect",
        BinaryOp::Without => "without",
    }
}

fn direction_word(d: Direction) -> &'static str {
    match d {
        Direction::Before => "before",
        Direction::After => "after",
    }
}
