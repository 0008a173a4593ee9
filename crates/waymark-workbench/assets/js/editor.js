// The ruleset editor: a plain text area over a coloured copy of its text, with line
// numbers, a marker beside each line that has a problem, and the problem's message just
// under that line.
//
// The text area does the typing, selection, undo and keyboard work; the coloured copy
// behind it only shows. Tab moves to the next control, as everywhere on the page.
//
// Whole-text replacements the page makes (Format, Undo all edits) are kept on a stack of
// their own, so that Ctrl+Z (Cmd+Z) takes them back and Ctrl+Shift+Z or Ctrl+Y puts them
// again, beside the text area's own undo of typing.

import { h, replace, uid } from "./dom.js";
import { paint } from "./highlight.js";

const LINE_HEIGHT = 20;
const PADDING = 8;
const UNDO_DEPTH = 50;

export class Editor {
  /**
   * `label`: the accessible name of the text area; `describedBy`: ids of elements that
   * describe it (the problem summary); `readOnly`; `onInput(text)`.
   */
  constructor({ label, describedBy, readOnly = false, onInput }) {
    this.onInput = onInput || (() => {});
    this.diagnostics = [];
    this.showInline = true;
    this.lineCount = 0;
    this.code = h("code");
    this.pre = h("pre", { class: "editor-paint", "aria-hidden": "true" }, this.code);
    this.widgets = h("div", { class: "editor-widgets", "aria-hidden": "true" });
    this.layer = h("div", { class: "editor-layer" }, this.pre, this.widgets);
    this.textarea = h("textarea", {
      class: "editor-input",
      id: uid("editor"),
      "aria-label": label,
      "aria-describedby": describedBy || null,
      spellcheck: "false",
      autocomplete: "off",
      autocapitalize: "off",
      autocorrect: "off",
      wrap: "off",
      readonly: readOnly,
      "data-gramm": "false",
    });
    this.gutterInner = h("div", { class: "editor-gutter-inner" });
    this.gutter = h("div", { class: "editor-gutter", "aria-hidden": "true" }, this.gutterInner);
    this.body = h("div", { class: "editor-body" }, this.layer, this.textarea);
    this.root = h("div", { class: ["editor", readOnly && "editor-readonly"] }, this.gutter, this.body);
    this.textarea.addEventListener("input", () => {
      this.render();
      this.onInput(this.textarea.value);
    });
    this.textarea.addEventListener("scroll", () => this.syncScroll());
    this.replaced = [];
    this.restored = [];
    this.textarea.addEventListener("keydown", (e) => this.undoKey(e));
  }

  /**
   * Replaces the whole text as an edit of the user's: Ctrl+Z gives the old text back.
   * Returns false when the text was already this.
   */
  replaceAll(text) {
    const before = this.textarea.value;
    if (text === before) return false;
    this.replaced.push({ before, after: text });
    if (this.replaced.length > UNDO_DEPTH) this.replaced.shift();
    this.restored = [];
    this.setValue(text);
    this.onInput(text);
    return true;
  }

  /** Ctrl+Z right after a replacement takes it back; Ctrl+Shift+Z or Ctrl+Y puts it again. */
  undoKey(e) {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || this.textarea.readOnly) return;
    const key = e.key.toLowerCase();
    const undo = key === "z" && !e.shiftKey;
    const redo = (key === "z" && e.shiftKey) || key === "y";
    const [from, to, side] = undo
      ? [this.replaced, this.restored, "after"]
      : redo
        ? [this.restored, this.replaced, "before"]
        : [];
    if (!from) return;
    const step = from.at(-1);
    // Only when the text is as the replacement left it; otherwise the text area undoes typing.
    if (!step || step[side] !== this.textarea.value) return;
    e.preventDefault();
    from.pop();
    to.push(step);
    const text = undo ? step.before : step.after;
    this.setValue(text);
    this.onInput(text);
  }

  get value() {
    return this.textarea.value;
  }

  /** Replaces the whole text. */
  setValue(text) {
    if (text === this.textarea.value) return;
    const { scrollTop, scrollLeft } = this.textarea;
    this.textarea.value = text;
    this.textarea.scrollTop = scrollTop;
    this.textarea.scrollLeft = scrollLeft;
    this.render();
  }

  /** Shows these problems: `{line, column, end_line, end_column, severity, message, code}`. */
  setDiagnostics(diagnostics) {
    this.diagnostics = diagnostics;
    this.render();
  }

  setShowInline(show) {
    this.showInline = show;
    this.render();
  }

  /** Puts the caret at `line` (from 1), `column` (from 1) and scrolls it into view. */
  goTo(line, column = 1) {
    const offset = offsetOf(this.textarea.value, line, column);
    this.textarea.focus();
    this.textarea.setSelectionRange(offset, offset);
    const top = (line - 1) * LINE_HEIGHT;
    const view = this.textarea.clientHeight;
    if (top < this.textarea.scrollTop || top > this.textarea.scrollTop + view - 3 * LINE_HEIGHT) {
      this.textarea.scrollTop = Math.max(0, top - view / 3);
    }
    this.syncScroll();
  }

  render() {
    const text = this.textarea.value;
    const marks = this.diagnostics.map((d) => {
      const from = offsetOf(text, d.line, d.column);
      let to = offsetOf(text, d.end_line || d.line, d.end_column || d.column);
      if (to <= from) to = Math.min(text.length, from + 1);
      return { from, to, severity: d.severity };
    });
    paint(this.code, text, marks);
    this.renderGutter(text);
    this.renderWidgets(text);
    this.syncScroll();
  }

  renderGutter(text) {
    let lines = 1;
    for (let k = 0; k < text.length; k += 1) if (text.charCodeAt(k) === 10) lines += 1;
    const byLine = new Map();
    for (const d of this.diagnostics) {
      const prev = byLine.get(d.line);
      if (!prev || (prev !== "error" && d.severity === "error")) byLine.set(d.line, d.severity);
    }
    const rows = [];
    for (let n = 1; n <= lines; n += 1) {
      const severity = byLine.get(n);
      const kind = severity ? (severity === "error" ? "error" : "warning") : null;
      rows.push(
        h(
          "div",
          { class: ["editor-line-number", kind && `has-${kind}`], "data-line": n },
          kind ? h("span", { class: `marker marker-${kind}` }, kind === "error" ? "✕" : "!") : null,
          String(n),
        ),
      );
    }
    this.lineCount = lines;
    replace(this.gutterInner, rows);
  }

  renderWidgets(text) {
    if (!this.showInline) {
      replace(this.widgets);
      return;
    }
    const charWidth = this.charWidth();
    const lines = text.split("\n");
    const items = [];
    const perLine = new Map();
    for (const d of this.diagnostics) {
      const k = perLine.get(d.line) || 0;
      perLine.set(d.line, k + 1);
      // The message starts under the line's first word, so that long messages fit.
      const text = lines[d.line - 1] || "";
      const column = text.length - text.trimStart().length + 1;
      const kind = d.severity === "error" ? "error" : "warning";
      const el = h(
        "div",
        { class: `editor-message editor-message-${kind}`, "data-line": d.line },
        h("span", { class: "editor-message-code" }, d.code ? `${d.code} ` : ""),
        d.message,
        d.help ? h("span", { class: "editor-message-help" }, ` — ${d.help}`) : null,
      );
      el.style.top = `${PADDING + d.line * LINE_HEIGHT + k * LINE_HEIGHT}px`;
      el.style.left = `${PADDING + (column - 1) * charWidth}px`;
      items.push(el);
    }
    replace(this.widgets, items);
  }

  charWidth() {
    if (!this.measured) {
      const probe = h("span", { class: "editor-probe" }, "0000000000");
      this.pre.appendChild(probe);
      const w = probe.getBoundingClientRect().width / 10;
      probe.remove();
      if (w > 0) this.measured = w;
      return w || 8.4;
    }
    return this.measured;
  }

  syncScroll() {
    const x = this.textarea.scrollLeft;
    const y = this.textarea.scrollTop;
    this.layer.style.transform = `translate(${-x}px, ${-y}px)`;
    this.gutterInner.style.transform = `translateY(${-y}px)`;
  }
}

/** The string offset of `line`:`column` (both from 1; columns count characters). */
export function offsetOf(text, line, column) {
  let offset = 0;
  let current = 1;
  while (current < line) {
    const next = text.indexOf("\n", offset);
    if (next < 0) return text.length;
    offset = next + 1;
    current += 1;
  }
  const end = text.indexOf("\n", offset);
  const lineEnd = end < 0 ? text.length : end;
  return Math.min(lineEnd, offset + Math.max(0, (column || 1) - 1));
}

/** The line (from 1) holding string offset `offset`. */
export function lineOf(text, offset) {
  let line = 1;
  for (let k = 0; k < offset && k < text.length; k += 1) if (text.charCodeAt(k) === 10) line += 1;
  return line;
}
