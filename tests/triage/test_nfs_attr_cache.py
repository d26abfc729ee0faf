"""agent.triage.nfs_attr_cache: NFS attribute caching lengthened on a share, and a reader that remounted since.

Shapes: a Filestore PV (CSI) whose options were edited to `acregmin=180,acdirmin=180` with a report importer started
after the write; an NFS provisioner's StorageClass recreated with `lookupcache=positive` and `nocto` (its PV has no
options of its own) with an upload scanner started after. Twins: options that cache briefly or not at all
(`actimeo=3`, `noac`), long caching written days ago, a reader whose pod started before the write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import nfs_attr_cache as nac
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 8, 3, 15, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=45)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def pv(name: str, options: list[str] | None, cls: str = "", ns: str = "reports",
       claim: str = "inbox") -> dict[str, Any]:
    spec: dict[str, Any] = {"csi": {"driver": "filestore.csi.storage.gke.io", "volumeHandle": name},
                            "claimRef": {"namespace": ns, "name": claim}, "storageClassName": cls}
    if options is not None:
        spec["mountOptions"] = options
    return {"kind": "PersistentVolume", "metadata": {"name": name, "creationTimestamp": "2026-05-01T00:00:00Z"},
            "spec": spec}


def pod(name: str, ns: str, claim: str, started: datetime) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"volumes": [{"name": "share", "persistentVolumeClaim": {"claimName": claim}}]},
            "status": {"startTime": iso(started)}}


def pv_write(name: str, at: datetime = WRITE) -> dict[str, Any]:
    return {"at": iso(at), "type": "other", "object": {"kind": "PersistentVolume", "namespace": "", "name": name},
            "summary": f"PersistentVolume {name} mount options written by argocd-controller",
            "diff": ["spec.mountOptions written by argocd-controller"]}


def run(volumes: list[dict[str, Any]], pods: list[dict[str, Any]], changes: list[dict[str, Any]],
        classes: list[dict[str, Any]] | None = None) -> Facts:
    objects: dict[Any, Any] = {("PersistentVolume", v["metadata"]["name"]): v for v in volumes}
    objects |= {("StorageClass", c["metadata"]["name"]): c for c in classes or []}
    objects |= {("Pod", p["metadata"]["namespace"], p["metadata"]["name"]): p for p in pods}
    lists: dict[Any, Any] = {"PersistentVolume": [{"name": v["metadata"]["name"]} for v in volumes],
                             "StorageClass": [{"name": c["metadata"]["name"]} for c in classes or []]}
    for p in pods:
        lists.setdefault(("Pod", p["metadata"]["namespace"]), []).append({"name": p["metadata"]["name"]})
    hub = RecordingHub(objects=objects, lists=lists)
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    asyncio.run(nac.read(Subject(namespace="reports"), facts, hub, iso(AT)))
    return facts


def test_filestore_pv_attribute_cache_raised_then_importer_remounted() -> None:
    facts = run([pv("reports-share", ["vers=3", "hard", "acregmin=180", "acdirmin=180"])],
                [pod("report-importer-6f-abcde", "reports", "inbox", WRITE + timedelta(minutes=5))],
                [pv_write("reports-share")])
    [(ref, finding, evidence, explains)] = nac.suspects(facts)
    assert (ref.kind, ref.name) == ("PersistentVolume", "reports-share")
    assert explains[0].name == "report-importer-6f-abcde"
    assert "acregmin=180, acdirmin=180" in finding["message"][:400] and "45 min" in finding["message"]
    assert "hard" not in finding["details"]["options"] and evidence


def test_storage_class_recreated_with_lookup_caching_names_the_class() -> None:
    created = WRITE - timedelta(minutes=30)
    cls = {"kind": "StorageClass", "provisioner": "nfs.csi.k8s.io", "mountOptions": ["nfsvers=4.1", "nocto",
                                                                                    "lookupcache=positive"],
           "metadata": {"name": "team-nfs", "creationTimestamp": iso(created)}}
    created_change = {"at": iso(created), "type": "created",
                      "object": {"kind": "StorageClass", "namespace": "", "name": "team-nfs"},
                      "summary": "StorageClass team-nfs created with mount options", "diff": []}
    facts = run([pv("pvc-91ab", None, cls="team-nfs", ns="uploads", claim="scratch")],
                [pod("upload-scanner-0", "uploads", "scratch", WRITE)], [created_change], classes=[cls])
    [(ref, finding, _, _)] = nac.suspects(facts)
    assert (ref.kind, ref.name) == ("StorageClass", "team-nfs")
    assert finding["details"]["options"] == ["nocto", "lookupcache=positive"]


def test_short_or_disabled_caching_is_not_named() -> None:
    reader = [pod("report-importer-6f-abcde", "reports", "inbox", WRITE + timedelta(minutes=5))]
    assert nac.suspects(run([pv("reports-share", ["vers=3", "actimeo=3"])], reader, [pv_write("reports-share")])) == []
    assert nac.suspects(run([pv("reports-share", ["actimeo=600", "noac"])], reader,
                            [pv_write("reports-share")])) == []


def test_long_caching_written_days_ago_is_not_named() -> None:
    old = WRITE - timedelta(days=4)
    facts = run([pv("reports-share", ["acdirmax=600"])],
                [pod("report-importer-6f-abcde", "reports", "inbox", old + timedelta(minutes=2))],
                [pv_write("reports-share", old)])
    assert nac.suspects(facts) == []


def test_a_reader_that_has_not_remounted_since_the_write_is_not_named() -> None:
    facts = run([pv("reports-share", ["actimeo=900", "nocto"])],
                [pod("report-importer-6f-abcde", "reports", "inbox", WRITE - timedelta(hours=2))],
                [pv_write("reports-share")])
    assert nac.suspects(facts) == []
