"""Sticky sessions removed in front of a multi-replica app that keeps its sessions in memory, per pod.

An app that stores sessions in the server's memory (a Java HttpSession without Spring Session, express-session's
MemoryStore, PHP files on local disk, Rails' in-process cache store) works behind several replicas only while the
load balancer keeps each user on one pod: ingress-nginx `nginx.ingress.kubernetes.io/affinity: cookie`, a Service's
`sessionAffinity: ClientIP`, an Istio DestinationRule's `consistentHash`, Traefik's sticky cookie, an ALB's
`stickiness.enabled`. A GitOps sync or a chart upgrade rewrites the routing object without it: nothing fails, but
each request now lands on any pod, and the pods that never saw the session answer `invalid session id`, `session
not found`, and send the user back to login. The app's warnings are the symptom; the routing write is the cause.

Named when: a routing object of the victim's namespace that routes to the victim (an Ingress backend, the Service,
a DestinationRule host named like it) was written in the hours before the first lost-session line, it carries NO
affinity now (read from the cluster), and the victim runs at least two pods. Twins: the object still carries
affinity; a single replica (no other pod to land on); lost sessions before the write; a write to an object routing
elsewhere. `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.sticky_sessions_removed"
WEIGHT = 0.93
"""A routing write that took away the affinity per-pod sessions need: above the app's own session warnings and above
true-but-secondary facts about the same route."""
LEAD = timedelta(hours=6)
READS = "sticky_removed"
ROUTING = ("Ingress", "Service", "DestinationRule")
_LOST = re.compile(r"invalid session id|session (?:id )?(?:not found|does not exist|unknown|is invalid)|"
                   r"no (?:such|valid) session|unknown session|session (?:was )?not recogni[sz]ed|"
                   r"session mismatch|failed to load session|could not find session", re.I)
"""An app's words for a session cookie whose session this pod does not hold."""
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")
_AFFINITY_ANNOTATION = re.compile(r"(?:^|/)(?:affinity|session-cookie-name|sticky|service\.sticky\.cookie|"
                                  r"cookie-persistence|affinity-mode)$|stickiness\.enabled=true", re.I)


@dataclass
class Removed:
    """A routing object written without affinity before its multi-replica backend began losing sessions."""

    route: Ref
    written: datetime
    by: str
    now: list[str]
    workload: Ref
    replicas: int
    said: str
    first_lost: datetime
    evidence: list[str] = field(default_factory=list)


def lost(entry: dict[str, Any]) -> bool:
    """Whether one classified log entry says the session its request carried is unknown to this pod."""
    return bool(_LOST.search(said_by(entry)))


def affinity(obj: dict[str, Any]) -> str:
    """The affinity the routing object carries now ("" when none): an annotation, sessionAffinity, consistentHash."""
    meta = obj.get("metadata") or {}
    for key, value in (meta.get("annotations") or {}).items():
        if _AFFINITY_ANNOTATION.search(str(key)) or _AFFINITY_ANNOTATION.search(f"{key}={value}".lower()):
            return f"{key}: {value}"
        if "target-group-attributes" in str(key) and "stickiness.enabled=true" in str(value).replace(" ", ""):
            return f"{key}: {value}"
    spec = obj.get("spec") or {}
    if str(spec.get("sessionAffinity") or "None") != "None":
        return f"sessionAffinity: {spec['sessionAffinity']}"
    hash_ = ((spec.get("trafficPolicy") or {}).get("loadBalancer") or {}).get("consistentHash")
    return f"consistentHash: {hash_}" if hash_ else ""


def routes_to(obj: dict[str, Any], kind: str, workload: str) -> bool:
    """Whether the routing object sends traffic to a Service named like the workload."""
    name = str((obj.get("metadata") or {}).get("name") or "")
    spec = obj.get("spec") or {}
    if kind == "Service":
        return name == workload
    if kind == "DestinationRule":
        return str(spec.get("host") or "").split(".")[0] == workload
    backends = [((p.get("backend") or {}).get("service") or {}).get("name")
                for r in spec.get("rules") or [] for p in ((r or {}).get("http") or {}).get("paths") or []]
    backends.append(((spec.get("defaultBackend") or {}).get("service") or {}).get("name"))
    return workload in backends


def _victims(facts: Facts) -> dict[tuple[str, str], tuple[str, datetime]]:
    """{(namespace, workload): (words, first seen)} of the lost-session lines: the log facts' classified entries,
    then the lines this module grepped (an app whose log format the classifier does not read)."""
    found: list[tuple[str, str, str, datetime | None]] = []
    for log in facts.logs:
        found += [(log.namespace, log.pod, said_by(e), parse_time(e.get("first_seen"))) for e in log.entries()
                  if lost(e)]
    for namespace, pod, line in (facts.reads.get(READS) or {}).get("lines") or []:
        stamp = _STAMP.search(line)
        found.append((namespace, pod, line, parse_time(stamp.group(0)) if stamp else None))
    out: dict[tuple[str, str], tuple[str, datetime]] = {}
    for namespace, pod, said, first in found:
        if first is None:
            continue
        key = (namespace, workload_of_pod(pod))
        if key not in out or first < out[key][1]:
            out[key] = (said[:200], first)
    return out


async def _grep(facts: Facts, call: Callable[..., Awaitable[Any]], store: dict[str, Any]) -> None:
    """The surveyed pods' lost-session lines, read only for namespaces where a routing object was written in LEAD:
    the log classifier may not know the app's format (Spring Boot's `WARN 1 --- [...]`)."""
    written = {t.namespace for _, _, t in facts.writes_to(ROUTING, within=LEAD, deletions=False)}
    seen: set[tuple[str, str]] = set()
    for log in facts.logs:
        key = (log.namespace, workload_of_pod(log.pod))
        if log.namespace not in written or key in seen or len(seen) >= 3:
            continue
        seen.add(key)
        got = await call("k8s_logs", {"name": log.pod, "namespace": log.namespace, "tail": 2000, "grep": "session"},
                         f"survey-sticky-grep-{log.pod}")
        if got is not None and got.ok:
            store["lines"] += [(log.namespace, log.pod, ln.strip()[:240])
                               for ln in str(got.full_text or "").splitlines() if _LOST.search(ln)][:5]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, and only when a surveyed log loses sessions: the routing objects of its namespace written in
    LEAD (as they are now) and how many pods the workload runs."""
    if READS in facts.reads:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"routes": [], "pods": {}, "lines": []})
    if not _victims(facts):
        await _grep(facts, call, store)
    victims = _victims(facts)
    if not victims:
        return
    for (namespace, workload), (_, first) in list(victims.items())[:2]:
        listed = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, f"survey-sticky-pods-{workload}")
        rows = (listed.data.get("rows") or []) if listed is not None and listed.ok \
            and isinstance(listed.data, dict) else []
        store["pods"][f"{namespace}/{workload}"] = sum(1 for r in rows if isinstance(r, dict)
                                                       and workload_of_pod(str(r.get("name") or "")) == workload)
        for change, evidence, target in facts.writes_to(ROUTING, within=LEAD, until=first, deletions=False):
            if target.namespace != namespace or any(r["key"] == str(target) for r in store["routes"]):
                continue
            got = await get_yaml(call, target.kind, target.name, namespace,
                                 f"survey-sticky-{target.kind}-{target.name}")
            if got is not None:
                store["routes"].append({"key": str(target), "kind": target.kind, "namespace": namespace,
                                        "name": target.name, "at": change.get("at"), "by": written_by(change),
                                        "object": got[0], "evidence": [evidence, got[1]]})


def found(facts: Facts) -> list[Removed]:
    """Each routing object written before a multi-replica workload's first lost session that routes to it and
    carries no affinity now."""
    store = facts.reads.get(READS) or {}
    out: list[Removed] = []
    for (namespace, workload), (said, first) in _victims(facts).items():
        replicas = int((store.get("pods") or {}).get(f"{namespace}/{workload}") or 0)
        if replicas < 2:
            continue
        for route in store.get("routes") or []:
            written = parse_time(route.get("at"))
            obj = route.get("object") or {}
            if route.get("namespace") != namespace or written is None or not timedelta(0) <= first - written <= LEAD:
                continue
            if not routes_to(obj, str(route["kind"]), workload) or affinity(obj):
                continue
            now = sorted(str(k).rsplit("/", 1)[-1] for k in ((obj.get("metadata") or {}).get("annotations") or {})
                         if "." in str(k).split("/")[0] and "argocd" not in str(k) and "helm" not in str(k))
            out.append(Removed(Ref(str(route["kind"]), namespace, str(route["name"])), written, str(route.get("by")),
                               now, Ref("", namespace, workload), replicas, said, first,
                               [e for e in route.get("evidence") or [] if e]))
            break
    return out


def finding(r: Removed, at: datetime) -> dict[str, Any]:
    """The routing object's finding: sticky sessions gone first, then why per-pod sessions need them."""
    ago = minutes_text(int((at - r.written).total_seconds() // 60))
    by = f" by {r.by}" if r.by else ""
    now = f" (its annotations are now only {', '.join(r.now[:3])})" if r.now and r.route.kind == "Ingress" else ""
    w = r.workload.name
    hit = _LOST.search(r.said)
    quote = r.said[hit.start():][:110] if hit else r.said[:110]
    message = (f"{r.route} was rewritten{by} {ago} before the alert without session affinity: no sticky-session "
               f"(cookie affinity) annotation or setting is left{now}. {w} runs {r.replicas} replicas that keep "
               f"sessions in-memory, per pod, so requests now land on pods that never saw the session "
               f"('{quote}', since {r.first_lost.strftime('%H:%M')}) and users are sent back to login. "
               f"Restore the affinity (ingress-nginx affinity: cookie, sessionAffinity: ClientIP, consistentHash) "
               f"or move {w}'s sessions to a shared store")
    return {"check": CHECK, "severity": "critical", "reason": "StickySessionsRemoved",
            "object": {"kind": r.route.kind, "namespace": r.route.namespace, "name": r.route.name},
            "message": message, "evidence": [r.said[:200]],
            "details": {"written": r.written.isoformat().replace("+00:00", "Z"), "by": r.by,
                        "replicas": r.replicas, "workload": f"{r.workload.namespace}/{w}"}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The routing object written without affinity; it explains the workload losing sessions."""
    return [(r.route, finding(r, facts.at), r.evidence, [r.workload]) for r in found(facts)]
