// The tokenizer behind the editor's colours, following grammar/waymark.pest.
//
// It never fails: any character it does not recognise is plain text, so a half-typed
// ruleset is still coloured as far as it makes sense.

/** Words that start a declaration or a clause. */
const DECLARATION = new Set([
  "ruleset", "version", "title", "effective", "from", "until", "source", "import", "as",
  "with", "enum", "ordered", "input", "optional", "param", "let", "output", "default",
  "rule", "exception", "to", "when", "set", "add", "table", "hit", "first", "collect",
  "test", "given", "expect", "undetermined", "property", "monotone", "always", "never",
  "agree", "on", "except", "list", "of",
]);

/** Words with a meaning inside formulas. */
const OPERATOR_WORDS = new Set([
  "and", "or", "not", "is", "in", "known", "if", "then", "else", "count", "within",
  "before", "after", "between", "implies", "empty", "union", "intersect", "without",
  "day", "days", "week", "weeks", "month", "months", "year", "years",
]);

/** Written values. */
const VALUES = new Set(["yes", "no", "unknown", "true", "false"]);

/** Built-in types. */
const TYPES = new Set(["answer", "bool", "int", "number", "text", "date"]);

const RE_SEMVER = /\d+\.\d+\.\d+(?:-[A-Za-z0-9.-]+)?/y;
const RE_DATE = /\d{4}-\d{2}-\d{2}(?![A-Za-z0-9_])/y;
const RE_DECIMAL = /\d+\.\d+(?![A-Za-z0-9_])/y;
const RE_INT = /\d+/y;
const RE_WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const RE_RANGE = /[A-Za-z_][A-Za-z0-9_]*\.\.[A-Za-z_][A-Za-z0-9_]*/y;
const OPERATORS = ["=>", "..", "<=", ">=", "!=", "=", "<", ">", "+", "-", "*", "/", "|"];

function match(re, text, at) {
  re.lastIndex = at;
  const m = re.exec(text);
  return m ? m[0].length : 0;
}

/**
 * Splits `text` into coloured pieces: `{from, to, kind}` in order, with gaps for
 * whitespace and punctuation. Kinds: doc, comment, string, date, number, decl, op-word,
 * value, type, name, range, op.
 */
export function tokenize(text) {
  const out = [];
  const n = text.length;
  let i = 0;
  let previousWord = "";
  while (i < n) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i += 1;
      continue;
    }
    if (c === "/" && text[i + 1] === "/") {
      let end = text.indexOf("\n", i);
      if (end < 0) end = n;
      const kind = text[i + 2] === "/" ? "doc" : "comment";
      out.push({ from: i, to: end, kind });
      i = end;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"' && text[j] !== "\n") {
        j += text[j] === "\\" && text[j + 1] !== "\n" ? 2 : 1;
      }
      if (j < n && text[j] === '"') j += 1;
      out.push({ from: i, to: Math.min(j, n), kind: "string" });
      i = Math.min(j, n);
      continue;
    }
    if (c >= "0" && c <= "9") {
      let len = 0;
      let kind = "number";
      if (previousWord === "version") len = match(RE_SEMVER, text, i);
      if (!len) {
        len = match(RE_DATE, text, i);
        if (len) kind = "date";
      }
      if (!len) len = match(RE_DECIMAL, text, i);
      if (!len) len = match(RE_INT, text, i);
      out.push({ from: i, to: i + len, kind });
      i += len;
      previousWord = "";
      continue;
    }
    const rangeLen = match(RE_RANGE, text, i);
    if (rangeLen) {
      out.push({ from: i, to: i + rangeLen, kind: "range" });
      i += rangeLen;
      previousWord = "";
      continue;
    }
    const wordLen = match(RE_WORD, text, i);
    if (wordLen) {
      const word = text.slice(i, i + wordLen);
      // A word after a dot is part of a dotted name (`ric.yes_count`), never a keyword.
      const dotted = i > 0 && text[i - 1] === "." && text[i - 2] !== ".";
      let kind = "name";
      if (!dotted) {
        if (DECLARATION.has(word)) kind = "decl";
        else if (OPERATOR_WORDS.has(word)) kind = "op-word";
        else if (VALUES.has(word)) kind = "value";
        else if (TYPES.has(word)) kind = "type";
      }
      out.push({ from: i, to: i + wordLen, kind });
      i += wordLen;
      previousWord = word;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      out.push({ from: i, to: i + op.length, kind: "op" });
      i += op.length;
      continue;
    }
    i += 1;
  }
  return out;
}

/**
 * Fills `target` with the coloured text. `marks` are `{from, to, severity}` ranges to
 * underline (diagnostics), in string offsets.
 */
export function paint(target, text, marks = []) {
  const tokens = tokenize(text);
  // Boundaries where either a token or a mark starts or ends.
  const cuts = new Set([0, text.length]);
  for (const t of tokens) {
    cuts.add(t.from);
    cuts.add(t.to);
  }
  for (const m of marks) {
    cuts.add(Math.max(0, Math.min(text.length, m.from)));
    cuts.add(Math.max(0, Math.min(text.length, m.to)));
  }
  const points = [...cuts].sort((a, b) => a - b);
  const frag = document.createDocumentFragment();
  let ti = 0;
  for (let k = 0; k + 1 < points.length; k += 1) {
    const from = points[k];
    const to = points[k + 1];
    if (from === to) continue;
    while (ti < tokens.length && tokens[ti].to <= from) ti += 1;
    const tok = ti < tokens.length && tokens[ti].from <= from ? tokens[ti] : null;
    let severity = null;
    for (const m of marks) {
      if (m.from <= from && to <= m.to) {
        severity = severity === "error" ? severity : m.severity;
      }
    }
    const piece = text.slice(from, to);
    if (!tok && !severity) {
      frag.appendChild(document.createTextNode(piece));
      continue;
    }
    const span = document.createElement("span");
    const classes = [];
    if (tok) classes.push(`tok-${tok.kind}`);
    if (severity) classes.push(`squiggle-${severity === "error" ? "error" : "warning"}`);
    span.className = classes.join(" ");
    span.textContent = piece;
    frag.appendChild(span);
  }
  // A final newline needs something after it, or the last empty line has no height.
  frag.appendChild(document.createTextNode("\n"));
  while (target.firstChild) target.removeChild(target.firstChild);
  target.appendChild(frag);
}
