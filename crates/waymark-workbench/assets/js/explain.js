// A decision shown to people: the outcome first, then why, why not, and the next
// questions to ask.

import { h } from "./dom.js";
import { humanName, showValue } from "./model.js";

const OPS = {
  ">=": (v) => `at least ${v}`,
  ">": (v) => `more than ${v}`,
  "<=": (v) => `at most ${v}`,
  "<": (v) => `less than ${v}`,
  "=": (v) => `exactly ${v}`,
  "!=": (v) => `anything but ${v}`,
};

/** Helpers for labels: `labels` from model.labelsOf. */
export function namer(labels, fields = []) {
  const fieldLabels = new Map(fields.map((f) => [f.name, f.label]));
  const order = [...labels.outputs.keys()];
  return {
    /** Output names in the order the ruleset declares them. */
    sort: (names) =>
      [...names].sort((a, b) => {
        const ia = order.indexOf(a);
        const ib = order.indexOf(b);
        return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib);
      }),
    output: (name) => labels.outputs.get(name)?.label || humanName(name),
    input: (name) => fieldLabels.get(name) || labels.inputs.get(name)?.label || humanName(name),
    value: (output, v) => labels.values.get(`${output}:${v}`) || (typeof v === "string" ? v.replace(/_/g, " ") : v),
  };
}

/** One line for a nearest miss: "Yes answers: 13 of the 14 needed". */
export function missText(miss, names) {
  const subject = miss.subject ? names.output(miss.subject) : "";
  const needs = miss.needs || {};
  const target = needs.value;
  const value = miss.value;
  if (typeof value === "number" && typeof target === "number" && (needs.op === ">=" || needs.op === ">")) {
    const needed = needs.op === ">" ? target + 1 : target;
    return `${subject}: ${value} of the ${needed} needed`;
  }
  if (needs.op && OPS[needs.op] && target !== undefined) {
    return `${subject} is ${showValue(value)}; the rule needs ${OPS[needs.op](showValue(target))}`;
  }
  return miss.text || "";
}

function sources(list) {
  if (!Array.isArray(list) || list.length === 0) return null;
  return h(
    "ul",
    { class: "cite" },
    list.map((s) =>
      h(
        "li",
        null,
        h("strong", null, s.key || ""),
        s.key ? " " : "",
        s.citation || "",
        s.link && /^https?:\/\//.test(s.link)
          ? [" ", h("a", { href: s.link, rel: "noopener noreferrer", target: "_blank" }, "(source)")]
          : null,
      ),
    ),
  );
}

/**
 * The whole decision. `opts.onQuestion(name)`: called when a next question is chosen.
 * `opts.before`: the decision of the published version, shown beside the outcome.
 */
export function renderDecision(decision, names, opts = {}) {
  const outcome = decision.outcome || {};
  const explanation = decision.explanation || {};
  const root = h("div", { class: "decision explain" });
  root.appendChild(h("h2", { id: "outcome-heading" }, "Outcome"));
  const headline = headlineOf(outcome, names);
  if (headline) root.appendChild(h("p", { class: "headline", "data-testid": "headline" }, headline));
  const before = opts.before && opts.before.outcome;
  if (before) {
    root.appendChild(
      h("p", { class: "notice notice-warn" }, opts.before.note || "The published version decides this case differently: its values are shown under yours."),
    );
  }
  root.appendChild(
    h(
      "dl",
      { class: "outcome-list", "data-testid": "outcome" },
      names.sort(Object.keys(outcome)).map((name) => [outcome[name], name]).map(([v, name]) => [
        h("dt", null, names.output(name)),
        h(
          "dd",
          { "data-output": name },
          showValue(v, (x) => names.value(name, x)),
          before && JSON.stringify(before[name]) !== JSON.stringify(v)
            ? h(
                "span",
                { class: "compare-old muted" },
                `published version: ${showValue(before[name], (x) => names.value(name, x))}`,
              )
            : null,
        ),
      ]),
    ),
  );

  const outputs = explanation.outputs || {};
  const why = [];
  for (const name of names.sort(Object.keys(outputs))) {
    const info = outputs[name];
    const because = (info && info.because) || [];
    const waiting = info && info.undetermined && info.undetermined.waiting_for;
    if (because.length === 0 && !waiting) continue;
    why.push(
      h(
        "li",
        null,
        h("strong", null, `${names.output(name)}: ${showValue(outcome[name], (x) => names.value(name, x))}`),
        because.length
          ? h(
              "ul",
              null,
              because.map((b) =>
                h("li", null, "because ", h("span", { class: "rule-label" }, b.label || b.rule || ""), sources(b.sources)),
              ),
            )
          : null,
        waiting && waiting.length
          ? h("p", null, `Not yet decided: waiting for ${waiting.map((w) => names.input(w)).join(", ")}.`)
          : null,
      ),
    );
  }
  if (decision.explanation) {
    root.appendChild(h("h2", null, "Why"));
    root.appendChild(
      why.length
        ? h("ul", { "data-testid": "why" }, why)
        : h("p", { class: "muted" }, "No rule applied: every outcome has its usual value."),
    );
    const misses = explanation.nearest_misses || [];
    root.appendChild(h("h2", null, "Why not"));
    root.appendChild(
      misses.length
        ? h(
            "ul",
            { "data-testid": "why-not" },
            misses.map((m) =>
              h("li", null, h("strong", null, missText(m, names)), h("br"), h("span", { class: "muted" }, `for “${m.label || m.rule}”`)),
            ),
          )
        : h("p", { class: "muted" }, "No rule came close."),
    );
    const next = explanation.next_questions || [];
    root.appendChild(h("h2", null, "Next questions to ask"));
    root.appendChild(
      next.length
        ? h(
            "ul",
            { "data-testid": "next-questions" },
            next.map((q) =>
              h(
                "li",
                null,
                opts.onQuestion
                  ? h("button", { type: "button", class: "link", onclick: () => opts.onQuestion(q.input) }, q.label || names.input(q.input))
                  : h("span", null, q.label || names.input(q.input)),
                q.could_change && q.could_change.length
                  ? h("span", { class: "muted" }, ` — could change ${q.could_change.map((o) => names.output(o)).join(", ")}`)
                  : null,
              ),
            ),
          )
        : h("p", { class: "muted" }, "None: no unanswered question could change the outcome."),
    );
  }
  return root;
}

/** The first yes/no outcome that is yes, in words ("Refer to MARAC: yes"), if any. */
function headlineOf(outcome, names) {
  const bools = Object.entries(outcome).filter(([, v]) => typeof v === "boolean");
  if (bools.length === 0) return null;
  const [name, v] = bools.find(([, x]) => x === true) || bools[0];
  return `${names.output(name)}: ${v ? "yes" : "no"}`;
}
