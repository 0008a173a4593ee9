"""Waymark from Python: the WebAssembly component under the `wasmtime` package (PyPI),
evaluating cases exactly as the Rust engine does, with a fuel and memory limit per call.

    python3 waymark_example.py [RULESET] [CASE]

The component is built by `bash scripts/component`; set WAYMARK_COMPONENT to use another.
"""

import json
import os
import posixpath
import sys
from pathlib import Path

from wasmtime import Config, Engine, Store, WasiConfig
from wasmtime.component import Component, Linker, Record, ResourceAny, Variant

REPO = Path(__file__).resolve().parent.parent.parent
COMPONENT = Path(
    os.environ.get("WAYMARK_COMPONENT", REPO / "target/wasm32-wasip2/component/waymark_component.wasm")
)
ENGINE_INTERFACE = "waymark:engine/engine@0.1.0"

# Per call: about a second of work, and 256 MiB of guest memory.
FUEL = 2_000_000_000
MEMORY = 256 << 20


class WaymarkError(Exception):
    """An error the component returned: diagnostics, fact errors or bad JSON."""

    def __init__(self, kind, details):
        self.kind = kind
        self.details = details
        super().__init__(f"{kind}: {details}")


def _source_file(path, text):
    record = Record()
    record.path = path
    record.text = text
    return record


class Waymark:
    """One instance of the component (a store with its limits)."""

    _engine = None
    _component = None

    def __init__(self, fuel=FUEL, memory=MEMORY):
        if Waymark._component is None:
            config = Config()
            config.consume_fuel = True
            Waymark._engine = Engine(config)
            if not COMPONENT.is_file():
                raise FileNotFoundError(f"{COMPONENT}: build it with `bash scripts/component`")
            Waymark._component = Component.from_file(Waymark._engine, str(COMPONENT))
        self.fuel = fuel
        linker = Linker(Waymark._engine)
        linker.add_wasip2()
        self.store = Store(Waymark._engine)
        self.store.set_wasi(WasiConfig())  # nothing granted: no files, environment or streams
        self.store.set_limits(memory_size=memory)
        self.store.set_fuel(fuel)
        self.instance = linker.instantiate(self.store, Waymark._component)
        self._interface = self.instance.get_export_index(self.store, ENGINE_INTERFACE)
        self._funcs = {}

    def call(self, name, *args):
        """Calls an export of the engine interface with a fresh fuel budget."""
        func = self._funcs.get(name)
        if func is None:
            index = self.instance.get_export_index(self.store, name, self._interface)
            func = self._funcs[name] = self.instance.get_func(self.store, index)
        self.store.set_fuel(self.fuel)
        result = func(self.store, *args)
        func.post_return(self.store)
        return result

    def read_sources(self, base, root):
        """A ruleset file and every file it imports; the component says which."""
        files, seen, queue = [], set(), [root]
        while queue:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            file = _source_file(path, (Path(base) / path).read_text(encoding="utf-8"))
            files.append(file)
            queue.extend(self.call("imports", file))
        return files

    def compile(self, base, root):
        result = self.call("compile", self.read_sources(base, root), root)
        if isinstance(result, ResourceAny):
            return Ruleset(self, result)
        raise WaymarkError("diagnostics", [_diagnostic(d) for d in result])


def _diagnostic(d):
    where = f" ({d.file}:{d.line})" if d.file else ""
    return f"{d.severity}[{d.code}]: {d.message}{where}"


def _eval_result(result):
    # result<string, eval-error>: a str, or the eval-error variant.
    if isinstance(result, str):
        return result
    if result.tag == "bad-facts":
        raise WaymarkError("bad-facts", [(e.input, e.kind, e.message) for e in result.payload])
    raise WaymarkError(result.tag, result.payload)


def typed(value):
    """The typed form (a `value` variant) of a JSON fact."""
    if value is None or value == "unknown":
        return Variant("unknown")
    if value in ("yes", "no"):
        return Variant(value)
    if isinstance(value, bool):
        return Variant("boolean", value)
    if isinstance(value, int):
        return Variant("int", value)
    if isinstance(value, float):
        return Variant("number", repr(value))
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return Variant("date", value)
    if isinstance(value, str):
        return Variant("text", value)
    raise ValueError(f"no typed form for {value!r}")


class Ruleset:
    """A compiled ruleset inside an instance."""

    def __init__(self, waymark, handle):
        self.waymark = waymark
        self.handle = handle

    def _method(self, name, *args):
        return self.waymark.call(f"[method]ruleset.{name}", self.handle, *args)

    def id(self):
        return self._method("id")

    def version(self):
        return self._method("version")

    def hash(self):
        return self._method("hash")

    def evaluate_json(self, facts, explain=False):
        """The decision, as the JSON text the Rust engine writes."""
        return _eval_result(self._method("evaluate-json", facts, explain))

    def evaluate(self, facts, explain=False):
        """Typed facts: a dict of name to JSON value, passed as `value` variants."""
        return _eval_result(self._method("evaluate", [(k, typed(v)) for k, v in facts.items()], explain))

    def evaluate_batch_json(self, cases, explain=False):
        out = []
        for result in self._method("evaluate-batch-json", cases, explain):
            try:
                out.append(_eval_result(result))
            except WaymarkError as e:
                out.append(e)
        return out

    def with_params(self, overrides):
        """Parameter overrides: a dict of name to JSON value."""
        pairs = [(name, json.dumps(value)) for name, value in overrides.items()]
        result = self._method("with-params", pairs)
        if isinstance(result, ResourceAny):
            return Ruleset(self.waymark, result)
        raise WaymarkError("bad-params", [(e.input, e.kind, e.message) for e in result])

    def run_tests(self):
        return json.loads(self._method("run-tests"))


def main(argv):
    ruleset = argv[1] if len(argv) > 1 else "rulesets/marac/referral.wm"
    case = argv[2] if len(argv) > 2 else "examples/cases/sc02-thirteen-ticks.json"
    rules = Waymark().compile(REPO, posixpath.normpath(ruleset))
    facts = (REPO / case).read_text(encoding="utf-8")
    try:
        print(json.dumps(json.loads(rules.evaluate_json(facts, explain=True)), indent=2))
    except WaymarkError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
