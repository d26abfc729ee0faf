"""A volume provisioned where its pod cannot run after its StorageClass changed how it binds: an EBS class re-created
with volumeBindingMode Immediate stranding a StatefulSet's new ordinal, a GCE PD class whose allowedTopologies
pin a Deployment's new claim to one zone; and the twins (a class written after the volume was provisioned, a
recent class that still waits for the first consumer, a class two months old)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, volume_binding
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed, outcome

AT = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
CONFLICT = ("FailedScheduling: 0/4 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 3 node(s) "
            "had volume node affinity conflict. preemption: 0/4 nodes are available")
NO_ZONE = "FailedScheduling: 0/3 nodes are available: 3 node(s) had no available volume zone."


def _cluster(objects: list[dict[str, Any]]) -> RecordingHub:
    """Answers `k8s_get -o yaml` from the objects given, each read with its own evidence id; the history
    read answers an empty timeline."""
    return RecordingHub(objects=keyed(objects),
                        otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _class(name: str, created: datetime, mode: str | None, provisioner: str = "ebs.csi.aws.com",
           topologies: list[str] | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                           "metadata": {"name": name, "creationTimestamp": _iso(created),
                                        "managedFields": [{"manager": "Terraform", "operation": "Update"}]},
                           "provisioner": provisioner, "parameters": {"type": "gp3"}}
    if mode is not None:
        obj["volumeBindingMode"] = mode
    if topologies:
        obj["allowedTopologies"] = [{"matchLabelExpressions": [{"key": "topology.kubernetes.io/zone",
                                                                "values": topologies}]}]
    return obj


def _claim(namespace: str, name: str, klass: str, volume: str) -> dict[str, Any]:
    return {"kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": namespace},
            "spec": {"storageClassName": klass, "volumeName": volume}, "status": {"phase": "Bound"}}


def _volume(name: str, created: datetime, zone: str) -> dict[str, Any]:
    return {"kind": "PersistentVolume", "metadata": {"name": name, "creationTimestamp": _iso(created)},
            "spec": {"nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}]}}}}


def _statefulset(klass: datetime, mode: str | None, new_volume: datetime) -> list[dict[str, Any]]:
    sts = {"kind": "StatefulSet", "metadata": {"name": "broker", "namespace": "queue"},
           "spec": {"replicas": 3, "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
                    "template": {"spec": {"containers": [{"name": "broker"}]}}}}
    objects: list[dict[str, Any]] = [sts, _class("fast", klass, mode)]
    for i, (zone, made) in enumerate([("us-east-1a", AT - timedelta(days=40)), ("us-east-1c", AT - timedelta(days=40)),
                                      ("us-east-1a", new_volume)]):
        objects += [_claim("queue", f"data-broker-{i}", "fast", f"pvc-{i}"), _volume(f"pvc-{i}", made, zone)]
    return objects


def _facts(owner: dict[str, str], said: str, changes: list[dict[str, Any]] | None = None) -> Facts:
    return Facts(at=AT, scan={"findings": [
        {"check": "pod.pending", "object": owner, "owner": owner, "reason": "FailedScheduling",
         "message": f"{owner['kind']} {owner['namespace']}/{owner['name']}: 1/3 pods Pending, FailedScheduling",
         "evidence": [said]}]}, changes={"changes": changes or []}, changes_id="E2")


def _found(objects: list[dict[str, Any]], facts: Facts) -> list[volume_binding.Stranded]:
    asyncio.run(volume_binding.read(Subject(namespace="queue"), facts,
                                    _cluster(objects), _iso(AT)))
    return volume_binding.found(facts)


STS = {"kind": "StatefulSet", "namespace": "queue", "name": "broker"}


def test_a_class_recreated_immediate_before_a_new_ordinal_s_volume_is_named() -> None:
    facts = _facts(STS, CONFLICT)
    [s] = _found(_statefulset(AT - timedelta(hours=5), "Immediate", AT - timedelta(minutes=40)), facts)
    assert (str(s.storage_class), str(s.claim)) == ("StorageClass fast", "PersistentVolumeClaim queue/data-broker-2")
    assert s.zones == ["us-east-1a"]
    assert [c.name for c in s.kept] == ["data-broker-1", "data-broker-0"]
    message = volume_binding.finding(s)["message"]
    assert message.startswith("StorageClass fast binds with volumeBindingMode: Immediate (not WaitForFirstConsumer)")
    assert "volume node affinity conflict for StatefulSet queue/broker" in message[:400]
    assert "StorageClass fast (re)created by Terraform 4 h 20 min before" in message
    [(ref, _, evidence, explains)] = [x for x in behind.suspects(facts) if x[1]["check"] == volume_binding.CHECK]
    assert str(ref) == "StorageClass fast" and evidence
    assert [str(e) for e in explains] == ["StatefulSet queue/broker", "PersistentVolumeClaim queue/data-broker-2",
                                         "PersistentVolume pvc-2"]


def test_a_class_left_without_a_binding_mode_binds_immediately_too() -> None:
    facts = _facts(STS, CONFLICT)
    [s] = _found(_statefulset(AT - timedelta(hours=5), None, AT - timedelta(minutes=40)), facts)
    assert s.mode == "Immediate"


def test_a_deployment_claim_pinned_by_allowed_topologies_written_in_the_timeline_is_named() -> None:
    owner = {"kind": "Deployment", "namespace": "media", "name": "transcoder"}
    written = AT - timedelta(hours=3)
    deployment = {"kind": "Deployment", "metadata": {"name": "transcoder", "namespace": "media"},
                  "spec": {"template": {"spec": {"volumes": [{"name": "scratch",
                                                              "persistentVolumeClaim": {"claimName": "scratch"}}]}}}}
    objects = [deployment, _claim("media", "scratch", "pd-balanced", "pvc-s"),
               _volume("pvc-s", AT - timedelta(hours=1), "europe-west1-d"),
               _class("pd-balanced", AT - timedelta(days=90), "WaitForFirstConsumer", "pd.csi.storage.gke.io",
                      ["europe-west1-d"])]
    change = {"at": _iso(written), "type": "other", "object": {"kind": "StorageClass", "name": "pd-balanced"},
              "summary": "StorageClass pd-balanced written by argocd-controller",
              "diff": ["allowedTopologies: europe-west1-b, europe-west1-c -> europe-west1-d"]}
    facts = _facts(owner, NO_ZONE, [change])
    [s] = _found(objects, facts)
    message = volume_binding.finding(s)["message"]
    assert message.startswith("StorageClass pd-balanced binds with allowedTopologies europe-west1-d pin new volumes")
    assert "allowedTopologies: europe-west1-b, europe-west1-c -> europe-west1-d" in message
    assert s.change is change


def test_a_class_written_after_the_stranded_volume_was_provisioned_is_not_named() -> None:
    facts = _facts(STS, CONFLICT)  # the volume predates the class: a lost zone or node stranded it, not the class
    assert _found(_statefulset(AT - timedelta(hours=2), "Immediate", AT - timedelta(hours=6)), facts) == []


def test_a_recent_class_that_waits_for_the_first_consumer_is_not_named() -> None:
    facts = _facts(STS, CONFLICT)
    assert _found(_statefulset(AT - timedelta(hours=5), "WaitForFirstConsumer", AT - timedelta(minutes=40)),
                  facts) == []


def test_a_class_months_old_is_not_named() -> None:
    facts = _facts(STS, CONFLICT)
    assert _found(_statefulset(AT - timedelta(days=60), "Immediate", AT - timedelta(minutes=40)), facts) == []


def test_nothing_is_read_without_a_volume_topology_failure() -> None:
    facts = _facts(STS, "FailedScheduling: 0/3 nodes are available: 3 Insufficient memory.")
    cluster = _cluster(_statefulset(AT - timedelta(hours=5), "Immediate", AT - timedelta(minutes=40)))
    asyncio.run(volume_binding.read(Subject(namespace="queue"), facts, cluster,
                                    _iso(AT)))
    assert cluster.calls == [] and volume_binding.found(facts) == []


def test_the_scan_s_volume_affinity_finding_alone_leads_to_its_workload() -> None:
    volume = {"kind": "PersistentVolume", "namespace": "", "name": "pvc-2"}
    facts = Facts(at=AT, scan={"findings": [
        {"check": "pv.node_affinity_unschedulable", "object": volume, "reason": "VolumeNodeAffinityConflict",
         "message": "PersistentVolume pvc-2 (claim queue/data-broker-2) requires topology.kubernetes.io/zone In "
                    "us-east-1a, and no node in the cluster matches it: StatefulSet queue/broker pod queue/broker-2 "
                    "stays Pending (volume node affinity conflict on every node)",
         "details": {"workload": "StatefulSet queue/broker", "claim": "queue/data-broker-2"}, "evidence": []}]},
        changes={"changes": []}, changes_id="E2")
    [s] = _found(_statefulset(AT - timedelta(hours=5), "Immediate", AT - timedelta(minutes=40)), facts)
    assert (str(s.workload), str(s.claim)) == ("StatefulSet queue/broker", "PersistentVolumeClaim queue/data-broker-2")


def _precreated(klass: datetime, mode: str | None, claimed: datetime, key: str, places: list[str],
                provisioner: str) -> list[dict[str, Any]]:
    """A StatefulSet on a pool of volumes created months ago (local disks a static provisioner published, an
    admin's zonal disks): the last ordinal's claim was made at `claimed` and bound to one of them at once."""
    sts = {"kind": "StatefulSet", "metadata": {"name": "ledger", "namespace": "store"},
           "spec": {"replicas": 3, "volumeClaimTemplates": [{"metadata": {"name": "wal"}}],
                    "template": {"spec": {"containers": [{"name": "ledger"}]}}}}
    objects: list[dict[str, Any]] = [sts, _class("pooled", klass, mode, provisioner)]
    for i, (place, made) in enumerate(zip(places, [AT - timedelta(days=50)] * 2 + [claimed], strict=True)):
        claim = _claim("store", f"wal-ledger-{i}", "pooled", f"pool-{i}")
        claim["metadata"]["creationTimestamp"] = _iso(made)
        volume = _volume(f"pool-{i}", AT - timedelta(days=60), place)
        volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["key"] = key
        objects += [claim, volume]
    return objects


LEDGER = {"kind": "StatefulSet", "namespace": "store", "name": "ledger"}
HOSTS = ["worker-a", "worker-b", "worker-a"]


def test_a_local_disk_class_recreated_immediate_binds_a_new_claim_to_an_old_disk_on_a_taken_node() -> None:
    facts = _facts(LEDGER, CONFLICT)
    objects = _precreated(AT - timedelta(hours=4), "Immediate", AT - timedelta(minutes=25), "kubernetes.io/hostname",
                          HOSTS, "kubernetes.io/no-provisioner")
    [s] = _found(objects, facts)
    assert (str(s.storage_class), str(s.claim), s.zones) == \
        ("StorageClass pooled", "PersistentVolumeClaim store/wal-ledger-2", ["worker-a"])
    assert sorted(c.name for c in s.kept) == ["wal-ledger-0", "wal-ledger-1"]
    message = volume_binding.finding(s)["message"]
    assert "3 h 35 min before PersistentVolumeClaim store/wal-ledger-2 was bound" in message


def test_an_admin_made_zonal_disk_pool_class_without_a_mode_strands_a_claim_made_after_it() -> None:
    facts = _facts(LEDGER, NO_ZONE)
    objects = _precreated(AT - timedelta(hours=9), None, AT - timedelta(hours=1), "topology.disk.csi.azure.com/zone",
                          ["westeurope-1", "westeurope-2", "westeurope-3"], "disk.csi.azure.com")
    [s] = _found(objects, facts)
    assert (s.mode, s.zones) == ("Immediate", ["westeurope-3"])


def test_a_pre_created_volume_whose_claim_predates_the_class_write_is_not_named() -> None:
    facts = _facts(LEDGER, CONFLICT)  # bound before the class was re-created: the class did not place it
    objects = _precreated(AT - timedelta(hours=4), "Immediate", AT - timedelta(hours=6), "kubernetes.io/hostname",
                          HOSTS, "kubernetes.io/no-provisioner")
    assert _found(objects, facts) == []


def test_a_pre_created_pool_whose_new_class_still_waits_for_the_consumer_is_not_named() -> None:
    facts = _facts(LEDGER, CONFLICT)
    objects = _precreated(AT - timedelta(hours=4), "WaitForFirstConsumer", AT - timedelta(minutes=25),
                          "kubernetes.io/hostname", HOSTS, "kubernetes.io/no-provisioner")
    assert _found(objects, facts) == []
