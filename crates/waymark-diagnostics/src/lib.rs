//! Spans, source files and diagnostics shared by every Waymark stage.
//!
//! A [`Diagnostic`] has a stable code (see [`codes`]), a severity, a lowercase message,
//! labelled spans into one [`SourceFile`] and an optional help line.
//! [`render`] draws it like rustc (source line, underline, help) and [`to_json`] gives
//! the same data for editors, CI and the WebAssembly component.
//! This crate knows nothing about the language itself.

pub mod codes;
mod render;

use std::fmt;
use std::sync::Arc;

pub use codes::Code;
pub use render::{render, render_all, to_json, to_json_value};

/// A byte range in one source file. Offsets are `u32`: files are limited well below 4 GiB.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The length in bytes.
    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    /// True when the span covers no bytes.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// This span moved right by `offset` bytes.
    pub fn shifted(self, offset: u32) -> Span {
        Span {
            start: self.start.saturating_add(offset),
            end: self.end.saturating_add(offset),
        }
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// One source file, held once and shared by every diagnostic that points into it.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The name shown to people, usually the path as given.
    pub name: String,
    /// The whole text.
    pub text: Arc<str>,
}

impl SourceFile {
    /// A new shared source file.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Arc<SourceFile> {
        Arc::new(SourceFile {
            name: name.into(),
            text: text.into(),
        })
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = (offset as usize).min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }

    /// The text a span covers, or "" when the span is out of bounds.
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The ruleset cannot be used until it is fixed.
    Error,
    /// Probably a mistake; `--deny warnings` turns it into an error.
    Warning,
}

/// A labelled span: the underline and the short text beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// What is underlined.
    pub span: Span,
    /// The text beside the underline.
    pub message: String,
    /// The primary label is the one the diagnostic's line and column refer to.
    pub primary: bool,
}

/// A problem found in a ruleset, a fact or an artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code, such as `E0200`.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// Lowercase, no final period; user input in backticks.
    pub message: String,
    /// The file the labels point into, when there is one.
    pub file: Option<Arc<SourceFile>>,
    /// Underlined spans; the first primary one locates the diagnostic.
    pub labels: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity and no labels yet.
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            file: None,
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds the primary label.
    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Adds the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the file the labels point into.
    pub fn in_file(mut self, file: &Arc<SourceFile>) -> Diagnostic {
        self.file = Some(Arc::clone(file));
        self
    }

    /// Sets the file only when none is set yet.
    pub fn in_file_if_unset(mut self, file: &Arc<SourceFile>) -> Diagnostic {
        if self.file.is_none() {
            self.file = Some(Arc::clone(file));
        }
        self
    }

    /// The span of the primary label, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }

    /// The 1-based line and column of the primary label, if there is a file and a label.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let file = self.file.as_ref()?;
        Some(file.line_col(self.primary_span()?.start))
    }

    /// True for errors (not warnings).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics by file, position and code, so output is stable.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        let fa = a.file.as_ref().map(|f| f.name.as_str()).unwrap_or("");
        let fb = b.file.as_ref().map(|f| f.name.as_str()).unwrap_or("");
        fa.cmp(fb)
            .then(a.primary_span().cmp(&b.primary_span()))
            .then(a.code.as_str().cmp(b.code.as_str()))
            .then(a.message.cmp(&b.message))
    });
}

/// The edit distance between two short names, for "did you mean" help.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let best = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur[j + 1] = best;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let f = SourceFile::new("a.wm", "ab\ncé d");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(7), (2, 4));
    }

    #[test]
    fn did_you_mean_finds_typos() {
        assert_eq!(did_you_mean("q12x", ["q12", "q1", "q2"]), Some("q12"));
        assert_eq!(did_you_mean("amout", ["amount", "other"]), Some("amount"));
        assert_eq!(did_you_mean("zzzz", ["amount"]), None);
    }
}
