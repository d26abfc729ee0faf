"""Which ConfigMaps, Secrets and keys a pod needs, and which of them do not exist.

Two sources agree or fill each other in: the kubelet's own words in a waiting message or a
FailedMount event (`configmap "x" not found`, `couldn't find key K in Secret ns/s`), and a walk
over the pod spec's env, envFrom, volumes and projected volumes compared with the snapshot's
ConfigMaps and Secrets (names and key names only). Optional references are never reported.
"""

from __future__ import annotations

import re
from typing import Any

from mcp_servers.kubernetes.scan.snapshot import Snapshot

_NOT_FOUND = re.compile(r'\b(configmaps?|secrets?)\s+"([^"]+)"\s+not found', re.I)
_NO_KEY = re.compile(r"couldn't find key (\S+) in (ConfigMap|Secret) (?:([\w.-]+)/)?([\w.-]+)", re.I)


def parse_missing(message: str) -> dict[str, Any]:
    """What the kubelet says is missing: {"configmap"|"secret": name, "missing_key": key}."""
    out: dict[str, Any] = {}
    m = _NO_KEY.search(message or "")
    if m:
        out["configmap" if m.group(2).lower() == "configmap" else "secret"] = m.group(4)
        out["missing_key"] = m.group(1)
        return out
    m = _NOT_FOUND.search(message or "")
    if m:
        out["configmap" if m.group(1).lower().startswith("configmap") else "secret"] = m.group(2)
    return out


def _needed(pod: dict[str, Any], container: str | None) -> list[dict[str, Any]]:
    """Non-optional references: [{"kind": "ConfigMap"|"Secret", "name": n, "key": k|None, "via": ...}]."""
    spec = pod.get("spec") or {}
    out: list[dict[str, Any]] = []
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    for c in containers:
        if container and c.get("name") != container:
            continue
        for env in c.get("env") or []:
            source = env.get("valueFrom") or {}
            for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                r = source.get(field)
                if r and not r.get("optional") and r.get("name"):
                    out.append({"kind": kind, "name": r["name"], "key": r.get("key"), "via": f"env {env.get('name')}"})
        for env_from in c.get("envFrom") or []:
            for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                r = env_from.get(field)
                if r and not r.get("optional") and r.get("name"):
                    out.append({"kind": kind, "name": r["name"], "key": None, "via": "envFrom"})
    for volume in spec.get("volumes") or []:
        sources = [volume] + [s for s in (volume.get("projected") or {}).get("sources") or []]
        for s in sources:
            for field, kind, name_field in (("configMap", "ConfigMap", "name"), ("secret", "Secret", "secretName"),
                                            ("secret", "Secret", "name")):
                r = s.get(field)
                if not r or r.get("optional") or not r.get(name_field):
                    continue
                keys = [i.get("key") for i in r.get("items") or [] if i.get("key")]
                for key in keys or [None]:
                    out.append({"kind": kind, "name": r[name_field], "key": key,
                                "via": f"volume {volume.get('name')}"})
                break
    return out


needed = _needed
"""The non-optional references of a pod (public: mcp_servers.kubernetes.scan.collected reads them too)."""


def missing_refs(snap: Snapshot, pod: dict[str, Any], container: str | None) -> list[dict[str, Any]]:
    """References of `pod` (one container, or all) to ConfigMaps/Secrets or keys that do not exist.

    Only kinds the snapshot actually listed, in a namespace it listed, count as evidence of absence.
    """
    ns = str((pod.get("metadata") or {}).get("namespace") or "")
    if not snap.in_scope(ns):
        return []
    from mcp_servers.kubernetes.scan import collected  # here: collected reads this module's `needed`

    out = []
    for need in _needed(pod, container):
        if not collected.absence(snap, need["kind"], ns).known:  # unlisted, or a running pod proves it partial
            continue
        obj = snap.get(need["kind"], ns, need["name"])
        entry = {"configmap" if need["kind"] == "ConfigMap" else "secret": need["name"], "via": need["via"]}
        if obj is None:
            out.append(entry)
        elif need["key"] and need["key"] not in (obj.get("keys") or []):
            out.append({**entry, "missing_key": need["key"]})
    return out


def describe(missing: dict[str, Any]) -> str:
    what = f"ConfigMap {missing['configmap']}" if missing.get("configmap") else f"Secret {missing.get('secret')}"
    key = f" key {missing['missing_key']}" if missing.get("missing_key") else ""
    return f"{what}{key} ({missing.get('via')})"
