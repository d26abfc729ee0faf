"""A storage class written to name a CSI driver nothing runs: a VolumeSnapshotClass whose driver is a typo of the
installed EBS driver (the nightly snapshot is never readyToUse and its backup Job times out), a StorageClass whose
provisioner names a Ceph driver the cluster does not run (a new claim stays Pending); and the twins (the driver is
a registered CSIDriver, the class was written after the snapshot was taken, an in-tree provisioner, nothing says
which drivers run)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, class_driver
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed, outcome

AT = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
WRITE = AT - timedelta(hours=11)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _snapclass(driver: str) -> dict[str, Any]:
    return {"kind": "VolumeSnapshotClass", "metadata": {"name": "csi-snap", "creationTimestamp": _iso(WRITE)},
            "driver": driver, "deletionPolicy": "Delete"}


def _claim(name: str, klass: str, phase: str, provisioner: str, made: datetime) -> dict[str, Any]:
    return {"kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": "billing", "creationTimestamp": _iso(made),
                         "annotations": {"volume.kubernetes.io/storage-provisioner": provisioner}},
            "spec": {"storageClassName": klass, "volumeName": f"pv-{name}" if phase == "Bound" else None},
            "status": {"phase": phase}}


def _snapshot(name: str, made: datetime, ready: bool, content: str) -> dict[str, Any]:
    return {"kind": "VolumeSnapshot", "metadata": {"name": name, "namespace": "billing",
                                                   "creationTimestamp": _iso(made)},
            "spec": {"volumeSnapshotClassName": "csi-snap", "source": {"persistentVolumeClaimName": "data-ledger-0"}},
            "status": {"readyToUse": ready, "boundVolumeSnapshotContentName": content}}


def _content(name: str, driver: str, ready: bool) -> dict[str, Any]:
    return {"kind": "VolumeSnapshotContent", "metadata": {"name": name},
            "spec": {"driver": driver, "volumeSnapshotClassName": "csi-snap"},
            "status": {"readyToUse": True} if ready else {}}


def _snapshot_cluster(class_driver_name: str, last_taken: datetime, csidrivers: list[str] | None = None
                      ) -> RecordingHub:
    objects = [_snapclass(class_driver_name),
               _claim("data-ledger-0", "gp3", "Bound", "ebs.csi.aws.com", AT - timedelta(days=30)),
               _snapshot("ledger-1", AT - timedelta(days=1, hours=1), True, "c1"),
               _content("c1", "ebs.csi.aws.com", True),
               _snapshot("ledger-2", last_taken, False, "c2"), _content("c2", class_driver_name, False)]
    lists: dict[Any, list[dict[str, Any]]] = {
        ("VolumeSnapshot", "billing"): [{"name": "ledger-1"}, {"name": "ledger-2"}]}
    if csidrivers is not None:
        lists["CSIDriver"] = [{"name": d} for d in csidrivers]
    hub = RecordingHub(objects=keyed(objects), lists=lists,
                       otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))
    if csidrivers is None:  # a cluster whose API knows no CSIDriver kind refuses the list
        hub.answers["k8s_list"] = lambda call, eid: (
            outcome(False, None, "no resource kind 'CSIDriver'", eid) if call.args.get("kind") == "CSIDriver"
            else hub.list(call.args, eid))
    return hub


def _facts(kind: str, name: str, written: datetime, finding_text: str, owner: dict[str, str]) -> Facts:
    return Facts(at=AT, scan={"findings": [
        {"check": "job.failed", "object": owner, "owner": owner, "reason": "BackoffLimitExceeded",
         "message": finding_text, "evidence": [finding_text]}]},
        changes={"changes": [{"at": _iso(written), "type": "created", "summary": f"{kind} {name} created",
                              "object": {"kind": kind, "namespace": "", "name": name}}]}, changes_id="E2")


BACKUP = {"kind": "CronJob", "namespace": "billing", "name": "ledger-backup"}
TIMED_OUT = "FATAL: timed out after 30m0s waiting for VolumeSnapshot billing/ledger-2 to become ready"


def _found(hub: RecordingHub, facts: Facts) -> list[class_driver.Unserved]:
    asyncio.run(class_driver.read(Subject(namespace="billing"), facts, hub, _iso(AT)))
    return class_driver.found(facts)


def test_snapshot_class_naming_an_uninstalled_driver_explains_the_snapshot_and_the_backup() -> None:
    facts = _facts("VolumeSnapshotClass", "csi-snap", WRITE, TIMED_OUT, BACKUP)
    found = _found(_snapshot_cluster("ebs.csi.amazonaws.com", AT - timedelta(hours=1)), facts)
    assert [(str(u.klass), u.driver) for u in found] == [("VolumeSnapshotClass csi-snap", "ebs.csi.amazonaws.com")]
    u = found[0]
    assert u.served == ["ebs.csi.aws.com"] and u.source_driver == "ebs.csi.aws.com"
    assert [str(w) for w in u.waiting] == ["VolumeSnapshot billing/ledger-2"]
    assert [str(r) for r in u.explains] == ["CronJob billing/ledger-backup"]
    message = class_driver.finding(u, AT)["message"]
    assert message.startswith("VolumeSnapshotClass csi-snap names driver 'ebs.csi.amazonaws.com'")
    assert "readyToUse" in message[:400] and "Set driver: ebs.csi.aws.com" in message
    assert class_driver.CHECK in behind.WEIGHTS


def test_registered_driver_is_not_named() -> None:
    facts = _facts("VolumeSnapshotClass", "csi-snap", WRITE, TIMED_OUT, BACKUP)
    hub = _snapshot_cluster("ebs.csi.amazonaws.com", AT - timedelta(hours=1),
                            csidrivers=["ebs.csi.amazonaws.com", "efs.csi.aws.com"])
    assert _found(hub, facts) == []


def test_class_written_after_the_snapshot_was_taken_is_not_named() -> None:
    facts = _facts("VolumeSnapshotClass", "csi-snap", AT - timedelta(minutes=20), TIMED_OUT, BACKUP)
    assert _found(_snapshot_cluster("ebs.csi.amazonaws.com", AT - timedelta(hours=1)), facts) == []


def _claim_cluster(provisioner: str, registered: list[str] | None) -> RecordingHub:
    klass = {"kind": "StorageClass", "metadata": {"name": "fast-rbd"}, "provisioner": provisioner}
    objects = [klass, _claim("data-ledger-0", "standard", "Bound", "pd.csi.storage.gke.io", AT - timedelta(days=9)),
               _claim("scratch-ledger-3", "fast-rbd", "Pending", provisioner, AT - timedelta(hours=2))]
    lists: dict[Any, list[dict[str, Any]]] = {("PersistentVolumeClaim", "billing"): [
        {"name": "data-ledger-0"}, {"name": "scratch-ledger-3"}]}
    if registered is not None:
        lists["CSIDriver"] = [{"name": d} for d in registered]
    return RecordingHub(objects=keyed(objects), lists=lists,
                        otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))


PENDING = ("StatefulSet billing/ledger: 1/4 pods Pending: pod has unbound immediate PersistentVolumeClaims "
           "(scratch-ledger-3)")
LEDGER = {"kind": "StatefulSet", "namespace": "billing", "name": "ledger"}


def test_storage_class_provisioner_nothing_runs_explains_the_pending_claim() -> None:
    facts = _facts("StorageClass", "fast-rbd", WRITE, PENDING, LEDGER)
    found = _found(_claim_cluster("rbd.csi.ceph.io", ["pd.csi.storage.gke.io", "filestore.csi.storage.gke.io"]),
                   facts)
    assert [(str(u.klass), u.driver) for u in found] == [("StorageClass fast-rbd", "rbd.csi.ceph.io")]
    assert [str(w) for w in found[0].waiting] == ["PersistentVolumeClaim billing/scratch-ledger-3"]
    assert [str(r) for r in found[0].explains] == ["StatefulSet billing/ledger"]
    message = class_driver.finding(found[0], AT)["message"]
    assert message.startswith("StorageClass fast-rbd names provisioner 'rbd.csi.ceph.io'") and "Pending" in message


def test_in_tree_provisioner_and_unknown_drivers_are_not_named() -> None:
    facts = _facts("StorageClass", "fast-rbd", WRITE, PENDING, LEDGER)
    assert _found(_claim_cluster("kubernetes.io/gce-pd", ["pd.csi.storage.gke.io"]), facts) == []
    facts = _facts("StorageClass", "fast-rbd", WRITE, PENDING, LEDGER)
    hub = _claim_cluster("rbd.csi.ceph.io", [])
    hub.objects = {k: v for k, v in hub.objects.items() if "data-ledger-0" not in k}  # nothing bound: no evidence
    hub.lists[("PersistentVolumeClaim", "billing")] = [{"name": "scratch-ledger-3"}]
    assert _found(hub, facts) == []


def _gatewayclass(name: str, controller: str, accepted: str, reason: str) -> dict[str, Any]:
    return {"kind": "GatewayClass", "metadata": {"name": name}, "spec": {"controllerName": controller},
            "status": {"conditions": [{"type": "Accepted", "status": accepted, "reason": reason,
                                       "message": "Waiting for controller" if accepted != "True" else "Valid"}]}}


def _gateway_cluster(accepted: str) -> RecordingHub:
    objects = [_gatewayclass("public", "gateway.envoyproxy.io/gatewayclass-controler", accepted,
                             "Accepted" if accepted == "True" else "Pending"),
               _gatewayclass("internal", "gateway.envoyproxy.io/gatewayclass-controller", "True", "Accepted"),
               {"kind": "Gateway", "metadata": {"name": "public-gw", "namespace": "billing",
                                                "creationTimestamp": _iso(AT - timedelta(days=20))},
                "spec": {"gatewayClassName": "public"},
                "status": {"conditions": [{"type": "Accepted", "status": accepted, "reason": "Pending"}]}}]
    lists: dict[Any, list[dict[str, Any]]] = {"GatewayClass": [{"name": "public"}, {"name": "internal"}],
                                              ("Gateway", "billing"): [{"name": "public-gw"}]}
    return RecordingHub(objects=keyed(objects), lists=lists,
                        otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))


ROUTE_DOWN = "HTTPRoute billing/invoices: parent Gateway billing/public-gw is not Accepted; probes get no answer"
INVOICES = {"kind": "HTTPRoute", "namespace": "billing", "name": "invoices"}


def test_gateway_class_no_controller_accepts_explains_its_gateway() -> None:
    facts = _facts("GatewayClass", "public", WRITE, ROUTE_DOWN, INVOICES)
    found = _found(_gateway_cluster("Unknown"), facts)
    assert [(str(u.klass), u.driver) for u in found] == [
        ("GatewayClass public", "gateway.envoyproxy.io/gatewayclass-controler")]
    assert [str(w) for w in found[0].waiting] == ["Gateway billing/public-gw"]  # made before the write: it too
    message = class_driver.finding(found[0], AT)["message"]
    assert "no Gateway controller" in message and "Set controllerName: gateway.envoyproxy.io/gatewayclass-controller" \
        in message


def test_gateway_class_its_controller_accepted_is_not_named() -> None:
    facts = _facts("GatewayClass", "public", WRITE, ROUTE_DOWN, INVOICES)
    assert _found(_gateway_cluster("True"), facts) == []
