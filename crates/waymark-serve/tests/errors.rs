//! Every error status of the contract: 400 with every problem, 401, 404, 413 and 422; the
//! token; the refusal to listen on the network without one; and batch streaming.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test stops at the first broken expectation"
)]

mod common;

use std::time::Duration;

use common::{MARAC, client, config, sc02, serve};
use serde_json::{Value as Json, json};

async fn post(http: &reqwest::Client, url: String, body: impl Into<reqwest::Body>) -> (u16, Json) {
    let r = http
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(r.headers()["content-type"], "application/json");
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_the_documented_status_and_every_problem() {
    let (running, base) = serve(config()).await;
    let http = client();
    let url = format!("{base}{MARAC}/evaluate");

    // Malformed JSON: 400, located.
    let (status, e) = post(&http, url.clone(), "{\"facts\": {\"q1\": \"yes\",}}").await;
    assert_eq!(status, 400);
    assert_eq!(e["error"], "bad_json");
    assert!(
        e["message"].as_str().unwrap().contains("line 1 column"),
        "{e}"
    );

    // Bad facts: every problem, as `waymark eval` lists them.
    let mut facts = sc02();
    facts["q1"] = json!("maybe");
    facts["q25"] = json!("yes");
    facts["victim_age"] = json!("forty");
    let (status, e) = post(&http, url.clone(), json!({"facts": facts}).to_string()).await;
    assert_eq!(status, 400);
    assert_eq!(e["error"], "bad_facts");
    let kinds: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 3, "{e}");
    assert!(
        kinds.contains(&"unknown_input") && kinds.contains(&"wrong_type"),
        "{e}"
    );

    // A malformed request: every field problem at once, with hints.
    let (status, e) = post(
        &http,
        url.clone(),
        json!({"fact": {}, "explain": "yes", "as_of": "2024-13-45", "params": 3}).to_string(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(e["error"], "bad_request");
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["input"].as_str().unwrap())
        .collect();
    for f in ["fact", "facts", "explain", "as_of", "params"] {
        assert!(fields.contains(&f), "{f} in {e}");
    }
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `facts`?"),
        "{e}"
    );

    // Bad parameters and bad facts together.
    let mut facts = sc02();
    facts["q2"] = json!(7);
    let (status, e) = post(
        &http,
        url.clone(),
        json!({"facts": facts, "params": {"vhr_threshold": 99, "vhr_treshold": 3}}).to_string(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(e["error"], "bad_params");
    assert_eq!(e["errors"].as_array().unwrap().len(), 3, "{e}");

    // Facts over a size limit: 422, and the limit is named.
    let mut facts = sc02();
    facts["pad"] = json!(vec![0; 10_001]);
    let (status, e) = post(&http, url.clone(), json!({"facts": facts}).to_string()).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"], "limit");
    assert_eq!(e["errors"][0]["kind"], "limit");

    // Unknown ruleset or version: 404.
    let (status, e) = post(
        &http,
        format!("{base}/v1/rulesets/nope/evaluate"),
        json!({"facts": {}}).to_string(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(e["error"], "not_found");
    // Whatever the body: a ruleset that is not there is not there.
    let (status, e) = post(&http, format!("{base}/v1/rulesets/nope/evaluate"), "{").await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["error"], "not_found");
    let (status, _) = post(
        &http,
        url.clone(),
        json!({"facts": sc02(), "version": "2.0.0"}).to_string(),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(
        &http,
        url.clone(),
        json!({"facts": sc02(), "as_of": "2023-01-01"}).to_string(),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(
        &http,
        url.clone(),
        json!({"facts": sc02(), "as_of": "2024-05-01"}).to_string(),
    )
    .await;
    assert_eq!(status, 200);

    // Over the body limit: 413, with or without a declared length.
    let big = format!("{{\"facts\": {{\"pad\": \"{}\"}}}}", "x".repeat(1 << 20));
    let (status, e) = post(&http, url.clone(), big.clone()).await;
    assert_eq!(status, 413);
    assert_eq!(e["error"], "too_large");
    let chunks: Vec<Result<String, std::io::Error>> = big
        .as_bytes()
        .chunks(64 << 10)
        .map(|c| Ok(String::from_utf8_lossy(c).into_owned()))
        .collect();
    let (status, _) = post(
        &http,
        url.clone(),
        reqwest::Body::wrap_stream(tokio_stream::iter(chunks)),
    )
    .await;
    assert_eq!(status, 413);

    // No route, wrong method.
    let r = http.get(format!("{base}/v2/nothing")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .get(format!("{base}{MARAC}/evaluate"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);

    // The server goes on.
    let (status, _) = post(&http, url, json!({"facts": sc02()}).to_string()).await;
    assert_eq!(status, 200);
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("waymark_errors_total{kind=\"bad_facts\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("waymark_decisions_total{ruleset=\"marac.referral\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("waymark_evaluate_seconds_bucket{"),
        "{metrics}"
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evaluation_over_its_time_budget_is_422_and_the_server_goes_on() {
    let mut cfg = config();
    cfg.eval_timeout = Duration::ZERO;
    let (running, base) = serve(cfg).await;
    let http = client();
    for explain in [false, true] {
        let (status, e) = post(
            &http,
            format!("{base}{MARAC}/evaluate"),
            json!({"facts": sc02(), "explain": explain}).to_string(),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(e["error"], "timeout");
    }
    // A large body goes to the blocking pool, and is cut off by the timeout there.
    let padded = format!("{{\"facts\": {}{}}}", sc02(), " ".repeat(100 << 10));
    let (status, e) = post(&http, format!("{base}{MARAC}/evaluate"), padded).await;
    assert_eq!(status, 422, "{e}");
    let r = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_guards_every_v1_route_and_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.token = Some("s3cret-token".into());
    cfg.records = Some(dir.path().to_path_buf());
    let (running, base) = serve(cfg).await;
    let http = client();
    for (method, path) in waymark_serve::route_table() {
        let url = format!(
            "{base}{}",
            path.replace("{id}", "marac.referral")
                .replace("{*path}", "app.js")
        );
        let guarded = path.starts_with("/v1") || path == "/metrics";
        for token in [None, Some("wrong"), Some("s3cret-token")] {
            let mut request = match method {
                "get" => http.get(&url),
                _ => http.post(&url).body(json!({"facts": sc02()}).to_string()),
            };
            if let Some(t) = token {
                request = request.bearer_auth(t);
            }
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            if guarded && token != Some("s3cret-token") {
                assert_eq!(status, 401, "{method} {path} with {token:?}");
                assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"waymark\"");
                let e: Json = r.json().await.unwrap();
                assert_eq!(e["error"], "unauthorized");
            } else {
                assert_ne!(status, 401, "{method} {path} with {token:?}");
            }
        }
    }
    running.shutdown().await;

    // No token, not loopback: refused, saying why.
    let mut cfg = config();
    cfg.addr = "0.0.0.0:0".parse().unwrap();
    let refused = waymark_serve::start(cfg).await.err().expect("refused");
    let message = refused.to_string();
    assert!(
        message.contains("without a token") && message.contains("--token-file"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_streams_one_answer_a_line_in_order() {
    let (running, base) = serve(config()).await;
    let http = client();
    let mut lines = Vec::new();
    let mut expected = Vec::new();
    for i in 0..300u32 {
        let mut facts = sc02();
        facts["victim_age"] = json!(16 + i % 60);
        let line = match i % 7 {
            3 => {
                facts["q3"] = json!("perhaps");
                json!({"facts": facts})
            }
            5 => json!({"facts": facts, "explain": true, "params": {"vhr_threshold": 10 + i % 5}}),
            _ => json!({"facts": facts}),
        };
        // The same request alone gives the same decision (pretty there, one line here).
        let alone = http
            .post(format!("{base}{MARAC}/evaluate"))
            .body(line.to_string())
            .send()
            .await
            .unwrap();
        let status = alone.status().as_u16();
        let alone: Json = alone.json().await.unwrap();
        expected.push((status, alone));
        lines.push(line.to_string());
    }
    lines.insert(10, "not json".into());
    expected.insert(10, (400, json!(null)));
    lines.insert(20, String::new());
    let body = lines.join("\n") + "\n";
    // Send it in chunks that cut lines in the middle.
    let bytes = body.into_bytes();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(777).map(|c| Ok(c.to_vec())).collect();
    let r = http
        .post(format!("{base}{MARAC}/evaluate-batch"))
        .body(reqwest::Body::wrap_stream(tokio_stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    let answers: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), expected.len());
    for (n, (answer, (status, alone))) in answers.iter().zip(&expected).enumerate() {
        if *status == 200 {
            assert_eq!(answer, alone, "answer {n}");
        } else {
            assert!(answer["error"].is_string(), "answer {n}: {answer}");
            // Line numbers count every line, the blank line 21 included.
            let line = if n < 20 { n + 1 } else { n + 2 };
            assert_eq!(answer["line"], line, "answer {n}: {answer}");
            if !alone.is_null() {
                assert_eq!(answer["errors"], alone["errors"], "answer {n}");
            }
        }
    }
    assert_eq!(answers[10]["line"], 11);
    assert_eq!(answers[10]["error"], "bad_json");

    // An unknown ruleset is refused before streaming; so is a declared body over the limit.
    let r = http
        .post(format!("{base}/v1/rulesets/nope/evaluate-batch"))
        .body("{}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    running.shutdown().await;

    let mut cfg = config();
    cfg.batch_limit = 1000;
    cfg.body_limit = 600;
    let (running, base) = serve(cfg).await;
    let r = http
        .post(format!("{base}{MARAC}/evaluate-batch"))
        .body("x".repeat(2000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // A line over the line limit is an error line; the lines around it are answered.
    let small = json!({"facts": {"q1": "yes"}}).to_string();
    let body = format!("{small}\n{}\n{small}\n", "y".repeat(700));
    let r = http
        .post(format!("{base}{MARAC}/evaluate-batch"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let answers: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 3, "{text}");
    assert_eq!(answers[1]["error"], "too_large");
    assert_eq!(answers[1]["line"], 2);
    running.shutdown().await;
}
