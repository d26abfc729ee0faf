"""empty_value against programs and wordings it was not built from (issue #12: build for the class).

Round 27 gave one shape (a Go flag rendered `--pool-size=` by a chart upgrade, Go's `invalid value "" for flag`).
The class: a rollout renders a setting empty and the program refuses the empty string. Shapes here: a Python worker
whose env var turned '' (`invalid literal for int() with base 10: ''`), a Node server whose port env turned ''
(parseInt('') is NaN: `Received type number (NaN)`), a Rust CLI parsed by clap (`cannot parse integer from empty
string`), Python argparse with the value as its own argument (`['--timeout', '']`), Go's time.ParseDuration
(`invalid duration ""`) and .NET's FormatException. Twins: an emptied value whose pod fails for another reason, a
sibling workload whose name only starts with this one's refusing its own empty value, and a value that was already
empty before the rollout.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent.triage import rank, subject_of
from agent.triage.empty_value import _owns, found
from agent.triage.facts import Facts, LogEvidence
from tests.triage.test_rank import alert

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def _facts(diff: str, said: str, exception: str = "", pod: str = "billing-7d9f8c6b5-k2l4m") -> Facts:
    change: dict[str, Any] = {
        "at": "2026-09-01T11:35:00Z", "type": "rollout", "revision": 14, "related": [],
        "object": {"kind": "Deployment", "namespace": "billing", "name": "billing"},
        "summary": "Deployment billing/billing rolled out revision 14: billing image billing:5.2.0 -> billing:5.3.0",
        "diff": ["billing image billing:5.2.0 -> billing:5.3.0", diff]}
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": [change]}, changes_id="E2")
    top: dict[str, Any] = {"template": said, "example": said, "message": said, "exception": exception or None,
                           "severity": "error", "error_class": None, "count": 3, "fields": {}}
    facts.logs.append(LogEvidence(pod=pod, namespace="billing", evidence_id="E5", top=top, hosts=[],
                                  error_classes=set(), previous=True))
    return facts


SHAPES = [
    ("billing env WORKERS='4' -> WORKERS=''", "ValueError: invalid literal for int() with base 10: ''",
     "ValueError", "WORKERS"),
    ("billing env HTTP_PORT='3000' -> HTTP_PORT=''", "RangeError [ERR_SOCKET_BAD_PORT]: options.port should be >= 0 "
     "and < 65536. Received type number (NaN).", "RangeError", "HTTP_PORT"),
    ("billing args ['--workers=8', '--listen=0.0.0.0:8080'] -> ['--workers=', '--listen=0.0.0.0:8080']",
     "error: invalid value '' for '--threads <N>': cannot parse integer from empty string", "", "--workers"),
    ("billing args ['--timeout', '30'] -> ['--timeout', '']",
     "billing.py: error: argument --deadline: invalid float value: ''", "", "--timeout"),
    ("billing env CACHE_TTL='5m' -> CACHE_TTL=''", 'panic: time: invalid duration ""', "", "CACHE_TTL"),
    ("billing env Cache__Ttl='60' -> Cache__Ttl=''", "Unhandled exception. System.FormatException: Input string was "
     "not in a correct format.", "System.FormatException", "Cache__Ttl"),
]


@pytest.mark.parametrize(("diff", "said", "exception", "key"), SHAPES,
                         ids=["python-int", "node-nan", "rust-clap", "argparse-split", "go-duration", "dotnet"])
def test_a_value_rendered_empty_and_refused_is_the_cause(diff: str, said: str, exception: str, key: str) -> None:
    facts = _facts(diff, said, exception)
    [emptied] = found(facts)
    assert emptied.key == key
    top = rank(subject_of(alert(alertname="KubePodCrashLooping", namespace="billing", deployment="billing")), facts)[0]
    assert top.ref is not None and top.ref.name == "billing"
    assert "an empty value" in top.cause[:200] and key in top.cause[:120], top.cause


def test_twin_an_emptied_value_whose_pod_fails_for_another_reason_is_not_blamed() -> None:
    facts = _facts("billing env WORKERS='4' -> WORKERS=''",
                   "psycopg2.OperationalError: connection to server at \"db\" failed: Connection refused")
    assert found(facts) == []


def test_twin_a_sibling_workload_sharing_the_name_prefix_is_not_this_ones_log() -> None:
    facts = _facts("billing env WORKERS='4' -> WORKERS=''", "ValueError: invalid literal for int() with base 10: ''",
                   pod="billing-exporter-6c5d4b7f2-q9w8x")
    assert found(facts) == []
    assert _owns("billing", "billing-abc12") and _owns("billing", "billing-0")
    assert not _owns("billing", "billing-exporter-x1") and not _owns("billing", "billing-exporter-0")


def test_twin_a_value_already_empty_before_the_rollout_is_not_new() -> None:
    facts = _facts("billing env WORKERS='' -> WORKERS=''", "ValueError: invalid literal for int() with base 10: ''")
    assert found(facts) == []
