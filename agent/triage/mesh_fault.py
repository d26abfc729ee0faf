"""A mesh traffic policy, written shortly before the incident, whose own proxies now make the callers' errors.

A service mesh's proxies can fail requests by policy, before they reach a healthy service: Istio's
VirtualService `http[].fault.abort` (answer a share with an HTTP/gRPC status) and `fault.delay` (hold a share),
Envoy's HTTP fault filter patched in by an EnvoyFilter, Kuma's MeshFaultInjection; and the circuit-breaking
settings of a DestinationRule / Kuma MeshCircuitBreaker, `connectionPool` limits (calls over them are rejected)
and `outlierDetection` (endpoints ejected until none is left). A game-day manifest applied to production, or a
limit cut too far, fails callers in whatever namespace they sit, while the callee logs nothing.

Envoy marks such failures as its own: the access log's response flag (FI fault abort, DI delay injected, UO
upstream overflow, UH no healthy upstream), its response-code details (`fault_filter_abort`, `overflow`,
`no_healthy_upstream`), the body a client quotes (`fault filter abort`, `reset reason: overflow`,
`no healthy upstream`) and Istio's `istio_requests_total{response_flags=...}`. This module reads each policy
object written within `LEAD` whose spec holds such a field (by the fields' documented names, whatever the
kind), then looks for that field's mark: in the logs the survey kept, in the callers' sidecar access logs, and
in the mesh's request metrics; the mark must name the host the policy governs (a host-less line counts only
when one policy alone could have made it). The finding names the object, what the field does and the mark.
Retries (URX) and upstream failures (UF) are not counted: the proxy only passes on the upstream's failure.
Reading only.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod

CHECK = "change.mesh_fault"
WEIGHT = 0.94
"""A policy write whose proxy's own mark is on the callers' errors: stronger than the callers' symptom, the
callee's unchanged rollouts and a bare 'written before' change."""
LEAD = timedelta(hours=6)
READS = "mesh_fault"
POLICY_KINDS = frozenset({"VirtualService", "DestinationRule", "EnvoyFilter", "MeshFaultInjection", "FaultInjection",
                          "MeshCircuitBreaker", "CircuitBreaker", "BackendTrafficPolicy", "ServiceDefaults",
                          "ProxyDefaults", "ServiceResolver"})
"""Kinds whose spec can make a proxy fail or hold requests: Istio, Envoy patches, Kuma, Envoy Gateway's
BackendTrafficPolicy (`faultInjection`, `circuitBreaker`, `healthCheck.passive`), Consul's config entries
(`upstreamConfig` `limits` / `passiveHealthCheck`). All are Envoy underneath: the same response flags."""
MAX_POLICIES = 3
MAX_CALLERS = 3
SIDECARS = ("istio-proxy", "envoy", "kuma-sidecar", "consul-dataplane", "envoy-sidecar")
Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Mark:
    """How a proxy marks one kind of failure it made itself."""

    flag: str
    """Envoy's response flag."""
    words: re.Pattern[str]
    """The response-code details and the body clients quote."""
    meaning: str


MARKS = {
    "FI": Mark("FI", re.compile(r"fault[ _]filter[ _]abort", re.I), "fault injection abort"),
    "DI": Mark("DI", re.compile(r"fault[ _]filter[ _]delay|delay[ _]injected", re.I), "fault injection delay"),
    "UO": Mark("UO", re.compile(r"reset reason: overflow|\{overflow\}|pending[ _]overflow", re.I),
               "circuit breaker overflow"),
    "UH": Mark("UH", re.compile(r"no[ _]healthy[ _]upstream", re.I), "no healthy upstream"),
}
_ACCESS = re.compile(r'"\s(?P<code>\d{3}|0|#)\s(?P<flags>-|[A-Z]{1,4}(?:,[A-Z]{1,4})*)\s')
"""Envoy's default access-log format: `"GET /path HTTP/1.1" 503 FI fault_filter_abort ...` (the log tool's
collapsed lines write each number as `#`)."""
_AUTHORITY = re.compile(r'"([a-z0-9-]*[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+(?::\d+)?)"', re.I)
_BY = re.compile(r"\b(?:written|created|updated|applied) by ([\w.@/-]+)")
_JSON_FLAGS = re.compile(r'"response_flags"\s*:\s*"(?P<flags>[A-Z,]+)"')


@dataclass(frozen=True)
class Injector:
    """One field of a policy that makes its proxy fail or hold calls, and what it does, in words."""

    flag: str
    path: str
    does: str
    """What it does, with `{host}` for the host the policy governs."""


def _percent(node: dict[str, Any]) -> str:
    pct = node.get("percentage")
    value = pct.get("value") if isinstance(pct, dict) else pct
    if value is None:
        value = node.get("percent")
    if isinstance(pct, dict) and "numerator" in pct:  # Envoy's FractionalPercent (per hundred by default)
        value = pct.get("numerator")
    return f"{value:g}% of calls" if isinstance(value, (int, float)) else "calls"


def _status(node: dict[str, Any]) -> str:
    for key in ("httpStatus", "http_status", "grpcStatus", "grpc_status"):
        if node.get(key) not in (None, ""):
            return f"{'gRPC' if 'grpc' in key.lower() else 'HTTP'} {node[key]}"
    return "an error"


def _settings(node: dict[str, Any]) -> str:
    """`http1MaxPendingRequests 1, maxConnections 1`: the leaf settings of a limit block, in short."""
    out: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            for k, v in n.items():
                if isinstance(v, (dict, list)):
                    walk(v)
                else:
                    out.append(f"{k} {v}")
        elif isinstance(n, list):
            for v in n:
                walk(v)
    walk(node)
    return ", ".join(out[:4])


def injectors(obj: dict[str, Any]) -> list[Injector]:
    """Every field of the object's spec that makes a proxy fail or hold calls, found by the fields' documented
    names (Istio's `fault.abort`/`fault.delay`, Envoy's HTTPFault `abort`/`delay`, Kuma's `abort`/`delay`,
    `connectionPool`/`connectionLimits`, `outlierDetection`), wherever the kind nests them."""
    out: list[Injector] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            here = f"{path}.{key}"
            if key == "abort" and isinstance(value, dict):
                out.append(Injector("FI", here, f"the proxy answers {_percent(value)} to {{host}} itself with "
                                                f"{_status(value)}"))
            elif key == "delay" and isinstance(value, dict) and any(
                    k in value for k in ("fixedDelay", "fixed_delay", "value", "percentage")):
                hold = value.get("fixedDelay") or value.get("fixed_delay") or value.get("value") or "a delay"
                out.append(Injector("DI", here, f"the proxy holds {_percent(value)} to {{host}} for {hold} before "
                                                "sending them"))
            elif key in ("connectionPool", "connectionLimits", "circuitBreaker", "circuitBreakers", "limits") \
                    and isinstance(value, dict) and value and (key != "limits" or _pool_limits(value)):
                out.append(Injector("UO", here, f"the proxy rejects calls to {{host}} over its connection-pool "
                                                f"limits ({_settings(value)}) with 503 overflow"))
            elif (key in ("outlierDetection", "passiveHealthCheck") or (key == "passive" and "healthCheck" in path)) \
                    and isinstance(value, dict) and value:
                out.append(Injector("UH", here, f"the proxy ejects endpoints of {{host}} that fail "
                                                f"({_settings(value)}) until none is left: 'no healthy upstream'"))
            else:
                walk(value, here)
    walk(obj.get("spec") or {}, "spec")
    return out


def _pool_limits(node: dict[str, Any]) -> bool:
    """Whether a `limits` block is a connection pool's (Consul's upstream limits), not a resource or rate limit."""
    return any(k in node for k in ("maxConnections", "maxPendingRequests", "maxConcurrentRequests",
                                   "max_connections", "max_pending_requests", "max_concurrent_requests"))


def hosts(obj: dict[str, Any]) -> list[str]:
    """The hosts (Services) the policy governs: `spec.hosts`/`spec.host`, its routes' destinations, Kuma's
    targetRef names, else an EnvoyFilter's selected app."""
    spec = obj.get("spec") or {}
    out: list[str] = [str(h) for h in spec.get("hosts") or [] if h and h != "*"]
    if obj.get("kind") in ("ServiceDefaults", "ServiceResolver"):  # Consul: the entry's name is the service's
        out.append(str((obj.get("metadata") or {}).get("name") or ""))
    out += [str(r.get("name")) for r in spec.get("targetRefs") or [] if isinstance(r, dict) and r.get("name")
            and str(r.get("kind")) in ("Service", "Backend", "ServiceImport")]
    if spec.get("host"):
        out.append(str(spec["host"]))

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, dict):
            dest = node.get("destination")
            if isinstance(dest, dict) and dest.get("host"):
                out.append(str(dest["host"]))
            ref = node.get("targetRef")
            if isinstance(ref, dict) and ref.get("name") and str(ref.get("kind")) in ("MeshService", "Service"):
                out.append(str(ref["name"]))
            for v in node.values():
                walk(v)
    walk(spec)
    if not out:  # an EnvoyFilter names workloads, not hosts: their app label is, by convention, their Service's name
        labels = (spec.get("workloadSelector") or {}).get("labels") or {}
        out += [str(labels[k]) for k in ("app", "app.kubernetes.io/name", "service") if labels.get(k)]
    return list(dict.fromkeys(out))


def short(host: str) -> str:
    """`stock-levels.inventory.svc.cluster.local` -> `stock-levels`: the Service's name."""
    return host.split(":")[0].split(".")[0]


def names_host(text: str, host: str, namespace: str) -> bool:
    """Whether a log line or a series' labels name the host: its FQDN, `name.namespace`, or the bare name as a
    whole word (Envoy's cluster `outbound|80||host`, an authority, a `destination_service_name` label)."""
    name = short(host)
    if not name:
        return False
    parts = host.split(".")
    ns = parts[1] if len(parts) > 1 else namespace
    lowered = text.lower()
    if f"{name}.{ns}".lower() in lowered:
        return True
    return re.search(rf"(?<![\w.-]){re.escape(name.lower())}(?![\w-]|\.(?!{re.escape(ns.lower())}\b)\w)",
                     lowered) is not None


def flags_of(line: str) -> set[str]:
    """The response flags an Envoy access-log line (text or JSON) carries."""
    m = _ACCESS.search(line) or _JSON_FLAGS.search(line)
    return set(m["flags"].split(",")) - {"-"} if m else set()


def marked(line: str, flag: str) -> bool:
    """Whether the line carries the proxy's mark for `flag`: the access log's flag or the proxy's own words."""
    return flag in flags_of(line) or bool(MARKS[flag].words.search(line))


@dataclass
class Faulted:
    """A recently written mesh policy whose proxy's mark is on the callers' failures."""

    policy: Ref
    change: dict[str, Any]
    injector: Injector
    hosts: list[str]
    proof: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _written(change: dict[str, Any]) -> list[str]:
    """The fields a write set, as the timeline lists them (its `(current)` lines are context, not written)."""
    lines = [str(d) for d in change.get("diff") or []]
    if not lines:
        lines = [part for part in str(change.get("summary") or "").split(": ", 1)[-1].split("; ")]
    return [line for line in lines if not line.rstrip().endswith("(current)")]


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Recent writes to a policy kind that touched its spec (or created it)."""
    out: list[tuple[dict[str, Any], Ref]] = []
    for change, _, target in facts.writes_to(POLICY_KINDS, within=LEAD):
        said = " ".join(_written(change))
        if "spec" not in said and "created" not in str(change.get("summary") or ""):
            continue  # a label or annotation write changes nothing the proxies do
        if not any(t.same_object(target) for _, t in out):
            out.append((change, target))
    return out[:MAX_POLICIES]


def _access_excerpt(line: str) -> str:
    """`503 FI fault_filter_abort to stock-levels.inventory.svc.cluster.local`: what an access line says, short."""
    m = _ACCESS.search(line)
    if m is None:
        return f"'{line[:160]}'"
    details = line[m.end():].split(" ", 1)[0]
    authority = next(iter(_AUTHORITY.findall(line[m.end():])), "")
    code = m["code"] + " " if m["code"] != "#" else ""
    return (f"'{code}{m['flags']}{' ' + details if details and details != '-' else ''}'"
            f"{' for ' + authority if authority else ''}")


def _lines(log: LogEvidence) -> list[str]:
    entries = [e for e in [log.top, *log.more, *log.warnings] if isinstance(e, dict)]
    texts = [str(e.get("example") or e.get("message") or "") for e in entries]
    return [t for t in texts + list(log.last_lines) if t]


def _proof(facts: Facts, got: dict[str, Any], injector: Injector, alone: bool) -> tuple[str, str]:
    """The first place the injector's mark shows, naming one of the policy's hosts (or naming none, when `alone`)."""
    namespace = got["namespace"]
    host_less: tuple[str, str] = ("", "")
    for line, where, evidence in got.get("sidecar_lines") or []:
        if marked(line, injector.flag) and any(names_host(line, h, namespace) for h in got["hosts"]):
            return f"{where}'s proxy logs {_access_excerpt(line)}", evidence
    for log in facts.logs:
        for line in _lines(log):
            if not marked(line, injector.flag):
                continue
            if any(names_host(line, h, namespace) for h in got["hosts"]):
                return f"{log.namespace}/{log.pod} logs '{line[:200]}'", log.evidence_id
            host_less = host_less if host_less[0] else (f"{log.namespace}/{log.pod} logs '{line[:200]}'",
                                                        log.evidence_id)
    for labels, value, evidence in got.get("series") or []:
        text = " ".join(str(v) for v in labels.values())
        if injector.flag in str(labels.get("response_flags") or "").split(",") \
                and any(names_host(text, h, namespace) for h in got["hosts"]):
            caller = labels.get("source_workload") or labels.get("namespace") or "callers"
            return (f"istio_requests_total: {value:.3g}/s from {caller} answered {labels.get('response_code', '')} "
                    f"with response flag {injector.flag}"), evidence
    return host_less if alone else ("", "")


def _callee_failing(facts: Facts, hosts_: list[str], namespace: str) -> bool:
    """Whether the scan finds the governed Service's own workload failing (crashing, unready, unavailable)."""
    names = {short(h) for h in hosts_}
    for f in facts.findings():
        for ref in (Ref.of(f.get("object")), Ref.of(f.get("owner"))):
            if ref is not None and (not ref.namespace or ref.namespace == namespace) \
                    and (ref.name in names or workload_of_pod(ref.name) in names):
                return True
    return False


def found(facts: Facts) -> list[Faulted]:
    """Each recent policy write one of whose injecting fields left its mark on the callers' failures."""
    store = facts.reads.get(READS) or {}
    out: list[Faulted] = []
    for change, policy in candidates(facts):
        got = store.get(str(policy))
        if not got:
            continue
        for injector in got["injectors"]:
            if injector.flag in ("UO", "UH") and _callee_failing(facts, got["hosts"], got["namespace"]):
                continue  # a crashing or unready service overflows and ejects under any limits: not the policy's doing
            alone = sum(1 for other in store.values()
                        for i in other["injectors"] if i.flag == injector.flag) == 1
            proof, seen = _proof(facts, got, injector, alone)
            if proof:
                at = parse_time(change.get("at"))
                out.append(Faulted(policy, change, injector, got["hosts"], proof,
                                   int((facts.at - at).total_seconds() // 60) if at else 0,
                                   [e for e in (facts.changes_id or "", got.get("evidence", ""), seen) if e]))
                break
    return out


_FIVE_XX_UPSTREAM = re.compile(r"^5\d\d$")


def _upstream_failures(got: dict[str, Any]) -> bool:
    """Whether the callers' 5xx to the policy's hosts were answered by the service itself: an access line or a
    request series with a 5xx and no proxy flag."""
    namespace = got["namespace"]
    for line, _, _ in got.get("sidecar_lines") or []:
        m = _ACCESS.search(line)
        if m and m["code"].startswith("5") and m["flags"] == "-" \
                and any(names_host(line, h, namespace) for h in got["hosts"]):
            return True
    for labels, _, _ in got.get("series") or []:
        text = " ".join(str(v) for v in labels.values())
        if _FIVE_XX_UPSTREAM.match(str(labels.get("response_code") or "")) \
                and str(labels.get("response_flags") or "-") == "-" \
                and any(names_host(text, h, namespace) for h in got["hosts"]):
            return True
    return False


def _touched_only_injectors(change: dict[str, Any], found_here: list[Injector]) -> bool:
    """Whether every spec field the write names lies inside one of the policy's injecting fields."""
    said = _written(change)
    paths = [m.group(0) for d in said for m in re.finditer(r"\bspec(?:\.[\w\[\]-]+)+", d)]
    prefixes = [re.sub(r"\[\d+\]", "", i.path) for i in found_here]
    return bool(paths) and all(any(re.sub(r"\[\d+\]", "", p).startswith(x) for x in prefixes) for p in paths)


def cleared(facts: Facts) -> list[Ref]:
    """Recent policy writes that changed only failure-injecting or limiting fields, whose marks the callers'
    errors do not carry while the service answers the 5xx itself: the write is not the cause, whatever names it."""
    store = facts.reads.get(READS) or {}
    named = {str(f.policy) for f in found(facts)}
    out: list[Ref] = []
    for change, policy in candidates(facts):
        got = store.get(str(policy))
        if got and str(policy) not in named and _touched_only_injectors(change, got["injectors"]) \
                and _upstream_failures(got):
            out.append(policy)
    return out


def finding(f: Faulted) -> dict[str, Any]:
    """What the policy's field does, to which host, when it was written, and the proxy's mark on the errors."""
    mark = MARKS[f.injector.flag]
    host = f.hosts[0] if f.hosts else "its workloads"
    by = _BY.search(str(f.change.get("summary") or ""))
    who = by[1] if by else ""
    written = f"written{' by ' + who if who else ''} {minutes_text(f.minutes_before)} before the incident"
    what = "injects faults (fault injection, " if f.injector.flag in ("FI", "DI") else "sets a circuit breaker ("
    message = (f"{f.policy} {what}{f.injector.path}): {f.injector.does.format(host=host)}; {written}. The callers' "
               f"errors carry the proxy's own mark (response flag {mark.flag}, {mark.meaning}): {f.proof}. The mesh "
               f"fails these calls, not {short(host) if f.hosts else 'the service'}: remove "
               f"{f.injector.path.split('.')[-1]} from {f.policy}")
    return {"check": CHECK, "severity": "critical", "object": f.change.get("object"), "reason": "MeshPolicyFails",
            "message": message, "evidence": [f.proof[:200], f.injector.path],
            "details": {"flag": mark.flag, "field": f.injector.path, "hosts": f.hosts,
                        "change_at": f.change.get("at")}}


def _access_lines(text: str, where: str, evidence: str) -> list[tuple[str, str, str]]:
    """The lines of a log answer that are a proxy's access-log lines or carry a proxy's own words."""
    return [(line.strip(), where, evidence) for line in text.splitlines()[1:]
            if _ACCESS.search(line) or _JSON_FLAGS.search(line) or any(m.words.search(line) for m in MARKS.values())]


async def _sidecar_lines(facts: Facts, call: Call) -> list[tuple[str, str, str]]:
    """The access-log lines of the callers' proxies: one pod of the subject and of each workload whose logs the
    survey read, its sidecar container (from the containers its logs answer lists) or, for a gateway whose own
    container is the proxy, that container."""
    pods: list[tuple[str, str]] = []
    if facts.topologies:
        pods += [(str(p.get("name")), str(p.get("namespace") or "")) for p in facts.topologies[0][0].get("pods") or []
                 if isinstance(p, dict) and p.get("name")]
    pods += [(log.pod, log.namespace) for log in facts.logs if log.pod]
    out: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for pod, namespace in pods:
        workload = (namespace, workload_of_pod(pod))
        if workload in seen or len(seen) >= MAX_CALLERS or not namespace:
            continue
        seen.add(workload)
        first = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": 300}, f"survey-mesh-{pod}")
        if first is None or not first.ok:
            continue
        data = first.data if isinstance(first.data, dict) else {}
        out += _access_lines(str(first.full_text), f"{namespace}/{pod}", first.evidence_id)
        names = [str(c.get("name") if isinstance(c, dict) else c) for c in data.get("containers") or []]
        sidecar = next((n for n in names if n in SIDECARS or "envoy" in n), None)
        if sidecar is None or sidecar == data.get("container"):
            continue
        got = await call("k8s_logs", {"name": pod, "namespace": namespace, "container": sidecar, "tail": 300},
                         f"survey-mesh-proxy-{pod}")
        if got is not None and got.ok:
            out += _access_lines(str(got.full_text), f"{namespace}/{pod}", got.evidence_id)
    return out


SERIES = ('sum by (response_flags, response_code, destination_service, destination_service_name, '
          'destination_service_namespace, destination_workload, source_workload, namespace) ('
          'rate(istio_requests_total{response_code=~"5.."}[10m]) or '
          'rate(istio_requests_total{response_flags=~".*(FI|DI|UO|UH).*"}[10m])) > 0')
"""The mesh's failed requests by response flag: the proxy's own (FI, DI, UO, UH) and the upstream's (`-`)."""


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only: each recent policy write's object; when one holds an injecting field, the callers' proxy
    access logs and the mesh's request series by response flag."""
    store = facts.reads.setdefault(READS, {})
    for _, policy in candidates(facts):
        got = await get_yaml(call, policy.kind, policy.name, policy.namespace, f"survey-mesh-policy-{policy.name}")
        if got is None:
            continue
        found_here = injectors(got[0])
        if found_here:
            store[str(policy)] = {"injectors": found_here, "hosts": hosts(got[0]), "namespace": policy.namespace,
                                  "evidence": got[1]}
    if not store:
        return
    lines = await _sidecar_lines(facts, call)
    series: list[tuple[dict[str, Any], float, str]] = []
    outcome = await call("prom_query", {"query": SERIES, "time": at}, "survey-mesh-flags")
    if outcome is not None and outcome.ok and isinstance(outcome.data, dict):
        for s in outcome.data.get("samples") or []:
            if isinstance(s, dict) and isinstance(s.get("value"), (int, float)) and s["value"] > 0:
                series.append((s.get("labels") or {}, float(s["value"]), outcome.evidence_id))
    for entry in store.values():
        entry["sidecar_lines"], entry["series"] = lines, series
