"""A node agent's new revision, rolled to some nodes only, serves its unix socket under another host path.

Node agents hand workloads a unix socket through a hostPath: SPIRE's Workload API (`/run/spire/sockets/agent.sock`),
a CSI driver's or Vault agent's socket, the Datadog/OTel agent's APM socket, Dapr's or Consul's. Workloads mount
that host directory and dial the socket in it. A chart upgrade of the agent's DaemonSet moves the directory
(`/run/spire/sockets` -> `/run/spire/agent-sockets`); with a rolling update still under way (or OnDelete) only the
nodes whose agent pod was recreated run the new template. There the old directory is empty and every workload's
dial fails (`dial unix /run/spire/sockets/agent.sock: connect: no such file or directory`): they crash on that node
only, while the DaemonSet itself reports healthy.

So, when the incident names a node: the pods on it whose logs fail dialing a unix socket, the host directories
they mount; a DaemonSet whose pod on that node is newer than its pods elsewhere with its rollout not complete
(updated < desired), whose CURRENT template mounts no hostPath serving that directory but does mount one beside it
(the same parent two levels deep: `/run/spire/...`). The DaemonSet is named with both paths and a client's line.
Twins: a socket failure on a node whose agent was not updated (the old pod there), a DaemonSet whose template still
serves the clients' directory, an updated DaemonSet with no hostPath near it. `read` reads (the node, its pods and
a DaemonSet's own pods through `node_agent_pods`, the reads it shares with `node_agent_port`); `found` is pure.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage.facts import Facts, Ref
from agent.triage.kube_reads import get_yaml
from agent.triage.node_agent_pods import named_node, pods_of, rows, siblings
from agent.triage.subject import Subject

CHECK = "daemonset.socket_moved"
WEIGHT = 0.93
"""As node_agent_port: the agent whose new revision left the node's workloads without their socket is the change to
undo, above the crashing workloads and the node's generic suspects."""
READS = "node_agent_socket"
MAX_DAEMONSETS = 25
MAX_CLIENTS = 4
Call = Callable[..., Awaitable[Any]]
_DIAL = re.compile(r"(?:dial unix |unix://|unix:|connect to |socket )(?P<path>/[\w./-]+\.sock)\b.{0,80}?"
                   r"(?:no such file or directory|connection refused|ENOENT|ECONNREFUSED|does not exist)", re.I)
"""A client's failure to dial a unix socket (gRPC/Go `dial unix PATH: connect: no such file or directory`)."""


@dataclass
class Moved:
    """A DaemonSet whose updated pod on the named node serves its socket away from where workloads mount it."""

    daemonset: Ref
    node: str
    socket: str
    client_path: str
    served: list[str]
    updated: int
    desired: int
    client: str
    line: str
    evidence: list[str] = field(default_factory=list)


def dialled(text: str) -> tuple[str, str] | None:
    """(socket path, line) of the first line that fails dialing a unix socket."""
    for line in text.splitlines():
        if m := _DIAL.search(line):
            return m.group("path"), line.strip()
    return None


def host_paths(spec: dict[str, Any]) -> list[str]:
    """The hostPath directories a pod spec (or template spec) mounts."""
    return [str((v.get("hostPath") or {}).get("path")).rstrip("/") for v in spec.get("volumes") or []
            if isinstance(v, dict) and (v.get("hostPath") or {}).get("path")]


def beside(a: str, b: str) -> bool:
    """Whether two host paths share a parent at least two levels deep (`/run/spire/x` and `/run/spire/y`)."""
    common = posixpath.commonpath([a, b]) if a.startswith("/") and b.startswith("/") else ""
    return common.count("/") >= 2


def serves(paths: list[str], directory: str) -> bool:
    """Whether one of the template's host paths is the directory or one above it."""
    return any(directory == p or directory.startswith(p + "/") for p in paths)


def _created(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("creationTimestamp") or "")


async def _client_failure(facts: Facts, call: Call, node: str, on_node: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pods on the node whose logs fail dialing a socket, with the host directories their specs mount."""
    out: list[dict[str, Any]] = []
    for row in on_node[:40]:
        name, ns = str(row["name"]), str(row.get("namespace") or "")
        if len(out) >= MAX_CLIENTS:
            break
        said = next((d for log in facts.logs if log.pod == name
                     for e in log.entries() if (d := dialled(str(e.get("example") or e.get("message") or "")))),
                    None)
        evidence = ""
        if said is None and int(row.get("restarts") or 0) > 0:
            logs = await call("k8s_logs", {"name": name, "namespace": ns, "tail": 200, "previous": True},
                              f"survey-agent-socket-log-{name}")
            said = dialled(str(logs.full_text or "")) if logs is not None and logs.ok else None
            evidence = logs.evidence_id if logs is not None and logs.ok else ""
        if said is None:
            continue
        pod = await get_yaml(call, "Pod", name, ns, f"survey-agent-socket-pod-{name}")
        mounts = host_paths(pod[0].get("spec") or {}) if pod else []
        out.append({"pod": f"{ns}/{name}", "socket": said[0], "line": said[1], "mounts": mounts,
                    "evidence": [e for e in (evidence, pod[1] if pod else "") if e]})
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the incident names a node and pods on it fail dialing a unix socket: the DaemonSets with a
    pod there, that pod against a sibling (creation), the DaemonSet's template and rollout status."""
    if READS in facts.reads:
        return
    node = await named_node(subject, call, "survey-agent-socket-nodes")
    if not node:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"node": node, "clients": [], "daemonsets": []})
    on_node = await rows(call, {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                         f"survey-agent-socket-pods-{node}")
    store["clients"] = await _client_failure(facts, call, node, on_node)
    if not store["clients"]:
        return
    for row in (await rows(call, {"kind": "DaemonSet"}, "survey-agent-socket-daemonsets"))[:MAX_DAEMONSETS]:
        ns, name = str(row.get("namespace") or ""), str(row["name"])
        mine = pods_of(name, on_node, ns)
        if not mine:
            continue
        ds = await get_yaml(call, "DaemonSet", name, ns, f"survey-agent-socket-ds-{name}")
        if ds is None:
            continue
        template = ((ds[0].get("spec") or {}).get("template") or {}).get("spec") or {}
        status = ds[0].get("status") or {}
        others = await siblings(call, name, ns, str(mine[0]["name"]), f"survey-agent-socket-{ns}-{name}")
        here = await get_yaml(call, "Pod", str(mine[0]["name"]), ns, f"survey-agent-socket-pod-{mine[0]['name']}")
        there = await get_yaml(call, "Pod", str(others[0]["name"]), ns,
                               f"survey-agent-socket-pod-{others[0]['name']}") if others else None
        store["daemonsets"].append({
            "ref": f"{ns}/{name}", "paths": host_paths(template),
            "updated": int(status.get("updatedNumberScheduled") or 0),
            "desired": int(status.get("desiredNumberScheduled") or 0),
            "newest_here": bool(here and there and _created(here[0]) > _created(there[0])),
            "evidence": [e for e in (ds[1], here[1] if here else "", there[1] if there else "") if e]})


def found(facts: Facts) -> list[Moved]:
    """Each updated-here DaemonSet, mid-rollout, whose template serves a host path beside but not at the directory
    the failing clients on the node mount (or dial in)."""
    store = facts.reads.get(READS) or {}
    out: list[Moved] = []
    for ds in store.get("daemonsets") or []:
        if not ds.get("newest_here") or not ds.get("paths") or not 0 < ds["updated"] < ds["desired"]:
            continue
        for client in store.get("clients") or []:
            directory = posixpath.dirname(client["socket"])
            wanted = [m for m in client.get("mounts") or [] if beside(m, directory) or m == directory] or [directory]
            old = wanted[0]
            if serves(ds["paths"], old) or serves(ds["paths"], directory):
                continue
            near = [p for p in ds["paths"] if beside(p, old)]
            if not near:
                continue
            ns, name = ds["ref"].split("/", 1)
            out.append(Moved(Ref("DaemonSet", ns, name), str(store.get("node")), client["socket"], old, near,
                             int(ds["updated"]), int(ds["desired"]), client["pod"], client["line"],
                             [*ds.get("evidence", []), *client.get("evidence", [])]))
            break
    return out


def finding(m: Moved) -> dict[str, Any]:
    """The moved socket first, then the partial rollout, then the client's own line."""
    message = (f"{m.daemonset}'s new revision serves its socket under hostPath {m.served[0]}, no longer "
               f"{m.client_path}: rolled to {m.updated} of {m.desired} nodes so far, including {m.node}, where "
               f"workloads still mount {m.client_path} and dial {m.socket}, find no socket and fail "
               f"({m.client}: '{m.line[-220:]}'); on the other nodes the old agent pods still serve it. Point the "
               f"agent's socket back at {m.client_path} (or move the workloads' mount with it) and roll the updated "
               f"agent pods back")
    return {"check": CHECK, "severity": "critical", "reason": "AgentSocketMoved",
            "object": {"kind": "DaemonSet", "namespace": m.daemonset.namespace, "name": m.daemonset.name},
            "message": message, "evidence": [m.line[:200]],
            "details": {"node": m.node, "socket": m.socket, "client_path": m.client_path, "served": m.served,
                        "updated": m.updated, "desired": m.desired}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the DaemonSet, its finding, evidence ids, nothing else) for `agent.triage.behind`."""
    return [(m.daemonset, finding(m), m.evidence, []) for m in found(facts)]
