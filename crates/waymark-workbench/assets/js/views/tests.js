// Tests: runs the ruleset's own worked cases and lists each one, passed or failed, with
// the expected and actual values.

import { api } from "../api.js";
import { h, plural, replace } from "../dom.js";
import { namer, renderDecision } from "../explain.js";
import { showValue } from "../model.js";

/** The test outcomes from `/v1/test`'s report, whatever its nesting. */
function testsOf(res) {
  const report = res && res.report;
  if (report && Array.isArray(report.tests)) return report.tests;
  if (report && Array.isArray(report.files)) return report.files.flatMap((f) => (f.report && f.report.tests) || []);
  if (Array.isArray(report)) return report.flatMap((r) => (r && r.tests) || (r && r.report && r.report.tests) || []);
  if (res && Array.isArray(res.tests)) return res.tests;
  return [];
}

function failuresOf(t) {
  return (t.failures || []).map((f) =>
    Array.isArray(f) ? { output: f[0], expected: f[1], actual: f[2] } : { output: f.output, expected: f.expected, actual: f.actual },
  );
}

export async function renderTests(root, { session: s, app, onCleanup }) {
  const names = namer(s.labels, s.fields);
  const summary = h("div", { id: "test-summary", role: "status", "aria-live": "polite" });
  const list = h("div", { id: "test-results" });
  const run = h("button", { type: "button", class: "primary", id: "run-tests", onclick: () => go() }, "Run the tests");
  let seq = 0;

  const go = async () => {
    const mine = ++seq;
    run.disabled = true;
    replace(summary, "Running the tests…");
    let res;
    try {
      res = await api.test(s.body());
    } catch (e) {
      if (mine !== seq) return;
      run.disabled = false;
      replace(summary);
      replace(
        list,
        h(
          "div",
          { class: "notice notice-bad", role: "alert" },
          h("p", null, "The tests cannot run until the problems in the text are fixed:"),
          h("ul", null, e.problems.map((p) => h("li", null, p))),
          h("p", null, h("a", { href: `#/r/${encodeURIComponent(s.id)}/edit` }, "Go to the text")),
        ),
      );
      return;
    }
    if (mine !== seq) return;
    run.disabled = false;
    const tests = testsOf(res);
    const failed = tests.filter((t) => !t.passed);
    const passed = tests.length - failed.length;
    const settings = Object.entries(s.params);
    replace(
      summary,
      h(
        "p",
        { class: failed.length ? "notice notice-bad" : "notice", "data-failed": failed.length, "data-passed": passed },
        h("strong", null, `${plural(tests.length, "test", "tests")}: ${passed} passed, ${failed.length} failed.`),
        settings.length
          ? ` With your changed settings (${settings.map(([n, v]) => `${n} = ${v}`).join(", ")}); a test that sets a value itself keeps its own.`
          : "",
      ),
    );
    const ordered = [...failed, ...tests.filter((t) => t.passed)];
    replace(
      list,
      h(
        "ul",
        { class: "test-list", "aria-label": "Test results, failed first" },
        ordered.map((t) => {
          const fails = failuresOf(t);
          return h(
            "li",
            { class: "test-item", "data-passed": t.passed ? "true" : "false" },
            h("span", { class: ["badge", t.passed ? "badge-pass" : "badge-fail"] }, t.passed ? "✓ Passed" : "✕ Failed"),
            h("span", { class: "test-name" }, t.name),
            t.line
              ? h(
                  "span",
                  { class: "muted" },
                  " — ",
                  h(
                    "button",
                    {
                      type: "button",
                      class: "link",
                      "aria-label": `Show the test “${t.name}” in the text, line ${t.line}`,
                      onclick: () => {
                        app.go("edit", s.id);
                        setTimeout(() => s.editor && s.editor.goTo(t.line, 1), 50);
                      },
                    },
                    `line ${t.line}`,
                  ),
                )
              : null,
            fails.length
              ? h(
                  "div",
                  { class: "table-wrap" },
                  h(
                    "table",
                    { class: "test-failures" },
                    h("caption", { class: "visually-hidden" }, `What differed in “${t.name}”`),
                    h("thead", null, h("tr", null, h("th", { scope: "col" }, "Outcome"), h("th", { scope: "col" }, "Expected"), h("th", { scope: "col" }, "Actual"))),
                    h(
                      "tbody",
                      null,
                      fails.map((f) =>
                        h(
                          "tr",
                          null,
                          h("td", null, names.output(f.output)),
                          h("td", null, showValue(f.expected, (x) => names.value(f.output, x))),
                          h("td", null, showValue(f.actual, (x) => names.value(f.output, x))),
                        ),
                      ),
                    ),
                  ),
                )
              : null,
            t.explanation
              ? h("details", null, h("summary", null, "Why it came out this way"),
                renderDecision(
                  {
                    outcome: t.explanation.outcome || Object.fromEntries(fails.map((f) => [f.output, f.actual])),
                    explanation: t.explanation.explanation || t.explanation,
                  },
                  names,
                ),
              )
              : null,
          );
        }),
      ),
    );
    app.announce(`${tests.length} tests: ${passed} passed, ${failed.length} failed.`);
  };

  replace(
    root,
    h(
      "p",
      { class: "lead" },
      "The worked cases written in the ruleset, each with the outcome it must give. They run against the text as you edited it, with your settings.",
    ),
    h("div", { class: "toolbar" }, run),
    summary,
    list,
  );
  onCleanup(s.on((what) => (what === "params" || what === "source") && go()));
  await go();
}
