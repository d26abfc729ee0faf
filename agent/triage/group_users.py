"""The managed resources that USE a written parameter group, so a group's write can be tied to their clients.

A managed database's or cache's engine settings often live in a separate object, a parameter group, that the
instance names: ACK `DBParameterGroup`/`DBClusterParameterGroup` named by a `DBInstance`'s `dbParameterGroupName`,
ACK `CacheParameterGroup` named by a `ReplicationGroup`'s `cacheParameterGroupName`, Crossplane/Upbound
`ParameterGroup` named by `parameterGroupName` (or `parameterGroupNameRef: {name: ...}`) of an `Instance`,
`Cluster` or `ReplicationGroup`. The group carries no host: its clients name the INSTANCE's endpoint (or its name),
never the group's. A class that ties a group's write to the clients now failing needs the group's users, their
names and endpoint hosts; this module finds them by evidence: the kinds of the group's own API group (from the
cluster's CustomResourceDefinitions), each object of those kinds whose spec or status names the group under a key
that speaks of a parameter group. Reading only; at most `MAX_KINDS` lists and `MAX_READS` reads.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agent.triage.facts import Ref
from agent.triage.kube_reads import get_yaml, list_names, rows_of

Call = Callable[..., Awaitable[Any]]

GROUP_KIND = re.compile(r"parametergroup$", re.I)
"""A kind holding engine parameters for the instances that name it (DBParameterGroup, CacheParameterGroup,
DBClusterParameterGroup, ParameterGroup, ClusterParameterGroup)."""
REF_KEY = re.compile(r"parametergroup", re.I)
"""A key under which a user names its group (dbParameterGroupName, cacheParameterGroupName, parameterGroupName,
parameterGroupNameRef, status.dbParameterGroups)."""
SKIP_PLURAL = re.compile(r"(?:parameter|subnet|security|option)groups$|snapshots?$|users?$|usergroups$|proxies$|"
                         r"endpoints$|events?$|subscriptions$", re.I)
"""Kinds of the same API group that never use a parameter group."""
MAX_KINDS = 4
MAX_READS = 6
_HOST = re.compile(r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+){2,}\b", re.I)


@dataclass
class User:
    """A resource that names the parameter group, with its endpoint hosts and the evidence of its read."""

    ref: Ref
    hosts: list[str]
    evidence: str


def is_group(kind: str) -> bool:
    """Whether a kind is a parameter group (its settings apply to the instances naming it)."""
    return bool(GROUP_KIND.search(kind))


def names_group(obj: Any, group: str) -> bool:
    """Whether an object's spec or status names the group under a parameter-group key: a string value, a
    `{name: ...}` reference, or a list of either (`status.dbParameterGroups[].dbParameterGroupName`)."""

    def walk(node: Any, keyed: bool) -> bool:
        if isinstance(node, dict):
            if keyed and str(node.get("name") or "") == group:
                return True
            return any(walk(v, keyed or bool(REF_KEY.search(str(k)))) for k, v in node.items())
        if isinstance(node, list):
            return any(walk(v, keyed) for v in node)
        return keyed and str(node) == group

    return any(walk((obj or {}).get(part), False) for part in ("spec", "status"))


def hosts(obj: dict[str, Any]) -> list[str]:
    """The host names in an object's spec and status (its endpoints)."""
    body = {k: obj.get(k) for k in ("spec", "status")}
    return sorted({h.lower() for h in _HOST.findall(str(body)) if re.search(r"[a-z]", h, re.I)})


async def users(call: Call, group: dict[str, Any], step: str) -> list[User]:
    """The resources of the group's own API group that name it (by its metadata name or its `spec.name` /
    `forProvider` name), with their hosts; [] when the group is not a parameter group or nothing names it."""
    if not is_group(str(group.get("kind") or "")):
        return []
    api = str(group.get("apiVersion") or "").split("/")[0]
    meta, spec = group.get("metadata") or {}, group.get("spec") or {}
    wanted = {str(n) for n in (meta.get("name"), spec.get("name"),
                               (spec.get("forProvider") or {}).get("name") if isinstance(spec, dict) else None) if n}
    if "." not in api or not wanted:
        return []
    listed = await list_names(call, "CustomResourceDefinition", "", f"{step}-crds")
    if listed is None:
        return []
    plurals = sorted(n for n in listed[0] if n.endswith("." + api) and not SKIP_PLURAL.search(n.split(".")[0]))
    out: list[User] = []
    reads = 0
    for crd in plurals[:MAX_KINDS]:
        outcome = await call("k8s_list", {"kind": crd}, f"{step}-list-{crd.split('.')[0]}")
        for row in rows_of(outcome):
            if reads >= MAX_READS:
                return out
            name, namespace = str(row.get("name") or ""), str(row.get("namespace") or "")
            reads += 1
            got = await get_yaml(call, crd, name, namespace, f"{step}-user-{name}")
            if got is None or not any(names_group(got[0], g) for g in wanted):
                continue
            out.append(User(Ref(str(got[0].get("kind") or crd.split(".")[0]), namespace, name), hosts(got[0]), got[1]))
    return out
