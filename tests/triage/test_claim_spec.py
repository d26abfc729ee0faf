"""agent.triage.claim_spec: a claim the provisioner refuses for the claim's own spec, read from its wording.

Shapes: an EBS claim restored from a 200Gi VolumeSnapshot asking 50Gi (the external-provisioner's `requested volume
size ... is less than the size ... for the source snapshot`, seen in the warning events, with the StatefulSet whose
pod waits for it in the scan); a claim asking ReadWriteMany of a block-disk driver (`volume capabilities not
supported`, GCE PD wording). Twins: a class-level refusal (KMS AccessDenied: storage_layer's class) names no claim;
a claim already raised to the source's size is not named; a Bound claim is not named; the snapshot a size refusal
names is cleared for related_changes, a missing snapshot is not.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import claim_spec, storage_layer
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 3, 9, 30, tzinfo=UTC)
SIZE = ('failed to provision volume with StorageClass "ebs-gp3": error getting handle for DataSource Type '
        'VolumeSnapshot by Name ledger-snap-0930: requested volume size 53687091200 is less than the size '
        '214748364800 for the source snapshot ledger-snap-0930')
MODE = ('failed to provision volume with StorageClass "standard-rwo": rpc error: code = InvalidArgument desc = '
        'VolumeCapabilities is invalid: specified multi writer with mount access type; volume capabilities not '
        'supported')
KMS = ('failed to provision volume with StorageClass "ebs-gp3": could not create volume in EC2: '
       'AccessDeniedException: User is not authorized to perform kms:CreateGrant on the KMS key')
MISSING = ('failed to provision volume with StorageClass "ebs-gp3": error getting handle for DataSource Type '
           'VolumeSnapshot by Name ledger-snap-0930: error getting snapshot ledger-snap-0930 from api server: '
           'volumesnapshots.snapshot.storage.k8s.io "ledger-snap-0930" not found')


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def claim(name: str, storage: str, *, phase: str = "Pending", modes: list[str] | None = None,
          source: str | None = "ledger-snap-0930") -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": modes or ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}},
                            "storageClassName": "ebs-gp3"}
    if source:
        spec["dataSource"] = {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": source}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": "ledger", "creationTimestamp": iso(AT - timedelta(minutes=50)),
                         "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
                                            "time": iso(AT - timedelta(minutes=40)),
                                            "fieldsV1": {"f:spec": {"f:resources": {}}}}]},
            "spec": spec, "status": {"phase": phase}}


def facts_with(message: str, name: str = "data-ledger-0") -> Facts:
    """The refusal as storage_layer keeps the warning events, and the scan's pending StatefulSet naming the claim."""
    facts = Facts(at=AT, changes_id="C1")
    facts.scan = {"findings": [{"check": "pod.pending", "reason": "FailedScheduling", "severity": "critical",
                                "object": {"kind": "StatefulSet", "namespace": "ledger", "name": "ledger"},
                                "owner": {"kind": "StatefulSet", "namespace": "ledger", "name": "ledger"},
                                "since": iso(AT - timedelta(minutes=35)),
                                "message": f'StatefulSet ledger/ledger: 1/1 pods Pending: running PreBind plugin '
                                           f'"VolumeBinding": binding volumes: provisioning failed for PVC "{name}"'}]}
    facts.reads[storage_layer.RECORD] = {"events": [{"kind": "PersistentVolumeClaim", "namespace": "ledger",
                                                     "name": name, "reason": "ProvisioningFailed",
                                                     "message": message,
                                                     "first_seen": iso(AT - timedelta(minutes=38))}],
                                         "objects": {}, "evidence": []}
    return facts


def run(facts: Facts, objects: dict[str, Any]) -> RecordingHub:
    hub = RecordingHub(objects={("PersistentVolumeClaim", "ledger", n): o for n, o in objects.items()},
                       ids={"k8s_get": "P1"})
    asyncio.run(claim_spec.read(Subject(namespace="ledger"), facts, hub, iso(AT)))
    return hub


def test_a_restore_smaller_than_its_snapshot_names_the_claim_and_its_size_field() -> None:
    facts = facts_with(SIZE)
    hub = run(facts, {"data-ledger-0": claim("data-ledger-0", "50Gi")})
    assert hub.tools == ["k8s_get"]
    [(ref, finding, evidence, explains)] = claim_spec.suspects(facts)
    assert ref == Ref("PersistentVolumeClaim", "ledger", "data-ledger-0")
    head = finding["message"][:400]
    assert "ProvisioningFailed" in head and "smaller than its source snapshot" in head
    assert "spec.resources.requests.storage = 50Gi" in head and "200Gi" in head
    assert evidence == ["P1"]
    assert explains == [Ref("StatefulSet", "ledger", "ledger")]
    assert "by kubectl-client-side-apply 40 min" in finding["message"]


def test_an_access_mode_the_driver_cannot_serve_names_the_claim_and_its_modes() -> None:
    facts = facts_with(MODE, "shared-cache")
    run(facts, {"shared-cache": claim("shared-cache", "10Gi", modes=["ReadWriteMany"], source=None)})
    [(ref, finding, _, _)] = claim_spec.suspects(facts)
    assert ref.name == "shared-cache"
    assert "access mode" in finding["message"] and "spec.accessModes = ['ReadWriteMany']" in finding["message"]
    assert claim_spec.cleared(facts) == []


def test_a_class_level_refusal_is_not_the_claims_fault() -> None:
    facts = facts_with(KMS)
    hub = run(facts, {"data-ledger-0": claim("data-ledger-0", "50Gi")})
    assert claim_spec.suspects(facts) == []
    assert hub.tools == ["k8s_get"]  # named by the scan, read, but its refusal says nothing about its spec


def test_a_claim_already_raised_to_the_sources_size_is_not_named() -> None:
    facts = facts_with(SIZE)
    run(facts, {"data-ledger-0": claim("data-ledger-0", "200Gi")})
    assert claim_spec.suspects(facts) == []


def test_a_bound_claim_is_not_named() -> None:
    facts = facts_with(SIZE)
    run(facts, {"data-ledger-0": claim("data-ledger-0", "50Gi", phase="Bound")})
    assert claim_spec.suspects(facts) == []


def test_the_snapshot_a_size_refusal_measures_against_is_cleared_but_a_missing_one_is_not() -> None:
    facts = facts_with(SIZE)
    run(facts, {"data-ledger-0": claim("data-ledger-0", "50Gi")})
    assert Ref("VolumeSnapshot", "ledger", "ledger-snap-0930") in claim_spec.cleared(facts)
    missing = facts_with(MISSING)
    run(missing, {"data-ledger-0": claim("data-ledger-0", "50Gi")})
    assert [r.name for r, *_ in claim_spec.suspects(missing)] == ["data-ledger-0"]
    assert claim_spec.cleared(missing) == []


def test_sizes_read_as_kubernetes_quantities() -> None:
    assert claim_spec._bytes("20Gi") == 20 * 1024 ** 3
    assert claim_spec._bytes("100G") == 100 * 1000 ** 3
    assert claim_spec._size(107374182400) == "100Gi"
