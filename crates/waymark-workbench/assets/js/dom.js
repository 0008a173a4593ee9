// Small helpers for building the page out of DOM nodes.
//
// Text always goes in as text nodes, never as HTML, so nothing the server or a ruleset
// sends can become markup.

let counter = 0;

/** A fresh id for tying labels to controls. */
export function uid(prefix = "wb") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * Makes an element. `attrs` keys: `class`, `on<event>` (listeners), `dataset`, `props`
 * (set as properties), anything else as an attribute (true: present, false/null: absent).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") {
        el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
      } else if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2), value);
      } else if (key === "dataset") {
        Object.assign(el.dataset, value);
      } else if (key === "props") {
        Object.assign(el, value);
      } else if (value === true) {
        el.setAttribute(key, "");
      } else {
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

/** Appends children: nodes, strings, numbers and (nested) arrays; skips null. */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) {
      append(el, child);
    } else if (child instanceof Node) {
      el.appendChild(child);
    } else {
      el.appendChild(document.createTextNode(String(child)));
    }
  }
  return el;
}

/** Removes every child of `el`, then appends `children`. */
export function replace(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return append(el, children);
}

/** Calls `fn` once `ms` milliseconds have passed without another call. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
  wrapped.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return wrapped;
}

/** A number with thousands separators. */
export function count(n) {
  return Number(n).toLocaleString("en-GB");
}

/** A proportion (0..1) as a percentage with one decimal. */
export function percent(x) {
  if (typeof x !== "number" || !Number.isFinite(x)) return "–";
  return `${(x * 100).toFixed(1)}%`;
}

/** "1 test", "2 tests". */
export function plural(n, one, many) {
  return `${count(n)} ${n === 1 ? one : many}`;
}
