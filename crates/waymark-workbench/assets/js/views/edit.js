// Edit: the text of the ruleset, checked as you type, and a form for the settings an
// agency may change without touching the text.

import { api } from "../api.js";
import { h, replace, uid } from "../dom.js";
import { Editor } from "../editor.js";

function editorOf(s, app) {
  if (!s.editor) {
    s.editor = new Editor({
      label: `Text of the ruleset ${s.id}`,
      describedBy: "check-status editor-help",
      onInput: (text) => s.setSource(text),
    });
    s.editor.setValue(s.source);
    s.editor.setDiagnostics(s.diagnostics.filter((d) => s.isOwnFile(d)));
    s.on((what) => {
      if (what === "check") s.editor.setDiagnostics(s.diagnostics.filter((d) => s.isOwnFile(d)));
      if (what === "source" && s.editor.value !== s.source) s.editor.setValue(s.source);
    });
    s.app = app;
  }
  return s.editor;
}

function statusOf(s) {
  const errors = s.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = s.diagnostics.length - errors;
  switch (s.check.state) {
    case "checking":
      return { text: "Checking…", cls: "status" };
    case "failed":
      return { text: `The text could not be checked: ${s.check.message}`, cls: "status status-bad" };
    case "errors":
    case "ok": {
      if (errors === 0 && warnings === 0) return { text: "No problems found.", cls: "status status-ok" };
      const parts = [];
      if (errors) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
      if (warnings) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
      return { text: `${parts.join(" and ")} found.`, cls: errors ? "status status-bad" : "status" };
    }
    default:
      return { text: "", cls: "status" };
  }
}

function problemList(s, editor) {
  if (s.diagnostics.length === 0) return null;
  return h(
    "ul",
    { class: "problems", "aria-label": "Problems in the text" },
    s.diagnostics.map((d) => {
      const own = s.isOwnFile(d);
      const sev = d.severity === "error" ? "error" : "warning";
      const where = own ? `Line ${d.line}, column ${d.column}` : `${d.file}, line ${d.line}`;
      const text = [`${where}: ${d.message}`, d.help ? ` (${d.help})` : "", d.code ? ` [${d.code}]` : ""].join("");
      return h(
        "li",
        { "data-line": d.line, "data-severity": sev },
        h("span", { class: `sev sev-${sev}` }, sev === "error" ? "Error" : "Warning"),
        own ? h("button", { type: "button", class: "link", onclick: () => editor.goTo(d.line, d.column) }, text) : h("span", null, text),
      );
    }),
  );
}

function paramControl(s, p, onChange) {
  const id = uid("param");
  const hintId = `${id}-hint`;
  const current = Object.prototype.hasOwnProperty.call(s.params, p.name) ? s.params[p.name] : p.default;
  const error = h("div", { class: "param-error", role: "alert", id: `${id}-error` });
  const range =
    p.min !== null || p.max !== null
      ? p.min !== null && p.max !== null
        ? `allowed ${p.min} to ${p.max}`
        : p.min !== null
          ? `at least ${p.min}`
          : `at most ${p.max}`
      : null;
  const showDefault = p.default === true ? "yes" : p.default === false ? "no" : p.default;
  const hint = h(
    "div",
    { class: "hint", id: hintId },
    [`Default ${showDefault}`, range].filter(Boolean).join(", "),
    ". ",
    h("span", { class: "code-name" }, p.name),
  );
  let control;
  const chip = h("span", { class: "chip chip-edited" }, "changed");
  const row = h("div", { class: "param", "data-param": p.name });
  const mark = () => {
    const changed = Object.prototype.hasOwnProperty.call(s.params, p.name);
    row.classList.toggle("changed", changed);
    chip.hidden = !changed;
  };
  const commit = (value) => {
    error.textContent = "";
    s.setParam(p.name, value);
    mark();
    onChange();
  };
  if (p.type === "bool") {
    control = h("select", { id, "aria-describedby": hintId, name: p.name }, h("option", { value: "true" }, "yes"), h("option", { value: "false" }, "no"));
    control.value = current ? "true" : "false";
    control.addEventListener("change", () => commit(control.value === "true"));
  } else if (p.type === "enum" && p.values.length) {
    control = h(
      "select",
      { id, "aria-describedby": hintId, name: p.name },
      p.values.map((v) => h("option", { value: v.name }, v.label)),
    );
    control.value = current;
    control.addEventListener("change", () => commit(control.value));
  } else if (p.type === "int" || p.type === "number") {
    control = h("input", {
      id,
      type: "number",
      name: p.name,
      "aria-describedby": `${hintId} ${id}-error`,
      min: p.min,
      max: p.max,
      step: p.type === "int" ? "1" : "any",
      value: current,
      placeholder: p.default,
      inputmode: p.type === "int" ? "numeric" : "decimal",
    });
    control.addEventListener("change", () => {
      const raw = control.value.trim();
      if (raw === "") {
        // An empty field means the default.
        commit(undefined);
        return;
      }
      const n = Number(raw);
      if (!Number.isFinite(n) || (p.type === "int" && !Number.isInteger(n))) {
        error.textContent = p.type === "int" ? "Give a whole number." : "Give a number.";
        return;
      }
      if ((p.min !== null && n < p.min) || (p.max !== null && n > p.max)) {
        error.textContent = `Give a number from ${p.min ?? "any"} to ${p.max ?? "any"}.`;
        return;
      }
      commit(n);
    });
  } else {
    control = h("input", { id, type: p.type === "date" ? "date" : "text", name: p.name, "aria-describedby": hintId, value: current ?? "" });
    control.addEventListener("change", () => commit(control.value === "" ? undefined : control.value));
  }
  replace(row, h("label", { for: id }, p.label), hint, h("div", { class: "param-row" }, control, chip), error);
  mark();
  return row;
}

function paramsPanel(s) {
  const panel = h("section", { class: "panel", "aria-labelledby": "params-heading" });
  const reset = h(
    "button",
    {
      type: "button",
      onclick: () => {
        s.resetParams();
        draw();
        const first = panel.querySelector("input, select");
        if (first) first.focus();
      },
    },
    "Put every setting back to its default",
  );
  const showReset = () => {
    reset.hidden = !s.paramsChanged;
  };
  const draw = () => {
    replace(
      panel,
      h("h2", { id: "params-heading" }, "Settings"),
      h(
        "p",
        { class: "muted" },
        "Settings an agency may change without editing the rules. A change here applies to the checks, the tests, the cases you try and the comparison, but not to the text.",
      ),
      s.paramList.length
        ? h("form", { class: "params", onsubmit: (e) => e.preventDefault(), "aria-label": "Settings" }, s.paramList.map((p) => paramControl(s, p, showReset)))
        : h("p", null, "This ruleset has no settings."),
      reset,
    );
    showReset();
  };
  draw();
  return panel;
}

export async function renderEdit(root, { session: s, app, onCleanup }) {
  const editor = editorOf(s, app);
  const status = h("span", { id: "check-status", class: "status", role: "status", "aria-live": "polite" });
  const problems = h("div", { id: "problems" });
  const formatMsg = h("span", { class: "status", role: "status" });
  const update = () => {
    const st = statusOf(s);
    status.textContent = st.text;
    status.className = st.cls;
    replace(problems, problemList(s, editor));
    revert.disabled = !s.edited;
  };
  const format = h(
    "button",
    {
      type: "button",
      id: "format",
      onclick: async () => {
        formatMsg.textContent = "Laying out the text…";
        try {
          const res = await api.format(s.body());
          const formatted = res && typeof res.formatted === "string" ? res.formatted : null;
          if (formatted === null) throw new Error("the server sent no text back");
          if (formatted === s.source) {
            formatMsg.textContent = "The text already has the standard layout.";
          } else {
            editor.textarea.focus();
            editor.replaceAll(formatted);
            formatMsg.textContent = "Laid out in the standard way. Ctrl+Z puts the old layout back.";
          }
        } catch (e) {
          formatMsg.textContent = `The text cannot be laid out until its errors are fixed (${e.problems ? e.problems.length : 1} found).`;
        }
      },
    },
    "Format",
  );
  const revert = h(
    "button",
    {
      type: "button",
      id: "undo-edits",
      onclick: () => {
        editor.textarea.focus();
        editor.replaceAll(s.published.source);
        app.announce("Your edits were undone: the text is the published one again. Ctrl+Z brings them back.");
      },
    },
    "Undo all edits",
  );
  const inline = h("input", { type: "checkbox", id: "show-inline", checked: editor.showInline });
  inline.addEventListener("change", () => editor.setShowInline(inline.checked));
  replace(
    root,
    h(
      "div",
      { class: "split split-wide-left" },
      h(
        "section",
        { class: "pane", "aria-labelledby": "edit-heading" },
        h("h2", { id: "edit-heading", class: "visually-hidden" }, "The text"),
        h(
          "div",
          { class: "toolbar" },
          format,
          revert,
          h("label", { class: "choice-row" }, inline, "Show messages in the text"),
          status,
          formatMsg,
        ),
        editor.root,
        h(
          "p",
          { id: "editor-help", class: "muted" },
          "The text is checked as you type. A mark beside a line number shows a problem on that line; the list below the text says what is wrong. Ctrl+Z also takes back Format and Undo all edits. Tab moves to the next control; indent with spaces.",
        ),
        problems,
      ),
      h("div", { class: "pane" }, paramsPanel(s)),
    ),
  );
  editor.render();
  update();
  onCleanup(s.on((what) => (what === "check" || what === "source") && update()));
}
