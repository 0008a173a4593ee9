// Compare and impact: the edited ruleset against the published version over a
// collection of cases: how many decisions change, in which direction, and for whom.

import { api } from "../api.js";
import { count, h, percent, plural, replace, uid } from "../dom.js";
import { namer } from "../explain.js";
import { showValue } from "../model.js";

const DEFAULT_GROUPS = ["ethnicity", "disability", "immigration_status", "age_band", "lgbt"];

/** "refer_marac = true" and "repeat in marac_reasons", in words. */
function measureText(measure, names) {
  let m = /^(.+?) = (.+)$/.exec(measure);
  if (m) {
    const value = m[2] === "true" ? "yes" : m[2] === "false" ? "no" : names.value(m[1], m[2]);
    return `${names.output(m[1])}: ${value}`;
  }
  m = /^(.+?) in (.+)$/.exec(measure);
  if (m) return `${names.output(m[2])} includes ${names.value(m[2], m[1])}`;
  return measure;
}

function signed(n) {
  return n > 0 ? `+${count(n)}` : count(n);
}

function points(d) {
  if (typeof d !== "number" || !Number.isFinite(d)) return "–";
  const p = d * 100;
  return `${p > 0 ? "+" : ""}${p.toFixed(1)} points`;
}

/** Group field names seen in the first lines of a file of cases. */
function groupsIn(text) {
  const found = new Set();
  const lines = text.split("\n").slice(0, 200);
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line);
      if (v && v.groups && typeof v.groups === "object") for (const k of Object.keys(v.groups)) found.add(k);
    } catch {
      // A line that is not JSON is reported by the server, with its number.
    }
  }
  return [...found];
}

export async function renderImpact(root, { session: s, app }) {
  const names = namer(s.labels, s.fields);
  const st = (s.impactForm ||= { source: "server", corpus: null, file: null, fileName: "", groups: null, extra: "" });
  let corpora = [];
  let corporaError = null;
  try {
    corpora = (await api.corpora()) || [];
  } catch (e) {
    corporaError = e.message;
  }
  if (!st.corpus && corpora.length) st.corpus = corpora[0].name;
  if (corpora.length === 0) st.source = "file";

  const results = h("div", { id: "impact-results" });
  const status = h("div", { role: "status", "aria-live": "polite", id: "impact-status" });
  const groupBox = h("div", { class: "choice-row", role: "group", "aria-labelledby": "groups-label" });
  let available = st.groups || DEFAULT_GROUPS;
  const chosen = new Set(st.chosen || DEFAULT_GROUPS.filter((g) => available.includes(g)));

  const drawGroups = () => {
    replace(
      groupBox,
      available.map((g) => {
        const box = h("input", { type: "checkbox", value: g, checked: chosen.has(g) });
        box.addEventListener("change", () => {
          if (box.checked) chosen.add(g);
          else chosen.delete(g);
          st.chosen = [...chosen];
        });
        return h("label", null, box, g.replace(/_/g, " "));
      }),
    );
  };
  drawGroups();

  const serverRadio = h("input", { type: "radio", name: "cases-from", id: "from-server", value: "server", checked: st.source === "server", disabled: corpora.length === 0 });
  const fileRadio = h("input", { type: "radio", name: "cases-from", id: "from-file", value: "file", checked: st.source === "file" });
  const corpusSelect = h(
    "select",
    { id: "corpus", "aria-label": "Collection of cases on the server" },
    corpora.map((c) => h("option", { value: c.name }, `${c.name} (${count(c.lines)} cases)`)),
  );
  if (st.corpus) corpusSelect.value = st.corpus;
  corpusSelect.addEventListener("change", () => {
    st.corpus = corpusSelect.value;
    serverRadio.checked = true;
    st.source = "server";
  });
  const fileInput = h("input", { type: "file", id: "cases-file", accept: ".jsonl,.ndjson,.json,.txt", "aria-describedby": "file-hint" });
  const fileNote = h("span", { class: "muted", id: "file-hint" }, st.fileName ? `Chosen: ${st.fileName}` : "One case a line, as JSON.");
  fileInput.addEventListener("change", async () => {
    const f = fileInput.files && fileInput.files[0];
    if (!f) return;
    st.file = await f.text();
    st.fileName = f.name;
    st.source = "file";
    fileRadio.checked = true;
    const lines = st.file.split("\n").filter((l) => l.trim()).length;
    fileNote.textContent = `Chosen: ${f.name} (${count(lines)} lines)`;
    const seen = groupsIn(st.file);
    if (seen.length) {
      available = seen;
      st.groups = seen;
      chosen.clear();
      for (const g of seen) chosen.add(g);
      st.chosen = [...chosen];
      drawGroups();
    }
  });
  serverRadio.addEventListener("change", () => (st.source = "server"));
  fileRadio.addEventListener("change", () => (st.source = "file"));
  const extra = h("input", { type: "text", id: "extra-groups", value: st.extra, "aria-describedby": "extra-hint" });
  extra.addEventListener("change", () => (st.extra = extra.value));

  const compare = async () => {
    const groups = [...chosen, ...st.extra.split(",").map((g) => g.trim()).filter(Boolean)];
    const body = { old: s.publishedRef(), new: s.body(), groups, changed_limit: 50 };
    if (st.source === "file") {
      if (!st.file) {
        replace(status, h("p", { class: "notice notice-bad", role: "alert" }, "Choose a file of cases first."));
        return;
      }
      body.cases = st.file;
    } else {
      body.corpus = corpusSelect.value;
    }
    replace(status, h("p", null, "Comparing the two versions over every case…"));
    replace(results);
    go.disabled = true;
    let report;
    try {
      report = await api.impact(body);
    } catch (e) {
      go.disabled = false;
      replace(
        status,
        h(
          "div",
          { class: "notice notice-bad", role: "alert" },
          h("p", null, "The comparison could not be made:"),
          h("ul", null, e.problems.map((p) => h("li", null, p))),
        ),
      );
      return;
    }
    go.disabled = false;
    replace(status);
    s.lastImpact = report;
    replace(results, renderReport(report, s, names, app));
    app.announce(`${count(report.changed_cases)} of ${count(report.cases)} decisions change.`);
  };
  const go = h("button", { type: "button", class: "primary", id: "run-impact", onclick: compare }, "Compare");

  const diffOut = h("div", { id: "diff-results" });
  const diffBtn = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        replace(diffOut, h("p", { role: "status" }, "Working out what changed…"));
        try {
          const d = await api.diff({ old: s.publishedRef(), new: s.body() });
          replace(diffOut, renderDiff(d, s, names, app));
        } catch (e) {
          replace(diffOut, h("div", { class: "notice notice-bad", role: "alert" }, h("ul", null, e.problems.map((p) => h("li", null, p)))));
        }
      },
    },
    "Show what changed in the rules",
  );

  const nothingChanged = !s.edited && !s.paramsChanged;
  replace(
    root,
    h(
      "p",
      { class: "lead" },
      `Compares your version with the published version ${s.version || ""} over a collection of cases: how many decisions change, in which direction, and for which groups of people.`,
    ),
    nothingChanged
      ? h("p", { class: "notice notice-warn" }, "You have not changed the text or the settings yet, so no decision will change. Change a setting in Edit first.")
      : null,
    corporaError ? h("p", { class: "notice notice-warn" }, `The server's collections of cases could not be listed: ${corporaError}.`) : null,
    h(
      "form",
      { class: "panel", onsubmit: (e) => { e.preventDefault(); compare(); }, "aria-labelledby": "impact-form-heading" },
      h("h2", { id: "impact-form-heading" }, "Cases to compare over"),
      h(
        "div",
        { class: "choice-row" },
        h("label", { for: "from-server" }, serverRadio, " A collection on the server"),
        corpusSelect,
      ),
      h(
        "div",
        { class: "choice-row" },
        h("label", { for: "from-file" }, fileRadio, " A file of cases from this computer"),
        h("label", { for: "cases-file", class: "visually-hidden" }, "File of cases (one case a line, as JSON)"),
        fileInput,
        fileNote,
      ),
      h("p", { id: "groups-label", class: "case-section-title" }, "Break the results down by"),
      groupBox,
      h(
        "div",
        { class: "choice-row" },
        h("label", { for: "extra-groups" }, "Other group fields"),
        extra,
        h("span", { class: "muted", id: "extra-hint" }, "names separated by commas"),
      ),
      h("div", { class: "toolbar" }, go, diffBtn),
    ),
    status,
    results,
    diffOut,
  );
  if (s.lastImpact) replace(results, renderReport(s.lastImpact, s, names, app));
}

function renderReport(report, s, names, app) {
  const rows = report.rows || [];
  const overall = rows.filter((r) => r.group === "all");
  const measures = overall.filter((r) => r.measure !== "changed");
  const changedRows = overall.filter((r) => r.measure === "changed");
  const moved = measures.filter((r) => r.gained || r.lost);
  const pick = h("select", { id: "group-measure" }, measures.map((r) => h("option", { value: `${r.output}\u0000${r.measure}` }, measureText(r.measure, names))));
  const preferred = moved.find((r) => /= true$/.test(r.measure)) || moved[0] || measures[0];
  if (preferred) pick.value = `${preferred.output}\u0000${preferred.measure}`;
  const byGroup = h("div", { id: "by-group" });
  const drawGroups = () => {
    const [output, measure] = pick.value.split("\u0000");
    const groupRows = rows.filter((r) => r.group !== "all" && r.output === output && r.measure === measure);
    const fields = [...new Set(groupRows.map((r) => r.group))];
    replace(
      byGroup,
      fields.length === 0 ? h("p", { class: "muted" }, "No group fields were chosen, or the cases have none.") : null,
      fields.map((g) => {
        const id = uid("grp");
        return h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "group-table", "aria-labelledby": id, "data-group": g },
            h("caption", { id, class: "case-section-title" }, `${measureText(measure, names)}, by ${g.replace(/_/g, " ")}`),
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                h("th", { scope: "col" }, g.replace(/_/g, " ")),
                h("th", { scope: "col", class: "num" }, "Cases"),
                h("th", { scope: "col", class: "num" }, "Published"),
                h("th", { scope: "col", class: "num" }, "Yours"),
                h("th", { scope: "col", class: "num" }, "Change"),
                h("th", { scope: "col", class: "num" }, "95% interval"),
                h("th", { scope: "col", class: "num" }, "Gained"),
                h("th", { scope: "col", class: "num" }, "Lost"),
              ),
            ),
            h(
              "tbody",
              null,
              groupRows
                .filter((r) => r.group === g)
                .map((r) =>
                  h(
                    "tr",
                    null,
                    h("th", { scope: "row" }, r.value),
                    h("td", { class: "num" }, count(r.cases)),
                    h("td", { class: "num" }, `${count(r.before)} (${percent(r.before_rate)})`),
                    h("td", { class: "num" }, `${count(r.after)} (${percent(r.after_rate)})`),
                    h("td", { class: "num" }, points(r.difference)),
                    h("td", { class: "num" }, Array.isArray(r.ci95) ? `${points(r.ci95[0])} to ${points(r.ci95[1])}` : "–"),
                    h("td", { class: "num" }, count(r.gained)),
                    h("td", { class: "num" }, count(r.lost)),
                  ),
                ),
            ),
          ),
        );
      }),
    );
  };
  pick.addEventListener("change", drawGroups);
  drawGroups();

  const changed = report.changed || [];
  return h(
    "section",
    { "aria-labelledby": "impact-heading" },
    h("h2", { id: "impact-heading" }, "What the change would do"),
    h(
      "p",
      { class: "big-number", "data-testid": "changed-count", "data-changed": report.changed_cases, "data-cases": report.cases },
      `${count(report.changed_cases)} of ${count(report.cases)} decisions change`,
      report.cases ? ` (${percent(report.changed_cases / report.cases)})` : "",
    ),
    report.failed
      ? h(
          "div",
          { class: "notice notice-warn" },
          h("p", null, `${plural(report.failed, "line", "lines")} could not be used:`),
          h("ul", null, (report.errors || []).map((e) => h("li", null, `line ${e.line}: ${e.message}`))),
        )
      : null,
    h("h3", null, "By outcome"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "by-outcome" },
        h("caption", { class: "visually-hidden" }, "Changed decisions by outcome"),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", { scope: "col" }, "Outcome"),
            h("th", { scope: "col", class: "num" }, "Published"),
            h("th", { scope: "col", class: "num" }, "Yours"),
            h("th", { scope: "col", class: "num" }, "Gained"),
            h("th", { scope: "col", class: "num" }, "Lost"),
          ),
        ),
        h(
          "tbody",
          null,
          changedRows.map((c) => {
            const own = measures.filter((m) => m.output === c.output);
            return [
              h(
                "tr",
                { class: "output-row" },
                h("th", { scope: "row", colspan: 5 }, `${names.output(c.output)}: ${plural(c.after, "decision changes", "decisions change")}`),
              ),
              own.map((m) =>
                h(
                  "tr",
                  { "data-measure": m.measure },
                  h("td", null, measureText(m.measure, names)),
                  h("td", { class: "num" }, `${count(m.before)} (${percent(m.before_rate)})`),
                  h("td", { class: "num" }, `${count(m.after)} (${percent(m.after_rate)})`),
                  h("td", { class: ["num", m.gained && "direction-up"] }, signed(m.gained)),
                  h("td", { class: ["num", m.lost && "direction-down"] }, m.lost ? `−${count(m.lost)}` : "0"),
                ),
              ),
            ];
          }),
        ),
      ),
    ),
    h("h3", null, "By group"),
    h("div", { class: "choice-row" }, h("label", { for: "group-measure" }, "Show"), pick),
    byGroup,
    h("h3", null, "Changed cases"),
    changed.length === 0
      ? h("p", { class: "muted" }, "No case changed.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "changed-cases" },
            h("caption", { class: "visually-hidden" }, "Cases whose decision changes"),
            h("thead", null, h("tr", null, h("th", { scope: "col" }, "Line"), h("th", { scope: "col" }, "What changes"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Open")))),
            h(
              "tbody",
              null,
              changed.map((c) => {
                const oldOut = (c.old && (c.old.outcome || c.old)) || {};
                const newOut = (c.new && (c.new.outcome || c.new)) || {};
                const diffs = Object.keys(newOut).filter((k) => JSON.stringify(oldOut[k]) !== JSON.stringify(newOut[k]));
                return h(
                  "tr",
                  null,
                  h("td", { class: "num" }, String(c.line)),
                  h(
                    "td",
                    null,
                    diffs.map((k) =>
                      h(
                        "div",
                        null,
                        `${names.output(k)}: ${showValue(oldOut[k], (x) => names.value(k, x))} → ${showValue(newOut[k], (x) => names.value(k, x))}`,
                      ),
                    ),
                  ),
                  h(
                    "td",
                    null,
                    h(
                      "button",
                      {
                        type: "button",
                        "aria-label": `Explain the case on line ${c.line}`,
                        onclick: () => openCase(s, app, c.facts || {}, oldOut, `This is the case on line ${c.line} of the cases compared. The published version decides it differently: its values are shown under yours.`),
                      },
                      "Explain",
                    ),
                  ),
                );
              }),
            ),
          ),
        ),
    report.changed_cases > changed.length && changed.length
      ? h("p", { class: "muted" }, `The first ${count(changed.length)} changed cases are listed.`)
      : null,
  );
}

function openCase(s, app, facts, oldOutcome, note) {
  for (const k of Object.keys(s.caseValues)) delete s.caseValues[k];
  Object.assign(s.caseValues, facts);
  s.compareWith = { outcome: oldOutcome, note };
  s.autoEvaluate = true;
  app.go("try", s.id);
}

function renderDiff(d, s, names, app) {
  const structural = d.structural || {};
  const lines = [];
  for (const [part, list] of Object.entries(structural)) {
    for (const c of list || []) {
      const what = c.name ? `${part.replace(/s$/, "")} ${c.name}` : part;
      const change = c.before !== undefined || c.after !== undefined ? `: ${c.before ?? "—"} → ${c.after ?? "—"}` : "";
      lines.push(`${c.kind || "changed"} ${what}${c.aspect ? ` (${c.aspect})` : ""}${change}`);
    }
  }
  const outputs = (d.behavioural && d.behavioural.outputs) || [];
  return h(
    "section",
    { "aria-labelledby": "diff-heading" },
    h("h2", { id: "diff-heading" }, "What changed in the rules"),
    lines.length ? h("ul", null, lines.map((l) => h("li", null, l))) : h("p", { class: "muted" }, "The text of the rules is the same."),
    h("h3", null, "Which answers now lead to a different outcome"),
    h(
      "ul",
      null,
      outputs.map((o) => {
        const v = o.verdict || {};
        const same = v.kind === "equivalent";
        return h(
          "li",
          null,
          h("strong", null, names.output(o.output)),
          same ? ": the same for every case." : ": different for some cases.",
          !same && Array.isArray(v.summary) ? h("ul", null, v.summary.map((t) => h("li", null, t))) : null,
          !same && Array.isArray(v.examples) && v.examples.length
            ? h(
                "p",
                null,
                h(
                  "button",
                  {
                    type: "button",
                    onclick: () => openCase(s, app, v.examples[0].facts || {}, { [o.output]: v.examples[0].old }),
                  },
                  `Try an example case for ${names.output(o.output)}`,
                ),
              )
            : null,
        );
      }),
    ),
  );
}
