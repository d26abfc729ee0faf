"""Runbook-only investigations name the root cause across the incident corpus, end to end.

Real components all the way: examples/corpus/generate.py writes 30+ bundles (logs in JSON, logfmt,
Envoy and nginx access logs, Go/gRPC, Java, Python and Node traces; alerts from Alertmanager,
PagerDuty and plain questions; 30+ healthy background pods, a red herring and secret canaries in
each), `vigil eval`'s runner serves each one with the replay API server (and Debian's Prometheus
when the bundle has metrics), investigates it blind to its answer key, and scores the report.

The corpus is the team's development set, so this guards against regressions; how Vigil does on
incidents nobody on the team wrote is measured outside the repository, each round.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.config import Config
from agent.eval.runner import expand_bundles, run_eval

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "examples" / "corpus" / "generate.py"

MIN_ACCURACY = 0.8
"""The floor for runbook-only mode on the development corpus (measured: see docs/eval.md)."""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not GENERATOR.exists(), reason="no corpus generator"),
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package"),
]


def test_runbook_only_mode_on_the_corpus(tmp_path: Path) -> None:
    bundles, answers = tmp_path / "corpus", tmp_path / "answers"
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(bundles), "--answers", str(answers)],
                   check=True, capture_output=True, cwd=ROOT, timeout=300)
    result = run_eval(expand_bundles([bundles]), ["runbook-only"], Config(state_dir=tmp_path / "state"),
                      answers_dir=answers, jobs=2)
    [total] = result.totals
    wrong = {r.bundle: (r.verdict, (r.top or r.error or "")[:200]) for r in result.results if r.verdict != "right"}
    assert total.cases >= 30
    assert total.verdicts.get("leak", 0) == 0, wrong
    assert total.verdicts.get("error", 0) == 0, wrong
    assert total.verdicts.get("red_herring", 0) == 0, wrong
    assert total.accuracy >= MIN_ACCURACY, f"accuracy {total.accuracy:.2f}; not right: {wrong}"
