//! The `waymark` command line: check, format, evaluate, test and describe rulesets; build,
//! sign and pin versions; replay decisions; compare versions and measure their impact.
//!
//! Exit codes: 0 success; 1 a problem with the rules, the facts or a test; 2 a usage or
//! input/output problem.

/// Like `print!`, but a closed standard output (the reader went away, as `waymark … | head`
/// does) ends the program quietly instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => { $crate::write_stdout(format_args!($($arg)*)) };
}

/// Like `println!`, with `out!`'s handling of a closed standard output.
macro_rules! outln {
    () => { $crate::write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

mod cmd;
mod pin;
mod prop;
mod select;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Waymark: versioned, explainable rules for risk identification, eligibility and referral pathways.
#[derive(Parser)]
#[command(name = "waymark", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// For people.
    #[default]
    Text,
    /// For programs.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Check ruleset files or folders (recursively) and report every problem.
    ///
    /// Exit code 0 when there are no errors (warnings are allowed unless `--deny warnings`),
    /// 1 when there is any error, 2 when a file cannot be read.
    Check {
        /// Files or folders to check.
        #[arg(required_unless_present = "registry")]
        paths: Vec<std::path::PathBuf>,
        /// Treat warnings as errors (`--deny warnings`).
        #[arg(long, value_name = "KIND")]
        deny: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Also check a registry folder: every version loads, and the effective periods of
        /// each ruleset's versions have no gaps or overlaps.
        #[arg(long, value_name = "DIR")]
        registry: Option<std::path::PathBuf>,
        /// With `--registry`: require its artifacts to be signed by this public key.
        #[arg(long, value_name = "FILE")]
        verify_key: Option<std::path::PathBuf>,
    },
    /// Rewrite ruleset files in the one canonical layout, keeping comments.
    Fmt {
        /// Files or folders to format.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// Change nothing; list the files that would change and exit 1 if any would.
        #[arg(long)]
        check: bool,
    },
    /// Evaluate one case (`--facts`) or a stream of cases (`--cases`) against a ruleset.
    Eval {
        /// The ruleset: a source file, a built artifact (`.wmc`), or with `--registry` an id.
        ruleset: std::path::PathBuf,
        #[command(flatten)]
        select: select::Select,
        /// A JSON file with one case's facts, or `-` for standard input.
        #[arg(long, conflicts_with = "cases")]
        facts: Option<String>,
        /// A JSON-lines file of cases (one object a line), or `-` for standard input.
        #[arg(long)]
        cases: Option<String>,
        /// Where to write decisions for `--cases` (JSON lines); standard output by default.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Also write a replayable decision record (JSON) of the case to this file.
        #[arg(long, value_name = "FILE", requires = "facts")]
        record: Option<std::path::PathBuf>,
        /// In the record, keep only the facts that mattered (the answers are
        /// special-category data); the record still replays to the same outcome.
        #[arg(long, requires = "record")]
        redact: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Include why: rules that fired, nearest misses, next questions.
        #[arg(long)]
        explain: bool,
        /// The engine that evaluates: `native`, or `wasm` (the WebAssembly component under
        /// wasmtime, to cross-check a decision; build it with `bash scripts/component`).
        #[arg(long, default_value_t = waymark_host::EngineKind::Native)]
        engine: waymark_host::EngineKind,
    },
    /// Run the tests written in ruleset files (files or folders, recursively).
    Test {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// The engine that runs the tests: `native`, or `wasm` (the WebAssembly component).
        #[arg(long, default_value_t = waymark_host::EngineKind::Native)]
        engine: waymark_host::EngineKind,
    },
    /// Check the `property` blocks of rulesets (files or folders): exhaustively when the
    /// inputs a property reads allow it, otherwise by a seeded random search mixing
    /// ordinary and boundary cases. A failure prints a minimal counterexample case with its
    /// decision(s). Exit code 1 when any property fails.
    Prop {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// Random cases per property when the search cannot be exhaustive.
        #[arg(long, default_value_t = 2000)]
        cases: usize,
        /// Seed of the random search: the same seed tries the same cases.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write documentation for policy reviewers: one Markdown page per ruleset.
    ///
    /// With one file and no `--out`, the page goes to standard output; with `--out DIR`,
    /// each ruleset's page is written to `DIR/ID.md` (for example `docs/rulesets/marac.referral.md`).
    Doc {
        /// Ruleset files or folders.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// The folder to write pages into.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Change nothing; exit 1 if any page in `--out` is missing or stale.
        #[arg(long, requires = "out")]
        check: bool,
    },
    /// Print the JSON Schema of a ruleset's inputs, for building and validating forms.
    Schema {
        /// The ruleset: a source file, a built artifact, or with `--registry` an id.
        ruleset: std::path::PathBuf,
        #[command(flatten)]
        select: select::Select,
    },
    /// Build a ruleset into a self-describing artifact (`.wmc`) with a SHA-256 content hash:
    /// the compiled rules, their sources, parameter values (with a profile's overrides),
    /// effective period and compiler version.
    Build {
        /// The ruleset: a source file, or with `--registry` an id.
        ruleset: std::path::PathBuf,
        #[command(flatten)]
        select: select::Select,
        /// The artifact to write.
        #[arg(short, long, value_name = "OUT.wmc")]
        out: std::path::PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Make an Ed25519 key pair for signing artifacts: NAME.key (secret) and NAME.pub.
    Keygen {
        /// The name of the key files, without extension.
        #[arg(short, long, value_name = "NAME")]
        out: std::path::PathBuf,
    },
    /// Sign a built artifact with a secret key, so agencies can check it came from you.
    Sign {
        /// The artifact.
        artifact: std::path::PathBuf,
        /// The secret key file (from `waymark keygen`).
        #[arg(long, value_name = "FILE")]
        key: std::path::PathBuf,
        /// Write the signed artifact here instead of in place.
        #[arg(short, long)]
        out: Option<std::path::PathBuf>,
    },
    /// Show what a built artifact holds, verify its hash (and signature with
    /// `--verify-key`), and whether it loads here.
    Inspect {
        /// The artifact.
        artifact: std::path::PathBuf,
        /// Require a signature by this public key.
        #[arg(long, value_name = "FILE")]
        verify_key: Option<std::path::PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Re-evaluate a decision record with the rules it names and say whether the outcome is
    /// identical, or exactly what differs.
    Replay {
        /// The decision record (from `waymark eval --record`).
        record: std::path::PathBuf,
        /// Find the ruleset version in this registry, by id, version and hash.
        #[arg(long, value_name = "DIR", required_unless_present = "ruleset")]
        registry: Option<std::path::PathBuf>,
        /// Replay with this ruleset file or artifact instead.
        #[arg(long, value_name = "FILE")]
        ruleset: Option<std::path::PathBuf>,
        /// Require artifacts signed by this public key.
        #[arg(long, value_name = "FILE")]
        verify_key: Option<std::path::PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Evaluate a corpus of cases under two versions and report, per output and by group,
    /// how many decisions change, with rates before and after and a 95% interval.
    Impact {
        /// The old version (source or artifact).
        old: std::path::PathBuf,
        /// The new version.
        new: std::path::PathBuf,
        #[command(flatten)]
        select: select::Select,
        /// The cases: JSON lines (from `waymark synth`, or facts with group fields), or `-`.
        #[arg(long, value_name = "FILE.jsonl")]
        cases: String,
        /// A group field to break the figures down by (repeatable): `--group ethnicity`.
        #[arg(long = "group", value_name = "FIELD")]
        groups: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: pin::Table,
    },
    /// Compare two versions: what changed in the text, and which cases are decided
    /// differently, proved over every combination of answers where the inputs allow, with
    /// minimal example cases. Exit code 0 only when no case is decided differently.
    Diff {
        /// The old version (source or artifact).
        old: std::path::PathBuf,
        /// The new version.
        new: std::path::PathBuf,
        #[command(flatten)]
        select: select::Select,
        /// Random cases to try where inputs are not all finite (dates, lists).
        #[arg(long, default_value_t = 500)]
        cases: usize,
        /// Seed of the random search.
        #[arg(long)]
        seed: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write fictional cases for a ruleset (JSON lines) with realistic, documented
    /// distributions, for demonstrations, tests and benchmarks. Never real data.
    Synth {
        /// The ruleset whose inputs the cases fill.
        ruleset: std::path::PathBuf,
        #[command(flatten)]
        select: select::Select,
        /// How many cases.
        #[arg(short, long, default_value_t = 1000)]
        n: u64,
        /// The random seed: the same seed gives the same cases.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// A TOML file of group fields and their proportions (default: examples/groups/synthetic.toml).
        #[arg(long, value_name = "FILE")]
        groups: Option<std::path::PathBuf>,
        /// Where to write; standard output by default.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Serve every ruleset under some folders over HTTP: decisions (byte for byte what
    /// `eval --format json` prints), checks, tests, diffs and impact, for case systems and
    /// the workbench page. Reloads on SIGHUP; stops on SIGTERM after the requests in flight.
    Serve(serve::ServeArgs),
}

/// Writes to standard output. When the reader has gone away the program ends at once with
/// success, as `cat` and `grep` do; any other failure to write ends it with exit code 2.
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        exit_on_write_error(&e);
    }
}

/// Ends the program after a failed write to standard output: quietly with success when the
/// reader has gone away, otherwise with the reason and exit code 2.
pub(crate) fn exit_on_write_error(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to standard output: {e}");
    std::process::exit(2);
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check {
            paths,
            deny,
            format,
            registry,
            verify_key,
        } => {
            let mut code = 0;
            if !paths.is_empty() {
                code = cmd::check(&paths, deny.iter().any(|d| d == "warnings"), format);
            }
            if let Some(dir) = registry {
                code = code.max(pin::check_registry(&dir, verify_key.as_deref(), format));
            }
            code
        }
        Command::Fmt { paths, check } => cmd::fmt(&paths, check),
        Command::Eval {
            ruleset,
            select,
            facts,
            cases,
            out,
            record,
            redact,
            format,
            explain,
            engine,
        } => {
            let io = cmd::EvalIo {
                facts: facts.as_deref(),
                cases: cases.as_deref(),
                out: out.as_deref(),
            };
            let record = cmd::RecordTo {
                path: record.as_deref(),
                redact,
            };
            cmd::eval(&ruleset, &select, io, format, explain, engine, record)
        }
        Command::Test {
            paths,
            format,
            engine,
        } => cmd::test(&paths, format, engine),
        Command::Prop {
            paths,
            cases,
            seed,
            format,
        } => prop::prop(&paths, cases, seed, format),
        Command::Schema { ruleset, select } => cmd::schema(&ruleset, &select),
        Command::Build {
            ruleset,
            select,
            out,
            format,
        } => pin::build(&ruleset, &select, &out, format),
        Command::Keygen { out } => pin::keygen(&out),
        Command::Sign { artifact, key, out } => pin::sign(&artifact, &key, out.as_deref()),
        Command::Inspect {
            artifact,
            verify_key,
            format,
        } => pin::inspect(&artifact, verify_key.as_deref(), format),
        Command::Replay {
            record,
            registry,
            ruleset,
            verify_key,
            format,
        } => pin::replay(
            &record,
            registry.as_deref(),
            ruleset.as_deref(),
            verify_key.as_deref(),
            format,
        ),
        Command::Diff {
            old,
            new,
            select,
            cases,
            seed,
            format,
        } => pin::diff(&old, &new, &select, cases, seed, format),
        Command::Impact {
            old,
            new,
            select,
            cases,
            groups,
            format,
        } => pin::impact(&old, &new, &select, &cases, &groups, format),
        Command::Synth {
            ruleset,
            select,
            n,
            seed,
            groups,
            out,
        } => pin::synth(&ruleset, &select, n, seed, groups.as_deref(), out.as_ref()),
        Command::Doc { paths, out, check } => cmd::doc(&paths, out.as_deref(), check),
        Command::Serve(args) => serve::serve(args),
    };
    ExitCode::from(code)
}
