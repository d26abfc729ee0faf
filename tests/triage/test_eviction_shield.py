"""A newcomer far over its memory request, shielded by its priority, while the kubelet evicts others
(agent.triage.eviction_shield).

Shapes: a hand-run Job's pod asking 1Gi under a 16Gi limit at a batch PriorityClass, grown to 9Gi, while
priority-0 web pods are evicted; a StatefulSet's pod that states no memory request at all at priority 1000000 while
priority-100 pods are evicted. Twins: the grower at the victims' priority (the kubelet evicts it first), a grower
within its request, one that has run for days, no victims read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import eviction_shield as e
from agent.triage.facts import Ref

PRESSURE = datetime(2026, 9, 3, 2, 10, tzinfo=UTC)
GI = 2.0 ** 30
NODE = "worker-7"


def pod(name: str, ns: str, priority: int | None, request: str | None, limit: str | None, started: datetime,
        owner: tuple[str, str] | None = None, cls: str = "") -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if request:
        resources["requests"] = {"memory": request}
    if limit:
        resources["limits"] = {"memory": limit}
    meta: dict[str, Any] = {"name": name, "namespace": ns, "creationTimestamp": started.isoformat()}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1]}]
    spec: dict[str, Any] = {"containers": [{"name": "main", "resources": resources}], "nodeName": NODE}
    if priority is not None:
        spec["priority"] = priority
    if cls:
        spec["priorityClassName"] = cls
    return {"kind": "Pod", "metadata": meta, "spec": spec}


WEB = [pod("storefront-7f9c8d6b5-abcde", "web", None, "300Mi", "1Gi", PRESSURE - timedelta(days=4))]
WEB_REFS = [Ref("Deployment", "web", "storefront")]
JOB = pod("reprice-catalog-x8k2q", "batch", 5000, "1Gi", "16Gi", PRESSURE - timedelta(minutes=70),
          ("Job", "reprice-catalog"), "batch-high")


def test_a_job_over_its_request_at_a_higher_priority_is_named_over_the_evictions() -> None:
    hit = e.judge(JOB, 9 * GI, WEB, NODE, PRESSURE, WEB_REFS)
    assert hit is not None and str(hit.owner) == "Job batch/reprice-catalog"
    message = e.finding(hit, PRESSURE + timedelta(minutes=5))["message"]
    assert "requests 1Gi" in message and "16Gi" in message and "PriorityClass batch-high" in message
    assert "Deployment web/storefront (priority 0)" in message


def test_a_statefulset_pod_without_any_request_is_named() -> None:
    etl = pod("etl-worker-0", "data", 1000000, None, None, PRESSURE - timedelta(hours=5), ("StatefulSet", "etl-worker"))
    victims = [pod("checkout-5d8f7c9b6-qwert", "shop", 100, "512Mi", None, PRESSURE - timedelta(days=9))]
    hit = e.judge(etl, 6 * GI, victims, NODE, PRESSURE, [Ref("Deployment", "shop", "checkout")])
    assert hit is not None and str(hit.owner) == "StatefulSet data/etl-worker" and hit.request == "none"


def test_a_grower_at_the_victims_priority_is_not_named() -> None:
    same = pod("reprice-catalog-x8k2q", "batch", 0, "1Gi", "16Gi", PRESSURE - timedelta(minutes=70),
               ("Job", "reprice-catalog"))
    assert e.judge(same, 9 * GI, WEB, NODE, PRESSURE, WEB_REFS) is None


def test_a_grower_within_its_request_is_not_named() -> None:
    sized = pod("reprice-catalog-x8k2q", "batch", 5000, "8Gi", "16Gi", PRESSURE - timedelta(minutes=70),
                ("Job", "reprice-catalog"))
    assert e.judge(sized, 9 * GI, WEB, NODE, PRESSURE, WEB_REFS) is None


def test_a_resident_of_days_or_no_victims_is_not_named() -> None:
    old = pod("reprice-catalog-x8k2q", "batch", 5000, "1Gi", "16Gi", PRESSURE - timedelta(days=3),
              ("Job", "reprice-catalog"))
    assert e.judge(old, 9 * GI, WEB, NODE, PRESSURE, WEB_REFS) is None
    assert e.judge(JOB, 9 * GI, [], NODE, PRESSURE, []) is None


def test_the_check_is_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert e in behind.MODULES and behind.WEIGHTS[e.CHECK] == e.WEIGHT
