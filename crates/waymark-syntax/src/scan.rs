//! A light lexical scan over the whole file, run before pest.
//!
//! It finds plain comments (kept for the formatter), rejects control characters and
//! pathological nesting before the recursive parser sees them, and splits the file into
//! chunks (the header, then one chunk per item) so that a syntax error in one item never
//! hides the errors in the others.

use waymark_diagnostics::{Code, Diagnostic, Span};

use crate::ast::Comment;

/// Keywords that start a top-level item.
pub(crate) const ITEM_KEYWORDS: &[&str] = &[
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
];

/// The most brackets, `if`s and `not`s one item may nest. Deeper nesting is refused
/// with a diagnostic so that the recursive parser cannot overflow the stack.
pub(crate) const MAX_NESTING: usize = 100;

/// The most `count`s (other than `count yes in …`) one may nest inside another. The grammar
/// tries each such `count` up to three ways, so parsing time grows threefold per level.
pub(crate) const MAX_COUNT_NESTING: usize = 6;

/// A piece of the file parsed on its own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chunk {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// True for the part before the first item.
    pub header: bool,
}

/// What the scan found.
pub(crate) struct Scan {
    pub comments: Vec<Comment>,
    pub chunks: Vec<Chunk>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Code,
    Str,
}

pub(crate) fn scan(text: &str) -> Scan {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut diagnostics = Vec::new();
    let mut boundaries: Vec<usize> = Vec::new();
    let mut state = State::Code;
    let mut depth: usize = 0;
    let mut chunk_nesting: usize = 0;
    let mut chunk_ifs: usize = 0;
    // Bracket depths of the `count`s whose operand may still be open, and the most open at once.
    let mut open_counts: Vec<usize> = Vec::new();
    let mut chunk_counts: usize = 0;
    let mut reported_nesting = false;
    let mut line_has_code = false;
    let mut doc_block_start: Option<usize> = None;
    let mut i = 0;
    let mut at_line_start = true;
    let mut reported_control = 0usize;

    while i < bytes.len() {
        let b = bytes[i];
        if state == State::Code && at_line_start {
            // Look at the first word of the line.
            let mut j = i;
            while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
                j += 1;
            }
            let indent = j - i;
            let rest = &text[j..];
            if rest.starts_with("///") {
                if doc_block_start.is_none() {
                    doc_block_start = Some(i);
                }
            } else if !rest.starts_with("//")
                && !rest.starts_with('\n')
                && !rest.starts_with("\r\n")
                && j < bytes.len()
            {
                let word_end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                let word = &rest[..word_end];
                if ITEM_KEYWORDS.contains(&word) && (depth == 0 || indent == 0) {
                    let start = doc_block_start.unwrap_or(i);
                    boundaries.push(start);
                    depth = 0;
                    chunk_nesting = 0;
                    chunk_ifs = 0;
                    chunk_counts = 0;
                    open_counts.clear();
                    reported_nesting = false;
                }
                doc_block_start = None;
            }
            at_line_start = false;
        }
        match state {
            State::Code => match b {
                b'"' => {
                    state = State::Str;
                    line_has_code = true;
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    let end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                    let is_doc = text[i..].starts_with("///");
                    if !is_doc {
                        let body = text[i + 2..end].trim_end_matches('\r');
                        comments.push(Comment {
                            text: body.to_string(),
                            span: Span::new(i as u32, end as u32),
                            trailing: line_has_code,
                        });
                    }
                    i = end;
                    continue;
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    chunk_nesting = chunk_nesting.max(depth);
                    line_has_code = true;
                }
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    open_counts.retain(|&d| d <= depth);
                    line_has_code = true;
                }
                b'\n' => {
                    at_line_start = true;
                    line_has_code = false;
                }
                b',' | b'|' => {
                    // A list or a table cell ends every `count` opened at this depth.
                    open_counts.retain(|&d| d < depth);
                    line_has_code = true;
                }
                _ if is_ident_byte(b) && (i == 0 || !is_ident_byte(bytes[i - 1])) => {
                    let end = text[i..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map_or(bytes.len(), |n| i + n);
                    match &text[i..end] {
                        "if" | "not" => chunk_ifs += 1,
                        "count" if !counts_a_value(&text[end..]) => {
                            open_counts.retain(|&d| d <= depth);
                            // Past the limit the count is reported; the list need not grow.
                            if open_counts.len() <= MAX_COUNT_NESTING {
                                open_counts.push(depth);
                            }
                            chunk_counts = chunk_counts.max(open_counts.len());
                        }
                        "and" | "or" | "implies" | "then" | "else" | "when" | "set" | "add"
                        | "to" | "given" | "expect" | "with" | "on" | "except" => {
                            open_counts.retain(|&d| d < depth)
                        }
                        _ => {}
                    }
                    line_has_code = true;
                }
                b' ' | b'\t' | b'\r' => {}
                _ => line_has_code = true,
            },
            State::Str => match b {
                b'\\' => {
                    i += 1;
                }
                b'"' => state = State::Code,
                b'\n' => {
                    // Strings cannot span lines; the parser reports it. Resume scanning code.
                    state = State::Code;
                    at_line_start = true;
                    line_has_code = false;
                }
                _ => {}
            },
        }
        if is_forbidden_control(b) {
            if reported_control < 5 {
                let what = if b == 0 {
                    "a NUL byte".to_string()
                } else {
                    format!("the control character U+{b:04X}")
                };
                diagnostics.push(
                    Diagnostic::new(Code::ControlCharacter, format!("the file contains {what}"))
                        .with_primary(Span::new(i as u32, i as u32 + 1), "here")
                        .with_help("ruleset files are plain text; remove the character or save the file again as UTF-8 text"),
                );
            }
            reported_control += 1;
        }
        if !reported_nesting && chunk_counts > MAX_COUNT_NESTING {
            reported_nesting = true;
            diagnostics.push(
                Diagnostic::new(
                    Code::NestingTooDeep,
                    format!("`count` is nested inside `count` more than {MAX_COUNT_NESTING} deep"),
                )
                .with_primary(Span::new(i as u32, i as u32 + 1), "too deep here")
                .with_help("count a named `let` value instead of nesting `count` inside `count`"),
            );
        }
        if !reported_nesting && chunk_nesting + chunk_ifs > MAX_NESTING {
            reported_nesting = true;
            diagnostics.push(
                Diagnostic::new(
                    Code::NestingTooDeep,
                    format!("brackets, `if` and `not` are nested more than {MAX_NESTING} deep"),
                )
                .with_primary(Span::new(i as u32, i as u32 + 1), "too deep here")
                .with_help("split the expression into named `let` values"),
            );
        }
        i += 1;
    }

    // Build chunks from boundaries.
    let mut chunks = Vec::new();
    let first = boundaries.first().copied().unwrap_or(bytes.len());
    chunks.push(Chunk {
        start: 0,
        end: first,
        header: true,
    });
    for (n, &start) in boundaries.iter().enumerate() {
        let end = boundaries.get(n + 1).copied().unwrap_or(bytes.len());
        chunks.push(Chunk {
            start,
            end,
            header: false,
        });
    }
    Scan {
        comments,
        chunks,
        diagnostics,
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_forbidden_control(b: u8) -> bool {
    (b < 0x20 && b != b'\n' && b != b'\r' && b != b'\t') || b == 0x7f
}

/// True when the text after `count` starts with `yes`, `no`, `unknown`, `true` or `false`:
/// `count yes in …` is parsed once, without trying other forms.
fn counts_a_value(after: &str) -> bool {
    let rest = after.trim_start();
    ["yes", "no", "unknown", "true", "false"].iter().any(|w| {
        rest.strip_prefix(w)
            .is_some_and(|r| !r.as_bytes().first().is_some_and(|c| is_ident_byte(*c)))
    })
}
