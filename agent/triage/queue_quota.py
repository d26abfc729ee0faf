"""A batch admission queue's quota written below what a workload asks: the workload is never admitted, nothing fails.

Clusters that run batch work behind a queueing controller (Kueue's ClusterQueue `nominalQuota` per flavor and
resource, Volcano's Queue `capability`, the scheduler-plugins ElasticQuota `max`) create every Job suspended, or
its pods gated, and admit it only when its whole request fits the queue's quota. A quota cut below one workload's
total request (4 pods of 10 CPUs against a queue now holding 24) is not a delay: that workload can never be
admitted. Nothing crashes and nothing fails: the Job stays suspended with no pods, the CronJob's next run waits
behind it, and the person asking sees only that last night's output never came. The controller says why on its
own record of the workload (Kueue's Workload `QuotaReserved=False`: `couldn't assign flavors to pod set main:
insufficient quota for cpu in flavor default-flavor, request > maximum capacity (40 > 24)`; a Volcano or
scheduler-plugins PodGroup's condition: `queue resource quota insufficient`, `exceeds ... capability/max`).

So: a queue object (a kind named `*Queue` or `ElasticQuota`) written within `LEAD`; an admission record (Kueue
Workload, PodGroup) created within `LEAD` that the incident names (its own name, its Job's or that Job's
CronJob's) whose status says the quota is short for a resource; the record's queue leads to the written one (its
`queueName`/`queue` names it, or names a namespaced queue whose spec names it: Kueue's LocalQueue ->
ClusterQueue); and the written queue's quota for that resource, read back, is below the request (the message's
numbers, else a PodGroup's `minResources`, else the Job's requests times its parallelism). The finding names the
queue, the quota, the request and the suspended Job. Twins: a quota above the request (waiting behind others is
another story), a queue written more than `LEAD` ago, a record whose queue is another, a workload the incident does
not name. Reading only; `suspects` is pure over what `read` kept.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject
from agent.triage.vpa_limits import quantity

Call = Callable[..., Awaitable[Any]]

CHECK = "change.queue_quota"
WEIGHT = 0.94
"""Above a neighbour's rollout and the waiting run's own creation, which the incident names."""
STORE = "queue_quota"
LEAD = timedelta(hours=48)
"""A nightly run meets the quota written the afternoon before."""
HISTORY_WINDOW = "48h"
MAX_QUEUES = 3
MAX_RECORDS = 3

QUEUE_KIND = re.compile(r"^(?:\w*Queue|ElasticQuota)$")
"""Kinds that hold an admission quota: Kueue ClusterQueue (LocalQueue holds none and is only a pointer), Volcano
Queue, scheduler-plugins ElasticQuota."""
RECORD_KINDS = ("Workload", "PodGroup")
"""The admission controllers' own record of a waiting workload: Kueue's Workload, Volcano's/coscheduling PodGroup."""
SHORT = re.compile(r"(?:insufficient (?:unused )?quota for|quota insufficient|not enough quota|exceeds? (?:the )?"
                   r"(?:queue'?s? )?(?:quota|capability|capacity|max)|request(?:ed)? [^\n\"]{0,40}> (?:the )?"
                   r"maximum capacity)", re.I)
"""A queue controller's words for a workload its quota cannot hold."""
RESOURCE = re.compile(r"quota for (?P<r>[a-z][\w./-]*)|\b(?P<r2>cpu|memory|nvidia\.com/gpu|"
                      r"amd\.com/gpu|pods|ephemeral-storage)\b", re.I)
NUMBERS = re.compile(r"\((?P<req>[\d.]+\w*) > (?P<cap>[\d.]+\w*)\)|current podset request \((?P<req2>[\d.]+\w*)\)"
                     r"[^\n]{0,40}> maximum capacity \((?P<cap2>[\d.]+\w*)\)")
QUOTA_KEYS = ("nominalQuota", "capability", "max", "deserved", "guarantee")
"""Keys under which a queue states what it holds of a resource (Kueue, Volcano, ElasticQuota)."""


@dataclass
class Short:
    """A written queue whose quota for a resource is below what an admission record waiting on it asks."""

    queue: Ref
    written: datetime
    by: str
    resource: str
    key: str
    quota: str
    request: str
    record: Ref
    said: str
    job: Ref | None
    suspended: bool
    owner: Ref | None
    controller: str = ""
    evidence: list[str] = field(default_factory=list)


def quotas(spec: Any, resource: str, path: str = "spec") -> list[tuple[str, str]]:
    """(path, value) of each quota the queue's spec states for the resource: Kueue `{name: cpu, nominalQuota: 24}`
    entries, Volcano/ElasticQuota `capability: {cpu: 24}` maps."""
    out: list[tuple[str, str]] = []
    if isinstance(spec, dict):
        if str(spec.get("name") or "") == resource:
            out += [(f"{path}.{k}", str(spec[k])) for k in QUOTA_KEYS if spec.get(k) is not None]
        for key, value in spec.items():
            if key in QUOTA_KEYS and isinstance(value, dict) and value.get(resource) is not None:
                out.append((f"{path}.{key}.{resource}", str(value[resource])))
            elif isinstance(value, (dict, list)):
                out += quotas(value, resource, f"{path}.{key}")
    elif isinstance(spec, list):
        for i, item in enumerate(spec):
            out += quotas(item, resource, f"{path}[{i}]")
    return out


def refusal(status: Any) -> tuple[str, str, str, str] | None:
    """(message, resource, request, capacity) of a record's quota refusal; request/capacity "" when not quoted."""
    for cond in (status or {}).get("conditions") or [] if isinstance(status, dict) else []:
        message = str(cond.get("message") or "") if isinstance(cond, dict) else ""
        if not SHORT.search(message) or (str(cond.get("status")) == "True" and cond.get("type") != "Unschedulable"):
            continue
        res = RESOURCE.search(message)
        nums = NUMBERS.search(message)
        req = (nums["req"] or nums["req2"] or "") if nums else ""
        cap = (nums["cap"] or nums["cap2"] or "") if nums else ""
        return message, (res["r"] or res["r2"] or "").rstrip(",.") if res else "", req, cap
    return None


def _queue_names(spec: Any) -> list[str]:
    return [str(v) for k, v in (spec or {}).items() if re.fullmatch(r"queue(?:Name)?|clusterQueue", str(k))
            and isinstance(v, str)] if isinstance(spec, dict) else []


def controller_of(api_version: str) -> str:
    """The queueing controller a record's API group names (`kueue.x-k8s.io` -> Kueue, `scheduling.volcano.sh` ->
    Volcano), "" for a group that names none."""
    generic = {"scheduling", "batch", "x-k8s", "k8s", "io", "sh", "sigs", "apps"}
    words = [w for w in api_version.split("/")[0].split(".") if w not in generic] if "/" in api_version else []
    return words[0].capitalize() if words else ""


def _job_request(job: dict[str, Any], resource: str) -> float | None:
    """What a Job asks of a resource at once: its containers' requests (or limits) times its parallelism."""
    spec = job.get("spec") or {}
    pod = ((spec.get("template") or {}).get("spec") or {})
    each = 0.0
    for c in pod.get("containers") or []:
        res = (c.get("resources") or {}) if isinstance(c, dict) else {}
        got = quantity((res.get("requests") or {}).get(resource) or (res.get("limits") or {}).get(resource))
        each += got or 0.0
    return each * int(spec.get("parallelism") or 1) if each else None


def _named(subject: Subject, *names: str) -> bool:
    return any(n and (subject.mentions(n) or any(len(s) >= 4 and s in n for s in subject.names if "-" in s))
               for n in names)


async def _history(facts: Facts, call: Call, at: str) -> None:
    if facts.history_reaches(LEAD):
        return
    got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-queue-quota-history")
    if got is not None and got.ok and isinstance(got.data, dict):
        facts.history.append(({**got.data, "window": HISTORY_WINDOW}, got.evidence_id))


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the queues written within LEAD, the admission records created within LEAD that the incident
    names, their refusals, the pointer queue between them, and the record's Job."""
    if STORE in facts.reads:
        return
    store: list[Short] = facts.reads.setdefault(STORE, [])
    if not subject.names:
        return
    await _history(facts, call, at)
    queues: list[tuple[dict[str, Any], str, Ref]] = []
    for change, evidence, ref in facts.writes_to(None, within=LEAD, deletions=False):
        if QUEUE_KIND.match(ref.kind) and ref.kind != "LocalQueue" and change.get("type") != "created" \
                and all(not q[2].same_object(ref) for q in queues):
            queues.append((change, evidence, ref))
    if not queues:
        return
    records = [ref for _, _, ref in facts.writes_to(RECORD_KINDS, within=LEAD, deletions=False)][:MAX_RECORDS]
    for record in records:
        got = await get_yaml(call, record.kind, record.name, record.namespace, f"survey-queue-quota-{record.name}")
        if got is None:
            continue
        said = refusal(got[0].get("status"))
        if said is None or not said[1]:
            continue
        owners = [o for o in (got[0].get("metadata") or {}).get("ownerReferences") or [] if isinstance(o, dict)]
        job_ref = next((Ref(str(o.get("kind")), record.namespace, str(o.get("name"))) for o in owners
                        if o.get("kind") == "Job"), None)
        job = await get_yaml(call, "Job", job_ref.name, record.namespace,
                             f"survey-queue-quota-job-{job_ref.name}") if job_ref else None
        owner = next((Ref(str(o.get("kind")), record.namespace, str(o.get("name")))
                      for o in ((job[0].get("metadata") or {}).get("ownerReferences") or [] if job else [])
                      if isinstance(o, dict) and o.get("controller")), None)
        if not _named(subject, record.name, job_ref.name if job_ref else "", owner.name if owner else ""):
            continue
        names = _queue_names(got[0].get("spec"))
        for name in list(names):
            pointer = await get_yaml(call, "localqueues", name, record.namespace, f"survey-queue-quota-lq-{name}")
            names += _queue_names(pointer[0].get("spec")) if pointer else []
        for change, evidence, queue in queues[:MAX_QUEUES]:
            if queue.name not in names:
                continue
            read_back = await get_yaml(call, queue.kind, queue.name, queue.namespace,
                                       f"survey-queue-quota-queue-{queue.name}")
            if read_back is None:
                continue
            held = quotas(read_back[0].get("spec"), said[1])
            floor = ((got[0].get("spec") or {}).get("minResources") or {}).get(said[1])  # a PodGroup's own sum
            asked = quantity(said[2] or floor) if said[2] or floor else (
                _job_request(job[0], said[1]) if job else None)
            cap = max((q for q in (quantity(v) for _, v in held) if q is not None), default=None)
            if asked is None or cap is None or cap >= asked:
                continue
            when = parse_time(change.get("at"))
            if when is None:
                continue
            path, value = max(held, key=lambda h: quantity(h[1]) or 0.0)
            suspended = bool(job and (job[0].get("spec") or {}).get("suspend"))
            key = next((k for k in reversed(path.split(".")) if k in QUOTA_KEYS), "quota")
            store.append(Short(queue, when, written_by(change), said[1], key, value,
                               said[2] or f"{asked:g}", record, said[0][:300], job_ref, suspended, owner,
                               controller_of(str(got[0].get("apiVersion") or "")),
                               [e for e in (evidence, read_back[1], got[1], job[1] if job else "") if e]))
            break


def finding(hit: Short, at: datetime) -> dict[str, Any]:
    """What the quota means first (the workload can never be admitted), then the controller's own words."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    by = f" by {hit.by}" if hit.by else ""
    job = f"{hit.job} stays suspended with no pods" if hit.job and hit.suspended else (
        f"{hit.job} gets no pods" if hit.job else "its pods are never created")
    run = f" (the run of {hit.owner})" if hit.owner else ""
    who = f"{hit.controller} (the queueing controller)" if hit.controller else "the queueing controller"
    message = (f"{hit.queue} was written{by} {ago} before the incident: its {hit.resource} {hit.key} is now "
               f"{hit.quota}, below the {hit.request} {hit.resource} that {hit.record} asks for, so {who} can "
               f"never admit it: {job}{run} and nothing fails ('{hit.said[:220]}'). Raise the queue's {hit.key} "
               f"for {hit.resource} to at least {hit.request}, or shrink the workload's request")
    return {"check": CHECK, "severity": "critical", "reason": "QueueQuotaBelowRequest",
            "object": {"kind": hit.queue.kind, "namespace": hit.queue.namespace, "name": hit.queue.name},
            "message": message, "evidence": [f"{hit.key} {hit.resource} = {hit.quota}", hit.said[:200]],
            "details": {"resource": hit.resource, "quota": hit.quota, "request": hit.request, "by": hit.by,
                        "record": str(hit.record), "job": str(hit.job) if hit.job else "",
                        "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The written queue whose quota keeps the named workload from ever being admitted."""
    out: list[tuple[Ref, dict[str, Any], list[str], list[Ref]]] = []
    for hit in facts.reads.get(STORE) or []:
        if isinstance(hit, Short) and all(not o[0].same_object(hit.queue) for o in out):
            explained = [r for r in (hit.record, hit.job, hit.owner) if r is not None]
            out.append((hit.queue, finding(hit, facts.at), hit.evidence, explained))
    return out

