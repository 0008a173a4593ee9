//! The `waymark` command line: check, format, evaluate, test and describe rulesets.
//!
//! Exit codes: 0 success; 1 a problem with the rules, the facts or a test; 2 a usage or
//! input/output problem.

mod cmd;

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
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// Treat warnings as errors (`--deny warnings`).
        #[arg(long, value_name = "KIND")]
        deny: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
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
        /// The ruleset file.
        ruleset: std::path::PathBuf,
        /// A JSON file with one case's facts, or `-` for standard input.
        #[arg(long, conflicts_with = "cases")]
        facts: Option<String>,
        /// A JSON-lines file of cases (one object a line), or `-` for standard input.
        #[arg(long)]
        cases: Option<String>,
        /// Where to write decisions for `--cases` (JSON lines); standard output by default.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Override a parameter: `--param vhr_threshold=13` (the value is JSON or a bare word).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
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
        /// The ruleset file.
        ruleset: std::path::PathBuf,
    },
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
        } => cmd::check(&paths, deny.iter().any(|d| d == "warnings"), format),
        Command::Fmt { paths, check } => cmd::fmt(&paths, check),
        Command::Eval {
            ruleset,
            facts,
            cases,
            out,
            params,
            format,
            explain,
            engine,
        } => {
            let io = cmd::EvalIo {
                facts: facts.as_deref(),
                cases: cases.as_deref(),
                out: out.as_deref(),
            };
            cmd::eval(&ruleset, io, &params, format, explain, engine)
        }
        Command::Test {
            paths,
            format,
            engine,
        } => cmd::test(&paths, format, engine),
        Command::Schema { ruleset } => cmd::schema(&ruleset),
        Command::Doc { paths, out, check } => cmd::doc(&paths, out.as_deref(), check),
    };
    ExitCode::from(code)
}
