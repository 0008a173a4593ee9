// The component from Node.js gives the decision the Rust engine gives (sc02.decision.json
// is checked against the native engine by crates/waymark-host/tests/component.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, describe, typedFacts } from '../waymark.mjs';
import { engine } from '../gen/waymark.js';

const repo = new URL('../../..', import.meta.url).pathname;
const caseText = readFileSync(join(repo, 'examples/cases/sc02-thirteen-ticks.json'), 'utf8');
const expected = readFileSync(new URL('../sc02.decision.json', import.meta.url), 'utf8').trimEnd();
const rules = compile(repo, 'rulesets/marac/referral.wm');

test('sc02 gives the native decision, byte for byte', () => {
  assert.equal(rules.evaluateJson(caseText, true), expected);
  const decision = JSON.parse(expected);
  assert.equal(decision.ruleset.id, 'marac.referral');
  assert.equal(rules.hash(), decision.ruleset.hash);
  assert.equal(rules.version(), '1.0.0');
});

test('typed facts give the same decision', () => {
  const facts = typedFacts(JSON.parse(caseText));
  assert.equal(rules.evaluate(facts, true), expected);
});

test('a batch gives one result per case', () => {
  const out = rules.evaluateBatchJson([caseText, '{"q1": "maybe"}', caseText], true);
  assert.deepEqual(out.map((r) => r.tag), ['ok', 'err', 'ok']);
  assert.equal(out[0].val, expected);
  assert.equal(out[1].val.tag, 'bad-facts');
  assert.ok(out[1].val.val.some((e) => e.input === 'q1' && e.kind === 'wrong-type'));
});

test('bad facts are a typed error, not a trap', () => {
  assert.throws(() => rules.evaluateJson('{"q1": "maybe"}', false), (e) => e.payload?.tag === 'bad-facts' && /q1/.test(describe(e)));
  assert.throws(() => rules.evaluateJson('{', false), (e) => e.payload?.tag === 'bad-json');
  // The instance carries on.
  assert.equal(rules.evaluateJson(caseText, true), expected);
});

test('parameters can be overridden, and bad ones are reported', () => {
  const strict = rules.withParams([['vhr_threshold', '20']]);
  assert.equal(JSON.parse(strict.evaluateJson(caseText, false)).params.vhr_threshold, 20);
  assert.throws(() => rules.withParams([['no_such_param', '1']]), (e) => e.payload[0].kind === 'bad-param');
});

test('the ruleset runs its own tests', () => {
  const report = JSON.parse(rules.runTests());
  assert.equal(report.ruleset, 'marac.referral');
  assert.ok(report.tests.length > 0);
  assert.ok(report.tests.every((t) => t.passed));
});

test('a ruleset with mistakes gives every diagnostic', () => {
  const text = 'ruleset demo version 1.0.0\ninput q1: answer "Q"\noutput x: bool "X" default false\nrule r { when q1 and q2 set x to true }\n';
  assert.throws(
    () => engine.compile([{ path: 'main.wm', text }], 'main.wm'),
    (e) => Array.isArray(e.payload) && e.payload.some((d) => d.severity === 'error' && d.file === 'main.wm' && d.line === 4 && /^E\d{4}$/.test(d.code)),
  );
});

test('a missing ruleset file is reported', () => {
  assert.throws(() => compile(repo, 'examples/node/no-such.wm'), /ENOENT/);
});
