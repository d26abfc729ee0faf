"""A PersistentVolume's or StorageClass's mountOptions written are changes on the timeline, with the options now.

Shapes: a Filestore PV edited in place by a GitOps controller (`acregmin`/`acdirmin` raised), a StorageClass for an
NFS provisioner recreated in the window with `lookupcache=positive`. Twins: the PV's claimRef bound by the controller
manager (a write, but not of the options), a StorageClass created in the window with no options, a PV whose options
were written before the window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mcp_servers.kubernetes import changes

CREATED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WRITTEN = datetime(2026, 4, 7, 16, 20, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _pv(fields: dict[str, Any], at: datetime, manager: str = "argocd-controller") -> dict[str, Any]:
    meta = {"name": "reports-share", "creationTimestamp": _iso(CREATED),
            "managedFields": [{"manager": manager, "operation": "Update", "time": _iso(at), "fieldsV1": fields}]}
    return {"kind": "PersistentVolume", "metadata": meta,
            "spec": {"mountOptions": ["vers=3", "acregmin=300", "acdirmin=300"],
                     "csi": {"driver": "filestore.csi.storage.gke.io", "volumeHandle": "share-1"},
                     "claimRef": {"namespace": "reports", "name": "inbox"}}}


def _class(created: datetime, options: list[str] | None) -> dict[str, Any]:
    obj: dict[str, Any] = {"kind": "StorageClass", "provisioner": "nfs.csi.k8s.io",
                           "metadata": {"name": "shared-nfs", "creationTimestamp": _iso(created),
                                        "managedFields": [{"manager": "helm", "operation": "Update",
                                                           "time": _iso(created), "fieldsV1": {}}]}}
    if options is not None:
        obj["mountOptions"] = options
    return obj


def _all(kind: str, obj: dict[str, Any]) -> list[changes.Change]:
    return changes.timeline({kind: [obj]}, WRITTEN - timedelta(hours=6), WRITTEN + timedelta(hours=1))


def _timeline(kind: str, obj: dict[str, Any]) -> list[changes.Change]:
    """The mount-option changes (other fields of these kinds are the generic any-kind rule's)."""
    return [c for c in _all(kind, obj) if "mount options" in c.summary]


def test_a_pvs_mount_options_edited_in_place_are_a_change_with_the_options_now() -> None:
    [change] = _timeline("PersistentVolume", _pv({"f:spec": {"f:mountOptions": {}}}, WRITTEN))
    assert change.object.kind == "PersistentVolume" and change.object.name == "reports-share"
    assert change.at == _iso(WRITTEN) and "argocd-controller" in change.summary
    assert "acregmin=300" in change.diff[0] and change.diff[0].startswith("spec.mountOptions written")


def test_a_storage_class_created_with_options_in_the_window_is_a_change() -> None:
    [change] = _timeline("StorageClass", _class(WRITTEN, ["nfsvers=4.2", "lookupcache=positive"]))
    assert change.type == "created" and change.object.name == "shared-nfs"
    assert "lookupcache=positive" in change.diff[0]


def test_a_claim_binding_write_is_not_a_mount_option_change() -> None:
    bound = _pv({"f:spec": {"f:claimRef": {"f:name": {}}}}, WRITTEN, "kube-controller-manager")
    assert _timeline("PersistentVolume", bound) == []


def test_a_class_without_options_and_an_old_write_are_not_changes() -> None:
    assert _timeline("StorageClass", _class(WRITTEN, None)) == []
    old = _pv({"f:spec": {"f:mountOptions": {}}}, WRITTEN - timedelta(days=3))
    assert _timeline("PersistentVolume", old) == []


def test_other_fields_of_a_storage_class_are_still_changes_and_mount_options_are_not_doubled() -> None:
    """A StorageClass re-applied without `allowVolumeExpansion` is a write of another field: the generic rule still
    reports it (expansion_refused needs it; round 26's orders-db-volume-page went wrong when these kinds were read
    only for their mount options); a mount-option write is reported once."""
    klass = _class(WRITTEN - timedelta(days=30), None)
    klass["metadata"]["managedFields"].append({"manager": "kubectl-client-side-apply", "operation": "Update",
                                               "time": _iso(WRITTEN), "fieldsV1": {"f:allowVolumeExpansion": {}}})
    klass["allowVolumeExpansion"] = False
    [change] = _all("StorageClass", klass)
    assert "allowVolumeExpansion" in change.summary
    assert len(_all("PersistentVolume", _pv({"f:spec": {"f:mountOptions": {}}}, WRITTEN))) == 1
    assert len(_all("StorageClass", _class(WRITTEN, ["nfsvers=4.2", "actimeo=600"]))) == 1


def test_a_class_created_with_options_then_edited_in_the_window_keeps_its_creation() -> None:
    """Created with options in the window and written again after (its options edited): the mount-option rule
    reports the edit, not the creation, so the any-kind rule still reports the creation, once."""
    klass = _class(WRITTEN - timedelta(hours=2), ["nfsvers=4.2"])
    klass["metadata"]["managedFields"].append({"manager": "helm", "operation": "Update", "time": _iso(WRITTEN),
                                               "fieldsV1": {"f:mountOptions": {}}})
    kinds = sorted(c.type for c in _all("StorageClass", klass))
    assert kinds == ["created", "other"]
