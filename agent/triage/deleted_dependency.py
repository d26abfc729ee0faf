"""An object the victim needs is gone because another actor deleted it: a janitor CronJob, a cleanup Job or a
controller whose reach a recent write widened.

A pod that cannot start for a missing ConfigMap or Secret (CreateContainerConfigError, FailedMount `configmap
"x" not found`), a missing claim or ServiceAccount, or a caller whose Service no longer exists shows where the
absence hurts; the scan truthfully says the object is missing. That is the symptom. Something deleted it, and
the deleters that run in a cluster say so in their own log wording:

- kubectl in a cleanup script: `configmap "bookings-api-config" deleted`, `configmap/x deleted` (`-o name`),
  `secret "x" deleted from ns namespace`;
- kube-janitor and TTL controllers: `Deleting ConfigMap ns/x (...)`, `Deleted secret ns/x`;
- home-grown cleaners: `removed ConfigMap ns/x`, `pruned x`, `garbage collected ...`.

The actor is rarely the object's owner, and it usually ran unchanged for months: what made it delete live
objects is a write that widened what it selects (a namespace selector `env=preview` -> `env!=production`, an
age threshold cut, a label exclusion dropped, a new kind in its list). So the survey takes the actors written in
the timeline before the incident (CronJobs, Jobs, Deployments, StatefulSets, DaemonSets), reads the logs of their
pods (a CronJob's Job pods are `<cronjob>-<schedule id>-<suffix>`) for the missing object's name, and names the
actor whose line says it deleted that very object after its write and before the victims failed, with the write.

Not named: an actor whose logs delete other objects only, a line that only plans or skips the deletion (dry run,
`would delete`, `skipping`, kept by a label), a deletion after the victims had already failed, an actor whose
write came after the deletion.

The survey calls `read` (reading only, when a needed object is missing); `found` is pure over the facts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import deleter_run
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.subject import Subject

CHECK = "change.deleted_dependency"
WEIGHT = 0.95
"""Above the missing object it explains (the victim's config error) and the victim's own scale or rollout: the
actor's log says it deleted the object the victims need."""
RECORD = "deleted_dependency"
LEAD = timedelta(hours=48)
"""How long before the incident an actor's write (and the deletion after it) still counts."""
HISTORY_WINDOW = "48h"
ACTOR_KINDS = ("CronJob", "Job", "Deployment", "StatefulSet", "DaemonSet")
RUN_KINDS = ("CronJob", "Job")
"""Actors whose runs are Jobs with a start and a completion (deleter_run reads them when their pods say nothing)."""
RUN_SLACK = timedelta(minutes=2)
"""Kinds whose pods act on other objects (a janitor's Jobs, a controller's replicas) and whose logs say so."""
MAX_ACTORS = 4
MAX_PODS = 4
MAX_NAMES = 3
MAX_CRONJOBS = 6
UNWRITTEN_PODS = 2
UNWRITTEN_RUNS = timedelta(hours=24)
"""For CronJobs not written in the timeline: their two newest runs of the last day, for the first missing name."""

_NOT_FOUND = re.compile(r"\b(?P<kind>configmap|secret|persistentvolumeclaim|serviceaccount|service)s?\s+"
                        r"\"?(?P<name>[a-z0-9][a-z0-9.-]*)\"?\s+not found", re.I)
"""The kubelet's and the API server's words for a referenced object that does not exist."""
_MISSING = re.compile(r"\bno (?P<kind>[A-Z]\w+) (?P<ns>[a-z0-9][a-z0-9-]*)/(?P<name>[a-z0-9][a-z0-9.-]*) exists\b")
"""The topology's wording for a dependency the cluster lacks (mcp_servers/kubernetes/topology.py)."""
KINDS = {"configmap": "ConfigMap", "secret": "Secret", "persistentvolumeclaim": "PersistentVolumeClaim",
         "serviceaccount": "ServiceAccount", "service": "Service", "pvc": "PersistentVolumeClaim", "cm": "ConfigMap",
         "sa": "ServiceAccount", "svc": "Service"}
_DELETE = re.compile(r"\b(?:deleted|deleting|delete|removed|removing|pruned|pruning|garbage[- ]collected|purged|"
                     r"destroying|destroyed)\b", re.I)
"""Deletion verbs, and Terraform/OpenTofu's (`kubernetes_config_map_v1.app: Destroying... [id=ns/name]`)."""
_DONE = re.compile(r"\b(?:deleted|removed|pruned|garbage[- ]collected|purged|destroyed)\b", re.I)
_NOT_DONE = re.compile(r"dry[- ]?run|would (?:be )?(?:delete|remov|prune)|skipp|\bkeep(?:ing)?\b|\bkept\b|"
                       r"not (?:be )?deleted|failed to delete|cannot delete|forbidden|refus|"
                       r"will be (?:destroyed|deleted)|must be replaced|Error: deleting", re.I)
"""Wording of a deletion planned, skipped or refused rather than done."""
_KIND_WORD = re.compile(r"\b(configmaps?|secrets?|persistentvolumeclaims?|serviceaccounts?|services?|pvc|cm|svc)\b"
                        r"(?=[\s/\"'])", re.I)
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")


@dataclass
class Gone:
    """A needed object that does not exist, and who needs it."""

    ref: Ref
    victims: list[Ref]
    first: datetime | None
    """When the victims first failed for it (the scan's `since`), if known."""


@dataclass
class Deleted:
    """An actor whose log says it deleted an object the victims need, after a write that changed it."""

    actor: Ref
    gone: Gone
    line: str
    at: datetime | None
    pod: str
    write: dict[str, Any]
    evidence: list[str] = field(default_factory=list)
    by_run: bool = False
    """Known from the job's template and its Job's start (deleter_run), not from a log line."""


def _kind(word: str) -> str:
    """The API kind a log's or an error's kind word names (`configmaps`, `cm`, `ConfigMap` -> ConfigMap)."""
    low = word.lower()
    return KINDS.get(low) or KINDS.get(low[:-1] if low.endswith("s") else low, word)


def missing(facts: Facts) -> list[Gone]:
    """Every object the scan's findings or the topologies say is needed and absent, with its dependants."""
    out: list[Gone] = []

    def add(ref: Ref, victim: Ref | None, first: datetime | None) -> None:
        known = next((g for g in out if g.ref.same_object(ref) and g.ref.kind == ref.kind), None)
        if known is None:
            out.append(Gone(ref, [victim] if victim else [], first))
            return
        if victim is not None and not any(v.same_object(victim) for v in known.victims):
            known.victims.append(victim)
        if first is not None and (known.first is None or first < known.first):
            known.first = first

    for finding in facts.findings():
        victim = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        namespace = victim.namespace if victim else ""
        first = parse_time(finding.get("since"))
        details = finding.get("details") or {}
        for key in ("configmap", "secret"):
            if isinstance(details.get(key), str) and details[key] and namespace:
                add(Ref(KINDS[key], namespace, details[key]), victim, first)
        texts = [str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or [])]
        for text in texts:
            for m in _NOT_FOUND.finditer(text):
                if namespace:
                    add(Ref(_kind(m.group("kind")), namespace, m.group("name")), victim, first)
    for data, _ in facts.topologies:
        whose = Ref.of(data.get("subject"))
        for dep in data.get("dependencies") or []:
            said = _MISSING.search(str(dep.get("detail") or "")) if isinstance(dep, dict) else None
            if said is not None:
                add(Ref(said.group("kind"), said.group("ns"), said.group("name")), whose, None)
    return out


def actors(facts: Facts, gone: list[Gone]) -> list[tuple[dict[str, Any], str]]:
    """(newest write, evidence id) of each actor written within LEAD before the incident, newest first; the
    victims' own workloads are not actors on themselves."""
    victims = [v for g in gone for v in g.victims]
    newest: dict[str, tuple[dict[str, Any], str]] = {}
    for change, evidence, ref in facts.writes_to(ACTOR_KINDS, within=LEAD):
        if any(ref.same_object(v) and ref.kind == v.kind for v in victims):
            continue
        if str(ref) not in newest or str(newest[str(ref)][0].get("at")) < str(change.get("at")):
            newest[str(ref)] = (change, evidence)
    return sorted(newest.values(), key=lambda ce: str(ce[0].get("at")), reverse=True)


def _pods_of(rows: list[Any], actor: Ref) -> list[tuple[str, str]]:
    """(name, created) of the actor's pods among a namespace's rows: `<name>-...` (a CronJob's Jobs' pods, a
    workload's replicas), newest first."""
    pods = [(str(r.get("name")), str(r.get("created") or "")) for r in rows if isinstance(r, dict)
            and str(r.get("name") or "").startswith(f"{actor.name}-")]
    return sorted(pods, key=lambda p: (p[1], p[0]), reverse=True)[:MAX_PODS]


def started(pod: str, created: str, actor: Ref) -> datetime | None:
    """When a pod began to act: a CronJob's Job is named `<cronjob>-<scheduled time in minutes since the epoch>`
    by the CronJob controller, else the pod's creation."""
    m = re.fullmatch(rf"{re.escape(actor.name)}-(\d{{8,}})(?:-[a-z0-9]+)?", pod) if actor.kind == "CronJob" else None
    if m is not None:
        return datetime.fromtimestamp(int(m.group(1)) * 60, tz=UTC)
    return parse_time(created)


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a needed object is missing: a two-day timeline, then the log lines naming the missing
    objects in the pods of the actors written in it."""
    gone = missing(facts)
    if not gone:
        return
    if not facts.history_reaches(LEAD):
        history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-deleted-dependency-history")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))
    kept: dict[str, Any] = {"lines": [], "unwritten": {}}
    facts.reads[RECORD] = kept
    listed: dict[str, list[Any]] = {}
    names = list(dict.fromkeys(g.ref.name for g in gone))[:MAX_NAMES]
    for change, _ in actors(facts, gone)[:MAX_ACTORS]:
        actor = Ref.of(change.get("object"))
        if actor is not None:
            await _read_logs(call, actor, names, listed, kept)
    if any(says_deleted(row[3], g.ref) for row in kept["lines"] for g in gone):
        return
    # no log says it (a finished Job's pods are often gone): the written jobs' templates and runs (deleter_run)
    kept["runs"] = {}
    for change, _ in actors(facts, gone)[:MAX_ACTORS]:
        actor = Ref.of(change.get("object"))
        if actor is not None and actor.kind in RUN_KINDS:
            read = await deleter_run.read_runs(call, actor)
            if read and any(deleter_run.deletes(read["template"], g.ref) for g in gone):
                kept["runs"][str(actor)] = {**read, "actor": {"kind": actor.kind, "namespace": actor.namespace,
                                                              "name": actor.name}}
    # no written actor says it: the janitors that ran unchanged (their reach widened from outside: a namespace
    # relabelled, a label dropped from the victims)
    got = await call("k8s_list", {"kind": "CronJob"}, "survey-deleted-dependency-cronjobs")
    rows = (got.data.get("rows") or []) if got is not None and got.ok and isinstance(got.data, dict) else []
    for row in [r for r in rows if isinstance(r, dict) and r.get("name")][:MAX_CRONJOBS]:
        actor = Ref("CronJob", str(row.get("namespace") or ""), str(row["name"]))
        if any(line[0] == str(actor) for line in kept["lines"]):
            continue
        kept["unwritten"][str(actor)] = {"kind": actor.kind, "namespace": actor.namespace, "name": actor.name}
        await _read_logs(call, actor, names[:1], listed, kept, UNWRITTEN_PODS, facts.at - UNWRITTEN_RUNS)


async def _read_logs(call: Callable[..., Awaitable[Any]], actor: Ref, names: list[str], listed: dict[str, list[Any]],
                     kept: dict[str, Any], pods: int = MAX_PODS, since: datetime | None = None) -> None:
    """The lines naming each missing object in the logs of the actor's newest pods (those begun since `since`)."""
    if actor.namespace not in listed:
        got = await call("k8s_list", {"kind": "Pod", "namespace": actor.namespace},
                         f"survey-deleted-dependency-pods-{actor.namespace}")
        listed[actor.namespace] = (got.data.get("rows") or []) if got is not None and got.ok and \
            isinstance(got.data, dict) else []
    for pod, created in _pods_of(listed[actor.namespace], actor)[:pods]:
        began = started(pod, created, actor)
        if since is not None and (began is None or began < since):
            continue
        for name in names:
            got = await call("k8s_logs", {"name": pod, "namespace": actor.namespace, "grep": name,
                                          "tail": 5000}, f"survey-deleted-dependency-log-{pod}-{name}")
            if got is None or not got.ok:
                continue
            kept["lines"] += [(str(actor), pod, began.isoformat() if began else "", line.strip(), got.evidence_id)
                              for line in str(got.full_text).splitlines() if name in line]


def _stamp(text: str) -> datetime | None:
    """A log line's RFC 3339 stamp, its fraction cut to microseconds (Go writes nanoseconds)."""
    return parse_time(re.sub(r"(\.\d{6})\d+", r"\1", text))


def says_deleted(line: str, gone: Ref) -> bool:
    """Whether a log line says the object was deleted (done, not planned or skipped): its name as a whole token,
    a deletion verb, and any kind word it carries the object's kind."""
    if not re.search(rf"(?<![\w.-]){re.escape(gone.name)}(?![\w.-])", line):
        return False
    if not _DELETE.search(line) or _NOT_DONE.search(line):
        return False
    kinds = {_kind(k) for k in _KIND_WORD.findall(line)}
    if kinds and gone.kind not in kinds:
        return False
    namespaces = re.findall(rf"([a-z0-9][a-z0-9-]*)/{re.escape(gone.name)}\b", line)
    return not any(ns != gone.namespace and ns.lower() not in KINDS for ns in namespaces)


def found(facts: Facts) -> list[Deleted]:
    """Each actor whose log says it deleted a missing object after its write and before the victims failed."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    gone = missing(facts)
    writes = {str(Ref.of(c.get("object"))): (c, e) for c, e in actors(facts, gone)}
    unwritten: dict[str, Any] = kept.get("unwritten") or {}
    out: list[Deleted] = []
    lines = sorted(kept.get("lines") or [], key=lambda row: not _DONE.search(row[3]))  # `Deleted` before `Deleting`
    for g in gone:
        for actor_text, pod, began, line, evidence in lines:
            if (actor_text not in writes and actor_text not in unwritten) or not says_deleted(line, g.ref):
                continue
            write, write_evidence = writes.get(actor_text) or _outside_write(facts, g, unwritten[actor_text])
            stamp = _STAMP.search(line)
            when = _stamp(stamp.group(0)) if stamp else parse_time(began)
            written = parse_time(write.get("at"))
            if when is not None and (when > facts.at or (written is not None and when < written) or
                                     (g.first is not None and when > g.first)):
                continue
            if any(d.gone.ref == g.ref for d in out):
                break
            actor = Ref.of(unwritten.get(actor_text) or write.get("object"))
            if actor is not None:
                out.append(Deleted(actor, g, line, when, pod, write, [e for e in (evidence, write_evidence) if e]))
    for g in gone:
        if not any(d.gone.ref == g.ref for d in out):
            out += _by_run(facts, g, kept.get("runs") or {}, writes)
    return out


def _by_run(facts: Facts, g: Gone, runs: dict[str, Any], writes: dict[str, tuple[dict[str, Any], str]]
            ) -> list[Deleted]:
    """The written job whose template deletes the missing object's kind and whose Job ran after the write and
    before the incident (and before the victims' first failure when that came after the write: an older one, such
    as an Ingress finding's creation time, says nothing of when the object went), its newest such run."""
    for actor_text, read in runs.items():
        if actor_text not in writes:
            continue
        snippet = deleter_run.deletes(str(read.get("template") or ""), g.ref)
        actor = Ref.of(read.get("actor"))
        write, write_evidence = writes[actor_text]
        written = parse_time(write.get("at"))
        if not snippet or actor is None or written is None:
            continue
        for job, start, _end in deleter_run.runs_of(actor, list(read.get("jobs") or [])):
            if start < written - RUN_SLACK or start > facts.at:
                continue
            if g.first is not None and g.first >= written and start > g.first + RUN_SLACK:
                continue
            evidence = [e for e in (*(read.get("evidence") or []), write_evidence) if e]
            return [Deleted(actor, g, f"its command: {snippet}", start, job, write, evidence, by_run=True)]
    return []


def _outside_write(facts: Facts, gone: Gone, actor: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """For an actor not written itself: the newest write of the missing object's Namespace in the timeline (a label
    dropped or changed puts it under the actor's selector), else none."""
    writes = [(c, e) for c, e, r in facts.writes_to(("Namespace",), within=LEAD) if r.name == gone.ref.namespace]
    if writes:
        return max(writes, key=lambda ce: str(ce[0].get("at")))
    return {"at": None, "object": actor, "summary": "", "diff": [], "unwritten": True}, ""


def finding(d: Deleted, at: datetime) -> dict[str, Any]:
    """The actor, the needed object it deleted, the write that widened its reach, who is left without it."""
    written = parse_time(d.write.get("at"))
    when = f" at {d.at.strftime('%H:%M')}" if d.at else ""
    gap = int((d.at - written).total_seconds() // 60) if d.at and written else 0
    after = f", {minutes_text(gap)} after" if gap > 0 else ", right after"
    diff = "; ".join(str(x) for x in d.write.get("diff") or [])[:240] or str(d.write.get("summary") or "")[:240]
    victims = ", ".join(str(v) for v in d.gone.victims[:3]) or "its dependants"
    ago = f" ({minutes_text(int((at - d.at).total_seconds() // 60))} before the incident)" if d.at else ""
    head = f"{d.actor} deleted {d.gone.ref}, which {victims} needs: its pod {d.pod} logged '{d.line[:160]}'{when}{ago}"
    if d.by_run:
        head = (f"{d.actor} deleted {d.gone.ref}, which {victims} needs: its Job {d.pod} ran{when}{ago}, and "
                f"{d.line[:200]} (no log of that run is left)")
    written_ref = Ref.of(d.write.get("object"))
    if d.write.get("unwritten"):
        why = (f". {d.actor} was not written in the last {int(LEAD.total_seconds() // 3600)} h: what it selects "
               f"changed outside it (the victims' labels or its own rules)")
    elif written_ref is not None and written_ref.kind == "Namespace":
        why = (f"{after} {written_ref} was written ({diff}): the namespace now falls under {d.actor}'s selector, "
               f"so it deletes live objects there")
    else:
        why = (f"{after} {d.actor} was written ({diff}): the write widened what it selects, so it now deletes "
               f"live objects")
    message = (f"{head}{why}. The missing {d.gone.ref.kind} is the symptom. Stop {d.actor} (suspend it, revert "
               f"what widened it), then restore {d.gone.ref.kind} {d.gone.ref.name} from its source")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": d.actor.kind, "namespace": d.actor.namespace, "name": d.actor.name},
            "reason": "DeletedNeededObject", "message": message, "evidence": [d.line[:200], diff[:200]],
            "details": {"deleted": str(d.gone.ref), "at": d.at.isoformat() if d.at else None,
                        "change_at": d.write.get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the actor, its finding, evidence ids, the missing object and its dependants) for the ranking."""
    return [(d.actor, finding(d, facts.at), d.evidence, [d.gone.ref, *d.gone.victims]) for d in found(facts)]
