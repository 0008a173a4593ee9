//! Numbered name ranges such as `q1..q24`.

use waymark_diagnostics::{Code, Diagnostic, Span};
use waymark_syntax::ast;

/// The most names one range may stand for.
pub(crate) const MAX_RANGE: u64 = 1000;

/// Splits `q12` into `("q", "12")`; the digits may be empty.
fn split_number(name: &str) -> (&str, &str) {
    let cut = name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    (
        name.get(..cut).unwrap_or(name),
        name.get(cut..).unwrap_or(""),
    )
}

/// The names `a..b` stands for, in order, or a diagnostic saying why it cannot be expanded.
pub(crate) fn expand(
    a: &ast::Ident,
    b: &ast::Ident,
    span: Span,
) -> Result<Vec<String>, Diagnostic> {
    let (pa, da) = split_number(&a.name);
    let (pb, db) = split_number(&b.name);
    let written = format!("{}..{}", a.name, b.name);
    if da.is_empty() || db.is_empty() {
        return Err(bad_range(
            span,
            &format!("`{written}` is not a range of numbered names"),
        )
        .with_help("both ends must end in a number, such as `q1..q24`"));
    }
    if pa != pb {
        return Err(bad_range(
            span,
            &format!("the ends of `{written}` have different prefixes, `{pa}` and `{pb}`"),
        )
        .with_help(format!(
            "both ends need the same prefix, such as `{pa}{da}..{pa}{db}`"
        )));
    }
    let (Ok(start), Ok(end)) = (da.parse::<u64>(), db.parse::<u64>()) else {
        return Err(
            bad_range(span, &format!("the numbers in `{written}` are too large"))
                .with_help("use smaller numbers"),
        );
    };
    if end < start {
        return Err(
            bad_range(span, &format!("`{written}` counts backwards")).with_help(format!(
                "write the lower end first: `{}..{}`",
                b.name, a.name
            )),
        );
    }
    let count = (end - start).saturating_add(1);
    if count > MAX_RANGE {
        return Err(bad_range(
            span,
            &format!("`{written}` stands for {count} names, more than {MAX_RANGE}"),
        )
        .with_help("list fewer names, or split the range"));
    }
    // `q01..q10` keeps the leading zeros.
    let width = if da.starts_with('0') && da.len() > 1 {
        da.len()
    } else {
        0
    };
    Ok((start..=end).map(|n| format!("{pa}{n:0width$}")).collect())
}

fn bad_range(span: Span, message: &str) -> Diagnostic {
    Diagnostic::new(Code::BadNameRange, message.to_string())
        .with_primary(span, "cannot expand this range")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> ast::Ident {
        ast::Ident {
            name: name.into(),
            span: Span::default(),
        }
    }

    #[test]
    fn expands_numbered_names() {
        assert_eq!(
            expand(&id("q1"), &id("q3"), Span::default()).unwrap(),
            ["q1", "q2", "q3"]
        );
        assert_eq!(
            expand(&id("q08"), &id("q10"), Span::default()).unwrap(),
            ["q08", "q09", "q10"]
        );
        assert!(expand(&id("q3"), &id("q1"), Span::default()).is_err());
        assert!(expand(&id("q1"), &id("p3"), Span::default()).is_err());
        assert!(expand(&id("q1"), &id("q5000"), Span::default()).is_err());
        assert!(expand(&id("q"), &id("q5"), Span::default()).is_err());
    }
}
