"""Investigate bundles written from test scenarios blind, in runbook-only mode, as `vigil eval` does.

The end-to-end triage tests write their own incidents with the corpus generator's writer (answer keys
kept apart from the bundles), then score them through the same runner `vigil eval` uses, so a test
asserts what an on-call engineer would read, not an internal value.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from agent.config import Config
from agent.eval.runner import expand_bundles, run_eval

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus.generate import write_bundle  # noqa: E402


def investigate_blind(builders: Iterable[Callable[[], Any]], tmp: Path, jobs: int = 2) -> dict[str, Any]:
    """Write each builder's incident under `tmp`, investigate every bundle and return bundle name -> result."""
    bundles, answers = tmp / "bundles", tmp / "answers"
    for build in builders:
        write_bundle(build(), bundles, answers)
    result = run_eval(expand_bundles([bundles]), ["runbook-only"], Config(state_dir=tmp / "state"),
                      answers_dir=answers, jobs=jobs)
    return {r.bundle: r for r in result.results}
