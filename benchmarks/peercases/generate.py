"""Write the peer-shaped single-object cases: one bundle directory per case, answer keys kept apart.

Usage: python benchmarks/peercases/generate.py --out DIR --answers DIR [--only NAME ...]

The bundles are written by the corpus generator's own writer (examples/corpus/generate.py), so they
have the corpus's layout; answers must go outside --out (nothing investigated may read its answer).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(ROOT))

from benchmarks.heldout import harness  # noqa: E402

ROUND = harness.Round("peercases", HERE)
"""The cases are built like a held-out round (the shared harness), under their own module name."""


def generate(out: Path, answers: Path, only: list[str] | None = None) -> list[Path]:
    """Build every case (or those named in `only`) into `out`, keys into `answers`; the bundle paths."""
    return list(harness.generate(ROUND, out, answers, only))


def main(argv: list[str] | None = None) -> int:
    return int(harness.generate_main(ROUND, __doc__, argv))


if __name__ == "__main__":
    raise SystemExit(main())
