// One ruleset open in the workbench: the published version, the edited text, the changed
// settings and the latest check. Everything is held in memory only.

import { api } from "./api.js";
import { debounce } from "./dom.js";
import { fieldsOf, labelsOf, paramsOf } from "./model.js";

export class Session {
  constructor(id, version) {
    this.id = id;
    this.version = version || null;
    this.listeners = new Set();
    this.params = {};
    this.diagnostics = [];
    this.check = { state: "idle", message: "" };
    this.caseValues = {};
    this.lastDecision = null;
    this.checkSeq = 0;
    this.scheduleCheck = debounce(() => this.runCheck(), 300);
  }

  /** Loads everything the views need. */
  async load() {
    const [info, schema, source] = await Promise.all([
      api.ruleset(this.id, this.version),
      api.schema(this.id, this.version),
      api.source(this.id, this.version),
    ]);
    this.info = info || {};
    this.schema = schema || {};
    this.published = {
      path: source.path,
      source: source.source,
      files: source.files || {},
      version: source.version || this.version,
    };
    this.version = this.version || source.version || this.info.version || null;
    this.source = source.source;
    this.labels = labelsOf(this.info);
    this.fields = fieldsOf(this.schema, this.labels);
    this.paramList = paramsOf(this.info).filter((p) => !p.bound);
    this.title = this.info.title || this.schema.title || this.id;
    this.effectiveFrom = this.info.effective_from || this.info.effective?.from || null;
  }

  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(what) {
    for (const fn of [...this.listeners]) fn(what);
  }

  get edited() {
    return this.source !== this.published.source;
  }

  get paramsChanged() {
    return Object.keys(this.params).length > 0;
  }

  get errorCount() {
    return this.diagnostics.filter((d) => d.severity === "error").length;
  }

  /** The source fields every source-carrying request takes. */
  body(extra = {}) {
    const b = { path: this.published.path, source: this.source };
    if (this.published.files && Object.keys(this.published.files).length) b.files = this.published.files;
    if (this.paramsChanged) b.params = { ...this.params };
    return { ...b, ...extra };
  }

  /** The published version, as `/v1/diff` and `/v1/impact` name it. */
  publishedRef() {
    const r = { id: this.id };
    if (this.version) r.version = this.version;
    return r;
  }

  setSource(text) {
    if (text === this.source) return;
    this.source = text;
    this.emit("source");
    this.scheduleCheck();
  }

  setParam(name, value) {
    const p = this.paramList.find((x) => x.name === name);
    if (value === undefined || (p && JSON.stringify(value) === JSON.stringify(p.default))) {
      delete this.params[name];
    } else {
      this.params[name] = value;
    }
    this.emit("params");
    this.scheduleCheck();
  }

  resetParams() {
    this.params = {};
    this.emit("params");
    this.scheduleCheck();
  }

  /** Problems in this ruleset's own file (not in files it imports). */
  isOwnFile(d) {
    if (!d.file) return true;
    const path = this.published.path || "";
    return d.file === path || d.file.endsWith(`/${path}`) || path.endsWith(`/${d.file}`) || path === "";
  }

  async runCheck() {
    this.scheduleCheck.cancel();
    const seq = ++this.checkSeq;
    this.check = { state: "checking", message: "" };
    this.emit("check");
    try {
      const res = await api.check(this.body());
      if (seq !== this.checkSeq) return;
      this.diagnostics = (res && res.diagnostics) || [];
      this.check = { state: this.errorCount ? "errors" : "ok", message: "" };
    } catch (e) {
      if (seq !== this.checkSeq) return;
      if (e.diagnostics && e.diagnostics.length) {
        this.diagnostics = e.diagnostics;
        this.check = { state: "errors", message: "" };
      } else {
        this.check = { state: "failed", message: e.message };
      }
    }
    this.emit("check");
  }
}
