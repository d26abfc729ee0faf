"""A StorageClass re-applied without `allowVolumeExpansion: true`: every resize of its claims is refused, the
volume fills instead of growing.

Volumes that grow on demand are grown by something outside the claim: an autoresizer (topolvm's
pvc-autoresizer, kubernetes-volume-autoscaler), a database or queue operator (CloudNativePG, Strimzi, the Zalando
and Crunchy operators, Elastic's ECK) or a runbook's `kubectl patch`. Each patches the claim's
`spec.resources.requests.storage`, and the API server's admission allows it only when the claim's StorageClass
says `allowVolumeExpansion: true`. A class re-created or re-applied from a baseline that leaves the field out
(it defaults to false) turns every later resize into a refusal in the API server's words, logged by whoever
asked: `persistentvolumeclaims "data-db-0" is forbidden: only dynamically provisioned pvc can be resized and the
storageclass that provisions the pvc must support resize` (operators may say it as "storage class ... does not
support volume expansion"). Nothing else changes until the volume is full, and the page names the full claim.

So when a claim that is full (or whose software says "No space left on device") belongs to a StorageClass
written in the last three days that no longer allows expansion, and a log or event in the cluster carries the
refusal wording for that claim, the class is the cause; the full volume is its effect. A class that still allows
expansion, a refusal naming another claim, or no refusal at all (nobody tried to grow it) is not named here.

The survey calls `read` (reading only, when a full claim's class was written in the lead): the claim, its class,
and the logs (grepped for the refusal) of the pods most likely to resize claims, and the claim namespace's
events. `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import full_volume
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.expansion_refused"
WEIGHT = 0.95
"""Above the full claim it explains (0.84) and the database's own 'No space left' errors: the class is what to
restore before the volume can grow."""
RECORD = "expansion_refused"
LEAD = timedelta(hours=72)
HISTORY_WINDOW = "72h"
MAX_CLAIMS = 3
MAX_RESIZERS = 10
"""Pods whose logs are grepped for the refusal (those that look like they resize claims, then the claim's
namespace)."""

REFUSED = re.compile(r"storageclass that provisions the pvc must support resize|"
                     r"only dynamically provisioned pvc can be resized|"
                     r"storage ?class[^\n]{0,80}(?:does not|doesn't|not) (?:support|allow)[^\n]{0,30}"
                     r"(?:expan|resiz)|allowVolumeExpansion[^\n]{0,40}(?:false|not set|disabled)|"
                     r"StorageClassNotExpandable|VolumeExpansionNotSupported|"
                     r"storage ?class[^\n]{0,60}\bis not expandable", re.I)
"""The API server's admission refusal of a claim resize and operators' own words for the class: Strimzi's
"Storage Class X does not support resizing of volumes. PVC Y cannot be resized", pvc-autoresizer's "storage class
does not support expansion", "storage class X does not allow volume expansion to resize claim Y", the event
reasons StorageClassNotExpandable / VolumeExpansionNotSupported."""
FULL = re.compile(r"\bis full\b|no space left on device|100% used|filling up|disk full|out of (?:disk|space)", re.I)
"""A finding's words for a claim out of space."""
RESIZER = re.compile(r"resiz|autoscal|expan|operator|volume|storage|pvc", re.I)
"""Names and images of pods that grow claims (autoresizers, storage and database operators)."""
NAMED_CLAIM = re.compile(r'persistentvolumeclaims? \\?"[a-z0-9.-]+|'
                         r'\bPVC[: ]+\\?"?(?!(?:is|was|can|cannot|could|will|has|for|of|in|to|not|resiz\w*|'
                         r'expan\w*)\b)[a-z0-9][a-z0-9.-]+|resize claim [a-z0-9.-]+')
"""A refusal that names its claim (one naming another claim is not this claim's)."""
CLAIM_IN_TEXT = re.compile(r"PersistentVolumeClaim ([a-z0-9-]+)/([a-z0-9.-]+)")

Call = Callable[..., Awaitable[Any]]


@dataclass
class Refused:
    """A full claim whose class, re-written without expansion, refuses its resizes."""

    klass: Ref
    change: dict[str, Any]
    claim: Ref
    refusal: str
    refused_by: str
    """The pod (namespace/name) or event whose words carry the refusal."""
    explains: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def full_claims(facts: Facts) -> list[tuple[Ref, dict[str, Any]]]:
    """(claim, finding) for every claim found full: by agent.triage.full_volume (the writer's own words and the
    kubelet's volume gauges), or by a finding that says a PersistentVolumeClaim is out of space."""
    out: list[tuple[Ref, dict[str, Any]]] = []
    for filling in full_volume.fillings(facts):
        if filling.claim is not None and not any(filling.claim.same_object(c) for c, _ in out):
            out.append((filling.claim, {"owner": {"kind": filling.workload.kind, "namespace": filling.namespace,
                                                  "name": filling.workload.name}}))
    for finding in facts.findings():
        text = " ".join([str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or [])])
        if not FULL.search(text):
            continue
        refs = [r for r in (Ref.of(finding.get("object")), Ref.of(finding.get("owner"))) if r is not None]
        refs += [Ref("PersistentVolumeClaim", m.group(1), m.group(2)) for m in CLAIM_IN_TEXT.finditer(text)]
        for ref in refs:
            if ref.kind == "PersistentVolumeClaim" and not any(ref.same_object(c) for c, _ in out):
                out.append((ref, finding))
    return out[:MAX_CLAIMS]


def _class_write(facts: Facts, name: str) -> tuple[dict[str, Any], str] | None:
    """The newest write of StorageClass `name` within the lead, with its evidence id."""
    writes = [(c, e) for c, e, r in facts.writes_to(("StorageClass",), within=LEAD, deletions=False) if r.name == name]
    return max(writes, key=lambda w: str(w[0].get("at"))) if writes else None


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a claim is full: its class (when the class was written in the lead), then the refusal
    in the logs of pods that grow claims and in the claim namespace's events."""
    claims = full_claims(facts)
    if not claims:
        return
    if not facts.history_reaches(LEAD):
        history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-expansion-history")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))
    kept: dict[str, Any] = {"objects": {}, "evidence": {}, "said": []}
    suspects: list[Ref] = []
    for claim, _ in claims:
        got = await get_yaml(call, "PersistentVolumeClaim", claim.name, claim.namespace,
                             f"survey-expansion-claim-{claim.name}")
        if got is None:
            continue
        kept["objects"][str(claim)], kept["evidence"][str(claim)] = got
        name = str((got[0].get("spec") or {}).get("storageClassName") or "")
        if not name or _class_write(facts, name) is None:
            continue
        klass = await get_yaml(call, "StorageClass", name, "", f"survey-expansion-class-{name}")
        if klass is None or klass[0].get("allowVolumeExpansion") is True:
            continue
        kept["objects"][f"StorageClass {name}"], kept["evidence"][f"StorageClass {name}"] = klass
        suspects.append(claim)
    if not suspects:
        return
    facts.reads[RECORD] = kept
    listed = await call("k8s_list", {"kind": "Pod"}, "survey-expansion-pods")
    rows = [r for r in ((listed.data or {}).get("rows") or [] if listed is not None and listed.ok else [])
            if isinstance(r, dict) and r.get("name")]
    namespaces = {c.namespace for c in suspects}

    def rank(row: dict[str, Any]) -> int:
        words = " ".join([str(row.get("name")), str(row.get("namespace")),
                          *(str(i) for i in row.get("images") or [])])
        return (2 if RESIZER.search(words) else 0) + (1 if row.get("namespace") in namespaces else 0)

    chosen = sorted((r for r in rows if rank(r) > 0), key=rank, reverse=True)[:MAX_RESIZERS]
    for row in chosen:
        got = await call("k8s_logs", {"name": row["name"], "namespace": row.get("namespace") or "", "tail": 300},
                   f"survey-expansion-logs-{row['name']}")
        if got is not None and got.ok:
            kept["said"] += [(f"{row.get('namespace')}/{row['name']}", line, got.evidence_id)
                             for line in str(got.full_text or "").splitlines() if REFUSED.search(line)][:5]
    for namespace in sorted(namespaces):
        got = await call("k8s_events", {"namespace": namespace}, f"survey-expansion-events-{namespace}")
        if got is not None and got.ok:
            kept["said"] += [(f"events {namespace}", line, got.evidence_id)
                             for line in str(got.full_text or "").splitlines() if REFUSED.search(line)][:5]


def found(facts: Facts) -> list[Refused]:
    """Each full claim whose class was written without expansion and whose resize the cluster's words refuse."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    evidence: dict[str, str] = kept.get("evidence") or {}
    out: list[Refused] = []
    for claim, finding in full_claims(facts):
        obj = objects.get(str(claim)) or {}
        name = str((obj.get("spec") or {}).get("storageClassName") or "")
        klass = objects.get(f"StorageClass {name}")
        write = _class_write(facts, name) if name else None
        if klass is None or write is None or klass.get("allowVolumeExpansion") is True:
            continue
        said = [(who, line, eid) for who, line, eid in kept.get("said") or []
                if claim.name in line or not NAMED_CLAIM.search(line)]
        if not said:
            continue
        who, line, eid = said[0]
        owner = Ref.of(finding.get("owner"))
        explains = [claim, *([owner] if owner is not None and not owner.same_object(claim) else [])]
        ids = [write[1], evidence.get(f"StorageClass {name}", ""), evidence.get(str(claim), ""), eid]
        out.append(Refused(Ref("StorageClass", "", name), write[0], claim, line.strip(), who, explains,
                           [i for i in dict.fromkeys(ids) if i]))
    return out


def finding(r: Refused, at: datetime) -> dict[str, Any]:
    """The class's finding, its meaning first (the headline is cut)."""
    written = parse_time(r.change.get("at"))
    before = minutes_text(int((at - written).total_seconds() // 60)) if written else "recently"
    hit = REFUSED.search(r.refusal)
    start = max(0, hit.start() - 50) if hit else 0
    quote = r.refusal[start:start + 200]
    summary = str(r.change.get("summary") or f"{r.klass} written")[:160]
    message = (f"{r.klass} no longer sets allowVolumeExpansion: true, so every resize of {r.claim} is forbidden "
               f"at admission and the volume fills instead of growing: '{quote}' ({r.refused_by}). "
               f"{summary}, {before} before the incident. Restore allowVolumeExpansion: true on {r.klass} "
               f"(it can be changed in place), then the pending resize goes through")
    return {"check": CHECK, "severity": "critical", "object": {"kind": "StorageClass", "namespace": "",
                                                                 "name": r.klass.name},
            "reason": "VolumeExpansionDisallowed", "message": message,
            "evidence": [quote, summary],
            "details": {"claim": str(r.claim), "refused_by": r.refused_by, "change_at": r.change.get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The class that refuses its claim's resize; it explains the full claim and the workload that owns it."""
    return [(r.klass, finding(r, facts.at), r.evidence, r.explains) for r in found(facts)]
