"""A client that caches DNS forever keeps writing to the old primary after a failover.

A managed database's failover moves its writer endpoint (an RDS/Aurora cluster name, a Patroni or
Sentinel-backed DNS name) to the new primary by changing what the name resolves to. A JVM started
with `-Dsun.net.inetaddr.ttl=-1` or `networkaddress.cache.ttl=-1` (the documented value for "cache
successful lookups forever", also set in a java.security file) never asks again, so after the
failover its pods still connect to the old address, now a read-only replica, and every write is
refused. The configured host is right; the setting that pins its resolution is the suspect.

This module reads, for a writer whose writes a replica refuses, the pod's container spec and the
ConfigMaps its env and envFrom draw from, and finds such a setting (a literal env value or a
ConfigMap key). Secrets are never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agent.triage.facts import Facts, Ref
from agent.triage.kube_reads import get_yaml

Call = Callable[..., Awaitable[Any]]

FOREVER = re.compile(r"(?:-D)?(?P<prop>sun\.net\.inetaddr\.ttl|networkaddress\.cache\.ttl)\s*=\s*(?P<ttl>-1|\d{5,})\b")
"""The JVM's positive DNS cache TTL set to -1 (forever) or to a day or more (seconds)."""
MAX_READS = 3


@dataclass(frozen=True)
class DnsPin:
    """The setting that makes a writer resolve its database host once and never again."""

    setting: Ref
    """The ConfigMap holding it, or the workload's pod for an env literal."""
    key: str
    said: str
    """The setting as written (`-Dsun.net.inetaddr.ttl=-1`)."""
    evidence: list[str]


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod.get("spec") or {}
    return [c for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])] if isinstance(c, dict)]


def configmaps_used(pod: dict[str, Any]) -> list[str]:
    """The ConfigMaps a pod's containers draw env from (valueFrom.configMapKeyRef and envFrom.configMapRef)."""
    out: list[str] = []
    for c in _containers(pod):
        for e in c.get("env") or []:
            ref = ((e or {}).get("valueFrom") or {}).get("configMapKeyRef") or {}
            if ref.get("name"):
                out.append(str(ref["name"]))
        for e in c.get("envFrom") or []:
            ref = (e or {}).get("configMapRef") or {}
            if ref.get("name"):
                out.append(str(ref["name"]))
    return list(dict.fromkeys(out))


def _pod(facts: Facts, namespace: str, name: str) -> tuple[dict[str, Any], str] | None:
    for obj, evidence_id in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == "Pod" and meta.get("name") == name and (meta.get("namespace") or namespace) == namespace:
            return obj, evidence_id
    return None


async def read(facts: Facts, call: Call, namespace: str, pod: str) -> None:
    """Reading only: the refused writer's pod, then the ConfigMaps its env draws from (bounded)."""
    got = _pod(facts, namespace, pod) or await get_yaml(call, "Pod", pod, namespace, f"survey-dns-cache-pod-{pod}")
    if got is None or got[0].get("kind") != "Pod":
        return
    if _pod(facts, namespace, pod) is None:
        facts.objects.append(got)
    have = {str((o.get("metadata") or {}).get("name")) for o, _ in facts.objects if o.get("kind") == "ConfigMap"
            and str((o.get("metadata") or {}).get("namespace") or namespace) == namespace}
    for name in [n for n in configmaps_used(got[0]) if n not in have][:MAX_READS]:
        cm = await get_yaml(call, "ConfigMap", name, namespace, f"survey-dns-cache-config-{name}")
        if cm is not None and cm[0].get("kind") == "ConfigMap":
            facts.objects.append(cm)


def found(facts: Facts, namespace: str, pod: str) -> DnsPin | None:
    """The DNS-forever setting the writer's pod runs with: its ConfigMap key first, else an env literal."""
    got = _pod(facts, namespace, pod)
    if got is None:
        return None
    obj, pod_id = got
    used = set(configmaps_used(obj))
    for cm, evidence_id in facts.objects:
        meta = cm.get("metadata") or {}
        if cm.get("kind") != "ConfigMap" or meta.get("name") not in used \
                or (meta.get("namespace") or namespace) != namespace:
            continue
        for key, value in (cm.get("data") or {}).items():
            m = FOREVER.search(str(value))
            if m:
                return DnsPin(Ref("ConfigMap", namespace, str(meta["name"])), str(key), m.group(0),
                              [pod_id, evidence_id])
    for c in _containers(obj):
        for e in c.get("env") or []:
            m = FOREVER.search(str((e or {}).get("value") or ""))
            if m:
                return DnsPin(Ref("Pod", namespace, pod), str(e.get("name")), m.group(0), [pod_id])
    return None
