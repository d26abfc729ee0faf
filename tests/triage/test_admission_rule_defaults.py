"""admission_rule: a LimitRange default written shortly before, which a ResourceQuota's refusal shows every pod now
asks (the pods state no request of their own), is the rule that changed, not the quota nor the workload.

Shapes: a Deployment whose containers state no memory request, refused `requests.memory` after a LimitRange's
defaultRequest went to 2Gi; a two-container Job refused the bare `cpu` quota resource after a LimitRange's `default`
(which the API copies into the request) went to 500m. Twins: containers that state their own request, a LimitRange
written weeks ago, a default that is not what each pod asks, a refused workload that was not read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import admission_rule
from agent.triage.facts import Facts

AT = datetime(2026, 8, 2, 23, 40, tzinfo=UTC)
MEMORY = ('Error creating: pods "reports-api-5c8d7f-q2w9z" is forbidden: exceeded quota: team-budget, requested: '
          'requests.memory=2Gi, used: requests.memory=30Gi, limited: requests.memory=32Gi')
CPU = ('Error creating: pods "reindex-0-x7k2p" is forbidden: exceeded quota: batch-caps, requested: cpu=1, used: '
       'cpu=8, limited: cpu=8')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _limitrange(ns: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "LimitRange", "metadata": {"name": "container-defaults", "namespace": ns},
            "spec": {"limits": [{"type": "Container", **item}]}}


def _deployment(requests: dict[str, str] | None = None) -> dict[str, Any]:
    resources = {"requests": requests} if requests else {}
    return {"kind": "Deployment", "metadata": {"name": "reports-api", "namespace": "reports"},
            "spec": {"template": {"spec": {"containers": [{"name": "api", "resources": resources}]}}}}


def _job() -> dict[str, Any]:
    return {"kind": "Job", "metadata": {"name": "reindex", "namespace": "search"},
            "spec": {"template": {"spec": {"containers": [{"name": "indexer"}, {"name": "uploader"}]}}}}


def _facts(ns: str, owner: tuple[str, str], text: str, lr: dict[str, Any], asker: dict[str, Any] | None,
           written: datetime) -> Facts:
    first = AT - timedelta(minutes=30)
    finding = {"check": "workload.failed_create", "object": {"kind": "ReplicaSet", "namespace": ns, "name": "x"},
               "owner": {"kind": owner[0], "namespace": ns, "name": owner[1]}, "since": _iso(first), "count": 7,
               "details": {"error": text[:200]}, "evidence": [f"FailedCreate: {text[:190]}"]}
    event = {"type": "Warning", "reason": "FailedCreate", "kind": "ReplicaSet", "namespace": ns, "name": "x",
             "message": text, "count": 7, "first_seen": _iso(first)}
    write = {"at": _iso(written), "type": "custom", "object": {"kind": "LimitRange", "namespace": ns,
                                                               "name": "container-defaults"},
             "summary": "LimitRange container-defaults written", "diff": ["spec.limits written"]}
    facts = Facts(at=AT, scan={"findings": [finding]}, scan_id="E1", changes={"changes": [write]}, changes_id="E2")
    facts.reads[admission_rule.READS] = {"events": [event], "events_id": "E9", "objects": [(lr, "E10")],
                                         "askers": [(asker, "E11")] if asker else []}
    return facts


def _memory_case(asker: dict[str, Any] | None, written: datetime, default: str = "2Gi") -> Facts:
    return _facts("reports", ("Deployment", "reports-api"), MEMORY,
                  _limitrange("reports", {"defaultRequest": {"memory": default}, "default": {"memory": "4Gi"}}),
                  asker, written)


def test_a_default_request_raised_names_the_limitrange_over_the_quota() -> None:
    [hit] = admission_rule.found(_memory_case(_deployment(), AT - timedelta(hours=9)))
    assert str(hit.target) == "LimitRange reports/container-defaults"
    message = admission_rule.finding(hit, AT)["message"]
    assert "defaultRequest memory 2Gi" in message and "exceeded quota" in message and "team-budget" in message


def test_a_default_limit_copied_into_the_request_of_two_containers_names_the_limitrange() -> None:
    facts = _facts("search", ("Job", "reindex"), CPU, _limitrange("search", {"default": {"cpu": "500m"}}), _job(),
                   AT - timedelta(hours=30))
    [hit] = admission_rule.found(facts)
    assert str(hit.target) == "LimitRange search/container-defaults"
    message = admission_rule.finding(hit, AT)["message"]
    assert "default cpu 500m" in message and "indexer, uploader" in message


def test_containers_that_state_their_own_request_do_not_blame_the_default() -> None:
    assert admission_rule.found(_memory_case(_deployment({"memory": "2Gi"}), AT - timedelta(hours=9))) == []


def test_a_limitrange_written_weeks_ago_is_not_blamed() -> None:
    assert admission_rule.found(_memory_case(_deployment(), AT - timedelta(days=20))) == []


def test_a_default_that_is_not_what_each_pod_asks_is_not_blamed() -> None:
    assert admission_rule.found(_memory_case(_deployment(), AT - timedelta(hours=9), default="512Mi")) == []


def test_a_refused_workload_not_read_leaves_the_default_unnamed() -> None:
    assert admission_rule.found(_memory_case(None, AT - timedelta(hours=9))) == []
