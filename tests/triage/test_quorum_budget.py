"""agent.triage.quorum_budget: a disruption budget that lets evictions take a replica set below its majority.

Facts are shaped as the survey keeps them: the scan's findings (a PodDisruptionBudget with its numbers, the set's
workload short of replicas) and a client's log. Each shape uses another store and another client's wording; each
has a twin that looks the same and must name nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import quorum_budget
from agent.triage.facts import Facts, LogEvidence, Ref

_AT = datetime(2026, 9, 3, 4, 20, tzinfo=UTC)


def _pdb(name: str, members: int, healthy: int, *, max_unavailable: Any = None,
         min_available: Any = None) -> dict[str, Any]:
    pdb = {"kind": "PodDisruptionBudget", "namespace": "coord", "name": name}
    return {"check": "pdb.no_disruptions", "object": pdb,
            "details": {"min_available": min_available, "max_unavailable": max_unavailable,
                        "current_healthy": healthy, "expected_pods": members}}


def _short(name: str, members: int, ready: int) -> dict[str, Any]:
    return {"check": "workload.unavailable", "object": {"kind": "StatefulSet", "namespace": "coord", "name": name},
            "details": {"desired": members, "ready": ready}}


def _facts(message: str, *findings: dict[str, Any]) -> Facts:
    log = LogEvidence(pod="scheduler-api-7b8c9d-x2k4q", namespace="jobs", evidence_id="E7",
                      top={"message": message}, hosts=[], error_classes=set(), previous=False)
    return Facts(at=_AT, scan={"findings": list(findings)}, scan_id="E1", logs=[log])


_ETCD = '{"level":"warn","msg":"retrying of unary invoker failed","error":"rpc error: code = Unavailable desc = ' \
        'etcdserver: no leader"}'


def test_an_etcd_budget_with_min_available_one_of_three_is_the_suspect() -> None:
    facts = _facts(_ETCD, _pdb("etcd", 3, 1, min_available=1), _short("etcd", 3, 1))
    [found] = quorum_budget.found(facts)
    assert found.pdb == Ref("PodDisruptionBudget", "coord", "etcd") and found.may_lose == 2
    assert found.workload == Ref("StatefulSet", "coord", "etcd")
    message = quorum_budget.finding(found)["message"]
    assert message.startswith("PodDisruptionBudget coord/etcd (minAvailable 1) lets a drain or scale-down evict 2")
    assert "majority (2 of 3)" in message and "etcdserver: no leader" in message


def test_twin_a_budget_that_keeps_the_majority_names_nothing() -> None:
    facts = _facts(_ETCD, _pdb("etcd", 3, 1, max_unavailable=1), _short("etcd", 3, 1))
    assert quorum_budget.found(facts) == []


def test_twin_a_set_still_whole_names_nothing() -> None:
    facts = _facts(_ETCD, _pdb("etcd", 3, 3, min_available=1))
    assert quorum_budget.found(facts) == []


_ZK = "org.apache.zookeeper.KeeperException: This ZooKeeper instance is not currently serving requests"


def test_a_zookeeper_budget_as_a_percentage_of_five_is_the_suspect() -> None:
    facts = _facts(_ZK, _pdb("zk", 5, 2, max_unavailable="60%"), _short("zk", 5, 2))
    [found] = quorum_budget.found(facts)
    assert (found.members, found.may_lose, found.healthy) == (5, 3, 2)
    assert "majority (3 of 5)" in quorum_budget.finding(found)["message"]


def test_twin_clients_failing_for_another_reason_name_nothing() -> None:
    refused = "java.net.ConnectException: Connection refused (zk-0.zk.coord.svc:2181)"
    assert quorum_budget.found(_facts(refused, _pdb("zk", 5, 2, max_unavailable="60%"))) == []


def test_twin_a_two_member_set_is_no_quorum_case() -> None:
    assert quorum_budget.found(_facts(_ETCD, _pdb("pair", 2, 0, max_unavailable=1))) == []
