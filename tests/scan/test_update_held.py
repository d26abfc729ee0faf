"""Template changes the object itself holds back: a paused Deployment, a StatefulSet partition or OnDelete.

Status fields as the deployment and StatefulSet controllers write them (Progressing reason
DeploymentPaused; currentRevision/updateRevision/updatedReplicas); each problem once, its healthy
twin silent.
"""

from __future__ import annotations

import copy
from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import NOW, deployment, meta, replicaset, ts

LISTED = {"Deployment", "ReplicaSet", "StatefulSet", "Service", "Pod"}


def run(objects: list[dict[str, Any]]) -> ScanResult:
    return scan(Snapshot.from_objects(objects, listed=LISTED), NOW, ["workload.update_held"])


def test_a_paused_deployment_whose_new_template_never_rolled_out() -> None:
    d = deployment("api-gw", image="registry.example.com/api-gw:4.2.0")
    d["spec"]["paused"] = True
    d["status"]["conditions"][1] = {"type": "Progressing", "status": "Unknown", "reason": "DeploymentPaused",
                                    "message": "Deployment is paused", "lastTransitionTime": ts(3)}
    rs = replicaset("api-gw-5c8", "api-gw")
    rs["spec"]["template"] = {"spec": {"containers": [{"name": "app", "image": "registry.example.com/api-gw:4.1.0"}]}}
    [f] = run([d, rs]).findings
    assert (f.check, f.severity, f.reason) == ("workload.update_held", "warning", "DeploymentPaused")
    assert f.details["running_images"] == ["registry.example.com/api-gw:4.1.0"]
    assert "paused" in f.message and "4.2.0" in f.message and "not rolled out" in f.message
    # Paused with nothing pending is only information; not paused is silent.
    rolled = copy.deepcopy(rs)
    rolled["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example.com/api-gw:4.2.0"
    d2 = copy.deepcopy(d)
    d2["status"]["conditions"][1]["reason"] = "NewReplicaSetAvailable"
    assert [f.severity for f in run([d2, rolled]).findings] == ["info"]
    assert run([deployment("api-gw"), rs]).findings == []


def statefulset(partition: int = 0, strategy: str = "RollingUpdate", update: str = "kafka-new") -> dict[str, Any]:
    upd: dict[str, Any] = {"type": strategy}
    if strategy == "RollingUpdate":
        upd["rollingUpdate"] = {"partition": partition}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("kafka"),
            "spec": {"replicas": 3, "serviceName": "kafka", "updateStrategy": upd,
                     "template": {"spec": {"containers": [{"name": "kafka", "image": "bitnami/kafka:3.8.0"}]}}},
            "status": {"replicas": 3, "readyReplicas": 3, "currentRevision": "kafka-old", "updateRevision": update,
                       "updatedReplicas": 0}}


def test_a_statefulset_partition_at_its_replicas_or_on_delete_holds_the_new_revision() -> None:
    [f] = run([statefulset(partition=3)]).findings
    assert (f.check, f.reason, f.details["partition"]) == ("workload.update_held", "UpdateHeld", 3)
    assert "partition 3 with 3 replicas" in f.message and "kafka:3.8.0" in f.message
    [g] = run([statefulset(strategy="OnDelete")]).findings
    assert "OnDelete" in g.message
    # A partition below the replicas is a canary in progress; an up-to-date set is silent.
    assert run([statefulset(partition=2)]).findings == []
    assert run([statefulset(partition=3, update="kafka-old")]).findings == []
