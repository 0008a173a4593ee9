//! `waymark serve`: the decision service over HTTP (see the `waymark-serve` crate and
//! docs/deploy.md).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use waymark_serve::{Config, ServeError};

/// The flags of `waymark serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// A folder of rulesets (source `.wm` or built `.wmc`, recursively) to serve; repeat
    /// for more folders.
    #[arg(long, value_name = "DIR")]
    pub rulesets: Vec<PathBuf>,
    /// A registry folder of ruleset versions with effective dates, served like `--rulesets`
    /// and watched: a change reloads it. Repeat for more folders.
    #[arg(long, value_name = "DIR")]
    pub registry: Vec<PathBuf>,
    /// A folder of case corpora (`.jsonl`) that `POST /v1/impact` may name; repeat for more.
    #[arg(long, value_name = "DIR")]
    pub corpora: Vec<PathBuf>,
    /// The address to listen on. An address other than loopback needs `--token-file`.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// A file holding the bearer token that every `/v1` route and `/metrics` require
    /// (`Authorization: Bearer TOKEN`).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// A folder for decision records: one JSON line per decision, on disk before the
    /// decision is answered.
    #[arg(long, value_name = "DIR")]
    pub records: Option<PathBuf>,
    /// In decision records, keep only the facts that mattered (whatever the profile says).
    #[arg(long, requires = "records")]
    pub redact: bool,
    /// An agency profile (TOML or JSON) whose parameters and pinned versions apply.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Require built artifacts signed by this Ed25519 public key (a file of hex digits).
    #[arg(long, value_name = "FILE")]
    pub verify_key: Option<PathBuf>,
    /// The most bytes a request body may have; larger bodies get 413.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub body_limit: usize,
    /// The most bytes an `evaluate-batch` body may have (each line within `--body-limit`).
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub batch_limit: usize,
    /// The time budget of one evaluation, in milliseconds; over it the answer is 422.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub eval_timeout_ms: u64,
    /// The time budget of checking, testing, comparing or measuring posted rulesets, in
    /// milliseconds; over it the answer is 422.
    #[arg(long, value_name = "MS", default_value_t = 60_000)]
    pub work_timeout_ms: u64,
}

pub fn serve(args: ServeArgs) -> u8 {
    let token = match &args.token_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
            Ok(_) => {
                eprintln!("error: the token file `{}` is empty", path.display());
                return 2;
            }
            Err(e) => {
                eprintln!(
                    "error: cannot read the token file `{}`: {e}",
                    path.display()
                );
                return 2;
            }
        },
        None => None,
    };
    let config = Config {
        rulesets: args.rulesets,
        registry: args.registry,
        corpora: args.corpora,
        addr: args.addr,
        token,
        records: args.records,
        redact: args.redact,
        profile: args.profile,
        verify_key: args.verify_key,
        body_limit: args.body_limit,
        batch_limit: args.batch_limit,
        eval_timeout: Duration::from_millis(args.eval_timeout_ms),
        work_timeout: Duration::from_millis(args.work_timeout_ms),
        ..Config::default()
    };
    match waymark_serve::run(config) {
        Ok(()) => 0,
        Err(e @ ServeError::Load(_)) => {
            eprintln!("error: {e}");
            1
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
