"""Sidecar injection switched on for a SERVER-FIRST protocol whose Service port the mesh must sniff: handshakes stall.

In a server-first protocol the server speaks first: MySQL/MariaDB send their greeting packet, SMTP its `220`
banner, NATS its `INFO`, SSH/FTP/POP3/IMAP their banners. A mesh proxy that must detect the protocol of a port
(Istio: a Service port whose name has no protocol prefix — `db`, `sql` — and no `appProtocol`) waits for the
CLIENT's first bytes to sniff them, while the client waits for the server's greeting: new connections hang until a
timeout (Istio documents these as "server first protocols" that need an explicit `tcp`/`mysql` port protocol).
Linkerd marks the common server-first ports opaque by default (25, 587, 3306, 4444, 5432, 6379, 9300, 11211), so
only a port outside that list (and outside `config.linkerd.io/opaque-ports`) stalls there.

The switch read here is a Namespace label (`istio-injection=enabled`, `istio.io/rev`), a Namespace annotation
(`linkerd.io/inject: enabled`), or the server workload's own pod-template label/annotation (Istio's
`sidecar.istio.io/inject: "true"` and `istio.io/rev`, Linkerd's `linkerd.io/inject: enabled`), which the change
timeline shows as a rollout diff line `pod annotation sidecar.istio.io/inject unset -> 'true'`: that write is the
change that added the proxy. The documented ORDERING annotations (Istio's `proxy.istio.io/config` with
`holdApplicationUntilProxyStarts`, Linkerd's `config.linkerd.io/proxy-await`) only reorder a proxy that is already
injected: sniffing stalls a server-first port whatever the start order, so such a write is never named as the switch,
and a pod recreated by it does not stand in for a switch whose write is not in view (a twin). The pods
restart with the proxy and are Ready, nothing in them fails, and the CLIENTS log it in their driver's words (JDBC
`Communications link failure` / `Read timed out`, Go `i/o timeout` / `driver: bad connection`, Python `Lost
connection to MySQL server`, an SMTP client's `SMTPServerDisconnected`).

Read: the callers' dependencies' namespaces (the topology), each such Namespace, one pod of the dependency and
its Service; named (the Namespace or the workload whose template carries the switch) when an injection switch was
written within `LEAD`, the pod now runs a mesh proxy beside server-first software, a Service port of it has no
declared protocol, and some caller's log shows a connection stall or failure. A client-first protocol
(PostgreSQL, Redis, MongoDB, HTTP) behind the same switch, or a port declared `tcp-`/`mysql`/appProtocol, is left
alone.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.sidecar_hold import INJECT_KEY, OFF
from agent.triage.sidecar_hold import _switch_now as switch_now
from agent.triage.sidecar_hold import _switch_writes as switch_writes
from agent.triage.subject import workload_of_pod

CHECK = "injection.server_first_sniffed"
WEIGHT = 0.94
"""The injection switch explains every caller's stalled connection: above the callers' own errors."""
READS = "server_first_sidecar"
LEAD = timedelta(hours=24)
MAX_DEPS = 3
Call = Callable[..., Awaitable[Any]]

SERVER_FIRST = re.compile(
    r"(?:^|/)(?:mysql|mariadb|percona[\w-]*|mysql-server|galera[\w-]*|tidb|vitess[\w-]*|postfix|exim\d*|"
    r"mailhog|mailpit|smtp[\w-]*|haraka|nats|openssh[\w-]*|sshd?|vsftpd|pure-ftpd|proftpd|dovecot)(?:[:@]|$)",
    re.I)
"""Images of server-first software: MySQL protocol servers, SMTP servers, NATS, SSH, FTP, POP3/IMAP."""

MESH_PROXIES = {"istio-proxy": "istio", "linkerd-proxy": "linkerd"}
LINKERD_OPAQUE = frozenset({25, 587, 3306, 4444, 5432, 6379, 9300, 11211})
"""Linkerd's default opaque ports: protocol detection is skipped on them, so server-first works there."""
DECLARED = re.compile(r"^(?:tcp|tls|mysql|mongo|redis|https|grpc|grpc-web|http2?|udp)(?:-|$)", re.I)
"""Istio's explicit protocol port-name prefixes (name `<protocol>[-<suffix>]`)."""

STALL = re.compile(
    r"Communications link failure|Read timed out|connect timed out|i/o timeout|driver: bad connection|"
    r"Lost connection to MySQL server|Can't connect to MySQL server|reading initial communication packet|"
    r"handshake (?:timed out|timeout)|SMTPServerDisconnected|Connection unexpectedly closed|greeting never "
    r"received|context deadline exceeded|ETIMEDOUT|connection timed out", re.I)
"""Clients' words for a connection whose server never spoke (JDBC, Go, Python, Node, SMTP libraries)."""


TEMPLATE_META = re.compile(r"^pod (annotation|label) (\S+) (.+?) -> (.+)$")
"""A rollout diff line of the pod template's metadata (mcp_servers.kubernetes.reads.template_diff):
`pod annotation sidecar.istio.io/inject unset -> 'true'`."""
ORDERING = re.compile(r"^config\.linkerd\.io/proxy-await$|^proxy\.istio\.io/config$")
"""Annotations that order an injected proxy's start (Linkerd's proxy-await; Istio's proxy config, which carries
holdApplicationUntilProxyStarts): they add no proxy."""
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


def _unquote(value: str) -> str:
    return value.strip().strip("'\"")


def template_switches(facts: Facts, workload: Ref, since: datetime) -> tuple[list[tuple[Ref, tuple[str, str, str,
                                                                                                   datetime, str]]],
                                                                             list[datetime]]:
    """From the timelines read: the writes since `since` to the workload's pod template that switched injection on
    (its label/annotation set to a value other than off), as (the workload, (key, value, manager, time, verb)); and
    the times of writes that touched only ordering annotations (which re-create the pods without adding a proxy)."""
    switched: list[tuple[Ref, tuple[str, str, str, datetime, str]]] = []
    reordered: list[datetime] = []
    for change, _, target in facts.writes_to(WORKLOAD_KINDS, deletions=False):
        at = parse_time(change.get("at"))
        same = target.name == workload.name or (target.kind == "ReplicaSet"
                                                and target.name.rsplit("-", 1)[0] == workload.name)
        if at is None or not since < at <= facts.at or target.namespace != workload.namespace or not same:
            continue
        meta = [m for m in (TEMPLATE_META.match(str(d).strip()) for d in change.get("diff") or []) if m]
        on = [m for m in meta if INJECT_KEY.search(m.group(2)) and _unquote(m.group(4)).lower() not in OFF
              and _unquote(m.group(4)) != "unset"]
        for m in on:
            verb = "given the pod-template annotation" if m.group(1) == "annotation" else "given the pod-template label"
            switched.append((Ref(workload.kind, workload.namespace, workload.name),
                             (m.group(2), _unquote(m.group(4)), "", at, verb)))
        if not on and meta and all(ORDERING.search(m.group(2)) for m in meta):
            reordered.append(at)
    return switched, reordered


@dataclass
class Sniffed:
    """A server-first workload a new injection switch put behind a protocol-sniffing proxy, and the callers' stall."""

    switch: Ref
    key: str
    value: str
    verb: str
    written: datetime
    workload: Ref
    software: str
    port: str
    mesh: str
    said: str
    evidence: list[str] = field(default_factory=list)


def undeclared(service: dict[str, Any], mesh: str, opaque: set[int]) -> str:
    """The first Service port the mesh must sniff: "name/port", or "" when every port declares its protocol."""
    for port in (service.get("spec") or {}).get("ports") or []:
        name, number = str(port.get("name") or ""), int(port.get("port") or 0)
        if port.get("appProtocol") or DECLARED.match(name):
            continue
        if mesh == "linkerd" and (number in LINKERD_OPAQUE or number in opaque):
            continue
        return f"{name or '(unnamed)'}/{number}"
    return ""


def _opaque(meta: dict[str, Any]) -> set[int]:
    text = str((meta.get("annotations") or {}).get("config.linkerd.io/opaque-ports") or "")
    return {int(p) for p in re.findall(r"\d+", text)}


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _stall(facts: Facts, namespace: str) -> tuple[str, str]:
    for log in facts.logs:
        if log.namespace == namespace:
            continue
        for entry in [*log.entries(), *({"message": line} for line in log.last_lines)]:
            text = " ".join(str(entry.get(k) or "") for k in ("exception", "message", "example"))
            if STALL.search(text):
                return text.strip()[:200], log.evidence_id
    return "", ""


def found(facts: Facts) -> list[Sniffed]:
    """Injection switches written within LEAD that put a server-first server behind a sniffing proxy."""
    out: list[Sniffed] = []
    for read in _store(facts).values():
        pod, namespace, service = read.get("pod"), read.get("namespace"), read.get("service")
        if not pod or not namespace or not service:
            continue
        containers = [c for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]
        mesh = next((MESH_PROXIES[str(c.get("name"))] for c in containers if str(c.get("name")) in MESH_PROXIES), "")
        software = next((str(c.get("image")) for c in containers if SERVER_FIRST.search(str(c.get("image") or ""))),
                        "")
        if not mesh or not software:
            continue
        opaque = _opaque(pod.get("metadata") or {}) | _opaque(namespace.get("metadata") or {})
        port = undeclared(service, mesh, opaque)
        if not port:
            continue
        writes = [(Ref("Namespace", "", str((namespace.get("metadata") or {}).get("name"))), w)
                  for w in switch_writes(namespace, facts.at - LEAD, facts.at)]
        in_template, reordered = template_switches(facts, read["workload_ref"], facts.at - LEAD)
        writes += in_template
        created = parse_time((pod.get("metadata") or {}).get("creationTimestamp"))
        now_on = switch_now(namespace, None)
        if not writes and now_on is not None and created is not None and facts.at - LEAD <= created <= facts.at \
                and not reordered:
            # no field history in the answer: the switch is on and the server's pod came up with the proxy since
            writes = [(Ref("Namespace", "", str((namespace.get("metadata") or {}).get("name"))),
                       (now_on[0], now_on[1], "", created, now_on[2]))]
        if not writes:
            continue
        said, log_id = _stall(facts, str((namespace.get("metadata") or {}).get("name")))
        if not said:
            continue
        switch, (key, value, _manager, at, verb) = max(writes, key=lambda w: w[1][3])
        out.append(Sniffed(switch, key, value, verb, at, read["workload_ref"], software, port, mesh, said,
                           [e for e in (*read.get("ids", []), log_id) if e]))
    return out


def finding(s: Sniffed, facts: Facts) -> dict[str, Any]:
    """The switch as the suspect: the sidecar it injected, the server-first protocol, the port the mesh sniffs."""
    minutes = int((facts.at - s.written).total_seconds() // 60)
    fix = ("name the port tcp-<name> (or set appProtocol: tcp / mysql) or exclude it from the proxy "
           "(traffic.sidecar.istio.io/excludeInboundPorts)" if s.mesh == "istio"
           else "mark the port opaque (config.linkerd.io/opaque-ports) or skip it "
           "(config.linkerd.io/skip-inbound-ports)")
    message = (f"{s.switch} was {s.verb} {s.key}={s.value} {minutes_text(minutes)} before the alert: sidecar "
               f"injection put a {s.mesh} proxy sidecar beside {s.workload} ({s.software}), a server-first protocol "
               f"(the server sends the greeting), and its Service port {s.port} declares no protocol, so the proxy "
               "waits on protocol sniffing for client bytes while the client waits for the server: new connections "
               f"stall; callers: '{s.said}'. Remove the switch, or {fix}, and restart {s.workload.name}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.switch.kind, "namespace": s.switch.namespace, "name": s.switch.name},
            "reason": "ServerFirstProtocolSniffed", "message": message, "evidence": [s.said],
            "details": {"key": s.key, "value": s.value, "workload": str(s.workload), "port": s.port,
                        "mesh": s.mesh, "minutes_before": minutes}}


async def read(facts: Facts, call: Call) -> None:
    """Reading only, bounded: for the topology's in-cluster dependencies, their Namespace, one pod, the Service
    and the workload (whose template may carry the switch)."""
    store = _store(facts)
    deps: list[Ref] = []
    for data, _ in facts.topologies:
        for dep in data.get("dependencies") or []:
            target = Ref.of(dep.get("target")) if isinstance(dep, dict) else None
            if target is not None and target.namespace and target.kind.lower() != "externalhost" \
                    and not any(target.same_object(d) for d in deps):
                deps.append(target)
    if any(_stall(facts, "")[0] for _ in [0]):  # a caller stalls: the servers of server-first software, by image
        listed_all = await call("k8s_list", {"kind": "Pod"}, "survey-serverfirst-servers")
        rows_all = (listed_all.data or {}).get("rows") or [] if listed_all is not None and listed_all.ok else []
        for row in rows_all:
            images = row.get("images") if isinstance(row, dict) else None
            images = images.split(",") if isinstance(images, str) else images or []
            if any(SERVER_FIRST.search(str(i)) for i in images) and row.get("namespace"):
                ref = Ref("Service", str(row["namespace"]), workload_of_pod(str(row.get("name") or "")))
                if not any(ref.same_object(d) for d in deps):
                    deps.append(ref)
    for dep in deps[:MAX_DEPS]:
        key = f"{dep.namespace}/{dep.name}"
        if key in store:
            continue
        entry: dict[str, Any] = {"ids": []}
        store[key] = entry
        namespace = await get_yaml(call, "Namespace", dep.namespace, "", f"survey-serverfirst-ns-{dep.namespace}")
        listed = await call("k8s_list", {"kind": "Pod", "namespace": dep.namespace}, f"survey-serverfirst-pods-{key}")
        rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
        pod_name = next((str(r.get("name")) for r in rows if isinstance(r, dict)
                         and workload_of_pod(str(r.get("name") or "")) == dep.name), "")
        if namespace is None or not pod_name:
            continue
        pod = await get_yaml(call, "Pod", pod_name, dep.namespace, f"survey-serverfirst-pod-{pod_name}")
        service = await get_yaml(call, "Service", dep.name, dep.namespace, f"survey-serverfirst-svc-{dep.name}")
        if pod is None or service is None:
            continue
        owner = next((o for o in (pod[0].get("metadata") or {}).get("ownerReferences") or []
                      if isinstance(o, dict)), {})
        kind = "StatefulSet" if owner.get("kind") == "StatefulSet" else "Deployment"
        entry.update({"namespace": namespace[0], "pod": pod[0], "service": service[0],
                      "workload_ref": Ref(kind, dep.namespace, workload_of_pod(pod_name)),
                      "ids": [namespace[1], pod[1], service[1]]})
