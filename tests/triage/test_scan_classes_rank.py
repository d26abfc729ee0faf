"""The triage puts the new scan classes' objects first, over the pod symptoms they explain.

The findings are not written by hand: the real scan runs over API-shaped objects (the same
builders as tests/scan), and its `ScanResult` is what the ranking reads, so a change in either a
check's object/details or a cause weight that would demote the cause fails here.
"""

from __future__ import annotations

from typing import Any

from agent.triage import rank, subject_of
from agent.triage.facts import Facts
from mcp_servers.kubernetes.scan import Snapshot, scan
from tests.scan.objects import NOW, event, pod
from tests.scan.test_cron_blocked import SKIP, cronjob, job, job_pod
from tests.scan.test_pod_ips import AWS, running, sandbox_event, sized_node, stuck
from tests.scan.test_topology_spread import SPREAD, api_pod, constraint, zoned
from tests.triage.test_rank import alert


def facts_of(objects: list[dict[str, Any]]) -> Facts:
    result = scan(Snapshot.from_objects(objects), NOW)
    return Facts(at=NOW, scan_id="E1", scan=result.model_dump())


def test_the_node_out_of_pod_ips_outranks_the_workload_stuck_in_container_creating() -> None:
    objs = [sized_node("ip-a", 58), sized_node("ip-c", 110), *[running(f"web-{i}", "ip-c") for i in range(3)],
            stuck("indexer-5c9-1", "ip-c"), stuck("indexer-5c9-2", "ip-c"),
            sandbox_event("indexer-5c9-1", AWS, 1), sandbox_event("indexer-5c9-2", AWS, 2)]
    for p in objs:
        if p.get("kind") == "Pod" and p["metadata"]["name"].startswith("indexer"):
            p["metadata"]["creationTimestamp"] = "2026-05-01T11:30:00Z"
    facts = facts_of(objs)
    checks = {f["check"] for f in facts.findings()}
    assert {"node.pod_ips_exhausted", "pod.mount_failed"} <= checks
    top = rank(subject_of(alert(alertname="KubeDeploymentReplicasMismatch", namespace="shop",
                                deployment="indexer-5c9")), facts)[0]
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Node", "ip-c")
    assert "max-pods" in top.cause and "failed to assign an IP address" in top.cause


def test_the_hung_job_not_the_cronjob_is_the_suspect() -> None:
    objs = [cronjob(active=["report-100"]), job("report-100"), job_pod("report-100"),
            event("CronJob", "report", "JobAlreadyActive", SKIP, type_="Normal", count=4, first=120, last=0)]
    top = rank(subject_of(alert(alertname="ReportStale", namespace="shop", job="report")), facts_of(objs))[0]
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Job", "report-100")
    assert "Forbid" in top.cause and "activeDeadlineSeconds" in top.cause


def test_the_spread_constraint_is_the_reason_given_for_the_pending_replicas() -> None:
    c, message = constraint(), SPREAD.format(n=3, m=2)
    objs = [zoned("a1", "zone-a"), zoned("b1", "zone-b"), zoned("c1", "zone-c", cordoned=True),
            api_pod("api-1", "a1", [c]), api_pod("api-2", "b1", [c]), api_pod("api-3", "a1", [c]),
            api_pod("api-4", "b1", [c]), api_pod("api-5", None, [c], message),
            event("Pod", "api-5", "FailedScheduling", message, count=5), pod("other", owner=("ReplicaSet", "x-1"))]
    top = rank(subject_of(alert(alertname="KubeDeploymentReplicasMismatch", namespace="shop",
                                replicaset="api-6d8")), facts_of(objs))[0]
    assert top.ref is not None and top.ref.name == "api-6d8" and top.check == "pod.topology_spread"
    assert "its only node c1 is cordoned" in top.cause and "maxSkew 1" in top.cause
