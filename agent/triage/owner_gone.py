"""An object garbage-collected with its owner: a retention change made the owner go, and its dependents went too.

Kubernetes' garbage collector deletes every object whose `ownerReferences` all point at objects that no longer
exist. A Job that creates a Secret or ConfigMap and makes itself the owner (`kubectl patch ... ownerReferences`, a
client setting `metadata.ownerReferences` to the Job's uid so old material is cleaned up with its Job) ties that
object's life to the Job's. The Job's own life is set elsewhere: the CronJob's `successfulJobsHistoryLimit` /
`failedJobsHistoryLimit` (how many finished Jobs the CronJob controller keeps; 0 deletes each one as soon as it
finishes), the Job's `ttlSecondsAfterFinished` (the TTL-after-finished controller deletes it that long after it
finished). A write that sets the limit to 0 or a short TTL makes the owner go right after the run, the garbage
collector deletes the Secret it owns, and every pod created after that fails `CreateContainerConfigError: secret
"x" not found`. The missing Secret is the symptom; the retention write is the cause.

The survey (`read`, reading only, when a needed Secret/ConfigMap is missing: `deleted_dependency.missing`) reads
the CronJobs and Jobs of the missing object's namespace and keeps those whose template names the missing object,
says it sets an owner reference to its own Job, and keeps its Jobs no longer (a history limit of 0, a TTL of at most
a day). `found` (pure) names the one whose retention was written in the LEAD before the victims failed (the
timeline's write, else its managedFields entry for that field), with the controller's deletion of its Job when the
timeline shows it. Not named: a creator that does not own its object through the Job (nothing is collected), a
retention that keeps Jobs (limit >= 1, no TTL), a retention unwritten for longer than the LEAD or written after the
victims failed, a template that does not name the missing object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import deleted_dependency
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.owner_gone"
WEIGHT = 0.96
"""Above the deleted_dependency and the missing object: the retention write is why the owner, and so the object,
went."""
STORE = "owner_gone"
LEAD = timedelta(hours=72)
MAX_TTL = 86400
MAX_CREATORS = 6
_OWNED = re.compile(r"owner_?references?|ownerRef|\bowner[-_ ]?uid\b|set-owner|--owner\b", re.I)
"""A template's words that say it makes its Job the owner of what it creates."""
_DELETED_JOB = re.compile(r"Deleted job|SuccessfulDelete|deleted job", re.I)

Call = Callable[..., Awaitable[Any]]


def _template(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    return ((spec.get("jobTemplate") or {}).get("spec") or spec) if obj.get("kind") == "CronJob" else spec


def retention(obj: dict[str, Any]) -> tuple[str, str] | None:
    """(field path, value) of a retention that deletes the creator's Jobs soon after they finish, or None."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob" and spec.get("successfulJobsHistoryLimit") == 0:
        return "successfulJobsHistoryLimit", "0"
    ttl = _template(obj).get("ttlSecondsAfterFinished")
    if isinstance(ttl, int) and 0 <= ttl <= MAX_TTL:
        return "ttlSecondsAfterFinished", str(ttl)
    return None


def _field_written(obj: dict[str, Any], path: str, since: datetime, until: datetime) -> tuple[datetime, str] | None:
    """When a managedFields entry last set the field (in the window), and its manager."""
    best: tuple[datetime, str] | None = None
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        when = parse_time((entry or {}).get("time"))
        if when is None or not since <= when <= until or f"f:{path}" not in json.dumps(entry.get("fieldsV1") or {}):
            continue
        if best is None or when > best[0]:
            best = (when, str(entry.get("manager") or ""))
    return best


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a needed Secret/ConfigMap is missing: the CronJobs and Jobs of its namespace whose
    template names it, owns it through its Job, and keeps its Jobs no longer."""
    gone = [g for g in deleted_dependency.missing(facts) if g.ref.kind in ("Secret", "ConfigMap")]
    if STORE in facts.reads or not gone:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for g in gone[:2]:
        for kind in ("CronJob", "Job"):
            listed = await call("k8s_list", {"kind": kind, "namespace": g.ref.namespace},
                                f"survey-owner-gone-{kind.lower()}-{g.ref.namespace}")
            if listed is None or not listed.ok or not isinstance(listed.data, dict):
                continue
            for row in (listed.data.get("rows") or [])[:MAX_CREATORS]:
                name = str((row or {}).get("name") or "")
                got = await get_yaml(call, kind, name, g.ref.namespace, f"survey-owner-gone-{name}") if name else None
                if got is None:
                    continue
                text = json.dumps(_template(got[0]).get("template") or {})
                kept = retention(got[0])
                if g.ref.name not in text or not _OWNED.search(text) or kept is None:
                    continue
                store.append({"creator": [kind, g.ref.namespace, name], "gone": [g.ref.kind, g.ref.namespace,
                                                                                 g.ref.name],
                              "victims": [[v.kind, v.namespace, v.name] for v in g.victims],
                              "first": g.first.isoformat() if g.first else None, "retention": list(kept),
                              "object": got[0], "evidence": [got[1]]})


@dataclass
class OwnerGone:
    """A creator whose retention write deletes its Jobs, and with them the object it made them own."""

    creator: Ref
    gone: Ref
    path: str
    value: str
    written: datetime
    by: str
    deleted: str
    victims: list[Ref]
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[OwnerGone]:
    """Creators whose retention was written in the LEAD before the victims failed."""
    out: list[OwnerGone] = []
    for entry in facts.reads.get(STORE) or []:
        creator = Ref(*entry["creator"])
        path, value = entry["retention"]
        failed = parse_time(entry.get("first")) or facts.at
        written: tuple[datetime, str] | None = None
        for change, _, target in facts.writes_to({creator.kind}, within=LEAD, deletions=False):
            when = parse_time(change.get("at"))
            if target.same_object(creator) and when is not None and when <= failed and path in json.dumps(
                    [change.get("summary"), change.get("diff")]):
                written = (when, written_by(change))
                break
        if written is None:
            written = _field_written(entry["object"], path, facts.at - LEAD, failed)
        if written is None:
            continue
        deleted = next((str(c.get("summary") or "") for c, _ in facts.every_change()
                        if (r := Ref.of(c.get("object"))) is not None and r.same_object(creator)
                        and _DELETED_JOB.search(str(c.get("summary") or ""))
                        and (t := parse_time(c.get("at"))) is not None and written[0] <= t <= failed), "")
        out.append(OwnerGone(creator, Ref(*entry["gone"]), path, value, written[0], written[1], deleted,
                             [Ref(*v) for v in entry.get("victims") or []], list(entry.get("evidence") or [])))
    return out[:1]


def finding(hit: OwnerGone, at: datetime) -> dict[str, Any]:
    """What the retention write means first (the owner Job goes, the garbage collector takes the object), then
    the deletion seen and the victims."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    what = ("the CronJob controller deletes each finished Job at once" if hit.path == "successfulJobsHistoryLimit"
            else f"each Job is deleted {hit.value}s after it finishes")
    seen = f" (seen: {hit.deleted[:140]})" if hit.deleted else ""
    victims = ", ".join(str(v) for v in hit.victims[:3]) or "its users"
    message = (f"{hit.creator}'s {hit.path} was set to {hit.value}{' by ' + hit.by if hit.by else ''} {ago} before "
               f"the incident: {what}, and {hit.gone} that its run creates and makes owned by its Job "
               f"(ownerReference) is deleted by the garbage collector with the Job{seen}, so {victims} fail for the "
               f"missing {hit.gone.kind}. Restore the retention ({hit.path} >= 1 / no short TTL) or stop making the "
               f"Job the owner, then rerun {hit.creator.name}")
    return {"check": CHECK, "severity": "critical", "reason": "OwnerGarbageCollected",
            "object": {"kind": hit.creator.kind, "namespace": hit.creator.namespace, "name": hit.creator.name},
            "message": message, "evidence": [f"{hit.path}: {hit.value}"],
            "details": {"gone": str(hit.gone), "field": hit.path, "value": hit.value,
                        "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The creator whose retention write made its owned object go, explaining the object and its victims."""
    return [(h.creator, finding(h, facts.at), h.evidence, [h.gone, *h.victims]) for h in found(facts)]
