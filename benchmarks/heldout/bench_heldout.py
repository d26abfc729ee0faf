"""Benchmark: Vigil's first contact with the held-out incident set (runbook-only, no model).

Generates the held-out bundles into a temporary directory (answer keys apart), checks every bundle
the way `vigil bundle validate` does and every answer key for sense (its keywords are in its own
root cause, its canaries are really planted in the bundle), and only then runs `vigil eval`'s
runner on them. Prints each bundle's verdict and the totals, and writes
benchmarks/results/heldout.json. The procedure is the rounds' shared harness (harness.py, next to
this file); this file only names round 1.

The set is measured once per round: results are the figure for scenarios nobody tuned on, so
re-running after looking at them (and changing Vigil to fit) turns the set into a second
development corpus. The script therefore refuses to overwrite an existing result for the same
scenarios unless --remeasure is given, and records the scenario fingerprint it measured.

Run: .venv/bin/python benchmarks/heldout/bench_heldout.py [--check-only] [--jobs 2] [--remeasure]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(ROOT))

from benchmarks.heldout import harness  # noqa: E402
from benchmarks.heldout.generate import ROUND  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Generate, preflight and (unless --check-only) measure round 1 once: the shared harness's CLI."""
    return int(harness.bench_main(ROUND, __doc__, argv))


if __name__ == "__main__":
    raise SystemExit(main())
