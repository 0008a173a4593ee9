// A small Markdown renderer for the pages `waymark doc` writes: headings, paragraphs,
// lists, tables, code, emphasis and links.
//
// It builds DOM nodes and puts every piece of text in as text, so nothing in a ruleset's
// documentation can become markup or script. Links are kept only when they point to an
// `http:` or `https:` address, and open in a new tab.

import { h } from "./dom.js";

/** Renders `markdown` into a fragment. `idPrefix` keeps heading ids unique on the page. */
export function renderMarkdown(markdown, idPrefix = "doc") {
  const lines = String(markdown).replace(/\r\n?/g, "\n").split("\n");
  const frag = document.createDocumentFragment();
  const ids = new Map();
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "") {
      i += 1;
      continue;
    }
    const fence = /^\s*(```+|~~~+)/.exec(line);
    if (fence) {
      const body = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) {
        body.push(lines[i]);
        i += 1;
      }
      i += 1;
      frag.appendChild(h("pre", { class: "md-code" }, h("code", null, body.join("\n"))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      // Headings keep their place below the page's own h1 and h2.
      const level = Math.min(6, heading[1].length + 1);
      const base = `${idPrefix}-${slug(heading[2])}`;
      const n = (ids.get(base) || 0) + 1;
      ids.set(base, n);
      frag.appendChild(
        h(`h${level}`, { id: n === 1 ? base : `${base}-${n}` }, inline(heading[2])),
      );
      i += 1;
      continue;
    }
    if (/^\s*\|/.test(line) && i + 1 < lines.length && isTableRule(lines[i + 1])) {
      const head = cells(line);
      i += 2;
      const rows = [];
      while (i < lines.length && /^\s*\|/.test(lines[i])) {
        rows.push(cells(lines[i]));
        i += 1;
      }
      frag.appendChild(
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "md-table" },
            h("thead", null, h("tr", null, head.map((c) => h("th", { scope: "col" }, inline(c))))),
            h(
              "tbody",
              null,
              rows.map((r) => h("tr", null, head.map((_, k) => h("td", null, inline(r[k] || ""))))),
            ),
          ),
        ),
      );
      continue;
    }
    const bullet = /^(\s*)([-*+]|\d+[.)])\s+/.exec(line);
    if (bullet) {
      const ordered = /\d/.test(bullet[2]);
      const list = h(ordered ? "ol" : "ul");
      while (i < lines.length) {
        const m = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]);
        if (!m) break;
        const text = [m[3]];
        i += 1;
        // Continuation lines are indented and not a new item.
        while (
          i < lines.length &&
          /^\s{2,}\S/.test(lines[i]) &&
          !/^\s*([-*+]|\d+[.)])\s+/.test(lines[i])
        ) {
          text.push(lines[i].trim());
          i += 1;
        }
        list.appendChild(h("li", null, inline(text.join(" "))));
      }
      frag.appendChild(list);
      continue;
    }
    const para = [];
    while (
      i < lines.length &&
      lines[i].trim() !== "" &&
      !/^(#{1,6})\s/.test(lines[i]) &&
      !/^\s*(```|~~~)/.test(lines[i]) &&
      !/^\s*([-*+]|\d+[.)])\s+/.test(lines[i]) &&
      !(/^\s*\|/.test(lines[i]) && i + 1 < lines.length && isTableRule(lines[i + 1]))
    ) {
      para.push(lines[i].trim());
      i += 1;
    }
    frag.appendChild(h("p", null, inline(para.join(" "))));
  }
  return frag;
}

function slug(text) {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "section"
  );
}

function isTableRule(line) {
  return /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(line);
}

function cells(line) {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const out = [];
  let cur = "";
  let inCode = false;
  for (let k = 0; k < s.length; k += 1) {
    const c = s[k];
    if (c === "\\" && s[k + 1] === "|") {
      cur += "|";
      k += 1;
    } else if (c === "`") {
      inCode = !inCode;
      cur += c;
    } else if (c === "|" && !inCode) {
      out.push(cur.trim());
      cur = "";
    } else {
      cur += c;
    }
  }
  out.push(cur.trim());
  return out;
}

function safeHref(url) {
  return /^https?:\/\/[^\s<>"]+$/i.test(url) ? url : null;
}

function link(text, url) {
  const href = safeHref(url);
  if (!href) return document.createTextNode(text);
  return h("a", { href, rel: "noopener noreferrer", target: "_blank" }, text);
}

/** Inline Markdown: `code`, **strong**, *emphasis*, _emphasis_, <url> and [text](url). */
export function inline(text) {
  const frag = document.createDocumentFragment();
  let i = 0;
  let plain = "";
  const flush = () => {
    if (plain) frag.appendChild(document.createTextNode(plain));
    plain = "";
  };
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length && /[\\`*_[\]<>|#-]/.test(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "`") {
      let ticks = 1;
      while (text[i + ticks] === "`") ticks += 1;
      const fence = "`".repeat(ticks);
      const end = text.indexOf(fence, i + ticks);
      if (end > 0) {
        flush();
        frag.appendChild(h("code", null, text.slice(i + ticks, end).trim() || " "));
        i = end + ticks;
        continue;
      }
    }
    if (c === "*" && text[i + 1] === "*") {
      const end = text.indexOf("**", i + 2);
      if (end > i + 2) {
        flush();
        frag.appendChild(h("strong", null, inline(text.slice(i + 2, end))));
        i = end + 2;
        continue;
      }
    }
    if ((c === "*" || c === "_") && text[i + 1] !== " " && text[i + 1] !== c) {
      const prevWord = i > 0 && /[A-Za-z0-9]/.test(text[i - 1]);
      const end = text.indexOf(c, i + 1);
      if (!prevWord && end > i + 1 && text[end - 1] !== " " && !(c === "_" && /[A-Za-z0-9]/.test(text[end + 1] || ""))) {
        flush();
        frag.appendChild(h("em", null, inline(text.slice(i + 1, end))));
        i = end + 1;
        continue;
      }
    }
    if (c === "<") {
      const m = /^<(https?:\/\/[^\s<>]+)>/i.exec(text.slice(i));
      if (m) {
        flush();
        frag.appendChild(link(m[1], m[1]));
        i += m[0].length;
        continue;
      }
    }
    if (c === "[") {
      const m = /^\[([^\]]*)\]\(([^)\s]+)\)/.exec(text.slice(i));
      if (m) {
        flush();
        frag.appendChild(link(m[1], m[2]));
        i += m[0].length;
        continue;
      }
    }
    plain += c;
    i += 1;
  }
  flush();
  return frag;
}
