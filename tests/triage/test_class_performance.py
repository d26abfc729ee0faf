"""agent.triage.class_performance: a storage class re-created without its sibling's performance keys.

Shapes: a GCP Hyperdisk class re-created without `provisioned-iops-on-create`/`provisioned-throughput-on-create`
while a sibling Hyperdisk class keeps them, a Kafka broker's new claim provisioned from it, a producer timing out;
an Azure Premium v2 class re-created without `DiskIOPSReadWrite`/`DiskMBpsReadWrite`, a rebuilt database replica's
claim, its client failing. Twins: a class re-created with its keys, a sibling of another provisioner, a class whose
claims are all older than it, a class created long ago.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import class_performance as cp
from agent.triage.facts import Facts, LogEvidence
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 9, 21, 14, 0, tzinfo=UTC)
GCP = "pd.csi.storage.gke.io"
AZURE = "disk.csi.azure.com"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def sc(name: str, provisioner: str, params: dict[str, str], hours: float) -> dict[str, Any]:
    return {"kind": "StorageClass", "metadata": {"name": name, "creationTimestamp": iso(AT - timedelta(hours=hours))},
            "provisioner": provisioner, "parameters": params}


def pvc(ns: str, name: str, cls: str, hours: float) -> dict[str, Any]:
    return {"kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": iso(AT - timedelta(hours=hours))},
            "spec": {"storageClassName": cls}}


def failing(ns: str, pod: str, message: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="L1",
                       top={"template": message, "example": message, "severity": "error"}, hosts=[],
                       error_classes=set(), previous=False)


def facts_for(classes: list[dict[str, Any]], claims: list[dict[str, Any]], victim: LogEvidence) -> Facts:
    objects: dict[Any, Any] = {("StorageClass", c["metadata"]["name"]): c for c in classes}
    objects |= {("PersistentVolumeClaim", c["metadata"]["namespace"], c["metadata"]["name"]): c for c in claims}
    lists: dict[Any, Any] = {"StorageClass": [{"name": c["metadata"]["name"]} for c in classes]}
    for c in claims:
        lists.setdefault(("PersistentVolumeClaim", c["metadata"]["namespace"]), []).append(
            {"name": c["metadata"]["name"], "created": c["metadata"]["creationTimestamp"]})
    facts = Facts(at=AT, logs=[victim])
    asyncio.run(cp.read(None, facts, RecordingHub(objects=objects, lists=lists), iso(AT)))
    return facts


HD = {"type": "hyperdisk-balanced"}
HD_FAST = HD | {"provisioned-iops-on-create": "12000", "provisioned-throughput-on-create": "600Mi"}
PRODUCER = failing("streams", "orders-producer-6c9d8b7f5-qwert",
                   "org.apache.kafka.common.errors.TimeoutException: Expiring 42 record(s) for orders-3")
AZ = {"skuName": "PremiumV2_LRS"}
AZ_FAST = AZ | {"DiskIOPSReadWrite": "8000", "DiskMBpsReadWrite": "500"}
DB_CLIENT = failing("ledger", "ledger-api-5b7c9d8f6-zxcvb", "timeout expired waiting for replica ledger-db-2")


def test_hyperdisk_class_recreated_without_provisioned_performance() -> None:
    facts = facts_for([sc("hd-kafka", GCP, HD, 30), sc("hd-search", GCP, HD_FAST, 2000)],
                      [pvc("streams", "data-kafka-4", "hd-kafka", 10), pvc("streams", "data-kafka-0", "hd-kafka",
                                                                           3000)], PRODUCER)
    hits = cp.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, _ = hits[0]
    assert (ref.kind, ref.name) == ("StorageClass", "hd-kafka")
    assert "provisioned-iops-on-create" in finding["message"] and "hd-search" in finding["message"]
    assert "streams/data-kafka-4" in finding["message"] and "TimeoutException" in finding["message"]


def test_azure_premium_v2_class_recreated_without_iops_and_mbps() -> None:
    facts = facts_for([sc("pv2-db", AZURE, AZ, 50), sc("pv2-logs", AZURE, AZ_FAST, 900)],
                      [pvc("ledger", "pgdata-ledger-db-2", "pv2-db", 20)], DB_CLIENT)
    hits = cp.suspects(facts)
    assert len(hits) == 1 and hits[0][0].name == "pv2-db"
    assert "DiskIOPSReadWrite=8000" in hits[0][1]["message"]


def test_class_recreated_with_its_keys() -> None:
    facts = facts_for([sc("hd-kafka", GCP, HD_FAST, 30), sc("hd-search", GCP, HD_FAST, 2000)],
                      [pvc("streams", "data-kafka-4", "hd-kafka", 10)], PRODUCER)
    assert cp.suspects(facts) == []


def test_sibling_of_another_provisioner_or_type_is_no_convention() -> None:
    facts = facts_for([sc("hd-kafka", GCP, HD, 30), sc("az-fast", AZURE, HD_FAST, 2000),
                       sc("pd-ssd-fast", GCP, {"type": "pd-ssd", "provisioned-iops-on-create": "9000"}, 2000)],
                      [pvc("streams", "data-kafka-4", "hd-kafka", 10)], PRODUCER)
    assert cp.suspects(facts) == []


def test_recreated_class_whose_claims_are_all_older() -> None:
    # the claim was listed as recent (within LEAD) but made before the class's re-creation: provisioned under the old
    facts = facts_for([sc("pv2-db", AZURE, AZ, 50), sc("pv2-logs", AZURE, AZ_FAST, 900)],
                      [pvc("ledger", "pgdata-ledger-db-2", "pv2-db", 60)], DB_CLIENT)
    assert cp.suspects(facts) == []


def test_class_created_long_ago() -> None:
    facts = facts_for([sc("pv2-db", AZURE, AZ, 24 * 40), sc("pv2-logs", AZURE, AZ_FAST, 900)],
                      [pvc("ledger", "pgdata-ledger-db-2", "pv2-db", 20)], DB_CLIENT)
    assert cp.suspects(facts) == []
