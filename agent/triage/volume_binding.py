"""A pod that cannot schedule because its new volume was provisioned where it cannot run, after its StorageClass
changed how (or where) it provisions.

The scheduler's VolumeBinding and VolumeZone plugins say so in their own words: `node(s) had volume node affinity
conflict`, `node(s) had no available volume zone`, `node(s) didn't match PersistentVolume's node affinity`: the
claim is already bound to a volume whose `spec.nodeAffinity` (a zone, a node) excludes every node the pod may
otherwise use (anti-affinity, taints, capacity). The pod and its workload are where it shows; what decided the
volume's place is the claim's StorageClass:

- `volumeBindingMode: Immediate` (also the default when the field is left out) provisions the volume as soon as
  the claim exists, in a zone the driver picks alone, before the scheduler has chosen a node;
  `WaitForFirstConsumer` delays it until the pod is scheduled, so the volume is created in that node's zone;
- `allowedTopologies` or a zone parameter (`zone`, `zones`, `availability-zone`, `replication-type` regional
  settings) pins every new volume to the zones listed, whether or not the pod can run there.

So when a claim's volume was provisioned (or, for a pre-created volume, bound) after its StorageClass was written
(a class is immutable in these fields: a new value means it was deleted and created again, which the timeline or
its creationTimestamp and managedFields show) and the class now binds Immediately or pins zones, the class is the
cause: the volumes made before the write are in place and fine; only the new one is stranded. A class written
after the volume was provisioned, or one that still waits for the first consumer without pinning zones, is not
named here (a node or zone lost, or a scheduling constraint, stranded the volume instead).

The survey calls `read` (reading only, when a finding shows a volume-topology scheduling failure): the failing
workload, its claims, their volumes and classes, and a two-day timeline. `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.volume_binding"
WEIGHT = 0.95
"""Above the scheduling failure it explains and above a bare replicas or rollout write of the stranded workload:
the volume's own node affinity shows where the class put it."""
RECORD = "volume_binding"
LEAD = timedelta(hours=48)
"""How long before the stranded volume was provisioned its class's write may have been made and still be its
cause."""
HISTORY_WINDOW = "48h"
MAX_CLAIMS = 8
MAX_WORKLOADS = 2

STRANDED = re.compile(r"volume node affinity conflict|no available volume zone|"
                      r"didn't match PersistentVolume'?s? node affinity|volume node affinity", re.I)
"""The scheduler's words for a bound volume whose node affinity excludes the nodes the pod could use."""

WORKLOAD_NAMED = re.compile(r"(StatefulSet|Deployment|DaemonSet|ReplicaSet|Job) ([a-z0-9-]+)/([a-z0-9.-]+)")
"""How the scan's volume-affinity finding names the stranded pods' workload (`details.workload`)."""

ZONE_PARAMETER = re.compile(r"^(?:zone|zones|availability-?zone|topology|replica-zones|location)$", re.I)
"""StorageClass parameters that pin new volumes to zones (in-tree EBS/GCE `zone(s)`, Cinder `availability`)."""


@dataclass
class Stranded:
    """A claim whose volume was provisioned, after its class was written, where its pod cannot run."""

    storage_class: Ref
    change: dict[str, Any]
    claim: Ref
    volume: str
    zones: list[str]
    provisioned: datetime
    mode: str
    pinned: str
    workload: Ref
    said: str
    kept: list[Ref] = field(default_factory=list)
    """The workload's older claims, provisioned before the class write (fine where they are)."""
    evidence: list[str] = field(default_factory=list)


def _texts(finding: dict[str, Any]) -> list[str]:
    return [str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or [])]


def stranded_workloads(facts: Facts) -> list[tuple[Ref, str]]:
    """(workload, the scheduler's words) for every finding whose pods cannot schedule for a volume's topology."""
    out: list[tuple[Ref, str]] = []
    for finding in facts.findings():
        owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        named = WORKLOAD_NAMED.fullmatch(str((finding.get("details") or {}).get("workload") or ""))
        if named is not None and (owner is None or owner.kind in ("PersistentVolume", "Node")):
            owner = Ref(named.group(1), named.group(2), named.group(3))  # the scan's volume finding names it
        said = next((t for t in reversed(_texts(finding)) if STRANDED.search(t)), "")
        if owner is None or not said or any(owner.same_object(o) for o, _ in out):
            continue
        out.append((owner, said))
    return out


def _claim_names(workload: dict[str, Any], name: str) -> list[str]:
    """The claims a workload's pods mount: a StatefulSet's `<template>-<name>-<ordinal>` (newest ordinal first,
    the one a scale-up just created) and every pod template's persistentVolumeClaim."""
    spec = workload.get("spec") or {}
    out: list[str] = []
    replicas = spec.get("replicas")
    count = replicas if isinstance(replicas, int) and 0 < replicas <= MAX_CLAIMS else 1
    for template in spec.get("volumeClaimTemplates") or []:
        claim = str(((template or {}).get("metadata") or {}).get("name") or "")
        out += [f"{claim}-{name}-{i}" for i in reversed(range(count))] if claim else []
    for volume in ((spec.get("template") or {}).get("spec") or {}).get("volumes") or []:
        claim = str(((volume or {}).get("persistentVolumeClaim") or {}).get("claimName") or "")
        if claim:
            out.append(claim)
    return list(dict.fromkeys(out))[:MAX_CLAIMS]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when pods cannot schedule for a volume's node affinity: the workload, its claims, their
    volumes and classes, and a two-day timeline (a class rewritten the day before)."""
    workloads = stranded_workloads(facts)[:MAX_WORKLOADS]
    if not workloads:
        return
    kept: dict[str, Any] = {"objects": {}, "evidence": {}}
    facts.reads[RECORD] = kept

    async def get(kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        ref = Ref(kind, namespace, name)
        if str(ref) in kept["objects"]:
            return dict(kept["objects"][str(ref)])
        got = await get_yaml(call, kind, name, namespace, f"survey-volume-binding-{kind.lower()}-{name}")
        if got is None:
            return None
        kept["objects"][str(ref)], kept["evidence"][str(ref)] = got
        return got[0]

    for workload, _ in workloads:
        obj = await get(workload.kind, workload.name, workload.namespace)
        for name in _claim_names(obj or {}, workload.name):
            claim = await get("PersistentVolumeClaim", name, workload.namespace)
            spec = (claim or {}).get("spec") or {}
            if spec.get("volumeName"):
                await get("PersistentVolume", str(spec["volumeName"]), "")
            if spec.get("storageClassName"):
                await get("StorageClass", str(spec["storageClassName"]), "")
    if not facts.history_reaches(LEAD):
        history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-volume-binding-history")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))


def _zones(volume: dict[str, Any]) -> list[str]:
    """The zones (or nodes) a volume's required node affinity allows."""
    terms = ((((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required") or {})
             .get("nodeSelectorTerms") or [])
    return [str(v) for t in terms if isinstance(t, dict) for e in t.get("matchExpressions") or []
            if isinstance(e, dict) for v in e.get("values") or []]


def _pins(obj: dict[str, Any]) -> tuple[str, str]:
    """(binding mode, what pins zones) of a class: Immediate when the field is left out (the API's default)."""
    mode = str(obj.get("volumeBindingMode") or "Immediate")
    topologies = [str(v) for t in obj.get("allowedTopologies") or [] if isinstance(t, dict)
                  for e in t.get("matchLabelExpressions") or [] if isinstance(e, dict) for v in e.get("values") or []]
    params = [f"{k}={v}" for k, v in (obj.get("parameters") or {}).items() if ZONE_PARAMETER.match(str(k))]
    pinned = (f"allowedTopologies {', '.join(topologies)}" if topologies else "") or \
        (f"parameters {', '.join(params)}" if params else "")
    return mode, pinned


def _placed(claim: dict[str, Any], volume: dict[str, Any]) -> datetime | None:
    """When the volume was given to the claim: the later of the volume's and the claim's creation. A dynamically
    provisioned volume is made for its claim (the volume is the later); a pre-created one (local disks a static
    provisioner publishes, an admin's pool of zonal or NFS volumes) waits, and an Immediate class binds it the
    moment the claim appears (the claim is the later), so a months-old volume can still be placed by a new class."""
    times = [t for t in (parse_time((volume.get("metadata") or {}).get("creationTimestamp")),
                         parse_time((claim.get("metadata") or {}).get("creationTimestamp"))) if t is not None]
    return max(times) if times else None


def found(facts: Facts) -> list[Stranded]:
    """Each class written before a stranded workload's newest volume was provisioned, which binds Immediately or
    pins zones."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    evidence: dict[str, str] = kept.get("evidence") or {}
    out: list[Stranded] = []
    for workload, said in stranded_workloads(facts):
        claims = [(Ref("PersistentVolumeClaim", workload.namespace, n), c) for n in
                  _claim_names(objects.get(str(workload)) or {}, workload.name)
                  if (c := objects.get(str(Ref("PersistentVolumeClaim", workload.namespace, n)))) is not None]
        for claim, obj in claims:
            spec = obj.get("spec") or {}
            volume = objects.get(str(Ref("PersistentVolume", "", str(spec.get("volumeName") or ""))))
            klass = objects.get(str(Ref("StorageClass", "", str(spec.get("storageClassName") or ""))))
            if volume is None or klass is None:
                continue
            name = str(spec.get("storageClassName"))
            provisioned = _placed(obj, volume)
            # a class's binding mode, topologies and parameters cannot be edited: a new value means it was made again
            write = facts.newest_write("StorageClass", name, klass, created="(re)created")
            written = parse_time(write[0].get("at")) if write else None
            mode, pinned = _pins(klass)
            if write is None or written is None or provisioned is None or not \
                    (written <= provisioned <= facts.at and provisioned - written <= LEAD):
                continue
            if mode != "Immediate" and not pinned:
                continue  # the class waits for the pod's node and pins nothing: it did not choose the zone
            if any(s.storage_class.name == name and s.workload.same_object(workload) for s in out):
                continue
            older = [c for c, o in claims if (p := _placed(o, objects.get(str(Ref(
                "PersistentVolume", "", str((o.get("spec") or {}).get("volumeName") or "")))) or {})) is not None
                and p < written]
            ids = [evidence.get(str(r), "") for r in (workload, claim, Ref("PersistentVolume", "", str(
                spec.get("volumeName"))), Ref("StorageClass", "", name))]
            out.append(Stranded(Ref("StorageClass", "", name), write[0], claim, str(spec.get("volumeName")),
                                _zones(volume), provisioned, mode, pinned, workload, said, older,
                                [e for e in [*ids, write[1]] if e]))
    return out


def finding(s: Stranded) -> dict[str, Any]:
    """The class's finding, its meaning first (the headline is cut): the binding mode or zone pin it provisions
    with, when it was written relative to the stranded volume, the scheduler's words."""
    before = minutes_text(int((s.provisioned - (parse_time(s.change.get("at")) or s.provisioned))
                              .total_seconds() // 60))
    zones = ", ".join(s.zones) or "?"
    diff = "; ".join(str(d) for d in s.change.get("diff") or [])[:200]
    written = str(s.change.get("summary") or f"{s.storage_class} written") + (f" ({diff})" if diff else "")
    if s.mode == "Immediate":
        how = (f"volumeBindingMode: Immediate (not WaitForFirstConsumer): the volume is provisioned as soon as the "
               f"claim exists, in a zone the driver picks before the scheduler chooses a node, so claim "
               f"{s.claim.name}'s volume landed in {zones} where the pod cannot run")
    else:
        how = (f"{s.pinned} pin new volumes to those zones, so claim {s.claim.name}'s volume landed in {zones} "
               f"where the pod cannot run")
    kept = f"; the older claims ({', '.join(c.name for c in s.kept[:3])}) predate the write and are placed fine" \
        if s.kept else ""
    message = (f"{s.storage_class} binds with {how}: volume node affinity conflict for {s.workload}. {written} "
               f"{before} before {s.claim} was bound ({s.volume}){kept}. The scheduler says: "
               f"'{s.said[:200]}'. Restore volumeBindingMode: WaitForFirstConsumer (or the old topology) on "
               f"{s.storage_class}, then delete and re-create the stranded claim (its data volume is empty)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "StorageClass", "namespace": "", "name": s.storage_class.name},
            "reason": "VolumeBindingChanged", "message": message, "evidence": [s.said[:200], written[:200]],
            "details": {"claim": str(s.claim), "volume": s.volume, "zones": s.zones, "mode": s.mode,
                        "pinned": s.pinned, "change_at": s.change.get("at"),
                        "provisioned": s.provisioned.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The class that placed a stranded volume; it explains the workload, the claim and the volume (whose node
    affinity the scan reports as matching no usable node)."""
    return [(s.storage_class, finding(s), list(dict.fromkeys(s.evidence)),
             [s.workload, s.claim, Ref("PersistentVolume", "", s.volume)]) for s in found(facts)]
