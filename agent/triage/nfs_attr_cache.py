"""NFS attribute caching lengthened on a shared volume: readers see new files and directory changes minutes late.

An NFS client caches file and directory attributes (`acregmin`/`acregmax`/`acdirmin`/`acdirmax`, or all four at
once with `actimeo`), may skip the close-to-open revalidation (`nocto`) and may trust cached name lookups
(`lookupcache=all|positive`). Set on a PersistentVolume's `mountOptions` (or a StorageClass's, for volumes it
provisions), they apply when a node next mounts the share: a pod started after the write lists a directory and
sees it as it was minutes ago. Nothing errors; a reader that polls a drop directory (a feed importer, a batch
picking up uploads, a sync job) reports "no new files", freshness or age gauges climb, and the writer on another
node is fine. Any NFS server counts (EFS, Filestore, Azure Files NFS, NetApp, a plain nfsd).

Named: the PersistentVolume (or StorageClass) whose `mountOptions` were written within LEAD and now hold a long
attribute cache, when a pod mounting a claim bound to it started after that write. Twins: short or disabled
caching (`actimeo=3`, `noac`, `lookupcache=none`), options written long ago, a reader whose pod has not remounted
since the write. Reading only: the PVs and StorageClasses, and the pods of a bound claim's namespace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, has_run, rows_of
from agent.triage.subject import Subject

CHECK = "volume.nfs_attr_cache"
WEIGHT = 0.9
"""The mount options are what to revert: every stale listing follows from them once a pod remounts."""
STORE = "nfs_attr_cache"
LEAD = timedelta(hours=24)
"""How old the write may be: its harm lands only when a node next mounts the share."""
LONG_CACHE = 60
"""Seconds: NFS' defaults cache attributes 3-60 s; longer than a minute hides a new file for minutes."""
MAX_OBJECTS = 12
MAX_PODS = 8
Call = Callable[..., Awaitable[Any]]

_TIMED = re.compile(r"^(actimeo|acregmin|acregmax|acdirmin|acdirmax)=(\d+)$", re.I)
_FLAG = re.compile(r"^(nocto|lookupcache=(?:all|pos|positive))$", re.I)


def long_cache(options: list[str]) -> list[str]:
    """The mount options that cache attributes or lookups longer than NFS' defaults ([] when none or `noac`)."""
    words = [str(o).strip() for o in options]
    if any(w.lower() == "noac" for w in words):
        return []
    out = []
    for word in words:
        m = _TIMED.match(word)
        if (m and int(m.group(2)) > LONG_CACHE) or _FLAG.match(word):
            out.append(word)
    return out


def options_written(obj: dict[str, Any]) -> datetime | None:
    """When the object's mountOptions were last written: a managedFields entry owning them, else its creation
    (a StorageClass cannot be edited, only recreated)."""
    meta = obj.get("metadata") or {}
    times = [parse_time(m.get("time")) for m in meta.get("managedFields") or []
             if isinstance(m, dict) and '"f:mountOptions"' in _fields_text(m)]
    known = [t for t in times if t is not None]
    if known:
        return max(known)
    return parse_time(meta.get("creationTimestamp")) if _options(obj) else None


def _written(facts: Facts, obj: dict[str, Any]) -> datetime | None:
    """When the options were written: the object's own managedFields when the read kept them, else the newest
    write of it in the change timelines whose diff names mountOptions (or says nothing of what it changed)."""
    own = options_written(obj)
    meta = obj.get("metadata") or {}
    if meta.get("managedFields") or own is None:
        return own
    kind = "StorageClass" if "spec" not in obj else "PersistentVolume"
    writes = [parse_time(c.get("at")) for c, _, r in facts.writes_to((kind,), deletions=False)
              if r.name == meta.get("name") and (not c.get("diff") or "mountoptions" in str(c.get("diff")).lower())]
    known = [t for t in writes if t is not None]
    return max(known) if known else own


def _fields_text(entry: dict[str, Any]) -> str:
    return json.dumps(entry.get("fieldsV1") or {})


def _options(obj: dict[str, Any]) -> list[str]:
    raw = (obj.get("spec") or {}).get("mountOptions") if "spec" in obj else obj.get("mountOptions")
    return [str(o) for o in raw] if isinstance(raw, list) else []


def _uses_claim(pod: dict[str, Any], claim: str) -> bool:
    return any(isinstance(v, dict) and (v.get("persistentVolumeClaim") or {}).get("claimName") == claim
               for v in (pod.get("spec") or {}).get("volumes") or [])


def _started(pod: dict[str, Any]) -> datetime | None:
    return parse_time((pod.get("status") or {}).get("startTime")) or \
        parse_time((pod.get("metadata") or {}).get("creationTimestamp"))


async def _objects(call: Call, kind: str) -> list[tuple[dict[str, Any], str]]:
    listed = await call("k8s_list", {"kind": kind, "namespace": ""}, f"survey-nfs-cache-{kind.lower()}s")
    out = []
    for row in rows_of(listed)[:MAX_OBJECTS]:
        got = await get_yaml(call, kind, str(row.get("name")), "", f"survey-nfs-cache-{kind.lower()}-{row.get('name')}")
        if got is not None:
            out.append(got)
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: PVs and StorageClasses with long caching written within LEAD, then the pods of each bound
    claim's namespace, to see which mounted the share after the write."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = store = {}
    classes = {str((o.get("metadata") or {}).get("name")): (o, e) for o, e in await _objects(call, "StorageClass")}
    for pv, evidence in await _objects(call, "PersistentVolume"):
        spec = pv.get("spec") or {}
        claim = spec.get("claimRef") or {}
        if not claim.get("name") or not (spec.get("nfs") or spec.get("csi")):
            continue
        source, source_ev = pv, evidence
        if not _options(pv) and str(spec.get("storageClassName") or "") in classes:
            source, source_ev = classes[str(spec.get("storageClassName"))]
        cached, when = long_cache(_options(source)), _written(facts, source)
        if not cached or when is None or not timedelta(0) <= facts.at - when <= LEAD:
            continue
        namespace = str(claim.get("namespace") or "")
        pods = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, f"survey-nfs-cache-pods-{namespace}")
        for row in [r for r in rows_of(pods) if has_run(r)][:MAX_PODS]:
            name = str(row.get("name"))
            got = await get_yaml(call, "Pod", name, namespace, f"survey-nfs-cache-pod-{name}")
            started = _started(got[0]) if got else None
            if got and started is not None and started >= when and _uses_claim(got[0], str(claim["name"])):
                meta = source.get("metadata") or {}
                kind = "PersistentVolume" if source is pv else "StorageClass"
                store[f"{kind}/{meta.get('name')}"] = {
                    "kind": kind, "name": str(meta.get("name")), "options": cached, "at": when.isoformat(),
                    "pod": Ref("Pod", namespace, str(row.get("name"))), "claim": str(claim["name"]),
                    "started": started.isoformat(), "evidence": [source_ev, got[1]]}
                break


@dataclass
class Cached:
    """A share's mount options that cache attributes long, and a reader that mounted it since."""

    target: Ref
    options: list[str]
    at: datetime
    pod: Ref
    claim: str
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[Cached]:
    out = []
    for hit in (facts.reads.get(STORE) or {}).values():
        at = parse_time(hit["at"])
        if at is not None:
            out.append(Cached(Ref(hit["kind"], "", hit["name"]), hit["options"], at, hit["pod"], hit["claim"],
                              [e for e in hit["evidence"] if e]))
    return out


def finding(hit: Cached, at: datetime) -> dict[str, Any]:
    """The write and the options first: the first 400 characters are what ranking quotes."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    message = (f"{hit.target}'s NFS mountOptions were written {ago} before the alert and now hold "
               f"{', '.join(hit.options)}: the client's attribute cache (actimeo/acregmin/acdirmin, nocto, "
               f"lookupcache) keeps directory listings and file attributes for minutes, so {hit.pod} (claim "
               f"{hit.claim}, mounted since the write) sees new files late or not at all. Give the options back "
               f"(short or default caching) and remount the readers")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": hit.target.kind, "namespace": "", "name": hit.target.name},
            "reason": "NfsAttributeCacheLengthened", "message": message, "evidence": list(hit.options),
            "details": {"options": hit.options, "pod": str(hit.pod), "claim": hit.claim}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the PV or StorageClass, its finding, evidence ids, the reader pod) for agent.triage.behind."""
    return [(h.target, finding(h, facts.at), h.evidence, [h.pod]) for h in found(facts)]
