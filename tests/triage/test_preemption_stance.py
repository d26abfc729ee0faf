"""Pending pods admitted weaker than their workload's running ones, while lower pods hold the room: a PriorityClass
re-created with preemptionPolicy Never, a class whose value was lowered, an agent DaemonSet that lost its class, a
StatefulSet whose class was renamed; and the twins (a class that never preempted, nothing below the old stance, a
Pending for affinity not resources, stances mixed over time rather than split by a write)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, preemption_stance
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed

AT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
OLD = AT - timedelta(days=20)
NEW = AT - timedelta(minutes=30)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _pod(namespace: str, name: str, created: datetime, phase: str, priority: int, klass: str = "",
         policy: str = "PreemptLowerPriority") -> dict[str, Any]:
    spec: dict[str, Any] = {"priority": priority, "preemptionPolicy": policy, "containers": [{"name": "app"}]}
    if klass:
        spec["priorityClassName"] = klass
    return {"kind": "Pod", "metadata": {"name": name, "namespace": namespace, "creationTimestamp": _iso(created)},
            "spec": spec, "status": {"phase": phase}}


def _row(pod: dict[str, Any]) -> dict[str, Any]:
    meta = pod["metadata"]
    return {"name": meta["name"], "namespace": meta["namespace"], "status": pod["status"]["phase"],
            "created": meta["creationTimestamp"]}


def _klass(name: str, value: int, policy: str, created: datetime) -> dict[str, Any]:
    return {"kind": "PriorityClass", "metadata": {"name": name, "creationTimestamp": _iso(created)},
            "value": value, "preemptionPolicy": policy}


def _facts(owner: Ref, pending: list[str], said: str, changes: list[dict[str, Any]] | None = None) -> Facts:
    o = {"kind": owner.kind, "namespace": owner.namespace, "name": owner.name}
    return Facts(at=AT, scan={"findings": [
        {"check": "pod.pending", "object": o, "owner": o, "reason": "FailedScheduling",
         "message": f"{owner}: {len(pending)} pods Pending, FailedScheduling", "evidence": [said],
         "pods": pending}]}, changes={"changes": changes or []}, changes_id="E2")


def _run(pods: list[dict[str, Any]], classes: list[dict[str, Any]], facts: Facts) -> list[preemption_stance.Weakened]:
    hub = RecordingHub(objects=keyed([*pods, *classes]), lists={"pods": [_row(p) for p in pods]})
    asyncio.run(preemption_stance.read(Subject(), facts, hub, _iso(AT)))
    return preemption_stance.found(facts)


def _serving(ns: str, app: str, old: tuple[int, str, str], new: tuple[int, str, str],
             older_weak: bool = False) -> list[dict[str, Any]]:
    """Two running pods at the old stance, two Pending at the new (Deployment-style names)."""
    pods = [_pod(ns, f"{app}-7d9f8c6b5-b{i + 2}x2q", OLD + timedelta(minutes=i), "Running", *old) for i in range(2)]
    pods += [_pod(ns, f"{app}-7d9f8c6b5-p{i + 4}k7w", NEW, "Pending", *new) for i in range(2)]
    if older_weak:
        pods.append(_pod(ns, f"{app}-7d9f8c6b5-zz9k2", OLD - timedelta(days=1), "Running", *new))
    return pods


def _batch(ns: str, priority: int, klass: str) -> list[dict[str, Any]]:
    return [_pod(ns, f"reindex-5c4b7d9f6-r{i + 5}m4n", OLD, "Running", priority, klass, "Never") for i in range(3)]


NEVER_SAID = "0/6 nodes are available: 6 Insufficient memory. preemption: not eligible due to preemptionPolicy=Never."
NO_VICTIMS = ("0/5 nodes are available: 5 Insufficient cpu. preemption: 0/5 nodes are available: 5 No preemption "
              "victims found for incoming pod.")


def test_class_recreated_with_never_is_named_over_the_pending_workload() -> None:
    search = Ref("Deployment", "catalog", "search-api")
    pods = _serving("catalog", "search-api", (50000, "interactive", "PreemptLowerPriority"),
                    (50000, "interactive", "Never")) + _batch("indexing", 10, "spare-capacity")
    klass = _klass("interactive", 50000, "Never", AT - timedelta(hours=10))
    found = _run(pods, [klass], _facts(search, [], NEVER_SAID))
    assert [(w.culprit, w.workload) for w in found] == [(Ref("PriorityClass", "", "interactive"), search)]
    message = preemption_stance.finding(found[0], {"pods": {}})["message"]
    assert "preemptionPolicy Never" in message and "created 10 h" in message
    assert "not eligible due to preemptionPolicy=Never" in message


def test_class_that_never_preempted_is_not_named() -> None:
    pods = _serving("catalog", "search-api", (50000, "interactive", "Never"),
                    (50000, "interactive", "Never")) + _batch("indexing", 10, "spare-capacity")
    klass = _klass("interactive", 50000, "Never", OLD - timedelta(days=5))
    assert _run(pods, [klass], _facts(Ref("Deployment", "catalog", "search-api"), [], NEVER_SAID)) == []


def test_nothing_below_the_old_stance_is_not_named() -> None:
    pods = _serving("catalog", "search-api", (50000, "interactive", "PreemptLowerPriority"),
                    (50000, "interactive", "Never")) + _batch("indexing", 90000, "platform")
    klass = _klass("interactive", 50000, "Never", AT - timedelta(hours=10))
    assert _run(pods, [klass], _facts(Ref("Deployment", "catalog", "search-api"), [], NEVER_SAID)) == []


def test_class_value_lowered_names_the_class() -> None:
    api = Ref("Deployment", "tenants", "gold-api")
    pods = _serving("tenants", "gold-api", (900000, "tenant-gold", "PreemptLowerPriority"),
                    (900, "tenant-gold", "PreemptLowerPriority")) + _batch("jobs", 100, "")
    klass = _klass("tenant-gold", 900, "PreemptLowerPriority", AT - timedelta(hours=3))
    found = _run(pods, [klass], _facts(api, [], NO_VICTIMS))
    assert [w.culprit for w in found] == [Ref("PriorityClass", "", "tenant-gold")]


def test_pending_for_affinity_alone_is_not_read() -> None:
    pods = _serving("tenants", "gold-api", (900000, "tenant-gold", "PreemptLowerPriority"),
                    (900, "tenant-gold", "PreemptLowerPriority")) + _batch("jobs", 100, "")
    said = "0/5 nodes are available: 5 node(s) didn't match Pod's node affinity/selector."
    facts = _facts(Ref("Deployment", "tenants", "gold-api"), [], said)
    hub = RecordingHub(objects=keyed(pods), lists={"pods": [_row(p) for p in pods]})
    asyncio.run(preemption_stance.read(Subject(), facts, hub, _iso(AT)))
    assert hub.calls == [] and preemption_stance.found(facts) == []


def test_agent_daemonset_that_lost_its_class_is_named() -> None:
    agent = Ref("DaemonSet", "observability", "vector-agent")
    pods = [_pod("observability", "vector-agent-h7k2p", OLD, "Running", 1000000, "node-agents"),
            _pod("observability", "vector-agent-q9w4d", NEW - timedelta(minutes=2), "Running", 0),
            _pod("observability", "vector-agent-t5x8m", NEW, "Pending", 0)]
    pods += [_pod("web", "storefront-6f7d8c9b4-k2m9q", OLD, "Running", 0)]
    change = {"at": _iso(NEW - timedelta(minutes=3)), "type": "rollout", "object": {
        "kind": "DaemonSet", "namespace": "observability", "name": "vector-agent"},
        "summary": "DaemonSet observability/vector-agent rolled out revision 5",
        "diff": ["vector image 0.40 -> 0.43", "pod priorityClassName 'node-agents' -> unset"]}
    said = "0/3 nodes are available: 1 Too many pods, 2 node(s) didn't match Pod's node affinity/selector."
    found = _run(pods, [], _facts(agent, ["vector-agent-t5x8m"], said, [change]))
    assert [(w.culprit, w.change) for w in found] == [(agent, change)]
    message = preemption_stance.finding(found[0], {"pods": {}})["message"]
    assert "dropped priorityClassName node-agents" in message and "priority 0" in message


def test_stances_mixed_over_time_are_not_a_write() -> None:
    pods = _serving("catalog", "search-api", (50000, "interactive", "PreemptLowerPriority"),
                    (0, "", "PreemptLowerPriority"), older_weak=True) + _batch("indexing", 10, "spare-capacity")
    assert _run(pods, [], _facts(Ref("Deployment", "catalog", "search-api"), [], NO_VICTIMS)) == []


def test_statefulset_class_renamed_names_the_statefulset() -> None:
    db = Ref("StatefulSet", "orders", "orders-db")
    pods = [_pod("orders", "orders-db-0", OLD, "Running", 200000, "db-high"),
            _pod("orders", "orders-db-1", OLD + timedelta(minutes=1), "Running", 200000, "db-high"),
            _pod("orders", "orders-db-2", NEW, "Pending", 1000, "db-default"), *_batch("analytics", 100, "bulk")]
    found = _run(pods, [_klass("db-default", 1000, "PreemptLowerPriority", OLD)],
                 _facts(db, ["orders-db-2"], NO_VICTIMS))
    assert [w.culprit for w in found] == [db]
    assert "db-high (now db-default)" in preemption_stance.finding(found[0], {"pods": {}})["message"]


def test_registered_with_the_behind_links() -> None:
    assert preemption_stance in behind.MODULES and behind.WEIGHTS[preemption_stance.CHECK] == preemption_stance.WEIGHT
