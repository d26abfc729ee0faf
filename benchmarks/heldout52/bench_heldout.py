"""Benchmark: Vigil's first contact with round 52 of the held-out set (runbook-only, no model).

Writes benchmarks/results/heldout52.json, once per round (the procedure and the measure-once rule:
benchmarks/heldout/harness.py). Run: .venv/bin/python benchmarks/heldout52/bench_heldout.py [--check-only]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(ROOT))

from benchmarks.heldout import harness  # noqa: E402
from benchmarks.heldout52.generate import ROUND  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    return int(harness.bench_main(ROUND, __doc__, argv))


if __name__ == "__main__":
    raise SystemExit(main())
