"""agent.triage.queue_quota: a batch admission queue's quota written below what a named workload asks.

Shapes: a Kueue ClusterQueue whose GPU nominalQuota was cut to 8 while a training CronJob's run asks 16 (the newer
Kueue wording, `previously considered podsets requests (0) + current podset request (16) > maximum capacity (8)`),
reached through its LocalQueue; a Volcano Queue whose cpu capability was cut to 16 while an ETL PodGroup needs 32
(`queue resource quota insufficient`, the request from the PodGroup's minResources). Twins: a quota above the
request, a queue written three days ago, a workload the incident does not name, a queue that is not the record's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import queue_quota as qq
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 24, 7, 10, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def change(kind: str, ns: str, name: str, hours: float, kind_of: str, diff: list[str]) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(hours=hours)), "type": kind_of, "object": {"kind": kind, "namespace": ns,
                                                                                 "name": name},
            "summary": f"{kind} {name} written by kubectl-patch", "diff": diff,
            "manager": "kubectl-patch"}


def run(hub: RecordingHub, changes: list[dict[str, Any]], subject: Subject) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    facts.history.append(({"changes": changes, "window": "7d"}, "C2"))
    asyncio.run(qq.read(subject, facts, hub, iso(AT)))
    return facts


GPU_SAID = ("couldn't assign flavors to pod set trainer: insufficient quota for nvidia.com/gpu in flavor a100, "
            "previously considered podsets requests (0) + current podset request (16) > maximum capacity (8)")


def kueue_hub(quota: str) -> RecordingHub:
    cq = {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ClusterQueue", "metadata": {"name": "research-gpus"},
          "spec": {"resourceGroups": [{"coveredResources": ["nvidia.com/gpu"], "flavors": [
              {"name": "a100", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": quota}]}]}]}}
    lq = {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "LocalQueue",
          "metadata": {"name": "team-vision", "namespace": "research"}, "spec": {"clusterQueue": "research-gpus"}}
    wl = {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "Workload",
          "metadata": {"name": "job-resnet-weekly-29390400-8kq2d", "namespace": "research",
                       "ownerReferences": [{"kind": "Job", "name": "resnet-weekly-29390400", "controller": True}]},
          "spec": {"queueName": "team-vision", "podSets": [{"name": "trainer", "count": 2}]},
          "status": {"conditions": [{"type": "QuotaReserved", "status": "False", "reason": "Pending",
                                     "message": GPU_SAID}]}}
    job = {"kind": "Job", "metadata": {"name": "resnet-weekly-29390400", "namespace": "research",
                                       "ownerReferences": [{"kind": "CronJob", "name": "resnet-weekly",
                                                            "controller": True}]},
           "spec": {"suspend": True, "parallelism": 2}}
    return RecordingHub(objects={("ClusterQueue", "", "research-gpus"): cq,
                                 ("localqueues", "research", "team-vision"): lq,
                                 ("Workload", "research", "job-resnet-weekly-29390400-8kq2d"): wl,
                                 ("Job", "research", "resnet-weekly-29390400"): job})


KUEUE_CHANGES = [change("ClusterQueue", "", "research-gpus", 14, "other", ['spec.resourceGroups = [{"co']),
                 change("Workload", "research", "job-resnet-weekly-29390400-8kq2d", 3, "created",
                        ["spec.queueName = 'team-vision'"])]
RESNET = Subject(names=["resnet-weekly", "stuck"])


def test_kueue_gpu_quota_cut_below_a_cronjob_run_through_its_local_queue() -> None:
    hits = qq.suspects(run(kueue_hub("8"), KUEUE_CHANGES, RESNET))
    assert len(hits) == 1
    ref, finding, _, explained = hits[0]
    assert (ref.kind, ref.name) == ("ClusterQueue", "research-gpus")
    head = finding["message"][:420]
    assert "nvidia.com/gpu nominalQuota is now 8, below the 16" in head and "Kueue" in head
    assert "stays suspended" in head and "CronJob research/resnet-weekly" in head
    assert any(r.name == "resnet-weekly-29390400" for r in explained)


def test_twin_quota_above_the_request_names_nothing() -> None:
    # The message's capacity is the old one; read back, the queue holds 32 now: waiting behind others is not this.
    assert qq.suspects(run(kueue_hub("32"), KUEUE_CHANGES, RESNET)) == []


def test_twin_workload_the_incident_does_not_name() -> None:
    assert qq.suspects(run(kueue_hub("8"), KUEUE_CHANGES, Subject(names=["payments-api"]))) == []


def volcano_hub(capability: str, queue: str = "etl") -> RecordingHub:
    q = {"apiVersion": "scheduling.volcano.sh/v1beta1", "kind": "Queue", "metadata": {"name": "etl"},
         "spec": {"weight": 1, "reclaimable": False, "capability": {"cpu": capability, "memory": "256Gi"}}}
    pg = {"apiVersion": "scheduling.volcano.sh/v1beta1", "kind": "PodGroup",
          "metadata": {"name": "orders-rollup-5f2c9a1e", "namespace": "warehouse"},
          "spec": {"queue": queue, "minMember": 8, "minResources": {"cpu": "32", "memory": "64Gi"}},
          "status": {"phase": "Pending", "conditions": [
              {"type": "Unschedulable", "status": "True", "reason": "NotEnoughResources",
               "message": "0/8 tasks in gang unschedulable: queue resource quota insufficient for cpu"}]}}
    return RecordingHub(objects={("Queue", "", "etl"): q,
                                 ("PodGroup", "warehouse", "orders-rollup-5f2c9a1e"): pg})


def volcano_changes(hours: float) -> list[dict[str, Any]]:
    return [change("Queue", "", "etl", hours, "other", ["spec.capability.cpu = '16'"]),
            change("PodGroup", "warehouse", "orders-rollup-5f2c9a1e", 2, "created", ["spec.queue = 'etl'"])]


ROLLUP = Subject(namespace="warehouse", names=["orders-rollup"])


def test_volcano_queue_capability_cut_below_a_podgroup_minimum() -> None:
    hits = qq.suspects(run(volcano_hub("16"), volcano_changes(20), ROLLUP))
    assert len(hits) == 1
    ref, finding, _, _ = hits[0]
    assert (ref.kind, ref.name) == ("Queue", "etl")
    assert "cpu capability is now 16, below the 32 cpu" in finding["message"] and "Volcano" in finding["message"]


def test_twins_volcano_old_write_and_another_queue() -> None:
    assert qq.suspects(run(volcano_hub("16"), volcano_changes(72), ROLLUP)) == []
    assert qq.suspects(run(volcano_hub("16", queue="default"), volcano_changes(20), ROLLUP)) == []


def test_refusal_reads_both_kueue_wordings() -> None:
    old = "insufficient quota for cpu in flavor default, request > maximum capacity (40 > 24)"
    got = qq.refusal({"conditions": [{"type": "QuotaReserved", "status": "False", "message": old}]})
    assert got is not None and got[1:] == ("cpu", "40", "24")
    assert qq.refusal({"conditions": [{"type": "Admitted", "status": "True", "message": "admitted"}]}) is None
