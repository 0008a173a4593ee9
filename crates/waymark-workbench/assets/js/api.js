// Calls to the Waymark service that serves this page.
//
// Every address is relative to the page, so the page only ever talks to the server it
// came from. Nothing is cached and nothing is written to the browser's storage.

/** A request the service answered with an error status. */
export class ApiError extends Error {
  constructor(status, body) {
    super(describe(status, body));
    this.status = status;
    this.body = body;
  }

  /** The diagnostics the service sent back, if any (for source that does not check). */
  get diagnostics() {
    const b = this.body;
    if (b && Array.isArray(b.diagnostics)) return b.diagnostics;
    return [];
  }

  /** Every problem the service listed, as plain sentences. */
  get problems() {
    return problemsOf(this.body, this.status);
  }
}

function problemsOf(body, status) {
  const out = [];
  const add = (p) => {
    if (p === null || p === undefined) return;
    if (typeof p === "string") {
      out.push(p);
    } else if (typeof p === "object") {
      const where = p.input ? `${p.input}: ` : p.line ? `line ${p.line}: ` : "";
      const msg = p.message || p.error || p.kind || JSON.stringify(p);
      out.push(where && !String(msg).includes(p.input || "\u0000") ? where + msg : msg);
    }
  };
  if (body && typeof body === "object") {
    for (const key of ["errors", "problems", "diagnostics"]) {
      if (Array.isArray(body[key])) body[key].forEach(add);
    }
    if (out.length === 0) add(body.message || body.error);
  } else if (typeof body === "string" && body.trim() !== "") {
    out.push(body.trim());
  }
  if (out.length === 0) out.push(statusText(status));
  return out;
}

function statusText(status) {
  switch (status) {
    case 400:
      return "the server could not use what was sent";
    case 401:
      return "the server needs a key that this page was not given";
    case 404:
      return "the server does not have that ruleset or version";
    case 413:
      return "what was sent is larger than the server accepts";
    case 422:
      return "the decision took more work than the server allows";
    default:
      return `the server answered with status ${status}`;
  }
}

function describe(status, body) {
  return problemsOf(body, status).join("; ");
}

async function request(method, path, body) {
  const init = {
    method,
    headers: { Accept: "application/json" },
    credentials: "same-origin",
    cache: "no-store",
    redirect: "error",
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, "the server cannot be reached: is Waymark still running?");
  }
  const text = await res.text();
  let data = null;
  if (text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

const enc = encodeURIComponent;

function withVersion(path, version) {
  return version ? `${path}?version=${enc(version)}` : path;
}

export const api = {
  rulesets: () => request("GET", "v1/rulesets"),
  ruleset: (id, version) => request("GET", withVersion(`v1/rulesets/${enc(id)}`, version)),
  schema: (id, version) => request("GET", withVersion(`v1/rulesets/${enc(id)}/schema`, version)),
  source: (id, version) => request("GET", withVersion(`v1/rulesets/${enc(id)}/source`, version)),
  doc: (id, version) => request("GET", withVersion(`v1/rulesets/${enc(id)}/doc`, version)),
  evaluatePublished: (id, body) => request("POST", `v1/rulesets/${enc(id)}/evaluate`, body),
  corpora: () => request("GET", "v1/corpora"),
  check: (body) => request("POST", "v1/check", body),
  test: (body) => request("POST", "v1/test", body),
  format: (body) => request("POST", "v1/format", body),
  evaluate: (body) => request("POST", "v1/evaluate", body),
  docOf: (body) => request("POST", "v1/doc", body),
  diff: (body) => request("POST", "v1/diff", body),
  impact: (body) => request("POST", "v1/impact", body),
};
