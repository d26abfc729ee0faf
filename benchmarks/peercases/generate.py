"""Write the peer-shaped single-object cases: one bundle directory per case, answer keys kept apart.

Usage: python benchmarks/peercases/generate.py --out DIR --answers DIR [--only NAME ...]

The bundles are written by the corpus generator's own writer (examples/corpus/generate.py), so they
have the corpus's layout; answers must go outside --out (nothing investigated may read its answer).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"
for path in (EXAMPLES, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from corpus.generate import write_bundle  # noqa: E402
from corpus.kit import Incident  # noqa: E402
from scenarios import ALL  # noqa: E402


def generate(out: Path, answers: Path, only: list[str] | None = None) -> list[Path]:
    """Build every case (or those named in `only`) into `out`, keys into `answers`; the bundle paths."""
    if answers.resolve().is_relative_to(out.resolve()):
        raise ValueError("--answers must be outside --out: the bundles must not carry their answers")
    out.mkdir(parents=True, exist_ok=True)
    built: list[Incident] = [build() for build in ALL]
    known = [inc.name for inc in built]
    unknown = [n for n in only or [] if n not in known]
    if unknown:
        raise ValueError(f"--only: unknown case(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [write_bundle(inc, out, answers) for inc in built if not only or inc.name in only]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="directory to write one bundle per case into")
    parser.add_argument("--answers", required=True, help="directory for the answer keys (<bundle>.yaml)")
    parser.add_argument("--only", nargs="+", action="extend", default=[], metavar="NAME",
                        help="write only these bundles")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        paths = generate(Path(args.out), Path(args.answers), args.only)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"wrote {len(paths)} bundles to {args.out} in {time.perf_counter() - began:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
