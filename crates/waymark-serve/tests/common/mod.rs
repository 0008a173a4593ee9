//! Shared test helpers: a service on an ephemeral loopback port, an HTTP client, and the
//! `waymark` command line to compare answers with.

#![allow(dead_code, reason = "each test file uses some of the helpers")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use waymark_serve::{Config, Running};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The reference rulesets folder.
pub fn rulesets() -> PathBuf {
    root().join("rulesets")
}

/// The "13 ticks" case.
pub fn sc02() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("examples/cases/sc02-thirteen-ticks.json"))
        .expect("the example case is readable");
    serde_json::from_str(&text).expect("the example case is JSON")
}

/// A configuration serving the reference rulesets on an ephemeral loopback port.
pub fn config() -> Config {
    Config {
        rulesets: vec![rulesets()],
        addr: "127.0.0.1:0".parse().expect("an address"),
        ..Config::default()
    }
}

/// A started service and its base URL.
pub async fn serve(config: Config) -> (Running, String) {
    let running = waymark_serve::start(config)
        .await
        .expect("the service starts");
    let base = format!("http://{}", running.local_addr());
    (running, base)
}

/// The MARAC referral ruleset's routes.
pub const MARAC: &str = "/v1/rulesets/marac.referral";

/// GET `url`, read as JSON.
pub async fn get_json(http: &reqwest::Client, url: String) -> serde_json::Value {
    let r = http.get(&url).send().await.expect("the service answers");
    r.json().await.expect("the answer is JSON")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("a client")
}

/// The `waymark` binary, built once for the whole test run.
pub fn waymark_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "waymark-cli"])
            .current_dir(root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the waymark command builds");
        // The test binary is TARGET/debug/deps/NAME; the command is TARGET/debug/waymark.
        let exe = std::env::current_exe().expect("the test binary's path");
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the target folder");
        dir.join(format!("waymark{}", std::env::consts::EXE_SUFFIX))
    })
    .clone()
}

/// Runs `waymark ARGS` in the repository root; exit code and standard output.
pub fn waymark(args: &[&str]) -> (i32, Vec<u8>) {
    let out = Command::new(waymark_bin())
        .args(args)
        .current_dir(root())
        .output()
        .expect("the waymark command runs");
    (out.status.code().unwrap_or(-1), out.stdout)
}

/// A fictional corpus of 2 000 MARAC cases (seed 7), written once into `dir`.
pub fn synth_corpus(dir: &Path) -> PathBuf {
    let path = dir.join("synthetic-2000.jsonl");
    let (code, _) = waymark(&[
        "synth",
        "rulesets/marac/referral.wm",
        "-n",
        "2000",
        "--seed",
        "7",
        "--out",
        path.to_str().expect("a UTF-8 path"),
    ]);
    assert_eq!(code, 0, "waymark synth writes the corpus");
    path
}
