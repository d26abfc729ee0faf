"""A node-local agent's new revision, running on some nodes only, stopped listening on a port its clients use.

Telemetry and service agents run as DaemonSets and are reached node-locally: apps export traces to
`$(NODE_IP):4317` (OTLP gRPC) or `:4318`, metrics to a StatsD/DogStatsD `:8125`, logs to Fluent Bit's forward
`:24224`, spans to the Jaeger/Datadog agent's `:6831`/`:8126`, through a `hostPort` or the node's address. When the
agent's template drops one of those ports (a collector config "simplified" to HTTP only, a port renamed), the
clients' exports fail with connection refused and their data vanishes, but only where the new template runs:
with `updateStrategy: OnDelete` (or a paused/slow rolling update) the pods that were recreated since carry the new
ControllerRevision (`controller-revision-hash` label) and their siblings the old one, so "everything on node X
stopped sending" while every other node is fine, and the DaemonSet's own status is healthy.

So, when the incident names a node: every DaemonSet whose pod on that node runs a different revision than its pods
elsewhere; the ports (container and host) the sibling on the old revision exposes that the pod on the named node does
not; and the pods on the named node whose logs fail to reach one of those ports (refused, failed to connect,
unavailable) or, where no log says so (a UDP StatsD/Jaeger send fails silently), whose spec sends to one of those
ports at their own node's address (downward-API `status.hostIP`). The DaemonSet is named with the dropped port, the
split revision and a client's line. A split with no port dropped, a dropped port nobody on the node calls, or a
DaemonSet on one revision everywhere is not named. `read` does the reads (the node, its pods and a DaemonSet's own
pods through `node_agent_pods`, shared with `node_agent_socket`); `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage.facts import Facts, Ref
from agent.triage.kube_reads import get_yaml
from agent.triage.node_agent_pods import named_node, pods_of, rows, siblings
from agent.triage.subject import Subject

CHECK = "daemonset.port_dropped"
WEIGHT = 0.93
"""The agent whose revision split the fleet and whose clients on the named node fail at the very port it
dropped: above the node's generic suspects and any unrelated rollout."""
READS = "node_agent_port"
MAX_DAEMONSETS = 25
MAX_CLIENTS = 4
MAX_CONFIGURED = 12
"""Pods on the named node whose spec is read for a client configured to send to the dropped port."""
NODE_ADDRESS = {"status.hostIP", "status.hostIPs", "spec.nodeName"}
"""Downward-API fields a pod reads to address its own node's agent (`$(HOST_IP):8125`)."""
ADDRESS_NAME = re.compile(r"port|addr|endpoint|host|url|target|agent", re.I)
"""Env var names whose bare number value is a destination port (`STATSD_PORT=8125`, `DD_DOGSTATSD_PORT`)."""
Call = Callable[..., Awaitable[Any]]
REVISION_LABEL = "controller-revision-hash"
FAILS = re.compile(r"refused|failed to connect|could not connect|unable to connect|connect(?:ion)? error|"
                   r"unavailable|ECONNREFUSED|dial tcp|no route to host|failed to export|timed? ?out|failed to send|"
                   r"dropping \d+ (?:traces|spans|metrics|payloads|logs)|lost \d+ traces|PortUnreachable|"
                   r"Error (?:sending|submitting)", re.I)
"""A client's failure to hand data to an agent: refusals, Datadog tracers' `failed to send, dropping 3 traces`
(dd-trace-py) and `lost 12 traces` (dd-trace-go), DogStatsD's `Error sending metrics`/`Error submitting packet`,
the JVM's `PortUnreachableException` (a UDP StatsD/Jaeger port with no listener), OTLP's `Failed to export`."""


@dataclass
class Dropped:
    """A DaemonSet whose pod on the named node runs a revision without a port its old pods expose."""

    daemonset: Ref
    node: str
    port: int
    name: str
    host_port: bool
    client: str
    line: str
    strategy: str
    evidence: list[str] = field(default_factory=list)
    configured: bool = False
    """The client's spec, not its logs, says it sends there (a UDP export fails without a line)."""


def ports(pod: dict[str, Any]) -> dict[int, tuple[str, bool]]:
    """Each port a pod's containers expose: {port: (name, whether it is also a hostPort)}."""
    out: dict[int, tuple[str, bool]] = {}
    for c in ((pod.get("spec") or {}).get("containers") or []):
        for p in (c.get("ports") or []) if isinstance(c, dict) else []:
            if not isinstance(p, dict) or not str(p.get("containerPort") or "").isdigit():
                continue
            number = int(p.get("hostPort") or p["containerPort"])
            out[number] = (str(p.get("name") or ""), bool(p.get("hostPort")))
    return out


def _created(pod: dict[str, Any]) -> str:
    return str((pod.get("metadata") or {}).get("creationTimestamp") or "")


def _revision(pod: dict[str, Any]) -> str:
    return str(((pod.get("metadata") or {}).get("labels") or {}).get(REVISION_LABEL) or "")


def failing_line(text: str, port: int) -> str:
    """The first log line that fails to reach `port` (its number after a colon or the word `port`, and a failure
    word)."""
    for line in text.splitlines():
        if re.search(rf"(?::|\bport\s+){port}\b", line) and FAILS.search(line):
            return line.strip()
    return ""


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod.get("spec") or {}
    return [c for c in (spec.get("containers") or []) + (spec.get("initContainers") or []) if isinstance(c, dict)]


def configured_line(pod: dict[str, Any], port: int) -> str:
    """How a pod is told to send to its own node's agent at `port` ("" when it is not).

    UDP exports (StatsD, DogStatsD, Jaeger's compact thrift) fail silently: nothing in the client's logs says the
    port is gone, but its spec says where it sends. A pod counts when it addresses its node through the downward
    API (`status.hostIP`, `spec.nodeName`) and an env var or argument names `port`: `STATSD_PORT=8125`,
    `OTEL_EXPORTER_OTLP_ENDPOINT=http://$(HOST_IP):4317`, `--statsd-addr=$(NODE_IP):8125`. A pod that sends to a
    Service name instead reaches the agent elsewhere and does not count."""
    envs = [e for c in _containers(pod) for e in (c.get("env") or []) if isinstance(e, dict)]
    node_vars = {str(e.get("name")) for e in envs
                 if str(((e.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath") or "") in NODE_ADDRESS}
    if not node_vars:
        return ""
    for e in envs:
        name, value = str(e.get("name") or ""), str(e.get("value") or "")
        if (value == str(port) and ADDRESS_NAME.search(name)) or re.search(rf":{port}\b", value):
            return f"env {name}={value} (node address from {', '.join(sorted(node_vars))})"
    for c in _containers(pod):
        for arg in [str(a) for a in (c.get("command") or []) + (c.get("args") or [])]:
            if re.search(rf":{port}\b", arg) and any(f"$({v})" in arg for v in node_vars):
                return f"arg {arg}"
    return ""


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the incident names a node: the DaemonSets, the pod of each on that node and one sibling
    elsewhere (their revisions and ports), and the logs of pods on that node that mention a dropped port."""
    node = await named_node(subject, call, "survey-agent-port-nodes")
    if not node:
        return
    store: list[Dropped] = facts.reads.setdefault(READS, [])
    on_node = await rows(call, {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                         f"survey-agent-port-pods-{node}")
    sets = await rows(call, {"kind": "DaemonSet"}, "survey-agent-port-daemonsets")
    for row in sets[:MAX_DAEMONSETS]:
        ns, name = str(row.get("namespace") or ""), str(row["name"])
        mine = pods_of(name, on_node, ns)
        if not mine:
            continue
        others = await siblings(call, name, ns, str(mine[0]["name"]), f"survey-agent-port-{ns}-{name}")
        if not others:
            continue
        here = await get_yaml(call, "Pod", str(mine[0]["name"]), ns, f"survey-agent-port-pod-{mine[0]['name']}")
        there = await get_yaml(call, "Pod", str(others[0]["name"]), ns,
                               f"survey-agent-port-pod-{others[0]['name']}")
        if here is None or there is None or not _revision(here[0]) or _revision(here[0]) == _revision(there[0]):
            continue
        if _created(here[0]) <= _created(there[0]):
            continue  # the pod on the named node is the older revision: the split is not its change
        ds = await get_yaml(call, "DaemonSet", name, ns, f"survey-agent-port-ds-{name}")
        if ds is None:
            continue
        template = {"spec": ((ds[0].get("spec") or {}).get("template") or {}).get("spec") or {}}
        current = {**ports(template), **ports(here[0])} if not ports(template) else ports(template)
        lost = {p: v for p, v in ports(there[0]).items() if p not in current}
        if not lost:
            continue
        strategy = str(((ds[0].get("spec") or {}).get("updateStrategy") or {}).get("type") or "")
        clients = [r for r in on_node if str(r.get("namespace") or "") != ns][:MAX_CLIENTS]
        for client in clients:
            for port, (pname, host) in lost.items():
                logs = await call("k8s_logs", {"name": str(client["name"]), "namespace": str(client.get("namespace")),
                                               "grep": str(port), "tail": 10000},
                                  f"survey-agent-port-log-{client['name']}")
                text = str(logs.full_text or logs.text) if logs is not None and logs.ok else ""
                if line := failing_line(text, port):
                    store.append(Dropped(Ref("DaemonSet", ns, name), node, port, pname, host,
                                         f"{client.get('namespace')}/{client['name']}", line, strategy,
                                         [e for e in (here[1], there[1], ds[1], logs.evidence_id if logs else "")
                                          if e]))
                    break
            if any(d.daemonset.name == name for d in store):
                break
        if not any(d.daemonset.name == name for d in store):
            await _configured(call, node, on_node, ns, Ref("DaemonSet", ns, name), lost, strategy, store,
                              [e for e in (here[1], there[1], ds[1]) if e])


async def _configured(call: Call, node: str, on_node: list[dict[str, Any]], ns: str, daemonset: Ref,
                      lost: dict[int, tuple[str, bool]], strategy: str, store: list[Dropped],
                      evidence: list[str]) -> None:
    """No client's log failed: a pod on the node whose spec sends to a dropped port (a silent UDP export)."""
    for client in [r for r in on_node if str(r.get("namespace") or "") != ns][:MAX_CONFIGURED]:
        got = await get_yaml(call, "Pod", str(client["name"]), str(client.get("namespace") or ""),
                             f"survey-agent-port-client-{client['name']}")
        if got is None:
            continue
        for port, (pname, host) in lost.items():
            if line := configured_line(got[0], port):
                store.append(Dropped(daemonset, node, port, pname, host, f"{client.get('namespace')}/{client['name']}",
                                     line, strategy, [*evidence, got[1]], configured=True))
                return


def found(facts: Facts) -> list[Dropped]:
    """What `read` kept (pure: the reads decide)."""
    return list(facts.reads.get(READS) or [])


def finding(d: Dropped) -> dict[str, Any]:
    """The dropped port and the split first, then the client's own line."""
    label = f" ({d.name})" if d.name else ""
    client = (f"send into nothing ({d.client} is configured with {d.line[:200]}; a UDP send to a closed port "
              f"fails silently, so its data just stops)" if d.configured else f"fail ({d.client}: '{d.line[:200]}')")
    how = "hostPort " if d.host_port else ""
    split = ("updateStrategy OnDelete, so only its recreated pod there runs the new template" if d.strategy ==
             "OnDelete" else "its rollout has reached that node but not the others")
    message = (f"{d.daemonset}'s new revision no longer listens on {how}{d.port}{label}: its pod on {d.node} runs a "
               f"different ControllerRevision than its pods elsewhere ({split}), and that revision dropped the "
               f"receiver/port {d.port} its old pods expose; pods on {d.node} that send to the node-local agent at "
               f":{d.port} now {client}, so only that node is affected. Restore the port "
               f"(and its receiver) in the template or roll the agent on that node back")
    return {"check": CHECK, "severity": "critical", "object": {"kind": "DaemonSet", "namespace": d.daemonset.namespace,
                                                               "name": d.daemonset.name},
            "reason": "AgentPortDropped", "message": message, "evidence": [d.line[:200]],
            "details": {"node": d.node, "port": d.port, "port_name": d.name, "strategy": d.strategy}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the DaemonSet, its finding, evidence ids, nothing else) for `agent.triage.behind`."""
    return [(d.daemonset, finding(d), d.evidence, []) for d in found(facts)]
