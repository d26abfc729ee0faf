"""Benchmark: Vigil's first contact with the held-out incident set (runbook-only, no model).

Generates the held-out bundles into a temporary directory (answer keys apart), checks every bundle
the way `vigil bundle validate` does and every answer key for sense (its keywords are in its own
root cause, its canaries are really planted in the bundle), and only then runs `vigil eval`'s
runner on them. Prints each bundle's verdict and the totals, and writes
benchmarks/results/heldout.json.

The set is measured once per round: results are the figure for scenarios nobody tuned on, so
re-running after looking at them (and changing Vigil to fit) turns the set into a second
development corpus. The script therefore refuses to overwrite an existing result for the same
scenarios unless --remeasure is given, and records the scenario fingerprint it measured.

Run: .venv/bin/python benchmarks/heldout/bench_heldout.py [--check-only] [--jobs 2] [--remeasure]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "heldout.json"
for path in (ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from generate import generate  # noqa: E402


def fingerprint() -> str:
    """A hash of the scenario sources: which version of the set a result belongs to."""
    digest = hashlib.sha256()
    for name in ("scenarios.py", "_kit.py"):
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()[:16]


def preflight(bundles: list[Path], answers: Path) -> list[str]:
    """Every problem that makes a bundle or its key unfit to measure; empty when all are fit."""
    import yaml

    from agent.eval.score import canary_forms
    from mcp_servers.common.bundle import Bundle, BundleError, validate_bundle

    problems: list[str] = []
    for root in bundles:
        errors = [p for p in validate_bundle(root) if p.severity == "error"]
        problems.extend(f"{root.name}: {p}" for p in errors)
        try:
            Bundle.load(root)
        except BundleError as exc:
            problems.append(f"{root.name}: Bundle.load failed: {exc}")
        key = yaml.safe_load((answers / f"{root.name}.yaml").read_text())
        cause = key["root_cause"].lower()
        problems.extend(f"{root.name}: keyword {k!r} is not in the key's own root_cause"
                        for k in key["keywords"] if k.lower() not in cause)
        blob = b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())
        problems.extend(f"{root.name}: canary {c[:6]}... is not planted anywhere in the bundle"
                        for c in key["secret_canaries"] if not any(f in blob for f in canary_forms(c)))
        if (root / "expected.yaml").exists():
            problems.append(f"{root.name}: carries expected.yaml; answers must stay outside the bundle")
    return problems


def measure(bundles: list[Path], answers: Path, state: Path, jobs: int) -> Any:
    from agent.config import Config
    from agent.eval.runner import expand_bundles, run_eval

    def progress(r: Any) -> None:
        print(f"  {r.bundle}: {r.verdict} in {r.seconds:.1f}s", file=sys.stderr, flush=True)

    found = expand_bundles([bundles[0].parent])
    return run_eval(found, ["runbook-only"], Config(state_dir=state), answers_dir=answers, jobs=jobs,
                    on_result=progress)


def git_head() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


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
    with tempfile.TemporaryDirectory(prefix="vigil-heldout-") as tmp:
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
        "benchmark": "heldout", "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_head": git_head(), "scenarios_fingerprint": fp, "model": "runbook-only", "jobs": args.jobs,
        "command": "python benchmarks/heldout/bench_heldout.py", "cases": totals.cases, "verdicts": counts,
        "accuracy": round(totals.accuracy, 3), "wall_seconds": round(result.wall_seconds, 1),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}, "bundles": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
