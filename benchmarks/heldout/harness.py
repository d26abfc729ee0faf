"""The held-out rounds' shared harness: generate a round's bundles, check them, measure them once.

Every round (benchmarks/heldout2/, benchmarks/heldout3/, ...) is a scenario module plus a result
file; the procedure is the same for all, so it lives here once and each round's generate.py and
bench_heldout.py are thin wrappers that name their `Round`.

Every round's scenario module is a file called scenarios.py; importing them all as `scenarios`
would let one round silently shadow another (the first import wins in sys.modules). `Round` loads
its module from its path under a name of its own (`heldout3_scenarios`), so two rounds can be
built in one process and each gets its own incidents.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
for _path in (ROOT, EXAMPLES):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

RESULTS_DIR = ROOT / "benchmarks" / "results"


def load_module(path: Path, name: str) -> ModuleType:
    """Import the file at `path` as module `name` (once): rounds' same-named files never shadow each other."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


@dataclass(frozen=True)
class Round:
    """One held-out round: its directory, the name it is recorded under and the files its fingerprint covers."""

    name: str
    """heldout2, heldout3: the benchmark name in the result, the temp-dir prefix and the module prefix."""
    directory: Path
    fingerprinted: tuple[str, ...] = ("scenarios.py",)
    """Files (relative to `directory`) whose bytes say which version of the set a result belongs to."""
    results: Path = field(default=Path())

    def __post_init__(self) -> None:
        if self.results == Path():
            object.__setattr__(self, "results", RESULTS_DIR / f"{self.name}.json")

    @property
    def command(self) -> str:
        return f"python {self.directory.relative_to(ROOT)}/bench_heldout.py"

    def builders(self) -> list[Callable[[], Any]]:
        """The round's scenario functions (its module's ALL), loaded under the round's own module name."""
        module = load_module(self.directory / "scenarios.py", f"{self.name}_scenarios")
        return list(module.ALL)

    def fingerprint(self) -> str:
        """A hash of the round's scenario sources: which version of the set a result belongs to."""
        digest = hashlib.sha256()
        for name in self.fingerprinted:
            digest.update((self.directory / name).read_bytes())
        return digest.hexdigest()[:16]


# ---- generate ----------------------------------------------------------------------------------
def scenario_names(rnd: Round) -> list[str]:
    return [build().name for build in rnd.builders()]


def generate(rnd: Round, out: Path, answers: Path, only: list[str] | None = None) -> list[Path]:
    """Build every scenario of `rnd` (or those named in `only`) into `out`, keys into `answers`; the bundle paths."""
    from corpus.generate import write_bundle

    if answers.resolve().is_relative_to(out.resolve()):
        raise ValueError("--answers must be outside --out: the bundles must not carry their answers")
    out.mkdir(parents=True, exist_ok=True)
    built = [build() for build in rnd.builders()]
    known = [inc.name for inc in built]
    unknown = [n for n in only or [] if n not in known]
    if unknown:
        raise ValueError(f"--only: unknown scenario(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [write_bundle(inc, out, answers) for inc in built if not only or inc.name in only]


def generate_main(rnd: Round, doc: str | None, argv: list[str] | None = None) -> int:
    """The CLI of a round's generate.py: --out DIR --answers DIR [--only NAME ...]."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="directory to write one bundle per scenario into")
    parser.add_argument("--answers", required=True, help="directory for the answer keys (<bundle>.yaml)")
    parser.add_argument("--only", nargs="+", action="extend", default=[], metavar="NAME",
                        help="write only these bundles")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        paths = generate(rnd, Path(args.out), Path(args.answers), args.only)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"wrote {len(paths)} bundles to {args.out} in {time.perf_counter() - began:.1f}s")
    return 0


# ---- check and measure -------------------------------------------------------------------------
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
    """`vigil eval`'s runner over the bundles, runbook-only (no model), progress on stderr."""
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


def _rows(result: Any, keys: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
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
    return rows


def bench_main(rnd: Round, doc: str | None, argv: list[str] | None = None) -> int:
    """The CLI of a round's bench_heldout.py: build, preflight, and (unless --check-only) measure once."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, help="cases run in parallel (default 2)")
    parser.add_argument("--check-only", action="store_true", help="generate and validate; do not measure")
    parser.add_argument("--remeasure", action="store_true",
                        help="overwrite an existing result for the same scenarios (a new round)")
    parser.add_argument("--out", type=Path, default=rnd.results, help="where to write the result JSON")
    args = parser.parse_args(argv)
    import yaml

    fp = rnd.fingerprint()
    if not args.check_only and args.out.exists() and not args.remeasure:
        previous = json.loads(args.out.read_text())
        if previous.get("scenarios_fingerprint") == fp:
            print(f"{args.out} already holds the first-contact result for these scenarios ({fp}); the held-out set "
                  "is measured once per round. Pass --remeasure to start a new round.", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix=f"vigil-{rnd.name}-") as tmp:
        work = Path(tmp)
        began = time.perf_counter()
        bundles = generate(rnd, work / "bundles", work / "answers")
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
    rows = _rows(result, keys)
    totals = result.totals[0]
    print(f"\n{'bundle':34} {'verdict':12} top hypothesis")
    for row in rows:
        print(f"{row['bundle']:34} {row['verdict']:12} {row['top'][:150]}")
    counts = {v: totals.verdicts.get(v, 0) for v in ("right", "wrong", "red_herring", "unknown", "leak", "error")}
    print("\ntotals: " + ", ".join(f"{k} {v}" for k, v in counts.items())
          + f"; accuracy {totals.accuracy:.0%} of {totals.cases}; wall {result.wall_seconds:.1f}s")
    report = {
        "benchmark": rnd.name, "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_head": git_head(), "scenarios_fingerprint": fp, "model": "runbook-only", "jobs": args.jobs,
        "command": rnd.command, "cases": totals.cases, "verdicts": counts,
        "accuracy": round(totals.accuracy, 3), "wall_seconds": round(result.wall_seconds, 1),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}, "bundles": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0
