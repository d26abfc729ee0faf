"""A needed object that is gone because a GitOps controller pruned it, as its newly written source told it to.

A GitOps controller keeps the cluster equal to a source: Flux's Kustomization applies `spec.path` of its
source and, with `spec.prune: true`, deletes what it applied before and no longer finds there (its garbage
collection); Argo CD's Application does the same with `syncPolicy.automated.prune`. Point the Kustomization at
another overlay (`spec.path`), or the Application at another path, revision or repo (`spec.source`), and every
object missing from the new tree is deleted on the next reconcile. The victims then fail in the absent object's
own terms (a Service gone: `getaddrinfo ENOTFOUND stock-api.inventory.svc`, `no such host`; a ConfigMap gone:
CreateContainerConfigError), and the scan truthfully says "no Service exists": true, not the cause.

The controller says what it deleted, in its own words:

- Flux: an event on the Kustomization, reason Progressing, message `Service/inventory/stock-api deleted` (one
  line per object; the kustomize-controller log's `garbage collection completed` carries the same map);
- Argo CD: the Application's `status.operationState.syncResult.resources[]` entry for the object with
  `status: Pruned` (message `pruned`), and the application controller's log line `Adding resource result, status:
  'Pruned'` with `application=ns/name kind=... name=...`.

A generated object goes the same way one level up: an Argo CD ApplicationSet (or a Flux Kustomization applying
other Kustomizations) whose generator no longer yields a child deletes that child, and the child's finalizer
(`resources-finalizer.argocd.argoproj.io`, Flux's own garbage collection) deletes everything it had applied. The
child then says it deleted the object (Argo's application controller: `Deleting resource` with
`application=ns/child kind=... name=...`), and the parent says it deleted the child (the ApplicationSet
controller: `Deleted application` with `app=child applicationset=ns/parent`; Flux: `Kustomization/ns/child
deleted` on the parent). The child is gone and was never written wrong: the parent, with its generator written
before, is the suspect.

Events expire after about an hour, so when none says it, the controllers' own logs in the GitOps objects'
namespaces are grepped for the missing object's name: the line that deletes or prunes it also names the
Kustomization (`"Kustomization":{"name":...,"namespace":...}`) or Application (`application=ns/name`) it acted for.

So, when the topology shows a dependency the cluster lacks (`no Service ns/name exists`), the survey reads the
events of the namespaces holding GitOps objects written in the timeline, and those objects themselves; a GitOps
object that says it deleted that very object before the incident is the suspect, with its spec write that came
before the deletion (its new path or source, its prune) as the reason. A GitOps object written at the same time
that deleted something else, or a missing object nobody says they pruned, is not named here.

The survey calls `read` (reading only); `found` is pure over the facts.
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

CHECK = "gitops.pruned_needed_object"
WEIGHT = 0.94
"""Above the missing dependency it explains (dependency.unhealthy) and a bare write to the GitOps object: the
controller itself says it deleted the object the victims need."""
GITOPS_KINDS = ("Kustomization", "Application", "HelmRelease", "ApplicationSet")
"""Kinds whose controllers apply a source and prune what left it (Flux, Argo CD)."""
LEAD = timedelta(hours=48)
"""How long before the incident a prune (and its write) still counts."""
MAX_OBJECTS = 3
MAX_LOG_PODS = 3
READS_KEY = "gitops_prune"
_MISSING = re.compile(r"\bno (?P<kind>[A-Z]\w+) (?P<ns>[a-z0-9][a-z0-9-]*)/(?P<name>[a-z0-9][a-z0-9.-]*) exists\b")
"""The topology's wording for a dependency the cluster lacks (mcp_servers/kubernetes/topology.py)."""
_DELETED = re.compile(r"(?P<kind>[A-Z]\w+)/(?:(?P<ns>[a-z0-9][a-z0-9-]*)/)?(?P<name>[a-z0-9][a-z0-9.-]*)"
                      r"[\"']?\s*[:=]?\s*[\"']?(?:deleted|pruned)\b", re.IGNORECASE)
"""Flux's per-object change line: `Service/inventory/stock-api deleted` (and `"Service/inventory/x":"deleted"`)."""
_LOG_OWNER = re.compile(r'"(?P<kind>Kustomization|HelmRelease|Application)"\s*:\s*\{\s*"name"\s*:\s*'
                        r'"(?P<name>[^"]+)"\s*,\s*"namespace"\s*:\s*"(?P<ns>[^"]+)"')
"""The object a Flux controller's JSON log line acted for: `"Kustomization":{"name":"a","namespace":"flux-system"}`."""
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
_ARGO_PRUNED = re.compile(r"status: '?Pruned'?|\bDelet(?:ing|ed) resource\b")
"""Argo CD's application controller deleting an object: a sync's prune, or the Application's own deletion (its
resources finalizer deleting what it applied)."""
_ARGO_PARENT = re.compile(r"\bapplicationset=(?:(?P<ns>[a-z0-9-]+)/)?(?P<name>[a-z0-9][a-z0-9.-]*)")
_ARGO_CHILD = re.compile(r"\bapp(?:lication)?=(?:(?P<ns>[a-z0-9-]+)/)?(?P<name>[a-z0-9][a-z0-9.-]*)")
"""With `_ARGO_PARENT` and `_DELETE_WORD`: the ApplicationSet controller removing an Application its generators no
longer yield, `msg="Deleted application" app=<child> applicationset=<ns>/<set>`."""
_DELETE_WORD = re.compile(r"\bdelet(?:ed|ing|e)\b", re.IGNORECASE)
_ARGO_APP = re.compile(r"\bapplication=(?:(?P<ns>[a-z0-9-]+)/)?(?P<name>[a-z0-9][a-z0-9.-]*)")
_LOGFMT = re.compile(r"\b(?P<key>kind|name|namespace)=(?P<value>[\w.-]+)")


@dataclass
class Pruned:
    """A GitOps object that deleted an object a victim needs."""

    owner: Ref
    deleted: Ref
    said: str
    at: datetime | None
    write: dict[str, Any] | None
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    via: Ref | None = None
    """The generated child (an Application, a Kustomization) whose deletion by `owner` deleted the object."""


def missing(facts: Facts) -> list[tuple[Ref, list[Ref], str]]:
    """(object the cluster lacks, the subjects depending on it, topology evidence id) from the topologies read."""
    out: list[tuple[Ref, list[Ref], str]] = []
    for data, evidence in facts.topologies:
        whose = Ref.of(data.get("subject"))
        for dep in data.get("dependencies") or []:
            m = _MISSING.search(str(dep.get("detail") or "")) if isinstance(dep, dict) else None
            if m is None:
                continue
            ref = Ref(m.group("kind"), m.group("ns"), m.group("name"))
            known = next((o for o in out if o[0].same_object(ref)), None)
            if known is None:
                out.append((ref, [whose] if whose else [], evidence))
            elif whose is not None and all(not w.same_object(whose) for w in known[1]):
                known[1].append(whose)
    return out


def _gitops_writes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    return [(c, e) for c, e, _ in facts.writes_to(GITOPS_KINDS, within=LEAD)]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a dependency is missing: the events of the namespaces of GitOps objects written
    recently, and those objects (an Application's sync result lists what it pruned)."""
    if not missing(facts):
        return
    kept: dict[str, Any] = facts.reads.setdefault(READS_KEY, {"events": []})
    owners: list[Ref] = []
    for change, _ in _gitops_writes(facts):
        ref = Ref.of(change.get("object"))
        if ref is not None and all(not ref.same_object(o) for o in owners):
            owners.append(ref)
    for namespace in dict.fromkeys(o.namespace for o in owners[:MAX_OBJECTS]):
        got = await call("k8s_events", {"namespace": namespace}, f"survey-gitops-events-{namespace}")
        if got is not None and got.ok and isinstance(got.data, dict):
            kept["events"] += [(r, got.evidence_id) for r in got.data.get("events") or [] if isinstance(r, dict)]
    for owner in owners[:MAX_OBJECTS]:
        read_one = await get_yaml(call, owner.kind, owner.name, owner.namespace, f"survey-gitops-{owner.name}")
        if read_one is not None:
            facts.objects.append(read_one)
    gone = [g for g, _, _ in missing(facts) if not _said_deleted(facts, g)]
    if gone:
        await _read_controller_logs(facts, call, [o.namespace for o in owners[:MAX_OBJECTS]], gone[0], kept)
    for child in _unwritten_deleters(facts, owners):  # a child that is gone: who deleted it
        await _read_controller_logs(facts, call, [o.namespace for o in owners[:MAX_OBJECTS]], child, kept)


def _unwritten_deleters(facts: Facts, owners: list[Ref]) -> list[Ref]:
    """GitOps objects that say they deleted a missing dependency but were not written themselves (at most one):
    a generated child whose own deletion took the dependency with it."""
    out: list[Ref] = []
    for gone, _, _ in missing(facts):
        for owner, _, _, _ in _said_deleted(facts, gone):
            if all(not owner.same_object(o) for o in owners + out) and owner.kind in GITOPS_KINDS:
                out.append(owner)
    return out[:1]


async def _read_controller_logs(facts: Facts, call: Callable[..., Awaitable[Any]], namespaces: list[str], gone: Ref,
                                kept: dict[str, Any]) -> None:
    """The lines naming the missing object in the logs of the running pods of the GitOps objects' namespaces."""
    for namespace in dict.fromkeys(namespaces):
        listed = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, f"survey-gitops-pods-{namespace}")
        rows = listed.data.get("rows") or [] if listed is not None and listed.ok and isinstance(listed.data, dict) \
            else []
        for row in [r for r in rows if isinstance(r, dict) and r.get("status") == "Running"][:MAX_LOG_PODS]:
            got = await call("k8s_logs", {"name": str(row.get("name")), "namespace": namespace, "grep": gone.name,
                                          "tail": 5000}, f"survey-gitops-log-{row.get('name')}")
            if got is not None and got.ok:
                kept.setdefault("logs", []).extend((line, got.evidence_id) for line in str(got.full_text).splitlines()
                                                   if gone.name in line)


def _same(named: Ref, kind: str, namespace: str, name: str) -> bool:
    return kind.lower() == named.kind.lower() and name == named.name and namespace in ("", named.namespace)


def _said_deleted(facts: Facts, gone: Ref) -> list[tuple[Ref, str, datetime | None, str]]:
    """(GitOps object, its words, when, evidence id) for each statement that it deleted or pruned `gone`."""
    out: list[tuple[Ref, str, datetime | None, str]] = []
    for row, evidence in (facts.reads.get(READS_KEY) or {}).get("events") or []:
        if str(row.get("kind")) not in GITOPS_KINDS:
            continue
        message = str(row.get("message") or "")
        if any(_same(gone, m.group("kind"), m.group("ns") or "", m.group("name")) for m in _DELETED.finditer(message)):
            owner = Ref(str(row.get("kind")), str(row.get("namespace") or ""), str(row.get("name") or ""))
            out.append((owner, message, parse_time(row.get("last_seen") or row.get("first_seen")), evidence))
    for line, evidence in (facts.reads.get(READS_KEY) or {}).get("logs") or []:
        owner_line = _log_owner(line, gone)
        if owner_line is not None:
            stamp = _STAMP.search(line)
            out.append((owner_line, line.strip()[:300], parse_time(stamp.group(0)) if stamp else None, evidence))
    for obj, evidence in facts.objects:
        if str(obj.get("kind")) not in GITOPS_KINDS:
            continue
        meta = obj.get("metadata") or {}
        state = (obj.get("status") or {}).get("operationState") or {}
        for res in (state.get("syncResult") or {}).get("resources") or []:
            if not isinstance(res, dict) or not _same(gone, str(res.get("kind") or ""), str(res.get("namespace") or ""),
                                                      str(res.get("name") or "")):
                continue
            if str(res.get("status")) == "Pruned" or "pruned" in str(res.get("message") or "").lower():
                owner = Ref(str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name") or ""))
                out.append((owner, f"syncResult: {gone.kind} {gone.name} {res.get('status')} "
                                   f"({res.get('message') or 'pruned'})",
                            parse_time(state.get("finishedAt") or state.get("startedAt")), evidence))
    return out


def _log_owner(line: str, gone: Ref) -> Ref | None:
    """The GitOps object a controller's log line says deleted or pruned `gone`, or None."""
    flux = _LOG_OWNER.search(line)
    if flux is not None and any(_same(gone, m.group("kind"), m.group("ns") or "", m.group("name"))
                                for m in _DELETED.finditer(line)):
        return Ref(flux.group("kind"), flux.group("ns"), flux.group("name"))
    app = _ARGO_APP.search(line)
    fields = {m.group("key"): m.group("value") for m in _LOGFMT.finditer(line)}
    if app is not None and _ARGO_PRUNED.search(line) and _same(gone, fields.get("kind", ""),
                                                                fields.get("namespace", ""), fields.get("name", "")):
        return Ref("Application", app.group("ns") or "", app.group("name"))
    parent, child = _ARGO_PARENT.search(line), _ARGO_CHILD.search(line)
    if (parent is not None and child is not None and gone.kind == "Application" and _DELETE_WORD.search(line)
            and _same(gone, "Application", child.group("ns") or "", child.group("name"))):
        return Ref("ApplicationSet", parent.group("ns") or "", parent.group("name"))
    return None


def found(facts: Facts) -> list[Pruned]:
    """Each missing dependency a GitOps object says it deleted before the incident, with the write before it."""
    out: list[Pruned] = []
    writes = _gitops_writes(facts)
    for gone, victims, topology_evidence in missing(facts):
        for owner, said, when, evidence in _said_deleted(facts, gone):
            if when is not None and when > facts.at:
                continue
            if any(p.deleted.same_object(gone) for p in out):
                break
            via, parent_evidence = None, ""
            if not _written_before(writes, owner, when):
                parent = _parent(facts, writes, owner, when)
                if parent is not None:
                    via, (owner, said, when, parent_evidence) = owner, parent
            before = _written_before(writes, owner, when)
            write, write_evidence = before[-1] if before else (None, "")
            if when is not None and when < facts.at - LEAD:
                continue
            out.append(Pruned(owner, gone, said, when, write, victims,
                              [e for e in (evidence, parent_evidence, write_evidence, topology_evidence) if e], via))
    return out


def _written_before(writes: list[tuple[dict[str, Any], str]], owner: Ref,
                    when: datetime | None) -> list[tuple[dict[str, Any], str]]:
    """The writes of `owner` at or before `when`, oldest first."""
    before = [(c, e) for c, e in writes if (Ref.of(c.get("object")) or Ref("", "", "")).same_object(owner)
              and (when is None or (parse_time(c.get("at")) or when) <= when)]
    return sorted(before, key=lambda ce: str(ce[0].get("at")))


def _parent(facts: Facts, writes: list[tuple[dict[str, Any], str]], child: Ref,
            child_at: datetime | None) -> tuple[Ref, str, datetime | None, str] | None:
    """The GitOps object that says it deleted `child` (itself a GitOps object that was not written), no later than a
    minute after the child's own deletion line, and whose spec was written before it: the generator that dropped it."""
    for parent, said, when, evidence in _said_deleted(facts, child):
        late = when is not None and child_at is not None and when > child_at + timedelta(minutes=1)
        if not late and not parent.same_object(child) and _written_before(writes, parent, when):
            return parent, said, when, evidence
    return None


def finding(p: Pruned, at: datetime) -> dict[str, Any]:
    """The GitOps object, the object it deleted, its write before that, and who is left without it."""
    ago = f" {minutes_text(int((at - p.at).total_seconds() // 60))} before the incident" if p.at else ""
    why = ""
    if p.write is not None:
        diff = "; ".join(str(d) for d in (p.write.get("diff") or [])[:3]) or str(p.write.get("summary") or "")
        why = (f" right after its spec was written ({diff}): the source it now applies has no {p.deleted.kind} "
               f"{p.deleted.name}, so its prune deleted it")
        if p.via is not None:
            why = (f" right after its spec was written ({diff}): its generator no longer yields {p.via.kind} "
                   f"{p.via.name}, so it deleted that {p.via.kind} and the {p.via.kind}'s finalizer deleted "
                   f"{p.deleted.kind} {p.deleted.name} with everything else it had applied")
    victims = ", ".join(str(v) for v in p.victims[:3])
    what = f"{p.via.kind} {p.via.name} and with it {p.deleted}" if p.via is not None else str(p.deleted)
    message = (f"{p.owner} pruned: it deleted {what}{ago}{why}. "
               f"{'Left without it: ' + victims + '. ' if victims else ''}"
               f"Put {p.deleted.kind} {p.deleted.name} back in the source the {p.owner.kind} applies (or revert "
               f"that change); a hand-made copy would be pruned again")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": p.owner.kind, "namespace": p.owner.namespace, "name": p.owner.name},
            "reason": "PrunedNeededObject", "message": message, "evidence": [p.said[:200]],
            "details": {"deleted": str(p.deleted), "at": p.at.isoformat() if p.at else None,
                        "via": str(p.via) if p.via is not None else None}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the GitOps object, its finding, evidence ids, the missing object and its dependants) for the ranking."""
    return [(p.owner, finding(p, facts.at), p.evidence, [p.deleted, *p.victims, *([p.via] if p.via else [])])
            for p in found(facts)]
