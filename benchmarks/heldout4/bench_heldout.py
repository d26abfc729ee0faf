"""Benchmark: Vigil's first contact with round 4 of the held-out incident set (runbook-only, no model).

Same procedure as every round (benchmarks/heldout/harness.py): generate the bundles into a
temporary directory with the answer keys apart, check every bundle as `vigil bundle validate` does
and every key for sense, and only then run `vigil eval`'s runner. Writes
benchmarks/results/heldout4.json.

Measured once per round: the script refuses to overwrite a result for the same scenarios unless
--remeasure is given, and records the scenario fingerprint it measured.

Run: .venv/bin/python benchmarks/heldout4/bench_heldout.py [--check-only] [--jobs 2] [--remeasure]
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def _generate_module() -> ModuleType:
    """This round's generate.py, loaded by path under its own name: every round has a `generate` module."""
    name = "heldout4_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "generate.py")
        assert spec is not None and spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


_generate = _generate_module()
ROUND = _generate.ROUND
harness = _generate.harness

RESULTS: Path = ROUND.results
preflight = harness.preflight
measure = harness.measure
git_head = harness.git_head


def fingerprint() -> str:
    """A hash of the round-4 scenario source: which version of the set a result belongs to."""
    return str(ROUND.fingerprint())


def main(argv: list[str] | None = None) -> int:
    return int(harness.bench_main(ROUND, __doc__, argv))


if __name__ == "__main__":
    raise SystemExit(main())
