"""Benchmark: Vigil's first contact with round 2 of the held-out incident set (runbook-only, no model).

Same procedure as round 1 (benchmarks/heldout/bench_heldout.py), whose preflight and runner this
reuses: generate the bundles into a temporary directory with the answer keys apart, check every
bundle as `vigil bundle validate` does and every key for sense, and only then run `vigil eval`'s
runner. Writes benchmarks/results/heldout2.json.

Measured once per round: the script refuses to overwrite a result for the same scenarios unless
--remeasure is given, and records the scenario fingerprint it measured.

Run: .venv/bin/python benchmarks/heldout2/bench_heldout.py [--check-only] [--jobs 2] [--remeasure]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "heldout2.json"
for path in (ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from generate import generate  # noqa: E402


def _round1() -> ModuleType:
    """Round 1's harness (preflight, measure, git_head), loaded by path: both rounds name it bench_heldout."""
    name = "heldout_round1_bench"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout" / "bench_heldout.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_r1 = _round1()
preflight = _r1.preflight
measure = _r1.measure
git_head = _r1.git_head


def fingerprint() -> str:
    """A hash of the round-2 scenario source: which version of the set a result belongs to."""
    return hashlib.sha256((HERE / "scenarios.py").read_bytes()).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, help="cases run in parallel (default 2)")
    parser.add_argument("--check-only", action="store_true", help="generate and validate; do not measure")
    parser.add_argument("--remeasure", action="store_true",
                        help="overwrite an existing result for the same scenarios (a new round)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the result JSON")
    args = parser.parse_args(argv)
    import yaml

    fp = fingerprint()
    if not args.check_only and args.out.exists() and not args.remeasure:
        previous = json.loads(args.out.read_text())
        if previous.get("scenarios_fingerprint") == fp:
            print(f"{args.out} already holds the first-contact result for these scenarios ({fp}); the held-out set "
                  "is measured once per round. Pass --remeasure to start a new round.", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="vigil-heldout2-") as tmp:
        work = Path(tmp)
        began = time.perf_counter()
        bundles = generate(work / "bundles", work / "answers")
        generated_s = time.perf_counter() - began
        problems = preflight(bundles, work / "answers")
        print(f"generated {len(bundles)} bundles in {generated_s:.1f}s; preflight: "
              f"{'ok' if not problems else f'{len(problems)} problem(s)'}")
        for p in problems:
            print(f"  {p}")
        if problems:
            return 1
        if args.check_only:
            return 0
        result = measure(bundles, work / "answers", work / "state", args.jobs)
        keys = {b.name: yaml.safe_load((work / "answers" / f"{b.name}.yaml").read_text()) for b in bundles}
    rows = []
    for r in result.results:
        s = r.score
        rows.append({"bundle": r.bundle, "verdict": r.verdict, "answer": s.answer if s else None,
                     "category": keys[r.bundle]["category"],
                     "culprit": "{kind} {namespace}/{name}".format(**keys[r.bundle]["culprit"]),
                     "culprit_named": s.culprit_named if s else False,
                     "keywords_found": s.keywords_found if s else [], "keywords_needed": s.keywords_needed if s else 0,
                     "red_herrings_named": s.red_herrings_named if s else [], "runbook": r.runbook, "top": r.top,
                     "seconds": round(r.seconds, 1), "error": r.error})
    totals = result.totals[0]
    print(f"\n{'bundle':34} {'verdict':12} top hypothesis")
    for row in rows:
        print(f"{row['bundle']:34} {row['verdict']:12} {row['top'][:150]}")
    counts = {v: totals.verdicts.get(v, 0) for v in ("right", "wrong", "red_herring", "unknown", "leak", "error")}
    print("\ntotals: " + ", ".join(f"{k} {v}" for k, v in counts.items())
          + f"; accuracy {totals.accuracy:.0%} of {totals.cases}; wall {result.wall_seconds:.1f}s")
    report = {
        "benchmark": "heldout2", "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_head": git_head(), "scenarios_fingerprint": fp, "model": "runbook-only", "jobs": args.jobs,
        "command": "python benchmarks/heldout2/bench_heldout.py", "cases": totals.cases, "verdicts": counts,
        "accuracy": round(totals.accuracy, 3), "wall_seconds": round(result.wall_seconds, 1),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}, "bundles": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
