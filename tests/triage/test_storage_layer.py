"""Volumes that fail to mount or provision, named against the storage object written before (storage_layer).

Unit tests over the facts `storage_layer.read` keeps (warning events, the YAML of the changed workloads and of the
named StorageClasses) and the change timeline. Shapes: a Longhorn CSI node plugin DaemonSet whose registration
path moved to MicroK8s' kubelet root (the kubelet's 'not found in the list of registered CSI drivers'); a GCE PD
StorageClass recreated with a CMEK key the driver may not use (Cloud KMS permission denied); an EBS StorageClass
written with an iops value the cloud rejects. Negative twins: another driver's DaemonSet changed, a write after
the first failure, a class created long before, a failure that names no driver or class (a projected token
volume). One test drives `read` through a fake hub to check what it asks for.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import storage_layer
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 8, 14, 12, 0, tzinfo=UTC)
LONGHORN_MOUNT = ("MountVolume.MountDevice failed for volume \"pvc-1\" : kubernetes.io/csi: attacher.MountDevice "
                  "failed to create newCsiDriverClient: driver name driver.longhorn.io not found in the list of "
                  "registered CSI drivers")
CMEK = ("failed to provision volume with StorageClass \"ssd-cmek\": rpc error: code = Internal desc = CreateVolume "
        "failed to create single zonal disk pvc-9: googleapi: Error 400: Cloud KMS error when using key "
        "projects/p/locations/europe-west1/keyRings/disks/cryptoKeys/pd: Permission "
        "'cloudkms.cryptoKeyVersions.useToEncrypt' denied on resource")
IOPS = ("failed to provision volume with StorageClass \"io-fast\": rpc error: code = Internal desc = Could not create "
        "volume \"pvc-7\": InvalidParameterValue: The parameter iops must be less than or equal to 16000")


def _plugin(name: str, driver: str, root: str) -> dict[str, Any]:
    return {"kind": "DaemonSet", "metadata": {"name": name, "namespace": "storage"},
            "spec": {"template": {"spec": {"containers": [
                {"name": "node-driver-registrar",
                 "args": [f"--kubelet-registration-path={root}/plugins/{driver}/csi.sock"]}],
                "volumes": [{"name": "registration", "hostPath": {"path": f"{root}/plugins_registry"}}]}}}}


def _rollout(name: str, at: str, old: str, new: str) -> dict[str, Any]:
    return {"at": at, "type": "rollout", "object": {"kind": "DaemonSet", "namespace": "storage", "name": name},
            "summary": f"DaemonSet storage/{name} rolled out revision 7: registrar args", "revision": 7,
            "diff": ["registrar image csi-node-driver-registrar:v2.11.0 -> csi-node-driver-registrar:v2.12.0",
                     f"node-driver-registrar args[0] '--kubelet-registration-path={old}/plugins' -> "
                     f"'--kubelet-registration-path={new}/plugins'",
                     f"volumes[name=registration].hostPath '{old}/plugins_registry' -> '{new}/plugins_registry'"]}


def _event(reason: str, kind: str, name: str, message: str, first: str) -> dict[str, Any]:
    return {"type": "Warning", "reason": reason, "kind": kind, "name": name, "namespace": "ledger",
            "message": message, "count": 9, "first_seen": first}


def _victim_finding(message: str, since: str) -> dict[str, Any]:
    return {"check": "pod.pending", "severity": "critical",
            "object": {"kind": "Pod", "namespace": "ledger", "name": "pg-ledger-1"},
            "owner": {"kind": "StatefulSet", "namespace": "ledger", "name": "pg-ledger"},
            "message": f"StatefulSet ledger/pg-ledger: 1/2 pods FailedMount: {message[:90]}…", "since": since}


def _facts(changes: list[dict[str, Any]], events: list[dict[str, Any]], objects: list[tuple[Ref, dict[str, Any]]],
           findings: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, scan={"findings": findings}, changes={"changes": changes}, changes_id="E2")
    facts.reads[storage_layer.RECORD] = {"events": events, "objects": {str(r): o for r, o in objects},
                                         "evidence": ["E9"]}
    return facts


LONGHORN = Ref("DaemonSet", "storage", "longhorn-csi-plugin")


def test_a_node_plugin_moved_off_the_kubelet_root_is_named_with_the_path() -> None:
    facts = _facts([_rollout("longhorn-csi-plugin", "2026-08-14T10:50:00Z", "/var/lib/kubelet",
                             "/var/snap/microk8s/common/var/lib/kubelet")],
                   [_event("FailedMount", "Pod", "pg-ledger-1", LONGHORN_MOUNT, "2026-08-14T11:20:00Z")],
                   [(LONGHORN, _plugin("longhorn-csi-plugin", "driver.longhorn.io",
                                       "/var/snap/microk8s/common/var/lib/kubelet"))],
                   [_victim_finding(LONGHORN_MOUNT, "2026-08-14T11:20:00Z")])
    [(ref, found, evidence, explains)] = storage_layer.suspects(facts)
    assert ref == LONGHORN and "E9" in evidence and "E2" in evidence
    assert Ref("StatefulSet", "ledger", "pg-ledger") in explains
    message = found["message"]
    assert message.startswith("DaemonSet storage/longhorn-csi-plugin")
    assert "not registered with the kubelet" in message[:250]
    assert "/var/lib/kubelet -> /var/snap/microk8s/common/var/lib/kubelet" in message[:350]
    assert "30 min before" in message


def test_another_drivers_plugin_changed_or_a_write_after_the_failure_is_not_named() -> None:
    other = Ref("DaemonSet", "storage", "efs-csi-node")
    facts = _facts([_rollout("efs-csi-node", "2026-08-14T10:50:00Z", "/var/lib/kubelet", "/var/lib/k0s/kubelet")],
                   [_event("FailedMount", "Pod", "pg-ledger-1", LONGHORN_MOUNT, "2026-08-14T11:20:00Z")],
                   [(other, _plugin("efs-csi-node", "efs.csi.aws.com", "/var/lib/k0s/kubelet"))], [])
    assert storage_layer.suspects(facts) == []
    late = _facts([_rollout("longhorn-csi-plugin", "2026-08-14T11:40:00Z", "/var/lib/kubelet", "/opt/kubelet")],
                  [_event("FailedMount", "Pod", "pg-ledger-1", LONGHORN_MOUNT, "2026-08-14T11:20:00Z")],
                  [(LONGHORN, _plugin("longhorn-csi-plugin", "driver.longhorn.io", "/opt/kubelet"))], [])
    assert storage_layer.suspects(late) == []  # written after the mounts began failing: a fix attempt, not the cause


def _class(name: str, created: str, parameters: dict[str, str], provisioner: str) -> dict[str, Any]:
    return {"kind": "StorageClass", "metadata": {"name": name, "creationTimestamp": created},
            "provisioner": provisioner, "parameters": parameters}


def test_a_storage_class_recreated_with_a_key_the_driver_cannot_use_is_named() -> None:
    sc = Ref("StorageClass", "", "ssd-cmek")
    obj = _class("ssd-cmek", "2026-08-14T07:05:00Z", {"type": "pd-ssd", "disk-encryption-kms-key":
                                                      "projects/p/locations/europe-west1/keyRings/disks/cryptoKeys/pd"},
                 "pd.csi.storage.gke.io")
    claim = {"kind": "PersistentVolumeClaim", "namespace": "ledger", "name": "data-pg-ledger-2"}
    facts = _facts([], [{**_event("ProvisioningFailed", "PersistentVolumeClaim", "data-pg-ledger-2", CMEK,
                                  "2026-08-14T11:02:00Z")}], [(sc, obj)], [])
    [(ref, found, _, explains)] = storage_layer.suspects(facts)
    assert ref == sc and Ref.of(claim) in explains
    message = found["message"]
    assert "KMS key" in message[:250] and "provision" in message[:250]
    assert "disk-encryption-kms-key=projects/p" in message  # the key parameter shown first
    assert "3 h 57 min before" in message


def test_a_storage_class_written_with_a_rejected_parameter_shows_the_diff() -> None:
    sc = Ref("StorageClass", "", "io-fast")
    write = {"at": "2026-08-14T11:30:00Z", "type": "config", "object": {"kind": "StorageClass", "namespace": "",
                                                                        "name": "io-fast"},
             "summary": "StorageClass io-fast written by terraform: parameters", "diff": [
                 "parameters.iops '6000' -> '64000'"]}
    obj = _class("io-fast", "2026-08-14T11:30:00Z", {"type": "io2", "iops": "64000"}, "ebs.csi.aws.com")
    facts = _facts([write], [_event("ProvisioningFailed", "PersistentVolumeClaim", "data-q-0", IOPS,
                                    "2026-08-14T11:41:00Z")], [(sc, obj)], [])
    [(ref, found, _, _)] = storage_layer.suspects(facts)
    assert ref == sc and "parameter of the class is rejected" in found["message"]
    assert "parameters.iops '6000' -> '64000'" in found["message"]


def test_a_class_created_long_before_or_a_failure_naming_nothing_is_not_named() -> None:
    sc = Ref("StorageClass", "", "io-fast")
    old = _class("io-fast", "2026-05-01T09:00:00Z", {"type": "io2", "iops": "64000"}, "ebs.csi.aws.com")
    facts = _facts([], [_event("ProvisioningFailed", "PersistentVolumeClaim", "data-q-0", IOPS,
                               "2026-08-14T11:41:00Z")], [(sc, old)], [])
    assert storage_layer.suspects(facts) == []  # the class predates the failures by months: look elsewhere
    token = ("MountVolume.SetUp failed for volume \"kube-api-access-x\" : object \"ledger\"/\"kube-root-ca.crt\" "
             "not registered")
    facts = _facts([_rollout("longhorn-csi-plugin", "2026-08-14T10:50:00Z", "/var/lib/kubelet", "/opt/kubelet")],
                   [_event("FailedMount", "Pod", "pg-ledger-1", token, "2026-08-14T11:20:00Z")],
                   [(LONGHORN, _plugin("longhorn-csi-plugin", "driver.longhorn.io", "/opt/kubelet"))], [])
    assert storage_layer.suspects(facts) == []  # a projected token volume names no CSI driver


def test_read_asks_for_events_history_and_the_objects_the_failures_name() -> None:
    asked: list[tuple[str, dict[str, Any]]] = []
    plugin = _plugin("longhorn-csi-plugin", "driver.longhorn.io", "/opt/kubelet")

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, args))
        if tool == "k8s_events":
            return outcome(True, {"events": [
                _event("FailedMount", "Pod", "pg-ledger-1", LONGHORN_MOUNT, "2026-08-14T11:20:00Z"),
                _event("BackOff", "Pod", "web-1", "Back-off restarting failed container", "2026-08-14T11:00:00Z")]},
                "", "E7")
        if tool == "k8s_changes":
            busy = [{"at": f"2026-08-14T09:{i:02d}:00Z", "type": "rollout", "summary": "image bump",
                     "object": {"kind": "Deployment", "namespace": "shop", "name": f"app-{i}"}} for i in range(20)]
            return outcome(True, {"window_start": "2026-08-13T12:00:00Z", "changes": [
                *busy,
                _rollout("longhorn-csi-plugin", "2026-08-14T10:50:00Z", "/var/lib/kubelet", "/opt/kubelet")]}, "", "E8")
        if args["name"].startswith("app-"):
            return outcome(True, {}, yaml.safe_dump(_plugin(args["name"], "x.example", "/k")), f"E-{args['name']}")
        return outcome(True, {}, yaml.safe_dump(plugin), f"E-{args['name']}")

    facts = Facts(at=AT, scan={"findings": [_victim_finding(LONGHORN_MOUNT, "2026-08-14T11:20:00Z")]},
                  changes={"changes": []}, changes_id="E2")
    asyncio.run(storage_layer.read(Subject(namespace="ledger"), facts, call, "2026-08-14T12:00:00Z"))
    tools = [t for t, _ in asked]
    assert tools[:3] == ["k8s_events", "k8s_changes", "k8s_get"] and len(tools) <= 2 + storage_layer.MAX_GETS
    assert asked[2][1]["name"] == "longhorn-csi-plugin"  # among twenty written workloads, the node plugin is read
    assert len(facts.reads[storage_layer.RECORD]["events"]) == 1  # only the volume failure is kept
    [(ref, _, evidence, _)] = storage_layer.suspects(facts)
    assert ref == LONGHORN and "E-longhorn-csi-plugin" in evidence and "E8" in evidence


def test_read_does_nothing_without_a_volume_failure() -> None:
    asked: list[str] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> None:
        asked.append(tool)

    facts = Facts(at=AT, scan={"findings": [{"check": "pod.crashloop", "message": "Back-off restarting"}]})
    asyncio.run(storage_layer.read(Subject(), facts, call, "2026-08-14T12:00:00Z"))
    assert asked == [] and storage_layer.RECORD not in facts.reads
