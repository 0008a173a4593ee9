//! Parses a file and prints its tree and diagnostics (a development aid).
fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let bytes = std::fs::read(&path).unwrap_or_default();
    let parse = waymark_syntax::parse_bytes(&path, &bytes);
    if std::env::args().nth(2).as_deref() == Some("tree") {
        print!("{}", waymark_syntax::dump::dump(&parse.ruleset, false));
    }
    print!(
        "{}",
        waymark_diagnostics::render_all(&parse.diagnostics, false)
    );
    println!("items: {}", parse.ruleset.items.len());
}
