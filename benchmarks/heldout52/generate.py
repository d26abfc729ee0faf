"""Write round 52 of the held-out incident set: one bundle directory per scenario, answer keys kept apart.

Usage: python benchmarks/heldout52/generate.py --out DIR --answers DIR [--only NAME ...]

The procedure is the rounds' shared harness (benchmarks/heldout/harness.py): the corpus generator's
own writer, answers outside --out. This file only names the round; the scenarios are loaded as
`heldout52_scenarios`, so they never shadow another round's `scenarios`.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(ROOT))

from benchmarks.heldout import harness  # noqa: E402

ROUND = harness.Round("heldout52", HERE)


def scenario_names() -> list[str]:
    return list(harness.scenario_names(ROUND))


def generate(out: Path, answers: Path, only: list[str] | None = None) -> list[Path]:
    """Build every scenario (or those named in `only`) into `out`, keys into `answers`; the bundle paths."""
    return list(harness.generate(ROUND, out, answers, only))


def main(argv: list[str] | None = None) -> int:
    return int(harness.generate_main(ROUND, __doc__, argv))


if __name__ == "__main__":
    raise SystemExit(main())
