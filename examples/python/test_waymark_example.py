"""The component from Python gives the decision the Rust engine gives (sc02.decision.json
is checked against the native engine by crates/waymark-host/tests/component.rs).

Run with `python3 -m unittest -v` (or pytest) in this folder."""

import json
import tempfile
import unittest
from pathlib import Path

from wasmtime import WasmtimeError

from waymark_example import REPO, Waymark, WaymarkError

HERE = Path(__file__).resolve().parent
CASE = (REPO / "examples/cases/sc02-thirteen-ticks.json").read_text(encoding="utf-8")
EXPECTED = (HERE / "sc02.decision.json").read_text(encoding="utf-8").rstrip("\n")


class ComponentFromPython(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rules = Waymark().compile(REPO, "rulesets/marac/referral.wm")

    def test_sc02_gives_the_native_decision_byte_for_byte(self):
        self.assertEqual(self.rules.evaluate_json(CASE, explain=True), EXPECTED)
        decision = json.loads(EXPECTED)
        self.assertEqual(self.rules.id(), "marac.referral")
        self.assertEqual(self.rules.hash(), decision["ruleset"]["hash"])

    def test_typed_facts_give_the_same_decision(self):
        self.assertEqual(self.rules.evaluate(json.loads(CASE), explain=True), EXPECTED)

    def test_a_batch_gives_one_result_per_case(self):
        out = self.rules.evaluate_batch_json([CASE, '{"q1": "maybe"}', CASE], explain=True)
        self.assertEqual(out[0], EXPECTED)
        self.assertIsInstance(out[1], WaymarkError)
        self.assertEqual(out[1].kind, "bad-facts")
        self.assertIn(("q1", "wrong-type"), [(i, k) for i, k, _ in out[1].details])
        self.assertEqual(out[2], EXPECTED)

    def test_bad_facts_are_a_typed_error_not_a_trap(self):
        with self.assertRaises(WaymarkError) as caught:
            self.rules.evaluate_json("{", explain=False)
        self.assertEqual(caught.exception.kind, "bad-json")
        self.assertEqual(self.rules.evaluate_json(CASE, explain=True), EXPECTED)

    def test_parameters(self):
        strict = self.rules.with_params({"vhr_threshold": 20})
        self.assertEqual(json.loads(strict.evaluate_json(CASE))["params"]["vhr_threshold"], 20)
        with self.assertRaises(WaymarkError):
            self.rules.with_params({"no_such_param": 1})

    def test_the_ruleset_runs_its_own_tests(self):
        report = self.rules.run_tests()
        self.assertEqual(report["ruleset"], "marac.referral")
        self.assertTrue(report["tests"] and all(t["passed"] for t in report["tests"]))

    def test_a_ruleset_with_mistakes_gives_diagnostics(self):
        broken = "ruleset demo version 1.0.0\ninput q1: answer \"Q\"\noutput x: bool \"X\" default false\nrule r { when q1 and q2 set x to true }\n"
        with tempfile.TemporaryDirectory() as base, self.assertRaises(WaymarkError) as caught:
            (Path(base) / "broken.wm").write_text(broken, encoding="utf-8")
            self.rules.waymark.compile(base, "broken.wm")
        self.assertEqual(caught.exception.kind, "diagnostics")
        self.assertTrue(any(d.startswith("error[E") for d in caught.exception.details))

    def test_running_out_of_fuel_stops_the_call_and_a_fresh_instance_works(self):
        small = Waymark(fuel=400_000_000)
        rules = small.compile(REPO, "rulesets/marac/referral.wm")
        with self.assertRaises(WasmtimeError):
            rules.evaluate_batch_json([CASE] * 5000, explain=True)
        # The trapped instance is dropped; a fresh one carries on.
        fresh = Waymark().compile(REPO, "rulesets/marac/referral.wm")
        self.assertEqual(fresh.evaluate_json(CASE, explain=True), EXPECTED)


if __name__ == "__main__":
    unittest.main()
