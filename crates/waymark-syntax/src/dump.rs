//! A stable text dump of a syntax tree, for golden files and round-trip tests.

use crate::ast::Ruleset;

/// Prints the tree. With `spans` false, every span is left out, so two trees that differ
/// only in layout print the same; comments are left out then too.
pub fn dump(ruleset: &Ruleset, spans: bool) -> String {
    let text = if spans {
        format!("{ruleset:#?}")
    } else {
        let without_comments = Ruleset {
            comments: Vec::new(),
            ..ruleset.clone()
        };
        format!("{without_comments:#?}")
    };
    if spans {
        return text + "\n";
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim();
        let is_span = |s: &str| {
            s.split_once("..").is_some_and(|(a, b)| {
                !a.is_empty()
                    && a.chars().all(|c| c.is_ascii_digit())
                    && !b.is_empty()
                    && b.chars().all(|c| c.is_ascii_digit())
            })
        };
        if let Some(rest) = t.strip_prefix("span: ")
            && is_span(rest.trim_end_matches(','))
        {
            continue;
        }
        if is_span(t.trim_end_matches(',')) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
