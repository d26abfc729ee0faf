"""A Service port renamed (or its appProtocol changed) so the mesh picks the wrong protocol for the calls it carries.

A service mesh decides how to proxy a port from the Service, not from the traffic: Istio (and Kuma, Consul, the
Gateway API implementations that read `appProtocol`) take the port's `appProtocol`, else the prefix of its name
(`grpc`, `grpc-web`, `http`, `http2`, `https`, `tcp`, `tls`, `mongo`, `redis`...). Rename a gRPC port `grpc` ->
`http` (or set `appProtocol: http`) and the sidecars proxy HTTP/2 calls as HTTP/1.1: the server answers frames the
proxy cannot parse and every call fails with the proxy's own protocol mark: Envoy's response flag UPE
(`upstream_reset_before_response_started{protocol_error}`), the client's `reset reason: protocol error`, a Go client's
`malformed HTTP response`, a gRPC server's `HTTP/2 client preface string missing or corrupt`. Rename an HTTP/1.1
port to `grpc`/`http2` and the reverse happens. Consul declares it per service instead, in a `ServiceDefaults`
`spec.protocol` (every port): set to `http` or `tcp` under gRPC callers, the same marks follow. The pods stay Ready,
the endpoints stay, nothing else changed.

This module reads each Service written within `LEAD` whose write touched a port's name or appProtocol, the
protocol the mesh now selects for each of its ports, and the callers' lines (their app container and their
proxy sidecar) for a protocol mark; the Service is named when a marked line names its host (or it alone was
written) and the callers' traffic is of another protocol family than the one the port now declares (gRPC/HTTP/2
through a port declared HTTP/1.1 or TCP, or HTTP/1.1 through one declared HTTP/2). `read` reads only; `suspects`
is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.port_protocol"
WEIGHT = 0.94
"""A port-protocol write whose mismatch mark the callers' failures carry: stronger than a bare write, the
callee's unchanged rollout and a scan note about undeclared container ports."""
READS = "port_protocol"
LEAD = timedelta(hours=6)
MAX_CALLERS = 3
SIDECARS = ("istio-proxy", "envoy", "kuma-sidecar", "consul-dataplane", "envoy-sidecar", "linkerd-proxy")
Call = Callable[..., Awaitable[Any]]

H2_CALLER = re.compile(r"error reading server preface|First received frame was not SETTINGS|frame header looked like "
                       r"an HTTP/1\.1 header|invalid HTTP version parsed|http2: frame too large", re.I)
"""An HTTP/2 caller that got an HTTP/1.x answer where it expected HTTP/2 frames: grpc-go's `error reading server
preface`, Netty's `First received frame was not SETTINGS` (grpc-java), Go's `frame header looked like an HTTP/1.1
header`, hyper's (Linkerd's proxy) `invalid HTTP version parsed`: the caller itself speaks HTTP/2."""
MARK = re.compile(r"\bUPE\b|protocol[_ ]error|reset reason: protocol|malformed HTTP response|client preface string "
                  r"missing|Received HTTP/0\.9|http2: server sent GOAWAY and closed the connection.*PROTOCOL_ERROR|"
                  r"PROTOCOL_ERROR|codec error|HPE_INVALID|Bad Request.*HTTP/2|" + H2_CALLER.pattern +
                  r"|bogus greeting|HTTP_1_1_REQUIRED", re.I)
"""How a proxy or client says the two ends of a call spoke different protocols (Envoy UPE, gRPC, Go, Node; Go's
h2 server `bogus greeting`; the HTTP/2 callers' own wordings in `H2_CALLER`)."""
GRPC = re.compile(r"\bgrpc\b|io\.grpc|HTTP/2\"|\"POST /[\w.]+\.[A-Z]\w*/\w+|grpc-(?:java|go|node|python)|\bh2c?\b|"
                  r"rpc error: code =|grpc-status|" + H2_CALLER.pattern, re.I)
"""Traffic that is gRPC or HTTP/2: a gRPC client's words, an access line's `HTTP/2` or `/pkg.Service/Method`."""
HTTP1 = re.compile(r"\"(?:GET|POST|PUT|DELETE|PATCH|HEAD) [^\"]* HTTP/1\.[01]\"")
_FAMILY = {"http": "HTTP/1.1", "https": "TLS", "http2": "HTTP/2", "grpc": "HTTP/2 (gRPC)", "grpc-web": "HTTP/1.1",
           "h2c": "HTTP/2", "ws": "HTTP/1.1 (WebSocket)", "wss": "TLS (WebSocket)",
           "tcp": "opaque TCP", "tls": "TLS", "mongo": "Mongo", "mysql": "MySQL", "redis": "Redis",
           "udp": "UDP"}
"""Istio's protocol selection: a port name's prefix (or appProtocol, the Gateway API's `kubernetes.io/h2c`,
`kubernetes.io/ws`, `kubernetes.io/wss` included) -> how its proxies speak on that port."""
APP_ONLY = frozenset({"ws", "wss"})
"""Protocols only an appProtocol declares (Gateway API); a port NAMED `ws-...` is sniffed, not declared."""


@dataclass(frozen=True)
class Declared:
    """One port of the Service and the protocol the mesh selects for it."""

    port: int
    name: str
    app_protocol: str
    protocol: str
    """`_FAMILY` key the name/appProtocol selects ("" when none: the mesh sniffs)."""


@dataclass
class Mismatch:
    """A Service whose port now declares a protocol the callers' traffic does not speak."""

    service: Ref
    port: Declared
    traffic: str
    proof: str
    change: dict[str, Any]
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def declared(service: dict[str, Any]) -> list[Declared]:
    """The protocol the mesh selects for each port: `appProtocol` (its last path part, `kubernetes.io/h2c` ->
    h2c), else the name's prefix before the first `-` (`grpc-api` -> grpc, `http-web` -> http)."""
    out: list[Declared] = []
    for p in (service.get("spec") or {}).get("ports") or []:
        if not isinstance(p, dict) or not isinstance(p.get("port"), int):
            continue
        name, app = str(p.get("name") or ""), str(p.get("appProtocol") or "")
        chosen = app.rsplit("/", 1)[-1].lower() if app else name.lower()
        proto = next((k for k in sorted(_FAMILY, key=len, reverse=True)
                      if (chosen == k or chosen.startswith(k + "-")) and (app or k not in APP_ONLY)), "")
        out.append(Declared(int(p["port"]), name, app, proto))
    return out


def traffic_of(lines: list[str]) -> str:
    """`gRPC` when the marked lines are gRPC/HTTP/2 calls, `HTTP/1.1` when they are HTTP/1.1 requests, else ""."""
    if any(GRPC.search(ln) for ln in lines):
        return "gRPC"
    if any(HTTP1.search(ln) for ln in lines):
        return "HTTP/1.1"
    return ""


def conflicts(port: Declared, traffic: str) -> bool:
    """Whether the declared protocol breaks that traffic: gRPC/HTTP/2 through HTTP/1.1, gRPC-Web or opaque TCP
    declarations, or HTTP/1.1 through an HTTP/2 or gRPC one."""
    if traffic == "gRPC":
        return port.protocol in ("http", "grpc-web", "ws", "wss", "tcp", "https", "tls", "mongo", "mysql", "redis")
    if traffic == "HTTP/1.1":
        return port.protocol in ("grpc", "http2", "h2c")
    return False


def names_host(line: str, service: Ref) -> bool:
    """Whether a line names the Service: `name.namespace`, an Envoy cluster `||name.namespace`, or `name:port`."""
    low = line.lower()
    return f"{service.name}.{service.namespace}".lower() in low or re.search(
        rf"(?<![\w.-]){re.escape(service.name.lower())}:\d+", low) is not None


def consul_declared(defaults: dict[str, Any]) -> list[Declared]:
    """The protocol a Consul `ServiceDefaults` (consul.hashicorp.com) declares for every port of its service
    (`spec.protocol`: tcp, http, http2, grpc), as one `Declared` with port 0 (all ports); [] when unset."""
    proto = str((defaults.get("spec") or {}).get("protocol") or "").lower()
    return [Declared(0, "", "", proto)] if proto in _FAMILY else []


def _touched_ports(change: dict[str, Any]) -> bool:
    said = " ".join([str(change.get("summary") or ""), *[str(d) for d in change.get("diff") or []]])
    if (change.get("object") or {}).get("kind") == "ServiceDefaults":
        return re.search(r"\bprotocol\b", said) is not None or "created" in str(change.get("summary") or "")
    return re.search(r"spec\.ports\b[^;]*\.(?:name|appProtocol)\b|port name|appProtocol", said) is not None \
        or "created" in str(change.get("summary") or "")


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Recent Service writes that touched a port's name or appProtocol, and Consul ServiceDefaults protocol writes."""
    return [(c, r) for c, r in facts.recent_writes(("Service", "ServiceDefaults"), LEAD) if _touched_ports(c)][:3]


def found(facts: Facts) -> list[Mismatch]:
    """Each written Service one of whose ports now declares a protocol the callers' marked calls do not speak."""
    store = facts.reads.get(READS) or {}
    lines: list[tuple[str, str]] = store.get("lines") or []
    written = candidates(facts)
    out: list[Mismatch] = []
    for change, service in written:
        got = store.get(str(service))
        if not got:
            continue
        mine = [(ln, e) for ln, e in lines if names_host(ln, service)]
        if not mine and len(written) == 1:
            mine = lines
        traffic = traffic_of([ln for ln, _ in mine])
        for port in got["ports"]:
            on_port = [(ln, e) for ln, e in mine if port.port and f":{port.port}" in ln] or mine
            if on_port and conflicts(port, traffic):
                at = parse_time(change.get("at"))
                line, evidence = on_port[0]
                out.append(Mismatch(service, port, traffic, line[:240], change,
                                    int((facts.at - at).total_seconds() // 60) if at else 0,
                                    [e for e in (facts.changes_id or "", got["evidence"], evidence) if e]))
                break
    return out


def finding(m: Mismatch) -> dict[str, Any]:
    """What the port now declares, how the mesh proxies it, what the callers speak, and their mark."""
    how = f"appProtocol {m.port.app_protocol}" if m.port.app_protocol else f"port name {m.port.name}" \
        if m.port.name else f"spec.protocol {m.port.protocol}"
    speaks = _FAMILY.get(m.port.protocol, m.port.protocol)
    port = f"port {m.port.port}" if m.port.port else "every port of the service"
    wanted = "grpc" if m.traffic == "gRPC" else "http"
    fix = f"Set the ServiceDefaults protocol back to {wanted}" if m.service.kind == "ServiceDefaults" \
        else f"Name the port for its protocol again ({wanted}) or set appProtocol"
    mesh = "Consul, by the ServiceDefaults protocol" if m.service.kind == "ServiceDefaults" else \
        "Istio, by the port name or appProtocol"
    message = (f"{m.service}: {port} now declares protocol {m.port.protocol} by its {how} (written "
               f"{minutes_text(m.minutes_before)} before the incident): a service mesh ({mesh}) selects the "
               f"protocol from it and proxies the port as {speaks}, while the callers "
               f"speak {m.traffic}, so every call fails with the proxy's protocol-error mark: '{m.proof[:200]}'. "
               f"{fix}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": m.service.kind, "namespace": m.service.namespace, "name": m.service.name},
            "reason": "PortProtocolMismatch", "message": message,
            "evidence": [f"{port} {how}", m.proof[:200]],
            "details": {"port": m.port.port, "name": m.port.name, "app_protocol": m.port.app_protocol,
                        "declared": m.port.protocol, "traffic": m.traffic, "change_at": m.change.get("at")}}


def _caller_pods(facts: Facts) -> list[tuple[str, str]]:
    pods: list[tuple[str, str]] = []
    if facts.topologies:
        pods += [(str(p.get("name")), str(p.get("namespace") or "")) for p in facts.topologies[0][0].get("pods") or []
                 if isinstance(p, dict) and p.get("name") and p.get("namespace")]
    return pods + [(log.pod, log.namespace) for log in facts.logs if log.pod and log.namespace]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: each candidate Service, then the callers' app and sidecar lines that carry a protocol mark."""
    written = candidates(facts)
    if not written:
        return
    store = facts.reads.setdefault(READS, {})
    for _, service in written:
        got = await get_yaml(call, service.kind, service.name, service.namespace, f"survey-portproto-{service.name}")
        if got is not None:
            store[str(service)] = {"ports": consul_declared(got[0]) if service.kind == "ServiceDefaults"
                                   else declared(got[0]), "evidence": got[1]}
    marked: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for pod, namespace in _caller_pods(facts):
        workload = (namespace, workload_of_pod(pod))
        if workload in seen or len(seen) >= MAX_CALLERS:
            continue
        seen.add(workload)
        first = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": 300}, f"survey-portproto-{pod}")
        if first is None or not first.ok:
            continue
        marked += [(ln.strip(), first.evidence_id) for ln in str(first.full_text).splitlines()[1:] if MARK.search(ln)]
        data = first.data if isinstance(first.data, dict) else {}
        names = [str(c.get("name") if isinstance(c, dict) else c) for c in data.get("containers") or []]
        sidecar = next((n for n in names if n in SIDECARS), None)
        if sidecar is None or sidecar == data.get("container"):
            continue
        side = await call("k8s_logs", {"name": pod, "namespace": namespace, "container": sidecar, "tail": 300},
                          f"survey-portproto-proxy-{pod}")
        if side is not None and side.ok:
            marked += [(ln.strip(), side.evidence_id) for ln in str(side.full_text).splitlines()[1:]
                       if MARK.search(ln)]
    store["lines"] = marked[-60:]


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The written Service, explaining the callers' protocol errors."""
    return [(m.service, finding(m), list(dict.fromkeys(m.evidence)), []) for m in found(facts)]
