//! Text to syntax tree: pest pairs are lowered to [`crate::ast`] here and nowhere else.
//!
//! The file is parsed chunk by chunk (see [`crate::scan`]). Each chunk is parsed with
//! pest; a chunk that fails gives one located syntax error and the others carry on.

use pest::Parser as _;
use pest::iterators::Pair;
use waymark_diagnostics::{Code, Diagnostic, Span};

use crate::ast::*;
use crate::scan::{self, Chunk};

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/waymark.pest"]
struct WaymarkParser;

/// The deepest expression tree the lowering builds; deeper ones get [`Code::NestingTooDeep`].
const MAX_EXPR_DEPTH: usize = 128;

/// The largest number of pest calls one chunk may take, so no input can make the parser hang.
const CALL_LIMIT: usize = 50_000_000;

pub(crate) fn parse_text(text: &str) -> (Ruleset, Vec<Diagnostic>) {
    let scan = scan::scan(text);
    let mut diagnostics = scan.diagnostics;
    let mut ruleset = Ruleset {
        header: None,
        items: Vec::new(),
        comments: scan.comments,
    };
    if diagnostics
        .iter()
        .any(|d| d.code == Code::NestingTooDeep || d.code == Code::ControlCharacter)
    {
        // Parsing this text could recurse without bound; the scan's diagnostics say why.
        return (ruleset, diagnostics);
    }
    pest::set_call_limit(std::num::NonZeroUsize::new(CALL_LIMIT));
    for chunk in &scan.chunks {
        let src = text.get(chunk.start..chunk.end).unwrap_or("");
        let mut lower = Lower {
            offset: chunk.start as u32,
            diagnostics: Vec::new(),
            depth: 0,
        };
        if chunk.header {
            if src.trim().is_empty() || only_comments(src) {
                diagnostics.push(missing_header(chunk.start as u32, text));
                continue;
            }
            match WaymarkParser::parse(Rule::header_chunk, src) {
                Ok(mut pairs) => {
                    if let Some(h) = pairs
                        .next()
                        .and_then(|p| p.into_inner().find(|p| p.as_rule() == Rule::header))
                    {
                        ruleset.header = Some(lower.header(h));
                    }
                }
                Err(e) => {
                    if first_word(src) == Some("ruleset") {
                        diagnostics.push(syntax_error(&e, chunk, src, Rule::header_chunk));
                    } else {
                        diagnostics.push(missing_header(chunk.start as u32, text));
                    }
                }
            }
        } else {
            match WaymarkParser::parse(Rule::item_chunk, src) {
                Ok(mut pairs) => {
                    if let Some(top) = pairs.next() {
                        for p in top.into_inner() {
                            if p.as_rule() != Rule::EOI
                                && let Some(item) = lower.item(p)
                            {
                                ruleset.items.push(item);
                            }
                        }
                    }
                }
                Err(e) => diagnostics.push(syntax_error(&e, chunk, src, Rule::item_chunk)),
            }
        }
        diagnostics.extend(lower.diagnostics);
    }
    (ruleset, diagnostics)
}

fn only_comments(src: &str) -> bool {
    src.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || (t.starts_with("//") && !t.starts_with("///"))
    })
}

fn first_word(src: &str) -> Option<&str> {
    src.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("///"))
        .and_then(|l| {
            l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
        })
}

fn missing_header(at: u32, text: &str) -> Diagnostic {
    let end = text[at as usize..]
        .find('\n')
        .map_or(text.len(), |n| at as usize + n);
    Diagnostic::new(
        Code::MissingHeader,
        "the file does not start with a `ruleset` header",
    )
    .with_primary(
        Span::new(at, end.max(at as usize) as u32),
        "expected `ruleset ID version X.Y.Z` here",
    )
    .with_help("begin the file with, for example, `ruleset marac.referral version 1.0.0`")
}

/// Parses one chunk again with pest's detailed error tracking, which records the
/// furthest position reached and the literal tokens expected there.
fn detailed_error(rule: Rule, src: &str) -> Option<pest::error::Error<Rule>> {
    // The switch is process-wide and read when a parse starts: without the lock, another
    // thread could switch it off between these lines and the message would change.
    static DETAIL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = DETAIL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    pest::set_error_detail(true);
    let result = WaymarkParser::parse(rule, src).err();
    pest::set_error_detail(false);
    result
}

/// Turns pest's error into our diagnostic, naming what was expected in plain words.
fn syntax_error(e: &pest::error::Error<Rule>, chunk: &Chunk, src: &str, rule: Rule) -> Diagnostic {
    if let pest::error::ErrorVariant::CustomError { message } = &e.variant
        && message.contains("limit reached")
    {
        return too_complex(chunk, src);
    }
    let basic_pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let detailed = detailed_error(rule, src);
    // The detailed tracker also records attempts made inside look-aheads, such as the check
    // that a name is not a reserved word; when that is all that lies between the two
    // positions, the plain error names the problem better.
    let skipped = detailed
        .as_ref()
        .and_then(|d| d.parse_attempts())
        .and_then(|a| src.get(basic_pos..a.max_position.max(basic_pos)))
        .map(str::trim)
        .unwrap_or("");
    let use_basic = reserved_word_help(skipped).is_some();
    let e = if use_basic {
        e
    } else {
        detailed.as_ref().unwrap_or(e)
    };
    let attempts = if use_basic { None } else { e.parse_attempts() };
    let pos = match (&attempts, e.location.clone()) {
        (Some(a), _) => a.max_position,
        (None, pest::error::InputLocation::Pos(p)) => p,
        (None, pest::error::InputLocation::Span((s, _))) => s,
    };
    let mut pos = pos.min(src.len());
    if let Some(d) = unclosed_text(chunk, src) {
        return d;
    }
    // Point at the next token, not at the space before it; at the end of the item,
    // point just after the last token.
    let before_space = pos;
    while src
        .as_bytes()
        .get(pos)
        .is_some_and(|b| b.is_ascii_whitespace())
    {
        pos += 1;
    }
    if pos >= src.len() {
        pos = before_space.min(src.len());
        while pos > 0
            && src
                .as_bytes()
                .get(pos - 1)
                .is_some_and(|b| b.is_ascii_whitespace())
        {
            pos -= 1;
        }
    }
    if let Some(d) = short_separator(chunk, src) {
        return d;
    }
    if src
        .get(pos..)
        .is_some_and(|r| r.starts_with("///") && !documents_a_row(r))
    {
        return misplaced_doc(chunk.start + pos, src.get(pos..).unwrap_or(""));
    }
    let found = found_token(src, pos);
    if found.trim().is_empty()
        && let Some(d) = unclosed_bracket(chunk, src)
    {
        return d;
    }
    let at = chunk.start + pos;
    // One character wide at least, but never past the chunk: at the very end of the file
    // the span is empty.
    let span = Span::new(
        at as u32,
        (at + found.len().max(1)).min(chunk.end).max(at) as u32,
    );
    let mut rules: Vec<Rule> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    if let Some(a) = &attempts {
        for stack in &a.call_stacks {
            if let Some(r) = stack.deepest.get_rule() {
                rules.push(*r);
            } else if let Some(parent) = stack.parent {
                rules.push(parent);
            }
        }
        for t in a.expected_tokens() {
            // Literal tokens display as themselves; character ranges and built-ins are skipped.
            let token = t.to_string();
            let is_range = token.chars().count() == 4 && token.get(1..3) == Some("..");
            if !is_range
                && token != "BUILTIN_RULE"
                && !token.trim().is_empty()
                && !token.starts_with("//")
            {
                tokens.push(token);
            }
        }
    }
    if rules.is_empty()
        && tokens.is_empty()
        && let pest::error::ErrorVariant::ParsingError { positives, .. } = &e.variant
    {
        rules.extend(positives.iter().copied());
    }
    if let Some(d) = misspelt_keyword(found, src, pos, at, &rules, &tokens) {
        return d;
    }
    let (expected, help) = describe_expected(&rules, &tokens);
    let before = src.get(..pos).unwrap_or("").trim_end();
    let help = help.or_else(|| {
        if found == "=" && before.ends_with('=') {
            Some("compare with a single `=`, as in `n = 14`".to_string())
        } else if before.ends_with('-') && before.trim_end_matches('-').trim_end().ends_with('|') {
            Some("a cell that is only `-` means any value (or no value, right of `=>`); write a negative value in brackets, such as `(-n)`".to_string())
        } else {
            None
        }
    });
    let found_text = if found.is_empty() {
        "the end of the item".to_string()
    } else if found.trim().is_empty() {
        "the end of the line".to_string()
    } else {
        format!("`{found}`")
    };
    let mut d = Diagnostic::new(
        Code::Syntax,
        format!("expected {expected}, found {found_text}"),
    )
    .with_primary(span, format!("expected {expected}"));
    let help = help.or_else(|| reserved_word_help(found));
    if let Some(h) = help {
        d = d.with_help(h);
    }
    d
}

/// An item that ends while a bracket is still open: name the bracket, not the tokens
/// that could have followed.
fn unclosed_bracket(chunk: &Chunk, src: &str) -> Option<Diagnostic> {
    let (i, c) = open_brackets(src).last().copied()?;
    let close = match c {
        '(' => ')',
        '[' => ']',
        _ => '}',
    };
    let at = (chunk.start + i) as u32;
    let end = (chunk.start + src.trim_end().len()) as u32;
    Some(
        Diagnostic::new(Code::Syntax, format!("this `{c}` is never closed"))
            .with_primary(Span::new(at, at + 1), "opened here")
            .with_label(Span::new(end, end), format!("expected `{close}` by here"))
            .with_help(format!(
                "add `{close}` after the last line that belongs inside it"
            )),
    )
}

/// The brackets of `src` left open at its end, with their offsets, outermost first.
/// Brackets in texts and comments do not count.
fn open_brackets(src: &str) -> Vec<(usize, char)> {
    let mut open: Vec<(usize, char)> = Vec::new();
    let mut line_start = 0;
    for line in src.split_inclusive('\n') {
        let mut in_text = false;
        let mut chars = line.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' if in_text => {
                    chars.next();
                }
                '"' => in_text = !in_text,
                '/' if !in_text && line.get(i..).is_some_and(|r| r.starts_with("//")) => break,
                '(' | '[' | '{' if !in_text => open.push((line_start + i, c)),
                ')' | ']' | '}' if !in_text => {
                    let opener = match c {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    if open.last().is_some_and(|(_, o)| *o == opener) {
                        open.pop();
                    }
                }
                _ => {}
            }
        }
        line_start += line.len();
    }
    open
}

/// A word at the start of a line where a new declaration could begin, which is not one of
/// the keywords that begin a declaration: most often a misspelt `input` or `rule`.
fn misspelt_keyword(
    found: &str,
    src: &str,
    pos: usize,
    at: usize,
    rules: &[Rule],
    tokens: &[String],
) -> Option<Diagnostic> {
    let before = src.get(..pos)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let at_line_start = line_start > 0 && before.get(line_start..)?.trim().is_empty();
    let is_word = found
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic());
    // The item, or the header, could have ended just before the word.
    let could_end = rules.iter().any(|r| {
        matches!(
            r,
            Rule::EOI
                | Rule::item_chunk
                | Rule::header_chunk
                | Rule::title_clause
                | Rule::effective_clause
                | Rule::source_clause
        )
    }) || (!tokens.is_empty()
        && tokens.iter().all(|t| CONTINUATIONS.contains(&t.as_str()))
        && rules
            .iter()
            .all(|r| is_operand_chain(*r) || matches!(r, Rule::cmp_op | Rule::unit)));
    if !at_line_start
        || !is_word
        || !could_end
        || scan::ITEM_KEYWORDS.contains(&found)
        || !open_brackets(before).is_empty()
    {
        return None;
    }
    let closest = scan::ITEM_KEYWORDS
        .iter()
        .map(|k| (waymark_diagnostics::edit_distance(found, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min();
    let help = match closest {
        Some((_, k)) => format!("did you mean `{k}`?"),
        None => "each declaration starts on a new line with `import`, `enum`, `input`, `param`, `let`, `output`, `rule`, `exception`, `table`, `test` or `property`".to_string(),
    };
    Some(
        Diagnostic::new(
            Code::Syntax,
            format!("expected a new declaration, found `{found}`"),
        )
        .with_primary(
            Span::new(at as u32, (at + found.len()) as u32),
            "not a keyword that starts a declaration",
        )
        .with_help(help),
    )
}

/// A chunk that pest gave up on because it needed too many steps or too deep a stack.
fn too_complex(chunk: &Chunk, src: &str) -> Diagnostic {
    let first_line = src.trim_start().lines().next().unwrap_or("").trim_end();
    let at = chunk.start + (src.len() - src.trim_start().len());
    Diagnostic::new(
        Code::NestingTooDeep,
        "this declaration is too deeply nested or too long to read",
    )
    .with_primary(
        Span::new(at as u32, (at + first_line.len()) as u32),
        "in this declaration",
    )
    .with_help("split long formulas into named `let` values")
}

/// True when the `///` lines at the start of `rest` are followed by a table row.
fn documents_a_row(rest: &str) -> bool {
    rest.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//"))
        .is_some_and(|l| l.starts_with('|'))
}

/// A table separator line written with single dashes, such as `|-|-|`: the grammar needs
/// at least two in each cell so that a row of `-` cells is never mistaken for one.
fn short_separator(chunk: &Chunk, src: &str) -> Option<Diagnostic> {
    let mut line_start = 0;
    for line in src.split_inclusive('\n') {
        let t = line.trim();
        let cells: Vec<&str> = t
            .strip_prefix('|')
            .and_then(|r| r.strip_suffix('|'))
            .map(|r| r.split('|').collect())
            .unwrap_or_default();
        let dashes_only = !cells.is_empty()
            && cells
                .iter()
                .all(|c| !c.trim().is_empty() && c.trim().chars().all(|ch| ch == '-'));
        if dashes_only && cells.iter().any(|c| c.trim().len() < 2) {
            let at = chunk.start + line_start + (line.len() - line.trim_start().len());
            return Some(
                Diagnostic::new(Code::Syntax, "a separator line needs at least two dashes in each cell")
                    .with_primary(Span::new(at as u32, (at + t.len()) as u32), "too few dashes")
                    .with_help("write at least two dashes in each cell, like `|----|----|`, or leave the line out"),
            );
        }
        line_start += line.len();
    }
    None
}

/// A `///` comment where no declaration, enum value or table row follows it.
fn misplaced_doc(at: usize, rest: &str) -> Diagnostic {
    let len = rest.find('\n').unwrap_or(rest.len());
    let len = rest.get(..len).map_or(len, |l| l.trim_end().len());
    Diagnostic::new(Code::DocCommentMisplaced, "this `///` documentation comment documents nothing")
        .with_primary(Span::new(at as u32, (at + len.max(3)) as u32), "no declaration follows it")
        .with_help("put `///` comments directly above a declaration, an enum value or a table row; use `//` for other comments")
}

/// A text whose closing quote is missing, which otherwise confuses every later message.
fn unclosed_text(chunk: &Chunk, src: &str) -> Option<Diagnostic> {
    let mut line_start = 0;
    for line in src.split_inclusive('\n') {
        let mut open: Option<usize> = None;
        let mut chars = line.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '/' if open.is_none() && line.get(i..).is_some_and(|r| r.starts_with("//")) => {
                    break;
                }
                '\\' if open.is_some() => {
                    chars.next();
                }
                '"' => open = if open.is_some() { None } else { Some(i) },
                _ => {}
            }
        }
        if let Some(i) = open {
            let at = (chunk.start + line_start + i) as u32;
            return Some(
                Diagnostic::new(Code::Syntax, "this text has no closing `\"`")
                    .with_primary(Span::new(at, at + 1), "the text starts here")
                    .with_help("a text must end with `\"` on the same line"),
            );
        }
        line_start += line.len();
    }
    None
}

fn reserved_word_help(found: &str) -> Option<String> {
    const RESERVED: &[&str] = &[
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
    ];
    RESERVED.contains(&found).then(|| {
        format!("`{found}` is a reserved word of the language and cannot be used as a name")
    })
}

fn found_token(src: &str, pos: usize) -> &str {
    let rest = src.get(pos..).unwrap_or("");
    let mut chars = rest.char_indices();
    match chars.next() {
        None => "",
        Some((_, c)) if c.is_ascii_alphanumeric() || c == '_' => {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(rest.len());
            rest.get(..end).unwrap_or("").trim_end_matches('.')
        }
        Some((_, c)) => rest.get(..c.len_utf8()).unwrap_or(""),
    }
}

/// Tokens that can follow a complete formula to make a longer one.
const CONTINUATIONS: &[&str] = &[
    "!=",
    "*",
    "+",
    "-",
    "/",
    "<",
    "<=",
    "=",
    ">",
    ">=",
    "and",
    "or",
    "implies",
    "is",
    "in",
    "not",
    "within",
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
    "(",
    ".",
];

/// The grammar rules of the operator chain, from a whole formula down to one operand.
fn is_operand_chain(r: Rule) -> bool {
    matches!(
        r,
        Rule::expr
            | Rule::implies
            | Rule::or_expr
            | Rule::and_expr
            | Rule::not_expr
            | Rule::comparison
            | Rule::sum
            | Rule::product
            | Rule::unary
            | Rule::postfix
    )
}

/// Rules that mean "a value or a formula" when pest expected them.
fn is_formula(r: Rule) -> bool {
    is_operand_chain(r) || matches!(r, Rule::literal | Rule::if_expr)
}

fn describe_expected(rules: &[Rule], tokens: &[String]) -> (String, Option<String>) {
    const EXPR_STARTS: &[&str] = &[
        "\"", "(", "-", "[", "_", "count", "false", "no", "not", "true", "unknown", "yes", "{",
        "if",
    ];
    let wants_expr = rules.iter().any(|r| is_formula(*r));
    let wants_name = rules
        .iter()
        .any(|r| matches!(r, Rule::ident | Rule::path | Rule::type_name));
    let wants_text = rules
        .iter()
        .any(|r| matches!(r, Rule::string | Rule::string_inner));
    let mut words: Vec<String> = Vec::new();
    let tokens: Vec<&String> = tokens
        .iter()
        .filter(|t| !(wants_expr && EXPR_STARTS.contains(&t.as_str())))
        .filter(|t| !(wants_name && t.as_str() == "_"))
        .filter(|t| !(wants_text && t.as_str() == "\""))
        .collect();
    // Operators that could continue a complete formula are noise when something the
    // construct itself needs, such as `else` or `}`, is also expected.
    let needed: Vec<&String> = tokens
        .iter()
        .copied()
        .filter(|t| !CONTINUATIONS.contains(&t.as_str()))
        .collect();
    let continuing = !needed.is_empty() && needed.len() < tokens.len();
    let tokens = if continuing { needed } else { tokens };
    let has_tokens = !tokens.is_empty();
    for t in tokens {
        let w = format!("`{t}`");
        if !words.contains(&w) {
            words.push(w);
        }
    }
    let mut help = None;
    for r in rules {
        let w = match r {
            Rule::ident | Rule::path | Rule::type_name => "a name",
            Rule::string | Rule::string_inner => "a text in double quotes",
            Rule::date => "a date such as `2024-05-01`",
            Rule::int | Rule::range_bound => "a whole number",
            Rule::number => "a number",
            Rule::semver => {
                help =
                    Some("versions are written `MAJOR.MINOR.PATCH`, such as `1.0.0`".to_string());
                "a version such as `1.0.0`"
            }
            r if continuing
                && (is_formula(*r)
                    || matches!(
                        r,
                        Rule::cmp_op
                            | Rule::unit
                            | Rule::unit_days
                            | Rule::unit_weeks
                            | Rule::unit_months
                            | Rule::unit_years
                    )) =>
            {
                continue;
            }
            r if is_formula(*r) => "a value or a formula",
            Rule::type_expr | Rule::type_scalar | Rule::type_set | Rule::type_list => {
                "a type such as `answer`, `int` or `date`"
            }
            Rule::when_clause => {
                help = Some("a rule is `{ when CONDITION set OUTPUT to VALUE }`".to_string());
                "`when`"
            }
            Rule::set_action => "`set OUTPUT to VALUE`",
            Rule::add_action => "`add VALUE to OUTPUT`",
            Rule::cite | Rule::source_clause => "`source KEY`",
            Rule::hit_policy => {
                help = Some(
                    "write `hit first` or `hit collect` after the table's name and label"
                        .to_string(),
                );
                "`hit first` or `hit collect`"
            }
            Rule::cell
            | Rule::cell_any
            | Rule::cell_cmp
            | Rule::cell_range
            | Rule::cell_values
            | Rule::out_cell => "a table cell",
            Rule::table_row | Rule::table_head => "a table row `| … |`",
            Rule::given_clause | Rule::with_clause | Rule::expect_clause => {
                "`given`, `with` or `expect`"
            }
            Rule::expectation => "an expected output such as `risk_level = high`",
            Rule::fact | Rule::fact_target => "a fact such as `q1 = yes`",
            Rule::param_binding => "a parameter value such as `vhr_threshold = 14`",
            Rule::prop_monotone | Rule::prop_always | Rule::prop_never | Rule::prop_agree => {
                "`monotone`, `always`, `never` or `agree with`"
            }
            Rule::title_clause => "`title`",
            Rule::effective_clause => "`effective from`",
            Rule::enum_variant => "an enum value",
            Rule::optional_kw => "`optional`",
            Rule::output_default | Rule::output_computed => "`default VALUE` or `= FORMULA`",
            Rule::unit
            | Rule::unit_days
            | Rule::unit_weeks
            | Rule::unit_months
            | Rule::unit_years => "a unit such as `months`",
            Rule::dir_before | Rule::dir_after => "`before` or `after`",
            Rule::cmp_op => "a comparison such as `>=`",
            Rule::EOI if has_tokens => continue,
            Rule::EOI => "the end of the item (or a new item on its own line)",
            Rule::header => "a `ruleset` header",
            Rule::import_decl
            | Rule::enum_decl
            | Rule::input_decl
            | Rule::param_decl
            | Rule::let_decl
            | Rule::output_decl
            | Rule::rule_decl
            | Rule::exception_decl
            | Rule::table_decl
            | Rule::test_decl
            | Rule::property_decl
                if has_tokens =>
            {
                continue;
            }
            Rule::import_decl
            | Rule::enum_decl
            | Rule::input_decl
            | Rule::param_decl
            | Rule::let_decl
            | Rule::output_decl
            | Rule::rule_decl
            | Rule::exception_decl
            | Rule::table_decl
            | Rule::test_decl
            | Rule::property_decl => "a declaration such as `input`, `rule` or `test`",
            Rule::docs | Rule::doc_comment => "a declaration after the `///` comment",
            _ => continue,
        };
        if !words.iter().any(|x| x == w) {
            words.push(w.to_string());
        }
    }
    // A token that a description already names, such as `hit` beside `hit first`, is dropped.
    let described: Vec<String> = words.iter().filter(|w| w.contains(' ')).cloned().collect();
    words.retain(|w| {
        w.contains(' ')
            || !described
                .iter()
                .any(|d| d.contains(w.trim_end_matches('`')))
    });
    if words.len() > 5 {
        words.truncate(5);
        words.push("…".to_string());
    }
    let text = match words.len() {
        0 => "something else".to_string(),
        1 => words.concat(),
        _ => {
            let (last, rest) = words
                .split_last()
                .map_or((String::new(), Vec::new()), |(l, r)| {
                    (l.clone(), r.to_vec())
                });
            format!("{} or {}", rest.join(", "), last)
        }
    };
    (text, help)
}

/// Lowers pest pairs of one chunk into syntax-tree nodes, collecting diagnostics.
struct Lower {
    offset: u32,
    diagnostics: Vec<Diagnostic>,
    depth: usize,
}

impl Lower {
    /// Where a pair is written. pest lets a rule that ends in `?` or `*` keep the spaces
    /// and comments it skipped while looking for one more part; they are cut off here.
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let start = p.as_span().start();
        let end = start + content_len(p.as_str());
        Span::new(start as u32 + self.offset, end as u32 + self.offset)
    }

    fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    /// The two ends of `q1..q24`. The grammar requires both; were one missing, it would be an
    /// empty name at `span`, which the checker reports as unknown.
    fn name_range(&self, p: Pair<'_, Rule>, span: Span) -> (Ident, Ident) {
        let mut ids = p.into_inner().map(|i| self.ident(i));
        let empty = || Ident {
            name: String::new(),
            span,
        };
        let from = ids.next().unwrap_or_else(empty);
        let to = ids.next().unwrap_or_else(empty);
        (from, to)
    }

    fn path(&self, p: Pair<'_, Rule>) -> Path {
        let span = self.span(&p);
        let segments = p.into_inner().map(|s| self.ident(s)).collect();
        Path { segments, span }
    }

    fn docs(&self, p: Pair<'_, Rule>) -> Vec<String> {
        p.into_inner()
            .map(|d| {
                let t = d.as_str().trim_start_matches("///");
                t.strip_prefix(' ')
                    .unwrap_or(t)
                    .trim_end_matches('\r')
                    .to_string()
            })
            .collect()
    }

    fn string(&mut self, p: Pair<'_, Rule>) -> StrLit {
        let span = self.span(&p);
        let raw = p.into_inner().next().map(|i| i.as_str()).unwrap_or("");
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some('"') => value.push('"'),
                Some('\\') => value.push('\\'),
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                other => {
                    let shown = other.map(|c| c.to_string()).unwrap_or_default();
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::InvalidEscape,
                            format!("unknown escape `\\{shown}` in a text"),
                        )
                        .with_primary(span, "in this text")
                        .with_help("the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`"),
                    );
                }
            }
        }
        StrLit { value, span }
    }

    fn date(&mut self, p: Pair<'_, Rule>) -> DateLit {
        let span = self.span(&p);
        let text = p.as_str();
        let year: i32 = text.get(0..4).and_then(|s| s.parse().ok()).unwrap_or(0);
        let month: u8 = text.get(5..7).and_then(|s| s.parse().ok()).unwrap_or(0);
        let day: u8 = text.get(8..10).and_then(|s| s.parse().ok()).unwrap_or(0);
        let value = Date { year, month, day };
        if !valid_date(value) {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidDate,
                    format!("`{text}` is not a date in the calendar"),
                )
                .with_primary(span, "no such day")
                .with_help("dates are written YEAR-MONTH-DAY, such as `2024-05-01`"),
            );
        }
        DateLit { value, span }
    }

    fn int(&mut self, p: &Pair<'_, Rule>, negative: bool) -> i64 {
        let text = p.as_str();
        let parsed = if negative {
            format!("-{text}").parse::<i64>()
        } else {
            text.parse::<i64>()
        };
        match parsed {
            Ok(v) => v,
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::new(Code::IntegerTooLarge, format!("`{text}` is too large for a whole number"))
                        .with_primary(self.span(p), "too large")
                        .with_help("whole numbers go up to 9223372036854775807; use a `number` for larger values"),
                );
                0
            }
        }
    }

    fn number_text(&mut self, p: &Pair<'_, Rule>, negative: bool) -> String {
        let text = p.as_str();
        let digits = text.chars().filter(char::is_ascii_digit).count();
        if digits > 28 {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidNumber,
                    format!("`{text}` has more than 28 digits"),
                )
                .with_primary(self.span(p), "too many digits")
                .with_help("decimal numbers keep at most 28 significant digits"),
            );
        }
        if negative {
            format!("-{text}")
        } else {
            text.to_string()
        }
    }

    fn item(&mut self, p: Pair<'_, Rule>) -> Option<Item> {
        Some(match p.as_rule() {
            Rule::import_decl => Item::Import(self.import(p)),
            Rule::enum_decl => Item::Enum(self.enum_decl(p)),
            Rule::input_decl => Item::Input(self.input(p)),
            Rule::param_decl => Item::Param(self.param(p)),
            Rule::let_decl => Item::Let(self.let_decl(p)),
            Rule::output_decl => Item::Output(self.output(p)),
            Rule::rule_decl | Rule::exception_decl => Item::Rule(self.rule(p)),
            Rule::table_decl => Item::Table(self.table(p)),
            Rule::test_decl => Item::Test(self.test(p)),
            Rule::property_decl => Item::Property(self.property(p)),
            _ => return None,
        })
    }

    /// The span of a declaration without its leading documentation.
    fn decl_span(&self, p: &Pair<'_, Rule>) -> Span {
        let full = self.span(p);
        let doc_end = p
            .clone()
            .into_inner()
            .find(|c| c.as_rule() == Rule::docs)
            .filter(|d| !d.as_str().is_empty())
            .map(|d| self.span(&d).end);
        match doc_end {
            Some(end) => {
                let src_after = p.as_str().get((end - full.start) as usize..).unwrap_or("");
                let skip = src_after.len() - src_after.trim_start().len();
                Span::new(end + skip as u32, full.end)
            }
            None => full,
        }
    }

    fn header(&mut self, p: Pair<'_, Rule>) -> Header {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut id = None;
        let mut version = None;
        let mut title: Option<StrLit> = None;
        let mut effective_from: Option<DateLit> = None;
        let mut effective_until = None;
        let mut sources = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::path => id = Some(self.path(c)),
                Rule::semver => version = Some(self.version(c)),
                Rule::title_clause => {
                    let cspan = self.span(&c);
                    if let Some(s) = c.into_inner().next() {
                        let s = self.string(s);
                        if let Some(prev) = &title {
                            self.duplicate_clause("title", prev.span, cspan);
                        }
                        title = Some(s);
                    }
                }
                Rule::effective_clause => {
                    let cspan = self.span(&c);
                    let mut dates = c.into_inner();
                    if let Some(prev) = &effective_from {
                        self.duplicate_clause("effective from", prev.span, cspan);
                    }
                    effective_from = dates.next().map(|d| self.date(d));
                    effective_until = dates.next().map(|d| self.date(d));
                }
                Rule::source_clause => sources.push(self.source(c)),
                _ => {}
            }
        }
        let id = id.unwrap_or(Path {
            segments: Vec::new(),
            span,
        });
        let version = version.unwrap_or(Version {
            parts: [0, 0, 0],
            pre: None,
            span,
        });
        Header {
            docs,
            id,
            version,
            title,
            effective_from,
            effective_until,
            sources,
            span,
        }
    }

    fn duplicate_clause(&mut self, what: &str, first: Span, again: Span) {
        self.diagnostics.push(
            Diagnostic::new(
                Code::DuplicateHeaderClause,
                format!("the header gives `{what}` twice"),
            )
            .with_primary(again, "given again here")
            .with_label(first, "first given here")
            .with_help("keep one of them"),
        );
    }

    fn version(&mut self, p: Pair<'_, Rule>) -> Version {
        let span = self.span(&p);
        let text = p.as_str();
        let (core, pre) = match text.split_once('-') {
            Some((c, pre)) => (c, Some(pre.to_string())),
            None => (text, None),
        };
        let mut parts = [0u64; 3];
        for (slot, part) in parts.iter_mut().zip(core.split('.')) {
            match part.parse() {
                Ok(v) => *slot = v,
                Err(_) => self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidVersion,
                        format!("`{text}` is not a version number"),
                    )
                    .with_primary(span, "each part must be a whole number")
                    .with_help("versions are written `MAJOR.MINOR.PATCH`, such as `1.0.0`"),
                ),
            }
        }
        Version { parts, pre, span }
    }

    fn source(&mut self, p: Pair<'_, Rule>) -> Source {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let key = inner.next().map(|k| self.ident(k)).unwrap_or(Ident {
            name: String::new(),
            span,
        });
        let citation = inner.next().map(|s| self.string(s)).unwrap_or(StrLit {
            value: String::new(),
            span,
        });
        let link = inner.next().map(|s| self.string(s));
        Source {
            key,
            citation,
            link,
            span,
        }
    }

    fn import(&mut self, p: Pair<'_, Rule>) -> Import {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut path = None;
        let mut alias = None;
        let mut bindings = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::string => path = Some(self.string(c)),
                Rule::ident => alias = Some(self.ident(c)),
                Rule::import_with => bindings = c.into_inner().map(|b| self.binding(b)).collect(),
                _ => {}
            }
        }
        Import {
            docs,
            path: path.unwrap_or(StrLit {
                value: String::new(),
                span,
            }),
            alias: alias.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            bindings,
            span,
        }
    }

    fn binding(&mut self, p: Pair<'_, Rule>) -> ParamBinding {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let name = inner.next().map(|n| self.ident(n)).unwrap_or(Ident {
            name: String::new(),
            span,
        });
        let value = inner
            .next()
            .map(|e| self.expr(e))
            .unwrap_or_else(|| error_expr(span));
        ParamBinding { name, value, span }
    }

    fn enum_decl(&mut self, p: Pair<'_, Rule>) -> EnumDecl {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut name = None;
        let mut ordered = false;
        let mut variants = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::ident => name = Some(self.ident(c)),
                Rule::ordered_kw => ordered = true,
                Rule::enum_variant => {
                    let mut vdocs = Vec::new();
                    let mut vname = None;
                    let mut label = None;
                    for v in c.into_inner() {
                        match v.as_rule() {
                            Rule::docs => vdocs = self.docs(v),
                            Rule::ident => vname = Some(self.ident(v)),
                            Rule::string => label = Some(self.string(v)),
                            _ => {}
                        }
                    }
                    if let Some(vname) = vname {
                        variants.push(Variant {
                            docs: vdocs,
                            name: vname,
                            label,
                        });
                    }
                }
                _ => {}
            }
        }
        EnumDecl {
            docs,
            name: name.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            ordered,
            variants,
            span,
        }
    }

    fn type_expr(&mut self, p: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&p);
        let Some(inner) = p.into_inner().next() else {
            return TypeExpr::Scalar(ScalarType {
                name: Ident {
                    name: String::new(),
                    span,
                },
                range: None,
                span,
            });
        };
        match inner.as_rule() {
            Rule::type_set => {
                let s = inner.into_inner().next().map(|s| self.scalar(s));
                TypeExpr::Set(s.unwrap_or_else(|| empty_scalar(span)), span)
            }
            Rule::type_list => {
                let s = inner.into_inner().next().map(|s| self.scalar(s));
                TypeExpr::List(s.unwrap_or_else(|| empty_scalar(span)), span)
            }
            _ => TypeExpr::Scalar(self.scalar(inner)),
        }
    }

    fn scalar(&mut self, p: Pair<'_, Rule>) -> ScalarType {
        let span = self.span(&p);
        let mut name = None;
        let mut range = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::type_name => name = c.into_inner().next().map(|i| self.ident(i)),
                Rule::type_range => {
                    let rspan = self.span(&c);
                    let text = c.as_str();
                    let dots = text.find("..").unwrap_or(0) as u32 + rspan.start;
                    let mut lo = None;
                    let mut hi = None;
                    for b in c.into_inner() {
                        let bound = self.num_lit(b);
                        if bound.span().start < dots {
                            lo = Some(bound)
                        } else {
                            hi = Some(bound)
                        }
                    }
                    range = Some(RangeExpr {
                        lo,
                        hi,
                        span: rspan,
                    });
                }
                _ => {}
            }
        }
        ScalarType {
            name: name.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            range,
            span,
        }
    }

    fn num_lit(&mut self, p: Pair<'_, Rule>) -> NumLit {
        let span = self.span(&p);
        let mut negative = false;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::neg => negative = true,
                Rule::int => return NumLit::Int(self.int(&c, negative), span),
                Rule::number => return NumLit::Number(self.number_text(&c, negative), span),
                _ => {}
            }
        }
        NumLit::Int(0, span)
    }

    fn input(&mut self, p: Pair<'_, Rule>) -> InputDecl {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut name = None;
        let mut optional = false;
        let mut ty = None;
        let mut label = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::ident => name = Some(self.ident(c)),
                Rule::optional_kw => optional = true,
                Rule::type_expr => ty = Some(self.type_expr(c)),
                Rule::string => label = Some(self.string(c)),
                _ => {}
            }
        }
        InputDecl {
            docs,
            name: name.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            optional,
            ty: ty.unwrap_or_else(|| TypeExpr::Scalar(empty_scalar(span))),
            label,
            span,
        }
    }

    fn cite(&self, p: Pair<'_, Rule>) -> Vec<Ident> {
        p.into_inner().map(|i| self.ident(i)).collect()
    }

    fn param(&mut self, p: Pair<'_, Rule>) -> ParamDecl {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut name = None;
        let mut ty = None;
        let mut default = None;
        let mut label = None;
        let mut sources = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::ident => name = Some(self.ident(c)),
                Rule::type_expr => ty = Some(self.type_expr(c)),
                Rule::expr => default = Some(self.expr(c)),
                Rule::string => label = Some(self.string(c)),
                Rule::cite => sources = self.cite(c),
                _ => {}
            }
        }
        ParamDecl {
            docs,
            name: name.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            ty: ty.unwrap_or_else(|| TypeExpr::Scalar(empty_scalar(span))),
            default: default.unwrap_or_else(|| error_expr(span)),
            label,
            sources,
            span,
        }
    }

    fn let_decl(&mut self, p: Pair<'_, Rule>) -> LetDecl {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut name = None;
        let mut ty = None;
        let mut value = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::ident => name = Some(self.ident(c)),
                Rule::type_expr => ty = Some(self.type_expr(c)),
                Rule::expr => value = Some(self.expr(c)),
                _ => {}
            }
        }
        LetDecl {
            docs,
            name: name.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            ty,
            value: value.unwrap_or_else(|| error_expr(span)),
            span,
        }
    }

    fn output(&mut self, p: Pair<'_, Rule>) -> OutputDecl {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut name = None;
        let mut ty = None;
        let mut label = None;
        let mut value = OutputValue::Rules;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::ident => name = Some(self.ident(c)),
                Rule::type_expr => ty = Some(self.type_expr(c)),
                Rule::string => label = Some(self.string(c)),
                Rule::output_default => {
                    if let Some(e) = c.into_inner().next() {
                        value = OutputValue::Default(self.expr(e));
                    }
                }
                Rule::output_computed => {
                    if let Some(e) = c.into_inner().next() {
                        value = OutputValue::Computed(self.expr(e));
                    }
                }
                _ => {}
            }
        }
        OutputDecl {
            docs,
            name: name.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            ty: ty.unwrap_or_else(|| TypeExpr::Scalar(empty_scalar(span))),
            label,
            value,
            span,
        }
    }

    fn rule(&mut self, p: Pair<'_, Rule>) -> RuleDecl {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut idents = Vec::new();
        let mut label = None;
        let mut sources = Vec::new();
        let mut condition = None;
        let mut actions = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::ident => idents.push(self.ident(c)),
                Rule::string => label = Some(self.string(c)),
                Rule::rule_body => {
                    for b in c.into_inner() {
                        match b.as_rule() {
                            Rule::cite => sources = self.cite(b),
                            Rule::when_clause => {
                                condition = b.into_inner().next().map(|e| self.expr(e))
                            }
                            Rule::set_action | Rule::add_action => actions.push(self.action(b)),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let mut idents = idents.into_iter();
        let name = idents.next().unwrap_or(Ident {
            name: String::new(),
            span,
        });
        let exception_to = idents.next();
        RuleDecl {
            docs,
            name,
            exception_to,
            label,
            sources,
            condition: condition.unwrap_or_else(|| error_expr(span)),
            actions,
            span,
        }
    }

    fn action(&mut self, p: Pair<'_, Rule>) -> Action {
        let span = self.span(&p);
        let is_set = p.as_rule() == Rule::set_action;
        let mut target = None;
        let mut value = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::path => target = Some(self.path(c)),
                Rule::expr => value = Some(self.expr(c)),
                _ => {}
            }
        }
        let target = target.unwrap_or(Path {
            segments: Vec::new(),
            span,
        });
        let value = value.unwrap_or_else(|| error_expr(span));
        if is_set {
            Action::Set {
                target,
                value,
                span,
            }
        } else {
            Action::Add {
                value,
                target,
                span,
            }
        }
    }

    fn table(&mut self, p: Pair<'_, Rule>) -> TableDecl {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut name = None;
        let mut label = None;
        let mut hit = HitPolicy::First;
        let mut sources = Vec::new();
        let mut inputs = Vec::new();
        let mut outputs = Vec::new();
        let mut rows = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::ident => name = Some(self.ident(c)),
                Rule::string => label = Some(self.string(c)),
                Rule::hit_policy
                    if c.clone()
                        .into_inner()
                        .next()
                        .is_some_and(|h| h.as_rule() == Rule::hit_collect) =>
                {
                    hit = HitPolicy::Collect;
                }
                Rule::cite => sources = self.cite(c),
                Rule::table_head => {
                    let arrow = c.as_str().find("=>").unwrap_or(0) as u32 + self.span(&c).start;
                    for h in c.into_inner() {
                        let path = self.path(h);
                        if path.span.start < arrow {
                            inputs.push(path)
                        } else {
                            outputs.push(path)
                        }
                    }
                }
                Rule::table_row => rows.push(self.row(c)),
                _ => {}
            }
        }
        TableDecl {
            docs,
            name: name.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            label,
            hit,
            sources,
            inputs,
            outputs,
            rows,
            span,
        }
    }

    fn row(&mut self, p: Pair<'_, Rule>) -> TableRow {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut cells = Vec::new();
        let mut outputs = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::cell => cells.push(self.cell(c)),
                Rule::out_cell => {
                    let inner = c.into_inner().next();
                    outputs.push(match inner {
                        Some(e) if e.as_rule() == Rule::expr => Some(self.expr(e)),
                        _ => None,
                    });
                }
                _ => {}
            }
        }
        TableRow {
            docs,
            cells,
            outputs,
            span,
        }
    }

    fn cell(&mut self, p: Pair<'_, Rule>) -> Cell {
        let span = self.span(&p);
        let Some(inner) = p.into_inner().next() else {
            return Cell::Any(span);
        };
        match inner.as_rule() {
            Rule::cell_cmp => {
                let mut op = CmpOp::Eq;
                let mut value = None;
                for c in inner.into_inner() {
                    match c.as_rule() {
                        Rule::cmp_op => op = cmp_op(c.as_str()),
                        _ => value = Some(self.expr_node(c)),
                    }
                }
                Cell::Compare(op, value.unwrap_or_else(|| error_expr(span)), span)
            }
            Rule::cell_range => {
                let mut bounds = inner
                    .into_inner()
                    .map(|b| self.num_lit(b))
                    .collect::<Vec<_>>()
                    .into_iter();
                let lo = bounds.next().unwrap_or(NumLit::Int(0, span));
                let hi = bounds.next().unwrap_or(NumLit::Int(0, span));
                Cell::Range(lo, hi, span)
            }
            Rule::cell_values => Cell::OneOf(
                inner.into_inner().map(|v| self.expr_node(v)).collect(),
                span,
            ),
            _ => Cell::Any(span),
        }
    }

    fn test(&mut self, p: Pair<'_, Rule>) -> TestDecl {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut name = None;
        let mut given = Vec::new();
        let mut params = Vec::new();
        let mut expect = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::string => name = Some(self.string(c)),
                Rule::given_clause => {
                    for f in c.into_inner() {
                        given.push(self.fact(f));
                    }
                }
                Rule::with_clause => {
                    params.extend(c.into_inner().map(|b| self.binding(b)).collect::<Vec<_>>())
                }
                Rule::expect_clause => {
                    for e in c.into_inner() {
                        expect.push(self.expectation(e));
                    }
                }
                _ => {}
            }
        }
        TestDecl {
            docs,
            name: name.unwrap_or(StrLit {
                value: String::new(),
                span,
            }),
            given,
            params,
            expect,
            span,
        }
    }

    fn fact(&mut self, p: Pair<'_, Rule>) -> Fact {
        let span = self.span(&p);
        let mut target = None;
        let mut value = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::fact_target => {
                    if let Some(t) = c.into_inner().next() {
                        target = Some(match t.as_rule() {
                            Rule::name_range => {
                                let (from, to) = self.name_range(t, span);
                                FactTarget::Range(from, to)
                            }
                            _ => FactTarget::Name(self.path(t)),
                        });
                    }
                }
                Rule::expr => value = Some(self.expr(c)),
                _ => {}
            }
        }
        Fact {
            target: target.unwrap_or(FactTarget::Name(Path {
                segments: Vec::new(),
                span,
            })),
            value: value.unwrap_or_else(|| error_expr(span)),
            span,
        }
    }

    fn expectation(&mut self, p: Pair<'_, Rule>) -> Expectation {
        let span = self.span(&p);
        let mut target = None;
        let mut value = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::path => target = Some(self.path(c)),
                Rule::expr => value = Some(self.expr(c)),
                _ => {}
            }
        }
        Expectation {
            target: target.unwrap_or(Path {
                segments: Vec::new(),
                span,
            }),
            value,
            span,
        }
    }

    fn property(&mut self, p: Pair<'_, Rule>) -> PropertyDecl {
        let span = self.decl_span(&p);
        let mut docs = Vec::new();
        let mut name = None;
        let mut params = Vec::new();
        let mut body = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::string => name = Some(self.string(c)),
                Rule::with_clause => params = c.into_inner().map(|b| self.binding(b)).collect(),
                Rule::prop_monotone => {
                    let mut output = None;
                    let mut inputs = Vec::new();
                    for m in c.into_inner() {
                        match m.as_rule() {
                            Rule::path => output = Some(self.path(m)),
                            Rule::list_items => inputs = self.list_items(m),
                            _ => {}
                        }
                    }
                    body = Some(PropertyBody::Monotone {
                        output: output.unwrap_or(Path {
                            segments: Vec::new(),
                            span,
                        }),
                        inputs,
                    });
                }
                Rule::prop_always => {
                    body = Some(PropertyBody::Always(
                        c.into_inner()
                            .next()
                            .map_or_else(|| error_expr(span), |e| self.expr(e)),
                    ))
                }
                Rule::prop_never => {
                    body = Some(PropertyBody::Never(
                        c.into_inner()
                            .next()
                            .map_or_else(|| error_expr(span), |e| self.expr(e)),
                    ))
                }
                Rule::prop_agree => {
                    let mut other = None;
                    let mut outputs = Vec::new();
                    let mut except = None;
                    for a in c.into_inner() {
                        match a.as_rule() {
                            Rule::string => other = Some(self.string(a)),
                            Rule::path => outputs.push(self.path(a)),
                            Rule::expr => except = Some(self.expr(a)),
                            _ => {}
                        }
                    }
                    body = Some(PropertyBody::Agree {
                        other: other.unwrap_or(StrLit {
                            value: String::new(),
                            span,
                        }),
                        outputs,
                        except,
                    });
                }
                _ => {}
            }
        }
        PropertyDecl {
            docs,
            name: name.unwrap_or(StrLit {
                value: String::new(),
                span,
            }),
            params,
            body: body.unwrap_or_else(|| PropertyBody::Always(error_expr(span))),
            span,
        }
    }

    fn list_items(&mut self, p: Pair<'_, Rule>) -> Vec<ListItem> {
        p.into_inner()
            .map(|i| match i.as_rule() {
                Rule::name_range => {
                    let span = self.span(&i);
                    let (from, to) = self.name_range(i, span);
                    ListItem::Range(from, to, span)
                }
                _ => ListItem::Expr(self.expr(i)),
            })
            .collect()
    }

    // -- expressions --

    /// Lowers any expression-level pair, guarding the depth of the tree it builds.
    fn expr_node(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        self.depth += 1;
        let result = if self.depth > MAX_EXPR_DEPTH {
            if self.depth == MAX_EXPR_DEPTH + 1 {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::NestingTooDeep,
                        format!("this formula is nested more than {MAX_EXPR_DEPTH} deep"),
                    )
                    .with_primary(span, "too deep")
                    .with_help("split the formula into named `let` values"),
                );
            }
            error_expr(span)
        } else {
            self.expr_inner(p)
        };
        self.depth -= 1;
        result
    }

    fn expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        self.expr_node(p)
    }

    fn expr_inner(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::expr => {
                let Some(inner) = p.into_inner().next() else {
                    return error_expr(span);
                };
                self.expr_node(inner)
            }
            Rule::if_expr => {
                let mut parts = p
                    .into_inner()
                    .map(|e| self.expr_node(e))
                    .collect::<Vec<_>>()
                    .into_iter();
                let c = parts.next().unwrap_or_else(|| error_expr(span));
                let a = parts.next().unwrap_or_else(|| error_expr(span));
                let b = parts.next().unwrap_or_else(|| error_expr(span));
                Expr {
                    kind: ExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                    span,
                }
            }
            Rule::implies | Rule::or_expr | Rule::and_expr | Rule::sum | Rule::product => {
                self.binary_chain(p)
            }
            Rule::not_expr => self.prefix_chain(p, Rule::op_not, UnaryOp::Not),
            Rule::unary => self.prefix_chain(p, Rule::op_neg, UnaryOp::Neg),
            Rule::comparison => self.comparison(p),
            Rule::postfix => {
                let mut inner = p.into_inner();
                let Some(first) = inner.next() else {
                    return error_expr(span);
                };
                let base = self.expr_node(first);
                match inner.next() {
                    Some(u) => Expr {
                        kind: ExprKind::Duration(Box::new(base), unit(&u)),
                        span,
                    },
                    None => base,
                }
            }
            Rule::paren => {
                let inner = p
                    .into_inner()
                    .next()
                    .map_or_else(|| error_expr(span), |e| self.expr_node(e));
                Expr {
                    kind: ExprKind::Paren(Box::new(inner)),
                    span,
                }
            }
            Rule::call => {
                let mut inner = p.into_inner();
                let name = inner.next().map(|n| self.ident(n)).unwrap_or(Ident {
                    name: String::new(),
                    span,
                });
                let args = inner.map(|a| self.expr_node(a)).collect();
                Expr {
                    kind: ExprKind::Call(name, args),
                    span,
                }
            }
            Rule::list_lit => {
                let items = p
                    .into_inner()
                    .next()
                    .map(|l| self.list_items(l))
                    .unwrap_or_default();
                Expr {
                    kind: ExprKind::List(items),
                    span,
                }
            }
            Rule::set_lit => {
                let items = p.into_inner().map(|e| self.expr_node(e)).collect();
                Expr {
                    kind: ExprKind::Set(items),
                    span,
                }
            }
            Rule::literal => {
                let Some(inner) = p.into_inner().next() else {
                    return error_expr(span);
                };
                let lit = match inner.as_rule() {
                    Rule::date => Literal::Date(self.date(inner).value),
                    Rule::number => Literal::Number(self.number_text(&inner, false)),
                    Rule::int => Literal::Int(self.int(&inner, false)),
                    Rule::string => Literal::Text(self.string(inner).value),
                    Rule::kw_yes => Literal::Yes,
                    Rule::kw_no => Literal::No,
                    Rule::kw_unknown => Literal::Unknown,
                    Rule::kw_true => Literal::Bool(true),
                    Rule::kw_false => Literal::Bool(false),
                    _ => return error_expr(span),
                };
                Expr {
                    kind: ExprKind::Lit(lit),
                    span,
                }
            }
            Rule::path => Expr {
                kind: ExprKind::Name(self.path(p)),
                span,
            },
            Rule::count_expr => self.count(p),
            _ => error_expr(span),
        }
    }

    /// Lowers `not not x` or `- - x`, refusing chains that would build a tree deeper than
    /// [`MAX_EXPR_DEPTH`] (the operators repeat without brackets, so the scan does not see them).
    fn prefix_chain(&mut self, p: Pair<'_, Rule>, op_rule: Rule, op: UnaryOp) -> Expr {
        let span = self.span(&p);
        let mut ops = Vec::new();
        let mut operand = None;
        for c in p.into_inner() {
            if c.as_rule() == op_rule {
                ops.push(self.span(&c).start);
            } else {
                operand = Some(c);
            }
        }
        if self.depth + ops.len() > MAX_EXPR_DEPTH {
            let word = if op == UnaryOp::Not { "`not`" } else { "`-`" };
            self.diagnostics.push(
                Diagnostic::new(
                    Code::NestingTooDeep,
                    format!("this formula repeats {word} more than {MAX_EXPR_DEPTH} times"),
                )
                .with_primary(span, "too deep")
                .with_help("two of them cancel out; write the formula with at most one"),
            );
            return error_expr(span);
        }
        // The operand sits below every operator in the tree.
        self.depth += ops.len();
        let mut e = operand.map_or_else(|| error_expr(span), |c| self.expr_node(c));
        self.depth -= ops.len();
        for start in ops.into_iter().rev() {
            let s = Span::new(start, e.span.end);
            e = Expr {
                kind: ExprKind::Unary(op, Box::new(e)),
                span: s,
            };
        }
        e
    }

    fn binary_chain(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let Some(first) = inner.next() else {
            return error_expr(span);
        };
        let mut left = self.expr_node(first);
        let mut chain_depth = 0usize;
        while let Some(op) = inner.next() {
            let Some(right) = inner.next() else { break };
            let op = match op.as_rule() {
                Rule::op_implies => BinaryOp::Implies,
                Rule::op_or => BinaryOp::Or,
                Rule::op_and => BinaryOp::And,
                Rule::op_add => BinaryOp::Add,
                Rule::op_sub => BinaryOp::Sub,
                Rule::op_mul => BinaryOp::Mul,
                Rule::op_div => BinaryOp::Div,
                Rule::op_union => BinaryOp::Union,
                Rule::op_intersect => BinaryOp::Intersect,
                _ => BinaryOp::Without,
            };
            chain_depth += 1;
            if self.depth + chain_depth > MAX_EXPR_DEPTH {
                self.diagnostics.push(
                    Diagnostic::new(Code::NestingTooDeep, format!("this formula chains more than {MAX_EXPR_DEPTH} operators"))
                        .with_primary(span, "too long")
                        .with_help("split the formula into named `let` values, or count a list with `count yes in [...]`"),
                );
                return error_expr(span);
            }
            let right = self.expr_node(right);
            let s = left.span.to(right.span);
            left = Expr {
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
                span: s,
            };
        }
        left
    }

    fn comparison(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let Some(first) = inner.next() else {
            return error_expr(span);
        };
        let left = self.expr_node(first);
        let Some(tail) = inner.next() else {
            return left;
        };
        match tail.as_rule() {
            Rule::is_test => {
                let mut negated = false;
                let mut test = IsTest::Known;
                for t in tail.into_inner() {
                    match t.as_rule() {
                        Rule::op_not => negated = true,
                        Rule::kw_yes => test = IsTest::Yes,
                        Rule::kw_no => test = IsTest::No,
                        Rule::kw_unknown => test = IsTest::Unknown,
                        Rule::is_known => test = IsTest::Known,
                        Rule::is_empty => test = IsTest::Empty,
                        _ => {}
                    }
                }
                Expr {
                    kind: ExprKind::Is {
                        value: Box::new(left),
                        negated,
                        test,
                    },
                    span,
                }
            }
            Rule::within_test => {
                let mut amount = None;
                let mut direction = Direction::Before;
                let mut anchor = None;
                for t in tail.into_inner() {
                    match t.as_rule() {
                        Rule::dir_before => direction = Direction::Before,
                        Rule::dir_after => direction = Direction::After,
                        _ if amount.is_none() => amount = Some(self.expr_node(t)),
                        _ => anchor = Some(self.expr_node(t)),
                    }
                }
                Expr {
                    kind: ExprKind::Within {
                        date: Box::new(left),
                        amount: Box::new(amount.unwrap_or_else(|| error_expr(span))),
                        direction,
                        anchor: Box::new(anchor.unwrap_or_else(|| error_expr(span))),
                    },
                    span,
                }
            }
            Rule::membership => {
                let mut negated = false;
                let mut collection = None;
                for t in tail.into_inner() {
                    match t.as_rule() {
                        Rule::op_not => negated = true,
                        _ => collection = Some(self.expr_node(t)),
                    }
                }
                Expr {
                    kind: ExprKind::In {
                        value: Box::new(left),
                        negated,
                        collection: Box::new(collection.unwrap_or_else(|| error_expr(span))),
                    },
                    span,
                }
            }
            _ => {
                let mut op = CmpOp::Eq;
                let mut right = None;
                for t in tail.into_inner() {
                    match t.as_rule() {
                        Rule::cmp_op => op = cmp_op(t.as_str()),
                        _ => right = Some(self.expr_node(t)),
                    }
                }
                let right = right.unwrap_or_else(|| error_expr(span));
                Expr {
                    kind: ExprKind::Binary(BinaryOp::Cmp(op), Box::new(left), Box::new(right)),
                    span,
                }
            }
        }
    }

    fn count(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let Some(form) = p.into_inner().next() else {
            return error_expr(span);
        };
        let kind = match form.as_rule() {
            Rule::count_value => {
                let mut what = CountValue::Yes;
                let mut list = None;
                for c in form.into_inner() {
                    match c.as_rule() {
                        Rule::kw_yes => what = CountValue::Yes,
                        Rule::kw_no => what = CountValue::No,
                        Rule::kw_unknown => what = CountValue::Unknown,
                        Rule::kw_true => what = CountValue::True,
                        Rule::kw_false => what = CountValue::False,
                        _ => list = Some(self.expr_node(c)),
                    }
                }
                Count::Value(what, Box::new(list.unwrap_or_else(|| error_expr(span))))
            }
            Rule::count_window => {
                let mut parts = Vec::new();
                let mut direction = Direction::Before;
                for c in form.into_inner() {
                    match c.as_rule() {
                        Rule::dir_before => direction = Direction::Before,
                        Rule::dir_after => direction = Direction::After,
                        _ => parts.push(self.expr_node(c)),
                    }
                }
                let mut parts = parts.into_iter();
                Count::Within {
                    list: Box::new(parts.next().unwrap_or_else(|| error_expr(span))),
                    amount: Box::new(parts.next().unwrap_or_else(|| error_expr(span))),
                    direction,
                    anchor: Box::new(parts.next().unwrap_or_else(|| error_expr(span))),
                }
            }
            Rule::count_between => {
                let mut parts = form
                    .into_inner()
                    .map(|c| self.expr_node(c))
                    .collect::<Vec<_>>()
                    .into_iter();
                let a = parts.next().unwrap_or_else(|| error_expr(span));
                let b = parts.next().unwrap_or_else(|| error_expr(span));
                let c = parts.next().unwrap_or_else(|| error_expr(span));
                Count::Between(Box::new(a), Box::new(b), Box::new(c))
            }
            _ => {
                let list = form
                    .into_inner()
                    .next()
                    .map_or_else(|| error_expr(span), |c| self.expr_node(c));
                Count::All(Box::new(list))
            }
        };
        Expr {
            kind: ExprKind::Count(kind),
            span,
        }
    }
}

/// The length of `text` without the spaces, line breaks and `//` comments at its end.
fn content_len(text: &str) -> usize {
    let mut end = text.len();
    loop {
        let trimmed = text
            .get(..end)
            .unwrap_or("")
            .trim_end_matches([' ', '\t', '\r', '\n']);
        end = trimmed.len();
        let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
        match trimmed.get(line_start..).and_then(comment_start) {
            Some(c) => end = line_start + c,
            None => return end,
        }
    }
}

/// Where a plain `//` comment starts in one line of code, outside texts in quotes.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_text = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' if in_text => i += 1,
            b'"' => in_text = !in_text,
            // A `///` documentation comment is part of the syntax tree, not skipped.
            b'/' if !in_text && bytes.get(i + 1) == Some(&b'/') => {
                return (bytes.get(i + 2) != Some(&b'/')).then_some(i);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn cmp_op(s: &str) -> CmpOp {
    match s {
        "<=" => CmpOp::Le,
        ">=" => CmpOp::Ge,
        "!=" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        ">" => CmpOp::Gt,
        _ => CmpOp::Eq,
    }
}

fn unit(p: &Pair<'_, Rule>) -> Unit {
    match p.clone().into_inner().next().map(|u| u.as_rule()) {
        Some(Rule::unit_days) => Unit::Days,
        Some(Rule::unit_weeks) => Unit::Weeks,
        Some(Rule::unit_years) => Unit::Years,
        _ => Unit::Months,
    }
}

fn empty_scalar(span: Span) -> ScalarType {
    ScalarType {
        name: Ident {
            name: String::new(),
            span,
        },
        range: None,
        span,
    }
}

/// A placeholder for an expression that could not be built; a diagnostic already says why.
fn error_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Lit(Literal::Unknown),
        span,
    }
}

/// True when the date exists in the proleptic Gregorian calendar.
pub fn valid_date(d: Date) -> bool {
    if !(1..=9999).contains(&d.year) || !(1..=12).contains(&d.month) || d.day == 0 {
        return false;
    }
    d.day <= days_in_month(d.year, d.month)
}

/// The number of days in a month.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}
