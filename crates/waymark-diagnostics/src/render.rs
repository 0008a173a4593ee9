//! Rendering diagnostics: like rustc for people, and as JSON for programs.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use crate::{Diagnostic, Severity};

/// A borrowed diagnostic seen through miette's traits.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<NamedSource<std::sync::Arc<str>>>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let len = self.diagnostic.file.as_ref().map_or(0, |f| f.text.len());
        let labels = self.diagnostic.labels.iter().map(move |l| {
            let start = (l.span.start as usize).min(len);
            let end = (l.span.end as usize).clamp(start, len);
            let span = SourceSpan::new(start.into(), end - start);
            let text = (!l.message.is_empty()).then(|| l.message.clone());
            if l.primary {
                LabeledSpan::new_primary_with_span(text, span)
            } else {
                LabeledSpan::new_with_span(text, span)
            }
        });
        Some(Box::new(labels))
    }
}

/// Renders one diagnostic like rustc: message, code, source line, underline, help.
/// `color` adds terminal colours; golden files use `false`.
pub fn render(diagnostic: &Diagnostic, color: bool) -> String {
    let source = diagnostic.file.as_ref().map(|f| {
        NamedSource::new(f.name.clone(), std::sync::Arc::clone(&f.text)).with_language("waymark")
    });
    let report = Report { diagnostic, source };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!(
            "{}[{}]: {}\n",
            severity_word(diagnostic.severity),
            diagnostic.code,
            diagnostic.message
        );
    }
    out
}

/// Renders many diagnostics one after another, with a closing count line.
pub fn render_all(diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&render(d, color));
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if !diagnostics.is_empty() {
        out.push_str(&format!(
            "{} error{}, {} warning{}\n",
            errors,
            plural(errors),
            warnings,
            plural(warnings)
        ));
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The JSON form of one diagnostic: file, line, column, byte span, code, severity, message, help.
pub fn to_json_value(d: &Diagnostic) -> serde_json::Value {
    let span = d.primary_span();
    let (line, column) = d.line_col().unwrap_or((0, 0));
    let (end_line, end_column) = match (&d.file, span) {
        (Some(f), Some(s)) => f.line_col(s.end),
        _ => (0, 0),
    };
    let labels: Vec<serde_json::Value> = d
        .labels
        .iter()
        .map(|l| {
            let (line, column) = d.file.as_ref().map_or((0, 0), |f| f.line_col(l.span.start));
            serde_json::json!({
                "start": l.span.start, "end": l.span.end, "line": line, "column": column,
                "message": l.message, "primary": l.primary,
            })
        })
        .collect();
    serde_json::json!({
        "code": d.code.as_str(),
        "severity": d.severity,
        "message": d.message,
        "file": d.file.as_ref().map(|f| f.name.clone()),
        "line": (line > 0).then_some(line),
        "column": (column > 0).then_some(column),
        "end_line": (end_line > 0).then_some(end_line),
        "end_column": (end_column > 0).then_some(end_column),
        "span": span.map(|s| serde_json::json!({"start": s.start, "end": s.end})),
        "help": d.help,
        "labels": labels,
    })
}

/// The JSON form of many diagnostics, as one array.
pub fn to_json(diagnostics: &[Diagnostic]) -> String {
    let values: Vec<serde_json::Value> = diagnostics.iter().map(to_json_value).collect();
    serde_json::to_string_pretty(&values).unwrap_or_else(|_| "[]".to_string())
}

#[cfg(test)]
mod tests {
    use crate::{Code, Diagnostic, SourceFile, Span};

    #[test]
    fn renders_source_line_and_help() {
        let file = SourceFile::new("adult.wm", "let x = q1 and q2\n");
        let d = Diagnostic::new(
            Code::AnswerAsCondition,
            "`q1` is an answer, not a condition",
        )
        .with_primary(Span::new(8, 10), "yes, no or don't know")
        .with_help("write `q1 is yes`")
        .in_file(&file);
        let text = super::render(&d, false);
        assert!(text.contains("E0301"), "{text}");
        assert!(text.contains("adult.wm:1:9"), "{text}");
        assert!(text.contains("help: write `q1 is yes`"), "{text}");
        let json = super::to_json_value(&d);
        assert_eq!(json["line"], 1);
        assert_eq!(json["column"], 9);
        assert_eq!(json["code"], "E0301");
    }
}
