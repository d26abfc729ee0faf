"""A server's connection-lifetime bound removed by a rollout, and a later scale-out whose new pods get no calls.

Clients that hold long-lived connections (gRPC channels balancing over a headless Service's pod addresses, HTTP/2
clients, connection pools) resolve the server's addresses when they connect and seldom again. Servers make them
re-resolve by closing each connection after a set age: gRPC's MaxConnectionAge (Go's
`keepalive.ServerParameters.MaxConnectionAge`, Java's `maxConnectionAge`, the C core's `grpc.max_connection_age_ms`)
sends GOAWAY; Envoy's `max_connection_duration`, nginx's `keepalive_time`/`keepalive_requests`, a pooler's
`server_lifetime` do the same for their protocols. A rollout that drops the bound (the env, flag or key removed, or
set to 0/infinite) changes nothing at once; when the workload next scales out, the new pods get no connections,
the old ones keep every caller and saturate (CPU throttled, queueing), and the callers' deadlines expire while the
new replicas idle. The scaling is no cause, and neither is the callee's CPU limit.

Evidence, tied by what the cluster shows, never by names (reading only): a failing log names a Service by its
cluster DNS name (`<service>.<namespace>.svc`); the Service's EndpointSlices give its pods and their workload; that
workload's rollout history shows its newest revision (within LEAD) removing a setting whose name says connection
age, lifetime or duration; and the per-pod load now shows the pods created well after that revision (a scale-out)
carrying at most `IDLE` of the even share while the revision's own pods carry the rest. Twins: the setting kept, the
setting removed while the load is even across old and new pods, no pods newer than the rollout.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.topology_routing import per_pod_load

CHECK = "change.connection_age_removed"
WEIGHT = 0.92
"""A removed bound confirmed by idle new pods beside saturated old ones: it explains the callers' timeouts."""
READS = "connection_age"
LEAD = timedelta(days=7)
"""The bound's removal bites only at the next scale-out, which may come days after the rollout."""
SETTLED = timedelta(minutes=15)
"""Pods created this long after the revision are a scale-out's, not the rollout's."""
IDLE = 0.25
"""Every newer pod at most this share of the even share: they get (almost) no calls."""
MAX_SERVICES = 2
SETTING = re.compile(r"max[-_.]?conn(?:ection)?[-_.]?(?:age|lifetime|duration)(?![-_.]?grace)|"
                     r"conn(?:ection)?[-_.]?max[-_.]?(?:age|lifetime)|server[-_.]?lifetime|"
                     r"keepalive[-_.]?(?:time|requests)\b|max[-_.]?requests[-_.]?per[-_.]?connection", re.I)
"""Setting names that bound how long a server keeps one client connection (grace periods are not the bound)."""
HOST = re.compile(r"\b([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\.svc\b")
LOAD_QUERIES = (
    ("calls", 'sum by (pod) (rate({{namespace="{ns}",__name__=~"grpc_server_handled_total|'
              '.*requests?.*_(total|count)"}}[5m]))'),
    ("cpu", 'sum by (pod) (rate({{namespace="{ns}",__name__=~"container_cpu_usage_seconds.*",container!="",'
            'container!="POD"}}[5m]))'),
)
Call = Callable[..., Awaitable[Any]]


@dataclass
class Unbounded:
    """A workload whose newest revision removed its connection-age bound, and the idle pods of its scale-out."""

    workload: Ref
    service: Ref
    headless: bool
    revision: str
    removed: str
    revised: datetime | None
    newer: list[str]
    older: list[str]
    load: str
    evidence: list[str] = field(default_factory=list)


def _token(text: str) -> str:
    """The word of `text` holding a connection-age setting (`--max-connection-age=5m`, `MAX_CONN_AGE='5m'`)."""
    hit = SETTING.search(text)
    if not hit:
        return ""
    start = max(text.rfind(c, 0, hit.start()) for c in " ,[") + 1
    ends = [i for i in (text.find(c, hit.end()) for c in " ,]") if i >= 0]
    return text[start:min(ends) if ends else len(text)]


def removed_bound(line: str) -> str:
    """The setting a rollout's template-diff line removed or zeroed (`app env MAX_CONN_AGE='5m' -> unset`,
    `app args ['--max-connection-age=5m'] -> []`), "" when the line keeps a bound."""
    if "->" not in line:
        return ""
    before, after = line.split("->", 1)
    was = _token(before)
    if not was:
        return ""
    now = _token(after)
    value = now.split("=", 1)[1].strip("'\"") if "=" in now else ""
    if now and not re.fullmatch(r"0+(?:\.0+)?(?:ms|s|m|h)?|inf(?:inite|inity)?|-1|none|unset|", value, re.I):
        return ""
    if len(was) > 1 and was[0] in "'\"" and was[-1] == was[0]:  # an args list's quoted item
        was = was[1:-1]
    return was[:120]


def hosts(facts: Facts) -> list[tuple[str, str, str]]:
    """(service, namespace, caller's namespace) of each cluster DNS name a failing log's errors name."""
    out: list[tuple[str, str, str]] = []
    for log in facts.logs:
        if not log.top:
            continue
        text = " ".join(str(e.get("message") or e.get("example") or "") for e in [log.top, *log.more]) + " " + \
            " ".join(log.hosts)
        for m in HOST.finditer(text):
            if (m[1], m[2], log.namespace) not in out:
                out.append((m[1], m[2], log.namespace))
    return out


def split_load(values: dict[str, float], newer: list[str], older: list[str]) -> str:
    """The sentence saying the newer pods idle while the older carry the load, "" when the load does not split so."""
    mine = {p: v for p, v in values.items() if p in newer or p in older}
    total = sum(mine.values())
    if total <= 0 or not any(p in mine for p in newer) or not any(p in mine for p in older):
        return ""
    even = total / len(mine)
    if any(mine.get(p, 0.0) > IDLE * even for p in newer):
        return ""
    share = 100 * sum(mine.get(p, 0.0) for p in older) / total
    return f"the {len(older)} older pods carry {share:.0f}% of it, the {len(newer)} newer ones idle"


def found(facts: Facts) -> list[Unbounded]:
    """Workloads whose newest revision removed a connection-age bound and whose scale-out pods idle."""
    out: list[Unbounded] = []
    for got in (facts.reads.get(READS) or {}).get("services") or []:
        revised = parse_time(got.get("revised"))
        removed = str(got.get("removed") or "")
        if not removed or revised is None or not timedelta(0) <= facts.at - revised <= LEAD:
            continue
        created = {p: parse_time(t) for p, t in (got.get("created") or {}).items()}
        newer = sorted(p for p, t in created.items() if t is not None and t - revised >= SETTLED)
        older = sorted(p for p, t in created.items() if t is not None and t - revised < SETTLED)
        if not newer or not older:
            continue
        for name, values in (got.get("load") or {}).items():
            said = split_load(values, newer, older)
            if said:
                ns = str(got["namespace"])
                out.append(Unbounded(Ref(str(got.get("kind") or "Deployment"), ns, str(got["workload"])),
                                     Ref("Service", ns, str(got["service"])), bool(got.get("headless")),
                                     str(got.get("revision") or ""), removed, revised, newer, older,
                                     f"{name}: {said}", [e for e in got.get("evidence") or [] if e]))
                break
    return out


def finding(u: Unbounded, at: datetime) -> dict[str, Any]:
    """The workload, the bound its revision removed, and the scale-out pods that get no calls."""
    ago = minutes_text(int((at - u.revised).total_seconds() // 60)) if u.revised else "some time"
    service = f"{u.service.namespace}/{u.service.name}"
    behind = f"the headless Service {service}" if u.headless else f"Service {service}"
    via = ("its callers balance over the pod addresses they resolved when they connected" if u.headless
           else "its callers hold their connections")
    # the Service (and that it is headless) leads: a candidate's text is cut at 400 characters
    message = (f"{u.workload}, reached through {behind}, revision {u.revision} ({ago} before) removed its "
               f"connection-age bound ({u.removed}); after its scale-out {u.load}: the server no longer closes old "
               f"connections (for gRPC, no GOAWAY at MAX_CONNECTION_AGE) and {via}, so long-lived clients never "
               f"re-resolve and stay on the pods they first reached. The older pods saturate and the callers' "
               f"deadlines expire. Restore the connection-age setting (the scaling and the callers are victims)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": u.workload.kind, "namespace": u.workload.namespace, "name": u.workload.name},
            "reason": "ConnectionAgeRemoved", "message": message, "evidence": [u.removed[:200], u.load[:200]],
            "details": {"removed": u.removed, "revision": u.revision, "newer": u.newer, "older": u.older,
                        "service": str(u.service)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The workload whose bound was removed; it explains the Service its callers time out on."""
    return [(u.workload, finding(u, facts.at), u.evidence, [u.service]) for u in found(facts)]


async def _revision(call: Call, workload: Ref, evidence: list[str]) -> tuple[str, str, str] | None:
    """(revision, created, removed setting) of the workload's newest revision when its diff removed a bound."""
    history = await call("k8s_rollout_history", {"kind": workload.kind, "name": workload.name,
                                                 "namespace": workload.namespace},
                         f"survey-connection-age-history-{workload.name}")
    if history is None or not history.ok or not isinstance(history.data, dict):
        return None
    revisions = [r for r in history.data.get("revisions") or [] if isinstance(r, dict)]
    if not revisions:
        return None
    newest = max(revisions, key=lambda r: int(r.get("revision") or 0))
    removed = next((w for line in newest.get("changes") or [] if (w := removed_bound(str(line)))), "")
    if not removed:
        return None
    evidence.append(history.evidence_id)
    return str(newest.get("revision") or ""), str(newest.get("created") or ""), removed


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only when a failing log names a Service by its cluster DNS name: the Service, its
    endpoints' pods and workload, the workload's newest revision, its pods' creation times and per-pod load."""
    if READS in facts.reads:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"services": []})
    targets: dict[tuple[str, str], list[str]] = {}
    for service, ns, caller in hosts(facts):
        targets.setdefault((service, ns), []).append(caller)
    for (service, ns), callers in list(targets.items())[:MAX_SERVICES]:
        evidence: list[str] = []
        slices = await call("k8s_list", {"kind": "EndpointSlice", "namespace": ns,
                                         "label_selector": f"kubernetes.io/service-name={service}"},
                            f"survey-connection-age-slices-{service}")
        pods: list[str] = []
        for row in rows_of(slices)[:2]:
            got = await get_yaml(call, "EndpointSlice", str(row.get("name") or ""), ns,
                                 f"survey-connection-age-slice-{service}")
            if got is not None:
                evidence.append(got[1])
                pods += [str((e.get("targetRef") or {}).get("name")) for e in got[0].get("endpoints") or []
                         if isinstance(e, dict) and (e.get("targetRef") or {}).get("kind") == "Pod"]
        names = {workload_of_pod(p) for p in pods}
        if len(pods) < 2 or len(names) != 1:
            continue
        workload = Ref("Deployment", ns, names.pop())
        revision = await _revision(call, workload, evidence)
        if revision is None:
            continue
        svc = await get_yaml(call, "Service", service, ns, f"survey-connection-age-service-{service}")
        listed = await call("k8s_list", {"kind": "Pod", "namespace": ns}, f"survey-connection-age-pods-{ns}")
        created = {str(r.get("name")): str(r.get("created") or "") for r in rows_of(listed)
                   if str(r.get("name")) in pods}
        load = await per_pod_load(call, LOAD_QUERIES, ns, at, "survey-connection-age-{name}-" + service, evidence)
        store["services"].append({
            "service": service, "namespace": ns, "workload": workload.name, "kind": workload.kind,
            "headless": svc is not None and str((svc[0].get("spec") or {}).get("clusterIP")) == "None",
            "revision": revision[0], "revised": revision[1], "removed": revision[2], "created": created,
            "load": load, "callers": sorted(set(callers)),
            "evidence": [*evidence, *([svc[1]] if svc else []), *([listed.evidence_id] if listed is not None else [])]})
