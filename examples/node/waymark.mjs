// Waymark from Node.js: the WebAssembly component, transpiled by jco into ./gen
// (`npm run transpile`), evaluating cases exactly as the Rust engine does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { engine } from './gen/waymark.js';

/**
 * Reads a ruleset file and every file it imports, relative to `base`. The component says
 * which files each one imports (normalised paths), so no import syntax is needed here.
 */
export function readSources(base, root) {
  const files = [];
  const seen = new Set();
  const queue = [root];
  while (queue.length > 0) {
    const path = queue.shift();
    if (seen.has(path)) continue;
    seen.add(path);
    const file = { path, text: readFileSync(join(base, path), 'utf8') };
    files.push(file);
    queue.push(...engine.imports(file));
  }
  return files;
}

/** A readable message for an error the component returned (a WIT `result` error). */
export function describe(error) {
  const payload = error?.payload;
  if (Array.isArray(payload)) {
    // compile: a list of diagnostics; with-params: a list of fact errors.
    return payload.map((d) => (d.code ? `${d.severity}[${d.code}]: ${d.message}${d.file ? ` (${d.file}:${d.line ?? '?'})` : ''}` : d.message)).join('\n');
  }
  if (payload?.tag === 'bad-facts') return payload.val.map((e) => e.message).join('\n');
  if (payload?.tag) return `${payload.tag}: ${payload.val}`;
  return String(error);
}

/** Compiles a ruleset read from disk; throws an Error listing every diagnostic. */
export function compile(base, root) {
  try {
    return engine.compile(readSources(base, root), root);
  } catch (e) {
    throw new Error(describe(e));
  }
}

/** The typed form of a JSON case: answers, dates, whole numbers, texts. */
export function typedFacts(facts) {
  return Object.entries(facts).map(([name, v]) => {
    if (v === null || v === 'unknown') return [name, { tag: 'unknown' }];
    if (v === 'yes' || v === 'no') return [name, { tag: v }];
    if (typeof v === 'boolean') return [name, { tag: 'boolean', val: v }];
    if (Number.isInteger(v)) return [name, { tag: 'int', val: BigInt(v) }];
    if (typeof v === 'number') return [name, { tag: 'number', val: String(v) }];
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return [name, { tag: 'date', val: v }];
    if (typeof v === 'string') return [name, { tag: 'text', val: v }];
    throw new Error(`no typed form for ${name}`);
  });
}

// `node waymark.mjs [RULESET] [CASE]`: prints the decision with its explanation.
if (import.meta.url === `file://${process.argv[1]}`) {
  const repo = new URL('../..', import.meta.url).pathname;
  const ruleset = process.argv[2] ?? 'rulesets/marac/referral.wm';
  const facts = readFileSync(join(repo, process.argv[3] ?? 'examples/cases/sc02-thirteen-ticks.json'), 'utf8');
  const rules = compile(repo, ruleset);
  try {
    console.log(JSON.stringify(JSON.parse(rules.evaluateJson(facts, true)), null, 2));
  } catch (e) {
    console.error(`error: ${describe(e)}`);
    process.exitCode = 1;
  }
}
