//! Unit tests of the checker: each goes through one helper and asserts messages, help
//! lines and the underlined text.

#[test]
fn tmp_row_spans() {
    let text = std::fs::read_to_string("/tmp/wmt/d.wm").unwrap();
    let p = waymark_syntax::parse_str("d.wm", &text);
    for item in &p.ruleset.items {
        if let waymark_syntax::ast::Item::Table(t) = item {
            for r in &t.rows {
                println!("{:?} {:?}", r.span, &text[r.span.start as usize..r.span.end as usize]);
            }
        }
    }
}

#[test]
fn tmp_row_diag() {
    let c = crate::check_path(std::path::Path::new("/tmp/wmt/d.wm"), &crate::FsLoader);
    for d in &c.diagnostics {
        if d.code == waymark_diagnostics::Code::UnreachableRow {
            println!("{:?}", d.labels);
        }
    }
}

#[test]
fn tmp_render() {
    use waymark_diagnostics::*;
    let f = SourceFile::new("x.wm", "line one\n  | a | => | a |\nthree\n");
    let d = Diagnostic::new(Code::TableShape, "m").with_primary(Span::new(11, 25), "here").in_file(&f);
    println!("{}", render(&d, false));
    let d = Diagnostic::new(Code::TableShape, "m").with_primary(Span::new(11, 24), "here").in_file(&f);
    println!("{}", render(&d, false));
    let f = SourceFile::new("x.wm", "line one\n  ab cd\nthree\n");
    let d = Diagnostic::new(Code::TableShape, "m").with_primary(Span::new(11, 16), "here").in_file(&f);
    println!("{}", render(&d, false));
}

#[test]
fn tmp_render2() {
    use waymark_diagnostics::*;
    let f = SourceFile::new("x.wm", "line one\n  | a | => | a |\n  | b | => | b |\nthree\n");
    let d = Diagnostic::new(Code::TableShape, "m").with_primary(Span::new(27, 41), "second").with_label(Span::new(11, 25), "first").in_file(&f);
    println!("{}", render(&d, false));
    let d = Diagnostic::new(Code::TableShape, "m").with_primary(Span::new(28, 41), "second").with_label(Span::new(11, 25), "first").in_file(&f);
    println!("{}", render(&d, false));
}

#[test]
fn tmp_render3() {
    let c = crate::check_path(std::path::Path::new("/tmp/wmt/d.wm"), &crate::FsLoader);
    for d in &c.diagnostics {
        if d.code == waymark_diagnostics::Code::UnreachableRow {
            println!("{}", waymark_diagnostics::render(d, false));
        }
    }
}
