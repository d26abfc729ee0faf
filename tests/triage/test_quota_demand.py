"""quota_demand: a replica floor raised just before the node provisioner's launches were refused for the cloud
account's quota, its workload holding most of the Pending pods (issue #12, round 43 class: a quota blocks scale-out).

Written here, not taken from the held-out bundles. Shapes: a KEDA ScaledObject's minReplicaCount raised with the
cluster-autoscaler on GCE refusing `Quota 'CPUS' exceeded`; a StatefulSet's replicas raised with a provisioner on
Azure refusing `exceeding approved Total Regional Cores quota`. Twins: refusals for capacity (not quota), refusals
that began before the write, a written workload with few of the Pending pods.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import quota_demand
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 7, 11, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=50)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def gce_lines(since: datetime) -> list[str]:
    return [f"I1007 cluster-autoscaler.go:312] {_iso(since + timedelta(minutes=m))} Failed to increase node group "
            f"gke-main-pool-2-a1b2: googleapi: Error 403: Quota 'CPUS' exceeded. Limit: 96.0 in region europe-west1."
            for m in range(0, 30, 10)]


def azure_lines(since: datetime) -> list[str]:
    return [f'{_iso(since + timedelta(minutes=m))} {{"level":"error","msg":"launch failed","err":"Operation could '
            f'not be completed as it results in exceeding approved Total Regional Cores quota."}}'
            for m in range(0, 30, 10)]


def capacity_lines(since: datetime) -> list[str]:
    return [f"{_iso(since + timedelta(minutes=m))} ERROR launching instance: InsufficientInstanceCapacity: We "
            f"currently do not have sufficient m6i.2xlarge capacity in the Availability Zone" for m in range(0, 30, 10)]


def pending(kind: str, namespace: str, name: str, count: int, total: int) -> dict[str, Any]:
    ref = {"kind": kind, "namespace": namespace, "name": name}
    return {"check": "pod.pending", "object": ref, "owner": ref, "count": count, "details": {"pods_total": total},
            "message": f"{kind} {namespace}/{name}: {count}/{total} pods Pending"}


def run(change: dict[str, Any], lines: list[str], findings: list[dict[str, Any]],
        provisioner: str = "cluster-autoscaler-7d9f8c6b5d-x2k4p") -> Facts:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1", scan={"findings": findings})
    hub = RecordingHub(lists={"Pod": [{"name": provisioner, "namespace": "kube-system"},
                                      {"name": "web-6f9c8d7b5-q8w7z", "namespace": "shop"}]},
                       logs={provisioner: lines})
    asyncio.run(quota_demand.read(Subject(names=["checkout"]), facts, hub, _iso(AT)))
    return facts


SCALED = {"at": _iso(WRITE), "type": "updated", "object": {"kind": "ScaledObject", "namespace": "reports",
                                                           "name": "report-render"},
          "summary": "ScaledObject reports/report-render written by kubectl-patch: spec.minReplicaCount",
          "diff": ["spec.minReplicaCount written by kubectl-patch (now 30)"]}
STS = {"at": _iso(WRITE), "type": "updated", "object": {"kind": "StatefulSet", "namespace": "search",
                                                        "name": "index-shard"},
       "summary": "StatefulSet search/index-shard scaled: spec.replicas 6 -> 24", "diff": ["spec.replicas 6 -> 24"]}
VICTIM = pending("Deployment", "shop", "checkout", 2, 6)


def test_a_keda_floor_raised_before_gce_cpus_quota_refusals_is_named() -> None:
    facts = run(SCALED, gce_lines(WRITE + timedelta(minutes=3)),
                [VICTIM, pending("Deployment", "reports", "report-render", 26, 30)])
    [(ref, finding, _, explains)] = quota_demand.suspects(facts)
    assert ref == Ref("ScaledObject", "reports", "report-render")
    assert Ref("Deployment", "shop", "checkout") in explains
    assert "Quota 'CPUS' exceeded" in finding["message"] and "26/30 pods Pending" in finding["message"]


def test_a_statefulset_scaled_before_azure_cores_quota_refusals_is_named() -> None:
    facts = run(STS, azure_lines(WRITE + timedelta(minutes=1)),
                [VICTIM, pending("StatefulSet", "search", "index-shard", 18, 24)], provisioner="karpenter-5c7d9-abcde")
    [(ref, finding, _, _)] = quota_demand.suspects(facts)
    assert ref == Ref("StatefulSet", "search", "index-shard") and "Regional Cores quota" in finding["message"]


def test_twin_capacity_refusals_are_not_a_quota() -> None:
    facts = run(STS, capacity_lines(WRITE + timedelta(minutes=1)),
                [VICTIM, pending("StatefulSet", "search", "index-shard", 18, 24)])
    assert quota_demand.suspects(facts) == []


def test_twin_refusals_older_than_the_write_are_not_named() -> None:
    facts = run(SCALED, gce_lines(WRITE - timedelta(minutes=40)),
                [VICTIM, pending("Deployment", "reports", "report-render", 26, 30)])
    assert quota_demand.suspects(facts) == []


def test_twin_a_written_workload_with_few_of_the_pending_pods_is_not_named() -> None:
    facts = run(SCALED, gce_lines(WRITE + timedelta(minutes=3)),
                [pending("Deployment", "shop", "checkout", 12, 12), pending("Deployment", "reports", "report-render",
                                                                              2, 30)])
    assert quota_demand.suspects(facts) == []
