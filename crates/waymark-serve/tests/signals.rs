//! `waymark serve` as a process: SIGHUP reloads (a broken set is refused, a fixed one is
//! served), SIGTERM stops it cleanly, and its log never holds a case's facts.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test stops at the first broken expectation"
)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{client, root};
use serde_json::{Value as Json, json};

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn version(http: &reqwest::Client, base: &str) -> Option<String> {
    let r = http
        .get(format!("{base}/v1/rulesets/stalking.screen"))
        .send()
        .await
        .ok()?;
    let body: Json = r.json().await.ok()?;
    body["version"].as_str().map(str::to_string)
}

async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < Duration::from_secs(30), "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_sigterm_stops() {
    let folder = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(root().join("rulesets/stalking/screen.wm")).unwrap();
    let file = folder.path().join("stalking.wm");
    std::fs::write(&file, &original).unwrap();
    let log = folder.path().join("serve.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    // `--rulesets` is not watched: only the signal reloads it.
    let mut child = Command::new(common::waymark_bin())
        .args(["serve", "--rulesets"])
        .arg(folder.path())
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let http = client();
    wait_until("the service starts", async || {
        version(&http, &base).await.as_deref() == Some("1.0.0")
    })
    .await;

    // Facts with a marker that must never reach the log.
    let r = http
        .post(format!("{base}/v1/rulesets/stalking.screen/evaluate"))
        .json(&json!({"facts": {"marker": "PRIVATE-FACT-7731"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("marker"));

    // Broken: SIGHUP is refused and 1.0.0 keeps serving.
    std::fs::write(&file, "ruleset stalking.screen version 1.1.0\nrule {\n").unwrap();
    signal(&child, "HUP");
    wait_until("the refusal is logged", async || {
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("reload refused")
    })
    .await;
    assert_eq!(version(&http, &base).await.as_deref(), Some("1.0.0"));

    // Fixed: SIGHUP swaps in 1.1.0.
    std::fs::write(&file, original.replace("version 1.0.0", "version 1.1.0")).unwrap();
    signal(&child, "HUP");
    wait_until("1.1.0 is served", async || {
        version(&http, &base).await.as_deref() == Some("1.1.0")
    })
    .await;

    signal(&child, "TERM");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "it stops");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("listening on"), "{text}");
    assert!(text.contains("stopped"), "{text}");
    assert!(!text.contains("PRIVATE-FACT-7731"), "{text}");
}
