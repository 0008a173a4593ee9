//! Prints a ruleset's compiled and specialized code (a development aid).
fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    match waymark::Ruleset::from_path(&path) {
        Ok(r) => {
            let which = std::env::args().nth(2).unwrap_or_default();
            let p = if which == "compiled" {
                r.loaded().compiled()
            } else {
                r.program()
            };
            for (i, c) in p.code.iter().enumerate() {
                println!("{i:4} {c:?}");
            }
            for (i, o) in p.outputs.iter().enumerate() {
                println!(
                    "output {i} {} slot {} contributions {:?}",
                    o.name, o.slot, o.contributions
                );
            }
            for (i, r) in p.rules.iter().enumerate() {
                println!("rule {i} {} status {} cond {}", r.name, r.status, r.cond);
            }
            println!(
                "params {:?}",
                p.params
                    .iter()
                    .map(|x| (x.name.clone(), x.slot))
                    .collect::<Vec<_>>()
            );
        }
        Err(e) => eprintln!("{e}"),
    }
}
