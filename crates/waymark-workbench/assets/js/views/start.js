// The start page: every ruleset the server has loaded.

import { h } from "../dom.js";
import { naturalCompare } from "../model.js";

export function renderStart(rulesets) {
  const list = Array.isArray(rulesets) ? [...rulesets] : [];
  list.sort((a, b) => naturalCompare(a.id, b.id) || naturalCompare(a.version, b.version));
  const versions = new Map();
  for (const r of list) versions.set(r.id, (versions.get(r.id) || 0) + 1);
  return h(
    "div",
    null,
    h("h1", { id: "page-title" }, "Rulesets"),
    h(
      "p",
      { class: "lead" },
      "Choose a ruleset to read it, change its settings or its rules, try a case, run its tests, and see which decisions a change would move before it is published. ",
      "Nothing you change here is saved on the server or in this browser: it lasts until you close the page.",
    ),
    list.length === 0
      ? h("p", { class: "notice notice-warn" }, "The server has no rulesets loaded.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "rulesets-table", "aria-labelledby": "page-title" },
            h(
              "thead",
              null,
              h("tr", null, h("th", { scope: "col" }, "Title"), h("th", { scope: "col" }, "Id"), h("th", { scope: "col" }, "Version"), h("th", { scope: "col" }, "In force from")),
            ),
            h(
              "tbody",
              null,
              list.map((r) => {
                const ref = versions.get(r.id) > 1 ? `${r.id}@${r.version}` : r.id;
                return h(
                  "tr",
                  { "data-ruleset": r.id },
                  h("td", null, h("a", { href: `#/r/${encodeURIComponent(ref)}/read` }, r.title || r.id)),
                  h("td", null, h("code", null, r.id)),
                  h("td", null, r.version || ""),
                  h("td", null, r.effective_from || "—"),
                );
              }),
            ),
          ),
        ),
  );
}
