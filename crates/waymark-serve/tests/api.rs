//! The service's routes end to end: the same decisions as `waymark eval`, every route in the
//! OpenAPI document and back, the loaded rulesets, posted rulesets, diff and impact.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test stops at the first broken expectation"
)]

mod common;

use std::collections::BTreeSet;

use common::{MARAC, client, config, get_json, root, sc02, serve, waymark};
use serde_json::{Value as Json, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluate_is_byte_for_byte_what_waymark_eval_prints() {
    let (running, base) = serve(config()).await;
    let http = client();
    let cases: [(&[&str], Json); 4] = [
        (&[], json!({"facts": sc02()})),
        (&["--explain"], json!({"facts": sc02(), "explain": true})),
        (
            &["--param", "vhr_threshold=13"],
            json!({"facts": sc02(), "params": {"vhr_threshold": 13}}),
        ),
        (
            &["--param", "vhr_threshold=13", "--explain"],
            json!({"facts": sc02(), "params": {"vhr_threshold": 13}, "explain": true}),
        ),
    ];
    for (extra, request) in cases {
        let mut args = vec![
            "eval",
            "rulesets/marac/referral.wm",
            "--facts",
            "examples/cases/sc02-thirteen-ticks.json",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, expected) = waymark(&args);
        assert_eq!(code, 0, "waymark {args:?}");
        let response = http
            .post(format!("{base}{MARAC}/evaluate"))
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{extra:?}"
        );
        let body = response.bytes().await.unwrap();
        assert_eq!(
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&expected),
            "{extra:?}"
        );
    }
    // The same facts posted with the ruleset's source give the same bytes.
    let source = std::fs::read_to_string(root().join("rulesets/marac/referral.wm")).unwrap();
    let posted = http
        .post(format!("{base}/v1/evaluate"))
        .json(&json!({"path": "marac/referral.wm", "source": source, "facts": sc02(), "explain": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let (_, expected) = waymark(&[
        "eval",
        "rulesets/marac/referral.wm",
        "--facts",
        "examples/cases/sc02-thirteen-ticks.json",
        "--format",
        "json",
        "--explain",
    ]);
    assert_eq!(posted.bytes().await.unwrap().as_ref(), expected.as_slice());
    running.shutdown().await;
}

/// The OpenAPI document's (method, path) pairs.
fn documented() -> BTreeSet<(String, String)> {
    let doc: Json = serde_json::from_str(waymark_serve::OPENAPI).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_documented_and_every_documented_route_answers() {
    let routes: BTreeSet<(String, String)> = waymark_serve::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.replace("{*", "{")))
        .collect();
    let documented = documented();
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.json: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );

    // Every documented route reaches its handler: never the "no route" answer.
    let (running, base) = serve(config()).await;
    let http = client();
    for (method, path) in &documented {
        let url = format!(
            "{base}{}",
            path.replace("{id}", "marac.referral")
                .replace("{path}", "app.js")
        );
        let request = match method.as_str() {
            "get" => http.get(&url),
            "post" => http.post(&url).body("{}"),
            other => panic!("unexpected method {other}"),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(
            !text.contains("no route"),
            "{method} {path} is not routed: {status} {text}"
        );
        assert!(status < 500, "{method} {path}: {status} {text}");
    }
    // The document itself is served as is.
    let served = http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.text().await.unwrap(), waymark_serve::OPENAPI);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loaded_rulesets_are_listed_described_and_shown() {
    let (running, base) = serve(config()).await;
    let http = client();
    let get = |path: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let r = http.get(format!("{base}{path}")).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap())
        }
    };

    let (status, text) = get("/v1/rulesets".into()).await;
    assert_eq!(status, 200);
    let list: Json = serde_json::from_str(&text).unwrap();
    let marac = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "marac.referral")
        .expect("marac.referral is listed");
    for key in ["id", "version", "title", "effective_from", "hash"] {
        assert!(marac.get(key).is_some(), "{key} in {marac}");
    }
    assert_eq!(marac["effective_from"], "2024-04-01");
    assert!(marac["hash"].as_str().unwrap().starts_with("sha256:"));

    let (status, text) = get(MARAC.into()).await;
    assert_eq!(status, 200);
    let info: Json = serde_json::from_str(&text).unwrap();
    let vhr = info["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "vhr_threshold")
        .expect("the threshold parameter");
    assert_eq!(vhr["default"], 14);
    assert_eq!(vhr["minimum"], 1);
    assert_eq!(vhr["maximum"], 24);
    assert!(
        info["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "q1" && i["type"] == "answer")
    );
    assert!(
        info["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["name"] == "refer_marac")
    );
    // Enum types carry their values' labels, in the values' order.
    let level = info["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "risk_level")
        .expect("the risk level output");
    assert_eq!(level["type"]["enum"], "level", "{level}");
    assert_eq!(level["type"]["values"][0], "standard", "{level}");
    assert_eq!(level["type"]["labels"][0], "Standard", "{level}");

    // The schema is `waymark schema`'s.
    let (status, text) = get(format!("{MARAC}/schema")).await;
    assert_eq!(status, 200);
    let (code, cli) = waymark(&["schema", "rulesets/marac/referral.wm"]);
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Json>(&text).unwrap(),
        serde_json::from_slice::<Json>(&cli).unwrap()
    );

    // The documentation is `waymark doc`'s page.
    let (status, text) = get(format!("{MARAC}/doc")).await;
    assert_eq!(status, 200);
    let (code, page) = waymark(&["doc", "rulesets/marac/referral.wm"]);
    assert_eq!(code, 0);
    let doc: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["markdown"].as_str().unwrap().as_bytes(),
        page.as_slice()
    );

    // The source, with its import, by paths relative to the rulesets folder.
    let (status, text) = get(format!("{MARAC}/source")).await;
    assert_eq!(status, 200);
    let source: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(source["path"], "marac/referral.wm");
    assert_eq!(
        source["source"].as_str().unwrap(),
        std::fs::read_to_string(root().join("rulesets/marac/referral.wm")).unwrap()
    );
    assert_eq!(
        source["files"]["ric/adult.wm"].as_str().unwrap(),
        std::fs::read_to_string(root().join("rulesets/ric/adult.wm")).unwrap()
    );

    // Versions chosen by query; unknown ones are 404, bad dates 400.
    assert_eq!(get(format!("{MARAC}?version=1.0.0")).await.0, 200);
    assert_eq!(get(format!("{MARAC}?as_of=2024-05-01")).await.0, 200);
    let (status, text) = get(format!("{MARAC}?version=9.9.9")).await;
    assert_eq!(status, 404, "{text}");
    assert!(text.contains("9.9.9") && text.contains("1.0.0"), "{text}");
    let (status, text) = get(format!("{MARAC}?as_of=2020-01-01")).await;
    assert_eq!(status, 404, "{text}");
    let (status, text) = get(format!("{MARAC}?as_of=yesterday&colour=red")).await;
    assert_eq!(status, 400, "{text}");
    let e: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(e["errors"].as_array().unwrap().len(), 2, "{text}");
    let (status, text) = get("/v1/rulesets/marac.referal".into()).await;
    assert_eq!(status, 404);
    assert!(text.contains("did you mean `marac.referral`?"), "{text}");

    let (status, text) = get("/healthz".into()).await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Json>(&text).unwrap()["status"], "ok");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posted_rulesets_are_checked_tested_formatted_and_documented() {
    let (running, base) = serve(config()).await;
    let http = client();
    let post = |path: &'static str, body: Json| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let r = http
                .post(format!("{base}{path}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (
                status,
                serde_json::from_str::<Json>(&r.text().await.unwrap()).unwrap(),
            )
        }
    };
    let marac = std::fs::read_to_string(root().join("rulesets/marac/referral.wm")).unwrap();

    // The root file alone: its import comes from the served folder.
    let (status, body) = post(
        "/v1/check",
        json!({"path": "marac/referral.wm", "source": marac}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["ok"], true, "{body}");

    // A broken ruleset: every diagnostic, located, as `waymark check --format json` gives.
    let broken = "ruleset demo version 1.0.0\ninput q1: answer \"Q\"\noutput x: bool \"X\" default false\nrule r { when q9 is yes set x to true }\nrule s { when q1 is maybe set y to true }\n";
    let (status, body) = post("/v1/check", json!({"path": "demo.wm", "source": broken})).await;
    assert_eq!(status, 200);
    assert_eq!(body["ok"], false);
    let diags = body["diagnostics"].as_array().unwrap();
    assert!(diags.len() >= 2, "{body}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("demo.wm"), broken).unwrap();
    let out = std::process::Command::new(common::waymark_bin())
        .args(["check", "demo.wm", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let cli_text = String::from_utf8(out.stdout).unwrap();
    let cli_diags: Json =
        serde_json::from_str(cli_text.split("\n{\"safety\"").next().unwrap()).unwrap();
    assert_eq!(&cli_diags, &body["diagnostics"]);

    // Tests run; a ruleset that does not check is 400 with its diagnostics.
    let (status, body) = post(
        "/v1/test",
        json!({"path": "marac/referral.wm", "source": marac}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true);
    assert!(body["passed"].as_u64().unwrap() > 0);
    assert_eq!(body["failed"], 0);
    assert_eq!(body["report"]["ruleset"], "marac.referral");
    let (status, body) = post("/v1/test", json!({"source": broken})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "diagnostics");
    assert!(body["diagnostics"].as_array().unwrap().len() >= 2);

    // Formatting gives the canonical text (the reference rulesets are already formatted).
    let (status, body) = post("/v1/format", json!({"source": marac})).await;
    assert_eq!(status, 200);
    assert_eq!(body["formatted"].as_str().unwrap(), marac);
    let (status, body) = post(
        "/v1/format",
        json!({"source": "ruleset demo version 1.0.0\ninput q1 answer\n"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "diagnostics");

    // Documentation of the posted text equals that of the loaded ruleset.
    let (status, body) = post(
        "/v1/doc",
        json!({"path": "marac/referral.wm", "source": marac}),
    )
    .await;
    assert_eq!(status, 200);
    let loaded: Json = get_json(&http, format!("{base}{MARAC}/doc")).await;
    assert_eq!(body["markdown"], loaded["markdown"]);

    // Posted files win over served ones; a path outside the folders is refused.
    let (status, body) = post(
        "/v1/check",
        json!({"path": "marac/referral.wm", "source": marac, "files": {"ric/adult.wm": "ruleset broken"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["ok"], false);
    let (status, body) = post(
        "/v1/check",
        json!({"path": "../../etc/passwd", "source": "x", "fils": {}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `files`?"),
        "{body}"
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_and_impact_give_what_the_command_line_prints() {
    let corpora = tempfile::tempdir().unwrap();
    let corpus = common::synth_corpus(corpora.path());
    let mut cfg = config();
    cfg.corpora = vec![corpora.path().to_path_buf()];
    let (running, base) = serve(cfg).await;
    let http = client();

    // A new version with a lower threshold, in a folder of its own.
    let work = tempfile::tempdir().unwrap();
    let marac = std::fs::read_to_string(root().join("rulesets/marac/referral.wm")).unwrap();
    let lowered = marac.replace(
        "param vhr_threshold: int in 1..24 = 14",
        "param vhr_threshold: int in 1..24 = 12",
    );
    assert_ne!(lowered, marac);
    std::fs::create_dir_all(work.path().join("marac")).unwrap();
    std::fs::create_dir_all(work.path().join("ric")).unwrap();
    std::fs::write(work.path().join("marac/referral.wm"), &lowered).unwrap();
    std::fs::copy(
        root().join("rulesets/ric/adult.wm"),
        work.path().join("ric/adult.wm"),
    )
    .unwrap();
    let new_path = work.path().join("marac/referral.wm");
    let new_path = new_path.to_str().unwrap();

    let corpora_list: Json = get_json(&http, format!("{base}/v1/corpora")).await;
    assert_eq!(
        corpora_list,
        json!([{"name": "synthetic-2000", "lines": 2000}])
    );

    let (_, cli) = waymark(&[
        "diff",
        "rulesets/marac/referral.wm",
        new_path,
        "--format",
        "json",
        "--seed",
        "3",
        "--cases",
        "50",
    ]);
    let response = http
        .post(format!("{base}/v1/diff"))
        .json(&json!({
            "old": {"id": "marac.referral"},
            "new": {"path": "marac/referral.wm", "source": lowered},
            "seed": 3, "cases": 50,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let served = response.bytes().await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&served),
        String::from_utf8_lossy(&cli)
    );
    let diff: Json = serde_json::from_slice(&served).unwrap();
    assert_eq!(diff["equivalent"], false);

    // The whole corpus by name; a part of it posted as text (a body is at most 1 MiB).
    let text = std::fs::read_to_string(&corpus).unwrap();
    let part: String = text.lines().take(400).map(|l| format!("{l}\n")).collect();
    let part_path = corpora.path().join("part.txt");
    std::fs::write(&part_path, &part).unwrap();
    for (cases, request) in [
        (corpus.clone(), json!({"corpus": "synthetic-2000"})),
        (part_path, json!({"cases": part})),
    ] {
        let (code, cli) = waymark(&[
            "impact",
            "rulesets/marac/referral.wm",
            new_path,
            "--cases",
            cases.to_str().unwrap(),
            "--group",
            "ethnicity",
            "--format",
            "json",
        ]);
        assert_eq!(code, 0);
        let cli: Json = serde_json::from_slice(&cli).unwrap();
        let mut request = request;
        let obj = request.as_object_mut().unwrap();
        obj.insert("old".into(), json!({"id": "marac.referral"}));
        obj.insert(
            "new".into(),
            json!({"path": "marac/referral.wm", "source": lowered}),
        );
        obj.insert("groups".into(), json!(["ethnicity"]));
        obj.insert("changed_limit".into(), json!(5));
        let response = http
            .post(format!("{base}/v1/impact"))
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let mut served: Json = response.json().await.unwrap();
        let changed = served.as_object_mut().unwrap().remove("changed").unwrap();
        assert_eq!(served, cli);
        assert!(cli["changed_cases"].as_u64().unwrap() > 0);
        let changed = changed.as_array().unwrap();
        assert_eq!(
            changed.len() as u64,
            cli["changed_cases"].as_u64().unwrap().min(5)
        );
        for c in changed {
            assert_ne!(c["old"], c["new"], "{c}");
            assert!(c["line"].as_u64().unwrap() >= 1);
            assert!(c["facts"].is_object());
        }
    }

    // Every problem with the request at once; an unknown corpus is 404.
    let response = http
        .post(format!("{base}/v1/impact"))
        .json(&json!({"old": {"id": "marac.referral", "source": "x"}, "new": {"versoin": "1"}, "groups": "ethnicity"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let e: Json = response.json().await.unwrap();
    assert!(e["errors"].as_array().unwrap().len() >= 4, "{e}");
    let response = http
        .post(format!("{base}/v1/impact"))
        .json(&json!({"old": {"id": "marac.referral"}, "new": {"id": "marac.referral"}, "corpus": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    running.shutdown().await;
}
