"""The reads node-agent modules share: the node an incident names, the pods on it, and a DaemonSet's own pods.

`node_agent_port` (a dropped port) and `node_agent_socket` (a moved socket) both judge a DaemonSet whose pod on the
named node runs a newer template than its pods elsewhere. Both first resolve the incident's node against the
cluster's nodes, list the pods scheduled there and the DaemonSets, and pick a DaemonSet's pods out of a pod list by
the DaemonSet's naming (`<daemonset>-<5 chars>`). Those reads live here, in one way, so the two modules cannot drift
apart in which node they pick or which pods they take for the agent's.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from agent.triage import node_exhaustion
from agent.triage.node_daemonsets import _node_names
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]
_POD_SUFFIX = re.compile(r"[a-z0-9]{5}")
"""The random suffix the DaemonSet controller appends to its pods' names."""


async def rows(call: Call, args: dict[str, Any], step: str) -> list[dict[str, Any]]:
    """The named rows of one `k8s_list` answer ([] when the read failed)."""
    got = await call("k8s_list", args, step)
    if got is None or not got.ok or not isinstance(got.data, dict):
        return []
    return [r for r in got.data.get("rows") or [] if isinstance(r, dict) and r.get("name")]


async def named_node(subject: Subject, call: Call, step: str) -> str:
    """The one node the incident names, resolved against the cluster's nodes ("" when it names none: then no
    listing is made at all, so incidents about workloads pay nothing)."""
    tokens = node_exhaustion._tokens(subject)
    if not tokens:
        return ""
    listed = await call("k8s_nodes", {}, step)
    nodes = (listed.data or {}).get("nodes") or [] if listed is not None and listed.ok and \
        isinstance(listed.data, dict) else []
    names = _node_names(tokens, nodes)
    return names[0] if names else ""


def pods_of(daemonset: str, pods: list[dict[str, Any]], namespace: str = "", but: str = "") -> list[dict[str, Any]]:
    """The DaemonSet's own pods among `pods` (`<name>-<5 chars>`, in `namespace` when a row says one), `but` one."""
    return [r for r in pods if str(r["name"]).startswith(f"{daemonset}-") and str(r["name"]) != but
            and _POD_SUFFIX.fullmatch(str(r["name"])[len(daemonset) + 1:])
            and (not namespace or str(r.get("namespace") or namespace) == namespace)]


async def siblings(call: Call, daemonset: str, namespace: str, here: str, step: str) -> list[dict[str, Any]]:
    """The DaemonSet's pods on other nodes than the one whose pod is `here` (its namespace's pod list)."""
    return pods_of(daemonset, await rows(call, {"kind": "Pod", "namespace": namespace}, step), but=here)
