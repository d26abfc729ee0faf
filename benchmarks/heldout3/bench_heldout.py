"""Benchmark: Vigil's first contact with round 3 of the held-out incident set (runbook-only, no model).

Same procedure as every round (benchmarks/heldout/harness.py): generate the bundles into a
temporary directory with the answer keys apart, check every bundle as `vigil bundle validate` does
and every key for sense, and only then run `vigil eval`'s runner. Writes
benchmarks/results/heldout3.json.

Measured once per round: the script refuses to overwrite a result for the same scenarios unless
--remeasure is given, and records the scenario fingerprint it measured.

Run: .venv/bin/python benchmarks/heldout3/bench_heldout.py [--check-only] [--jobs 2] [--remeasure]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(ROOT))

from benchmarks.heldout import harness  # noqa: E402
from benchmarks.heldout3.generate import ROUND  # noqa: E402

RESULTS: Path = ROUND.results
preflight = harness.preflight
measure = harness.measure
git_head = harness.git_head


def fingerprint() -> str:
    """A hash of the round-3 scenario source: which version of the set a result belongs to."""
    return str(ROUND.fingerprint())


def main(argv: list[str] | None = None) -> int:
    return int(harness.bench_main(ROUND, __doc__, argv))


if __name__ == "__main__":
    raise SystemExit(main())
