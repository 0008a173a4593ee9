//! proptest strategies for Waymark source text.
//!
//! [`ruleset_source`] writes random rulesets that follow the grammar (they need not make
//! sense to the checker): every kind of item, expressions of every form nested a few levels
//! deep, doc comments, and a random layout with line breaks, indentation and plain comments
//! between tokens. Items are built as token lists first, so the layout can put whitespace
//! or a comment anywhere the grammar allows one.
//!
//! [`mutated_source`] damages such text at random, and [`token_soup`] strings language
//! words together with no grammar at all; both feed the never-panic properties.

use proptest::prelude::*;
use proptest::sample::select;

/// A piece of an item before layout.
#[derive(Clone, Debug)]
pub enum Piece {
    /// A token: the layout may put whitespace or a comment on either side.
    Tok(String),
    /// A `///` documentation line; it always gets a line of its own.
    Doc(String),
}

type Pieces = Vec<Piece>;

/// Words that can never be generated as names: the reserved words, the words that start
/// an item (a line starting with one starts a new item) and the words with a meaning in
/// one place of the grammar.
pub const NOT_NAMES: &[&str] = &[
    "and",
    "or",
    "not",
    "is",
    "in",
    "yes",
    "no",
    "unknown",
    "known",
    "true",
    "false",
    "if",
    "then",
    "else",
    "count",
    "within",
    "before",
    "after",
    "between",
    "implies",
    "empty",
    "union",
    "intersect",
    "without",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "set",
    "add",
    "to",
    "when",
    "source",
    "import",
    "enum",
    "input",
    "param",
    "let",
    "output",
    "rule",
    "exception",
    "table",
    "test",
    "property",
    "ruleset",
    "version",
    "title",
    "effective",
    "from",
    "until",
    "as",
    "with",
    "ordered",
    "optional",
    "default",
    "of",
    "list",
    "hit",
    "first",
    "collect",
    "given",
    "expect",
    "undetermined",
    "monotone",
    "always",
    "never",
    "agree",
    "on",
    "except",
];

/// Names, including some that begin with a reserved word.
pub fn name() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => select(&[
            "q1", "q2", "q12", "q24", "risk", "level", "band", "x", "_y", "counted", "iffy", "notable", "yesterday",
            "index", "order", "andrew", "isa", "tomorrow", "days_since", "sets", "a_b_c",
        ][..])
        .prop_map(str::to_string),
        1 => "[a-z_][a-z0-9_]{0,7}".prop_filter("a keyword", |s| !NOT_NAMES.contains(&s.as_str())),
    ]
}

/// A name or a dotted name such as `ric.yes_count`.
pub fn path() -> impl Strategy<Value = String> + Clone {
    prop_oneof![4 => name(), 1 => (name(), name()).prop_map(|(a, b)| format!("{a}.{b}"))]
}

/// `q1..q24`.
pub fn name_range() -> impl Strategy<Value = String> + Clone {
    (0..30u32, 0..30u32).prop_map(|(a, b)| format!("q{a}..q{b}"))
}

/// A text literal as written, quotes and escapes included.
pub fn string_lit() -> impl Strategy<Value = String> + Clone {
    (
        "[a-zA-Z0-9 ,.:'é’\u{1F600}\"\\\\\t\n-]{0,16}",
        any::<bool>(),
    )
        .prop_map(|(value, raw_tab)| {
            let mut out = String::from("\"");
            for c in value.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' if !raw_tab => out.push_str("\\t"),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        })
}

/// A date that exists.
pub fn date_lit() -> impl Strategy<Value = String> + Clone {
    (1..=9999i32, 1..=12u8, 1..=31u8).prop_map(|(y, m, d)| {
        let d = d.min(waymark_syntax::days_in_month(y, m));
        format!("{y:04}-{m:02}-{d:02}")
    })
}

/// A whole number, sometimes with leading zeros.
pub fn int_lit() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => (0..100u32).prop_map(|n| n.to_string()),
        1 => any::<u32>().prop_map(|n| n.to_string()),
        1 => (0..100u32).prop_map(|n| format!("00{n}")),
        1 => Just(i64::MAX.to_string()),
    ]
}

/// A decimal number.
pub fn number_lit() -> impl Strategy<Value = String> + Clone {
    "[0-9]{1,4}\\.[0-9]{1,4}"
}

/// Any literal.
pub fn literal() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => int_lit(),
        1 => number_lit(),
        2 => string_lit(),
        1 => date_lit(),
        2 => select(&["yes", "no", "unknown", "true", "false"][..]).prop_map(str::to_string),
    ]
}

fn toks(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_string()).collect()
}

/// `items` with `sep` between them.
fn joined(items: Vec<Vec<String>>, sep: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(sep.to_string());
        }
        out.extend(item);
    }
    out
}

/// 1 element most of the time, sometimes 2 or 3.
fn few<T: std::fmt::Debug + Clone + 'static>(s: BoxedStrategy<T>) -> BoxedStrategy<Vec<T>> {
    prop_oneof![
        12 => s.clone().prop_map(|x| vec![x]),
        1 => prop::collection::vec(s.clone(), 2..=2),
        1 => prop::collection::vec(s, 3..=3),
    ]
    .boxed()
}

/// A chain `a op b op c` of one level of the grammar.
fn chain(
    operand: BoxedStrategy<Vec<String>>,
    ops: &'static [&'static str],
) -> BoxedStrategy<Vec<String>> {
    few((operand, select(ops)).boxed())
        .prop_map(|parts| {
            let mut out = Vec::new();
            for (i, (operand, op)) in parts.into_iter().enumerate() {
                if i > 0 {
                    out.push(op.to_string());
                }
                out.extend(operand);
            }
            out
        })
        .boxed()
}

/// Expression strategies for each level of the grammar, as token lists.
#[derive(Clone)]
pub struct Exprs {
    /// A whole expression: `if …` or an `implies` chain.
    pub expr: BoxedStrategy<Vec<String>>,
    /// `a + b - c`.
    pub sum: BoxedStrategy<Vec<String>>,
    /// `- - x months`.
    pub unary: BoxedStrategy<Vec<String>>,
}

/// Expressions with brackets, `if`s and `count`s nested at most `depth` deep.
pub fn exprs(depth: u32) -> Exprs {
    let lower = (depth > 0).then(|| exprs(depth - 1));
    let leaf: BoxedStrategy<Vec<String>> =
        prop_oneof![4 => path().prop_map(|p| vec![p]), 3 => literal().prop_map(|l| vec![l])]
            .boxed();
    let primary = match &lower {
        None => leaf,
        Some(l) => {
            let (e, s, u) = (l.expr.clone(), l.sum.clone(), l.unary.clone());
            // FIXME: the grammar reads `count yes intersect s` as `count yes in tersect`, so
            // counts of a bare `yes`, `no`, … are left out until `in` is a whole word there.
            let counted = u
                .clone()
                .prop_filter("a bare value after `count`", |t| {
                    !t.first().is_some_and(|w| {
                        ["yes", "no", "unknown", "true", "false"].contains(&w.as_str())
                    })
                })
                .boxed();
            let list_item =
                prop_oneof![3 => e.clone(), 1 => name_range().prop_map(|r| vec![r])].boxed();
            prop_oneof![
                24 => leaf,
                3 => e.clone().prop_map(|e| [vec!["(".to_string()], e, vec![")".to_string()]].concat()),
                1 => (select(&["min", "max", "abs", "f"][..]), prop::collection::vec(e.clone(), 0..3)).prop_map(|(n, args)| {
                    [toks(&[n, "("]), joined(args, ","), toks(&[")"])].concat()
                }),
                1 => (prop::collection::vec(list_item, 0..4), any::<bool>()).prop_map(|(items, comma)| {
                    let trailing = if comma && !items.is_empty() { toks(&[","]) } else { Vec::new() };
                    [toks(&["["]), joined(items, ","), trailing, toks(&["]"])].concat()
                }),
                1 => prop::collection::vec(e, 0..3).prop_map(|items| [toks(&["{"]), joined(items, ","), toks(&["}"])].concat()),
                1 => (select(&["yes", "no", "unknown", "true", "false"][..]), u.clone())
                    .prop_map(|(w, u)| [toks(&["count", w, "in"]), u].concat()),
                1 => (counted.clone(), s.clone(), select(&["before", "after"][..]), s.clone())
                    .prop_map(|(l, a, d, b)| [toks(&["count"]), l, toks(&["within"]), a, toks(&[d]), b].concat()),
                1 => (counted.clone(), s.clone(), s)
                    .prop_map(|(l, a, b)| [toks(&["count"]), l, toks(&["between"]), a, toks(&["and"]), b].concat()),
                1 => counted.prop_map(|l| [toks(&["count"]), l].concat()),
            ]
            .boxed()
        }
    };
    let units = select(
        &[
            "day", "days", "week", "weeks", "month", "months", "year", "years",
        ][..],
    );
    let postfix = (primary, prop::option::weighted(0.1, units))
        .prop_map(|(mut p, u)| {
            p.extend(u.map(str::to_string));
            p
        })
        .boxed();
    let unary = (
        prop::sample::select(&[0usize, 0, 0, 0, 0, 1, 2][..]),
        postfix,
    )
        .prop_map(|(n, p)| [vec!["-".to_string(); n], p].concat())
        .boxed();
    let product = chain(unary.clone(), &["*", "/"]);
    let sum = chain(product, &["+", "-", "union", "intersect", "without"]);
    let s = sum.clone();
    let tail = prop_oneof![
        3 => (select(&["=", "!=", "<", "<=", ">", ">="][..]), s.clone()).prop_map(|(op, b)| [toks(&[op]), b].concat()),
        1 => (any::<bool>(), select(&["yes", "no", "unknown", "known", "empty"][..]))
            .prop_map(|(not, t)| if not { toks(&["is", "not", t]) } else { toks(&["is", t]) }),
        1 => (s.clone(), select(&["before", "after"][..]), s.clone())
            .prop_map(|(a, d, b)| [toks(&["within"]), a, toks(&[d]), b].concat()),
        1 => (any::<bool>(), s.clone()).prop_map(|(not, b)| [if not { toks(&["not", "in"]) } else { toks(&["in"]) }, b].concat()),
    ];
    let comparison = (s, prop::option::weighted(0.3, tail))
        .prop_map(|(a, t)| [a, t.unwrap_or_default()].concat())
        .boxed();
    let not_level = (select(&[0usize, 0, 0, 0, 1, 2][..]), comparison)
        .prop_map(|(n, c)| [vec!["not".to_string(); n], c].concat())
        .boxed();
    let and_level = chain(not_level, &["and"]);
    let or_level = chain(and_level, &["or"]);
    let implies = (or_level.clone(), prop::option::weighted(0.1, or_level))
        .prop_map(|(a, b)| match b {
            Some(b) => [a, toks(&["implies"]), b].concat(),
            None => a,
        })
        .boxed();
    let expr = match &lower {
        None => implies,
        Some(l) => {
            let e = l.expr.clone();
            prop_oneof![
                8 => implies,
                1 => (e.clone(), e.clone(), e).prop_map(|(c, a, b)| [toks(&["if"]), c, toks(&["then"]), a, toks(&["else"]), b].concat()),
            ]
            .boxed()
        }
    };
    Exprs { expr, sum, unary }
}

fn tok_all(words: Vec<String>) -> Pieces {
    words.into_iter().map(Piece::Tok).collect()
}

fn docs() -> impl Strategy<Value = Pieces> + Clone {
    prop::collection::vec(
        prop_oneof![5 => "[ -~é]{0,20}", 1 => Just(String::new())],
        0..3,
    )
    .prop_map(|lines| lines.into_iter().map(Piece::Doc).collect())
}

fn range_bound() -> impl Strategy<Value = String> + Clone {
    prop_oneof![3 => int_lit(), 1 => number_lit(), 1 => (1..50u32).prop_map(|n| format!("-{n}"))]
}

fn type_expr() -> impl Strategy<Value = Vec<String>> + Clone {
    let scalar = (
        select(
            &[
                "answer", "bool", "int", "number", "text", "date", "level", "reason",
            ][..],
        ),
        prop::option::weighted(
            0.3,
            (
                prop::option::of(range_bound()),
                prop::option::of(range_bound()),
            ),
        ),
    )
        .prop_map(|(n, r)| {
            let mut t = toks(&[n]);
            if let Some((lo, hi)) = r {
                t.push("in".to_string());
                t.push(format!(
                    "{}..{}",
                    lo.unwrap_or_default(),
                    hi.unwrap_or_default()
                ));
            }
            t
        });
    (select(&["", "", "", "set of", "list of"][..]), scalar).prop_map(|(wrap, s)| {
        let mut t: Vec<String> = wrap.split_whitespace().map(str::to_string).collect();
        t.extend(s);
        t
    })
}

fn label() -> impl Strategy<Value = Vec<String>> + Clone {
    prop::option::weighted(0.7, string_lit()).prop_map(|l| l.into_iter().collect())
}

fn keys(prefix: &'static str) -> impl Strategy<Value = Vec<String>> + Clone {
    prop::option::weighted(
        0.3,
        prop::collection::vec(select(&["W1", "W3", "DESIGN", "s_2"][..]), 1..3),
    )
    .prop_map(move |k| match k {
        None => Vec::new(),
        Some(k) => [
            toks(&[prefix]),
            joined(k.into_iter().map(|k| vec![k.to_string()]).collect(), ","),
        ]
        .concat(),
    })
}

fn bindings(e: &Exprs) -> impl Strategy<Value = Vec<String>> + Clone + use<> {
    prop::collection::vec((name(), e.expr.clone()), 1..3).prop_map(|bs| {
        joined(
            bs.into_iter()
                .map(|(n, v)| [vec![n, "=".to_string()], v].concat())
                .collect(),
            ",",
        )
    })
}

fn header() -> impl Strategy<Value = Pieces> {
    let clause = prop_oneof![
        string_lit().prop_map(|s| toks(&["title", &s])),
        (date_lit(), prop::option::of(date_lit())).prop_map(|(a, b)| match b {
            Some(b) => toks(&["effective", "from", &a, "until", &b]),
            None => toks(&["effective", "from", &a]),
        }),
        (name(), string_lit(), prop::option::of(string_lit())).prop_map(|(k, c, l)| {
            let mut t = toks(&["source", &k, &c]);
            t.extend(l);
            t
        }),
    ];
    (
        docs(),
        path(),
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[a-z0-9.]{1,5})?",
        prop::collection::vec(clause, 0..4),
    )
        .prop_map(|(d, id, version, clauses)| {
            // A title or an effective date given twice is an error; keep the first.
            let mut seen = (false, false);
            let clauses: Vec<Vec<String>> = clauses
                .into_iter()
                .filter(|c| match c.first().map(String::as_str) {
                    Some("title") => !std::mem::replace(&mut seen.0, true),
                    Some("effective") => !std::mem::replace(&mut seen.1, true),
                    _ => true,
                })
                .collect();
            let mut p = d;
            p.extend(tok_all(
                [
                    toks(&["ruleset", &id, "version", &version]),
                    clauses.concat(),
                ]
                .concat(),
            ));
            p
        })
}

/// A table cell value that cannot be read as the `-` of an empty cell.
fn cell_value(e: &Exprs) -> BoxedStrategy<Vec<String>> {
    prop_oneof![
        4 => e.sum.clone().prop_filter("starts with a minus", |t| t.first().is_some_and(|f| f != "-")),
        1 => (1..99u32).prop_map(|n| vec![format!("-{n}")]),
    ]
    .boxed()
}

fn table(e: &Exprs) -> impl Strategy<Value = Pieces> + use<> {
    let cell = prop_oneof![
        3 => Just(toks(&["-"])),
        2 => (select(&["=", "!=", "<", "<=", ">", ">="][..]), e.sum.clone()).prop_map(|(op, s)| [toks(&[op]), s].concat()),
        1 => (range_bound(), range_bound()).prop_map(|(a, b)| vec![format!("{a}..{b}")]),
        3 => few(cell_value(e)).prop_map(|vs| joined(vs, ",")),
    ];
    let out_cell = prop_oneof![
        1 => Just(toks(&["-"])),
        3 => e.expr.clone().prop_filter("starts with a minus", |t| t.first().is_some_and(|f| f != "-")),
    ];
    let row = (
        docs(),
        prop::collection::vec(cell, 0..3),
        prop::collection::vec(out_cell, 1..3),
    );
    (
        docs(),
        name(),
        label(),
        select(&["first", "collect"][..]),
        keys("source"),
        prop::collection::vec(path(), 0..3),
        prop::collection::vec(path(), 1..3),
        any::<bool>(),
        prop::collection::vec(row, 0..4),
    )
        .prop_map(|(d, n, l, hit, cite, ins, outs, rule_line, rows)| {
            let mut p = d;
            p.extend(tok_all(
                [toks(&["table", &n]), l, toks(&["hit", hit, "{"]), cite].concat(),
            ));
            let mut head = toks(&["|"]);
            for i in &ins {
                head.extend([i.clone(), "|".to_string()]);
            }
            head.extend(toks(&["=>", "|"]));
            for o in &outs {
                head.extend([o.clone(), "|".to_string()]);
            }
            p.extend(tok_all(head));
            if rule_line {
                p.push(Piece::Tok(format!(
                    "|{}",
                    "---|".repeat(ins.len() + 1 + outs.len())
                )));
            }
            for (docs, cells, outs) in rows {
                p.extend(docs);
                let mut r = toks(&["|"]);
                for c in cells {
                    r.extend(c);
                    r.push("|".to_string());
                }
                r.extend(toks(&["=>", "|"]));
                for o in outs {
                    r.extend(o);
                    r.push("|".to_string());
                }
                p.extend(tok_all(r));
            }
            p.push(Piece::Tok("}".to_string()));
            p
        })
}

fn item(e: &Exprs) -> BoxedStrategy<Pieces> {
    let expr = e.expr.clone();
    let import = (
        docs(),
        string_lit(),
        name(),
        prop::option::weighted(0.4, bindings(e)),
    )
        .prop_map(|(d, p, a, b)| {
            let mut t = toks(&["import", &p, "as", &a]);
            if let Some(b) = b {
                t.push("with".to_string());
                t.extend(b);
            }
            [d, tok_all(t)].concat()
        });
    let variant = (docs(), name(), label());
    let enum_decl = (
        docs(),
        name(),
        any::<bool>(),
        prop::collection::vec(variant, 1..4),
        any::<bool>(),
    )
        .prop_map(|(d, n, ordered, vs, comma)| {
            let mut p = d;
            p.extend(tok_all(toks(&["enum", &n])));
            if ordered {
                p.push(Piece::Tok("ordered".to_string()));
            }
            p.push(Piece::Tok("{".to_string()));
            let count = vs.len();
            for (i, (vd, vn, vl)) in vs.into_iter().enumerate() {
                p.extend(vd);
                p.extend(tok_all([vec![vn], vl].concat()));
                if i + 1 < count || comma {
                    p.push(Piece::Tok(",".to_string()));
                }
            }
            p.push(Piece::Tok("}".to_string()));
            p
        });
    let input =
        (docs(), name(), any::<bool>(), type_expr(), label()).prop_map(|(d, n, opt, ty, l)| {
            let opt = if opt { toks(&["optional"]) } else { Vec::new() };
            [d, tok_all([toks(&["input", &n, ":"]), opt, ty, l].concat())].concat()
        });
    let param = (
        docs(),
        name(),
        type_expr(),
        expr.clone(),
        label(),
        keys("source"),
    )
        .prop_map(|(d, n, ty, v, l, k)| {
            [
                d,
                tok_all([toks(&["param", &n, ":"]), ty, toks(&["="]), v, l, k].concat()),
            ]
            .concat()
        });
    let let_decl = (
        docs(),
        name(),
        prop::option::weighted(0.3, type_expr()),
        expr.clone(),
    )
        .prop_map(|(d, n, ty, v)| {
            let ty = ty.map(|t| [toks(&[":"]), t].concat()).unwrap_or_default();
            [
                d,
                tok_all([toks(&["let", &n]), ty, toks(&["="]), v].concat()),
            ]
            .concat()
        });
    let value = prop_oneof![
        Just(Vec::new()),
        expr.clone().prop_map(|v| [toks(&["default"]), v].concat()),
        expr.clone().prop_map(|v| [toks(&["="]), v].concat()),
    ];
    let output = (docs(), name(), type_expr(), label(), value).prop_map(|(d, n, ty, l, v)| {
        [d, tok_all([toks(&["output", &n, ":"]), ty, l, v].concat())].concat()
    });
    let action = prop_oneof![
        (path(), expr.clone()).prop_map(|(t, v)| [toks(&["set", &t, "to"]), v].concat()),
        (expr.clone(), path()).prop_map(|(v, t)| [toks(&["add"]), v, toks(&["to", &t])].concat()),
    ];
    let rule = (
        docs(),
        name(),
        prop::option::weighted(0.3, name()),
        label(),
        keys("source"),
        expr.clone(),
        prop::collection::vec(action, 1..3),
    )
        .prop_map(|(d, n, base, l, k, cond, actions)| {
            let head = match base {
                Some(b) => toks(&["exception", &n, "to", &b]),
                None => toks(&["rule", &n]),
            };
            [
                d,
                tok_all(
                    [
                        head,
                        l,
                        toks(&["{"]),
                        k,
                        toks(&["when"]),
                        cond,
                        actions.concat(),
                        toks(&["}"]),
                    ]
                    .concat(),
                ),
            ]
            .concat()
        });
    let fact = (prop_oneof![3 => path(), 1 => name_range()], expr.clone())
        .prop_map(|(t, v)| [toks(&[&t, "="]), v].concat());
    let expectation = prop_oneof![
        4 => (path(), expr.clone()).prop_map(|(t, v)| [toks(&[&t, "="]), v].concat()),
        1 => path().prop_map(|t| toks(&[&t, "is", "undetermined"])),
    ];
    let clause = prop_oneof![
        3 => prop::collection::vec(fact, 1..4).prop_map(|fs| [toks(&["given"]), joined(fs, ",")].concat()),
        1 => bindings(e).prop_map(|b| [toks(&["with"]), b].concat()),
        3 => prop::collection::vec(expectation, 1..4).prop_map(|es| [toks(&["expect"]), joined(es, ",")].concat()),
    ];
    let test =
        (docs(), string_lit(), prop::collection::vec(clause, 0..4)).prop_map(|(d, n, cs)| {
            [
                d,
                tok_all([toks(&["test", &n, "{"]), cs.concat(), toks(&["}"])].concat()),
            ]
            .concat()
        });
    let list_item = prop_oneof![1 => expr.clone(), 2 => name_range().prop_map(|r| vec![r])];
    let body = prop_oneof![
        (path(), prop::collection::vec(list_item, 1..3)).prop_map(|(o, items)| [
            toks(&["monotone", &o, "in"]),
            joined(items, ",")
        ]
        .concat()),
        expr.clone().prop_map(|x| [toks(&["always"]), x].concat()),
        expr.clone().prop_map(|x| [toks(&["never"]), x].concat()),
        (
            string_lit(),
            prop::collection::vec(path(), 1..3),
            prop::option::of(expr.clone())
        )
            .prop_map(|(f, outs, except)| {
                let except = except
                    .map(|x| [toks(&["except", "when"]), x].concat())
                    .unwrap_or_default();
                [
                    toks(&["agree", "with", &f, "on"]),
                    joined(outs.into_iter().map(|o| vec![o]).collect(), ","),
                    except,
                ]
                .concat()
            }),
    ];
    let property = (
        docs(),
        string_lit(),
        prop::option::weighted(0.3, bindings(e)),
        body,
    )
        .prop_map(|(d, n, w, b)| {
            let with = w.map(|w| [toks(&["with"]), w].concat()).unwrap_or_default();
            [
                d,
                tok_all([toks(&["property", &n, "{"]), with, b, toks(&["}"])].concat()),
            ]
            .concat()
        });
    prop_oneof![
        1 => import,
        2 => enum_decl,
        3 => input,
        2 => param,
        3 => let_decl,
        2 => output,
        3 => rule,
        2 => table(e),
        2 => test,
        2 => property,
    ]
    .boxed()
}

/// A ruleset as token lists (the header first), before layout.
pub fn ruleset_pieces() -> impl Strategy<Value = Vec<Pieces>> {
    let e = exprs(2);
    (header(), prop::collection::vec(item(&e), 0..7)).prop_map(|(h, items)| {
        let mut all = vec![h];
        all.extend(items);
        all
    })
}

/// A small deterministic random number generator for layout choices.
struct Layout(u64);

impl Layout {
    fn pick(&mut self, n: u64) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// Lays out items: each item starts on a new line at column 0; between tokens goes a
/// space most of the time, otherwise a line break, indentation or a comment.
pub fn lay_out(items: &[Pieces], seed: u64) -> String {
    let mut rng = Layout(seed | 1);
    let mut out = String::new();
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push_str(match rng.pick(8) {
                0 => "\n\n",
                1 => "\n// between items\n",
                2 => "\n\n\n// a section\n\n",
                3 => " // after the item\n",
                _ => "\n",
            });
        }
        let mut first = true;
        for piece in item {
            match piece {
                Piece::Doc(text) => {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    if !first && rng.pick(2) == 0 {
                        out.push_str("  ");
                    }
                    out.push_str("///");
                    if !text.is_empty() {
                        out.push(' ');
                        out.push_str(text);
                    }
                    out.push('\n');
                    if rng.pick(6) == 0 {
                        out.push_str("// between a doc comment and its declaration\n");
                    }
                }
                Piece::Tok(t) => {
                    if first {
                        // An item keyword must start its line.
                    } else if out.ends_with('\n') {
                        out.push_str(["", "  ", "    "][rng.pick(3) as usize]);
                    } else {
                        out.push_str(match rng.pick(24) {
                            0 => "\n  ",
                            1 => "  ",
                            2 => " // a note\n    ",
                            3 => "\n  // on its own line\n  ",
                            4 => "\t",
                            5 => "\n\n    ",
                            _ => " ",
                        });
                    }
                    out.push_str(t);
                    first = false;
                }
            }
        }
    }
    if rng.pick(3) == 0 {
        out.push_str("\n// the end");
    }
    out.push('\n');
    out
}

/// Random rulesets that follow the grammar, in a random layout with comments.
pub fn ruleset_source() -> impl Strategy<Value = String> {
    (ruleset_pieces(), any::<u64>()).prop_map(|(items, seed)| lay_out(&items, seed))
}

/// A change to some bytes.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// Remove `len` bytes at a position (a fraction of the length).
    Delete(f64, usize),
    /// Insert bytes at a position.
    Insert(f64, Vec<u8>),
    /// Replace one byte.
    Replace(f64, u8),
    /// Copy a range of bytes to another position.
    Duplicate(f64, usize, f64),
}

/// Bytes that tend to matter to the parser.
const INTERESTING: &[&[u8]] = &[
    b"(",
    b")",
    b"{",
    b"}",
    b"[",
    b"\"",
    b"\\",
    b"//",
    b"///",
    b"\n",
    b"|",
    b"=>",
    b"..",
    b"-",
    b"count ",
    b"not ",
    b"if ",
    b"\0",
    b"\xff",
    b"\xe2\x80",
    b"\r",
    b"9999999999999999999999",
    b"2024-02-30",
    b"input ",
    b"rule ",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        select(INTERESTING).prop_map(<[u8]>::to_vec),
        prop::collection::vec(any::<u8>(), 1..4),
    ];
    prop_oneof![
        (0.0..1.0f64, 1..8usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (0.0..1.0f64, interesting).prop_map(|(at, b)| Mutation::Insert(at, b)),
        (0.0..1.0f64, any::<u8>()).prop_map(|(at, b)| Mutation::Replace(at, b)),
        (0.0..1.0f64, 1..40usize, 0.0..1.0f64)
            .prop_map(|(at, n, to)| Mutation::Duplicate(at, n, to)),
    ]
}

/// Applies mutations to bytes.
pub fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Delete(f, n) => {
                let start = at(*f, len);
                let end = (start + n).min(len);
                bytes.drain(start..end);
            }
            Mutation::Insert(f, b) => {
                let start = at(*f, len);
                bytes.splice(start..start, b.iter().copied());
            }
            Mutation::Replace(f, b) => {
                if let Some(x) = bytes.get_mut(at(*f, len)) {
                    *x = *b;
                }
            }
            Mutation::Duplicate(f, n, to) => {
                let start = at(*f, len);
                let end = (start + n).min(len);
                let copy: Vec<u8> = bytes
                    .get(start..end)
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                let to = at(*to, len);
                bytes.splice(to..to, copy);
            }
        }
    }
    bytes
}

/// Valid generated rulesets with a few random changes.
pub fn mutated_source() -> impl Strategy<Value = Vec<u8>> {
    (ruleset_source(), prop::collection::vec(mutation(), 1..4))
        .prop_map(|(src, ms)| mutate(src.into_bytes(), &ms))
}

/// Words of the language strung together at random, with a header in front most of the time.
pub fn token_soup() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        6 => select(&[
            "ruleset", "version", "1.0.0", "input", "param", "let", "output", "rule", "exception", "table", "test",
            "property", "enum", "import", "when", "set", "add", "to", "given", "expect", "with", "monotone", "always",
            "never", "agree", "on", "except", "hit", "first", "collect", "source", "title", "effective", "from",
            "until", "ordered", "optional", "default", "answer", "int", "in", "of", "list", "and", "or", "not", "is",
            "yes", "no", "unknown", "known", "empty", "count", "within", "before", "after", "between", "if", "then",
            "else", "months", "=", "!=", "<", ">=", "+", "-", "*", "/", "(", ")", "[", "]", "{", "}", "|", "=>",
            "..", ",", ":", "\n", "\n", "///", "//", "q1", "q1..q3", "x.y", "\"t\"", "\"", "2024-05-01",
            "2024-02-30", "12", "1.5", "99999999999999999999",
        ][..])
        .prop_map(str::to_string),
        1 => name(),
    ];
    (any::<bool>(), prop::collection::vec(word, 0..40)).prop_map(|(header, words)| {
        let mut s = if header {
            String::from("ruleset t version 1.0.0\n")
        } else {
            String::new()
        };
        s.push_str(&words.join(" "));
        s
    })
}
