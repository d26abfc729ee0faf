"""A Service's routing changed between its callers and its pods, and the symptom is that change's documented effect.

Two Service fields decide which pod a caller's connection reaches, and a write of either is harmless until the
placement of callers and pods, or the clients' connection reuse, makes it bite:

- `spec.internalTrafficPolicy: Local` makes kube-proxy send an in-cluster caller only to a ready endpoint on the
  caller's own node. A caller on a node with no endpoint of the Service gets none: its packets are dropped (an
  iptables/nftables kube-proxy; the client says `i/o timeout`, `connect timed out`) or rejected (`connection
  refused`, `no route to host`). Confirmed here by where the failing callers run: every caller whose logs name
  the Service (its DNS name or ClusterIP) with a connection failure runs on a node without an endpoint, and none on
  a node with one; a sibling caller on an endpoint node, read when there is one, must be free of that failure.
- `spec.clusterIP: None` -> an IP (a headless Service re-created as a plain ClusterIP Service by a chart or a
  manifest): DNS now answers the one virtual IP instead of every pod. A client that balances per connection or
  per address (gRPC's round_robin, an HTTP/2 client, a connection pool opened at start) then holds a few
  long-lived connections to that IP, kube-proxy picks a pod once per connection, and each client stays pinned
  to whichever pods it drew: those pods (and their nodes) run hot while the rest idle. Confirmed here by a
  long-lived protocol on the Service's port (appProtocol or port name: grpc, h2c, http2) and a per-pod load skew
  among its endpoints (one pod at `SKEW` times its even share or more) read from Prometheus.

`found_local` and `found_pinned` say which writes the evidence confirms; `finding_*` word them with the meaning
first (the headline is cut). Reading only.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage import field_meaning
from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod
from agent.triage.topology_routing import per_pod_load, skew

CHECK_LOCAL = "change.service_node_local"
CHECK_PINNED = "change.service_connection_pinning"
WEIGHT = 0.93
"""Above a generic recent change (a ConfigMap written in the same namespace): the routing write is proven by
where the failures are, or by where the load went."""
LEAD = timedelta(hours=6)
SKEW = 2.0
"""One endpoint pod carrying twice its even share of the Service's load is the pinning."""
IDLE = 0.25
"""An endpoint pod under a quarter of its even share is idle; a third of the pods idle is pinning too."""
READS = "service_path"
MAX_SERVICES = 2
MAX_SLICES = 4
SIBLING_TAIL = 300

CONNECT_FAILURE = re.compile(
    r"i/o timeout|connect(?:ion)? timed out|timed out|timeout|connection refused|ECONNREFUSED|ETIMEDOUT|"
    r"no route to host|EHOSTUNREACH|network is unreachable|deadline exceeded|UNAVAILABLE", re.I)
"""How clients word a connection that got no endpoint: Go (`dial tcp ...: i/o timeout`), Java (`connect timed
out`), Node (`ETIMEDOUT`, `ECONNREFUSED`), gRPC (`DEADLINE_EXCEEDED`, `UNAVAILABLE`), curl/libc (`No route to
host`)."""

LONG_LIVED = re.compile(r"grpc|h2c|http2|http/2|kubernetes\.io/h2c|kubernetes\.io/ws", re.I)
"""Port names and appProtocols of protocols whose clients keep a few connections open and multiplex on them."""

LOAD_QUERIES = (
    ("gRPC calls handled", 'sum by (pod) (rate({{namespace="{ns}",__name__=~"grpc_server_(handled|handling_seconds_'
                           'count|msg_received)_total|grpc_server_handled_total"}}[10m]))'),
    ("requests", 'sum by (pod) (rate({{namespace="{ns}",__name__=~".*requests?.*_(total|count)"}}[10m]))'),
    ("CPU", 'sum by (pod) (rate({{namespace="{ns}",__name__=~"container_cpu_usage_seconds.*",container!="",'
            'container!="POD"}}[10m]))'),
)
Call = Callable[..., Awaitable[Any]]
Keep = Callable[[Any, Facts], LogEvidence | None]


@dataclass
class NodeLocal:
    """A Service made node-local whose failing callers all run where it has no endpoint."""

    service: Ref
    change: dict[str, Any]
    reading: field_meaning.Read
    endpoint_nodes: list[str]
    failing: dict[str, str]
    """Failing caller pod -> its node (none of them has an endpoint)."""
    working: dict[str, str]
    """Sibling caller pod on an endpoint node -> its node, read and free of the failure."""
    said: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


@dataclass
class Pinned:
    """A Service given a virtual IP in front of a long-lived protocol, whose load went to a few pods."""

    service: Ref
    change: dict[str, Any]
    cluster_ip: str
    protocol: str
    load: str
    hot_nodes: list[str]
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _recent(facts: Facts, change: dict[str, Any]) -> bool:
    at = parse_time(change.get("at"))
    return at is not None and timedelta(0) <= facts.at - at <= LEAD


def _minutes(facts: Facts, change: dict[str, Any]) -> int:
    at = parse_time(change.get("at"))
    return int((facts.at - at).total_seconds() // 60) if at else 0


def local_candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, field_meaning.Read]]:
    """Recent Service writes that set internalTrafficPolicy to Local."""
    out = []
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        if target is None or target.kind != "Service" or not _recent(facts, change):
            continue
        read = next((r for r in field_meaning.reads(change) if r.meaning.field == "internalTrafficPolicy"), None)
        if read is not None:
            out.append((change, target, read))
    return out


def vip_candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Recent Service creations (a re-created Service) and writes of spec.clusterIP or spec.type."""
    out = []
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        if target is None or target.kind != "Service" or not _recent(facts, change):
            continue
        text = " ".join(str(d) for d in change.get("diff") or []) + " " + str(change.get("summary") or "")
        if str(change.get("type")) == "created" or re.search(r"\bclusterIPs?\b|spec\.type\b", text):
            out.append((change, target))
    return out


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def addresses(service: Ref, spec: dict[str, Any]) -> list[str]:
    """How callers name the Service: its DNS names (`name.ns.svc`, `name.ns:`) and its ClusterIPs."""
    ips = [str(i) for i in spec.get("clusterIPs") or [spec.get("clusterIP")] if i and str(i) != "None"]
    return [f"{service.name}.{service.namespace}.svc", f"{service.name}.{service.namespace}:",
            f"{service.name}.{service.namespace}/", *ips]


def _texts(log: LogEvidence) -> list[str]:
    tops = [log.top, *log.more] if log.top else list(log.more)
    return [str(e.get("message") or e.get("example") or e.get("line") or e.get("template") or "")
            for e in tops if isinstance(e, dict)] + list(log.last_lines)


def failure_naming(texts: list[str], names: list[str]) -> str:
    """The first line that names one of the Service's addresses with a connection failure ("" when none)."""
    for text in texts:
        if any(n and n in text for n in names) and CONNECT_FAILURE.search(text):
            return text
    return ""


def endpoints(slices: list[dict[str, Any]]) -> dict[str, str]:
    """Ready endpoint pod (or address) -> node, across a Service's EndpointSlices."""
    out: dict[str, str] = {}
    for s in slices:
        for e in s.get("endpoints") or []:
            if not isinstance(e, dict) or (e.get("conditions") or {}).get("ready") is False:
                continue
            key = str((e.get("targetRef") or {}).get("name") or (e.get("addresses") or [""])[0])
            out[key] = str(e.get("nodeName") or "")
    return out


def found_local(facts: Facts) -> list[NodeLocal]:
    """internalTrafficPolicy Local writes whose failing callers all run on nodes without an endpoint."""
    out: list[NodeLocal] = []
    store = _store(facts)
    for change, target, reading in local_candidates(facts):
        got = store.get(str(target)) or {}
        names = addresses(target, got.get("spec") or {})
        nodes_with = sorted({n for n in (got.get("endpoints") or {}).values() if n})
        node_of = {str(r.get("name")): str(r.get("node") or "") for r in got.get("pods") or []}
        if not nodes_with:
            continue
        failing: dict[str, str] = {}
        said = ""
        for log in facts.logs:
            hit = failure_naming(_texts(log), names)
            if hit and node_of.get(log.pod):
                failing[log.pod] = node_of[log.pod]
                said = said or hit
        if not failing or any(n in nodes_with for n in failing.values()):
            continue  # no failing caller, or one fails beside an endpoint: not the node-local policy
        siblings = got.get("siblings") or {}
        if any(s.get("failing") for s in siblings.values()):
            continue  # a caller on an endpoint node fails the same way
        working = {p: str(s.get("node")) for p, s in siblings.items()}
        out.append(NodeLocal(target, change, reading, nodes_with, failing, working, said[:200],
                             _minutes(facts, change),
                             [e for e in [facts.changes_id or "", *got.get("evidence", [])] if e]))
    return out


def protocol(spec: dict[str, Any]) -> str:
    """The long-lived protocol a port of the Service speaks (`grpc`, `kubernetes.io/h2c`), or ""."""
    for port in spec.get("ports") or []:
        if not isinstance(port, dict):
            continue
        for value in (port.get("appProtocol"), port.get("name")):
            if value and LONG_LIVED.search(str(value)):
                return str(value)
    return ""


def found_pinned(facts: Facts) -> list[Pinned]:
    """Services now behind one virtual IP, speaking a long-lived protocol, whose endpoints' load is skewed."""
    out: list[Pinned] = []
    store = _store(facts)
    for change, target in vip_candidates(facts):
        got = store.get(str(target)) or {}
        spec = got.get("spec") or {}
        ip = str(spec.get("clusterIP") or "")
        proto = protocol(spec)
        pods = got.get("endpoints") or {}
        if not ip or ip == "None" or not proto or len(pods) < 2:
            continue
        for name, values in (got.get("load") or {}).items():
            mine = {p: v for p, v in values.items() if p in pods}
            hit = skew(mine, set(pods))
            if not hit:
                continue
            total = sum(mine.values())
            even = total / len(mine)
            idle = [p for p, v in mine.items() if v < IDLE * even]
            if hit[1] < SKEW and 3 * len(idle) < len(mine):
                continue
            hot = sorted((p for p, v in mine.items() if v > even), key=lambda p: -mine[p])
            share = 100 * sum(mine[p] for p in hot) / total
            nodes = list(dict.fromkeys(pods[p] for p in hot if pods.get(p)))
            on = f" on {', '.join(nodes)}" if nodes else ""
            load = (f"{len(hot)} of {len(mine)} pods{on} carry {share:.0f}% of its {name}, {len(idle)} idle "
                    f"({hit[0]} at {hit[1]:.1f}x its even share)")
            out.append(Pinned(target, change, ip, proto, load, nodes, _minutes(facts, change),
                              [e for e in [facts.changes_id or "", *got.get("evidence", [])] if e]))
            break
    return out


def finding_local(n: NodeLocal) -> dict[str, Any]:
    """The Service, the policy old -> new, where its endpoints are, and the callers that fail where none is."""
    failing = ", ".join(f"{p} on {node}" for p, node in list(n.failing.items())[:2])
    working = ", ".join(f"{p} on {node}" for p, node in list(n.working.items())[:1])
    message = (f"{n.service} set internalTrafficPolicy {n.reading.change_text()} {n.minutes_before} min before the "
               f"incident: kube-proxy sends each caller only to an endpoint on its own node, and callers on a node "
               f"with no local endpoints get none (dropped: timeouts). Its endpoints run only on "
               f"{', '.join(n.endpoint_nodes)}; {failing} fail{'s' if len(n.failing) == 1 else ''}: "
               f"'{n.said[:140]}'" + (f"; {working} (beside an endpoint) does not" if working else "")
               + ". Set internalTrafficPolicy back to Cluster, or run an endpoint on every caller's node")
    return {"check": CHECK_LOCAL, "severity": "critical", "object": n.change.get("object"),
            "reason": "NodeLocalTraffic", "message": message, "evidence": [n.said[:200], n.reading.line[:200]],
            "details": {"field": n.reading.path, "new": n.reading.new, "endpoint_nodes": n.endpoint_nodes,
                        "failing": n.failing, "working": n.working, "change_at": n.change.get("at")}}


def finding_pinned(p: Pinned) -> dict[str, Any]:
    """The Service, its virtual IP, the protocol that keeps connections open, and where the load went."""
    how = "re-created" if str(p.change.get("type")) == "created" else "changed"
    message = (f"{p.service} was {how} as a ClusterIP Service (virtual IP {p.cluster_ip}, not headless) "
               f"{p.minutes_before} min before the incident, in front of a long-lived protocol ({p.protocol}: "
               f"HTTP/2 / gRPC): DNS answers one virtual IP instead of each pod, so client-side balancing "
               f"(gRPC round_robin, per-connection pools) holds one long-lived connection per client and kube-proxy "
               f"pins each to a single pod. Now {p.load}. Make the Service headless again (clusterIP: None) or "
               f"balance per request (a mesh or an L7 proxy)")
    return {"check": CHECK_PINNED, "severity": "critical", "object": p.change.get("object"),
            "reason": "ConnectionPinning", "message": message, "evidence": [p.load[:200], str(p.change.get("summary"))],
            "details": {"cluster_ip": p.cluster_ip, "protocol": p.protocol, "hot_nodes": p.hot_nodes,
                        "change_at": p.change.get("at")}}


async def _slices(call: Call, target: Ref, got: dict[str, Any]) -> list[dict[str, Any]]:
    listed = await call("k8s_list", {"kind": "EndpointSlice", "namespace": target.namespace,
                                     "label_selector": f"kubernetes.io/service-name={target.name}"},
                        f"survey-service-path-slices-{target.name}")
    data = listed.data if listed is not None and listed.ok and isinstance(listed.data, dict) else {}
    rows = data.get("items") or data.get("rows") or []
    out = []
    for row in rows[:MAX_SLICES]:
        name = str(row.get("name") or "") if isinstance(row, dict) else ""
        obj = await get_yaml(call, "EndpointSlice", name, target.namespace, f"survey-service-path-slice-{name}") \
            if name else None
        if obj is not None:
            out.append(obj[0])
            got["evidence"].append(obj[1])
    return out


async def _siblings(call: Call, facts: Facts, got: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """One pod of each failing caller's workload that runs beside an endpoint: does it fail the same way?"""
    nodes_with = set((got.get("endpoints") or {}).values())
    rows = got.get("pods") or []
    failing = [log for log in facts.logs if failure_naming(_texts(log), names)]
    out: dict[str, Any] = {}
    for log in failing[:1]:
        workload = workload_of_pod(log.pod)
        sib = next((r for r in rows if r.get("namespace") == log.namespace and r.get("name") != log.pod
                    and workload_of_pod(str(r.get("name"))) == workload and r.get("node") in nodes_with), None)
        if sib is None:
            continue
        outcome = await call("k8s_logs", {"name": sib["name"], "namespace": log.namespace, "tail": SIBLING_TAIL},
                             f"survey-service-path-sibling-{sib['name']}")
        if outcome is None or not outcome.ok:
            continue
        text = str(getattr(outcome, "full_text", "") or "")
        out[str(sib["name"])] = {"node": sib.get("node"),
                                 "failing": bool(failure_naming(text.splitlines(), names))}
        got["evidence"].append(outcome.evidence_id)
    return out


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only: for each candidate Service, its spec, EndpointSlices, and either the callers' placement (a
    node-local policy) or its endpoints' per-pod load (a virtual IP)."""
    store = _store(facts)
    local = [(c, t) for c, t, _ in local_candidates(facts)]
    pods_rows: list[dict[str, Any]] | None = None
    for change, target in (local + vip_candidates(facts))[:MAX_SERVICES]:
        if str(target) in store:
            continue
        got: dict[str, Any] = {"evidence": []}
        store[str(target)] = got
        obj = await get_yaml(call, "Service", target.name, target.namespace, f"survey-service-path-{target.name}")
        if obj is None:
            continue
        got["spec"] = obj[0].get("spec") or {}
        got["evidence"].append(obj[1])
        got["endpoints"] = endpoints(await _slices(call, target, got))
        if (change, target) in local:
            if pods_rows is None:
                listed = await call("k8s_list", {"kind": "pods"}, "survey-service-path-pods")
                ok = listed is not None and listed.ok and isinstance(listed.data, dict)
                pods_rows = [r for r in (listed.data.get("rows") or []) if isinstance(r, dict)] if ok else []
            got["pods"] = pods_rows
            got["siblings"] = await _siblings(call, facts, got, addresses(target, got["spec"]))
            continue
        if not protocol(got["spec"]) or str(got["spec"].get("clusterIP")) in ("", "None"):
            continue
        got["load"] = await per_pod_load(call, LOAD_QUERIES, target.namespace, at,
                                         "survey-service-path-load-" + target.name, got["evidence"])
