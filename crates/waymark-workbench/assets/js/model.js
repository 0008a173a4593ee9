// What the page knows about a ruleset, taken from the service's answers, and how values
// are written for people and in the rule language.

/** Natural order: q2 before q10. */
export function naturalCompare(a, b) {
  return String(a).localeCompare(String(b), "en", { numeric: true });
}

/** A list from an array or an object keyed by name. */
function entries(x) {
  if (!x) return [];
  if (Array.isArray(x)) return x;
  if (typeof x === "object") {
    return Object.entries(x).map(([name, v]) =>
      v && typeof v === "object" && !Array.isArray(v) ? { name, ...v } : { name, value: v },
    );
  }
  return [];
}

/** A type as the service describes it, written as in the rule language. */
function typeText(t) {
  if (!t) return "";
  if (typeof t === "string") return t;
  if (typeof t === "object") {
    if (t.set) return `set of ${typeText(t.set)}`;
    if (t.list) return `list of ${typeText(t.list)}`;
    if (t.enum !== undefined) return String(t.enum);
    return t.name || t.kind || t.type || "";
  }
  return String(t);
}

/** The values of an enum type, `{name, label}`, from `{enum, values, labels}`. */
function enumValues(t) {
  if (!t || typeof t !== "object") return [];
  const inner = t.set || t.list || t;
  if (!inner || !Array.isArray(inner.values)) return [];
  const labels = Array.isArray(inner.labels) ? inner.labels : [];
  return inner.values.map((v, k) =>
    typeof v === "string" ? { name: v, label: labels[k] || v.replace(/_/g, " ") } : { name: v.name, label: v.label || v.name },
  );
}

/**
 * The parameters an agency may change: `{name, label, type, default, min, max, values,
 * source, bound}`. `type` is one of int, number, bool, text, date, enum.
 */
export function paramsOf(info) {
  const list = entries(info && (info.params || info.parameters));
  return list.map((p) => {
    const type = typeText(p.type || p.ty);
    const range = p.range || {};
    let min = p.minimum ?? p.min ?? range.min ?? null;
    let max = p.maximum ?? p.max ?? range.max ?? null;
    const m = /in\s+(-?[\d.]+)?\.\.(-?[\d.]+)?/.exec(type);
    if (m) {
      if (min === null && m[1] !== undefined) min = Number(m[1]);
      if (max === null && m[2] !== undefined) max = Number(m[2]);
    }
    const base = type.replace(/\s+in\s+.*$/, "").trim();
    let kind = base;
    if (!["int", "number", "bool", "text", "date"].includes(base)) kind = "enum";
    const values = enumValues(p.type);
    return {
      name: p.name,
      label: p.label || p.title || p.name,
      doc: p.doc || p.description || "",
      type: kind,
      typeName: base,
      default: p.default ?? p.value ?? null,
      min,
      max,
      values,
      source: p.sources || p.source || [],
      bound: Boolean(p.bound || p.bound_by || p.set_by || p.fixed),
    };
  });
}

/** Labels of inputs, outputs and enum values from the ruleset's description. */
export function labelsOf(info) {
  const outputs = new Map();
  const values = new Map();
  for (const o of entries(info && info.outputs)) {
    outputs.set(o.name, { label: o.label || o.name, type: typeText(o.type) });
    for (const v of enumValues(o.type)) values.set(`${o.name}:${v.name}`, v.label);
  }
  const inputs = new Map();
  for (const i of entries(info && info.inputs)) {
    inputs.set(i.name, { label: i.label || i.name, type: typeText(i.type), values: enumValues(i.type) });
  }
  return { outputs, inputs, values, inputOrder: entries(info && info.inputs).map((i) => i.name) };
}

/**
 * The questions of the case form, from the JSON Schema of the inputs: `{name, label,
 * kind, required, min, max, values, item}`. Kinds: answer, bool, int, number, date, text,
 * enum, set, list.
 */
export function fieldsOf(schema, labels) {
  const props = (schema && schema.properties) || {};
  const required = new Set((schema && schema.required) || []);
  const order = labels ? labels.inputOrder : [];
  const names = Object.keys(props).sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    if (ia >= 0 && ib >= 0) return ia - ib;
    if (ia >= 0) return -1;
    if (ib >= 0) return 1;
    return naturalCompare(a, b);
  });
  return names.map((name) => {
    const raw = props[name];
    const alts = Array.isArray(raw.anyOf) ? raw.anyOf : Array.isArray(raw.oneOf) ? raw.oneOf : [raw];
    const s = alts.find((a) => a.type !== "null") || raw;
    const optional = alts.some((a) => a.type === "null");
    const label = s.title || raw.title || (labels && labels.inputs.get(name)?.label) || name;
    const valueLabels = Object.fromEntries(((labels && labels.inputs.get(name)?.values) || []).map((v) => [v.name, v.label]));
    return { name, label, required: required.has(name) && !optional, valueLabels, ...kindOf(s) };
  });
}

function isAnswerEnum(values) {
  return Array.isArray(values) && values.length === 3 && ["yes", "no", "unknown"].every((v) => values.includes(v));
}

function kindOf(s) {
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  if (Array.isArray(s.enum)) {
    return isAnswerEnum(s.enum) ? { kind: "answer" } : { kind: "enum", values: s.enum };
  }
  if (type === "array") {
    const item = kindOf(s.items || {});
    if (item.kind === "enum" && s.uniqueItems) return { kind: "set", values: item.values };
    return { kind: "list", item };
  }
  if (type === "boolean") return { kind: "bool" };
  if (type === "integer") return { kind: "int", min: s.minimum ?? null, max: s.maximum ?? null };
  if (type === "number") return { kind: "number", min: s.minimum ?? null, max: s.maximum ?? null };
  if (Array.isArray(type) && type.includes("number")) return { kind: "number", min: s.minimum ?? null, max: s.maximum ?? null };
  if (type === "string" && (s.format === "date" || /\[0-9\]\{4\}-/.test(s.pattern || ""))) return { kind: "date" };
  if (type === "string" && s.pattern && /\\d|\[0-9\]/.test(s.pattern)) return { kind: "number", min: null, max: null };
  return { kind: "text" };
}

/** A name made readable: `refer_marac` → "refer marac". */
export function humanName(name) {
  return String(name).replace(/^.*\./, "").replace(/_/g, " ");
}

/** How a value reads to a person. `valueLabel(v)` may give an enum value's label. */
export function showValue(v, valueLabel = (x) => x) {
  if (v === null || v === undefined) return "not yet decided";
  if (v === true) return "yes";
  if (v === false) return "no";
  if (v === "unknown") return "don't know";
  if (Array.isArray(v)) return v.length === 0 ? "none" : v.map((x) => showValue(x, valueLabel)).join(", ");
  if (typeof v === "object") return JSON.stringify(v);
  if (typeof v === "string") return valueLabel(v);
  return String(v);
}

// ----------------------------------------------------------------- the rule language

/** A text literal in the rule language. */
export function quote(text) {
  return `"${String(text).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, " ").replace(/\t/g, " ")}"`;
}

/** A value written in the rule language, for a field of the given kind. */
export function literal(value, kind) {
  if (value === null || value === undefined) return "unknown";
  if (Array.isArray(value)) {
    const inner = value.map((v) => literal(v, kind === "set" || kind === "list" ? "item" : kind)).join(", ");
    return kind === "set" ? `{${inner}}` : `[${inner}]`;
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (kind === "number" && Number.isInteger(value)) return `${value}.0`;
    return String(value);
  }
  if (kind === "text") return quote(value);
  if (kind === "number" && /^-?\d+$/.test(value)) return `${value}.0`;
  if (/^-?\d+(\.\d+)?$/.test(value) && kind !== "text") return value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(value)) return value;
  return quote(value);
}

/**
 * The facts of a case as `given` items, with numbered names that share a value joined
 * into ranges: `q1..q13 = yes`.
 */
export function givenItems(facts, fields) {
  const kinds = new Map(fields.map((f) => [f.name, f.kind]));
  const names = fields.map((f) => f.name).filter((n) => facts[n] !== undefined && facts[n] !== null);
  for (const n of Object.keys(facts)) if (!names.includes(n) && facts[n] !== null) names.push(n);
  const items = [];
  let k = 0;
  while (k < names.length) {
    const name = names[k];
    const value = literal(facts[name], kinds.get(name));
    const m = /^([A-Za-z_][A-Za-z0-9_]*?)([1-9]\d*)$/.exec(name);
    let last = name;
    let j = k + 1;
    if (m) {
      let n = Number(m[2]);
      while (j < names.length) {
        const next = names[j];
        const mm = /^([A-Za-z_][A-Za-z0-9_]*?)([1-9]\d*)$/.exec(next);
        if (!mm || mm[1] !== m[1] || Number(mm[2]) !== n + 1) break;
        if (literal(facts[next], kinds.get(next)) !== value) break;
        n += 1;
        last = next;
        j += 1;
      }
    }
    items.push(last === name ? `${name} = ${value}` : `${name}..${last} = ${value}`);
    k = last === name ? k + 1 : j;
  }
  return items;
}

/** Items joined on one line when short, otherwise one a line under the clause. */
function clause(word, items) {
  const one = `  ${word} ${items.join(", ")}`;
  if (one.length <= 100) return one;
  return `  ${word}\n${items.map((i) => `    ${i}`).join(",\n")}`;
}

/**
 * A `test` block for a case and the outcome it gave. `params` are the settings in force
 * that differ from the defaults; settings of imported files cannot be written in a test
 * and are left out.
 */
export function testBlock(name, facts, fields, outcome, outputKinds, params) {
  const lines = [`test ${quote(name)} {`];
  const given = givenItems(facts, fields);
  if (given.length) lines.push(clause("given", given));
  const withItems = Object.entries(params || {})
    .filter(([n]) => !n.includes("."))
    .map(([n, v]) => `${n} = ${literal(v, typeof v === "number" && !Number.isInteger(v) ? "number" : "")}`);
  if (withItems.length) lines.push(clause("with", withItems));
  const expect = Object.entries(outcome || {}).map(([n, v]) => {
    if (v === null || v === undefined) return `${n} is undetermined`;
    const kind = outputKinds.get(n) || (Array.isArray(v) ? "set" : "");
    return `${n} = ${literal(v, kind)}`;
  });
  if (expect.length) lines.push(clause("expect", expect));
  lines.push("}");
  return lines.join("\n");
}

/** Where a new test goes: after the last test block, or at the end. */
export function insertTest(source, block) {
  const re = /^test\s+"/gm;
  let last = -1;
  let m;
  while ((m = re.exec(source)) !== null) last = m.index;
  if (last >= 0) {
    const close = /^\}[ \t]*$/gm;
    close.lastIndex = last;
    const c = close.exec(source);
    if (c) {
      const at = c.index + c[0].length;
      const text = `${source.slice(0, at)}\n\n${block}${source.slice(at)}`;
      return { text, at: at + 2 };
    }
  }
  const trimmed = source.replace(/\s*$/, "");
  return { text: `${trimmed}\n\n${block}\n`, at: trimmed.length + 2 };
}
