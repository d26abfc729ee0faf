"""A new claim took the cluster's default StorageClass after the default moved: the class is the cause.

A claim that names no `storageClassName` is given the class annotated
`storageclass.kubernetes.io/is-default-class: "true"` when it is created (the DefaultStorageClass admission
plugin). Moving that annotation from one class to another changes nothing that exists: it governs only the
claims created afterwards, such as a StatefulSet's next ordinal (`data-db-2`) when someone scales it up days
later. That replica then runs on other storage than its siblings (a network filesystem such as EFS or NFS where
every fsync is a network round trip, or an HDD-backed volume type), and it alone is slow or lags: its own
scale-up is the nearest change, but the cause is the StorageClass that became the default.

The survey reads (`read`, reading only, when the incident names a namespace): the namespace's claims, and only
when one was created recently, each claim's and each class's YAML and a two-day change timeline. `found` is pure:
a claim whose class differs from the one class of its older siblings (claims of the same template, `data-db-0`,
`data-db-1`), whose class is the default now and theirs no longer is, names that class, with the annotation's
write from the timeline when it shows.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import object_of
from agent.triage.subject import Subject

CHECK = "storage.default_class_moved"
WEIGHT = 0.9
RECORD = "default_class"
DEFAULT = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT = "storageclass.beta.kubernetes.io/is-default-class"
RECENT = timedelta(hours=48)
MAX_CLAIMS = 16
HISTORY_WINDOW = "48h"

PROVISIONERS: tuple[tuple[str, str], ...] = (
    ("efs.csi.aws.com", "EFS, an NFS network filesystem: each fsync is a network round trip"),
    ("file.csi.azure.com", "Azure Files, an SMB/NFS network share: each fsync is a network round trip"),
    ("filestore.csi.storage.gke.io", "Filestore, an NFS network filesystem: each fsync is a network round trip"),
    ("nfs", "NFS, a network filesystem: each fsync is a network round trip"),
    ("cephfs", "CephFS, a network filesystem: each fsync is a network round trip"),
    ("ebs.csi.aws.com", "EBS block volumes"),
    ("pd.csi.storage.gke.io", "Persistent Disk block volumes"),
    ("disk.csi.azure.com", "Azure managed disks"),
)
"""What a provisioner's volumes are, for the reader: a network filesystem behaves unlike a block volume."""


@dataclass
class Moved:
    """A claim provisioned by a new default class while its siblings use the old one."""

    claim: Ref
    created: str
    new_class: str
    old_class: str
    siblings: list[str]
    new_provisioner: str = ""
    old_provisioner: str = ""
    written: str = ""
    """When the timeline shows the default annotation written (on either class)."""
    workload: Ref | None = None
    evidence: list[str] = field(default_factory=list)


def _default(obj: dict[str, Any]) -> bool:
    notes = (obj.get("metadata") or {}).get("annotations") or {}
    return str(notes.get(DEFAULT) or notes.get(BETA_DEFAULT) or "").lower() == "true"


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only: the subject namespace's claims; when one is recent, the claims', the classes' YAML and a
    two-day timeline."""
    namespace = subject.namespace
    end = parse_time(at)
    if not namespace or end is None:
        return
    listed = await call("k8s_list", {"kind": "PersistentVolumeClaim", "namespace": namespace},
                        f"survey-default-class-claims-{namespace}")
    rows = [r for r in ((listed.data or {}).get("rows") or [] if listed is not None and listed.ok
                        and isinstance(listed.data, dict) else []) if isinstance(r, dict) and r.get("name")]
    recent = [r for r in rows if (t := parse_time(r.get("created"))) is not None and end - RECENT <= t <= end]
    if not recent or len(rows) > MAX_CLAIMS:
        return
    kept: dict[str, Any] = {"claims": [], "classes": {}, "evidence": [listed.evidence_id] if listed else []}
    facts.reads[RECORD] = kept
    for row in rows:
        got = await call("k8s_get", {"kind": "PersistentVolumeClaim", "name": row["name"], "namespace": namespace,
                                     "output": "yaml"}, f"survey-default-class-claim-{row['name']}")
        obj = object_of(got)
        if obj is not None and got is not None:
            obj.setdefault("metadata", {}).setdefault("creationTimestamp", row.get("created"))
            kept["claims"].append(obj)
            kept["evidence"].append(got.evidence_id)
    names = {str((c.get("spec") or {}).get("storageClassName") or "") for c in kept["claims"]} - {""}
    for name in sorted(names):
        got = await call("k8s_get", {"kind": "StorageClass", "name": name, "output": "yaml"},
                         f"survey-default-class-class-{name}")
        obj = object_of(got)
        if obj is not None and got is not None:
            kept["classes"][name] = obj
            kept["evidence"].append(got.evidence_id)
    history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-shared-history")
    if history is not None and history.ok and isinstance(history.data, dict):
        facts.history.append((history.data, history.evidence_id))


def _template(name: str) -> tuple[str, str] | None:
    """(template prefix, ordinal) of a StatefulSet claim name (`data-pg-ledger-2` -> ("data-pg-ledger", "2"))."""
    m = re.fullmatch(r"(.+)-(\d{1,4})", name)
    return (m.group(1), m.group(2)) if m else None


def found(facts: Facts) -> list[Moved]:
    """Claims on the default class whose older siblings are on another class that is no longer the default."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    claims = [c for c in kept.get("claims") or [] if isinstance(c, dict)]
    classes: dict[str, dict[str, Any]] = kept.get("classes") or {}
    out: list[Moved] = []
    for claim in claims:
        meta = claim.get("metadata") or {}
        name, ns = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        created = parse_time(meta.get("creationTimestamp"))
        cls = str((claim.get("spec") or {}).get("storageClassName") or "")
        shape = _template(name)
        if not cls or created is None or shape is None or not _default(classes.get(cls) or {}):
            continue
        older = [c for c in claims if c is not claim and (t := _template(str((c.get("metadata") or {}).get("name"))))
                 and t[0] == shape[0] and (when := parse_time((c.get("metadata") or {}).get("creationTimestamp")))
                 and when < created]
        old = {str((c.get("spec") or {}).get("storageClassName") or "") for c in older}
        if len(old) != 1 or cls in old or "" in old or _default(classes.get(next(iter(old))) or {}):
            continue
        previous = next(iter(old))
        moved = Moved(Ref("PersistentVolumeClaim", ns, name), str(meta.get("creationTimestamp")), cls, previous,
                      sorted(str((c.get("metadata") or {}).get("name")) for c in older),
                      str((classes.get(cls) or {}).get("provisioner") or ""),
                      str((classes.get(previous) or {}).get("provisioner") or ""),
                      evidence=[e for e in kept.get("evidence") or [] if e])
        moved.written = _annotated(facts, {cls, previous}, created)
        moved.workload = _owner(facts, ns, shape[0])
        out.append(moved)
    return out


def _annotated(facts: Facts, names: set[str], before: Any) -> str:
    """When the timeline shows a write to the default annotation of one of these classes before the claim."""
    for data, _ in [(facts.changes or {}, ""), *facts.history]:
        for change in data.get("changes") or []:
            ref = Ref.of(change.get("object")) if isinstance(change, dict) else None
            when = parse_time(change.get("at")) if isinstance(change, dict) else None
            if ref is None or ref.kind != "StorageClass" or ref.name not in names or when is None or when > before:
                continue
            text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
            if "is-default-class" in text or "annotations" in text:
                return str(change.get("at"))
    return ""


def _owner(facts: Facts, namespace: str, prefix: str) -> Ref | None:
    """The StatefulSet whose claim template made the claim (`<template>-<statefulset>-<ordinal>`), as the
    findings or the timeline name it."""
    refs = [Ref.of(f.get("object")) for f in facts.findings()]
    refs += [Ref.of(c.get("object")) for data, _ in [(facts.changes or {}, ""), *facts.history]
             for c in data.get("changes") or [] if isinstance(c, dict)]
    for ref in refs:
        if ref is not None and ref.kind == "StatefulSet" and ref.namespace == namespace and \
                prefix.endswith("-" + ref.name):
            return ref
    return None


def _what(provisioner: str) -> str:
    return next((words for key, words in PROVISIONERS if key in provisioner), provisioner or "another provisioner")


def finding(moved: Moved) -> dict[str, Any]:
    """The class's finding: it became the default, the claim it took, the siblings' class, what differs."""
    written = f" (the default annotation written {moved.written})" if moved.written else ""
    new, old = _what(moved.new_provisioner), _what(moved.old_provisioner)
    slower = ("; writes that fsync (a database's WAL and checkpoints) wait on the network there, so the replica "
              "on it falls behind its siblings" if "network" in new and "network" not in old else
              "; the replica on it performs unlike its siblings")
    message = (f"StorageClass {moved.new_class} became the default StorageClass{written}: claim {moved.claim} "
               f"created {moved.created} names no class, so it was provisioned on {moved.new_class} ({new}) while "
               f"its siblings {', '.join(moved.siblings[:3])} are on {moved.old_class} ({old}){slower}. Pin "
               f"storageClassName: {moved.old_class} in the claim template or move the {DEFAULT} annotation back")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "StorageClass", "namespace": "", "name": moved.new_class},
            "reason": "DefaultStorageClassMoved", "message": message,
            "evidence": [f"{moved.claim}: storageClassName {moved.new_class}",
                         f"siblings: storageClassName {moved.old_class}"],
            "details": {"claim": str(moved.claim), "new_class": moved.new_class, "old_class": moved.old_class,
                        "written": moved.written}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The StorageClass that became the default; it explains the claim and the workload using it."""
    out = []
    for moved in found(facts):
        explains = [moved.claim, *([moved.workload] if moved.workload else [])]
        out.append((Ref("StorageClass", "", moved.new_class), finding(moved), list(dict.fromkeys(moved.evidence)),
                    explains))
    return out
