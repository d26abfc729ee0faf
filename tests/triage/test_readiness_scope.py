"""A readiness probe moved to the aggregate health endpoint, then every pod unready together
(agent.triage.readiness_scope)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import behind, readiness_scope, subject_of
from agent.triage.facts import Facts, Ref
from agent.triage.readiness_scope import STORE, found, read, suspects, widened
from tests.triage.test_rank import alert

AT = datetime(2026, 9, 18, 3, 20, tzinfo=UTC)


def _ts(minutes: float) -> str:
    return (AT - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _rollout(kind: str, ns: str, name: str, container: str, old: str, new: str, hours: int) -> dict[str, Any]:
    return {"at": _ts(hours * 60), "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 5",
            "diff": [f"{container} image reg.local/{name}:1.8 -> reg.local/{name}:1.9",
                     f"{container} readinessProbe path {old} -> {new}"]}


def _unready(pod: str, minutes: float, message: str) -> dict[str, Any]:
    return {"type": "Warning", "reason": "Unhealthy", "kind": "Pod", "name": pod, "message": message, "count": 14,
            "first_seen": _ts(minutes), "last_seen": _ts(minutes - 2)}


def _facts(change: dict[str, Any], pods: list[str], events: list[dict[str, Any]]) -> Facts:
    ns = change["object"]["namespace"]
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    facts.reads[STORE] = {ns: {"events": events, "pods": pods, "evidence": ["E7", "E8"]}}
    return facts


QUARKUS = "Readiness probe failed: HTTP probe failed with statuscode: 503"
STATEFUL = ["inventory-0", "inventory-1", "inventory-2"]


def _quarkus(old: str = "/q/health/ready", new: str = "/q/health",
             starts: tuple[float, ...] = (9, 8.5, 8)) -> Facts:
    """A Quarkus StatefulSet whose chart moved readiness up to /q/health; its Redis blinked 9 minutes ago."""
    change = _rollout("StatefulSet", "stock", "inventory", "inventory", old, new, 30)
    return _facts(change, [*STATEFUL, "inventory-sync-6f7d8c9b5-k2m4p"],
                  [_unready(p, s, QUARKUS) for p, s in zip(STATEFUL, starts, strict=True)])


GO = "Readiness probe failed: Get \"http://10.1.4.7:8080/healthz\": context deadline exceeded"
GO_PODS = ["quote-engine-5c7b9d8f6-q7w2x", "quote-engine-5c7b9d8f6-zz8bk"]


def _go(old: str = "/readyz", new: str = "/healthz") -> Facts:
    """A Go Deployment probed on /healthz (which pings its downstream pricing API) instead of /readyz."""
    change = _rollout("Deployment", "pricing", "quote-engine", "engine", old, new, 2)
    return _facts(change, GO_PODS, [_unready(p, 12, GO) for p in GO_PODS])


def test_a_probe_moved_to_the_aggregate_with_every_pod_unready_together_is_named() -> None:
    [w] = found(_quarkus())
    assert w.workload == Ref("StatefulSet", "stock", "inventory") and w.pods == STATEFUL
    assert w.evidence == ["E2", "E7", "E8"]
    [(ref, finding, _, victims)] = suspects(_go())
    assert ref == Ref("Deployment", "pricing", "quote-engine") and len(victims) == 2
    assert "/readyz" in finding["message"] and "all 2 pods" in finding["message"]


def test_a_narrowed_probe_some_pods_or_failures_apart_are_not_named() -> None:
    assert found(_quarkus(old="/q/health", new="/q/health/ready")) == []  # moved the right way
    assert found(_go(old="/healthz", new="/readyz")) == []
    assert found(_quarkus(starts=(9, 8.5, 80))) == []  # one pod's failure is an hour old: not all at once
    facts = _quarkus()
    facts.reads[STORE]["stock"]["events"] = facts.reads[STORE]["stock"]["events"][:2]
    assert found(facts) == []  # inventory-2 stayed ready: a pod's own trouble, not a shared dependency
    assert found(_quarkus(starts=(30, 29, 22))) == []  # first failures 8 min apart: not one shared blip
    assert found(_quarkus(starts=(60, 59.5, 59))) == []  # together, but long before the alert


def test_widened_reads_each_framework_s_groups() -> None:
    assert widened("/actuator/health/readiness", "/actuator/health")
    assert widened("/health/ready", "/health") and widened("/ready", "/status")
    assert not widened("/actuator/health/liveness", "/actuator/health")  # a liveness path is another class
    assert not widened("/healthz", "/healthz/deep") and not widened("/readyz", "/readyz")


def test_read_asks_only_when_a_probe_was_widened_and_the_hook_is_registered() -> None:
    asked: list[tuple[str, dict[str, Any]]] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, arguments))
        if tool == "k8s_events":
            return ToolOutcome("E7", tool, arguments, True, "", data={"events": [_unready(p, 12, GO)
                                                                                 for p in GO_PODS]})
        return ToolOutcome("E8", tool, arguments, True, "", data={"rows": [{"name": p} for p in GO_PODS]})

    subject = subject_of(alert(alertname="QuotesErrors", namespace="web", service="quotes-web"))
    facts = _go()
    del facts.reads[STORE]
    asyncio.run(read(subject, facts, call, _ts(0)))
    assert [t for t, _ in asked] == ["k8s_events", "k8s_list"] and len(found(facts)) == 1
    asked.clear()
    quiet = _go(old="/healthz", new="/readyz")
    del quiet.reads[STORE]
    asyncio.run(read(subject, quiet, call, _ts(0)))
    assert asked == []
    assert readiness_scope in behind.MODULES and behind.WEIGHTS[readiness_scope.CHECK] == readiness_scope.WEIGHT
