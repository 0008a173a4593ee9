//! The Waymark language: `.wm` text in, a typed syntax tree with spans out.
//!
//! [`parse`] never fails and never panics: it returns the tree it could build and every
//! diagnostic it found, for any bytes. Only this crate depends on pest; pest's types never
//! leave it. [`dump`] prints a tree in a stable form for golden tests.
//!
//! ```
//! use waymark_syntax::parse_str;
//! let parse = parse_str("example.wm", "ruleset demo version 1.0.0\ninput q1: answer \"Injury\"\n");
//! assert!(parse.diagnostics.is_empty());
//! assert_eq!(parse.ruleset.items.len(), 1);
//! ```

pub mod ast;
pub mod dump;
pub mod fmt;
mod parser;
mod scan;

use std::sync::Arc;

use waymark_diagnostics::{Code, Diagnostic, SourceFile, Span};

pub use fmt::format;
pub use parser::{days_in_month, valid_date};

/// The largest ruleset file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// The result of parsing one file: the tree and every problem found.
#[derive(Debug)]
#[non_exhaustive]
pub struct Parse {
    /// The file that was parsed; diagnostics point into it.
    pub file: Arc<SourceFile>,
    /// As much of the tree as could be built.
    pub ruleset: ast::Ruleset,
    /// Every syntax problem, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Parse {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses a file's text.
pub fn parse(file: &Arc<SourceFile>) -> Parse {
    let (ruleset, diagnostics) = if file.text.len() > MAX_FILE_BYTES {
        let d = Diagnostic::new(
            Code::FileTooLarge,
            format!(
                "the file is {} bytes, more than the limit of {} bytes",
                file.text.len(),
                MAX_FILE_BYTES
            ),
        )
        .with_primary(Span::new(0, 0), "file starts here")
        .with_help("split the ruleset into several files joined with `import`");
        (ast::Ruleset::default(), vec![d])
    } else {
        parser::parse_text(&file.text)
    };
    let mut diagnostics: Vec<Diagnostic> = diagnostics
        .into_iter()
        .map(|d| d.in_file_if_unset(file))
        .collect();
    waymark_diagnostics::sort(&mut diagnostics);
    Parse {
        file: Arc::clone(file),
        ruleset,
        diagnostics,
    }
}

/// Parses text given as a string.
pub fn parse_str(name: &str, text: &str) -> Parse {
    parse(&SourceFile::new(name, text))
}

/// Parses raw bytes, reporting text that is not UTF-8 as a diagnostic rather than failing.
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Parse {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_str(name, text),
        Err(e) => {
            let at = e.valid_up_to();
            let lossy = String::from_utf8_lossy(bytes);
            let file = SourceFile::new(name, lossy.as_ref());
            let (line, _) = file.line_col(at as u32);
            let d = Diagnostic::new(
                Code::NotUtf8,
                format!("the file is not UTF-8 text (byte {at}, line {line})"),
            )
            .with_primary(
                Span::new(at as u32, (at + 3).min(lossy.len()) as u32),
                "this byte is not UTF-8",
            )
            .with_help("save the file as UTF-8 text")
            .in_file(&file);
            Parse {
                file,
                ruleset: ast::Ruleset::default(),
                diagnostics: vec![d],
            }
        }
    }
}
