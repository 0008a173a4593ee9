// Try a case: a form made from the ruleset's questions, and the decision with its
// reasons. The answers stay in this page's memory only.

import { api } from "../api.js";
import { h, replace, uid } from "../dom.js";
import { namer, renderDecision } from "../explain.js";
import { insertTest, showValue, testBlock } from "../model.js";

const ANSWERS = [
  ["yes", "Yes"],
  ["no", "No"],
  ["unknown", "Don't know"],
];

function valueLabel(f, v) {
  return (f.valueLabels && f.valueLabels[v]) || String(v).replace(/_/g, " ");
}

function isChecklist(f) {
  return f.kind === "answer" && /^[A-Za-z_]+\d+$/.test(f.name);
}

function answerField(f, values, onChange) {
  const legendId = uid("q");
  const numbered = isChecklist(f);
  return h(
    "fieldset",
    { class: "question", "data-field": f.name, role: "radiogroup", "aria-labelledby": legendId },
    h("legend", { id: legendId }, numbered ? h("span", { class: "q-name", "aria-hidden": "true" }, f.name) : null, f.label),
    h(
      "div",
      { class: "choices" },
      ANSWERS.map(([value, text]) => {
        const input = h("input", { type: "radio", name: `answer-${f.name}`, value, checked: values[f.name] === value });
        input.addEventListener("change", () => {
          values[f.name] = value;
          onChange();
        });
        return h("label", { class: "choice" }, input, text);
      }),
    ),
  );
}

function scalarInput(kind, f, value, id, describedBy) {
  if (kind === "bool") {
    const sel = h(
      "select",
      { id, "aria-describedby": describedBy },
      h("option", { value: "" }, "Not recorded"),
      h("option", { value: "true" }, "Yes"),
      h("option", { value: "false" }, "No"),
    );
    sel.value = value === true ? "true" : value === false ? "false" : "";
    return sel;
  }
  if (kind === "enum") {
    const sel = h(
      "select",
      { id, "aria-describedby": describedBy },
      h("option", { value: "" }, "Not recorded"),
      (f.values || []).map((v) => h("option", { value: v }, valueLabel(f, v))),
    );
    sel.value = value ?? "";
    return sel;
  }
  if (kind === "int" || kind === "number") {
    return h("input", {
      id,
      type: "number",
      "aria-describedby": describedBy,
      min: f.min,
      max: f.max,
      step: kind === "int" ? "1" : "any",
      inputmode: kind === "int" ? "numeric" : "decimal",
      value: value ?? "",
    });
  }
  if (kind === "date") return h("input", { id, type: "date", "aria-describedby": describedBy, value: value ?? "" });
  return h("input", { id, type: "text", "aria-describedby": describedBy, value: value ?? "" });
}

function readScalar(kind, el) {
  const raw = el.value.trim();
  if (raw === "") return undefined;
  if (kind === "bool") return raw === "true";
  if (kind === "int") return Number.isInteger(Number(raw)) ? Number(raw) : raw;
  if (kind === "number") return raw;
  return raw;
}

function hintOf(f) {
  const parts = [];
  if (f.required) parts.push("Needed");
  if (f.min !== null && f.min !== undefined && f.max !== null && f.max !== undefined) parts.push(`from ${f.min} to ${f.max}`);
  else if (f.min !== null && f.min !== undefined) parts.push(`at least ${f.min}`);
  return parts.join(", ");
}

function otherField(f, values, onChange) {
  const id = uid("f");
  const hintId = `${id}-hint`;
  const hint = hintOf(f);
  let control;
  if (f.kind === "list") {
    control = listWidget(f, values, onChange, id);
  } else if (f.kind === "set") {
    const chosen = new Set(values[f.name] || []);
    control = h(
      "div",
      { class: "checks", role: "group", "aria-labelledby": `${id}-label` },
      (f.values || []).map((v) => {
        const box = h("input", { type: "checkbox", value: v, checked: chosen.has(v) });
        box.addEventListener("change", () => {
          if (box.checked) chosen.add(v);
          else chosen.delete(v);
          values[f.name] = chosen.size ? [...chosen] : undefined;
          onChange();
        });
        return h("label", null, box, valueLabel(f, v));
      }),
    );
  } else {
    control = scalarInput(f.kind, f, values[f.name], id, hint ? hintId : null);
    control.addEventListener("change", () => {
      values[f.name] = readScalar(f.kind, control);
      onChange();
    });
  }
  const labelEl =
    f.kind === "list" || f.kind === "set"
      ? h("span", { id: `${id}-label`, class: "field-label" }, f.label)
      : h("label", { for: id, id: `${id}-label` }, f.label);
  return h(
    "div",
    { class: "field", "data-field": f.name },
    labelEl,
    control,
    hint ? h("div", { class: "hint", id: hintId }, hint) : null,
  );
}

function listWidget(f, values, onChange, id) {
  const root = h("div", { class: "list-widget", role: "group", "aria-labelledby": `${id}-label` });
  const item = f.item || { kind: "text" };
  const draw = (focusLast) => {
    const list = values[f.name] || [];
    const rows = list.map((v, k) => {
      const inputId = uid("li");
      const input = scalarInput(item.kind, item, v, inputId, null);
      input.setAttribute("aria-label", `${f.label}: ${k + 1}`);
      input.addEventListener("change", () => {
        const next = [...(values[f.name] || [])];
        next[k] = readScalar(item.kind, input);
        values[f.name] = next;
        onChange();
      });
      const remove = h(
        "button",
        {
          type: "button",
          "aria-label": `Remove ${item.kind === "date" ? "date" : "entry"} ${k + 1} of ${f.label}`,
          onclick: () => {
            const next = [...(values[f.name] || [])];
            next.splice(k, 1);
            values[f.name] = next.length ? next : undefined;
            onChange();
            draw(false);
            add.focus();
          },
        },
        "Remove",
      );
      return h("div", { class: "list-item" }, input, remove);
    });
    const add = h(
      "button",
      {
        type: "button",
        onclick: () => {
          values[f.name] = [...(values[f.name] || []), item.kind === "date" ? "" : undefined].map((x) => (x === undefined ? "" : x));
          draw(true);
        },
        "aria-label": `Add ${item.kind === "date" ? "a date" : "an entry"} to ${f.label}`,
      },
      item.kind === "date" ? "Add a date" : "Add",
    );
    replace(root, rows, add);
    if (focusLast) {
      const inputs = root.querySelectorAll("input, select");
      if (inputs.length) inputs[inputs.length - 1].focus();
    }
  };
  draw(false);
  return root;
}

/** The facts to send: answered questions and recorded values only. */
function factsOf(fields, values) {
  const facts = {};
  for (const f of fields) {
    const v = values[f.name];
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) {
      const items = v.filter((x) => x !== "" && x !== undefined && x !== null);
      if (f.kind === "list" || items.length) facts[f.name] = items;
      continue;
    }
    facts[f.name] = v;
  }
  return facts;
}

function factProblems(e, fields) {
  const labels = new Map(fields.map((f) => [f.name, f.label]));
  const errors = e.body && Array.isArray(e.body.errors) ? e.body.errors : null;
  if (!errors) return e.problems;
  return errors.map((x) => {
    const label = x.input && labels.get(x.input);
    if (label && x.kind === "missing") return `“${label}” is needed.`;
    return label ? `“${label}”: ${x.message}` : x.message || String(x);
  });
}

export async function renderTry(root, { session: s, app }) {
  const values = s.caseValues;
  const names = namer(s.labels, s.fields);
  const result = h("div", { id: "result", "aria-live": "polite" });
  const problems = h("div", { id: "case-problems" });
  const about = s.fields.filter((f) => !isChecklist(f));
  const checklist = s.fields.filter(isChecklist);
  const answered = h("span", { class: "muted", "aria-live": "polite" });
  const countAnswers = () => {
    const yes = checklist.filter((f) => values[f.name] === "yes").length;
    const no = checklist.filter((f) => values[f.name] === "no").length;
    const dk = checklist.filter((f) => values[f.name] === "unknown").length;
    answered.textContent = `${yes} yes, ${no} no, ${dk} don't know, ${checklist.length - yes - no - dk} not asked`;
  };
  const changed = () => countAnswers();
  const form = h("form", { class: "case-form", "aria-labelledby": "case-heading", novalidate: true });
  const drawForm = () => {
    replace(
      form,
      about.length
        ? h(
            "fieldset",
            { class: "case-section" },
            h("legend", null, "About the case"),
            about.map((f) => (f.kind === "answer" ? answerField(f, values, changed) : otherField(f, values, changed))),
          )
        : null,
      checklist.length
        ? h(
            "fieldset",
            { class: "case-section" },
            h("legend", null, "Checklist questions"),
            h("p", { class: "muted" }, "A question left unanswered counts as don't know. ", answered),
            checklist.map((f) => answerField(f, values, changed)),
          )
        : null,
    );
    countAnswers();
  };
  drawForm();

  const evaluate = async () => {
    replace(problems);
    replace(result, h("p", { role: "status" }, "Working out the decision…"));
    const facts = factsOf(s.fields, values);
    const useEdited = s.edited || s.paramsChanged;
    let decision;
    let note = null;
    try {
      if (useEdited && s.check.state === "errors") {
        note = "Your edited text has errors, so this case was decided by the published version.";
        decision = await api.evaluatePublished(s.id, { facts, explain: true, ...(s.explicitVersion ? { version: s.version } : {}) });
      } else if (useEdited) {
        decision = await api.evaluate(s.body({ facts, explain: true }));
      } else {
        decision = await api.evaluatePublished(s.id, { facts, explain: true, ...(s.explicitVersion ? { version: s.version } : {}) });
      }
    } catch (e) {
      replace(result);
      replace(
        problems,
        h(
          "div",
          { class: "notice notice-bad", role: "alert" },
          h("p", null, "The case cannot be decided yet:"),
          h("ul", null, factProblems(e, s.fields).map((p) => h("li", null, p))),
        ),
      );
      return;
    }
    s.lastDecision = { facts, decision, params: { ...s.params } };
    const before = s.compareWith || null;
    s.compareWith = null;
    const view = renderDecision(decision, names, {
      before,
      onQuestion: (name) => {
        const el = form.querySelector(`[data-field="${CSS.escape(name)}"] input, [data-field="${CSS.escape(name)}"] select`);
        if (el) {
          el.scrollIntoView({ block: "center" });
          el.focus();
        }
      },
    });
    const nameInput = h("input", { type: "text", id: "test-name", value: defaultTestName(decision, names) });
    const saved = h("span", { class: "status", role: "status" });
    const save = h(
      "button",
      {
        type: "button",
        onclick: () => {
          const name = nameInput.value.trim() || "a case tried in the workbench";
          const kinds = new Map();
          for (const [n, o] of s.labels.outputs) {
            if (/^set\b/.test(o.type)) kinds.set(n, "set");
            else if (/^list\b/.test(o.type)) kinds.set(n, "list");
            else if (o.type === "text") kinds.set(n, "text");
            else if (o.type === "number") kinds.set(n, "number");
          }
          const block = testBlock(name, facts, s.fields, decision.outcome, kinds, s.params);
          const { text, at } = insertTest(s.source, block);
          s.setSource(text);
          const line = text.slice(0, at).split("\n").length;
          replace(saved, `Saved as a test at line ${line}. `, h("a", { href: `#/r/${encodeURIComponent(s.id)}/tests` }, "Run the tests"), " or ", h("a", { href: `#/r/${encodeURIComponent(s.id)}/edit` }, "see it in the text"), ".");
          app.announce(`Saved as a test at line ${line}.`);
        },
      },
      "Save as test",
    );
    replace(
      result,
      note ? h("p", { class: "notice notice-warn" }, note) : null,
      useEdited && !note ? h("p", { class: "muted" }, "Decided by your edited version", s.paramsChanged ? ", with your changed settings." : ".") : null,
      view,
      h(
        "div",
        { class: "panel save-test" },
        h("label", { for: "test-name" }, "Name of the test"),
        nameInput,
        save,
        saved,
      ),
    );
    const headline = decision.outcome ? Object.entries(decision.outcome).map(([n, v]) => `${names.output(n)}: ${showValue(v, (x) => names.value(n, x))}`).join("; ") : "";
    app.announce(`Decision: ${headline}`);
  };

  const allNo = h(
    "button",
    {
      type: "button",
      onclick: () => {
        for (const f of checklist) if (!values[f.name]) values[f.name] = "no";
        drawForm();
      },
    },
    "Answer the rest No",
  );
  const clear = h(
    "button",
    {
      type: "button",
      onclick: () => {
        for (const k of Object.keys(values)) delete values[k];
        drawForm();
        replace(result);
        replace(problems);
      },
    },
    "Clear the form",
  );
  const go = h("button", { type: "button", class: "primary", id: "evaluate", onclick: evaluate }, "Evaluate");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    evaluate();
  });
  replace(
    root,
    h(
      "div",
      { class: "split" },
      h(
        "section",
        { class: "pane", "aria-labelledby": "case-heading" },
        h("h2", { id: "case-heading" }, "The case"),
        h("p", { class: "muted" }, "Fictional cases only. What you enter stays in this page and is sent only to this Waymark server to be decided."),
        h("div", { class: "toolbar" }, go, allNo, clear),
        problems,
        form,
        h("div", { class: "toolbar" }, h("button", { type: "button", class: "primary", onclick: evaluate }, "Evaluate this case")),
      ),
      h("section", { class: "pane sticky", "aria-label": "The decision" }, result),
    ),
  );
  if (s.autoEvaluate) {
    s.autoEvaluate = false;
    await evaluate();
  }
}

function defaultTestName(decision, names) {
  const outcome = decision.outcome || {};
  const parts = Object.entries(outcome)
    .slice(0, 3)
    .map(([n, v]) => `${names.output(n).toLowerCase()} ${showValue(v, (x) => names.value(n, x))}`);
  return `tried in the workbench: ${parts.join(", ")}`;
}
