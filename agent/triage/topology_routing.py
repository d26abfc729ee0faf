"""A Service switched to topology-aware routing while its load is uneven across zones.

`service.kubernetes.io/topology-mode: Auto` (before Kubernetes 1.27 the annotation
`service.kubernetes.io/topology-aware-hints`) makes the EndpointSlice controller write
`hints.forZones` on each endpoint, and kube-proxy then sends a zone's callers only to the endpoints
hinted for that zone; `spec.trafficDistribution: PreferClose` keeps traffic in the caller's zone
whenever it has an endpoint. Both are right when callers and endpoints are spread evenly, and wrong
when nearly every caller runs in one zone or one zone has one pod: that zone's pods take the load
while the rest idle, and callers see latency with no error anywhere. The write alone is no cause;
this module confirms it with what routing left behind: the Service's EndpointSlices (ready endpoints
per zone, hints) and the per-pod load of the Service's namespace (request and CPU rates), which is
skewed when one pod carries `SKEW` times its even share. Field meanings live in
`agent.triage.field_meaning`; reading only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage import field_meaning
from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml

CHECK = "change.topology_routing"
WEIGHT = 0.9
LEAD = timedelta(hours=6)
SKEW = 2.0
"""One pod carrying at least twice its even share of the Service's load is the imbalance routing made."""
READS = "topology_routing"
FIELDS = ("kubernetes.io/topology-mode", "kubernetes.io/topology-aware-hints", "trafficDistribution")
MAX_SLICES = 4
Call = Callable[..., Awaitable[Any]]
LOAD_QUERIES = (
    ("requests", 'sum by (pod) (rate({{namespace="{ns}",__name__=~".*requests?.*_(total|count)"}}[10m]))'),
    ("cpu", 'sum by (pod) (rate({{namespace="{ns}",__name__=~"container_cpu_usage_seconds.*",container!="",'
            'container!="POD"}}[10m]))'),
)


@dataclass
class Routed:
    """A Service whose topology routing was switched on, and what shows the imbalance."""

    service: Ref
    change: dict[str, Any]
    reading: field_meaning.Read
    zones: str
    load: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)
    hot: str = ""
    """The pod that routing overloaded (the skew's top pod), "" when only the zones' endpoint counts are uneven."""


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, field_meaning.Read]]:
    """Recent writes to a Service that turned topology-aware routing or traffic distribution on."""
    out = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or target.kind != "Service" or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        read = next((r for r in field_meaning.reads(change) if r.meaning.field in FIELDS), None)
        if read is not None:
            out.append((change, target, read))
    return out


def zones_of(slices: list[dict[str, Any]]) -> tuple[Counter[str], Counter[str]]:
    """Ready endpoints per zone, and endpoints hinted per zone, across a Service's EndpointSlices."""
    ready: Counter[str] = Counter()
    hinted: Counter[str] = Counter()
    seen: set[str] = set()
    endpoints = [e for s in slices for e in s.get("endpoints") or [] if isinstance(e, dict)]
    for e in sorted(endpoints, key=lambda e: not e.get("zone")):  # a zoned copy of an address before a bare one
        key = str((e.get("targetRef") or {}).get("name") or e.get("addresses"))
        if key in seen or not e.get("zone") or (e.get("conditions") or {}).get("ready") is False:
            continue
        seen.add(key)
        ready[str(e["zone"])] += 1
        for z in (e.get("hints") or {}).get("forZones") or []:
            hinted[str(z.get("name") if isinstance(z, dict) else z)] += 1
    return ready, hinted


def skew(load: dict[str, float], pods: set[str]) -> tuple[str, float] | None:
    """The pod with the largest share of the Service's pods' load and its multiple of the even share, when >= 2
    pods carry load."""
    mine = {p: v for p, v in load.items() if (not pods or p in pods) and v >= 0}
    total = sum(mine.values())
    if len(mine) < 2 or total <= 0:
        return None
    pod, top = max(mine.items(), key=lambda kv: kv[1])
    return pod, top / (total / len(mine))


async def per_pod_load(call: Call, queries: tuple[tuple[str, str], ...], namespace: str, at: str,
                       purpose: str, evidence: list[str]) -> dict[str, dict[str, float]]:
    """Each query's value per pod of `namespace` at `at` ({ns} in a query is the namespace), by the query's name.

    A Service's routing shows in how its load spreads over its pods; a query the server cannot answer, or one
    whose series carry no `pod` label, is left out rather than guessed. Evidence ids of the answered queries
    are appended to `evidence`, so the finding cites what it read. `purpose` names each call ({name}: the query's)."""
    loads: dict[str, dict[str, float]] = {}
    for name, query in queries:
        outcome = await call("prom_query", {"query": query.format(ns=namespace), "time": at},
                             purpose.replace("{name}", name))
        if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
            continue
        values = {str((s.get("labels") or {}).get("pod")): float(s["value"]) for s in outcome.data.get("samples")
                  or [] if isinstance(s, dict) and isinstance(s.get("value"), (int, float))
                  and (s.get("labels") or {}).get("pod")}
        if values:
            loads[name] = values
            evidence.append(outcome.evidence_id)
    return loads


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def found(facts: Facts) -> list[Routed]:
    """Candidates whose Service's load is skewed onto one pod (or whose ready endpoints are uneven by zone)."""
    out: list[Routed] = []
    store = _store(facts)
    for change, target, read in candidates(facts):
        got = store.get(str(target)) or {}
        ready, hinted = Counter(got.get("ready") or {}), Counter(got.get("hinted") or {})
        zones = ", ".join(f"{z}: {n} ready" + (f" ({hinted[z]} hinted)" if hinted else "") for z, n in
                          sorted(ready.items()))
        uneven = len(ready) >= 2 and max(ready.values()) >= 2 * min(ready.values())
        load, hot = "", ""
        for name, values in (got.get("load") or {}).items():
            hit = skew(values, set(got.get("pods") or []))
            if hit and hit[1] >= SKEW:
                share = 100 * values[hit[0]] / sum(v for p, v in values.items() if p in (got.get("pods") or values))
                load = f"{hit[0]} carries {share:.0f}% of the Service's {name} ({hit[1]:.1f}x its even share)"
                hot = hit[0]
                break
        if not hot and not uneven:
            continue
        at = parse_time(change.get("at"))
        out.append(Routed(target, change, read, zones, load, int((facts.at - at).total_seconds() // 60) if at else 0,
                          [e for e in [facts.changes_id or "", *got.get("evidence", [])] if e], hot))
    return out


def finding(r: Routed) -> dict[str, Any]:
    """The Service, the field old -> new and its meaning, the endpoints per zone and the load it concentrated."""
    proof = "; ".join(p for p in (r.load, f"endpoints by zone {r.zones}" if r.zones else "") if p)
    message = (f"{r.service} turned on zone-local routing {r.minutes_before} min before the incident: "
               f"{r.reading.path} {r.reading.change_text()}: {r.reading.meaning.means}. Now: {proof}; "
               f"{r.reading.meaning.symptom}. Remove the annotation (or field), or spread the endpoints evenly "
               "across zones")
    return {"check": CHECK, "severity": "critical", "object": r.change.get("object"), "reason": "TopologyRouting",
            "message": message, "evidence": [proof[:200], r.reading.line[:200]],
            "details": {"field": r.reading.path, "new": r.reading.new, "zones": r.zones, "load": r.load,
                        "change_at": r.change.get("at")}}


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only: each candidate Service's EndpointSlices and its namespace's per-pod load at `at`."""
    store = _store(facts)
    for _, target, _ in candidates(facts)[:2]:
        got: dict[str, Any] = {"evidence": []}
        listed = await call("k8s_list", {"kind": "EndpointSlice", "namespace": target.namespace,
                                         "label_selector": f"kubernetes.io/service-name={target.name}"},
                            f"survey-topology-slices-{target.name}")
        rows = (listed.data or {}).get("items") or (listed.data or {}).get("rows") or [] \
            if listed is not None and listed.ok and isinstance(listed.data, dict) else []
        slices = []
        for row in rows[:MAX_SLICES]:
            name = str(row.get("name") or "") if isinstance(row, dict) else ""
            obj = await get_yaml(call, "EndpointSlice", name, target.namespace, f"survey-topology-slice-{name}") \
                if name else None
            if obj is not None:
                slices.append(obj[0])
                got["evidence"].append(obj[1])
        ready, hinted = zones_of(slices)
        got.update(ready=dict(ready), hinted=dict(hinted), pods=[
            str((e.get("targetRef") or {}).get("name")) for s in slices for e in s.get("endpoints") or []
            if isinstance(e, dict) and (e.get("targetRef") or {}).get("name")])
        got["load"] = await per_pod_load(call, LOAD_QUERIES, target.namespace, at,
                                         "survey-topology-load-{name}-" + target.name, got["evidence"])
        store[str(target)] = got
