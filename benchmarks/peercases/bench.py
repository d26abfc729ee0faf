"""Benchmark: Vigil (runbook-only, no model) on the peer-shaped single-object cases.

Same honest counting as the held-out rounds (benchmarks/heldout2/bench_heldout.py), whose preflight
and runner this reuses: generate the bundles into a temporary directory with the answer keys apart,
check every bundle as `vigil bundle validate` does and every key for sense, then score with
`vigil eval`'s runner (top hypothesis names the culprit and at least half of the keywords).

Results go to benchmarks/results/peercases.json under a label: `first_contact` (the measurement
before any fix it prompted; never overwritten) and `after_fixes` (re-measured after the class fixes);
the third and fourth batches, written after earlier fixes, have their own `first_contact_batchN`
and `after_fixes_batchN` (each measured over the whole set, so earlier batches are re-checked too).

Run: .venv/bin/python benchmarks/peercases/bench.py [--check-only] [--jobs 2] [--label after_fixes]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "peercases.json"
if str(ROOT) not in sys.path:  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(ROOT))

from benchmarks.heldout.harness import git_head, measure, preflight  # noqa: E402
from benchmarks.peercases.generate import ROUND, generate  # noqa: E402

LABELS = ("first_contact", "after_fixes", "first_contact_batch3", "after_fixes_batch3", "first_contact_batch4",
          "after_fixes_batch4", "first_contact_batch5", "after_fixes_batch5")
"""first_contact*: measured before any fix they prompted, never overwritten; after_fixes*: re-measured."""


def fingerprint() -> str:
    """A hash of the case source: which version of the set a result belongs to."""
    return str(ROUND.fingerprint())


def run(jobs: int) -> tuple[dict[str, Any] | None, list[str]]:
    """Generate, preflight and (when clean) measure; the report section and the preflight problems."""
    import yaml

    with tempfile.TemporaryDirectory(prefix="vigil-peercases-") as tmp:
        work = Path(tmp)
        bundles = generate(work / "bundles", work / "answers")
        problems = preflight(bundles, work / "answers")
        if problems or jobs <= 0:
            return None, problems
        result = measure(bundles, work / "answers", work / "state", jobs)
        keys = {b.name: yaml.safe_load((work / "answers" / f"{b.name}.yaml").read_text()) for b in bundles}
    rows = []
    for r in result.results:
        s = r.score
        rows.append({"bundle": r.bundle, "verdict": r.verdict, "category": keys[r.bundle]["category"],
                     "culprit": "{kind} {namespace}/{name}".format(**keys[r.bundle]["culprit"]),
                     "culprit_named": s.culprit_named if s else False,
                     "keywords_found": s.keywords_found if s else [], "keywords_needed": s.keywords_needed if s else 0,
                     "runbook": r.runbook, "top": r.top, "seconds": round(r.seconds, 1), "error": r.error})
    totals = result.totals[0]
    counts = {v: totals.verdicts.get(v, 0) for v in ("right", "wrong", "red_herring", "unknown", "leak", "error")}
    return {"measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "git_head": git_head(),
            "scenarios_fingerprint": fingerprint(), "model": "runbook-only", "jobs": jobs,
            "cases": totals.cases, "verdicts": counts, "accuracy": round(totals.accuracy, 3),
            "wall_seconds": round(result.wall_seconds, 1),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}, "bundles": rows}, []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, help="cases run in parallel (default 2)")
    parser.add_argument("--check-only", action="store_true", help="generate and validate; do not measure")
    parser.add_argument("--label", choices=LABELS, default="first_contact", help="which result to record")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the result JSON lives")
    args = parser.parse_args(argv)
    report: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    if not args.check_only and args.label.startswith("first_contact") and args.label in report:
        print(f"{args.out} already holds the {args.label} result; it is measured once. Re-measure with "
              "an after_fixes label.", file=sys.stderr)
        return 2
    began = time.perf_counter()
    section, problems = run(0 if args.check_only else args.jobs)
    print(f"preflight: {'ok' if not problems else f'{len(problems)} problem(s)'} "
          f"({time.perf_counter() - began:.1f}s)")
    for p in problems:
        print(f"  {p}")
    if problems:
        return 1
    if section is None:
        return 0
    print(f"\n{'bundle':36} {'verdict':12} top hypothesis")
    for row in section["bundles"]:
        print(f"{row['bundle']:36} {row['verdict']:12} {(row['top'] or '')[:150]}")
    print("\ntotals: " + ", ".join(f"{k} {v}" for k, v in section["verdicts"].items())
          + f"; accuracy {section['accuracy']:.0%} of {section['cases']}; wall {section['wall_seconds']}s")
    report.update({"benchmark": "peercases", "command": "python benchmarks/peercases/bench.py --label LABEL",
                   args.label: section})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.label} to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
