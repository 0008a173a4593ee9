// Read: the ruleset as its documentation shows it, with the text beside it.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { paint } from "../highlight.js";
import { renderMarkdown } from "../markdown.js";

export async function renderRead(root, { session: s }) {
  const docPane = h("section", { class: "pane pane-scroll doc", "aria-labelledby": "doc-heading", tabindex: "0" });
  const code = h("code");
  const sourcePane = h(
    "section",
    { class: "pane", "aria-labelledby": "source-heading" },
    h("h2", { id: "source-heading" }, s.edited ? "The text, as you edited it" : "The text of the ruleset"),
    h("div", { class: "pane-scroll" }, h("pre", { class: "source-view", tabindex: "0", "aria-label": "The text of the ruleset" }, code)),
  );
  paint(code, s.source);
  replace(
    root,
    h(
      "p",
      { class: "lead" },
      "The ruleset as readable documentation, worked out from its text",
      s.edited || s.paramsChanged ? " (showing your changes)" : "",
      ". The text it comes from is on the right.",
    ),
    h("div", { class: "split" }, h("div", { class: "pane" }, h("h2", { id: "doc-heading" }, "Documentation"), docPane), sourcePane),
  );
  replace(docPane, h("p", { role: "status" }, "Loading the documentation…"));
  try {
    const res = s.edited || s.paramsChanged ? await api.docOf(s.body()) : await api.doc(s.id, s.explicitVersion ? s.version : null);
    replace(docPane, renderMarkdown((res && res.markdown) || "", "doc"));
  } catch (e) {
    replace(
      docPane,
      h(
        "div",
        { class: "notice notice-bad", role: "alert" },
        h("p", null, "The documentation cannot be made from the text as it stands."),
        h("ul", null, e.problems.map((p) => h("li", null, p))),
        h("p", null, h("a", { href: `#/r/${encodeURIComponent(s.id)}/edit` }, "Fix the text in Edit")),
      ),
    );
  }
}
