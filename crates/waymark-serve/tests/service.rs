//! The service as a whole: atomic reloads (a broken set never replaces a good one),
//! decision records that replay, and many concurrent clients with nothing lost.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test stops at the first broken expectation"
)]

mod common;

use std::time::{Duration, Instant};

use common::{MARAC, client, config, get_json, root, sc02, serve};
use serde_json::{Value as Json, json};
use waymark::record::DecisionRecord;

async fn version_served(http: &reqwest::Client, base: &str, query: &str) -> (u16, String) {
    let r = http
        .get(format!("{base}/v1/rulesets/stalking.screen{query}"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Json = r.json().await.unwrap();
    (status, body["version"].as_str().unwrap_or("").to_string())
}

async fn wait_for_version(http: &reqwest::Client, base: &str, version: &str) {
    let started = Instant::now();
    while version_served(http, base, "").await.1 != version {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "version {version} was never served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_swaps_only_a_set_that_loads_cleanly() {
    let registry = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(root().join("rulesets/stalking/screen.wm")).unwrap();
    assert!(original.contains("ruleset stalking.screen version 1.0.0"));
    let file = registry.path().join("stalking.wm");
    std::fs::write(&file, &original).unwrap();
    let mut cfg = config();
    cfg.rulesets = Vec::new();
    cfg.registry = vec![registry.path().to_path_buf()];
    cfg.debounce = Duration::from_millis(100);
    let (running, base) = serve(cfg).await;
    let http = client();
    assert_eq!(
        version_served(&http, &base, "").await,
        (200, "1.0.0".into())
    );

    // A broken ruleset beside it: the reload is refused, saying why, and 1.0.0 stays.
    std::fs::write(
        registry.path().join("broken.wm"),
        "ruleset broken version 1.0.0\nrule {\n",
    )
    .unwrap();
    let refused = running
        .reload_and_wait()
        .await
        .expect_err("the reload is refused");
    assert!(refused.to_string().contains("broken.wm"), "{refused}");
    assert_eq!(
        version_served(&http, &base, "").await,
        (200, "1.0.0".into())
    );
    let health: Json = get_json(&http, format!("{base}/healthz")).await;
    assert_eq!(health["generation"], 0);

    // Fixed, and a new version published: the watcher reloads by itself.
    std::fs::remove_file(registry.path().join("broken.wm")).unwrap();
    std::fs::write(&file, original.replace("version 1.0.0", "version 1.1.0")).unwrap();
    wait_for_version(&http, &base, "1.1.0").await;

    // A second version with the same start overlaps: refused (the signal path), 1.1.0 stays.
    let next = original.replace("version 1.0.0", "version 1.2.0");
    std::fs::write(registry.path().join("stalking-next.wm"), &next).unwrap();
    let refused = running
        .reload_and_wait()
        .await
        .expect_err("overlapping periods are refused");
    assert!(refused.to_string().contains("overlap"), "{refused}");
    assert_eq!(
        version_served(&http, &base, "").await,
        (200, "1.1.0".into())
    );

    // Dated in the future, it loads: today's version stays the default, and the new one
    // answers for its dates and by name.
    let dated = next.replace("effective from 2024-04-01", "effective from 2031-01-01");
    assert_ne!(dated, next);
    std::fs::write(registry.path().join("stalking-next.wm"), &dated).unwrap();
    running.reload();
    let started = Instant::now();
    while version_served(&http, &base, "?version=1.2.0").await.0 != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "1.2.0 was never loaded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(version_served(&http, &base, "").await.1, "1.1.0");
    assert_eq!(
        version_served(&http, &base, "?as_of=2031-06-01").await.1,
        "1.2.0"
    );
    assert_eq!(
        version_served(&http, &base, "?as_of=2030-12-31").await.1,
        "1.1.0"
    );
    let list: Json = get_json(&http, format!("{base}/v1/rulesets")).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    running.shutdown().await;
}

fn records_in(dir: &std::path::Path) -> Vec<DecisionRecord> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            out.push(serde_json::from_str(line).expect("each line is a decision record"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decision_records_are_on_disk_when_answered_and_replay() {
    let rules = waymark::Ruleset::open(root().join("rulesets/marac/referral.wm"), None).unwrap();
    for redact in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config();
        cfg.records = Some(dir.path().to_path_buf());
        cfg.redact = redact;
        let (running, base) = serve(cfg).await;
        let http = client();
        for request in [
            json!({"facts": sc02()}),
            json!({"facts": sc02(), "explain": true}),
            json!({"facts": sc02(), "params": {"vhr_threshold": 13}, "as_of": "2024-05-01"}),
        ] {
            let r = http
                .post(format!("{base}{MARAC}/evaluate"))
                .json(&request)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            // Acknowledged means written: the record is there before the next request.
            let _ = r.bytes().await.unwrap();
        }
        assert_eq!(records_in(dir.path()).len(), 3);
        let batch = format!(
            "{}\n{}\n",
            json!({"facts": sc02()}),
            json!({"facts": {"q1": "no"}})
        );
        let r = http
            .post(format!("{base}{MARAC}/evaluate-batch"))
            .body(batch)
            .send()
            .await
            .unwrap();
        let _ = r.text().await.unwrap();
        let records = records_in(dir.path());
        assert_eq!(
            records.len(),
            4,
            "one record a decision, none for the bad line"
        );
        for record in &records {
            assert_eq!(record.redacted, redact);
            assert_eq!(record.ruleset.hash, rules.hash());
            let replay = rules.replay(record).unwrap();
            assert!(replay.identical, "{:?}", replay.differences);
        }
        assert_eq!(records[2].as_of.as_deref(), Some("2024-05-01"));
        assert_eq!(records[2].params["vhr_threshold"], 13);
        assert!(records[1].explanation.is_some());
        if redact {
            assert!(records[0].facts.len() < sc02().as_object().unwrap().len());
        }
        // The command line replays a record from the folder of rulesets.
        let one = dir.path().join("one.json");
        std::fs::write(&one, serde_json::to_string(&records[1]).unwrap()).unwrap();
        let (code, out) =
            common::waymark(&["replay", one.to_str().unwrap(), "--registry", "rulesets"]);
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out));
        running.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_clients_lose_nothing_and_the_server_still_answers() {
    const CLIENTS: usize = 64;
    const EACH: usize = 40;
    let (running, base) = serve(config()).await;
    let http = client();
    let url = format!("{base}{MARAC}/evaluate");
    let requests = [
        json!({"facts": sc02()}).to_string(),
        json!({"facts": sc02(), "explain": true}).to_string(),
        json!({"facts": sc02(), "params": {"vhr_threshold": 12}}).to_string(),
    ];
    let mut expected = Vec::new();
    for r in &requests {
        let response = http.post(&url).body(r.clone()).send().await.unwrap();
        assert_eq!(response.status(), 200);
        expected.push(response.bytes().await.unwrap());
    }
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (http, url, requests, expected) = (
            http.clone(),
            url.clone(),
            requests.clone(),
            expected.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for i in 0..EACH {
                let k = (c + i) % requests.len();
                let r = http
                    .post(&url)
                    .body(requests[k].clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                assert_eq!(r.bytes().await.unwrap(), expected[k]);
                ok += 1;
            }
            ok
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, CLIENTS * EACH);
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let decisions = metrics
        .lines()
        .find(|l| l.starts_with("waymark_decisions_total{ruleset=\"marac.referral\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .expect("the decisions counter");
    assert_eq!(decisions, CLIENTS * EACH + requests.len());
    assert!(
        !metrics.contains("waymark_errors_total"),
        "no error: {metrics}"
    );
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    running.shutdown().await;
}
