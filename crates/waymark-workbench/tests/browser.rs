//! The workbench in a real browser: headless Chromium, driven over WebDriver by
//! chromedriver, against the real decision service on a loopback port.
//!
//! The journey of a policy officer: open `marac.referral`, lower the visible-high-risk
//! threshold from 14 to 13 and see the tests that now fail, try a case with 13 yes answers
//! and read "refer to MARAC" with its reason, type a syntax error and see it at the right
//! line, and compare the change over a synthetic corpus. Beside it: a keyboard-only run,
//! a check that every control has a name and that text has AA contrast, and a check that
//! the page talks to nobody but its own server and stores nothing.
//!
//! Each step saves a screenshot under `target/tmp/workbench-screenshots/`; the ones in
//! docs/images/ were copied from there.
//!
//! Needs `chromium` and `chromedriver` (`bash scripts/browser-deps` installs both).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value as Json, json};

/// One browser at a time: the machines these tests run on have few cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const TAB: &str = "\u{E004}";
/// WebDriver's Control key: held down until `NULL`.
const CONTROL: &str = "\u{E009}";
const NULL: &str = "\u{E000}";
const ENTER: &str = "\u{E007}";
const SPACE: &str = " ";
const BACKSPACE: &str = "\u{E003}";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("workbench-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A program on PATH.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn chromium_binary() -> Option<PathBuf> {
    // Debian's /usr/bin/chromium is a wrapper script; the browser itself lives here.
    let debian = Path::new("/usr/lib/chromium/chromium");
    if debian.is_file() {
        return Some(debian.to_path_buf());
    }
    which("chromium").or_else(|| which("chromium-browser"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The service, chromedriver and a browser session.
struct Bench {
    client: Client,
    base: String,
    driver: Child,
    server: Option<waymark_serve::Running>,
    corpora: tempfile::TempDir,
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Writes a synthetic corpus of 2000 cases for `marac.referral` (seed 7).
fn synthetic_corpus(dir: &Path) -> PathBuf {
    let rules = waymark::Ruleset::from_path(root().join("rulesets/marac/referral.wm")).unwrap();
    let groups =
        waymark_corpus::synth::Groups::parse(waymark_corpus::synth::DEFAULT_GROUPS).unwrap();
    let path = dir.join("synthetic.jsonl");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    waymark_corpus::synth::write(&rules, &groups, 2000, 7, file, |_| {}).unwrap();
    path
}

async fn start() -> Bench {
    let driver_path = which("chromedriver").unwrap_or_else(|| {
        panic!(
            "chromedriver is not installed, so the workbench cannot be tested in a browser: \
             run `bash scripts/browser-deps` (it installs chromium and chromium-driver)"
        )
    });
    let chromium = chromium_binary()
        .unwrap_or_else(|| panic!("chromium is not installed: run `bash scripts/browser-deps`"));

    let corpora = tempfile::tempdir().unwrap();
    synthetic_corpus(corpora.path());
    let server = waymark_serve::start(waymark_serve::Config {
        rulesets: vec![root().join("rulesets")],
        corpora: vec![corpora.path().to_path_buf()],
        addr: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    })
    .await
    .unwrap();
    let base = format!("http://{}/", server.local_addr());

    let port = free_port();
    let driver = Command::new(&driver_path)
        .arg(format!("--port={port}"))
        .env("LANG", "en_GB.UTF-8")
        .env("LANGUAGE", "en_GB")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_path.display()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium.display().to_string(),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800",
                "--disable-dev-shm-usage", "--lang=en-GB", "--force-device-scale-factor=1",
                "--hide-scrollbars",
            ],
            "prefs": {"intl.accept_languages": "en-GB"},
        }),
    );
    // chromedriver listens on loopback over plain HTTP.
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("cannot open a browser session through chromedriver: {e}"));
    Bench {
        client,
        base,
        driver,
        server: Some(server),
        corpora,
    }
}

impl Bench {
    async fn finish(mut self) {
        let client = self.client.clone();
        client.close().await.unwrap();
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    async fn js(&self, script: &str) -> Json {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `condition` (a JavaScript expression) is true.
    async fn until(&self, what: &str, condition: &str) {
        let script = format!("return Boolean({condition});");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.js(&script).await == json!(true) {
                return;
            }
            if Instant::now() > deadline {
                let text = self
                    .js("return document.body.innerText.slice(0, 3000);")
                    .await;
                self.shot("timeout").await;
                panic!("timed out waiting for {what} ({condition}); the page shows:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn ready(&self, view: &str) {
        self.until(
            &format!("the {view} view"),
            &format!("document.getElementById('main').dataset.ready === '{view}'"),
        )
        .await;
    }

    async fn open(&self, hash: &str) {
        self.client
            .goto(&format!("{}{hash}", self.base))
            .await
            .unwrap();
    }

    async fn css(&self, selector: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("no `{selector}` on the page: {e}"))
    }

    async fn text(&self, selector: &str) -> String {
        self.css(selector).await.text().await.unwrap()
    }

    async fn click_link(&self, text: &str) {
        self.client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("no link `{text}`: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn shot(&self, name: &str) {
        self.js("window.scrollTo(0, 0); for (const el of document.querySelectorAll('.sticky, .pane-scroll')) el.scrollTop = 0;").await;
        self.save(name).await;
    }

    /// A screenshot with `selector` at the top of the window.
    async fn shot_at(&self, name: &str, selector: &str) {
        self.js(&format!(
            "document.querySelector({}).scrollIntoView({{block: 'start'}});",
            json!(selector)
        ))
        .await;
        self.save(name).await;
    }

    async fn save(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(shots_dir().join(format!("workbench-{name}.png")), png).unwrap();
    }

    /// Presses keys in whatever has the focus.
    async fn keys(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .unwrap()
            .send_keys(keys)
            .await
            .unwrap();
    }

    /// Presses Tab until `condition` holds for `document.activeElement` (as `el`).
    async fn tab_to(&self, what: &str, condition: &str) {
        for _ in 0..400 {
            let ok = self
                .js(&format!(
                    "const el = document.activeElement; return Boolean(el && ({condition}));"
                ))
                .await;
            if ok == json!(true) {
                return;
            }
            self.keys(TAB).await;
        }
        panic!("Tab never reached {what}");
    }

    /// Sets a date field as a person would by picking a date, and tells the page.
    async fn set_date(&self, selector: &str, date: &str) {
        self.js(&format!(
            "const el = document.querySelector({sel}); el.value = {date}; \
             el.dispatchEvent(new Event('change', {{bubbles: true}}));",
            sel = json!(selector),
            date = json!(date)
        ))
        .await;
    }

    /// Every control without an accessible name, and every piece of text below WCAG AA
    /// contrast, on the page as it is now.
    async fn audit(&self, view: &str) {
        let found = self.js(AUDIT).await;
        let unnamed = found["unnamed"].as_array().unwrap();
        assert!(
            unnamed.is_empty(),
            "{view}: controls without an accessible name: {unnamed:#?}"
        );
        let low = found["contrast"].as_array().unwrap();
        assert!(
            low.is_empty(),
            "{view}: text below WCAG AA contrast: {low:#?}"
        );
        assert!(
            found["checked"].as_u64().unwrap() > 0,
            "{view}: no controls were found to check"
        );
    }
}

/// Computes each control's accessible name (the parts of the accessible-name rules the
/// page uses: aria-labelledby, aria-label, label elements, text content, title) and each
/// text's contrast against the background behind it.
const AUDIT: &str = r#"
const visible = (el) => {
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  return s.visibility !== 'hidden' && s.display !== 'none' && (r.width > 0 || r.height > 0 || el.type === 'radio' || el.type === 'checkbox');
};
const textOf = (el) => (el ? (el.innerText || el.textContent || '').trim() : '');
const nameOf = (el) => {
  const by = el.getAttribute('aria-labelledby');
  if (by) { const t = by.split(/\s+/).map((id) => textOf(document.getElementById(id))).join(' ').trim(); if (t) return t; }
  const aria = (el.getAttribute('aria-label') || '').trim();
  if (aria) return aria;
  if (el.labels && el.labels.length) { const t = [...el.labels].map(textOf).join(' ').trim(); if (t) return t; }
  if (el.tagName === 'BUTTON' || el.tagName === 'A') { const t = textOf(el); if (t) return t; }
  return (el.getAttribute('title') || '').trim();
};
const unnamed = [];
let checked = 0;
for (const el of document.querySelectorAll('input, select, textarea, button, a[href], [role=radiogroup], [role=group]')) {
  if (el.closest('[aria-hidden=true]')) continue;
  if (el.type === 'hidden') continue;
  if (!visible(el) && el.tagName !== 'INPUT') continue;
  checked += 1;
  if (!nameOf(el)) unnamed.push(el.outerHTML.slice(0, 160));
}
const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map((x) => parseFloat(x)); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
const bgOf = (el) => {
  for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; }
  return { r: 255, g: 255, b: 255, a: 1 };
};
const contrast = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const seen = new Set();
while (walker.nextNode()) {
  const node = walker.currentNode;
  const el = node.parentElement;
  if (!el || seen.has(el) || !node.textContent.trim()) continue;
  seen.add(el);
  if (!visible(el) || el.closest('.visually-hidden, [hidden], noscript')) continue;
  const s = getComputedStyle(el);
  const fg = parse(s.color);
  if (!fg || fg.a < 0.1) continue;
  const bg = bgOf(el);
  const l1 = lum(fg), l2 = lum(bg);
  const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  const size = parseFloat(s.fontSize);
  const bold = parseInt(s.fontWeight, 10) >= 700;
  const large = size >= 24 || (bold && size >= 18.66);
  if (ratio < (large ? 3 : 4.5)) contrast.push(`${ratio.toFixed(2)}: ${s.color} on rgb(${bg.r},${bg.g},${bg.b}): ${node.textContent.trim().slice(0, 60)}`);
}
return { unnamed, contrast, checked };
"#;

/// Runs `body` with a fresh bench, one test at a time.
fn with_bench<F>(body: impl FnOnce(Bench) -> F)
where
    F: std::future::Future<Output = ()>,
{
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let bench = start().await;
        body(bench).await;
    });
}

/// The line (from 1) of the first line of `source` that starts with `prefix`.
fn line_starting(source: &str, prefix: &str) -> usize {
    source
        .lines()
        .position(|l| l.trim_start().starts_with(prefix))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no line starts with `{prefix}`"))
}

/// The number of cases whose decision changes when `vhr_threshold` goes from 14 to 13,
/// worked out with the library, not the page.
fn expected_changed(corpus: &Path) -> u64 {
    let old = waymark::Ruleset::from_path(root().join("rulesets/marac/referral.wm")).unwrap();
    let new = old
        .with_params(&[("vhr_threshold".to_string(), json!(13))])
        .unwrap();
    let file = std::io::BufReader::new(std::fs::File::open(corpus).unwrap());
    waymark_corpus::impact::run(&old, &new, file, &[], |_| {})
        .unwrap()
        .changed_cases
}

#[test]
fn a_policy_officer_changes_the_marac_threshold_and_sees_what_it_does() {
    with_bench(|b| async move {
        let source = std::fs::read_to_string(root().join("rulesets/marac/referral.wm")).unwrap();

        // The start page lists the loaded rulesets.
        b.open("").await;
        b.ready("start").await;
        let row = b.text("tr[data-ruleset='marac.referral']").await;
        assert!(row.contains("MARAC referral criteria"), "{row}");
        assert!(row.contains("1.0.0") && row.contains("2024-04-01"), "{row}");
        b.audit("start page").await;
        b.shot("start").await;

        // Open marac.referral: its documentation beside its text.
        b.click_link("MARAC referral criteria").await;
        b.ready("read").await;
        let doc = b.text(".doc").await;
        assert!(doc.contains("Parameters an agency may set"), "{doc}");
        assert!(doc.contains("Yes answers needed for visible high risk"));
        let shown = b.text(".source-view").await;
        assert!(shown.contains("ruleset marac.referral version 1.0.0"));
        let title = b.text("h1").await;
        assert_eq!(title, "MARAC referral criteria");
        b.audit("read view").await;
        b.shot("read").await;

        // Change vhr_threshold from 14 to 13 in the settings form.
        b.click_link("Edit").await;
        b.ready("edit").await;
        b.until(
            "the first check",
            "document.getElementById('check-status').textContent.includes('No problems')",
        )
        .await;
        let label = b.text("[data-param='vhr_threshold'] label").await;
        assert_eq!(label, "Yes answers needed for visible high risk");
        let hint = b.text("[data-param='vhr_threshold'] .hint").await;
        assert!(
            hint.contains("Default 14") && hint.contains("1 to 24"),
            "{hint}"
        );
        let input = b.css("[data-param='vhr_threshold'] input").await;
        assert_eq!(input.prop("value").await.unwrap().as_deref(), Some("14"));
        input.clear().await.unwrap();
        input.send_keys(&format!("13{TAB}")).await.unwrap();
        b.until(
            "the changed setting",
            "document.querySelector('[data-param=vhr_threshold]').classList.contains('changed')",
        )
        .await;
        let chips = b.text(".chips").await;
        assert!(
            chips.contains("Settings changed") && chips.contains("= 13"),
            "{chips}"
        );
        // The text is untouched.
        let text_now = b
            .js("return document.querySelector('.editor-input').value;")
            .await;
        assert_eq!(text_now.as_str().unwrap(), source);
        b.audit("edit view").await;
        b.shot("settings").await;

        // The tests that now fail.
        b.click_link("Tests").await;
        b.ready("tests").await;
        let summary = b.css("#test-summary [data-failed]").await;
        let failed: u64 = summary
            .attr("data-failed")
            .await
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        assert!(failed > 0, "lowering the threshold breaks some tests");
        let failing = b
            .js("return [...document.querySelectorAll('.test-item[data-passed=false] .test-name')].map(e => e.textContent);")
            .await;
        let failing: Vec<&str> = failing
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            failing.contains(&"13 yes answers is medium and not referred"),
            "{failing:?}"
        );
        assert!(
            failing.contains(&"SC-02 the 13-tick case: medium, no automatic MARAC"),
            "{failing:?}"
        );
        let first = b.text(".test-item[data-passed=false] .test-failures").await;
        assert!(
            first.contains("Expected") && first.contains("Actual"),
            "{first}"
        );
        assert!(
            first.contains("Refer to MARAC") || first.contains("Risk level"),
            "{first}"
        );
        assert!(b.text("#test-summary").await.contains("passed"));
        b.audit("tests view").await;
        b.shot("tests").await;

        // Try a case with 13 yes answers: refer to MARAC, with the reason.
        b.click_link("Try a case").await;
        b.ready("try").await;
        b.set_date("[data-field=assessment_date] input", "2024-05-01")
            .await;
        for q in 1..=24 {
            let answer = if q <= 13 { "yes" } else { "no" };
            b.css(&format!("input[name='answer-q{q}'][value='{answer}']"))
                .await
                .click()
                .await
                .unwrap();
        }
        b.css("#evaluate").await.click().await.unwrap();
        let headline = b.text("[data-testid=headline]").await;
        assert_eq!(headline, "Refer to MARAC: yes");
        let outcome = b.text("[data-testid=outcome]").await;
        assert!(outcome.contains("13"), "{outcome}");
        let why = b.text("[data-testid=why]").await;
        assert!(
            why.contains("Visible high risk: the yes count reaches the threshold"),
            "{why}"
        );
        assert!(why.contains("Any criterion met: refer to MARAC"), "{why}");
        assert!(why.contains("W3"), "the reason cites its source: {why}");
        b.audit("try view").await;
        b.shot("try").await;

        // Save the case as a test: it lands in the text and passes under the new threshold.
        let name = "thirteen yes answers under a local threshold of 13";
        let field = b.css("#test-name").await;
        field.clear().await.unwrap();
        field.send_keys(name).await.unwrap();
        b.css(".save-test button").await.click().await.unwrap();
        b.until(
            "the saved test",
            "document.querySelector('.save-test [role=status]').textContent.includes('Saved as a test')",
        )
        .await;
        b.click_link("Tests").await;
        b.ready("tests").await;
        let saved = b
            .js(&format!(
                "const item = [...document.querySelectorAll('.test-item')] \
                   .find(i => i.querySelector('.test-name').textContent === {}); \
                 return item ? item.dataset.passed : 'missing';",
                json!(name)
            ))
            .await;
        assert_eq!(saved, json!("true"), "the saved test runs and passes");
        let again: u64 = b
            .css("#test-summary [data-failed]")
            .await
            .attr("data-failed")
            .await
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(again, failed);

        // A syntax error, shown at its line.
        b.click_link("Edit").await;
        b.ready("edit").await;
        let line = line_starting(&source, "when in_medium_band");
        b.js(&format!(
            "const ta = document.querySelector('.editor-input'); \
             const lines = ta.value.split('\\n'); \
             const at = lines.slice(0, {line}).join('\\n').length; \
             ta.focus(); ta.setSelectionRange(at, at);"
        ))
        .await;
        b.keys(" and and").await;
        b.until(
            "the syntax error",
            &format!(
                "document.querySelector('.editor-line-number.has-error[data-line=\"{line}\"]')"
            ),
        )
        .await;
        let problem = b
            .text(&format!(
                "#problems li[data-severity=error][data-line=\"{line}\"]"
            ))
            .await;
        assert!(problem.contains(&format!("Line {line}")), "{problem}");
        assert!(problem.contains("expected"), "{problem}");
        let inline = b
            .text(&format!(".editor-message[data-line=\"{line}\"]"))
            .await;
        assert!(!inline.is_empty());
        let errors = b
            .js("return document.querySelectorAll('.editor-line-number.has-error').length;")
            .await;
        assert_eq!(errors, json!(1), "only the line with the mistake is marked");
        assert!(b.text(".chips").await.contains("problem"));
        b.shot("error").await;
        b.css("#undo-edits").await.click().await.unwrap();
        b.until(
            "the error to go",
            "!document.querySelector('.editor-line-number.has-error')",
        )
        .await;
        // Ctrl+Z takes "Undo all edits" back, mistake and all; Ctrl+Y puts it again.
        b.js("document.querySelector('.editor-input').focus();")
            .await;
        b.keys(&format!("{CONTROL}z{NULL}")).await;
        b.until(
            "Ctrl+Z to bring the edits back",
            &format!(
                "document.querySelector('.editor-line-number.has-error[data-line=\"{line}\"]')"
            ),
        )
        .await;
        b.keys(&format!("{CONTROL}y{NULL}")).await;
        b.until(
            "Ctrl+Y to undo the edits again",
            &format!(
                "!document.querySelector('.editor-line-number.has-error') \
                 && document.querySelector('.editor-input').value === {}",
                json!(source)
            ),
        )
        .await;
        b.css("#format").await.click().await.unwrap();
        b.until(
            "the layout check",
            "document.querySelector('#view .toolbar').textContent.includes('already has the standard layout')",
        )
        .await;

        // Compare the change over the synthetic corpus.
        b.click_link("Compare and impact").await;
        b.ready("impact").await;
        let corpus = b.text("#corpus").await;
        assert!(
            corpus.contains("synthetic") && corpus.contains("2,000"),
            "{corpus}"
        );
        b.css("#run-impact").await.click().await.unwrap();
        let count = b.css("[data-testid=changed-count]").await;
        let changed: u64 = count
            .attr("data-changed")
            .await
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        let expected = expected_changed(&b.corpora.path().join("synthetic.jsonl"));
        assert_eq!(changed, expected);
        assert!(changed > 0);
        let words = count.text().await.unwrap();
        assert!(
            words.starts_with(&format!("{changed} of 2,000 decisions change")),
            "{words}"
        );
        let by_outcome = b.text("#by-outcome").await;
        assert!(by_outcome.contains("Refer to MARAC: yes"), "{by_outcome}");
        let ethnicity = b.text("table[data-group=ethnicity]").await;
        assert!(
            ethnicity.contains("White British") && ethnicity.contains("Asian"),
            "{ethnicity}"
        );
        b.audit("impact view").await;
        b.shot_at("impact", "#impact-heading").await;

        // Any changed case opens in the explanation view.
        b.js(
            "const row = [...document.querySelectorAll('#changed-cases tbody tr')] \
               .find(r => r.textContent.includes('Refer to MARAC: no → yes')); \
             row.querySelector('button').click();",
        )
        .await;
        b.ready("try").await;
        let headline = b.text("[data-testid=headline]").await;
        assert_eq!(headline, "Refer to MARAC: yes");
        let outcome = b.text("[data-testid=outcome]").await;
        assert!(outcome.contains("published version: no"), "{outcome}");
        assert!(b.text(".decision .notice").await.contains("line"));
        b.shot("explain").await;

        // The same page on a tablet.
        b.client.set_window_size(820, 1180).await.unwrap();
        b.click_link("Edit").await;
        b.ready("edit").await;
        let overflow = b
            .js("return document.documentElement.scrollWidth > document.documentElement.clientWidth + 1;")
            .await;
        assert_eq!(
            overflow,
            json!(false),
            "nothing is wider than a tablet screen"
        );
        b.shot("tablet").await;

        b.finish().await;
    });
}

#[test]
fn everything_works_from_the_keyboard() {
    with_bench(|b| async move {
        b.open("").await;
        b.ready("start").await;
        b.tab_to(
            "the MARAC ruleset",
            "el.textContent === 'MARAC referral criteria'",
        )
        .await;
        let outline = b
            .js("const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && s.outlineWidth !== '0px';")
            .await;
        assert_eq!(
            outline,
            json!(true),
            "the focused link shows where the focus is"
        );
        b.keys(ENTER).await;
        b.ready("read").await;

        // The settings form, by keyboard.
        b.tab_to("the Edit view", "el.dataset.view === 'edit'")
            .await;
        b.keys(ENTER).await;
        b.ready("edit").await;
        b.tab_to("the threshold", "el.name === 'vhr_threshold'")
            .await;
        b.keys(&format!("{BACKSPACE}{BACKSPACE}{BACKSPACE}13{TAB}"))
            .await;
        b.until(
            "the changed setting",
            "document.querySelector('[data-param=vhr_threshold]').classList.contains('changed')",
        )
        .await;

        // The tests, by keyboard: Shift+Tab back to the views.
        b.js("document.querySelector('a[data-view=tests]').focus();")
            .await;
        b.keys(ENTER).await;
        b.ready("tests").await;
        b.tab_to("the Run the tests button", "el.id === 'run-tests'")
            .await;
        b.keys(ENTER).await;
        b.until(
            "the results",
            "document.querySelector('#test-summary [data-failed]')",
        )
        .await;

        // A case, by keyboard: a question answered with the space bar and Evaluate.
        b.js("document.querySelector('a[data-view=try]').focus();")
            .await;
        b.keys(ENTER).await;
        b.ready("try").await;
        b.tab_to(
            "the date of the assessment",
            "el.closest('[data-field=assessment_date]')",
        )
        .await;
        b.set_date("[data-field=assessment_date] input", "2024-05-01")
            .await;
        b.tab_to("question 1", "el.name === 'answer-q1'").await;
        b.keys(SPACE).await;
        let checked = b
            .js("return document.querySelector('input[name=answer-q1][value=yes]').checked;")
            .await;
        assert_eq!(checked, json!(true), "the space bar answers yes");
        b.keys("\u{E015}").await; // Arrow down: the next answer, no.
        let moved = b
            .js("return document.querySelector('input[name=answer-q1][value=no]').checked;")
            .await;
        assert_eq!(
            moved,
            json!(true),
            "the arrow keys move between yes, no and don't know"
        );
        b.js("document.getElementById('evaluate').focus();").await;
        b.keys(ENTER).await;
        let headline = b.text("[data-testid=headline]").await;
        assert_eq!(headline, "Refer to MARAC: no");

        // The editor gives the focus back: Tab leaves the text.
        b.js("document.querySelector('a[data-view=edit]').focus();")
            .await;
        b.keys(ENTER).await;
        b.ready("edit").await;
        b.js("document.querySelector('.editor-input').focus();")
            .await;
        b.keys(TAB).await;
        let left = b
            .js("return !document.activeElement.classList.contains('editor-input');")
            .await;
        assert_eq!(
            left,
            json!(true),
            "Tab moves out of the text, never traps the focus"
        );
        b.shot("keyboard").await;
        b.finish().await;
    });
}

#[test]
fn the_page_talks_only_to_its_server_and_stores_no_case_data() {
    with_bench(|b| async move {
        b.open("#/r/marac.referral/try").await;
        b.ready("try").await;
        b.set_date("[data-field=assessment_date] input", "2024-05-01")
            .await;
        b.css("input[name='answer-q1'][value='yes']")
            .await
            .click()
            .await
            .unwrap();
        b.css("#evaluate").await.click().await.unwrap();
        b.css("[data-testid=headline]").await;
        for view in ["read", "edit", "tests", "impact"] {
            b.click_link(match view {
                "read" => "Read",
                "edit" => "Edit",
                "tests" => "Tests",
                _ => "Compare and impact",
            })
            .await;
            b.ready(view).await;
        }
        b.css("#run-impact").await.click().await.unwrap();
        b.css("[data-testid=changed-count]").await;

        let origin = b.base.trim_end_matches('/').to_string();
        let requested = b
            .js("return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);")
            .await;
        let requested: Vec<&str> = requested
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(requested.len() > 10, "{requested:?}");
        for url in &requested {
            assert!(
                url.starts_with(&origin),
                "the page asked another server for {url}"
            );
        }
        let stored = b
            .js("return {local: localStorage.length, session: sessionStorage.length, cookies: document.cookie};")
            .await;
        assert_eq!(stored, json!({"local": 0, "session": 0, "cookies": ""}));
        // The browser's database list answers slowly on a busy machine; the page's files
        // never name it (a unit test in src/lib.rs holds that), so a late answer is skipped.
        let databases = b
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 setTimeout(() => done(null), 5000); \
                 if (indexedDB.databases) indexedDB.databases().then(list => done(list.length)); \
                 else done(0);",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            databases == json!(0) || databases.is_null(),
            "the page created {databases} databases"
        );
        let csp = b
            .js("return document.querySelector('meta[http-equiv=Content-Security-Policy]').content;")
            .await;
        assert!(csp.as_str().unwrap().contains("connect-src 'self'"));
        b.finish().await;
    });
}
