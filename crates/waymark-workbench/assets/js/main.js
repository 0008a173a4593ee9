// The workbench page: the list of rulesets, and for one ruleset the Read, Edit, Try a
// case, Tests and Compare views. The address after `#` says which view is shown, so the
// browser's back button and bookmarks work.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { Session } from "./session.js";
import { renderStart } from "./views/start.js";
import { renderRead } from "./views/read.js";
import { renderEdit } from "./views/edit.js";
import { renderTry } from "./views/try.js";
import { renderTests } from "./views/tests.js";
import { renderImpact } from "./views/impact.js";

const VIEWS = [
  { key: "read", title: "Read", render: renderRead },
  { key: "edit", title: "Edit", render: renderEdit },
  { key: "try", title: "Try a case", render: renderTry },
  { key: "tests", title: "Tests", render: renderTests },
  { key: "impact", title: "Compare and impact", render: renderImpact },
];

const app = {
  main: null,
  rulesets: null,
  sessions: new Map(),
  cleanup: [],
  /** Shows `view` of the open ruleset (used by views to move the user along). */
  go(view, id) {
    const target = `#/r/${encodeURIComponent(id)}/${view}`;
    if (location.hash === target) route();
    else location.hash = target;
  },
  announce(text) {
    const el = document.getElementById("announcer");
    if (!el) return;
    el.textContent = "";
    setTimeout(() => {
      el.textContent = text;
    }, 30);
  },
};

function parseRoute() {
  const hash = location.hash || "#/";
  const m = /^#\/r\/([^/]+)(?:\/([a-z]+))?\/?$/.exec(hash);
  if (!m) return { view: "start" };
  const ref = decodeURIComponent(m[1]);
  const at = ref.indexOf("@");
  return {
    view: m[2] || "read",
    id: at > 0 ? ref.slice(0, at) : ref,
    version: at > 0 ? ref.slice(at + 1) : null,
  };
}

async function session(id, version) {
  const key = `${id}@${version || ""}`;
  let s = app.sessions.get(key);
  if (!s) {
    s = new Session(id, version);
    s.loading = s.load().then(() => s.runCheck());
    app.sessions.set(key, s);
  }
  try {
    await s.loading;
  } catch (e) {
    app.sessions.delete(key);
    throw e;
  }
  return s;
}

function chipsOf(s) {
  const chips = [];
  if (s.edited) chips.push(h("span", { class: "chip chip-edited" }, "Text edited, not published"));
  else chips.push(h("span", { class: "chip" }, "Published text"));
  const changed = Object.entries(s.params);
  if (changed.length) {
    chips.push(
      h(
        "span",
        { class: "chip chip-edited" },
        `Settings changed: ${changed.map(([n, v]) => `${s.paramList.find((p) => p.name === n)?.label || n} = ${v}`).join("; ")}`,
      ),
    );
  }
  if (s.check.state === "errors") {
    chips.push(h("span", { class: "chip chip-bad" }, `${s.errorCount} problem${s.errorCount === 1 ? "" : "s"} in the text`));
  } else if (s.check.state === "ok" && (s.edited || s.paramsChanged)) {
    chips.push(h("span", { class: "chip chip-ok" }, "Checked: no problems"));
  }
  return chips;
}

function renderShell(s, viewKey) {
  const chips = h("div", { class: "chips", "aria-label": "State of your changes", role: "group" }, chipsOf(s));
  const update = () => replace(chips, chipsOf(s));
  const off = s.on(update);
  const meta = [`Ruleset ${s.id}`, s.version ? `version ${s.version}` : null, s.effectiveFrom ? `in force from ${s.effectiveFrom}` : null]
    .filter(Boolean)
    .join(", ");
  const body = h("div", { id: "view" });
  const frame = h(
    "div",
    null,
    h("div", { class: "ruleset-head" }, h("div", null, h("h1", { id: "page-title" }, s.title), h("p", { class: "ruleset-meta" }, meta)), chips),
    h(
      "nav",
      { "aria-label": "Views of this ruleset" },
      h(
        "ul",
        { class: "tabs" },
        VIEWS.map((v) =>
          h(
            "li",
            null,
            h(
              "a",
              {
                href: `#/r/${encodeURIComponent(s.id + (s.version && s.explicitVersion ? `@${s.version}` : ""))}/${v.key}`,
                "aria-current": v.key === viewKey ? "page" : null,
                "data-view": v.key,
              },
              v.title,
            ),
          ),
        ),
      ),
    ),
    body,
  );
  return { frame, body, dispose: off };
}

let routing = 0;
let shell = null;

async function route() {
  const seq = ++routing;
  for (const fn of app.cleanup.splice(0)) fn();
  const r = parseRoute();
  const main = app.main;
  if (r.view === "start") {
    if (shell) shell.dispose();
    shell = null;
    document.title = "Rulesets — Waymark workbench";
    try {
      app.rulesets = await api.rulesets();
      if (seq !== routing) return;
      replace(main, renderStart(app.rulesets));
    } catch (e) {
      if (seq !== routing) return;
      replace(main, h("h1", null, "Rulesets"), h("div", { class: "notice notice-bad", role: "alert" }, `The list of rulesets could not be loaded: ${e.message}.`));
    }
    main.dataset.ready = "start";
    return;
  }
  const view = VIEWS.find((v) => v.key === r.view) || VIEWS[0];
  const key = `${r.id}@${r.version || ""}`;
  if (!shell || shell.key !== key) {
    replace(main, h("p", { role: "status" }, `Opening ${r.id}…`));
  }
  main.dataset.ready = "";
  let s;
  try {
    s = await session(r.id, r.version);
  } catch (e) {
    if (seq !== routing) return;
    if (shell) shell.dispose();
    shell = null;
    replace(
      main,
      h("h1", null, r.id),
      h("div", { class: "notice notice-bad", role: "alert" }, `This ruleset could not be opened: ${e.message}.`),
      h("p", null, h("a", { href: "#/" }, "Back to the list of rulesets")),
    );
    return;
  }
  if (seq !== routing) return;
  s.explicitVersion = Boolean(r.version);
  document.title = `${view.title}: ${s.title} — Waymark workbench`;
  if (!shell || shell.key !== key) {
    if (shell) shell.dispose();
    shell = renderShell(s, view.key);
    shell.key = key;
    replace(main, shell.frame);
  }
  for (const a of shell.frame.querySelectorAll(".tabs a")) {
    if (a.dataset.view === view.key) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  replace(shell.body);
  const ctx = {
    session: s,
    app,
    onCleanup: (fn) => app.cleanup.push(fn),
  };
  await view.render(shell.body, ctx);
  if (seq === routing) main.dataset.ready = view.key;
}

function start() {
  app.main = document.getElementById("main");
  const skip = document.querySelector(".skip-link");
  if (skip) {
    skip.addEventListener("click", (ev) => {
      ev.preventDefault();
      app.main.focus();
    });
  }
  window.addEventListener("hashchange", () => {
    if (location.hash === "" || location.hash.startsWith("#/")) route();
  });
  route();
}

export { app };

start();
