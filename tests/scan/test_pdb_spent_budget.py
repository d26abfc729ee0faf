"""Why a PodDisruptionBudget allows no disruption is said as the disruption controller's numbers mean it: with every
pod healthy the budget itself forbids it ("by configuration"); with pods already down and the rest at what it
requires, the budget is spent by them, which is not configuration (three etcd members, maxUnavailable 2, two
evicted: the third must stay, and calling that "by configuration" hides that the quorum is gone); below what it
requires, too few pods are healthy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mcp_servers.kubernetes.scan import Snapshot
from mcp_servers.kubernetes.scan.checks import policy

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _pdb(spec: dict[str, Any], healthy: int, desired: int, expected: int) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "members", "namespace": "coord"},
            "spec": {**spec, "selector": {"matchLabels": {"app": "etcd"}}},
            "status": {"disruptionsAllowed": 0, "currentHealthy": healthy, "desiredHealthy": desired,
                       "expectedPods": expected}}


def _finding(pdb: dict[str, Any]) -> Any:
    [f] = [f for f in policy.run(Snapshot.from_objects([pdb]), NOW) if f.check == "pdb.no_disruptions"]
    return f


def test_a_budget_spent_by_pods_already_down_is_not_called_configuration() -> None:
    spent = _finding(_pdb({"maxUnavailable": 2}, healthy=1, desired=1, expected=3))
    assert "by configuration" not in spent.message and not spent.details["by_configuration"]
    assert "budget spent: 2 of 3 pods already unavailable, 1 must stay" in spent.message
    percent = _finding(_pdb({"minAvailable": "50%"}, healthy=2, desired=2, expected=4))
    assert "budget spent: 2 of 4 pods already unavailable, 2 must stay" in percent.message


def test_a_budget_that_forbids_disruption_with_every_pod_healthy_is_configuration() -> None:
    zero = _finding(_pdb({"maxUnavailable": 0}, healthy=3, desired=3, expected=3))
    assert "(by configuration)" in zero.message and zero.details["by_configuration"] and zero.severity == "warning"
    short = _finding(_pdb({"minAvailable": 3}, healthy=2, desired=3, expected=3))
    assert "only 2/3 pods healthy, 3 required" in short.message and short.severity == "critical"
