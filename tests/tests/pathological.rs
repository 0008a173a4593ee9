//! Pathological input gives a diagnostic: never a stack overflow, a panic or a hang.
//!
//! Each case runs on its own thread with a 2 MiB stack (the size of a test thread; do not
//! raise it) and must finish within a generous time limit. Inputs too large to keep in the
//! repository are built here; their rendered diagnostics are golden files in
//! `tests/data/generated/`.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "the helpers fail the test by panicking"
)]

use std::sync::mpsc;
use std::time::Duration;

use waymark_diagnostics::{Code, render_all};
use waymark_tests::fuzz::{spans_in_bounds, try_check};
use waymark_tests::golden::{data_dir, expect_file};

const STACK: usize = 2 * 1024 * 1024;
const TIME_LIMIT: Duration = Duration::from_secs(60);
const HEADER: &str = "ruleset stress version 1.0.0\n";

/// Parses and checks `bytes` on a small stack within the time limit, checks that every
/// diagnostic points inside the file, and returns the parse's codes and rendering.
fn parse(name: &'static str, bytes: Vec<u8>) -> (Vec<Code>, String) {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name(name.to_string())
        .stack_size(STACK)
        .spawn(move || {
            let parse = waymark_syntax::parse_bytes(&format!("{name}.wm"), &bytes);
            let codes: Vec<Code> = parse.diagnostics.iter().map(|d| d.code).collect();
            let rendered = render_all(&parse.diagnostics, false);
            // The checker reads the bytes again, as it would read the file.
            let oracles = spans_in_bounds(&parse.diagnostics, Some(&parse.file))
                .and_then(|()| try_check(&bytes));
            let _ = tx.send((codes, rendered, oracles));
        })
        .unwrap();
    let (codes, rendered, oracles) = match rx.recv_timeout(TIME_LIMIT) {
        Ok(result) => result,
        Err(_) => panic!(
            "{name}: no result within {TIME_LIMIT:?} (a hang, or the thread died: see above)"
        ),
    };
    worker.join().unwrap();
    oracles.unwrap_or_else(|e| panic!("{name}: {e}"));
    (codes, rendered)
}

fn assert_reports(name: &'static str, bytes: Vec<u8>, code: Code) -> String {
    let (codes, rendered) = parse(name, bytes);
    assert!(
        codes.contains(&code),
        "{name}: expected {code}, got {codes:?}\n{rendered}"
    );
    rendered
}

fn with_header(body: String) -> Vec<u8> {
    format!("{HEADER}{body}").into_bytes()
}

#[test]
fn ten_thousand_nested_parentheses() {
    let body = format!("let x = {}a{}\n", "(".repeat(10_000), ")".repeat(10_000));
    assert_reports("parens", with_header(body), Code::NestingTooDeep);
}

#[test]
fn ten_thousand_nested_brackets_of_every_kind() {
    let body = format!("let x = {}a\n", "[{(".repeat(3_400));
    assert_reports("brackets", with_header(body), Code::NestingTooDeep);
}

#[test]
fn a_fifty_megabyte_file_is_refused_quickly() {
    let line = "input q: answer \"A question that is asked again and again\"\n";
    let mut text = String::from(HEADER);
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(line);
    }
    let rendered = assert_reports("large", text.into_bytes(), Code::FileTooLarge);
    expect_file(&data_dir().join("generated/too_large.diag"), &rendered)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_hundred_thousand_chained_ands() {
    let body = format!("let x = {}\n", vec!["q1 is yes"; 100_000].join(" and "));
    assert_reports("ands", with_header(body), Code::NestingTooDeep);
}

#[test]
fn a_hundred_thousand_minus_signs() {
    let body = format!("let x = {}1\n", "-".repeat(100_000));
    assert_reports("minus", with_header(body), Code::NestingTooDeep);
}

#[test]
fn ten_thousand_nots() {
    let body = format!("let x = {}q1 is yes\n", "not ".repeat(10_000));
    assert_reports("nots", with_header(body), Code::NestingTooDeep);
}

#[test]
fn ten_thousand_nested_ifs() {
    let body = format!(
        "let x = {}1{}\n",
        "if b then ".repeat(10_000),
        " else 0".repeat(10_000)
    );
    assert_reports("ifs", with_header(body), Code::NestingTooDeep);
}

/// Each nested `count` is tried three ways, so nesting is refused before parsing.
#[test]
fn nested_counts_are_refused_before_they_take_exponential_time() {
    for (name, body) in [
        ("counts", format!("let x = {}y\n", "count ".repeat(10_000))),
        ("counts_few", format!("let x = {}y\n", "count ".repeat(30))),
        (
            "counts_in_brackets",
            format!("let x = {}y{}\n", "count (".repeat(30), ")".repeat(30)),
        ),
        (
            "counts_in_windows",
            format!(
                "let x = {}y{}\n",
                "count y within (".repeat(30),
                ") bfore q".repeat(30)
            ),
        ),
    ] {
        assert_reports(name, with_header(body), Code::NestingTooDeep);
    }
}

#[test]
fn nul_bytes_anywhere() {
    for at in [0, 5, HEADER.len(), HEADER.len() + 12] {
        let mut bytes = with_header("input q1: answer \"Injured\"\n".to_string());
        bytes.insert(at, 0);
        assert_reports("nul", bytes, Code::ControlCharacter);
    }
    assert_reports("nuls", vec![0; 100_000], Code::ControlCharacter);
}

#[test]
fn invalid_utf8() {
    for bad in [
        &b"\xff"[..],
        b"\xc3\x28",
        b"\xe2\x82",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
    ] {
        let mut bytes = with_header("input q1: answer \"Injured\"\n".to_string());
        let at = bytes.len() - 3;
        bytes.splice(at..at, bad.iter().copied());
        assert_reports("utf8", bytes, Code::NotUtf8);
    }
}

#[test]
fn a_quarter_megabyte_of_valid_declarations_parses() {
    let mut body = String::new();
    let mut n = 0;
    while body.len() < 256 * 1024 {
        body.push_str(&format!(
            "/// Question {n}.\ninput q{n}: answer \"Question {n}\"\n"
        ));
        n += 1;
    }
    let (codes, rendered) = parse("valid", with_header(body));
    assert!(codes.is_empty(), "{rendered}");
}

#[test]
fn a_quarter_megabyte_long_text() {
    let body = format!(
        "input q1: answer \"{}\"\nlet x = {}\n",
        "a".repeat(1 << 18),
        vec!["1"; 100].join(" + ")
    );
    let (codes, rendered) = parse("long", with_header(body));
    assert!(codes.is_empty(), "{rendered}");
}
