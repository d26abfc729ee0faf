"""Write round 4 of the held-out incident set: one bundle directory per scenario, answer keys kept apart.

Usage: python benchmarks/heldout4/generate.py --out DIR --answers DIR [--only NAME ...]

The procedure is the rounds' shared harness (benchmarks/heldout/harness.py): the corpus generator's
own writer, answers outside --out. This file only names the round; the scenarios are loaded as
`heldout4_scenarios`, so they never shadow another round's `scenarios`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def _harness() -> ModuleType:
    """The shared harness, loaded by path: round 1's directory holds same-named modules we must not import."""
    name = "heldout_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE.parent / "heldout" / "harness.py")
        assert spec is not None and spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


harness = _harness()
ROUND = harness.Round("heldout4", HERE)


def scenario_names() -> list[str]:
    return list(harness.scenario_names(ROUND))


def generate(out: Path, answers: Path, only: list[str] | None = None) -> list[Path]:
    """Build every scenario (or those named in `only`) into `out`, keys into `answers`; the bundle paths."""
    return list(harness.generate(ROUND, out, answers, only))


def main(argv: list[str] | None = None) -> int:
    return int(harness.generate_main(ROUND, __doc__, argv))


if __name__ == "__main__":
    raise SystemExit(main())
